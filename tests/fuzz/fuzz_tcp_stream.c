/* fuzz_tcp_stream.c -- libFuzzer target for the TCP stream reassembler: segment operations, and one stream cut two ways. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input (tests/fuzz/gen_tcp_stream_corpus.py writes it):
 *   header   mode (bit 0: split), message_max (u16 BE, from
 *            DP_STREAM_MESSAGE_MIN up), initial sequence number (u32 BE)
 * then, in the ops mode, operations on a table of 4 streams, 8 chunks
 * and 2 chunks per stream, over 8 flows, so eviction, buffer limits and
 * gaps all come up:
 *   op       flow (bits 0-2), DNS framing (bit 3), fill (bit 6),
 *            expire (bit 7); TCP flags; sequence delta (s16 BE) from the
 *            flow's next expected byte; payload length; time step (ms);
 *            the payload, or with fill one byte that the payload repeats
 *            64 times the length (long messages, several chunks)
 * or, in the split mode, one stream sent whole and sent in pieces:
 *   options  DNS (bit 0), midstream (bit 1), FIN (bit 2), pieces sent
 *            in swapped pairs (bit 3), every other piece sent twice
 *            (bit 4); cut count (0-15); the cuts (u16 BE offsets); the
 *            stream's bytes
 * The two must deliver the same messages unless a buffer limit was hit:
 * where segments end never changes what is delivered. */
#define FLOWS 8
#define HEADER_LEN 7
#define CUTS_MAX 15
#define CAPTURE_MSGS 8192
#define CAPTURE_BYTES 65536
#define OP_LEN 6
#define MS 1000000ull
#define FILL_FACTOR 64

static uint8_t fill_buf[255 * FILL_FACTOR];

/* The messages of a split-mode run, in order. */
struct capture {
	uint32_t count;
	uint32_t bytes;
	bool overflow;
	uint32_t lens[CAPTURE_MSGS];
	uint8_t flags[CAPTURE_MSGS];
	uint8_t data[CAPTURE_BYTES];
};

struct run {
	struct dp_stream_config cfg;
	uint64_t delivered;
	struct capture *capture;   /* or NULL */
};

static struct capture captures[2];

static volatile uint8_t sink;

static void
on_message(void *ctx, const struct dp_stream_key *key,
	   enum dp_stream_framing framing, const uint8_t *msg, size_t len,
	   unsigned int flags)
{
	struct run *run = ctx;

	if (len == 0 || len > run->cfg.message_max)
		__builtin_trap();
	if (framing != DP_STREAM_SYSLOG && framing != DP_STREAM_DNS)
		__builtin_trap();
	if ((flags & ~DP_STREAM_MSG_CUT) != 0 ||
	    ((flags & DP_STREAM_MSG_CUT) && len != run->cfg.message_max))
		__builtin_trap();
	if (key->ip_version != 4 || key->src_port >= FLOWS + 1)
		__builtin_trap();
	/* Every byte must be readable: ASan checks. */
	for (size_t i = 0; i < len; i++)
		sink ^= msg[i];
	run->delivered++;

	struct capture *c = run->capture;

	if (c == NULL)
		return;
	if (c->count == CAPTURE_MSGS || len > CAPTURE_BYTES - c->bytes) {
		c->overflow = true;
		return;
	}
	c->lens[c->count] = (uint32_t)len;
	c->flags[c->count++] = (uint8_t)flags;
	memcpy(c->data + c->bytes, msg, len);
	c->bytes += (uint32_t)len;
}

static void
check_bounds(const struct dp_stream_table *t, const struct run *run)
{
	struct dp_stream_usage u;

	dp_stream_table_usage(t, &u);
	if (u.buffer_bytes > run->cfg.buffer_bytes_max ||
	    u.streams > run->cfg.streams_max ||
	    u.streams_waiting + u.streams_lingering > u.streams)
		__builtin_trap();
	if (dp_stream_table_stats(t)->messages != run->delivered)
		__builtin_trap();
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static struct dp_stream_table *
table_new(const uint8_t *header, struct run *run)
{
	struct dp_stream_table *t;

	dp_stream_config_init(&run->cfg);
	run->cfg.streams_max = 4;
	run->cfg.buffer_bytes_max = 8 * DP_STREAM_CHUNK_SIZE;
	run->cfg.stream_buffer_max = 2 * DP_STREAM_CHUNK_SIZE;
	run->cfg.message_max = DP_STREAM_MESSAGE_MIN +
		((uint32_t)header[1] << 8 | header[2]) % 8192;
	run->cfg.gap_timeout_ns = 1000 * MS;
	run->cfg.idle_timeout_ns = 10000 * MS;
	if (dp_stream_table_create(&run->cfg, &t) != 0)
		__builtin_trap();
	return t;
}

/* Everything left goes at the end: nothing may stay behind. A stream
 * that the first expiry closes (its FIN was behind a hole) lingers until
 * the second. */
static void
table_drop(struct dp_stream_table *t, struct run *run, uint64_t now)
{
	struct dp_stream_usage u;
	uint64_t later = now + run->cfg.idle_timeout_ns +
		run->cfg.gap_timeout_ns;

	dp_stream_expire(t, later, on_message, run);
	dp_stream_expire(t, later + run->cfg.idle_timeout_ns, on_message, run);
	dp_stream_table_usage(t, &u);
	if (u.streams != 0 || u.streams_waiting != 0 ||
	    u.streams_lingering != 0 || u.buffer_bytes != 0)
		__builtin_trap();
	check_bounds(t, run);
	dp_stream_table_free(t);
}

static struct dp_stream_key
flow_key(uint32_t flow, enum dp_stream_framing framing)
{
	struct dp_stream_key key;

	memset(&key, 0, sizeof(key));
	key.ip_version = 4;
	key.src_addr[0] = 10;
	key.src_addr[3] = (uint8_t)flow;
	key.dst_addr[0] = 10;
	key.dst_port = framing == DP_STREAM_DNS ? 53 : 514;
	key.src_port = (uint16_t)flow;
	return key;
}

static void
run_ops(const uint8_t *data, size_t size)
{
	struct run run = { .delivered = 0 };
	struct dp_stream_table *t = table_new(data, &run);
	uint32_t next[FLOWS];
	uint64_t now = 1;
	size_t pos = HEADER_LEN;

	for (uint32_t f = 0; f < FLOWS; f++)
		next[f] = rd32(data + 3) + f * 100000u;

	while (pos + OP_LEN <= size) {
		const uint8_t *op = data + pos;
		uint32_t flow = op[0] & 7;
		enum dp_stream_framing framing = (op[0] & 8) ? DP_STREAM_DNS :
			DP_STREAM_SYSLOG;
		uint32_t seq = next[flow] + (uint32_t)(int16_t)(op[2] << 8 | op[3]);
		uint32_t len = op[4];
		const uint8_t *payload = data + pos + OP_LEN;

		pos += OP_LEN;
		if (op[0] & 0x40) {
			memset(fill_buf, pos < size ? data[pos] : 'A',
			       len * FILL_FACTOR);
			payload = fill_buf;
			len *= FILL_FACTOR;
			pos += pos < size ? 1 : 0;
		} else {
			if (len > size - pos)
				len = (uint32_t)(size - pos);
			pos += len;
		}
		now += op[5] * MS;
		if (op[0] & 0x80) {
			dp_stream_expire(t, now, on_message, &run);
		} else {
			struct dp_stream_key key = flow_key(flow, framing);

			dp_stream_segment(t, &key, framing, seq, op[1],
					  payload, len, now, on_message, &run);
			/* The flow moves on past what was sent. */
			uint32_t end = seq + len +
				((op[1] & DP_STREAM_TCP_SYN) ? 1 : 0);

			if ((int32_t)(end - next[flow]) > 0)
				next[flow] = end;
		}
		check_bounds(t, &run);
	}

	table_drop(t, &run, now);
}

struct piece {
	uint32_t off;
	uint32_t len;
};

/* Sends the stream of the split mode: whole (pieces NULL) or as the
 * pieces in the order given, into a table of its own. Returns whether a
 * buffer limit was hit or a gap given up. */
static bool
send_stream(const uint8_t *header, uint8_t options, const uint8_t *stream,
	    uint32_t len, const struct piece *pieces, size_t n_pieces,
	    struct capture *capture)
{
	struct run run = { .delivered = 0, .capture = capture };
	struct dp_stream_table *t = table_new(header, &run);
	enum dp_stream_framing framing = (options & 1) ? DP_STREAM_DNS :
		DP_STREAM_SYSLOG;
	struct dp_stream_key key = flow_key(FLOWS, framing);
	uint32_t isn = rd32(header + 3);
	uint32_t base = (options & 2) ? isn : isn + 1;
	struct piece whole = { 0, len };

	memset(capture, 0, offsetof(struct capture, lens));
	if (!(options & 2))
		dp_stream_segment(t, &key, framing, isn, DP_STREAM_TCP_SYN,
				  NULL, 0, 1, on_message, &run);
	if (pieces == NULL) {
		pieces = &whole;
		n_pieces = 1;
	}
	for (size_t i = 0; i < n_pieces; i++) {
		const struct piece *p = &pieces[i];
		uint8_t flags = DP_STREAM_TCP_ACK;

		if ((options & 4) && p->off + p->len == len)
			flags |= DP_STREAM_TCP_FIN;
		dp_stream_segment(t, &key, framing, base + p->off, flags,
				  stream + p->off, p->len, 1, on_message, &run);
		check_bounds(t, &run);
	}

	const struct dp_stream_stats *st = dp_stream_table_stats(t);
	bool limited = st->buffer_limit_hits > 0 || st->gaps > 0;

	table_drop(t, &run, 1);
	return limited;
}

/* The same bytes, whole and cut at the input's offsets (possibly sent
 * in swapped pairs, possibly twice), must give the same messages. */
static void
run_split(const uint8_t *data, size_t size)
{
	const uint8_t *header = data;
	size_t pos = HEADER_LEN;
	uint8_t options, n_cuts;
	uint32_t cuts[CUTS_MAX + 2];
	struct piece pieces[2 * (CUTS_MAX + 1)];
	size_t n = 0, n_pieces = 0;

	if (size < pos + 2)
		return;
	options = data[pos];
	n_cuts = data[pos + 1] & CUTS_MAX;
	pos += 2;
	if (size < pos + 2u * n_cuts)
		return;

	const uint8_t *stream = data + pos + 2u * n_cuts;
	uint32_t len = (uint32_t)(size - pos - 2u * n_cuts);

	if (len == 0)
		return;
	/* Sorted, distinct offsets inside the stream, with 0 and len. */
	cuts[n++] = 0;
	for (uint8_t i = 0; i < n_cuts; i++) {
		uint32_t c = ((uint32_t)data[pos + 2 * i] << 8 |
			      data[pos + 2 * i + 1]) % len;
		size_t j = n;

		while (j > 0 && cuts[j - 1] > c)
			j--;
		if (cuts[j - 1] == c)
			continue;
		memmove(cuts + j + 1, cuts + j, (n - j) * sizeof(cuts[0]));
		cuts[j] = c;
		n++;
	}
	cuts[n++] = len;
	for (size_t i = 0; i + 1 < n; i++) {
		pieces[n_pieces++] = (struct piece){ cuts[i],
						     cuts[i + 1] - cuts[i] };
		if ((options & 16) && i % 2 == 1) {
			pieces[n_pieces] = pieces[n_pieces - 1];
			n_pieces++;
		}
	}
	/* Swapped pairs; a midstream stream starts where its first
	 * segment does, so that one stays first. */
	if (options & 8) {
		for (size_t i = (options & 2) ? 1 : 0; i + 1 < n_pieces;
		     i += 2) {
			struct piece tmp = pieces[i];

			pieces[i] = pieces[i + 1];
			pieces[i + 1] = tmp;
		}
	}

	bool limited = send_stream(header, options, stream, len, NULL, 0,
				   &captures[0]);

	limited |= send_stream(header, options, stream, len, pieces, n_pieces,
			       &captures[1]);
	if (limited || captures[0].overflow || captures[1].overflow)
		return;
	if (captures[0].count != captures[1].count ||
	    captures[0].bytes != captures[1].bytes ||
	    memcmp(captures[0].lens, captures[1].lens,
		   captures[0].count * sizeof(captures[0].lens[0])) != 0 ||
	    memcmp(captures[0].flags, captures[1].flags,
		   captures[0].count) != 0 ||
	    memcmp(captures[0].data, captures[1].data, captures[0].bytes) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER_LEN)
		return 0;
	if (data[0] & 1)
		run_split(data, size);
	else
		run_ops(data, size);
	return 0;
}
