/* feed.c -- reads CSV and plain indicator feeds, normalizes every value. */

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
 * domain     Lowercase ASCII; one trailing '.' dropped (the root label);
 *            characters [a-z0-9-_] and '.'; labels of 1..63 bytes, at most
 *            253 bytes in all. '*' (wildcards) and non-ASCII (write IDNs in
 *            punycode) are refused; a '/' means a URL was typed as domain.
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
 *            (rules above, dot optional), an IPv4 address or a bracketed
 *            IPv6 address, with an optional ":port" of 1..65535. Path and
 *            query keep their case. No whitespace or control characters.
 * regex      Hyperscan syntax, checked with hs_expression_info() so a feed
 *            fails at load time, naming its line, rather than when the
 *            database is compiled. A regex that can match the empty string
 *            is refused: it would hit every message.
 *
 * *reason points either to a string literal or to a thread-local buffer
 * (messages that quote a character or Hyperscan's message); it stays valid
 * until the next pat_normalize() or pat_detect_type() call of the thread.
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

#include "arena.h"
#include "feed.h"

/* Longer lines are garbage (or a binary file) rather than a feed. */
#define FEED_LINE_MAX (64 * 1024)
/* Bounds the work of merging tags of duplicates, which rescans them. */
#define FEED_TAGS_MAX 1024
/* Enough for the widest export headers (MISP has about 15 columns). */
#define CSV_FIELDS_MAX 64
/* How much of an offending value an error message quotes. */
#define QUOTE_MAX 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DOMAIN_MAX 253
#define DOMAIN_LABEL_MAX 63
#define FILENAME_MAX_LEN 255

static _Thread_local char reason_buf[sizeof(((struct pat_error *)0)->message)];

static const char *
reason_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
reason_fmt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason_buf, sizeof(reason_buf), fmt, ap);
	va_end(ap);
	return reason_buf;
}

/* Locale-independent character classes: a feed means the same thing
 * whatever LANG the daemon runs under. */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
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

static void
trim(const char **s, size_t *len)
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

static bool
equals_ci(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* memrchr() and memmem() are GNU extensions; patterns/ builds without. */
static const char *
last_char(const char *s, size_t len, char c)
{
	while (len > 0) {
		if (s[--len] == c)
			return s + len;
	}
	return NULL;
}

static bool
contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(s + i, needle, n) == 0)
			return true;
	}
	return false;
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
 * ends with a token's last character, so one check per byte suffices. */
static size_t
refang_tail(char *s, size_t w)
{
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

/* In place, matching tokens against what was already written rather
 * than against the input, so that nested defanging ("[[.]]") is fully
 * undone and normalizing a normalized value changes nothing. Every
 * replacement is shorter than its token: writing never overtakes
 * reading. Returns the new length. */
static size_t
refang(char *s, size_t len)
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

/* "addr" or "addr/N". Host bits are the caller's business. */
static int
parse_cidr(int family, const char *s, size_t len, uint8_t *addr,
	   unsigned int *prefix, const char **reason)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;

	if (parse_addr(family, s, alen, addr) != 0) {
		*reason = family == AF_INET ? "invalid IPv4 address" :
					      "invalid IPv6 address";
		return -EINVAL;
	}
	*prefix = family_bits(family);
	if (slash != NULL &&
	    parse_prefix(slash + 1, len - alen - 1, *prefix, prefix) != 0) {
		*reason = "invalid prefix length";
		return -EINVAL;
	}
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

/* NULL when s (no trailing dot, any case) is a valid name, else why not.
 * what names the thing in the message: "domain" or "url host". */
static const char *
domain_check(const char *s, size_t len, const char *what)
{
	size_t label = 0;
	char c[8];

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return reason_fmt("empty label in %s", what);
			label = 0;
			continue;
		}
		if (!is_domain_char(s[i]))
			return reason_fmt("invalid character '%s' in %s",
					  char_repr(s[i], c), what);
		if (++label > DOMAIN_LABEL_MAX)
			return reason_fmt("label longer than %d bytes in %s",
					  DOMAIN_LABEL_MAX, what);
	}
	if (label == 0)
		return reason_fmt("empty label in %s", what);
	if (len > DOMAIN_MAX)
		return reason_fmt("%s longer than %d bytes", what, DOMAIN_MAX);
	return NULL;
}

static const char *
port_check(const char *s, size_t len)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return "invalid port in url";
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return "invalid port in url";
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v == 0 || v > 65535 ? "invalid port in url" : NULL;
}

/* host[:port] or [ipv6][:port]. NULL when valid, else why not. */
static const char *
url_host_check(const char *h, size_t len)
{
	uint8_t addr[16];
	const char *colon, *close;
	size_t hlen = len;

	if (len > 0 && h[0] == '[') {
		close = memchr(h, ']', len);
		if (close == NULL ||
		    parse_addr(AF_INET6, h, (size_t)(close - h) + 1, addr) != 0)
			return "invalid IPv6 address in url host";
		hlen = (size_t)(close - h) + 1;
		if (hlen == len)
			return NULL;
		if (h[hlen] != ':')
			return "invalid url host";
		return port_check(h + hlen + 1, len - hlen - 1);
	}
	colon = memchr(h, ':', len);
	if (colon != NULL) {
		hlen = (size_t)(colon - h);
		if (port_check(colon + 1, len - hlen - 1) != NULL)
			return "invalid port in url";
	}
	if (hlen == 0)
		return "url has no host";
	if (parse_addr(AF_INET, h, hlen, addr) == 0)
		return NULL;
	if (h[hlen - 1] == '.')
		hlen--;
	return domain_check(h, hlen, "url host");
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

static size_t
url_host_len(const char *s, size_t len)
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
	struct pat_indicator *ind;
	const char *reason;
	char text[INET6_ADDRSTRLEN + 4];
};

static int
norm_fail(struct norm *n, const char *reason)
{
	n->reason = reason;
	return -EINVAL;
}

static int
norm_domain(struct norm *n)
{
	const char *reason;

	if (memchr(n->s, '/', n->len) != NULL)
		return norm_fail(n, "domain must not contain '/' (use type url)");
	if (n->len > 0 && n->s[n->len - 1] == '.')
		n->len--;
	reason = domain_check(n->s, n->len, "domain");
	if (reason != NULL)
		return norm_fail(n, reason);
	lower_in_place(n->s, n->len);
	return 0;
}

static int
norm_ip(struct norm *n, int family)
{
	unsigned int bits = family_bits(family), prefix;
	const char *reason;
	uint8_t addr[16] = { 0 };
	size_t tlen;

	if (parse_cidr(family, n->s, n->len, addr, &prefix, &reason) != 0)
		return norm_fail(n, reason);
	if (host_bits_set(addr, bits, prefix))
		return norm_fail(n, "host bits set in CIDR");
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
		return norm_fail(n, reason_fmt("%s must be %zu hex digits", name,
					       digits));
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

static const char *
filename_check(const char *s, size_t len)
{
	if (len > FILENAME_MAX_LEN)
		return "filename longer than 255 bytes";
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == '\\')
			return "filename must not contain '/' or '\\'";
		if (is_control(s[i]))
			return "control character in filename";
	}
	return NULL;
}

static int
norm_filename(struct norm *n)
{
	const char *reason = filename_check(n->s, n->len);

	return reason != NULL ? norm_fail(n, reason) : 0;
}

static int
norm_url(struct norm *n)
{
	size_t skip, host_len;
	const char *reason;

	for (size_t i = 0; i < n->len; i++) {
		if (is_space(n->s[i]) || is_control(n->s[i]))
			return norm_fail(n, "whitespace or control character in url");
	}
	skip = url_scheme_len(n->s, n->len);
	n->s += skip;
	n->len -= skip;
	host_len = url_host_len(n->s, n->len);
	if (host_len == 0)
		return norm_fail(n, "url has no host");
	lower_in_place(n->s, host_len);
	reason = url_host_check(n->s, host_len);
	return reason != NULL ? norm_fail(n, reason) : 0;
}

static int
norm_regex(struct norm *n)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *compile_err = NULL;
	int rc = 0;

	if (hs_expression_info(n->s, HS_FLAG_SINGLEMATCH, &info,
			       &compile_err) != HS_SUCCESS) {
		rc = norm_fail(n, reason_fmt("invalid regex: %s",
					     compile_err != NULL ?
					     compile_err->message : "unknown error"));
		hs_free_compile_error(compile_err);
		return rc;
	}
	if (info->min_width == 0)
		rc = norm_fail(n, "regex can match the empty string");
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
	      size_t len, char **s, size_t *slen)
{
	char *copy = pat_arena_strndup(arena, value, len);
	const char *t = copy;

	if (copy == NULL)
		return -ENOMEM;
	if (!is_regex)
		len = refang(copy, len);
	trim(&t, &len);
	*s = copy + (t - copy);
	*slen = len;
	return 0;
}

/* s, len from value_prepare(); fills ind and sets ind->value. */
static int
normalize_prepared(struct pat_arena *arena, enum pat_type type, char *s,
		   size_t len, struct pat_indicator *ind, const char **reason)
{
	struct norm n = { .s = s, .len = len, .ind = ind };

	memset(ind, 0, sizeof(*ind));
	ind->type = type;
	ind->tags = "";
	ind->source = "";
	ind->feed = "";
	if ((unsigned int)type >= PAT_TYPE_COUNT) {
		*reason = "unknown type";
		return -EINVAL;
	}
	if (len == 0) {
		*reason = "empty value";
		return -EINVAL;
	}
	s[len] = '\0';
	if (normalizers[type](&n) != 0) {
		*reason = n.reason;
		return -EINVAL;
	}
	if (n.s == n.text) {
		n.s = pat_arena_strndup(arena, n.text, n.len);
		if (n.s == NULL) {
			*reason = "out of memory";
			return -ENOMEM;
		}
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
	      const char **reason)
{
	char *s;
	size_t slen;

	if (value == NULL || memchr(value, '\0', len) != NULL) {
		*reason = "NUL byte in value";
		return -EINVAL;
	}
	if (value_prepare(arena, type == PAT_TYPE_REGEX, value, len, &s,
			  &slen) != 0) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	return normalize_prepared(arena, type, s, slen, ind, reason);
}

/* ---- type detection -------------------------------------------------- */

/* File extensions that make a bare value a file name in a plain feed:
 * executables, scripts, installers, archives, disk images and macro-
 * capable documents, on Windows, macOS and Linux, and "ico" (the 3CX
 * attack hid its C2 addresses in icon files). "zip", "app" and "so"
 * are also top-level domains: a plain feed cannot tell, so a domain such
 * as "update.zip" must be given in a CSV feed with its type. */
static const char *const file_extensions[] = {
	"7z", "app", "bat", "cmd", "dll", "dmg", "doc", "docm", "docx",
	"dylib", "exe", "hta", "ico", "img", "iso", "jar", "js", "lnk", "msi",
	"pdf", "pkg", "ps1", "rar", "scr", "so", "sys", "vbs", "xls", "xlsm",
	"xlsx", "zip",
};

static bool
has_file_extension(const char *s, size_t len)
{
	const char *dot = last_char(s, len, '.');
	size_t elen;

	if (dot == NULL || dot == s)
		return false;
	elen = len - (size_t)(dot + 1 - s);
	for (size_t i = 0; i < ARRAY_SIZE(file_extensions); i++) {
		if (equals_ci(dot + 1, elen, file_extensions[i]))
			return true;
	}
	return false;
}

static int
hash_type(const char *s, size_t len, enum pat_type *type)
{
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(s[i]))
			return -EINVAL;
	}
	switch (len) {
	case 32:
		*type = PAT_TYPE_MD5;
		return 0;
	case 40:
		*type = PAT_TYPE_SHA1;
		return 0;
	case 64:
		*type = PAT_TYPE_SHA256;
		return 0;
	default:
		return -EINVAL;
	}
}

/* "host/..." where host is an address or a name with a dot. */
static bool
looks_like_url(const char *s, size_t len)
{
	size_t host_len;

	if (contains(s, len, "://"))
		return true;
	if (memchr(s, '/', len) == NULL)
		return false;
	host_len = url_host_len(s, len);
	return host_len > 0 && host_len < len && s[host_len] == '/' &&
	       url_host_check(s, host_len) == NULL &&
	       (s[0] == '[' || memchr(s, '.', host_len) != NULL);
}

/* A name with a dot whose last label is not a number (no TLD is), so
 * that a mistyped address is not taken for a domain. */
static bool
looks_like_domain(const char *s, size_t len)
{
	const char *dot;
	size_t i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	dot = last_char(s, len, '.');
	if (dot == NULL || domain_check(s, len, "domain") != NULL)
		return false;
	for (i = (size_t)(dot + 1 - s); i < len && is_digit(s[i]); i++)
		;
	return i < len;
}

/* s, len refanged and trimmed. */
static int
detect_prepared(const char *s, size_t len, enum pat_type *type)
{
	uint8_t addr[16];
	unsigned int prefix;
	const char *reason;

	if (parse_cidr(AF_INET, s, len, addr, &prefix, &reason) == 0)
		*type = PAT_TYPE_IPV4;
	else if (memchr(s, ':', len) != NULL &&
		 parse_cidr(AF_INET6, s, len, addr, &prefix, &reason) == 0)
		*type = PAT_TYPE_IPV6;
	else if (hash_type(s, len, type) == 0)
		return 0;
	else if (looks_like_url(s, len))
		*type = PAT_TYPE_URL;
	else if (has_file_extension(s, len) && filename_check(s, len) == NULL)
		*type = PAT_TYPE_FILENAME;
	else if (looks_like_domain(s, len))
		*type = PAT_TYPE_DOMAIN;
	else
		return -EINVAL;
	return 0;
}

int
pat_detect_type(const char *value, size_t len, enum pat_type *type)
{
	const char *t;
	char *copy;
	int rc;

	if (value == NULL || memchr(value, '\0', len) != NULL)
		return -EINVAL;
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, value, len);
	len = refang(copy, len);
	t = copy;
	trim(&t, &len);
	rc = detect_prepared(t, len, type);
	free(copy);
	return rc;
}

/* ---- duplicates ------------------------------------------------------ */

/* Open addressing over indices into feed->items: feeds reach millions of
 * lines, so finding a duplicate must not scan. */
struct dedup_slot {
	uint64_t hash;
	size_t index; /* into feed->items, plus one; 0 marks a free slot */
};

struct dedup {
	struct dedup_slot *slots;
	size_t mask;
	size_t used;
};

/* FNV-1a. File names hash and compare ignoring case, as they match. */
static uint64_t
dedup_hash(const struct pat_indicator *ind)
{
	bool fold = ind->type == PAT_TYPE_FILENAME;
	uint64_t h = 0xcbf29ce484222325ULL;

	h = (h ^ (uint64_t)ind->type) * 0x100000001b3ULL;
	for (const char *p = ind->value; *p != '\0'; p++)
		h = (h ^ (unsigned char)(fold ? ascii_lower(*p) : *p)) *
		    0x100000001b3ULL;
	return h;
}

static bool
dedup_same(const struct pat_indicator *a, const struct pat_indicator *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == PAT_TYPE_FILENAME)
		return strcasecmp(a->value, b->value) == 0;
	return strcmp(a->value, b->value) == 0;
}

/* The slot holding an equal indicator, or the free slot where it goes. */
static struct dedup_slot *
dedup_find(const struct dedup *d, const struct pat_indicator *items,
	   const struct pat_indicator *ind, uint64_t hash)
{
	for (size_t i = hash & d->mask;; i = (i + 1) & d->mask) {
		struct dedup_slot *slot = &d->slots[i];

		if (slot->index == 0)
			return slot;
		if (slot->hash == hash && dedup_same(&items[slot->index - 1], ind))
			return slot;
	}
}

/* Keeps the table at most half full so probes stay short. */
static int
dedup_reserve(struct dedup *d)
{
	size_t cap = d->slots == NULL ? 0 : d->mask + 1, new_cap;
	struct dedup_slot *slots;

	if ((d->used + 1) * 2 <= cap)
		return 0;
	new_cap = cap == 0 ? 1024 : cap * 2;
	if (new_cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(new_cap, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		size_t j = d->slots[i].hash & (new_cap - 1);

		if (d->slots[i].index == 0)
			continue;
		while (slots[j].index != 0)
			j = (j + 1) & (new_cap - 1);
		slots[j] = d->slots[i];
	}
	free(d->slots);
	d->slots = slots;
	d->mask = new_cap - 1;
	return 0;
}

/* ---- tags ------------------------------------------------------------ */

static bool
tag_present(const char *tags, size_t len, const char *tag, size_t tlen)
{
	const char *p = tags, *end = tags + len;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma != NULL ? (size_t)(comma - p) : (size_t)(end - p);

		if (n == tlen && memcmp(p, tag, n) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

/* Appends to buf (comma-separated, *len bytes, room for FEED_TAGS_MAX)
 * the tags of list not yet in it. list separates tags with ',', ';' or
 * '|' (exports use all three); tags are trimmed, empty ones dropped. */
static int
tags_add(char *buf, size_t *len, const char *list, size_t list_len)
{
	const char *p = list, *end = list + list_len;

	while (p < end) {
		const char *tag = p;
		size_t tlen;

		while (p < end && *p != ',' && *p != ';' && *p != '|')
			p++;
		tlen = (size_t)(p - tag);
		if (p < end)
			p++; /* the separator */
		trim(&tag, &tlen);
		if (tlen == 0 || tag_present(buf, *len, tag, tlen))
			continue;
		if (*len + (*len > 0) + tlen > FEED_TAGS_MAX)
			return -E2BIG;
		if (*len > 0)
			buf[(*len)++] = ',';
		memcpy(buf + *len, tag, tlen);
		*len += tlen;
	}
	buf[*len] = '\0';
	return 0;
}

/* ---- the reader ------------------------------------------------------ */

enum csv_column {
	COL_TYPE,
	COL_VALUE,
	COL_TAGS,
	COL_SOURCE,
	COL_COUNT,
};

struct csv_field {
	const char *p;
	size_t len;
};

struct feed_reader {
	struct pat_feed *feed;
	const char *label;
	struct pat_error *err;
	unsigned int line;
	enum pat_feed_format format;   /* AUTO until the first data line */
	bool seen_data;                /* CSV: a later "type,..." is no header */
	int cols[COL_COUNT];           /* CSV: column of each field, -1 absent */
	unsigned int ncols;            /* CSV: fields a row may have */
	struct dedup dedup;
	char *fields;                  /* CSV: unquoted fields of one line */
	char *tags;                    /* FEED_TAGS_MAX + 1, tags being built */
	/* Consecutive lines usually share tags and source: share the
	 * string instead of copying it a million times. */
	const char *last_tags;
	const char *last_source;
};

static int
reader_fail(struct feed_reader *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reader_fail(struct feed_reader *r, int rc, const char *fmt, ...)
{
	char message[sizeof(r->err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	pat_error_set(r->err, r->label, r->line, "%s", message);
	return rc;
}

static int
reader_nomem(struct feed_reader *r)
{
	return reader_fail(r, -ENOMEM, "out of memory");
}

static int
feed_push(struct pat_feed *feed, const struct pat_indicator *ind)
{
	struct pat_indicator *items;
	size_t cap;

	if (feed->count == feed->capacity) {
		cap = feed->capacity == 0 ? 64 : feed->capacity * 2;
		if (cap > SIZE_MAX / sizeof(*items))
			return -ENOMEM;
		items = realloc(feed->items, cap * sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		feed->items = items;
		feed->capacity = cap;
	}
	feed->items[feed->count++] = *ind;
	return 0;
}

/* The tags of a new line, shared with the previous line when equal. */
static int
reader_tags(struct feed_reader *r, const char *list, size_t len,
	    const char **tags)
{
	size_t n = 0;

	if (tags_add(r->tags, &n, list, len) != 0)
		return reader_fail(r, -EINVAL, "tags longer than %d bytes",
				   FEED_TAGS_MAX);
	if (n == 0) {
		*tags = "";
		return 0;
	}
	if (r->last_tags == NULL || strcmp(r->last_tags, r->tags) != 0) {
		r->last_tags = pat_arena_strndup(r->feed->arena, r->tags, n);
		if (r->last_tags == NULL)
			return reader_nomem(r);
	}
	*tags = r->last_tags;
	return 0;
}

static int
reader_source(struct feed_reader *r, const char *s, size_t len,
	      const char **source)
{
	trim(&s, &len);
	if (len == 0) {
		*source = "";
		return 0;
	}
	if (r->last_source == NULL || strlen(r->last_source) != len ||
	    memcmp(r->last_source, s, len) != 0) {
		r->last_source = pat_arena_strndup(r->feed->arena, s, len);
		if (r->last_source == NULL)
			return reader_nomem(r);
	}
	*source = r->last_source;
	return 0;
}

/* The first of two equal indicators stays; it gains the other's tags. */
static int
reader_merge(struct feed_reader *r, struct pat_indicator *first,
	     const struct pat_indicator *dup)
{
	size_t n = strlen(first->tags), before = n;
	char *merged;

	r->feed->duplicates++;
	memcpy(r->tags, first->tags, n + 1);
	if (tags_add(r->tags, &n, dup->tags, strlen(dup->tags)) != 0)
		return reader_fail(r, -EINVAL,
				   "tags longer than %d bytes after merging duplicates",
				   FEED_TAGS_MAX);
	if (n == before)
		return 0;
	merged = pat_arena_strndup(r->feed->arena, r->tags, n);
	if (merged == NULL)
		return reader_nomem(r);
	first->tags = merged;
	return 0;
}

static int
reader_store(struct feed_reader *r, const struct pat_indicator *ind)
{
	struct pat_feed *feed = r->feed;
	struct dedup_slot *slot;
	uint64_t hash = dedup_hash(ind);

	if (dedup_reserve(&r->dedup) != 0)
		return reader_nomem(r);
	slot = dedup_find(&r->dedup, feed->items, ind, hash);
	if (slot->index != 0)
		return reader_merge(r, &feed->items[slot->index - 1], ind);
	if (feed_push(feed, ind) != 0)
		return reader_nomem(r);
	slot->hash = hash;
	slot->index = feed->count;
	r->dedup.used++;
	return 0;
}

/* One indicator line, split into its parts. */
struct feed_entry {
	bool detect;        /* plain feed: the type comes from the value */
	bool generic_ip;    /* "ip", "ip-src", "ip-dst": v4 or v6 by value */
	enum pat_type type;
	const char *value, *tags, *source;
	size_t value_len, tags_len, source_len;
};

static int
reader_add(struct feed_reader *r, struct feed_entry *e)
{
	struct pat_indicator ind;
	const char *reason;
	char *s;
	size_t len;
	int rc;

	if (value_prepare(r->feed->arena, !e->detect && e->type == PAT_TYPE_REGEX,
			  e->value, e->value_len, &s, &len) != 0)
		return reader_nomem(r);
	if (e->detect && detect_prepared(s, len, &e->type) != 0)
		return reader_fail(r, -EINVAL, "cannot detect the type of '%.*s'",
				   len > QUOTE_MAX ? QUOTE_MAX : (int)len, s);
	if (e->generic_ip && memchr(s, ':', len) != NULL)
		e->type = PAT_TYPE_IPV6;
	rc = normalize_prepared(r->feed->arena, e->type, s, len, &ind, &reason);
	if (rc != 0)
		return reader_fail(r, rc, "%s", reason);
	rc = reader_tags(r, e->tags, e->tags_len, &ind.tags);
	if (rc == 0)
		rc = reader_source(r, e->source, e->source_len, &ind.source);
	if (rc != 0)
		return rc;
	ind.feed = r->feed->name;
	ind.line = r->line;
	return reader_store(r, &ind);
}

/* One field at line[*pos]: RFC 4180 quoting with "" for a quote inside.
 * Quoted contents are copied unescaped to *out; unquoted fields point
 * into the line. Leaves *pos at the ',' or the end. */
static int
csv_field(struct feed_reader *r, const char *line, size_t len, size_t *pos,
	  char **out, struct csv_field *f)
{
	size_t i = *pos;
	const char *quote, *comma;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '"') {
		comma = memchr(line + i, ',', len - i);
		f->p = line + i;
		f->len = (comma != NULL ? (size_t)(comma - line) : len) - i;
		*pos = i + f->len;
		return 0;
	}
	f->p = *out;
	for (i++;; i += 2) {
		quote = memchr(line + i, '"', len - i);
		if (quote == NULL)
			return reader_fail(r, -EINVAL, "unterminated quoted field");
		memcpy(*out, line + i, (size_t)(quote - line) - i);
		*out += (size_t)(quote - line) - i;
		i = (size_t)(quote - line);
		if (i + 1 == len || line[i + 1] != '"')
			break;
		*(*out)++ = '"';
	}
	f->len = (size_t)(*out - f->p);
	for (i++; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i < len && line[i] != ',')
		return reader_fail(r, -EINVAL,
				   "unexpected character after quoted field");
	*pos = i;
	return 0;
}

static int
csv_split(struct feed_reader *r, const char *line, size_t len,
	  struct csv_field *fields, unsigned int *n)
{
	char *out = r->fields;
	size_t pos = 0;
	int rc;

	*n = 0;
	for (;;) {
		if (*n == CSV_FIELDS_MAX)
			return reader_fail(r, -EINVAL, "too many fields (more than %d)",
					   CSV_FIELDS_MAX);
		rc = csv_field(r, line, len, &pos, &out, &fields[*n]);
		if (rc != 0)
			return rc;
		trim(&fields[*n].p, &fields[*n].len);
		(*n)++;
		if (pos == len)
			return 0;
		pos++; /* the comma */
	}
}

static const struct {
	const char *name;
	enum csv_column col;
} csv_column_names[] = {
	{ "type", COL_TYPE },
	{ "value", COL_VALUE },
	{ "tags", COL_TAGS },
	{ "tag", COL_TAGS },
	{ "source", COL_SOURCE },
	{ "source_url", COL_SOURCE },
};

/* A header maps columns by name, so "type,value,source_url" works. Other
 * columns (exports carry many) are ignored. */
static int
csv_header(struct feed_reader *r, const struct csv_field *fields,
	   unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(csv_column_names); j++) {
			enum csv_column col = csv_column_names[j].col;

			if (!equals_ci(fields[i].p, fields[i].len,
				       csv_column_names[j].name))
				continue;
			if (r->cols[col] >= 0)
				return reader_fail(r, -EINVAL,
						   "duplicate column '%.*s' in header",
						   (int)fields[i].len, fields[i].p);
			r->cols[col] = (int)i;
		}
	}
	if (r->cols[COL_VALUE] < 0)
		return reader_fail(r, -EINVAL, "header has no 'value' column");
	r->ncols = n;
	return 0;
}

static bool
is_generic_ip_name(const char *s, size_t len)
{
	return equals_ci(s, len, "ip") || equals_ci(s, len, "ip-src") ||
	       equals_ci(s, len, "ip-dst");
}

static void
csv_optional(const struct csv_field *fields, unsigned int n, int col,
	     const char **p, size_t *len)
{
	*p = "";
	*len = 0;
	if (col >= 0 && (unsigned int)col < n) {
		*p = fields[col].p;
		*len = fields[col].len;
	}
}

static int
csv_row(struct feed_reader *r, const struct csv_field *fields, unsigned int n)
{
	const struct csv_field *type = &fields[r->cols[COL_TYPE]];
	struct feed_entry e = { 0 };

	if (n > r->ncols)
		return reader_fail(r, -EINVAL, "too many fields (at most %u)",
				   r->ncols);
	if (n <= (unsigned int)r->cols[COL_VALUE])
		return reader_fail(r, -EINVAL, "missing value field");
	if (type->len == 0)
		return reader_fail(r, -EINVAL, "missing type");
	if (pat_type_from_name(type->p, type->len, &e.type) != 0)
		return reader_fail(r, -EINVAL, "unknown type '%.*s'",
				   type->len > QUOTE_MAX ? QUOTE_MAX : (int)type->len,
				   type->p);
	e.generic_ip = is_generic_ip_name(type->p, type->len);
	e.value = fields[r->cols[COL_VALUE]].p;
	e.value_len = fields[r->cols[COL_VALUE]].len;
	csv_optional(fields, n, r->cols[COL_TAGS], &e.tags, &e.tags_len);
	csv_optional(fields, n, r->cols[COL_SOURCE], &e.source, &e.source_len);
	return reader_add(r, &e);
}

static int
csv_line(struct feed_reader *r, const char *line, size_t len)
{
	struct csv_field fields[CSV_FIELDS_MAX];
	unsigned int n;
	bool first = !r->seen_data;
	int rc;

	rc = csv_split(r, line, len, fields, &n);
	if (rc != 0)
		return rc;
	r->seen_data = true;
	if (first && equals_ci(fields[0].p, fields[0].len, "type"))
		return csv_header(r, fields, n);
	if (first) {
		/* No header: type,value[,tags][,source]. */
		for (int i = 0; i < COL_COUNT; i++)
			r->cols[i] = i;
		r->ncols = COL_COUNT;
	}
	return csv_row(r, fields, n);
}

static int
plain_line(struct feed_reader *r, const char *line, size_t len)
{
	struct feed_entry e = {
		.detect = true,
		.value = line,
		.value_len = len,
		.tags = "",
		.source = "",
	};

	return reader_add(r, &e);
}

static int
reader_line(struct feed_reader *r, const char *line, size_t len)
{
	/* A CRLF file allows the same line length as an LF one. */
	if (len - (len > 0 && line[len - 1] == '\r') > FEED_LINE_MAX)
		return reader_fail(r, -EINVAL, "line longer than %d bytes",
				   FEED_LINE_MAX);
	if (memchr(line, '\0', len) != NULL)
		return reader_fail(r, -EINVAL, "NUL byte in line");
	trim(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	if (r->format == PAT_FEED_AUTO)
		r->format = memchr(line, ',', len) != NULL ? PAT_FEED_CSV :
							      PAT_FEED_PLAIN;
	if (r->format == PAT_FEED_CSV)
		return csv_line(r, line, len);
	return plain_line(r, line, len);
}

static int
reader_run(struct feed_reader *r, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	size_t line_len;
	int rc;

	/* Spreadsheets save CSV with a UTF-8 byte order mark. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line_len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		r->line++;
		rc = reader_line(r, p, line_len);
		if (rc != 0)
			return rc;
		p += line_len + (nl != NULL);
	}
	return 0;
}

void
pat_feed_init(struct pat_feed *feed)
{
	memset(feed, 0, sizeof(*feed));
}

void
pat_feed_free(struct pat_feed *feed)
{
	if (feed == NULL)
		return;
	free(feed->items);
	pat_arena_free(feed->arena);
	pat_feed_init(feed);
}

static int
reader_init(struct feed_reader *r, struct pat_feed *feed, const char *name,
	    const char *label, enum pat_feed_format format,
	    struct pat_error *err)
{
	memset(r, 0, sizeof(*r));
	r->feed = feed;
	r->label = label;
	r->err = err;
	r->format = format;
	for (int i = 0; i < COL_COUNT; i++)
		r->cols[i] = -1;
	feed->arena = pat_arena_new();
	if (feed->arena == NULL)
		return reader_nomem(r);
	feed->name = pat_arena_strndup(feed->arena, name, strlen(name));
	r->fields = malloc(FEED_LINE_MAX + 1);
	r->tags = malloc(FEED_TAGS_MAX + 1);
	if (feed->name == NULL || r->fields == NULL || r->tags == NULL)
		return reader_nomem(r);
	return 0;
}

static void
reader_release(struct feed_reader *r)
{
	free(r->dedup.slots);
	free(r->fields);
	free(r->tags);
}

/* Any previous content of feed is freed first. */
int
pat_feed_parse(struct pat_feed *feed, const char *feed_name,
	       const char *file_label, const char *text, size_t len,
	       enum pat_feed_format format, struct pat_error *err)
{
	struct feed_reader r;
	int rc;

	if (feed_name == NULL)
		feed_name = "";
	if (file_label == NULL)
		file_label = feed_name;
	pat_feed_free(feed);
	rc = reader_init(&r, feed, feed_name, file_label, format, err);
	if (rc == 0 && len > 0)
		rc = reader_run(&r, text, len);
	reader_release(&r);
	if (rc != 0)
		pat_feed_free(feed);
	return rc;
}

/* The whole file, NUL-free or not: the parser judges the contents. */
static int
read_all(FILE *f, char **text, size_t *len)
{
	size_t cap = 0, n;
	char *buf = NULL, *grown;

	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap == 0 ? 64 * 1024 : cap * 2;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return errno != 0 ? -errno : -EIO;
	}
	*text = buf;
	return 0;
}

/* "feeds/3cx.csv" -> "3cx"; a leading dot is no extension. */
static char *
feed_name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t len;
	char *name;

	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	len = dot == NULL || dot == base ? strlen(base) : (size_t)(dot - base);
	name = malloc(len + 1);
	if (name == NULL)
		return NULL;
	memcpy(name, base, len);
	name[len] = '\0';
	return name;
}

int
pat_feed_load_file(struct pat_feed *feed, const char *path,
		   enum pat_feed_format format, struct pat_error *err)
{
	char *text = NULL, *name;
	size_t len = 0;
	FILE *f;
	int rc;

	pat_feed_free(feed);
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		pat_error_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	errno = 0;
	rc = read_all(f, &text, &len);
	fclose(f);
	if (rc != 0) {
		pat_error_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	name = feed_name_from_path(path);
	if (name == NULL) {
		free(text);
		pat_error_set(err, path, 0, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = pat_feed_parse(feed, name, path, text, len, format, err);
	free(name);
	free(text);
	return rc;
}
