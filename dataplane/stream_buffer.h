/* stream_buffer.h -- bounded byte storage for TCP streams: a pool of fixed-size chunks, out-of-order queues, partial messages. */
#ifndef IOCSIFT_DATAPLANE_STREAM_BUFFER_H
#define IOCSIFT_DATAPLANE_STREAM_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buffered bytes are held in chunks of this many bytes; the limits
 * count whole chunks, i.e. the memory actually held. One chunk holds a
 * segment of a 1500-byte MTU. */
#define DP_STREAM_CHUNK_SIZE 2048u

#define DP_STREAM_CHUNK_NONE UINT32_MAX

struct dp_stream_chunk {
	uint32_t next;             /* index, or DP_STREAM_CHUNK_NONE */
	uint32_t seq;              /* out of order: the number of data[0] */
	uint32_t len;
	uint8_t data[DP_STREAM_CHUNK_SIZE];
};

/* Every chunk is allocated at init; taking and giving back one is a
 * free-list operation. */
struct dp_stream_pool {
	struct dp_stream_chunk *chunks;
	uint32_t count;
	uint32_t used;
	uint32_t free;             /* head of the free list */
};

/* Bytes that arrived ahead of a hole: chunks sorted by seq, disjoint. */
struct dp_stream_ooo {
	uint32_t head;
	uint32_t chunks;
};

/* The bytes kept of a message that spans segments, in order. */
struct dp_stream_msgbuf {
	uint32_t head;
	uint32_t tail;
};

/* Returns 0 or -ENOMEM. count >= 1. */
int dp_stream_pool_init(struct dp_stream_pool *pool, uint32_t count);
void dp_stream_pool_fini(struct dp_stream_pool *pool);

void dp_stream_ooo_init(struct dp_stream_ooo *q);

/* Keeps the bytes of [seq, seq + len) that the queue does not hold yet
 * (the first copy of a byte wins; *overlap is set when some were held),
 * filling the free room of the chunk before them first. Returns 0, or
 * -ENOBUFS when the queue holds chunks_max chunks or the pool is empty:
 * what fitted stays. Sequence numbers compare in serial arithmetic. */
int dp_stream_ooo_insert(struct dp_stream_pool *pool, struct dp_stream_ooo *q,
			 uint32_t chunks_max, uint32_t seq, const uint8_t *p,
			 uint32_t len, bool *overlap);

/* The chunk with the lowest seq, or NULL. Valid until the next pop. */
const struct dp_stream_chunk *
dp_stream_ooo_first(const struct dp_stream_pool *pool,
		    const struct dp_stream_ooo *q);

/* Gives the first chunk back to the pool. */
void dp_stream_ooo_pop(struct dp_stream_pool *pool, struct dp_stream_ooo *q);

void dp_stream_ooo_clear(struct dp_stream_pool *pool, struct dp_stream_ooo *q);

void dp_stream_msgbuf_init(struct dp_stream_msgbuf *m);

static inline bool
dp_stream_msgbuf_empty(const struct dp_stream_msgbuf *m)
{
	return m->head == DP_STREAM_CHUNK_NONE;
}

/* Returns 0, or -ENOBUFS when the pool is empty (what fitted stays). */
int dp_stream_msgbuf_append(struct dp_stream_pool *pool,
			    struct dp_stream_msgbuf *m, const uint8_t *p,
			    size_t n);

/* Copies the bytes kept to dst, which has room for them, gives the
 * chunks back and returns how many bytes there were. */
size_t dp_stream_msgbuf_take(struct dp_stream_pool *pool,
			     struct dp_stream_msgbuf *m, uint8_t *dst);

void dp_stream_msgbuf_clear(struct dp_stream_pool *pool,
			    struct dp_stream_msgbuf *m);

#endif
