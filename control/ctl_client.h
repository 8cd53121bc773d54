/* ctl_client.h -- a client's connection to the daemon's control socket
 * (iocsiftctl's, the fleet follower's). */
#ifndef IOCSIFT_CTL_CLIENT_H
#define IOCSIFT_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest reply line taken. */
#define CTL_CLIENT_REPLY_MAX (64u << 20)

/* Connects before the deadline: the fd or -errno. */
int ctl_client_connect(const char *path, int64_t deadline);

struct ctl_exchange {
	char *reply;             /* the reply line, without "\n" */
	size_t reply_len;
	size_t sent;
	bool send_failed;        /* the daemon closed before taking it all */
};

/* Called while an exchange waits: first after first_ms, then every
 * every_ms, with how much of the request is sent. */
struct ctl_progress {
	void (*fn)(size_t sent, size_t len, void *arg);
	void *arg;
	unsigned int first_ms, every_ms;
};

/* Sends the request and reads one reply line, both before the deadline
 * (reading while sending: a daemon may refuse a large request early);
 * progress (may be NULL) is called on the way.
 * 0 or -errno: -ETIMEDOUT, -EMSGSIZE (reply too long), -ECONNRESET
 * (closed without a reply line), others from the socket. */
int ctl_client_exchange(int fd, const char *line, size_t len,
			int64_t deadline, const struct ctl_progress *progress,
			struct ctl_exchange *x);

#endif
