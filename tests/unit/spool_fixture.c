/* spool_fixture.c -- what the unit tests of the spool share
 * (spool_fixture.h): the temporary spool directory, records, and the
 * spool's files read and changed directly. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

char root[64];
char dir[96];
struct error_detail err;

/* err as one line, "spool directory DIR: ...". */
const char *
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

int
spool_fixture_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_spool.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/spool", root);
	return 0;
}

int
spool_fixture_teardown(void **state)
{
	(void)state;
	chmod(dir, 0700);
	return nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Record i: 1..300 bytes, its number first, a pattern after. */
size_t
make_rec(uint32_t i, uint8_t *buf)
{
	size_t len = 1 + (i * 7919u) % 300;

	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k * 7);
	if (len >= 4)
		memcpy(buf, &i, 4);
	return len;
}

struct exp_spool *
open_ok(uint64_t max_bytes)
{
	struct exp_spool *s = exp_spool_open(dir, max_bytes, &err);

	if (s == NULL)
		print_error("open: %s\n", err_text());
	assert_non_null(s);
	return s;
}

void
append_range(struct exp_spool *s, uint32_t from, uint32_t to)
{
	uint8_t buf[REC_CAP];

	for (uint32_t i = from; i < to; i++)
		assert_int_equal(exp_spool_append(s, buf, make_rec(i, buf)), 0);
}

void
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

void
expect_end(struct exp_spool *s)
{
	uint8_t got[REC_CAP];
	struct exp_spool_mark m;
	size_t len;

	assert_int_equal(exp_spool_read(s, got, sizeof(got), &len, &m), -ENOENT);
}

struct exp_spool_stats
stats(const struct exp_spool *s)
{
	struct exp_spool_stats st;

	exp_spool_stats(s, &st);
	return st;
}

/* The segment files, sorted; returns how many (up to max). */
int
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

void
path_of(char *path, size_t size, const char *name)
{
	int n = snprintf(path, size, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < size);
}

off_t
file_size(const char *name)
{
	char path[160];
	struct stat st;

	path_of(path, sizeof(path), name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}


void
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

void
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


/* The offsets of the records of a segment file (up to max); returns how
 * many records it holds. */
int
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
