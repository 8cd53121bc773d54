/* decode.c -- Ethernet, VLAN, IPv4/IPv6 and UDP/TCP header decoding of one frame. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "decode.h"

#define DECODE_ETH_HLEN 14
#define DECODE_VLAN_HLEN 4
#define DECODE_ETHERTYPE_IPV4 0x0800
#define DECODE_ETHERTYPE_IPV6 0x86dd
#define DECODE_TPID_8021Q 0x8100
#define DECODE_TPID_8021AD 0x88a8
#define DECODE_TPID_QINQ_OLD 0x9100

#define DECODE_IPV4_HLEN 20
#define DECODE_IPV4_MF 0x2000
#define DECODE_IPV4_OFFSET 0x1fff
#define DECODE_IPV6_HLEN 40
/* Fragment offset (13 bits) and M flag of the IPv6 fragment header. */
#define DECODE_IPV6_FRAG_MASK 0xfff9
#define DECODE_IPV6_EXT_MIN 8

#define DECODE_UDP_HLEN 8
#define DECODE_TCP_HLEN 20

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int
is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == DECODE_TPID_8021Q ||
		ethertype == DECODE_TPID_8021AD ||
		ethertype == DECODE_TPID_QINQ_OLD;
}

/* Sets the L4 fields shared by UDP and TCP. */
static enum dp_decode_status
decode_l4_done(struct dp_packet *pkt, uint8_t proto, const uint8_t *l4,
	       const uint8_t *payload, size_t payload_len)
{
	pkt->l4_proto = proto;
	pkt->src_port = rd16(l4);
	pkt->dst_port = rd16(l4 + 2);
	pkt->payload = payload;
	pkt->payload_len = (uint32_t)payload_len;
	return DP_DECODE_OK;
}

static enum dp_decode_status
decode_udp(const uint8_t *p, size_t len, struct dp_packet *pkt)
{
	size_t udp_len;

	if (len < DECODE_UDP_HLEN)
		return DP_DECODE_MALFORMED;
	udp_len = rd16(p + 4);
	if (udp_len < DECODE_UDP_HLEN || udp_len > len)
		return DP_DECODE_MALFORMED;
	return decode_l4_done(pkt, IPPROTO_UDP, p, p + DECODE_UDP_HLEN,
			      udp_len - DECODE_UDP_HLEN);
}

static enum dp_decode_status
decode_tcp(const uint8_t *p, size_t len, struct dp_packet *pkt)
{
	size_t hlen;

	if (len < DECODE_TCP_HLEN)
		return DP_DECODE_MALFORMED;
	hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < DECODE_TCP_HLEN || hlen > len)
		return DP_DECODE_MALFORMED;
	return decode_l4_done(pkt, IPPROTO_TCP, p, p + hlen, len - hlen);
}

/* len is what the IP header says the L4 part holds. */
static enum dp_decode_status
decode_l4(uint8_t proto, const uint8_t *p, size_t len, struct dp_packet *pkt)
{
	switch (proto) {
	case IPPROTO_UDP:
		return decode_udp(p, len, pkt);
	case IPPROTO_TCP:
		return decode_tcp(p, len, pkt);
	default:
		return DP_DECODE_OTHER;
	}
}

static enum dp_decode_status
decode_ipv4(const uint8_t *p, size_t len, struct dp_packet *pkt)
{
	size_t hlen, total;

	if (len < DECODE_IPV4_HLEN || (p[0] >> 4) != 4)
		return DP_DECODE_MALFORMED;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	total = rd16(p + 2);
	/* total bounds the packet: bytes past it are Ethernet padding. */
	if (hlen < DECODE_IPV4_HLEN || total < hlen || total > len)
		return DP_DECODE_MALFORMED;
	pkt->ip_version = 4;
	memcpy(pkt->src_addr, p + 12, 4);
	memcpy(pkt->dst_addr, p + 16, 4);
	if (rd16(p + 6) & (DECODE_IPV4_MF | DECODE_IPV4_OFFSET))
		return DP_DECODE_FRAGMENT;
	return decode_l4(p[9], p + hlen, total - hlen, pkt);
}

/* Returns the length of extension header nh at p, 0 if nh is not an
 * extension header we walk over, or -1 if it is truncated. */
static long
ipv6_ext_len(uint8_t nh, const uint8_t *p, size_t len)
{
	size_t ext_len;

	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		if (len < DECODE_IPV6_EXT_MIN)
			return -1;
		ext_len = ((size_t)p[1] + 1) * 8;
		break;
	case IPPROTO_AH:
		if (len < DECODE_IPV6_EXT_MIN)
			return -1;
		ext_len = ((size_t)p[1] + 2) * 4;
		break;
	case IPPROTO_FRAGMENT:
		ext_len = DECODE_IPV6_EXT_MIN;
		break;
	default:
		return 0;
	}
	return ext_len <= len ? (long)ext_len : -1;
}

static enum dp_decode_status
decode_ipv6(const uint8_t *p, size_t len, struct dp_packet *pkt)
{
	size_t plen;
	uint8_t nh;
	long ext_len;

	if (len < DECODE_IPV6_HLEN || (p[0] >> 4) != 6)
		return DP_DECODE_MALFORMED;
	plen = rd16(p + 4);
	if (plen > len - DECODE_IPV6_HLEN)
		return DP_DECODE_MALFORMED;
	pkt->ip_version = 6;
	memcpy(pkt->src_addr, p + 8, 16);
	memcpy(pkt->dst_addr, p + 24, 16);
	nh = p[6];
	p += DECODE_IPV6_HLEN;
	len = plen;
	/* Each header is at least 8 bytes long, so the walk ends. */
	while ((ext_len = ipv6_ext_len(nh, p, len)) != 0) {
		if (ext_len < 0)
			return DP_DECODE_MALFORMED;
		/* An atomic fragment (offset 0, M clear) is a whole
		 * packet (RFC 6946), so only real fragments stop here. */
		if (nh == IPPROTO_FRAGMENT &&
		    (rd16(p + 2) & DECODE_IPV6_FRAG_MASK) != 0)
			return DP_DECODE_FRAGMENT;
		nh = p[0];
		p += ext_len;
		len -= (size_t)ext_len;
	}
	return decode_l4(nh, p, len, pkt);
}

enum dp_decode_status
dp_decode(const uint8_t *frame, size_t len, struct dp_packet *pkt)
{
	size_t off = DECODE_ETH_HLEN;
	uint16_t ethertype;

	memset(pkt, 0, sizeof(*pkt));
	if (len < DECODE_ETH_HLEN)
		return DP_DECODE_MALFORMED;
	ethertype = rd16(frame + 12);
	while (is_vlan_tpid(ethertype)) {
		/* More tags than we record: not traffic we expect. */
		if (pkt->vlan_count == DP_DECODE_VLAN_MAX)
			return DP_DECODE_OTHER;
		if (len - off < DECODE_VLAN_HLEN)
			return DP_DECODE_MALFORMED;
		pkt->vlan_ids[pkt->vlan_count++] = rd16(frame + off) & 0x0fff;
		ethertype = rd16(frame + off + 2);
		off += DECODE_VLAN_HLEN;
	}
	switch (ethertype) {
	case DECODE_ETHERTYPE_IPV4:
		return decode_ipv4(frame + off, len - off, pkt);
	case DECODE_ETHERTYPE_IPV6:
		return decode_ipv6(frame + off, len - off, pkt);
	default:
		return DP_DECODE_OTHER;
	}
}

const char *
dp_addr_format(uint8_t ip_version, const uint8_t *addr, char *buf,
	       size_t size)
{
	int af;

	switch (ip_version) {
	case 4:
		af = AF_INET;
		break;
	case 6:
		af = AF_INET6;
		break;
	default:
		errno = EAFNOSUPPORT;
		return NULL;
	}
	/* inet_ntop takes a socklen_t; a larger buffer is never needed. */
	if (size > INET6_ADDRSTRLEN)
		size = INET6_ADDRSTRLEN;
	return inet_ntop(af, addr, buf, (socklen_t)size);
}

uint32_t
dp_flow_hash(const struct dp_packet *pkt)
{
	size_t n = pkt->ip_version == 6 ? 16 : 4;
	const uint8_t *a = pkt->src_addr, *b = pkt->dst_addr;
	uint16_t port_a = pkt->src_port, port_b = pkt->dst_port;
	int order = memcmp(a, b, n);
	uint32_t hash = 2166136261u;   /* FNV-1a */

	/* The lower endpoint first, so both directions hash alike. */
	if (order > 0 || (order == 0 && port_a > port_b)) {
		const uint8_t *t = a;
		a = b;
		b = t;
		uint16_t p = port_a;
		port_a = port_b;
		port_b = p;
	}
	for (size_t i = 0; i < n; i++)
		hash = (hash ^ a[i]) * 16777619u;
	for (size_t i = 0; i < n; i++)
		hash = (hash ^ b[i]) * 16777619u;
	hash = (hash ^ (port_a >> 8)) * 16777619u;
	hash = (hash ^ (port_a & 0xff)) * 16777619u;
	hash = (hash ^ (port_b >> 8)) * 16777619u;
	hash = (hash ^ (port_b & 0xff)) * 16777619u;
	return (hash ^ pkt->l4_proto) * 16777619u;
}
