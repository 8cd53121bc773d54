/* test_protocol.c -- control requests, error codes, reply lines, base64, feed names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

static struct ctl_request req;
static struct error_detail err;

static int
test_teardown(void **state)
{
	(void)state;
	ctl_request_release(&req);
	return 0;
}

static int
parse_len(const char *line, size_t len)
{
	ctl_request_release(&req);
	memset(&err, 0, sizeof(err));
	return ctl_request_parse(line, len, &req, &err);
}

static int
parse(const char *line)
{
	return parse_len(line, strlen(line));
}

static void
parse_ok(const char *line, enum ctl_command cmd)
{
	int rc = parse(line);

	if (rc != 0)
		print_error("parse: %s: %s\n", ctl_request_error_code(rc),
			    err.message);
	assert_int_equal(rc, 0);
	assert_int_equal(req.cmd, cmd);
	assert_non_null(req.json);
}

/* A message ending in "..." is a prefix. name, if not NULL, is the case
 * of a table, printed on a failure. */
static void
check_case_error(const char *name, int rc, int want_rc, const char *code,
		 const char *message)
{
	size_t n = strlen(message);
	bool same_code, same_message;

	if (n > 3 && strcmp(message + n - 3, "...") == 0)
		n -= 3;
	else
		n = sizeof(err.message);
	same_code = rc == want_rc &&
		strcmp(ctl_request_error_code(rc), code) == 0;
	same_message = strncmp(err.message, message, n) == 0;
	if (name != NULL && (!same_code || !same_message))
		print_error("case '%s'\n", name);
	if (!same_code)
		print_error("got %d %s: %s\n", rc, ctl_request_error_code(rc),
			    err.message);
	assert_int_equal(rc, want_rc);
	assert_string_equal(ctl_request_error_code(rc), code);
	if (!same_message)
		print_error("message: %s\n", err.message);
	assert_true(strncmp(err.message, message, n) == 0);
}

static void
check_error(int rc, int want_rc, const char *code, const char *message)
{
	check_case_error(NULL, rc, want_rc, code, message);
}

static void
parse_error(const char *line, int want_rc, const char *code,
	    const char *message)
{
	check_error(parse(line), want_rc, code, message);
}

/* ---- every command --------------------------------------------------------- */

static void
test_no_arg_commands(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"status\",\"v\":1}", CTL_CMD_STATUS);
	assert_false(req.has_id);
	parse_ok("{\"v\":1,\"cmd\":\"version\",\"id\":7}", CTL_CMD_VERSION);
	assert_true(req.has_id);
	assert_int_equal(req.id, 7);
	parse_ok(" {\"cmd\" : \"rollback\", \"v\" : 1 }  \t\r\n",
		 CTL_CMD_ROLLBACK);
	parse_error("{\"cmd\":\"status\",\"v\":1,\"top\":3}", -EINVAL,
		    "bad_request", "unknown field 'top' for command 'status'");
	/* export: format optional, checked by the daemon (the formats
	 * are its configuration's). */
	parse_ok("{\"cmd\":\"export\",\"v\":1}", CTL_CMD_EXPORT);
	assert_null(req.format);
	ctl_request_release(&req);
	parse_ok("{\"cmd\":\"export\",\"v\":1,\"format\":\"rpz\"}",
		 CTL_CMD_EXPORT);
	assert_string_equal(req.format, "rpz");
	ctl_request_release(&req);
	parse_error("{\"cmd\":\"export\",\"v\":1,\"format\":7}", -EINVAL,
		    "bad_request", "field 'format' must be a string");
	parse_error("{\"cmd\":\"export\",\"v\":1,\"dir\":\"/tmp\"}", -EINVAL,
		    "bad_request", "unknown field 'dir' for command 'export'");
	parse_error("{\"cmd\":\"rollback\",\"v\":1,\"version\":3}", -EINVAL,
		    "bad_request",
		    "unknown field 'version' for command 'rollback'");
}

static void
test_stats(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"stats\",\"v\":1}", CTL_CMD_STATS);
	assert_int_equal(req.top, 20);
	parse_ok("{\"cmd\":\"stats\",\"v\":1,\"top\":0}", CTL_CMD_STATS);
	assert_int_equal(req.top, 0);
	parse_ok("{\"cmd\":\"stats\",\"v\":1,\"top\":1000}", CTL_CMD_STATS);
	assert_int_equal(req.top, 1000);
	parse_error("{\"cmd\":\"stats\",\"v\":1,\"top\":1001}", -EINVAL,
		    "bad_request", "field 'top' must be between 0 and 1000");
	parse_error("{\"cmd\":\"stats\",\"v\":1,\"top\":-1}", -EINVAL,
		    "bad_request", "field 'top' must be between 0 and 1000");
	parse_error("{\"cmd\":\"stats\",\"v\":1,\"top\":\"5\"}", -EINVAL,
		    "bad_request", "field 'top' must be an integer");
	parse_error("{\"cmd\":\"stats\",\"v\":1,\"top\":5.0}", -EINVAL,
		    "bad_request", "field 'top' must be an integer");
	parse_error("{\"cmd\":\"stats\",\"v\":1,\"top\":null}", -EINVAL,
		    "bad_request", "field 'top' must be an integer");
}

static void
test_load(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"load\",\"v\":1,\"id\":3,\"name\":\"3cx\","
		 "\"data\":\"domain,evil.com\\n\"}", CTL_CMD_LOAD);
	assert_string_equal(req.name, "3cx");
	assert_string_equal(req.format, "auto");
	assert_int_equal(req.data_len, 16);
	assert_memory_equal(req.data, "domain,evil.com\n", 17);
	/* The JSON copy of the feed is dropped once decoded. */
	assert_null(json_object_get(req.json, "data"));
	assert_int_equal(req.id, 3);
	assert_false(req.allow_shrink);

	parse_ok("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\",\"data\":\"\","
		 "\"allow_shrink\":true}", CTL_CMD_LOAD);
	assert_true(req.allow_shrink);

	parse_ok("{\"cmd\":\"load\",\"v\":1,\"name\":\"a.b_c-D\","
		 "\"format\":\"suricata-sha256\",\"data\":\"\"}",
		 CTL_CMD_LOAD);
	assert_string_equal(req.format, "suricata-sha256");
	assert_int_equal(req.data_len, 0);
	assert_non_null(req.data);
	assert_int_equal(req.data[0], '\0');

	/* "data" may hold NUL bytes (the feed reader decides). */
	parse_ok("{\"cmd\":\"load\",\"v\":1,\"name\":\"n\","
		 "\"data\":\"a\\u0000b\"}", CTL_CMD_LOAD);
	assert_int_equal(req.data_len, 3);
	assert_memory_equal(req.data, "a\0b", 3);

	/* "a\0b\xff" in base64. */
	parse_ok("{\"cmd\":\"load\",\"v\":1,\"name\":\"bin\","
		 "\"data_base64\":\"YQBi/w==\"}", CTL_CMD_LOAD);
	assert_int_equal(req.data_len, 4);
	assert_memory_equal(req.data, "a\0b\xff", 4);
	assert_int_equal(req.data[4], '\0');
	assert_null(json_object_get(req.json, "data_base64"));

	for (const char *const *f = (const char *const[]){ "auto", "csv",
	     "plain", "stix", "misp-csv", "misp-json", "zeek",
	     "suricata-string", "suricata-md5", "suricata-sha256",
	     "suricata-ipv4", "suricata-ipv6", NULL }; *f != NULL; f++) {
		char line[256];

		snprintf(line, sizeof(line), "{\"cmd\":\"load\",\"v\":1,"
			 "\"name\":\"x\",\"format\":\"%s\",\"data\":\"\"}", *f);
		parse_ok(line, CTL_CMD_LOAD);
		assert_string_equal(req.format, *f);
	}
}

static void
test_load_errors(void **state)
{
	(void)state;
	parse_error("{\"cmd\":\"load\",\"v\":1,\"data\":\"x\"}", -EINVAL,
		    "bad_request", "missing field 'name'");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\",\"data\":\"\","
		    "\"allow_shrink\":1}", -EINVAL, "bad_request",
		    "field 'allow_shrink' must be true or false");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\"}", -EINVAL,
		    "bad_request", "missing field 'data' (or 'data_base64')");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\",\"data\":\"\","
		    "\"data_base64\":\"\"}", -EINVAL, "bad_request",
		    "give only one of 'data' and 'data_base64'");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"a b\",\"data\":\"\"}",
		    -EINVAL, "bad_request",
		    "field 'name': invalid feed name 'a b'...");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"\",\"data\":\"\"}",
		    -EINVAL, "bad_request",
		    "field 'name': invalid feed name ''...");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\",\"format\":"
		    "\"xml\",\"data\":\"\"}", -EINVAL, "bad_request",
		    "field 'format': unknown feed format 'xml'");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\",\"data\":5}",
		    -EINVAL, "bad_request", "field 'data' must be a string");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":[],\"data\":\"\"}",
		    -EINVAL, "bad_request", "field 'name' must be a string");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\","
		    "\"data_base64\":true}", -EINVAL, "bad_request",
		    "field 'data_base64' must be a string");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\","
		    "\"data_base64\":\"YQ=\"}", -EINVAL, "bad_request",
		    "field 'data_base64' is not valid base64 (length 3...");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\","
		    "\"data_base64\":\"YQ==YQ==\"}", -EINVAL, "bad_request",
		    "field 'data_base64' is not valid base64...");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\","
		    "\"data_base64\":\"YQ\\u0000=\"}", -EINVAL, "bad_request",
		    "field 'data_base64' is not valid base64...");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"a\\u0000b\","
		    "\"data\":\"\"}", -EINVAL, "bad_request",
		    "field 'name' contains a NUL byte");
	parse_error("{\"cmd\":\"load\",\"v\":1,\"name\":\"x\",\"data\":\"\","
		    "\"feed\":\"y\"}", -EINVAL, "bad_request",
		    "unknown field 'feed' for command 'load'");
}

static void
test_add(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\","
		 "\"value\":\"evil.com\"}", CTL_CMD_ADD);
	assert_string_equal(req.type, "domain");
	assert_string_equal(req.value, "evil.com");
	assert_string_equal(req.feed, "cli");
	assert_null(req.tags);
	assert_null(req.expires);
	assert_null(req.severity);

	parse_ok("{\"cmd\":\"add\",\"v\":1,\"type\":\"ipv4\",\"value\":"
		 "\"10.0.0.1\",\"tags\":\"c2,3cx\",\"expires\":\"1767225600\","
		 "\"severity\":\"high\",\"feed\":\"manual\"}", CTL_CMD_ADD);
	assert_string_equal(req.tags, "c2,3cx");
	assert_string_equal(req.expires, "1767225600");
	assert_string_equal(req.severity, "high");
	assert_string_equal(req.feed, "manual");

	parse_error("{\"cmd\":\"add\",\"v\":1,\"value\":\"evil.com\"}",
		    -EINVAL, "bad_request", "missing field 'type'");
	parse_error("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\"}",
		    -EINVAL, "bad_request", "missing field 'value'");
	parse_error("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\",\"value\":"
		    "\"x\",\"tags\":[\"c2\"]}", -EINVAL, "bad_request",
		    "field 'tags' must be a string");
	parse_error("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\",\"value\":"
		    "\"x\",\"expires\":1767225600}", -EINVAL, "bad_request",
		    "field 'expires' must be a string");
	parse_error("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\",\"value\":"
		    "\"x\",\"feed\":\"../etc\"}", -EINVAL, "bad_request",
		    "field 'feed': invalid feed name '../etc'...");
	parse_error("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\",\"value\":"
		    "\"ev\\u0000il.com\"}", -EINVAL, "bad_request",
		    "field 'value' contains a NUL byte");
	parse_error("{\"cmd\":\"add\",\"v\":1,\"type\":\"domain\",\"value\":"
		    "\"x\",\"comment\":\"hi\"}", -EINVAL, "bad_request",
		    "unknown field 'comment' for command 'add'");
}

static void
test_del(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"del\",\"v\":1,\"type\":\"md5\",\"value\":"
		 "\"d41d8cd98f00b204e9800998ecf8427e\"}", CTL_CMD_DEL);
	assert_string_equal(req.type, "md5");
	assert_null(req.feed);
	parse_error("{\"cmd\":\"del\",\"v\":1,\"type\":\"md5\"}", -EINVAL,
		    "bad_request", "missing field 'value'");
	parse_error("{\"cmd\":\"del\",\"v\":1,\"type\":1,\"value\":\"x\"}",
		    -EINVAL, "bad_request", "field 'type' must be a string");
	parse_error("{\"cmd\":\"del\",\"v\":1,\"type\":\"md5\",\"value\":"
		    "\"x\",\"feed\":\"cli\"}", -EINVAL, "bad_request",
		    "unknown field 'feed' for command 'del'");
	/* undel takes what del takes. */
	parse_ok("{\"cmd\":\"undel\",\"v\":1,\"type\":\"domain\",\"value\":"
		 "\"evil.example\"}", CTL_CMD_UNDEL);
	assert_string_equal(req.value, "evil.example");
	parse_error("{\"cmd\":\"undel\",\"v\":1,\"type\":\"md5\"}", -EINVAL,
		    "bad_request", "missing field 'value'");
}

static void
test_list(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"list\",\"v\":1}", CTL_CMD_LIST);
	assert_null(req.type);
	assert_null(req.feed);
	assert_int_equal(req.limit, 1000);
	parse_ok("{\"cmd\":\"list\",\"v\":1,\"type\":\"domain\",\"feed\":"
		 "\"3cx\",\"limit\":1000000}", CTL_CMD_LIST);
	assert_string_equal(req.type, "domain");
	assert_string_equal(req.feed, "3cx");
	assert_int_equal(req.limit, 1000000);
	assert_int_equal(req.version, 0);
	assert_int_equal(req.from, 0);
	/* The next page of a listing: its version and where it starts. */
	parse_ok("{\"cmd\":\"list\",\"v\":1,\"version\":12,\"from\":"
		 "4294967295}", CTL_CMD_LIST);
	assert_int_equal(req.version, 12);
	assert_int_equal(req.from, 4294967295LL);
	assert_false(req.overrides);
	parse_ok("{\"cmd\":\"list\",\"v\":1,\"overrides\":true}", CTL_CMD_LIST);
	assert_true(req.overrides);
	parse_error("{\"cmd\":\"list\",\"v\":1,\"from\":4294967296}",
		    -EINVAL, "bad_request",
		    "field 'from' must be between 0 and 4294967295");
	parse_error("{\"cmd\":\"list\",\"v\":1,\"version\":-1}", -EINVAL,
		    "bad_request", "field 'version' must not be negative");
	parse_error("{\"cmd\":\"list\",\"v\":1,\"layout\":-2}", -EINVAL,
		    "bad_request", "field 'layout' must not be negative");
	parse_ok("{\"cmd\":\"list\",\"v\":1,\"layout\":31}", CTL_CMD_LIST);
	assert_int_equal(req.layout, 31);
	parse_error("{\"cmd\":\"list\",\"v\":1,\"limit\":0}", -EINVAL,
		    "bad_request", "field 'limit' must be between 1 and 1000000");
	parse_error("{\"cmd\":\"list\",\"v\":1,\"limit\":1000001}", -EINVAL,
		    "bad_request", "field 'limit' must be between 1 and 1000000");
	parse_error("{\"cmd\":\"list\",\"v\":1,\"limit\":\"all\"}", -EINVAL,
		    "bad_request", "field 'limit' must be an integer");
	parse_error("{\"cmd\":\"list\",\"v\":1,\"feed\":\"a/b\"}", -EINVAL,
		    "bad_request", "field 'feed': invalid feed name 'a/b'...");
	parse_error("{\"cmd\":\"list\",\"v\":1,\"feed\":false}", -EINVAL,
		    "bad_request", "field 'feed' must be a string");
}

static void
test_test(void **state)
{
	static const char head[] = "{\"cmd\":\"test\",\"v\":1,\"text\":\"";
	size_t n = CTL_TEST_TEXT_MAX + 1;
	char *line = malloc(sizeof(head) + n + 3);

	(void)state;
	parse_ok("{\"cmd\":\"test\",\"v\":1,\"text\":\"host got cdn.evil.com\"}",
		 CTL_CMD_TEST);
	assert_string_equal(req.text, "host got cdn.evil.com");
	parse_error("{\"cmd\":\"test\",\"v\":1}", -EINVAL, "bad_request",
		    "missing field 'text'");
	parse_error("{\"cmd\":\"test\",\"v\":1,\"text\":{}}", -EINVAL,
		    "bad_request", "field 'text' must be a string");

	/* 64 KiB of text pass, one byte more is too large. */
	assert_non_null(line);
	memcpy(line, head, sizeof(head) - 1);
	memset(line + sizeof(head) - 1, 'a', n);
	memcpy(line + sizeof(head) - 1 + n, "\"}", 3);
	check_error(parse(line), -E2BIG, "too_large",
		    "field 'text' is 65537 bytes, more than 65536");
	memcpy(line + sizeof(head) - 1 + n - 1, "\"}", 3);
	parse_ok(line, CTL_CMD_TEST);
	assert_int_equal(strlen(req.text), CTL_TEST_TEXT_MAX);
	free(line);
}

/* ---- the envelope and the error codes -------------------------------------- */

/* Lines whose JSON, cmd or id is wrong; len 0 is strlen(line). */
static const struct {
	const char *name;
	const char *line;
	size_t len;
	int rc;
	const char *code;
	const char *message;
} envelope_cases[] = {
	{ "empty line", "", 0, -EINVAL, "bad_request",
	  "malformed JSON at byte..." },
	{ "unterminated object", "{\"cmd\":\"status\",\"v\":1", 0, -EINVAL,
	  "bad_request", "malformed JSON at byte..." },
	{ "a second value", "{\"cmd\":\"status\",\"v\":1} {}", 0, -EINVAL,
	  "bad_request", "malformed JSON at byte..." },
	{ "duplicate key", "{\"cmd\":\"status\",\"v\":1,\"v\":1}", 0,
	  -EINVAL, "bad_request", "malformed JSON at byte..." },
	{ "invalid UTF-8", "{\"cmd\":\"status\",\"v\":1,\"x\":\"\xff\"}", 0,
	  -EINVAL, "bad_request", "malformed JSON at byte..." },
	{ "an array", "[{\"cmd\":\"status\",\"v\":1}]", 0, -EINVAL,
	  "bad_request", "a request must be a JSON object" },
	{ "no cmd", "{\"v\":1}", 0, -EINVAL, "bad_request",
	  "missing field 'cmd'" },
	{ "cmd not a string", "{\"v\":1,\"cmd\":[\"status\"]}", 0, -EINVAL,
	  "bad_request", "field 'cmd' must be a string" },
	{ "id not an integer", "{\"v\":1,\"cmd\":\"status\",\"id\":\"a\"}", 0,
	  -EINVAL, "bad_request", "field 'id' must be an integer" },
	{ "unknown command", "{\"v\":1,\"cmd\":\"reload\"}", 0, -ENOENT,
	  "unknown_command", "unknown command 'reload'" },
	{ "NUL in the command", "{\"v\":1,\"cmd\":\"stat\\u0000us\"}", 0,
	  -ENOENT, "unknown_command", "unknown command 'stat\\x00us'" },
	/* A line with a NUL byte outside a string is not JSON. */
	{ "NUL after the object", "{\"v\":1,\"cmd\":\"status\"}\0", 23,
	  -EINVAL, "bad_request", "malformed JSON..." },
};

static void
test_envelope_errors(void **state)
{
	(void)state;
	for (size_t i = 0;
	     i < sizeof(envelope_cases) / sizeof(envelope_cases[0]); i++) {
		const char *line = envelope_cases[i].line;
		size_t len = envelope_cases[i].len != 0 ?
			envelope_cases[i].len : strlen(line);

		check_case_error(envelope_cases[i].name, parse_len(line, len),
				 envelope_cases[i].rc, envelope_cases[i].code,
				 envelope_cases[i].message);
	}
}

static void
test_versions(void **state)
{
	(void)state;
	parse_error("{\"v\":2,\"cmd\":\"status\",\"id\":9}", -ENOTSUP,
		    "unsupported_version",
		    "protocol version 2 is not supported; this daemon speaks 1");
	/* The id is kept even when the request is refused. */
	assert_true(req.has_id);
	assert_int_equal(req.id, 9);
	parse_error("{\"v\":0,\"cmd\":\"status\"}", -ENOTSUP,
		    "unsupported_version",
		    "protocol version 0 is not supported; this daemon speaks 1");
	parse_error("{\"cmd\":\"status\",\"id\":4}", -ENOTSUP,
		    "unsupported_version",
		    "request has no protocol version (\"v\"); "
		    "this daemon speaks 1");
	assert_int_equal(req.id, 4);
	parse_error("{\"cmd\":\"status\",\"v\":\"1\"}", -ENOTSUP,
		    "unsupported_version",
		    "protocol version must be an integer; this daemon speaks 1");
	/* A newer version is refused before its command is looked at. */
	parse_error("{\"v\":2,\"cmd\":\"frobnicate\",\"new\":[]}", -ENOTSUP,
		    "unsupported_version", "protocol version 2 is not...");
}

static char *
big_line(const char *head, size_t size)
{
	char *line = malloc(size + 1);
	size_t n = strlen(head);

	assert_non_null(line);
	memcpy(line, head, n);
	memset(line + n, 'a', size - n - 2);
	memcpy(line + size - 2, "\"}", 3);
	return line;
}

static void
test_too_large(void **state)
{
	char *line;

	(void)state;
	/* Any command but load: 1 MiB, refused before parsing. */
	line = big_line("{\"cmd\":\"test\",\"v\":1,\"text\":\"",
			CTL_REQUEST_MAX + 1);
	check_error(parse_len(line, CTL_REQUEST_MAX + 1), -E2BIG, "too_large",
		    "request of 1048577 bytes is larger than 1048576 bytes");
	free(line);

	/* A load may be larger. */
	line = big_line("{\"cmd\":\"load\",\"v\":1,\"name\":\"big\",\"data\":\"",
			CTL_REQUEST_MAX * 3);
	assert_int_equal(parse_len(line, CTL_REQUEST_MAX * 3), 0);
	assert_int_equal(req.cmd, CTL_CMD_LOAD);
	assert_int_equal(req.data_len, CTL_REQUEST_MAX * 3 - 2 -
			 strlen("{\"cmd\":\"load\",\"v\":1,\"name\":\"big\","
				"\"data\":\""));
	free(line);

	/* "cmd":"load" escaped inside a string is no load. */
	line = big_line("{\"x\":\"\\\"cmd\\\":\\\"load\\\"\",\"cmd\":\"test\","
			"\"v\":1,\"text\":\"", CTL_REQUEST_MAX + 10);
	assert_int_equal(ctl_request_limit(line, CTL_REQUEST_MAX + 10),
			 CTL_REQUEST_MAX);
	check_error(parse_len(line, CTL_REQUEST_MAX + 10), -E2BIG, "too_large",
		    "request of 1048586 bytes is larger than 1048576 bytes");
	free(line);

	/* Valid JSON whose prefix shows "cmd":"load" as a key of another
	 * object, then "cmd":"status": too large after parsing. */
	line = big_line("{\"o\":{\"cmd\":\"load\"},\"cmd\":\"status\",\"v\":1,"
			"\"id\":5,\"pad\":\"", CTL_REQUEST_MAX + 10);
	assert_int_equal(ctl_request_limit(line, CTL_REQUEST_MAX + 10),
			 CTL_LOAD_REQUEST_MAX);
	check_error(parse_len(line, CTL_REQUEST_MAX + 10), -E2BIG, "too_large",
		    "request of 1048586 bytes is larger than 1048576 bytes");
	assert_int_equal(req.id, 5);
	free(line);
}

static void
test_request_limit(void **state)
{
	static const char load[] = "{\"cmd\":\"load\",\"v\":1}";
	char prefix[CTL_LIMIT_PREFIX + 64];

	(void)state;
	assert_int_equal(ctl_request_limit(load, strlen(load)),
			 CTL_LOAD_REQUEST_MAX);
	assert_int_equal(ctl_request_limit("{ \"cmd\" :\t\"load\"", 17),
			 CTL_LOAD_REQUEST_MAX);
	assert_int_equal(ctl_request_limit("{\"v\":1,\"cmd\":\"load\"", 19),
			 CTL_LOAD_REQUEST_MAX);
	assert_int_equal(ctl_request_limit("{\"cmd\":\"loader\"", 16),
			 CTL_REQUEST_MAX);
	assert_int_equal(ctl_request_limit("{\"cmd\":\"status\"", 16),
			 CTL_REQUEST_MAX);
	assert_int_equal(ctl_request_limit("{\"cmd\":\"lo", 10),
			 CTL_REQUEST_MAX);
	/* Only the bytes given count. */
	assert_int_equal(ctl_request_limit(load, 12), CTL_REQUEST_MAX);
	assert_int_equal(ctl_request_limit(NULL, 0), CTL_REQUEST_MAX);
	assert_int_equal(ctl_request_limit("", 0), CTL_REQUEST_MAX);

	/* Only the first 4096 bytes are looked at. */
	memset(prefix, ' ', sizeof(prefix));
	memcpy(prefix + CTL_LIMIT_PREFIX - 13, "\"cmd\":\"load\"", 12);
	assert_int_equal(ctl_request_limit(prefix, sizeof(prefix)),
			 CTL_LOAD_REQUEST_MAX);
	memset(prefix, ' ', sizeof(prefix));
	memcpy(prefix + CTL_LIMIT_PREFIX - 11, "\"cmd\":\"load\"", 12);
	assert_int_equal(ctl_request_limit(prefix, sizeof(prefix)),
			 CTL_REQUEST_MAX);
}

/* ---- replies ----------------------------------------------------------------- */

/* A reply line: one JSON object, "\n" only at the end. */
static json_t *
check_line(char *line)
{
	size_t n;
	json_error_t jerr;
	json_t *json;

	assert_non_null(line);
	n = strlen(line);
	assert_true(n > 1);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	json = json_loadb(line, n - 1, 0, &jerr);
	if (json == NULL)
		print_error("%s: %s\n", line, jerr.text);
	assert_non_null(json);
	assert_true(json_is_object(json));
	assert_int_equal(json_integer_value(json_object_get(json, "v")), 1);
	free(line);
	return json;
}

static void
test_reply_ok(void **state)
{
	json_t *json, *result;
	char *line;

	(void)state;
	parse_ok("{\"cmd\":\"add\",\"v\":1,\"id\":42,\"type\":\"domain\","
		 "\"value\":\"evil.com\"}", CTL_CMD_ADD);
	result = json_pack("{s:i,s:i}", "db_version", 9, "swap_us", 50);
	line = ctl_reply_ok(&req, result);
	assert_string_equal(line, "{\"v\":1,\"id\":42,\"ok\":true,\"result\":"
			    "{\"db_version\":9,\"swap_us\":50}}\n");
	json = check_line(line);
	json_decref(json);

	/* No id in the request, none in the reply; NULL result is {}. */
	parse_ok("{\"cmd\":\"rollback\",\"v\":1}", CTL_CMD_ROLLBACK);
	line = ctl_reply_ok(&req, NULL);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":{}}\n");
	free(line);
	line = ctl_reply_ok(NULL, json_pack("{s:s}", "x", "a\nb"));
	json = check_line(line);
	assert_null(json_object_get(json, "id"));
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json, "result"), "x")), "a\nb");
	json_decref(json);

	/* Negative and large ids come back as given. */
	parse_ok("{\"cmd\":\"status\",\"v\":1,\"id\":-9007199254740993}",
		 CTL_CMD_STATUS);
	line = ctl_reply_ok(&req, json_object());
	assert_string_equal(line, "{\"v\":1,\"id\":-9007199254740993,"
			    "\"ok\":true,\"result\":{}}\n");
	free(line);
}

static void
test_reply_error(void **state)
{
	json_t *json, *error;
	char *line;

	(void)state;
	assert_int_equal(parse("{\"v\":2,\"cmd\":\"status\",\"id\":8}"),
			 -ENOTSUP);
	line = ctl_reply_error(&req, ctl_request_error_code(-ENOTSUP),
			       err.message);
	assert_string_equal(line, "{\"v\":1,\"id\":8,\"ok\":false,\"error\":"
			    "{\"code\":\"unsupported_version\",\"message\":"
			    "\"protocol version 2 is not supported; this "
			    "daemon speaks 1\"}}\n");
	free(line);

	/* Before anything parsed: no id. */
	assert_int_equal(parse("{\"v\":1,"), -EINVAL);
	line = ctl_reply_error(&req, ctl_request_error_code(-EINVAL),
			       err.message);
	json = check_line(line);
	assert_null(json_object_get(json, "id"));
	assert_false(json_is_true(json_object_get(json, "ok")));
	json_decref(json);

	/* No request at all, a message that is not UTF-8, NULL code. */
	line = ctl_reply_error(NULL, "internal", "bad \xff\xfe bytes \"q\"\n");
	json = check_line(line);
	error = json_object_get(json, "error");
	assert_string_equal(json_string_value(json_object_get(error, "code")),
			    "internal");
	assert_string_equal(json_string_value(json_object_get(error,
			    "message")), "bad \\xff\\xfe bytes \"q\"\\x0a");
	json_decref(json);
	line = ctl_reply_error(NULL, NULL, NULL);
	assert_string_equal(line, "{\"v\":1,\"ok\":false,\"error\":"
			    "{\"code\":\"internal\",\"message\":\"\"}}\n");
	free(line);

	/* Every code the protocol defines makes a reply. */
	for (const char *const *c = (const char *const[]){ "bad_request",
	     "unsupported_version", "unknown_command", "too_large",
	     "invalid_feed", "invalid_indicator", "not_found", "exists",
	     "no_previous", "internal", NULL }; *c != NULL; c++) {
		parse_ok("{\"cmd\":\"status\",\"v\":1,\"id\":1}",
			 CTL_CMD_STATUS);
		json = check_line(ctl_reply_error(&req, *c, "m"));
		assert_int_equal(json_integer_value(json_object_get(json,
				 "id")), 1);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(json, "error"), "code")), *c);
		json_decref(json);
	}
}

/* ---- base64 ------------------------------------------------------------------ */

static int
decode(const char *in, unsigned char *out, size_t *out_len)
{
	return base64_decode(in, strlen(in), true, out, out_len);
}

static void
test_base64_vectors(void **state)
{
	/* RFC 4648 section 10. */
	static const char *const vectors[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char enc[16];
	unsigned char dec[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t len = strlen(vectors[i][0]);

		assert_int_equal(base64_encode(
			(const unsigned char *)vectors[i][0], len, enc),
			strlen(vectors[i][1]));
		assert_string_equal(enc, vectors[i][1]);
		assert_int_equal(decode(vectors[i][1], dec, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, vectors[i][0], len);
	}
	assert_int_equal(decode("+/+/", dec, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(dec, "\xfb\xff\xbf", 3);
}

static void
test_base64_round_trip(void **state)
{
	unsigned char in[300], out[300];
	char enc[4 * ((sizeof(in) + 2) / 3) + 1];
	uint32_t x = 12345;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		size_t n, got;

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (unsigned char)(x >> 16);
		}
		n = base64_encode(in, len, enc);
		assert_int_equal(n, 4 * ((len + 2) / 3));
		assert_int_equal(strlen(enc), n);
		assert_int_equal(base64_decode(enc, n, true, out, &got), 0);
		assert_int_equal(got, len);
		assert_memory_equal(out, in, len);
	}
}

static void
test_base64_bad(void **state)
{
	static const char *const bad[] = {
		"Zg=",          /* length not a multiple of 4 */
		"Zg",
		"Zm9vY",
		"Zm9v\n",
		"Zm 9",         /* whitespace */
		"Zm9v\nYmFy",
		"Zm9-",         /* URL-safe alphabet */
		"Zm9_",
		"Zm9*",
		"Z===",         /* bad padding */
		"====",
		"Zm=v",
		"=m9v",
		"Zg==Zm9v",     /* padding before the end */
		"Zm8=Zm9v",
		"Zh==",         /* unused bits set */
		"Zm9=",
		"Zm\xc3\xa9",
	};
	unsigned char out[16];
	size_t n = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode(bad[i], out, &n) != -EINVAL)
			print_error("accepted '%s'\n", bad[i]);
		assert_int_equal(decode(bad[i], out, &n), -EINVAL);
	}
	/* A NUL byte is not base64 either. */
	assert_int_equal(base64_decode("Zg\0=", 4, true, out, &n), -EINVAL);
}

/* ---- feed names and command names -------------------------------------------- */

static void
test_feed_names(void **state)
{
	char name[CTL_FEED_NAME_MAX + 2];

	(void)state;
	assert_true(ctl_feed_name_valid("3cx"));
	assert_true(ctl_feed_name_valid("cli"));
	assert_true(ctl_feed_name_valid("A.b_c-9"));
	assert_true(ctl_feed_name_valid(".hidden"));
	assert_true(ctl_feed_name_valid("x"));
	assert_false(ctl_feed_name_valid(""));
	assert_false(ctl_feed_name_valid(NULL));
	assert_false(ctl_feed_name_valid("a b"));
	assert_false(ctl_feed_name_valid("a/b"));
	assert_false(ctl_feed_name_valid("a,b"));
	assert_false(ctl_feed_name_valid("b\xc3\xbc" "cher"));
	assert_false(ctl_feed_name_valid("a\n"));

	memset(name, 'n', CTL_FEED_NAME_MAX);
	name[CTL_FEED_NAME_MAX] = '\0';
	assert_true(ctl_feed_name_valid(name));
	name[CTL_FEED_NAME_MAX] = 'n';
	name[CTL_FEED_NAME_MAX + 1] = '\0';
	assert_false(ctl_feed_name_valid(name));
}

static void
test_command_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_command_name(CTL_CMD_STATUS), "status");
	assert_string_equal(ctl_command_name(CTL_CMD_LOAD), "load");
	assert_string_equal(ctl_command_name(CTL_CMD_ROLLBACK), "rollback");
	assert_string_equal(ctl_command_name(CTL_CMD_UNDEL), "undel");
	assert_string_equal(ctl_command_name(CTL_CMD_EXPORT), "export");
	assert_null(ctl_command_name((enum ctl_command)99));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_arg_commands, test_teardown),
		cmocka_unit_test_teardown(test_stats, test_teardown),
		cmocka_unit_test_teardown(test_load, test_teardown),
		cmocka_unit_test_teardown(test_load_errors, test_teardown),
		cmocka_unit_test_teardown(test_add, test_teardown),
		cmocka_unit_test_teardown(test_del, test_teardown),
		cmocka_unit_test_teardown(test_list, test_teardown),
		cmocka_unit_test_teardown(test_test, test_teardown),
		cmocka_unit_test_teardown(test_envelope_errors, test_teardown),
		cmocka_unit_test_teardown(test_versions, test_teardown),
		cmocka_unit_test_teardown(test_too_large, test_teardown),
		cmocka_unit_test_teardown(test_request_limit, test_teardown),
		cmocka_unit_test_teardown(test_reply_ok, test_teardown),
		cmocka_unit_test_teardown(test_reply_error, test_teardown),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_bad),
		cmocka_unit_test(test_feed_names),
		cmocka_unit_test(test_command_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
