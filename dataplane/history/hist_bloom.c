/* bloom.c -- a block's token filter and the set of keys it is made of. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hist_bloom.h"

/* The keys are hashes already; one multiply spreads the bits again so
 * that the probes of two keys that share their low bits part. */
static inline uint64_t
mix(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key;
}

size_t
hist_bloom_size(size_t n_keys)
{
	size_t bits = n_keys * HIST_BLOOM_BITS_PER_KEY, size = 64;

	if (n_keys > HIST_BLOOM_BYTES_MAX * 8 / HIST_BLOOM_BITS_PER_KEY)
		return 0;
	while (size * 8 < bits)
		size <<= 1;
	return size;
}

/* A blocked filter: the key's first hash picks one 64-byte line, its
 * probes all fall in that line (double hashing, Kirsch and Mitzenmacher,
 * within 512 bits). A hunt then touches one cache line, and one page, of
 * a block's filter per key, however large the filter. */
#define LINE_BITS 512

static inline const uint8_t *
line_of(const uint8_t *filter, size_t size, uint64_t h)
{
	return filter + ((h >> 32) % (size / (LINE_BITS / 8))) * (LINE_BITS / 8);
}

void
hist_bloom_add(uint8_t *filter, size_t size, uint64_t key)
{
	uint64_t h = mix(key);
	uint8_t *line = (uint8_t *)line_of(filter, size, h);
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(mix(h) | 1);

	for (unsigned int i = 0; i < HIST_BLOOM_PROBES; i++) {
		uint32_t bit = (h1 + i * h2) % LINE_BITS;
		line[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
}

bool
hist_bloom_may_contain(const uint8_t *filter, size_t size, uint64_t key)
{
	uint64_t h = mix(key);
	const uint8_t *line = line_of(filter, size, h);
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(mix(h) | 1);

	for (unsigned int i = 0; i < HIST_BLOOM_PROBES; i++) {
		uint32_t bit = (h1 + i * h2) % LINE_BITS;
		if (!(line[bit / 8] & (1u << (bit % 8))))
			return false;
	}
	return true;
}

static int
key_set_grow(struct hist_key_set *set)
{
	size_t capacity = set->capacity == 0 ? 1024 : set->capacity * 2;
	uint64_t *slots = calloc(capacity, sizeof(*slots));

	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < set->capacity; i++) {
		uint64_t key = set->slots[i];
		if (key == 0)
			continue;
		size_t j = mix(key) & (capacity - 1);
		while (slots[j] != 0)
			j = (j + 1) & (capacity - 1);
		slots[j] = key;
	}
	free(set->slots);
	set->slots = slots;
	set->capacity = capacity;
	return 0;
}

int
hist_key_set_add(struct hist_key_set *set, uint64_t key)
{
	if (key == 0) {
		set->count += !set->has_zero;
		set->has_zero = true;
		return 0;
	}
	/* At most half full. */
	if ((set->count + 1) * 2 > set->capacity && key_set_grow(set) != 0)
		return -ENOMEM;
	size_t mask = set->capacity - 1, j = mix(key) & mask;
	while (set->slots[j] != 0) {
		if (set->slots[j] == key)
			return 0;
		j = (j + 1) & mask;
	}
	set->slots[j] = key;
	set->count++;
	return 0;
}

void
hist_key_set_clear(struct hist_key_set *set)
{
	if (set->slots != NULL && set->count > 0)
		memset(set->slots, 0, set->capacity * sizeof(*set->slots));
	set->count = 0;
	set->has_zero = false;
}

void
hist_key_set_free(struct hist_key_set *set)
{
	free(set->slots);
	*set = (struct hist_key_set){ 0 };
}

void
hist_key_set_each(const struct hist_key_set *set,
		  void (*fn)(void *ctx, uint64_t key), void *ctx)
{
	if (set->has_zero)
		fn(ctx, 0);
	for (size_t i = 0; i < set->capacity; i++)
		if (set->slots[i] != 0)
			fn(ctx, set->slots[i]);
}
