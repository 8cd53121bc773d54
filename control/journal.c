/* journal.c -- the state dir's journal segments: append with a sync,
 * read back in order, cut a torn tail, drop what a snapshot covers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "journal.h"
#include "spool.h"     /* exp_spool_crc32c: CRC32C, hardware when it can */

#define JOURNAL_MAGIC 0x4a434f49u     /* "IOCJ" little-endian */

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void
segment_path(const struct ctl_journal *j, uint64_t first_seq, char *buf,
	     size_t size)
{
	snprintf(buf, size, "%s/journal-%020" PRIu64 ".log", j->dir, first_seq);
}

static void
directory_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int
segment_push(struct ctl_journal *j, uint64_t first_seq)
{
	if (j->n_segments == j->cap_segments) {
		size_t cap = j->cap_segments ? j->cap_segments * 2 : 16;
		struct ctl_journal_segment *grown =
			realloc(j->segments, cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		j->segments = grown;
		j->cap_segments = cap;
	}
	j->segments[j->n_segments++] = (struct ctl_journal_segment){
		.first_seq = first_seq, .last_seq = first_seq - 1,
	};
	return 0;
}

static int
seq_ascending(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The first sequence numbers of the segment files in dir, ascending. */
static int
segments_list(const char *dir, uint64_t **seqs, size_t *n)
{
	DIR *d = opendir(dir);
	size_t cap = 0;
	struct dirent *e;

	*seqs = NULL;
	*n = 0;
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		char tail[8];
		unsigned long long seq;
		if (sscanf(e->d_name, "journal-%20llu%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".log") != 0 || strlen(e->d_name) != 32)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *grown = realloc(*seqs, cap * sizeof(*grown));
			if (grown == NULL) {
				closedir(d);
				return -ENOMEM;
			}
			*seqs = grown;
		}
		(*seqs)[(*n)++] = seq;
	}
	closedir(d);
	if (*n > 0)
		qsort(*seqs, *n, sizeof(**seqs), seq_ascending);
	return 0;
}

static int
read_exact(int fd, void *buf, size_t len, uint64_t offset)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;   /* past the end: cut short */
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

struct record {
	uint64_t seq;
	uint64_t size;      /* header and body */
	json_t *op;
	uint8_t *blob;
	size_t blob_len;
};

static void
record_free(struct record *r)
{
	json_decref(r->op);
	free(r->blob);
	r->op = NULL;
	r->blob = NULL;
}

/* One record at offset: 0; -ENODATA when the file ends inside it;
 * -EBADMSG when it is not a whole valid record (why says what). */
static int
record_read(int fd, uint64_t offset, uint64_t file_size, struct record *r,
	    const char **why)
{
	uint8_t h[CTL_JOURNAL_HEADER_SIZE];
	char *json = NULL;
	int rc;

	*r = (struct record){ 0 };
	rc = read_exact(fd, h, sizeof(h), offset);
	if (rc != 0) {
		*why = "a header cut short";
		return rc;
	}
	uint32_t json_len = le32(h + 4);
	uint64_t blob_len = le64(h + 8);
	if (le32(h) != JOURNAL_MAGIC || le32(h + 32) != exp_spool_crc32c(h, 32)) {
		*why = "a header that fails its checksum";
		return -EBADMSG;
	}
	if (json_len == 0 || json_len > CTL_JOURNAL_JSON_MAX ||
	    blob_len > CTL_JOURNAL_BLOB_MAX) {
		*why = "a record length out of range";
		return -EBADMSG;
	}
	r->size = sizeof(h) + json_len + blob_len;
	if (offset + r->size > file_size) {
		*why = "a record cut short";
		return -ENODATA;
	}
	json = malloc(json_len);
	r->blob = blob_len > 0 ? malloc(blob_len) : NULL;
	if (json == NULL || (blob_len > 0 && r->blob == NULL)) {
		free(json);
		record_free(r);
		*why = "no memory for a record";
		return -ENOMEM;
	}
	rc = read_exact(fd, json, json_len, offset + sizeof(h));
	if (rc == 0 && blob_len > 0)
		rc = read_exact(fd, r->blob, blob_len,
				offset + sizeof(h) + json_len);
	if (rc == 0 && (le32(h + 24) != exp_spool_crc32c(json, json_len) ||
			le32(h + 28) != exp_crc32c_extend(0, r->blob,
							  (size_t)blob_len))) {
		rc = -EBADMSG;
		*why = "a record that fails its checksum";
	}
	if (rc == 0) {
		json_error_t jerr;
		r->op = json_loadb(json, json_len, 0, &jerr);
		if (!json_is_object(r->op)) {
			rc = -EBADMSG;
			*why = "a record that is not a JSON object";
		}
	} else if (rc != -EBADMSG) {
		*why = "a read error";
	}
	free(json);
	if (rc != 0) {
		record_free(r);
		return rc;
	}
	r->seq = le64(h + 16);
	r->blob_len = (size_t)blob_len;
	return 0;
}

/* Keeps what follows offset in segment i, and every later segment, out
 * of the journal: renamed (or, for segment i's tail, copied) to
 * *.unusable, then cut. */
static void
set_aside(struct ctl_journal *j, size_t i, int fd, uint64_t offset,
	  uint64_t file_size)
{
	char path[4200], aside[4300];

	for (size_t k = i + 1; k < j->n_segments; k++) {
		segment_path(j, j->segments[k].first_seq, path, sizeof(path));
		snprintf(aside, sizeof(aside), "%s.unusable", path);
		rename(path, aside);
	}
	j->n_segments = i + 1;
	segment_path(j, j->segments[i].first_seq, path, sizeof(path));
	snprintf(aside, sizeof(aside), "%s.unusable", path);
	int out = open(aside, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out >= 0) {
		uint8_t buf[65536];
		for (uint64_t at = offset; at < file_size;) {
			ssize_t n = pread(fd, buf, sizeof(buf), (off_t)at);
			if (n <= 0 || write(out, buf, (size_t)n) != n)
				break;
			at += (uint64_t)n;
		}
		fsync(out);
		close(out);
	}
	if (ftruncate(fd, (off_t)offset) == 0)
		fsync(fd);
	j->segments[i].bytes = offset;
	directory_sync(j->dir);
}

/* Replays segment i; 0, or an error after which nothing later is read. */
static int
segment_replay(struct ctl_journal *j, size_t i, uint64_t after,
	       ctl_journal_fn fn, void *arg, struct error_detail *err)
{
	struct ctl_journal_segment *seg = &j->segments[i];
	bool last = i + 1 == j->n_segments;
	char path[4200];
	struct stat st;
	uint64_t offset = 0;
	int rc = 0;

	segment_path(j, seg->first_seq, path, sizeof(path));
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		error_detail_set(err, path, 0, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while (offset < (uint64_t)st.st_size) {
		struct record r;
		const char *why = NULL;
		rc = record_read(fd, offset, (uint64_t)st.st_size, &r, &why);
		if (rc == 0 && r.seq != seg->last_seq + 1) {
			record_free(&r);
			rc = -EBADMSG;
			why = "a sequence number out of order";
		}
		if (rc == -ENODATA && last) {
			/* A write that never returned: never acknowledged. */
			j->notice = "cut a record cut short at the end of the "
				"journal (a write that never finished)";
			j->notice_offset = offset;
			if (ftruncate(fd, (off_t)offset) == 0)
				fsync(fd);
			rc = 0;
			break;
		}
		if (rc != 0) {
			error_detail_set(err, path, 0, "%s at byte %" PRIu64
					 ": this and what follows set aside "
					 "as *.unusable", why, offset);
			set_aside(j, i, fd, offset, (uint64_t)st.st_size);
			close(fd);
			return rc == -ENOMEM ? rc : -EBADMSG;
		}
		if (r.seq > after)
			rc = fn(arg, r.seq, r.op, r.blob, r.blob_len, err);
		record_free(&r);
		if (rc != 0) {
			char text[ERROR_DETAIL_TEXT_MAX];
			error_detail_format(err, text, sizeof(text));
			error_detail_set(err, path, 0, "record %" PRIu64
					 " at byte %" PRIu64 " not applied "
					 "(%s): this and what follows set "
					 "aside as *.unusable",
					 seg->last_seq + 1, offset, text);
			set_aside(j, i, fd, offset, (uint64_t)st.st_size);
			close(fd);
			return rc;
		}
		seg->last_seq++;
		offset += r.size;
	}
	seg->bytes = offset;
	close(fd);
	return rc;
}

int
ctl_journal_init(struct ctl_journal *j, const char *dir, uint64_t after)
{
	*j = (struct ctl_journal){ .fd = -1, .next_seq = after + 1 };
	if ((size_t)snprintf(j->dir, sizeof(j->dir), "%s", dir) >=
	    sizeof(j->dir))
		return -ENAMETOOLONG;
	return 0;
}

void
ctl_journal_set_aside_all(const char *dir)
{
	struct ctl_journal j;
	uint64_t *seqs;
	size_t n;

	if (ctl_journal_init(&j, dir, 0) != 0 ||
	    segments_list(dir, &seqs, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char path[4200], aside[4300];
		segment_path(&j, seqs[i], path, sizeof(path));
		snprintf(aside, sizeof(aside), "%s.unusable", path);
		rename(path, aside);
	}
	free(seqs);
	directory_sync(dir);
}

static void
totals_update(struct ctl_journal *j)
{
	uint64_t records = 0, bytes = 0;

	for (size_t i = 0; i < j->n_segments; i++) {
		records += j->segments[i].last_seq + 1 -
			j->segments[i].first_seq;
		bytes += j->segments[i].bytes;
	}
	__atomic_store_n(&j->records, records, __ATOMIC_RELAXED);
	__atomic_store_n(&j->bytes, bytes, __ATOMIC_RELAXED);
}

int
ctl_journal_open(struct ctl_journal *j, const char *dir, uint64_t after,
		 ctl_journal_fn fn, void *arg, struct error_detail *err)
{
	uint64_t *seqs;
	size_t n;
	int rc;

	if (ctl_journal_init(j, dir, after) != 0) {
		error_detail_set(err, dir, 0, "path too long");
		return -ENAMETOOLONG;
	}
	rc = segments_list(dir, &seqs, &n);
	if (rc != 0) {
		error_detail_set(err, dir, 0, "%s", strerror(-rc));
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = segment_push(j, seqs[i]);
	free(seqs);
	for (size_t i = 0; rc == 0 && i < j->n_segments; i++) {
		struct ctl_journal_segment *seg = &j->segments[i];
		/* Segments follow each other without a gap, the first no
		 * later than what the snapshot covers. */
		uint64_t prev_end = i == 0 ? 0 : j->segments[i - 1].last_seq;
		uint64_t covered = prev_end > after ? prev_end : after;
		uint64_t want = covered + 1;
		if (seg->first_seq < prev_end + 1 ||
		    seg->first_seq > covered + 1) {
			char path[4200];
			segment_path(j, seg->first_seq, path, sizeof(path));
			error_detail_set(err, path, 0, "records %" PRIu64
					 " to %" PRIu64 " are missing: this "
					 "and what follows set aside as "
					 "*.unusable", want,
					 seg->first_seq - 1);
			for (size_t k = i; k < j->n_segments; k++) {
				char aside[4300];
				segment_path(j, j->segments[k].first_seq, path,
					     sizeof(path));
				snprintf(aside, sizeof(aside), "%s.unusable",
					 path);
				rename(path, aside);
			}
			j->n_segments = i;
			directory_sync(dir);
			rc = -EBADMSG;
			break;
		}
		rc = segment_replay(j, i, after, fn, arg, err);
	}
	/* Drop empty segments at the end (a roll that wrote nothing). */
	while (j->n_segments > 0 &&
	       j->segments[j->n_segments - 1].bytes == 0 &&
	       j->segments[j->n_segments - 1].last_seq <
	       j->segments[j->n_segments - 1].first_seq) {
		char path[4200];
		segment_path(j, j->segments[j->n_segments - 1].first_seq, path,
			     sizeof(path));
		unlink(path);
		j->n_segments--;
	}
	if (j->n_segments > 0) {
		struct ctl_journal_segment *last =
			&j->segments[j->n_segments - 1];
		if (last->last_seq + 1 > j->next_seq)
			j->next_seq = last->last_seq + 1;
		/* Appends go on in the last segment only right after its
		 * last record (not when a snapshot covers past it). */
		if (last->last_seq + 1 == j->next_seq &&
		    last->last_seq - last->first_seq + 1 <
		    CTL_JOURNAL_SEGMENT_RECORDS &&
		    last->bytes < CTL_JOURNAL_SEGMENT_BYTES) {
			char path[4200];
			segment_path(j, last->first_seq, path, sizeof(path));
			j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		}
	}
	totals_update(j);
	ctl_journal_drop_through(j, after);
	return rc;
}

static int
segment_start(struct ctl_journal *j, struct error_detail *err)
{
	char path[4200];
	int rc;

	rc = segment_push(j, j->next_seq);
	if (rc != 0) {
		error_detail_set(err, j->dir, 0, "%s", strerror(-rc));
		return rc;
	}
	segment_path(j, j->next_seq, path, sizeof(path));
	j->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		     0640);
	if (j->fd < 0) {
		rc = -errno;
		error_detail_set(err, path, 0, "%s", strerror(errno));
		j->n_segments--;
		return rc;
	}
	directory_sync(j->dir);
	return 0;
}

int
ctl_journal_append(struct ctl_journal *j, const json_t *op,
		   const struct iovec *blobs, unsigned int n_blobs,
		   uint64_t *seq, struct error_detail *err)
{
	uint8_t h[CTL_JOURNAL_HEADER_SIZE] = { 0 };
	struct iovec iov[2 + CTL_JOURNAL_BLOBS_MAX];
	size_t blob_len = 0;
	uint32_t blob_crc = 0;
	int rc = 0;

	if (n_blobs > CTL_JOURNAL_BLOBS_MAX) {
		error_detail_set(err, j->dir, 0, "journal: more than %d blobs",
				 CTL_JOURNAL_BLOBS_MAX);
		return -E2BIG;
	}
	for (unsigned int i = 0; i < n_blobs; i++) {
		blob_len += blobs[i].iov_len;
		blob_crc = exp_crc32c_extend(blob_crc, blobs[i].iov_base,
					     blobs[i].iov_len);
		iov[2 + i] = blobs[i];
	}
	char *json = json_dumps(op, JSON_COMPACT);
	if (json == NULL) {
		error_detail_set(err, j->dir, 0, "journal: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	size_t json_len = strlen(json);
	if (json_len > CTL_JOURNAL_JSON_MAX || blob_len > CTL_JOURNAL_BLOB_MAX) {
		free(json);
		error_detail_set(err, j->dir, 0, "journal: a record over its "
				 "size limit");
		return -E2BIG;
	}
	if (j->fd < 0)
		rc = segment_start(j, err);
	if (rc != 0) {
		free(json);
		return rc;
	}
	struct ctl_journal_segment *seg = &j->segments[j->n_segments - 1];
	put_le32(h, JOURNAL_MAGIC);
	put_le32(h + 4, (uint32_t)json_len);
	put_le64(h + 8, blob_len);
	put_le64(h + 16, j->next_seq);
	put_le32(h + 24, exp_spool_crc32c(json, json_len));
	put_le32(h + 28, blob_crc);
	put_le32(h + 32, exp_spool_crc32c(h, 32));
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ json, json_len };

	int n_iov = 2 + (int)n_blobs, at = 0;
	while (at < n_iov) {
		ssize_t n = writev(j->fd, iov + at, n_iov - at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		while (at < n_iov && (size_t)n >= iov[at].iov_len)
			n -= (ssize_t)iov[at++].iov_len;
		if (at < n_iov) {
			iov[at].iov_base = (uint8_t *)iov[at].iov_base + n;
			iov[at].iov_len -= (size_t)n;
		}
	}
	if (rc == 0 && fdatasync(j->fd) != 0)
		rc = -errno;
	free(json);
	if (rc != 0) {
		char path[4200];
		segment_path(j, seg->first_seq, path, sizeof(path));
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		/* Nothing of a failed record may stay; the segment is closed
		 * so that the next append starts afresh after the cut. */
		if (ftruncate(j->fd, (off_t)seg->bytes) == 0)
			fdatasync(j->fd);
		close(j->fd);
		j->fd = -1;
		if (seg->last_seq < seg->first_seq) {
			unlink(path);
			j->n_segments--;
		}
		return rc;
	}
	*seq = j->next_seq++;
	seg->last_seq = *seq;
	seg->bytes += sizeof(h) + json_len + blob_len;
	totals_update(j);
	if (seg->last_seq - seg->first_seq + 1 >= CTL_JOURNAL_SEGMENT_RECORDS ||
	    seg->bytes >= CTL_JOURNAL_SEGMENT_BYTES) {
		close(j->fd);
		j->fd = -1;
	}
	return 0;
}

void
ctl_journal_drop_through(struct ctl_journal *j, uint64_t seq)
{
	size_t keep_open = j->fd >= 0 ? 1 : 0, dropped = 0;

	while (dropped + keep_open < j->n_segments &&
	       j->segments[dropped].last_seq <= seq) {
		char path[4200];
		segment_path(j, j->segments[dropped].first_seq, path,
			     sizeof(path));
		unlink(path);
		dropped++;
	}
	if (dropped == 0)
		return;
	memmove(j->segments, j->segments + dropped,
		(j->n_segments - dropped) * sizeof(*j->segments));
	j->n_segments -= dropped;
	totals_update(j);
	directory_sync(j->dir);
}

uint64_t
ctl_journal_records(const struct ctl_journal *j)
{
	return __atomic_load_n(&j->records, __ATOMIC_RELAXED);
}

uint64_t
ctl_journal_bytes(const struct ctl_journal *j)
{
	return __atomic_load_n(&j->bytes, __ATOMIC_RELAXED);
}

void
ctl_journal_close(struct ctl_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->segments);
	j->segments = NULL;
	j->n_segments = j->cap_segments = 0;
}
