/* history_writer.c -- the workers' chunks into compressed, filtered
 * blocks on disk. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "clock.h"
#include "common.h"
#include "history_writer.h"

RTE_LOG_REGISTER(dp_logtype_history, iocsift.history, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_history, "history: " __VA_ARGS__)

#define WRITER_BURST 16
#define WRITER_IDLE_US 1000
/* A failing disk is logged at most this often. */
#define ERROR_LOG_INTERVAL_S 60

int
dp_history_writer_init(struct dp_history_writer *hw,
		       const struct dp_history_config *config,
		       struct dp_worker **workers, unsigned int n_workers,
		       int socket, char *err, size_t err_len)
{
	struct hist_store_config sc = {
		.dir = config->dir, .max_bytes = config->max_bytes,
		.max_age_ns = config->max_age_ns,
	};
	int rc;

	*hw = (struct dp_history_writer){ .config = *config };
	snprintf(hw->dir, sizeof(hw->dir), "%s", config->dir);
	hw->config.dir = hw->dir;
	hw->workers = workers;
	hw->n_workers = n_workers;
	pthread_mutex_init(&hw->lock, NULL);
	pthread_cond_init(&hw->sealed, NULL);
	rc = hist_store_open(&hw->store, &sc);
	if (rc != 0) {
		snprintf(err, err_len, "history %s: %s", config->dir,
			 strerror(-rc));
		return rc;
	}
	if (hw->store.n_segments > 0) {
		hw->oldest_ns = hw->store.segments[0].first_ns;
		hw->newest_ns = hw->store.segments[hw->store.n_segments - 1].last_ns;
	}
	if (hist_builder_init(&hw->builder, config->block_bytes,
			      config->level) != 0) {
		snprintf(err, err_len, "history: out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n_workers; i++) {
		struct dp_worker *w = workers[i];
		char name[RTE_RING_NAMESIZE];
		unsigned int count = config->chunks;

		/* A power of two for the ring, which then holds every chunk. */
		unsigned int ring_size = 1;
		while (ring_size < count + 1)
			ring_size <<= 1;
		snprintf(name, sizeof(name), "hist_ring_%u", w->index);
		w->history.ring = rte_ring_create(name, ring_size, socket,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "hist_pool_%u", w->index);
		/* The worker takes, the writer gives back: one each. */
		w->history.pool = rte_mempool_create(name, count,
			sizeof(struct dp_history_chunk), 0, 0, NULL, NULL, NULL,
			NULL, socket, RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
		if (w->history.ring == NULL || w->history.pool == NULL) {
			snprintf(err, err_len, "history: worker %u's %u chunks "
				 "of %zu bytes: %s", w->index, count,
				 sizeof(struct dp_history_chunk),
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
		w->history.kinds = config->kinds;
	}
	return 0;
}

static void
error_note(struct dp_history_writer *hw, int rc, const char *what)
{
	uint64_t now = (uint64_t)time(NULL);
	bool log = !hw->failing ||
		now >= hw->last_error_time + ERROR_LOG_INTERVAL_S;

	pthread_mutex_lock(&hw->lock);
	snprintf(hw->last_error, sizeof(hw->last_error), "%s: %s", what,
		 strerror(-rc));
	if (log)
		hw->last_error_time = now;
	pthread_mutex_unlock(&hw->lock);
	if (log)
		LOG(ERR, "%s: %s; history writing stops until a write "
		    "succeeds (live matching goes on)\n", what, strerror(-rc));
	__atomic_store_n(&hw->failing, true, __ATOMIC_RELAXED);
}

/* The block gathered so far, to disk; then the oldest out. */
static void
block_seal(struct dp_history_writer *hw)
{
	struct hist_builder *b = &hw->builder;
	uint32_t records = b->records;
	size_t raw_len = b->raw.len;

	if (records == 0)
		return;
	int rc = hist_builder_seal(b);
	__atomic_store_n(&hw->blocks_unfiltered, b->unfiltered,
			 __ATOMIC_RELAXED);
	if (rc == 0)
		rc = hist_store_append(&hw->store, b->encoded.data,
				       b->encoded.len, b->first_ns, b->last_ns);
	if (rc == 0) {
		if (hw->failing)
			LOG(NOTICE, "writing again\n");
		__atomic_store_n(&hw->failing, false, __ATOMIC_RELAXED);
		__atomic_store_n(&hw->records_written,
				 hw->records_written + records, __ATOMIC_RELAXED);
		__atomic_store_n(&hw->bytes_raw, hw->bytes_raw + raw_len,
				 __ATOMIC_RELAXED);
		if (hw->oldest_ns == 0 || b->first_ns < hw->oldest_ns)
			__atomic_store_n(&hw->oldest_ns, b->first_ns,
					 __ATOMIC_RELAXED);
		if (b->last_ns > hw->newest_ns)
			__atomic_store_n(&hw->newest_ns, b->last_ns,
					 __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&hw->records_lost, hw->records_lost + records,
				 __ATOMIC_RELAXED);
		error_note(hw, rc, "writing a block");
	}
	if (hist_store_expire(&hw->store, realtime_ns()) > 0) {
		uint64_t oldest = hw->store.n_segments > 0 ?
			hw->store.segments[0].first_ns : 0;
		__atomic_store_n(&hw->oldest_ns, oldest, __ATOMIC_RELAXED);
	}
}

/* The records of one chunk into the block, sealing it when full. */
static void
chunk_take(struct dp_history_writer *hw, const struct dp_history_chunk *c)
{
	size_t pos = 0;
	struct hist_record rec;

	while (pos < c->used) {
		size_t start = pos;
		if (!hist_record_next(c->data, c->used, &pos, &rec))
			break;             /* cannot be: the worker wrote it */
		size_t n = pos - start;
		if (hist_builder_full(&hw->builder, n))
			block_seal(hw);
		if (hw->builder.records == 0)
			hw->opened_ns = realtime_ns();
		hist_builder_add(&hw->builder, c->data + start, n, &rec);
	}
}

/* One turn: every chunk each ring held when the turn began. */
static unsigned int
writer_turn(struct dp_history_writer *hw)
{
	unsigned int total = 0;

	for (unsigned int i = 0; i < hw->n_workers; i++) {
		struct dp_history_port *port = &hw->workers[i]->history;
		void *chunks[WRITER_BURST];
		unsigned int n = rte_ring_sc_dequeue_burst(port->ring, chunks,
							   WRITER_BURST, NULL);
		for (unsigned int j = 0; j < n; j++)
			chunk_take(hw, chunks[j]);
		if (n > 0)
			rte_mempool_put_bulk(port->pool, chunks, n);
		total += n;
	}
	return total;
}

static void *
writer_main(void *arg)
{
	struct dp_history_writer *hw = arg;

	for (;;) {
		bool stop = __atomic_load_n(&hw->stop, __ATOMIC_ACQUIRE);
		uint64_t asked = __atomic_load_n(&hw->seal_asked,
						 __ATOMIC_ACQUIRE);
		dp_clock_tick();
		unsigned int n = writer_turn(hw);
		if (stop && n == 0) {
			block_seal(hw);
			break;
		}
		if (asked != __atomic_load_n(&hw->seal_done, __ATOMIC_RELAXED)) {
			/* Every chunk queued before the ask was taken: the
			 * turn began after it. */
			while (writer_turn(hw) > 0)
				;
			block_seal(hw);
			pthread_mutex_lock(&hw->lock);
			__atomic_store_n(&hw->seal_done, asked, __ATOMIC_RELEASE);
			pthread_cond_broadcast(&hw->sealed);
			pthread_mutex_unlock(&hw->lock);
			continue;
		}
		if (hw->builder.records > 0 &&
		    realtime_ns() - hw->opened_ns >= hw->config.block_ns)
			block_seal(hw);
		if (n == 0)
			usleep(WRITER_IDLE_US);
	}
	return NULL;
}

int
dp_history_writer_start(struct dp_history_writer *hw)
{
	int rc = pthread_create(&hw->thread, NULL, writer_main, hw);

	if (rc != 0)
		return -rc;
	pthread_setname_np(hw->thread, "iocsift-history");
	hw->started = true;
	return 0;
}

void
dp_history_writer_stop(struct dp_history_writer *hw)
{
	if (!hw->started)
		return;
	__atomic_store_n(&hw->stop, true, __ATOMIC_RELEASE);
	pthread_join(hw->thread, NULL);
	hw->started = false;
	/* Wake a hunt that waits for a seal. */
	pthread_mutex_lock(&hw->lock);
	__atomic_store_n(&hw->seal_done, hw->seal_asked, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&hw->sealed);
	pthread_mutex_unlock(&hw->lock);
}

void
dp_history_writer_release(struct dp_history_writer *hw)
{
	dp_history_writer_stop(hw);
	for (unsigned int i = 0; i < hw->n_workers; i++) {
		struct dp_history_port *port = &hw->workers[i]->history;
		rte_ring_free(port->ring);
		rte_mempool_free(port->pool);
		*port = (struct dp_history_port){ 0 };
	}
	hw->n_workers = 0;
	hist_store_close(&hw->store);
	hist_builder_release(&hw->builder);
	pthread_cond_destroy(&hw->sealed);
	pthread_mutex_destroy(&hw->lock);
}

int
dp_history_writer_seal(struct dp_history_writer *hw, unsigned int timeout_ms)
{
	struct timespec until;
	int rc = 0;

	if (!hw->started)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hw->lock);
	uint64_t ticket = __atomic_add_fetch(&hw->seal_asked, 1,
					     __ATOMIC_ACQ_REL);
	while (rc == 0 &&
	       __atomic_load_n(&hw->seal_done, __ATOMIC_ACQUIRE) < ticket)
		rc = pthread_cond_timedwait(&hw->sealed, &hw->lock, &until);
	pthread_mutex_unlock(&hw->lock);
	return rc == 0 ? 0 : -ETIMEDOUT;
}

json_t *
dp_history_writer_json(struct dp_history_writer *hw)
{
	uint64_t sent = 0, dropped = 0;

	for (unsigned int i = 0; i < hw->n_workers; i++) {
		struct dp_worker_stats s;
		dp_worker_stats_read(hw->workers[i], &s);
		sent += s.history_records;
		dropped += s.history_dropped;
	}
	json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			      " s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"dir", hw->dir,
		"writing", !__atomic_load_n(&hw->failing, __ATOMIC_RELAXED),
		"max_bytes", (json_int_t)hw->config.max_bytes,
		"max_age_s", (json_int_t)(hw->config.max_age_ns / 1000000000ULL),
		"records", (json_int_t)__atomic_load_n(&hw->records_written,
						       __ATOMIC_RELAXED),
		"records_sent", (json_int_t)sent,
		"records_dropped", (json_int_t)dropped,
		"records_lost", (json_int_t)__atomic_load_n(&hw->records_lost,
							    __ATOMIC_RELAXED),
		"bytes_raw", (json_int_t)__atomic_load_n(&hw->bytes_raw,
							 __ATOMIC_RELAXED),
		"blocks", (json_int_t)__atomic_load_n(
			&hw->store.blocks_written, __ATOMIC_RELAXED),
		"bytes_written", (json_int_t)__atomic_load_n(
			&hw->store.bytes_written, __ATOMIC_RELAXED),
		"blocks_expired", (json_int_t)__atomic_load_n(
			&hw->store.blocks_expired, __ATOMIC_RELAXED),
		"blocks_unfiltered", (json_int_t)__atomic_load_n(
			&hw->blocks_unfiltered, __ATOMIC_RELAXED),
		"write_errors", (json_int_t)__atomic_load_n(
			&hw->store.write_errors, __ATOMIC_RELAXED),
		"oldest_ns", (json_int_t)__atomic_load_n(&hw->oldest_ns,
							 __ATOMIC_RELAXED),
		"newest_ns", (json_int_t)__atomic_load_n(&hw->newest_ns,
							 __ATOMIC_RELAXED));
	if (o == NULL)
		return NULL;
	pthread_mutex_lock(&hw->lock);
	if (hw->last_error[0] != '\0') {
		json_object_set_new(o, "last_error", json_string(hw->last_error));
		json_object_set_new(o, "last_error_time",
				    json_integer((json_int_t)hw->last_error_time));
	}
	pthread_mutex_unlock(&hw->lock);
	return o;
}
