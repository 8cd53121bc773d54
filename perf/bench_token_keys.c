/* bench_token_keys.c -- the token keys of the history (token_keys.h) over
 * the lines of log files: MB/s of text, lines/s and keys per line, as the
 * history writer thread computes them for every syslog message.
 * usage: bench_token_keys SECONDS FILE...
 * Each file's lines (line endings removed) are held in memory and keyed
 * over and over for SECONDS / 5 per window; the figure is the median of
 * 5 windows. One line per file, then one for all files together, with
 * the distinct keys per MiB of text (what a block's filter holds). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "token_keys.h"

#define WINDOWS 5

struct lines {
	char *bytes;
	size_t len;             /* bytes of text, line endings not counted */
	size_t *offsets;        /* offsets[i] .. offsets[i] + lengths[i] */
	size_t *lengths;
	size_t count, cap;
};

struct counter {
	uint64_t keys;
	uint64_t sum;           /* keeps the keys from being optimized away */
	uint64_t *saved;        /* when not NULL, every key (distinct count) */
	size_t n_saved, cap_saved;
};

static void
count_key(void *ctx, uint64_t key)
{
	struct counter *c = ctx;

	c->keys++;
	c->sum += key;
	if (c->saved == NULL)
		return;
	if (c->n_saved == c->cap_saved) {
		size_t cap = 2 * c->cap_saved;
		uint64_t *grown = realloc(c->saved, cap * sizeof(*grown));
		if (grown == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		c->saved = grown;
		c->cap_saved = cap;
	}
	c->saved[c->n_saved++] = key;
}

static int
compare_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
lines_add(struct lines *l, const char *text, size_t n)
{
	if (l->count == l->cap) {
		size_t cap = l->cap != 0 ? 2 * l->cap : 1024;
		size_t *offsets = realloc(l->offsets, cap * sizeof(*offsets));
		if (offsets == NULL)
			return -ENOMEM;
		l->offsets = offsets;
		size_t *lengths = realloc(l->lengths, cap * sizeof(*lengths));
		if (lengths == NULL)
			return -ENOMEM;
		l->lengths = lengths;
		l->cap = cap;
	}
	l->offsets[l->count] = (size_t)(text - l->bytes);
	l->lengths[l->count++] = n;
	l->len += n;
	return 0;
}

static int
lines_read(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return -EIO;
	}
	memset(l, 0, sizeof(*l));
	l->bytes = malloc((size_t)size + 1);
	if (l->bytes == NULL || fread(l->bytes, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (char *p = l->bytes, *end = l->bytes + size; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		size_t text = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
		if (text > 0 && lines_add(l, p, text) != 0)
			return -ENOMEM;
		p += n + 1;
	}
	return 0;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One pass over every line; returns the keys emitted. */
static uint64_t
key_all(const struct lines *l, struct counter *c)
{
	uint64_t before = c->keys;

	for (size_t i = 0; i < l->count; i++)
		pat_keys_text((const uint8_t *)l->bytes + l->offsets[i],
			      l->lengths[i], count_key, c);
	return c->keys - before;
}

static void
measure(const char *name, const struct lines *l, double seconds)
{
	double rates[WINDOWS];
	struct counter c = { .cap_saved = 1024 };
	c.saved = malloc(c.cap_saved * sizeof(*c.saved));
	if (c.saved == NULL)
		exit(1);
	uint64_t keys_per_pass = key_all(l, &c);
	size_t distinct = 0;
	qsort(c.saved, c.n_saved, sizeof(*c.saved), compare_key);
	for (size_t i = 0; i < c.n_saved; i++)
		distinct += i == 0 || c.saved[i] != c.saved[i - 1];
	free(c.saved);
	c.saved = NULL;

	for (int w = 0; w < WINDOWS; w++) {
		double start = now_seconds(), elapsed;
		uint64_t passes = 0;
		do {
			key_all(l, &c);
			passes++;
			elapsed = now_seconds() - start;
		} while (elapsed < seconds / WINDOWS);
		rates[w] = (double)passes * (double)l->len / elapsed;
	}
	qsort(rates, WINDOWS, sizeof(rates[0]), compare_double);
	double rate = rates[WINDOWS / 2];
	double line_bytes = (double)l->len / (double)l->count;
	printf("%-16s %7zu lines %4.0f B/line %7.1f MB/s %5.2f M lines/s"
	       " %5.2f keys/line %7.0f distinct/MiB (sum %llx)\n", name,
	       l->count, line_bytes, rate / 1e6, rate / line_bytes / 1e6,
	       (double)keys_per_pass / (double)l->count,
	       (double)distinct / ((double)l->len / 1048576.0),
	       (unsigned long long)(c.sum & 0xf));
}

int
main(int argc, char **argv)
{
	struct lines all = { 0 };
	size_t all_cap = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_token_keys SECONDS FILE...\n");
		return 2;
	}
	double seconds = strtod(argv[1], NULL);
	struct lines *files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL)
		return 1;
	for (int i = 2; i < argc; i++) {
		if (lines_read(argv[i], &files[i]) != 0)
			return 1;
		all_cap += files[i].len + files[i].count;
	}
	/* Every line of every file, back to back. */
	all.bytes = malloc(all_cap + 1);
	if (all.bytes == NULL)
		return 1;
	char *p = all.bytes;
	for (int i = 2; i < argc; i++) {
		const char *name = strrchr(argv[i], '/');
		measure(name != NULL ? name + 1 : argv[i], &files[i], seconds);
		for (size_t j = 0; j < files[i].count; j++) {
			memcpy(p, files[i].bytes + files[i].offsets[j],
			       files[i].lengths[j]);
			if (lines_add(&all, p, files[i].lengths[j]) != 0)
				return 1;
			p += files[i].lengths[j];
		}
	}
	if (argc > 3)
		measure("all", &all, seconds);
	return 0;
}
