/* worker.h -- one worker lcore: receive a burst, decode, parse, match,
 * hand hits to the exporter. The loop is in worker.c. */
#ifndef IOCSIFT_DATAPLANE_WORKER_H
#define IOCSIFT_DATAPLANE_WORKER_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "decode.h"
#include "dns.h"
#include "fragment.h"
#include "tcp_stream.h"
#include "hit.h"
#include "history_port.h"
#include "message_match.h"
#include "pattern_set.h"

#define DP_BURST 32
/* The largest frame, or reassembled datagram with the headers before
 * it, a worker copies together. */
#define DP_LINEAR_MAX (65536 + 512)

#define DP_BURST_BUCKETS 16

/* Named counters of one worker; written by the worker only, read by
 * others with relaxed loads (monotonic, 64-bit). */
struct dp_worker_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t syslog_messages;   /* all matched, malformed_syslog too */
	uint64_t dns_messages;      /* all matched, malformed_dns too */
	uint64_t hits;              /* (message, indicator) pairs */
	uint64_t hit_messages;
	uint64_t malformed_frame;   /* decode: truncated/lying headers */
	uint64_t malformed_syslog;  /* header did not parse: matched raw */
	uint64_t malformed_dns;     /* a section did not parse: see dns_handle */
	uint64_t fragments;         /* IP fragments handed to reassembly */
	struct dp_fragment_stats fragment;  /* how they ended (fragment.h) */
	/* TCP syslog and DNS: the stream table's counters (tcp_stream.h),
	 * copied when the worker publishes. */
	struct dp_stream_stats stream;
	uint64_t tcp_skipped;       /* TCP to a port configured for UDP only */
	uint64_t other;             /* not syslog or DNS */
	uint64_t too_deep;          /* more than DP_DECODE_LAYERS_MAX layers */
	uint64_t match_errors;
	uint64_t hits_overflow;     /* indicators past PAT_HITS_MAX */
	uint64_t drop_hit_pool;     /* no hit record free */
	uint64_t drop_ring_full;    /* exporter ring full */
	uint64_t drop_fanout_full;  /* software fan-out ring full */
	uint64_t fanout_sent;       /* packets handed to another worker */
	uint64_t history_records;   /* messages sent to the history writer */
	uint64_t history_dropped;   /* not kept: no chunk free, ring full */
	uint64_t busy_cycles;       /* TSC cycles spent on bursts */
	uint64_t max_burst_cycles;  /* the longest burst, receive to free */
	uint64_t start_tsc;         /* when the loop started */
	/* Bursts by duration: [0] under 2 us, [i] 2^i to 2^(i+1) us, the
	 * last everything longer. A window's difference shows whether a
	 * swap made any burst longer (perf/bench_run.sh). */
	uint64_t burst_histogram[DP_BURST_BUCKETS];
};

/* What a UDP port carries, by port number (either end of the flow). */
/* The TCP port of syslog besides 514 (RFC 6587's usual pair), on by
 * default in the configuration and always in replay. */
#define DP_SYSLOG_TCP_PORT 601

enum dp_port_kind {
	DP_PORT_OTHER,
	DP_PORT_SYSLOG,
	DP_PORT_DNS,
};

#define DP_FANOUT_MAX 128

struct dp_worker {
	uint16_t index;             /* scratch index in every pattern set */
	uint16_t port;
	uint16_t queue;
	unsigned int lcore;
	/* Input: the port's queue, or, for a worker fed by another worker's
	 * software fan-out, this ring (see docs/architecture.md). */
	struct rte_ring *in_ring;
	/* Software fan-out (ports without RSS): the worker reading the queue
	 * spreads flows over fanout[0..n_fanout) by a symmetric flow hash;
	 * fanout[fanout_self] is NULL, those packets it keeps. */
	struct rte_ring *fanout[DP_FANOUT_MAX];
	uint16_t n_fanout;
	uint16_t fanout_self;
	/* Replay: wait for a hit record and for room in the ring instead of
	 * dropping, since the source is a file and the hits must be exact. */
	bool backpressure;
	/* replay --messages: a record for every syslog and DNS message
	 * handled, hits or not (hits.count 0), for the exporter's message
	 * lines. Not counted in hits or hit_messages. */
	bool record_messages;
	bool online;                /* QSBR: offline while idle */
	bool stop;                 /* __atomic: set by the main lcore */
	/* __atomic: the main lcore asks the idle worker to deliver what its
	 * TCP streams still hold (replay's end); flushed says it is done. */
	bool flush;
	bool flushed;
	int timestamp_offset;       /* mbuf rx timestamp dynfield, -1 none */
	uint64_t timestamp_flag;
	uint64_t timestamp_ns_per_unit;
	uint64_t burst_time_ns;     /* wall clock of the current burst */
	uint64_t tsc_hz;
	struct rte_ring *hit_ring;  /* SPSC, to the exporter */
	struct rte_mempool *hit_pool;
	struct dp_worker_stats stats;
	struct dp_worker_stats published;  /* copy others may read */
	uint64_t iterations;
	/* The burst's hit records, handed to the exporter all at once. */
	struct dp_hit *pending[DP_BURST];
	uint16_t n_pending;
	alignas(64) struct pat_hits hits;
	struct dp_message_matcher matcher;  /* dns_text points at ours */
	struct dp_history_port history;   /* ring NULL: no history */
	struct dp_decode_config decode;   /* which UDP ports are tunnels */
	struct dp_fragments fragments;    /* reassembly, dp_worker_init() */
	struct dp_stream_table *streams;  /* TCP, dp_worker_init() */
	/* The segment being handed to the stream table, for its messages. */
	const struct pat_set *stream_set;
	const struct dp_packet *stream_pkt;
	uint64_t stream_time_ns;
	uint64_t last_frame_ns;           /* the time of the last frame */
	/* enum dp_port_kind by port: UDP in the low 4 bits, TCP in the
	 * high 4 (dp_worker_set_port_kind). */
	uint8_t port_kind[65536];
	uint8_t linear[DP_LINEAR_MAX];
	uint8_t dns_text[DP_LINEAR_MAX];  /* a DNS message flattened to text */
};

/* What a worker allocates for itself: its fragment table (on socket)
 * and its TCP stream table. 0 or -errno. dp_worker_release() frees
 * them. */
int dp_worker_init(struct dp_worker *w, const struct dp_fragment_config *frag,
		   const struct dp_stream_config *streams, int socket);
void dp_worker_release(struct dp_worker *w);

/* Says what UDP port number carries (both ends of a flow are looked up). */
void dp_worker_set_port_kind(struct dp_worker *w, uint8_t l4_proto,
			     uint16_t port, enum dp_port_kind kind);

/* Events of this worker carry the capture time net_pcap puts in each
 * mbuf (UNIX microseconds), not the time of arrival. Only for net_pcap:
 * a NIC's timestamps count on its own clock. */
void dp_worker_use_capture_time(struct dp_worker *w);

/* The lcore entry point: arg is a struct dp_worker. Registers with QSBR
 * RCU, loops until stop, unregisters. */
int dp_worker_main(void *arg);

/* The worker's counters as last published (about every 64 bursts, and
 * always when the loop ends). */
void dp_worker_stats_read(const struct dp_worker *w, struct dp_worker_stats *out);

#endif
