/* fuzz_feed_suricata.c -- arbitrary bytes to the Suricata dataset readers. */
#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "feed_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pat_feed_format formats[] = {
		PAT_FEED_SURICATA_STRING,
		PAT_FEED_SURICATA_MD5,
		PAT_FEED_SURICATA_SHA256,
		PAT_FEED_SURICATA_IPV4,
		PAT_FEED_SURICATA_IPV6,
	};

	check_formats(data, size, formats, sizeof(formats) / sizeof(formats[0]));
	return 0;
}
