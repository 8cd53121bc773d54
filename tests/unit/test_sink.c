/* test_sink.c -- a sink's life cycle (sink.c), its memory queue
 * (sink_queue.c) and thread (sink_thread.c), delivered through the file
 * (sink_file.c) and UDP and TCP (sink_net.c) transports to loopback
 * receivers made here: a TCP server that reads octet-counted frames (and
 * dies mid-stream), a UDP socket, files. Records confirmed, held in flight
 * and spooled across restarts; the queue and the spool full; outages.
 * The TLS transport is test_sink_tls.c, URIs and the filter
 * test_sink_uri.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sink_fixture.h"

/*
 * The spool's disk writes, held at will: writev(2) and fsync(2) are
 * wrapped at link time (-Wl,--wrap), and a call on a file under
 * gate.dir waits while gate.closed is set, as on a disk that does not
 * answer.
 */
ssize_t __real_writev(int fd, const struct iovec *iov, int n);
int __real_fsync(int fd);

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool closed;
	unsigned int waiting;          /* calls held now */
	char dir[300];                 /* "" holds nothing */
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER,
	   .cond = PTHREAD_COND_INITIALIZER };

static void
gate_pass(int fd)
{
	char link[64], path[512];

	pthread_mutex_lock(&gate.lock);
	size_t dir_len = strlen(gate.dir);
	pthread_mutex_unlock(&gate.lock);
	if (dir_len == 0)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return;
	path[n] = '\0';
	pthread_mutex_lock(&gate.lock);
	if (strncmp(path, gate.dir, dir_len) == 0) {
		gate.waiting++;
		pthread_cond_broadcast(&gate.cond);
		while (gate.closed)
			pthread_cond_wait(&gate.cond, &gate.lock);
		gate.waiting--;
	}
	pthread_mutex_unlock(&gate.lock);
}

ssize_t
__wrap_writev(int fd, const struct iovec *iov, int n)
{
	gate_pass(fd);
	return __real_writev(fd, iov, n);
}

int
__wrap_fsync(int fd)
{
	gate_pass(fd);
	return __real_fsync(fd);
}

static void
gate_set(const char *dir, bool closed)
{
	pthread_mutex_lock(&gate.lock);
	snprintf(gate.dir, sizeof(gate.dir), "%s", dir);
	gate.closed = closed;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

/* Whether a call is held at the gate within timeout_ms. */
static bool
gate_wait_held(unsigned int timeout_ms)
{
	uint64_t end = ms_now() + timeout_ms;
	struct timespec t;
	bool held;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += timeout_ms / 1000 + 1;
	pthread_mutex_lock(&gate.lock);
	while (gate.waiting == 0 && ms_now() < end)
		pthread_cond_timedwait(&gate.cond, &gate.lock, &t);
	held = gate.waiting > 0;
	pthread_mutex_unlock(&gate.lock);
	return held;
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

/* What the submitter of test_submit_while_the_disk_hangs did. */
struct held_submits {
	struct exp_sink *sink;
	atomic_bool done;
	int failures;
	struct exp_sink_stats st;
};

static void *
held_submits_main(void *arg)
{
	struct held_submits *h = arg;
	char rec[400];

	/* The first goes to the spool thread, whose write then hangs. */
	if (exp_sink_submit(h->sink, rec, record_make(rec, sizeof(rec), 0)) != 0)
		h->failures++;
	if (!gate_wait_held(5000))
		h->failures++;
	exp_sink_hold(h->sink);
	for (unsigned int i = 1; i < 500; i++)
		if (exp_sink_submit(h->sink, rec,
				    record_make(rec, sizeof(rec), i)) != 0)
			h->failures++;
	exp_sink_release(h->sink);
	exp_sink_stats_read(h->sink, &h->st);
	atomic_store(&h->done, true);
	return NULL;
}

/* During an outage every record goes to the spool; while the spool's
 * disk write hangs (held at the gate), submits, a hold and release and a
 * stats read still return: they wait for no disk. The records wait in
 * memory and reach the spool once the write goes on. No time is
 * measured: were a submit to wait for the write, it would wait for the
 * gate, which opens only after the submitter is seen done (or after 10
 * s, to fail the test rather than hang it). Before the spool had a
 * thread of its own, the submitter's first submit hung at the gate. */
static void
test_submit_while_the_disk_hangs(void **state)
{
	char uri[200], dir[300];
	struct held_submits h = { 0 };
	pthread_t t;
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-held");
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?backoff_max=200ms&"
		 "name=held", dead_port());
	struct exp_sink *s = start_uri(uri, dir);
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).errors == 0 && ms_now() < end)
		sleep_ms(5);
	assert_true(stats_of(s).errors > 0);

	gate_set(dir, true);
	h.sink = s;
	assert_int_equal(pthread_create(&t, NULL, held_submits_main, &h), 0);
	end = ms_now() + 10000;
	while (!atomic_load(&h.done) && ms_now() < end)
		sleep_ms(5);
	bool done = atomic_load(&h.done);
	gate_set(dir, false);
	pthread_join(t, NULL);
	assert_true(done);
	assert_int_equal(h.failures, 0);
	assert_int_equal(h.st.queued, 500);
	assert_int_equal(h.st.spooled, 0);    /* all in memory meanwhile */
	assert_int_equal(h.st.dropped, 0);

	end = ms_now() + 5000;
	while (stats_of(s).spool_records < 500 && ms_now() < end)
		sleep_ms(5);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.spool_records, 500);
	assert_int_equal(st.spooled, 500);
	assert_int_equal(st.dropped, 0);
	exp_sink_stop(s, 0);
	gate_set("", false);
	/* In the spool for good. */
	s = start_uri(uri, dir);
	assert_int_equal(stats_of(s).spool_records, 500);
	exp_sink_stop(s, 0);
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
	/* What it holds undelivered, and why it drops: in the stats, not
	 * only in a log line that is rate-limited. */
	assert_int_equal(st.memory_records, 10);
	assert_string_equal(st.last_error, "dropping records: the queue is "
			    "full and there is no spool");
	assert_true(st.last_error_time >= (int64_t)time(NULL) - 60 &&
		    st.last_error_time <= (int64_t)time(NULL));
	exp_sink_stop(s, 0);
	assert_true(log_has("dropping records: the queue is full and there is "
			    "no spool"));
}

/* A full spool drops, and says so. The submits are all taken (into
 * memory): the spool thread finds the spool full, and drops. */
static void
test_spool_full(void **state)
{
	char uri[200], dir[300], rec[1000];
	(void)state;

	tmp_dir(dir, sizeof(dir), "spool-full");
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%u?spool_max=64K&"
		 "name=full", dead_port());
	struct exp_sink *s = start_uri(uri, dir);
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).errors == 0 && ms_now() < end)
		sleep_ms(5);
	/* The outage is the last error, and the sink is down. */
	struct exp_sink_stats down = stats_of(s);
	assert_false(down.connected);
	assert_non_null(strstr(down.last_error, "cannot connect to 127.0.0.1:"));
	assert_non_null(strstr(down.last_error, "Connection refused"));
	assert_true(down.last_error_time > 0);
	memset(rec, 'r', sizeof(rec));
	for (unsigned int i = 0; i < 200; i++)
		assert_int_equal(exp_sink_submit(s, rec, sizeof(rec)), 0);
	end = ms_now() + 5000;
	while (stats_of(s).spooled + stats_of(s).dropped < 200 &&
	       ms_now() < end)
		sleep_ms(5);
	struct exp_sink_stats st = stats_of(s);
	assert_true(st.dropped > 100);
	assert_int_equal(st.spooled + st.dropped, 200);
	assert_int_equal(st.spool_records, st.spooled);
	assert_true(st.spool_bytes <= 65536);
	assert_true(log_has("dropping records: the spool is full (spool_max)"));
	assert_string_equal(st.last_error,
			    "dropping records: the spool is full (spool_max)");
	/* The next failed reconnect does not hide the drop: loss outranks
	 * an outage for a minute. */
	end = ms_now() + 10000;
	while (stats_of(s).errors == st.errors && ms_now() < end)
		sleep_ms(5);
	assert_true(stats_of(s).errors > st.errors);
	assert_string_equal(stats_of(s).last_error,
			    "dropping records: the spool is full (spool_max)");
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
	exp_sink_stop(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test(test_submit_while_the_disk_hangs),
		cmocka_unit_test(test_file_reopen),
		cmocka_unit_test(test_file_outage),
		cmocka_unit_test(test_udp),
	};

	if (sink_fixture_setup("test_sink") != 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sink_fixture_teardown();
	return rc;
}
