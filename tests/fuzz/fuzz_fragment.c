/* fuzz_fragment.c -- libFuzzer target for fragment reassembly: the input
 * is a series of IPv4 and IPv6 fragments (ids, offsets, lengths, flags and
 * times all chosen by the input) handed to a small table. Whatever
 * comes back decodes, no datagram passes 65535 bytes, and every mbuf is
 * back in its pool once the table is freed. Starts a real EAL once. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "decode.h"
#include "fragment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MBUFS 255
#define RECORD_LEN 8
#define ETH_LEN 14

static struct rte_mempool *pool;
static uint8_t linear[70000];

static bool
eal_start(void)
{
	static bool started, failed;
	char *argv[] = {
		"fuzz_fragment", "-l0", "--no-huge", "-m128", "--no-shconf",
		"--no-pci", "--no-telemetry", "--log-level=error",
		"--file-prefix=fuzz_fragment", NULL,
	};

	if (started || failed)
		return started;
	if (rte_eal_init(9, argv) < 0) {
		failed = true;
		return false;
	}
	pool = rte_pktmbuf_pool_create("fuzz_fragment", MBUFS, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	started = pool != NULL;
	failed = !started;
	return started;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One record: flags (bit 0 IPv6, bit 1 more fragments, bits 2-3 which of
 * four address pairs, bit 4 bad header length), id, offset in 8-byte
 * units (2 bytes), length in bytes (2 bytes), time step. The fragment's
 * bytes come from the input after the records, cycling. */
static struct rte_mbuf *
fragment_build(const uint8_t *r, const uint8_t *fill, size_t fill_len,
	       uint8_t *version, uint16_t *l3_len)
{
	bool v6 = r[0] & 1, more = r[0] & 2;
	uint8_t pair = (uint8_t)((r[0] >> 2) & 3);
	uint16_t offset = (uint16_t)(r[2] << 8 | r[3]) & 0x1fff;
	uint16_t len = (uint16_t)((r[4] << 8 | r[5]) % 1400);
	size_t l3 = v6 ? 48 : 20;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH_LEN + l3 + len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, ETH_LEN + l3);
	put16(p + 12, v6 ? 0x86dd : 0x0800);
	p += ETH_LEN;
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, (uint16_t)(8 + len));
		p[6] = 44;
		p[23] = pair;
		p[39] = 1;
		p[40] = 17;
		put16(p + 42, (uint16_t)(offset << 3 | (more ? 1 : 0)));
		p[47] = r[1];
	} else {
		p[0] = 0x45;
		/* A lying total length when asked. */
		put16(p + 2, (uint16_t)(20 + len + ((r[0] & 16) ? 7 : 0)));
		put16(p + 4, r[1]);
		put16(p + 6, (uint16_t)((more ? 0x2000 : 0) | offset));
		p[9] = 17;
		p[15] = pair;
		p[19] = 1;
	}
	for (uint16_t i = 0; i < len; i++)
		p[l3 + i] = fill_len > 0 ? fill[i % fill_len] : (uint8_t)i;
	*version = v6 ? 6 : 4;
	*l3_len = (uint16_t)l3;
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_fragment_config cfg = { .datagrams_max = 4,
					  .timeout_ms = 1000 };
	struct dp_fragment_stats stats = { 0 };
	struct dp_fragments f;
	size_t records = size / RECORD_LEN > 64 ? 64 : size / RECORD_LEN;
	const uint8_t *fill = data + records * RECORD_LEN;
	size_t fill_len = size - records * RECORD_LEN;
	uint64_t now = 1000000000ULL;
	uint64_t step = rte_get_tsc_hz() / 8;

	if (!eal_start())
		return 0;
	if (dp_fragments_init(&f, &cfg, (int)rte_socket_id()) != 0)
		__builtin_trap();
	for (size_t i = 0; i < records; i++) {
		const uint8_t *r = data + i * RECORD_LEN;
		uint8_t version;
		uint16_t l3_len;
		struct rte_mbuf *m = fragment_build(r, fill, fill_len,
						    &version, &l3_len);
		if (m == NULL)
			__builtin_trap();
		now += step * r[6];
		struct rte_mbuf *whole = dp_fragments_add(&f, m, version,
			ETH_LEN, l3_len, now, &stats);
		if (r[7] & 1)
			dp_fragments_expire(&f, now, &stats);
		if (whole == NULL)
			continue;
		uint32_t len = rte_pktmbuf_pkt_len(whole);
		if (len > ETH_LEN + 40 + 65535)
			__builtin_trap();
		const uint8_t *bytes = rte_pktmbuf_read(whole, 0, len, linear);
		struct dp_packet pkt;
		struct dp_decode_config dc = DP_DECODE_CONFIG_DEFAULT;
		if (bytes == NULL)
			__builtin_trap();
		/* A whole datagram is no fragment any more. */
		if (dp_decode(&dc, bytes, len, &pkt) == DP_DECODE_FRAGMENT)
			__builtin_trap();
		rte_pktmbuf_free(whole);
	}
	dp_fragments_fini(&f);
	if (rte_mempool_avail_count(pool) != MBUFS)
		__builtin_trap();
	return 0;
}
