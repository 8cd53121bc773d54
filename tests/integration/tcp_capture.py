"""Writes a capture of TCP syslog (RFC 6587, both framings) and DNS over
TCP as a SPAN port sees them: several messages in a segment, messages
over several segments, segments out of order, retransmitted, overlapping
(with other bytes in the second copy), a gap, a stream picked up in the
middle, octet-counted messages with newlines in them. Each stream has its
own client port; the expected hits per client port are written as JSON.

usage: tcp_capture.py CAPTURE EXPECTED_JSON
"""
import json
import struct
import sys

from scapy.all import DNS, DNSQR, IP, TCP, Ether, Raw, wrpcap

W = "journalide.org"
CLIENT, SERVER = "10.0.0.14", "10.0.0.2"


def line(i):
    return f"<34>Nov 26 10:00:{i:02d} edr01 falcon[42]: host contacted {W}:443"


class Stream:
    def __init__(self, frames, sport, dport, t):
        self.frames, self.sport, self.dport, self.t = frames, sport, dport, t
        self.isn = 1000 * sport

    def seg(self, offset, data, flags="PA", dt=0.001):
        """The segment of the stream's bytes at offset (after the SYN)."""
        self.t[0] += dt
        f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
            IP(src=CLIENT, dst=SERVER) / \
            TCP(sport=self.sport, dport=self.dport, flags=flags,
                seq=(self.isn + 1 + offset) & 0xffffffff, ack=1) / Raw(data)
        f.time = self.t[0]
        self.frames.append(f)

    def syn(self):
        self.t[0] += 0.001
        f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
            IP(src=CLIENT, dst=SERVER) / \
            TCP(sport=self.sport, dport=self.dport, flags="S", seq=self.isn)
        f.time = self.t[0]
        self.frames.append(f)


def main():
    capture, expected_path = sys.argv[1:3]
    frames, t, expected = [], [1795687205.0], {}

    # LF framing: two lines in one segment, one line over two segments.
    s = Stream(frames, 41001, 514, t)
    data = (line(1) + "\n" + line(2) + "\n" + line(3) + "\n").encode()
    cut = len(line(1)) + len(line(2)) + 2 + 20
    s.syn()
    s.seg(0, data[:cut])
    s.seg(cut, data[cut:], flags="FA")
    expected["lf: two in a segment, one over two"] = [41001, 3]

    # Octet counting: a message with a newline in it, two in a segment.
    s = Stream(frames, 41002, 601, t)
    m1 = ("<34>Nov 26 10:00:04 edr01 app: first line\nsecond line " + W).encode()
    m2 = line(5).encode()
    data = b"%d " % len(m1) + m1 + b"%d " % len(m2) + m2
    s.syn()
    s.seg(0, data, flags="FPA")
    expected["octet counting with a newline"] = [41002, 2]

    # Out of order: three segments in the order 1, 3, 2.
    s = Stream(frames, 41003, 514, t)
    data = (line(6) + "\n").encode()
    a, b = 20, 45
    s.syn()
    s.seg(0, data[:a])
    s.seg(b, data[b:])
    s.seg(a, data[a:b])
    expected["out of order"] = [41003, 1]

    # A retransmitted segment, and an overlap whose second copy has other
    # bytes where the name was: the first copy wins, one hit each line.
    s = Stream(frames, 41004, 514, t)
    data = (line(7) + "\n" + line(8) + "\n").encode()
    half = len(line(7)) + 1
    s.syn()
    s.seg(0, data[:half])
    s.seg(0, data[:half])
    s.seg(half, data[half:half + 70])
    s.seg(half + 10, data[half + 10:].replace(W.encode(), b"x" * len(W)))
    expected["retransmission and overlap"] = [41004, 2]

    # A gap: bytes never seen, then a line after it; the stream waits
    # 2 s, gives the gap up and resumes on the next line.
    s = Stream(frames, 41005, 514, t)
    data = (line(9) + "\n" + line(10) + "\n" + line(11) + "\n").encode()
    one = len(line(9)) + 1
    s.syn()
    s.seg(0, data[:one])
    s.seg(one + 30, data[one + 30:], dt=2.5)
    s.seg(len(data), b"", flags="FA", dt=0.001)
    expected["a gap"] = [41005, 2]

    # Picked up in the middle of a line: its rest is dropped, the next
    # line hits.
    s = Stream(frames, 41006, 514, t)
    data = (line(12)[30:] + "\n" + line(13) + "\n").encode()
    s.seg(0, data)
    expected["mid-stream"] = [41006, 1]

    # DNS over TCP: two queries in a segment, a third with its length
    # prefix split from it.
    s = Stream(frames, 41007, 53, t)
    q = [bytes(DNS(id=i, qd=DNSQR(qname=f"c{i}.{W}"))) for i in range(3)]
    framed = [struct.pack("!H", len(x)) + x for x in q]
    s.syn()
    s.seg(0, framed[0] + framed[1])
    at = len(framed[0]) + len(framed[1])
    s.seg(at, framed[2][:1])
    s.seg(at + 1, framed[2][1:], flags="FPA")
    expected["dns: two in a segment, a prefix split"] = [41007, 3]

    wrpcap(capture, frames)
    with open(expected_path, "w", encoding="utf-8") as f:
        json.dump([{"name": k, "port": v[0], "hits": v[1]}
                   for k, v in expected.items()], f)


if __name__ == "__main__":
    main()
