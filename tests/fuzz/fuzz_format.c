/* fuzz_format.c -- any message and feed strings through every format, both
 * forms: one line of valid UTF-8 each, with its format's structure. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: FLAGS TYPE TIME(8, little-endian) STRINGS [NUL PAYLOAD]
 * FLAGS: bits 0-2 severity (5-7 are out of range), bit 3 IPv6, bit 4 no
 * network fields, bit 5 an aggregate, bits 6-7 the protocol (0 and 1
 * syslog, 2 DNS, 3 log line). STRINGS: value, feed, tags, hostname and id,
 * separated by 0x1f. Missing parts are zero or empty.
 */

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define FIELDS 5

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One line of valid UTF-8: no NUL, CR, LF or other control character but
 * the LEEF delimiter (and DEL, which JSON keeps). */
static void
check_line(enum exp_format format, const struct exp_buffer *b)
{
	CHECK(b->data != NULL);
	CHECK(strlen(b->data) == b->len);
	char *clean = malloc(3 * b->len + 1);
	CHECK(clean != NULL);
	CHECK(exp_utf8_sanitize((const uint8_t *)b->data, b->len, clean) ==
	      b->len);
	CHECK(memcmp(clean, b->data, b->len) == 0);
	free(clean);
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '\t' && format == EXP_FORMAT_LEEF)
			continue;
		CHECK(c >= 0x20 && (c != 0x7f || format == EXP_FORMAT_ECS));
	}
}

/* "<PRI>1 TIMESTAMP HOSTNAME iocsift - hit ": six fields. Returns what
 * follows. */
static const char *
check_syslog_header(const char *p, unsigned int pri)
{
	unsigned int got = 0;
	size_t n;

	CHECK(*p++ == '<');
	for (n = 0; is_digit(*p) && n < 3; n++)
		got = got * 10 + (unsigned int)(*p++ - '0');
	CHECK(n > 0 && got == pri);
	CHECK(strncmp(p, ">1 ", 3) == 0);
	p += 3;
	/* 2026-11-26T10:00:05.123456Z */
	for (n = 0; n < 27; n++) {
		char c = p[n];
		if (n == 4 || n == 7)
			CHECK(c == '-');
		else if (n == 10)
			CHECK(c == 'T');
		else if (n == 13 || n == 16)
			CHECK(c == ':');
		else if (n == 19)
			CHECK(c == '.');
		else if (n == 26)
			CHECK(c == 'Z');
		else
			CHECK(is_digit(c));
	}
	p += 27;
	CHECK(*p++ == ' ');
	for (n = 0; p[n] > 32 && p[n] < 127; n++)
		;
	CHECK(n >= 1 && n <= 255 && p[n] == ' ');
	p += n + 1;
	CHECK(strncmp(p, "iocsift - hit ", 14) == 0);
	return p + 14;
}

/* The SD element, then nothing or " MSG". */
static void
check_rfc5424_rest(const char *p)
{
	unsigned int params = 0;

	CHECK(strncmp(p, "[" EXP_SD_ID, strlen(EXP_SD_ID) + 1) == 0);
	p += strlen(EXP_SD_ID) + 1;
	while (*p != ']') {
		CHECK(*p++ == ' ');
		size_t n = 0;
		while (p[n] >= 'a' && p[n] <= 'z')
			n++;
		CHECK(n > 0 && n <= 32 && p[n] == '=' && p[n + 1] == '"');
		p += n + 2;
		while (*p != '"') {
			CHECK(*p != '\0' && *p != ']');
			if (*p == '\\') {
				p++;
				CHECK(*p == '"' || *p == '\\' || *p == ']');
			}
			p++;
		}
		p++;
		params++;
	}
	CHECK(params >= 7);
	p++;
	CHECK(*p == '\0' || (p[0] == ' ' && p[1] != '\0'));
}

static void
check_cef(const char *p)
{
	unsigned int pipes = 0;

	CHECK(strncmp(p, "CEF:0|", 6) == 0);
	while (pipes < 7) {
		CHECK(*p != '\0');
		if (*p == '\\') {
			p++;
			CHECK(*p == '\\' || *p == '|');
		} else if (*p == '|') {
			pipes++;
		}
		p++;
	}
	/* Extension: KEY=VALUE separated by spaces; every '=' in a value and
	 * every backslash escaped, so each raw '=' ends a key. */
	const char *ext = p;
	const char *last_key = NULL;
	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			p++;
			CHECK(*p == '\\' || *p == '=' || *p == 'n' || *p == 'r');
		} else if (*p == '=') {
			const char *k = p;
			while (k > ext && is_alnum(k[-1]))
				k--;
			CHECK(k < p && (k == ext || k[-1] == ' '));
			last_key = k;
		}
	}
	CHECK(last_key != NULL && strncmp(last_key, "msg=", 4) == 0);
}

static void
check_leef(const char *p)
{
	const char *prefix = "LEEF:2.0|iocsift|iocsift|" IOCSIFT_VERSION "|ioc-";

	CHECK(strncmp(p, prefix, strlen(prefix)) == 0);
	p += strlen(prefix);
	p = strchr(p, '|');
	CHECK(p != NULL && strncmp(p, "|x09|", 5) == 0);
	p += 5;
	/* Attributes: KEY=VALUE separated by tabs, msg last. */
	const char *attr = p;
	for (;;) {
		size_t n = 0;
		while (is_alnum(attr[n]))
			n++;
		CHECK(n > 0 && attr[n] == '=');
		const char *tab = strchr(attr, '\t');
		if (tab == NULL) {
			CHECK(strncmp(attr, "msg=", 4) == 0);
			break;
		}
		attr = tab + 1;
	}
}

static void
check_ecs(const struct exp_message *msg, const char *json, size_t len)
{
	json_error_t error;
	json_t *e = json_loadb(json, len, JSON_ALLOW_NUL, &error);

	CHECK(json_is_object(e));
	if (msg->protocol != EXP_PROTOCOL_DNS) {
		/* The message round-trips, invalid bytes as U+FFFD. */
		json_t *original = json_object_get(json_object_get(e, "event"),
						   "original");
		char *clean = malloc(3 * msg->payload_len + 1);
		CHECK(clean != NULL);
		size_t n = exp_utf8_sanitize(msg->payload, msg->payload_len,
					     clean);
		CHECK(json_string_length(original) == n);
		CHECK(memcmp(json_string_value(original), clean, n) == 0);
		free(clean);
	}
	CHECK(json_object_get(json_object_get(e, "iocsift"), "count") != NULL);
	json_decref(e);
}

static void
check_format(enum exp_format format, const struct exp_event *ev)
{
	struct exp_buffer record = { 0 }, message = { 0 };
	unsigned int pri = EXP_SYSLOG_FACILITY * 8 +
		exp_syslog_severity(ev->ind->severity);

	CHECK(exp_format_record(format, ev, &record) == 0);
	CHECK(exp_format_syslog(format, ev, &message) == 0);
	check_line(format, &record);
	check_line(format, &message);

	const char *rest = check_syslog_header(message.data, pri);
	if (format == EXP_FORMAT_RFC5424) {
		CHECK(strcmp(message.data, record.data) == 0);
		check_rfc5424_rest(rest);
	} else {
		/* Header, nil SD, then the file record as it is. */
		CHECK(strncmp(rest, "- ", 2) == 0);
		CHECK(strcmp(rest + 2, record.data) == 0);
	}
	if (format == EXP_FORMAT_ECS)
		check_ecs(ev->msg, record.data, record.len);
	else if (format == EXP_FORMAT_CEF)
		check_cef(record.data);
	else if (format == EXP_FORMAT_LEEF)
		check_leef(record.data);
	exp_buffer_free(&record);
	exp_buffer_free(&message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum exp_protocol protocols[] = {
		EXP_PROTOCOL_SYSLOG, EXP_PROTOCOL_SYSLOG, EXP_PROTOCOL_DNS,
		EXP_PROTOCOL_LOG_LINE,
	};
	uint8_t flags = size > 0 ? data[0] : 0;
	uint8_t type = size > 1 ? data[1] : 0;
	uint64_t time_ns = 0;
	size_t off = size < 10 ? size : 10;

	for (size_t i = 2; i < off; i++)
		time_ns |= (uint64_t)data[i] << (8 * (i - 2));

	/* The strings, up to the first NUL; the payload after it. */
	const uint8_t *nul = memchr(data + off, '\0', size - off);
	size_t text_len = nul != NULL ? (size_t)(nul - (data + off)) : size - off;
	char *text = malloc(text_len + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data + off, text_len);
	text[text_len] = '\0';
	const char *fields[FIELDS] = { "", "", "", "", "" };
	char *p = text;
	for (unsigned int i = 0; i < FIELDS && p != NULL; i++) {
		fields[i] = p;
		p = strchr(p, 0x1f);
		if (p != NULL)
			*p++ = '\0';
	}

	struct exp_message msg = {
		.protocol = protocols[flags >> 6],
		.time_ns = time_ns,
		.ip_version = (flags & 0x10) ? 0 : (flags & 0x08) ? 6 : 4,
		.l4_proto = (flags & 1) ? 6 : 17,
		.src_port = (uint16_t)(time_ns >> 16),
		.dst_port = 514,
		.file = fields[1],
		.line = time_ns & 0xffff,
		.truncated = (flags & 0x02) != 0,
	};
	for (unsigned int i = 0; i < 16; i++) {
		msg.src_addr[i] = (uint8_t)(time_ns >> (i % 8 * 8));
		msg.dst_addr[i] = (uint8_t)i;
	}
	if (nul != NULL) {
		msg.payload = nul + 1;
		msg.payload_len = size - (size_t)(nul + 1 - data);
	}
	struct pat_indicator ind = {
		.type = (enum pat_type)(type % (PAT_TYPE_COUNT + 1)),
		.value = fields[0],
		.feed = fields[1],
		.tags = fields[2],
		.source = fields[1],
		.severity = flags & 7,
		.first_seen = (int64_t)(time_ns >> 40),
	};
	struct exp_event ev = {
		.msg = &msg, .ind = &ind, .db_version = time_ns ^ flags,
		.hostname = fields[3], .id = fields[4],
		.count = (flags & 0x20) ? 2 + type : 1,
		.first_ns = (flags & 0x20) ? time_ns / 2 : time_ns,
		.last_ns = time_ns,
	};

	for (unsigned int f = 0; f < EXP_FORMAT_COUNT; f++)
		check_format((enum exp_format)f, &ev);
	free(text);
	return 0;
}
