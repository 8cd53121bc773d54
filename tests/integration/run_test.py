#!/usr/bin/python3
"""run_test.py -- `iocsift run` and iocsiftctl end to end (issue 4).

1. The software fan-out: a net_pcap port has one RX queue; with two workers
   the first spreads flows over both. The events equal those of `iocsift
   replay` over the same capture, and both workers handled packets.
2. The example config from docs/examples (its paths pointed into a scratch
   dir) starts on a vdev and serves every iocsiftctl command, with human and
   --json output and their exit codes.
3. Bad requests (malformed JSON, unknown command, protocol version 2, an
   oversized line, a feed that fails validation) get error replies and
   change nothing; the socket is mode 0660 and refuses another user.
4. Prometheus and DPDK telemetry show the counters.
5. SIGHUP reloads the configured feeds; kill -9 and a restart resume the
   same version in under a second.

usage: run_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR
"""
import collections
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request

PYTHON = "/usr/bin/python3"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def named_dirs(args):
    """Directories named on the command line must exist (docs/deployment.md,
    "Directories"): made here as an operator does with install -d."""
    for flag in ("--state-dir", "--spool-dir"):
        if flag in args:
            os.makedirs(args[args.index(flag) + 1], mode=0o750, exist_ok=True)


class Daemon:
    def __init__(self, iocsift, args, log):
        self.log = log
        named_dirs(args)
        self.proc = subprocess.Popen([iocsift, "run"] + args,
                                     stderr=open(log, "w"))

    def wait_ready(self, ctl, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("iocsift exited %d:\n%s" % (self.proc.returncode,
                                                 open(self.log).read()))
            if ctl.call("status", check=False)[0] == 0:
                return
            time.sleep(0.1)
        fail("iocsift did not answer:\n" + open(self.log).read())

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


class Ctl:
    def __init__(self, exe, sock):
        self.exe, self.sock = exe, sock

    def call(self, *args, check=True, json_out=True, user=None):
        cmd = [self.exe, "-s", self.sock] + (["--json"] if json_out else []) + \
            list(args)
        if user is not None:
            cmd = ["setpriv", "--reuid=" + user, "--regid=nogroup",
                   "--clear-groups"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True)
        if check and p.returncode != 0:
            fail("iocsiftctl %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                  p.stderr.strip()))
        result = p.stdout
        if json_out and p.returncode in (0, 1) and result.strip():
            result = json.loads(result)
        return p.returncode, result, p.stderr


def raw_request(sock_path, payload):
    """Sends bytes, returns the parsed reply line."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.split(b"\n")[0])


def event_pairs(path):
    pairs = collections.Counter()
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            # Everything but what names this run: iocsift's own object
            # (worker, frame number), the event id, the observer.
            e.pop("iocsift", None)
            e.pop("observer", None)
            e["event"].pop("id", None)
            pairs[json.dumps(e, sort_keys=True)] += 1
    return pairs


def fanout(iocsift, ctl_exe, src, work):
    feed = os.path.join(src, "data", "3cx.csv")
    subprocess.run([PYTHON, os.path.join(src, "perf", "synth_capture.py"),
                    "--feed", feed, "--out", work, "--messages", "3000"],
                   check=True, capture_output=True)
    capture = os.path.join(work, "capture.pcap")
    frames = json.load(open(os.path.join(work, "summary.json")))["frames"]
    replay_events = os.path.join(work, "replay.jsonl")
    subprocess.run([iocsift, "replay", "-f", feed, "-o", replay_events, capture],
                   check=True, capture_output=True)
    sock = os.path.join(work, "fanout.sock")
    events = os.path.join(work, "run.jsonl")
    cpus = os.cpu_count() or 1
    lcores = "-l0-2" if cpus > 2 else "--lcores=0@0,(1-2)@%d" % min(1, cpus - 1)
    daemon = Daemon(iocsift, ["--socket", sock, "--state-dir",
                              os.path.join(work, "fanout-state"), "-f", feed,
                              "-o", events, "--throttle-window", "0",
                              "--", "--no-pci", lcores,
                              "--file-prefix=iocrun%d" % os.getpid(),
                              "--vdev=net_pcap0,rx_pcap=" + capture],
                    os.path.join(work, "fanout.log"))
    ctl = Ctl(ctl_exe, sock)
    daemon.wait_ready(ctl)
    deadline = time.time() + 60
    while True:
        stats = ctl.call("stats")[1]
        handled = sum(w["packets"] for w in stats["workers"])
        if handled + sum(w["drop_fanout_full"] for w in stats["workers"]) >= frames:
            break
        check(time.time() < deadline, "fan-out: %d of %d frames" % (handled, frames))
        time.sleep(0.1)
    # Hits per indicator: counted per version, carried to the next one by
    # each swap (here an add), equal to the events of each indicator.
    want_hits = collections.Counter()
    for line in open(replay_events):
        e = json.loads(line)
        want_hits[e["threat"]["enrichments"][0]["matched"]["atomic"]] += 1
    while ctl.call("stats")[1]["exporter"]["events"] < sum(want_hits.values()):
        check(time.time() < deadline, "fan-out: the exporter did not finish")
        time.sleep(0.1)
    ctl.call("add", "domain", "carry-over.example")
    top = ctl.call("stats", "--top", "1000")[1]["indicators"]
    got_hits = collections.Counter({i["value"]: i["hits"] for i in top})
    check(got_hits == want_hits, "hits per indicator after a swap: %s, events "
          "say %s" % (sorted(got_hits.items())[:5], sorted(want_hits.items())[:5]))
    # --top 0: no ranking, rather than an empty one read as "no hits".
    zero = ctl.call("stats", "--top", "0")[1]
    check("indicators" not in zero, "stats --top 0 ranked: %s" % zero.get("indicators"))
    human = ctl.call("stats", "--top", "0", json_out=False)[1]
    check("no indicator has hits" not in human and "FEED" not in human,
          "stats --top 0 printed a ranking: " + human)
    check(daemon.stop() == 0, "fan-out: iocsift did not exit 0")
    workers = stats["workers"]
    check(len(workers) == 2, "fan-out: %d workers" % len(workers))
    check(all(w["packets"] > 0 for w in workers), "fan-out: a worker got nothing")
    check(sum(w["drop_fanout_full"] for w in workers) == 0, "fan-out drops")
    check(workers[0]["fanout_sent"] == workers[1]["packets"],
          "fan-out: sent %d, second worker handled %d" %
          (workers[0]["fanout_sent"], workers[1]["packets"]))
    got, want = event_pairs(events), event_pairs(replay_events)
    check(sum(want.values()) > 0, "fan-out: the replay found nothing")
    check(got == want, "fan-out: events differ from replay: missing %s extra %s" %
          (list((want - got).items())[:3], list((got - want).items())[:3]))
    print("fan-out: %d frames over 2 workers (%d and %d), %d events as in "
          "replay, hits of %d indicators carried over a swap"
          % (frames, workers[0]["packets"], workers[1]["packets"],
             sum(got.values()), len(want_hits)))


def dead_port():
    """A loopback TCP port nobody listens on (bound, then closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def example_args(src, work, prefix):
    """docs/examples/iocsift.conf as it is; the command line moves the
    socket and state dir into the scratch dir and adds the feed, and two
    sinks: a file, and a TCP receiver that is not there."""
    feed = os.path.join(work, "feeds", "3cx.csv")
    os.makedirs(os.path.dirname(feed), exist_ok=True)
    shutil.copy(os.path.join(src, "data", "3cx.csv"), feed)
    sock = os.path.join(work, "control.sock")
    return ["-c", os.path.join(src, "docs", "examples", "iocsift.conf"),
            "--socket", sock, "--state-dir", os.path.join(work, "state"),
            "--prometheus", "127.0.0.1:19464", "-f", feed,
            "--sink", "file://%s?name=hits" % os.path.join(work, "hits.json"),
            "--sink", "tcp://127.0.0.1:%d?name=siem&backoff_max=1s" % dead_port(),
            "--", "--file-prefix=" + prefix], sock


def sinks_visible(ctl):
    """Plain status and stats show every sink: up or down, its counters,
    its last error; the throttle and the persist errors too."""
    deadline = time.time() + 20
    while True:
        sinks = {s["name"]: s for s in ctl.call("status")[1]["sinks"]}
        if "last_error" in sinks.get("siem", {}):
            break
        check(time.time() < deadline, "status: the dead sink has no error: %s" % sinks)
        time.sleep(0.2)
    check(sinks["hits"]["connected"] and not sinks["siem"]["connected"],
          "sinks: %s" % sinks)
    check("Connection refused" in sinks["siem"]["last_error"], "siem: %s" % sinks["siem"])
    stats = ctl.call("stats")[1]
    check([s["name"] for s in stats["sinks"]] == ["hits", "siem"] and
          "throttle_window_s" in stats["exporter"], "stats: %s" % stats["exporter"])
    for command in ("status", "stats"):
        human = ctl.call(command, json_out=False)[1]
        lines = human.splitlines()
        check(any(l.startswith("SINK ") and "LAST_ERROR" in l for l in lines),
              "%s: no sink table:\n%s" % (command, human))
        siem = [l for l in lines if l.startswith("siem ")]
        hits = [l for l in lines if l.startswith("hits ")]
        check(siem and " down " in siem[0] and "Connection refused" in siem[0],
              "%s: siem row:\n%s" % (command, human))
        check(hits and " up " in hits[0], "%s: hits row:\n%s" % (command, human))
        check("persist errors  0 changes not saved" in human and
              "throttle        60 s window" in human,
              "%s: persist errors or throttle missing:\n%s" % (command, human))
    print("sinks: status and stats show both, the dead one down with its error")


def commands(ctl, work):
    rc, status, _ = ctl.call("status")
    check(status["indicators"] == 97 and status["feeds"][0]["name"] == "3cx",
          "status: %s" % status)
    version = status["db_version"]
    rc, human, _ = ctl.call("status", json_out=False)
    check("db version" in human and "3cx" in human, "human status: " + human)
    rc, v, _ = ctl.call("version")
    check(v["protocol"] == 1 and v["hyperscan"] and v["dpdk"], "version: %s" % v)

    rc, added, _ = ctl.call("add", "domain", "Evil-Test[.]example",
                            "--tags", "t1", "--expires", "2099-01-01",
                            "--severity", "high")
    check(added["db_version"] == version + 1, "add: %s" % added)
    rc, listed, _ = ctl.call("list", "--type", "domain", "--feed", "cli")
    check([i["value"] for i in listed["indicators"]] == ["evil-test.example"] and
          listed["indicators"][0]["severity"] == "high" and
          listed["indicators"][0]["expires"].startswith("2099-01-01"),
          "list: %s" % listed)
    rc, tested, _ = ctl.call("test", "beacon to cdn.EVIL-TEST.example:443")
    check(rc == 0 and tested["hits"][0]["value"] == "evil-test.example" and
          tested["hits"][0]["matched"].lower() == "evil-test.example",
          "test: %s" % tested)
    rc, _, _ = ctl.call("test", "nothing to see", check=False)
    check(rc == 1, "test without a hit: exit %d, expected 1" % rc)
    rc, _, err = ctl.call("add", "domain", "evil-test.example", check=False)
    check(rc == 3 and "exists" in err, "duplicate add: exit %d %s" % (rc, err))
    rc, _, err = ctl.call("add", "sha256", "abc", check=False)
    check(rc == 3 and "invalid_indicator" in err, "bad add: %d %s" % (rc, err))
    rc, deleted, _ = ctl.call("del", "domain", "evil-test.example")
    check(deleted["removed"] == 1, "del: %s" % deleted)
    rc, _, err = ctl.call("del", "domain", "evil-test.example", check=False)
    check(rc == 3 and "not_found" in err, "del again: %d %s" % (rc, err))
    rc, back, _ = ctl.call("rollback")
    check(back["from"] == version + 2 and back["db_version"] == version + 1,
          "rollback: %s" % back)
    rc, tested, _ = ctl.call("test", "to evil-test.example")
    check(len(tested["hits"]) == 1, "rollback did not bring the indicator back")

    # load: a feed replaces its namesake; a bad one changes nothing.
    feed = os.path.join(work, "extra.csv")
    with open(feed, "w") as f:
        f.write("type,value\ndomain,extra-one.example\nmd5,%s\n" % ("ab" * 16))
    rc, loaded, _ = ctl.call("load", feed)
    check(loaded["feed"] == "extra" and loaded["indicators"] == 2, "load: %s" % loaded)
    before = ctl.call("status")[1]
    bad = os.path.join(work, "extra2.csv")
    with open(bad, "w") as f:
        f.write("type,value\ndomain,fine.example\nsha256,xyz\n")
    rc, _, err = ctl.call("load", bad, "--name", "extra", check=False)
    check(rc == 3 and "invalid_feed" in err and ":3:" in err,
          "bad load: exit %d %s" % (rc, err))
    after = ctl.call("status")[1]
    check(after["db_version"] == before["db_version"] and
          after["indicators"] == before["indicators"], "a bad load changed the db")
    # test names the address an IP or CIDR indicator hit, as written.
    ctl.call("add", "ipv4", "198.51.100.0/24")
    ctl.call("add", "ipv6", "2001:db8::1")
    text = "src=198.51.100.77 dst=2001:DB8:0:0:0:0:0:1 port 443"
    rc, tested, _ = ctl.call("test", text)
    matched = sorted((h["value"], h.get("matched")) for h in tested["hits"])
    check(matched == [("198.51.100.0/24", "198.51.100.77"),
                      ("2001:db8::1", "2001:DB8:0:0:0:0:0:1")],
          "test of addresses: %s" % matched)
    rc, human, _ = ctl.call("test", text, json_out=False)
    rows = [line.split() for line in human.splitlines()[1:]]
    check(sorted((r[0], r[1], r[4]) for r in rows) ==
          [("ipv4", "198.51.100.0/24", "198.51.100.77"),
           ("ipv6", "2001:db8::1", "2001:DB8:0:0:0:0:0:1")],
          "human test of addresses: " + human)
    rc, stats, _ = ctl.call("stats", "--top", "5")
    check("ports" in stats and "workers" in stats and stats["db"]["swaps"] >= 5,
          "stats: %s" % stats)
    rc, human, _ = ctl.call("stats", json_out=False)
    check("WORKER" in human, "human stats: " + human)
    return after


def bad_requests(ctl, sock):
    before = ctl.call("status")[1]
    cases = [
        (b"{not json\n", "bad_request"),
        (b'{"v":1,"cmd":"explode"}\n', "unknown_command"),
        (b'{"v":2,"id":5,"cmd":"status"}\n', "unsupported_version"),
        (b'{"cmd":"status"}\n', "unsupported_version"),
        (b'{"v":1,"cmd":"add","type":"domain"}\n', "bad_request"),
        (b'{"v":1,"cmd":"status","extra":1}\n', "bad_request"),
        (b'{"v":1,"cmd":"test","text":"' + b"a" * (2 << 20) + b'"}\n', "too_large"),
    ]
    for payload, code in cases:
        reply = raw_request(sock, payload)
        check(reply.get("ok") is False and reply["error"]["code"] == code,
              "%r...: %s, expected %s" % (payload[:40], reply, code))
    check(raw_request(sock, b'{"v":2,"id":5,"cmd":"status"}\n').get("id") == 5,
          "an error reply does not echo the id")
    # Several requests on one connection, answered in order.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b'{"v":1,"id":1,"cmd":"version"}\n{"v":1,"id":2,"cmd":"status"}\n')
    data = b""
    while data.count(b"\n") < 2:
        data += s.recv(65536)
    s.close()
    ids = [json.loads(line)["id"] for line in data.splitlines()]
    check(ids == [1, 2], "pipelined replies: %s" % ids)
    after = ctl.call("status")[1]
    check(after["db_version"] == before["db_version"], "bad requests changed the db")
    print("bad requests: %d refused with the right code, database unchanged" %
          len(cases))


def access(ctl, sock):
    mode = stat.S_IMODE(os.stat(sock).st_mode)
    check(mode == 0o660, "socket mode %o, expected 660" % mode)
    rc, _, err = ctl.call("status", check=False, user="nobody")
    check(rc == 4, "user nobody: exit %d (%s), expected 4" % (rc, err.strip()))
    print("socket: mode 0660, user nobody refused (%s)" % err.strip())


def observability(prefix):
    body = urllib.request.urlopen("http://127.0.0.1:19464/metrics",
                                  timeout=10).read().decode()
    for name in ("iocsift_port_rx_packets_total", "iocsift_worker_packets_total",
                 "iocsift_db_version", "iocsift_db_swaps_total"):
        check(name in body, "metrics lack " + name)
    # Sinks, spool, throttle and persist counters, each family with HELP
    # and TYPE, the sinks labelled by name.
    for sample in ('iocsift_sink_up{sink="siem"} 0', 'iocsift_sink_up{sink="hits"} 1',
                   'iocsift_sink_errors_total{sink="siem"} ',
                   'iocsift_sink_spool_records{sink="siem"} ',
                   'iocsift_sink_last_error_timestamp_seconds{sink="siem"} ',
                   "iocsift_exporter_throttle_window_seconds 60",
                   "iocsift_exporter_throttled_total ",
                   "iocsift_db_persist_errors_total 0"):
        check("\n" + sample in body, "metrics lack " + sample)
        name = sample.split("{")[0].split(" ")[0]
        check("# HELP %s " % name in body and "# TYPE %s " % name in body,
              "metrics: %s without HELP or TYPE" % name)
    p = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input="/iocsift/stats\n",
                       capture_output=True, text=True, timeout=30)
    line = [l for l in p.stdout.splitlines() if "/iocsift/stats" in l]
    check(line, "telemetry: no reply: %s %s" % (p.stdout, p.stderr))
    reply = json.loads(line[-1])["/iocsift/stats"]
    check(reply["db"]["version"] > 0, "telemetry: %s" % reply)
    print("metrics: Prometheus and DPDK telemetry answer")


def main():
    iocsift, ctl_exe, src, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)
    fanout(iocsift, ctl_exe, src, work)

    # A feed that fails validation stops the start: status 2, FILE:LINE.
    bad = os.path.join(work, "bad-start.csv")
    with open(bad, "w") as f:
        f.write("type,value\ndomain,ok.example\nmd5,nothex\n")
    os.makedirs(os.path.join(work, "bad-state"))
    p = subprocess.run([iocsift, "run", "--socket", os.path.join(work, "bad.sock"),
                        "--state-dir", os.path.join(work, "bad-state"), "-f", bad,
                        "--", "--no-pci", "--file-prefix=iocbad%d" % os.getpid(),
                        "--vdev=net_pcap0,rx_pcap=" +
                        os.path.join(work, "capture.pcap")],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and bad + ":3: " in p.stderr,
          "bad feed at start: exit %d: %s" % (p.returncode, p.stderr))
    print("bad feed at start: exit 2 with %s:3" % os.path.basename(bad))

    prefix = "iocex%d" % os.getpid()
    args, sock = example_args(src, work, prefix)
    daemon = Daemon(iocsift, args, os.path.join(work, "example.log"))
    ctl = Ctl(ctl_exe, sock)
    try:
        daemon.wait_ready(ctl)
        state = commands(ctl, work)
        sinks_visible(ctl)
        bad_requests(ctl, sock)
        access(ctl, sock)
        observability(prefix)

        # Several clients at once.
        clients = [subprocess.Popen([ctl.exe, "-s", sock, "--json", "stats"],
                                    stdout=subprocess.PIPE) for _ in range(8)]
        for c in clients:
            out, _ = c.communicate(timeout=60)
            check(c.returncode == 0 and "workers" in json.loads(out),
                  "concurrent clients: exit %d" % c.returncode)
        print("8 clients at once: all answered")

        # SIGHUP: the feed, edited, is reloaded.
        with open(os.path.join(work, "feeds", "3cx.csv"), "a") as f:
            f.write("domain,reloaded.example,,\n")
        daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while ctl.call("test", "to reloaded.example", check=False)[0] != 0:
            check(time.time() < deadline, "SIGHUP did not reload the feed")
            time.sleep(0.1)
        state = ctl.call("status")[1]

        # kill -9, then a restart resumes the same version quickly.
        daemon.proc.kill()
        daemon.proc.wait()
        started = time.time()
        daemon = Daemon(iocsift, args, os.path.join(work, "restart.log"))
        daemon.wait_ready(ctl)
        ready = time.time() - started
        resumed = ctl.call("status")[1]
        # The saved version is resumed, then the -f feed is loaded on top
        # of it (one more version, the same indicators).
        check(resumed["db_version"] == state["db_version"] + 1 and
              resumed["indicators"] == state["indicators"] and
              resumed["feeds"] == state["feeds"],
              "after kill -9: %s, before %s" % (resumed, state))
        check(ctl.call("test", "to reloaded.example", check=False)[0] == 0,
              "after kill -9 the reloaded indicator is gone")
        log = open(os.path.join(work, "restart.log")).read()
        check("resumed version %d" % state["db_version"] in log, log)
        print("restart after kill -9: version %d resumed, answering after %.2f s"
              " (EAL start included)" % (state["db_version"], ready))
        check(daemon.stop() == 0, "iocsift did not exit 0 on SIGTERM")
        check(not os.path.exists(sock), "the socket file was left behind")
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
    print("PASS")


if __name__ == "__main__":
    main()
