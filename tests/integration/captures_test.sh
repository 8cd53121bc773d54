#!/bin/sh
# Replays the third-party captures of tests/data/captures (truncated DNS,
# pointer loops, QinQ, IPv6 fragments, syslog without PRI...) and checks
# every counter of the summary: each bad frame is counted, none crashes.
# usage: captures_test.sh IOCSIFT SOURCE_DIR
set -eu
iocsift=$1
src=$2
. "$src/tests/integration/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/real.csv" <<'FEED'
type,value
domain,tcpdump.org
regex,"Hello, syslog"
ipv4,198.199.88.104
FEED

# capture packets syslog dns malformed(frame syslog dns) fragments hits
# (a malformed syslog or DNS message is counted and still matched, so it
# is in the syslog or dns column too)
while read -r name packets syslog dns m_frame m_syslog m_dns fragments hits; do
	out="$work/$name.summary"
	"$iocsift" replay -f "$work/real.csv" -o "$work/$name.jsonl" \
		"$src/tests/data/captures/$name" 2>"$out" ||
		fail "$name: exit status $?: $(cat "$out")"
	expect_summary "$out" packets "$packets"
	expect_summary "$out" "syslog messages" "$syslog"
	expect_summary "$out" "dns messages" "$dns"
	grep -q "malformed: *$((m_frame + m_syslog + m_dns)) (frame $m_frame, syslog $m_syslog, dns $m_dns)" "$out" ||
		fail "$name: malformed counters: $(grep malformed "$out")"
	expect_summary "$out" fragments "$fragments"
	expect_summary "$out" hits "$hits"
	[ "$(wc -l < "$work/$name.jsonl")" -eq "$hits" ] ||
		fail "$name: $(wc -l < "$work/$name.jsonl") events for $hits hits"
	echo "ok $name"
done <<'TABLE'
tcpdump-dns-zlip-1.pcap 1 0 1 0 0 1 0 0
tcpdump-dns_udp.pcap 2 0 2 0 0 0 0 3
tcpdump-syslog_udp.pcap 4 4 0 0 0 0 0 0
zeek-dns-edns-bad-length.pcap 1 0 1 0 0 0 0 0
zeek-dns-invalid-names.pcap 3 0 3 0 0 3 0 0
zeek-fake-syslog-with-padding.pcap 5 5 0 0 0 0 0 0
zeek-ipv6-fragmented-dns.pcap 8 0 5 0 0 0 4 0
zeek-loc-29-trunc.pcap 2 0 2 0 0 0 0 0
zeek-syslog-missing-pri.pcap 1 1 0 0 0 0 0 0
zeek-syslog-single-udp.pcap 1 1 0 0 0 0 0 1
TABLE

# The response of dns_udp hits the domain (question) and the A answer.
jq -e -s 'map(select(.iocsift.frame == 2)) | map(.threat.enrichments[0].matched.atomic) | sort == ["198.199.88.104", "tcpdump.org"]' \
	"$work/tcpdump-dns_udp.pcap.jsonl" >/dev/null ||
	fail "dns_udp: the response should hit the domain and the A record"
# Capture time, not wall-clock time, in replayed events.
jq -e -s '.[0]["@timestamp"] == "2020-06-10T09:19:54.740079Z"' \
	"$work/tcpdump-dns_udp.pcap.jsonl" >/dev/null ||
	fail "dns_udp: @timestamp is not the capture's"
echo "captures: all counters as expected"
