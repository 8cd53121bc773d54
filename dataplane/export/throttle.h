/* throttle.h -- aggregates repeated hits of one indicator from one source:
 * the first hit of a window is sent at once, the repeats within the window
 * become one event with their count when the window closes. Used by the
 * exporter thread only (not thread-safe). */
#ifndef IOCSIFT_EXPORT_THROTTLE_H
#define IOCSIFT_EXPORT_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "indicator.h"

struct exp_throttle;

/* What a closed window hands back: the last repeat's message and a copy of
 * its indicator, and how many repeats there were. Valid during the call. */
struct exp_throttle_summary {
	const struct exp_message *msg;
	const struct pat_indicator *ind;
	uint64_t db_version;
	uint32_t count;            /* repeats, >= 1 (the first hit not counted) */
	uint64_t first_ns;         /* time of the first and last repeat */
	uint64_t last_ns;
};

typedef void (*exp_throttle_emit_fn)(void *ctx,
				     const struct exp_throttle_summary *summary);

/* window_ns: the window's length (> 0); max_entries: windows open at once,
 * allocated here (a new key past it closes the oldest window early, its
 * summary emitted then, and counts it as evicted). Buckets are chosen by SipHash-2-4 under a random key from
 * getrandom(2) (it may wait for the kernel's entropy pool at boot). NULL
 * with errno: ENOMEM, or getrandom's error. */
struct exp_throttle *exp_throttle_new(uint64_t window_ns, uint32_t max_entries,
				      exp_throttle_emit_fn emit, void *ctx);
void exp_throttle_free(struct exp_throttle *t);

/* A hit at now_ns (the exporter's clock). True: send it now (the first of
 * its window, or untracked). False: counted as a repeat, to come in the
 * window's summary. Windows that closed by now_ns are summarized first. */
bool exp_throttle_hit(struct exp_throttle *t, const struct exp_message *msg,
		      const struct pat_indicator *ind, uint64_t db_version,
		      uint64_t now_ns);

/* Summarizes every window that closed by now_ns. */
void exp_throttle_expire(struct exp_throttle *t, uint64_t now_ns);

/* Summarizes every open window with repeats (at shutdown). */
void exp_throttle_flush(struct exp_throttle *t);

struct exp_throttle_stats {
	uint64_t suppressed;       /* hits folded into summaries */
	uint64_t summaries;        /* summary events emitted */
	uint64_t untracked;        /* hits sent without a window: its copy
				    * found no memory (or max_entries 0) */
	uint64_t evicted;          /* windows closed early for a new key */
	uint64_t open;             /* windows open now */
	uint64_t entries;          /* entries ever used, <= max_entries */
};
void exp_throttle_stats(const struct exp_throttle *t,
			struct exp_throttle_stats *st);

/* The table's SipHash key, for tests. */
#define EXP_THROTTLE_KEY_SIZE 16
void exp_throttle_key(const struct exp_throttle *t,
		      uint8_t key[EXP_THROTTLE_KEY_SIZE]);

#endif
