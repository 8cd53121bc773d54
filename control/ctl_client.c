/* ctl_client.c -- a client of the control socket: one request out and
 * one reply line in over the unix socket, before a deadline. iocsiftctl's
 * connection, and the fleet follower's to its own daemon. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#include "ctl_client.h"

static int
left_ms(int64_t deadline)
{
	int64_t left = deadline - (int64_t)monotonic_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Connects before the deadline: the fd or -errno. */
int
ctl_client_connect(const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = errno;
		if (err == EISCONN)
			return fd;
		if (err == EINTR)
			continue;
		if (err == EAGAIN) {
			/* The daemon's backlog is full: try again soon. */
			int ms = left_ms(deadline);

			if (ms == 0) {
				err = ETIMEDOUT;
				break;
			}
			poll(NULL, 0, ms < 20 ? ms : 20);
			continue;
		}
		if (err == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			socklen_t sl = sizeof(err);
			int n = poll(&p, 1, left_ms(deadline));

			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0) {
				err = ETIMEDOUT;
				break;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
				err = errno;
			if (err == 0)
				return fd;
		}
		break;
	}
	close(fd);
	return -err;
}


/* Sends the request and reads one reply line, both before the deadline
 * (reading while sending: a daemon may refuse a large request early).
 * 0 or -errno: -ETIMEDOUT, -EMSGSIZE (reply too long), -ECONNRESET
 * (closed without a reply line), others from the socket. */
int
ctl_client_exchange(int fd, const char *line, size_t len, int64_t deadline,
		    const struct ctl_progress *progress, struct ctl_exchange *x)
{
	char *buf = NULL;
	size_t have = 0, cap = 0;
	int64_t tick = progress != NULL ?
		(int64_t)monotonic_ms() + progress->first_ms : INT64_MAX;
	int rc;

	memset(x, 0, sizeof(*x));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = left_ms(deadline);

		if (x->sent < len && !x->send_failed)
			p.events |= POLLOUT;
		if (ms == 0) {
			rc = -ETIMEDOUT;
			goto fail;
		}
		if (progress != NULL) {
			int64_t now = (int64_t)monotonic_ms();
			if (now >= tick) {
				progress->fn(x->sent, len, progress->arg);
				tick = now + progress->every_ms;
			}
			if (tick - now < ms)
				ms = (int)(tick - now);
		}
		int n = poll(&p, 1, ms);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			continue;       /* the deadline check above ends it */
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (cap - have < 65536) {
				size_t next = cap != 0 ? cap * 2 : 65536;
				char *grown;

				if (next > CTL_CLIENT_REPLY_MAX + 65536)
					next = CTL_CLIENT_REPLY_MAX + 65536;
				grown = realloc(buf, next);
				if (grown == NULL) {
					rc = -ENOMEM;
					goto fail;
				}
				buf = grown;
				cap = next;
			}

			ssize_t r = recv(fd, buf + have, cap - have, 0);

			if (r < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				if (errno != ECONNRESET) {
					rc = -errno;
					goto fail;
				}
				r = 0;
			}
			if (r == 0) {
				rc = -ECONNRESET;
				goto fail;
			}

			char *nl = memchr(buf + have, '\n', (size_t)r);

			have += (size_t)r;
			if (nl != NULL) {
				if ((size_t)(nl - buf) > CTL_CLIENT_REPLY_MAX) {
					rc = -EMSGSIZE;
					goto fail;
				}
				*nl = '\0';
				x->reply = buf;
				x->reply_len = (size_t)(nl - buf);
				return 0;
			}
			if (have > CTL_CLIENT_REPLY_MAX) {
				rc = -EMSGSIZE;
				goto fail;
			}
		}
		if ((p.revents & POLLOUT) && x->sent < len && !x->send_failed) {
			ssize_t w = send(fd, line + x->sent, len - x->sent,
					 MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				if (errno != EPIPE && errno != ECONNRESET) {
					rc = -errno;
					goto fail;
				}
				/* Read whatever the daemon said before it
				 * closed. */
				x->send_failed = true;
				continue;
			}
			x->sent += (size_t)w;
		}
	}
fail:
	free(buf);
	return rc;
}
