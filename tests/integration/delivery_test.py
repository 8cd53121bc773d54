#!/usr/bin/python3
"""delivery_test.py -- `iocsift replay --sink` tells whether its events
reached the receiver (issue 12).

1. A receiver that is not there: exit status 3, the count not delivered
   and where they are (the spool) on stderr, within --drain-timeout.
2. The same spool dir once the receiver listens: the spooled events go
   first, then this replay's; exit 0, every event received once.
3. A sink without a spool (spool_max=0): exit 3, the events said lost.

usage: delivery_test.py IOCSIFT SOURCE_DIR WORKDIR
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

PYTHON = "/usr/bin/python3"
EXIT_UNDELIVERED = 3


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def eal():
    cpus = os.cpu_count() or 1
    lcores = "-l0,1" if cpus > 1 else "--lcores=(0,1)@0"
    return ["--", "--no-pci", "--no-huge", "-m", "512", "--no-shconf",
            lcores, "--no-telemetry", "--log-level=warning"]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Receiver:
    """A TCP syslog receiver (RFC 6587 octet counting) on a port: counts
    frames; closes its side when the sender closes its own."""

    def __init__(self, port):
        self.frames = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.serve(conn)

    def serve(self, conn):
        data = b""
        conn.settimeout(60)
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            while True:
                space = data.find(b" ")
                if space < 0:
                    break
                length = int(data[:space])
                if len(data) < space + 1 + length:
                    break
                self.frames.append(data[space + 1:space + 1 + length])
                data = data[space + 1 + length:]
        conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def replay(iocsift, feed, capture, spool, uri, drain="2"):
    cmd = [iocsift, "replay", "-f", feed, "--spool-dir", spool,
           "--drain-timeout", drain, "--sink", uri, capture] + eal()
    started = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr, time.time() - started


def main():
    iocsift, src, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    feed = os.path.join(src, "data", "3cx.csv")
    subprocess.run([PYTHON, os.path.join(src, "perf", "synth_capture.py"),
                    "--feed", feed, "--out", work, "--messages", "600"],
                   check=True, capture_output=True)
    capture = os.path.join(work, "capture.pcap")
    events = json.load(open(os.path.join(work, "summary.json")))["expected_hits"]
    check(events > 0, "the capture makes no event")
    spool = os.path.join(work, "spool")
    os.makedirs(spool)
    port = free_port()
    uri = "tcp://127.0.0.1:%d?name=siem&backoff_max=200ms" % port

    # 1. Nobody listens: exit 3, the count, the spool named.
    rc, err, took = replay(iocsift, feed, capture, spool, uri)
    check(rc == EXIT_UNDELIVERED, "unreachable receiver: exit %d, expected %d:\n%s"
          % (rc, EXIT_UNDELIVERED, err))
    want = "%d events not delivered to sink siem within 2.0 s" % events
    check(want in err, "unreachable receiver: no '%s' in:\n%s" % (want, err))
    check("Connection refused" in err, "no last error in:\n%s" % err)
    check("%d remain in its spool %s/siem" % (events, spool) in err,
          "the spool is not named:\n%s" % err)
    check(took < 30, "the replay took %.1f s with --drain-timeout 2" % took)
    check(os.listdir(os.path.join(spool, "siem")), "the spool is empty")
    print("unreachable receiver: exit 3, %d events said to remain in %s/siem"
          % (events, spool))

    # 2. The receiver is back: the spooled events, then the new ones.
    receiver = Receiver(port)
    try:
        rc, err, _ = replay(iocsift, feed, capture, spool, uri, drain="30")
        check(rc == 0, "receiver up: exit %d:\n%s" % (rc, err))
        check("not delivered" not in err, "receiver up, yet:\n%s" % err)
        deadline = time.time() + 10
        while len(receiver.frames) < 2 * events and time.time() < deadline:
            time.sleep(0.05)
    finally:
        receiver.close()
    check(len(receiver.frames) == 2 * events,
          "receiver got %d frames, expected %d" % (len(receiver.frames), 2 * events))
    # RFC 5424 header, then the ECS JSON.
    ids = [json.loads(f[f.index(b"{"):])["event"]["id"] for f in receiver.frames]
    runs = [i.rsplit("-", 1)[0] for i in ids]
    check(len(set(runs)) == 2 and runs[0] != runs[-1] and
          runs == sorted(runs, key=runs.index),
          "spooled events first, then this replay's: %s" % sorted(set(runs)))
    print("receiver back: exit 0, %d spooled events delivered before %d new ones"
          % (events, events))

    # 3. No spool: the events are lost, and said so.
    rc, err, _ = replay(iocsift, feed, capture, spool,
                        "tcp://127.0.0.1:%d?name=nospool&spool_max=0" % free_port(),
                        drain="1")
    check(rc == EXIT_UNDELIVERED, "no spool: exit %d:\n%s" % (rc, err))
    check(re.search(r"%d are lost: the sink has no spool" % events, err),
          "no spool: %s" % err)
    print("no spool: exit 3, %d events said lost" % events)
    print("PASS")


if __name__ == "__main__":
    main()
