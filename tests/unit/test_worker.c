/* test_worker.c -- the worker loop (dataplane/worker.c) on a real EAL:
 * crafted frames go into a net_ring port (rte_eth_from_rings), the worker
 * runs dp_worker_main on the second lcore as replay and run launch it, and
 * the test reads the hit records from its hit ring and its published
 * counters. Hits for a watched domain in syslog, in a DNS question and as
 * a DNS answer's address, and in a tunnel; none for clean traffic; the
 * counter of each way a frame is skipped (truncated, fragment, TCP,
 * other, too deep, malformed syslog or DNS); a record for every message
 * with record_messages (replay --messages); drops when the exporter ring
 * or the record pool is full; waiting instead in replay mode; capture
 * times; a set published between bursts. */
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "clock.h"
#include "eal_fixture.h"
#include "feed.h"
#include "hit.h"
#include "pattern_set.h"
#include "port.h"
#include "publish.h"
#include "worker.h"

#define FRAME_MAX 1514
#define FRAMES_MAX 64
#define MBUFS 1023
#define SYSLOG_PORT 514
#define DNS_PORT 53
#define CLIENT_PORT 40005
#define UDP_ONLY_PORT 5514        /* syslog over UDP, not over TCP */
#define FLOOD_DOMAINS 40          /* more than PAT_HITS_MAX in one message */
#define WAIT_MS 10000

static const uint8_t client_addr[4] = { 10, 0, 0, 14 };
static const uint8_t server_addr[4] = { 10, 0, 0, 2 };
static const uint8_t watched_addr[4] = { 203, 0, 113, 7 };
static const uint8_t tunnel_src[4] = { 192, 0, 2, 10 };
static const uint8_t tunnel_dst[4] = { 192, 0, 2, 20 };

static const char watched_syslog[] =
	"<34>Nov 26 10:00:05 edr01 falcon[42]: host contacted "
	"journalide.org:443";
static const char clean_syslog[] =
	"<34>Nov 26 10:00:06 edr01 sshd[7]: accepted for alice from 10.9.9.9, "
	"resolver notjournalide.org";

/*
 * Frames
 */

struct frame {
	uint16_t len;
	uint8_t bytes[FRAME_MAX];
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 + UDP or TCP around payload, client to server unless
 * the ports say otherwise; fragment is the IPv4 flags-and-offset field. */
static struct frame
frame_ipv4(uint8_t proto, uint16_t fragment, uint16_t src_port,
	   uint16_t dst_port, const void *payload, size_t len)
{
	struct frame f = { 0 };
	size_t l4_len = proto == IPPROTO_TCP ? 20 : 8;
	uint8_t *ip = f.bytes + 14, *l4 = ip + 20;

	assert_true(14 + 20 + l4_len + len <= FRAME_MAX);
	memcpy(f.bytes, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
	       "\x08\x00", 14);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len + len));
	put16(ip + 6, fragment);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, client_addr, 4);
	memcpy(ip + 16, server_addr, 4);
	put16(l4, src_port);
	put16(l4 + 2, dst_port);
	if (proto == IPPROTO_TCP)
		l4[12] = 5 << 4;
	else
		put16(l4 + 4, (uint16_t)(8 + len));
	memcpy(l4 + l4_len, payload, len);
	f.len = (uint16_t)(14 + 20 + l4_len + len);
	return f;
}

static struct frame
frame_syslog(const char *message)
{
	return frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, SYSLOG_PORT, message,
			  strlen(message));
}

/* A DNS message: a question (type A) for name and, with answer, a
 * response carrying one A record with that address. Returns its length. */
static size_t
dns_message(uint8_t *buf, const char *name, const uint8_t *answer)
{
	size_t n = 12;

	memset(buf, 0, n);
	put16(buf, 0x1234);
	put16(buf + 2, answer != NULL ? 0x8180 : 0x0100);
	put16(buf + 4, 1);
	put16(buf + 6, answer != NULL ? 1 : 0);
	for (const char *label = name; *label != '\0';) {
		size_t len = strcspn(label, ".");
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, label, len);
		n += len;
		label += len + (label[len] == '.');
	}
	buf[n++] = 0;
	put16(buf + n, 1);          /* A */
	put16(buf + n + 2, 1);      /* IN */
	n += 4;
	if (answer != NULL) {
		put16(buf + n, 0xc00c);     /* the question's name */
		put16(buf + n + 2, 1);
		put16(buf + n + 4, 1);
		memcpy(buf + n + 6, "\x00\x00\x01\x2c", 4);  /* TTL 300 */
		put16(buf + n + 10, 4);
		memcpy(buf + n + 12, answer, 4);
		n += 16;
	}
	return n;
}

static struct frame
frame_dns_query(const char *name)
{
	uint8_t msg[512];
	size_t len = dns_message(msg, name, NULL);

	return frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, DNS_PORT, msg, len);
}

static struct frame
frame_dns_answer(const char *name, const uint8_t *addr)
{
	uint8_t msg[512];
	size_t len = dns_message(msg, name, addr);

	return frame_ipv4(IPPROTO_UDP, 0, DNS_PORT, CLIENT_PORT, msg, len);
}

/* The frame inner in VXLAN VNI vni, to UDP port, between the tunnel's
 * endpoints. */
static struct frame
frame_vxlan(const struct frame *inner, uint16_t port, uint32_t vni)
{
	struct frame f = { 0 };
	size_t outer = 14 + 20 + 8 + 8;
	uint8_t *ip = f.bytes + 14, *udp = ip + 20, *vxlan = udp + 8;

	assert_true(outer + inner->len <= FRAME_MAX);
	memcpy(f.bytes, inner->bytes, 14);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(outer - 14 + inner->len));
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, tunnel_src, 4);
	memcpy(ip + 16, tunnel_dst, 4);
	put16(udp, 49152);
	put16(udp + 2, port);
	put16(udp + 4, (uint16_t)(8 + 8 + inner->len));
	vxlan[0] = 0x08;                        /* I: the VNI is valid */
	vxlan[4] = (uint8_t)(vni >> 16);
	vxlan[5] = (uint8_t)(vni >> 8);
	vxlan[6] = (uint8_t)vni;
	memcpy(f.bytes + outer, inner->bytes, inner->len);
	f.len = (uint16_t)(outer + inner->len);
	return f;
}

/* The IP packet of inner (Ethernet + IPv4) inside depth IPv4 headers. */
static struct frame
frame_ipip(const struct frame *inner, unsigned int depth)
{
	struct frame f = { 0 };
	size_t packet = inner->len - 14u;

	assert_true(14 + 20 * depth + packet <= FRAME_MAX);
	memcpy(f.bytes, inner->bytes, 14);
	for (unsigned int i = 0; i < depth; i++) {
		uint8_t *ip = f.bytes + 14 + 20 * i;
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 * (depth - i) + packet));
		ip[8] = 64;
		ip[9] = IPPROTO_IPIP;
		memcpy(ip + 12, tunnel_src, 4);
		memcpy(ip + 16, tunnel_dst, 4);
	}
	memcpy(f.bytes + 14 + 20 * depth, inner->bytes + 14, packet);
	f.len = (uint16_t)(14 + 20 * depth + packet);
	return f;
}

/*
 * The fixture: one net_ring port, one pattern set, shared by the tests
 */

static struct {
	struct rte_mempool *mbuf_pool;
	struct rte_ring *rx_ring;      /* the port's RX queue: frames go here */
	struct rte_ring *tx_ring;      /* rte_eth_from_rings wants one */
	uint16_t port;
	unsigned int worker_lcore;
	struct pat_set *set;           /* the active set */
} fx;

static struct pat_set *
set_from_csv(const char *csv, uint64_t version)
{
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };

	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "unit", "unit.csv", csv, strlen(csv),
			   PAT_FEED_CSV, &err) != 0)
		fail_msg("%s:%u: %s", err.where, err.line, err.message);
	struct pat_set *set = pat_set_build(feeds, 1, 1, version, &err);
	pat_feed_free(&feed);
	if (set == NULL)
		fail_msg("build: %s", err.message);
	return set;
}

static int
group_setup(void **state)
{
	char csv[4096];
	size_t len;

	(void)state;
	fx.worker_lcore = eal_fixture_worker_lcore();
	assert_true(fx.worker_lcore < RTE_MAX_LCORE);
	fx.mbuf_pool = rte_pktmbuf_pool_create("test_frames", MBUFS, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE,
					       rte_socket_id());
	fx.rx_ring = rte_ring_create("test_rx", 1024, rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	fx.tx_ring = rte_ring_create("test_tx", 64, rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(fx.mbuf_pool);
	assert_non_null(fx.rx_ring);
	assert_non_null(fx.tx_ring);
	int port = rte_eth_from_rings("worker_test", &fx.rx_ring, 1,
				      &fx.tx_ring, 1, rte_socket_id());
	assert_true(port >= 0);
	fx.port = (uint16_t)port;
	assert_int_equal(dp_port_start(fx.port, 1, 256, fx.mbuf_pool, false),
			 0);

	len = (size_t)snprintf(csv, sizeof(csv),
			       "type,value,tags,source\n"
			       "domain,journalide.org,c2,unit\n"
			       "ipv4,203.0.113.7,,\n");
	for (unsigned int i = 0; i < FLOOD_DOMAINS; i++)
		len += (size_t)snprintf(csv + len, sizeof(csv) - len,
					"domain,flood%02u.example,,\n", i);
	assert_true(len < sizeof(csv));
	fx.set = set_from_csv(csv, 5);
	dp_clock_init();
	/* No reader yet: the first publish has nothing to replace. */
	assert_null(dp_publish(fx.set));
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	assert_ptr_equal(dp_publish(NULL), fx.set);
	pat_set_free(fx.set);
	dp_port_stop(fx.port);
	rte_ring_free(fx.rx_ring);
	rte_ring_free(fx.tx_ring);
	rte_mempool_free(fx.mbuf_pool);
	return 0;
}

/*
 * One worker run: a worker, its hit ring and record pool, its results
 */

struct worker_run {
	struct dp_worker *w;
	bool launched;
	struct rte_ring *hit_ring;
	struct rte_mempool *hit_pool;
	unsigned int hit_records;
	struct dp_worker_stats stats;  /* as published when the loop ended */
	struct dp_hit *hits;           /* copies, in the order of the ring */
	unsigned int n_hits;
};

static void
run_prepare(struct worker_run *run, unsigned int ring_size,
	    unsigned int hit_records, bool backpressure)
{
	struct dp_worker *w;

	run->hit_records = hit_records;
	run->hit_ring = rte_ring_create("test_hits", ring_size,
					rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	/* No per-lcore cache: a pool of two records holds two. */
	run->hit_pool = rte_mempool_create("test_hits", hit_records,
					   sizeof(struct dp_hit), 0, 0, NULL,
					   NULL, NULL, NULL, rte_socket_id(),
					   0);
	run->w = w = rte_zmalloc("test_worker", sizeof(*w),
				 RTE_CACHE_LINE_SIZE);
	run->hits = calloc(FRAMES_MAX, sizeof(*run->hits));
	assert_non_null(run->hit_ring);
	assert_non_null(run->hit_pool);
	assert_non_null(w);
	assert_non_null(run->hits);
	w->index = 0;
	w->port = fx.port;
	w->queue = 0;
	w->lcore = fx.worker_lcore;
	w->backpressure = backpressure;
	w->stop = false;
	w->hit_ring = run->hit_ring;
	w->hit_pool = run->hit_pool;
	dp_worker_set_port_kind(w, IPPROTO_UDP, SYSLOG_PORT, DP_PORT_SYSLOG);
	dp_worker_set_port_kind(w, IPPROTO_UDP, DNS_PORT, DP_PORT_DNS);
	dp_worker_set_port_kind(w, IPPROTO_TCP, SYSLOG_PORT, DP_PORT_SYSLOG);
	dp_worker_set_port_kind(w, IPPROTO_TCP, DNS_PORT, DP_PORT_DNS);
	dp_worker_set_port_kind(w, IPPROTO_UDP, UDP_ONLY_PORT, DP_PORT_SYSLOG);
	assert_int_equal(dp_worker_init(w, &(struct dp_fragment_config){
		.datagrams_max = 16, .timeout_ms = 1000 }, NULL,
		(int)rte_socket_id()), 0);
}

static int
run_setup(void **state)
{
	struct worker_run *run = calloc(1, sizeof(*run));

	assert_non_null(run);
	*state = run;
	return 0;
}

/* Also after a failed assertion: the worker is stopped before its ring
 * and pool go, so that the next test finds the lcore free. */
static int
run_teardown(void **state)
{
	struct worker_run *run = *state;

	if (run->launched) {
		__atomic_store_n(&run->w->stop, true, __ATOMIC_RELEASE);
		rte_eal_wait_lcore(fx.worker_lcore);
	}
	if (run->w != NULL)
		dp_worker_release(run->w);
	rte_free(run->w);
	rte_ring_free(run->hit_ring);
	rte_mempool_free(run->hit_pool);
	free(run->hits);
	free(run);
	/* Whatever a failed test left: another set active (it leaks), frames
	 * in the port's ring. */
	if (dp_active_set != fx.set)
		dp_publish(fx.set);
	struct rte_mbuf *m;
	while (rte_ring_dequeue(fx.rx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	return 0;
}

/* Copies the records in the hit ring and returns them to the pool, as the
 * exporter would. */
static void
run_collect(struct worker_run *run)
{
	struct dp_hit *hit;

	while (rte_ring_sc_dequeue(run->hit_ring, (void **)&hit) == 0) {
		assert_true(run->n_hits < FRAMES_MAX);
		run->hits[run->n_hits++] = *hit;
		rte_mempool_put(run->hit_pool, hit);
	}
}

/* Capture times are only set when capture_us is given (one per frame). */
static void
frames_to_mbufs(const struct frame *frames, unsigned int n,
		const uint64_t *capture_us, struct rte_mbuf **mbufs)
{
	int offset = -1;
	uint64_t flag = 0;

	if (capture_us != NULL)
		assert_int_equal(rte_mbuf_dyn_rx_timestamp_register(&offset,
								    &flag), 0);
	assert_int_equal(rte_pktmbuf_alloc_bulk(fx.mbuf_pool, mbufs, n), 0);
	for (unsigned int i = 0; i < n; i++) {
		char *data = rte_pktmbuf_append(mbufs[i], frames[i].len);
		assert_non_null(data);
		memcpy(data, frames[i].bytes, frames[i].len);
		if (capture_us != NULL) {
			rte_mbuf_timestamp_t *t = RTE_MBUF_DYNFIELD(mbufs[i],
				offset, rte_mbuf_timestamp_t *);
			*t = capture_us[i];
			mbufs[i]->ol_flags |= flag;
		}
	}
}

/* Launches the worker, hands it the frames in one enqueue, waits until
 * its published counters show every frame handled, stops it and takes
 * the hit records. In replay mode (backpressure) the records are taken
 * while it runs, as the exporter does, or it would wait forever. */
static void
run_frames(struct worker_run *run, const struct frame *frames, unsigned int n,
	   const uint64_t *capture_us)
{
	struct rte_mbuf *mbufs[FRAMES_MAX];
	struct dp_worker_stats stats;

	assert_true(n <= FRAMES_MAX);
	frames_to_mbufs(frames, n, capture_us, mbufs);
	assert_int_equal(rte_eal_remote_launch(dp_worker_main, run->w,
					       fx.worker_lcore), 0);
	run->launched = true;
	/* All at once: a burst holds none of them or all. */
	assert_int_equal(rte_ring_enqueue_bulk(fx.rx_ring, (void **)mbufs, n,
					       NULL), n);
	uint64_t deadline = monotonic_ms() + WAIT_MS;
	do {
		if (run->w->backpressure)
			run_collect(run);
		dp_worker_stats_read(run->w, &stats);
		if (stats.packets == n)
			break;
		usleep(100);
	} while (monotonic_ms() < deadline);
	__atomic_store_n(&run->w->stop, true, __ATOMIC_RELEASE);
	assert_int_equal(rte_eal_wait_lcore(fx.worker_lcore), 0);
	run->launched = false;
	dp_worker_stats_read(run->w, &run->stats);
	if (run->stats.packets != n)
		fail_msg("the worker handled %" PRIu64 " of %u frames in %d ms",
			 run->stats.packets, n, WAIT_MS);
	run_collect(run);
	/* The worker freed every frame, and every record dropped went
	 * back to the pool (the rest were returned by run_collect). */
	assert_int_equal(rte_mempool_avail_count(fx.mbuf_pool), MBUFS);
	assert_int_equal(rte_mempool_avail_count(run->hit_pool),
			 run->hit_records);
}

/* The named counters a test expects; the rest of dp_worker_stats is
 * timing. Fields not given are expected to be zero. */
struct counters {
	uint64_t packets, bytes, syslog_messages, dns_messages, hits,
		hit_messages, malformed_frame, malformed_syslog, malformed_dns,
		fragments, tcp_skipped, other, too_deep, match_errors,
		hits_overflow, drop_hit_pool, drop_ring_full, drop_fanout_full,
		fanout_sent;
};

#define COUNTER_CHECK(name) do { \
	if (got->name != want.name) \
		fail_msg("counter " #name ": %" PRIu64 ", expected %" PRIu64, \
			 got->name, want.name); \
} while (0)

static void
assert_counters(const struct dp_worker_stats *got, struct counters want)
{
	COUNTER_CHECK(packets);
	COUNTER_CHECK(bytes);
	COUNTER_CHECK(syslog_messages);
	COUNTER_CHECK(dns_messages);
	COUNTER_CHECK(hits);
	COUNTER_CHECK(hit_messages);
	COUNTER_CHECK(malformed_frame);
	COUNTER_CHECK(malformed_syslog);
	COUNTER_CHECK(malformed_dns);
	COUNTER_CHECK(fragments);
	COUNTER_CHECK(tcp_skipped);
	COUNTER_CHECK(other);
	COUNTER_CHECK(too_deep);
	COUNTER_CHECK(match_errors);
	COUNTER_CHECK(hits_overflow);
	COUNTER_CHECK(drop_hit_pool);
	COUNTER_CHECK(drop_ring_full);
	COUNTER_CHECK(drop_fanout_full);
	COUNTER_CHECK(fanout_sent);
}

static uint64_t
frames_bytes(const struct frame *frames, unsigned int n)
{
	uint64_t bytes = 0;

	for (unsigned int i = 0; i < n; i++)
		bytes += frames[i].len;
	return bytes;
}

static const char *
hit_value(const struct dp_hit *hit, unsigned int i)
{
	return pat_set_indicator(hit->set, hit->hits.ids[i])->value;
}

/* A hit of one indicator, carried by the active set. */
static void
assert_one_hit(const struct dp_hit *hit, const char *value)
{
	assert_ptr_equal(hit->set, fx.set);
	assert_int_equal(hit->hits.count, 1);
	assert_int_equal(hit->hits.overflow, 0);
	assert_string_equal(hit_value(hit, 0), value);
}

/* Events carry the burst's wall-clock time when the port gives none. */
static void
assert_time_is_now(const struct dp_hit *hit)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	int64_t diff = (int64_t)hit->time_ns -
		((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	if (diff < -5000000000LL || diff > 1000000000LL)
		fail_msg("hit time is %" PRId64 " ns off the clock", diff);
}

/*
 * Tests
 */

static void
test_syslog_hit(void **state)
{
	struct worker_run *run = *state;
	struct frame f = frame_syslog(watched_syslog);

	run_prepare(run, 64, 64, false);
	run_frames(run, &f, 1, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 1, .bytes = f.len, .syslog_messages = 1, .hits = 1,
		.hit_messages = 1 });
	assert_int_equal(run->n_hits, 1);
	const struct dp_hit *hit = &run->hits[0];
	assert_one_hit(hit, "journalide.org");
	assert_int_equal(hit->kind, DP_MESSAGE_SYSLOG);
	assert_int_equal(hit->frame, 1);
	assert_int_equal(hit->worker, 0);
	assert_int_equal(hit->ip_version, 4);
	assert_int_equal(hit->l4_proto, IPPROTO_UDP);
	assert_int_equal(hit->src_port, CLIENT_PORT);
	assert_int_equal(hit->dst_port, SYSLOG_PORT);
	assert_memory_equal(hit->src_addr, client_addr, 4);
	assert_memory_equal(hit->dst_addr, server_addr, 4);
	assert_false(hit->truncated);
	assert_int_equal(hit->payload_len, strlen(watched_syslog));
	assert_memory_equal(hit->payload, watched_syslog, hit->payload_len);
	assert_time_is_now(hit);
}

static void
test_dns_query_hit(void **state)
{
	struct worker_run *run = *state;
	struct frame f = frame_dns_query("cdn.journalide.org");
	uint8_t msg[512];
	size_t msg_len = dns_message(msg, "cdn.journalide.org", NULL);

	run_prepare(run, 64, 64, false);
	run_frames(run, &f, 1, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 1, .bytes = f.len, .dns_messages = 1, .hits = 1,
		.hit_messages = 1 });
	assert_int_equal(run->n_hits, 1);
	const struct dp_hit *hit = &run->hits[0];
	assert_one_hit(hit, "journalide.org");
	assert_int_equal(hit->kind, DP_MESSAGE_DNS);
	assert_int_equal(hit->src_port, CLIENT_PORT);
	assert_int_equal(hit->dst_port, DNS_PORT);
	assert_int_equal(hit->payload_len, msg_len);
	assert_memory_equal(hit->payload, msg, msg_len);
}

/* A clean name whose A record is a watched address. */
static void
test_dns_answer_hit(void **state)
{
	struct worker_run *run = *state;
	struct frame f = frame_dns_answer("www.example.net", watched_addr);

	run_prepare(run, 64, 64, false);
	run_frames(run, &f, 1, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 1, .bytes = f.len, .dns_messages = 1, .hits = 1,
		.hit_messages = 1 });
	assert_int_equal(run->n_hits, 1);
	assert_one_hit(&run->hits[0], "203.0.113.7");
	assert_int_equal(run->hits[0].kind, DP_MESSAGE_DNS);
	assert_int_equal(run->hits[0].src_port, DNS_PORT);
}

/* Near misses included: a name that ends in the watched one but is not
 * a subdomain of it, an answer next to the watched address. */
static void
test_clean_traffic_no_hit(void **state)
{
	struct worker_run *run = *state;
	const uint8_t near_addr[4] = { 203, 0, 113, 8 };
	struct frame frames[] = {
		frame_syslog(clean_syslog),
		frame_dns_query("www.notjournalide.org"),
		frame_dns_answer("www.example.net", near_addr),
	};

	run_prepare(run, 64, 64, false);
	run_frames(run, frames, 3, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 3, .bytes = frames_bytes(frames, 3),
		.syslog_messages = 1, .dns_messages = 2 });
	assert_int_equal(run->n_hits, 0);
}

/* The watched message, cut: inside its payload (the IP total length
 * lies), inside the IPv4 header, and inside the Ethernet header. None is
 * parsed or matched; each is one malformed_frame. */
static void
test_truncated_frames(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[3];

	for (unsigned int i = 0; i < 3; i++)
		frames[i] = frame_syslog(watched_syslog);
	frames[0].len = 14 + 20 + 8 + 20;
	frames[1].len = 14 + 12;
	frames[2].len = 10;
	run_prepare(run, 64, 64, false);
	run_frames(run, frames, 3, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 3, .bytes = frames_bytes(frames, 3),
		.malformed_frame = 3 });
	assert_int_equal(run->n_hits, 0);
}

/* Every way a syslog header can break, each carrying the watched name:
 * each is counted malformed and still matched as received
 * (docs/matching.md, "Malformed messages"). */
static const char *const broken_syslog_headers[] = {
	/* PRI over 191, with 4 digits, not closed, not digits, empty. */
	"<999>Nov 26 10:00:05 edr01 falcon: journalide.org",
	"<1234>Nov 26 10:00:05 edr01 falcon: journalide.org",
	"<34 Nov 26 10:00:05 edr01 falcon: journalide.org",
	"<ab>Nov 26 10:00:05 edr01 falcon: journalide.org",
	"<>Nov 26 10:00:05 edr01 falcon: journalide.org",
	/* RFC 5424: a 7-digit fraction, no space after the structured
	 * data, a structured data element not closed, an SD-NAME with a
	 * space, a header cut after the host, two spaces between fields,
	 * a bad month, an APP-NAME over 48 bytes, a time without zone. */
	"<34>1 2026-11-26T10:00:05.1234567Z edr01 falcon 42 - - journalide.org",
	"<34>1 2026-11-26T10:00:05Z edr01 falcon 42 - [a@1 x=\"1\"]journalide.org",
	"<34>1 2026-11-26T10:00:05Z edr01 falcon 42 - [a@1 x=\"1\" journalide.org",
	"<34>1 2026-11-26T10:00:05Z edr01 falcon 42 - [a b] journalide.org",
	"<34>1 2026-11-26T10:00:05Z edr01 journalide.org",
	"<34>1  2026-11-26T10:00:05Z edr01 falcon 42 - - journalide.org",
	"<34>1 2026-13-26T10:00:05Z edr01 falcon 42 - - journalide.org",
	("<34>1 2026-11-26T10:00:05Z edr01 "
	 "falcon01234567890123456789012345678901234567890123 42 - - "
	 "journalide.org"),
	"<34>1 2026-11-26T10:00:05 edr01 falcon 42 - - journalide.org",
};

static void
test_broken_syslog_headers_matched(void **state)
{
	struct worker_run *run = *state;
	const unsigned int n = sizeof(broken_syslog_headers) /
		sizeof(broken_syslog_headers[0]);
	struct frame frames[sizeof(broken_syslog_headers) /
			    sizeof(broken_syslog_headers[0])];

	for (unsigned int i = 0; i < n; i++)
		frames[i] = frame_syslog(broken_syslog_headers[i]);
	run_prepare(run, 64, 64, false);
	run_frames(run, frames, n, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = n, .bytes = frames_bytes(frames, n),
		.syslog_messages = n, .malformed_syslog = n, .hits = n,
		.hit_messages = n });
	assert_int_equal(run->n_hits, n);
	for (unsigned int i = 0; i < n; i++) {
		assert_one_hit(&run->hits[i], "journalide.org");
		/* The record carries the message as received. */
		assert_int_equal(run->hits[i].payload_len,
				 strlen(broken_syslog_headers[i]));
		assert_memory_equal(run->hits[i].payload,
				    broken_syslog_headers[i],
				    run->hits[i].payload_len);
	}
}

/* DNS messages broken past their question keep the question and every
 * answer before the break; one whose header or question does not parse
 * is matched as text. Each is counted malformed. */
static void
test_broken_dns_matched(void **state)
{
	struct worker_run *run = *state;
	uint8_t msg[512];
	struct frame frames[4];
	size_t len;

	/* ANCOUNT says 1, no answer is there. */
	len = dns_message(msg, "cdn.journalide.org", NULL);
	put16(msg + 6, 1);
	frames[0] = frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, DNS_PORT, msg, len);
	/* The watched address as the first answer, then ANCOUNT says 2
	 * with the second cut in its owner name. */
	len = dns_message(msg, "www.example.net", watched_addr);
	put16(msg + 6, 2);
	msg[len++] = 0xc0;
	frames[1] = frame_ipv4(IPPROTO_UDP, 0, DNS_PORT, CLIENT_PORT, msg, len);
	/* QDCOUNT 0: no question, the name is in the bytes. */
	len = dns_message(msg, "cdn.journalide.org", NULL);
	put16(msg + 4, 0);
	frames[2] = frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, DNS_PORT, msg, len);
	/* A header of 3 bytes: nothing to match, counted. */
	frames[3] = frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, DNS_PORT,
			       "\x12\x34\x01", 3);
	run_prepare(run, 64, 64, false);
	run_frames(run, frames, 4, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 4, .bytes = frames_bytes(frames, 4),
		.dns_messages = 4, .malformed_dns = 4, .hits = 3,
		.hit_messages = 3 });
	assert_int_equal(run->n_hits, 3);
	assert_one_hit(&run->hits[0], "journalide.org");
	assert_one_hit(&run->hits[1], "203.0.113.7");
	assert_one_hit(&run->hits[2], "journalide.org");
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(run->hits[i].kind, DP_MESSAGE_DNS);
}

/* Each carries the watched name, and none is matched: each is counted
 * where the worker stops with it. */
static void
test_skipped_frames(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[] = {
		frame_ipv4(IPPROTO_TCP, 0, CLIENT_PORT, UDP_ONLY_PORT,
			   watched_syslog, strlen(watched_syslog)),
		frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, 9999, watched_syslog,
			   strlen(watched_syslog)),
		frame_syslog(watched_syslog),
	};
	/* The last one made an ARP frame: not IP. */
	frames[2].bytes[12] = 0x08;
	frames[2].bytes[13] = 0x06;
	frames[2].len = 14 + 28;

	run_prepare(run, 64, 64, false);
	run_frames(run, frames, 3, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 3, .bytes = frames_bytes(frames, 3),
		.tcp_skipped = 1, .other = 2 });
	assert_int_equal(run->n_hits, 0);
}

/* A TCP segment of the client's stream to port: seq, flags, payload. */
static struct frame
frame_tcp(uint16_t port, uint32_t seq, uint8_t flags, const char *payload)
{
	struct frame f = frame_ipv4(IPPROTO_TCP, 0, CLIENT_PORT, port, payload,
				    strlen(payload));
	uint8_t *tcp = f.bytes + 14 + 20;

	put16(tcp + 4, (uint16_t)(seq >> 16));
	put16(tcp + 6, (uint16_t)seq);
	tcp[13] = flags;
	return f;
}

/* TCP syslog in both framings and DNS over TCP: a message over two
 * segments, the second segment first; an octet-counted message with a
 * newline in it; a DNS query whose length prefix is split from it. Each
 * hits once, as TCP. */
static void
test_tcp_streams(void **state)
{
	struct worker_run *run = *state;
	uint8_t dns[512];
	char dns_stream[600];
	size_t dns_len = dns_message(dns, "cdn.journalide.org", NULL);
	const char octets[] = "52 <34>Nov 26 10:00:05 edr01 a: one\nline journalide.org";
	struct frame frames[9];

	frames[0] = frame_tcp(SYSLOG_PORT, 100, 0x02, "");          /* SYN */
	/* "<34>... host contacted journalide.org:443\n" in two pieces,
	 * the second first. */
	frames[1] = frame_tcp(SYSLOG_PORT, 101 + 20, 0x18,
			      watched_syslog + 20);
	frames[2] = frame_tcp(SYSLOG_PORT, 101, 0x18, "");
	memcpy(frames[2].bytes + 54, watched_syslog, 20);
	frames[2].len = 54 + 20;
	put16(frames[2].bytes + 16, 20 + 20 + 20);
	/* The LF that ends the first message. */
	frames[3] = frame_tcp(SYSLOG_PORT, 101 + (uint32_t)strlen(watched_syslog),
			      0x18, "\n");
	/* Another stream on 601: octet counting, picked up mid-way. */
	frames[4] = frame_tcp(DP_SYSLOG_TCP_PORT, 7000, 0x18, octets);
	frames[4].bytes[34 + 1] = 0x46;            /* another client port */
	/* DNS: the 2-byte length alone, then the message. */
	dns_stream[0] = (char)(dns_len >> 8);
	dns_stream[1] = (char)dns_len;
	frames[5] = frame_tcp(DNS_PORT, 1, 0x02, "");
	frames[6] = frame_tcp(DNS_PORT, 2, 0x18, "");
	memcpy(frames[6].bytes + 54, dns_stream, 2);
	frames[6].len = 56;
	put16(frames[6].bytes + 16, 42);
	frames[7] = frame_tcp(DNS_PORT, 4, 0x18, "");
	memcpy(frames[7].bytes + 54, dns, dns_len);
	frames[7].len = (uint16_t)(54 + dns_len);
	put16(frames[7].bytes + 16, (uint16_t)(40 + dns_len));
	frames[8] = frame_tcp(DNS_PORT, 4 + (uint32_t)dns_len, 0x11, "");
	run_prepare(run, 64, 64, false);
	dp_worker_set_port_kind(run->w, IPPROTO_TCP, DP_SYSLOG_TCP_PORT,
				DP_PORT_SYSLOG);
	run_frames(run, frames, 9, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 9, .bytes = frames_bytes(frames, 9),
		.syslog_messages = 2, .dns_messages = 1, .hits = 3,
		.hit_messages = 3 });
	assert_int_equal(run->stats.stream.messages, 3);
	assert_int_equal(run->stats.stream.streams_midstream, 1);
	assert_int_equal(run->stats.stream.segments_out_of_order, 1);
	assert_int_equal(run->n_hits, 3);
	/* The first message, whole, when its LF came (frame 4). */
	assert_one_hit(&run->hits[0], "journalide.org");
	assert_int_equal(run->hits[0].l4_proto, IPPROTO_TCP);
	assert_int_equal(run->hits[0].frame, 4);
	assert_int_equal(run->hits[0].payload_len, strlen(watched_syslog));
	assert_memory_equal(run->hits[0].payload, watched_syslog,
			    strlen(watched_syslog));
	/* The octet-counted one, newline included, 52 bytes. */
	assert_int_equal(run->hits[1].payload_len, 52);
	assert_memory_equal(run->hits[1].payload, octets + 3, 52);
	assert_int_equal(run->hits[2].kind, DP_MESSAGE_DNS);
	assert_int_equal(run->hits[2].frame, 8);
}

/* The IPv4 packet of f cut in two fragments at cut bytes of its IP
 * payload (a multiple of 8). */
static void
frame_fragments(const struct frame *f, size_t cut, struct frame out[2])
{
	size_t ip_len = (size_t)(f->bytes[16] << 8 | f->bytes[17]);

	for (int i = 0; i < 2; i++) {
		size_t from = i == 0 ? 0 : cut;
		size_t n = i == 0 ? cut : ip_len - 20 - cut;
		memcpy(out[i].bytes, f->bytes, 14 + 20);
		memcpy(out[i].bytes + 34, f->bytes + 34 + from, n);
		put16(out[i].bytes + 16, (uint16_t)(20 + n));
		put16(out[i].bytes + 20, (uint16_t)(i == 0 ? 0x2000 : cut / 8));
		out[i].len = (uint16_t)(34 + n);
	}
}

/* A syslog message and a DNS query, each in two fragments, the DNS one
 * last piece first: both reassembled and matched (test_fragment.c has
 * the ways a fragment is dropped). */
static void
test_fragments_reassembled(void **state)
{
	struct worker_run *run = *state;
	struct frame syslog = frame_syslog(watched_syslog);
	struct frame dns = frame_dns_query("cdn.journalide.org");
	struct frame frames[4];

	frame_fragments(&syslog, 32, &frames[0]);
	frame_fragments(&dns, 24, &frames[2]);
	struct frame swap = frames[2];
	frames[2] = frames[3];
	frames[3] = swap;
	run_prepare(run, 64, 64, false);
	run_frames(run, frames, 4, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 4, .bytes = frames_bytes(frames, 4),
		.fragments = 4, .syslog_messages = 1, .dns_messages = 1,
		.hits = 2, .hit_messages = 2 });
	assert_int_equal(run->stats.fragment.reassembled, 2);
	assert_int_equal(run->n_hits, 2);
	assert_one_hit(&run->hits[0], "journalide.org");
	assert_int_equal(run->hits[0].kind, DP_MESSAGE_SYSLOG);
	assert_int_equal(run->hits[0].payload_len, strlen(watched_syslog));
	assert_memory_equal(run->hits[0].payload, watched_syslog,
			    strlen(watched_syslog));
	assert_int_equal(run->hits[1].kind, DP_MESSAGE_DNS);
	assert_int_equal(run->hits[1].frame, 4);
}

/* The watched message in VXLAN is matched, and its hit says how it came;
 * VXLAN to a port the worker was not given is UDP to that port; IP-in-IP
 * as deep as the limit is matched, one deeper counted apart. */
static void
test_tunnelled_frames(void **state)
{
	struct worker_run *run = *state;
	struct frame plain = frame_syslog(watched_syslog);
	struct frame frames[] = {
		frame_vxlan(&plain, 4789, 42),
		frame_vxlan(&plain, 8472, 42),
		frame_ipip(&plain, DP_DECODE_LAYERS_MAX),
		frame_ipip(&plain, DP_DECODE_LAYERS_MAX + 1),
	};

	run_prepare(run, 64, 64, false);
	run->w->decode = (struct dp_decode_config)DP_DECODE_CONFIG_DEFAULT;
	run_frames(run, frames, 4, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 4, .bytes = frames_bytes(frames, 4),
		.syslog_messages = 2, .hits = 2, .hit_messages = 2,
		.other = 1, .too_deep = 1 });
	assert_int_equal(run->n_hits, 2);
	const struct dp_hit *hit = &run->hits[0];
	assert_one_hit(hit, "journalide.org");
	assert_memory_equal(hit->src_addr, client_addr, 4);
	assert_int_equal(hit->dst_port, SYSLOG_PORT);
	assert_int_equal(hit->payload_len, strlen(watched_syslog));
	assert_int_equal(hit->encap.n_layers, 1);
	assert_int_equal(hit->encap.layers[0], DP_ENCAP_VXLAN);
	assert_true(hit->encap.has_tunnel_id);
	assert_int_equal(hit->encap.tunnel_id, 42);
	assert_int_equal(hit->encap.outer_ip_version, 4);
	assert_memory_equal(hit->encap.outer_src_addr, tunnel_src, 4);
	assert_memory_equal(hit->encap.outer_dst_addr, tunnel_dst, 4);
	hit = &run->hits[1];
	assert_int_equal(hit->frame, 3);
	assert_int_equal(hit->encap.n_layers, DP_DECODE_LAYERS_MAX);
	assert_int_equal(hit->encap.layers[DP_DECODE_LAYERS_MAX - 1],
			 DP_ENCAP_IPIP);
}

/* replay --messages: a record for every syslog and DNS message, hit or
 * not, header parsed or not, in frame order; none for what is no message
 * (TCP, other ports); hits counted only for messages with hits. In
 * replay mode, with fewer records in the pool than messages. */
static void
test_record_messages(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[] = {
		frame_syslog(watched_syslog),
		frame_syslog(clean_syslog),
		frame_dns_query("www.example.net"),
		frame_dns_answer("www.example.net", watched_addr),
		frame_syslog("<999>a header that does not parse"),
		frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, 9999, "x", 1),
		frame_ipv4(IPPROTO_UDP, 0, CLIENT_PORT, DNS_PORT,
			   "\x12\x34\x01", 3),
		frame_ipv4(IPPROTO_TCP, 0, CLIENT_PORT, UDP_ONLY_PORT,
			   watched_syslog, strlen(watched_syslog)),
	};
	static const struct {
		uint64_t frame;
		enum dp_message_kind kind;
		uint16_t hits;
		uint16_t payload_len;
	} want[] = {
		{ 1, DP_MESSAGE_SYSLOG, 1, sizeof(watched_syslog) - 1 },
		{ 2, DP_MESSAGE_SYSLOG, 0, sizeof(clean_syslog) - 1 },
		{ 3, DP_MESSAGE_DNS, 0, 12 + 17 + 4 },
		{ 4, DP_MESSAGE_DNS, 1, 12 + 17 + 4 + 16 },
		{ 5, DP_MESSAGE_SYSLOG, 0, 33 },
		{ 7, DP_MESSAGE_DNS, 0, 3 },
	};
	unsigned int n_want = sizeof(want) / sizeof(want[0]);

	run_prepare(run, 8, 4, true);
	run->w->record_messages = true;
	run_frames(run, frames, 8, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 8, .bytes = frames_bytes(frames, 8),
		.syslog_messages = 3, .dns_messages = 3, .hits = 2,
		.hit_messages = 2, .malformed_syslog = 1, .malformed_dns = 1,
		.other = 1, .tcp_skipped = 1 });
	assert_int_equal(run->n_hits, n_want);
	for (unsigned int i = 0; i < n_want; i++) {
		const struct dp_hit *hit = &run->hits[i];
		if (hit->frame != want[i].frame || hit->kind != want[i].kind ||
		    hit->hits.count != want[i].hits ||
		    hit->payload_len != want[i].payload_len)
			fail_msg("record %u: frame %" PRIu64 ", kind %u, %u hits, "
				 "%u bytes; expected frame %" PRIu64 ", kind %u, "
				 "%u hits, %u bytes", i, hit->frame, hit->kind,
				 hit->hits.count, hit->payload_len,
				 want[i].frame, want[i].kind, want[i].hits,
				 want[i].payload_len);
		assert_ptr_equal(hit->set, fx.set);
		assert_false(hit->truncated);
	}
	assert_string_equal(hit_value(&run->hits[0], 0), "journalide.org");
	assert_string_equal(hit_value(&run->hits[3], 0), "203.0.113.7");
}

/* One message with more distinct indicators than a record holds. */
static void
test_hits_overflow(void **state)
{
	struct worker_run *run = *state;
	char message[1400];
	size_t len = (size_t)snprintf(message, sizeof(message),
				      "<34>Nov 26 10:00:05 edr01 dns: flood");

	for (unsigned int i = 0; i < FLOOD_DOMAINS; i++)
		len += (size_t)snprintf(message + len, sizeof(message) - len,
					" flood%02u.example", i);
	assert_true(len < sizeof(message));
	struct frame f = frame_syslog(message);

	run_prepare(run, 64, 64, false);
	run_frames(run, &f, 1, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 1, .bytes = f.len, .syslog_messages = 1,
		.hits = PAT_HITS_MAX, .hit_messages = 1,
		.hits_overflow = FLOOD_DOMAINS - PAT_HITS_MAX });
	assert_int_equal(run->n_hits, 1);
	assert_int_equal(run->hits[0].hits.count, PAT_HITS_MAX);
	assert_int_equal(run->hits[0].hits.overflow,
			 FLOOD_DOMAINS - PAT_HITS_MAX);
}

/* A live worker drops what the exporter's ring cannot take: a ring of
 * four holds three, the other five records go back to the pool. */
static void
test_ring_full_drops(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[8];

	for (unsigned int i = 0; i < 8; i++)
		frames[i] = frame_syslog(watched_syslog);
	run_prepare(run, 4, 64, false);
	run_frames(run, frames, 8, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 8, .bytes = frames_bytes(frames, 8),
		.syslog_messages = 8, .hits = 8, .hit_messages = 8,
		.drop_ring_full = 5 });
	assert_int_equal(run->n_hits, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(run->hits[i].frame, i + 1);
}

/* A live worker drops a hit when no record is free. */
static void
test_hit_pool_drops(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[5];

	for (unsigned int i = 0; i < 5; i++)
		frames[i] = frame_syslog(watched_syslog);
	run_prepare(run, 64, 2, false);
	run_frames(run, frames, 5, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 5, .bytes = frames_bytes(frames, 5),
		.syslog_messages = 5, .hits = 5, .hit_messages = 5,
		.drop_hit_pool = 3 });
	assert_int_equal(run->n_hits, 2);
	assert_int_equal(run->hits[0].frame, 1);
	assert_int_equal(run->hits[1].frame, 2);
}

/* Replay mode: 40 hits, a ring that holds three records and a pool of
 * eight. The worker waits for room in the ring and for a free record
 * while the test takes them, as the exporter does, and loses nothing. */
static void
test_backpressure_loses_nothing(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[40];

	for (unsigned int i = 0; i < 40; i++)
		frames[i] = frame_syslog(watched_syslog);
	run_prepare(run, 4, 8, true);
	run_frames(run, frames, 40, NULL);
	assert_counters(&run->stats, (struct counters){
		.packets = 40, .bytes = frames_bytes(frames, 40),
		.syslog_messages = 40, .hits = 40, .hit_messages = 40 });
	assert_int_equal(run->n_hits, 40);
	for (unsigned int i = 0; i < 40; i++)
		assert_int_equal(run->hits[i].frame, i + 1);
}

/* With capture times (net_pcap's dynfield, microseconds), a hit carries
 * the frame's time, not the burst's. */
static void
test_capture_time(void **state)
{
	struct worker_run *run = *state;
	struct frame frames[] = {
		frame_syslog(watched_syslog),
		frame_dns_query("cdn.journalide.org"),
	};
	const uint64_t capture_us[] = { 1795687205123456ULL,
		1795687206000001ULL };

	int offset;
	uint64_t flag;

	/* As net_pcap does when its port starts, before the worker looks. */
	assert_int_equal(rte_mbuf_dyn_rx_timestamp_register(&offset, &flag), 0);
	run_prepare(run, 64, 64, false);
	dp_worker_use_capture_time(run->w);
	assert_int_equal(run->w->timestamp_offset, offset);
	run_frames(run, frames, 2, capture_us);
	assert_int_equal(run->n_hits, 2);
	assert_int_equal(run->hits[0].time_ns, capture_us[0] * 1000);
	assert_int_equal(run->hits[1].time_ns, capture_us[1] * 1000);
}

/* A set published while the worker runs is the one its next burst
 * matches against, and its hit records carry it. */
static void
test_set_published_between_bursts(void **state)
{
	struct worker_run *run = *state;
	struct frame first = frame_syslog(watched_syslog);
	struct rte_mbuf *m;
	struct dp_worker_stats stats;
	char message[256];

	snprintf(message, sizeof(message), "%s via relay.other.example",
		 watched_syslog);
	struct frame second = frame_syslog(message);
	struct pat_set *other = set_from_csv("domain,other.example\n", 6);

	run_prepare(run, 64, 64, false);
	run_frames(run, &first, 1, NULL);
	assert_int_equal(run->n_hits, 1);
	assert_ptr_equal(run->hits[0].set, fx.set);

	/* Again, the new set published while the worker polls. */
	__atomic_store_n(&run->w->stop, false, __ATOMIC_RELEASE);
	assert_int_equal(rte_eal_remote_launch(dp_worker_main, run->w,
					       fx.worker_lcore), 0);
	run->launched = true;
	assert_ptr_equal(dp_publish(other), fx.set);
	frames_to_mbufs(&second, 1, NULL, &m);
	assert_int_equal(rte_ring_enqueue(fx.rx_ring, m), 0);
	uint64_t deadline = monotonic_ms() + WAIT_MS;
	do {
		dp_worker_stats_read(run->w, &stats);
		usleep(100);
	} while (stats.packets < 2 && monotonic_ms() < deadline);
	__atomic_store_n(&run->w->stop, true, __ATOMIC_RELEASE);
	assert_int_equal(rte_eal_wait_lcore(fx.worker_lcore), 0);
	run->launched = false;
	assert_ptr_equal(dp_publish(fx.set), other);
	run_collect(run);
	dp_worker_stats_read(run->w, &stats);
	assert_int_equal(stats.packets, 2);
	assert_int_equal(run->n_hits, 2);
	const struct dp_hit *hit = &run->hits[1];
	assert_ptr_equal(hit->set, other);
	assert_int_equal(hit->frame, 2);
	assert_int_equal(hit->hits.count, 1);
	assert_string_equal(hit_value(hit, 0), "other.example");
	pat_set_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define WORKER_TEST(f) \
	cmocka_unit_test_setup_teardown(f, run_setup, run_teardown)
		WORKER_TEST(test_syslog_hit),
		WORKER_TEST(test_dns_query_hit),
		WORKER_TEST(test_dns_answer_hit),
		WORKER_TEST(test_clean_traffic_no_hit),
		WORKER_TEST(test_truncated_frames),
		WORKER_TEST(test_broken_syslog_headers_matched),
		WORKER_TEST(test_broken_dns_matched),
		WORKER_TEST(test_skipped_frames),
		WORKER_TEST(test_fragments_reassembled),
		WORKER_TEST(test_tcp_streams),
		WORKER_TEST(test_tunnelled_frames),
		WORKER_TEST(test_record_messages),
		WORKER_TEST(test_hits_overflow),
		WORKER_TEST(test_ring_full_drops),
		WORKER_TEST(test_hit_pool_drops),
		WORKER_TEST(test_backpressure_loses_nothing),
		WORKER_TEST(test_capture_time),
		WORKER_TEST(test_set_published_between_bursts),
#undef WORKER_TEST
	};
	int rc = eal_fixture_init("test_worker");

	if (rc != 0)
		return rc;
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	eal_fixture_cleanup();
	return rc;
}
