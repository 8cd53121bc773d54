/* exporter.c -- drains hit rings and writes one event per (message,
 * indicator) pair. */
#include <errno.h>
#include <inttypes.h>
#include <sys/random.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>
#include <urcu/urcu-qsbr.h>

#include "clock.h"
#include "common.h"
#include "event.h"
#include "exporter.h"
#include "hit.h"

RTE_LOG_REGISTER(dp_logtype_exporter, iocsift.exporter, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_exporter, "exporter: " __VA_ARGS__)

#define EXPORT_BURST 32
#define EXPORT_IDLE_US 100
#define INDICATOR_KEY_MAX 8192
#define THROTTLE_WINDOWS 65536

/* The sinks' messages, in the exporter's log type. */
static void
sink_log(int level, const char *message)
{
	uint32_t rte_level = level <= 3 ? RTE_LOG_ERR :
		level == 4 ? RTE_LOG_WARNING : RTE_LOG_INFO;

	rte_log(rte_level, dp_logtype_exporter, "%s\n", message);
}

int
dp_exporter_init(struct dp_exporter *exp, FILE *out, const char *hostname)
{
	uint64_t random_id = 0;

	*exp = (struct dp_exporter){ .out = out };
	exp->stop = false;
	exp->reopen = false;
	exp->registered = false;
	exp_sink_set_logger(sink_log);
	if (hostname != NULL && hostname[0] != '\0')
		snprintf(exp->hostname, sizeof(exp->hostname), "%s", hostname);
	else if (gethostname(exp->hostname, sizeof(exp->hostname) - 1) != 0 ||
		 exp->hostname[0] == '\0')
		snprintf(exp->hostname, sizeof(exp->hostname), "iocsift");
	/* Ids unique across restarts: a random run id, then a sequence. */
	if (getrandom(&random_id, sizeof(random_id), 0) != sizeof(random_id))
		random_id = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	snprintf(exp->run_id, sizeof(exp->run_id), "%016" PRIx64, random_id);
	return 0;
}

/* A file sink's directory must be there at start: made by whoever
 * decides its owner and mode (docs/deployment.md), never by a typo. Once
 * running, a directory that goes away is an outage like any other. */
static int
file_sink_directory(const struct exp_sink_config *cfg,
		    struct error_detail *err)
{
	char dir[sizeof(cfg->path)], why[DIR_PREPARE_TEXT_MAX];
	char where[EXP_SINK_NAME_MAX + 8];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", cfg->path);
	slash = strrchr(dir, '/');       /* the path is absolute */
	if (slash == NULL)
		return 0;
	slash[slash == dir ? 1 : 0] = '\0';
	int rc = dir_prepare(dir, DIR_MODE_SHARED, false, why, sizeof(why));
	if (rc == 0)
		return 0;
	snprintf(where, sizeof(where), "sink %s", cfg->name);
	if (rc == -ENOENT)
		error_detail_set(err, where, 0, "its directory is missing; "
				 "create it with: %s", dir_install_command(
				 dir, DIR_MODE_SHARED, why, sizeof(why)));
	else
		error_detail_set(err, where, 0, "its directory %s", why);
	return rc;
}

int
dp_exporter_add_sink(struct dp_exporter *exp, const char *uri,
		     const char *spool_root, struct error_detail *err)
{
	struct exp_sink_config cfg;
	struct dp_exporter_sink *s = &exp->sinks[exp->n_sinks];

	if (exp->n_sinks == DP_SINKS_MAX) {
		error_detail_set(err, "", 0, "at most %d sinks", DP_SINKS_MAX);
		return -E2BIG;
	}
	if (exp_sink_parse_uri(uri, &cfg, err) != 0)
		return -EINVAL;
	if (exp_format_from_name(cfg.format, &s->format) != 0) {
		char where[EXP_SINK_URI_MAX + 16];
		snprintf(where, sizeof(where), "sink '%s'", uri);
		error_detail_set(err, where, 0, "unknown format '%s'",
				 cfg.format);
		return -EINVAL;
	}
	s->syslog = cfg.kind != EXP_SINK_FILE && cfg.kind != EXP_SINK_NATS;
	s->nats = cfg.kind == EXP_SINK_NATS;
	if (s->nats)
		exp_sink_nats_default_site(&cfg, exp->hostname);
	if (cfg.kind == EXP_SINK_FILE && file_sink_directory(&cfg, err) != 0)
		return -EINVAL;
	s->sink = exp_sink_start(&cfg, spool_root, err);
	if (s->sink == NULL)
		return -EINVAL;
	exp->n_sinks++;
	LOG(INFO, "sink %s: %s\n", cfg.name, uri);
	return 0;
}

static void summary_emit(void *ctx, const struct exp_throttle_summary *s);

int
dp_exporter_throttle(struct dp_exporter *exp, unsigned int window_s)
{
	exp_throttle_free(exp->throttle);
	exp->throttle = NULL;
	exp->throttle_window_s = window_s;
	if (window_s == 0)
		return 0;
	exp->throttle = exp_throttle_new((uint64_t)window_s * 1000000000ULL,
					 THROTTLE_WINDOWS, summary_emit, exp);
	return exp->throttle == NULL ? -ENOMEM : 0;
}

/* The throttle's own counters, for readers on other threads. */
static void
throttle_publish(struct dp_exporter *exp)
{
	struct exp_throttle_stats st;

	if (exp->throttle == NULL)
		return;
	exp_throttle_stats(exp->throttle, &st);
	__atomic_store_n(&exp->throttle_evicted, st.evicted, __ATOMIC_RELAXED);
	__atomic_store_n(&exp->throttle_untracked, st.untracked,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&exp->throttle_open, st.open, __ATOMIC_RELAXED);
}

static void
exporter_close_sinks(struct dp_exporter *exp, unsigned int drain_ms)
{
	for (unsigned int i = 0; i < exp->n_sinks; i++)
		exp_sink_stop(exp->sinks[i].sink, drain_ms);
	exp->n_sinks = 0;
}

void
dp_exporter_release(struct dp_exporter *exp)
{
	exporter_close_sinks(exp, 0);
	exp_throttle_free(exp->throttle);
	exp->throttle = NULL;
	for (unsigned int f = 0; f < 4; f++)
		for (unsigned int k = 0; k < 2; k++)
			exp_buffer_free(&exp->formatted[f][k]);
	exp_buffer_free(&exp->nats_record);
}

/* One event to out and to every sink whose filter takes it, each format
 * made once. */
static void
event_emit(struct dp_exporter *exp, const struct exp_message *msg,
	   const struct pat_indicator *ind, uint64_t db_version,
	   uint32_t count, uint64_t first_ns, uint64_t last_ns)
{
	char id[48];
	struct exp_event ev = {
		.msg = msg, .ind = ind, .db_version = db_version, .id = id,
		.hostname = exp->hostname, .count = count,
		.first_ns = first_ns, .last_ns = last_ns,
	};

	snprintf(id, sizeof(id), "%s-%" PRIu64, exp->run_id, ++exp->next_id);
	memset(exp->have, 0, sizeof(exp->have));
	if (exp->out != NULL) {
		struct exp_buffer *b = &exp->formatted[EXP_FORMAT_ECS][0];
		exp_buffer_reset(b);
		exp->have[EXP_FORMAT_ECS][0] = true;
		if (exp_format_record(EXP_FORMAT_ECS, &ev, b) != 0 ||
		    fwrite(b->data, 1, b->len, exp->out) != b->len ||
		    fputc('\n', exp->out) == EOF) {
			if (exp->write_errors++ == 0)
				LOG(ERR, "writing an event failed\n");
		}
	}
	for (unsigned int i = 0; i < exp->n_sinks; i++) {
		struct dp_exporter_sink *s = &exp->sinks[i];
		if (!exp_sink_accepts(exp_sink_get_config(s->sink), ind))
			continue;
		struct exp_buffer *b = &exp->formatted[s->format][s->syslog];
		if (!exp->have[s->format][s->syslog]) {
			exp_buffer_reset(b);
			int rc = s->syslog ? exp_format_syslog(s->format, &ev, b) :
				exp_format_record(s->format, &ev, b);
			if (rc != 0) {
				exp->write_errors++;
				continue;
			}
			exp->have[s->format][s->syslog] = true;
		}
		if (s->nats) {
			/* The subject's type and the Nats-Msg-Id go ahead. */
			if (exp_sink_nats_record(&exp->nats_record,
						 pat_type_name(ind->type), id,
						 b->data, b->len) != 0) {
				exp->write_errors++;
				continue;
			}
			b = &exp->nats_record;
		}
		exp_sink_submit(s->sink, b->data, b->len);
	}
	__atomic_store_n(&exp->events, exp->events + 1, __ATOMIC_RELAXED);
}

static void
summary_emit(void *ctx, const struct exp_throttle_summary *s)
{
	struct dp_exporter *exp = ctx;

	__atomic_store_n(&exp->summaries, exp->summaries + 1, __ATOMIC_RELAXED);
	event_emit(ctx, s->msg, s->ind, s->db_version, s->count, s->first_ns,
		   s->last_ns);
}

/* The message a record carries; it points into the record. */
static void
hit_message(const struct dp_hit *hit, struct exp_message *msg)
{
	*msg = (struct exp_message){
		.protocol = hit->kind == DP_MESSAGE_DNS ?
			EXP_PROTOCOL_DNS : EXP_PROTOCOL_SYSLOG,
		.time_ns = hit->time_ns,
		.ip_version = hit->ip_version,
		.l4_proto = hit->l4_proto,
		.src_port = hit->src_port,
		.dst_port = hit->dst_port,
		.frame = hit->frame,
		.worker = hit->worker,
		.payload = hit->payload,
		.payload_len = hit->payload_len,
		.truncated = hit->truncated,
		.retro = hit->retro,
	};
	memcpy(msg->src_addr, hit->src_addr, sizeof(msg->src_addr));
	memcpy(msg->dst_addr, hit->dst_addr, sizeof(msg->dst_addr));
	msg->encap = hit->encap;
}

static void
hit_export(struct dp_exporter *exp, const struct dp_hit *hit, uint64_t now_ns)
{
	struct exp_message msg;
	uint64_t version = pat_set_version(hit->set);

	hit_message(hit, &msg);

	for (uint16_t i = 0; i < hit->hits.count; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(hit->set, hit->hits.ids[i]);
		/* Read by the control thread; versions sharing a base
		 * share the counters, and a new base gets them moved once
		 * this version is retired (ctl_db). */
		pat_set_count_hit(hit->set, hit->hits.ids[i]);
		if (exp->throttle != NULL &&
		    !exp_throttle_hit(exp->throttle, &msg, ind, version, now_ns)) {
			__atomic_store_n(&exp->throttled, exp->throttled + 1,
					 __ATOMIC_RELAXED);
			continue;
		}
		event_emit(exp, &msg, ind, version, 1, msg.time_ns, msg.time_ns);
	}
}

/* replay --messages: the record's message line, hits counted, no event.
 * The ECS buffer serves as scratch: no event is made in this mode. */
static void
message_export(struct dp_exporter *exp, const struct dp_hit *hit)
{
	struct exp_buffer *b = &exp->formatted[EXP_FORMAT_ECS][0];
	struct exp_message msg;

	if (exp->out == NULL)
		return;
	hit_message(hit, &msg);
	exp_buffer_reset(b);
	if (exp_message_json(&msg, (unsigned int)hit->hits.count +
			     hit->hits.overflow, b) != 0 ||
	    fwrite(b->data, 1, b->len, exp->out) != b->len ||
	    fputc('\n', exp->out) == EOF) {
		if (exp->write_errors++ == 0)
			LOG(ERR, "writing a message line failed\n");
		return;
	}
	__atomic_store_n(&exp->message_lines, exp->message_lines + 1,
			 __ATOMIC_RELAXED);
}

/* Up to a burst of records from ring, written and given back to pool. */
static unsigned int
drain_ring(struct dp_exporter *exp, struct rte_ring *ring,
	   struct rte_mempool *pool)
{
	void *records[EXPORT_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(ring, records,
						   EXPORT_BURST, NULL);
	uint64_t now = n > 0 && exp->throttle != NULL ? monotonic_ns() : 0;

	for (unsigned int i = 0; i < n; i++) {
		if (exp->messages)
			message_export(exp, records[i]);
		else
			hit_export(exp, records[i], now);
	}
	if (n > 0) {
		rte_mempool_put_bulk(pool, records, n);
		throttle_publish(exp);
	}
	return n;
}

unsigned int
dp_exporter_drain(struct dp_exporter *exp, struct dp_worker *w)
{
	return drain_ring(exp, w->hit_ring, w->hit_pool);
}

void
dp_exporter_add_hunter(struct dp_exporter *exp, struct rte_ring *ring,
		       struct rte_mempool *pool)
{
	exp->hunt_ring = ring;
	exp->hunt_pool = pool;
}

/* One turn: from each ring, every record it held when the turn began (and
 * no more, so that a turn ends under any load). A grace period that
 * begins after a record was queued ends after the turn that wrote it:
 * see dp_exporter_retire(). */
static unsigned int
drain_turn(struct dp_exporter *exp)
{
	unsigned int n = 0;

	/* The sinks' threads are woken once a turn, not once a record. */
	for (unsigned int i = 0; i < exp->n_sinks; i++)
		exp_sink_hold(exp->sinks[i].sink);
	for (unsigned int i = 0; i < exp->n_workers; i++) {
		struct dp_worker *w = exp->workers[i];
		unsigned int held = rte_ring_count(w->hit_ring), taken = 0;
		while (taken < held) {
			unsigned int got = dp_exporter_drain(exp, w);
			if (got == 0)
				break;
			taken += got;
		}
		n += taken;
	}
	if (exp->hunt_ring != NULL) {
		unsigned int held = rte_ring_count(exp->hunt_ring), taken = 0;
		while (taken < held) {
			unsigned int got = drain_ring(exp, exp->hunt_ring,
						      exp->hunt_pool);
			if (got == 0)
				break;
			taken += got;
		}
		n += taken;
	}
	for (unsigned int i = 0; i < exp->n_sinks; i++)
		exp_sink_release(exp->sinks[i].sink);
	return n;
}

int
dp_exporter_finish(struct dp_exporter *exp, unsigned int drain_ms)
{
	int rc = 0;

	if (exp->throttle != NULL) {
		exp_throttle_flush(exp->throttle);
		throttle_publish(exp);
	}
	if (exp->out != NULL && fflush(exp->out) != 0)
		exp->write_errors++;
	for (unsigned int i = 0; i < exp->n_sinks; i++)
		if (exp_sink_drain(exp->sinks[i].sink, drain_ms) != 0)
			rc = -ETIMEDOUT;
	return rc;
}

void
dp_exporter_close(struct dp_exporter *exp, unsigned int drain_ms)
{
	dp_exporter_finish(exp, drain_ms);
	exporter_close_sinks(exp, 0);
}

void
dp_exporter_reopen(struct dp_exporter *exp)
{
	__atomic_store_n(&exp->reopen, true, __ATOMIC_RELEASE);
}

/* Flushes whenever the rings run dry, so a reader of the file sees each
 * event within about EXPORT_IDLE_US of its hit; closes throttle windows
 * as they end. A QSBR reader: the hit records it takes point at pattern
 * sets, and it announces a quiescent state after each turn, when it holds
 * none. It stays online while it sleeps (see dp_exporter_retire()): a
 * grace period then waits at most one sleep for it. */
static void *
exporter_main(void *arg)
{
	struct dp_exporter *exp = arg;
	bool dirty = false;

	urcu_qsbr_register_thread();
	__atomic_store_n(&exp->registered, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&exp->stop, __ATOMIC_ACQUIRE)) {
		dp_clock_tick();
		if (__atomic_exchange_n(&exp->reopen, false, __ATOMIC_ACQ_REL))
			for (unsigned int i = 0; i < exp->n_sinks; i++)
				exp_sink_reopen(exp->sinks[i].sink);
		unsigned int n = drain_turn(exp);
		urcu_qsbr_quiescent_state();
		if (n > 0) {
			dirty = true;
			continue;
		}
		if (exp->throttle != NULL) {
			exp_throttle_expire(exp->throttle, monotonic_ns());
			throttle_publish(exp);
		}
		if (dirty && exp->out != NULL && fflush(exp->out) != 0 &&
		    exp->write_errors++ == 0)
			LOG(ERR, "flushing events failed\n");
		dirty = false;
		usleep(EXPORT_IDLE_US);
	}
	while (drain_turn(exp) > 0)
		;
	urcu_qsbr_unregister_thread();
	return NULL;
}

int
dp_exporter_start(struct dp_exporter *exp, struct dp_worker **workers,
		  unsigned int n_workers)
{
	exp->workers = workers;
	exp->n_workers = n_workers;
	int rc = pthread_create(&exp->thread, NULL, exporter_main, exp);
	if (rc != 0)
		return -rc;
	pthread_setname_np(exp->thread, "iocsift-export");
	exp->thread_started = true;
	/* A grace period counts the thread only once it has registered:
	 * until then a dp_exporter_retire() would not wait for it, and a set
	 * that queued records point at could be freed under it. */
	while (!__atomic_load_n(&exp->registered, __ATOMIC_ACQUIRE))
		usleep(50);
	return 0;
}

void
dp_exporter_stop(struct dp_exporter *exp, unsigned int drain_ms)
{
	if (exp->thread_started) {
		__atomic_store_n(&exp->stop, true, __ATOMIC_RELEASE);
		pthread_join(exp->thread, NULL);
		exp->thread_started = false;
		exp->registered = false;
	}
	dp_exporter_close(exp, drain_ms);
}

void
dp_exporter_retire(const struct dp_exporter *exp)
{
	if (!exp->thread_started)
		return;
	/* The caller's grace period ended after every record for the old
	 * set was queued. The first one here ends at a quiescent state of
	 * the exporter, the end of a turn; the turn after it began with
	 * all those records in the rings and took them, and the second
	 * grace period ends only once that turn has ended too. */
	urcu_qsbr_synchronize_rcu();
	urcu_qsbr_synchronize_rcu();
}

json_t *
dp_exporter_sinks_json(struct dp_exporter *exp)
{
	json_t *list = json_array();

	for (unsigned int i = 0; list != NULL && i < exp->n_sinks; i++) {
		const struct exp_sink_config *cfg =
			exp_sink_get_config(exp->sinks[i].sink);
		struct exp_sink_stats st;
		exp_sink_stats_read(exp->sinks[i].sink, &st);
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:I, s:I, s:I}",
			"name", cfg->name, "uri", cfg->uri,
			"format", exp_format_name(exp->sinks[i].format),
			"connected", st.connected,
			"queued", (json_int_t)st.queued,
			"sent", (json_int_t)st.sent,
			"spooled", (json_int_t)st.spooled,
			"retried", (json_int_t)st.retried,
			"dropped", (json_int_t)st.dropped,
			"connects", (json_int_t)st.connects,
			"errors", (json_int_t)st.errors,
			"memory_records", (json_int_t)st.memory_records,
			"spool_records", (json_int_t)st.spool_records,
			"spool_bytes", (json_int_t)st.spool_bytes,
			"spool_max", (json_int_t)cfg->spool_max);
		/* As persist_error: present once there was one. The text
		 * may hold any byte a peer or path gave; jansson wants
		 * UTF-8, so it is checked first. */
		if (o != NULL && st.last_error_time != 0) {
			json_t *text = json_string(st.last_error);
			if (text == NULL) {
				/* Not UTF-8: bytes past ASCII become '?'. */
				for (char *c = st.last_error; *c != '\0'; c++)
					if ((unsigned char)*c >= 0x80)
						*c = '?';
				text = json_string(st.last_error);
			}
			json_object_set_new(o, "last_error", text);
			json_object_set_new(o, "last_error_time",
				json_integer((json_int_t)st.last_error_time));
		}
		json_array_append_new(list, o);
	}
	return list;
}

json_t *
dp_exporter_json(struct dp_exporter *exp)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:I}",
		"events", (json_int_t)__atomic_load_n(&exp->events,
						      __ATOMIC_RELAXED),
		"write_errors", (json_int_t)__atomic_load_n(&exp->write_errors,
							    __ATOMIC_RELAXED),
		"throttled", (json_int_t)__atomic_load_n(&exp->throttled,
							 __ATOMIC_RELAXED),
		"summaries", (json_int_t)__atomic_load_n(&exp->summaries,
							 __ATOMIC_RELAXED),
		"throttle_window_s", (int)exp->throttle_window_s,
		"throttle_evicted", (json_int_t)__atomic_load_n(
			&exp->throttle_evicted, __ATOMIC_RELAXED),
		"throttle_untracked", (json_int_t)__atomic_load_n(
			&exp->throttle_untracked, __ATOMIC_RELAXED),
		"throttle_open", (json_int_t)__atomic_load_n(
			&exp->throttle_open, __ATOMIC_RELAXED));
}
