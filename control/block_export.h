/* block_export.h -- the thread that writes the block lists (block_lists.h)
 * of each new database version, off the control thread: it takes the
 * newest version offered (versions offered while it writes are coalesced
 * into the newest), and keeps what status shows. */
#ifndef IOCSIFT_CONTROL_BLOCK_EXPORT_H
#define IOCSIFT_CONTROL_BLOCK_EXPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "block_lists.h"
#include "config.h"

/* The writer runs at this nice value, below the control thread. */
#define CTL_BLOCK_EXPORT_NICE 10

struct ctl_block_export {
	char dir[CFG_PATH_MAX];
	uint32_t formats;                  /* written on every version */
	struct cfg_export_filter filters[CFG_EXPORT_FORMATS];
	char allow[CFG_PATH_MAX];          /* "" none */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;               /* an offer, or stop */
	pthread_cond_t done;               /* a write ended */
	/* Under lock. */
	bool stop;
	const struct pat_set *pending;     /* offered, not taken yet */
	uint32_t pending_formats;          /* asked for by requests */
	uint64_t requests;                 /* tickets given out */
	uint64_t pending_requests;         /* the last ticket pending covers */
	const struct pat_set *writing;     /* being written: not to be freed */
	uint64_t requests_done;
	uint64_t written_version;          /* 0: nothing written yet */
	uint64_t written_serial;
	time_t written_at;
	uint64_t write_ns;
	uint64_t writes, errors;
	int64_t next_expiry;               /* 0: none; see _expiry_due */
	struct ctl_block_file_counts counts[CTL_BLOCK_FILES];
	size_t allowed[CFG_EXPORT_FORMATS];
	uint64_t format_version[CFG_EXPORT_FORMATS];
	char error[ERROR_DETAIL_TEXT_MAX];     /* the last, "" none */
	time_t error_time;
};

/* Sets x up from cfg's [exports] and starts its thread when export_dir
 * is set (x is inert without it). 0 or -errno. */
int ctl_block_export_start(struct ctl_block_export *x,
			   const struct iocsift_config *cfg);

/* Stops the thread (a write under way finishes first). Idempotent. */
void ctl_block_export_stop(struct ctl_block_export *x);

bool ctl_block_export_enabled(const struct ctl_block_export *x);

/* A new active version (the control thread, at each swap): written once
 * the thread is free, unless a newer one comes first. set must stay
 * alive until it is no longer active: the caller never frees the active
 * set, and frees a set that left only when ctl_block_export_busy() is
 * not it. */
void ctl_block_export_offer(struct ctl_block_export *x,
			    const struct pat_set *set);

/* `iocsiftctl export`: writes the formats (bits 1 << enum
 * cfg_export_format) of set, the active version, even when that version
 * was written already. A ticket: done once requests_done reaches it
 * (status). */
uint64_t ctl_block_export_request(struct ctl_block_export *x,
				  const struct pat_set *set, uint32_t formats);

/* The set the thread reads now, or NULL. */
const struct pat_set *ctl_block_export_busy(struct ctl_block_export *x);

/* Whether an exported indicator has expired since the last write (the
 * active version should be offered again, so that it leaves the files). */
bool ctl_block_export_expiry_due(struct ctl_block_export *x, int64_t now);

/* {dir, formats, version, written_at, write_ms, writes, errors,
 * requests_done, pending, files: {NAME: {format, path, entries, skipped}},
 * allowed: {FORMAT: n}, error, error_time} for status (times in UNIX
 * seconds, null for never); {enabled: false} when off. */
json_t *ctl_block_export_json(struct ctl_block_export *x);

#endif
