/* feed.h -- reads indicator feeds (CSV, plain, STIX, MISP, Zeek, Suricata). */
#ifndef IOCSIFT_PATTERNS_FEED_H
#define IOCSIFT_PATTERNS_FEED_H

#include <stddef.h>

#include "indicator.h"
#include "normalize.h" /* pat_normalize() and pat_detect_type() moved there */

enum pat_feed_format {
	PAT_FEED_AUTO,      /* any of the below but Suricata; else CSV when
			     * the first data line has a comma, else plain */
	PAT_FEED_CSV,       /* type,value[,tags][,source]; header optional */
	PAT_FEED_PLAIN,     /* one value per line, type detected */
	PAT_FEED_STIX,      /* STIX 2.1 bundle, indicator patterns */
	PAT_FEED_MISP_CSV,  /* MISP attribute CSV export */
	PAT_FEED_MISP_JSON, /* MISP event export (JSON) */
	PAT_FEED_ZEEK,      /* Zeek Intel framework file */
	/* Suricata dataset files: the type is not in the file, so these are
	 * never detected and must be given. */
	PAT_FEED_SURICATA_STRING,  /* base64 strings, type detected */
	PAT_FEED_SURICATA_MD5,
	PAT_FEED_SURICATA_SHA256,
	PAT_FEED_SURICATA_IPV4,
	PAT_FEED_SURICATA_IPV6,
};

/* Parses a whole feed text. All or nothing: on error the feed is left
 * empty, err names file_label:line (line 0 and a JSON pointer in the
 * message for JSON feeds) and the reason, and -EINVAL is returned. In
 * text formats blank lines and lines starting with '#' are skipped.
 * PAT_FEED_AUTO recognizes every format but the Suricata datasets. */
int pat_feed_parse(struct pat_feed *feed, const char *feed_name,
		   const char *file_label, const char *text, size_t len,
		   enum pat_feed_format format, struct error_detail *err);

/* A file's feed name: "feeds/3cx.csv" -> "3cx" (a leading dot is no
 * extension). malloc'ed; NULL without memory. */
char *pat_feed_name_from_path(const char *path);

/* Reads and parses path. The feed name is the file's base name without
 * its extension ("feeds/3cx.csv" -> "3cx"). -errno on I/O errors. */
int pat_feed_load_file(struct pat_feed *feed, const char *path,
		       enum pat_feed_format format, struct error_detail *err);

/* "auto", "csv", "stix", "suricata-md5", ... (as --feed-format takes
 * them). 0 or -EINVAL. */
int pat_feed_format_from_name(const char *name, enum pat_feed_format *format);

/* The name pat_feed_format_from_name takes for format. */
const char *pat_feed_format_name(enum pat_feed_format format);

#endif
