/* hunter.c -- the queue and thread of retro-hunts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_log.h>

#include "hist_keys.h"
#include "common.h"
#include "hit.h"
#include "hunter.h"

RTE_LOG_REGISTER(dp_logtype_hunt, iocsift.hunt, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_hunt, "hunt: " __VA_ARGS__)

#define HUNT_HITS 256
#define HUNT_RING 512
/* How long a hunt waits for the writer to seal what it gathered. */
#define HUNT_SEAL_MS 5000

int
dp_hunter_init(struct dp_hunter *hunter, const char *dir,
	       struct dp_history_writer *writer, int socket)
{
	*hunter = (struct dp_hunter){ .writer = writer, .next_id = 1,
				      .pool_size = HUNT_HITS };
	snprintf(hunter->dir, sizeof(hunter->dir), "%s", dir);
	pthread_mutex_init(&hunter->lock, NULL);
	pthread_cond_init(&hunter->wake, NULL);
	hunter->ring = rte_ring_create("hunt_hits", HUNT_RING, socket,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	hunter->pool = rte_mempool_create("hunt_hit_pool", HUNT_HITS,
		sizeof(struct dp_hit), 0, 0, NULL, NULL, NULL, NULL, socket, 0);
	if (hunter->ring == NULL || hunter->pool == NULL) {
		LOG(ERR, "hit records: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static bool
stopping(struct dp_hunter *hunter)
{
	pthread_mutex_lock(&hunter->lock);
	bool stop = hunter->stop || hunter->cancel;
	pthread_mutex_unlock(&hunter->lock);
	return stop;
}

struct hunt_run {
	struct dp_hunter *hunter;
	struct dp_hunt *hunt;
};

/* A record with hits, to the exporter: a hunt waits for room (it reads
 * a file), unless it is cancelled. */
static int
hunt_hit(void *ctx, const struct hist_record *rec, const struct pat_hits *hits)
{
	struct hunt_run *run = ctx;
	struct dp_hunter *hunter = run->hunter;
	const struct hist_record_header *h = &rec->header;
	struct dp_hit *hit;

	while (rte_mempool_get(hunter->pool, (void **)&hit) != 0) {
		if (stopping(hunter))
			return -ECANCELED;
		usleep(100);
	}
	*hit = (struct dp_hit){
		.set = run->hunt->set, .time_ns = h->time_ns, .kind = h->kind,
		.ip_version = h->ip_version, .l4_proto = h->l4_proto,
		.truncated = (h->flags & HIST_RECORD_CUT) != 0, .retro = true,
		.src_port = h->src_port, .dst_port = h->dst_port,
		.hits = *hits,
	};
	memcpy(hit->src_addr, h->src_addr, sizeof(hit->src_addr));
	memcpy(hit->dst_addr, h->dst_addr, sizeof(hit->dst_addr));
	hit->payload_len = h->payload_len > DP_HIT_PAYLOAD_MAX ?
		DP_HIT_PAYLOAD_MAX : h->payload_len;
	hit->truncated |= h->payload_len > DP_HIT_PAYLOAD_MAX;
	memcpy(hit->payload, rec->payload, hit->payload_len);
	while (rte_ring_sp_enqueue(hunter->ring, hit) != 0) {
		if (stopping(hunter)) {
			rte_mempool_put(hunter->pool, hit);
			return -ECANCELED;
		}
		usleep(100);
	}
	pthread_mutex_lock(&hunter->lock);
	if (run->hunt->first_event_ns == 0)
		run->hunt->first_event_ns = realtime_ns();
	run->hunt->events += hits->count;
	hunter->events += hits->count;
	pthread_mutex_unlock(&hunter->lock);
	return 0;
}

static bool
hunt_progress(void *ctx, const struct hist_hunt_stats *stats)
{
	struct hunt_run *run = ctx;
	struct dp_hunter *hunter = run->hunter;

	pthread_mutex_lock(&hunter->lock);
	run->hunt->stats = *stats;
	bool go_on = !hunter->stop && !hunter->cancel;
	pthread_mutex_unlock(&hunter->lock);
	return go_on;
}

/* One hunt, start to end; the set is freed once the exporter has taken
 * every record that points at it. */
static void
hunt_run(struct dp_hunter *hunter, struct dp_hunt *hunt)
{
	struct hunt_run run = { .hunter = hunter, .hunt = hunt };
	struct hist_hunt_query q = {
		.set = hunt->set, .since_ns = hunt->since_ns, .live = true,
	};
	struct hist_hunt_stats stats = { 0 };
	uint64_t *keys = NULL;
	int rc;

	/* What the workers matched before the hunt was asked for is on
	 * disk, bar a worker's chunk younger than DP_HISTORY_FLUSH_NS. */
	if (hunter->writer != NULL &&
	    dp_history_writer_seal(hunter->writer, HUNT_SEAL_MS) != 0)
		LOG(WARNING, "hunt %" PRIu64 ": the history writer did not "
		    "seal its open block in time; its records are not "
		    "searched\n", hunt->id);
	rc = hist_hunt_keys(hunt->set, &keys, &q.n_keys, &q.scan_all);
	if (rc == 0) {
		q.keys = keys;
		rc = hist_hunt_run(hunter->dir, &q, hunt_hit, hunt_progress,
				   &run, &stats);
	}
	free(keys);
	/* Every record back in the pool: the exporter is done with set. */
	while (rte_mempool_avail_count(hunter->pool) < hunter->pool_size)
		usleep(200);
	pthread_mutex_lock(&hunter->lock);
	if (rc == 0 || rc == -ECANCELED)
		hunt->stats = stats;
	hunt->finished_ns = realtime_ns();
	hunt->error = rc;
	hunt->state = rc == 0 ? DP_HUNT_DONE : rc == -ECANCELED ?
		DP_HUNT_CANCELLED : DP_HUNT_FAILED;
	pthread_mutex_unlock(&hunter->lock);
	double seconds = (double)(hunt->finished_ns - hunt->started_ns) / 1e9;
	if (rc == 0)
		LOG(INFO, "hunt %" PRIu64 " (%s, %zu indicators): %" PRIu64
		    " hits in %" PRIu64 " messages; %" PRIu64 " of %" PRIu64
		    " blocks opened, %.1f MB of messages, %.2f s\n", hunt->id,
		    hunt->origin, hunt->indicators, stats.hits,
		    stats.hit_messages, stats.blocks_opened, stats.blocks,
		    (double)stats.bytes_raw / 1e6, seconds);
	else
		LOG(WARNING, "hunt %" PRIu64 " (%s): %s\n", hunt->id,
		    hunt->origin, strerror(-rc));
	if (stats.first_damage[0] != '\0')
		LOG(WARNING, "hunt %" PRIu64 ": %" PRIu64 " damaged and %" PRIu64
		    " cut blocks skipped; the first: %s\n", hunt->id,
		    stats.blocks_damaged, stats.blocks_cut, stats.first_damage);
	pat_set_free(hunt->set);
	hunt->set = NULL;
}

static void
recent_add(struct dp_hunter *hunter, const struct dp_hunt *hunt)
{
	if (hunter->n_recent == DP_HUNT_RECENT) {
		memmove(hunter->recent, hunter->recent + 1,
			(DP_HUNT_RECENT - 1) * sizeof(hunter->recent[0]));
		hunter->n_recent--;
	}
	hunter->recent[hunter->n_recent++] = *hunt;
}

static void *
hunter_main(void *arg)
{
	struct dp_hunter *hunter = arg;

	pthread_mutex_lock(&hunter->lock);
	for (;;) {
		while (!hunter->stop && hunter->n_queued == 0)
			pthread_cond_wait(&hunter->wake, &hunter->lock);
		if (hunter->stop)
			break;
		struct dp_hunt *hunt = hunter->queue[0];
		memmove(hunter->queue, hunter->queue + 1,
			--hunter->n_queued * sizeof(hunter->queue[0]));
		hunt->state = DP_HUNT_RUNNING;
		hunt->started_ns = realtime_ns();
		hunter->running = hunt;
		hunter->cancel = false;
		pthread_mutex_unlock(&hunter->lock);
		hunt_run(hunter, hunt);
		pthread_mutex_lock(&hunter->lock);
		hunter->running = NULL;
		hunter->hunts_done++;
		recent_add(hunter, hunt);
		free(hunt);
	}
	pthread_mutex_unlock(&hunter->lock);
	return NULL;
}

int
dp_hunter_start(struct dp_hunter *hunter)
{
	int rc = pthread_create(&hunter->thread, NULL, hunter_main, hunter);

	if (rc != 0)
		return -rc;
	pthread_setname_np(hunter->thread, "iocsift-hunt");
	hunter->started = true;
	return 0;
}

void
dp_hunter_stop(struct dp_hunter *hunter)
{
	pthread_mutex_lock(&hunter->lock);
	hunter->stop = true;
	for (unsigned int i = 0; i < hunter->n_queued; i++) {
		pat_set_free(hunter->queue[i]->set);
		free(hunter->queue[i]);
	}
	hunter->n_queued = 0;
	pthread_cond_broadcast(&hunter->wake);
	pthread_mutex_unlock(&hunter->lock);
	if (hunter->started) {
		pthread_join(hunter->thread, NULL);
		hunter->started = false;
	}
}

void
dp_hunter_release(struct dp_hunter *hunter)
{
	dp_hunter_stop(hunter);
	rte_ring_free(hunter->ring);
	rte_mempool_free(hunter->pool);
	hunter->ring = NULL;
	hunter->pool = NULL;
	pthread_cond_destroy(&hunter->wake);
	pthread_mutex_destroy(&hunter->lock);
}

int
dp_hunter_submit(struct dp_hunter *hunter, struct pat_set *set,
		 uint64_t since_ns, const char *origin, uint64_t *id)
{
	struct dp_hunt *hunt = calloc(1, sizeof(*hunt));

	if (hunt == NULL) {
		pat_set_free(set);
		return -ENOMEM;
	}
	pthread_mutex_lock(&hunter->lock);
	if (hunter->n_queued == DP_HUNT_QUEUE_MAX || hunter->stop) {
		pthread_mutex_unlock(&hunter->lock);
		pat_set_free(set);
		free(hunt);
		return -EBUSY;
	}
	hunt->id = hunter->next_id++;
	hunt->state = DP_HUNT_QUEUED;
	snprintf(hunt->origin, sizeof(hunt->origin), "%s", origin);
	hunt->set = set;
	hunt->indicators = pat_set_count(set);
	hunt->since_ns = since_ns;
	hunt->queued_ns = realtime_ns();
	hunter->queue[hunter->n_queued++] = hunt;
	*id = hunt->id;
	pthread_cond_signal(&hunter->wake);
	pthread_mutex_unlock(&hunter->lock);
	return 0;
}

static const char *const state_names[] = {
	[DP_HUNT_QUEUED] = "queued",
	[DP_HUNT_RUNNING] = "running",
	[DP_HUNT_DONE] = "done",
	[DP_HUNT_FAILED] = "failed",
	[DP_HUNT_CANCELLED] = "cancelled",
};

/* Under lock. */
static json_t *
hunt_json(const struct dp_hunt *h)
{
	const struct hist_hunt_stats *st = &h->stats;
	uint64_t end = h->finished_ns != 0 ? h->finished_ns :
		h->started_ns != 0 ? realtime_ns() : 0;
	json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:f, s:I, s:I, s:I,"
			      " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"id", (json_int_t)h->id,
		"state", state_names[h->state],
		"origin", h->origin,
		"indicators", (json_int_t)h->indicators,
		"since", (json_int_t)(h->since_ns / 1000000000ULL),
		"seconds", h->started_ns != 0 ?
			(double)(end - h->started_ns) / 1e9 : 0.0,
		"blocks", (json_int_t)(st->blocks + st->blocks_damaged),
		"blocks_opened", (json_int_t)st->blocks_opened,
		"blocks_skipped_time", (json_int_t)st->blocks_skipped_time,
		"blocks_skipped_filter", (json_int_t)st->blocks_skipped_filter,
		"blocks_damaged", (json_int_t)(st->blocks_damaged + st->blocks_cut),
		"bytes", (json_int_t)st->bytes_raw,
		"bytes_compressed", (json_int_t)st->bytes_read,
		"messages", (json_int_t)st->records,
		"hits", (json_int_t)st->hits,
		"hit_messages", (json_int_t)st->hit_messages,
		"events", (json_int_t)h->events);
	if (o != NULL && h->first_event_ns != 0)
		json_object_set_new(o, "first_event_ms", json_real(
			(double)(h->first_event_ns - h->queued_ns) / 1e6));
	if (o != NULL && h->error != 0)
		json_object_set_new(o, "error", json_string(strerror(-h->error)));
	if (o != NULL && st->first_damage[0] != '\0')
		json_object_set_new(o, "first_damage",
				    json_string(st->first_damage));
	return o;
}

json_t *
dp_hunter_json(struct dp_hunter *hunter)
{
	json_t *recent = json_array();

	pthread_mutex_lock(&hunter->lock);
	for (unsigned int i = 0; recent != NULL && i < hunter->n_recent; i++)
		json_array_append_new(recent, hunt_json(&hunter->recent[i]));
	json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:o}",
		"queued", (json_int_t)hunter->n_queued,
		"hunts", (json_int_t)hunter->hunts_done,
		"events", (json_int_t)hunter->events,
		"running", hunter->running != NULL ?
			hunt_json(hunter->running) : json_null(),
		"recent", recent);
	pthread_mutex_unlock(&hunter->lock);
	return o;
}

json_t *
dp_hunter_hunt_json(struct dp_hunter *hunter, uint64_t id)
{
	json_t *o = NULL;

	pthread_mutex_lock(&hunter->lock);
	if (hunter->running != NULL && hunter->running->id == id)
		o = hunt_json(hunter->running);
	for (unsigned int i = 0; o == NULL && i < hunter->n_queued; i++)
		if (hunter->queue[i]->id == id)
			o = hunt_json(hunter->queue[i]);
	for (unsigned int i = 0; o == NULL && i < hunter->n_recent; i++)
		if (hunter->recent[i].id == id)
			o = hunt_json(&hunter->recent[i]);
	pthread_mutex_unlock(&hunter->lock);
	return o;
}
