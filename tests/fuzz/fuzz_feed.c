/* fuzz_feed.c -- feeds arbitrary bytes to the feed reader in every format. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "feed.h"
#include "feed_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A normalized value is its own normal form: the control path may
 * normalize a value taken from a loaded feed again. */
static void
check_idempotent(struct pat_arena *arena, const struct pat_indicator *ind)
{
	struct pat_indicator again;

	if (pat_normalize(arena, ind->type, ind->value, strlen(ind->value),
			  &again, NULL) != 0 ||
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
	struct error_detail err;

	if (arena == NULL)
		return;
	for (int t = 0; t < PAT_TYPE_COUNT; t++) {
		/* A failure always says why. */
		err.message[0] = '\0';
		if (pat_normalize(arena, (enum pat_type)t, text, len, &ind,
				  &err) != 0) {
			if (err.message[0] == '\0')
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

	check_formats(data, size, formats, sizeof(formats) / sizeof(formats[0]));
	/* One value is at most a line; longer inputs only slow the run. */
	if (size <= 1024)
		check_values((const char *)data, size);
	return 0;
}
