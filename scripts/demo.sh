#!/bin/sh
# The main command of the README: installs what is missing, builds iocsift,
# generates the bundled demo capture and replays it through the DPDK
# dataplane with the bundled 3CX feed, then shows the hits.
set -eu
cd "$(dirname "$0")/.."

sh scripts/setup.sh
sh scripts/hugepages.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

out=build/demo
mkdir -p "$out"
/usr/bin/python3 perf/synth_capture.py --feed data/3cx.csv --out "$out" >/dev/null
./build/iocsift replay -f data/3cx.csv -o "$out/hits.jsonl" "$out/capture.pcap"

echo
echo "hits (all $(wc -l < "$out/hits.jsonl") events in $out/hits.jsonl):"
jq -r '[.["@timestamp"][11:19], .source.ip, .network.protocol,
	.iocsift.indicator_type, .threat.enrichments[0].matched.atomic,
	((.message // .dns.question.name) | .[0:70])] | @tsv' \
	"$out/hits.jsonl" |
	awk -F '\t' '{ printf "%-9s %-18s %-6s %-9s %-30.30s %s\n", $1, $2, $3, $4, $5, $6 }'
