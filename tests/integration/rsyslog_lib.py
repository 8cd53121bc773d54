"""rsyslog_lib.py -- helpers of siem_test.py: a private rsyslogd as the SIEM,
a test CA made with the openssl command line, pcap writing, parsers for the
records iocsift sends (ECS JSON, RFC 5424 structured data, CEF, LEEF) and
checks of what rsyslog received (the RFC 5424 header, every id exactly once,
ECS that mmjsonparse, Python and jq all read).

Standard library only. Nothing here touches /etc/rsyslog.conf or the
system's rsyslog: each instance has its own config, pid file and work
directory under the test's WORKDIR, and listens on loopback only.
"""
import atexit
import collections
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
SD_ID = "iocsift@32473"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port nothing listens on now (TCP or UDP)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port, proto="tcp"):
    """True when a socket listens on (or, UDP, is bound to) port."""
    want = "%04X" % port
    for name in (proto, proto + "6"):
        try:
            with open("/proc/net/" + name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].rsplit(":", 1)[1] != want:
                        continue
                    if proto == "udp" or fields[3] == "0A":
                        return True
        except FileNotFoundError:
            pass
    return False


# --------------------------------------------------------------------------
# rsyslogd


# One JSON object per received message, every property escaped by rsyslog
# itself. "parsed" is rsyslog's own view of the message's variables: the
# RFC 5424 structured data as mmpstrucdata parsed it ($!rfc5424-sd!SD-ID!
# PARAM) and the ECS JSON as mmjsonparse parsed it ($!ecs).
TEMPLATE_FIELDS = [
    ("pri", "pri"), ("version", "protocol-version"), ("hostname", "hostname"),
    ("app", "app-name"), ("procid", "procid"), ("msgid", "msgid"),
    ("sd", "structured-data"), ("msg", "msg"), ("from", "fromhost-ip"),
    ("input", "inputname"),
]


def _constant(text):
    """An rsyslog template constant() holding text."""
    return 'constant(value="%s")' % text.replace("\\", "\\\\").replace('"', '\\"') \
        .replace("\n", "\\n")


def template(lean=False):
    fields = [("msgid", "msgid"), ("msg", "msg")] if lean else TEMPLATE_FIELDS
    parts = []
    for i, (out, prop) in enumerate(fields):
        parts.append(_constant(('{"' if i == 0 else '","') + out + '":"'))
        parts.append('property(name="%s" format="json")' % prop)
    if lean:
        parts.append(_constant('"}\n'))
    else:
        parts.append(_constant('","time":"'))
        parts.append('property(name="timereported" dateFormat="rfc3339" '
                     'format="json")')
        parts.append(_constant('","parsed":'))
        parts.append('property(name="$!")')
        parts.append(_constant('}\n'))
    return 'template(name="iocsift_rec" type="list") {\n  %s\n}\n' % \
        "\n  ".join(parts)


_RUNNING = []


@atexit.register
def _stop_all():
    """No rsyslogd of a test outlives it, whatever failed."""
    for r in _RUNNING:
        r.kill()


class Rsyslog:
    """rsyslogd -n -f CONF -i PIDFILE with imtcp (plain or TLS) and/or imudp
    on loopback; every message received is appended to self.output.

    tls: None, or dict(ca=, cert=, key=, auth="anon"|"x509/certvalid"),
    the ossl network stream driver (package rsyslog-openssl).
    lean: only msgid and msg in the output (long runs)."""

    def __init__(self, work, name, tcp_port=None, udp_port=None, tls=None,
                 lean=False):
        self.dir = os.path.join(work, name)
        os.makedirs(os.path.join(self.dir, "spool"), exist_ok=True)
        self.name = name
        self.tcp_port, self.udp_port, self.tls = tcp_port, udp_port, tls
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        self.pidfile = os.path.join(self.dir, "rsyslogd.pid")
        self.output = os.path.join(self.dir, "received.jsonl")
        self.log = os.path.join(self.dir, "rsyslogd.log")
        self.proc = None
        self.starts = 0
        _RUNNING.append(self)
        with open(self.conf, "w") as f:
            f.write(self.config(lean))

    def config(self, lean):
        g = ['workDirectory="%s"' % os.path.join(self.dir, "spool"),
             'maxMessageSize="256k"',
             # Control characters arrive as sent (rsyslog would otherwise
             # write them as #ooo itself and hide a raw one iocsift sent;
             # LEEF's tabs need it too); the template escapes them for the
             # output file.
             'parser.escapeControlCharactersOnReceive="off"']
        if self.tls:
            g += ['defaultNetstreamDriver="ossl"',
                  'defaultNetstreamDriverCAFile="%s"' % self.tls["ca"],
                  'defaultNetstreamDriverCertFile="%s"' % self.tls["cert"],
                  'defaultNetstreamDriverKeyFile="%s"' % self.tls["key"]]
        lines = ["global(%s)" % " ".join(g),
                 # What was received is written before a SIGTERM exits.
                 'main_queue(queue.timeoutShutdown="10000" '
                 'queue.timeoutActionCompletion="10000")',
                 'module(load="mmpstrucdata")',
                 'module(load="mmjsonparse")']
        if self.tcp_port:
            if self.tls:
                lines.append('module(load="imtcp" streamDriver.name="ossl" '
                             'streamDriver.mode="1" streamDriver.authMode="%s" '
                             'maxSessions="64")' %
                             self.tls.get("auth", "anon"))
            else:
                lines.append('module(load="imtcp" maxSessions="64")')
            lines.append('input(type="imtcp" address="127.0.0.1" port="%d" '
                         'ruleset="siem")' % self.tcp_port)
        if self.udp_port:
            lines.append('module(load="imudp")')
            lines.append('input(type="imudp" address="127.0.0.1" port="%d" '
                         'ruleset="siem" rcvbufSize="8m")' % self.udp_port)
        lines.append(template(lean))
        rules = ['set $!received = "1";']
        if not lean:
            rules += ['action(type="mmpstrucdata")',
                      'if $msg startswith "{" then {',
                      '  action(type="mmjsonparse" cookie="" container="$!ecs")',
                      '}']
        rules.append('action(type="omfile" file="%s" template="iocsift_rec")'
                     % self.output)
        lines.append('ruleset(name="siem") {\n  %s\n}' % "\n  ".join(rules))
        return "\n".join(lines) + "\n"

    def start(self, timeout=20):
        check(self.proc is None or self.proc.poll() is not None,
              "%s: started twice" % self.name)
        log = open(self.log, "a")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf,
                                      "-i", self.pidfile],
                                     stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                fail("rsyslogd %s exited %d:\n%s" % (self.name, self.proc.returncode,
                                                     open(self.log).read()))
            up = (not self.tcp_port or listening(self.tcp_port, "tcp")) and \
                (not self.udp_port or listening(self.udp_port, "udp"))
            if up:
                return
            check(time.time() < deadline, "rsyslogd %s does not listen:\n%s" %
                  (self.name, open(self.log).read()))
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, as a SIEM's maintenance would; True when it was running."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("rsyslogd %s ignored SIGTERM" % self.name)
        return True

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def records(self):
        out = []
        if not os.path.exists(self.output):
            return out
        with open(self.output, "rb") as f:
            for n, line in enumerate(f, 1):
                try:
                    out.append(json.loads(line))
                except ValueError as e:
                    fail("%s line %d is not what the template writes (%s): %r" %
                         (self.output, n, e, line[:300]))
        return out

    def count(self):
        if not os.path.exists(self.output):
            return 0
        with open(self.output, "rb") as f:
            return sum(1 for _ in f)

    def wait_count(self, want, timeout=20, settle=1.0):
        """Waits until at least want records are in the output and the count
        has not changed for settle seconds (or the timeout passed)."""
        deadline = time.time() + timeout
        last, since = -1, time.time()
        while time.time() < deadline:
            n = self.count()
            if n != last:
                last, since = n, time.time()
            elif n >= want and time.time() - since >= settle:
                break
            time.sleep(0.1)
        return last


# --------------------------------------------------------------------------
# A test PKI with the openssl command line


def _openssl(*args, cwd):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True,
                       text=True)
    check(p.returncode == 0, "openssl %s: %s" % (" ".join(args), p.stderr))


def make_ca(directory, name):
    """A self-signed CA: returns (cert, key)."""
    os.makedirs(directory, exist_ok=True)
    key, cert = name + ".key", name + ".pem"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
             "-out", cert, "-days", "2", "-subj", "/O=iocsift test/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    return os.path.join(directory, cert), os.path.join(directory, key)


def make_cert(directory, name, ca, cn, san=None, usage="serverAuth"):
    """A certificate signed by ca=(cert, key): returns (cert, key)."""
    key, csr, cert, ext = (name + ".key", name + ".csr", name + ".pem",
                           name + ".ext")
    with open(os.path.join(directory, ext), "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=%s\n" % usage)
        if san:
            f.write("subjectAltName=%s\n" % san)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", csr, "-subj",
             "/O=iocsift test/CN=" + cn, cwd=directory)
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
             "-CAcreateserial", "-out", cert, "-days", "2", "-sha256",
             "-extfile", ext, cwd=directory)
    return os.path.join(directory, cert), os.path.join(directory, key)


# --------------------------------------------------------------------------
# pcap


def _ip_checksum(header):
    s = sum(struct.unpack("!10H", header))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def udp_frame(src, dst, sport, dport, payload, ident=0):
    """Ethernet + IPv4 + UDP (checksum 0, which IPv4 allows)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF,
                     0x4000, 64, 17, 0, socket.inet_aton(src),
                     socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", _ip_checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001") + b"\x08\x00"
    return eth + ip + udp


def read_pcap(path):
    """[(ts_sec, ts_usec, frame)] of a classic little- or big-endian pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frames.append((sec, usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return frames


def write_pcap(path, frames, start=1795600800.0, step=0.001):
    """frames: bytes, or (sec, usec, bytes) to keep a time."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            if isinstance(fr, tuple):
                sec, usec, fr = fr
            else:
                t = start + i * step
                sec, usec = int(t), int(round((t - int(t)) * 1e6)) % 1000000
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr)


# --------------------------------------------------------------------------
# The records iocsift sends, as received


def split_unescaped(text, sep, limit):
    """Splits text at sep not preceded by an escaping backslash, at most
    limit times; the escapes are left in the parts."""
    parts, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c == sep and len(parts) < limit:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def cef_unescape(value):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)),
                  value)


_CEF_KEY = re.compile(r"(?:^| )([A-Za-z0-9_.\[\]-]+)=")


def parse_cef(msg):
    """CEF:0|vendor|product|version|class|name|severity|EXT -> (header list,
    {key: value}); None if it is not CEF; ValueError when a key appears
    twice (what an unescaped value can forge)."""
    if not msg.startswith("CEF:"):
        return None
    parts = split_unescaped(msg, "|", 7)
    if len(parts) != 8:
        return None
    ext = parts[7]
    keys = []
    for m in _CEF_KEY.finditer(ext):
        # A '=' escaped as '\=' is part of a value, never a key's end.
        if m.end() >= 2 and ext[m.end() - 2] == "\\":
            continue
        keys.append(m)
    fields = {}
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(ext)
        if m.group(1) in fields:
            raise ValueError("CEF key %s twice (a value was not escaped?)" %
                             m.group(1))
        fields[m.group(1)] = cef_unescape(ext[m.end():end])
    return parts[:7], fields


def parse_leef(msg):
    """LEEF:2.0|vendor|product|version|eventid|DELIM|attrs (or LEEF:1.0
    with tab-separated attrs) -> (header list, {key: value}, delimiter);
    ValueError when a key appears twice."""
    if not msg.startswith("LEEF:"):
        return None
    version = msg[5:msg.index("|")] if "|" in msg else ""
    nheader = 6 if version.startswith("2") else 5
    parts = msg.split("|", nheader)
    if len(parts) != nheader + 1:
        return None
    delim = "\t"
    if nheader == 6:
        d = parts[5]
        if len(d) == 1:
            delim = d
        elif re.fullmatch(r"(0x|x)[0-9A-Fa-f]{2,4}", d):
            delim = chr(int(d.split("x", 1)[1], 16))
        elif d != "":
            return None
    fields = {}
    for attr in parts[nheader].split(delim):
        if "=" in attr:
            k, v = attr.split("=", 1)
            if k in fields:
                raise ValueError("LEEF key %s twice (a value holds the "
                                 "delimiter %r?)" % (k, delim))
            fields[k] = v
    return parts[:nheader], fields, delim


def parse_sd(sd):
    """RFC 5424 STRUCTURED-DATA -> {sd_id: {param: value}} (values
    unescaped: \\" \\\\ \\])."""
    out = {}
    if sd in ("", "-"):
        return out
    i = 0
    while i < len(sd):
        if sd[i] != "[":
            raise ValueError("SD: '[' expected at %d" % i)
        j = i + 1
        while j < len(sd) and sd[j] not in " ]":
            j += 1
        sd_id = sd[i + 1:j]
        params = out.setdefault(sd_id, {})
        i = j
        while i < len(sd) and sd[i] == " ":
            m = re.match(r' ([^= \]"]+)="', sd[i:])
            if not m:
                raise ValueError("SD: param expected at %d" % i)
            name = m.group(1)
            i += m.end()
            val = []
            while i < len(sd) and sd[i] != '"':
                if sd[i] == "\\" and i + 1 < len(sd) and sd[i + 1] in '"\\]':
                    val.append(sd[i + 1])
                    i += 2
                else:
                    val.append(sd[i])
                    i += 1
            if i >= len(sd):
                raise ValueError("SD: unterminated value")
            params[name] = "".join(val)
            i += 1
        if i >= len(sd) or sd[i] != "]":
            raise ValueError("SD: ']' expected at %d" % i)
        i += 1
    return out


def event_id(fmt, rec):
    """The unique id of one record received by rsyslog, by format; raises
    ValueError when the record does not carry one."""
    msg = rec["msg"]
    if fmt == "ecs":
        return json.loads(msg)["event"]["id"]
    if fmt == "rfc5424":
        return parse_sd(rec["sd"])[SD_ID]["id"]
    if fmt == "cef":
        parsed = parse_cef(msg)
        if parsed is None:
            raise ValueError("not CEF")
        return parsed[1]["externalId"]
    if fmt == "leef":
        parsed = parse_leef(msg)
        if parsed is None:
            raise ValueError("not LEEF")
        fields = parsed[1]
        for key in ("eventId", "externalId", "id"):
            if key in fields:
                return fields[key]
        raise ValueError("LEEF without eventId: %s" % sorted(fields))
    raise ValueError("format " + fmt)


def shown_text(original, fmt):
    """What iocsift's rfc5424/cef/leef records show of a message received
    as original (a str, invalid UTF-8 already U+FFFD as in ECS): control
    characters as #ooo, except CR and LF in CEF, which cef_unescape()
    gives back; the line end cut."""
    original = original.rstrip("\r\n\x00")
    out = []
    for c in original:
        if ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(c if fmt == "cef" and c in "\r\n" else "#%03o" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def file_events(path):
    """{event.id: event} of an ECS file sink."""
    events = {}
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            events[e["event"]["id"]] = e
    return events


def file_ids(path):
    """event.id of every line of an ECS file sink, in order."""
    ids = []
    if not os.path.exists(path):
        return ids
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                ids.append(json.loads(line)["event"]["id"])
            except (ValueError, KeyError) as e:
                fail("%s:%d: not an ECS event with event.id (%s): %r" %
                     (path, n, e, line[:200]))
    return ids


# --------------------------------------------------------------------------
# Checks on what rsyslog received


def check_header(rec, what):
    check(rec["version"] == "1" and rec["app"] == "iocsift" and rec["msgid"] != "-"
          and rec["msgid"] != "" and rec["hostname"] not in ("", "-"),
          "%s: rsyslog's RFC 5424 parser saw version %r APP-NAME %r MSGID %r "
          "HOSTNAME %r; message %r" % (what, rec["version"], rec["app"],
                                       rec["msgid"], rec["hostname"], rec["msg"][:200]))


def ids_of(fmt, records, what):
    ids = []
    for rec in records:
        try:
            ids.append(event_id(fmt, rec))
        except (ValueError, KeyError, TypeError) as e:
            fail("%s: a record without its %s id (%s): sd=%r msg=%r" %
                 (what, fmt, e, rec.get("sd"), rec["msg"][:300]))
    return ids


def exactly_once(what, got, want_ids, expected):
    counts = collections.Counter(got)
    doubled = [i for i, n in counts.items() if n > 1]
    want = set(want_ids)
    missing = want - set(counts)
    extra = set(counts) - want
    check(len(want_ids) == expected and len(want) == expected,
          "%s: the file sink has %d events (%d distinct), expected %d" %
          (what, len(want_ids), len(want), expected))
    check(not missing and not extra and not doubled and len(got) == expected,
          "%s: %d received, %d expected: %d missing (%s), %d unexpected (%s), "
          "%d twice (%s)" % (what, len(got), expected, len(missing),
                             sorted(missing)[:3], len(extra), sorted(extra)[:3],
                             len(doubled), doubled[:3]))


def check_ecs(records, what, work):
    """Every MSG is JSON: for rsyslog's mmjsonparse, Python and jq."""
    ids = []
    msgs = os.path.join(work, what + "-msgs.jsonl")
    with open(msgs, "w") as f:
        for rec in records:
            try:
                event = json.loads(rec["msg"])
            except ValueError as e:
                fail("%s: MSG is not JSON (%s): %r" % (what, e, rec["msg"][:300]))
            parsed = rec["parsed"].get("ecs")
            check(isinstance(parsed, dict) and parsed.get("event", {}).get("id") ==
                  event["event"]["id"],
                  "%s: rsyslog's mmjsonparse did not parse %r" % (what, rec["msg"][:300]))
            check(event.get("event", {}).get("dataset") == "iocsift.hit" or
                  event.get("event", {}).get("kind") == "alert",
                  "%s: not an iocsift event: %r" % (what, rec["msg"][:300]))
            ids.append(event["event"]["id"])
            f.write(rec["msg"] + "\n")
    p = subprocess.run(["jq", "-r", ".event.id", msgs], capture_output=True,
                       text=True)
    check(p.returncode == 0, "%s: jq refused a MSG: %s" % (what, p.stderr.strip()))
    check(p.stdout.split("\n")[:-1] == ids,
          "%s: jq read other ids than Python (%d lines)" %
          (what, len(p.stdout.splitlines())))
    return ids
