#!/bin/sh
# No header decides what is matched (docs/matching.md, "Malformed
# messages"): syslog and DNS messages broken in every way the unit tests
# know, replayed from a capture and scanned from a file, each hit once,
# tagged, and counted as malformed.
# usage: malformed_test.sh IOCSIFT SOURCE_DIR
set -eu
iocsift=$1
src=$2
. "$src/tests/integration/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf 'type,value\ndomain,journalide.org\n' > "$work/feed.csv"
set -- $("$PYTHON" "$src/tests/integration/malformed_capture.py" \
	"$work/broken.pcap" "$work/broken.log")
syslog=$1 dns=$2 hits=$3

"$iocsift" replay -f "$work/feed.csv" -o "$work/replay.jsonl" \
	"$work/broken.pcap" 2>"$work/replay.summary" ||
	fail "replay: exit status $?: $(cat "$work/replay.summary")"
expect_summary "$work/replay.summary" "syslog messages" "$syslog"
expect_summary "$work/replay.summary" "dns messages" "$dns"
expect_summary "$work/replay.summary" hits "$hits"
grep -q "malformed: *$hits (frame 0, syslog $syslog, dns $dns)" \
	"$work/replay.summary" ||
	fail "replay: malformed counters: $(grep malformed "$work/replay.summary")"
# One event per message, each with its tag; the syslog ones carry the
# message as received and no field from the header.
[ "$(wc -l < "$work/replay.jsonl")" -eq "$hits" ] ||
	fail "replay: $(wc -l < "$work/replay.jsonl") events for $hits hits"
jq -e -s --argjson n "$syslog" '
	map(select(.network.protocol == "syslog")) |
	length == $n and
	all(.tags == ["header_malformed"] and .message == .event.original and
	    .log == null)' "$work/replay.jsonl" >/dev/null ||
	fail "replay: syslog events are not tagged header_malformed as received"
jq -e -s '
	map(select(.network.protocol == "dns") | .tags[0]) | sort ==
	["dns_records_malformed", "dns_records_malformed", "header_malformed"]' \
	"$work/replay.jsonl" >/dev/null ||
	fail "replay: DNS events: $(jq -c '.tags' "$work/replay.jsonl" | tr '\n' ' ')"

# scan: the same syslog lines, the same hits and tags.
"$iocsift" scan -f "$work/feed.csv" "$work/broken.log" > "$work/scan.jsonl" ||
	fail "scan: exit status $?"
[ "$(wc -l < "$work/scan.jsonl")" -eq "$syslog" ] ||
	fail "scan: $(wc -l < "$work/scan.jsonl") events for $syslog lines"
jq -e -s 'all(.tags == ["header_malformed"] and .log.syslog == null)' \
	"$work/scan.jsonl" >/dev/null ||
	fail "scan: events are not tagged header_malformed"
echo "malformed: $syslog syslog and $dns DNS messages, each hit once"
