/* tcp_stream.h -- per-worker TCP stream reassembly into syslog (RFC 6587) and DNS messages. */
#ifndef IOCSIFT_DATAPLANE_TCP_STREAM_H
#define IOCSIFT_DATAPLANE_TCP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "stream_buffer.h"        /* DP_STREAM_CHUNK_SIZE */

/* The TCP header's flag bits, so the worker passes the flags byte as is. */
#define DP_STREAM_TCP_FIN 0x01u
#define DP_STREAM_TCP_SYN 0x02u
#define DP_STREAM_TCP_RST 0x04u
#define DP_STREAM_TCP_ACK 0x10u

/* Flags of a delivered message. */
#define DP_STREAM_MSG_CUT 0x1u  /* over message_max: its first bytes */

/* The smallest message_max accepted: the octet-counting detection holds
 * up to 9 digits that may become the start of a message. */
#define DP_STREAM_MESSAGE_MIN 16u

/* Defaults of struct dp_stream_config (docs/matching.md, "TCP streams"). */
#define DP_STREAM_STREAMS_MAX_DEFAULT 16384u
#define DP_STREAM_BUFFER_BYTES_MAX_DEFAULT (16u << 20)
#define DP_STREAM_STREAM_BUFFER_MAX_DEFAULT (256u << 10)
#define DP_STREAM_MESSAGE_MAX_DEFAULT 65536u
#define DP_STREAM_IDLE_TIMEOUT_NS_DEFAULT (60ull * 1000000000ull)
#define DP_STREAM_GAP_TIMEOUT_NS_DEFAULT (1ull * 1000000000ull)

/* How many entries one dp_stream_expire() call looks at, per list. */
#define DP_STREAM_EXPIRE_BATCH 64u

/* How the bytes of a stream are cut into messages. */
enum dp_stream_framing {
	DP_STREAM_SYSLOG,      /* RFC 6587: octet counting or LF, detected */
	DP_STREAM_DNS,         /* RFC 1035 4.2.2: 2-byte length prefix */
};

/* One direction of a TCP connection. The worker fills it from its
 * struct dp_packet, which zeroes the unused 12 address bytes of IPv4:
 * every byte of both addresses takes part in the lookup. */
struct dp_stream_key {
	uint8_t src_addr[16];      /* IPv4: the first 4 bytes, the rest zero */
	uint8_t dst_addr[16];
	uint16_t src_port;         /* host byte order */
	uint16_t dst_port;
	uint8_t ip_version;        /* 4 or 6 */
};

struct dp_stream_config {
	uint32_t streams_max;        /* streams (each direction is one) */
	uint32_t buffer_bytes_max;   /* all streams' buffered bytes: the pool */
	uint32_t stream_buffer_max;  /* out-of-order bytes of one stream */
	uint32_t message_max;        /* longer messages are delivered cut */
	uint64_t idle_timeout_ns;    /* no segment for this long: expired */
	uint64_t gap_timeout_ns;     /* data behind a hole waits this long */
};

/* Counters, only ever incremented; the worker reads them (one table per
 * worker, single-threaded). docs/statistics.md, "TCP streams". */
struct dp_stream_stats {
	uint64_t streams_created;
	uint64_t streams_closed;         /* FIN reached, RST, or a new SYN */
	uint64_t streams_expired;        /* idle for idle_timeout_ns */
	uint64_t streams_evicted;        /* the table was full */
	uint64_t streams_midstream;      /* first segment seen had no SYN */
	uint64_t segments;               /* every dp_stream_segment() call */
	uint64_t segments_retransmitted; /* all bytes seen before: ignored */
	uint64_t segments_overlapping;   /* some bytes seen before: skipped */
	uint64_t segments_out_of_order;  /* ahead of a missing segment */
	uint64_t gaps;                   /* missing bytes given up */
	uint64_t gap_bytes;              /* how many */
	uint64_t bytes_skipped;          /* resync, the rest of a cut message */
	uint64_t messages;               /* delivered */
	uint64_t messages_cut;           /* delivered cut to message_max */
	uint64_t partial_frames_dropped; /* the stream ended inside a frame */
	uint64_t dns_zero_length;        /* DNS frames of length 0, skipped */
	uint64_t framing_errors;         /* octet counting: no MSG-LEN SP */
	uint64_t buffer_limit_hits;      /* stream or table buffer full */
};

/* What the table holds now (gauges, not counters). */
struct dp_stream_usage {
	uint32_t streams;            /* <= streams_max, lingering ones too */
	uint32_t streams_waiting;    /* with data or a FIN behind a hole */
	uint32_t streams_lingering;  /* closed by a FIN, kept a while */
	uint64_t buffer_bytes;       /* chunks in use, <= buffer_bytes_max */
};

/* A complete message of the stream key, framed as framing says: len
 * contiguous bytes, valid only during the call. flags: DP_STREAM_MSG_*.
 * Called from dp_stream_segment() and dp_stream_expire(), possibly several
 * times per call, and for streams other than the segment's (an evicted
 * stream's last message); it must not call back into the table. */
typedef void (*dp_stream_deliver_fn)(void *ctx, const struct dp_stream_key *key,
				     enum dp_stream_framing framing,
				     const uint8_t *msg, size_t len,
				     unsigned int flags);

struct dp_stream_table;

/* Fills cfg with the defaults above. */
void dp_stream_config_init(struct dp_stream_config *cfg);

/* Allocates every stream entry, the chunk pool and the message buffer.
 * cfg NULL means the defaults. Returns 0, -EINVAL for a limit out of
 * range (streams_max 0 or over 2^24, message_max under
 * DP_STREAM_MESSAGE_MIN or over 16 MiB, a buffer limit under one chunk,
 * a timeout of 0), or -ENOMEM. */
int dp_stream_table_create(const struct dp_stream_config *cfg,
			   struct dp_stream_table **out);

/* Frees the table without delivering what it still holds. NULL is a no-op. */
void dp_stream_table_free(struct dp_stream_table *t);

/* One TCP segment of the stream key: seq is the header's sequence number,
 * tcp_flags its flags byte (DP_STREAM_TCP_*), payload the bytes after the
 * TCP header. framing applies when the segment creates the stream; a
 * stream keeps the framing it was created with. Delivers every message
 * the segment completes. Never allocates, logs or blocks. */
void dp_stream_segment(struct dp_stream_table *t,
		       const struct dp_stream_key *key,
		       enum dp_stream_framing framing, uint32_t seq,
		       uint8_t tcp_flags, const uint8_t *payload, uint32_t len,
		       uint64_t now_ns, dp_stream_deliver_fn deliver,
		       void *ctx);

/* Housekeeping the worker calls periodically: gives up the holes that
 * have waited gap_timeout_ns, then expires streams idle for
 * idle_timeout_ns. Looks at no more than DP_STREAM_EXPIRE_BATCH entries
 * of each list, oldest first, so its cost is bounded; call it often
 * enough (every few milliseconds) to keep up. */
void dp_stream_expire(struct dp_stream_table *t, uint64_t now_ns,
		      dp_stream_deliver_fn deliver, void *ctx);

const struct dp_stream_stats *
dp_stream_table_stats(const struct dp_stream_table *t);

void dp_stream_table_usage(const struct dp_stream_table *t,
			   struct dp_stream_usage *usage);

#endif
