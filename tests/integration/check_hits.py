#!/usr/bin/env python3
"""Compares iocsift's hit events with the expected hits of a synthetic capture.

    check_hits.py --expected expected.jsonl --events events.jsonl [--key frame|line]

expected.jsonl comes from perf/synth_capture.py: one object per expected
(message, indicator) pair with "frame" (replay) or "line" (scan),
"indicator_type", "indicator" and "message".

events.jsonl is iocsift's output, one ECS JSON object per line. Read from each
hit event:

    key        frame: iocsift.frame      (1-based frame number in the pcap)
               line:  log.file.line      (1-based line in the scanned file)
    indicator  threat.enrichments[0].matched.atomic   (normalized value)
    type       iocsift.indicator_type    (domain, url, md5, sha1, sha256, ...)

Lines without threat.enrichments (e.g. statistics) are not hits and are
skipped. The multisets of (key, type, indicator) are compared; file names
compare case-insensitively (they match that way), everything else exactly.
Exit status: 0 and "N hits match" when equal; 1 with the missing and the
unexpected hits listed when they differ; 2 when an input cannot be read.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

Hit = tuple[int, str, str]      # (key, type, comparison form of the indicator)


class InputError(Exception):
    """An input file that cannot be used (unreadable, not JSON, fields missing)."""


def comparable(itype: str, value: str) -> str:
    """The form two indicator values are compared in ("-": type unknown,
    as with --ignore-type, compare case-insensitively)."""
    return value.casefold() if itype in ("filename", "-") else value


def dig(obj: object, path: str) -> object:
    """obj["a"]["b"][0]... for path "a.b.0"; None when absent."""
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return None
    return obj


def read_jsonl(path: str) -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line of a JSON-lines file."""
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{n}: not JSON: {e}") from None
                if not isinstance(obj, dict):
                    raise InputError(f"{path}:{n}: not a JSON object")
                out.append((n, obj))
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    return out


def load_expected(path: str, key: str | None, with_type: bool
                  ) -> tuple[str, Counter, dict]:
    """Returns (key name, multiset of hits, hit -> message) of expected.jsonl."""
    rows = read_jsonl(path)
    if key is None:
        key = "frame" if rows and "frame" in rows[0][1] else "line"
    hits: Counter = Counter()
    messages: dict[Hit, str] = {}
    for n, r in rows:
        k, t, v = r.get(key), r.get("indicator_type"), r.get("indicator")
        if not isinstance(k, int) or not isinstance(t, str) or not isinstance(v, str):
            raise InputError(f"{path}:{n}: needs integer '{key}', 'indicator_type' "
                             f"and 'indicator'")
        if not with_type:
            t = "-"
        hit = (k, t, comparable(t, v))
        hits[hit] += 1
        messages[hit] = str(r.get("message", ""))
    return key, hits, messages


EVENT_KEY = {"frame": "iocsift.frame", "line": "log.file.line"}
EVENT_ATOMIC = "threat.enrichments.0.matched.atomic"
EVENT_TYPE = "iocsift.indicator_type"


def load_events(path: str, key: str, with_type: bool
                ) -> tuple[Counter, dict, int]:
    """Returns (multiset of hits, hit -> message, skipped non-hit lines)."""
    hits: Counter = Counter()
    messages: dict[Hit, str] = {}
    skipped = 0
    for n, ev in read_jsonl(path):
        if not dig(ev, "threat.enrichments"):
            skipped += 1
            continue
        k, v = dig(ev, EVENT_KEY[key]), dig(ev, EVENT_ATOMIC)
        t = dig(ev, EVENT_TYPE) if with_type else "-"
        missing = [name for name, val, typ in
                   ((EVENT_KEY[key], k, int), (EVENT_ATOMIC, v, str),
                    (EVENT_TYPE, t, str))
                   if not isinstance(val, typ) or isinstance(val, bool)]
        if missing:
            raise InputError(f"{path}:{n}: hit event without {', '.join(missing)}")
        hit = (k, t, comparable(t, v))
        hits[hit] += 1
        messages[hit] = str(ev.get("message", dig(ev, "dns.question.name") or ""))
    return hits, messages, skipped


def excerpt(message: str, value: str, width: int = 150) -> str:
    """The part of message around value (case-insensitive), at most width."""
    if len(message) <= width:
        return message
    at = message.casefold().find(value.casefold())
    start = max(0, min(at - width // 3, len(message) - width)) if at >= 0 else 0
    head = "..." if start else ""
    tail = "..." if start + width < len(message) else ""
    return head + message[start:start + width] + tail


def show(title: str, diff: Counter, messages: dict, key: str, limit: int) -> None:
    """Prints one side of a difference, sorted, at most limit entries."""
    total = sum(diff.values())
    print(f"{title}: {total}")
    for i, (hit, count) in enumerate(sorted(diff.items())):
        if i == limit:
            print(f"  ... and {len(diff) - limit} more")
            break
        k, t, v = hit
        times = f" (x{count})" if count > 1 else ""
        print(f"  {key} {k}: {t} {v}{times}\n      {excerpt(messages.get(hit, ''), v)}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--expected", required=True, help="expected.jsonl or "
                    "expected_scan.jsonl from perf/synth_capture.py")
    ap.add_argument("--events", required=True, help="iocsift events (JSON lines)")
    ap.add_argument("--key", choices=("frame", "line"),
                    help="frame (replay) or line (scan); default: from --expected")
    ap.add_argument("--ignore-type", action="store_true",
                    help="compare (key, indicator) only, case-insensitively, "
                    "not the indicator type")
    ap.add_argument("--show", type=int, default=40, metavar="N",
                    help="list at most N missing and N unexpected hits (default 40)")
    args = ap.parse_args(argv)
    try:
        key, want, want_msg = load_expected(args.expected, args.key,
                                            not args.ignore_type)
        got, got_msg, skipped = load_events(args.events, key, not args.ignore_type)
    except InputError as e:
        print(f"check_hits: {e}", file=sys.stderr)
        return 2
    note = f" ({skipped} non-hit lines skipped)" if skipped else ""
    if want == got:
        print(f"{sum(want.values())} hits match{note}")
        return 0
    missing, unexpected = want - got, got - want
    print(f"check_hits: hits differ: expected {sum(want.values())}, "
          f"got {sum(got.values())}{note}")
    if missing:
        show("MISSING (expected, not in events)", missing, want_msg, key, args.show)
    if unexpected:
        show("UNEXPECTED (in events, not expected)", unexpected, got_msg, key, args.show)
    return 1


if __name__ == "__main__":
    sys.exit(main())
