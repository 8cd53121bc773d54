/* sink_fixture.c -- what the unit tests of the sink share
 * (sink_fixture.h): the temporary directory and the captured log, records,
 * starting a sink from its URI, and the loopback TCP/TLS receiver. */
#include <arpa/inet.h>
#include <errno.h>
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

#include "sink_fixture.h"

/*
 * Helpers: time, a temporary directory, captured log messages.
 */

char tmp_root[256];

uint64_t
ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

void
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

bool
log_has(const char *needle)
{
	pthread_mutex_lock(&log_lock);
	bool found = strstr(log_text, needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

bool
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

void
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

int
sink_fixture_setup(const char *name)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tmp_root) == NULL)
		return -1;
	exp_sink_set_logger(test_logger);
	return 0;
}

void
sink_fixture_teardown(void)
{
	if (getenv("SINK_TEST_KEEP") == NULL)
		nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under the temporary root. */
void
tmp_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp_root, name);
	assert_int_equal(mkdir(buf, 0700), 0);
}

/* Record i: an id, then i % 300 bytes so frame lengths vary in digits. */
size_t
record_make(char *buf, size_t size, unsigned int id)
{
	int n = snprintf(buf, size, "rec-%06u:", id);

	for (unsigned int k = 0; k < id % 300 && (size_t)n + 1 < size; k++)
		buf[n++] = (char)('a' + k % 26);
	buf[n] = '\0';
	return (size_t)n;
}

void
submit_range(struct exp_sink *s, unsigned int from, unsigned int to)
{
	char rec[512];

	for (unsigned int i = from; i < to; i++)
		assert_int_equal(exp_sink_submit(s, rec, record_make(rec,
						 sizeof(rec), i)), 0);
}

/* An error as one line, as iocsift prints it after "iocsift: ". */
const char *
err_text(const struct error_detail *err)
{
	static char text[ERROR_DETAIL_TEXT_MAX];

	return error_detail_format(err, text, sizeof(text));
}

struct exp_sink *
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

struct exp_sink_stats
stats_of(struct exp_sink *s)
{
	struct exp_sink_stats st;

	exp_sink_stats_read(s, &st);
	return st;
}

/* The URI must parse. */
void
parse_ok(const char *uri, struct exp_sink_config *cfg)
{
	struct error_detail err = { 0 };

	if (exp_sink_parse_uri(uri, cfg, &err) != 0)
		fail_msg("%s: %s", uri, err_text(&err));
}

void *
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

/*
 * Receivers.
 */

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
uint16_t
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
void
server_start(struct server *sv, uint16_t port)
{
	atomic_store(&sv->stop, false);
	sv->listen_fd = listen_on(port, &sv->port);
	assert_true(sv->listen_fd >= 0);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
}

void
server_join(struct server *sv)
{
	atomic_store(&sv->stop, true);
	pthread_join(sv->thread, NULL);
}

struct server *
server_new(void)
{
	struct server *sv = calloc(1, sizeof(*sv));

	assert_non_null(sv);
	pthread_mutex_init(&sv->lock, NULL);
	sv->listen_fd = -1;
	return sv;
}

void
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

bool
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

struct server_view
server_view(struct server *sv)
{
	pthread_mutex_lock(&sv->lock);
	struct server_view v = { sv->frames, sv->eofs, sv->order_n,
				 sv->bad_frame };
	pthread_mutex_unlock(&sv->lock);
	return v;
}

uint64_t
server_frames_count(struct server *sv)
{
	pthread_mutex_lock(&sv->lock);
	uint64_t n = sv->frames;
	pthread_mutex_unlock(&sv->lock);
	return n;
}
