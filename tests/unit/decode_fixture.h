/* decode_fixture.h -- what the decoder's unit tests share (test_decode.c,
 * test_decode_tunnel.c): frames built header by header, one helper at a
 * time or from a table row describing every header, and the loop that
 * decodes a table of such frames and checks each promise of dp_decode(). */
#ifndef IOCSIFT_TESTS_DECODE_FIXTURE_H
#define IOCSIFT_TESTS_DECODE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

extern const struct dp_decode_config defaults;   /* the IANA ports */

/* The innermost packet's addresses, and the tunnel's around it. */
extern const uint8_t src4[4], dst4[4], src6[16], dst6[16];
extern const uint8_t outer_src4[4], outer_dst4[4];
extern const uint8_t outer_src6[16], outer_dst6[16];

/* The payload of every packet built: "<14>hello". */
#define BODY_LEN 9
extern const char body[BODY_LEN + 1];

/* A frame built header by header; lengths are patched once known. */
struct frame {
	uint8_t b[512];
	size_t len;
	/* Table frames (build()): the IP header the decoder stops at (the
	 * first fragment, else the innermost) and whether it carries the
	 * tunnel's addresses; where the first tunnel starts (0: none); the
	 * length fields to patch. */
	size_t ip;
	bool ip_outer, ip_final;
	size_t tunnel;
	size_t patch_at[24];
	uint8_t patch_kind[24];
	unsigned int n_patches;
};

/*
 * One header at a time. Each returns the offset it put its header at
 * (where it returns one).
 */

size_t put(struct frame *f, const void *data, size_t n);
void put16(struct frame *f, uint16_t v);
void put32(struct frame *f, uint32_t v);
void set16(struct frame *f, size_t off, size_t v);
/* Starts the frame. tags: (TPID, TCI) pairs. */
void eth(struct frame *f, const uint16_t *tags, size_t ntags,
	 uint16_t ethertype);
/* From src4 to dst4; IHL ihl (options are NOPs); ipv4_done() sets the
 * total length to reach the end of the frame. */
size_t ipv4(struct frame *f, uint8_t ihl, uint16_t frag, uint8_t proto);
void ipv4_done(struct frame *f, size_t ip);
size_t ipv6(struct frame *f, uint8_t nh);
void ipv6_done(struct frame *f, size_t ip);
/* An extension header of len bytes whose length byte says len_byte. */
void ipv6_ext(struct frame *f, uint8_t nh, uint8_t len_byte, size_t len);
/* 40005 -> 514 (UDP) or 40005 -> 53 (TCP, data offset doff). */
size_t udp(struct frame *f, const void *payload, size_t n);
size_t tcp(struct frame *f, uint8_t doff, const void *payload, size_t n);

/*
 * A table row: the headers of a frame, outer first, ended by H_END.
 */

enum hdr_kind {
	H_END,
	H_ETH,       /* a: ethertype; b, c: VLAN ids of one or two tags */
	H_IPV4,      /* a: protocol; b: HDR_OUTER; c: flags and offset; d: IHL */
	H_IPV6,      /* a: next header; b: HDR_OUTER */
	H_EXT,       /* IPv6 extension: a: next; b: length byte; c: bytes;
		      * d: the fragment header's offset and M field */
	H_UDP,       /* a tunnel's UDP header, to port a */
	H_PAYLOAD,   /* UDP 40005 -> 514 carrying body */
	H_GRE,       /* a: flags and version; b: protocol; key GRE_KEY */
	H_ERSPAN2,   /* a: session; b: version (0: 1) */
	H_ERSPAN3,   /* a: session; b: O; c: frame type */
	H_VXLAN,     /* a: VNI; b: 1 clears I */
	H_GENEVE,    /* a: VNI; b: option words; c: protocol; d: version */
	H_MPLS,      /* a: labels; b: 1 leaves bottom of stack unset */
	H_PW,        /* a pseudowire control word; a: its first byte */
	H_PPPOE,     /* a: PPP protocol; b: length (0: patched); c: version
		      * and type (0: 0x11) */
};

#define HDR_OUTER 1                /* the tunnel's addresses */
#define GRE_C 0x8000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_KEY 0x0a0b0c0du

struct hdr {
	uint8_t kind;
	uint32_t a, b, c, d;
};

#define ETH(type) { H_ETH, type, 0, 0, 0 }
#define ETH_VLAN(type, vid) { H_ETH, type, vid, 0, 0 }
#define ETH_QINQ(type, outer, inner) { H_ETH, type, outer, inner, 0 }
#define IP4(proto) { H_IPV4, proto, 0, 0, 0 }
#define IP4_FRAG(proto, frag, ihl) { H_IPV4, proto, 0, frag, ihl }
#define OUTER4(proto) { H_IPV4, proto, HDR_OUTER, 0, 0 }
#define OUTER4_FRAG(proto, frag) { H_IPV4, proto, HDR_OUTER, frag, 0 }
#define IP6(nh) { H_IPV6, nh, 0, 0, 0 }
#define OUTER6(nh) { H_IPV6, nh, HDR_OUTER, 0, 0 }
#define EXT(nh, len_byte, size) { H_EXT, nh, len_byte, size, 0 }
#define FRAG6(nh, field) { H_EXT, nh, 0, 8, field }
#define UDP_TO(port) { H_UDP, port, 0, 0, 0 }
#define PAYLOAD { H_PAYLOAD, 0, 0, 0, 0 }
#define GRE(flags, proto) { H_GRE, flags, proto, 0, 0 }
#define ERSPAN_II(session) { H_ERSPAN2, session, 0, 0, 0 }
#define ERSPAN_III(session, o) { H_ERSPAN3, session, o, 0, 0 }
#define VXLAN(vni) { H_VXLAN, vni, 0, 0, 0 }
#define GENEVE(vni, words, proto) { H_GENEVE, vni, words, proto, 0 }
#define MPLS(labels) { H_MPLS, labels, 0, 0, 0 }
#define PW_CW { H_PW, 0, 0, 0, 0 }
#define PPPOE(proto) { H_PPPOE, proto, 0, 0, 0 }
/* The PPP protocol in one byte (protocol-field compression). */
#define PPPOE_PFC(proto) { H_PPPOE, proto, 0, 0, 1 }

/* Builds the frame hdrs describe, every length patched to its end. */
void build(struct frame *f, const struct hdr *hdrs);

/* The layers as a table row names them. */
enum {
	L_VLAN = DP_ENCAP_VLAN, L_PPPOE = DP_ENCAP_PPPOE, L_MPLS = DP_ENCAP_MPLS,
	L_GRE = DP_ENCAP_GRE, L_ERSPAN = DP_ENCAP_ERSPAN,
	L_VXLAN = DP_ENCAP_VXLAN, L_GENEVE = DP_ENCAP_GENEVE,
	L_IPIP = DP_ENCAP_IPIP,
};

/* A frame and what its decode must give. */
struct encap_case {
	const char *name;
	struct hdr hdrs[24];
	const struct dp_decode_config *cfg;     /* NULL: the defaults */
	enum dp_decode_status status;
	/* Checked for OK and FRAGMENT. */
	uint8_t layers[DP_DECODE_LAYERS_MAX];   /* 0 ends */
	uint16_t vlans[DP_DECODE_VLAN_MAX];     /* 0 ends */
	bool has_id;
	uint32_t id;
	uint8_t outer;             /* version of the tunnel's endpoints, 0 none */
	uint32_t l3_len;           /* 0: 20 for IPv4, 40 for IPv6 */
};

/*
 * Builds and decodes each case; fails naming the case. The status; for
 * OK and FRAGMENT the IP header stopped at (version, addresses,
 * l3_offset, l3_len) and the layers, tags, tunnel id and endpoints; for
 * OK the innermost UDP and payload, every strict prefix MALFORMED, and
 * every cut from the first tunnel header on, with the lengths around it
 * made to agree, MALFORMED; for TOO_DEEP the layers full.
 */
void encap_cases_check(const struct encap_case *cases, size_t n);

#endif
