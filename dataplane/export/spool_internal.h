/* spool_internal.h -- a spool's state and what its files give one
 * another: spool.c (opening and closing, the FIFO: append, read, commit,
 * sync), spool_recover.c (what opening finds on disk: segments scanned
 * and cut, the cursor settled) and spool_crc.c (CRC32C). Internal to
 * dataplane/export/. */
#ifndef IOCSIFT_EXPORT_SPOOL_INTERNAL_H
#define IOCSIFT_EXPORT_SPOOL_INTERNAL_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct error_detail;

#define SPOOL_BUF_SIZE (256u << 10)   /* larger records bypass it */
#define SPOOL_NAME_LEN 20             /* 16 hex digits + ".seg" */
#define SPOOL_CURSOR "cursor"
#define SPOOL_CURSOR_TMP "cursor.tmp"
#define SPOOL_CURSOR_MAGIC "IOCSCURS"
#define SPOOL_CURSOR_SIZE 32u
#define SPOOL_SHORT (-ENODATA)        /* internal: fewer bytes than promised */

struct spool_segment {
	uint64_t seq;
	uint64_t size;      /* bytes of the file on disk */
	uint64_t end;       /* just after the last valid record */
	uint64_t records;   /* valid records in [header, end) */
	bool sealed;        /* never appended to again (damaged) */
};

/* A position: idx counts the records of segment seq before off. */
struct spool_pos {
	uint64_t seq;
	uint64_t off;
	uint64_t idx;
};

/* File bytes [off, off + len) of segment seq. */
struct spool_buf {
	uint8_t *data;
	uint64_t seq;
	uint64_t off;
	size_t len;
};

struct exp_spool {
	int dirfd;                    /* holds the flock */
	uint64_t max_bytes;
	uint64_t segment_size;
	struct spool_segment *segs;   /* by seq, oldest first */
	size_t n_segs, cap_segs;
	uint64_t next_seq;
	int wfd;                      /* O_APPEND on the last segment, or -1 */
	bool wfd_dirty;               /* written since its last fsync */
	bool dir_dirty;               /* entries changed since its fsync */
	struct spool_pos cursor;      /* committed */
	bool cursor_dirty;            /* the file is older than cursor */
	bool cursor_unsynced;         /* the file was renamed in, not fsynced */
	uint64_t cursor_sync_ns;
	struct spool_pos rd;          /* next record to read */
	int rfd;                      /* O_RDONLY on segment rfd_seq, or -1 */
	uint64_t rfd_seq;
	struct spool_buf buf;
	struct spool_pos *pending;    /* marks read since the last commit */
	size_t p_head, p_len, p_cap;
	uint64_t records, bytes, torn_bytes;
	char notice[512];
};

/* Little-endian, as on disk. */

static inline uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t
get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void
put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void
segment_name(char name[SPOOL_NAME_LEN + 1], uint64_t seq)
{
	snprintf(name, SPOOL_NAME_LEN + 1, "%016" PRIx64 ".seg", seq);
}

/* spool_crc.c: crc is the running (inverted) state: start at ~0, finish
 * with ~. */
uint32_t spool_crc_update(uint32_t crc, const void *bytes, size_t n);

/* spool.c, for opening. */

/* Reads up to n bytes at off; returns how many (fewer only at end of
 * file) or -errno. */
ssize_t spool_pread_full(int fd, void *dst, size_t n, uint64_t off);
/* Makes the buffer hold bytes of segment seq from off on, reading no
 * further than limit: at least want (<= SPOOL_BUF_SIZE, <= limit - off)
 * of them at *p. Returns how many are there, SPOOL_SHORT when the file
 * ends before want, or -errno. */
ssize_t spool_buf_get(struct spool_buf *b, int fd, uint64_t seq,
		      uint64_t off, uint64_t limit, size_t want,
		      const uint8_t **p);
/* The segment numbered seq, or NULL. */
struct spool_segment *spool_segment_find(struct exp_spool *s, uint64_t seq);
/* Room for one more segment. 0 or -ENOMEM. */
int spool_segs_reserve(struct exp_spool *s);
/* Removes segs[i] and its file. 0 or -errno. */
int spool_segment_remove(struct exp_spool *s, size_t i);
/* Writes the cursor file if it is older than the cursor, fsyncing (file
 * and directory) when forced or when the last fsync is old enough. */
int spool_cursor_write(struct exp_spool *s, bool force);

/* spool_recover.c: opens and locks dir (made 0700 if missing), scans
 * every segment, cuts what is torn, removes what was delivered, and
 * settles the cursor, the counts and the next segment number. 0 or
 * -errno with err. */
int spool_recover(struct exp_spool *s, const char *dir,
		  struct error_detail *err);

#endif
