#!/usr/bin/python3
"""check_test.py -- `iocsift run --check` and config errors (issue 12).

1. A good config with every kind of thing in it (a port, feeds, the state
   dir, the socket's directory, file, TCP, UDP sinks and their spool)
   checks out: one line per thing, exit 0; a TCP receiver that is down is
   a warning, not an error. Nothing is written or created.
2. Each kind of failure is an error line naming it, and exit status 2:
   the config (missing, a bad key), a feed (a bad line: FILE:LINE, a
   missing file), a sink (a URI that does not parse, a TLS CA that is
   not there, a file sink's missing directory, two sinks spooling in one
   place), the state dir, the spool dir, the socket's directory, the
   socket group, a port's PCI device, interface and capture.
3. Without --check, a config error prints the error and one line "see
   'iocsift --help'", no usage text, exit 2; a mistake on the command
   line prints the short usage.

usage: check_test.py IOCSIFT SOURCE_DIR WORKDIR
"""
import os
import shutil
import socket
import subprocess
import sys


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def run(iocsift, args):
    p = subprocess.run([iocsift, "run"] + args, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def lines_of(out):
    """The check lines: (level, text) without the summary."""
    result = []
    for line in out.splitlines():
        if line.startswith("iocsift run --check:"):
            continue
        level, _, text = line.partition(" ")
        result.append((level, text.strip()))
    return result


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class Config:
    """A config whose every path is in the scratch dir; each failure case
    changes one thing."""

    def __init__(self, work, src):
        self.work = work
        self.feed = os.path.join(work, "feeds", "3cx.csv")
        os.makedirs(os.path.dirname(self.feed), exist_ok=True)
        shutil.copy(os.path.join(src, "data", "3cx.csv"), self.feed)
        os.makedirs(os.path.join(work, "log"), exist_ok=True)
        self.capture = write(os.path.join(work, "empty.pcap"), "")
        self.ports = ["net_af_packet0,iface=lo",
                      "net_pcap1,rx_pcap=" + self.capture]
        self.control = {"socket": os.path.join(work, "run", "control.sock"),
                        "state_dir": os.path.join(work, "state")}
        self.feeds = [self.feed]
        self.sinks = []
        self.sinks_extra = []
        self.exports = []
        self.history = []

    def text(self):
        out = []
        for device in self.ports:
            out += ["[port]", "device = " + device]
        out.append("[control]")
        out += ["%s = %s" % kv for kv in self.control.items()]
        out.append("[feeds]")
        out += ["feed = " + f for f in self.feeds]
        out.append("[sinks]")
        out += ["sink = " + s for s in self.sinks]
        out += self.sinks_extra
        if self.exports:
            out += ["[exports]"] + self.exports
        if self.history:
            out += ["[history]"] + self.history
        return "\n".join(out) + "\n"

    def write(self, name):
        return write(os.path.join(self.work, name), self.text())


def good_config(iocsift, cfg, receiver_port, closed_port):
    cfg.sinks = ["file://%s/log/hits.json" % cfg.work,
                 "tcp://127.0.0.1:%d?format=rfc5424&name=siem" % receiver_port,
                 "tcp://127.0.0.1:%d?name=down" % closed_port,
                 "udp://127.0.0.1:5514?format=cef"]
    path = cfg.write("good.conf")
    # A state dir the config names must exist; its spool is made in it.
    os.makedirs(os.path.join(cfg.work, "state"), exist_ok=True)
    rc, out, err = run(iocsift, ["--check", "-c", path])
    check(rc == 0, "good config: exit %d\n%s%s" % (rc, out, err))
    lines = lines_of(out)
    texts = [t for _, t in lines]
    want = [
        ("ok", "config %s: 2 ports, 1 feed, 4 sinks" % path),
        ("ok", "port net_af_packet0,iface=lo: interface lo exists"),
        ("ok", "port net_pcap1,rx_pcap=%s: capture %s readable" %
         (cfg.capture, cfg.capture)),
        ("ok", "feed %s: 97 indicators" % cfg.feed),
        ("ok", "state dir %s/state: writable" % cfg.work),
        ("ok", "control socket directory %s/run: missing, made (mode 0755) "
         "at the start in %s" % (cfg.work, cfg.work)),
        ("ok", "sink file-hits.json: %s/log/hits.json created when the sink "
         "opens it, in a writable %s/log" % (cfg.work, cfg.work)),
        ("ok", "sink siem: connected to 127.0.0.1 port %d (closed again, "
         "nothing sent)" % receiver_port),
        ("warning", "sink down: cannot connect to 127.0.0.1 (127.0.0.1 port "
         "%d: Connection refused); events wait in the spool until it "
         "answers" % closed_port),
        ("ok", "sink udp-127.0.0.1-5514: 127.0.0.1 resolves to 127.0.0.1 "
         "(UDP: nothing to connect to)"),
        ("ok", "spool dir %s/state/spool: missing, made (mode 0700) at the "
         "start, after %s/state" % (cfg.work, cfg.work)),
        ("ok", "history dir %s/state/history: missing, made (mode 0700) at "
         "the start, after %s/state" % (cfg.work, cfg.work)),
    ]
    check(lines == want, "good config: got\n%s\nwant\n%s" %
          ("\n".join("%s %s" % l for l in lines),
           "\n".join("%s %s" % l for l in want)))
    check(out.splitlines()[-1] == "iocsift run --check: 0 errors, 1 warning",
          "summary: " + out.splitlines()[-1])
    for made in ("state/spool", "run", "log/hits.json"):
        check(not os.path.exists(os.path.join(cfg.work, made)),
              "--check made %s" % made)
    # Existing directories are said to be writable; the command line
    # counts as it does for a start (--state-dir, -f, --sink).
    os.makedirs(os.path.join(cfg.work, "state2", "spool"))
    extra = write(os.path.join(cfg.work, "extra.csv"),
                  "type,value\ndomain,extra.example\n")
    rc, out, _ = run(iocsift, ["--check", "-c", path, "--state-dir",
                               os.path.join(cfg.work, "state2"), "-f", extra,
                               "--sink", "file://%s/log/other.json" % cfg.work])
    texts = [t for _, t in lines_of(out)]
    check(rc == 0 and "state dir %s/state2: writable" % cfg.work in texts and
          "spool dir %s/state2/spool: writable" % cfg.work in texts and
          "feed %s: 1 indicators" % extra in texts and
          not any(t.startswith("sink siem") for t in texts) and
          any(t.startswith("sink file-other.json") for t in texts),
          "command line over the config: exit %d\n%s" % (rc, out))
    # No config at all: the defaults, no sink.
    rc, out, _ = run(iocsift, ["--check", "--state-dir",
                               os.path.join(cfg.work, "state2"), "--socket",
                               os.path.join(cfg.work, "state2", "c.sock")])
    texts = [t for _, t in lines_of(out)]
    check(rc == 0 and "config: none given, the defaults" in texts and
          "sinks: none, events go to stdout" in texts,
          "no config: exit %d\n%s" % (rc, out))
    print("good config: %d lines, exit 0, a receiver down is a warning, "
          "nothing made" % len(lines))


def failures(iocsift, cfg, src):
    """Each case: a change to the good config, and the error line it must
    give (a prefix)."""
    work = cfg.work
    bad_feed = write(os.path.join(work, "bad.csv"),
                     "type,value\ndomain,ok.example\nmd5,nothex\n")
    not_dir = write(os.path.join(work, "plain-file"), "x")
    cases = []

    def case(name, change, want, count=1):
        cases.append((name, change, want, count))

    case("missing config", None, "config %s/nothing.conf: No such file or "
         "directory" % work)
    case("bad key", lambda c: c.sinks_extra.append("colour = blue"),
         "config %s/case.conf:12: unknown key 'colour' in [sinks]" % work)
    case("bad feed line", lambda c: c.feeds.append(bad_feed),
         "feed %s:3: " % bad_feed)
    case("missing feed", lambda c: c.feeds.append(work + "/none.csv"),
         "feed %s/none.csv: No such file or directory" % work)
    case("bad sink URI", lambda c: c.sinks.append("tcp://127.0.0.1:1?bogus=1"),
         "sink 'tcp://127.0.0.1:1?bogus=1': ")
    case("missing TLS CA",
         lambda c: c.sinks.append("tls://127.0.0.1:6514?ca=%s/ca.pem" % work),
         "sink tls-127.0.0.1-6514: CA '%s/ca.pem': " % work)
    case("file sink directory",
         lambda c: c.sinks.append("file://%s/nolog/hits.json" % work),
         "sink file-hits.json: directory %s/nolog: No such file or directory;"
         " make it: install -d -m 0750 %s/nolog" % (work, work))
    case("two sinks, one spool",
         lambda c: c.sinks.extend(["udp://127.0.0.1:1?name=same",
                                   "udp://127.0.0.1:2?name=same"]),
         "sink same: the name of an earlier sink too")
    case("state dir missing", lambda c: c.control.update(
        state_dir=work + "/no/state"),
        "state dir %s/no/state: missing (a directory named in the config or "
        "on the command line is not made); make it: install -d -m 0750 "
        "%s/no/state" % (work, work))
    case("state dir is a file", lambda c: c.control.update(state_dir=not_dir),
         "state dir %s: not a directory" % not_dir, 3)
    case("spool dir", lambda c: (c.sinks.append("udp://127.0.0.1:1"),
                                 c.sinks_extra.append(
                                     "spool_dir = %s/no/spool" % work)),
         "spool dir %s/no/spool: missing (a directory named in the config or "
         "on the command line is not made); make it: install -d -m 0700 "
         "%s/no/spool" % (work, work))
    case("history dir", lambda c: c.history.append(
        "history_dir = %s/no/history" % work),
        "history dir %s/no/history: missing (a directory named in the config "
        "or on the command line is not made); make it: install -d -m 0700 "
        "%s/no/history" % (work, work))
    case("export dir", lambda c: c.exports.append(
        "export_dir = %s/no/exports" % work),
        "export dir %s/no/exports: missing (a directory named in the config "
        "or on the command line is not made); make it: install -d -m 0755 "
        "%s/no/exports" % (work, work))
    bad_allow = write(os.path.join(work, "allow.txt"),
                      "corp.example\n10.0.0.1/8\n")
    case("export allow-list", lambda c: c.exports.append(
        "export_allow = %s" % bad_allow),
        "export allow-list %s:2: host bits set in network: '10.0.0.1/8' "
        "(nothing would be exported)" % bad_allow)
    case("socket directory", lambda c: c.control.update(
        socket=work + "/no/run/control.sock"),
        "control socket directory %s/no/run: missing" % work)
    case("socket group", lambda c: c.control.update(
        socket_group="no-such-group-iocsift"),
        "socket group no-such-group-iocsift: no such group")
    case("interface", lambda c: c.ports.append("net_af_packet2,iface=nosuch0"),
         "port net_af_packet2,iface=nosuch0: no interface nosuch0")
    case("PCI device", lambda c: c.ports.append("0000:fe:1f.7"),
         "port 0000:fe:1f.7: no such PCI device")
    case("capture", lambda c: c.ports.append(
        "net_pcap3,rx_pcap=%s/none.pcap" % work),
        "port net_pcap3,rx_pcap=%s/none.pcap: capture %s/none.pcap: No such "
        "file or directory" % (work, work))

    for name, change, want, count in cases:
        c = Config(work, src)
        c.sinks = ["udp://127.0.0.1:5514"]
        if change is None:
            path = os.path.join(work, "nothing.conf")
        else:
            change(c)
            path = c.write("case.conf")
        rc, out, err = run(iocsift, ["--check", "-c", path])
        errors = [t for level, t in lines_of(out) if level == "error"]
        check(rc == 2, "%s: exit %d, expected 2\n%s%s" % (name, rc, out, err))
        check(len(errors) == count and errors[0].startswith(want),
              "%s: errors %s, expected %d, the first starting %r\n%s" %
              (name, errors, count, want, out))
        check(out.splitlines()[-1].startswith(
            "iocsift run --check: %d error%s," % (count, "s"[:count > 1])),
            "%s: summary %r" % (name, out.splitlines()[-1]))
    print("failures: %d kinds, each its error line and exit 2" % len(cases))


def config_errors(iocsift, work):
    """Without --check: the error and one line, no usage text."""
    bad = write(os.path.join(work, "typo.conf"), "[port]\ndevic = net_null0\n")
    for path, first in ((bad, "%s:2: unknown key 'devic' in [port]" % bad),
                        (work + "/absent.conf",
                         "%s/absent.conf: No such file or directory" % work)):
        rc, out, err = run(iocsift, ["-c", path, "--", "--no-huge"])
        check(rc == 2 and err == first + "\nsee 'iocsift --help'\n" and
              out == "", "config error: exit %d, stderr %r" % (rc, err))
    # The command line's own mistakes: the short usage, not the help.
    rc, _, err = run(iocsift, ["--state-dir"])
    check(rc == 2 and "usage: iocsift run" in err and
          "see 'iocsift run --help'" in err and "--feed-format" not in err and
          len(err.splitlines()) <= 4, "usage error: exit %d\n%s" % (rc, err))
    print("config errors: FILE:LINE and one line, exit 2; usage errors: "
          "the short usage")


def main():
    iocsift, src, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.listen(4)
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))     # bound, never listening: refused
    try:
        good_config(iocsift, Config(work, src), receiver.getsockname()[1],
                    closed.getsockname()[1])
        failures(iocsift, Config(work, src), src)
        config_errors(iocsift, work)
    finally:
        receiver.close()
        closed.close()
    print("PASS")


if __name__ == "__main__":
    main()
