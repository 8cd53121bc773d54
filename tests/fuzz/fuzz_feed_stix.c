/* fuzz_feed_stix.c -- arbitrary bytes to the STIX 2.1 bundle reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feed.h"
#include "feed_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as the pattern of one indicator: reaches the pattern parser
 * without the fuzzer having to write a bundle around it. */
static void
check_pattern(const uint8_t *data, size_t size)
{
	static const enum pat_feed_format stix[] = { PAT_FEED_STIX };
	json_t *bundle;
	char *text;

	if (memchr(data, '\0', size) != NULL)
		return;
	bundle = json_pack("{s:s, s:[{s:s, s:s%}]}", "type", "bundle",
			   "objects", "type", "indicator", "pattern",
			   (const char *)data, size);
	if (bundle == NULL)
		return; /* not UTF-8 */
	text = json_dumps(bundle, 0);
	if (text != NULL)
		check_formats((const uint8_t *)text, strlen(text), stix, 1);
	free(text);
	json_decref(bundle);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pat_feed_format formats[] = {
		PAT_FEED_STIX,
		PAT_FEED_AUTO,
	};

	check_formats(data, size, formats, sizeof(formats) / sizeof(formats[0]));
	if (size <= 4096)
		check_pattern(data, size);
	return 0;
}
