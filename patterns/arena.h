/* arena.h -- bump allocator for the strings of feeds and pattern sets. */
#ifndef IOCSIFT_PATTERNS_ARENA_H
#define IOCSIFT_PATTERNS_ARENA_H

#include <stddef.h>

struct pat_arena;

struct pat_arena *pat_arena_new(void);
void pat_arena_free(struct pat_arena *arena);

/* Memory aligned for any type; NULL with errno=ENOMEM. */
void *pat_arena_alloc(struct pat_arena *arena, size_t size);

/* A NUL-terminated copy of s[0..len). */
char *pat_arena_strndup(struct pat_arena *arena, const char *s, size_t len);

#endif
