/* arena.c -- bump allocator: many small strings, one free. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* Big enough that a feed of a million indicators needs a few thousand
 * mallocs, small enough that a feed of ten wastes little. */
#define ARENA_CHUNK_SIZE (64 * 1024)
/* Requests above this get a chunk of their own, so that one long value
 * does not throw away the rest of the current chunk. */
#define ARENA_BIG_SIZE (ARENA_CHUNK_SIZE / 4)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	max_align_t data[]; /* aligns the first allocation of the chunk */
};

struct pat_arena {
	struct arena_chunk *head; /* the chunk being filled is first */
};

static struct arena_chunk *
arena_chunk_new(size_t size)
{
	struct arena_chunk *chunk;

	if (size > SIZE_MAX - sizeof(*chunk)) {
		errno = ENOMEM;
		return NULL;
	}
	chunk = malloc(sizeof(*chunk) + size);
	if (chunk == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	chunk->next = NULL;
	chunk->size = size;
	chunk->used = 0;
	return chunk;
}

struct pat_arena *
pat_arena_new(void)
{
	struct pat_arena *arena = calloc(1, sizeof(*arena));

	if (arena == NULL)
		errno = ENOMEM;
	return arena;
}

void
pat_arena_free(struct pat_arena *arena)
{
	struct arena_chunk *chunk, *next;

	if (arena == NULL)
		return;
	for (chunk = arena->head; chunk != NULL; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	free(arena);
}

/* A chunk for one big request goes behind the head, so the head keeps
 * serving small requests. */
static void *
arena_alloc_big(struct pat_arena *arena, size_t size)
{
	struct arena_chunk *chunk = arena_chunk_new(size);

	if (chunk == NULL)
		return NULL;
	chunk->used = size;
	if (arena->head == NULL) {
		arena->head = chunk;
	} else {
		chunk->next = arena->head->next;
		arena->head->next = chunk;
	}
	return chunk->data;
}

/* Offset in chunk where size bytes aligned to align fit, or SIZE_MAX.
 * Chunk data starts max_align_t-aligned, so rounding the offset aligns
 * the pointer. align is a power of two. */
static size_t
arena_chunk_fit(const struct arena_chunk *chunk, size_t size, size_t align)
{
	size_t offset;

	if (chunk == NULL)
		return SIZE_MAX;
	offset = (chunk->used + align - 1) & ~(align - 1);
	if (offset > chunk->size || chunk->size - offset < size)
		return SIZE_MAX;
	return offset;
}

static void *
arena_alloc_aligned(struct pat_arena *arena, size_t size, size_t align)
{
	struct arena_chunk *chunk = arena->head;
	size_t offset;

	if (size > ARENA_BIG_SIZE)
		return arena_alloc_big(arena, size);
	offset = arena_chunk_fit(chunk, size, align);
	if (offset == SIZE_MAX) {
		chunk = arena_chunk_new(ARENA_CHUNK_SIZE);
		if (chunk == NULL)
			return NULL;
		chunk->next = arena->head;
		arena->head = chunk;
		offset = 0;
	}
	chunk->used = offset + size;
	return (char *)chunk->data + offset;
}

void *
pat_arena_alloc(struct pat_arena *arena, size_t size)
{
	/* Zero-size requests still get a distinct pointer. */
	return arena_alloc_aligned(arena, size == 0 ? 1 : size,
				   alignof(max_align_t));
}

char *
pat_arena_strndup(struct pat_arena *arena, const char *s, size_t len)
{
	char *copy;

	if (len == SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	/* Strings need no alignment: packing them saves up to 15 bytes
	 * per string, which adds up over a million indicators. */
	copy = arena_alloc_aligned(arena, len + 1, 1);
	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}
