#!/usr/bin/python3
"""state_test.py -- the state dir an operator can trust (issue 12).

1. Locks: a second `iocsift run` on a state dir in use exits at once,
   naming the holder's pid, and writes nothing there; one on another
   state dir but the same control socket exits the same way.
2. kill -9 at random points during a stream of adds, three times: every
   add the daemon acknowledged is there after the restart, the versions
   go on from where they were, and the rollback history survived (a
   rollback after the restart gives the version before the last add).
3. A full state dir (a small tmpfs, filled): an add that cannot be saved
   is refused with `not_saved` and "No space left on device", is not
   live, and status shows the persist error; with space again, adds are
   saved, and after kill -9 exactly the acknowledged ones are back.
4. A load that would shrink a feed: an empty file, a file of fewer than
   half the feed's indicators and a STIX bundle whose every indicator is
   skipped are refused (`would_shrink`, the first skip reason named) and
   the feed stays; a load of more than half, and one with
   --allow-shrink, are taken. SIGHUP after the -f file was truncated,
   and a restart with it, keep the feed and log why.
5. Deletions are overrides: an indicator of a -f feed deleted with `del`
   stays out when the feed is loaded again (load, SIGHUP), after kill -9
   and after a restart whose snapshot covers the del (the journal record
   gone); `list --overrides` shows it; `undel` lifts the override and the
   next load brings the indicator back; `add` of an overridden indicator
   lifts its override too. An undel journaled before a snapshot was
   started, but after the version it saves, is applied again at start
   without setting the journal aside.

usage: state_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR
"""
import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class Daemon:
    def __init__(self, iocsift, state, sock, capture, log, extra=()):
        self.log = log
        self.sock = sock
        # A named state dir must exist (docs/deployment.md).
        os.makedirs(state, mode=0o750, exist_ok=True)
        args = [iocsift, "run", "--socket", sock, "--state-dir", state] + \
            list(extra) + ["--", "--no-pci", "--no-huge", "-m", "256",
                           "--file-prefix=iocstate%d_%d" % (os.getpid(),
                                                           random.randrange(1 << 30)),
                           "--vdev=net_pcap0,rx_pcap=" + capture]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(log, "w"))
        # A failed check exits: the daemon must not outlive the test (it
        # would keep meson waiting until its timeout).
        atexit.register(lambda p=self.proc: p.poll() is None and p.kill())

    def text(self):
        return open(self.log, errors="replace").read()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("iocsift exited %d:\n%s" % (self.proc.returncode,
                                                 self.text()))
            try:
                if request(self.sock, {"cmd": "status"})["ok"]:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        fail("iocsift did not answer:\n" + self.text())

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


class Client:
    """One connection speaking the control protocol (docs/control-protocol.md)."""

    def __init__(self, sock_path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(sock_path)
        self.buf = b""
        self.id = 0

    def call(self, payload):
        self.id += 1
        line = dict(payload, v=1, id=self.id)
        self.s.sendall(json.dumps(line).encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionResetError("daemon closed the connection")
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        return json.loads(reply)

    def close(self):
        self.s.close()


def request(sock_path, payload):
    c = Client(sock_path)
    try:
        return c.call(payload)
    finally:
        c.close()


def domains(sock_path):
    r = request(sock_path, {"cmd": "list", "type": "domain",
                            "limit": 1000000})
    check(r["ok"], "list: %s" % r)
    return {i["value"] for i in r["result"]["indicators"]}


def state_files(state):
    return {name: (os.stat(os.path.join(state, name)).st_size,
                   os.stat(os.path.join(state, name)).st_mtime_ns)
            for name in os.listdir(state) if name != "lock"}


def locks(iocsift, capture, work):
    state = os.path.join(work, "locked")
    sock = os.path.join(work, "locked.sock")
    first = Daemon(iocsift, state, sock, capture, os.path.join(work, "locked.log"))
    first.wait_ready()
    check(request(sock, {"cmd": "add", "type": "domain",
                         "value": "held.example"})["ok"], "add")
    before = state_files(state)
    trials = [("same state dir", state, os.path.join(work, "other.sock")),
              ("same socket", os.path.join(work, "other-state"), sock)]
    for what, other_state, other_sock in trials:
        os.makedirs(other_state, mode=0o750, exist_ok=True)
        started = time.time()
        p = subprocess.run([iocsift, "run", "--socket", other_sock,
                            "--state-dir", other_state, "--", "--no-pci",
                            "--no-huge", "-m", "256",
                            "--vdev=net_pcap0,rx_pcap=" + capture],
                           capture_output=True, text=True, timeout=60)
        took = time.time() - started
        check(p.returncode != 0, "%s: a second daemon started" % what)
        check("in use by iocsift pid %d" % first.proc.pid in p.stderr,
              "%s: the message does not name pid %d: %s" %
              (what, first.proc.pid, p.stderr))
        check(took < 2, "%s: the second daemon took %.1f s to exit" % (what, took))
        check(state_files(state) == before,
              "%s: the second daemon touched the state dir" % what)
        print("lock (%s): refused in %.2f s: %s" % (what, took,
                                                   p.stderr.strip().splitlines()[-1]))
    check(not os.path.exists(os.path.join(work, "other.sock")),
          "the refused daemon made its socket")
    check(request(sock, {"cmd": "status"})["ok"], "the first daemon stopped")
    check(first.stop() == 0, "the first daemon did not exit 0")


def adder(sock, prefix, acked, stop):
    """Adds prefix-N.example one by one; records each acknowledged one."""
    try:
        c = Client(sock)
        n = 0
        while not stop.is_set():
            value = "%s-%d.example" % (prefix, n)
            r = c.call({"cmd": "add", "type": "domain", "value": value})
            if not r["ok"]:
                return
            acked.append((value, r["result"]["db_version"]))
            n += 1
    except (OSError, ValueError):
        return       # killed under us: what was acknowledged is in acked


def kill_during_adds(iocsift, capture, work):
    state = os.path.join(work, "killed")
    sock = os.path.join(work, "killed.sock")
    all_acked = []
    daemon = Daemon(iocsift, state, sock, capture, os.path.join(work, "killed-0.log"))
    daemon.wait_ready()
    for round_ in range(3):
        acked, stop = [], threading.Event()
        t = threading.Thread(target=adder, args=(sock, "r%d" % round_, acked, stop))
        t.start()
        time.sleep(random.uniform(0.5, 2.0))
        daemon.kill()
        stop.set()
        t.join(timeout=30)
        check(len(acked) > 5, "round %d: only %d adds before the kill" %
              (round_, len(acked)))
        all_acked += acked
        daemon = Daemon(iocsift, state, sock, capture,
                        os.path.join(work, "killed-%d.log" % (round_ + 1)))
        daemon.wait_ready()
        have = domains(sock)
        missing = [v for v, _ in all_acked if v not in have]
        check(not missing, "round %d: %d acknowledged adds lost after kill -9: %s"
              % (round_, len(missing), missing[:5]))
        status = request(sock, {"cmd": "status"})["result"]
        last_version = acked[-1][1]
        check(status["db_version"] >= last_version,
              "round %d: version %d after the restart, %d acknowledged" %
              (round_, status["db_version"], last_version))
        print("kill -9 round %d: %d adds acknowledged, all %d back at version %d"
              " (journal %d records)" % (round_, len(acked), len(all_acked),
                                        status["db_version"],
                                        status["state"]["journal_records"]))
    # The rollback history came back too: one rollback undoes the last
    # acknowledged add (or the add that was in flight, saved but not
    # acknowledged, whose version is the active one).
    status = request(sock, {"cmd": "status"})["result"]
    before = domains(sock)
    r = request(sock, {"cmd": "rollback"})
    check(r["ok"], "rollback after restart: %s" % r)
    after = domains(sock)
    check(len(before - after) == 1 and after < before,
          "rollback after restart removed %s" % sorted(before - after)[:5])
    check(r["result"]["from"] == status["db_version"], "rollback: %s" % r)
    print("rollback after restart: version %d -> %d, undid %s" %
          (r["result"]["from"], r["result"]["db_version"], (before - after).pop()))
    # A rollback is journaled too: kill -9, and it stays rolled back.
    daemon.kill()
    daemon = Daemon(iocsift, state, sock, capture, os.path.join(work, "killed-rb.log"))
    daemon.wait_ready()
    check(domains(sock) == after, "the rollback did not survive kill -9")
    check(request(sock, {"cmd": "status"})["result"]["db_version"] ==
          r["result"]["db_version"], "version after the rollback and kill -9")
    check(daemon.stop() == 0, "iocsift did not exit 0")


def full_disk(iocsift, capture, work):
    mnt = os.path.join(work, "tmpfs")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt],
                   check=True)
    try:
        state = os.path.join(mnt, "state")
        sock = os.path.join(work, "full.sock")
        daemon = Daemon(iocsift, state, sock, capture, os.path.join(work, "full.log"))
        daemon.wait_ready()
        saved = []
        for n in range(5):
            value = "before-full-%d.example" % n
            check(request(sock, {"cmd": "add", "type": "domain",
                                 "value": value})["ok"], "add " + value)
            saved.append(value)
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        refused = None
        for n in range(200):
            value = "while-full-%d.example" % n
            r = request(sock, {"cmd": "add", "type": "domain", "value": value})
            if not r["ok"]:
                refused = (value, r)
                break
            saved.append(value)
        check(refused is not None, "no add was refused on a full disk")
        value, r = refused
        check(r["error"]["code"] == "not_saved" and
              "No space left on device" in r["error"]["message"],
              "refusal on a full disk: %s" % r)
        t = request(sock, {"cmd": "test", "text": "to " + value})
        check(t["ok"] and not t["result"]["hits"],
              "the refused indicator is live: %s" % t)
        state_json = request(sock, {"cmd": "status"})["result"]["state"]
        check(state_json["persist_errors"] >= 1 and
              "No space left on device" in state_json.get("persist_error", ""),
              "status does not show the persist error: %s" % state_json)
        print("full disk: %s refused (%s); status: %s" %
              (value, r["error"]["message"], state_json["persist_error"]))
        os.unlink(filler)
        check(request(sock, {"cmd": "add", "type": "domain",
                             "value": "after-full.example"})["ok"],
              "add after space came back")
        saved.append("after-full.example")
        daemon.kill()
        daemon = Daemon(iocsift, state, sock, capture, os.path.join(work, "full-2.log"))
        daemon.wait_ready()
        have = domains(sock)
        check(set(saved) <= have and value not in have,
              "after kill -9: missing %s, refused present: %s" %
              (sorted(set(saved) - have)[:5], value in have))
        print("full disk: after kill -9, the %d saved adds are back and the "
              "refused one is not" % len(saved))
        check(daemon.stop() == 0, "iocsift did not exit 0")
    finally:
        subprocess.run(["umount", "-l", mnt])


def ctl(ctl_exe, sock, *args):
    p = subprocess.run([ctl_exe, "-s", sock] + list(args),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def shrink_guard(iocsift, ctl_exe, capture, work):
    feed = os.path.join(work, "intel.csv")
    names = ["shrink-c2-%d.example" % i for i in range(10)]
    with open(feed, "w") as f:
        f.write("type,value\n" + "".join("domain,%s\n" % n for n in names))
    empty = os.path.join(work, "empty.csv")
    open(empty, "w").close()
    small = os.path.join(work, "small.csv")
    with open(small, "w") as f:
        f.write("type,value\n" + "".join("domain,%s\n" % n for n in names[:3]))
    most = os.path.join(work, "most.csv")
    with open(most, "w") as f:
        f.write("type,value\n" + "".join("domain,%s\n" % n for n in names[:6]))
    stix = os.path.join(work, "stixonly.json")
    with open(stix, "w") as f:
        json.dump({"type": "bundle", "id": "bundle--1", "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": "indicator--a",
            "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-01T00:00:00Z",
            "pattern": "[process:name = 'evil.exe']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"}]}, f)
    state = os.path.join(work, "shrink-state")
    sock = os.path.join(work, "shrink.sock")
    log = os.path.join(work, "shrink.log")
    daemon = Daemon(iocsift, state, sock, capture, log, ["-f", feed])
    daemon.wait_ready()
    check(domains(sock) == set(names), "the -f feed was not loaded")

    for path, want in ((empty, "yields 0 indicators where feed 'intel' has 10"),
                       (small, "yields 3 indicators where feed 'intel' has 10")):
        rc, out = ctl(ctl_exe, sock, "load", path, "--name", "intel")
        check(rc != 0 and "would_shrink" in out and want in out and
              "--allow-shrink" in out, "load %s: rc %d: %s" % (path, rc, out))
        check(domains(sock) == set(names), "a refused load changed the feed")
    rc, out = ctl(ctl_exe, sock, "load", stix)
    check(rc != 0 and "yields 0 indicators (1 records skipped, the first: "
          "/objects/0/pattern" in out, "load of an all-skipped bundle: %s" % out)
    print("shrink: refused: %s" % out.strip())
    rc, out = ctl(ctl_exe, sock, "load", most, "--name", "intel")
    check(rc == 0 and "6 indicators" in out, "load of 6 of 10: %s" % out)
    check(domains(sock) == set(names[:6]), "the 6 were not loaded")
    rc, out = ctl(ctl_exe, sock, "load", empty, "--name", "intel",
                  "--allow-shrink")
    check(rc == 0 and "0 indicators" in out, "--allow-shrink: %s" % out)
    check(domains(sock) == set(), "--allow-shrink did not empty the feed")
    rc, out = ctl(ctl_exe, sock, "load", feed)
    check(rc == 0 and "10 indicators" in out, "reload of intel: %s" % out)

    # add: tags past the feeds' 1024-byte limit, an expiry in the past.
    rc, out = ctl(ctl_exe, sock, "add", "domain", "long-tags.example",
                  "--tags", "x" * 1025)
    check(rc != 0 and "tags: 1025 bytes, more than 1024" in out,
          "add with 1025 bytes of tags: %s" % out)
    rc, out = ctl(ctl_exe, sock, "add", "domain", "expired.example",
                  "--expires", "2001-01-01T00:00:00Z")
    check(rc != 0 and "is in the past" in out, "add expired: %s" % out)
    rc, out = ctl(ctl_exe, sock, "add", "domain", "later.example",
                  "--expires", "2099-01-01T00:00:00Z")
    check(rc == 0, "add with a future expiry: %s" % out)
    rc, out = ctl(ctl_exe, sock, "del", "domain", "later.example")
    check(rc == 0, "del later.example: %s" % out)
    for value, family in (("0.0.0.0/0", "4"), ("::/0", "6")):
        rc, out = ctl(ctl_exe, sock, "add", "ip", value)
        check(rc == 0 and "warning: %s matches every IPv%s address" %
              (value, family) in out, "add %s: %s" % (value, out))
        rc, out = ctl(ctl_exe, sock, "del", "ip", value)
        check(rc == 0, "del %s: %s" % (value, out))
    rc, out = ctl(ctl_exe, sock, "add", "ip", "10.0.0.0/8")
    check(rc == 0 and "warning" not in out, "add 10.0.0.0/8: %s" % out)
    check(ctl(ctl_exe, sock, "del", "ip", "10.0.0.0/8")[0] == 0, "del 10/8")

    # The -f file truncated (a download cut short), then SIGHUP.
    open(feed, "w").close()
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 20
    while "yields 0 indicators" not in open(log).read():
        check(time.time() < deadline, "SIGHUP: no refusal logged:\n" +
              open(log).read())
        time.sleep(0.1)
    check(domains(sock) == set(names), "SIGHUP with an empty -f file "
          "changed the feed")
    check(daemon.stop() == 0, "iocsift did not exit 0")
    daemon = Daemon(iocsift, state, sock, capture, log + ".2", ["-f", feed])
    daemon.wait_ready()
    check(domains(sock) == set(names), "a restart with an empty -f file "
          "lost the resumed feed")
    text = open(log + ".2").read()
    check("yields 0 indicators" in text and "serving the resumed version" in text,
          "restart with an empty -f file: %s" % text)
    print("shrink: SIGHUP and a restart with the -f file emptied keep the "
          "10 indicators")
    check(daemon.stop() == 0, "iocsift did not exit 0")


def overrides(iocsift, ctl_exe, capture, work):
    feed = os.path.join(work, "vendor.csv")
    names = ["vendor-%d.example" % i for i in range(4)]
    with open(feed, "w") as f:
        f.write("type,value\n" + "".join("domain,%s\n" % n for n in names))
    state = os.path.join(work, "overrides-state")
    sock = os.path.join(work, "overrides.sock")
    log = os.path.join(work, "overrides.log")
    daemon = Daemon(iocsift, state, sock, capture, log, ["-f", feed])
    daemon.wait_ready()
    rc, out = ctl(ctl_exe, sock, "del", "domain", names[1])
    check(rc == 0 and "1 removed" in out, "del: %s" % out)
    rest = set(names) - {names[1]}
    rc, out = ctl(ctl_exe, sock, "load", feed)
    check(rc == 0 and "3 indicators" in out and "overridden: 1" in out,
          "a load after the del: %s" % out)
    check(domains(sock) == rest, "a load brought back the deleted indicator")
    daemon.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    check(domains(sock) == rest, "SIGHUP brought back the deleted indicator")
    rc, out = ctl(ctl_exe, sock, "list", "--overrides")
    check(rc == 0 and "domain  %s" % names[1] in out,
          "list --overrides: %s" % out)

    daemon.kill()
    daemon = Daemon(iocsift, state, sock, capture, log + ".2", ["-f", feed])
    daemon.wait_ready()
    check(domains(sock) == rest, "after kill -9 and a start with the -f "
          "feed, the deleted indicator is back")
    check("overridden: 1 left out" in open(log + ".2").read(),
          "the -f load at start does not log what overrides left out")
    # Changes enough for a snapshot past the del: its record leaves the
    # journal, the override must come from the snapshot's side.
    for i in range(48):
        r = request(sock, {"cmd": "add", "type": "domain",
                           "value": "filler-%d.example" % i})
        check(r["ok"], "add: %s" % r)

    def saved():
        """The snapshot's seq when its overrides file holds the del."""
        files = os.listdir(state)
        snaps = [f[len("snapshot-"):-3] for f in files
                 if f.startswith("snapshot-") and f.endswith(".db")]
        over = "overrides-%s.json" % snaps[0] if len(snaps) == 1 else None
        if over in files and names[1] in open(os.path.join(state, over)).read():
            return over
        return None
    deadline = time.time() + 30
    while time.time() < deadline and saved() is None:
        request(sock, {"cmd": "status"})
        time.sleep(0.2)
    over = saved()
    check(over is not None, "no overrides file with the del beside the "
          "snapshot: %s" % sorted(os.listdir(state)))
    check(daemon.stop() == 0, "iocsift did not exit 0")
    daemon = Daemon(iocsift, state, sock, capture, log + ".3", ["-f", feed])
    daemon.wait_ready()
    check(names[1] not in domains(sock), "after a restart from the snapshot "
          "(%s) the deleted indicator is back" % over)

    rc, out = ctl(ctl_exe, sock, "undel", "domain", names[1])
    check(rc == 0 and "lifted" in out, "undel: %s" % out)
    rc, out = ctl(ctl_exe, sock, "list", "--overrides")
    check(rc == 0 and "no overrides" in out, "after undel: %s" % out)
    rc, out = ctl(ctl_exe, sock, "undel", "domain", names[1])
    check(rc == 3 and "not_found" in out, "a second undel: %s" % out)
    rc, out = ctl(ctl_exe, sock, "load", feed)
    check(rc == 0 and "4 indicators" in out and "overridden" not in out,
          "a load after undel: %s" % out)
    check(set(names) <= domains(sock), "undel did not let the feed bring "
          "the indicator back")

    # add lifts the override of what it adds.
    rc, out = ctl(ctl_exe, sock, "del", "domain", names[2])
    check(rc == 0, "del: %s" % out)
    rc, out = ctl(ctl_exe, sock, "add", "domain", names[2])
    check(rc == 0, "add: %s" % out)
    rc, out = ctl(ctl_exe, sock, "list", "--overrides")
    check(rc == 0 and "no overrides" in out, "add kept the override: %s" % out)

    # A snapshot of the version a load made, started after a later
    # undel: it holds the overrides of then (the undel done), and the
    # undel is applied again at start. del, load, undel, then 8 adds
    # (rollback_depth) make that load's version the oldest kept.
    rc, out = ctl(ctl_exe, sock, "del", "domain", names[3])
    check(rc == 0, "del: %s" % out)
    before = {f for f in os.listdir(state) if f.startswith("snapshot-")}
    rc, out = ctl(ctl_exe, sock, "load", feed)
    check(rc == 0, "load: %s" % out)
    rc, out = ctl(ctl_exe, sock, "undel", "domain", names[3])
    check(rc == 0, "undel: %s" % out)
    late = ["after-undel-%d.example" % i for i in range(8)]
    for name in late:
        check(request(sock, {"cmd": "add", "type": "domain",
                             "value": name})["ok"], "add %s" % name)
    deadline = time.time() + 30
    while time.time() < deadline and {f for f in os.listdir(state) if
                                      f.startswith("snapshot-")} <= before:
        request(sock, {"cmd": "status"})
        time.sleep(0.2)
    check(daemon.stop() == 0, "iocsift did not exit 0")
    daemon = Daemon(iocsift, state, sock, capture, log + ".4")
    daemon.wait_ready()
    unusable = [f for f in os.listdir(state) if f.endswith(".unusable")]
    check(not unusable and set(late) <= domains(sock),
          "after an undel replayed over a snapshot started after it: "
          "set aside %s, listed %s" % (unusable, sorted(domains(sock))))
    check(daemon.stop() == 0, "iocsift did not exit 0")
    print("overrides: a del outlives loads, SIGHUP, kill -9 and a snapshot "
          "(%s); undel and add lift it, and an undel is applied again over "
          "a later snapshot" % over)


def main():
    iocsift, ctl_exe, src, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    capture = os.path.join(src, "tests", "data", "captures",
                           "tcpdump-syslog_udp.pcap")
    locks(iocsift, capture, work)
    kill_during_adds(iocsift, capture, work)
    full_disk(iocsift, capture, work)
    shrink_guard(iocsift, ctl_exe, capture, work)
    overrides(iocsift, ctl_exe, capture, work)
    print("PASS")


if __name__ == "__main__":
    main()
