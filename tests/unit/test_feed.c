/* test_feed.c -- feed reader: formats, normalization rules and errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "feed.h"
#include "indicator.h"

/* Shared by the normalization tests; freed by the group teardown. */
static struct pat_arena *arena;
static struct pat_feed feed;
static struct pat_error err;

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

static int
test_teardown(void **state)
{
	(void)state;
	pat_feed_free(&feed);
	return 0;
}

/* Replaces what feed held: pat_feed_parse() frees it first. */
static int
parse(const char *text, enum pat_feed_format format)
{
	memset(&err, 0, sizeof(err));
	return pat_feed_parse(&feed, "test", "test.csv", text, strlen(text),
			      format, &err);
}

static void
assert_parse_error(const char *text, enum pat_feed_format format,
		   unsigned int line, const char *message)
{
	assert_int_equal(parse(text, format), -EINVAL);
	assert_string_equal(err.file, "test.csv");
	assert_int_equal(err.line, line);
	assert_string_equal(err.message, message);
	assert_int_equal(feed.count, 0);
	assert_null(feed.items);
	assert_null(feed.arena);
}

/* The only indicator of a one-line feed. */
static const struct pat_indicator *
parse_one(const char *text, enum pat_feed_format format)
{
	int rc = parse(text, format);

	if (rc != 0)
		print_error("parse: %s:%u: %s\n", err.file, err.line, err.message);
	assert_int_equal(rc, 0);
	assert_int_equal(feed.count, 1);
	return &feed.items[0];
}

static void
assert_item(size_t i, enum pat_type type, const char *value)
{
	assert_true(i < feed.count);
	assert_string_equal(pat_type_name(feed.items[i].type), pat_type_name(type));
	assert_string_equal(feed.items[i].value, value);
}

static const char *norm_reason;

/* The normalized text of value, or NULL with norm_reason set. */
static const char *
norm(enum pat_type type, const char *value)
{
	struct pat_indicator ind;

	norm_reason = NULL;
	if (pat_normalize(arena, type, value, strlen(value), &ind,
			  &norm_reason) != 0)
		return NULL;
	return ind.value;
}

static void
assert_norm(enum pat_type type, const char *value, const char *expected)
{
	const char *got = norm(type, value);

	if (got == NULL)
		print_error("%s: %s\n", value, norm_reason);
	assert_non_null(got);
	assert_string_equal(got, expected);
}

static void
assert_norm_error(enum pat_type type, const char *value, const char *reason)
{
	assert_null(norm(type, value));
	assert_non_null(norm_reason);
	assert_string_equal(norm_reason, reason);
}

static void
assert_detect(const char *value, enum pat_type expected)
{
	enum pat_type type = PAT_TYPE_COUNT;

	assert_int_equal(pat_detect_type(value, strlen(value), &type), 0);
	assert_string_equal(pat_type_name(type), pat_type_name(expected));
}

/* ---- indicator.c ----------------------------------------------------- */

static void
test_type_names(void **state)
{
	static const char *const names[] = {
		"domain", "ipv4", "ipv6", "md5", "sha1", "sha256", "filename",
		"url", "regex",
	};
	enum pat_type type;

	(void)state;
	for (int i = 0; i < PAT_TYPE_COUNT; i++) {
		assert_string_equal(pat_type_name((enum pat_type)i), names[i]);
		assert_int_equal(pat_type_from_name(names[i], strlen(names[i]),
						    &type), 0);
		assert_int_equal(type, i);
	}
	assert_string_equal(pat_type_name(PAT_TYPE_COUNT), "unknown");
}

static void
test_type_aliases(void **state)
{
	static const struct {
		const char *name;
		enum pat_type type;
	} cases[] = {
		{ "Domain-Name", PAT_TYPE_DOMAIN }, { "hostname", PAT_TYPE_DOMAIN },
		{ "FQDN", PAT_TYPE_DOMAIN }, { "ip", PAT_TYPE_IPV4 },
		{ "ip-src", PAT_TYPE_IPV4 }, { "IP-DST", PAT_TYPE_IPV4 },
		{ "ipv4-addr", PAT_TYPE_IPV4 }, { "ipv6-addr", PAT_TYPE_IPV6 },
		{ "MD5", PAT_TYPE_MD5 }, { "SHA1", PAT_TYPE_SHA1 },
		{ "sha-1", PAT_TYPE_SHA1 }, { "SHA-256", PAT_TYPE_SHA256 },
		{ "file", PAT_TYPE_FILENAME }, { "file-name", PAT_TYPE_FILENAME },
		{ "FileName", PAT_TYPE_FILENAME }, { "uri", PAT_TYPE_URL },
		{ "link", PAT_TYPE_URL }, { "PCRE", PAT_TYPE_REGEX },
	};
	enum pat_type type;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pat_type_from_name(cases[i].name,
						    strlen(cases[i].name), &type), 0);
		assert_int_equal(type, cases[i].type);
	}
	assert_int_equal(pat_type_from_name("hash", 4, &type), -EINVAL);
	assert_int_equal(pat_type_from_name("domainx", 7, &type), -EINVAL);
	/* len, not the terminator, delimits the name */
	assert_int_equal(pat_type_from_name("urlx", 3, &type), 0);
	assert_int_equal(type, PAT_TYPE_URL);
}

static void
test_error_set(void **state)
{
	struct pat_error e;
	char long_name[400];

	(void)state;
	pat_error_set(&e, "feeds/a.csv", 7, "bad %s %d", "thing", 42);
	assert_string_equal(e.file, "feeds/a.csv");
	assert_int_equal(e.line, 7);
	assert_string_equal(e.message, "bad thing 42");
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	pat_error_set(&e, long_name, 0, "%s", long_name);
	assert_int_equal(strlen(e.file), sizeof(e.file) - 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	pat_error_set(NULL, "x", 1, "ignored");
}

/* ---- arena.c --------------------------------------------------------- */

static void
test_arena(void **state)
{
	struct pat_arena *a = pat_arena_new();
	char *s, *big;

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < 10000; i++) {
		void *p = pat_arena_alloc(a, (size_t)(i % 37) + 1);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xa5, (size_t)(i % 37) + 1);
	}
	big = pat_arena_alloc(a, 1 << 20);
	assert_non_null(big);
	memset(big, 0, 1 << 20);
	s = pat_arena_strndup(a, "abcdef", 3);
	assert_string_equal(s, "abc");
	assert_non_null(pat_arena_alloc(a, 0));
	pat_arena_free(a);
	pat_arena_free(NULL);
}

/* ---- CSV ------------------------------------------------------------- */

static void
test_csv_no_header(void **state)
{
	const struct pat_indicator *ind;

	(void)state;
	assert_int_equal(parse("domain,evil.com,c2;apt,https://x.test/r\n"
			       "md5,D41D8CD98F00B204E9800998ECF8427E\n",
			       PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 2);
	assert_string_equal(feed.name, "test");
	ind = &feed.items[0];
	assert_item(0, PAT_TYPE_DOMAIN, "evil.com");
	assert_string_equal(ind->tags, "c2,apt");
	assert_string_equal(ind->source, "https://x.test/r");
	assert_string_equal(ind->feed, "test");
	assert_int_equal(ind->line, 1);
	ind = &feed.items[1];
	assert_item(1, PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(ind->tags, "");
	assert_string_equal(ind->source, "");
	assert_int_equal(ind->line, 2);
}

static void
test_csv_header(void **state)
{
	(void)state;
	assert_int_equal(parse("Type,Value,Tags,Source\n"
			       "domain,evil.com,c2,vendor\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 1);
	assert_item(0, PAT_TYPE_DOMAIN, "evil.com");
	assert_string_equal(feed.items[0].tags, "c2");
	assert_string_equal(feed.items[0].source, "vendor");
	assert_int_equal(feed.items[0].line, 2);
}

static void
test_csv_header_source_url(void **state)
{
	(void)state;
	assert_int_equal(parse("type,value,source_url\n"
			       "domain,journalide.org,https://example.test/3cx\n",
			       PAT_FEED_AUTO), 0);
	assert_int_equal(feed.count, 1);
	assert_string_equal(feed.items[0].tags, "");
	assert_string_equal(feed.items[0].source, "https://example.test/3cx");
}

static void
test_csv_header_maps_columns(void **state)
{
	(void)state;
	/* unknown columns are ignored, known ones found by name */
	assert_int_equal(parse("type,comment,tags,value\n"
			       "url,not a tag,x|y,HTTP://A.test/P\n"
			       "domain,short row without value\n", PAT_FEED_CSV),
			 -EINVAL);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.message, "missing value field");
	assert_int_equal(parse("type,comment,tags,value\n"
			       "url,not a tag,x|y,HTTP://A.test/P\n", PAT_FEED_CSV), 0);
	assert_item(0, PAT_TYPE_URL, "a.test/P");
	assert_string_equal(feed.items[0].tags, "x,y");
}

static void
test_csv_header_errors(void **state)
{
	(void)state;
	assert_parse_error("type,tags\ndomain,x\n", PAT_FEED_CSV, 1,
			   "header has no 'value' column");
	assert_parse_error("type,value,Value\n", PAT_FEED_CSV, 1,
			   "duplicate column 'Value' in header");
	assert_parse_error("type,value\ndomain,a.test,extra\n", PAT_FEED_CSV, 2,
			   "too many fields (at most 2)");
	/* only the first data line can be a header */
	assert_parse_error("domain,a.test\ntype,value\n", PAT_FEED_CSV, 2,
			   "unknown type 'type'");
}

static void
test_csv_header_only(void **state)
{
	(void)state;
	assert_int_equal(parse("type,value\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 0);
	assert_int_equal(parse("", PAT_FEED_AUTO), 0);
	assert_int_equal(feed.count, 0);
	assert_string_equal(feed.name, "test");
}

static void
test_csv_quoted(void **state)
{
	const struct pat_indicator *ind;

	(void)state;
	ind = parse_one("filename,\"say \"\"hi\"\", ok.exe\", \"c2, apt ;;x|\" ,"
			"\"a,b\"\n", PAT_FEED_CSV);
	assert_string_equal(ind->value, "say \"hi\", ok.exe");
	assert_string_equal(ind->tags, "c2,apt,x");
	assert_string_equal(ind->source, "a,b");
}

static void
test_csv_quoted_empty_is_value_error(void **state)
{
	(void)state;
	assert_parse_error("domain,\"\"\n", PAT_FEED_CSV, 1, "empty value");
	assert_parse_error("domain,\"\"\"\"\"\"\n", PAT_FEED_CSV, 1,
			   "invalid character '\"' in domain");
}

static void
test_csv_unterminated_quote(void **state)
{
	(void)state;
	assert_parse_error("domain,a.test\n"
			   "# comment\n"
			   "domain,\"b.test\n"
			   "domain,c.test\"\n", PAT_FEED_CSV, 3,
			   "unterminated quoted field");
	assert_parse_error("domain,\"a.test\"\"\n", PAT_FEED_CSV, 1,
			   "unterminated quoted field");
}

static void
test_csv_text_after_quote(void **state)
{
	(void)state;
	assert_parse_error("domain,\"a.test\"x,tag\n", PAT_FEED_CSV, 1,
			   "unexpected character after quoted field");
}

static void
test_csv_too_short(void **state)
{
	(void)state;
	assert_parse_error("domain,a.test\ndomain\n", PAT_FEED_CSV, 2,
			   "missing value field");
	assert_parse_error(",a.test\n", PAT_FEED_CSV, 1, "missing type");
	assert_parse_error("domain,\n", PAT_FEED_CSV, 1, "empty value");
}

static void
test_csv_too_many_fields(void **state)
{
	(void)state;
	assert_parse_error("domain,a.test,t,s,x\n", PAT_FEED_CSV, 1,
			   "too many fields (at most 4)");
	/* a trailing comma is an empty fourth field, not a fifth */
	parse_one("domain,a.test,t,\n", PAT_FEED_CSV);
	assert_string_equal(feed.items[0].source, "");
}

static void
test_csv_unknown_type(void **state)
{
	(void)state;
	assert_parse_error("domain,a.test\n\nhash,abc\n", PAT_FEED_CSV, 3,
			   "unknown type 'hash'");
}

static void
test_comments_blank_crlf(void **state)
{
	(void)state;
	assert_int_equal(parse("\xef\xbb\xbf# exported 2023-03-30\r\n"
			       "\r\n"
			       "   \t\r\n"
			       "  # indented comment\r\n"
			       "domain,A.test\r\n"
			       "sha1,DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,x\r\n"
			       "domain,b.test", PAT_FEED_AUTO), 0);
	assert_int_equal(feed.count, 3);
	assert_item(0, PAT_TYPE_DOMAIN, "a.test");
	assert_int_equal(feed.items[0].line, 5);
	assert_item(1, PAT_TYPE_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(feed.items[1].tags, "x");
	assert_int_equal(feed.items[1].line, 6);
	assert_item(2, PAT_TYPE_DOMAIN, "b.test");
	assert_int_equal(feed.items[2].line, 7);
}

static void
test_csv_generic_ip(void **state)
{
	(void)state;
	assert_int_equal(parse("ip,2001:DB8::1\n"
			       "ip-dst,192.0.2.1\n"
			       "ip-src,[2001:db8::]/32\n"
			       "ipv4-addr,198.51.100.0/24\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 4);
	assert_item(0, PAT_TYPE_IPV6, "2001:db8::1");
	assert_item(1, PAT_TYPE_IPV4, "192.0.2.1");
	assert_item(2, PAT_TYPE_IPV6, "2001:db8::/32");
	assert_item(3, PAT_TYPE_IPV4, "198.51.100.0/24");
	/* an explicit ipv4 type is not second-guessed */
	assert_parse_error("ipv4,2001:db8::1\n", PAT_FEED_CSV, 1,
			   "invalid IPv4 address");
}

static void
test_tags_limit(void **state)
{
	char text[4096];
	size_t n;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "domain,a.test,\"");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "t%d;", i);
	snprintf(text + n, sizeof(text) - n, "\"\n");
	assert_parse_error(text, PAT_FEED_CSV, 1, "tags longer than 1024 bytes");
}

/* ---- plain and auto -------------------------------------------------- */

static void
test_plain_detection(void **state)
{
	(void)state;
	assert_int_equal(parse("evil.test\n"
			       "192.0.2.7\n"
			       "10.0.0.0/8\n"
			       "2001:db8::1\n"
			       "2001:db8::/32\n"
			       "D41D8CD98F00B204E9800998ECF8427E\n"
			       "da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
			       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
			       "https://evil.test/x\n"
			       "evil.test/payload.bin\n"
			       "3CXDesktopApp.exe\n"
			       "ffmpeg.dll\n", PAT_FEED_AUTO), 0);
	assert_int_equal(feed.count, 12);
	assert_item(0, PAT_TYPE_DOMAIN, "evil.test");
	assert_item(1, PAT_TYPE_IPV4, "192.0.2.7");
	assert_item(2, PAT_TYPE_IPV4, "10.0.0.0/8");
	assert_item(3, PAT_TYPE_IPV6, "2001:db8::1");
	assert_item(4, PAT_TYPE_IPV6, "2001:db8::/32");
	assert_item(5, PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_item(6, PAT_TYPE_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_item(7, PAT_TYPE_SHA256,
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_item(8, PAT_TYPE_URL, "evil.test/x");
	assert_item(9, PAT_TYPE_URL, "evil.test/payload.bin");
	assert_item(10, PAT_TYPE_FILENAME, "3CXDesktopApp.exe");
	assert_item(11, PAT_TYPE_FILENAME, "ffmpeg.dll");
	assert_string_equal(feed.items[11].tags, "");
	assert_string_equal(feed.items[11].source, "");
	assert_int_equal(feed.items[11].line, 12);
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
test_plain_undetectable(void **state)
{
	(void)state;
	assert_parse_error("evil.test\nUpdateAgent\n", PAT_FEED_PLAIN, 2,
			   "cannot detect the type of 'UpdateAgent'");
	assert_parse_error("10.1.2.3/8\n", PAT_FEED_PLAIN, 1,
			   "host bits set in CIDR");
}

static void
test_plain_forced(void **state)
{
	(void)state;
	/* a comma is only a CSV separator when the feed is CSV */
	assert_parse_error("# plain\nevil.test,x\n", PAT_FEED_PLAIN, 2,
			   "cannot detect the type of 'evil.test,x'");
	assert_parse_error("evil.test\n", PAT_FEED_CSV, 1,
			   "missing value field");
}

static void
test_auto_format(void **state)
{
	(void)state;
	/* the first data line decides, comments do not count */
	assert_int_equal(parse("# a, b\nevil.test\n", PAT_FEED_AUTO), 0);
	assert_item(0, PAT_TYPE_DOMAIN, "evil.test");
	assert_parse_error("# x\nevil.test\ndomain,a.test\n", PAT_FEED_AUTO, 3,
			   "cannot detect the type of 'domain,a.test'");
	assert_int_equal(parse("domain,a.test\n", PAT_FEED_AUTO), 0);
	assert_item(0, PAT_TYPE_DOMAIN, "a.test");
}

/* ---- normalization --------------------------------------------------- */

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
	const char *reason;

	(void)state;
	assert_int_equal(pat_normalize(arena, PAT_TYPE_IPV4, "10.0.0.0/8", 10,
				       &ind, &reason), 0);
	assert_string_equal(ind.value, "10.0.0.0/8");
	assert_int_equal(ind.prefix_len, 8);
	assert_memory_equal(ind.addr, "\x0a\x00\x00\x00", 4);
	assert_int_equal(pat_normalize(arena, PAT_TYPE_IPV4, "192.0.2.1/32", 12,
				       &ind, &reason), 0);
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
	const char *reason;

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
				       &ind, &reason), 0);
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
	assert_parse_error("domain,a.test\nregex,\"(evil\"\n", PAT_FEED_CSV, 2,
			   "invalid regex: Missing close parenthesis for group "
			   "started at index 0.");
}

static void
test_normalize_nul(void **state)
{
	struct pat_indicator ind;
	const char *reason;

	(void)state;
	assert_int_equal(pat_normalize(arena, PAT_TYPE_DOMAIN, "a\0b.test", 8,
				       &ind, &reason), -EINVAL);
	assert_string_equal(reason, "NUL byte in value");
}

/* ---- whole feeds ----------------------------------------------------- */

static void
test_duplicates_merge_tags(void **state)
{
	(void)state;
	assert_int_equal(parse("domain,evil.test,c2,first\n"
			       "domain,EVIL[.]test.,\"apt;c2\",second\n"
			       "domain,other.test,c2\n"
			       "domain,evil.test,\"x | apt\"\n"
			       "ipv4,10.0.0.0/8\n"
			       "ipv4,10.0.0.0/16\n"
			       "ipv4,10.0.0.0/8,y\n"
			       "filename,EVIL.exe\n"
			       "filename,evil.EXE,z\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 5);
	assert_int_equal(feed.duplicates, 4);
	assert_item(0, PAT_TYPE_DOMAIN, "evil.test");
	assert_string_equal(feed.items[0].tags, "c2,apt,x");
	assert_string_equal(feed.items[0].source, "first");
	assert_int_equal(feed.items[0].line, 1);
	assert_item(1, PAT_TYPE_DOMAIN, "other.test");
	assert_string_equal(feed.items[1].tags, "c2");
	assert_item(2, PAT_TYPE_IPV4, "10.0.0.0/8");
	assert_string_equal(feed.items[2].tags, "y");
	assert_item(3, PAT_TYPE_IPV4, "10.0.0.0/16");
	assert_item(4, PAT_TYPE_FILENAME, "EVIL.exe");
	assert_string_equal(feed.items[4].tags, "z");
}

static void
test_same_value_other_type(void **state)
{
	(void)state;
	/* the same text as a domain and as a file name: two indicators */
	assert_int_equal(parse("domain,evil.exe\nfilename,evil.exe\n",
			       PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 2);
	assert_int_equal(feed.duplicates, 0);
}

static void
test_all_or_nothing(void **state)
{
	(void)state;
	assert_parse_error("domain,a.test\n"
			   "domain,b.test\n"
			   "md5,abc\n"
			   "domain,c.test\n", PAT_FEED_CSV, 3,
			   "md5 must be 32 hex digits");
	assert_null(feed.name);
	/* a failed parse also drops what the feed held before */
	assert_int_equal(parse("domain,a.test\n", PAT_FEED_CSV), 0);
	assert_int_equal(pat_feed_parse(&feed, "t", "t.csv", "x\n", 2,
					PAT_FEED_PLAIN, &err), -EINVAL);
	assert_int_equal(feed.count, 0);
	assert_null(feed.items);
	/* and the feed is usable again */
	assert_int_equal(parse("domain,d.test\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 1);
	pat_feed_free(&feed);
	pat_feed_free(&feed);
}

/* text: "domain,a.test\n" then a url line of line_len bytes plus eol. */
static char *
long_feed(size_t line_len, const char *eol)
{
	size_t head = strlen("domain,a.test\n");
	char *text = malloc(head + line_len + strlen(eol) + 1);

	assert_non_null(text);
	memcpy(text, "domain,a.test\n", head);
	memset(text + head, 'a', line_len);
	memcpy(text + head, "url,x.test/", strlen("url,x.test/"));
	strcpy(text + head + line_len, eol);
	return text;
}

static void
test_long_line(void **state)
{
	char *text;

	(void)state;
	/* 64 KiB is allowed, not counting the line end */
	text = long_feed(64 * 1024, "\r\n");
	assert_int_equal(parse(text, PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 2);
	assert_int_equal(strlen(feed.items[1].value), 64 * 1024 - strlen("url,"));
	free(text);
	text = long_feed(64 * 1024 + 1, "");
	assert_parse_error(text, PAT_FEED_CSV, 2, "line longer than 65536 bytes");
	free(text);
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "domain,a.test\ndomain,b\0.test\n";

	(void)state;
	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "test", "test.csv", text,
					sizeof(text) - 1, PAT_FEED_AUTO, &err),
			 -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.message, "NUL byte in line");
	assert_int_equal(feed.count, 0);
}

static void
test_many_lines(void **state)
{
	const size_t lines = 100000;
	char *text = malloc(lines * 32);
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	/* every value twice: the second half repeats the first */
	for (size_t i = 0; i < lines; i++)
		n += (size_t)sprintf(text + n, "domain,h%zu.test,t%zu\n",
				     i % (lines / 2), i / (lines / 2));
	assert_int_equal(parse(text, PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, lines / 2);
	assert_int_equal(feed.duplicates, lines / 2);
	assert_item(123, PAT_TYPE_DOMAIN, "h123.test");
	assert_string_equal(feed.items[123].tags, "t0,t1");
	free(text);
}

static char tmp_dir[64];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_load_file(void **state)
{
	char path[128];

	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/test_feed.XXXXXX");
	assert_non_null(mkdtemp(tmp_dir));
	snprintf(path, sizeof(path), "%s/3cx.csv", tmp_dir);
	write_file(path, "type,value,source_url\n"
		   "domain,journalide.org,https://example.test\n"
		   "filename,ffmpeg.dll,https://example.test\n");
	pat_feed_init(&feed);
	assert_int_equal(pat_feed_load_file(&feed, path, PAT_FEED_AUTO, &err), 0);
	assert_string_equal(feed.name, "3cx");
	assert_int_equal(feed.count, 2);
	assert_string_equal(feed.items[1].feed, "3cx");
	assert_string_equal(feed.items[1].value, "ffmpeg.dll");
	/* errors name the path */
	write_file(path, "domain,ok.test\ndomain,bad_*\n");
	assert_int_equal(pat_feed_load_file(&feed, path, PAT_FEED_AUTO, &err),
			 -EINVAL);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.message, "invalid character '*' in domain");
	assert_int_equal(feed.count, 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmp_dir), 0);
}

static void
test_load_file_missing(void **state)
{
	(void)state;
	pat_feed_init(&feed);
	assert_int_equal(pat_feed_load_file(&feed, "/nonexistent/feed.csv",
					    PAT_FEED_AUTO, &err), -ENOENT);
	assert_string_equal(err.file, "/nonexistent/feed.csv");
	assert_int_equal(err.line, 0);
	assert_string_equal(err.message, "No such file or directory");
	assert_int_equal(feed.count, 0);
}

static void
test_load_file_plain_name(void **state)
{
	char path[128];

	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/test_feed.XXXXXX");
	assert_non_null(mkdtemp(tmp_dir));
	snprintf(path, sizeof(path), "%s/c2.domains.txt", tmp_dir);
	write_file(path, "evil[.]test\n");
	pat_feed_init(&feed);
	assert_int_equal(pat_feed_load_file(&feed, path, PAT_FEED_AUTO, &err), 0);
	assert_string_equal(feed.name, "c2.domains");
	assert_item(0, PAT_TYPE_DOMAIN, "evil.test");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmp_dir), 0);
}

/* ---- metadata values and IDNs ---------------------------------------- */

static void
assert_time(const char *text, int64_t expected)
{
	const char *reason = NULL;
	int64_t seconds = -1;
	int rc = pat_parse_time(text, strlen(text), &seconds, &reason);

	if (rc != 0)
		print_error("%s: %s\n", text, reason);
	assert_int_equal(rc, 0);
	assert_int_equal(seconds, expected);
}

static void
assert_time_error(const char *text, const char *expected)
{
	const char *reason = NULL;
	int64_t seconds = 42;

	assert_int_equal(pat_parse_time(text, strlen(text), &seconds, &reason),
			 -EINVAL);
	assert_int_equal(seconds, 42);
	assert_non_null(reason);
	assert_string_equal(reason, expected);
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
	const char *reason = NULL;
	uint8_t severity = 0xff;

	assert_int_equal(pat_parse_severity(text, strlen(text), &severity,
					    &reason), 0);
	assert_int_equal(severity, expected);
}

static void
assert_severity_error(const char *text, const char *expected)
{
	const char *reason = NULL;
	uint8_t severity = 0xff;

	assert_int_equal(pat_parse_severity(text, strlen(text), &severity,
					    &reason), -EINVAL);
	assert_int_equal(severity, 0xff);
	assert_string_equal(reason, expected);
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
	assert_int_equal(parse("bücher.example\nhttps://bücher.example/Pfad\n",
			       PAT_FEED_PLAIN), 0);
	assert_int_equal(feed.count, 2);
	assert_item(0, PAT_TYPE_DOMAIN, "xn--bcher-kva.example");
	assert_item(1, PAT_TYPE_URL, "xn--bcher-kva.example/Pfad");
	assert_parse_error("domain,a.test\ndomain,\xff.test\n", PAT_FEED_CSV, 2,
			   "invalid internationalized domain: string encoding error");
}

static void
test_csv_metadata(void **state)
{
	static const char *const first_names[] = {
		"first_seen", "FirstSeen", "first-seen",
	};
	static const char *const expiry_names[] = {
		"expires", "Expiry", "valid_until", "EXPIRATION",
	};
	const struct pat_indicator *ind;
	char text[256];

	(void)state;
	assert_int_equal(parse("type,value,Severity,first_seen,expires\n"
			       "domain,a.test,high,2023-03-29,"
			       "2023-04-29T00:00:00Z\n"
			       "domain,b.test,,,\n"
			       "domain,c.test,4\n"
			       "domain,d.test\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 4);
	assert_item(0, PAT_TYPE_DOMAIN, "a.test");
	assert_int_equal(feed.items[0].severity, PAT_SEVERITY_HIGH);
	assert_int_equal(feed.items[0].first_seen, 1680048000);
	assert_int_equal(feed.items[0].expires, 1682726400);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(feed.items[i].first_seen, 0);
		assert_int_equal(feed.items[i].expires, 0);
	}
	assert_int_equal(feed.items[1].severity, PAT_SEVERITY_UNSET);
	assert_int_equal(feed.items[2].severity, PAT_SEVERITY_CRITICAL);
	assert_int_equal(feed.items[3].severity, PAT_SEVERITY_UNSET);

	/* Aliases, any order and case, among ignored columns. */
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 4; j++) {
			snprintf(text, sizeof(text),
				 "type,%s,comment,value,%s,severity\n"
				 "domain,1680084000,x,evil.test,"
				 "2023-03-29T12:00:00+02:00,Low\n",
				 expiry_names[j], first_names[i]);
			ind = parse_one(text, PAT_FEED_AUTO);
			assert_string_equal(ind->value, "evil.test");
			assert_int_equal(ind->severity, PAT_SEVERITY_LOW);
			assert_int_equal(ind->first_seen, 1680084000);
			assert_int_equal(ind->expires, 1680084000);
		}
	}

	/* Without a header the columns stay type,value,tags,source. */
	assert_parse_error("domain,a.test,c2,src,high\n", PAT_FEED_CSV, 1,
			   "too many fields (at most 4)");
	ind = parse_one("domain,a.test,high,2023-03-29\n", PAT_FEED_CSV);
	assert_string_equal(ind->tags, "high");
	assert_string_equal(ind->source, "2023-03-29");
	assert_int_equal(ind->severity, PAT_SEVERITY_UNSET);
	assert_int_equal(ind->first_seen, 0);
	assert_int_equal(ind->expires, 0);
}

static void
test_csv_metadata_errors(void **state)
{
	(void)state;
	assert_parse_error("type,value,severity\n"
			   "domain,a.test,low\n"
			   "domain,b.test,urgent\n", PAT_FEED_CSV, 3,
			   "invalid severity 'urgent': expected low, medium, "
			   "high, critical or 1-4");
	assert_parse_error("type,value,first_seen\n"
			   "domain,a.test,2023-03-29\n"
			   "\n"
			   "domain,b.test,2023-02-29\n", PAT_FEED_CSV, 4,
			   "first_seen: invalid time '2023-02-29': "
			   "day out of range");
	assert_parse_error("type,value,valid_until\n"
			   "domain,a.test,2023-13-01\n", PAT_FEED_CSV, 2,
			   "expires: invalid time '2023-13-01': "
			   "month out of range");
	assert_parse_error("type,value,expires\n"
			   "domain,a.test,\"2023-03-29T25:00:00Z\"\n", PAT_FEED_CSV,
			   2, "expires: invalid time '2023-03-29T25:00:00Z': "
			   "hour out of range");
	assert_parse_error("type,value,expiry,expires\n", PAT_FEED_CSV, 1,
			   "duplicate column 'expires' in header");
	assert_parse_error("type,value,firstseen,first-seen\n", PAT_FEED_CSV, 1,
			   "duplicate column 'first-seen' in header");
}

static void
test_duplicates_merge_metadata(void **state)
{
	(void)state;
	assert_int_equal(parse("type,value,severity,first_seen,expires\n"
			       "domain,a.test,medium,2023-03-29,2023-05-01\n"
			       "domain,A.test,high,2023-03-01,2023-06-01\n"
			       "domain,a.test.,low,2023-04-01,2023-04-01\n"
			       "domain,b.test,,2023-03-29,2023-05-01\n"
			       "domain,b.test,low,,\n"
			       "domain,c.test,critical,,2023-05-01\n"
			       "domain,c.test,,2023-03-29,\n"
			       "domain,c.test,low,2023-03-01,2023-06-01\n"
			       "domain,d.test,,,\n"
			       "domain,d.test,,,\n", PAT_FEED_CSV), 0);
	assert_int_equal(feed.count, 4);
	assert_int_equal(feed.duplicates, 6);
	/* Highest severity, earliest first seen, latest expiry. */
	assert_item(0, PAT_TYPE_DOMAIN, "a.test");
	assert_int_equal(feed.items[0].line, 2);
	assert_int_equal(feed.items[0].severity, PAT_SEVERITY_HIGH);
	assert_int_equal(feed.items[0].first_seen, 1677628800);
	assert_int_equal(feed.items[0].expires, 1685577600);
	/* An absent first seen does not win; an absent expiry (never) does. */
	assert_item(1, PAT_TYPE_DOMAIN, "b.test");
	assert_int_equal(feed.items[1].severity, PAT_SEVERITY_LOW);
	assert_int_equal(feed.items[1].first_seen, 1680048000);
	assert_int_equal(feed.items[1].expires, 0);
	assert_item(2, PAT_TYPE_DOMAIN, "c.test");
	assert_int_equal(feed.items[2].severity, PAT_SEVERITY_CRITICAL);
	assert_int_equal(feed.items[2].first_seen, 1677628800);
	assert_int_equal(feed.items[2].expires, 0);
	assert_item(3, PAT_TYPE_DOMAIN, "d.test");
	assert_int_equal(feed.items[3].severity, PAT_SEVERITY_UNSET);
	assert_int_equal(feed.items[3].first_seen, 0);
	assert_int_equal(feed.items[3].expires, 0);
}

#define FEED_TEST(fn) cmocka_unit_test_teardown(fn, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FEED_TEST(test_type_names),
		FEED_TEST(test_type_aliases),
		FEED_TEST(test_error_set),
		FEED_TEST(test_arena),
		FEED_TEST(test_csv_no_header),
		FEED_TEST(test_csv_header),
		FEED_TEST(test_csv_header_source_url),
		FEED_TEST(test_csv_header_maps_columns),
		FEED_TEST(test_csv_header_errors),
		FEED_TEST(test_csv_header_only),
		FEED_TEST(test_csv_quoted),
		FEED_TEST(test_csv_quoted_empty_is_value_error),
		FEED_TEST(test_csv_unterminated_quote),
		FEED_TEST(test_csv_text_after_quote),
		FEED_TEST(test_csv_too_short),
		FEED_TEST(test_csv_too_many_fields),
		FEED_TEST(test_csv_unknown_type),
		FEED_TEST(test_comments_blank_crlf),
		FEED_TEST(test_csv_generic_ip),
		FEED_TEST(test_tags_limit),
		FEED_TEST(test_plain_detection),
		FEED_TEST(test_detect_type),
		FEED_TEST(test_plain_undetectable),
		FEED_TEST(test_plain_forced),
		FEED_TEST(test_auto_format),
		FEED_TEST(test_refang),
		FEED_TEST(test_trim),
		FEED_TEST(test_domain_rules),
		FEED_TEST(test_ipv4_rules),
		FEED_TEST(test_ipv6_rules),
		FEED_TEST(test_hash_rules),
		FEED_TEST(test_filename_rules),
		FEED_TEST(test_url_rules),
		FEED_TEST(test_regex_rules),
		FEED_TEST(test_normalize_nul),
		FEED_TEST(test_duplicates_merge_tags),
		FEED_TEST(test_same_value_other_type),
		FEED_TEST(test_all_or_nothing),
		FEED_TEST(test_long_line),
		FEED_TEST(test_nul_byte),
		FEED_TEST(test_many_lines),
		FEED_TEST(test_load_file),
		FEED_TEST(test_load_file_missing),
		FEED_TEST(test_load_file_plain_name),
		FEED_TEST(test_time_formats),
		FEED_TEST(test_time_errors),
		FEED_TEST(test_severity),
		FEED_TEST(test_idn),
		FEED_TEST(test_csv_metadata),
		FEED_TEST(test_csv_metadata_errors),
		FEED_TEST(test_duplicates_merge_metadata),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
