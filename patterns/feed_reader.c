/* feed_reader.c -- the core every feed format reader hands its records
 * to: normalization, tags and source, duplicates, errors and skips, lines
 * and CSV fields. The readers (feed_csv.c, feed_stix.c, feed_misp.c,
 * feed_zeek.c, feed_suricata.c) sit above it; feed.c picks the reader. */

/*
 * Each value goes through normalize.c (refang, type rules, canonical
 * form); this file keeps the first of two equal indicators and gives it
 * the tags of both. The formats, for operators, are in docs/feeds.md.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "feed_reader.h"
#include "key_hash.h"
#include "string_table.h"

/* A duplicate key: type byte, prefix length byte, then the value, which
 * is never longer than its line. */
#define DEDUP_KEY_MAX (2 + FEED_LINE_MAX)

bool
feed_equals_ci(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
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

static int
reader_vfail(struct feed_reader *r, int rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int
reader_vfail(struct feed_reader *r, int rc, const char *fmt, va_list ap)
{
	char message[sizeof(r->err->message)];

	vsnprintf(message, sizeof(message), fmt, ap);
	if (r->where != NULL && r->where[0] != '\0')
		error_detail_set(r->err, r->label, r->line, "%s: %s", r->where,
			      message);
	else
		error_detail_set(r->err, r->label, r->line, "%s", message);
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

int
feed_reader_nomem(struct feed_reader *r)
{
	return feed_reader_fail(r, -ENOMEM, "out of memory");
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
		return feed_reader_fail(r, -EINVAL, "tags longer than %d bytes",
					FEED_TAGS_MAX);
	if (n == 0) {
		*tags = "";
		return 0;
	}
	if (r->last_tags == NULL || strcmp(r->last_tags, r->tags) != 0) {
		r->last_tags = pat_arena_strndup(r->feed->arena, r->tags, n);
		if (r->last_tags == NULL)
			return feed_reader_nomem(r);
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
			return feed_reader_nomem(r);
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
		return feed_reader_fail(r, -EINVAL,
					"tags longer than %d bytes after merging duplicates",
					FEED_TAGS_MAX);
	if (n == before)
		return 0;
	merged = pat_arena_strndup(r->feed->arena, r->tags, n);
	if (merged == NULL)
		return feed_reader_nomem(r);
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
		return feed_reader_fail(r, -EINVAL, "value longer than %d bytes",
					FEED_LINE_MAX);
	if ((uint64_t)feed->count > UINT32_MAX)
		return feed_reader_fail(r, -EINVAL, "more than %lu indicators",
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
		return feed_reader_nomem(r);
	return 0;
}

int
feed_reader_add(struct feed_reader *r, const struct feed_value *v)
{
	struct pat_arena *arena = r->feed->arena;
	enum pat_type type = v->type;
	struct pat_indicator ind;
	struct error_detail why;
	int rc;

	/* Refanging neither adds nor removes a ':': the raw value tells. */
	if (v->generic_ip)
		type = memchr(v->value, ':', v->value_len) != NULL ?
			       PAT_TYPE_IPV6 : PAT_TYPE_IPV4;
	if (v->detect)
		rc = pat_normalize_untyped(arena, v->value, v->value_len, &ind,
					   &why);
	else
		rc = pat_normalize(arena, type, v->value, v->value_len, &ind,
				   &why);
	if (rc != 0)
		return feed_reader_fail(r, rc, "%s", why.message);
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
			return feed_reader_fail(r, -EINVAL, "unterminated quoted field");
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
		return feed_reader_fail(r, -EINVAL,
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
			return feed_reader_fail(r, -EINVAL, "too many fields (more than %d)",
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
static int
lines_one(struct feed_reader *r, const char *line, size_t len,
	  feed_line_fn fn, void *ctx)
{
	/* A CRLF file allows the same line length as an LF one. */
	if (len - (len > 0 && line[len - 1] == '\r') > FEED_LINE_MAX)
		return feed_reader_fail(r, -EINVAL, "line longer than %d bytes",
					FEED_LINE_MAX);
	if (memchr(line, '\0', len) != NULL)
		return feed_reader_fail(r, -EINVAL, "NUL byte in line");
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

int
feed_reader_init(struct feed_reader *r, struct pat_feed *feed,
		 const char *name, const char *label, struct error_detail *err)
{
	memset(r, 0, sizeof(*r));
	r->feed = feed;
	r->label = label;
	r->err = err;
	feed->arena = pat_arena_new();
	if (feed->arena == NULL)
		return feed_reader_nomem(r);
	feed->name = pat_arena_strndup(feed->arena, name, strlen(name));
	r->fields = malloc(FEED_LINE_MAX + 1);
	r->tags = malloc(FEED_TAGS_MAX + 1);
	r->key = malloc(DEDUP_KEY_MAX);
	r->dedup = pat_string_table_new(512);
	if (feed->name == NULL || r->fields == NULL || r->tags == NULL ||
	    r->key == NULL || r->dedup == NULL)
		return feed_reader_nomem(r);
	return 0;
}

void
feed_reader_release(struct feed_reader *r)
{
	pat_string_table_free(r->dedup);
	free(r->key);
	free(r->fields);
	free(r->tags);
}

