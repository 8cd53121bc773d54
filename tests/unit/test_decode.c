/* test_decode.c -- unit tests of the frame decoder (decode.c): Ethernet,
 * VLAN tags, IPv4/IPv6 with options and extension headers, UDP/TCP, and
 * the encapsulations below the tunnels (PPPoE, MPLS, IP-in-IP) with the
 * nesting limit, from a table of frames (decode_fixture.h). The tunnels
 * are test_decode_tunnel.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "decode.h"
#include "decode_fixture.h"

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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.ip_version, 4);
	assert_int_equal(pkt.l4_proto, IPPROTO_UDP);
	assert_int_equal(pkt.encap.vlan_count, 0);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip] = 0x4f;                         /* IHL 60 > total */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip] = 0x65;                         /* version 6 in 0x0800 */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip] = 0x45;
	set16(&f, ip + 2, f.len - ip + 1);      /* total past the frame */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	set16(&f, ip + 2, 19);                  /* total < header */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
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
		assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt),
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.encap.vlan_count, 1);
	assert_int_equal(pkt.encap.vlan_ids[0], 100);     /* PCP bits masked */
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
		assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
		assert_int_equal(pkt.encap.vlan_count, 2);
		assert_int_equal(pkt.encap.vlan_ids[0], 10);
		assert_int_equal(pkt.encap.vlan_ids[1], 20);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OTHER);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
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
		assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt),
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	f.b[ip + 41] = 0xff;            /* ext header past the payload */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[ip + 41] = 0;
	set16(&f, ip + 4, f.len - ip - 39);     /* payload past the frame */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	set16(&f, ip + 4, 4);                   /* ext header cut short */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
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
	memcpy(f.b + l4 + 4, "\x89\xab\xcd\xef", 4);   /* sequence number */
	f.b[l4 + 13] = 0x11;                    /* FIN, ACK */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.l4_proto, IPPROTO_TCP);
	assert_int_equal(pkt.tcp_seq, 0x89abcdef);
	assert_int_equal(pkt.tcp_flags, 0x11);
	assert_payload(&pkt, &f);
	f.b[l4 + 12] = 4 << 4;                  /* under 20 bytes */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	f.b[l4 + 12] = 15 << 4;                 /* 60 > 41 available */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	set16(&f, l4 + 4, 8 + BODY_LEN + 1);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_MALFORMED);
	/* Shorter than the IP payload: the UDP length wins. */
	set16(&f, l4 + 4, 8 + 4);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.payload_len, 4);
	set16(&f, l4 + 4, 8);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.payload_len, 0);
}

/* Every strict prefix of a valid frame is malformed, whichever header
 * it cuts. */
static void
assert_prefixes_malformed(const struct frame *f)
{
	struct dp_packet pkt;

	assert_int_equal(dp_decode(&defaults, f->b, f->len, &pkt), DP_DECODE_OK);
	for (size_t n = 0; n < f->len; n++) {
		if (dp_decode(&defaults, f->b, n, &pkt) != DP_DECODE_MALFORMED)
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
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OTHER);
	eth(&f, tag, 2, 0x0027);                /* 802.3 length field */
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OTHER);
	assert_int_equal(pkt.encap.vlan_ids[0], 5);

	eth(&f, NULL, 0, 0x0800);
	ip = ipv4(&f, 5, 0, IPPROTO_ICMP);
	put(&f, "\x08\0\0\0\0\0\0\0", 8);
	ipv4_done(&f, ip);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OTHER);
	assert_memory_equal(pkt.dst_addr, dst4, 4);

	eth(&f, NULL, 0, 0x86dd);
	ip = ipv6(&f, IPPROTO_NONE);
	ipv6_done(&f, ip);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OTHER);
}

/*
 * Encapsulations below the tunnels.
 */

static const struct encap_case encap_cases[] = {
	{ "vlan + pppoe + ipv4",
	  { ETH_VLAN(0x8864, 100), PPPOE(0x0021), IP4(17), PAYLOAD },
	  .layers = { L_VLAN, L_PPPOE }, .vlans = { 100 } },
	{ "pppoe + ipv6",
	  { ETH(0x8864), PPPOE(0x0057), IP6(17), PAYLOAD },
	  .layers = { L_PPPOE } },
	{ "pppoe, protocol compressed to one byte + ipv4",
	  { ETH(0x8864), PPPOE_PFC(0x21), IP4(17), PAYLOAD },
	  .layers = { L_PPPOE } },
	{ "mpls, 2 labels + ipv4",
	  { ETH(0x8847), MPLS(2), IP4(17), PAYLOAD },
	  .layers = { L_MPLS } },
	{ "mpls multicast + ipv6",
	  { ETH(0x8848), MPLS(1), IP6(17), PAYLOAD },
	  .layers = { L_MPLS } },
	{ "vlan + mpls + control word + tagged ethernet",
	  { ETH_VLAN(0x8847, 7), MPLS(3), PW_CW, ETH_VLAN(0x0800, 30),
	    IP4(17), PAYLOAD },
	  .layers = { L_VLAN, L_MPLS, L_VLAN }, .vlans = { 30 } },
	{ "ip-in-ip, ipv4 in ipv4",
	  { ETH(0x0800), OUTER4(4), IP4(17), PAYLOAD },
	  .layers = { L_IPIP }, .outer = 4 },
	{ "ip-in-ip, ipv6 in ipv4",
	  { ETH(0x0800), OUTER4(41), IP6(17), PAYLOAD },
	  .layers = { L_IPIP }, .outer = 4 },
	{ "ip-in-ip, ipv4 in ipv6 after destination options",
	  { ETH(0x86dd), OUTER6(60), EXT(4, 0, 8), IP4(17), PAYLOAD },
	  .layers = { L_IPIP }, .outer = 6 },
	{ "eight layers: the limit",
	  { ETH_QINQ(0x0800, 1, 2), OUTER4(4), IP4(4), IP4(4), IP4(4),
	    IP4(4), IP4(4), IP4(17), PAYLOAD },
	  .layers = { L_VLAN, L_VLAN, L_IPIP, L_IPIP, L_IPIP, L_IPIP, L_IPIP, L_IPIP },
	  .vlans = { 1, 2 }, .outer = 4 },

	/* Past the limit: one more IP-in-IP. */
	{ "nine layers",
	  { ETH_QINQ(0x0800, 1, 2), OUTER4(4), IP4(4), IP4(4), IP4(4),
	    IP4(4), IP4(4), IP4(4), IP4(17), PAYLOAD },
	  .status = DP_DECODE_TOO_DEEP },

	/* Well formed, not decoded. */
	{ "pppoe discovery",
	  { ETH(0x8863), PPPOE(0) },
	  .status = DP_DECODE_OTHER },
	{ "pppoe lcp",
	  { ETH(0x8864), PPPOE(0xc021), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "pppoe version 2",
	  { ETH(0x8864), { H_PPPOE, 0x0021, 0, 0x21, 0 }, IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "mpls + associated channel",
	  { ETH(0x8847), MPLS(1), { H_PW, 0x10, 0, 0, 0 }, PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "ipv6 + esp",
	  { ETH(0x86dd), IP6(50), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "ipv6 + ah + esp",
	  { ETH(0x86dd), IP6(51), EXT(50, 1, 12), PAYLOAD },
	  .status = DP_DECODE_OTHER },

	/* Lengths that lie. */
	{ "pppoe length past the frame",
	  { ETH(0x8864), { H_PPPOE, 0x0021, 200, 0, 0 }, IP4(17), PAYLOAD },
	  .status = DP_DECODE_MALFORMED },
	{ "pppoe length without the ppp protocol",
	  { ETH(0x8864), { H_PPPOE, 0x0021, 1, 0, 0 }, IP4(17), PAYLOAD },
	  .status = DP_DECODE_MALFORMED },
	{ "mpls without bottom of stack",
	  { ETH(0x8847), { H_MPLS, 3, 1, 0, 0 } },
	  .status = DP_DECODE_MALFORMED },
	{ "mpls stack and nothing after",
	  { ETH(0x8847), MPLS(2) },
	  .status = DP_DECODE_MALFORMED },
	{ "ip-in-ip: ipv6 in protocol 4",
	  { ETH(0x0800), OUTER4(4), IP6(17), PAYLOAD },
	  .status = DP_DECODE_MALFORMED },
	{ "ipv6 + ah past the payload",
	  { ETH(0x86dd), IP6(51), EXT(17, 200, 8), PAYLOAD },
	  .status = DP_DECODE_MALFORMED },
};

static void
test_encapsulations(void **state)
{
	(void)state;
	encap_cases_check(encap_cases,
			  sizeof(encap_cases) / sizeof(encap_cases[0]));
}

static void
test_layer_names(void **state)
{
	static const char *const names[] = { NULL, "vlan", "pppoe", "mpls",
		"gre", "erspan", "vxlan", "geneve", "ipip" };

	(void)state;
	for (uint8_t i = DP_ENCAP_VLAN; i <= DP_ENCAP_IPIP; i++)
		assert_string_equal(dp_encap_layer_name(i), names[i]);
	assert_string_equal(dp_encap_layer_name(0), "unknown");
	assert_string_equal(dp_encap_layer_name(DP_ENCAP_IPIP + 1), "unknown");
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

/* Both directions of a flow hash alike; another flow (almost surely) not;
 * every fragment of a datagram (no ports, no protocol) alike. */
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
	/* Fragments: what dp_decode() sets for them, both directions. */
	struct dp_packet fragment = { .ip_version = 4,
		.src_addr = { 10, 0, 0, 14 }, .dst_addr = { 10, 0, 0, 2 } };
	struct dp_packet fragment_back = { .ip_version = 4,
		.src_addr = { 10, 0, 0, 2 }, .dst_addr = { 10, 0, 0, 14 } };
	assert_int_equal(dp_flow_hash(&fragment), dp_flow_hash(&fragment_back));
	/* TCP hashes like the fragments of its addresses, whatever its
	 * ports, so a segment in fragments meets its stream; UDP does not. */
	struct dp_packet segment = there, segment_back = back;
	segment.l4_proto = segment_back.l4_proto = 6;
	assert_int_equal(dp_flow_hash(&segment), dp_flow_hash(&fragment));
	assert_int_equal(dp_flow_hash(&segment_back), dp_flow_hash(&fragment));
	assert_int_not_equal(dp_flow_hash(&there), dp_flow_hash(&fragment));
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
		cmocka_unit_test(test_encapsulations),
		cmocka_unit_test(test_layer_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
