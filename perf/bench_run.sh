#!/bin/sh
# `iocsift run` throughput with 1 and 2 workers, and the longest pause a
# worker sees while the database is swapped under full load.
#
# The port is net_pcap with infinite_rx=1: the synthetic capture looped in
# memory, as fast as the workers take it. Two workers share the one queue
# through the software fan-out. Each phase runs SECONDS; packets per second
# come from the workers' counters, read with iocsiftctl at the start and end
# of the phase. Swap phases follow (see control_work), comparing the longest
# burst (receive to free) with those of phases without swaps.
# usage: perf/bench_run.sh [IOCSIFT] [IOCSIFTCTL] [SECONDS]
# THROTTLE=S: the throttle window (default 60 s, as `run`); 0 makes every
# hit an event, which is the exporter's hardest case.
set -eu
cd "$(dirname "$0")/.."
iocsift=${1:-build/iocsift}
ctl=${2:-build/control/iocsiftctl}
seconds=${3:-10}
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

# control_work swap|noswap: $seconds of control requests (see below).
control_work() {
	t0=$(date +%s)
	end=$((t0 + seconds))
	next_load=$((t0 + 2))
	count=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if [ "$1" = swap ]; then
			"$ctl" -s "$sock" add domain "swap$count.example" >/dev/null
			"$ctl" -s "$sock" del domain "swap$count.example" >/dev/null
		else
			"$ctl" -s "$sock" status >/dev/null
			"$ctl" -s "$sock" test "to swap$count.example" >/dev/null || true
		fi
		count=$((count + 2))
		if [ "$(date +%s)" -ge "$next_load" ]; then
			if [ "$1" = swap ]; then
				"$ctl" -s "$sock" load "$work/bulk.csv" >/dev/null
			else
				"$iocsift" compile -f "$work/bulk.csv" \
					-o "$work/bulk.db" 2>/dev/null
			fi
			count=$((count + 1))
			next_load=$((next_load + 2))
		fi
	done
}

# run_phase WORKERS: prints "WORKERS packets/s"
run_phase() {
	n=$1
	if [ "$cpus" -gt "$n" ]; then lcores="-l0-$n"
	else lcores="--lcores=0@0,(1-$n)@$((cpus - 1))"; fi
	sock="$work/ctl$n.sock"
	install -d -m 0750 "$work/state$n"    # a named state dir must exist
	"$iocsift" run --socket "$sock" --state-dir "$work/state$n" -f "$feed" \
		-o /dev/null --throttle-window "${THROTTLE:-60}" \
		-- --no-pci "$lcores" --file-prefix="bench$$" \
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
	drops=$(jq -r '"\([.workers[] | .drop_ring_full + .drop_hit_pool] | add) (fan-out ring full: \([.workers[].drop_fanout_full] | add))"' \
		"$work/b.json")
	busy=$(jq -r '[.workers[] | "\(.busy_percent | floor)%"] | join(" ")' \
		"$work/b.json")
	events=$(jq -n --slurpfile a "$work/a.json" --slurpfile b "$work/b.json" \
		'$b[0].exporter.events - $a[0].exporter.events')
	echo "workers=$n: $pps packets/s (busy $busy; hit records dropped" \
		"in the phase's rings: $drops; events written: $events)"

	# Then the same control work twice, each as long as the quiet phase:
	# once without swaps (status and test requests, the 10k feed compiled
	# by `iocsift compile`: the CPU load of the swaps on this small
	# machine) and once with them (add/delete pairs back to back, a
	# 10k-indicator load every 2 s). What the swaps cost the workers is
	# the difference between these two windows.
	control_work noswap
	"$ctl" -s "$sock" --json stats > "$work/c.json"
	control_work swap
	"$ctl" -s "$sock" --json stats > "$work/d.json"
	echo "workers=$n: quiet             $(bursts a.json b.json)"
	echo "workers=$n: control, no swap  $(bursts b.json c.json)"
	echo "workers=$n: control, swaps    $(bursts c.json d.json); $count swaps," \
		"grace period last $(jq .db.last_swap_us "$work/d.json") us," \
		"max $(jq .db.max_swap_us "$work/d.json") us"
	kill -TERM "$daemon"
	wait "$daemon" || true
	daemon=
}

# restart: the time from `iocsift run` to its first answer when the state
# dir holds a saved million-indicator set (what a restart after kill -9
# resumes), EAL start included.
restart() {
	/usr/bin/python3 perf/gen_feed.py 1000000 "$work/1m.csv" >/dev/null
	mkdir -p "$work/state-restart"
	"$iocsift" compile -f "$work/1m.csv" -o "$work/state-restart/active.db" \
		2>/dev/null
	sock="$work/restart.sock"
	t0=$(date +%s.%N)
	"$iocsift" run --socket "$sock" --state-dir "$work/state-restart" \
		-o /dev/null -- --no-pci --file-prefix="bench$$" \
		--vdev="net_pcap0,rx_pcap=$work/capture.pcap" 2>"$work/restart.log" &
	daemon=$!
	until "$ctl" -s "$sock" status >/dev/null 2>&1; do sleep 0.01; done
	t1=$(date +%s.%N)
	echo "restart with 1,000,000 indicators saved: answering after" \
		"$(awk -v s="$t0" -v e="$t1" 'BEGIN { printf "%.2f", e - s }') s" \
		"($(grep -o 'resumed version.*' "$work/restart.log"))"
	kill -TERM "$daemon"
	wait "$daemon" || true
	daemon=
}

echo "machine: $cpus cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1), $(date -u +%Y-%m-%d)"
run_phase 1
run_phase 2
restart
