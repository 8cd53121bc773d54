/* test_token_keys.c -- the token keys of the history (token_keys.h): for
 * every hit of the matcher, the key the indicator needs is among the
 * keys of the message. Targeted cases of every type and awkward form,
 * then random sets and messages: those of the matcher's differential
 * check (tests/diff) and a generator of its own for CIDRs of every
 * length and names around the characters that end them. */
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"
#include "matcher_diff.h"
#include "pattern_set.h"
#include "token_keys.h"

#define NOW 1795651200
#define KEYS_MAX 65536

/* ---- keys of an input ---- */

struct keys {
	uint64_t keys[KEYS_MAX];
	size_t n;
	bool overflow;
};

static void
collect(void *ctx, uint64_t key)
{
	struct keys *k = ctx;

	if (k->n == KEYS_MAX) {
		k->overflow = true;
		return;
	}
	k->keys[k->n++] = key;
}

static bool
keys_have(const struct keys *k, uint64_t key)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->keys[i] == key)
			return true;
	return false;
}

static struct keys *
keys_new(void)
{
	struct keys *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	return k;
}

/* ---- sets ---- */

static struct pat_set *
set_from_rows(const char *rows)
{
	struct pat_feed feed;
	struct error_detail err = { 0 };
	char csv[4096];

	snprintf(csv, sizeof(csv), "type,value\n%s", rows);
	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "unit", "unit", csv, strlen(csv),
			   PAT_FEED_CSV, &err) != 0)
		fail_msg("%s: %s:%u: %s", rows, err.where, err.line, err.message);
	const struct pat_feed *feeds[] = { &feed };
	struct pat_set *set = pat_set_build(feeds, 1, 1, 1, &err);
	if (set == NULL)
		fail_msg("build %s: %s", rows, err.message);
	pat_feed_free(&feed);
	return set;
}

/* Whether every hit's key is among k; the first one missing on report. */
static bool
hits_keyed(const struct pat_set *set, const struct pat_hits *hits,
	   const struct keys *k, const char *what, const void *input,
	   size_t len, FILE *report)
{
	if (k->overflow) {
		if (report != NULL)
			fprintf(report, "%s: more than %d keys\n", what, KEYS_MAX);
		return false;
	}
	for (uint16_t i = 0; i < hits->count; i++) {
		const struct pat_indicator *ind = pat_set_indicator(set, hits->ids[i]);
		uint64_t key;
		if (pat_keys_indicator(ind, &key) == 1 && !keys_have(k, key)) {
			if (report != NULL) {
				fprintf(report, "%s: %s %s hits, its key %016llx"
					" is not among the %zu keys of \"", what,
					pat_type_name(ind->type), ind->value,
					(unsigned long long)key, k->n);
				fwrite(input, 1, len, report);
				fprintf(report, "\"\n");
			}
			return false;
		}
	}
	return true;
}

/* ---- targeted cases ---- */

enum input {
	TEXT,
	DNS_NAME,
	ADDRESS,
};

struct keyed_case {
	const char *row;       /* "type,value" */
	enum input input;
	const char *message;   /* text, DNS name, or an address's text form */
};

static const struct keyed_case keyed_cases[] = {
	/* domains */
	{ "domain,evil.com", TEXT, "GET http://cdn.EVIL.com/x" },
	{ "domain,evil.com", TEXT, "resolved evil.com." },
	{ "domain,evil.com", TEXT, "from bob@Evil.Com" },
	{ "domain,evil.com", TEXT, "https://a.evil.com/x" },
	{ "domain,evil.com", TEXT, "..evil.com.. and x.y.z.EVIL.COM:443" },
	{ "domain,a.b.evil.com", TEXT, "host=x.A.B.EVIL.com" },
	{ "domain,evil.com", DNS_NAME, "CDN.Evil.COM." },
	{ "domain,evil.com", DNS_NAME, ".evil.com" },
	{ "domain,evil.com", DNS_NAME, "a\\032b.evil.com" },
	{ "domain,xn--bcher-kva.example", DNS_NAME, "www.xn--BCHER-kva.example" },
	/* URLs: scheme, port, path, host in any case */
	{ "url,raw.githubusercontent.com/IconStorages/images/", TEXT,
	  "https://RAW.githubusercontent.com/IconStorages/images/icon1.ico" },
	{ "url,https://example.org/dl/payload", TEXT,
	  "fetch example.org/dl/payload?x=1" },
	{ "url,example.org:8443/dl/payload", TEXT,
	  "GET http://EXAMPLE.org:8443/dl/payload HTTP/1.1" },
	{ "url,EVIL.com/x", TEXT, "GET evil.COM/x" },
	{ "url,evil.com/x", TEXT, "\"evil.com/x/y\"" },
	/* file names */
	{ "filename,3CXDesktopApp.exe", TEXT,
	  "C:\\Users\\bob\\AppData\\3cxdesktopapp.EXE started" },
	{ "filename,3CXDesktopApp.exe", TEXT, "image=\"3CXDesktopApp.exe\"" },
	{ "filename,3CXDesktopApp.exe", TEXT, "path='3CXDesktopApp.exe'" },
	{ "filename,3CXDesktopApp.exe", TEXT, "image=3CXDesktopApp.exe" },
	{ "filename,3CXDesktopApp.exe", TEXT, "launched 3CXDesktopApp.exe." },
	{ "filename,3CXDesktopApp.exe", TEXT, "3CXDesktopApp.exe.-x" },
	{ "filename,3CXDesktopApp.exe", TEXT, "\t3CXDesktopApp.exe" },
	{ "filename,3CXDesktopApp.exe", TEXT, "/opt/3CXDesktopApp.exe:" },
	{ "filename,a-b_c.tar.gz", TEXT, "wrote /tmp/A-B_C.tar.gz, 3 MB" },
	{ "filename,libssl.so.3", TEXT, "loaded /usr/lib/libssl.so.3" },
	{ "filename,.bashrc", TEXT, "cat ~/.bashrc" },
	{ "filename,1.z", TEXT, "unpack 1.z now" },
	/* digests, any case, glued to punctuation */
	{ "md5,0123456789abcdef0123456789ABCDEF", TEXT,
	  "md5:0123456789ABCDEF0123456789abcdef," },
	{ "sha1,a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", TEXT,
	  "sha1=A94A8FE5CCB19BA61C4C0873D391E987982FBBD3" },
	{ "sha256,aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868",
	  TEXT, "x_aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868-y" },
	/* IPv4, addresses and CIDRs */
	{ "ipv4,10.1.2.3", TEXT, "src=010.001.002.003 dst=x" },
	{ "ipv4,10.1.2.3", TEXT, "(10.1.2.3)" },
	{ "ipv4,10.1.2.3", TEXT, "connect to 10.1.2.3." },
	{ "ipv4,10.1.2.3", TEXT, "10.1.2.3:443" },
	{ "ipv4,10.1.2.3", TEXT, "mapped ::ffff:10.1.2.3 here" },
	{ "ipv4,192.168.0.0/16", TEXT, "from 192.168.44.1 port 22" },
	{ "ipv4,192.168.32.0/20", TEXT, "from 192.168.44.1" },
	{ "ipv4,10.1.2.0/25", TEXT, "host 10.1.2.3" },
	{ "ipv4,10.0.0.0/8", TEXT, "to 10.200.1.1" },
	{ "ipv4,10.1.2.0/30", TEXT, "10.1.2.3" },
	{ "ipv4,10.1.2.3", ADDRESS, "10.1.2.3" },
	{ "ipv4,10.1.0.0/17", ADDRESS, "10.1.2.3" },
	/* IPv6: compressed, expanded, bracketed with a port, mixed dotted */
	{ "ipv6,2001:db8::1", TEXT, "from 2001:DB8:0:0:0:0:0:1 x" },
	{ "ipv6,2001:db8::1", TEXT, "[2001:db8::1]:53" },
	{ "ipv6,2001:db8::1", TEXT, "2001:0db8::0001" },
	{ "ipv6,2001:db8::1", TEXT, "addr 2001:db8::1." },
	{ "ipv6,2001:db8::1", TEXT, "addr 2001:db8::1: up" },
	{ "ipv6,::ffff:10.1.2.3", TEXT, "peer ::ffff:10.1.2.3" },
	{ "ipv6,2001:db8:ff00::/40", TEXT, "2001:db8:ff12::5" },
	{ "ipv6,2001:db8::/56", TEXT, "2001:db8:0:ff::5" },
	{ "ipv6,2001:db8::/64", TEXT, "2001:db8::5:6" },
	{ "ipv6,2001:db8::/127", TEXT, "2001:db8::1" },
	{ "ipv6,2001::/16", TEXT, "2001:ffff::1" },
	{ "ipv6,2001:db8::1", ADDRESS, "2001:db8::1" },
	{ "ipv6,2001:db8::/33", ADDRESS, "2001:db8:7fff::1" },
};

static void
check_keyed_case(const struct keyed_case *c, struct keys *k)
{
	struct pat_set *set = set_from_rows(c->row);
	struct pat_scratch *scratch = pat_set_scratch(set, 0);
	struct pat_hits hits;
	uint64_t key;

	pat_hits_reset(&hits, NOW);
	k->n = 0;
	switch (c->input) {
	case TEXT:
		assert_int_equal(pat_match_text(set, scratch,
						(const uint8_t *)c->message,
						strlen(c->message), &hits), 0);
		pat_keys_text((const uint8_t *)c->message, strlen(c->message),
			      collect, k);
		break;
	case DNS_NAME:
		assert_int_equal(pat_match_dns_name(set, scratch, c->message,
						    strlen(c->message), &hits), 0);
		pat_keys_dns_name(c->message, strlen(c->message), collect, k);
		break;
	case ADDRESS: {
		uint8_t addr[16];
		int family = strchr(c->message, ':') != NULL ? 6 : 4;
		assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6,
					   c->message, addr), 1);
		pat_match_address(set, family, addr, &hits);
		pat_keys_address(family, addr, collect, k);
		break;
	}
	}
	/* The case must be a hit, and a keyed one, or it shows nothing. */
	if (hits.count != 1)
		fail_msg("%s in \"%s\": %u hits", c->row, c->message, hits.count);
	if (pat_keys_indicator(pat_set_indicator(set, hits.ids[0]), &key) != 1)
		fail_msg("%s: no key", c->row);
	if (!keys_have(k, key))
		fail_msg("%s in \"%s\": key not among the %zu keys", c->row,
			 c->message, k->n);
	pat_set_free(set);
}

static void
test_keyed_cases(void **state)
{
	struct keys *k = keys_new();

	(void)state;
	for (size_t i = 0; i < sizeof(keyed_cases) / sizeof(keyed_cases[0]); i++)
		check_keyed_case(&keyed_cases[i], k);
	free(k);
}

/* Indicators no key rules out: a hunt opens every block for them. */
static void
test_unkeyed_indicators(void **state)
{
	static const char *const rows[] = {
		"regex,evil[0-9]+",
		"domain,localhost",
		"filename,payload",
		"filename,my file.exe",
		"filename,setup (1).msi",
		"url,10.1.2.3/x",
		"url,[2001:db8::1]/x",
		"url,localhost/x",
		"ipv4,0.0.0.0/0",
		"ipv4,8.0.0.0/7",
		"ipv6,2000::/12",
		"ipv6,::/0",
	};
	uint64_t key;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pat_set *set = set_from_rows(rows[i]);
		if (pat_keys_indicator(pat_set_indicator(set, 0), &key) != 0)
			fail_msg("%s has a key", rows[i]);
		pat_set_free(set);
	}
}

/* Where CIDRs and addresses meet: a CIDR's key is the key of its
 * addresses under the fixed length below its prefix, and not that of an
 * address outside it at that length. */
static void
test_prefix_keys(void **state)
{
	static const struct {
		const char *row;
		const char *inside, *outside;
	} cases[] = {
		{ "ipv4,10.1.2.3", "10.1.2.3", "10.1.2.4" },
		{ "ipv4,10.1.2.0/24", "10.1.2.200", "10.1.3.1" },
		{ "ipv4,10.1.2.0/31", "10.1.2.1", "10.1.3.1" },
		{ "ipv4,10.1.0.0/16", "10.1.255.1", "10.2.0.1" },
		{ "ipv4,10.0.0.0/9", "10.127.0.1", "11.0.0.1" },
		{ "ipv6,2001:db8::1", "2001:db8::1", "2001:db8::2" },
		{ "ipv6,2001:db8::/64", "2001:db8::ffff", "2001:db8:0:1::1" },
		{ "ipv6,2001:db8:aa00::/40", "2001:db8:aaff::1", "2001:db9::1" },
		{ "ipv6,2001::/17", "2001:7fff::1", "2002::1" },
	};
	struct keys *k = keys_new();
	uint64_t key;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pat_set *set = set_from_rows(cases[i].row);
		assert_int_equal(pat_keys_indicator(pat_set_indicator(set, 0),
						    &key), 1);
		const char *addrs[] = { cases[i].inside, cases[i].outside };
		for (int j = 0; j < 2; j++) {
			uint8_t addr[16];
			int family = strchr(addrs[j], ':') != NULL ? 6 : 4;
			assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6,
						   addrs[j], addr), 1);
			k->n = 0;
			assert_int_equal(pat_keys_address(family, addr, collect, k),
					 family == 4 ? 4 : 5);
			if (keys_have(k, key) != (j == 0))
				fail_msg("%s and %s", cases[i].row, addrs[j]);
		}
		pat_set_free(set);
	}
	free(k);
}

/* Kinds do not share keys: "evil.com" as a domain, a file name and a
 * URL's host; the host of a URL is a domain key. */
static void
test_kinds_apart(void **state)
{
	struct pat_set *set = set_from_rows("domain,evil.com\nfilename,evil.com\n"
					    "url,evil.com/x\n");
	uint64_t domain, filename, url;

	(void)state;
	assert_int_equal(pat_keys_indicator(pat_set_indicator(set, 0), &domain), 1);
	assert_int_equal(pat_keys_indicator(pat_set_indicator(set, 1), &filename), 1);
	assert_int_equal(pat_keys_indicator(pat_set_indicator(set, 2), &url), 1);
	assert_true(domain != filename);
	assert_true(domain == url);
	pat_set_free(set);
}

/* What a message's keys are, counted on lines like those the history
 * holds (the figures of token_keys.h and docs/matching.md). */
static void
test_key_counts(void **state)
{
	static const struct {
		const char *line;
		size_t keys;
	} lines[] = {
		/* the address only: 4 prefixes; the run is digits and dots,
		 * so no domain or file name key */
		{ "<38>Dec  4 20:41:21 web1 sshd[1234]: Accepted password for "
		  "root from 10.1.2.3 port 51022 ssh2", 4 },
		/* a host: 2 domain keys (example.com, web01.example.com) and
		 * 1 file name key (web01.example.com: a name ends before a
		 * '.' only when no letter or digit follows it) */
		{ "<14>Dec  4 20:41:21 web01.example.com nginx: ok", 3 },
		/* a file after '\': 1 file name key, and 1 domain key (for
		 * all that is known, "exe" is a top-level domain) */
		{ "proc C:\\Temp\\3CXDesktopApp.exe started", 2 },
		/* no dotted run, no digest, no address */
		{ "<13>Dec  4 20:41:21 host kernel: link up, 1000 Mbps", 0 },
		/* a digest */
		{ "md5=0123456789abcdef0123456789ABCDEF", 1 },
		/* an IPv6 address with a port: 5 prefixes */
		{ "query from [2001:db8::1]:53 refused", 5 },
	};
	struct keys *k = keys_new();

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		k->n = 0;
		size_t n = pat_keys_text((const uint8_t *)lines[i].line,
					 strlen(lines[i].line), collect, k);
		assert_int_equal(n, k->n);
		if (n != lines[i].keys)
			fail_msg("\"%s\": %zu keys, not %zu", lines[i].line, n,
				 lines[i].keys);
	}
	free(k);
}

/* ---- random sets: the differential check's inputs ---- */

static struct keys *observed_keys;

static bool
observe_text(void *ctx, const struct pat_set *set, const uint8_t *text,
	     size_t len, const struct pat_hits *hits, FILE *report)
{
	struct keys *k = observed_keys;

	(void)ctx;
	k->n = 0;
	k->overflow = false;
	pat_keys_text(text, len, collect, k);
	return hits_keyed(set, hits, k, "text", text, len, report);
}

static bool
observe_dns_name(void *ctx, const struct pat_set *set, const char *name,
		 size_t len, const struct pat_hits *hits, FILE *report)
{
	struct keys *k = observed_keys;

	(void)ctx;
	k->n = 0;
	k->overflow = false;
	pat_keys_dns_name(name, len, collect, k);
	return hits_keyed(set, hits, k, "dns name", name, len, report);
}

static bool
observe_address(void *ctx, const struct pat_set *set, int family,
		const uint8_t *addr, const struct pat_hits *hits, FILE *report)
{
	struct keys *k = observed_keys;

	(void)ctx;
	k->n = 0;
	k->overflow = false;
	pat_keys_address(family, addr, collect, k);
	return hits_keyed(set, hits, k, "address", addr, family == 4 ? 4 : 16,
			  report);
}

static void
test_random_diff_sets(void **state)
{
	struct diff_observer observer = {
		.text = observe_text, .dns_name = observe_dns_name,
		.address = observe_address,
	};
	struct diff_stats stats = { 0 };
	const char *env = getenv("IOCSIFT_TOKEN_KEY_SETS");
	unsigned long n = env != NULL ? strtoul(env, NULL, 10) : 10000;

	(void)state;
	observed_keys = keys_new();
	for (unsigned long i = 0; i < n; i++) {
		struct diff_source src = { .state = 0x70ce0000 + i };
		if (diff_run_observed(&src, &stats, stdout, &observer) != 0)
			fail_msg("seed %lu", 0x70ce0000 + i);
	}
	printf("%lu seeds: %lu sets, %lu texts, %lu DNS names, %lu addresses,"
	       " %lu hits\n", n, (unsigned long)stats.sets,
	       (unsigned long)stats.texts, (unsigned long)stats.names,
	       (unsigned long)stats.addresses, (unsigned long)stats.hits);
	assert_true(stats.hits > stats.texts / 4);
	free(observed_keys);
}

/* ---- random sets: a generator of its own ---- */

struct rng {
	uint64_t state;
};

static uint32_t
rng_next(struct rng *r, uint32_t bound)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return bound == 0 ? 0 : (uint32_t)(z % bound);
}

#define PICK(r, array) ((array)[rng_next(r, sizeof(array) / sizeof((array)[0]))])

struct buffer {
	char data[2048];
	size_t len;
};

static void
put(struct buffer *b, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(b->data) - 1 - b->len)
		n = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
put_cased(struct rng *r, struct buffer *b, const char *s)
{
	char one[2] = { 0, 0 };

	for (; *s != '\0'; s++) {
		one[0] = *s;
		if (one[0] >= 'a' && one[0] <= 'z' && rng_next(r, 2) == 0)
			one[0] = (char)(one[0] - 32);
		put(b, one);
	}
}

/* Names for every type; the first ones are domains too. */
#define DOMAIN_NAMES 8
static const char *const names[] = {
	"evil.com", "a.evil.com", "cdn.x-y.net", "x_y.org", "3CXDesktopApp.exe",
	"a.exe", "b.tar.gz", "web01.example.com", "libssl.so.3", ".bashrc",
	"d3d.dll.", "1.2.3", "a..b.com",
};
static const char *const url_tails[] = {
	"/", "/x", "/x/y.png", "?q=1", "#f", ":8080/x", "/A",
};
static const char *const around[] = {
	" ", "\\", "/", "=", "\"", "'", "\t", ".", "..", ":", "::", "[", "]:53",
	"@", "http://", "HTTPS://", "-", "_", "x", "0", ",", "(", ")", ".x",
	". ", "\xc3\xa9", "%", "?", "#", "\0",
};

/* An indicator row and its value's text form in the buffer. */
static void
gen_indicator(struct rng *r, struct buffer *row)
{
	char buf[128];
	uint8_t addr[16];

	switch (rng_next(r, 6)) {
	case 0:
		put(row, "domain,");
		put(row, names[rng_next(r, DOMAIN_NAMES)]);
		break;
	case 1:
		put(row, "filename,");
		put(row, PICK(r, names));
		break;
	case 2:
		put(row, "url,");
		put(row, names[rng_next(r, DOMAIN_NAMES)]);
		put(row, PICK(r, url_tails));
		break;
	case 3: {
		unsigned int prefix = rng_next(r, 33);
		for (int i = 0; i < 4; i++)
			addr[i] = (uint8_t)PICK(r, ((const uint8_t[]){ 0, 1, 10, 128, 255 }));
		uint32_t host = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
			(uint32_t)addr[2] << 8 | addr[3];
		host &= prefix == 0 ? 0 : ~0U << (32 - prefix);
		snprintf(buf, sizeof(buf), "ipv4,%u.%u.%u.%u/%u", host >> 24,
			 (host >> 16) & 0xff, (host >> 8) & 0xff, host & 0xff,
			 prefix);
		put(row, buf);
		break;
	}
	case 4: {
		unsigned int prefix = rng_next(r, 129);
		for (int i = 0; i < 16; i++)
			addr[i] = (uint8_t)PICK(r, ((const uint8_t[]){ 0, 0, 1, 0x20, 0xff }));
		for (int i = 0; i < 16; i++) {
			unsigned int keep = prefix >= 8u * (i + 1) ? 8 :
				prefix > 8u * i ? prefix - 8u * i : 0;
			addr[i] &= (uint8_t)(0xff00 >> keep);
		}
		char text[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		snprintf(buf, sizeof(buf), "ipv6,%s/%u", text, prefix);
		put(row, buf);
		break;
	}
	default: {
		static const char hex[] = "0123456789abcdefABCDEF";
		size_t n = PICK(r, ((const size_t[]){ 32, 40, 64 }));
		put(row, n == 32 ? "md5," : n == 40 ? "sha1," : "sha256,");
		for (size_t i = 0; i < n; i++) {
			char one[2] = { hex[rng_next(r, 16)], 0 };
			put(row, one);
		}
		break;
	}
	}
	put(row, "\n");
}

/* An address near ind's, written in one of the forms text has. */
static void
put_address(struct rng *r, struct buffer *b, const struct pat_indicator *ind)
{
	uint8_t addr[16];
	char buf[64];

	memcpy(addr, ind->addr, 16);
	if (ind->type == PAT_TYPE_IPV4) {
		if (rng_next(r, 2) == 0)
			addr[3 - rng_next(r, 4)] ^= (uint8_t)(1u << rng_next(r, 8));
		snprintf(buf, sizeof(buf), rng_next(r, 3) == 0 ?
			 "%03u.%03u.%03u.%03u" : "%u.%u.%u.%u",
			 addr[0], addr[1], addr[2], addr[3]);
		put(b, buf);
		return;
	}
	if (rng_next(r, 2) == 0)
		addr[15 - rng_next(r, 16)] ^= (uint8_t)(1u << rng_next(r, 8));
	switch (rng_next(r, 3)) {
	case 0:
		inet_ntop(AF_INET6, addr, buf, sizeof(buf));
		put_cased(r, b, buf);
		break;
	case 1:
		for (int i = 0; i < 8; i++) {
			snprintf(buf, sizeof(buf), i == 7 ? "%04X" : "%x:",
				 (unsigned int)(addr[2 * i] << 8 | addr[2 * i + 1]));
			put(b, buf);
		}
		break;
	default:
		for (int i = 0; i < 6; i++) {
			snprintf(buf, sizeof(buf), "%x:",
				 (unsigned int)(addr[2 * i] << 8 | addr[2 * i + 1]));
			put(b, buf);
		}
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", addr[12], addr[13],
			 addr[14], addr[15]);
		put(b, buf);
		break;
	}
}

static void
gen_message(struct rng *r, struct buffer *b, const struct pat_set *set)
{
	unsigned int parts = 1 + rng_next(r, 12);

	b->len = 0;
	b->data[0] = '\0';
	for (unsigned int i = 0; i < parts; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(set, rng_next(r, pat_set_id_limit(set)));
		const char *a = PICK(r, around);
		if (*a == '\0' && b->len < sizeof(b->data) - 1)
			b->len++;        /* a NUL byte inside the text */
		else
			put(b, a);
		if (rng_next(r, 4) == 0) {
			put(b, PICK(r, names));
			put(b, ".");
		}
		if (ind->type == PAT_TYPE_IPV4 || ind->type == PAT_TYPE_IPV6)
			put_address(r, b, ind);
		else
			put_cased(r, b, ind->value);
		if (rng_next(r, 3) == 0)
			put(b, PICK(r, around));
	}
}

static void
test_random_own_sets(void **state)
{
	struct keys *k = keys_new();
	struct rng r = { .state = 0x6b657973 };
	uint64_t hits_total = 0, keyed = 0, messages = 0;
	const char *env = getenv("IOCSIFT_TOKEN_KEY_SETS");
	unsigned long n = env != NULL ? strtoul(env, NULL, 10) : 5000;

	(void)state;
	for (unsigned long s = 0; s < n; s++) {
		struct buffer rows = { .len = 0 };
		unsigned int count = 1 + rng_next(&r, 6);
		for (unsigned int i = 0; i < count; i++)
			gen_indicator(&r, &rows);
		struct pat_set *set = set_from_rows(rows.data);
		for (unsigned int m = 0; m < 8; m++) {
			struct buffer msg;
			struct pat_hits hits;
			gen_message(&r, &msg, set);
			pat_hits_reset(&hits, NOW);
			assert_int_equal(pat_match_text(set, pat_set_scratch(set, 0),
							(const uint8_t *)msg.data,
							msg.len, &hits), 0);
			k->n = 0;
			k->overflow = false;
			pat_keys_text((const uint8_t *)msg.data, msg.len, collect, k);
			if (!hits_keyed(set, &hits, k, "text", msg.data, msg.len,
					stdout))
				fail_msg("set %lu:\n%s", s, rows.data);
			messages++;
			hits_total += hits.count;
			for (uint16_t h = 0; h < hits.count; h++) {
				uint64_t key;
				keyed += pat_keys_indicator(pat_set_indicator(
					set, hits.ids[h]), &key) == 1;
			}
			/* The same text as a DNS name. */
			pat_hits_reset(&hits, NOW);
			assert_int_equal(pat_match_dns_name(set, pat_set_scratch(set, 0),
							    msg.data, msg.len,
							    &hits), 0);
			k->n = 0;
			pat_keys_dns_name(msg.data, msg.len, collect, k);
			if (!hits_keyed(set, &hits, k, "dns name", msg.data,
					msg.len, stdout))
				fail_msg("set %lu:\n%s", s, rows.data);
		}
		/* Each address indicator's own network, and its neighbours,
		 * as DNS answers. */
		for (uint32_t id = 0; id < pat_set_id_limit(set); id++) {
			const struct pat_indicator *ind = pat_set_indicator(set, id);
			if (ind->type != PAT_TYPE_IPV4 && ind->type != PAT_TYPE_IPV6)
				continue;
			int family = ind->type == PAT_TYPE_IPV4 ? 4 : 6;
			uint8_t addr[16];
			memcpy(addr, ind->addr, 16);
			for (int flip = 0; flip < 3; flip++) {
				struct pat_hits hits;
				pat_hits_reset(&hits, NOW);
				pat_match_address(set, family, addr, &hits);
				k->n = 0;
				pat_keys_address(family, addr, collect, k);
				if (!hits_keyed(set, &hits, k, "address", addr,
						family == 4 ? 4 : 16, stdout))
					fail_msg("set %lu:\n%s", s, rows.data);
				addr[rng_next(&r, family == 4 ? 4 : 16)] ^=
					(uint8_t)(1u << rng_next(&r, 8));
			}
		}
		pat_set_free(set);
	}
	printf("%lu sets, %lu messages, %lu hits, %lu of them keyed\n", n,
	       (unsigned long)messages, (unsigned long)hits_total,
	       (unsigned long)keyed);
	/* The generator must hit, and hit keyed indicators, or the check
	 * proves nothing. */
	assert_true(hits_total > messages / 2);
	assert_true(keyed > hits_total / 2);
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyed_cases),
		cmocka_unit_test(test_unkeyed_indicators),
		cmocka_unit_test(test_prefix_keys),
		cmocka_unit_test(test_kinds_apart),
		cmocka_unit_test(test_key_counts),
		cmocka_unit_test(test_random_diff_sets),
		cmocka_unit_test(test_random_own_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
