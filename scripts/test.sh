#!/bin/sh
# The test command of the README: installs what is missing, builds, and runs
# every test; then the unit tests and fuzz corpora again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and each libFuzzer target
# for a short while. Exits non-zero on the first failure.
set -eu
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
passed=0
failed=0
skipped=0

# run_meson_tests BUILD_DIR [ARGS...]: runs meson test and adds its counts.
run_meson_tests() {
	dir=$1
	shift
	status=0
	meson test -C "$dir" --print-errorlogs "$@" >"$dir/test-summary.log" 2>&1 ||
		status=$?
	cat "$dir/test-summary.log"
	count() { sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$dir/test-summary.log"; }
	passed=$((passed + $(count Ok)))
	failed=$((failed + $(count Fail) + $(count Timeout)))
	skipped=$((skipped + $(count Skipped)))
	if [ "$status" -ne 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
		exit "$status"
	fi
}

sh scripts/setup.sh
sh scripts/hugepages.sh

echo "== build and test (build/)"
[ -f build/build.ninja ] || meson setup build
meson compile -C build
run_meson_tests build

# The benchmark table with the 1k column and short windows: every cell
# must come out with a figure (the full run is `meson test --benchmark`).
echo "== benchmark smoke run (perf/bench.sh --smoke, build/)"
if sh perf/bench.sh --smoke --build build; then
	passed=$((passed + 1))
else
	echo "$passed passed, $((failed + 1)) failed, $skipped skipped"
	exit 1
fi

echo "== unit tests and fuzz corpora under ASan + UBSan (build-sanitize/)"
[ -f build-sanitize/build.ninja ] ||
	meson setup build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-sanitize
run_meson_tests build-sanitize --suite unit --suite fuzz

echo "== libFuzzer targets, ${FUZZ_SECONDS} s each (build-fuzz/)"
[ -f build-fuzz/build.ninja ] ||
	CC=clang meson setup build-fuzz -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-fuzz
# Every target that has a seed corpus: a new one cannot be left out.
for target in $(ls tests/fuzz/corpus); do
	work=$(mktemp -d)
	cp tests/fuzz/corpus/$target/* "$work"/
	./build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$FUZZ_SECONDS" \
		-max_len=4096 -print_final_stats=0 "$work" 2>build-fuzz/fuzz_$target.log ||
		{ tail -40 build-fuzz/fuzz_$target.log;
		  echo "$passed passed, $((failed + 1)) failed, $skipped skipped"; exit 1; }
	passed=$((passed + 1))
	echo "fuzz_$target: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+|Done [0-9]+ runs' build-fuzz/fuzz_$target.log | tail -1), no crash"
	rm -rf "$work"
done
echo "$passed passed, $failed failed, $skipped skipped"
