/* filter.h -- a register-blocked Bloom filter in front of the exact
 * tables: a token whose hash the filter does not hold is not looked up
 * at all.
 *
 * Each key sets 4 bits of one 64-bit word, the word chosen by the top
 * bits of its hash and the bits by four 6-bit fields of the low ones, so
 * a probe is one load, a mask and a compare, with no branch and no
 * multiplication (Lang et al., "Performance-Optimal Filtering", VLDB
 * 2019). At PAT_FILTER_BITS_PER_KEY bits a key, about 1 probe in 300 of
 * a key not held says "maybe"; 100,000 keys take 256 KiB, which stays in
 * a core's L2 cache, a million 2 MiB. */
#ifndef IOCSIFT_PATTERNS_FILTER_H
#define IOCSIFT_PATTERNS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAT_FILTER_BITS_PER_KEY 16

struct pat_filter {
	uint64_t *words;
	unsigned int shift;        /* 64 - log2(number of words) */
	size_t n_words;            /* a power of two */
	size_t keys;               /* added so far */
};

/* The four bits of a key in its word. */
static inline uint64_t
pat_filter_mask(uint64_t hash)
{
	return 1ULL << (hash & 63) | 1ULL << ((hash >> 6) & 63) |
		1ULL << ((hash >> 12) & 63) | 1ULL << ((hash >> 18) & 63);
}

static inline const uint64_t *
pat_filter_word_of(const struct pat_filter *f, uint64_t hash)
{
	return &f->words[f->shift == 64 ? 0 : hash >> f->shift];
}

/* Starts loading the word of hash, for a probe a little later. */
static inline void
pat_filter_prefetch(const struct pat_filter *f, uint64_t hash)
{
	__builtin_prefetch(pat_filter_word_of(f, hash));
}

/* false: no key of that hash was added. true: maybe. */
static inline bool
pat_filter_may_contain(const struct pat_filter *f, uint64_t hash)
{
	uint64_t mask = pat_filter_mask(hash);

	return (*pat_filter_word_of(f, hash) & mask) == mask;
}

/* A filter sized for expected keys (at least one word). NULL + errno. */
struct pat_filter *pat_filter_new(size_t expected);
/* A copy with the same size and bits. NULL + errno. */
struct pat_filter *pat_filter_copy(const struct pat_filter *f);
void pat_filter_free(struct pat_filter *f);
void pat_filter_add(struct pat_filter *f, uint64_t hash);
/* Bytes of the bit array. */
size_t pat_filter_bytes(const struct pat_filter *f);

#endif
