/* bench_sinks.c -- events per second formatted and delivered to a
 * loopback TCP receiver, for each format (issue 5). The receiver is a
 * thread of this program that reads RFC 6587 octet-counted frames and
 * counts them; the clock runs from the first submit until it has them
 * all. The reference, in the same run, is the ceiling of the transport:
 * the same number of pre-formatted ECS frames written straight to a
 * socket by one thread, with no formatting, queue or sink thread.
 * With --format-only, nothing is sent: each format's record and syslog
 * message is made EVENTS times on this thread, for the syslog hit and for
 * a DNS hit (issue 9). With --nats URL, the ECS event through the TCP
 * sink as above and through a nats:// sink to the JetStream server at
 * URL (stream BENCH made by the sink), timed until JetStream acknowledged
 * them all (issue 14).
 * usage: bench_sinks [--format-only] [EVENTS [FORMAT...]]
 *        bench_sinks --nats URL [EVENTS] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "format.h"
#include "sink.h"

struct receiver {
	int listen_fd;
	uint16_t port;
	uint64_t frames;
	uint64_t bytes;
	uint64_t want;             /* frames receiver_wait() waits for */
	pthread_mutex_t lock;      /* guards want and the wake-up */
	pthread_cond_t done;
	pthread_t thread;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The waiter sleeps on a condition rather than polling, so that it takes
 * no CPU from the threads measured (the machine has two). */
static void
frame_counted(struct receiver *r)
{
	uint64_t frames = __atomic_add_fetch(&r->frames, 1, __ATOMIC_SEQ_CST);

	if (frames == __atomic_load_n(&r->want, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&r->lock);
		pthread_cond_signal(&r->done);
		pthread_mutex_unlock(&r->lock);
	}
}

/* Counts "LEN SP MSG" frames on every connection, one after another. */
static void *
receiver_main(void *arg)
{
	struct receiver *r = arg;
	static char buf[1 << 16];

	for (;;) {
		int fd = accept(r->listen_fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		size_t want = 0, have = 0;   /* bytes of the frame body left */
		char len_text[16];
		size_t len_used = 0;
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < n;) {
				if (want > 0) {
					size_t take = (size_t)(n - i) < want ?
						(size_t)(n - i) : want;
					want -= take;
					i += (ssize_t)take;
					if (want == 0)
						frame_counted(r);
					continue;
				}
				char c = buf[i++];
				if (c == ' ') {
					len_text[len_used] = '\0';
					want = strtoul(len_text, NULL, 10);
					len_used = 0;
				} else if (len_used + 1 < sizeof(len_text)) {
					len_text[len_used++] = c;
				}
			}
			r->bytes += (uint64_t)n;
		}
		(void)have;
		close(fd);
	}
}

static void
receiver_start(struct receiver *r)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);

	r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (r->listen_fd < 0 ||
	    bind(r->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(r->listen_fd, 4) != 0 ||
	    getsockname(r->listen_fd, (struct sockaddr *)&addr, &len) != 0) {
		perror("receiver");
		exit(1);
	}
	r->port = ntohs(addr.sin_port);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->done, NULL);
	pthread_create(&r->thread, NULL, receiver_main, r);
}

static void
receiver_wait(struct receiver *r, uint64_t frames)
{
	pthread_mutex_lock(&r->lock);
	__atomic_store_n(&r->want, frames, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&r->frames, __ATOMIC_SEQ_CST) < frames)
		pthread_cond_wait(&r->done, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

/* A typical hit: a proxy log line naming a 3CX C2 domain. */
static const char payload[] =
	"<150>Nov 26 10:00:00 proxy01 squid[2231]: 1795687200.826  78968 "
	"10.1.20.65 TCP_TUNNEL/200 67297 CONNECT journalide.org:443 mallory "
	"HIER_DIRECT/198.51.100.116 -";

static void
event_make(struct exp_message *msg, struct pat_indicator *ind)
{
	*msg = (struct exp_message){
		.protocol = EXP_PROTOCOL_SYSLOG, .time_ns = 1795687200826000000ULL,
		.ip_version = 4, .l4_proto = 17,
		.src_addr = { 10, 1, 0, 10 }, .dst_addr = { 10, 0, 0, 2 },
		.src_port = 40005, .dst_port = 514,
		.payload = (const uint8_t *)payload, .payload_len = strlen(payload),
	};
	*ind = (struct pat_indicator){
		.type = PAT_TYPE_DOMAIN, .value = "journalide.org", .tags = "3cx,c2",
		.source = "https://github.com/sophoslabs/IoCs", .feed = "3cx",
		.line = 9, .severity = PAT_SEVERITY_HIGH,
	};
}

/* A DNS hit: the response for journalide.org A with a CNAME and two
 * addresses, as a worker exports it. */
static const uint8_t dns_payload[] = {
	0x5a, 0x17, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	10, 'j', 'o', 'u', 'r', 'n', 'a', 'l', 'i', 'd', 'e', 3, 'o', 'r', 'g', 0,
	0, 1, 0, 1,
	0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6,
	3, 'c', 'd', 'n', 0xc0, 0x0c,
	0xc0, 0x2c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 116,
	0xc0, 0x2c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 117,
};

static void
dns_event_make(struct exp_message *msg, struct pat_indicator *ind)
{
	event_make(msg, ind);
	msg->protocol = EXP_PROTOCOL_DNS;
	msg->src_port = 53;
	msg->dst_port = 41235;
	msg->payload = dns_payload;
	msg->payload_len = sizeof(dns_payload);
}

/* Formats n events (record, or syslog message) on this thread; events
 * per second. Ids are made beforehand, and the time moves 1 us an event,
 * as a stream of hits would. */
static double
format_only(enum exp_format format, bool syslog, struct exp_message *msg,
	    const struct pat_indicator *ind, uint64_t n, size_t *bytes)
{
	static char ids[256][48];
	struct exp_buffer buf = { 0 };
	uint64_t t = msg->time_ns;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		snprintf(ids[i], sizeof(ids[i]), "0123456789abcdef-%zu", i + 1);
	struct exp_event ev = { .msg = msg, .ind = ind, .db_version = 7,
				.hostname = "span-01", .count = 1 };
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		msg->time_ns = t + i * 1000;
		ev.id = ids[i % (sizeof(ids) / sizeof(ids[0]))];
		exp_buffer_reset(&buf);
		int rc = syslog ? exp_format_syslog(format, &ev, &buf) :
			exp_format_record(format, &ev, &buf);
		if (rc != 0) {
			fprintf(stderr, "format failed: %s\n", strerror(-rc));
			exit(1);
		}
	}
	double seconds = now_s() - t0;
	msg->time_ns = t;
	*bytes = buf.len;
	exp_buffer_free(&buf);
	return (double)n / seconds;
}

static void
run_format_only(uint64_t n)
{
	static const enum exp_format formats[] = { EXP_FORMAT_ECS,
		EXP_FORMAT_RFC5424, EXP_FORMAT_CEF, EXP_FORMAT_LEEF };
	struct exp_message msg;
	struct pat_indicator ind;
	size_t bytes;

	printf("formatting only, one thread, %lu events each "
	       "(events/s, bytes of the last)\n", (unsigned long)n);
	printf("%-8s %14s %14s %14s %14s\n", "format", "syslog record",
	       "syslog msg", "dns record", "dns msg");
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		printf("%-8s", exp_format_name(formats[f]));
		for (int kind = 0; kind < 2; kind++) {
			if (kind == 0)
				event_make(&msg, &ind);
			else
				dns_event_make(&msg, &ind);
			for (int syslog = 0; syslog < 2; syslog++) {
				double rate = format_only(formats[f], syslog,
							  &msg, &ind, n, &bytes);
				printf(" %9.0f %4zu", rate, bytes);
			}
		}
		printf("\n");
	}
}

/* Formats and submits n events through a TCP sink; events per second. */
static double
run_format(enum exp_format format, uint64_t n, const char *spool)
{
	struct receiver r = { 0 };
	struct exp_sink_config cfg;
	struct exp_message msg;
	struct pat_indicator ind;
	struct exp_buffer buf = { 0 };
	struct error_detail err = { 0 };
	char uri[256], id[48], text[ERROR_DETAIL_TEXT_MAX];

	/* A record stays in memory until confirmed, confirm_ms (2 s) after
	 * it was sent, and at most queue records wait so: a run of more
	 * events than that measures confirm_ms, not the exporter. */
	uint64_t queue = n < 100000 ? 100000 : n;
	if (queue > EXP_SINK_QUEUE_MAX)
		queue = EXP_SINK_QUEUE_MAX;
	receiver_start(&r);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?format=%s&queue=%lu"
		 "&name=bench-%s", r.port, exp_format_name(format),
		 (unsigned long)queue, exp_format_name(format));
	if (exp_sink_parse_uri(uri, &cfg, &err) != 0) {
		fprintf(stderr, "%s\n",
			error_detail_format(&err, text, sizeof(text)));
		exit(1);
	}
	struct exp_sink *sink = exp_sink_start(&cfg, spool, &err);
	if (sink == NULL) {
		fprintf(stderr, "%s\n",
			error_detail_format(&err, text, sizeof(text)));
		exit(1);
	}
	event_make(&msg, &ind);
	struct exp_event ev = { .msg = &msg, .ind = &ind, .db_version = 7,
				.id = id, .hostname = "span-01", .count = 1,
				.first_ns = msg.time_ns, .last_ns = msg.time_ns };
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "0123456789abcdef-%lu", (unsigned long)i);
		exp_buffer_reset(&buf);
		if (exp_format_syslog(format, &ev, &buf) != 0 ||
		    exp_sink_submit(sink, buf.data, buf.len) != 0) {
			fprintf(stderr, "submit failed\n");
			exit(1);
		}
	}
	receiver_wait(&r, n);
	double seconds = now_s() - t0;
	struct exp_sink_stats st;
	exp_sink_stats_read(sink, &st);
	printf("%-8s %9.0f events/s  (%lu events, %.2f s, %.0f bytes/event,"
	       " spooled %lu, dropped %lu)\n", exp_format_name(format),
	       (double)n / seconds, (unsigned long)n, seconds,
	       (double)r.bytes / (double)n, (unsigned long)st.spooled,
	       (unsigned long)st.dropped);
	exp_sink_stop(sink, 1000);
	exp_buffer_free(&buf);
	shutdown(r.listen_fd, SHUT_RDWR);
	close(r.listen_fd);
	pthread_join(r.thread, NULL);
	return (double)n / seconds;
}

/* Formats and submits n ECS events through a NATS sink; events per
 * second until every one is acknowledged by JetStream. */
static double
run_nats(const char *url, uint64_t n, const char *spool)
{
	struct exp_sink_config cfg;
	struct exp_message msg;
	struct pat_indicator ind;
	struct exp_buffer buf = { 0 }, rec = { 0 };
	struct error_detail err = { 0 };
	struct exp_sink_stats st;
	char uri[512], id[48], text[ERROR_DETAIL_TEXT_MAX];
	uint64_t queue = n > EXP_SINK_QUEUE_MAX ? EXP_SINK_QUEUE_MAX : n;

	snprintf(uri, sizeof(uri), "%s?stream=BENCH&site=bench&queue=%lu"
		 "&name=bench-nats", url, (unsigned long)(queue ? queue : 1));
	if (exp_sink_parse_uri(uri, &cfg, &err) != 0) {
		fprintf(stderr, "%s\n",
			error_detail_format(&err, text, sizeof(text)));
		exit(1);
	}
	struct exp_sink *sink = exp_sink_start(&cfg, spool, &err);
	if (sink == NULL) {
		fprintf(stderr, "%s\n",
			error_detail_format(&err, text, sizeof(text)));
		exit(1);
	}
	event_make(&msg, &ind);
	struct exp_event ev = { .msg = &msg, .ind = &ind, .db_version = 7,
				.id = id, .hostname = "span-01", .count = 1,
				.first_ns = msg.time_ns, .last_ns = msg.time_ns };
	char run[17];
	snprintf(run, sizeof(run), "%08lx%08lx", (unsigned long)time(NULL),
		 (unsigned long)getpid());
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s-%lu", run, (unsigned long)i);
		exp_buffer_reset(&buf);
		if (exp_format_record(EXP_FORMAT_ECS, &ev, &buf) != 0 ||
		    exp_sink_nats_record(&rec, pat_type_name(ind.type), id,
					 buf.data, buf.len) != 0 ||
		    exp_sink_submit(sink, rec.data, rec.len) != 0) {
			fprintf(stderr, "submit failed\n");
			exit(1);
		}
	}
	for (;;) {
		exp_sink_stats_read(sink, &st);
		if (st.queued == n && st.memory_records == 0 &&
		    st.spool_records == 0)
			break;
		if (now_s() - t0 > 600) {
			fprintf(stderr, "nats: not acknowledged in 600 s: %s\n",
				st.last_error);
			exit(1);
		}
		usleep(1000);
	}
	double seconds = now_s() - t0;
	printf("%-8s %9.0f events/s  (%lu events, %.2f s, %.0f bytes/event,"
	       " spooled %lu, retried %lu, dropped %lu)\n", "nats",
	       (double)n / seconds, (unsigned long)n, seconds,
	       (double)buf.len, (unsigned long)st.spooled,
	       (unsigned long)st.retried, (unsigned long)st.dropped);
	exp_sink_stop(sink, 1000);
	exp_buffer_free(&buf);
	exp_buffer_free(&rec);
	return (double)n / seconds;
}

/* The reference: pre-formatted frames written by one thread. */
static double
run_reference(uint64_t n)
{
	struct receiver r = { 0 };
	struct exp_message msg;
	struct pat_indicator ind;
	struct exp_buffer buf = { 0 };
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char frame[8192];

	receiver_start(&r);
	event_make(&msg, &ind);
	struct exp_event ev = { .msg = &msg, .ind = &ind, .db_version = 7,
				.id = "0123456789abcdef-1", .hostname = "span-01",
				.count = 1, .first_ns = msg.time_ns,
				.last_ns = msg.time_ns };
	exp_format_syslog(EXP_FORMAT_ECS, &ev, &buf);
	int len = snprintf(frame, sizeof(frame), "%zu %s", buf.len, buf.data);
	addr.sin_port = htons(r.port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("connect");
		exit(1);
	}
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		for (int off = 0; off < len;) {
			ssize_t w = write(fd, frame + off, (size_t)(len - off));
			if (w <= 0) {
				perror("write");
				exit(1);
			}
			off += (int)w;
		}
	}
	receiver_wait(&r, n);
	double seconds = now_s() - t0;
	printf("%-8s %9.0f events/s  (pre-formatted ECS frames, one write each,"
	       " no sink)\n", "ceiling", (double)n / seconds);
	close(fd);
	exp_buffer_free(&buf);
	shutdown(r.listen_fd, SHUT_RDWR);
	close(r.listen_fd);
	pthread_join(r.thread, NULL);
	return (double)n / seconds;
}

int
main(int argc, char **argv)
{
	static const enum exp_format all[] = { EXP_FORMAT_ECS,
		EXP_FORMAT_RFC5424, EXP_FORMAT_CEF, EXP_FORMAT_LEEF };
	enum exp_format formats[EXP_FORMAT_COUNT];
	size_t n_formats = 0;
	bool format_only_mode = argc > 1 && strcmp(argv[1], "--format-only") == 0;
	bool nats_mode = argc > 2 && strcmp(argv[1], "--nats") == 0;
	int arg = format_only_mode ? 2 : nats_mode ? 3 : 1;
	uint64_t n = argc > arg ? strtoull(argv[arg], NULL, 10) :
		format_only_mode ? 1000000 : 200000;
	char spool[] = "/tmp/bench_sinks.XXXXXX";

	for (int i = arg + 1; i < argc && n_formats < EXP_FORMAT_COUNT; i++) {
		if (exp_format_from_name(argv[i], &formats[n_formats]) != 0) {
			n = 0;
			break;
		}
		n_formats++;
	}
	if (nats_mode && argc > arg + 1)
		n = 0;
	if (n == 0 || format_only_mode) {
		if (n == 0)
			fprintf(stderr, "usage: bench_sinks [--format-only] "
				"[EVENTS [FORMAT...]]\n"
				"       bench_sinks --nats URL [EVENTS]\n");
		else
			run_format_only(n);
		return n == 0 ? 2 : 0;
	}
	if (n_formats == 0) {
		memcpy(formats, all, sizeof(all));
		n_formats = EXP_FORMAT_COUNT;
	}
	if (mkdtemp(spool) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	double ceiling = run_reference(n);
	if (nats_mode) {
		/* Side by side in one run: TCP, then NATS, then TCP again. */
		double tcp1 = run_format(EXP_FORMAT_ECS, n, spool);
		double nats = run_nats(argv[2], n, spool);
		double tcp2 = run_format(EXP_FORMAT_ECS, n, spool);
		printf("         nats against tcp: %.2f (tcp %.0f and %.0f "
		       "events/s around it)\n", 2 * nats / (tcp1 + tcp2), tcp1,
		       tcp2);
		n_formats = 0;
	}
	for (size_t i = 0; i < n_formats; i++) {
		double rate = run_format(formats[i], n, spool);
		printf("         ratio to the ceiling: %.2f\n", rate / ceiling);
	}
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", spool);
	return system(cmd) == 0 ? 0 : 1;
}
