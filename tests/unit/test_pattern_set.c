/* test_pattern_set.c -- the matching semantics of DESIGN.md, row by row,
 * in both directions: what must hit and what must not. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "feed.h"
#include "pattern_set.h"

static const char feed_csv[] =
	"type,value,tags,source\n"
	"domain,evil.com,\"c2,test\",unit\n"
	"ipv4,10.1.2.3,,\n"
	"ipv4,192.168.0.0/16,,\n"
	"ipv6,2001:db8::1,,\n"
	"ipv6,2001:db8:ff00::/40,,\n"
	"md5,0123456789abcdef0123456789ABCDEF,,\n"
	"sha1,a94a8fe5ccb19ba61c4c0873d391e987982fbbd3,,\n"
	"sha256,aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868,,\n"
	"filename,3CXDesktopApp.exe,,\n"
	"url,raw.githubusercontent.com/IconStorages/images/,,\n"
	"url,https://example.org/dl/payload,,\n"
	"regex,user=ad(min|ministrator) failed,,\n";

/* A fixed "now" for expiry: 2026-11-26T00:00:00Z. */
#define NOW 1795651200

struct fixture {
	struct pat_set *set;
};

static struct pat_set *
set_from_csv(const char *const *texts, size_t n)
{
	struct pat_feed feeds[4];
	const struct pat_feed *pointers[4];
	struct error_detail err = { 0 };

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "feed%zu", i);
		pat_feed_init(&feeds[i]);
		pointers[i] = &feeds[i];
		int rc = pat_feed_parse(&feeds[i], name, name, texts[i],
					strlen(texts[i]), PAT_FEED_CSV, &err);
		if (rc != 0)
			fail_msg("%s:%u: %s", err.where, err.line, err.message);
	}
	struct pat_set *set = pat_set_build(pointers, n, 1, 7, &err);
	if (set == NULL)
		fail_msg("build: %s:%u: %s", err.where, err.line, err.message);
	for (size_t i = 0; i < n; i++)
		pat_feed_free(&feeds[i]);
	return set;
}

static int
setup(void **state)
{
	static struct fixture fx;
	const char *texts[] = { feed_csv };

	fx.set = set_from_csv(texts, 1);
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	pat_set_free(fx->set);
	return 0;
}

static struct pat_hits
text_hits(const struct pat_set *set, const char *text)
{
	struct pat_hits hits;

	pat_hits_reset(&hits, NOW);
	assert_int_equal(pat_match_text(set, pat_set_scratch(set, 0),
					(const uint8_t *)text, strlen(text),
					&hits), 0);
	return hits;
}

static struct pat_hits
dns_hits(const struct pat_set *set, const char *name)
{
	struct pat_hits hits;

	pat_hits_reset(&hits, NOW);
	assert_int_equal(pat_match_dns_name(set, pat_set_scratch(set, 0), name,
					    strlen(name), &hits), 0);
	return hits;
}

static bool
has_value(const struct pat_set *set, const struct pat_hits *hits,
	  const char *value)
{
	for (uint16_t i = 0; i < hits->count; i++)
		if (strcmp(pat_set_indicator(set, hits->ids[i])->value, value) == 0)
			return true;
	return false;
}

/* The text hits exactly the one indicator named. */
#define assert_text_hits(set, text, value) do { \
	struct pat_hits h_ = text_hits((set), (text)); \
	if (h_.count != 1 || !has_value((set), &h_, (value))) \
		fail_msg("'%s' should hit only '%s' (%u hits)", (text), \
			 (value), h_.count); \
} while (0)

#define assert_text_misses(set, text) do { \
	struct pat_hits h_ = text_hits((set), (text)); \
	if (h_.count != 0) \
		fail_msg("'%s' should hit nothing, hit '%s'", (text), \
			 pat_set_indicator((set), h_.ids[0])->value); \
} while (0)

static void
test_domain(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;

	assert_text_hits(set, "connect evil.com:443", "evil.com");
	assert_text_hits(set, "query cdn.EVIL.com from 10.9.9.9", "evil.com");
	assert_text_hits(set, "resolved evil.com. to nothing", "evil.com");
	assert_text_hits(set, "evil.com", "evil.com");
	assert_text_hits(set, "https://a.b.evil.com/x?y=1", "evil.com");
	assert_text_hits(set, "mail from bob@EVIL.COM", "evil.com");
	assert_text_misses(set, "connect notevil.com:443");
	assert_text_misses(set, "connect evil.com.au:443");
	assert_text_misses(set, "connect evil.community now");
	assert_text_misses(set, "connect evil-com.net");
	assert_text_misses(set, "token evil.com-backup");
	assert_text_misses(set, "name x_evil.com");
}

static void
test_domain_in_dns(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	struct pat_hits h;

	h = dns_hits(set, "evil.com");
	assert_int_equal(h.count, 1);
	h = dns_hits(set, "cdn.EVIL.com");
	assert_int_equal(h.count, 1);
	h = dns_hits(set, "evil.com.");
	assert_int_equal(h.count, 1);
	h = dns_hits(set, "notevil.com");
	assert_int_equal(h.count, 0);
	h = dns_hits(set, "evil.com.au");
	assert_int_equal(h.count, 0);
	h = dns_hits(set, "evil.community");
	assert_int_equal(h.count, 0);
}

static void
test_ipv4(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;

	assert_text_hits(set, "src=10.1.2.3 dst=8.8.8.8", "10.1.2.3");
	assert_text_hits(set, "from 10.1.2.3:5353", "10.1.2.3");
	assert_text_hits(set, "peer 10.1.2.3.", "10.1.2.3");
	assert_text_hits(set, "(10.1.2.3)", "10.1.2.3");
	assert_text_misses(set, "src=110.1.2.30");
	assert_text_misses(set, "src=10.1.2.34");
	assert_text_misses(set, "src=10.1.2.31");
	assert_text_misses(set, "version 10.1.2.3.4");
	assert_text_misses(set, "id a10.1.2.3");
}

static void
test_ipv4_cidr(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;

	assert_text_hits(set, "dst=192.168.44.7", "192.168.0.0/16");
	assert_text_misses(set, "dst=192.169.0.1");
}

static void
test_ipv6(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;

	assert_text_hits(set, "src=2001:db8::1 ok", "2001:db8::1");
	assert_text_hits(set, "src=2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	assert_text_hits(set, "src=2001:0db8:0000::0001 ok", "2001:db8::1");
	assert_text_hits(set, "peer [2001:db8::1]:53", "2001:db8::1");
	assert_text_hits(set, "src 2001:db8::1: refused", "2001:db8::1");
	assert_text_hits(set, "src=2001:db8:ff12::7", "2001:db8:ff00::/40");
	assert_text_misses(set, "src=2001:db8::10");
	assert_text_misses(set, "src=2001:db9::1");
	assert_text_misses(set, "at 10:00:05 mac 00:11:22:33:44:55");
}

static void
test_address_from_dns_answer(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	const uint8_t a_hit[4] = { 10, 1, 2, 3 };
	const uint8_t a_miss[4] = { 110, 1, 2, 30 };
	const uint8_t a_cidr[4] = { 192, 168, 1, 1 };
	const uint8_t aaaa_hit[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct pat_hits h;

	pat_hits_reset(&h, NOW);
	pat_match_address(set, 4, a_hit, &h);
	assert_int_equal(h.count, 1);
	pat_hits_reset(&h, NOW);
	pat_match_address(set, 4, a_miss, &h);
	assert_int_equal(h.count, 0);
	pat_hits_reset(&h, NOW);
	pat_match_address(set, 4, a_cidr, &h);
	assert_true(has_value(set, &h, "192.168.0.0/16"));
	pat_hits_reset(&h, NOW);
	pat_match_address(set, 6, aaaa_hit, &h);
	assert_true(has_value(set, &h, "2001:db8::1"));
}

/* The address that an IP or CIDR indicator hit, as the text wrote it
 * (iocsiftctl test names it); "" when pat_locate_address finds none. */
static const char *
located(const struct pat_set *set, const char *text, const char *value)
{
	static char found[64];
	struct pat_hits h = text_hits(set, text);
	size_t off, len;

	for (uint16_t i = 0; i < h.count; i++) {
		if (strcmp(pat_set_indicator(set, h.ids[i])->value, value) != 0)
			continue;
		assert_int_equal(pat_locate_address(set, pat_set_scratch(set, 0),
						    (const uint8_t *)text,
						    strlen(text), NOW, h.ids[i],
						    &off, &len), 0);
		assert_true(len < sizeof(found));
		memcpy(found, text + off, len);
		found[len] = '\0';
		return found;
	}
	return "";
}

static void
test_locate_address(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	const char *text = "src=110.1.2.30 dst=10.1.2.3.";
	size_t off, len;

	assert_string_equal(located(set, text, "10.1.2.3"), "10.1.2.3");
	assert_string_equal(located(set, "a 192.168.0.1 b 192.168.44.7",
				    "192.168.0.0/16"), "192.168.0.1");
	assert_string_equal(located(set, "peer [2001:DB8:0:0:0:0:0:1]:53",
				    "2001:db8::1"), "2001:DB8:0:0:0:0:0:1");
	assert_string_equal(located(set, "src 2001:0db8:ff12::7: refused",
				    "2001:db8:ff00::/40"), "2001:0db8:ff12::7");
	/* An address the text has only inside a longer token is none. */
	struct pat_hits h = text_hits(set, "dst=10.1.2.3");
	assert_int_equal(h.count, 1);
	assert_int_equal(pat_locate_address(set, pat_set_scratch(set, 0),
					    (const uint8_t *)"v10.1.2.3.4", 11,
					    NOW, h.ids[0], &off, &len), -ENOENT);
	assert_int_equal(pat_locate_address(set, pat_set_scratch(set, 0),
					    (const uint8_t *)text, 0, NOW,
					    h.ids[0], &off, &len), -ENOENT);
}

static void
test_digests(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	const char *md5 = "0123456789abcdef0123456789abcdef";
	const char *sha256 =
		"aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868";

	assert_text_hits(set, "md5=0123456789ABCDEF0123456789abcdef", md5);
	assert_text_hits(set, "hash:0123456789abcdef0123456789abcdef,", md5);
	assert_text_hits(set, "sha1 A94A8FE5CCB19BA61C4C0873D391E987982FBBD3",
			 "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3");
	assert_text_hits(set, "SHA256=AA124A4B4DF12B34E74EE7F6C683B2EBEC4CE9A8"
			 "EDCF9BE345823B4FDCF5D868", sha256);
	/* A longer hex run containing it, or one char more. */
	assert_text_misses(set, "x=ff0123456789abcdef0123456789abcdef");
	assert_text_misses(set, "x=0123456789abcdef0123456789abcdef0");
	assert_text_misses(set, "x=aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8"
			   "edcf9be345823b4fdcf5d86800");
	assert_text_misses(set, "x=g0123456789abcdef0123456789abcdef");
	assert_text_misses(set, "x=0123456789abcdef0123456789abcdee");
}

static void
test_filename(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	const char *name = "3CXDesktopApp.exe";

	assert_text_hits(set, "3cxdesktopapp.exe started", name);
	assert_text_hits(set, "C:\\Users\\bob\\AppData\\3CXDesktopApp.exe", name);
	assert_text_hits(set, "/opt/3cx/3CXDESKTOPAPP.EXE", name);
	assert_text_hits(set, "process 3CXDesktopApp.exe exited", name);
	assert_text_hits(set, "Image=\"3CXDesktopApp.exe\"", name);
	assert_text_hits(set, "image='3CXDesktopApp.exe'", name);
	assert_text_hits(set, "Image=3CXDesktopApp.exe", name);
	assert_text_hits(set, "ran 3CXDesktopApp.exe.", name);
	assert_text_misses(set, "not3CXDesktopApp.exe");
	assert_text_misses(set, "C:\\tmp\\my3CXDesktopApp.exe");
	assert_text_misses(set, "file 3CXDesktopApp.exe.bak");
	assert_text_misses(set, "file 3CXDesktopApp.exe_old");
}

static void
test_url(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	const char *url = "raw.githubusercontent.com/IconStorages/images/";

	assert_text_hits(set, "GET https://raw.githubusercontent.com/"
			 "IconStorages/images/main/icon12.ico 200", url);
	assert_text_hits(set, "GET http://RAW.GitHubUserContent.com/"
			 "IconStorages/images/", url);
	assert_text_hits(set, "url=raw.githubusercontent.com/IconStorages/"
			 "images/x", url);
	assert_text_hits(set, "GET example.org/dl/payload",
			 "example.org/dl/payload");
	assert_text_hits(set, "GET https://example.org/dl/payload?x=1",
			 "example.org/dl/payload");
	assert_text_hits(set, "GET https://example.org/dl/payload/more",
			 "example.org/dl/payload");
	/* The host alone or another path on it must not flood. */
	assert_text_misses(set, "GET https://raw.githubusercontent.com/");
	assert_text_misses(set, "host raw.githubusercontent.com");
	assert_text_misses(set, "GET https://raw.githubusercontent.com/"
			   "someone/else/main/x.ico");
	/* The path is compared as written. */
	assert_text_misses(set, "GET https://raw.githubusercontent.com/"
			   "iconstorages/images/main/x.ico");
	assert_text_misses(set, "GET https://notraw.githubusercontent.com/"
			   "IconStorages/images/x");
	assert_text_misses(set, "GET https://example.org/dl/payloads");
}

static void
test_regex(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	const char *regex = "user=ad(min|ministrator) failed";

	assert_text_hits(set, "<13>Mar  1 10:00:00 h sshd: user=admin failed",
			 regex);
	assert_text_hits(set, "user=administrator failed", regex);
	assert_text_misses(set, "user=adm failed");
}

static void
test_one_hit_per_indicator(void **state)
{
	const struct pat_set *set = ((struct fixture *)*state)->set;
	struct pat_hits h = text_hits(set, "evil.com a.evil.com EVIL.COM. "
				      "10.1.2.3 10.1.2.3");

	assert_int_equal(h.count, 2);
	assert_true(has_value(set, &h, "evil.com"));
	assert_true(has_value(set, &h, "10.1.2.3"));
}

static void
test_same_value_in_two_feeds(void **state)
{
	(void)state;
	const char *texts[] = {
		"domain,evil.com\n",
		"domain,evil.com\ndomain,other.net\n",
	};
	struct pat_set *set = set_from_csv(texts, 2);
	struct pat_hits h = text_hits(set, "to www.evil.com");

	assert_int_equal(h.count, 2);
	assert_string_equal(pat_set_indicator(set, h.ids[0])->feed, "feed0");
	assert_string_equal(pat_set_indicator(set, h.ids[1])->feed, "feed1");
	assert_int_equal(pat_set_version(set), 7);
	assert_int_equal(pat_set_count(set), 3);
	pat_set_free(set);
}

static void
test_empty_set(void **state)
{
	(void)state;
	const char *texts[] = { "# nothing\n" };
	struct pat_set *set = set_from_csv(texts, 1);

	assert_text_misses(set, "evil.com 10.1.2.3");
	assert_int_equal(dns_hits(set, "evil.com").count, 0);
	pat_set_free(set);
}

static void
test_bad_regex_names_line(void **state)
{
	(void)state;
	struct pat_feed feed;
	struct error_detail err = { 0 };
	const char *text = "domain,ok.com\nregex,(unclosed\n";

	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "f", "f.csv", text, strlen(text),
					PAT_FEED_CSV, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.where, "f.csv");
	pat_feed_free(&feed);
}

/* A normalized indicator of the given feed, as the control path makes it. */
static struct pat_indicator
indicator_of(struct pat_arena *arena, enum pat_type type, const char *value,
	     const char *feed)
{
	struct pat_indicator ind;
	struct error_detail err = { 0 };

	if (pat_normalize(arena, type, value, strlen(value), &ind, &err) != 0)
		fail_msg("normalize '%s': %s", value, err.message);
	ind.feed = feed;
	return ind;
}

static void
test_add_and_delete(void **state)
{
	const struct pat_set *base = ((struct fixture *)*state)->set;
	struct pat_arena *arena = pat_arena_new();
	struct error_detail err = { 0 };
	struct pat_indicator added =
		indicator_of(arena, PAT_TYPE_DOMAIN, "new-c2.example", "live");
	struct pat_indicator name =
		indicator_of(arena, PAT_TYPE_FILENAME, "Evil.DLL", "live");

	/* Added: hits in the new version, not in the old one. */
	struct pat_set *v1 = pat_set_add(base, &added, 8, &err);
	assert_non_null(v1);
	struct pat_set *v2 = pat_set_add(v1, &name, 9, &err);
	assert_non_null(v2);
	assert_int_equal(pat_set_version(v2), 9);
	assert_int_equal(pat_set_count(v2), pat_set_count(base) + 2);
	assert_int_equal(pat_set_delta_count(v2), 2);
	assert_text_hits(v2, "to a.new-c2.example", "new-c2.example");
	assert_text_hits(v2, "load C:\\x\\evil.dll now", "Evil.DLL");
	assert_text_misses(base, "to a.new-c2.example");
	assert_text_hits(v2, "connect evil.com:443", "evil.com");
	assert_null(pat_set_add(v2, &added, 10, &err));
	assert_int_equal(errno, EEXIST);

	/* Deleted from the base and from the delta. */
	struct pat_indicator base_domain =
		indicator_of(arena, PAT_TYPE_DOMAIN, "EVIL.com", "any");
	struct pat_set *v3 = pat_set_delete(v2, &base_domain, 10, &err);
	assert_non_null(v3);
	assert_text_misses(v3, "connect evil.com:443");
	assert_text_hits(v2, "connect evil.com:443", "evil.com");
	assert_int_equal(dns_hits(v3, "evil.com").count, 0);
	struct pat_indicator name_lower =
		indicator_of(arena, PAT_TYPE_FILENAME, "evil.dll", "any");
	struct pat_set *v4 = pat_set_delete(v3, &name_lower, 11, &err);
	assert_non_null(v4);
	assert_text_misses(v4, "load C:\\x\\evil.dll now");
	assert_text_hits(v4, "to a.new-c2.example", "new-c2.example");
	assert_int_equal(pat_set_count(v4), pat_set_count(base));
	assert_null(pat_set_delete(v4, &base_domain, 12, &err));
	assert_int_equal(errno, ENOENT);

	/* Compacted: the same matches from one base layer. */
	struct pat_set *v5 = pat_set_compact(v4, 12, &err);
	assert_non_null(v5);
	assert_int_equal(pat_set_delta_count(v5), 0);
	assert_int_equal(pat_set_count(v5), pat_set_count(v4));
	assert_text_misses(v5, "connect evil.com:443");
	assert_text_hits(v5, "to a.new-c2.example", "new-c2.example");
	assert_text_hits(v5, "src=10.1.2.3 dst=8.8.8.8", "10.1.2.3");

	pat_set_free(v5);
	pat_set_free(v4);
	pat_set_free(v3);
	pat_set_free(v2);
	pat_set_free(v1);
	pat_arena_free(arena);
}

/* The id of the one indicator that text hits in set. */
static uint32_t
id_hit_by(const struct pat_set *set, const char *text)
{
	struct pat_hits h = text_hits(set, text);

	assert_int_equal(h.count, 1);
	return h.ids[0];
}

/* Versions made by add and delete share their hit counters, so that an
 * update moves none; a compaction (a new base) gets them moved. */
static void
test_hit_counts_follow_versions(void **state)
{
	const struct pat_set *base = ((struct fixture *)*state)->set;
	struct pat_arena *arena = pat_arena_new();
	struct error_detail err = { 0 };
	struct pat_indicator first =
		indicator_of(arena, PAT_TYPE_DOMAIN, "first-c2.example", "live");
	struct pat_indicator second =
		indicator_of(arena, PAT_TYPE_DOMAIN, "second-c2.example", "live");
	struct pat_indicator base_address =
		indicator_of(arena, PAT_TYPE_IPV4, "10.1.2.3", "any");
	const char *evil = "connect evil.com:443";
	const char *c2 = "to first-c2.example";

	struct pat_set *v1 = pat_set_add(base, &first, 8, &err);
	assert_non_null(v1);
	uint64_t evil_before = pat_set_hit_count(v1, id_hit_by(v1, evil));
	size_t slots_left = pat_set_counter_slots_left(v1);
	pat_set_count_hit(v1, id_hit_by(v1, evil));
	pat_set_count_hit(v1, id_hit_by(v1, c2));
	pat_set_count_hit(v1, id_hit_by(v1, c2));

	/* v2 adds one indicator, v3 deletes one of the base: both see v1's
	 * counts, and counts made in v3 are seen in v1. */
	struct pat_set *v2 = pat_set_add(v1, &second, 9, &err);
	assert_non_null(v2);
	struct pat_set *v3 = pat_set_delete(v2, &base_address, 10, &err);
	assert_non_null(v3);
	assert_true(pat_set_shares_counts(v1, v3));
	assert_true(pat_set_shares_counts(v3, base));
	assert_int_equal(pat_set_hit_count(v3, id_hit_by(v3, c2)), 2);
	assert_int_equal(pat_set_hit_count(v3, id_hit_by(v3, evil)),
			 evil_before + 1);
	pat_set_count_hit(v3, id_hit_by(v3, "to second-c2.example"));
	pat_set_count_hit(v3, id_hit_by(v3, c2));
	assert_int_equal(pat_set_hit_count(v1, id_hit_by(v1, c2)), 3);
	assert_int_equal(pat_set_hit_count(v3,
		id_hit_by(v3, "to second-c2.example")), 1);
	/* The new indicator took a slot of its own, the carried one none. */
	assert_int_equal(pat_set_counter_slots_left(v3), slots_left - 1);

	/* A compaction starts at zero; the move carries the live ones. */
	struct pat_set *v4 = pat_set_compact(v3, 11, &err);
	assert_non_null(v4);
	assert_false(pat_set_shares_counts(v3, v4));
	assert_int_equal(pat_set_hit_count(v4, id_hit_by(v4, c2)), 0);
	pat_set_move_hit_counts(v4, v3);
	assert_int_equal(pat_set_hit_count(v4, id_hit_by(v4, c2)), 3);
	assert_int_equal(pat_set_hit_count(v4,
		id_hit_by(v4, "to second-c2.example")), 1);
	assert_int_equal(pat_set_hit_count(v4, id_hit_by(v4, evil)),
			 evil_before + 1);
	assert_int_equal(pat_set_hit_count(v3, id_hit_by(v3, c2)), 0);
	/* An id out of range counts nothing and reads zero. */
	pat_set_count_hit(v4, pat_set_id_limit(v4) + 5);
	assert_int_equal(pat_set_hit_count(v4, pat_set_id_limit(v4) + 5), 0);

	pat_set_free(v4);
	pat_set_free(v3);
	pat_set_free(v2);
	pat_set_free(v1);
	pat_arena_free(arena);
}

static void
test_delete_address_and_regex(void **state)
{
	const struct pat_set *base = ((struct fixture *)*state)->set;
	struct pat_arena *arena = pat_arena_new();
	struct error_detail err = { 0 };
	struct pat_indicator cidr =
		indicator_of(arena, PAT_TYPE_IPV4, "192.168.0.0/16", "x");
	struct pat_indicator regex = indicator_of(arena, PAT_TYPE_REGEX,
		"user=ad(min|ministrator) failed", "x");

	struct pat_set *v1 = pat_set_delete(base, &cidr, 8, &err);
	assert_non_null(v1);
	assert_text_misses(v1, "dst=192.168.44.7");
	assert_text_hits(v1, "src=10.1.2.3", "10.1.2.3");
	struct pat_set *v2 = pat_set_delete(v1, &regex, 9, &err);
	assert_non_null(v2);
	assert_text_misses(v2, "user=admin failed");
	pat_set_free(v2);
	pat_set_free(v1);
	pat_arena_free(arena);
}

static void
test_expiry(void **state)
{
	(void)state;
	const char *texts[] = { "domain,old.example\ndomain,new.example\n" };
	struct pat_set *base = set_from_csv(texts, 1);
	struct pat_arena *arena = pat_arena_new();
	struct error_detail err = { 0 };
	struct pat_indicator expiring =
		indicator_of(arena, PAT_TYPE_DOMAIN, "soon.example", "live");
	struct pat_hits h;

	expiring.expires = NOW + 60;
	struct pat_set *set = pat_set_add(base, &expiring, 2, &err);
	assert_non_null(set);
	const char *text = "to soon.example";
	pat_hits_reset(&h, NOW + 59);
	assert_int_equal(pat_match_text(set, pat_set_scratch(set, 0),
					(const uint8_t *)text, strlen(text), &h), 0);
	assert_int_equal(h.count, 1);
	/* At its expiry time it stops matching, without a new version. */
	pat_hits_reset(&h, NOW + 60);
	assert_int_equal(pat_match_text(set, pat_set_scratch(set, 0),
					(const uint8_t *)text, strlen(text), &h), 0);
	assert_int_equal(h.count, 0);
	pat_set_free(set);
	pat_set_free(base);
	pat_arena_free(arena);
}

/* load: a feed's indicators replace those of the feed with its name, the
 * other feeds stay, and deleted indicators stay deleted. */
static void
test_replace_feed(void **state)
{
	(void)state;
	const char *texts[] = { "domain,keep.example\n",
				"domain,old.example\nmd5,0123456789abcdef0123456789abcdef\n" };
	struct pat_set *base = set_from_csv(texts, 2);
	struct pat_arena *arena = pat_arena_new();
	struct error_detail err = { 0 };
	struct pat_feed feed;
	const char replacement[] = "domain,new.example\n";

	struct pat_indicator gone =
		indicator_of(arena, PAT_TYPE_DOMAIN, "keep.example", "x");
	struct pat_set *deleted = pat_set_delete(base, &gone, 8, &err);
	assert_non_null(deleted);
	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "feed1", "feed1.csv", replacement,
					strlen(replacement), PAT_FEED_CSV, &err), 0);
	const struct pat_feed *feeds[] = { &feed };
	struct pat_set *next = pat_set_replace_feeds(deleted, feeds, 1, 9, &err);
	pat_feed_free(&feed);   /* the set keeps copies */
	assert_non_null(next);
	assert_int_equal(pat_set_version(next), 9);
	assert_int_equal(pat_set_count(next), 1);
	assert_int_equal(pat_set_delta_count(next), 0);
	assert_text_hits(next, "to new.example", "new.example");
	assert_text_misses(next, "to old.example");
	assert_text_misses(next, "to keep.example");
	assert_text_hits(deleted, "to old.example", "old.example");

	/* Live iteration skips the deleted base indicator. */
	uint32_t live = 0;
	for (uint32_t id = 0; id < pat_set_id_limit(deleted); id++)
		if (pat_set_live_indicator(deleted, id) != NULL)
			live++;
	assert_int_equal(pat_set_id_limit(deleted), 3);
	assert_int_equal(live, pat_set_count(deleted));
	assert_null(pat_set_live_indicator(deleted, pat_set_id_limit(deleted)));

	pat_set_free(next);
	pat_set_free(deleted);
	pat_set_free(base);
	pat_arena_free(arena);
}

/* pat_set_has: a live indicator of that type and normalized value, from
 * any feed, deleted ones not; pat_set_from_indicators: a set of just
 * those, which matches them. */
static void
test_has_and_from_indicators(void **state)
{
	(void)state;
	const char *texts[] = { "domain,evil.com\nfilename,Setup.EXE\n"
				"url,example.org/a/\n" };
	struct pat_set *set = set_from_csv(texts, 1);
	const struct pat_indicator *inds[3];
	struct error_detail err = { 0 };

	for (uint32_t id = 0; id < 3; id++) {
		inds[id] = pat_set_live_indicator(set, id);
		assert_non_null(inds[id]);
		assert_true(pat_set_has(set, inds[id]));
	}
	struct pat_indicator other = *inds[0];
	other.value = "good.com";
	assert_false(pat_set_has(set, &other));
	struct pat_set *deleted = pat_set_delete(set, inds[0], 8, &err);
	assert_non_null(deleted);
	assert_false(pat_set_has(deleted, inds[0]));
	assert_true(pat_set_has(deleted, inds[1]));

	struct pat_set *small = pat_set_from_indicators(&inds[1], 2, 1, 9, &err);
	assert_non_null(small);
	assert_int_equal(pat_set_count(small), 2);
	assert_int_equal(pat_set_version(small), 9);
	struct pat_hits hits;
	pat_hits_reset(&hits, 0);
	const char *text = "ran C:\\setup.exe from http://example.org/a/b";
	assert_int_equal(pat_match_text(small, pat_set_scratch(small, 0),
					 (const uint8_t *)text, strlen(text),
					 &hits), 0);
	assert_int_equal(hits.count, 2);
	pat_set_free(small);
	pat_set_free(deleted);
	pat_set_free(set);
}

/* Text that ends at the last byte of a page followed by an unmapped
 * page, or starts at the first byte of a page after one: Hyperscan 5.4
 * reads a few bytes around its buffer (match.c, scan_needs_copy), which
 * faulted there (a crash found by fuzz_token_keys on an AVX512VBMI CPU).
 * Every length from 0 to the whole text is matched at both edges, and a
 * file name at the very end still hits. */
static void
test_text_at_page_edges(void **state)
{
	static const char feed[] =
		"type,value\n"
		"domain,evil.com\n"
		"ipv4,10.1.2.3\n"
		"ipv6,2001:db8::1\n"
		"ipv6,::ffff:10.1.2.3\n"
		"filename,3CXDesktopApp.exe\n"
		"filename,a.\n"
		"filename,libssl.so.3\n"
		"url,raw.githubusercontent.com/IconStorages/images/\n"
		"url,example.org:8443/dl/payload\n"
		"regex,evil[0-9]+\n";
	static const char crash[] =
		"[2001:db8::1]:53 2001:DB8:0:0:0:0:0:1 ::fff\0f:10.1.2.3 "
		"2001zdb8:fevil5f12::5. addr 2001:db8::1:";
	static const char tail[] = "ran C:\\3CXDesktopApp.exe";
	const char *texts[] = { feed };
	struct pat_set *set = set_from_csv(texts, 1);
	struct pat_scratch *scratch = pat_set_scratch(set, 0);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct pat_hits hits;

	(void)state;
	uint8_t *map = mmap(NULL, 3 * page, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	uint8_t *middle = map + page;
	assert_int_equal(mprotect(middle, page, PROT_READ | PROT_WRITE), 0);
	for (size_t len = 0; len <= sizeof(crash) - 1; len++) {
		uint8_t *at_end = middle + page - len;
		uint8_t *at_start = middle;
		memcpy(at_end, crash + sizeof(crash) - 1 - len, len);
		pat_hits_reset(&hits, NOW);
		assert_int_equal(pat_match_text(set, scratch, at_end, len,
						&hits), 0);
		pat_hits_reset(&hits, NOW);
		assert_int_equal(pat_match_dns_name(set, scratch,
						    (const char *)at_end, len,
						    &hits), 0);
		memcpy(at_start, crash, len);
		pat_hits_reset(&hits, NOW);
		assert_int_equal(pat_match_text(set, scratch, at_start, len,
						&hits), 0);
		pat_hits_reset(&hits, NOW);
		assert_int_equal(pat_match_dns_name(set, scratch,
						    (const char *)at_start,
						    len, &hits), 0);
	}
	size_t len = sizeof(tail) - 1;
	memcpy(middle + page - len, tail, len);
	pat_hits_reset(&hits, NOW);
	assert_int_equal(pat_match_text(set, scratch, middle + page - len, len,
					&hits), 0);
	assert_int_equal(hits.count, 1);
	assert_string_equal(pat_set_indicator(set, hits.ids[0])->value,
			    "3CXDesktopApp.exe");
	munmap(map, 3 * page);
	pat_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_has_and_from_indicators),
		cmocka_unit_test(test_domain_in_dns),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv4_cidr),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_address_from_dns_answer),
		cmocka_unit_test(test_locate_address),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_one_hit_per_indicator),
		cmocka_unit_test(test_add_and_delete),
		cmocka_unit_test(test_hit_counts_follow_versions),
		cmocka_unit_test(test_delete_address_and_regex),
	};
	const struct CMUnitTest standalone[] = {
		cmocka_unit_test(test_same_value_in_two_feeds),
		cmocka_unit_test(test_empty_set),
		cmocka_unit_test(test_bad_regex_names_line),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_replace_feed),
		cmocka_unit_test(test_text_at_page_edges),
	};

	return cmocka_run_group_tests(tests, setup, teardown) |
		cmocka_run_group_tests(standalone, NULL, NULL);
}
