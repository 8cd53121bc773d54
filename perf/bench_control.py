#!/usr/bin/python3
"""How long a change takes to be acknowledged at a large database (issue
12): `iocsift run` with FEED loaded, then N adds one after another on one
connection, then N deletes of the same indicators, each timed from the
request to its reply. A reply means the change is journaled (synced) and
live: every 100th indicator is checked with `test` right after its reply.
Then kill -9 and a restart: the time until the daemon answers again
(snapshot loaded, journal applied) and the indicators it came back with.

usage: bench_control.py IOCSIFT FEED WORK_DIR [--changes N] [--out F]
Prints a table; with --out, appends one JSON line per operation.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE = os.path.join(HERE, "..", "tests", "data", "captures",
                       "tcpdump-syslog_udp.pcap")


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(600)
        self.s.connect(path)
        self.buf = b""
        self.id = 0

    def call(self, payload):
        self.id += 1
        self.s.sendall(json.dumps(dict(payload, v=1, id=self.id)).encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise ConnectionResetError("the daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


def start(iocsift, feed, work, tag, log, extra=()):
    """The daemon on work's state dir and socket; extra: more arguments
    of `iocsift run` (perf/bench_exports.py gives -c)."""
    # A named state dir must exist (docs/deployment.md).
    os.makedirs(os.path.join(work, "state"), mode=0o750, exist_ok=True)
    args = [iocsift, "run"] + list(extra) + [
            "--state-dir", os.path.join(work, "state"),
            "--socket", os.path.join(work, "ctl.sock"), "-o", "/dev/null",
            "--throttle-window", "0"]
    if feed:
        args += ["-f", feed]
    args += ["--", "--no-pci", "--no-huge", "-m", "1024",
             "--file-prefix=benchctl%d%s" % (os.getpid(), tag),
             "--vdev=net_pcap0,rx_pcap=" + CAPTURE]
    started = time.perf_counter()
    proc = subprocess.Popen(args, stderr=open(log, "w"))
    while True:
        if proc.poll() is not None:
            sys.exit("bench_control: iocsift exited %d: %s" %
                     (proc.returncode, open(log).read()[-2000:]))
        try:
            c = Client(os.path.join(work, "ctl.sock"))
            status = c.call({"cmd": "status"})
            if status["ok"]:
                return proc, c, time.perf_counter() - started, status["result"]
        except OSError:
            pass
        time.sleep(0.05)


def timed(client, payloads, check_every=100):
    took = []
    for i, p in enumerate(payloads):
        t0 = time.perf_counter()
        r = client.call(p)
        took.append((time.perf_counter() - t0) * 1e3)
        if os.environ.get("BENCH_CONTROL_SLOW") and took[-1] > 10:
            print("slow", i, round(took[-1], 1), r.get("result"))
        if not r["ok"]:
            sys.exit("bench_control: %s: %s" % (p, r))
        if p["cmd"] == "add" and i % check_every == 0:
            t = client.call({"cmd": "test", "text": "to " + p["value"]})
            if not t["result"]["hits"]:
                sys.exit("bench_control: %s was acknowledged, not live" % p["value"])
    return took


def summary(name, took):
    took = sorted(took)
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
    return {"op": name, "n": len(took), "p50_ms": statistics.median(took),
            "p99_ms": p99, "max_ms": took[-1]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocsift")
    ap.add_argument("feed")
    ap.add_argument("work")
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--out")
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)

    proc, c, ready, status = start(a.iocsift, a.feed, a.work, "a",
                                   os.path.join(a.work, "run1.log"))
    indicators = status["indicators"]
    # The first snapshot (of the loaded feed) is written before timing.
    deadline = time.time() + 120
    while c.call({"cmd": "status"})["result"]["state"]["snapshots"] < 1:
        if time.time() > deadline:
            break
        time.sleep(0.2)
    values = ["bench-%d.example" % i for i in range(a.changes)]
    adds = timed(c, [{"cmd": "add", "type": "domain", "value": v} for v in values])
    if os.environ.get("BENCH_CONTROL_SLOW"):
        print("slow adds:", [(i, round(t, 1)) for i, t in enumerate(adds) if t > 10])
    dels = timed(c, [{"cmd": "del", "type": "domain", "value": v} for v in values])
    keep = values[: a.changes // 2]
    timed(c, [{"cmd": "add", "type": "domain", "value": v} for v in keep])
    before = c.call({"cmd": "status"})["result"]
    proc.kill()
    proc.wait()
    proc, c, restart, after = start(a.iocsift, None, a.work, "b",
                                    os.path.join(a.work, "run2.log"))
    proc.kill()
    proc.wait()
    if after["indicators"] != before["indicators"] or \
       after["db_version"] != before["db_version"]:
        sys.exit("bench_control: after kill -9: version %d with %d indicators, "
                 "before: version %d with %d" % (after["db_version"],
                                                 after["indicators"],
                                                 before["db_version"],
                                                 before["indicators"]))
    rows = [summary("add", adds), summary("del", dels)]
    print("%d indicators (start to first answer %.1f s); %d changes on one "
          "connection, request to reply:" % (indicators, ready, a.changes))
    print("op     p50 ms   p99 ms   max ms")
    for r in rows:
        print("%-5s %7.2f %8.2f %8.2f" % (r["op"], r["p50_ms"], r["p99_ms"],
                                         r["max_ms"]))
    print("restart after kill -9 with %d journal records: answering after "
          "%.2f s, version %d, %d indicators" %
          (before["state"]["journal_records"], restart, after["db_version"],
           after["indicators"]))
    if a.out:
        with open(a.out, "a") as f:
            for r in rows:
                f.write(json.dumps(dict(r, bench="control",
                                        indicators=indicators)) + "\n")
            f.write(json.dumps({"bench": "control", "op": "restart",
                                "seconds": restart,
                                "journal_records": before["state"]["journal_records"],
                                "indicators": after["indicators"]}) + "\n")
    if not os.environ.get("BENCH_CONTROL_KEEP"):
        shutil.rmtree(a.work, ignore_errors=True)


if __name__ == "__main__":
    main()
