/* test_exporter.c -- the exporter (dataplane/exporter.c) on a real EAL:
 * hit records, filled as the worker fills them (real pattern set, real
 * DNS parser), go through a worker's hit ring and record pool and come
 * out as ECS lines in the exporter's file and in file sinks. The events'
 * fields, one event per (message, indicator), a sink's filter, the
 * counters (events, throttled, summaries, write errors, hits per
 * indicator, the sinks' sent), records back in the pool; throttling of
 * repeats; message lines (replay --messages); the exporter thread,
 * dp_exporter_retire and dp_exporter_stop. */
#include <ftw.h>
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
#include <jansson.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "clock.h"
#include "dns.h"
#include "eal_fixture.h"
#include "exporter.h"
#include "feed.h"
#include "hit.h"
#include "pattern_set.h"

#define HIT_RECORDS 63
#define HIT_RING_SIZE 64
#define SET_VERSION 5
#define LINES_MAX 64
#define DRAIN_MS 5000

/* 2026-11-26T10:00:05.123456Z */
#define TIME_NS 1795687205123456000ULL

static const uint8_t client_addr[4] = { 10, 0, 0, 14 };
static const uint8_t server_addr[4] = { 10, 0, 0, 2 };
static const uint8_t watched_addr[4] = { 203, 0, 113, 7 };

static const char watched_syslog[] = "<14>1 2026-11-26T10:00:05.123456Z edr01 "
	"falcon 42 - - host contacted journalide.org:443";

static struct {
	struct pat_set *set;
	uint32_t domain_id, address_id;     /* the set's two indicators */
	uint64_t domain_hits_before, address_hits_before;  /* at test_setup */
	struct rte_ring *hit_ring;
	struct rte_mempool *hit_pool;
	struct dp_worker *worker;           /* only its ring and pool used */
	char dir[64];                       /* the test's files */
	char out_path[128];
	struct dp_exporter exp;
	bool exp_ready;
} fx;

/* Hits counted for the set's indicators since the test began. */
static uint64_t
domain_hits(void)
{
	return pat_set_hit_count(fx.set, fx.domain_id) - fx.domain_hits_before;
}

static uint64_t
address_hits(void)
{
	return pat_set_hit_count(fx.set, fx.address_id) -
		fx.address_hits_before;
}

/*
 * Hit records as the worker makes them
 */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A DNS response for name with one A record, addr. Returns its length. */
static size_t
dns_response(uint8_t *buf, const char *name, const uint8_t *addr)
{
	size_t n = 12;

	memset(buf, 0, n);
	put16(buf, 0x1234);
	put16(buf + 2, 0x8180);
	put16(buf + 4, 1);
	put16(buf + 6, 1);
	for (const char *label = name; *label != '\0';) {
		size_t len = strcspn(label, ".");
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, label, len);
		n += len;
		label += len + (label[len] == '.');
	}
	buf[n++] = 0;
	memcpy(buf + n, "\x00\x01\x00\x01" "\xc0\x0c\x00\x01\x00\x01"
	       "\x00\x00\x01\x2c\x00\x04", 16);
	memcpy(buf + n + 16, addr, 4);
	return n + 20;
}

/* What worker.c does with a message: the ids of the indicators it hits. */
static void
message_match(enum dp_message_kind kind, const uint8_t *payload, size_t len,
	      struct pat_hits *hits)
{
	struct pat_scratch *scratch = pat_set_scratch(fx.set, 0);

	pat_hits_reset(hits, (int64_t)(TIME_NS / 1000000000ULL));
	if (kind == DP_MESSAGE_SYSLOG) {
		assert_int_equal(pat_match_text(fx.set, scratch, payload, len,
						hits), 0);
		return;
	}
	static struct dp_dns_message dns;
	assert_int_equal(dp_dns_parse(payload, len, &dns), 0);
	assert_int_equal(pat_match_dns_name(fx.set, scratch, dns.qname,
					    dns.qname_len, hits), 0);
	for (uint16_t i = 0; i < dns.answer_count; i++)
		if (dns.answers[i].type == DP_DNS_TYPE_A)
			pat_match_address(fx.set, 4, dns.answers[i].addr, hits);
}

/* A record from the worker's pool into its ring: syslog from the client
 * to port 514, DNS from port 53 to the client. The message must hit, or
 * with want_hit false must not (replay --messages records those too). */
static void
record_put(enum dp_message_kind kind, const void *payload, size_t len,
	   uint64_t frame, uint64_t time_ns, bool want_hit)
{
	struct dp_hit *hit;

	assert_int_equal(rte_mempool_get(fx.hit_pool, (void **)&hit), 0);
	memset(hit, 0, sizeof(*hit));
	hit->set = fx.set;
	hit->frame = frame;
	hit->time_ns = time_ns;
	hit->kind = (uint8_t)kind;
	hit->ip_version = 4;
	hit->l4_proto = IPPROTO_UDP;
	hit->worker = 1;
	bool syslog = kind == DP_MESSAGE_SYSLOG;
	memcpy(hit->src_addr, syslog ? client_addr : server_addr, 4);
	memcpy(hit->dst_addr, syslog ? server_addr : client_addr, 4);
	hit->src_port = syslog ? 40005 : 53;
	hit->dst_port = syslog ? 514 : 40005;
	assert_true(len <= DP_HIT_PAYLOAD_MAX);
	memcpy(hit->payload, payload, len);
	hit->payload_len = (uint16_t)len;
	message_match(kind, hit->payload, len, &hit->hits);
	assert_int_equal(hit->hits.count > 0, want_hit);
	assert_int_equal(rte_ring_sp_enqueue(fx.hit_ring, hit), 0);
}

static void
record_enqueue(enum dp_message_kind kind, const void *payload, size_t len,
	       uint64_t frame, uint64_t time_ns)
{
	record_put(kind, payload, len, frame, time_ns, true);
}

static void
syslog_record_enqueue(uint64_t frame, uint64_t time_ns)
{
	record_enqueue(DP_MESSAGE_SYSLOG, watched_syslog,
		       strlen(watched_syslog), frame, time_ns);
}

/*
 * Reading what came out
 */

struct lines {
	char *text[LINES_MAX];
	unsigned int count;
};

static void
lines_read(const char *path, struct lines *lines)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;

	if (f == NULL)
		fail_msg("%s: cannot open", path);
	lines->count = 0;
	while ((len = getline(&line, &size, f)) > 0) {
		assert_true(lines->count < LINES_MAX);
		assert_int_equal(line[len - 1], '\n');
		line[len - 1] = '\0';
		lines->text[lines->count++] = strdup(line);
	}
	free(line);
	fclose(f);
}

static void
lines_free(struct lines *lines)
{
	for (unsigned int i = 0; i < lines->count; i++)
		free(lines->text[i]);
	lines->count = 0;
}

static json_t *
event_parse(const char *line)
{
	json_error_t error;
	json_t *event = json_loads(line, 0, &error);

	if (event == NULL)
		fail_msg("not JSON: %s: %s", error.text, line);
	return event;
}

/* The node at a path of object keys and array indexes, "a/b/0/c". */
static json_t *
node_at(json_t *root, const char *path)
{
	char key[64];
	json_t *node = root;
	const char *p = path;

	while (node != NULL && *p != '\0') {
		size_t n = strcspn(p, "/");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		node = json_is_array(node) ?
			json_array_get(node, strtoul(key, NULL, 10)) :
			json_object_get(node, key);
		p += n + (p[n] == '/');
	}
	if (node == NULL)
		fail_msg("no %s in the event", path);
	return node;
}

static const char *
string_at(json_t *root, const char *path)
{
	json_t *node = node_at(root, path);

	if (!json_is_string(node))
		fail_msg("%s is no string", path);
	return json_string_value(node);
}

static json_int_t
integer_at(json_t *root, const char *path)
{
	json_t *node = node_at(root, path);

	if (!json_is_integer(node))
		fail_msg("%s is no integer", path);
	return json_integer_value(node);
}

static void
assert_event_id(json_t *event, uint64_t sequence)
{
	char id[48];

	snprintf(id, sizeof(id), "%s-%" PRIu64, fx.exp.run_id, sequence);
	assert_string_equal(string_at(event, "event/id"), id);
}

/* A sink's counter, from the exporter's JSON of them. */
static json_int_t
sink_counter(const char *name, const char *counter)
{
	json_t *sinks = dp_exporter_sinks_json(&fx.exp);
	json_t *sink;
	size_t i;
	json_int_t value = -1;

	json_array_foreach(sinks, i, sink)
		if (strcmp(json_string_value(json_object_get(sink, "name")),
			   name) == 0)
			value = json_integer_value(
				json_object_get(sink, counter));
	json_decref(sinks);
	if (value < 0)
		fail_msg("no sink %s", name);
	return value;
}

/*
 * Fixtures
 */

static struct pat_set *
set_from_csv(const char *csv)
{
	struct pat_feed feed;
	const struct pat_feed *feeds[] = { &feed };
	struct error_detail err = { 0 };

	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, "unit", "unit.csv", csv, strlen(csv),
			   PAT_FEED_CSV, &err) != 0)
		fail_msg("%s:%u: %s", err.where, err.line, err.message);
	struct pat_set *set = pat_set_build(feeds, 1, 1, SET_VERSION, &err);
	pat_feed_free(&feed);
	if (set == NULL)
		fail_msg("build: %s", err.message);
	return set;
}

static int
group_setup(void **state)
{
	(void)state;
	fx.set = set_from_csv("type,value,tags,source\n"
			      "domain,journalide.org,\"3cx,c2\",unit\n"
			      "ipv4,203.0.113.7,,\n");
	for (uint32_t id = 0; id < pat_set_id_limit(fx.set); id++) {
		const struct pat_indicator *ind = pat_set_indicator(fx.set, id);
		if (ind->type == PAT_TYPE_DOMAIN)
			fx.domain_id = id;
		else
			fx.address_id = id;
	}
	assert_int_equal(pat_set_id_limit(fx.set), 2);
	assert_int_not_equal(fx.domain_id, fx.address_id);
	fx.hit_ring = rte_ring_create("test_hits", HIT_RING_SIZE,
				      rte_socket_id(),
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	fx.hit_pool = rte_mempool_create("test_hits", HIT_RECORDS,
					 sizeof(struct dp_hit), 0, 0, NULL,
					 NULL, NULL, NULL, rte_socket_id(), 0);
	fx.worker = rte_zmalloc("test_worker", sizeof(*fx.worker),
				RTE_CACHE_LINE_SIZE);
	assert_non_null(fx.hit_ring);
	assert_non_null(fx.hit_pool);
	assert_non_null(fx.worker);
	fx.worker->hit_ring = fx.hit_ring;
	fx.worker->hit_pool = fx.hit_pool;
	dp_clock_init();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_free(fx.worker);
	rte_mempool_free(fx.hit_pool);
	rte_ring_free(fx.hit_ring);
	pat_set_free(fx.set);
	return 0;
}

/* A directory of its own and an exporter writing to DIR/out.json. */
static int
test_setup(void **state)
{
	(void)state;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/iocsift-test-exporter-XXXXXX");
	assert_non_null(mkdtemp(fx.dir));
	snprintf(fx.out_path, sizeof(fx.out_path), "%s/out.json", fx.dir);
	FILE *out = fopen(fx.out_path, "w");
	assert_non_null(out);
	assert_int_equal(dp_exporter_init(&fx.exp, out, "unit-host"), 0);
	fx.exp_ready = true;
	/* The set serves the whole group: its counts from here on. */
	fx.domain_hits_before = pat_set_hit_count(fx.set, fx.domain_id);
	fx.address_hits_before = pat_set_hit_count(fx.set, fx.address_id);
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
	     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
test_teardown(void **state)
{
	(void)state;
	if (fx.exp_ready) {
		dp_exporter_stop(&fx.exp, 0);
		dp_exporter_release(&fx.exp);
		if (fx.exp.out != NULL)
			fclose(fx.exp.out);
		fx.exp_ready = false;
	}
	void *record;
	while (rte_ring_sc_dequeue(fx.hit_ring, &record) == 0)
		rte_mempool_put(fx.hit_pool, record);
	nftw(fx.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void
sink_add(const char *file, const char *params)
{
	struct error_detail err = { 0 };
	char uri[256], text[ERROR_DETAIL_TEXT_MAX];

	snprintf(uri, sizeof(uri), "file://%s/%s%s", fx.dir, file, params);
	if (dp_exporter_add_sink(&fx.exp, uri, NULL, &err) != 0)
		fail_msg("%s", error_detail_format(&err, text, sizeof(text)));
}

/*
 * Tests
 */

/* A syslog message with one hit and a DNS response with two (its
 * question's parent domain, its answer's address): three events, in
 * order, in the exporter's file and, byte for byte, in a file sink; the
 * sink that takes only ipv4 has the third. */
static void
test_events_out_and_in_file_sinks(void **state)
{
	(void)state;
	uint8_t dns[512];
	size_t dns_len = dns_response(dns, "cdn.journalide.org", watched_addr);
	char path[160];
	struct lines out, sink, ipv4;

	sink_add("sink.json", "");
	sink_add("ipv4.json", "?types=ipv4&name=ipv4-only");
	syslog_record_enqueue(3, TIME_NS);
	record_enqueue(DP_MESSAGE_DNS, dns, dns_len, 4, TIME_NS + 1000);

	assert_int_equal(dp_exporter_drain(&fx.exp, fx.worker), 2);
	assert_int_equal(dp_exporter_drain(&fx.exp, fx.worker), 0);
	assert_int_equal(rte_mempool_avail_count(fx.hit_pool), HIT_RECORDS);
	assert_int_equal(dp_exporter_finish(&fx.exp, DRAIN_MS), 0);
	assert_int_equal(fx.exp.events, 3);
	assert_int_equal(fx.exp.throttled, 0);
	assert_int_equal(fx.exp.summaries, 0);
	assert_int_equal(fx.exp.write_errors, 0);
	assert_int_equal(domain_hits(), 2);
	assert_int_equal(address_hits(), 1);
	assert_int_equal(sink_counter("file-sink.json", "sent"), 3);
	assert_int_equal(sink_counter("file-sink.json", "dropped"), 0);
	assert_int_equal(sink_counter("ipv4-only", "sent"), 1);

	lines_read(fx.out_path, &out);
	snprintf(path, sizeof(path), "%s/sink.json", fx.dir);
	lines_read(path, &sink);
	snprintf(path, sizeof(path), "%s/ipv4.json", fx.dir);
	lines_read(path, &ipv4);
	assert_int_equal(out.count, 3);
	assert_int_equal(sink.count, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_string_equal(sink.text[i], out.text[i]);
	assert_int_equal(ipv4.count, 1);
	assert_string_equal(ipv4.text[0], out.text[2]);

	json_t *e = event_parse(out.text[0]);
	assert_string_equal(string_at(e, "@timestamp"),
			    "2026-11-26T10:00:05.123456Z");
	assert_event_id(e, 1);
	assert_string_equal(string_at(e, "event/kind"), "alert");
	assert_string_equal(string_at(e, "event/original"), watched_syslog);
	assert_string_equal(string_at(e, "source/ip"), "10.0.0.14");
	assert_int_equal(integer_at(e, "source/port"), 40005);
	assert_string_equal(string_at(e, "destination/ip"), "10.0.0.2");
	assert_int_equal(integer_at(e, "destination/port"), 514);
	assert_string_equal(string_at(e, "network/transport"), "udp");
	assert_string_equal(string_at(e, "network/protocol"), "syslog");
	assert_string_equal(string_at(e, "log/syslog/hostname"), "edr01");
	assert_string_equal(string_at(e, "threat/indicator/type"),
			    "domain-name");
	assert_string_equal(string_at(e, "threat/indicator/url/domain"),
			    "journalide.org");
	assert_string_equal(string_at(e, "threat/feed/name"), "unit");
	assert_string_equal(string_at(e,
		"threat/enrichments/0/matched/field"), "message");
	assert_string_equal(string_at(e, "tags/0"), "3cx");
	assert_string_equal(string_at(e, "tags/1"), "c2");
	assert_int_equal(integer_at(e, "iocsift/db_version"), SET_VERSION);
	assert_int_equal(integer_at(e, "iocsift/worker"), 1);
	assert_int_equal(integer_at(e, "iocsift/frame"), 3);
	assert_int_equal(integer_at(e, "iocsift/count"), 1);
	assert_string_equal(string_at(e, "observer/hostname"), "unit-host");
	json_decref(e);

	e = event_parse(out.text[1]);
	assert_event_id(e, 2);
	assert_string_equal(string_at(e, "@timestamp"),
			    "2026-11-26T10:00:05.123457Z");
	assert_string_equal(string_at(e, "network/protocol"), "dns");
	assert_string_equal(string_at(e, "source/ip"), "10.0.0.2");
	assert_int_equal(integer_at(e, "source/port"), 53);
	assert_string_equal(string_at(e, "dns/question/name"),
			    "cdn.journalide.org");
	assert_string_equal(string_at(e, "threat/indicator/url/domain"),
			    "journalide.org");
	assert_string_equal(string_at(e,
		"threat/enrichments/0/matched/field"), "dns.question.name");
	assert_int_equal(integer_at(e, "iocsift/frame"), 4);
	json_decref(e);

	e = event_parse(out.text[2]);
	assert_event_id(e, 3);
	assert_string_equal(string_at(e, "threat/indicator/type"), "ipv4-addr");
	assert_string_equal(string_at(e, "threat/indicator/ip"), "203.0.113.7");
	assert_string_equal(string_at(e,
		"threat/enrichments/0/matched/field"), "dns.answers.data");
	assert_string_equal(string_at(e, "iocsift/indicator_type"), "ipv4");
	json_decref(e);

	lines_free(&out);
	lines_free(&sink);
	lines_free(&ipv4);
}

/* Five hits of one indicator from one source within a window: the first
 * is an event at once, the four repeats one summary event when the
 * window is closed (here by dp_exporter_finish). */
static void
test_throttle_folds_repeats(void **state)
{
	(void)state;
	struct lines out;

	assert_int_equal(dp_exporter_throttle(&fx.exp, 3600), 0);
	for (unsigned int i = 0; i < 5; i++)
		syslog_record_enqueue(10 + i, TIME_NS + i * 1000000000ULL);
	assert_int_equal(dp_exporter_drain(&fx.exp, fx.worker), 5);
	assert_int_equal(fx.exp.events, 1);
	assert_int_equal(fx.exp.throttled, 4);
	assert_int_equal(fx.exp.summaries, 0);
	/* What stats and /metrics show: the window, one open. */
	json_t *o = dp_exporter_json(&fx.exp);
	assert_non_null(o);
	assert_int_equal(integer_at(o, "throttle_window_s"), 3600);
	assert_int_equal(integer_at(o, "throttled"), 4);
	assert_int_equal(integer_at(o, "summaries"), 0);
	assert_int_equal(integer_at(o, "throttle_open"), 1);
	assert_int_equal(integer_at(o, "throttle_evicted"), 0);
	assert_int_equal(integer_at(o, "throttle_untracked"), 0);
	json_decref(o);
	assert_int_equal(dp_exporter_finish(&fx.exp, DRAIN_MS), 0);
	assert_int_equal(fx.exp.events, 2);
	assert_int_equal(fx.exp.summaries, 1);
	o = dp_exporter_json(&fx.exp);
	assert_int_equal(integer_at(o, "summaries"), 1);
	assert_int_equal(integer_at(o, "throttle_open"), 0);
	json_decref(o);
	/* Every hit counted for the indicator, throttled or not. */
	assert_int_equal(domain_hits(), 5);

	lines_read(fx.out_path, &out);
	assert_int_equal(out.count, 2);
	json_t *e = event_parse(out.text[0]);
	assert_int_equal(integer_at(e, "iocsift/count"), 1);
	assert_int_equal(integer_at(e, "iocsift/frame"), 10);
	json_decref(e);
	e = event_parse(out.text[1]);
	assert_event_id(e, 2);
	assert_int_equal(integer_at(e, "iocsift/count"), 4);
	assert_int_equal(integer_at(e, "iocsift/frame"), 14);
	assert_string_equal(string_at(e, "event/start"),
			    "2026-11-26T10:00:06.123456Z");
	assert_string_equal(string_at(e, "event/end"),
			    "2026-11-26T10:00:09.123456Z");
	assert_string_equal(string_at(e, "@timestamp"),
			    "2026-11-26T10:00:09.123456Z");
	json_decref(e);
	lines_free(&out);
}

/* replay --messages: a message line for each record, hit or not, in
 * order, and no event; the indicators' hit counters are left alone. */
static void
test_message_lines(void **state)
{
	(void)state;
	static const uint8_t other_addr[4] = { 192, 0, 2, 1 };
	static const char clean[] = "<14>Nov 26 10:00:05 edr01 sshd: clean";
	uint8_t dns[512];
	size_t dns_len = dns_response(dns, "www.example.net", other_addr);
	struct lines out;

	fx.exp.messages = true;
	syslog_record_enqueue(3, TIME_NS);
	record_put(DP_MESSAGE_DNS, dns, dns_len, 4, TIME_NS, false);
	record_put(DP_MESSAGE_SYSLOG, clean, strlen(clean), 6, TIME_NS, false);
	assert_int_equal(dp_exporter_drain(&fx.exp, fx.worker), 3);
	assert_int_equal(rte_mempool_avail_count(fx.hit_pool), HIT_RECORDS);
	assert_int_equal(dp_exporter_finish(&fx.exp, DRAIN_MS), 0);
	assert_int_equal(fx.exp.events, 0);
	assert_int_equal(fx.exp.message_lines, 3);
	assert_int_equal(fx.exp.write_errors, 0);
	assert_int_equal(domain_hits(), 0);

	lines_read(fx.out_path, &out);
	assert_int_equal(out.count, 3);
	json_t *m = event_parse(out.text[0]);
	assert_int_equal(integer_at(m, "frame"), 3);
	assert_string_equal(string_at(m, "kind"), "syslog");
	assert_string_equal(string_at(m, "message"), watched_syslog);
	assert_int_equal(integer_at(m, "hits"), 1);
	json_decref(m);
	m = event_parse(out.text[1]);
	assert_int_equal(integer_at(m, "frame"), 4);
	assert_string_equal(string_at(m, "kind"), "dns");
	assert_string_equal(string_at(m, "source/ip"), "10.0.0.2");
	assert_string_equal(string_at(m, "dns/question/name"),
			    "www.example.net");
	assert_string_equal(string_at(m, "dns/answers/0"), "192.0.2.1");
	assert_int_equal(integer_at(m, "hits"), 0);
	json_decref(m);
	m = event_parse(out.text[2]);
	assert_int_equal(integer_at(m, "frame"), 6);
	assert_string_equal(string_at(m, "message"), clean);
	assert_int_equal(integer_at(m, "hits"), 0);
	json_decref(m);
	lines_free(&out);
}

/* A file that takes nothing: each event is one write error, and the
 * records still go back to the pool. */
static void
test_write_errors_counted(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");

	assert_non_null(full);
	assert_int_equal(setvbuf(full, NULL, _IONBF, 0), 0);
	fclose(fx.exp.out);
	fx.exp.out = full;
	syslog_record_enqueue(1, TIME_NS);
	syslog_record_enqueue(2, TIME_NS);
	assert_int_equal(dp_exporter_drain(&fx.exp, fx.worker), 2);
	assert_int_equal(fx.exp.events, 2);
	assert_int_equal(fx.exp.write_errors, 2);
	assert_int_equal(rte_mempool_avail_count(fx.hit_pool), HIT_RECORDS);
}

/* The exporter's thread: once dp_exporter_retire returns, every record
 * queued before it was called is written (the set they point at may be
 * freed); dp_exporter_stop writes what is still queued. */
static void
test_thread_retire_and_stop(void **state)
{
	(void)state;
	struct dp_worker *workers[] = { fx.worker };
	struct lines out;

	assert_int_equal(dp_exporter_start(&fx.exp, workers, 1), 0);
	/* The thread registers with QSBR once it runs; a retire before that
	 * would not wait for it. An event written shows it runs. */
	syslog_record_enqueue(1, TIME_NS);
	uint64_t deadline = monotonic_ms() + DRAIN_MS;
	while (__atomic_load_n(&fx.exp.events, __ATOMIC_RELAXED) == 0) {
		if (monotonic_ms() > deadline)
			fail_msg("the exporter thread wrote nothing in %d ms",
				 DRAIN_MS);
		usleep(100);
	}
	for (unsigned int i = 1; i < 40; i++)
		syslog_record_enqueue(1 + i, TIME_NS);
	dp_exporter_retire(&fx.exp);
	assert_int_equal(__atomic_load_n(&fx.exp.events, __ATOMIC_RELAXED), 40);
	assert_int_equal(domain_hits(), 40);
	for (unsigned int i = 40; i < 60; i++)
		syslog_record_enqueue(1 + i, TIME_NS);
	dp_exporter_stop(&fx.exp, DRAIN_MS);
	assert_int_equal(fx.exp.events, 60);
	assert_int_equal(fx.exp.write_errors, 0);
	assert_int_equal(rte_ring_count(fx.hit_ring), 0);
	assert_int_equal(rte_mempool_avail_count(fx.hit_pool), HIT_RECORDS);
	fflush(fx.exp.out);
	lines_read(fx.out_path, &out);
	assert_int_equal(out.count, 60);
	for (unsigned int i = 0; i < 60; i++) {
		json_t *e = event_parse(out.text[i]);
		assert_int_equal(integer_at(e, "iocsift/frame"), i + 1);
		json_decref(e);
	}
	lines_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define EXPORTER_TEST(f) \
	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
		EXPORTER_TEST(test_events_out_and_in_file_sinks),
		EXPORTER_TEST(test_throttle_folds_repeats),
		EXPORTER_TEST(test_message_lines),
		EXPORTER_TEST(test_write_errors_counted),
		EXPORTER_TEST(test_thread_retire_and_stop),
#undef EXPORTER_TEST
	};
	int rc = eal_fixture_init("test_exporter");

	if (rc != 0)
		return rc;
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	eal_fixture_cleanup();
	return rc;
}
