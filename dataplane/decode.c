/* decode.c -- one frame down to its innermost IP packet: Ethernet and
 * VLAN tags, PPPoE, MPLS, IPv4/IPv6, IP-in-IP, UDP/TCP, and the tunnels
 * whose headers decode_tunnel.c reads. Every layer is a small function
 * that checks its header, notes the layer and calls the next. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "decode.h"
#include "decode_tunnel.h"

#define DECODE_ETH_HLEN 14
#define DECODE_VLAN_HLEN 4
#define DECODE_ETHERTYPE_IPV4 0x0800
#define DECODE_ETHERTYPE_IPV6 0x86dd
#define DECODE_ETHERTYPE_PPPOE_DISCOVERY 0x8863
#define DECODE_ETHERTYPE_PPPOE_SESSION 0x8864
#define DECODE_ETHERTYPE_MPLS 0x8847
#define DECODE_ETHERTYPE_MPLS_MULTICAST 0x8848
#define DECODE_TPID_8021Q 0x8100
#define DECODE_TPID_8021AD 0x88a8
#define DECODE_TPID_QINQ_OLD 0x9100

/* PPPoE session header (RFC 2516): version and type (0x11), code (0 for
 * session data), session id, length of the PPP frame that follows. */
#define DECODE_PPPOE_HLEN 6
#define DECODE_PPPOE_VER_TYPE 0x11
#define DECODE_PPP_PROTO_LEN 2
#define DECODE_PPP_IPV4 0x0021
#define DECODE_PPP_IPV6 0x0057

#define DECODE_MPLS_LABEL_LEN 4
#define DECODE_MPLS_BOS 0x01       /* bottom of stack, in a label's byte 2 */
#define DECODE_PW_CW_LEN 4         /* pseudowire control word (RFC 4448) */

#define DECODE_IPV4_HLEN 20
#define DECODE_IPV4_MF 0x2000
#define DECODE_IPV4_OFFSET 0x1fff
#define DECODE_IPV6_HLEN 40
/* Fragment offset (13 bits) and M flag of the IPv6 fragment header. */
#define DECODE_IPV6_FRAG_MASK 0xfff9
#define DECODE_IPV6_EXT_MIN 8

#define DECODE_UDP_HLEN 8
#define DECODE_TCP_HLEN 20

/* One decode: the buffer offsets are taken from, and the packet filled. */
struct decode_ctx {
	const struct dp_decode_config *cfg;
	const uint8_t *base;
	struct dp_packet *pkt;
};

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The walk recurses: what a tunnel carries starts over at Ethernet or IP.
 * Every way back there goes through layer_push(), so the recursion is no
 * deeper than DP_DECODE_LAYERS_MAX layers (each a few calls). Past them
 * the frame is DP_DECODE_TOO_DEEP: an encapsulation loop, or traffic
 * nested to get past us, which the worker counts apart from "other".
 */
static enum dp_decode_status decode_ether(struct decode_ctx *c,
					  const uint8_t *p, size_t len);
static enum dp_decode_status decode_ethertype(struct decode_ctx *c,
					      uint16_t type, const uint8_t *p,
					      size_t len);
static enum dp_decode_status decode_ip(struct decode_ctx *c, uint8_t version,
				       const uint8_t *p, size_t len);

/* Notes a layer; false when there is no room left for it. */
static bool
layer_push(struct decode_ctx *c, enum dp_encap_layer layer)
{
	struct dp_encap *e = &c->pkt->encap;

	if (e->n_layers == DP_DECODE_LAYERS_MAX)
		return false;
	e->layers[e->n_layers++] = (uint8_t)layer;
	return true;
}

/* Notes a tunnel carried by the IP header decoded last (still in pkt):
 * the first such header is the outer endpoints, the first id the
 * tunnel's. h is NULL for IP-in-IP, which has no header of its own. */
static bool
tunnel_push(struct decode_ctx *c, enum dp_encap_layer layer,
	    const struct dp_tunnel_header *h)
{
	struct dp_packet *pkt = c->pkt;
	struct dp_encap *e = &pkt->encap;

	if (!layer_push(c, layer))
		return false;
	if (e->outer_ip_version == 0) {
		e->outer_ip_version = pkt->ip_version;
		memcpy(e->outer_src_addr, pkt->src_addr, sizeof(pkt->src_addr));
		memcpy(e->outer_dst_addr, pkt->dst_addr, sizeof(pkt->dst_addr));
	}
	if (h != NULL && h->has_id && !e->has_tunnel_id) {
		e->has_tunnel_id = true;
		e->tunnel_id = h->id;
	}
	return true;
}

/* A tunnel parser's -errno as a status. */
static enum dp_decode_status
tunnel_status(int rc)
{
	return rc == -EBADMSG ? DP_DECODE_MALFORMED : DP_DECODE_OTHER;
}

/* What a tunnel header says follows it: an Ethernet frame, or what its
 * ethertype names. */
static enum dp_decode_status
decode_inner(struct decode_ctx *c, uint16_t next, const uint8_t *p,
	     size_t len)
{
	if (next == DP_ETHERTYPE_TEB)
		return decode_ether(c, p, len);
	return decode_ethertype(c, next, p, len);
}

/*
 * L4: UDP (or a tunnel over it) and TCP of the innermost packet.
 */

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

/* VXLAN or Geneve: the UDP payload. */
static enum dp_decode_status
decode_udp_tunnel(struct decode_ctx *c, enum dp_encap_layer layer,
		  const uint8_t *p, size_t len)
{
	struct dp_tunnel_header h;
	int rc = layer == DP_ENCAP_VXLAN ? dp_vxlan_parse(p, len, &h) :
		dp_geneve_parse(p, len, &h);

	if (rc != 0)
		return tunnel_status(rc);
	if (!tunnel_push(c, layer, &h))
		return DP_DECODE_TOO_DEEP;
	return decode_inner(c, h.next, p + h.len, len - h.len);
}

/* The destination port alone says VXLAN or Geneve (as the IANA ports are
 * meant): the source port of both is a flow hash. */
static enum dp_decode_status
decode_udp(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	const struct dp_decode_config *cfg = c->cfg;
	size_t udp_len;
	uint16_t dst;

	if (len < DECODE_UDP_HLEN)
		return DP_DECODE_MALFORMED;
	udp_len = rd16(p + 4);
	if (udp_len < DECODE_UDP_HLEN || udp_len > len)
		return DP_DECODE_MALFORMED;
	dst = rd16(p + 2);
	if (cfg->vxlan_port != 0 && dst == cfg->vxlan_port)
		return decode_udp_tunnel(c, DP_ENCAP_VXLAN, p + DECODE_UDP_HLEN,
					 udp_len - DECODE_UDP_HLEN);
	if (cfg->geneve_port != 0 && dst == cfg->geneve_port)
		return decode_udp_tunnel(c, DP_ENCAP_GENEVE, p + DECODE_UDP_HLEN,
					 udp_len - DECODE_UDP_HLEN);
	return decode_l4_done(c->pkt, IPPROTO_UDP, p, p + DECODE_UDP_HLEN,
			      udp_len - DECODE_UDP_HLEN);
}

static enum dp_decode_status
decode_tcp(struct dp_packet *pkt, const uint8_t *p, size_t len)
{
	size_t hlen;

	if (len < DECODE_TCP_HLEN)
		return DP_DECODE_MALFORMED;
	hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < DECODE_TCP_HLEN || hlen > len)
		return DP_DECODE_MALFORMED;
	pkt->tcp_seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
		(uint32_t)p[6] << 8 | p[7];
	pkt->tcp_flags = p[13];
	return decode_l4_done(pkt, IPPROTO_TCP, p, p + hlen, len - hlen);
}

/*
 * Tunnels over IP: GRE (and ERSPAN in it), IP-in-IP.
 */

/* ERSPAN under a GRE header; the mirrored Ethernet frame follows. */
static enum dp_decode_status
decode_erspan(struct decode_ctx *c, const struct dp_tunnel_header *gre,
	      const uint8_t *p, size_t len)
{
	struct dp_tunnel_header h;
	int rc = dp_erspan_parse(gre->next, gre->gre_seq, p, len, &h);

	if (rc != 0)
		return tunnel_status(rc);
	if (!tunnel_push(c, DP_ENCAP_ERSPAN, &h))
		return DP_DECODE_TOO_DEEP;
	return decode_ether(c, p + h.len, len - h.len);
}

static enum dp_decode_status
decode_gre(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	struct dp_tunnel_header h;
	int rc = dp_gre_parse(p, len, &h);

	if (rc != 0)
		return tunnel_status(rc);
	if (!tunnel_push(c, DP_ENCAP_GRE, &h))
		return DP_DECODE_TOO_DEEP;
	if (h.next == DP_ETHERTYPE_ERSPAN_II || h.next == DP_ETHERTYPE_ERSPAN_III)
		return decode_erspan(c, &h, p + h.len, len - h.len);
	return decode_inner(c, h.next, p + h.len, len - h.len);
}

static enum dp_decode_status
decode_ipip(struct decode_ctx *c, uint8_t version, const uint8_t *p,
	    size_t len)
{
	if (!tunnel_push(c, DP_ENCAP_IPIP, NULL))
		return DP_DECODE_TOO_DEEP;
	return decode_ip(c, version, p, len);
}

/* len is what the IP header says its payload holds. */
static enum dp_decode_status
decode_ip_payload(struct decode_ctx *c, uint8_t proto, const uint8_t *p,
		  size_t len)
{
	switch (proto) {
	case IPPROTO_UDP:
		return decode_udp(c, p, len);
	case IPPROTO_TCP:
		return decode_tcp(c->pkt, p, len);
	case IPPROTO_IPIP:
		return decode_ipip(c, 4, p, len);
	case IPPROTO_IPV6:
		return decode_ipip(c, 6, p, len);
	case IPPROTO_GRE:
		return decode_gre(c, p, len);
	default:
		return DP_DECODE_OTHER;     /* ICMP, ESP, SCTP, ... */
	}
}

/*
 * IP. Each header decoded sets the packet's addresses and l3 fields, so
 * that the innermost one's are what stays.
 */

static void
ip_set(struct decode_ctx *c, uint8_t version, const uint8_t *ip,
       const uint8_t *src, const uint8_t *dst, size_t addr_len)
{
	struct dp_packet *pkt = c->pkt;

	pkt->ip_version = version;
	/* An IPv4 header inside IPv6 leaves no IPv6 bytes behind. */
	memset(pkt->src_addr, 0, sizeof(pkt->src_addr));
	memset(pkt->dst_addr, 0, sizeof(pkt->dst_addr));
	memcpy(pkt->src_addr, src, addr_len);
	memcpy(pkt->dst_addr, dst, addr_len);
	pkt->l3_offset = (uint32_t)(ip - c->base);
}

static enum dp_decode_status
decode_ipv4(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	size_t hlen, total;

	if (len < DECODE_IPV4_HLEN || (p[0] >> 4) != 4)
		return DP_DECODE_MALFORMED;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	total = rd16(p + 2);
	/* total bounds the packet: bytes past it are Ethernet padding. */
	if (hlen < DECODE_IPV4_HLEN || total < hlen || total > len)
		return DP_DECODE_MALFORMED;
	ip_set(c, 4, p, p + 12, p + 16, 4);
	c->pkt->l3_len = (uint32_t)hlen;
	if (rd16(p + 6) & (DECODE_IPV4_MF | DECODE_IPV4_OFFSET))
		return DP_DECODE_FRAGMENT;
	return decode_ip_payload(c, p[9], p + hlen, total - hlen);
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
		return 0;       /* L4, ESP (encrypted: other), no next */
	}
	return ext_len <= len ? (long)ext_len : -1;
}

static enum dp_decode_status
decode_ipv6(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	const uint8_t *ip = p;
	size_t plen;
	uint8_t nh;
	long ext_len;

	if (len < DECODE_IPV6_HLEN || (p[0] >> 4) != 6)
		return DP_DECODE_MALFORMED;
	plen = rd16(p + 4);
	if (plen > len - DECODE_IPV6_HLEN)
		return DP_DECODE_MALFORMED;
	ip_set(c, 6, p, p + 8, p + 24, 16);
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
		    (rd16(p + 2) & DECODE_IPV6_FRAG_MASK) != 0) {
			c->pkt->l3_len = (uint32_t)(p + ext_len - ip);
			return DP_DECODE_FRAGMENT;
		}
		nh = p[0];
		p += ext_len;
		len -= (size_t)ext_len;
	}
	c->pkt->l3_len = (uint32_t)(p - ip);
	return decode_ip_payload(c, nh, p, len);
}

static enum dp_decode_status
decode_ip(struct decode_ctx *c, uint8_t version, const uint8_t *p, size_t len)
{
	switch (version) {
	case 4:
		return decode_ipv4(c, p, len);
	case 6:
		return decode_ipv6(c, p, len);
	default:
		return DP_DECODE_MALFORMED;
	}
}

/*
 * Below IP: PPPoE, MPLS, Ethernet and its tags.
 */

/* A PPPoE session header and the PPP protocol, two bytes or, compressed
 * (RFC 1661 section 6.5: a protocol number's first byte is even, its
 * last odd, so an odd first byte is a one-byte protocol), one. */
static enum dp_decode_status
decode_pppoe(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	size_t ppp_len, proto_len;
	uint16_t proto;

	if (len < DECODE_PPPOE_HLEN + DECODE_PPP_PROTO_LEN)
		return DP_DECODE_MALFORMED;
	if (p[0] != DECODE_PPPOE_VER_TYPE || p[1] != 0)
		return DP_DECODE_OTHER;
	/* The PPP frame, protocol included; what is past it is padding. */
	ppp_len = rd16(p + 4);
	proto_len = (p[DECODE_PPPOE_HLEN] & 1) ? 1 : DECODE_PPP_PROTO_LEN;
	if (ppp_len < proto_len || ppp_len > len - DECODE_PPPOE_HLEN)
		return DP_DECODE_MALFORMED;
	if (!layer_push(c, DP_ENCAP_PPPOE))
		return DP_DECODE_TOO_DEEP;
	proto = proto_len == 1 ? p[DECODE_PPPOE_HLEN] :
		rd16(p + DECODE_PPPOE_HLEN);
	p += DECODE_PPPOE_HLEN + proto_len;
	len = ppp_len - proto_len;
	switch (proto) {
	case DECODE_PPP_IPV4:
		return decode_ipv4(c, p, len);
	case DECODE_PPP_IPV6:
		return decode_ipv6(c, p, len);
	default:
		return DP_DECODE_OTHER;     /* LCP, IPCP, ... */
	}
}

/* The label stack, then what its payload's first nibble says, as
 * Wireshark and Suricata guess it: 4 IPv4, 6 IPv6, 0 a pseudowire
 * control word and an Ethernet frame. */
static enum dp_decode_status
decode_mpls(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	size_t off = 0;

	do {
		if (len - off < DECODE_MPLS_LABEL_LEN)
			return DP_DECODE_MALFORMED;
		off += DECODE_MPLS_LABEL_LEN;
	} while (!(p[off - 2] & DECODE_MPLS_BOS));
	if (off == len)
		return DP_DECODE_MALFORMED;
	if (!layer_push(c, DP_ENCAP_MPLS))
		return DP_DECODE_TOO_DEEP;
	p += off;
	len -= off;
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(c, p, len);
	case 6:
		return decode_ipv6(c, p, len);
	case 0:
		if (len < DECODE_PW_CW_LEN)
			return DP_DECODE_MALFORMED;
		return decode_ether(c, p + DECODE_PW_CW_LEN,
				    len - DECODE_PW_CW_LEN);
	default:
		return DP_DECODE_OTHER;     /* an associated channel, ... */
	}
}

static enum dp_decode_status
decode_ethertype(struct decode_ctx *c, uint16_t type, const uint8_t *p,
		 size_t len)
{
	switch (type) {
	case DECODE_ETHERTYPE_IPV4:
		return decode_ipv4(c, p, len);
	case DECODE_ETHERTYPE_IPV6:
		return decode_ipv6(c, p, len);
	case DECODE_ETHERTYPE_PPPOE_SESSION:
		return decode_pppoe(c, p, len);
	case DECODE_ETHERTYPE_MPLS:
	case DECODE_ETHERTYPE_MPLS_MULTICAST:
		return decode_mpls(c, p, len);
	case DECODE_ETHERTYPE_PPPOE_DISCOVERY:
	default:
		return DP_DECODE_OTHER;     /* ARP, LLDP, 802.3 lengths, ... */
	}
}

static int
is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == DECODE_TPID_8021Q ||
		ethertype == DECODE_TPID_8021AD ||
		ethertype == DECODE_TPID_QINQ_OLD;
}

static enum dp_decode_status
decode_ether(struct decode_ctx *c, const uint8_t *p, size_t len)
{
	struct dp_encap *e = &c->pkt->encap;
	size_t off = DECODE_ETH_HLEN;
	uint16_t ethertype;

	if (len < DECODE_ETH_HLEN)
		return DP_DECODE_MALFORMED;
	/* The tags kept are the innermost frame's: a tunnel's frame
	 * replaces those of the frame around it. */
	e->vlan_count = 0;
	memset(e->vlan_ids, 0, sizeof(e->vlan_ids));
	ethertype = rd16(p + 12);
	while (is_vlan_tpid(ethertype)) {
		/* More tags than we record: not traffic we expect. */
		if (e->vlan_count == DP_DECODE_VLAN_MAX)
			return DP_DECODE_OTHER;
		if (len - off < DECODE_VLAN_HLEN)
			return DP_DECODE_MALFORMED;
		if (!layer_push(c, DP_ENCAP_VLAN))
			return DP_DECODE_TOO_DEEP;
		e->vlan_ids[e->vlan_count++] = rd16(p + off) & 0x0fff;
		ethertype = rd16(p + off + 2);
		off += DECODE_VLAN_HLEN;
	}
	return decode_ethertype(c, ethertype, p + off, len - off);
}

/*
 * The API.
 */

enum dp_decode_status
dp_decode(const struct dp_decode_config *cfg, const uint8_t *frame,
	  size_t len, struct dp_packet *pkt)
{
	struct decode_ctx c = { .cfg = cfg, .base = frame, .pkt = pkt };

	memset(pkt, 0, sizeof(*pkt));
	if (cfg->raw_ip) {
		if (len == 0)
			return DP_DECODE_MALFORMED;
		return decode_ip(&c, frame[0] >> 4, frame, len);
	}
	return decode_ether(&c, frame, len);
}

enum dp_decode_status
dp_decode_ip(const struct dp_decode_config *cfg, uint8_t version,
	     const uint8_t *ip, size_t len, struct dp_packet *pkt)
{
	struct decode_ctx c = { .cfg = cfg, .base = ip, .pkt = pkt };
	struct dp_encap encap = pkt->encap;

	memset(pkt, 0, sizeof(*pkt));
	pkt->encap = encap;
	return decode_ip(&c, version, ip, len);
}

const char *
dp_encap_layer_name(uint8_t layer)
{
	static const char *const names[] = {
		[DP_ENCAP_VLAN] = "vlan",
		[DP_ENCAP_PPPOE] = "pppoe",
		[DP_ENCAP_MPLS] = "mpls",
		[DP_ENCAP_GRE] = "gre",
		[DP_ENCAP_ERSPAN] = "erspan",
		[DP_ENCAP_VXLAN] = "vxlan",
		[DP_ENCAP_GENEVE] = "geneve",
		[DP_ENCAP_IPIP] = "ipip",
	};

	if (layer >= sizeof(names) / sizeof(names[0]) || names[layer] == NULL)
		return "unknown";
	return names[layer];
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
	uint8_t proto = pkt->l4_proto;
	int order = memcmp(a, b, n);
	uint32_t hash = 2166136261u;   /* FNV-1a */

	/* TCP by its addresses alone, as a fragment is: a segment that came
	 * in fragments is reassembled on its stream's worker. */
	if (proto == IPPROTO_TCP) {
		port_a = port_b = 0;
		proto = 0;
	}

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
	return (hash ^ proto) * 16777619u;
}
