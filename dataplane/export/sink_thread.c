/* sink_thread.c -- a sink's thread: batches from the memory queue, then
 * the spool; writes them through the transport; confirms what a stream
 * sent, delivers and commits; hands what was held to the spool thread
 * when the transport fails, and reconnects with backoff. Its spool reads
 * and commits are in sink_spool.c. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "sink.h"
#include "sink_internal.h"

#define SINK_CONFIRM_SLACK_MS 1000u    /* see sink_paused() */
#define SINK_IDLE_WAKE_MS 1000u        /* look at an idle connection */
#define SINK_BUSY_WAKE_MS 20u          /* waiting for records to be confirmed */
#define SINK_SPOOL_RETRY_MS 1000u      /* after a spool read error */

/* xorshift64*: jitter only, no secrets. */
static uint64_t
sink_random(struct exp_sink *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

/* Whether the connection still stands, where the transport can tell. 0;
 * -ESHUTDOWN; -errno (why set). */
static int
conn_check(struct exp_sink *s)
{
	if (s->conn.type->check == NULL)
		return 0;
	return s->conn.type->check(&s->conn);
}

static void
transport_close(struct exp_sink *s)
{
	s->conn.type->close(&s->conn);
	s->up = false;
}

/* "LEN " of RFC 6587 octet counting: at most 20 digits and the space. */
#define SINK_FRAME_HEAD_MAX 21

/* The frame head of a record of len bytes into head; its length. Without
 * snprintf: one per record. */
static size_t
frame_head(size_t len, char *head)
{
	char digits[SINK_FRAME_HEAD_MAX];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + len % 10);
		len /= 10;
	} while (len > 0);
	memcpy(head, digits + n, sizeof(digits) - n);
	head[sizeof(digits) - n] = ' ';
	return sizeof(digits) - n + 1;
}

/* Room the batch needs for one record, framed: at most this. */
static size_t
batch_need(size_t len)
{
	return SINK_FRAME_HEAD_MAX + len + 1;
}

/* Appends one record to the batch, framed for the transport; the batch
 * has batch_need(len) bytes free. */
static void
batch_put(struct exp_sink *s, const void *data, size_t len)
{
	enum sink_framing framing = s->conn.type->framing;

	if (framing == SINK_FRAME_OCTET_COUNT)
		s->batch.len += frame_head(len, (char *)s->batch.data +
					   s->batch.len);
	memcpy(s->batch.data + s->batch.len, data, len);
	s->batch.len += len;
	if (framing == SINK_FRAME_LINE)
		s->batch.data[s->batch.len++] = '\n';
	s->batch.ends[s->batch.n++] = s->batch.len;
}

/* Grows the batch so that need more bytes fit. 0 or -ENOMEM. */
static int
batch_reserve(struct exp_sink *s, size_t used, size_t need)
{
	if (used + need <= s->batch.cap)
		return 0;
	unsigned char *b = realloc(s->batch.data, used + need);
	if (b == NULL)
		return -ENOMEM;
	s->batch.data = b;
	s->batch.cap = used + need;
	return 0;
}

/* batch_put() for callers that have not reserved. 0 or -ENOMEM. */
static int
batch_add(struct exp_sink *s, const void *data, size_t len)
{
	if (batch_reserve(s, s->batch.len, batch_need(len)) != 0)
		return -ENOMEM;
	batch_put(s, data, len);
	return 0;
}

/* Sending waits while the oldest record in flight is well past confirm_ms:
 * a busy stream seldom has an empty send queue, and pausing lets it empty
 * so records can be confirmed (lock held). */
static bool
sink_paused(struct exp_sink *s, uint64_t now)
{
	return s->flight_n > 0 && now - sink_flight_at(s, 0)->written_ms >=
		(uint64_t)s->cfg->confirm_ms + SINK_CONFIRM_SLACK_MS;
}

/* Moves records into the batch and the list in flight: the memory queue
 * first, then the spool. Returns how many. Memory records become in
 * flight under the lock but are copied into the batch after it, so that
 * submits do not wait for the copy: only this thread frees records in
 * flight, and the room they need is reserved first, so the copy cannot
 * fail. Spool records wait for a batch of their own, and are read with
 * the lock let go (the read may wait for the disk, or for the spool
 * thread's writes): only this thread adds to the list in flight, so the
 * room reserved stays. */
static unsigned int
sink_fill(struct exp_sink *s, uint64_t now)
{
	struct sink_rec *recs[SINK_BATCH_RECORDS];
	unsigned int n_recs = 0;
	size_t planned = 0;             /* batch bytes the records take */

	s->batch.len = 0;
	s->batch.n = 0;
	s->fill_blocked = false;
	pthread_mutex_lock(&s->lock);
	if (s->conn.type->confirms && sink_paused(s, now)) {
		s->fill_blocked = true;
		goto out;
	}
	size_t batch_bytes = s->conn.type->batch_bytes != 0 ?
		s->conn.type->batch_bytes : SINK_BATCH_BYTES;
	while (s->batch.n + n_recs < SINK_BATCH_RECORDS &&
	       s->batch.len + planned < batch_bytes) {
		struct sink_flight f = { .written_ms = now };
		if (sink_flight_reserve(s) != 0)
			break;
		if (s->ring.n > 0) {
			if (s->batch.n > 0)
				break;     /* spool records: a batch alone */
			if (s->conn.type->confirms &&
			    s->flight_mem >= s->cfg->queue) {
				s->fill_blocked = true;
				break;
			}
			f.rec = sink_fifo_at(&s->ring, 0);
			size_t need = batch_need(f.rec->len);
			if (planned + need > s->batch.cap &&
			    (n_recs > 0 || batch_reserve(s, 0, need) != 0))
				break;     /* next batch; out of memory: stays */
			sink_fifo_pop(&s->ring);
			sink_flight_push(s, &f);
			recs[n_recs++] = f.rec;
			planned += need;
			continue;
		}
		if (n_recs > 0 || s->spool == NULL || !s->spool_unread ||
		    now < s->spool_retry_ms)
			break;
		if (!s->rbuf_pending) {
			pthread_mutex_unlock(&s->lock);
			int rc = sink_spool_next(s);
			pthread_mutex_lock(&s->lock);
			if (rc == -ENOENT)
				break;     /* spool_unread cleared */
			if (rc != 0) {
				s->spool_retry_ms = now + SINK_SPOOL_RETRY_MS;
				sink_note_error(s, "reading the spool: %s",
						strerror(-rc));
				if (ratelimit_due(&s->spool_log, now))
					sink_log(s, SINK_LOG_ERR, "reading "
						 "the spool: %s (retrying)",
						 strerror(-rc));
				break;
			}
			s->rbuf_pending = true;
		}
		/* Out of memory: the record waits in rbuf, read already, so
		 * nothing behind it can be committed before it is sent. */
		if (batch_add(s, s->rbuf, s->rbuf_len) != 0)
			break;
		s->rbuf_pending = false;
		f.mark = s->rbuf_mark;
		sink_flight_push(s, &f);
	}
out:
	pthread_mutex_unlock(&s->lock);
	for (unsigned int i = 0; i < n_recs; i++)
		batch_put(s, recs[i]->data, recs[i]->len);
	return s->batch.n;
}

/* The first n records in flight are delivered: frees them and notes
 * the spool's position after the last one from it (lock held), for
 * sink_spool_commit() once the lock is let go. */
static void
sink_deliver(struct exp_sink *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sink_flight f = sink_flight_pop(s);
		if (f.rec != NULL) {
			sink_rec_free(s, f.rec);
		} else {
			s->commit_mark = f.mark;
			s->commit_pending = true;
		}
	}
	if (s->drainers > 0)
		pthread_cond_broadcast(&s->idle);
}

/* Confirms the records in flight that are old enough, once the peer has
 * acknowledged every byte and the connection stands. 0 or -errno. */
static int
sink_confirm(struct exp_sink *s, uint64_t now)
{
	size_t n = 0;
	int outq = 0;

	pthread_mutex_lock(&s->lock);
	bool due = s->flight_n > 0 &&
		now - sink_flight_at(s, 0)->written_ms >= s->cfg->confirm_ms;
	pthread_mutex_unlock(&s->lock);
	if (!due)
		return 0;
	/* The queue first: an RST after this read shows in the check. */
	if (s->conn.type->unacked(&s->conn, &outq) != 0)
		return 0;
	if (outq != 0) {
		pthread_mutex_lock(&s->lock);
		uint64_t age = now - sink_flight_at(s, 0)->written_ms;
		pthread_mutex_unlock(&s->lock);
		if (age < (uint64_t)s->cfg->confirm_ms + SINK_IO_TIMEOUT_MS)
			return 0;
		snprintf(s->conn.why, sizeof(s->conn.why), "connection to %s: "
			 "nothing acknowledged for %u s (the receiver does not "
			 "read)", s->conn.peer, SINK_IO_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	int rc = conn_check(s);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	while (n < s->flight_n &&
	       now - sink_flight_at(s, n)->written_ms >= s->cfg->confirm_ms)
		n++;
	sink_deliver(s, n);
	pthread_mutex_unlock(&s->lock);
	sink_spool_commit(s);
	return 0;
}

/* Writes the batch. Records of a file or UDP sink are delivered when
 * written; a stream's stay in flight. 0 or -errno (why set). */
static int
sink_flush(struct exp_sink *s)
{
	unsigned int done = 0, too_big = 0;
	int rc;

	for (;;) {
		unsigned int n = 0;
		rc = s->conn.type->write(&s->conn, &s->batch, done, &n);
		done += n;
		if (rc != -EMSGSIZE)
			break;
		/* A record the transport can never take (UDP: too big for a
		 * datagram) is dropped; the rest go on. */
		counter_add(&s->errors, 1);
		counter_add(&s->dropped, 1);
		pthread_mutex_lock(&s->lock);
		sink_note_loss(s, "%s: dropped", s->conn.why);
		pthread_mutex_unlock(&s->lock);
		if (ratelimit_due(&s->commit_log, monotonic_ms()))
			sink_log(s, SINK_LOG_ERR, "%s: dropped", s->conn.why);
		done++;
		too_big++;
	}
	counter_add(&s->sent, done - too_big);
	if (!s->conn.type->confirms) {
		pthread_mutex_lock(&s->lock);
		sink_deliver(s, done);
		pthread_mutex_unlock(&s->lock);
		sink_spool_commit(s);
	}
	return rc;
}

/* The connection is gone (or could not be made): what was in flight and
 * in memory goes to the spool thread (or back to the memory queue without
 * a spool), the spool is read again from its cursor, and the next attempt
 * is scheduled. */
static void
sink_fail(struct exp_sink *s, bool count_error)
{
	uint64_t now = monotonic_ms();
	bool was_up = s->up;

	transport_close(s);
	if (s->spool != NULL) {
		sink_spool_commit(s);
		sink_spool_rewind(s);
		s->rbuf_pending = false;
	}
	pthread_mutex_lock(&s->lock);
	s->connected = false;
	s->outage = count_error;
	if (count_error)
		sink_note_error(s, "%s", s->conn.why[0] != '\0' ? s->conn.why :
				"connection lost");
	counter_add(&s->retried, s->flight_n);
	sink_unsend(s);
	if (s->spool != NULL) {
		s->spool_unread = true;
		if (s->spill.n > 0)
			pthread_cond_signal(&s->spool_wake);
	}
	if (s->drainers > 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	if (!count_error) {
		s->lazy = true;
		s->next_attempt_ms = now;
		return;
	}
	counter_add(&s->errors, 1);
	if (was_up && now - s->up_since_ms >= EXP_SINK_BACKOFF_RESET_MS)
		s->attempt = 0;
	uint64_t cap = s->cfg->backoff_max_ms;
	uint64_t step = (uint64_t)EXP_SINK_BACKOFF_MIN_MS << (s->attempt < 20 ?
							       s->attempt : 20);
	if (step < cap)
		cap = step;
	s->attempt++;
	s->next_attempt_ms = now + sink_random(s) % (cap + 1);
	if (s->failures++ == 0) {
		s->fail_log.armed = true;
		s->fail_log.last_ms = now;
		s->fail_log.suppressed = 0;
		sink_log(s, SINK_LOG_WARNING, "%s; %s, retrying", s->conn.why,
			 s->spool != NULL ? "spooling" : "queueing in memory");
	} else if (ratelimit_due(&s->fail_log, now)) {
		sink_log(s, SINK_LOG_WARNING, "still failing after %u "
			 "attempts: %s", s->failures, s->conn.why);
	}
}

static void
sink_connect(struct exp_sink *s)
{
	int rc;

	s->conn.why[0] = '\0';
	rc = s->conn.type->open(&s->conn);
	if (rc != 0) {
		if (rc == -ECANCELED)
			return;
		sink_fail(s, true);
		return;
	}
	s->up = true;
	s->lazy = false;
	s->up_since_ms = monotonic_ms();
	counter_add(&s->connects, 1);
	pthread_mutex_lock(&s->lock);
	s->connected = true;
	s->outage = false;
	pthread_mutex_unlock(&s->lock);
	const char *verb = s->conn.type->open_verb;
	char how[128] = "";
	if (s->conn.type->describe != NULL) {
		char d[100];
		s->conn.type->describe(&s->conn, d, sizeof(d));
		snprintf(how, sizeof(how), " (%s)", d);
	}
	if (s->failures > 0)
		sink_log(s, SINK_LOG_INFO, "%s %s%s after %u failed attempts",
			 verb, s->conn.peer, how, s->failures);
	else if (counter_get(&s->connects) == 1)
		sink_log(s, SINK_LOG_INFO, "%s %s%s", verb, s->conn.peer, how);
	s->failures = 0;
}

/* exp_sink_drain() wants the records in flight confirmed now: closing
 * our side and seeing the receiver close its own proves it read
 * everything before our end of stream (a receiver that dies with unread
 * data resets instead). Waits until the drain's deadline. */
static void
sink_close_gracefully(struct exp_sink *s, uint64_t deadline)
{
	const struct sink_transport *t = s->conn.type;
	int rc = t->shutdown(&s->conn, deadline);

	while (rc == 0) {
		uint64_t now = monotonic_ms();
		uint64_t turn = now + SINK_BUSY_WAKE_MS * 5;
		rc = sink_wait_fd(&s->conn, s->conn.fd, POLLIN | POLLRDHUP,
				  turn < deadline ? turn : deadline);
		if (rc == 0) {
			rc = conn_check(s);
		} else if (rc == -ETIMEDOUT && turn < deadline) {
			/* A receiver that keeps its side open: confirmed as
			 * usual once old enough and acknowledged (our FIN
			 * included). */
			pthread_mutex_lock(&s->lock);
			const struct sink_flight *newest =
				sink_flight_at(s, s->flight_n - 1);
			bool old = now - newest->written_ms >=
				s->cfg->confirm_ms;
			pthread_mutex_unlock(&s->lock);
			int outq = -1;
			rc = old && t->unacked(&s->conn, &outq) == 0 &&
				outq == 0 ? -ESHUTDOWN : 0;
		}
	}
	if (rc == -ESHUTDOWN) {
		transport_close(s);
		pthread_mutex_lock(&s->lock);
		s->connected = false;
		sink_deliver(s, s->flight_n);
		pthread_mutex_unlock(&s->lock);
		sink_spool_commit(s);
		s->lazy = true;
		s->next_attempt_ms = 0;
		return;
	}
	if (rc == -ECANCELED || rc == -ETIMEDOUT) {
		/* Not confirmed in time: sent again on the next connection. */
		sink_fail(s, false);
		return;
	}
	sink_fail(s, true);
}

/* Sleeps until until_ms, a submit (if want_records) or a stop. */
static void
sink_sleep(struct exp_sink *s, uint64_t until_ms, bool want_records)
{
	uint64_t now = monotonic_ms();
	struct timespec t =
		monotonic_after_ms(until_ms > now ? until_ms - now : 0);

	pthread_mutex_lock(&s->lock);
	if (!s->stop && !s->reopen && !s->kick &&
	    !(want_records && (s->ring.n > 0 ||
			       (s->spool_unread && now >= s->spool_retry_ms))))
		pthread_cond_timedwait(&s->wake, &s->lock, &t);
	pthread_mutex_unlock(&s->lock);
}

void *
sink_main(void *arg)
{
	struct exp_sink *s = arg;

	for (;;) {
		uint64_t now = monotonic_ms(), deadline;
		bool reopen, kick, work, draining;

		pthread_mutex_lock(&s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		reopen = s->reopen;
		kick = s->kick;
		s->reopen = s->kick = false;
		draining = s->drainers > 0 && now < s->drain_deadline_ms;
		deadline = s->drain_deadline_ms;
		work = s->ring.n > 0 || s->spool_unread;
		if (s->drainers > 0)
			pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->lock);

		if (reopen && s->conn.type->reopens) {
			transport_close(s);
			s->next_attempt_ms = 0;
		}
		if (kick)
			s->next_attempt_ms = 0;
		if (!s->up) {
			if (s->lazy && !work) {
				sink_sleep(s, now + SINK_IDLE_WAKE_MS, true);
				continue;
			}
			if (now < s->next_attempt_ms) {
				sink_sleep(s, s->next_attempt_ms, false);
				continue;
			}
			sink_connect(s);
			continue;
		}
		int rc = conn_check(s);
		if (rc == 0 && s->conn.type->confirms)
			rc = sink_confirm(s, now);
		unsigned int n = rc == 0 ? sink_fill(s, now) : 0;
		if (n > 0)
			rc = sink_flush(s);
		sink_spares_fill(s);
		if (rc != 0) {
			if (rc != -ECANCELED)
				sink_fail(s, true);
			continue;
		}
		if (n > 0)
			continue;
		pthread_mutex_lock(&s->lock);
		size_t in_flight = s->flight_n;
		bool more = s->ring.n > 0 || s->spool_unread;
		pthread_mutex_unlock(&s->lock);
		/* In flight at this point: a stream's, waiting for
		 * confirmation. */
		if (draining && in_flight > 0 && !more) {
			sink_close_gracefully(s, deadline);
			continue;
		}
		sink_sleep(s, now + (in_flight > 0 ? SINK_BUSY_WAKE_MS :
				     SINK_IDLE_WAKE_MS), !s->fill_blocked);
	}
	return NULL;
}

