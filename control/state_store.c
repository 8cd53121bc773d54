/* state_store.c -- the state dir's snapshot and journal, and the thread
 * that writes snapshots. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "overrides.h"
#include "state_store.h"
#include "store.h"

/* An earlier layout's one file: read as a snapshot covering nothing. */
#define LEGACY_SNAPSHOT "active.db"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
snapshot_name(const struct ctl_state_store *s, uint64_t seq, char *buf,
	      size_t size)
{
	snprintf(buf, size, "%s/snapshot-%020" PRIu64 ".db", s->dir, seq);
}

static void
overrides_name(const struct ctl_state_store *s, uint64_t seq, char *buf,
	       size_t size)
{
	snprintf(buf, size, "%s/overrides-%020" PRIu64 ".json", s->dir, seq);
}

static void
directory_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
ctl_state_open(struct ctl_state_store *s, const char *dir,
	       struct error_detail *err)
{
	struct dirent *e;
	bool found = false, legacy = false;
	uint64_t newest = 0;

	*s = (struct ctl_state_store){ .journal.fd = -1 };
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s", dir) >=
	    sizeof(s->dir)) {
		error_detail_set(err, dir, 0, "path too long");
		return -ENAMETOOLONG;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		int rc = -errno;
		error_detail_set(err, dir, 0, "%s", strerror(errno));
		return rc;
	}
	while ((e = readdir(d)) != NULL) {
		unsigned long long seq;
		char tail[8];
		if (strcmp(e->d_name, LEGACY_SNAPSHOT) == 0)
			legacy = true;
		if (sscanf(e->d_name, "snapshot-%20llu%7s", &seq, tail) == 2 &&
		    strcmp(tail, ".db") == 0 && strlen(e->d_name) == 32 &&
		    (!found || seq > newest)) {
			newest = seq;
			found = true;
		}
	}
	/* Older snapshots and their overrides, and temporary files of a
	 * write cut short. */
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		unsigned long long seq;
		char tail[8], path[4400];
		if (sscanf(e->d_name, "snapshot-%20llu%7s", &seq, tail) == 2) {
			if (strcmp(tail, ".db") == 0 && seq == newest && found)
				continue;
		} else if (sscanf(e->d_name, "overrides-%20llu%7s", &seq,
				  tail) == 2) {
			if (strcmp(tail, ".json") == 0 && seq == newest && found)
				continue;
		} else {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	if (found) {
		s->snapshot_seq = newest;
		snapshot_name(s, newest, s->snapshot_path,
			      sizeof(s->snapshot_path));
	} else if (legacy) {
		snprintf(s->snapshot_path, sizeof(s->snapshot_path), "%s/%s",
			 dir, LEGACY_SNAPSHOT);
	}
	return ctl_journal_init(&s->journal, dir, s->snapshot_seq);
}

void
ctl_state_set_aside(struct ctl_state_store *s)
{
	char aside[sizeof(s->snapshot_path) + 16];

	ctl_state_close(s);
	if (s->snapshot_path[0] != '\0') {
		snprintf(aside, sizeof(aside), "%s.unusable", s->snapshot_path);
		rename(s->snapshot_path, aside);
	}
	ctl_journal_set_aside_all(s->dir);
	s->snapshot_path[0] = '\0';
	s->snapshot_seq = 0;
	ctl_journal_init(&s->journal, s->dir, 0);
}

const char *
ctl_state_snapshot_path(const struct ctl_state_store *s)
{
	return s->snapshot_path;
}

int
ctl_state_replay(struct ctl_state_store *s, ctl_journal_fn fn, void *arg,
		 struct error_detail *err)
{
	return ctl_journal_open(&s->journal, s->dir, s->snapshot_seq, fn, arg,
				err);
}

int
ctl_state_append(struct ctl_state_store *s, const json_t *op,
		 const struct iovec *blobs, unsigned int n_blobs, uint64_t *seq,
		 struct error_detail *err)
{
	return ctl_journal_append(&s->journal, op, blobs, n_blobs, seq, err);
}

static void *
snapshot_thread(void *arg)
{
	struct ctl_state_store *s = arg;
	struct sched_param idle = { 0 };
	char path[4200];

	/* Only when the CPU has nothing else to do: the control thread's
	 * replies (on the same CPU) never wait for a snapshot. */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
	uint64_t start = now_ns();

	/* The overrides first: a snapshot is only ever found with its
	 * own. */
	overrides_name(s, s->saving_seq, path, sizeof(path));
	s->saving_rc = ctl_overrides_save(s->saving_overrides, path,
					  &s->saving_err);
	snapshot_name(s, s->saving_seq, path, sizeof(path));
	if (s->saving_rc == 0)
		s->saving_rc = pat_set_save(s->saving, path, &s->saving_err);
	if (s->saving_rc == 0)
		directory_sync(s->dir);
	uint64_t end = now_ns();
	__atomic_store_n(&s->last_snapshot_ns, end - start, __ATOMIC_RELAXED);
	s->last_snapshot_end = end;
	__atomic_store_n(&s->saving_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

bool
ctl_state_snapshot_start(struct ctl_state_store *s, const struct pat_set *set,
			 uint64_t seq, const json_t *overrides)
{
	if (s->thread_started || seq <= s->snapshot_seq ||
	    (s->last_snapshot_end != 0 &&
	     now_ns() - s->last_snapshot_end < 9 * s->last_snapshot_ns))
		return false;
	json_t *copy = json_deep_copy(overrides);
	if (copy == NULL)
		return false;
	json_decref(s->saving_overrides);
	s->saving_overrides = copy;
	s->saving = set;
	s->saving_seq = seq;
	s->saving_done = 0;
	s->saving_err = (struct error_detail){ 0 };
	if (pthread_create(&s->thread, NULL, snapshot_thread, s) != 0) {
		s->saving = NULL;
		return false;
	}
	s->thread_started = true;
	return true;
}

const struct pat_set *
ctl_state_snapshot_finish(struct ctl_state_store *s, bool wait, int *rc,
			  struct error_detail *err)
{
	*rc = 0;
	if (!s->thread_started ||
	    (!wait && !__atomic_load_n(&s->saving_done, __ATOMIC_ACQUIRE)))
		return NULL;
	pthread_join(s->thread, NULL);
	s->thread_started = false;
	const struct pat_set *saved = s->saving;
	s->saving = NULL;
	*rc = s->saving_rc;
	if (s->saving_rc != 0) {
		__atomic_store_n(&s->snapshot_errors, s->snapshot_errors + 1,
				 __ATOMIC_RELAXED);
		*err = s->saving_err;
		return saved;
	}
	/* The new snapshot is durable: the old one, its overrides and the
	 * journal it makes redundant go. */
	if (s->snapshot_path[0] != '\0') {
		char old[4400];
		unlink(s->snapshot_path);
		overrides_name(s, s->snapshot_seq, old, sizeof(old));
		unlink(old);
	}
	__atomic_store_n(&s->snapshot_seq, s->saving_seq, __ATOMIC_RELAXED);
	snapshot_name(s, s->snapshot_seq, s->snapshot_path,
		      sizeof(s->snapshot_path));
	directory_sync(s->dir);
	ctl_journal_drop_through(&s->journal, s->snapshot_seq);
	__atomic_store_n(&s->snapshots, s->snapshots + 1, __ATOMIC_RELAXED);
	return saved;
}

const struct pat_set *
ctl_state_snapshot_busy(const struct ctl_state_store *s)
{
	return s->thread_started ? s->saving : NULL;
}

json_t *
ctl_state_overrides(struct ctl_state_store *s, struct error_detail *err)
{
	char path[4400], aside[4420];

	if (s->snapshot_seq == 0)
		return json_object();    /* none, or the legacy file: none */
	overrides_name(s, s->snapshot_seq, path, sizeof(path));
	json_t *overrides = ctl_overrides_load(path, err);
	if (overrides == NULL) {
		snprintf(aside, sizeof(aside), "%s.unusable", path);
		rename(path, aside);
	}
	return overrides;
}

void
ctl_state_close(struct ctl_state_store *s)
{
	if (s->thread_started) {
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	json_decref(s->saving_overrides);
	s->saving_overrides = NULL;
	ctl_journal_close(&s->journal);
}
