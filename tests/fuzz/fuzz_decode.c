/* fuzz_decode.c -- libFuzzer target for the frame decoder (every
 * encapsulation), the decode of a reassembled datagram and address
 * formatting. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What every decode promises: the layers within the limit and named. */
static void
check_encap(const struct dp_encap *e)
{
	if (e->n_layers > DP_DECODE_LAYERS_MAX ||
	    e->vlan_count > DP_DECODE_VLAN_MAX)
		__builtin_trap();
	for (uint8_t i = 0; i < e->n_layers; i++)
		if (e->layers[i] < DP_ENCAP_VLAN || e->layers[i] > DP_ENCAP_IPIP)
			__builtin_trap();
	if (e->outer_ip_version != 0 && e->outer_ip_version != 4 &&
	    e->outer_ip_version != 6)
		__builtin_trap();
	/* Every tunnel with an id runs over IP. */
	if (e->has_tunnel_id && e->outer_ip_version == 0)
		__builtin_trap();
}

/* OK and FRAGMENT: the innermost IP header lies in the buffer, where
 * l3_offset says, with the version pkt says. */
static void
check_l3(const uint8_t *data, size_t size, const struct dp_packet *pkt)
{
	if (pkt->ip_version != 4 && pkt->ip_version != 6)
		__builtin_trap();
	if (pkt->l3_offset > size || pkt->l3_len > size - pkt->l3_offset)
		__builtin_trap();
	if (pkt->l3_len < (pkt->ip_version == 4 ? 20u : 40u) ||
	    (data[pkt->l3_offset] >> 4) != pkt->ip_version)
		__builtin_trap();
}

/* OK: the payload lies in the buffer, past the IP header. */
static void
check_ok(const uint8_t *data, size_t size, const struct dp_packet *pkt)
{
	char buf[46];
	volatile uint8_t sink = 0;

	if (pkt->payload == NULL || pkt->payload < data ||
	    pkt->payload_len > size ||
	    (size_t)(pkt->payload - data) > size - pkt->payload_len)
		__builtin_trap();
	if ((size_t)(pkt->payload - data) < pkt->l3_offset + pkt->l3_len)
		__builtin_trap();
	if (pkt->l4_proto != IPPROTO_UDP && pkt->l4_proto != IPPROTO_TCP)
		__builtin_trap();
	/* Touch every byte so ASan sees a payload past the input. */
	for (uint32_t i = 0; i < pkt->payload_len; i++)
		sink ^= pkt->payload[i];
	(void)sink;
	if (dp_addr_format(pkt->ip_version, pkt->src_addr, buf,
			   sizeof(buf)) == NULL ||
	    strnlen(buf, sizeof(buf)) >= sizeof(buf))
		__builtin_trap();
}

static void
check(const uint8_t *data, size_t size, enum dp_decode_status st,
      const struct dp_packet *pkt)
{
	check_encap(&pkt->encap);
	switch (st) {
	case DP_DECODE_OK:
		check_l3(data, size, pkt);
		check_ok(data, size, pkt);
		break;
	case DP_DECODE_FRAGMENT:
		check_l3(data, size, pkt);
		break;
	case DP_DECODE_MALFORMED:
	case DP_DECODE_OTHER:
	case DP_DECODE_TOO_DEEP:
		break;
	default:
		__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dp_decode_config cfg = DP_DECODE_CONFIG_DEFAULT;
	struct dp_packet pkt;
	enum dp_decode_status st = dp_decode(&cfg, data, size, &pkt);

	check(data, size, st, &pkt);
	/* The same bytes as a datagram, after the layers just found: the
	 * limit counts on from them. */
	if (size > 0) {
		st = dp_decode_ip(&cfg, data[0] >> 4, data, size, &pkt);
		check(data, size, st, &pkt);
	}
	return 0;
}
