/* test_feed_formats.c -- STIX, MISP, Zeek and Suricata feeds: values,
 * metadata, what is skipped and what is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"
#include "indicator.h"

static struct pat_feed feed;
static struct error_detail err;

static int
test_teardown(void **state)
{
	(void)state;
	pat_feed_free(&feed);
	return 0;
}

static int
parse(const char *text, enum pat_feed_format format)
{
	memset(&err, 0, sizeof(err));
	return pat_feed_parse(&feed, "test", "feed.txt", text, strlen(text),
			      format, &err);
}

static void
parse_ok(const char *text, enum pat_feed_format format, size_t count,
	 size_t skipped)
{
	int rc = parse(text, format);

	if (rc != 0)
		print_error("parse: %s:%u: %s\n", err.where, err.line, err.message);
	assert_int_equal(rc, 0);
	assert_int_equal(feed.count, count);
	assert_int_equal(feed.skipped, skipped);
}

/* All or nothing: an error leaves nothing behind. A message ending in
 * "..." is a prefix (the rest is normalize.c's wording). */
static void
parse_error(const char *text, enum pat_feed_format format, unsigned int line,
	    const char *message)
{
	size_t n = strlen(message);

	assert_int_equal(parse(text, format), -EINVAL);
	assert_string_equal(err.where, "feed.txt");
	if (n > 3 && strcmp(message + n - 3, "...") == 0)
		n -= 3;
	else
		n = sizeof(err.message);
	if (strncmp(err.message, message, n) != 0)
		print_error("message: %s\n", err.message);
	assert_true(strncmp(err.message, message, n) == 0);
	assert_int_equal(err.line, line);
	assert_int_equal(feed.count, 0);
	assert_null(feed.items);
}

static const struct pat_indicator *
item(size_t i, enum pat_type type, const char *value)
{
	assert_true(i < feed.count);
	assert_int_equal(feed.items[i].type, type);
	assert_string_equal(feed.items[i].value, value);
	return &feed.items[i];
}

/* ---- STIX ---------------------------------------------------------------- */

static const char stix_bundle[] =
	"{\"type\": \"bundle\", \"id\": \"bundle--1\", \"objects\": [\n"
	" {\"type\": \"identity\", \"spec_version\": \"2.1\", \"name\": \"x\"},\n"
	" {\"type\": \"indicator\", \"spec_version\": \"2.1\",\n"
	"  \"id\": \"indicator--a\", \"pattern_type\": \"stix\",\n"
	"  \"pattern\": \"[domain-name:value = 'journalide.org']\",\n"
	"  \"labels\": [\"3cx\", \"c2\"],\n"
	"  \"created\": \"2023-03-30T10:00:00Z\",\n"
	"  \"valid_from\": \"2023-03-29T00:00:00Z\",\n"
	"  \"valid_until\": \"2024-01-01T00:00:00Z\"},\n"
	" {\"type\": \"indicator\", \"id\": \"indicator--b\",\n"
	"  \"pattern\": \"[ipv4-addr:value = '198.51.100.0/24' OR "
	"ipv6-addr:value = '2001:DB8::1'] OR [url:value = "
	"'https://EVIL.test/x'] OR ([file:hashes.'SHA-256' = "
	"'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"
	"])\",\n"
	"  \"created\": \"2023-03-30T10:00:00Z\"},\n"
	" {\"type\": \"indicator\", \"id\": \"indicator--c\", \"pattern\":\n"
	"  \"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR "
	"file:hashes.'sha1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709' OR "
	"file:name = 'it\\\\'s.exe']\"},\n"
	" {\"type\": \"indicator\", \"revoked\": true,\n"
	"  \"pattern\": \"[domain-name:value = 'revoked.test']\"},\n"
	" {\"type\": \"indicator\", \"pattern_type\": \"sigma\",\n"
	"  \"pattern\": \"title: x\"},\n"
	" {\"type\": \"indicator\", \"pattern\":\n"
	"  \"[file:name = 'a.exe' AND file:size = 5]\"},\n"
	" {\"type\": \"relationship\", \"spec_version\": \"2.1\"}\n"
	"]}\n";

static void
test_stix_bundle(void **state)
{
	const struct pat_indicator *ind;

	(void)state;
	parse_ok(stix_bundle, PAT_FEED_AUTO, 8, 5);
	ind = item(0, PAT_TYPE_DOMAIN, "journalide.org");
	assert_string_equal(ind->tags, "3cx,c2");
	assert_string_equal(ind->source, "stix:indicator--a");
	assert_int_equal(ind->first_seen, 1680048000);  /* valid_from */
	assert_int_equal(ind->expires, 1704067200);
	assert_int_equal(ind->line, 2);                 /* objects[1] */
	ind = item(1, PAT_TYPE_IPV4, "198.51.100.0/24");
	assert_int_equal(ind->prefix_len, 24);
	assert_int_equal(ind->first_seen, 1680170400);  /* created */
	assert_int_equal(ind->expires, 0);
	assert_string_equal(ind->tags, "");
	item(2, PAT_TYPE_IPV6, "2001:db8::1");
	item(3, PAT_TYPE_URL, "evil.test/x");
	item(4, PAT_TYPE_SHA256,
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	item(5, PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	item(6, PAT_TYPE_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	item(7, PAT_TYPE_FILENAME, "it's.exe");
	/* identity, revoked, sigma, AND, relationship: the unsupported
	 * sigma pattern is the reason reported, not the identity. */
	assert_string_equal(feed.first_skip,
			    "/objects/5/pattern_type: pattern_type 'sigma' is not supported");
	/* The override reads the same bundle. */
	parse_ok(stix_bundle, PAT_FEED_STIX, 8, 5);
}

static const char stix_and[] =
	"{\"type\": \"bundle\", \"objects\": [\n"
	" {\"type\": \"identity\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[file:name = 'a.exe'] AND "
	"[domain-name:value = 'a.test']\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[file:name LIKE 'a%']\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[file:name = 'a.exe'] "
	"FOLLOWEDBY [file:name = 'b.exe']\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[process:name = 'a.exe']\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[file:hashes.'SHA-512' = "
	"'00']\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[domain-name:value = "
	"'a.test'] WITHIN 5 SECONDS\"},\n"
	" {\"type\": \"indicator\", \"pattern\": \"[domain-name:value != "
	"'a.test']\"}\n"
	"]}";

static void
test_stix_unsupported(void **state)
{
	(void)state;
	parse_ok(stix_and, PAT_FEED_AUTO, 0, 8);
	assert_string_equal(feed.first_skip,
			    "/objects/1/pattern: AND is not supported");
}

static void
test_stix_errors(void **state)
{
	(void)state;
	parse_error("{\"type\": \"bundle\",\n \"objects\": [\n  {\"type\": 1,}\n]}",
		    PAT_FEED_AUTO, 3, "invalid JSON at column 14: string or '}' "
		    "expected near '}'");
	/* Truncated: the error is at the end. */
	parse_error("{\"type\": \"bundle\", \"objects\": [\n {\"type\": \"indi",
		    PAT_FEED_STIX, 2, "invalid JSON at column 15: premature end "
		    "of input near '\"indi'");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": \"identity\"},"
		    " {\"type\": \"indicator\", \"pattern\": "
		    "\"[domain-name:value = 'a.test'\"}]}", PAT_FEED_AUTO, 0,
		    "/objects/1/pattern: STIX pattern syntax error: expected ']' "
		    "at offset 29");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", "
		    "\"pattern\": \"[domain-name:value = 'a\\\\n']\"}]}",
		    PAT_FEED_AUTO, 0, "/objects/0/pattern: STIX pattern syntax "
		    "error: invalid escape (only \\' and \\\\) at offset 23");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", "
		    "\"pattern\": \"[file:hashes.MD5 = 'abcd']\"}]}",
		    PAT_FEED_AUTO, 0, "/objects/0/pattern: md5 must be 32 hex "
		    "digits");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", "
		    "\"pattern\": \"[ipv4-addr:value = '300.1.2.3']\"}]}",
		    PAT_FEED_AUTO, 0, "/objects/0/pattern: invalid IPv4 address");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", "
		    "\"pattern\": \"[domain-name:value = 'ev!l.test']\"}]}",
		    PAT_FEED_AUTO, 0, "/objects/0/pattern: invalid character '!' "
		    "in domain");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", "
		    "\"pattern\": \"[domain-name:value = 'a.test']\", "
		    "\"valid_until\": \"soon\"}]}", PAT_FEED_AUTO, 0,
		    "/objects/0/valid_until: invalid time 'soon'...");
	parse_error("{\"type\": \"bundle\", \"objects\": [{\"type\": "
		    "\"indicator\"}]}", PAT_FEED_AUTO, 0,
		    "/objects/0/pattern: missing");
	parse_error("{\"Event\": {}}", PAT_FEED_STIX, 0,
		    "not a STIX bundle: the top level needs \"type\": \"bundle\"");
	parse_error("{\"foo\": 1}", PAT_FEED_AUTO, 0, "JSON feed of unknown kind: "
		    "expected a STIX 2.1 bundle or a MISP event export");
}

/* ---- MISP ------------------------------------------------------------------ */

static const char misp_csv[] =
	"uuid,event_id,category,type,value,comment,to_ids,date,"
	"object_relation,attribute_tag\n"
	"u1,42,Network activity,domain,Journalide.org,c2,1,1680048000,,"
	"\"tlp:white,3cx\"\n"
	"u2,42,Network activity,ip-dst|port,198.51.100.7|443,,1,,,\n"
	"u3,42,Payload delivery,filename|md5,"
	"C:\\Users\\x\\3CXDesktopApp.exe|D41D8CD98F00B204E9800998ECF8427E,,1,,,\n"
	"u4,42,Network activity,domain,benign.test,,0,,,\n"
	"u5,42,Network activity,uri,/x/y,,1,,,\n"
	"u6,42,Other,regexp,a.*b,,1,,,\n"
	"u7,43,Network activity,domain|ip,evil.test|2001:db8::2,,1,,,\n";

static void
test_misp_csv(void **state)
{
	const struct pat_indicator *ind;

	(void)state;
	parse_ok(misp_csv, PAT_FEED_AUTO, 6, 3);
	ind = item(0, PAT_TYPE_DOMAIN, "journalide.org");
	assert_string_equal(ind->tags, "tlp:white,3cx,Network activity");
	assert_string_equal(ind->source, "misp:event/42");
	assert_int_equal(ind->first_seen, 1680048000);
	assert_int_equal(ind->line, 2);
	ind = item(1, PAT_TYPE_IPV4, "198.51.100.7");
	assert_int_equal(ind->first_seen, 0);
	item(2, PAT_TYPE_FILENAME, "3CXDesktopApp.exe");
	ind = item(3, PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(ind->tags, "Payload delivery");
	item(4, PAT_TYPE_DOMAIN, "evil.test");
	ind = item(5, PAT_TYPE_IPV6, "2001:db8::2");
	assert_string_equal(ind->source, "misp:event/43");
	/* to_ids=0 is MISP's own "not for detection": uri is reported. */
	assert_string_equal(feed.first_skip,
			    "line 6: MISP type 'uri' (a path without a host) is "
			    "not supported");
	parse_ok(misp_csv, PAT_FEED_MISP_CSV, 6, 3);
}

static void
test_misp_csv_errors(void **state)
{
	(void)state;
	parse_error("uuid,event_id,category,type,value,comment,to_ids\n"
		    "u1,1,Network activity,ip-src,10.0.0.300,,1\n", PAT_FEED_AUTO,
		    2, "invalid IPv4 address");
	parse_error("uuid,event_id,category,type,value,comment,to_ids\n"
		    "u1,1,Network activity,ip-src,10.0.0.1,,maybe\n",
		    PAT_FEED_AUTO, 2, "to_ids must be 0 or 1");
	parse_error("uuid,event_id,category,type,value,comment,to_ids\n"
		    "u1,1,Payload delivery,sha1,abc,,1\n", PAT_FEED_AUTO, 2,
		    "sha1 must be 40 hex digits");
	parse_error("domain,evil.test\n", PAT_FEED_MISP_CSV, 1,
		    "no MISP CSV header (uuid,event_id,category,type,value,...): "
		    "it needs 'type' and 'value' columns");
	/* iocsift's own CSV header is not MISP's. */
	parse_ok("type,value\ndomain,a.test\n", PAT_FEED_AUTO, 1, 0);
}

static const char misp_event[] =
	"{\"Event\": {\"uuid\": \"5e1f\", \"info\": \"3CX\",\n"
	" \"Tag\": [{\"name\": \"tlp:white\"}, {\"name\": \"3cx\"}],\n"
	" \"Attribute\": [\n"
	"  {\"type\": \"domain\", \"value\": \"journalide.org\", \"to_ids\": true,\n"
	"   \"timestamp\": \"1680048000\", \"Tag\": [{\"name\": \"c2\"}]},\n"
	"  {\"type\": \"ip-dst\", \"value\": \"2001:DB8::7\", \"to_ids\": true},\n"
	"  {\"type\": \"domain\", \"value\": \"benign.test\", \"to_ids\": false},\n"
	"  {\"type\": \"email-src\", \"value\": \"a@b.test\", \"to_ids\": true},\n"
	"  {\"type\": \"domain\", \"value\": \"gone.test\", \"deleted\": true}\n"
	" ],\n"
	" \"Object\": [{\"name\": \"file\", \"Attribute\": [\n"
	"  {\"type\": \"sha256\", \"value\": "
	"\"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\","
	" \"to_ids\": \"1\", \"timestamp\": 1680170400},\n"
	"  {\"type\": \"filename\", \"value\": \"ffmpeg.dll\", \"to_ids\": \"0\"}\n"
	" ]}]\n"
	"}}\n";

static void
test_misp_json(void **state)
{
	const struct pat_indicator *ind;
	char text[sizeof(misp_event) + 64];

	(void)state;
	parse_ok(misp_event, PAT_FEED_AUTO, 3, 4);
	ind = item(0, PAT_TYPE_DOMAIN, "journalide.org");
	assert_string_equal(ind->tags, "tlp:white,3cx,c2");
	assert_string_equal(ind->source, "misp:5e1f");
	assert_int_equal(ind->first_seen, 1680048000);
	assert_int_equal(ind->line, 1);
	ind = item(1, PAT_TYPE_IPV6, "2001:db8::7");
	assert_string_equal(ind->tags, "tlp:white,3cx");
	ind = item(2, PAT_TYPE_SHA256,
		   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_int_equal(ind->first_seen, 1680170400);
	assert_int_equal(ind->line, 6);
	assert_string_equal(feed.first_skip, "/Event/Attribute/3/value: MISP "
			    "type 'email-src' is not supported");
	/* A list of events, and a restSearch response. */
	snprintf(text, sizeof(text), "[%s]", misp_event);
	parse_ok(text, PAT_FEED_AUTO, 3, 4);
	snprintf(text, sizeof(text), "{\"response\": [%s]}", misp_event);
	parse_ok(text, PAT_FEED_MISP_JSON, 3, 4);
}

static void
test_misp_json_errors(void **state)
{
	(void)state;
	parse_error("{\"5e1f-uuid\": {\"info\": \"3CX\", \"timestamp\": \"1\"},\n"
		    " \"6a2b-uuid\": {\"info\": \"other\"}}", PAT_FEED_AUTO, 0,
		    "MISP feed manifest: load the event files it lists "
		    "(5e1f-uuid.json, ...) instead");
	parse_error("{\"Event\": {\"Attribute\": [\n"
		    " {\"type\": \"domain\", \"value\": \"a.test\"},\n"
		    " {\"type\": \"domain\" \"value\": \"b.test\"}]}}",
		    PAT_FEED_AUTO, 3, "invalid JSON at column 26: '}' expected "
		    "near '\"value\"'");
	parse_error("{\"Event\": {\"Attribute\": [\n"
		    " {\"type\": \"domain\", \"value\": \"a.test\"},\n"
		    " {\"type\": \"ip-dst\", \"value\": \"10.1.1\"}]}}",
		    PAT_FEED_AUTO, 0, "/Event/Attribute/1/value: invalid IPv4 "
		    "address");
	parse_error("[{\"Event\": {\"Object\": [{\"Attribute\": "
		    "[{\"type\": \"domain\"}]}]}}]", PAT_FEED_AUTO, 0,
		    "/0/Event/Object/0/Attribute/0: needs \"type\" and \"value\" "
		    "strings");
}

/* ---- Zeek ------------------------------------------------------------------ */

static const char zeek_intel[] =
	"#separator \\x09\n"
	"#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
	"198.51.100.7\tIntel::ADDR\tvendor-a\tc2 server\n"
	"2001:db8::/32\tIntel::SUBNET\t-\t-\n"
	"Journalide.org\tIntel::DOMAIN\tvendor-a\t-\n"
	"evil.test/x\tIntel::URL\tvendor-b\t-\n"
	"D41D8CD98F00B204E9800998ECF8427E\tIntel::FILE_HASH\t-\t-\n"
	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	"\tIntel::FILE_HASH\t-\t-\n"
	"3CXDesktopApp.exe\tIntel::FILE_NAME\t-\t-\n"
	"a@b.test\tIntel::EMAIL\t-\t-\n"
	"admin\tIntel::USER_NAME\t-\t-\n";

static void
test_zeek(void **state)
{
	const struct pat_indicator *ind;

	(void)state;
	parse_ok(zeek_intel, PAT_FEED_AUTO, 7, 2);
	ind = item(0, PAT_TYPE_IPV4, "198.51.100.7");
	assert_string_equal(ind->source, "vendor-a");
	assert_string_equal(ind->tags, "");
	assert_int_equal(ind->line, 3);
	ind = item(1, PAT_TYPE_IPV6, "2001:db8::/32");
	assert_string_equal(ind->source, "");
	item(2, PAT_TYPE_DOMAIN, "journalide.org");
	item(3, PAT_TYPE_URL, "evil.test/x");
	item(4, PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	item(5, PAT_TYPE_SHA256,
	     "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	item(6, PAT_TYPE_FILENAME, "3CXDesktopApp.exe");
	assert_string_equal(feed.first_skip,
			    "line 10: Intel::EMAIL is not supported");
	/* Columns in another order, named with spaces. */
	parse_ok("#fields indicator_type indicator\nIntel::DOMAIN\ta.test\n",
		 PAT_FEED_ZEEK, 1, 0);
	item(0, PAT_TYPE_DOMAIN, "a.test");
}

static void
test_zeek_errors(void **state)
{
	(void)state;
	parse_error("a.test\tIntel::DOMAIN\n", PAT_FEED_ZEEK, 1,
		    "data before the #fields header line");
	parse_error("#comment only\n", PAT_FEED_ZEEK, 0, "no #fields header line");
	parse_error("#fields\tindicator\tindicator_type\n"
		    "abcdef\tIntel::FILE_HASH\n", PAT_FEED_AUTO, 2,
		    "Intel::FILE_HASH of 6 characters: not an md5, sha1 or sha256");
	parse_error("#fields\tindicator\tindicator_type\n"
		    "ev!l.test\tIntel::DOMAIN\n", PAT_FEED_AUTO, 2,
		    "invalid character '!' in domain");
	parse_error("#fields\tindicator\tindicator_type\n"
		    "10.0.0.1\tADDR\n", PAT_FEED_AUTO, 2,
		    "unknown indicator_type 'ADDR'");
	parse_error("#fields\tindicator\tmeta.source\n", PAT_FEED_AUTO, 1,
		    "#fields needs 'indicator' and 'indicator_type'");
}

/* ---- Suricata ------------------------------------------------------------- */

static void
test_suricata(void **state)
{
	(void)state;
	parse_ok("ZXZpbC5leGFtcGxlLmNvbQ==\n"
		 "MTk4LjUxLjEwMC43,1\n"                    /* datarep value */
		 "aHR0cDovL2EudGVzdC94\n"                  /* no padding */
		 "aW52b2ljZS5wZGY=\n",
		 PAT_FEED_SURICATA_STRING, 4, 0);
	item(0, PAT_TYPE_DOMAIN, "evil.example.com");
	item(1, PAT_TYPE_IPV4, "198.51.100.7");
	item(2, PAT_TYPE_URL, "a.test/x");
	item(3, PAT_TYPE_FILENAME, "invoice.pdf");
	assert_int_equal(feed.items[3].line, 4);
	parse_ok("D41D8CD98F00B204E9800998ECF8427E,{\"k\":1}\n", PAT_FEED_SURICATA_MD5,
		 1, 0);
	item(0, PAT_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	parse_ok("dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n",
		 PAT_FEED_SURICATA_SHA256, 1, 0);
	item(0, PAT_TYPE_SHA256,
	     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	parse_ok("192.0.2.1,5\n", PAT_FEED_SURICATA_IPV4, 1, 0);
	item(0, PAT_TYPE_IPV4, "192.0.2.1");
	parse_ok("2001:DB8::1\n", PAT_FEED_SURICATA_IPV6, 1, 0);
	item(0, PAT_TYPE_IPV6, "2001:db8::1");
	/* A base64 value is never detected: auto reads it as plain. */
	assert_int_equal(parse("ZXZpbC5leGFtcGxlLmNvbQ==\n", PAT_FEED_AUTO),
			 -EINVAL);
}

static void
test_suricata_errors(void **state)
{
	(void)state;
	parse_error("ZXZpbC5leGFtcGxlLmNvbQ==\nnot base64!\n",
		    PAT_FEED_SURICATA_STRING, 2, "invalid base64 'not base64!'");
	parse_error("ZXZpbC5leGFtcGxlLmNvbR\n", PAT_FEED_SURICATA_STRING, 1,
		    "invalid base64 'ZXZpbC5leGFtcGxlLmNvbR'");
	parse_error("YQBi\n", PAT_FEED_SURICATA_STRING, 1,
		    "base64 value decodes to a NUL byte");
	parse_error("abcd\n", PAT_FEED_SURICATA_MD5, 1,
		    "md5 must be 32 hex digits");
	parse_error("192.0.2.1\n10.0.0.256\n", PAT_FEED_SURICATA_IPV4, 2,
		    "invalid IPv4 address");
	parse_error("192.0.2.1\n", PAT_FEED_SURICATA_IPV6, 1,
		    "invalid IPv6 address");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stix_bundle, test_teardown),
		cmocka_unit_test_teardown(test_stix_unsupported, test_teardown),
		cmocka_unit_test_teardown(test_stix_errors, test_teardown),
		cmocka_unit_test_teardown(test_misp_csv, test_teardown),
		cmocka_unit_test_teardown(test_misp_csv_errors, test_teardown),
		cmocka_unit_test_teardown(test_misp_json, test_teardown),
		cmocka_unit_test_teardown(test_misp_json_errors, test_teardown),
		cmocka_unit_test_teardown(test_zeek, test_teardown),
		cmocka_unit_test_teardown(test_zeek_errors, test_teardown),
		cmocka_unit_test_teardown(test_suricata, test_teardown),
		cmocka_unit_test_teardown(test_suricata_errors, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
