/* hist_builder.h -- one history block being gathered: records appended
 * as they come, their token keys (hist_keys.h) collected once each, and
 * at the seal the filter made, the records compressed and the block
 * encoded (hist_block.h). The history writer and the benchmark build
 * their blocks with it. No DPDK. */
#ifndef IOCSIFT_HISTORY_BUILDER_H
#define IOCSIFT_HISTORY_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist_block.h"
#include "hist_bloom.h"
#include "hist_record.h"

struct hist_builder {
	size_t block_bytes;          /* records' bytes a block takes */
	int level;                   /* zstd */
	struct hist_buffer raw;
	uint32_t records;
	uint64_t first_ns;
	uint64_t last_ns;
	struct hist_key_set keys;
	bool keys_failed;            /* this block gets no filter */
	uint8_t *filter;
	size_t filter_len;
	struct hist_buffer encoded;  /* the sealed block */
	void *cctx;
	uint64_t unfiltered;         /* blocks sealed without a filter */
};

/* 0 or -ENOMEM. block_bytes at most HIST_BLOCK_RAW_MAX. */
int hist_builder_init(struct hist_builder *b, size_t block_bytes, int level);
void hist_builder_release(struct hist_builder *b);

/* Whether a record of len bytes (header and payload) no longer fits:
 * seal first. */
static inline bool
hist_builder_full(const struct hist_builder *b, size_t len)
{
	return b->records > 0 && b->raw.len + len > b->block_bytes;
}

/* Appends the record whose bytes (header and payload) are bytes[0..len),
 * parsed as rec, and collects its keys. */
void hist_builder_add(struct hist_builder *b, const uint8_t *bytes, size_t len,
		      const struct hist_record *rec);

/* The block of what was gathered, in b->encoded; 0, or -errno (the
 * block is lost). Either way the builder is empty afterwards (first_ns,
 * last_ns and records stay readable until the next add). */
int hist_builder_seal(struct hist_builder *b);

#endif
