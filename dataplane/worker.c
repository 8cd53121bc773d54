/* worker.c -- the worker loop and what it does with each packet. No locks,
 * syscalls, allocation or logging here: every failure is a counter. */
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <urcu/urcu-qsbr.h>

#include "decode.h"
#include "hit.h"
#include "publish.h"
#include "syslog.h"
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
dp_worker_clock_init(struct dp_worker *w)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	w->clock_tsc = rte_rdtsc();
	w->clock_ns = (uint64_t)now.tv_sec * 1000000000ULL +
		(uint64_t)now.tv_nsec;
	w->tsc_hz = rte_get_tsc_hz();
}

/* The wall clock from the TSC (no syscall), once per burst. */
static uint64_t
burst_time_ns(const struct dp_worker *w)
{
	uint64_t cycles = rte_rdtsc() - w->clock_tsc;

	return w->clock_ns + cycles / w->tsc_hz * 1000000000ULL +
		cycles % w->tsc_hz * 1000000000ULL / w->tsc_hz;
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
	return atomic_load_explicit(&w->stop, memory_order_relaxed);
}

/* Hands the message's hits to the exporter. In replay (backpressure) it
 * waits for a free record and for room in the ring, since the source is a
 * file; live it drops and counts. */
static void
hits_emit(struct dp_worker *w, const struct pat_set *set, uint64_t time_ns,
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
	hit->hits = w->hits;
	hit->truncated = pkt->payload_len > DP_HIT_PAYLOAD_MAX;
	hit->payload_len = hit->truncated ? DP_HIT_PAYLOAD_MAX :
		(uint16_t)pkt->payload_len;
	memcpy(hit->payload, pkt->payload, hit->payload_len);

	while (rte_ring_sp_enqueue(w->hit_ring, hit) != 0) {
		if (!w->backpressure || worker_stopping(w)) {
			w->stats.drop_ring_full++;
			rte_mempool_put(w->hit_pool, hit);
			return;
		}
		rte_pause();
	}
}

static void
syslog_handle(struct dp_worker *w, const struct pat_set *set,
	      const struct dp_packet *pkt)
{
	struct dp_syslog msg;

	if (dp_syslog_parse(pkt->payload, pkt->payload_len, &msg) != 0) {
		w->stats.malformed_syslog++;
		return;
	}
	w->stats.syslog_messages++;
	/* The whole message as received, header included (docs/matching.md). */
	if (pat_match_text(set, pat_set_scratch(set, w->index), pkt->payload,
			   pkt->payload_len, &w->hits) != 0)
		w->stats.match_errors++;
}

static void
dns_handle(struct dp_worker *w, const struct pat_set *set,
	   const struct dp_packet *pkt)
{
	struct dp_dns_message *dns = &w->dns;
	struct pat_scratch *scratch = pat_set_scratch(set, w->index);
	int rc;

	if (dp_dns_parse(pkt->payload, pkt->payload_len, dns) != 0) {
		w->stats.malformed_dns++;
		return;
	}
	w->stats.dns_messages++;
	rc = pat_match_dns_name(set, scratch, dns->qname, dns->qname_len,
				&w->hits);
	for (uint16_t i = 0; i < dns->answer_count; i++) {
		const struct dp_dns_answer *a = &dns->answers[i];
		if (a->type == DP_DNS_TYPE_A)
			pat_match_address(set, 4, a->addr, &w->hits);
		else if (a->type == DP_DNS_TYPE_AAAA)
			pat_match_address(set, 6, a->addr, &w->hits);
		else
			rc |= pat_match_dns_name(set, scratch, a->name,
						 a->name_len, &w->hits);
	}
	if (rc != 0)
		w->stats.match_errors++;
}

static bool
is_port(const struct dp_packet *pkt, uint16_t port)
{
	return pkt->src_port == port || pkt->dst_port == port;
}

/* decode -> classify -> parse + match -> emit. */
static void
worker_handle(struct dp_worker *w, const struct pat_set *set,
	      const struct rte_mbuf *m)
{
	struct dp_packet pkt;
	uint32_t len;
	const uint8_t *frame = frame_bytes(w, m, &len);

	w->stats.packets++;
	w->stats.bytes += rte_pktmbuf_pkt_len(m);
	switch (dp_decode(frame, len, &pkt)) {
	case DP_DECODE_OK:
		break;
	case DP_DECODE_MALFORMED:
		w->stats.malformed_frame++;
		return;
	case DP_DECODE_FRAGMENT:
		w->stats.fragments++;
		return;
	default:
		w->stats.other++;
		return;
	}

	enum dp_message_kind kind;
	if (is_port(&pkt, w->dns_port))
		kind = DP_MESSAGE_DNS;
	else if (is_port(&pkt, w->syslog_port))
		kind = DP_MESSAGE_SYSLOG;
	else {
		w->stats.other++;
		return;
	}
	if (pkt.l4_proto != IPPROTO_UDP) {
		w->stats.tcp_skipped++;
		return;
	}

	uint64_t time_ns = frame_time_ns(w, m);
	pat_hits_reset(&w->hits, (int64_t)(time_ns / 1000000000ULL));
	if (kind == DP_MESSAGE_DNS)
		dns_handle(w, set, &pkt);
	else
		syslog_handle(w, set, &pkt);
	if (w->hits.count > 0)
		hits_emit(w, set, time_ns, &pkt, kind);
}

static void
stats_publish(struct dp_worker *w)
{
	const uint64_t *src = (const uint64_t *)&w->stats;
	uint64_t *dst = (uint64_t *)&w->published;

	for (size_t i = 0; i < sizeof(w->stats) / sizeof(uint64_t); i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

void
dp_worker_stats_read(const struct dp_worker *w, struct dp_worker_stats *out)
{
	const uint64_t *src = (const uint64_t *)&w->published;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST];

	urcu_qsbr_register_thread();
	while (!worker_stopping(w)) {
		uint16_t n = rte_eth_rx_burst(w->port, w->queue, pkts, DP_BURST);
		if (n > 0)
			w->burst_time_ns = burst_time_ns(w);
		const struct pat_set *set = rcu_dereference(dp_active_set);
		for (uint16_t i = 0; i < n; i++)
			worker_handle(w, set, pkts[i]);
		rte_pktmbuf_free_bulk(pkts, n);
		urcu_qsbr_quiescent_state();       /* set is dead past this line */
		if (n == 0 || unlikely(++w->iterations % DP_HOUSEKEEPING == 0))
			stats_publish(w);
	}
	stats_publish(w);
	urcu_qsbr_unregister_thread();
	return 0;
}
