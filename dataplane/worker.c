/* worker.c -- the worker loop and what it does with each packet. No locks,
 * syscalls, allocation or logging here: every failure is a counter. */
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <urcu/urcu-qsbr.h>

#include "clock.h"
#include "decode.h"
#include "hit.h"
#include "message_match.h"
#include "publish.h"
#include "worker.h"

#define DP_HOUSEKEEPING 64

/* The frame's bytes, contiguous: multi-segment mbufs (jumbo frames from
 * net_pcap) are copied into the worker's buffer. */
static const uint8_t *
frame_bytes(struct dp_worker *w, const struct rte_mbuf *m, uint32_t *len)
{
	*len = rte_pktmbuf_pkt_len(m);
	if (*len > DP_LINEAR_MAX)
		*len = DP_LINEAR_MAX;
	return rte_pktmbuf_read(m, 0, *len, w->linear);
}

void
dp_worker_use_capture_time(struct dp_worker *w)
{
	int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME,
					  NULL);

	w->timestamp_offset = rte_mbuf_dynfield_lookup(
		RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	w->timestamp_flag = bit < 0 ? 0 : 1ULL << bit;
	if (bit < 0)
		w->timestamp_offset = -1;
	/* The unit is the driver's: net_pcap in 22.11 stores microseconds. */
	w->timestamp_ns_per_unit = 1000;
}

/* The frame's capture time if the port gives one, else the burst's.
 * Events carry it and expiry of indicators is judged by it. */
static uint64_t
frame_time_ns(const struct dp_worker *w, const struct rte_mbuf *m)
{
	if (w->timestamp_offset >= 0 && (m->ol_flags & w->timestamp_flag) != 0)
		return *RTE_MBUF_DYNFIELD(m, w->timestamp_offset,
					  rte_mbuf_timestamp_t *) *
			w->timestamp_ns_per_unit;
	return w->burst_time_ns;
}

static inline bool
worker_stopping(struct dp_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

/* The burst's hit records into the exporter's ring in one enqueue, before
 * the quiescent state that ends the burst (they point at its set). What
 * does not fit is dropped and counted, or in replay waited for. */
static void
hits_emit(struct dp_worker *w)
{
	unsigned int n = w->n_pending, done = 0;

	if (n == 0)
		return;
	for (;;) {
		done += rte_ring_sp_enqueue_burst(w->hit_ring,
			(void *const *)&w->pending[done], n - done, NULL);
		if (done == n || !w->backpressure || worker_stopping(w))
			break;
		rte_pause();
	}
	if (unlikely(done < n)) {
		w->stats.drop_ring_full += n - done;
		rte_mempool_put_bulk(w->hit_pool, (void *const *)&w->pending[done],
				     n - done);
	}
	w->n_pending = 0;
}

/* Fills a hit record for the message's hits; it waits in pending until
 * the burst ends. In replay (backpressure) it waits for a free record,
 * since the source is a file; live it drops and counts. */
static void
hits_record(struct dp_worker *w, const struct pat_set *set, uint64_t time_ns,
	    const struct dp_packet *pkt, enum dp_message_kind kind)
{
	struct dp_hit *hit;

	w->stats.hits += w->hits.count;
	w->stats.hit_messages++;
	w->stats.hits_overflow += w->hits.overflow;
	while (unlikely(rte_mempool_get(w->hit_pool, (void **)&hit) != 0)) {
		if (!w->backpressure || worker_stopping(w)) {
			w->stats.drop_hit_pool++;
			return;
		}
		/* The records waiting for the burst's end may be the ones
		 * missing from the pool. */
		hits_emit(w);
		rte_pause();
	}
	hit->set = set;
	hit->frame = w->stats.packets;
	hit->time_ns = time_ns;
	hit->kind = (uint8_t)kind;
	hit->ip_version = pkt->ip_version;
	hit->l4_proto = pkt->l4_proto;
	hit->worker = w->index;
	hit->src_port = pkt->src_port;
	hit->dst_port = pkt->dst_port;
	memcpy(hit->src_addr, pkt->src_addr, sizeof(hit->src_addr));
	memcpy(hit->dst_addr, pkt->dst_addr, sizeof(hit->dst_addr));
	hit->encap = pkt->encap;
	hit->hits = w->hits;
	hit->truncated = pkt->payload_len > DP_HIT_PAYLOAD_MAX;
	hit->payload_len = hit->truncated ? DP_HIT_PAYLOAD_MAX :
		(uint16_t)pkt->payload_len;
	memcpy(hit->payload, pkt->payload, hit->payload_len);
	w->pending[w->n_pending++] = hit;
}

int
dp_worker_init(struct dp_worker *w, const struct dp_fragment_config *frag,
	       const struct dp_stream_config *streams, int socket)
{
	int rc = dp_stream_table_create(streams, &w->streams);

	w->matcher.dns_text = w->dns_text;
	if (rc == 0)
		rc = dp_fragments_init(&w->fragments, frag, socket);
	return rc;
}

void
dp_worker_release(struct dp_worker *w)
{
	dp_fragments_fini(&w->fragments);
	dp_stream_table_free(w->streams);
	w->streams = NULL;
}

void
dp_worker_set_port_kind(struct dp_worker *w, uint8_t l4_proto, uint16_t port,
			enum dp_port_kind kind)
{
	unsigned int shift = l4_proto == IPPROTO_TCP ? 4 : 0;

	w->port_kind[port] = (uint8_t)((w->port_kind[port] & ~(0x0fu << shift)) |
				       (unsigned int)kind << shift);
}

/* DNS wins when one end is a DNS port and the other a syslog port. */
static enum dp_port_kind
packet_kind(const struct dp_worker *w, const struct dp_packet *pkt)
{
	unsigned int shift = pkt->l4_proto == IPPROTO_TCP ? 4 : 0;
	uint8_t src = (w->port_kind[pkt->src_port] >> shift) & 0x0f;
	uint8_t dst = (w->port_kind[pkt->dst_port] >> shift) & 0x0f;

	return (enum dp_port_kind)(src > dst ? src : dst);
}

/* A fragment goes to the table, which hands back the whole datagram when
 * this one completes it; the datagram is then decoded from its IP header
 * on (the headers around it are the fragment's). *m is NULL from here on
 * if the table took it; *whole is the datagram, for the caller to free. */
static enum dp_decode_status
fragment_handle(struct dp_worker *w, struct rte_mbuf **m,
		struct dp_packet *pkt, struct rte_mbuf **whole)
{
	const uint8_t *frame;
	uint32_t len, l3_offset = pkt->l3_offset;

	w->stats.fragments++;
	*whole = dp_fragments_add(&w->fragments, *m, pkt->ip_version,
				  (uint16_t)l3_offset, (uint16_t)pkt->l3_len,
				  rte_rdtsc(), &w->stats.fragment);
	*m = NULL;
	if (*whole == NULL)
		return DP_DECODE_FRAGMENT;
	frame = frame_bytes(w, *whole, &len);
	if (len < l3_offset)
		return DP_DECODE_MALFORMED;
	return dp_decode_ip(&w->decode, pkt->ip_version, frame + l3_offset,
			    len - l3_offset, pkt);
}

/* The message's kind by its ports, or other. */
static bool
message_kind(const struct dp_worker *w, const struct dp_packet *pkt,
	     enum dp_message_kind *kind)
{
	switch (packet_kind(w, pkt)) {
	case DP_PORT_DNS:
		*kind = DP_MESSAGE_DNS;
		return true;
	case DP_PORT_SYSLOG:
		*kind = DP_MESSAGE_SYSLOG;
		return true;
	default:
		return false;
	}
}

/* parse + match one message, and its record when it hit (or, for replay
 * --messages, always). */
static void
message_handle(struct dp_worker *w, const struct pat_set *set,
	       const struct dp_packet *pkt, enum dp_message_kind kind,
	       uint64_t time_ns)
{
	unsigned int flags;

	pat_hits_reset(&w->hits, (int64_t)(time_ns / 1000000000ULL));
	flags = dp_message_match(&w->matcher, set, pat_set_scratch(set, w->index),
				 kind, pkt->payload, pkt->payload_len, &w->hits);
	if (kind == DP_MESSAGE_DNS) {
		w->stats.dns_messages++;
		w->stats.malformed_dns += (flags & DP_MATCH_MALFORMED) != 0;
	} else {
		w->stats.syslog_messages++;
		w->stats.malformed_syslog += (flags & DP_MATCH_MALFORMED) != 0;
	}
	w->stats.match_errors += (flags & DP_MATCH_ERROR) != 0;
	if (w->history.ring != NULL)
		dp_history_record(&w->history, pkt, kind, time_ns,
				  w->burst_time_ns);
	if (w->hits.count > 0) {
		hits_record(w, set, time_ns, pkt, kind);
	} else if (unlikely(w->record_messages)) {
		hits_record(w, set, time_ns, pkt, kind);
		w->stats.hit_messages--;     /* a message, not a hit */
	}
}

/* A message a TCP stream completed: matched as a datagram's payload is,
 * with the stream's addresses, and the layers of the segment when the
 * message is that segment's stream's (an evicted or expired stream's
 * last message comes without). */
static void
stream_deliver(void *ctx, const struct dp_stream_key *key,
	       enum dp_stream_framing framing, const uint8_t *msg, size_t len,
	       unsigned int flags)
{
	struct dp_worker *w = ctx;
	const struct dp_packet *seg = w->stream_pkt;
	struct dp_packet pkt = {
		.ip_version = key->ip_version,
		.l4_proto = IPPROTO_TCP,
		.src_port = key->src_port,
		.dst_port = key->dst_port,
		.payload = msg,
		.payload_len = (uint32_t)len,
	};

	(void)flags;         /* cut messages are counted by the table */
	memcpy(pkt.src_addr, key->src_addr, sizeof(pkt.src_addr));
	memcpy(pkt.dst_addr, key->dst_addr, sizeof(pkt.dst_addr));
	if (seg != NULL && seg->src_port == key->src_port &&
	    seg->dst_port == key->dst_port &&
	    memcmp(seg->src_addr, key->src_addr, sizeof(key->src_addr)) == 0 &&
	    memcmp(seg->dst_addr, key->dst_addr, sizeof(key->dst_addr)) == 0)
		pkt.encap = seg->encap;
	message_handle(w, w->stream_set, &pkt, framing == DP_STREAM_DNS ?
		       DP_MESSAGE_DNS : DP_MESSAGE_SYSLOG, w->stream_time_ns);
}

/* A TCP segment to the stream table, which hands back the messages it
 * completes (docs/matching.md, "TCP streams"). */
static void
stream_handle(struct dp_worker *w, const struct pat_set *set,
	      const struct dp_packet *pkt, enum dp_message_kind kind,
	      uint64_t time_ns)
{
	struct dp_stream_key key = {
		.src_port = pkt->src_port,
		.dst_port = pkt->dst_port,
		.ip_version = pkt->ip_version,
	};

	memcpy(key.src_addr, pkt->src_addr, sizeof(key.src_addr));
	memcpy(key.dst_addr, pkt->dst_addr, sizeof(key.dst_addr));
	w->stream_set = set;
	w->stream_pkt = pkt;
	w->stream_time_ns = time_ns;
	dp_stream_segment(w->streams, &key, kind == DP_MESSAGE_DNS ?
			  DP_STREAM_DNS : DP_STREAM_SYSLOG, pkt->tcp_seq,
			  pkt->tcp_flags, pkt->payload, pkt->payload_len,
			  time_ns, stream_deliver, w);
	w->stream_pkt = NULL;
}

/* TCP to a port configured for syslog or DNS over UDP only: someone asked
 * for the port, not for TCP on it. */
static bool
tcp_unasked(const struct dp_worker *w, const struct dp_packet *pkt)
{
	return ((w->port_kind[pkt->src_port] | w->port_kind[pkt->dst_port]) &
		0x0f) != 0;
}

/* decode (reassembling fragments) -> classify -> parse + match -> emit.
 * Sets *m to NULL when the fragment table took the mbuf. */
static void
worker_handle(struct dp_worker *w, const struct pat_set *set,
	      struct rte_mbuf **m)
{
	struct dp_packet pkt;
	struct rte_mbuf *whole = NULL;
	enum dp_message_kind kind;
	uint32_t len;
	const uint8_t *frame = frame_bytes(w, *m, &len);
	uint64_t time_ns = frame_time_ns(w, *m);
	enum dp_decode_status status;

	w->stats.packets++;
	w->stats.bytes += rte_pktmbuf_pkt_len(*m);
	status = dp_decode(&w->decode, frame, len, &pkt);
	if (status == DP_DECODE_FRAGMENT)
		status = fragment_handle(w, m, &pkt, &whole);
	switch (status) {
	case DP_DECODE_OK:
		w->last_frame_ns = time_ns;
		if (message_kind(w, &pkt, &kind)) {
			if (pkt.l4_proto == IPPROTO_TCP)
				stream_handle(w, set, &pkt, kind, time_ns);
			else
				message_handle(w, set, &pkt, kind, time_ns);
		} else if (pkt.l4_proto == IPPROTO_TCP && tcp_unasked(w, &pkt)) {
			w->stats.tcp_skipped++;
		} else {
			w->stats.other++;
		}
		break;
	case DP_DECODE_MALFORMED:
		w->stats.malformed_frame++;
		break;
	case DP_DECODE_FRAGMENT:            /* kept for later, or dropped */
		break;
	case DP_DECODE_TOO_DEEP:
		w->stats.too_deep++;
		break;
	default:
		w->stats.other++;
		break;
	}
	if (whole != NULL)
		rte_pktmbuf_free(whole);
}

static void
stats_publish(struct dp_worker *w)
{
	w->stats.history_records = w->history.records;
	w->stats.history_dropped = w->history.dropped;
	if (w->streams != NULL)
		w->stats.stream = *dp_stream_table_stats(w->streams);
	const uint64_t *src = (const uint64_t *)&w->stats;
	uint64_t *dst = (uint64_t *)&w->published;

	for (size_t i = 0; i < sizeof(w->stats) / sizeof(uint64_t); i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

static void
burst_account(struct dp_worker *w, uint64_t start)
{
	uint64_t cycles = rte_rdtsc() - start;

	uint64_t us = cycles * 1000000 / w->tsc_hz;
	unsigned int bucket = us < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(us);

	w->stats.busy_cycles += cycles;
	if (cycles > w->stats.max_burst_cycles)
		w->stats.max_burst_cycles = cycles;
	w->stats.burst_histogram[bucket < DP_BURST_BUCKETS ? bucket :
				 DP_BURST_BUCKETS - 1]++;
}

void
dp_worker_stats_read(const struct dp_worker *w, struct dp_worker_stats *out)
{
	const uint64_t *src = (const uint64_t *)&w->published;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* Packets of this burst: from the port's queue, or from the ring another
 * worker's fan-out fills. */
static uint16_t
worker_receive(struct dp_worker *w, struct rte_mbuf **pkts)
{
	if (w->in_ring != NULL)
		return (uint16_t)rte_ring_sc_dequeue_burst(w->in_ring,
			(void **)pkts, DP_BURST, NULL);
	return rte_eth_rx_burst(w->port, w->queue, pkts, DP_BURST);
}

/* Software fan-out for a port without RSS: each flow goes to the worker
 * its symmetric hash picks, so both directions meet on one worker. Keeps
 * this worker's own packets at the front of pkts; returns their count. */
static uint16_t
worker_fanout(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t kept = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct dp_packet pkt;
		uint32_t len;
		const uint8_t *frame = frame_bytes(w, pkts[i], &len);
		uint16_t target = w->fanout_self;

		enum dp_decode_status status = dp_decode(&w->decode, frame, len,
							 &pkt);
		/* Every fragment of a datagram goes to one worker. */
		if (status == DP_DECODE_OK || status == DP_DECODE_FRAGMENT)
			target = (uint16_t)(dp_flow_hash(&pkt) % w->n_fanout);
		if (target == w->fanout_self) {
			pkts[kept++] = pkts[i];
		} else if (rte_ring_sp_enqueue(w->fanout[target], pkts[i]) == 0) {
			w->stats.fanout_sent++;
		} else {
			w->stats.drop_fanout_full++;
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return kept;
}

/* The TCP streams whose time is up (at now): their holes given up, the
 * idle ones forgotten, each message they held delivered and matched
 * against set first. A bounded batch per call (tcp_stream.h). */
static void
streams_expire(struct dp_worker *w, const struct pat_set *set, uint64_t now)
{
	w->stream_set = set;
	w->stream_time_ns = now;
	dp_stream_expire(w->streams, now, stream_deliver, w);
}

/* Every DP_HOUSEKEEPING bursts, with the burst's set: the datagrams whose
 * time is up leave the fragment table, the streams theirs, and the
 * counters are published. */
static void
worker_housekeeping(struct dp_worker *w, const struct pat_set *set)
{
	dp_fragments_expire(&w->fragments, rte_rdtsc(), &w->stats.fragment);
	streams_expire(w, set, w->last_frame_ns);
	stats_publish(w);
}

/* The now of an idle worker: the wall clock, or with capture times (a
 * replay) the last frame's, which an idle replay does not move. */
static uint64_t
idle_now(const struct dp_worker *w)
{
	return w->timestamp_offset >= 0 ? w->last_frame_ns :
		dp_clock_ns(rte_rdtsc());
}

/* Idle housekeeping, or flushing every stream when asked: the messages
 * they deliver need a set, so the worker is online for it. */
static void
worker_idle_streams(struct dp_worker *w, bool flush)
{
	struct dp_stream_usage usage;

	dp_stream_table_usage(w->streams, &usage);
	if (usage.streams == 0)
		return;
	urcu_qsbr_thread_online();
	const struct pat_set *set = rcu_dereference(dp_active_set);
	if (!flush) {
		streams_expire(w, set, idle_now(w));
	} else {
		/* Every entry is past any timeout at the end of time; a
		 * batch per call, so as many calls as batches. */
		for (uint32_t i = 0; usage.streams > 0 &&
		     i <= usage.streams / DP_STREAM_EXPIRE_BATCH + 1; i++) {
			streams_expire(w, set, UINT64_MAX);
			dp_stream_table_usage(w->streams, &usage);
		}
	}
	hits_emit(w);
	urcu_qsbr_thread_offline();
}

/* No packets: leave the grace periods alone (QSBR offline) and publish
 * the counters; flush the streams when the main lcore asks. */
static void
worker_idle(struct dp_worker *w)
{
	if (w->online) {
		urcu_qsbr_thread_offline();
		w->online = false;
		stats_publish(w);
	} else if (unlikely(__atomic_load_n(&w->flush, __ATOMIC_ACQUIRE) &&
			    !w->flushed)) {
		worker_idle_streams(w, true);
		stats_publish(w);
		__atomic_store_n(&w->flushed, true, __ATOMIC_RELEASE);
	} else if (unlikely(++w->iterations % DP_HOUSEKEEPING == 0)) {
		dp_fragments_expire(&w->fragments, rte_rdtsc(),
				    &w->stats.fragment);
		worker_idle_streams(w, false);
		if (w->history.ring != NULL)
			dp_history_tick(&w->history, dp_clock_ns(rte_rdtsc()));
		stats_publish(w);
	}
	rte_pause();
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST];

	urcu_qsbr_register_thread();
	w->matcher.dns_text = w->dns_text;
	w->online = true;
	w->tsc_hz = rte_get_tsc_hz();
	w->stats.start_tsc = rte_rdtsc();
	while (!worker_stopping(w)) {
		uint16_t n = worker_receive(w, pkts);
		if (n == 0) {
			worker_idle(w);
			continue;
		}
		if (!w->online) {
			urcu_qsbr_thread_online();
			w->online = true;
		}
		uint64_t start = rte_rdtsc();
		w->burst_time_ns = dp_clock_ns(start);
		const struct pat_set *set = rcu_dereference(dp_active_set);
		uint16_t own = w->n_fanout > 1 ? worker_fanout(w, pkts, n) : n;
		for (uint16_t i = 0; i < own; i++)
			worker_handle(w, set, &pkts[i]);
		if (unlikely(++w->iterations % DP_HOUSEKEEPING == 0))
			worker_housekeeping(w, set);
		hits_emit(w);
		if (w->history.ring != NULL)
			dp_history_tick(&w->history, w->burst_time_ns);
		rte_pktmbuf_free_bulk(pkts, own);     /* NULL: taken */
		dp_fragments_flush(&w->fragments);    /* the ones dropped */
		urcu_qsbr_quiescent_state();       /* set is dead past this line */
		burst_account(w, start);
	}
	if (w->history.ring != NULL)
		dp_history_send(&w->history);
	stats_publish(w);
	if (!w->online)
		urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
	return 0;
}
