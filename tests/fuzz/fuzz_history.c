/* fuzz_history.c -- arbitrary bytes as a history segment, as they are
 * and as the records of a block with valid CRCs: the hunt must skip what
 * is damaged, never read past a block or a record, and match whatever
 * records parse as the workers would (message_match.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "hist_block.h"
#include "hist_hunt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char feed_csv[] =
	"domain,journalide.org\n"
	"ipv4,10.0.0.0/8\n"
	"ipv6,2001:db8::/32\n"
	"md5,d41d8cd98f00b204e9800998ecf8427e\n"
	"filename,3CXDesktopApp.exe\n"
	"url,raw.githubusercontent.com/IconStorages/images/\n"
	"regex,beacon[0-9]+\n";

static struct pat_set *
fixed_set(void)
{
	static struct pat_set *set;
	struct pat_feed feed;
	const struct pat_feed *pointer = &feed;
	struct error_detail err = { 0 };

	if (set != NULL)
		return set;
	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "fuzz", "fuzz.csv", feed_csv,
			   strlen(feed_csv), PAT_FEED_CSV, &err) != 0)
		abort();
	set = pat_set_build(&pointer, 1, 1, 1, &err);
	pat_feed_free(&feed);
	if (set == NULL)
		abort();
	return set;
}

static int
on_hit(void *ctx, const struct hist_record *rec, const struct pat_hits *hits)
{
	(void)ctx;
	if (hits->count == 0 || rec->header.payload_len > HIST_PAYLOAD_MAX)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hist_hunt_query q = { .set = fixed_set(), .scan_all = true };
	struct hist_hunt_stats st;
	struct hist_buffer block = { 0 };

	if (hist_hunt_bytes(data, size, &q, on_hit, NULL, &st) != 0)
		abort();
	if (size > HIST_BLOCK_RAW_MAX)
		return 0;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	struct hist_block_content c = {
		.raw = data, .raw_len = size, .records = 1,
		.first_ns = 0, .last_ns = UINT64_MAX,
	};
	if (cctx == NULL || hist_block_encode(&c, cctx, 1, &block) != 0)
		abort();
	if (hist_hunt_bytes(block.data, block.len, &q, on_hit, NULL, &st) != 0 ||
	    st.blocks != 1)
		abort();
	hist_buffer_free(&block);
	ZSTD_freeCCtx(cctx);
	return 0;
}
