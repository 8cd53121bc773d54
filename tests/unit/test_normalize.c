/* test_normalize.c -- the value rules of every indicator type (refang,
 * canonical forms, IDN), type detection, times and severities
 * (patterns/normalize.c; docs/feeds.md). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "indicator.h"
#include "normalize.h"

static struct pat_arena *arena;

static int
group_setup(void **state)
{
	(void)state;
	arena = pat_arena_new();
	return arena == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	pat_arena_free(arena);
	return 0;
}

/* Why the last norm() failed. */
static struct error_detail norm_err;

/* The normalized text of value, or NULL with norm_err filled. */
static const char *
norm(enum pat_type type, const char *value)
{
	struct pat_indicator ind;

	memset(&norm_err, 0, sizeof(norm_err));
	if (pat_normalize(arena, type, value, strlen(value), &ind,
			  &norm_err) != 0)
		return NULL;
	return ind.value;
}

static void
assert_norm(enum pat_type type, const char *value, const char *expected)
{
	const char *got = norm(type, value);

	if (got == NULL)
		print_error("%s: %s\n", value, norm_err.message);
	assert_non_null(got);
	assert_string_equal(got, expected);
}

static void
assert_norm_error(enum pat_type type, const char *value, const char *reason)
{
	assert_null(norm(type, value));
	assert_string_equal(norm_err.message, reason);
}

static void
assert_detect(const char *value, enum pat_type expected)
{
	enum pat_type type = PAT_TYPE_COUNT;

	assert_int_equal(pat_detect_type(value, strlen(value), &type), 0);
	assert_string_equal(pat_type_name(type), pat_type_name(expected));
}

static void
test_detect_type(void **state)
{
	enum pat_type type;

	(void)state;
	assert_detect("  evil[.]test  ", PAT_TYPE_DOMAIN);
	assert_detect("EVIL.TEST.", PAT_TYPE_DOMAIN);
	assert_detect("1[.]2[.]3[.]4", PAT_TYPE_IPV4);
	assert_detect("10.1.2.3/8", PAT_TYPE_IPV4); /* normalization refuses it */
	assert_detect("[::1]", PAT_TYPE_IPV6);
	assert_detect("hxxp://evil[.]test", PAT_TYPE_URL);
	assert_detect("192.0.2.1:8080/x", PAT_TYPE_URL);
	assert_detect("[2001:db8::1]/index.html", PAT_TYPE_URL);
	assert_detect("invoice.PDF", PAT_TYPE_FILENAME);
	assert_detect("icon13.ico", PAT_TYPE_FILENAME);
	assert_int_equal(pat_detect_type("UpdateAgent", 11, &type), -EINVAL);
	assert_int_equal(pat_detect_type("1.2.3", 5, &type), -EINVAL);
	assert_int_equal(pat_detect_type("abc/def", 7, &type), -EINVAL);
	assert_int_equal(pat_detect_type("", 0, &type), -EINVAL);
	assert_int_equal(pat_detect_type("a\0.test", 7, &type), -EINVAL);
}

static void
test_refang(void **state)
{
	(void)state;
	assert_norm(PAT_TYPE_DOMAIN, "evil[.]test", "evil.test");
	assert_norm(PAT_TYPE_DOMAIN, "evil(.)test", "evil.test");
	assert_norm(PAT_TYPE_DOMAIN, "evil[dot]test", "evil.test");
	assert_norm(PAT_TYPE_DOMAIN, "evil[DOT]test", "evil.test");
	assert_norm(PAT_TYPE_DOMAIN, "evil{.}test", "evil.test");
	assert_norm(PAT_TYPE_IPV4, "192[.]0[.]2[.]1", "192.0.2.1");
	assert_norm(PAT_TYPE_IPV6, "2001[:]db8[:][:]1", "2001:db8::1");
	assert_norm(PAT_TYPE_URL, "hxxp://evil[.]test/a", "evil.test/a");
	assert_norm(PAT_TYPE_URL, "HXXPS[://]evil[.]test/B", "evil.test/B");
	assert_norm(PAT_TYPE_URL, "hxxps[:]//evil[.]test", "evil.test");
	/* nested defanging is undone too, so normalizing is idempotent */
	assert_norm(PAT_TYPE_DOMAIN, "evil[[.]]test", "evil.test");
	assert_norm(PAT_TYPE_FILENAME, "a[[.]].exe", "a..exe");
	/* hxxp is a scheme only in front of :// */
	assert_norm(PAT_TYPE_DOMAIN, "hxxpool.test", "hxxpool.test");
	/* regexes are not refanged: [.] and (.) mean something there */
	assert_norm(PAT_TYPE_REGEX, "evil(.)test[.]x", "evil(.)test[.]x");
}

static void
test_trim(void **state)
{
	(void)state;
	assert_norm(PAT_TYPE_DOMAIN, " \tevil.test \r\n", "evil.test");
	assert_norm_error(PAT_TYPE_DOMAIN, "  ", "empty value");
	assert_norm_error(PAT_TYPE_URL, "", "empty value");
}

static void
test_domain_rules(void **state)
{
	char label[80], name[400];

	(void)state;
	assert_norm(PAT_TYPE_DOMAIN, "CDN.Evil.TEST", "cdn.evil.test");
	assert_norm(PAT_TYPE_DOMAIN, "evil.test.", "evil.test");
	assert_norm(PAT_TYPE_DOMAIN, "_dmarc.evil-1.test", "_dmarc.evil-1.test");
	assert_norm(PAT_TYPE_DOMAIN, "localhost", "localhost");
	assert_norm_error(PAT_TYPE_DOMAIN, "*.evil.test",
			  "invalid character '*' in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, "ev il.test",
			  "invalid character ' ' in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, "evil.te\x7fst",
			  "invalid character '\\x7f' in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, "evil..test", "empty label in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, ".evil.test", "empty label in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, "evil.test..", "empty label in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, ".", "empty label in domain");
	assert_norm_error(PAT_TYPE_DOMAIN, "http://evil.test",
			  "domain must not contain '/' (use type url)");
	assert_norm_error(PAT_TYPE_DOMAIN, "evil.test/x",
			  "domain must not contain '/' (use type url)");
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.test", label);
	assert_norm_error(PAT_TYPE_DOMAIN, name,
			  "label longer than 63 bytes in domain");
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label, label, label, label);
	assert_norm_error(PAT_TYPE_DOMAIN, name, "domain longer than 253 bytes");
	name[253] = '\0'; /* 63.63.63.61: 253 bytes */
	assert_norm(PAT_TYPE_DOMAIN, name, name);
}

static void
test_ipv4_rules(void **state)
{
	struct pat_indicator ind;

	(void)state;
	assert_int_equal(pat_normalize(arena, PAT_TYPE_IPV4, "10.0.0.0/8", 10,
				       &ind, NULL), 0);
	assert_string_equal(ind.value, "10.0.0.0/8");
	assert_int_equal(ind.prefix_len, 8);
	assert_memory_equal(ind.addr, "\x0a\x00\x00\x00", 4);
	assert_int_equal(pat_normalize(arena, PAT_TYPE_IPV4, "192.0.2.1/32", 12,
				       &ind, NULL), 0);
	assert_string_equal(ind.value, "192.0.2.1");
	assert_int_equal(ind.prefix_len, 32);
	assert_memory_equal(ind.addr, "\xc0\x00\x02\x01", 4);
	assert_string_equal(ind.tags, "");
	assert_string_equal(ind.source, "");
	assert_norm(PAT_TYPE_IPV4, "0.0.0.0/0", "0.0.0.0/0");
	assert_norm_error(PAT_TYPE_IPV4, "10.1.2.3/8", "host bits set in CIDR");
	assert_norm_error(PAT_TYPE_IPV4, "192.0.2.1/31", "host bits set in CIDR");
	assert_norm_error(PAT_TYPE_IPV4, "010.1.2.3", "invalid IPv4 address");
	assert_norm_error(PAT_TYPE_IPV4, "1.2.3", "invalid IPv4 address");
	assert_norm_error(PAT_TYPE_IPV4, "256.1.1.1", "invalid IPv4 address");
	assert_norm_error(PAT_TYPE_IPV4, "10.0.0.0/33", "invalid prefix length");
	assert_norm_error(PAT_TYPE_IPV4, "10.0.0.0/08", "invalid prefix length");
	assert_norm_error(PAT_TYPE_IPV4, "10.0.0.0/", "invalid prefix length");
	assert_norm_error(PAT_TYPE_IPV4, "10.0.0.0/-8", "invalid prefix length");
}

static void
test_ipv6_rules(void **state)
{
	struct pat_indicator ind;

	(void)state;
	assert_norm(PAT_TYPE_IPV6, "2001:DB8:0:0::1", "2001:db8::1");
	assert_norm(PAT_TYPE_IPV6, "2001:0db8:0000:0000:0000:0000:0000:0001",
		    "2001:db8::1");
	assert_norm(PAT_TYPE_IPV6, "[2001:db8::1]", "2001:db8::1");
	assert_norm(PAT_TYPE_IPV6, "2001:db8::1/128", "2001:db8::1");
	assert_norm(PAT_TYPE_IPV6, "[2001:DB8::]/32", "2001:db8::/32");
	assert_norm(PAT_TYPE_IPV6, "::ffff:192.0.2.1", "::ffff:192.0.2.1");
	/* canonical text longer than the input */
	assert_norm(PAT_TYPE_IPV6, "::ff:1", "::0.255.0.1");
	assert_int_equal(pat_normalize(arena, PAT_TYPE_IPV6, "2001:db8::/32", 13,
				       &ind, NULL), 0);
	assert_int_equal(ind.prefix_len, 32);
	assert_memory_equal(ind.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0",
			    16);
	assert_norm_error(PAT_TYPE_IPV6, "2001:db8::1/32", "host bits set in CIDR");
	assert_norm_error(PAT_TYPE_IPV6, "2001:db8::/129", "invalid prefix length");
	assert_norm_error(PAT_TYPE_IPV6, "2001:db8:::1", "invalid IPv6 address");
	assert_norm_error(PAT_TYPE_IPV6, "fe80::1%eth0", "invalid IPv6 address");
	assert_norm_error(PAT_TYPE_IPV6, "192.0.2.1", "invalid IPv6 address");
}

static void
test_hash_rules(void **state)
{
	(void)state;
	assert_norm(PAT_TYPE_MD5, "D41D8CD98F00B204E9800998ECF8427E",
		    "d41d8cd98f00b204e9800998ecf8427e");
	assert_norm(PAT_TYPE_SHA256,
		    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_norm_error(PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427",
			  "md5 must be 32 hex digits");
	assert_norm_error(PAT_TYPE_MD5, "g41d8cd98f00b204e9800998ecf8427e",
			  "md5 must be 32 hex digits");
	assert_norm_error(PAT_TYPE_SHA1, "d41d8cd98f00b204e9800998ecf8427e",
			  "sha1 must be 40 hex digits");
	assert_norm_error(PAT_TYPE_SHA256, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
			  "sha256 must be 64 hex digits");
}

static void
test_filename_rules(void **state)
{
	char name[300];

	(void)state;
	assert_norm(PAT_TYPE_FILENAME, " 3CXDesktopApp.exe ", "3CXDesktopApp.exe");
	assert_norm(PAT_TYPE_FILENAME, "UpdateAgent", "UpdateAgent");
	assert_norm_error(PAT_TYPE_FILENAME, "C:\\Windows\\evil.exe",
			  "filename must not contain '/' or '\\'");
	assert_norm_error(PAT_TYPE_FILENAME, "tmp/evil",
			  "filename must not contain '/' or '\\'");
	assert_norm_error(PAT_TYPE_FILENAME, "ev\x01il.exe",
			  "control character in filename");
	memset(name, 'a', 256);
	name[256] = '\0';
	assert_norm_error(PAT_TYPE_FILENAME, name, "filename longer than 255 bytes");
	name[255] = '\0';
	assert_norm(PAT_TYPE_FILENAME, name, name);
}

static void
test_url_rules(void **state)
{
	(void)state;
	assert_norm(PAT_TYPE_URL,
		    "http://RAW.githubusercontent.com/IconStorages/images/main/icon13.ico",
		    "raw.githubusercontent.com/IconStorages/images/main/icon13.ico");
	assert_norm(PAT_TYPE_URL, "HTTPS://Evil.TEST:8443/A?B=C#D",
		    "evil.test:8443/A?B=C#D");
	assert_norm(PAT_TYPE_URL, "Evil.TEST/Path", "evil.test/Path");
	assert_norm(PAT_TYPE_URL, "svn+ssh://Evil.test/r", "evil.test/r");
	assert_norm(PAT_TYPE_URL, "Evil.TEST?Q=1", "evil.test?Q=1");
	assert_norm(PAT_TYPE_URL, "http://192.0.2.1/x", "192.0.2.1/x");
	assert_norm(PAT_TYPE_URL, "http://[2001:DB8::1]:80/x", "[2001:db8::1]:80/x");
	assert_norm(PAT_TYPE_URL, "http://evil.test./x", "evil.test./x");
	assert_norm_error(PAT_TYPE_URL, "http:///x", "url has no host");
	assert_norm_error(PAT_TYPE_URL, "/x", "url has no host");
	assert_norm_error(PAT_TYPE_URL, "http://evil.test:0/x", "invalid port in url");
	assert_norm_error(PAT_TYPE_URL, "http://evil.test:65536/",
			  "invalid port in url");
	assert_norm_error(PAT_TYPE_URL, "http://evil.test:/", "invalid port in url");
	assert_norm_error(PAT_TYPE_URL, "http://[2001:db8::zz]/",
			  "invalid IPv6 address in url host");
	assert_norm_error(PAT_TYPE_URL, "http://user@evil.test/",
			  "invalid character '@' in url host");
	assert_norm_error(PAT_TYPE_URL, "http://evil.test/a b",
			  "whitespace or control character in url");
}

static void
test_regex_rules(void **state)
{
	(void)state;
	assert_norm(PAT_TYPE_REGEX, " beacon to [a-z]+\\.test ", "beacon to [a-z]+\\.test");
	assert_norm_error(PAT_TYPE_REGEX, "a(",
			  "invalid regex: Missing close parenthesis for group "
			  "started at index 1.");
	assert_norm_error(PAT_TYPE_REGEX, "x*", "regex can match the empty string");
}

static void
test_normalize_nul(void **state)
{
	struct pat_indicator ind;
	struct error_detail err = { 0 };

	(void)state;
	assert_int_equal(pat_normalize(arena, PAT_TYPE_DOMAIN, "a\0b.test", 8,
				       &ind, &err), -EINVAL);
	assert_string_equal(err.message, "NUL byte in value");
}

static void
assert_time(const char *text, int64_t expected)
{
	struct error_detail err = { 0 };
	int64_t seconds = -1;
	int rc = pat_parse_time(text, strlen(text), &seconds, &err);

	if (rc != 0)
		print_error("%s: %s\n", text, err.message);
	assert_int_equal(rc, 0);
	assert_int_equal(seconds, expected);
}

static void
assert_time_error(const char *text, const char *expected)
{
	struct error_detail err = { 0 };
	int64_t seconds = 42;

	assert_int_equal(pat_parse_time(text, strlen(text), &seconds, &err),
			 -EINVAL);
	assert_int_equal(seconds, 42);
	assert_string_equal(err.message, expected);
}

static void
test_time_formats(void **state)
{
	(void)state;
	assert_time("2023-03-29T10:00:00Z", 1680084000);
	assert_time("2023-03-29", 1680048000);
	assert_time("2023-03-29 10:00:00", 1680084000);
	assert_time("2023-03-29t10:00:00z", 1680084000);
	assert_time("2023-03-29T10:00:00.123456Z", 1680084000);
	assert_time("2023-03-29T10:00:00,5", 1680084000);
	assert_time("2023-03-29T12:00:00+02:00", 1680084000);
	assert_time("2023-03-29T05:30:00-04:30", 1680084000);
	assert_time("2023-03-29T12:00:00+0200", 1680084000);
	assert_time("2023-03-29T10:00:00+00:00", 1680084000);
	assert_time("2023-03-29T10:00:00-00:00", 1680084000);
	assert_time(" 2023-03-29T10:00:00Z\t", 1680084000);
	assert_time("2023-03-01", 1677628800);
	assert_time("2024-02-29", 1709164800);
	assert_time("2000-02-29", 951782400);
	assert_time("1972-02-29", 68169600);
	assert_time("2016-12-31T23:59:60Z", 1483228800);
	assert_time("1970-01-01T00:00:00Z", 0);
	assert_time("1969-12-31T23:00:00-01:00", 0);
	assert_time("9999-12-31T23:59:59Z", INT64_C(253402300799));
	assert_time("1680084000", 1680084000);
	assert_time("0001680084000", 1680084000);
	assert_time("0", 0);
	assert_time("253402300799", INT64_C(253402300799));
}

static void
test_time_errors(void **state)
{
	static const char *const garbage[] = {
		"yesterday", "2023-3-29", "2023/03/29", "23-03-29",
		"2023-03-29T10:00Z", "2023-03-29T10:00:00.Z",
		"2023-03-29T10:00:00 Z", "2023-03-29T10:00:00Zulu",
		"2023-03-29T10:00:00+2", "2023-03-29T10:00:00+02:0",
		"2023-03-29X10:00:00", "2023-03-29T", "-1680084000",
		"1680084000.5", "0x10", "2023-03-29T10:00:00+02:00:00",
	};
	char expected[256];

	(void)state;
	assert_time_error("2023-02-29",
			  "invalid time '2023-02-29': day out of range");
	assert_time_error("1900-02-29",
			  "invalid time '1900-02-29': day out of range");
	assert_time_error("2023-04-31",
			  "invalid time '2023-04-31': day out of range");
	assert_time_error("2023-03-00",
			  "invalid time '2023-03-00': day out of range");
	assert_time_error("2023-13-01",
			  "invalid time '2023-13-01': month out of range");
	assert_time_error("2023-00-10",
			  "invalid time '2023-00-10': month out of range");
	assert_time_error("2023-03-29T25:00:00Z",
			  "invalid time '2023-03-29T25:00:00Z': hour out of range");
	assert_time_error("2023-03-29T24:00:00Z",
			  "invalid time '2023-03-29T24:00:00Z': hour out of range");
	assert_time_error("2023-03-29T10:60:00Z",
			  "invalid time '2023-03-29T10:60:00Z': minute out of range");
	assert_time_error("2023-03-29T10:00:61Z",
			  "invalid time '2023-03-29T10:00:61Z': second out of range");
	assert_time_error("2023-03-29T10:00:00+24:00",
			  "invalid time '2023-03-29T10:00:00+24:00': "
			  "offset out of range");
	assert_time_error("1969-12-31",
			  "invalid time '1969-12-31': before 1970-01-01T00:00:00Z");
	assert_time_error("9999-12-31T23:59:59-00:01",
			  "invalid time '9999-12-31T23:59:59-00:01': "
			  "after 9999-12-31T23:59:59Z");
	assert_time_error("253402300800",
			  "invalid time '253402300800': after 9999-12-31T23:59:59Z");
	assert_time_error("99999999999999999999999999",
			  "invalid time '99999999999999999999999999': "
			  "after 9999-12-31T23:59:59Z");
	assert_time_error("", "empty time");
	assert_time_error(" \t", "empty time");
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		snprintf(expected, sizeof(expected),
			 "invalid time '%s': expected YYYY-MM-DD, "
			 "YYYY-MM-DDTHH:MM:SS[.frac][Z|+hh:mm] or UNIX seconds",
			 garbage[i]);
		assert_time_error(garbage[i], expected);
	}
}

static void
assert_severity(const char *text, uint8_t expected)
{
	uint8_t severity = 0xff;

	assert_int_equal(pat_parse_severity(text, strlen(text), &severity,
					    NULL), 0);
	assert_int_equal(severity, expected);
}

static void
assert_severity_error(const char *text, const char *expected)
{
	struct error_detail err = { 0 };
	uint8_t severity = 0xff;

	assert_int_equal(pat_parse_severity(text, strlen(text), &severity,
					    &err), -EINVAL);
	assert_int_equal(severity, 0xff);
	assert_string_equal(err.message, expected);
}

static void
test_severity(void **state)
{
	(void)state;
	assert_severity("low", PAT_SEVERITY_LOW);
	assert_severity("Medium", PAT_SEVERITY_MEDIUM);
	assert_severity("HIGH", PAT_SEVERITY_HIGH);
	assert_severity(" critical ", PAT_SEVERITY_CRITICAL);
	assert_severity("1", PAT_SEVERITY_LOW);
	assert_severity("2", PAT_SEVERITY_MEDIUM);
	assert_severity("3", PAT_SEVERITY_HIGH);
	assert_severity("4", PAT_SEVERITY_CRITICAL);
	assert_severity_error("0", "invalid severity '0': expected low, medium, "
			      "high, critical or 1-4");
	assert_severity_error("5", "invalid severity '5': expected low, medium, "
			      "high, critical or 1-4");
	assert_severity_error("04", "invalid severity '04': expected low, "
			      "medium, high, critical or 1-4");
	assert_severity_error("urgent", "invalid severity 'urgent': expected "
			      "low, medium, high, critical or 1-4");
	assert_severity_error("", "invalid severity '': expected low, medium, "
			      "high, critical or 1-4");
}

static void
test_idn(void **state)
{
	(void)state;
	assert_norm(PAT_TYPE_DOMAIN, "bücher.example", "xn--bcher-kva.example");
	assert_norm(PAT_TYPE_DOMAIN, "BÜCHER.example", "xn--bcher-kva.example");
	assert_norm(PAT_TYPE_DOMAIN, "Bücher.EXAMPLE.", "xn--bcher-kva.example");
	assert_norm(PAT_TYPE_DOMAIN, "bücher[.]example", "xn--bcher-kva.example");
	assert_norm(PAT_TYPE_DOMAIN, "\xc3\xa9vil.test", "xn--vil-9la.test");
	/* Nontransitional keeps the sharp s; the snowman needs transitional. */
	assert_norm(PAT_TYPE_DOMAIN, "faß.de", "xn--fa-hia.de");
	assert_norm(PAT_TYPE_DOMAIN, "\xe2\x98\x83.net", "xn--n3h.net");
	assert_norm(PAT_TYPE_DOMAIN, "xn--bcher-kva.example",
		    "xn--bcher-kva.example");
	assert_norm(PAT_TYPE_URL, "https://bücher.example/Pfad",
		    "xn--bcher-kva.example/Pfad");
	assert_norm(PAT_TYPE_URL, "hxxps://BÜCHER[.]example:8443/Pfad?Q=Ä",
		    "xn--bcher-kva.example:8443/Pfad?Q=Ä");
	assert_norm(PAT_TYPE_URL, "bücher.example./x", "xn--bcher-kva.example./x");
	assert_norm(PAT_TYPE_URL, "evil.test/bücher", "evil.test/bücher");
	assert_norm_error(PAT_TYPE_DOMAIN, "\xff.test",
			  "invalid internationalized domain: string encoding error");
	assert_norm_error(PAT_TYPE_DOMAIN, "b\xc3.test",
			  "invalid internationalized domain: string encoding error");
	assert_norm_error(PAT_TYPE_DOMAIN, "bü--cher.example",
			  "invalid internationalized domain: string contains "
			  "forbidden two hyphens pattern");
	assert_norm_error(PAT_TYPE_DOMAIN, "-bücher.example",
			  "invalid internationalized domain: string start/ends "
			  "with forbidden hyphen");
	assert_norm_error(PAT_TYPE_DOMAIN, "*.bücher.example",
			  "invalid character '*' in domain");
	assert_norm_error(PAT_TYPE_URL, "https://bü--cher.example/x",
			  "invalid internationalized url host: string contains "
			  "forbidden two hyphens pattern");
	assert_norm_error(PAT_TYPE_URL, "http://\xff.test/",
			  "invalid internationalized url host: string encoding error");
	/* Plain feeds detect IDNs by their shape like any name. */
	assert_detect("bücher.example", PAT_TYPE_DOMAIN);
	assert_detect("bücher.example/x", PAT_TYPE_URL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_type),
		cmocka_unit_test(test_refang),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_domain_rules),
		cmocka_unit_test(test_ipv4_rules),
		cmocka_unit_test(test_ipv6_rules),
		cmocka_unit_test(test_hash_rules),
		cmocka_unit_test(test_filename_rules),
		cmocka_unit_test(test_url_rules),
		cmocka_unit_test(test_regex_rules),
		cmocka_unit_test(test_normalize_nul),
		cmocka_unit_test(test_time_formats),
		cmocka_unit_test(test_time_errors),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_idn),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
