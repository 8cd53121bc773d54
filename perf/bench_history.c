/* bench_history.c -- the on-box history's benchmark (issue 13): how fast
 * the writer's work (keys, filter, zstd, disk) goes, and how fast a hunt
 * reads back, over a history made of a capture's syslog and DNS payloads
 * spread over a time span as the writer would have kept them.
 *
 * 1. write: MESSAGES records (the capture's payloads in turn, times spread
 *    evenly over SPAN seconds up to now) into blocks of 4 MiB at zstd
 *    level 3, appended to segment files in DIR: messages/s and MB/s of
 *    the writer's work, the compressed size, the filters' size.
 *    Ten of them, evenly apart, are syslog lines naming one of ten new
 *    domains each (hunt0-iocsift.example ...): what a hunt for ten new
 *    indicators finds in a day.
 * 2. full scan: every block opened, every record matched against the ten
 *    domains: MB/s of original text.
 * 3. filtered hunt: the ten domains with the blocks' token filters: the
 *    blocks opened and skipped, the time, and that time scaled to 24 h of
 *    20,000 messages/s.
 * Hunts run twice, on a cold page cache (when /proc/sys/vm/drop_caches
 * can be written) and a warm one. One JSON line per figure on stdout.
 * usage: bench_history CAPTURE.pcap DIR MESSAGES [SPAN_S]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "decode.h"
#include "feed.h"
#include "hist_builder.h"
#include "hist_hunt.h"
#include "hist_keys.h"
#include "hist_store.h"
#include "hit.h"
#include "pattern_set.h"

#define BLOCK_BYTES (4u << 20)
#define LEVEL 3
#define DAY_MESSAGES (20000.0 * 86400.0)   /* 24 h at 20,000 messages/s */

struct record_source {
	uint8_t *bytes;          /* records, back to back, times to be set */
	size_t len;
	size_t *offsets;
	size_t count;
	size_t cap;
	size_t bytes_cap;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap == 0 ? 1024 : *cap;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (p == NULL) {
		fprintf(stderr, "bench_history: out of memory\n");
		exit(1);
	}
	*cap = n;
	return p;
}

/* The capture's syslog (UDP 514) and DNS (UDP 53) payloads as records. */
static int
capture_load(struct record_source *src, const char *path)
{
	static const struct dp_decode_config decode = DP_DECODE_CONFIG_DEFAULT;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *frame;
	pcap_t *p = pcap_open_offline(path, errbuf);

	if (p == NULL) {
		fprintf(stderr, "bench_history: %s: %s\n", path, errbuf);
		return -EINVAL;
	}
	while (pcap_next_ex(p, &hdr, &frame) == 1) {
		struct dp_packet pkt;
		if (dp_decode(&decode, frame, hdr->caplen, &pkt) != DP_DECODE_OK ||
		    pkt.l4_proto != IPPROTO_UDP)
			continue;
		int kind = pkt.src_port == 53 || pkt.dst_port == 53 ?
			DP_MESSAGE_DNS : pkt.src_port == 514 ||
			pkt.dst_port == 514 ? DP_MESSAGE_SYSLOG : -1;
		if (kind < 0)
			continue;
		uint32_t n = pkt.payload_len > HIST_PAYLOAD_MAX ?
			HIST_PAYLOAD_MAX : pkt.payload_len;
		struct hist_record_header h = {
			.payload_len = (uint16_t)n, .kind = (uint8_t)kind,
			.ip_version = pkt.ip_version, .l4_proto = pkt.l4_proto,
			.src_port = pkt.src_port, .dst_port = pkt.dst_port,
		};
		memcpy(h.src_addr, pkt.src_addr, sizeof(h.src_addr));
		memcpy(h.dst_addr, pkt.dst_addr, sizeof(h.dst_addr));
		src->offsets = grow(src->offsets, &src->cap, src->count + 1,
				    sizeof(*src->offsets));
		src->bytes = grow(src->bytes, &src->bytes_cap,
				  src->len + sizeof(h) + n, 1);
		src->offsets[src->count++] = src->len;
		memcpy(src->bytes + src->len, &h, sizeof(h));
		memcpy(src->bytes + src->len + sizeof(h), pkt.payload, n);
		src->len += sizeof(h) + n;
	}
	pcap_close(p);
	if (src->count == 0) {
		fprintf(stderr, "bench_history: %s: no syslog or DNS payload\n",
			path);
		return -EINVAL;
	}
	return 0;
}

#define HUNTED 10

static struct pat_set *
hunted_set(void)
{
	struct pat_feed feed;
	const struct pat_feed *pointer = &feed;
	struct error_detail err = { 0 };
	char text[HUNTED * 64];
	size_t len = 0;

	for (int i = 0; i < HUNTED; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"domain,hunt%d-iocsift.example\n", i);
	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "hunt", "hunt", text, len, PAT_FEED_CSV,
			   &err) != 0) {
		fprintf(stderr, "bench_history: %s\n", err.message);
		return NULL;
	}
	struct pat_set *set = pat_set_build(&pointer, 1, 1, 1, &err);
	pat_feed_free(&feed);
	return set;
}

static int
count_hit(void *ctx, const struct hist_record *rec, const struct pat_hits *hits)
{
	(void)rec;
	*(uint64_t *)ctx += hits->count;
	return 0;
}

static bool
caches_drop(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd < 0)
		return false;
	bool ok = write(fd, "3\n", 2) == 2;
	close(fd);
	return ok;
}

static void
hunt_figure(const char *dir, const struct hist_hunt_query *q, const char *name,
	    uint64_t messages, uint64_t text)
{
	for (int warm = 0; warm <= 1; warm++) {
		struct hist_hunt_stats st;
		uint64_t hits = 0;
		bool cold = !warm && caches_drop();
		if (!warm && !cold)
			continue;
		double t0 = now_s();
		int rc = hist_hunt_run(dir, q, count_hit, NULL, &hits, &st);
		double s = now_s() - t0;
		if (rc != 0) {
			fprintf(stderr, "bench_history: hunt: %s\n", strerror(-rc));
			exit(1);
		}
		printf("{\"type\":\"history\",\"figure\":\"%s\",\"cache\":\"%s\","
		       "\"seconds\":%.4f,\"blocks\":%" PRIu64 ",\"opened\":%" PRIu64
		       ",\"skipped_filter\":%" PRIu64 ",\"messages\":%" PRIu64
		       ",\"bytes_raw\":%" PRIu64 ",\"bytes_read\":%" PRIu64
		       ",\"hits\":%" PRIu64 ",\"raw_mb_per_s\":%.1f,"
		       "\"text_mb_per_s\":%.1f,"
		       "\"messages_per_s\":%.0f,\"day_seconds\":%.1f}\n", name,
		       warm ? "warm" : "cold", s, st.blocks, st.blocks_opened,
		       st.blocks_skipped_filter, messages, st.bytes_raw,
		       st.bytes_read, hits, (double)st.bytes_raw / 1e6 / s,
		       (double)text / 1e6 / s,
		       (double)messages / s, s * DAY_MESSAGES / (double)messages);
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	struct record_source src = { 0 };
	struct hist_builder b;
	struct hist_store store;
	uint64_t n, span_s = 86400;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench_history CAPTURE.pcap DIR MESSAGES "
			"[SPAN_S]\n");
		return 2;
	}
	n = strtoull(argv[3], NULL, 10);
	if (argc == 5)
		span_s = strtoull(argv[4], NULL, 10);
	if (n < HUNTED || span_s == 0 || capture_load(&src, argv[1]) != 0)
		return 2;
	struct pat_set *set = hunted_set();
	if (set == NULL)
		return 2;
	struct hist_store_config sc = {
		.dir = argv[2], .max_bytes = UINT64_MAX / 2, .max_age_ns = 0,
	};
	if (hist_store_open(&store, &sc) != 0 ||
	    hist_builder_init(&b, BLOCK_BYTES, LEVEL) != 0) {
		fprintf(stderr, "bench_history: %s: cannot open\n", argv[2]);
		return 1;
	}

	/* 1. The writer's work. */
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	uint64_t end_ns = (uint64_t)wall.tv_sec * 1000000000ULL;
	uint64_t start_ns = end_ns - span_s * 1000000000ULL;
	uint64_t raw = 0;
	double t0 = now_s();
	uint8_t planted[HIST_RECORD_HEADER_SIZE + 128];
	for (uint64_t i = 0; i < n; i++) {
		size_t k = i % src.count;
		uint8_t *bytes = src.bytes + src.offsets[k];
		size_t avail = src.len - src.offsets[k];
		struct hist_record rec;
		size_t pos = 0;
		/* The j-th hunted domain at the middle of the j-th tenth. */
		if ((i * HUNTED + n / 2) / n != ((i + 1) * HUNTED + n / 2) / n) {
			struct hist_record_header h = {
				.kind = DP_MESSAGE_SYSLOG, .ip_version = 4,
				.l4_proto = IPPROTO_UDP, .src_port = 40000,
				.dst_port = 514,
			};
			int m = snprintf((char *)planted + sizeof(h), 128,
				"<14>Nov 26 10:00:05 edr01 app: beacon to "
				"hunt%d-iocsift.example:443",
				(int)((i * HUNTED + n / 2) / n) % HUNTED);
			h.payload_len = (uint16_t)m;
			memcpy(planted, &h, sizeof(h));
			bytes = planted;
			avail = sizeof(h) + (size_t)m;
		}
		uint64_t t = start_ns + (uint64_t)((double)i / (double)n *
						   (double)span_s * 1e9);
		memcpy(bytes, &t, sizeof(t));      /* time_ns is first */
		hist_record_next(bytes, avail, &pos, &rec);
		if (hist_builder_full(&b, pos)) {
			if (hist_builder_seal(&b) != 0 ||
			    hist_store_append(&store, b.encoded.data,
					      b.encoded.len, b.first_ns,
					      b.last_ns) != 0) {
				fprintf(stderr, "bench_history: writing failed\n");
				return 1;
			}
		}
		hist_builder_add(&b, bytes, pos, &rec);
		raw += rec.header.payload_len;
	}
	if (b.records > 0 && (hist_builder_seal(&b) != 0 ||
			      hist_store_append(&store, b.encoded.data,
						b.encoded.len, b.first_ns,
						b.last_ns) != 0))
		return 1;
	if (fsync(store.fd) != 0)
		return 1;
	double write_s = now_s() - t0;
	printf("{\"type\":\"history\",\"figure\":\"write\",\"messages\":%" PRIu64
	       ",\"seconds\":%.3f,\"messages_per_s\":%.0f,\"raw_mb_per_s\":%.1f,"
	       "\"text_bytes\":%" PRIu64 ",\"disk_bytes\":%" PRIu64 ",\"blocks\":%"
	       PRIu64 ",\"unfiltered\":%" PRIu64 ",\"day_disk_gb\":%.1f}\n", n,
	       write_s, (double)n / write_s, (double)raw / 1e6 / write_s, raw,
	       store.total_bytes, store.blocks_written, b.unfiltered,
	       (double)store.total_bytes * DAY_MESSAGES / (double)n / 1e9);
	fflush(stdout);
	hist_builder_release(&b);
	hist_store_close(&store);

	/* 2 and 3. */
	uint64_t *keys = NULL;
	struct hist_hunt_query q = { .set = set };
	if (hist_hunt_keys(set, &keys, &q.n_keys, &q.scan_all) != 0)
		return 1;
	q.keys = keys;
	bool filtered = !q.scan_all;
	q.scan_all = true;
	hunt_figure(argv[2], &q, "full_scan", n, raw);
	q.scan_all = !filtered;
	hunt_figure(argv[2], &q, filtered ? "filtered_hunt" :
		    "filtered_hunt_unfilterable", n, raw);
	free(keys);
	pat_set_free(set);
	free(src.bytes);
	free(src.offsets);
	return 0;
}
