/* test_throttle.c -- repeated hits become one summary per window; the
 * first hit is never held back. The table's hash is SipHash-2-4 (the
 * paper's test vector) under a key of its own; its entries are made with
 * it, so a repeat allocates nothing (malloc, calloc and realloc are
 * wrapped here and counted) and a flood of distinct keys never takes
 * more than the bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siphash.h"
#include "throttle.h"

#define SECOND 1000000000ULL
#define PAYLOAD_TEXT 5000          /* past the 4 KiB a window copies */

/* The allocator, wrapped at link time (-Wl,--wrap): calls are counted
 * while counting is on. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static bool counting;
static unsigned int allocations;

void *
__wrap_malloc(size_t size)
{
	allocations += counting;
	return __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	allocations += counting;
	return __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	allocations += counting;
	return __real_realloc(p, size);
}

struct captured {
	unsigned int calls;
	uint32_t count;
	uint64_t first_ns, last_ns;
	char payload[64];
	char value[64];
	uint8_t src0;
};

static void
capture(void *ctx, const struct exp_throttle_summary *s)
{
	struct captured *c = ctx;

	c->calls++;
	c->count = s->count;
	c->first_ns = s->first_ns;
	c->last_ns = s->last_ns;
	snprintf(c->payload, sizeof(c->payload), "%.*s",
		 (int)s->msg->payload_len, (const char *)s->msg->payload);
	snprintf(c->value, sizeof(c->value), "%s", s->ind->value);
	c->src0 = s->msg->src_addr[3];
}

static struct pat_indicator
indicator(const char *value)
{
	return (struct pat_indicator){ .type = PAT_TYPE_DOMAIN, .value = value,
				       .tags = "c2", .source = "", .feed = "3cx" };
}

static struct exp_message
message(const char *text, uint8_t host, uint64_t time_ns)
{
	struct exp_message m = { .protocol = EXP_PROTOCOL_SYSLOG,
		.time_ns = time_ns, .ip_version = 4,
		.src_addr = { 10, 0, 0, host },
		.payload = (const uint8_t *)text, .payload_len = strlen(text) };
	return m;
}

static void
test_first_hit_at_once_repeats_summarized(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(60 * SECOND, 100, capture, &c);
	struct pat_indicator ind = indicator("evil.com");
	char text[32];

	assert_non_null(t);
	struct exp_message first = message("hit 0", 1, 100);
	assert_true(exp_throttle_hit(t, &first, &ind, 7, 0));
	for (int i = 1; i <= 5; i++) {
		snprintf(text, sizeof(text), "hit %d", i);
		struct exp_message m = message(text, 1, 100 + (uint64_t)i);
		assert_false(exp_throttle_hit(t, &m, &ind, 7, (uint64_t)i * SECOND));
	}
	/* Another source is another window: sent at once. */
	struct exp_message other = message("other host", 2, 200);
	assert_true(exp_throttle_hit(t, &other, &ind, 7, 6 * SECOND));
	assert_int_equal(c.calls, 0);

	exp_throttle_expire(t, 59 * SECOND);
	assert_int_equal(c.calls, 0);
	exp_throttle_expire(t, 60 * SECOND);
	assert_int_equal(c.calls, 1);   /* the second window had no repeat */
	assert_int_equal(c.count, 5);
	assert_int_equal(c.first_ns, 101);
	assert_int_equal(c.last_ns, 105);
	assert_string_equal(c.payload, "hit 5");   /* the last repeat, copied */
	assert_string_equal(c.value, "evil.com");
	assert_int_equal(c.src0, 1);

	/* After the window, the next hit opens a new one and is sent. */
	struct exp_message later = message("later", 1, 300);
	assert_true(exp_throttle_hit(t, &later, &ind, 8, 61 * SECOND));
	exp_throttle_expire(t, 200 * SECOND);
	assert_int_equal(c.calls, 1);   /* no repeats: no summary */

	struct exp_throttle_stats st;
	exp_throttle_stats(t, &st);
	assert_int_equal(st.suppressed, 5);
	assert_int_equal(st.summaries, 1);
	assert_int_equal(st.open, 0);
	exp_throttle_free(t);
}

static void
test_indicator_copy_outlives_its_set(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(10 * SECOND, 100, capture, &c);
	char value[16] = "gone.example";
	struct pat_indicator ind = indicator(value);
	struct exp_message m = message("x", 9, 1);

	assert_true(exp_throttle_hit(t, &m, &ind, 1, 0));
	assert_false(exp_throttle_hit(t, &m, &ind, 1, 1));
	/* The pattern set (and its strings) may be freed after a swap. */
	memset(value, 'X', sizeof(value) - 1);
	exp_throttle_flush(t);
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.value, "gone.example");
	exp_throttle_free(t);
}

/* Every entry open: a new key closes the oldest window early, its
 * repeats summarized at once, and takes its entry. */
static void
test_table_full_evicts_oldest(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(60 * SECOND, 2, capture, &c);
	struct pat_indicator a = indicator("a.example"), b = indicator("b.example"),
		z = indicator("z.example");
	struct exp_message m = message("m", 1, 1);

	assert_true(exp_throttle_hit(t, &m, &a, 1, 0));
	assert_false(exp_throttle_hit(t, &m, &a, 1, 1));
	assert_false(exp_throttle_hit(t, &m, &a, 1, 2));
	assert_true(exp_throttle_hit(t, &m, &b, 1, 3));
	assert_int_equal(c.calls, 0);
	/* z evicts a, the oldest: a's two repeats come out now. */
	assert_true(exp_throttle_hit(t, &m, &z, 1, 4));
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.count, 2);
	assert_string_equal(c.value, "a.example");
	/* z has a window of its own now; b was left alone. */
	assert_false(exp_throttle_hit(t, &m, &z, 1, 5));
	assert_false(exp_throttle_hit(t, &m, &b, 1, 6));
	/* a again evicts b, the oldest now (its repeat summarized). */
	assert_true(exp_throttle_hit(t, &m, &a, 1, 7));
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.value, "b.example");
	struct exp_throttle_stats st;
	exp_throttle_stats(t, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.untracked, 0);
	assert_int_equal(st.open, 2);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.summaries, 2);
	exp_throttle_free(t);   /* open windows freed without a summary */
	assert_int_equal(c.calls, 2);
}

/* The vector of the SipHash paper (Aumasson, Bernstein 2012, appendix
 * A): key 00..0f, message 00..0e. The empty message is the first line of
 * the reference implementation's vectors. Pieces hash as their whole. */
static void
test_siphash_vectors(void **state)
{
	(void)state;
	uint8_t key[EXP_SIPHASH_KEY_SIZE], message[64];

	for (unsigned int i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (unsigned int i = 0; i < sizeof(message); i++)
		message[i] = (uint8_t)i;
	assert_true(exp_siphash24(key, message, 15) == 0xa129ca6149be45e5ULL);
	assert_true(exp_siphash24(key, message, 0) == 0x726fdb47dd0e0e31ULL);
	for (size_t len = 0; len <= sizeof(message); len++) {
		uint64_t whole = exp_siphash24(key, message, len);
		for (size_t cut = 0; cut <= len; cut++) {
			struct exp_siphash h;
			exp_siphash_init(&h, key);
			exp_siphash_update(&h, message, cut / 2);
			exp_siphash_update(&h, message + cut / 2, cut - cut / 2);
			exp_siphash_update(&h, message + cut, len - cut);
			assert_true(exp_siphash_final(&h) == whole);
		}
	}
	/* The key matters. */
	key[0] ^= 1;
	assert_true(exp_siphash24(key, message, 15) != 0xa129ca6149be45e5ULL);
}

/* Each table draws its own key (128 random bits: two equal ones would
 * be a 2^-128 event). */
static void
test_each_table_has_its_own_key(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *a = exp_throttle_new(SECOND, 4, capture, &c);
	struct exp_throttle *b = exp_throttle_new(SECOND, 4, capture, &c);
	uint8_t key_a[EXP_THROTTLE_KEY_SIZE], key_b[EXP_THROTTLE_KEY_SIZE],
		zero[EXP_THROTTLE_KEY_SIZE] = { 0 };

	assert_non_null(a);
	assert_non_null(b);
	exp_throttle_key(a, key_a);
	exp_throttle_key(b, key_b);
	assert_memory_not_equal(key_a, key_b, sizeof(key_a));
	assert_memory_not_equal(key_a, zero, sizeof(key_a));
	exp_throttle_free(a);
	exp_throttle_free(b);
}

/* Windows are told apart by their whole key: two values alike in their
 * first 9,000 bytes (longer than the 8 KiB the key was once cut to) are
 * two windows. */
static void
test_long_values_apart(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(60 * SECOND, 8, capture, &c);
	char *one = malloc(9002), *two = malloc(9002);
	struct exp_message m = message("m", 1, 1);

	assert_non_null(one);
	assert_non_null(two);
	memset(one, 'a', 9001);
	memset(two, 'a', 9001);
	one[9000] = '1';
	two[9000] = '2';
	one[9001] = two[9001] = '\0';
	struct pat_indicator a = indicator(one), b = indicator(two);
	assert_true(exp_throttle_hit(t, &m, &a, 1, 0));
	assert_true(exp_throttle_hit(t, &m, &b, 1, 0));
	assert_false(exp_throttle_hit(t, &m, &a, 1, 1));
	struct exp_throttle_stats st;
	exp_throttle_stats(t, &st);
	assert_int_equal(st.open, 2);
	assert_int_equal(st.suppressed, 1);
	exp_throttle_free(t);
	free(one);
	free(two);
}

/* A repeat copies into buffers its window already has: once an entry has
 * had a repeat, further repeats, and new windows in entries that were
 * used before, allocate nothing. */
static void
test_repeats_allocate_nothing(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(10 * SECOND, 64, capture, &c);
	char text[PAYLOAD_TEXT], value[32];
	uint64_t now = 0;

	assert_non_null(t);
	/* Round 0 makes the entries' buffers; rounds 1 and 2 reuse them
	 * for other windows (other sources) after round 0's closed. */
	for (unsigned int round = 0; round < 3; round++) {
		counting = round > 0;
		allocations = 0;
		for (unsigned int k = 0; k < 64; k++) {
			snprintf(value, sizeof(value), "k%02u.example", k);
			struct pat_indicator ind = indicator(value);
			for (unsigned int r = 0; r < 50; r++) {
				/* Payloads of every length up to the
				 * copy's 4 KiB and past it. */
				size_t len = (r * 97 + k) % sizeof(text);
				memset(text, 'p', len);
				text[len] = '\0';
				struct exp_message m = message(text,
					(uint8_t)round, now);
				bool sent = exp_throttle_hit(t, &m, &ind, 1,
							     now);
				assert_true(sent == (r == 0));
			}
		}
		counting = false;
		if (round > 0)
			assert_int_equal(allocations, 0);
		now += 10 * SECOND;
		exp_throttle_expire(t, now);
		assert_int_equal(c.calls, 64 * (round + 1));
	}
	struct exp_throttle_stats st;
	exp_throttle_stats(t, &st);
	assert_int_equal(st.suppressed, 3 * 64 * 49);
	assert_int_equal(st.entries, 64);
	exp_throttle_free(t);
}

/* A flood of distinct indicators from spoofed sources: never more
 * entries than the bound, every one past it an eviction, nothing
 * allocated once the entries are all taken; a source that repeats
 * within the flood is still throttled. */
static void
test_flood_stays_within_bound(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(60 * SECOND, 1000, capture,
						  &c);
	struct pat_indicator noisy = indicator("noisy.example");
	struct exp_message from_noisy = message("again", 200, 0);
	char value[32];
	unsigned int noisy_sent = 0;

	assert_non_null(t);
	allocations = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		snprintf(value, sizeof(value), "f%u.example", i);
		struct pat_indicator ind = indicator(value);
		struct exp_message m = message("flood", 0, i);
		memcpy(m.src_addr, &i, sizeof(i));
		counting = i >= 1000;
		assert_true(exp_throttle_hit(t, &m, &ind, 1, i));
		/* Every tenth hit, one source repeats one indicator. */
		if (i % 10 == 0)
			noisy_sent += exp_throttle_hit(t, &from_noisy, &noisy,
						       1, i);
		counting = false;
	}
	assert_int_equal(allocations, 0);
	struct exp_throttle_stats st;
	exp_throttle_stats(t, &st);
	assert_int_equal(st.entries, 1000);
	assert_int_equal(st.open, 1000);
	assert_int_equal(st.untracked, 0);
	/* 101,000 windows opened in 1,000 entries. */
	assert_int_equal(st.evicted, 100000 + noisy_sent - 1000);
	/* The noisy source's window is evicted after about 1,000 newer
	 * keys (its own hits, a tenth of the flood, keep it in about 90
	 * hits out of 100): most of its hits are still folded. */
	assert_true(noisy_sent < 10000 / 10);
	assert_int_equal(st.suppressed, 10000 - noisy_sent);
	assert_int_equal(st.summaries, c.calls);
	exp_throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_hit_at_once_repeats_summarized),
		cmocka_unit_test(test_indicator_copy_outlives_its_set),
		cmocka_unit_test(test_table_full_evicts_oldest),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_each_table_has_its_own_key),
		cmocka_unit_test(test_long_values_apart),
		cmocka_unit_test(test_repeats_allocate_nothing),
		cmocka_unit_test(test_flood_stays_within_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
