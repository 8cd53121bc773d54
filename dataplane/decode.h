/* decode.h -- Ethernet, 802.1Q/QinQ, IPv4, IPv6 and UDP/TCP headers of one
 * frame. Works on plain bytes so it tests and fuzzes without EAL. */
#ifndef IOCSIFT_DATAPLANE_DECODE_H
#define IOCSIFT_DATAPLANE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define DP_DECODE_VLAN_MAX 2

enum dp_decode_status {
	DP_DECODE_OK,          /* IPv4/IPv6 + UDP or TCP, payload set */
	DP_DECODE_MALFORMED,   /* a header is truncated or its lengths lie */
	DP_DECODE_FRAGMENT,    /* an IP fragment (not reassembled yet) */
	DP_DECODE_OTHER,       /* well formed but not IP, UDP or TCP */
};

struct dp_packet {
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t l4_proto;          /* IPPROTO_UDP or IPPROTO_TCP */
	uint8_t vlan_count;
	uint16_t vlan_ids[DP_DECODE_VLAN_MAX];
	uint8_t src_addr[16];      /* IPv4 in the first 4 bytes */
	uint8_t dst_addr[16];
	uint16_t src_port;         /* host byte order */
	uint16_t dst_port;
	const uint8_t *payload;    /* points into the frame */
	uint32_t payload_len;
};

/* Decodes one frame. The IP total/payload length bounds the payload, so
 * Ethernet padding is never taken for payload. */
enum dp_decode_status dp_decode(const uint8_t *frame, size_t len,
				struct dp_packet *pkt);

/* A hash of the flow that is the same in both directions (addresses and
 * ports swapped): the software fan-out's choice of worker. */
uint32_t dp_flow_hash(const struct dp_packet *pkt);

/* Formats an address of the given version; buf needs 46 bytes. */
const char *dp_addr_format(uint8_t ip_version, const uint8_t *addr,
			   char *buf, size_t size);

#endif
