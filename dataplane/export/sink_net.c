/* sink_net.c -- the socket transports of a sink: UDP (one datagram per
 * record) and TCP (RFC 6587 octet counting), and what streams share with
 * TLS on top of TCP: resolving and connecting, writing all of a buffer,
 * watching for the peer's end, the unacknowledged bytes, a graceful end. */
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "sink.h"
#include "sink_transport.h"

#define SINK_TCP_USER_TIMEOUT_MS 30000u /* unacknowledged: the peer is gone */
#define SINK_POLL_SLICE_MS 100         /* I/O waits notice a stop this fast */

int
sink_wait_fd(struct sink_conn *c, int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = monotonic_ms();
		if (__atomic_load_n(c->stopping, __ATOMIC_ACQUIRE))
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

void
sink_net_name_peer(struct sink_conn *c)
{
	const struct exp_sink_config *cfg = c->cfg;

	if (strchr(cfg->host, ':') != NULL)
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", cfg->host,
			 cfg->port);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%u", cfg->host,
			 cfg->port);
}

void
sink_socket_close(struct sink_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* A connected UDP socket to one address. fd or -errno. */
static int
udp_connect_one(struct sink_conn *c, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);

	(void)c;
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
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
tcp_connect_one(struct sink_conn *c, const struct addrinfo *ai)
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
		int rc = sink_wait_fd(c, fd, POLLOUT,
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

/* Resolves the host (at each attempt: a moved receiver is found again)
 * and connects to every address in turn until one takes: c->fd. 0 or
 * -errno. */
static int
net_connect(struct sink_conn *c, int socktype,
	    int (*connect_one)(struct sink_conn *c, const struct addrinfo *ai))
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res, *ai;
	char port[8];
	int rc, fd = -ENOENT;

	hints.ai_socktype = socktype;
	snprintf(port, sizeof(port), "%u", c->cfg->port);
	rc = getaddrinfo(c->cfg->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(c->why, sizeof(c->why), "cannot resolve %s: %s",
			 c->cfg->host, rc == EAI_SYSTEM ? strerror(errno) :
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = connect_one(c, ai);
		if (fd >= 0 || fd == -ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(c->why, sizeof(c->why), "cannot connect to %s: %s",
			 c->peer, fd == -ETIMEDOUT ? "timed out" :
			 strerror(-fd));
		return fd;
	}
	c->fd = fd;
	return 0;
}

/*
 * UDP.
 */

static int
udp_open(struct sink_conn *c)
{
	return net_connect(c, SOCK_DGRAM, udp_connect_one);
}

/* One datagram per record, from record first on. *done: records sent. */
static int
udp_write(struct sink_conn *c, const struct sink_batch *b,
	  unsigned int first, unsigned int *done)
{
	size_t start = sink_batch_start(b, first);

	for (*done = 0; first + *done < b->n; (*done)++) {
		size_t end = b->ends[first + *done];
		int tries = 0;
		for (;;) {
			ssize_t n = send(c->fd, b->data + start, end - start,
					 0);
			if (n >= 0)
				break;
			int e = errno;
			/* A port unreachable from an earlier datagram is
			 * reported once; this one was not sent yet. */
			if (e == EINTR || (e == ECONNREFUSED && tries++ == 0))
				continue;
			if (e == EMSGSIZE) {
				snprintf(c->why, sizeof(c->why), "a record of "
					 "%zu bytes is too big for UDP",
					 end - start);
				return -EMSGSIZE;
			}
			snprintf(c->why, sizeof(c->why), "sending to %s: %s",
				 c->peer, strerror(e));
			return -e;
		}
		start = end;
	}
	return 0;
}

const struct sink_transport sink_transport_udp = {
	.framing = SINK_FRAME_NONE,
	.confirms = false,
	.reopens = false,
	.open_verb = "connected to",
	.name_peer = sink_net_name_peer,
	.open = udp_open,
	.write = udp_write,
	.close = sink_socket_close,
};

/*
 * Streams: TCP, and TLS on top of it.
 */

int
sink_tcp_open(struct sink_conn *c)
{
	return net_connect(c, SOCK_STREAM, tcp_connect_one);
}

int
sink_stream_write(struct sink_conn *c, const unsigned char *buf, size_t len,
		  ssize_t (*send_some)(struct sink_conn *c, const void *buf,
				       size_t len, short *events,
				       struct error_detail *err))
{
	uint64_t deadline = monotonic_ms() + SINK_IO_TIMEOUT_MS;
	struct error_detail err = { 0 };
	size_t off = 0;

	while (off < len) {
		short events = POLLOUT;
		ssize_t n = send_some(c, buf + off, len - off, &events, &err);
		if (n > 0) {
			off += (size_t)n;
			deadline = monotonic_ms() + SINK_IO_TIMEOUT_MS;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			n = sink_wait_fd(c, c->fd, events, deadline);
		if (n == -ETIMEDOUT)
			error_detail_set(&err, "", 0, "no progress for %u s "
					 "(the receiver does not read)",
					 SINK_IO_TIMEOUT_MS / 1000);
		else if (n == -ECANCELED)
			error_detail_set(&err, "", 0, "stopped");
		if (n != 0) {
			snprintf(c->why, sizeof(c->why), "writing to %s: %s",
				 c->peer, err.message);
			return (int)n;
		}
	}
	return 0;
}

int
sink_stream_poll(struct sink_conn *c, short *revents)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	*revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & POLLERR) {
		int e = 0;
		socklen_t len = sizeof(e);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len);
		e = e != 0 ? e : ECONNRESET;
		snprintf(c->why, sizeof(c->why), "connection to %s: %s",
			 c->peer, strerror(e));
		return -e;
	}
	*revents = p.revents;
	return 0;
}

int
sink_stream_unacked(struct sink_conn *c, int *bytes)
{
	return ioctl(c->fd, SIOCOUTQ, bytes) == 0 ? 0 : -errno;
}

int
sink_stream_shutdown(struct sink_conn *c, uint64_t deadline)
{
	(void)deadline;
	return shutdown(c->fd, SHUT_WR) == 0 ? 0 : -errno;
}

/* One send(2): bytes written, -EAGAIN when the socket is full, -errno
 * with err. */
static ssize_t
tcp_send_some(struct sink_conn *c, const void *buf, size_t len,
	      short *events, struct error_detail *err)
{
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	(void)events;
	if (n < 0)
		n = errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n < 0 && n != -EAGAIN)
		error_detail_set(err, "", 0, "%s", strerror((int)-n));
	return n;
}

static int
tcp_write(struct sink_conn *c, const struct sink_batch *b,
	  unsigned int first, unsigned int *done)
{
	size_t start = sink_batch_start(b, first);
	int rc = sink_stream_write(c, b->data + start, b->len - start,
				   tcp_send_some);

	*done = rc == 0 ? b->n - first : 0;
	return rc;
}

/* Reads what the receiver sent (nothing it says matters) to see whether
 * the connection still stands. */
static int
tcp_check(struct sink_conn *c)
{
	char scratch[4096];
	short revents;
	int rc = sink_stream_poll(c, &revents);

	if (rc != 0 || revents == 0)
		return rc;
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n > 0)
			continue;  /* nothing a receiver says matters */
		rc = n == 0 ? -ESHUTDOWN : errno == EAGAIN ? 0 : -errno;
		if (rc == -EINTR)
			continue;
		if (rc != 0)
			snprintf(c->why, sizeof(c->why), "connection to %s: %s",
				 c->peer, rc == -ESHUTDOWN ?
				 "closed by the receiver" : strerror(-rc));
		return rc;
	}
	return 0;
}

const struct sink_transport sink_transport_tcp = {
	.framing = SINK_FRAME_OCTET_COUNT,
	.confirms = true,
	.reopens = false,
	.open_verb = "connected to",
	.name_peer = sink_net_name_peer,
	.open = sink_tcp_open,
	.write = tcp_write,
	.check = tcp_check,
	.unacked = sink_stream_unacked,
	.shutdown = sink_stream_shutdown,
	.close = sink_socket_close,
};
