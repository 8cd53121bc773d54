/* test_matcher_diff.c -- the differential check with a seeded generator:
 * thousands of random feeds of every type, with deltas, deletions and
 * expiries, and near-miss messages, DNS names and addresses; the fast
 * matcher must report what the reference matcher (written from
 * docs/matching.md) reports, under every byte-class implementation the
 * CPU has. The libFuzzer target tests/fuzz/fuzz_matcher.c runs the same
 * check on the fuzzer's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "matcher_diff.h"
#include "text_class.h"

/* About 10 s under ASan; a few seconds otherwise. */
#define DIFF_SETS 6000

static void
test_random_sets(void **state)
{
	struct diff_stats stats = { 0 };
	const char *env = getenv("IOCSIFT_DIFF_SETS");
	unsigned long n = env != NULL ? strtoul(env, NULL, 10) : DIFF_SETS;

	(void)state;
	for (unsigned long i = 0; i < n; i++) {
		struct diff_source src = { .state = 0x5eed0000 + i };
		if (diff_run(&src, &stats, stdout) != 0)
			fail_msg("difference with seed %lu", 0x5eed0000 + i);
	}
	printf("%lu seeds: %lu sets (%lu refused by the loader), %lu texts,"
	       " %lu DNS names, %lu addresses, %lu hits; byte classes %s\n",
	       n, (unsigned long)stats.sets, (unsigned long)stats.skipped,
	       (unsigned long)stats.texts, (unsigned long)stats.names,
	       (unsigned long)stats.addresses, (unsigned long)stats.hits,
	       pat_isa_name(pat_text_isa()));
	/* The generator must make valid feeds and inputs that hit, or the
	 * check proves nothing. */
	assert_true(stats.skipped * 20 < n);
	assert_true(stats.hits > stats.texts / 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
