/* feed.c -- reads a feed: detects its format, hands it to the reader of
 * that format (feed_csv.c, feed_stix.c, feed_misp.c, feed_zeek.c,
 * feed_suricata.c, all on feed_reader.c) and loads files. The formats,
 * for operators, are in docs/feeds.md. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feed.h"
#include "feed_formats.h"
#include "feed_reader.h"

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
 * or plain, decided by feed_csv.c). */
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
reader_json(struct feed_reader *r, enum pat_feed_format format,
	    const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	root = json_loadb(text != NULL ? text : "", len, 0, &jerr);
	if (root == NULL) {
		r->line = jerr.line > 0 ? (unsigned int)jerr.line : 0;
		if (jerr.column > 0)
			return feed_reader_fail(r, -EINVAL,
						"invalid JSON at column %d: %s",
						jerr.column, jerr.text);
		return feed_reader_fail(r, -EINVAL, "invalid JSON: %s", jerr.text);
	}
	if (format == PAT_FEED_AUTO) {
		if (feed_stix_detect(root))
			format = PAT_FEED_STIX;
		else if (feed_misp_json_detect(root))
			format = PAT_FEED_MISP_JSON;
	}
	if (format == PAT_FEED_STIX)
		rc = feed_stix_read(r, root);
	else if (format == PAT_FEED_MISP_JSON)
		rc = feed_misp_json_read(r, root);
	else
		rc = feed_reader_fail(r, -EINVAL,
				      "JSON feed of unknown kind: expected a STIX 2.1 "
				      "bundle or a MISP event export");
	json_decref(root);
	return rc;
}

static int
reader_run(struct feed_reader *r, enum pat_feed_format format,
	   const char *text, size_t len)
{
	/* Spreadsheets save CSV with a UTF-8 byte order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (format == PAT_FEED_AUTO && looks_like_json(text, len))
		return reader_json(r, format, text, len);
	if (format == PAT_FEED_AUTO)
		format = detect_text(text, len);
	switch (format) {
	case PAT_FEED_STIX:
	case PAT_FEED_MISP_JSON:
		return reader_json(r, format, text, len);
	case PAT_FEED_MISP_CSV:
		return feed_misp_csv_read(r, text, len);
	case PAT_FEED_ZEEK:
		return feed_zeek_read(r, text, len);
	case PAT_FEED_SURICATA_STRING:
		return feed_suricata_read(r, text, len, true, PAT_TYPE_DOMAIN);
	case PAT_FEED_SURICATA_MD5:
		return feed_suricata_read(r, text, len, false, PAT_TYPE_MD5);
	case PAT_FEED_SURICATA_SHA256:
		return feed_suricata_read(r, text, len, false, PAT_TYPE_SHA256);
	case PAT_FEED_SURICATA_IPV4:
		return feed_suricata_read(r, text, len, false, PAT_TYPE_IPV4);
	case PAT_FEED_SURICATA_IPV6:
		return feed_suricata_read(r, text, len, false, PAT_TYPE_IPV6);
	case PAT_FEED_CSV:
		return feed_text_read(r, text, len, FEED_TEXT_CSV);
	case PAT_FEED_PLAIN:
		return feed_text_read(r, text, len, FEED_TEXT_PLAIN);
	case PAT_FEED_AUTO:
		break;
	}
	return feed_text_read(r, text, len, FEED_TEXT_AUTO);
}


/* Any previous content of feed is freed first. */
int
pat_feed_parse(struct pat_feed *feed, const char *feed_name,
	       const char *file_label, const char *text, size_t len,
	       enum pat_feed_format format, struct error_detail *err)
{
	struct feed_reader r;
	int rc;

	if (feed_name == NULL)
		feed_name = "";
	if (file_label == NULL)
		file_label = feed_name;
	pat_feed_free(feed);
	rc = feed_reader_init(&r, feed, feed_name, file_label, err);
	/* Empty text is an empty CSV or plain feed, but no JSON document. */
	if (rc == 0)
		rc = reader_run(&r, format, text != NULL ? text : "", len);
	feed_reader_release(&r);
	if (rc != 0)
		pat_feed_free(feed);
	return rc;
}

char *
pat_feed_name_from_path(const char *path)
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
		   enum pat_feed_format format, struct error_detail *err)
{
	char *text = NULL, *name;
	size_t len = 0;
	int rc;

	/* The whole file, NUL-free or not: the parser judges the contents. */
	pat_feed_free(feed);
	rc = file_read_all(path, SIZE_MAX / 2, &text, &len);
	if (rc != 0) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	name = pat_feed_name_from_path(path);
	if (name == NULL) {
		free(text);
		error_detail_set(err, path, 0, "%s", strerror(ENOMEM));
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

const char *
pat_feed_format_name(enum pat_feed_format format)
{
	for (size_t i = 0; i < sizeof(feed_formats) / sizeof(feed_formats[0]);
	     i++)
		if (feed_formats[i].format == format)
			return feed_formats[i].name;
	return "auto";
}

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
