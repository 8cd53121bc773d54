#!/bin/sh
# The pattern database at scale: a 1,000,000-indicator feed (60% domains,
# 20% IPv4/IPv6/CIDR, 20% hashes) plus the bundled 3CX feed, against a
# 1,000-indicator feed with the same 3CX lines, over the syslog lines of
# the synthetic capture (about 10% of which hit a 3CX indicator).
# usage: perf/bench_patterns.sh [BENCH_PATTERNS] [COUNT]
set -eu
cd "$(dirname "$0")/.."
bench=${1:-build/perf/bench_patterns}
count=${2:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 perf/gen_feed.py "$count" "$work/generated.csv"
cp data/3cx.csv "$work/big.csv"
tail -n +2 "$work/generated.csv" >> "$work/big.csv"
cp data/3cx.csv "$work/small.csv"
small_extra=$((1000 - $(grep -c '^[a-z]' data/3cx.csv) + 1))
tail -n +2 "$work/generated.csv" | head -n "$small_extra" >> "$work/small.csv"
/usr/bin/python3 perf/synth_capture.py --feed data/3cx.csv --out "$work" \
	--messages 200000 >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
"$bench" "$work/big.csv" "$work/small.csv" "$work/messages.log" "$work/set.db"
