/* test_metrics.c -- Prometheus text from the stats object, the /metrics
 * request check and the response framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static char *
render(const char *json)
{
	json_error_t jerr;
	json_t *stats = json_loads(json, JSON_DECODE_ANY, &jerr);

	if (stats == NULL)
		print_error("json: %s\n", jerr.text);
	assert_non_null(stats);
	char *text = ctl_metrics_prometheus(stats);
	json_decref(stats);
	assert_non_null(text);
	return text;
}

static void
assert_contains(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		print_error("missing: %s\nin:\n%s\n", line, text);
	assert_non_null(strstr(text, line));
}

static void
assert_lacks(const char *text, const char *part)
{
	if (strstr(text, part) != NULL)
		print_error("unexpected: %s\nin:\n%s\n", part, text);
	assert_null(strstr(text, part));
}

/* ---- Prometheus text ------------------------------------------------------ */

static void
test_exact_text(void **state)
{
	static const char expected[] =
		"# HELP iocsift_port_rx_packets_total Packets received by the port (ethdev ipackets).\n"
		"# TYPE iocsift_port_rx_packets_total counter\n"
		"iocsift_port_rx_packets_total{port=\"0\",name=\"net_af_packet0\"} 10\n"
		"iocsift_port_rx_packets_total{port=\"1\",name=\"net_ring0\"} 18446744073\n"
		"# HELP iocsift_worker_packets_total Packets the worker handled.\n"
		"# TYPE iocsift_worker_packets_total counter\n"
		"iocsift_worker_packets_total{worker=\"0\",lcore=\"1\",port=\"0\",queue=\"-1\"} 9\n"
		"# HELP iocsift_worker_busy_ratio Share of time since the worker started spent on bursts (0 to 1).\n"
		"# TYPE iocsift_worker_busy_ratio gauge\n"
		"iocsift_worker_busy_ratio{worker=\"0\",lcore=\"1\",port=\"0\",queue=\"-1\"} 0.125\n"
		"# HELP iocsift_worker_max_burst_seconds The longest burst, receive to free, in seconds.\n"
		"# TYPE iocsift_worker_max_burst_seconds gauge\n"
		"iocsift_worker_max_burst_seconds{worker=\"0\",lcore=\"1\",port=\"0\",queue=\"-1\"} 3.2e-06\n"
		"# HELP iocsift_worker_fragments_total Worker counter fragments.\n"
		"# TYPE iocsift_worker_fragments_total counter\n"
		"iocsift_worker_fragments_total{worker=\"0\",lcore=\"1\",port=\"0\",queue=\"-1\"} 3\n"
		"# HELP iocsift_exporter_events_total Hit events the exporter wrote.\n"
		"# TYPE iocsift_exporter_events_total counter\n"
		"iocsift_exporter_events_total 2\n"
		"# HELP iocsift_db_version Version of the active pattern database.\n"
		"# TYPE iocsift_db_version gauge\n"
		"iocsift_db_version 7\n"
		"# HELP iocsift_db_last_swap_seconds How long the last publish took, in seconds.\n"
		"# TYPE iocsift_db_last_swap_seconds gauge\n"
		"iocsift_db_last_swap_seconds 0.000812\n"
		"# HELP iocsift_indicator_hits_total Hits of one of the indicators hit most.\n"
		"# TYPE iocsift_indicator_hits_total counter\n"
		"iocsift_indicator_hits_total{type=\"domain\",value=\"evil.com\",feed=\"3cx\"} 4\n";
	char *text;

	(void)state;
	text = render(
		"{\"ports\": [{\"port\": 0, \"name\": \"net_af_packet0\","
		"  \"rx_packets\": 10},"
		" {\"port\": 1, \"name\": \"net_ring0\", \"rx_packets\": 18446744073}],"
		" \"workers\": [{\"worker\": 0, \"lcore\": 1, \"port\": 0,"
		"  \"queue\": -1, \"packets\": 9, \"busy_percent\": 12.5,"
		"  \"max_burst_us\": 3.2, \"fragments\": 3}],"
		" \"exporter\": {\"events\": 2},"
		" \"db\": {\"version\": 7, \"last_swap_us\": 812},"
		" \"indicators\": [{\"type\": \"domain\", \"value\": \"evil.com\","
		"  \"feed\": \"3cx\", \"hits\": 4}]}");
	if (strcmp(text, expected) != 0)
		print_error("got:\n%s\n", text);
	assert_string_equal(text, expected);
	free(text);
}

/* The shape the daemon produces: every family once, in order. */
static void
test_full_object(void **state)
{
	static const char *const families[] = {
		"iocsift_port_rx_packets_total counter",
		"iocsift_port_rx_bytes_total counter",
		"iocsift_port_imissed_total counter",
		"iocsift_port_ierrors_total counter",
		"iocsift_port_rx_nombuf_total counter",
		"iocsift_worker_packets_total counter",
		"iocsift_worker_syslog_messages_total counter",
		"iocsift_worker_dns_messages_total counter",
		"iocsift_worker_malformed_total counter",
		"iocsift_worker_hits_total counter",
		"iocsift_worker_drop_ring_full_total counter",
		"iocsift_worker_drop_hit_pool_total counter",
		"iocsift_worker_busy_ratio gauge",
		"iocsift_worker_max_burst_seconds gauge",
		"iocsift_exporter_events_total counter",
		"iocsift_exporter_write_errors_total counter",
		"iocsift_db_version gauge",
		"iocsift_db_indicators gauge",
		"iocsift_db_swaps_total counter",
		"iocsift_db_last_swap_seconds gauge",
		"iocsift_db_max_swap_seconds gauge",
		"iocsift_indicator_hits_total counter",
	};
	char *text;
	const char *at;

	(void)state;
	text = render(
		"{\"ports\":[{\"port\":0,\"name\":\"net_af_packet0\",\"rx_packets\":1,"
		"\"rx_bytes\":1,\"imissed\":0,\"ierrors\":0,\"rx_nombuf\":0}],"
		"\"workers\":[{\"worker\":0,\"lcore\":1,\"port\":0,\"queue\":0,"
		"\"packets\":1,\"syslog_messages\":1,\"dns_messages\":0,"
		"\"malformed\":0,\"hits\":1,\"busy_percent\":12.5,"
		"\"drop_ring_full\":0,\"drop_hit_pool\":0,\"max_burst_us\":3.2}],"
		"\"exporter\":{\"events\":1,\"write_errors\":0},"
		"\"db\":{\"version\":7,\"indicators\":1234,\"swaps\":5,"
		"\"last_swap_us\":812,\"max_swap_us\":900},"
		"\"indicators\":[{\"type\":\"domain\",\"value\":\"evil.com\","
		"\"feed\":\"3cx\",\"hits\":4}]}");
	at = text;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char type[128];
		snprintf(type, sizeof(type), "# TYPE %s\n", families[i]);
		const char *found = strstr(at, type);
		if (found == NULL)
			print_error("missing or out of order: %s\n", type);
		assert_non_null(found);
		at = found + strlen(type);
	}
	assert_contains(text, "\niocsift_db_max_swap_seconds 0.0009\n");
	assert_contains(text, "\niocsift_db_indicators 1234\n");
	assert_contains(text, "\niocsift_port_rx_bytes_total"
			"{port=\"0\",name=\"net_af_packet0\"} 1\n");
	/* 22 families: 22 HELP, 22 TYPE and 22 samples. */
	size_t lines = 0;
	for (const char *p = text; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 66);
	free(text);
}

static void
test_label_escaping(void **state)
{
	char *text;

	(void)state;
	text = render(
		"{\"ports\": [{\"port\": 3, \"name\": \"a\\\\b\", \"rx_packets\": 1}],"
		" \"indicators\": [{\"type\": \"url\","
		" \"value\": \"x\\\"y\\\\z\\nw\\ttab\", \"feed\": \"f\\\"\\\"\","
		" \"hits\": 1}]}");
	assert_contains(text, "{port=\"3\",name=\"a\\\\b\"} 1\n");
	/* Quote, backslash and newline escaped; a tab is left as it is. */
	assert_contains(text, "iocsift_indicator_hits_total{type=\"url\","
			"value=\"x\\\"y\\\\z\\nw\ttab\",feed=\"f\\\"\\\"\"} 1\n");
	free(text);
}

static void
test_missing_members(void **state)
{
	char *text;

	(void)state;
	/* Nothing to say: an empty body, never NULL. */
	text = render("{}");
	assert_string_equal(text, "");
	free(text);
	text = render("[1, 2]");
	assert_string_equal(text, "");
	free(text);
	text = render("\"stats\"");
	assert_string_equal(text, "");
	free(text);
	text = ctl_metrics_prometheus(NULL);
	assert_non_null(text);
	assert_string_equal(text, "");
	free(text);

	/* Sections of the wrong type, members of the wrong type. */
	text = render("{\"ports\": {\"rx_packets\": 1}, \"workers\": 5,"
		      " \"exporter\": [1], \"db\": \"x\","
		      " \"indicators\": [null, 3, {\"hits\": \"9\"}]}");
	assert_string_equal(text, "");
	free(text);

	/* Labels: an item without its number gets its index, other missing
	 * labels are left out; a family with no sample has no HELP either. */
	text = render("{\"ports\": [{\"name\": \"p\"}, {\"rx_packets\": 5},"
		      " {\"port\": \"x\", \"name\": 7, \"rx_packets\": 6}],"
		      " \"workers\": [{\"hits\": 2}, 4, {\"worker\": 9,"
		      " \"port\": null, \"hits\": 1.5}],"
		      " \"indicators\": [{\"value\": \"v\", \"hits\": 1}],"
		      " \"db\": {\"swaps\": true, \"version\": 2}}");
	assert_contains(text, "\niocsift_port_rx_packets_total{port=\"1\"} 5\n");
	assert_contains(text, "\niocsift_port_rx_packets_total"
			"{port=\"2\",name=\"7\"} 6\n");
	assert_contains(text, "\niocsift_worker_hits_total{worker=\"0\"} 2\n");
	assert_contains(text, "\niocsift_worker_hits_total{worker=\"9\"} 1.5\n");
	assert_contains(text, "\niocsift_indicator_hits_total{value=\"v\"} 1\n");
	assert_contains(text, "\niocsift_db_version 2\n");
	assert_lacks(text, "iocsift_db_swaps_total");
	assert_lacks(text, "iocsift_port_rx_bytes_total");
	assert_lacks(text, "iocsift_exporter");
	free(text);
}

/* The exporter's throttle, every sink (labelled by its name) and the
 * state dir's persist errors: each family with HELP and TYPE, the sinks'
 * connected flag as 0 or 1. */
static void
test_sinks_throttle_persist(void **state)
{
	static const char expected_sinks[] =
		"# HELP iocsift_exporter_throttled_total Repeated hits folded into summary events by the throttle.\n"
		"# TYPE iocsift_exporter_throttled_total counter\n"
		"iocsift_exporter_throttled_total 56\n"
		"# HELP iocsift_exporter_summaries_total Summary events of repeated hits (part of the events).\n"
		"# TYPE iocsift_exporter_summaries_total counter\n"
		"iocsift_exporter_summaries_total 4\n"
		"# HELP iocsift_exporter_throttle_evicted_total Throttle windows closed early to make room for a new key.\n"
		"# TYPE iocsift_exporter_throttle_evicted_total counter\n"
		"iocsift_exporter_throttle_evicted_total 3\n"
		"# HELP iocsift_exporter_throttle_untracked_total Hits sent without a throttle window: no memory for one.\n"
		"# TYPE iocsift_exporter_throttle_untracked_total counter\n"
		"iocsift_exporter_throttle_untracked_total 1\n"
		"# HELP iocsift_exporter_throttle_windows_open Throttle windows open now.\n"
		"# TYPE iocsift_exporter_throttle_windows_open gauge\n"
		"iocsift_exporter_throttle_windows_open 2\n"
		"# HELP iocsift_exporter_throttle_window_seconds The throttle's window, in seconds (0: off).\n"
		"# TYPE iocsift_exporter_throttle_window_seconds gauge\n"
		"iocsift_exporter_throttle_window_seconds 60\n"
		"# HELP iocsift_sink_up 1 while the sink's connection (a file sink: its file) is open.\n"
		"# TYPE iocsift_sink_up gauge\n"
		"iocsift_sink_up{sink=\"siem\"} 0\n"
		"iocsift_sink_up{sink=\"file-hits.json\"} 1\n"
		"# HELP iocsift_sink_queued_total Records submitted to the sink, kept or not.\n"
		"# TYPE iocsift_sink_queued_total counter\n"
		"iocsift_sink_queued_total{sink=\"siem\"} 120\n"
		"iocsift_sink_queued_total{sink=\"file-hits.json\"} 120\n";
	static const char *const families[] = {
		"iocsift_sink_sent_total counter",
		"iocsift_sink_spooled_total counter",
		"iocsift_sink_retried_total counter",
		"iocsift_sink_dropped_total counter",
		"iocsift_sink_connects_total counter",
		"iocsift_sink_errors_total counter",
		"iocsift_sink_memory_records gauge",
		"iocsift_sink_spool_records gauge",
		"iocsift_sink_spool_bytes gauge",
		"iocsift_sink_spool_max_bytes gauge",
		"iocsift_sink_last_error_timestamp_seconds gauge",
		"iocsift_db_persist_errors_total counter",
		"iocsift_state_snapshot_errors_total counter",
		"iocsift_state_persist_error_timestamp_seconds gauge",
		"iocsift_exports_version gauge",
		"iocsift_exports_writes_total counter",
		"iocsift_exports_errors_total counter",
		"iocsift_exports_write_seconds gauge",
		"iocsift_exports_written_timestamp_seconds gauge",
		"iocsift_exports_error_timestamp_seconds gauge",
	};
	char *text;
	const char *at;

	(void)state;
	text = render(
		"{\"exporter\":{\"throttled\":56,\"summaries\":4,"
		"\"throttle_evicted\":3,\"throttle_untracked\":1,"
		"\"throttle_open\":2,"
		"\"throttle_window_s\":60},\"sinks\":["
		"{\"name\":\"siem\",\"uri\":\"tcp://192.0.2.1\","
		"\"format\":\"ecs\",\"connected\":false,\"queued\":120,"
		"\"sent\":100,\"spooled\":20,\"retried\":3,\"dropped\":0,"
		"\"connects\":1,\"errors\":4,\"memory_records\":0,"
		"\"spool_records\":20,\"spool_bytes\":8192,"
		"\"spool_max\":1073741824,\"last_error\":\"refused\","
		"\"last_error_time\":1764864000},"
		"{\"name\":\"file-hits.json\",\"connected\":true,"
		"\"queued\":120,\"sent\":120,\"spooled\":0,\"retried\":0,"
		"\"dropped\":0,\"connects\":1,\"errors\":0,"
		"\"memory_records\":0,\"spool_records\":0,\"spool_bytes\":0,"
		"\"spool_max\":0}],"
		"\"db\":{\"persist_errors\":2},"
		"\"state\":{\"snapshot_errors\":1,\"persist_errors\":2,"
		"\"persist_error\":\"No space left on device\","
		"\"persist_error_time\":1764864001},"
		"\"exports\":{\"enabled\":true,\"version\":7,\"writes\":3,"
		"\"errors\":1,\"write_seconds\":2.5,\"written_at\":1764864002,"
		"\"error\":\"Read-only file system\",\"error_time\":1764864003,"
		"\"busy\":false,\"files\":{}}}");
	if (strncmp(text, expected_sinks, strlen(expected_sinks)) != 0)
		print_error("got:\n%s\n", text);
	assert_memory_equal(text, expected_sinks, strlen(expected_sinks));
	at = text;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char help[128], type[128];
		const char *name_end = strchr(families[i], ' ');
		snprintf(help, sizeof(help), "# HELP %.*s ",
			 (int)(name_end - families[i]), families[i]);
		snprintf(type, sizeof(type), "# TYPE %s\n", families[i]);
		const char *found = strstr(at, type);
		if (found == NULL)
			print_error("missing or out of order: %s\n", type);
		assert_non_null(found);
		assert_non_null(strstr(at, help));
		at = found + strlen(type);
	}
	assert_contains(text, "\niocsift_sink_spooled_total{sink=\"siem\"} 20\n");
	assert_contains(text, "\niocsift_sink_spool_records{sink=\"siem\"} 20\n");
	assert_contains(text, "\niocsift_sink_spool_max_bytes"
			"{sink=\"file-hits.json\"} 0\n");
	assert_contains(text, "\niocsift_sink_last_error_timestamp_seconds"
			"{sink=\"siem\"} 1764864000\n");
	/* Only a sink that had an error has the time of its last one. */
	assert_lacks(text, "iocsift_sink_last_error_timestamp_seconds"
		     "{sink=\"file-hits.json\"}");
	assert_contains(text, "\niocsift_db_persist_errors_total 2\n");
	assert_contains(text, "\niocsift_state_persist_error_timestamp_seconds"
			" 1764864001\n");
	assert_contains(text, "\niocsift_exports_version 7\n");
	assert_contains(text, "\niocsift_exports_errors_total 1\n");
	assert_contains(text, "\niocsift_exports_write_seconds 2.5\n");
	assert_contains(text, "\niocsift_exports_error_timestamp_seconds"
			" 1764864003\n");
	assert_lacks(text, "iocsift_exports_busy");
	free(text);

	/* A sink without a name is labelled by its index; a connected flag
	 * that is no boolean is skipped, and booleans stay out of the
	 * counters. */
	text = render("{\"sinks\":[{\"name\":\"a\",\"sent\":1},"
		      "{\"connected\":\"yes\",\"sent\":true,\"dropped\":2}]}");
	assert_contains(text, "\niocsift_sink_sent_total{sink=\"a\"} 1\n");
	assert_contains(text, "\niocsift_sink_dropped_total{sink=\"1\"} 2\n");
	assert_lacks(text, "iocsift_sink_up");
	assert_lacks(text, "iocsift_sink_sent_total{sink=\"1\"}");
	free(text);
}

/* Extra integer members of workers: their own counters, in the order they
 * first appear, known members and bad names left out. */
static void
test_worker_extras(void **state)
{
	char *text;
	const char *a, *b, *c;

	(void)state;
	text = render("{\"workers\": ["
		      " {\"worker\": 0, \"tcp_skipped\": 1, \"lcore\": 2,"
		      "  \"name\": \"w\", \"ratio\": 0.5, \"bad-name\": 3,"
		      "  \"packets\": 4, \"nested\": {\"a\": 1}},"
		      " {\"worker\": 1, \"busy_cycles\": 7, \"tcp_skipped\": 2,"
		      "  \"busy_percent\": 50}]}");
	a = strstr(text, "# TYPE iocsift_worker_packets_total counter\n");
	b = strstr(text, "# TYPE iocsift_worker_tcp_skipped_total counter\n");
	c = strstr(text, "# TYPE iocsift_worker_busy_cycles_total counter\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a < b && b < c);
	assert_contains(text, "iocsift_worker_tcp_skipped_total"
			"{worker=\"0\",lcore=\"2\"} 1\n"
			"iocsift_worker_tcp_skipped_total{worker=\"1\"} 2\n");
	assert_contains(text, "\niocsift_worker_busy_cycles_total"
			"{worker=\"1\"} 7\n");
	/* An integer busy_percent is still the ratio. */
	assert_contains(text, "\niocsift_worker_busy_ratio{worker=\"1\"} 0.5\n");
	assert_lacks(text, "bad");
	assert_lacks(text, "ratio_total");
	assert_lacks(text, "nested");
	assert_lacks(text, "iocsift_worker_lcore");
	assert_lacks(text, "iocsift_worker_worker");
	assert_lacks(text, "iocsift_worker_name");
	assert_lacks(text, "iocsift_worker_busy_percent");
	free(text);
}

/* ---- HTTP requests -------------------------------------------------------- */

static enum ctl_http_verdict
check(const char *request)
{
	return ctl_http_request_check(request, strlen(request));
}

/* Complete requests: their verdict by method and path. */
static const struct {
	const char *name;
	const char *request;
	enum ctl_http_verdict verdict;
} verdict_cases[] = {
	{ "a Prometheus scrape", "GET /metrics HTTP/1.1\r\n"
	  "Host: 127.0.0.1:9464\r\n"
	  "User-Agent: Prometheus/2.42.0\r\n"
	  "Accept: text/plain\r\n\r\n", CTL_HTTP_METRICS },
	{ "HTTP/1.0", "GET /metrics HTTP/1.0\r\n\r\n", CTL_HTTP_METRICS },
	{ "bytes past the header block do not matter",
	  "GET /metrics HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n", CTL_HTTP_METRICS },
	/* Bare LF line ends, and a mix. */
	{ "bare LF", "GET /metrics HTTP/1.1\n\n", CTL_HTTP_METRICS },
	{ "bare LF and a header", "GET /metrics HTTP/1.1\nHost: x\n\n",
	  CTL_HTTP_METRICS },
	{ "CRLF and LF mixed", "GET /metrics HTTP/1.1\r\nHost: x\n\r\n",
	  CTL_HTTP_METRICS },
	/* A query string is allowed, and ignored. */
	{ "query string", "GET /metrics?name[]=up HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METRICS },
	{ "empty query string", "GET /metrics? HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METRICS },

	{ "POST", "POST /metrics HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METHOD_NOT_ALLOWED },
	{ "HEAD", "HEAD /metrics HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METHOD_NOT_ALLOWED },
	{ "lowercase get", "get /metrics HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METHOD_NOT_ALLOWED },
	{ "GETX", "GETX /metrics HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METHOD_NOT_ALLOWED },
	{ "DELETE elsewhere", "DELETE / HTTP/1.1\r\n\r\n",
	  CTL_HTTP_METHOD_NOT_ALLOWED },

	{ "root", "GET / HTTP/1.1\r\n\r\n", CTL_HTTP_NOT_FOUND },
	{ "trailing slash", "GET /metrics/ HTTP/1.1\r\n\r\n",
	  CTL_HTTP_NOT_FOUND },
	{ "longer path", "GET /metricsx HTTP/1.1\r\n\r\n", CTL_HTTP_NOT_FOUND },
	{ "capital M", "GET /Metrics HTTP/1.1\r\n\r\n", CTL_HTTP_NOT_FOUND },
	{ "fragment", "GET /metrics#x HTTP/1.1\r\n\r\n", CTL_HTTP_NOT_FOUND },
	{ "/metrics in the query", "GET /x?/metrics HTTP/1.1\r\n\r\n",
	  CTL_HTTP_NOT_FOUND },
};

static void
test_http_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]);
	     i++) {
		enum ctl_http_verdict got = check(verdict_cases[i].request);

		if (got != verdict_cases[i].verdict)
			print_error("case '%s': verdict %d, want %d\n",
				    verdict_cases[i].name, (int)got,
				    (int)verdict_cases[i].verdict);
		assert_int_equal(got, verdict_cases[i].verdict);
	}
}

static void
test_http_incomplete(void **state)
{
	static const char full[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	assert_int_equal(ctl_http_request_check("", 0), CTL_HTTP_INCOMPLETE);
	assert_int_equal(ctl_http_request_check(NULL, 0), CTL_HTTP_INCOMPLETE);
	/* Every proper prefix waits for more, even a bad one. */
	for (size_t n = 0; n < sizeof(full) - 1; n++)
		assert_int_equal(ctl_http_request_check(full, n),
				 CTL_HTTP_INCOMPLETE);
	assert_int_equal(ctl_http_request_check(full, sizeof(full) - 1),
			 CTL_HTTP_METRICS);
	assert_int_equal(check("POST /x HTTP/1.1\r\n"), CTL_HTTP_INCOMPLETE);
	assert_int_equal(check("\x16\x03\x01\x02\x00"), CTL_HTTP_INCOMPLETE);
}

static void
test_http_oversized(void **state)
{
	static const char line[] = "GET /metrics HTTP/1.1\r\n";
	char *buf = malloc(CTL_HTTP_MAX_HEADER + 64);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, line, sizeof(line) - 1);
	memset(buf + sizeof(line) - 1, 'a',
	       CTL_HTTP_MAX_HEADER + 64 - (sizeof(line) - 1));
	/* No end within the limit. */
	assert_int_equal(ctl_http_request_check(buf, CTL_HTTP_MAX_HEADER - 1),
			 CTL_HTTP_INCOMPLETE);
	assert_int_equal(ctl_http_request_check(buf, CTL_HTTP_MAX_HEADER),
			 CTL_HTTP_BAD_REQUEST);
	assert_int_equal(ctl_http_request_check(buf, CTL_HTTP_MAX_HEADER + 64),
			 CTL_HTTP_BAD_REQUEST);
	/* A block that ends on the last byte allowed is fine ... */
	memcpy(buf + CTL_HTTP_MAX_HEADER - 4, "\r\n\r\n", 4);
	assert_int_equal(ctl_http_request_check(buf, CTL_HTTP_MAX_HEADER + 64),
			 CTL_HTTP_METRICS);
	/* ... one byte later it is not. */
	memset(buf + CTL_HTTP_MAX_HEADER - 4, 'a', 4);
	memcpy(buf + CTL_HTTP_MAX_HEADER - 3, "\r\n\r\n", 4);
	assert_int_equal(ctl_http_request_check(buf, CTL_HTTP_MAX_HEADER + 64),
			 CTL_HTTP_BAD_REQUEST);
	free(buf);
}

static void
test_http_bad_request(void **state)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"\n\n",
		"GET\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET /metrics  HTTP/1.1\r\n\r\n",
		" GET /metrics HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET http://h/metrics HTTP/1.1\r\n\r\n",
		"GET * HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET /metrics HTTP/1.10\r\n\r\n",
		"GET /metrics HTTP/1.x\r\n\r\n",
		"GET /metrics http/1.1\r\n\r\n",
		"GET /metrics HTTP/1.\r\n\r\n",
		"GET\t/metrics HTTP/1.1\r\n\r\n",
		"GET /met rics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\r\n\r\n",
		"G(T /metrics HTTP/1.1\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (check(bad[i]) != CTL_HTTP_BAD_REQUEST)
			print_error("not refused: %s\n", bad[i]);
		assert_int_equal(check(bad[i]), CTL_HTTP_BAD_REQUEST);
	}
	/* A NUL inside the request line. */
	assert_int_equal(ctl_http_request_check("GET /met\0rics HTTP/1.1\r\n\r\n",
						26), CTL_HTTP_BAD_REQUEST);
	assert_int_equal(check("GET /\x7fmetrics HTTP/1.1\r\n\r\n"),
			 CTL_HTTP_BAD_REQUEST);
	assert_int_equal(check("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"),
			 CTL_HTTP_BAD_REQUEST);
}

/* ---- HTTP responses ------------------------------------------------------- */

/* Splits a response into head and body and checks the framing: status
 * line, Content-Length equal to the body's length, Connection: close. */
static const char *
check_framing(const char *resp, size_t len, const char *status,
	      const char *type)
{
	const char *end = strstr(resp, "\r\n\r\n");
	char want[128];

	assert_non_null(end);
	assert_int_equal(strlen(resp), len);
	snprintf(want, sizeof(want), "HTTP/1.1 %s\r\n", status);
	assert_true(strncmp(resp, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "\r\nContent-Type: %s\r\n", type);
	assert_contains(resp, want);
	assert_contains(resp, "\r\nConnection: close\r\n");

	const char *cl = strstr(resp, "\r\nContent-Length: ");
	assert_non_null(cl);
	assert_true(cl < end);
	const char *body = end + 4;
	unsigned long length = strtoul(cl + 18, NULL, 10);
	assert_int_equal(length, len - (size_t)(body - resp));
	return body;
}

static void
test_http_response(void **state)
{
	static const char metrics_type[] =
		"text/plain; version=0.0.4; charset=utf-8";
	static const char plain[] = "text/plain; charset=utf-8";
	size_t len = 0;
	char *resp;
	const char *body;

	(void)state;
	resp = ctl_http_response(CTL_HTTP_METRICS, "up 1\n", &len);
	assert_non_null(resp);
	body = check_framing(resp, len, "200 OK", metrics_type);
	assert_string_equal(body, "up 1\n");
	assert_string_equal(resp,
			    "HTTP/1.1 200 OK\r\n"
			    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			    "Content-Length: 5\r\n"
			    "Connection: close\r\n"
			    "\r\n"
			    "up 1\n");
	free(resp);

	resp = ctl_http_response(CTL_HTTP_METRICS, NULL, &len);
	assert_non_null(resp);
	body = check_framing(resp, len, "200 OK", metrics_type);
	assert_string_equal(body, "");
	free(resp);

	/* A real body: the rendered metrics. */
	json_t *stats = json_pack("{s:[{s:i, s:s, s:I}]}", "ports", "port", 0,
				  "name", "p\"0", "rx_packets", (json_int_t)12);
	char *text = ctl_metrics_prometheus(stats);
	json_decref(stats);
	assert_non_null(text);
	resp = ctl_http_response(CTL_HTTP_METRICS, text, &len);
	assert_non_null(resp);
	body = check_framing(resp, len, "200 OK", metrics_type);
	assert_string_equal(body, text);
	free(resp);
	free(text);

	resp = ctl_http_response(CTL_HTTP_NOT_FOUND, NULL, &len);
	assert_non_null(resp);
	body = check_framing(resp, len, "404 Not Found", plain);
	assert_string_equal(body, "Not Found\n");
	free(resp);

	resp = ctl_http_response(CTL_HTTP_BAD_REQUEST, NULL, &len);
	assert_non_null(resp);
	body = check_framing(resp, len, "400 Bad Request", plain);
	assert_string_equal(body, "Bad Request\n");
	free(resp);

	resp = ctl_http_response(CTL_HTTP_METHOD_NOT_ALLOWED, "only GET\n",
				 &len);
	assert_non_null(resp);
	body = check_framing(resp, len, "405 Method Not Allowed", plain);
	assert_contains(resp, "\r\nAllow: GET\r\n");
	assert_string_equal(body, "only GET\n");
	free(resp);

	errno = 0;
	assert_null(ctl_http_response(CTL_HTTP_INCOMPLETE, NULL, &len));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(ctl_http_response((enum ctl_http_verdict)42, "x", &len));
	assert_int_equal(errno, EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_text),
		cmocka_unit_test(test_full_object),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_missing_members),
		cmocka_unit_test(test_sinks_throttle_persist),
		cmocka_unit_test(test_worker_extras),
		cmocka_unit_test(test_http_verdicts),
		cmocka_unit_test(test_http_incomplete),
		cmocka_unit_test(test_http_oversized),
		cmocka_unit_test(test_http_bad_request),
		cmocka_unit_test(test_http_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
