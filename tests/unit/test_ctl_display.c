/* test_ctl_display.c -- iocsiftctl's human output of status and stats:
 * every sink (up or down, its counters, its last error), the throttle and
 * the persist errors, as docs/control-protocol.md shows them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "ctl_display.h"

/* What ctl_render() prints for the reply's result, malloc'd. */
static char *
rendered(enum ctl_command cmd, const char *result_json)
{
	json_error_t jerr;
	json_t *result = json_loads(result_json, 0, &jerr);
	struct options o = { 0 };
	char path[] = "/tmp/test_ctl_display.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDOUT_FILENO);

	if (result == NULL)
		print_error("json: %s\n", jerr.text);
	assert_non_null(result);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	int rc = ctl_render(cmd, result, NULL, &o);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	json_decref(result);
	assert_int_equal(rc, EXIT_OK);

	off_t len = lseek(fd, 0, SEEK_END);
	char *text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)len, 0), len);
	close(fd);
	unlink(path);
	return text;
}

static void
assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		print_error("missing: %s\nin:\n%s\n", part, text);
	assert_non_null(strstr(text, part));
}

/* The exporter member and the sinks member of status and stats: a
 * throttle; two sinks, one down with its last error two minutes old. */
static const char exporter_json[] =
	"{\"events\":1200,\"write_errors\":0,\"throttled\":56,"
	"\"summaries\":4,\"throttle_window_s\":60,\"throttle_evicted\":3,"
	"\"throttle_untracked\":1,"
	"\"throttle_open\":2},\"sinks\":["
	"{\"name\":\"siem\",\"uri\":\"tcp://192.0.2.10:601\",\"format\":\"ecs\","
	"\"connected\":false,\"queued\":120,\"sent\":100,\"spooled\":20,"
	"\"retried\":3,\"dropped\":0,\"connects\":1,\"errors\":4,"
	"\"memory_records\":2,\"spool_records\":18,\"spool_bytes\":8192,"
	"\"spool_max\":1073741824,\"last_error\":\"cannot connect to "
	"192.0.2.10:601: Connection refused\",\"last_error_time\":%lld},"
	"{\"name\":\"file-hits.json\",\"uri\":\"file:///var/log/iocsift/"
	"hits.json\",\"format\":\"ecs\",\"connected\":true,\"queued\":120,"
	"\"sent\":120,\"spooled\":0,\"retried\":0,\"dropped\":0,\"connects\":1,"
	"\"errors\":0,\"memory_records\":0,\"spool_records\":0,"
	"\"spool_bytes\":0,\"spool_max\":1073741824}]";

static const char sinks_table[] =
	"SINK            STATE  QUEUED  SENT  SPOOLED  DROPPED  PENDING  ERRORS  LAST_ERROR\n"
	"siem            down      120   100       20        0       20       4  2m ago: cannot connect to 192.0.2.10:601: Connection refused\n"
	"file-hits.json  up        120   120        0        0        0       0  -\n";

static const char state_json[] =
	"{\"journal_records\":12,\"journal_bytes\":2210,\"snapshot_seq\":40,"
	"\"snapshots\":1,\"snapshot_errors\":0,\"persist_errors\":1,"
	"\"persist_error\":\"not saved: No space left on device\","
	"\"persist_error_time\":%lld}";

static char *
exporter_text(void)
{
	char *text = NULL;

	assert_true(asprintf(&text, exporter_json,
			     (long long)time(NULL) - 125) > 0);
	return text;
}

static char *
state_text(void)
{
	char *text = NULL;

	assert_true(asprintf(&text, state_json,
			     (long long)time(NULL) - 7200) > 0);
	return text;
}

static void
test_status_sinks(void **state)
{
	char *exporter = exporter_text(), *st = state_text(), *json = NULL;
	(void)state;

	assert_true(asprintf(&json, "{\"program\":\"iocsift 0.1.0\","
			     "\"db_version\":7,\"indicators\":97,\"delta\":0,"
			     "\"feeds\":[{\"name\":\"3cx\",\"indicators\":97}],"
			     "\"uptime_seconds\":12,\"workers\":1,\"ports\":1,"
			     "\"swaps\":1,\"last_swap_us\":812,"
			     "\"state_dir\":\"/var/lib/iocsift\",\"state\":%s,"
			     "\"exporter\":%s}", st, exporter) > 0);
	char *text = rendered(CTL_CMD_STATUS, json);
	assert_contains(text, "persist errors  1 changes not saved, 0 "
			"snapshots failed\n");
	assert_contains(text, "last error      2h ago: not saved: No space "
			"left on device\n");
	assert_contains(text, "events          1200 written, 0 write errors\n");
	assert_contains(text, "throttle        60 s window: 56 repeats in 4 "
			"summaries, 2 windows open, 3 closed early (table "
			"full), 1 hits untracked (no memory)\n");
	assert_contains(text, sinks_table);
	assert_contains(text, "FEED  INDICATORS\n3cx           97\n");
	free(text);
	free(json);
	free(exporter);
	free(st);
}

static void
test_stats_sinks(void **state)
{
	char *exporter = exporter_text(), *st = state_text(), *json = NULL;
	(void)state;

	assert_true(asprintf(&json, "{\"ports\":[],\"workers\":[],"
			     "\"exporter\":%s,\"db\":{\"version\":7,"
			     "\"indicators\":97,\"swaps\":1,\"last_swap_us\":812,"
			     "\"max_swap_us\":900,\"persist_errors\":1},"
			     "\"state\":%s}", exporter, st) > 0);
	char *text = rendered(CTL_CMD_STATS, json);
	assert_contains(text, "db              version 7, 97 indicators, 1 "
			"swaps (last 0.812 ms, max 0.9 ms)\n");
	assert_contains(text, "persist errors  1 changes not saved, 0 "
			"snapshots failed\n");
	assert_contains(text, "throttle        60 s window: 56 repeats");
	assert_contains(text, sinks_table);
	free(text);
	free(json);
	free(exporter);
	free(st);
}

/* No sink: said so; no throttle: "off". */
static void
test_no_sinks(void **state)
{
	(void)state;
	char *text = rendered(CTL_CMD_STATS, "{\"exporter\":{\"events\":0,"
			      "\"write_errors\":0,\"throttled\":0,\"summaries\":0,"
			      "\"throttle_window_s\":0,\"throttle_evicted\":0,"
			      "\"throttle_untracked\":0,"
			      "\"throttle_open\":0},\"sinks\":[]}");
	assert_contains(text, "throttle  off (every hit is an event)\n");
	assert_contains(text, "\nno sinks\n");
	free(text);
}

/* The block lists: a row, the last error with its age, the files. */
static void
test_exports(void **state)
{
	char *json = NULL, *exports = NULL;
	(void)state;

	assert_true(asprintf(&exports, "{"
		"\"enabled\":true,\"dir\":\"/srv/x\",\"version\":8,"
		"\"written_at\":%lld,\"write_seconds\":2.14,\"writes\":3,"
		"\"errors\":2,\"busy\":true,\"error\":\"/srv/x/.iocsift.rpz.tmp: "
		"Read-only file system\",\"error_time\":%lld,\"files\":{"
		"\"iocsift.rpz\":{\"format\":\"rpz\",\"path\":\"/srv/x/iocsift.rpz\","
		"\"version\":8,\"entries\":1200,\"skipped\":3}}}",
		(long long)time(NULL) - 4, (long long)time(NULL) - 120) > 0);
	assert_true(asprintf(&json, "{\"db_version\":9,\"exports\":%s}",
			     exports) > 0);
	char *text = rendered(CTL_CMD_STATUS, json);
	assert_contains(text, "exports       /srv/x: db version 8, written 4s "
			"ago in 2.1 s (writing a newer one)\n");
	assert_contains(text, "export error  2 errors, the last 2m ago: "
			"/srv/x/.iocsift.rpz.tmp: Read-only file system\n");
	assert_contains(text, "FILE                FORMAT  VERSION  ENTRIES  "
			"SKIPPED\n/srv/x/iocsift.rpz  rpz           8     1200"
			"        3\n");
	free(text);
	text = rendered(CTL_CMD_EXPORT, exports);
	assert_contains(text, "/srv/x/iocsift.rpz  rpz           8     1200");
	free(text);
	free(json);
	free(exports);
	text = rendered(CTL_CMD_STATUS, "{\"exports\":{\"enabled\":false}}");
	assert_contains(text, "\nexports     off (no export_dir)\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_sinks),
		cmocka_unit_test(test_stats_sinks),
		cmocka_unit_test(test_no_sinks),
		cmocka_unit_test(test_exports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
