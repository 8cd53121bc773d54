/* string_table.h -- open-addressing hash map from byte strings to ids,
 * the exact-match structure behind domains, digests and addresses. The
 * caller hashes (key_hash.h): a matcher has the hash of a token before it
 * has the token in the form the table keeps. */
#ifndef IOCSIFT_PATTERNS_STRING_TABLE_H
#define IOCSIFT_PATTERNS_STRING_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct pat_string_table;

/* A table sized for `expected` keys (it grows past that). NULL + errno. */
struct pat_string_table *pat_string_table_new(size_t expected);
void pat_string_table_free(struct pat_string_table *table);

size_t pat_string_table_count(const struct pat_string_table *table);

/* Inserts a copy of key, of the given hash (never 0). -EEXIST (and
 * *existing set) when the key is present, -ENOMEM when growing failed, 0
 * otherwise. */
int pat_string_table_insert(struct pat_string_table *table, uint64_t hash,
			    const void *key, size_t len, uint32_t value,
			    uint32_t *existing);

/* 0 and *value, or -ENOENT. */
int pat_string_table_find(const struct pat_string_table *table, uint64_t hash,
			  const void *key, size_t len, uint32_t *value);

/* The same for a key written in any case: text is compared lowered
 * (ASCII A-Z) with keys kept in lower case. */
int pat_string_table_find_lower(const struct pat_string_table *table,
				uint64_t hash, const uint8_t *text, size_t len,
				uint32_t *value);

/* The table as bytes, for saving and loading it (store.c): the slot array
 * and the key bytes, both position independent. */
struct pat_string_table_image {
	const void *slots;
	size_t capacity;       /* slots, a power of two */
	size_t count;
	const char *keys;
	size_t keys_len;
};

void pat_string_table_image(const struct pat_string_table *table,
			    struct pat_string_table_image *image);
size_t pat_string_table_slot_size(void);

/* A table copied from an image, every slot checked against the key bytes,
 * its hash against hash(key) and its value against value_limit. NULL
 * with errno EINVAL (inconsistent image) or ENOMEM. */
struct pat_string_table *
pat_string_table_from_image(const struct pat_string_table_image *image,
			    uint32_t value_limit,
			    uint64_t (*hash)(const void *key, size_t len));

/* Calls fn with the hash of every key: what a filter is built from. */
void pat_string_table_each_hash(const struct pat_string_table *table,
				void (*fn)(uint64_t hash, void *ctx), void *ctx);

#endif
