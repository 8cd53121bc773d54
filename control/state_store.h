/* state_store.h -- what the state dir holds of the pattern database: a
 * snapshot (snapshot-SEQ.db, a saved pattern set covering the journal's
 * records up to SEQ) and the journal of every change after it. A change
 * is appended and synced before it is published, and the snapshot is
 * rewritten by a thread of its own, off the reply path, from a version
 * the database keeps alive until the thread is done. docs/state.md. */
#ifndef IOCSIFT_CONTROL_STATE_STORE_H
#define IOCSIFT_CONTROL_STATE_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "journal.h"
#include "pattern_set.h"

struct ctl_state_store {
	char dir[4096];
	char snapshot_path[4200];     /* "" when there is none */
	uint64_t snapshot_seq;        /* the last record it covers */
	struct ctl_journal journal;
	/* The snapshot thread: one at a time. */
	pthread_t thread;
	bool thread_started;
	const struct pat_set *saving; /* kept alive by the database */
	json_t *saving_overrides;     /* the thread's own copy */
	uint64_t saving_seq;
	int saving_done;              /* atomic: the thread finished */
	int saving_rc;
	struct error_detail saving_err;
	/* Read from other threads (status, metrics): relaxed atomics. */
	uint64_t snapshots;           /* written */
	uint64_t snapshot_errors;
	uint64_t last_snapshot_ns;    /* how long the last one took */
	uint64_t last_snapshot_end;   /* CLOCK_MONOTONIC ns, when it ended */
};

/* Finds the newest snapshot in dir (older ones and temporary files of an
 * interrupted write are removed). 0 or -errno. */
int ctl_state_open(struct ctl_state_store *s, const char *dir,
		   struct error_detail *err);

/* Renames the snapshot and every journal segment to *.unusable and
 * starts afresh: nothing of them is read again, a look is possible. */
void ctl_state_set_aside(struct ctl_state_store *s);

/* The snapshot's path ("" when none). */
const char *ctl_state_snapshot_path(const struct ctl_state_store *s);

/* Reads the journal, calling fn for each record after the snapshot; see
 * ctl_journal_open for what it repairs and reports. */
int ctl_state_replay(struct ctl_state_store *s, ctl_journal_fn fn, void *arg,
		     struct error_detail *err);

/* Appends one change, synced. 0 (then *seq is its number) or -errno with
 * err: the change must then be refused. */
int ctl_state_append(struct ctl_state_store *s, const json_t *op,
		     const struct iovec *blobs, unsigned int n_blobs,
		     uint64_t *seq, struct error_detail *err);

/* Starts writing set, the version the journal's record seq made, as the
 * new snapshot, with a copy of overrides as its overrides-SEQ.json
 * (those of now, which may be later than set: every record after seq is
 * applied to them again at start, and each such record is one whose
 * second application changes nothing); false when a write is under way, there is nothing new to
 * cover, or the last write ended less than 9 times its duration ago (so
 * snapshots take at most a tenth of a CPU). The caller keeps set alive
 * until ctl_state_snapshot_finish hands it back. */
bool ctl_state_snapshot_start(struct ctl_state_store *s,
			      const struct pat_set *set, uint64_t seq,
			      const json_t *overrides);

/* The overrides saved with the snapshot (overrides.h): a new object,
 * empty when there is none; NULL with err when the file is unusable (it
 * is then renamed *.unusable). */
json_t *ctl_state_overrides(struct ctl_state_store *s,
			    struct error_detail *err);

/* When the snapshot thread is done (or, with wait, once it is): the new
 * snapshot replaces the old one and the journal segments it covers are
 * removed. Returns the set it saved, now free for the caller to let go,
 * or NULL while nothing finished. A failed write is counted and logged
 * through err (rc in *rc), the old snapshot and the journal stay. */
const struct pat_set *ctl_state_snapshot_finish(struct ctl_state_store *s,
						bool wait, int *rc,
						struct error_detail *err);

/* The set being saved, or NULL. */
const struct pat_set *ctl_state_snapshot_busy(const struct ctl_state_store *s);

/* Waits for the snapshot thread and closes the journal. */
void ctl_state_close(struct ctl_state_store *s);

#endif
