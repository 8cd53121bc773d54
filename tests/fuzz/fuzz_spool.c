/* fuzz_spool.c -- arbitrary bytes as a spool segment file, as they are and
 * behind a valid header (once more with a cursor file): open must cut the
 * damage, reads return only checksum-valid records taken from the input,
 * and the spool keeps working after a commit, an append and a reopen. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEGMENT "0000000000000001.seg"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

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

static int
write_file(const char *dir, const char *name, const void *bytes, size_t len)
{
	char path[256];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	if (len > 0 && write(fd, bytes, len) != (ssize_t)len)
		rc = -1;
	close(fd);
	return rc;
}

static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

/* Reads every record; each must be one of file's, whole and valid.
 * Returns how many, the last mark in *last. */
static uint64_t
read_all(struct exp_spool *s, const uint8_t *file, size_t file_len,
	 uint8_t *buf, size_t cap, struct exp_spool_mark *last)
{
	struct exp_spool_mark m;
	uint64_t n = 0;
	size_t len;
	int rc;

	while ((rc = exp_spool_read(s, buf, cap, &len, &m)) == 0) {
		if (len == 0 || len > cap || len > file_len || m.segment != 1 ||
		    m.offset > file_len || m.offset < EXP_SPOOL_HEADER_SIZE +
						      EXP_SPOOL_RECORD_HEADER + len)
			__builtin_trap();
		const uint8_t *rec = file + m.offset - len;
		if (le32(rec - 8) != len ||
		    le32(rec - 4) != exp_spool_crc32c(buf, len) ||
		    memcmp(rec, buf, len) != 0)
			__builtin_trap();
		*last = m;
		n++;
	}
	if (rc != -ENOENT)
		__builtin_trap();
	return n;
}

/* variant 0: the input is the file; 1: a header and the input; 2: the
 * same with a cursor file at an offset taken from the input. */
static void
run(const uint8_t *data, size_t size, int variant)
{
	static const uint8_t probe[] = "appended after the damage";
	struct error_detail err = { 0 };
	char dir[64];
	uint8_t *file, *buf;
	size_t file_len = size + (variant > 0 ? EXP_SPOOL_HEADER_SIZE : 0);
	struct exp_spool_stats st;
	struct exp_spool_mark last = { 0 }, m;
	struct exp_spool *s;
	size_t len;

	snprintf(dir, sizeof(dir), "/dev/shm/fuzz_spool.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_spool.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return;
	}
	file = malloc(file_len + 1);
	buf = malloc(file_len + sizeof(probe));
	if (file == NULL || buf == NULL)
		goto out;
	if (variant > 0) {
		memcpy(file, EXP_SPOOL_MAGIC, 8);
		put_le32(file + 8, EXP_SPOOL_VERSION);
		put_le32(file + 12, exp_spool_crc32c(file, 12));
	}
	if (size > 0)
		memcpy(file + file_len - size, data, size);
	if (write_file(dir, SEGMENT, file, file_len) != 0)
		goto out;
	if (variant == 2) {
		uint8_t c[32];
		uint64_t off = EXP_SPOOL_HEADER_SIZE;
		if (size >= 2)
			off += (data[0] | (uint64_t)data[1] << 8) % (size + 1);
		memcpy(c, "IOCSCURS", 8);
		put_le64(c + 8, 1);
		put_le64(c + 16, off);
		put_le32(c + 24, EXP_SPOOL_VERSION);
		put_le32(c + 28, exp_spool_crc32c(c, 28));
		if (write_file(dir, "cursor", c, sizeof(c)) != 0)
			goto out;
	}

	s = exp_spool_open(dir, 0, &err);
	if (s == NULL) {
		/* Only a segment of another format version refuses. */
		if (errno != EPROTO || variant != 0 || err.message[0] == '\0')
			__builtin_trap();
		goto out;
	}
	exp_spool_stats(s, &st);
	if (st.bytes > file_len || st.torn_bytes > file_len ||
	    st.bytes + st.torn_bytes != file_len || st.segments > 1)
		__builtin_trap();
	if (read_all(s, file, file_len, buf, file_len, &last) != st.records)
		__builtin_trap();
	/* Twice, after a rewind: the same records. */
	exp_spool_rewind(s);
	if (read_all(s, file, file_len, buf, file_len, &last) != st.records)
		__builtin_trap();
	if (st.records > 0 && exp_spool_commit(s, &last) != 0)
		__builtin_trap();
	exp_spool_stats(s, &st);
	if (st.records != 0)
		__builtin_trap();
	/* Appends never follow damage: the probe reads back whole. */
	if (exp_spool_append(s, probe, sizeof(probe)) != 0 ||
	    exp_spool_read(s, buf, sizeof(probe), &len, &m) != 0 ||
	    len != sizeof(probe) || memcmp(buf, probe, len) != 0)
		__builtin_trap();
	exp_spool_close(s);

	s = exp_spool_open(dir, 0, &err);
	if (s == NULL)
		__builtin_trap();
	exp_spool_stats(s, &st);
	if (st.records != 1 || st.torn_bytes != 0)
		__builtin_trap();
	if (exp_spool_read(s, buf, sizeof(probe), &len, &m) != 0 ||
	    len != sizeof(probe) || memcmp(buf, probe, len) != 0 ||
	    exp_spool_commit(s, &m) != 0)
		__builtin_trap();
	exp_spool_stats(s, &st);
	if (st.records != 0 || st.segments != 0 || st.bytes != 0)
		__builtin_trap();
	exp_spool_close(s);
out:
	free(file);
	free(buf);
	remove_dir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int variant = 0; variant < 3; variant++)
		run(data, size, variant);
	return 0;
}
