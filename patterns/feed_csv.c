/* feed_csv.c -- CSV feeds (type,value[,tags][,source], or any columns
 * named by a header) and plain feeds (one value a line, type detected). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "feed_formats.h"
#include "feed_reader.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

/* What a CSV or plain feed's lines share. */
struct csv_state {
	enum feed_text_kind kind;      /* AUTO until the first data line */
	bool seen_data;                /* a later "type,..." is no header */
	int cols[COL_COUNT];           /* column of each field, -1 absent */
	unsigned int ncols;            /* fields a row may have */
};

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
csv_header(struct feed_reader *r, struct csv_state *s,
	   const struct csv_field *fields, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(csv_column_names); j++) {
			enum csv_column col = csv_column_names[j].col;

			if (!feed_equals_ci(fields[i].p, fields[i].len,
				       csv_column_names[j].name))
				continue;
			if (s->cols[col] >= 0)
				return feed_reader_fail(r, -EINVAL,
							"duplicate column '%.*s' in header",
							(int)fields[i].len, fields[i].p);
			s->cols[col] = (int)i;
		}
	}
	if (s->cols[COL_VALUE] < 0)
		return feed_reader_fail(r, -EINVAL, "header has no 'value' column");
	s->ncols = n;
	return 0;
}

static bool
is_generic_ip_name(const char *s, size_t len)
{
	return feed_equals_ci(s, len, "ip") || feed_equals_ci(s, len, "ip-src") ||
	       feed_equals_ci(s, len, "ip-dst");
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
csv_metadata(struct feed_reader *r, const struct csv_state *s,
	     const struct csv_field *fields, unsigned int n,
	     struct feed_entry *e)
{
	struct error_detail why;
	const char *p;
	size_t len;

	csv_optional(fields, n, s->cols[COL_SEVERITY], &p, &len);
	if (len > 0 && pat_parse_severity(p, len, &e->severity, &why) != 0)
		return feed_reader_fail(r, -EINVAL, "%s", why.message);
	csv_optional(fields, n, s->cols[COL_FIRST_SEEN], &p, &len);
	if (len > 0 && pat_parse_time(p, len, &e->first_seen, &why) != 0)
		return feed_reader_fail(r, -EINVAL, "first_seen: %s",
					why.message);
	csv_optional(fields, n, s->cols[COL_EXPIRES], &p, &len);
	if (len > 0 && pat_parse_time(p, len, &e->expires, &why) != 0)
		return feed_reader_fail(r, -EINVAL, "expires: %s", why.message);
	return 0;
}

static int
csv_row(struct feed_reader *r, const struct csv_state *s,
	const struct csv_field *fields, unsigned int n)
{
	const struct csv_field *type = &fields[s->cols[COL_TYPE]];
	struct feed_entry e = { 0 };
	int rc;

	if (n > s->ncols)
		return feed_reader_fail(r, -EINVAL, "too many fields (at most %u)",
					s->ncols);
	if (n <= (unsigned int)s->cols[COL_VALUE])
		return feed_reader_fail(r, -EINVAL, "missing value field");
	if (type->len == 0)
		return feed_reader_fail(r, -EINVAL, "missing type");
	if (pat_type_from_name(type->p, type->len, &e.type) != 0)
		return feed_reader_fail(r, -EINVAL, "unknown type '%.*s'",
					type->len > QUOTE_MAX ? QUOTE_MAX : (int)type->len,
					type->p);
	e.generic_ip = is_generic_ip_name(type->p, type->len);
	e.value = fields[s->cols[COL_VALUE]].p;
	e.value_len = fields[s->cols[COL_VALUE]].len;
	csv_optional(fields, n, s->cols[COL_TAGS], &e.tags, &e.tags_len);
	csv_optional(fields, n, s->cols[COL_SOURCE], &e.source, &e.source_len);
	rc = csv_metadata(r, s, fields, n, &e);
	if (rc != 0)
		return rc;
	return reader_add(r, &e);
}

static int
csv_line(struct feed_reader *r, struct csv_state *s, const char *line,
	 size_t len)
{
	struct csv_field fields[CSV_FIELDS_MAX];
	unsigned int n;
	bool first = !s->seen_data;
	int rc;

	rc = feed_csv_split(r, line, len, fields, &n);
	if (rc != 0)
		return rc;
	s->seen_data = true;
	if (first && feed_equals_ci(fields[0].p, fields[0].len, "type"))
		return csv_header(r, s, fields, n);
	if (first) {
		/* No header: type,value[,tags][,source]. */
		for (int i = 0; i < COL_POSITIONAL; i++)
			s->cols[i] = i;
		s->ncols = COL_POSITIONAL;
	}
	return csv_row(r, s, fields, n);
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
	struct csv_state *s = ctx;

	if (line[0] == '#')
		return 0;
	if (s->kind == FEED_TEXT_AUTO)
		s->kind = memchr(line, ',', len) != NULL ? FEED_TEXT_CSV :
							    FEED_TEXT_PLAIN;
	if (s->kind == FEED_TEXT_CSV)
		return csv_line(r, s, line, len);
	return plain_line(r, line, len);
}


int
feed_text_read(struct feed_reader *r, const char *text, size_t len,
	       enum feed_text_kind kind)
{
	struct csv_state s = { .kind = kind };

	for (int i = 0; i < COL_COUNT; i++)
		s.cols[i] = -1;
	return feed_reader_lines(r, text, len, reader_line, &s);
}
