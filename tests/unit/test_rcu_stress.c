/* test_rcu_stress.c -- the pattern-set swap under load: reader threads,
 * registered with QSBR as workers are, match a message against
 * rcu_dereference(dp_active_set) in a loop, while the main thread makes
 * thousands of sets -- full builds, and pat_set_add/pat_set_delete deltas
 * that share the previous set's base -- publishes each with dp_publish
 * and frees the one it returns at once. Every set watches the domain in
 * the message, so every scan must hit; a set freed while a reader still
 * uses it is a use-after-free that AddressSanitizer stops (the unit suite
 * runs under -Db_sanitize=address,undefined), and a reader still holding
 * the returned set is counted without it.
 * IOCSIFT_RCU_STRESS_SWAPS: swaps (default 2000);
 * IOCSIFT_RCU_STRESS_READERS: reader threads (default 2: one a core here,
 * as workers are; more makes readers be preempted inside their read
 * sections, and each swap then waits for the scheduler: 3 readers take
 * about 9 ms a swap on two cores, 2 readers 2 ms, 1 reader 50 us). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "arena.h"
#include "feed.h"
#include "normalize.h"
#include "pattern_set.h"
#include "publish.h"

#define SWAPS_DEFAULT 2000
#define READERS_DEFAULT 2
#define READERS_MAX 64
#define FULL_BUILD_EVERY 16       /* the other swaps are deltas */
#define BURST 32                  /* scans between quiescent states */

static const char watched_domain[] = "journalide.org";
static const char message[] =
	"<14>1 2026-11-26T10:00:05Z edr01 falcon 42 - - host contacted "
	"cdn.journalide.org:443 from 10.0.0.14";

struct reader {
	pthread_t thread;
	unsigned int index;               /* its scratch in every set */
	atomic_bool *stop;
	atomic_bool registered;
	_Atomic(const struct pat_set *) holding;   /* NULL between scans */
	/* Written by the reader only, read after the join. */
	uint64_t bursts;
	uint64_t scans;
	uint64_t lost;                    /* scans that missed the domain */
	uint64_t match_errors;
	uint64_t versions_seen;           /* changes of version seen */
	uint64_t version_went_back;       /* a set older than the last */
};

static unsigned int
env_count(const char *name, unsigned int fallback, unsigned int max)
{
	const char *text = getenv(name);
	char *end;

	if (text == NULL || *text == '\0')
		return fallback;
	errno = 0;
	unsigned long value = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || value == 0 || value > max)
		fail_msg("%s=%s: expected 1..%u", name, text, max);
	return (unsigned int)value;
}

/* One scan as the worker makes it: match with the set's scratch, then
 * read the indicators hit (their strings live in the set). */
static void
reader_scan(struct reader *r, const struct pat_set *set)
{
	struct pat_hits hits;
	bool found = false;

	pat_hits_reset(&hits, 0);
	if (pat_match_text(set, pat_set_scratch(set, r->index),
			   (const uint8_t *)message, sizeof(message) - 1,
			   &hits) != 0)
		r->match_errors++;
	for (uint16_t i = 0; i < hits.count; i++)
		if (strcmp(pat_set_indicator(set, hits.ids[i])->value,
			   watched_domain) == 0)
			found = true;
	if (!found)
		r->lost++;
	r->scans++;
}

/* The worker's loop: one dereference, a burst of scans, a quiescent
 * state. */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t last_version = 0;

	urcu_qsbr_register_thread();
	atomic_store(&r->registered, true);
	while (!atomic_load_explicit(r->stop, memory_order_relaxed)) {
		const struct pat_set *set = rcu_dereference(dp_active_set);
		atomic_store(&r->holding, set);
		uint64_t version = pat_set_version(set);
		if (version < last_version)
			r->version_went_back++;
		else if (version > last_version)
			r->versions_seen++;
		last_version = version;
		for (unsigned int i = 0; i < BURST; i++)
			reader_scan(r, set);
		atomic_store(&r->holding, NULL);
		r->bursts++;
		urcu_qsbr_quiescent_state();       /* set is dead past here */
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

/* A full build: the watched domain and one of this version. */
static struct pat_set *
set_build(unsigned int n_readers, uint64_t version)
{
	char csv[256];
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };

	snprintf(csv, sizeof(csv), "domain,%s\ndomain,v%" PRIu64 ".example\n",
		 watched_domain, version);
	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "stress", "stress.csv", csv, strlen(csv),
			   PAT_FEED_CSV, &err) != 0)
		fail_msg("%s:%u: %s", err.where, err.line, err.message);
	struct pat_set *set = pat_set_build(feeds, 1, n_readers, version, &err);
	pat_feed_free(&feed);
	if (set == NULL)
		fail_msg("build %" PRIu64 ": %s", version, err.message);
	return set;
}

static struct pat_indicator
domain_indicator(struct pat_arena *arena, const char *value)
{
	struct pat_indicator ind;
	struct error_detail err = { 0 };

	if (pat_normalize(arena, PAT_TYPE_DOMAIN, value, strlen(value), &ind,
			  &err) != 0)
		fail_msg("normalize '%s': %s", value, err.message);
	ind.feed = "live";
	return ind;
}

/* A delta of prev, sharing its base: a domain of this version added, or
 * the one the previous delta added (*added, 0 when none) deleted. */
static struct pat_set *
set_delta(const struct pat_set *prev, uint64_t version, uint64_t *added,
	  struct pat_arena *arena)
{
	char value[64];
	struct error_detail err = { 0 };
	struct pat_set *next;

	snprintf(value, sizeof(value), "d%" PRIu64 ".example",
		 *added != 0 ? *added : version);
	struct pat_indicator ind = domain_indicator(arena, value);
	if (*added != 0) {
		next = pat_set_delete(prev, &ind, version, &err);
		*added = 0;
	} else {
		next = pat_set_add(prev, &ind, version, &err);
		*added = version;
	}
	if (next == NULL)
		fail_msg("delta %" PRIu64 " (%s): %s", version, value,
			 err.message);
	return next;
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
		(double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void
test_swaps_under_readers(void **state)
{
	(void)state;
	unsigned int swaps = env_count("IOCSIFT_RCU_STRESS_SWAPS",
				       SWAPS_DEFAULT, 100000000);
	unsigned int n_readers = env_count("IOCSIFT_RCU_STRESS_READERS",
					   READERS_DEFAULT, READERS_MAX);
	static struct reader readers[READERS_MAX];
	atomic_bool stop = false;
	struct pat_arena *arena = pat_arena_new();
	uint64_t stale_holds = 0, full_builds = 0, added = 0;
	struct timespec start;

	assert_non_null(arena);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_null(dp_publish(set_build(n_readers, 1)));
	for (unsigned int i = 0; i < n_readers; i++) {
		readers[i] = (struct reader){ .index = i, .stop = &stop };
		assert_int_equal(pthread_create(&readers[i].thread, NULL,
						reader_main, &readers[i]), 0);
	}
	/* Registered before the first swap, so every grace period waits
	 * for every reader. */
	for (unsigned int i = 0; i < n_readers; i++)
		while (!atomic_load(&readers[i].registered))
			sched_yield();
	struct pat_set *current = dp_active_set;
	for (uint64_t version = 2; version <= (uint64_t)swaps + 1; version++) {
		struct pat_set *next;
		if (version % FULL_BUILD_EVERY == 0) {
			next = set_build(n_readers, version);
			full_builds++;
			added = 0;
		} else {
			next = set_delta(current, version, &added, arena);
		}
		struct pat_set *prev = dp_publish(next);
		assert_ptr_equal(prev, current);
		for (unsigned int i = 0; i < n_readers; i++)
			if (atomic_load(&readers[i].holding) == prev)
				stale_holds++;
		pat_set_free(prev);
		current = next;
	}
	atomic_store(&stop, true);
	for (unsigned int i = 0; i < n_readers; i++)
		pthread_join(readers[i].thread, NULL);
	pat_set_free(dp_publish(NULL));
	pat_arena_free(arena);

	uint64_t scans = 0, lost = 0;
	for (unsigned int i = 0; i < n_readers; i++) {
		const struct reader *r = &readers[i];
		scans += r->scans;
		lost += r->lost;
		print_message("reader %u: %" PRIu64 " scans in %" PRIu64
			      " bursts, %" PRIu64 " versions seen\n", i,
			      r->scans, r->bursts, r->versions_seen);
		assert_int_equal(r->match_errors, 0);
		assert_int_equal(r->version_went_back, 0);
		/* Each swap's grace period waited for a quiescent state of
		 * each reader, and there is one burst between two. */
		assert_true(r->bursts >= swaps);
		assert_int_equal(r->scans, r->bursts * BURST);
		/* Swaps happened under it: it saw sets come and go. */
		assert_true(r->versions_seen >= 2);
	}
	print_message("%u swaps (%" PRIu64 " full builds), %u readers, %"
		      PRIu64 " scans in %.1f s\n", swaps, full_builds,
		      n_readers, scans, seconds_since(&start));
	assert_int_equal(stale_holds, 0);
	assert_int_equal(lost, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swaps_under_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
