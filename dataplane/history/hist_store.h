/* store.h -- the history's directory as its writer keeps it: blocks
 * appended to segment files (seg-FIRSTNS.hist, FIRSTNS the UNIX time of
 * its first block in nanoseconds, 16 hex digits, so that names sort by
 * time), a new segment past a size or a time span, and the oldest
 * segments deleted whenever the whole passes its size or its oldest
 * records their age (docs/history.md). One thread; no DPDK. */
#ifndef IOCSIFT_HISTORY_STORE_H
#define IOCSIFT_HISTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_SEGMENT_NAME_MAX 32

struct hist_store_config {
	const char *dir;            /* exists (made by the caller) */
	uint64_t max_bytes;         /* every segment together */
	uint64_t max_age_ns;        /* a segment whose last block is older goes */
};

struct hist_segment {
	char name[HIST_SEGMENT_NAME_MAX];
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t bytes;
	uint64_t blocks;
};

struct hist_store {
	char dir[4096];
	uint64_t max_bytes;
	uint64_t max_age_ns;
	uint64_t segment_bytes;     /* a new segment past this */
	uint64_t segment_span_ns;   /* or past this time span */
	struct hist_segment *segments;   /* oldest first */
	size_t n_segments;
	size_t cap_segments;
	int fd;                     /* the newest segment's, -1 none open */
	uint64_t total_bytes;
	/* Counters, read by other threads with relaxed loads. */
	uint64_t blocks_written;
	uint64_t bytes_written;
	uint64_t blocks_expired;    /* deleted with their segment */
	uint64_t segments_expired;
	uint64_t write_errors;
	int last_errno;             /* of the last failed write, 0 none */
};

/* Opens dir: finds the segments already there (reading their block
 * headers for their times). 0 or -errno. */
int hist_store_open(struct hist_store *store,
		    const struct hist_store_config *config);
void hist_store_close(struct hist_store *store);

/* Appends one encoded block (block.h) of records first_ns..last_ns,
 * starting a new segment when due. 0, or -errno (ENOSPC, EIO...): the
 * segment is then cut back to its last whole block, and nothing of the
 * block remains. */
int hist_store_append(struct hist_store *store, const uint8_t *block,
		      size_t len, uint64_t first_ns, uint64_t last_ns);

/* Deletes the oldest segments until the rest fits max_bytes and none is
 * older than max_age_ns at now_ns. The segment being written goes last,
 * and only by age. Returns the blocks deleted. */
uint64_t hist_store_expire(struct hist_store *store, uint64_t now_ns);

/* The segment files of dir, oldest first, as names (malloc'd array of
 * HIST_SEGMENT_NAME_MAX strings). 0 or -errno. */
int hist_store_list(const char *dir, char (**names)[HIST_SEGMENT_NAME_MAX],
		    size_t *n);

#endif
