"""Writes a capture of syslog and DNS messages whose headers are broken in
every way tests/unit/test_worker.c knows, each carrying a watched name,
and the syslog ones again as a log file for `iocsift scan`.

usage: malformed_capture.py CAPTURE LOG_FILE
Prints one line: "<syslog messages> <dns messages> <hits expected>".
"""
import sys

from scapy.all import DNS, DNSQR, IP, UDP, Ether, Raw, wrpcap

WATCHED = "journalide.org"

# Every one is malformed to the parser and carries the watched name.
BROKEN_SYSLOG = [
    # PRI over 191, with 4 digits, not closed, not digits, empty.
    "<999>Nov 26 10:00:05 edr01 falcon: journalide.org",
    "<1234>Nov 26 10:00:05 edr01 falcon: journalide.org",
    "<34 Nov 26 10:00:05 edr01 falcon: journalide.org",
    "<ab>Nov 26 10:00:05 edr01 falcon: journalide.org",
    "<>Nov 26 10:00:05 edr01 falcon: journalide.org",
    # RFC 5424: a 7-digit fraction, no space after the structured data,
    # an element not closed, an SD-NAME with a space, a header cut after
    # the host, two spaces between fields, month 13, an APP-NAME over 48
    # bytes, a time without zone.
    "<34>1 2026-11-26T10:00:05.1234567Z edr01 falcon 42 - - journalide.org",
    '<34>1 2026-11-26T10:00:05Z edr01 falcon 42 - [a@1 x="1"]journalide.org',
    '<34>1 2026-11-26T10:00:05Z edr01 falcon 42 - [a@1 x="1" journalide.org',
    "<34>1 2026-11-26T10:00:05Z edr01 falcon 42 - [a b] journalide.org",
    "<34>1 2026-11-26T10:00:05Z edr01 journalide.org",
    "<34>1  2026-11-26T10:00:05Z edr01 falcon 42 - - journalide.org",
    "<34>1 2026-13-26T10:00:05Z edr01 falcon 42 - - journalide.org",
    "<34>1 2026-11-26T10:00:05Z edr01 "
    "falcon01234567890123456789012345678901234567890123 42 - - journalide.org",
    "<34>1 2026-11-26T10:00:05 edr01 falcon 42 - - journalide.org",
]


def dns_broken():
    """DNS messages broken after the question (ANCOUNT 1, no answer; an A
    answer with a 5-byte rdata) and before it (QDCOUNT 0): each hits."""
    ancount_lies = bytes(DNS(id=1, qd=DNSQR(qname="cdn." + WATCHED)))
    ancount_lies = ancount_lies[:6] + b"\x00\x01" + ancount_lies[8:]
    query = bytes(DNS(id=2, qr=1, qd=DNSQR(qname="www." + WATCHED)))
    bad_rdata = (query[:6] + b"\x00\x01" + query[8:] +
                 b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x05"
                 b"\x0a\x00\x00\x01\x02")
    no_question = bytes(DNS(id=3, qd=DNSQR(qname=WATCHED)))
    no_question = no_question[:4] + b"\x00\x00" + no_question[6:]
    return [ancount_lies, bad_rdata, no_question]


def main():
    capture, log_file = sys.argv[1], sys.argv[2]
    frames = []
    for i, line in enumerate(BROKEN_SYSLOG):
        frames.append(Ether() / IP(src="10.0.0.14", dst="10.0.0.2") /
                      UDP(sport=40000 + i, dport=514) / Raw(line.encode()))
    dns = dns_broken()
    for i, message in enumerate(dns):
        frames.append(Ether() / IP(src="10.0.0.14", dst="10.0.0.53") /
                      UDP(sport=41000 + i, dport=53) / Raw(message))
    for i, frame in enumerate(frames):
        frame.time = 1795687205 + i
    wrpcap(capture, frames)
    with open(log_file, "w", encoding="ascii") as out:
        out.write("".join(line + "\n" for line in BROKEN_SYSLOG))
    print(len(BROKEN_SYSLOG), len(dns), len(BROKEN_SYSLOG) + len(dns))


if __name__ == "__main__":
    main()
