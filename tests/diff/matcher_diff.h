/* matcher_diff.h -- the differential check of the matcher: a random feed
 * of every indicator type (a base layer, a delta, deletions, expiries),
 * random messages, DNS names and addresses built from near misses of its
 * values, and the fast matcher's hits (under every byte-class
 * implementation the CPU has) compared with the reference matcher's.
 * Shared by tests/unit/test_matcher_diff.c (a seeded generator) and
 * tests/fuzz/fuzz_matcher.c (the fuzzer's bytes drive every choice). */
#ifndef IOCSIFT_TESTS_MATCHER_DIFF_H
#define IOCSIFT_TESTS_MATCHER_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the choices come from: the bytes of data (each choice takes one
 * or two, 0 once they run out), or when data is NULL a PRNG seeded with
 * state. */
struct diff_source {
	const uint8_t *data;
	size_t len, pos;
	uint64_t state;
};

struct diff_stats {
	uint64_t sets;          /* sets built and checked */
	uint64_t skipped;       /* feeds the loader refused */
	uint64_t texts, names, addresses;
	uint64_t hits;          /* (input, indicator) pairs found by both */
};

/* One set and its inputs. 0 when both matchers agree on everything; -1
 * on a difference, which is described on report (if not NULL). */
int diff_run(struct diff_source *src, struct diff_stats *stats, FILE *report);

struct pat_set;
struct pat_hits;

/* A check of more than the hits, on every input of a run after the two
 * matchers agreed on it (test_token_keys: the keys of the input hold the
 * key of every indicator hit). Each returns false on a failure, which
 * it describes on report (if not NULL); a NULL member checks nothing. */
struct diff_observer {
	bool (*text)(void *ctx, const struct pat_set *set,
		     const uint8_t *text, size_t len,
		     const struct pat_hits *hits, FILE *report);
	bool (*dns_name)(void *ctx, const struct pat_set *set,
			 const char *name, size_t len,
			 const struct pat_hits *hits, FILE *report);
	bool (*address)(void *ctx, const struct pat_set *set, int family,
			const uint8_t *addr, const struct pat_hits *hits,
			FILE *report);
	void *ctx;
};

/* diff_run() with observer's checks too (observer may be NULL). */
int diff_run_observed(struct diff_source *src, struct diff_stats *stats,
		      FILE *report, const struct diff_observer *observer);

#endif
