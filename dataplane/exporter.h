/* exporter.h -- turns hit records from the workers' rings into events:
 * throttles repeats, formats each event for every sink that wants it and
 * hands it over. Runs on the main lcore (replay) or its own thread (run),
 * never on a worker. */
#ifndef IOCSIFT_DATAPLANE_EXPORTER_H
#define IOCSIFT_DATAPLANE_EXPORTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "format.h"
#include "sink.h"
#include "throttle.h"
#include "worker.h"

#define DP_SINKS_MAX 16

struct dp_exporter_sink {
	struct exp_sink *sink;
	enum exp_format format;
	bool syslog;               /* a network sink: a syslog message */
	bool nats;                 /* "TYPE ID\n" before the record */
};

struct dp_exporter {
	FILE *out;                 /* ECS JSON lines, or NULL (replay's -o) */
	struct dp_exporter_sink sinks[DP_SINKS_MAX];
	unsigned int n_sinks;
	struct exp_throttle *throttle;   /* NULL: every hit is an event */
	/* replay --messages: each record is written to out as a message
	 * line (exp_message_json()), hit or not, and makes no event. Set
	 * after dp_exporter_init(), with workers that record_messages. */
	bool messages;
	char hostname[256];
	char run_id[24];           /* event ids are RUN_ID-SEQUENCE */
	uint64_t next_id;
	/* One formatted copy per format and kind, per event. */
	struct exp_buffer formatted[4][2];
	bool have[4][2];
	struct exp_buffer nats_record;   /* a NATS sink's record */
	/* Read by others relaxed. */
	uint64_t events;           /* events made (after throttling) */
	uint64_t throttled;        /* hits folded into a summary event */
	uint64_t summaries;        /* summary events (part of events) */
	uint64_t message_lines;    /* lines written in messages mode */
	uint64_t write_errors;
	unsigned int throttle_window_s;   /* 0: off */
	uint64_t throttle_evicted; /* windows closed early for a new key */
	uint64_t throttle_untracked;   /* hits sent without a window */
	uint64_t throttle_open;    /* windows open now */
	/* The exporter thread (dp_exporter_start) drains these. */
	struct dp_worker **workers;
	unsigned int n_workers;
	/* The retro-hunts' records (hunter.h), drained like a worker's. */
	struct rte_ring *hunt_ring;
	struct rte_mempool *hunt_pool;
	pthread_t thread;
	bool thread_started;
	bool registered;           /* __atomic: the thread is a QSBR reader */
	bool stop;                 /* __atomic: set by dp_exporter_stop */
	bool reopen;               /* __atomic: SIGHUP, file sinks reopen */
};

/* out may be NULL. hostname NULL or "": the system's. 0 or -ENOMEM. */
int dp_exporter_init(struct dp_exporter *exp, FILE *out, const char *hostname);

/* Adds a sink (before the exporter runs): parses the URI and starts the
 * sink, its spool in spool_root/NAME. 0, or -EINVAL or -E2BIG with err
 * (where names the sink, see sink.h). */
int dp_exporter_add_sink(struct dp_exporter *exp, const char *uri,
			 const char *spool_root, struct error_detail *err);

/* Throttling of repeated hits (0: off, the default). */
int dp_exporter_throttle(struct dp_exporter *exp, unsigned int window_s);

/* Writes the events of up to one burst of w's hit records and returns the
 * records to its pool. Returns how many records it took. */
unsigned int dp_exporter_drain(struct dp_exporter *exp, struct dp_worker *w);

/* No more hits: open throttle windows are summarized, out flushed, and
 * the sinks given up to drain_ms (each) to deliver what they hold. 0, or
 * -ETIMEDOUT when a sink still holds records (they stay in its spool). */
int dp_exporter_finish(struct dp_exporter *exp, unsigned int drain_ms);
/* dp_exporter_finish, then the sinks are stopped. Idempotent. */
void dp_exporter_close(struct dp_exporter *exp, unsigned int drain_ms);
void dp_exporter_release(struct dp_exporter *exp);

/* A thread that drains every worker until dp_exporter_stop(), which
 * drains what is left and closes (as above). 0 or -errno. */
int dp_exporter_start(struct dp_exporter *exp, struct dp_worker **workers,
		      unsigned int n_workers);
void dp_exporter_stop(struct dp_exporter *exp, unsigned int drain_ms);

/* The retro-hunts' ring of hit records and their pool: drained by the
 * thread with the workers' rings. Before dp_exporter_start(). */
void dp_exporter_add_hunter(struct dp_exporter *exp, struct rte_ring *ring,
			    struct rte_mempool *pool);

/* File sinks reopen their files at the thread's next turn (SIGHUP). */
void dp_exporter_reopen(struct dp_exporter *exp);

/* After a pattern set was replaced and a grace period passed (so no
 * worker can queue a hit record for it any more): returns once the
 * exporter thread has written every record that points at it, so that
 * the set may be freed and its hit counters read for good. Two grace
 * periods, the exporter being a QSBR reader; at once without the thread.
 * Called from a thread that is no QSBR reader. */
void dp_exporter_retire(const struct dp_exporter *exp);

/* Each sink's counters: a JSON array, new reference (docs/sinks.md). */
json_t *dp_exporter_sinks_json(struct dp_exporter *exp);

/* The exporter's and the throttle's counters as one object (the
 * exporter member of `stats` and `status`, docs/control-protocol.md);
 * new reference, NULL on ENOMEM. Any thread while the exporter runs. */
json_t *dp_exporter_json(struct dp_exporter *exp);

#endif
