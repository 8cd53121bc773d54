/* stream_buffer.c -- the chunk pool, out-of-order queues and partial messages of TCP streams. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream_buffer.h"

#define NONE DP_STREAM_CHUNK_NONE

static bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

int
dp_stream_pool_init(struct dp_stream_pool *pool, uint32_t count)
{
	pool->chunks = malloc((size_t)count * sizeof(*pool->chunks));
	if (pool->chunks == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		pool->chunks[i].next = i + 1 < count ? i + 1 : NONE;
	pool->count = count;
	pool->used = 0;
	pool->free = 0;
	return 0;
}

void
dp_stream_pool_fini(struct dp_stream_pool *pool)
{
	free(pool->chunks);
	pool->chunks = NULL;
}

static uint32_t
chunk_get(struct dp_stream_pool *pool)
{
	uint32_t i = pool->free;

	if (i == NONE)
		return NONE;
	pool->free = pool->chunks[i].next;
	pool->used++;
	pool->chunks[i].next = NONE;
	pool->chunks[i].len = 0;
	return i;
}

static void
chunk_put(struct dp_stream_pool *pool, uint32_t i)
{
	pool->chunks[i].next = pool->free;
	pool->free = i;
	pool->used--;
}

static void
chain_put(struct dp_stream_pool *pool, uint32_t head)
{
	while (head != NONE) {
		uint32_t next = pool->chunks[head].next;

		chunk_put(pool, head);
		head = next;
	}
}

void
dp_stream_ooo_init(struct dp_stream_ooo *q)
{
	q->head = NONE;
	q->chunks = 0;
}

int
dp_stream_ooo_insert(struct dp_stream_pool *pool, struct dp_stream_ooo *q,
		     uint32_t chunks_max, uint32_t seq, const uint8_t *p,
		     uint32_t len, bool *overlap)
{
	uint32_t *link = &q->head;
	struct dp_stream_chunk *prev = NULL;

	while (len > 0) {
		struct dp_stream_chunk *c = *link != NONE ?
			&pool->chunks[*link] : NULL;
		uint32_t n = len;

		if (c != NULL && seq_le(c->seq + c->len, seq)) {
			prev = c;           /* wholly before: walk on */
			link = &c->next;
			continue;
		}
		if (c != NULL && seq_le(c->seq, seq)) {
			uint32_t held = c->seq + c->len - seq;

			*overlap = true;
			if (held >= len)
				return 0;
			p += held;
			seq += held;
			len -= held;
			prev = c;
			link = &c->next;
			continue;
		}
		/* [seq, seq + n) is held by no chunk: store it. */
		if (c != NULL && c->seq - seq < n)
			n = c->seq - seq;
		if (prev != NULL && prev->seq + prev->len == seq &&
		    prev->len < DP_STREAM_CHUNK_SIZE) {
			uint32_t room = DP_STREAM_CHUNK_SIZE - prev->len;
			uint32_t m = n < room ? n : room;

			memcpy(prev->data + prev->len, p, m);
			prev->len += m;
			p += m;
			seq += m;
			len -= m;
			continue;
		}
		if (q->chunks >= chunks_max)
			return -ENOBUFS;

		uint32_t i = chunk_get(pool);

		if (i == NONE)
			return -ENOBUFS;

		struct dp_stream_chunk *nc = &pool->chunks[i];
		uint32_t m = n < DP_STREAM_CHUNK_SIZE ? n :
			DP_STREAM_CHUNK_SIZE;

		memcpy(nc->data, p, m);
		nc->seq = seq;
		nc->len = m;
		nc->next = *link;
		*link = i;
		q->chunks++;
		p += m;
		seq += m;
		len -= m;
		prev = nc;
		link = &nc->next;
	}
	return 0;
}

const struct dp_stream_chunk *
dp_stream_ooo_first(const struct dp_stream_pool *pool,
		    const struct dp_stream_ooo *q)
{
	return q->head != NONE ? &pool->chunks[q->head] : NULL;
}

void
dp_stream_ooo_pop(struct dp_stream_pool *pool, struct dp_stream_ooo *q)
{
	uint32_t i = q->head;

	q->head = pool->chunks[i].next;
	q->chunks--;
	chunk_put(pool, i);
}

void
dp_stream_ooo_clear(struct dp_stream_pool *pool, struct dp_stream_ooo *q)
{
	chain_put(pool, q->head);
	dp_stream_ooo_init(q);
}

void
dp_stream_msgbuf_init(struct dp_stream_msgbuf *m)
{
	m->head = NONE;
	m->tail = NONE;
}

int
dp_stream_msgbuf_append(struct dp_stream_pool *pool,
			struct dp_stream_msgbuf *m, const uint8_t *p, size_t n)
{
	while (n > 0) {
		uint32_t i = m->tail;

		if (i == NONE || pool->chunks[i].len == DP_STREAM_CHUNK_SIZE) {
			i = chunk_get(pool);
			if (i == NONE)
				return -ENOBUFS;
			if (m->tail == NONE)
				m->head = i;
			else
				pool->chunks[m->tail].next = i;
			m->tail = i;
		}

		struct dp_stream_chunk *c = &pool->chunks[i];
		size_t k = DP_STREAM_CHUNK_SIZE - c->len;

		if (k > n)
			k = n;
		memcpy(c->data + c->len, p, k);
		c->len += (uint32_t)k;
		p += k;
		n -= k;
	}
	return 0;
}

size_t
dp_stream_msgbuf_take(struct dp_stream_pool *pool, struct dp_stream_msgbuf *m,
		      uint8_t *dst)
{
	size_t len = 0;

	for (uint32_t i = m->head; i != NONE; i = pool->chunks[i].next) {
		memcpy(dst + len, pool->chunks[i].data, pool->chunks[i].len);
		len += pool->chunks[i].len;
	}
	dp_stream_msgbuf_clear(pool, m);
	return len;
}

void
dp_stream_msgbuf_clear(struct dp_stream_pool *pool, struct dp_stream_msgbuf *m)
{
	chain_put(pool, m->head);
	dp_stream_msgbuf_init(m);
}
