/* filter.c -- building register-blocked Bloom filters (probes are inline
 * in filter.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static struct pat_filter *
filter_alloc(size_t n_words)
{
	struct pat_filter *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	/* On cache lines, as the tables' slots are not: a probe is one. */
	if (posix_memalign((void **)&f->words, 64,
			   n_words * sizeof(*f->words)) != 0) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->n_words = n_words;
	f->shift = 64 - (unsigned int)__builtin_ctzll(n_words);
	return f;
}

struct pat_filter *
pat_filter_new(size_t expected)
{
	size_t bits = expected * PAT_FILTER_BITS_PER_KEY;
	size_t n_words = 1;

	while (n_words * 64 < bits && n_words < ((size_t)1 << 40))
		n_words <<= 1;
	struct pat_filter *f = filter_alloc(n_words);
	if (f != NULL)
		memset(f->words, 0, n_words * sizeof(*f->words));
	return f;
}

struct pat_filter *
pat_filter_copy(const struct pat_filter *src)
{
	struct pat_filter *f = filter_alloc(src->n_words);

	if (f == NULL)
		return NULL;
	memcpy(f->words, src->words, src->n_words * sizeof(*f->words));
	f->keys = src->keys;
	return f;
}

void
pat_filter_free(struct pat_filter *f)
{
	if (f == NULL)
		return;
	free(f->words);
	free(f);
}

void
pat_filter_add(struct pat_filter *f, uint64_t hash)
{
	*(uint64_t *)pat_filter_word_of(f, hash) |= pat_filter_mask(hash);
	f->keys++;
}

size_t
pat_filter_bytes(const struct pat_filter *f)
{
	return f->n_words * sizeof(*f->words);
}
