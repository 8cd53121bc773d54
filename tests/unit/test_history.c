/* test_history.c -- the history's blocks, filters, segment files and the
 * hunt over them (dataplane/history/). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <zstd.h>

#include "hist_block.h"
#include "hist_bloom.h"
#include "hist_builder.h"
#include "hist_hunt.h"
#include "hist_keys.h"
#include "hist_store.h"
#include "hit.h"
#include "spool.h"

#define SECOND 1000000000ULL
#define T0 (1795687205ULL * SECOND)    /* 2026-11-26T10:00:05Z */

/* Appends a syslog record at time t to raw. */
static void
record_add(struct hist_buffer *raw, uint64_t t, enum dp_message_kind kind,
	   const void *payload, size_t len)
{
	struct hist_record_header h = {
		.time_ns = t, .payload_len = (uint16_t)len, .kind = (uint8_t)kind,
		.ip_version = 4, .l4_proto = IPPROTO_UDP, .src_port = 40005,
		.dst_port = kind == DP_MESSAGE_DNS ? 53 : 514,
		.src_addr = { 10, 0, 0, 14 }, .dst_addr = { 10, 0, 0, 2 },
	};
	assert_int_equal(hist_buffer_reserve(raw, raw->len + sizeof(h) + len), 0);
	memcpy(raw->data + raw->len, &h, sizeof(h));
	memcpy(raw->data + raw->len + sizeof(h), payload, len);
	raw->len += sizeof(h) + len;
}

/* A block of the records in raw, with a filter of keys when n_keys. */
static void
block_make(const struct hist_buffer *raw, uint32_t records, uint64_t first,
	   uint64_t last, const uint64_t *keys, size_t n_keys,
	   struct hist_buffer *out)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t size = n_keys > 0 ? hist_bloom_size(n_keys) : 0;
	uint8_t *filter = size > 0 ? calloc(1, size) : NULL;

	for (size_t i = 0; i < n_keys; i++)
		hist_bloom_add(filter, size, keys[i]);
	struct hist_block_content c = {
		.raw = raw->data, .raw_len = raw->len, .records = records,
		.first_ns = first, .last_ns = last, .filter = filter,
		.filter_len = size,
	};
	assert_int_equal(hist_block_encode(&c, cctx, 1, out), 0);
	free(filter);
	ZSTD_freeCCtx(cctx);
}

static void
test_bloom(void **state)
{
	(void)state;
	size_t size = hist_bloom_size(1000);
	uint8_t *filter = calloc(1, size);
	unsigned int false_positives = 0;

	assert_true(size >= 1000 * HIST_BLOOM_BITS_PER_KEY / 8);
	assert_int_equal(size & (size - 1), 0);
	for (uint64_t k = 1; k <= 1000; k++)
		hist_bloom_add(filter, size, k * 0x9e3779b97f4a7c15ULL);
	for (uint64_t k = 1; k <= 1000; k++)
		assert_true(hist_bloom_may_contain(filter, size,
						   k * 0x9e3779b97f4a7c15ULL));
	for (uint64_t k = 1001; k <= 101000; k++)
		false_positives += hist_bloom_may_contain(filter, size,
			k * 0x9e3779b97f4a7c15ULL);
	/* About 1 % at 10 bits a key; well under 3 %. */
	assert_true(false_positives < 3000);
	free(filter);
	assert_int_equal(hist_bloom_size(HIST_BLOOM_BYTES_MAX), 0);

	struct hist_key_set set = { 0 };
	for (int round = 0; round < 2; round++) {
		for (uint64_t k = 0; k < 5000; k++)
			assert_int_equal(hist_key_set_add(&set, k % 2500), 0);
		assert_int_equal(set.count, 2500);
		hist_key_set_clear(&set);
		assert_int_equal(set.count, 0);
	}
	hist_key_set_free(&set);
}

static void
test_block_round_trip(void **state)
{
	(void)state;
	struct hist_buffer raw = { 0 }, block = { 0 };
	const char *msg = "<14>Nov 26 10:00:05 edr01 falcon: host contacted "
		"journalide.org:443";
	uint64_t keys[] = { 11, 22, 33 };
	struct hist_block_view view;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();

	for (int i = 0; i < 100; i++)
		record_add(&raw, T0 + (uint64_t)i * SECOND, DP_MESSAGE_SYSLOG,
			   msg, strlen(msg));
	block_make(&raw, 100, T0, T0 + 99 * SECOND, keys, 3, &block);
	assert_true(block.len < raw.len);      /* compressed */
	assert_int_equal(hist_block_parse(block.data, block.len, &view), 0);
	assert_int_equal(view.size, block.len);
	assert_int_equal(view.header.records, 100);
	assert_int_equal(view.header.raw_len, raw.len);
	for (int i = 0; i < 3; i++)
		assert_true(hist_block_may_contain(&view, keys[i]));
	uint8_t *out = malloc(view.header.raw_len);
	assert_int_equal(hist_block_decompress(&view, dctx, out), 0);
	assert_memory_equal(out, raw.data, raw.len);
	size_t pos = 0;
	struct hist_record rec;
	int n = 0;
	while (hist_record_next(out, raw.len, &pos, &rec)) {
		assert_int_equal(rec.header.time_ns, T0 + (uint64_t)n * SECOND);
		assert_memory_equal(rec.payload, msg, strlen(msg));
		n++;
	}
	assert_int_equal(n, 100);
	assert_int_equal(pos, raw.len);

	/* Every prefix is a block being written, never a block. */
	for (size_t cut = 0; cut < block.len; cut += 7)
		assert_int_equal(hist_block_parse(block.data, cut, &view),
				 -EAGAIN);
	/* A flipped bit of the header or filter: its CRC says so. */
	for (size_t i = 8; i < HIST_BLOCK_HEADER_SIZE + 64; i += 5) {
		block.data[i] ^= 0x10;
		int rc = hist_block_parse(block.data, block.len, &view);
		assert_true(rc == -EINVAL || rc == -EAGAIN);
		block.data[i] ^= 0x10;
	}
	/* A filter shorter than a line, its CRC right: refused all the
	 * same (a hunt would divide by its lines). */
	{
		struct hist_block_header h;
		uint8_t copy[HIST_BLOCK_HEADER_SIZE + 32];
		memcpy(&h, block.data, sizeof(h));
		h.filter_len = 32;
		h.header_crc = 0;
		memcpy(copy, &h, sizeof(h));
		memset(copy + sizeof(h), 0xff, 32);
		h.header_crc = exp_crc32c_extend(0, copy, sizeof(copy));
		memcpy(copy, &h, sizeof(h));
		assert_int_equal(hist_block_parse(copy, sizeof(copy), &view),
				 -EINVAL);
	}
	/* One of the data: the data's CRC. */
	block.data[block.len - 3] ^= 1;
	assert_int_equal(hist_block_parse(block.data, block.len, &view), 0);
	assert_int_equal(hist_block_decompress(&view, dctx, out), -EINVAL);
	/* A record that claims more than the block has. */
	assert_false(hist_record_next(raw.data, raw.len - 1, &(size_t){
		raw.len - HIST_RECORD_HEADER_SIZE - strlen(msg) }, &rec));
	free(out);
	ZSTD_freeDCtx(dctx);
	hist_buffer_free(&raw);
	hist_buffer_free(&block);
}

static char *
temp_dir(void)
{
	char *dir = strdup("/tmp/iocsift-history-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
dir_remove(char *dir)
{
	char (*names)[HIST_SEGMENT_NAME_MAX];
	size_t n;
	char path[4200];

	if (hist_store_list(dir, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			unlink(path);
		}
		free(names);
	}
	rmdir(dir);
	free(dir);
}

/* Segments rotate by size, and go oldest first by size and by age. */
static void
test_store_rotate_expire(void **state)
{
	(void)state;
	char *dir = temp_dir();
	struct hist_store store;
	struct hist_store_config cfg = {
		.dir = dir, .max_bytes = 8ull << 20, .max_age_ns = 3600 * SECOND,
	};
	uint8_t *block = calloc(1, 300 << 10);

	assert_int_equal(hist_store_open(&store, &cfg), 0);
	assert_int_equal(store.segment_bytes, 1 << 20);
	/* 40 blocks of 300 KiB, a second apart: 12 MiB in 1 MiB segments. */
	for (uint64_t i = 0; i < 40; i++) {
		assert_int_equal(hist_store_append(&store, block, 300 << 10,
			T0 + i * SECOND, T0 + i * SECOND), 0);
		hist_store_expire(&store, T0 + i * SECOND);
	}
	assert_true(store.n_segments > 8);
	assert_true(store.total_bytes <= cfg.max_bytes);
	assert_true(store.blocks_expired > 0);
	uint64_t kept = store.n_segments;
	hist_store_close(&store);

	/* Reopened: the same segments and times, from the headers... */
	assert_int_equal(hist_store_open(&store, &cfg), 0);
	assert_int_equal(store.n_segments, kept);
	/* ...which are no blocks here (zeros): so no times, but sizes. */
	assert_true(store.total_bytes > 0);
	/* An hour later every segment is too old. */
	uint64_t gone = hist_store_expire(&store, T0 + 7200 * SECOND);
	(void)gone;
	assert_int_equal(store.n_segments, 0);
	hist_store_close(&store);
	free(block);
	dir_remove(dir);
}

struct hunt_result {
	unsigned int messages;
	uint64_t times[64];
};

static int
on_hit(void *ctx, const struct hist_record *rec, const struct pat_hits *hits)
{
	struct hunt_result *r = ctx;

	assert_true(hits->count > 0);
	if (r->messages < 64)
		r->times[r->messages] = rec->header.time_ns;
	r->messages++;
	return 0;
}

static struct pat_set *
set_of(const char *csv)
{
	struct pat_feed feed;
	const struct pat_feed *pointer = &feed;
	struct error_detail err = { 0 };

	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "hunt", "hunt.csv", csv,
					strlen(csv), PAT_FEED_CSV, &err), 0);
	struct pat_set *set = pat_set_build(&pointer, 1, 1, 9, &err);
	assert_non_null(set);
	pat_feed_free(&feed);
	return set;
}

/* Three blocks in a segment, the middle one damaged: the hunt finds the
 * hits of the other two, counts the damage and goes on; time ranges and
 * filters skip blocks. */
static void
test_hunt(void **state)
{
	(void)state;
	char *dir = temp_dir();
	struct hist_store store;
	struct hist_store_config cfg = {
		.dir = dir, .max_bytes = 1ull << 30, .max_age_ns = 0,
	};
	const char *hit = "<14>Nov 26 10:00:05 edr01 app: beacon to "
		"cdn.journalide.org";
	const char *miss = "<14>Nov 26 10:00:05 edr01 app: nothing here";
	struct hist_buffer raw = { 0 }, block = { 0 };
	uint64_t key_of_block[3] = { 101, 202, 303 };

	assert_int_equal(hist_store_open(&store, &cfg), 0);
	for (uint64_t b = 0; b < 3; b++) {
		raw.len = 0;
		uint64_t t = T0 + b * 100 * SECOND;
		record_add(&raw, t, DP_MESSAGE_SYSLOG, miss, strlen(miss));
		record_add(&raw, t + SECOND, DP_MESSAGE_SYSLOG, hit, strlen(hit));
		block_make(&raw, 2, t, t + SECOND, &key_of_block[b], 1, &block);
		if (b == 1)
			block.data[HIST_BLOCK_HEADER_SIZE + 3] ^= 0xff;
		assert_int_equal(hist_store_append(&store, block.data, block.len,
						   t, t + SECOND), 0);
	}
	hist_store_close(&store);

	struct pat_set *set = set_of("domain,journalide.org\n");
	struct hist_hunt_query q = { .set = set, .scan_all = true };
	struct hist_hunt_stats st;
	struct hunt_result r = { 0 };

	assert_int_equal(hist_hunt_run(dir, &q, on_hit, NULL, &r, &st), 0);
	assert_int_equal(r.messages, 2);
	assert_int_equal(r.times[0], T0 + SECOND);
	assert_int_equal(r.times[1], T0 + 201 * SECOND);
	assert_int_equal(st.blocks_damaged, 1);
	assert_int_equal(st.blocks_opened, 2);
	assert_int_equal(st.hits, 2);
	assert_non_null(strstr(st.first_damage, "at byte"));

	/* Since the second block: only the third. */
	memset(&r, 0, sizeof(r));
	q.since_ns = T0 + 150 * SECOND;
	assert_int_equal(hist_hunt_run(dir, &q, on_hit, NULL, &r, &st), 0);
	assert_int_equal(r.messages, 1);
	assert_int_equal(st.blocks_skipped_time, 1);

	/* A key only the first block's filter has. */
	memset(&r, 0, sizeof(r));
	q.since_ns = 0;
	q.scan_all = false;
	q.keys = &key_of_block[0];
	q.n_keys = 1;
	assert_int_equal(hist_hunt_run(dir, &q, on_hit, NULL, &r, &st), 0);
	assert_int_equal(r.messages, 1);
	assert_int_equal(r.times[0], T0 + SECOND);
	assert_int_equal(st.blocks_skipped_filter, 1);

	/* A file cut inside its last block: counted, the rest found. */
	char (*names)[HIST_SEGMENT_NAME_MAX];
	size_t n;
	char path[4200];
	assert_int_equal(hist_store_list(dir, &names, &n), 0);
	assert_int_equal(n, 1);
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size - 5), 0);
	free(names);
	memset(&r, 0, sizeof(r));
	q.scan_all = true;
	assert_int_equal(hist_hunt_run(dir, &q, on_hit, NULL, &r, &st), 0);
	assert_int_equal(r.messages, 1);
	assert_int_equal(st.blocks_cut, 1);
	/* Unless live: then it is a block being written. */
	q.live = true;
	assert_int_equal(hist_hunt_run(dir, &q, on_hit, NULL, &r, &st), 0);
	assert_int_equal(st.blocks_cut, 0);

	pat_set_free(set);
	hist_buffer_free(&raw);
	hist_buffer_free(&block);
	dir_remove(dir);
}

/* Blocks built as the writer builds them, their filters of the records'
 * real keys: a hunt for a domain and a digest opens only the block that
 * has them, finds them there, and a regex opens every block. */
static void
test_builder_filters(void **state)
{
	(void)state;
	char *dir = temp_dir();
	struct hist_store store;
	struct hist_store_config cfg = { .dir = dir, .max_bytes = 1ull << 30 };
	struct hist_builder b;
	struct hist_buffer raw = { 0 };
	const char *texts[3] = {
		"<14>Nov 26 10:00:05 edr01 app: nothing to see on host-a",
		("<14>Nov 26 10:00:05 edr01 app: beacon to CDN.Journalide.org. "
		 "hash d41d8cd98f00b204e9800998ecf8427e"),
		"<14>Nov 26 10:00:05 edr01 app: nothing to see on host-b",
	};

	assert_int_equal(hist_store_open(&store, &cfg), 0);
	assert_int_equal(hist_builder_init(&b, 1 << 20, 1), 0);
	for (uint64_t blk = 0; blk < 3; blk++) {
		for (int i = 0; i < 50; i++) {
			raw.len = 0;
			record_add(&raw, T0 + blk * 100 * SECOND + (uint64_t)i,
				   DP_MESSAGE_SYSLOG, texts[blk],
				   strlen(texts[blk]));
			struct hist_record rec;
			size_t pos = 0;
			assert_true(hist_record_next(raw.data, raw.len, &pos,
						     &rec));
			hist_builder_add(&b, raw.data, raw.len, &rec);
		}
		assert_int_equal(hist_builder_seal(&b), 0);
		assert_int_equal(hist_store_append(&store, b.encoded.data,
			b.encoded.len, b.first_ns, b.last_ns), 0);
	}
	assert_int_equal(b.unfiltered, 0);
	hist_builder_release(&b);
	hist_store_close(&store);

	const char *feeds[] = {
		"domain,journalide.org\nmd5,D41D8CD98F00B204E9800998ECF8427E\n",
		"regex,host-[ab]\n",
	};
	const unsigned int opened[] = { 1, 3 };
	const unsigned int found[] = { 50, 100 };
	for (int f = 0; f < 2; f++) {
		struct pat_set *set = set_of(feeds[f]);
		struct hist_hunt_query q = { .set = set };
		struct hist_hunt_stats st;
		struct hunt_result r = { 0 };
		uint64_t *keys;
		assert_int_equal(hist_hunt_keys(set, &keys, &q.n_keys,
						&q.scan_all), 0);
		assert_int_equal(q.scan_all, f == 1);
		q.keys = keys;
		assert_int_equal(hist_hunt_run(dir, &q, on_hit, NULL, &r, &st),
				 0);
		assert_int_equal(st.blocks_opened, opened[f]);
		assert_int_equal(st.blocks_skipped_filter, 3 - opened[f]);
		assert_int_equal(r.messages, found[f]);
		free(keys);
		pat_set_free(set);
	}
	hist_buffer_free(&raw);
	dir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bloom),
		cmocka_unit_test(test_block_round_trip),
		cmocka_unit_test(test_store_rotate_expire),
		cmocka_unit_test(test_hunt),
		cmocka_unit_test(test_builder_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
