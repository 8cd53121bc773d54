# lib.sh -- helpers shared by the integration tests (sourced, not run).

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# summary_value FILE KEY: the first number after "KEY:" in a replay summary.
summary_value() {
	sed -n "s/^ *$2: *\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

# expect_summary FILE KEY VALUE
expect_summary() {
	got=$(summary_value "$1" "$2")
	[ "$got" = "$3" ] || fail "$(basename "$1"): $2 is '$got', expected $3"
}

# Debian's python3 has scapy; a python3 earlier on PATH may not.
PYTHON=/usr/bin/python3
