#!/bin/sh
# `iocsift run` throughput with 1 and 2 workers, and the longest pause a
# worker sees while the database is swapped under full load.
#
# The port is net_pcap with infinite_rx=1: the synthetic capture looped in
# memory, as fast as the workers take it. Two workers share the one queue
# through the software fan-out. Each phase runs SECONDS; packets per second
# come from the workers' counters, read with iocsiftctl at the start and end
# of the phase. The swap phase then performs SWAPS add/delete pairs and two
# 10k-indicator loads while the traffic flows, and compares the longest
# burst (receive to free, max_burst_us) with that of a quiet phase of the
# same length run just before it.
# usage: perf/bench_run.sh [IOCSIFT] [IOCSIFTCTL] [SECONDS] [SWAPS]
set -eu
cd "$(dirname "$0")/.."
iocsift=${1:-build/iocsift}
ctl=${2:-build/control/iocsiftctl}
seconds=${3:-10}
swaps=${4:-50}
feed=data/3cx.csv
work=$(mktemp -d)
daemon=
cleanup() {
	[ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 perf/synth_capture.py --feed "$feed" --out "$work" \
	--messages 10000 >/dev/null
/usr/bin/python3 perf/gen_feed.py 10000 "$work/bulk.csv" >/dev/null
cpus=$(nproc)

workers_total() { jq "[.workers[].$1] | add" "$work/$2"; }

# bursts FROM TO: the bursts of the window between two stats snapshots, by
# duration (log2 buckets of microseconds, summed over the workers).
bursts() {
	jq -rn --slurpfile a "$work/$1" --slurpfile b "$work/$2" '
		[range(16) as $i | ([$b[0].workers[].burst_us_log2[$i]] | add) -
			([$a[0].workers[].burst_us_log2[$i]] | add)] as $h
		| ($h | add) as $n
		| ([range(16) | select($h[.] > 0)] | max) as $top
		| "\($n) bursts, \([range(10; 16) | $h[.]] | add) of 1 ms or more," +
		  " longest under \(if $top == 15 then "inf" else
		  pow(2; $top + 1) end) us"'
}

# run_phase WORKERS: prints "WORKERS packets/s"
run_phase() {
	n=$1
	if [ "$cpus" -gt "$n" ]; then lcores="-l0-$n"
	else lcores="--lcores=0@0,(1-$n)@$((cpus - 1))"; fi
	sock="$work/ctl$n.sock"
	"$iocsift" run --socket "$sock" --state-dir "$work/state$n" -f "$feed" \
		-o /dev/null -- --no-pci "$lcores" --file-prefix="bench$$" \
		--vdev="net_pcap0,rx_pcap=$work/capture.pcap,infinite_rx=1" \
		2>"$work/run$n.log" &
	daemon=$!
	i=0
	until "$ctl" -s "$sock" status >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || { cat "$work/run$n.log"; exit 1; }
		sleep 0.1
	done
	sleep 2   # warm up
	"$ctl" -s "$sock" --json stats > "$work/a.json"
	t0=$(date +%s.%N)
	sleep "$seconds"
	"$ctl" -s "$sock" --json stats > "$work/b.json"
	t1=$(date +%s.%N)
	pa=$(workers_total packets a.json)
	pb=$(workers_total packets b.json)
	pps=$(awk -v a="$pa" -v b="$pb" -v s="$t0" -v e="$t1" \
		'BEGIN { printf "%.0f", (b - a) / (e - s) }')
	drops=$(jq '[.workers[] | .drop_ring_full + .drop_hit_pool +
		.drop_fanout_full] | add' "$work/b.json")
	busy=$(jq -r '[.workers[] | "\(.busy_percent | floor)%"] | join(" ")' \
		"$work/b.json")
	echo "workers=$n: $pps packets/s (busy $busy; hit records dropped" \
		"in the phase's rings: $drops)"

	# The swap phase, as long as the quiet one: add/delete pairs back to
	# back, a 10k-indicator load every 2 s.
	t0=$(date +%s.%N)
	end=$(awk -v s="$t0" -v d="$seconds" 'BEGIN { printf "%d", s + d }')
	count=0
	next_load=$(awk -v s="$t0" 'BEGIN { printf "%d", s + 2 }')
	while [ "$(date +%s)" -lt "$end" ] || [ "$count" -lt "$swaps" ]; do
		"$ctl" -s "$sock" add domain "swap$count.example" >/dev/null
		"$ctl" -s "$sock" del domain "swap$count.example" >/dev/null
		count=$((count + 2))
		if [ "$(date +%s)" -ge "$next_load" ]; then
			"$ctl" -s "$sock" load "$work/bulk.csv" >/dev/null
			count=$((count + 1))
			next_load=$((next_load + 2))
		fi
	done
	t1=$(date +%s.%N)
	"$ctl" -s "$sock" --json stats > "$work/c.json"
	echo "workers=$n: quiet  $(bursts a.json b.json)"
	echo "workers=$n: swaps  $(bursts b.json c.json); $count swaps in" \
		"$(awk -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", e - s }') s," \
		"grace period last $(jq .db.last_swap_us "$work/c.json") us," \
		"max $(jq .db.max_swap_us "$work/c.json") us"
	kill -TERM "$daemon"
	wait "$daemon" || true
	daemon=
}

echo "machine: $cpus cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1), $(date -u +%Y-%m-%d)"
run_phase 1
run_phase 2
