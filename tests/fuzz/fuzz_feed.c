/* fuzz_feed.c -- feeds arbitrary bytes to the feed reader in every format. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parse contract: all or nothing, and nothing half-filled. */
static void
check_feed(const struct pat_feed *feed, int rc, const struct pat_error *err)
{
	if (rc != 0) {
		if (feed->count != 0 || feed->items != NULL ||
		    feed->arena != NULL || err->message[0] == '\0')
			abort();
		return;
	}
	for (size_t i = 0; i < feed->count; i++) {
		const struct pat_indicator *ind = &feed->items[i];

		if (ind->value == NULL || ind->value[0] == '\0' ||
		    ind->tags == NULL || ind->source == NULL ||
		    ind->feed != feed->name || ind->line == 0 ||
		    (unsigned int)ind->type >= PAT_TYPE_COUNT)
			abort();
	}
}

/* A normalized value is its own normal form: the control path may
 * normalize a value taken from a loaded feed again. */
static void
check_idempotent(struct pat_arena *arena, const struct pat_indicator *ind)
{
	struct pat_indicator again;
	const char *reason;

	if (pat_normalize(arena, ind->type, ind->value, strlen(ind->value),
			  &again, &reason) != 0 ||
	    strcmp(again.value, ind->value) != 0 ||
	    again.prefix_len != ind->prefix_len ||
	    memcmp(again.addr, ind->addr, sizeof(ind->addr)) != 0)
		abort();
}

/* The input as one value of every type, and through type detection:
 * reaches every normalizer without the fuzzer having to find a CSV line. */
static void
check_values(const char *text, size_t len)
{
	struct pat_arena *arena = pat_arena_new();
	struct pat_indicator ind;
	enum pat_type type;
	const char *reason;

	if (arena == NULL)
		return;
	for (int t = 0; t < PAT_TYPE_COUNT; t++) {
		reason = NULL;
		if (pat_normalize(arena, (enum pat_type)t, text, len, &ind,
				  &reason) != 0) {
			if (reason == NULL)
				abort();
			continue;
		}
		if (ind.value == NULL || ind.type != (enum pat_type)t)
			abort();
		check_idempotent(arena, &ind);
	}
	if (pat_detect_type(text, len, &type) == 0 &&
	    (unsigned int)type >= PAT_TYPE_COUNT)
		abort();
	pat_arena_free(arena);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pat_feed_format formats[] = {
		PAT_FEED_AUTO, PAT_FEED_CSV, PAT_FEED_PLAIN,
	};
	struct pat_feed feed;
	struct pat_error err;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		int rc;

		pat_feed_init(&feed);
		memset(&err, 0, sizeof(err));
		rc = pat_feed_parse(&feed, "fuzz", "fuzz.csv",
				    (const char *)data, size, formats[i], &err);
		if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
			abort();
		check_feed(&feed, rc, &err);
		pat_feed_free(&feed);
	}
	/* One value is at most a line; longer inputs only slow the run. */
	if (size <= 1024)
		check_values((const char *)data, size);
	return 0;
}
