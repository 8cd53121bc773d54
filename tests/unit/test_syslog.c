/* test_syslog.c -- unit tests of the RFC 3164 / RFC 5424 syslog header parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "syslog.h"

/* Parses a string literal, embedded NULs included; the worker's
 * dp_syslog_check() must give the same answer for every message. */
#define PARSE(lit, msg) parse((const uint8_t *)(lit), sizeof(lit) - 1, (msg))

static int
parse(const uint8_t *data, size_t len, struct dp_syslog *msg)
{
	int rc = dp_syslog_parse(data, len, msg);

	assert_int_equal(dp_syslog_check(data, len), rc);
	return rc;
}

/* want NULL: the field is absent. */
static void
check_span(const char *text, struct dp_span span, const char *want)
{
	if (want == NULL) {
		assert_int_equal(span.len, 0);
		return;
	}
	assert_int_equal(span.len, strlen(want));
	assert_memory_equal(text + span.off, want, span.len);
}

/* One header case: text (with its NUL when nul_end) parses, as format
 * with priority, into the header fields in struct order -- timestamp,
 * hostname, appname, procid, msgid, structured_data, message; NULL is
 * absent. */
struct header_case {
	const char *name;
	const char *text;
	bool nul_end;
	enum dp_syslog_format format;
	int priority;
	const char *want[7];
};

static bool
span_is(const char *text, struct dp_span span, const char *want)
{
	if (want == NULL)
		return span.len == 0;
	return span.len == strlen(want) &&
	       memcmp(text + span.off, want, span.len) == 0;
}

static void
check_header_case(const struct header_case *c)
{
	static const char *const fields[7] = { "timestamp", "hostname",
		"appname", "procid", "msgid", "structured_data", "message" };
	const uint8_t *data = (const uint8_t *)c->text;
	size_t len = strlen(c->text) + c->nul_end;
	struct dp_syslog m;

	memset(&m, 0, sizeof(m));
	int rc = dp_syslog_parse(data, len, &m);
	int check = dp_syslog_check(data, len);

	if (rc != 0 || check != rc || m.format != c->format ||
	    m.priority != c->priority)
		print_error("case '%s': rc %d, check %d, format %d, "
			    "priority %d\n", c->name, rc, check, (int)m.format,
			    (int)m.priority);
	assert_int_equal(check, rc);
	assert_int_equal(rc, 0);
	assert_int_equal(m.format, c->format);
	assert_int_equal(m.priority, c->priority);

	const struct dp_span spans[7] = { m.timestamp, m.hostname, m.appname,
		m.procid, m.msgid, m.structured_data, m.message };
	for (size_t i = 0; i < 7; i++) {
		if (!span_is(c->text, spans[i], c->want[i]))
			print_error("case '%s': %s at %u, %u bytes, want '%s'\n",
				    c->name, fields[i], spans[i].off,
				    spans[i].len, c->want[i] != NULL ?
				    c->want[i] : "(absent)");
		check_span(c->text, spans[i], c->want[i]);
	}
}

static const struct header_case rfc3164_cases[] = {
	{
		.name = "full",
		.text = "<34>Oct 11 22:14:15 mymachine su[123]: "
			"'su root' failed for lonvick on /dev/pts/8",
		.format = DP_SYSLOG_RFC3164, .priority = 34,
		.want = { "Oct 11 22:14:15", "mymachine", "su", "123", NULL,
			  NULL, "'su root' failed for lonvick on /dev/pts/8" },
	},
	{
		/* The zeek capture's datagram ends in a NUL. */
		.name = "no hostname",
		.text = "<133>Apr  5 12:56:51 robin: Hello, syslog!",
		.nul_end = true,
		.format = DP_SYSLOG_RFC3164, .priority = 133,
		.want = { "Apr  5 12:56:51", NULL, "robin", NULL, NULL, NULL,
			  "Hello, syslog!" },
	},
	{
		.name = "RFC 3339 timestamp",
		.text = "<13>2013-09-12T19:16:34.457849+04:00 "
			"localhost through rsyslog: test message 23",
		.format = DP_SYSLOG_RFC3164, .priority = 13,
		.want = { "2013-09-12T19:16:34.457849+04:00", "localhost",
			  "through", NULL, NULL, NULL,
			  "rsyslog: test message 23" },
	},
	{
		.name = "no timestamp",
		.text = "<14>sshd[99]: Accepted publickey for fred",
		.format = DP_SYSLOG_RFC3164, .priority = 14,
		.want = { NULL, NULL, "sshd", "99", NULL, NULL,
			  "Accepted publickey for fred" },
	},
	{
		.name = "tag without colon",
		.text = "<15>Mar  6 04:07:23 hostname log_tag this is debug",
		.format = DP_SYSLOG_RFC3164, .priority = 15,
		.want = { "Mar  6 04:07:23", "hostname", "log_tag", NULL, NULL,
			  NULL, "this is debug" },
	},
	{
		.name = "pid then text",
		.text = "<30>Mar 11 19:26:45 osx-machine "
			"sockerfilterfw[1985] <Info>: launchd Allow",
		.format = DP_SYSLOG_RFC3164, .priority = 30,
		.want = { "Mar 11 19:26:45", "osx-machine", "sockerfilterfw",
			  "1985", NULL, NULL, "<Info>: launchd Allow" },
	},
	{
		.name = "fraction and single-digit day",
		.text = "<13>Feb 6 23:01:18.123 victoria process[2085]: Test",
		.format = DP_SYSLOG_RFC3164, .priority = 13,
		.want = { "Feb 6 23:01:18.123", "victoria", "process", "2085",
			  NULL, NULL, "Test" },
	},
	{
		.name = "Cisco colon after the timestamp",
		.text = "<189>Mar  1 00:00:09: %SYS-5-CONFIG_I: "
			"Configured from console",
		.format = DP_SYSLOG_RFC3164, .priority = 189,
		.want = { "Mar  1 00:00:09", NULL, "%SYS-5-CONFIG_I", NULL,
			  NULL, NULL, "Configured from console" },
	},
	{
		.name = "Cisco ASA: a year before the time",
		.text = "<166>Nov 26 2026 10:00:05: %ASA-6-302013: Built "
			"outbound TCP connection",
		.format = DP_SYSLOG_RFC3164, .priority = 166,
		.want = { "Nov 26 2026 10:00:05", NULL, "%ASA-6-302013", NULL,
			  NULL, NULL, "Built outbound TCP connection" },
	},
	{
		.name = "Snare: a TAB ends the tag",
		.text = "<14>Nov 26 10:00:05 WS01 MSWinEventLog\t1\tSecurity",
		.format = DP_SYSLOG_RFC3164, .priority = 14,
		.want = { "Nov 26 10:00:05", "WS01", "MSWinEventLog", NULL, NULL,
			  NULL, "\t1\tSecurity" },
	},
	/* What does not fit the header is left in the message. */
	{
		.name = "leftovers: a year that is not 4 digits",
		.text = "<13>Nov 26 202 10:00:05 host app: m",
		.format = DP_SYSLOG_RFC3164, .priority = 13,
		.want = { NULL, NULL, "Nov", NULL, NULL, NULL,
			  "26 202 10:00:05 host app: m" },
	},
	{
		.name = "leftovers: bad month",
		.text = "<13>Foo 11 22:14:15 host app: m",
		.format = DP_SYSLOG_RFC3164, .priority = 13,
		.want = { NULL, NULL, "Foo", NULL, NULL, NULL,
			  "11 22:14:15 host app: m" },
	},
	{
		.name = "leftovers: unclosed pid",
		.text = "<13>foo[12 bar",
		.format = DP_SYSLOG_RFC3164, .priority = 13,
		.want = { NULL, NULL, NULL, NULL, NULL, NULL, "foo[12 bar" },
	},
	{
		.name = "leftovers: one word after the hostname",
		.text = "<13>Oct 11 22:14:16 mymachine hello",
		.format = DP_SYSLOG_RFC3164, .priority = 13,
		.want = { "Oct 11 22:14:16", "mymachine", NULL, NULL, NULL,
			  NULL, "hello" },
	},
};

static void
test_3164_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc3164_cases) / sizeof(rfc3164_cases[0]);
	     i++)
		check_header_case(&rfc3164_cases[i]);
}

static void
test_3164_pri_only(void **state)
{
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE("<0>", &m), 0);
	assert_int_equal(m.format, DP_SYSLOG_RFC3164);
	assert_int_equal(m.priority, 0);
	assert_int_equal(m.message.len, 0);
	assert_int_equal(m.appname.len, 0);
	assert_int_equal(PARSE("<191>x", &m), 0);
	assert_int_equal(m.priority, 191);
}

static const struct header_case rfc5424_cases[] = {
	{
		.name = "full",
		.text = "<165>1 2003-10-11T22:14:15.003Z "
			"mymachine.example.com evntslog - ID47 "
			"[exampleSDID@32473 iut=\"3\" "
			"eventSource=\"Application\" eventID=\"1011\"] "
			"\xef\xbb\xbf" "An application event log entry...",
		.format = DP_SYSLOG_RFC5424, .priority = 165,
		.want = { "2003-10-11T22:14:15.003Z", "mymachine.example.com",
			  "evntslog", NULL, "ID47",
			  "[exampleSDID@32473 iut=\"3\" "
			  "eventSource=\"Application\" eventID=\"1011\"]",
			  "An application event log entry..." },
	},
	{
		.name = "all nil values",
		.text = "<14>1 - - - - - -",
		.format = DP_SYSLOG_RFC5424, .priority = 14,
		.want = { NULL },
	},
	{
		.name = "nil values, then a message and CRLF",
		.text = "<14>1 - - - - - - msg\r\n",
		.format = DP_SYSLOG_RFC5424, .priority = 14,
		.want = { [6] = "msg" },
	},
	{
		.name = "rsyslog",
		.text = "<15>1 2021-03-06T04:07:38.251122+00:00 "
			"hostname log_tag - 123 -  this is debug\n",
		.format = DP_SYSLOG_RFC5424, .priority = 15,
		.want = { "2021-03-06T04:07:38.251122+00:00", "hostname",
			  "log_tag", NULL, "123", NULL, " this is debug" },
	},
	{
		.name = "SD escapes",
		.text = "<14>1 2021-03-06T04:07:38-05:30 h a 1 m "
			"[id@1 k=\"a\\]b\\\"c\\\\\" x=\"\"][second] "
			"msg [not sd]",
		.format = DP_SYSLOG_RFC5424, .priority = 14,
		.want = { "2021-03-06T04:07:38-05:30", "h", "a", "1", "m",
			  "[id@1 k=\"a\\]b\\\"c\\\\\" x=\"\"][second]",
			  "msg [not sd]" },
	},
};

static void
test_5424_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc5424_cases) / sizeof(rfc5424_cases[0]);
	     i++)
		check_header_case(&rfc5424_cases[i]);
}

static void
test_5424_grammar_errors(void **state)
{
	static const char *const bad[] = {
		"<14>1 - - - -",                        /* fields missing */
		"<14>1 - - - - -",
		"<14>1  - - - - - -",                   /* double SP */
		"<14>1 - - - - - -x",                   /* no SP after SD */
		"<14>1 2021-13-06T04:07:38Z - - - - -", /* month 13 */
		"<14>1 2021-03-06 04:07:38Z - - - - -",
		"<14>1 2021-03-06T04:07:38 - - - - -",  /* no offset */
		"<14>1 2021-03-06T04:07:38.1234567Z - - - - -",
		"<14>1 - - - - - [id k=\"v]",           /* unterminated value */
		"<14>1 - - - - - [id k=v]",             /* unquoted value */
		"<14>1 - - - - - [id k=\"v\"",          /* no ']' */
		"<14>1 - - - - - []",                   /* empty SD-ID */
		"<14>1 - - - - - [id k=\"\\",           /* escape at the end */
		"<14>1 - - - - - [id@1][",
		"<14>1 - h\x01 - - - -",                /* control byte */
		"<14>1 - - 0123456789012345678901234567890123456789012345678 - - -",
	};
	struct dp_syslog m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dp_syslog_parse((const uint8_t *)bad[i], strlen(bad[i]),
				    &m) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		/* The worker's check says the same. */
		if (dp_syslog_check((const uint8_t *)bad[i], strlen(bad[i])) !=
		    -EINVAL)
			fail_msg("check accepted: %s", bad[i]);
	}
	/* 48 characters is the APP-NAME limit, so this one is fine. */
	assert_int_equal(PARSE("<14>1 - - 012345678901234567890123456789"
			       "012345678901234567 - - -", &m), 0);
	assert_int_equal(m.appname.len, 48);
}

static void
test_bare(void **state)
{
	static const char text[] = "This is not really a syslog message "
		"#173538 1552584410.781186\r\n";
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	assert_int_equal(m.format, DP_SYSLOG_BARE);
	assert_int_equal(m.priority, -1);
	assert_int_equal(m.hostname.len, 0);
	check_span(text, m.message, "This is not really a syslog message "
		   "#173538 1552584410.781186");
}

static void
test_bad_pri(void **state)
{
	static const char *const bad[] = {
		"<abc>x", "<999>x", "<192>x", "<>x", "<14", "<1234>x", "<", "<1a>",
		"<-1>x",
	};
	struct dp_syslog m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dp_syslog_parse((const uint8_t *)bad[i], strlen(bad[i]),
				    &m) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		/* The worker's check says the same. */
		if (dp_syslog_check((const uint8_t *)bad[i], strlen(bad[i])) !=
		    -EINVAL)
			fail_msg("check accepted: %s", bad[i]);
		assert_int_equal(m.priority, -1);
	}
}

static void
test_trailing_bytes_dropped(void **state)
{
	static const char nul[] = "<5>Sep 12 19:16:12 through logger: "
		"test message 21\0";
	static const char crlf[] = "<14>Oct 11 22:14:16 mymachine su: "
		"'su root' failed\r\n\0\n";
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(nul, &m), 0);
	assert_int_equal(m.priority, 5);
	check_span(nul, m.hostname, "through");
	check_span(nul, m.appname, "logger");
	check_span(nul, m.message, "test message 21");
	assert_int_equal(PARSE(crlf, &m), 0);
	check_span(crlf, m.message, "'su root' failed");
}

static void
test_empty(void **state)
{
	struct dp_syslog m;

	(void)state;
	assert_int_equal(parse((const uint8_t *)"", 0, &m), -EINVAL);
	assert_int_equal(PARSE("\r\n\0", &m), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3164_headers),
		cmocka_unit_test(test_3164_pri_only),
		cmocka_unit_test(test_5424_headers),
		cmocka_unit_test(test_5424_grammar_errors),
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_bad_pri),
		cmocka_unit_test(test_trailing_bytes_dropped),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
