#!/bin/sh
# The replay test on hugepages (--in-memory). Skipped (77) only when not
# run as root or when the machine has no free hugepages; scripts/test.sh
# (as root) reserves them first.
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "replay_hugepages: skipped: needs root (hugepage mappings)" >&2
	exit 77
fi
if [ "$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)" -lt 64 ]; then
	echo "no free hugepages: run scripts/hugepages.sh as root" >&2
	exit 77
fi
exec sh "$2/tests/integration/replay_test.sh" "$1" "$2" \
	--no-pci --in-memory -l 0,1 --no-telemetry --log-level=warning
