/* pattern_set.c -- the immutable matching database: a set of layers
 * (pattern_layer.c), its accessors, and new versions of it that share its
 * base layer (matching: match.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "filter.h"
#include "pattern_set.h"
#include "pattern_set_internal.h"
#include "string_table.h"

/* ---- accessors ---- */

uint64_t
pat_set_version(const struct pat_set *set)
{
	return set->version;
}

uint64_t
pat_set_serial(const struct pat_set *set)
{
	return set->serial;
}

size_t
pat_set_count(const struct pat_set *set)
{
	return set->count - set->deleted_count;
}

size_t
pat_set_delta_count(const struct pat_set *set)
{
	return set->layers[1] != NULL ? set->layers[1]->count : 0;
}

const struct pat_indicator *
pat_set_indicator(const struct pat_set *set, uint32_t id)
{
	for (unsigned int l = LAYERS_MAX; l-- > 0;) {
		if (set->layers[l] != NULL && id >= set->id_base[l] &&
		    id - set->id_base[l] < set->layers[l]->count)
			return &set->layers[l]->indicators[id - set->id_base[l]];
	}
	return NULL;
}

uint32_t
pat_set_id_limit(const struct pat_set *set)
{
	return set->count;
}

const struct pat_indicator *
pat_set_live_indicator(const struct pat_set *set, uint32_t id)
{
	for (unsigned int l = LAYERS_MAX; l-- > 0;) {
		if (set->layers[l] != NULL && id >= set->id_base[l] &&
		    id - set->id_base[l] < set->layers[l]->count) {
			uint32_t layer_id = id - set->id_base[l];
			if (pat_set_is_deleted(set, l, layer_id))
				return NULL;
			return &set->layers[l]->indicators[layer_id];
		}
	}
	return NULL;
}

unsigned int
pat_set_scratch_count(const struct pat_set *set)
{
	return set->n_scratch;
}

struct pat_scratch *
pat_set_scratch(const struct pat_set *set, unsigned int i)
{
	return i < set->n_scratch ? &set->scratch[i] : NULL;
}

/* The counter of id: its base layer's, or the slot of its delta
 * indicator; NULL for an id out of range. */
static uint64_t *
set_counter(const struct pat_set *set, uint32_t id)
{
	const struct pat_layer *base = set->layers[0], *delta = set->layers[1];

	if (id < base->count)
		return &base->hit_counts[id];
	if (delta == NULL || id - set->id_base[1] >= delta->count)
		return NULL;
	uint32_t slot = delta->slots[id - set->id_base[1]];
	return &base->slot_chunks[slot >> PAT_SLOT_CHUNK_SHIFT]
				 [slot & (PAT_SLOT_CHUNK - 1)];
}

void
pat_set_count_hit(const struct pat_set *set, uint32_t id)
{
	uint64_t *counter = set_counter(set, id);

	if (counter != NULL)
		__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

uint64_t
pat_set_hit_count(const struct pat_set *set, uint32_t id)
{
	const uint64_t *counter = set_counter(set, id);

	return counter != NULL ? __atomic_load_n(counter, __ATOMIC_RELAXED) : 0;
}

bool
pat_set_shares_counts(const struct pat_set *a, const struct pat_set *b)
{
	return a->layers[0] == b->layers[0];
}

size_t
pat_set_counter_slots_left(const struct pat_set *set)
{
	return PAT_SLOTS_MAX - set->layers[0]->slots_used;
}

/* ---- sets ---- */

void
pat_set_free(struct pat_set *set)
{
	if (set == NULL)
		return;
	for (unsigned int i = 0; set->scratch != NULL && i < set->n_scratch; i++) {
		hs_free_scratch(set->scratch[i].hs);
		free(set->scratch[i].classes);
		free(set->scratch[i].padded);
	}
	free(set->scratch);
	pat_filter_free(set->filter_owned);
	free(set->ipv4_map_owned);
	for (unsigned int l = 0; l < LAYERS_MAX; l++)
		pat_layer_unref(set->layers[l]);
	free(set->deleted);
	free(set);
}

static int
set_alloc_scratch(struct pat_set *set, unsigned int n_scratch)
{
	hs_scratch_t *proto = NULL;

	set->scratch = calloc(n_scratch ? n_scratch : 1, sizeof(*set->scratch));
	if (set->scratch == NULL)
		return -ENOMEM;
	set->n_scratch = n_scratch;
	/* One scratch big enough for every database of every layer. */
	for (unsigned int l = 0; l < LAYERS_MAX && set->layers[l] != NULL; l++) {
		hs_database_t *dbs[2] = { set->layers[l]->literal_db,
					  set->layers[l]->regex_db };
		for (unsigned int d = 0; d < 2; d++) {
			if (dbs[d] != NULL &&
			    hs_alloc_scratch(dbs[d], &proto) != HS_SUCCESS) {
				hs_free_scratch(proto);
				return -ENOMEM;
			}
		}
	}
	/* A padded copy for the longest frame a worker matches
	 * (match.c, hyperscan_scan): it never allocates. */
	for (unsigned int i = 0; proto != NULL && i < n_scratch; i++) {
		struct pat_scratch *scratch = &set->scratch[i];
		scratch->padded_cap = PAT_TEXT_PREALLOC + 2 * PAT_SCAN_SLACK;
		scratch->padded = calloc(1, scratch->padded_cap);
		if (scratch->padded == NULL ||
		    hs_clone_scratch(proto, &scratch->hs) != HS_SUCCESS) {
			hs_free_scratch(proto);
			return -ENOMEM;
		}
	}
	hs_free_scratch(proto);
	/* Bitmaps for the longest frame a worker matches: it never
	 * allocates. */
	for (unsigned int i = 0; set->has_tokens && i < n_scratch; i++) {
		size_t blocks = PAT_TEXT_PREALLOC / 64 + 1;
		set->scratch[i].classes = malloc(blocks *
						 sizeof(*set->scratch[i].classes));
		if (set->scratch[i].classes == NULL)
			return -ENOMEM;
		set->scratch[i].classes_cap = blocks;
	}
	return 0;
}

/* The filter of base and delta: the base layer's own without a delta,
 * else a copy with the delta's keys added (or, if the two together need
 * a bigger filter than the base has, one filled from both). */
static int
set_filter(struct pat_set *set)
{
	const struct pat_layer *base = set->layers[0], *delta = set->layers[1];

	if (delta == NULL || pat_layer_filtered_keys(delta) == 0) {
		set->filter = base->filter;
		return 0;
	}
	struct pat_filter *f = pat_filter_new(base->filter->keys +
					      delta->filter->keys);
	if (f == NULL)
		return -ENOMEM;
	if (f->n_words == base->filter->n_words) {
		pat_filter_free(f);
		f = pat_filter_copy(base->filter);
		if (f == NULL)
			return -ENOMEM;
	} else {
		pat_layer_fill_filter(base, f);
	}
	pat_layer_fill_filter(delta, f);
	set->filter = set->filter_owned = f;
	return 0;
}

/* A new counter slot of base (zero), or -ENOSPC when it has handed out
 * PAT_SLOTS_MAX, -ENOMEM. */
static int64_t
base_slot_take(struct pat_layer *base)
{
	uint32_t slot = base->slots_used, chunk = slot >> PAT_SLOT_CHUNK_SHIFT;

	if (slot >= PAT_SLOTS_MAX)
		return -ENOSPC;
	if (base->slot_chunks[chunk] == NULL) {
		base->slot_chunks[chunk] = calloc(PAT_SLOT_CHUNK, sizeof(uint64_t));
		if (base->slot_chunks[chunk] == NULL)
			return -ENOMEM;
	}
	base->slots_used++;
	return slot;
}

/* Gives each indicator of delta a counter slot of base: the one it had
 * in old when inds[i] points into old's indicators (delta was built from
 * inds), so its hits keep counting in the same place from version to
 * version, else a new one. old and inds may be NULL. 0 or -errno. */
static int
delta_give_slots(struct pat_layer *base, const struct pat_layer *old,
		 const struct pat_indicator *const *inds,
		 struct pat_layer *delta)
{
	delta->slots = malloc((delta->count + 1) * sizeof(*delta->slots));
	if (delta->slots == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < delta->count; i++) {
		if (old != NULL && inds != NULL && inds[i] >= old->indicators &&
		    inds[i] < old->indicators + old->count) {
			delta->slots[i] = old->slots[inds[i] - old->indicators];
			continue;
		}
		int64_t slot = base_slot_take(base);
		if (slot < 0)
			return (int)slot;
		delta->slots[i] = (uint32_t)slot;
	}
	return 0;
}

/* The base's counters on first use, and slots for a delta that has none
 * yet (one loaded from a stored set). 0 or -errno. */
static int
set_counters(struct pat_set *set)
{
	struct pat_layer *base = set->layers[0], *delta = set->layers[1];

	if (base->hit_counts == NULL) {
		base->hit_counts = calloc(base->count + 1, sizeof(uint64_t));
		if (base->hit_counts == NULL)
			return -ENOMEM;
	}
	if (delta == NULL || delta->slots != NULL)
		return 0;
	return delta_give_slots(base, NULL, NULL, delta);
}

struct pat_set *
pat_set_assemble(uint64_t version, struct pat_layer *base, struct pat_layer *delta,
	     uint8_t *deleted, uint32_t deleted_count, unsigned int n_scratch)
{
	struct pat_set *set = calloc(1, sizeof(*set));

	if (set == NULL) {
		pat_layer_unref(delta);
		free(deleted);
		errno = ENOMEM;
		return NULL;
	}
	static uint64_t serials;

	base->refcount++;
	set->version = version;
	set->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	set->layers[0] = base;
	set->layers[1] = delta;
	set->id_base[1] = base->count;
	set->count = base->count + (delta != NULL ? delta->count : 0);
	set->deleted = deleted;
	set->deleted_count = deleted_count;
	for (unsigned int l = 0; l < LAYERS_MAX && set->layers[l] != NULL; l++) {
		const struct pat_layer *layer = set->layers[l];
		set->has_single_label_domain |= layer->has_single_label_domain;
		for (unsigned int w = 0; w < PAT_TLD_WORDS; w++)
			set->tld[w] |= layer->tld[w];
		for (unsigned int w = 0; w < PAT_IPV4_16_WORDS; w++)
			set->ipv4_short[w] |= layer->ipv4_short[w];
		for (unsigned int w = 0; w < PAT_TLD_WORDS; w++) {
			set->url_tld[w] |= layer->url_tld[w];
			set->url_hosts_bits[w] |= layer->url_hosts_bits[w];
			set->filename_ext[w] |= layer->filename_ext[w];
		}
		for (unsigned int w = 0; w < 4; w++)
			set->filename_lengths[w] |= layer->filename_lengths[w];
		set->has_url_hosts |=
			pat_string_table_count(layer->url_hosts) > 0;
		set->has_filenames |=
			pat_string_table_count(layer->filenames) > 0;
		for (unsigned int t = 0; t < TABLE_COUNT; t++)
			set->has_table[t] |=
				pat_string_table_count(layer->tables[t]) > 0;
		set->ipv4_prefixes |= layer->ipv4_prefixes;
		for (unsigned int i = 0; i < 3; i++)
			set->ipv6_prefixes[i] |= layer->ipv6_prefixes[i];
		set->has_hyperscan |= layer->literal_db != NULL ||
			layer->regex_db != NULL;
	}
	/* The IPv4 map of the one layer that has addresses, or of both. */
	for (unsigned int l = 0; l < LAYERS_MAX && set->layers[l] != NULL; l++) {
		const struct pat_layer *layer = set->layers[l];
		if (layer->ipv4_prefixes == 0)
			continue;
		if (set->ipv4_map == NULL) {
			set->ipv4_map = layer->ipv4_map;
			continue;
		}
		set->ipv4_map_owned = malloc(sizeof(layer->ipv4_map));
		if (set->ipv4_map_owned == NULL) {
			pat_set_free(set);
			errno = ENOMEM;
			return NULL;
		}
		for (unsigned int w = 0; w < PAT_IPV4_MAP_WORDS; w++)
			set->ipv4_map_owned[w] = set->ipv4_map[w] |
				layer->ipv4_map[w];
		set->ipv4_map = set->ipv4_map_owned;
	}
	set->has_tokens = set->has_url_hosts || set->has_filenames ||
		set->has_table[TABLE_DOMAINS] ||
		set->has_table[TABLE_DIGESTS] || set->ipv4_prefixes != 0 ||
		(set->ipv6_prefixes[0] | set->ipv6_prefixes[1] |
		 set->ipv6_prefixes[2]) != 0;
	int rc = set_counters(set);
	if (rc == 0 && (set_filter(set) != 0 ||
			set_alloc_scratch(set, n_scratch) != 0))
		rc = -ENOMEM;
	if (rc != 0) {
		pat_set_free(set);
		errno = -rc;
		return NULL;
	}
	return set;
}

/* A set over a freshly built base layer and no delta. */
static struct pat_set *
set_from_indicators(const struct pat_indicator *const *inds, size_t n,
		    unsigned int n_scratch, uint64_t version,
		    struct error_detail *err)
{
	if (n >= NO_NEXT) {
		error_detail_set(err, "", 0, "too many indicators: %zu", n);
		errno = E2BIG;
		return NULL;
	}
	struct pat_layer *base = pat_layer_build(inds, n, err);
	if (base == NULL)
		return NULL;
	struct pat_set *set = pat_set_assemble(version, base, NULL, NULL, 0,
					   n_scratch);
	pat_layer_unref(base);
	if (set == NULL)
		error_detail_set(err, "", 0, "building the pattern set: %s",
			      strerror(errno));
	return set;
}

struct pat_set *
pat_set_build(const struct pat_feed *const *feeds, size_t n_feeds,
	      unsigned int n_scratch, uint64_t version, struct error_detail *err)
{
	size_t total = 0, n = 0;

	for (size_t f = 0; f < n_feeds; f++)
		total += feeds[f]->count;
	const struct pat_indicator **inds = malloc((total + 1) * sizeof(*inds));
	if (inds == NULL) {
		error_detail_set(err, "", 0, "building the pattern set: %s",
			      strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	for (size_t f = 0; f < n_feeds; f++)
		for (size_t i = 0; i < feeds[f]->count; i++)
			inds[n++] = &feeds[f]->items[i];
	struct pat_set *set = set_from_indicators(inds, n, n_scratch, version,
						  err);
	free(inds);
	return set;
}

struct pat_set *
pat_set_from_indicators(const struct pat_indicator *const *inds, size_t n,
			unsigned int n_scratch, uint64_t version,
			struct error_detail *err)
{
	return set_from_indicators(inds, n, n_scratch, version, err);
}

/* ---- updates: a new version shares the base and rebuilds the delta ---- */

/* Fails an update for want of memory: errno and err both say so. */
static struct pat_set *
update_nomem(struct error_detail *err)
{
	error_detail_set(err, "", 0, "new pattern set: %s", strerror(ENOMEM));
	errno = ENOMEM;
	return NULL;
}

/* Calls fn for every live indicator id of set whose key equals ind's
 * (any feed), layer by layer. Returns how many it found. */
static uint32_t
set_find(const struct pat_set *set, const struct pat_indicator_key *key,
	 void (*fn)(unsigned int layer, uint32_t id, void *ctx), void *ctx)
{
	uint32_t found = 0, id;

	for (unsigned int l = 0; l < LAYERS_MAX && set->layers[l] != NULL; l++) {
		const struct pat_layer *layer = set->layers[l];
		if (pat_string_table_find(layer->tables[key->kind], key->hash,
					  key->data, key->len, &id) != 0)
			continue;
		for (; id != NO_NEXT; id = layer->next_same[id]) {
			if (pat_set_is_deleted(set, l, id))
				continue;
			found++;
			if (fn != NULL)
				fn(l, id, ctx);
		}
	}
	return found;
}

bool
pat_set_has(const struct pat_set *set, const struct pat_indicator *ind)
{
	struct pat_indicator_key key;

	/* Without memory for the key, as if it were not there: a hunt for
	 * an indicator already hunted for is the lesser harm. */
	if (pat_indicator_key(ind, &key) != 0)
		return false;
	bool found = set_find(set, &key, NULL, NULL) > 0;
	free(key.owned);
	return found;
}

/* Pointers to the delta's indicators, but for those marked in skip. */
static const struct pat_indicator **
delta_indicators(const struct pat_set *set, const uint8_t *skip, size_t extra,
		 size_t *n)
{
	const struct pat_layer *delta = set->layers[1];
	size_t count = delta != NULL ? delta->count : 0;
	const struct pat_indicator **inds = malloc((count + extra + 1) *
						   sizeof(*inds));

	*n = 0;
	for (size_t i = 0; inds != NULL && i < count; i++)
		if (skip == NULL || !skip[i])
			inds[(*n)++] = &delta->indicators[i];
	return inds;
}

static uint8_t *
deleted_copy(const struct pat_set *set)
{
	size_t bytes = set->layers[0]->count / 8 + 1;
	uint8_t *copy = calloc(1, bytes);

	if (copy != NULL && set->deleted != NULL)
		memcpy(copy, set->deleted, bytes);
	return copy;
}

/* The new set: prev's base, delta rebuilt from inds[0..n), deleted. */
static struct pat_set *
set_with_delta(const struct pat_set *prev, const struct pat_indicator **inds,
	       size_t n, uint8_t *deleted, uint32_t deleted_count,
	       uint64_t version, struct error_detail *err)
{
	struct pat_layer *delta = NULL;

	if (n > 0) {
		delta = pat_layer_build(inds, n, err);
		if (delta == NULL) {
			free(deleted);
			return NULL;
		}
		int rc = delta_give_slots(prev->layers[0], prev->layers[1],
					  inds, delta);
		if (rc != 0) {
			error_detail_set(err, "", 0, "new pattern set: %s%s",
				      strerror(-rc), rc == -ENOSPC ?
				      " (hit counters: compact the set)" : "");
			pat_layer_unref(delta);
			free(deleted);
			errno = -rc;
			return NULL;
		}
	}
	struct pat_set *set = pat_set_assemble(version, prev->layers[0], delta,
					   deleted, deleted_count,
					   prev->n_scratch);
	if (set == NULL)
		error_detail_set(err, "", 0, "new pattern set: %s",
			      strerror(errno));
	return set;
}

struct same_feed {
	const struct pat_set *set;
	const char *feed;
	bool found;
};

static void
same_feed_check(unsigned int layer, uint32_t id, void *ctx)
{
	struct same_feed *sf = ctx;

	if (strcmp(sf->set->layers[layer]->indicators[id].feed, sf->feed) == 0)
		sf->found = true;
}

struct hit_carry {
	const struct pat_set *to;
	const char *feed;
	uint64_t count;
};

static void
hit_carry_add(unsigned int layer, uint32_t id, void *ctx)
{
	struct hit_carry *c = ctx;

	if (strcmp(c->to->layers[layer]->indicators[id].feed, c->feed) != 0)
		return;
	uint64_t *counter = set_counter(c->to, c->to->id_base[layer] + id);
	if (counter != NULL)
		__atomic_fetch_add(counter, c->count, __ATOMIC_RELAXED);
}

void
pat_set_move_hit_counts(const struct pat_set *to, const struct pat_set *from)
{
	if (pat_set_shares_counts(to, from))
		return;
	for (uint32_t id = 0; id < from->count; id++) {
		uint64_t *counter = set_counter(from, id);
		if (counter == NULL ||
		    __atomic_load_n(counter, __ATOMIC_RELAXED) == 0)
			continue;
		uint64_t n = __atomic_exchange_n(counter, 0, __ATOMIC_RELAXED);
		const struct pat_indicator *ind = pat_set_live_indicator(from, id);
		struct pat_indicator_key key;
		if (ind == NULL || pat_indicator_key(ind, &key) != 0)
			continue;
		struct hit_carry c = { .to = to, .feed = ind->feed, .count = n };
		set_find(to, &key, hit_carry_add, &c);
		free(key.owned);
	}
}

struct pat_set *
pat_set_add(const struct pat_set *prev, const struct pat_indicator *ind,
	    uint64_t version, struct error_detail *err)
{
	struct pat_indicator_key key;
	struct same_feed sf = { .set = prev, .feed = ind->feed };
	size_t n;

	if (pat_indicator_key(ind, &key) != 0)
		return update_nomem(err);
	set_find(prev, &key, same_feed_check, &sf);
	free(key.owned);
	if (sf.found) {
		error_detail_set(err, ind->feed, 0, "%s '%s' is already in feed '%s'",
			      pat_type_name(ind->type), ind->value, ind->feed);
		errno = EEXIST;
		return NULL;
	}
	const struct pat_indicator **inds = delta_indicators(prev, NULL, 1, &n);
	uint8_t *deleted = prev->deleted != NULL ? deleted_copy(prev) : NULL;
	if (inds == NULL || (prev->deleted != NULL && deleted == NULL)) {
		free(inds);
		free(deleted);
		return update_nomem(err);
	}
	inds[n++] = ind;
	struct pat_set *set = set_with_delta(prev, inds, n, deleted,
					     prev->deleted_count, version, err);
	free(inds);
	return set;
}

struct deletion {
	const struct pat_set *set;
	uint8_t *deleted;       /* base bitmap being built */
	uint32_t deleted_count;
	uint8_t *delta_skip;    /* one flag per delta indicator */
};

static void
deletion_mark(unsigned int layer, uint32_t id, void *ctx)
{
	struct deletion *d = ctx;

	if (layer == 0) {
		d->deleted[id / 8] |= (uint8_t)(1u << (id % 8));
		d->deleted_count++;
	} else {
		d->delta_skip[id] = 1;
	}
}

struct pat_set *
pat_set_delete(const struct pat_set *prev, const struct pat_indicator *ind,
	       uint64_t version, struct error_detail *err)
{
	struct pat_indicator_key key;
	struct deletion d = { .set = prev };
	size_t n = 0;
	struct pat_set *set = NULL;

	if (pat_indicator_key(ind, &key) != 0)
		return update_nomem(err);
	if (set_find(prev, &key, NULL, NULL) == 0) {
		error_detail_set(err, "", 0, "%s '%s' is not in the database",
			      pat_type_name(ind->type), ind->value);
		free(key.owned);
		errno = ENOENT;
		return NULL;
	}
	errno = ENOMEM;
	d.deleted = deleted_copy(prev);
	d.deleted_count = prev->deleted_count;
	d.delta_skip = calloc(pat_set_delta_count(prev) + 1, 1);
	if (d.deleted == NULL || d.delta_skip == NULL)
		goto out;
	set_find(prev, &key, deletion_mark, &d);
	const struct pat_indicator **inds =
		delta_indicators(prev, d.delta_skip, 0, &n);
	if (inds == NULL)
		goto out;
	set = set_with_delta(prev, inds, n, d.deleted, d.deleted_count,
			     version, err);
	d.deleted = NULL;       /* owned by the set or freed with it */
	free(inds);
out:
	free(key.owned);
	free(d.deleted);
	free(d.delta_skip);
	if (set == NULL && errno == ENOMEM)
		error_detail_set(err, "", 0, "new pattern set: %s", strerror(ENOMEM));
	return set;
}

struct pat_set *
pat_set_compact(const struct pat_set *prev, uint64_t version,
		struct error_detail *err)
{
	const struct pat_indicator **inds = malloc((prev->count + 1) *
						   sizeof(*inds));
	size_t n = 0;

	if (inds == NULL)
		return update_nomem(err);
	for (unsigned int l = 0; l < LAYERS_MAX && prev->layers[l] != NULL; l++)
		for (uint32_t id = 0; id < prev->layers[l]->count; id++)
			if (!pat_set_is_deleted(prev, l, id))
				inds[n++] = &prev->layers[l]->indicators[id];
	struct pat_set *set = set_from_indicators(inds, n, prev->n_scratch,
						  version, err);
	free(inds);
	return set;
}

static bool
feed_replaced(const char *name, const struct pat_feed *const *feeds, size_t n)
{
	for (size_t f = 0; f < n; f++)
		if (strcmp(name, feeds[f]->name) == 0)
			return true;
	return false;
}

struct pat_set *
pat_set_replace_feeds(const struct pat_set *prev,
		      const struct pat_feed *const *feeds, size_t n_feeds,
		      uint64_t version, struct error_detail *err)
{
	size_t total = prev->count, n = 0;

	for (size_t f = 0; f < n_feeds; f++)
		total += feeds[f]->count;
	const struct pat_indicator **inds = malloc((total + 1) * sizeof(*inds));
	if (inds == NULL)
		return update_nomem(err);
	for (unsigned int l = 0; l < LAYERS_MAX && prev->layers[l] != NULL; l++)
		for (uint32_t id = 0; id < prev->layers[l]->count; id++) {
			const struct pat_indicator *ind =
				&prev->layers[l]->indicators[id];
			if (!pat_set_is_deleted(prev, l, id) &&
			    !feed_replaced(ind->feed, feeds, n_feeds))
				inds[n++] = ind;
		}
	for (size_t f = 0; f < n_feeds; f++)
		for (size_t i = 0; i < feeds[f]->count; i++)
			inds[n++] = &feeds[f]->items[i];
	struct pat_set *set = set_from_indicators(inds, n, prev->n_scratch,
						  version, err);
	free(inds);
	return set;
}
