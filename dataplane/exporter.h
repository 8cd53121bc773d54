/* exporter.h -- turns hit records from the workers' rings into events.
 * Runs on the main lcore or its own thread, never on a worker. */
#ifndef IOCSIFT_DATAPLANE_EXPORTER_H
#define IOCSIFT_DATAPLANE_EXPORTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "worker.h"

struct dp_exporter {
	FILE *out;
	uint64_t events;           /* written; read by others relaxed */
	uint64_t write_errors;
	/* Hits per indicator, keyed "type value feed" (unit separators),
	 * for `iocsiftctl stats`. Guarded by lock. */
	pthread_mutex_t lock;
	json_t *indicator_hits;
	/* The exporter thread (dp_exporter_start) drains these. */
	struct dp_worker **workers;
	unsigned int n_workers;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
};

/* 0 or -ENOMEM. */
int dp_exporter_init(struct dp_exporter *exp, FILE *out);
void dp_exporter_release(struct dp_exporter *exp);

/* Writes the events of up to one burst of w's hit records and returns the
 * records to its pool. Returns how many records it took. */
unsigned int dp_exporter_drain(struct dp_exporter *exp, struct dp_worker *w);

/* A thread that drains every worker until dp_exporter_stop(), which
 * drains what is left and flushes. 0 or -errno. */
int dp_exporter_start(struct dp_exporter *exp, struct dp_worker **workers,
		      unsigned int n_workers);
void dp_exporter_stop(struct dp_exporter *exp);

/* Waits until the exporter has written every record the workers had
 * queued when called: after a grace period, the last that can point at a
 * retired pattern set. */
void dp_exporter_wait(const struct dp_exporter *exp);

/* The top indicators by hits: a JSON array of {type, value, feed, hits},
 * new reference, NULL on ENOMEM. */
json_t *dp_exporter_top_indicators(struct dp_exporter *exp, size_t top);

#endif
