/* fuzz_journal.c -- the state dir's journal read back from damaged files.
 * The input's first three bytes choose how many bytes to cut off the
 * end, the snapshot's sequence number, and which record the apply
 * callback refuses; the rest, split at 0xff bytes, becomes one record
 * each (the piece is the JSON text; its first byte also flips a header
 * or body byte, or skips a sequence number, now and then). Checks that
 * opening never fails on memory, that a second open after the repairs
 * of the first reads without an error exactly what the first applied
 * plus one appended record, and that nothing leaks. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct applied {
	uint64_t refuse;
	uint64_t n;
	uint64_t last;
};

static int
apply(void *arg, uint64_t seq, json_t *op, const uint8_t *blob,
      size_t blob_len, struct error_detail *err)
{
	struct applied *a = arg;

	(void)op;
	(void)blob;
	(void)blob_len;
	if (seq == a->refuse) {
		error_detail_set(err, "", 0, "refused");
		return -22;
	}
	a->n++;
	a->last = seq;
	return 0;
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);          /* the fuzzer runs little-endian */
}

static void
put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void
dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[256];
	char path[512];
	struct ctl_journal j;
	struct error_detail err;

	if (size < 3)
		return 0;
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_journal.%d", (int)getpid());
		mkdir(dir, 0700);
	}
	dir_empty(dir);
	snprintf(path, sizeof(path), "%s/journal-%020d.log", dir, 1);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	uint64_t seq = 1;
	size_t at = 3;
	while (at < size) {
		const uint8_t *piece = data + at;
		const uint8_t *end = memchr(piece, 0xff, size - at);
		size_t len = end != NULL ? (size_t)(end - piece) : size - at;
		at += len + 1;
		if (len == 0)
			continue;
		uint8_t h[CTL_JOURNAL_HEADER_SIZE] = { 0 };
		put32(h, 0x4a434f49u);
		put32(h + 4, (uint32_t)len);
		put64(h + 8, 0);
		if (piece[0] == 's')
			seq++;            /* a gap in the sequence */
		put64(h + 16, seq++);
		put32(h + 24, exp_spool_crc32c(piece, len));
		put32(h + 28, 0);
		put32(h + 32, exp_spool_crc32c(h, 32));
		if (piece[0] == 'h')
			h[piece[len - 1] % 40] ^= 1;   /* a damaged header */
		fwrite(h, sizeof(h), 1, f);
		fwrite(piece, len, 1, f);
	}
	long whole = ftell(f);
	fclose(f);
	if (data[0] % 64 != 0 && whole > data[0] % 64)
		truncate(path, whole - data[0] % 64);

	uint64_t after = data[1] % 4;
	struct applied first = { .refuse = data[2] % 8 };
	int rc = ctl_journal_open(&j, dir, after, apply, &first, &err);
	if (rc == -12)
		abort();                  /* ENOMEM on a small input: a bug */
	json_t *op = json_pack("{s:s}", "op", "appended");
	uint64_t appended = 0;
	if (ctl_journal_append(&j, op, NULL, 0, &appended, &err) != 0)
		abort();
	json_decref(op);
	ctl_journal_close(&j);

	/* Whatever the first open repaired, the second reads clean. */
	struct applied second = { 0 };
	rc = ctl_journal_open(&j, dir, after, apply, &second, &err);
	if (rc != 0 || second.n != first.n + 1 || second.last != appended)
		abort();
	ctl_journal_close(&j);
	return 0;
}
