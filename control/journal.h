/* journal.h -- the state dir's append-only log of database changes.
 *
 * One record per operation (add, delete, load, rollback: a JSON object
 * the database writes and reads back) and an optional blob (a loaded
 * feed's bytes), numbered by a sequence number that grows by one per
 * record. A record is on disk, fdatasync'ed, when ctl_journal_append
 * returns 0; a failed append is cut off again, so the file never holds
 * a record its writer was told failed. Records live in segment files
 * (journal-SEQ.log, SEQ the first record's) that roll every
 * CTL_JOURNAL_SEGMENT_RECORDS records or CTL_JOURNAL_SEGMENT_BYTES
 * bytes, so that what a snapshot covers is removed a file at a time.
 *
 * Record layout, little-endian: magic "IOCJ", u32 JSON length, u64 blob
 * length, u64 sequence number, u32 CRC32C of the JSON, u32 CRC32C of
 * the blob, u32 CRC32C of the 32 header bytes before it, u32 zero; then
 * the JSON text, then the blob. docs/state.md has the whole format. */
#ifndef IOCSIFT_CONTROL_JOURNAL_H
#define IOCSIFT_CONTROL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <jansson.h>

#include "common.h"

#define CTL_JOURNAL_HEADER_SIZE 40
#define CTL_JOURNAL_SEGMENT_RECORDS 64
#define CTL_JOURNAL_SEGMENT_BYTES (64u << 20)
#define CTL_JOURNAL_JSON_MAX (1u << 20)          /* one operation */
#define CTL_JOURNAL_BLOB_MAX (2ull << 30)        /* one load's feeds */

struct ctl_journal_segment {
	uint64_t first_seq;
	uint64_t last_seq;        /* first_seq - 1 while empty */
	uint64_t bytes;
};

struct ctl_journal {
	char dir[4096];
	int fd;                   /* the last segment, open to append; -1 */
	uint64_t next_seq;
	struct ctl_journal_segment *segments;   /* oldest first */
	size_t n_segments;
	size_t cap_segments;
	const char *notice;       /* what opening repaired, for one log line */
	uint64_t notice_offset;
	/* Over every segment; relaxed atomics, read from other threads. */
	uint64_t records;
	uint64_t bytes;
};

/* Calls fn for one record read back: op is the record's JSON (borrowed),
 * blob its bytes (NULL, 0 when none). A non-zero return stops the
 * replay with that error. */
typedef int (*ctl_journal_fn)(void *arg, uint64_t seq, json_t *op,
			      const uint8_t *blob, size_t blob_len,
			      struct error_detail *err);

/* An empty journal in dir, appending after seq after, nothing read. */
int ctl_journal_init(struct ctl_journal *j, const char *dir, uint64_t after);

/* Renames every segment file in dir to *.unusable. */
void ctl_journal_set_aside_all(const char *dir);

/* Reads every segment in dir, oldest first, and calls fn for each record
 * whose sequence number is above after (those up to after are covered by
 * a snapshot). A record cut short at the end of the last segment (a
 * write that never returned) is cut off and noted in j->notice.
 * Corruption anywhere else, or fn's error, stops the replay: that
 * segment and the later ones are renamed to *.unusable (kept for a
 * look, never read again), err says where and why, and the return is
 * -EBADMSG (or fn's); the journal is usable all the same, appending
 * after the last record applied. Other -errno: the dir cannot be read. */
/* j is overwritten (not closed first). */
int ctl_journal_open(struct ctl_journal *j, const char *dir, uint64_t after,
		     ctl_journal_fn fn, void *arg, struct error_detail *err);

/* Appends one record, its blob the n_blobs pieces one after another,
 * and syncs it. *seq is its sequence number. On an error (ENOSPC, EIO,
 * ...) nothing of it stays in the file. */
#define CTL_JOURNAL_BLOBS_MAX 64
int ctl_journal_append(struct ctl_journal *j, const json_t *op,
		       const struct iovec *blobs, unsigned int n_blobs,
		       uint64_t *seq, struct error_detail *err);

/* Removes the segments whose every record is at or below seq (a snapshot
 * holds them now), never the one being appended to. */
void ctl_journal_drop_through(struct ctl_journal *j, uint64_t seq);

/* Records and bytes on disk, over all segments. Any thread. */
uint64_t ctl_journal_records(const struct ctl_journal *j);
uint64_t ctl_journal_bytes(const struct ctl_journal *j);

void ctl_journal_close(struct ctl_journal *j);

#endif
