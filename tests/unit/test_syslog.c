/* test_syslog.c -- unit tests of the RFC 3164 / RFC 5424 syslog header parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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

/* The header fields in struct order: timestamp, hostname, appname,
 * procid, msgid, structured_data, message. */
static void
check_fields(const char *text, const struct dp_syslog *m,
	     const char *const want[7])
{
	check_span(text, m->timestamp, want[0]);
	check_span(text, m->hostname, want[1]);
	check_span(text, m->appname, want[2]);
	check_span(text, m->procid, want[3]);
	check_span(text, m->msgid, want[4]);
	check_span(text, m->structured_data, want[5]);
	check_span(text, m->message, want[6]);
}

static void
test_3164_full(void **state)
{
	static const char text[] = "<34>Oct 11 22:14:15 mymachine su[123]: "
		"'su root' failed for lonvick on /dev/pts/8";
	static const char *const want[7] = { "Oct 11 22:14:15", "mymachine",
		"su", "123", NULL, NULL,
		"'su root' failed for lonvick on /dev/pts/8" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	assert_int_equal(m.format, DP_SYSLOG_RFC3164);
	assert_int_equal(m.priority, 34);
	check_fields(text, &m, want);
}

static void
test_3164_no_hostname(void **state)
{
	static const char text[] = "<133>Apr  5 12:56:51 robin: Hello, syslog!";
	static const char *const want[7] = { "Apr  5 12:56:51", NULL, "robin",
		NULL, NULL, NULL, "Hello, syslog!" };
	struct dp_syslog m;

	(void)state;
	/* The zeek capture's datagram ends in a NUL. */
	assert_int_equal(dp_syslog_parse((const uint8_t *)text, sizeof(text),
					 &m), 0);
	assert_int_equal(m.priority, 133);
	check_fields(text, &m, want);
}

static void
test_3164_rfc3339_timestamp(void **state)
{
	static const char text[] = "<13>2013-09-12T19:16:34.457849+04:00 "
		"localhost through rsyslog: test message 23";
	static const char *const want[7] = {
		"2013-09-12T19:16:34.457849+04:00", "localhost", "through", NULL,
		NULL, NULL, "rsyslog: test message 23" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	assert_int_equal(m.format, DP_SYSLOG_RFC3164);
	check_fields(text, &m, want);
}

static void
test_3164_no_timestamp(void **state)
{
	static const char text[] = "<14>sshd[99]: Accepted publickey for fred";
	static const char *const want[7] = { NULL, NULL, "sshd", "99", NULL,
		NULL, "Accepted publickey for fred" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
}

static void
test_3164_tag_without_colon(void **state)
{
	static const char text[] = "<15>Mar  6 04:07:23 hostname log_tag "
		"this is debug";
	static const char *const want[7] = { "Mar  6 04:07:23", "hostname",
		"log_tag", NULL, NULL, NULL, "this is debug" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
}

static void
test_3164_pid_then_text(void **state)
{
	static const char text[] = "<30>Mar 11 19:26:45 osx-machine "
		"sockerfilterfw[1985] <Info>: launchd Allow";
	static const char *const want[7] = { "Mar 11 19:26:45", "osx-machine",
		"sockerfilterfw", "1985", NULL, NULL, "<Info>: launchd Allow" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
}

static void
test_3164_fraction_and_single_digit_day(void **state)
{
	static const char text[] = "<13>Feb 6 23:01:18.123 victoria "
		"process[2085]: Test";
	static const char *const want[7] = { "Feb 6 23:01:18.123", "victoria",
		"process", "2085", NULL, NULL, "Test" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
}

static void
test_3164_cisco_colon(void **state)
{
	static const char text[] = "<189>Mar  1 00:00:09: %SYS-5-CONFIG_I: "
		"Configured from console";
	static const char *const want[7] = { "Mar  1 00:00:09", NULL,
		"%SYS-5-CONFIG_I", NULL, NULL, NULL, "Configured from console" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
}

static void
test_3164_leftovers_are_message(void **state)
{
	static const char bad_month[] = "<13>Foo 11 22:14:15 host app: m";
	static const char *const want_month[7] = { NULL, NULL, "Foo", NULL,
		NULL, NULL, "11 22:14:15 host app: m" };
	static const char open_pid[] = "<13>foo[12 bar";
	static const char *const want_pid[7] = { NULL, NULL, NULL, NULL, NULL,
		NULL, "foo[12 bar" };
	static const char one_word[] = "<13>Oct 11 22:14:16 mymachine hello";
	static const char *const want_word[7] = { "Oct 11 22:14:16",
		"mymachine", NULL, NULL, NULL, NULL, "hello" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(bad_month, &m), 0);
	check_fields(bad_month, &m, want_month);
	assert_int_equal(PARSE(open_pid, &m), 0);
	check_fields(open_pid, &m, want_pid);
	assert_int_equal(PARSE(one_word, &m), 0);
	check_fields(one_word, &m, want_word);
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

static void
test_5424_full(void **state)
{
	static const char text[] = "<165>1 2003-10-11T22:14:15.003Z "
		"mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
		"iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
		"\xef\xbb\xbf" "An application event log entry...";
	static const char *const want[7] = { "2003-10-11T22:14:15.003Z",
		"mymachine.example.com", "evntslog", NULL, "ID47",
		"[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
		"eventID=\"1011\"]", "An application event log entry..." };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	assert_int_equal(m.format, DP_SYSLOG_RFC5424);
	assert_int_equal(m.priority, 165);
	check_fields(text, &m, want);
}

static void
test_5424_nilvalues(void **state)
{
	static const char *const none[7] = { NULL };
	static const char *const msg_only[7] = { [6] = "msg" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE("<14>1 - - - - - -", &m), 0);
	assert_int_equal(m.format, DP_SYSLOG_RFC5424);
	check_fields("<14>1 - - - - - -", &m, none);
	assert_int_equal(PARSE("<14>1 - - - - - - msg\r\n", &m), 0);
	check_fields("<14>1 - - - - - - msg", &m, msg_only);
}

static void
test_5424_rsyslog(void **state)
{
	static const char text[] = "<15>1 2021-03-06T04:07:38.251122+00:00 "
		"hostname log_tag - 123 -  this is debug\n";
	static const char *const want[7] = {
		"2021-03-06T04:07:38.251122+00:00", "hostname", "log_tag", NULL,
		"123", NULL, " this is debug" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
}

static void
test_5424_sd_escapes(void **state)
{
	static const char text[] = "<14>1 2021-03-06T04:07:38-05:30 h a 1 m "
		"[id@1 k=\"a\\]b\\\"c\\\\\" x=\"\"][second] msg [not sd]";
	static const char *const want[7] = { "2021-03-06T04:07:38-05:30", "h",
		"a", "1", "m", "[id@1 k=\"a\\]b\\\"c\\\\\" x=\"\"][second]",
		"msg [not sd]" };
	struct dp_syslog m;

	(void)state;
	assert_int_equal(PARSE(text, &m), 0);
	check_fields(text, &m, want);
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
		cmocka_unit_test(test_3164_full),
		cmocka_unit_test(test_3164_no_hostname),
		cmocka_unit_test(test_3164_rfc3339_timestamp),
		cmocka_unit_test(test_3164_no_timestamp),
		cmocka_unit_test(test_3164_tag_without_colon),
		cmocka_unit_test(test_3164_pid_then_text),
		cmocka_unit_test(test_3164_fraction_and_single_digit_day),
		cmocka_unit_test(test_3164_cisco_colon),
		cmocka_unit_test(test_3164_leftovers_are_message),
		cmocka_unit_test(test_3164_pri_only),
		cmocka_unit_test(test_5424_full),
		cmocka_unit_test(test_5424_nilvalues),
		cmocka_unit_test(test_5424_rsyslog),
		cmocka_unit_test(test_5424_sd_escapes),
		cmocka_unit_test(test_5424_grammar_errors),
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_bad_pri),
		cmocka_unit_test(test_trailing_bytes_dropped),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
