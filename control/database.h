/* database.h -- the control path's pattern database: builds each new
 * version off the data path, publishes it to the workers, keeps earlier
 * versions for rollback and the active one in the state dir. Called from
 * the control thread only; the counters may be read from any thread. */
#ifndef IOCSIFT_CONTROL_DATABASE_H
#define IOCSIFT_CONTROL_DATABASE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "block_export.h"
#include "exporter.h"
#include "feed.h"
#include "pattern_set.h"
#include "state_store.h"

#define CTL_ROLLBACK_MAX 64
/* Sets that left (out of history, or rolled back from) and wait for the
 * exporter to let go of them, freed off the reply path (ctl_db_tick). */
#define CTL_RETIRING_MAX 16

struct ctl_database {
	struct pat_set *active;              /* what dp_active_set points at */
	struct pat_set *history[CTL_ROLLBACK_MAX];   /* [0] the newest */
	unsigned int n_history;
	unsigned int rollback_depth;
	unsigned int compact_threshold;
	unsigned int shrink_percent;
	unsigned int n_workers;              /* scratch 0..n-1 are theirs */
	uint64_t next_version;
	/* The state dir: a snapshot and the journal of changes after it. */
	struct ctl_state_store store;
	uint64_t active_seq;                 /* the record that made active */
	uint64_t history_seq[CTL_ROLLBACK_MAX];
	uint64_t blob_seq;                   /* the last record with a feed */
	bool replaying;                      /* resume: no journal writes */
	uint64_t replay_seq;
	int64_t replay_time;                 /* the record's "time" */
	const json_t *replay_overridden;     /* a load's "overridden" */
	/* What `del` took out for good (overrides.h); control thread. */
	json_t *overrides;
	bool free_after_snapshot;            /* the set being saved left */
	/* Offered every new active set; the set its thread writes is freed
	 * once it is done (by ctl_db_tick), as the snapshot's. NULL: none. */
	struct ctl_block_export *block_export;
	struct pat_set *free_after_export;
	struct dp_exporter *exporter;        /* waited on before a free */
	struct pat_set *retiring[CTL_RETIRING_MAX];
	unsigned int n_retiring;
	uint64_t compact_failed_version;     /* not tried again */
	/* Held while active changes or a set is freed, for the readers of
	 * the active set's hit counters on other threads (telemetry). */
	pthread_mutex_t lock;
	/* Read from other threads (stats, telemetry): relaxed atomics. */
	uint64_t version;
	uint64_t indicators;
	uint64_t swaps;
	uint64_t last_swap_ns;
	uint64_t max_swap_ns;
	uint64_t persist_errors;
	/* The last change that could not be saved (under lock). */
	char persist_error[ERROR_DETAIL_TEXT_MAX];
	time_t persist_error_time;
};

struct ctl_database_options {
	const char *state_dir;
	unsigned int n_workers;
	unsigned int rollback_depth;
	unsigned int compact_threshold;
	unsigned int shrink_percent;   /* see ctl_db_load_prepare */
	struct dp_exporter *exporter;
	struct ctl_block_export *block_export;   /* may be NULL */
};

/* Sets up db; no set is active yet. -errno (state dir not usable). */
int ctl_db_init(struct ctl_database *db,
		const struct ctl_database_options *opt);
void ctl_db_release(struct ctl_database *db);

/* Resumes what the state dir holds: the snapshot, then every change
 * journaled after it, each applied as it was first (same versions, same
 * rollback history). 0; -ENOENT when the state dir holds nothing; other
 * -errno (with err) when the snapshot is unusable: it and the journal
 * are then set aside as *.unusable and nothing is active. A journal
 * that stops part-way is logged, and what came before is served. */
int ctl_db_resume(struct ctl_database *db, struct error_detail *err);

/* Every change below is journaled (synced) before it is published: 0, or
 * -errno with err saying why, and then nothing changed. -ECANCELED: the
 * change could not be saved (err: the file and strerror, ENOSPC say),
 * so it was not made. */

/* A feed as received: what the journal keeps to build it again. */
struct ctl_feed_source {
	const char *name;
	const char *label;          /* FILE in FILE:LINE */
	const char *text;
	size_t len;
	enum pat_feed_format format;
};

/* Told, for each file of ctl_db_load_files, the bytes loaded from it
 * (source), or NULL when nothing was loaded. */
typedef void (*ctl_db_loaded_fn)(const char *path,
				 enum pat_feed_format format,
				 const struct ctl_feed_source *source, void *arg);

/* Builds a version from feed files (replacing the feeds of those names)
 * and publishes it; then calls loaded (may be NULL) for each file. 0 or
 * -errno with err naming FILE:LINE; -ERANGE as ctl_db_load_prepare. */
int ctl_db_load_files(struct ctl_database *db, const char *const *paths,
		      const enum pat_feed_format *formats, size_t n,
		      bool allow_shrink, ctl_db_loaded_fn loaded, void *arg,
		      struct error_detail *err);

/* A load in two halves, so that the control thread can serve requests
 * that change nothing (status, stats, list, test) while it is built.
 * ctl_db_load_prepare (any thread, while no other change, rollback or
 * ctl_db_tick runs) replaces the indicators of feed->name with the
 * feed's, parsed from source: it builds the next version and journals
 * it. Unless allow_shrink, a feed of 0 indicators, or one of fewer than
 * shrink_percent % of the live indicators of the feed it replaces, is
 * refused with -ERANGE: a truncated download must not turn detection
 * off. ctl_db_load_commit (the control thread) publishes it. A prepared
 * load is journaled: it must be committed. */
struct ctl_db_prepared {
	struct pat_set *next;
	uint64_t seq;
	bool has_blob;
	size_t overridden;   /* indicators the overrides took out */
};

/* The feed's indicators that an override names (a `del` made earlier)
 * are taken out of it first. */
int ctl_db_load_prepare(struct ctl_database *db, struct pat_feed *feed,
			const struct ctl_feed_source *source,
			bool allow_shrink, struct ctl_db_prepared *prepared,
			struct error_detail *err);
void ctl_db_load_commit(struct ctl_database *db,
			struct ctl_db_prepared *prepared);

/* ctl_db_load_prepare for n feeds (at most CTL_JOURNAL_BLOBS_MAX) in
 * one version, the overrides taken out of each: SIGHUP's reload. The
 * shrink guard refuses the whole prepare when one feed fails it; a
 * caller that wants the others to go on checks each first
 * (ctl_db_shrink_check). */
int ctl_db_load_prepare_many(struct ctl_database *db,
			     struct pat_feed *const *feeds,
			     const struct ctl_feed_source *sources, size_t n,
			     bool allow_shrink,
			     struct ctl_db_prepared *prepared,
			     struct error_detail *err);

/* The shrink guard of ctl_db_load_prepare for one feed, counted without
 * the indicators the overrides would take out of it (feed is not
 * changed): 0, or -ERANGE with err naming source->label and why. Where
 * a prepare may run. */
int ctl_db_shrink_check(const struct ctl_database *db,
			const struct pat_feed *feed,
			const struct ctl_feed_source *source,
			struct error_detail *err);

/* Live indicators of the feed called name in the active set. Where a
 * prepare may run. */
size_t ctl_db_feed_indicators(const struct ctl_database *db,
			      const char *name);

/* ctl_db_add: on success, err's message is a warning when not empty
 * (0.0.0.0/0 or ::/0 matches every address). */

/* One indicator: type and value as a user gives them (normalized here),
 * optional tags, expiry and severity text (NULL when not given). */
struct ctl_indicator_spec {
	const char *type;
	const char *value;
	const char *feed;
	const char *tags;
	const char *expires;
	const char *severity;
};

/* -EINVAL (invalid_indicator), -EEXIST, -ENOENT (del), -ENOMEM. *removed
 * is how many indicators a delete took out (one per feed). A delete
 * leaves an override: no later load brings the indicator back. An add
 * lifts the override of its indicator. */
int ctl_db_add(struct ctl_database *db, const struct ctl_indicator_spec *spec,
	       struct error_detail *err);
int ctl_db_delete(struct ctl_database *db,
		  const struct ctl_indicator_spec *spec, size_t *removed,
		  struct error_detail *err);

/* Lifts the override a delete left on the indicator: the next load of a
 * feed that has it brings it back. No new version. -ENOENT when there is
 * no such override, -EINVAL, -ECANCELED as the others. */
int ctl_db_undelete(struct ctl_database *db,
		    const struct ctl_indicator_spec *spec,
		    struct error_detail *err);

/* The overrides, as ctl_overrides_list. */
json_t *ctl_db_overrides(const struct ctl_database *db, size_t limit);

/* Compaction off the reply path: due when the active version's delta
 * (or its deletions) grew past compact_threshold. ctl_db_compaction_build
 * (any thread, while no change runs) makes the same version in one layer;
 * ctl_db_compaction_publish (the control thread) puts it in place of the
 * active set, which goes (NULL compact: logged, not tried again at this
 * version). Not journaled: a compaction changes no indicator. */
bool ctl_db_compaction_due(const struct ctl_database *db);
struct pat_set *ctl_db_compaction_build(const struct ctl_database *db,
					struct error_detail *err);
void ctl_db_compaction_publish(struct ctl_database *db,
			       struct pat_set *compact,
			       const struct error_detail *err);

/* Makes the previous version active again. -ENOENT when there is none. */
int ctl_db_rollback(struct ctl_database *db, uint64_t *from,
		    struct error_detail *err);

/* Between requests (the control loop's tick): finishes a snapshot the
 * snapshot thread completed, and starts one when the journal has grown;
 * frees a set the block-list writer let go of, and offers it the active
 * set again once an exported indicator expired. */
void ctl_db_tick(struct ctl_database *db);

/* The state dir's side for status: {journal_records, journal_bytes,
 * snapshot_seq, snapshots, snapshot_errors, persist_errors,
 * persist_error}. Any thread. */
json_t *ctl_db_state_json(const struct ctl_database *db);

/* {name, indicators} per feed of the active set, as a JSON array. */
json_t *ctl_db_feeds(const struct ctl_database *db);

/* One page of a listing: the indicators of a version (0: the active
 * one), filtered by type and feed name (NULL: any), from the id `from`
 * on, at most limit (and at most CTL_LIST_PAGE_ROWS, protocol.h). */
struct ctl_list_page {
	const char *type;
	const char *feed;
	uint64_t version;
	uint64_t layout;   /* the first page's: its ids (0: any) */
	uint32_t from;
	size_t limit;
};

/* {db_version, layout, truncated, indicators: [...], next (the from of
 * the next page, when there are more), total (on the first page, from
 * 0)}. NULL with errno EINVAL (unknown type, err says), ESTALE (the
 * version left the rollback history, or was compacted: another layout;
 * err says) or ENOMEM. */
json_t *ctl_db_list(const struct ctl_database *db,
		    const struct ctl_list_page *page, struct error_detail *err);

/* The indicators of the active set hit most, by hits: a JSON array of
 * {type, value, feed, hits}, new reference. Any thread. */
json_t *ctl_db_top_indicators(const struct ctl_database *db, size_t top);

/* Which indicators text would hit, as a syslog message would, and why. */
json_t *ctl_db_test(const struct ctl_database *db, const char *text,
		    size_t len);

#endif
