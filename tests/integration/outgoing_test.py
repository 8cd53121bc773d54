#!/usr/bin/python3
"""outgoing_test.py -- each frame once on a net_af_packet port (issue 12).

A packet socket sees each frame the host sends on its interface as well as
what it receives; on lo every frame is both, so without a remedy the
docs/examples/iocsift.conf setup counts every datagram twice. iocsift runs
in a network namespace made here, on that namespace's lo, and N syslog
datagrams are sent to 127.0.0.1:514 inside it (a socket there receives
them, so no ICMP error joins the traffic).

Asserted, for each run:
- default (outgoing frames dropped): exactly N packets on the port, N
  syslog messages, N events, and the port's stats say "outgoing":
  "dropped";
- af_packet_outgoing = yes: exactly 2N of each, "outgoing": "kept" -- the
  double count the default removes, so the kernel behaviour this test
  relies on is shown, not assumed.

usage: outgoing_test.py IOCSIFT IOCSIFTCTL WORKDIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

DATAGRAMS = 100
SETTLE_S = 1.0          # no new packet for this long: the run is over

SENDER = r"""
import socket, sys
n = int(sys.argv[1])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 514))
rx.settimeout(10)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    tx.sendto(b"<14>Nov 26 10:00:00 edr01 agent[7]: seq=%d to c2-once.example:443" % i,
              ("127.0.0.1", 514))
    rx.recv(2048)
"""


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail("%s: %s" % (" ".join(cmd), p.stderr.strip()))
    return p.stdout


def ctl(iocsiftctl, sock, *args, check=True):
    p = subprocess.run([iocsiftctl, "-s", sock, "--json"] + list(args),
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        fail("iocsiftctl %s: exit %d: %s" % (" ".join(args), p.returncode,
                                              p.stderr.strip()))
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None


def one_run(iocsift, iocsiftctl, work, name, keep_outgoing):
    """Starts iocsift on lo of a fresh namespace, sends the datagrams,
    returns (port, worker totals, events written) once traffic settled."""
    tag = "%s%d" % (name, os.getpid())
    ns = "iocout" + tag
    base = os.path.join(work, name)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    os.makedirs(os.path.join(base, "state"))   # a named state dir must exist
    sock = os.path.join(base, "control.sock")
    feed = os.path.join(base, "feed.csv")
    events = os.path.join(base, "events.jsonl")
    log = os.path.join(base, "iocsift.log")
    with open(feed, "w") as f:
        f.write("type,value\ndomain,c2-once.example\n")
    conf = os.path.join(base, "iocsift.conf")
    with open(conf, "w") as f:
        f.write("[port]\ndevice = net_af_packet0,iface=lo\n")
        if keep_outgoing:
            f.write("af_packet_outgoing = yes\n")
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    run(["ip", "netns", "add", ns])
    daemon = None
    try:
        run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        daemon = subprocess.Popen(
            ["ip", "netns", "exec", ns, iocsift, "run", "-c", conf,
             "--socket", sock, "--state-dir", os.path.join(base, "state"),
             "-f", feed, "-o", events, "--throttle-window", "0", "-v", "--",
             "--file-prefix=iocout" + tag],
            stderr=open(log, "w"))
        deadline = time.time() + 30
        while ctl(iocsiftctl, sock, "status", check=False) is None:
            if daemon.poll() is not None or time.time() > deadline:
                fail("%s: iocsift did not come up:\n%s" % (name, open(log).read()))
            time.sleep(0.2)
        run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", SENDER,
             str(DATAGRAMS)])
        # Wait until the port has taken nothing new for SETTLE_S.
        last, since = -1, time.time()
        deadline = time.time() + 20
        while time.time() - since < SETTLE_S:
            if time.time() > deadline:
                fail("%s: traffic did not settle" % name)
            stats = ctl(iocsiftctl, sock, "stats")
            seen = stats["ports"][0]["rx_packets"]
            if seen != last:
                last, since = seen, time.time()
            time.sleep(0.1)
        port = stats["ports"][0]
        workers = {k: sum(w[k] for w in stats["workers"])
                   for k in ("packets", "syslog_messages", "hits")}
        daemon.send_signal(signal.SIGTERM)
        if daemon.wait(timeout=60) != 0:
            fail("%s: iocsift exited %d:\n%s" % (name, daemon.returncode,
                                                 open(log).read()))
        with open(events) as f:
            written = sum(1 for line in f if json.loads(line))
        return port, workers, written, open(log).read()
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def check_run(name, result, frames, outgoing, log_line):
    port, workers, written, log = result
    got = (port["rx_packets"], workers["packets"], workers["syslog_messages"],
           workers["hits"], written)
    want = (frames,) * 5
    if got != want:
        fail("%s: port rx_packets, worker packets, syslog messages, hits, "
             "events = %s, expected %s for %d datagrams" %
             (name, got, want, DATAGRAMS))
    if port.get("outgoing") != outgoing:
        fail("%s: stats port outgoing = %r, expected %r" %
             (name, port.get("outgoing"), outgoing))
    if log_line not in log:
        fail("%s: the log does not say '%s':\n%s" % (name, log_line, log))
    print("%s: %d datagrams on lo, %d frames counted, outgoing %s" %
          (name, DATAGRAMS, frames, outgoing))


def main():
    if os.geteuid() != 0:
        fail("needs root (network namespaces, AF_PACKET); run the test as root")
    iocsift, iocsiftctl, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    check_run("default", one_run(iocsift, iocsiftctl, work, "default", False),
              DATAGRAMS, "dropped", "outgoing frames dropped on 1 packet socket")
    check_run("af_packet_outgoing = yes",
              one_run(iocsift, iocsiftctl, work, "kept", True),
              2 * DATAGRAMS, "kept", "outgoing frames kept")
    print("PASS")


if __name__ == "__main__":
    main()
