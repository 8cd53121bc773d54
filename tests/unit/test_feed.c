/* test_feed.c -- feed reader: formats, duplicates, files and errors
 * (the value rules: test_normalize.c). */
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

/* Shared by the tests; freed by the group teardown. */
static struct pat_arena *arena;
static struct pat_feed feed;
static struct error_detail err;

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
	assert_string_equal(err.where, "test.csv");
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
		print_error("parse: %s:%u: %s\n", err.where, err.line, err.message);
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
	struct error_detail e;
	char long_name[400];

	(void)state;
	error_detail_set(&e, "feeds/a.csv", 7, "bad %s %d", "thing", 42);
	assert_string_equal(e.where, "feeds/a.csv");
	assert_int_equal(e.line, 7);
	assert_string_equal(e.message, "bad thing 42");
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	error_detail_set(&e, long_name, 0, "%s", long_name);
	assert_int_equal(strlen(e.where), sizeof(e.where) - 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	error_detail_set(NULL, "x", 1, "ignored");
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

/* A value the rules reject fails the feed at its line. */
static void
test_csv_value_error(void **state)
{
	(void)state;
	assert_parse_error("domain,a.test\nregex,\"(evil\"\n", PAT_FEED_CSV, 2,
			   "invalid regex: Missing close parenthesis for group "
			   "started at index 0.");
}

/* IDNs in feeds: written as punycode; an invalid one fails its line. */
static void
test_idn_feed(void **state)
{
	(void)state;
	assert_int_equal(parse("bücher.example\nhttps://bücher.example/Pfad\n",
			       PAT_FEED_PLAIN), 0);
	assert_int_equal(feed.count, 2);
	assert_item(0, PAT_TYPE_DOMAIN, "xn--bcher-kva.example");
	assert_item(1, PAT_TYPE_URL, "xn--bcher-kva.example/Pfad");
	assert_parse_error("domain,a.test\ndomain,\xff.test\n", PAT_FEED_CSV, 2,
			   "invalid internationalized domain: string encoding error");
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
	assert_string_equal(err.where, path);
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
	assert_string_equal(err.where, "/nonexistent/feed.csv");
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

/* ---- metadata ---------------------------------------------------------- */

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
		FEED_TEST(test_plain_undetectable),
		FEED_TEST(test_plain_forced),
		FEED_TEST(test_auto_format),
		FEED_TEST(test_csv_value_error),
		FEED_TEST(test_idn_feed),
		FEED_TEST(test_duplicates_merge_tags),
		FEED_TEST(test_same_value_other_type),
		FEED_TEST(test_all_or_nothing),
		FEED_TEST(test_long_line),
		FEED_TEST(test_nul_byte),
		FEED_TEST(test_many_lines),
		FEED_TEST(test_load_file),
		FEED_TEST(test_load_file_missing),
		FEED_TEST(test_load_file_plain_name),
		FEED_TEST(test_csv_metadata),
		FEED_TEST(test_csv_metadata_errors),
		FEED_TEST(test_duplicates_merge_metadata),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
