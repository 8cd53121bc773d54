/* decode_fixture.c -- frames for the decoder's tests, and the check of a
 * table of them (decode_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <cmocka.h>

#include "decode_fixture.h"

const struct dp_decode_config defaults = DP_DECODE_CONFIG_DEFAULT;

const uint8_t src4[4] = { 192, 0, 2, 1 };
const uint8_t dst4[4] = { 198, 51, 100, 7 };
const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x02, 0x02 };
const uint8_t outer_src4[4] = { 203, 0, 113, 1 };
const uint8_t outer_dst4[4] = { 203, 0, 113, 2 };
const uint8_t outer_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
				 [15] = 0x01 };
const uint8_t outer_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
				 [15] = 0x02 };
const char body[BODY_LEN + 1] = "<14>hello";

size_t
put(struct frame *f, const void *data, size_t n)
{
	memcpy(f->b + f->len, data, n);
	f->len += n;
	return f->len - n;
}

void
put16(struct frame *f, uint16_t v)
{
	uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, be, 2);
}

void
set16(struct frame *f, size_t off, size_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

void
eth(struct frame *f, const uint16_t *tags, size_t ntags, uint16_t ethertype)
{
	static const uint8_t macs[12] = { 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10 };

	f->len = 0;
	put(f, macs, sizeof(macs));
	for (size_t i = 0; i < ntags; i++)
		put16(f, tags[i]);
	put16(f, ethertype);
}

size_t
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

void
ipv4_done(struct frame *f, size_t ip)
{
	set16(f, ip + 2, f->len - ip);
}

size_t
ipv6(struct frame *f, uint8_t nh)
{
	uint8_t h[40] = { 0x60 };

	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, src6, 16);
	memcpy(h + 24, dst6, 16);
	return put(f, h, sizeof(h));
}

void
ipv6_done(struct frame *f, size_t ip)
{
	set16(f, ip + 4, f->len - ip - 40);
}

void
ipv6_ext(struct frame *f, uint8_t nh, uint8_t len_byte, size_t len)
{
	uint8_t h[64] = { nh, len_byte };

	put(f, h, len);
}

size_t
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

size_t
tcp(struct frame *f, uint8_t doff, const void *payload, size_t n)
{
	uint8_t h[60] = { 0x9c, 0x45, 0x00, 0x35 };     /* 40005 -> 53 */

	h[12] = (uint8_t)(doff << 4);
	h[13] = 0x18;
	put(f, h, doff < 5 ? 20 : (size_t)doff * 4);
	return put(f, payload, n);
}

/*
 * Encapsulations: frames described header by header, outer first, built
 * by build() with every length patched to the end of the frame.
 */


enum patch_kind { PATCH_IPV4, PATCH_IPV6, PATCH_UDP, PATCH_PPPOE };

void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
patch_add(struct frame *f, size_t at, enum patch_kind kind)
{
	assert_true(f->n_patches < sizeof(f->patch_at) / sizeof(f->patch_at[0]));
	f->patch_at[f->n_patches] = at;
	f->patch_kind[f->n_patches++] = (uint8_t)kind;
}

/* Every length field of a header before 'before' reaches the end. */
static void
lengths_patch(struct frame *f, size_t before)
{
	for (unsigned int i = 0; i < f->n_patches; i++) {
		size_t at = f->patch_at[i];

		if (at >= before)
			continue;
		switch (f->patch_kind[i]) {
		case PATCH_IPV4:
			set16(f, at + 2, f->len - at);
			break;
		case PATCH_IPV6:
			set16(f, at + 4, f->len - at - 40);
			break;
		case PATCH_UDP:
			set16(f, at + 4, f->len - at);
			break;
		case PATCH_PPPOE:
			set16(f, at + 4, f->len - at - 6);
			break;
		}
	}
}

static void
put_eth(struct frame *f, const struct hdr *h)
{
	static const uint8_t macs[12] = { 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10 };

	put(f, macs, sizeof(macs));
	if (h->b != 0) {
		put16(f, h->c != 0 ? 0x88a8 : 0x8100);
		put16(f, (uint16_t)(0xe000 | h->b));     /* PCP 7 */
	}
	if (h->c != 0) {
		put16(f, 0x8100);
		put16(f, (uint16_t)h->c);
	}
	put16(f, (uint16_t)h->a);
}

static void
put_ip(struct frame *f, const struct hdr *h)
{
	bool outer = h->b & HDR_OUTER;
	size_t at;

	if (h->kind == H_IPV4) {
		at = ipv4(f, h->d != 0 ? (uint8_t)h->d : 5, (uint16_t)h->c,
			  (uint8_t)h->a);
		memcpy(f->b + at + 12, outer ? outer_src4 : src4, 4);
		memcpy(f->b + at + 16, outer ? outer_dst4 : dst4, 4);
		patch_add(f, at, PATCH_IPV4);
	} else {
		at = ipv6(f, (uint8_t)h->a);
		memcpy(f->b + at + 8, outer ? outer_src6 : src6, 16);
		memcpy(f->b + at + 24, outer ? outer_dst6 : dst6, 16);
		patch_add(f, at, PATCH_IPV6);
	}
	if (!f->ip_final) {
		f->ip = at;
		f->ip_outer = outer;
		f->ip_final = (h->c & 0x3fff) != 0;
	}
}

static void
put_ext(struct frame *f, const struct hdr *h)
{
	size_t at = f->len;

	ipv6_ext(f, (uint8_t)h->a, (uint8_t)h->b, h->c);
	if (h->d != 0) {
		set16(f, at + 2, h->d);
		f->ip_final = true;
	}
}

static void
put_gre(struct frame *f, const struct hdr *h)
{
	put16(f, (uint16_t)h->a);
	put16(f, (uint16_t)h->b);
	if (h->a & GRE_C)
		put32(f, 0xbeef0000);               /* checksum, reserved1 */
	if (h->a & GRE_K)
		put32(f, GRE_KEY);
	if (h->a & GRE_S)
		put32(f, 7);
}

static void
put_erspan(struct frame *f, const struct hdr *h)
{
	static const uint8_t platform[8] = { 0x0c, 1, 2, 3, 4, 5, 6, 7 };

	if (h->kind == H_ERSPAN2) {
		put16(f, (uint16_t)((h->b != 0 ? h->b : 1) << 12 | 10));
		put16(f, (uint16_t)(3 << 11 | h->a));   /* En 3: tag in frame */
		put32(f, 0x00012345);                    /* index */
		return;
	}
	put16(f, 2 << 12 | 10);
	put16(f, (uint16_t)(0xe000 | h->a));         /* COS 7 */
	put32(f, 0x5eed5eed);                        /* timestamp */
	put16(f, 0x0042);                            /* SGT */
	uint8_t tail[2] = { (uint8_t)(h->c << 2 | 0x01), (uint8_t)(0x16 | h->b) };
	put(f, tail, 2);                             /* FT, HW ID, Gra, O */
	if (h->b)
		put(f, platform, sizeof(platform));
}

static void
put_udp_tunnel(struct frame *f, const struct hdr *h)
{
	uint8_t opt[4] = { 0x01, 0x02, 0x80, 0 };

	switch (h->kind) {
	case H_UDP:
		patch_add(f, f->len, PATCH_UDP);
		put16(f, 49152);
		put16(f, (uint16_t)h->a);
		put32(f, 0);                         /* length, checksum */
		break;
	case H_VXLAN:
		put32(f, h->b ? 0 : 0x08000000);
		put32(f, h->a << 8);
		break;
	default:                                     /* Geneve */
		put16(f, (uint16_t)(h->d << 14 | h->b << 8));
		put16(f, (uint16_t)h->c);
		put32(f, h->a << 8);
		/* One option of all the words (class, type, length). */
		opt[3] = (uint8_t)(h->b > 0 ? h->b - 1 : 0);
		for (uint32_t i = 0; i < h->b; i++)
			put(f, i == 0 ? opt : (const uint8_t *)"\xa5\xa5\xa5\xa5", 4);
		break;
	}
}

static void
put_below_ip(struct frame *f, const struct hdr *h)
{
	switch (h->kind) {
	case H_MPLS:
		for (uint32_t i = 0; i < h->a; i++) {
			bool bos = i + 1 == h->a && h->b == 0;
			put32(f, (16 + i) << 12 | (uint32_t)bos << 8 | 64);
		}
		break;
	case H_PW:
		put32(f, h->a << 24 | 0x0001);       /* sequence number 1 */
		break;
	default:                                     /* PPPoE */
		if (h->b == 0)
			patch_add(f, f->len, PATCH_PPPOE);
		put16(f, (uint16_t)((h->c != 0 ? h->c : 0x11) << 8));
		put16(f, 0x1234);                    /* session */
		put16(f, (uint16_t)h->b);
		/* d: the protocol compressed to one byte (RFC 1661 6.5). */
		if (h->d != 0) {
			uint8_t proto = (uint8_t)h->a;
			put(f, &proto, 1);
		} else {
			put16(f, (uint16_t)h->a);
		}
		break;
	}
}

void
build(struct frame *f, const struct hdr *h)
{
	uint8_t prev = H_END;

	memset(f, 0, sizeof(*f));
	for (; h->kind != H_END; prev = h->kind, h++) {
		bool ip = h->kind == H_IPV4 || h->kind == H_IPV6;
		bool after_ip = prev == H_IPV4 || prev == H_IPV6 ||
			prev == H_EXT;

		if (f->tunnel == 0 && (h->kind == H_GRE || h->kind == H_VXLAN ||
				       h->kind == H_GENEVE || (ip && after_ip)))
			f->tunnel = f->len;
		switch (h->kind) {
		case H_ETH:
			put_eth(f, h);
			break;
		case H_IPV4:
		case H_IPV6:
			put_ip(f, h);
			break;
		case H_EXT:
			put_ext(f, h);
			break;
		case H_PAYLOAD:
			udp(f, body, BODY_LEN);
			break;
		case H_GRE:
			put_gre(f, h);
			break;
		case H_ERSPAN2:
		case H_ERSPAN3:
			put_erspan(f, h);
			break;
		case H_UDP:
		case H_VXLAN:
		case H_GENEVE:
			put_udp_tunnel(f, h);
			break;
		default:
			put_below_ip(f, h);
			break;
		}
	}
	lengths_patch(f, f->len);
}

#define CASE_CHECK(c, cond) do { \
	if (!(cond)) \
		fail_msg("%s: %s", (c)->name, #cond); \
} while (0)

/* The IP header the decoder stopped at, and the layers around it. */
static void
check_ip(const struct encap_case *c, const struct frame *f,
	 const struct dp_packet *pkt)
{
	uint8_t version = f->b[f->ip] >> 4;
	size_t n = version == 4 ? 4 : 16;
	const uint8_t *src = version == 4 ? (f->ip_outer ? outer_src4 : src4) :
		(f->ip_outer ? outer_src6 : src6);
	const uint8_t *dst = version == 4 ? (f->ip_outer ? outer_dst4 : dst4) :
		(f->ip_outer ? outer_dst6 : dst6);

	CASE_CHECK(c, pkt->ip_version == version);
	CASE_CHECK(c, memcmp(pkt->src_addr, src, n) == 0);
	CASE_CHECK(c, memcmp(pkt->dst_addr, dst, n) == 0);
	CASE_CHECK(c, pkt->l3_offset == f->ip);
	CASE_CHECK(c, pkt->l3_len == (c->l3_len != 0 ? c->l3_len :
				      version == 4 ? 20u : 40u));
	if (pkt->ip_version == 4) {
		uint8_t zero[12] = { 0 };
		/* No byte of an IPv6 header around it is left behind. */
		CASE_CHECK(c, memcmp(pkt->src_addr + 4, zero, 12) == 0);
	}
}

static void
check_encap(const struct encap_case *c, const struct dp_encap *e)
{
	const uint8_t *src = c->outer == 4 ? outer_src4 : outer_src6;
	const uint8_t *dst = c->outer == 4 ? outer_dst4 : outer_dst6;
	uint8_t n_layers = 0, n_vlans = 0;

	while (n_layers < DP_DECODE_LAYERS_MAX && c->layers[n_layers] != 0)
		n_layers++;
	while (n_vlans < DP_DECODE_VLAN_MAX && c->vlans[n_vlans] != 0)
		n_vlans++;
	CASE_CHECK(c, e->n_layers == n_layers);
	CASE_CHECK(c, memcmp(e->layers, c->layers, n_layers) == 0);
	CASE_CHECK(c, e->vlan_count == n_vlans);
	for (uint8_t i = 0; i < n_vlans; i++)
		CASE_CHECK(c, e->vlan_ids[i] == c->vlans[i]);
	CASE_CHECK(c, e->has_tunnel_id == c->has_id);
	CASE_CHECK(c, e->tunnel_id == c->id);
	CASE_CHECK(c, e->outer_ip_version == c->outer);
	if (c->outer != 0) {
		CASE_CHECK(c, memcmp(e->outer_src_addr, src,
				     c->outer == 4 ? 4 : 16) == 0);
		CASE_CHECK(c, memcmp(e->outer_dst_addr, dst,
				     c->outer == 4 ? 4 : 16) == 0);
	}
}

/* Cut anywhere from the first tunnel header on, with the lengths of the
 * headers around it made to agree: still malformed, whichever header of
 * the tunnel or the packet inside it is cut. */
static void
check_tunnel_cuts(const struct encap_case *c,
		  const struct dp_decode_config *cfg, const struct frame *f)
{
	struct dp_packet pkt;

	for (size_t at = f->tunnel; f->tunnel != 0 && at < f->len; at++) {
		struct frame cut = *f;

		cut.len = at;
		lengths_patch(&cut, f->tunnel);
		if (dp_decode(cfg, cut.b, cut.len, &pkt) != DP_DECODE_MALFORMED)
			fail_msg("%s: cut to %zu of %zu bytes, not malformed",
				 c->name, at, f->len);
	}
}

void
encap_cases_check(const struct encap_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct encap_case *c = &cases[i];
		const struct dp_decode_config *cfg = c->cfg != NULL ? c->cfg :
			&defaults;
		struct frame f;
		struct dp_packet pkt;

		build(&f, c->hdrs);
		enum dp_decode_status st = dp_decode(cfg, f.b, f.len, &pkt);
		if (st != c->status)
			fail_msg("%s: status %d, expected %d", c->name, st,
				 c->status);
		if (st == DP_DECODE_TOO_DEEP)
			CASE_CHECK(c, pkt.encap.n_layers == DP_DECODE_LAYERS_MAX);
		if (st != DP_DECODE_OK && st != DP_DECODE_FRAGMENT)
			continue;
		check_ip(c, &f, &pkt);
		check_encap(c, &pkt.encap);
		if (st == DP_DECODE_FRAGMENT)
			continue;
		CASE_CHECK(c, pkt.l4_proto == IPPROTO_UDP);
		CASE_CHECK(c, pkt.src_port == 40005 && pkt.dst_port == 514);
		CASE_CHECK(c, pkt.payload == f.b + f.len - BODY_LEN);
		CASE_CHECK(c, pkt.payload_len == BODY_LEN);
		for (size_t len = 0; len < f.len; len++)
			if (dp_decode(cfg, f.b, len, &pkt) != DP_DECODE_MALFORMED)
				fail_msg("%s: prefix of %zu bytes not malformed",
					 c->name, len);
		check_tunnel_cuts(c, cfg, &f);
	}
}

