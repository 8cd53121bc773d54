/* test_publish.c -- dp_publish (dataplane/publish.c) with real QSBR
 * readers and real pattern sets: it makes the new set the active one and
 * returns the previous one, and it returns only once no registered reader
 * can still hold that one. Reader threads record, between two quiescent
 * states, which set they hold; one can be told to hold its next set for a
 * while; one can go offline, as an idle worker does. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "feed.h"
#include "pattern_set.h"
#include "publish.h"

#define READERS 2
#define HOLD_MS 200
#define WAIT_MS 5000
#define SWAPS 500

static const char message[] = "beacon to cdn.journalide.org:443";

static struct pat_set *sets[2];    /* built once, swapped by the tests */

struct reader {
	pthread_t thread;
	unsigned int index;            /* its scratch in every set */
	atomic_bool stop;
	/* The set read, from rcu_dereference() until just before the
	 * quiescent state; NULL outside. */
	_Atomic(const struct pat_set *) holding;
	_Atomic(const struct pat_set *) last_read;   /* kept past the QS */
	/* Hold the next set read for HOLD_MS; which one was held, and the
	 * same once it was let go. */
	atomic_bool hold_next;
	_Atomic(const struct pat_set *) held_long;
	_Atomic(const struct pat_set *) released_long;
	/* Go offline until told to come back, as an idle worker does. */
	atomic_bool go_offline;
	atomic_bool offline;
	atomic_uint_fast64_t reads;
	atomic_uint_fast64_t misses;   /* a held set that did not hit */
};

static struct pat_set *
set_from_csv(const char *csv, uint64_t version)
{
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };

	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "unit", "unit.csv", csv, strlen(csv),
			   PAT_FEED_CSV, &err) != 0)
		fail_msg("%s:%u: %s", err.where, err.line, err.message);
	struct pat_set *set = pat_set_build(feeds, 1, READERS, version, &err);
	pat_feed_free(&feed);
	if (set == NULL)
		fail_msg("build: %s", err.message);
	return set;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Uses the set as a worker does: matches the message with the set's
 * scratch and reads the indicator it hit. */
static bool
set_hits_message(const struct pat_set *set, unsigned int index)
{
	struct pat_hits hits;

	pat_hits_reset(&hits, 0);
	if (pat_match_text(set, pat_set_scratch(set, index),
			   (const uint8_t *)message, strlen(message),
			   &hits) != 0 || hits.count != 1)
		return false;
	return strcmp(pat_set_indicator(set, hits.ids[0])->value,
		      "journalide.org") == 0;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	urcu_qsbr_register_thread();
	while (!atomic_load(&r->stop)) {
		const struct pat_set *set = rcu_dereference(dp_active_set);
		atomic_store(&r->holding, set);
		atomic_store(&r->last_read, set);
		if (set != NULL && !set_hits_message(set, r->index))
			atomic_fetch_add(&r->misses, 1);
		if (set != NULL && atomic_exchange(&r->hold_next, false)) {
			atomic_store(&r->held_long, set);
			sleep_ms(HOLD_MS);   /* online: a grace period waits */
			if (!set_hits_message(set, r->index))
				atomic_fetch_add(&r->misses, 1);
			atomic_store(&r->holding, NULL);
			atomic_store(&r->released_long, set);
		}
		atomic_store(&r->holding, NULL);
		atomic_fetch_add(&r->reads, 1);
		urcu_qsbr_quiescent_state();       /* set is dead past here */
		if (atomic_load(&r->go_offline)) {
			urcu_qsbr_thread_offline();
			atomic_store(&r->offline, true);
			while (atomic_load(&r->go_offline))
				sleep_ms(1);
			atomic_store(&r->offline, false);
			urcu_qsbr_thread_online();
		}
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static struct reader readers[READERS];
static bool readers_running;

static void
readers_start(void)
{
	readers_running = true;
	for (unsigned int i = 0; i < READERS; i++) {
		struct reader *r = &readers[i];
		memset(r, 0, sizeof(*r));
		r->index = i;
		assert_int_equal(pthread_create(&r->thread, NULL, reader_main,
						r), 0);
	}
}

static void
readers_stop(void)
{
	if (!readers_running)
		return;
	readers_running = false;
	for (unsigned int i = 0; i < READERS; i++) {
		atomic_store(&readers[i].go_offline, false);
		atomic_store(&readers[i].stop, true);
		pthread_join(readers[i].thread, NULL);
	}
}

/* Waits until reader r has read again, so that it runs (and, being
 * online, can hold up a grace period). */
static void
reader_wait_reads(struct reader *r, uint64_t reads)
{
	uint64_t deadline = monotonic_ms() + WAIT_MS;

	while (atomic_load(&r->reads) < reads) {
		if (monotonic_ms() > deadline)
			fail_msg("reader %u made %ju of %ju reads in %d ms",
				 r->index, (uintmax_t)atomic_load(&r->reads),
				 (uintmax_t)reads, WAIT_MS);
		sleep_ms(1);
	}
}

static int
group_setup(void **state)
{
	(void)state;
	sets[0] = set_from_csv("domain,journalide.org\n", 1);
	sets[1] = set_from_csv("domain,journalide.org\nipv4,203.0.113.7\n", 2);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	pat_set_free(sets[0]);
	pat_set_free(sets[1]);
	return 0;
}

/* No readers and no set, whatever a failed test left. */
static int
test_teardown(void **state)
{
	(void)state;
	readers_stop();
	dp_publish(NULL);
	return 0;
}

static void
test_returns_the_previous_set(void **state)
{
	(void)state;
	assert_null(dp_active_set);
	assert_null(dp_publish(sets[0]));
	assert_ptr_equal(dp_active_set, sets[0]);
	assert_ptr_equal(dp_publish(sets[1]), sets[0]);
	assert_ptr_equal(dp_active_set, sets[1]);
	assert_ptr_equal(dp_publish(NULL), sets[1]);
	assert_null(dp_active_set);
}

/* A reader holds the old set for HOLD_MS: dp_publish returns only after
 * it let go, and the reader's next read is the new set. */
static void
test_waits_for_a_reader_holding_the_old_set(void **state)
{
	(void)state;
	struct reader *r = &readers[0];

	assert_null(dp_publish(sets[0]));
	readers_start();
	atomic_store(&r->hold_next, true);
	uint64_t deadline = monotonic_ms() + WAIT_MS;
	while (atomic_load(&r->held_long) != sets[0]) {
		if (monotonic_ms() > deadline)
			fail_msg("the reader did not hold the set");
		sleep_ms(1);
	}
	assert_ptr_equal(dp_publish(sets[1]), sets[0]);
	/* Whatever the readers hold now, it is not the old set. */
	assert_ptr_equal(atomic_load(&r->released_long), sets[0]);
	for (unsigned int i = 0; i < READERS; i++)
		assert_ptr_not_equal(atomic_load(&readers[i].holding), sets[0]);
	uint64_t reads = atomic_load(&r->reads);
	reader_wait_reads(r, reads + 2);
	assert_ptr_equal(atomic_load(&r->last_read), sets[1]);
	readers_stop();
	for (unsigned int i = 0; i < READERS; i++)
		assert_int_equal(atomic_load(&readers[i].misses), 0);
}

/* Readers reading as fast as they can: after each of SWAPS publishes no
 * reader holds the set it returned. */
static void
test_no_reader_holds_the_returned_set(void **state)
{
	(void)state;
	unsigned int next = 0;

	assert_null(dp_publish(sets[next]));
	readers_start();
	for (unsigned int i = 0; i < READERS; i++)
		reader_wait_reads(&readers[i], 1);
	for (unsigned int swap = 0; swap < SWAPS; swap++) {
		next ^= 1;
		const struct pat_set *prev = dp_publish(sets[next]);
		assert_ptr_equal(prev, sets[next ^ 1]);
		for (unsigned int i = 0; i < READERS; i++)
			if (atomic_load(&readers[i].holding) == prev)
				fail_msg("swap %u: reader %u holds the set "
					 "dp_publish returned", swap, i);
	}
	readers_stop();
	for (unsigned int i = 0; i < READERS; i++) {
		assert_int_equal(atomic_load(&readers[i].misses), 0);
		/* Each grace period waited for a quiescent state of each
		 * reader, and a reader reads once between two. */
		assert_true(atomic_load(&readers[i].reads) >= SWAPS);
	}
}

/* A reader that went offline (an idle worker) holds nothing: dp_publish
 * does not wait for it. Published from a thread of its own, so that a
 * publish that waited would fail here instead of hanging the test. */
static void *
publisher_main(void *arg)
{
	atomic_bool *done = arg;

	dp_publish(sets[1]);
	atomic_store(done, true);
	return NULL;
}

static void
test_does_not_wait_for_an_offline_reader(void **state)
{
	(void)state;
	struct reader *r = &readers[0];
	pthread_t publisher;
	atomic_bool done = false;

	assert_null(dp_publish(sets[0]));
	readers_start();
	atomic_store(&r->go_offline, true);
	uint64_t deadline = monotonic_ms() + WAIT_MS;
	while (!atomic_load(&r->offline)) {
		if (monotonic_ms() > deadline)
			fail_msg("the reader did not go offline");
		sleep_ms(1);
	}
	assert_int_equal(pthread_create(&publisher, NULL, publisher_main,
					&done), 0);
	deadline = monotonic_ms() + WAIT_MS;
	while (!atomic_load(&done) && monotonic_ms() < deadline)
		sleep_ms(1);
	bool published = atomic_load(&done);
	/* Online again: a publish that was waiting for it ends now. */
	atomic_store(&r->go_offline, false);
	pthread_join(publisher, NULL);
	readers_stop();
	if (!published)
		fail_msg("dp_publish waited %d ms for an offline reader",
			 WAIT_MS);
	assert_ptr_equal(dp_active_set, sets[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_returns_the_previous_set,
					  test_teardown),
		cmocka_unit_test_teardown(
			test_waits_for_a_reader_holding_the_old_set,
			test_teardown),
		cmocka_unit_test_teardown(test_no_reader_holds_the_returned_set,
					  test_teardown),
		cmocka_unit_test_teardown(
			test_does_not_wait_for_an_offline_reader,
			test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
