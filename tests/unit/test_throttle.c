/* test_throttle.c -- repeated hits become one summary per window; the
 * first hit is never held back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "throttle.h"

#define SECOND 1000000000ULL

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

static void
test_table_full_is_not_throttled(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct exp_throttle *t = exp_throttle_new(60 * SECOND, 2, capture, &c);
	struct pat_indicator a = indicator("a.example"), b = indicator("b.example"),
		z = indicator("z.example");
	struct exp_message m = message("m", 1, 1);

	assert_true(exp_throttle_hit(t, &m, &a, 1, 0));
	assert_true(exp_throttle_hit(t, &m, &b, 1, 0));
	assert_true(exp_throttle_hit(t, &m, &z, 1, 0));
	assert_true(exp_throttle_hit(t, &m, &z, 1, 0));   /* still untracked */
	struct exp_throttle_stats st;
	exp_throttle_stats(t, &st);
	assert_int_equal(st.untracked, 2);
	assert_int_equal(st.open, 2);
	exp_throttle_free(t);   /* open windows freed without a summary */
	assert_int_equal(c.calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_hit_at_once_repeats_summarized),
		cmocka_unit_test(test_indicator_copy_outlives_its_set),
		cmocka_unit_test(test_table_full_is_not_throttled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
