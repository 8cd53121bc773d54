/* replay.c -- `iocsift replay`. net_pcap in DPDK 22.11 has no end-of-file
 * signal, so the frames are counted with libpcap first and the replay ends
 * when the worker has handled that many (see docs/architecture.md). A
 * capture cut short is replayed up to its last whole frame, where
 * net_pcap stops reading too. */
#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "clock.h"
#include "exporter.h"
#include "hit.h"
#include "port.h"
#include "publish.h"
#include "replay.h"
#include "worker.h"

RTE_LOG_REGISTER(dp_logtype_replay, iocsift.replay, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_replay, "replay: " __VA_ARGS__)

#define MBUF_COUNT 8191
#define HIT_RECORDS 4095
#define HIT_RING_SIZE 4096
#define STALL_SECONDS 10
#define EAL_ARGS_MAX 64

/* What a replay owns, released in reverse order by replay_release(). */
struct replay {
	const struct dp_replay_options *opt;
	uint64_t frames;           /* whole frames */
	bool raw_ip;               /* the capture's frames start at IP */
	bool truncated;            /* a record past them could not be read */
	long truncated_offset;     /* where that record starts, -1 unknown */
	uint16_t port;
	bool port_started;
	struct rte_mempool *mbuf_pool;
	struct rte_mempool *hit_pool;
	struct rte_ring *hit_ring;
	struct dp_worker *worker;
	unsigned int worker_lcore;
	struct dp_exporter exporter;
	uint64_t start_cycles;
};

/* The byte offset at which the capture's record number frames + 1
 * starts, for the warning about a capture cut short: the file read again
 * to it. (Asking while counting would cost a seek per frame.) -1 when it
 * cannot be told. */
static long
capture_record_offset(const char *path, uint64_t frames)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pcap = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *header;
	const u_char *data;
	long offset = -1;
	uint64_t n = 0;

	if (pcap == NULL)
		return -1;
	while (n < frames && pcap_next_ex(pcap, &header, &data) == 1)
		n++;
	if (n == frames)
		offset = ftell(pcap_file(pcap));
	pcap_close(pcap);
	return offset;
}

static int
capture_count_frames(struct replay *r)
{
	const char *path = r->opt->capture;
	uint64_t *frames = &r->frames;
	bool *raw_ip = &r->raw_ip;
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pcap = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *header;
	const u_char *data;
	int rc;

	if (pcap == NULL) {
		/* libpcap names the file in some messages and not in others. */
		if (strstr(errbuf, path) != NULL)
			fprintf(stderr, "iocsift: %s\n", errbuf);
		else
			fprintf(stderr, "iocsift: %s: %s\n", path, errbuf);
		return -EINVAL;
	}
	/* Ethernet, or IP without a link header (LINKTYPE_RAW); the rest
	 * is read as Ethernet and counted as other or malformed. */
	int link = pcap_datalink(pcap);
	*raw_ip = link == DLT_RAW || link == DLT_IPV4 || link == DLT_IPV6;
	if (link != DLT_EN10MB && !*raw_ip)
		fprintf(stderr, "iocsift: %s: link type %s is read as Ethernet\n",
			path, pcap_datalink_val_to_name(link) != NULL ?
			pcap_datalink_val_to_name(link) : "unknown");
	*frames = 0;
	while ((rc = pcap_next_ex(pcap, &header, &data)) == 1)
		(*frames)++;
	/* A record cut short (a capture copied while written, a download
	 * cut) or damaged: the whole frames before it are replayed, which
	 * is what net_pcap reads before it stops at the same record. */
	if (rc == PCAP_ERROR) {
		char reason[PCAP_ERRBUF_SIZE + 1];
		snprintf(reason, sizeof(reason), "%s", pcap_geterr(pcap));
		r->truncated = true;
		r->truncated_offset = capture_record_offset(path, *frames);
		if (r->truncated_offset >= 0)
			fprintf(stderr, "iocsift: warning: %s: truncated capture:"
				" the record at byte offset %ld cannot be read"
				" (%s); replaying the %" PRIu64 " whole frames"
				" before it\n", path, r->truncated_offset,
				reason, *frames);
		else
			fprintf(stderr, "iocsift: warning: %s: truncated capture:"
				" the record after frame %" PRIu64 " cannot be"
				" read (%s); replaying the %" PRIu64 " whole"
				" frames before it\n", path, *frames, reason,
				*frames);
	}
	pcap_close(pcap);
	return 0;
}

bool
dp_hugepages_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long free_pages = 0;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	return free_pages > 0;
}

/* EAL's arguments: ours unless the user gave some, plus the vdev. */
static int
eal_args_build(const struct dp_replay_options *opt, char *vdev, size_t size,
	       char **argv)
{
	int argc = 0;

	argv[argc++] = "iocsift";
	if (opt->eal_argc > 0) {
		if (opt->eal_argc > EAL_ARGS_MAX - 2)
			return -E2BIG;
		for (int i = 0; i < opt->eal_argc; i++)
			argv[argc++] = opt->eal_argv[i];
	} else {
		argv[argc++] = "--no-pci";
		argv[argc++] = "--no-telemetry";
		argv[argc++] = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ?
			"-l0,1" : "--lcores=(0,1)@0";
		/* Both keep no files behind, so replays can run side by side;
		 * EAL 22.11 refuses --in-memory together with --no-huge. */
		if (dp_hugepages_available()) {
			argv[argc++] = "--in-memory";
		} else {
			argv[argc++] = "--no-huge";
			argv[argc++] = "-m512";
			argv[argc++] = "--no-shconf";
		}
		argv[argc++] = opt->verbose ?
			"--log-level=info" : "--log-level=warning";
		if (!opt->verbose)
			argv[argc++] = "--log-level=lib.eal:error";
	}
	snprintf(vdev, size, "--vdev=net_pcap0,rx_pcap=%s", opt->capture);
	argv[argc++] = vdev;
	argv[argc] = NULL;
	return argc;
}

static int
replay_eal_init(const struct dp_replay_options *opt)
{
	char *argv[EAL_ARGS_MAX + 1];
	char vdev[4200];

	if (strchr(opt->capture, ',') != NULL || strlen(opt->capture) > 4096) {
		fprintf(stderr, "iocsift: %s: capture paths may not contain ','\n",
			opt->capture);
		return -EINVAL;
	}
	int argc = eal_args_build(opt, vdev, sizeof(vdev), argv);
	if (argc < 0)
		return argc;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "iocsift: EAL init failed%s%s\n",
			rte_errno != 0 ? ": " : " (see EAL's messages above)",
			rte_errno != 0 ? rte_strerror(rte_errno) : "");
		return rte_errno != 0 ? -rte_errno : -EINVAL;
	}
	return 0;
}

static int
replay_sinks(struct replay *r)
{
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];
	int rc = dp_exporter_throttle(&r->exporter, r->opt->throttle_window);

	for (unsigned int i = 0; rc == 0 && i < r->opt->n_sinks; i++) {
		rc = dp_exporter_add_sink(&r->exporter, r->opt->sinks[i],
					  r->opt->spool_root, &err);
		if (rc != 0)
			fprintf(stderr, "iocsift: %s\n",
				error_detail_format(&err, text, sizeof(text)));
	}
	return rc;
}

static int
replay_find_port(struct replay *r)
{
	uint16_t port;

	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(port, &info) == 0 &&
		    strcmp(info.driver_name, "net_pcap") == 0) {
			r->port = port;
			return 0;
		}
	}
	LOG(ERR, "no net_pcap port was probed\n");
	return -ENODEV;
}

static int
replay_alloc(struct replay *r)
{
	/* With room for every fragment the worker's table may hold. */
	r->mbuf_pool = rte_pktmbuf_pool_create("replay_mbufs", MBUF_COUNT +
		r->opt->fragments.datagrams_max * DP_FRAGMENTS_PER_DATAGRAM, 256,
					       0, RTE_MBUF_DEFAULT_BUF_SIZE,
					       rte_socket_id());
	r->hit_pool = rte_mempool_create("replay_hits", HIT_RECORDS,
					 sizeof(struct dp_hit), 64, 0, NULL,
					 NULL, NULL, NULL, rte_socket_id(), 0);
	r->hit_ring = rte_ring_create("replay_hits", HIT_RING_SIZE,
				      rte_socket_id(),
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	r->worker = rte_zmalloc("replay_worker", sizeof(*r->worker),
				RTE_CACHE_LINE_SIZE);
	if (r->mbuf_pool == NULL || r->hit_pool == NULL ||
	    r->hit_ring == NULL || r->worker == NULL) {
		LOG(ERR, "allocating pools and rings: %s\n",
		    rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int
replay_worker_prepare(struct replay *r)
{
	struct dp_worker *w = r->worker;
	int rc;

	r->worker_lcore = rte_get_next_lcore(-1, 1, 0);
	if (r->worker_lcore >= RTE_MAX_LCORE) {
		LOG(ERR, "no worker lcore: EAL needs at least two lcores\n");
		return -EINVAL;
	}
	w->index = 0;
	w->port = r->port;
	w->queue = 0;
	w->backpressure = true;
	w->record_messages = r->opt->messages;
	w->stop = false;
	w->lcore = r->worker_lcore;
	dp_worker_set_port_kind(w, IPPROTO_UDP, r->opt->syslog_port,
				DP_PORT_SYSLOG);
	dp_worker_set_port_kind(w, IPPROTO_UDP, r->opt->dns_port, DP_PORT_DNS);
	/* TCP: the same ports, and 601 for syslog (docs/matching.md). */
	dp_worker_set_port_kind(w, IPPROTO_TCP, r->opt->syslog_port,
				DP_PORT_SYSLOG);
	dp_worker_set_port_kind(w, IPPROTO_TCP, DP_SYSLOG_TCP_PORT,
				DP_PORT_SYSLOG);
	dp_worker_set_port_kind(w, IPPROTO_TCP, r->opt->dns_port, DP_PORT_DNS);
	w->decode = r->opt->decode;
	w->decode.raw_ip = r->raw_ip;
	rc = dp_worker_init(w, &r->opt->fragments, &r->opt->streams,
			    (int)rte_socket_id());
	if (rc != 0) {
		LOG(ERR, "fragment table: %s\n", strerror(-rc));
		return rc;
	}
	w->hit_ring = r->hit_ring;
	w->hit_pool = r->hit_pool;
	dp_worker_use_capture_time(w);
	return 0;
}

/* Exports hits until the worker has handled every frame of the capture,
 * then until it has delivered what its TCP streams still hold (a last
 * line without its LF, a stream without FIN), as rsyslog does when a
 * connection ends. */
static int
replay_wait_for_end(struct replay *r)
{
	struct dp_worker_stats stats;
	struct rte_eth_stats port_stats;
	uint64_t last_packets = 0;
	uint64_t last_progress = rte_get_timer_cycles();

	for (;;) {
		dp_clock_tick();
		if (dp_exporter_drain(&r->exporter, r->worker) > 0)
			continue;
		dp_worker_stats_read(r->worker, &stats);
		if (rte_eth_stats_get(r->port, &port_stats) != 0)
			port_stats.rx_nombuf = 0;
		if (stats.packets + port_stats.rx_nombuf >= r->frames) {
			if (__atomic_load_n(&r->worker->flushed,
					    __ATOMIC_ACQUIRE))
				return 0;
			__atomic_store_n(&r->worker->flush, true,
					 __ATOMIC_RELEASE);
			usleep(100);
			continue;
		}
		if (stats.packets != last_packets) {
			last_packets = stats.packets;
			last_progress = rte_get_timer_cycles();
		} else if (rte_get_timer_cycles() - last_progress >
			   STALL_SECONDS * rte_get_timer_hz()) {
			LOG(ERR, "no progress for %d s: %" PRIu64 " of %" PRIu64
			    " frames handled\n", STALL_SECONDS, stats.packets,
			    r->frames);
			return -ETIMEDOUT;
		}
		usleep(100);
	}
}

static void
replay_print_summary(const struct replay *r, const struct dp_worker_stats *s,
		     uint64_t rx_nombuf)
{
	uint64_t malformed = s->malformed_frame + s->malformed_syslog +
		s->malformed_dns;
	double seconds = (double)(rte_get_timer_cycles() - r->start_cycles) /
		(double)rte_get_timer_hz();

	fprintf(stderr,
		"iocsift replay: %s\n"
		"  packets:         %" PRIu64 " (%" PRIu64 " bytes)\n"
		"  syslog messages: %" PRIu64 "\n"
		"  dns messages:    %" PRIu64 "\n"
		"  hits:            %" PRIu64 " in %" PRIu64 " messages\n"
		"  malformed:       %" PRIu64 " (frame %" PRIu64 ", syslog %"
		PRIu64 ", dns %" PRIu64 ")\n"
		"  fragments:       %" PRIu64 " (%" PRIu64 " datagrams reassembled"
		"; dropped: %" PRIu64 " expired, %" PRIu64 " overlapping, %"
		PRIu64 " oversized, %" PRIu64 " table full, %" PRIu64
		" unsupported)\n"
		"  tcp:             %" PRIu64 " segments, %" PRIu64 " streams, %"
		PRIu64 " messages (%" PRIu64 " midstream, %" PRIu64 " gaps, %"
		PRIu64 " overlapping, %" PRIu64 " retransmitted, %" PRIu64
		" cut, %" PRIu64 " evicted)\n"
		"  tcp skipped:     %" PRIu64 "\n"
		"  other:           %" PRIu64 "\n"
		"  too deep:        %" PRIu64 "\n"
		"  %s %" PRIu64 "\n"
		"  time:            %.3f s (%.0f packets/s)\n"
		"  worker busy:     %.6f s (decode to hit records, receive"
		" not included)\n",
		r->opt->capture, s->packets, s->bytes, s->syslog_messages,
		s->dns_messages, s->hits, s->hit_messages, malformed,
		s->malformed_frame, s->malformed_syslog, s->malformed_dns,
		s->fragments, s->fragment.reassembled, s->fragment.expired,
		s->fragment.overlapping, s->fragment.oversized,
		s->fragment.table_full, s->fragment.unsupported,
		s->stream.segments, s->stream.streams_created,
		s->stream.messages, s->stream.streams_midstream, s->stream.gaps,
		s->stream.segments_overlapping,
		s->stream.segments_retransmitted, s->stream.messages_cut,
		s->stream.streams_evicted,
		s->tcp_skipped, s->other, s->too_deep,
		r->opt->messages ? "message lines:  " : "events written: ",
		r->opt->messages ? r->exporter.message_lines : r->exporter.events,
		seconds, seconds > 0 ? (double)s->packets / seconds : 0.0,
		(double)s->busy_cycles / (double)rte_get_tsc_hz());
	if (r->truncated && r->truncated_offset >= 0)
		fprintf(stderr, "  TRUNCATED:       read up to byte offset %ld"
			" (%" PRIu64 " whole frames), the record there cannot"
			" be read\n", r->truncated_offset, r->frames);
	else if (r->truncated)
		fprintf(stderr, "  TRUNCATED:       read up to frame %" PRIu64
			", the record after it cannot be read\n", r->frames);
	uint64_t lost = rx_nombuf + s->drop_hit_pool + s->drop_ring_full +
		s->hits_overflow + s->match_errors + r->exporter.write_errors;
	if (lost > 0)
		fprintf(stderr, "  LOST: rx_nombuf %" PRIu64 ", hit pool %" PRIu64
			", ring full %" PRIu64 ", hits overflow %" PRIu64
			", match errors %" PRIu64 ", write errors %" PRIu64 "\n",
			rx_nombuf, s->drop_hit_pool, s->drop_ring_full,
			s->hits_overflow, s->match_errors,
			r->exporter.write_errors);
}

/* One line per sink; then, for each sink that did not deliver every
 * event, what became of the rest: still held (memory goes to the spool
 * when the sink stops), so in its spool for the next replay or run with
 * the same spool dir, or lost (dropped, or held without a spool).
 * Returns how many events some sink did not deliver. */
static uint64_t
replay_print_sinks(struct replay *r)
{
	uint64_t undelivered = 0;

	for (unsigned int i = 0; i < r->exporter.n_sinks; i++) {
		struct exp_sink *sink = r->exporter.sinks[i].sink;
		const struct exp_sink_config *cfg = exp_sink_get_config(sink);
		struct exp_sink_stats st;

		exp_sink_stats_read(sink, &st);
		fprintf(stderr, "  sink %s: %" PRIu64 " queued, %" PRIu64
			" sent, %" PRIu64 " spooled, %" PRIu64 " retried, %"
			PRIu64 " dropped, %" PRIu64 " left in the spool\n",
			cfg->name, st.queued, st.sent, st.spooled, st.retried,
			st.dropped, st.spool_records);
	}
	for (unsigned int i = 0; i < r->exporter.n_sinks; i++) {
		struct exp_sink *sink = r->exporter.sinks[i].sink;
		const struct exp_sink_config *cfg = exp_sink_get_config(sink);
		bool spool = cfg->spool_max > 0 && r->opt->spool_root != NULL &&
			r->opt->spool_root[0] != '\0';
		struct exp_sink_stats st;

		exp_sink_stats_read(sink, &st);
		uint64_t held = st.memory_records + st.spool_records;
		if (held + st.dropped == 0)
			continue;
		undelivered += held + st.dropped;
		fprintf(stderr, "iocsift replay: %" PRIu64 " events not "
			"delivered to sink %s within %.1f s", held + st.dropped,
			cfg->name, r->opt->drain_ms / 1000.0);
		if (held + st.dropped > st.queued)
			fprintf(stderr, " (%" PRIu64 " of them from this "
				"replay, the others left in its spool before)",
				st.queued);
		if (st.last_error[0] != '\0')
			fprintf(stderr, "; last error: %s", st.last_error);
		fputc('\n', stderr);
		if (held > 0 && spool)
			fprintf(stderr, "  %" PRIu64 " remain in its spool %s/%s:"
				" the next replay or run with this spool dir "
				"sends them first\n", held, r->opt->spool_root,
				cfg->name);
		else if (held > 0)
			fprintf(stderr, "  %" PRIu64 " are lost: the sink has no "
				"spool (spool_max=0)\n", held);
		if (st.dropped > 0)
			fprintf(stderr, "  %" PRIu64 " were dropped: the spool was"
				" full or failing, or there was none and the "
				"queue was full\n", st.dropped);
	}
	return undelivered;
}

/* Stops the worker, exports what is left and reports. */
static int
replay_finish(struct replay *r, int rc)
{
	struct dp_worker_stats stats;
	struct rte_eth_stats port_stats = { 0 };

	__atomic_store_n(&r->worker->stop, true, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(r->worker_lcore);
	while (dp_exporter_drain(&r->exporter, r->worker) > 0)
		;
	/* -ETIMEDOUT when a sink still holds events: counted below. */
	dp_exporter_finish(&r->exporter, r->opt->drain_ms);
	dp_worker_stats_read(r->worker, &stats);
	rte_eth_stats_get(r->port, &port_stats);
	replay_print_summary(r, &stats, port_stats.rx_nombuf);
	uint64_t undelivered = replay_print_sinks(r);
	if (rc == 0 && (port_stats.rx_nombuf > 0 || r->exporter.write_errors > 0 ||
			stats.drop_hit_pool > 0 || stats.drop_ring_full > 0))
		rc = -EIO;
	if (rc == 0 && r->truncated)
		rc = -ENODATA;
	if (rc == 0 && undelivered > 0)
		rc = DP_REPLAY_UNDELIVERED;
	return rc;
}

static void
replay_release(struct replay *r)
{
	if (r->port_started)
		dp_port_stop(r->port);
	if (r->worker != NULL)
		dp_worker_release(r->worker);
	rte_free(r->worker);
	rte_ring_free(r->hit_ring);
	rte_mempool_free(r->hit_pool);
	rte_mempool_free(r->mbuf_pool);
	rte_eal_cleanup();
}

int
dp_replay_run(const struct dp_replay_options *opt)
{
	struct replay r = { .opt = opt };
	int rc;

	rc = capture_count_frames(&r);
	if (rc != 0)
		return rc;
	rc = replay_eal_init(opt);
	if (rc != 0)
		return rc;
	rc = replay_find_port(&r);
	if (rc == 0)
		rc = replay_alloc(&r);
	if (rc == 0)
		rc = dp_port_start(r.port, 1, DP_RX_DESCRIPTORS, r.mbuf_pool, false);
	r.port_started = rc == 0;
	if (rc == 0)
		rc = replay_worker_prepare(&r);
	if (rc != 0)
		goto release;

	dp_active_set = opt->set;   /* no reader yet: a plain store will do */
	rc = dp_exporter_init(&r.exporter, opt->out, NULL);
	r.exporter.messages = opt->messages;
	if (rc == 0)
		rc = replay_sinks(&r);
	if (rc != 0)
		goto release;
	r.start_cycles = rte_get_timer_cycles();
	dp_clock_init();
	rc = rte_eal_remote_launch(dp_worker_main, r.worker, r.worker_lcore);
	if (rc != 0) {
		LOG(ERR, "launching the worker: %s\n", rte_strerror(-rc));
		goto release;
	}
	rc = replay_finish(&r, replay_wait_for_end(&r));
release:
	dp_exporter_release(&r.exporter);
	dp_active_set = NULL;
	replay_release(&r);
	return rc;
}
