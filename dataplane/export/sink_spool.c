/* sink_spool.c -- a sink's spool, from its two threads. The spool thread
 * takes the records that exp_sink_submit() left in the spill and appends
 * them (segment rolls and their fsyncs included); the sink thread reads
 * records back, commits what was delivered and rewinds after a failure.
 * Both hold spool_lock across the spool's I/O and take the sink's lock
 * only for memory, so a submit never waits for the disk; and the
 * transport's waits (a connect, a write that makes no progress) never
 * hold up the spool. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "sink.h"
#include "sink_internal.h"

#define SINK_SPILL_BATCH 256u          /* records appended per turn */

void *
sink_spool_main(void *arg)
{
	struct exp_sink *s = arg;
	struct sink_rec *recs[SINK_SPILL_BATCH];
	int rcs[SINK_SPILL_BATCH];

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->spill.n == 0 && !s->spool_stop)
			pthread_cond_wait(&s->spool_wake, &s->lock);
		if (s->spill.n == 0)
			break;
		unsigned int n = 0;
		while (n < SINK_SPILL_BATCH && s->spill.n > 0) {
			recs[n++] = sink_fifo_pop(&s->spill);
			if (s->spill_front > 0)
				s->spill_front--;
		}
		s->spilling = n;
		pthread_mutex_unlock(&s->lock);

		struct exp_spool_stats st;
		unsigned int spooled = 0;
		int refused = 0;
		pthread_mutex_lock(&s->spool_lock);
		for (unsigned int i = 0; i < n; i++) {
			rcs[i] = exp_spool_append(s->spool, recs[i]->data,
						  recs[i]->len);
			if (rcs[i] == 0)
				spooled++;
			else
				refused = rcs[i];
		}
		exp_spool_stats(s->spool, &st);
		pthread_mutex_lock(&s->lock);
		pthread_mutex_unlock(&s->spool_lock);
		for (unsigned int i = 0; i < n; i++)
			sink_rec_free(s, recs[i]);
		s->spilling = 0;
		s->spool_st = st;
		counter_add(&s->spooled, spooled);
		uint64_t suppressed = 0;
		bool log = spooled < n &&
			sink_drop_count(s, n - spooled, refused, &suppressed);
		if (spooled > 0) {
			s->spool_unread = true;
			if (!s->outage)
				pthread_cond_signal(&s->wake);
		}
		if (s->drainers > 0)
			pthread_cond_broadcast(&s->idle);
		if (log) {
			pthread_mutex_unlock(&s->lock);
			sink_drop_log(s, refused, suppressed);
			pthread_mutex_lock(&s->lock);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int
sink_spool_next(struct exp_sink *s)
{
	struct exp_spool_stats st;
	int rc;

	pthread_mutex_lock(&s->spool_lock);
	for (;;) {
		rc = exp_spool_read(s->spool, s->rbuf, s->rbuf_cap,
				    &s->rbuf_len, &s->rbuf_mark);
		if (rc != -EMSGSIZE || s->rbuf_len <= s->rbuf_cap ||
		    s->rbuf_len > EXP_SPOOL_RECORD_MAX)
			break;
		unsigned char *b = realloc(s->rbuf, s->rbuf_len);
		if (b == NULL) {
			rc = -ENOMEM;
			break;
		}
		s->rbuf = b;
		s->rbuf_cap = s->rbuf_len;
	}
	exp_spool_stats(s->spool, &st);
	pthread_mutex_lock(&s->lock);
	/* Under spool_lock: no append can come between the read that
	 * found nothing and this. */
	if (rc == -ENOENT)
		s->spool_unread = false;
	s->spool_st = st;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->spool_lock);
	return rc;
}

void
sink_spool_commit(struct exp_sink *s)
{
	struct exp_spool_stats st;
	int rc;

	if (!s->commit_pending)
		return;
	s->commit_pending = false;
	pthread_mutex_lock(&s->spool_lock);
	rc = exp_spool_commit(s->spool, &s->commit_mark);
	exp_spool_stats(s->spool, &st);
	pthread_mutex_lock(&s->lock);
	s->spool_st = st;
	if (s->drainers > 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->spool_lock);
	if (rc != 0) {
		pthread_mutex_lock(&s->lock);
		sink_note_error(s, "committing the spool: %s", strerror(-rc));
		pthread_mutex_unlock(&s->lock);
	}
	if (rc != 0 && ratelimit_due(&s->commit_log, monotonic_ms()))
		sink_log(s, SINK_LOG_ERR, "committing the spool: %s",
			 strerror(-rc));
}

void
sink_spool_rewind(struct exp_sink *s)
{
	pthread_mutex_lock(&s->spool_lock);
	exp_spool_rewind(s->spool);
	pthread_mutex_unlock(&s->spool_lock);
}
