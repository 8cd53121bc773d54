/* test_store.c -- a saved pattern set loads back with the same matches,
 * and damaged files are refused with a reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "feed.h"
#include "store.h"

#define NOW 1795651200

static const char feed_csv[] =
	"type,value,tags,source\n"
	"domain,evil.com,\"c2,test\",unit\n"
	"ipv4,10.1.2.3,,\n"
	"ipv6,2001:db8::/32,,\n"
	"sha256,aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868,,\n"
	"filename,3CXDesktopApp.exe,,\n"
	"url,raw.githubusercontent.com/IconStorages/images/,,\n"
	"regex,user=ad(min|ministrator) failed,,\n"
	"domain,gone.example,,\n";

static const char *const probes[] = {
	"connect cdn.evil.com:443",
	"src=10.1.2.3",
	"src=2001:db8::77",
	"sha256=AA124A4B4DF12B34E74EE7F6C683B2EBEC4CE9A8EDCF9BE345823B4FDCF5D868",
	"C:\\x\\3cxdesktopapp.exe",
	"GET https://raw.githubusercontent.com/IconStorages/images/a.ico",
	"user=admin failed",
	"to gone.example",
	"to added.example",
	"nothing here",
};

static struct pat_set *
sample_set(void)
{
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };
	struct pat_arena *arena = pat_arena_new();
	struct pat_indicator ind;

	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "unit", "unit.csv", feed_csv,
					strlen(feed_csv), PAT_FEED_CSV, &err), 0);
	struct pat_set *v1 = pat_set_build(feeds, 1, 1, 1, &err);
	assert_non_null(v1);
	/* A delta and a deletion, so both are saved too. */
	assert_int_equal(pat_normalize(arena, PAT_TYPE_DOMAIN, "added.example",
				       13, &ind, &err), 0);
	ind.feed = "live";
	ind.expires = NOW + 3600;
	struct pat_set *v2 = pat_set_add(v1, &ind, 2, &err);
	assert_non_null(v2);
	assert_int_equal(pat_normalize(arena, PAT_TYPE_DOMAIN, "gone.example",
				       12, &ind, &err), 0);
	struct pat_set *v3 = pat_set_delete(v2, &ind, 3, &err);
	assert_non_null(v3);
	pat_set_free(v2);
	pat_set_free(v1);
	pat_feed_free(&feed);
	pat_arena_free(arena);
	return v3;
}

/* The indicator values each probe hits, joined, for comparison. */
static void
describe_hits(const struct pat_set *set, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
		struct pat_hits hits;
		pat_hits_reset(&hits, NOW);
		assert_int_equal(pat_match_text(set, pat_set_scratch(set, 0),
						(const uint8_t *)probes[p],
						strlen(probes[p]), &hits), 0);
		for (uint16_t i = 0; i < hits.count; i++) {
			const struct pat_indicator *ind =
				pat_set_indicator(set, hits.ids[i]);
			used += (size_t)snprintf(out + used, size - used,
				"%zu:%s/%s/%s/%lld;", p, ind->value, ind->feed,
				ind->tags, (long long)ind->expires);
		}
	}
}

static char path[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_store.%d.db", (int)getpid());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
test_round_trip(void **state)
{
	(void)state;
	struct pat_set *set = sample_set();
	struct error_detail err = { 0 };
	char before[4096], after[4096];

	describe_hits(set, before, sizeof(before));
	assert_non_null(strstr(before, "added.example"));
	assert_null(strstr(before, "gone.example"));
	assert_int_equal(pat_set_save(set, path, &err), 0);

	struct pat_set *loaded = pat_set_load(path, 2, &err);
	if (loaded == NULL)
		fail_msg("load: %s", err.message);
	describe_hits(loaded, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(pat_set_version(loaded), 3);
	assert_int_equal(pat_set_count(loaded), pat_set_count(set));
	assert_int_equal(pat_set_delta_count(loaded), 1);
	assert_non_null(pat_set_scratch(loaded, 1));
	pat_set_free(loaded);
	pat_set_free(set);
}

/* Overwrites one byte of the saved file at offset (from the end if < 0). */
static void
damage(long offset, uint8_t byte)
{
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	assert_int_equal(fseek(f, offset, offset < 0 ? SEEK_END : SEEK_SET), 0);
	assert_int_equal(fputc(byte, f), byte);
	fclose(f);
}

static void
expect_refused(const char *reason)
{
	struct error_detail err = { 0 };

	assert_null(pat_set_load(path, 1, &err));
	if (strstr(err.message, reason) == NULL)
		fail_msg("expected '%s', got '%s'", reason, err.message);
	assert_string_equal(err.where, path);
}

static void
test_damaged_files_refused(void **state)
{
	(void)state;
	struct pat_set *set = sample_set();
	struct error_detail err = { 0 };

	assert_int_equal(pat_set_save(set, path, &err), 0);
	damage(-10, 0x5a);
	expect_refused("checksum mismatch");

	assert_int_equal(pat_set_save(set, path, &err), 0);
	damage(0, 'X');
	expect_refused("not an iocsift pattern set");

	assert_int_equal(pat_set_save(set, path, &err), 0);
	damage(8, 99);      /* format version */
	expect_refused("another format version");

	assert_int_equal(pat_set_save(set, path, &err), 0);
	assert_int_equal(truncate(path, 200), 0);
	expect_refused("truncated");

	assert_null(pat_set_load("/nonexistent/x.db", 1, &err));
	assert_int_equal(errno, ENOENT);
	pat_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged_files_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
