/* indicator.h -- one normalized indicator of compromise and its types. */
#ifndef IOCSIFT_PATTERNS_INDICATOR_H
#define IOCSIFT_PATTERNS_INDICATOR_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "common.h"

enum pat_type {
	PAT_TYPE_DOMAIN,
	PAT_TYPE_IPV4,     /* address or CIDR */
	PAT_TYPE_IPV6,     /* address or CIDR */
	PAT_TYPE_MD5,
	PAT_TYPE_SHA1,
	PAT_TYPE_SHA256,
	PAT_TYPE_FILENAME,
	PAT_TYPE_URL,
	PAT_TYPE_REGEX,
	PAT_TYPE_COUNT,
};

/* One indicator after normalization. Strings are owned by the container
 * that produced the indicator (a feed or a pattern set). */
struct pat_indicator {
	enum pat_type type;
	uint8_t prefix_len;    /* ipv4/ipv6: CIDR prefix length, 32/128 for a host */
	uint8_t addr[16];      /* ipv4/ipv6: network address, ipv4 in addr[0..3] */
	const char *value;     /* normalized text form (see docs/feeds.md) */
	const char *tags;      /* comma-separated, "" when none */
	const char *source;    /* where the feed says it came from, "" when none */
	const char *feed;      /* feed name */
	unsigned int line;     /* line in the feed file */
	uint8_t severity;      /* PAT_SEVERITY_*, PAT_SEVERITY_UNSET when not given */
	int64_t first_seen;    /* UNIX seconds, 0 = not given */
	int64_t expires;       /* UNIX seconds; stops matching then; 0 = never */
};

enum pat_severity {
	PAT_SEVERITY_UNSET,
	PAT_SEVERITY_LOW,
	PAT_SEVERITY_MEDIUM,
	PAT_SEVERITY_HIGH,
	PAT_SEVERITY_CRITICAL,
};

/* "domain", "ipv4", ... -- the names used in feeds and events. */
const char *pat_type_name(enum pat_type type);

/* Accepts the names above and common aliases (case-insensitive):
 * domain-name, hostname, ip, ip-src, ip-dst, ipv4-addr, ipv6-addr, hash
 * types in upper case, file, file-name, uri. "ip" is resolved from the
 * value by the caller. Returns 0 or -EINVAL. */
int pat_type_from_name(const char *name, size_t len, enum pat_type *type);

/* The indicators of one feed (feed.h reads them). */
struct pat_arena;

#define PAT_FEED_SKIP_REASON_MAX 256

/* The indicators of one feed. All strings live in the feed's own arena
 * and are freed by pat_feed_free(). */
struct pat_feed {
	char *name;
	struct pat_indicator *items;
	size_t count;
	size_t capacity;
	size_t duplicates;     /* lines that repeated an earlier (type, value) */
	/* Records left out on purpose (unsupported STIX constructs, MISP
	 * to_ids=0, ...); see docs/feeds.md. first_skip says where and why
	 * for the first of them ("" when none). */
	size_t skipped;
	char first_skip[PAT_FEED_SKIP_REASON_MAX];
	struct pat_arena *arena;
};

void pat_feed_init(struct pat_feed *feed);
void pat_feed_free(struct pat_feed *feed);

#endif
