/* tcp_stream.c -- the TCP stream table: flows, sequence tracking, gaps, framing and delivery. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "stream_buffer.h"
#include "stream_framing.h"
#include "tcp_stream.h"

#define NIL UINT32_MAX
#define STREAMS_LIMIT (1u << 24)
#define MESSAGE_LIMIT (16u << 20)

/* The first message of a syslog stream may begin with the digits the
 * octet-counting detection held. */
_Static_assert(DP_STREAM_MESSAGE_MIN > DP_FRAMER_DIGITS_MAX,
	       "message_max must hold the detection's digits");

/* A stream is on one of three LRU lists: probation until it has
 * delivered a message, established after, closed once its FIN has been
 * framed. A full table evicts from them in that order (closed first), so
 * a SYN flood only churns streams that carried nothing yet (Linux
 * conntrack's early_drop spares "assured" entries the same way). */
enum stream_lru {
	STREAM_CLOSED,
	STREAM_PROBATION,
	STREAM_ESTABLISHED,
	STREAM_LRU_LISTS,
};

enum stream_link_kind {
	STREAM_LINK_LRU,           /* on t->lru[s->list], by last segment */
	STREAM_LINK_WAIT,          /* on t->wait while a hole is open */
};

enum close_reason {
	CLOSE_FIN,
	CLOSE_RST,
	CLOSE_REUSED,              /* a SYN with another ISN: new connection */
	CLOSE_IDLE,
	CLOSE_EVICT,
};

struct stream_link {
	uint32_t prev;
	uint32_t next;
};

/* Both lists run from head (newest) to tail (oldest). */
struct stream_list {
	uint32_t head;
	uint32_t tail;
};

struct stream {
	struct dp_stream_key key;
	uint32_t hash;
	uint32_t hash_next;        /* the bucket's chain, or the free list */
	struct stream_link links[2]; /* enum stream_link_kind */
	uint32_t next_seq;         /* the next byte to frame */
	uint32_t fin_seq;          /* with fin_seen: the FIN's number */
	uint32_t isn;              /* with syn_seen */
	struct dp_stream_ooo ooo;  /* bytes ahead of a hole */
	struct dp_stream_msgbuf msg; /* the message being framed, so far */
	uint64_t last_ns;          /* last segment */
	uint64_t wait_since_ns;    /* with waiting: when the hole began */
	struct dp_framer framer;
	uint8_t framing;           /* enum dp_stream_framing */
	uint8_t list;              /* enum stream_lru */
	bool syn_seen;
	bool fin_seen;
	bool waiting;
};

struct dp_stream_table {
	struct dp_stream_config cfg;
	struct dp_stream_stats stats;
	struct stream *streams;    /* streams_max entries */
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_stream;
	uint32_t streams_used;
	struct stream_list lru[STREAM_LRU_LISTS];
	struct stream_list wait;   /* streams with a hole, by wait_since_ns */
	uint32_t streams_waiting;
	uint32_t streams_lingering; /* on lru[STREAM_CLOSED] */
	struct dp_stream_pool pool;
	uint32_t ooo_chunks_max;   /* per stream, from stream_buffer_max */
	uint64_t hash_seed;
	uint8_t *message;          /* message_max bytes: a message made whole */
};

/* Sequence numbers compare in serial arithmetic (RFC 1982): they wrap. */
static bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static uint64_t
elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* ---- the lists ---- */

static struct stream_link *
link_of(struct dp_stream_table *t, uint32_t i, enum stream_link_kind which)
{
	return &t->streams[i].links[which];
}

static void
list_remove(struct dp_stream_table *t, struct stream_list *l,
	    enum stream_link_kind which, uint32_t i)
{
	struct stream_link *k = link_of(t, i, which);

	if (k->prev != NIL)
		link_of(t, k->prev, which)->next = k->next;
	else
		l->head = k->next;
	if (k->next != NIL)
		link_of(t, k->next, which)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = NIL;
	k->next = NIL;
}

static void
list_push_head(struct dp_stream_table *t, struct stream_list *l,
	       enum stream_link_kind which, uint32_t i)
{
	struct stream_link *k = link_of(t, i, which);

	k->prev = NIL;
	k->next = l->head;
	if (l->head != NIL)
		link_of(t, l->head, which)->prev = i;
	else
		l->tail = i;
	l->head = i;
}

static uint32_t
stream_index(const struct dp_stream_table *t, const struct stream *s)
{
	return (uint32_t)(s - t->streams);
}

static void
stream_touch(struct dp_stream_table *t, struct stream *s)
{
	uint32_t i = stream_index(t, s);
	struct stream_list *l = &t->lru[s->list];

	if (l->head == i)
		return;
	list_remove(t, l, STREAM_LINK_LRU, i);
	list_push_head(t, l, STREAM_LINK_LRU, i);
}

static void
stream_promote(struct dp_stream_table *t, struct stream *s)
{
	uint32_t i = stream_index(t, s);

	if (s->list == STREAM_ESTABLISHED)
		return;
	list_remove(t, &t->lru[STREAM_PROBATION], STREAM_LINK_LRU, i);
	s->list = STREAM_ESTABLISHED;
	list_push_head(t, &t->lru[STREAM_ESTABLISHED], STREAM_LINK_LRU, i);
}

/* ---- the hash ---- */

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
static uint32_t
key_hash(const struct dp_stream_table *t, const struct dp_stream_key *key)
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
key_equal(const struct dp_stream_key *a, const struct dp_stream_key *b)
{
	return a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->ip_version == b->ip_version &&
	       memcmp(a->src_addr, b->src_addr, 16) == 0 &&
	       memcmp(a->dst_addr, b->dst_addr, 16) == 0;
}

static struct stream *
stream_lookup(struct dp_stream_table *t, const struct dp_stream_key *key,
	      uint32_t hash)
{
	for (uint32_t i = t->buckets[hash & t->bucket_mask]; i != NIL;
	     i = t->streams[i].hash_next) {
		struct stream *s = &t->streams[i];

		if (s->hash == hash && key_equal(&s->key, key))
			return s;
	}
	return NULL;
}

static void
bucket_insert(struct dp_stream_table *t, struct stream *s)
{
	uint32_t *bucket = &t->buckets[s->hash & t->bucket_mask];

	s->hash_next = *bucket;
	*bucket = stream_index(t, s);
}

static void
bucket_remove(struct dp_stream_table *t, struct stream *s)
{
	uint32_t *link = &t->buckets[s->hash & t->bucket_mask];
	uint32_t i = stream_index(t, s);

	while (*link != i)
		link = &t->streams[*link].hash_next;
	*link = s->hash_next;
}

/* ---- framing and delivery ---- */

/* The message ends with body: delivered in place when nothing of it was
 * kept from earlier segments, else made contiguous in t->message. The
 * framer keeps kept + body within message_max. */
static void
stream_deliver(struct dp_stream_table *t, struct stream *s,
	       const uint8_t *body, size_t body_len, bool cut, bool strip_cr,
	       dp_stream_deliver_fn deliver, void *ctx)
{
	const uint8_t *msg = body;
	size_t len = body_len;

	if (!dp_stream_msgbuf_empty(&s->msg)) {
		len = dp_stream_msgbuf_take(&t->pool, &s->msg, t->message);
		if (body_len > 0)
			memcpy(t->message + len, body, body_len);
		len += body_len;
		msg = t->message;
	}
	if (strip_cr && len > 0 && msg[len - 1] == '\r')
		len--;
	if (len == 0)
		return;            /* an empty line */
	t->stats.messages++;
	if (cut)
		t->stats.messages_cut++;
	stream_promote(t, s);
	deliver(ctx, &s->key, (enum dp_stream_framing)s->framing, msg, len,
		cut ? DP_STREAM_MSG_CUT : 0);
}

/* Frames in-order bytes. What the pool cannot keep of a message that
 * spans segments is dropped, and the framer skips to its end. */
static void
stream_feed(struct dp_stream_table *t, struct stream *s, const uint8_t *in,
	    size_t len, dp_stream_deliver_fn deliver, void *ctx)
{
	while (len > 0) {
		struct dp_frame_out out;
		bool kept = true;

		dp_framer_step(&s->framer, in, len, t->cfg.message_max, &out);
		t->stats.bytes_skipped += out.skipped;
		t->stats.dns_zero_length += out.zero_length;
		t->stats.framing_errors += out.framing_errors;
		if (out.prefix_len > 0)
			kept = dp_stream_msgbuf_append(&t->pool, &s->msg,
						       out.prefix,
						       out.prefix_len) == 0;
		if (kept && out.end)
			stream_deliver(t, s, in + out.body_off, out.body_len,
				       out.cut, out.strip_cr, deliver, ctx);
		else if (kept && out.body_len > 0)
			kept = dp_stream_msgbuf_append(&t->pool, &s->msg,
						       in + out.body_off,
						       out.body_len) == 0;
		if (!kept) {
			t->stats.buffer_limit_hits++;
			dp_stream_msgbuf_clear(&t->pool, &s->msg);
			if (!out.end)
				dp_framer_skip_message(&s->framer);
		}
		in += out.used;
		len -= out.used;
	}
}

/* ---- sequence tracking ---- */

/* Frames the buffered chunks that next_seq has reached. */
static void
stream_drain(struct dp_stream_table *t, struct stream *s,
	     dp_stream_deliver_fn deliver, void *ctx)
{
	const struct dp_stream_chunk *c;

	while ((c = dp_stream_ooo_first(&t->pool, &s->ooo)) != NULL &&
	       seq_le(c->seq, s->next_seq)) {
		uint32_t off = s->next_seq - c->seq;

		if (off < c->len) {
			stream_feed(t, s, c->data + off, c->len - off, deliver,
				    ctx);
			s->next_seq = c->seq + c->len;
		}
		dp_stream_ooo_pop(&t->pool, &s->ooo);
	}
}

/* Payload that starts at next_seq. Bytes buffered out of order arrived
 * first and win over the payload's copy of them. Returns whether the
 * payload had any. */
static bool
stream_take(struct dp_stream_table *t, struct stream *s, const uint8_t *p,
	    uint32_t len, dp_stream_deliver_fn deliver, void *ctx)
{
	uint32_t start = s->next_seq;
	uint32_t end = start + len;
	bool covered = false;

	while (seq_lt(s->next_seq, end)) {
		const struct dp_stream_chunk *c =
			dp_stream_ooo_first(&t->pool, &s->ooo);
		uint32_t n = end - s->next_seq;

		if (c != NULL && seq_le(c->seq, s->next_seq)) {
			covered = true;
			stream_drain(t, s, deliver, ctx);
			continue;
		}
		if (c != NULL && seq_lt(c->seq, end))
			n = c->seq - s->next_seq;
		stream_feed(t, s, p + (s->next_seq - start), n, deliver, ctx);
		s->next_seq += n;
	}
	stream_drain(t, s, deliver, ctx);
	return covered;
}

/* Gives up the bytes before target: a gap. The message they belonged to
 * is lost and the framer looks for the next boundary. */
static void
stream_skip_to(struct dp_stream_table *t, struct stream *s, uint32_t target,
	       dp_stream_deliver_fn deliver, void *ctx)
{
	if (seq_lt(s->next_seq, target)) {
		t->stats.gaps++;
		t->stats.gap_bytes += target - s->next_seq;
		dp_stream_msgbuf_clear(&t->pool, &s->msg);
		dp_framer_resync(&s->framer);
		s->next_seq = target;
	}
	stream_drain(t, s, deliver, ctx);
}

/* Where the first hole ends: at the first buffered byte, or at the FIN. */
static uint32_t
stream_hole_end(const struct dp_stream_table *t, const struct stream *s)
{
	const struct dp_stream_chunk *c =
		dp_stream_ooo_first(&t->pool, &s->ooo);

	return c != NULL ? c->seq : s->fin_seq;
}

static bool
stream_has_hole(const struct stream *s)
{
	return s->ooo.chunks > 0 ||
	       (s->fin_seen && seq_lt(s->next_seq, s->fin_seq));
}

/* Keeps s on the wait list exactly while a hole holds data (or the FIN)
 * up. restart: a hole was just given up, so the next one waits a full
 * gap_timeout_ns from now. */
static void
wait_update(struct dp_stream_table *t, struct stream *s, uint64_t now,
	    bool restart)
{
	uint32_t i = stream_index(t, s);
	bool hole = stream_has_hole(s);

	if (s->waiting && (!hole || restart)) {
		list_remove(t, &t->wait, STREAM_LINK_WAIT, i);
		s->waiting = false;
		t->streams_waiting--;
	}
	if (hole && !s->waiting) {
		list_push_head(t, &t->wait, STREAM_LINK_WAIT, i);
		s->waiting = true;
		s->wait_since_ns = now;
		t->streams_waiting++;
	}
}

static void
stream_give_up_hole(struct dp_stream_table *t, struct stream *s, uint64_t now,
		    dp_stream_deliver_fn deliver, void *ctx)
{
	stream_skip_to(t, s, stream_hole_end(t, s), deliver, ctx);
	wait_update(t, s, now, true);
}

/* Payload bytes [seq, seq + len) of an existing stream. */
static void
stream_data(struct dp_stream_table *t, struct stream *s, uint32_t seq,
	    const uint8_t *p, uint32_t len, dp_stream_deliver_fn deliver,
	    void *ctx)
{
	uint32_t end = seq + len;
	bool overlap = false;

	if (s->fin_seen && seq_lt(s->fin_seq, end)) {
		if (seq_le(s->fin_seq, seq))
			return;    /* past the FIN: nothing there */
		end = s->fin_seq;
		len = end - seq;
	}
	if (seq_le(end, s->next_seq)) {
		t->stats.segments_retransmitted++;
		return;
	}
	if (seq_lt(seq, s->next_seq))
		overlap = true;
	else if (seq_lt(s->next_seq, seq))
		t->stats.segments_out_of_order++;
	for (;;) {
		if (seq_lt(seq, s->next_seq)) {
			uint32_t old = s->next_seq - seq;

			p += old;
			seq += old;
			len -= old;
		}
		if (seq == s->next_seq) {
			if (stream_take(t, s, p, len, deliver, ctx))
				overlap = true;
			break;
		}
		if (dp_stream_ooo_insert(&t->pool, &s->ooo, t->ooo_chunks_max,
					 seq, p, len, &overlap) == 0)
			break;
		/* No room: give up the first hole (or the one before this
		 * segment) and frame what is then in order; each round
		 * moves next_seq forward, so this ends. */
		t->stats.buffer_limit_hits++;

		uint32_t target = stream_hole_end(t, s);

		if (s->ooo.chunks == 0 || seq_lt(seq, target))
			target = seq;
		stream_skip_to(t, s, target, deliver, ctx);
		/* Not reached while what did not fit is still missing;
		 * it keeps len from wrapping all the same. */
		if (seq_le(end, s->next_seq))
			break;
	}
	if (overlap)
		t->stats.segments_overlapping++;
}

/* ---- stream life ---- */

/* Unlinks s and gives its entry back. */
static void
stream_free(struct dp_stream_table *t, struct stream *s)
{
	uint32_t i = stream_index(t, s);

	bucket_remove(t, s);
	list_remove(t, &t->lru[s->list], STREAM_LINK_LRU, i);
	if (s->list == STREAM_CLOSED)
		t->streams_lingering--;
	if (s->waiting) {
		list_remove(t, &t->wait, STREAM_LINK_WAIT, i);
		t->streams_waiting--;
	}
	s->hash_next = t->free_stream;
	t->free_stream = i;
	t->streams_used--;
}

/* After its FIN a stream lingers, holding no bytes, for idle_timeout_ns
 * (Linux keeps TIME_WAIT 60 s): the sender retransmits its last segment
 * when the ACK of the FIN is lost, and the copy must not be picked up
 * as a new stream that would deliver the last messages again. */
static void
stream_linger(struct dp_stream_table *t, struct stream *s, uint64_t now)
{
	uint32_t i = stream_index(t, s);

	list_remove(t, &t->lru[s->list], STREAM_LINK_LRU, i);
	s->list = STREAM_CLOSED;
	list_push_head(t, &t->lru[STREAM_CLOSED], STREAM_LINK_LRU, i);
	s->last_ns = now;
	t->streams_lingering++;
	if (s->waiting) {
		list_remove(t, &t->wait, STREAM_LINK_WAIT, i);
		s->waiting = false;
		t->streams_waiting--;
	}
}

static void
stream_close(struct dp_stream_table *t, struct stream *s,
	     enum close_reason reason, uint64_t now,
	     dp_stream_deliver_fn deliver, void *ctx)
{
	const struct dp_stream_chunk *c;

	/* Data buffered beyond holes still holds whole messages. */
	while ((c = dp_stream_ooo_first(&t->pool, &s->ooo)) != NULL)
		stream_skip_to(t, s, c->seq, deliver, ctx);

	/* A last LF message without its LF is delivered, as rsyslog does
	 * when a connection closes; a reset drops it. */
	switch (dp_framer_rest(&s->framer)) {
	case DP_FRAMER_REST_NONE:
		break;
	case DP_FRAMER_REST_LF:
		if (reason != CLOSE_RST) {
			stream_deliver(t, s, NULL, 0, false, true, deliver,
				       ctx);
			break;
		}
		/* fall through */
	case DP_FRAMER_REST_PARTIAL:
		t->stats.partial_frames_dropped++;
		break;
	}
	dp_stream_msgbuf_clear(&t->pool, &s->msg);

	switch (reason) {
	case CLOSE_FIN:
		t->stats.streams_closed++;
		stream_linger(t, s, now);
		return;
	case CLOSE_RST:
	case CLOSE_REUSED:
		t->stats.streams_closed++;
		break;
	case CLOSE_IDLE:
		t->stats.streams_expired++;
		break;
	case CLOSE_EVICT:
		t->stats.streams_evicted++;
		break;
	}
	stream_free(t, s);
}

/* Closes s once every byte before its FIN has been framed. */
static void
stream_try_finish(struct dp_stream_table *t, struct stream *s, uint64_t now,
		  dp_stream_deliver_fn deliver, void *ctx)
{
	if (s->fin_seen && seq_le(s->fin_seq, s->next_seq))
		stream_close(t, s, CLOSE_FIN, now, deliver, ctx);
}

/* A full table makes room: the least recently used closed stream, else
 * the one on probation, else the established one. */
static struct stream *
stream_create(struct dp_stream_table *t, const struct dp_stream_key *key,
	      uint32_t hash, enum dp_stream_framing framing, bool midstream,
	      uint64_t now, dp_stream_deliver_fn deliver, void *ctx)
{
	if (t->free_stream == NIL) {
		int l = STREAM_CLOSED;

		while (t->lru[l].tail == NIL)
			l++;

		struct stream *victim = &t->streams[t->lru[l].tail];

		if (l == STREAM_CLOSED)
			stream_free(t, victim);
		else
			stream_close(t, victim, CLOSE_EVICT, now, deliver, ctx);
	}

	uint32_t i = t->free_stream;
	struct stream *s = &t->streams[i];

	t->free_stream = s->hash_next;
	t->streams_used++;
	memset(s, 0, sizeof(*s));
	s->key = *key;
	s->hash = hash;
	bucket_insert(t, s);
	dp_stream_ooo_init(&s->ooo);
	dp_stream_msgbuf_init(&s->msg);
	s->last_ns = now;
	s->framing = (uint8_t)framing;
	s->list = STREAM_PROBATION;
	dp_framer_init(&s->framer, framing == DP_STREAM_DNS, midstream);
	list_push_head(t, &t->lru[STREAM_PROBATION], STREAM_LINK_LRU, i);
	t->stats.streams_created++;
	if (midstream)
		t->stats.streams_midstream++;
	return s;
}

void
dp_stream_segment(struct dp_stream_table *t, const struct dp_stream_key *key,
		  enum dp_stream_framing framing, uint32_t seq,
		  uint8_t tcp_flags, const uint8_t *payload, uint32_t len,
		  uint64_t now_ns, dp_stream_deliver_fn deliver, void *ctx)
{
	uint32_t hash = key_hash(t, key);
	struct stream *s = stream_lookup(t, key, hash);
	bool syn = (tcp_flags & DP_STREAM_TCP_SYN) != 0;

	t->stats.segments++;
	if (payload == NULL)
		len = 0;
	/* A SYN with another ISN opens a new connection on the same ports. */
	bool reused = s != NULL && syn && !(s->syn_seen && s->isn == seq);

	if (s != NULL && s->list == STREAM_CLOSED) {
		if (reused || (tcp_flags & DP_STREAM_TCP_RST)) {
			stream_free(t, s);
			s = NULL;
		} else {
			if (len > 0)
				t->stats.segments_retransmitted++;
			return;
		}
	} else if (s != NULL && (tcp_flags & DP_STREAM_TCP_RST)) {
		stream_close(t, s, CLOSE_RST, now_ns, deliver, ctx);
		return;
	} else if (reused) {
		stream_close(t, s, CLOSE_REUSED, now_ns, deliver, ctx);
		s = NULL;
	}
	if (s == NULL) {
		/* Nothing to follow in a reset, or an ACK or FIN alone. */
		if ((tcp_flags & DP_STREAM_TCP_RST) || (!syn && len == 0))
			return;
		s = stream_create(t, key, hash, framing, !syn, now_ns, deliver,
				  ctx);
		s->syn_seen = syn;
		s->isn = seq;
		s->next_seq = syn ? seq + 1 : seq;
	}
	s->last_ns = now_ns;
	stream_touch(t, s);

	uint32_t data_seq = syn ? seq + 1 : seq;   /* a SYN takes one number */

	if ((tcp_flags & DP_STREAM_TCP_FIN) && !s->fin_seen) {
		s->fin_seen = true;
		s->fin_seq = data_seq + len;
	}
	if (len > 0)
		stream_data(t, s, data_seq, payload, len, deliver, ctx);
	wait_update(t, s, now_ns, false);
	if (s->waiting &&
	    elapsed(now_ns, s->wait_since_ns) >= t->cfg.gap_timeout_ns)
		stream_give_up_hole(t, s, now_ns, deliver, ctx);
	stream_try_finish(t, s, now_ns, deliver, ctx);
}

void
dp_stream_expire(struct dp_stream_table *t, uint64_t now_ns,
		 dp_stream_deliver_fn deliver, void *ctx)
{
	for (uint32_t n = 0; n < DP_STREAM_EXPIRE_BATCH &&
	     t->wait.tail != NIL; n++) {
		struct stream *s = &t->streams[t->wait.tail];

		if (elapsed(now_ns, s->wait_since_ns) < t->cfg.gap_timeout_ns)
			break;
		stream_give_up_hole(t, s, now_ns, deliver, ctx);
		stream_try_finish(t, s, now_ns, deliver, ctx);
	}
	for (int l = 0; l < STREAM_LRU_LISTS; l++) {
		for (uint32_t n = 0; n < DP_STREAM_EXPIRE_BATCH &&
		     t->lru[l].tail != NIL; n++) {
			struct stream *s = &t->streams[t->lru[l].tail];

			if (elapsed(now_ns, s->last_ns) <
			    t->cfg.idle_timeout_ns)
				break;
			if (l == STREAM_CLOSED)
				stream_free(t, s);
			else
				stream_close(t, s, CLOSE_IDLE, now_ns, deliver,
					     ctx);
		}
	}
}

/* ---- the table ---- */

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
	uint32_t buckets = 1;
	int rc = -ENOMEM;

	if (cfg == NULL) {
		dp_stream_config_init(&defaults);
		cfg = &defaults;
	}
	if (!config_valid(cfg))
		return -EINVAL;
	while (buckets < cfg->streams_max)
		buckets <<= 1;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->streams = calloc(cfg->streams_max, sizeof(*t->streams));
	if (t->streams == NULL)
		goto free_table;
	t->buckets = malloc((size_t)buckets * sizeof(*t->buckets));
	if (t->buckets == NULL)
		goto free_streams;
	t->message = malloc(cfg->message_max);
	if (t->message == NULL)
		goto free_buckets;
	rc = dp_stream_pool_init(&t->pool,
				 cfg->buffer_bytes_max / DP_STREAM_CHUNK_SIZE);
	if (rc != 0)
		goto free_message;

	t->cfg = *cfg;
	t->bucket_mask = buckets - 1;
	for (uint32_t i = 0; i < buckets; i++)
		t->buckets[i] = NIL;
	for (uint32_t i = 0; i < cfg->streams_max; i++)
		t->streams[i].hash_next =
			i + 1 < cfg->streams_max ? i + 1 : NIL;
	t->free_stream = 0;
	for (int l = 0; l < STREAM_LRU_LISTS; l++)
		t->lru[l] = (struct stream_list){ NIL, NIL };
	t->wait = (struct stream_list){ NIL, NIL };
	t->ooo_chunks_max = cfg->stream_buffer_max / DP_STREAM_CHUNK_SIZE;
	t->hash_seed = seed_make(t);
	*out = t;
	return 0;

free_message:
	free(t->message);
free_buckets:
	free(t->buckets);
free_streams:
	free(t->streams);
free_table:
	free(t);
	return rc;
}

void
dp_stream_table_free(struct dp_stream_table *t)
{
	if (t == NULL)
		return;
	dp_stream_pool_fini(&t->pool);
	free(t->message);
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
	usage->streams_lingering = t->streams_lingering;
	usage->buffer_bytes = (uint64_t)t->pool.used * DP_STREAM_CHUNK_SIZE;
}

