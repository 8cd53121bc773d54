/* ctl_progress.h -- iocsiftctl's progress line for a long load on a
 * terminal: how much of the feed is sent, then what the daemon is doing
 * with it (its status's "running"), asked on a connection of its own. */
#ifndef IOCSIFT_CTL_PROGRESS_H
#define IOCSIFT_CTL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_load_progress {
	const char *socket;
	bool shown;              /* a line is on the terminal */
};

/* A struct ctl_progress's fn: arg is a struct ctl_load_progress. */
void ctl_load_progress(size_t sent, size_t len, void *arg);

/* Clears the line, when one was shown. */
void ctl_load_progress_end(struct ctl_load_progress *p);

#endif
