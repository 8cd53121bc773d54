/* decode_tunnel.c -- GRE, ERSPAN, VXLAN and Geneve headers, one parser
 * each (decode_tunnel.h); decode.c decides which to call and walks on. */
#include <errno.h>
#include <string.h>

#include "decode_tunnel.h"

#define GRE_HLEN 4
#define GRE_C 0x8000               /* checksum and reserved1 present */
#define GRE_R 0x4000               /* RFC 1701 routing present */
#define GRE_K 0x2000               /* key present */
#define GRE_S 0x1000               /* sequence number present */
#define GRE_VERSION 0x0007
#define GRE_FIELD_LEN 4            /* each optional field */

#define ERSPAN_II_HLEN 8
#define ERSPAN_III_HLEN 12
#define ERSPAN_III_SUBHEADER_LEN 8 /* platform specific, when O is set */
#define ERSPAN_SESSION 0x03ff      /* of the second 16-bit word */
#define ERSPAN_III_O 0x01          /* of the last byte */

#define VXLAN_HLEN 8
#define VXLAN_I 0x08

#define GENEVE_HLEN 8
#define GENEVE_VERSION 0xc0
#define GENEVE_OPT_LEN 0x3f        /* in 4-byte words */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | rd24(p + 1);
}

int
dp_gre_parse(const uint8_t *p, size_t len, struct dp_tunnel_header *h)
{
	uint16_t flags;
	size_t off = GRE_HLEN;

	memset(h, 0, sizeof(*h));
	if (len < GRE_HLEN)
		return -EBADMSG;
	flags = rd16(p);
	if ((flags & GRE_VERSION) != 0 || (flags & GRE_R) != 0)
		return -EPROTONOSUPPORT;
	/* The optional fields come in the order of their flags. */
	if (flags & GRE_C)
		off += GRE_FIELD_LEN;
	if (flags & GRE_K) {
		if (len < off + GRE_FIELD_LEN)
			return -EBADMSG;
		h->has_id = true;
		h->id = rd32(p + off);
		off += GRE_FIELD_LEN;
	}
	if (flags & GRE_S)
		off += GRE_FIELD_LEN;
	if (len < off)
		return -EBADMSG;
	h->len = off;
	h->next = rd16(p + 2);
	h->gre_seq = (flags & GRE_S) != 0;
	return 0;
}

/* Type II and III share the first word: version, VLAN, and COS, the
 * encapsulation or BSO bits, T and the 10-bit session id. */
static int
erspan_common(const uint8_t *p, size_t len, size_t hlen, uint8_t version,
	      struct dp_tunnel_header *h)
{
	if (len < hlen)
		return -EBADMSG;
	if ((p[0] >> 4) != version)
		return -EPROTONOSUPPORT;
	h->len = hlen;
	h->next = DP_ETHERTYPE_TEB;
	h->has_id = true;
	h->id = rd16(p + 2) & ERSPAN_SESSION;
	return 0;
}

int
dp_erspan_parse(uint16_t gre_proto, bool gre_seq, const uint8_t *p,
		size_t len, struct dp_tunnel_header *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	if (gre_proto == DP_ETHERTYPE_ERSPAN_II && !gre_seq) {
		/* Type I: the mirrored frame right after GRE. */
		h->next = DP_ETHERTYPE_TEB;
		return 0;
	}
	if (gre_proto == DP_ETHERTYPE_ERSPAN_II)
		return erspan_common(p, len, ERSPAN_II_HLEN, 1, h);
	if (gre_proto != DP_ETHERTYPE_ERSPAN_III)
		return -EPROTONOSUPPORT;
	rc = erspan_common(p, len, ERSPAN_III_HLEN, 2, h);
	if (rc != 0)
		return rc;
	/* Frame type (5 bits of byte 10): 0 Ethernet; 2 (IP) is left. */
	if (((p[10] >> 2) & 0x1f) != 0)
		return -EPROTONOSUPPORT;
	if (p[11] & ERSPAN_III_O) {
		h->len += ERSPAN_III_SUBHEADER_LEN;
		if (len < h->len)
			return -EBADMSG;
	}
	return 0;
}

int
dp_vxlan_parse(const uint8_t *p, size_t len, struct dp_tunnel_header *h)
{
	memset(h, 0, sizeof(*h));
	if (len < VXLAN_HLEN)
		return -EBADMSG;
	/* Without I the VNI is not valid (RFC 7348): not VXLAN as we know
	 * it (VXLAN-GPE and others set other bits, on other ports). */
	if (!(p[0] & VXLAN_I))
		return -EPROTONOSUPPORT;
	h->len = VXLAN_HLEN;
	h->next = DP_ETHERTYPE_TEB;
	h->has_id = true;
	h->id = rd24(p + 4);
	return 0;
}

int
dp_geneve_parse(const uint8_t *p, size_t len, struct dp_tunnel_header *h)
{
	memset(h, 0, sizeof(*h));
	if (len < GENEVE_HLEN)
		return -EBADMSG;
	if ((p[0] & GENEVE_VERSION) != 0)
		return -EPROTONOSUPPORT;
	h->len = GENEVE_HLEN + (size_t)(p[0] & GENEVE_OPT_LEN) * 4;
	if (len < h->len)
		return -EBADMSG;
	h->next = rd16(p + 2);
	if (h->next != DP_ETHERTYPE_TEB && h->next != 0x0800 &&
	    h->next != 0x86dd)
		return -EPROTONOSUPPORT;
	h->has_id = true;
	h->id = rd24(p + 4);
	return 0;
}
