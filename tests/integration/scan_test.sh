#!/bin/sh
# iocsift scan as a grep user expects it (--count, -l, --only-matching,
# stdin, exit status), and a set saved by `iocsift compile` giving the
# same events as the feeds it came from.
# usage: scan_test.sh IOCSIFT SOURCE_DIR
set -eu
iocsift=$1
src=$2
. "$src/tests/integration/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/feed.csv" <<'FEED'
type,value,tags
domain,evil.example,c2
sha256,aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868,payload
filename,Dropper.exe,
FEED
cat > "$work/a.log" <<'LOG'
Nov 26 10:00:01 proxy squid[1]: CONNECT cdn.evil.example:443
Nov 26 10:00:02 proxy squid[1]: CONNECT notevil.example:443
Nov 26 10:00:03 edr agent: C:\tmp\dropper.exe sha256=AA124A4B4DF12B34E74EE7F6C683B2EBEC4CE9A8EDCF9BE345823B4FDCF5D868
LOG
printf 'Nov 26 10:00:04 host app: nothing to see\n' > "$work/b.log"

expect_output() {
	[ "$1" = "$2" ] || fail "$3: got [$1], expected [$2]"
}

out=$("$iocsift" scan -f "$work/feed.csv" -c "$work/a.log")
expect_output "$out" "2" "--count, one file"
out=$("$iocsift" scan -f "$work/feed.csv" --count "$work/a.log" "$work/b.log")
expect_output "$out" "$work/a.log:2
$work/b.log:0" "--count, two files"
out=$("$iocsift" scan -f "$work/feed.csv" -l "$work/a.log" "$work/b.log")
expect_output "$out" "$work/a.log" "--files-with-matches"
out=$("$iocsift" scan -f "$work/feed.csv" --only-matching "$work/a.log" | sort)
expect_output "$out" "1:domain:evil.example
3:filename:Dropper.exe
3:sha256:aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868" "--only-matching"
out=$(sed -n 3p "$work/a.log" | "$iocsift" scan -f "$work/feed.csv" -c -)
expect_output "$out" "1" "stdin"

status=0
"$iocsift" scan -f "$work/feed.csv" -c "$work/b.log" >/dev/null || status=$?
expect_output "$status" 1 "exit status without a hit"
status=0
"$iocsift" scan -f "$work/feed.csv" -c "$work/missing.log" >/dev/null 2>&1 || status=$?
expect_output "$status" 2 "exit status for a missing file"
status=0
"$iocsift" scan -f "$work/feed.csv" "$work" >/dev/null 2>"$work/dir.err" || status=$?
expect_output "$status" 2 "exit status for a directory"
grep -q "is a directory; scan reads files" "$work/dir.err" || fail "scan DIR: $(cat "$work/dir.err")"

# compile + --db: the same events as the feed, without recompiling.
"$iocsift" compile -f "$work/feed.csv" -o "$work/set.db" 2>/dev/null
"$iocsift" scan -f "$work/feed.csv" "$work/a.log" 2>/dev/null |
	jq -c 'del(.["@timestamp"])' > "$work/from-feed.jsonl"
"$iocsift" scan --db "$work/set.db" "$work/a.log" 2>/dev/null |
	jq -c 'del(.["@timestamp"])' > "$work/from-db.jsonl"
[ "$(wc -l < "$work/from-db.jsonl")" -eq 3 ] || fail "--db: $(wc -l < "$work/from-db.jsonl") events"
cmp -s "$work/from-feed.jsonl" "$work/from-db.jsonl" || fail "--db events differ"
printf 'garbage' > "$work/bad.db"
status=0
"$iocsift" scan --db "$work/bad.db" "$work/a.log" 2>"$work/bad.err" >/dev/null || status=$?
expect_output "$status" 2 "exit status for a bad --db"
grep -q "not an iocsift pattern set" "$work/bad.err" || fail "bad --db: $(cat "$work/bad.err")"
# A long line is matched whole but its event carries the first 4096 bytes
# and iocsift.truncated, as replay's events do (DP_HIT_PAYLOAD_MAX); a line
# of exactly 4096 bytes is not cut.
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
with open(work + "/long.log", "w") as f:
    # 10 MB of filler, the indicator at the end, past the cut.
    f.write("Nov 26 10:00:05 proxy squid[1]: " + "x" * (10 << 20) + " CONNECT evil.example:443\n")
    line = "Nov 26 10:00:06 proxy squid[1]: CONNECT evil.example:443 "
    f.write(line + "y" * (4096 - len(line)) + "\n")
PY
"$iocsift" scan -f "$work/feed.csv" "$work/long.log" > "$work/long.jsonl" 2>/dev/null
[ "$(wc -l < "$work/long.jsonl")" -eq 2 ] || fail "long lines: $(wc -l < "$work/long.jsonl") events, expected 2"
size=$(wc -c < "$work/long.jsonl")
[ "$size" -lt 20000 ] || fail "long lines: $size bytes of events"
out=$(jq -c '[(.message | length), .iocsift.truncated, .threat.enrichments[0].matched.atomic]' "$work/long.jsonl")
expect_output "$out" '[4096,true,"evil.example"]
[4096,null,"evil.example"]' "long lines cut at 4096 bytes"
echo "scan: all checks passed"
