/* sink_queue.c -- a sink's records in memory: carved from blocks kept
 * faulted in; the memory queue, the spill (records for the spool thread)
 * and the list in flight, rings that grow by doubling; records handed
 * back from the transport's side when it fails or stops. */
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
 * The memory queue, the spill and the list in flight: rings that grow by
 * doubling. Called with the lock held.
 */

static int
fifo_grow(struct sink_fifo *f)
{
	uint32_t cap = f->cap == 0 ? 64 : f->cap * 2;
	struct sink_rec **slot = malloc(cap * sizeof(*slot));

	if (slot == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < f->n; i++)
		slot[i] = f->slot[(f->head + i) % f->cap];
	free(f->slot);
	f->slot = slot;
	f->cap = cap;
	f->head = 0;
	return 0;
}

int
sink_fifo_push(struct sink_fifo *f, struct sink_rec *rec)
{
	if (f->n == f->cap && fifo_grow(f) != 0)
		return -ENOMEM;
	f->slot[(f->head + f->n) % f->cap] = rec;
	f->n++;
	return 0;
}

int
sink_fifo_push_front(struct sink_fifo *f, struct sink_rec *rec)
{
	if (f->n == f->cap && fifo_grow(f) != 0)
		return -ENOMEM;
	f->head = (f->head + f->cap - 1) % f->cap;
	f->slot[f->head] = rec;
	f->n++;
	return 0;
}

struct sink_rec *
sink_fifo_at(const struct sink_fifo *f, uint32_t i)
{
	return f->slot[(f->head + i) % f->cap];
}

struct sink_rec *
sink_fifo_pop(struct sink_fifo *f)
{
	struct sink_rec *rec = f->slot[f->head];

	f->head = (f->head + 1) % f->cap;
	f->n--;
	return rec;
}

void
sink_fifo_free(struct sink_fifo *f)
{
	free(f->slot);
	*f = (struct sink_fifo){ 0 };
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

/* A record moved back to the head of a FIFO; dropped (counted) when
 * there is no memory for it. */
static void
unsend_one(struct exp_sink *s, struct sink_fifo *f, struct sink_rec *rec)
{
	if (sink_fifo_push_front(f, rec) != 0) {
		sink_rec_free(s, rec);
		counter_add(&s->dropped, 1);
	}
}

void
sink_unsend(struct exp_sink *s)
{
	struct sink_fifo *to = s->spool != NULL ? &s->spill : &s->ring;
	uint32_t before = to->n;

	/* Newest first to the head, so the oldest ends up there. */
	if (s->spool != NULL) {
		while (s->ring.n > 0) {
			struct sink_rec *rec =
				sink_fifo_at(&s->ring, s->ring.n - 1);
			s->ring.n--;
			unsend_one(s, to, rec);
		}
		s->ring.head = 0;
	}
	while (s->flight_n > 0) {
		struct sink_flight f = *sink_flight_at(s, s->flight_n - 1);
		s->flight_n--;
		if (f.rec != NULL)
			unsend_one(s, to, f.rec);
	}
	s->flight_head = 0;
	s->flight_mem = 0;
	if (s->spool != NULL)
		s->spill_front += to->n - before;
}
