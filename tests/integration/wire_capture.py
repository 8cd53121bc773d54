"""Writes a capture of syslog and DNS messages as a SPAN port hands them
over: in IP fragments (IPv4 and IPv6, out of order), and inside every
encapsulation the decoder knows (802.1Q, QinQ, PPPoE, MPLS, GRE with and
without key and sequence number, ERSPAN II and III, VXLAN, Geneve,
IP-in-IP, IPv6 extension headers). Each message carries the watched name
once; the expected layers of each are written as JSON.

usage: wire_capture.py CAPTURE EXPECTED_JSON
"""
import json
import sys

from scapy.all import (DNS, DNSQR, GRE, IP, UDP, Dot1AD, Dot1Q, Ether,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, PPP, PPPoE, Raw, fragment,
                       fragment6, wrpcap)
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
from scapy.contrib.geneve import GENEVE
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN

WATCHED = "journalide.org"
CLIENT, COLLECTOR, RESOLVER = "10.0.0.14", "10.0.0.2", "10.0.0.53"
CLIENT6, COLLECTOR6 = "2001:db8::14", "2001:db8::2"
# The sensor's tunnel endpoints.
TAP, SENSOR = "192.0.2.10", "192.0.2.20"


def eth(**kw):
    """Ethernet with both addresses given: scapy looks nothing up."""
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", **kw)


def syslog(i, text=None):
    line = text or f"<34>Nov 26 10:00:{i:02d} edr01 falcon[42]: host " \
        f"contacted {WATCHED}:443 (case {i})"
    return IP(src=CLIENT, dst=COLLECTOR) / UDP(sport=40000 + i, dport=514) \
        / Raw(line.encode())


def mirrored(i):
    """The mirrored frame a tunnel carries: Ethernet, IPv4, syslog."""
    return eth() / syslog(i)


def outer():
    return eth() / IP(src=TAP, dst=SENSOR)


def cases():
    """(name, frames, expected layers) per message."""
    long_line = "<34>Nov 26 10:00:00 edr01 falcon[42]: " + "x" * 3000 + \
        f" {WATCHED} " + "y" * 1000
    big = IP(src=CLIENT, dst=COLLECTOR, id=7) / UDP(sport=41000, dport=514) \
        / Raw(long_line.encode())
    frags = fragment(big, fragsize=1480)
    v6_dns = IPv6(src=CLIENT6, dst=COLLECTOR6) / IPv6ExtHdrFragment(id=9) / \
        UDP(sport=41001, dport=53) / DNS(id=5, qd=DNSQR(
            qname="x" * 60 + "." + "y" * 60 + ".cdn." + WATCHED)) / \
        Raw(b"\x00" * 1400)
    v6_frags = fragment6(v6_dns, 600)
    yield ("ipv4 fragments, last first",
           [eth() / f for f in reversed(frags)], [])
    yield ("ipv6 fragments, out of order",
           [eth() / f for f in (v6_frags[1], v6_frags[0], v6_frags[2:])
            if not isinstance(f, list)] +
           [eth() / f for f in v6_frags[2:]], [])
    yield ("802.1Q", [eth() / Dot1Q(vlan=42) / syslog(1)], ["vlan"])
    yield ("QinQ", [eth() / Dot1AD(vlan=100) / Dot1Q(vlan=42) / syslog(2)],
           ["vlan", "vlan"])
    yield ("PPPoE session",
           [eth() / PPPoE(sessionid=7) / PPP(proto=0x0021) / syslog(3)],
           ["pppoe"])
    yield ("MPLS, two labels",
           [eth(type=0x8847) / MPLS(label=100, s=0) /
            MPLS(label=200, s=1) / syslog(4)], ["mpls"])
    yield ("GRE", [outer() / GRE() / syslog(5)], ["gre"])
    yield ("GRE with key and sequence number",
           [outer() / GRE(key_present=1, key=77, seqnum_present=1,
                          seqence_number=5) / syslog(6)], ["gre"])
    yield ("GRE, transparent Ethernet bridging",
           [outer() / GRE(proto=0x6558) / mirrored(7)], ["gre"])
    yield ("ERSPAN type II",
           [outer() / GRE(seqnum_present=1, seqence_number=1, proto=0x88be) /
            ERSPAN_II(ver=1, session_id=12) / mirrored(8)], ["gre", "erspan"])
    yield ("ERSPAN type III",
           [outer() / GRE(seqnum_present=1, seqence_number=2, proto=0x22eb) /
            ERSPAN_III(session_id=13) / mirrored(9)], ["gre", "erspan"])
    yield ("VXLAN",
           [outer() / UDP(sport=50000, dport=4789) / VXLAN(vni=4242) /
            mirrored(10)], ["vxlan"])
    yield ("Geneve",
           [outer() / UDP(sport=50001, dport=6081) / GENEVE(vni=4343,
                                                              proto=0x6558) /
            mirrored(11)], ["geneve"])
    yield ("IP-in-IP", [outer() / syslog(12)], ["ipip"])
    yield ("IPv6 extension headers",
           [eth() / IPv6(src=CLIENT6, dst=COLLECTOR6) /
            IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
            UDP(sport=40013, dport=514) /
            Raw(f"<34>Nov 26 10:00:13 edr01 falcon: {WATCHED}".encode())], [])
    yield ("VLAN around VXLAN around a fragmented datagram",
           [eth() / Dot1Q(vlan=9) / IP(src=TAP, dst=SENSOR) /
            UDP(sport=50002, dport=4789) / VXLAN(vni=1) /
            eth() / f for f in fragment(
                IP(src=CLIENT, dst=COLLECTOR, id=11) /
                UDP(sport=41002, dport=514) / Raw(long_line.encode()),
                fragsize=1400)], ["vlan", "vxlan"])


def main():
    capture, expected_path = sys.argv[1:3]
    frames, expected, t = [], [], 1795687205
    for name, case_frames, layers in cases():
        for f in case_frames:
            f.time = t
            t += 1
            frames.append(f)
        # The message is complete with the case's last frame.
        expected.append({"name": name, "frame": len(frames),
                         "layers": layers})
    wrpcap(capture, frames)
    with open(expected_path, "w", encoding="utf-8") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
