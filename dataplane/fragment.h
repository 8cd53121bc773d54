/* fragment.h -- IPv4 and IPv6 fragment reassembly of one worker, with
 * DPDK's ip_frag library: a table bounded in datagrams and time, and a
 * counter for every way a fragment ends. */
#ifndef IOCSIFT_DATAPLANE_FRAGMENT_H
#define IOCSIFT_DATAPLANE_FRAGMENT_H

#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

/* Most fragments one datagram may have (the library's build setting:
 * 8 in Debian's DPDK 22.11). A datagram with more is dropped whole. */
#define DP_FRAGMENTS_PER_DATAGRAM RTE_LIBRTE_IP_FRAG_MAX_FRAG

#define DP_FRAGMENT_DATAGRAMS_DEFAULT 512
#define DP_FRAGMENT_TIMEOUT_MS_DEFAULT 30000

struct dp_fragment_config {
	uint32_t datagrams_max;     /* incomplete datagrams held at once */
	uint32_t timeout_ms;        /* from a datagram's first fragment */
};

/* How the fragments handed to one table ended. Written by the worker
 * only. */
struct dp_fragment_stats {
	uint64_t reassembled;       /* datagrams completed */
	uint64_t expired;           /* fragments of datagrams that timed out */
	uint64_t overlapping;       /* datagrams dropped: overlapping,
				     * duplicate or more than 8 fragments */
	uint64_t oversized;         /* fragments ending past 65535 bytes, or
				     * empty */
	uint64_t table_full;        /* fragments dropped: no room */
	uint64_t unsupported;       /* IPv6 headers before the fragment
				     * header, headers not in the first
				     * segment, or more than 127 bytes of
				     * headers before the IP header (the
				     * mbuf's l2_len) */
};

struct dp_fragments {
	struct rte_ip_frag_tbl *table;
	uint64_t timeout_cycles;
	struct rte_ip_frag_death_row death_row;
};

/* Creates the table on socket. 0 or -errno. */
int dp_fragments_init(struct dp_fragments *f,
		      const struct dp_fragment_config *cfg, int socket);

/* Frees the table and every fragment it holds. */
void dp_fragments_fini(struct dp_fragments *f);

/* Hands fragment m, whose IP header of ip_version starts l3_offset bytes
 * into it and is l3_len bytes long (up to and including the IPv6
 * fragment header), to the table; now is the TSC. m belongs to the table
 * from here on. Returns the whole datagram when m completed it (an mbuf
 * chain the caller frees, its IP header at l3_offset no longer saying it
 * is a fragment), else NULL: kept for later or dropped, counted in
 * stats. */
struct rte_mbuf *dp_fragments_add(struct dp_fragments *f, struct rte_mbuf *m,
				  uint8_t ip_version, uint16_t l3_offset,
				  uint16_t l3_len, uint64_t now,
				  struct dp_fragment_stats *stats);

/* Drops the datagrams whose time is up (counted in expired) and frees the
 * mbufs dropped since the last call. */
void dp_fragments_expire(struct dp_fragments *f, uint64_t now,
			 struct dp_fragment_stats *stats);

/* Frees the mbufs dropped since the last call (the death row). */
void dp_fragments_flush(struct dp_fragments *f);

#endif
