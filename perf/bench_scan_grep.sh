#!/bin/sh
# iocsift scan against `rg -F -i -f` and `grep -F -i -f` with the same
# 100,000 indicator values over the same syslog file (default 1 GiB), in
# one run. A reference that has not finished after LIMIT seconds is
# stopped and reported as such. Hit counts are compared on a small slice
# where every tool finishes: grep and rg count substring hits that the
# matching rules of docs/matching.md reject (notevil.com for evil.com).
# usage: perf/bench_scan_grep.sh [IOCSIFT] [SIZE_MB] [LIMIT_S] [SLICE_MB]
set -eu
cd "$(dirname "$0")/.."
iocsift=${1:-build/iocsift}
size_mb=${2:-1024}
limit=${3:-600}
slice_mb=${4:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 perf/gen_feed.py 99903 "$work/generated.csv" --values "$work/generated.txt"
cp data/3cx.csv "$work/feed.csv"
tail -n +2 "$work/generated.csv" >> "$work/feed.csv"
{ grep -v '^#' data/3cx.csv | tail -n +2 | cut -d, -f2; cat "$work/generated.txt"; } \
	> "$work/values.txt"
/usr/bin/python3 perf/synth_capture.py --feed data/3cx.csv --out "$work" \
	--messages 200000 >/dev/null
while [ "$(( $(stat -c %s "$work/syslog.log" 2>/dev/null || echo 0) / 1048576 ))" -lt "$size_mb" ]; do
	cat "$work/messages.log" >> "$work/syslog.log"
done
head -c $((slice_mb * 1048576)) "$work/syslog.log" | sed '$d' > "$work/slice.log"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo "indicators: $(wc -l < "$work/values.txt"), file: $(stat -c %s "$work/syslog.log") bytes, $(wc -l < "$work/syslog.log") lines"

# run NAME FILE COMMAND...: prints seconds and the count, or the timeout.
run() {
	name=$1
	target=$2
	shift 2
	start=$(date +%s.%N)
	status=0
	count=$(timeout "$limit" "$@" "$target" 2>"$work/stderr") || status=$?
	end=$(date +%s.%N)
	seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	if [ "$status" -eq 124 ]; then
		echo "  $name: stopped after $limit s (did not finish)"
	else
		echo "  $name: $seconds s, $count lines hit"
		[ "$status" -le 1 ] || echo "    (exit $status: $(head -c 200 "$work/stderr"))"
	fi
}

for log in syslog slice; do
	echo "$log.log ($(stat -c %s "$work/$log.log") bytes):"
	run "iocsift scan -c" "$work/$log.log" "$iocsift" scan -f "$work/feed.csv" -c
	run "rg -c -F -i -f " "$work/$log.log" rg -c -F -i --regex-size-limit 4G \
		--dfa-size-limit 4G -f "$work/values.txt"
	run "grep -c -F -i -f" "$work/$log.log" grep -c -F -i -f "$work/values.txt"
done
