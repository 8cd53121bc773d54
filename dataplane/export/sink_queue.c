/* sink_queue.c -- a sink's records in memory: carved from blocks kept
 * faulted in, the memory queue and the list in flight (rings that grow by
 * doubling), and the hand-off of a memory record to the spool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"
#include "sink_internal.h"

#define SINK_BLOCK_BYTES (1u << 20)    /* records are carved from these */
#define SINK_BLOCK_RECORD_MAX (SINK_BLOCK_BYTES / 4) /* larger: malloc */
#define SINK_SPARE_BLOCKS 4u           /* empty blocks kept, faulted in */

/*
 * Record memory (lock held, or the thread gone).
 */

/* A block, its pages faulted in by the kernel in one call. NULL. */
static struct sink_block *
block_new(void)
{
	void *p = mmap(NULL, SINK_BLOCK_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct sink_block *b = p;

	if (p == MAP_FAILED)
		return NULL;
	b->next = NULL;
	b->used = 0;
	b->live = 0;
	return b;
}

/* An empty block: kept as a spare, or unmapped. */
static void
block_release(struct exp_sink *s, struct sink_block *b)
{
	if (s->n_spare < SINK_SPARE_BLOCKS) {
		b->used = 0;
		b->next = s->spare;
		s->spare = b;
		s->n_spare++;
		return;
	}
	munmap(b, SINK_BLOCK_BYTES);
}

static size_t
rec_size(size_t len)
{
	return (sizeof(struct sink_rec) + len + 15) & ~(size_t)15;
}

/* Room for a record of len bytes (len and block set). NULL on ENOMEM. */
struct sink_rec *
sink_rec_alloc(struct exp_sink *s, size_t len)
{
	size_t need = rec_size(len);
	struct sink_block *b = s->block;
	struct sink_rec *rec;

	if (need > SINK_BLOCK_RECORD_MAX) {
		rec = malloc(sizeof(*rec) + len);
		if (rec == NULL)
			return NULL;
		rec->block = NULL;
		rec->len = len;
		return rec;
	}
	if (b == NULL || b->used + need >
	    SINK_BLOCK_BYTES - sizeof(struct sink_block)) {
		struct sink_block *next = s->spare;
		if (next != NULL) {
			s->spare = next->next;
			s->n_spare--;
		} else if ((next = block_new()) == NULL) {
			return NULL;
		}
		/* The full block goes when its last record does. */
		if (b != NULL && b->live == 0)
			block_release(s, b);
		s->block = b = next;
	}
	rec = (struct sink_rec *)(b->data + b->used);
	b->used += need;
	b->live++;
	rec->block = b;
	rec->len = len;
	return rec;
}

void
sink_rec_free(struct exp_sink *s, struct sink_rec *rec)
{
	struct sink_block *b = rec->block;

	if (b == NULL) {
		free(rec);
		return;
	}
	if (--b->live > 0)
		return;
	if (b == s->block)
		b->used = 0;            /* empty: start over in it */
	else
		block_release(s, b);
}

/* The thread's part: spare blocks faulted in before a submit needs them,
 * once records flow. */
void
sink_spares_fill(struct exp_sink *s)
{
	for (;;) {
		pthread_mutex_lock(&s->lock);
		bool want = s->block != NULL && s->n_spare < SINK_SPARE_BLOCKS;
		pthread_mutex_unlock(&s->lock);
		if (!want)
			return;
		struct sink_block *b = block_new();
		if (b == NULL)
			return;
		pthread_mutex_lock(&s->lock);
		block_release(s, b);
		pthread_mutex_unlock(&s->lock);
	}
}

/* Every block, at the end (no record left). */
void
sink_blocks_free(struct exp_sink *s)
{
	if (s->block != NULL)
		munmap(s->block, SINK_BLOCK_BYTES);
	while (s->spare != NULL) {
		struct sink_block *b = s->spare;
		s->spare = b->next;
		munmap(b, SINK_BLOCK_BYTES);
	}
	s->block = NULL;
	s->n_spare = 0;
}

/*
 * The memory queue and the list in flight: rings that grow by doubling.
 * Called with the lock held.
 */

static int
ring_grow(struct exp_sink *s)
{
	uint32_t cap = s->ring_cap == 0 ? 64 : s->ring_cap * 2;
	struct sink_rec **ring = malloc(cap * sizeof(*ring));

	if (ring == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->ring_n; i++)
		ring[i] = s->ring[(s->ring_head + i) % s->ring_cap];
	free(s->ring);
	s->ring = ring;
	s->ring_cap = cap;
	s->ring_head = 0;
	return 0;
}

int
sink_ring_push(struct exp_sink *s, struct sink_rec *rec)
{
	if (s->ring_n == s->ring_cap && ring_grow(s) != 0)
		return -ENOMEM;
	s->ring[(s->ring_head + s->ring_n) % s->ring_cap] = rec;
	s->ring_n++;
	return 0;
}

int
sink_ring_push_front(struct exp_sink *s, struct sink_rec *rec)
{
	if (s->ring_n == s->ring_cap && ring_grow(s) != 0)
		return -ENOMEM;
	s->ring_head = (s->ring_head + s->ring_cap - 1) % s->ring_cap;
	s->ring[s->ring_head] = rec;
	s->ring_n++;
	return 0;
}

struct sink_rec *
sink_ring_pop(struct exp_sink *s)
{
	struct sink_rec *rec = s->ring[s->ring_head];

	s->ring_head = (s->ring_head + 1) % s->ring_cap;
	s->ring_n--;
	return rec;
}

struct sink_flight *
sink_flight_at(struct exp_sink *s, size_t i)
{
	return &s->flight[(s->flight_head + i) % s->flight_cap];
}

int
sink_flight_reserve(struct exp_sink *s)
{
	if (s->flight_n == s->flight_cap) {
		size_t cap = s->flight_cap == 0 ? 256 : s->flight_cap * 2;
		struct sink_flight *list = malloc(cap * sizeof(*list));
		if (list == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < s->flight_n; i++)
			list[i] = *sink_flight_at(s, i);
		free(s->flight);
		s->flight = list;
		s->flight_cap = cap;
		s->flight_head = 0;
	}
	return 0;
}

/* After sink_flight_reserve(). */
void
sink_flight_push(struct exp_sink *s, const struct sink_flight *f)
{
	s->flight[(s->flight_head + s->flight_n) % s->flight_cap] = *f;
	s->flight_n++;
	if (f->rec != NULL)
		s->flight_mem++;
}

struct sink_flight
sink_flight_pop(struct exp_sink *s)
{
	struct sink_flight f = s->flight[s->flight_head];

	s->flight_head = (s->flight_head + 1) % s->flight_cap;
	s->flight_n--;
	if (f.rec != NULL)
		s->flight_mem--;
	return f;
}

/* Puts a memory record in the spool (lock held). True if it went there;
 * false when it was dropped (counted). The record is freed either way. */
bool
sink_spool_put(struct exp_sink *s, struct sink_rec *rec)
{
	int rc = exp_spool_append(s->spool, rec->data, rec->len);

	sink_rec_free(s, rec);
	if (rc == 0) {
		counter_add(&s->spooled, 1);
		s->spool_unread = true;
		return true;
	}
	counter_add(&s->dropped, 1);
	if (ratelimit_due(&s->spool_log, monotonic_ms()))
		sink_log(s, SINK_LOG_ERR, "spool: %s; records are dropped",
			 rc == -EDQUOT ? "full (spool_max)" : rc == -ENOSPC ?
			 "no space left on its file system" : strerror(-rc));
	return false;
}

