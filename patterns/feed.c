/* feed.c -- reads CSV and plain indicator feeds and merges duplicates. */

/*
 * Each value goes through normalize.c (refang, type rules, canonical
 * form); this file splits lines into values, tags and sources, keeps the
 * first of two equal indicators and gives it the tags of both. It also
 * detects the format and hands the others to feed_stix.c, feed_misp.c,
 * feed_zeek.c and feed_suricata.c (through feed_reader.h). The formats,
 * for operators, are in docs/feeds.md.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "arena.h"
#include "key_hash.h"
#include "feed.h"
#include "feed_reader.h"
#include "string_table.h"

/* Longer lines are garbage (or a binary file) rather than a feed. */
#define FEED_LINE_MAX (64 * 1024)
/* A duplicate key: type byte, prefix length byte, then the value, which
 * is never longer than its line. */
#define DEDUP_KEY_MAX (2 + FEED_LINE_MAX)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool
equals_ci(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

bool
feed_equals_ci(const char *s, size_t len, const char *word)
{
	return equals_ci(s, len, word);
}

/* ---- tags ------------------------------------------------------------ */

static bool
tag_present(const char *tags, size_t len, const char *tag, size_t tlen)
{
	const char *p = tags, *end = tags + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma != NULL ? (size_t)(comma - p) : (size_t)(end - p);

		if (n == tlen && memcmp(p, tag, n) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

/* Appends to buf (comma-separated, *len bytes, room for FEED_TAGS_MAX)
 * the tags of list not yet in it. list separates tags with ',', ';' or
 * '|' (exports use all three); tags are trimmed, empty ones dropped. */
static int
tags_add(char *buf, size_t *len, const char *list, size_t list_len)
{
	const char *p = list, *end = list + list_len;

	while (p < end) {
		const char *tag = p;
		size_t tlen;

		while (p < end && *p != ',' && *p != ';' && *p != '|')
			p++;
		tlen = (size_t)(p - tag);
		if (p < end)
			p++; /* the separator */
		pat_trim(&tag, &tlen);
		if (tlen == 0 || tag_present(buf, *len, tag, tlen))
			continue;
		if (*len + (*len > 0) + tlen > FEED_TAGS_MAX)
			return -E2BIG;
		if (*len > 0)
			buf[(*len)++] = ',';
		memcpy(buf + *len, tag, tlen);
		*len += tlen;
	}
	buf[*len] = '\0';
	return 0;
}

/* Tags of JSON and export records: whole tags that would not fit are
 * dropped, as exports carry long tag lists the operator did not write. */
void
feed_tags_add(struct feed_tags *t, const char *tag, size_t len)
{
	pat_trim(&tag, &len);
	if (len == 0 || t->len + (t->len > 0) + len > FEED_TAGS_MAX)
		return;
	if (t->len > 0)
		t->buf[t->len++] = ',';
	memcpy(t->buf + t->len, tag, len);
	t->len += len;
	t->buf[t->len] = '\0';
}

/* ---- the reader ------------------------------------------------------ */

enum csv_column {
	COL_TYPE,
	COL_VALUE,
	COL_TAGS,
	COL_SOURCE,
	COL_SEVERITY,   /* this one and the ones below: only with a header */
	COL_FIRST_SEEN,
	COL_EXPIRES,
	COL_COUNT,
};

/* Without a header: type,value[,tags][,source]. */
#define COL_POSITIONAL (COL_SOURCE + 1)

struct feed_reader {
	struct pat_feed *feed;
	const char *label;
	struct pat_error *err;
	unsigned int line;
	enum pat_feed_format format;   /* AUTO until the first data line */
	bool seen_data;                /* CSV: a later "type,..." is no header */
	int cols[COL_COUNT];           /* CSV: column of each field, -1 absent */
	unsigned int ncols;            /* CSV: fields a row may have */
	struct pat_string_table *dedup; /* dedup key -> index in feed->items */
	char *key;                     /* DEDUP_KEY_MAX, key being looked up */
	char *fields;                  /* CSV: unquoted fields of one line */
	char *tags;                    /* FEED_TAGS_MAX + 1, tags being built */
	/* Consecutive lines usually share tags and source: share the
	 * string instead of copying it a million times. */
	const char *last_tags;
	const char *last_source;
	const char *where;             /* JSON pointer of the record, or NULL */
	bool skip_unsupported;         /* feed->first_skip is about one */
};

static int
reader_vfail(struct feed_reader *r, int rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int
reader_vfail(struct feed_reader *r, int rc, const char *fmt, va_list ap)
{
	char message[sizeof(r->err->message)];

	vsnprintf(message, sizeof(message), fmt, ap);
	if (r->where != NULL && r->where[0] != '\0')
		pat_error_set(r->err, r->label, r->line, "%s: %s", r->where,
			      message);
	else
		pat_error_set(r->err, r->label, r->line, "%s", message);
	return rc;
}

static int
reader_fail(struct feed_reader *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reader_fail(struct feed_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = reader_vfail(r, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int
feed_reader_fail(struct feed_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = reader_vfail(r, rc, fmt, ap);
	va_end(ap);
	return rc;
}

void
feed_reader_where(struct feed_reader *r, const char *where)
{
	r->where = where;
}

void
feed_reader_skip(struct feed_reader *r, bool unsupported, const char *fmt,
		 ...)
{
	struct pat_feed *feed = r->feed;
	char reason[PAT_FEED_SKIP_REASON_MAX];
	va_list ap;

	feed->skipped++;
	if (feed->first_skip[0] != '\0' &&
	    (r->skip_unsupported || !unsupported))
		return;
	r->skip_unsupported = unsupported;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* A JSON pointer is at most 128 bytes (MISP_WHERE_MAX). */
	if (r->where != NULL)
		snprintf(feed->first_skip, sizeof(feed->first_skip),
			 "%.127s: %.125s", r->where, reason);
	else
		snprintf(feed->first_skip, sizeof(feed->first_skip),
			 "line %u: %.200s", r->line, reason);
}

static int
reader_nomem(struct feed_reader *r)
{
	return reader_fail(r, -ENOMEM, "out of memory");
}

static int
feed_push(struct pat_feed *feed, const struct pat_indicator *ind)
{
	struct pat_indicator *items;
	size_t cap;

	if (feed->count == feed->capacity) {
		cap = feed->capacity == 0 ? 64 : feed->capacity * 2;
		if (cap > SIZE_MAX / sizeof(*items))
			return -ENOMEM;
		items = realloc(feed->items, cap * sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		feed->items = items;
		feed->capacity = cap;
	}
	feed->items[feed->count++] = *ind;
	return 0;
}

/* The tags of a new line, shared with the previous line when equal. */
static int
reader_tags(struct feed_reader *r, const char *list, size_t len,
	    const char **tags)
{
	size_t n = 0;

	if (tags_add(r->tags, &n, list, len) != 0)
		return reader_fail(r, -EINVAL, "tags longer than %d bytes",
				   FEED_TAGS_MAX);
	if (n == 0) {
		*tags = "";
		return 0;
	}
	if (r->last_tags == NULL || strcmp(r->last_tags, r->tags) != 0) {
		r->last_tags = pat_arena_strndup(r->feed->arena, r->tags, n);
		if (r->last_tags == NULL)
			return reader_nomem(r);
	}
	*tags = r->last_tags;
	return 0;
}

static int
reader_source(struct feed_reader *r, const char *s, size_t len,
	      const char **source)
{
	pat_trim(&s, &len);
	if (len == 0) {
		*source = "";
		return 0;
	}
	if (r->last_source == NULL || strlen(r->last_source) != len ||
	    memcmp(r->last_source, s, len) != 0) {
		r->last_source = pat_arena_strndup(r->feed->arena, s, len);
		if (r->last_source == NULL)
			return reader_nomem(r);
	}
	*source = r->last_source;
	return 0;
}

/* The first of two equal indicators stays; it gains the other's tags,
 * the higher severity, the earlier first seen and the later expiry
 * (none, i.e. never, being the latest). */
static int
reader_merge(struct feed_reader *r, struct pat_indicator *first,
	     const struct pat_indicator *dup)
{
	size_t n = strlen(first->tags), before = n;
	char *merged;

	r->feed->duplicates++;
	if (dup->severity > first->severity)
		first->severity = dup->severity;
	if (dup->first_seen != 0 &&
	    (first->first_seen == 0 || dup->first_seen < first->first_seen))
		first->first_seen = dup->first_seen;
	if (first->expires != 0 &&
	    (dup->expires == 0 || dup->expires > first->expires))
		first->expires = dup->expires;
	memcpy(r->tags, first->tags, n + 1);
	if (tags_add(r->tags, &n, dup->tags, strlen(dup->tags)) != 0)
		return reader_fail(r, -EINVAL,
				   "tags longer than %d bytes after merging duplicates",
				   FEED_TAGS_MAX);
	if (n == before)
		return 0;
	merged = pat_arena_strndup(r->feed->arena, r->tags, n);
	if (merged == NULL)
		return reader_nomem(r);
	first->tags = merged;
	return 0;
}

/* Type, prefix length and the value's vlen bytes into key; returns the
 * key's length. Equal keys are duplicates, found by one hash lookup
 * however long the feed (feeds reach millions of lines). File names are
 * folded to lower case (ASCII), as they match. */
static size_t
dedup_key(char *key, const struct pat_indicator *ind, size_t vlen)
{
	bool fold = ind->type == PAT_TYPE_FILENAME;

	key[0] = (char)ind->type;
	key[1] = (char)ind->prefix_len;
	for (size_t i = 0; i < vlen; i++) {
		char c = ind->value[i];

		if (fold && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		key[2 + i] = c;
	}
	return 2 + vlen;
}

static int
reader_store(struct feed_reader *r, const struct pat_indicator *ind)
{
	struct pat_feed *feed = r->feed;
	size_t vlen = strlen(ind->value);
	uint32_t first;
	int rc;

	if (vlen > DEDUP_KEY_MAX - 2)
		return reader_fail(r, -EINVAL, "value longer than %d bytes",
				   FEED_LINE_MAX);
	if ((uint64_t)feed->count > UINT32_MAX)
		return reader_fail(r, -EINVAL, "more than %lu indicators",
				   (unsigned long)UINT32_MAX);
	size_t key_len = dedup_key(r->key, ind, vlen);
	rc = pat_string_table_insert(r->dedup,
				     pat_hash_bytes(PAT_HASH_SEED_OTHER, r->key,
						    key_len),
				     r->key, key_len, (uint32_t)feed->count,
				     &first);
	if (rc == -EEXIST)
		return reader_merge(r, &feed->items[first], ind);
	if (rc != 0 || feed_push(feed, ind) != 0)
		return reader_nomem(r);
	return 0;
}

/* One indicator line, split into its parts. */
struct feed_entry {
	bool detect;        /* plain feed: the type comes from the value */
	bool generic_ip;    /* "ip", "ip-src", "ip-dst": v4 or v6 by value */
	enum pat_type type;
	const char *value, *tags, *source;
	size_t value_len, tags_len, source_len;
	uint8_t severity;   /* CSV with a header only, as the two below */
	int64_t first_seen;
	int64_t expires;
};

int
feed_reader_add(struct feed_reader *r, const struct feed_value *v)
{
	struct pat_arena *arena = r->feed->arena;
	enum pat_type type = v->type;
	struct pat_indicator ind;
	const char *reason;
	int rc;

	/* Refanging neither adds nor removes a ':': the raw value tells. */
	if (v->generic_ip)
		type = memchr(v->value, ':', v->value_len) != NULL ?
			       PAT_TYPE_IPV6 : PAT_TYPE_IPV4;
	if (v->detect)
		rc = pat_normalize_untyped(arena, v->value, v->value_len, &ind,
					   &reason);
	else
		rc = pat_normalize(arena, type, v->value, v->value_len, &ind,
				   &reason);
	if (rc != 0)
		return reader_fail(r, rc, "%s", reason);
	rc = reader_tags(r, v->tags, v->tags_len, &ind.tags);
	if (rc == 0)
		rc = reader_source(r, v->source, v->source_len, &ind.source);
	if (rc != 0)
		return rc;
	ind.feed = r->feed->name;
	ind.line = v->line != 0 ? v->line : r->line;
	ind.severity = v->severity;
	ind.first_seen = v->first_seen;
	ind.expires = v->expires;
	return reader_store(r, &ind);
}

static int
reader_add(struct feed_reader *r, struct feed_entry *e)
{
	struct feed_value v = {
		.type = e->type,
		.detect = e->detect,
		.generic_ip = e->generic_ip,
		.value = e->value,
		.value_len = e->value_len,
		.tags = e->tags,
		.tags_len = e->tags_len,
		.source = e->source,
		.source_len = e->source_len,
		.severity = e->severity,
		.first_seen = e->first_seen,
		.expires = e->expires,
	};

	return feed_reader_add(r, &v);
}

/* One field at line[*pos]: RFC 4180 quoting with "" for a quote inside.
 * Quoted contents are copied unescaped to *out; unquoted fields point
 * into the line. Leaves *pos at the ',' or the end. */
static int
csv_field(struct feed_reader *r, const char *line, size_t len, size_t *pos,
	  char **out, struct csv_field *f)
{
	size_t i = *pos;
	const char *quote, *comma;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '"') {
		comma = memchr(line + i, ',', len - i);
		f->p = line + i;
		f->len = (comma != NULL ? (size_t)(comma - line) : len) - i;
		*pos = i + f->len;
		return 0;
	}
	f->p = *out;
	for (i++;; i += 2) {
		quote = memchr(line + i, '"', len - i);
		if (quote == NULL)
			return reader_fail(r, -EINVAL, "unterminated quoted field");
		memcpy(*out, line + i, (size_t)(quote - line) - i);
		*out += (size_t)(quote - line) - i;
		i = (size_t)(quote - line);
		if (i + 1 == len || line[i + 1] != '"')
			break;
		*(*out)++ = '"';
	}
	f->len = (size_t)(*out - f->p);
	for (i++; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i < len && line[i] != ',')
		return reader_fail(r, -EINVAL,
				   "unexpected character after quoted field");
	*pos = i;
	return 0;
}

int
feed_csv_split(struct feed_reader *r, const char *line, size_t len,
	       struct csv_field *fields, unsigned int *n)
{
	char *out = r->fields;
	size_t pos = 0;
	int rc;

	*n = 0;
	for (;;) {
		if (*n == CSV_FIELDS_MAX)
			return reader_fail(r, -EINVAL, "too many fields (more than %d)",
					   CSV_FIELDS_MAX);
		rc = csv_field(r, line, len, &pos, &out, &fields[*n]);
		if (rc != 0)
			return rc;
		pat_trim(&fields[*n].p, &fields[*n].len);
		(*n)++;
		if (pos == len)
			return 0;
		pos++; /* the comma */
	}
}

static const struct {
	const char *name;
	enum csv_column col;
} csv_column_names[] = {
	{ "type", COL_TYPE },
	{ "value", COL_VALUE },
	{ "tags", COL_TAGS },
	{ "tag", COL_TAGS },
	{ "source", COL_SOURCE },
	{ "source_url", COL_SOURCE },
	{ "severity", COL_SEVERITY },
	{ "first_seen", COL_FIRST_SEEN },
	{ "firstseen", COL_FIRST_SEEN },
	{ "first-seen", COL_FIRST_SEEN },
	{ "expires", COL_EXPIRES },
	{ "expiry", COL_EXPIRES },
	{ "expiration", COL_EXPIRES },
	{ "valid_until", COL_EXPIRES },
};

/* A header maps columns by name, so "type,value,source_url" works. Other
 * columns (exports carry many) are ignored. */
static int
csv_header(struct feed_reader *r, const struct csv_field *fields,
	   unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(csv_column_names); j++) {
			enum csv_column col = csv_column_names[j].col;

			if (!equals_ci(fields[i].p, fields[i].len,
				       csv_column_names[j].name))
				continue;
			if (r->cols[col] >= 0)
				return reader_fail(r, -EINVAL,
						   "duplicate column '%.*s' in header",
						   (int)fields[i].len, fields[i].p);
			r->cols[col] = (int)i;
		}
	}
	if (r->cols[COL_VALUE] < 0)
		return reader_fail(r, -EINVAL, "header has no 'value' column");
	r->ncols = n;
	return 0;
}

static bool
is_generic_ip_name(const char *s, size_t len)
{
	return equals_ci(s, len, "ip") || equals_ci(s, len, "ip-src") ||
	       equals_ci(s, len, "ip-dst");
}

static void
csv_optional(const struct csv_field *fields, unsigned int n, int col,
	     const char **p, size_t *len)
{
	*p = "";
	*len = 0;
	if (col >= 0 && (unsigned int)col < n) {
		*p = fields[col].p;
		*len = fields[col].len;
	}
}

/* Severity, first seen and expiry, when the header names them; an empty
 * field is as good as none. */
static int
csv_metadata(struct feed_reader *r, const struct csv_field *fields,
	     unsigned int n, struct feed_entry *e)
{
	const char *p, *reason;
	size_t len;

	csv_optional(fields, n, r->cols[COL_SEVERITY], &p, &len);
	if (len > 0 && pat_parse_severity(p, len, &e->severity, &reason) != 0)
		return reader_fail(r, -EINVAL, "%s", reason);
	csv_optional(fields, n, r->cols[COL_FIRST_SEEN], &p, &len);
	if (len > 0 && pat_parse_time(p, len, &e->first_seen, &reason) != 0)
		return reader_fail(r, -EINVAL, "first_seen: %s", reason);
	csv_optional(fields, n, r->cols[COL_EXPIRES], &p, &len);
	if (len > 0 && pat_parse_time(p, len, &e->expires, &reason) != 0)
		return reader_fail(r, -EINVAL, "expires: %s", reason);
	return 0;
}

static int
csv_row(struct feed_reader *r, const struct csv_field *fields, unsigned int n)
{
	const struct csv_field *type = &fields[r->cols[COL_TYPE]];
	struct feed_entry e = { 0 };
	int rc;

	if (n > r->ncols)
		return reader_fail(r, -EINVAL, "too many fields (at most %u)",
				   r->ncols);
	if (n <= (unsigned int)r->cols[COL_VALUE])
		return reader_fail(r, -EINVAL, "missing value field");
	if (type->len == 0)
		return reader_fail(r, -EINVAL, "missing type");
	if (pat_type_from_name(type->p, type->len, &e.type) != 0)
		return reader_fail(r, -EINVAL, "unknown type '%.*s'",
				   type->len > QUOTE_MAX ? QUOTE_MAX : (int)type->len,
				   type->p);
	e.generic_ip = is_generic_ip_name(type->p, type->len);
	e.value = fields[r->cols[COL_VALUE]].p;
	e.value_len = fields[r->cols[COL_VALUE]].len;
	csv_optional(fields, n, r->cols[COL_TAGS], &e.tags, &e.tags_len);
	csv_optional(fields, n, r->cols[COL_SOURCE], &e.source, &e.source_len);
	rc = csv_metadata(r, fields, n, &e);
	if (rc != 0)
		return rc;
	return reader_add(r, &e);
}

static int
csv_line(struct feed_reader *r, const char *line, size_t len)
{
	struct csv_field fields[CSV_FIELDS_MAX];
	unsigned int n;
	bool first = !r->seen_data;
	int rc;

	rc = feed_csv_split(r, line, len, fields, &n);
	if (rc != 0)
		return rc;
	r->seen_data = true;
	if (first && equals_ci(fields[0].p, fields[0].len, "type"))
		return csv_header(r, fields, n);
	if (first) {
		/* No header: type,value[,tags][,source]. */
		for (int i = 0; i < COL_POSITIONAL; i++)
			r->cols[i] = i;
		r->ncols = COL_POSITIONAL;
	}
	return csv_row(r, fields, n);
}

static int
plain_line(struct feed_reader *r, const char *line, size_t len)
{
	struct feed_entry e = {
		.detect = true,
		.value = line,
		.value_len = len,
		.tags = "",
		.source = "",
	};

	return reader_add(r, &e);
}

/* A line of a CSV or plain feed. */
static int
reader_line(struct feed_reader *r, const char *line, size_t len, void *ctx)
{
	(void)ctx;
	if (line[0] == '#')
		return 0;
	if (r->format == PAT_FEED_AUTO)
		r->format = memchr(line, ',', len) != NULL ? PAT_FEED_CSV :
							      PAT_FEED_PLAIN;
	if (r->format == PAT_FEED_CSV)
		return csv_line(r, line, len);
	return plain_line(r, line, len);
}

static int
lines_one(struct feed_reader *r, const char *line, size_t len,
	  feed_line_fn fn, void *ctx)
{
	/* A CRLF file allows the same line length as an LF one. */
	if (len - (len > 0 && line[len - 1] == '\r') > FEED_LINE_MAX)
		return reader_fail(r, -EINVAL, "line longer than %d bytes",
				   FEED_LINE_MAX);
	if (memchr(line, '\0', len) != NULL)
		return reader_fail(r, -EINVAL, "NUL byte in line");
	pat_trim(&line, &len);
	if (len == 0)
		return 0;
	return fn(r, line, len, ctx);
}

int
feed_reader_lines(struct feed_reader *r, const char *text, size_t len,
		  feed_line_fn fn, void *ctx)
{
	const char *p = text, *end = text + len, *nl;
	size_t line_len;
	int rc;

	r->where = NULL;
	r->line = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line_len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		r->line++;
		rc = lines_one(r, p, line_len, fn, ctx);
		if (rc != 0)
			return rc;
		p += line_len + (nl != NULL);
	}
	r->line = 0; /* what fails after the last line is about the file */
	return 0;
}

/* ---- format detection and dispatch ----------------------------------- */

/* '{', or '[' opening an array of objects (or an empty one): "[::1]" is
 * a plain IPv6 line. */
static size_t
skip_json_space(const char *text, size_t len, size_t i)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t' ||
			   text[i] == '\r' || text[i] == '\n'))
		i++;
	return i;
}

static bool
looks_like_json(const char *text, size_t len)
{
	size_t i = skip_json_space(text, len, 0);

	if (i < len && text[i] == '{')
		return true;
	if (i == len || text[i] != '[')
		return false;
	i = skip_json_space(text, len, i + 1);
	return i < len && (text[i] == '{' || text[i] == ']');
}

/* Zeek by a "#fields" or "#separator" line among the leading comments
 * (Zeek writes both first), MISP CSV by its header line; else AUTO (CSV
 * or plain, decided by reader_line()). */
static enum pat_feed_format
detect_text(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *line;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line = p;
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		p += n + (nl != NULL);
		pat_trim(&line, &n);
		if (n == 0)
			continue;
		if (line[0] != '#')
			return feed_misp_csv_is_header(line, n) ?
				       PAT_FEED_MISP_CSV : PAT_FEED_AUTO;
		if ((n > 7 && memcmp(line, "#fields", 7) == 0 &&
		     (line[7] == '\t' || line[7] == ' ')) ||
		    (n > 11 && memcmp(line, "#separator ", 11) == 0))
			return PAT_FEED_ZEEK;
	}
	return PAT_FEED_AUTO;
}

static int
reader_json(struct feed_reader *r, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	root = json_loadb(text != NULL ? text : "", len, 0, &jerr);
	if (root == NULL) {
		r->line = jerr.line > 0 ? (unsigned int)jerr.line : 0;
		if (jerr.column > 0)
			return reader_fail(r, -EINVAL,
					   "invalid JSON at column %d: %s",
					   jerr.column, jerr.text);
		return reader_fail(r, -EINVAL, "invalid JSON: %s", jerr.text);
	}
	if (r->format == PAT_FEED_AUTO) {
		if (feed_stix_detect(root))
			r->format = PAT_FEED_STIX;
		else if (feed_misp_json_detect(root))
			r->format = PAT_FEED_MISP_JSON;
	}
	if (r->format == PAT_FEED_STIX)
		rc = feed_stix_read(r, root);
	else if (r->format == PAT_FEED_MISP_JSON)
		rc = feed_misp_json_read(r, root);
	else
		rc = reader_fail(r, -EINVAL,
				 "JSON feed of unknown kind: expected a STIX 2.1 "
				 "bundle or a MISP event export");
	json_decref(root);
	return rc;
}

static int
reader_run(struct feed_reader *r, const char *text, size_t len)
{
	/* Spreadsheets save CSV with a UTF-8 byte order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (r->format == PAT_FEED_AUTO && looks_like_json(text, len))
		return reader_json(r, text, len);
	if (r->format == PAT_FEED_AUTO)
		r->format = detect_text(text, len);
	switch (r->format) {
	case PAT_FEED_STIX:
	case PAT_FEED_MISP_JSON:
		return reader_json(r, text, len);
	case PAT_FEED_MISP_CSV:
		return feed_misp_csv_read(r, text, len);
	case PAT_FEED_ZEEK:
		return feed_zeek_read(r, text, len);
	case PAT_FEED_SURICATA_STRING:
	case PAT_FEED_SURICATA_MD5:
	case PAT_FEED_SURICATA_SHA256:
	case PAT_FEED_SURICATA_IPV4:
	case PAT_FEED_SURICATA_IPV6:
		return feed_suricata_read(r, text, len, r->format);
	case PAT_FEED_AUTO:
	case PAT_FEED_CSV:
	case PAT_FEED_PLAIN:
		break;
	}
	return feed_reader_lines(r, text, len, reader_line, NULL);
}

void
pat_feed_init(struct pat_feed *feed)
{
	memset(feed, 0, sizeof(*feed));
}

void
pat_feed_free(struct pat_feed *feed)
{
	if (feed == NULL)
		return;
	free(feed->items);
	pat_arena_free(feed->arena);
	pat_feed_init(feed);
}

static int
reader_init(struct feed_reader *r, struct pat_feed *feed, const char *name,
	    const char *label, enum pat_feed_format format,
	    struct pat_error *err)
{
	memset(r, 0, sizeof(*r));
	r->feed = feed;
	r->label = label;
	r->err = err;
	r->format = format;
	for (int i = 0; i < COL_COUNT; i++)
		r->cols[i] = -1;
	feed->arena = pat_arena_new();
	if (feed->arena == NULL)
		return reader_nomem(r);
	feed->name = pat_arena_strndup(feed->arena, name, strlen(name));
	r->fields = malloc(FEED_LINE_MAX + 1);
	r->tags = malloc(FEED_TAGS_MAX + 1);
	r->key = malloc(DEDUP_KEY_MAX);
	r->dedup = pat_string_table_new(512);
	if (feed->name == NULL || r->fields == NULL || r->tags == NULL ||
	    r->key == NULL || r->dedup == NULL)
		return reader_nomem(r);
	return 0;
}

static void
reader_release(struct feed_reader *r)
{
	pat_string_table_free(r->dedup);
	free(r->key);
	free(r->fields);
	free(r->tags);
}

/* Any previous content of feed is freed first. */
int
pat_feed_parse(struct pat_feed *feed, const char *feed_name,
	       const char *file_label, const char *text, size_t len,
	       enum pat_feed_format format, struct pat_error *err)
{
	struct feed_reader r;
	int rc;

	if (feed_name == NULL)
		feed_name = "";
	if (file_label == NULL)
		file_label = feed_name;
	pat_feed_free(feed);
	rc = reader_init(&r, feed, feed_name, file_label, format, err);
	/* Empty text is an empty CSV or plain feed, but no JSON document. */
	if (rc == 0)
		rc = reader_run(&r, text != NULL ? text : "", len);
	reader_release(&r);
	if (rc != 0)
		pat_feed_free(feed);
	return rc;
}

/* The whole file, NUL-free or not: the parser judges the contents. */
static int
read_all(FILE *f, char **text, size_t *len)
{
	size_t cap = 0, n;
	char *buf = NULL, *grown;

	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap == 0 ? 64 * 1024 : cap * 2;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return errno != 0 ? -errno : -EIO;
	}
	*text = buf;
	return 0;
}

/* "feeds/3cx.csv" -> "3cx"; a leading dot is no extension. */
static char *
feed_name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t len;
	char *name;

	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	len = dot == NULL || dot == base ? strlen(base) : (size_t)(dot - base);
	name = malloc(len + 1);
	if (name == NULL)
		return NULL;
	memcpy(name, base, len);
	name[len] = '\0';
	return name;
}

int
pat_feed_load_file(struct pat_feed *feed, const char *path,
		   enum pat_feed_format format, struct pat_error *err)
{
	char *text = NULL, *name;
	size_t len = 0;
	FILE *f;
	int rc;

	pat_feed_free(feed);
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		pat_error_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	errno = 0;
	rc = read_all(f, &text, &len);
	fclose(f);
	if (rc != 0) {
		pat_error_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	name = feed_name_from_path(path);
	if (name == NULL) {
		free(text);
		pat_error_set(err, path, 0, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = pat_feed_parse(feed, name, path, text, len, format, err);
	free(name);
	free(text);
	return rc;
}

static const struct {
	const char *name;
	enum pat_feed_format format;
} feed_formats[] = {
	{ "auto", PAT_FEED_AUTO },
	{ "csv", PAT_FEED_CSV },
	{ "plain", PAT_FEED_PLAIN },
	{ "stix", PAT_FEED_STIX },
	{ "misp-csv", PAT_FEED_MISP_CSV },
	{ "misp-json", PAT_FEED_MISP_JSON },
	{ "zeek", PAT_FEED_ZEEK },
	{ "suricata-string", PAT_FEED_SURICATA_STRING },
	{ "suricata-md5", PAT_FEED_SURICATA_MD5 },
	{ "suricata-sha256", PAT_FEED_SURICATA_SHA256 },
	{ "suricata-ipv4", PAT_FEED_SURICATA_IPV4 },
	{ "suricata-ipv6", PAT_FEED_SURICATA_IPV6 },
};

int
pat_feed_format_from_name(const char *name, enum pat_feed_format *format)
{
	for (size_t i = 0; i < sizeof(feed_formats) / sizeof(feed_formats[0]);
	     i++) {
		if (strcmp(name, feed_formats[i].name) == 0) {
			*format = feed_formats[i].format;
			return 0;
		}
	}
	return -EINVAL;
}
