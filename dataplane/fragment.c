/* fragment.c -- per-worker IPv4/IPv6 reassembly on rte_ip_frag. The
 * library reports only "whole datagram" or NULL; what happened to a
 * fragment is read from the death row it fills. */
/* rte_ip_frag_table_del_expired_entries() is experimental in 22.11, and
 * the only way to drop a timed-out datagram no fragment comes back for. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdbool.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "fragment.h"

/* Entries per hash bucket: the library's example and documentation use
 * 16 (the most the library allows). */
#define FRAGMENT_BUCKET_ENTRIES 16
#define FRAGMENT_DATAGRAM_MAX 65535

/* A call may put one datagram's fragments and the new one on the death
 * row; past this it is freed before the next call. */
#define FRAGMENT_DEATH_ROW_ROOM (2 * (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1))

int
dp_fragments_init(struct dp_fragments *f, const struct dp_fragment_config *cfg,
		  int socket)
{
	uint32_t entries = cfg->datagrams_max;

	f->death_row.cnt = 0;
	f->timeout_cycles = rte_get_tsc_hz() * cfg->timeout_ms / 1000;
	if (entries == 0)
		return -EINVAL;
	/* As many buckets as datagrams: the library looks in two buckets
	 * of 16, so a table as full as allowed still finds room. */
	f->table = rte_ip_frag_table_create(entries, FRAGMENT_BUCKET_ENTRIES,
					    entries, f->timeout_cycles, socket);
	return f->table != NULL ? 0 : -ENOMEM;
}

void
dp_fragments_flush(struct dp_fragments *f)
{
	if (f->death_row.cnt > 0)
		rte_ip_frag_free_death_row(&f->death_row, 0);
}

void
dp_fragments_fini(struct dp_fragments *f)
{
	if (f->table == NULL)
		return;
	dp_fragments_flush(f);
	rte_ip_frag_table_destroy(f->table);
	f->table = NULL;
}

/* Whether m is among the mbufs the last call put on the death row. */
static bool
dropped_now(const struct dp_fragments *f, uint32_t before,
	    const struct rte_mbuf *m)
{
	for (uint32_t i = before; i < f->death_row.cnt; i++)
		if (f->death_row.row[i] == m)
			return true;
	return false;
}

/* The fragment's offset and length in the datagram, from its header. */
static void
fragment_span(uint8_t ip_version, const uint8_t *ip, uint16_t l3_len,
	      uint32_t *offset, int32_t *len)
{
	if (ip_version == 4) {
		const struct rte_ipv4_hdr *h = (const void *)ip;
		uint16_t field = rte_be_to_cpu_16(h->fragment_offset);
		*offset = (uint32_t)(field & RTE_IPV4_HDR_OFFSET_MASK) *
			RTE_IPV4_HDR_OFFSET_UNITS;
		*len = (int32_t)rte_be_to_cpu_16(h->total_length) - l3_len;
	} else {
		const struct rte_ipv6_hdr *h = (const void *)ip;
		const struct rte_ipv6_fragment_ext *fh = (const void *)(h + 1);
		*offset = (uint32_t)RTE_IPV6_GET_FO(
			rte_be_to_cpu_16(fh->frag_data)) * 8;
		*len = (int32_t)rte_be_to_cpu_16(h->payload_len) -
			(int32_t)(l3_len - sizeof(*h));
	}
}

/* Counts what became of m and of the datagrams dropped with it. */
static void
account(const struct dp_fragments *f, uint32_t before,
	const struct rte_mbuf *m, const struct rte_mbuf *whole,
	struct dp_fragment_stats *stats)
{
	uint32_t dropped = f->death_row.cnt - before;

	if (whole != NULL) {
		stats->reassembled++;
		/* Only a timed-out datagram in its slot was dropped. */
		stats->expired += dropped;
		return;
	}
	if (!dropped_now(f, before, m)) {
		stats->expired += dropped;
		return;
	}
	/* m alone: no entry was free and none had timed out. With the
	 * fragments before it: the set it belonged to was invalid. */
	if (dropped == 1)
		stats->table_full++;
	else
		stats->overlapping++;
}

struct rte_mbuf *
dp_fragments_add(struct dp_fragments *f, struct rte_mbuf *m,
		 uint8_t ip_version, uint16_t l3_offset, uint16_t l3_len,
		 uint64_t now, struct dp_fragment_stats *stats)
{
	struct rte_mbuf *whole;
	uint32_t before, offset;
	int32_t len;
	uint8_t *ip;

	if (f->death_row.cnt > RTE_IP_FRAG_DEATH_ROW_MBUF_LEN -
	    FRAGMENT_DEATH_ROW_ROOM)
		dp_fragments_flush(f);
	/* The library reads the headers in place, from the first segment;
	 * it removes an IPv6 fragment header only right after the fixed
	 * header. */
	if (rte_pktmbuf_data_len(m) < (uint32_t)l3_offset + l3_len ||
	    l3_offset >= 1u << RTE_MBUF_L2_LEN_BITS ||
	    (ip_version == 6 && l3_len != sizeof(struct rte_ipv6_hdr) +
	     sizeof(struct rte_ipv6_fragment_ext))) {
		stats->unsupported++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, l3_offset);
	fragment_span(ip_version, ip, l3_len, &offset, &len);
	if (len <= 0 || offset + (uint32_t)len > FRAGMENT_DATAGRAM_MAX) {
		stats->oversized++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	m->l2_len = l3_offset;
	m->l3_len = l3_len;
	before = f->death_row.cnt;
	if (ip_version == 4) {
		whole = rte_ipv4_frag_reassemble_packet(f->table,
			&f->death_row, m, now, (struct rte_ipv4_hdr *)ip);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		whole = rte_ipv6_frag_reassemble_packet(f->table,
			&f->death_row, m, now, h,
			(struct rte_ipv6_fragment_ext *)(h + 1));
	}
	account(f, before, m, whole, stats);
	return whole;
}

void
dp_fragments_expire(struct dp_fragments *f, uint64_t now,
		    struct dp_fragment_stats *stats)
{
	uint32_t before;

	dp_fragments_flush(f);
	before = f->death_row.cnt;
	rte_ip_frag_table_del_expired_entries(f->table, &f->death_row, now);
	stats->expired += f->death_row.cnt - before;
	dp_fragments_flush(f);
}
