/* hunter.h -- the retro-hunts of a running appliance: a queue of hunts
 * and a thread of its own (not the control thread's job slot, never a
 * worker core) that runs them one after the other over the history
 * (history/hist_hunt.h). Each past hit becomes a hit record marked
 * retrospective, which the exporter turns into events through the same
 * sinks (docs/events.md, "Retrospective events"). Live matching never
 * waits for a hunt. */
#ifndef IOCSIFT_DATAPLANE_HUNTER_H
#define IOCSIFT_DATAPLANE_HUNTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "hist_hunt.h"
#include "history_writer.h"
#include "pattern_set.h"

#define DP_HUNT_QUEUE_MAX 16
#define DP_HUNT_RECENT 8
#define DP_HUNT_ORIGIN_MAX 128

enum dp_hunt_state {
	DP_HUNT_QUEUED,
	DP_HUNT_RUNNING,
	DP_HUNT_DONE,
	DP_HUNT_FAILED,
	DP_HUNT_CANCELLED,
};

struct dp_hunt {
	uint64_t id;
	enum dp_hunt_state state;
	char origin[DP_HUNT_ORIGIN_MAX];   /* "add", "load FEED", "hunt" */
	struct pat_set *set;               /* owned until done */
	size_t indicators;
	uint64_t since_ns;
	uint64_t queued_ns;                /* wall clock */
	uint64_t started_ns;
	uint64_t finished_ns;
	uint64_t first_event_ns;           /* the first hit queued, 0 none */
	uint64_t events;                   /* hit records queued */
	int error;                         /* -errno of a failed hunt */
	struct hist_hunt_stats stats;
};

struct dp_hunter {
	char dir[4096];
	struct dp_history_writer *writer;  /* sealed before each hunt */
	struct rte_ring *ring;             /* hit records, to the exporter */
	struct rte_mempool *pool;
	unsigned int pool_size;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;                         /* under lock */
	struct dp_hunt *queue[DP_HUNT_QUEUE_MAX];   /* under lock */
	unsigned int n_queued;
	struct dp_hunt *running;           /* under lock (its stats too) */
	bool cancel;                       /* under lock: the running one */
	struct dp_hunt recent[DP_HUNT_RECENT];      /* finished, newest last */
	unsigned int n_recent;
	uint64_t next_id;
	uint64_t hunts_done;
	uint64_t events;
};

/* Sets up the hit records and ring (on socket). The exporter must drain
 * ring (dp_exporter_add_hunter) before the thread starts. 0 or -errno. */
int dp_hunter_init(struct dp_hunter *hunter, const char *dir,
		   struct dp_history_writer *writer, int socket);
int dp_hunter_start(struct dp_hunter *hunter);
/* Cancels the running hunt, drops the queued ones, waits for the thread
 * and for the exporter to have taken every record (before the exporter
 * stops). */
void dp_hunter_stop(struct dp_hunter *hunter);
void dp_hunter_release(struct dp_hunter *hunter);

/* Queues a hunt of set (taken: freed by the hunter, or here on error)
 * over records at or after since_ns. *id its id. 0, or -EBUSY (the queue
 * is full: the set is freed). */
int dp_hunter_submit(struct dp_hunter *hunter, struct pat_set *set,
		     uint64_t since_ns, const char *origin, uint64_t *id);

/* {queued, running, recent, hunts, events}; new reference. */
json_t *dp_hunter_json(struct dp_hunter *hunter);
/* One hunt by id (queued, running or recent), or NULL when unknown. */
json_t *dp_hunter_hunt_json(struct dp_hunter *hunter, uint64_t id);

#endif
