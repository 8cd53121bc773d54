/* test_block_export.c -- the block-list writer thread (block_export.c):
 * versions offered while it writes are coalesced into the newest, the
 * set it writes is the one ctl_block_export_busy() names until it is
 * done, a request gets its ticket done, and a failed write shows in its
 * JSON. The allow-list is a FIFO, so that the test decides when a write
 * may go on: the thread blocks reading it. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "block_export.h"
#include "database.h"
#include "feed.h"

static struct pat_set *
set_of(const char *csv, uint64_t version)
{
	struct pat_feed feed;
	struct error_detail err = { 0 };

	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "intel", "intel.csv", csv,
					strlen(csv), PAT_FEED_CSV, &err), 0);
	const struct pat_feed *feeds[] = { &feed };
	struct pat_set *set = pat_set_build(feeds, 1, 1, version, &err);
	assert_non_null(set);
	pat_feed_free(&feed);
	return set;
}

/* Lets the thread's read of the allow-list (the FIFO) finish once. */
static void
release_one(const char *fifo)
{
	int fd = open(fifo, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "corp.example\n", 13), 13);
	close(fd);
}

/* Until the thread holds want (it blocks in the allow-list's read). */
static void
wait_busy(struct ctl_block_export *x, const struct pat_set *want)
{
	for (int i = 0; i < 5000; i++) {
		if (ctl_block_export_busy(x) == want)
			return;
		usleep(1000);
	}
	fail_msg("the thread did not take set %p", (const void *)want);
}

static json_t *
wait_done(struct ctl_block_export *x, uint64_t writes)
{
	for (int i = 0; i < 5000; i++) {
		json_t *j = ctl_block_export_json(x);

		if ((uint64_t)json_integer_value(json_object_get(j, "writes")) +
		    (uint64_t)json_integer_value(json_object_get(j, "errors")) >=
		    writes && !json_is_true(json_object_get(j, "busy")))
			return j;
		json_decref(j);
		usleep(1000);
	}
	fail_msg("no write done");
	return NULL;
}

static void
test_coalesce(void **state)
{
	char dir[] = "/tmp/test_block_export.XXXXXX", fifo[64], path[128];
	struct iocsift_config cfg;
	struct ctl_block_export x;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/allow.fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	cfg_defaults(&cfg);
	snprintf(cfg.export_dir, sizeof(cfg.export_dir), "%s", dir);
	snprintf(cfg.export_allow, sizeof(cfg.export_allow), "%s", fifo);
	cfg.export_formats = 1u << CFG_EXPORT_RPZ;
	assert_int_equal(ctl_block_export_start(&x, &cfg), 0);
	assert_true(ctl_block_export_enabled(&x));

	struct pat_set *a = set_of("type,value\ndomain,a.example\n", 1);
	struct pat_set *b = set_of("type,value\ndomain,b.example\n", 2);
	struct pat_set *c = set_of("type,value\ndomain,c.example\n"
				   "domain,corp.example\n", 3);

	/* A is taken, and held (the allow-list read blocks) ... */
	ctl_block_export_offer(&x, a);
	wait_busy(&x, a);
	/* ... while B and C come: only C is written after A. */
	ctl_block_export_offer(&x, b);
	ctl_block_export_offer(&x, c);
	assert_ptr_equal(ctl_block_export_busy(&x), a);
	release_one(fifo);
	wait_busy(&x, c);
	release_one(fifo);
	json_t *j = wait_done(&x, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "writes")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
	json_t *rpz = json_object_get(json_object_get(j, "files"),
				      "iocsift.rpz");
	assert_int_equal(json_integer_value(json_object_get(rpz, "entries")), 1);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(j, "allowed"), "rpz")), 1);
	json_decref(j);
	assert_null(ctl_block_export_busy(&x));
	pat_set_free(a);       /* no longer busy: free to go */
	pat_set_free(b);

	/* A request: a ticket, done once written (csv, not configured). */
	uint64_t ticket = ctl_block_export_request(&x, c,
						   1u << CFG_EXPORT_CSV);
	assert_int_equal(ticket, 1);
	wait_busy(&x, c);
	release_one(fifo);
	j = wait_done(&x, 3);
	assert_int_equal(json_integer_value(json_object_get(j,
							    "requests_done")), 1);
	assert_non_null(json_object_get(json_object_get(j, "files"),
					"iocsift.csv"));
	json_decref(j);

	/* A write that fails (a directory in the temporary file's way):
	 * counted, its error and time kept, the file as it was. */
	snprintf(path, sizeof(path), "%s/.iocsift.rpz.tmp", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	ctl_block_export_offer(&x, c);
	wait_busy(&x, c);
	release_one(fifo);
	j = wait_done(&x, 4);
	assert_int_equal(json_integer_value(json_object_get(j, "errors")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")),
			       "Is a directory"));
	assert_true(json_integer_value(json_object_get(j, "error_time")) >=
		    (json_int_t)time(NULL) - 60);
	json_decref(j);
	rmdir(path);

	/* An indicator that expires later: due once its time has come,
	 * so that the control loop offers the active set again. */
	time_t now = time(NULL);
	char csv[128];
	struct tm tm;
	gmtime_r(&(time_t){ now + 3600 }, &tm);
	snprintf(csv, sizeof(csv), "type,value,expires\n"
		 "domain,soon.example,%04d-%02d-%02dT%02d:%02d:%02dZ\n",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	struct pat_set *d = set_of(csv, 4);
	ctl_block_export_offer(&x, d);
	wait_busy(&x, d);
	release_one(fifo);
	json_decref(wait_done(&x, 5));
	assert_false(ctl_block_export_expiry_due(&x, (int64_t)now));
	assert_true(ctl_block_export_expiry_due(&x, (int64_t)now + 3600));
	assert_false(ctl_block_export_expiry_due(&x, (int64_t)now + 3600));

	ctl_block_export_stop(&x);
	ctl_block_export_stop(&x);    /* idempotent */
	pat_set_free(d);
	pat_set_free(c);
	for (unsigned int i = 0; i < CTL_BLOCK_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 ctl_block_file_name(i));
		unlink(path);
	}
	unlink(fifo);
	assert_int_equal(rmdir(dir), 0);
}

static void
add(struct ctl_database *db, const char *value)
{
	struct ctl_indicator_spec spec = { .type = "domain", .value = value,
					   .feed = "cli" };
	struct error_detail err = { 0 };

	if (ctl_db_add(db, &spec, &err) != 0)
		fail_msg("add %s: %s", value, err.message);
}

/* The database offers each new version, and a set that leaves while the
 * thread writes it is freed only once the thread let go of it (as the
 * snapshot's). */
static void
test_database(void **state)
{
	char dir[] = "/tmp/test_block_export_db.XXXXXX", fifo[64], path[128];
	char state_dir[64], exports[64];
	struct iocsift_config cfg;
	struct ctl_block_export x;
	struct ctl_database db;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/allow.fifo", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	snprintf(exports, sizeof(exports), "%s/exports", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(exports, 0755), 0);
	cfg_defaults(&cfg);
	snprintf(cfg.export_dir, sizeof(cfg.export_dir), "%s", exports);
	snprintf(cfg.export_allow, sizeof(cfg.export_allow), "%s", fifo);
	cfg.export_formats = 1u << CFG_EXPORT_HOSTS;
	assert_int_equal(ctl_block_export_start(&x, &cfg), 0);
	struct ctl_database_options opt = {
		.state_dir = state_dir, .rollback_depth = 1,
		.compact_threshold = 1000, .shrink_percent = 50,
		.block_export = &x,
	};
	assert_int_equal(ctl_db_init(&db, &opt), 0);

	/* Version 1 (empty, the first add makes it) is offered and
	 * taken; the thread blocks on the allow-list with it. */
	add(&db, "a.example");                 /* version 2 */
	const struct pat_set *first = NULL;
	for (int i = 0; i < 5000 && first == NULL; i++) {
		first = ctl_block_export_busy(&x);
		usleep(1000);
	}
	assert_non_null(first);
	assert_int_equal(pat_set_version(first), 1);
	add(&db, "b.example");                 /* 1 leaves the history */
	add(&db, "c.example");                 /* 2 too */
	ctl_db_tick(&db);                      /* where they are freed */
	assert_ptr_equal(db.free_after_export, first);   /* not 1 yet */
	release_one(fifo);
	wait_busy(&x, db.active);              /* 4: 2 and 3 coalesced */
	ctl_db_tick(&db);
	assert_null(db.free_after_export);     /* 1 freed now */
	release_one(fifo);
	json_t *j = wait_done(&x, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "writes")), 2);
	json_decref(j);
	snprintf(path, sizeof(path), "%s/iocsift.hosts", exports);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	assert_non_null(strstr(text, "0.0.0.0 c.example\n"));
	free(text);
	ctl_db_release(&db);                   /* stops the thread first */
	assert_false(ctl_block_export_enabled(&x));
	char command[256];
	snprintf(command, sizeof(command), "rm -rf %s", dir);
	assert_int_equal(system(command), 0);
}

/* Without export_dir nothing runs, and the JSON says so. */
static void
test_off(void **state)
{
	struct iocsift_config cfg;
	struct ctl_block_export x;
	(void)state;

	cfg_defaults(&cfg);
	assert_int_equal(ctl_block_export_start(&x, &cfg), 0);
	assert_false(ctl_block_export_enabled(&x));
	assert_int_equal(ctl_block_export_request(&x, NULL, 1), 0);
	assert_null(ctl_block_export_busy(&x));
	json_t *j = ctl_block_export_json(&x);
	assert_true(json_is_false(json_object_get(j, "enabled")));
	json_decref(j);
	ctl_block_export_stop(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_database),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
