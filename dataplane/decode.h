/* decode.h -- one frame down to its innermost IP packet: Ethernet,
 * 802.1Q/QinQ, PPPoE, MPLS, IP-in-IP, GRE, ERSPAN, VXLAN and Geneve
 * around IPv4/IPv6 and UDP/TCP. Works on plain bytes so it tests and
 * fuzzes without EAL. */
#ifndef IOCSIFT_DATAPLANE_DECODE_H
#define IOCSIFT_DATAPLANE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tags read in one Ethernet header; a header with more is OTHER. */
#define DP_DECODE_VLAN_MAX 2
/* Encapsulation layers (enum dp_encap_layer) one frame may hold, VLAN
 * tags included; a frame with more is DP_DECODE_TOO_DEEP. */
#define DP_DECODE_LAYERS_MAX 8

/* The IANA ports, the defaults of [dataplane] vxlan_port and geneve_port. */
#define DP_DECODE_VXLAN_PORT 4789
#define DP_DECODE_GENEVE_PORT 6081

enum dp_decode_status {
	DP_DECODE_OK,          /* IPv4/IPv6 + UDP or TCP, payload set */
	DP_DECODE_MALFORMED,   /* a header is truncated or its lengths lie */
	DP_DECODE_FRAGMENT,    /* an IP fragment (not reassembled yet) */
	DP_DECODE_OTHER,       /* well formed but not IP, UDP or TCP */
	/* More than DP_DECODE_LAYERS_MAX layers. Not OTHER: such a frame
	 * may well carry syslog or DNS that goes unmatched, so the worker
	 * counts it apart (too_deep) where an operator sees it. */
	DP_DECODE_TOO_DEEP,
};

/* Which UDP destination ports carry a tunnel; 0 turns one off. */
struct dp_decode_config {
	uint16_t vxlan_port;
	uint16_t geneve_port;
	/* Frames start at the IP header, no Ethernet: captures of link type
	 * RAW (replay; a NIC always gives Ethernet). */
	bool raw_ip;
};

#define DP_DECODE_CONFIG_DEFAULT { \
	.vxlan_port = DP_DECODE_VXLAN_PORT, \
	.geneve_port = DP_DECODE_GENEVE_PORT, \
}

enum dp_encap_layer {
	DP_ENCAP_VLAN = 1,     /* one 802.1Q/802.1ad tag */
	DP_ENCAP_PPPOE,        /* a PPPoE session header and PPP protocol */
	DP_ENCAP_MPLS,         /* a label stack (and pseudowire control word) */
	DP_ENCAP_GRE,
	DP_ENCAP_ERSPAN,       /* type I, II or III */
	DP_ENCAP_VXLAN,
	DP_ENCAP_GENEVE,
	DP_ENCAP_IPIP,         /* an IP header around another (proto 4, 41) */
};

/* How the packet was delivered: every layer around its innermost IP
 * header (docs/events.md, iocsift.encapsulation). */
struct dp_encap {
	uint8_t layers[DP_DECODE_LAYERS_MAX];   /* enum dp_encap_layer, outer first */
	uint8_t n_layers;
	/* The tags of the innermost Ethernet header (the packet's own), outer
	 * tag first, PCP and DEI masked off. */
	uint8_t vlan_count;
	uint16_t vlan_ids[DP_DECODE_VLAN_MAX];
	/* The outermost tunnel that has an id: VXLAN or Geneve VNI, GRE key,
	 * else the ERSPAN session under that GRE. */
	bool has_tunnel_id;
	uint32_t tunnel_id;
	/* The IP header around the outermost tunnel over IP (GRE, VXLAN,
	 * Geneve, IP-in-IP); version 0 when there is none. */
	uint8_t outer_ip_version;
	uint8_t outer_src_addr[16];
	uint8_t outer_dst_addr[16];
};

struct dp_packet {
	/* The innermost IP packet. */
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t l4_proto;          /* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t src_port;         /* host byte order */
	uint16_t dst_port;
	uint8_t src_addr[16];      /* IPv4 in the first 4 bytes */
	uint8_t dst_addr[16];
	const uint8_t *payload;    /* points into the frame */
	uint32_t payload_len;
	/* TCP: the sequence number and the flags byte (FIN 0x01, SYN 0x02,
	 * RST 0x04, ACK 0x10...); zero for UDP. */
	uint32_t tcp_seq;
	uint8_t tcp_flags;
	/* Where its IP header is in the buffer decoded, and that header's
	 * length: IPv4 options included; IPv6 extension headers up to the
	 * L4 header, or up to and including the fragment header of a
	 * fragment. Set for OK and FRAGMENT (mbuf l2_len and l3_len). */
	uint32_t l3_offset;
	uint32_t l3_len;
	struct dp_encap encap;
};

/* Decodes one frame, every encapsulation in any order (docs/matching.md,
 * "Where iocsift looks"). Each IP, UDP, PPPoE or tunnel length bounds
 * what it carries, so Ethernet padding is never taken for payload. On
 * FRAGMENT the fields of the fragment's IP header are set (version,
 * addresses, l3_offset, l3_len) and pkt->encap holds the layers around
 * it. cfg says which UDP ports carry VXLAN and Geneve. */
enum dp_decode_status dp_decode(const struct dp_decode_config *cfg,
				const uint8_t *frame, size_t len,
				struct dp_packet *pkt);

/* Decodes from an IP header of the given version (4 or 6) on, and any
 * tunnel inside it: for a datagram reassembled from the fragments
 * dp_decode() reported. pkt->encap is kept (the layers found around a
 * fragment, and the nesting limit counts on from them); every other field
 * is set anew, l3_offset from ip. A version other than 4 or 6 is
 * MALFORMED. */
enum dp_decode_status dp_decode_ip(const struct dp_decode_config *cfg,
				   uint8_t version, const uint8_t *ip,
				   size_t len, struct dp_packet *pkt);

/* "vlan", "pppoe", "mpls", "gre", "erspan", "vxlan", "geneve", "ipip";
 * "unknown" for a value out of the enum. */
const char *dp_encap_layer_name(uint8_t layer);

/* A hash of the flow of the innermost packet (addresses, ports,
 * protocol), the same in both directions: the software fan-out's choice
 * of worker. A fragment has no ports or protocol here (dp_decode() stops
 * at its IP header), so every fragment of a datagram hashes alike, by its
 * addresses, as a NIC's RSS hashes fragments. TCP hashes by its addresses
 * alone too, so that a segment that came in fragments is reassembled on
 * the worker that follows its stream. */
uint32_t dp_flow_hash(const struct dp_packet *pkt);

/* Formats an address of the given version; buf needs 46 bytes. */
const char *dp_addr_format(uint8_t ip_version, const uint8_t *addr,
			   char *buf, size_t size);

#endif
