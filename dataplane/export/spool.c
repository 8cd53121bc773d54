/* spool.c -- the sink's disk spool as a FIFO: segment files of
 * checksummed records, appended with one write(2) each, read oldest
 * first, deleted once a committed cursor (a small file replaced by rename)
 * has passed them. What opening finds on disk, and repairs, is
 * spool_recover.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "spool.h"
#include "spool_internal.h"

/* ---- small helpers ---- */

static int
pos_cmp(uint64_t seq_a, uint64_t off_a, uint64_t seq_b, uint64_t off_b)
{
	if (seq_a != seq_b)
		return seq_a < seq_b ? -1 : 1;
	if (off_a != off_b)
		return off_a < off_b ? -1 : 1;
	return 0;
}

ssize_t
spool_pread_full(int fd, void *dst, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (uint8_t *)dst + done, n - done,
				  (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static int
write_full(int fd, const void *src, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const uint8_t *)src + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

ssize_t
spool_buf_get(struct spool_buf *b, int fd, uint64_t seq, uint64_t off,
	      uint64_t limit, size_t want, const uint8_t **p)
{
	if (b->len > 0 && b->seq == seq && off >= b->off &&
	    off - b->off < b->len && b->len - (off - b->off) >= want) {
		*p = b->data + (off - b->off);
		return (ssize_t)(b->len - (off - b->off));
	}
	size_t n = limit - off < SPOOL_BUF_SIZE ? (size_t)(limit - off) :
		   SPOOL_BUF_SIZE;
	ssize_t got = spool_pread_full(fd, b->data, n, off);
	b->len = 0;
	if (got < 0)
		return got;
	b->seq = seq;
	b->off = off;
	b->len = (size_t)got;
	if ((size_t)got < want)
		return SPOOL_SHORT;
	*p = b->data;
	return got;
}

/* The index of the first segment numbered seq or later. */
static size_t
segment_lower_bound(const struct exp_spool *s, uint64_t seq)
{
	size_t lo = 0, hi = s->n_segs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->segs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct spool_segment *
spool_segment_find(struct exp_spool *s, uint64_t seq)
{
	size_t i = segment_lower_bound(s, seq);

	return i < s->n_segs && s->segs[i].seq == seq ? &s->segs[i] : NULL;
}

int
spool_segs_reserve(struct exp_spool *s)
{
	if (s->n_segs < s->cap_segs)
		return 0;
	size_t cap = s->cap_segs ? s->cap_segs * 2 : 16;
	struct spool_segment *segs = realloc(s->segs, cap * sizeof(*segs));
	if (segs == NULL)
		return -ENOMEM;
	s->segs = segs;
	s->cap_segs = cap;
	return 0;
}

static void
close_reader(struct exp_spool *s)
{
	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	s->buf.len = 0;
}

static void
close_writer(struct exp_spool *s)
{
	if (s->wfd >= 0)
		close(s->wfd);
	s->wfd = -1;
	s->wfd_dirty = false;
}

/* Stops appending to the last segment; what it holds stays durable. */
static void
seal_writer(struct exp_spool *s, struct spool_segment *w)
{
	if (s->wfd >= 0 && s->wfd_dirty)
		(void)fsync(s->wfd);
	close_writer(s);
	w->sealed = true;
}

int
spool_segment_remove(struct exp_spool *s, size_t i)
{
	char name[SPOOL_NAME_LEN + 1];

	segment_name(name, s->segs[i].seq);
	if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
		return -errno;
	if (s->rfd >= 0 && s->rfd_seq == s->segs[i].seq)
		close_reader(s);
	if (i == s->n_segs - 1)
		close_writer(s);
	s->bytes -= s->segs[i].size;
	memmove(&s->segs[i], &s->segs[i + 1],
		(s->n_segs - i - 1) * sizeof(s->segs[0]));
	s->n_segs--;
	s->dir_dirty = true;
	return 0;
}

/* ---- the cursor file: magic[8], u64 segment, u64 offset, u32 version,
 * u32 CRC32C of the 28 bytes before it ---- */

int
spool_cursor_write(struct exp_spool *s, bool force)
{
	uint64_t now = monotonic_ns();
	bool sync = force ||
		    now - s->cursor_sync_ns >= EXP_SPOOL_SYNC_INTERVAL_NS;
	uint8_t b[SPOOL_CURSOR_SIZE];
	int fd, rc;

	if (force && s->cursor_unsynced)
		s->cursor_dirty = true;
	if (!s->cursor_dirty)
		return 0;
	memcpy(b, SPOOL_CURSOR_MAGIC, 8);
	put_le64(b + 8, s->cursor.seq);
	put_le64(b + 16, s->cursor.off);
	put_le32(b + 24, EXP_SPOOL_VERSION);
	put_le32(b + 28, exp_spool_crc32c(b, 28));
	fd = openat(s->dirfd, SPOOL_CURSOR_TMP,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_full(fd, b, sizeof(b));
	if (rc == 0 && sync && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(s->dirfd, SPOOL_CURSOR_TMP, s->dirfd,
				SPOOL_CURSOR) != 0)
		rc = -errno;
	if (rc != 0) {
		unlinkat(s->dirfd, SPOOL_CURSOR_TMP, 0);
		return rc;
	}
	s->cursor_dirty = false;
	s->cursor_unsynced = true;
	if (!sync)
		return 0;
	if (fsync(s->dirfd) != 0)
		return -errno;
	s->cursor_unsynced = false;
	s->dir_dirty = false;
	s->cursor_sync_ns = now;
	return 0;
}

/* ---- opening and closing ---- */

static void
spool_free(struct exp_spool *s)
{
	close_reader(s);
	close_writer(s);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->buf.data);
	free(s->segs);
	free(s->pending);
	free(s);
}

struct exp_spool *
exp_spool_open(const char *dir, uint64_t max_bytes, struct error_detail *err)
{
	struct exp_spool *s;
	int rc;

	if (dir == NULL || dir[0] == '\0') {
		error_detail_set(err, "", 0, "no spool directory");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto no_memory;
	s->dirfd = s->wfd = s->rfd = -1;
	s->max_bytes = max_bytes;
	s->segment_size = EXP_SPOOL_SEGMENT_SIZE;
	s->buf.data = malloc(SPOOL_BUF_SIZE);
	if (s->buf.data == NULL) {
		spool_free(s);
		goto no_memory;
	}
	rc = spool_recover(s, dir, err);
	if (rc != 0) {
		spool_free(s);
		errno = -rc;
		return NULL;
	}
	return s;

no_memory:
	error_detail_set(err, "", 0, "out of memory");
	errno = ENOMEM;
	return NULL;
}

void
exp_spool_close(struct exp_spool *s)
{
	if (s == NULL)
		return;
	(void)exp_spool_sync(s);
	spool_free(s);
}

/* ---- appending ---- */

static uint64_t
roll_size(const struct exp_spool *s)
{
	if (s->max_bytes > 0 && s->max_bytes / 4 < s->segment_size)
		return s->max_bytes / 4;
	return s->segment_size;
}

/* Starts the next segment: fsyncs the one it ends, creates the file with
 * its header. */
static int
segment_start(struct exp_spool *s)
{
	uint8_t header[EXP_SPOOL_HEADER_SIZE];
	char name[SPOOL_NAME_LEN + 1];
	int fd, rc;

	rc = spool_segs_reserve(s);
	if (rc != 0)
		return rc;
	if (s->wfd >= 0 && s->wfd_dirty && fsync(s->wfd) != 0)
		return -errno;
	close_writer(s);
	if (s->next_seq == 0)
		return -EOVERFLOW;
	segment_name(name, s->next_seq);
	fd = openat(s->dirfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;   /* EEXIST: someone else writes here */
	memcpy(header, EXP_SPOOL_MAGIC, 8);
	put_le32(header + 8, EXP_SPOOL_VERSION);
	put_le32(header + 12, exp_spool_crc32c(header, 12));
	rc = write_full(fd, header, sizeof(header));
	if (rc != 0) {
		close(fd);
		unlinkat(s->dirfd, name, 0);
		return rc;
	}
	s->segs[s->n_segs++] = (struct spool_segment){
		.seq = s->next_seq,
		.size = EXP_SPOOL_HEADER_SIZE,
		.end = EXP_SPOOL_HEADER_SIZE,
	};
	s->next_seq++;
	s->bytes += EXP_SPOOL_HEADER_SIZE;
	s->wfd = fd;
	s->wfd_dirty = true;
	s->dir_dirty = true;
	return 0;
}

/* Opens the last segment (from an earlier run) for appending. */
static int
writer_open(struct exp_spool *s, struct spool_segment *w)
{
	char name[SPOOL_NAME_LEN + 1];
	struct stat st;

	segment_name(name, w->seq);
	s->wfd = openat(s->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (s->wfd < 0)
		return -errno;
	if (fstat(s->wfd, &st) != 0 || (uint64_t)st.st_size != w->size) {
		/* Changed behind our back: never append after unknown bytes. */
		close_writer(s);
		w->sealed = true;
	}
	return 0;
}

/* Undoes a partial write; a file that cannot be cut is sealed. */
static void
writer_rollback(struct exp_spool *s, struct spool_segment *w, size_t written)
{
	if (written == 0)
		return;
	if (ftruncate(s->wfd, (off_t)w->size) != 0) {
		w->size += written;
		s->bytes += written;
		seal_writer(s, w);
	}
}

int
exp_spool_append(struct exp_spool *s, const void *rec, size_t len)
{
	uint8_t header[EXP_SPOOL_RECORD_HEADER];
	struct spool_segment *w;
	uint64_t need = EXP_SPOOL_RECORD_HEADER + (uint64_t)len;
	bool roll;
	int rc;

	if (s == NULL || rec == NULL || len == 0 || len > EXP_SPOOL_RECORD_MAX)
		return -EINVAL;
	w = s->n_segs > 0 ? &s->segs[s->n_segs - 1] : NULL;
	if (w != NULL && !w->sealed && s->wfd < 0) {
		rc = writer_open(s, w);
		if (rc == -ENOENT)
			w->sealed = true;   /* removed behind our back */
		else if (rc != 0)
			return rc;
	}
	roll = w == NULL || w->sealed ||
	       (w->size > EXP_SPOOL_HEADER_SIZE &&
		w->size + need > roll_size(s));
	if (roll)
		need += EXP_SPOOL_HEADER_SIZE;
	if (s->max_bytes > 0 &&
	    (s->bytes > s->max_bytes || need > s->max_bytes - s->bytes))
		return -EDQUOT;   /* its own limit: not the disk's ENOSPC */
	if (roll) {
		rc = segment_start(s);
		if (rc != 0)
			return rc;
		w = &s->segs[s->n_segs - 1];
	}

	put_le32(header, (uint32_t)len);
	put_le32(header + 4, exp_spool_crc32c(rec, len));
	struct iovec iov[2] = {
		{ .iov_base = header, .iov_len = sizeof(header) },
		{ .iov_base = (void *)(uintptr_t)rec, .iov_len = len },
	};
	struct iovec *v = iov;
	int cnt = 2;
	size_t done = 0, total = sizeof(header) + len;
	while (done < total) {
		ssize_t n = writev(s->wfd, v, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			writer_rollback(s, w, done);
			return rc;
		}
		done += (size_t)n;
		while (cnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	w->size += total;
	w->end += total;
	w->records++;
	s->records++;
	s->bytes += total;
	s->wfd_dirty = true;
	return 0;
}

/* ---- reading ---- */

/* The segment of the next record, moving the reader past segments it has
 * finished; NULL when there is nothing to read. */
static struct spool_segment *
reader_segment(struct exp_spool *s)
{
	for (size_t i = segment_lower_bound(s, s->rd.seq); i < s->n_segs; i++) {
		struct spool_segment *seg = &s->segs[i];
		if (seg->seq != s->rd.seq)
			s->rd = (struct spool_pos){ seg->seq,
						    EXP_SPOOL_HEADER_SIZE, 0 };
		if (s->rd.off < seg->end)
			return seg;
	}
	return NULL;
}

static int
reader_fd(struct exp_spool *s, uint64_t seq)
{
	char name[SPOOL_NAME_LEN + 1];

	if (s->rfd >= 0 && s->rfd_seq == seq)
		return s->rfd;
	close_reader(s);
	segment_name(name, seq);
	s->rfd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (s->rfd < 0)
		return -errno;
	s->rfd_seq = seq;
	return s->rfd;
}

/* The record at the reader is damaged (the disk changed under us): the
 * rest of its segment is dropped, and nothing is appended after it. */
static void
reader_cut(struct exp_spool *s, struct spool_segment *seg)
{
	s->torn_bytes += seg->end - s->rd.off;
	s->records -= seg->records - s->rd.idx;
	seg->end = s->rd.off;
	seg->records = s->rd.idx;
	if (seg == &s->segs[s->n_segs - 1])
		seal_writer(s, seg);
	seg->sealed = true;
	close_reader(s);
}

static int
pending_reserve(struct exp_spool *s)
{
	if (s->p_len < s->p_cap)
		return 0;
	if (s->p_head > 0) {
		memmove(s->pending, s->pending + s->p_head,
			(s->p_len - s->p_head) * sizeof(s->pending[0]));
		s->p_len -= s->p_head;
		s->p_head = 0;
		return 0;
	}
	size_t cap = s->p_cap ? s->p_cap * 2 : 64;
	struct spool_pos *p = realloc(s->pending, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	s->pending = p;
	s->p_cap = cap;
	return 0;
}

int
exp_spool_read(struct exp_spool *s, void *buf, size_t cap, size_t *len,
	       struct exp_spool_mark *mark)
{
	struct spool_segment *seg;

	if (s == NULL || len == NULL || mark == NULL ||
	    (buf == NULL && cap > 0))
		return -EINVAL;
	while ((seg = reader_segment(s)) != NULL) {
		const uint64_t off = s->rd.off;
		const uint8_t *p;
		ssize_t got;
		int fd = reader_fd(s, seg->seq);

		if (fd == -ENOENT) {
			reader_cut(s, seg);
			continue;
		}
		if (fd < 0)
			return fd;
		if (seg->end - off < EXP_SPOOL_RECORD_HEADER) {
			reader_cut(s, seg);
			continue;
		}
		got = spool_buf_get(&s->buf, fd, seg->seq, off, seg->end,
				    EXP_SPOOL_RECORD_HEADER, &p);
		if (got == SPOOL_SHORT) {
			reader_cut(s, seg);
			continue;
		}
		if (got < 0)
			return (int)got;
		uint32_t rlen = get_le32(p), crc = get_le32(p + 4);
		if (rlen == 0 || rlen > EXP_SPOOL_RECORD_MAX ||
		    rlen > seg->end - off - EXP_SPOOL_RECORD_HEADER) {
			reader_cut(s, seg);
			continue;
		}
		if (rlen > cap) {
			*len = rlen;
			return -EMSGSIZE;
		}
		if (pending_reserve(s) != 0)
			return -ENOMEM;
		if (EXP_SPOOL_RECORD_HEADER + (size_t)rlen <= SPOOL_BUF_SIZE) {
			got = spool_buf_get(&s->buf, fd, seg->seq, off,
					    seg->end, EXP_SPOOL_RECORD_HEADER +
					    rlen, &p);
			if (got >= 0)
				memcpy(buf, p + EXP_SPOOL_RECORD_HEADER, rlen);
		} else {
			got = spool_pread_full(fd, buf, rlen,
					       off + EXP_SPOOL_RECORD_HEADER);
			if (got >= 0 && (size_t)got < rlen)
				got = SPOOL_SHORT;
		}
		if (got == SPOOL_SHORT || (got >= 0 &&
		    exp_spool_crc32c(buf, rlen) != crc)) {
			reader_cut(s, seg);
			continue;
		}
		if (got < 0)
			return (int)got;
		s->rd.off = off + EXP_SPOOL_RECORD_HEADER + rlen;
		s->rd.idx++;
		s->pending[s->p_len++] = s->rd;
		*len = rlen;
		mark->segment = s->rd.seq;
		mark->offset = s->rd.off;
		return 0;
	}
	return -ENOENT;
}

/* ---- committing ---- */

/* Removes the segments wholly behind the cursor, the cursor's own when it
 * has passed its last record. */
static int
spool_trim(struct exp_spool *s)
{
	while (s->n_segs > 0) {
		const struct spool_segment *seg = &s->segs[0];
		if (seg->seq > s->cursor.seq ||
		    (seg->seq == s->cursor.seq && s->cursor.off < seg->end))
			break;
		int rc = spool_segment_remove(s, 0);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
exp_spool_commit(struct exp_spool *s, const struct exp_spool_mark *mark)
{
	size_t lo, hi;
	int rc, rc2;

	if (s == NULL || mark == NULL)
		return -EINVAL;
	if (pos_cmp(mark->segment, mark->offset, s->cursor.seq,
		    s->cursor.off) <= 0)
		return 0;
	lo = s->p_head;
	hi = s->p_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pos_cmp(s->pending[mid].seq, s->pending[mid].off,
			    mark->segment, mark->offset) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->p_len || s->pending[lo].seq != mark->segment ||
	    s->pending[lo].off != mark->offset)
		return -EINVAL;
	s->records -= lo - s->p_head + 1;
	s->cursor = s->pending[lo];
	s->p_head = lo + 1;
	if (s->p_head == s->p_len)
		s->p_head = s->p_len = 0;
	s->cursor_dirty = true;
	rc = spool_cursor_write(s, false);
	rc2 = spool_trim(s);
	return rc != 0 ? rc : rc2;
}

void
exp_spool_rewind(struct exp_spool *s)
{
	if (s == NULL)
		return;
	s->rd = s->cursor;
	s->p_head = s->p_len = 0;
}

int
exp_spool_sync(struct exp_spool *s)
{
	int rc = 0, r;

	if (s == NULL)
		return -EINVAL;
	if (s->wfd >= 0 && s->wfd_dirty) {
		if (fsync(s->wfd) != 0)
			rc = -errno;
		else
			s->wfd_dirty = false;
	}
	r = spool_cursor_write(s, true);
	if (r != 0 && rc == 0)
		rc = r;
	r = spool_trim(s);
	if (r != 0 && rc == 0)
		rc = r;
	if (s->dir_dirty) {
		if (fsync(s->dirfd) != 0) {
			if (rc == 0)
				rc = -errno;
		} else {
			s->dir_dirty = false;
		}
	}
	return rc;
}

void
exp_spool_stats(const struct exp_spool *s, struct exp_spool_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (s == NULL)
		return;
	st->records = s->records;
	st->bytes = s->bytes;
	st->segments = s->n_segs;
	st->torn_bytes = s->torn_bytes;
}

const char *
exp_spool_notice(const struct exp_spool *s)
{
	return s != NULL && s->notice[0] != '\0' ? s->notice : NULL;
}

int
exp_spool_set_segment_size(struct exp_spool *s, uint64_t bytes)
{
	if (s == NULL ||
	    bytes < EXP_SPOOL_HEADER_SIZE + EXP_SPOOL_RECORD_HEADER + 1)
		return -EINVAL;
	s->segment_size = bytes;
	return 0;
}
