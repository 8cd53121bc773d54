/* bench_match.c -- matching alone, no I/O: the Hyperscan floor (every feed
 * value as a caseless literal) or the iocsift matcher, over the UDP
 * payloads of captures; one JSON line per capture for perf/bench.sh.
 * usage: bench_match floor|matcher FEED.csv CAPTURE.pcap... SECONDS
 * BENCH_FLOOR_DB=FILE: the floor is loaded from FILE when an earlier run
 * saved it there, else compiled and saved there.
 *
 * The feed is loaded and built (or compiled) once and every capture is
 * scanned with it: compiling a million caseless literals takes minutes. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hs/hs.h>
#include <jansson.h>
#include <pcap/pcap.h>

#include "decode.h"
#include "dns.h"
#include "feed.h"
#include "pattern_set.h"

/* The dataplane's default ports (dataplane/worker.c packet_kind: DNS wins
 * when one end is DNS and the other syslog). */
#define SYSLOG_PORT 514
#define DNS_PORT 53
/* A measurement is the median of this many windows. */
#define WINDOWS 5

enum mode { MODE_FLOOR, MODE_MATCHER };
enum kind { KIND_SYSLOG, KIND_DNS };

struct payload {
	size_t offset;          /* in capture.bytes */
	uint32_t len;
	uint8_t kind;           /* enum kind */
	int64_t time;           /* capture time, UNIX seconds */
};

/* The syslog and DNS payloads of one capture, back to back in memory. */
struct capture {
	const char *path;
	uint8_t *bytes;
	size_t n_bytes, bytes_capacity;
	struct payload *items;
	size_t count, capacity;
	size_t frames, syslog, dns;
};

struct engine {
	enum mode mode;
	struct pat_set *set;            /* matcher */
	struct pat_scratch *scratch;
	struct dp_dns_message *dns;
	hs_database_t *db;              /* floor */
	hs_scratch_t *hs_scratch;
	size_t indicators;
};

/* What one pass found: hits are matcher hits (one per indicator and
 * message) or Hyperscan matches; match_errors counts -errno returns and
 * DNS payloads that did not parse (the worker's malformed_dns). */
struct tally {
	uint64_t hits, hit_messages, match_errors;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM of this process in KiB, -1 if unknown. */
static long
peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Restarts VmHWM from the current RSS (Linux >= 4.0), so the peak of one
 * scan can be told from that of the build. false where it is refused. */
static bool
peak_rss_reset(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

static void *
grow(void *p, size_t *capacity, size_t need, size_t size)
{
	if (need <= *capacity)
		return p;
	size_t cap = *capacity == 0 ? 1024 : *capacity;
	while (cap < need)
		cap *= 2;
	void *q = realloc(p, cap * size);
	if (q == NULL) {
		perror("realloc");
		exit(1);
	}
	*capacity = cap;
	return q;
}

/* The payload kind as the worker decides it; -1: not syslog or DNS. */
static int
payload_kind(const struct dp_packet *pkt)
{
	if (pkt->l4_proto != IPPROTO_UDP)
		return -1;
	if (pkt->src_port == DNS_PORT || pkt->dst_port == DNS_PORT)
		return KIND_DNS;
	if (pkt->src_port == SYSLOG_PORT || pkt->dst_port == SYSLOG_PORT)
		return KIND_SYSLOG;
	return -1;
}

static int
capture_load(struct capture *c, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *frame;
	pcap_t *p = pcap_open_offline(path, errbuf);
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = path;
	if (p == NULL) {
		fprintf(stderr, "bench_match: %s: %s\n", path, errbuf);
		return -EINVAL;
	}
	while ((rc = pcap_next_ex(p, &hdr, &frame)) == 1) {
		static const struct dp_decode_config decode =
			DP_DECODE_CONFIG_DEFAULT;
		struct dp_packet pkt;
		c->frames++;
		if (dp_decode(&decode, frame, hdr->caplen, &pkt) != DP_DECODE_OK)
			continue;
		int kind = payload_kind(&pkt);
		if (kind < 0)
			continue;
		c->items = grow(c->items, &c->capacity, c->count + 1,
				sizeof(*c->items));
		c->bytes = grow(c->bytes, &c->bytes_capacity,
				c->n_bytes + pkt.payload_len, 1);
		memcpy(c->bytes + c->n_bytes, pkt.payload, pkt.payload_len);
		c->items[c->count++] = (struct payload){
			.offset = c->n_bytes, .len = pkt.payload_len,
			.kind = (uint8_t)kind, .time = hdr->ts.tv_sec,
		};
		c->n_bytes += pkt.payload_len;
		if (kind == KIND_DNS)
			c->dns++;
		else
			c->syslog++;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "bench_match: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return -EINVAL;
	}
	pcap_close(p);
	if (c->count == 0) {
		fprintf(stderr, "bench_match: %s: no syslog or DNS payload\n",
			path);
		return -EINVAL;
	}
	return 0;
}

static int
on_literal(unsigned int id, unsigned long long from, unsigned long long to,
	   unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* The compiled floor from path (saved by an earlier run), so that
 * perf/bench.sh can measure the floor again next to every row without
 * compiling it again (minutes at a million literals). 0, 1 when there
 * is no such file, or -errno. */
static int
floor_load(struct engine *e, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *bytes = NULL;
	long size;
	int rc = -EIO;

	if (f == NULL)
		return errno == ENOENT ? 1 : -errno;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (bytes = malloc((size_t)size)) != NULL &&
	    fread(bytes, 1, (size_t)size, f) == (size_t)size &&
	    hs_deserialize_database(bytes, (size_t)size, &e->db) == HS_SUCCESS &&
	    hs_alloc_scratch(e->db, &e->hs_scratch) == HS_SUCCESS)
		rc = 0;
	free(bytes);
	fclose(f);
	if (rc != 0)
		fprintf(stderr, "bench_match: %s: cannot load a floor from it\n",
			path);
	return rc;
}

static int
floor_save(const struct engine *e, const char *path)
{
	char *bytes = NULL;
	size_t size = 0;
	FILE *f;
	int rc = -EIO;

	if (hs_serialize_database(e->db, &bytes, &size) != HS_SUCCESS)
		return -ENOMEM;
	f = fopen(path, "wb");
	if (f != NULL && fwrite(bytes, 1, size, f) == size)
		rc = 0;
	if (f != NULL && fclose(f) != 0)
		rc = -EIO;
	free(bytes);
	if (rc != 0)
		fprintf(stderr, "bench_match: %s: cannot save the floor\n", path);
	return rc;
}

/* Every value of the feed as a caseless literal, as the floor; loaded
 * from saved (when not NULL) if an earlier run saved it there, else
 * compiled and saved there. */
static int
floor_build(struct engine *e, const struct pat_feed *feed, const char *saved)
{
	if (saved != NULL) {
		int loaded = floor_load(e, saved);
		if (loaded <= 0) {
			e->indicators = feed->count;
			return loaded;
		}
	}
	const char **values = calloc(feed->count, sizeof(*values));
	size_t *lens = calloc(feed->count, sizeof(*lens));
	unsigned int *flags = calloc(feed->count, sizeof(*flags));
	unsigned int *ids = calloc(feed->count, sizeof(*ids));
	hs_compile_error_t *cerr = NULL;
	unsigned int n = 0;
	int rc = -ENOMEM;

	if (values == NULL || lens == NULL || flags == NULL || ids == NULL)
		goto out;
	for (size_t i = 0; i < feed->count; i++) {
		size_t len = strlen(feed->items[i].value);
		if (len == 0)
			continue;
		values[n] = feed->items[i].value;
		lens[n] = len;
		flags[n] = HS_FLAG_CASELESS;
		ids[n] = (unsigned int)i;
		n++;
	}
	if (hs_compile_lit_multi(values, flags, ids, lens, n, HS_MODE_BLOCK,
				 NULL, &e->db, &cerr) != HS_SUCCESS) {
		fprintf(stderr, "bench_match: hs_compile_lit_multi: literal %d"
			" (%s): %s\n", cerr->expression,
			cerr->expression >= 0 ? values[cerr->expression] : "-",
			cerr->message);
		hs_free_compile_error(cerr);
		rc = -EINVAL;
		goto out;
	}
	if (hs_alloc_scratch(e->db, &e->hs_scratch) != HS_SUCCESS) {
		fprintf(stderr, "bench_match: hs_alloc_scratch failed\n");
		goto out;
	}
	e->indicators = n;
	rc = saved != NULL ? floor_save(e, saved) : 0;
out:
	free(values);
	free(lens);
	free(flags);
	free(ids);
	return rc;
}

static int
engine_build(struct engine *e, const char *feed_path)
{
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];
	int rc;

	pat_feed_init(&feed);
	rc = pat_feed_load_file(&feed, feed_path, PAT_FEED_CSV, &err);
	if (rc != 0) {
		fprintf(stderr, "bench_match: %s\n",
			error_detail_format(&err, text, sizeof(text)));
		return rc;
	}
	if (e->mode == MODE_FLOOR) {
		rc = floor_build(e, &feed, getenv("BENCH_FLOOR_DB"));
	} else {
		e->set = pat_set_build(feeds, 1, 1, 1, &err);
		if (e->set == NULL) {
			rc = -errno;
			fprintf(stderr, "bench_match: %s\n",
				error_detail_format(&err, text, sizeof(text)));
		} else {
			e->scratch = pat_set_scratch(e->set, 0);
			e->indicators = pat_set_count(e->set);
			e->dns = malloc(sizeof(*e->dns));
			if (e->dns == NULL)
				rc = -ENOMEM;
		}
	}
	pat_feed_free(&feed);
	return rc;
}

static void
engine_free(struct engine *e)
{
	if (e->set != NULL)
		pat_set_free(e->set);
	free(e->dns);
	hs_free_scratch(e->hs_scratch);
	hs_free_database(e->db);
}

/* A DNS message as dataplane/worker.c dns_handle matches it: the question
 * name, then each CNAME target and A/AAAA address of the answers. One
 * without a readable question, which the worker matches as text, is only
 * counted here: the bench captures hold none. */
static int
matcher_dns(struct engine *e, const uint8_t *msg, size_t len,
	    struct pat_hits *hits)
{
	struct dp_dns_message *dns = e->dns;
	int rc;

	if (dp_dns_parse(msg, len, dns) != 0)
		return -EINVAL;
	rc = pat_match_dns_name(e->set, e->scratch, dns->qname,
				dns->qname_len, hits);
	for (uint16_t i = 0; i < dns->answer_count; i++) {
		const struct dp_dns_answer *a = &dns->answers[i];
		if (a->type == DP_DNS_TYPE_A)
			pat_match_address(e->set, 4, a->addr, hits);
		else if (a->type == DP_DNS_TYPE_AAAA)
			pat_match_address(e->set, 6, a->addr, hits);
		else
			rc |= pat_match_dns_name(e->set, e->scratch, a->name,
						 a->name_len, hits);
	}
	return rc;
}

static void
pass(struct engine *e, const struct capture *c, struct tally *t)
{
	for (size_t i = 0; i < c->count; i++) {
		const struct payload *p = &c->items[i];
		const uint8_t *bytes = c->bytes + p->offset;

		if (e->mode == MODE_FLOOR) {
			uint64_t matches = 0;
			if (hs_scan(e->db, (const char *)bytes, p->len, 0,
				    e->hs_scratch, on_literal, &matches) !=
			    HS_SUCCESS)
				t->match_errors++;
			t->hits += matches;
			t->hit_messages += matches > 0;
			continue;
		}
		struct pat_hits hits;
		int rc;
		pat_hits_reset(&hits, p->time);
		if (p->kind == KIND_DNS)
			rc = matcher_dns(e, bytes, p->len, &hits);
		else
			rc = pat_match_text(e->set, e->scratch, bytes, p->len,
					    &hits);
		t->match_errors += rc != 0;
		t->hits += hits.count + hits.overflow;
		t->hit_messages += hits.count > 0;
	}
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One untimed pass (warms the caches, gives the hits), then WINDOWS
 * windows of whole passes, seconds in all. The rate is the median of the
 * windows': on a shared machine a burst of someone else's work spoils one
 * window, not the figure. cpu_share (CPU time of this thread over wall
 * time) says how much of its CPU the loop had. peak_rss_kib is the
 * process's VmHWM over its life (build included, kept in
 * lifetime_peak_kib across the resets), scan_peak_rss_kib that of this
 * capture's scan alone. */
static int
measure(struct engine *e, const struct capture *c, double seconds,
	double build_s, long *lifetime_peak_kib)
{
	struct tally first = { 0 }, timed = { 0 };
	double rates[WINDOWS], sorted[WINDOWS];
	uint64_t passes = 0;
	bool reset = peak_rss_reset();
	double t0, c0, elapsed;

	pass(e, c, &first);
	t0 = now_s();
	c0 = cpu_s();
	for (int w = 0; w < WINDOWS; w++) {
		double w0 = now_s(), took;
		uint64_t n = 0;
		do {
			pass(e, c, &timed);
			n++;
			took = now_s() - w0;
		} while (took < seconds / WINDOWS);
		rates[w] = (double)(n * c->count) / took;
		passes += n;
	}
	elapsed = now_s() - t0;
	double cpu_share = (cpu_s() - c0) / elapsed;
	memcpy(sorted, rates, sizeof(rates));
	qsort(sorted, WINDOWS, sizeof(double), compare_double);
	double median = sorted[WINDOWS / 2];

	long scan_peak = peak_rss_kib();
	if (!reset || scan_peak > *lifetime_peak_kib)
		*lifetime_peak_kib = scan_peak;
	json_t *windows = json_array();
	for (int w = 0; windows != NULL && w < WINDOWS; w++)
		json_array_append_new(windows, json_real(rates[w]));
	json_t *line = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f,"
		" s:f, s:f, s:f, s:o, s:f, s:I, s:I, s:I, s:I, s:I, s:f}",
		"mode", e->mode == MODE_FLOOR ? "floor" : "matcher",
		"capture", base_name(c->path),
		"indicators", (json_int_t)e->indicators,
		"packets", (json_int_t)(passes * c->count),
		"passes", (json_int_t)passes,
		"payload_bytes", (json_int_t)c->n_bytes,
		"seconds", elapsed,
		"packets_per_s", median,
		"ns_per_packet", 1e9 / median,
		"bytes_per_s", median * (double)c->n_bytes / (double)c->count,
		"packets_per_s_mean", (double)(passes * c->count) / elapsed,
		"packets_per_s_windows", windows,
		"cpu_share", cpu_share,
		"hits", (json_int_t)first.hits,
		"hit_messages", (json_int_t)first.hit_messages,
		"match_errors", (json_int_t)first.match_errors,
		"peak_rss_kib", (json_int_t)*lifetime_peak_kib,
		"scan_peak_rss_kib", (json_int_t)(reset ? scan_peak : -1),
		"build_s", build_s);
	if (line == NULL) {
		fprintf(stderr, "bench_match: json_pack failed\n");
		return -ENOMEM;
	}
	/* Per pass, and the payloads of each kind (mixed traffic). */
	json_object_set_new(line, "syslog", json_integer((json_int_t)c->syslog));
	json_object_set_new(line, "dns", json_integer((json_int_t)c->dns));
	json_object_set_new(line, "frames", json_integer((json_int_t)c->frames));
	if (json_dumpf(line, stdout, JSON_COMPACT) != 0 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		json_decref(line);
		return -EIO;
	}
	json_decref(line);
	return 0;
}

int
main(int argc, char **argv)
{
	struct engine e = { 0 };
	struct capture *captures;
	char *end;
	int n, rc = 1;

	if (argc < 5 || (strcmp(argv[1], "floor") != 0 &&
			 strcmp(argv[1], "matcher") != 0)) {
		fprintf(stderr, "usage: %s floor|matcher FEED.csv CAPTURE.pcap..."
			" SECONDS\n", argv[0]);
		return 2;
	}
	double seconds = strtod(argv[argc - 1], &end);
	if (*end != '\0' || !(seconds > 0)) {
		fprintf(stderr, "bench_match: SECONDS: '%s' is not a positive "
			"number\n", argv[argc - 1]);
		return 2;
	}
	e.mode = strcmp(argv[1], "floor") == 0 ? MODE_FLOOR : MODE_MATCHER;
	n = argc - 4;
	captures = calloc((size_t)n, sizeof(*captures));
	if (captures == NULL) {
		perror("calloc");
		return 1;
	}
	/* Captures first, so the build's peak includes them as a scan's does. */
	for (int i = 0; i < n; i++)
		if (capture_load(&captures[i], argv[3 + i]) != 0)
			goto free_captures;
	double t0 = now_s();
	if (engine_build(&e, argv[2]) != 0)
		goto free_engine;
	double build_s = now_s() - t0;
	long build_peak = peak_rss_kib();
	fprintf(stderr, "bench_match: %s, %zu indicators, built in %.2f s,"
		" peak RSS %ld MiB\n", argv[1], e.indicators, build_s,
		build_peak / 1024);
	for (int i = 0; i < n; i++)
		if (measure(&e, &captures[i], seconds, build_s, &build_peak) != 0)
			goto free_engine;
	rc = 0;
free_engine:
	engine_free(&e);
free_captures:
	for (int i = 0; i < n; i++) {
		free(captures[i].bytes);
		free(captures[i].items);
	}
	free(captures);
	return rc;
}
