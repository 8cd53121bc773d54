/* test_dns.c -- unit tests of the DNS message parser and name decompression. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns.h"

#define HDR(id, flags, qd, an) \
	(id) >> 8, (id) & 0xff, (flags) >> 8, (flags) & 0xff, 0, (qd), 0, (an), \
	0, 0, 0, 0
/* TYPE, CLASS IN, TTL 3600, RDLENGTH */
#define RR(type, rdlen) \
	0, (type), 0, 1, 0, 0, 0x0e, 0x10, 0, (rdlen)
#define QTAIL(type) 0, (type), 0, 1
#define WWW_EXAMPLE_COM \
	3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', \
	'm', 0

static const uint8_t query[] = {
	HDR(0x1234, 0x0100, 1, 0),
	WWW_EXAMPLE_COM, QTAIL(DP_DNS_TYPE_A),
};

/* Offsets: question name 12, "Example" 16, answers from 33. */
static const uint8_t response[] = {
	HDR(0xbeef, 0x8180, 1, 4),
	WWW_EXAMPLE_COM, QTAIL(DP_DNS_TYPE_A),
	/* 33: www.Example.com CNAME cdn.Example.com (rdata at 45) */
	0xc0, 12, RR(DP_DNS_TYPE_CNAME, 6), 3, 'c', 'd', 'n', 0xc0, 16,
	/* 51: cdn.Example.com A 93.184.216.34, via a pointer to a pointer */
	0xc0, 45, RR(DP_DNS_TYPE_A, 4), 93, 184, 216, 34,
	/* 67: TXT is not kept */
	0xc0, 12, RR(16, 3), 2, 'h', 'i',
	/* 82: AAAA 2606:2800:220:1:248:1893:25c8:1946 */
	0xc0, 45, RR(DP_DNS_TYPE_AAAA, 16), 0x26, 0x06, 0x28, 0x00, 0x02, 0x20,
	0x00, 0x01, 0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46,
};

/* A copy the test can change. */
struct msg {
	uint8_t b[1024];
	size_t len;
};

static size_t
put(struct msg *m, const void *data, size_t n)
{
	memcpy(m->b + m->len, data, n);
	m->len += n;
	return m->len - n;
}

static void
put_label(struct msg *m, uint8_t fill, size_t n)
{
	m->b[m->len++] = (uint8_t)n;
	memset(m->b + m->len, fill, n);
	m->len += n;
}

static void
start_query(struct msg *m)
{
	static const uint8_t hdr[] = { HDR(1, 0, 1, 0) };

	m->len = 0;
	put(m, hdr, sizeof(hdr));
}

static void
end_query(struct msg *m)
{
	static const uint8_t tail[] = { 0, QTAIL(DP_DNS_TYPE_A) };

	put(m, tail, sizeof(tail));
}

/* What parse() returns for a message broken past its first question:
 * dp_dns_parse() returns 0 with records_malformed set. */
#define PARTIAL 1

static int
parse(const void *msg, size_t len, struct dp_dns_message *out)
{
	int rc = dp_dns_parse(msg, len, out);

	return rc == 0 && out->records_malformed ? PARTIAL : rc;
}

static void
test_query(void **state)
{
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(query, sizeof(query), &out), 0);
	assert_int_equal(out.id, 0x1234);
	assert_int_equal(out.flags >> 15, 0);
	assert_int_equal(out.qdcount, 1);
	assert_int_equal(out.ancount, 0);
	/* Case is kept: matching lowercases later. */
	assert_string_equal(out.qname, "www.Example.com");
	assert_int_equal(out.qname_len, 15);
	assert_int_equal(out.qtype, DP_DNS_TYPE_A);
	assert_int_equal(out.qclass, 1);
	assert_int_equal(out.answer_count, 0);
}

static void
test_response_answers(void **state)
{
	static const uint8_t a[4] = { 93, 184, 216, 34 };
	static const uint8_t aaaa[16] = { 0x26, 0x06, 0x28, 0x00, 0x02, 0x20,
		0x00, 0x01, 0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46 };
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(response, sizeof(response), &out), 0);
	assert_int_equal(out.id, 0xbeef);
	assert_int_equal(out.flags >> 15, 1);
	assert_int_equal(out.ancount, 4);
	assert_string_equal(out.qname, "www.Example.com");
	assert_int_equal(out.answer_count, 3);
	assert_int_equal(out.answers[0].type, DP_DNS_TYPE_CNAME);
	assert_string_equal(out.answers[0].name, "cdn.Example.com");
	assert_int_equal(out.answers[0].name_len, 15);
	assert_int_equal(out.answers[1].type, DP_DNS_TYPE_A);
	assert_memory_equal(out.answers[1].addr, a, 4);
	assert_int_equal(out.answers[1].name_len, 0);
	assert_int_equal(out.answers[2].type, DP_DNS_TYPE_AAAA);
	assert_memory_equal(out.answers[2].addr, aaaa, 16);
}

static void
test_root_name(void **state)
{
	static const uint8_t root[] = { HDR(7, 0, 1, 0), 0, QTAIL(2) };
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(root, sizeof(root), &out), 0);
	assert_string_equal(out.qname, ".");
	assert_int_equal(out.qname_len, 1);
	assert_int_equal(out.qtype, 2);
}

static void
test_self_pointer(void **state)
{
	static const uint8_t self[] = { HDR(1, 0, 1, 0), 0xc0, 12, QTAIL(1) };
	static const uint8_t after_label[] = { HDR(1, 0, 1, 0), 1, 'a', 0xc0,
		12, QTAIL(1) };
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(self, sizeof(self), &out), -EINVAL);
	assert_int_equal(parse(after_label, sizeof(after_label), &out),
			 -EINVAL);
}

static void
test_mutual_pointers(void **state)
{
	/* TXT rdata at 31 holds a pointer to the CNAME rdata at 45, which
	 * points back to 31: each jump alone looks harmless. */
	static const uint8_t loop[] = {
		HDR(1, 0x8180, 1, 2), 1, 'a', 0, QTAIL(1),
		0xc0, 12, RR(16, 2), 0xc0, 45,
		0xc0, 12, RR(DP_DNS_TYPE_CNAME, 2), 0xc0, 31,
	};
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(sizeof(loop), 47);
	assert_int_equal(parse(loop, sizeof(loop), &out), PARTIAL);
	assert_int_equal(out.answer_count, 0);
	assert_string_equal(out.qname, "a");
}

static void
test_forward_pointer(void **state)
{
	static const uint8_t fwd[] = { HDR(1, 0, 1, 0), 0xc0, 18, QTAIL(1),
		1, 'a', 0 };
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(fwd, sizeof(fwd), &out), -EINVAL);
}

/* A TXT answer whose rdata is a chain of pointers, each to the one
 * before and the first to the root question name at 12, then an A
 * answer named by a pointer to the last link. */
static void
build_pointer_chain(struct msg *m, size_t links)
{
	static const uint8_t head[] = { HDR(1, 0x8180, 1, 2), 0, QTAIL(1),
		0, RR(16, 0) };
	static const uint8_t a[] = { RR(DP_DNS_TYPE_A, 4), 10, 0, 0, 1 };
	size_t prev = 12, first;

	m->len = 0;
	put(m, head, sizeof(head));
	m->b[m->len - 2] = (uint8_t)(2 * links >> 8);
	m->b[m->len - 1] = (uint8_t)(2 * links);
	first = m->len;
	for (size_t i = 0; i <= links; i++) {
		m->b[m->len++] = (uint8_t)(0xc0 | prev >> 8);
		m->b[m->len++] = (uint8_t)prev;
		prev = first + 2 * i;
	}
	put(m, a, sizeof(a));
}

static void
test_pointer_chain_limit(void **state)
{
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	/* links + 1 pointers name the A record; 128 may be followed. */
	build_pointer_chain(&m, 127);
	assert_int_equal(parse(m.b, m.len, &out), 0);
	assert_int_equal(out.answer_count, 1);
	assert_int_equal(out.answers[0].addr[3], 1);
	build_pointer_chain(&m, 128);
	assert_int_equal(parse(m.b, m.len, &out), PARTIAL);
	assert_int_equal(out.answer_count, 0);
}

static void
test_label_length(void **state)
{
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	start_query(&m);
	put_label(&m, 'x', 63);
	end_query(&m);
	assert_int_equal(parse(m.b, m.len, &out), 0);
	assert_int_equal(out.qname_len, 63);
	start_query(&m);
	put_label(&m, 'x', 64);
	end_query(&m);
	assert_int_equal(parse(m.b, m.len, &out), -EINVAL);
	m.b[12] = 0x81;         /* reserved label type 0x80 */
	assert_int_equal(parse(m.b, m.len, &out), -EINVAL);
}

static void
test_name_length(void **state)
{
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	/* 3 * 64 + 62 + 1 = 255 wire bytes: the longest legal name. */
	start_query(&m);
	for (int i = 0; i < 3; i++)
		put_label(&m, 'a', 63);
	put_label(&m, 'b', 61);
	end_query(&m);
	assert_int_equal(parse(m.b, m.len, &out), 0);
	assert_int_equal(out.qname_len, 3 * 63 + 61 + 3);
	assert_int_equal(strlen(out.qname), out.qname_len);
	start_query(&m);
	for (int i = 0; i < 3; i++)
		put_label(&m, 'a', 63);
	put_label(&m, 'b', 62);
	end_query(&m);
	assert_int_equal(parse(m.b, m.len, &out), -EINVAL);
}

static void
test_longest_escaped_name(void **state)
{
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	start_query(&m);
	for (int i = 0; i < 3; i++)
		put_label(&m, 0xff, 63);
	put_label(&m, 0xff, 61);
	end_query(&m);
	assert_int_equal(parse(m.b, m.len, &out), 0);
	assert_int_equal(out.qname_len, (3 * 63 + 61) * 4 + 3);
	assert_true(out.qname_len < DP_DNS_NAME_MAX);
	assert_int_equal(strlen(out.qname), out.qname_len);
	assert_memory_equal(out.qname, "\\255\\255", 8);
}

static void
test_truncated_header(void **state)
{
	struct dp_dns_message out;

	(void)state;
	for (size_t n = 0; n < 12; n++)
		assert_int_equal(parse(query, n, &out), -EINVAL);
}

/* Every strict prefix of a valid message is malformed: cut in the
 * header or the question, it is rejected; cut in the answers, the
 * question and the answers before the cut are kept. */
static void
test_truncated_everywhere(void **state)
{
	/* Where each answer of response ends, and the answers kept (A,
	 * AAAA, CNAME) once it is whole. */
	static const size_t answer_end[] = { 51, 67, 82, 110 };
	static const uint16_t kept_after[] = { 1, 2, 2, 3 };
	struct dp_dns_message out, whole;

	(void)state;
	for (size_t n = 0; n < sizeof(query); n++) {
		if (parse(query, n, &out) != -EINVAL)
			fail_msg("query prefix of %zu bytes accepted", n);
	}
	assert_int_equal(parse(response, sizeof(response), &whole), 0);
	assert_int_equal(sizeof(response), answer_end[3]);
	for (size_t n = 0; n < sizeof(response); n++) {
		int rc = parse(response, n, &out);
		uint16_t kept = 0;

		for (size_t i = 0; i < 4 && answer_end[i] <= n; i++)
			kept = kept_after[i];
		if (n < 33) {
			if (rc != -EINVAL)
				fail_msg("response prefix of %zu bytes: %d", n,
					 rc);
			continue;
		}
		if (rc != PARTIAL || out.answer_count != kept)
			fail_msg("response prefix of %zu bytes: %d, %u answers",
				 n, rc, out.answer_count);
		assert_string_equal(out.qname, whole.qname);
		for (uint16_t i = 0; i < kept; i++) {
			const struct dp_dns_answer *a = &out.answers[i];
			const struct dp_dns_answer *b = &whole.answers[i];
			assert_int_equal(a->type, b->type);
			assert_memory_equal(a->addr, b->addr, sizeof(a->addr));
			assert_int_equal(a->name_len, b->name_len);
			assert_memory_equal(a->name, b->name, a->name_len);
		}
	}
}

static void
test_qdcount_zero(void **state)
{
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	m.len = 0;
	put(&m, query, sizeof(query));
	m.b[5] = 0;
	assert_int_equal(parse(m.b, m.len, &out), -EINVAL);
}

static void
test_two_questions(void **state)
{
	static const uint8_t two[] = {
		HDR(9, 0x8180, 2, 1), 1, 'a', 0, QTAIL(1), 1, 'b', 0xc0, 12,
		QTAIL(28),
		0xc0, 19, RR(DP_DNS_TYPE_A, 4), 10, 1, 2, 3,
	};
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(two, sizeof(two), &out), 0);
	assert_string_equal(out.qname, "a");
	assert_int_equal(out.qtype, 1);
	assert_int_equal(out.answer_count, 1);
	assert_int_equal(out.answers[0].addr[3], 3);
}

static void
test_escapes(void **state)
{
	static const uint8_t odd[] = {
		HDR(1, 0, 1, 0),
		15, 'a', 'l', 'l', 'y', 'o', 'u', 'r', 'b', 'a', 4, 5, 6, 'a',
		'r', 'e', 5, 'a', '.', 'b', '\\', ' ', 3, 0xff, 'Z', 0x7f, 0,
		QTAIL(1),
	};
	static const char want[] = "allyourba\\004\\005\\006are."
		"a\\046b\\092\\032.\\255Z\\127";
	struct dp_dns_message out;

	(void)state;
	assert_int_equal(parse(odd, sizeof(odd), &out), 0);
	assert_string_equal(out.qname, want);
	assert_int_equal(out.qname_len, sizeof(want) - 1);
}

/* One RDLENGTH of response changed: the RR at rr, its RDLENGTH's low
 * byte 11 bytes on (name pointer, type, class, TTL, high byte). */
static const struct {
	const char *name;
	size_t rr;
	uint8_t rdlength;
	uint16_t kept;          /* answers before the broken one */
} bad_rdata_cases[] = {
	{ "A rdlength 5", 51, 5, 1 },
	{ "AAAA rdlength 4", 82, 4, 2 },
	{ "CNAME name shorter than rdata", 33, 7, 0 },
	{ "CNAME name longer than rdata", 33, 5, 0 },
};

static void
test_bad_rdata(void **state)
{
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	for (size_t i = 0;
	     i < sizeof(bad_rdata_cases) / sizeof(bad_rdata_cases[0]); i++) {
		int rc;

		m.len = 0;
		put(&m, response, sizeof(response));
		m.b[bad_rdata_cases[i].rr + 11] = bad_rdata_cases[i].rdlength;
		rc = parse(m.b, m.len, &out);
		if (rc != PARTIAL)
			print_error("case '%s': %d\n", bad_rdata_cases[i].name,
				    rc);
		assert_int_equal(rc, PARTIAL);
		assert_int_equal(out.answer_count, bad_rdata_cases[i].kept);
	}
}

static void
test_answers_beyond_max(void **state)
{
	static const uint8_t head[] = { HDR(1, 0x8180, 1, 20), 0, QTAIL(1) };
	static const uint8_t a[] = { 0, RR(DP_DNS_TYPE_A, 4), 10, 0, 0, 0 };
	struct dp_dns_message out;
	struct msg m;

	(void)state;
	m.len = 0;
	put(&m, head, sizeof(head));
	for (uint8_t i = 0; i < 20; i++)
		m.b[put(&m, a, sizeof(a)) + sizeof(a) - 1] = i;
	assert_int_equal(parse(m.b, m.len, &out), 0);
	assert_int_equal(out.answer_count, DP_DNS_ANSWERS_MAX);
	assert_int_equal(out.answers[15].addr[3], 15);
	/* Records past the kept ones are still checked. */
	m.b[m.len - 5] = 3;
	assert_int_equal(parse(m.b, m.len, &out), PARTIAL);
	assert_int_equal(out.answer_count, DP_DNS_ANSWERS_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_response_answers),
		cmocka_unit_test(test_root_name),
		cmocka_unit_test(test_self_pointer),
		cmocka_unit_test(test_mutual_pointers),
		cmocka_unit_test(test_forward_pointer),
		cmocka_unit_test(test_pointer_chain_limit),
		cmocka_unit_test(test_label_length),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_longest_escaped_name),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_qdcount_zero),
		cmocka_unit_test(test_two_questions),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bad_rdata),
		cmocka_unit_test(test_answers_beyond_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
