/* normalize.c -- refangs, checks and canonicalizes single indicator values
 * (type detection: normalize_detect.c; times and severities:
 * normalize_meta.c). */

/*
 * Normalization rules (pat_normalize), applied in this order. Each exists
 * so that two spellings of one indicator become one string, and so that a
 * value the matcher could never match is refused at load time instead.
 *
 * refang     Published IOCs are "defanged" so nobody clicks them. Every
 *            "[.]", "(.)", "[dot]" (any case) and "{.}" becomes ".", "[:]"
 *            becomes ":", "[://]" becomes "://", nested ones too ("[[.]]");
 *            then a leading "hxxp://" or "hxxps://" (any case) becomes
 *            "http://" or "https://". hxxp is only rewritten in front of
 *            "://" so that a name such as "hxxpool.com" stays as written.
 *            Regexes are not refanged: "[.]" and "(.)" are regex syntax.
 * trim       Surrounding whitespace (space, tab, CR, LF, VT, FF) goes.
 * domain     One trailing '.' dropped (the root label). A name with
 *            non-ASCII bytes is an IDN: libidn2 turns it into A-labels
 *            ("bücher.example" -> "xn--bcher-kva.example"), by UTS #46
 *            nontransitional processing (IDNA 2008), else transitional
 *            (IDNA 2003 compatible, which still takes e.g. emoji), since
 *            DNS and logs carry only the ASCII form. Then lowercase ASCII;
 *            characters [a-z0-9-_] and '.'; labels of 1..63 bytes, at
 *            most 253 bytes in all. '*' (wildcards) is refused; a '/'
 *            means a URL was typed as domain.
 * ipv4       inet_pton() text (no leading zeros), optional "/N" with N in
 *            0..32 written without leading zeros. Bits set below the prefix
 *            are refused: "10.1.2.3/8" is more likely a typo than a wish for
 *            10.0.0.0/8. value is the canonical text, without "/32".
 * ipv6       The same, optionally in brackets ("[::1]", "[::1]/128"), N in
 *            0..128; value is inet_ntop()'s canonical text ("2001:DB8:0:0::1"
 *            -> "2001:db8::1"), without "/128".
 * md5 sha1 sha256
 *            Exactly 32, 40 or 64 hex digits, lowercased.
 * filename   1..255 bytes, no '/', '\' or control character. Kept as given:
 *            matching ignores case, so duplicates are found ignoring case.
 * url        A scheme ("http://", any [A-Za-z][A-Za-z0-9+.-]*://) is stripped
 *            because the matcher accepts any scheme or none. The host (up to
 *            the first '/', '?' or '#') is lowercased and must be a domain
 *            (rules above, IDNs included, dot optional), an IPv4 address
 *            or a bracketed IPv6 address, with an optional ":port" of
 *            1..65535. Path and query keep their case. No whitespace or
 *            control characters.
 * regex      Hyperscan syntax, checked with hs_expression_info() so a feed
 *            fails at load time, naming its line, rather than when the
 *            database is compiled. A regex that can match the empty string
 *            is refused: it would hit every message.
 *
 * A failure is reported in the caller's struct error_detail (common.h),
 * when it passes one: the message only, as the caller knows the feed and
 * the line. Checks that type detection reuses take a NULL one and then
 * format nothing.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hs/hs.h>
#include <idn2.h>

#include "arena.h"
#include "normalize.h"
#include "normalize_internal.h"

#define DOMAIN_MAX 253
#define DOMAIN_LABEL_MAX 63
#define FILENAME_MAX_LEN 255

/* More character classes (normalize_internal.h has those detection and
 * the time parser use too). */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_control(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void
lower_in_place(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		s[i] = ascii_lower(s[i]);
}

void
pat_trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*s)[*len - 1]))
		(*len)--;
}

static bool
has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* A character for an error message: printable as is, else escaped. */
static const char *
char_repr(char c, char buf[8])
{
	if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned char)c);
	return buf;
}

/* Fails a check: -EINVAL, and err (if any) says why. */
static int
check_fail(struct error_detail *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
check_fail(struct error_detail *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_detail_vset(err, "", 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- refang ---------------------------------------------------------- */

static const struct {
	const char *fanged;
	const char *plain;
} refang_tokens[] = {
	{ "[.]", "." },
	{ "(.)", "." },
	{ "[dot]", "." },
	{ "{.}", "." },
	{ "[://]", "://" },
	{ "[:]", ":" },
};

/* Replaces a token that the last byte written completed. No plain text
 * ends with a token's last character, so one check per byte suffices;
 * every token ends in ']', ')' or '}', so most bytes need only that. */
static size_t
refang_tail(char *s, size_t w)
{
	char last = s[w - 1];

	if (last != ']' && last != ')' && last != '}')
		return w;
	for (size_t i = 0; i < ARRAY_SIZE(refang_tokens); i++) {
		size_t flen = strlen(refang_tokens[i].fanged);
		size_t plen = strlen(refang_tokens[i].plain);

		if (w >= flen &&
		    strncasecmp(s + w - flen, refang_tokens[i].fanged, flen) == 0) {
			memcpy(s + w - flen, refang_tokens[i].plain, plen);
			return w - flen + plen;
		}
	}
	return w;
}

/* Matching tokens against what was already written rather than against
 * the input, so that nested defanging ("[[.]]") is fully undone and
 * normalizing a normalized value changes nothing. Every replacement is
 * shorter than its token: writing never overtakes reading. */
size_t
pat_norm_refang(char *s, size_t len)
{
	size_t w = 0, skip;

	for (size_t r = 0; r < len; r++) {
		s[w++] = s[r];
		w = refang_tail(s, w);
	}
	for (skip = 0; skip < w && is_space(s[skip]); skip++)
		;
	if (has_prefix_ci(s + skip, w - skip, "hxxp://") ||
	    has_prefix_ci(s + skip, w - skip, "hxxps://"))
		memcpy(s + skip, "http", 4);
	return w;
}

/* ---- addresses ------------------------------------------------------- */

/* "0".."max", no sign, no leading zero: one spelling per prefix. */
static int
parse_prefix(const char *s, size_t len, unsigned int max, unsigned int *prefix)
{
	unsigned int v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*prefix = v;
	return 0;
}

static int
parse_addr(int family, const char *s, size_t len, uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	if (family == AF_INET6 && len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(family, text, addr) == 1 ? 0 : -EINVAL;
}

static unsigned int
family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

int
pat_norm_parse_cidr(int family, const char *s, size_t len, uint8_t *addr,
		    unsigned int *prefix, struct error_detail *err)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;

	if (parse_addr(family, s, alen, addr) != 0)
		return check_fail(err, "invalid IPv%d address",
				  family == AF_INET ? 4 : 6);
	*prefix = family_bits(family);
	if (slash != NULL &&
	    parse_prefix(slash + 1, len - alen - 1, *prefix, prefix) != 0)
		return check_fail(err, "invalid prefix length");
	return 0;
}

static bool
host_bits_set(const uint8_t *addr, unsigned int bits, unsigned int prefix)
{
	for (unsigned int i = prefix; i < bits; i++) {
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return true;
	}
	return false;
}

/* ---- domains and URL hosts ------------------------------------------- */

static bool
is_domain_char(char c)
{
	c = ascii_lower(c);
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
}

static bool
has_non_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return true;
	}
	return false;
}

/* idn lets non-ASCII bytes pass as label characters: type detection
 * runs before the IDN conversion, which then judges them. */
int
pat_norm_domain_check(const char *s, size_t len, const char *what, bool idn,
		      struct error_detail *err)
{
	size_t label = 0;
	char c[8];

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return check_fail(err, "empty label in %s",
						  what);
			label = 0;
			continue;
		}
		if (!is_domain_char(s[i]) &&
		    !(idn && (unsigned char)s[i] >= 0x80))
			return check_fail(err, "invalid character '%s' in %s",
					  char_repr(s[i], c), what);
		if (++label > DOMAIN_LABEL_MAX)
			return check_fail(err,
					  "label longer than %d bytes in %s",
					  DOMAIN_LABEL_MAX, what);
	}
	if (label == 0)
		return check_fail(err, "empty label in %s", what);
	if (len > DOMAIN_MAX)
		return check_fail(err, "%s longer than %d bytes", what,
				  DOMAIN_MAX);
	return 0;
}

static bool
port_valid(const char *s, size_t len)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v != 0 && v <= 65535;
}

int
pat_norm_url_host_check(const char *h, size_t len, bool idn,
			struct error_detail *err)
{
	uint8_t addr[16];
	const char *colon, *close;
	size_t hlen = len;

	if (len > 0 && h[0] == '[') {
		close = memchr(h, ']', len);
		if (close == NULL ||
		    parse_addr(AF_INET6, h, (size_t)(close - h) + 1, addr) != 0)
			return check_fail(err,
					  "invalid IPv6 address in url host");
		hlen = (size_t)(close - h) + 1;
		if (hlen == len)
			return 0;
		if (h[hlen] != ':')
			return check_fail(err, "invalid url host");
		if (!port_valid(h + hlen + 1, len - hlen - 1))
			return check_fail(err, "invalid port in url");
		return 0;
	}
	colon = memchr(h, ':', len);
	if (colon != NULL) {
		hlen = (size_t)(colon - h);
		if (!port_valid(colon + 1, len - hlen - 1))
			return check_fail(err, "invalid port in url");
	}
	if (hlen == 0)
		return check_fail(err, "url has no host");
	if (parse_addr(AF_INET, h, hlen, addr) == 0)
		return 0;
	if (h[hlen - 1] == '.')
		hlen--;
	return pat_norm_domain_check(h, hlen, "url host", idn, err);
}

/* Length of a leading "scheme://", 0 when there is none. */
static size_t
url_scheme_len(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_alpha(s[0]))
		return 0;
	while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' ||
			   s[i] == '-' || s[i] == '.'))
		i++;
	return has_prefix_ci(s + i, len - i, "://") ? i + 3 : 0;
}

size_t
pat_norm_url_host_len(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
		i++;
	return i;
}

/* ---- normalizers ----------------------------------------------------- */

/* One value being normalized. s is writable arena memory, NUL-terminated
 * at len; a normalizer may narrow s within it, or point it at text[] when
 * the canonical form is not a substring of the input (addresses). */
struct norm {
	char *s;
	size_t len;
	struct pat_arena *arena;
	struct pat_indicator *ind;
	struct error_detail *err;      /* the caller's, or NULL */
	char text[INET6_ADDRSTRLEN + 4];
};

static int
norm_nomem(struct norm *n)
{
	error_detail_set(n->err, "", 0, "out of memory");
	return -ENOMEM;
}

/* s[0..len), a name holding non-ASCII bytes, as A-labels ("bücher" ->
 * "xn--bcher-kva"), lowercased, into *out: arena memory with room for
 * tail_len more bytes, where tail is copied. Nontransitional (IDNA 2008,
 * "faß" stays "faß") first; transitional (IDNA 2003 compatible) then
 * takes names, e.g. with emoji, that browsers still resolve. Both
 * failing, the reason is libidn2's message for the first. */
static int
idn_to_ascii(struct norm *n, const char *s, size_t len, const char *tail,
	     size_t tail_len, const char *what, char **out, size_t *out_len)
{
	char *name, *ascii = NULL;
	size_t alen;
	int rc, first;

	name = malloc(len + 1);
	if (name == NULL)
		return norm_nomem(n);
	memcpy(name, s, len);
	name[len] = '\0';
	rc = idn2_to_ascii_8z(name, &ascii, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK && rc != IDN2_MALLOC) {
		first = rc;
		rc = idn2_to_ascii_8z(name, &ascii, IDN2_TRANSITIONAL);
		if (rc != IDN2_OK && rc != IDN2_MALLOC)
			rc = first;
	}
	free(name);
	if (rc == IDN2_MALLOC)
		return norm_nomem(n);
	if (rc != IDN2_OK)
		return check_fail(n->err, "invalid internationalized %s: %s",
				  what, idn2_strerror(rc));
	alen = strlen(ascii);
	*out = pat_arena_alloc(n->arena, alen + tail_len + 1);
	if (*out == NULL) {
		idn2_free(ascii);
		return norm_nomem(n);
	}
	memcpy(*out, ascii, alen);
	idn2_free(ascii);
	lower_in_place(*out, alen);
	memcpy(*out + alen, tail, tail_len);
	*out_len = alen + tail_len;
	(*out)[*out_len] = '\0';
	return 0;
}

static int
norm_domain(struct norm *n)
{
	int rc;

	if (memchr(n->s, '/', n->len) != NULL)
		return check_fail(n->err,
				  "domain must not contain '/' (use type url)");
	if (n->len > 0 && n->s[n->len - 1] == '.')
		n->len--;
	if (has_non_ascii(n->s, n->len)) {
		rc = idn_to_ascii(n, n->s, n->len, "", 0, "domain", &n->s,
				  &n->len);
		if (rc != 0)
			return rc;
	}
	rc = pat_norm_domain_check(n->s, n->len, "domain", false, n->err);
	if (rc != 0)
		return rc;
	lower_in_place(n->s, n->len);
	return 0;
}

static int
norm_ip(struct norm *n, int family)
{
	unsigned int bits = family_bits(family), prefix;
	uint8_t addr[16] = { 0 };
	size_t tlen;
	int rc = pat_norm_parse_cidr(family, n->s, n->len, addr, &prefix,
				     n->err);

	if (rc != 0)
		return rc;
	if (host_bits_set(addr, bits, prefix))
		return check_fail(n->err, "host bits set in CIDR");
	inet_ntop(family, addr, n->text, sizeof(n->text));
	tlen = strlen(n->text);
	if (prefix < bits)
		snprintf(n->text + tlen, sizeof(n->text) - tlen, "/%u", prefix);
	n->s = n->text;
	n->len = strlen(n->text);
	n->ind->prefix_len = (uint8_t)prefix;
	memcpy(n->ind->addr, addr, bits / 8);
	return 0;
}

static int
norm_ipv4(struct norm *n)
{
	return norm_ip(n, AF_INET);
}

static int
norm_ipv6(struct norm *n)
{
	return norm_ip(n, AF_INET6);
}

static int
norm_hash(struct norm *n, size_t digits, const char *name)
{
	bool ok = n->len == digits;

	for (size_t i = 0; ok && i < n->len; i++)
		ok = is_hex(n->s[i]);
	if (!ok)
		return check_fail(n->err, "%s must be %zu hex digits", name,
				  digits);
	lower_in_place(n->s, n->len);
	return 0;
}

static int
norm_md5(struct norm *n)
{
	return norm_hash(n, 32, "md5");
}

static int
norm_sha1(struct norm *n)
{
	return norm_hash(n, 40, "sha1");
}

static int
norm_sha256(struct norm *n)
{
	return norm_hash(n, 64, "sha256");
}

int
pat_norm_filename_check(const char *s, size_t len, struct error_detail *err)
{
	if (len > FILENAME_MAX_LEN)
		return check_fail(err, "filename longer than 255 bytes");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == '\\')
			return check_fail(err, "filename must not contain "
					  "'/' or '\\'");
		if (is_control(s[i]))
			return check_fail(err, "control character in filename");
	}
	return 0;
}

static int
norm_filename(struct norm *n)
{
	return pat_norm_filename_check(n->s, n->len, n->err);
}

/* The name in the url host s[0..*host_len) (before a ":port") as
 * A-labels; the rest of the url follows it unchanged. A bracketed host is
 * left to pat_norm_url_host_check(). */
static int
url_host_idn(struct norm *n, size_t *host_len)
{
	const char *colon = memchr(n->s, ':', *host_len);
	size_t name_len = colon != NULL ? (size_t)(colon - n->s) : *host_len;
	size_t tail_len = n->len - name_len, len;
	char *out;
	int rc;

	if (n->s[0] == '[' || !has_non_ascii(n->s, name_len))
		return 0;
	rc = idn_to_ascii(n, n->s, name_len, n->s + name_len, tail_len,
			  "url host", &out, &len);
	if (rc != 0)
		return rc;
	/* The port stays in the host: new name, then what followed it. */
	*host_len = (len - tail_len) + (*host_len - name_len);
	n->s = out;
	n->len = len;
	return 0;
}

static int
norm_url(struct norm *n)
{
	size_t skip, host_len;
	int rc;

	for (size_t i = 0; i < n->len; i++) {
		if (is_space(n->s[i]) || is_control(n->s[i]))
			return check_fail(n->err, "whitespace or control "
					  "character in url");
	}
	skip = url_scheme_len(n->s, n->len);
	n->s += skip;
	n->len -= skip;
	host_len = pat_norm_url_host_len(n->s, n->len);
	if (host_len == 0)
		return check_fail(n->err, "url has no host");
	rc = url_host_idn(n, &host_len);
	if (rc != 0)
		return rc;
	lower_in_place(n->s, host_len);
	return pat_norm_url_host_check(n->s, host_len, false, n->err);
}

static int
norm_regex(struct norm *n)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *compile_err = NULL;
	int rc = 0;

	if (hs_expression_info(n->s, HS_FLAG_SINGLEMATCH, &info,
			       &compile_err) != HS_SUCCESS) {
		rc = check_fail(n->err, "invalid regex: %s",
				compile_err != NULL ?
				compile_err->message : "unknown error");
		hs_free_compile_error(compile_err);
		return rc;
	}
	if (info->min_width == 0)
		rc = check_fail(n->err, "regex can match the empty string");
	free(info);
	return rc;
}

static int (*const normalizers[PAT_TYPE_COUNT])(struct norm *) = {
	[PAT_TYPE_DOMAIN] = norm_domain,
	[PAT_TYPE_IPV4] = norm_ipv4,
	[PAT_TYPE_IPV6] = norm_ipv6,
	[PAT_TYPE_MD5] = norm_md5,
	[PAT_TYPE_SHA1] = norm_sha1,
	[PAT_TYPE_SHA256] = norm_sha256,
	[PAT_TYPE_FILENAME] = norm_filename,
	[PAT_TYPE_URL] = norm_url,
	[PAT_TYPE_REGEX] = norm_regex,
};

/* An arena copy of value, refanged (except regexes) and trimmed. */
static int
value_prepare(struct pat_arena *arena, bool is_regex, const char *value,
	      size_t len, char **s, size_t *slen, struct error_detail *err)
{
	char *copy;
	const char *t;

	if (value == NULL || memchr(value, '\0', len) != NULL)
		return check_fail(err, "NUL byte in value");
	copy = pat_arena_strndup(arena, value, len);
	if (copy == NULL) {
		error_detail_set(err, "", 0, "out of memory");
		return -ENOMEM;
	}
	t = copy;
	if (!is_regex)
		len = pat_norm_refang(copy, len);
	pat_trim(&t, &len);
	*s = copy + (t - copy);
	*slen = len;
	return 0;
}

/* s, len from value_prepare(); fills ind and sets ind->value. */
static int
normalize_prepared(struct pat_arena *arena, enum pat_type type, char *s,
		   size_t len, struct pat_indicator *ind,
		   struct error_detail *err)
{
	struct norm n = {
		.s = s, .len = len, .arena = arena, .ind = ind, .err = err,
	};
	int rc;

	memset(ind, 0, sizeof(*ind));
	ind->type = type;
	ind->tags = "";
	ind->source = "";
	ind->feed = "";
	if ((unsigned int)type >= PAT_TYPE_COUNT)
		return check_fail(err, "unknown type");
	if (len == 0)
		return check_fail(err, "empty value");
	s[len] = '\0';
	rc = normalizers[type](&n);
	if (rc != 0)
		return rc;
	if (n.s == n.text) {
		n.s = pat_arena_strndup(arena, n.text, n.len);
		if (n.s == NULL)
			return norm_nomem(&n);
	}
	n.s[n.len] = '\0';
	ind->value = n.s;
	return 0;
}

/* Also: the other fields of ind are reset ("" strings, line 0), so the
 * caller sets them after. The value may not contain a NUL byte. */
int
pat_normalize(struct pat_arena *arena, enum pat_type type,
	      const char *value, size_t len, struct pat_indicator *ind,
	      struct error_detail *err)
{
	char *s;
	size_t slen;
	int rc;

	rc = value_prepare(arena, type == PAT_TYPE_REGEX, value, len, &s, &slen,
			   err);
	if (rc != 0)
		return rc;
	return normalize_prepared(arena, type, s, slen, ind, err);
}

int
pat_normalize_untyped(struct pat_arena *arena, const char *value, size_t len,
		      struct pat_indicator *ind, struct error_detail *err)
{
	enum pat_type type;
	char *s;
	size_t slen;
	int rc;

	/* One refanged copy serves both detection and normalization. */
	rc = value_prepare(arena, false, value, len, &s, &slen, err);
	if (rc != 0)
		return rc;
	if (pat_norm_detect(s, slen, &type) != 0)
		return check_fail(err, "cannot detect the type of '%.*s'",
				  slen > QUOTE_MAX ? QUOTE_MAX : (int)slen, s);
	return normalize_prepared(arena, type, s, slen, ind, err);
}
