/* throttle.c -- windows keyed by (indicator type, value, feed, source
 * address), in a chained hash table plus a FIFO in opening order: every
 * window has the same length, so the oldest closes first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

#define KEY_MAX 8192
#define PAYLOAD_MAX 4096

struct window {
	struct window *next_in_bucket;
	struct window *next_in_order;
	uint64_t hash;
	char *key;
	size_t key_len;
	uint64_t opened_ns;
	/* Repeats so far, and a copy of the last one. */
	uint32_t count;
	uint64_t first_ns, last_ns;
	uint64_t db_version;
	struct exp_message msg;
	uint8_t *payload;
	struct pat_indicator ind;
	char *strings;             /* ind's value, tags, source, feed */
};

struct exp_throttle {
	uint64_t window_ns;
	uint32_t max_entries;
	uint32_t n_buckets;        /* a power of two */
	struct window **buckets;
	struct window *oldest, *newest;
	exp_throttle_emit_fn emit;
	void *ctx;
	struct exp_throttle_stats stats;
};

static uint64_t
key_hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;   /* FNV-1a 64 */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ULL;
	return h;
}

/* type US value US feed US address: the identity of a repeat. */
static size_t
key_build(const struct exp_message *msg, const struct pat_indicator *ind,
	  char *key)
{
	int n = snprintf(key, KEY_MAX, "%s\x1f%s\x1f%s\x1f",
			 pat_type_name(ind->type), ind->value, ind->feed);
	size_t len = n < 0 ? 0 : (size_t)n < KEY_MAX ? (size_t)n : KEY_MAX - 1;
	size_t addr_len = msg->ip_version == 6 ? 16 : msg->ip_version == 4 ? 4 : 0;

	if (len + addr_len + 1 < KEY_MAX) {
		key[len++] = (char)msg->ip_version;
		memcpy(key + len, msg->src_addr, addr_len);
		len += addr_len;
	}
	return len;
}

struct exp_throttle *
exp_throttle_new(uint64_t window_ns, uint32_t max_entries,
		 exp_throttle_emit_fn emit, void *ctx)
{
	struct exp_throttle *t = calloc(1, sizeof(*t));
	uint32_t buckets = 64;

	if (t == NULL)
		return NULL;
	while (buckets < max_entries && buckets < (1u << 24))
		buckets <<= 1;
	t->buckets = calloc(buckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	t->n_buckets = buckets;
	t->window_ns = window_ns;
	t->max_entries = max_entries;
	t->emit = emit;
	t->ctx = ctx;
	return t;
}

static void
window_free(struct window *w)
{
	free(w->key);
	free(w->payload);
	free(w->strings);
	free(w);
}

/* Keeps the last repeat: its message (payload copied) and indicator. */
static int
window_record(struct window *w, const struct exp_message *msg,
	      const struct pat_indicator *ind, uint64_t db_version)
{
	size_t payload_len = msg->payload_len < PAYLOAD_MAX ?
		msg->payload_len : PAYLOAD_MAX;
	size_t lens[4] = { strlen(ind->value) + 1, strlen(ind->tags) + 1,
			   strlen(ind->source) + 1, strlen(ind->feed) + 1 };
	char *strings = malloc(lens[0] + lens[1] + lens[2] + lens[3]);

	if (w->payload == NULL)
		w->payload = malloc(PAYLOAD_MAX);
	if (strings == NULL || w->payload == NULL) {
		free(strings);
		return -ENOMEM;
	}
	free(w->strings);
	w->strings = strings;
	w->ind = *ind;
	w->ind.value = memcpy(strings, ind->value, lens[0]);
	w->ind.tags = memcpy(strings + lens[0], ind->tags, lens[1]);
	w->ind.source = memcpy(strings + lens[0] + lens[1], ind->source, lens[2]);
	w->ind.feed = memcpy(strings + lens[0] + lens[1] + lens[2], ind->feed,
			     lens[3]);
	w->msg = *msg;
	memcpy(w->payload, msg->payload, payload_len);
	w->msg.payload = w->payload;
	w->msg.payload_len = payload_len;
	w->msg.truncated = msg->truncated || payload_len < msg->payload_len;
	w->msg.file = NULL;
	w->db_version = db_version;
	if (w->count == 0)
		w->first_ns = msg->time_ns;
	w->last_ns = msg->time_ns;
	w->count++;
	return 0;
}

static void
bucket_unlink(struct exp_throttle *t, struct window *w)
{
	struct window **link = &t->buckets[w->hash & (t->n_buckets - 1)];

	while (*link != w)
		link = &(*link)->next_in_bucket;
	*link = w->next_in_bucket;
}

/* Closes the oldest window: its summary if it had repeats. */
static void
window_close_oldest(struct exp_throttle *t)
{
	struct window *w = t->oldest;

	t->oldest = w->next_in_order;
	if (t->oldest == NULL)
		t->newest = NULL;
	bucket_unlink(t, w);
	t->stats.open--;
	if (w->count > 0) {
		struct exp_throttle_summary summary = {
			.msg = &w->msg, .ind = &w->ind,
			.db_version = w->db_version, .count = w->count,
			.first_ns = w->first_ns, .last_ns = w->last_ns,
		};
		t->stats.summaries++;
		t->emit(t->ctx, &summary);
	}
	window_free(w);
}

void
exp_throttle_expire(struct exp_throttle *t, uint64_t now_ns)
{
	while (t->oldest != NULL && now_ns - t->oldest->opened_ns >= t->window_ns)
		window_close_oldest(t);
}

void
exp_throttle_flush(struct exp_throttle *t)
{
	while (t->oldest != NULL)
		window_close_oldest(t);
}

bool
exp_throttle_hit(struct exp_throttle *t, const struct exp_message *msg,
		 const struct pat_indicator *ind, uint64_t db_version,
		 uint64_t now_ns)
{
	char key[KEY_MAX];
	size_t len = key_build(msg, ind, key);
	uint64_t hash = key_hash(key, len);
	struct window *w;

	exp_throttle_expire(t, now_ns);
	for (w = t->buckets[hash & (t->n_buckets - 1)]; w != NULL;
	     w = w->next_in_bucket)
		if (w->hash == hash && w->key_len == len &&
		    memcmp(w->key, key, len) == 0)
			break;
	if (w != NULL) {
		if (window_record(w, msg, ind, db_version) != 0) {
			t->stats.untracked++;
			return true;
		}
		t->stats.suppressed++;
		return false;
	}
	/* The first hit: sent now, and a window opens behind it. */
	if (t->stats.open >= t->max_entries ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		t->stats.untracked++;
		return true;
	}
	w->key = malloc(len);
	if (w->key == NULL) {
		free(w);
		t->stats.untracked++;
		return true;
	}
	memcpy(w->key, key, len);
	w->key_len = len;
	w->hash = hash;
	w->opened_ns = now_ns;
	w->next_in_bucket = t->buckets[hash & (t->n_buckets - 1)];
	t->buckets[hash & (t->n_buckets - 1)] = w;
	if (t->newest != NULL)
		t->newest->next_in_order = w;
	else
		t->oldest = w;
	t->newest = w;
	t->stats.open++;
	return true;
}

void
exp_throttle_stats(const struct exp_throttle *t, struct exp_throttle_stats *st)
{
	*st = t->stats;
}

void
exp_throttle_free(struct exp_throttle *t)
{
	if (t == NULL)
		return;
	while (t->oldest != NULL) {
		struct window *w = t->oldest;
		t->oldest = w->next_in_order;
		window_free(w);
	}
	free(t->buckets);
	free(t);
}
