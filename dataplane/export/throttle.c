/* throttle.c -- windows keyed by (indicator type, value, feed, source
 * address), in a chained hash table plus a FIFO in opening order: every
 * window has the same length, so the oldest closes first, on time or,
 * when a new key finds every entry open, early (evicted).
 *
 * The addresses come off the wire and can be spoofed, so the buckets are
 * chosen by SipHash-2-4 under a key drawn from getrandom() for each table:
 * without the key, a sender cannot aim its packets at one chain.
 *
 * Every window lives in an array of max_entries made with the table; a
 * closed one goes to a free list, and its strings buffer (the indicator's
 * copy) stays with it for the next window that takes it. The payload
 * buffers of windows with repeats come from a list of spares that closed
 * windows give back. So a repeat copies into buffers that exist and
 * allocates nothing: a buffer is allocated only when more windows have
 * repeats at once than ever before (at most max_entries in the table's
 * life), and strings grow only for longer ones than their entry held. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "siphash.h"
#include "throttle.h"

_Static_assert(EXP_THROTTLE_KEY_SIZE == EXP_SIPHASH_KEY_SIZE,
	       "the throttle's key is a SipHash key");

#define PAYLOAD_MAX 4096
#define STRINGS_MIN 64             /* first size of a window's strings */

/* A copy of a repeat's message, or a spare in the table's list. */
struct payload {
	struct payload *next_spare;
	uint8_t bytes[PAYLOAD_MAX];
};

struct window {
	struct window *next_in_bucket;   /* or in the free list */
	struct window *next_in_order;
	uint64_t hash;
	uint64_t opened_ns;
	/* Repeats so far, and a copy of the last one (of the first hit
	 * until a repeat comes: type, value and feed, the source address
	 * in msg, are the window's key). */
	uint32_t count;
	uint64_t first_ns, last_ns;
	uint64_t db_version;
	struct exp_message msg;
	struct pat_indicator ind;
	struct payload *payload;   /* from the first repeat on */
	/* Kept across the windows that use this entry. */
	char *strings;             /* ind's value, tags, source, feed */
	size_t strings_cap;
};

struct exp_throttle {
	uint64_t window_ns;
	uint32_t max_entries;
	uint32_t n_buckets;        /* a power of two */
	struct window **buckets;
	struct window *entries;    /* max_entries of them */
	uint32_t n_fresh;          /* entries [0, n_fresh) were ever taken */
	struct window *free_list;  /* closed ones, to take again */
	struct payload *spares;    /* given back by closed windows */
	struct window *oldest, *newest;
	uint8_t key[EXP_SIPHASH_KEY_SIZE];
	exp_throttle_emit_fn emit;
	void *ctx;
	struct exp_throttle_stats stats;
};

static size_t
addr_len(const struct exp_message *msg)
{
	return msg->ip_version == 6 ? 16 : msg->ip_version == 4 ? 4 : 0;
}

/* The hash of the key: type, value, feed, address; strings with their
 * NUL, so that ("ab", "c") and ("a", "bc") differ. */
static uint64_t
key_hash(const struct exp_throttle *t, const struct exp_message *msg,
	 const struct pat_indicator *ind)
{
	struct exp_siphash h;
	uint8_t type = (uint8_t)ind->type, version = msg->ip_version;

	exp_siphash_init(&h, t->key);
	exp_siphash_update(&h, &type, 1);
	exp_siphash_update(&h, ind->value, strlen(ind->value) + 1);
	exp_siphash_update(&h, ind->feed, strlen(ind->feed) + 1);
	exp_siphash_update(&h, &version, 1);
	exp_siphash_update(&h, msg->src_addr, addr_len(msg));
	return exp_siphash_final(&h);
}

static bool
key_equal(const struct window *w, uint64_t hash, const struct exp_message *msg,
	  const struct pat_indicator *ind)
{
	return w->hash == hash && w->ind.type == ind->type &&
	       w->msg.ip_version == msg->ip_version &&
	       memcmp(w->msg.src_addr, msg->src_addr, addr_len(msg)) == 0 &&
	       strcmp(w->ind.value, ind->value) == 0 &&
	       strcmp(w->ind.feed, ind->feed) == 0;
}

struct exp_throttle *
exp_throttle_new(uint64_t window_ns, uint32_t max_entries,
		 exp_throttle_emit_fn emit, void *ctx)
{
	struct exp_throttle *t = calloc(1, sizeof(*t));
	uint32_t buckets = 64;
	size_t got = 0;

	if (t == NULL)
		return NULL;
	while (got < sizeof(t->key)) {
		ssize_t n = getrandom(t->key + got, sizeof(t->key) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(t);
			errno = e;
			return NULL;
		}
		got += (size_t)n;
	}
	while (buckets < max_entries && buckets < (1u << 24))
		buckets <<= 1;
	t->buckets = calloc(buckets, sizeof(*t->buckets));
	/* Pages of entries never taken are never touched. */
	t->entries = calloc(max_entries > 0 ? max_entries : 1,
			    sizeof(*t->entries));
	if (t->buckets == NULL || t->entries == NULL) {
		free(t->buckets);
		free(t->entries);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->n_buckets = buckets;
	t->window_ns = window_ns;
	t->max_entries = max_entries;
	t->emit = emit;
	t->ctx = ctx;
	return t;
}

void
exp_throttle_key(const struct exp_throttle *t,
		 uint8_t key[EXP_THROTTLE_KEY_SIZE])
{
	memcpy(key, t->key, sizeof(t->key));
}

/* Copies ind's strings into w's buffer, growing it only when they do
 * not fit. 0 or -ENOMEM (w unchanged). */
static int
window_set_indicator(struct window *w, const struct pat_indicator *ind)
{
	size_t lens[4] = { strlen(ind->value) + 1, strlen(ind->tags) + 1,
			   strlen(ind->source) + 1, strlen(ind->feed) + 1 };
	size_t need = lens[0] + lens[1] + lens[2] + lens[3];

	if (need > w->strings_cap) {
		size_t cap = w->strings_cap > 0 ? w->strings_cap : STRINGS_MIN;
		while (cap < need)
			cap *= 2;
		char *strings = realloc(w->strings, cap);
		if (strings == NULL)
			return -ENOMEM;
		w->strings = strings;
		w->strings_cap = cap;
	}
	char *p = w->strings;
	w->ind = *ind;
	w->ind.value = memcpy(p, ind->value, lens[0]);
	w->ind.tags = memcpy(p + lens[0], ind->tags, lens[1]);
	w->ind.source = memcpy(p + lens[0] + lens[1], ind->source, lens[2]);
	w->ind.feed = memcpy(p + lens[0] + lens[1] + lens[2], ind->feed,
			     lens[3]);
	return 0;
}

/* Keeps the last repeat: its message (payload copied) and indicator. */
static int
window_record(struct exp_throttle *t, struct window *w,
	      const struct exp_message *msg,
	      const struct pat_indicator *ind, uint64_t db_version)
{
	size_t payload_len = msg->payload_len < PAYLOAD_MAX ?
		msg->payload_len : PAYLOAD_MAX;

	if (w->payload == NULL) {
		w->payload = t->spares;
		if (w->payload != NULL)
			t->spares = w->payload->next_spare;
		else if ((w->payload = malloc(sizeof(*w->payload))) == NULL)
			return -ENOMEM;
	}
	if (window_set_indicator(w, ind) != 0)
		return -ENOMEM;
	w->msg = *msg;
	memcpy(w->payload->bytes, msg->payload, payload_len);
	w->msg.payload = w->payload->bytes;
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

/* Closes the oldest window: its summary if it had repeats. Its entry
 * goes to the free list with its strings, its payload to the spares. */
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
	if (w->payload != NULL) {
		w->payload->next_spare = t->spares;
		t->spares = w->payload;
		w->payload = NULL;
	}
	w->next_in_bucket = t->free_list;
	t->free_list = w;
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

/* An entry for a new window: a closed one, else one never taken; NULL
 * when all max_entries hold open windows. */
static struct window *
window_take(struct exp_throttle *t)
{
	struct window *w = t->free_list;

	if (w != NULL) {
		t->free_list = w->next_in_bucket;
		return w;
	}
	if (t->n_fresh < t->max_entries)
		return &t->entries[t->n_fresh++];
	return NULL;
}

bool
exp_throttle_hit(struct exp_throttle *t, const struct exp_message *msg,
		 const struct pat_indicator *ind, uint64_t db_version,
		 uint64_t now_ns)
{
	uint64_t hash = key_hash(t, msg, ind);
	struct window *w;

	exp_throttle_expire(t, now_ns);
	for (w = t->buckets[hash & (t->n_buckets - 1)]; w != NULL;
	     w = w->next_in_bucket)
		if (key_equal(w, hash, msg, ind))
			break;
	if (w != NULL) {
		if (window_record(t, w, msg, ind, db_version) != 0) {
			t->stats.untracked++;
			return true;
		}
		t->stats.suppressed++;
		return false;
	}
	/* The first hit: sent now, and a window opens behind it. With
	 * every entry open, the oldest window closes early (its summary
	 * goes now): a flood of new keys costs the windows closest to
	 * their end, never the table's bound. */
	w = window_take(t);
	if (w == NULL && t->oldest != NULL) {
		window_close_oldest(t);
		t->stats.evicted++;
		w = window_take(t);
	}
	if (w == NULL) {
		t->stats.untracked++;
		return true;
	}
	if (window_set_indicator(w, ind) != 0) {
		w->next_in_bucket = t->free_list;
		t->free_list = w;
		t->stats.untracked++;
		return true;
	}
	/* The key's address; the rest of msg is set by the first repeat. */
	w->msg = (struct exp_message){ .ip_version = msg->ip_version };
	memcpy(w->msg.src_addr, msg->src_addr, addr_len(msg));
	w->count = 0;
	w->hash = hash;
	w->opened_ns = now_ns;
	w->next_in_order = NULL;
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
	st->entries = t->n_fresh;
}

void
exp_throttle_free(struct exp_throttle *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->n_fresh; i++) {
		free(t->entries[i].payload);
		free(t->entries[i].strings);
	}
	while (t->spares != NULL) {
		struct payload *p = t->spares;
		t->spares = p->next_spare;
		free(p);
	}
	free(t->entries);
	free(t->buckets);
	free(t);
}
