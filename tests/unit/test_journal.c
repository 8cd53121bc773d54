/* test_journal.c -- the state dir's journal: records read back in order
 * with their blobs, a torn tail cut, corruption and a failed apply set
 * aside with appending going on after the last good record, segments
 * dropped once a snapshot covers them, a gap refused. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"

struct seen {
	uint64_t seqs[512];
	size_t n;
	uint64_t fail_at;          /* the callback refuses this seq */
};

static int
collect(void *arg, uint64_t seq, json_t *op, const uint8_t *blob,
	size_t blob_len, struct error_detail *err)
{
	struct seen *seen = arg;
	char want[64];

	if (seq == seen->fail_at) {
		error_detail_set(err, "", 0, "refused by the test");
		return -EINVAL;
	}
	/* Each record says its number; every third carries a blob of it. */
	assert_int_equal(json_integer_value(json_object_get(op, "n")), seq);
	snprintf(want, sizeof(want), "blob of %lu", (unsigned long)seq);
	if (seq % 3 == 0) {
		assert_int_equal(blob_len, strlen(want) * 2);
		assert_memory_equal(blob, want, strlen(want));
		assert_memory_equal(blob + strlen(want), want, strlen(want));
	} else {
		assert_int_equal(blob_len, 0);
	}
	seen->seqs[seen->n++] = seq;
	return 0;
}

static void
append_n(struct ctl_journal *j, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t seq, want = j->next_seq;
		char text[64];
		json_t *op = json_pack("{s:s, s:I}", "op", "test", "n",
				       (json_int_t)want);
		snprintf(text, sizeof(text), "blob of %lu", (unsigned long)want);
		struct iovec blobs[2] = { { text, strlen(text) },
					  { text, strlen(text) } };
		struct error_detail err = { 0 };
		assert_int_equal(ctl_journal_append(j, op, blobs,
						    want % 3 == 0 ? 2 : 0,
						    &seq, &err), 0);
		assert_int_equal(seq, want);
		json_decref(op);
	}
}

static char *
scratch_dir(void)
{
	char *dir = strdup("/tmp/iocsift-journal-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static size_t
count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0, len = strlen(suffix);

	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l >= len && strcmp(e->d_name + l - len, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
remove_dir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4400];

	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

static void
segment_file(const char *dir, uint64_t first, char *path, size_t size)
{
	snprintf(path, size, "%s/journal-%020lu.log", dir, (unsigned long)first);
}

static void
test_append_and_replay(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct ctl_journal j;
	struct seen seen = { 0 };
	struct error_detail err = { 0 };

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 0);
	append_n(&j, 100);
	assert_int_equal(ctl_journal_records(&j), 100);
	ctl_journal_close(&j);
	/* 64 records to a segment: two files. */
	assert_int_equal(count_files(dir, ".log"), 2);

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 100);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(seen.seqs[i], i + 1);
	assert_int_equal(j.next_seq, 101);
	append_n(&j, 1);
	ctl_journal_close(&j);

	/* What a snapshot covers is not handed out again. */
	seen.n = 0;
	assert_int_equal(ctl_journal_open(&j, dir, 50, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 51);
	assert_int_equal(seen.seqs[0], 51);
	assert_int_equal(seen.seqs[50], 101);
	ctl_journal_close(&j);
	remove_dir(dir);
}

static void
test_torn_tail_is_cut(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct ctl_journal j;
	struct seen seen = { 0 };
	struct error_detail err = { 0 };
	char path[4400];
	struct stat st;

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	append_n(&j, 3);
	ctl_journal_close(&j);
	segment_file(dir, 1, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	off_t whole = st.st_size;
	/* A header cut short, as a power cut mid-write leaves it. */
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "IOCJ\x10\0\0\0garbage", 15), 15);
	close(fd);

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 3);
	assert_non_null(j.notice);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, whole);
	append_n(&j, 1);
	ctl_journal_close(&j);

	seen.n = 0;
	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 4);
	assert_null(j.notice);
	ctl_journal_close(&j);
	remove_dir(dir);
}

static void
test_corruption_is_set_aside(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct ctl_journal j;
	struct seen seen = { 0 };
	struct error_detail err = { 0 };
	char path[4400];
	struct stat st;

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	append_n(&j, 3);
	ctl_journal_close(&j);
	segment_file(dir, 1, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	/* One byte of the second record's JSON flipped: the first is a
	 * header and {"op":"test","n":1}, no blob. */
	off_t second = CTL_JOURNAL_HEADER_SIZE + strlen("{\"op\":\"test\",\"n\":1}");
	int fd = open(path, O_RDWR);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, second + CTL_JOURNAL_HEADER_SIZE + 3), 1);
	b ^= 0x20;
	assert_int_equal(pwrite(fd, &b, 1, second + CTL_JOURNAL_HEADER_SIZE + 3), 1);
	close(fd);

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err),
			 -EBADMSG);
	assert_int_equal(seen.n, 1);
	assert_non_null(strstr(err.message, "checksum"));
	assert_int_equal(count_files(dir, ".unusable"), 1);
	/* Appending goes on after the last good record. */
	append_n(&j, 1);
	ctl_journal_close(&j);
	seen.n = 0;
	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	ctl_journal_close(&j);
	remove_dir(dir);
}

static void
test_failed_apply_is_set_aside(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct ctl_journal j;
	struct seen seen = { 0 };
	struct error_detail err = { 0 };

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	append_n(&j, 70);
	ctl_journal_close(&j);
	seen.fail_at = 10;
	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err),
			 -EINVAL);
	assert_int_equal(seen.n, 9);
	assert_non_null(strstr(err.message, "refused by the test"));
	/* Segment 1's tail copied aside, segment 65 renamed. */
	assert_int_equal(count_files(dir, ".unusable"), 2);
	assert_int_equal(j.next_seq, 10);
	append_n(&j, 1);
	ctl_journal_close(&j);
	seen = (struct seen){ 0 };
	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 10);
	ctl_journal_close(&j);
	remove_dir(dir);
}

static void
test_drop_and_gap(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct ctl_journal j;
	struct seen seen = { 0 };
	struct error_detail err = { 0 };

	assert_int_equal(ctl_journal_open(&j, dir, 0, collect, &seen, &err), 0);
	append_n(&j, 130);             /* segments 1-64, 65-128, 129-130 */
	ctl_journal_drop_through(&j, 100);
	assert_int_equal(count_files(dir, ".log"), 2);
	assert_int_equal(ctl_journal_records(&j), 66);
	ctl_journal_drop_through(&j, 130);   /* never the open segment */
	assert_int_equal(count_files(dir, ".log"), 1);
	ctl_journal_close(&j);

	/* Covered by a snapshot at 128: fine. */
	assert_int_equal(ctl_journal_open(&j, dir, 128, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	ctl_journal_close(&j);
	/* A snapshot at 100 would leave 101 to 128 missing: refused. */
	seen.n = 0;
	assert_int_equal(ctl_journal_open(&j, dir, 100, collect, &seen, &err),
			 -EBADMSG);
	assert_int_equal(seen.n, 0);
	assert_non_null(strstr(err.message, "missing"));
	ctl_journal_close(&j);
	remove_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_replay),
		cmocka_unit_test(test_torn_tail_is_cut),
		cmocka_unit_test(test_corruption_is_set_aside),
		cmocka_unit_test(test_failed_apply_is_set_aside),
		cmocka_unit_test(test_drop_and_gap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
