/* test_decode.c -- unit tests of the Ethernet/VLAN/IP/UDP/TCP frame decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "decode.h"

static const uint8_t src4[4] = { 192, 0, 2, 1 };
static const uint8_t dst4[4] = { 198, 51, 100, 7 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x02, 0x02 };
static const char body[] = "<14>hello";
#define BODY_LEN (sizeof(body) - 1)

/* A frame built header by header; lengths are patched once known. */
struct frame {
	uint8_t b[512];
	size_t len;
};

static size_t
put(struct frame *f, const void *data, size_t n)
{
	memcpy(f->b + f->len, data, n);
	f->len += n;
	return f->len - n;
}

static void
put16(struct frame *f, uint16_t v)
{
	uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, be, 2);
}

static void
set16(struct frame *f, size_t off, size_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

/* tags: (TPID, TCI) pairs. */
static void
eth(struct frame *f, const uint16_t *tags, size_t ntags, uint16_t ethertype)
{
	static const uint8_t macs[12] = { 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10 };

	f->len = 0;
	put(f, macs, sizeof(macs));
	for (size_t i = 0; i < ntags; i++)
		put16(f, tags[i]);
	put16(f, ethertype);
}

static size_t
ipv4(struct frame *f, uint8_t ihl, uint16_t frag, uint8_t proto)
{
	uint8_t h[60] = { 0 };
	size_t hlen = (size_t)ihl * 4;

	h[0] = (uint8_t)(0x40 | ihl);
	h[6] = (uint8_t)(frag >> 8);
	h[7] = (uint8_t)frag;
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src4, 4);
	memcpy(h + 16, dst4, 4);
	for (size_t i = 20; i < hlen; i++)
		h[i] = 1;       /* NOP options */
	return put(f, h, hlen < 20 ? 20 : hlen);
}

static void
ipv4_done(struct frame *f, size_t ip)
{
	set16(f, ip + 2, f->len - ip);
}

static size_t
ipv6(struct frame *f, uint8_t nh)
{
	uint8_t h[40] = { 0x60 };

	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, src6, 16);
	memcpy(h + 24, dst6, 16);
	return put(f, h, sizeof(h));
}

static void
ipv6_done(struct frame *f, size_t ip)
{
	set16(f, ip + 4, f->len - ip - 40);
}

/* An extension header of len bytes whose length byte says so. */
static void
ipv6_ext(struct frame *f, uint8_t nh, uint8_t len_byte, size_t len)
{
	uint8_t h[64] = { nh, len_byte };

	put(f, h, len);
}

static size_t
udp(struct frame *f, const void *payload, size_t n)
{
	size_t off = f->len;

	put16(f, 40005);
	put16(f, 514);
	put16(f, (uint16_t)(8 + n));
	put16(f, 0);
	put(f, payload, n);
	return off;
}

static size_t
tcp(struct frame *f, uint8_t doff, const void *payload, size_t n)
{
	uint8_t h[60] = { 0x9c, 0x45, 0x00, 0x35 };     /* 40005 -> 53 */

	h[12] = (uint8_t)(doff << 4);
	h[13] = 0x18;
	put(f, h, doff < 5 ? 20 : (size_t)doff * 4);
	return put(f, payload, n);
}

/* VLAN 100 + IPv4 + UDP carrying body. */
static void
build_vlan_udp4(struct frame *f)
{
	static const uint16_t tag[] = { 0x8100, 0x2064 };
	size_t ip;

	eth(f, tag, 2, 0x0800);
	ip = ipv4(f, 5, 0, IPPROTO_UDP);
	udp(f, body, BODY_LEN);
	ipv4_done(f, ip);
}

static void
assert_payload(const struct dp_packet *pkt, const struct frame *f)
{
	assert_int_equal(pkt->payload_len, BODY_LEN);
	assert_ptr_equal(pkt->payload, f->b + f->len - BODY_LEN);
	assert_memory_equal(pkt->payload, body, BODY_LEN);
}

static void
test_ipv4_udp(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0x4000, IPPROTO_UDP);  /* DF is not a fragment */
	udp(&f, body, BODY_LEN);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.ip_version, 4);
	assert_int_equal(pkt.l4_proto, IPPROTO_UDP);
	assert_int_equal(pkt.vlan_count, 0);
	assert_memory_equal(pkt.src_addr, src4, 4);
	assert_memory_equal(pkt.dst_addr, dst4, 4);
	assert_int_equal(pkt.src_port, 40005);
	assert_int_equal(pkt.dst_port, 514);
	assert_payload(&pkt, &f);
}

static void
test_ethernet_padding(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_UDP);
	udp(&f, "X", 1);
	ipv4_done(&f, ip);
	memset(f.b + f.len, 0xee, 60 - f.len);
	f.len = 60;
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.payload_len, 1);
	assert_int_equal(pkt.payload[0], 'X');
}

static void
test_ipv4_options(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 7, 0, IPPROTO_UDP);
	udp(&f, body, BODY_LEN);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.dst_port, 514);
	assert_payload(&pkt, &f);
}

static void
test_ipv4_bad_lengths(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_UDP);
	udp(&f, body, BODY_LEN);
	ipv4_done(&f, ip);

	f.b[ip] = 0x44;                         /* IHL 4 < 5 */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip] = 0x4f;                         /* IHL 60 > total */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip] = 0x65;                         /* version 6 in 0x0800 */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip] = 0x45;
	set16(&f, ip + 2, f.len - ip + 1);      /* total past the frame */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	set16(&f, ip + 2, 19);                  /* total < header */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
}

static void
test_ipv4_fragments(void **state)
{
	static const uint16_t frags[] = { 0x2000, 0x0001, 0x2010, 0x1fff };
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		size_t ip;

		eth(&f, NULL, 0, 0x0800);
		ip = ipv4(&f, 5, frags[i], IPPROTO_UDP);
		udp(&f, body, BODY_LEN);
		ipv4_done(&f, ip);
		assert_int_equal(dp_decode(f.b, f.len, &pkt),
				 DP_DECODE_FRAGMENT);
		/* The addresses are known, for counters and logs. */
		assert_int_equal(pkt.ip_version, 4);
		assert_memory_equal(pkt.src_addr, src4, 4);
		assert_null(pkt.payload);
	}
}

static void
test_vlan(void **state)
{
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	build_vlan_udp4(&f);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.vlan_count, 1);
	assert_int_equal(pkt.vlan_ids[0], 100);     /* PCP bits masked */
	assert_payload(&pkt, &f);
}

static void
test_qinq(void **state)
{
	static const uint16_t tpids[] = { 0x88a8, 0x9100, 0x8100 };
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		uint16_t tags[] = { tpids[i], 10, 0x8100, 0xe014 };
		size_t ip;

		eth(&f, tags, 4, 0x0800);
		ip = ipv4(&f, 5, 0, IPPROTO_UDP);
		udp(&f, body, BODY_LEN);
		ipv4_done(&f, ip);
		assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
		assert_int_equal(pkt.vlan_count, 2);
		assert_int_equal(pkt.vlan_ids[0], 10);
		assert_int_equal(pkt.vlan_ids[1], 20);
		assert_payload(&pkt, &f);
	}
}

static void
test_three_tags_other(void **state)
{
	static const uint16_t tags[] = { 0x88a8, 1, 0x8100, 2, 0x8100, 3 };
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, tags, 6, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_UDP);
	udp(&f, body, BODY_LEN);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OTHER);
}

static void
test_ipv6_udp(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, IPPROTO_UDP);
	udp(&f, body, BODY_LEN);
	ipv6_done(&f, ip);
	memset(f.b + f.len, 0, 8);      /* trailer past the payload length */
	f.len += 8;
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_memory_equal(pkt.src_addr, src6, 16);
	assert_memory_equal(pkt.dst_addr, dst6, 16);
	f.len -= 8;
	assert_payload(&pkt, &f);
}

static void
test_ipv6_ext_headers(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x86dd);
	/* Each header names the next one. */
	ip = ipv6(&f, IPPROTO_HOPOPTS);
	ipv6_ext(&f, IPPROTO_ROUTING, 0, 8);    /* hop-by-hop */
	ipv6_ext(&f, IPPROTO_DSTOPTS, 1, 16);   /* routing */
	ipv6_ext(&f, IPPROTO_FRAGMENT, 0, 8);   /* destination options */
	ipv6_ext(&f, IPPROTO_AH, 0, 8);         /* atomic fragment */
	ipv6_ext(&f, IPPROTO_TCP, 4, 24);       /* AH: (4 + 2) * 4 */
	tcp(&f, 5, body, BODY_LEN);
	ipv6_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.l4_proto, IPPROTO_TCP);
	assert_int_equal(pkt.src_port, 40005);
	assert_int_equal(pkt.dst_port, 53);
	assert_payload(&pkt, &f);
}

static void
test_ipv6_fragment(void **state)
{
	static const uint16_t offs[] = { 0x0001, 0x0008, 0x0571 };
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t ip, fh;

		eth(&f, NULL, 0, 0x86dd);
		ip = ipv6(&f, IPPROTO_HOPOPTS);
		ipv6_ext(&f, IPPROTO_FRAGMENT, 0, 8);
		fh = f.len;
		ipv6_ext(&f, IPPROTO_UDP, 0, 8);
		set16(&f, fh + 2, offs[i]);
		udp(&f, body, BODY_LEN);
		ipv6_done(&f, ip);
		assert_int_equal(dp_decode(f.b, f.len, &pkt),
				 DP_DECODE_FRAGMENT);
		assert_int_equal(pkt.ip_version, 6);
	}
}

static void
test_ipv6_bad_lengths(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, IPPROTO_DSTOPTS);
	ipv6_ext(&f, IPPROTO_UDP, 0, 8);
	udp(&f, body, BODY_LEN);
	ipv6_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	f.b[ip + 41] = 0xff;            /* ext header past the payload */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip + 41] = 0;
	set16(&f, ip + 4, f.len - ip - 39);     /* payload past the frame */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	set16(&f, ip + 4, 4);                   /* ext header cut short */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
}

static void
test_tcp_data_offset(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip, l4;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_TCP);
	l4 = f.len;
	tcp(&f, 8, body, BODY_LEN);             /* 12 bytes of options */
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.l4_proto, IPPROTO_TCP);
	assert_payload(&pkt, &f);
	f.b[l4 + 12] = 4 << 4;                  /* under 20 bytes */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[l4 + 12] = 15 << 4;                 /* 60 > 41 available */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
}

static void
test_tcp_no_payload(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_TCP);
	tcp(&f, 5, "", 0);
	ipv4_done(&f, ip);
	memset(f.b + f.len, 0, 6);              /* pad to 60 bytes */
	f.len += 6;
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.payload_len, 0);
}

static void
test_udp_bad_length(void **state)
{
	struct frame f;
	struct dp_packet pkt;
	size_t ip, l4;

	(void)state;
	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_UDP);
	l4 = udp(&f, body, BODY_LEN);
	ipv4_done(&f, ip);
	set16(&f, l4 + 4, 7);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	set16(&f, l4 + 4, 8 + BODY_LEN + 1);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	/* Shorter than the IP payload: the UDP length wins. */
	set16(&f, l4 + 4, 8 + 4);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.payload_len, 4);
	set16(&f, l4 + 4, 8);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.payload_len, 0);
}

/* Every strict prefix of a valid frame is malformed, whichever header
 * it cuts. */
static void
assert_prefixes_malformed(const struct frame *f)
{
	struct dp_packet pkt;

	assert_int_equal(dp_decode(f->b, f->len, &pkt), DP_DECODE_OK);
	for (size_t n = 0; n < f->len; n++) {
		if (dp_decode(f->b, n, &pkt) != DP_DECODE_MALFORMED)
			fail_msg("prefix of %zu bytes not malformed", n);
	}
}

static void
test_truncated_everywhere(void **state)
{
	struct frame f;
	size_t ip;

	(void)state;
	build_vlan_udp4(&f);
	assert_prefixes_malformed(&f);

	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, IPPROTO_HOPOPTS);
	ipv6_ext(&f, IPPROTO_TCP, 0, 8);
	tcp(&f, 6, body, BODY_LEN);
	ipv6_done(&f, ip);
	assert_prefixes_malformed(&f);
}

static void
test_not_ip(void **state)
{
	static const uint16_t tag[] = { 0x8100, 5 };
	struct frame f;
	struct dp_packet pkt;
	size_t ip;

	(void)state;
	eth(&f, NULL, 0, 0x0806);               /* ARP */
	memset(f.b + f.len, 0, 46);
	f.len += 46;
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OTHER);
	eth(&f, tag, 2, 0x0027);                /* 802.3 length field */
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OTHER);
	assert_int_equal(pkt.vlan_ids[0], 5);

	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_ICMP);
	put(&f, "\x08\0\0\0\0\0\0\0", 8);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OTHER);
	assert_memory_equal(pkt.dst_addr, dst4, 4);

	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, IPPROTO_NONE);
	ipv6_done(&f, ip);
	assert_int_equal(dp_decode(f.b, f.len, &pkt), DP_DECODE_OTHER);
}

static void
test_addr_format(void **state)
{
	char buf[46];

	(void)state;
	assert_string_equal(dp_addr_format(4, src4, buf, sizeof(buf)),
			    "192.0.2.1");
	assert_string_equal(dp_addr_format(6, dst6, buf, sizeof(buf)),
			    "2001:db8::202");
	assert_null(dp_addr_format(5, src4, buf, sizeof(buf)));
	assert_null(dp_addr_format(4, src4, buf, 8));
}

/* Both directions of a flow hash alike; another flow (almost surely) not. */
static void
test_flow_hash_symmetric(void **state)
{
	(void)state;
	struct dp_packet there = { .ip_version = 4, .l4_proto = 17,
		.src_addr = { 10, 0, 0, 14 }, .dst_addr = { 10, 0, 0, 2 },
		.src_port = 40005, .dst_port = 514 };
	struct dp_packet back = { .ip_version = 4, .l4_proto = 17,
		.src_addr = { 10, 0, 0, 2 }, .dst_addr = { 10, 0, 0, 14 },
		.src_port = 514, .dst_port = 40005 };
	struct dp_packet other = there;

	assert_int_equal(dp_flow_hash(&there), dp_flow_hash(&back));
	other.src_port = 40006;
	assert_int_not_equal(dp_flow_hash(&there), dp_flow_hash(&other));
	/* Same addresses, ports only: still symmetric. */
	struct dp_packet same = there, same_back = there;
	memcpy(same.dst_addr, same.src_addr, 4);
	memcpy(same_back.dst_addr, same.src_addr, 4);
	same_back.src_port = 514;
	same_back.dst_port = 40005;
	assert_int_equal(dp_flow_hash(&same), dp_flow_hash(&same_back));
	struct dp_packet v6 = { .ip_version = 6, .l4_proto = 17,
		.src_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		.dst_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
		.src_port = 53, .dst_port = 5353 };
	struct dp_packet v6_back = v6;
	memcpy(v6_back.src_addr, v6.dst_addr, 16);
	memcpy(v6_back.dst_addr, v6.src_addr, 16);
	v6_back.src_port = 5353;
	v6_back.dst_port = 53;
	assert_int_equal(dp_flow_hash(&v6), dp_flow_hash(&v6_back));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_lengths),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_three_tags_other),
		cmocka_unit_test(test_ipv6_udp),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv6_bad_lengths),
		cmocka_unit_test(test_tcp_data_offset),
		cmocka_unit_test(test_tcp_no_payload),
		cmocka_unit_test(test_udp_bad_length),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test(test_flow_hash_symmetric),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
