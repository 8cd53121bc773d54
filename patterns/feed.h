/* feed.h -- reads CSV and plain indicator feeds, merging duplicates. */
#ifndef IOCSIFT_PATTERNS_FEED_H
#define IOCSIFT_PATTERNS_FEED_H

#include <stddef.h>

#include "indicator.h"
#include "normalize.h" /* pat_normalize() and pat_detect_type() moved there */

enum pat_feed_format {
	PAT_FEED_AUTO,   /* CSV when the first data line has a comma, else plain */
	PAT_FEED_CSV,    /* type,value[,tags][,source]; header optional */
	PAT_FEED_PLAIN,  /* one value per line, type detected */
};

/* The indicators of one feed. All strings live in the feed's own arena
 * and are freed by pat_feed_free(). */
struct pat_feed {
	char *name;
	struct pat_indicator *items;
	size_t count;
	size_t capacity;
	size_t duplicates;     /* lines that repeated an earlier (type, value) */
	struct pat_arena *arena;
};

void pat_feed_init(struct pat_feed *feed);
void pat_feed_free(struct pat_feed *feed);

/* Parses a whole feed text. All or nothing: on error the feed is left
 * empty, err names file_label:line and the reason, and -EINVAL is
 * returned. Blank lines and lines starting with '#' are skipped. */
int pat_feed_parse(struct pat_feed *feed, const char *feed_name,
		   const char *file_label, const char *text, size_t len,
		   enum pat_feed_format format, struct pat_error *err);

/* Reads and parses path. The feed name is the file's base name without
 * its extension ("feeds/3cx.csv" -> "3cx"). -errno on I/O errors. */
int pat_feed_load_file(struct pat_feed *feed, const char *path,
		       enum pat_feed_format format, struct pat_error *err);

#endif
