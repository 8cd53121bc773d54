/* state_lock.c -- the state dir's and the control socket's lock files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_lock.h"

static int
parent_directory_make(const char *path, mode_t mode)
{
	char dir[4096];
	char *slash;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, mode) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static pid_t
holder_read(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return 0;
	text[n] = '\0';
	long pid = strtol(text, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

int
ctl_lock_take(struct ctl_lock *lock, const char *path, mode_t dir_mode,
	      pid_t *holder, struct error_detail *err)
{
	char text[32];
	int rc;

	lock->fd = -1;
	*holder = 0;
	rc = parent_directory_make(path, dir_mode);
	if (rc != 0) {
		error_detail_set(err, path, 0, "making its directory: %s",
				 strerror(-rc));
		return rc;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		rc = -errno;
		error_detail_set(err, path, 0, "%s", strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK) {
			*holder = holder_read(fd);
			if (*holder != 0)
				error_detail_set(err, path, 0, "in use by "
						 "iocsift pid %ld",
						 (long)*holder);
			else
				error_detail_set(err, path, 0, "in use by "
						 "another iocsift");
		} else {
			error_detail_set(err, path, 0, "locking: %s",
					 strerror(errno));
		}
		close(fd);
		return rc;
	}
	int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
		rc = -errno;
		error_detail_set(err, path, 0, "writing the pid: %s",
				 strerror(errno));
		close(fd);
		return rc;
	}
	lock->fd = fd;
	return 0;
}

void
ctl_lock_release(struct ctl_lock *lock)
{
	if (lock->fd >= 0) {
		flock(lock->fd, LOCK_UN);
		close(lock->fd);
	}
	lock->fd = -1;
}
