/* test_decode_tunnel.c -- unit tests of the tunnels the decoder walks
 * (decode_tunnel.c, through dp_decode()): GRE with every optional field,
 * ERSPAN types I to III, VXLAN, Geneve, on their ports or configured
 * ones, nested in each other and in VLAN, PPPoE and MPLS; fragments
 * inside tunnels and the decode of the reassembled datagram. Frames from
 * a table (decode_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "decode.h"
#include "decode_fixture.h"

/* Linux's VXLAN port and another for Geneve. */
static const struct dp_decode_config custom = {
	.vxlan_port = 8472, .geneve_port = 7000,
};

static const struct encap_case tunnel_cases[] = {
	{ "gre + ipv4",
	  { ETH(0x0800), OUTER4(47), GRE(0, 0x0800), IP4(17), PAYLOAD },
	  .layers = { L_GRE }, .outer = 4 },
	{ "gre with key + ipv6 over ipv6",
	  { ETH(0x86dd), OUTER6(47), GRE(GRE_K, 0x86dd), IP6(17), PAYLOAD },
	  .layers = { L_GRE }, .has_id = true, .id = GRE_KEY, .outer = 6 },
	{ "gre with checksum, key, sequence + qinq ethernet",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_C | GRE_K | GRE_S, 0x6558),
	    ETH_QINQ(0x0800, 10, 20), IP4(17), PAYLOAD },
	  .layers = { L_GRE, L_VLAN, L_VLAN }, .vlans = { 10, 20 },
	  .has_id = true, .id = GRE_KEY, .outer = 4 },
	{ "gre with checksum and sequence, no key",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_C | GRE_S, 0x0800), IP4(17),
	    PAYLOAD },
	  .layers = { L_GRE }, .outer = 4 },
	{ "gre + mpls + ipv4",
	  { ETH(0x0800), OUTER4(47), GRE(0, 0x8847), MPLS(1), IP4(17),
	    PAYLOAD },
	  .layers = { L_GRE, L_MPLS }, .outer = 4 },
	{ "erspan type I",
	  { ETH(0x0800), OUTER4(47), GRE(0, 0x88be), ETH(0x0800), IP4(17),
	    PAYLOAD },
	  .layers = { L_GRE, L_ERSPAN }, .outer = 4 },
	{ "vlan + erspan type II + tagged ethernet",
	  { ETH_VLAN(0x0800, 99), OUTER4(47), GRE(GRE_S, 0x88be),
	    ERSPAN_II(341), ETH_VLAN(0x0800, 10), IP4(17), PAYLOAD },
	  .layers = { L_VLAN, L_GRE, L_ERSPAN, L_VLAN }, .vlans = { 10 },
	  .has_id = true, .id = 341, .outer = 4 },
	{ "erspan type II under a gre key: the key is the id",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_K | GRE_S, 0x88be),
	    ERSPAN_II(341), ETH(0x0800), IP4(17), PAYLOAD },
	  .layers = { L_GRE, L_ERSPAN }, .has_id = true, .id = GRE_KEY,
	  .outer = 4 },
	{ "erspan type III + ipv6",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_S, 0x22eb), ERSPAN_III(1023, 0),
	    ETH(0x86dd), IP6(17), PAYLOAD },
	  .layers = { L_GRE, L_ERSPAN }, .has_id = true, .id = 1023, .outer = 4 },
	{ "erspan type III with the platform subheader",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_S, 0x22eb), ERSPAN_III(5, 1),
	    ETH(0x0800), IP4(17), PAYLOAD },
	  .layers = { L_GRE, L_ERSPAN }, .has_id = true, .id = 5, .outer = 4 },
	{ "vxlan",
	  { ETH(0x0800), OUTER4(17), UDP_TO(4789), VXLAN(42), ETH(0x0800),
	    IP4(17), PAYLOAD },
	  .layers = { L_VXLAN }, .has_id = true, .id = 42, .outer = 4 },
	{ "vlan + vxlan over ipv6 + tagged ipv6",
	  { ETH_VLAN(0x86dd, 5), OUTER6(17), UDP_TO(4789), VXLAN(0xffffff),
	    ETH_VLAN(0x86dd, 20), IP6(17), PAYLOAD },
	  .layers = { L_VLAN, L_VXLAN, L_VLAN }, .vlans = { 20 }, .has_id = true,
	  .id = 0xffffff, .outer = 6 },
	{ "vxlan on a configured port",
	  { ETH(0x0800), OUTER4(17), UDP_TO(8472), VXLAN(0), ETH(0x0800),
	    IP4(17), PAYLOAD },
	  .cfg = &custom, .layers = { L_VXLAN }, .has_id = true, .id = 0,
	  .outer = 4 },
	{ "geneve with options + ethernet",
	  { ETH(0x0800), OUTER4(17), UDP_TO(6081), GENEVE(0xabcdef, 3, 0x6558),
	    ETH(0x0800), IP4(17), PAYLOAD },
	  .layers = { L_GENEVE }, .has_id = true, .id = 0xabcdef, .outer = 4 },
	{ "geneve + ipv6, no options",
	  { ETH(0x0800), OUTER4(17), UDP_TO(6081), GENEVE(7, 0, 0x86dd),
	    IP6(17), PAYLOAD },
	  .layers = { L_GENEVE }, .has_id = true, .id = 7, .outer = 4 },
	{ "geneve on a configured port",
	  { ETH(0x0800), OUTER4(17), UDP_TO(7000), GENEVE(9, 1, 0x0800),
	    IP4(17), PAYLOAD },
	  .cfg = &custom, .layers = { L_GENEVE }, .has_id = true, .id = 9,
	  .outer = 4 },
	{ "pppoe + gre + ethernet",
	  { ETH(0x8864), PPPOE(0x0021), OUTER4(47), GRE(0, 0x6558),
	    ETH(0x0800), IP4(17), PAYLOAD },
	  .layers = { L_PPPOE, L_GRE }, .outer = 4 },
	/* The outermost tunnel names it: the GRE key and the first
	 * endpoints; the tags are the innermost frame's (none). */
	{ "vlan + gre key + erspan II + vxlan",
	  { ETH_VLAN(0x0800, 99), OUTER4(47), GRE(GRE_K | GRE_S, 0x88be),
	    ERSPAN_II(341), ETH(0x0800), IP4(17), UDP_TO(4789), VXLAN(42),
	    ETH(0x0800), IP4(17), PAYLOAD },
	  .layers = { L_VLAN, L_GRE, L_ERSPAN, L_VXLAN }, .has_id = true,
	  .id = GRE_KEY, .outer = 4 },

	/* Fragments: the fragment's IP header, and the layers around it. */
	{ "ipv4 fragment with options inside gre",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_K, 0x0800),
	    IP4_FRAG(17, 0x2000, 7), PAYLOAD },
	  .status = DP_DECODE_FRAGMENT, .layers = { L_GRE }, .has_id = true,
	  .id = GRE_KEY, .outer = 4, .l3_len = 28 },
	{ "ipv6 fragment after hop-by-hop inside vxlan",
	  { ETH(0x0800), OUTER4(17), UDP_TO(4789), VXLAN(42), ETH(0x86dd),
	    IP6(0), EXT(44, 0, 8), FRAG6(17, 0x0008), PAYLOAD },
	  .status = DP_DECODE_FRAGMENT, .layers = { L_VXLAN }, .has_id = true,
	  .id = 42, .outer = 4, .l3_len = 56 },
	{ "a fragment of the tunnel itself",
	  { ETH_VLAN(0x0800, 3), OUTER4_FRAG(47, 0x2000), GRE(0, 0x0800),
	    IP4(17), PAYLOAD },
	  .status = DP_DECODE_FRAGMENT, .layers = { L_VLAN }, .vlans = { 3 } },

	/* Past the limit. */
	{ "gre in gre, nine deep",
	  { ETH(0x0800), OUTER4(47), GRE(0, 0x0800), IP4(47), GRE(0, 0x0800),
	    IP4(47), GRE(0, 0x0800), IP4(47), GRE(0, 0x0800), IP4(47),
	    GRE(0, 0x0800), IP4(47), GRE(0, 0x0800), IP4(47), GRE(0, 0x0800),
	    IP4(47), GRE(0, 0x0800), IP4(47), GRE(0, 0x0800), IP4(17),
	    PAYLOAD },
	  .status = DP_DECODE_TOO_DEEP },

	/* Well formed, not decoded. */
	{ "gre version 1 (pptp)",
	  { ETH(0x0800), OUTER4(47), GRE(0x3001, 0x880b), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "gre with routing",
	  { ETH(0x0800), OUTER4(47), GRE(0x4000, 0x0800), IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "gre + arp",
	  { ETH(0x0800), OUTER4(47), GRE(0, 0x0806), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "erspan type II saying version 2",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_S, 0x88be),
	    { H_ERSPAN2, 1, 2, 0, 0 }, ETH(0x0800), IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "erspan type III carrying an ip frame type",
	  { ETH(0x0800), OUTER4(47), GRE(GRE_S, 0x22eb),
	    { H_ERSPAN3, 1, 0, 2, 0 }, IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "vxlan without the I flag",
	  { ETH(0x0800), OUTER4(17), UDP_TO(4789), { H_VXLAN, 42, 1, 0, 0 },
	    ETH(0x0800), IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "geneve version 1",
	  { ETH(0x0800), OUTER4(17), UDP_TO(6081),
	    { H_GENEVE, 7, 0, 0x6558, 1 }, ETH(0x0800), IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
	{ "geneve + mpls",
	  { ETH(0x0800), OUTER4(17), UDP_TO(6081), GENEVE(7, 0, 0x8847),
	    MPLS(1), IP4(17), PAYLOAD },
	  .status = DP_DECODE_OTHER },
};

static void
test_tunnels(void **state)
{
	(void)state;
	encap_cases_check(tunnel_cases,
			  sizeof(tunnel_cases) / sizeof(tunnel_cases[0]));
}

/* A tunnel's port turned off, or another than the frame's: plain UDP. */
static void
test_tunnel_port_not_configured(void **state)
{
	static const struct hdr vxlan[] = { ETH(0x0800), OUTER4(17),
		UDP_TO(4789), VXLAN(42), ETH(0x0800), IP4(17), PAYLOAD, { 0 } };
	static const struct hdr geneve[] = { ETH(0x0800), OUTER4(17),
		UDP_TO(7000), GENEVE(9, 1, 0x0800), IP4(17), PAYLOAD, { 0 } };
	static const struct dp_decode_config off = { 0 };
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	build(&f, vxlan);
	assert_int_equal(dp_decode(&off, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.dst_port, 4789);
	assert_int_equal(pkt.encap.n_layers, 0);
	assert_int_equal(pkt.encap.outer_ip_version, 0);
	assert_ptr_equal(pkt.payload, f.b + 14 + 20 + 8);
	assert_int_equal(pkt.payload_len, f.len - (14 + 20 + 8));
	assert_int_equal(dp_decode(&custom, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.encap.n_layers, 0);

	build(&f, geneve);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.dst_port, 7000);
	assert_int_equal(pkt.encap.n_layers, 0);
	assert_memory_equal(pkt.src_addr, outer_src4, 4);
}

/* A fragment's decode, then its datagram's: the layers found around the
 * fragment stay, the tunnel inside the datagram is added. */
static void
test_decode_reassembled(void **state)
{
	static const struct hdr inner_fragment[] = { ETH_VLAN(0x0800, 3),
		OUTER4(47), GRE(GRE_K, 0x0800), IP4_FRAG(17, 0x2000, 0),
		PAYLOAD, { 0 } };
	static const struct hdr outer_fragment[] = { ETH_VLAN(0x0800, 3),
		OUTER4_FRAG(47, 0x2000), GRE(GRE_K, 0x6558), ETH(0x86dd),
		IP6(17), PAYLOAD, { 0 } };
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	build(&f, inner_fragment);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt),
			 DP_DECODE_FRAGMENT);
	/* What reassembly gives: the datagram, its header a whole packet's. */
	set16(&f, f.ip + 6, 0);
	assert_int_equal(dp_decode_ip(&defaults, 4, f.b + f.ip, f.len - f.ip,
				      &pkt), DP_DECODE_OK);
	assert_int_equal(pkt.l3_offset, 0);
	assert_int_equal(pkt.l3_len, 20);
	assert_int_equal(pkt.dst_port, 514);
	assert_ptr_equal(pkt.payload, f.b + f.len - BODY_LEN);
	assert_int_equal(pkt.encap.n_layers, 2);
	assert_int_equal(pkt.encap.layers[1], DP_ENCAP_GRE);
	assert_int_equal(pkt.encap.vlan_ids[0], 3);
	assert_int_equal(pkt.encap.tunnel_id, GRE_KEY);
	assert_memory_equal(pkt.encap.outer_src_addr, outer_src4, 4);

	build(&f, outer_fragment);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt),
			 DP_DECODE_FRAGMENT);
	assert_int_equal(pkt.l3_offset, 18);
	assert_int_equal(pkt.encap.outer_ip_version, 0);
	set16(&f, 18 + 6, 0);
	assert_int_equal(dp_decode_ip(&defaults, 4, f.b + 18, f.len - 18, &pkt),
			 DP_DECODE_OK);
	assert_int_equal(pkt.ip_version, 6);
	assert_int_equal(pkt.encap.n_layers, 2);
	assert_int_equal(pkt.encap.layers[0], DP_ENCAP_VLAN);
	assert_int_equal(pkt.encap.layers[1], DP_ENCAP_GRE);
	assert_int_equal(pkt.encap.vlan_count, 0);  /* the inner frame's */
	assert_int_equal(pkt.encap.outer_ip_version, 4);
	assert_memory_equal(pkt.encap.outer_dst_addr, outer_dst4, 4);
	assert_int_equal(pkt.encap.tunnel_id, GRE_KEY);
	assert_int_equal(pkt.l3_offset, 20 + 8 + 14);

	/* Not an IP version: nothing to decode. */
	assert_int_equal(dp_decode_ip(&defaults, 5, f.b + 18, f.len - 18,
				      &pkt), DP_DECODE_MALFORMED);
}

/* The fan-out hashes the packet inside the tunnel. */
static void
test_flow_hash_inner(void **state)
{
	static const struct hdr plain[] = { ETH(0x0800), IP4(17), PAYLOAD,
		{ 0 } };
	static const struct hdr vxlan[] = { ETH(0x0800), OUTER4(17),
		UDP_TO(4789), VXLAN(42), ETH(0x0800), IP4(17), PAYLOAD, { 0 } };
	struct frame f;
	struct dp_packet pkt;

	(void)state;
	build(&f, plain);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	uint32_t hash = dp_flow_hash(&pkt);
	build(&f, vxlan);
	assert_int_equal(dp_decode(&defaults, f.b, f.len, &pkt), DP_DECODE_OK);
	assert_int_equal(dp_flow_hash(&pkt), hash);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_tunnel_port_not_configured),
		cmocka_unit_test(test_decode_reassembled),
		cmocka_unit_test(test_flow_hash_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
