/* token_keys.c -- the token keys of messages and of indicators (see
 * token_keys.h). One pass over a text finds its runs of name characters
 * ([A-Za-z0-9-_.]); each run holding a '.' gives its domain, file name
 * and IPv4 keys, each long one its digest keys. A second pass over the
 * runs of hex digits, ':' and '.' finds IPv6 addresses, only when the
 * text holds "::" or six colons (no address has fewer).
 *
 * Each candidate is found as the matcher (match.c) finds it, or more
 * loosely: an IPv4 address glued to a letter, an IPv6 address followed by
 * one, and every way of trimming an IPv6 candidate give keys here although
 * the matcher turns them down. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "key_hash.h"
#include "pattern_set_internal.h"
#include "token_keys.h"

/* Kinds without a seed in key_hash.h (domains and digests use the
 * matcher's own hashes, pat_hash_domain() and pat_hash_digest()). */
#define KEY_SEED_FILENAME 0x510e527fade682d1ULL
#define KEY_SEED_ADDRESS 0x9b05688c2b3e6c1fULL

#define DOMAIN_MAX 253

enum byte_class {
	CLASS_NAME = 0x01,      /* [A-Za-z0-9-_.] */
	CLASS_ALNUM = 0x02,
	CLASS_HEX = 0x04,
	CLASS_DIGIT = 0x08,
	CLASS_DOT = 0x10,
	CLASS_COLON = 0x20,
	CLASS_IPV6 = 0x40,      /* hex, ':' and '.' */
	CLASS_BEFORE = 0x80,    /* what may precede a file name: / \ sp tab " ' = */
};

static const uint8_t byte_classes[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x80, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x51, 0x80,
	0x4f, 0x4f, 0x4f, 0x4f, 0x4f, 0x4f, 0x4f, 0x4f, 0x4f, 0x4f, 0x60, 0x00, 0x00, 0x80, 0x00, 0x00,
	0x00, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
	0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x00, 0x80, 0x00, 0x00, 0x01,
	0x00, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
	0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static inline bool
in_class(uint8_t c, unsigned int classes)
{
	return (byte_classes[c] & classes) != 0;
}

struct emitter {
	pat_key_fn fn;
	void *ctx;
	size_t count;
};

static inline void
emit(struct emitter *em, uint64_t key)
{
	em->fn(em->ctx, key);
	em->count++;
}

/* ---- domains ---- */

static bool
all_digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!in_class(p[i], CLASS_DIGIT))
			return false;
	return n > 0;
}

/* The start of the label ending at end: after the last '.' of [a, end). */
static size_t
label_start(const uint8_t *name, size_t a, size_t end)
{
	const uint8_t *dot = end > a ? memrchr(name + a, '.', end - a) : NULL;

	return dot != NULL ? (size_t)(dot - name) + 1 : a;
}

/* name[a, e) without its outer dots, and every suffix of it of two labels
 * or more, hashed right to left as the matcher hashes them; readable
 * bytes may be read from name. */
static void
domain_keys(const uint8_t *name, size_t a, size_t e, size_t readable,
	    struct emitter *em)
{
	uint64_t state = PAT_HASH_SEED_DOMAIN;

	while (a < e && name[a] == '.')
		a++;
	while (e > a && name[e - 1] == '.')
		e--;
	size_t start = label_start(name, a, e);
	if (start == a || all_digits(name + start, e - start))
		return;
	for (size_t label_end = e;;) {
		if (e - start > DOMAIN_MAX)
			return;
		state = pat_hash_step(state, pat_hash_label_within(
			name + start, label_end - start, readable - start,
			PAT_HASH_FOLD));
		if (label_end != e)
			emit(em, pat_hash_final(state));
		if (start == a)
			return;
		label_end = start - 1;
		start = label_start(name, a, label_end);
	}
}

/* The domain key of name[0, n) as a value, under domain_keys()'s rules:
 * 0 when domain_keys() gives it for no text. */
static int
domain_value_key(const char *name, size_t n, uint64_t *key)
{
	const uint8_t *p = (const uint8_t *)name;
	size_t start = label_start(p, 0, n);

	if (n == 0 || n > DOMAIN_MAX || start == 0 ||
	    all_digits(p + start, n - start))
		return 0;
	*key = pat_hash_domain(name, n);
	return 1;
}

/* ---- file names ---- */

/* Left to right, one step per label: the key of every prefix of a run is
 * one step from the key of the prefix a label shorter. */
static void
filename_keys(const uint8_t *t, size_t len, size_t a, size_t e,
	      struct emitter *em)
{
	uint64_t state = KEY_SEED_FILENAME;
	unsigned int labels = 0;
	size_t digits_dots = a;     /* the end of the run's [0-9.] head */

	if (a > 0 && !in_class(t[a - 1], CLASS_BEFORE))
		return;
	while (digits_dots < e && in_class(t[digits_dots], CLASS_DIGIT | CLASS_DOT))
		digits_dots++;
	for (size_t label = a;;) {
		const uint8_t *dot = memchr(t + label, '.', e - label);
		size_t end = dot != NULL ? (size_t)(dot - t) : e;
		state = pat_hash_step(state, pat_hash_label_within(
			t + label, end - label, len - label, PAT_HASH_FOLD));
		labels++;
		/* A name ends at the run's end, or before a '.' that no
		 * letter or digit follows ("a.exe." ends a sentence). */
		bool ends = end == e || end + 1 >= len ||
			!in_class(t[end + 1], CLASS_ALNUM);
		if (labels >= 2 && ends && end > digits_dots)
			emit(em, pat_hash_final(state));
		if (end == e)
			return;
		label = end + 1;
	}
}

static int
filename_value_key(const char *value, uint64_t *key)
{
	const uint8_t *p = (const uint8_t *)value;
	size_t n = strlen(value);
	bool dot = false, other = false;
	uint64_t state = KEY_SEED_FILENAME;

	for (size_t i = 0; i < n; i++) {
		if (!in_class(p[i], CLASS_NAME))
			return 0;
		dot |= p[i] == '.';
		other |= !in_class(p[i], CLASS_DIGIT | CLASS_DOT);
	}
	if (!dot || !other)
		return 0;
	for (size_t label = 0;;) {
		const char *d = memchr(value + label, '.', n - label);
		size_t end = d != NULL ? (size_t)(d - value) : n;
		state = pat_hash_step(state, pat_hash_label(p + label,
							    end - label,
							    PAT_HASH_FOLD));
		if (end == n)
			break;
		label = end + 1;
	}
	*key = pat_hash_final(state);
	return 1;
}

/* ---- addresses ---- */

static const uint8_t ipv4_lengths[] = { 8, 16, 24, 32 };
static const uint8_t ipv6_lengths[] = { 16, 32, 48, 64, 128 };

static uint64_t
ipv4_key(uint32_t host, unsigned int prefix)
{
	uint32_t net = host & (~0U << (32 - prefix));

	return pat_hash_final(pat_hash_mix_word(KEY_SEED_ADDRESS,
		(uint64_t)4 << 48 | (uint64_t)prefix << 32 | net));
}

static uint64_t
ipv6_key(const uint8_t *addr, unsigned int prefix)
{
	uint64_t hi = 0, lo = 0;

	for (unsigned int i = 0; i < 8; i++) {
		hi = hi << 8 | addr[i];
		lo = lo << 8 | addr[8 + i];
	}
	if (prefix <= 64) {
		hi = prefix == 0 ? 0 : hi & (~0ULL << (64 - prefix));
		lo = 0;
	} else {
		lo &= ~0ULL << (128 - prefix);
	}
	uint64_t h = pat_hash_mix_word(KEY_SEED_ADDRESS,
				       (uint64_t)6 << 48 | (uint64_t)prefix << 32);
	h = pat_hash_mix_word(h, hi);
	return pat_hash_final(pat_hash_mix_word(h, lo));
}

static uint32_t
ipv4_host(const uint8_t *addr)
{
	return (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
		(uint32_t)addr[2] << 8 | addr[3];
}

static void
address_keys(int family, const uint8_t *addr, struct emitter *em)
{
	if (family == 4) {
		uint32_t host = ipv4_host(addr);
		for (size_t i = 0; i < sizeof(ipv4_lengths); i++)
			emit(em, ipv4_key(host, ipv4_lengths[i]));
	} else if (family == 6) {
		for (size_t i = 0; i < sizeof(ipv6_lengths); i++)
			emit(em, ipv6_key(addr, ipv6_lengths[i]));
	}
}

/* The longest fixed length not longer than prefix, or 0. */
static unsigned int
fixed_length(const uint8_t *lengths, size_t n, unsigned int prefix)
{
	unsigned int best = 0;

	for (size_t i = 0; i < n; i++)
		if (lengths[i] <= prefix)
			best = lengths[i];
	return best;
}

/* Four numbers of 1 to 3 digits, each at most 255, between single dots:
 * exactly [a, e). */
static bool
ipv4_parse(const uint8_t *t, size_t a, size_t e, uint8_t *addr)
{
	unsigned int part = 0, digits = 0, value = 0;

	for (size_t i = a; i < e; i++) {
		if (t[i] != '.') {
			value = value * 10 + (unsigned int)(t[i] - '0');
			if (++digits > 3 || value > 255)
				return false;
			continue;
		}
		if (digits == 0 || part == 3)
			return false;
		addr[part++] = (uint8_t)value;
		value = 0;
		digits = 0;
	}
	if (part != 3 || digits == 0)
		return false;
	addr[3] = (uint8_t)value;
	return true;
}

/* The maximal runs of digits and dots inside the name run [a, e) that
 * start with a digit and are an address, perhaps with a sentence's '.'
 * after it (text_match_ipv4() also wants no letter around it). */
static void
text_ipv4_keys(const uint8_t *t, size_t a, size_t e, struct emitter *em)
{
	uint8_t addr[4];

	for (size_t i = a; i < e;) {
		if (!in_class(t[i], CLASS_DIGIT | CLASS_DOT)) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < e && in_class(t[i], CLASS_DIGIT | CLASS_DOT))
			i++;
		size_t end = t[i - 1] == '.' ? i - 1 : i;
		if (t[start] != '.' && end - start >= 7 &&
		    ipv4_parse(t, start, end, addr))
			address_keys(4, addr, em);
	}
}

/* The run [start, end) of hex digits, ':' and '.' holding a ':', read as
 * text_match_ipv6() reads it, but every trimmed form that parses gives
 * keys, and a letter or digit after it does not matter. */
static void
ipv6_candidate(const uint8_t *t, size_t start, size_t end,
	       struct emitter *em)
{
	uint8_t addr[16];
	unsigned int colons = 0;

	while (start < end && start > 0 && in_class(t[start - 1], CLASS_ALNUM))
		start++;
	for (size_t i = start; i < end && colons < 2; i++)
		colons += t[i] == ':';
	if (end - start < 2 || colons < 2)
		return;
	size_t n = end - start;
	const uint8_t *a = t + start;
	if (n > 1 && a[n - 1] == '.')
		n--;
	if (pat_ipv6_text_parse(a, n, addr))
		address_keys(6, addr, em);
	if (n > 2 && a[n - 1] == ':' && a[n - 2] != ':' &&
	    pat_ipv6_text_parse(a, n - 1, addr))
		address_keys(6, addr, em);
	if (n > 2 && a[0] == ':' && a[1] != ':' && pat_ipv6_text_parse(a + 1, n - 1, addr))
		address_keys(6, addr, em);
}

static void
text_ipv6_keys(const uint8_t *t, size_t len, struct emitter *em)
{
	for (size_t i = 0; i < len;) {
		const uint8_t *colon = memchr(t + i, ':', len - i);
		if (colon == NULL)
			return;
		size_t p = (size_t)(colon - t);
		size_t start = p, end = p + 1;
		while (start > i && in_class(t[start - 1], CLASS_IPV6))
			start--;
		while (end < len && in_class(t[end], CLASS_IPV6))
			end++;
		ipv6_candidate(t, start, end, em);
		i = end;
	}
}

/* ---- digests ---- */

/* The alphanumeric runs of the name run [a, e) that are digests. */
static void
digest_keys(const uint8_t *t, size_t a, size_t e, struct emitter *em)
{
	for (size_t i = a; i < e;) {
		if (!in_class(t[i], CLASS_ALNUM)) {
			i++;
			continue;
		}
		size_t start = i;
		bool hex = true;
		for (; i < e && in_class(t[i], CLASS_ALNUM); i++)
			hex &= in_class(t[i], CLASS_HEX);
		size_t n = i - start;
		if (hex && (n == 32 || n == 40 || n == 64))
			emit(em, pat_hash_digest(t + start, n));
	}
}

/* ---- entry points ---- */

size_t
pat_keys_text(const uint8_t *text, size_t len, pat_key_fn fn, void *ctx)
{
	struct emitter em = { .fn = fn, .ctx = ctx };
	unsigned int colons = 0;
	bool double_colon = false;

	for (size_t i = 0; i < len;) {
		if (!in_class(text[i], CLASS_NAME)) {
			if (text[i] == ':') {
				colons++;
				double_colon |= i > 0 && text[i - 1] == ':';
			}
			i++;
			continue;
		}
		size_t a = i;
		unsigned int dots = 0;
		for (; i < len && in_class(text[i], CLASS_NAME); i++)
			dots += text[i] == '.';
		if (dots > 0) {
			domain_keys(text, a, i, len, &em);
			filename_keys(text, len, a, i, &em);
			if (dots >= 3)
				text_ipv4_keys(text, a, i, &em);
		}
		if (i - a >= 32)
			digest_keys(text, a, i, &em);
	}
	if (double_colon || colons >= 6)
		text_ipv6_keys(text, len, &em);
	return em.count;
}

size_t
pat_keys_dns_name(const char *name, size_t len, pat_key_fn fn, void *ctx)
{
	struct emitter em = { .fn = fn, .ctx = ctx };

	domain_keys((const uint8_t *)name, 0, len, len, &em);
	return em.count;
}

size_t
pat_keys_address(int family, const uint8_t *addr, pat_key_fn fn, void *ctx)
{
	struct emitter em = { .fn = fn, .ctx = ctx };

	address_keys(family, addr, &em);
	return em.count;
}

int
pat_keys_indicator(const struct pat_indicator *ind, uint64_t *key)
{
	const char *v = ind->value;
	size_t n = v != NULL ? strlen(v) : 0;
	unsigned int prefix;

	switch (ind->type) {
	case PAT_TYPE_DOMAIN:
		return domain_value_key(v, n, key);
	case PAT_TYPE_URL: {
		/* The host the matcher finds: the value's leading name
		 * characters, a whole run of the text. */
		size_t a = 0, e = 0;
		while (e < n && in_class((uint8_t)v[e], CLASS_NAME))
			e++;
		while (a < e && v[a] == '.')
			a++;
		while (e > a && v[e - 1] == '.')
			e--;
		return domain_value_key(v + a, e - a, key);
	}
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		if (n != 32 && n != 40 && n != 64)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!in_class((uint8_t)v[i], CLASS_HEX))
				return 0;
		*key = pat_hash_digest((const uint8_t *)v, n);
		return 1;
	case PAT_TYPE_FILENAME:
		return v != NULL ? filename_value_key(v, key) : 0;
	case PAT_TYPE_IPV4:
		prefix = fixed_length(ipv4_lengths, sizeof(ipv4_lengths),
				      ind->prefix_len);
		if (prefix == 0 || ind->prefix_len > 32)
			return 0;
		*key = ipv4_key(ipv4_host(ind->addr), prefix);
		return 1;
	case PAT_TYPE_IPV6:
		prefix = fixed_length(ipv6_lengths, sizeof(ipv6_lengths),
				      ind->prefix_len);
		if (prefix == 0 || ind->prefix_len > 128)
			return 0;
		*key = ipv6_key(ind->addr, prefix);
		return 1;
	default:
		return 0;
	}
}
