#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_tcp_stream (its input format is in
fuzz_tcp_stream.c): python3 tests/fuzz/gen_tcp_stream_corpus.py"""
import os
import struct

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
DNS, FILL, EXPIRE = 0x08, 0x40, 0x80
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus",
                   "tcp_stream")


OPS, SPLIT = 0, 1
S_DNS, S_MIDSTREAM, S_FIN, S_SWAP, S_TWICE = 1, 2, 4, 8, 16


def header(message_max_extra, isn, mode=OPS):
    return struct.pack(">BHI", mode, message_max_extra, isn)


def split(options, cuts, data, message_max_extra=200, isn=1000):
    """One stream, sent whole and cut at the offsets given."""
    return (header(message_max_extra, isn, SPLIT)
            + struct.pack(">BB", options, len(cuts))
            + b"".join(struct.pack(">H", c) for c in cuts) + data)


def op(flow, flags, delta, payload=b"", step_ms=1, dns=False):
    return struct.pack(">BBhBB", flow | (DNS if dns else 0), flags, delta,
                       len(payload), step_ms) + payload


class Flow:
    """Segments at absolute stream offsets (0 is the first data byte),
    turned into the deltas from the flow's next expected byte that the
    target tracks."""

    def __init__(self, flow, dns=False):
        self.flow, self.dns, self.next = flow, dns, 0

    def syn(self):
        return op(self.flow, SYN, -1, dns=self.dns)

    def at(self, offset, payload, flags=ACK):
        data = op(self.flow, flags, offset - self.next, payload, dns=self.dns)
        self.next = max(self.next, offset + len(payload))
        return data


def fill(flow, flags, delta, byte, units, step_ms=1):
    """A payload of units * 64 copies of byte."""
    return struct.pack(">BBhBBB", flow | FILL, flags, delta, units, step_ms,
                       byte)


def expire(step_ms):
    return struct.pack(">BBhBB", EXPIRE, 0, 0, 0, step_ms)


def octet(msg):
    return b"%d %s" % (len(msg), msg)


def dns(msg):
    return struct.pack(">H", len(msg)) + msg


SYSLOG_A = b"<13>Oct 11 22:14:15 host su: 'su root' failed for evil.com\n"
SYSLOG_B = b"<165>1 2003-10-11T22:14:15.003Z host app - ID47 - hello\n"
QUERY = bytes.fromhex("abcd01000001000000000000") + b"\x04evil\x03com\x00\x00\x01\x00\x01"

OCTET = Flow(1)
OCTET_DATA = octet(SYSLOG_A[:-1]) + octet(SYSLOG_B[:-1])

SEEDS = {
    # LF framing over three segments, then FIN with an unterminated tail.
    "lf_in_order": header(200, 1000) + op(0, SYN, -1)
    + op(0, ACK, 0, SYSLOG_A[:20]) + op(0, ACK, 0, SYSLOG_A[20:])
    + op(0, ACK, 0, SYSLOG_B) + op(0, ACK | FIN, 0, b"<13>tail"),
    # Octet counting across the 2^32 wrap: segments 1, 3, 2, and a
    # retransmission.
    "octet_reordered": header(300, 0xFFFFFFE0) + OCTET.syn()
    + OCTET.at(0, OCTET_DATA[:30]) + OCTET.at(60, OCTET_DATA[60:])
    + OCTET.at(30, OCTET_DATA[30:60]) + OCTET.at(20, OCTET_DATA[20:60]),
    # DNS: two messages in one segment, one with its prefix split.
    "dns_split": header(1000, 7) + op(2, SYN, -1, dns=True)
    + op(2, ACK, 0, dns(QUERY) + dns(QUERY), dns=True)
    + op(2, ACK, 0, dns(QUERY)[:1], dns=True)
    + op(2, ACK, 0, dns(QUERY)[1:], dns=True)
    + op(2, ACK, 0, b"\x00\x00" + dns(QUERY)[:5], dns=True)
    + op(2, ACK | FIN, 0, b"", dns=True),
    # Midstream pickup, a hole, the gap timeout, then idle expiry.
    "midstream_gap": header(100, 50000) + op(3, ACK, 0, b"ial\n" + SYSLOG_A)
    + op(3, ACK, 40, SYSLOG_B) + expire(200) + expire(250)
    + op(3, ACK, 0, SYSLOG_A) + expire(255) + expire(255),
    # Several flows filling the 4-stream table, and a reset.
    "evict_rst": header(64, 1) + b"".join(
        op(f, SYN, -1) + op(f, ACK, 0, SYSLOG_A) for f in range(6))
    + op(5, RST, 0) + op(0, ACK, 0, SYSLOG_B),
    # A message over message_max in LF and octet framing.
    "oversized": header(84, 100) + op(4, SYN, -1)
    + op(4, ACK, 0, b"<13>" + b"A" * 250) + op(4, ACK, 0, b"B" * 250 + b"\n")
    + op(5, SYN, -1) + op(5, ACK, 0, b"300 <13>" + b"C" * 240)
    + op(5, ACK, 0, b"D" * 56 + octet(b"<13>x")),
    # 3 x 6400 bytes without a LF: a message over several chunks, cut;
    # then FIN after an unterminated one.
    "long_fill": header(4000, 5) + op(6, SYN, -1) + op(6, ACK, 0, b"<13>")
    + fill(6, ACK, 0, ord("L"), 100) + fill(6, ACK, 0, ord("L"), 100)
    + fill(6, ACK, 0, ord("L"), 100) + op(6, ACK | FIN, 0, b"\n<13>end"),
    # The same stream whole and in pieces: LF with CRLF, cut inside a
    # CRLF and inside a message, pieces swapped, sent twice, FIN.
    "split_lf": split(S_FIN | S_SWAP | S_TWICE, [5, 63, 64, 90],
                      SYSLOG_A.replace(b"\n", b"\r\n") + SYSLOG_B + b"<13>x"),
    # Octet counting cut inside MSG-LEN, the detection's digits, a body.
    "split_octet": split(S_FIN | S_SWAP, [1, 2, 40],
                         octet(SYSLOG_A[:-1]) + octet(SYSLOG_B[:-1])),
    # DNS cut inside a length prefix, and a zero-length frame.
    "split_dns": split(S_DNS | S_TWICE, [1, 31, 32, 34],
                       dns(QUERY) + b"\x00\x00" + dns(QUERY)),
    # Midstream, a message over message_max (16 bytes) cut mid-message.
    "split_midstream_cut": split(S_MIDSTREAM | S_SWAP, [3, 20, 50],
                                 b"ial\n" + SYSLOG_A + SYSLOG_B,
                                 message_max_extra=0),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
