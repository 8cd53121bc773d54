/* bloom.h -- the token filter of a history block: a Bloom filter of the
 * 64-bit keys (patterns/token_keys.h) of every message in the block, so
 * that a hunt opens only the blocks that may hold its indicators. No
 * DPDK. */
#ifndef IOCSIFT_HISTORY_BLOOM_H
#define IOCSIFT_HISTORY_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bits per distinct key (about 1.5 % false positives with 7 probes in
 * one 64-byte line of the filter, see hist_bloom.c), and
 * the largest filter: a block with more distinct keys than the largest
 * filter holds well is given none, and every hunt opens it. */
#define HIST_BLOOM_BITS_PER_KEY 10
#define HIST_BLOOM_PROBES 7
#define HIST_BLOOM_BYTES_MAX (1u << 20)
#define HIST_BLOOM_BYTES_MIN 64       /* one line */

/* The size in bytes (a power of two, at least 64) of a filter for n
 * distinct keys; 0 when n needs more than HIST_BLOOM_BYTES_MAX. */
size_t hist_bloom_size(size_t n_keys);

/* Sets key's bits in a filter of size bytes (zeroed first). */
void hist_bloom_add(uint8_t *filter, size_t size, uint64_t key);

/* Whether key may be in the filter (false: it is not). */
bool hist_bloom_may_contain(const uint8_t *filter, size_t size, uint64_t key);

/* The keys of one block, each once: an open-addressing set that grows.
 * Key 0 is kept aside (it is the empty slot's mark). */
struct hist_key_set {
	uint64_t *slots;
	size_t capacity;           /* a power of two, or 0 */
	size_t count;
	bool has_zero;
};

/* 0 or -ENOMEM (the key is then not added: the caller gives the block no
 * filter). */
int hist_key_set_add(struct hist_key_set *set, uint64_t key);
void hist_key_set_clear(struct hist_key_set *set);
void hist_key_set_free(struct hist_key_set *set);

/* Calls fn for each key of set. */
void hist_key_set_each(const struct hist_key_set *set,
		       void (*fn)(void *ctx, uint64_t key), void *ctx);

#endif
