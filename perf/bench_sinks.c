/* bench_sinks.c -- events per second formatted and delivered to a
 * loopback TCP receiver, for each format (issue 5). The receiver is a
 * thread of this program that reads RFC 6587 octet-counted frames and
 * counts them; the clock runs from the first submit until it has them
 * all. The reference, in the same run, is the ceiling of the transport:
 * the same number of pre-formatted ECS frames written straight to a
 * socket by one thread, with no formatting, queue or sink thread.
 * usage: bench_sinks [EVENTS] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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
	uint64_t frames;           /* read by the main thread relaxed */
	uint64_t bytes;
	pthread_t thread;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
						__atomic_store_n(&r->frames, r->frames + 1,
								 __ATOMIC_RELAXED);
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
	pthread_create(&r->thread, NULL, receiver_main, r);
}

static void
receiver_wait(struct receiver *r, uint64_t frames)
{
	while (__atomic_load_n(&r->frames, __ATOMIC_RELAXED) < frames)
		usleep(100);
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

/* Formats and submits n events through a TCP sink; events per second. */
static double
run_format(enum exp_format format, uint64_t n, const char *spool)
{
	struct receiver r = { 0 };
	struct exp_sink_config cfg;
	struct exp_message msg;
	struct pat_indicator ind;
	struct exp_buffer buf = { 0 };
	char uri[256], err[512], id[48];

	receiver_start(&r);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?format=%s&queue=100000"
		 "&name=bench-%s", r.port, exp_format_name(format),
		 exp_format_name(format));
	if (exp_sink_parse_uri(uri, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	struct exp_sink *sink = exp_sink_start(&cfg, spool, err, sizeof(err));
	if (sink == NULL) {
		fprintf(stderr, "%s\n", err);
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
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	char spool[] = "/tmp/bench_sinks.XXXXXX";

	if (mkdtemp(spool) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	double ceiling = run_reference(n);
	const enum exp_format formats[] = { EXP_FORMAT_ECS, EXP_FORMAT_RFC5424,
					    EXP_FORMAT_CEF, EXP_FORMAT_LEEF };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		double rate = run_format(formats[i], n, spool);
		printf("         ratio to the ceiling: %.2f\n", rate / ceiling);
	}
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", spool);
	return system(cmd) == 0 ? 0 : 1;
}
