/* hist_builder.c -- gathering and sealing a history block. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "hist_builder.h"
#include "hist_keys.h"

int
hist_builder_init(struct hist_builder *b, size_t block_bytes, int level)
{
	*b = (struct hist_builder){ .block_bytes = block_bytes, .level = level };
	if (block_bytes > HIST_BLOCK_RAW_MAX)
		return -EINVAL;
	b->cctx = ZSTD_createCCtx();
	if (b->cctx == NULL || hist_buffer_reserve(&b->raw, block_bytes +
		HIST_RECORD_HEADER_SIZE + HIST_PAYLOAD_MAX) != 0)
		return -ENOMEM;
	return 0;
}

void
hist_builder_release(struct hist_builder *b)
{
	hist_buffer_free(&b->raw);
	hist_buffer_free(&b->encoded);
	hist_key_set_free(&b->keys);
	free(b->filter);
	ZSTD_freeCCtx(b->cctx);
	*b = (struct hist_builder){ 0 };
}

static void
key_add(void *ctx, uint64_t key)
{
	struct hist_builder *b = ctx;

	if (!b->keys_failed && hist_key_set_add(&b->keys, key) != 0)
		b->keys_failed = true;
}

void
hist_builder_add(struct hist_builder *b, const uint8_t *bytes, size_t len,
		 const struct hist_record *rec)
{
	uint64_t t = rec->header.time_ns;

	if (b->records == 0) {
		b->first_ns = b->last_ns = t;
		b->raw.len = 0;
	}
	memcpy(b->raw.data + b->raw.len, bytes, len);
	b->raw.len += len;
	b->records++;
	if (t < b->first_ns)
		b->first_ns = t;
	if (t > b->last_ns)
		b->last_ns = t;
	if (!b->keys_failed && hist_record_keys(rec, key_add, b) != 0)
		b->keys_failed = true;
}

static void
filter_add(void *ctx, uint64_t key)
{
	struct hist_builder *b = ctx;

	hist_bloom_add(b->filter, b->filter_len, key);
}

int
hist_builder_seal(struct hist_builder *b)
{
	size_t filter_len = b->keys_failed ? 0 : hist_bloom_size(b->keys.count);
	int rc;

	if (filter_len > 0) {
		uint8_t *f = realloc(b->filter, filter_len);
		if (f == NULL) {
			filter_len = 0;
		} else {
			b->filter = f;
			b->filter_len = filter_len;
			memset(f, 0, filter_len);
			hist_key_set_each(&b->keys, filter_add, b);
		}
	}
	b->unfiltered += filter_len == 0;
	struct hist_block_content content = {
		.raw = b->raw.data, .raw_len = b->raw.len,
		.records = b->records, .first_ns = b->first_ns,
		.last_ns = b->last_ns, .filter = filter_len > 0 ? b->filter : NULL,
		.filter_len = filter_len,
	};
	rc = hist_block_encode(&content, b->cctx, b->level, &b->encoded);
	b->records = 0;
	hist_key_set_clear(&b->keys);
	b->keys_failed = false;
	return rc;
}
