/* block.h -- a block of the on-box history: a header, the block's token
 * filter (bloom.h), then the records (record.h) compressed with zstd as
 * one frame. A hunt reads the header and the filter and decides whether
 * to read the rest. Each part has a CRC-32C, so a damaged block is found
 * and skipped, never trusted (docs/history.md, "On disk"). No DPDK. */
#ifndef IOCSIFT_HISTORY_BLOCK_H
#define IOCSIFT_HISTORY_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_BLOCK_MAGIC "IOCHIST1"
/* The records of one block before compression, at most. */
#define HIST_BLOCK_RAW_MAX (16u << 20)

struct __attribute__((packed)) hist_block_header {
	char magic[8];
	uint32_t header_crc;       /* of the header (this field 0) and filter */
	uint32_t data_crc;         /* of the compressed records */
	uint64_t first_ns;         /* the earliest record's time */
	uint64_t last_ns;          /* the latest record's time */
	uint32_t records;
	uint32_t raw_len;          /* the records' bytes, uncompressed */
	uint32_t data_len;         /* compressed */
	uint32_t filter_len;       /* bytes; 0: no filter, always opened */
	uint32_t flags;            /* 0 */
	uint32_t reserved;         /* 0 */
};

#define HIST_BLOCK_HEADER_SIZE sizeof(struct hist_block_header)
_Static_assert(HIST_BLOCK_HEADER_SIZE == 56, "the block header is 56 bytes");

/* A growing byte buffer. */
struct hist_buffer {
	uint8_t *data;
	size_t len;
	size_t cap;
};

int hist_buffer_reserve(struct hist_buffer *b, size_t cap);
void hist_buffer_free(struct hist_buffer *b);

/* What a block's records are, for hist_block_encode(). */
struct hist_block_content {
	const uint8_t *raw;        /* records, back to back */
	size_t raw_len;            /* at most HIST_BLOCK_RAW_MAX */
	uint32_t records;
	uint64_t first_ns;
	uint64_t last_ns;
	const uint8_t *filter;     /* NULL: none */
	size_t filter_len;
};

/* The block of content into out (replacing what it held), compressed at
 * zstd level level with cctx (a ZSTD_CCtx *, reused). 0, -EINVAL, -ENOMEM,
 * -EIO (zstd failed). */
int hist_block_encode(const struct hist_block_content *content, void *cctx,
		      int level, struct hist_buffer *out);

/* A block found in bytes: its header, and where its parts are. */
struct hist_block_view {
	struct hist_block_header header;
	const uint8_t *filter;     /* NULL when filter_len is 0 */
	const uint8_t *data;
	size_t size;               /* header, filter and data */
};

/* Reads the block at the start of bytes (avail of them). 0; -EAGAIN when
 * avail ends before the block does (a block being written, or a cut
 * file); -EINVAL when the header is not a block's or its CRC is wrong. */
int hist_block_parse(const uint8_t *bytes, size_t avail,
		     struct hist_block_view *view);

/* The records of a parsed block into raw (view->header.raw_len bytes
 * long), with dctx (a ZSTD_DCtx *). 0, or -EINVAL when the data's CRC is
 * wrong or zstd does not give exactly raw_len bytes. */
int hist_block_decompress(const struct hist_block_view *view, void *dctx,
			  uint8_t *raw);

/* Whether the block's filter may hold key (true without a filter). */
bool hist_block_may_contain(const struct hist_block_view *view, uint64_t key);

#endif
