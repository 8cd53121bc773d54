#!/bin/sh
# The benchmark table (issue 9): what iocsift costs against a floor, all
# from one run on one machine, so every ratio compares figures taken
# side by side.
#
# Rows: floor (Hyperscan, every feed value as a caseless literal,
# hs_scan over the payloads), matcher (the iocsift matcher alone over the
# same payloads, as the worker calls it), dataplane with 1 and 2 workers
# (`iocsift run` over net_pcap with infinite_rx=1 looping the capture).
# Columns: 1k, 100k and 1M indicators (perf/gen_feed.py, each the prefix
# of the next, plus the 3CX feed) times syslog, DNS and mixed traffic
# (perf/bench_traffic.py, about 1% of the messages carry an indicator).
# A cell: M packets/s (the median of five slices of the measurement, so
# a burst of other work on a shared machine spoils one slice, not the
# figure), ns per packet, ratio to the floor (measured again just before
# and after the cell, see floor_ref), peak RSS
# (VmHWM) of the measuring process. A cell whose measuring thread had
# less than 90% of its CPU is marked with '*'. Then a syslog message length
# sweep of floor and matcher at 100k indicators, for perf/plot.sh. Then the
# paths table: the worker's cost per message over TCP, in fragments, in
# VXLAN and DNS over TCP against UDP (perf/bench_paths.py). Then the
# control table: add and delete latency at the largest feed and the
# restart after kill -9 (perf/bench_control.py). Then the history table:
# the dataplane with and without it, the writer, hunts, and the time from
# an add to its first retrospective event; and the exports table: the time
# to write every block-list format at the largest feed, and add latency
# with exports on and off (perf/bench_exports.py) (issue 13). Then the
# sinks table: events/s through the nats:// sink to a nats-server of its
# own against the TCP sink (perf/bench_nats.sh, issue 14); and the fleet
# table: a push to the first hit on each of three appliances
# (perf/bench_fleet.py).
#
# The raw results go to a JSON lines file, named at the end. --smoke: the
# 1k column only, windows of about a second, a non-zero exit when a cell
# has no figure (scripts/test.sh runs it).
# usage: sh perf/bench.sh [--smoke] [--build DIR] [--out RESULTS.jsonl]
set -eu
cd "$(dirname "$0")/.."

usage() {
	echo "usage: sh perf/bench.sh [--smoke] [--build DIR] [--out FILE]" >&2
	exit 2
}

smoke=0
build=build
out=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--build) [ $# -ge 2 ] || usage; build=$2; shift ;;
	--out) [ $# -ge 2 ] || usage; out=$2; shift ;;
	*) usage ;;
	esac
	shift
done

iocsift=$build/iocsift
ctl=$build/control/iocsiftctl
bench_match=$build/perf/bench_match
for f in "$iocsift" "$ctl" "$bench_match"; do
	[ -x "$f" ] || { echo "bench: $f is missing: meson compile -C $build" >&2; exit 1; }
done

if [ "$smoke" -eq 1 ]; then
	sizes=1000
	packets=5000           # frames per capture
	match_seconds=0.3      # per capture and row
	ref_seconds=0.2        # the floor next to a row, per capture
	warmup=0.3
	window=1
	lengths=
else
	sizes="1000 100000 1000000"
	packets=50000
	match_seconds=5
	ref_seconds=1.5
	warmup=2
	window=10
	lengths="64 128 256 512 1024 2048"
fi
sweep_size=100000          # indicators of the length sweep
sweep_packets=20000
kinds="syslog dns mixed"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [ -z "$out" ]; then
	mkdir -p "$build/perf"
	# Full runs are kept side by side; a smoke run replaces the last one.
	out=$build/perf/bench-$([ "$smoke" -eq 1 ] && echo smoke || echo "$stamp").jsonl
fi
: > "$out"

work=$(mktemp -d)
daemon=
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$work"
	# EAL's runtime directory of our --file-prefix (root's, or a user's).
	rm -rf "/var/run/dpdk/bench$$" "${XDG_RUNTIME_DIR:-/tmp}/dpdk/bench$$" \
		2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

label() {
	case $1 in
	1000) echo 1k ;;
	100000) echo 100k ;;
	1000000) echo 1M ;;
	*) echo "$1" ;;
	esac
}

# ---- machine, feeds and captures

cpus=$(nproc)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
huge=$(sed -n 's/^HugePages_Free:[[:space:]]*//p' /proc/meminfo)
machine="$cpus cores, ${cpu:-unknown CPU}, $(date -u +%Y-%m-%d)"

echo "bench: feeds and captures" >&2
largest=$(echo $sizes | tr ' ' '\n' | sort -n | tail -n 1)
/usr/bin/python3 perf/gen_feed.py "$largest" "$work/generated.csv" >/dev/null
# gen_feed.py draws its values in order from one seeded RNG, so the first
# N lines of the largest feed are exactly `gen_feed.py N`.
for n in $sizes; do
	{
		head -n "$((n + 1))" "$work/generated.csv"
		grep -v -e '^#' -e '^type,value' -e '^[[:space:]]*$' data/3cx.csv
	} > "$work/feed$n.csv"
done

first=$(echo $sizes | cut -d' ' -f1)
for kind in $kinds; do
	/usr/bin/python3 perf/bench_traffic.py "$kind" "$work/$kind.pcap" \
		--feed "$work/feed$first.csv" --exclude "$work/feed$largest.csv" \
		--count "$packets" > "$work/traffic-$kind.json"
done
sweep_captures=
for len in $lengths; do
	/usr/bin/python3 perf/bench_traffic.py syslog "$work/len$len.pcap" \
		--feed "$work/feed$first.csv" --exclude "$work/feed$largest.csv" \
		--count "$sweep_packets" --length "$len" > "$work/traffic-len$len.json"
	sweep_captures="$sweep_captures $work/len$len.pcap"
done

cat "$work"/traffic-*.json > "$work/traffic.jsonl"
jq -cn --arg machine "$machine" --argjson cores "$cpus" --arg cpu "$cpu" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg mode "$([ "$smoke" -eq 1 ] && echo smoke || echo full)" \
	--arg sizes "$sizes" --arg lengths "$lengths" \
	--argjson match_seconds "$match_seconds" --argjson window "$window" \
	--argjson warmup "$warmup" --arg huge "${huge:-0}" \
	--slurpfile traffic "$work/traffic.jsonl" '
	{type: "meta", machine: $machine, cores: $cores, cpu: $cpu, date: $date,
	 mode: $mode, sizes: ($sizes | split(" ") | map(tonumber)),
	 lengths: ($lengths | split(" ") | map(select(. != "") | tonumber)),
	 match_seconds: $match_seconds, dataplane_window_s: $window,
	 dataplane_warmup_s: $warmup, hugepages_free: ($huge | tonumber),
	 traffic: $traffic}' >> "$out"

failed=0

# ---- floor and matcher: bench_match, one build per feed size

# On the CPU of the (first) dataplane worker, so the rows run alike.
pin=
! command -v taskset >/dev/null 2>&1 || pin="taskset -c $((cpus - 1))"

# match_row MODE N: every capture of the run (and the sweep's at 100k)
# with one build of the feed of N generated indicators.
match_row() {
	caps="$work/syslog.pcap $work/dns.pcap $work/mixed.pcap"
	[ "$2" != "$sweep_size" ] || caps="$caps$sweep_captures"
	echo "bench: $1, $(label "$2") indicators" >&2
	# shellcheck disable=SC2086 # caps and pin are words without spaces
	if ! BENCH_FLOOR_DB="$work/floor$2.hsdb" $pin "$bench_match" "$1" \
		"$work/feed$2.csv" $caps "$match_seconds" \
		> "$work/match.jsonl" 2> "$work/match.log"; then
		cat "$work/match.log" >&2
		failed=$((failed + 1))
	fi
	jq -c --arg row "$1" --arg column "$(label "$2")" --argjson n "$2" '
		(.capture | rtrimstr(".pcap")) as $c
		| . + {row: $row, column: $column, generated: $n}
		+ if ($c | startswith("len")) then
			{type: "sweep", traffic: "syslog", length: ($c | ltrimstr("len") | tonumber)}
		  else {type: "cell", traffic: $c} end' \
		"$work/match.jsonl" >> "$out"
}

# floor_ref ROW N KIND...: the floor again, loaded as match_row floor
# saved it, over the captures of KIND, just before or after ROW measures
# them. This machine's speed drifts by tens of percent over minutes; a
# ratio to the floor measured next to it holds where one to a floor
# measured minutes earlier does not (bench_table.py uses these).
floor_ref() {
	row=$1 n=$2
	shift 2
	caps=
	for kind in "$@"; do caps="$caps $work/$kind.pcap"; done
	# shellcheck disable=SC2086 # caps and pin are words without spaces
	if ! BENCH_FLOOR_DB="$work/floor$n.hsdb" $pin "$bench_match" floor \
		"$work/feed$n.csv" $caps "$ref_seconds" \
		> "$work/ref.jsonl" 2> "$work/ref.log"; then
		cat "$work/ref.log" >&2
		failed=$((failed + 1))
	fi
	jq -c --arg row "$row" --arg column "$(label "$n")" --argjson n "$n" '
		. + {type: "floor_ref", row: $row, column: $column,
		     generated: $n, traffic: (.capture | rtrimstr(".pcap"))}' \
		"$work/ref.jsonl" >> "$out"
}

# ---- dataplane: iocsift run, packets counted by the workers

stats_at() {   # stats_at FILE: a stats snapshot and the time it was taken
	s=$(date +%s.%N)
	"$ctl" -s "$sock" --json stats > "$work/$1"
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", (s + e) / 2 }'
}

# worker_ticks: CPU time (user + system, clock ticks) of the daemon's
# worker lcore threads so far.
worker_ticks() {
	for task in /proc/"$daemon"/task/*; do
		case $(cat "$task/comm" 2>/dev/null) in
		rte-worker-*) awk '{ print $14 + $15 }' "$task/stat" ;;
		esac
	done | awk '{ s += $1 } END { print s + 0 }'
}

dataplane_failed() {
	echo "bench: $1:" >&2
	cat "$work/run.log" >&2
	daemon_stop
	failed=$((failed + 1))
}

daemon_stop() {
	kill -TERM "$daemon" 2>/dev/null || true
	wait "$daemon" 2>/dev/null || true
	daemon=
}

# dataplane_cell N WORKERS KIND [CONF ROW]: CONF instead of bench.conf,
# ROW instead of dataplaneWORKERS.
dataplane_cell() {
	n=$1 w=$2 kind=$3 conf=${4:-$work/bench.conf} row=${5:-dataplane$2}
	if [ "$cpus" -gt "$w" ]; then lcores="-l0-$w"
	else lcores="--lcores=0@0,(1-$w)@$((cpus - 1))"; fi
	sock="$work/ctl.sock"
	rm -rf "$work/state"
	install -d -m 0750 "$work/state"    # a named state dir must exist
	echo "bench: dataplane, $w worker(s), $(label "$n") indicators, $kind" >&2
	"$iocsift" run -c "$conf" --socket "$sock" \
		--state-dir "$work/state" -f "$work/feed$n.csv" -o /dev/null -- \
		--no-pci "$lcores" --file-prefix="bench$$" \
		--vdev="net_pcap0,rx_pcap=$work/$kind.pcap,infinite_rx=1" \
		2>"$work/run.log" &
	daemon=$!
	i=0
	until "$ctl" -s "$sock" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -ge 1800 ] || ! kill -0 "$daemon" 2>/dev/null; then
			dataplane_failed "iocsift run did not come up"
			return 0
		fi
		sleep 0.1
	done
	sleep "$warmup"
	# Five snapshots across the window: the rate is the median of the
	# five slices' (as bench_match does), and the worker threads' CPU
	# time over the window says how much of their CPUs they had.
	c0=$(worker_ticks)
	if ! times=$(stats_at s0.json); then
		dataplane_failed "iocsiftctl stats failed"
		return 0
	fi
	for k in 1 2 3 4 5; do
		sleep "$slice"
		if ! t=$(stats_at "s$k.json"); then
			dataplane_failed "iocsiftctl stats failed"
			return 0
		fi
		times="$times,$t"
	done
	c1=$(worker_ticks)
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$daemon/status")
	daemon_stop
	cat "$work"/s0.json "$work"/s1.json "$work"/s2.json "$work"/s3.json \
		"$work"/s4.json "$work"/s5.json > "$work/snapshots.json"
	cpus_used=$((w < cpus - 1 ? w : (cpus > 1 ? cpus - 1 : 1)))
	jq -cn --slurpfile s "$work/snapshots.json" --argjson t "[$times]" \
		--argjson w "$w" --arg column "$(label "$n")" --argjson n "$n" \
		--arg kind "$kind" --argjson hwm "${hwm:-null}" \
		--argjson ticks "$((c1 - c0))" --argjson hz "$hz" \
		--argjson cpus_used "$cpus_used" --arg row "$row" '
		def total(i; f): [$s[i].workers[] | f] | add;
		def delta(f): total($s | length - 1; f) - total(0; f);
		[range(1; $s | length) | (total(.; .packets) - total(. - 1; .packets))
		 / ($t[.] - $t[. - 1])] as $rates
		| ($rates | sort | .[length / 2 | floor]) as $median
		| ($t[-1] - $t[0]) as $seconds | delta(.packets) as $p
		| $s[-1] as $b
		| {type: "cell", row: $row, workers: $w,
		   column: $column, generated: $n, traffic: $kind,
		   indicators: $b.db.indicators, packets: $p, seconds: $seconds,
		   packets_per_s: $median,
		   ns_per_packet: (if $median > 0 then 1e9 / $median else null end),
		   packets_per_s_mean: ($p / $seconds),
		   packets_per_s_windows: $rates,
		   cpu_share: ($ticks / $hz / $seconds / $cpus_used),
		   hits: delta(.hits), hit_messages: delta(.hit_messages),
		   peak_rss_kib: $hwm,
		   busy_percent: [$b.workers[].busy_percent],
		   rx_nombuf: ([$b.ports[].rx_nombuf] | add),
		   imissed: ([$b.ports[].imissed] | add),
		   malformed: delta(.malformed), match_errors: delta(.match_errors),
		   dropped_hit_records: delta(.drop_ring_full + .drop_hit_pool),
		   history_records: delta(.history_records),
		   history_dropped: delta(.history_dropped),
		   drop_fanout_full: delta(.drop_fanout_full)}' >> "$out" ||
		failed=$((failed + 1))
}

hz=$(getconf CLK_TCK)
slice=$(awk -v w="$window" 'BEGIN { print w / 5 }')
# Every frame of the capture sits in an mbuf (infinite_rx): the pool
# holds the capture plus the default's room for what is in flight.
printf '[dataplane]\nmbufs = %d\n' $((packets + 16383)) > "$work/bench.conf"

for n in $sizes; do
	match_row floor "$n"
	# shellcheck disable=SC2086 # kinds are words
	floor_ref matcher "$n" $kinds
	match_row matcher "$n"
	# shellcheck disable=SC2086
	floor_ref matcher "$n" $kinds
	for w in 1 2; do
		for kind in $kinds; do
			floor_ref "dataplane$w" "$n" "$kind"
			dataplane_cell "$n" "$w" "$kind"
			floor_ref "dataplane$w" "$n" "$kind"
		done
	done
	rm -f "$work/floor$n.hsdb"
done

# The history (issue 13): its cost on the data path (one worker, mixed
# traffic, history_messages = none against the default, in turns), the
# writer's work and hunts over a day's worth of messages scaled down
# (perf/bench_history.c), and the time from an add to its first
# retrospective event (perf/bench_retro.py).
if [ "$smoke" -eq 1 ]; then hist_n=$first hist_messages=100000 hist_rounds=1
else hist_n=100000 hist_messages=4000000 hist_rounds=2; fi
printf '[dataplane]\nmbufs = %d\n\n[history]\nhistory_messages = none\n' \
	$((packets + 16383)) > "$work/bench-nohistory.conf"
round=0
while [ "$round" -lt "$hist_rounds" ]; do
	dataplane_cell "$hist_n" 1 mixed "$work/bench-nohistory.conf" history_off
	dataplane_cell "$hist_n" 1 mixed "$work/bench.conf" history_on
	round=$((round + 1))
done
echo "bench: history, $hist_messages messages" >&2
rm -rf "$work/history" && mkdir "$work/history"
if ! "$build/perf/bench_history" "$work/mixed.pcap" "$work/history" \
	"$hist_messages" > "$work/history.jsonl" \
	2> "$work/history.log"; then
	cat "$work/history.log" >&2
	failed=$((failed + 1))
fi
cat "$work/history.jsonl" >> "$out"
rm -rf "$work/history"
echo "bench: retro, push to first retrospective event" >&2
retro_table=$(/usr/bin/python3 perf/bench_retro.py "$iocsift" \
	"$work/mixed.pcap" "$work/feed$first.csv" "$work/retro" \
	--rounds "$([ "$smoke" -eq 1 ] && echo 2 || echo 5)" --out "$out") ||
	failed=$((failed + 1))
rm -rf "$work/retro"

# The cost per message of each path a message takes (issue 11): TCP,
# fragments, VXLAN, DNS over TCP against UDP, in rounds side by side.
printf 'type,value\ndomain,journalide.org\n' > "$work/paths.csv"
if [ "$smoke" -eq 1 ]; then path_messages=2000 path_rounds=1
else path_messages=100000 path_rounds=5; fi
echo "bench: paths, $path_messages messages, $path_rounds rounds" >&2
paths_table=$(/usr/bin/python3 perf/bench_paths.py "$iocsift" "$work/paths.csv" \
	"$work/paths" --messages "$path_messages" --rounds "$path_rounds" \
	--out "$out") || failed=$((failed + 1))
rm -rf "$work/paths"

# A change acknowledged at the largest database (issue 12): adds and
# deletes one after another, request to reply (journaled and live), and
# the restart after kill -9 that applies the journal again.
if [ "$smoke" -eq 1 ]; then changes=100; else changes=1000; fi
echo "bench: control, $changes adds and deletes at $(label "$largest") indicators" >&2
control_table=$(/usr/bin/python3 perf/bench_control.py "$iocsift" \
	"$work/feed$largest.csv" "$work/control" --changes "$changes" \
	--out "$out") || failed=$((failed + 1))
rm -rf "$work/control"

# The block lists (issue 13): every format of the largest database
# written, and what the writer thread costs an add meanwhile.
if [ "$smoke" -eq 1 ]; then export_adds=50 export_rounds=1
else export_adds=300 export_rounds=3; fi
echo "bench: exports at $(label "$largest") indicators" >&2
exports_table=$(/usr/bin/python3 perf/bench_exports.py "$iocsift" \
	"$work/feed$largest.csv" "$work/exports" --adds "$export_adds" \
	--rounds "$export_rounds" --out "$out") || failed=$((failed + 1))
rm -rf "$work/exports"

# The nats:// sink (issue 14): events/s until JetStream acknowledged
# them, against the TCP sink around it, in one run.
if [ "$smoke" -eq 1 ]; then nats_events=5000; else nats_events=200000; fi
echo "bench: sinks, nats against tcp, $nats_events events" >&2
nats_table=$(sh perf/bench_nats.sh "$build" "$work/nats" "$nats_events") ||
	failed=$((failed + 1))
rm -rf "$work/nats"

# The fleet (issue 14): a push from iocsiftctl --fleet to the first hit
# on each of three appliances following a nats-server of their own.
if [ "$smoke" -eq 1 ]; then fleet_rounds=2; else fleet_rounds=5; fi
echo "bench: fleet, push to first hit on three appliances, $fleet_rounds rounds" >&2
fleet_table=$(/usr/bin/python3 perf/bench_fleet.py "$iocsift" "$ctl" \
	"$work/fleet" --rounds "$fleet_rounds" --out "$out") ||
	failed=$((failed + 1))
rm -rf "$work/fleet"

echo
status=0
/usr/bin/python3 perf/bench_table.py "$out" || status=$?
echo
echo "Paths (one worker, iocsift replay; worker busy time per message):"
echo "$paths_table"
echo
echo "Control (iocsift run, one iocsiftctl connection):"
echo "$control_table"
echo
echo "Retro-hunts (iocsift run; an add to its first retrospective event):"
echo "$retro_table"
echo
echo "Exports (iocsift run, every format, one iocsiftctl connection):"
echo "$exports_table"
echo
echo "Sinks (bench_sinks: the ECS event to a loopback TCP receiver and to nats-server with JetStream):"
echo "$nats_table"
echo
echo "Fleet (three iocsift run --fleet on one worker CPU, iocsiftctl --fleet add to the first hit):"
echo "$fleet_table"
echo "results: $out"
if [ "$smoke" -eq 0 ] && command -v gnuplot >/dev/null 2>&1; then
	sh perf/plot.sh "$out" || status=1
fi
[ "$failed" -eq 0 ] || { echo "bench: $failed measurement(s) failed" >&2; status=1; }
exit "$status"
