/* exporter.c -- drains hit rings and writes one event per (message,
 * indicator) pair. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "clock.h"
#include "event.h"
#include "exporter.h"
#include "hit.h"

RTE_LOG_REGISTER(dp_logtype_exporter, iocsift.exporter, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_exporter, "exporter: " __VA_ARGS__)

#define EXPORT_BURST 32
#define EXPORT_IDLE_US 100
#define INDICATOR_KEY_MAX 8192

int
dp_exporter_init(struct dp_exporter *exp, FILE *out)
{
	*exp = (struct dp_exporter){ .out = out };
	atomic_init(&exp->stop, false);
	exp->indicator_hits = json_object();
	if (exp->indicator_hits == NULL)
		return -ENOMEM;
	pthread_mutex_init(&exp->lock, NULL);
	return 0;
}

void
dp_exporter_release(struct dp_exporter *exp)
{
	json_decref(exp->indicator_hits);
	exp->indicator_hits = NULL;
	pthread_mutex_destroy(&exp->lock);
}

/* One more hit of ind. The key holds the identity across versions. */
static void
indicator_count(struct dp_exporter *exp, const struct pat_indicator *ind)
{
	char key[INDICATOR_KEY_MAX];

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", pat_type_name(ind->type),
		 ind->value, ind->feed);
	pthread_mutex_lock(&exp->lock);
	json_t *count = json_object_get(exp->indicator_hits, key);
	if (count != NULL)
		json_integer_set(count, json_integer_value(count) + 1);
	else
		json_object_set_new(exp->indicator_hits, key, json_integer(1));
	pthread_mutex_unlock(&exp->lock);
}

static void
hit_export(struct dp_exporter *exp, const struct dp_hit *hit)
{
	struct exp_message msg = {
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
	};
	memcpy(msg.src_addr, hit->src_addr, sizeof(msg.src_addr));
	memcpy(msg.dst_addr, hit->dst_addr, sizeof(msg.dst_addr));

	for (uint16_t i = 0; i < hit->hits.count; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(hit->set, hit->hits.ids[i]);
		indicator_count(exp, ind);
		if (exp_event_write(exp->out, &msg, ind,
				    pat_set_version(hit->set)) == 0) {
			__atomic_store_n(&exp->events, exp->events + 1,
					 __ATOMIC_RELAXED);
		} else if (exp->write_errors++ == 0) {
			LOG(ERR, "writing an event failed\n");
		}
	}
}

unsigned int
dp_exporter_drain(struct dp_exporter *exp, struct dp_worker *w)
{
	void *records[EXPORT_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(w->hit_ring, records,
						   EXPORT_BURST, NULL);

	for (unsigned int i = 0; i < n; i++)
		hit_export(exp, records[i]);
	if (n > 0) {
		rte_mempool_put_bulk(w->hit_pool, records, n);
		__atomic_store_n(&w->records_exported, w->records_exported + n,
				 __ATOMIC_RELEASE);
	}
	return n;
}

static unsigned int
drain_all(struct dp_exporter *exp)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < exp->n_workers; i++)
		n += dp_exporter_drain(exp, exp->workers[i]);
	return n;
}

/* Flushes whenever the rings run dry, so a reader of the file sees each
 * event within about EXPORT_IDLE_US of its hit. */
static void *
exporter_main(void *arg)
{
	struct dp_exporter *exp = arg;
	bool dirty = false;

	while (!atomic_load(&exp->stop)) {
		dp_clock_tick();
		if (drain_all(exp) > 0) {
			dirty = true;
			continue;
		}
		if (dirty && fflush(exp->out) != 0 && exp->write_errors++ == 0)
			LOG(ERR, "flushing events failed\n");
		dirty = false;
		usleep(EXPORT_IDLE_US);
	}
	while (drain_all(exp) > 0)
		;
	if (fflush(exp->out) != 0)
		exp->write_errors++;
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
	return 0;
}

void
dp_exporter_stop(struct dp_exporter *exp)
{
	if (!exp->thread_started)
		return;
	atomic_store(&exp->stop, true);
	pthread_join(exp->thread, NULL);
	exp->thread_started = false;
}

void
dp_exporter_wait(const struct dp_exporter *exp)
{
	uint64_t queued[DP_FANOUT_MAX];
	unsigned int n = exp->n_workers < DP_FANOUT_MAX ?
		exp->n_workers : DP_FANOUT_MAX;

	for (unsigned int i = 0; i < n; i++)
		queued[i] = __atomic_load_n(&exp->workers[i]->records_enqueued,
					    __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < n; i++)
		while (__atomic_load_n(&exp->workers[i]->records_exported,
				       __ATOMIC_ACQUIRE) < queued[i])
			usleep(50);
}

static int
hits_descending(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
							  "hits"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
							  "hits"));

	return x < y ? 1 : x > y ? -1 : 0;
}

json_t *
dp_exporter_top_indicators(struct dp_exporter *exp, size_t top)
{
	json_t *list = json_array();
	const char *key;
	json_t *count;

	if (list == NULL)
		return NULL;
	pthread_mutex_lock(&exp->lock);
	json_object_foreach(exp->indicator_hits, key, count) {
		char copy[INDICATOR_KEY_MAX];
		snprintf(copy, sizeof(copy), "%s", key);
		char *value = strchr(copy, '\x1f');
		char *feed = value != NULL ? strchr(value + 1, '\x1f') : NULL;
		if (feed == NULL)
			continue;
		*value++ = '\0';
		*feed++ = '\0';
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}",
			"type", copy, "value", value, "feed", feed,
			"hits", json_integer_value(count)));
	}
	pthread_mutex_unlock(&exp->lock);

	size_t n = json_array_size(list);
	json_t **items = malloc((n + 1) * sizeof(*items));
	json_t *sorted = json_array();
	if (items == NULL || sorted == NULL) {
		free(items);
		json_decref(sorted);
		json_decref(list);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort(items, n, sizeof(*items), hits_descending);
	for (size_t i = 0; i < n && i < top; i++)
		json_array_append(sorted, items[i]);
	free(items);
	json_decref(list);
	return sorted;
}
