/* match.c -- matching text, DNS names and addresses against a pattern set:
 * the only code of patterns/ a worker runs.
 *
 * Text is classified once (text_class.h): every byte's classes as 64-bit
 * bitmaps. Candidate tokens are then found from the bitmaps alone, each
 * once, and handed to the matcher of its shape:
 *   dotted names   around each '.': the run of name characters holding it
 *                  gives the domain candidates (the name and its parents,
 *                  hashed right to left, one step per label) and the
 *                  IPv4 candidates (its runs of digits and dots);
 *   digests        an alphanumeric run of 32, 40 or 64 bytes covers a
 *                  byte at an offset divisible by 32: only those bytes
 *                  are looked at;
 *   IPv6           around each ':', the run of hex digits, ':' and '.'.
 * Every exact lookup first asks the set's filter (filter.h), which holds
 * the hashes of every domain, digest and address of the base layer and
 * the delta, so a token that is no key costs one cache line. Hyperscan
 * scans the text only for file names and URLs (one literal database) and
 * regexes, and only when the set has some. Rules: docs/matching.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "filter.h"
#include "key_hash.h"
#include "pattern_set.h"
#include "pattern_set_internal.h"
#include "string_table.h"
#include "text_class.h"

#define DOMAIN_MAX 253
#define IPV6_TEXT_MAX 45
#define DIGEST_MIN 32          /* the shortest digest: md5 */

#define unlikely(x) __builtin_expect(!!(x), 0)

static inline bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_letter(uint8_t c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool
is_alnum(uint8_t c)
{
	return is_digit(c) || is_letter(c);
}

static inline bool
is_domain_char(uint8_t c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

/* ---- hits ---- */

static void
hits_add_one(struct pat_hits *hits, uint32_t id)
{
	for (uint16_t i = 0; i < hits->count; i++)
		if (hits->ids[i] == id)
			return;
	if (hits->count < PAT_HITS_MAX)
		hits->ids[hits->count++] = id;
	else if (hits->overflow < UINT16_MAX)
		hits->overflow++;
}

/* An indicator of a layer hit: unless deleted or expired. */
static void
hits_add(const struct pat_set *set, unsigned int layer, uint32_t id,
	 struct pat_hits *hits)
{
	const struct pat_indicator *ind = &set->layers[layer]->indicators[id];

	if (pat_set_is_deleted(set, layer, id))
		return;
	if (ind->expires != 0 && hits->now >= ind->expires)
		return;
	hits_add_one(hits, set->id_base[layer] + id);
}

/* Every indicator keyed (kind, hash, key) in any layer; key is compared
 * lowered when lower (text in any case against keys in lower case). */
static void
table_lookup(const struct pat_set *set, enum table_kind kind, uint64_t hash,
	     const void *key, size_t len, bool lower, struct pat_hits *hits)
{
	uint32_t id;

	for (unsigned int l = 0; l < LAYERS_MAX && set->layers[l] != NULL; l++) {
		const struct pat_layer *layer = set->layers[l];
		int rc = lower ?
			pat_string_table_find_lower(layer->tables[kind], hash,
						    key, len, &id) :
			pat_string_table_find(layer->tables[kind], hash, key,
					      len, &id);
		if (rc != 0)
			continue;
		for (; id != NO_NEXT; id = layer->next_same[id])
			hits_add(set, l, id, hits);
	}
}

/* The same behind the filter, which answers first: most tokens stop
 * there. */
static inline void
table_match(const struct pat_set *set, enum table_kind kind, uint64_t hash,
	    const void *key, size_t len, bool lower, struct pat_hits *hits)
{
	if (unlikely(pat_filter_may_contain(set->filter, hash)))
		table_lookup(set, kind, hash, key, len, lower, hits);
}

/* ---- addresses ---- */

/* Key of an address table entry: version, prefix length, masked address. */
size_t
pat_address_key(int family, uint8_t prefix_len, const uint8_t *addr,
		uint8_t *key)
{
	size_t n = family == 4 ? 4 : 16;

	key[0] = (uint8_t)family;
	key[1] = prefix_len;
	for (size_t i = 0; i < n; i++) {
		unsigned int bits = i * 8 >= prefix_len ? 0 :
			(prefix_len - i * 8 >= 8 ? 8 : prefix_len - i * 8);
		key[2 + i] = addr[i] & (uint8_t)(0xff00 >> bits);
	}
	return 2 + n;
}

/* The hashes of addr under every prefix length of the set, their filter
 * blocks asked for all at once (their loads overlap), then the probes. */
#define ADDRESS_PROBES_MAX 129

/* An IPv4 address's four bytes as a number. */
static inline uint32_t
ipv4_host(const uint8_t *addr)
{
	return (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
		(uint32_t)addr[2] << 8 | addr[3];
}

static void
match_ipv4(const struct pat_set *set, const uint8_t *addr,
	   struct pat_hits *hits)
{
	uint64_t words[33], hashes[33];
	uint32_t host = ipv4_host(addr);
	unsigned int n = 0, net16 = host >> 16;
	uint32_t bit = pat_ipv4_map_bit(host >> 8);
	/* The prefix lengths worth a lookup: 24 and up if the /24 map has
	 * the address, the shorter ones if the /16 map has. */
	uint64_t lengths = set->ipv4_prefixes;

	if (set->ipv4_map == NULL ||
	    !((set->ipv4_map[bit / 64] >> (bit % 64)) & 1))
		lengths &= (1ULL << 24) - 1;
	if (!((set->ipv4_short[net16 / 64] >> (net16 % 64)) & 1))
		lengths &= ~((1ULL << 24) - 1);
	for (uint64_t bits = lengths; bits != 0; bits &= bits - 1) {
		unsigned int len = (unsigned int)__builtin_ctzll(bits);
		uint32_t net = len == 0 ? 0 : host & (~0U << (32 - len));
		/* The key's bytes (4, len, net big-endian) as the word a
		 * little-endian load of them gives. */
		uint64_t be = (uint64_t)(net >> 24) | (uint64_t)((net >> 16) & 0xff) << 8 |
			(uint64_t)((net >> 8) & 0xff) << 16 | (uint64_t)(net & 0xff) << 24;
		words[n] = 4 | (uint64_t)len << 8 | be << 16;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		words[n] = __builtin_bswap64(words[n]);
#endif
		hashes[n] = pat_hash_address_words(&words[n], 1);
		pat_filter_prefetch(set->filter, hashes[n]);
		n++;
	}
	for (unsigned int i = 0; i < n; i++)
		table_match(set, TABLE_ADDRESSES, hashes[i], &words[i], 6, false,
			    hits);
}

static void
match_ipv6(const struct pat_set *set, const uint8_t *addr,
	   struct pat_hits *hits)
{
	uint64_t keys[ADDRESS_PROBES_MAX][3], hashes[ADDRESS_PROBES_MAX];
	unsigned int n = 0;

	for (unsigned int w = 0; w < 3; w++) {
		for (uint64_t bits = set->ipv6_prefixes[w]; bits != 0;
		     bits &= bits - 1) {
			unsigned int len = w * 64 +
				(unsigned int)__builtin_ctzll(bits);
			uint8_t *key = (uint8_t *)keys[n];
			memset(keys[n], 0, sizeof(keys[n]));
			pat_address_key(6, (uint8_t)len, addr, key);
			hashes[n] = pat_hash_address_words(keys[n], 3);
			pat_filter_prefetch(set->filter, hashes[n]);
			n++;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		table_match(set, TABLE_ADDRESSES, hashes[i], keys[i], 18, false,
			    hits);
}

void
pat_match_address(const struct pat_set *set, int family, const uint8_t *addr,
		  struct pat_hits *hits)
{
	/* One lookup per prefix length in use: 1 for a host-only feed. */
	if (family == 4)
		match_ipv4(set, addr, hits);
	else
		match_ipv6(set, addr, hits);
}

/* ---- the bitmaps of a text ---- */

/* Lookups found while a text is walked wait here, their filter words
 * (and address map words) asked for at once, and are done together when
 * the queue is full or the walk ends: on the dataplane the filter and
 * the maps compete for L2 with the packets, and the loads then overlap
 * instead of stalling one after the other. */
#define QUEUE_MAX 32

struct pending_lookup {
	uint64_t hash;
	uint32_t off;
	uint16_t len;
	uint8_t kind;          /* enum table_kind: domains or digests */
};

struct lookup_queue {
	struct pending_lookup lookups[QUEUE_MAX];
	unsigned int n_lookups;
	uint8_t ipv4[QUEUE_MAX][4];
	unsigned int n_ipv4;
};

/* pat_locate_address(): the indicator asked about and the first address
 * token of the text that hits it. */
struct address_locate {
	uint32_t id;
	size_t off;
	size_t len;            /* 0: none found yet */
};

struct text_scan {
	const struct pat_set *set;
	const uint8_t *text;
	size_t len;
	const struct pat_text_class *cls;
	size_t n_blocks;
	struct pat_hits *hits;
	struct lookup_queue *queue;
	struct address_locate *locate;   /* NULL when matching */
};

static void
queue_flush(const struct text_scan *s)
{
	struct lookup_queue *q = s->queue;

	for (unsigned int i = 0; i < q->n_lookups; i++) {
		const struct pending_lookup *p = &q->lookups[i];
		table_match(s->set, (enum table_kind)p->kind, p->hash,
			    s->text + p->off, p->len, true, s->hits);
	}
	q->n_lookups = 0;
	for (unsigned int i = 0; i < q->n_ipv4; i++)
		match_ipv4(s->set, q->ipv4[i], s->hits);
	q->n_ipv4 = 0;
}

/* A domain or digest key of the text, looked up at the next flush. */
static inline void
queue_lookup(const struct text_scan *s, enum table_kind kind, uint64_t hash,
	     size_t off, size_t len)
{
	struct lookup_queue *q = s->queue;

	pat_filter_prefetch(s->set->filter, hash);
	q->lookups[q->n_lookups++] = (struct pending_lookup){
		.hash = hash, .off = (uint32_t)off, .len = (uint16_t)len,
		.kind = (uint8_t)kind,
	};
	if (q->n_lookups == QUEUE_MAX)
		queue_flush(s);
}

/* An IPv4 address of the text, its map words asked for now. */
static inline void
queue_ipv4(const struct text_scan *s, const uint8_t *addr)
{
	struct lookup_queue *q = s->queue;
	uint32_t host = ipv4_host(addr);
	uint32_t bit = pat_ipv4_map_bit(host >> 8);

	if (s->set->ipv4_map != NULL)
		__builtin_prefetch(&s->set->ipv4_map[bit / 64]);
	__builtin_prefetch(&s->set->ipv4_short[(host >> 16) / 64]);
	memcpy(q->ipv4[q->n_ipv4++], addr, 4);
	if (q->n_ipv4 == QUEUE_MAX)
		queue_flush(s);
}

/* An address token of the text, at [off, off + len): matched, or when
 * locating, checked alone for the indicator asked about. */
static inline void
address_found(const struct text_scan *s, int family, const uint8_t *addr,
	      size_t off, size_t len)
{
	struct address_locate *locate = s->locate;

	if (locate == NULL) {
		if (family == 4)
			queue_ipv4(s, addr);
		else
			match_ipv6(s->set, addr, s->hits);
		return;
	}
	struct pat_hits hits;
	pat_hits_reset(&hits, s->hits->now);
	pat_match_address(s->set, family, addr, &hits);
	for (uint16_t i = 0; i < hits.count; i++) {
		if (hits.ids[i] == locate->id &&
		    (locate->len == 0 || off < locate->off)) {
			locate->off = off;
			locate->len = len;
		}
	}
}

enum field {
	FIELD_NAME,
	FIELD_ALNUM,
	FIELD_HEX,
	FIELD_DOT,
	FIELD_COLON,
	FIELD_IPV6,     /* hex, ':' and '.' */
};

static inline uint64_t
bits(const struct text_scan *s, enum field f, size_t block)
{
	const struct pat_text_class *c = &s->cls[block];

	switch (f) {
	case FIELD_NAME:
		return c->name;
	case FIELD_ALNUM:
		return c->alnum;
	case FIELD_HEX:
		return c->hex;
	case FIELD_DOT:
		return c->dot;
	case FIELD_COLON:
		return c->colon;
	default:
		return c->hex | c->colon | c->dot;
	}
}

/* Bits of positions 0..i of a block (i < 64). */
static inline uint64_t
up_to(size_t i)
{
	return (2ULL << i) - 1;
}

/* The first position >= p in f, or len. */
static inline size_t
next_in(const struct text_scan *s, enum field f, size_t p)
{
	size_t b = p / 64;

	if (p >= s->len)
		return s->len;
	uint64_t m = bits(s, f, b) & (~0ULL << (p % 64));
	while (m == 0) {
		if (++b >= s->n_blocks)
			return s->len;
		m = bits(s, f, b);
	}
	return b * 64 + (size_t)__builtin_ctzll(m);
}

/* The last position in [lo, hi) in f, or SIZE_MAX. */
static inline size_t
last_in(const struct text_scan *s, enum field f, size_t lo, size_t hi)
{
	if (hi <= lo)
		return SIZE_MAX;
	size_t b = (hi - 1) / 64;
	uint64_t m = bits(s, f, b) & up_to((hi - 1) % 64);
	for (;;) {
		if (m != 0) {
			size_t p = b * 64 + 63 - (size_t)__builtin_clzll(m);
			return p >= lo ? p : SIZE_MAX;
		}
		if (b == 0 || b * 64 <= lo)
			return SIZE_MAX;
		m = bits(s, f, --b);
	}
}

/* The run of f holding p (in f): its first position... */
static inline size_t
run_start(const struct text_scan *s, enum field f, size_t p)
{
	size_t b = p / 64;
	uint64_t out = ~bits(s, f, b) & up_to(p % 64);

	while (out == 0) {
		if (b == 0)
			return 0;
		out = ~bits(s, f, --b);
	}
	return b * 64 + 64 - (size_t)__builtin_clzll(out);
}

/* ...and the position after its last one. */
static inline size_t
run_end(const struct text_scan *s, enum field f, size_t p)
{
	size_t b = p / 64;
	uint64_t out = ~bits(s, f, b) & ~up_to(p % 64);

	while (out == 0) {
		if (++b >= s->n_blocks)
			return s->len;
		out = ~bits(s, f, b);
	}
	size_t end = b * 64 + (size_t)__builtin_ctzll(out);
	return end < s->len ? end : s->len;
}

/* Whether [lo, hi) holds at least k positions of f (k small): bits are
 * cleared one by one, no popcount instruction is needed. */
static bool
at_least_in(const struct text_scan *s, enum field f, size_t lo, size_t hi,
	    unsigned int k)
{
	for (size_t p = lo; p < hi && k > 0;) {
		size_t b = p / 64, stop = (b + 1) * 64 < hi ? (b + 1) * 64 : hi;
		uint64_t m = bits(s, f, b) & (~0ULL << (p % 64)) &
			up_to((stop - 1) % 64);
		for (; m != 0 && k > 0; m &= m - 1)
			k--;
		p = stop;
	}
	return k == 0;
}

/* Whether every position of [lo, hi) is in f. */
static bool
all_in(const struct text_scan *s, enum field f, size_t lo, size_t hi)
{
	for (size_t p = lo; p < hi;) {
		size_t b = p / 64, stop = (b + 1) * 64 < hi ? (b + 1) * 64 : hi;
		uint64_t want = (~0ULL << (p % 64)) & up_to((stop - 1) % 64);
		if ((bits(s, f, b) & want) != want)
			return false;
		p = stop;
	}
	return true;
}

/* ---- dotted names: domains and IPv4 ---- */

/* Whether the last-label map holds label_hash's bit. */
static inline bool
bit_in(const uint64_t *map, uint64_t label_hash)
{
	unsigned int bit = pat_tld_bit(label_hash);

	return (map[bit / 64] >> (bit % 64)) & 1;
}

/* ---- file names and URLs in the literal tables ---- */

static bool url_verify(const struct pat_indicator *ind, const uint8_t *text,
		       size_t len, size_t start, size_t end);
static bool filename_ends_token(const uint8_t *text, size_t len, size_t end);

/* Each indicator of a literal table keyed by text[a, e) in any case, in
 * every layer; ok() says whether one hits there. */
static void
literal_lookup(const struct text_scan *s, bool url, size_t a, size_t e,
	       uint64_t hash)
{
	uint32_t id;

	for (unsigned int l = 0; l < LAYERS_MAX && s->set->layers[l] != NULL; l++) {
		const struct pat_layer *layer = s->set->layers[l];
		if (pat_string_table_find_lower(url ? layer->url_hosts :
						layer->filenames, hash,
						s->text + a, e - a, &id) != 0)
			continue;
		for (; id != NO_NEXT; id = layer->next_literal[id]) {
			const struct pat_indicator *ind = &layer->indicators[id];
			size_t n = strlen(ind->value);
			/* A URL: what follows the host (port, path) as
			 * written, then the rules of a URL's end. */
			bool ok = url ? a + n <= s->len &&
				memcmp(s->text + e, ind->value + (e - a),
				       n - (e - a)) == 0 &&
				url_verify(ind, s->text, s->len, a, a + n) :
				filename_ends_token(s->text, s->len, e);
			if (ok)
				hits_add(s->set, l, id, s->hits);
		}
	}
}

static inline bool
filename_before(uint8_t c)
{
	return c == '/' || c == '\\' || c == ' ' || c == '\t' || c == '"' ||
		c == '\'' || c == '=';
}

/* A dotted file name of the table starts the dotted run [a, e) when the
 * run follows the start or one of / \\ space tab " ' =, and ends at the
 * run's end or at a '.' of it that no letter or digit follows. */
static void
text_match_filenames(const struct text_scan *s, size_t a, size_t e)
{
	const uint8_t *t = s->text;
	const uint64_t *lengths = s->set->filename_lengths;

	if (a > 0 && !filename_before(t[a - 1]))
		return;
	for (size_t end = next_in(s, FIELD_DOT, a + 1);;
	     end = next_in(s, FIELD_DOT, end + 1)) {
		if (end > e)
			end = e;
		if (end < e && end + 1 < s->len && is_alnum(t[end + 1]))
			continue;
		size_t n = end - a;
		if (n < 256 && (lengths[n / 64] >> (n % 64)) & 1) {
			/* Then its last label (the extension) must be one
			 * of a name of the table. */
			size_t dot = last_in(s, FIELD_DOT, a, end);
			size_t ext = dot == SIZE_MAX ? a : dot + 1;
			if (bit_in(s->set->filename_ext, pat_hash_label_within(
				    t + ext, end - ext, s->len - ext,
				    PAT_HASH_FOLD)))
				literal_lookup(s, false, a, end, pat_hash_domain(
					(const char *)t + a, n));
		}
		if (end == e)
			break;
	}
}

/* The name run [a, e) and every parent of it at a label boundary, from
 * the right: "a.evil.com" -> "evil.com", "a.evil.com" ("com" alone only
 * when the set has a single-label domain). Names longer than a domain
 * can be still end in one: suffixes past DOMAIN_MAX are not looked up. */
static void
text_match_domain(const struct text_scan *s, size_t a, size_t e)
{
	const uint8_t *t = s->text;
	const struct pat_set *set = s->set;
	bool single = set->has_single_label_domain;
	bool domains = set->has_table[TABLE_DOMAINS];
	bool want_url = false;
	uint64_t state = PAT_HASH_SEED_DOMAIN;
	size_t run_a = a, run_e = e;

	while (a < e && t[a] == '.')
		a++;
	while (e > a && t[e - 1] == '.')
		e--;
	for (size_t label_end = e; label_end > a;) {
		size_t dot = last_in(s, FIELD_DOT, a, label_end);
		size_t start = dot == SIZE_MAX ? a : dot + 1;
		if (e - start > DOMAIN_MAX)
			return;
		uint64_t label = pat_hash_label_within(t + start,
			label_end - start, s->len - start, PAT_HASH_FOLD);
		if (label_end == e) {
			/* A URL's host is the whole run and ends in a last
			 * label of a host of the table. Every domain
			 * candidate ends in the last label: if no indicator
			 * ends in this one, none can match. */
			want_url = set->has_url_hosts && run_a == a &&
				run_e == e && bit_in(set->url_tld, label);
			domains = domains && bit_in(set->tld, label);
			if (!domains && !want_url)
				return;
		}
		state = pat_hash_step(state, label);
		if (domains && (label_end != e || single))
			queue_lookup(s, TABLE_DOMAINS, pat_hash_final(state),
				     start, e - start);
		if (dot == SIZE_MAX)
			break;
		label_end = dot;
	}
	/* The hash of the whole run is the domain hash of its host. */
	if (want_url) {
		uint64_t host = pat_hash_final(state);
		if (bit_in(set->url_hosts_bits, host))
			literal_lookup(s, true, a, e, host);
	}
}

/* The runs of digits and dots inside the name run [a, e): an address
 * starts with a digit, with no letter just before or after it; a final
 * '.' ends a sentence. Each run is read once, its numbers parsed as it
 * goes: four of 1 to 3 digits, each at most 255 (leading zeros allowed,
 * as some firewalls pad them), between single dots. */
static void
text_match_ipv4(const struct text_scan *s, size_t a, size_t e)
{
	const uint8_t *t = s->text;

	for (size_t i = a; i < e;) {
		if (!is_digit(t[i])) {
			i++;
			continue;
		}
		size_t start = i;
		uint8_t addr[4];
		unsigned int part = 0, digits = 0, value = 0;
		bool ok = start == 0 || (t[start - 1] != '.' &&
					 !is_letter(t[start - 1]));
		for (; i < e && (is_digit(t[i]) || t[i] == '.'); i++) {
			if (t[i] != '.') {
				value = value * 10 + (unsigned int)(t[i] - '0');
				ok &= ++digits <= 3 && value <= 255;
				continue;
			}
			/* A dot ends a number; one at the very end of the
			 * run is the sentence's. */
			if (digits == 0 || part == 3) {
				ok &= i + 1 == e || !(is_digit(t[i + 1]) ||
						      t[i + 1] == '.') ?
					digits > 0 && part == 3 : false;
				continue;
			}
			addr[part++] = (uint8_t)value;
			value = 0;
			digits = 0;
		}
		if (!ok || part != 3 || digits == 0 ||
		    (i < s->len && is_letter(t[i])))
			continue;
		addr[3] = (uint8_t)value;
		/* Without the sentence's dot. */
		size_t end = t[i - 1] == '.' ? i - 1 : i;
		address_found(s, 4, addr, start, end - start);
	}
}

static void
text_match_names(const struct text_scan *s)
{
	const struct pat_set *set = s->set;
	bool domains = set->has_table[TABLE_DOMAINS] || set->has_url_hosts;
	bool ipv4 = set->ipv4_prefixes != 0;
	bool filenames = set->has_filenames;
	/* Every run of name characters is a candidate when a single label
	 * can be a domain; else only runs holding a dot are. */
	enum field seed = set->has_table[TABLE_DOMAINS] &&
		set->has_single_label_domain ? FIELD_NAME : FIELD_DOT;

	for (size_t p = next_in(s, seed, 0); p < s->len;) {
		size_t a = run_start(s, FIELD_NAME, p);
		size_t e = run_end(s, FIELD_NAME, p);
		if (ipv4 && at_least_in(s, FIELD_DOT, a, e, 3))
			text_match_ipv4(s, a, e);
		if (domains)
			text_match_domain(s, a, e);
		if (filenames)
			text_match_filenames(s, a, e);
		p = next_in(s, seed, e);
	}
}

/* ---- digests ---- */

/* Bits of block b at which 32 alphanumeric bytes in a row begin (they may
 * run on into block b + 1): the run of bits is halved five times, each
 * step keeping a bit only if the bit as far ahead as the run so far is
 * set too. No digest is shorter. */
static inline uint64_t
long_runs(const struct text_scan *s, size_t b)
{
	uint64_t lo = s->cls[b].alnum;
	uint64_t hi = b + 1 < s->n_blocks ? s->cls[b + 1].alnum : 0;

	for (unsigned int k = 1; k < DIGEST_MIN; k <<= 1) {
		lo &= lo >> k | hi << (64 - k);
		hi &= hi >> k;
	}
	return lo;
}

/* A whole alphanumeric token of 32, 40 or 64 hex digits, any case. */
static void
text_match_digests(const struct text_scan *s)
{
	size_t next = 0;       /* the runs before were looked at */

	for (size_t b = 0; b < s->n_blocks; b++) {
		uint64_t m = long_runs(s, b);
		if (next >= (b + 1) * 64)
			continue;
		if (next > b * 64)
			m &= ~0ULL << (next - b * 64);
		while (m != 0) {
			size_t p = b * 64 + (size_t)__builtin_ctzll(m);
			size_t a = run_start(s, FIELD_ALNUM, p);
			size_t e = run_end(s, FIELD_ALNUM, p);
			size_t n = e - a;
			if ((n == 32 || n == 40 || n == 64) &&
			    all_in(s, FIELD_HEX, a, e))
				queue_lookup(s, TABLE_DIGESTS,
					     pat_hash_digest(s->text + a, n),
					     a, n);
			next = e;
			if (e >= (b + 1) * 64)
				break;
			m &= ~0ULL << (e - b * 64);
		}
	}
}

/* ---- IPv6 ---- */

bool
pat_ipv6_text_parse(const uint8_t *s, size_t len, uint8_t *addr)
{
	char buf[IPV6_TEXT_MAX + 1];
	unsigned int colons = 0;
	bool double_colon = false;

	if (len == 0 || len > IPV6_TEXT_MAX)
		return false;
	/* Every address has "::" or seven colons (six before a dotted
	 * quad): times such as 10:00:00 are turned away before
	 * inet_pton(). */
	for (size_t i = 0; i < len; i++) {
		colons += s[i] == ':';
		double_colon |= i > 0 && s[i] == ':' && s[i - 1] == ':';
	}
	if (!double_colon && colons != 7 && colons != 6)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* Around each ':', the run of hex digits, ':' and '.'. The address starts
 * at its first position not preceded by a letter or digit, holds two
 * colons at least and is not followed by a letter or digit. */
/* Whether the text can hold an address at all: one has "::" or six
 * colons at least (seven, or six before a dotted quad). */
static bool
ipv6_possible(const struct text_scan *s)
{
	unsigned int colons = 0;
	uint64_t carry = 0;

	for (size_t b = 0; b < s->n_blocks; b++) {
		uint64_t c = s->cls[b].colon;
		if ((c & (c << 1 | carry)) != 0)
			return true;
		carry = c >> 63;
		for (; c != 0 && colons < 6; c &= c - 1)
			colons++;
		if (colons == 6)
			return true;
	}
	return false;
}

static void
text_match_ipv6(const struct text_scan *s)
{
	const uint8_t *t = s->text;
	uint8_t addr[16];

	if (!ipv6_possible(s))
		return;

	for (size_t p = next_in(s, FIELD_COLON, 0); p < s->len;) {
		size_t start = run_start(s, FIELD_IPV6, p);
		size_t end = run_end(s, FIELD_IPV6, p);
		p = next_in(s, FIELD_COLON, end);
		while (start < end && start > 0 && is_alnum(t[start - 1]))
			start++;
		if (end - start < 2 ||
		    !at_least_in(s, FIELD_COLON, start, end, 2) ||
		    (end < s->len && is_alnum(t[end])))
			continue;
		size_t n = end - start;
		const uint8_t *a = t + start;
		/* Punctuation around an address: "[::1]:53" is cut by the
		 * brackets already; "addr ::1." or "::1:" still needs this. */
		if (n > 1 && a[n - 1] == '.')
			n--;
		if (pat_ipv6_text_parse(a, n, addr))
			address_found(s, 6, addr, start, n);
		else if (n > 2 && a[n - 1] == ':' && a[n - 2] != ':' &&
			 pat_ipv6_text_parse(a, n - 1, addr))
			address_found(s, 6, addr, start, n - 1);
		else if (n > 2 && a[0] == ':' && a[1] != ':' &&
			 pat_ipv6_text_parse(a + 1, n - 1, addr))
			address_found(s, 6, addr, start + 1, n - 1);
	}
}

/* ---- file names and URLs: Hyperscan candidates, token rules here ---- */

struct literal_context {
	const struct pat_set *set;
	unsigned int layer;
	const uint8_t *text;
	size_t len;
	struct pat_hits *hits;
};

static bool
filename_starts_token(uint8_t before)
{
	return strchr("/\\ \t\"'=", before) != NULL && before != '\0';
}

/* "3CXDesktopApp.exe" must not match inside "3CXDesktopApp.exe.bak" or
 * "3CXDesktopApp.exe_x", but may end a sentence with a dot. */
static bool
filename_ends_token(const uint8_t *text, size_t len, size_t end)
{
	if (end == len)
		return true;
	uint8_t after = text[end];
	if (after == '.')
		return end + 1 == len || !is_alnum(text[end + 1]);
	return !is_alnum(after) && after != '_' && after != '-';
}

/* A URL indicator covers itself and longer paths under it, with any
 * scheme or none, host in any case; its path is compared as written. */
static bool
url_verify(const struct pat_indicator *ind, const uint8_t *text, size_t len,
	   size_t start, size_t end)
{
	size_t value_len = end - start;
	size_t host_len = strcspn(ind->value, "/?#");

	if (memcmp(text + start + host_len, ind->value + host_len,
		   value_len - host_len) != 0)
		return false;
	if (start > 0 && (is_domain_char(text[start - 1])))
		return false;
	if (end == len || ind->value[value_len - 1] == '/')
		return true;
	uint8_t after = text[end];
	/* strchr() would find the NUL terminator: NUL is no path byte. */
	return after == '/' || after == '?' || after == '#' ||
		!(is_alnum(after) || (after != '\0' &&
				      strchr("-._~%", after) != NULL));
}

static int
literal_on_match(unsigned int id, unsigned long long from,
		 unsigned long long to, unsigned int flags, void *ctx)
{
	struct literal_context *lc = ctx;
	const struct pat_layer *layer = lc->set->layers[lc->layer];
	size_t end = (size_t)to;
	bool ok;

	(void)from;
	(void)flags;
	/* A database loaded from a file is checked, but cheaply distrusted
	 * here too: an id or a length that cannot be is ignored. */
	if (id >= layer->count || layer->indicators[id].value[0] == '\0' ||
	    strlen(layer->indicators[id].value) > end)
		return 0;
	const struct pat_indicator *ind = &layer->indicators[id];
	size_t start = end - strlen(ind->value);
	if (pat_literal_in_table(ind))
		ok = false;        /* never compiled in; distrust a loaded db */
	else if (ind->type == PAT_TYPE_FILENAME)
		ok = (start == 0 || filename_starts_token(lc->text[start - 1])) &&
			filename_ends_token(lc->text, lc->len, end);
	else
		ok = ind->type == PAT_TYPE_URL &&
			url_verify(ind, lc->text, lc->len, start, end);
	if (ok)
		hits_add(lc->set, lc->layer, id, lc->hits);
	return 0;
}

static int
regex_on_match(unsigned int id, unsigned long long from,
	       unsigned long long to, unsigned int flags, void *ctx)
{
	struct literal_context *lc = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (id < lc->set->layers[lc->layer]->count)
		hits_add(lc->set, lc->layer, id, lc->hits);
	return 0;
}

static int
hs_result(hs_error_t rc)
{
	switch (rc) {
	case HS_SUCCESS:
		return 0;
	case HS_NOMEM:
	case HS_SCRATCH_IN_USE:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

/* Whether Hyperscan may fault reading around [data, data + len).
 * Debian's Hyperscan 5.4 reads a few bytes past the end of the buffer
 * (the AVX512VBMI Fat Teddy loads 32 bytes where 30 remain:
 * VectorCamp/vectorscan#322) and, for a buffer of under 4 bytes, before
 * its start (the noodle engine: intel/hyperscan#304). Harmless within a
 * page; a fault when the neighbouring page is unmapped, so a buffer whose
 * slack crosses a page boundary is scanned from a padded copy: short
 * buffers, and about 1 in 64 of the others. */
static bool
scan_needs_copy(const void *data, size_t len)
{
	const uintptr_t page = 4096;
	uintptr_t start = (uintptr_t)data, end = start + len;

	return len < PAT_SCAN_SLACK ||
	       (end - 1) / page != (end - 1 + PAT_SCAN_SLACK) / page ||
	       start / page != (start - PAT_SCAN_SLACK) / page;
}

/* data copied into the scratch's padded buffer, PAT_SCAN_SLACK bytes
 * in; NULL if it cannot grow. The buffer is zeroed when allocated, so
 * the slack Hyperscan reads is always initialized. Grown only for
 * buffers longer than PAT_TEXT_PREALLOC (a hunt's block, `iocsift
 * scan`). */
static const uint8_t *
scan_copy(struct pat_scratch *scratch, const void *data, size_t len)
{
	size_t need = len + 2 * PAT_SCAN_SLACK;

	if (need > scratch->padded_cap) {
		uint8_t *grown = calloc(1, need);
		if (grown == NULL)
			return NULL;
		free(scratch->padded);
		scratch->padded = grown;
		scratch->padded_cap = need;
	}
	return memcpy(scratch->padded + PAT_SCAN_SLACK, data, len);
}

/* Runs the literal (or regex) database of every layer over data. */
static int
hyperscan_scan(const struct pat_set *set, struct pat_scratch *scratch,
	       bool literal, const void *data, size_t len,
	       struct pat_hits *hits)
{
	const void *scanned = NULL;

	for (unsigned int l = 0; l < LAYERS_MAX && set->layers[l] != NULL; l++) {
		const struct pat_layer *layer = set->layers[l];
		hs_database_t *db = literal ? layer->literal_db : layer->regex_db;
		if (db == NULL)
			continue;
		if (scanned == NULL) {
			scanned = scan_needs_copy(data, len) ?
				scan_copy(scratch, data, len) : data;
			if (scanned == NULL)
				return -ENOMEM;
		}
		struct literal_context lc = {
			.set = set, .layer = l, .text = data, .len = len,
			.hits = hits,
		};
		int rc = hs_result(hs_scan(db, scanned, (unsigned int)len, 0,
					   scratch->hs, literal ?
					   literal_on_match : regex_on_match,
					   &lc));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- match entry points ---- */

/* Room for the bitmaps of len bytes: preallocated for PAT_TEXT_PREALLOC,
 * grown only for longer text (a long line of `iocsift scan`). */
static int
scratch_classes(struct pat_scratch *scratch, size_t len)
{
	size_t blocks = len / 64 + 1;

	if (blocks <= scratch->classes_cap)
		return 0;
	struct pat_text_class *grown = realloc(scratch->classes,
					       blocks * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	scratch->classes = grown;
	scratch->classes_cap = blocks;
	return 0;
}

int
pat_match_text(const struct pat_set *set, struct pat_scratch *scratch,
	       const uint8_t *text, size_t len, struct pat_hits *hits)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	if (set->has_tokens && len > 0) {
		int rc = scratch_classes(scratch, len);
		if (rc != 0)
			return rc;
		pat_text_classify(text, len, scratch->classes);
		struct lookup_queue queue;
		queue.n_lookups = queue.n_ipv4 = 0;
		struct text_scan s = {
			.set = set, .text = text, .len = len,
			.cls = scratch->classes, .n_blocks = (len + 63) / 64,
			.hits = hits, .queue = &queue,
		};
		if (set->has_table[TABLE_DOMAINS] || set->ipv4_prefixes != 0 ||
		    set->has_url_hosts || set->has_filenames)
			text_match_names(&s);
		if (set->has_table[TABLE_DIGESTS])
			text_match_digests(&s);
		if ((set->ipv6_prefixes[0] | set->ipv6_prefixes[1] |
		     set->ipv6_prefixes[2]) != 0)
			text_match_ipv6(&s);
		queue_flush(&s);
	}
	if (!set->has_hyperscan)
		return 0;
	int rc = hyperscan_scan(set, scratch, true, text, len, hits);
	if (rc != 0)
		return rc;
	return hyperscan_scan(set, scratch, false, text, len, hits);
}

int
pat_locate_address(const struct pat_set *set, struct pat_scratch *scratch,
		   const uint8_t *text, size_t len, int64_t now, uint32_t id,
		   size_t *off, size_t *found_len)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	if (len == 0)
		return -ENOENT;
	int rc = scratch_classes(scratch, len);
	if (rc != 0)
		return rc;
	pat_text_classify(text, len, scratch->classes);
	struct pat_hits unused;
	struct address_locate locate = { .id = id };
	pat_hits_reset(&unused, now);
	struct text_scan s = {
		.set = set, .text = text, .len = len,
		.cls = scratch->classes, .n_blocks = (len + 63) / 64,
		.hits = &unused, .locate = &locate,
	};
	/* The IPv4 candidates of text_match_names(): the runs of name
	 * characters that hold three dots. */
	if (set->ipv4_prefixes != 0) {
		for (size_t p = next_in(&s, FIELD_DOT, 0); p < len;) {
			size_t a = run_start(&s, FIELD_NAME, p);
			size_t e = run_end(&s, FIELD_NAME, p);
			if (at_least_in(&s, FIELD_DOT, a, e, 3))
				text_match_ipv4(&s, a, e);
			p = next_in(&s, FIELD_DOT, e);
		}
	}
	if ((set->ipv6_prefixes[0] | set->ipv6_prefixes[1] |
	     set->ipv6_prefixes[2]) != 0)
		text_match_ipv6(&s);
	if (locate.len == 0)
		return -ENOENT;
	*off = locate.off;
	*found_len = locate.len;
	return 0;
}

/* Where the label ending at end begins: after the last '.' in [a, end),
 * else a. Eight bytes a step, from the end: a byte equal to '.' is the
 * top bit of its byte in z, exactly (7-bit sums carry into no other
 * byte). */
static size_t
label_start(const uint8_t *name, size_t a, size_t end)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	size_t i = end;

	for (; i - a >= 8; i -= 8) {
		uint64_t x = pat_hash_load8(name + i - 8) ^ 0x2e2e2e2e2e2e2e2eULL;
		uint64_t z = ~(((x & low7) + low7) | x | low7);
		if (z != 0)
			return i - 8 + (size_t)(63 - __builtin_clzll(z)) / 8 + 1;
	}
	while (i > a && name[i - 1] != '.')
		i--;
	return i;
}

/* The name (any case, leading and trailing dots dropped) and every parent
 * at a label boundary, from the right, as for text. */
static void
dns_match_domain(const struct pat_set *set, const uint8_t *name, size_t len,
		 struct pat_hits *hits)
{
	size_t a = 0, e = len;
	uint64_t state = PAT_HASH_SEED_DOMAIN;

	while (a < e && name[a] == '.')
		a++;
	while (e > a && name[e - 1] == '.')
		e--;
	for (size_t label_end = e; label_end > a;) {
		size_t start = label_start(name, a, label_end);
		const uint8_t *dot = start > a ? name + start - 1 : NULL;
		if (e - start > DOMAIN_MAX)
			break;
		uint64_t label = pat_hash_label_within(name + start,
			label_end - start, len - start, PAT_HASH_FOLD);
		if (label_end == e && !bit_in(set->tld, label))
			return;
		state = pat_hash_step(state, label);
		if (label_end != e || set->has_single_label_domain)
			table_match(set, TABLE_DOMAINS, pat_hash_final(state),
				    name + start, e - start, true, hits);
		if (dot == NULL)
			break;
		label_end = start - 1;
	}
}

int
pat_match_dns_name(const struct pat_set *set, struct pat_scratch *scratch,
		   const char *name, size_t len, struct pat_hits *hits)
{
	if (set->has_table[TABLE_DOMAINS])
		dns_match_domain(set, (const uint8_t *)name, len, hits);
	return set->has_hyperscan ?
		hyperscan_scan(set, scratch, false, name, len, hits) : 0;
}
