/* fuzz_tcp_stream.c -- libFuzzer target for the TCP stream reassembler: segment operations over a small table. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input (tests/fuzz/gen_tcp_stream_corpus.py writes it):
 *   header   message_max (u16 BE, from DP_STREAM_MESSAGE_MIN up),
 *            initial sequence number (u32 BE)
 *   ops      flow (bits 0-2), DNS framing (bit 3), fill (bit 6),
 *            expire (bit 7); TCP flags; sequence delta (s16 BE) from the
 *            flow's next expected byte; payload length; time step (ms);
 *            the payload, or with fill one byte that the payload repeats
 *            64 times the length (long messages, several chunks)
 * A table of 4 streams, 8 chunks and 2 chunks per stream, over 8 flows,
 * so eviction, buffer limits and gaps all come up. */
#define FLOWS 8
#define HEADER_LEN 6
#define OP_LEN 6
#define MS 1000000ull
#define FILL_FACTOR 64

static uint8_t fill_buf[255 * FILL_FACTOR];

struct run {
	struct dp_stream_config cfg;
	uint64_t delivered;
};

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
	if (key->ip_version != 4 || key->src_port >= FLOWS)
		__builtin_trap();
	/* Every byte must be readable: ASan checks. */
	for (size_t i = 0; i < len; i++)
		sink ^= msg[i];
	run->delivered++;
}

static void
check_bounds(const struct dp_stream_table *t, const struct run *run)
{
	struct dp_stream_usage u;

	dp_stream_table_usage(t, &u);
	if (u.buffer_bytes > run->cfg.buffer_bytes_max ||
	    u.streams > run->cfg.streams_max || u.streams_waiting > u.streams)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_stream_table *t;
	struct run run = { .delivered = 0 };
	uint32_t next[FLOWS];
	uint64_t now = 1;
	size_t pos = HEADER_LEN;

	if (size < HEADER_LEN)
		return 0;
	dp_stream_config_init(&run.cfg);
	run.cfg.streams_max = 4;
	run.cfg.buffer_bytes_max = 8 * DP_STREAM_CHUNK_SIZE;
	run.cfg.stream_buffer_max = 2 * DP_STREAM_CHUNK_SIZE;
	run.cfg.message_max = DP_STREAM_MESSAGE_MIN +
		((uint32_t)data[0] << 8 | data[1]) % 8192;
	run.cfg.gap_timeout_ns = 1000 * MS;
	run.cfg.idle_timeout_ns = 10000 * MS;
	if (dp_stream_table_create(&run.cfg, &t) != 0)
		__builtin_trap();
	for (uint32_t f = 0; f < FLOWS; f++)
		next[f] = rd32(data + 2) + f * 100000u;

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
			struct dp_stream_key key;

			memset(&key, 0, sizeof(key));
			key.ip_version = 4;
			key.src_addr[0] = 10;
			key.src_addr[3] = (uint8_t)flow;
			key.dst_addr[0] = 10;
			key.dst_port = framing == DP_STREAM_DNS ? 53 : 514;
			key.src_port = (uint16_t)flow;
			dp_stream_segment(t, &key, framing, seq, op[1],
					  payload, len, now, on_message, &run);
			/* The flow moves on past what was sent. */
			uint32_t end = seq + len + ((op[1] & DP_STREAM_TCP_SYN) ? 1 : 0);

			if ((int32_t)(end - next[flow]) > 0)
				next[flow] = end;
		}
		check_bounds(t, &run);
	}

	/* Whatever is left goes: nothing may stay behind. */
	dp_stream_expire(t, now + run.cfg.idle_timeout_ns + run.cfg.gap_timeout_ns,
			 on_message, &run);

	struct dp_stream_usage u;

	dp_stream_table_usage(t, &u);
	if (u.streams != 0 || u.streams_waiting != 0 || u.buffer_bytes != 0)
		__builtin_trap();
	check_bounds(t, &run);
	dp_stream_table_free(t);
	return 0;
}
