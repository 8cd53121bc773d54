/* test_overrides.c -- the deleted indicators no load brings back: taken
 * out of a feed by an object of overrides or by a load record's list of
 * keys, listed in key order, saved and read back, a broken file refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "feed.h"
#include "overrides.h"

static const char feed_text[] =
	"type,value\n"
	"domain,a.example\n"
	"domain,b.example\n"
	"ipv4,192.0.2.7\n"
	"domain,c.example\n";

static void
feed_of(struct pat_feed *feed)
{
	struct error_detail err = { 0 };

	pat_feed_init(feed);
	assert_int_equal(pat_feed_parse(feed, "vendor", "vendor.csv",
					feed_text, strlen(feed_text),
					PAT_FEED_CSV, &err), 0);
	assert_int_equal(feed->count, 4);
}

static bool
feed_has(const struct pat_feed *feed, const char *value)
{
	for (size_t i = 0; i < feed->count; i++)
		if (strcmp(feed->items[i].value, value) == 0)
			return true;
	return false;
}

static void
test_apply_object(void **state)
{
	struct pat_feed feed;
	json_t *overrides = json_pack("{s:i, s:i, s:i}", "domain:b.example", 1,
				      "ipv4:192.0.2.7", 2,
				      "domain:elsewhere.example", 3);
	json_t *taken = json_array();

	(void)state;
	feed_of(&feed);
	assert_int_equal(ctl_overrides_apply(overrides, &feed, taken), 2);
	assert_int_equal(feed.count, 2);
	assert_true(feed_has(&feed, "a.example"));
	assert_true(feed_has(&feed, "c.example"));
	assert_false(feed_has(&feed, "b.example"));
	/* In the feed's order: what a load record keeps. */
	assert_int_equal(json_array_size(taken), 2);
	assert_string_equal(json_string_value(json_array_get(taken, 0)),
			    "domain:b.example");
	assert_string_equal(json_string_value(json_array_get(taken, 1)),
			    "ipv4:192.0.2.7");
	pat_feed_free(&feed);
	json_decref(overrides);
	json_decref(taken);
}

/* Replayed, a load takes out what its record lists, nothing else. */
static void
test_apply_recorded_keys(void **state)
{
	struct pat_feed feed;
	json_t *keys = json_pack("[s]", "domain:c.example");

	(void)state;
	feed_of(&feed);
	assert_int_equal(ctl_overrides_apply(keys, &feed, NULL), 1);
	assert_int_equal(feed.count, 3);
	assert_false(feed_has(&feed, "c.example"));
	json_decref(keys);
	keys = json_array();
	assert_int_equal(ctl_overrides_apply(keys, &feed, NULL), 0);
	assert_int_equal(feed.count, 3);
	pat_feed_free(&feed);
	json_decref(keys);
}

static void
test_list(void **state)
{
	json_t *overrides = json_pack("{s:i, s:i}", "ipv4:192.0.2.7",
				      1767225600, "domain:b.example", 0);

	(void)state;
	json_t *list = ctl_overrides_list(overrides, 1);
	assert_non_null(list);
	assert_int_equal(json_integer_value(json_object_get(list, "total")), 2);
	assert_true(json_is_true(json_object_get(list, "truncated")));
	json_t *rows = json_object_get(list, "overrides");
	assert_int_equal(json_array_size(rows), 1);
	json_t *row = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(row, "type")),
			    "domain");
	assert_string_equal(json_string_value(json_object_get(row, "value")),
			    "b.example");
	assert_string_equal(json_string_value(json_object_get(row, "deleted")),
			    "1970-01-01T00:00:00Z");
	json_decref(list);
	list = ctl_overrides_list(overrides, 10);
	row = json_array_get(json_object_get(list, "overrides"), 1);
	assert_string_equal(json_string_value(json_object_get(row, "value")),
			    "192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(row, "deleted")),
			    "2026-01-01T00:00:00Z");
	json_decref(list);
	json_decref(overrides);
}

static void
test_save_and_load(void **state)
{
	char dir[] = "/tmp/test_overrides.XXXXXX", path[64];
	struct error_detail err = { 0 };
	json_t *overrides = json_pack("{s:i}", "md5:d41d8cd98f00b204e9800998ecf8427e",
				      42);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/overrides.json", dir);
	/* No file: none. */
	json_t *read = ctl_overrides_load(path, &err);
	assert_non_null(read);
	assert_int_equal(json_object_size(read), 0);
	json_decref(read);
	assert_int_equal(ctl_overrides_save(overrides, path, &err), 0);
	read = ctl_overrides_load(path, &err);
	assert_non_null(read);
	assert_true(json_equal(read, overrides));
	json_decref(read);

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"overrides\":{\"no-colon\":1}}", f);
	fclose(f);
	assert_null(ctl_overrides_load(path, &err));
	assert_non_null(strstr(err.message, "is not TYPE:VALUE"));
	f = fopen(path, "w");
	fputs("{\"overrides\":", f);
	fclose(f);
	assert_null(ctl_overrides_load(path, &err));
	assert_non_null(strstr(err.message, "not an overrides file"));

	/* A directory that is not there: the error says where. */
	snprintf(path, sizeof(path), "%s/missing/overrides.json", dir);
	assert_int_equal(ctl_overrides_save(overrides, path, &err), -ENOENT);
	assert_non_null(strstr(err.where, "missing"));
	snprintf(path, sizeof(path), "%s/overrides.json", dir);
	unlink(path);
	rmdir(dir);
	json_decref(overrides);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_object),
		cmocka_unit_test(test_apply_recorded_keys),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_save_and_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
