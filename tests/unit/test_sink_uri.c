/* test_sink_uri.c -- sink_uri.c: parsing sink URIs (defaults, every
 * parameter, IPv6 hosts, sizes and durations, the errors and their
 * messages, the limits, percent-decoding) and a sink's filter by type,
 * feed and severity. No sink is started. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sink_fixture.h"
#include "text.h"

/*
 * URI parsing.
 */

/* The URI fails and the message holds needle. */
static void
parse_fails(const char *uri, const char *needle)
{
	struct exp_sink_config cfg;
	struct error_detail err = { 0 };

	if (exp_sink_parse_uri(uri, &cfg, &err) != -EINVAL)
		fail_msg("accepted: %s", uri);
	const char *text = err_text(&err);
	if (strncmp(text, "sink '", 6) != 0 || strstr(text, needle) == NULL)
		fail_msg("%s: '%s' does not say '%s'", uri, text, needle);
}

static void
test_parse_defaults(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("udp://192.0.2.10", &c);
	assert_int_equal(c.kind, EXP_SINK_UDP);
	assert_string_equal(c.host, "192.0.2.10");
	assert_int_equal(c.port, 514);
	assert_string_equal(c.format, "ecs");
	assert_int_equal(c.type_mask, 0);
	assert_int_equal(c.n_feeds, 0);
	assert_int_equal(c.min_severity, 0);
	assert_true(c.spool_max == 1ull << 30);
	assert_int_equal(c.queue, 10000);
	assert_int_equal(c.confirm_ms, 2000);
	assert_int_equal(c.backoff_max_ms, 30000);
	assert_true(c.verify);
	assert_string_equal(c.name, "udp-192.0.2.10-514");
	assert_string_equal(c.uri, "udp://192.0.2.10");

	parse_ok("tcp://siem.example.com/", &c);
	assert_int_equal(c.kind, EXP_SINK_TCP);
	assert_int_equal(c.port, 601);
	assert_string_equal(c.name, "tcp-siem.example.com-601");

	parse_ok("TLS://siem.example.com", &c);
	assert_int_equal(c.kind, EXP_SINK_TLS);
	assert_int_equal(c.port, 6514);
	assert_string_equal(c.server_name, "siem.example.com");
	assert_string_equal(c.ca, "");
	assert_string_equal(c.name, "tls-siem.example.com-6514");

	parse_ok("file:///var/log/iocsift/hits.json", &c);
	assert_int_equal(c.kind, EXP_SINK_FILE);
	assert_string_equal(c.path, "/var/log/iocsift/hits.json");
	assert_string_equal(c.name, "file-hits.json");
	assert_string_equal(exp_sink_kind_name(c.kind), "file");

	/* A long host keeps the port in the default name. */
	char uri[400], host[254];
	memset(host, 'h', 200);
	host[200] = '\0';
	snprintf(uri, sizeof(uri), "tcp://%s:7777", host);
	parse_ok(uri, &c);
	assert_int_equal(strlen(c.name), EXP_SINK_NAME_MAX);
	assert_string_equal(c.name + EXP_SINK_NAME_MAX - 5, "-7777");
}

static void
test_parse_all_params(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("tls://siem.example.com:6515/?format=RFC5424&types=domain,"
		 "ipv4,sha256&feeds=3cx,cli&min_severity=high&ca=/etc/ca.pem&"
		 "cert=/etc/c.pem&key=/etc/k.pem&name_check=collector.example&"
		 "verify=no&spool_max=512M&queue=500&confirm_ms=100&"
		 "backoff_max=5s&name=siem-1", &c);
	assert_int_equal(c.kind, EXP_SINK_TLS);
	assert_string_equal(c.host, "siem.example.com");
	assert_int_equal(c.port, 6515);
	assert_string_equal(c.format, "rfc5424");
	assert_int_equal(c.type_mask, 1u << PAT_TYPE_DOMAIN |
			 1u << PAT_TYPE_IPV4 | 1u << PAT_TYPE_SHA256);
	assert_int_equal(c.n_feeds, 2);
	assert_string_equal(c.feeds[0], "3cx");
	assert_string_equal(c.feeds[1], "cli");
	assert_int_equal(c.min_severity, PAT_SEVERITY_HIGH);
	assert_string_equal(c.ca, "/etc/ca.pem");
	assert_string_equal(c.cert, "/etc/c.pem");
	assert_string_equal(c.key, "/etc/k.pem");
	assert_string_equal(c.server_name, "collector.example");
	assert_false(c.verify);
	assert_true(c.spool_max == 512ull << 20);
	assert_int_equal(c.queue, 500);
	assert_int_equal(c.confirm_ms, 100);
	assert_int_equal(c.backoff_max_ms, 5000);
	assert_string_equal(c.name, "siem-1");

	parse_ok("udp://h?format=cef&min_severity=2&types=ip,URL&queue=1000000",
		 &c);
	assert_string_equal(c.format, "cef");
	assert_int_equal(c.min_severity, PAT_SEVERITY_MEDIUM);
	assert_int_equal(c.type_mask, 1u << PAT_TYPE_IPV4 |
			 1u << PAT_TYPE_IPV6 | 1u << PAT_TYPE_URL);
	assert_int_equal(c.queue, 1000000);
	parse_ok("tcp://h?format=leef&types=hostname,file-name,pcre&"
		 "backoff_max=250ms&confirm_ms=0&feeds=a,b,a", &c);
	assert_int_equal(c.type_mask, 1u << PAT_TYPE_DOMAIN |
			 1u << PAT_TYPE_FILENAME | 1u << PAT_TYPE_REGEX);
	assert_int_equal(c.backoff_max_ms, 250);
	assert_int_equal(c.confirm_ms, 0);
	assert_int_equal(c.n_feeds, 2);      /* a repeat counts once */
	parse_ok("tcp://h?backoff_max=2m", &c);
	assert_int_equal(c.backoff_max_ms, 120000);
	parse_ok("tcp://h?backoff_max=45", &c);          /* seconds */
	assert_int_equal(c.backoff_max_ms, 45000);
}

static void
test_parse_ipv6(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("tcp://[2001:db8::1]:1514", &c);
	assert_string_equal(c.host, "2001:db8::1");
	assert_int_equal(c.port, 1514);
	assert_string_equal(c.name, "tcp-2001_db8__1-1514");
	parse_ok("udp://[::1]", &c);
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 514);
	parse_ok("tls://[fe80::1%25eth0]:6514?ca=/ca.pem", &c);
	assert_string_equal(c.host, "fe80::1%eth0");
	assert_string_equal(c.server_name, "fe80::1");
	parse_ok("tls://[::ffff:192.0.2.1]/", &c);
	assert_string_equal(c.host, "::ffff:192.0.2.1");

	parse_fails("tcp://2001:db8::1", "in brackets");
	parse_fails("tcp://[2001:db8::1", "without ']'");
	parse_fails("tcp://[2001:zz8::1]:1", "not an IPv6 address");
	parse_fails("tcp://[192.0.2.1]", "not an IPv6 address");
	parse_fails("tcp://[::1]x", "expected ':PORT'");
	parse_fails("tcp://[::1]:", "port ''");
	parse_fails("tcp://[fe80::1%25]:1", "bad IPv6 zone");
	parse_fails("tcp://[fe80::1%25a!b]:1", "bad IPv6 zone");
}

static void
test_parse_sizes(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("tcp://h?spool_max=64K", &c);
	assert_true(c.spool_max == 65536);
	parse_ok("tcp://h?spool_max=10m", &c);
	assert_true(c.spool_max == 10ull << 20);
	parse_ok("tcp://h?spool_max=2G", &c);
	assert_true(c.spool_max == 2ull << 30);
	parse_ok("tcp://h?spool_max=0", &c);
	assert_true(c.spool_max == 0);
	parse_ok("tcp://h?spool_max=70000", &c);
	assert_true(c.spool_max == 70000);
	parse_ok("tcp://h?spool_max=16000G", &c);
	assert_true(c.spool_max == 16000ull << 30);

	parse_fails("tcp://h?spool_max=1K", "at least 64K");
	parse_fails("tcp://h?spool_max=5X", "optional K, M or G");
	parse_fails("tcp://h?spool_max=-1", "optional K, M or G");
	parse_fails("tcp://h?spool_max=1.5G", "optional K, M or G");
	parse_fails("tcp://h?spool_max=G", "optional K, M or G");
	parse_fails("tcp://h?spool_max=99999999999999999999G", "too large");
	parse_fails("tcp://h?spool_max=20000000000G", "too large");
	parse_fails("tcp://h?queue=0", "queue: expected 1 to 1000000");
	parse_fails("tcp://h?queue=1000001", "queue:");
	parse_fails("tcp://h?queue=1e3", "queue:");
	parse_fails("tcp://h?confirm_ms=600001", "confirm_ms:");
	parse_fails("tcp://h?backoff_max=50ms", "backoff_max:");
	parse_fails("tcp://h?backoff_max=2h", "backoff_max:");
	parse_fails("tcp://h?backoff_max=3601", "backoff_max:");
}

static void
test_parse_errors(void **state)
{
	struct exp_sink_config c;
	struct error_detail err = { 0 };
	char uri[1100];
	(void)state;

	parse_fails("", "expected scheme://");
	parse_fails("192.0.2.1:514", "expected scheme://");
	parse_fails("http://h", "unknown scheme 'http'");
	parse_fails("tcp://", "missing host");
	parse_fails("tcp://:601", "missing host");
	parse_fails("tcp://h:0", "port '0' is not 1 to 65535");
	parse_fails("tcp://h:65536", "port '65536'");
	parse_fails("tcp://h:", "port ''");
	parse_fails("tcp://h:12a", "port '12a'");
	parse_fails("tcp://h:+1", "port '+1'");
	parse_fails("tcp://u@h", "user information");
	parse_fails("tcp://h/path", "no path");
	parse_fails("tcp://h..x", "not a host name");
	parse_fails("tcp://.h", "not a host name");
	parse_fails("tcp://h!x", "not a host name");
	parse_fails("tcp://h a", "space or control character at byte 8");
	parse_fails("tcp://h\x01", "space or control character");
	parse_fails("tcp://h#frag", "'#'");
	parse_fails("tcp://h?", "empty query");
	parse_fails("tcp://h?&queue=1", "stray '&'");
	parse_fails("tcp://h?queue=1&", "stray '&'");
	parse_fails("tcp://h?queue", "needs a value");
	parse_fails("tcp://h?queue=", "empty value");
	parse_fails("tcp://h?queue=1&queue=2", "parameter 'queue' is given twice");
	parse_fails("tcp://h?ca=/x",
		    "parameter 'ca' applies to tls and nats sinks only");
	parse_fails("file:///x?verify=no", "applies to tls and nats sinks only");
	parse_fails("udp://h?confirm_ms=5", "applies to tcp and tls sinks only");
	parse_fails("tls://h?cert=/c", "cert and key go together");
	parse_fails("tls://h?key=/k", "cert and key go together");
	parse_fails("tls://h?verify=maybe", "verify: expected yes or no");
	parse_fails("tls://h?name_check=a/b", "name_check:");
	parse_fails("tcp://h?format=json", "unknown format 'json'");
	parse_fails("tcp://h?types=domain,foo", "unknown type 'foo'");
	parse_fails("tcp://h?types=,", "empty type name");
	parse_fails("tcp://h?feeds=a,,b", "empty feed name");
	parse_fails("tcp://h?feeds=a%0Ab", "control character");
	parse_fails("tcp://h?feeds=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		    "at most 16 feeds");
	parse_fails("tcp://h?min_severity=severe", "min_severity: 'severe'");
	parse_fails("tcp://h?min_severity=0", "min_severity:");
	parse_fails("tcp://h?name=../x", "name: '../x'");
	parse_fails("tcp://h?name=.hidden", "not starting with '.'");
	parse_fails("tcp://h?name=a%20b", "name: 'a b'");
	parse_fails("tcp://h?name=a%2", "bad %-escape");
	parse_fails("tcp://h?name=a%zz", "bad %-escape");
	parse_fails("tcp://h?name=a%00", "control character");
	parse_fails("tcp://h?name=a%0A", "control character");
	parse_fails("file://var/log/x", "expected file:///absolute/path");
	parse_fails("file://", "expected file:///absolute/path");
	parse_fails("file:///var/log/", "names a directory");
	parse_fails("file:///a%2", "bad %-escape");

	/* 64 bytes of name: one too many. */
	snprintf(uri, sizeof(uri), "tcp://h?name=%064d", 0);
	parse_fails(uri, "is not 1 to 63");
	/* The exact form of an error. */
	assert_int_equal(exp_sink_parse_uri("tcp://h?x=1", &c, &err), -EINVAL);
	assert_string_equal(err_text(&err),
			    "sink 'tcp://h?x=1': unknown parameter 'x'");
	assert_string_equal(err.where, "sink 'tcp://h?x=1'");
	assert_string_equal(err.message, "unknown parameter 'x'");
	assert_int_equal(err.line, 0);
	/* Control characters quoted as '?', long URIs cut. */
	assert_int_equal(exp_sink_parse_uri("tcp://h\x1b[0m", &c, &err),
			 -EINVAL);
	assert_non_null(strstr(err_text(&err), "sink 'tcp://h?[0m'"));
}

static void
test_parse_limits(void **state)
{
	struct exp_sink_config c;
	struct error_detail err = { 0 };
	char uri[1100];
	(void)state;

	/* A 1023-byte URI fits; 1024 does not; the quote is cut. */
	memset(uri, 0, sizeof(uri));
	strcpy(uri, "file:///");
	memset(uri + 8, 'p', 1023 - 8);
	parse_ok(uri, &c);
	assert_int_equal(strlen(c.path), 1023 - 7);
	uri[1023] = 'p';
	assert_int_equal(exp_sink_parse_uri(uri, &c, &err), -EINVAL);
	assert_non_null(strstr(err_text(&err), "longer than 1023 bytes"));
	assert_non_null(strstr(err_text(&err), "ppp...': "));
	/* No error detail: the return code alone. */
	assert_int_equal(exp_sink_parse_uri("tcp://h?x=1", &c, NULL), -EINVAL);
	assert_int_equal(exp_sink_parse_uri(NULL, &c, NULL), -EINVAL);
	/* Percent-decoding of paths and values. */
	parse_ok("file:///var/log/my%20hits%3F.json?name=x", &c);
	assert_string_equal(c.path, "/var/log/my hits?.json");
	parse_ok("file:///var/log/my%20hits%3F.json", &c);
	assert_string_equal(c.name, "file-my_hits_.json");
	parse_ok("tls://h?ca=%2Fetc%2Fca%26b.pem&feeds=a%2Cb", &c);
	assert_string_equal(c.ca, "/etc/ca&b.pem");
	assert_int_equal(c.n_feeds, 2);   /* split after decoding */
	assert_string_equal(c.feeds[1], "b");
	/* A host name of 253 bytes, not 254. */
	char host[260];
	memset(host, 'h', 253);
	host[253] = '\0';
	snprintf(uri, sizeof(uri), "udp://%s", host);
	parse_ok(uri, &c);
	snprintf(uri, sizeof(uri), "udp://%sh", host);
	parse_fails(uri, "longer than 253");
}

/*
 * The filter.
 */

/* nats://: its defaults, every parameter, the site from a host name, and
 * what goes together or not. */
static void
test_parse_nats(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("nats://127.0.0.1", &c);
	assert_int_equal(c.kind, EXP_SINK_NATS);
	assert_int_equal(c.port, 4222);
	assert_string_equal(c.subject, "iocsift.events");
	assert_string_equal(c.site, "");
	assert_string_equal(c.stream, "");
	assert_false(c.nats_tls);
	assert_string_equal(c.name, "nats-127.0.0.1-4222");
	assert_string_equal(exp_sink_kind_name(c.kind), "nats");

	parse_ok("NATS://[::1]:4333/?subject=soc.hits&site=branch-1&stream=HITS"
		 "&tls=yes&verify=no&name_check=nats.example&creds=/etc/a.creds"
		 "&types=domain&spool_max=0", &c);
	assert_int_equal(c.port, 4333);
	assert_string_equal(c.host, "::1");
	assert_string_equal(c.subject, "soc.hits");
	assert_string_equal(c.site, "branch-1");
	assert_string_equal(c.stream, "HITS");
	assert_true(c.nats_tls);
	assert_false(c.verify);
	assert_string_equal(c.server_name, "nats.example");
	assert_string_equal(c.creds, "/etc/a.creds");
	assert_true(c.spool_max == 0);

	/* ca or cert alone turn TLS on. */
	parse_ok("nats://h?ca=/ca.pem", &c);
	assert_true(c.nats_tls);
	assert_string_equal(c.server_name, "");
	parse_ok("nats://h?cert=/c.pem&key=/k.pem&user=ids&password_file=/p",
		 &c);
	assert_true(c.nats_tls);
	assert_string_equal(c.user, "ids");
	assert_string_equal(c.password_file, "/p");
	parse_ok("nats://h?nkey=UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2"
		 "M7NLCNF4&seed=/s.nk", &c);
	assert_string_equal(c.seed, "/s.nk");

	/* The site: the host name's characters a token cannot hold as '_'. */
	parse_ok("nats://h", &c);
	exp_sink_nats_default_site(&c, "ids-01.branch.example");
	assert_string_equal(c.site, "ids-01_branch_example");
	exp_sink_nats_default_site(&c, "other");
	assert_string_equal(c.site, "ids-01_branch_example"); /* kept */
	parse_ok("nats://h", &c);
	exp_sink_nats_default_site(&c, "");
	assert_string_equal(c.site, "_");
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	parse_ok("nats://h", &c);
	exp_sink_nats_default_site(&c, longname);
	assert_int_equal(strlen(c.site), EXP_SINK_SITE_MAX);

	parse_fails("nats://h?subject=a..b", "subject: 'a..b'");
	parse_fails("nats://h?subject=.a", "subject:");
	parse_fails("nats://h?subject=a.", "subject:");
	parse_fails("nats://h?subject=a.*", "subject:");
	parse_fails("nats://h?subject=a.%3E", "subject:");
	parse_fails("nats://h?site=a.b", "site: 'a.b'");
	parse_fails("nats://h?site=a*", "site:");
	parse_fails("nats://h?stream=a.b", "stream:");
	parse_fails("nats://h?tls=maybe", "tls: expected yes or no");
	parse_fails("nats://h?tls=no&ca=/x", "tls=no with TLS parameters");
	parse_fails("nats://h?tls=no&verify=no", "tls=no with TLS parameters");
	parse_fails("nats://h?nkey=SUAB", "nkey: 'SUAB' is not a user's public");
	parse_fails("nats://h?seed=/s", "nkey and seed go together");
	parse_fails("nats://h?user=u", "user and password_file go together");
	parse_fails("nats://h?password_file=/p", "user and password_file");
	parse_fails("nats://h?creds=/a&user=u&password_file=/p",
		    "give one of creds");
	parse_fails("nats://h?confirm_ms=5", "applies to tcp and tls sinks only");
	parse_fails("tcp://h?subject=x", "parameter 'subject' applies to nats "
		    "sinks only");
	parse_fails("tls://h?creds=/x", "applies to nats sinks only");
	parse_fails("nats://h/x", "a nats sink has no path");
	parse_fails("nats2://h", "(expected file, udp, tcp, tls or nats)");
}

/* exp_sink_nats_record(): the line the transport reads the subject's
 * type and the Nats-Msg-Id from. */
static void
test_nats_record(void **state)
{
	struct exp_buffer b = { 0 };
	(void)state;

	assert_int_equal(exp_sink_nats_record(&b, "sha256", "abc-1", "{}", 2),
			 0);
	assert_int_equal(b.len, strlen("sha256 abc-1\n{}"));
	assert_memory_equal(b.data, "sha256 abc-1\n{}", b.len);
	assert_int_equal(exp_sink_nats_record(&b, "", "abc-1", "{}", 2),
			 -EINVAL);
	assert_int_equal(exp_sink_nats_record(&b, "a.b", "abc-1", "{}", 2),
			 -EINVAL);
	assert_int_equal(exp_sink_nats_record(&b, "domain", "", "{}", 2),
			 -EINVAL);
	char id[80];
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(exp_sink_nats_record(&b, "domain", id, "{}", 2),
			 -EINVAL);
	id[63] = '\0';
	assert_int_equal(exp_sink_nats_record(&b, "domain", id, "", 0), 0);
	exp_buffer_free(&b);
}

static void
test_filter(void **state)
{
	struct exp_sink_config c;
	struct pat_indicator ind = { .type = PAT_TYPE_DOMAIN, .value = "x.org",
				     .feed = "3cx",
				     .severity = PAT_SEVERITY_HIGH };
	(void)state;

	parse_ok("tcp://h", &c);
	assert_true(exp_sink_accepts(&c, &ind));
	ind.severity = PAT_SEVERITY_UNSET;
	assert_true(exp_sink_accepts(&c, &ind));

	parse_ok("tcp://h?types=domain,url&feeds=3cx,cli&min_severity=high", &c);
	assert_false(exp_sink_accepts(&c, &ind));         /* no severity */
	ind.severity = PAT_SEVERITY_MEDIUM;
	assert_false(exp_sink_accepts(&c, &ind));
	ind.severity = PAT_SEVERITY_HIGH;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.severity = PAT_SEVERITY_CRITICAL;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.type = PAT_TYPE_IPV4;
	assert_false(exp_sink_accepts(&c, &ind));
	ind.type = PAT_TYPE_URL;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.feed = "cli";
	assert_true(exp_sink_accepts(&c, &ind));
	ind.feed = "3CX";                                  /* exact names */
	assert_false(exp_sink_accepts(&c, &ind));
	ind.feed = NULL;
	assert_false(exp_sink_accepts(&c, &ind));

	parse_ok("tcp://h?types=ip", &c);
	ind.feed = "any";
	ind.type = PAT_TYPE_IPV6;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.type = PAT_TYPE_SHA1;
	assert_false(exp_sink_accepts(&c, &ind));
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_all_params),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_sizes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_nats),
		cmocka_unit_test(test_nats_record),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
