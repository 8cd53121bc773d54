/* fuzz_token_keys.c -- libFuzzer target of the token keys' promise
 * (patterns/token_keys.h): the fuzzer's bytes are matched as text, as a
 * DNS name and (their first 4 or 16 bytes) as an answer's address against
 * a fixed set of one indicator of each type and form; any hit whose
 * indicator key is not among the input's keys is a crash. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "pattern_set.h"
#include "token_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795651200

static const char feed_csv[] =
	"type,value\n"
	"domain,evil.com\n"
	"domain,a-b.x_y.example\n"
	"ipv4,10.1.2.3\n"
	"ipv4,192.168.0.0/20\n"
	"ipv4,172.16.0.0/12\n"
	"ipv6,2001:db8::1\n"
	"ipv6,2001:db8:ff00::/40\n"
	"ipv6,::ffff:10.1.2.3\n"
	"md5,0123456789abcdef0123456789abcdef\n"
	"sha1,a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n"
	"sha256,aa124a4b4df12b34e74ee7f6c683b2ebec4ce9a8edcf9be345823b4fdcf5d868\n"
	"filename,3CXDesktopApp.exe\n"
	"filename,a.\n"
	"filename,libssl.so.3\n"
	"url,raw.githubusercontent.com/IconStorages/images/\n"
	"url,example.org:8443/dl/payload\n"
	"regex,evil[0-9]+\n";

static struct pat_set *
fixed_set(void)
{
	static struct pat_set *set;
	struct pat_feed feed;
	struct error_detail err = { 0 };

	if (set != NULL)
		return set;
	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "fuzz", "fuzz", feed_csv, strlen(feed_csv),
			   PAT_FEED_CSV, &err) != 0) {
		fprintf(stderr, "feed: %s\n", err.message);
		__builtin_trap();
	}
	const struct pat_feed *feeds[] = { &feed };
	set = pat_set_build(feeds, 1, 1, 1, &err);
	pat_feed_free(&feed);
	if (set == NULL) {
		fprintf(stderr, "build: %s\n", err.message);
		__builtin_trap();
	}
	return set;
}

struct keys {
	uint64_t *keys;
	size_t n, cap;
};

static void
collect(void *ctx, uint64_t key)
{
	struct keys *k = ctx;

	if (k->n == k->cap) {
		size_t cap = k->cap != 0 ? 2 * k->cap : 256;
		uint64_t *grown = realloc(k->keys, cap * sizeof(*grown));
		if (grown == NULL)
			__builtin_trap();
		k->keys = grown;
		k->cap = cap;
	}
	k->keys[k->n++] = key;
}

/* Traps when a hit's indicator key is not among k. */
static void
check(const struct pat_set *set, const struct pat_hits *hits,
      const struct keys *k, const char *what)
{
	for (uint16_t i = 0; i < hits->count; i++) {
		const struct pat_indicator *ind = pat_set_indicator(set, hits->ids[i]);
		uint64_t key;
		bool found = false;
		if (pat_keys_indicator(ind, &key) != 1)
			continue;
		for (size_t j = 0; j < k->n && !found; j++)
			found = k->keys[j] == key;
		if (!found) {
			fprintf(stderr, "%s: %s %s hits without its key\n", what,
				pat_type_name(ind->type), ind->value);
			__builtin_trap();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pat_set *set = fixed_set();
	struct pat_scratch *scratch = pat_set_scratch(set, 0);
	static struct keys k;
	struct pat_hits hits;

	pat_hits_reset(&hits, NOW);
	k.n = 0;
	if (pat_match_text(set, scratch, data, size, &hits) != 0)
		return 0;
	if (pat_keys_text(data, size, collect, &k) != k.n)
		__builtin_trap();
	check(set, &hits, &k, "text");

	pat_hits_reset(&hits, NOW);
	k.n = 0;
	if (pat_match_dns_name(set, scratch, (const char *)data, size,
			       &hits) != 0)
		return 0;
	pat_keys_dns_name((const char *)data, size, collect, &k);
	check(set, &hits, &k, "dns name");

	for (int family = 4; family <= 6; family += 2) {
		if (size < (family == 4 ? 4u : 16u))
			break;
		pat_hits_reset(&hits, NOW);
		k.n = 0;
		pat_match_address(set, family, data, &hits);
		pat_keys_address(family, data, collect, &k);
		check(set, &hits, &k, "address");
	}
	return 0;
}
