/* test_event.c -- ECS events: field names, values, and escaping of hostile
 * payloads (read back with jansson). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "event.h"

static json_t *
event_of(const struct exp_message *msg, const struct pat_indicator *ind)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	json_error_t error;

	assert_non_null(out);
	assert_int_equal(exp_event_write(out, msg, ind, 42), 0);
	fclose(out);
	/* One line, newline-terminated, nothing else. */
	assert_true(size > 0);
	assert_int_equal(text[size - 1], '\n');
	assert_null(memchr(text, '\n', size - 1));
	json_t *event = json_loads(text, JSON_ALLOW_NUL, &error);
	if (event == NULL)
		fail_msg("not JSON: %s: %s", error.text, text);
	free(text);
	return event;
}

static const char *
string_at(json_t *root, const char *path)
{
	char key[64];
	json_t *node = root;

	while (node != NULL && *path != '\0') {
		size_t n = strcspn(path, "/");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		node = json_is_array(node) ? json_array_get(node, strtoul(key, NULL, 10)) :
			json_object_get(node, key);
		path += n + (path[n] == '/');
	}
	if (!json_is_string(node))
		fail_msg("no string at %s", path);
	return json_string_value(node);
}

static const struct pat_indicator domain_indicator = {
	.type = PAT_TYPE_DOMAIN,
	.value = "journalide.org",
	.tags = "3cx,c2",
	.source = "https://example.invalid/report",
	.feed = "3cx",
	.line = 9,
};

static void
test_syslog_event(void **state)
{
	(void)state;
	const char payload[] = "<14>1 2026-11-26T10:00:05.123456Z edr01 falcon "
		"42 - - host contacted journalide.org:443";
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_SYSLOG,
		.time_ns = 1795687205123456000ULL,
		.ip_version = 4,
		.l4_proto = 17,
		.src_addr = { 10, 0, 0, 14 },
		.dst_addr = { 10, 0, 0, 2 },
		.src_port = 40005,
		.dst_port = 514,
		.frame = 3,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
	};
	json_t *e = event_of(&msg, &domain_indicator);

	assert_string_equal(string_at(e, "@timestamp"),
			    "2026-11-26T10:00:05.123456Z");
	assert_string_equal(string_at(e, "event/kind"), "alert");
	assert_string_equal(string_at(e, "source/ip"), "10.0.0.14");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(e, "destination"), "port")), 514);
	assert_string_equal(string_at(e, "network/transport"), "udp");
	assert_string_equal(string_at(e, "network/protocol"), "syslog");
	assert_string_equal(string_at(e, "log/syslog/hostname"), "edr01");
	assert_string_equal(string_at(e, "log/syslog/appname"), "falcon");
	assert_string_equal(string_at(e, "message"),
			    "host contacted journalide.org:443");
	assert_string_equal(string_at(e, "event/original"), payload);
	assert_string_equal(string_at(e, "threat/indicator/type"), "domain-name");
	assert_string_equal(string_at(e, "threat/indicator/url/domain"),
			    "journalide.org");
	assert_string_equal(string_at(e, "threat/feed/name"), "3cx");
	assert_string_equal(string_at(e, "threat/enrichments/0/matched/atomic"),
			    "journalide.org");
	assert_string_equal(string_at(e, "tags/1"), "c2");
	assert_string_equal(string_at(e, "iocsift/indicator_type"), "domain");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(e, "iocsift"), "frame")), 3);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(e, "iocsift"), "db_version")), 42);
	json_decref(e);
}

static void
test_hostile_payload_is_escaped(void **state)
{
	(void)state;
	/* Quotes, backslash, newline, NUL, invalid UTF-8 (lone continuation,
	 * overlong, surrogate), valid multibyte. */
	const uint8_t payload[] = "q\"b\\n\nz\0x\x80y\xc0\xafw\xed\xa0\x80\xc3\xa9";
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_LOG_LINE,
		.file = "a\"b.log",
		.line = 12,
		.payload = payload,
		.payload_len = sizeof(payload) - 1,
	};
	json_t *e = event_of(&msg, &domain_indicator);
	json_t *message = json_object_get(e, "message");
	const char expected[] = "q\"b\\n\nz\0x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd"
		"w\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9";

	assert_int_equal(json_string_length(message), sizeof(expected) - 1);
	assert_memory_equal(json_string_value(message), expected,
			    sizeof(expected) - 1);
	assert_string_equal(string_at(e, "log/file/path"), "a\"b.log");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		json_object_get(e, "log"), "file"), "line")), 12);
	assert_null(json_object_get(e, "source"));
	assert_null(json_object_get(json_object_get(e, "log"), "syslog"));
	json_decref(e);
}

static void
test_indicator_fields_per_type(void **state)
{
	(void)state;
	const uint8_t payload[] = "x";
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_LOG_LINE, .file = "f", .line = 1,
		.payload = payload, .payload_len = 1,
	};
	struct pat_indicator ind = domain_indicator;
	json_t *e;

	ind.type = PAT_TYPE_SHA256;
	ind.value = "ab";
	e = event_of(&msg, &ind);
	assert_string_equal(string_at(e, "threat/indicator/type"), "file");
	assert_string_equal(string_at(e, "threat/indicator/file/hash/sha256"), "ab");
	json_decref(e);

	ind.type = PAT_TYPE_IPV6;
	ind.value = "2001:db8::1";
	e = event_of(&msg, &ind);
	assert_string_equal(string_at(e, "threat/indicator/type"), "ipv6-addr");
	assert_string_equal(string_at(e, "threat/indicator/ip"), "2001:db8::1");
	json_decref(e);

	ind.type = PAT_TYPE_FILENAME;
	ind.severity = PAT_SEVERITY_CRITICAL;
	ind.first_seen = 1680048000;      /* 2023-03-29T00:00:00Z */
	ind.expires = 1795651200;         /* 2026-11-26T00:00:00Z */
	ind.value = "3CXDesktopApp.exe";
	e = event_of(&msg, &ind);
	assert_string_equal(string_at(e, "threat/indicator/file/name"),
			    "3CXDesktopApp.exe");
	assert_string_equal(string_at(e, "threat/indicator/confidence"), "High");
	assert_string_equal(string_at(e, "iocsift/severity"), "critical");
	assert_string_equal(string_at(e, "threat/indicator/first_seen"),
			    "2023-03-29T00:00:00.000000Z");
	assert_string_equal(string_at(e, "threat/indicator/valid_until"),
			    "2026-11-26T00:00:00.000000Z");
	json_decref(e);
}

static void
test_utf8_sanitize(void **state)
{
	(void)state;
	char out[64];

	assert_int_equal(exp_utf8_sanitize((const uint8_t *)"ok", 2, out), 2);
	assert_string_equal(out, "ok");
	/* Truncated 3-byte sequence at the end, and a 4-byte one past U+10FFFF. */
	assert_int_equal(exp_utf8_sanitize((const uint8_t *)"\xe2\x82", 2, out), 6);
	assert_int_equal(exp_utf8_sanitize((const uint8_t *)"\xf4\x90\x80\x80", 4,
					   out), 12);
	assert_int_equal(exp_utf8_sanitize((const uint8_t *)"\xf0\x9f\x98\x80", 4,
					   out), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_event),
		cmocka_unit_test(test_hostile_payload_is_escaped),
		cmocka_unit_test(test_indicator_fields_per_type),
		cmocka_unit_test(test_utf8_sanitize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
