/* test_spool.c -- the disk spool: order across segments, commit and
 * rewind, reopening, torn tails and damage, the size limit, the cursor. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "spool.h"

#define REC_CAP 1024

static char root[64];     /* the test's temp dir */
static char dir[96];      /* the spool in it: root/spool */
static struct error_detail err;   /* of the last exp_spool_open */

/* err as one line, "spool directory DIR: ...". */
static const char *
err_text(void)
{
	static char text[ERROR_DETAIL_TEXT_MAX];

	return error_detail_format(&err, text, sizeof(text));
}

/* ---- fixtures and helpers ---- */

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_spool.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/spool", root);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	chmod(dir, 0700);
	return nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Record i: 1..300 bytes, its number first, a pattern after. */
static size_t
make_rec(uint32_t i, uint8_t *buf)
{
	size_t len = 1 + (i * 7919u) % 300;

	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k * 7);
	if (len >= 4)
		memcpy(buf, &i, 4);
	return len;
}

static struct exp_spool *
open_ok(uint64_t max_bytes)
{
	struct exp_spool *s = exp_spool_open(dir, max_bytes, &err);

	if (s == NULL)
		print_error("open: %s\n", err_text());
	assert_non_null(s);
	return s;
}

static void
append_range(struct exp_spool *s, uint32_t from, uint32_t to)
{
	uint8_t buf[REC_CAP];

	for (uint32_t i = from; i < to; i++)
		assert_int_equal(exp_spool_append(s, buf, make_rec(i, buf)), 0);
}

static void
expect_rec(struct exp_spool *s, uint32_t i, struct exp_spool_mark *mark)
{
	uint8_t want[REC_CAP], got[REC_CAP];
	struct exp_spool_mark m;
	size_t want_len = make_rec(i, want), len = 0;
	int rc = exp_spool_read(s, got, sizeof(got), &len, mark ? mark : &m);

	if (rc != 0)
		print_error("record %u: read %d\n", i, rc);
	assert_int_equal(rc, 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, len);
}

static void
expect_end(struct exp_spool *s)
{
	uint8_t got[REC_CAP];
	struct exp_spool_mark m;
	size_t len;

	assert_int_equal(exp_spool_read(s, got, sizeof(got), &len, &m), -ENOENT);
}

static struct exp_spool_stats
stats(const struct exp_spool *s)
{
	struct exp_spool_stats st;

	exp_spool_stats(s, &st);
	return st;
}

/* The segment files, sorted; returns how many (up to max). */
static int
segment_files(char names[][32], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len == 20 && strcmp(e->d_name + 16, ".seg") == 0 && n < max)
			snprintf(names[n++], 32, "%s", e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 32, (int (*)(const void *, const void *))strcmp);
	return n;
}

static void
path_of(char *path, size_t size, const char *name)
{
	int n = snprintf(path, size, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < size);
}

static off_t
file_size(const char *name)
{
	char path[160];
	struct stat st;

	path_of(path, sizeof(path), name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static uint64_t
files_bytes(void)
{
	char names[256][32];
	int n = segment_files(names, 256);
	uint64_t total = 0;

	for (int i = 0; i < n; i++)
		total += (uint64_t)file_size(names[i]);
	return total;
}

static void
write_at(const char *name, off_t off, const void *bytes, size_t len)
{
	char path[160];
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, off), (ssize_t)len);
	close(fd);
}

static void
flip_byte(const char *name, off_t off)
{
	char path[160];
	uint8_t x;
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &x, 1, off), 1);
	x ^= 0xff;
	assert_int_equal(pwrite(fd, &x, 1, off), 1);
	close(fd);
}

static void
append_to(const char *name, const void *bytes, size_t len)
{
	write_at(name, file_size(name), bytes, len);
}

static void
truncate_to(const char *name, off_t size)
{
	char path[160];

	path_of(path, sizeof(path), name);
	assert_int_equal(truncate(path, size), 0);
}

/* The offsets of the records of a segment file (up to max); returns how
 * many records it holds. */
static int
record_offsets(const char *name, uint64_t *offs, int max)
{
	char path[160];
	uint8_t h[8];
	uint64_t off = EXP_SPOOL_HEADER_SIZE, size = (uint64_t)file_size(name);
	int n = 0, fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	while (off + 8 <= size) {
		uint32_t len;
		assert_int_equal(pread(fd, h, 8, (off_t)off), 8);
		memcpy(&len, h, 4);
		if (n < max)
			offs[n] = off;
		n++;
		off += 8 + len;
	}
	close(fd);
	return n;
}

static void
write_cursor(uint64_t seq, uint64_t off)
{
	uint8_t b[32];
	uint32_t v = EXP_SPOOL_VERSION, crc;

	memcpy(b, "IOCSCURS", 8);
	memcpy(b + 8, &seq, 8);
	memcpy(b + 16, &off, 8);
	memcpy(b + 24, &v, 4);
	crc = exp_spool_crc32c(b, 28);
	memcpy(b + 28, &crc, 4);
	write_at("cursor", 0, b, sizeof(b));
}

/* ---- tests ---- */

static uint32_t
crc_reference(const uint8_t *p, size_t n)
{
	uint32_t c = ~0u;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

static void
test_crc32c(void **state)
{
	uint8_t data[1100];

	(void)state;
	assert_int_equal(exp_spool_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(exp_spool_crc32c("", 0), 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 3));
	for (size_t start = 0; start < 9; start++)
		for (size_t n = 0; n + start <= sizeof(data); n += 37)
			assert_int_equal(exp_spool_crc32c(data + start, n),
					 crc_reference(data + start, n));
}

static void
test_empty(void **state)
{
	struct exp_spool_mark m = { 1, 100 };
	struct exp_spool *s;
	char names[4][32];

	(void)state;
	s = open_ok(0);
	expect_end(s);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).bytes, 0);
	assert_int_equal(stats(s).segments, 0);
	assert_null(exp_spool_notice(s));
	assert_int_equal(exp_spool_commit(s, &m), -EINVAL);
	exp_spool_rewind(s);
	assert_int_equal(exp_spool_sync(s), 0);
	exp_spool_close(s);
	exp_spool_close(NULL);
	/* Nothing was written: no segment, no cursor. */
	assert_int_equal(segment_files(names, 4), 0);
	char path[160];
	path_of(path, sizeof(path), "cursor");
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_order_across_rolls(void **state)
{
	struct exp_spool_mark m, mid = { 0 }, prev = { 0 };
	struct exp_spool *s;
	char names[256][32];

	(void)state;
	s = open_ok(0);
	assert_int_equal(exp_spool_set_segment_size(s, 10), -EINVAL);
	assert_int_equal(exp_spool_set_segment_size(s, 1024), 0);
	append_range(s, 0, 200);
	assert_int_equal(stats(s).records, 200);
	assert_true(stats(s).segments > 10);
	assert_int_equal(stats(s).segments, segment_files(names, 256));
	assert_int_equal(stats(s).bytes, files_bytes());
	for (uint32_t i = 0; i < 200; i++) {
		expect_rec(s, i, &m);
		/* Marks grow: (segment, offset) in order. */
		assert_true(m.segment > prev.segment ||
			    (m.segment == prev.segment && m.offset > prev.offset));
		prev = m;
		if (i == 99)
			mid = m;
	}
	expect_end(s);
	uint64_t segments = stats(s).segments;
	assert_int_equal(exp_spool_commit(s, &mid), 0);
	assert_int_equal(stats(s).records, 100);
	assert_true(stats(s).segments < segments);
	assert_int_equal(stats(s).segments, segment_files(names, 256));
	assert_int_equal(stats(s).bytes, files_bytes());
	/* The reader does not move back on commit. */
	expect_end(s);
	exp_spool_rewind(s);
	for (uint32_t i = 100; i < 200; i++)
		expect_rec(s, i, &m);
	expect_end(s);
	assert_int_equal(exp_spool_commit(s, &m), 0);
	/* All delivered: no segment left. */
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).segments, 0);
	assert_int_equal(stats(s).bytes, 0);
	assert_int_equal(segment_files(names, 256), 0);
	/* New records go to a newer segment than the last one deleted. */
	append_range(s, 200, 201);
	assert_int_equal(segment_files(names, 256), 1);
	assert_true(strtoull(names[0], NULL, 16) > m.segment);
	expect_rec(s, 200, NULL);
	exp_spool_close(s);

	s = open_ok(0);
	assert_int_equal(stats(s).records, 1);
	expect_rec(s, 200, NULL);
	expect_end(s);
	exp_spool_close(s);
}

static void
test_rewind(void **state)
{
	struct exp_spool_mark m1, m2, m3;
	struct exp_spool *s;

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 5);
	expect_rec(s, 0, &m1);
	expect_rec(s, 1, &m2);
	expect_rec(s, 2, &m3);
	assert_int_equal(exp_spool_commit(s, &m1), 0);
	assert_int_equal(stats(s).records, 4);
	exp_spool_rewind(s);
	expect_rec(s, 1, &m2);
	/* A mark from before the rewind is no longer one to commit. */
	assert_int_equal(exp_spool_commit(s, &m3), -EINVAL);
	/* An already committed one is a no-op. */
	assert_int_equal(exp_spool_commit(s, &m1), 0);
	assert_int_equal(stats(s).records, 4);
	expect_rec(s, 2, &m3);
	expect_rec(s, 3, NULL);
	/* Commit a prefix of what was read: reading goes on after 3. */
	assert_int_equal(exp_spool_commit(s, &m2), 0);
	assert_int_equal(stats(s).records, 3);
	expect_rec(s, 4, NULL);
	expect_end(s);
	exp_spool_rewind(s);
	expect_rec(s, 2, NULL);
	/* A mark that is no record's end. */
	struct exp_spool_mark bogus = { m3.segment, m3.offset + 1 };
	assert_int_equal(exp_spool_commit(s, &bogus), -EINVAL);
	assert_int_equal(exp_spool_commit(NULL, &m3), -EINVAL);
	assert_int_equal(exp_spool_commit(s, NULL), -EINVAL);
	exp_spool_close(s);
}

static void
test_reopen_resumes(void **state)
{
	struct exp_spool_mark m;
	struct exp_spool *s;

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 10);
	for (uint32_t i = 0; i < 4; i++)
		expect_rec(s, i, &m);
	assert_int_equal(exp_spool_commit(s, &m), 0);
	exp_spool_close(s);

	s = open_ok(0);
	assert_int_equal(stats(s).records, 6);
	assert_null(exp_spool_notice(s));
	expect_rec(s, 4, NULL);
	append_range(s, 10, 12);
	for (uint32_t i = 5; i < 12; i++)
		expect_rec(s, i, NULL);
	expect_end(s);
	exp_spool_close(s);      /* read, not committed */

	s = open_ok(0);
	assert_int_equal(stats(s).records, 8);
	for (uint32_t i = 4; i < 12; i++)
		expect_rec(s, i, &m);
	expect_end(s);
	assert_int_equal(exp_spool_commit(s, &m), 0);
	assert_int_equal(exp_spool_sync(s), 0);
	exp_spool_close(s);

	s = open_ok(0);
	assert_int_equal(stats(s).records, 0);
	expect_end(s);
	exp_spool_close(s);
}

static void
test_read_while_appending(void **state)
{
	struct exp_spool_mark m;
	struct exp_spool *s;
	uint32_t next = 0, written = 0;

	(void)state;
	s = open_ok(0);
	exp_spool_set_segment_size(s, 2048);
	/* A lag of 50 records: the reader on an older segment. */
	append_range(s, 0, 50);
	written = 50;
	for (int round = 0; round < 300; round++) {
		append_range(s, written, written + 1);
		written++;
		expect_rec(s, next++, &m);
		if (round % 7 == 0)
			assert_int_equal(exp_spool_commit(s, &m), 0);
	}
	/* Catch up, then read the segment being appended to. */
	while (next < written)
		expect_rec(s, next++, &m);
	expect_end(s);
	for (int round = 0; round < 100; round++) {
		append_range(s, written, written + 1);
		written++;
		expect_rec(s, next++, &m);
		expect_end(s);
	}
	assert_int_equal(exp_spool_commit(s, &m), 0);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).segments, 0);
	exp_spool_close(s);
}

/* Garbage of several kinds after the last record of the newest segment. */
static void
test_torn_tail(void **state)
{
	static const uint8_t zeros[64];
	uint8_t plausible[40] = { 32, 0, 0, 0, 1, 2, 3, 4 };   /* bad crc */
	uint8_t longer[20] = { 100, 0, 0, 0 };                 /* cut short */
	uint8_t huge[12] = { 0xff, 0xff, 0xff, 0x7f };         /* bad length */
	const uint8_t junk[13] = "not a record";
	const struct {
		const void *bytes;
		size_t len;
	} tails[] = {
		{ junk, sizeof(junk) }, { zeros, sizeof(zeros) },
		{ plausible, sizeof(plausible) }, { longer, sizeof(longer) },
		{ huge, sizeof(huge) }, { zeros, 5 },
	};
	struct exp_spool *s;
	char names[4][32];
	uint32_t n = 0;

	(void)state;
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		s = open_ok(0);
		assert_int_equal(stats(s).torn_bytes, 0);
		append_range(s, n, n + 5);
		n += 5;
		exp_spool_close(s);
		assert_int_equal(segment_files(names, 4), 1);
		off_t good = file_size(names[0]);
		append_to(names[0], tails[t].bytes, tails[t].len);

		s = open_ok(0);
		assert_int_equal(stats(s).torn_bytes, tails[t].len);
		assert_int_equal(stats(s).records, n);
		assert_non_null(exp_spool_notice(s));
		assert_int_equal(file_size(names[0]), good);
		assert_int_equal(stats(s).bytes, good);
		for (uint32_t i = 0; i < n; i++)
			expect_rec(s, i, NULL);
		expect_end(s);
		exp_spool_close(s);
	}
	/* Records appended after the cut are whole again. */
	s = open_ok(0);
	assert_int_equal(stats(s).torn_bytes, 0);
	assert_null(exp_spool_notice(s));
	for (uint32_t i = 0; i < n; i++)
		expect_rec(s, i, NULL);
	expect_end(s);
	exp_spool_close(s);
}

/* kill -9 in the middle of a write: the last record is cut short. */
static void
test_torn_mid_record(void **state)
{
	uint8_t buf[REC_CAP];
	struct exp_spool *s;
	char names[4][32];

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 5);
	exp_spool_close(s);
	assert_int_equal(segment_files(names, 4), 1);
	size_t last = make_rec(4, buf);
	truncate_to(names[0], file_size(names[0]) - 3);

	s = open_ok(0);
	assert_int_equal(stats(s).torn_bytes, 8 + last - 3);
	assert_int_equal(stats(s).records, 4);
	for (uint32_t i = 0; i < 4; i++)
		expect_rec(s, i, NULL);
	expect_end(s);
	/* The writer goes on where the intact records end. */
	append_range(s, 100, 101);
	expect_rec(s, 100, NULL);
	exp_spool_close(s);

	/* Cut inside a record's header. */
	truncate_to(names[0], file_size(names[0]) - (off_t)make_rec(100, buf) - 5);
	s = open_ok(0);
	assert_int_equal(stats(s).torn_bytes, 3);
	assert_int_equal(stats(s).records, 4);
	exp_spool_close(s);
}

/* A bad checksum or length in the middle: the rest of that segment goes,
 * later segments stay. */
static void
test_damage_in_middle(void **state)
{
	char names[64][32];
	uint64_t offs[64];
	struct exp_spool *s;
	uint32_t before = 0;
	int n_names, n3;

	(void)state;
	for (int kind = 0; kind < 2; kind++) {
		s = open_ok(0);
		exp_spool_set_segment_size(s, 1024);
		append_range(s, 0, 60);
		exp_spool_close(s);
		n_names = segment_files(names, 64);
		assert_true(n_names > 5);
		before = 0;
		for (int i = 0; i < 2; i++)
			before += (uint32_t)record_offsets(names[i], offs, 64);
		n3 = record_offsets(names[2], offs, 64);
		assert_true(n3 >= 3);
		off_t size3 = file_size(names[2]);
		if (kind == 0) {
			/* The first payload byte of its second record. */
			flip_byte(names[2], (off_t)offs[1] + 8);
		} else {
			uint8_t len[4] = { 0xff, 0xff, 0, 0 };
			write_at(names[2], (off_t)offs[1], len, 4);
		}

		s = open_ok(0);
		assert_int_equal(stats(s).torn_bytes, (uint64_t)size3 - offs[1]);
		assert_int_equal(stats(s).records, 60 - (uint32_t)(n3 - 1));
		assert_int_equal(file_size(names[2]), (off_t)offs[1]);
		for (uint32_t i = 0; i < 60; i++) {
			if (i > before && i < before + (uint32_t)n3)
				continue;       /* cut with the damage */
			expect_rec(s, i, NULL);
		}
		expect_end(s);
		struct exp_spool_mark m;
		exp_spool_rewind(s);
		for (uint32_t i = 0; i < stats(s).records; i++) {
			uint8_t buf[REC_CAP];
			size_t len;
			assert_int_equal(exp_spool_read(s, buf, sizeof(buf), &len,
							 &m), 0);
		}
		assert_int_equal(exp_spool_commit(s, &m), 0);
		assert_int_equal(stats(s).segments, 0);
		exp_spool_close(s);
	}
}

/* The disk changes under an open spool: the damaged record and what
 * follows in its segment are skipped, never returned. */
static void
test_damage_while_open(void **state)
{
	uint64_t offs[8];
	struct exp_spool_mark m;
	struct exp_spool *s;
	char names[4][32];

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 5);
	assert_int_equal(segment_files(names, 4), 1);
	assert_int_equal(record_offsets(names[0], offs, 8), 5);
	flip_byte(names[0], (off_t)offs[2] + 8);
	expect_rec(s, 0, NULL);
	expect_rec(s, 1, &m);
	expect_end(s);
	assert_true(stats(s).torn_bytes > 0);
	assert_int_equal(stats(s).records, 2);
	/* Appends do not follow the damage: a new segment. */
	append_range(s, 5, 7);
	assert_int_equal(segment_files(names, 4), 2);
	expect_rec(s, 5, NULL);
	expect_rec(s, 6, NULL);
	expect_end(s);
	assert_int_equal(stats(s).records, 4);
	exp_spool_close(s);

	s = open_ok(0);
	assert_int_equal(stats(s).records, 4);
	assert_true(stats(s).torn_bytes > 0);
	expect_rec(s, 0, NULL);
	expect_rec(s, 1, NULL);
	expect_rec(s, 5, NULL);
	expect_rec(s, 6, &m);
	assert_int_equal(exp_spool_commit(s, &m), 0);
	exp_spool_close(s);
}

/* A segment torn at creation (no whole header) is removed; one of a newer
 * format refuses the open. */
static void
test_bad_segment_header(void **state)
{
	uint8_t header[16];
	struct exp_spool *s;
	char names[4][32];

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 3);
	exp_spool_close(s);
	assert_int_equal(segment_files(names, 4), 1);
	write_at("0000000000000002.seg", 0, "IOCSP", 5);
	write_at("0000000000000003.seg", 0, "", 0);

	s = open_ok(0);
	assert_int_equal(stats(s).torn_bytes, 5);
	assert_int_equal(stats(s).segments, 1);
	assert_int_equal(segment_files(names, 4), 1);
	append_range(s, 3, 4);
	exp_spool_close(s);

	s = open_ok(0);
	for (uint32_t i = 0; i < 4; i++)
		expect_rec(s, i, NULL);
	expect_end(s);
	exp_spool_close(s);

	uint32_t version = 2, crc;
	memcpy(header, EXP_SPOOL_MAGIC, 8);
	memcpy(header + 8, &version, 4);
	crc = exp_spool_crc32c(header, 12);
	memcpy(header + 12, &crc, 4);
	write_at("00000000000000ff.seg", 0, header, sizeof(header));
	assert_null(exp_spool_open(dir, 0, &err));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(err_text(), "00000000000000ff.seg"));
	assert_non_null(strstr(err_text(), "version 2"));
}

static void
test_limit(void **state)
{
	uint8_t buf[200];
	struct exp_spool_mark m;
	struct exp_spool *s;
	uint32_t n = 0;
	int rc;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	s = open_ok(4096);
	while ((rc = exp_spool_append(s, buf, 100)) == 0)
		n++;
	assert_int_equal(rc, -ENOSPC);
	assert_true(n > 20);
	uint64_t bytes = stats(s).bytes;
	assert_true(bytes <= 4096);
	assert_true(bytes + 108 > 4096);
	assert_int_equal(bytes, files_bytes());
	assert_int_equal(exp_spool_append(s, buf, 100), -ENOSPC);
	assert_int_equal(stats(s).bytes, bytes);
	assert_int_equal(stats(s).records, n);
	assert_int_equal(files_bytes(), bytes);
	/* Segments roll at a quarter of the limit, so commits free space. */
	assert_true(stats(s).segments >= 4);
	for (int i = 0; i < 10; i++) {
		size_t len;
		assert_int_equal(exp_spool_read(s, buf, sizeof(buf), &len, &m), 0);
	}
	assert_int_equal(exp_spool_commit(s, &m), 0);
	assert_true(stats(s).bytes < bytes);
	assert_int_equal(stats(s).bytes, files_bytes());
	assert_int_equal(exp_spool_append(s, buf, 100), 0);
	/* Larger than the whole limit: never fits. */
	uint8_t *big = calloc(1, 5000);
	assert_non_null(big);
	assert_int_equal(exp_spool_append(s, big, 5000), -ENOSPC);
	free(big);
	exp_spool_close(s);

	/* The limit holds across a reopen. */
	s = open_ok(4096);
	assert_int_equal(stats(s).records, n - 10 + 1);
	while (exp_spool_append(s, buf, 100) == 0)
		;
	assert_true(stats(s).bytes <= 4096);
	exp_spool_close(s);
}

static void
test_corrupt_cursor(void **state)
{
	struct exp_spool_mark m;
	struct exp_spool *s;
	char names[4][32];
	uint64_t offs[16];

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 10);
	for (uint32_t i = 0; i < 5; i++)
		expect_rec(s, i, &m);
	assert_int_equal(exp_spool_commit(s, &m), 0);
	exp_spool_close(s);
	assert_int_equal(segment_files(names, 4), 1);
	uint64_t seq = strtoull(names[0], NULL, 16);
	assert_int_equal(seq, m.segment);
	assert_int_equal(record_offsets(names[0], offs, 16), 10);

	/* Garbage: from the oldest segment, duplicates allowed. */
	write_at("cursor", 0, "garbage garbage garbage garbage!", 32);
	s = open_ok(0);
	assert_int_equal(stats(s).records, 10);
	assert_non_null(exp_spool_notice(s));
	assert_non_null(strstr(exp_spool_notice(s), "cursor"));
	expect_rec(s, 0, NULL);
	exp_spool_close(s);

	/* A checksum-valid cursor in the middle of a record. */
	write_cursor(seq, offs[3] + 2);
	s = open_ok(0);
	assert_int_equal(stats(s).records, 10);
	assert_non_null(strstr(exp_spool_notice(s), "boundary"));
	expect_rec(s, 0, NULL);
	exp_spool_close(s);

	/* A good one, then one cut short. */
	write_cursor(seq, offs[3]);
	s = open_ok(0);
	assert_null(exp_spool_notice(s));
	assert_int_equal(stats(s).records, 7);
	expect_rec(s, 3, NULL);
	exp_spool_close(s);
	truncate_to("cursor", 20);
	s = open_ok(0);
	assert_int_equal(stats(s).records, 10);
	exp_spool_close(s);

	/* Past the data (delivered records lost in a power failure): moved
	 * back to the end, and kept there. */
	write_cursor(seq, 1u << 30);
	s = open_ok(0);
	assert_non_null(strstr(exp_spool_notice(s), "past"));
	assert_int_equal(stats(s).records, 0);
	expect_end(s);
	append_range(s, 10, 11);
	exp_spool_close(s);
	s = open_ok(0);
	assert_null(exp_spool_notice(s));
	assert_int_equal(stats(s).records, 1);
	expect_rec(s, 10, NULL);
	exp_spool_close(s);

	/* A cursor behind all segments (they were deleted): from the oldest. */
	write_cursor(0, EXP_SPOOL_HEADER_SIZE);
	s = open_ok(0);
	assert_null(exp_spool_notice(s));
	assert_int_equal(stats(s).records, 11);
	exp_spool_close(s);
	/* One ahead of them: they are behind it, delivered, removed. */
	write_cursor(seq + 5, EXP_SPOOL_HEADER_SIZE);
	s = open_ok(0);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).segments, 0);
	append_range(s, 20, 21);
	exp_spool_close(s);
	assert_int_equal(segment_files(names, 4), 1);
	assert_true(strtoull(names[0], NULL, 16) > seq + 5);
	s = open_ok(0);
	expect_rec(s, 20, NULL);
	expect_end(s);
	exp_spool_close(s);
}

static void
test_cursor_file(void **state)
{
	struct exp_spool_mark m;
	struct exp_spool *s;
	uint8_t b[64];
	char path[160];
	uint64_t v;
	int fd;

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 3);
	expect_rec(s, 0, &m);
	assert_int_equal(exp_spool_commit(s, &m), 0);
	assert_int_equal(exp_spool_sync(s), 0);
	path_of(path, sizeof(path), "cursor");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, b, sizeof(b)), 32);
	close(fd);
	assert_memory_equal(b, "IOCSCURS", 8);
	memcpy(&v, b + 8, 8);
	assert_int_equal(v, m.segment);
	memcpy(&v, b + 16, 8);
	assert_int_equal(v, m.offset);
	path_of(path, sizeof(path), "cursor.tmp");
	assert_int_equal(access(path, F_OK), -1);
	exp_spool_close(s);

	/* Files that are not ours are left alone; a stale temp is removed. */
	write_at("notes.txt", 0, "x", 1);
	write_at("0000000000000001.SEG", 0, "x", 1);
	write_at("cursor.tmp", 0, "x", 1);
	s = open_ok(0);
	assert_int_equal(stats(s).records, 2);
	assert_int_equal(access(path, F_OK), -1);
	path_of(path, sizeof(path), "notes.txt");
	assert_int_equal(access(path, F_OK), 0);
	exp_spool_close(s);
}

static void
test_directory(void **state)
{
	struct exp_spool *s, *again;
	struct stat st;
	char path[160];

	(void)state;
	/* Missing: created 0700. */
	assert_int_equal(stat(dir, &st), -1);
	s = open_ok(0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* One spool per directory at a time. */
	again = exp_spool_open(dir, 0, &err);
	assert_null(again);
	assert_int_equal(errno, EBUSY);
	assert_non_null(strstr(err_text(), dir));
	exp_spool_close(s);
	s = open_ok(0);
	exp_spool_close(s);

	/* The parent must exist. */
	snprintf(path, sizeof(path), "%s/no/such", root);
	memset(&err, 0, sizeof(err));
	assert_null(exp_spool_open(path, 0, &err));
	assert_int_equal(errno, ENOENT);
	assert_true(strlen(err_text()) > 0);

	/* Not a directory. */
	snprintf(path, sizeof(path), "%s/file", root);
	write_at("../file", 0, "x", 1);
	assert_null(exp_spool_open(path, 0, &err));
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err_text(), "file"));

	assert_null(exp_spool_open(NULL, 0, &err));
	assert_int_equal(errno, EINVAL);
	assert_null(exp_spool_open("", 0, NULL));

	/* Unreadable: only meaningful when not root (root reads anyway). */
	if (geteuid() != 0) {
		assert_int_equal(chmod(dir, 0), 0);
		assert_null(exp_spool_open(dir, 0, &err));
		assert_int_equal(errno, EACCES);
		assert_non_null(strstr(err_text(), dir));
		chmod(dir, 0700);
	}
}

static void
test_bad_records(void **state)
{
	uint8_t buf[REC_CAP], one = 1;
	struct exp_spool_mark m;
	struct exp_spool *s;
	size_t len = 0;

	(void)state;
	s = open_ok(0);
	assert_int_equal(exp_spool_append(s, buf, 0), -EINVAL);
	assert_int_equal(exp_spool_append(s, NULL, 10), -EINVAL);
	assert_int_equal(exp_spool_append(NULL, buf, 10), -EINVAL);
	/* The length is refused before a byte is touched. */
	assert_int_equal(exp_spool_append(s, &one, EXP_SPOOL_RECORD_MAX + 1u),
			 -EINVAL);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).segments, 0);
	assert_int_equal(exp_spool_append(s, &one, 1), 0);
	append_range(s, 7, 8);
	/* Too small a buffer: the size, nothing consumed. */
	assert_int_equal(exp_spool_read(s, NULL, 0, &len, &m), -EMSGSIZE);
	assert_int_equal(len, 1);
	assert_int_equal(exp_spool_read(s, buf, 1, &len, &m), 0);
	assert_int_equal(buf[0], 1);
	size_t want = make_rec(7, buf);
	assert_int_equal(exp_spool_read(s, buf, want - 1, &len, &m), -EMSGSIZE);
	assert_int_equal(len, want);
	expect_rec(s, 7, NULL);
	assert_int_equal(exp_spool_read(s, buf, sizeof(buf), NULL, &m), -EINVAL);
	assert_int_equal(exp_spool_read(s, buf, sizeof(buf), &len, NULL), -EINVAL);
	exp_spool_close(s);
}

static void
test_large_records(void **state)
{
	const size_t sizes[] = { 1u << 20, 300000, EXP_SPOOL_RECORD_MAX };
	uint8_t *rec = malloc(EXP_SPOOL_RECORD_MAX + 8);
	uint8_t *got = malloc(EXP_SPOOL_RECORD_MAX);
	struct exp_spool_mark m;
	struct exp_spool *s;
	size_t len;

	(void)state;
	assert_non_null(rec);
	assert_non_null(got);
	for (size_t i = 0; i < EXP_SPOOL_RECORD_MAX + 8; i++)
		rec[i] = (uint8_t)(i * 2654435761u >> 13);
	s = open_ok(0);
	exp_spool_set_segment_size(s, 64 * 1024);
	for (size_t k = 0; k < 3; k++) {
		append_range(s, (uint32_t)k, (uint32_t)k + 1);
		assert_int_equal(exp_spool_append(s, rec + k, sizes[k]), 0);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < 3; k++) {
			expect_rec(s, (uint32_t)k, NULL);
			assert_int_equal(exp_spool_read(s, got, 1000, &len, &m),
					 -EMSGSIZE);
			assert_int_equal(len, sizes[k]);
			assert_int_equal(exp_spool_read(s, got, EXP_SPOOL_RECORD_MAX,
							&len, &m), 0);
			assert_int_equal(len, sizes[k]);
			assert_true(memcmp(got, rec + k, len) == 0);
		}
		expect_end(s);
		/* Again after a reopen: the scan checks them in pieces. */
		exp_spool_close(s);
		s = open_ok(0);
		assert_int_equal(stats(s).records, 6);
		assert_int_equal(stats(s).torn_bytes, 0);
	}
	exp_spool_close(s);
	free(rec);
	free(got);
}

/* A write that fails half way (file size limit) leaves no torn record. */
static void
test_failed_write(void **state)
{
	uint8_t buf[REC_CAP];
	struct rlimit old, lim;
	struct exp_spool *s;
	char names[4][32];

	(void)state;
	s = open_ok(0);
	append_range(s, 0, 3);
	assert_int_equal(segment_files(names, 4), 1);
	off_t size = file_size(names[0]);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 50;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(buf, 'y', 200);
	int rc = exp_spool_append(s, buf, 200);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(file_size(names[0]), size);
	assert_int_equal(stats(s).records, 3);
	assert_int_equal(stats(s).bytes, (uint64_t)size);
	append_range(s, 3, 4);
	for (uint32_t i = 0; i < 4; i++)
		expect_rec(s, i, NULL);
	expect_end(s);
	exp_spool_close(s);
	s = open_ok(0);
	assert_int_equal(stats(s).torn_bytes, 0);
	assert_int_equal(stats(s).records, 4);
	exp_spool_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_across_rolls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rewind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_resumes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_while_appending, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_mid_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_damage_in_middle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_damage_while_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_segment_header, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_cursor, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cursor_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_write, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
