/* test_sink.c -- sink URIs, the filter, and delivery to loopback
 * receivers made here: TCP and TLS servers that read octet-counted frames
 * (and die mid-stream), a UDP socket, files; spools across restarts. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sink.h"

#define IDS_MAX 4096

/*
 * Helpers: time, a temporary directory, captured log messages.
 */

static char tmp_root[256];

static uint64_t
ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[65536];

static void
test_logger(int level, const char *message)
{
	pthread_mutex_lock(&log_lock);
	size_t n = strlen(log_text);
	snprintf(log_text + n, sizeof(log_text) - n, "%d %s\n", level, message);
	if (n > sizeof(log_text) / 2)
		memmove(log_text, log_text + n / 2, strlen(log_text + n / 2) + 1);
	pthread_mutex_unlock(&log_lock);
	if (getenv("SINK_TEST_VERBOSE") != NULL)
		fprintf(stderr, "log %d %s\n", level, message);
}

static bool
log_has(const char *needle)
{
	pthread_mutex_lock(&log_lock);
	bool found = strstr(log_text, needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

static bool
wait_log(const char *needle, unsigned int timeout_ms)
{
	uint64_t end = ms_now() + timeout_ms;

	while (!log_has(needle)) {
		if (ms_now() > end)
			return false;
		sleep_ms(10);
	}
	return true;
}

static void
log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_text[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	(void)state;
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/test_sink.XXXXXX");
	if (mkdtemp(tmp_root) == NULL)
		return -1;
	exp_sink_set_logger(test_logger);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (getenv("SINK_TEST_KEEP") == NULL)
		nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A fresh directory under the temporary root. */
static void
tmp_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp_root, name);
	assert_int_equal(mkdir(buf, 0700), 0);
}

/* Record i: an id, then i % 300 bytes so frame lengths vary in digits. */
static size_t
record_make(char *buf, size_t size, unsigned int id)
{
	int n = snprintf(buf, size, "rec-%06u:", id);

	for (unsigned int k = 0; k < id % 300 && (size_t)n + 1 < size; k++)
		buf[n++] = (char)('a' + k % 26);
	buf[n] = '\0';
	return (size_t)n;
}

static void
submit_range(struct exp_sink *s, unsigned int from, unsigned int to)
{
	char rec[512];

	for (unsigned int i = from; i < to; i++)
		assert_int_equal(exp_sink_submit(s, rec, record_make(rec,
						 sizeof(rec), i)), 0);
}

/* An error as one line, as iocsift prints it after "iocsift: ". */
static const char *
err_text(const struct error_detail *err)
{
	static char text[ERROR_DETAIL_TEXT_MAX];

	return error_detail_format(err, text, sizeof(text));
}

static struct exp_sink *
start_uri(const char *uri, const char *spool_root)
{
	struct exp_sink_config cfg;
	struct error_detail err = { 0 };

	if (exp_sink_parse_uri(uri, &cfg, &err) != 0)
		fail_msg("%s", err_text(&err));
	struct exp_sink *s = exp_sink_start(&cfg, spool_root, &err);
	if (s == NULL)
		fail_msg("%s", err_text(&err));
	return s;
}

static struct exp_sink_stats
stats_of(struct exp_sink *s)
{
	struct exp_sink_stats st;

	exp_sink_stats_read(s, &st);
	return st;
}

/*
 * Receivers.
 */

/* A TCP (or TLS) receiver of octet-counted frames "LEN SP MSG", one
 * connection at a time. kill_after: after that many frames on a
 * connection it resets the connection and stops listening, like a
 * crashed receiver (unread bytes lost). */
struct server {
	uint16_t port;
	int listen_fd;
	SSL_CTX *tls;
	pthread_t thread;
	atomic_bool stop;
	unsigned int kill_after;
	bool hold_on_eof;             /* keep the connection open after EOF */
	pthread_mutex_t lock;
	unsigned int counts[IDS_MAX];
	unsigned int order[IDS_MAX * 4];
	size_t order_n;
	uint64_t frames, connections, eofs, handshake_failures;
	bool bad_frame;
};

static int
listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

/* A port where nothing listens (bound once, then closed). */
static uint16_t
dead_port(void)
{
	uint16_t port;
	int fd = listen_on(0, &port);

	assert_true(fd >= 0);
	close(fd);
	return port;
}

/* Parses the frames in buf[0..*len); keeps an incomplete tail. Returns
 * false on a framing error. Counts frames; stops at kill_after. */
static bool
server_frames(struct server *sv, char *buf, size_t *len, unsigned int *in_conn)
{
	size_t off = 0;

	while (off < *len) {
		size_t i = off, n = 0;
		while (i < *len && buf[i] >= '0' && buf[i] <= '9' && i - off < 8)
			n = n * 10 + (size_t)(buf[i++] - '0');
		if (i == *len)
			break;                   /* length not complete */
		if (i == off || buf[i] != ' ' || buf[off] == '0')
			return false;
		if (*len - (i + 1) < n)
			break;                   /* message not complete */
		const char *msg = buf + i + 1;
		unsigned int id;
		if (n < 11 || sscanf(msg, "rec-%6u:", &id) != 1 || id >= IDS_MAX ||
		    n != 11 + id % 300)
			return false;
		pthread_mutex_lock(&sv->lock);
		sv->counts[id]++;
		if (sv->order_n < sizeof(sv->order) / sizeof(sv->order[0]))
			sv->order[sv->order_n++] = id;
		sv->frames++;
		pthread_mutex_unlock(&sv->lock);
		off = i + 1 + n;
		if (sv->kill_after > 0 && ++*in_conn >= sv->kill_after)
			break;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return true;
}

/* Reads into buf: > 0 bytes, 0 at the end, -1 nothing yet, -2 error. */
static int
conn_read(int fd, SSL *ssl, char *buf, size_t cap)
{
	if (ssl != NULL) {
		int n = SSL_read(ssl, buf, (int)cap);
		if (n > 0)
			return n;
		int e = SSL_get_error(ssl, n);
		ERR_clear_error();
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return -1;
		return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
	}
	ssize_t n = recv(fd, buf, cap, 0);
	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EINTR ? -1 : -2;
}

static void
server_connection(struct server *sv, int fd)
{
	struct timeval tv = { 0, 100000 };
	static _Thread_local char buf[1 << 17];
	size_t len = 0;
	unsigned int in_conn = 0;
	SSL *ssl = NULL;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sv->tls != NULL) {
		ssl = SSL_new(sv->tls);
		SSL_set_fd(ssl, fd);
		int rc;
		while ((rc = SSL_accept(ssl)) != 1 && !atomic_load(&sv->stop)) {
			int e = SSL_get_error(ssl, rc);
			ERR_clear_error();
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				pthread_mutex_lock(&sv->lock);
				sv->handshake_failures++;
				pthread_mutex_unlock(&sv->lock);
				goto out;
			}
		}
	}
	while (!atomic_load(&sv->stop)) {
		int n = conn_read(fd, ssl, buf + len, sizeof(buf) - len);
		if (n == -1)
			continue;
		if (n <= 0) {
			pthread_mutex_lock(&sv->lock);
			sv->eofs += n == 0;
			pthread_mutex_unlock(&sv->lock);
			while (n == 0 && sv->hold_on_eof && !atomic_load(&sv->stop))
				sleep_ms(20);
			if (n == 0 && ssl != NULL)
				SSL_shutdown(ssl);
			break;
		}
		len += (size_t)n;
		if (!server_frames(sv, buf, &len, &in_conn)) {
			pthread_mutex_lock(&sv->lock);
			sv->bad_frame = true;
			pthread_mutex_unlock(&sv->lock);
			break;
		}
		if (sv->kill_after > 0 && in_conn >= sv->kill_after) {
			/* Crash: reset, whatever is unread is lost. */
			struct linger l = { 1, 0 };
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			atomic_store(&sv->stop, true);
			break;
		}
	}
out:
	SSL_free(ssl);
	close(fd);
}

static void *
server_main(void *arg)
{
	struct server *sv = arg;

	while (!atomic_load(&sv->stop)) {
		struct pollfd p = { .fd = sv->listen_fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept4(sv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&sv->lock);
		sv->connections++;
		pthread_mutex_unlock(&sv->lock);
		server_connection(sv, fd);
	}
	close(sv->listen_fd);
	sv->listen_fd = -1;
	return NULL;
}

/* Starts sv on port (0: any); keeps what it counted so far. */
static void
server_start(struct server *sv, uint16_t port)
{
	atomic_store(&sv->stop, false);
	sv->listen_fd = listen_on(port, &sv->port);
	assert_true(sv->listen_fd >= 0);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
}

static void
server_join(struct server *sv)
{
	atomic_store(&sv->stop, true);
	pthread_join(sv->thread, NULL);
}

static struct server *
server_new(void)
{
	struct server *sv = calloc(1, sizeof(*sv));

	assert_non_null(sv);
	pthread_mutex_init(&sv->lock, NULL);
	sv->listen_fd = -1;
	return sv;
}

static void
server_free(struct server *sv)
{
	pthread_mutex_destroy(&sv->lock);
	SSL_CTX_free(sv->tls);
	free(sv);
}

/* How many of ids [0, n) arrived at least once. */
static unsigned int
server_distinct(struct server *sv, unsigned int n)
{
	unsigned int got = 0;

	pthread_mutex_lock(&sv->lock);
	for (unsigned int i = 0; i < n; i++)
		got += sv->counts[i] > 0;
	pthread_mutex_unlock(&sv->lock);
	return got;
}

static bool
wait_distinct(struct server *sv, unsigned int n, unsigned int timeout_ms)
{
	uint64_t end = ms_now() + timeout_ms;

	while (server_distinct(sv, n) < n) {
		if (ms_now() > end)
			return false;
		sleep_ms(10);
	}
	return true;
}

/* What the server counted so far, read under its lock. */
struct server_view {
	uint64_t frames, eofs;
	size_t order_n;
	bool bad_frame;
};

static struct server_view
server_view(struct server *sv)
{
	pthread_mutex_lock(&sv->lock);
	struct server_view v = { sv->frames, sv->eofs, sv->order_n,
				 sv->bad_frame };
	pthread_mutex_unlock(&sv->lock);
	return v;
}

static uint64_t
server_frames_count(struct server *sv)
{
	pthread_mutex_lock(&sv->lock);
	uint64_t n = sv->frames;
	pthread_mutex_unlock(&sv->lock);
	return n;
}

/*
 * URI parsing.
 */

static void
parse_ok(const char *uri, struct exp_sink_config *cfg)
{
	struct error_detail err = { 0 };

	if (exp_sink_parse_uri(uri, cfg, &err) != 0)
		fail_msg("%s: %s", uri, err_text(&err));
}

/* The URI fails and the message holds needle. */
static void
parse_fails(const char *uri, const char *needle)
{
	struct exp_sink_config cfg;
	struct error_detail err = { 0 };

	if (exp_sink_parse_uri(uri, &cfg, &err) != -EINVAL)
		fail_msg("accepted: %s", uri);
	const char *text = err_text(&err);
	if (strncmp(text, "sink '", 6) != 0 || strstr(text, needle) == NULL)
		fail_msg("%s: '%s' does not say '%s'", uri, text, needle);
}

static void
test_parse_defaults(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("udp://192.0.2.10", &c);
	assert_int_equal(c.kind, EXP_SINK_UDP);
	assert_string_equal(c.host, "192.0.2.10");
	assert_int_equal(c.port, 514);
	assert_string_equal(c.format, "ecs");
	assert_int_equal(c.type_mask, 0);
	assert_int_equal(c.n_feeds, 0);
	assert_int_equal(c.min_severity, 0);
	assert_true(c.spool_max == 1ull << 30);
	assert_int_equal(c.queue, 10000);
	assert_int_equal(c.confirm_ms, 2000);
	assert_int_equal(c.backoff_max_ms, 30000);
	assert_true(c.verify);
	assert_string_equal(c.name, "udp-192.0.2.10-514");
	assert_string_equal(c.uri, "udp://192.0.2.10");

	parse_ok("tcp://siem.example.com/", &c);
	assert_int_equal(c.kind, EXP_SINK_TCP);
	assert_int_equal(c.port, 601);
	assert_string_equal(c.name, "tcp-siem.example.com-601");

	parse_ok("TLS://siem.example.com", &c);
	assert_int_equal(c.kind, EXP_SINK_TLS);
	assert_int_equal(c.port, 6514);
	assert_string_equal(c.server_name, "siem.example.com");
	assert_string_equal(c.ca, "");
	assert_string_equal(c.name, "tls-siem.example.com-6514");

	parse_ok("file:///var/log/iocsift/hits.json", &c);
	assert_int_equal(c.kind, EXP_SINK_FILE);
	assert_string_equal(c.path, "/var/log/iocsift/hits.json");
	assert_string_equal(c.name, "file-hits.json");
	assert_string_equal(exp_sink_kind_name(c.kind), "file");

	/* A long host keeps the port in the default name. */
	char uri[400], host[254];
	memset(host, 'h', 200);
	host[200] = '\0';
	snprintf(uri, sizeof(uri), "tcp://%s:7777", host);
	parse_ok(uri, &c);
	assert_int_equal(strlen(c.name), EXP_SINK_NAME_MAX);
	assert_string_equal(c.name + EXP_SINK_NAME_MAX - 5, "-7777");
}

static void
test_parse_all_params(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("tls://siem.example.com:6515/?format=RFC5424&types=domain,"
		 "ipv4,sha256&feeds=3cx,cli&min_severity=high&ca=/etc/ca.pem&"
		 "cert=/etc/c.pem&key=/etc/k.pem&name_check=collector.example&"
		 "verify=no&spool_max=512M&queue=500&confirm_ms=100&"
		 "backoff_max=5s&name=siem-1", &c);
	assert_int_equal(c.kind, EXP_SINK_TLS);
	assert_string_equal(c.host, "siem.example.com");
	assert_int_equal(c.port, 6515);
	assert_string_equal(c.format, "rfc5424");
	assert_int_equal(c.type_mask, 1u << PAT_TYPE_DOMAIN |
			 1u << PAT_TYPE_IPV4 | 1u << PAT_TYPE_SHA256);
	assert_int_equal(c.n_feeds, 2);
	assert_string_equal(c.feeds[0], "3cx");
	assert_string_equal(c.feeds[1], "cli");
	assert_int_equal(c.min_severity, PAT_SEVERITY_HIGH);
	assert_string_equal(c.ca, "/etc/ca.pem");
	assert_string_equal(c.cert, "/etc/c.pem");
	assert_string_equal(c.key, "/etc/k.pem");
	assert_string_equal(c.server_name, "collector.example");
	assert_false(c.verify);
	assert_true(c.spool_max == 512ull << 20);
	assert_int_equal(c.queue, 500);
	assert_int_equal(c.confirm_ms, 100);
	assert_int_equal(c.backoff_max_ms, 5000);
	assert_string_equal(c.name, "siem-1");

	parse_ok("udp://h?format=cef&min_severity=2&types=ip,URL&queue=1000000",
		 &c);
	assert_string_equal(c.format, "cef");
	assert_int_equal(c.min_severity, PAT_SEVERITY_MEDIUM);
	assert_int_equal(c.type_mask, 1u << PAT_TYPE_IPV4 |
			 1u << PAT_TYPE_IPV6 | 1u << PAT_TYPE_URL);
	assert_int_equal(c.queue, 1000000);
	parse_ok("tcp://h?format=leef&types=hostname,file-name,pcre&"
		 "backoff_max=250ms&confirm_ms=0&feeds=a,b,a", &c);
	assert_int_equal(c.type_mask, 1u << PAT_TYPE_DOMAIN |
			 1u << PAT_TYPE_FILENAME | 1u << PAT_TYPE_REGEX);
	assert_int_equal(c.backoff_max_ms, 250);
	assert_int_equal(c.confirm_ms, 0);
	assert_int_equal(c.n_feeds, 2);      /* a repeat counts once */
	parse_ok("tcp://h?backoff_max=2m", &c);
	assert_int_equal(c.backoff_max_ms, 120000);
	parse_ok("tcp://h?backoff_max=45", &c);          /* seconds */
	assert_int_equal(c.backoff_max_ms, 45000);
}

static void
test_parse_ipv6(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("tcp://[2001:db8::1]:1514", &c);
	assert_string_equal(c.host, "2001:db8::1");
	assert_int_equal(c.port, 1514);
	assert_string_equal(c.name, "tcp-2001_db8__1-1514");
	parse_ok("udp://[::1]", &c);
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 514);
	parse_ok("tls://[fe80::1%25eth0]:6514?ca=/ca.pem", &c);
	assert_string_equal(c.host, "fe80::1%eth0");
	assert_string_equal(c.server_name, "fe80::1");
	parse_ok("tls://[::ffff:192.0.2.1]/", &c);
	assert_string_equal(c.host, "::ffff:192.0.2.1");

	parse_fails("tcp://2001:db8::1", "in brackets");
	parse_fails("tcp://[2001:db8::1", "without ']'");
	parse_fails("tcp://[2001:zz8::1]:1", "not an IPv6 address");
	parse_fails("tcp://[192.0.2.1]", "not an IPv6 address");
	parse_fails("tcp://[::1]x", "expected ':PORT'");
	parse_fails("tcp://[::1]:", "port ''");
	parse_fails("tcp://[fe80::1%25]:1", "bad IPv6 zone");
	parse_fails("tcp://[fe80::1%25a!b]:1", "bad IPv6 zone");
}

static void
test_parse_sizes(void **state)
{
	struct exp_sink_config c;
	(void)state;

	parse_ok("tcp://h?spool_max=64K", &c);
	assert_true(c.spool_max == 65536);
	parse_ok("tcp://h?spool_max=10m", &c);
	assert_true(c.spool_max == 10ull << 20);
	parse_ok("tcp://h?spool_max=2G", &c);
	assert_true(c.spool_max == 2ull << 30);
	parse_ok("tcp://h?spool_max=0", &c);
	assert_true(c.spool_max == 0);
	parse_ok("tcp://h?spool_max=70000", &c);
	assert_true(c.spool_max == 70000);
	parse_ok("tcp://h?spool_max=16000G", &c);
	assert_true(c.spool_max == 16000ull << 30);

	parse_fails("tcp://h?spool_max=1K", "at least 64K");
	parse_fails("tcp://h?spool_max=5X", "optional K, M or G");
	parse_fails("tcp://h?spool_max=-1", "optional K, M or G");
	parse_fails("tcp://h?spool_max=1.5G", "optional K, M or G");
	parse_fails("tcp://h?spool_max=G", "optional K, M or G");
	parse_fails("tcp://h?spool_max=99999999999999999999G", "too large");
	parse_fails("tcp://h?spool_max=20000000000G", "too large");
	parse_fails("tcp://h?queue=0", "queue: expected 1 to 1000000");
	parse_fails("tcp://h?queue=1000001", "queue:");
	parse_fails("tcp://h?queue=1e3", "queue:");
	parse_fails("tcp://h?confirm_ms=600001", "confirm_ms:");
	parse_fails("tcp://h?backoff_max=50ms", "backoff_max:");
	parse_fails("tcp://h?backoff_max=2h", "backoff_max:");
	parse_fails("tcp://h?backoff_max=3601", "backoff_max:");
}

static void
test_parse_errors(void **state)
{
	struct exp_sink_config c;
	struct error_detail err = { 0 };
	char uri[1100];
	(void)state;

	parse_fails("", "expected scheme://");
	parse_fails("192.0.2.1:514", "expected scheme://");
	parse_fails("http://h", "unknown scheme 'http'");
	parse_fails("tcp://", "missing host");
	parse_fails("tcp://:601", "missing host");
	parse_fails("tcp://h:0", "port '0' is not 1 to 65535");
	parse_fails("tcp://h:65536", "port '65536'");
	parse_fails("tcp://h:", "port ''");
	parse_fails("tcp://h:12a", "port '12a'");
	parse_fails("tcp://h:+1", "port '+1'");
	parse_fails("tcp://u@h", "user information");
	parse_fails("tcp://h/path", "no path");
	parse_fails("tcp://h..x", "not a host name");
	parse_fails("tcp://.h", "not a host name");
	parse_fails("tcp://h!x", "not a host name");
	parse_fails("tcp://h a", "space or control character at byte 8");
	parse_fails("tcp://h\x01", "space or control character");
	parse_fails("tcp://h#frag", "'#'");
	parse_fails("tcp://h?", "empty query");
	parse_fails("tcp://h?&queue=1", "stray '&'");
	parse_fails("tcp://h?queue=1&", "stray '&'");
	parse_fails("tcp://h?queue", "needs a value");
	parse_fails("tcp://h?queue=", "empty value");
	parse_fails("tcp://h?queue=1&queue=2", "parameter 'queue' is given twice");
	parse_fails("tcp://h?ca=/x", "parameter 'ca' applies to tls sinks only");
	parse_fails("file:///x?verify=no", "applies to tls sinks only");
	parse_fails("udp://h?confirm_ms=5", "applies to tcp and tls sinks only");
	parse_fails("tls://h?cert=/c", "cert and key go together");
	parse_fails("tls://h?key=/k", "cert and key go together");
	parse_fails("tls://h?verify=maybe", "verify: expected yes or no");
	parse_fails("tls://h?name_check=a/b", "name_check:");
	parse_fails("tcp://h?format=json", "unknown format 'json'");
	parse_fails("tcp://h?types=domain,foo", "unknown type 'foo'");
	parse_fails("tcp://h?types=,", "empty type name");
	parse_fails("tcp://h?feeds=a,,b", "empty feed name");
	parse_fails("tcp://h?feeds=a%0Ab", "control character");
	parse_fails("tcp://h?feeds=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		    "at most 16 feeds");
	parse_fails("tcp://h?min_severity=severe", "min_severity: 'severe'");
	parse_fails("tcp://h?min_severity=0", "min_severity:");
	parse_fails("tcp://h?name=../x", "name: '../x'");
	parse_fails("tcp://h?name=.hidden", "not starting with '.'");
	parse_fails("tcp://h?name=a%20b", "name: 'a b'");
	parse_fails("tcp://h?name=a%2", "bad %-escape");
	parse_fails("tcp://h?name=a%zz", "bad %-escape");
	parse_fails("tcp://h?name=a%00", "control character");
	parse_fails("tcp://h?name=a%0A", "control character");
	parse_fails("file://var/log/x", "expected file:///absolute/path");
	parse_fails("file://", "expected file:///absolute/path");
	parse_fails("file:///var/log/", "names a directory");
	parse_fails("file:///a%2", "bad %-escape");

	/* 64 bytes of name: one too many. */
	snprintf(uri, sizeof(uri), "tcp://h?name=%064d", 0);
	parse_fails(uri, "is not 1 to 63");
	/* The exact form of an error. */
	assert_int_equal(exp_sink_parse_uri("tcp://h?x=1", &c, &err), -EINVAL);
	assert_string_equal(err_text(&err),
			    "sink 'tcp://h?x=1': unknown parameter 'x'");
	assert_string_equal(err.where, "sink 'tcp://h?x=1'");
	assert_string_equal(err.message, "unknown parameter 'x'");
	assert_int_equal(err.line, 0);
	/* Control characters quoted as '?', long URIs cut. */
	assert_int_equal(exp_sink_parse_uri("tcp://h\x1b[0m", &c, &err),
			 -EINVAL);
	assert_non_null(strstr(err_text(&err), "sink 'tcp://h?[0m'"));
}

static void
test_parse_limits(void **state)
{
	struct exp_sink_config c;
	struct error_detail err = { 0 };
	char uri[1100];
	(void)state;

	/* A 1023-byte URI fits; 1024 does not; the quote is cut. */
	memset(uri, 0, sizeof(uri));
	strcpy(uri, "file:///");
	memset(uri + 8, 'p', 1023 - 8);
	parse_ok(uri, &c);
	assert_int_equal(strlen(c.path), 1023 - 7);
	uri[1023] = 'p';
	assert_int_equal(exp_sink_parse_uri(uri, &c, &err), -EINVAL);
	assert_non_null(strstr(err_text(&err), "longer than 1023 bytes"));
	assert_non_null(strstr(err_text(&err), "ppp...': "));
	/* No error detail: the return code alone. */
	assert_int_equal(exp_sink_parse_uri("tcp://h?x=1", &c, NULL), -EINVAL);
	assert_int_equal(exp_sink_parse_uri(NULL, &c, NULL), -EINVAL);
	/* Percent-decoding of paths and values. */
	parse_ok("file:///var/log/my%20hits%3F.json?name=x", &c);
	assert_string_equal(c.path, "/var/log/my hits?.json");
	parse_ok("file:///var/log/my%20hits%3F.json", &c);
	assert_string_equal(c.name, "file-my_hits_.json");
	parse_ok("tls://h?ca=%2Fetc%2Fca%26b.pem&feeds=a%2Cb", &c);
	assert_string_equal(c.ca, "/etc/ca&b.pem");
	assert_int_equal(c.n_feeds, 2);   /* split after decoding */
	assert_string_equal(c.feeds[1], "b");
	/* A host name of 253 bytes, not 254. */
	char host[260];
	memset(host, 'h', 253);
	host[253] = '\0';
	snprintf(uri, sizeof(uri), "udp://%s", host);
	parse_ok(uri, &c);
	snprintf(uri, sizeof(uri), "udp://%sh", host);
	parse_fails(uri, "longer than 253");
}

/*
 * The filter.
 */

static void
test_filter(void **state)
{
	struct exp_sink_config c;
	struct pat_indicator ind = { .type = PAT_TYPE_DOMAIN, .value = "x.org",
				     .feed = "3cx",
				     .severity = PAT_SEVERITY_HIGH };
	(void)state;

	parse_ok("tcp://h", &c);
	assert_true(exp_sink_accepts(&c, &ind));
	ind.severity = PAT_SEVERITY_UNSET;
	assert_true(exp_sink_accepts(&c, &ind));

	parse_ok("tcp://h?types=domain,url&feeds=3cx,cli&min_severity=high", &c);
	assert_false(exp_sink_accepts(&c, &ind));         /* no severity */
	ind.severity = PAT_SEVERITY_MEDIUM;
	assert_false(exp_sink_accepts(&c, &ind));
	ind.severity = PAT_SEVERITY_HIGH;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.severity = PAT_SEVERITY_CRITICAL;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.type = PAT_TYPE_IPV4;
	assert_false(exp_sink_accepts(&c, &ind));
	ind.type = PAT_TYPE_URL;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.feed = "cli";
	assert_true(exp_sink_accepts(&c, &ind));
	ind.feed = "3CX";                                  /* exact names */
	assert_false(exp_sink_accepts(&c, &ind));
	ind.feed = NULL;
	assert_false(exp_sink_accepts(&c, &ind));

	parse_ok("tcp://h?types=ip", &c);
	ind.feed = "any";
	ind.type = PAT_TYPE_IPV6;
	assert_true(exp_sink_accepts(&c, &ind));
	ind.type = PAT_TYPE_SHA1;
	assert_false(exp_sink_accepts(&c, &ind));
}

/*
 * Delivery.
 */

static void
test_submit_bad_length(void **state)
{
	char dir[300], uri[400];
	(void)state;

	tmp_dir(dir, sizeof(dir), "badlen");
	snprintf(uri, sizeof(uri), "file://%s/out.json", dir);
	struct exp_sink *s = start_uri(uri, NULL);
	char *big = calloc(1, EXP_SINK_RECORD_MAX + 1);
	assert_non_null(big);
	assert_int_equal(exp_sink_submit(s, "x", 0), -EINVAL);
	assert_int_equal(exp_sink_submit(s, NULL, 1), -EINVAL);
	assert_int_equal(exp_sink_submit(s, big, EXP_SINK_RECORD_MAX + 1), -EINVAL);
	memset(big, 'b', EXP_SINK_RECORD_MAX);
	assert_int_equal(exp_sink_submit(s, big, EXP_SINK_RECORD_MAX), 0);
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.sent, 1);
	exp_sink_stop(s, 0);
	free(big);
}

static void
test_tcp_delivery(void **state)
{
	struct server *sv = server_new();
	char uri[200];
	(void)state;

	server_start(sv, 0);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?confirm_ms=200&name=t1",
		 sv->port);
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 1000);
	assert_true(wait_distinct(sv, 1000, 10000));
	/* Confirmed by age (200 ms) and an empty send queue: the spool-less
	 * sink holds nothing once they are, with the connection up. */
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).connected && ms_now() < end &&
	       exp_sink_drain(s, 0) != 0)
		sleep_ms(20);
	assert_true(stats_of(s).connected);
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.queued, 1000);
	assert_int_equal(st.sent, 1000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.spooled, 0);
	exp_sink_stop(s, 0);
	server_join(sv);
	/* No failure: each once, in order. */
	assert_false(sv->bad_frame);
	assert_int_equal(sv->order_n, 1000);
	for (unsigned int i = 0; i < 1000; i++)
		assert_int_equal(sv->order[i], i);
	server_free(sv);
}

/* Records in flight are confirmed by a graceful close when draining: the
 * receiver's EOF after ours says it read everything. */
static void
test_tcp_drain_confirms(void **state)
{
	struct server *sv = server_new();
	char uri[200], dir[300];
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-drain");
	server_start(sv, 0);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?confirm_ms=600000&"
		 "name=drain", sv->port);
	struct exp_sink *s = start_uri(uri, dir);
	submit_range(s, 0, 50);
	assert_true(wait_distinct(sv, 50, 5000));
	assert_int_equal(exp_sink_drain(s, 0), -ETIMEDOUT);
	uint64_t t0 = ms_now();
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	assert_true(ms_now() - t0 < 2000);
	struct exp_sink_stats st = stats_of(s);
	assert_false(st.connected);
	assert_int_equal(st.spool_records, 0);
	assert_int_equal(st.retried, 0);
	/* More records reconnect. */
	submit_range(s, 50, 60);
	assert_true(wait_distinct(sv, 60, 5000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	exp_sink_stop(s, 0);
	/* Nothing left: a restart sends nothing again. */
	s = start_uri(uri, dir);
	sleep_ms(300);
	assert_int_equal(stats_of(s).spool_records, 0);
	exp_sink_stop(s, 0);
	assert_int_equal(server_frames_count(sv), 60);
	assert_true(server_view(sv).eofs >= 2);
	server_join(sv);
	server_free(sv);
}

/* A receiver that keeps its side open after our EOF: the records are
 * confirmed the usual way, by age and acknowledgment. */
static void
test_tcp_drain_half_open(void **state)
{
	struct server *sv = server_new();
	char uri[200];
	(void)state;

	sv->hold_on_eof = true;
	server_start(sv, 0);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?confirm_ms=300&"
		 "name=half", sv->port);
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 30);
	assert_true(wait_distinct(sv, 30, 5000));
	uint64_t t0 = ms_now();
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	assert_true(ms_now() - t0 < 2000);
	assert_int_equal(stats_of(s).retried, 0);
	exp_sink_stop(s, 0);
	server_join(sv);
	assert_int_equal(server_view(sv).eofs, 1);
	server_free(sv);
}

/* Stopping without drain time: records in flight (unconfirmed) go to the
 * spool and come again on the next start. */
static void
test_stop_spools_in_flight(void **state)
{
	struct server *sv = server_new();
	char uri[200], dir[300];
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-flight");
	server_start(sv, 0);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?confirm_ms=600000&"
		 "name=flight", sv->port);
	struct exp_sink *s = start_uri(uri, dir);
	submit_range(s, 0, 20);
	assert_true(wait_distinct(sv, 20, 5000));
	exp_sink_stop(s, 0);
	s = start_uri(uri, dir);
	assert_int_equal(stats_of(s).spool_records, 20);
	uint64_t end = ms_now() + 5000;
	while (server_frames_count(sv) < 40 && ms_now() < end)
		sleep_ms(10);
	assert_int_equal(server_frames_count(sv), 40);
	pthread_mutex_lock(&sv->lock);
	for (unsigned int i = 0; i < 20; i++)
		assert_int_equal(sv->counts[i], 2);
	pthread_mutex_unlock(&sv->lock);
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	exp_sink_stop(s, 0);
	server_join(sv);
	server_free(sv);
}

struct submitter {
	struct exp_sink *sink;
	unsigned int from, to, pause_us;
	int failures;
};

static void *
submitter_main(void *arg)
{
	struct submitter *sub = arg;
	char rec[512];

	for (unsigned int i = sub->from; i < sub->to; i++) {
		if (exp_sink_submit(sub->sink, rec, record_make(rec, sizeof(rec),
								 i)) != 0)
			sub->failures++;
		if (sub->pause_us > 0)
			usleep(sub->pause_us);
	}
	return NULL;
}

/* The receiver dies mid-stream (reset, unread bytes lost) and comes back:
 * every record arrives, some twice. */
static void
test_tcp_receiver_killed(void **state)
{
	struct server *sv = server_new();
	char uri[200], dir[300];
	pthread_t t;
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-kill");
	sv->kill_after = 700;
	server_start(sv, 0);
	uint16_t port = sv->port;
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?confirm_ms=500&"
		 "backoff_max=1s&name=kill", port);
	struct exp_sink *s = start_uri(uri, dir);
	struct submitter sub = { .sink = s, .from = 0, .to = 3000,
				 .pause_us = 300 };
	assert_int_equal(pthread_create(&t, NULL, submitter_main, &sub), 0);
	/* The server dies after 700 frames; bring it back a bit later. */
	uint64_t end = ms_now() + 10000;
	while (!atomic_load(&sv->stop) && ms_now() < end)
		sleep_ms(5);
	assert_true(atomic_load(&sv->stop));
	server_join(sv);
	sleep_ms(300);
	assert_true(stats_of(s).errors >= 1);
	sv->kill_after = 0;
	server_start(sv, port);
	pthread_join(t, NULL);
	assert_int_equal(sub.failures, 0);
	assert_true(wait_distinct(sv, 3000, 20000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.queued, 3000);
	assert_int_equal(st.dropped, 0);
	assert_true(st.retried > 0);
	assert_true(st.connects >= 2);
	assert_true(st.sent >= 3000);
	assert_int_equal(st.spool_records, 0);
	assert_false(server_view(sv).bad_frame);
	assert_true(wait_log("sink kill: connection to 127.0.0.1:", 5000));
	exp_sink_stop(s, 0);
	server_join(sv);
	server_free(sv);
}

/* Nothing listens: records go to the spool, survive stop and start, and
 * are delivered oldest first once the receiver appears. */
static void
test_spool_persistence(void **state)
{
	struct server *sv = server_new();
	char uri[200], dir[300];
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-persist");
	uint16_t port = dead_port();
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?backoff_max=200ms&"
		 "name=persist", port);
	struct exp_sink *s = start_uri(uri, dir);
	submit_range(s, 0, 100);
	uint64_t end = ms_now() + 5000;
	while ((stats_of(s).spool_records < 100 || stats_of(s).errors == 0) &&
	       ms_now() < end)
		sleep_ms(10);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.spool_records, 100);
	assert_int_equal(st.spooled, 100);
	assert_false(st.connected);
	assert_true(st.errors >= 1);
	assert_int_equal(st.connects, 0);
	assert_int_equal(exp_sink_drain(s, 100), -ETIMEDOUT);
	exp_sink_stop(s, 100);

	s = start_uri(uri, dir);
	assert_int_equal(stats_of(s).spool_records, 100);
	submit_range(s, 100, 150);
	exp_sink_stop(s, 0);

	server_start(sv, port);
	s = start_uri(uri, dir);
	assert_true(wait_distinct(sv, 150, 10000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	st = stats_of(s);
	assert_int_equal(st.spool_records, 0);
	assert_int_equal(st.dropped, 0);
	exp_sink_stop(s, 0);
	pthread_mutex_lock(&sv->lock);
	assert_int_equal(sv->order_n, 150);
	for (unsigned int i = 0; i < 150; i++)
		assert_int_equal(sv->order[i], i);
	pthread_mutex_unlock(&sv->lock);
	/* Delivered and committed: nothing comes again. */
	s = start_uri(uri, dir);
	assert_int_equal(stats_of(s).spool_records, 0);
	sleep_ms(200);
	exp_sink_stop(s, 0);
	assert_int_equal(server_frames_count(sv), 150);
	server_join(sv);
	server_free(sv);
}

/* No spool: the memory queue holds queue records, the rest are dropped. */
static void
test_drops_without_spool(void **state)
{
	char uri[200], rec[64];
	int rc, dropped = 0;
	(void)state;

	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?queue=10&spool_max=0",
		 dead_port());
	struct exp_sink *s = start_uri(uri, "/nonexistent/never/used");
	for (unsigned int i = 0; i < 25; i++) {
		rc = exp_sink_submit(s, rec, record_make(rec, sizeof(rec), i));
		if (rc != 0) {
			assert_int_equal(rc, -ENOBUFS);
			dropped++;
		}
	}
	assert_int_equal(dropped, 15);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.queued, 25);
	assert_int_equal(st.dropped, 15);
	assert_int_equal(st.spool_records, 0);
	exp_sink_stop(s, 0);
	assert_true(log_has("dropping records: the queue is full and there is "
			    "no spool"));
}

/* A full spool drops, and says so. */
static void
test_spool_full(void **state)
{
	char uri[200], dir[300], rec[1000];
	unsigned int refused = 0;
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-full");
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?spool_max=64K&"
		 "name=full", dead_port());
	struct exp_sink *s = start_uri(uri, dir);
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).errors == 0 && ms_now() < end)
		sleep_ms(5);
	memset(rec, 'r', sizeof(rec));
	for (unsigned int i = 0; i < 200; i++) {
		int rc = exp_sink_submit(s, rec, sizeof(rec));
		if (rc != 0) {
			assert_int_equal(rc, -ENOSPC);
			refused++;
		}
	}
	struct exp_sink_stats st = stats_of(s);
	assert_true(refused > 100);
	assert_int_equal(st.dropped, refused);
	assert_int_equal(st.spooled + st.dropped, 200);
	assert_int_equal(st.spool_records, st.spooled);
	assert_true(st.spool_bytes <= 65536);
	assert_true(log_has("dropping records: the spool is full"));
	exp_sink_stop(s, 0);
}

static size_t
file_lines(const char *path, unsigned int first, unsigned int n)
{
	char line[600], want[600];
	FILE *f = fopen(path, "r");
	size_t count = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		record_make(want, sizeof(want), first + (unsigned int)count);
		strcat(want, "\n");
		assert_string_equal(line, want);
		count++;
	}
	fclose(f);
	assert_int_equal(count, n);
	return count;
}

static void
test_file_reopen(void **state)
{
	char dir[300], path[400], rotated[400], uri[500];
	(void)state;

	tmp_dir(dir, sizeof(dir), "file");
	snprintf(path, sizeof(path), "%s/hits.json", dir);
	snprintf(rotated, sizeof(rotated), "%s/hits.json.1", dir);
	snprintf(uri, sizeof(uri), "file://%s", path);
	/* Appended to what is there. */
	FILE *f = fopen(path, "w");
	char rec[512];
	record_make(rec, sizeof(rec), 0);
	fprintf(f, "%s\n", rec);
	fclose(f);
	struct exp_sink *s = start_uri(uri, NULL);
	assert_string_equal(exp_sink_get_config(s)->name, "file-hits.json");
	submit_range(s, 1, 10);
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	assert_int_equal(rename(path, rotated), 0);
	exp_sink_reopen(s);
	submit_range(s, 10, 25);
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.sent, 24);
	assert_int_equal(st.connects, 2);
	assert_true(st.connected);
	exp_sink_stop(s, 0);
	file_lines(rotated, 0, 10);
	file_lines(path, 10, 15);
}

/* A file that cannot be opened is an outage: spooled, then written once
 * its directory appears. */
static void
test_file_outage(void **state)
{
	char dir[300], path[400], uri[500], spool[300];
	(void)state;

	tmp_dir(spool, sizeof(spool), "spool-file");
	snprintf(dir, sizeof(dir), "%s/later", tmp_root);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	snprintf(uri, sizeof(uri), "file://%s?backoff_max=200ms", path);
	struct exp_sink *s = start_uri(uri, spool);
	submit_range(s, 0, 10);
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).spool_records < 10 && ms_now() < end)
		sleep_ms(5);
	assert_int_equal(stats_of(s).spool_records, 10);
	assert_true(wait_log("cannot open", 5000));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	exp_sink_stop(s, 0);
	file_lines(path, 0, 10);
}

static void
test_udp(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int size = 1 << 20;
	char uri[200], buf[2048], want[512];
	struct timeval tv = { 5, 0 };
	(void)state;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(uri, sizeof(uri), "udp://127.0.0.1:%u", ntohs(a.sin_port));
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 50);
	for (unsigned int i = 0; i < 50; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = '\0';
		record_make(want, sizeof(want), i);
		assert_string_equal(buf, want);      /* no framing */
	}
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.sent, 50);
	assert_true(st.connected);
	exp_sink_stop(s, 0);
	close(fd);
}

static void
test_start_errors(void **state)
{
	struct exp_sink_config c;
	struct error_detail err = { 0 };
	char dir[600], file[400];
	(void)state;

	/* Two sinks of one name cannot share a spool. */
	tmp_dir(dir, sizeof(dir), "spool-twice");
	parse_ok("tcp://127.0.0.1:9?name=twice", &c);
	struct exp_sink *a = exp_sink_start(&c, dir, &err);
	assert_non_null(a);
	assert_null(exp_sink_start(&c, dir, &err));
	assert_non_null(strstr(err_text(&err), "sink twice: spool "));
	exp_sink_stop(a, 0);
	/* A spool root that cannot be made. */
	snprintf(file, sizeof(file), "%s/plain", tmp_root);
	fclose(fopen(file, "w"));
	snprintf(dir, sizeof(dir), "%s/sub", file);
	assert_null(exp_sink_start(&c, dir, &err));
	assert_non_null(strstr(err_text(&err), "spool directory"));
	/* TLS files. */
	parse_ok("tls://h?ca=/nonexistent/ca.pem", &c);
	assert_null(exp_sink_start(&c, NULL, &err));
	assert_non_null(strstr(err_text(&err), "CA '/nonexistent/ca.pem'"));
	parse_ok("tls://h?cert=/nonexistent/c.pem&key=/nonexistent/k.pem", &c);
	assert_null(exp_sink_start(&c, NULL, &err));
	assert_non_null(strstr(err_text(&err), "certificate '/nonexistent/c.pem'"));
	exp_sink_stop(NULL, 0);
}

/*
 * TLS, with a CA and certificates made by the openssl command line.
 */

static char pki[300];
static bool have_pki;

static bool
make_pki(void)
{
	char cmd[4096];

	snprintf(pki, sizeof(pki), "%s/pki", tmp_root);
	if (mkdir(pki, 0700) != 0)
		return false;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && "
		 "E='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
		 "openssl req -x509 $E -keyout ca.key -out ca.pem -days 2 "
		 "-subj '/CN=iocsift test CA' && "
		 "openssl req -x509 $E -keyout other-ca.key -out other-ca.pem "
		 "-days 2 -subj '/CN=another CA' && "
		 "openssl req $E -keyout server.key -out server.csr "
		 "-subj '/CN=localhost' && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n"
		 "extendedKeyUsage=serverAuth\\n' > server.ext && "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out server.pem -days 2 -extfile server.ext && "
		 "openssl req $E -keyout client.key -out client.csr "
		 "-subj '/CN=iocsift' && "
		 "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
		 "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out client.pem -days 2 -extfile client.ext",
		 pki);
	char quiet[4200];
	snprintf(quiet, sizeof(quiet), "( %s ) >/dev/null 2>&1", cmd);
	return system(quiet) == 0;
}

static SSL_CTX *
server_tls(bool want_client_cert)
{
	char cert[400], key[400], ca[400];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	snprintf(cert, sizeof(cert), "%s/server.pem", pki);
	snprintf(key, sizeof(key), "%s/server.key", pki);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	if (want_client_cert) {
		assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
}

static void
test_tls(void **state)
{
	struct server *sv = server_new();
	char uri[1024];
	(void)state;

	if (!have_pki) {
		server_free(sv);
		skip();
	}
	sv->tls = server_tls(true);
	server_start(sv, 0);
	/* CA, host name, client certificate. */
	snprintf(uri, sizeof(uri), "tls://localhost:%u?ca=%s/ca.pem&"
		 "cert=%s/client.pem&key=%s/client.key&confirm_ms=200&"
		 "name=tls-ok", sv->port, pki, pki, pki);
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 500);
	assert_true(wait_distinct(sv, 500, 10000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.sent, 500);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.errors, 0);
	exp_sink_stop(s, 0);
	assert_false(server_view(sv).bad_frame);
	assert_int_equal(server_view(sv).order_n, 500);
	assert_true(wait_log("sink tls-ok: connected to localhost:", 5000));
	assert_true(log_has("TLSv1.3"));
	assert_true(server_view(sv).eofs >= 1); /* close_notify, draining */

	/* An address is checked against the IP SANs. */
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%u?ca=%s/ca.pem&"
		 "cert=%s/client.pem&key=%s/client.key&name=tls-ip",
		 sv->port, pki, pki, pki);
	s = start_uri(uri, NULL);
	submit_range(s, 500, 510);
	assert_true(wait_distinct(sv, 510, 10000));
	exp_sink_stop(s, 2000);
	server_join(sv);
	server_free(sv);
}

/* The TLS receiver dies mid-stream too: everything arrives. */
static void
test_tls_receiver_killed(void **state)
{
	struct server *sv = server_new();
	char uri[1024], dir[300];
	pthread_t t;
	(void)state;

	if (!have_pki) {
		server_free(sv);
		skip();
	}
	tmp_dir(dir, sizeof(dir), "spool-tls-kill");
	sv->tls = server_tls(false);
	sv->kill_after = 300;
	server_start(sv, 0);
	uint16_t port = sv->port;
	snprintf(uri, sizeof(uri), "tls://localhost:%u?ca=%s/ca.pem&"
		 "confirm_ms=500&backoff_max=1s&name=tls-kill", port, pki);
	struct exp_sink *s = start_uri(uri, dir);
	struct submitter sub = { .sink = s, .from = 0, .to = 1500,
				 .pause_us = 300 };
	assert_int_equal(pthread_create(&t, NULL, submitter_main, &sub), 0);
	uint64_t end = ms_now() + 10000;
	while (!atomic_load(&sv->stop) && ms_now() < end)
		sleep_ms(5);
	server_join(sv);
	sleep_ms(300);
	sv->kill_after = 0;
	server_start(sv, port);
	pthread_join(t, NULL);
	assert_true(wait_distinct(sv, 1500, 20000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.dropped, 0);
	assert_true(st.retried > 0);
	assert_true(st.connects >= 2);
	exp_sink_stop(s, 0);
	server_join(sv);
	assert_false(sv->bad_frame);
	server_free(sv);
}

static void
test_tls_refused(void **state)
{
	struct server *sv = server_new();
	char uri[1024];
	(void)state;

	if (!have_pki) {
		server_free(sv);
		skip();
	}
	sv->tls = server_tls(false);
	server_start(sv, 0);
	/* The name the certificate must match is not in it. */
	log_clear();
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%u?ca=%s/ca.pem&"
		 "name_check=siem.example.com&backoff_max=200ms&name=tls-name",
		 sv->port, pki);
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 5);
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).errors < 2 && ms_now() < end)
		sleep_ms(10);
	struct exp_sink_stats st = stats_of(s);
	assert_true(st.errors >= 2);
	assert_int_equal(st.connects, 0);
	assert_false(st.connected);
	assert_true(wait_log("hostname mismatch", 5000));
	exp_sink_stop(s, 0);
	/* Another CA. */
	log_clear();
	snprintf(uri, sizeof(uri), "tls://localhost:%u?ca=%s/other-ca.pem&"
		 "name=tls-ca", sv->port, pki);
	s = start_uri(uri, NULL);
	end = ms_now() + 5000;
	while (stats_of(s).errors < 1 && ms_now() < end)
		sleep_ms(10);
	assert_true(wait_log("certificate verify failed", 5000));
	exp_sink_stop(s, 0);
	assert_int_equal(server_frames_count(sv), 0);
	/* verify=no: delivered, with a warning. */
	log_clear();
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%u?name_check=wrong.example&"
		 "verify=no&name=tls-noverify", sv->port);
	s = start_uri(uri, NULL);
	assert_true(log_has("verify=no"));
	submit_range(s, 0, 5);
	assert_true(wait_distinct(sv, 5, 5000));
	exp_sink_stop(s, 2000);
	server_join(sv);
	server_free(sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_all_params),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_sizes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_submit_bad_length),
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_tcp_delivery),
		cmocka_unit_test(test_tcp_drain_confirms),
		cmocka_unit_test(test_tcp_drain_half_open),
		cmocka_unit_test(test_stop_spools_in_flight),
		cmocka_unit_test(test_tcp_receiver_killed),
		cmocka_unit_test(test_spool_persistence),
		cmocka_unit_test(test_drops_without_spool),
		cmocka_unit_test(test_spool_full),
		cmocka_unit_test(test_file_reopen),
		cmocka_unit_test(test_file_outage),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_receiver_killed),
		cmocka_unit_test(test_tls_refused),
	};

	if (group_setup(NULL) != 0)
		return 1;
	have_pki = make_pki();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	group_teardown(NULL);
	return rc;
}
