/* tcp_stream_table.c -- the TCP stream table: configuration, allocation, the flow hash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tcp_stream_internal.h"

#define STREAMS_LIMIT (1u << 24)
#define MESSAGE_LIMIT (16u << 20)

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Seeded per table, so flows that collide cannot be chosen in advance;
 * a chain is bounded by streams_max anyway. */
uint32_t
stream_key_hash(const struct dp_stream_table *t,
		const struct dp_stream_key *key)
{
	uint64_t w[4];
	uint64_t h = t->hash_seed;

	memcpy(w, key->src_addr, 16);
	memcpy(w + 2, key->dst_addr, 16);
	for (int i = 0; i < 4; i++)
		h = mix64(h ^ w[i]);
	h = mix64(h ^ ((uint64_t)key->src_port << 32 |
		       (uint64_t)key->dst_port << 16 | key->ip_version));
	return (uint32_t)h;
}

static bool
stream_key_equal(const struct dp_stream_key *a, const struct dp_stream_key *b)
{
	return a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->ip_version == b->ip_version &&
	       memcmp(a->src_addr, b->src_addr, 16) == 0 &&
	       memcmp(a->dst_addr, b->dst_addr, 16) == 0;
}

struct stream *
stream_lookup(struct dp_stream_table *t, const struct dp_stream_key *key,
	      uint32_t hash)
{
	for (uint32_t i = t->buckets[hash & t->bucket_mask]; i != STREAM_NIL;
	     i = t->streams[i].hash_next) {
		struct stream *s = &t->streams[i];

		if (s->hash == hash && stream_key_equal(&s->key, key))
			return s;
	}
	return NULL;
}

void
stream_bucket_insert(struct dp_stream_table *t, struct stream *s)
{
	uint32_t *bucket = &t->buckets[s->hash & t->bucket_mask];

	s->hash_next = *bucket;
	*bucket = stream_index(t, s);
}

void
stream_bucket_remove(struct dp_stream_table *t, struct stream *s)
{
	uint32_t *link = &t->buckets[s->hash & t->bucket_mask];
	uint32_t i = stream_index(t, s);

	while (*link != i)
		link = &t->streams[*link].hash_next;
	*link = s->hash_next;
}

void
dp_stream_config_init(struct dp_stream_config *cfg)
{
	cfg->streams_max = DP_STREAM_STREAMS_MAX_DEFAULT;
	cfg->buffer_bytes_max = DP_STREAM_BUFFER_BYTES_MAX_DEFAULT;
	cfg->stream_buffer_max = DP_STREAM_STREAM_BUFFER_MAX_DEFAULT;
	cfg->message_max = DP_STREAM_MESSAGE_MAX_DEFAULT;
	cfg->idle_timeout_ns = DP_STREAM_IDLE_TIMEOUT_NS_DEFAULT;
	cfg->gap_timeout_ns = DP_STREAM_GAP_TIMEOUT_NS_DEFAULT;
}

static bool
config_valid(const struct dp_stream_config *cfg)
{
	return cfg->streams_max > 0 && cfg->streams_max <= STREAMS_LIMIT &&
	       cfg->message_max >= DP_STREAM_MESSAGE_MIN &&
	       cfg->message_max <= MESSAGE_LIMIT &&
	       cfg->buffer_bytes_max >= DP_STREAM_CHUNK_SIZE &&
	       cfg->stream_buffer_max >= DP_STREAM_CHUNK_SIZE &&
	       cfg->idle_timeout_ns > 0 && cfg->gap_timeout_ns > 0;
}

static uint64_t
seed_make(const struct dp_stream_table *t)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mix64((uint64_t)(uintptr_t)t ^ (uint64_t)ts.tv_nsec ^
		     (uint64_t)ts.tv_sec << 32);
}

int
dp_stream_table_create(const struct dp_stream_config *cfg,
		       struct dp_stream_table **out)
{
	struct dp_stream_config defaults;
	struct dp_stream_table *t;
	uint32_t buckets = 1, chunks;

	if (cfg == NULL) {
		dp_stream_config_init(&defaults);
		cfg = &defaults;
	}
	if (!config_valid(cfg))
		return -EINVAL;
	while (buckets < cfg->streams_max)
		buckets <<= 1;
	chunks = cfg->buffer_bytes_max / DP_STREAM_CHUNK_SIZE;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->streams = calloc(cfg->streams_max, sizeof(*t->streams));
	if (t->streams == NULL)
		goto free_table;
	t->buckets = malloc((size_t)buckets * sizeof(*t->buckets));
	if (t->buckets == NULL)
		goto free_streams;
	t->chunks = malloc((size_t)chunks * sizeof(*t->chunks));
	if (t->chunks == NULL)
		goto free_buckets;
	t->message = malloc(cfg->message_max);
	if (t->message == NULL)
		goto free_chunks;

	t->cfg = *cfg;
	t->bucket_mask = buckets - 1;
	for (uint32_t i = 0; i < buckets; i++)
		t->buckets[i] = STREAM_NIL;
	for (uint32_t i = 0; i < cfg->streams_max; i++)
		t->streams[i].hash_next = i + 1 < cfg->streams_max ? i + 1 :
			STREAM_NIL;
	for (uint32_t i = 0; i < chunks; i++)
		t->chunks[i].next = i + 1 < chunks ? i + 1 : STREAM_NIL;
	t->free_stream = 0;
	t->free_chunk = 0;
	t->lru[STREAM_PROBATION] = (struct stream_list){ STREAM_NIL, STREAM_NIL };
	t->lru[STREAM_ESTABLISHED] = t->lru[STREAM_PROBATION];
	t->wait = t->lru[STREAM_PROBATION];
	t->ooo_chunks_max = cfg->stream_buffer_max / DP_STREAM_CHUNK_SIZE;
	t->hash_seed = seed_make(t);
	*out = t;
	return 0;

free_chunks:
	free(t->chunks);
free_buckets:
	free(t->buckets);
free_streams:
	free(t->streams);
free_table:
	free(t);
	return -ENOMEM;
}

void
dp_stream_table_free(struct dp_stream_table *t)
{
	if (t == NULL)
		return;
	free(t->message);
	free(t->chunks);
	free(t->buckets);
	free(t->streams);
	free(t);
}

const struct dp_stream_stats *
dp_stream_table_stats(const struct dp_stream_table *t)
{
	return &t->stats;
}

void
dp_stream_table_usage(const struct dp_stream_table *t,
		      struct dp_stream_usage *usage)
{
	usage->streams = t->streams_used;
	usage->streams_waiting = t->streams_waiting;
	usage->buffer_bytes = (uint64_t)t->chunks_used * DP_STREAM_CHUNK_SIZE;
}

