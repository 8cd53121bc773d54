/* state_lock.h -- one daemon per state dir and per control socket: an
 * exclusive flock(2) on a lock file (STATE_DIR/lock, SOCKET.lock) with
 * the holder's pid written in it. The kernel drops the lock when the
 * holder exits, kill -9 included, so a stale lock file is never a
 * problem. Taken before anything the lock guards is read or written. */
#ifndef IOCSIFT_CONTROL_STATE_LOCK_H
#define IOCSIFT_CONTROL_STATE_LOCK_H

#include <sys/types.h>

#include "common.h"

struct ctl_lock {
	int fd;                 /* -1: not held */
};

/* Makes the lock file's directory when it is missing (mode dir_mode,
 * one level), opens path and takes the lock without waiting. 0;
 * -EWOULDBLOCK when another process holds it (*holder its pid, 0 when
 * unknown); other -errno. err says which, in words an operator acts on. */
int ctl_lock_take(struct ctl_lock *lock, const char *path, mode_t dir_mode,
		  pid_t *holder, struct error_detail *err);

/* Releases the lock (the file stays: removing it would race a taker). */
void ctl_lock_release(struct ctl_lock *lock);

#endif
