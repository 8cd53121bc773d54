/* tcp_stream.c -- per segment: sequence tracking, out-of-order buffer, framing and delivery of the TCP stream reassembler. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tcp_stream_internal.h"

static uint64_t
elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

enum close_reason {
	CLOSE_FIN,
	CLOSE_RST,
	CLOSE_REUSED,        /* a SYN with another ISN: a new connection */
	CLOSE_IDLE,
	CLOSE_EVICT,
};

static void
stream_touch(struct dp_stream_table *t, struct stream *s)
{
	uint32_t i = stream_index(t, s);
	struct stream_list *l = &t->lru[s->list];

	if (l->head == i)
		return;
	stream_list_remove(t, l, STREAM_LINK_LRU, i);
	stream_list_push_head(t, l, STREAM_LINK_LRU, i);
}

static void
stream_promote(struct dp_stream_table *t, struct stream *s)
{
	uint32_t i = stream_index(t, s);

	if (s->list == STREAM_ESTABLISHED)
		return;
	stream_list_remove(t, &t->lru[STREAM_PROBATION], STREAM_LINK_LRU, i);
	s->list = STREAM_ESTABLISHED;
	stream_list_push_head(t, &t->lru[STREAM_ESTABLISHED], STREAM_LINK_LRU,
			      i);
}

/* ---- the message being framed ---- */

static void
msg_free(struct dp_stream_table *t, struct stream *s)
{
	stream_chain_free(t, s->msg_head);
	s->msg_head = STREAM_NIL;
	s->msg_tail = STREAM_NIL;
}

static int
msg_append(struct dp_stream_table *t, struct stream *s, const uint8_t *p,
	   size_t n)
{
	while (n > 0) {
		uint32_t i = s->msg_tail;

		if (i == STREAM_NIL ||
		    t->chunks[i].len == DP_STREAM_CHUNK_SIZE) {
			i = stream_chunk_alloc(t);
			if (i == STREAM_NIL)
				return -ENOBUFS;
			if (s->msg_tail == STREAM_NIL)
				s->msg_head = i;
			else
				t->chunks[s->msg_tail].next = i;
			s->msg_tail = i;
		}

		struct stream_chunk *c = &t->chunks[i];
		size_t m = DP_STREAM_CHUNK_SIZE - c->len;

		if (m > n)
			m = n;
		memcpy(c->data + c->len, p, m);
		c->len += (uint32_t)m;
		p += m;
		n -= m;
	}
	return 0;
}

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

	if (s->msg_head != STREAM_NIL) {
		len = 0;
		for (uint32_t i = s->msg_head; i != STREAM_NIL;
		     i = t->chunks[i].next) {
			memcpy(t->message + len, t->chunks[i].data,
			       t->chunks[i].len);
			len += t->chunks[i].len;
		}
		if (body_len > 0)
			memcpy(t->message + len, body, body_len);
		len += body_len;
		msg = t->message;
		msg_free(t, s);
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

		dp_framer_step(&s->framer, in, len, t->cfg.message_max,
			       &t->stats, &out);
		if (out.prefix_len > 0)
			kept = msg_append(t, s, out.prefix, out.prefix_len) == 0;
		if (kept && out.end)
			stream_deliver(t, s, in + out.body_off, out.body_len,
				       out.cut, out.strip_cr, deliver, ctx);
		else if (kept && out.body_len > 0)
			kept = msg_append(t, s, in + out.body_off,
					  out.body_len) == 0;
		if (!kept) {
			t->stats.buffer_limit_hits++;
			msg_free(t, s);
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
	while (s->ooo_head != STREAM_NIL) {
		uint32_t i = s->ooo_head;
		struct stream_chunk *c = &t->chunks[i];
		uint32_t off = s->next_seq - c->seq;

		if (seq_lt(s->next_seq, c->seq))
			break;
		s->ooo_head = c->next;
		s->ooo_chunks--;
		if (off < c->len) {
			stream_feed(t, s, c->data + off, c->len - off, deliver,
				    ctx);
			s->next_seq = c->seq + c->len;
		}
		stream_chunk_free(t, i);
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
		const struct stream_chunk *c = s->ooo_head != STREAM_NIL ?
			&t->chunks[s->ooo_head] : NULL;
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

/* Keeps the bytes of [seq, seq + len) that no chunk holds yet, filling
 * the free room of the chunk before them first. seq is past next_seq.
 * Returns 0, or -ENOBUFS when the stream's or the table's limit is
 * reached (what fitted stays). */
static int
ooo_insert(struct dp_stream_table *t, struct stream *s, uint32_t seq,
	   const uint8_t *p, uint32_t len, bool *overlap)
{
	uint32_t *link = &s->ooo_head;
	struct stream_chunk *prev = NULL;

	while (len > 0) {
		struct stream_chunk *c = *link != STREAM_NIL ?
			&t->chunks[*link] : NULL;
		uint32_t n = len;

		if (c != NULL && seq_le(c->seq + c->len, seq)) {
			prev = c;
			link = &c->next;
			continue;
		}
		if (c != NULL && seq_le(c->seq, seq)) {
			uint32_t held = c->seq + c->len - seq;

			*overlap = true;
			if (held >= len)
				return 0;
			p += held;
			seq += held;
			len -= held;
			prev = c;
			link = &c->next;
			continue;
		}
		if (c != NULL && c->seq - seq < n)
			n = c->seq - seq;
		if (prev != NULL && prev->seq + prev->len == seq &&
		    prev->len < DP_STREAM_CHUNK_SIZE) {
			uint32_t room = DP_STREAM_CHUNK_SIZE - prev->len;
			uint32_t m = n < room ? n : room;

			memcpy(prev->data + prev->len, p, m);
			prev->len += m;
			p += m;
			seq += m;
			len -= m;
			continue;
		}
		if (s->ooo_chunks >= t->ooo_chunks_max)
			return -ENOBUFS;

		uint32_t i = stream_chunk_alloc(t);

		if (i == STREAM_NIL)
			return -ENOBUFS;

		struct stream_chunk *nc = &t->chunks[i];
		uint32_t m = n < DP_STREAM_CHUNK_SIZE ? n : DP_STREAM_CHUNK_SIZE;

		memcpy(nc->data, p, m);
		nc->seq = seq;
		nc->len = m;
		nc->next = *link;
		*link = i;
		s->ooo_chunks++;
		p += m;
		seq += m;
		len -= m;
		prev = nc;
		link = &nc->next;
	}
	return 0;
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
		msg_free(t, s);
		dp_framer_resync(&s->framer);
		s->next_seq = target;
	}
	stream_drain(t, s, deliver, ctx);
}

/* Where the first hole ends: at the first buffered byte, or at the FIN. */
static uint32_t
stream_hole_end(const struct dp_stream_table *t, const struct stream *s)
{
	return s->ooo_head != STREAM_NIL ? t->chunks[s->ooo_head].seq :
		s->fin_seq;
}

static bool
stream_has_hole(const struct stream *s)
{
	return s->ooo_head != STREAM_NIL ||
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
		stream_list_remove(t, &t->wait, STREAM_LINK_WAIT, i);
		s->waiting = false;
		t->streams_waiting--;
	}
	if (hole && !s->waiting) {
		stream_list_push_head(t, &t->wait, STREAM_LINK_WAIT, i);
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
		if (ooo_insert(t, s, seq, p, len, &overlap) == 0)
			break;
		/* No room: give up the first hole (or the one before this
		 * segment) and frame what is then in order; each round
		 * moves next_seq forward, so this ends. */
		t->stats.buffer_limit_hits++;

		uint32_t target = stream_hole_end(t, s);

		if (s->ooo_head == STREAM_NIL || seq_lt(seq, target))
			target = seq;
		stream_skip_to(t, s, target, deliver, ctx);
		if (seq_le(end, s->next_seq))
			break;
	}
	if (overlap)
		t->stats.segments_overlapping++;
}

/* ---- stream life ---- */

static void
stream_close(struct dp_stream_table *t, struct stream *s,
	     enum close_reason reason, dp_stream_deliver_fn deliver, void *ctx)
{
	uint32_t i = stream_index(t, s);

	/* Data buffered beyond holes still holds whole messages. */
	while (s->ooo_head != STREAM_NIL)
		stream_skip_to(t, s, t->chunks[s->ooo_head].seq, deliver, ctx);

	/* A last LF message without its LF is delivered, as rsyslog does
	 * when a connection closes; a reset drops it. */
	switch (dp_framer_rest(&s->framer)) {
	case DP_FRAMER_REST_NONE:
		break;
	case DP_FRAMER_REST_LF:
		if (reason != CLOSE_RST) {
			stream_deliver(t, s, NULL, 0, false, true, deliver, ctx);
			break;
		}
		/* fall through */
	case DP_FRAMER_REST_PARTIAL:
		t->stats.partial_frames_dropped++;
		break;
	}
	msg_free(t, s);

	switch (reason) {
	case CLOSE_FIN:
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

	stream_bucket_remove(t, s);
	stream_list_remove(t, &t->lru[s->list], STREAM_LINK_LRU, i);
	if (s->waiting) {
		stream_list_remove(t, &t->wait, STREAM_LINK_WAIT, i);
		t->streams_waiting--;
	}
	s->hash_next = t->free_stream;
	t->free_stream = i;
	t->streams_used--;
}

/* Closes s once every byte before its FIN has been framed. */
static void
stream_try_finish(struct dp_stream_table *t, struct stream *s,
		  dp_stream_deliver_fn deliver, void *ctx)
{
	if (s->fin_seen && seq_le(s->fin_seq, s->next_seq))
		stream_close(t, s, CLOSE_FIN, deliver, ctx);
}

/* A full table makes room: the least recently used stream on probation,
 * or the least recently used one if none is. */
static struct stream *
stream_create(struct dp_stream_table *t, const struct dp_stream_key *key,
	      uint32_t hash, enum dp_stream_framing framing, bool midstream,
	      uint64_t now, dp_stream_deliver_fn deliver, void *ctx)
{
	if (t->free_stream == STREAM_NIL) {
		uint32_t victim = t->lru[STREAM_PROBATION].tail;

		if (victim == STREAM_NIL)
			victim = t->lru[STREAM_ESTABLISHED].tail;
		stream_close(t, &t->streams[victim], CLOSE_EVICT, deliver, ctx);
	}

	uint32_t i = t->free_stream;
	struct stream *s = &t->streams[i];

	t->free_stream = s->hash_next;
	t->streams_used++;
	memset(s, 0, sizeof(*s));
	s->key = *key;
	s->hash = hash;
	stream_bucket_insert(t, s);
	s->ooo_head = STREAM_NIL;
	s->msg_head = STREAM_NIL;
	s->msg_tail = STREAM_NIL;
	s->last_ns = now;
	s->framing = (uint8_t)framing;
	s->list = STREAM_PROBATION;
	dp_framer_init(&s->framer, framing, midstream);
	stream_list_push_head(t, &t->lru[STREAM_PROBATION], STREAM_LINK_LRU, i);
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
	uint32_t hash = stream_key_hash(t, key);
	struct stream *s = stream_lookup(t, key, hash);
	bool syn = (tcp_flags & DP_STREAM_TCP_SYN) != 0;

	t->stats.segments++;
	if (payload == NULL)
		len = 0;
	if (s != NULL && (tcp_flags & DP_STREAM_TCP_RST)) {
		stream_close(t, s, CLOSE_RST, deliver, ctx);
		return;
	}
	if (s != NULL && syn && !(s->syn_seen && s->isn == seq)) {
		stream_close(t, s, CLOSE_REUSED, deliver, ctx);
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
	stream_try_finish(t, s, deliver, ctx);
}

void
dp_stream_expire(struct dp_stream_table *t, uint64_t now_ns,
		 dp_stream_deliver_fn deliver, void *ctx)
{
	for (uint32_t n = 0; n < DP_STREAM_EXPIRE_BATCH &&
	     t->wait.tail != STREAM_NIL; n++) {
		struct stream *s = &t->streams[t->wait.tail];

		if (elapsed(now_ns, s->wait_since_ns) < t->cfg.gap_timeout_ns)
			break;
		stream_give_up_hole(t, s, now_ns, deliver, ctx);
		stream_try_finish(t, s, deliver, ctx);
	}
	for (int l = STREAM_PROBATION; l <= STREAM_ESTABLISHED; l++) {
		for (uint32_t n = 0; n < DP_STREAM_EXPIRE_BATCH &&
		     t->lru[l].tail != STREAM_NIL; n++) {
			struct stream *s = &t->streams[t->lru[l].tail];

			if (elapsed(now_ns, s->last_ns) < t->cfg.idle_timeout_ns)
				break;
			stream_close(t, s, CLOSE_IDLE, deliver, ctx);
		}
	}
}

