/* sink_uri.c -- parses sink URIs (untrusted text) and applies a sink's
 * filter; no I/O, so it fuzzes alone. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "normalize.h"
#include "sink.h"

#define QUOTE_MAX 63
#define QUOTE_CUT 60
#define HOST_MAX 253
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum uri_param {
	PARAM_FORMAT,
	PARAM_TYPES,
	PARAM_FEEDS,
	PARAM_MIN_SEVERITY,
	PARAM_CA,
	PARAM_CERT,
	PARAM_KEY,
	PARAM_NAME_CHECK,
	PARAM_VERIFY,
	PARAM_SPOOL_MAX,
	PARAM_QUEUE,
	PARAM_CONFIRM_MS,
	PARAM_BACKOFF_MAX,
	PARAM_NAME,
	PARAM_SUBJECT,
	PARAM_SITE,
	PARAM_STREAM,
	PARAM_TLS,
	PARAM_CREDS,
	PARAM_NKEY,
	PARAM_SEED,
	PARAM_USER,
	PARAM_PASSWORD_FILE,
	PARAM_COUNT,
};

#define KIND_BIT(k) (1u << (k))
#define KINDS_ALL (KIND_BIT(EXP_SINK_FILE) | KIND_BIT(EXP_SINK_UDP) | \
		   KIND_BIT(EXP_SINK_TCP) | KIND_BIT(EXP_SINK_TLS) | \
		   KIND_BIT(EXP_SINK_NATS))
#define KINDS_STREAM (KIND_BIT(EXP_SINK_TCP) | KIND_BIT(EXP_SINK_TLS))
#define KINDS_TLS (KIND_BIT(EXP_SINK_TLS) | KIND_BIT(EXP_SINK_NATS))
#define KINDS_NATS KIND_BIT(EXP_SINK_NATS)

static const struct {
	const char *name;
	unsigned int kinds;
	const char *kinds_text;    /* for "applies to ... only" */
} params[PARAM_COUNT] = {
	[PARAM_FORMAT] = { "format", KINDS_ALL, NULL },
	[PARAM_TYPES] = { "types", KINDS_ALL, NULL },
	[PARAM_FEEDS] = { "feeds", KINDS_ALL, NULL },
	[PARAM_MIN_SEVERITY] = { "min_severity", KINDS_ALL, NULL },
	[PARAM_CA] = { "ca", KINDS_TLS, "tls and nats" },
	[PARAM_CERT] = { "cert", KINDS_TLS, "tls and nats" },
	[PARAM_KEY] = { "key", KINDS_TLS, "tls and nats" },
	[PARAM_NAME_CHECK] = { "name_check", KINDS_TLS, "tls and nats" },
	[PARAM_VERIFY] = { "verify", KINDS_TLS, "tls and nats" },
	[PARAM_SPOOL_MAX] = { "spool_max", KINDS_ALL, NULL },
	[PARAM_QUEUE] = { "queue", KINDS_ALL, NULL },
	[PARAM_CONFIRM_MS] = { "confirm_ms", KINDS_STREAM, "tcp and tls" },
	[PARAM_BACKOFF_MAX] = { "backoff_max", KINDS_ALL, NULL },
	[PARAM_NAME] = { "name", KINDS_ALL, NULL },
	[PARAM_SUBJECT] = { "subject", KINDS_NATS, "nats" },
	[PARAM_SITE] = { "site", KINDS_NATS, "nats" },
	[PARAM_STREAM] = { "stream", KINDS_NATS, "nats" },
	[PARAM_TLS] = { "tls", KINDS_NATS, "nats" },
	[PARAM_CREDS] = { "creds", KINDS_NATS, "nats" },
	[PARAM_NKEY] = { "nkey", KINDS_NATS, "nats" },
	[PARAM_SEED] = { "seed", KINDS_NATS, "nats" },
	[PARAM_USER] = { "user", KINDS_NATS, "nats" },
	[PARAM_PASSWORD_FILE] = { "password_file", KINDS_NATS, "nats" },
};

static const char *const kind_names[] = {
	[EXP_SINK_FILE] = "file",
	[EXP_SINK_UDP] = "udp",
	[EXP_SINK_TCP] = "tcp",
	[EXP_SINK_TLS] = "tls",
	[EXP_SINK_NATS] = "nats",
};

static const uint16_t default_ports[] = {
	[EXP_SINK_FILE] = 0,
	[EXP_SINK_UDP] = 514,
	[EXP_SINK_TCP] = 601,
	[EXP_SINK_TLS] = 6514,
	[EXP_SINK_NATS] = 4222,
};

static const char *const formats[] = { "ecs", "rfc5424", "cef", "leef" };

/* What the parser needs to name the URI in its errors. */
struct uri_parse {
	char where[QUOTE_MAX + 16];    /* "sink 'URI'", the URI quoted */
	struct error_detail *err;
};

const char *
exp_sink_kind_name(enum exp_sink_kind kind)
{
	if ((unsigned int)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

/* Untrusted text for a message: control bytes as '?', cut past 63 bytes. */
static void
quote(char *dst, size_t size, const char *s, size_t len)
{
	size_t n = len > QUOTE_MAX ? QUOTE_CUT : len, o = 0;

	for (size_t i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (n < len) {
		for (int i = 0; i < 3 && o + 1 < size; i++)
			dst[o++] = '.';
	}
	dst[o] = '\0';
}

static int
fail(struct uri_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct uri_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_detail_vset(p->err, p->where, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Percent-decodes s[0..len) into dst (size bytes, NUL-terminated). A bad
 * escape, %00 or a result that does not fit is an error naming what. */
static int
decode(struct uri_parse *p, const char *what, const char *s, size_t len,
       char *dst, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < len ? hex_digit_value(s[i + 1]) : -1;
			int lo = i + 2 < len ? hex_digit_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return fail(p, "%s: bad %%-escape (expected "
					    "%%XX)", what);
			c = (char)(hi * 16 + lo);
			if ((unsigned char)c < 0x20 || c == 0x7f)
				return fail(p, "%s: %%%02X (a control "
					    "character) is not allowed", what,
					    hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= size)
			return fail(p, "%s: longer than %zu bytes", what,
				    size - 1);
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

static bool
text_equals(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncmp(s, word, len) == 0;
}

static bool
text_equals_ci(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Unsigned decimal, at most max; no sign, no spaces. */
static int
parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned int d = (unsigned int)(s[i] - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* DIGITS[K|M|G] (binary multiples, either case). */
static int
parse_size(const char *s, size_t len, uint64_t *out)
{
	unsigned int shift = 0;
	uint64_t v;

	if (len > 0) {
		switch (s[len - 1]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: break;
		}
	}
	if (shift != 0)
		len--;
	int rc = parse_uint(s, len, UINT64_MAX >> shift, &v);
	if (rc != 0)
		return rc;
	*out = v << shift;
	return 0;
}

/* DIGITS[ms|s|m]; without a unit, seconds. */
static int
parse_duration_ms(const char *s, size_t len, uint64_t *ms)
{
	uint64_t mult = 1000, v;

	if (len >= 2 && strncmp(s + len - 2, "ms", 2) == 0) {
		mult = 1;
		len -= 2;
	} else if (len >= 1 && s[len - 1] == 's') {
		len--;
	} else if (len >= 1 && s[len - 1] == 'm') {
		mult = 60000;
		len--;
	}
	int rc = parse_uint(s, len, UINT64_MAX / 60000, &v);
	if (rc != 0)
		return rc;
	*ms = v * mult;
	return 0;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > EXP_SINK_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!name_char(s[i]))
			return false;
	}
	return true;
}

/* Appends src to the name being built, invalid characters as '_'. */
static void
name_append(char *name, const char *src)
{
	size_t o = strlen(name);

	for (; *src != '\0' && o < EXP_SINK_NAME_MAX; src++)
		name[o++] = name_char(*src) ? *src : '_';
	name[o] = '\0';
}

static int
parse_types(struct uri_parse *p, const char *v, struct exp_sink_config *cfg)
{
	const char *s = v;

	for (;;) {
		size_t n = strcspn(s, ",");
		enum pat_type type;
		char quoted[QUOTE_MAX + 8];

		if (n == 0)
			return fail(p, "types: empty type name");
		if (text_equals_ci(s, n, "ip")) {
			cfg->type_mask |= 1u << PAT_TYPE_IPV4 |
				1u << PAT_TYPE_IPV6;
		} else if (pat_type_from_name(s, n, &type) == 0) {
			cfg->type_mask |= 1u << type;
		} else {
			quote(quoted, sizeof(quoted), s, n);
			return fail(p, "types: unknown type '%s' (expected "
				    "domain, ipv4, ipv6, ip, md5, sha1, "
				    "sha256, filename, url or regex)", quoted);
		}
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

static int
parse_feeds(struct uri_parse *p, const char *v, struct exp_sink_config *cfg)
{
	const char *s = v;

	for (;;) {
		size_t n = strcspn(s, ",");
		char quoted[QUOTE_MAX + 8];
		bool dup = false;

		if (n == 0)
			return fail(p, "feeds: empty feed name");
		quote(quoted, sizeof(quoted), s, n);
		if (n >= sizeof(cfg->feeds[0]))
			return fail(p, "feeds: '%s' is longer than %zu bytes",
				    quoted, sizeof(cfg->feeds[0]) - 1);
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return fail(p, "feeds: control character in "
					    "'%s'", quoted);
		}
		for (unsigned int i = 0; i < cfg->n_feeds; i++)
			dup = dup || text_equals(s, n, cfg->feeds[i]);
		if (!dup) {
			if (cfg->n_feeds == EXP_SINK_FEEDS_MAX)
				return fail(p, "feeds: at most %d feeds",
					    EXP_SINK_FEEDS_MAX);
			memcpy(cfg->feeds[cfg->n_feeds], s, n);
			cfg->feeds[cfg->n_feeds][n] = '\0';
			cfg->n_feeds++;
		}
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

static int
parse_bool(const char *v, bool *out)
{
	size_t n = strlen(v);

	if (text_equals_ci(v, n, "yes") || text_equals_ci(v, n, "true") ||
	    text_equals(v, n, "1")) {
		*out = true;
		return 0;
	}
	if (text_equals_ci(v, n, "no") || text_equals_ci(v, n, "false") ||
	    text_equals(v, n, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* A path parameter: not empty, fits in dst (decoded already). */
static int
copy_path(struct uri_parse *p, const char *what, const char *v, char *dst,
	  size_t size)
{
	if (v[0] == '\0')
		return fail(p, "%s: empty path", what);
	if (strlen(v) >= size)
		return fail(p, "%s: longer than %zu bytes", what, size - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* A NATS subject of tokens of [A-Za-z0-9_-] between single dots (dots
 * only if dots), 1 to max bytes: no wildcard, no space. */
static bool
subject_valid(const char *s, size_t max, bool dots)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' && dots && s[i + 1] != '.')
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* One decoded parameter value. */
static int
apply_param(struct uri_parse *p, enum uri_param id, const char *v,
	    struct exp_sink_config *cfg)
{
	char quoted[QUOTE_MAX + 8];
	size_t len = strlen(v);
	uint64_t n;
	int rc;

	quote(quoted, sizeof(quoted), v, len);
	switch (id) {
	case PARAM_FORMAT:
		for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
			if (text_equals_ci(v, len, formats[i]) &&
			    strlen(formats[i]) < sizeof(cfg->format)) {
				memcpy(cfg->format, formats[i],
				       strlen(formats[i]) + 1);
				return 0;
			}
		}
		return fail(p, "format: unknown format '%s' (expected ecs, "
			    "rfc5424, cef or leef)", quoted);
	case PARAM_TYPES:
		return parse_types(p, v, cfg);
	case PARAM_FEEDS:
		return parse_feeds(p, v, cfg);
	case PARAM_MIN_SEVERITY:
		if (len == 0 || pat_parse_severity(v, len, &cfg->min_severity,
						   NULL) != 0)
			return fail(p, "min_severity: '%s' is not low, medium, "
				    "high, critical or 1-4", quoted);
		return 0;
	case PARAM_CA:
		return copy_path(p, "ca", v, cfg->ca, sizeof(cfg->ca));
	case PARAM_CERT:
		return copy_path(p, "cert", v, cfg->cert, sizeof(cfg->cert));
	case PARAM_KEY:
		return copy_path(p, "key", v, cfg->key, sizeof(cfg->key));
	case PARAM_NAME_CHECK:
		if (len == 0 || len >= sizeof(cfg->server_name))
			return fail(p, "name_check: expected 1 to %zu bytes",
				    sizeof(cfg->server_name) - 1);
		for (size_t i = 0; i < len; i++) {
			if (!name_char(v[i]) && v[i] != ':')
				return fail(p, "name_check: '%s' is not a host "
					    "name or address", quoted);
		}
		memcpy(cfg->server_name, v, len + 1);
		return 0;
	case PARAM_VERIFY:
		if (parse_bool(v, &cfg->verify) != 0)
			return fail(p, "verify: expected yes or no, not '%s'",
				    quoted);
		return 0;
	case PARAM_SPOOL_MAX:
		rc = parse_size(v, len, &n);
		if (rc == -ERANGE)
			return fail(p, "spool_max: '%s' is too large", quoted);
		if (rc != 0)
			return fail(p, "spool_max: expected bytes with an "
				    "optional K, M or G, not '%s'", quoted);
		if (n != 0 && n < EXP_SINK_SPOOL_MIN)
			return fail(p, "spool_max: 0 (no spool) or at least "
				    "64K, not '%s'", quoted);
		cfg->spool_max = n;
		return 0;
	case PARAM_QUEUE:
		if (parse_uint(v, len, UINT64_MAX, &n) != 0 || n < 1 ||
		    n > EXP_SINK_QUEUE_MAX)
			return fail(p, "queue: expected 1 to %u records, not "
				    "'%s'", EXP_SINK_QUEUE_MAX, quoted);
		cfg->queue = (uint32_t)n;
		return 0;
	case PARAM_CONFIRM_MS:
		if (parse_uint(v, len, UINT64_MAX, &n) != 0 ||
		    n > EXP_SINK_CONFIRM_MAX_MS)
			return fail(p, "confirm_ms: expected 0 to %u, not '%s'",
				    EXP_SINK_CONFIRM_MAX_MS, quoted);
		cfg->confirm_ms = (uint32_t)n;
		return 0;
	case PARAM_BACKOFF_MAX:
		if (parse_duration_ms(v, len, &n) != 0 ||
		    n < EXP_SINK_BACKOFF_MIN_MS || n > EXP_SINK_BACKOFF_MAX_MS)
			return fail(p, "backoff_max: expected 100ms to 3600s "
				    "(DIGITS[ms|s|m], seconds by default), not "
				    "'%s'", quoted);
		cfg->backoff_max_ms = (uint32_t)n;
		return 0;
	case PARAM_NAME:
		if (!name_valid(v))
			return fail(p, "name: '%s' is not 1 to %d of "
				    "[A-Za-z0-9._-] not starting with '.'",
				    quoted, EXP_SINK_NAME_MAX);
		memcpy(cfg->name, v, len + 1);
		return 0;
	case PARAM_SUBJECT:
		if (!subject_valid(v, EXP_SINK_SUBJECT_MAX, true))
			return fail(p, "subject: '%s' is not 1 to %d bytes of "
				    "tokens of [A-Za-z0-9_-] between single "
				    "dots", quoted, EXP_SINK_SUBJECT_MAX);
		memcpy(cfg->subject, v, len + 1);
		return 0;
	case PARAM_SITE:
		if (!subject_valid(v, EXP_SINK_SITE_MAX, false))
			return fail(p, "site: '%s' is not 1 to %d of "
				    "[A-Za-z0-9_-]", quoted, EXP_SINK_SITE_MAX);
		memcpy(cfg->site, v, len + 1);
		return 0;
	case PARAM_STREAM:
		if (!subject_valid(v, sizeof(cfg->stream) - 1, false))
			return fail(p, "stream: '%s' is not 1 to %zu of "
				    "[A-Za-z0-9_-]", quoted,
				    sizeof(cfg->stream) - 1);
		memcpy(cfg->stream, v, len + 1);
		return 0;
	case PARAM_TLS:
		if (parse_bool(v, &cfg->nats_tls) != 0)
			return fail(p, "tls: expected yes or no, not '%s'",
				    quoted);
		return 0;
	case PARAM_CREDS:
		return copy_path(p, "creds", v, cfg->creds, sizeof(cfg->creds));
	case PARAM_NKEY:
		if (len != 56 || v[0] != 'U' ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != len)
			return fail(p, "nkey: '%s' is not a user's public nkey "
				    "(56 characters, starting with U)", quoted);
		memcpy(cfg->nkey, v, len + 1);
		return 0;
	case PARAM_SEED:
		return copy_path(p, "seed", v, cfg->seed, sizeof(cfg->seed));
	case PARAM_USER:
		if (len >= sizeof(cfg->user))
			return fail(p, "user: longer than %zu bytes",
				    sizeof(cfg->user) - 1);
		memcpy(cfg->user, v, len + 1);
		return 0;
	case PARAM_PASSWORD_FILE:
		return copy_path(p, "password_file", v, cfg->password_file,
				 sizeof(cfg->password_file));
	case PARAM_COUNT:
		break;
	}
	return -EINVAL;
}

static int
parse_query(struct uri_parse *p, const char *q, size_t len,
	    struct exp_sink_config *cfg)
{
	bool seen[PARAM_COUNT] = { false };
	size_t i = 0;

	for (;;) {
		size_t n = 0;
		while (i + n < len && q[i + n] != '&')
			n++;
		const char *item = q + i;
		const char *eq = memchr(item, '=', n);
		char quoted[QUOTE_MAX + 8];
		char decoded[4096];
		size_t klen = eq != NULL ? (size_t)(eq - item) : n;
		int id = -1;

		if (n == 0)
			return fail(p, len == 0 ? "empty query after '?'" :
				    "empty parameter (stray '&')");
		quote(quoted, sizeof(quoted), item, klen);
		for (int k = 0; k < PARAM_COUNT; k++) {
			if (text_equals(item, klen, params[k].name))
				id = k;
		}
		if (id < 0)
			return fail(p, "unknown parameter '%s'", quoted);
		if (eq == NULL)
			return fail(p, "parameter '%s' needs a value "
				    "('%s=...')", quoted, quoted);
		if (!(params[id].kinds & KIND_BIT(cfg->kind)))
			return fail(p, "parameter '%s' applies to %s sinks "
				    "only", quoted, params[id].kinds_text);
		if (seen[id])
			return fail(p, "parameter '%s' is given twice", quoted);
		seen[id] = true;
		if (decode(p, params[id].name, eq + 1, n - klen - 1, decoded,
			   sizeof(decoded)) != 0)
			return -EINVAL;
		if (decoded[0] == '\0')
			return fail(p, "parameter '%s' has an empty value",
				    quoted);
		if (apply_param(p, (enum uri_param)id, decoded, cfg) != 0)
			return -EINVAL;
		if (i + n == len)
			break;
		i += n + 1;
	}
	if ((cfg->cert[0] != '\0') != (cfg->key[0] != '\0'))
		return fail(p, "cert and key go together");
	if (cfg->kind != EXP_SINK_NATS)
		return 0;
	if ((cfg->nkey[0] != '\0') != (cfg->seed[0] != '\0'))
		return fail(p, "nkey and seed go together");
	if ((cfg->user[0] != '\0') != (cfg->password_file[0] != '\0'))
		return fail(p, "user and password_file go together");
	if ((cfg->creds[0] != '\0') + (cfg->nkey[0] != '\0') +
	    (cfg->user[0] != '\0') > 1)
		return fail(p, "give one of creds, nkey and seed, or user and "
			    "password_file");
	if (seen[PARAM_TLS] && !cfg->nats_tls &&
	    (cfg->ca[0] != '\0' || cfg->cert[0] != '\0' ||
	     seen[PARAM_VERIFY] || seen[PARAM_NAME_CHECK]))
		return fail(p, "tls=no with TLS parameters");
	if (cfg->ca[0] != '\0' || cfg->cert[0] != '\0')
		cfg->nats_tls = true;
	return 0;
}

/* [v6]:port, host:port, host. Fills host and port. */
static int
parse_authority(struct uri_parse *p, const char *a, size_t len,
		struct exp_sink_config *cfg)
{
	const char *port = NULL;
	size_t hlen;
	char quoted[QUOTE_MAX + 8];

	if (memchr(a, '@', len) != NULL)
		return fail(p, "user information ('user@') is not supported");
	if (len == 0)
		return fail(p, "missing host");
	if (a[0] == '[') {
		const char *close = memchr(a, ']', len);
		char addr[INET6_ADDRSTRLEN + 64];
		struct in6_addr in6;

		if (close == NULL)
			return fail(p, "'[' without ']' around an IPv6 "
				    "address");
		if (decode(p, "host", a + 1, (size_t)(close - a - 1), addr,
			   sizeof(addr)) != 0)
			return -EINVAL;
		char *zone = strchr(addr, '%');
		if (zone != NULL) {
			*zone = '\0';
			bool ok = zone[1] != '\0';
			for (const char *z = zone + 1; *z != '\0'; z++)
				ok = ok && name_char(*z);
			if (!ok)
				return fail(p, "bad IPv6 zone (expected "
					    "[fe80::1%%25eth0])");
		}
		if (inet_pton(AF_INET6, addr, &in6) != 1) {
			quote(quoted, sizeof(quoted), addr, strlen(addr));
			return fail(p, "'%s' is not an IPv6 address", quoted);
		}
		if (zone != NULL)
			*zone = '%';
		snprintf(cfg->host, sizeof(cfg->host), "%s", addr);
		const char *rest = close + 1;
		size_t rlen = len - (size_t)(rest - a);
		if (rlen > 0 && rest[0] != ':')
			return fail(p, "expected ':PORT' after ']'");
		if (rlen > 0)
			port = rest + 1;
		hlen = 0;
	} else {
		const char *colon = memchr(a, ':', len);
		if (colon != NULL && memchr(colon + 1, ':', len -
					    (size_t)(colon + 1 - a)) != NULL)
			return fail(p, "an IPv6 address goes in brackets "
				    "(tcp://[2001:db8::1]:601)");
		hlen = colon != NULL ? (size_t)(colon - a) : len;
		if (colon != NULL)
			port = colon + 1;
		quote(quoted, sizeof(quoted), a, hlen);
		if (hlen == 0)
			return fail(p, "missing host");
		if (hlen > HOST_MAX)
			return fail(p, "host longer than %d bytes", HOST_MAX);
		for (size_t i = 0; i < hlen; i++) {
			bool dot = a[i] == '.';
			if (!name_char(a[i]) ||
			    (dot && (i == 0 || a[i - 1] == '.')))
				return fail(p, "'%s' is not a host name or "
					    "IPv4 address", quoted);
		}
		memcpy(cfg->host, a, hlen);
		cfg->host[hlen] = '\0';
	}
	if (port != NULL) {
		size_t plen = len - (size_t)(port - a);
		uint64_t v;
		quote(quoted, sizeof(quoted), port, plen);
		if (parse_uint(port, plen, 65535, &v) != 0 || v == 0)
			return fail(p, "port '%s' is not 1 to 65535", quoted);
		cfg->port = (uint16_t)v;
	}
	return 0;
}

static void
default_name(struct exp_sink_config *cfg)
{
	char port[8];

	cfg->name[0] = '\0';
	if (cfg->kind == EXP_SINK_FILE) {
		const char *base = strrchr(cfg->path, '/');
		name_append(cfg->name, "file-");
		name_append(cfg->name, base != NULL ? base + 1 : cfg->path);
		return;
	}
	snprintf(port, sizeof(port), "%u", cfg->port);
	name_append(cfg->name, kind_names[cfg->kind]);
	name_append(cfg->name, "-");
	name_append(cfg->name, cfg->host);
	/* The port survives a long host name: it tells sinks apart. */
	size_t room = EXP_SINK_NAME_MAX - 1 - strlen(port);
	if (strlen(cfg->name) > room)
		cfg->name[room] = '\0';
	name_append(cfg->name, "-");
	name_append(cfg->name, port);
}

int
exp_sink_parse_uri(const char *uri, struct exp_sink_config *cfg,
		   struct error_detail *err)
{
	struct uri_parse p = { .err = err };
	char uri_quoted[QUOTE_MAX + 8];
	const char *sep, *rest, *query;
	size_t len, rlen;

	memset(cfg, 0, sizeof(*cfg));
	if (uri == NULL)
		uri = "";
	len = strnlen(uri, EXP_SINK_URI_MAX + 1);
	quote(uri_quoted, sizeof(uri_quoted), uri, len);
	snprintf(p.where, sizeof(p.where), "sink '%s'", uri_quoted);
	if (len > EXP_SINK_URI_MAX)
		return fail(&p, "longer than %d bytes", EXP_SINK_URI_MAX);
	memcpy(cfg->uri, uri, len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];
		if (c <= 0x20 || c == 0x7f)
			return fail(&p, "space or control character at byte "
				    "%zu (write it as %%XX)", i + 1);
		if (c == '#')
			return fail(&p, "'#' is not allowed (write it as "
				    "%%23)");
	}
	sep = strstr(uri, "://");
	if (sep == NULL)
		return fail(&p, "expected scheme://... (file, udp, tcp, tls "
			    "or nats)");
	cfg->kind = (enum exp_sink_kind)-1;
	for (unsigned int k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]);
	     k++) {
		if (text_equals_ci(uri, (size_t)(sep - uri), kind_names[k]))
			cfg->kind = (enum exp_sink_kind)k;
	}
	if ((int)cfg->kind < 0) {
		char quoted[QUOTE_MAX + 8];
		quote(quoted, sizeof(quoted), uri, (size_t)(sep - uri));
		return fail(&p, "unknown scheme '%s' (expected file, udp, tcp, "
			    "tls or nats)", quoted);
	}
	snprintf(cfg->format, sizeof(cfg->format), "ecs");
	cfg->verify = true;
	cfg->spool_max = EXP_SINK_SPOOL_DEFAULT;
	cfg->queue = EXP_SINK_QUEUE_DEFAULT;
	cfg->confirm_ms = EXP_SINK_CONFIRM_DEFAULT_MS;
	cfg->backoff_max_ms = EXP_SINK_BACKOFF_DEFAULT_MS;
	cfg->port = default_ports[cfg->kind];

	rest = sep + 3;
	query = strchr(rest, '?');
	rlen = query != NULL ? (size_t)(query - rest) : strlen(rest);
	if (cfg->kind == EXP_SINK_FILE) {
		if (rlen == 0 || rest[0] != '/')
			return fail(&p, "expected file:///absolute/path");
		if (decode(&p, "path", rest, rlen, cfg->path,
			   sizeof(cfg->path)) != 0)
			return -EINVAL;
		size_t plen = strlen(cfg->path);
		if (cfg->path[plen - 1] == '/')
			return fail(&p, "the path names a directory, not a "
				    "file");
	} else {
		size_t alen = 0;
		while (alen < rlen && rest[alen] != '/')
			alen++;
		if (parse_authority(&p, rest, alen, cfg) != 0)
			return -EINVAL;
		if (rlen - alen > 1)
			return fail(&p, "a %s sink has no path (only '/')",
				    kind_names[cfg->kind]);
	}
	if (query != NULL && parse_query(&p, query + 1, strlen(query + 1),
					 cfg) != 0)
		return -EINVAL;
	if (cfg->kind == EXP_SINK_TLS && cfg->server_name[0] == '\0') {
		/* A zone is no part of a certificate's address. */
		size_t n = strcspn(cfg->host, "%");
		snprintf(cfg->server_name, sizeof(cfg->server_name), "%.*s",
			 (int)n, cfg->host);
	}
	if (cfg->kind == EXP_SINK_NATS && cfg->subject[0] == '\0')
		snprintf(cfg->subject, sizeof(cfg->subject), "iocsift.events");
	if (cfg->name[0] == '\0')
		default_name(cfg);
	return 0;
}

void
exp_sink_nats_default_site(struct exp_sink_config *cfg, const char *hostname)
{
	size_t o = 0;

	if (cfg->site[0] != '\0')
		return;
	for (const char *h = hostname; *h != '\0' && o < EXP_SINK_SITE_MAX;
	     h++) {
		char c = *h;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-';
		cfg->site[o++] = ok ? c : '_';
	}
	if (o == 0)
		cfg->site[o++] = '_';
	cfg->site[o] = '\0';
}

bool
exp_sink_accepts(const struct exp_sink_config *cfg,
		 const struct pat_indicator *ind)
{
	if (cfg->type_mask != 0 && ((unsigned int)ind->type >= 32 ||
				    !(cfg->type_mask & (1u << ind->type))))
		return false;
	if (cfg->min_severity != PAT_SEVERITY_UNSET &&
	    (ind->severity == PAT_SEVERITY_UNSET ||
	     ind->severity < cfg->min_severity))
		return false;
	if (cfg->n_feeds == 0)
		return true;
	for (unsigned int i = 0; i < cfg->n_feeds; i++) {
		if (ind->feed != NULL && strcmp(ind->feed, cfg->feeds[i]) == 0)
			return true;
	}
	return false;
}
