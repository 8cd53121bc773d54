/* reference_matcher.c -- the rules of docs/matching.md, one indicator at a
 * time, each a plain loop over the bytes. Slow on purpose: what it does
 * should be checkable against the document by reading it once. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "reference_matcher.h"

struct ref_matcher {
	const struct pat_indicator *const *inds;
	uint32_t count;
	hs_database_t **regex;         /* one per regex indicator */
	hs_scratch_t *scratch;
};

static bool
digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
letter(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
alnum(uint8_t c)
{
	return digit(c) || letter(c);
}

static bool
hex(uint8_t c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "Tokens are runs of letters, digits, '-', '_' and '.'". */
static bool
name_char(uint8_t c)
{
	return alnum(c) || c == '-' || c == '_' || c == '.';
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
equal_caseless(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower((uint8_t)b[i]))
			return false;
	return true;
}

/* ---- domains ---- */

/* "A domain indicator is looked up for the token and every parent of it,
 * at label boundaries only ... leading and trailing dots are dropped":
 * the name equals the indicator, or ends in '.' and the indicator. */
static bool
name_holds_domain(const uint8_t *name, size_t len, const char *domain)
{
	size_t d = strlen(domain);

	while (len > 0 && name[0] == '.') {
		name++;
		len--;
	}
	while (len > 0 && name[len - 1] == '.')
		len--;
	if (len < d || !equal_caseless(name + len - d, domain, d))
		return false;
	return len == d || name[len - d - 1] == '.';
}

static bool
text_holds_domain(const uint8_t *t, size_t n, const char *domain)
{
	for (size_t i = 0; i < n;) {
		if (!name_char(t[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && name_char(t[i]))
			i++;
		if (name_holds_domain(t + start, i - start, domain))
			return true;
	}
	return false;
}

/* ---- addresses ---- */

static bool
address_in(const struct pat_indicator *ind, int family, const uint8_t *addr)
{
	if ((family == 4) != (ind->type == PAT_TYPE_IPV4))
		return false;
	unsigned int bits = ind->prefix_len;
	for (unsigned int i = 0; i < bits / 8; i++)
		if (addr[i] != ind->addr[i])
			return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00 >> (bits % 8));
	return (addr[bits / 8] & mask) == (ind->addr[bits / 8] & mask);
}

/* "A dotted quad of decimal numbers 0..255, leading zeros allowed". */
static bool
dotted_quad(const uint8_t *s, size_t n, uint8_t *addr)
{
	unsigned int part = 0;
	size_t i = 0;

	while (part < 4) {
		unsigned int value = 0, digits = 0;
		while (i < n && digit(s[i]) && digits < 4) {
			value = value * 10 + (unsigned int)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || digits > 3 || value > 255)
			return false;
		addr[part++] = (uint8_t)value;
		if (part < 4) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

/* An IPv4 token: a run of digits and dots that starts with a digit, has
 * no letter right before or after it; one final '.' is punctuation. */
static bool
text_holds_ipv4(const uint8_t *t, size_t n, const struct pat_indicator *ind)
{
	for (size_t i = 0; i < n; i++) {
		if (!digit(t[i]) || (i > 0 && (digit(t[i - 1]) || t[i - 1] == '.')))
			continue;
		size_t e = i;
		while (e < n && (digit(t[e]) || t[e] == '.'))
			e++;
		if ((i > 0 && letter(t[i - 1])) || (e < n && letter(t[e])))
			continue;
		size_t len = e - i;
		if (t[e - 1] == '.')
			len--;
		uint8_t addr[4];
		if (dotted_quad(t + i, len, addr) && address_in(ind, 4, addr))
			return true;
	}
	return false;
}

static bool
ipv6_text(const uint8_t *s, size_t n, uint8_t *addr)
{
	char buf[64];

	if (n == 0 || n > 45)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

static bool
ipv6_char(uint8_t c)
{
	return hex(c) || c == ':' || c == '.';
}

/* An IPv6 token: in a run of hex digits, ':' and '.', from its first
 * position that follows no letter or digit to the run's end, with two
 * colons at least and no letter or digit after it. A final '.', or one
 * ':' at either end, is punctuation. */
static bool
text_holds_ipv6(const uint8_t *t, size_t n, const struct pat_indicator *ind)
{
	for (size_t i = 0; i < n;) {
		if (!ipv6_char(t[i])) {
			i++;
			continue;
		}
		size_t run = i, e = i;
		while (e < n && ipv6_char(t[e]))
			e++;
		i = e;
		size_t s = run;
		while (s < e && s > 0 && alnum(t[s - 1]))
			s++;
		size_t colons = 0;
		for (size_t k = s; k < e; k++)
			colons += t[k] == ':';
		if (colons < 2 || (e < n && alnum(t[e])))
			continue;
		const uint8_t *a = t + s;
		size_t len = e - s;
		uint8_t addr[16];
		if (len > 1 && a[len - 1] == '.')
			len--;
		bool parsed = ipv6_text(a, len, addr) ||
			(len > 2 && a[len - 1] == ':' && a[len - 2] != ':' &&
			 ipv6_text(a, len - 1, addr)) ||
			(len > 2 && a[0] == ':' && a[1] != ':' &&
			 ipv6_text(a + 1, len - 1, addr));
		if (parsed && address_in(ind, 6, addr))
			return true;
	}
	return false;
}

/* ---- digests ---- */

/* "The digest in any case as a whole alphanumeric token". */
static bool
text_holds_digest(const uint8_t *t, size_t n, const char *digest)
{
	size_t d = strlen(digest);

	for (size_t i = 0; i < n;) {
		if (!alnum(t[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && alnum(t[i]))
			i++;
		if (i - start == d && equal_caseless(t + start, digest, d))
			return true;
	}
	return false;
}

/* ---- file names and URLs ---- */

static bool
filename_before(uint8_t c)
{
	return c == '/' || c == '\\' || c == ' ' || c == '\t' || c == '"' ||
		c == '\'' || c == '=';
}

/* "Followed by the end or a character that cannot continue a name (a '.'
 * only if no letter or digit follows)". */
static bool
filename_after(const uint8_t *t, size_t n, size_t e)
{
	if (e == n)
		return true;
	if (t[e] == '.')
		return e + 1 == n || !alnum(t[e + 1]);
	return !alnum(t[e]) && t[e] != '_' && t[e] != '-';
}

static bool
text_holds_filename(const uint8_t *t, size_t n, const char *name)
{
	size_t d = strlen(name);

	for (size_t s = 0; s + d <= n; s++)
		if (equal_caseless(t + s, name, d) &&
		    (s == 0 || filename_before(t[s - 1])) &&
		    filename_after(t, n, s + d))
			return true;
	return false;
}

/* "That URL and longer paths under it, with any scheme or none, host in
 * any case, path as written"; nothing of a name right before it; after a
 * value without a final '/', the end, '/', '?', '#' or a character that
 * cannot be part of a URL path. */
static bool
text_holds_url(const uint8_t *t, size_t n, const char *url)
{
	size_t d = strlen(url), host = strcspn(url, "/?#");

	for (size_t s = 0; s + d <= n; s++) {
		if (!equal_caseless(t + s, url, host) ||
		    memcmp(t + s + host, url + host, d - host) != 0)
			continue;
		if (s > 0 && name_char(t[s - 1]))
			continue;
		size_t e = s + d;
		if (e == n || url[d - 1] == '/')
			return true;
		uint8_t c = t[e];
		bool path_char = alnum(c) || c == '-' || c == '.' || c == '_' ||
			c == '~' || c == '%';
		if (c == '/' || c == '?' || c == '#' || !path_char)
			return true;
	}
	return false;
}

/* ---- regexes ---- */

static int
on_regex_match(unsigned int id, unsigned long long from,
	       unsigned long long to, unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(bool *)ctx = true;
	return 1;       /* one match is enough */
}

static bool
holds_regex(const struct ref_matcher *ref, uint32_t id, const void *data,
	    size_t len)
{
	bool hit = false;
	/* Scanned from a copy with room on both sides: Hyperscan 5.4 reads
	 * a few bytes around its buffer (patterns/match.c,
	 * scan_needs_copy), and the fuzzer's input may end at a page. */
	enum { SLACK = 64 };
	uint8_t *padded = calloc(1, len + 2 * SLACK);

	if (padded == NULL)
		return false;
	memcpy(padded + SLACK, data, len);
	hs_scan(ref->regex[id], (const char *)padded + SLACK,
		(unsigned int)len, 0, ref->scratch, on_regex_match, &hit);
	free(padded);
	return hit;
}

/* ---- the matcher ---- */

struct ref_matcher *
ref_matcher_new(const struct pat_indicator *const *inds, uint32_t count)
{
	struct ref_matcher *ref = calloc(1, sizeof(*ref));

	if (ref == NULL)
		return NULL;
	ref->inds = inds;
	ref->count = count;
	ref->regex = calloc(count + 1, sizeof(*ref->regex));
	if (ref->regex == NULL) {
		free(ref);
		return NULL;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (inds[i] == NULL || inds[i]->type != PAT_TYPE_REGEX)
			continue;
		hs_compile_error_t *error = NULL;
		if (hs_compile(inds[i]->value, HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK,
			       NULL, &ref->regex[i], &error) != HS_SUCCESS ||
		    hs_alloc_scratch(ref->regex[i], &ref->scratch) != HS_SUCCESS) {
			hs_free_compile_error(error);
			ref_matcher_free(ref);
			return NULL;
		}
	}
	return ref;
}

void
ref_matcher_free(struct ref_matcher *ref)
{
	if (ref == NULL)
		return;
	for (uint32_t i = 0; i < ref->count; i++)
		hs_free_database(ref->regex[i]);
	free(ref->regex);
	hs_free_scratch(ref->scratch);
	free(ref);
}

static bool
live(const struct pat_indicator *ind, int64_t now)
{
	return ind != NULL && (ind->expires == 0 || now < ind->expires);
}

size_t
ref_match_text(const struct ref_matcher *ref, const uint8_t *t, size_t n,
	       int64_t now, uint32_t *ids)
{
	size_t hits = 0;

	for (uint32_t id = 0; id < ref->count; id++) {
		const struct pat_indicator *ind = ref->inds[id];
		bool hit = false;
		if (!live(ind, now))
			continue;
		switch (ind->type) {
		case PAT_TYPE_DOMAIN:
			hit = text_holds_domain(t, n, ind->value);
			break;
		case PAT_TYPE_IPV4:
			hit = text_holds_ipv4(t, n, ind);
			break;
		case PAT_TYPE_IPV6:
			hit = text_holds_ipv6(t, n, ind);
			break;
		case PAT_TYPE_MD5:
		case PAT_TYPE_SHA1:
		case PAT_TYPE_SHA256:
			hit = text_holds_digest(t, n, ind->value);
			break;
		case PAT_TYPE_FILENAME:
			hit = text_holds_filename(t, n, ind->value);
			break;
		case PAT_TYPE_URL:
			hit = text_holds_url(t, n, ind->value);
			break;
		case PAT_TYPE_REGEX:
			hit = holds_regex(ref, id, t, n);
			break;
		default:
			break;
		}
		if (hit)
			ids[hits++] = id;
	}
	return hits;
}

size_t
ref_match_dns_name(const struct ref_matcher *ref, const char *name,
		   size_t len, int64_t now, uint32_t *ids)
{
	size_t hits = 0;

	for (uint32_t id = 0; id < ref->count; id++) {
		const struct pat_indicator *ind = ref->inds[id];
		if (!live(ind, now))
			continue;
		if ((ind->type == PAT_TYPE_DOMAIN &&
		     name_holds_domain((const uint8_t *)name, len, ind->value)) ||
		    (ind->type == PAT_TYPE_REGEX &&
		     holds_regex(ref, id, name, len)))
			ids[hits++] = id;
	}
	return hits;
}

size_t
ref_match_address(const struct ref_matcher *ref, int family,
		  const uint8_t *addr, int64_t now, uint32_t *ids)
{
	size_t hits = 0;

	for (uint32_t id = 0; id < ref->count; id++) {
		const struct pat_indicator *ind = ref->inds[id];
		if (live(ind, now) && (ind->type == PAT_TYPE_IPV4 ||
				       ind->type == PAT_TYPE_IPV6) &&
		    address_in(ind, family, addr))
			ids[hits++] = id;
	}
	return hits;
}
