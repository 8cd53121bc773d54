#!/bin/sh
# Reserves 2 MiB hugepages for DPDK (default 512 = 1 GiB) and mounts
# hugetlbfs if it is not mounted. Needs root; idempotent. iocsift also runs
# without hugepages (EAL --no-huge), so failure here is reported, not fatal.
set -u
pages=${1:-512}

if [ "$(id -u)" -ne 0 ]; then
	echo "hugepages: not root, leaving hugepages as they are" >&2
	exit 0
fi
current=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$current" -lt "$pages" ]; then
	echo "$pages" > /proc/sys/vm/nr_hugepages 2>/dev/null ||
		echo "hugepages: cannot reserve $pages pages" >&2
fi
if ! grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null ||
		echo "hugepages: cannot mount hugetlbfs" >&2
fi
echo "hugepages: $(grep -E 'HugePages_(Total|Free)' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
