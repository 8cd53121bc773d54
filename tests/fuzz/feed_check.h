/* feed_check.h -- the parse contract every feed fuzz target checks. */
#ifndef IOCSIFT_TESTS_FUZZ_FEED_CHECK_H
#define IOCSIFT_TESTS_FUZZ_FEED_CHECK_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"

/* All or nothing, and nothing half-filled. */
static inline void
check_feed(const struct pat_feed *feed, int rc, const struct error_detail *err)
{
	if (rc != 0) {
		if (feed->count != 0 || feed->items != NULL ||
		    feed->arena != NULL || feed->skipped != 0 ||
		    err->message[0] == '\0')
			abort();
		return;
	}
	if ((feed->skipped > 0) != (feed->first_skip[0] != '\0'))
		abort();
	for (size_t i = 0; i < feed->count; i++) {
		const struct pat_indicator *ind = &feed->items[i];

		if (ind->value == NULL || ind->value[0] == '\0' ||
		    ind->tags == NULL || ind->source == NULL ||
		    ind->feed != feed->name || ind->line == 0 ||
		    (unsigned int)ind->type >= PAT_TYPE_COUNT)
			abort();
	}
}

/* Parses data in each format and checks the contract. */
static inline void
check_formats(const uint8_t *data, size_t size,
	      const enum pat_feed_format *formats, size_t n)
{
	struct pat_feed feed;
	struct error_detail err;

	for (size_t i = 0; i < n; i++) {
		int rc;

		pat_feed_init(&feed);
		memset(&err, 0, sizeof(err));
		rc = pat_feed_parse(&feed, "fuzz", "fuzz.feed",
				    (const char *)data, size, formats[i], &err);
		if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
			abort();
		check_feed(&feed, rc, &err);
		pat_feed_free(&feed);
	}
}

#endif
