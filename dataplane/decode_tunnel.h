/* decode_tunnel.h -- the tunnel headers SPAN traffic arrives in: GRE,
 * ERSPAN, VXLAN, Geneve. Each parser reads one header from plain bytes
 * and says how long it is and what follows it; decode.c walks the layers
 * and keeps the tunnel's description. No DPDK: they test and fuzz through
 * dp_decode(). */
#ifndef IOCSIFT_DATAPLANE_DECODE_TUNNEL_H
#define IOCSIFT_DATAPLANE_DECODE_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What follows a tunnel header is named by an ethertype; an Ethernet
 * frame by Transparent Ethernet Bridging's. */
#define DP_ETHERTYPE_TEB 0x6558
#define DP_ETHERTYPE_ERSPAN_II 0x88be    /* type I too, without GRE S */
#define DP_ETHERTYPE_ERSPAN_III 0x22eb

struct dp_tunnel_header {
	size_t len;                /* bytes of the header, options included */
	uint16_t next;             /* the ethertype of what follows */
	bool has_id;
	uint32_t id;               /* GRE key, ERSPAN session, VNI */
	bool gre_seq;              /* GRE: S set (ERSPAN type II, not I) */
};

/*
 * Each returns 0 with h filled, -EBADMSG when the header is truncated or
 * its fields contradict each other, -EPROTONOSUPPORT for a version,
 * flag or payload not decoded here (the frame is then "other").
 */

/* GRE version 0 (RFC 2784, 2890): the checksum, key and sequence number
 * fields when present; the checksum is not verified. Routing (RFC 1701)
 * and version 1 (PPTP) are not decoded. */
int dp_gre_parse(const uint8_t *p, size_t len, struct dp_tunnel_header *h);

/* ERSPAN under GRE protocol gre_proto: type I (0x88be without a GRE
 * sequence number: no header), II (0x88be, 8 bytes), III (0x22eb, 12
 * bytes and the 8-byte platform-specific subheader when O is set). An
 * Ethernet frame follows. */
int dp_erspan_parse(uint16_t gre_proto, bool gre_seq, const uint8_t *p,
		    size_t len, struct dp_tunnel_header *h);

/* VXLAN (RFC 7348): 8 bytes, the I flag set, then an Ethernet frame. */
int dp_vxlan_parse(const uint8_t *p, size_t len, struct dp_tunnel_header *h);

/* Geneve (RFC 8926) version 0: 8 bytes and the options, then what the
 * protocol type says: Ethernet, IPv4 or IPv6. */
int dp_geneve_parse(const uint8_t *p, size_t len,
		    struct dp_tunnel_header *h);

#endif
