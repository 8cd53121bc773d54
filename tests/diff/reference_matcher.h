/* reference_matcher.h -- a slow matcher written for the tests straight
 * from docs/matching.md: one indicator at a time, one plain loop over the
 * bytes per rule, no tables, no filter, no bitmaps. The fast matcher
 * (patterns/match.c) must report exactly what this one does. */
#ifndef IOCSIFT_TESTS_REFERENCE_MATCHER_H
#define IOCSIFT_TESTS_REFERENCE_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "indicator.h"

struct ref_matcher;

/* A reference for the live indicators of a set: ids 0..count-1 in the
 * caller's numbering; inds[i] NULL for an id that is deleted. Regexes are
 * compiled one database each (so nothing is shared with the set's).
 * NULL on failure. */
struct ref_matcher *ref_matcher_new(const struct pat_indicator *const *inds,
				    uint32_t count);
void ref_matcher_free(struct ref_matcher *ref);

/* Each writes the ids that hit (sorted, each once) into ids (room for
 * every indicator) and returns their number. now: UNIX seconds, an
 * indicator whose expiry is <= now does not hit. */
size_t ref_match_text(const struct ref_matcher *ref, const uint8_t *text,
		      size_t len, int64_t now, uint32_t *ids);
size_t ref_match_dns_name(const struct ref_matcher *ref, const char *name,
			  size_t len, int64_t now, uint32_t *ids);
size_t ref_match_address(const struct ref_matcher *ref, int family,
			 const uint8_t *addr, int64_t now, uint32_t *ids);

#endif
