/* test_tcp_stream.c -- unit tests of the TCP stream reassembler and its syslog and DNS framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_stream.h"

#define MSGS_MAX 256
#define SEC 1000000000ull
#define ISN 999u                   /* data starts at 1000 */

#define SYN DP_STREAM_TCP_SYN
#define FIN DP_STREAM_TCP_FIN
#define RST DP_STREAM_TCP_RST
#define ACK DP_STREAM_TCP_ACK
#define SYSLOG DP_STREAM_SYSLOG
#define DNS DP_STREAM_DNS

struct delivered {
	struct dp_stream_key key;
	enum dp_stream_framing framing;
	uint8_t *data;
	size_t len;
	unsigned int flags;
};

/* What the table delivered, copied, plus the largest length seen. */
struct sink {
	unsigned int count;
	size_t len_max;
	struct delivered msgs[MSGS_MAX];
};

static void
on_message(void *ctx, const struct dp_stream_key *key,
	   enum dp_stream_framing framing, const uint8_t *msg, size_t len,
	   unsigned int flags)
{
	struct sink *sink = ctx;

	assert_true(sink->count < MSGS_MAX);
	assert_true(len > 0);

	struct delivered *d = &sink->msgs[sink->count++];

	d->key = *key;
	d->framing = framing;
	d->data = malloc(len);
	assert_non_null(d->data);
	memcpy(d->data, msg, len);
	d->len = len;
	d->flags = flags;
	if (len > sink->len_max)
		sink->len_max = len;
}

static void
sink_clear(struct sink *sink)
{
	for (unsigned int i = 0; i < sink->count; i++)
		free(sink->msgs[i].data);
	memset(sink, 0, sizeof(*sink));
}

/* The flow 10.x.y.z:port -> 10.0.0.2:514, x.y.z the low bytes of id. */
static struct dp_stream_key
flow(uint16_t port, uint32_t id)
{
	struct dp_stream_key key;

	memset(&key, 0, sizeof(key));
	key.ip_version = 4;
	key.src_addr[0] = 10;
	key.src_addr[1] = (uint8_t)(id >> 16);
	key.src_addr[2] = (uint8_t)(id >> 8);
	key.src_addr[3] = (uint8_t)id;
	key.dst_addr[0] = 10;
	key.dst_addr[3] = 2;
	key.src_port = port;
	key.dst_port = 514;
	return key;
}

struct fixture {
	struct dp_stream_table *t;
	struct dp_stream_config cfg;
	struct sink sink;
};

static struct fixture *
fixture_new(const struct dp_stream_config *cfg)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	if (cfg != NULL)
		fx->cfg = *cfg;
	else
		dp_stream_config_init(&fx->cfg);
	assert_int_equal(dp_stream_table_create(&fx->cfg, &fx->t), 0);
	return fx;
}

static void
fixture_free(struct fixture *fx)
{
	sink_clear(&fx->sink);
	dp_stream_table_free(fx->t);
	free(fx);
}

static void
seg(struct fixture *fx, uint16_t port, enum dp_stream_framing framing,
    uint32_t seq, uint8_t flags, const void *data, size_t len, uint64_t now)
{
	struct dp_stream_key key = flow(port, 0);

	dp_stream_segment(fx->t, &key, framing, seq, flags, data, (uint32_t)len,
			  now, on_message, &fx->sink);
}

/* A segment of a string literal, embedded NULs included. */
#define SEG(fx, port, framing, seq, flags, lit, now) \
	seg((fx), (port), (framing), (seq), (flags), (lit), sizeof(lit) - 1, \
	    (now))

static const struct dp_stream_stats *
stats(const struct fixture *fx)
{
	return dp_stream_table_stats(fx->t);
}

static struct dp_stream_usage
usage(const struct fixture *fx)
{
	struct dp_stream_usage u;

	dp_stream_table_usage(fx->t, &u);
	return u;
}

static void
assert_msg(const struct fixture *fx, unsigned int i, const char *want)
{
	assert_true(i < fx->sink.count);
	if (fx->sink.msgs[i].len != strlen(want) ||
	    memcmp(fx->sink.msgs[i].data, want, strlen(want)) != 0)
		print_error("message %u: '%.*s', want '%s'\n", i,
			    (int)fx->sink.msgs[i].len,
			    (const char *)fx->sink.msgs[i].data, want);
	assert_int_equal(fx->sink.msgs[i].len, strlen(want));
	assert_memory_equal(fx->sink.msgs[i].data, want, strlen(want));
}

/* ---- framing, table-driven ---- */

struct bytes {
	const char *data;
	size_t len;
};

#define B(lit) { (lit), sizeof(lit) - 1 }

/* Segments sent in order, from seq 1000: after a SYN, or without one
 * (midstream). fin: the last one carries a FIN. want: the messages, in
 * order; the counters named must end as given (others are not looked
 * at). */
struct frame_case {
	const char *name;
	enum dp_stream_framing framing;
	bool midstream;
	bool fin;
	struct bytes segs[4];
	const char *want[6];
	uint64_t midstream_count;
	uint64_t partial;
	uint64_t zero_length;
	uint64_t framing_errors;
	uint64_t cut;
	uint32_t message_max;          /* 0: the default */
};

static const struct frame_case frame_cases[] = {
	{ .name = "lf: one message", .segs = { B("<13>hello\n") },
	  .want = { "<13>hello" } },
	{ .name = "lf: CRLF and NUL end messages",
	  .segs = { B("<13>a\r\n<13>b\0<13>c\n") },
	  .want = { "<13>a", "<13>b", "<13>c" } },
	{ .name = "lf: several in one segment",
	  .segs = { B("<13>a\n<13>b\n<13>c\n") },
	  .want = { "<13>a", "<13>b", "<13>c" } },
	{ .name = "lf: one message over 3 segments",
	  .segs = { B("<13>he"), B("ll"), B("o\n") }, .want = { "<13>hello" } },
	{ .name = "lf: CR and LF in two segments",
	  .segs = { B("<13>a\r"), B("\n<13>b\n") }, .want = { "<13>a", "<13>b" } },
	{ .name = "lf: empty lines are not messages",
	  .segs = { B("\n\r\n<13>a\n") }, .want = { "<13>a" } },
	{ .name = "lf: starts with digits and a dash",
	  .segs = { B("2024-05-01 host app: x\n") },
	  .want = { "2024-05-01 host app: x" } },
	{ .name = "lf: digits in one segment, the rest in the next",
	  .segs = { B("2024"), B("-05-01 x\n") }, .want = { "2024-05-01 x" } },
	{ .name = "lf: digits then LF", .segs = { B("42"), B("\n<13>a\n") },
	  .want = { "42", "<13>a" } },
	{ .name = "lf: ten digits are no MSG-LEN", .segs = { B("1234567890 x\n") },
	  .want = { "1234567890 x" } },
	{ .name = "octet: one message", .segs = { B("9 <13>hello") },
	  .want = { "<13>hello" } },
	{ .name = "octet: a message with newlines",
	  .segs = { B("9 <13>a\nb\nc10 <13>x\n\ny\n\n") },
	  .want = { "<13>a\nb\nc", "<13>x\n\ny\n\n" } },
	{ .name = "octet: several in one segment",
	  .segs = { B("5 <13>a5 <13>b5 <13>c") },
	  .want = { "<13>a", "<13>b", "<13>c" } },
	{ .name = "octet: one message over 3 segments, header split",
	  .segs = { B("1"), B("0 <13>hel"), B("lo!") }, .want = { "<13>hello!" } },
	{ .name = "octet: MSG-LEN and SP in two segments",
	  .segs = { B("9"), B(" <13>hello") }, .want = { "<13>hello" } },
	{ .name = "octet: a LF after each frame is tolerated",
	  .segs = { B("5 <13>a\n5 <13>b\r\n") }, .want = { "<13>a", "<13>b" } },
	{ .name = "octet: a bad header resyncs on the next one",
	  .segs = { B("5 <13>ax <13>b5 <13>c") }, .want = { "<13>a", "<13>c" },
	  .framing_errors = 1 },
	{ .name = "octet: a leading zero is a bad header",
	  .segs = { B("5 <13>a05 <13>b 5 <13>c") }, .want = { "<13>a", "<13>c" },
	  .framing_errors = 1 },
	{ .name = "lf: FIN delivers an unterminated message", .fin = true,
	  .segs = { B("<13>a\n<13>tail") }, .want = { "<13>a", "<13>tail" } },
	{ .name = "octet: FIN drops a partial frame", .fin = true,
	  .segs = { B("5 <13>a9 <13>he") }, .want = { "<13>a" }, .partial = 1 },
	{ .name = "octet: FIN in the middle of MSG-LEN", .fin = true,
	  .segs = { B("5 <13>a1") }, .want = { "<13>a" }, .partial = 1 },
	{ .name = "midstream lf: at a PRI", .midstream = true,
	  .segs = { B("<13>a\n<13>b\n") }, .want = { "<13>a", "<13>b" },
	  .midstream_count = 1 },
	{ .name = "midstream lf: in the middle of a message", .midstream = true,
	  .segs = { B("ial\n<13>b\n") }, .want = { "<13>b" },
	  .midstream_count = 1 },
	{ .name = "midstream lf: digits and SP but no PRI", .midstream = true,
	  .segs = { B("12 abc\n<13>b\n") }, .want = { "<13>b" },
	  .midstream_count = 1 },
	{ .name = "midstream octet: at a header", .midstream = true,
	  .segs = { B("5 <13>a5 <13>b") }, .want = { "<13>a", "<13>b" },
	  .midstream_count = 1 },
	{ .name = "midstream octet: header split", .midstream = true,
	  .segs = { B("5"), B(" "), B("<13>a5 <13>b") },
	  .want = { "<13>a", "<13>b" }, .midstream_count = 1 },
	{ .name = "midstream dns: assumed at a boundary", .framing = DNS,
	  .midstream = true, .segs = { B("\0\5hello") }, .want = { "hello" },
	  .midstream_count = 1 },
	{ .name = "dns: two messages in one segment", .framing = DNS,
	  .segs = { B("\0\5hello\0\3abc") }, .want = { "hello", "abc" } },
	{ .name = "dns: one message over 3 segments, prefix split",
	  .framing = DNS, .segs = { B("\0"), B("\5he"), B("llo") },
	  .want = { "hello" } },
	{ .name = "dns: a zero-length frame is skipped", .framing = DNS,
	  .segs = { B("\0\0\0\3abc") }, .want = { "abc" }, .zero_length = 1 },
	{ .name = "dns: a length past the end, then FIN", .framing = DNS,
	  .fin = true, .segs = { B("\0\3abc\0\x10" "abc") }, .want = { "abc" },
	  .partial = 1 },
	{ .name = "dns: FIN after one prefix byte", .framing = DNS, .fin = true,
	  .segs = { B("\0\3abc\0") }, .want = { "abc" }, .partial = 1 },
	{ .name = "lf: over message_max is cut, the rest skipped",
	  .message_max = 16,
	  .segs = { B("<13>0123456789abcdefgh\n<13>z\n") },
	  .want = { "<13>0123456789ab", "<13>z" }, .cut = 1 },
	{ .name = "lf: exactly message_max is not cut", .message_max = 16,
	  .segs = { B("<13>0123456789ab"), B("\n<13>z\n") },
	  .want = { "<13>0123456789ab", "<13>z" } },
	{ .name = "octet: over message_max is cut, the rest skipped",
	  .message_max = 16,
	  .segs = { B("20 <13>0123456789ab"), B("cdef5 <13>z") },
	  .want = { "<13>0123456789ab", "<13>z" }, .cut = 1 },
	{ .name = "dns: over message_max is cut, the rest skipped",
	  .framing = DNS, .message_max = 16,
	  .segs = { B("\0\x14" "0123456789abcdefghij\0\3abc") },
	  .want = { "0123456789abcdef", "abc" }, .cut = 1 },
};

static void
run_frame_case(const struct frame_case *c)
{
	struct dp_stream_config cfg;
	uint32_t seq = ISN + 1;
	unsigned int want = 0;

	dp_stream_config_init(&cfg);
	if (c->message_max != 0)
		cfg.message_max = c->message_max;

	struct fixture *fx = fixture_new(&cfg);

	if (!c->midstream)
		seg(fx, 1000, c->framing, ISN, SYN, NULL, 0, 1);
	for (size_t i = 0; i < 4 && c->segs[i].data != NULL; i++) {
		bool last = i == 3 || c->segs[i + 1].data == NULL;

		seg(fx, 1000, c->framing, seq, ACK | (last && c->fin ? FIN : 0),
		    c->segs[i].data, c->segs[i].len, 2 + i);
		seq += (uint32_t)c->segs[i].len;
	}
	while (want < 6 && c->want[want] != NULL)
		want++;

	const struct dp_stream_stats *st = stats(fx);

	if (fx->sink.count != want || st->streams_midstream != c->midstream_count ||
	    st->partial_frames_dropped != c->partial ||
	    st->dns_zero_length != c->zero_length ||
	    st->framing_errors != c->framing_errors ||
	    st->messages_cut != c->cut)
		print_error("case '%s': %u messages (want %u), midstream %lu, "
			    "partial %lu, zero-length %lu, framing errors %lu, "
			    "cut %lu\n", c->name, fx->sink.count, want,
			    (unsigned long)st->streams_midstream,
			    (unsigned long)st->partial_frames_dropped,
			    (unsigned long)st->dns_zero_length,
			    (unsigned long)st->framing_errors,
			    (unsigned long)st->messages_cut);
	for (unsigned int i = 0; i < want && i < fx->sink.count; i++) {
		if (fx->sink.msgs[i].framing != c->framing)
			print_error("case '%s': message %u framing %d\n",
				    c->name, i, (int)fx->sink.msgs[i].framing);
		assert_int_equal(fx->sink.msgs[i].framing, c->framing);
		assert_int_equal(fx->sink.msgs[i].flags,
				 i == 0 && c->cut ? DP_STREAM_MSG_CUT : 0);
		assert_msg(fx, i, c->want[i]);
	}
	assert_int_equal(fx->sink.count, want);
	assert_int_equal(st->messages, want);
	assert_int_equal(st->streams_midstream, c->midstream_count);
	assert_int_equal(st->partial_frames_dropped, c->partial);
	assert_int_equal(st->dns_zero_length, c->zero_length);
	assert_int_equal(st->framing_errors, c->framing_errors);
	assert_int_equal(st->messages_cut, c->cut);
	if (c->fin) {
		assert_int_equal(usage(fx).streams_lingering, 1);
		assert_int_equal(usage(fx).streams, 1);
		assert_int_equal(st->streams_closed, 1);
	}
	assert_int_equal(st->gaps, 0);
	fixture_free(fx);
}

static void
test_framing_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++)
		run_frame_case(&frame_cases[i]);
}

/* ---- sequence tracking ---- */

static void
test_out_of_order(void **state)
{
	struct fixture *fx = fixture_new(NULL);
	static const char s1[] = "<13>one\n<13>tw";
	static const char s2[] = "o\n<13>thr";
	static const char s3[] = "ee\n";
	uint32_t q1 = ISN + 1, q2 = q1 + sizeof(s1) - 1, q3 = q2 + sizeof(s2) - 1;

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, q1, ACK, s1, 2);
	assert_int_equal(fx->sink.count, 1);
	SEG(fx, 1, SYSLOG, q3, ACK, s3, 3);
	assert_int_equal(fx->sink.count, 1);
	assert_int_equal(usage(fx).streams_waiting, 1);
	assert_true(usage(fx).buffer_bytes > 0);
	SEG(fx, 1, SYSLOG, q2, ACK, s2, 4);
	assert_int_equal(fx->sink.count, 3);
	assert_msg(fx, 0, "<13>one");
	assert_msg(fx, 1, "<13>two");
	assert_msg(fx, 2, "<13>three");
	assert_int_equal(stats(fx)->segments_out_of_order, 1);
	assert_int_equal(stats(fx)->gaps, 0);
	assert_int_equal(usage(fx).streams_waiting, 0);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	fixture_free(fx);
}

static void
test_retransmission(void **state)
{
	struct fixture *fx = fixture_new(NULL);

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n", 2);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n", 3);
	SEG(fx, 1, SYSLOG, ISN + 3, ACK, "3>", 4);
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 5);      /* the SYN again */
	assert_int_equal(fx->sink.count, 1);
	assert_msg(fx, 0, "<13>a");
	assert_int_equal(stats(fx)->segments_retransmitted, 2);
	assert_int_equal(stats(fx)->segments_overlapping, 0);
	assert_int_equal(stats(fx)->streams_created, 1);
	fixture_free(fx);
}

static void
test_overlap_first_copy_wins(void **state)
{
	struct fixture *fx = fixture_new(NULL);

	(void)state;
	/* Buffered first: bytes 4.. arrive out of order, then a segment
	 * from 0 that carries other bytes for 4..9. */
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 5, ACK, "abcdefgh\n", 2);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>ABCDEF", 3);
	assert_int_equal(fx->sink.count, 1);
	assert_msg(fx, 0, "<13>abcdefgh");
	assert_int_equal(stats(fx)->segments_overlapping, 1);

	/* Framed first: "ab" is taken, then a copy with "XY" in its place
	 * and new bytes beyond. */
	SEG(fx, 2, SYSLOG, ISN, SYN, "", 4);
	SEG(fx, 2, SYSLOG, ISN + 1, ACK, "<13>ab", 5);
	SEG(fx, 2, SYSLOG, ISN + 5, ACK, "XYcdefgh\n", 6);
	assert_int_equal(fx->sink.count, 2);
	assert_msg(fx, 1, "<13>abcdefgh");
	assert_int_equal(stats(fx)->segments_overlapping, 2);

	/* Out of order over out of order: the first copy of 8..11 stays. */
	SEG(fx, 3, SYSLOG, ISN, SYN, "", 7);
	SEG(fx, 3, SYSLOG, ISN + 9, ACK, "efgh\n", 8);
	SEG(fx, 3, SYSLOG, ISN + 7, ACK, "cdEFGH\n", 9);
	SEG(fx, 3, SYSLOG, ISN + 1, ACK, "<13>ab", 10);
	assert_int_equal(fx->sink.count, 3);
	assert_msg(fx, 2, "<13>abcdefgh");
	assert_int_equal(stats(fx)->segments_overlapping, 3);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	fixture_free(fx);
}

/* ---- gaps ---- */

#define GAP_MESSAGES 40
#define GAP_BODY 90

/* 40 syslog messages of 90 bytes, LF- or octet-framed; starts[i] and
 * ends[i] bound frame i. Returns the stream's length. */
static size_t
gap_stream(char *buf, bool octet, size_t *starts, size_t *ends)
{
	size_t len = 0;

	for (int i = 0; i < GAP_MESSAGES; i++) {
		char body[GAP_BODY + 1];

		snprintf(body, sizeof(body), "<13>message %02d %-*s", i,
			 GAP_BODY - 15, "padding");
		starts[i] = len;
		if (octet)
			len += (size_t)sprintf(buf + len, "%d %s", GAP_BODY, body);
		else
			len += (size_t)sprintf(buf + len, "%s\n", body);
		ends[i] = len;
	}
	return len;
}

/* Bytes 500..999 never arrive. trigger_limit: a stream buffer of one
 * chunk overflows when the last segment arrives; else the gap timeout
 * passes. The messages wholly before the hole and those that start after
 * it (the framer finds their start) are delivered. */
static void
run_gap_case(bool octet, bool trigger_limit)
{
	struct dp_stream_config cfg;
	char buf[GAP_MESSAGES * (GAP_BODY + 4)];
	size_t starts[GAP_MESSAGES], ends[GAP_MESSAGES];
	size_t len = gap_stream(buf, octet, starts, ends);
	const uint32_t base = ISN + 1;

	dp_stream_config_init(&cfg);
	if (trigger_limit)
		cfg.stream_buffer_max = DP_STREAM_CHUNK_SIZE;

	struct fixture *fx = fixture_new(&cfg);

	seg(fx, 1, SYSLOG, ISN, SYN, NULL, 0, 1);
	seg(fx, 1, SYSLOG, base, ACK, buf, 500, 2);
	seg(fx, 1, SYSLOG, base + 1000, ACK, buf + 1000, 1000, 3);
	seg(fx, 1, SYSLOG, base + 2000, ACK, buf + 2000, len - 2000, 4);
	if (!trigger_limit) {
		assert_int_equal(stats(fx)->gaps, 0);
		dp_stream_expire(fx->t, 3 + cfg.gap_timeout_ns - 1, on_message,
				 &fx->sink);
		assert_int_equal(stats(fx)->gaps, 0);
		dp_stream_expire(fx->t, 3 + cfg.gap_timeout_ns, on_message,
				 &fx->sink);
	}
	assert_int_equal(stats(fx)->gaps, 1);
	assert_int_equal(stats(fx)->gap_bytes, 500);
	assert_int_equal(stats(fx)->buffer_limit_hits, trigger_limit ? 1 : 0);

	unsigned int n = 0;

	for (int i = 0; i < GAP_MESSAGES; i++) {
		if (ends[i] > 500 && starts[i] < 1000)
			continue;
		char want[GAP_BODY + 1];

		memcpy(want, buf + ends[i] - GAP_BODY - (octet ? 0 : 1),
		       GAP_BODY);
		want[GAP_BODY] = '\0';
		assert_msg(fx, n++, want);
	}
	assert_int_equal(fx->sink.count, n);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	assert_int_equal(usage(fx).streams_waiting, 0);
	fixture_free(fx);
}

static void
test_gap_resync(void **state)
{
	(void)state;
	run_gap_case(false, false);
	run_gap_case(false, true);
	run_gap_case(true, false);
	run_gap_case(true, true);
}

/* A gap that ends right at a PRI loses no message (LF framing). */
static void
test_gap_at_boundary(void **state)
{
	struct fixture *fx = fixture_new(NULL);

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n", 2);
	SEG(fx, 1, SYSLOG, ISN + 13, ACK, "<13>c\n", 3);  /* "<13>b\n" lost */
	dp_stream_expire(fx->t, 3 + fx->cfg.gap_timeout_ns, on_message,
			 &fx->sink);
	assert_int_equal(fx->sink.count, 2);
	assert_msg(fx, 1, "<13>c");
	assert_int_equal(stats(fx)->gap_bytes, 6);
	fixture_free(fx);
}

/* A segment that keeps arriving while a hole is open gives it up once
 * the hole is older than the gap timeout, without dp_stream_expire(). */
static void
test_gap_timeout_on_segment(void **state)
{
	struct fixture *fx = fixture_new(NULL);
	uint64_t gap = fx->cfg.gap_timeout_ns;

	(void)state;
	SEG(fx, 1, DNS, ISN, SYN, "", 1);
	SEG(fx, 1, DNS, ISN + 8, ACK, "\0\3abc", 2);   /* 7 bytes lost */
	SEG(fx, 1, DNS, ISN + 13, ACK, "\0\3def", 2 + gap - 1);
	assert_int_equal(fx->sink.count, 0);
	SEG(fx, 1, DNS, ISN + 18, ACK, "\0\3ghi", 2 + gap);
	assert_int_equal(fx->sink.count, 3);
	assert_msg(fx, 0, "abc");
	assert_msg(fx, 2, "ghi");
	assert_int_equal(stats(fx)->gaps, 1);
	assert_int_equal(stats(fx)->gap_bytes, 7);
	fixture_free(fx);
}

/* A FIN behind a hole waits for it like data does. */
static void
test_fin_after_hole(void **state)
{
	struct fixture *fx = fixture_new(NULL);

	(void)state;
	/* The FIN arrives before the data in front of it. */
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 7, ACK | FIN, "", 2);
	assert_int_equal(usage(fx).streams, 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n", 3);
	assert_int_equal(fx->sink.count, 1);
	assert_int_equal(usage(fx).streams_lingering, 1);

	/* The data before the FIN never comes. */
	SEG(fx, 2, SYSLOG, ISN, SYN, "", 4);
	SEG(fx, 2, SYSLOG, ISN + 1, ACK, "<13>b\n<13>ta", 5);
	SEG(fx, 2, SYSLOG, ISN + 20, ACK | FIN, "", 6);
	dp_stream_expire(fx->t, 6 + fx->cfg.gap_timeout_ns, on_message,
			 &fx->sink);
	assert_int_equal(fx->sink.count, 2);
	assert_msg(fx, 1, "<13>b");
	assert_int_equal(stats(fx)->gaps, 1);
	assert_int_equal(stats(fx)->streams_closed, 2);
	assert_int_equal(usage(fx).streams_lingering, 2);
	assert_int_equal(usage(fx).streams_waiting, 0);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	fixture_free(fx);
}

/* A closed stream lingers: a copy of its last segment (its FIN was not
 * acknowledged) is a retransmission, not a new stream. */
static void
test_retransmission_after_fin(void **state)
{
	struct fixture *fx = fixture_new(NULL);
	uint64_t idle = fx->cfg.idle_timeout_ns;

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK | FIN, "<13>a\n<13>b", 2);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK | FIN, "<13>a\n<13>b", 3);
	SEG(fx, 1, SYSLOG, ISN + 7, ACK, "<13>b", 4);
	assert_int_equal(fx->sink.count, 2);
	assert_int_equal(stats(fx)->segments_retransmitted, 2);
	assert_int_equal(stats(fx)->streams_midstream, 0);
	assert_int_equal(stats(fx)->streams_created, 1);
	assert_int_equal(usage(fx).streams_lingering, 1);
	/* It goes after idle_timeout_ns, as no expiry. */
	dp_stream_expire(fx->t, 2 + idle, on_message, &fx->sink);
	assert_int_equal(usage(fx).streams, 0);
	assert_int_equal(usage(fx).streams_lingering, 0);
	assert_int_equal(stats(fx)->streams_expired, 0);

	/* A new connection on the ports of a lingering stream. */
	SEG(fx, 2, SYSLOG, ISN, SYN, "", 5);
	SEG(fx, 2, SYSLOG, ISN + 1, ACK | FIN, "<13>c\n", 6);
	SEG(fx, 2, SYSLOG, 7000, SYN, "", 7);
	SEG(fx, 2, SYSLOG, 7001, ACK, "<13>d\n", 8);
	assert_int_equal(fx->sink.count, 4);
	assert_msg(fx, 3, "<13>d");
	assert_int_equal(stats(fx)->streams_closed, 2);
	assert_int_equal(usage(fx).streams_lingering, 0);
	/* A RST ends the lingering at once. */
	SEG(fx, 2, SYSLOG, 7007, ACK | FIN, "", 9);
	assert_int_equal(usage(fx).streams_lingering, 1);
	SEG(fx, 2, SYSLOG, 7008, RST, "", 10);
	assert_int_equal(usage(fx).streams, 0);
	fixture_free(fx);
}

/* ---- teardown ---- */

static void
test_rst_drops(void **state)
{
	struct fixture *fx = fixture_new(NULL);

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n<13>tail", 2);
	SEG(fx, 1, SYSLOG, ISN + 15, RST, "", 3);
	assert_int_equal(fx->sink.count, 1);
	assert_msg(fx, 0, "<13>a");
	assert_int_equal(stats(fx)->partial_frames_dropped, 1);
	assert_int_equal(stats(fx)->streams_closed, 1);
	assert_int_equal(usage(fx).streams, 0);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	/* A RST of a stream the table does not hold creates nothing. */
	SEG(fx, 2, SYSLOG, ISN, RST, "", 4);
	assert_int_equal(usage(fx).streams, 0);
	fixture_free(fx);
}

/* A SYN with another ISN on the same ports: a new connection. */
static void
test_port_reuse(void **state)
{
	struct fixture *fx = fixture_new(NULL);

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n<13>tail", 2);
	SEG(fx, 1, SYSLOG, 5000, SYN, "", 3);
	SEG(fx, 1, SYSLOG, 5001, ACK, "<13>b\n", 4);
	assert_int_equal(fx->sink.count, 3);
	assert_msg(fx, 1, "<13>tail");
	assert_msg(fx, 2, "<13>b");
	assert_int_equal(stats(fx)->streams_created, 2);
	assert_int_equal(stats(fx)->streams_closed, 1);
	fixture_free(fx);
}

static void
test_idle_expiry(void **state)
{
	struct fixture *fx = fixture_new(NULL);
	uint64_t idle = fx->cfg.idle_timeout_ns;

	(void)state;
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n<13>tail", 2);
	SEG(fx, 2, SYSLOG, ISN, SYN, "", 10 * SEC);
	dp_stream_expire(fx->t, 2 + idle - 1, on_message, &fx->sink);
	assert_int_equal(usage(fx).streams, 2);
	assert_int_equal(fx->sink.count, 1);
	dp_stream_expire(fx->t, 2 + idle, on_message, &fx->sink);
	assert_int_equal(usage(fx).streams, 1);
	assert_int_equal(stats(fx)->streams_expired, 1);
	/* The unterminated LF message goes out with the stream. */
	assert_int_equal(fx->sink.count, 2);
	assert_msg(fx, 1, "<13>tail");
	assert_int_equal(usage(fx).buffer_bytes, 0);
	dp_stream_expire(fx->t, 10 * SEC + idle, on_message, &fx->sink);
	assert_int_equal(usage(fx).streams, 0);
	assert_int_equal(stats(fx)->streams_expired, 2);
	fixture_free(fx);
}

/* dp_stream_expire() looks at DP_STREAM_EXPIRE_BATCH streams per call. */
static void
test_expire_is_incremental(void **state)
{
	struct dp_stream_config cfg;

	(void)state;
	dp_stream_config_init(&cfg);
	cfg.streams_max = 1000;

	struct fixture *fx = fixture_new(&cfg);

	for (uint16_t p = 0; p < 1000; p++)
		SEG(fx, p, SYSLOG, ISN, SYN, "", 1);
	dp_stream_expire(fx->t, 1 + cfg.idle_timeout_ns, on_message, &fx->sink);
	assert_int_equal(usage(fx).streams, 1000 - DP_STREAM_EXPIRE_BATCH);
	for (int i = 0; i < 20; i++)
		dp_stream_expire(fx->t, 1 + cfg.idle_timeout_ns, on_message,
				 &fx->sink);
	assert_int_equal(usage(fx).streams, 0);
	assert_int_equal(stats(fx)->streams_expired, 1000);
	fixture_free(fx);
}

/* ---- table bounds ---- */

static void
test_table_full_lru(void **state)
{
	struct dp_stream_config cfg;

	(void)state;
	dp_stream_config_init(&cfg);
	cfg.streams_max = 4;

	struct fixture *fx = fixture_new(&cfg);

	/* Ports 1-4 established (a message each), in that order; 1 again. */
	for (uint16_t p = 1; p <= 4; p++) {
		SEG(fx, p, SYSLOG, ISN, SYN, "", p);
		SEG(fx, p, SYSLOG, ISN + 1, ACK, "<13>x\n", p);
	}
	SEG(fx, 1, SYSLOG, ISN + 7, ACK, "<13>y\n", 5);
	/* A fifth evicts the least recently used: port 2. */
	SEG(fx, 5, SYSLOG, ISN, SYN, "", 6);
	assert_int_equal(stats(fx)->streams_evicted, 1);
	assert_int_equal(usage(fx).streams, 4);
	/* Port 2 comes back midstream; it evicts port 5, on probation
	 * (nothing delivered yet), before any established stream. */
	SEG(fx, 2, SYSLOG, ISN + 7, ACK, "<13>z\n", 7);
	assert_int_equal(stats(fx)->streams_midstream, 1);
	assert_int_equal(stats(fx)->streams_evicted, 2);
	/* Port 5's data: now established streams only, so port 3 goes. */
	SEG(fx, 5, SYSLOG, ISN + 1, ACK, "<13>w\n", 8);
	assert_int_equal(stats(fx)->streams_midstream, 2);
	assert_int_equal(stats(fx)->streams_evicted, 3);
	/* Ports 1 and 4 were kept: no new midstream pickup. */
	SEG(fx, 1, SYSLOG, ISN + 13, ACK, "<13>v\n", 9);
	SEG(fx, 4, SYSLOG, ISN + 7, ACK, "<13>u\n", 9);
	assert_int_equal(stats(fx)->streams_midstream, 2);
	SEG(fx, 3, SYSLOG, ISN + 7, ACK, "<13>t\n", 10);
	assert_int_equal(stats(fx)->streams_midstream, 3);
	assert_int_equal(usage(fx).streams, 4);
	assert_int_equal(fx->sink.count, 10);
	fixture_free(fx);
}

/* Streams that lingered after their FIN go first, and uncounted: they
 * hold nothing. */
static void
test_table_full_closed_first(void **state)
{
	struct dp_stream_config cfg;

	(void)state;
	dp_stream_config_init(&cfg);
	cfg.streams_max = 2;

	struct fixture *fx = fixture_new(&cfg);

	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	SEG(fx, 1, SYSLOG, ISN + 1, ACK, "<13>a\n", 2);
	SEG(fx, 2, SYSLOG, ISN, SYN, "", 3);
	SEG(fx, 2, SYSLOG, ISN + 1, ACK | FIN, "<13>b\n", 4);
	SEG(fx, 3, SYSLOG, ISN, SYN, "", 5);
	assert_int_equal(stats(fx)->streams_evicted, 0);
	assert_int_equal(usage(fx).streams_lingering, 0);
	SEG(fx, 1, SYSLOG, ISN + 7, ACK, "<13>c\n", 6);
	assert_int_equal(stats(fx)->streams_midstream, 0);
	assert_int_equal(fx->sink.count, 3);
	fixture_free(fx);
}

static void
test_syn_flood(void **state)
{
	struct dp_stream_config cfg;
	const uint32_t flood = 100000, kept = 10;

	(void)state;
	dp_stream_config_init(&cfg);
	cfg.streams_max = 1024;

	struct fixture *fx = fixture_new(&cfg);

	for (uint16_t p = 1; p <= kept; p++) {
		SEG(fx, p, SYSLOG, ISN, SYN, "", 1);
		SEG(fx, p, SYSLOG, ISN + 1, ACK, "<13>x\n", 1);
	}
	for (uint32_t i = 0; i < flood; i++) {
		struct dp_stream_key key = flow((uint16_t)(i % 60000 + 1024),
						i + 1);

		dp_stream_segment(fx->t, &key, SYSLOG, i * 7919u, SYN, NULL, 0,
				  2 + i, on_message, &fx->sink);
		assert_true(usage(fx).streams <= cfg.streams_max);
	}
	assert_int_equal(usage(fx).streams, cfg.streams_max);
	assert_int_equal(stats(fx)->streams_evicted,
			 flood - (cfg.streams_max - kept));
	/* The established streams were never evicted. */
	for (uint16_t p = 1; p <= kept; p++)
		SEG(fx, p, SYSLOG, ISN + 7, ACK, "<13>y\n", 3 + flood);
	assert_int_equal(stats(fx)->streams_midstream, 0);
	assert_int_equal(fx->sink.count, 2 * kept);
	fixture_free(fx);
}

/* 10 MB without a LF: one message cut at message_max, memory bounded. */
static void
test_huge_message(void **state)
{
	struct fixture *fx = fixture_new(NULL);
	const size_t total = 10u << 20, mss = 1448;
	uint8_t *data = malloc(mss);
	uint32_t seq = ISN + 1;

	(void)state;
	assert_non_null(data);
	memset(data, 'A', mss);
	SEG(fx, 1, SYSLOG, ISN, SYN, "", 1);
	for (size_t sent = 0; sent < total; sent += mss) {
		size_t n = total - sent < mss ? total - sent : mss;

		seg(fx, 1, SYSLOG, seq, ACK, data, n, 2);
		seq += (uint32_t)n;
		assert_true(usage(fx).buffer_bytes <= fx->cfg.message_max);
	}
	SEG(fx, 1, SYSLOG, seq, ACK, "\n<13>next\n", 3);
	assert_int_equal(fx->sink.count, 2);
	assert_int_equal(fx->sink.msgs[0].len, fx->cfg.message_max);
	assert_int_equal(fx->sink.msgs[0].flags, DP_STREAM_MSG_CUT);
	for (size_t i = 0; i < fx->sink.msgs[0].len; i++)
		assert_int_equal(fx->sink.msgs[0].data[i], 'A');
	assert_msg(fx, 1, "<13>next");
	assert_int_equal(fx->sink.msgs[1].flags, 0);
	assert_int_equal(stats(fx)->messages_cut, 1);
	assert_int_equal(stats(fx)->bytes_skipped, total - fx->cfg.message_max);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	free(data);
	fixture_free(fx);
}

/* buffer_bytes_max of 4 chunks: the fifth stream to hold a hole gives
 * it up at once. */
static void
test_table_buffer_bound(void **state)
{
	struct dp_stream_config cfg;

	(void)state;
	dp_stream_config_init(&cfg);
	cfg.buffer_bytes_max = 4 * DP_STREAM_CHUNK_SIZE;

	struct fixture *fx = fixture_new(&cfg);

	for (uint16_t p = 1; p <= 8; p++) {
		SEG(fx, p, SYSLOG, ISN, SYN, "", 1);
		SEG(fx, p, SYSLOG, ISN + 11, ACK, "<13>after\n", 2);
		assert_true(usage(fx).buffer_bytes <= cfg.buffer_bytes_max);
	}
	assert_int_equal(stats(fx)->buffer_limit_hits, 4);
	assert_int_equal(stats(fx)->gaps, 4);
	assert_int_equal(fx->sink.count, 4);
	assert_int_equal(usage(fx).streams_waiting, 4);
	dp_stream_expire(fx->t, 2 + cfg.gap_timeout_ns, on_message, &fx->sink);
	assert_int_equal(fx->sink.count, 8);
	assert_int_equal(usage(fx).buffer_bytes, 0);
	fixture_free(fx);
}

/* Sequence numbers wrap at 2^32: ISN just below it, segments across
 * the wrap, out of order. */
static void
test_seq_wrap(void **state)
{
	struct fixture *fx = fixture_new(NULL);
	const uint32_t isn = 0xfffffff0u;
	static const char s1[] = "<13>wrap-1\n<13>wr";   /* 17 bytes */
	static const char s2[] = "ap-2\n<13>wrap-3\n";   /* 16 bytes */
	static const char s3[] = "<13>wrap-4\n";

	(void)state;
	SEG(fx, 1, SYSLOG, isn, SYN, "", 1);
	SEG(fx, 1, SYSLOG, isn + 1 + 17 + 16, ACK, s3, 2);   /* past 2^32 */
	SEG(fx, 1, SYSLOG, isn + 1 + 17, ACK, s2, 3);        /* crosses it */
	assert_int_equal(fx->sink.count, 0);
	SEG(fx, 1, SYSLOG, isn + 1, ACK, s1, 4);
	assert_int_equal(fx->sink.count, 4);
	assert_msg(fx, 0, "<13>wrap-1");
	assert_msg(fx, 1, "<13>wrap-2");
	assert_msg(fx, 2, "<13>wrap-3");
	assert_msg(fx, 3, "<13>wrap-4");
	/* Old data from before the wrap is still old. */
	SEG(fx, 1, SYSLOG, isn + 1, ACK, s1, 5);
	assert_int_equal(stats(fx)->segments_retransmitted, 1);
	assert_int_equal(stats(fx)->gaps, 0);
	fixture_free(fx);
}

static void
test_config(void **state)
{
	struct dp_stream_table *t = NULL;
	struct dp_stream_config cfg;

	(void)state;
	assert_int_equal(dp_stream_table_create(NULL, &t), 0);
	dp_stream_table_free(t);
	dp_stream_table_free(NULL);

	for (int i = 0; i < 7; i++) {
		dp_stream_config_init(&cfg);
		switch (i) {
		case 0: cfg.streams_max = 0; break;
		case 1: cfg.streams_max = (1u << 24) + 1; break;
		case 2: cfg.message_max = DP_STREAM_MESSAGE_MIN - 1; break;
		case 3: cfg.buffer_bytes_max = DP_STREAM_CHUNK_SIZE - 1; break;
		case 4: cfg.stream_buffer_max = 0; break;
		case 5: cfg.idle_timeout_ns = 0; break;
		case 6: cfg.gap_timeout_ns = 0; break;
		}
		if (dp_stream_table_create(&cfg, &t) != -EINVAL)
			print_error("config %d accepted\n", i);
		assert_int_equal(dp_stream_table_create(&cfg, &t), -EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_cases),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overlap_first_copy_wins),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_gap_at_boundary),
		cmocka_unit_test(test_gap_timeout_on_segment),
		cmocka_unit_test(test_fin_after_hole),
		cmocka_unit_test(test_retransmission_after_fin),
		cmocka_unit_test(test_rst_drops),
		cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_expire_is_incremental),
		cmocka_unit_test(test_table_full_lru),
		cmocka_unit_test(test_table_full_closed_first),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_huge_message),
		cmocka_unit_test(test_table_buffer_bound),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
