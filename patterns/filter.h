/* filter.h -- a split block Bloom filter in front of the exact tables: a
 * token whose hash the filter does not hold is not looked up at all.
 *
 * Each key sets 8 bits in one 32-byte block, one bit in each 32-bit word
 * of it (the layout of Apache Parquet's and Impala's filters), so a probe
 * touches one cache line. At PAT_FILTER_BITS_PER_KEY bits a key about
 * 1 probe in 1,000 of a key not held says "maybe"; 100,000 keys take
 * 256 KiB, which stays in a core's L2 cache, a million 2 MiB. */
#ifndef IOCSIFT_PATTERNS_FILTER_H
#define IOCSIFT_PATTERNS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAT_FILTER_BITS_PER_KEY 16

struct pat_filter_block {
	uint32_t word[8];
};

struct pat_filter {
	struct pat_filter_block *blocks;
	unsigned int shift;        /* 64 - log2(number of blocks) */
	size_t n_blocks;           /* a power of two */
	size_t keys;               /* added so far */
};

/* The odd constants of the Parquet specification: bit i of a key is
 * (low 32 bits of the hash * salt[i]) >> 27 in word i. */
static const uint32_t pat_filter_salt[8] = {
	0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
	0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U,
};

static inline const struct pat_filter_block *
pat_filter_block_of(const struct pat_filter *f, uint64_t hash)
{
	return &f->blocks[f->shift == 64 ? 0 : hash >> f->shift];
}

/* Starts loading the block of hash, for a probe a little later. */
static inline void
pat_filter_prefetch(const struct pat_filter *f, uint64_t hash)
{
	__builtin_prefetch(pat_filter_block_of(f, hash));
}

/* false: no key of that hash was added. true: maybe. */
static inline bool
pat_filter_may_contain(const struct pat_filter *f, uint64_t hash)
{
	const struct pat_filter_block *b = pat_filter_block_of(f, hash);
	uint32_t key = (uint32_t)hash;

	for (unsigned int i = 0; i < 8; i++)
		if (!(b->word[i] >> ((key * pat_filter_salt[i]) >> 27) & 1))
			return false;
	return true;
}

/* A filter sized for expected keys (at least one block). NULL + errno. */
struct pat_filter *pat_filter_new(size_t expected);
/* A copy with the same size and bits. NULL + errno. */
struct pat_filter *pat_filter_copy(const struct pat_filter *f);
void pat_filter_free(struct pat_filter *f);
void pat_filter_add(struct pat_filter *f, uint64_t hash);
/* Bytes of the bit array. */
size_t pat_filter_bytes(const struct pat_filter *f);

#endif
