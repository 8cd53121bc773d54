/* sink_fixture.h -- what the unit tests of the sink share (test_sink.c,
 * test_sink_tls.c, test_sink_uri.c): a temporary directory, the sink's
 * log captured, numbered records, and a loopback TCP (or TLS) receiver
 * of octet-counted frames that counts what arrives and can die
 * mid-stream. */
#ifndef IOCSIFT_TESTS_SINK_FIXTURE_H
#define IOCSIFT_TESTS_SINK_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "sink.h"

/* Record ids the receiver counts: [0, IDS_MAX). */
#define IDS_MAX 4096

/*
 * Time, the temporary directory, the captured log.
 */

/* The test's temporary directory, made by sink_fixture_setup(). */
extern char tmp_root[256];

uint64_t ms_now(void);
void sleep_ms(unsigned int ms);

/* Makes tmp_root, /tmp/NAME.XXXXXX, and captures the sink's log; -1 when
 * the directory cannot be made. SINK_TEST_VERBOSE also prints the log. */
int sink_fixture_setup(const char *name);
/* Removes tmp_root, unless SINK_TEST_KEEP is set. */
void sink_fixture_teardown(void);

/* Whether a captured log line holds needle (now, or within timeout_ms). */
bool log_has(const char *needle);
bool wait_log(const char *needle, unsigned int timeout_ms);
void log_clear(void);

/* A fresh directory under the temporary root. */
void tmp_dir(char *buf, size_t size, const char *name);

/*
 * Records and sinks.
 */

/* Record i: an id, then i % 300 bytes so frame lengths vary in digits. */
size_t record_make(char *buf, size_t size, unsigned int id);
/* Submits records [from, to); each must be taken. */
void submit_range(struct exp_sink *s, unsigned int from, unsigned int to);

/* An error as one line, as iocsift prints it after "iocsift: ". */
const char *err_text(const struct error_detail *err);
/* The URI must parse. */
void parse_ok(const char *uri, struct exp_sink_config *cfg);
/* The URI must parse and the sink start. */
struct exp_sink *start_uri(const char *uri, const char *spool_root);
struct exp_sink_stats stats_of(struct exp_sink *s);

/* A thread that submits records [from, to), pausing pause_us after each;
 * counts the refused ones. */
struct submitter {
	struct exp_sink *sink;
	unsigned int from, to, pause_us;
	int failures;
};

void *submitter_main(void *arg);

/*
 * The receiver.
 */

/* A TCP (or TLS) receiver of octet-counted frames "LEN SP MSG", one
 * connection at a time. kill_after: after that many frames on a
 * connection it resets the connection and stops listening, like a
 * crashed receiver (unread bytes lost). */
struct server {
	uint16_t port;
	int listen_fd;
	SSL_CTX *tls;                 /* set: TLS, freed by server_free() */
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

struct server *server_new(void);
/* Starts sv on port (0: any); keeps what it counted so far. */
void server_start(struct server *sv, uint16_t port);
void server_join(struct server *sv);
void server_free(struct server *sv);

/* A port where nothing listens (bound once, then closed). */
uint16_t dead_port(void);

/* Whether each of ids [0, n) arrived at least once within timeout_ms. */
bool wait_distinct(struct server *sv, unsigned int n, unsigned int timeout_ms);

/* What the server counted so far, read under its lock. */
struct server_view {
	uint64_t frames, eofs;
	size_t order_n;
	bool bad_frame;
};

struct server_view server_view(struct server *sv);
uint64_t server_frames_count(struct server *sv);

#endif
