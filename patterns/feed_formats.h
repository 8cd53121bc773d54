/* feed_formats.h -- the feed format readers, for feed.c (internal). Each
 * reads one format onto a feed_reader (feed_reader.h). */
#ifndef IOCSIFT_PATTERNS_FEED_FORMATS_H
#define IOCSIFT_PATTERNS_FEED_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "feed_reader.h"

/* CSV or plain lines (feed_csv.c); AUTO: CSV when the first data line
 * has a comma, else plain. */
enum feed_text_kind {
	FEED_TEXT_AUTO,
	FEED_TEXT_CSV,
	FEED_TEXT_PLAIN,
};

int feed_text_read(struct feed_reader *r, const char *text, size_t len,
		   enum feed_text_kind kind);

/* The JSON ones get the parsed document. */
int feed_stix_read(struct feed_reader *r, json_t *root);
bool feed_stix_detect(json_t *root);
int feed_misp_json_read(struct feed_reader *r, json_t *root);
bool feed_misp_json_detect(json_t *root);
bool feed_misp_csv_is_header(const char *line, size_t len);
int feed_misp_csv_read(struct feed_reader *r, const char *text, size_t len);
int feed_zeek_read(struct feed_reader *r, const char *text, size_t len);

/* A Suricata dataset: base64 strings typed as plain feed lines are, or
 * values of the one type given. */
int feed_suricata_read(struct feed_reader *r, const char *text, size_t len,
		       bool base64_strings, enum pat_type type);

#endif
