/* fuzz_decode.c -- libFuzzer target for the frame decoder and address formatting. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what an OK decode promises: the payload lies in the frame. */
static void
check_ok(const uint8_t *data, size_t size, const struct dp_packet *pkt)
{
	char buf[46];
	volatile uint8_t sink = 0;

	if (pkt->payload == NULL || pkt->payload < data ||
	    pkt->payload_len > size ||
	    (size_t)(pkt->payload - data) > size - pkt->payload_len)
		__builtin_trap();
	if ((pkt->ip_version != 4 && pkt->ip_version != 6) ||
	    (pkt->l4_proto != IPPROTO_UDP && pkt->l4_proto != IPPROTO_TCP))
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_packet pkt;
	enum dp_decode_status st = dp_decode(data, size, &pkt);

	if (pkt.vlan_count > DP_DECODE_VLAN_MAX)
		__builtin_trap();
	switch (st) {
	case DP_DECODE_OK:
		check_ok(data, size, &pkt);
		break;
	case DP_DECODE_MALFORMED:
	case DP_DECODE_FRAGMENT:
	case DP_DECODE_OTHER:
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
