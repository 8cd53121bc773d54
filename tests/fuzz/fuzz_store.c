/* fuzz_store.c -- pattern set files: the input's first byte picks the
 * number of layers, the rest is the payload; the fuzzer writes a valid
 * header (so the checksum does not stop it at the door) and loads it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct pat_store_header header = {
		.magic = PAT_STORE_MAGIC,
		.format_version = PAT_STORE_FORMAT_VERSION,
		.header_size = sizeof(header),
		.set_version = 1,
		.byte_order = 0x01020304,
	};
	struct error_detail err;

	if (size == 0)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz_store.%d.db", (int)getpid());
	snprintf(header.hs_version, sizeof(header.hs_version), "%s",
		 hs_version());
	header.layers = 1 + data[0] % 2;
	header.payload_len = size - 1;
	header.checksum = pat_store_checksum(data + 1, size - 1);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(&header, sizeof(header), 1, f);
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);

	struct pat_set *set = pat_set_load(path, 1, &err);
	if (set != NULL) {
		/* A set that loaded must also match without trouble. */
		const char text[] = "evil.com 10.1.2.3 3cxdesktopapp.exe x";
		struct pat_hits hits;
		pat_hits_reset(&hits, 0);
		pat_match_text(set, pat_set_scratch(set, 0),
			       (const uint8_t *)text, sizeof(text) - 1, &hits);
		for (uint16_t i = 0; i < hits.count; i++)
			if (pat_set_indicator(set, hits.ids[i]) == NULL)
				__builtin_trap();
		pat_set_free(set);
	}
	unlink(path);
	return 0;
}
