/* block.c -- encoding and checking history blocks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "hist_block.h"
#include "hist_bloom.h"
#include "spool.h"

int
hist_buffer_reserve(struct hist_buffer *b, size_t cap)
{
	if (cap <= b->cap)
		return 0;
	uint8_t *data = realloc(b->data, cap);
	if (data == NULL)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

void
hist_buffer_free(struct hist_buffer *b)
{
	free(b->data);
	*b = (struct hist_buffer){ 0 };
}

static uint32_t
header_crc(const struct hist_block_header *h, const uint8_t *filter)
{
	struct hist_block_header copy = *h;
	uint32_t crc;

	copy.header_crc = 0;
	crc = exp_crc32c_extend(0, &copy, sizeof(copy));
	return exp_crc32c_extend(crc, filter, h->filter_len);
}

int
hist_block_encode(const struct hist_block_content *c, void *cctx, int level,
		  struct hist_buffer *out)
{
	if (c->raw_len > HIST_BLOCK_RAW_MAX ||
	    c->filter_len > HIST_BLOOM_BYTES_MAX ||
	    (c->filter_len != 0 && c->filter_len < HIST_BLOOM_BYTES_MIN) ||
	    (c->filter_len & (c->filter_len - 1)) != 0 ||
	    (c->filter_len > 0 && c->filter == NULL))
		return -EINVAL;
	size_t bound = ZSTD_compressBound(c->raw_len);
	size_t head = HIST_BLOCK_HEADER_SIZE + c->filter_len;
	if (hist_buffer_reserve(out, head + bound) != 0)
		return -ENOMEM;
	size_t n = ZSTD_compressCCtx(cctx, out->data + head, bound, c->raw,
				     c->raw_len, level);
	if (ZSTD_isError(n))
		return -EIO;
	struct hist_block_header h = {
		.first_ns = c->first_ns, .last_ns = c->last_ns,
		.records = c->records, .raw_len = (uint32_t)c->raw_len,
		.data_len = (uint32_t)n, .filter_len = (uint32_t)c->filter_len,
	};
	memcpy(h.magic, HIST_BLOCK_MAGIC, sizeof(h.magic));
	h.data_crc = exp_crc32c_extend(0, out->data + head, n);
	if (c->filter_len > 0)
		memcpy(out->data + HIST_BLOCK_HEADER_SIZE, c->filter,
		       c->filter_len);
	h.header_crc = header_crc(&h, out->data + HIST_BLOCK_HEADER_SIZE);
	memcpy(out->data, &h, sizeof(h));
	out->len = head + n;
	return 0;
}

int
hist_block_parse(const uint8_t *bytes, size_t avail,
		 struct hist_block_view *view)
{
	struct hist_block_header *h = &view->header;

	if (avail < HIST_BLOCK_HEADER_SIZE)
		return -EAGAIN;
	memcpy(h, bytes, sizeof(*h));
	if (memcmp(h->magic, HIST_BLOCK_MAGIC, sizeof(h->magic)) != 0 ||
	    h->raw_len > HIST_BLOCK_RAW_MAX ||
	    h->data_len > ZSTD_compressBound(HIST_BLOCK_RAW_MAX) ||
	    h->filter_len > HIST_BLOOM_BYTES_MAX ||
	    (h->filter_len != 0 && h->filter_len < HIST_BLOOM_BYTES_MIN) ||
	    (h->filter_len & (h->filter_len - 1)) != 0 ||
	    h->flags != 0 || h->first_ns > h->last_ns)
		return -EINVAL;
	size_t size = HIST_BLOCK_HEADER_SIZE + (size_t)h->filter_len +
		h->data_len;
	/* The header's CRC first: a length it vouches for is the block's,
	 * not a damaged one's that merely points past the file's end. */
	if (avail < HIST_BLOCK_HEADER_SIZE + (size_t)h->filter_len)
		return -EAGAIN;
	if (header_crc(h, bytes + HIST_BLOCK_HEADER_SIZE) != h->header_crc)
		return -EINVAL;
	if (avail < size)
		return -EAGAIN;
	view->filter = h->filter_len > 0 ? bytes + HIST_BLOCK_HEADER_SIZE : NULL;
	view->data = bytes + HIST_BLOCK_HEADER_SIZE + h->filter_len;
	view->size = size;
	return 0;
}

int
hist_block_decompress(const struct hist_block_view *view, void *dctx,
		      uint8_t *raw)
{
	const struct hist_block_header *h = &view->header;

	if (exp_crc32c_extend(0, view->data, h->data_len) != h->data_crc)
		return -EINVAL;
	size_t n = ZSTD_decompressDCtx(dctx, raw, h->raw_len, view->data,
				       h->data_len);
	if (ZSTD_isError(n) || n != h->raw_len)
		return -EINVAL;
	return 0;
}

bool
hist_block_may_contain(const struct hist_block_view *view, uint64_t key)
{
	if (view->filter == NULL)
		return true;
	return hist_bloom_may_contain(view->filter, view->header.filter_len,
				      key);
}
