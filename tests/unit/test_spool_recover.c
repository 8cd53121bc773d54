/* test_spool_recover.c -- opening a spool (spool_recover.c): the
 * directory made, locked and refused; torn tails and records cut short
 * at the end of the newest segment; damage in the middle of one; segment
 * headers torn or of a newer format; cursors that are garbage, off a
 * record's boundary, cut short, past the data or behind and ahead of the
 * segments. The FIFO that runs afterwards is test_spool.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_fixture.h"

/* ---- helpers ---- */

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

/* A cursor file pointing at segment seq, offset off. */
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

#define TEST(f) \
	cmocka_unit_test_setup_teardown(f, spool_fixture_setup, \
					spool_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_torn_tail),
		TEST(test_torn_mid_record),
		TEST(test_damage_in_middle),
		TEST(test_bad_segment_header),
		TEST(test_corrupt_cursor),
		TEST(test_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
