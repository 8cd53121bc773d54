"""The frames of perf/synth_capture.py's capture, built as raw bytes.

Ethernet (with 802.1Q/802.1ad tags), IPv4, IPv6, UDP, a TCP SYN and DNS
queries, checksums computed; FrameMaker, which carries the messages in them
and makes the unrelated and the malformed frames; PcapWriter, a classic pcap
file. perf/bench_traffic.py builds its frames with these functions too.
"""

from __future__ import annotations

import ipaddress
import random
import struct
from dataclasses import dataclass

from synth_feed import Feed
from synth_sources import (COLLECTOR, DNS_PORT, NTP_SERVER, PROXY, QTYPE_A, RESOLVER,
                           SYSLOG_PORT, Host, Msg, Sources, hdr3164, mac_of)

P_IPV6 = 0.08
P_VLAN = 0.03         # of which a quarter QinQ


def csum(data: bytes) -> int:
    """Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = int.from_bytes(data, "big")
    r = s % 0xFFFF
    if r == 0 and s:
        r = 0xFFFF
    return (~r) & 0xFFFF


def ether(src: bytes, dst: bytes, ethertype: int, payload: bytes,
          vlans: tuple[tuple[int, int], ...] = ()) -> bytes:
    """Ethernet II frame, with 802.1Q/802.1ad tags given as (tpid, vid)."""
    hdr = dst + src
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int,
         ttl: int = 64, total_len: int | None = None) -> bytes:
    """IPv4 header (DF, no options) + payload."""
    tl = 20 + len(payload) if total_len is None else total_len
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident & 0xFFFF, 0x4000, ttl,
                    proto, 0, ipaddress.IPv4Address(src).packed,
                    ipaddress.IPv4Address(dst).packed)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src: str, dst: str, nh: int, payload: bytes, hlim: int = 64) -> bytes:
    """IPv6 header without extension headers + payload."""
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim,
                       ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + payload


def pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    """Pseudo header for UDP/TCP checksums, IPv4 or IPv6."""
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, proto, length)
    return a.packed + b.packed + struct.pack("!IxxxB", length, proto)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes,
        length: int | None = None, checksum: bool = True) -> bytes:
    """UDP header + payload; length overrides the header's length field."""
    ln = 8 + len(payload) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, ln, 0) + payload
    if checksum:
        c = csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
        seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return seg


def tcp_syn(src: str, dst: str, sport: int, dport: int, seq: int) -> bytes:
    """TCP SYN with MSS, SACK-permitted, timestamps and window scale options."""
    opts = (b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + struct.pack("!II", seq & 0xFFFFFFFF, 0)
            + b"\x01\x03\x03\x07")
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0,
                      (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
    c = csum(pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def dns_name(name: str) -> bytes:
    """Wire form of a dotted name (labels <= 63 bytes, no compression)."""
    out = b""
    for label in name.rstrip(".").split("."):
        lb = label.encode("ascii")
        if not 0 < len(lb) <= 63:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(lb)]) + lb
    return out + b"\0"


def dns_query(qid: int, qname_wire: bytes, qtype: int, edns: bool) -> bytes:
    """A standard recursive query; with an EDNS(0) OPT record if edns."""
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    q = qname_wire + struct.pack("!HH", qtype, 1)
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0) if edns else b""
    return hdr + q + opt


@dataclass
class Frame:
    """One record of the capture."""

    data: bytes
    kind: str                   # syslog, dns, other, malformed
    msg: Msg | None = None
    detail: str = ""
    ipv6: bool = False
    vlan: bool = False


class FrameMaker:
    """Builds frames from messages, unrelated traffic and malformed cases."""

    def __init__(self, rng: random.Random, feed: Feed):
        self.rng = rng
        self.ident = 0x1000
        self.loops = 0
        doms = feed.values["domain"]
        self.c2 = "journalide.org" if "journalide.org" in doms else \
            min(doms, key=len, default="example.com")

    def _ip(self, src: Host, dst: Host, v6: bool, proto: int, l4: bytes,
            vlans: tuple) -> bytes:
        """Wraps an L4 segment in IP and Ethernet."""
        self.ident += 1
        if v6:
            pkt, et = ipv6(src.ipv6, dst.ipv6, proto, l4), 0x86DD
            smac, dmac = mac_of(src), mac_of(dst)
        else:
            ttl = 128 if src.name.startswith("WS-") else 64
            pkt, et = ipv4(src.ipv4, dst.ipv4, proto, l4, self.ident, ttl), 0x0800
            smac, dmac = mac_of(src), mac_of(dst)
        return ether(smac, dmac, et, pkt, vlans)

    def transport(self, force: str | None = None) -> tuple[bool, tuple]:
        """Chooses IPv4/IPv6 and VLAN tags for one frame; force is one of
        v4, v6, vlan, qinq, v6vlan (used for the coverage messages)."""
        qinq = ((0x88A8, 100), (0x8100, 20))
        if force is not None:
            vlans = qinq if force == "qinq" else \
                ((0x8100, 20),) if force in ("vlan", "v6vlan") else ()
            return force in ("v6", "v6vlan"), vlans
        v6 = self.rng.random() < P_IPV6
        vlans: tuple = ()
        if self.rng.random() < P_VLAN:
            vlans = qinq if self.rng.random() < 0.25 else \
                ((0x8100, self.rng.choice((10, 20, 30))),)
        return v6, vlans

    def message(self, msg: Msg, force: str | None = None) -> Frame:
        """The frame carrying one syslog message or DNS question."""
        v6, vlans = self.transport(force)
        if msg.protocol == "syslog":
            src, dst, dport = msg.src, COLLECTOR, SYSLOG_PORT
            sport = msg.sport or self.rng.randint(49152, 65535)
            payload = msg.text.encode("utf-8")
        else:
            src, dst, dport = msg.src, RESOLVER, DNS_PORT
            sport = self.rng.randint(49152, 65535)
            payload = dns_query(self.rng.getrandbits(16), dns_name(msg.text),
                                msg.qtype, self.rng.random() < 0.4)
        a = (src.ipv6, dst.ipv6) if v6 else (src.ipv4, dst.ipv4)
        l4 = udp(a[0], a[1], sport, dport, payload)
        return Frame(self._ip(src, dst, v6, 17, l4, vlans), msg.protocol, msg,
                     ipv6=v6, vlan=bool(vlans))

    def other(self, gen: Sources) -> Frame:
        """Traffic that is neither syslog nor DNS and must be ignored."""
        rng = self.rng
        ws = gen.ws()
        kind = rng.choice(("ntp", "tcp443", "arp", "icmp"))
        if kind == "ntp":
            ntp = bytes([0x23]) + bytes(39) + struct.pack("!II", 0xED0A2F10,
                                                          rng.getrandbits(32))
            l4 = udp(ws.ipv4, NTP_SERVER.ipv4, 123, 123, ntp)
            return Frame(self._ip(ws, NTP_SERVER, False, 17, l4, ()), "other",
                         detail="udp/123")
        if kind == "tcp443":
            dst = Host("web", gen.public_ip(), "2001:db8:ffff::1")
            seg = tcp_syn(ws.ipv4, dst.ipv4, gen.port(), 443, rng.getrandbits(32))
            return Frame(self._ip(ws, dst, False, 6, seg, ()), "other", detail="tcp/443 syn")
        if kind == "arp":
            tip = f"10.1.20.{rng.randint(1, 250)}"
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_of(ws),
                              ipaddress.IPv4Address(ws.ipv4).packed, bytes(6),
                              ipaddress.IPv4Address(tip).packed) + bytes(18)
            return Frame(ether(mac_of(ws), b"\xff" * 6, 0x0806, arp), "other",
                         detail="arp")
        icmp = struct.pack("!BBHHH", 8, 0, 0, 1, rng.randint(1, 9999)) + \
            b"abcdefghijklmnopqrstuvwabcdefghi"
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        dst = Host("gw", "10.1.0.1", "2001:db8:0:1::1")
        return Frame(self._ip(ws, dst, False, 1, icmp, ()), "other", detail="icmp echo")

    def malformed(self, gen: Sources, kind: str, ts: int) -> Frame:
        """A frame that must be counted as malformed. The broken frames
        yield no hit; the DNS messages whose question does not parse are
        matched as text (docs/matching.md, "Malformed messages"), so the
        ones that carry the C2 name hit it: their msg says so."""
        rng = self.rng
        ws = gen.ws()
        self.ident += 1
        if kind == "trunc_ipv4":
            # Syslog to 514 cut inside the IPv4 header (12 of 20 bytes).
            text = hdr3164(150, ts, PROXY.name, "squid", 2231) + \
                f"CONNECT {self.c2}:443"
            full = ipv4(PROXY.ipv4, COLLECTOR.ipv4, 17,
                        udp(PROXY.ipv4, COLLECTOR.ipv4, 514, 514, text.encode()), self.ident)
            return Frame(ether(mac_of(PROXY), mac_of(COLLECTOR), 0x0800, full[:12]),
                         "malformed", detail="truncated IPv4 header")
        if kind == "udp_len":
            # UDP length 300 bytes more than the frame holds; payload names a C2.
            text = hdr3164(150, ts, PROXY.name, "squid", 2231) + \
                f"CONNECT {self.c2}:443"
            payload = text.encode()
            seg = udp(PROXY.ipv4, COLLECTOR.ipv4, 514, 514, payload,
                      length=8 + len(payload) + 300, checksum=False)
            pkt = ipv4(PROXY.ipv4, COLLECTOR.ipv4, 17, seg, self.ident)
            return Frame(ether(mac_of(PROXY), mac_of(COLLECTOR), 0x0800, pkt),
                         "malformed", detail="UDP length larger than the frame")
        if kind == "dns_loop":
            variant = self.loops % 3
            self.loops += 1
            if variant == 0:                      # name = pointer to itself
                wire, det = b"\xc0\x0c", "self-pointer"
            elif variant == 1:                    # c2.tld then back to offset 12
                labels = self.c2.split(".")
                wire = b"".join(bytes([len(x)]) + x.encode() for x in labels) + b"\xc0\x0c"
                det = f"{self.c2} + pointer back to its start"
            else:                                 # two pointers, each to the other
                wire, det = b"\xc0\x0e\xc0\x0c", "pointer ping-pong"
            payload = dns_query(rng.getrandbits(16), wire, QTYPE_A, False)
            seg = udp(ws.ipv4, RESOLVER.ipv4, gen.port(), 53, payload)
            name, hits = (self.c2, [("domain", self.c2)]) if variant == 1 else ("", [])
            return Frame(self._ip(ws, RESOLVER, False, 17, seg, ()), "malformed",
                         Msg("dns", name, ws, hits=hits),
                         detail="DNS compression pointer loop: " + det)
        # A 64-byte label (length byte 0x40 is a reserved label type) before a C2.
        wire = b"\x40" + b"a" * 64 + dns_name(self.c2)
        payload = dns_query(rng.getrandbits(16), wire, QTYPE_A, False)
        seg = udp(ws.ipv4, RESOLVER.ipv4, gen.port(), 53, payload)
        return Frame(self._ip(ws, RESOLVER, False, 17, seg, ()), "malformed",
                     Msg("dns", self.c2, ws, hits=[("domain", self.c2)]),
                     detail=f"DNS label length 64 before {self.c2}")


MALFORMED_KINDS = ("trunc_ipv4", "udp_len", "dns_loop", "dns_label64")


class PcapWriter:
    """Classic libpcap file writer (microsecond timestamps, Ethernet)."""

    def __init__(self, path: str):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def write(self, ts_us: int, data: bytes) -> None:
        """Appends one record."""
        self.f.write(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000,
                                 len(data), len(data)))
        self.f.write(data)

    def close(self) -> None:
        self.f.close()
