/* normalize.h -- refangs and normalizes single indicator values
 * (normalize.c), guesses their type (normalize_detect.c) and parses the
 * times and severities of feeds (normalize_meta.c). */
#ifndef IOCSIFT_PATTERNS_NORMALIZE_H
#define IOCSIFT_PATTERNS_NORMALIZE_H

#include <stddef.h>

#include "common.h"
#include "indicator.h"

struct pat_arena;

/*
 * The rules are listed at the top of normalize.c and, for operators, in
 * docs/feeds.md. The value may not contain a NUL byte.
 *
 * Errors follow common.h: 0 or -errno, and err, when not NULL, filled on
 * failure with the reason as its message. where and line are left "" and
 * 0: the caller knows the feed and the line, and puts the message in its
 * own error.
 */

/* Normalizes one value of a known type into ind; ind->value lives in
 * arena, the other fields of ind are reset ("" strings, line 0) for the
 * caller to set. 0 on success. -EINVAL for a value that breaks a rule
 * (or an unknown type), err saying which. -ENOMEM when the arena cannot
 * grow, err's message then being "out of memory". After a failure ind
 * holds nothing usable; the arena stays usable and keeps what was copied
 * into it until it is freed. */
int pat_normalize(struct pat_arena *arena, enum pat_type type,
		  const char *value, size_t len, struct pat_indicator *ind,
		  struct error_detail *err);

/* pat_detect_type(), then pat_normalize() with that type, refanging the
 * value once: what a plain feed does with each line. Returns as
 * pat_normalize(); a value of no type is -EINVAL with the message "cannot
 * detect the type of '<value>'" (refanged, trimmed, first 64 bytes). */
int pat_normalize_untyped(struct pat_arena *arena, const char *value,
			  size_t len, struct pat_indicator *ind,
			  struct error_detail *err);

/* Guesses the type of a bare value (refanged and trimmed first) for plain
 * feeds: IPv4 [CIDR], IPv6 [CIDR], md5/sha1/sha256 by hex length, URL,
 * file name by extension, domain. 0 and *type; -EINVAL if none fits or
 * the value holds a NUL byte; -ENOMEM if the working copy cannot be
 * allocated. Sets no reason. */
int pat_detect_type(const char *value, size_t len, enum pat_type *type);

/* Narrows s, len past leading and trailing space, tab, CR, LF, VT and FF:
 * the whitespace normalization drops, whatever the locale. */
void pat_trim(const char **s, size_t *len);

/* Metadata values of feeds (normalize_meta.c):
 * a time as RFC 3339 / ISO 8601 ("2023-03-29", "2023-03-29T10:00:00Z",
 * fractions and +hh:mm offsets) or UNIX seconds, into UNIX seconds;
 * a severity as low|medium|high|critical (any case) or 1..4.
 * Both return 0 or -EINVAL with err filled as for pat_normalize().
 * Details (offsets, leap seconds, range 1970..9999) are in docs/feeds.md. */
int pat_parse_time(const char *text, size_t len, int64_t *seconds,
		   struct error_detail *err);
int pat_parse_severity(const char *text, size_t len, uint8_t *severity,
		       struct error_detail *err);

#endif
