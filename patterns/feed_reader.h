/* feed_reader.h -- the core under the feed format readers (internal). */
#ifndef IOCSIFT_PATTERNS_FEED_READER_H
#define IOCSIFT_PATTERNS_FEED_READER_H

/*
 * feed_reader.c owns the reader: normalization, tags, duplicates, errors
 * and the skipped count. The format readers (feed_formats.h) turn their
 * format into feed_value records and hand them to feed_reader_add(); the
 * first error stops the whole feed. feed.c sets the reader up and picks
 * the format reader.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "indicator.h"
#include "normalize.h"

/* Longer lines are garbage (or a binary file) rather than a feed. */
#define FEED_LINE_MAX (64 * 1024)
/* Enough for the widest export headers (MISP has about 15 columns). */
#define CSV_FIELDS_MAX 64
/* How much of an offending value an error message quotes. */
#define QUOTE_MAX 64
/* Bounds the work of merging tags of duplicates, which rescans them. */
#define FEED_TAGS_MAX 1024

/* One feed being read. */
struct feed_reader {
	struct pat_feed *feed;
	const char *label;
	struct error_detail *err;
	unsigned int line;
	struct pat_string_table *dedup; /* dedup key -> index in feed->items */
	char *key;                     /* dedup key being looked up */
	char *fields;                  /* CSV: unquoted fields of one line */
	char *tags;                    /* FEED_TAGS_MAX + 1, tags being built */
	/* Consecutive lines usually share tags and source: share the
	 * string instead of copying it a million times. */
	const char *last_tags;
	const char *last_source;
	const char *where;             /* JSON pointer of the record, or NULL */
	bool skip_unsupported;         /* feed->first_skip is about one */
};

/* Sets r up to fill feed (empty) named name; errors name label. 0 or
 * -ENOMEM with err set. feed_reader_release() in either case. */
int feed_reader_init(struct feed_reader *r, struct pat_feed *feed,
		     const char *name, const char *label,
		     struct error_detail *err);
void feed_reader_release(struct feed_reader *r);

/* feed_reader_fail() with "out of memory". */
int feed_reader_nomem(struct feed_reader *r);

struct csv_field {
	const char *p;
	size_t len;
};

/* One indicator before normalization. Strings need not be terminated. */
struct feed_value {
	enum pat_type type;
	bool detect;        /* the type comes from the value (plain feeds) */
	bool generic_ip;    /* ipv4 or ipv6, decided by the value */
	const char *value, *tags, *source;
	size_t value_len, tags_len, source_len;
	uint8_t severity;   /* PAT_SEVERITY_* */
	int64_t first_seen; /* 0 = not given */
	int64_t expires;    /* 0 = never */
	unsigned int line;  /* 0: the reader's current line */
};

/* Normalizes, attaches tags and source, merges a duplicate. 0 or -errno
 * with the error set (prefixed by the current place, see below). */
int feed_reader_add(struct feed_reader *r, const struct feed_value *v);

/* Sets the error at the current line and place; returns rc. */
int feed_reader_fail(struct feed_reader *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Counts one skipped record. The feed keeps the first reason, preferring
 * an unsupported construct to a record the format itself marks as not
 * for detection (non-indicator STIX objects, revoked, MISP to_ids=0). */
void feed_reader_skip(struct feed_reader *r, bool unsupported,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The place errors and skips name: a JSON pointer such as
 * "/objects/3/pattern" (line 0), or NULL for "line N" of a text feed. */
void feed_reader_where(struct feed_reader *r, const char *where);

/* Calls fn for each line that is not blank, trimmed, with the reader's
 * line number set; rejects over-long lines and NUL bytes. '#' lines are
 * passed on: fn decides whether they are comments. */
typedef int (*feed_line_fn)(struct feed_reader *r, const char *line,
			    size_t len, void *ctx);
int feed_reader_lines(struct feed_reader *r, const char *text, size_t len,
		      feed_line_fn fn, void *ctx);

/* RFC 4180 fields of one line (see docs/feeds.md), at most
 * CSV_FIELDS_MAX, trimmed; they stay valid until the next call. */
int feed_csv_split(struct feed_reader *r, const char *line, size_t len,
		   struct csv_field *fields, unsigned int *n);

/* A tag list being built for feed_value.tags. Tags are trimmed; whole
 * tags that would pass FEED_TAGS_MAX are dropped (exports carry long
 * lists of tags the operator did not choose; a CSV feed's own tags are
 * checked instead). */
struct feed_tags {
	char buf[FEED_TAGS_MAX + 1];
	size_t len;
};

void feed_tags_add(struct feed_tags *t, const char *tag, size_t len);

/* Case-insensitive comparison of s[0..len) with a C string. */
bool feed_equals_ci(const char *s, size_t len, const char *word);

#endif
