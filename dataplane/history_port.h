/* history_port.h -- a worker's side of the on-box history: each message
 * it matched is copied, header and payload (history/record.h), into a
 * chunk of its own; a full chunk, or one open longer than
 * DP_HISTORY_FLUSH_NS, goes to the history writer through an SPSC ring
 * (history_writer.h). The worker never waits: with no chunk free or the
 * ring full, the records are dropped and counted, and matching goes on
 * (docs/history.md). */
#ifndef IOCSIFT_DATAPLANE_HISTORY_PORT_H
#define IOCSIFT_DATAPLANE_HISTORY_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "decode.h"
#include "hit.h"
#include "hist_record.h"

#define DP_HISTORY_CHUNK_DATA (64 * 1024)
/* A chunk open longer than this goes at the end of the burst: a hunt
 * finds a message at most about this long after it was seen. */
#define DP_HISTORY_FLUSH_NS 100000000ULL

struct dp_history_chunk {
	uint32_t used;                 /* bytes of data */
	uint32_t records;
	uint64_t opened_ns;            /* wall clock, for the flush */
	uint8_t data[DP_HISTORY_CHUNK_DATA];
};

struct dp_history_port {
	struct rte_ring *ring;         /* SPSC, to the writer; NULL: off */
	struct rte_mempool *pool;      /* this worker's chunks */
	struct dp_history_chunk *open;
	uint8_t kinds;                 /* bit (1 << dp_message_kind): kept */
	uint64_t records;              /* sent to the writer */
	uint64_t dropped;              /* no chunk, or the ring full */
};

/* The open chunk to the writer (or dropped and counted). */
static inline void
dp_history_send(struct dp_history_port *h)
{
	struct dp_history_chunk *c = h->open;

	h->open = NULL;
	if (c == NULL)
		return;
	if (unlikely(rte_ring_sp_enqueue(h->ring, c) != 0)) {
		h->dropped += c->records;
		rte_mempool_put(h->pool, c);
		return;
	}
	h->records += c->records;
}

/* The message, in the open chunk. now_ns: the burst's wall clock. */
static inline void
dp_history_record(struct dp_history_port *h, const struct dp_packet *pkt,
		  enum dp_message_kind kind, uint64_t time_ns, uint64_t now_ns)
{
	struct dp_history_chunk *c = h->open;
	uint32_t n = pkt->payload_len > HIST_PAYLOAD_MAX ? HIST_PAYLOAD_MAX :
		pkt->payload_len;
	uint32_t need = (uint32_t)HIST_RECORD_HEADER_SIZE + n;

	if (!(h->kinds & (1u << kind)))
		return;
	if (c != NULL && c->used + need > DP_HISTORY_CHUNK_DATA) {
		dp_history_send(h);
		c = NULL;
	}
	if (c == NULL) {
		if (unlikely(rte_mempool_get(h->pool, (void **)&c) != 0)) {
			h->dropped++;
			return;
		}
		c->used = 0;
		c->records = 0;
		c->opened_ns = now_ns;
		h->open = c;
	}
	struct hist_record_header rec = {
		.time_ns = time_ns,
		.payload_len = (uint16_t)n,
		.kind = (uint8_t)kind,
		.ip_version = pkt->ip_version,
		.l4_proto = pkt->l4_proto,
		.flags = pkt->payload_len > HIST_PAYLOAD_MAX ? HIST_RECORD_CUT : 0,
		.src_port = pkt->src_port,
		.dst_port = pkt->dst_port,
	};
	memcpy(rec.src_addr, pkt->src_addr, sizeof(rec.src_addr));
	memcpy(rec.dst_addr, pkt->dst_addr, sizeof(rec.dst_addr));
	memcpy(c->data + c->used, &rec, HIST_RECORD_HEADER_SIZE);
	memcpy(c->data + c->used + HIST_RECORD_HEADER_SIZE, pkt->payload, n);
	c->used += need;
	c->records++;
}

/* At the end of a burst (or idle): the open chunk goes when it is old. */
static inline void
dp_history_tick(struct dp_history_port *h, uint64_t now_ns)
{
	if (h->open != NULL && now_ns - h->open->opened_ns >= DP_HISTORY_FLUSH_NS)
		dp_history_send(h);
}

#endif
