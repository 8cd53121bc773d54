#!/usr/bin/env python3
"""Deterministic synthetic SPAN capture for iocsift: syslog and DNS with known hits.

Usage (Debian's /usr/bin/python3; scapy is only needed for --verify):

    /usr/bin/python3 perf/synth_capture.py --feed data/3cx.csv --out DIR \
        [--messages N] [--seed S] [--verify]

Writes into DIR:

  capture.pcap         classic pcap (Ethernet): UDP syslog to port 514 (RFC 3164,
                       RFC 5424 and vendor-native framings from a proxy, firewalls,
                       EDRs and resolvers), DNS queries to UDP port 53, some of them
                       over IPv6 or 802.1Q/QinQ, unrelated traffic (NTP, TCP SYN,
                       ARP, ICMP) and a few malformed frames.
  expected.jsonl       the hits the capture must produce, one per (message,
                       indicator): frame, protocol, indicator_type, indicator,
                       message.
  messages.log         every syslog payload of the capture, one per line, as sent.
  expected_scan.jsonl  the hits of messages.log, with "line" instead of "frame".
  summary.json         counts.

The ground truth is by construction, not by matching: every message template
says which indicators it put in (and which look-alikes it put in on purpose
that must NOT match, per the semantics table of DESIGN.md). As a guard, every
feed value that occurs anywhere in a message (case-insensitively) must be one
the template declared, else generation stops with an error; so an indicator
cannot slip into a message unnoticed.

N messages (syslog + DNS) are written; about 7% hit an indicator and about 4%
are near misses. Frames are built as raw bytes (checksums computed) and
written with struct, which keeps --messages 200000 fast; --verify re-reads the
file with scapy and checks every well-formed frame.

The code is in modules next to this file, imported from the script's
directory (which Python puts first on sys.path): synth_feed.py reads and
normalizes the feed; synth_sources.py holds the hosts, the messages and one
formatter per log source; synth_templates.py the hit and near-miss templates;
synth_frames.py the frames and the pcap writer. This file keeps the ground
truth (the guard, the expected hits), the plan, generate, verify and the
command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys

from synth_feed import INDICATOR_TYPES, Feed, load_feed, normalize, value_key
from synth_frames import MALFORMED_KINDS, FrameMaker, PcapWriter
from synth_sources import DNS_PORT, SYSLOG_PORT, Msg, iso_us
from synth_templates import (Gen, dns_hit_templates, dns_near_templates,
                             syslog_hit_templates, syslog_near_templates)

# The substring guard costs messages x feed values; above this many values it
# is skipped (with a warning).
GUARD_MAX_VALUES = 20000

BASE_TIME_US = int(dt.datetime(2026, 11, 26, 10, 0, 0,
                               tzinfo=dt.timezone.utc).timestamp()) * 1_000_000

P_DNS = 0.28          # share of messages that are DNS queries
P_HIT = 0.07          # share of messages built to hit
P_NEAR = 0.04         # share of messages built as near misses
P_OTHER = 0.03        # unrelated frames per message


# --------------------------------------------------------------------------
# Ground truth


class Guard:
    """Checks that a message holds no feed value the template did not declare."""

    def __init__(self, feed: Feed):
        pairs = [(t, v) for t in INDICATOR_TYPES for v in feed.values[t]]
        self.full = len(pairs) <= GUARD_MAX_VALUES
        self.pairs = [(t, v, v.lower()) for t, v in pairs] if self.full else []

    def check(self, msg: Msg, expected: list[tuple[str, str]]) -> None:
        """Raises ValueError on an undeclared feed value or a declared hit
        that is not in the text."""
        low = msg.text.lower()
        declared = {(t, value_key(t, normalize(t, v))) for t, v in msg.hits + msg.misses}
        for t, v in expected:
            if normalize(t, v).lower() not in low:
                raise ValueError(f"declared hit {t} {v!r} not in message: {msg.text!r}")
        for t, v, vl in self.pairs:
            if vl in low and (t, value_key(t, v)) not in declared:
                raise ValueError(f"undeclared feed value {t} {v!r} in message: "
                                 f"{msg.text!r}")


def expected_hits(feed: Feed, msg: Msg) -> list[tuple[str, str]]:
    """The (type, normalized value) pairs of msg that are in the feed."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for t, v in msg.hits:
        nv = normalize(t, v)
        if feed.has(t, nv):
            out[(t, value_key(t, nv))] = (t, feed.canonical(t, nv))
    return sorted(out.values(), key=lambda p: (INDICATOR_TYPES.index(p[0]), p[1]))


# --------------------------------------------------------------------------
# Plan and output


def build_plan(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """The order of frames: (kind, category) for n messages plus unrelated
    and malformed frames. Coverage items (one of each template) come first
    in the list and are shuffled with the rest."""
    plan: list[tuple[str, str]] = []
    for _ in range(n):
        kind = "dns" if rng.random() < P_DNS else "syslog"
        r = rng.random()
        cat = "hit" if r < P_HIT else "near" if r < P_HIT + P_NEAR else "benign"
        plan.append((kind, cat))
    per_kind = max(2, n // 1000)
    plan += [("malformed", k) for k in MALFORMED_KINDS
             for _ in range(per_kind + (k == "dns_loop"))]    # 3 loop variants
    plan += [("other", "")] * max(4, int(n * P_OTHER))
    rng.shuffle(plan)
    return plan


def generate(feed: Feed, n: int, seed: int, outdir: str) -> dict:
    """Writes the capture and its ground truth into outdir; returns the summary."""
    rng = random.Random(seed)
    g = Gen(rng, feed)
    fm = FrameMaker(rng, feed)
    guard = Guard(feed)
    plan = build_plan(rng, n)

    # Every template at least once: the first message slots of each
    # (kind, category) take them in turn, cycling through the transports.
    queues = {
        ("syslog", "hit"): list(syslog_hit_templates(g)),
        ("syslog", "near"): list(syslog_near_templates(g)),
        ("dns", "hit"): list(dns_hit_templates(g)),
        ("dns", "near"): list(dns_near_templates(g)),
    }
    for key, temps in queues.items():
        need = len(temps) - sum(1 for p in plan if p == key)
        spare = [i for i, p in enumerate(plan) if p == (key[0], "benign")]
        for i in rng.sample(spare, max(0, min(need, len(spare)))):
            plan[i] = key
    forced = ["v4", "v6", "vlan", "v4", "qinq", "v6vlan"]
    pending = {k: list(v) for k, v in queues.items()}

    ts = BASE_TIME_US + rng.randint(0, 999_999)
    pcap = PcapWriter(os.path.join(outdir, "capture.pcap"))
    exp_f = open(os.path.join(outdir, "expected.jsonl"), "w", encoding="utf-8")
    scan_f = open(os.path.join(outdir, "expected_scan.jsonl"), "w", encoding="utf-8")
    log_f = open(os.path.join(outdir, "messages.log"), "w", encoding="utf-8")
    counts = dict(frames=0, syslog_messages=0, dns_queries=0, malformed_frames=0,
                  other_frames=0, expected_hits=0, expected_scan_hits=0,
                  hit_messages=0, near_miss_messages=0, ipv6_frames=0, vlan_frames=0)
    by_type: dict[str, int] = {}
    malformed_detail: dict[int, str] = {}
    cover_i = 0
    first_ts = 0

    for kind, cat in plan:
        ts += rng.randint(150, 1500)
        if kind == "other":
            fr = fm.other(g)
            counts["other_frames"] += 1
        elif kind == "malformed":
            fr = fm.malformed(g, cat, ts)
            counts["malformed_frames"] += 1
            malformed_detail[counts["frames"] + 1] = fr.detail
            # A DNS message that does not parse is still one (matched as
            # text); the broken frames carry none.
            if fr.msg is not None:
                counts["dns_queries"] += 1
        else:
            msg, force = None, None
            if cat in ("hit", "near"):
                todo = pending[(kind, cat)]
                while todo and msg is None:
                    t = todo.pop(0)
                    msg = t(ts) if kind == "syslog" else t()
                    force = forced[cover_i % len(forced)]
                    cover_i += 1
                temps = queues[(kind, cat)]
                tries = 0
                while msg is None and tries < 20:
                    t = rng.choice(temps)
                    msg = t(ts) if kind == "syslog" else t()
                    tries += 1
                    force = None
            if msg is None:
                msg = g.benign_syslog(ts) if kind == "syslog" else g.benign_dns()
            else:
                msg.category = cat
            fr = fm.message(msg, force)
            counts["syslog_messages" if kind == "syslog" else "dns_queries"] += 1
        counts["frames"] += 1
        frame_no = counts["frames"]
        first_ts = first_ts or ts
        counts["ipv6_frames"] += fr.ipv6
        counts["vlan_frames"] += fr.vlan
        pcap.write(ts, fr.data)

        if fr.msg is None:
            continue
        msg = fr.msg
        if "\n" in msg.text or "\r" in msg.text:
            raise ValueError(f"line break in message {msg.text!r}")
        hits = expected_hits(feed, msg)
        guard.check(msg, hits)
        if hits:
            counts["hit_messages"] += 1
        if msg.category == "near":
            counts["near_miss_messages"] += 1
        if msg.protocol == "syslog":
            log_f.write(msg.text + "\n")
            line_no = counts["syslog_messages"]
        for t, v in hits:
            rec = {"frame": frame_no, "protocol": msg.protocol, "indicator_type": t,
                   "indicator": v, "message": msg.text}
            exp_f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts["expected_hits"] += 1
            by_type[t] = by_type.get(t, 0) + 1
            if msg.protocol == "syslog":
                rec = {"line": line_no, "protocol": "syslog", "indicator_type": t,
                       "indicator": v, "message": msg.text}
                scan_f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                counts["expected_scan_hits"] += 1

    for f in (exp_f, scan_f, log_f):
        f.close()
    pcap.close()
    summary = dict(counts, messages=n, seed=seed, feed_indicators=feed.count(),
                   expected_hits_by_type=dict(sorted(by_type.items())),
                   malformed_frames_at=malformed_detail,
                   guard="all feed values" if guard.full else "skipped (feed too big)",
                   first_timestamp=iso_us(first_ts), last_timestamp=iso_us(ts))
    if feed.ignored:
        summary["feed_types_ignored"] = feed.ignored
    with open(os.path.join(outdir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return summary


def verify(outdir: str, summary: dict) -> None:
    """Re-reads the capture with scapy: frame count, IPv4/UDP/TCP checksums of
    the well-formed frames, syslog payloads against messages.log, DNS
    questions decode."""
    import logging                                      # noqa: PLC0415
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import DNS, IP, TCP, UDP, IPv6, PcapReader, raw  # noqa: PLC0415

    with open(os.path.join(outdir, "messages.log"), encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    nframes = nsys = ndns = nsum = 0
    for pkt in PcapReader(os.path.join(outdir, "capture.pcap")):
        nframes += 1
        l3 = pkt[IP] if IP in pkt else pkt[IPv6] if IPv6 in pkt else None
        l4 = UDP if UDP in pkt else TCP if TCP in pkt else None
        if l3 is None or l4 is None or len(raw(l3)) < 20:
            continue                                    # incl. the truncated IPv4
        if l4 is UDP and pkt[UDP].len != len(raw(pkt[UDP])):
            continue                                    # the lying UDP length
        chk = l3.__class__(raw(l3))
        want = (chk[l4].chksum, chk.chksum if IP in chk else None)
        del chk[l4].chksum
        if IP in chk:
            del chk[IP].chksum
        again = l3.__class__(raw(chk))
        got = (again[l4].chksum, again.chksum if IP in again else None)
        if want != got:
            raise ValueError(f"frame {nframes}: checksums {want} != recomputed {got}")
        nsum += 1
        if l4 is UDP and pkt[UDP].dport == SYSLOG_PORT:
            text = bytes(pkt[UDP].payload).decode("utf-8")
            if nsys >= len(lines) or text != lines[nsys]:
                raise ValueError(f"frame {nframes}: syslog payload != messages.log "
                                 f"line {nsys + 1}")
            nsys += 1
        elif l4 is UDP and pkt[UDP].dport == DNS_PORT:
            try:
                q = DNS(bytes(pkt[UDP].payload))
                ok = q.qd is not None and len(q.qd.qname) > 1
            except Exception:                           # pylint: disable=broad-except
                ok = False
            ndns += ok
    if nframes != summary["frames"] or nsys != summary["syslog_messages"]:
        raise ValueError(f"verify: {nframes} frames, {nsys} syslog; summary says "
                         f"{summary['frames']}, {summary['syslog_messages']}")
    print(f"verify: scapy read {nframes} frames; {nsum} with valid checksums; "
          f"{nsys} syslog payloads equal messages.log; {ndns} DNS questions decode "
          f"(summary: {summary['dns_queries']} well-formed)")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feed", required=True, help="iocsift CSV feed (e.g. data/3cx.csv)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--messages", type=int, default=2000,
                    help="syslog messages + DNS questions (default 2000)")
    ap.add_argument("--seed", type=int, default=3, help="RNG seed (default 3)")
    ap.add_argument("--verify", action="store_true",
                    help="re-read the capture with scapy and check it")
    args = ap.parse_args(argv)
    if args.messages < 1:
        ap.error("--messages must be at least 1")
    feed = load_feed(args.feed)
    if feed.count() == 0:
        ap.error(f"{args.feed}: no usable indicators")
    if feed.ignored:
        print(f"synth_capture: {args.feed}: types not generated nor expected: "
              + ", ".join(f"{t} ({n})" for t, n in sorted(feed.ignored.items())),
              file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    try:
        summary = generate(feed, args.messages, args.seed, args.out)
    except ValueError as e:
        print(f"synth_capture: {e}", file=sys.stderr)
        return 1
    print(f"{args.out}: {summary['frames']} frames, {summary['syslog_messages']} syslog, "
          f"{summary['dns_queries']} dns, {summary['malformed_frames']} malformed, "
          f"{summary['other_frames']} other; {summary['expected_hits']} expected hits "
          f"in {summary['hit_messages']} messages")
    if summary["guard"] != "all feed values":
        print("synth_capture: feed too big for the substring guard; expected hits "
              "assume no feed value occurs in the filler traffic", file=sys.stderr)
    if args.verify:
        verify(args.out, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
