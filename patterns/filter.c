/* filter.c -- building split block Bloom filters (probes are inline in
 * filter.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static struct pat_filter *
filter_alloc(size_t n_blocks)
{
	struct pat_filter *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	/* Blocks on cache lines: a probe then reads exactly one. */
	if (posix_memalign((void **)&f->blocks, 64,
			   n_blocks * sizeof(*f->blocks)) != 0) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->n_blocks = n_blocks;
	f->shift = 64 - (unsigned int)__builtin_ctzll(n_blocks);
	return f;
}

struct pat_filter *
pat_filter_new(size_t expected)
{
	size_t bits = expected * PAT_FILTER_BITS_PER_KEY;
	size_t n_blocks = 1;

	while (n_blocks * 256 < bits && n_blocks < ((size_t)1 << 40))
		n_blocks <<= 1;
	struct pat_filter *f = filter_alloc(n_blocks);
	if (f != NULL)
		memset(f->blocks, 0, n_blocks * sizeof(*f->blocks));
	return f;
}

struct pat_filter *
pat_filter_copy(const struct pat_filter *src)
{
	struct pat_filter *f = filter_alloc(src->n_blocks);

	if (f == NULL)
		return NULL;
	memcpy(f->blocks, src->blocks, src->n_blocks * sizeof(*f->blocks));
	f->keys = src->keys;
	return f;
}

void
pat_filter_free(struct pat_filter *f)
{
	if (f == NULL)
		return;
	free(f->blocks);
	free(f);
}

void
pat_filter_add(struct pat_filter *f, uint64_t hash)
{
	struct pat_filter_block *b =
		(struct pat_filter_block *)pat_filter_block_of(f, hash);
	uint32_t key = (uint32_t)hash;

	for (unsigned int i = 0; i < 8; i++)
		b->word[i] |= 1U << ((key * pat_filter_salt[i]) >> 27);
	f->keys++;
}

size_t
pat_filter_bytes(const struct pat_filter *f)
{
	return f->n_blocks * sizeof(*f->blocks);
}
