#!/usr/bin/python3
"""fleet_test.py -- one push, every appliance (issue 14): a real nats-server
with JetStream on loopback (users soc and appliance, the appliance's
permissions read-only on the fleet's stream), three `iocsift run`
appliances on net_pcap following it with --fleet, and iocsiftctl --fleet
pushing.

  converge  an add pushed once reaches all three within 1 s (each one's
            status shows the revision and `iocsiftctl test` matches it);
            `iocsiftctl --fleet status` lists the three at lag 0.
  invalid   a load that fails validation is reported by every appliance
            (last_error names the revision) and none applies it: their
            database versions stay.
  catchup   one appliance stopped; an add, a load of a feed larger than
            one NATS message (chunks and a manifest) and a del pushed; it
            starts again on its state dir and catches up to the same
            revision and the same answers as the others.
  restart   nats-server restarted (SIGTERM, then started on its store)
            in the middle of 20 pushes, each retried until acknowledged:
            every appliance applies every one of them; while it is down, a
            local add on an appliance's socket applies at once.
  readonly  the appliance's credentials cannot publish a change: refused,
            and the stream's end does not move.

usage: fleet_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR [CASE...]
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsyslog_lib import check, fail, udp_frame, write_pcap  # noqa: E402
from nats_lib import NatsServer  # noqa: E402
from siem_test import Ctl, Daemon  # noqa: E402

CASES = ("converge", "invalid", "catchup", "restart", "readonly")
NAMES = ("branch-a", "branch-b", "branch-c")
CONVERGE_S = 1.0
SOC_PASSWORD = "soc-secret"
APPLIANCE_PASSWORD = "appliance-secret"

SERVER_CONFIG = """
authorization {
  users = [
    { user: soc, password: %(soc)s }
    { user: appliance, password: %(appliance)s, permissions: {
        publish: {
          allow: ["$JS.API.INFO",
                  "$JS.API.STREAM.INFO.IOCSIFT_FLEET",
                  "$JS.API.STREAM.MSG.GET.IOCSIFT_FLEET",
                  "$JS.API.STREAM.INFO.KV_IOCSIFT_APPLIANCES",
                  "$KV.IOCSIFT_APPLIANCES.>",
                  "iocsift.events.>"]
        }
        subscribe: { allow: ["_INBOX.>"] }
    } }
  ]
}
"""


class Fleet:
    def __init__(self, iocsift, ctl_exe, src, work):
        self.iocsift, self.ctl_exe, self.src, self.work = iocsift, ctl_exe, src, work
        conf = os.path.join(work, "nats.conf")
        with open(conf, "w") as f:
            f.write(SERVER_CONFIG % {"soc": SOC_PASSWORD,
                                     "appliance": APPLIANCE_PASSWORD})
        self.server = NatsServer(work, "nats", config=conf)
        for user, password in (("soc", SOC_PASSWORD),
                               ("appliance", APPLIANCE_PASSWORD)):
            with open(os.path.join(work, user + ".password"), "w") as f:
                f.write(password + "\n")
        self.capture = os.path.join(work, "quiet.pcap")
        write_pcap(self.capture, [udp_frame(
            "10.9.0.1", "10.9.0.2", 40000, 514, b"<14>Dec  5 08:00:00 h app: hello")])
        self.feed = os.path.join(src, "data", "3cx.csv")
        self.daemons = {}

    def uri(self, user, site=None):
        u = "%s?user=%s&password_file=%s" % (
            self.server.url, user, os.path.join(self.work, user + ".password"))
        return u + ("&site=" + site if site else "")

    def push(self, *args, user="soc", timeout=10, check_rc=True):
        p = subprocess.run([self.ctl_exe, "--fleet", self.uri(user), "--json",
                            "--timeout", str(timeout)] + list(args),
                           capture_output=True, text=True)
        if check_rc and p.returncode != 0:
            fail("iocsiftctl --fleet %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                        p.stderr.strip()))
        return p

    def revision(self, p):
        return json.loads(p.stdout)["revision"]

    def start(self, name):
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        sock = os.path.join(d, "control.sock")
        daemon = Daemon(self.iocsift,
                        ["--socket", sock, "--state-dir", os.path.join(d, "state"),
                         "-f", self.feed, "-o", os.path.join(d, "events.jsonl"),
                         "--fleet", self.uri("appliance", name),
                         "--", "--no-pci", "--no-huge", "-m", "256",
                         "--lcores=0@0,1@1", "--file-prefix=fleet%d%s" % (os.getpid(), name),
                         "--vdev=net_pcap0,rx_pcap=" + self.capture],
                        os.path.join(d, "iocsift.log"))
        ctl = Ctl(self.ctl_exe, sock)
        daemon.wait_ready(ctl)
        self.daemons[name] = (daemon, ctl)
        return daemon, ctl

    def stop(self, name):
        daemon, _ = self.daemons.pop(name)
        check(daemon.stop() == 0, "%s: iocsift run did not exit 0" % name)

    def fleet_state(self, name):
        return self.daemons[name][1]("status").get("fleet") or {}

    def wait_revision(self, revision, names=None, timeout=30.0):
        """Seconds until every appliance applied revision."""
        names = names or list(self.daemons)
        started = time.time()
        pending = set(names)
        while pending:
            for name in list(pending):
                if self.fleet_state(name).get("revision", 0) >= revision:
                    pending.discard(name)
            if not pending:
                break
            if time.time() - started > timeout:
                fail("revision %d not applied within %.0f s by %s: %s" % (
                    revision, timeout, sorted(pending),
                    {n: self.fleet_state(n) for n in pending}))
            time.sleep(0.01)
        return time.time() - started

    def matches(self, name, value):
        ctl = self.daemons[name][1]
        p = subprocess.run([ctl.exe, "-s", ctl.sock, "test", "connect to %s:443" % value],
                           capture_output=True, text=True)
        return p.returncode == 0

    def stop_all(self):
        for name in list(self.daemons):
            self.daemons.pop(name)[0].kill()
        self.server.stop()


def case_converge(fleet):
    p = fleet.push("add", "domain", "c2-converge.fleet-test.example")
    revision = fleet.revision(p)
    seconds = fleet.wait_revision(revision)
    for name in NAMES:
        check(fleet.matches(name, "c2-converge.fleet-test.example"),
              "converge: %s does not match the pushed domain" % name)
    status = json.loads(fleet.push("status").stdout)
    seen = {a["name"]: a for a in status["appliances"]}
    check(set(NAMES) <= set(seen) and all(seen[n]["lag"] == 0 for n in NAMES),
          "converge: iocsiftctl --fleet status shows %s" % status)
    check(seconds <= CONVERGE_S, "converge: %.2f s to reach all three (at most %.1f)"
          % (seconds, CONVERGE_S))
    print("converge: revision %d applied by all three in %.3f s; fleet status: %s" %
          (revision, seconds, ", ".join("%s r%d db%s" % (n, seen[n]["revision"],
                                                         seen[n].get("db_version"))
                                        for n in NAMES)))


def case_invalid(fleet):
    versions = {n: fleet.daemons[n][1]("status")["db_version"] for n in NAMES}
    bad = os.path.join(fleet.work, "bad.csv")
    with open(bad, "w") as f:
        f.write("type,value\ndomain,ok.fleet-test.example\nbogus,x\n")
    revision = fleet.revision(fleet.push("load", bad))
    fleet.wait_revision(revision)
    for name in NAMES:
        state = fleet.fleet_state(name)
        check(state["error_revision"] == revision and "invalid_feed" in state["last_error"]
              and state["failed"] >= 1,
              "invalid: %s does not report revision %d: %s" % (name, revision, state))
        check(fleet.daemons[name][1]("status")["db_version"] == versions[name],
              "invalid: %s changed its database" % name)
        check(not fleet.matches(name, "ok.fleet-test.example"),
              "invalid: %s applied part of the refused feed" % name)
    print("invalid: revision %d refused by all three (%s); database versions kept %s" %
          (revision, fleet.fleet_state(NAMES[0])["last_error"][:90], versions))


def case_catchup(fleet):
    late = NAMES[2]
    fleet.stop(late)
    r1 = fleet.revision(fleet.push("add", "domain", "c2-late.fleet-test.example"))
    big = os.path.join(fleet.work, "big.csv")
    with open(big, "w") as f:
        f.write("type,value,tags\n")
        for i in range(30000):
            f.write("domain,bulk%05d.fleet-bulk.example,bulk\n" % i)
    check(os.path.getsize(big) > 1 << 20, "catchup: the big feed is too small")
    r2 = fleet.revision(fleet.push("load", big, timeout=60))
    r3 = fleet.revision(fleet.push("del", "domain", "c2-converge.fleet-test.example"))
    check(r1 < r2 < r3 and r2 - r1 > 2, "catchup: revisions %d %d %d (the load "
          "should be chunks and a manifest)" % (r1, r2, r3))
    fleet.wait_revision(r3, names=NAMES[:2])
    started = time.time()
    fleet.start(late)
    seconds = fleet.wait_revision(r3, names=[late])
    for name in NAMES:
        check(fleet.matches(name, "c2-late.fleet-test.example") and
              fleet.matches(name, "bulk01234.fleet-bulk.example") and
              not fleet.matches(name, "c2-converge.fleet-test.example"),
              "catchup: %s answers differently" % name)
    counts = {n: fleet.daemons[n][1]("status")["indicators"] for n in NAMES}
    check(len(set(counts.values())) == 1, "catchup: indicator counts differ: %s" % counts)
    print("catchup: %s restarted %.1f s after revisions %d..%d (a %d-byte feed in %d "
          "messages) and applied them in %.2f s; %s indicators everywhere" %
          (late, time.time() - started - seconds, r1, r3, os.path.getsize(big),
           r2 - r1, seconds, counts[late]))


def case_restart(fleet):
    revisions, retried = [], 0
    for i in range(20):
        if i == 10:
            fleet.server.stop()
            # NATS down: the local socket still takes changes.
            local = fleet.daemons[NAMES[0]][1]
            local("add", "domain", "c2-local.fleet-test.example")
            check(fleet.matches(NAMES[0], "c2-local.fleet-test.example"),
                  "restart: a local add while NATS was down did not apply")
            fleet.server.start()
        while True:
            p = fleet.push("add", "domain", "c2-r%02d.fleet-test.example" % i,
                           timeout=3, check_rc=False)
            if p.returncode == 0:
                revisions.append(fleet.revision(p))
                break
            retried += 1
            check(retried < 40, "restart: pushes keep failing: %s" % p.stderr)
            time.sleep(0.25)
    seconds = fleet.wait_revision(revisions[-1], timeout=60)
    for name in NAMES:
        missing = [i for i in range(20)
                   if not fleet.matches(name, "c2-r%02d.fleet-test.example" % i)]
        check(not missing, "restart: %s lacks pushes %s" % (name, missing))
    print("restart: 20 pushes with nats-server restarted at the 11th (%d retried by "
          "the pusher), revisions %d..%d; every appliance has all 20 (%.2f s after "
          "the last)" % (retried, revisions[0], revisions[-1], seconds))


def case_readonly(fleet):
    before = json.loads(fleet.push("status").stdout)["last"]
    p = fleet.push("add", "domain", "c2-forged.fleet-test.example", user="appliance",
                   timeout=2, check_rc=False)
    after = json.loads(fleet.push("status").stdout)["last"]
    check(p.returncode == 3 and "Permissions Violation" in p.stderr,
          "readonly: the appliance's credentials were not refused (exit %d): %s %s"
          % (p.returncode, p.stdout, p.stderr))
    check(after == before, "readonly: the stream moved from %d to %d" % (before, after))
    time.sleep(0.5)
    for name in NAMES:
        check(not fleet.matches(name, "c2-forged.fleet-test.example"),
              "readonly: %s applied the forged change" % name)
    print("readonly: the appliance user could not publish (exit %d: %s); the stream "
          "stays at %d" % (p.returncode, p.stderr.strip()[:200], after))


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    iocsift, ctl_exe, src, work = [os.path.abspath(a) for a in sys.argv[1:5]]
    cases = sys.argv[5:] or list(CASES)
    for c in cases:
        check(c in CASES, "unknown case %s (%s)" % (c, ", ".join(CASES)))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fleet = Fleet(iocsift, ctl_exe, src, work)
    fleet.server.start()
    started = time.time()
    try:
        # The stream and the bucket, made by the SOC's first push.
        fleet.push("add", "domain", "c2-first.fleet-test.example")
        for name in NAMES:
            fleet.start(name)
        fleet.wait_revision(1)
        for c in cases:
            t = time.time()
            globals()["case_" + c](fleet)
            print("%s: passed in %.1f s" % (c, time.time() - t))
    finally:
        fleet.stop_all()
    print("fleet_test: %d cases passed in %.1f s" % (len(cases), time.time() - started))


if __name__ == "__main__":
    main()
