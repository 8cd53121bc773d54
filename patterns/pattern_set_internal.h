/* pattern_set_internal.h -- internal to patterns/: the layers a pattern set
 * is made of, shared by pattern_layer.c (a layer's tables and databases),
 * pattern_set.c (sets: assemble, update), match.c (match) and store.c
 * (save, load). */
#ifndef IOCSIFT_PATTERNS_PATTERN_SET_INTERNAL_H
#define IOCSIFT_PATTERNS_PATTERN_SET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <hs/hs.h>

#include "filter.h"
#include "indicator.h"
#include "key_hash.h"
#include "string_table.h"
#include "text_class.h"

#define NO_NEXT UINT32_MAX

/* Hit counters of delta indicators: slots in chunks of 4,096 held by the
 * base layer, at most 1,048,576 per base (a compaction starts afresh). */
#define PAT_SLOT_CHUNK_SHIFT 12
#define PAT_SLOT_CHUNK (1u << PAT_SLOT_CHUNK_SHIFT)
#define PAT_SLOT_CHUNKS 256
#define PAT_SLOTS_MAX (PAT_SLOT_CHUNK * PAT_SLOT_CHUNKS)

/* Last labels of domain indicators, as bits of their hashes: a token
 * whose last label is none of them cannot end in any indicator, and its
 * parents are not looked up. 4,096 bits stay in L1. */
#define PAT_TLD_BITS 4096
#define PAT_TLD_WORDS (PAT_TLD_BITS / 64)

/* Which IPv4 networks indicators hold, so that an address in none of
 * them is not looked up: the /24 networks of indicators of prefix length
 * 24 or more, hashed to one of 2^21 bits (256 KiB, the core's L2; a layer
 * without IPv4 indicators never touches its calloc'd pages), and the /16
 * networks that shorter ones overlap, one bit each (8 KiB). A long prefix
 * is looked up only when the first map has the address's bit, a short
 * one only when the second has. Two maps, since a /16 indicator marks
 * 256 /24s: a million-indicator feed would fill one map of /24s. */
#define PAT_IPV4_16_WORDS (65536 / 64)
#define PAT_IPV4_MAP_SHIFT 11                       /* 32 - 21 */
#define PAT_IPV4_MAP_WORDS ((1u << (32 - PAT_IPV4_MAP_SHIFT)) / 64)

static inline uint32_t
pat_ipv4_map_bit(uint32_t net24)
{
	return (net24 * 0x9e3779b1u) >> PAT_IPV4_MAP_SHIFT;
}

/* The top bits of a label hash: its last step is a multiplication, whose
 * top bits depend on every bit below them. */
static inline unsigned int
pat_tld_bit(uint64_t label_hash)
{
	return (unsigned int)(label_hash >> 52);
}

/* Bytes Hyperscan may read on either side of the buffer it scans
 * (match.c, hyperscan_scan). */
#define PAT_SCAN_SLACK 64

/* One thread's working memory for one set: Hyperscan's, the byte class
 * bitmaps of the text being matched, and the padded copy a buffer at the
 * edge of a page is scanned from. */
struct pat_scratch {
	hs_scratch_t *hs;
	struct pat_text_class *classes;
	size_t classes_cap;       /* blocks of 64 bytes */
	uint8_t *padded;
	size_t padded_cap;        /* bytes, slack on both sides included */
};

enum table_kind {
	TABLE_DOMAINS,
	TABLE_DIGESTS,
	TABLE_ADDRESSES,
	TABLE_OTHERS,      /* file names, URLs, regexes: for delete only */
	TABLE_COUNT,
};

/* One immutable collection of indicators with its indexes. A set is a
 * large base layer shared between versions plus a small delta layer of
 * indicators added since, so that adding one indicator rebuilds only the
 * delta (docs/architecture.md). */
struct pat_layer {
	unsigned int refcount;   /* sets using it; changed by the control path only */
	struct pat_arena *arena;
	struct pat_indicator *indicators;
	uint32_t count;
	/* Indicators sharing a key (same value from two feeds) are chained:
	 * the table holds the first id, next_same[] the rest. */
	uint32_t *next_same;
	struct pat_string_table *tables[TABLE_COUNT];
	/* The hashes of every key of the domain, digest and address tables;
	 * derived from them (pat_layer_finish), never stored. */
	struct pat_filter *filter;
	uint64_t tld[PAT_TLD_WORDS];
	uint64_t ipv4_map[PAT_IPV4_MAP_WORDS];
	uint64_t ipv4_short[PAT_IPV4_16_WORDS];
	/* URLs whose host is a dotted name and dotted file names of name
	 * characters only (pat_literal_in_table): looked up where a dotted
	 * token starts, not searched for by Hyperscan. Keyed by the host, and by
	 * the name in lower case; indicators sharing a key chain through
	 * next_literal. Derived from the indicators, never stored. */
	struct pat_string_table *url_hosts;
	struct pat_string_table *filenames;
	uint32_t *next_literal;
	uint64_t url_tld[PAT_TLD_WORDS];       /* last labels of those hosts */
	uint64_t url_hosts_bits[PAT_TLD_WORDS]; /* the hosts' own hashes */
	uint64_t filename_ext[PAT_TLD_WORDS];  /* last labels of those names */
	uint64_t filename_lengths[4];          /* lengths 0..255 of those names */
	bool has_single_label_domain;
	/* Hit counts (pat_set_count_hit). A base layer holds one per
	 * indicator, and the slots it hands to the delta layers built on it;
	 * a delta layer holds the slot of each of its indicators, carried
	 * from the delta it was rebuilt from. Versions sharing a base so
	 * share their counts, and an add or a delete moves none. The control
	 * path allocates them before it publishes the set that uses them. */
	uint64_t *hit_counts;                    /* base: count entries */
	uint64_t *slot_chunks[PAT_SLOT_CHUNKS];  /* base: slots handed out */
	uint32_t slots_used;                     /* base */
	uint32_t *slots;                         /* delta: count entries */
	/* Bit n set: some IPv4 (IPv6) indicator has prefix length n. */
	uint64_t ipv4_prefixes;
	uint64_t ipv6_prefixes[3];
	hs_database_t *literal_db;
	hs_database_t *regex_db;
};

#define LAYERS_MAX 2     /* base, delta */

struct pat_set {
	uint64_t version;
	uint64_t serial;                       /* pat_set_serial() */
	struct pat_layer *layers[LAYERS_MAX];  /* [1] may be NULL */
	uint32_t id_base[LAYERS_MAX];          /* set id = id_base + layer id */
	uint32_t count;                        /* ids in use, deleted included */
	uint32_t deleted_count;
	uint8_t *deleted;                      /* bitmap over base ids, or NULL */
	/* In front of every exact table of both layers: the base layer's
	 * own when there is no delta, else filter_owned, a copy with the
	 * delta's keys added. */
	const struct pat_filter *filter;
	struct pat_filter *filter_owned;
	/* Unions over the layers, so scanners skip what no layer has. */
	uint64_t tld[PAT_TLD_WORDS];
	uint64_t ipv4_short[PAT_IPV4_16_WORDS];
	const uint64_t *ipv4_map;              /* a layer's, or ipv4_map_owned */
	uint64_t *ipv4_map_owned;              /* both layers have IPv4 */
	uint64_t url_tld[PAT_TLD_WORDS];
	uint64_t url_hosts_bits[PAT_TLD_WORDS];
	uint64_t filename_ext[PAT_TLD_WORDS];
	uint64_t filename_lengths[4];
	bool has_url_hosts, has_filenames;     /* any in a layer's table */
	bool has_single_label_domain;
	bool has_table[TABLE_COUNT];
	bool has_tokens;                       /* any exact table to scan for */
	bool has_hyperscan;                    /* any layer has a database */
	uint64_t ipv4_prefixes;
	uint64_t ipv6_prefixes[3];
	unsigned int n_scratch;
	struct pat_scratch *scratch;
};

/* Whether id of layer is deleted: only base ids are, by the bitmap. */
static inline bool
pat_set_is_deleted(const struct pat_set *set, unsigned int layer, uint32_t id)
{
	return layer == 0 && set->deleted != NULL &&
		(set->deleted[id / 8] >> (id % 8)) & 1;
}

/* ---- layers (pattern_layer.c) ---- */

/* An empty layer for count indicators, refcount 1; NULL on ENOMEM. */
struct pat_layer *pat_layer_alloc(size_t count);
void pat_layer_unref(struct pat_layer *layer);
/* A layer of copies of inds[0..n), indexed, with its filter, literal
 * tables and Hyperscan databases. NULL with errno and err on failure. */
struct pat_layer *pat_layer_build(const struct pat_indicator *const *inds,
				  size_t n, struct error_detail *err);
/* Records what ind adds to the layer's summary (single-label domains,
 * prefix lengths), so scanners know what to look for. */
void pat_layer_note(struct pat_layer *layer, const struct pat_indicator *ind);
/* Builds the layer's filter from its tables, once they are complete.
 * 0 or -ENOMEM. */
int pat_layer_finish(struct pat_layer *layer);
/* How many keys the layer's filtered tables (domains, digests,
 * addresses) hold, and those keys' hashes added to filter. */
size_t pat_layer_filtered_keys(const struct pat_layer *layer);
void pat_layer_fill_filter(const struct pat_layer *layer,
			   struct pat_filter *filter);

/* Whether a file name or URL indicator is looked up in a layer's literal
 * tables (true) or searched for by Hyperscan: a URL whose host is a
 * dotted name or IPv4 address, a dotted file name of name characters. */
bool pat_literal_in_table(const struct pat_indicator *ind);

/* The length of a URL value's host, without a port. */
size_t pat_url_host_len(const char *value);

/* The hash each table kind keeps for a key (key_hash.h). */
uint64_t pat_table_key_hash(enum table_kind kind, const void *key, size_t len);

/* The exact-table key of an indicator: what a lookup of its value finds.
 * File names, URLs and regexes are keyed by type and value (file names
 * lowercased, as they match) so that they can be deleted too. */
struct pat_indicator_key {
	enum table_kind kind;
	const void *data;
	size_t len;
	uint64_t hash;
	uint8_t address[18];
	char *owned;           /* the caller frees it */
};

/* ind's key; 0 or -ENOMEM. */
int pat_indicator_key(const struct pat_indicator *ind,
		      struct pat_indicator_key *key);

/* An IPv6 address as written in text, s[0..len): "::" or six or seven
 * colons (so that times such as 10:00:00 are turned away first), then
 * inet_pton(). The matcher's reading (match.c), and the history's token
 * keys' (token_keys.c). */
bool pat_ipv6_text_parse(const uint8_t *s, size_t len, uint8_t *addr);

/* Key of an address table entry: version, prefix length, masked address
 * (18 bytes at most). Returns its length. In match.c, whose IPv6 lookups
 * inline it. */
size_t pat_address_key(int family, uint8_t prefix_len, const uint8_t *addr,
		       uint8_t *key);

/* ---- sets (pattern_set.c) ---- */

/* A set of base (a reference is taken) and delta (owned), with deleted
 * (owned) marking base ids, and n_scratch scratches. NULL + errno; base is
 * not released then, delta and deleted are. */
struct pat_set *pat_set_assemble(uint64_t version, struct pat_layer *base,
				 struct pat_layer *delta, uint8_t *deleted,
				 uint32_t deleted_count, unsigned int n_scratch);

#endif
