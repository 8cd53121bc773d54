#!/usr/bin/python3
"""dissector_test.py -- what the dataplane extracts, against Wireshark's
dissectors (issue 11).

For every capture in SOURCE_DIR/../shared/data/pcaps (third-party captures
read where they are: nDPI's may not be copied into the tree, see the README
there; used when a checkout has shared/ beside it) and in
tests/data/captures (the BSD-licensed ones among them, always), `iocsift replay --messages` and Debian's tshark
read the same capture, tshark decoding syslog and DNS on the ports iocsift
uses (TSHARK below). Every (frame, syslog message) and every (frame, DNS
question name) tshark finds, iocsift must find too:

- syslog: tshark's syslog.msg (the MSG part, cut at a NUL) is inside
  iocsift's message of that frame (the payload as received);
- DNS: tshark's first dns.qry.name equals the question name of iocsift's
  message of that frame (iocsift keeps the first question: dataplane/dns.h);
  a later question with a name is a difference too. tshark's placeholders
  ("<Name too long>", an empty name) are no name found.

Both sides are compared in tshark's presentation: iocsift's text goes
through what tshark does to text (below), never the other way, since
tshark's output is ambiguous (a '.' or '\\' in a DNS label is printed as
it is) and iocsift's is not (\\DDD).

A difference that is right by design, or not done yet, is in KNOWN with its
reason, keyed by capture and frame. A known difference that no longer
occurs fails the test as well: remove it from KNOWN when the work lands.
Messages iocsift finds and tshark does not are counted, not failed (a DNS
payload shorter than its header is a malformed DNS message to iocsift and
plain UDP to tshark).

usage: dissector_test.py IOCSIFT SOURCE_DIR WORKDIR
"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys

SYSLOG_PORT = 514
DNS_PORT = 53

# Between the values of one field (a DNS message's questions): a byte
# tshark never prints raw inside a value (it writes "\b"), as it does a
# tab (the separator) and a newline.
AGGREGATOR = "\b"

# tshark with syslog on UDP 514 and DNS on UDP 53, as iocsift is run here
# (--syslog-port, --dns-port defaults), and TCP 514 as syslog (tshark's
# default there is rsh) so that TCP syslog shows as the difference it is.
# mDNS (UDP 5353) and LLMNR (UDP 5355) are DNS to tshark and no DNS port
# to iocsift: off. IP reassembly stays on (tshark's default), so that
# messages in fragments show as differences until iocsift reassembles.
TSHARK = [
    "tshark", "-n",
    "-o", "syslog.udp.port:%d" % SYSLOG_PORT,
    "-o", "syslog.tcp.port:%d" % SYSLOG_PORT,
    "-o", "dns.udp.port:%d" % DNS_PORT,
    "-o", "dns.tcp.port:%d" % DNS_PORT,
    "--disable-protocol", "mdns",
    "--disable-protocol", "llmnr",
    "-Y", "syslog or dns",
    "-T", "fields",
    "-e", "frame.number", "-e", "syslog.msg", "-e", "dns.qry.name",
    "-E", "separator=/t", "-E", "occurrence=a",
    "-E", "aggregator=" + AGGREGATOR,
]


# (capture, frame, kind): reason. capture is the path under its directory
# (shared/data/pcaps or tests/data/captures), or generated/ for the one
# this test writes (odd_bytes_capture).
KNOWN_BY_NAME = {
    ("generated/odd-bytes.pcap", 4, "dns"): "by design: iocsift keeps the "
    "first question (dataplane/dns.h); resolvers refuse QDCOUNT > 1",
}
# Whole captures and kinds tshark cannot be held to, with the reason.
KNOWN_CAPTURES = {
    ("generated/tcp.pcap", "syslog"): "by design: tshark's syslog "
    "dissector does not reassemble TCP streams (RFC 6587); it shows each "
    "segment's payload as one message, several lines or half of one; "
    "tests/integration/tcp_test.py checks these streams message by message",
}
# The same, for the copies in tests/data/captures ("zeek-NAME").
KNOWN = dict(KNOWN_BY_NAME)
for (capture, frame, kind), reason in KNOWN_BY_NAME.items():
    if "/" in capture and not capture.startswith("generated/"):
        KNOWN[(capture.replace("/", "-", 1), frame, kind)] = reason


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


# What tshark does to text, applied to iocsift's.

# syslog.msg: the field printer's escapes (tshark -E escape=y, the
# default); other control bytes are printed as they are.
SYSLOG_ESCAPES = {0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r",
                  0x09: "\\t"}
# dns.qry.name: the DNS dissector's (format_text): C escapes, else \ooo.
DNS_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n",
               0x0b: "\\v", 0x0c: "\\f", 0x0d: "\\r"}
for c in list(range(0x20)) + [0x7f]:
    DNS_ESCAPES.setdefault(c, "\\%03o" % c)
REPLACEMENTS = re.compile("\ufffd+")


def one_replacement(text):
    """Invalid UTF-8 becomes U+FFFD on both sides, but iocsift writes one
    per byte and tshark one per maximal subpart: a run counts as one."""
    return REPLACEMENTS.sub("\ufffd", text)


def syslog_as_tshark(message):
    return one_replacement(message.translate(SYSLOG_ESCAPES))


def dns_name_bytes(name):
    """iocsift's presentation form (\\DDD for a byte that is not plain,
    '.' between labels) back to the name's bytes, dots included."""
    out = bytearray()
    i = 0
    while i < len(name):
        if name[i] == "\\" and re.match(r"\d{3}", name[i + 1:i + 4]):
            out.append(int(name[i + 1:i + 4]))
            i += 4
        else:
            out += name[i].encode()
            i += 1
    return bytes(out)


def dns_as_tshark(name):
    if name == ".":
        return "<Root>"
    text = dns_name_bytes(name).decode("utf-8", errors="replace")
    return one_replacement(text.translate(DNS_ESCAPES))


def tshark_name_found(name):
    """tshark shows a name it could not read as <...> or as nothing."""
    return name != "" and (name == "<Root>" or not
                           (name.startswith("<") and name.endswith(">")))


def udp_frame(src_port, dst_port, payload):
    """Ethernet, IPv4 (checksum filled in), UDP (checksum 0: none)."""
    udp = struct.pack(">HHHH", src_port, dst_port, 8 + len(payload), 0)
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) +
                               len(payload), 1, 0, 64, 17, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    total = sum(struct.unpack(">10H", ip))
    total = (total & 0xffff) + (total >> 16)
    ip[10:12] = struct.pack(">H", ~(total + (total >> 16)) & 0xffff)
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\0" + bytes(ip) + \
        udp + payload


def dns_query(labels_list, qtype=1):
    questions = b"".join(
        b"".join(bytes([len(label)]) + label for label in labels) + b"\0" +
        struct.pack(">HH", qtype, 1) for labels in labels_list)
    return struct.pack(">6H", 0x1234, 0x0100, len(labels_list), 0, 0, 0) + \
        questions


def odd_bytes_capture(path):
    """The bytes the real captures lack, in both presentations: every
    kind of escape in DNS labels and syslog text, invalid UTF-8, the
    root, two questions, a NUL inside a syslog message, and a message
    longer than a hit record holds (DP_HIT_PAYLOAD_MAX)."""
    frames = [
        udp_frame(40001, DNS_PORT, dns_query(
            [[b"a\x01\t\n.b\\c d,e\x7f\x80\xff", b"\xc3\xa9x", b"com"]])),
        udp_frame(40002, DNS_PORT, dns_query([[]], qtype=2)),
        udp_frame(40003, DNS_PORT, dns_query(
            [[b"a\x07\x08\x0b\x0c\x00\x1b\x1fz\xe2\x82x", b"com"]])),
        udp_frame(40004, DNS_PORT, dns_query(
            [[b"first", b"example"], [b"second", b"example"]])),
        udp_frame(40005, SYSLOG_PORT, b"<13>Oct 11 22:14:16 host app: tab\t"
                  b"nl\ncr\rbs\\ ctl\x01\x7f inv\xff\xfe utf\xc3\xa9 end"),
        udp_frame(40006, SYSLOG_PORT, b"<13>x \x07\x08\x0b\x0c\x1b\x1f "
                  b"\xe2\x82x end\x00after the NUL"),
        udp_frame(40007, SYSLOG_PORT, b"<13>Oct 11 22:14:16 host app: " +
                  b"0123456789" * 500),
    ]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(frame),
                                len(frame)))
            f.write(frame)


def run_tshark(capture):
    proc = subprocess.run(TSHARK + ["-r", capture], capture_output=True)
    if proc.returncode != 0:
        fail("tshark -r %s: exit %d: %s" % (capture, proc.returncode,
                                             proc.stderr.decode()))
    syslog, dns = {}, {}
    # Lines end in \n only: a message may hold \v, \f or \x1c raw,
    # which str.splitlines() would split at.
    for line in proc.stdout.decode("utf-8", errors="replace").split("\n"):
        if line == "":
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            fail("%s: tshark line of %d fields: %r" % (capture, len(fields),
                                                       line))
        frame = int(fields[0])
        if fields[1] != "":
            syslog[frame] = [one_replacement(m)
                             for m in fields[1].split(AGGREGATOR)]
        names = [one_replacement(n) for n in fields[2].split(AGGREGATOR)]
        if any(tshark_name_found(n) for n in names):
            dns[frame] = names
    return syslog, dns


def run_iocsift(iocsift, feed, capture, out):
    proc = subprocess.run([iocsift, "replay", "--messages", "-f", feed,
                           "--syslog-port", str(SYSLOG_PORT),
                           "--dns-port", str(DNS_PORT), "-o", out, capture],
                          capture_output=True)
    summary = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        fail("iocsift replay --messages %s: exit %d:\n%s" % (
            capture, proc.returncode, summary))
    syslog, dns = {}, {}
    with open(out, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                message = json.loads(line)
            except ValueError as e:
                fail("%s line %d is not JSON (%s): %r" % (out, number, e,
                                                          line))
            frame = message["frame"]
            table = dns if message["kind"] == "dns" else syslog
            # A TCP segment may complete several messages.
            table.setdefault(frame, []).append(message)
    # Every message the summary counts has its line.
    counted = sum(int(re.search(r"^ *%s: *(\d+)" % key, summary,
                                re.M).group(1))
                  for key in ("syslog messages", "dns messages"))
    lines = sum(len(v) for v in syslog.values()) + \
        sum(len(v) for v in dns.values())
    if counted != lines:
        fail("%s: %d message lines, the summary counts %d:\n%s" % (
            capture, lines, counted, summary))
    return syslog, dns


def syslog_found(message, ours):
    """Whether iocsift's message ours holds tshark's message."""
    text = syslog_as_tshark(ours["message"])
    if message in text:
        return True
    # Over TCP the line end is framing (RFC 6587): tshark keeps it in the
    # message, iocsift takes it off as it takes the message out.
    if ours.get("transport") == "tcp" and \
            re.sub(r"(\\r)?\\n$", "", message) in text:
        return True
    # Cut to fit the hit record, iocsift's message ends inside tshark's,
    # which starts in its first half (after the header).
    return bool(ours.get("truncated")) and any(
        message.startswith(text[i:]) for i in range(len(text) // 2 + 1))


def syslog_difference(theirs, ours):
    """None when iocsift has tshark's messages of the frame, else what
    differs. ours: iocsift's messages of the frame."""
    if not ours:
        return "iocsift has no syslog message"
    for message in theirs:
        if not any(syslog_found(message, m) for m in ours):
            return "tshark %r is not in iocsift %r" % (
                message, [syslog_as_tshark(m["message"]) for m in ours])
    return None


def dns_difference(theirs, ours_all):
    if not ours_all:
        return "iocsift has no DNS message"
    if len(ours_all) > 1:
        # Several messages of a TCP segment: each name tshark found is
        # one of their questions.
        names = {dns_as_tshark(m["dns"]["question"]["name"])
                 for m in ours_all if "question" in m["dns"]}
        missing = [n for n in theirs if tshark_name_found(n) and
                   n not in names]
        return "tshark %r not among iocsift's %r" % (missing, names) \
            if missing else None
    ours = ours_all[0]
    question = ours["dns"].get("question")
    if question is None:
        return "iocsift has no question (%s)" % ours["dns"].get("malformed")
    name = dns_as_tshark(question["name"])
    if theirs[0] != name:
        return "tshark %r, iocsift %r" % (theirs[0], name)
    later = [n for n in theirs[1:] if tshark_name_found(n)]
    if later:
        return "questions after the first: %r" % later
    return None


def compare(name, capture, iocsift, feed, work, known_seen):
    out = os.path.join(work, name.replace("/", "_") + ".jsonl")
    t_syslog, t_dns = run_tshark(capture)
    i_syslog, i_dns = run_iocsift(iocsift, feed, capture, out)
    problems = []
    known = 0
    for kind, theirs_all, ours_all, differ in (
            ("syslog", t_syslog, i_syslog, syslog_difference),
            ("dns", t_dns, i_dns, dns_difference)):
        if (name, kind) in KNOWN_CAPTURES:
            known += len(theirs_all)
            continue
        for frame in sorted(theirs_all):
            difference = differ(theirs_all[frame], ours_all.get(frame))
            key = (name, frame, kind)
            if key in KNOWN:
                known_seen.add(key)
                if difference is None:
                    problems.append("frame %d (%s): known difference no "
                                    "longer occurs, remove it from KNOWN "
                                    "(%s)" % (frame, kind, KNOWN[key]))
                else:
                    known += 1
                continue
            if difference is not None:
                problems.append("frame %d (%s): %s" % (frame, kind,
                                                       difference))
    only_ours = len(set(i_syslog) - set(t_syslog)) + \
        len(set(i_dns) - set(t_dns))
    print("%-44s %6d %6d %6d %6d %6d %6d" % (
        name, len(t_syslog), len(t_dns), len(i_syslog), len(i_dns), known,
        only_ours))
    return problems


def main():
    if len(sys.argv) != 4:
        fail("usage: dissector_test.py IOCSIFT SOURCE_DIR WORKDIR")
    iocsift, source, work = sys.argv[1:]
    if shutil.which("tshark") is None:
        fail("no tshark: scripts/setup.sh installs it")
    shared = os.path.normpath(os.path.join(source, "..", "shared", "data",
                                           "pcaps"))
    tree = os.path.join(source, "tests", "data", "captures")
    captures = []
    # The bundled copies always; the shared set (nDPI's too, which may not
    # be copied into the tree) where a checkout has it beside the clone.
    roots = [(tree, "*.pcap")]
    if os.path.isdir(shared):
        roots.insert(0, (shared, "*/*.pcap*"))
    else:
        print("%s: not here; the bundled and generated captures only\n"
              % shared)
    for root, pattern in roots:
        found = sorted(glob.glob(os.path.join(root, pattern)))
        if not found:
            fail("no captures in %s" % root)
        captures += [(os.path.relpath(p, root), p) for p in found]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    generated = os.path.join(work, "odd-bytes.pcap")
    odd_bytes_capture(generated)
    captures.append(("generated/odd-bytes.pcap", generated))
    # Fragments and every encapsulation (tests/integration/wire_test.py).
    wire = os.path.join(work, "wire.pcap")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(source, "tests/integration/wire_capture.py"),
                    wire, os.path.join(work, "wire.json")], check=True,
                   stderr=subprocess.DEVNULL)
    captures.append(("generated/wire.pcap", wire))
    # TCP syslog and DNS over TCP (tests/integration/tcp_test.py).
    tcp = os.path.join(work, "tcp.pcap")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(source, "tests/integration/tcp_capture.py"),
                    tcp, os.path.join(work, "tcp.json")], check=True,
                   stderr=subprocess.DEVNULL)
    captures.append(("generated/tcp.pcap", tcp))
    feed = os.path.join(work, "feed.csv")
    with open(feed, "w") as f:
        f.write("type,value\ndomain,tcpdump.org\nregex,\"Hello, syslog\"\n")

    print("Messages found by tshark (syslog, DNS) and by iocsift (syslog, "
          "DNS), known\ndifferences among them, messages only iocsift "
          "found:\n")
    print("%-44s %13s %13s %6s %6s" % ("", "tshark", "iocsift", "known",
                                        "only"))
    print("%-44s %6s %6s %6s %6s" % ("capture", "syslog", "dns", "syslog",
                                     "dns"))
    failures = {}
    known_seen = set()
    for name, path in captures:
        problems = compare(name, path, iocsift, feed, work, known_seen)
        if problems:
            failures[name] = problems
    names = {name for name, _ in captures}
    for key in sorted(k for k in set(KNOWN) - known_seen if k[0] in names):
        failures.setdefault(key[0], []).append(
            "frame %d (%s): known difference not seen, tshark found no "
            "such message (%s)" % (key[1], key[2], KNOWN[key]))
    for (capture, kind), reason in sorted(KNOWN_CAPTURES.items()):
        print("  %s, every %s message: %s" % (capture, kind, reason))
    relevant = sorted(k for k in KNOWN if k[0] in names)
    print("\nknown differences (%d):" % len(relevant))
    for key in relevant:
        print("  %s frame %d %s: %s" % (key[0], key[1], key[2], KNOWN[key]))
    for name in sorted(failures):
        for problem in failures[name]:
            print("FAIL: %s: %s" % (name, problem), file=sys.stderr)
    if failures:
        sys.exit(1)
    print("\ndissectors: %d captures, every message tshark found iocsift "
          "found too, but the known differences" % len(captures))


if __name__ == "__main__":
    main()
