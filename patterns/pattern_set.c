/* pattern_set.c -- builds the immutable matching database and matches text,
 * DNS names and addresses against it.
 *
 * Which atom goes where (see docs/architecture.md):
 *   domains, digests, IPv4/IPv6 (with CIDR)  exact hash tables; text is cut
 *       into candidate tokens, each looked up (a domain also by every parent)
 *   file names and URLs  one Hyperscan literal database, caseless; each
 *       candidate match is then checked against the token rules
 *   regexes              one Hyperscan database, single match per pattern
 * Exact tables cost one lookup per token however many indicators are
 * loaded; Hyperscan does what needs substring search. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "arena.h"
#include "pattern_set.h"
#include "string_table.h"

#define DOMAIN_MAX 253
#define IPV6_TEXT_MAX 45

struct pat_scratch {
	hs_scratch_t *hs;
};

struct pat_set {
	uint64_t version;
	struct pat_arena *arena;
	struct pat_indicator *indicators;
	uint32_t count;
	/* Indicators sharing a key (same value from two feeds) are chained:
	 * the table holds the first id, next_same[] the rest. */
	uint32_t *next_same;
	struct pat_string_table *domains;
	struct pat_string_table *digests;
	struct pat_string_table *addresses;
	bool has_single_label_domain;
	/* Bit n set: some IPv4 (IPv6) indicator has prefix length n. */
	uint64_t ipv4_prefixes;
	uint64_t ipv6_prefixes[3];
	hs_database_t *literal_db;
	hs_database_t *regex_db;
	unsigned int n_scratch;
	struct pat_scratch *scratch;
};

#define NO_NEXT UINT32_MAX

static inline bool
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline bool
is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline bool
is_domain_char(uint8_t c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

static inline uint8_t
to_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
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

static void
hits_add_chain(const struct pat_set *set, struct pat_hits *hits, uint32_t id)
{
	for (; id != NO_NEXT; id = set->next_same[id])
		hits_add_one(hits, id);
}

static void
table_match(const struct pat_set *set, const struct pat_string_table *table,
	    const void *key, size_t len, struct pat_hits *hits)
{
	uint32_t id;

	if (pat_string_table_find(table, key, len, &id) == 0)
		hits_add_chain(set, hits, id);
}

/* ---- addresses ---- */

/* Key of an address table entry: version, prefix length, masked address. */
static size_t
address_key(int family, uint8_t prefix_len, const uint8_t *addr, uint8_t *key)
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

static bool
prefix_present(const struct pat_set *set, int family, unsigned int len)
{
	if (family == 4)
		return (set->ipv4_prefixes >> len) & 1;
	return (set->ipv6_prefixes[len / 64] >> (len % 64)) & 1;
}

void
pat_match_address(const struct pat_set *set, int family, const uint8_t *addr,
		  struct pat_hits *hits)
{
	unsigned int max = family == 4 ? 32 : 128;
	uint8_t key[18];

	/* One lookup per prefix length in use: 1 for a host-only feed. */
	for (unsigned int len = 0; len <= max; len++) {
		if (!prefix_present(set, family, len))
			continue;
		size_t n = address_key(family, (uint8_t)len, addr, key);
		table_match(set, set->addresses, key, n, hits);
	}
}

/* ---- domains ---- */

/* name is lowercased, without leading or trailing dots. Looks up the name
 * and every parent: "a.evil.com" -> "a.evil.com", "evil.com", "com". */
static void
domain_match_suffixes(const struct pat_set *set, const char *name, size_t len,
		      struct pat_hits *hits)
{
	size_t start = 0;

	/* A name longer than any domain can still end in one. */
	if (len > DOMAIN_MAX) {
		start = len - DOMAIN_MAX;
		while (start < len && name[start - 1] != '.')
			start++;
	}
	while (start < len) {
		const char *dot = memchr(name + start, '.', len - start);
		if (dot != NULL || set->has_single_label_domain)
			table_match(set, set->domains, name + start,
				    len - start, hits);
		if (dot == NULL)
			break;
		start = (size_t)(dot - name) + 1;
	}
}

/* Lowercases a domain candidate and trims dots; 0 when nothing is left. */
static size_t
domain_candidate(const uint8_t *text, size_t len, char *out)
{
	while (len > 0 && text[0] == '.') {
		text++;
		len--;
	}
	while (len > 0 && text[len - 1] == '.')
		len--;
	/* Longer runs: keep the tail, which is where a domain would end. */
	if (len > 2 * DOMAIN_MAX) {
		text += len - 2 * DOMAIN_MAX;
		len = 2 * DOMAIN_MAX;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (char)to_lower(text[i]);
	return len;
}

static void
text_match_domains(const struct pat_set *set, const uint8_t *text, size_t len,
		   struct pat_hits *hits)
{
	char name[2 * DOMAIN_MAX];

	for (size_t i = 0; i < len;) {
		if (!is_domain_char(text[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && is_domain_char(text[i]))
			i++;
		size_t n = domain_candidate(text + start, i - start, name);
		if (n > 0)
			domain_match_suffixes(set, name, n, hits);
	}
}

/* ---- digests ---- */

static void
text_match_digests(const struct pat_set *set, const uint8_t *text, size_t len,
		   struct pat_hits *hits)
{
	char digest[64];

	for (size_t i = 0; i < len;) {
		if (!is_alnum(text[i])) {
			i++;
			continue;
		}
		size_t start = i;
		bool all_hex = true;
		while (i < len && is_alnum(text[i])) {
			all_hex = all_hex && is_hex(text[i]);
			i++;
		}
		size_t n = i - start;
		if (!all_hex || (n != 32 && n != 40 && n != 64))
			continue;
		for (size_t k = 0; k < n; k++)
			digest[k] = (char)to_lower(text[start + k]);
		table_match(set, set->digests, digest, n, hits);
	}
}

/* ---- IPv4 / IPv6 in text ---- */

/* Strict dotted quad of decimal numbers 0..255 (leading zeros allowed,
 * as some firewalls pad them). */
static bool
ipv4_parse(const uint8_t *s, size_t len, uint8_t *addr)
{
	unsigned int part = 0, digits = 0, value = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (digits == 0 || part > 3)
				return false;
			addr[part++] = (uint8_t)value;
			value = 0;
			digits = 0;
			continue;
		}
		value = value * 10 + (unsigned int)(s[i] - '0');
		if (++digits > 3 || value > 255)
			return false;
	}
	return part == 4;
}

static void
text_match_ipv4(const struct pat_set *set, const uint8_t *text, size_t len,
		struct pat_hits *hits)
{
	uint8_t addr[4];

	for (size_t i = 0; i < len;) {
		bool digit = text[i] >= '0' && text[i] <= '9';
		if (!digit || (i > 0 && (is_alnum(text[i - 1]) || text[i - 1] == '.'))) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
			i++;
		if (i < len && is_alnum(text[i]))
			continue;
		size_t n = i - start;
		if (n > 0 && text[start + n - 1] == '.')
			n--;            /* end of a sentence */
		if (ipv4_parse(text + start, n, addr))
			pat_match_address(set, 4, addr, hits);
	}
}

static inline bool
is_ipv6_char(uint8_t c)
{
	return is_hex(c) || c == ':' || c == '.';
}

static bool
ipv6_parse(const uint8_t *s, size_t len, uint8_t *addr)
{
	char buf[IPV6_TEXT_MAX + 1];

	if (len == 0 || len > IPV6_TEXT_MAX)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

static void
text_match_ipv6(const struct pat_set *set, const uint8_t *text, size_t len,
		struct pat_hits *hits)
{
	uint8_t addr[16];

	for (size_t i = 0; i < len;) {
		if (!is_ipv6_char(text[i]) || (i > 0 && is_alnum(text[i - 1]))) {
			i++;
			continue;
		}
		size_t start = i, colons = 0;
		while (i < len && is_ipv6_char(text[i]))
			colons += text[i++] == ':';
		if (colons < 2 || (i < len && is_alnum(text[i])))
			continue;
		size_t n = i - start;
		const uint8_t *s = text + start;
		/* Punctuation around an address: "[::1]:53" is cut by the
		 * brackets already; "addr ::1." or "::1:" still needs this. */
		if (n > 1 && s[n - 1] == '.')
			n--;
		if (ipv6_parse(s, n, addr) ||
		    (n > 2 && s[n - 1] == ':' && s[n - 2] != ':' &&
		     ipv6_parse(s, n - 1, addr)) ||
		    (n > 2 && s[0] == ':' && s[1] != ':' &&
		     ipv6_parse(s + 1, n - 1, addr)))
			pat_match_address(set, 6, addr, hits);
	}
}

/* ---- file names and URLs: Hyperscan candidates, token rules here ---- */

struct literal_context {
	const struct pat_set *set;
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
	return after == '/' || after == '?' || after == '#' ||
		!(is_alnum(after) || strchr("-._~%", after) != NULL);
}

static int
literal_on_match(unsigned int id, unsigned long long from,
		 unsigned long long to, unsigned int flags, void *ctx)
{
	struct literal_context *lc = ctx;
	const struct pat_indicator *ind = &lc->set->indicators[id];
	size_t end = (size_t)to;
	size_t start = end - strlen(ind->value);
	bool ok;

	(void)from;
	(void)flags;
	if (ind->type == PAT_TYPE_FILENAME)
		ok = (start == 0 || filename_starts_token(lc->text[start - 1])) &&
			filename_ends_token(lc->text, lc->len, end);
	else
		ok = url_verify(ind, lc->text, lc->len, start, end);
	if (ok)
		hits_add_one(lc->hits, id);
	return 0;
}

static int
regex_on_match(unsigned int id, unsigned long long from,
	       unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	hits_add_one(ctx, id);
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

static int
regex_scan(const struct pat_set *set, struct pat_scratch *scratch,
	   const void *data, size_t len, struct pat_hits *hits)
{
	if (set->regex_db == NULL)
		return 0;
	return hs_result(hs_scan(set->regex_db, data, (unsigned int)len, 0,
				 scratch->hs, regex_on_match, hits));
}

/* ---- match entry points ---- */

int
pat_match_text(const struct pat_set *set, struct pat_scratch *scratch,
	       const uint8_t *text, size_t len, struct pat_hits *hits)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	if (pat_string_table_count(set->domains) > 0)
		text_match_domains(set, text, len, hits);
	if (pat_string_table_count(set->digests) > 0)
		text_match_digests(set, text, len, hits);
	if (set->ipv4_prefixes != 0)
		text_match_ipv4(set, text, len, hits);
	if ((set->ipv6_prefixes[0] | set->ipv6_prefixes[1] |
	     set->ipv6_prefixes[2]) != 0)
		text_match_ipv6(set, text, len, hits);
	if (set->literal_db != NULL) {
		struct literal_context lc = {
			.set = set, .text = text, .len = len, .hits = hits,
		};
		int rc = hs_result(hs_scan(set->literal_db, (const char *)text,
					   (unsigned int)len, 0, scratch->hs,
					   literal_on_match, &lc));
		if (rc != 0)
			return rc;
	}
	return regex_scan(set, scratch, text, len, hits);
}

int
pat_match_dns_name(const struct pat_set *set, struct pat_scratch *scratch,
		   const char *name, size_t len, struct pat_hits *hits)
{
	char lowered[2 * DOMAIN_MAX];
	size_t n = domain_candidate((const uint8_t *)name,
				    len < sizeof(lowered) ? len : sizeof(lowered),
				    lowered);

	if (n > 0 && pat_string_table_count(set->domains) > 0)
		domain_match_suffixes(set, lowered, n, hits);
	return regex_scan(set, scratch, name, len, hits);
}

/* ---- accessors ---- */

uint64_t
pat_set_version(const struct pat_set *set)
{
	return set->version;
}

size_t
pat_set_count(const struct pat_set *set)
{
	return set->count;
}

const struct pat_indicator *
pat_set_indicator(const struct pat_set *set, uint32_t id)
{
	return id < set->count ? &set->indicators[id] : NULL;
}

struct pat_scratch *
pat_set_scratch(const struct pat_set *set, unsigned int i)
{
	return i < set->n_scratch ? &set->scratch[i] : NULL;
}

/* ---- build ---- */

void
pat_set_free(struct pat_set *set)
{
	if (set == NULL)
		return;
	for (unsigned int i = 0; set->scratch != NULL && i < set->n_scratch; i++)
		hs_free_scratch(set->scratch[i].hs);
	free(set->scratch);
	hs_free_database(set->literal_db);
	hs_free_database(set->regex_db);
	pat_string_table_free(set->domains);
	pat_string_table_free(set->digests);
	pat_string_table_free(set->addresses);
	free(set->next_same);
	free(set->indicators);
	pat_arena_free(set->arena);
	free(set);
}

static int
set_copy_indicator(struct pat_set *set, const struct pat_indicator *src)
{
	struct pat_indicator *dst = &set->indicators[set->count];

	*dst = *src;
	dst->value = pat_arena_strndup(set->arena, src->value, strlen(src->value));
	dst->tags = pat_arena_strndup(set->arena, src->tags, strlen(src->tags));
	dst->source = pat_arena_strndup(set->arena, src->source,
					strlen(src->source));
	dst->feed = pat_arena_strndup(set->arena, src->feed, strlen(src->feed));
	if (dst->value == NULL || dst->tags == NULL || dst->source == NULL ||
	    dst->feed == NULL)
		return -ENOMEM;
	set->next_same[set->count] = NO_NEXT;
	set->count++;
	return 0;
}

/* Inserts id under key; a key already present gets id chained behind it. */
static int
set_index(struct pat_set *set, struct pat_string_table *table,
	  const void *key, size_t len, uint32_t id)
{
	uint32_t first;
	int rc = pat_string_table_insert(table, key, len, id, &first);

	if (rc != -EEXIST)
		return rc;
	while (set->next_same[first] != NO_NEXT)
		first = set->next_same[first];
	set->next_same[first] = id;
	return 0;
}

static int
set_index_indicator(struct pat_set *set, uint32_t id)
{
	const struct pat_indicator *ind = &set->indicators[id];
	uint8_t key[18];
	size_t n;

	switch (ind->type) {
	case PAT_TYPE_DOMAIN:
		if (strchr(ind->value, '.') == NULL)
			set->has_single_label_domain = true;
		return set_index(set, set->domains, ind->value,
				 strlen(ind->value), id);
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		return set_index(set, set->digests, ind->value,
				 strlen(ind->value), id);
	case PAT_TYPE_IPV4:
		set->ipv4_prefixes |= 1ULL << ind->prefix_len;
		n = address_key(4, ind->prefix_len, ind->addr, key);
		return set_index(set, set->addresses, key, n, id);
	case PAT_TYPE_IPV6:
		set->ipv6_prefixes[ind->prefix_len / 64] |=
			1ULL << (ind->prefix_len % 64);
		n = address_key(6, ind->prefix_len, ind->addr, key);
		return set_index(set, set->addresses, key, n, id);
	default:
		return 0;   /* compiled into a Hyperscan database */
	}
}

static void
set_error_from_hs(struct pat_set *set, hs_compile_error_t *compile_error,
		  struct pat_error *err)
{
	if (compile_error->expression >= 0 &&
	    (uint32_t)compile_error->expression < set->count) {
		const struct pat_indicator *ind =
			&set->indicators[compile_error->expression];
		pat_error_set(err, ind->feed, ind->line, "%s '%s': %s",
			      pat_type_name(ind->type), ind->value,
			      compile_error->message);
	} else {
		pat_error_set(err, "", 0, "hyperscan: %s",
			      compile_error->message);
	}
	hs_free_compile_error(compile_error);
}

/* Compiles the indicators of the given kind (literal: file names and URLs;
 * else regexes) into one database; Hyperscan ids are indicator ids. */
static int
set_compile(struct pat_set *set, bool literal, hs_database_t **db,
	    struct pat_error *err)
{
	const char **expressions = calloc(set->count, sizeof(*expressions));
	unsigned int *flags = calloc(set->count, sizeof(*flags));
	unsigned int *ids = calloc(set->count, sizeof(*ids));
	size_t *lens = calloc(set->count, sizeof(*lens));
	unsigned int n = 0;
	int rc = -ENOMEM;

	if (expressions == NULL || flags == NULL || ids == NULL || lens == NULL)
		goto free_arrays;
	for (uint32_t id = 0; id < set->count; id++) {
		enum pat_type type = set->indicators[id].type;
		bool wanted = literal ?
			(type == PAT_TYPE_FILENAME || type == PAT_TYPE_URL) :
			type == PAT_TYPE_REGEX;
		if (!wanted)
			continue;
		expressions[n] = set->indicators[id].value;
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
		set_error_from_hs(set, compile_error, err);
		rc = -EINVAL;
	}
free_arrays:
	free(expressions);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

static int
set_alloc_scratch(struct pat_set *set, unsigned int n_scratch)
{
	set->scratch = calloc(n_scratch ? n_scratch : 1, sizeof(*set->scratch));
	if (set->scratch == NULL)
		return -ENOMEM;
	set->n_scratch = n_scratch;
	hs_scratch_t *proto = NULL;
	if (set->literal_db != NULL &&
	    hs_alloc_scratch(set->literal_db, &proto) != HS_SUCCESS)
		return -ENOMEM;
	if (set->regex_db != NULL &&
	    hs_alloc_scratch(set->regex_db, &proto) != HS_SUCCESS) {
		hs_free_scratch(proto);
		return -ENOMEM;
	}
	for (unsigned int i = 0; proto != NULL && i < n_scratch; i++) {
		if (hs_clone_scratch(proto, &set->scratch[i].hs) != HS_SUCCESS) {
			hs_free_scratch(proto);
			return -ENOMEM;
		}
	}
	hs_free_scratch(proto);
	return 0;
}

static int
set_add_feeds(struct pat_set *set, const struct pat_feed *const *feeds,
	      size_t n_feeds)
{
	for (size_t f = 0; f < n_feeds; f++) {
		for (size_t i = 0; i < feeds[f]->count; i++) {
			int rc = set_copy_indicator(set, &feeds[f]->items[i]);
			if (rc == 0)
				rc = set_index_indicator(set, set->count - 1);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

struct pat_set *
pat_set_build(const struct pat_feed *const *feeds, size_t n_feeds,
	      unsigned int n_scratch, uint64_t version, struct pat_error *err)
{
	size_t total = 0;
	int rc = -ENOMEM;

	for (size_t f = 0; f < n_feeds; f++)
		total += feeds[f]->count;
	if (total >= NO_NEXT) {
		pat_error_set(err, "", 0, "too many indicators: %zu", total);
		errno = E2BIG;
		return NULL;
	}

	struct pat_set *set = calloc(1, sizeof(*set));
	if (set == NULL)
		goto fail;
	set->version = version;
	set->arena = pat_arena_new();
	set->indicators = calloc(total ? total : 1, sizeof(*set->indicators));
	set->next_same = calloc(total ? total : 1, sizeof(*set->next_same));
	set->domains = pat_string_table_new(total);
	set->digests = pat_string_table_new(16);
	set->addresses = pat_string_table_new(16);
	if (set->arena == NULL || set->indicators == NULL ||
	    set->next_same == NULL || set->domains == NULL ||
	    set->digests == NULL || set->addresses == NULL)
		goto fail;
	rc = set_add_feeds(set, feeds, n_feeds);
	if (rc != 0)
		goto fail;
	rc = set_compile(set, true, &set->literal_db, err);
	if (rc == 0)
		rc = set_compile(set, false, &set->regex_db, err);
	if (rc != 0)
		goto fail_reported;
	rc = set_alloc_scratch(set, n_scratch);
	if (rc != 0)
		goto fail;
	return set;

fail:
	pat_error_set(err, "", 0, "building the pattern set: %s", strerror(-rc));
fail_reported:
	pat_set_free(set);
	errno = -rc;
	return NULL;
}
