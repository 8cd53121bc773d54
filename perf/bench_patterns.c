/* bench_patterns.c -- the pattern database at scale (issue 3 targets):
 * load a large CSV feed, save and load the set, add and delete single
 * indicators, and match syslog lines against a large and a small set in
 * the same run.
 * usage: bench_patterns BIG.csv SMALL.csv MESSAGES.log DB_PATH */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "arena.h"
#include "feed.h"
#include "store.h"

#define UPDATES 21

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_mb(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_maxrss / 1024;
}

static struct pat_set *
load_csv(const char *path, double *seconds)
{
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };
	double t0 = now_s();

	pat_feed_init(&feed);
	if (pat_feed_load_file(&feed, path, PAT_FEED_CSV, &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.where, err.line, err.message);
		exit(1);
	}
	struct pat_set *set = pat_set_build(feeds, 1, 1, 1, &err);
	if (set == NULL) {
		fprintf(stderr, "build: %s\n", err.message);
		exit(1);
	}
	*seconds = now_s() - t0;
	pat_feed_free(&feed);
	return set;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and maximum of UPDATES single adds or deletes, in ms. */
static void
bench_updates(struct pat_set **set, struct pat_arena *arena,
	      enum pat_type type, const char *format)
{
	double add_ms[UPDATES], del_ms[UPDATES];
	struct error_detail err = { 0 };

	for (int i = 0; i < UPDATES; i++) {
		char value[64];
		struct pat_indicator ind;
		snprintf(value, sizeof(value), format, i);
		if (pat_normalize(arena, type, value, strlen(value),
				  &ind, &err) != 0)
			exit(1);
		ind.feed = "live";
		double t0 = now_s();
		struct pat_set *next = pat_set_add(*set, &ind, 10 + i, &err);
		add_ms[i] = (now_s() - t0) * 1e3;
		if (next == NULL) {
			fprintf(stderr, "add: %s\n", err.message);
			exit(1);
		}
		pat_set_free(*set);
		*set = next;
		t0 = now_s();
		/* Delete the one just added, then it is added back next loop
		 * under another name: the delta stays small, as it would
		 * between compactions. */
		next = pat_set_delete(*set, &ind, 100 + i, &err);
		del_ms[i] = (now_s() - t0) * 1e3;
		if (next == NULL) {
			fprintf(stderr, "delete: %s\n", err.message);
			exit(1);
		}
		pat_set_free(*set);
		*set = next;
	}
	qsort(add_ms, UPDATES, sizeof(double), compare_double);
	qsort(del_ms, UPDATES, sizeof(double), compare_double);
	printf("add    one %-9s median %.2f ms, max %.2f ms (%d runs)\n",
	       pat_type_name(type), add_ms[UPDATES / 2], add_ms[UPDATES - 1],
	       UPDATES);
	printf("delete one %-9s median %.2f ms, max %.2f ms (%d runs)\n",
	       pat_type_name(type), del_ms[UPDATES / 2], del_ms[UPDATES - 1],
	       UPDATES);
}

struct lines {
	char *text;
	size_t *starts;
	size_t *lens;
	size_t count;
};

static void
read_lines(const char *path, struct lines *lines)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t capacity = 0, used = 0, text_capacity = 1 << 20;
	ssize_t n;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	lines->text = malloc(text_capacity);
	lines->starts = malloc(sizeof(size_t) * 4000000);
	lines->lens = malloc(sizeof(size_t) * 4000000);
	lines->count = 0;
	while ((n = getline(&line, &capacity, f)) > 0 && lines->count < 4000000) {
		if (line[n - 1] == '\n')
			n--;
		while (used + (size_t)n > text_capacity)
			lines->text = realloc(lines->text, text_capacity *= 2);
		memcpy(lines->text + used, line, (size_t)n);
		lines->starts[lines->count] = used;
		lines->lens[lines->count++] = (size_t)n;
		used += (size_t)n;
	}
	free(line);
	fclose(f);
}

/* Lines per second matched against set, over at least 2 s. */
static double
match_rate(const struct pat_set *set, const struct lines *lines,
	   unsigned long *hit_lines)
{
	double t0 = now_s(), elapsed;
	unsigned long matched = 0;

	*hit_lines = 0;
	do {
		for (size_t i = 0; i < lines->count; i++) {
			struct pat_hits hits;
			pat_hits_reset(&hits, 0);
			pat_match_text(set, pat_set_scratch(set, 0),
				       (const uint8_t *)lines->text +
				       lines->starts[i], lines->lens[i], &hits);
			*hit_lines += hits.count > 0;
		}
		matched += lines->count;
		elapsed = now_s() - t0;
	} while (elapsed < 2.0);
	*hit_lines = *hit_lines * lines->count / matched;
	return (double)matched / elapsed;
}

int
main(int argc, char **argv)
{
	double seconds;
	struct error_detail err = { 0 };

	if (argc != 5) {
		fprintf(stderr, "usage: %s BIG.csv SMALL.csv MESSAGES.log DB\n",
			argv[0]);
		return 2;
	}
	struct pat_set *big = load_csv(argv[1], &seconds);
	printf("load CSV + build:     %zu indicators in %.2f s, peak RSS %ld MiB\n",
	       pat_set_count(big), seconds, peak_rss_mb());

	double t0 = now_s();
	if (pat_set_save(big, argv[4], &err) != 0) {
		fprintf(stderr, "save: %s\n", err.message);
		return 1;
	}
	printf("save:                 %.2f s\n", now_s() - t0);
	t0 = now_s();
	struct pat_set *loaded = pat_set_load(argv[4], 1, &err);
	if (loaded == NULL) {
		fprintf(stderr, "load: %s\n", err.message);
		return 1;
	}
	printf("load saved set:       %.3f s\n", now_s() - t0);
	pat_set_free(loaded);

	struct pat_arena *arena = pat_arena_new();
	bench_updates(&big, arena, PAT_TYPE_DOMAIN, "added-%d.bench.example");
	bench_updates(&big, arena, PAT_TYPE_FILENAME, "dropper-%d.exe");
	bench_updates(&big, arena, PAT_TYPE_REGEX, "beacon id=%d [0-9a-f]{8}");

	struct lines lines;
	unsigned long big_hits, small_hits;
	read_lines(argv[3], &lines);
	struct pat_set *small = load_csv(argv[2], &seconds);
	double small_rate = match_rate(small, &lines, &small_hits);
	double big_rate = match_rate(big, &lines, &big_hits);
	printf("match syslog lines:   %zu indicators %.0f lines/s (%lu hit), "
	       "%zu indicators %.0f lines/s (%lu hit), ratio %.2f\n",
	       pat_set_count(small), small_rate, small_hits,
	       pat_set_count(big), big_rate, big_hits, big_rate / small_rate);
	pat_set_free(small);
	pat_set_free(big);
	pat_arena_free(arena);
	free(lines.text);
	free(lines.starts);
	free(lines.lens);
	return 0;
}
