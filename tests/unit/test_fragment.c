/* test_fragment.c -- unit tests of the per-worker fragment reassembly on
 * DPDK's ip_frag library: whole datagrams in any order, in IPv4 and IPv6,
 * and every way a fragment is dropped, each on its counter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "decode.h"
#include "eal_fixture.h"
#include "fragment.h"

#define MBUFS 511
#define ETH_LEN 14
#define IPV4_LEN 20
#define IPV6_LEN 40
#define FRAG_EXT_LEN 8
#define UDP_LEN 8
#define DATAGRAM_MAX 4096

static struct rte_mempool *pool;

/* A UDP datagram to 514 carrying a syslog line, cut into fragments. */
struct datagram {
	uint8_t ip_version;
	uint8_t bytes[DATAGRAM_MAX];   /* UDP header + payload */
	size_t len;
	uint32_t id;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
datagram_init(struct datagram *d, uint8_t ip_version, size_t payload_len,
	      uint32_t id)
{
	static const char line[] = "<34>Nov 26 10:00:05 edr01 falcon: "
		"journalide.org ";

	d->ip_version = ip_version;
	d->id = id;
	d->len = UDP_LEN + payload_len;
	put16(d->bytes, 40005);
	put16(d->bytes + 2, 514);
	put16(d->bytes + 4, (uint16_t)d->len);
	put16(d->bytes + 6, 0);
	for (size_t i = 0; i < payload_len; i++)
		d->bytes[UDP_LEN + i] = (uint8_t)line[i % (sizeof(line) - 1)];
}

/* The frame of bytes [offset, offset + len) of d, more set when more
 * fragments follow; vlan adds an 802.1Q tag. */
static struct rte_mbuf *
fragment_frame(const struct datagram *d, size_t offset, size_t len, bool more,
	       bool vlan, uint16_t *l3_offset, uint16_t *l3_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	size_t l2 = ETH_LEN + (vlan ? 4 : 0);
	size_t l3 = d->ip_version == 4 ? IPV4_LEN : IPV6_LEN + FRAG_EXT_LEN;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + l3 + len));
	assert_non_null(p);
	memset(p, 0, l2 + l3);
	p[0] = 0x02;
	p[6] = 0x02;
	p[11] = 1;
	if (vlan) {
		put16(p + 12, 0x8100);
		put16(p + 14, 42);
		p += 4;
	}
	put16(p + 12, d->ip_version == 4 ? 0x0800 : 0x86dd);
	p += ETH_LEN;
	if (d->ip_version == 4) {
		p[0] = 0x45;
		put16(p + 2, (uint16_t)(IPV4_LEN + len));
		put16(p + 4, (uint16_t)d->id);
		put16(p + 6, (uint16_t)((more ? 0x2000 : 0) | offset / 8));
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, "\x0a\x00\x00\x0e\x0a\x00\x00\x02", 8);
	} else {
		p[0] = 0x60;
		put16(p + 4, (uint16_t)(FRAG_EXT_LEN + len));
		p[6] = 44;          /* fragment header */
		p[7] = 64;
		p[8] = 0x20;
		p[9] = 0x01;
		p[23] = 0x0e;
		p[24] = 0x20;
		p[25] = 0x01;
		p[39] = 0x02;
		p[40] = 17;         /* UDP after the fragment header */
		put16(p + 42, (uint16_t)(offset | (more ? 1 : 0)));
		put16(p + 44, (uint16_t)(d->id >> 16));
		put16(p + 46, (uint16_t)d->id);
	}
	memcpy(p + l3, d->bytes + offset, len);
	*l3_offset = (uint16_t)l2;
	*l3_len = (uint16_t)l3;
	return m;
}

/* A table of datagrams_max with a 1 s timeout. */
static void
table_init(struct dp_fragments *f, uint32_t datagrams_max)
{
	struct dp_fragment_config cfg = {
		.datagrams_max = datagrams_max, .timeout_ms = 1000,
	};

	assert_int_equal(dp_fragments_init(f, &cfg, (int)rte_socket_id()), 0);
}

/* Every mbuf handed in is back in the pool once the table is gone. */
static void
table_fini(struct dp_fragments *f)
{
	dp_fragments_fini(f);
	assert_int_equal(rte_mempool_avail_count(pool), MBUFS);
}

/* Adds fragment i of n equal pieces (8-byte multiples) of d. */
static struct rte_mbuf *
add_piece(struct dp_fragments *f, const struct datagram *d, unsigned int i,
	  unsigned int n, uint64_t now, struct dp_fragment_stats *stats)
{
	size_t piece = (d->len / n + 7) & ~(size_t)7;
	size_t offset = piece * i;
	size_t len = i == n - 1 ? d->len - offset : piece;
	uint16_t l3_offset, l3_len;
	struct rte_mbuf *m = fragment_frame(d, offset, len, i < n - 1, false,
					    &l3_offset, &l3_len);

	return dp_fragments_add(f, m, d->ip_version, l3_offset, l3_len, now,
				stats);
}

/* The reassembled frame decodes as the datagram it was cut from. */
static void
assert_whole(struct rte_mbuf *whole, const struct datagram *d)
{
	static uint8_t frame[ETH_LEN + IPV6_LEN + DATAGRAM_MAX];
	const struct dp_decode_config cfg = DP_DECODE_CONFIG_DEFAULT;
	struct dp_packet pkt;
	uint32_t len = rte_pktmbuf_pkt_len(whole);
	const uint8_t *bytes;

	assert_non_null(whole);
	assert_true(len <= sizeof(frame));
	bytes = rte_pktmbuf_read(whole, 0, len, frame);
	assert_non_null(bytes);
	assert_int_equal(dp_decode(&cfg, bytes, len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.ip_version, d->ip_version);
	assert_int_equal(pkt.dst_port, 514);
	assert_int_equal(pkt.payload_len, d->len - UDP_LEN);
	assert_memory_equal(pkt.payload, d->bytes + UDP_LEN, pkt.payload_len);
	rte_pktmbuf_free(whole);
}

static void
assert_stats(const struct dp_fragment_stats *got,
	     struct dp_fragment_stats want)
{
	assert_int_equal(got->reassembled, want.reassembled);
	assert_int_equal(got->expired, want.expired);
	assert_int_equal(got->overlapping, want.overlapping);
	assert_int_equal(got->oversized, want.oversized);
	assert_int_equal(got->table_full, want.table_full);
	assert_int_equal(got->unsupported, want.unsupported);
}

/* 3 fragments in every order, IPv4 and IPv6: the last one added
 * completes the datagram. */
static void
test_every_order(void **state)
{
	static const unsigned int orders[][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 },
		{ 2, 0, 1 }, { 2, 1, 0 },
	};
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint64_t now = rte_rdtsc();
	unsigned int done = 0;

	(void)state;
	table_init(&f, 16);
	for (uint8_t version = 4; version <= 6; version += 2) {
		for (size_t o = 0; o < 6; o++) {
			datagram_init(&d, version, 3000, 100 + done);
			assert_null(add_piece(&f, &d, orders[o][0], 3, now,
					      &stats));
			assert_null(add_piece(&f, &d, orders[o][1], 3, now,
					      &stats));
			assert_whole(add_piece(&f, &d, orders[o][2], 3, now,
					       &stats), &d);
			done++;
		}
	}
	assert_stats(&stats, (struct dp_fragment_stats){ .reassembled = done });
	table_fini(&f);
}

/* The most fragments a datagram may have, and one more. */
static void
test_fragments_per_datagram(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint64_t now = rte_rdtsc();
	const unsigned int n = DP_FRAGMENTS_PER_DATAGRAM;

	(void)state;
	table_init(&f, 16);
	datagram_init(&d, 4, 3000, 1);
	for (unsigned int i = 0; i + 1 < n; i++)
		assert_null(add_piece(&f, &d, i, n, now, &stats));
	assert_whole(add_piece(&f, &d, n - 1, n, now, &stats), &d);
	datagram_init(&d, 4, 3000, 2);
	for (unsigned int i = 0; i < n + 1; i++)
		assert_null(add_piece(&f, &d, i, n + 1, now, &stats));
	dp_fragments_flush(&f);
	assert_stats(&stats, (struct dp_fragment_stats){
		.reassembled = 1, .overlapping = 1 });
	table_fini(&f);
}

/* The same first fragment twice, and a middle fragment overlapping the
 * first: each set is dropped whole. */
static void
test_overlapping(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint64_t now = rte_rdtsc();
	uint16_t l3_offset, l3_len;
	struct rte_mbuf *m;

	(void)state;
	table_init(&f, 16);
	datagram_init(&d, 4, 3000, 1);
	assert_null(add_piece(&f, &d, 0, 3, now, &stats));
	assert_null(add_piece(&f, &d, 0, 3, now, &stats));
	datagram_init(&d, 6, 1000, 2);
	assert_null(add_piece(&f, &d, 0, 2, now, &stats));
	m = fragment_frame(&d, 8, d.len - 8, false, false, &l3_offset, &l3_len);
	assert_null(dp_fragments_add(&f, m, 6, l3_offset, l3_len, now, &stats));
	dp_fragments_flush(&f);
	assert_stats(&stats, (struct dp_fragment_stats){ .overlapping = 2 });
	table_fini(&f);
}

/* A fragment ending past 65535 bytes, and an empty one, are dropped
 * before the table sees them. */
static void
test_oversized(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint16_t l3_offset, l3_len;
	struct rte_mbuf *m;

	(void)state;
	table_init(&f, 16);
	datagram_init(&d, 4, 1000, 1);
	m = fragment_frame(&d, 0, 1000, true, false, &l3_offset, &l3_len);
	/* Offset 65528 (8191 units) with 1000 bytes. */
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
		struct rte_ipv4_hdr *, l3_offset);
	ip->fragment_offset = rte_cpu_to_be_16(0x2000 | 8191);
	assert_null(dp_fragments_add(&f, m, 4, l3_offset, l3_len, rte_rdtsc(),
				     &stats));
	m = fragment_frame(&d, 0, 0, true, false, &l3_offset, &l3_len);
	assert_null(dp_fragments_add(&f, m, 4, l3_offset, l3_len, rte_rdtsc(),
				     &stats));
	assert_stats(&stats, (struct dp_fragment_stats){ .oversized = 2 });
	table_fini(&f);
}

/* Fragments that never complete: the table holds at most its datagrams,
 * new ones are refused while none has timed out, and all go once their
 * time is up. */
static void
test_table_full_and_expiry(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint64_t now = rte_rdtsc();
	uint64_t later = now + 2 * rte_get_tsc_hz();
	const uint32_t max = 4;

	(void)state;
	table_init(&f, max);
	for (uint32_t i = 0; i < 3 * max; i++) {
		datagram_init(&d, 4, 1000, i);
		assert_null(add_piece(&f, &d, 0, 2, now, &stats));
	}
	dp_fragments_flush(&f);
	assert_stats(&stats, (struct dp_fragment_stats){
		.table_full = 2 * max });
	/* Held fragments use mbufs; the rest are back. */
	assert_int_equal(rte_mempool_avail_count(pool), MBUFS - max);
	dp_fragments_expire(&f, later, &stats);
	assert_stats(&stats, (struct dp_fragment_stats){
		.table_full = 2 * max, .expired = max });
	assert_int_equal(rte_mempool_avail_count(pool), MBUFS);
	/* After a timeout the same datagram starts again. */
	datagram_init(&d, 4, 1000, 0);
	assert_null(add_piece(&f, &d, 0, 2, later, &stats));
	assert_whole(add_piece(&f, &d, 1, 2, later, &stats), &d);
	table_fini(&f);
}

/* A datagram whose first fragment timed out before the rest came: the
 * late fragments start a new set, the old one is counted expired. */
static void
test_late_fragment(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint64_t now = rte_rdtsc();

	(void)state;
	table_init(&f, 16);
	datagram_init(&d, 6, 2000, 7);
	assert_null(add_piece(&f, &d, 0, 2, now, &stats));
	assert_null(add_piece(&f, &d, 1, 2, now + 2 * rte_get_tsc_hz(),
			      &stats));
	dp_fragments_flush(&f);
	assert_stats(&stats, (struct dp_fragment_stats){ .expired = 1 });
	table_fini(&f);
}

/* Inside a VLAN tag the IP header is further in: l3_offset says where. */
static void
test_vlan(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint16_t l3_offset, l3_len;
	struct rte_mbuf *m;
	uint64_t now = rte_rdtsc();

	(void)state;
	table_init(&f, 16);
	datagram_init(&d, 4, 2000, 9);
	m = fragment_frame(&d, 0, 1000, true, true, &l3_offset, &l3_len);
	assert_int_equal(l3_offset, 18);
	assert_null(dp_fragments_add(&f, m, 4, l3_offset, l3_len, now, &stats));
	m = fragment_frame(&d, 1000, d.len - 1000, false, true, &l3_offset,
			   &l3_len);
	assert_whole(dp_fragments_add(&f, m, 4, l3_offset, l3_len, now,
				      &stats), &d);
	assert_stats(&stats, (struct dp_fragment_stats){ .reassembled = 1 });
	table_fini(&f);
}

/* An IPv6 fragment with a header before its fragment header, which the
 * library cannot put back together: dropped and counted. */
static void
test_ipv6_header_before_fragment(void **state)
{
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	struct datagram d;
	uint16_t l3_offset, l3_len;
	struct rte_mbuf *m;

	(void)state;
	table_init(&f, 16);
	datagram_init(&d, 6, 1000, 3);
	m = fragment_frame(&d, 0, 504, true, false, &l3_offset, &l3_len);
	assert_null(dp_fragments_add(&f, m, 6, l3_offset, l3_len + 8,
				     rte_rdtsc(), &stats));
	assert_stats(&stats, (struct dp_fragment_stats){ .unsupported = 1 });
	table_fini(&f);
}

static int
group_setup(void **state)
{
	(void)state;
	pool = rte_pktmbuf_pool_create("test_fragment", MBUFS, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	return pool != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_order),
		cmocka_unit_test(test_fragments_per_datagram),
		cmocka_unit_test(test_overlapping),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_table_full_and_expiry),
		cmocka_unit_test(test_late_fragment),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ipv6_header_before_fragment),
	};
	int rc = eal_fixture_init("test_fragment");

	if (rc != 0)
		return rc;
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	eal_fixture_cleanup();
	return rc;
}
