/* spool_recover.c -- opening a spool: the directory made and locked,
 * every segment scanned, a torn tail or a bad header cut away, delivered
 * segments removed, the cursor checked against the data and moved back
 * when it points past it, the counts settled (docs/spool.md, "Opening:
 * the scan"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "spool.h"
#include "spool_internal.h"

/* ---- small helpers ---- */

/* Fills err about the spool's directory or one of its files: where is
 * "WHAT PATH" ("spool directory /var/...", "spool segment 00..01.seg"),
 * the message what went wrong. */
static void
spool_error(struct error_detail *err, const char *what, const char *path,
	    const char *fmt, ...)
{
	char where[sizeof(err->where)];
	va_list ap;

	if (err == NULL)
		return;
	snprintf(where, sizeof(where), "%s %s", what, path);
	va_start(ap, fmt);
	error_detail_vset(err, where, 0, fmt, ap);
	va_end(ap);
}

/* One more thing opening found and repaired, for exp_spool_notice(). */
static void
notice_add(struct exp_spool *s, const char *fmt, ...)
{
	size_t n = strlen(s->notice);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(s->notice)) {
		memcpy(s->notice + n, "; ", 3);
		n += 2;
	}
	if (n + 1 >= sizeof(s->notice))
		return;
	va_start(ap, fmt);
	vsnprintf(s->notice + n, sizeof(s->notice) - n, fmt, ap);
	va_end(ap);
}

/* Lowercase only, so each sequence number has exactly one name. */
static bool
segment_parse(const char *name, uint64_t *seq)
{
	uint64_t v = 0;

	if (strlen(name) != SPOOL_NAME_LEN || strcmp(name + 16, ".seg") != 0)
		return false;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		unsigned int d;
		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*seq = v;
	return true;
}

static int
seq_compare(const void *a, const void *b)
{
	uint64_t x = ((const struct spool_segment *)a)->seq;
	uint64_t y = ((const struct spool_segment *)b)->seq;

	return x < y ? -1 : x > y;
}

/* ---- the cursor file (its format: spool.c, spool_cursor_write) ---- */

/* 1 and *pos when valid, 0 when there is none, -1 when it is unusable. */
static int
cursor_read(struct exp_spool *s, struct spool_pos *pos)
{
	uint8_t b[SPOOL_CURSOR_SIZE + 1];
	int fd = openat(s->dirfd, SPOOL_CURSOR, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		notice_add(s, "cursor unreadable (%s): reading from the oldest "
			   "segment", strerror(errno));
		return -1;
	}
	ssize_t n = spool_pread_full(fd, b, sizeof(b), 0);
	close(fd);
	if (n != SPOOL_CURSOR_SIZE ||
	    memcmp(b, SPOOL_CURSOR_MAGIC, 8) != 0 ||
	    get_le32(b + 24) != EXP_SPOOL_VERSION ||
	    get_le32(b + 28) != exp_spool_crc32c(b, 28) ||
	    get_le64(b + 16) < EXP_SPOOL_HEADER_SIZE) {
		notice_add(s, "cursor corrupt: reading from the oldest segment "
			   "(records may be delivered twice)");
		return -1;
	}
	pos->seq = get_le64(b + 8);
	pos->off = get_le64(b + 16);
	pos->idx = 0;
	return 1;
}

/* ---- the segments ---- */

/* What scanning the cursor's segment says about the cursor. */
struct scan_cursor {
	uint64_t off;       /* 0: not this segment */
	bool hit;           /* off is the header's end or a record's */
	uint64_t idx;       /* records ending at or before off */
};

/* Cuts a torn tail at off; a file that cannot be cut is sealed. */
static void
segment_cut(struct exp_spool *s, int fd, struct spool_segment *seg,
	    uint64_t off, const char *name, const char *why)
{
	notice_add(s, "%s: %" PRIu64 " bytes cut at offset %" PRIu64 " (%s)",
		   name, seg->size - off, off, why);
	s->torn_bytes += seg->size - off;
	seg->end = off;
	if (ftruncate(fd, (off_t)off) == 0 && fsync(fd) == 0)
		seg->size = off;
	else
		seg->sealed = true;
}

/* Checks one segment's header and records and cuts what follows the first
 * bad one. 0; 1 when the header is bad (the caller removes the file);
 * -errno. */
static int
segment_scan(struct exp_spool *s, struct spool_segment *seg,
	     struct scan_cursor *sc, struct error_detail *err)
{
	char name[SPOOL_NAME_LEN + 1];
	const uint8_t *p;
	struct stat st;
	ssize_t got;
	int fd, rc = 0;

	segment_name(name, seg->seq);
	fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		spool_error(err, "spool segment", name, "%s",
			    strerror(errno));
		goto close_fd;
	}
	seg->size = (uint64_t)st.st_size;
	seg->end = EXP_SPOOL_HEADER_SIZE;
	seg->records = 0;
	seg->sealed = false;
	s->buf.len = 0;
	if (seg->size < EXP_SPOOL_HEADER_SIZE) {
		rc = 1;
		goto close_fd;
	}
	got = spool_buf_get(&s->buf, fd, seg->seq, 0, seg->size,
			    EXP_SPOOL_HEADER_SIZE, &p);
	if (got == SPOOL_SHORT || (got >= 0 &&
	    (memcmp(p, EXP_SPOOL_MAGIC, 8) != 0 ||
	     get_le32(p + 12) != exp_spool_crc32c(p, 12)))) {
		rc = 1;
		goto close_fd;
	}
	if (got < 0) {
		rc = (int)got;
		spool_error(err, "spool segment", name, "%s", strerror(-rc));
		goto close_fd;
	}
	if (get_le32(p + 8) != EXP_SPOOL_VERSION) {
		rc = -EPROTO;
		spool_error(err, "spool segment", name, "format version %"
			    PRIu32 ", this build reads %u", get_le32(p + 8),
			    EXP_SPOOL_VERSION);
		goto close_fd;
	}
	if (sc->off == EXP_SPOOL_HEADER_SIZE)
		sc->hit = true;

	uint64_t off = EXP_SPOOL_HEADER_SIZE;
	const char *why = NULL;
	while (off < seg->size) {
		if (seg->size - off < EXP_SPOOL_RECORD_HEADER) {
			why = "cut short";
			break;
		}
		got = spool_buf_get(&s->buf, fd, seg->seq, off, seg->size,
				    EXP_SPOOL_RECORD_HEADER, &p);
		if (got < 0)
			goto read_failed;
		uint32_t len = get_le32(p), crc = get_le32(p + 4);
		if (len == 0 || len > EXP_SPOOL_RECORD_MAX) {
			why = "bad length";
			break;
		}
		if (len > seg->size - off - EXP_SPOOL_RECORD_HEADER) {
			why = "cut short";
			break;
		}
		uint64_t pos = off + EXP_SPOOL_RECORD_HEADER;
		uint64_t stop = pos + len;
		uint32_t c = ~0u;
		while (pos < stop) {
			got = spool_buf_get(&s->buf, fd, seg->seq, pos,
					    seg->size, 1, &p);
			if (got < 0)
				goto read_failed;
			size_t n = (uint64_t)got < stop - pos ? (size_t)got :
				   (size_t)(stop - pos);
			c = spool_crc_update(c, p, n);
			pos += n;
		}
		if (~c != crc) {
			why = "bad checksum";
			break;
		}
		off = stop;
		seg->records++;
		if (sc->off == off) {
			sc->hit = true;
			sc->idx = seg->records;
		}
	}
	seg->end = off;
	if (why != NULL)
		segment_cut(s, fd, seg, off, name, why);
	goto close_fd;

read_failed:
	if (got == SPOOL_SHORT) {
		/* The file shrank under us: what is left is a torn tail. */
		seg->end = off;
		segment_cut(s, fd, seg, off, name, "file shrank");
	} else {
		rc = (int)got;
		spool_error(err, "spool segment", name, "%s", strerror(-rc));
	}
close_fd:
	if (fd >= 0)
		close(fd);
	s->buf.len = 0;
	return rc;
}

static int
spool_list(struct exp_spool *s, const char *dir, struct error_detail *err)
{
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *entry;
	DIR *d;
	int rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		spool_error(err, "spool directory", dir, "%s", strerror(-rc));
		return rc;
	}
	while ((errno = 0, entry = readdir(d)) != NULL) {
		uint64_t seq;
		if (strcmp(entry->d_name, SPOOL_CURSOR_TMP) == 0) {
			unlinkat(s->dirfd, SPOOL_CURSOR_TMP, 0);
			continue;
		}
		if (!segment_parse(entry->d_name, &seq))
			continue;
		rc = spool_segs_reserve(s);
		if (rc != 0) {
			error_detail_set(err, "", 0, "out of memory");
			break;
		}
		s->segs[s->n_segs++] = (struct spool_segment){ .seq = seq };
	}
	if (rc == 0 && errno != 0) {
		rc = -errno;
		spool_error(err, "spool directory", dir, "%s", strerror(-rc));
	}
	closedir(d);
	if (s->n_segs > 1)
		qsort(s->segs, s->n_segs, sizeof(s->segs[0]), seq_compare);
	return rc;
}

/* Scans the segments and settles the cursor, the counts and the next
 * sequence number. */
static int
spool_load(struct exp_spool *s, const char *dir, struct error_detail *err)
{
	struct spool_pos cur = { 0 };
	struct scan_cursor sc = { 0 };
	int have = cursor_read(s, &cur);
	int rc = spool_list(s, dir, err);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < s->n_segs;) {
		struct scan_cursor none = { 0 };
		struct scan_cursor *use = &none;
		char name[SPOOL_NAME_LEN + 1];

		if (have == 1 && s->segs[i].seq == cur.seq) {
			sc.off = cur.off;
			use = &sc;
		}
		rc = segment_scan(s, &s->segs[i], use, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			s->bytes += s->segs[i].size;
			i++;
			continue;
		}
		/* No valid header: torn at creation, or not ours. */
		segment_name(name, s->segs[i].seq);
		notice_add(s, "%s: bad header, %" PRIu64 " bytes removed", name,
			   s->segs[i].size);
		s->torn_bytes += s->segs[i].size;
		s->bytes += s->segs[i].size;
		rc = spool_segment_remove(s, i);
		if (rc != 0) {
			spool_error(err, "spool segment", name, "%s",
				    strerror(-rc));
			return rc;
		}
		if (use == &sc)
			sc = (struct scan_cursor){ 0 };
	}

	if (have == 1) {
		struct spool_segment *seg = spool_segment_find(s, cur.seq);
		if (seg != NULL && sc.hit) {
			cur.idx = sc.idx;
		} else if (seg != NULL && cur.off > seg->end) {
			/* Delivered records were lost in a crash, or cut as
			 * damaged: nothing of this segment is left to read. */
			notice_add(s, "cursor past the data of segment %016" PRIx64
				   ": moved back to its end", cur.seq);
			cur.off = seg->end;
			cur.idx = seg->records;
			s->cursor_dirty = true;
		} else if (seg != NULL) {
			notice_add(s, "cursor not on a record boundary: reading "
				   "from the oldest segment");
			have = -1;
		}
	}
	if (have == 1) {
		while (s->n_segs > 0 && s->segs[0].seq < cur.seq) {
			rc = spool_segment_remove(s, 0);
			if (rc != 0) {
				spool_error(err, "spool directory", dir,
					    "cannot remove a delivered segment: "
					    "%s", strerror(-rc));
				return rc;
			}
		}
	} else {
		cur.seq = s->n_segs > 0 ? s->segs[0].seq : 0;
		cur.off = EXP_SPOOL_HEADER_SIZE;
		cur.idx = 0;
	}
	s->cursor = cur;
	s->rd = cur;
	for (size_t i = 0; i < s->n_segs; i++) {
		s->records += s->segs[i].records;
		if (s->segs[i].seq == cur.seq)
			s->records -= cur.idx;
	}
	s->next_seq = s->n_segs > 0 ? s->segs[s->n_segs - 1].seq + 1 : 1;
	if (have == 1 && cur.seq >= s->next_seq)
		s->next_seq = cur.seq + 1;
	if (s->next_seq == 0) {
		spool_error(err, "spool directory", dir, "segment numbers "
			    "exhausted");
		return -EOVERFLOW;
	}
	if (s->cursor_dirty) {
		rc = spool_cursor_write(s, true);
		if (rc != 0) {
			spool_error(err, "spool cursor in", dir, "%s",
				    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int
spool_open_dir(struct exp_spool *s, const char *dir,
	       struct error_detail *err)
{
	int rc;

	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0 && errno == ENOENT) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			rc = -errno;
			error_detail_set(err, "", 0, "cannot create spool "
					 "directory %s: %s", dir, strerror(-rc));
			return rc;
		}
		s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (s->dirfd < 0) {
		rc = -errno;
		spool_error(err, "spool directory", dir, "%s", strerror(-rc));
		return rc;
	}
	if (faccessat(s->dirfd, ".", R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
		rc = -errno;
		spool_error(err, "spool directory", dir, "%s", strerror(-rc));
		return rc;
	}
	if (flock(s->dirfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		spool_error(err, "spool directory", dir, "%s",
			    rc == -EBUSY ? "in use by another spool" :
					   strerror(-rc));
		return rc;
	}
	return 0;
}

int
spool_recover(struct exp_spool *s, const char *dir, struct error_detail *err)
{
	int rc = spool_open_dir(s, dir, err);

	if (rc == 0)
		rc = spool_load(s, dir, err);
	return rc;
}
