/* indicator.c -- indicator type names, their aliases, and errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "indicator.h"

static const char *const type_names[PAT_TYPE_COUNT] = {
	[PAT_TYPE_DOMAIN] = "domain",
	[PAT_TYPE_IPV4] = "ipv4",
	[PAT_TYPE_IPV6] = "ipv6",
	[PAT_TYPE_MD5] = "md5",
	[PAT_TYPE_SHA1] = "sha1",
	[PAT_TYPE_SHA256] = "sha256",
	[PAT_TYPE_FILENAME] = "filename",
	[PAT_TYPE_URL] = "url",
	[PAT_TYPE_REGEX] = "regex",
};

/* Names other tools write in their exports (STIX, MISP, OpenIOC). The
 * generic "ip" names map to ipv4; the feed reader decides from the value
 * whether such an address is in fact IPv6. */
static const struct {
	const char *name;
	enum pat_type type;
} type_aliases[] = {
	{ "domain-name", PAT_TYPE_DOMAIN },
	{ "hostname", PAT_TYPE_DOMAIN },
	{ "fqdn", PAT_TYPE_DOMAIN },
	{ "ip", PAT_TYPE_IPV4 },
	{ "ip-src", PAT_TYPE_IPV4 },
	{ "ip-dst", PAT_TYPE_IPV4 },
	{ "ipv4-addr", PAT_TYPE_IPV4 },
	{ "ipv6-addr", PAT_TYPE_IPV6 },
	{ "sha-1", PAT_TYPE_SHA1 },
	{ "sha-256", PAT_TYPE_SHA256 },
	{ "file", PAT_TYPE_FILENAME },
	{ "file-name", PAT_TYPE_FILENAME },
	{ "uri", PAT_TYPE_URL },
	{ "link", PAT_TYPE_URL },
	{ "pcre", PAT_TYPE_REGEX },
};

const char *
pat_type_name(enum pat_type type)
{
	if ((unsigned int)type >= PAT_TYPE_COUNT)
		return "unknown";
	return type_names[type];
}

static int
name_equals(const char *name, size_t len, const char *candidate)
{
	return strlen(candidate) == len && strncasecmp(name, candidate, len) == 0;
}

int
pat_type_from_name(const char *name, size_t len, enum pat_type *type)
{
	size_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < PAT_TYPE_COUNT; i++) {
		if (name_equals(name, len, type_names[i])) {
			*type = (enum pat_type)i;
			return 0;
		}
	}
	for (i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]); i++) {
		if (name_equals(name, len, type_aliases[i].name)) {
			*type = type_aliases[i].type;
			return 0;
		}
	}
	return -EINVAL;
}

void
pat_feed_init(struct pat_feed *feed)
{
	memset(feed, 0, sizeof(*feed));
}

void
pat_feed_free(struct pat_feed *feed)
{
	if (feed == NULL)
		return;
	free(feed->items);
	pat_arena_free(feed->arena);
	pat_feed_init(feed);
}
