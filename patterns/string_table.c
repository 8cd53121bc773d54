/* string_table.c -- open-addressing (linear probing) hash map from byte
 * strings to ids. Keys live in one growing byte buffer so the table is two
 * allocations however many keys it holds. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "string_table.h"

struct slot {
	uint64_t hash;         /* 0 = empty slot */
	uint32_t key_offset;
	uint32_t key_len;
	uint32_t value;
};

struct pat_string_table {
	struct slot *slots;
	size_t mask;           /* capacity - 1, capacity a power of two */
	size_t count;
	char *keys;
	size_t keys_len;
	size_t keys_capacity;
};

static size_t
capacity_for(size_t expected)
{
	size_t capacity = 16;

	/* Keep the load factor at or below one half. */
	while (capacity < expected * 2)
		capacity <<= 1;
	return capacity;
}

struct pat_string_table *
pat_string_table_new(size_t expected)
{
	struct pat_string_table *table = calloc(1, sizeof(*table));
	if (table == NULL)
		return NULL;
	size_t capacity = capacity_for(expected);
	table->slots = calloc(capacity, sizeof(*table->slots));
	if (table->slots == NULL) {
		free(table);
		errno = ENOMEM;
		return NULL;
	}
	table->mask = capacity - 1;
	return table;
}

void
pat_string_table_free(struct pat_string_table *table)
{
	if (table == NULL)
		return;
	free(table->slots);
	free(table->keys);
	free(table);
}

size_t
pat_string_table_count(const struct pat_string_table *table)
{
	return table->count;
}

static bool
slot_holds(const struct pat_string_table *table, const struct slot *slot,
	   uint64_t hash, const void *key, size_t len)
{
	return slot->hash == hash && slot->key_len == len &&
		memcmp(table->keys + slot->key_offset, key, len) == 0;
}

static struct slot *
slot_lookup(const struct pat_string_table *table, uint64_t hash,
	    const void *key, size_t len)
{
	for (size_t i = hash & table->mask;; i = (i + 1) & table->mask) {
		struct slot *slot = &table->slots[i];
		if (slot->hash == 0 || slot_holds(table, slot, hash, key, len))
			return slot;
	}
}

static int
table_grow(struct pat_string_table *table)
{
	size_t capacity = (table->mask + 1) * 2;
	struct slot *slots = calloc(capacity, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i <= table->mask; i++) {
		struct slot *old = &table->slots[i];
		if (old->hash == 0)
			continue;
		size_t j = old->hash & (capacity - 1);
		while (slots[j].hash != 0)
			j = (j + 1) & (capacity - 1);
		slots[j] = *old;
	}
	free(table->slots);
	table->slots = slots;
	table->mask = capacity - 1;
	return 0;
}

static int
keys_append(struct pat_string_table *table, const void *key, size_t len,
	    uint32_t *offset)
{
	if (table->keys_len + len > UINT32_MAX)
		return -ENOMEM;
	if (table->keys_len + len > table->keys_capacity) {
		size_t capacity = table->keys_capacity ? table->keys_capacity : 4096;
		while (capacity < table->keys_len + len)
			capacity *= 2;
		char *keys = realloc(table->keys, capacity);
		if (keys == NULL)
			return -ENOMEM;
		table->keys = keys;
		table->keys_capacity = capacity;
	}
	memcpy(table->keys + table->keys_len, key, len);
	*offset = (uint32_t)table->keys_len;
	table->keys_len += len;
	return 0;
}

int
pat_string_table_insert(struct pat_string_table *table, uint64_t hash,
			const void *key, size_t len, uint32_t value,
			uint32_t *existing)
{
	struct slot *slot = slot_lookup(table, hash, key, len);

	if (slot->hash != 0) {
		if (existing != NULL)
			*existing = slot->value;
		return -EEXIST;
	}
	if ((table->count + 1) * 2 > table->mask + 1) {
		if (table_grow(table) != 0)
			return -ENOMEM;
		slot = slot_lookup(table, hash, key, len);
	}
	uint32_t offset;
	if (keys_append(table, key, len, &offset) != 0)
		return -ENOMEM;
	*slot = (struct slot){
		.hash = hash,
		.key_offset = offset,
		.key_len = (uint32_t)len,
		.value = value,
	};
	table->count++;
	return 0;
}

int
pat_string_table_find(const struct pat_string_table *table, uint64_t hash,
		      const void *key, size_t len, uint32_t *value)
{
	const struct slot *slot = slot_lookup(table, hash, key, len);

	if (slot->hash == 0)
		return -ENOENT;
	*value = slot->value;
	return 0;
}

static bool
equal_lowered(const char *key, const uint8_t *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];
		if ((char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c) != key[i])
			return false;
	}
	return true;
}

int
pat_string_table_find_lower(const struct pat_string_table *table,
			    uint64_t hash, const uint8_t *text, size_t len,
			    uint32_t *value)
{
	for (size_t i = hash & table->mask;; i = (i + 1) & table->mask) {
		const struct slot *slot = &table->slots[i];
		if (slot->hash == 0)
			return -ENOENT;
		if (slot->hash == hash && slot->key_len == len &&
		    equal_lowered(table->keys + slot->key_offset, text, len)) {
			*value = slot->value;
			return 0;
		}
	}
}

void
pat_string_table_each_hash(const struct pat_string_table *table,
			   void (*fn)(uint64_t hash, void *ctx), void *ctx)
{
	for (size_t i = 0; i <= table->mask; i++)
		if (table->slots[i].hash != 0)
			fn(table->slots[i].hash, ctx);
}

void
pat_string_table_image(const struct pat_string_table *table,
		       struct pat_string_table_image *image)
{
	*image = (struct pat_string_table_image){
		.slots = table->slots,
		.capacity = table->mask + 1,
		.count = table->count,
		.keys = table->keys,
		.keys_len = table->keys_len,
	};
}

size_t
pat_string_table_slot_size(void)
{
	return sizeof(struct slot);
}

/* Checks a table copied from an image: the slots may come from a file.
 * A slot whose hash is not its key's would make that key unfindable. */
static bool
table_valid(const struct pat_string_table *table, uint32_t value_limit,
	    uint64_t (*hash)(const void *key, size_t len))
{
	size_t used = 0;

	for (size_t i = 0; i <= table->mask; i++) {
		const struct slot *slot = &table->slots[i];
		if (slot->hash == 0)
			continue;
		used++;
		if ((size_t)slot->key_offset + slot->key_len > table->keys_len ||
		    slot->value >= value_limit ||
		    hash(table->keys + slot->key_offset, slot->key_len) !=
		    slot->hash)
			return false;
	}
	/* At least half the slots empty, or a lookup might never end. */
	return used == table->count && used * 2 <= table->mask + 1;
}

struct pat_string_table *
pat_string_table_from_image(const struct pat_string_table_image *image,
			    uint32_t value_limit,
			    uint64_t (*hash)(const void *key, size_t len))
{
	if (image->capacity < 16 || (image->capacity & (image->capacity - 1))) {
		errno = EINVAL;
		return NULL;
	}
	struct pat_string_table *table = calloc(1, sizeof(*table));
	if (table == NULL)
		return NULL;
	/* Copied first: the image need not be aligned for struct slot. */
	table->slots = malloc(image->capacity * sizeof(struct slot));
	table->keys = malloc(image->keys_len ? image->keys_len : 1);
	if (table->slots == NULL || table->keys == NULL) {
		pat_string_table_free(table);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(table->slots, image->slots, image->capacity * sizeof(struct slot));
	memcpy(table->keys, image->keys, image->keys_len);
	table->mask = image->capacity - 1;
	table->count = image->count;
	table->keys_len = image->keys_len;
	table->keys_capacity = image->keys_len ? image->keys_len : 1;
	if (!table_valid(table, value_limit, hash)) {
		pat_string_table_free(table);
		errno = EINVAL;
		return NULL;
	}
	return table;
}
