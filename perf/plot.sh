#!/bin/sh
# PNG plots of a perf/bench.sh run: throughput against the number of
# indicators (floor, matcher, dataplane with 1 worker; syslog traffic) and
# against the syslog message length (floor and matcher, the sweep's feed).
# Installs gnuplot-nox when it is missing and we are root.
# usage: sh perf/plot.sh RESULTS.jsonl [OUTDIR]
set -eu
[ $# -ge 1 ] || { echo "usage: sh perf/plot.sh RESULTS.jsonl [OUTDIR]" >&2; exit 2; }
results=$1
outdir=${2:-$(dirname "$results")}
name=$(basename "$results" .jsonl)

if ! command -v gnuplot >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "plot: gnuplot is missing (apt-get install gnuplot-nox)" >&2
		exit 1
	fi
	apt-get install -y gnuplot-nox >/dev/null 2>&1 ||
		{ apt-get update >/dev/null && apt-get install -y gnuplot-nox >/dev/null; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# series ROW TYPE KEY: "KEY M_packets_per_s" lines of syslog records.
series() {
	jq -r --arg row "$1" --arg type "$2" --arg key "$3" '
		select(.type == $type and .row == $row and .traffic == "syslog"
		       and .packets_per_s != null)
		| "\(.[$key]) \(.packets_per_s / 1e6)"' "$results" | sort -n
}

for row in floor matcher dataplane1; do
	series "$row" cell indicators > "$work/$row-indicators.dat"
done
for row in floor matcher; do
	series "$row" sweep length > "$work/$row-length.dat"
done
machine=$(jq -r 'select(.type == "meta") | .machine' "$results" | head -n 1)
sweep=$(jq -r 'select(.type == "sweep") | .column' "$results" | head -n 1)

if [ -s "$work/floor-indicators.dat" ]; then
	gnuplot <<EOF
set terminal pngcairo size 900,560 font "sans,11"
set output "$outdir/$name-indicators.png"
set title "syslog traffic: throughput against indicators\n{/*0.8 $machine}"
set xlabel "indicators"
set ylabel "M packets/s"
set logscale xy
set xrange [700:1.5e6]
set format x "%.0s%c"
set grid
set key top right
plot "$work/floor-indicators.dat" using 1:2 with linespoints lw 2 title "floor (Hyperscan literals)", \
     "$work/matcher-indicators.dat" using 1:2 with linespoints lw 2 title "matcher", \
     "$work/dataplane1-indicators.dat" using 1:2 with linespoints lw 2 title "dataplane, 1 worker"
EOF
	echo "plot: $outdir/$name-indicators.png"
fi
if [ -s "$work/floor-length.dat" ]; then
	gnuplot <<EOF
set terminal pngcairo size 900,560 font "sans,11"
set output "$outdir/$name-length.png"
set title "syslog messages, $sweep indicators: throughput against message length\n{/*0.8 $machine}"
set xlabel "syslog message length (bytes)"
set ylabel "M packets/s"
set logscale x 2
set logscale y
set grid
set key top right
plot "$work/floor-length.dat" using 1:2 with linespoints lw 2 title "floor (Hyperscan literals)", \
     "$work/matcher-length.dat" using 1:2 with linespoints lw 2 title "matcher"
EOF
	echo "plot: $outdir/$name-length.png"
fi
