#!/bin/sh
# The test command of the README: installs what is missing, builds, and runs
# every test; then the unit tests and fuzz corpora again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and each libFuzzer target
# for a short while. Exits non-zero on the first failure.
set -eu
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-20}

sh scripts/setup.sh
sh scripts/hugepages.sh

echo "== build and test (build/)"
[ -f build/build.ninja ] || meson setup build
meson compile -C build
meson test -C build --print-errorlogs

echo "== unit tests and fuzz corpora under ASan + UBSan (build-sanitize/)"
[ -f build-sanitize/build.ninja ] || meson setup build-sanitize -Dsanitize=true
meson compile -C build-sanitize
meson test -C build-sanitize --print-errorlogs --suite unit --suite fuzz

echo "== libFuzzer targets, ${FUZZ_SECONDS} s each (build-fuzz/)"
[ -f build-fuzz/build.ninja ] ||
	CC=clang meson setup build-fuzz -Dfuzz=true -Dsanitize=true
meson compile -C build-fuzz
for target in decode dns syslog feed; do
	work=$(mktemp -d)
	cp tests/fuzz/corpus/$target/* "$work"/
	./build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$FUZZ_SECONDS" \
		-max_len=4096 -print_final_stats=0 "$work" 2>build-fuzz/fuzz_$target.log ||
		{ tail -40 build-fuzz/fuzz_$target.log; exit 1; }
	echo "fuzz_$target: $(grep -c . build-fuzz/fuzz_$target.log) log lines, no crash"
	rm -rf "$work"
done
echo "all tests passed"
