/* sink.c -- one thread per SIEM sink: a memory queue that overflows into a
 * disk spool, the file, UDP, TCP (RFC 6587) and TLS (RFC 5425) transports,
 * confirmation of what was sent, and reconnection with backoff. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "sink.h"
#include "spool.h"

#define SINK_BATCH_BYTES (64u << 10)   /* one write(2) / SSL_write */
#define SINK_BATCH_RECORDS 256u
#define SINK_READ_BUF (64u << 10)      /* first size of the spool read buffer */
#define SINK_CONNECT_TIMEOUT_MS 10000u
#define SINK_IO_TIMEOUT_MS 30000u      /* a write making no progress */
#define SINK_TCP_USER_TIMEOUT_MS 30000u /* unacknowledged: the peer is gone */
#define SINK_CONFIRM_SLACK_MS 1000u    /* see sink_paused() */
#define SINK_POLL_SLICE_MS 100         /* I/O waits notice a stop this fast */
#define SINK_IDLE_WAKE_MS 1000u        /* look at an idle connection */
#define SINK_BUSY_WAKE_MS 20u          /* waiting for records to be confirmed */
#define SINK_SPOOL_RETRY_MS 1000u      /* after a spool read error */
#define SINK_LOG_INTERVAL_MS 60000u    /* repeated problems, once a minute */
#define SINK_BLOCK_BYTES (1u << 20)    /* memory records are carved from these */
#define SINK_BLOCK_RECORD_MAX (SINK_BLOCK_BYTES / 4) /* larger: malloc */
#define SINK_SPARE_BLOCKS 4u           /* empty blocks kept, faulted in */

#define SINK_LOG_ERR 3
#define SINK_LOG_WARNING 4
#define SINK_LOG_INFO 6

/*
 * Memory records are carved one after another from blocks of
 * SINK_BLOCK_BYTES and given back in about the order they were taken, so
 * a block is reused once its last record is freed. malloc would hand out
 * memory that was never touched for each burst (its free memory goes back
 * to the kernel), and the page faults fell on the exporter's thread; the
 * sink's thread keeps a few empty blocks faulted in ahead instead. All
 * under the sink's lock.
 */
struct sink_block {
	struct sink_block *next;       /* in the list of spare blocks */
	size_t used;                   /* bytes handed out, header included */
	size_t live;                   /* records not yet freed */
	_Alignas(16) unsigned char data[];
};

/* A record in memory, as submitted. */
struct sink_rec {
	struct sink_block *block;      /* NULL: malloc'd on its own */
	size_t len;
	_Alignas(16) unsigned char data[];
};

/* A record written to the transport and not yet confirmed. */
struct sink_flight {
	uint64_t written_ms;
	struct sink_rec *rec;          /* from memory; NULL: from the spool */
	struct exp_spool_mark mark;    /* from the spool: after it */
};

/* A rate-limited message: the first at once, then one a minute. */
struct sink_ratelimit {
	uint64_t last_ms;
	uint64_t suppressed;
	bool armed;
};

struct exp_sink {
	struct exp_sink_config cfg;
	char peer[4200];               /* "host:port" or the path, for logs */
	pthread_t thread;
	struct exp_sink_tls_ctx *tls_ctx;
	atomic_bool stopping;          /* the thread leaves every wait */

	pthread_mutex_t lock;
	pthread_cond_t wake;           /* to the thread */
	pthread_cond_t idle;           /* to exp_sink_drain() */
	/* Guarded by lock. */
	struct sink_rec **ring;        /* the memory queue, oldest at head */
	uint32_t ring_cap, ring_head, ring_n;
	struct sink_flight *flight;    /* in flight, oldest at head */
	size_t flight_cap, flight_head, flight_n;
	uint32_t flight_mem;           /* of which from memory */
	struct exp_spool *spool;
	struct sink_block *block;      /* records are carved from it */
	struct sink_block *spare;      /* empty blocks, faulted in */
	unsigned int n_spare;
	bool spool_unread;             /* the spool may hold unread records */
	bool outage;                   /* records go to the spool */
	bool connected;
	bool stop, reopen, kick;
	bool held, woken_late;         /* exp_sink_hold(): wake once, later */
	unsigned int drainers;         /* in exp_sink_drain() */
	uint64_t drain_deadline_ms;
	struct sink_ratelimit drop_log, spool_log;

	/* Counters, relaxed: read by any thread. */
	atomic_uint_least64_t queued, sent, spooled, retried, dropped;
	atomic_uint_least64_t connects, errors;

	/* The thread's own. */
	int fd;
	struct exp_sink_tls *tls;
	bool up;                       /* the transport is open */
	bool lazy;                     /* closed on purpose: reconnect later */
	unsigned int attempt;          /* backoff exponent */
	unsigned int failures;         /* in a row */
	uint64_t next_attempt_ms, up_since_ms, spool_retry_ms;
	struct sink_ratelimit fail_log, commit_log;
	char why[4608];                /* the last failure */
	unsigned char *batch;
	size_t batch_len, batch_cap;
	size_t batch_ends[SINK_BATCH_RECORDS]; /* where each record ends */
	unsigned int batch_n;
	unsigned char *rbuf;           /* the last spool record read */
	size_t rbuf_cap;
	size_t rbuf_len;
	struct exp_spool_mark rbuf_mark;
	bool rbuf_pending;             /* read, not yet in flight */
	bool fill_blocked;             /* records wait for confirmations */
	uint64_t rng;
};

typedef void (*sink_log_fn)(int level, const char *message);
static _Atomic sink_log_fn sink_logger;

void
exp_sink_set_logger(void (*fn)(int level, const char *message))
{
	atomic_store(&sink_logger, fn);
}

static void
sink_log(const struct exp_sink *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
sink_log(const struct exp_sink *s, int level, const char *fmt, ...)
{
	char message[768];
	int n = snprintf(message, sizeof(message), "sink %s: ", s->cfg.name);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message + n, sizeof(message) - (size_t)n, fmt, ap);
	va_end(ap);
	sink_log_fn fn = atomic_load(&sink_logger);
	if (fn != NULL)
		fn(level, message);
	else
		fprintf(stderr, "%s\n", message);
}

/* True when a message is due; counts the ones held back. */
static bool
ratelimit_due(struct sink_ratelimit *r, uint64_t now)
{
	if (!r->armed || now - r->last_ms >= SINK_LOG_INTERVAL_MS) {
		r->armed = true;
		r->last_ms = now;
		return true;
	}
	r->suppressed++;
	return false;
}

static void
counter_add(atomic_uint_least64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
counter_get(atomic_uint_least64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* xorshift64*: jitter only, no secrets. */
static uint64_t
sink_random(struct exp_sink *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

/*
 * Record memory (lock held, or the thread gone).
 */

/* A block, its pages faulted in by the kernel in one call. NULL. */
static struct sink_block *
block_new(void)
{
	void *p = mmap(NULL, SINK_BLOCK_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct sink_block *b = p;

	if (p == MAP_FAILED)
		return NULL;
	b->next = NULL;
	b->used = 0;
	b->live = 0;
	return b;
}

/* An empty block: kept as a spare, or unmapped. */
static void
block_release(struct exp_sink *s, struct sink_block *b)
{
	if (s->n_spare < SINK_SPARE_BLOCKS) {
		b->used = 0;
		b->next = s->spare;
		s->spare = b;
		s->n_spare++;
		return;
	}
	munmap(b, SINK_BLOCK_BYTES);
}

static size_t
rec_size(size_t len)
{
	return (sizeof(struct sink_rec) + len + 15) & ~(size_t)15;
}

/* Room for a record of len bytes (len and block set). NULL on ENOMEM. */
static struct sink_rec *
rec_alloc(struct exp_sink *s, size_t len)
{
	size_t need = rec_size(len);
	struct sink_block *b = s->block;
	struct sink_rec *rec;

	if (need > SINK_BLOCK_RECORD_MAX) {
		rec = malloc(sizeof(*rec) + len);
		if (rec == NULL)
			return NULL;
		rec->block = NULL;
		rec->len = len;
		return rec;
	}
	if (b == NULL || b->used + need >
	    SINK_BLOCK_BYTES - sizeof(struct sink_block)) {
		struct sink_block *next = s->spare;
		if (next != NULL) {
			s->spare = next->next;
			s->n_spare--;
		} else if ((next = block_new()) == NULL) {
			return NULL;
		}
		/* The full block goes when its last record does. */
		if (b != NULL && b->live == 0)
			block_release(s, b);
		s->block = b = next;
	}
	rec = (struct sink_rec *)(b->data + b->used);
	b->used += need;
	b->live++;
	rec->block = b;
	rec->len = len;
	return rec;
}

static void
rec_free(struct exp_sink *s, struct sink_rec *rec)
{
	struct sink_block *b = rec->block;

	if (b == NULL) {
		free(rec);
		return;
	}
	if (--b->live > 0)
		return;
	if (b == s->block)
		b->used = 0;            /* empty: start over in it */
	else
		block_release(s, b);
}

/* The thread's part: spare blocks faulted in before a submit needs them,
 * once records flow. */
static void
spares_fill(struct exp_sink *s)
{
	for (;;) {
		pthread_mutex_lock(&s->lock);
		bool want = s->block != NULL && s->n_spare < SINK_SPARE_BLOCKS;
		pthread_mutex_unlock(&s->lock);
		if (!want)
			return;
		struct sink_block *b = block_new();
		if (b == NULL)
			return;
		pthread_mutex_lock(&s->lock);
		block_release(s, b);
		pthread_mutex_unlock(&s->lock);
	}
}

/* Every block, at the end (no record left). */
static void
blocks_free(struct exp_sink *s)
{
	if (s->block != NULL)
		munmap(s->block, SINK_BLOCK_BYTES);
	while (s->spare != NULL) {
		struct sink_block *b = s->spare;
		s->spare = b->next;
		munmap(b, SINK_BLOCK_BYTES);
	}
	s->block = NULL;
	s->n_spare = 0;
}

/*
 * The memory queue and the list in flight: rings that grow by doubling.
 * Called with the lock held.
 */

static int
ring_grow(struct exp_sink *s)
{
	uint32_t cap = s->ring_cap == 0 ? 64 : s->ring_cap * 2;
	struct sink_rec **ring = malloc(cap * sizeof(*ring));

	if (ring == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->ring_n; i++)
		ring[i] = s->ring[(s->ring_head + i) % s->ring_cap];
	free(s->ring);
	s->ring = ring;
	s->ring_cap = cap;
	s->ring_head = 0;
	return 0;
}

static int
ring_push(struct exp_sink *s, struct sink_rec *rec)
{
	if (s->ring_n == s->ring_cap && ring_grow(s) != 0)
		return -ENOMEM;
	s->ring[(s->ring_head + s->ring_n) % s->ring_cap] = rec;
	s->ring_n++;
	return 0;
}

static int
ring_push_front(struct exp_sink *s, struct sink_rec *rec)
{
	if (s->ring_n == s->ring_cap && ring_grow(s) != 0)
		return -ENOMEM;
	s->ring_head = (s->ring_head + s->ring_cap - 1) % s->ring_cap;
	s->ring[s->ring_head] = rec;
	s->ring_n++;
	return 0;
}

static struct sink_rec *
ring_pop(struct exp_sink *s)
{
	struct sink_rec *rec = s->ring[s->ring_head];

	s->ring_head = (s->ring_head + 1) % s->ring_cap;
	s->ring_n--;
	return rec;
}

static struct sink_flight *
flight_at(struct exp_sink *s, size_t i)
{
	return &s->flight[(s->flight_head + i) % s->flight_cap];
}

static int
flight_reserve(struct exp_sink *s)
{
	if (s->flight_n == s->flight_cap) {
		size_t cap = s->flight_cap == 0 ? 256 : s->flight_cap * 2;
		struct sink_flight *list = malloc(cap * sizeof(*list));
		if (list == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < s->flight_n; i++)
			list[i] = *flight_at(s, i);
		free(s->flight);
		s->flight = list;
		s->flight_cap = cap;
		s->flight_head = 0;
	}
	return 0;
}

/* After flight_reserve(). */
static void
flight_push(struct exp_sink *s, const struct sink_flight *f)
{
	s->flight[(s->flight_head + s->flight_n) % s->flight_cap] = *f;
	s->flight_n++;
	if (f->rec != NULL)
		s->flight_mem++;
}

static struct sink_flight
flight_pop(struct exp_sink *s)
{
	struct sink_flight f = s->flight[s->flight_head];

	s->flight_head = (s->flight_head + 1) % s->flight_cap;
	s->flight_n--;
	if (f.rec != NULL)
		s->flight_mem--;
	return f;
}

/* Puts a memory record in the spool (lock held). True if it went there;
 * false when it was dropped (counted). The record is freed either way. */
static bool
spool_put(struct exp_sink *s, struct sink_rec *rec)
{
	int rc = exp_spool_append(s->spool, rec->data, rec->len);

	rec_free(s, rec);
	if (rc == 0) {
		counter_add(&s->spooled, 1);
		s->spool_unread = true;
		return true;
	}
	counter_add(&s->dropped, 1);
	if (ratelimit_due(&s->spool_log, monotonic_ms()))
		sink_log(s, SINK_LOG_ERR, "spool: %s; records are dropped",
			 rc == -ENOSPC ? "full (spool_max)" : strerror(-rc));
	return false;
}

/* Nothing held: what exp_sink_drain() waits for (lock held). */
static bool
sink_holds_nothing(struct exp_sink *s)
{
	struct exp_spool_stats st = { 0 };

	if (s->ring_n != 0 || s->flight_n != 0)
		return false;
	if (s->spool != NULL)
		exp_spool_stats(s->spool, &st);
	return st.records == 0;
}

int
exp_sink_submit(struct exp_sink *s, const void *record, size_t len)
{
	bool log_drop = false;
	uint64_t suppressed = 0;
	int rc;

	if (record == NULL || len == 0 || len > EXP_SINK_RECORD_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	counter_add(&s->queued, 1);
	rc = -ENOBUFS;
	if (s->spool != NULL &&
	    (s->outage || s->spool_unread || s->ring_n >= s->cfg.queue)) {
		rc = exp_spool_append(s->spool, record, len);
		if (rc == 0) {
			counter_add(&s->spooled, 1);
			s->spool_unread = true;
			goto queued;
		}
		/* The spool refuses: memory still keeps order if the spool
		 * holds nothing unread. */
		if (s->spool_unread || s->ring_n >= s->cfg.queue)
			goto drop;
	} else if (s->ring_n >= s->cfg.queue) {
		goto drop;
	}
	struct sink_rec *rec = rec_alloc(s, len);
	if (rec == NULL) {
		rc = -ENOMEM;
		goto drop;
	}
	memcpy(rec->data, record, len);
	if (ring_push(s, rec) != 0) {
		rec_free(s, rec);
		rc = -ENOMEM;
		goto drop;
	}
queued:
	/* During an outage the thread waits out its backoff anyway. */
	if (s->held)
		s->woken_late = true;
	else if (!s->outage)
		pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	return 0;

drop:
	counter_add(&s->dropped, 1);
	log_drop = ratelimit_due(&s->drop_log, monotonic_ms());
	if (log_drop) {
		suppressed = s->drop_log.suppressed;
		s->drop_log.suppressed = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (log_drop) {
		char more[64] = "";
		if (suppressed > 0)
			snprintf(more, sizeof(more), " (%" PRIu64 " more since "
				 "the last message)", suppressed);
		sink_log(s, SINK_LOG_WARNING, "dropping records: %s%s",
			 rc == -ENOSPC ? "the spool is full" :
			 rc == -ENOBUFS ? "the queue is full and there is no "
			 "spool" : strerror(-rc), more);
	}
	return rc;
}

void
exp_sink_hold(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->held = true;
	pthread_mutex_unlock(&s->lock);
}

void
exp_sink_release(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->held = false;
	if (s->woken_late && !s->outage)
		pthread_cond_signal(&s->wake);
	s->woken_late = false;
	pthread_mutex_unlock(&s->lock);
}

void
exp_sink_reopen(struct exp_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->reopen = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Transports.
 */

/* Waits for events on fd until deadline (monotonic ms). 0 when ready (or
 * an error to be read by the next call), -ETIMEDOUT, -ECANCELED when the
 * sink stops. */
static int
sink_wait_fd(struct exp_sink *s, int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = monotonic_ms();
		if (atomic_load(&s->stopping))
			return -ECANCELED;
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t left = deadline - now;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left > SINK_POLL_SLICE_MS ?
			     SINK_POLL_SLICE_MS : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static void
transport_close(struct exp_sink *s)
{
	exp_sink_tls_free(s->tls);
	s->tls = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->up = false;
}

static void
tcp_options(int fd)
{
	int one = 1;
	unsigned int user_timeout = SINK_TCP_USER_TIMEOUT_MS;
	int idle = 60, interval = 10, count = 3;

	/* Records are batched here; the kernel should not wait for more. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A receiver that stops acknowledging is a lost connection (its
	 * records are sent again), not a 15-minute retransmission. */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
		   sizeof(user_timeout));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

/* A non-blocking TCP connection to one address. fd or -errno. */
static int
tcp_connect_one(struct exp_sink *s, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			SOCK_CLOEXEC, ai->ai_protocol);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -errno;
	tcp_options(fd);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		int rc = sink_wait_fd(s, fd, POLLOUT,
				      monotonic_ms() + SINK_CONNECT_TIMEOUT_MS);
		if (rc != 0) {
			err = -rc;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0)
			goto fail;
	}
	return fd;

fail:
	close(fd);
	return -err;
}

static int
tls_handshake(struct exp_sink *s)
{
	uint64_t deadline = monotonic_ms() + SINK_CONNECT_TIMEOUT_MS;
	struct error_detail err = { 0 };
	short events;

	s->tls = exp_sink_tls_new(s->tls_ctx, &s->cfg, s->fd, &err);
	if (s->tls == NULL) {
		snprintf(s->why, sizeof(s->why), "%s", err.message);
		return -ENOMEM;
	}
	for (;;) {
		int rc = exp_sink_tls_handshake(s->tls, &events, &err);
		if (rc == 0)
			return 0;
		if (rc == -EAGAIN)
			rc = sink_wait_fd(s, s->fd, events, deadline);
		if (rc != 0) {
			snprintf(s->why, sizeof(s->why), "TLS handshake: %s",
				 rc == -ETIMEDOUT ? "timed out" :
				 rc == -ECANCELED ? "stopped" : err.message);
			return rc;
		}
	}
}

static int
net_connect(struct exp_sink *s)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res, *ai;
	char port[8];
	int rc, fd = -ENOENT;

	hints.ai_socktype = s->cfg.kind == EXP_SINK_UDP ? SOCK_DGRAM :
		SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", s->cfg.port);
	rc = getaddrinfo(s->cfg.host, port, &hints, &res);
	if (rc != 0) {
		snprintf(s->why, sizeof(s->why), "cannot resolve %s: %s",
			 s->cfg.host, rc == EAI_SYSTEM ? strerror(errno) :
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (s->cfg.kind == EXP_SINK_UDP) {
			fd = socket(ai->ai_family,
				    ai->ai_socktype | SOCK_CLOEXEC,
				    ai->ai_protocol);
			if (fd < 0) {
				fd = -errno;
				continue;
			}
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
				int e = errno;
				close(fd);
				fd = -e;
				continue;
			}
			break;
		}
		fd = tcp_connect_one(s, ai);
		if (fd >= 0 || fd == -ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(s->why, sizeof(s->why), "cannot connect to %s: %s",
			 s->peer, fd == -ETIMEDOUT ? "timed out" :
			 strerror(-fd));
		return fd;
	}
	s->fd = fd;
	if (s->cfg.kind == EXP_SINK_TLS) {
		rc = tls_handshake(s);
		if (rc != 0) {
			transport_close(s);
			return rc;
		}
	}
	return 0;
}

static int
transport_open(struct exp_sink *s)
{
	if (s->cfg.kind != EXP_SINK_FILE)
		return net_connect(s);
	s->fd = open(s->cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		     O_NOCTTY, 0640);
	if (s->fd < 0) {
		int e = errno;
		snprintf(s->why, sizeof(s->why), "cannot open %s: %s",
			 s->cfg.path, strerror(e));
		return -e;
	}
	return 0;
}

/* Reads what a stream peer sent (a syslog receiver sends nothing) to see
 * whether the connection still stands. 0; -ESHUTDOWN at EOF or
 * close_notify; -errno. */
static int
stream_check(struct exp_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	struct error_detail err = { 0 };
	char scratch[4096];
	int rc;

	if (s->cfg.kind == EXP_SINK_FILE || s->cfg.kind == EXP_SINK_UDP)
		return 0;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & POLLERR) {
		int e = 0;
		socklen_t len = sizeof(e);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len);
		e = e != 0 ? e : ECONNRESET;
		snprintf(s->why, sizeof(s->why), "connection to %s: %s",
			 s->peer, strerror(e));
		return -e;
	}
	if (s->tls != NULL) {
		rc = exp_sink_tls_read(s->tls, &err);
		if (rc == 0 && (p.revents & (POLLHUP | POLLRDHUP)))
			rc = -ESHUTDOWN;
		if (rc != 0)
			snprintf(s->why, sizeof(s->why), "connection to %s: %s",
				 s->peer, rc == -ESHUTDOWN ?
				 "closed by the receiver" : err.message);
		return rc;
	}
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(s->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n > 0)
			continue;  /* nothing a receiver says matters */
		rc = n == 0 ? -ESHUTDOWN : errno == EAGAIN ? 0 : -errno;
		if (rc == -EINTR)
			continue;
		if (rc != 0)
			snprintf(s->why, sizeof(s->why), "connection to %s: %s",
				 s->peer, rc == -ESHUTDOWN ?
				 "closed by the receiver" : strerror(-rc));
		return rc;
	}
	return 0;
}

/* Writes all of buf to a stream. 0 or -errno with why. */
static int
stream_write(struct exp_sink *s, const unsigned char *buf, size_t len)
{
	uint64_t deadline = monotonic_ms() + SINK_IO_TIMEOUT_MS;
	struct error_detail err = { 0 };
	size_t off = 0;

	while (off < len) {
		short events = POLLOUT;
		ssize_t n;
		if (s->tls != NULL) {
			n = exp_sink_tls_write(s->tls, buf + off, len - off,
					       &events, &err);
		} else {
			n = send(s->fd, buf + off, len - off, MSG_NOSIGNAL);
			if (n < 0)
				n = errno == EWOULDBLOCK ? -EAGAIN : -errno;
			if (n < 0 && n != -EAGAIN)
				error_detail_set(&err, "", 0, "%s",
						 strerror((int)-n));
		}
		if (n > 0) {
			off += (size_t)n;
			deadline = monotonic_ms() + SINK_IO_TIMEOUT_MS;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			n = sink_wait_fd(s, s->fd, events, deadline);
		if (n == -ETIMEDOUT)
			error_detail_set(&err, "", 0, "no progress for %u s "
					 "(the receiver does not read)",
					 SINK_IO_TIMEOUT_MS / 1000);
		else if (n == -ECANCELED)
			error_detail_set(&err, "", 0, "stopped");
		if (n != 0) {
			snprintf(s->why, sizeof(s->why), "writing to %s: %s",
				 s->peer, err.message);
			return (int)n;
		}
	}
	return 0;
}

/* Writes the batch to a file. *done: records written whole. */
static int
file_write(struct exp_sink *s, unsigned int *done)
{
	size_t off = 0;

	*done = 0;
	while (off < s->batch_len) {
		ssize_t n = write(s->fd, s->batch + off, s->batch_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			while (*done < s->batch_n &&
			       s->batch_ends[*done] <= off)
				(*done)++;
			snprintf(s->why, sizeof(s->why), "writing %s: %s",
				 s->cfg.path, strerror(e));
			return -e;
		}
		off += (size_t)n;
	}
	*done = s->batch_n;
	return 0;
}

/* One datagram per record. *done: records handled, *too_big of them
 * dropped as too big for a datagram. */
static int
udp_write(struct exp_sink *s, unsigned int *done, unsigned int *too_big)
{
	size_t start = 0;

	for (*done = 0; *done < s->batch_n; (*done)++) {
		size_t end = s->batch_ends[*done];
		int tries = 0;
		for (;;) {
			ssize_t n = send(s->fd, s->batch + start, end - start,
					 0);
			if (n >= 0)
				break;
			int e = errno;
			/* A port unreachable from an earlier datagram is
			 * reported once; this one was not sent yet. */
			if (e == EINTR || (e == ECONNREFUSED && tries++ == 0))
				continue;
			if (e == EMSGSIZE) {
				counter_add(&s->errors, 1);
				counter_add(&s->dropped, 1);
				(*too_big)++;
				if (ratelimit_due(&s->commit_log, monotonic_ms()))
					sink_log(s, SINK_LOG_ERR, "a record "
						 "of %zu bytes is too big for "
						 "UDP: dropped", end - start);
				break;
			}
			snprintf(s->why, sizeof(s->why), "sending to %s: %s",
				 s->peer, strerror(e));
			return -e;
		}
		start = end;
	}
	return 0;
}

/*
 * The thread.
 */

/* "LEN " of RFC 6587 octet counting: at most 20 digits and the space. */
#define SINK_FRAME_HEAD_MAX 21

/* The frame head of a record of len bytes into head; its length. Without
 * snprintf: one per record. */
static size_t
frame_head(size_t len, char *head)
{
	char digits[SINK_FRAME_HEAD_MAX];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + len % 10);
		len /= 10;
	} while (len > 0);
	memcpy(head, digits + n, sizeof(digits) - n);
	head[sizeof(digits) - n] = ' ';
	return sizeof(digits) - n + 1;
}

/* Room the batch needs for one record, framed: at most this. */
static size_t
batch_need(size_t len)
{
	return SINK_FRAME_HEAD_MAX + len + 1;
}

/* Appends one record to the batch, framed for the transport; the batch
 * has batch_need(len) bytes free. */
static void
batch_put(struct exp_sink *s, const void *data, size_t len)
{
	if (s->cfg.kind == EXP_SINK_TCP || s->cfg.kind == EXP_SINK_TLS)
		s->batch_len += frame_head(len, (char *)s->batch +
					   s->batch_len);
	memcpy(s->batch + s->batch_len, data, len);
	s->batch_len += len;
	if (s->cfg.kind == EXP_SINK_FILE)
		s->batch[s->batch_len++] = '\n';
	s->batch_ends[s->batch_n++] = s->batch_len;
}

/* Grows the batch so that need more bytes fit. 0 or -ENOMEM. */
static int
batch_reserve(struct exp_sink *s, size_t used, size_t need)
{
	if (used + need <= s->batch_cap)
		return 0;
	unsigned char *b = realloc(s->batch, used + need);
	if (b == NULL)
		return -ENOMEM;
	s->batch = b;
	s->batch_cap = used + need;
	return 0;
}

/* batch_put() for callers that have not reserved. 0 or -ENOMEM. */
static int
batch_add(struct exp_sink *s, const void *data, size_t len)
{
	if (batch_reserve(s, s->batch_len, batch_need(len)) != 0)
		return -ENOMEM;
	batch_put(s, data, len);
	return 0;
}

/* Reads the next spool record into rbuf (lock held). 0, -ENOENT, -errno. */
static int
spool_next(struct exp_sink *s, size_t *len, struct exp_spool_mark *mark)
{
	for (;;) {
		int rc = exp_spool_read(s->spool, s->rbuf, s->rbuf_cap, len,
					mark);
		if (rc != -EMSGSIZE || *len <= s->rbuf_cap ||
		    *len > EXP_SPOOL_RECORD_MAX)
			return rc;
		unsigned char *b = realloc(s->rbuf, *len);
		if (b == NULL)
			return -ENOMEM;
		s->rbuf = b;
		s->rbuf_cap = *len;
	}
}

static bool
sink_streams(const struct exp_sink *s)
{
	return s->cfg.kind == EXP_SINK_TCP || s->cfg.kind == EXP_SINK_TLS;
}

/* Sending waits while the oldest record in flight is well past confirm_ms:
 * a busy stream seldom has an empty send queue, and pausing lets it empty
 * so records can be confirmed (lock held). */
static bool
sink_paused(struct exp_sink *s, uint64_t now)
{
	return s->flight_n > 0 && now - flight_at(s, 0)->written_ms >=
		(uint64_t)s->cfg.confirm_ms + SINK_CONFIRM_SLACK_MS;
}

/* Moves records into the batch and the list in flight: the memory queue
 * first, then the spool. Returns how many. Memory records become in
 * flight under the lock but are copied into the batch after it, so that
 * submits do not wait for the copy: only this thread frees records in
 * flight, and the room they need is reserved first, so the copy cannot
 * fail. Spool records (read under the lock, which guards the spool) wait
 * for a batch of their own. */
static unsigned int
sink_fill(struct exp_sink *s, uint64_t now)
{
	struct sink_rec *recs[SINK_BATCH_RECORDS];
	unsigned int n_recs = 0;
	size_t planned = 0;             /* batch bytes the records take */

	s->batch_len = 0;
	s->batch_n = 0;
	s->fill_blocked = false;
	pthread_mutex_lock(&s->lock);
	if (sink_streams(s) && sink_paused(s, now)) {
		s->fill_blocked = true;
		goto out;
	}
	while (s->batch_n + n_recs < SINK_BATCH_RECORDS &&
	       s->batch_len + planned < SINK_BATCH_BYTES) {
		struct sink_flight f = { .written_ms = now };
		if (flight_reserve(s) != 0)
			break;
		if (s->ring_n > 0) {
			if (sink_streams(s) && s->flight_mem >= s->cfg.queue) {
				s->fill_blocked = true;
				break;
			}
			f.rec = s->ring[s->ring_head];
			size_t need = batch_need(f.rec->len);
			if (planned + need > s->batch_cap &&
			    (n_recs > 0 || batch_reserve(s, 0, need) != 0))
				break;     /* next batch; out of memory: stays */
			ring_pop(s);
			flight_push(s, &f);
			recs[n_recs++] = f.rec;
			planned += need;
			continue;
		}
		if (n_recs > 0 || s->spool == NULL || !s->spool_unread ||
		    now < s->spool_retry_ms)
			break;
		if (!s->rbuf_pending) {
			int rc = spool_next(s, &s->rbuf_len, &s->rbuf_mark);
			if (rc == -ENOENT) {
				s->spool_unread = false;
				break;
			}
			if (rc != 0) {
				s->spool_retry_ms = now + SINK_SPOOL_RETRY_MS;
				if (ratelimit_due(&s->spool_log, now))
					sink_log(s, SINK_LOG_ERR, "reading "
						 "the spool: %s (retrying)",
						 strerror(-rc));
				break;
			}
			s->rbuf_pending = true;
		}
		/* Out of memory: the record waits in rbuf, read already, so
		 * nothing behind it can be committed before it is sent. */
		if (batch_add(s, s->rbuf, s->rbuf_len) != 0)
			break;
		s->rbuf_pending = false;
		f.mark = s->rbuf_mark;
		flight_push(s, &f);
	}
out:
	pthread_mutex_unlock(&s->lock);
	for (unsigned int i = 0; i < n_recs; i++)
		batch_put(s, recs[i]->data, recs[i]->len);
	return s->batch_n;
}

/* The first n records in flight are delivered: frees them and commits
 * the spool up to the last one from it (lock held). */
static void
sink_deliver(struct exp_sink *s, size_t n)
{
	struct exp_spool_mark mark;
	bool have_mark = false;

	for (size_t i = 0; i < n; i++) {
		struct sink_flight f = flight_pop(s);
		if (f.rec != NULL) {
			rec_free(s, f.rec);
		} else {
			mark = f.mark;
			have_mark = true;
		}
	}
	if (have_mark) {
		int rc = exp_spool_commit(s->spool, &mark);
		if (rc != 0 && ratelimit_due(&s->commit_log, monotonic_ms()))
			sink_log(s, SINK_LOG_ERR, "committing the spool: %s",
				 strerror(-rc));
	}
	if (s->drainers > 0)
		pthread_cond_broadcast(&s->idle);
}

/* Confirms the records in flight that are old enough, once the peer has
 * acknowledged every byte and the connection stands. 0 or -errno. */
static int
sink_confirm(struct exp_sink *s, uint64_t now)
{
	size_t n = 0;
	int outq = 0;

	pthread_mutex_lock(&s->lock);
	bool due = s->flight_n > 0 &&
		now - flight_at(s, 0)->written_ms >= s->cfg.confirm_ms;
	pthread_mutex_unlock(&s->lock);
	if (!due)
		return 0;
	/* The queue first: an RST after this read shows in the check. */
	if (ioctl(s->fd, SIOCOUTQ, &outq) != 0)
		return 0;
	if (outq != 0) {
		pthread_mutex_lock(&s->lock);
		uint64_t age = now - flight_at(s, 0)->written_ms;
		pthread_mutex_unlock(&s->lock);
		if (age < (uint64_t)s->cfg.confirm_ms + SINK_IO_TIMEOUT_MS)
			return 0;
		snprintf(s->why, sizeof(s->why), "connection to %s: nothing "
			 "acknowledged for %u s (the receiver does not read)",
			 s->peer, SINK_IO_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	int rc = stream_check(s);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	while (n < s->flight_n &&
	       now - flight_at(s, n)->written_ms >= s->cfg.confirm_ms)
		n++;
	sink_deliver(s, n);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Writes the batch. Records of a file or UDP sink are delivered when
 * written; a stream's stay in flight. 0 or -errno (why set). */
static int
sink_flush(struct exp_sink *s)
{
	unsigned int done = 0, too_big = 0;
	int rc;

	switch (s->cfg.kind) {
	case EXP_SINK_FILE:
		rc = file_write(s, &done);
		break;
	case EXP_SINK_UDP:
		rc = udp_write(s, &done, &too_big);
		break;
	default:
		rc = stream_write(s, s->batch, s->batch_len);
		done = rc == 0 ? s->batch_n : 0;
		break;
	}
	counter_add(&s->sent, done - too_big);
	if (!sink_streams(s)) {
		pthread_mutex_lock(&s->lock);
		sink_deliver(s, done);
		pthread_mutex_unlock(&s->lock);
	}
	return rc;
}

/* The connection is gone (or could not be made): what was in flight and
 * in memory goes to the spool (or back to the memory queue without one),
 * the spool is read again from its cursor, and the next attempt is
 * scheduled. */
static void
sink_fail(struct exp_sink *s, bool count_error)
{
	uint64_t now = monotonic_ms();
	bool was_up = s->up;

	transport_close(s);
	pthread_mutex_lock(&s->lock);
	s->connected = false;
	s->outage = count_error;
	counter_add(&s->retried, s->flight_n);
	if (s->spool != NULL) {
		while (s->flight_n > 0) {
			struct sink_flight f = flight_pop(s);
			if (f.rec != NULL)
				spool_put(s, f.rec);
		}
		while (s->ring_n > 0)
			spool_put(s, ring_pop(s));
		exp_spool_rewind(s->spool);
		s->rbuf_pending = false;
		s->spool_unread = true;
	} else {
		/* Newest first, so the oldest ends up at the head. */
		while (s->flight_n > 0) {
			struct sink_flight f = *flight_at(s, s->flight_n - 1);
			s->flight_n--;
			if (f.rec != NULL) {
				s->flight_mem--;
				if (ring_push_front(s, f.rec) != 0) {
					rec_free(s, f.rec);
					counter_add(&s->dropped, 1);
				}
			}
		}
		s->flight_head = 0;
	}
	if (s->drainers > 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	if (!count_error) {
		s->lazy = true;
		s->next_attempt_ms = now;
		return;
	}
	counter_add(&s->errors, 1);
	if (was_up && now - s->up_since_ms >= EXP_SINK_BACKOFF_RESET_MS)
		s->attempt = 0;
	uint64_t cap = s->cfg.backoff_max_ms;
	uint64_t step = (uint64_t)EXP_SINK_BACKOFF_MIN_MS << (s->attempt < 20 ?
							       s->attempt : 20);
	if (step < cap)
		cap = step;
	s->attempt++;
	s->next_attempt_ms = now + sink_random(s) % (cap + 1);
	if (s->failures++ == 0) {
		s->fail_log.armed = true;
		s->fail_log.last_ms = now;
		s->fail_log.suppressed = 0;
		sink_log(s, SINK_LOG_WARNING, "%s; %s, retrying", s->why,
			 s->spool != NULL ? "spooling" : "queueing in memory");
	} else if (ratelimit_due(&s->fail_log, now)) {
		sink_log(s, SINK_LOG_WARNING, "still failing after %u "
			 "attempts: %s", s->failures, s->why);
	}
}

static void
sink_connect(struct exp_sink *s)
{
	int rc;

	s->why[0] = '\0';
	rc = transport_open(s);
	if (rc != 0) {
		if (rc == -ECANCELED)
			return;
		sink_fail(s, true);
		return;
	}
	s->up = true;
	s->lazy = false;
	s->up_since_ms = monotonic_ms();
	counter_add(&s->connects, 1);
	pthread_mutex_lock(&s->lock);
	s->connected = true;
	s->outage = false;
	pthread_mutex_unlock(&s->lock);
	const char *verb = s->cfg.kind == EXP_SINK_FILE ? "opened" :
		"connected to";
	char how[128] = "";
	if (s->tls != NULL) {
		char d[100];
		exp_sink_tls_describe(s->tls, d, sizeof(d));
		snprintf(how, sizeof(how), " (%s)", d);
	}
	if (s->failures > 0)
		sink_log(s, SINK_LOG_INFO, "%s %s%s after %u failed attempts",
			 verb, s->peer, how, s->failures);
	else if (counter_get(&s->connects) == 1)
		sink_log(s, SINK_LOG_INFO, "%s %s%s", verb, s->peer, how);
	s->failures = 0;
}

/* exp_sink_drain() wants the records in flight confirmed now: closing
 * our side and seeing the receiver close its own proves it read
 * everything before our end of stream (a receiver that dies with unread
 * data resets instead). Waits until the drain's deadline. */
static void
sink_close_gracefully(struct exp_sink *s, uint64_t deadline)
{
	short events;
	int rc = 0;

	if (s->tls != NULL) {
		do {
			rc = exp_sink_tls_shutdown(s->tls, &events);
			if (rc == -EAGAIN) {
				rc = sink_wait_fd(s, s->fd, events, deadline);
				if (rc == 0)
					rc = -EAGAIN;
			}
		} while (rc == -EAGAIN);
	}
	if (rc == 0 && shutdown(s->fd, SHUT_WR) != 0)
		rc = -errno;
	while (rc == 0) {
		uint64_t now = monotonic_ms();
		uint64_t turn = now + SINK_BUSY_WAKE_MS * 5;
		rc = sink_wait_fd(s, s->fd, POLLIN | POLLRDHUP,
				  turn < deadline ? turn : deadline);
		if (rc == 0) {
			rc = stream_check(s);
		} else if (rc == -ETIMEDOUT && turn < deadline) {
			/* A receiver that keeps its side open: confirmed as
			 * usual once old enough and acknowledged (our FIN
			 * included). */
			pthread_mutex_lock(&s->lock);
			const struct sink_flight *newest =
				flight_at(s, s->flight_n - 1);
			bool old = now - newest->written_ms >=
				s->cfg.confirm_ms;
			pthread_mutex_unlock(&s->lock);
			int outq = -1;
			rc = old && ioctl(s->fd, SIOCOUTQ, &outq) == 0 &&
				outq == 0 ? -ESHUTDOWN : 0;
		}
	}
	if (rc == -ESHUTDOWN) {
		transport_close(s);
		pthread_mutex_lock(&s->lock);
		s->connected = false;
		sink_deliver(s, s->flight_n);
		pthread_mutex_unlock(&s->lock);
		s->lazy = true;
		s->next_attempt_ms = 0;
		return;
	}
	if (rc == -ECANCELED || rc == -ETIMEDOUT) {
		/* Not confirmed in time: sent again on the next connection. */
		sink_fail(s, false);
		return;
	}
	sink_fail(s, true);
}

/* Sleeps until until_ms, a submit (if want_records) or a stop. */
static void
sink_sleep(struct exp_sink *s, uint64_t until_ms, bool want_records)
{
	uint64_t now = monotonic_ms();
	struct timespec t =
		monotonic_after_ms(until_ms > now ? until_ms - now : 0);

	pthread_mutex_lock(&s->lock);
	if (!s->stop && !s->reopen && !s->kick &&
	    !(want_records && (s->ring_n > 0 ||
			       (s->spool_unread && now >= s->spool_retry_ms))))
		pthread_cond_timedwait(&s->wake, &s->lock, &t);
	pthread_mutex_unlock(&s->lock);
}

static void *
sink_main(void *arg)
{
	struct exp_sink *s = arg;

	for (;;) {
		uint64_t now = monotonic_ms(), deadline;
		bool reopen, kick, work, draining;

		pthread_mutex_lock(&s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		reopen = s->reopen;
		kick = s->kick;
		s->reopen = s->kick = false;
		draining = s->drainers > 0 && now < s->drain_deadline_ms;
		deadline = s->drain_deadline_ms;
		work = s->ring_n > 0 || s->spool_unread;
		if (s->drainers > 0)
			pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->lock);

		if (reopen && s->cfg.kind == EXP_SINK_FILE) {
			transport_close(s);
			s->next_attempt_ms = 0;
		}
		if (kick)
			s->next_attempt_ms = 0;
		if (!s->up) {
			if (s->lazy && !work) {
				sink_sleep(s, now + SINK_IDLE_WAKE_MS, true);
				continue;
			}
			if (now < s->next_attempt_ms) {
				sink_sleep(s, s->next_attempt_ms, false);
				continue;
			}
			sink_connect(s);
			continue;
		}
		int rc = stream_check(s);
		if (rc == 0 && sink_streams(s))
			rc = sink_confirm(s, now);
		unsigned int n = rc == 0 ? sink_fill(s, now) : 0;
		if (n > 0)
			rc = sink_flush(s);
		spares_fill(s);
		if (rc != 0) {
			if (rc != -ECANCELED)
				sink_fail(s, true);
			continue;
		}
		if (n > 0)
			continue;
		pthread_mutex_lock(&s->lock);
		size_t in_flight = s->flight_n;
		bool more = s->ring_n > 0 || s->spool_unread;
		pthread_mutex_unlock(&s->lock);
		if (draining && in_flight > 0 && !more) {
			sink_close_gracefully(s, deadline);
			continue;
		}
		sink_sleep(s, now + (in_flight > 0 ? SINK_BUSY_WAKE_MS :
				     SINK_IDLE_WAKE_MS), !s->fill_blocked);
	}
	return NULL;
}

/*
 * Life cycle.
 */

static int
sink_open_spool(struct exp_sink *s, const char *spool_root,
		const char *where, struct error_detail *err)
{
	char dir[4200], reason[ERROR_DETAIL_TEXT_MAX];
	struct error_detail spool_err = { 0 };
	struct exp_spool_stats st;

	if (mkdir(spool_root, 0700) != 0 && errno != EEXIST) {
		int e = errno;
		error_detail_set(err, where, 0, "spool directory %s: %s",
				 spool_root, strerror(e));
		return -e;
	}
	snprintf(dir, sizeof(dir), "%s/%s", spool_root, s->cfg.name);
	s->spool = exp_spool_open(dir, s->cfg.spool_max, &spool_err);
	if (s->spool == NULL) {
		int e = errno != 0 ? errno : EIO;
		error_detail_set(err, where, 0, "spool %s: %s", dir,
				 e == EBUSY ? "in use by another sink or "
				 "process (names must differ)" :
				 error_detail_format(&spool_err, reason,
						     sizeof(reason)));
		return -e;
	}
	const char *notice = exp_spool_notice(s->spool);
	if (notice != NULL)
		sink_log(s, SINK_LOG_WARNING, "spool %s: %s", dir, notice);
	exp_spool_stats(s->spool, &st);
	if (st.records > 0)
		sink_log(s, SINK_LOG_INFO, "%" PRIu64 " records left in the "
			 "spool from an earlier run are sent first",
			 st.records);
	s->spool_unread = st.records > 0;
	return 0;
}

static void
sink_free(struct exp_sink *s)
{
	exp_sink_tls_ctx_free(s->tls_ctx);
	free(s->ring);
	free(s->flight);
	free(s->batch);
	free(s->rbuf);
	blocks_free(s);
	free(s);
}

struct exp_sink *
exp_sink_start(const struct exp_sink_config *cfg, const char *spool_root,
	       struct error_detail *err)
{
	struct exp_sink *s = calloc(1, sizeof(*s));
	char where[EXP_SINK_NAME_MAX + 8];
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	/* Every error names the sink: "sink NAME: ...". */
	snprintf(where, sizeof(where), "sink %s", cfg->name);
	if (s == NULL) {
		error_detail_set(err, where, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	s->fd = -1;
	s->rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)s << 16) ^
		monotonic_ms();
	s->rng = s->rng != 0 ? s->rng : 0x9e3779b97f4a7c15ull;
	if (cfg->queue == 0 || cfg->queue > EXP_SINK_QUEUE_MAX) {
		error_detail_set(err, where, 0, "queue must be 1 to %u",
				 EXP_SINK_QUEUE_MAX);
		rc = -EINVAL;
		goto free_sink;
	}
	if (cfg->kind == EXP_SINK_FILE)
		snprintf(s->peer, sizeof(s->peer), "%s", cfg->path);
	else if (strchr(cfg->host, ':') != NULL)
		snprintf(s->peer, sizeof(s->peer), "[%s]:%u", cfg->host,
			 cfg->port);
	else
		snprintf(s->peer, sizeof(s->peer), "%s:%u", cfg->host,
			 cfg->port);
	s->batch_cap = SINK_BATCH_BYTES * 2;
	s->batch = malloc(s->batch_cap);
	s->rbuf_cap = SINK_READ_BUF;
	s->rbuf = malloc(s->rbuf_cap);
	if (s->batch == NULL || s->rbuf == NULL) {
		error_detail_set(err, where, 0, "out of memory");
		rc = -ENOMEM;
		goto free_sink;
	}
	if (cfg->kind == EXP_SINK_TLS) {
		struct error_detail tls_err = { 0 };
		s->tls_ctx = exp_sink_tls_ctx_new(cfg, &tls_err);
		if (s->tls_ctx == NULL) {
			error_detail_set(err, where, 0, "%s", tls_err.message);
			rc = -EINVAL;
			goto free_sink;
		}
		if (!cfg->verify)
			sink_log(s, SINK_LOG_WARNING, "verify=no: the "
				 "receiver's certificate is not checked (for "
				 "tests only)");
	}
	if (cfg->spool_max > 0 && spool_root != NULL && spool_root[0] != '\0') {
		rc = sink_open_spool(s, spool_root, where, err);
		if (rc != 0)
			goto free_sink;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &attr);
	pthread_cond_init(&s->idle, &attr);
	pthread_condattr_destroy(&attr);
	/* The thread takes no signal: SIGPIPE becomes EPIPE (OpenSSL writes
	 * with write(2)), and the daemon's handlers run elsewhere. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&s->thread, NULL, sink_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		error_detail_set(err, where, 0, "cannot start its thread: %s",
				 strerror(-rc));
		goto destroy_sync;
	}
	char tname[16];
	snprintf(tname, sizeof(tname), "sink-%.10s", cfg->name);
	pthread_setname_np(s->thread, tname);
	return s;

destroy_sync:
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	exp_spool_close(s->spool);
free_sink:
	sink_free(s);
	errno = -rc;
	return NULL;
}

int
exp_sink_drain(struct exp_sink *s, unsigned int drain_ms)
{
	uint64_t deadline = monotonic_ms() + drain_ms;
	struct timespec t = monotonic_after_ms(drain_ms);
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->drainers++ == 0 || deadline > s->drain_deadline_ms)
		s->drain_deadline_ms = deadline;
	/* An outage waiting out its backoff tries once more now. */
	s->kick = s->outage;
	pthread_cond_signal(&s->wake);
	while (!sink_holds_nothing(s)) {
		if (pthread_cond_timedwait(&s->idle, &s->lock, &t) ==
		    ETIMEDOUT) {
			rc = sink_holds_nothing(s) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	s->drainers--;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void
exp_sink_stop(struct exp_sink *s, unsigned int drain_ms)
{
	struct exp_spool_stats st = { 0 };
	uint64_t spooled = 0, dropped = 0;
	bool spool = false;

	if (s == NULL)
		return;
	if (drain_ms > 0)
		exp_sink_drain(s, drain_ms);
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	atomic_store(&s->stopping, true);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	transport_close(s);

	/* The thread is gone: what it held in memory goes to disk, oldest
	 * first; records in flight from the spool stay there uncommitted. */
	pthread_mutex_lock(&s->lock);
	while (s->flight_n > 0) {
		struct sink_flight f = flight_pop(s);
		if (f.rec == NULL)
			continue;
		if (s->spool != NULL && spool_put(s, f.rec)) {
			spooled++;
		} else if (s->spool == NULL) {
			rec_free(s, f.rec);
			counter_add(&s->dropped, 1);
			dropped++;
		} else {
			dropped++;
		}
	}
	while (s->ring_n > 0) {
		struct sink_rec *rec = ring_pop(s);
		if (s->spool != NULL && spool_put(s, rec)) {
			spooled++;
		} else if (s->spool == NULL) {
			rec_free(s, rec);
			counter_add(&s->dropped, 1);
			dropped++;
		} else {
			dropped++;
		}
	}
	if (s->spool != NULL) {
		spool = true;
		int rc = exp_spool_sync(s->spool);
		if (rc != 0)
			sink_log(s, SINK_LOG_ERR, "syncing the spool: %s",
				 strerror(-rc));
		exp_spool_stats(s->spool, &st);
		exp_spool_close(s->spool);
		s->spool = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (st.records > 0 && spooled > 0)
		sink_log(s, SINK_LOG_INFO, "stopped with %" PRIu64 " records "
			 "in the spool, %" PRIu64 " of them moved there from "
			 "memory now", st.records, spooled);
	else if (st.records > 0)
		sink_log(s, SINK_LOG_INFO, "stopped with %" PRIu64 " records "
			 "in the spool", st.records);
	if (dropped > 0)
		sink_log(s, SINK_LOG_WARNING, "stopped: %" PRIu64
			 " undelivered records dropped (%s)", dropped, spool ?
			 "the spool refused them" : "no spool");
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	sink_free(s);
}

void
exp_sink_stats_read(struct exp_sink *s, struct exp_sink_stats *st)
{
	struct exp_spool_stats sp = { 0 };

	pthread_mutex_lock(&s->lock);
	if (s->spool != NULL)
		exp_spool_stats(s->spool, &sp);
	st->connected = s->connected;
	pthread_mutex_unlock(&s->lock);
	st->queued = counter_get(&s->queued);
	st->sent = counter_get(&s->sent);
	st->spooled = counter_get(&s->spooled);
	st->retried = counter_get(&s->retried);
	st->dropped = counter_get(&s->dropped);
	st->connects = counter_get(&s->connects);
	st->errors = counter_get(&s->errors);
	st->spool_records = sp.records;
	st->spool_bytes = sp.bytes;
}

const struct exp_sink_config *
exp_sink_get_config(const struct exp_sink *s)
{
	return &s->cfg;
}
