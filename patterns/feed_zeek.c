/* feed_zeek.c -- Zeek Intel framework files (tab-separated, #fields). */

/*
 * The "#fields" line names the columns; "indicator" and "indicator_type"
 * are required, "meta.source" becomes the source, other meta columns are
 * ignored. Intel types iocsift cannot match (EMAIL, USER_NAME, ...) are
 * skipped and counted; a value that fails normalization stops the feed.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "feed_formats.h"
#include "feed_reader.h"

struct zeek {
	char sep;
	bool fields;        /* "#fields" seen */
	int col_indicator, col_type, col_source;
};

struct zeek_field {
	const char *p;
	size_t len;
};

/* Splits at sep; Zeek's unset ("-") and empty ("(empty)") are "". */
static unsigned int
zeek_split(const char *line, size_t len, char sep, struct zeek_field *fields)
{
	const char *p = line, *end = line + len;
	unsigned int n = 0;

	while (n < CSV_FIELDS_MAX) {
		const char *s = memchr(p, sep, (size_t)(end - p));
		size_t flen = s != NULL ? (size_t)(s - p) : (size_t)(end - p);

		fields[n].p = p;
		fields[n].len = flen;
		pat_trim(&fields[n].p, &fields[n].len);
		if (feed_equals_ci(fields[n].p, fields[n].len, "-") ||
		    feed_equals_ci(fields[n].p, fields[n].len, "(empty)"))
			fields[n].len = 0;
		n++;
		if (s == NULL)
			break;
		p = s + 1;
	}
	return n;
}

/* "#separator \x09" (Zeek writes the byte escaped) or a literal byte. */
static int
zeek_separator(struct feed_reader *r, struct zeek *z, const char *arg,
	       size_t len)
{
	int hi, lo;

	pat_trim(&arg, &len);
	if (len == 4 && arg[0] == '\\' && arg[1] == 'x') {
		hi = hex_digit_value(arg[2]);
		lo = hex_digit_value(arg[3]);
		if (hi >= 0 && lo >= 0 && hi * 16 + lo != 0 &&
		    hi * 16 + lo != '\n') {
			z->sep = (char)(hi * 16 + lo);
			return 0;
		}
	}
	if (len == 1) {
		z->sep = arg[0];
		return 0;
	}
	return feed_reader_fail(r, -EINVAL, "invalid #separator");
}

static int
zeek_fields(struct feed_reader *r, struct zeek *z, const char *line,
	    size_t len)
{
	struct zeek_field f[CSV_FIELDS_MAX];
	char sep = z->sep;
	unsigned int n;

	/* Hand-written files separate the names with spaces. */
	if (memchr(line, sep, len) == NULL)
		sep = ' ';
	n = zeek_split(line, len, sep, f);
	z->col_indicator = z->col_type = z->col_source = -1;
	for (unsigned int i = 0; i < n; i++) {
		if (feed_equals_ci(f[i].p, f[i].len, "indicator"))
			z->col_indicator = (int)i;
		else if (feed_equals_ci(f[i].p, f[i].len, "indicator_type"))
			z->col_type = (int)i;
		else if (feed_equals_ci(f[i].p, f[i].len, "meta.source"))
			z->col_source = (int)i;
	}
	if (z->col_indicator < 0 || z->col_type < 0)
		return feed_reader_fail(r, -EINVAL,
					"#fields needs 'indicator' and "
					"'indicator_type'");
	z->fields = true;
	return 0;
}

static const struct {
	const char *name;
	enum pat_type type;
	bool generic_ip;
} zeek_types[] = {
	{ "Intel::ADDR", PAT_TYPE_IPV4, true },
	{ "Intel::SUBNET", PAT_TYPE_IPV4, true },
	{ "Intel::DOMAIN", PAT_TYPE_DOMAIN, false },
	{ "Intel::URL", PAT_TYPE_URL, false },
	{ "Intel::FILE_NAME", PAT_TYPE_FILENAME, false },
};

static int
zeek_type(struct feed_reader *r, const struct zeek_field *type,
	  const struct zeek_field *value, struct feed_value *v, bool *skip)
{
	int n = type->len > QUOTE_MAX ? QUOTE_MAX : (int)type->len;

	*skip = false;
	for (size_t i = 0; i < sizeof(zeek_types) / sizeof(zeek_types[0]); i++) {
		if (feed_equals_ci(type->p, type->len, zeek_types[i].name)) {
			v->type = zeek_types[i].type;
			v->generic_ip = zeek_types[i].generic_ip;
			return 0;
		}
	}
	if (feed_equals_ci(type->p, type->len, "Intel::FILE_HASH")) {
		switch (value->len) {
		case 32:
			v->type = PAT_TYPE_MD5;
			return 0;
		case 40:
			v->type = PAT_TYPE_SHA1;
			return 0;
		case 64:
			v->type = PAT_TYPE_SHA256;
			return 0;
		}
		return feed_reader_fail(r, -EINVAL,
					"Intel::FILE_HASH of %zu characters: not "
					"an md5, sha1 or sha256", value->len);
	}
	if (type->len > 7 && memcmp(type->p, "Intel::", 7) == 0) {
		feed_reader_skip(r, true, "%.*s is not supported", n, type->p);
		*skip = true;
		return 0;
	}
	return feed_reader_fail(r, -EINVAL, "unknown indicator_type '%.*s'", n,
				type->p);
}

static int
zeek_line(struct feed_reader *r, const char *line, size_t len, void *ctx)
{
	struct zeek_field f[CSV_FIELDS_MAX];
	struct zeek *z = ctx;
	struct feed_value v = { 0 };
	unsigned int n;
	bool skip;
	int rc;

	if (len > 10 && memcmp(line, "#separator", 10) == 0 &&
	    (line[10] == ' ' || line[10] == '\t'))
		return zeek_separator(r, z, line + 10, len - 10);
	if (len > 7 && memcmp(line, "#fields", 7) == 0 &&
	    (line[7] == z->sep || line[7] == ' '))
		return zeek_fields(r, z, line + 8, len - 8);
	if (line[0] == '#')
		return 0;
	if (!z->fields)
		return feed_reader_fail(r, -EINVAL,
					"data before the #fields header line");
	n = zeek_split(line, len, z->sep, f);
	if ((unsigned int)z->col_indicator >= n ||
	    (unsigned int)z->col_type >= n)
		return feed_reader_fail(r, -EINVAL,
					"missing indicator or indicator_type field");
	rc = zeek_type(r, &f[z->col_type], &f[z->col_indicator], &v, &skip);
	if (rc != 0 || skip)
		return rc;
	v.value = f[z->col_indicator].p;
	v.value_len = f[z->col_indicator].len;
	v.tags = "";
	v.source = "";
	if (z->col_source >= 0 && (unsigned int)z->col_source < n) {
		v.source = f[z->col_source].p;
		v.source_len = f[z->col_source].len;
	}
	return feed_reader_add(r, &v);
}

int
feed_zeek_read(struct feed_reader *r, const char *text, size_t len)
{
	struct zeek z = { .sep = '\t' };
	int rc;

	rc = feed_reader_lines(r, text, len, zeek_line, &z);
	if (rc == 0 && !z.fields)
		rc = feed_reader_fail(r, -EINVAL, "no #fields header line");
	return rc;
}
