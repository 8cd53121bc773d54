#!/usr/bin/python3
"""siem_test.py -- iocsift's SIEM sinks against a real rsyslog (issue 5).

Each case starts its own rsyslogd from Debian (rsyslogd -n -f CONF -i PID,
its work directory in WORKDIR, imtcp/imudp on free loopback ports, every
message received written by omfile as one JSON object per line through a
template of rsyslog's own properties). The system's rsyslog and
/etc/rsyslog.conf are never touched.

  tcp      replay -> tcp://127.0.0.1:PORT?format=ecs: every expected event
           arrives exactly once (by event.id), each MSG is JSON for rsyslog's
           mmjsonparse, for Python and for jq; the same ids as the file sink.
  tls      the same over TLS: a test CA made with openssl now, a server
           certificate for localhost/127.0.0.1 (SANs), a client certificate
           that rsyslog requires (ossl driver, x509/certvalid); the name
           check by IP SAN and by DNS SAN. Then a CA that did not sign the
           server's certificate: nothing delivered, errors, all spooled.
  formats  rfc5424, cef, leef over TCP: rsyslog's RFC 5424 parser sees
           HOSTNAME, APP-NAME, MSGID, STRUCTURED-DATA (mmpstrucdata parses the
           iocsift@32473 element as we do); CEF starts with CEF:0|, LEEF with
           LEEF:2.0|; exactly once by id; the message that hit reads, after
           rsyslog, as it was received (event.original of the ECS file
           sink, escaped as docs/events.md says), hostile payloads included:
           quotes, backslashes, '=', '|', ']', CR/LF, tab, NUL, invalid
           UTF-8, forged CEF/LEEF/JSON ids, a message cut at 4096 bytes.
           And UDP (rfc5424): what arrives parses.
  outage   `iocsift run` on net_af_packet over a veth pair from a network
           namespace, tcpreplay at 500 packets/s for 64 s, a TCP sink and a
           file sink (the record of every event); rsyslog is stopped
           (SIGTERM) at 15 s for 30 s and started again. Every id of the file
           sink reaches rsyslog at least once; dropped == 0; the sink retried
           or spooled.
  kill9    rsyslog down, `iocsift run` spools its events (spool_records > 0),
           kill -9, rsyslog up, iocsift again with the same --state-dir: every
           event of the file sink written before the kill arrives.

usage: siem_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR [CASE...]
Needs root (veth, namespaces), rsyslog and rsyslog-openssl, openssl, jq,
tcpreplay, iproute2.
"""
import atexit
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsyslog_lib import (Rsyslog, check, fail, file_events,  # noqa: E402
                         file_ids, free_port, shown_text, make_ca, make_cert, parse_cef, parse_leef,
                         parse_sd, read_pcap, udp_frame, write_pcap, SD_ID,
                         check_header, ids_of, exactly_once, check_ecs)
from netns import require_root, setup_network  # noqa: E402

PYTHON = "/usr/bin/python3"
CASES = ("tcp", "tls", "formats", "outage", "kill9")
# What `iocsiftctl --json stats` shows of each sink (at least).
SINK_STATS = {"name", "uri", "format", "connected", "queued", "sent", "spooled",
              "retried", "dropped", "spool_records", "spool_bytes"}
SYNTH_MESSAGES = 5000

# The outage case.
OUTAGE_PPS = 500
OUTAGE_SECONDS = 64
OUTAGE_DOWN_AT = 15
OUTAGE_DOWN_FOR = 30
OUTAGE_DOMAINS = 10

# Messages that hit journalide.org (data/3cx.csv) once each and carry what
# breaks naive escaping: quotes, backslashes, '=', '|', ']', CR/LF, tab,
# NUL, invalid UTF-8, a JSON and a CEF look-alike.
HOSTILE = [
    b'<14>1 2026-11-26T10:00:01Z edr01 agent 7 ID1 [x@1 a="q\\"b\\\\c\\]d"] '
    b'quote" back\\slash eq=ual pipe| bracket] to journalide.org done',
    b'<14>Nov 26 10:00:02 fw01 proxy[3]: CEF:0|fake|x|1|2|3|4|externalId=forged '
    b'src=1.1.1.1 host journalide.org msg=a\\=b|c',
    b'<14>Nov 26 10:00:03 fw02 proxy[3]: {"event":{"id":"forged"}} line1\nline2\r\n'
    b'journalide.org \ttab',
    b'<14>Nov 26 10:00:04 edr02 agent: nul\x00byte then journalide.org and '
    b'bad utf8 \xff\xfe\xc3( end',
    b'<14>Nov 26 10:00:05 edr03 agent: LEEF:2.0|a|b|c|d|^|eventId=forged^x=y '
    b'journalide.org ]"]\\"',
    b'journalide.org ' + b'A' * 5000 + b' =|]"\\',  # cut at 4096
]


# --------------------------------------------------------------------------
# iocsift


class Ctl:
    def __init__(self, exe, sock):
        self.exe, self.sock = exe, sock

    def __call__(self, *args, check_rc=True):
        p = subprocess.run([self.exe, "-s", self.sock, "--json"] + list(args),
                           capture_output=True, text=True)
        if check_rc and p.returncode != 0:
            fail("iocsiftctl %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                  p.stderr.strip()))
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def state(self, name):
        """The sink's delivery counters, without those that grow while it
        retries (errors, connects): what wait_stable compares."""
        sink = self.sink(name)[0]
        return {k: sink[k] for k in ("connected", "queued", "sent", "spooled",
                                     "retried", "dropped", "spool_records")}

    def sink(self, name):
        stats = self("stats")
        for s in stats.get("sinks", []):
            if s["name"] == name:
                missing = SINK_STATS - set(s)
                check(not missing, "stats: sink %s lacks %s: %s" %
                      (name, sorted(missing), s))
                return s, stats
        fail("stats: no sink named %s in %s" % (name, stats.get("sinks")))



def named_dirs(args):
    """Directories named on the command line must exist (docs/deployment.md,
    "Directories"): made here as an operator does with install -d."""
    for flag in ("--state-dir", "--spool-dir"):
        if flag in args:
            os.makedirs(args[args.index(flag) + 1], mode=0o750, exist_ok=True)


class Daemon:
    """`iocsift run` with its stderr in a log file."""

    def __init__(self, iocsift, args, log):
        self.log = log
        named_dirs(args)
        self.proc = subprocess.Popen([iocsift, "run"] + args,
                                     stderr=open(log, "w"))
        atexit.register(self.kill)

    def text(self):
        return open(self.log, errors="replace").read()

    def wait_ready(self, ctl, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("iocsift exited %d:\n%s" % (self.proc.returncode, self.text()))
            if os.path.exists(ctl.sock) and subprocess.run(
                    [ctl.exe, "-s", ctl.sock, "status"],
                    capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        fail("iocsift did not answer:\n" + self.text())

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("iocsift did not exit within %d s of SIGTERM" % timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def eal(tag, vdev):
    """EAL arguments of a run: its own file prefix, one worker."""
    cpus = os.cpu_count() or 1
    lcores = "-l0,1" if cpus > 1 else "--lcores=0@0,1@0"
    return ["--", "--no-pci", lcores, "--file-prefix=iocsiem%d%s" % (os.getpid(), tag),
            "--vdev=" + vdev]


def replay(iocsift, feed, capture, sinks, work, out=None, timeout=180):
    """iocsift replay with --throttle-window 0: (exit status, stderr)."""
    cmd = [iocsift, "replay", "-f", feed, "--throttle-window", "0",
           "--spool-dir", os.path.join(work, "spool")]
    named_dirs(cmd)
    if out:
        cmd += ["-o", out]
    for uri in sinks:
        cmd += ["--sink", uri]
    cmd.append(capture)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr


def sink_lines(stderr):
    """The replay summary's sink lines."""
    return [line.strip() for line in stderr.splitlines()
            if re.match(r"\s*sink \S+: ", line)]


def wait_workers(ctl, frames, timeout=60):
    deadline = time.time() + timeout
    while True:
        stats = ctl("stats")
        handled = sum(w["packets"] for w in stats["workers"])
        if handled >= frames:
            return stats
        check(time.time() < deadline, "the workers handled %d of %d frames" %
              (handled, frames))
        time.sleep(0.1)


def wait_stable(probe, done, timeout, settle=1.0):
    """Calls probe() until done(value) holds and the value has not changed
    for settle seconds; returns the last value (done or not)."""
    deadline = time.time() + timeout
    last, since = None, time.time()
    while True:
        value = probe()
        if value != last:
            last, since = value, time.time()
        elif done(value) and time.time() - since >= settle:
            return value
        if time.time() > deadline:
            return value
        time.sleep(0.2)


# --------------------------------------------------------------------------
# Captures


class Context:
    def __init__(self, iocsift, ctl, src, work):
        self.iocsift, self.ctl_exe, self.src, self.work = iocsift, ctl, src, work
        self.feed = os.path.join(src, "data", "3cx.csv")
        self._capture = None

    def capture(self):
        """perf/synth_capture.py's capture plus the hostile messages:
        (path, expected events)."""
        if self._capture:
            return self._capture
        synth = os.path.join(self.work, "synth")
        p = subprocess.run([PYTHON, os.path.join(self.src, "perf", "synth_capture.py"),
                            "--feed", self.feed, "--out", synth,
                            "--messages", str(SYNTH_MESSAGES)],
                           capture_output=True, text=True)
        check(p.returncode == 0, "synth_capture.py: %s" % p.stderr)
        summary = json.load(open(os.path.join(synth, "summary.json")))
        frames = read_pcap(os.path.join(synth, "capture.pcap"))
        sec, usec = frames[-1][0], frames[-1][1]
        for i, payload in enumerate(HOSTILE):
            frames.append((sec + 1 + i, usec, udp_frame(
                "10.66.0.%d" % (i + 1), "10.66.255.1", 41000 + i, 514, payload,
                ident=i)))
        path = os.path.join(self.work, "siem.pcap")
        write_pcap(path, frames)
        self._capture = (path, summary["expected_hits"] + len(HOSTILE))
        return self._capture


def outage_feed(work):
    path = os.path.join(work, "siem.csv")
    with open(path, "w") as f:
        f.write("type,value,tags,source,severity\n")
        for k in range(OUTAGE_DOMAINS):
            f.write("domain,c2-%d.siem-test.example,\"siem,c2\",https://example.org/r%d,"
                    "%s\n" % (k, k, ("low", "medium", "high", "critical")[k % 4]))
    return path


def outage_capture(path, count, hit_every=2):
    """count syslog messages, one in hit_every naming one indicator of
    outage_feed(): returns how many hit."""
    frames, hits = [], 0
    for seq in range(count):
        words = "seq=%d user=bob bytes=%d" % (seq, seq * 7 % 9000)
        if seq % hit_every == 0:
            words += " connect to c2-%d.siem-test.example:443" % (seq % OUTAGE_DOMAINS)
            hits += 1
        else:
            words += " connect to intranet%d.example.net:443" % (seq % 13)
        msg = "<14>Nov 26 10:00:00 host%02d proxy[7]: %s" % (seq % 30, words)
        frames.append(udp_frame("10.7.%d.%d" % (seq % 5, 1 + seq % 200), "10.7.255.1",
                                40000 + seq % 1000, 514, msg.encode(), ident=seq))
    write_pcap(path, frames)
    return hits


# --------------------------------------------------------------------------
# Cases


def check_text(fmt, records, ids, events):
    """The message that hit, as rsyslog handed it over, is the message
    iocsift received (event.original of the same event in the ECS file
    sink), escaped as docs/events.md says: hostile bytes included."""
    compared = 0
    for rec, eid in zip(records, ids):
        event = events[eid]
        original = event.get("event", {}).get("original")
        if event.get("network", {}).get("protocol") != "syslog" or original is None:
            continue
        if fmt == "rfc5424":
            text = rec["msg"]
            theirs = rec["parsed"].get("rfc5424-sd", {})
            mine = parse_sd(rec["sd"])
            check(theirs == mine, "rfc5424: mmpstrucdata read %r, the SD says %r" %
                  (theirs, mine))
        elif fmt == "cef":
            text = parse_cef(rec["msg"])[1].get("msg")
        else:
            text = parse_leef(rec["msg"])[1].get("msg")
        want = shown_text(original, fmt)
        check(text == want, "%s: event %s shows the message as\n  %r\nreceived as"
              "\n  %r" % (fmt, eid, (text or "")[:400], want[:400]))
        compared += 1
    check(compared > 0, "%s: no syslog message to compare" % fmt)
    return compared


def case_tcp(ctx):
    work = os.path.join(ctx.work, "tcp")
    os.makedirs(work)
    capture, expected = ctx.capture()
    port = free_port()
    rs = Rsyslog(work, "rsyslog", tcp_port=port)
    rs.start()
    try:
        record = os.path.join(work, "file-sink.jsonl")
        started = time.time()
        rc, err = replay(ctx.iocsift, ctx.feed, capture,
                         ["tcp://127.0.0.1:%d?format=ecs&name=siem-tcp" % port,
                          "file://%s?name=record" % record], work)
        elapsed = time.time() - started
        check(rc == 0, "tcp: replay exited %d:\n%s" % (rc, err))
        rs.wait_count(expected)
    finally:
        rs.stop()
    records = rs.records()
    for rec in records:
        check_header(rec, "tcp")
    ids = check_ecs(records, "tcp", work)
    exactly_once("tcp", ids, file_ids(record), expected)
    print("tcp: %d events expected (%d synthetic + %d hostile), %d received by "
          "rsyslog, %d distinct event.id, every MSG JSON for mmjsonparse and jq; "
          "replay %.1f s" % (expected, expected - len(HOSTILE), len(HOSTILE),
                             len(ids), len(set(ids)), elapsed))
    for line in sink_lines(err):
        print("tcp:   " + line)


def case_tls(ctx):
    work = os.path.join(ctx.work, "tls")
    pki = os.path.join(work, "pki")
    os.makedirs(pki)
    capture, expected = ctx.capture()
    ca = make_ca(pki, "ca")
    server = make_cert(pki, "server", ca, "localhost",
                       san="DNS:localhost,IP:127.0.0.1")
    client = make_cert(pki, "client", ca, "iocsift", usage="clientAuth")
    other_ca = make_ca(pki, "other-ca")
    tls = dict(ca=ca[0], cert=server[0], key=server[1], auth="x509/certvalid")
    port_ip, port_dns = free_port(), free_port()
    rs_ip = Rsyslog(work, "rsyslog-ip", tcp_port=port_ip, tls=tls)
    rs_dns = Rsyslog(work, "rsyslog-dns", tcp_port=port_dns, tls=tls)
    rs_ip.start()
    rs_dns.start()
    client_params = "ca=%s&cert=%s&key=%s" % (ca[0], client[0], client[1])
    try:
        record = os.path.join(work, "file-sink.jsonl")
        started = time.time()
        rc, err = replay(ctx.iocsift, ctx.feed, capture,
                         ["tls://127.0.0.1:%d?format=ecs&name=siem-tls-ip&%s" %
                          (port_ip, client_params),
                          "tls://localhost:%d?format=ecs&name=siem-tls-dns&%s" %
                          (port_dns, client_params),
                          "file://%s?name=record" % record], work)
        elapsed = time.time() - started
        check(rc == 0, "tls: replay exited %d:\n%s" % (rc, err))
        rs_ip.wait_count(expected)
        rs_dns.wait_count(expected)
    finally:
        rs_ip.stop()
        rs_dns.stop()
    want = file_ids(record)
    for rs, what in ((rs_ip, "tls (127.0.0.1, IP SAN)"),
                     (rs_dns, "tls (localhost, DNS SAN)")):
        records = rs.records()
        for rec in records:
            check_header(rec, what)
        ids = check_ecs(records, what.split()[0] + "-" + rs.name, work)
        exactly_once(what, ids, want, expected)
        print("%s: %d events expected, %d received exactly once, client "
              "certificate required by rsyslog (ossl, x509/certvalid)" %
              (what, expected, len(ids)))
    print("tls: replay %.1f s" % elapsed)

    # A CA that did not sign the server's certificate: the handshake fails,
    # nothing is delivered, every event waits in the spool.
    rs_neg = Rsyslog(work, "rsyslog-neg", tcp_port=free_port(), tls=tls)
    rs_neg.start()
    sock = os.path.join(work, "neg.sock")
    neg_record = os.path.join(work, "neg-file-sink.jsonl")
    state = os.path.join(work, "neg-state")
    name = "siem-tls-wrong-ca"
    frames = len(read_pcap(capture))
    daemon = Daemon(ctx.iocsift,
                    ["--socket", sock, "--state-dir", state, "-f", ctx.feed,
                     "--throttle-window", "0",
                     "--sink", "tls://127.0.0.1:%d?format=ecs&name=%s&backoff_max=1s"
                     "&ca=%s&cert=%s&key=%s" % (rs_neg.tcp_port, name, other_ca[0],
                                                client[0], client[1]),
                     "--sink", "file://%s?name=record" % neg_record]
                    + eal("neg", "net_pcap0,rx_pcap=" + capture),
                    os.path.join(work, "neg-iocsift.log"))
    ctl = Ctl(ctx.ctl_exe, sock)
    try:
        daemon.wait_ready(ctl)
        wait_workers(ctl, frames)
        made = wait_stable(lambda: len(file_ids(neg_record)),
                           lambda n: n >= expected, 30)
        sink = wait_stable(lambda: ctl.state(name),
                           lambda s: s["spool_records"] >= made, 30)
        sink = ctl.sink(name)[0]
        exit_status = daemon.stop()
    finally:
        daemon.kill()
        rs_neg.stop()
    log = daemon.text()
    received = rs_neg.count()
    reason = [line for line in log.splitlines()
              if "verif" in line.lower() or "certificate" in line.lower()]
    print("tls, wrong CA: %d events made, rsyslog received %d; sink: connected %s, "
          "sent %d, errors %s, spooled %d, spool_records %d, dropped %d; iocsift "
          "exit %d" % (made, received, sink["connected"], sink["sent"],
                       sink.get("errors"), sink["spooled"], sink["spool_records"],
                       sink["dropped"], exit_status))
    if reason:
        print("tls, wrong CA: iocsift logged: " + reason[0].strip())
    check(made == expected, "tls, wrong CA: the file sink has %d events, expected %d"
          % (made, expected))
    check(received == 0, "tls, wrong CA: rsyslog received %d records" % received)
    check(not sink["connected"], "tls, wrong CA: the sink says it is connected")
    check(sink.get("errors", 1) > 0, "tls, wrong CA: no errors counted: %s" % sink)
    check(sink["spool_records"] == made and sink["spooled"] >= made and
          sink["dropped"] == 0,
          "tls, wrong CA: %d events, the sink spooled %d, holds %d, dropped %d" %
          (made, sink["spooled"], sink["spool_records"], sink["dropped"]))
    check(reason, "tls, wrong CA: iocsift logged no certificate error:\n" + log)
    spool = os.path.join(state, "spool", name)
    segs = [f for f in os.listdir(spool) if f.endswith(".seg")] \
        if os.path.isdir(spool) else []
    check(segs and sum(os.path.getsize(os.path.join(spool, f)) for f in segs) > 16,
          "tls, wrong CA: no spool segment left in %s after SIGTERM" % spool)


def case_formats(ctx):
    work = os.path.join(ctx.work, "formats")
    os.makedirs(work)
    capture, expected = ctx.capture()
    port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    rs = Rsyslog(work, "rsyslog", tcp_port=port, udp_port=udp_port)
    rs.start()
    hostname = None
    try:
        for fmt, prefix in (("rfc5424", None), ("cef", "CEF:0|"),
                            ("leef", "LEEF:2.0|")):
            before = rs.count()
            record = os.path.join(work, fmt + "-file-sink.jsonl")
            rc, err = replay(ctx.iocsift, ctx.feed, capture,
                             ["tcp://127.0.0.1:%d?format=%s&name=siem-%s" %
                              (port, fmt, fmt),
                              "file://%s?name=record" % record], work)
            check(rc == 0, "%s: replay exited %d:\n%s" % (fmt, rc, err))
            rs.wait_count(before + expected)
            records = rs.records()[before:]
            for rec in records:
                check_header(rec, fmt)
                if prefix:
                    check(rec["msg"].startswith(prefix),
                          "%s: MSG does not start with %s: %r" %
                          (fmt, prefix, rec["msg"][:200]))
                    check(rec["sd"] == "-", "%s: STRUCTURED-DATA %r, expected -" %
                          (fmt, rec["sd"][:200]))
                    try:
                        parsed = parse_cef(rec["msg"]) if fmt == "cef" else \
                            parse_leef(rec["msg"])
                    except ValueError as e:
                        fail("%s: %s: %r" % (fmt, e, rec["msg"][:400]))
                    check(parsed is not None and
                          len(parsed[0]) == (7 if fmt == "cef" else 6),
                          "%s: the header does not parse: %r" % (fmt, rec["msg"][:300]))
                else:
                    try:
                        mine = parse_sd(rec["sd"])
                    except ValueError as e:
                        fail("rfc5424: STRUCTURED-DATA does not parse (%s): %r" %
                             (e, rec["sd"][:300]))
                    theirs = rec["parsed"].get("rfc5424-sd", {}).get(SD_ID)
                    check(SD_ID in mine and theirs is not None and
                          theirs.get("id") == mine[SD_ID].get("id"),
                          "rfc5424: rsyslog's mmpstrucdata saw %r, the SD is %r" %
                          (rec["parsed"].get("rfc5424-sd"), rec["sd"][:300]))
                if hostname is None:
                    hostname = rec["hostname"]
                check(rec["hostname"] == hostname, "%s: HOSTNAME %r, then %r" %
                      (fmt, hostname, rec["hostname"]))
            ids = ids_of(fmt, records, fmt)
            exactly_once(fmt, ids, file_ids(record), expected)
            compared = check_text(fmt, records, ids, file_events(record))
            sample = records[0]
            print("%s: %d events expected, %d received exactly once, %d messages "
                  "as received; rsyslog saw HOSTNAME %s APP-NAME %s MSGID %s SD %s; "
                  "MSG %s" %
                  (fmt, expected, len(ids), compared, sample["hostname"], sample["app"],
                   sample["msgid"], sample["sd"][:60] + ("..." if len(sample["sd"]) > 60
                                                         else ""),
                   sample["msg"][:70] + "..."))

        # UDP: a datagram can be lost; what arrives must parse.
        before = rs.count()
        rc, err = replay(ctx.iocsift, ctx.feed, capture,
                         ["udp://127.0.0.1:%d?format=rfc5424&name=siem-udp" % udp_port],
                         work)
        check(rc == 0, "udp: replay exited %d:\n%s" % (rc, err))
        rs.wait_count(before + expected, timeout=10)
        records = rs.records()[before:]
        for rec in records:
            check_header(rec, "udp")
            check(rec["input"] == "imudp", "udp: record from %s" % rec["input"])
        ids = ids_of("rfc5424", records, "udp")
        check(len(records) > 0 and len(set(ids)) == len(ids),
              "udp: %d received, %d distinct ids" % (len(ids), len(set(ids))))
        print("udp (rfc5424): %d of %d datagrams received, each parsed by rsyslog" %
              (len(records), expected))
    finally:
        rs.stop()


def case_outage(ctx):
    work = os.path.join(ctx.work, "outage")
    os.makedirs(work)
    feed = outage_feed(work)
    capture = os.path.join(work, "traffic.pcap")
    total = OUTAGE_PPS * OUTAGE_SECONDS
    hits = outage_capture(capture, total)
    tag = "%d" % os.getpid()
    ns, host_if, peer_if = "iocs" + tag, "iocs%sa" % tag, "iocs%sb" % tag
    port = free_port()
    rs = Rsyslog(work, "rsyslog", tcp_port=port, lean=True)
    rs.start()
    record = os.path.join(work, "file-sink.jsonl")
    sock = os.path.join(work, "control.sock")
    name = "siem-outage"
    setup_network(ns, host_if, peer_if)
    daemon = Daemon(ctx.iocsift,
                    ["--socket", sock, "--state-dir", os.path.join(work, "state"),
                     "-f", feed, "--throttle-window", "0",
                     "--sink", "tcp://127.0.0.1:%d?format=ecs&name=%s&backoff_max=2s"
                     % (port, name),
                     "--sink", "file://%s?name=record" % record]
                    + eal("out", "net_af_packet0,iface=" + host_if),
                    os.path.join(work, "iocsift.log"))
    ctl = Ctl(ctx.ctl_exe, sock)
    timeline = []
    try:
        daemon.wait_ready(ctl)
        replay_proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpreplay", "-i", peer_if,
             "--pps=%d" % OUTAGE_PPS, capture],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started = time.time()
        peak, seen_down = 0, False
        phase = "up"
        while replay_proc.poll() is None:
            now = time.time() - started
            if phase == "up" and now >= OUTAGE_DOWN_AT:
                rs.stop()
                timeline.append("rsyslog stopped at %.1f s" % now)
                phase = "down"
            elif phase == "down" and now >= OUTAGE_DOWN_AT + OUTAGE_DOWN_FOR:
                rs.start()
                timeline.append("started again at %.1f s" % (time.time() - started))
                phase = "back"
            sink, _ = ctl.sink(name)
            peak = max(peak, sink["spool_records"])
            seen_down |= phase == "down" and not sink["connected"]
            time.sleep(0.5)
        out, _ = replay_proc.communicate()
        check(replay_proc.returncode == 0, "tcpreplay: " + out)
        check(phase == "back", "tcpreplay ended after %.1f s, before the outage was "
              "over" % (time.time() - started))
        sent = int(re.search(r"Successful packets:\s+(\d+)", out).group(1))
        traffic = time.time() - started
        # Everything made is delivered: the spool empties and nothing is
        # left waiting (sent covers what was queued, resends included).
        made = wait_stable(lambda: len(file_ids(record)), lambda n: n > 0, 30)
        sink = wait_stable(lambda: ctl.state(name),
                           lambda s: s["connected"] and s["spool_records"] == 0 and
                           s["queued"] >= made and s["sent"] >= s["queued"], 90,
                           settle=3.0)
        drained = time.time() - started - traffic
        sink, stats = ctl.sink(name)
        exit_status = daemon.stop()
    finally:
        daemon.kill()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    rs.wait_count(made, timeout=20)
    rs.stop()
    record_sink = [s for s in stats["sinks"] if s["name"] == "record"][0]
    want = file_ids(record)
    got = collections.Counter(ids_of("ecs", rs.records(), "outage"))
    missing = [i for i in want if i not in got]
    extra = [i for i in got if i not in set(want)]
    dups = sum(n - 1 for n in got.values() if n > 1)
    workers = stats["workers"]
    print("outage: %d packets sent in %.1f s (%d messages hit); %s, %s" %
          (sent, traffic, hits, timeline[0], timeline[1] if len(timeline) > 1 else "-"))
    print("outage: file sink %d events; rsyslog received %d records, %d distinct, "
          "%d duplicates, %d missing, %d unknown; drained %.1f s after the traffic"
          % (len(want), sum(got.values()), len(got), dups, len(missing), len(extra),
             drained))
    print("outage: tcp sink queued %d sent %d spooled %d retried %d dropped %d "
          "connects %s errors %s, peak spool %d records; file sink dropped %d; "
          "workers drop_ring_full %d; iocsift exit %d" %
          (sink["queued"], sink["sent"], sink["spooled"], sink["retried"],
           sink["dropped"], sink.get("connects"), sink.get("errors"), peak,
           record_sink["dropped"], sum(w.get("drop_ring_full", 0) for w in workers),
           exit_status))
    check(sent == total, "outage: tcpreplay sent %d of %d" % (sent, total))
    check(len(want) == made and made > 0, "outage: the file sink has no events")
    if len(want) != hits:
        print("outage: note: %d messages hit, the file sink has %d events" %
              (hits, len(want)))
    check(seen_down, "outage: the sink never reported the outage (connected)")
    check(not missing, "outage: %d of %d events never reached rsyslog: %s" %
          (len(missing), len(want), missing[:5]))
    check(not extra, "outage: rsyslog got ids the file sink does not have: %s" %
          extra[:5])
    check(sink["dropped"] == 0 and record_sink["dropped"] == 0,
          "outage: dropped %d (tcp), %d (file)" % (sink["dropped"],
                                                   record_sink["dropped"]))
    check(sink["retried"] + sink["spooled"] > 0,
          "outage: neither retried nor spooled: %s" % sink)
    check(exit_status == 0, "outage: iocsift exited %d" % exit_status)


def case_kill9(ctx):
    work = os.path.join(ctx.work, "kill9")
    os.makedirs(work)
    feed = outage_feed(work)
    capture = os.path.join(work, "burst.pcap")
    count = 2000
    hits = outage_capture(capture, count)
    quiet = os.path.join(work, "quiet.pcap")
    write_pcap(quiet, [udp_frame("10.8.0.1", "10.8.255.1", 40000, 514,
                                 b"<14>Nov 26 10:00:00 h1 app: nothing here")])
    port = free_port()
    rs = Rsyslog(work, "rsyslog", tcp_port=port)
    record = os.path.join(work, "file-sink.jsonl")
    sock = os.path.join(work, "control.sock")
    state = os.path.join(work, "state")
    name = "siem-kill9"
    sinks = ["--sink", "tcp://127.0.0.1:%d?format=ecs&name=%s&backoff_max=1s" %
             (port, name), "--sink", "file://%s?name=record" % record]
    ctl = Ctl(ctx.ctl_exe, sock)
    # rsyslog is down: every event goes to the spool.
    daemon = Daemon(ctx.iocsift,
                    ["--socket", sock, "--state-dir", state, "-f", feed,
                     "--throttle-window", "0"] + sinks +
                    eal("k1", "net_pcap0,rx_pcap=" + capture),
                    os.path.join(work, "iocsift-1.log"))
    try:
        daemon.wait_ready(ctl)
        wait_workers(ctl, count)
        made = wait_stable(lambda: len(file_ids(record)), lambda n: n >= hits, 30)
        wait_stable(lambda: ctl.state(name),
                    lambda s: s["spool_records"] >= made, 30)
        sink = ctl.sink(name)[0]
        daemon.proc.kill()
        daemon.proc.wait()
    finally:
        daemon.kill()
    before_kill = file_ids(record)
    print("kill9: %d events made while rsyslog was down; the sink: connected %s, "
          "spooled %d, spool_records %d (%d bytes); kill -9" %
          (len(before_kill), sink["connected"], sink["spooled"], sink["spool_records"],
           sink["spool_bytes"]))
    check(len(before_kill) == hits, "kill9: the file sink has %d events, %d messages "
          "hit" % (len(before_kill), hits))
    check(sink["spool_records"] > 0 and sink["spool_records"] == len(before_kill),
          "kill9: %d events, spool_records %d" % (len(before_kill),
                                                   sink["spool_records"]))
    rs.start()
    started = time.time()
    daemon = Daemon(ctx.iocsift,
                    ["--socket", sock, "--state-dir", state, "-f", feed,
                     "--throttle-window", "0"] + sinks +
                    eal("k2", "net_pcap0,rx_pcap=" + quiet),
                    os.path.join(work, "iocsift-2.log"))
    try:
        daemon.wait_ready(ctl)
        rs.wait_count(len(before_kill), timeout=60)
        sink = wait_stable(lambda: ctl.state(name),
                           lambda s: s["spool_records"] == 0, 30)
        arrived = time.time() - started
        exit_status = daemon.stop()
    finally:
        daemon.kill()
        rs.stop()
    got = collections.Counter(ids_of("ecs", rs.records(), "kill9"))
    missing = [i for i in before_kill if i not in got]
    extra = [i for i in got if i not in set(before_kill)]
    dups = sum(n - 1 for n in got.values() if n > 1)
    print("kill9: after the restart rsyslog received %d records, %d distinct, %d "
          "duplicates, %d missing, %d unknown, in %.1f s; the sink sent %d, "
          "spool_records %d; iocsift exit %d" %
          (sum(got.values()), len(got), dups, len(missing), len(extra), arrived,
           sink["sent"], sink["spool_records"], exit_status))
    check(not missing, "kill9: %d of %d spooled events never arrived: %s" %
          (len(missing), len(before_kill), missing[:5]))
    check(not extra, "kill9: rsyslog got ids the file sink does not have: %s" %
          extra[:5])
    check(sink["spool_records"] == 0, "kill9: %d records left in the spool" %
          sink["spool_records"])


def main():
    require_root("siem_test")
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    iocsift, ctl_exe, src, work = [os.path.abspath(a) for a in sys.argv[1:5]]
    cases = sys.argv[5:] or list(CASES)
    for c in cases:
        check(c in CASES, "unknown case %s (%s)" % (c, ", ".join(CASES)))
    for tool in ("rsyslogd", "openssl", "jq", "tcpreplay", "ip"):
        check(shutil.which(tool) or os.path.exists("/usr/sbin/" + tool),
              "%s is not installed (apt-get install rsyslog rsyslog-openssl "
              "openssl jq tcpreplay iproute2)" % tool)
    check(os.path.exists("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so") or
          "tls" not in cases or any(
              os.path.exists(os.path.join(d, "lmnsd_ossl.so"))
              for d in ("/usr/lib/rsyslog", "/usr/lib64/rsyslog")),
          "rsyslog's ossl driver is missing (apt-get install rsyslog-openssl)")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ctx = Context(iocsift, ctl_exe, src, work)
    started = time.time()
    for c in cases:
        t = time.time()
        globals()["case_" + c](ctx)
        print("%s: passed in %.1f s" % (c, time.time() - t))
        sys.stdout.flush()
    print("all %d cases in %.1f s" % (len(cases), time.time() - started))
    print("PASS")


if __name__ == "__main__":
    main()
