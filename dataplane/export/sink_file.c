/* sink_file.c -- the file transport of a sink: records appended to a file
 * as lines, delivered once write(2) took them, the file opened again on
 * exp_sink_reopen() (logrotate). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sink.h"
#include "sink_transport.h"

static void
file_name_peer(struct sink_conn *c)
{
	snprintf(c->peer, sizeof(c->peer), "%s", c->cfg->path);
}

static int
file_open(struct sink_conn *c)
{
	c->fd = open(c->cfg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		     O_NOCTTY, 0640);
	if (c->fd < 0) {
		int e = errno;
		snprintf(c->why, sizeof(c->why), "cannot open %s: %s",
			 c->cfg->path, strerror(e));
		return -e;
	}
	return 0;
}

/* Writes the batch from record first on. *done: records written whole. */
static int
file_write(struct sink_conn *c, const struct sink_batch *b,
	   unsigned int first, unsigned int *done)
{
	size_t off = sink_batch_start(b, first);

	*done = 0;
	while (off < b->len) {
		ssize_t n = write(c->fd, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			while (first + *done < b->n &&
			       b->ends[first + *done] <= off)
				(*done)++;
			snprintf(c->why, sizeof(c->why), "writing %s: %s",
				 c->cfg->path, strerror(e));
			return -e;
		}
		off += (size_t)n;
	}
	*done = b->n - first;
	return 0;
}

static void
file_close(struct sink_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

const struct sink_transport sink_transport_file = {
	.framing = SINK_FRAME_LINE,
	.confirms = false,
	.reopens = true,
	.open_verb = "opened",
	.name_peer = file_name_peer,
	.open = file_open,
	.write = file_write,
	.close = file_close,
};
