#!/usr/bin/python3
"""Push to the first retrospective event (issue 13): `iocsift run` replays
CAPTURE once with a feed that hits nothing, so its messages go into the
history only; then, one after another, an `add` of each of FEED's first
ROUNDS indicators that the capture carries, each timed from sending the
add to the first retrospective event of that indicator in the file sink,
and to the end of its hunt.

usage: bench_retro.py IOCSIFT CAPTURE FEED WORK_DIR [--rounds N] [--out F]
Prints a table; with --out, appends one JSON line per add.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import time


def request(path, payload):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(path)
    s.sendall(json.dumps(dict(payload, v=1, id=1)).encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocsift")
    ap.add_argument("capture")
    ap.add_argument("feed")
    ap.add_argument("work")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(os.path.join(a.work, "state"), mode=0o750)
    dummy = os.path.join(a.work, "dummy.csv")
    with open(dummy, "w") as f:
        f.write("domain,nothing.invalid\n")
    conf = os.path.join(a.work, "iocsift.conf")
    with open(conf, "w") as f:
        f.write("[history]\nhistory_max_age = 3650d\n")
    sock = os.path.join(a.work, "ctl.sock")
    events = os.path.join(a.work, "events.jsonl")
    proc = subprocess.Popen(
        [a.iocsift, "run", "-c", conf, "--state-dir",
         os.path.join(a.work, "state"), "--socket", sock, "-f", dummy,
         "-o", events, "--throttle-window", "0", "--", "--no-pci",
         "--no-huge", "-m", "1024", "--file-prefix=benchretro%d" % os.getpid(),
         "--vdev=net_pcap0,rx_pcap=" + a.capture],
        stderr=open(os.path.join(a.work, "run.log"), "w"))
    try:
        deadline = time.time() + 120
        while True:
            try:
                if request(sock, {"cmd": "status"})["ok"]:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit("bench_retro: iocsift did not come up")
            time.sleep(0.1)
        # Every message in: the workers' counts stop moving.
        last, still = -1, 0
        while still < 5:
            w = request(sock, {"cmd": "stats"})["result"]["workers"]
            n = sum(x["history_records"] for x in w)
            still = still + 1 if n == last else 0
            last = n
            time.sleep(0.2)
        values = []
        for line in open(a.feed):
            parts = line.strip().split(",")
            if len(parts) >= 2 and parts[0] in ("domain", "ipv4", "md5",
                                                "sha256", "sha1"):
                values.append((parts[0], parts[1]))
        rows = []
        seen = 0
        for kind, value in values:
            if len(rows) == a.rounds:
                break
            t0 = time.perf_counter()
            reply = request(sock, {"cmd": "add", "type": kind, "value": value})
            if not reply.get("ok") or "hunt" not in reply["result"]:
                raise SystemExit("bench_retro: add: %s" % reply)
            hunt_id = reply["result"]["hunt"]
            first = None
            while True:
                h = request(sock, {"cmd": "hunt", "hunt": hunt_id})["result"]
                if first is None and os.path.exists(events):
                    with open(events) as f:
                        f.seek(seen)
                        if any('"retro":true' in l for l in f):
                            first = time.perf_counter() - t0
                if h["state"] not in ("queued", "running") and \
                   (first is not None or h["hits"] == 0):
                    break
                time.sleep(0.001)
            done = time.perf_counter() - t0
            seen = os.path.getsize(events) if os.path.exists(events) else 0
            if h["hits"] == 0:
                continue              # the capture does not carry it
            rows.append({"type": "retro", "indicator": value,
                         "first_event_ms": first * 1000,
                         "hunt_ms": done * 1000,
                         "hunter_first_event_ms": h.get("first_event_ms"),
                         "hits": h["hits"], "blocks": h["blocks"],
                         "opened": h["blocks_opened"],
                         "messages": h["messages"]})
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    if not rows:
        raise SystemExit("bench_retro: no indicator of the feed in the capture")
    if a.out:
        with open(a.out, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    firsts = [r["first_event_ms"] for r in rows]
    print("%-40s %10s %10s %6s %7s" % ("INDICATOR", "FIRST_MS", "HUNT_MS",
                                         "HITS", "BLOCKS"))
    for r in rows:
        print("%-40s %10.1f %10.1f %6d %3d/%-3d" % (
            r["indicator"][:40], r["first_event_ms"], r["hunt_ms"], r["hits"],
            r["opened"], r["blocks"]))
    print("push to first retrospective event: median %.1f ms, max %.1f ms "
          "(%d adds)" % (statistics.median(firsts), max(firsts), len(rows)))


if __name__ == "__main__":
    main()
