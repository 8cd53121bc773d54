/* database.c -- new versions of the pattern set: built aside, published
 * with RCU, kept for rollback, saved to the state dir. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <rte_log.h>

#include "arena.h"
#include "common.h"
#include "database.h"
#include "protocol.h"
#include "feed_reader.h"
#include "overrides.h"
#include "publish.h"
#include "store.h"

RTE_LOG_REGISTER(ctl_logtype_database, iocsift.database, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, ctl_logtype_database, "database: " __VA_ARGS__)

static void
counter_set(uint64_t *counter, uint64_t value)
{
	__atomic_store_n(counter, value, __ATOMIC_RELAXED);
}

int
ctl_db_init(struct ctl_database *db, const struct ctl_database_options *opt)
{
	*db = (struct ctl_database){
		.rollback_depth = opt->rollback_depth < CTL_ROLLBACK_MAX ?
			opt->rollback_depth : CTL_ROLLBACK_MAX,
		.compact_threshold = opt->compact_threshold,
		.shrink_percent = opt->shrink_percent,
		.n_workers = opt->n_workers,
		.next_version = 1,
		.exporter = opt->exporter,
		.block_export = opt->block_export,
	};
	db->store.journal.fd = -1;
	pthread_mutex_init(&db->lock, NULL);
	db->overrides = json_object();
	if (db->overrides == NULL)
		return -ENOMEM;
	if (mkdir(opt->state_dir, 0750) != 0 && errno != EEXIST) {
		int rc = -errno;
		LOG(ERR, "state dir %s: %s\n", opt->state_dir, strerror(errno));
		return rc;
	}
	struct error_detail err = { 0 };
	int rc = ctl_state_open(&db->store, opt->state_dir, &err);
	if (rc != 0) {
		char text[ERROR_DETAIL_TEXT_MAX];
		LOG(ERR, "%s\n", error_detail_format(&err, text, sizeof(text)));
	}
	return rc;
}

static void db_free_set(struct ctl_database *db, struct pat_set *set);

/* Frees the set the block-list writer held once it let go of it. The
 * writer only ever takes the active set, which is not freed: a set that
 * is not busy now cannot become busy. */
static void
db_export_reclaim(struct ctl_database *db)
{
	struct pat_set *set = db->free_after_export;

	if (set == NULL || set == ctl_block_export_busy(db->block_export))
		return;
	db->free_after_export = NULL;
	db_free_set(db, set);
}

/* Frees a set no worker, hit record or counter reader can still see;
 * the one the snapshot thread is saving, or the block-list writer is
 * writing, waits for it. */
static void
db_free_set(struct ctl_database *db, struct pat_set *set)
{
	if (set != NULL && set == ctl_state_snapshot_busy(&db->store)) {
		db->free_after_snapshot = true;
		return;
	}
	if (set != NULL && db->block_export != NULL) {
		db_export_reclaim(db);
		if (set == ctl_block_export_busy(db->block_export)) {
			/* Only one set is written at a time: the one deferred
			 * before, if any, was just freed. */
			db->free_after_export = set;
			return;
		}
	}
	pthread_mutex_lock(&db->lock);
	pat_set_free(set);
	pthread_mutex_unlock(&db->lock);
}

static void db_snapshot_finish(struct ctl_database *db, bool wait);
static void db_reclaim(struct ctl_database *db);

void
ctl_db_release(struct ctl_database *db)
{
	if (db->block_export != NULL) {
		ctl_block_export_stop(db->block_export);
		db_export_reclaim(db);
	}
	db_snapshot_finish(db, true);
	ctl_state_close(&db->store);
	db_reclaim(db);      /* a stopped exporter is not waited for */
	for (unsigned int i = 0; i < db->n_history; i++)
		db_free_set(db, db->history[i]);
	db->n_history = 0;
	/* The workers are stopped by now: no grace period needed. */
	if (db->active != NULL)
		dp_active_set = NULL;
	pthread_mutex_lock(&db->lock);
	pat_set_free(db->active);
	db->active = NULL;
	pthread_mutex_unlock(&db->lock);
	pthread_mutex_destroy(&db->lock);
	json_decref(db->overrides);
	db->overrides = NULL;
}

/* Frees the sets that left once the exporter holds no hit record of
 * theirs: each left after a grace period (dp_publish), and the exporter's
 * retire then waits for the records queued before it. */
static void
db_reclaim(struct ctl_database *db)
{
	if (db->n_retiring == 0)
		return;
	if (db->exporter != NULL)
		dp_exporter_retire(db->exporter);
	for (unsigned int i = 0; i < db->n_retiring; i++)
		db_free_set(db, db->retiring[i]);
	db->n_retiring = 0;
}

/* A set that left: freed by the next tick, after the reply. */
static void
db_retire(struct ctl_database *db, struct pat_set *set)
{
	if (set == NULL)
		return;
	if (db->n_retiring == CTL_RETIRING_MAX)
		db_reclaim(db);
	db->retiring[db->n_retiring++] = set;
}

/* The set the workers see next: after the swap and the grace period no
 * worker reads the previous one, so a packet handled after the return is
 * matched against next. A version made by an add or a delete shares its
 * hit counters with the previous one; a new base (a load, a compaction,
 * a rollback across one) gets the previous one's counts moved, once the
 * exporter has retired it and no hit record can count into it. */
static struct pat_set *
db_swap(struct ctl_database *db, struct pat_set *next)
{
	uint64_t start = monotonic_ns();
	struct pat_set *prev = dp_publish(next);
	uint64_t took = monotonic_ns() - start;
	bool move = prev != NULL && !pat_set_shares_counts(prev, next);

	if (move && db->exporter != NULL)
		dp_exporter_retire(db->exporter);
	pthread_mutex_lock(&db->lock);
	db->active = next;
	if (move)
		pat_set_move_hit_counts(next, prev);
	pthread_mutex_unlock(&db->lock);
	if (db->block_export != NULL)
		ctl_block_export_offer(db->block_export, next);
	counter_set(&db->version, pat_set_version(next));
	counter_set(&db->indicators, pat_set_count(next));
	counter_set(&db->swaps, db->swaps + 1);
	counter_set(&db->last_swap_ns, took);
	if (took > db->max_swap_ns)
		counter_set(&db->max_swap_ns, took);
	return prev;
}

/* Journals one change before it is made: 0, or -errno with err saying
 * why, counted, and then the change must not be made. While resuming,
 * the record being replayed stands for it. */
static int
db_journal(struct ctl_database *db, json_t *op, const struct iovec *blobs,
	   unsigned int n_blobs, uint64_t *seq, struct error_detail *err)
{
	struct error_detail why = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];
	int rc;

	if (op == NULL) {
		error_detail_set(err, "", 0, "not saved: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (db->replaying) {
		*seq = db->replay_seq;
		json_decref(op);
		return 0;
	}
	json_object_set_new(op, "time", json_integer((json_int_t)time(NULL)));
	rc = ctl_state_append(&db->store, op, blobs, n_blobs, seq, &why);
	json_decref(op);
	if (rc == 0)
		return 0;
	error_detail_format(&why, text, sizeof(text));
	counter_set(&db->persist_errors, db->persist_errors + 1);
	pthread_mutex_lock(&db->lock);
	snprintf(db->persist_error, sizeof(db->persist_error), "%s", text);
	db->persist_error_time = time(NULL);
	pthread_mutex_unlock(&db->lock);
	LOG(ERR, "change refused, it could not be saved: %s\n", text);
	error_detail_set(err, "", 0, "not saved, so not made: %s", text);
	return -ECANCELED;
}

/* Hands a finished snapshot's set back (freed when it left meanwhile). */
static void
db_snapshot_finish(struct ctl_database *db, bool wait)
{
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];
	int rc;
	const struct pat_set *saved =
		ctl_state_snapshot_finish(&db->store, wait, &rc, &err);

	if (saved == NULL)
		return;
	if (rc != 0)
		LOG(ERR, "writing a snapshot: %s (the journal keeps every "
		    "change)\n", error_detail_format(&err, text, sizeof(text)));
	if (db->free_after_snapshot) {
		db->free_after_snapshot = false;
		db_free_set(db, (struct pat_set *)(uintptr_t)saved);
	}
}

/* The oldest version kept (the rollback horizon) is what a snapshot
 * holds, so a restart rebuilds the same history from the journal. One is
 * written when the journal holds DB_SNAPSHOT_RECORDS changes older than
 * the horizon, or a loaded feed (costly to replay, large to keep). */
#define DB_SNAPSHOT_RECORDS 32

static void
db_snapshot_maybe(struct ctl_database *db)
{
	if (db->replaying || db->active == NULL)
		return;
	db_snapshot_finish(db, false);
	const struct pat_set *horizon = db->n_history > 0 ?
		db->history[db->n_history - 1] : db->active;
	uint64_t seq = db->n_history > 0 ?
		db->history_seq[db->n_history - 1] : db->active_seq;
	uint64_t covered = db->store.snapshot_seq;

	if (seq <= covered)
		return;
	if (seq - covered >= DB_SNAPSHOT_RECORDS ||
	    (db->blob_seq > covered && db->blob_seq <= seq))
		ctl_state_snapshot_start(&db->store, horizon, seq,
					 db->overrides);
}

void
ctl_db_tick(struct ctl_database *db)
{
	db_reclaim(db);
	db_snapshot_maybe(db);
	if (db->block_export != NULL) {
		db_export_reclaim(db);
		if (db->active != NULL &&
		    ctl_block_export_expiry_due(db->block_export,
						(int64_t)time(NULL)))
			ctl_block_export_offer(db->block_export, db->active);
	}
}

/* Publishes next, which journal record seq made; the previous version
 * becomes the newest of history. */
static void
db_publish(struct ctl_database *db, struct pat_set *next, uint64_t seq)
{
	uint64_t prev_seq = db->active_seq;
	struct pat_set *prev = db_swap(db, next);

	if (prev != NULL && db->rollback_depth == 0) {
		db_retire(db, prev);
	} else if (prev != NULL) {
		if (db->n_history == db->rollback_depth) {
			db_retire(db, db->history[db->n_history - 1]);
			db->n_history--;
		}
		memmove(&db->history[1], &db->history[0],
			db->n_history * sizeof(db->history[0]));
		memmove(&db->history_seq[1], &db->history_seq[0],
			db->n_history * sizeof(db->history_seq[0]));
		db->history[0] = prev;
		db->history_seq[0] = prev_seq;
		db->n_history++;
	}
	db->active_seq = seq;
	db->next_version = pat_set_version(next) + 1;
	if (!db->replaying)
		LOG(INFO, "version %lu active: %zu indicators\n",
		    (unsigned long)pat_set_version(next), pat_set_count(next));
	db_snapshot_maybe(db);
}

/* A load's record: the feeds' names, labels, formats and lengths; their
 * bytes follow as the blob, one after another. */
static json_t *
load_record(const struct ctl_feed_source *sources, size_t n,
	    uint64_t version, json_t *overridden)
{
	json_t *feeds = json_array();

	for (size_t i = 0; feeds != NULL && i < n; i++)
		json_array_append_new(feeds, json_pack("{s:s, s:s, s:s, s:I}",
			"name", sources[i].name, "label", sources[i].label,
			"format", pat_feed_format_name(sources[i].format),
			"length", (json_int_t)sources[i].len));
	if (feeds == NULL)
		return NULL;
	json_t *op = json_pack("{s:s, s:I, s:o}", "op", "load", "version",
			       (json_int_t)version, "feeds", feeds);
	/* Replayed, the load takes out these, whatever the overrides are
	 * then: the same version as the first time. */
	if (op != NULL && json_array_size(overridden) > 0)
		json_object_set(op, "overridden", overridden);
	return op;
}

/* Live indicators of the feed called name in the active set. */
static size_t
db_feed_count(const struct ctl_database *db, const char *name)
{
	size_t n = 0;

	for (uint32_t id = 0; db->active != NULL &&
	     id < pat_set_id_limit(db->active); id++) {
		const struct pat_indicator *ind =
			pat_set_live_indicator(db->active, id);
		if (ind != NULL && strcmp(ind->feed, name) == 0)
			n++;
	}
	return n;
}

/* -ERANGE when feed would leave its name with 0 indicators or fewer
 * than shrink_percent % of those it has now (ctl_db_load_prepare). */
static int
db_shrink_check(const struct ctl_database *db, const struct pat_feed *feed,
		const struct ctl_feed_source *source, struct error_detail *err)
{
	size_t now = db_feed_count(db, source->name);

	if (feed->count > 0 &&
	    (uint64_t)feed->count * 100 >= (uint64_t)now * db->shrink_percent)
		return 0;
	if (now == 0 && feed->skipped > 0)
		error_detail_set(err, source->label, 0, "yields 0 indicators "
				 "(%zu records skipped, the first: %s); not "
				 "loaded: give --allow-shrink to load an empty "
				 "feed", feed->skipped, feed->first_skip);
	else if (now == 0)
		error_detail_set(err, source->label, 0, "yields 0 indicators; "
				 "not loaded: give --allow-shrink to load an "
				 "empty feed");
	else
		error_detail_set(err, source->label, 0, "yields %zu indicators "
				 "where feed '%s' has %zu (less than %u%%); not "
				 "loaded, the %zu stay: give --allow-shrink to "
				 "replace them", feed->count, source->name, now,
				 db->shrink_percent, now);
	return -ERANGE;
}

/* Builds the next version from parsed feeds (replacing the feeds of their
 * names) and journals the sources they came from: the part of a load that
 * takes time, and changes nothing the workers or the readers see. */
static int
feeds_prepare(struct ctl_database *db, struct pat_feed *const *feeds,
	      const struct ctl_feed_source *sources, size_t n,
	      bool allow_shrink, struct ctl_db_prepared *prepared,
	      struct error_detail *err)
{
	struct iovec blobs[CTL_JOURNAL_BLOBS_MAX];
	int rc;

	*prepared = (struct ctl_db_prepared){ 0 };
	if (n > CTL_JOURNAL_BLOBS_MAX) {
		error_detail_set(err, "", 0, "at most %d feeds in one load",
				 CTL_JOURNAL_BLOBS_MAX);
		return -E2BIG;
	}
	json_t *overridden = json_array();
	if (overridden == NULL) {
		error_detail_set(err, "", 0, "loading feeds: %s",
				 strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		prepared->overridden += ctl_overrides_apply(db->replaying ?
			db->replay_overridden : db->overrides, feeds[i],
			overridden);
	for (size_t i = 0; !allow_shrink && !db->replaying && i < n; i++) {
		rc = db_shrink_check(db, feeds[i], &sources[i], err);
		if (rc != 0) {
			json_decref(overridden);
			return rc;
		}
	}
	const struct pat_feed *const *built = (const struct pat_feed *const *)feeds;
	struct pat_set *next = db->active == NULL ?
		pat_set_build(built, n, db->n_workers + 1, db->next_version,
			      err) :
		pat_set_replace_feeds(db->active, built, n, db->next_version,
				      err);

	if (next == NULL) {
		json_decref(overridden);
		return errno != 0 ? -errno : -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		blobs[i] = (struct iovec){ (void *)(uintptr_t)sources[i].text,
					   sources[i].len };
	rc = db_journal(db, load_record(sources, n, pat_set_version(next),
					overridden),
			blobs, (unsigned int)n, &prepared->seq, err);
	json_decref(overridden);
	if (rc != 0) {
		pat_set_free(next);
		return rc;
	}
	prepared->next = next;
	prepared->has_blob = n > 0;
	return 0;
}

void
ctl_db_load_commit(struct ctl_database *db, struct ctl_db_prepared *prepared)
{
	if (prepared->next == NULL)
		return;
	if (prepared->has_blob)
		db->blob_seq = prepared->seq;
	db_publish(db, prepared->next, prepared->seq);
	prepared->next = NULL;
}

static int
feeds_publish(struct ctl_database *db, struct pat_feed *const *feeds,
	      const struct ctl_feed_source *sources, size_t n,
	      bool allow_shrink, struct error_detail *err)
{
	struct ctl_db_prepared prepared;
	int rc = feeds_prepare(db, feeds, sources, n, allow_shrink, &prepared,
			       err);

	if (rc == 0 && prepared.overridden > 0 && !db->replaying)
		LOG(INFO, "overridden: %zu left out, deleted earlier (iocsiftctl "
		    "list --overrides)\n", prepared.overridden);
	if (rc == 0)
		ctl_db_load_commit(db, &prepared);
	return rc;
}

/* Parses sources[0..n) and publishes them as one version. */
static int
sources_load(struct ctl_database *db, const struct ctl_feed_source *sources,
	     size_t n, bool allow_shrink, struct error_detail *err)
{
	struct pat_feed *feeds = calloc(n + 1, sizeof(*feeds));
	struct pat_feed **pointers = calloc(n + 1, sizeof(*pointers));
	size_t parsed = 0;
	int rc = 0;

	if (feeds == NULL || pointers == NULL) {
		rc = -ENOMEM;
		error_detail_set(err, "", 0, "loading feeds: %s", strerror(ENOMEM));
	}
	for (; rc == 0 && parsed < n; parsed++) {
		pat_feed_init(&feeds[parsed]);
		pointers[parsed] = &feeds[parsed];
		rc = pat_feed_parse(&feeds[parsed], sources[parsed].name,
				    sources[parsed].label, sources[parsed].text,
				    sources[parsed].len, sources[parsed].format,
				    err);
	}
	if (rc == 0)
		rc = feeds_publish(db, pointers, sources, n, allow_shrink,
				   err);
	for (size_t i = 0; i < parsed; i++)
		pat_feed_free(&feeds[i]);
	free(pointers);
	free(feeds);
	return rc;
}

int
ctl_db_load_files(struct ctl_database *db, const char *const *paths,
		  const enum pat_feed_format *formats, size_t n,
		  bool allow_shrink, ctl_db_loaded_fn loaded, void *arg,
		  struct error_detail *err)
{
	struct ctl_feed_source *sources = calloc(n + 1, sizeof(*sources));
	char **names = calloc(n + 1, sizeof(*names));
	char **texts = calloc(n + 1, sizeof(*texts));
	int rc = 0;

	if (sources == NULL || names == NULL || texts == NULL) {
		rc = -ENOMEM;
		error_detail_set(err, "", 0, "loading feeds: %s", strerror(ENOMEM));
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		size_t len = 0;
		rc = file_read_all(paths[i], SIZE_MAX / 2, &texts[i], &len);
		if (rc != 0) {
			error_detail_set(err, paths[i], 0, "%s", strerror(-rc));
			break;
		}
		names[i] = pat_feed_name_from_path(paths[i]);
		if (names[i] == NULL) {
			rc = -ENOMEM;
			error_detail_set(err, paths[i], 0, "%s", strerror(ENOMEM));
			break;
		}
		sources[i] = (struct ctl_feed_source){
			.name = names[i], .label = paths[i],
			.text = texts[i] != NULL ? texts[i] : "", .len = len,
			.format = formats[i],
		};
	}
	if (rc == 0)
		rc = sources_load(db, sources, n, allow_shrink, err);
	for (size_t i = 0; loaded != NULL && sources != NULL && i < n; i++)
		loaded(paths[i], formats[i], rc == 0 ? &sources[i] : NULL, arg);
	for (size_t i = 0; names != NULL && texts != NULL && i < n; i++) {
		free(names[i]);
		free(texts[i]);
	}
	free(names);
	free(texts);
	free(sources);
	return rc;
}

int
ctl_db_shrink_check(const struct ctl_database *db, const struct pat_feed *feed,
		    const struct ctl_feed_source *source,
		    struct error_detail *err)
{
	/* As feeds_prepare checks it: without what the overrides take out
	 * (counted here, not taken: the prepare takes and journals them). */
	struct pat_feed counted = *feed;

	for (size_t i = 0; json_object_size(db->overrides) > 0 &&
	     i < feed->count; i++) {
		char *key = ctl_override_key(feed->items[i].type,
					     feed->items[i].value);
		if (key != NULL && json_object_get(db->overrides, key) != NULL)
			counted.count--;
		free(key);
	}
	return db_shrink_check(db, &counted, source, err);
}

size_t
ctl_db_feed_indicators(const struct ctl_database *db, const char *name)
{
	return db_feed_count(db, name);
}

int
ctl_db_load_prepare_many(struct ctl_database *db,
			 struct pat_feed *const *feeds,
			 const struct ctl_feed_source *sources, size_t n,
			 bool allow_shrink, struct ctl_db_prepared *prepared,
			 struct error_detail *err)
{
	return feeds_prepare(db, feeds, sources, n, allow_shrink, prepared,
			     err);
}

int
ctl_db_load_prepare(struct ctl_database *db, struct pat_feed *feed,
		    const struct ctl_feed_source *source, bool allow_shrink,
		    struct ctl_db_prepared *prepared, struct error_detail *err)
{
	struct pat_feed *feeds[] = { feed };

	return feeds_prepare(db, feeds, source, 1, allow_shrink, prepared, err);
}

/* The active set with an empty one standing in before the first load. */
static int
db_ensure_active(struct ctl_database *db, struct error_detail *err)
{
	if (db->active != NULL)
		return 0;
	return feeds_publish(db, NULL, NULL, 0, true, err);
}

/* Normalizes a user's indicator into ind (strings in arena). */
static int
indicator_from_spec(struct pat_arena *arena,
		    const struct ctl_indicator_spec *spec,
		    struct pat_indicator *ind, struct error_detail *err)
{
	enum pat_type type;
	struct error_detail why;
	size_t len = strlen(spec->value);
	int rc;

	if (strcmp(spec->type, "auto") == 0 || strcmp(spec->type, "ip") == 0) {
		rc = pat_normalize_untyped(arena, spec->value, len, ind, &why);
	} else if (pat_type_from_name(spec->type, strlen(spec->type),
				      &type) != 0) {
		rc = -EINVAL;
		error_detail_set(&why, "", 0, "unknown indicator type");
	} else {
		rc = pat_normalize(arena, type, spec->value, len, ind, &why);
	}
	if (rc != 0) {
		error_detail_set(err, "", 0, "%s '%s': %s", spec->type,
			      spec->value, why.message);
		return rc;
	}
	ind->feed = spec->feed != NULL ? spec->feed : "cli";
	ind->tags = spec->tags != NULL ? spec->tags : "";
	if (strlen(ind->tags) > FEED_TAGS_MAX) {
		error_detail_set(err, "", 0, "tags: %zu bytes, more than %d",
				 strlen(ind->tags), FEED_TAGS_MAX);
		return -EINVAL;
	}
	if (spec->expires != NULL &&
	    pat_parse_time(spec->expires, strlen(spec->expires), &ind->expires,
			   &why) != 0) {
		error_detail_set(err, "", 0, "expires '%s': %s", spec->expires,
			      why.message);
		return -EINVAL;
	}
	if (spec->severity != NULL &&
	    pat_parse_severity(spec->severity, strlen(spec->severity),
			       &ind->severity, &why) != 0) {
		error_detail_set(err, "", 0, "severity '%s': %s", spec->severity,
			      why.message);
		return -EINVAL;
	}
	return 0;
}

/* A version with a grown delta or many deletions is compacted, so the
 * layers stay small and one base serves: off the reply path, by a job
 * once the change is published (ctl_db_compaction_due); before it is
 * published only while resuming, or when the next add would find no hit
 * counter slot (each indicator added to a base takes one). */
static bool
db_compaction_wanted(const struct ctl_database *db, const struct pat_set *set)
{
	size_t deleted = pat_set_id_limit(set) - pat_set_count(set);

	return pat_set_delta_count(set) > db->compact_threshold ||
	       deleted > db->compact_threshold;
}

static struct pat_set *
db_compact_if_needed(struct ctl_database *db, struct pat_set *next,
		     struct error_detail *err)
{
	if (pat_set_counter_slots_left(next) > 0 &&
	    (!db->replaying || !db_compaction_wanted(db, next)))
		return next;
	struct pat_set *compact = pat_set_compact(next, pat_set_version(next),
						  err);
	if (compact == NULL) {
		LOG(WARNING, "compacting version %lu: %s\n",
		    (unsigned long)pat_set_version(next), err->message);
		return next;
	}
	pat_set_free(next);
	return compact;
}

bool
ctl_db_compaction_due(const struct ctl_database *db)
{
	return db->active != NULL && !db->replaying &&
	       pat_set_version(db->active) != db->compact_failed_version &&
	       db_compaction_wanted(db, db->active);
}

struct pat_set *
ctl_db_compaction_build(const struct ctl_database *db, struct error_detail *err)
{
	return pat_set_compact(db->active, pat_set_version(db->active), err);
}

void
ctl_db_compaction_publish(struct ctl_database *db, struct pat_set *compact,
			  const struct error_detail *err)
{
	uint64_t version = pat_set_version(db->active);

	if (compact == NULL) {
		/* Tried again at the next version, not in a loop. */
		db->compact_failed_version = version;
		LOG(WARNING, "compacting version %lu: %s\n",
		    (unsigned long)version, err->message);
		return;
	}
	/* The same version, in one layer: the delta's set goes. */
	db_retire(db, db_swap(db, compact));
	LOG(INFO, "version %lu compacted: %zu indicators\n",
	    (unsigned long)version, pat_set_count(compact));
}

/* An add's or a delete's record: the request as given (normalized again
 * when replayed, as it was the first time). */
static json_t *
update_record(const struct ctl_indicator_spec *spec, bool add,
	      uint64_t version)
{
	json_t *op = json_pack("{s:s, s:I, s:s, s:s}", "op", add ? "add" : "del",
			       "version", (json_int_t)version, "type",
			       spec->type, "value", spec->value);
	const char *const fields[] = { "feed", "tags", "expires", "severity" };
	const char *const values[] = { spec->feed, spec->tags, spec->expires,
				       spec->severity };

	for (size_t i = 0; op != NULL && i < 4; i++)
		if (values[i] != NULL)
			json_object_set_new(op, fields[i],
					    json_string(values[i]));
	return op;
}

/* An added network of prefix length 0 matches every address: taken (it
 * was asked for), with a warning in err for the reply and the log. */
static void
db_warn_everything(const struct ctl_database *db, bool add,
		   const struct pat_indicator *ind, struct error_detail *err)
{
	if (!add || db->replaying || ind->prefix_len != 0 ||
	    (ind->type != PAT_TYPE_IPV4 && ind->type != PAT_TYPE_IPV6))
		return;
	error_detail_set(err, "", 0, "%s matches every IPv%c address",
			 ind->value, ind->type == PAT_TYPE_IPV4 ? '4' : '6');
	LOG(WARNING, "added %s\n", err->message);
}

/* A delete leaves an override on its indicator, an add lifts it. */
static void
db_override(struct ctl_database *db, bool add, const struct pat_indicator *ind)
{
	char *key = ctl_override_key(ind->type, ind->value);

	if (key == NULL) {
		LOG(ERR, "out of memory recording the override of %s\n",
		    ind->value);
		return;
	}
	if (add)
		json_object_del(db->overrides, key);
	else
		json_object_set_new(db->overrides, key, json_integer(
			db->replaying ? db->replay_time : (json_int_t)time(NULL)));
	free(key);
}

/* add or delete: one indicator, a new version sharing the base. */
static int
db_update(struct ctl_database *db, const struct ctl_indicator_spec *spec,
	  bool add, size_t *removed, struct error_detail *err)
{
	struct pat_arena *arena = pat_arena_new();
	struct pat_indicator ind;
	int rc;

	if (arena == NULL)
		return -ENOMEM;
	rc = indicator_from_spec(arena, spec, &ind, err);
	/* An add that could never match is a mistake; a journaled one
	 * replayed after its expiry is what was acknowledged. */
	if (rc == 0 && add && !db->replaying && ind.expires != 0 &&
	    ind.expires <= (int64_t)time(NULL)) {
		error_detail_set(err, "", 0, "expires '%s' is in the past",
				 spec->expires);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = db_ensure_active(db, err);
	if (rc == 0) {
		size_t before = pat_set_count(db->active);
		struct pat_set *next = add ?
			pat_set_add(db->active, &ind, db->next_version, err) :
			pat_set_delete(db->active, &ind, db->next_version, err);
		uint64_t seq;
		if (next == NULL)
			rc = -errno;
		else
			rc = db_journal(db, update_record(spec, add,
				pat_set_version(next)), NULL, 0, &seq, err);
		if (rc == 0) {
			if (removed != NULL)
				*removed = before - pat_set_count(next);
			db_publish(db, db_compact_if_needed(db, next, err), seq);
			db_override(db, add, &ind);
			db_warn_everything(db, add, &ind, err);
		} else if (next != NULL) {
			pat_set_free(next);
		}
	}
	pat_arena_free(arena);
	return rc;
}

int
ctl_db_add(struct ctl_database *db, const struct ctl_indicator_spec *spec,
	   struct error_detail *err)
{
	return db_update(db, spec, true, NULL, err);
}

int
ctl_db_delete(struct ctl_database *db, const struct ctl_indicator_spec *spec,
	      size_t *removed, struct error_detail *err)
{
	return db_update(db, spec, false, removed, err);
}

int
ctl_db_undelete(struct ctl_database *db, const struct ctl_indicator_spec *spec,
		struct error_detail *err)
{
	struct pat_arena *arena = pat_arena_new();
	struct pat_indicator ind;
	char *key = NULL;
	uint64_t seq;
	int rc;

	if (arena == NULL)
		return -ENOMEM;
	rc = indicator_from_spec(arena, spec, &ind, err);
	if (rc == 0) {
		key = ctl_override_key(ind.type, ind.value);
		rc = key == NULL ? -ENOMEM : 0;
	}
	/* Replayed, the override may be gone already: the snapshot's
	 * overrides are those of when it was started, later than its
	 * version, and a lift applied twice is one lift. */
	if (rc == 0 && json_object_get(db->overrides, key) == NULL &&
	    !db->replaying) {
		error_detail_set(err, "", 0, "no override on %s %s",
				 pat_type_name(ind.type), ind.value);
		rc = -ENOENT;
	}
	if (rc == 0)
		rc = db_journal(db, json_pack("{s:s, s:s, s:s}", "op", "undel",
					      "type", spec->type, "value",
					      spec->value), NULL, 0, &seq, err);
	if (rc == 0) {
		json_object_del(db->overrides, key);
		if (!db->replaying)
			LOG(INFO, "override lifted: %s\n", key);
	}
	free(key);
	pat_arena_free(arena);
	return rc;
}

json_t *
ctl_db_overrides(const struct ctl_database *db, size_t limit)
{
	return ctl_overrides_list(db->overrides, limit);
}

int
ctl_db_rollback(struct ctl_database *db, uint64_t *from,
		struct error_detail *err)
{
	uint64_t seq;

	if (db->n_history == 0 || db->active == NULL) {
		error_detail_set(err, "", 0, "no earlier version to roll back to");
		return -ENOENT;
	}
	struct pat_set *previous = db->history[0];
	*from = pat_set_version(db->active);
	int rc = db_journal(db, json_pack("{s:s, s:I, s:I}", "op", "rollback",
					  "from", (json_int_t)*from, "to",
					  (json_int_t)pat_set_version(previous)),
			    NULL, 0, &seq, err);
	if (rc != 0)
		return rc;
	uint64_t previous_seq = db->history_seq[0];
	memmove(&db->history[0], &db->history[1],
		(db->n_history - 1) * sizeof(db->history[0]));
	memmove(&db->history_seq[0], &db->history_seq[1],
		(db->n_history - 1) * sizeof(db->history_seq[0]));
	db->n_history--;
	db->active_seq = previous_seq;
	db_retire(db, db_swap(db, previous));   /* no redo: the newer goes */
	if (!db->replaying)
		LOG(INFO, "rolled back from version %lu to %lu\n",
		    (unsigned long)*from, (unsigned long)pat_set_version(previous));
	return 0;
}

/* ---- resuming what the state dir holds ---- */

static const char *
op_string(json_t *op, const char *key)
{
	return json_string_value(json_object_get(op, key));
}

static int
replay_load(struct ctl_database *db, json_t *op, const uint8_t *blob,
	    size_t blob_len, struct error_detail *err)
{
	json_t *feeds = json_object_get(op, "feeds");
	size_t n = json_array_size(feeds), at = 0;
	struct ctl_feed_source sources[CTL_JOURNAL_BLOBS_MAX];

	if (!json_is_array(feeds) || n > CTL_JOURNAL_BLOBS_MAX) {
		error_detail_set(err, "", 0, "a load without its feeds");
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(feeds, i);
		json_int_t len = json_integer_value(json_object_get(f, "length"));
		const char *format = op_string(f, "format");
		sources[i] = (struct ctl_feed_source){
			.name = op_string(f, "name"),
			.label = op_string(f, "label"),
			.text = (const char *)blob + at, .len = (size_t)len,
		};
		if (sources[i].name == NULL || sources[i].label == NULL ||
		    format == NULL || len < 0 || (size_t)len > blob_len - at ||
		    pat_feed_format_from_name(format, &sources[i].format) != 0) {
			error_detail_set(err, "", 0, "feed %zu of a load does "
					 "not add up", i);
			return -EBADMSG;
		}
		at += (size_t)len;
	}
	if (at != blob_len) {
		error_detail_set(err, "", 0, "a load's feeds do not add up");
		return -EBADMSG;
	}
	json_t *none = json_array();
	db->replay_overridden = json_object_get(op, "overridden") != NULL ?
		json_object_get(op, "overridden") : none;
	int rc = n == 0 ? feeds_publish(db, NULL, NULL, 0, true, err) :
		 sources_load(db, sources, n, true, err);
	db->replay_overridden = NULL;
	json_decref(none);
	return rc;
}

/* One journal record, applied as it was the first time. */
static int
replay_record(void *arg, uint64_t seq, json_t *op, const uint8_t *blob,
	      size_t blob_len, struct error_detail *err)
{
	struct ctl_database *db = arg;
	const char *name = op_string(op, "op");
	json_int_t version = json_integer_value(json_object_get(op, "version"));
	int rc;

	db->replay_seq = seq;
	db->replay_time = json_integer_value(json_object_get(op, "time"));
	if (version > 0)
		db->next_version = (uint64_t)version;
	if (name == NULL) {
		error_detail_set(err, "", 0, "a record without an operation");
		rc = -EBADMSG;
	} else if (strcmp(name, "load") == 0) {
		rc = replay_load(db, op, blob, blob_len, err);
	} else if (strcmp(name, "add") == 0 || strcmp(name, "del") == 0) {
		struct ctl_indicator_spec spec = {
			.type = op_string(op, "type"),
			.value = op_string(op, "value"),
			.feed = op_string(op, "feed"),
			.tags = op_string(op, "tags"),
			.expires = op_string(op, "expires"),
			.severity = op_string(op, "severity"),
		};
		if (spec.type == NULL || spec.value == NULL) {
			error_detail_set(err, "", 0, "an %s without its "
					 "indicator", name);
			return -EBADMSG;
		}
		rc = db_update(db, &spec, name[0] == 'a', NULL, err);
	} else if (strcmp(name, "undel") == 0) {
		struct ctl_indicator_spec spec = {
			.type = op_string(op, "type"),
			.value = op_string(op, "value"),
		};
		if (spec.type == NULL || spec.value == NULL) {
			error_detail_set(err, "", 0, "an undel without its "
					 "indicator");
			return -EBADMSG;
		}
		rc = ctl_db_undelete(db, &spec, err);
	} else if (strcmp(name, "rollback") == 0) {
		json_int_t to = json_integer_value(json_object_get(op, "to"));
		uint64_t from;
		if (db->n_history == 0 ||
		    pat_set_version(db->history[0]) != (uint64_t)to) {
			error_detail_set(err, "", 0, "a rollback to version "
					 "%lld, which is not the previous one",
					 (long long)to);
			return -EBADMSG;
		}
		rc = ctl_db_rollback(db, &from, err);
	} else {
		error_detail_set(err, "", 0, "unknown operation '%s'", name);
		rc = -EBADMSG;
	}
	if (rc == 0 && version > 0 && db->active != NULL &&
	    pat_set_version(db->active) != (uint64_t)version) {
		error_detail_set(err, "", 0, "made version %lu, not %lld",
				 (unsigned long)pat_set_version(db->active),
				 (long long)version);
		rc = -EBADMSG;
	}
	return rc;
}

int
ctl_db_resume(struct ctl_database *db, struct error_detail *err)
{
	const char *path = ctl_state_snapshot_path(&db->store);
	char text[ERROR_DETAIL_TEXT_MAX];
	int rc;

	if (path[0] != '\0') {
		struct pat_set *set = pat_set_load(path, db->n_workers + 1, err);
		if (set == NULL) {
			rc = errno != 0 ? -errno : -EINVAL;
			ctl_state_set_aside(&db->store);
			return rc;
		}
		db_swap(db, set);      /* the first version: nothing to retire */
		db->next_version = pat_set_version(set) + 1;
		db->active_seq = db->store.snapshot_seq;
		struct error_detail why = { 0 };
		json_t *overrides = ctl_state_overrides(&db->store, &why);
		if (overrides != NULL) {
			json_decref(db->overrides);
			db->overrides = overrides;
		} else {
			LOG(ERR, "%s: the overrides before the snapshot are "
			    "lost (set aside as *.unusable)\n",
			    error_detail_format(&why, text, sizeof(text)));
		}
	}
	db->replaying = true;
	struct error_detail why = { 0 };
	rc = ctl_state_replay(&db->store, replay_record, db, &why);
	db->replaying = false;
	if (db->store.journal.notice != NULL)
		LOG(WARNING, "journal: %s (byte %lu of the last segment)\n",
		    db->store.journal.notice,
		    (unsigned long)db->store.journal.notice_offset);
	if (rc != 0)
		LOG(ERR, "journal: %s; serving version %lu, the last one "
		    "rebuilt\n", error_detail_format(&why, text, sizeof(text)),
		    (unsigned long)(db->active ? pat_set_version(db->active) : 0));
	if (db->active == NULL)
		return -ENOENT;
	db_snapshot_maybe(db);
	return 0;
}

json_t *
ctl_db_state_json(const struct ctl_database *db)
{
	/* Reading is logically const: the lock only orders the reader. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&db->lock;
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
		"journal_records",
		(json_int_t)ctl_journal_records(&db->store.journal),
		"journal_bytes", (json_int_t)ctl_journal_bytes(&db->store.journal),
		"snapshot_seq", (json_int_t)__atomic_load_n(
			&db->store.snapshot_seq, __ATOMIC_RELAXED),
		"snapshots", (json_int_t)__atomic_load_n(&db->store.snapshots,
							 __ATOMIC_RELAXED),
		"snapshot_errors", (json_int_t)__atomic_load_n(
			&db->store.snapshot_errors, __ATOMIC_RELAXED),
		"persist_errors", (json_int_t)__atomic_load_n(
			&db->persist_errors, __ATOMIC_RELAXED));

	pthread_mutex_lock(lock);
	if (o != NULL && db->persist_error[0] != '\0') {
		json_object_set_new(o, "persist_error",
				    json_string(db->persist_error));
		json_object_set_new(o, "persist_error_time",
				    json_integer((json_int_t)db->persist_error_time));
	}
	pthread_mutex_unlock(lock);
	return o;
}

struct ranked {
	uint32_t id;
	uint64_t hits;
};

static int
hits_descending(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 :
		(x->id > y->id) - (x->id < y->id);
}

json_t *
ctl_db_top_indicators(const struct ctl_database *db, size_t top)
{
	/* Reading is logically const: the lock only orders the reader. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&db->lock;
	json_t *list = json_array();
	struct ranked *ranked = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(lock);
	const struct pat_set *set = top > 0 ? db->active : NULL;
	for (uint32_t id = 0; list != NULL && set != NULL &&
	     id < pat_set_id_limit(set); id++) {
		uint64_t hits = pat_set_hit_count(set, id);
		if (hits == 0 || pat_set_live_indicator(set, id) == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct ranked *grown = realloc(ranked, cap * sizeof(*grown));
			if (grown == NULL)
				break;
			ranked = grown;
		}
		ranked[n++] = (struct ranked){ .id = id, .hits = hits };
	}
	if (n > 0)
		qsort(ranked, n, sizeof(*ranked), hits_descending);
	for (size_t i = 0; list != NULL && i < n && i < top; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(set, ranked[i].id);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}",
			"type", pat_type_name(ind->type), "value", ind->value,
			"feed", ind->feed, "hits", (json_int_t)ranked[i].hits));
	}
	pthread_mutex_unlock(lock);
	free(ranked);
	return list;
}

json_t *
ctl_db_feeds(const struct ctl_database *db)
{
	json_t *counts = json_object();
	json_t *feeds = json_array();
	const char *name;
	json_t *count;

	if (counts == NULL || feeds == NULL)
		goto fail;
	for (uint32_t id = 0; db->active != NULL &&
	     id < pat_set_id_limit(db->active); id++) {
		const struct pat_indicator *ind =
			pat_set_live_indicator(db->active, id);
		if (ind == NULL)
			continue;
		json_t *c = json_object_get(counts, ind->feed);
		if (c != NULL)
			json_integer_set(c, json_integer_value(c) + 1);
		else if (json_object_set_new(counts, ind->feed,
					     json_integer(1)) != 0)
			goto fail;
	}
	json_object_foreach(counts, name, count)
		json_array_append_new(feeds, json_pack("{s:s, s:O}", "name",
					name, "indicators", count));
	json_decref(counts);
	return feeds;
fail:
	json_decref(counts);
	json_decref(feeds);
	return NULL;
}

static void
time_format(int64_t seconds, char *buf, size_t size)
{
	time_t t = (time_t)seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *const severity_names[] = {
	[PAT_SEVERITY_LOW] = "low",
	[PAT_SEVERITY_MEDIUM] = "medium",
	[PAT_SEVERITY_HIGH] = "high",
	[PAT_SEVERITY_CRITICAL] = "critical",
};

static json_t *
indicator_json(const struct pat_indicator *ind)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type",
			      pat_type_name(ind->type), "value", ind->value,
			      "feed", ind->feed, "tags", ind->tags);
	char when[32];

	if (o == NULL)
		return NULL;
	if (ind->severity > PAT_SEVERITY_UNSET &&
	    ind->severity <= PAT_SEVERITY_CRITICAL)
		json_object_set_new(o, "severity",
				    json_string(severity_names[ind->severity]));
	if (ind->expires != 0) {
		time_format(ind->expires, when, sizeof(when));
		json_object_set_new(o, "expires", json_string(when));
	}
	return o;
}

/* The set of version (0: the active one) when the database still holds
 * it: active or in the rollback history. */
static const struct pat_set *
db_set_of_version(const struct ctl_database *db, uint64_t version)
{
	if (db->active == NULL)
		return NULL;
	if (version == 0 || pat_set_version(db->active) == version)
		return db->active;
	for (unsigned int i = 0; i < db->n_history; i++)
		if (pat_set_version(db->history[i]) == version)
			return db->history[i];
	return NULL;
}

static bool
list_wanted(const struct pat_indicator *ind, const char *type,
	    enum pat_type want, const char *feed)
{
	return ind != NULL && (type == NULL || ind->type == want) &&
	       (feed == NULL || strcmp(ind->feed, feed) == 0);
}

json_t *
ctl_db_list(const struct ctl_database *db, const struct ctl_list_page *page,
	    struct error_detail *err)
{
	enum pat_type want = PAT_TYPE_COUNT;
	const char *type = page->type, *feed = page->feed;
	size_t rows = page->limit < CTL_LIST_PAGE_ROWS ? page->limit :
		      CTL_LIST_PAGE_ROWS;

	if (type != NULL && pat_type_from_name(type, strlen(type), &want) != 0) {
		error_detail_set(err, "", 0, "unknown indicator type '%s'", type);
		errno = EINVAL;
		return NULL;
	}
	if (db->active == NULL && page->version == 0)
		return json_pack("{s:I, s:I, s:b, s:[]}", "db_version",
				 (json_int_t)0, "total", (json_int_t)0,
				 "truncated", false, "indicators");
	const struct pat_set *set = db_set_of_version(db, page->version);
	if (set == NULL) {
		error_detail_set(err, "", 0, "version %lu is no longer held "
				 "(the rollback history keeps %u); list again",
				 (unsigned long)page->version, db->rollback_depth);
		errno = ESTALE;
		return NULL;
	}
	/* A compaction renumbers a version's ids: a cursor into the
	 * layout before it would skip rows. */
	if (page->layout != 0 && pat_set_serial(set) != page->layout) {
		error_detail_set(err, "", 0, "version %lu was compacted since "
				 "the first page; list again",
				 (unsigned long)page->version);
		errno = ESTALE;
		return NULL;
	}
	json_t *list = json_array();
	uint32_t limit = pat_set_id_limit(set), id = page->from;
	for (; list != NULL && id < limit && json_array_size(list) < rows;
	     id++) {
		const struct pat_indicator *ind = pat_set_live_indicator(set, id);
		if (list_wanted(ind, type, want, feed))
			json_array_append_new(list, indicator_json(ind));
	}
	/* Is there another row after this page? */
	while (id < limit &&
	       !list_wanted(pat_set_live_indicator(set, id), type, want, feed))
		id++;
	if (list == NULL)
		return NULL;
	json_t *result = json_pack("{s:I, s:I, s:b, s:o}", "db_version",
				   (json_int_t)pat_set_version(set), "layout",
				   (json_int_t)pat_set_serial(set),
				   "truncated", id < limit, "indicators", list);
	if (result != NULL && id < limit)
		json_object_set_new(result, "next", json_integer(id));
	/* The first page counts them all: one pass, no JSON. */
	if (result != NULL && page->from == 0) {
		size_t total = 0;
		for (uint32_t i = 0; i < limit; i++)
			total += list_wanted(pat_set_live_indicator(set, i),
					     type, want, feed);
		json_object_set_new(result, "total",
				    json_integer((json_int_t)total));
	}
	return result;
}

/* Where a hit shows in the text: the value's first occurrence in any
 * case, when it appears as written (not for addresses or regexes). */
static const char *
text_find(const char *text, size_t len, const char *value, size_t *found)
{
	size_t n = strlen(value);

	for (size_t i = 0; n > 0 && i + n <= len; i++) {
		size_t k = 0;
		while (k < n && tolower((unsigned char)text[i + k]) ==
		       tolower((unsigned char)value[k]))
			k++;
		if (k == n) {
			*found = n;
			return text + i;
		}
	}
	return NULL;
}

/* The address token of the text that an IP or CIDR indicator hit, as
 * written: its text rarely equals the indicator's (a CIDR, an IPv6
 * address in another form). */
static const char *
address_find(const struct ctl_database *db, const char *text, size_t len,
	     int64_t now, uint32_t id, size_t *found)
{
	size_t off;

	if (pat_locate_address(db->active, pat_set_scratch(db->active,
							   db->n_workers),
			       (const uint8_t *)text, len, now, id, &off,
			       found) != 0)
		return NULL;
	return text + off;
}

static const char *const match_reasons[PAT_TYPE_COUNT] = {
	[PAT_TYPE_DOMAIN] = "the domain or a subdomain of it, as a token",
	[PAT_TYPE_IPV4] = "the address, or one in the CIDR, as a token",
	[PAT_TYPE_IPV6] = "the address, or one in the CIDR, in any textual form",
	[PAT_TYPE_MD5] = "the digest as a whole hex token, any case",
	[PAT_TYPE_SHA1] = "the digest as a whole hex token, any case",
	[PAT_TYPE_SHA256] = "the digest as a whole hex token, any case",
	[PAT_TYPE_FILENAME] = ("the file name, any case, after a path "
			       "separator, space, quote or '='"),
	[PAT_TYPE_URL] = "the URL or a longer path under it, any scheme",
	[PAT_TYPE_REGEX] = "the regular expression, over the whole message",
};

json_t *
ctl_db_test(const struct ctl_database *db, const char *text, size_t len)
{
	struct pat_hits hits;
	json_t *list = json_array();

	if (list == NULL)
		return NULL;
	pat_hits_reset(&hits, (int64_t)time(NULL));
	if (db->active != NULL)
		pat_match_text(db->active, pat_set_scratch(db->active,
							   db->n_workers),
			       (const uint8_t *)text, len, &hits);
	for (uint16_t i = 0; i < hits.count; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(db->active, hits.ids[i]);
		json_t *o = indicator_json(ind);
		size_t found_len = 0;
		const char *found = NULL;
		if (ind->type == PAT_TYPE_IPV4 || ind->type == PAT_TYPE_IPV6)
			found = address_find(db, text, len, hits.now,
					     hits.ids[i], &found_len);
		else if (ind->type != PAT_TYPE_REGEX)
			found = text_find(text, len, ind->value, &found_len);
		if (found != NULL)
			json_object_set_new(o, "matched",
					    json_stringn(found, found_len));
		json_object_set_new(o, "reason",
				    json_string(match_reasons[ind->type]));
		json_array_append_new(list, o);
	}
	return json_pack("{s:I, s:o}", "db_version",
			 (json_int_t)(db->active ? pat_set_version(db->active) : 0),
			 "hits", list);
}
