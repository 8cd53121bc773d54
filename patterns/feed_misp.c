/* feed_misp.c -- MISP attribute CSV exports and event JSON exports. */

/*
 * Both carry MISP attributes: a MISP type, a value, to_ids and a time.
 * Attributes whose to_ids is off are not meant for detection (MISP's own
 * rule) and are skipped and counted, as are types iocsift cannot match;
 * a value of a supported type that fails normalization stops the feed.
 * The type table is in docs/feeds.md.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_formats.h"
#include "feed_reader.h"

/* "/response/<i>/Event/Object/<j>/Attribute/<k>/value" */
#define MISP_WHERE_MAX 128

enum misp_map {
	MISP_ADD,   /* an indicator */
	MISP_PORT,  /* the port half of "ip-dst|port": ignored */
	MISP_SKIP,  /* not supported */
};

static const struct {
	const char *name;
	enum pat_type type;
	bool generic_ip;
} misp_types[] = {
	{ "domain", PAT_TYPE_DOMAIN, false },
	{ "hostname", PAT_TYPE_DOMAIN, false },
	{ "ip-src", PAT_TYPE_IPV4, true },
	{ "ip-dst", PAT_TYPE_IPV4, true },
	{ "ip", PAT_TYPE_IPV4, true },      /* the half of "domain|ip" */
	{ "md5", PAT_TYPE_MD5, false },
	{ "sha1", PAT_TYPE_SHA1, false },
	{ "sha256", PAT_TYPE_SHA256, false },
	{ "filename", PAT_TYPE_FILENAME, false },
	{ "url", PAT_TYPE_URL, false },
};

static enum misp_map
misp_map(const char *name, size_t len, struct feed_value *v)
{
	if (feed_equals_ci(name, len, "port"))
		return MISP_PORT;
	for (size_t i = 0; i < sizeof(misp_types) / sizeof(misp_types[0]); i++) {
		if (feed_equals_ci(name, len, misp_types[i].name)) {
			v->type = misp_types[i].type;
			v->generic_ip = misp_types[i].generic_ip;
			return MISP_ADD;
		}
	}
	return MISP_SKIP;
}

static void
misp_skip_type(struct feed_reader *r, const char *type, size_t len)
{
	int n = len > QUOTE_MAX ? QUOTE_MAX : (int)len;

	if (feed_equals_ci(type, len, "uri"))
		feed_reader_skip(r, true, "MISP type 'uri' (a path without a "
				 "host) is not supported");
	else if (feed_equals_ci(type, len, "regexp"))
		feed_reader_skip(r, true, "MISP type 'regexp' is not supported "
				 "(not written for Hyperscan)");
	else
		feed_reader_skip(r, true, "MISP type '%.*s' is not supported", n,
				 type);
}

/* One attribute: type "a" or "a|b" with value "x" or "x|y". v holds the
 * metadata; its type and value are set here. */
static int
misp_attribute(struct feed_reader *r, const char *type, size_t type_len,
	       const char *value, size_t value_len, struct feed_value *v)
{
	const char *tbar = memchr(type, '|', type_len);
	const char *vbar = memchr(value, '|', value_len);
	struct feed_value parts[2] = { *v, *v };
	enum misp_map map[2] = { MISP_PORT, MISP_PORT };
	size_t n = tbar != NULL ? 2 : 1;
	int rc = 0;

	if (tbar == NULL) {
		map[0] = misp_map(type, type_len, &parts[0]);
		parts[0].value = value;
		parts[0].value_len = value_len;
	} else {
		if (vbar == NULL)
			return feed_reader_fail(r, -EINVAL,
						"a '%.*s' value needs a '|'",
						type_len > QUOTE_MAX ? QUOTE_MAX :
								       (int)type_len,
						type);
		map[0] = misp_map(type, (size_t)(tbar - type), &parts[0]);
		map[1] = misp_map(tbar + 1, type_len - (size_t)(tbar - type) - 1,
				  &parts[1]);
		parts[0].value = value;
		parts[0].value_len = (size_t)(vbar - value);
		parts[1].value = vbar + 1;
		parts[1].value_len = value_len - parts[0].value_len - 1;
	}
	/* A composite loads whole or not at all: "filename|ssdeep" without
	 * its hash would be a bare, noisy file name. */
	if (map[0] == MISP_SKIP || map[1] == MISP_SKIP ||
	    (map[0] == MISP_PORT && map[1] == MISP_PORT)) {
		misp_skip_type(r, type, type_len);
		return 0;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct feed_value *p = &parts[i];

		if (map[i] != MISP_ADD)
			continue;
		/* MISP file names are often paths: keep the name. */
		if (p->type == PAT_TYPE_FILENAME) {
			for (size_t j = p->value_len; j > 0; j--) {
				if (p->value[j - 1] == '/' || p->value[j - 1] == '\\') {
					p->value_len -= j;
					p->value += j;
					break;
				}
			}
		}
		rc = feed_reader_add(r, p);
	}
	return rc;
}

/* Adds the tags of a comma-separated list one by one. */
static void
tags_add_list(struct feed_tags *t, const char *list, size_t len)
{
	const char *end = list + len;

	while (list < end) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		size_t n = comma != NULL ? (size_t)(comma - list) :
					   (size_t)(end - list);

		feed_tags_add(t, list, n);
		list += n + 1;
	}
}

/* ---- CSV --------------------------------------------------------------- */

enum misp_column {
	MISP_COL_EVENT_ID,
	MISP_COL_CATEGORY,
	MISP_COL_TYPE,
	MISP_COL_VALUE,
	MISP_COL_TO_IDS,
	MISP_COL_DATE,
	MISP_COL_TAGS,
	MISP_COL_COUNT,
};

static const char *const misp_column_names[MISP_COL_COUNT] = {
	"event_id", "category", "type", "value", "to_ids", "date",
	"attribute_tag",
};

struct misp_csv {
	bool header;
	int cols[MISP_COL_COUNT];
	unsigned int ncols;
	struct feed_tags tags;
	char source[96];
};

/* The field's text without surrounding quotes: good enough to recognize
 * a header, whose names never hold commas or quotes. */
static bool
header_has(const char *line, size_t len, const char *name, bool first_only)
{
	const char *p = line, *end = line + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *f = p;
		size_t n = comma != NULL ? (size_t)(comma - p) : (size_t)(end - p);

		p += n + 1;
		pat_trim(&f, &n);
		if (n >= 2 && f[0] == '"' && f[n - 1] == '"') {
			f++;
			n -= 2;
		}
		if (feed_equals_ci(f, n, name))
			return true;
		if (first_only)
			return false;
	}
	return false;
}

bool
feed_misp_csv_is_header(const char *line, size_t len)
{
	return header_has(line, len, "uuid", true) ||
	       (header_has(line, len, "event_id", false) &&
		header_has(line, len, "to_ids", false));
}

static int
misp_csv_header(struct feed_reader *r, struct misp_csv *c,
		const struct csv_field *fields, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		for (int col = 0; col < MISP_COL_COUNT; col++) {
			if (!feed_equals_ci(fields[i].p, fields[i].len,
					    misp_column_names[col]))
				continue;
			if (c->cols[col] >= 0)
				return feed_reader_fail(r, -EINVAL,
							"duplicate column '%s' in header",
							misp_column_names[col]);
			c->cols[col] = (int)i;
		}
	}
	if (c->cols[MISP_COL_TYPE] < 0 || c->cols[MISP_COL_VALUE] < 0)
		return feed_reader_fail(r, -EINVAL,
					"no MISP CSV header (uuid,event_id,category,"
					"type,value,...): it needs 'type' and "
					"'value' columns");
	c->ncols = n;
	c->header = true;
	return 0;
}

static struct csv_field
misp_csv_field(const struct misp_csv *c, const struct csv_field *fields,
	       unsigned int n, enum misp_column col)
{
	struct csv_field empty = { "", 0 };

	if (c->cols[col] < 0 || (unsigned int)c->cols[col] >= n)
		return empty;
	return fields[c->cols[col]];
}

static int
misp_csv_row(struct feed_reader *r, struct misp_csv *c,
	     const struct csv_field *fields, unsigned int n)
{
	struct csv_field type, value, to_ids, date, tags, category, event;
	struct feed_value v = { 0 };
	struct error_detail why;

	if (n > c->ncols)
		return feed_reader_fail(r, -EINVAL, "too many fields (at most %u)",
					c->ncols);
	type = misp_csv_field(c, fields, n, MISP_COL_TYPE);
	value = misp_csv_field(c, fields, n, MISP_COL_VALUE);
	if ((unsigned int)c->cols[MISP_COL_VALUE] >= n ||
	    (unsigned int)c->cols[MISP_COL_TYPE] >= n)
		return feed_reader_fail(r, -EINVAL, "missing type or value field");
	to_ids = misp_csv_field(c, fields, n, MISP_COL_TO_IDS);
	if (feed_equals_ci(to_ids.p, to_ids.len, "0") ||
	    feed_equals_ci(to_ids.p, to_ids.len, "false")) {
		feed_reader_skip(r, false, "to_ids is 0");
		return 0;
	}
	if (to_ids.len > 0 && !feed_equals_ci(to_ids.p, to_ids.len, "1") &&
	    !feed_equals_ci(to_ids.p, to_ids.len, "true"))
		return feed_reader_fail(r, -EINVAL, "to_ids must be 0 or 1");
	date = misp_csv_field(c, fields, n, MISP_COL_DATE);
	if (date.len > 0 &&
	    pat_parse_time(date.p, date.len, &v.first_seen, &why) != 0)
		return feed_reader_fail(r, -EINVAL, "date: %s", why.message);
	tags = misp_csv_field(c, fields, n, MISP_COL_TAGS);
	category = misp_csv_field(c, fields, n, MISP_COL_CATEGORY);
	c->tags.len = 0;
	c->tags.buf[0] = '\0';
	tags_add_list(&c->tags, tags.p, tags.len);
	feed_tags_add(&c->tags, category.p, category.len);
	v.tags = c->tags.buf;
	v.tags_len = c->tags.len;
	event = misp_csv_field(c, fields, n, MISP_COL_EVENT_ID);
	v.source = "";
	if (event.len > 0) {
		snprintf(c->source, sizeof(c->source), "misp:event/%.*s",
			 event.len > QUOTE_MAX ? QUOTE_MAX : (int)event.len,
			 event.p);
		v.source = c->source;
		v.source_len = strlen(c->source);
	}
	return misp_attribute(r, type.p, type.len, value.p, value.len, &v);
}

static int
misp_csv_line(struct feed_reader *r, const char *line, size_t len, void *ctx)
{
	struct csv_field fields[CSV_FIELDS_MAX];
	struct misp_csv *c = ctx;
	unsigned int n;
	int rc;

	if (line[0] == '#')
		return 0;
	rc = feed_csv_split(r, line, len, fields, &n);
	if (rc != 0)
		return rc;
	if (!c->header)
		return misp_csv_header(r, c, fields, n);
	return misp_csv_row(r, c, fields, n);
}

int
feed_misp_csv_read(struct feed_reader *r, const char *text, size_t len)
{
	struct misp_csv *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return feed_reader_fail(r, -ENOMEM, "out of memory");
	for (int i = 0; i < MISP_COL_COUNT; i++)
		c->cols[i] = -1;
	rc = feed_reader_lines(r, text, len, misp_csv_line, c);
	if (rc == 0 && !c->header)
		rc = feed_reader_fail(r, -EINVAL, "no MISP CSV header line");
	free(c);
	return rc;
}

/* ---- JSON -------------------------------------------------------------- */

struct misp_json {
	size_t attributes;            /* line of the next indicator */
	struct feed_tags event_tags;
	struct feed_tags tags;
	char source[96];
	char where[MISP_WHERE_MAX];
};

static void
misp_where(struct feed_reader *r, struct misp_json *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
misp_where(struct feed_reader *r, struct misp_json *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->where, sizeof(m->where), fmt, ap);
	va_end(ap);
	feed_reader_where(r, m->where);
}

/* The names of a "Tag" array ([{"name": "tlp:white"}, ...]). */
static int
misp_tags(struct feed_reader *r, json_t *owner, struct feed_tags *t)
{
	json_t *tags = json_object_get(owner, "Tag"), *tag, *name;
	size_t i;

	if (tags == NULL)
		return 0;
	if (!json_is_array(tags))
		return feed_reader_fail(r, -EINVAL, "\"Tag\" is not an array");
	json_array_foreach(tags, i, tag) {
		name = json_object_get(tag, "name");
		if (json_is_string(name))
			feed_tags_add(t, json_string_value(name),
				      json_string_length(name));
	}
	return 0;
}

/* to_ids may be true/false, "1"/"0" or 1/0 depending on the MISP version. */
static bool
misp_false(json_t *j)
{
	return json_is_false(j) ||
	       (json_is_integer(j) && json_integer_value(j) == 0) ||
	       (json_is_string(j) && (strcmp(json_string_value(j), "0") == 0 ||
				      strcmp(json_string_value(j), "false") == 0));
}

static int
misp_timestamp(struct feed_reader *r, json_t *ts, int64_t *seconds)
{
	struct error_detail why;

	if (ts == NULL)
		return 0;
	if (json_is_integer(ts)) {
		*seconds = (int64_t)json_integer_value(ts);
		return 0;
	}
	if (!json_is_string(ts))
		return feed_reader_fail(r, -EINVAL, "timestamp is not a string");
	if (pat_parse_time(json_string_value(ts), json_string_length(ts),
			   seconds, &why) != 0)
		return feed_reader_fail(r, -EINVAL, "timestamp: %s",
					why.message);
	return 0;
}

static int
misp_attribute_json(struct feed_reader *r, struct misp_json *m, json_t *attr,
	       const char *at)
{
	json_t *type = json_object_get(attr, "type");
	json_t *value = json_object_get(attr, "value");
	struct feed_value v = { 0 };
	int rc;

	v.line = (unsigned int)++m->attributes;
	misp_where(r, m, "%s", at);
	if (!json_is_object(attr))
		return feed_reader_fail(r, -EINVAL, "not a JSON object");
	if (!json_is_string(type) || !json_is_string(value))
		return feed_reader_fail(r, -EINVAL,
					"needs \"type\" and \"value\" strings");
	if (json_is_true(json_object_get(attr, "deleted"))) {
		feed_reader_skip(r, false, "deleted");
		return 0;
	}
	if (misp_false(json_object_get(attr, "to_ids"))) {
		feed_reader_skip(r, false, "to_ids is false");
		return 0;
	}
	rc = misp_timestamp(r, json_object_get(attr, "timestamp"),
			    &v.first_seen);
	m->tags = m->event_tags;
	if (rc == 0)
		rc = misp_tags(r, attr, &m->tags);
	if (rc != 0)
		return rc;
	v.tags = m->tags.buf;
	v.tags_len = m->tags.len;
	v.source = m->source;
	v.source_len = strlen(m->source);
	misp_where(r, m, "%s/value", at);
	return misp_attribute(r, json_string_value(type), json_string_length(type),
			      json_string_value(value), json_string_length(value),
			      &v);
}

static int
misp_attribute_list(struct feed_reader *r, struct misp_json *m, json_t *owner,
		const char *at)
{
	json_t *attrs = json_object_get(owner, "Attribute"), *attr;
	char where[MISP_WHERE_MAX];
	size_t i;
	int rc;

	if (attrs == NULL)
		return 0;
	if (!json_is_array(attrs)) {
		misp_where(r, m, "%s/Attribute", at);
		return feed_reader_fail(r, -EINVAL, "not an array");
	}
	json_array_foreach(attrs, i, attr) {
		snprintf(where, sizeof(where), "%s/Attribute/%zu", at, i);
		rc = misp_attribute_json(r, m, attr, where);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
misp_event(struct feed_reader *r, struct misp_json *m, json_t *event,
	   const char *at)
{
	json_t *uuid = json_object_get(event, "uuid");
	json_t *objects = json_object_get(event, "Object"), *obj;
	char where[MISP_WHERE_MAX];
	size_t i;
	int rc;

	misp_where(r, m, "%s", at);
	if (!json_is_object(event))
		return feed_reader_fail(r, -EINVAL, "not a JSON object");
	memset(&m->event_tags, 0, sizeof(m->event_tags));
	rc = misp_tags(r, event, &m->event_tags);
	if (rc != 0)
		return rc;
	m->source[0] = '\0';
	if (json_is_string(uuid))
		snprintf(m->source, sizeof(m->source), "misp:%.*s", QUOTE_MAX,
			 json_string_value(uuid));
	rc = misp_attribute_list(r, m, event, at);
	if (rc != 0 || objects == NULL)
		return rc;
	if (!json_is_array(objects)) {
		misp_where(r, m, "%s/Object", at);
		return feed_reader_fail(r, -EINVAL, "not an array");
	}
	json_array_foreach(objects, i, obj) {
		snprintf(where, sizeof(where), "%s/Object/%zu", at, i);
		if (!json_is_object(obj)) {
			misp_where(r, m, "%s", where);
			return feed_reader_fail(r, -EINVAL, "not a JSON object");
		}
		rc = misp_attribute_list(r, m, obj, where);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* {"Event": {...}} at where; an element of a list or of "response". */
static int
misp_wrapped_event(struct feed_reader *r, struct misp_json *m, json_t *item,
		   const char *at)
{
	char where[MISP_WHERE_MAX];

	if (json_object_get(item, "Event") == NULL) {
		misp_where(r, m, "%s", at);
		return feed_reader_fail(r, -EINVAL, "no \"Event\" member");
	}
	snprintf(where, sizeof(where), "%s/Event", at);
	return misp_event(r, m, json_object_get(item, "Event"), where);
}

/* A feed's manifest.json: {"<event uuid>": {"info": ..., "timestamp":
 * ...}, ...}; it lists events and holds no attribute. */
static bool
is_manifest(json_t *root)
{
	const char *key;
	json_t *value;

	if (!json_is_object(root) || json_object_size(root) == 0)
		return false;
	json_object_foreach(root, key, value)
		if (!json_is_object(value) ||
		    (json_object_get(value, "info") == NULL &&
		     json_object_get(value, "timestamp") == NULL))
			return false;
	return true;
}

bool
feed_misp_json_detect(json_t *root)
{
	if (json_is_array(root))
		return json_array_size(root) == 0 ||
		       json_object_get(json_array_get(root, 0), "Event") != NULL;
	return json_object_get(root, "Event") != NULL ||
	       json_object_get(root, "response") != NULL || is_manifest(root);
}

static int
misp_list(struct feed_reader *r, struct misp_json *m, json_t *list,
	  const char *at)
{
	char where[MISP_WHERE_MAX];
	json_t *item;
	size_t i;
	int rc;

	json_array_foreach(list, i, item) {
		snprintf(where, sizeof(where), "%s/%zu", at, i);
		rc = misp_wrapped_event(r, m, item, where);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
misp_root(struct feed_reader *r, struct misp_json *m, json_t *root)
{
	json_t *response = json_object_get(root, "response");

	if (json_is_array(root))
		return misp_list(r, m, root, "");
	if (json_object_get(root, "Event") != NULL)
		return misp_wrapped_event(r, m, root, "");
	/* restSearch: a list of events, or {"Attribute": [...]} */
	if (json_is_array(response))
		return misp_list(r, m, response, "/response");
	if (json_is_object(response))
		return misp_event(r, m, response, "/response");
	if (is_manifest(root)) {
		const char *first = json_object_iter_key(json_object_iter(root));

		return feed_reader_fail(r, -EINVAL,
					"MISP feed manifest: load the event files "
					"it lists (%.*s.json, ...) instead",
					QUOTE_MAX, first);
	}
	return feed_reader_fail(r, -EINVAL,
				"not a MISP event export: expected "
				"{\"Event\": {...}}, a list of them or "
				"{\"response\": [...]}");
}

int
feed_misp_json_read(struct feed_reader *r, json_t *root)
{
	struct misp_json *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return feed_reader_fail(r, -ENOMEM, "out of memory");
	rc = misp_root(r, m, root);
	feed_reader_where(r, NULL);
	free(m);
	return rc;
}
