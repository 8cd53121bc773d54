#!/bin/sh
# A capture cut short inside a record (docs/architecture.md, "End of
# capture"): replay processes it up to its last whole frame, every hit of
# those frames exact, warns with the file and the byte offset of the cut
# record, and exits with status 1; for pcap and pcapng, cut in a frame's
# bytes and in a record's header.
# usage: truncated_test.sh IOCSIFT SOURCE_DIR
set -eu
iocsift=$1
src=$2
. "$src/tests/integration/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf 'type,value\n' > "$work/feed.csv"
for i in 1 2 3 4 5 6; do
	printf 'domain,hit%d.example\n' "$i" >> "$work/feed.csv"
done

for format in pcap pcapng; do
	for cut in data header; do
		capture="$work/cut-$cut.$format"
		set -- $("$PYTHON" "$src/tests/integration/truncated_capture.py" \
			"$format" "$capture" "$cut")
		whole=$1 offset=$2
		status=0
		"$iocsift" replay -f "$work/feed.csv" -o "$work/events.jsonl" \
			"$capture" 2>"$work/replay.err" || status=$?
		what="$format cut in the record's $cut"
		[ "$status" -eq 1 ] ||
			fail "$what: exit status $status, expected 1: $(cat "$work/replay.err")"
		grep -q "^iocsift: warning: $capture: truncated capture: the record at byte offset $offset cannot be read" \
			"$work/replay.err" ||
			fail "$what: no warning naming offset $offset: $(cat "$work/replay.err")"
		grep -q "TRUNCATED: *read up to byte offset $offset ($whole whole frames)" \
			"$work/replay.err" ||
			fail "$what: summary: $(cat "$work/replay.err")"
		expect_summary "$work/replay.err" packets "$whole"
		got=$(jq -r '.threat.enrichments[0].matched.atomic' "$work/events.jsonl" |
			sort | tr '\n' ' ')
		[ "$got" = "hit1.example hit2.example hit3.example hit4.example hit5.example " ] ||
			fail "$what: hits [$got]"
		echo "$what: $whole whole frames replayed, warned at byte $offset, status 1"
	done
done

# A capture whose file header is cut is still bad input: status 2.
head -c 20 "$work/cut-data.pcap" > "$work/header.pcap"
status=0
"$iocsift" replay -f "$work/feed.csv" "$work/header.pcap" >/dev/null \
	2>"$work/header.err" || status=$?
[ "$status" -eq 2 ] || fail "cut file header: exit status $status, expected 2"
echo "truncated: all checks passed"
