#!/usr/bin/python3
"""nats_sink_test.py -- the nats:// sink against a real nats-server with
JetStream (issue 14, "Events"). Each case starts its own nats-server from
Debian on a free loopback port, its store in WORKDIR; streams are made and
read back with nats_stream_tool (the NATS C client).

  replay   replay -> nats://...?stream=IOCSIFT&site=branch-1 and a file sink:
           the sink makes the stream; every event of the file sink is in
           the stream exactly once, on iocsift.events.branch-1.TYPE (TYPE
           the indicator's type), its Nats-Msg-Id the event.id, its data
           the event as the file sink wrote it.
  tls      the same over TLS: nats-server with a certificate from a test CA
           (an IP SAN for 127.0.0.1), the sink with ca= and a client
           certificate that the server requires (verify: true): every
           event once. With another CA: nothing stored, the sink's
           last_error says why, every event kept in the spool.
  outage   `iocsift run` over net_pcap with nats-server down: the events
           are spooled. The server comes up with no stream for the
           subject: JetStream refuses (no responders), the error shows in
           stats, nothing is lost. The stream is made: every event arrives
           exactly once.
  restart  `iocsift run` on net_af_packet over a veth pair, tcpreplay at
           400 packets/s for 20 s; nats-server is killed (SIGKILL) at 5 s
           and started again on the same store at 8 s: every event of the
           file sink is in the stream exactly once (what was sent again
           after the crash is deduplicated by its Nats-Msg-Id).

usage: nats_sink_test.py IOCSIFT IOCSIFTCTL NATS_STREAM_TOOL SOURCE_DIR WORKDIR
       [CASE...]
Needs root (veth, namespaces), nats-server, tcpreplay, iproute2.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsyslog_lib import (check, fail, file_events, file_ids,  # noqa: E402
                         make_ca, make_cert)
from nats_lib import NatsServer, StreamTool  # noqa: E402
from netns import require_root, setup_network  # noqa: E402
from siem_test import (Context, Ctl, Daemon, eal, outage_capture,  # noqa: E402
                       outage_feed, replay, sink_lines, wait_stable)

CASES = ("replay", "tls", "outage", "restart")
STREAM = "IOCSIFT"
RESTART_PPS = 400
RESTART_SECONDS = 20
RESTART_KILL_AT = 5
RESTART_BACK_AT = 8


def check_stream(what, messages, events, site):
    """messages (nats_stream_tool's dump) hold every event of the file
    sink exactly once, on its subject, with its id and its data."""
    counts = collections.Counter(m["msg_id"] for m in messages)
    doubled = [i for i, n in counts.items() if n > 1]
    missing = set(events) - set(counts)
    extra = set(counts) - set(events)
    check(not doubled and not missing and not extra,
          "%s: the stream holds %d messages for %d events: %d missing (%s), %d "
          "unknown (%s), %d twice (%s)" % (what, len(messages), len(events),
                                           len(missing), sorted(missing)[:3],
                                           len(extra), sorted(extra)[:3],
                                           len(doubled), doubled[:3]))
    for m in messages:
        event = events[m["msg_id"]]
        want = "iocsift.events.%s.%s" % (site, event["iocsift"]["indicator_type"])
        check(m["subject"] == want, "%s: message %d on %s, expected %s" %
              (what, m["seq"], m["subject"], want))
        data = json.loads(m["data"])
        check(data == event, "%s: message %d is not the event the file sink "
              "has:\n%s\n%s" % (what, m["seq"], m["data"][:300],
                                json.dumps(event)[:300]))


def case_replay(ctx, tool):
    work = os.path.join(ctx.work, "replay")
    os.makedirs(work)
    capture, expected = ctx.capture()
    server = NatsServer(work, "nats")
    server.start()
    try:
        record = os.path.join(work, "file-sink.jsonl")
        started = time.time()
        rc, err = replay(ctx.iocsift, ctx.feed, capture,
                         ["%s?stream=%s&site=branch-1&name=nats" % (server.url, STREAM),
                          "file://%s?name=record" % record], work)
        elapsed = time.time() - started
        check(rc == 0, "replay: replay exited %d:\n%s" % (rc, err))
        events = file_events(record)
        check(len(events) == expected and len(file_ids(record)) == expected,
              "replay: the file sink has %d events, expected %d" %
              (len(events), expected))
        messages = tool.wait_count(server.url, STREAM, expected, timeout=30)
    finally:
        server.stop()
    check_stream("replay", messages, events, "branch-1")
    types = collections.Counter(m["subject"].rsplit(".", 1)[1] for m in messages)
    print("replay: %d events, %d messages in stream %s, each once with its "
          "Nats-Msg-Id and data; subjects by type %s; replay %.1f s" %
          (expected, len(messages), STREAM, dict(types), elapsed))
    for line in sink_lines(err):
        print("replay:   " + line)


def case_tls(ctx, tool):
    work = os.path.join(ctx.work, "tls")
    pki = os.path.join(work, "pki")
    os.makedirs(pki)
    capture, expected = ctx.capture()
    ca = make_ca(pki, "ca")
    other_ca = make_ca(pki, "other-ca")
    server_cert = make_cert(pki, "server", ca, "nats", san="IP:127.0.0.1")
    client_cert = make_cert(pki, "client", ca, "iocsift", usage="clientAuth")
    conf = os.path.join(work, "nats.conf")
    with open(conf, "w") as f:
        f.write('tls {\n  cert_file: "%s"\n  key_file: "%s"\n  ca_file: "%s"\n'
                '  verify: true\n}\n' % (server_cert[0], server_cert[1], ca[0]))
    server = NatsServer(work, "nats", config=conf)
    server.start()
    plain = "%s?stream=%s&site=branch-t&name=nats-tls&cert=%s&key=%s" % (
        server.url, STREAM, client_cert[0], client_cert[1])
    tool_url = "tls://127.0.0.1:%d" % server.port
    try:
        record = os.path.join(work, "file-sink.jsonl")
        rc, err = replay(ctx.iocsift, ctx.feed, capture,
                         [plain + "&ca=" + ca[0], "file://%s?name=record" % record],
                         work)
        check(rc == 0, "tls: replay exited %d:\n%s" % (rc, err))
        events = file_events(record)
        check(len(events) == expected, "tls: the file sink has %d events, expected %d"
              % (len(events), expected))
        messages = tool.wait_count(tool_url, STREAM, expected, timeout=30,
                                   ca=ca[0], cert=client_cert)
        check_stream("tls", messages, events, "branch-t")
        # A CA that did not sign the server's certificate: refused.
        bad = os.path.join(work, "bad")
        os.makedirs(os.path.join(bad, "spool"), mode=0o750)
        # Three seconds for the sink at the end, not replay's 30.
        p = subprocess.run(
            [ctx.iocsift, "replay", "-f", ctx.feed, "--throttle-window", "0",
             "--spool-dir", os.path.join(bad, "spool"), "--drain-timeout", "3",
             "--sink", plain.replace("name=nats-tls", "name=nats-bad") + "&ca=" +
             other_ca[0] + "&backoff_max=1s", capture],
            capture_output=True, text=True, timeout=120)
        err = p.stderr
        check(p.returncode == 3, "tls: with the wrong CA replay exited %d, not 3 "
              "(events not delivered)" % p.returncode)
        after = tool.dump(tool_url, STREAM, ca=ca[0], cert=client_cert)
    finally:
        server.stop()
    line = [ln for ln in sink_lines(err) if ln.startswith("sink nats-bad:") and
            " queued," in ln]
    check(len(after) == expected, "tls: with the wrong CA the stream went from %d "
          "to %d messages" % (expected, len(after)))
    check(line and " 0 sent" in line[0] and "0 dropped" in line[0],
          "tls: with the wrong CA the sink says %s\n%s" % (line, err[-2000:]))
    why = [ln for ln in err.splitlines() if "SSL handshake" in ln]
    check(why, "tls: the wrong CA's failure does not name the handshake:\n" + err[-2000:])
    print("tls: %d events once over TLS with a client certificate; with another CA "
          "nothing stored: %s; %s" % (expected, line[0], why[0].strip()[:160]))


def case_outage(ctx, tool):
    work = os.path.join(ctx.work, "outage")
    os.makedirs(work)
    capture, expected = ctx.capture()
    server = NatsServer(work, "nats")
    record = os.path.join(work, "file-sink.jsonl")
    sock = os.path.join(work, "control.sock")
    name = "nats-outage"
    daemon = Daemon(ctx.iocsift,
                    ["--socket", sock, "--state-dir", os.path.join(work, "state"),
                     "-f", ctx.feed, "--throttle-window", "0",
                     "--sink", "%s?name=%s&backoff_max=1s" % (server.url, name),
                     "--sink", "file://%s?name=record" % record]
                    + eal("nats", "net_pcap0,rx_pcap=" + capture),
                    os.path.join(work, "iocsift.log"))
    ctl = Ctl(ctx.ctl_exe, sock)
    try:
        daemon.wait_ready(ctl)
        # Down: every event goes to the spool.
        made = wait_stable(lambda: len(file_ids(record)),
                           lambda n: n == expected, 60)
        check(made == expected, "outage: the file sink has %d events, expected "
              "%d" % (made, expected))
        sink = wait_stable(lambda: ctl.state(name),
                           lambda s: s["queued"] == expected and
                           s["spool_records"] + s["spooled"] > 0, 30)
        down, _ = ctl.sink(name)
        check(not down["connected"] and down["sent"] == 0 and
              down["dropped"] == 0,
              "outage: with nats-server down the sink says %s" % down)
        # Up, but no stream takes the subject: refused, kept.
        server.start()
        deadline = time.time() + 30
        while True:
            refused, _ = ctl.sink(name)
            if "no responders" in refused.get("last_error", "").lower() or \
               "refused" in refused.get("last_error", ""):
                break
            check(time.time() < deadline, "outage: no refusal in the sink's "
                  "last_error: %s" % refused)
            time.sleep(0.2)
        check(refused["dropped"] == 0 and (tool.dump(server.url, STREAM) is None),
              "outage: with no stream the sink says %s" % refused)
        # The stream: everything arrives.
        tool.create(server.url, STREAM, "iocsift.events.>")
        messages = tool.wait_count(server.url, STREAM, expected, timeout=60)
        sink = wait_stable(lambda: ctl.state(name),
                           lambda s: s["connected"] and s["spool_records"] == 0,
                           30)
        site = re.sub(r"[^A-Za-z0-9_-]", "_",
                      json.loads(open(record).readline())["observer"]["hostname"])
        exit_status = daemon.stop()
    finally:
        daemon.kill()
        server.stop()
    events = file_events(record)
    check_stream("outage", messages, events, site)
    check(exit_status == 0, "outage: iocsift run exited %d" % exit_status)
    print("outage: %d events spooled while nats-server was down (spooled %d); "
          "refused without a stream (%s); all %d delivered once the stream "
          "existed; sink sent %d retried %d dropped %d" %
          (expected, sink["spooled"], refused["last_error"][:120], len(messages),
           sink["sent"], sink["retried"], sink["dropped"]))


def case_restart(ctx, tool):
    work = os.path.join(ctx.work, "restart")
    os.makedirs(work)
    feed = outage_feed(work)
    capture = os.path.join(work, "traffic.pcap")
    total = RESTART_PPS * RESTART_SECONDS
    hits = outage_capture(capture, total)
    tag = "%d" % os.getpid()
    ns, host_if, peer_if = "iocn" + tag, "iocn%sa" % tag, "iocn%sb" % tag
    server = NatsServer(work, "nats")
    server.start()
    tool.create(server.url, STREAM, "iocsift.events.>", window_s=120)
    record = os.path.join(work, "file-sink.jsonl")
    sock = os.path.join(work, "control.sock")
    name = "nats-restart"
    setup_network(ns, host_if, peer_if)
    daemon = Daemon(ctx.iocsift,
                    ["--socket", sock, "--state-dir", os.path.join(work, "state"),
                     "-f", feed, "--throttle-window", "0",
                     "--sink", "%s?name=%s&site=b2&backoff_max=1s" % (server.url, name),
                     "--sink", "file://%s?name=record" % record]
                    + eal("natsr", "net_af_packet0,iface=" + host_if),
                    os.path.join(work, "iocsift.log"))
    ctl = Ctl(ctx.ctl_exe, sock)
    timeline = []
    try:
        daemon.wait_ready(ctl)
        replay_proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpreplay", "-i", peer_if,
             "--pps=%d" % RESTART_PPS, capture],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started = time.time()
        phase, before = "up", 0
        while replay_proc.poll() is None:
            now = time.time() - started
            if phase == "up" and now >= RESTART_KILL_AT:
                before = len(tool.dump(server.url, STREAM))
                server.kill()
                timeline.append("killed at %.1f s with %d messages stored" %
                                (now, before))
                phase = "down"
            elif phase == "down" and now >= RESTART_BACK_AT:
                server.start()
                timeline.append("started again at %.1f s" % (time.time() - started))
                phase = "back"
            time.sleep(0.2)
        out, _ = replay_proc.communicate()
        check(replay_proc.returncode == 0, "tcpreplay: " + out)
        check(phase == "back", "restart: tcpreplay ended before the restart")
        made = wait_stable(lambda: len(file_ids(record)), lambda n: n > 0, 30)
        messages = tool.wait_count(server.url, STREAM, made, timeout=60)
        sink = wait_stable(lambda: ctl.state(name),
                           lambda s: s["connected"] and s["spool_records"] == 0 and
                           s["sent"] >= s["queued"], 60)
        exit_status = daemon.stop()
    finally:
        daemon.kill()
        server.stop()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    events = file_events(record)
    check(0 < before < made, "restart: the kill came at %d of %d events, not "
          "mid-stream" % (before, made))
    check_stream("restart", messages, events, "b2")
    check(exit_status == 0, "restart: iocsift run exited %d" % exit_status)
    print("restart: %d packets, %d hit, %d events; nats-server %s, %s; stream "
          "holds %d, each once; sink sent %d retried %d spooled %d dropped %d" %
          (total, hits, made, timeline[0], timeline[1], len(messages),
           sink["sent"], sink["retried"], sink["spooled"], sink["dropped"]))


def main():
    require_root("nats_sink_test")
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    iocsift, ctl_exe, tool_exe, src, work = [os.path.abspath(a)
                                             for a in sys.argv[1:6]]
    cases = sys.argv[6:] or list(CASES)
    for c in cases:
        check(c in CASES, "unknown case %s (%s)" % (c, ", ".join(CASES)))
    for t in ("nats-server", "tcpreplay", "ip"):
        check(shutil.which(t) or os.path.exists("/usr/sbin/" + t),
              "%s is not installed (apt-get install nats-server tcpreplay "
              "iproute2)" % t)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ctx = Context(iocsift, ctl_exe, src, work)
    tool = StreamTool(tool_exe)
    started = time.time()
    for c in cases:
        t = time.time()
        globals()["case_" + c](ctx, tool)
        print("%s: passed in %.1f s" % (c, time.time() - t))
    print("nats_sink_test: %d cases passed in %.1f s" % (len(cases),
                                                          time.time() - started))


if __name__ == "__main__":
    try:
        main()
    except subprocess.TimeoutExpired as e:
        fail("timed out: %s" % e)
