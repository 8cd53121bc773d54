"""Writes a capture of syslog messages, each naming its own watched domain,
and cuts it short inside its last record, as a capture copied while it
was being written ends.

usage: truncated_capture.py FORMAT CAPTURE CUT
FORMAT is pcap or pcapng; CUT is where in the last record the file ends:
"data" (in the frame's bytes) or "header" (in the record's header).
Prints one line: "<whole frames> <byte offset of the cut record>".
"""
import os
import sys

from scapy.all import IP, UDP, Ether, Raw, wrpcap, wrpcapng

FRAMES = 6


def frame(i):
    text = "<34>Nov 26 10:00:0%d edr01 falcon: beacon to hit%d.example" % (i, i)
    return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
            IP(src="10.0.0.14", dst="10.0.0.2") /
            UDP(sport=40000 + i, dport=514) / Raw(text.encode()))


def main():
    fmt, path, cut = sys.argv[1:4]
    packets = [frame(i) for i in range(1, FRAMES + 1)]
    write = wrpcap if fmt == "pcap" else wrpcapng
    # The offset of the last record: the size of the file without it.
    write(path, packets[:-1])
    offset = os.path.getsize(path)
    write(path, packets)
    size = os.path.getsize(path)
    # Record headers: 16 bytes in pcap; an enhanced packet block's fixed
    # part is 28 bytes in pcapng.
    keep = offset + 7 if cut == "header" else offset + (size - offset) // 2
    with open(path, "r+b") as f:
        f.truncate(keep)
    print(FRAMES - 1, offset)


if __name__ == "__main__":
    main()
