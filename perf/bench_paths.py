#!/usr/bin/python3
"""The cost per message of each way a message reaches the matcher, against
plain UDP syslog (issue 11): the same syslog messages sent as UDP, over
TCP (LF framing, one message per segment, 100 messages per connection),
as UDP datagrams in two IPv4 fragments each, inside VXLAN; and the same
DNS queries over UDP and over TCP. Each capture goes through
`iocsift replay` (one worker, the capture read once), the forms in turn,
`--rounds` times; a form's figure is the median of the worker's busy
time per message (the replay summary's `worker busy`: decode,
reassembly, parse, match and hit records, not the receive), and the
ratio is to UDP syslog (or UDP DNS) measured in the same rounds.

usage: bench_paths.py IOCSIFT FEED WORK_DIR [--messages N] [--rounds R]
       [--out RESULTS.jsonl]
Prints a table; with --out, appends one JSON line per form.
"""
import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synth_frames import PcapWriter, dns_name, dns_query, ether, ipv4, udp  # noqa: E402

MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
CLIENT, COLLECTOR = "10.0.0.14", "10.0.0.2"
TAP, SENSOR = "192.0.2.10", "192.0.2.20"
WATCHED = "journalide.org"


def messages(n):
    """n syslog lines of about 150 bytes, every 100th with the watched name."""
    for i in range(n):
        name = WATCHED if i % 100 == 0 else f"host{i % 997}.example.net"
        yield (f"<34>Nov 26 10:{i // 60 % 60:02d}:{i % 60:02d} edr01 "
               f"proxy[{1000 + i % 50}]: CONNECT {name}:443 from "
               f"10.1.{i % 250}.{i % 200 + 1} bytes={i * 7 % 99999} "
               f"status=200").encode()


def tcp_segment(sport, dport, seq, flags, payload):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, 1,
                       5 << 4, flags, 65535, 0, 0) + payload


def write_forms(work, n):
    """Writes each form's capture; returns {form: (path, frames, msgs)}."""
    forms = {}
    ts = 1795687205_000000

    def writer(form):
        path = os.path.join(work, form + ".pcap")
        return path, PcapWriter(path)

    # UDP syslog, VXLAN, fragments.
    for form in ("udp_syslog", "vxlan_syslog", "fragmented_syslog"):
        path, w = writer(form)
        frames = 0
        for i, m in enumerate(messages(n)):
            sport = 40000 + i % 1000
            if form == "fragmented_syslog":
                seg = udp(CLIENT, COLLECTOR, sport, 514, m, checksum=False)
                cut = (len(seg) // 2) & ~7
                for off, part, more in ((0, seg[:cut], 0x2000),
                                        (cut, seg[cut:], 0)):
                    ip = bytearray(ipv4(CLIENT, COLLECTOR, 17, part, i))
                    struct.pack_into("!H", ip, 6, more | off // 8)
                    w.write(ts, ether(MAC_A, MAC_B, 0x0800, bytes(ip)))
                    frames += 1
                continue
            inner = ether(MAC_A, MAC_B, 0x0800, ipv4(
                CLIENT, COLLECTOR, 17,
                udp(CLIENT, COLLECTOR, sport, 514, m, checksum=False), i))
            if form == "vxlan_syslog":
                vx = struct.pack("!II", 0x08000000, 4242 << 8) + inner
                inner = ether(MAC_A, MAC_B, 0x0800, ipv4(
                    TAP, SENSOR, 17,
                    udp(TAP, SENSOR, 50000, 4789, vx, checksum=False), i))
            w.write(ts, inner)
            frames += 1
        w.close()
        forms[form] = (path, frames, n)

    # TCP syslog: 100 messages a connection, each in its own segment.
    path, w = writer("tcp_syslog")
    frames = 0
    seq = 0
    for i, m in enumerate(messages(n)):
        sport = 30000 + i // 100
        if i % 100 == 0:
            seq = 1000
            w.write(ts, ether(MAC_A, MAC_B, 0x0800, ipv4(
                CLIENT, COLLECTOR, 6, tcp_segment(sport, 514, seq, 0x02, b""), i)))
            frames += 1
            seq += 1
        data = m + b"\n"
        w.write(ts, ether(MAC_A, MAC_B, 0x0800, ipv4(
            CLIENT, COLLECTOR, 6, tcp_segment(sport, 514, seq, 0x18, data), i)))
        seq += len(data)
        frames += 1
    w.close()
    forms["tcp_syslog"] = (path, frames, n)

    # DNS queries over UDP and over TCP (length prefix, one per segment).
    for form in ("udp_dns", "tcp_dns"):
        path, w = writer(form)
        frames = 0
        for i in range(n):
            name = ("cdn." + WATCHED) if i % 100 == 0 else \
                f"www{i % 997}.example{i % 89}.net"
            q = dns_query(i & 0xffff, dns_name(name), 1, False)
            sport = 30000 + i // 100
            if form == "udp_dns":
                seg = udp(CLIENT, COLLECTOR, 40000 + i % 1000, 53, q,
                          checksum=False)
                w.write(ts, ether(MAC_A, MAC_B, 0x0800,
                                  ipv4(CLIENT, COLLECTOR, 17, seg, i)))
                frames += 1
                continue
            if i % 100 == 0:
                seq = 1000
                w.write(ts, ether(MAC_A, MAC_B, 0x0800, ipv4(
                    CLIENT, COLLECTOR, 6,
                    tcp_segment(sport, 53, seq, 0x02, b""), i)))
                frames += 1
                seq += 1
            data = struct.pack("!H", len(q)) + q
            w.write(ts, ether(MAC_A, MAC_B, 0x0800, ipv4(
                CLIENT, COLLECTOR, 6, tcp_segment(sport, 53, seq, 0x18, data),
                i)))
            seq += len(data)
            frames += 1
        w.close()
        forms[form] = (path, frames, n)
    return forms


def replay_seconds(iocsift, feed, path, msgs, kind):
    done = subprocess.run([iocsift, "replay", "-f", feed, "-o", os.devnull,
                           path], capture_output=True, check=False)
    summary = done.stderr.decode(errors="replace")
    if done.returncode != 0:
        sys.exit(f"bench_paths: replay {path}: exit {done.returncode}\n"
                 f"{summary}")
    got = int(re.search(rf"{kind} messages: +(\d+)", summary).group(1))
    hits = int(re.search(r"hits: +(\d+)", summary).group(1))
    if got != msgs or hits != msgs // 100:
        sys.exit(f"bench_paths: {path}: {got} messages, {hits} hits, "
                 f"expected {msgs} and {msgs // 100}\n{summary}")
    return float(re.search(r"worker busy: +([0-9.]+) s", summary).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iocsift")
    parser.add_argument("feed")
    parser.add_argument("work")
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    forms = write_forms(args.work, args.messages)
    times = {form: [] for form in forms}
    for _ in range(args.rounds):
        for form, (path, _, msgs) in forms.items():
            kind = "dns" if form.endswith("dns") else "syslog"
            times[form].append(replay_seconds(args.iocsift, args.feed, path,
                                              msgs, kind))
    base = {k: statistics.median(times[f"udp_{k}"]) for k in ("syslog", "dns")}
    print(f"{'path':20} {'frames':>8} {'messages':>9} {'ns/message':>11} "
          f"{'ratio to UDP':>13}")
    for form, (path, frames, msgs) in forms.items():
        kind = "dns" if form.endswith("dns") else "syslog"
        median = statistics.median(times[form])
        row = {"type": "path", "path": form, "frames": frames,
               "messages": msgs, "seconds": times[form],
               "ns_per_message": median / msgs * 1e9,
               "ratio_to_udp": median / base[kind]}
        print(f"{form:20} {frames:8} {msgs:9} {row['ns_per_message']:11.0f} "
              f"{row['ratio_to_udp']:13.2f}")
        if args.out:
            with open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
