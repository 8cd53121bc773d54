#!/usr/bin/python3
"""A fleet push to the first hit on each appliance (issue 14): a
nats-server with JetStream of its own on loopback, three `iocsift run
--fleet` appliances, each looping (net_pcap, infinite_rx) a capture whose
syslog names a domain no feed has; then `iocsiftctl --fleet add` of that
domain, timed from the push to the first event naming it in each
appliance's output, ROUNDS times with a new domain each.

The three appliances' workers share one CPU (lcore 1 on CPU 1), their
control threads and nats-server the other: on the project's 2-CPU
machine, a crowded fleet.

usage: bench_fleet.py IOCSIFT IOCSIFTCTL WORK_DIR [--rounds N] [--out F]
Prints a table; with --out, appends one JSON line per round.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import time

NAMES = ("site-a", "site-b", "site-c")
SERVER = "/usr/sbin/nats-server"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def udp_frame(payload, ident):
    def csum(h):
        t = sum(struct.unpack("!10H", h))
        while t >> 16:
            t = (t & 0xFFFF) + (t >> 16)
        return ~t & 0xFFFF
    udp = struct.pack("!HHHH", 40000, 514, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0x4000, 64,
                     17, 0, socket.inet_aton("10.8.0.1"), socket.inet_aton("10.8.0.2"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp


def write_capture(path, domains):
    """One message naming each domain, then quiet lines."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        lines = ["connect to %s:443" % d for d in domains]
        lines += ["connect to intranet%d.example.net:443" % i for i in range(200)]
        for i, text in enumerate(lines):
            fr = udp_frame(("<14>Dec  5 08:00:00 proxy squid[1]: %s" % text).encode(), i)
            f.write(struct.pack("<IIII", 1795600800 + i, 0, len(fr), len(fr)) + fr)


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            sys.exit("bench_fleet: %s" % what)
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocsift")
    ap.add_argument("ctl")
    ap.add_argument("work")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    domains = ["fleet-bench-%d.example" % r for r in range(a.rounds)]
    capture = os.path.join(a.work, "loop.pcap")
    write_capture(capture, domains)
    port = free_port()
    url = "nats://127.0.0.1:%d" % port
    log = open(os.path.join(a.work, "nats-server.log"), "w")
    server = subprocess.Popen([SERVER, "-js", "-a", "127.0.0.1", "-p", str(port),
                               "-sd", os.path.join(a.work, "store")],
                              stdout=log, stderr=subprocess.STDOUT)
    procs = []
    try:
        wait_for(lambda: "Server is ready" in open(log.name).read(), 20,
                 "nats-server did not start")
        feed = os.path.join(a.work, "feed.csv")
        with open(feed, "w") as f:
            f.write("type,value\ndomain,nothing.invalid\n")
        subprocess.run([a.ctl, "--fleet", url, "add", "domain", "warmup.invalid"],
                       check=True, capture_output=True)
        outputs = {}
        for name in NAMES:
            d = os.path.join(a.work, name)
            os.makedirs(os.path.join(d, "state"), mode=0o750)
            outputs[name] = os.path.join(d, "events.jsonl")
            conf = os.path.join(d, "iocsift.conf")
            with open(conf, "w") as f:
                f.write("[history]\nhistory_messages = none\n")
            procs.append(subprocess.Popen(
                [a.iocsift, "run", "-c", conf, "--state-dir", os.path.join(d, "state"),
                 "--socket", os.path.join(d, "ctl.sock"), "-f", feed,
                 "-o", outputs[name], "--fleet", "%s?site=%s" % (url, name), "--",
                 "--no-pci", "--no-huge", "-m", "512", "--lcores=0@0,1@1",
                 "--file-prefix=benchfleet%d%s" % (os.getpid(), name),
                 "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % capture],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "run.log"), "w")))
        for name in NAMES:
            sock = os.path.join(a.work, name, "ctl.sock")
            wait_for(lambda: subprocess.run(
                [a.ctl, "-s", sock, "--json", "status"], capture_output=True,
                text=True).stdout.count('"revision":1') > 0, 60,
                "%s did not follow the fleet" % name)
        rows = []
        for domain in domains:
            offsets = {n: os.path.getsize(outputs[n]) if os.path.exists(outputs[n])
                       else 0 for n in NAMES}
            started = time.time()
            p = subprocess.run([a.ctl, "--fleet", url, "--json", "add", "domain", domain],
                               capture_output=True, text=True, check=True)
            revision = json.loads(p.stdout)["revision"]
            first = {}
            while len(first) < len(NAMES):
                for n in NAMES:
                    if n in first or not os.path.exists(outputs[n]):
                        continue
                    with open(outputs[n], "rb") as f:
                        f.seek(offsets[n])
                        if domain.encode() in f.read():
                            first[n] = (time.time() - started) * 1000
                if time.time() - started > 60:
                    sys.exit("bench_fleet: no hit of %s on %s within 60 s" %
                             (domain, sorted(set(NAMES) - set(first))))
                time.sleep(0.002)
            rows.append((domain, revision, first))
            if a.out:
                with open(a.out, "a") as f:
                    f.write(json.dumps({"bench": "fleet", "domain": domain,
                                        "revision": revision,
                                        "first_hit_ms": first}) + "\n")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        server.terminate()
        server.wait()
    print("%-28s %8s %s" % ("DOMAIN", "REVISION",
                            " ".join("%12s" % ("%s_MS" % n.upper()) for n in NAMES)))
    for domain, revision, first in rows:
        print("%-28s %8d %s" % (domain, revision,
                                " ".join("%12.1f" % first[n] for n in NAMES)))
    every = [first[n] for _, _, first in rows for n in NAMES]
    slowest = [max(first.values()) for _, _, first in rows]
    print("push to first hit: median %.1f ms, max %.1f ms over %d appliance-rounds; "
          "all three hit: median %.1f ms" % (statistics.median(every), max(every),
                                             len(every), statistics.median(slowest)))


if __name__ == "__main__":
    main()
