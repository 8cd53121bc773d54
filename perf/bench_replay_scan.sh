#!/bin/sh
# Baseline throughput of `iocsift replay` (DPDK net_pcap, one worker, events
# written) and `iocsift scan`, with `grep -F -i -f` over the same file and
# the same feed values as the reference, measured in one run.
# usage: perf/bench_replay_scan.sh [IOCSIFT] [MESSAGES]
set -eu
cd "$(dirname "$0")/.."
iocsift=${1:-build/iocsift}
messages=${2:-200000}
feed=data/3cx.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 perf/synth_capture.py --feed "$feed" --out "$work" \
	--messages "$messages" >/dev/null
grep -v '^#' "$feed" | tail -n +2 | cut -d, -f2 > "$work/values.txt"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

"$iocsift" replay -f "$feed" -o "$work/events.jsonl" "$work/capture.pcap" \
	2>"$work/replay.txt"
frames=$(sed -n 's/^ *packets: *\([0-9]*\).*/\1/p' "$work/replay.txt")
rate=$(sed -n 's/^ *time: *\(.*\)/\1/p' "$work/replay.txt")
echo "replay: $frames frames, $(wc -l < "$work/events.jsonl") events, $rate"

bytes=$(wc -c < "$work/messages.log")
lines=$(wc -l < "$work/messages.log")
t0=$(now)
"$iocsift" scan -f "$feed" -o "$work/scan.jsonl" "$work/messages.log" 2>/dev/null
t1=$(now)
grep_lines=$(grep -c -F -i -f "$work/values.txt" "$work/messages.log" || true)
t2=$(now)
scan_s=$(elapsed "$t0" "$t1")
grep_s=$(elapsed "$t1" "$t2")
scan_lines=$(jq -r '.log.file.line' "$work/scan.jsonl" | sort -u | wc -l)
echo "scan:   $lines lines, $bytes bytes: iocsift $scan_s s ($scan_lines lines hit)," \
	"grep -F -i -f $grep_s s ($grep_lines lines hit)," \
	"ratio grep/iocsift $(awk -v g="$grep_s" -v s="$scan_s" 'BEGIN { printf "%.2f", g / s }')"
