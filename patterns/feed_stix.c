/* feed_stix.c -- indicators of STIX 2.1 bundles (the pattern subset). */

/*
 * An indicator's pattern is parsed whole (the STIX 2.1 patterning grammar:
 * observation expressions, qualifiers, comparisons, literals), so a syntax
 * error is an error. Only a pattern that is equality comparisons on
 * supported object paths joined by OR becomes indicators; anything else
 * (AND, FOLLOWEDBY, qualifiers, other operators or paths) means the
 * pattern needs more than one atom to match and the indicator is skipped
 * and counted, never loaded in part. What is skipped and what is refused
 * is listed in docs/feeds.md.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_formats.h"
#include "feed_reader.h"

/* Parentheses nest at most this deep. */
#define STIX_DEPTH_MAX 64
/* A JSON pointer into a bundle: "/objects/<index>/valid_until". */
#define STIX_WHERE_MAX 64

struct stix_cmp {
	enum pat_type type;
	const char *value;  /* unescaped, in parser.buf */
	size_t len;
};

struct stix_parser {
	const char *s;
	size_t len, pos;
	char *buf;               /* unescaped strings, as long as the pattern */
	size_t buf_len;
	struct stix_cmp *cmps;   /* the comparisons to load */
	size_t n, cap;
	unsigned int depth;
	bool nomem;
	char error[128];         /* syntax error, "" when none */
	char unsupported[128];   /* first unsupported construct, "" when none */
};

/* A component of an object path, unescaped. */
struct stix_path {
	const char *start;       /* the path as written, for messages */
	size_t written;
	const char *type;
	size_t type_len;
	const char *comp[2];     /* first two property components */
	size_t comp_len[2];
	unsigned int ncomp;      /* components of any kind */
};

/* Records a syntax error (the first) at the current offset. */
static bool
fail(struct stix_parser *p, const char *what)
{
	if (p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "%s at offset %zu", what,
			 p->pos);
	return false;
}

/* Records why the pattern cannot be loaded (the first reason). */
static void
unsupported(struct stix_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
unsupported(struct stix_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->unsupported[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(p->unsupported, sizeof(p->unsupported), fmt, ap);
	va_end(ap);
}

static void
skip_space(struct stix_parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

static size_t
quote_len(size_t len)
{
	return len > QUOTE_MAX ? QUOTE_MAX : len;
}

static bool
is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The keyword word at the current position (any case), consumed. */
static bool
keyword(struct stix_parser *p, const char *word)
{
	size_t n = strlen(word);

	skip_space(p);
	if (p->len - p->pos < n || strncasecmp(p->s + p->pos, word, n) != 0 ||
	    (p->pos + n < p->len && is_word_char(p->s[p->pos + n])))
		return false;
	p->pos += n;
	return true;
}

static bool
punct(struct stix_parser *p, char c)
{
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	return false;
}

static bool
expect(struct stix_parser *p, char c)
{
	char what[16];

	if (punct(p, c))
		return true;
	snprintf(what, sizeof(what), "expected '%c'", c);
	return fail(p, what);
}

/* 'text' with \' and \\ escapes, unescaped into p->buf. */
static bool
string_literal(struct stix_parser *p, const char **out, size_t *out_len)
{
	char *start = p->buf + p->buf_len;

	if (p->pos >= p->len || p->s[p->pos] != '\'')
		return fail(p, "expected a quoted string");
	for (p->pos++; p->pos < p->len; p->pos++) {
		char c = p->s[p->pos];

		if (c == '\'') {
			p->pos++;
			*out = start;
			*out_len = (size_t)(p->buf + p->buf_len - start);
			return true;
		}
		if (c == '\\') {
			if (p->pos + 1 == p->len ||
			    (p->s[p->pos + 1] != '\'' && p->s[p->pos + 1] != '\\'))
				return fail(p, "invalid escape (only \\' and \\\\)");
			c = p->s[++p->pos];
		}
		p->buf[p->buf_len++] = c;
	}
	return fail(p, "unterminated string");
}

static bool
digits(struct stix_parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

/* Any literal; *is_string when it is a plain 'string'. */
static bool
literal(struct stix_parser *p, const char **str, size_t *str_len,
	bool *is_string)
{
	char c;

	*is_string = false;
	skip_space(p);
	if (p->pos == p->len)
		return fail(p, "expected a value");
	c = p->s[p->pos];
	if (c == '\'') {
		*is_string = true;
		return string_literal(p, str, str_len);
	}
	if ((c == 'b' || c == 'h' || c == 't') && p->pos + 1 < p->len &&
	    p->s[p->pos + 1] == '\'') {
		p->pos++;
		return string_literal(p, str, str_len);
	}
	if (keyword(p, "true") || keyword(p, "false"))
		return true;
	if (c == '-' || c == '+')
		p->pos++;
	if (!digits(p))
		return fail(p, "expected a value");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return fail(p, "expected digits after '.'");
	}
	return true;
}

/* ( literal, ... ) for IN. */
static bool
set_literal(struct stix_parser *p)
{
	const char *s;
	size_t n;
	bool str;

	if (!expect(p, '('))
		return false;
	do {
		if (!literal(p, &s, &n, &str))
			return false;
	} while (punct(p, ','));
	return expect(p, ')');
}

static bool
identifier(struct stix_parser *p, const char **id, size_t *len)
{
	size_t start = p->pos;

	while (p->pos < p->len && is_word_char(p->s[p->pos]))
		p->pos++;
	*id = p->s + start;
	*len = p->pos - start;
	return *len > 0 || fail(p, "expected a name");
}

static bool
path_component(struct stix_parser *p, struct stix_path *path, bool quoted_ok)
{
	const char *c;
	size_t n;

	if (quoted_ok && p->pos < p->len && p->s[p->pos] == '\'') {
		if (!string_literal(p, &c, &n))
			return false;
	} else if (!identifier(p, &c, &n)) {
		return false;
	}
	if (path->ncomp < 2) {
		path->comp[path->ncomp] = c;
		path->comp_len[path->ncomp] = n;
	}
	path->ncomp++;
	return true;
}

/* type:prop(.prop|.'quoted'|[n]|[*])* */
static bool
object_path(struct stix_parser *p, struct stix_path *path)
{
	memset(path, 0, sizeof(*path));
	skip_space(p);
	path->start = p->s + p->pos;
	if (!identifier(p, &path->type, &path->type_len) || !expect(p, ':') ||
	    !path_component(p, path, true))
		return false;
	for (;;) {
		if (p->pos < p->len && p->s[p->pos] == '.') {
			p->pos++;
			if (!path_component(p, path, true))
				return false;
		} else if (p->pos < p->len && p->s[p->pos] == '[') {
			p->pos++;
			path->ncomp += 2; /* a list index is never supported */
			if (!punct(p, '*')) {
				punct(p, '-');
				if (!digits(p))
					return fail(p, "expected a list index");
			}
			if (!expect(p, ']'))
				return false;
		} else {
			break;
		}
	}
	path->written = (size_t)(p->s + p->pos - path->start);
	return true;
}

static bool
path_is(const struct stix_path *path, const char *type, const char *prop)
{
	return feed_equals_ci(path->type, path->type_len, type) &&
	       path->ncomp == 1 &&
	       feed_equals_ci(path->comp[0], path->comp_len[0], prop);
}

static const struct {
	const char *name;
	enum pat_type type;
} stix_hashes[] = {
	{ "MD5", PAT_TYPE_MD5 },
	{ "SHA-1", PAT_TYPE_SHA1 },
	{ "SHA1", PAT_TYPE_SHA1 },
	{ "SHA-256", PAT_TYPE_SHA256 },
	{ "SHA256", PAT_TYPE_SHA256 },
};

/* The indicator type of an object path; false (and a reason) if none. */
static bool
path_type(struct stix_parser *p, const struct stix_path *path,
	  enum pat_type *type)
{
	if (path_is(path, "domain-name", "value"))
		*type = PAT_TYPE_DOMAIN;
	else if (path_is(path, "ipv4-addr", "value"))
		*type = PAT_TYPE_IPV4;
	else if (path_is(path, "ipv6-addr", "value"))
		*type = PAT_TYPE_IPV6;
	else if (path_is(path, "url", "value"))
		*type = PAT_TYPE_URL;
	else if (path_is(path, "file", "name"))
		*type = PAT_TYPE_FILENAME;
	else if (feed_equals_ci(path->type, path->type_len, "file") &&
		 path->ncomp == 2 &&
		 feed_equals_ci(path->comp[0], path->comp_len[0], "hashes")) {
		for (size_t i = 0; i < sizeof(stix_hashes) / sizeof(stix_hashes[0]);
		     i++) {
			if (feed_equals_ci(path->comp[1], path->comp_len[1],
					   stix_hashes[i].name)) {
				*type = stix_hashes[i].type;
				return true;
			}
		}
		unsupported(p, "hash '%.*s' is not supported",
			    (int)quote_len(path->comp_len[1]), path->comp[1]);
		return false;
	} else {
		unsupported(p, "object path '%.*s' is not supported",
			    (int)quote_len(path->written), path->start);
		return false;
	}
	return true;
}

static bool
cmp_push(struct stix_parser *p, enum pat_type type, const char *value,
	 size_t len)
{
	if (p->n == p->cap) {
		size_t cap = p->cap == 0 ? 8 : p->cap * 2;
		struct stix_cmp *cmps = realloc(p->cmps, cap * sizeof(*cmps));

		if (cmps == NULL)
			return false;
		p->cmps = cmps;
		p->cap = cap;
	}
	p->cmps[p->n++] = (struct stix_cmp){ type, value, len };
	return true;
}

static const char *const stix_operators[] = {
	"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET",
};

static bool comparison_or(struct stix_parser *p);

/* objectPath [NOT] op value | EXISTS objectPath | ( comparisons ) */
static bool
comparison(struct stix_parser *p)
{
	struct stix_path path;
	const char *op = NULL, *value;
	size_t value_len;
	bool is_string;
	enum pat_type type;

	if (punct(p, '(')) {
		if (++p->depth > STIX_DEPTH_MAX)
			return fail(p, "parentheses nested too deep");
		if (!comparison_or(p) || !expect(p, ')'))
			return false;
		p->depth--;
		return true;
	}
	if (keyword(p, "EXISTS")) {
		unsupported(p, "EXISTS is not supported");
		return object_path(p, &path);
	}
	if (!object_path(p, &path))
		return false;
	if (keyword(p, "NOT"))
		unsupported(p, "NOT is not supported");
	skip_space(p);
	if (punct(p, '=')) {
		op = "=";
	} else if (punct(p, '!')) {
		if (!expect(p, '='))
			return false;
		unsupported(p, "operator != is not supported");
	} else if (p->pos < p->len &&
		   (p->s[p->pos] == '<' || p->s[p->pos] == '>')) {
		char c = p->s[p->pos++];
		bool or_equal = p->pos < p->len && p->s[p->pos] == '=';

		p->pos += or_equal;
		unsupported(p, "operator %c%s is not supported", c,
			    or_equal ? "=" : "");
	} else if (keyword(p, "IN")) {
		unsupported(p, "operator IN is not supported");
		return set_literal(p);
	} else {
		for (size_t i = 0;
		     i < sizeof(stix_operators) / sizeof(stix_operators[0]); i++) {
			if (keyword(p, stix_operators[i])) {
				op = stix_operators[i];
				break;
			}
		}
		if (op == NULL)
			return fail(p, "expected a comparison operator");
		unsupported(p, "operator %s is not supported", op);
	}
	if (!literal(p, &value, &value_len, &is_string))
		return false;
	if (op == NULL || op[0] != '=')
		return true;
	if (!is_string) {
		unsupported(p, "a value that is not a string is not supported");
		return true;
	}
	if (!path_type(p, &path, &type))
		return true;
	if (!cmp_push(p, type, value, value_len)) {
		p->nomem = true;
		return false;
	}
	return true;
}

typedef bool (*stix_rule)(struct stix_parser *p);

/* operand (op operand)*: every level of the grammar but the innermost.
 * Only OR keeps each operand a match on its own. */
static bool
chain(struct stix_parser *p, stix_rule operand, const char *op)
{
	if (!operand(p))
		return false;
	while (keyword(p, op)) {
		if (strcmp(op, "OR") != 0)
			unsupported(p, "%s is not supported", op);
		if (!operand(p))
			return false;
	}
	return true;
}

static bool
comparison_and(struct stix_parser *p)
{
	return chain(p, comparison, "AND");
}

static bool
comparison_or(struct stix_parser *p)
{
	return chain(p, comparison_and, "OR");
}

/* WITHIN n SECONDS | REPEATS n TIMES | START t'..' STOP t'..' */
static bool
qualifier(struct stix_parser *p, bool *found)
{
	const char *s;
	size_t n;
	bool str;

	*found = true;
	if (keyword(p, "WITHIN")) {
		unsupported(p, "qualifier WITHIN is not supported");
		return literal(p, &s, &n, &str) &&
		       (keyword(p, "SECONDS") || fail(p, "expected SECONDS"));
	}
	if (keyword(p, "REPEATS")) {
		unsupported(p, "qualifier REPEATS is not supported");
		return literal(p, &s, &n, &str) &&
		       (keyword(p, "TIMES") || fail(p, "expected TIMES"));
	}
	if (keyword(p, "START")) {
		unsupported(p, "qualifier START is not supported");
		return literal(p, &s, &n, &str) &&
		       (keyword(p, "STOP") || fail(p, "expected STOP")) &&
		       literal(p, &s, &n, &str);
	}
	*found = false;
	return true;
}

static bool observation_followed(struct stix_parser *p);

/* [ comparisons ] | ( observations ), then qualifiers. */
static bool
observation(struct stix_parser *p)
{
	bool found = true;

	if (punct(p, '[')) {
		if (!comparison_or(p) || !expect(p, ']'))
			return false;
	} else if (punct(p, '(')) {
		if (++p->depth > STIX_DEPTH_MAX)
			return fail(p, "parentheses nested too deep");
		if (!observation_followed(p) || !expect(p, ')'))
			return false;
		p->depth--;
	} else {
		return fail(p, "expected '[' or '('");
	}
	while (found)
		if (!qualifier(p, &found))
			return false;
	return true;
}

static bool
observation_and(struct stix_parser *p)
{
	return chain(p, observation, "AND");
}

static bool
observation_or(struct stix_parser *p)
{
	return chain(p, observation_and, "OR");
}

static bool
observation_followed(struct stix_parser *p)
{
	return chain(p, observation_or, "FOLLOWEDBY");
}

/* Parses the whole pattern; -ENOMEM, -EINVAL (p->error) or 0. */
static int
pattern_parse(struct stix_parser *p, const char *s, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->len = len;
	p->buf = malloc(len + 1);
	if (p->buf == NULL)
		return -ENOMEM;
	if (!observation_followed(p))
		return p->nomem ? -ENOMEM : -EINVAL;
	skip_space(p);
	if (p->pos != p->len) {
		fail(p, "unexpected text after the pattern");
		return -EINVAL;
	}
	return 0;
}

static void
pattern_free(struct stix_parser *p)
{
	free(p->buf);
	free(p->cmps);
}

/* ---- the bundle ------------------------------------------------------- */

struct stix_indicator {
	size_t index;
	char where[STIX_WHERE_MAX];
	struct feed_value v;
	struct feed_tags tags;
	char source[320];
};

static void
set_where(struct feed_reader *r, struct stix_indicator *si, const char *member)
{
	if (member != NULL)
		snprintf(si->where, sizeof(si->where), "/objects/%zu/%s",
			 si->index, member);
	else
		snprintf(si->where, sizeof(si->where), "/objects/%zu", si->index);
	feed_reader_where(r, si->where);
}

/* A timestamp member into *seconds; absent is 0. */
static int
stix_time(struct feed_reader *r, struct stix_indicator *si, json_t *obj,
	  const char *member, int64_t *seconds)
{
	json_t *t = json_object_get(obj, member);
	struct error_detail why;

	*seconds = 0;
	if (t == NULL)
		return 0;
	set_where(r, si, member);
	if (!json_is_string(t))
		return feed_reader_fail(r, -EINVAL, "not a string");
	if (pat_parse_time(json_string_value(t), json_string_length(t), seconds,
			   &why) != 0)
		return feed_reader_fail(r, -EINVAL, "%s", why.message);
	return 0;
}

static int
stix_labels(struct feed_reader *r, struct stix_indicator *si, json_t *obj)
{
	json_t *labels = json_object_get(obj, "labels"), *label;
	size_t i;

	if (labels == NULL)
		return 0;
	set_where(r, si, "labels");
	if (!json_is_array(labels))
		return feed_reader_fail(r, -EINVAL, "not an array");
	json_array_foreach(labels, i, label) {
		if (!json_is_string(label))
			return feed_reader_fail(r, -EINVAL,
						"label %zu is not a string", i);
		feed_tags_add(&si->tags, json_string_value(label),
			      json_string_length(label));
	}
	return 0;
}

/* Metadata shared by every comparison of the pattern. */
static int
stix_metadata(struct feed_reader *r, struct stix_indicator *si, json_t *obj)
{
	json_t *id = json_object_get(obj, "id");
	int rc;

	rc = stix_time(r, si, obj, "valid_until", &si->v.expires);
	if (rc == 0)
		rc = stix_time(r, si, obj, "valid_from", &si->v.first_seen);
	if (rc == 0 && si->v.first_seen == 0)
		rc = stix_time(r, si, obj, "created", &si->v.first_seen);
	if (rc == 0)
		rc = stix_labels(r, si, obj);
	if (rc != 0)
		return rc;
	si->v.tags = si->tags.buf;
	si->v.tags_len = si->tags.len;
	if (json_is_string(id) && json_string_length(id) > 0) {
		snprintf(si->source, sizeof(si->source), "stix:%s",
			 json_string_value(id));
		si->v.source = si->source;
		si->v.source_len = strlen(si->source);
	} else {
		si->v.source = "";
	}
	return 0;
}

static int
stix_pattern(struct feed_reader *r, struct stix_indicator *si, json_t *pattern)
{
	struct stix_parser p;
	int rc;

	set_where(r, si, "pattern");
	if (!json_is_string(pattern))
		return feed_reader_fail(r, -EINVAL, pattern == NULL ?
					"missing" : "not a string");
	rc = pattern_parse(&p, json_string_value(pattern),
			   json_string_length(pattern));
	if (rc == -ENOMEM)
		rc = feed_reader_fail(r, rc, "out of memory");
	else if (rc != 0)
		rc = feed_reader_fail(r, rc, "STIX pattern syntax error: %s",
				      p.error);
	else if (p.unsupported[0] != '\0')
		feed_reader_skip(r, true, "%s", p.unsupported);
	else {
		for (size_t i = 0; rc == 0 && i < p.n; i++) {
			si->v.type = p.cmps[i].type;
			si->v.value = p.cmps[i].value;
			si->v.value_len = p.cmps[i].len;
			rc = feed_reader_add(r, &si->v);
		}
	}
	pattern_free(&p);
	return rc;
}

static int
stix_object(struct feed_reader *r, struct stix_indicator *si, json_t *obj)
{
	json_t *type = json_object_get(obj, "type");
	json_t *pattern_type = json_object_get(obj, "pattern_type");
	int rc;

	set_where(r, si, NULL);
	if (!json_is_object(obj))
		return feed_reader_fail(r, -EINVAL, "not a JSON object");
	if (!json_is_string(type))
		return feed_reader_fail(r, -EINVAL, "no \"type\" string");
	if (strcmp(json_string_value(type), "indicator") != 0) {
		feed_reader_skip(r, false, "%.*s object, not an indicator",
				 QUOTE_MAX, json_string_value(type));
		return 0;
	}
	if (json_is_true(json_object_get(obj, "revoked"))) {
		feed_reader_skip(r, false, "revoked");
		return 0;
	}
	if (pattern_type != NULL) {
		set_where(r, si, "pattern_type");
		if (!json_is_string(pattern_type))
			return feed_reader_fail(r, -EINVAL, "not a string");
		if (strcmp(json_string_value(pattern_type), "stix") != 0) {
			feed_reader_skip(r, true,
					 "pattern_type '%.*s' is not supported",
					 QUOTE_MAX, json_string_value(pattern_type));
			return 0;
		}
	}
	rc = stix_metadata(r, si, obj);
	if (rc != 0)
		return rc;
	return stix_pattern(r, si, json_object_get(obj, "pattern"));
}

bool
feed_stix_detect(json_t *root)
{
	json_t *objects = json_object_get(root, "objects"), *obj;
	size_t i;

	if (!json_is_object(root))
		return false;
	if (json_is_string(json_object_get(root, "type")) &&
	    strcmp(json_string_value(json_object_get(root, "type")), "bundle") == 0)
		return true;
	json_array_foreach(objects, i, obj)
		if (json_object_get(obj, "spec_version") != NULL)
			return true;
	return false;
}

int
feed_stix_read(struct feed_reader *r, json_t *root)
{
	json_t *objects, *obj;
	struct stix_indicator *si;
	int rc = 0;

	if (!feed_stix_detect(root))
		return feed_reader_fail(r, -EINVAL,
					"not a STIX bundle: the top level needs "
					"\"type\": \"bundle\"");
	objects = json_object_get(root, "objects");
	if (objects == NULL)
		return 0;
	if (!json_is_array(objects)) {
		feed_reader_where(r, "/objects");
		return feed_reader_fail(r, -EINVAL, "not an array");
	}
	si = malloc(sizeof(*si));
	if (si == NULL)
		return feed_reader_fail(r, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_array_size(objects); i++) {
		obj = json_array_get(objects, i);
		memset(si, 0, sizeof(*si));
		si->index = i;
		/* No line numbers in JSON: an indicator's "line" is its
		 * place in the bundle, 1-based. */
		si->v.line = (unsigned int)(i + 1);
		rc = stix_object(r, si, obj);
	}
	free(si);
	feed_reader_where(r, NULL);
	return rc;
}
