/* test_spool.c -- the spool as a FIFO (spool.c): appending and rolling
 * segments, reading in order while appending, commit and rewind, the
 * cursor file written and resumed from on reopen, damage found while the
 * spool is open, the size limit, records too small a buffer, too large
 * or whose write failed, a full file system (ENOSPC, not the limit); and CRC32C (spool_crc.c) against a bitwise
 * reference. What opening finds on disk is test_spool_recover.c. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_fixture.h"

/* ---- helpers ---- */

/* The bytes of all segment files. */
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
	assert_int_equal(rc, -EDQUOT);
	assert_true(n > 20);
	uint64_t bytes = stats(s).bytes;
	assert_true(bytes <= 4096);
	assert_true(bytes + 108 > 4096);
	assert_int_equal(bytes, files_bytes());
	assert_int_equal(exp_spool_append(s, buf, 100), -EDQUOT);
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
	assert_int_equal(exp_spool_append(s, big, 5000), -EDQUOT);
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

/* In a child with a mount namespace of its own: a tmpfs of 64 KiB over
 * root, a spool in it filled until the file system is full. 0 when every
 * check holds, else the number of the first that failed. */
static int
disk_full_child(void)
{
	uint8_t buf[REC_CAP];
	struct exp_spool_mark m;
	uint32_t n = 0;
	int rc;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", root, "tmpfs", 0, "size=64k") != 0) {
		fprintf(stderr, "disk full: no tmpfs: %s\n", strerror(errno));
		return 1;
	}
	struct exp_spool *s = exp_spool_open(dir, 1u << 30, &err);
	if (s == NULL)
		return 2;
	while ((rc = exp_spool_append(s, buf, make_rec(n, buf))) == 0)
		n++;
	/* The disk's ENOSPC, not the spool's own limit (EDQUOT). */
	if (rc != -ENOSPC) {
		fprintf(stderr, "disk full: append gave %d\n", rc);
		return 3;
	}
	/* The failed record left nothing: the files hold what was taken. */
	if (n < 20 || stats(s).records != n || stats(s).bytes != files_bytes())
		return 4;
	for (uint32_t i = 0; i < n; i++) {
		size_t len;
		if (exp_spool_read(s, buf, sizeof(buf), &len, &m) != 0 ||
		    len != make_rec(i, buf + REC_CAP / 2) ||
		    memcmp(buf, buf + REC_CAP / 2, len) != 0)
			return 5;
	}
	exp_spool_close(s);
	umount(root);
	return 0;
}

static void
test_disk_full(void **state)
{
	int status;

	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(disk_full_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define TEST(f) \
	cmocka_unit_test_setup_teardown(f, spool_fixture_setup, \
					spool_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		TEST(test_empty),
		TEST(test_order_across_rolls),
		TEST(test_rewind),
		TEST(test_reopen_resumes),
		TEST(test_read_while_appending),
		TEST(test_damage_while_open),
		TEST(test_limit),
		TEST(test_cursor_file),
		TEST(test_bad_records),
		TEST(test_large_records),
		TEST(test_failed_write),
		TEST(test_disk_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
