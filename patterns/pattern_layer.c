/* pattern_layer.c -- one layer of a pattern set: the indicators copied
 * into its arena, the exact tables and the literal tables they are
 * looked up in, the summaries the matcher prunes with, the filter and
 * the Hyperscan databases. Sets (pattern_set.c) are made of layers;
 * store.c loads them from a file.
 *
 * Which atom goes where (see docs/architecture.md):
 *   domains, digests, IPv4/IPv6 (with CIDR)  exact hash tables keyed by
 *       the hashes of key_hash.h, behind one filter of all their keys;
 *       text is cut into candidate tokens, each looked up (a domain also
 *       by every parent)
 *   file names and URLs  dotted ones in the literal tables, looked up
 *       where a dotted token starts; the others in one Hyperscan literal
 *       database, caseless; each candidate match is then checked against
 *       the token rules
 *   regexes              one Hyperscan database, single match per pattern
 * Exact tables cost one lookup per token however many indicators are
 * loaded; Hyperscan does what needs substring search. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "arena.h"
#include "filter.h"
#include "key_hash.h"
#include "pattern_set_internal.h"
#include "string_table.h"

static inline uint8_t
to_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

void
pat_layer_unref(struct pat_layer *layer)
{
	if (layer == NULL || --layer->refcount > 0)
		return;
	hs_free_database(layer->literal_db);
	hs_free_database(layer->regex_db);
	for (unsigned int t = 0; t < TABLE_COUNT; t++)
		pat_string_table_free(layer->tables[t]);
	pat_filter_free(layer->filter);
	pat_string_table_free(layer->url_hosts);
	pat_string_table_free(layer->filenames);
	free(layer->next_literal);
	free(layer->next_same);
	free(layer->hit_counts);
	for (unsigned int c = 0; c < PAT_SLOT_CHUNKS; c++)
		free(layer->slot_chunks[c]);
	free(layer->slots);
	free(layer->indicators);
	pat_arena_free(layer->arena);
	free(layer);
}

uint64_t
pat_table_key_hash(enum table_kind kind, const void *key, size_t len)
{
	switch (kind) {
	case TABLE_DOMAINS:
		return pat_hash_domain(key, len);
	case TABLE_DIGESTS:
		return pat_hash_digest(key, len);
	case TABLE_ADDRESSES:
		return pat_hash_address(key, len);
	default:
		return pat_hash_bytes(PAT_HASH_SEED_OTHER, key, len);
	}
}

int
pat_indicator_key(const struct pat_indicator *ind, struct pat_indicator_key *key)
{
	size_t n = strlen(ind->value);

	key->owned = NULL;
	key->data = NULL;
	switch (ind->type) {
	case PAT_TYPE_DOMAIN:
		key->kind = TABLE_DOMAINS;
		break;
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		key->kind = TABLE_DIGESTS;
		break;
	case PAT_TYPE_IPV4:
	case PAT_TYPE_IPV6:
		key->kind = TABLE_ADDRESSES;
		key->len = pat_address_key(ind->type == PAT_TYPE_IPV4 ? 4 : 6,
					   ind->prefix_len, ind->addr,
					   key->address);
		key->data = key->address;
		break;
	default:
		key->kind = TABLE_OTHERS;
		key->owned = malloc(n + 1);
		if (key->owned == NULL)
			return -ENOMEM;
		key->owned[0] = (char)ind->type;
		for (size_t i = 0; i < n; i++)
			key->owned[i + 1] = ind->type == PAT_TYPE_FILENAME ?
				(char)to_lower((uint8_t)ind->value[i]) :
				ind->value[i];
		key->data = key->owned;
		key->len = n + 1;
		break;
	}
	if (key->data == NULL) {
		key->data = ind->value;
		key->len = n;
	}
	key->hash = pat_table_key_hash(key->kind, key->data, key->len);
	return 0;
}

static int
layer_copy_indicator(struct pat_layer *layer, const struct pat_indicator *src)
{
	struct pat_indicator *dst = &layer->indicators[layer->count];

	*dst = *src;
	dst->value = pat_arena_strndup(layer->arena, src->value,
				       strlen(src->value));
	dst->tags = pat_arena_strndup(layer->arena, src->tags,
				      strlen(src->tags));
	dst->source = pat_arena_strndup(layer->arena, src->source,
					strlen(src->source));
	dst->feed = pat_arena_strndup(layer->arena, src->feed,
				      strlen(src->feed));
	if (dst->value == NULL || dst->tags == NULL || dst->source == NULL ||
	    dst->feed == NULL)
		return -ENOMEM;
	layer->next_same[layer->count] = NO_NEXT;
	layer->count++;
	return 0;
}

/* Sets hash's bit in a map of PAT_TLD_BITS (pat_tld_bit()). */
static void
map_set(uint64_t *map, uint64_t hash)
{
	unsigned int bit = pat_tld_bit(hash);

	map[bit / 64] |= 1ULL << (bit % 64);
}

void
pat_layer_note(struct pat_layer *layer, const struct pat_indicator *ind)
{
	if (ind->type == PAT_TYPE_DOMAIN) {
		const char *dot = strrchr(ind->value, '.');
		const char *last = dot != NULL ? dot + 1 : ind->value;
		map_set(layer->tld, pat_hash_label((const uint8_t *)last,
						   strlen(last), PAT_HASH_FOLD));
		if (dot == NULL)
			layer->has_single_label_domain = true;
	}
	if (ind->type == PAT_TYPE_IPV4 && ind->prefix_len <= 32) {
		if (ind->prefix_len >= 24) {
			uint32_t bit = pat_ipv4_map_bit(
				(uint32_t)ind->addr[0] << 16 |
				(uint32_t)ind->addr[1] << 8 | ind->addr[2]);
			layer->ipv4_map[bit / 64] |= 1ULL << (bit % 64);
		} else {
			uint32_t first = (uint32_t)ind->addr[0] << 8 | ind->addr[1];
			uint32_t span = ind->prefix_len >= 16 ? 1 :
				1u << (16 - ind->prefix_len);
			first &= ~(span - 1);
			for (uint32_t n = first; n - first < span; n++)
				layer->ipv4_short[n / 64] |= 1ULL << (n % 64);
		}
		layer->ipv4_prefixes |= 1ULL << ind->prefix_len;
	}
	if (ind->type == PAT_TYPE_IPV6 && ind->prefix_len <= 128)
		layer->ipv6_prefixes[ind->prefix_len / 64] |=
			1ULL << (ind->prefix_len % 64);
}

static void
filter_add_hash(uint64_t hash, void *ctx)
{
	pat_filter_add(ctx, hash);
}

/* The tables whose keys text matching looks up, behind the filter. */
static const enum table_kind filtered_tables[] = {
	TABLE_DOMAINS, TABLE_DIGESTS, TABLE_ADDRESSES,
};

size_t
pat_layer_filtered_keys(const struct pat_layer *layer)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(filtered_tables) / sizeof(filtered_tables[0]); i++)
		n += pat_string_table_count(layer->tables[filtered_tables[i]]);
	return n;
}

void
pat_layer_fill_filter(const struct pat_layer *layer, struct pat_filter *filter)
{
	for (size_t i = 0; i < sizeof(filtered_tables) / sizeof(filtered_tables[0]); i++)
		pat_string_table_each_hash(layer->tables[filtered_tables[i]],
					   filter_add_hash, filter);
}

static bool
name_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
		      (c | 0x20) <= 'z') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

size_t
pat_url_host_len(const char *value)
{
	return strcspn(value, ":/?#");
}

bool
pat_literal_in_table(const struct pat_indicator *ind)
{
	size_t n = strlen(ind->value);

	/* A dotted name is found among the dotted tokens the matcher
	 * visits anyway; one without a dot would need every word looked up,
	 * and Hyperscan does that faster. */
	if (ind->type == PAT_TYPE_FILENAME)
		return n > 0 && n < 256 && name_chars(ind->value, n) &&
			memchr(ind->value, '.', n) != NULL;
	if (ind->type != PAT_TYPE_URL)
		return false;
	size_t host = pat_url_host_len(ind->value);
	return host > 0 && ind->value[0] != '.' &&
		memchr(ind->value, '.', host) != NULL &&
		name_chars(ind->value, host);
}

/* The literal tables of the layer's file names and URLs that are looked
 * up rather than searched for. */
static int
layer_literal_tables(struct pat_layer *layer)
{
	pat_string_table_free(layer->url_hosts);
	pat_string_table_free(layer->filenames);
	free(layer->next_literal);
	layer->url_hosts = pat_string_table_new(16);
	layer->filenames = pat_string_table_new(16);
	layer->next_literal = malloc((layer->count + 1) *
				     sizeof(*layer->next_literal));
	if (layer->url_hosts == NULL || layer->filenames == NULL ||
	    layer->next_literal == NULL)
		return -ENOMEM;
	for (uint32_t id = 0; id < layer->count; id++) {
		const struct pat_indicator *ind = &layer->indicators[id];
		layer->next_literal[id] = NO_NEXT;
		if (!pat_literal_in_table(ind))
			continue;
		bool url = ind->type == PAT_TYPE_URL;
		size_t n = url ? pat_url_host_len(ind->value) : strlen(ind->value);
		char key[256];
		for (size_t i = 0; i < n && i < sizeof(key); i++) {
			uint8_t c = (uint8_t)ind->value[i];
			key[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
		}
		if (n > sizeof(key))
			n = sizeof(key);     /* hosts are at most 253 */
		struct pat_string_table *t = url ? layer->url_hosts :
			layer->filenames;
		uint64_t hash = pat_hash_domain(key, n);
		uint32_t first;
		int rc = pat_string_table_insert(t, hash, key, n, id, &first);
		if (rc == -EEXIST) {
			while (layer->next_literal[first] != NO_NEXT)
				first = layer->next_literal[first];
			layer->next_literal[first] = id;
		} else if (rc != 0) {
			return rc;
		}
		const char *dot = memrchr(key, '.', n);
		const char *last = dot != NULL ? dot + 1 : key;
		uint64_t last_hash = pat_hash_label((const uint8_t *)last,
						    (size_t)(key + n - last),
						    PAT_HASH_FOLD);
		if (url) {
			map_set(layer->url_tld, last_hash);
			map_set(layer->url_hosts_bits, hash);
		} else {
			map_set(layer->filename_ext, last_hash);
			layer->filename_lengths[n / 64] |= 1ULL << (n % 64);
		}
	}
	return 0;
}

int
pat_layer_finish(struct pat_layer *layer)
{
	pat_filter_free(layer->filter);
	layer->filter = pat_filter_new(pat_layer_filtered_keys(layer));
	if (layer->filter == NULL)
		return -ENOMEM;
	pat_layer_fill_filter(layer, layer->filter);
	return layer_literal_tables(layer);
}

/* Indexes indicator id; a key already present gets id chained behind. */
static int
layer_index(struct pat_layer *layer, uint32_t id)
{
	const struct pat_indicator *ind = &layer->indicators[id];
	struct pat_indicator_key key;
	uint32_t first;
	int rc = pat_indicator_key(ind, &key);

	if (rc != 0)
		return rc;
	pat_layer_note(layer, ind);
	rc = pat_string_table_insert(layer->tables[key.kind], key.hash,
				     key.data, key.len, id, &first);
	free(key.owned);
	if (rc != -EEXIST)
		return rc;
	while (layer->next_same[first] != NO_NEXT)
		first = layer->next_same[first];
	layer->next_same[first] = id;
	return 0;
}

static void
error_from_hs(const struct pat_layer *layer, hs_compile_error_t *compile_error,
	      struct error_detail *err)
{
	if (compile_error->expression >= 0 &&
	    (uint32_t)compile_error->expression < layer->count) {
		const struct pat_indicator *ind =
			&layer->indicators[compile_error->expression];
		error_detail_set(err, ind->feed, ind->line, "%s '%s': %s",
			      pat_type_name(ind->type), ind->value,
			      compile_error->message);
	} else {
		error_detail_set(err, "", 0, "hyperscan: %s",
			      compile_error->message);
	}
	hs_free_compile_error(compile_error);
}

/* Compiles the indicators of the given kind (literal: file names and URLs;
 * else regexes) into one database; Hyperscan ids are layer ids. */
static int
layer_compile(struct pat_layer *layer, bool literal, hs_database_t **db,
	      struct error_detail *err)
{
	const char **expressions = calloc(layer->count + 1, sizeof(*expressions));
	unsigned int *flags = calloc(layer->count + 1, sizeof(*flags));
	unsigned int *ids = calloc(layer->count + 1, sizeof(*ids));
	size_t *lens = calloc(layer->count + 1, sizeof(*lens));
	unsigned int n = 0;
	int rc = -ENOMEM;

	if (expressions == NULL || flags == NULL || ids == NULL || lens == NULL)
		goto free_arrays;
	for (uint32_t id = 0; id < layer->count; id++) {
		enum pat_type type = layer->indicators[id].type;
		bool wanted = literal ?
			((type == PAT_TYPE_FILENAME || type == PAT_TYPE_URL) &&
			 !pat_literal_in_table(&layer->indicators[id])) :
			type == PAT_TYPE_REGEX;
		if (!wanted)
			continue;
		expressions[n] = layer->indicators[id].value;
		lens[n] = strlen(expressions[n]);
		flags[n] = literal ? HS_FLAG_CASELESS : HS_FLAG_SINGLEMATCH;
		ids[n++] = id;
	}
	rc = 0;
	if (n == 0)
		goto free_arrays;

	hs_compile_error_t *compile_error = NULL;
	hs_error_t hs_rc = literal ?
		hs_compile_lit_multi(expressions, flags, ids, lens, n,
				     HS_MODE_BLOCK, NULL, db, &compile_error) :
		hs_compile_multi(expressions, flags, ids, n, HS_MODE_BLOCK,
				 NULL, db, &compile_error);
	if (hs_rc != HS_SUCCESS) {
		/* The error's index is into our arrays: map it to the id. */
		if (compile_error->expression >= 0)
			compile_error->expression =
				(int)ids[compile_error->expression];
		error_from_hs(layer, compile_error, err);
		rc = -EINVAL;
	}
free_arrays:
	free(expressions);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

struct pat_layer *
pat_layer_alloc(size_t count)
{
	struct pat_layer *layer = calloc(1, sizeof(*layer));

	if (layer == NULL)
		return NULL;
	layer->refcount = 1;
	layer->arena = pat_arena_new();
	layer->indicators = calloc(count ? count : 1, sizeof(*layer->indicators));
	layer->next_same = calloc(count ? count : 1, sizeof(*layer->next_same));
	bool ok = layer->arena != NULL && layer->indicators != NULL &&
		layer->next_same != NULL;
	for (unsigned int t = 0; t < TABLE_COUNT; t++) {
		layer->tables[t] = pat_string_table_new(t == TABLE_DOMAINS ?
							count : 16);
		ok = ok && layer->tables[t] != NULL;
	}
	if (!ok) {
		pat_layer_unref(layer);
		return NULL;
	}
	return layer;
}

struct pat_layer *
pat_layer_build(const struct pat_indicator *const *inds, size_t n,
	    struct error_detail *err)
{
	struct pat_layer *layer = pat_layer_alloc(n);
	int rc = -ENOMEM;

	if (layer == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		rc = layer_copy_indicator(layer, inds[i]);
		if (rc == 0)
			rc = layer_index(layer, layer->count - 1);
		if (rc != 0)
			goto fail;
	}
	rc = pat_layer_finish(layer);
	if (rc != 0)
		goto fail;
	rc = layer_compile(layer, true, &layer->literal_db, err);
	if (rc == 0)
		rc = layer_compile(layer, false, &layer->regex_db, err);
	if (rc == 0)
		return layer;
	if (rc == -ENOMEM)
		goto fail;     /* a compile error has filled err already */
	pat_layer_unref(layer);
	errno = -rc;
	return NULL;
fail:
	error_detail_set(err, "", 0, "building the pattern set: %s", strerror(-rc));
	pat_layer_unref(layer);
	errno = -rc;
	return NULL;
}
