#!/usr/bin/python3
"""directories_test.py -- the directories iocsift keeps (issue 12).

On a fresh machine (here: a mount namespace with an empty tmpfs over
/var/lib) the default ones are made with safe modes:
1. `replay --sink` makes /var/lib/iocsift (0750) and its spool (0700);
2. `run` makes /var/lib/iocsift (0750) and, with a sink, its spool (0700).
A directory the user named that is missing is refused with the command
that makes it, and nothing is made:
3. `run --state-dir`, `run --spool-dir`, `replay --spool-dir`;
4. a file sink's directory, for run and for replay.

usage: directories_test.py IOCSIFT SOURCE_DIR WORKDIR
       directories_test.py --fresh IOCSIFT SOURCE_DIR WORKDIR   (inside)
"""
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

PYTHON = "/usr/bin/python3"
CAPTURE = "tests/data/captures/tcpdump-syslog_udp.pcap"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def replay_eal():
    cpus = os.cpu_count() or 1
    lcores = "-l0,1" if cpus > 1 else "--lcores=(0,1)@0"
    return ["--", "--no-pci", "--no-huge", "-m", "512", "--no-shconf",
            lcores, "--no-telemetry", "--log-level=warning"]


def run_eal(src, tag):
    return ["--", "--no-pci", "--no-huge", "-m", "256", "--no-telemetry",
            "--file-prefix=iocdirs%d%s" % (os.getpid(), tag),
            "--vdev=net_pcap0,rx_pcap=" + os.path.join(src, CAPTURE)]


def dead_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def refused(cmd, path, want_mode, what):
    """cmd exits 2 naming `install -d -m MODE PATH`; path is not made."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    command = "install -d -m %04o %s" % (want_mode, path)
    check(p.returncode == 2, "%s: exit %d, expected 2:\n%s" % (what, p.returncode,
                                                              p.stderr))
    check(command in p.stderr, "%s: no '%s' in:\n%s" % (what, command, p.stderr))
    check(not os.path.exists(path), "%s: %s was made" % (what, path))
    print("%s: refused with '%s'" % (what, command))


def fresh(iocsift, src, work):
    """Runs inside the namespace: /var/lib is an empty tmpfs."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs",
                    "/var/lib"], check=True)
    os.umask(0o022)
    feed = os.path.join(src, "data", "3cx.csv")
    capture = os.path.join(src, CAPTURE)

    # 1. replay --sink: the default spool dir and its parent are made.
    p = subprocess.run([iocsift, "replay", "-f", feed, "--drain-timeout", "1",
                        "--sink", "tcp://127.0.0.1:%d?name=siem" % dead_port(),
                        capture] + replay_eal(),
                       capture_output=True, text=True, timeout=120)
    check(p.returncode in (0, 3), "replay on a fresh machine: exit %d:\n%s"
          % (p.returncode, p.stderr))
    check(mode("/var/lib/iocsift") == 0o750 and
          mode("/var/lib/iocsift/spool") == 0o700 and
          os.path.isdir("/var/lib/iocsift/spool/siem"),
          "replay: /var/lib/iocsift %o, spool %o" % (mode("/var/lib/iocsift"),
                                                     mode("/var/lib/iocsift/spool")))
    print("replay --sink: made /var/lib/iocsift 0750 and its spool 0700")

    # 2. run: the default state dir, and its spool once there is a sink.
    subprocess.run(["umount", "/var/lib"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs",
                    "/var/lib"], check=True)
    sock = os.path.join(work, "fresh.sock")
    log = os.path.join(work, "fresh-run.log")
    daemon = subprocess.Popen([iocsift, "run", "--socket", sock,
                               "--sink", "file://%s/hits.json" % work]
                              + run_eal(src, "f"), stderr=open(log, "w"))
    try:
        deadline = time.time() + 60
        while not os.path.exists(sock):
            check(daemon.poll() is None, "run on a fresh machine exited %s:\n%s"
                  % (daemon.returncode, open(log).read()))
            check(time.time() < deadline, "run did not start:\n" + open(log).read())
            time.sleep(0.1)
        check(mode("/var/lib/iocsift") == 0o750 and
              mode("/var/lib/iocsift/spool") == 0o700,
              "run: /var/lib/iocsift %o, spool %o" % (mode("/var/lib/iocsift"),
                                                      mode("/var/lib/iocsift/spool")))
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    print("run: made /var/lib/iocsift 0750 and its spool 0700")


def main():
    if sys.argv[1] == "--fresh":
        fresh(*sys.argv[2:5])
        return
    iocsift, src, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    feed = os.path.join(src, "data", "3cx.csv")
    capture = os.path.join(src, CAPTURE)

    # 1 and 2: on a fresh machine, in a mount namespace of their own.
    p = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        PYTHON, os.path.abspath(__file__), "--fresh", iocsift,
                        src, work], capture_output=True, text=True, timeout=240)
    sys.stdout.write(p.stdout)
    check(p.returncode == 0, "fresh machine:\n%s" % p.stderr)

    # 3. Named directories that are missing.
    missing = os.path.join(work, "missing")
    refused([iocsift, "run", "--socket", os.path.join(work, "a.sock"),
             "--state-dir", missing] + run_eal(src, "a"),
            missing, 0o750, "run --state-dir")
    state = os.path.join(work, "state")
    os.makedirs(state)
    refused([iocsift, "run", "--socket", os.path.join(work, "b.sock"),
             "--state-dir", state, "--spool-dir", missing,
             "--sink", "tcp://127.0.0.1:%d" % dead_port()] + run_eal(src, "b"),
            missing, 0o700, "run --spool-dir")
    refused([iocsift, "replay", "-f", feed, "--spool-dir", missing,
             "--sink", "tcp://127.0.0.1:%d" % dead_port(), capture] + replay_eal(),
            missing, 0o700, "replay --spool-dir")

    # 4. A file sink's directory.
    spool = os.path.join(work, "spool")
    os.makedirs(spool)
    hits = "file://%s/hits.json" % missing
    refused([iocsift, "run", "--socket", os.path.join(work, "c.sock"),
             "--state-dir", state, "--sink", hits] + run_eal(src, "c"),
            missing, 0o750, "run, file sink")
    refused([iocsift, "replay", "-f", feed, "--spool-dir", spool, "--sink", hits,
             capture] + replay_eal(), missing, 0o750, "replay, file sink")
    print("PASS")


if __name__ == "__main__":
    main()
