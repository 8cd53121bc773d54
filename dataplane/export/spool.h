/* spool.h -- the disk spool of a SIEM sink: a durable FIFO of records in
 * segment files, read oldest first and committed once delivered. One spool
 * is used by one thread at a time (the caller holds its own lock: a
 * sink's spool_lock, which its producers never take); one process at a
 * time (the directory is flock()ed). Format: docs/spool.md. */
#ifndef IOCSIFT_EXPORT_SPOOL_H
#define IOCSIFT_EXPORT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct error_detail;

/* On disk, little-endian. A segment file "<16 hex digits>.seg" starts with
 * magic[8], u32 version, u32 CRC32C of the 12 bytes before it; then records
 * [u32 length][u32 CRC32C of the bytes][bytes]. */
#define EXP_SPOOL_MAGIC "IOCSPOOL"
#define EXP_SPOOL_VERSION 1u
#define EXP_SPOOL_HEADER_SIZE 16u        /* segment header */
#define EXP_SPOOL_RECORD_HEADER 8u       /* length + checksum */
#define EXP_SPOOL_RECORD_MAX (16u << 20) /* 16 MiB */
#define EXP_SPOOL_SEGMENT_SIZE (16u << 20) /* segments roll past it */
#define EXP_SPOOL_SYNC_INTERVAL_NS 100000000ull /* cursor fsync, 100 ms */

struct exp_spool;

/* The position just after a record. Marks compare as (segment, offset). */
struct exp_spool_mark {
	uint64_t segment;
	uint64_t offset;
};

/* Opens the spool in dir (created with mode 0700 if missing; its parent
 * must exist), scanning every segment: a record whose length or checksum
 * is wrong, or that is cut short, ends its segment (the rest of the file is
 * truncated away and counted in torn_bytes). A missing or corrupt cursor
 * means reading from the oldest segment (at-least-once: duplicates, never
 * loss). max_bytes limits the total size of the segment files (0 = no
 * limit). NULL with errno and err (if not NULL) filled: where names the
 * directory or the file ("spool directory DIR", "spool segment NAME"), so
 * that error_detail_format() gives "spool directory DIR: Permission
 * denied"; EBUSY when another process has it open, EPROTO for a segment
 * of a newer format. */
struct exp_spool *exp_spool_open(const char *dir, uint64_t max_bytes,
				 struct error_detail *err);

/* Syncs (segment, cursor, directory) and frees. NULL is accepted. */
void exp_spool_close(struct exp_spool *s);

/* Appends one record of 1..EXP_SPOOL_RECORD_MAX bytes with one write(2),
 * no fsync. 0; -EINVAL for a bad length; -EDQUOT when it would pass
 * max_bytes (nothing written); -errno of the file system (-EIO, -ENOSPC
 * for a full disk, ...) with the segment rolled back to its previous
 * end. */
int exp_spool_append(struct exp_spool *s, const void *rec, size_t len);

/* Copies the next record not yet read since the last commit or rewind into
 * buf and sets *len and *mark (the position after it). 0; -ENOENT when
 * there is none (yet); -EMSGSIZE when cap is too small (*len says how big,
 * nothing consumed); -EIO etc. on a read error (retry later). A record
 * whose checksum fails here (the disk changed under the spool) ends its
 * segment like a torn tail: skipped, counted in torn_bytes, never
 * returned. Each record read and not yet committed costs 24 bytes of
 * memory (-ENOMEM past what can be had). */
int exp_spool_read(struct exp_spool *s, void *buf, size_t cap, size_t *len,
		   struct exp_spool_mark *mark);

/* Everything up to mark has been delivered. mark is one returned by
 * exp_spool_read since the last commit or rewind (-EINVAL otherwise); a
 * mark at or behind the committed cursor is a no-op. Advances the cursor,
 * deletes the segment files wholly behind it (all of them once everything
 * is committed), and writes the cursor file (temp name, rename; fsync at
 * most every EXP_SPOOL_SYNC_INTERVAL_NS). Once the mark is accepted the
 * cursor has advanced in memory: an error only says a file could not be
 * written or removed (retried on the next commit or sync). */
int exp_spool_commit(struct exp_spool *s, const struct exp_spool_mark *mark);

/* Reading starts again at the committed cursor (after a failed delivery). */
void exp_spool_rewind(struct exp_spool *s);

/* fsyncs the segment being appended to, the cursor file and the directory.
 * After it returns 0 a crash or power loss loses nothing appended or
 * committed before the call. */
int exp_spool_sync(struct exp_spool *s);

/* records: appended and not yet committed (read or not). bytes: the size of
 * the segment files on disk (what max_bytes limits). segments: their
 * number. torn_bytes: cut off or skipped as damaged since open. */
struct exp_spool_stats {
	uint64_t records;
	uint64_t bytes;
	uint64_t segments;
	uint64_t torn_bytes;
};
void exp_spool_stats(const struct exp_spool *s, struct exp_spool_stats *st);

/* What opening found and repaired (torn bytes cut, a corrupt cursor, a
 * cursor past the data), for the caller to log once; NULL when nothing. */
const char *exp_spool_notice(const struct exp_spool *s);

/* The segment size at which appends roll to a new file (default
 * EXP_SPOOL_SEGMENT_SIZE; never more than max_bytes / 4 when there is a
 * limit, so commits free space in steps). For tests and tuning: 0 or
 * -EINVAL when bytes is below one header and one record header. */
int exp_spool_set_segment_size(struct exp_spool *s, uint64_t bytes);

/* CRC32C (Castagnoli) of len bytes, as stored in the files. */
uint32_t exp_spool_crc32c(const void *bytes, size_t len);

/* The same over pieces: crc = exp_crc32c_extend(0, a, n); crc =
 * exp_crc32c_extend(crc, b, m) is exp_spool_crc32c of a then b. */
uint32_t exp_crc32c_extend(uint32_t crc, const void *bytes, size_t len);

#endif
