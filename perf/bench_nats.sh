#!/bin/sh
# The nats:// sink against the TCP sink (issue 14): a nats-server with
# JetStream of its own on a free loopback port, its store in WORK, and
# bench_sinks --nats: the same ECS event through a TCP sink, the NATS
# sink (until JetStream acknowledged every one) and the TCP sink again.
# usage: sh perf/bench_nats.sh BUILD_DIR WORK EVENTS
set -eu
[ $# -eq 3 ] || { echo "usage: sh perf/bench_nats.sh BUILD_DIR WORK EVENTS" >&2; exit 2; }
build=$1 work=$2 events=$3
server=/usr/sbin/nats-server
[ -x "$server" ] || { echo "bench_nats: $server is missing (apt-get install nats-server)" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" -js -a 127.0.0.1 -p "$port" -sd "$work/store" > "$work/nats-server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
i=0
until grep -q "Server is ready" "$work/nats-server.log"; do
	i=$((i + 1))
	[ "$i" -lt 200 ] && kill -0 "$pid" 2>/dev/null ||
		{ cat "$work/nats-server.log" >&2; exit 1; }
	sleep 0.05
done
"$build/perf/bench_sinks" --nats "nats://127.0.0.1:$port" "$events" 2>/dev/null
