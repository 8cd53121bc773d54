/* hunt.h -- a retro-hunt over the history's blocks: every record of the
 * asked time range in a block whose token filter may hold one of the
 * hunted indicators' keys is matched against a small set of those
 * indicators, exactly as the workers match (message_match.h). A damaged
 * block is counted and skipped, and the hunt goes on. No DPDK: the
 * daemon's hunt thread and the offline `iocsift hunt` both run it. */
#ifndef IOCSIFT_HISTORY_HUNT_H
#define IOCSIFT_HISTORY_HUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern_set.h"
#include "hist_record.h"

struct hist_hunt_query {
	const struct pat_set *set;  /* the indicators; its scratch 0 is used */
	uint64_t since_ns;          /* records at or after; 0: all */
	uint64_t until_ns;          /* records at or before; 0: no end */
	/* Keys of the indicators (hist_hunt_keys): a block whose filter
	 * holds none of them is skipped, unless scan_all. */
	const uint64_t *keys;
	size_t n_keys;
	bool scan_all;
	/* The history is being written: a block cut short at the end of
	 * the newest segment is one being written, not damage. */
	bool live;
};

#define HIST_HUNT_TEXT_MAX 256

struct hist_hunt_stats {
	uint64_t segments;
	uint64_t blocks;            /* every block seen */
	uint64_t blocks_opened;
	uint64_t blocks_skipped_time;
	uint64_t blocks_skipped_filter;
	uint64_t blocks_damaged;    /* a bad header or data: skipped */
	uint64_t blocks_cut;        /* a file ends inside a block */
	uint64_t bytes_read;        /* compressed, of the blocks opened */
	uint64_t bytes_raw;         /* their records, uncompressed */
	uint64_t records;           /* matched */
	uint64_t hit_messages;
	uint64_t hits;              /* (message, indicator) pairs */
	uint64_t match_errors;
	uint64_t first_ns;          /* the earliest record matched, 0 none */
	uint64_t last_ns;
	char first_damage[HIST_HUNT_TEXT_MAX];  /* where, for the log */
};

/* A record with hits. Returns 0 to go on, else the hunt stops and
 * returns it. */
typedef int (*hist_hit_fn)(void *ctx, const struct hist_record *rec,
			   const struct pat_hits *hits);
/* After each block: false cancels the hunt (-ECANCELED). May be NULL. */
typedef bool (*hist_progress_fn)(void *ctx,
				 const struct hist_hunt_stats *stats);

/* Hunts the segments of dir, oldest first. 0; -errno when dir cannot be
 * read (segments that cannot be opened are counted as damaged); what
 * hit or progress returned. stats is zeroed first. */
int hist_hunt_run(const char *dir, const struct hist_hunt_query *query,
		  hist_hit_fn hit, hist_progress_fn progress, void *ctx,
		  struct hist_hunt_stats *stats);

/* The same over the bytes of one segment (a fuzz target's input). */
int hist_hunt_bytes(const uint8_t *bytes, size_t size,
		    const struct hist_hunt_query *query, hist_hit_fn hit,
		    void *ctx, struct hist_hunt_stats *stats);

#endif
