/* test_event.c -- ECS events: field names, values, and escaping of hostile
 * payloads (read back with jansson); the streaming writer against the
 * jansson writer it replaced (ecs_reference.c), byte for byte; the message
 * lines of replay --messages, whole. */
#include <netinet/in.h>
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
#include "format.h"

/* ecs_reference.c: the jansson writer, exp_event_ecs() and
 * exp_event_write() as they were. */
int ecs_reference_event(const struct exp_event *ev, struct exp_buffer *out);
int ecs_reference_write(FILE *out, const struct exp_message *msg,
			const struct pat_indicator *ind, uint64_t db_version);

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

/* A message whose header does not parse is shown as received, with no
 * field taken from the header, and tagged (docs/events.md). */
static void
test_malformed_messages(void **state)
{
	(void)state;
	const char syslog[] = "<999>Nov 26 10:00:05 edr01 falcon: journalide.org";
	/* ID, flags, QDCOUNT 1, ANCOUNT 1 (and no answer), question
	 * journalide.org A IN. */
	static const uint8_t partial[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
		10, 'j', 'o', 'u', 'r', 'n', 'a', 'l', 'i', 'd', 'e',
		3, 'o', 'r', 'g', 0, 0, 1, 0, 1,
	};
	uint8_t unreadable[sizeof(partial)];
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_SYSLOG,
		.time_ns = 1795687205123456000ULL,
		.ip_version = 4,
		.l4_proto = 17,
		.payload = (const uint8_t *)syslog,
		.payload_len = strlen(syslog),
	};
	json_t *e = event_of(&msg, &domain_indicator);

	assert_string_equal(string_at(e, "message"), syslog);
	assert_string_equal(string_at(e, "event/original"), syslog);
	assert_null(json_object_get(e, "log"));
	assert_string_equal(string_at(e, "tags/2"), "header_malformed");
	assert_int_equal(json_array_size(json_object_get(e, "tags")), 3);
	json_decref(e);

	/* Broken after the question: the question is shown. */
	msg.protocol = EXP_PROTOCOL_DNS;
	msg.payload = partial;
	msg.payload_len = sizeof(partial);
	e = event_of(&msg, &domain_indicator);
	assert_string_equal(string_at(e, "dns/question/name"), "journalide.org");
	assert_null(json_object_get(json_object_get(e, "event"), "original"));
	assert_string_equal(string_at(e, "tags/2"), "dns_records_malformed");
	assert_string_equal(string_at(e, "threat/enrichments/0/matched/field"),
			    "dns.question.name");
	json_decref(e);

	/* QDCOUNT 0: no question, the message as received. */
	memcpy(unreadable, partial, sizeof(partial));
	unreadable[5] = 0;
	msg.payload = unreadable;
	e = event_of(&msg, &domain_indicator);
	assert_null(json_object_get(e, "dns"));
	assert_non_null(json_object_get(json_object_get(e, "event"),
					"original"));
	assert_string_equal(string_at(e, "tags/2"), "header_malformed");
	assert_string_equal(string_at(e, "threat/enrichments/0/matched/field"),
			    "event.original");
	json_decref(e);

	/* Whole messages get no such tag. */
	unreadable[7] = 0;
	unreadable[5] = 1;
	e = event_of(&msg, &domain_indicator);
	assert_int_equal(json_array_size(json_object_get(e, "tags")), 2);
	json_decref(e);
}

/* The tags and the tunnel around the packet: ECS's network.vlan.id and
 * network.inner.vlan.id (keywords), and iocsift.encapsulation; neither
 * for a packet that had none. */
static void
test_encapsulation_fields(void **state)
{
	(void)state;
	const char payload[] = "<14>host contacted journalide.org:443";
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_SYSLOG,
		.time_ns = 1795687205123456000ULL,
		.ip_version = 4,
		.l4_proto = 17,
		.src_addr = { 10, 0, 0, 14 },
		.dst_addr = { 10, 0, 0, 2 },
		.src_port = 40005,
		.dst_port = 514,
		.payload = (const uint8_t *)payload,
		.payload_len = strlen(payload),
		.encap = {
			.layers = { DP_ENCAP_VLAN, DP_ENCAP_GRE, DP_ENCAP_ERSPAN,
				    DP_ENCAP_VLAN, DP_ENCAP_VLAN },
			.n_layers = 5,
			.vlan_count = 2,
			.vlan_ids = { 100, 20 },
			.has_tunnel_id = true,
			.tunnel_id = 341,
			.outer_ip_version = 6,
			.outer_src_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
			.outer_dst_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
		},
	};
	json_t *e = event_of(&msg, &domain_indicator);

	assert_string_equal(string_at(e, "network/vlan/id"), "100");
	assert_string_equal(string_at(e, "network/inner/vlan/id"), "20");
	assert_string_equal(string_at(e, "network/protocol"), "syslog");
	assert_string_equal(string_at(e, "source/ip"), "10.0.0.14");
	json_t *encap = json_object_get(json_object_get(e, "iocsift"),
					"encapsulation");
	json_t *layers = json_object_get(encap, "layers");
	assert_int_equal(json_array_size(layers), 5);
	assert_string_equal(string_at(encap, "layers/0"), "vlan");
	assert_string_equal(string_at(encap, "layers/1"), "gre");
	assert_string_equal(string_at(encap, "layers/2"), "erspan");
	assert_string_equal(string_at(encap, "layers/4"), "vlan");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(encap, "tunnel"), "id")), 341);
	assert_string_equal(string_at(encap, "tunnel/source/ip"),
			    "2001:db8::1");
	assert_string_equal(string_at(encap, "tunnel/destination/ip"),
			    "2001:db8::2");
	json_decref(e);

	/* One tag and a tunnel without an IP header of its own: no inner
	 * tag, no tunnel object. */
	memset(&msg.encap, 0, sizeof(msg.encap));
	msg.encap.layers[0] = DP_ENCAP_VLAN;
	msg.encap.layers[1] = DP_ENCAP_MPLS;
	msg.encap.n_layers = 2;
	msg.encap.vlan_count = 1;
	msg.encap.vlan_ids[0] = 7;
	e = event_of(&msg, &domain_indicator);
	assert_string_equal(string_at(e, "network/vlan/id"), "7");
	assert_null(json_object_get(json_object_get(e, "network"), "inner"));
	encap = json_object_get(json_object_get(e, "iocsift"), "encapsulation");
	assert_string_equal(string_at(encap, "layers/1"), "mpls");
	assert_null(json_object_get(encap, "tunnel"));
	json_decref(e);

	memset(&msg.encap, 0, sizeof(msg.encap));
	e = event_of(&msg, &domain_indicator);
	assert_null(json_object_get(json_object_get(e, "network"), "vlan"));
	assert_null(json_object_get(json_object_get(e, "iocsift"),
				    "encapsulation"));
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

/*
 * Message lines (replay --messages): whole lines compared, so that the
 * format is pinned; every line must also be one JSON object.
 */

/* A response for "a b.example" (a label with a space): A 203.0.113.7,
 * AAAA 2001:db8::1, a TXT record (not kept), CNAME cdn.<question>. */
static const uint8_t dns_answers[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0,
	3, 'a', ' ', 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 203, 0, 113, 7,
	0xc0, 12, 0, 28, 0, 1, 0, 0, 1, 44, 0, 16,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 1, 44, 0, 2, 1, 'x',
	0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 6, 3, 'c', 'd', 'n', 0xc0, 12,
};

/* QTYPE 99 for "x.org", ANCOUNT 2: one A record, then one cut short. */
static const uint8_t dns_broken_answer[] = {
	0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
	1, 'x', 3, 'o', 'r', 'g', 0, 0, 99, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0,
};

/* A header cut after 5 bytes. */
static const uint8_t dns_unreadable[] = { 0x12, 0x34, 0x01, 0x00, 0 };

static const uint8_t syslog_hostile[] =
	"<999>Nov 26 edr01: \"q\" \\ \t\x01\xff journalide.org";

/* Syslog from the client to port 514, DNS from port 53 to the client. */
#define LINE_SYSLOG \
	"{\"frame\":7,\"kind\":\"syslog\",\"transport\":\"udp\"," \
	"\"source\":{\"ip\":\"10.0.0.14\",\"port\":40005}," \
	"\"destination\":{\"ip\":\"10.0.0.2\",\"port\":514}"
#define LINE_DNS \
	"{\"frame\":7,\"kind\":\"dns\",\"transport\":\"udp\"," \
	"\"source\":{\"ip\":\"10.0.0.2\",\"port\":53}," \
	"\"destination\":{\"ip\":\"10.0.0.14\",\"port\":40005}"

static const struct message_case {
	const char *name;
	enum exp_protocol protocol;
	uint8_t ip_version;
	uint8_t l4_proto;
	const uint8_t *payload;
	size_t payload_len;
	bool truncated;
	unsigned int hits;
	const char *line;
} message_cases[] = {
	{ "syslog, header malformed, hostile bytes", EXP_PROTOCOL_SYSLOG, 4,
	  IPPROTO_UDP, syslog_hostile, sizeof(syslog_hostile) - 1, false, 1,
	  LINE_SYSLOG ",\"message\":\"<999>Nov 26 edr01: "
	  "\\\"q\\\" \\\\ \\t\\u0001\xef\xbf\xbd journalide.org\",\"hits\":1}" },
	{ "syslog, cut to fit the record", EXP_PROTOCOL_SYSLOG, 4,
	  IPPROTO_UDP, (const uint8_t *)"<14>x", 5, true, 0,
	  LINE_SYSLOG ",\"message\":\"<14>x\","
	  "\"truncated\":true,\"hits\":0}" },
	{ "syslog over TCP and IPv6", EXP_PROTOCOL_SYSLOG, 6, IPPROTO_TCP,
	  (const uint8_t *)"hello", 5, false, 0,
	  "{\"frame\":7,\"kind\":\"syslog\",\"transport\":\"tcp\","
	  "\"source\":{\"ip\":\"2001:db8::e\",\"port\":40005},"
	  "\"destination\":{\"ip\":\"2001:db8::2\",\"port\":514},"
	  "\"message\":\"hello\",\"hits\":0}" },
	{ "DNS with answers", EXP_PROTOCOL_DNS, 4, IPPROTO_UDP, dns_answers,
	  sizeof(dns_answers), false, 2,
	  LINE_DNS ",\"dns\":{\"question\":{\"name\":"
	  "\"a\\\\032b.example\",\"type\":\"A\"},\"answers\":[\"203.0.113.7\","
	  "\"2001:db8::1\",\"cdn.a\\\\032b.example\"]},\"hits\":2}" },
	{ "DNS, an answer broken", EXP_PROTOCOL_DNS, 4, IPPROTO_UDP,
	  dns_broken_answer, sizeof(dns_broken_answer), false, 0,
	  LINE_DNS ",\"dns\":{\"question\":{\"name\":"
	  "\"x.org\",\"type\":\"TYPE99\"},\"answers\":[\"192.0.2.1\"],"
	  "\"malformed\":\"dns_records_malformed\"},\"hits\":0}" },
	{ "DNS, header unreadable", EXP_PROTOCOL_DNS, 4, IPPROTO_UDP,
	  dns_unreadable, sizeof(dns_unreadable), false, 0,
	  LINE_DNS ",\"dns\":{\"malformed\":"
	  "\"header_malformed\"},\"hits\":0}" },
};

static void
test_message_lines(void **state)
{
	(void)state;
	static const uint8_t v6_client[16] = {
		0x20, 0x01, 0x0d, 0xb8, [15] = 0x0e };
	static const uint8_t v6_server[16] = {
		0x20, 0x01, 0x0d, 0xb8, [15] = 0x02 };
	struct exp_buffer b = { 0 };

	for (size_t i = 0; i < sizeof(message_cases) / sizeof(message_cases[0]);
	     i++) {
		const struct message_case *c = &message_cases[i];
		bool dns = c->protocol == EXP_PROTOCOL_DNS;
		struct exp_message msg = {
			.protocol = c->protocol,
			.time_ns = 1795687205123456000ULL,
			.ip_version = c->ip_version,
			.l4_proto = c->l4_proto,
			.src_addr = { 10, 0, 0, dns ? 2 : 14 },
			.dst_addr = { 10, 0, 0, dns ? 14 : 2 },
			.src_port = dns ? 53 : 40005,
			.dst_port = dns ? 40005 : 514,
			.frame = 7,
			.payload = c->payload,
			.payload_len = c->payload_len,
			.truncated = c->truncated,
		};
		json_error_t error;

		if (c->ip_version == 6) {
			memcpy(msg.src_addr, v6_client, 16);
			memcpy(msg.dst_addr, v6_server, 16);
		}
		/* Appended: what the buffer held stays. */
		exp_buffer_reset(&b);
		assert_int_equal(exp_buffer_append(&b, "x", 1), 0);
		if (exp_message_json(&msg, c->hits, &b) != 0)
			fail_msg("%s: exp_message_json failed", c->name);
		if (strcmp(b.data + 1, c->line) != 0)
			fail_msg("%s:\n got  %s\n want %s", c->name, b.data + 1,
				 c->line);
		json_t *line = json_loads(b.data + 1, 0, &error);
		if (!json_is_object(line))
			fail_msg("%s: not a JSON object: %s", c->name, error.text);
		json_decref(line);
	}
	exp_buffer_free(&b);
}

/*
 * The streaming writer against jansson: many events, each formatted by
 * both, compared as bytes and as parsed JSON.
 */

/* xorshift64*, fixed seed: the same events on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned int
rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/* Pieces hostile strings are made of: quotes, backslash, JSON's named
 * escapes, other controls, DEL, '/', valid UTF-8 of every length (and
 * U+2028, U+FFFD), invalid UTF-8 (lone continuation, overlong, surrogate,
 * past U+10FFFF, cut sequences, 0xfe/0xff), and plain text. */
static const char *const pieces[] = {
	"\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f", "\x1b[0m",
	"\x7f", "/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	"\xe2\x80\xa8", "\xef\xbf\xbd", "\x80", "\xbf", "\xc0\xaf",
	"\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
	"\xf0\x9f\x98", "\xc3", "\xfe", "\xff", "\xf5\x80\x80\x80", ",", ",,",
	"=", "|", "]", "{}", "[]", ":", "evil.example", "journalide.org",
	"hello world ", "0123456789abcdef", "\\u0000", "%s%n",
};

/* A hostile C string of up to max - 1 bytes (no NUL inside). */
static void
rnd_text(char *out, size_t max)
{
	size_t n = 0;
	unsigned int parts = rnd_below(8);

	for (unsigned int i = 0; i < parts; i++) {
		const char *p = pieces[rnd_below(sizeof(pieces) /
						 sizeof(pieces[0]))];
		size_t len = strlen(p);
		if (n + len >= max)
			break;
		memcpy(out + n, p, len);
		n += len;
	}
	/* Sometimes raw random bytes too. */
	if (rnd_below(4) == 0) {
		unsigned int extra = rnd_below(12);
		for (unsigned int i = 0; i < extra && n + 1 < max; i++) {
			uint8_t c = (uint8_t)rnd();
			out[n++] = (char)(c == 0 ? 'x' : c);
		}
	}
	out[n] = '\0';
}

/* Random bytes, NUL included, or hostile pieces. */
static size_t
rnd_bytes(uint8_t *out, size_t max)
{
	if (rnd_below(2) == 0) {
		size_t n = rnd_below((unsigned int)max);
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)rnd();
		return n;
	}
	rnd_text((char *)out, max);
	size_t n = strlen((char *)out);
	if (n + 1 < max && rnd_below(3) == 0)
		out[n++] = '\0';
	return n;
}

static size_t
append(uint8_t *out, size_t n, size_t max, const void *bytes, size_t len)
{
	if (n + len > max)
		return n;
	memcpy(out + n, bytes, len);
	return n + len;
}

static size_t
append_str(uint8_t *out, size_t n, size_t max, const char *s)
{
	return append(out, n, max, s, strlen(s));
}

/* A syslog message: RFC 5424 (fields or "-"), RFC 3164, a broken PRI, or
 * anything; hostile text in the fields; sometimes a line end or NUL. */
static size_t
rnd_syslog(uint8_t *out, size_t max)
{
	char field[64], pri[16];
	size_t n = 0;

	snprintf(pri, sizeof(pri), "<%u>", rnd_below(5) == 0 ?
		 192 + rnd_below(900) : rnd_below(192));
	switch (rnd_below(5)) {
	case 0:
		n = append_str(out, n, max, pri);
		n = append_str(out, n, max, "1 2026-11-26T10:00:05.123456Z ");
		for (int i = 0; i < 4; i++) {
			if (rnd_below(3) == 0) {
				n = append_str(out, n, max, "-");
			} else {
				rnd_text(field, sizeof(field));
				for (char *c = field; *c != '\0'; c++)
					if (*c == ' ')
						*c = '_';
				n = append_str(out, n, max, field[0] != '\0' ?
					       field : "x");
			}
			n = append_str(out, n, max, " ");
		}
		n = append_str(out, n, max, rnd_below(2) ? "- " :
			       "[ex@32473 a=\"b\\\"]c\"] ");
		break;
	case 1:
		n = append_str(out, n, max, pri);
		n = append_str(out, n, max, "Nov 26 10:00:05 host01 ");
		rnd_text(field, sizeof(field));
		n = append_str(out, n, max, field);
		n = append_str(out, n, max, rnd_below(2) ? "[42]: " : ": ");
		break;
	case 2:
		n = append_str(out, n, max, rnd_below(2) ? "<1x>" : "<>");
		break;
	case 3:
		return rnd_bytes(out, max);
	default:
		break;
	}
	rnd_text(field, sizeof(field));
	n = append_str(out, n, max, field);
	n += rnd_bytes(out + n, max - n > 64 ? 64 : max - n);
	if (rnd_below(3) == 0)
		n = append(out, n, max, rnd_below(2) ? "\r\n" : "\0",
			   rnd_below(2) + 1);
	return n;
}

/* A DNS name in wire form: labels of random bytes, or a pointer to 12. */
static size_t
rnd_dns_name(uint8_t *out, size_t n, size_t max)
{
	unsigned int labels = 1 + rnd_below(4);

	for (unsigned int i = 0; i < labels; i++) {
		uint8_t len = (uint8_t)(1 + rnd_below(10));
		if (n + 1 + len + 1 > max)
			break;
		out[n++] = len;
		for (uint8_t j = 0; j < len; j++)
			out[n++] = rnd_below(3) == 0 ? (uint8_t)rnd() :
				(uint8_t)('a' + rnd_below(26));
	}
	return append(out, n, max, "\0", 1);
}

/* A DNS query or response with A, AAAA and CNAME answers; sometimes cut
 * or garbage. */
static size_t
rnd_dns(uint8_t *out, size_t max)
{
	static const uint16_t qtypes[] = { 1, 2, 5, 6, 12, 15, 16, 28, 33, 35,
					   64, 65, 255, 0, 99, 65535 };
	uint16_t qtype = qtypes[rnd_below(sizeof(qtypes) / sizeof(qtypes[0]))];
	unsigned int answers = rnd_below(4);
	uint16_t id = (uint16_t)rnd();
	uint8_t hdr[12] = { (uint8_t)(id >> 8), (uint8_t)id,
			    rnd_below(2) ? 0x81 : 0x01, 0x80, 0, 1, 0,
			    (uint8_t)answers, 0, 0, 0, 0 };
	size_t n = 0;

	if (rnd_below(8) == 0)
		return rnd_bytes(out, max);
	n = append(out, n, max, hdr, sizeof(hdr));
	n = rnd_dns_name(out, n, max);
	uint8_t q[4] = { (uint8_t)(qtype >> 8), (uint8_t)qtype, 0, 1 };
	n = append(out, n, max, q, sizeof(q));
	for (unsigned int i = 0; i < answers; i++) {
		unsigned int kind = rnd_below(3);
		uint8_t rtype = kind == 0 ? 1 : kind == 1 ? 28 : 5;
		uint8_t rr[10] = { 0xc0, 0x0c, 0, rtype, 0, 1, 0, 0, 0, 60 };
		n = append(out, n, max, rr, sizeof(rr));
		if (kind == 2) {
			size_t len_at = n;
			n = append(out, n, max, "\0\0", 2);
			size_t name_at = n;
			n = rnd_dns_name(out, n, max);
			if (len_at + 2 <= max) {
				out[len_at] = (uint8_t)((n - name_at) >> 8);
				out[len_at + 1] = (uint8_t)(n - name_at);
			}
		} else {
			uint8_t rd[18] = { 0, kind == 0 ? 4 : 16 };
			for (int j = 2; j < 18; j++)
				rd[j] = rnd_below(2) ? 0 : (uint8_t)rnd();
			n = append(out, n, max, rd, kind == 0 ? 6 : 18);
		}
	}
	if (n > 0 && rnd_below(8) == 0)
		n = rnd_below((unsigned int)n);
	return n;
}

/* Addresses with zero runs of every length, IPv4-mapped and -compatible
 * forms, or random. */
static void
rnd_addr(uint8_t *addr)
{
	for (int i = 0; i < 16; i++)
		addr[i] = (uint8_t)rnd();
	switch (rnd_below(4)) {
	case 0:
		for (int i = 0; i < 16; i++)
			if (rnd_below(2))
				addr[i & ~1] = addr[i | 1] = 0;
		break;
	case 1:
		memset(addr, 0, 10);
		addr[10] = addr[11] = rnd_below(2) ? 0xff : 0;
		break;
	case 2:
		memset(addr, 0, 16);
		addr[15] = (uint8_t)rnd_below(3);
		break;
	default:
		break;
	}
}

static uint64_t
rnd_time(void)
{
	switch (rnd_below(4)) {
	case 0:
		return rnd();
	case 1:
		return 0;
	default:
		return 1795687205123456000ULL + rnd() % 100000000000000ULL;
	}
}

static int64_t
rnd_seconds(void)
{
	switch (rnd_below(5)) {
	case 0:
		return 0;
	case 1:
		return -(int64_t)rnd_below(1000000);
	case 2:
		return (int64_t)(rnd() >> 1);
	default:
		return 1680048000 + rnd_below(100000000);
	}
}

/* Tags and tunnels, half the time: any layer values (out of the enum
 * too), ids, outer endpoints or none. */
static void
rnd_encap(struct dp_encap *e)
{
	static const uint8_t versions[] = { 0, 4, 6 };

	memset(e, 0, sizeof(*e));
	if (rnd_below(2) == 0)
		return;
	e->n_layers = (uint8_t)rnd_below(DP_DECODE_LAYERS_MAX + 1);
	for (uint8_t i = 0; i < e->n_layers; i++)
		e->layers[i] = (uint8_t)rnd_below(DP_ENCAP_IPIP + 2);
	e->vlan_count = (uint8_t)rnd_below(DP_DECODE_VLAN_MAX + 1);
	for (uint8_t i = 0; i < e->vlan_count; i++)
		e->vlan_ids[i] = (uint16_t)rnd_below(4096);
	e->has_tunnel_id = rnd_below(2) == 0;
	if (e->has_tunnel_id)
		e->tunnel_id = rnd_below(2) ? (uint32_t)rnd() : rnd_below(1024);
	e->outer_ip_version = versions[rnd_below(3)];
	rnd_addr(e->outer_src_addr);
	rnd_addr(e->outer_dst_addr);
}

/* Everything an event points to, filled by event_fill(). */
struct test_event {
	struct exp_message msg;
	struct pat_indicator ind;
	struct exp_event ev;
	uint8_t payload[600];
	char value[96], tags[96], source[96], feed[96], file[96];
	char id[96], hostname[96];
};

static void
event_fill(struct test_event *t, enum exp_protocol protocol,
	   enum pat_type type, uint8_t severity, bool aggregate,
	   uint8_t ip_version)
{
	static const uint8_t l4[] = { 6, 17, 132 };

	memset(t, 0, sizeof(*t));
	rnd_text(t->value, sizeof(t->value));
	rnd_text(t->tags, sizeof(t->tags));
	rnd_text(t->source, sizeof(t->source));
	rnd_text(t->feed, sizeof(t->feed));
	rnd_text(t->file, sizeof(t->file));
	rnd_text(t->id, sizeof(t->id));
	rnd_text(t->hostname, sizeof(t->hostname));
	t->msg = (struct exp_message){
		.protocol = protocol,
		.time_ns = rnd_time(),
		.ip_version = ip_version,
		.l4_proto = l4[rnd_below(3)],
		.src_port = (uint16_t)rnd(),
		.dst_port = (uint16_t)rnd(),
		.frame = rnd_below(3) == 0 ? 0 : rnd_below(2) ? rnd() :
			rnd_below(100000),
		.worker = (uint16_t)rnd_below(64),
		.file = rnd_below(4) == 0 ? NULL : t->file,
		.line = rnd_below(2) ? rnd() : rnd_below(100000),
		.payload = t->payload,
		.truncated = rnd_below(4) == 0,
	};
	rnd_addr(t->msg.src_addr);
	rnd_addr(t->msg.dst_addr);
	rnd_encap(&t->msg.encap);
	t->msg.payload_len = protocol == EXP_PROTOCOL_DNS ?
		rnd_dns(t->payload, sizeof(t->payload)) :
		rnd_syslog(t->payload, sizeof(t->payload));
	if (rnd_below(50) == 0) {
		t->msg.payload = NULL;
		t->msg.payload_len = 0;
	}
	t->ind = (struct pat_indicator){
		.type = type,
		.value = t->value,
		.tags = rnd_below(5) == 0 ? "" : t->tags,
		.source = rnd_below(3) == 0 ? "" : t->source,
		.feed = t->feed,
		.line = rnd_below(2) ? (unsigned int)rnd() : rnd_below(10000),
		.severity = severity,
		.first_seen = rnd_seconds(),
		.expires = rnd_seconds(),
	};
	t->ev = (struct exp_event){
		.msg = &t->msg, .ind = &t->ind, .db_version = rnd_below(2) ?
			rnd() : rnd_below(1000),
		.id = rnd_below(5) == 0 ? NULL : rnd_below(5) == 0 ? "" : t->id,
		.hostname = rnd_below(5) == 0 ? NULL : rnd_below(5) == 0 ? "" :
			t->hostname,
		.count = aggregate ? 2 + rnd_below(1000) : rnd_below(2),
		.first_ns = rnd_below(3) == 0 ? 0 : rnd_time(),
		.last_ns = rnd_below(3) == 0 ? 0 : rnd_time(),
	};
}

static json_t *
parse_or_fail(const char *text, size_t len, const char *what)
{
	json_error_t error;
	json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &error);

	if (root == NULL)
		fail_msg("%s is not JSON: %s: %.*s", what, error.text, (int)len,
			 text);
	return root;
}

/* Same bytes, and (for the message a mismatch would give) same JSON. */
static void
assert_same_json(const char *got, size_t got_len, const char *want,
		 size_t want_len)
{
	json_t *g = parse_or_fail(got, got_len, "streaming");
	json_t *w = parse_or_fail(want, want_len, "jansson");

	if (!json_equal(g, w))
		fail_msg("not the same JSON:\n got: %.*s\nwant: %.*s",
			 (int)got_len, got, (int)want_len, want);
	if (got_len != want_len || memcmp(got, want, got_len) != 0)
		fail_msg("same JSON, other bytes:\n got: %.*s\nwant: %.*s",
			 (int)got_len, got, (int)want_len, want);
	json_decref(g);
	json_decref(w);
}

static char *
write_line(int (*write)(FILE *, const struct exp_message *,
			const struct pat_indicator *, uint64_t),
	   const struct test_event *t, size_t *size)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, size);

	assert_non_null(out);
	assert_int_equal(write(out, &t->msg, &t->ind, t->ev.db_version), 0);
	fclose(out);
	assert_true(*size > 0 && text[*size - 1] == '\n');
	return text;
}

/* Both writers on one event: the exporter's record (and its syslog
 * message), and the exp_event_write() line. */
static void
compare_with_jansson(const struct test_event *t)
{
	struct exp_buffer got = { 0 }, want = { 0 }, message = { 0 };

	assert_int_equal(exp_format_record(EXP_FORMAT_ECS, &t->ev, &got), 0);
	assert_int_equal(ecs_reference_event(&t->ev, &want), 0);
	assert_same_json(got.data, got.len, want.data, want.len);
	assert_int_equal(exp_format_syslog(EXP_FORMAT_ECS, &t->ev, &message), 0);
	assert_true(message.len > got.len);
	assert_memory_equal(message.data + message.len - got.len, got.data,
			    got.len);

	size_t got_size, want_size;
	char *got_line = write_line(exp_event_write, t, &got_size);
	char *want_line = write_line(ecs_reference_write, t, &want_size);
	assert_same_json(got_line, got_size - 1, want_line, want_size - 1);
	assert_null(memchr(got_line, '\n', got_size - 1));
	free(got_line);
	free(want_line);
	exp_buffer_free(&got);
	exp_buffer_free(&want);
	exp_buffer_free(&message);
}

/* Every protocol, indicator type (and one out of the enum), severity (and
 * two out of range), single hit or aggregate, and network fields none,
 * IPv4, IPv6 or an odd version; the rest random and hostile. */
static void
test_against_jansson_every_kind(void **state)
{
	(void)state;
	static const enum exp_protocol protocols[] = {
		EXP_PROTOCOL_SYSLOG, EXP_PROTOCOL_DNS, EXP_PROTOCOL_LOG_LINE,
	};
	static const uint8_t ip_versions[] = { 0, 4, 6, 5 };
	struct test_event *t = malloc(sizeof(*t));
	unsigned int events = 0;

	assert_non_null(t);
	rng_state = 0x9e3779b97f4a7c15ull;
	for (size_t p = 0; p < sizeof(protocols) / sizeof(protocols[0]); p++)
		for (unsigned int type = 0; type <= PAT_TYPE_COUNT; type++)
			for (uint8_t sev = 0; sev <= PAT_SEVERITY_CRITICAL + 2;
			     sev++)
				for (int agg = 0; agg < 2; agg++) {
					event_fill(t, protocols[p],
						   (enum pat_type)type, sev,
						   agg, ip_versions[rnd_below(4)]);
					compare_with_jansson(t);
					events++;
				}
	assert_int_equal(events, 3 * (PAT_TYPE_COUNT + 1) * 7 * 2);
	free(t);
}

/* A few thousand events with everything random. */
static void
test_against_jansson_random(void **state)
{
	(void)state;
	static const enum exp_protocol protocols[] = {
		EXP_PROTOCOL_SYSLOG, EXP_PROTOCOL_DNS, EXP_PROTOCOL_LOG_LINE,
	};
	static const uint8_t ip_versions[] = { 0, 4, 6 };
	struct test_event *t = malloc(sizeof(*t));

	assert_non_null(t);
	rng_state = 0x2545f4914f6cdd1dull;
	for (int i = 0; i < 5000; i++) {
		event_fill(t, protocols[rnd_below(3)],
			   (enum pat_type)rnd_below(PAT_TYPE_COUNT + 1),
			   (uint8_t)rnd_below(PAT_SEVERITY_CRITICAL + 2),
			   rnd_below(3) == 0, ip_versions[rnd_below(3)]);
		compare_with_jansson(t);
	}
	free(t);
}

/* Every control character, DEL, every byte above 0x7f alone, in every
 * string field at once. */
static void
test_against_jansson_every_byte(void **state)
{
	(void)state;
	struct test_event *t = malloc(sizeof(*t));

	assert_non_null(t);
	rng_state = 0x853c49e6748fea9bull;
	for (unsigned int c = 1; c < 256; c++) {
		char s[4] = { 'a', (char)c, 'b', '\0' };
		event_fill(t, c % 2 ? EXP_PROTOCOL_SYSLOG : EXP_PROTOCOL_LOG_LINE,
			   (enum pat_type)(c % PAT_TYPE_COUNT), (uint8_t)(c % 5),
			   c % 3 == 0, (uint8_t)(c % 3 == 0 ? 0 : 4));
		memcpy(t->value, s, sizeof(s));
		memcpy(t->tags, s, sizeof(s));
		memcpy(t->source, s, sizeof(s));
		memcpy(t->feed, s, sizeof(s));
		memcpy(t->file, s, sizeof(s));
		memcpy(t->id, s, sizeof(s));
		memcpy(t->hostname, s, sizeof(s));
		t->ind.tags = t->tags;
		t->ind.source = t->source;
		t->msg.file = t->file;
		t->ev.id = t->id;
		t->ev.hostname = t->hostname;
		/* A syslog header with the byte in every field, and NUL. */
		int n = snprintf((char *)t->payload, sizeof(t->payload),
				 "<14>1 2026-11-26T10:00:05Z h%s a%s p%s m%s - x%s",
				 s, s, s, s, s);
		t->payload[n] = '\0';
		memcpy(t->payload + n + 1, s, 3);
		t->msg.payload = t->payload;
		t->msg.payload_len = (size_t)n + 4;
		compare_with_jansson(t);
	}
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_event),
		cmocka_unit_test(test_malformed_messages),
		cmocka_unit_test(test_encapsulation_fields),
		cmocka_unit_test(test_hostile_payload_is_escaped),
		cmocka_unit_test(test_indicator_fields_per_type),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_message_lines),
		cmocka_unit_test(test_against_jansson_every_kind),
		cmocka_unit_test(test_against_jansson_random),
		cmocka_unit_test(test_against_jansson_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
