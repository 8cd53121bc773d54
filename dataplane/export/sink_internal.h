/* sink_internal.h -- a sink's state and what its four files give one
 * another: sink.c (life cycle, submit), sink_queue.c (records in memory,
 * the memory queue, the spill, the list in flight), sink_thread.c (the
 * thread that delivers) and sink_spool.c (the thread that writes the
 * spool). Internal to dataplane/export/. */
#ifndef IOCSIFT_EXPORT_SINK_INTERNAL_H
#define IOCSIFT_EXPORT_SINK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sink_transport.h"
#include "spool.h"

struct exp_sink_config;

#define SINK_LOG_INTERVAL_MS 60000u    /* repeated problems, once a minute */

#define SINK_LOG_ERR 3
#define SINK_LOG_WARNING 4
#define SINK_LOG_INFO 6

/*
 * Memory records are carved one after another from blocks of
 * SINK_BLOCK_BYTES and given back in about the order they were taken, so
 * a block is reused once its last record is freed. malloc would hand out
 * memory that was never touched for each burst (its free memory goes back
 * to the kernel), and the page faults fell on the exporter's thread; the
 * sink's thread keeps a few empty blocks faulted in ahead instead. All
 * under the sink's lock.
 */
struct sink_block {
	struct sink_block *next;       /* in the list of spare blocks */
	size_t used;                   /* bytes handed out, header included */
	size_t live;                   /* records not yet freed */
	_Alignas(16) unsigned char data[];
};

/* A record in memory, as submitted. */
struct sink_rec {
	struct sink_block *block;      /* NULL: malloc'd on its own */
	size_t len;
	_Alignas(16) unsigned char data[];
};

/* A FIFO of memory records, a ring that grows by doubling. */
struct sink_fifo {
	struct sink_rec **slot;
	uint32_t cap, head, n;
};

/* A record written to the transport and not yet confirmed. */
struct sink_flight {
	uint64_t written_ms;
	struct sink_rec *rec;          /* from memory; NULL: from the spool */
	struct exp_spool_mark mark;    /* from the spool: after it */
};

/* A rate-limited message: the first at once, then one a minute. */
struct sink_ratelimit {
	uint64_t last_ms;
	uint64_t suppressed;
	bool armed;
};

/*
 * Locks. lock guards what lives in memory and is never held across I/O:
 * exp_sink_submit() takes only it, so a submit waits for no disk and no
 * network. spool_lock guards the spool and is held across its I/O (the
 * spool thread's appends, segment rolls and their fsyncs; the sink
 * thread's reads and commits). It is taken before lock, never while
 * holding it; nobody else touches the spool while threads run. The
 * spool's counts are copied into spool_st (under lock) after each change,
 * for whoever reads statistics.
 */
struct exp_sink {
	struct exp_sink_config *cfg;   /* the sink's own copy */
	pthread_t thread;
	pthread_t spool_thread;        /* with a spool */
	bool stopping;                 /* __atomic: the thread leaves every wait */

	pthread_mutex_t lock;
	pthread_cond_t wake;           /* to the thread */
	pthread_cond_t idle;           /* to exp_sink_drain() */
	pthread_cond_t spool_wake;     /* to the spool thread */
	/* Guarded by lock. */
	struct sink_fifo ring;         /* the memory queue, oldest at head */
	/* Records for the spool, oldest at head, and how many the spool
	 * thread has taken and is writing. Every record here is newer than
	 * every one in ring, but the spill_front at its head: those were
	 * moved from the transport's side (a failure, stop). */
	struct sink_fifo spill;
	uint32_t spilling, spill_front;
	struct sink_flight *flight;    /* in flight, oldest at head */
	size_t flight_cap, flight_head, flight_n;
	uint32_t flight_mem;           /* of which from memory */
	struct exp_spool_stats spool_st; /* as of the spool's last change */
	struct sink_block *block;      /* records are carved from it */
	struct sink_block *spare;      /* empty blocks, faulted in */
	unsigned int n_spare;
	bool spool_unread;             /* the spool may hold unread records */
	bool outage;                   /* records go to the spool */
	bool connected;
	bool stop, reopen, kick;
	bool spool_stop;               /* the spool thread: empty spill, end */
	bool held, woken_late;         /* exp_sink_hold(): wake once, later */
	bool spool_woken_late;         /* the same, for the spool thread */
	unsigned int drainers;         /* in exp_sink_drain() */
	uint64_t drain_deadline_ms;
	struct sink_ratelimit drop_log, spool_log;
	/* The last problem (an outage, a drop, a spool error), kept for
	 * exp_sink_stats_read() even when its log line was held back. */
	char last_error[256];          /* EXP_SINK_ERROR_MAX + 1 (sink.c) */
	int64_t last_error_time;       /* Unix seconds, 0: none yet */
	bool last_error_loss;          /* it was a drop */

	/* Counters, relaxed: read by any thread. */
	/* __atomic: the sink thread adds, stats readers read. */
	uint64_t queued, sent, spooled, retried, dropped;
	uint64_t connects, errors;

	/* The spool is guarded by spool_lock; the pointer (NULL without a
	 * spool) is set before the threads start and cleared after they
	 * end, so anyone may test it. */
	pthread_mutex_t spool_lock;
	struct exp_spool *spool;

	/* The thread's own. */
	struct sink_conn conn;         /* the transport */
	bool up;                       /* the transport is open */
	bool lazy;                     /* closed on purpose: reconnect later */
	unsigned int attempt;          /* backoff exponent */
	unsigned int failures;         /* in a row */
	uint64_t next_attempt_ms, up_since_ms, spool_retry_ms;
	struct sink_ratelimit fail_log, commit_log;
	struct sink_batch batch;
	unsigned char *rbuf;           /* the last spool record read */
	size_t rbuf_cap;
	size_t rbuf_len;
	struct exp_spool_mark rbuf_mark;
	bool rbuf_pending;             /* read, not yet in flight */
	struct exp_spool_mark commit_mark; /* delivered, to commit */
	bool commit_pending;
	bool fill_blocked;             /* records wait for confirmations */
	uint64_t rng;
};

/* "sink NAME: " and the message to the logger (sink.c). */
void sink_log(const struct exp_sink *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Counts n records dropped for rc (-EDQUOT, -ENOSPC, -ENOBUFS, ...) and
 * keeps why as the last error (lock held). True when a message is due,
 * with *suppressed the drops held back since the last one (one a
 * minute). */
bool sink_drop_count(struct exp_sink *s, uint64_t n, int rc,
		     uint64_t *suppressed);
/* "dropping records: WHY" for rc, without the lock. */
void sink_drop_log(const struct exp_sink *s, int rc, uint64_t suppressed);

/* Keeps the text as the sink's last error, with the time (lock held, or
 * before the threads run). No log: the caller logs, rate-limited.
 * sink_note_loss() is for records dropped; an error that is no loss (an
 * outage, a spool read) does not replace a loss younger than a minute. */
void sink_note_error(struct exp_sink *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sink_note_loss(struct exp_sink *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when a message is due; counts the ones held back. */
static inline bool
ratelimit_due(struct sink_ratelimit *r, uint64_t now)
{
	if (!r->armed || now - r->last_ms >= SINK_LOG_INTERVAL_MS) {
		r->armed = true;
		r->last_ms = now;
		return true;
	}
	r->suppressed++;
	return false;
}

static inline void
counter_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t
counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * sink_queue.c: record memory, the memory queue, the spill and the list
 * in flight, with the lock held (or the threads gone).
 */

/* Room for a record of len bytes (len and block set). NULL on ENOMEM. */
struct sink_rec *sink_rec_alloc(struct exp_sink *s, size_t len);
void sink_rec_free(struct exp_sink *s, struct sink_rec *rec);
/* The thread's part, without the lock: spare blocks faulted in before a
 * submit needs them, once records flow. */
void sink_spares_fill(struct exp_sink *s);
/* Every block, at the end (no record left). */
void sink_blocks_free(struct exp_sink *s);

/* A FIFO (the memory queue, the spill): pushes are 0 or -ENOMEM; the
 * i-th oldest; the oldest out (n > 0); its memory. */
int sink_fifo_push(struct sink_fifo *f, struct sink_rec *rec);
int sink_fifo_push_front(struct sink_fifo *f, struct sink_rec *rec);
struct sink_rec *sink_fifo_at(const struct sink_fifo *f, uint32_t i);
struct sink_rec *sink_fifo_pop(struct sink_fifo *f);
void sink_fifo_free(struct sink_fifo *f);

/* The list in flight: the i-th oldest; room for one more (0 or
 * -ENOMEM), then a push; the oldest out. */
struct sink_flight *sink_flight_at(struct exp_sink *s, size_t i);
int sink_flight_reserve(struct exp_sink *s);
void sink_flight_push(struct exp_sink *s, const struct sink_flight *f);
struct sink_flight sink_flight_pop(struct exp_sink *s);

/* With a spool: what memory holds for the transport (in flight from
 * memory, then the memory queue) moves to the head of the spill, oldest
 * first, for the spool thread to write before what waits there; records
 * in flight from the spool are forgotten (they stay in it). Without a
 * spool: in flight from memory goes back to the head of the memory
 * queue. Counts what finds no memory as dropped. */
void sink_unsend(struct exp_sink *s);

/* sink_thread.c: the thread's body, for pthread_create. */
void *sink_main(void *arg);

/* sink_spool.c: the spool thread's body: writes the spill to the spool
 * until spool_stop and an empty spill. */
void *sink_spool_main(void *arg);
/* The sink thread's side, spool_lock taken inside: the next record into
 * rbuf (0, -ENOENT when none: spool_unread cleared, -errno); commits what
 * was delivered (commit_pending), logging a failure. */
int sink_spool_next(struct exp_sink *s);
void sink_spool_commit(struct exp_sink *s);
/* After a failure: reading starts over at the committed cursor. */
void sink_spool_rewind(struct exp_sink *s);

#endif
