/* sink.c -- a SIEM sink's life cycle and its producers' side: start (the
 * transport set up, the spool opened, the threads made), submit into the
 * memory queue or the spill (in memory both: the spool thread writes the
 * spill to disk), drain, stop (what memory holds goes to the spool),
 * counters. The threads are sink_thread.c and sink_spool.c; the
 * transports are sink_file.c, sink_net.c and sink_tls.c. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "sink.h"
#include "sink_internal.h"
#include "spool.h"

#define SINK_READ_BUF (64u << 10)      /* first size of the spool read buffer */

/* The transport of each kind. */
static const struct sink_transport *const sink_transports[] = {
	[EXP_SINK_FILE] = &sink_transport_file,
	[EXP_SINK_UDP] = &sink_transport_udp,
	[EXP_SINK_TCP] = &sink_transport_tcp,
	[EXP_SINK_TLS] = &sink_transport_tls,
	[EXP_SINK_NATS] = &sink_transport_nats,
};

typedef void (*sink_log_fn)(int level, const char *message);
static sink_log_fn sink_logger;          /* __atomic */

void
exp_sink_set_logger(void (*fn)(int level, const char *message))
{
	__atomic_store_n(&sink_logger, fn, __ATOMIC_RELEASE);
}

void
sink_log(const struct exp_sink *s, int level, const char *fmt, ...)
{
	char message[768];
	int n = snprintf(message, sizeof(message), "sink %s: ", s->cfg->name);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message + n, sizeof(message) - (size_t)n, fmt, ap);
	va_end(ap);
	sink_log_fn fn = __atomic_load_n(&sink_logger, __ATOMIC_ACQUIRE);
	if (fn != NULL)
		fn(level, message);
	else
		fprintf(stderr, "%s\n", message);
}

_Static_assert(sizeof(((struct exp_sink *)0)->last_error) ==
	       EXP_SINK_ERROR_MAX + 1, "the last error is copied whole");

static void
sink_note(struct exp_sink *s, bool loss, const char *fmt, va_list ap)
{
	int64_t now = (int64_t)time(NULL);

	/* Loss outranks an outage: a reconnect failing again does not hide
	 * a drop for a minute. */
	if (!loss && s->last_error_loss &&
	    now - s->last_error_time < SINK_LOG_INTERVAL_MS / 1000)
		return;
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
	s->last_error_time = now;
	s->last_error_loss = loss;
}

void
sink_note_error(struct exp_sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_note(s, false, fmt, ap);
	va_end(ap);
}

void
sink_note_loss(struct exp_sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_note(s, true, fmt, ap);
	va_end(ap);
}

/* Why records were dropped, for the log and the last error. */
static const char *
drop_reason(const struct exp_sink *s, int rc)
{
	switch (rc) {
	case -EDQUOT:
		return "the spool is full (spool_max)";
	case -ENOSPC:
		return "no space left on the spool's file system";
	case -ENOBUFS:
		return s->spool != NULL ? "the spool thread is behind (queue "
			"records wait in memory for the disk)" :
			"the queue is full and there is no spool";
	default:
		return strerror(-rc);
	}
}

bool
sink_drop_count(struct exp_sink *s, uint64_t n, int rc, uint64_t *suppressed)
{
	counter_add(&s->dropped, n);
	sink_note_loss(s, "dropping records: %s", drop_reason(s, rc));
	if (!ratelimit_due(&s->drop_log, monotonic_ms())) {
		s->drop_log.suppressed += n - 1;
		return false;
	}
	*suppressed = s->drop_log.suppressed + n - 1;
	s->drop_log.suppressed = 0;
	return true;
}

void
sink_drop_log(const struct exp_sink *s, int rc, uint64_t suppressed)
{
	char more[64] = "";

	if (suppressed > 0)
		snprintf(more, sizeof(more), " (%" PRIu64 " more since the "
			 "last message)", suppressed);
	sink_log(s, SINK_LOG_WARNING, "dropping records: %s%s",
		 drop_reason(s, rc), more);
}

/* Nothing held: what exp_sink_drain() waits for (lock held). */
static bool
sink_holds_nothing(struct exp_sink *s)
{
	return s->ring.n == 0 && s->flight_n == 0 && s->spill.n == 0 &&
	       s->spilling == 0 && s->spool_st.records == 0;
}

int
exp_sink_submit(struct exp_sink *s, const void *record, size_t len)
{
	uint64_t suppressed = 0;
	bool log_drop;
	int rc;

	if (record == NULL || len == 0 || len > EXP_SINK_RECORD_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	counter_add(&s->queued, 1);
	/* With a spool, a record goes to the spill (for the spool thread)
	 * during an outage, behind anything that waits for or in the spool
	 * (order), and past the memory queue. Each holds queue records
	 * (the spill not counting what a failure moved to its head). */
	bool spill = s->spool != NULL &&
		(s->outage || s->spool_unread || s->spill.n > 0 ||
		 s->spilling > 0 || s->ring.n >= s->cfg->queue);
	struct sink_fifo *q = spill ? &s->spill : &s->ring;
	rc = -ENOBUFS;
	if (q->n - (spill ? s->spill_front : 0) >= s->cfg->queue)
		goto drop;
	struct sink_rec *rec = sink_rec_alloc(s, len);
	if (rec == NULL) {
		rc = -ENOMEM;
		goto drop;
	}
	memcpy(rec->data, record, len);
	if (sink_fifo_push(q, rec) != 0) {
		sink_rec_free(s, rec);
		rc = -ENOMEM;
		goto drop;
	}
	if (spill) {
		if (s->held)
			s->spool_woken_late = true;
		else
			pthread_cond_signal(&s->spool_wake);
	} else if (s->held) {
		s->woken_late = true;
	} else if (!s->outage) {
		/* During an outage the thread waits out its backoff. */
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;

drop:
	log_drop = sink_drop_count(s, 1, rc, &suppressed);
	pthread_mutex_unlock(&s->lock);
	if (log_drop)
		sink_drop_log(s, rc, suppressed);
	return rc;
}

void
exp_sink_hold(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->held = true;
	pthread_mutex_unlock(&s->lock);
}

void
exp_sink_release(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->held = false;
	if (s->woken_late && !s->outage)
		pthread_cond_signal(&s->wake);
	if (s->spool_woken_late)
		pthread_cond_signal(&s->spool_wake);
	s->woken_late = s->spool_woken_late = false;
	pthread_mutex_unlock(&s->lock);
}

void
exp_sink_reopen(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->reopen = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Life cycle.
 */

static int
sink_open_spool(struct exp_sink *s, const char *spool_root,
		const char *where, struct error_detail *err)
{
	char dir[4200], reason[ERROR_DETAIL_TEXT_MAX];
	char why[DIR_PREPARE_TEXT_MAX];
	struct error_detail spool_err = { 0 };
	struct exp_spool_stats st;

	/* The program makes a default spool root; a named one must be
	 * there (a typo would start an empty spool elsewhere). The path
	 * once, so that the command fits the message. */
	int rc = dir_prepare(spool_root, DIR_MODE_PRIVATE, false, why,
			     sizeof(why));
	if (rc == -ENOENT)
		error_detail_set(err, where, 0, "spool directory missing; "
				 "create it with: %s", dir_install_command(
				 spool_root, DIR_MODE_PRIVATE, why,
				 sizeof(why)));
	else if (rc != 0)
		error_detail_set(err, where, 0, "spool directory %s", why);
	if (rc != 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/%s", spool_root, s->cfg->name);
	s->spool = exp_spool_open(dir, s->cfg->spool_max, &spool_err);
	if (s->spool == NULL) {
		int e = errno != 0 ? errno : EIO;
		error_detail_set(err, where, 0, "spool %s: %s", dir,
				 e == EBUSY ? "in use by another sink or "
				 "process (names must differ)" :
				 error_detail_format(&spool_err, reason,
						     sizeof(reason)));
		return -e;
	}
	const char *notice = exp_spool_notice(s->spool);
	if (notice != NULL) {
		sink_log(s, SINK_LOG_WARNING, "spool %s: %s", dir, notice);
		sink_note_error(s, "spool %s: %s", dir, notice);
	}
	exp_spool_stats(s->spool, &st);
	if (st.records > 0)
		sink_log(s, SINK_LOG_INFO, "%" PRIu64 " records left in the "
			 "spool from an earlier run are sent first",
			 st.records);
	s->spool_unread = st.records > 0;
	s->spool_st = st;
	return 0;
}

static void
sink_free(struct exp_sink *s)
{
	if (s->conn.type->teardown != NULL)
		s->conn.type->teardown(&s->conn);
	sink_fifo_free(&s->ring);
	sink_fifo_free(&s->spill);
	free(s->flight);
	free(s->batch.data);
	free(s->rbuf);
	sink_blocks_free(s);
	free(s->cfg);
	free(s);
}

static void sink_spool_thread_end(struct exp_sink *s);

struct exp_sink *
exp_sink_start(const struct exp_sink_config *cfg, const char *spool_root,
	       struct error_detail *err)
{
	char where[EXP_SINK_NAME_MAX + 8];
	struct exp_sink *s;
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	/* Every error names the sink: "sink NAME: ...". */
	snprintf(where, sizeof(where), "sink %s", cfg->name);
	if ((unsigned int)cfg->kind >= sizeof(sink_transports) /
	    sizeof(sink_transports[0])) {
		error_detail_set(err, where, 0, "unknown kind %d",
				 (int)cfg->kind);
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->cfg = malloc(sizeof(*s->cfg))) == NULL) {
		error_detail_set(err, where, 0, "out of memory");
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	*s->cfg = *cfg;
	s->conn.type = sink_transports[cfg->kind];
	s->conn.cfg = s->cfg;
	s->conn.stopping = &s->stopping;
	s->conn.fd = -1;
	s->rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)s << 16) ^
		monotonic_ms();
	s->rng = s->rng != 0 ? s->rng : 0x9e3779b97f4a7c15ull;
	if (cfg->queue == 0 || cfg->queue > EXP_SINK_QUEUE_MAX) {
		error_detail_set(err, where, 0, "queue must be 1 to %u",
				 EXP_SINK_QUEUE_MAX);
		rc = -EINVAL;
		goto free_sink;
	}
	s->conn.type->name_peer(&s->conn);
	s->batch.cap = SINK_BATCH_BYTES * 2;
	s->batch.data = malloc(s->batch.cap);
	s->rbuf_cap = SINK_READ_BUF;
	s->rbuf = malloc(s->rbuf_cap);
	if (s->batch.data == NULL || s->rbuf == NULL) {
		error_detail_set(err, where, 0, "out of memory");
		rc = -ENOMEM;
		goto free_sink;
	}
	if (s->conn.type->setup != NULL) {
		struct error_detail setup_err = { 0 };
		const char *warning = NULL;
		rc = s->conn.type->setup(&s->conn, &warning, &setup_err);
		if (rc != 0) {
			error_detail_set(err, where, 0, "%s",
					 setup_err.message);
			goto free_sink;
		}
		if (warning != NULL)
			sink_log(s, SINK_LOG_WARNING, "%s", warning);
	}
	if (cfg->spool_max > 0 && spool_root != NULL && spool_root[0] != '\0') {
		rc = sink_open_spool(s, spool_root, where, err);
		if (rc != 0)
			goto free_sink;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->spool_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &attr);
	pthread_cond_init(&s->idle, &attr);
	pthread_cond_init(&s->spool_wake, &attr);
	pthread_condattr_destroy(&attr);
	/* The threads take no signal: SIGPIPE becomes EPIPE (OpenSSL writes
	 * with write(2)), and the daemon's handlers run elsewhere. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = s->spool == NULL ? 0 :
		-pthread_create(&s->spool_thread, NULL, sink_spool_main, s);
	if (rc == 0) {
		rc = -pthread_create(&s->thread, NULL, sink_main, s);
		if (rc != 0 && s->spool != NULL)
			sink_spool_thread_end(s);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		error_detail_set(err, where, 0, "cannot start its thread: %s",
				 strerror(-rc));
		goto destroy_sync;
	}
	char tname[16];
	snprintf(tname, sizeof(tname), "sink-%.10s", cfg->name);
	pthread_setname_np(s->thread, tname);
	if (s->spool != NULL) {
		snprintf(tname, sizeof(tname), "spool-%.9s", cfg->name);
		pthread_setname_np(s->spool_thread, tname);
	}
	return s;

destroy_sync:
	pthread_cond_destroy(&s->spool_wake);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->spool_lock);
	pthread_mutex_destroy(&s->lock);
	exp_spool_close(s->spool);
free_sink:
	sink_free(s);
	errno = -rc;
	return NULL;
}

int
exp_sink_drain(struct exp_sink *s, unsigned int drain_ms)
{
	uint64_t deadline = monotonic_ms() + drain_ms;
	struct timespec t = monotonic_after_ms(drain_ms);
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->drainers++ == 0 || deadline > s->drain_deadline_ms)
		s->drain_deadline_ms = deadline;
	/* An outage waiting out its backoff tries once more now. */
	s->kick = s->outage;
	pthread_cond_signal(&s->wake);
	while (!sink_holds_nothing(s)) {
		if (pthread_cond_timedwait(&s->idle, &s->lock, &t) ==
		    ETIMEDOUT) {
			rc = sink_holds_nothing(s) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	s->drainers--;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The spool thread writes what the spill holds, then ends. */
static void
sink_spool_thread_end(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->spool_stop = true;
	pthread_cond_signal(&s->spool_wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->spool_thread, NULL);
}

void
exp_sink_stop(struct exp_sink *s, unsigned int drain_ms)
{
	struct exp_spool_stats st = { 0 };
	uint64_t spooled = 0, dropped = 0;
	bool spool = false;

	if (s == NULL)
		return;
	if (drain_ms > 0)
		exp_sink_drain(s, drain_ms);
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->conn.type->close(&s->conn);

	/* The sink thread is gone: what it held in memory goes to the spool
	 * thread, oldest first, ahead of what waits for it; records in
	 * flight from the spool stay there uncommitted. Without a spool it
	 * is dropped. */
	uint64_t spooled_before = counter_get(&s->spooled);
	uint64_t dropped_before = counter_get(&s->dropped);
	pthread_mutex_lock(&s->lock);
	sink_unsend(s);
	uint64_t moved = s->spill_front;
	while (s->spool == NULL && s->ring.n > 0) {
		sink_rec_free(s, sink_fifo_pop(&s->ring));
		counter_add(&s->dropped, 1);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->spool != NULL) {
		spool = true;
		sink_spool_thread_end(s);
		spooled = counter_get(&s->spooled) - spooled_before;
		if (spooled > moved)
			spooled = moved;   /* the rest had been submitted */
		int rc = exp_spool_sync(s->spool);
		if (rc != 0)
			sink_log(s, SINK_LOG_ERR, "syncing the spool: %s",
				 strerror(-rc));
		exp_spool_stats(s->spool, &st);
		exp_spool_close(s->spool);
		s->spool = NULL;
	}
	dropped = counter_get(&s->dropped) - dropped_before;
	if (st.records > 0 && spooled > 0)
		sink_log(s, SINK_LOG_INFO, "stopped with %" PRIu64 " records "
			 "in the spool, %" PRIu64 " of them moved there from "
			 "memory now", st.records, spooled);
	else if (st.records > 0)
		sink_log(s, SINK_LOG_INFO, "stopped with %" PRIu64 " records "
			 "in the spool", st.records);
	if (dropped > 0)
		sink_log(s, SINK_LOG_WARNING, "stopped: %" PRIu64
			 " undelivered records dropped (%s)", dropped, spool ?
			 "the spool refused them" : "no spool");
	pthread_cond_destroy(&s->spool_wake);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->spool_lock);
	pthread_mutex_destroy(&s->lock);
	sink_free(s);
}

void
exp_sink_stats_read(struct exp_sink *s, struct exp_sink_stats *st)
{
	struct exp_spool_stats sp;

	pthread_mutex_lock(&s->lock);
	sp = s->spool_st;
	st->connected = s->connected;
	st->memory_records = (uint64_t)s->ring.n + s->spill.n + s->spilling +
		s->flight_mem;
	memcpy(st->last_error, s->last_error, sizeof(st->last_error));
	st->last_error_time = s->last_error_time;
	pthread_mutex_unlock(&s->lock);
	st->queued = counter_get(&s->queued);
	st->sent = counter_get(&s->sent);
	st->spooled = counter_get(&s->spooled);
	st->retried = counter_get(&s->retried);
	st->dropped = counter_get(&s->dropped);
	st->connects = counter_get(&s->connects);
	st->errors = counter_get(&s->errors);
	st->spool_records = sp.records;
	st->spool_bytes = sp.bytes;
}

const struct exp_sink_config *
exp_sink_get_config(const struct exp_sink *s)
{
	return s->cfg;
}
