#!/bin/sh
# End to end: generate the mixed capture, replay it through the DPDK
# dataplane (net_pcap) with the bundled 3CX feed and check the exact set of
# hits, the malformed count, that `scan` over the same messages gives the
# same hits, and that a bad feed is rejected whole.
# usage: replay_test.sh IOCSIFT SOURCE_DIR [EAL ARGS...]
set -eu
iocsift=$1
src=$2
shift 2
. "$src/tests/integration/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feed="$src/data/3cx.csv"

# SYNTH_MESSAGES: a larger capture, so that the exporter falls behind and
# the worker must wait for hit records rather than drop them.
$PYTHON "$src/perf/synth_capture.py" --feed "$feed" --out "$work" \
	--messages "${SYNTH_MESSAGES:-2000}" >/dev/null
if [ $# -gt 0 ]; then
	set -- -- "$@"
fi
"$iocsift" replay -f "$feed" -o "$work/events.jsonl" "$work/capture.pcap" \
	"$@" 2>"$work/replay.summary" ||
	fail "replay exited $?: $(cat "$work/replay.summary")"
cat "$work/replay.summary"

summary() { jq -r ".$1" "$work/summary.json"; }
expect_summary "$work/replay.summary" packets "$(summary frames)"
expect_summary "$work/replay.summary" "syslog messages" "$(summary syslog_messages)"
expect_summary "$work/replay.summary" "dns messages" "$(summary dns_queries)"
expect_summary "$work/replay.summary" malformed "$(summary malformed_frames)"
expect_summary "$work/replay.summary" other "$(summary other_frames)"
expect_summary "$work/replay.summary" hits "$(summary expected_hits)"
! grep -q LOST "$work/replay.summary" || fail "replay lost something"

# Every event is one JSON object on its line, and the hits are exact.
jq -e . "$work/events.jsonl" >/dev/null || fail "events are not JSON lines"
$PYTHON "$src/tests/integration/check_hits.py" --key frame \
	--expected "$work/expected.jsonl" --events "$work/events.jsonl"

# scan over the same messages: the same hits as the replay's syslog part.
"$iocsift" scan -f "$feed" -o "$work/scan.jsonl" "$work/messages.log"
$PYTHON "$src/tests/integration/check_hits.py" --key line \
	--expected "$work/expected_scan.jsonl" --events "$work/scan.jsonl"
pairs='[.event.original, .threat.enrichments[0].matched.atomic] | @json'
jq -r "select(.network.protocol == \"syslog\") | $pairs" "$work/events.jsonl" |
	sort > "$work/replay.pairs"
jq -r "$pairs" "$work/scan.jsonl" | sort > "$work/scan.pairs"
[ -s "$work/scan.pairs" ] || fail "scan found nothing"
cmp -s "$work/replay.pairs" "$work/scan.pairs" ||
	fail "replay and scan differ: $(diff "$work/replay.pairs" "$work/scan.pairs" | head -5)"
echo "replay and scan agree on $(wc -l < "$work/scan.pairs") (message, indicator) pairs"

# A feed with one bad line is rejected whole: status 2, FILE:LINE, no output.
printf 'type,value\ndomain,ok.example\nsha256,abc\n' > "$work/bad.csv"
status=0
"$iocsift" replay -f "$work/bad.csv" -o "$work/bad.jsonl" "$work/capture.pcap" \
	2>"$work/bad.err" || status=$?
[ "$status" -eq 2 ] || fail "bad feed: exit status $status, expected 2"
grep -q "^$work/bad.csv:3: " "$work/bad.err" ||
	fail "bad feed: no FILE:LINE error: $(cat "$work/bad.err")"
[ ! -e "$work/bad.jsonl" ] || fail "bad feed: output was written"
status=0
"$iocsift" scan -f "$work/bad.csv" "$work/messages.log" 2>/dev/null >/dev/null ||
	status=$?
[ "$status" -eq 2 ] || fail "bad feed in scan: exit status $status, expected 2"
echo "replay: all checks passed"
