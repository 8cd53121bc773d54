/* fuzz_matcher.c -- libFuzzer target of the differential check: the
 * fuzzer's bytes choose a feed of every type, changes to it and messages
 * (tests/diff/matcher_diff.c); any difference between the fast matcher
 * and the reference matcher is a crash with the inputs printed. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "matcher_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diff_source src = { .data = data, .len = size };
	struct diff_stats stats = { 0 };

	if (diff_run(&src, &stats, stderr) != 0)
		__builtin_trap();
	return 0;
}
