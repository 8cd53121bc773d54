/* test_format.c -- RFC 5424, CEF, LEEF and ECS records: exact layouts,
 * and escaping of hostile messages and feed values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "format.h"

#define TIME_NS 1795687205123456000ULL     /* 2026-11-26T10:00:05.123456Z */
#define HEADER_HIGH "<131>1 2026-11-26T10:00:05.123456Z span-01 iocsift - hit "

static const char syslog_payload[] = "<14>1 2026-11-26T10:00:05.123456Z edr01 "
	"falcon 42 - - host contacted journalide.org:443\n";

static const struct pat_indicator domain_indicator = {
	.type = PAT_TYPE_DOMAIN,
	.value = "journalide.org",
	.tags = "3cx,c2",
	.source = "https://example.invalid/report",
	.feed = "3cx",
	.line = 9,
	.severity = PAT_SEVERITY_HIGH,
};

static struct exp_message
syslog_message(const void *payload, size_t len)
{
	return (struct exp_message){
		.protocol = EXP_PROTOCOL_SYSLOG,
		.time_ns = TIME_NS,
		.ip_version = 4,
		.l4_proto = 17,
		.src_addr = { 10, 0, 0, 14 },
		.dst_addr = { 10, 0, 0, 2 },
		.src_port = 40005,
		.dst_port = 514,
		.frame = 3,
		.payload = payload,
		.payload_len = len,
	};
}

static struct exp_event
event_of(const struct exp_message *msg, const struct pat_indicator *ind)
{
	return (struct exp_event){
		.msg = msg, .ind = ind, .db_version = 7,
		.id = "0123456789abcdef-42", .hostname = "span-01", .count = 1,
		.first_ns = msg->time_ns, .last_ns = msg->time_ns,
	};
}

/* One line: no NUL, CR or LF, valid UTF-8, no control character but the
 * LEEF delimiter. */
static void
check_line(enum exp_format format, const struct exp_buffer *b)
{
	assert_non_null(b->data);
	assert_int_equal(strlen(b->data), b->len);
	char *clean = malloc(3 * b->len + 1);
	assert_non_null(clean);
	assert_int_equal(exp_utf8_sanitize((const uint8_t *)b->data, b->len,
					   clean), b->len);
	assert_memory_equal(clean, b->data, b->len);
	free(clean);
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '\t' && format == EXP_FORMAT_LEEF)
			continue;
		if (c < 0x20 || (c == 0x7f && format != EXP_FORMAT_ECS))
			fail_msg("control 0x%02x at %zu in %s", c, i, b->data);
	}
}

/* The record (or syslog message) of ev in format, checked to be one line;
 * the caller frees it. */
static char *
format_text(enum exp_format format, const struct exp_event *ev, bool syslog)
{
	struct exp_buffer b = { 0 };

	if (syslog)
		assert_int_equal(exp_format_syslog(format, ev, &b), 0);
	else
		assert_int_equal(exp_format_record(format, ev, &b), 0);
	check_line(format, &b);
	return b.data;
}

static void
assert_format(enum exp_format format, const struct exp_event *ev,
	      const char *expected)
{
	char *text = format_text(format, ev, false);

	if (strcmp(text, expected) != 0)
		fail_msg("%s:\n got: %s\nwant: %s", exp_format_name(format),
			 text, expected);
	free(text);
}

static void
assert_prefix(const char *text, const char *prefix)
{
	if (strncmp(text, prefix, strlen(prefix)) != 0)
		fail_msg("\n got: %s\nwant: %s...", text, prefix);
}

static json_t *
json_of(const char *text)
{
	json_error_t error;
	json_t *root = json_loads(text, JSON_ALLOW_NUL, &error);

	if (root == NULL)
		fail_msg("not JSON: %s: %s", error.text, text);
	return root;
}

static json_t *
json_at(json_t *root, const char *path)
{
	char key[64];
	json_t *node = root;

	while (node != NULL && *path != '\0') {
		size_t n = strcspn(path, "/");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		node = json_is_array(node) ?
			json_array_get(node, strtoul(key, NULL, 10)) :
			json_object_get(node, key);
		path += n + (path[n] == '/');
	}
	return node;
}

static const char *
string_at(json_t *root, const char *path)
{
	json_t *node = json_at(root, path);

	if (!json_is_string(node))
		fail_msg("no string at %s", path);
	return json_string_value(node);
}

static void
test_names(void **state)
{
	(void)state;
	enum exp_format f = EXP_FORMAT_ECS;

	for (unsigned int i = 0; i < EXP_FORMAT_COUNT; i++) {
		assert_int_equal(exp_format_from_name(exp_format_name(i), &f), 0);
		assert_int_equal(f, i);
	}
	assert_string_equal(exp_format_name(EXP_FORMAT_RFC5424), "rfc5424");
	assert_int_equal(exp_format_from_name("LEEF", &f), 0);
	assert_int_equal(f, EXP_FORMAT_LEEF);
	assert_int_equal(exp_format_from_name("Cef", &f), 0);
	assert_int_equal(f, EXP_FORMAT_CEF);
	assert_int_equal(exp_format_from_name("json", &f), -EINVAL);
	assert_int_equal(exp_format_from_name("", &f), -EINVAL);
	assert_int_equal(exp_format_from_name("cef ", &f), -EINVAL);
	assert_int_equal(exp_format_from_name(NULL, &f), -EINVAL);
	assert_string_equal(exp_format_name((enum exp_format)9), "unknown");
}

static void
test_buffer(void **state)
{
	(void)state;
	struct exp_buffer b = { 0 };
	char big[3000];

	exp_buffer_reset(&b);
	assert_null(b.data);
	assert_int_equal(exp_buffer_append(&b, "ab", 2), 0);
	assert_string_equal(b.data, "ab");
	memset(big, 'x', sizeof(big));
	assert_int_equal(exp_buffer_append(&b, big, sizeof(big)), 0);
	assert_int_equal(b.len, 2 + sizeof(big));
	assert_int_equal(strlen(b.data), b.len);
	char *kept = b.data;
	size_t cap = b.cap;
	exp_buffer_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, kept);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	exp_buffer_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
}

static void
test_rfc5424_layout(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(syslog_payload,
						strlen(syslog_payload));
	struct exp_event ev = event_of(&msg, &domain_indicator);
	const char *expected = HEADER_HIGH "[iocsift@32473 "
		"id=\"0123456789abcdef-42\" type=\"domain\" "
		"value=\"journalide.org\" feed=\"3cx\" tags=\"3cx,c2\" "
		"severity=\"high\" reference=\"https://example.invalid/report\" "
		"src=\"10.0.0.14\" srcport=\"40005\" dst=\"10.0.0.2\" "
		"dstport=\"514\" transport=\"UDP\" proto=\"syslog\" count=\"1\" "
		"dbversion=\"7\" matched=\"message\"] "
		"<14>1 2026-11-26T10:00:05.123456Z edr01 falcon 42 - - "
		"host contacted journalide.org:443";

	assert_format(EXP_FORMAT_RFC5424, &ev, expected);
	/* The syslog form of RFC 5424 is the record itself. */
	char *text = format_text(EXP_FORMAT_RFC5424, &ev, true);
	assert_string_equal(text, expected);
	free(text);
}

static void
test_cef_layout(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(syslog_payload,
						strlen(syslog_payload));
	struct exp_event ev = event_of(&msg, &domain_indicator);
	const char *expected = "CEF:0|iocsift|iocsift|" IOCSIFT_VERSION
		"|ioc-domain|IOC hit: domain journalide.org|8|"
		"rt=1795687205123 cat=indicator-match src=10.0.0.14 spt=40005 "
		"dst=10.0.0.2 dpt=514 proto=UDP app=syslog dvchost=span-01 "
		"externalId=0123456789abcdef-42 cs1Label=iocValue "
		"cs1=journalide.org cs2Label=iocFeed cs2=3cx cs3Label=iocTags "
		"cs3=3cx,c2 cs4Label=iocType cs4=domain cs5Label=matchedField "
		"cs5=message cs6Label=iocReference "
		"cs6=https://example.invalid/report cnt=1 cn1Label=dbVersion "
		"cn1=7 msg=<14>1 2026-11-26T10:00:05.123456Z edr01 falcon 42 - - "
		"host contacted journalide.org:443";

	assert_format(EXP_FORMAT_CEF, &ev, expected);
	char *text = format_text(EXP_FORMAT_CEF, &ev, true);
	assert_prefix(text, HEADER_HIGH "- ");
	assert_string_equal(text + strlen(HEADER_HIGH) + 2, expected);
	free(text);
}

static void
test_leef_layout(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(syslog_payload,
						strlen(syslog_payload));
	struct exp_event ev = event_of(&msg, &domain_indicator);
	const char *expected = "LEEF:2.0|iocsift|iocsift|" IOCSIFT_VERSION
		"|ioc-domain|x09|"
		"devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ\t"
		"devTime=2026-11-26T10:00:05.123+0000\tcat=indicator-match\t"
		"sev=8\tsrc=10.0.0.14\tsrcPort=40005\tdst=10.0.0.2\t"
		"dstPort=514\tproto=UDP\tapp=syslog\tdvchost=span-01\t"
		"eventId=0123456789abcdef-42\tiocType=domain\t"
		"iocValue=journalide.org\tiocFeed=3cx\tiocTags=3cx,c2\t"
		"iocSeverity=high\tiocReference=https://example.invalid/report\t"
		"matchedField=message\tcount=1\tdbVersion=7\t"
		"msg=<14>1 2026-11-26T10:00:05.123456Z edr01 falcon 42 - - "
		"host contacted journalide.org:443";

	assert_format(EXP_FORMAT_LEEF, &ev, expected);
	char *text = format_text(EXP_FORMAT_LEEF, &ev, true);
	assert_prefix(text, HEADER_HIGH "- ");
	assert_string_equal(text + strlen(HEADER_HIGH) + 2, expected);
	free(text);
}

static void
test_ecs_record(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(syslog_payload,
						strlen(syslog_payload));
	struct exp_event ev = event_of(&msg, &domain_indicator);
	char *text = format_text(EXP_FORMAT_ECS, &ev, false);
	json_t *e = json_of(text);

	/* The exp_event_write() fields, and what the event adds. */
	assert_string_equal(string_at(e, "@timestamp"),
			    "2026-11-26T10:00:05.123456Z");
	assert_string_equal(string_at(e, "message"),
			    "host contacted journalide.org:443");
	assert_string_equal(string_at(e, "event/original"), syslog_payload);
	assert_string_equal(string_at(e, "threat/indicator/url/domain"),
			    "journalide.org");
	assert_string_equal(string_at(e, "event/id"), "0123456789abcdef-42");
	assert_string_equal(string_at(e, "observer/hostname"), "span-01");
	assert_int_equal(json_integer_value(json_at(e, "iocsift/count")), 1);
	assert_int_equal(json_integer_value(json_at(e, "iocsift/db_version")), 7);
	assert_null(json_at(e, "event/start"));
	assert_null(json_at(e, "event/end"));
	json_decref(e);

	/* The syslog form: the header, then the same object. */
	char *message = format_text(EXP_FORMAT_ECS, &ev, true);
	assert_prefix(message, HEADER_HIGH "- {");
	assert_string_equal(message + strlen(HEADER_HIGH) + 2, text);
	free(message);
	free(text);

	/* No id, no hostname: no event.id, no observer. */
	ev.id = "";
	ev.hostname = NULL;
	text = format_text(EXP_FORMAT_ECS, &ev, false);
	e = json_of(text);
	assert_null(json_at(e, "event/id"));
	assert_null(json_at(e, "observer"));
	json_decref(e);
	free(text);

	/* Tagged and in VXLAN: the tag in network, the tunnel in iocsift;
	 * the text formats carry neither. */
	msg.encap = (struct dp_encap){
		.layers = { DP_ENCAP_VLAN, DP_ENCAP_VXLAN }, .n_layers = 2,
		.vlan_count = 1, .vlan_ids = { 100 },
		.has_tunnel_id = true, .tunnel_id = 42, .outer_ip_version = 4,
		.outer_src_addr = { 192, 0, 2, 10 },
		.outer_dst_addr = { 192, 0, 2, 20 },
	};
	text = format_text(EXP_FORMAT_ECS, &ev, false);
	assert_non_null(strstr(text, "\"network\":{\"transport\":\"udp\","
		"\"type\":\"ipv4\",\"protocol\":\"syslog\","
		"\"vlan\":{\"id\":\"100\"}},"));
	assert_non_null(strstr(text, "\"frame\":3,\"encapsulation\":{"
		"\"layers\":[\"vlan\",\"vxlan\"],\"tunnel\":{\"id\":42,"
		"\"source\":{\"ip\":\"192.0.2.10\"},"
		"\"destination\":{\"ip\":\"192.0.2.20\"}}},"));
	free(text);
	text = format_text(EXP_FORMAT_CEF, &ev, false);
	assert_null(strstr(text, "192.0.2.10"));
	free(text);
}

/* A retro-hunt's event: an enrichment of the past in ECS, marked in the
 * other formats too, at the message's own time; a live one is none. */
static void
test_retro(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(syslog_payload,
						strlen(syslog_payload));
	struct exp_event ev = event_of(&msg, &domain_indicator);
	const char *marks[] = {
		[EXP_FORMAT_RFC5424] = " retro=\"true\"",
		[EXP_FORMAT_CEF] = " cat=indicator-match-retro ",
		[EXP_FORMAT_LEEF] = "\tretro=true",
	};

	for (int retro = 0; retro <= 1; retro++) {
		msg.retro = retro;
		char *text = format_text(EXP_FORMAT_ECS, &ev, false);
		json_t *root = json_of(text);
		assert_string_equal(string_at(root, "event/kind"),
				    retro ? "enrichment" : "alert");
		assert_string_equal(string_at(root, "event/dataset"),
				    retro ? "iocsift.retro" : "iocsift.hit");
		assert_string_equal(string_at(root, "@timestamp"),
				    "2026-11-26T10:00:05.123456Z");
		json_t *flag = json_at(root, "iocsift/retro");
		if (retro)
			assert_true(json_is_true(flag));
		else
			assert_null(flag);
		json_decref(root);
		free(text);
		for (enum exp_format f = EXP_FORMAT_RFC5424;
		     f <= EXP_FORMAT_LEEF; f++) {
			text = format_text(f, &ev, false);
			if ((strstr(text, marks[f]) != NULL) != retro)
				fail_msg("%s, retro %d: %s", exp_format_name(f),
					 retro, text);
			free(text);
		}
	}
}

static void
test_aggregate(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message("evil", 4);
	struct exp_event ev = event_of(&msg, &domain_indicator);
	char *text;

	ev.count = 5;
	ev.first_ns = TIME_NS - 30000000000ULL;     /* 30 s earlier */
	ev.last_ns = TIME_NS + 1000000ULL;          /* 1 ms later */
	text = format_text(EXP_FORMAT_ECS, &ev, false);
	json_t *e = json_of(text);
	assert_string_equal(string_at(e, "@timestamp"),
			    "2026-11-26T10:00:05.124456Z");
	assert_string_equal(string_at(e, "event/start"),
			    "2026-11-26T09:59:35.123456Z");
	assert_string_equal(string_at(e, "event/end"),
			    "2026-11-26T10:00:05.124456Z");
	assert_int_equal(json_integer_value(json_at(e, "iocsift/count")), 5);
	json_decref(e);
	free(text);

	text = format_text(EXP_FORMAT_RFC5424, &ev, false);
	assert_prefix(text, "<131>1 2026-11-26T10:00:05.124456Z span-01 ");
	assert_non_null(strstr(text, " count=\"5\" "
		"start=\"2026-11-26T09:59:35.123456Z\" "
		"end=\"2026-11-26T10:00:05.124456Z\" dbversion=\"7\""));
	free(text);

	text = format_text(EXP_FORMAT_CEF, &ev, false);
	assert_non_null(strstr(text, "|8|rt=1795687205124 "));
	assert_non_null(strstr(text, " cnt=5 start=1795687175123 "
			       "end=1795687205124 cn1Label=dbVersion"));
	free(text);

	text = format_text(EXP_FORMAT_LEEF, &ev, false);
	assert_non_null(strstr(text, "\tdevTime=2026-11-26T10:00:05.124+0000\t"));
	assert_non_null(strstr(text, "\tcount=5\t"
		"startTime=2026-11-26T09:59:35.123+0000\t"
		"endTime=2026-11-26T10:00:05.124+0000\tdbVersion=7\t"));
	free(text);

	/* A zeroed count, first and last read as 1 and the message's time. */
	ev.count = 0;
	ev.first_ns = ev.last_ns = 0;
	text = format_text(EXP_FORMAT_RFC5424, &ev, false);
	assert_prefix(text, HEADER_HIGH "[iocsift@32473 ");
	assert_non_null(strstr(text, " count=\"1\" dbversion=\"7\""));
	assert_null(strstr(text, "start="));
	free(text);
}

static void
test_severity_and_hostname(void **state)
{
	(void)state;
	static const struct {
		uint8_t severity;
		const char *pri;
		const char *cef;
		const char *leef;
	} cases[] = {
		{ PAT_SEVERITY_CRITICAL, "<130>", "|10|", "\tsev=10\t" },
		{ PAT_SEVERITY_HIGH, "<131>", "|8|", "\tsev=8\t" },
		{ PAT_SEVERITY_MEDIUM, "<132>", "|5|", "\tsev=5\t" },
		{ PAT_SEVERITY_LOW, "<133>", "|3|", "\tsev=3\t" },
		{ PAT_SEVERITY_UNSET, "<132>", "|5|", "\tsev=5\t" },
	};
	struct exp_message msg = syslog_message("evil", 4);
	struct pat_indicator ind = domain_indicator;
	struct exp_event ev = event_of(&msg, &ind);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ind.severity = cases[i].severity;
		for (unsigned int f = 0; f < EXP_FORMAT_COUNT; f++) {
			char *text = format_text(f, &ev, true);
			assert_prefix(text, cases[i].pri);
			if (f == EXP_FORMAT_CEF)
				assert_non_null(strstr(text, cases[i].cef));
			if (f == EXP_FORMAT_LEEF)
				assert_non_null(strstr(text, cases[i].leef));
			if (f == EXP_FORMAT_RFC5424 &&
			    cases[i].severity == PAT_SEVERITY_UNSET)
				assert_null(strstr(text, "severity="));
			free(text);
		}
	}

	/* HOSTNAME is printable US-ASCII or "-". */
	ind.severity = PAT_SEVERITY_LOW;
	ev.hostname = "span 01\xc3\xa9";
	char *text = format_text(EXP_FORMAT_CEF, &ev, true);
	assert_prefix(text, "<133>1 2026-11-26T10:00:05.123456Z span_01__ "
		      "iocsift - hit - CEF:0|");
	assert_non_null(strstr(text, " dvchost=span 01\xc3\xa9 "));
	free(text);
	ev.hostname = NULL;
	text = format_text(EXP_FORMAT_LEEF, &ev, true);
	assert_prefix(text, "<133>1 2026-11-26T10:00:05.123456Z - "
		      "iocsift - hit - LEEF:2.0|");
	assert_null(strstr(text, "dvchost"));
	free(text);
}

/* Quotes, backslash, '=', '|', ']', LF, CR, tab, NUL, DEL, a lone
 * continuation byte, an overlong sequence, a valid 'é', and a line end
 * (dropped). */
static const char hostile_payload[] =
	"a\"b\\c=d|e]f\ng\rh\ti\0j\x7fk\x80l\xc0\xafm\xc3\xa9\r\n";

/* The same in a tag, the feed and the indicator (C strings: no NUL). */
static const struct pat_indicator hostile_indicator = {
	.type = PAT_TYPE_REGEX,
	.value = "a|b\\c=d\"e]f\ng\xff",
	.tags = "x\"y\\z]w=v|u\nt\xfe,ok",
	.source = "",
	.feed = "fe|ed]\"\\=\r\x80",
	.line = 1,
};

#define FFFD "\xef\xbf\xbd"

/* The hostile payload and indicator, with a hostile event id (and, for
 * CEF, host name), as each text format escapes them. */
static const struct {
	const char *name;
	enum exp_format format;
	const char *id;
	const char *hostname;
	const char *expected;
} hostile_cases[] = {
	{
		.name = "RFC 5424",
		.format = EXP_FORMAT_RFC5424,
		.id = "i\"d]",
		.hostname = "span-01",
		.expected =
		"<132>1 2026-11-26T10:00:05.123456Z span-01 iocsift - hit "
		"[iocsift@32473 id=\"i\\\"d\\]\" type=\"regex\" "
		"value=\"a|b\\\\c=d\\\"e\\]f#012g" FFFD "\" "
		"feed=\"fe|ed\\]\\\"\\\\=#015" FFFD "\" "
		"tags=\"x\\\"y\\\\z\\]w=v|u#012t" FFFD ",ok\" "
		"src=\"10.0.0.14\" srcport=\"40005\" dst=\"10.0.0.2\" "
		"dstport=\"514\" transport=\"UDP\" proto=\"syslog\" "
		"count=\"1\" dbversion=\"7\" matched=\"message\"] "
		"a\"b\\c=d|e]f#012g#015h#011i#000j#177k" FFFD "l" FFFD FFFD
		"m\xc3\xa9",
	},
	{
		.name = "CEF",
		.format = EXP_FORMAT_CEF,
		.id = "i=d",
		.hostname = "h\\=",
		.expected =
		"CEF:0|iocsift|iocsift|" IOCSIFT_VERSION "|ioc-regex|"
		"IOC hit: regex a\\|b\\\\c=d\"e]f#012g" FFFD "|5|"
		"rt=1795687205123 cat=indicator-match src=10.0.0.14 spt=40005 "
		"dst=10.0.0.2 dpt=514 proto=UDP app=syslog dvchost=h\\\\\\= "
		"externalId=i\\=d cs1Label=iocValue "
		"cs1=a|b\\\\c\\=d\"e]f\\ng" FFFD " "
		"cs2Label=iocFeed cs2=fe|ed]\"\\\\\\=\\r" FFFD " "
		"cs3Label=iocTags cs3=x\"y\\\\z]w\\=v|u\\nt" FFFD ",ok "
		"cs4Label=iocType cs4=regex cs5Label=matchedField cs5=message "
		"cnt=1 cn1Label=dbVersion cn1=7 "
		"msg=a\"b\\\\c\\=d|e]f\\ng\\rh#011i#000j#177k" FFFD "l" FFFD FFFD
		"m\xc3\xa9",
	},
	{
		.name = "LEEF",
		.format = EXP_FORMAT_LEEF,
		.id = "i\td",
		.hostname = "span-01",
		.expected =
		"LEEF:2.0|iocsift|iocsift|" IOCSIFT_VERSION "|ioc-regex|x09|"
		"devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ\t"
		"devTime=2026-11-26T10:00:05.123+0000\tcat=indicator-match\t"
		"sev=5\tsrc=10.0.0.14\tsrcPort=40005\tdst=10.0.0.2\t"
		"dstPort=514\tproto=UDP\tapp=syslog\tdvchost=span-01\t"
		"eventId=i#011d\tiocType=regex\t"
		"iocValue=a|b\\c=d\"e]f#012g" FFFD "\t"
		"iocFeed=fe|ed]\"\\=#015" FFFD "\t"
		"iocTags=x\"y\\z]w=v|u#012t" FFFD ",ok\t"
		"matchedField=message\tcount=1\tdbVersion=7\t"
		"msg=a\"b\\c=d|e]f#012g#015h#011i#000j#177k" FFFD "l" FFFD FFFD
		"m\xc3\xa9",
	},
};

static void
test_hostile_text_formats(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(hostile_payload,
						sizeof(hostile_payload) - 1);
	struct exp_event ev = event_of(&msg, &hostile_indicator);

	for (size_t i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]);
	     i++) {
		struct exp_buffer b = { 0 };
		int rc;

		ev.id = hostile_cases[i].id;
		ev.hostname = hostile_cases[i].hostname;
		/* format_text(), naming the case when the record is wrong. */
		rc = exp_format_record(hostile_cases[i].format, &ev, &b);
		if (rc != 0 || b.data == NULL || strlen(b.data) != b.len ||
		    strcmp(b.data, hostile_cases[i].expected) != 0)
			print_error("case '%s'\n", hostile_cases[i].name);
		assert_int_equal(rc, 0);
		check_line(hostile_cases[i].format, &b);
		if (strcmp(b.data, hostile_cases[i].expected) != 0)
			fail_msg("%s:\n got: %s\nwant: %s",
				 exp_format_name(hostile_cases[i].format),
				 b.data, hostile_cases[i].expected);
		free(b.data);
	}
}

static void
test_hostile_ecs(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message(hostile_payload,
						sizeof(hostile_payload) - 1);
	struct exp_event ev = event_of(&msg, &hostile_indicator);
	const char original[] = "a\"b\\c=d|e]f\ng\rh\ti\0j\x7fk" FFFD "l"
		FFFD FFFD "m\xc3\xa9\r\n";

	for (int syslog = 0; syslog < 2; syslog++) {
		char *text = format_text(EXP_FORMAT_ECS, &ev, syslog);
		const char *object = strchr(text, '{');
		assert_non_null(object);
		json_t *e = json_of(object);
		json_t *s = json_at(e, "event/original");
		assert_int_equal(json_string_length(s), sizeof(original) - 1);
		assert_memory_equal(json_string_value(s), original,
				    sizeof(original) - 1);
		/* Not a syslog message: message is all of it but the line end. */
		s = json_at(e, "message");
		assert_int_equal(json_string_length(s), sizeof(original) - 3);
		assert_memory_equal(json_string_value(s), original,
				    sizeof(original) - 3);
		assert_string_equal(string_at(e, "threat/feed/name"),
				    "fe|ed]\"\\=\r" FFFD);
		assert_string_equal(string_at(e, "threat/indicator/description"),
				    "a|b\\c=d\"e]f\ng" FFFD);
		assert_string_equal(string_at(e, "tags/0"),
				    "x\"y\\z]w=v|u\nt" FFFD);
		assert_string_equal(string_at(e, "tags/1"), "ok");
		json_decref(e);
		free(text);
	}
}

static void
test_dns(void **state)
{
	(void)state;
	/* A response for evil.example A with a CNAME and an address. */
	static const uint8_t response[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		4, 'e', 'v', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0, 1, 0, 1,
		0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4,
		1, 'c', 0xc0, 0x0c,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
	};
	struct exp_message msg = syslog_message(response, sizeof(response));
	struct pat_indicator ind = domain_indicator;
	struct exp_event ev = event_of(&msg, &ind);
	char *text;

	msg.protocol = EXP_PROTOCOL_DNS;
	ind.value = "evil.example";
	text = format_text(EXP_FORMAT_RFC5424, &ev, false);
	assert_non_null(strstr(text, " proto=\"dns\" "));
	assert_non_null(strstr(text, " matched=\"dns.question.name\"] "
		"dns response evil.example A: c.evil.example 192.0.2.1"));
	free(text);

	ind.type = PAT_TYPE_IPV4;
	ind.value = "192.0.2.1";
	text = format_text(EXP_FORMAT_CEF, &ev, false);
	assert_non_null(strstr(text, " app=dns "));
	assert_non_null(strstr(text, " cs5=dns.answers.data "));
	assert_non_null(strstr(text, " msg=dns response evil.example A: "
			       "c.evil.example 192.0.2.1"));
	free(text);

	/* A query, and a message that does not parse. */
	uint8_t query[30];
	memcpy(query, response, sizeof(query));
	query[2] = 0x01;
	query[7] = 0;
	msg.payload = query;
	msg.payload_len = sizeof(query);
	text = format_text(EXP_FORMAT_LEEF, &ev, false);
	assert_non_null(strstr(text, "\tmsg=dns query evil.example A"));
	free(text);
	msg.payload_len = 5;
	text = format_text(EXP_FORMAT_RFC5424, &ev, false);
	assert_non_null(strstr(text, "] dns message of 5 bytes (malformed)"));
	free(text);
}

static void
test_log_line_and_ipv6(void **state)
{
	(void)state;
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_LOG_LINE,
		.time_ns = TIME_NS,
		.file = "/var/log/a\"b].log",
		.line = 12,
		.payload = (const uint8_t *)"x\n",
		.payload_len = 2,
		.truncated = true,
	};
	struct pat_indicator ind = domain_indicator;
	struct exp_event ev = event_of(&msg, &ind);
	char *text;

	text = format_text(EXP_FORMAT_RFC5424, &ev, false);
	assert_non_null(strstr(text, " reference=\"https://example.invalid/"
		"report\" proto=\"log\" file=\"/var/log/a\\\"b\\].log\" "
		"line=\"12\" count=\"1\" dbversion=\"7\" matched=\"message\" "
		"truncated=\"true\"] x"));
	assert_null(strstr(text, "src="));
	free(text);
	text = format_text(EXP_FORMAT_CEF, &ev, false);
	assert_non_null(strstr(text, " flexString1Label=logFile "
		"flexString1=/var/log/a\"b].log flexNumber1Label=logLine "
		"flexNumber1=12 msg=x"));
	assert_null(strstr(text, " src="));
	free(text);
	text = format_text(EXP_FORMAT_LEEF, &ev, false);
	assert_non_null(strstr(text, "\tlogFile=/var/log/a\"b].log\t"
			       "logLine=12\ttruncated=true\tmsg=x"));
	free(text);

	/* IPv6 endpoints over TCP, a URL, an empty message. */
	struct exp_message net = syslog_message("", 0);
	net.ip_version = 6;
	net.l4_proto = 6;
	net.src_addr[0] = 0x20;
	net.src_addr[1] = 0x01;
	net.src_addr[2] = 0x0d;
	net.src_addr[3] = 0xb8;
	net.src_addr[15] = 1;
	memset(net.dst_addr, 0, sizeof(net.dst_addr));
	ev.msg = &net;
	ind.type = PAT_TYPE_URL;
	ind.value = "http://evil.example/a=b";
	text = format_text(EXP_FORMAT_RFC5424, &ev, false);
	assert_non_null(strstr(text, " src=\"2001:db8::1\" srcport=\"40005\" "
			       "dst=\"::\" dstport=\"514\" transport=\"TCP\" "));
	/* No MSG, so no space after the SD either. */
	assert_int_equal(text[strlen(text) - 1], ']');
	free(text);
	text = format_text(EXP_FORMAT_CEF, &ev, false);
	assert_non_null(strstr(text, " src=2001:db8::1 spt=40005 dst=:: "
			       "dpt=514 proto=TCP "));
	assert_non_null(strstr(text, " request=http://evil.example/a\\=b cnt=1 "));
	assert_int_equal(strcmp(text + strlen(text) - 5, " msg="), 0);
	free(text);
}

static void
test_cef_name_cut(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message("x", 1);
	struct pat_indicator ind = domain_indicator;
	struct exp_event ev = event_of(&msg, &ind);
	char value[301];

	/* 127 'a', then 'é' across the 128-byte limit: cut before it. */
	memset(value, 'a', 127);
	memcpy(value + 127, "\xc3\xa9", 2);
	memset(value + 129, 'b', sizeof(value) - 130);
	value[sizeof(value) - 1] = '\0';
	ind.type = PAT_TYPE_FILENAME;
	ind.value = value;
	char *text = format_text(EXP_FORMAT_CEF, &ev, false);
	char name[200];
	snprintf(name, sizeof(name), "|IOC hit: filename %.127s...|8|", value);
	assert_non_null(strstr(text, name));
	char *cs1 = strstr(text, " cs1=");
	assert_non_null(cs1);
	assert_memory_equal(cs1 + 5, value, strlen(value));
	char *fname = strstr(text, " fname=");
	assert_non_null(fname);
	assert_memory_equal(fname + 7, value, strlen(value));
	free(text);
}

static void
test_append_and_errors(void **state)
{
	(void)state;
	struct exp_message msg = syslog_message("x", 1);
	struct exp_event ev = event_of(&msg, &domain_indicator);
	struct exp_buffer b = { 0 };

	assert_int_equal(exp_buffer_append(&b, "first\n", 6), 0);
	assert_int_equal(exp_format_record(EXP_FORMAT_LEEF, &ev, &b), 0);
	assert_prefix(b.data, "first\nLEEF:2.0|");
	size_t len = b.len;
	assert_int_equal(exp_format_record((enum exp_format)4, &ev, &b), -EINVAL);
	assert_int_equal(exp_format_syslog((enum exp_format)-1, &ev, &b), -EINVAL);
	assert_int_equal(b.len, len);
	assert_int_equal(strlen(b.data), len);
	exp_buffer_free(&b);
}

/* The formats' own number, address and time writers make what snprintf,
 * inet_ntop and gmtime/strftime made before them. */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
test_writers_match_libc(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char got[64], want[64];

	/* Integers: every length, both ends. */
	static const uint64_t edges[] = { 0, 9, 10, 99, 100, 999, 1000, 65535,
					  UINT32_MAX, UINT64_MAX / 10,
					  UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]) + 20000; i++) {
		uint64_t v = i < sizeof(edges) / sizeof(edges[0]) ? edges[i] :
			xorshift(&seed) >> (xorshift(&seed) % 64);
		size_t n = exp_u64_format(v, got);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_int_equal(n, strlen(want));
		assert_memory_equal(got, want, n);
	}

	/* Addresses: zero runs of every length and place (each of the 256
	 * patterns of zero groups), the IPv4-compatible and -mapped forms,
	 * and random ones. */
	for (unsigned int i = 0; i < 256 * 40 + 20000; i++) {
		uint8_t addr[16];
		for (int j = 0; j < 16; j++)
			addr[j] = (uint8_t)xorshift(&seed);
		if (i < 256 * 40) {
			for (int g = 0; g < 8; g++)
				if ((i % 256) & (1u << g))
					addr[2 * g] = addr[2 * g + 1] = 0;
			if (i / 256 % 4 == 1)
				addr[xorshift(&seed) % 16] = 0;   /* half a group */
			if (i / 256 % 4 == 2)
				addr[10] = addr[11] = 0xff;
		}
		size_t n = exp_addr_format(6, addr, got);
		assert_non_null(inet_ntop(AF_INET6, addr, want, sizeof(want)));
		if (strcmp(got, want) != 0)
			fail_msg("ipv6: got %s, want %s", got, want);
		assert_int_equal(n, strlen(want));
		n = exp_addr_format(4, addr, got);
		assert_non_null(inet_ntop(AF_INET, addr, want, sizeof(want)));
		assert_string_equal(got, want);
		assert_int_equal(n, strlen(want));
	}

	/* Times: 1970 to the end of a uint64_t of nanoseconds, leap days, and
	 * one second after another (the per-second cache). */
	for (unsigned int i = 0; i < 40000; i++) {
		uint64_t ns = i < 20000 ? xorshift(&seed) :
			i < 30000 ? 951782400000000000ULL + i * 999999999ULL :
			(uint64_t)(xorshift(&seed) % 5000000000ULL) *
			1000000000ULL + i;
		if (i == 0)
			ns = 0;
		if (i == 1)
			ns = UINT64_MAX;
		time_t secs = (time_t)(ns / 1000000000ULL);
		struct tm tm;
		assert_non_null(gmtime_r(&secs, &tm));
		size_t n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + n, sizeof(want) - n, ".%06uZ",
			 (unsigned int)(ns % 1000000000ULL / 1000));
		exp_time_format(ns, got);
		if (strcmp(got, want) != 0)
			fail_msg("time %llu: got %s, want %s",
				 (unsigned long long)ns, got, want);
		assert_int_equal(strlen(got), EXP_TIME_LEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_rfc5424_layout),
		cmocka_unit_test(test_cef_layout),
		cmocka_unit_test(test_leef_layout),
		cmocka_unit_test(test_ecs_record),
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_retro),
		cmocka_unit_test(test_severity_and_hostname),
		cmocka_unit_test(test_hostile_text_formats),
		cmocka_unit_test(test_hostile_ecs),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_log_line_and_ipv6),
		cmocka_unit_test(test_cef_name_cut),
		cmocka_unit_test(test_append_and_errors),
		cmocka_unit_test(test_writers_match_libc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
