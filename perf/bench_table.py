#!/usr/bin/env python3
"""Prints the table of a perf/bench.sh run from its JSON lines.

usage: bench_table.py RESULTS.jsonl

Exits 1 when a cell of the run's columns has no figure (a measurement
failed), after printing what there is; so the smoke run in scripts/test.sh
fails loudly.
"""
import json
import sys

ROWS = (("floor", "floor (Hyperscan)"), ("matcher", "matcher"),
        ("dataplane1", "dataplane, 1 worker"),
        ("dataplane2", "dataplane, 2 workers"))
KINDS = ("syslog", "dns", "mixed")
LABELS = {1000: "1k", 100000: "100k", 1000000: "1M"}
MEASURES = ("M packets/s", "ns/packet", "x floor", "peak RSS MiB")
LABEL_WIDTH = 34
CELL_WIDTH = 9
# Below this share of its CPU(s) the measuring thread was crowded out by
# other work on the machine, and its cell is marked.
CPU_SHARE_LOW = 0.9


def number(record, key):
    """record[key] when it is a positive number, else None."""
    value = record.get(key) if record else None
    return value if isinstance(value, (int, float)) and value > 0 else None


def reference(refs, floor_cell):
    """The floor a cell is compared with: the mean of the floor measured
    just before and after it (floor_ref), else the floor row's."""
    rates = [number(r, "packets_per_s") for r in refs or []]
    rates = [x for x in rates if x]
    if rates:
        return sum(rates) / len(rates)
    return number(floor_cell, "packets_per_s")


def fmt(value, kind):
    if value is None:
        return "-"
    if kind == 0:
        return f"{value / 1e6:.3f}"
    if kind == 1:
        return f"{value:,.0f}"
    if kind == 2:
        return f"{value:.2f}"
    return f"{value / 1024:,.0f}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    meta, cells, sweep, refs = {}, {}, {}, {}
    history_cells, history = [], []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") == "meta":
                meta = r
            elif r.get("type") == "cell" and r["row"].startswith("history_"):
                history_cells.append(r)
            elif r.get("type") == "history":
                history.append(r)
            elif r.get("type") == "cell":
                cells[(r["row"], r["column"], r["traffic"])] = r
            elif r.get("type") == "sweep":
                sweep[(r["row"], r["length"])] = r
            elif r.get("type") == "floor_ref":
                refs.setdefault((r["row"], r["column"], r["traffic"]),
                                []).append(r)
    columns = [LABELS.get(n, str(n)) for n in meta.get("sizes", [])]
    counts = {}
    for (row, column, _), r in cells.items():
        if row == "matcher" and r.get("indicators"):
            counts[column] = r["indicators"]

    print(f"machine: {meta.get('machine', '?')} ({meta.get('mode', '?')} run:"
          f" floor and matcher {meta.get('match_seconds')} s per cell,"
          f" dataplane {meta.get('dataplane_window_s')} s windows after"
          f" {meta.get('dataplane_warmup_s')} s)")
    head1 = " " * LABEL_WIDTH
    head2 = " " * LABEL_WIDTH
    for c in columns:
        title = f"{c} ({counts[c]:,} indicators)" if c in counts else c
        head1 += title.ljust(CELL_WIDTH * len(KINDS))
        head2 += "".join(k.rjust(CELL_WIDTH - 1) + " " for k in KINDS)
    print(head1.rstrip())
    print(head2.rstrip())
    missing, short = [], []
    for row, row_label in ROWS:
        for m, measure in enumerate(MEASURES):
            text = (row_label if m == 0 else "").ljust(LABEL_WIDTH - 13) + \
                measure.ljust(13)
            for c in columns:
                for k in KINDS:
                    r = cells.get((row, c, k))
                    pps = number(r, "packets_per_s")
                    if m == 0 and pps is None:
                        missing.append(f"{row_label}, {c}, {k}")
                    floor = reference(refs.get((row, c, k)),
                                      cells.get(("floor", c, k)))
                    value = (pps, number(r, "ns_per_packet"),
                             pps / floor if pps and floor else None,
                             number(r, "peak_rss_kib"))[m]
                    mark = " "
                    if m == 0 and r and r.get("cpu_share", 1) < CPU_SHARE_LOW:
                        mark = "*"
                        short.append(f"{row_label}, {c}, {k}: "
                                     f"{r['cpu_share']:.2f}")
                    text += fmt(value, m).rjust(CELL_WIDTH - 1) + mark
            print(text.rstrip())
        print()

    print("M packets/s: the median of five slices of each measurement."
          " x floor: against the floor measured just before and after the"
          " cell (the machine's speed drifts over minutes).")
    drift = []
    for c in columns:
        for k in KINDS:
            rates = [number(r, "packets_per_s") for (row, rc, rk), rs in
                     refs.items() if rc == c and rk == k for r in rs]
            rates = [x for x in rates if x]
            if len(rates) > 1:
                drift.append(f"{c} {k} {min(rates) / 1e6:.3f}-"
                             f"{max(rates) / 1e6:.3f}")
    if drift:
        print("the floor as measured next to the rows (M packets/s): "
              + ", ".join(drift))
    if short:
        print("* the measuring thread had less than"
              f" {CPU_SHARE_LOW:.0%} of its CPU (share: {'; '.join(short)}).")
    planted = {t["kind"]: t["planted"] for t in meta.get("traffic", [])
               if t.get("length") is None}
    checks = []
    for k in KINDS:
        found = [str(cells.get((row, c, k), {}).get("hit_messages", "-"))
                 for row in ("matcher", "floor") for c in columns[:1]]
        checks.append(f"{k} {planted.get(k, '-')}/{found[0]}/{found[1]}")
    print("messages with an indicator in one pass of the capture"
          f" (planted/matcher/floor, {columns[0] if columns else '?'}): "
          + ", ".join(checks))
    odd = []
    for (row, c, k), r in sorted(cells.items()):
        if not row.startswith("dataplane"):
            if r.get("match_errors"):
                odd.append(f"{row} {c} {k}: {r['match_errors']} match errors")
            continue
        for key in ("rx_nombuf", "imissed", "malformed", "match_errors",
                    "dropped_hit_records", "drop_fanout_full"):
            if r.get(key):
                odd.append(f"{row} {c} {k}: {key} {r[key]}")
    print("dataplane counters: " + ("; ".join(odd) if odd else
          "no rx_nombuf, imissed, malformed, match error or dropped record"))

    lengths = meta.get("lengths") or sorted({n for _, n in sweep})
    if lengths:
        print()
        print(f"syslog message length sweep, "
              f"{next(iter(sweep.values()), {}).get('column', '?')} indicators"
              " (M packets/s; MB/s of payload):")
        print("length      floor    matcher  x floor   floor MB/s  matcher MB/s")
        for length in lengths:
            f, m = sweep.get(("floor", length)), sweep.get(("matcher", length))
            fp, mp = number(f, "packets_per_s"), number(m, "packets_per_s")
            ratio = f"{mp / fp:.2f}" if fp and mp else "-"
            print(f"{length:6d} {fmt(fp, 0):>10} {fmt(mp, 0):>10} {ratio:>8}"
                  f" {(number(f, 'bytes_per_s') or 0) / 1e6:12,.0f}"
                  f" {(number(m, 'bytes_per_s') or 0) / 1e6:13,.0f}")
            if fp is None or mp is None:
                missing.append(f"length sweep, {length} bytes")
    missing += history_table(history_cells, history)
    if missing:
        print("no figure for: " + "; ".join(missing), file=sys.stderr)
        sys.exit(1)


def history_table(cells, figures):
    """The history's rows (issue 13); returns the figures missing."""
    missing = []
    print()
    print("history (issue 13):")
    rates = {"history_off": [], "history_on": []}
    for r in cells:
        if number(r, "packets_per_s"):
            rates[r["row"]].append(r["packets_per_s"])
    off, on = rates["history_off"], rates["history_on"]
    if off and on:
        c = cells[0]
        kept = sum(r.get("history_records", 0) for r in cells
                   if r["row"] == "history_on")
        dropped = sum(r.get("history_dropped", 0) for r in cells
                      if r["row"] == "history_on")
        print(f"  dataplane, 1 worker, {c['traffic']}, {c['column']} indicators,"
              f" in turns: off {' '.join(f'{x / 1e6:.3f}' for x in off)},"
              f" on {' '.join(f'{x / 1e6:.3f}' for x in on)} M packets/s;"
              f" on/off {sum(on) / sum(off):.3f} (target >= 0.90);"
              f" {kept:,} messages to the writer, {dropped:,} dropped")
    else:
        missing.append("history: dataplane with and without")
    by = {}
    for r in figures:
        by[(r["figure"], r.get("cache"))] = r
    w = by.get(("write", None))
    if w:
        print(f"  writer: {w['messages']:,} messages in {w['seconds']:.2f} s:"
              f" {w['messages_per_s']:,.0f} messages/s,"
              f" {w['raw_mb_per_s']:.0f} MB/s of text; on disk"
              f" {w['disk_bytes'] / 1e6:.1f} MB for {w['text_bytes'] / 1e6:.1f}"
              f" MB of text ({w['text_bytes'] / max(w['disk_bytes'], 1):.1f}x);"
              f" a day at 20,000 messages/s: {w['day_disk_gb']:.1f} GB;"
              f" {w['unfiltered']} of {w['blocks']} blocks without a filter")
    else:
        missing.append("history: writer")
    for name, label in (("full_scan", "full scan"),
                        ("filtered_hunt", "hunt of 10 indicators, filters"),
                        ("filtered_hunt_unfilterable",
                         "hunt of 10 indicators (no filter usable)")):
        for cache in ("cold", "warm"):
            r = by.get((name, cache))
            if not r:
                continue
            print(f"  {label}, {cache} cache: {r['seconds']:.3f} s,"
                  f" {r['opened']} of {r['blocks']} blocks opened,"
                  f" {r['text_mb_per_s']:,.0f} MB/s of text"
                  f" ({r['messages_per_s']:,.0f} messages/s), {r['hits']} hits;"
                  f" scaled to a day at 20,000 messages/s: {r['day_seconds']:,.1f} s")
            full = by.get(("full_scan", cache))
            if name == "filtered_hunt" and full and full["opened"]:
                # A day has more blocks to skip, but the ten messages
                # still sit in ten blocks: each kind of block at its cost.
                open_s = full["seconds"] / full["opened"]
                skip_s = max(0.0, r["seconds"] - r["opened"] * open_s) / \
                    max(1, r["blocks"] - r["opened"])
                day_blocks = r["blocks"] * 20000 * 86400 / r["messages"]
                model = skip_s * (day_blocks - r["opened"]) + \
                    r["opened"] * open_s
                print(f"    a day, {day_blocks:,.0f} blocks: {r['opened']}"
                      f" opened at {open_s * 1e3:.2f} ms, the rest skipped at"
                      f" {skip_s * 1e3:.3f} ms: {model:,.1f} s (target <= 60)")
    if not any(k[0] == "full_scan" for k in by):
        missing.append("history: full scan")
    return missing


if __name__ == "__main__":
    main()
