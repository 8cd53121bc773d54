/* pattern_set.h -- the immutable matching database built from feeds, and
 * the match API the workers and `iocsift scan` call. */
#ifndef IOCSIFT_PATTERNS_PATTERN_SET_H
#define IOCSIFT_PATTERNS_PATTERN_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "indicator.h"

/* Hits of one message: one entry per indicator, however often it occurs. */
#define PAT_HITS_MAX 32

/* Text up to this long is matched without allocating (the longest frame a
 * worker hands over); longer text grows the scratch. */
#define PAT_TEXT_PREALLOC 65536

struct pat_hits {
	int64_t now;           /* UNIX seconds: indicators expired by then miss */
	uint32_t ids[PAT_HITS_MAX];
	uint16_t count;
	uint16_t overflow;     /* distinct indicators past PAT_HITS_MAX */
};

/* Starts the hits of one message seen at now (UNIX seconds). */
static inline void
pat_hits_reset(struct pat_hits *hits, int64_t now)
{
	hits->now = now;
	hits->count = 0;
	hits->overflow = 0;
}

struct pat_set;
struct pat_scratch;

/* Builds a set from feeds (copied: the feeds may be freed afterwards) with
 * n_scratch match scratches, one for each thread that will match. Returns
 * NULL with errno set and err filled on failure. */
struct pat_set *pat_set_build(const struct pat_feed *const *feeds,
			      size_t n_feeds, unsigned int n_scratch,
			      uint64_t version, struct error_detail *err);
void pat_set_free(struct pat_set *set);

/* The same from indicators (copied), of any feeds: the small set of a
 * retro-hunt. */
struct pat_set *pat_set_from_indicators(const struct pat_indicator *const *inds,
					size_t n, unsigned int n_scratch,
					uint64_t version,
					struct error_detail *err);

/* Whether set has a live indicator of ind's type and normalized value,
 * from any feed. */
bool pat_set_has(const struct pat_set *set, const struct pat_indicator *ind);

uint64_t pat_set_version(const struct pat_set *set);
/* A number no other set made by this process has (from 1): a compaction
 * makes the same version with other ids, and another serial. */
uint64_t pat_set_serial(const struct pat_set *set);
/* Live indicators (deleted ones not counted). */
size_t pat_set_count(const struct pat_set *set);
/* Indicators in the delta layer: added since the last build or compact. */
size_t pat_set_delta_count(const struct pat_set *set);
const struct pat_indicator *pat_set_indicator(const struct pat_set *set,
					      uint32_t id);
/* Ids run from 0 to pat_set_id_limit() - 1; deleted ones included. */
uint32_t pat_set_id_limit(const struct pat_set *set);
/* The indicator of id, or NULL when id is deleted or out of range. */
const struct pat_indicator *pat_set_live_indicator(const struct pat_set *set,
						   uint32_t id);
unsigned int pat_set_scratch_count(const struct pat_set *set);

/* Hits per indicator id, counted by whoever reports hits (the exporter)
 * and read by anyone: the one part of a set written after it is built.
 * Versions made by pat_set_add and pat_set_delete share the counters of
 * the version they came from (pat_set_shares_counts), so that an update
 * moves no count; a new base layer (build, compact, replace_feeds, load)
 * starts at zero. */
void pat_set_count_hit(const struct pat_set *set, uint32_t id);
uint64_t pat_set_hit_count(const struct pat_set *set, uint32_t id);
bool pat_set_shares_counts(const struct pat_set *a, const struct pat_set *b);
/* How many more indicators updates of this base can add before it must
 * be compacted (each added indicator takes a counter slot for good). */
size_t pat_set_counter_slots_left(const struct pat_set *set);

/* When to replaces from and they do not share counters: adds every count
 * of from to the same indicator (type, value, feed) in to, where it is
 * live, and zeroes from's. from must no longer be counted into; to may
 * be, concurrently (atomic adds). */
void pat_set_move_hit_counts(const struct pat_set *to,
			     const struct pat_set *from);
/* The scratch reserved for thread index i (< n_scratch of the build). */
struct pat_scratch *pat_set_scratch(const struct pat_set *set, unsigned int i);

/* Text: a syslog message as received, or a log line. Finds domains, IPs,
 * digests, file names and URLs as tokens, and regexes over the whole text
 * (match.c; rules in docs/matching.md). Adds to hits (caller resets per
 * message). 0 or -errno (-ENOMEM only for text longer than
 * PAT_TEXT_PREALLOC). */
int pat_match_text(const struct pat_set *set, struct pat_scratch *scratch,
		   const uint8_t *text, size_t len, struct pat_hits *hits);

/* A DNS name in dotted form: domain indicators (the name or a parent) and
 * regexes. */
int pat_match_dns_name(const struct pat_set *set, struct pat_scratch *scratch,
		       const char *name, size_t len, struct pat_hits *hits);

/* An address from a DNS answer: family 4 (4 bytes) or 6 (16 bytes). */
void pat_match_address(const struct pat_set *set, int family,
		       const uint8_t *addr, struct pat_hits *hits);

/* Where indicator id (an address or CIDR, IPv4 or IPv6) hits text under
 * the rules of pat_match_text() at UNIX time now: the first address token
 * it takes, as written, at text + *off for *found_len bytes. It explains
 * a hit (`iocsiftctl test`) and is not meant for the data path. 0,
 * -ENOENT when no address of the text hits id, -EINVAL, -ENOMEM. */
int pat_locate_address(const struct pat_set *set, struct pat_scratch *scratch,
		       const uint8_t *text, size_t len, int64_t now,
		       uint32_t id, size_t *off, size_t *found_len);

/* Updates. Each returns a new set (the version given, the same number of
 * scratches) and leaves prev untouched, so prev can keep serving until the
 * new one is published. The new set shares prev's base layer: only the
 * small delta layer of added indicators is rebuilt, and deletions of base
 * indicators are a bitmap. NULL with errno and err on failure. */

/* ind must be normalized (pat_normalize) and carry its feed name. EEXIST
 * when the same type and value is already in that feed. */
struct pat_set *pat_set_add(const struct pat_set *prev,
			    const struct pat_indicator *ind, uint64_t version,
			    struct error_detail *err);

/* Removes every indicator with ind's type and normalized value, whatever
 * its feed. ENOENT when there is none. */
struct pat_set *pat_set_delete(const struct pat_set *prev,
			       const struct pat_indicator *ind,
			       uint64_t version, struct error_detail *err);

/* A set of prev's live indicators in one new base layer: what a caller
 * does off the data path when the delta or the deletions grow large. */
struct pat_set *pat_set_compact(const struct pat_set *prev, uint64_t version,
				struct error_detail *err);

/* A set of prev's live indicators from other feeds plus the feeds' (which
 * replace every indicator prev had from a feed of one of their names), in
 * one new base layer: `iocsiftctl load` and SIGHUP. */
struct pat_set *pat_set_replace_feeds(const struct pat_set *prev,
				      const struct pat_feed *const *feeds,
				      size_t n_feeds, uint64_t version,
				      struct error_detail *err);

#endif
