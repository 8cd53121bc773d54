/* tcp_stream_internal.h -- the TCP stream table's state, and what
 * tcp_stream.c (per segment) and tcp_stream_table.c (the table and its
 * hash) share: the lists and the chunk pool. Internal to dataplane/. */
#ifndef IOCSIFT_DATAPLANE_TCP_STREAM_INTERNAL_H
#define IOCSIFT_DATAPLANE_TCP_STREAM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "stream_framing.h"
#include "tcp_stream.h"

#define STREAM_NIL UINT32_MAX

/* Buffered bytes, from the table's pool. Out of order: disjoint, sorted
 * by seq. A partial message: in arrival order, seq unused. */
struct stream_chunk {
	uint32_t next;
	uint32_t seq;              /* of data[0] */
	uint32_t len;
	uint8_t data[DP_STREAM_CHUNK_SIZE];
};

/* A stream is on one of two LRU lists: probation until it has delivered
 * a message, established after. A full table evicts from probation
 * first, so a SYN flood only churns streams that carried nothing yet
 * (Linux conntrack's early_drop spares "assured" entries the same way). */
enum stream_lru {
	STREAM_PROBATION,
	STREAM_ESTABLISHED,
};

enum stream_link_kind {
	STREAM_LINK_LRU,           /* on t->lru[s->list], by last segment */
	STREAM_LINK_WAIT,          /* on t->wait while a hole is open */
};

struct stream_link {
	uint32_t prev;
	uint32_t next;
};

/* Both lists run from head (newest) to tail (oldest). */
struct stream_list {
	uint32_t head;
	uint32_t tail;
};

struct stream {
	struct dp_stream_key key;
	uint32_t hash;
	uint32_t hash_next;        /* the bucket's chain, or the free list */
	struct stream_link links[2]; /* enum stream_link_kind */
	uint32_t next_seq;         /* the next byte to frame */
	uint32_t fin_seq;          /* with fin_seen: the FIN's sequence number */
	uint32_t isn;              /* with syn_seen */
	uint32_t ooo_head;         /* out-of-order chunks */
	uint32_t ooo_chunks;
	uint32_t msg_head;         /* body bytes of the message being framed */
	uint32_t msg_tail;
	uint64_t last_ns;          /* last segment */
	uint64_t wait_since_ns;    /* with waiting: since when a hole holds data up */
	struct dp_framer framer;
	uint8_t framing;           /* enum dp_stream_framing */
	uint8_t list;              /* enum stream_lru */
	bool syn_seen;
	bool fin_seen;
	bool waiting;
};

struct dp_stream_table {
	struct dp_stream_config cfg;
	struct dp_stream_stats stats;
	struct stream *streams;    /* streams_max entries */
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_stream;
	uint32_t streams_used;
	struct stream_list lru[2]; /* enum stream_lru */
	struct stream_list wait;   /* streams with a hole, by wait_since_ns */
	uint32_t streams_waiting;
	struct stream_chunk *chunks;
	uint32_t free_chunk;
	uint32_t chunks_used;
	uint32_t ooo_chunks_max;   /* per stream, from stream_buffer_max */
	uint64_t hash_seed;
	uint8_t *message;          /* message_max bytes: messages made contiguous */
};

/* Sequence numbers compare in serial arithmetic (RFC 1982): they wrap. */
static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* ---- the intrusive lists ---- */

static inline struct stream_link *
stream_link_of(struct dp_stream_table *t, uint32_t i,
	       enum stream_link_kind which)
{
	return &t->streams[i].links[which];
}

static inline void
stream_list_remove(struct dp_stream_table *t, struct stream_list *l,
		   enum stream_link_kind which, uint32_t i)
{
	struct stream_link *k = stream_link_of(t, i, which);

	if (k->prev != STREAM_NIL)
		stream_link_of(t, k->prev, which)->next = k->next;
	else
		l->head = k->next;
	if (k->next != STREAM_NIL)
		stream_link_of(t, k->next, which)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = STREAM_NIL;
	k->next = STREAM_NIL;
}

static inline void
stream_list_push_head(struct dp_stream_table *t, struct stream_list *l,
		      enum stream_link_kind which, uint32_t i)
{
	struct stream_link *k = stream_link_of(t, i, which);

	k->prev = STREAM_NIL;
	k->next = l->head;
	if (l->head != STREAM_NIL)
		stream_link_of(t, l->head, which)->prev = i;
	else
		l->tail = i;
	l->head = i;
}

static inline uint32_t
stream_index(const struct dp_stream_table *t, const struct stream *s)
{
	return (uint32_t)(s - t->streams);
}

/* ---- the chunk pool ---- */

static inline uint32_t
stream_chunk_alloc(struct dp_stream_table *t)
{
	uint32_t i = t->free_chunk;

	if (i == STREAM_NIL)
		return STREAM_NIL;
	t->free_chunk = t->chunks[i].next;
	t->chunks_used++;
	t->chunks[i].next = STREAM_NIL;
	t->chunks[i].len = 0;
	return i;
}

static inline void
stream_chunk_free(struct dp_stream_table *t, uint32_t i)
{
	t->chunks[i].next = t->free_chunk;
	t->free_chunk = i;
	t->chunks_used--;
}

static inline void
stream_chain_free(struct dp_stream_table *t, uint32_t head)
{
	while (head != STREAM_NIL) {
		uint32_t next = t->chunks[head].next;

		stream_chunk_free(t, head);
		head = next;
	}
}

/* tcp_stream_table.c */
uint32_t stream_key_hash(const struct dp_stream_table *t,
			 const struct dp_stream_key *key);
struct stream *stream_lookup(struct dp_stream_table *t,
			     const struct dp_stream_key *key, uint32_t hash);
void stream_bucket_insert(struct dp_stream_table *t, struct stream *s);
void stream_bucket_remove(struct dp_stream_table *t, struct stream *s);

#endif
