/* fuzz_feed_zeek.c -- arbitrary bytes to the Zeek Intel file reader. */
#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "feed_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pat_feed_format formats[] = {
		PAT_FEED_ZEEK,
		PAT_FEED_AUTO,
	};

	check_formats(data, size, formats, sizeof(formats) / sizeof(formats[0]));
	return 0;
}
