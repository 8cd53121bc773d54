/* reload.c -- SIGHUP: the config read again with the parser of the
 * start, what can change while running applied, and the feed files whose
 * content changed reloaded in one version, built on the control server's
 * job thread (docs/configuration.md, "SIGHUP"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_log.h>

#include "hunts.h"
#include "reload.h"

RTE_LOG_REGISTER(reload_logtype, iocsift.reload, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, reload_logtype, "reload: " __VA_ARGS__)

#define HASH_SEED_LOW 0x9e3779b9u
#define HASH_SEED_HIGH 0x7f4a7c15u

enum feed_outcome {
	FEED_UNCHANGED,     /* the same bytes and format as last loaded */
	FEED_FAILED,        /* unreadable, does not parse, would shrink */
	FEED_LOAD,          /* changed or new: part of the version */
	FEED_DROP,          /* its line is gone: loaded empty */
	FEED_GONE,          /* its line is gone, nothing to drop */
};

/* One feed of the job: a line of the new list, or one removed. */
struct job_feed {
	char *path;
	char *name;
	enum pat_feed_format format;
	bool removed;
	char *text;
	size_t len;
	uint64_t hash;
	struct pat_feed feed;
	enum feed_outcome outcome;
};

struct reload_job {
	struct reload *rl;
	struct job_feed feeds[2 * RELOAD_FEEDS_MAX];
	unsigned int n_feeds;
	struct ctl_db_prepared prepared;
	bool made;                     /* prepared holds the new version */
	/* The retro-hunt of the new indicators (control/hunts.h). */
	struct pat_set *hunt_set;
	char hunt_refused[CTL_HUNT_REFUSED_MAX];
};

uint64_t
reload_hash(const void *data, size_t len)
{
	const char *bytes = data;
	uint32_t high = HASH_SEED_HIGH, low = HASH_SEED_LOW;

	/* rte_hash_crc takes a 32-bit length: a longer text goes in
	 * pieces, each piece's CRCs the seeds of the next. */
	do {
		uint32_t n = len < UINT32_MAX ? (uint32_t)len : UINT32_MAX;
		high = rte_hash_crc(bytes, n, high);
		low = rte_hash_crc(bytes, n, low);
		bytes += n;
		len -= n;
	} while (len > 0);
	return (uint64_t)high << 32 | low;
}

void
reload_init(struct reload *rl, const struct reload_options *opt)
{
	memset(rl, 0, sizeof(*rl));
	rl->opt = *opt;
}

static void
print_free(struct reload_print *p)
{
	free(p->path);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

void
reload_release(struct reload *rl)
{
	for (unsigned int i = 0; i < rl->n_prints; i++)
		print_free(&rl->prints[i]);
	rl->n_prints = 0;
}

static struct reload_print *
print_find(struct reload *rl, const char *path)
{
	for (unsigned int i = 0; i < rl->n_prints; i++)
		if (strcmp(rl->prints[i].path, path) == 0)
			return &rl->prints[i];
	return NULL;
}

static void
print_remove(struct reload *rl, const char *path)
{
	struct reload_print *p = print_find(rl, path);

	if (p == NULL)
		return;
	print_free(p);
	*p = rl->prints[--rl->n_prints];
	memset(&rl->prints[rl->n_prints], 0, sizeof(*p));
}

/* The print of path, made when there is none (not known). NULL with
 * errno. */
static struct reload_print *
print_get(struct reload *rl, const char *path, enum pat_feed_format format)
{
	struct reload_print *p = print_find(rl, path);

	if (p != NULL)
		return p;
	if (rl->n_prints == RELOAD_FEEDS_MAX) {
		errno = E2BIG;
		return NULL;
	}
	p = &rl->prints[rl->n_prints];
	p->path = strdup(path);
	p->name = pat_feed_name_from_path(path);
	if (p->path == NULL || p->name == NULL) {
		print_free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->format = format;
	rl->n_prints++;
	return p;
}

int
reload_track(struct reload *rl, const char *path, enum pat_feed_format format)
{
	return print_get(rl, path, format) != NULL ? 0 : -errno;
}

static void
print_loaded(struct reload *rl, const char *path, enum pat_feed_format format,
	     size_t len, uint64_t hash)
{
	struct reload_print *p = print_get(rl, path, format);

	if (p == NULL) {
		LOG(ERR, "%s: not tracked (%s): the next SIGHUP reloads it\n",
		    path, strerror(errno));
		return;
	}
	p->format = format;
	p->known = true;
	p->size = len;
	p->hash = hash;
}

/* What ctl_db_load_files loaded: its fingerprint, or the file tracked
 * as not loaded. */
static void
file_loaded(const char *path, enum pat_feed_format format,
	    const struct ctl_feed_source *source, void *arg)
{
	struct reload *rl = arg;

	if (source != NULL)
		print_loaded(rl, path, format, source->len,
			     reload_hash(source->text, source->len));
	else if (reload_track(rl, path, format) != 0)
		LOG(ERR, "%s: not tracked: a removed line will not drop its "
		    "feed\n", path);
}

int
reload_load_files(struct reload *rl, const char *const *paths,
		  const enum pat_feed_format *formats, size_t n,
		  bool allow_shrink, struct error_detail *err)
{
	return ctl_db_load_files(rl->opt.ctx->db, paths, formats, n,
				 allow_shrink, file_loaded, rl, err);
}

/* ---- the config ---- */

/* Applies what can change while running; logs the rest. */
static void
config_apply(struct reload *rl, const struct iocsift_config *next)
{
	struct iocsift_config *running = rl->opt.running;
	struct ctl_database *db = rl->opt.ctx->db;
	const char *keys[CFG_CHANGED_KEYS_MAX];
	size_t n = cfg_changed_keys(running, next, keys, CFG_CHANGED_KEYS_MAX);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "feed") == 0)
			continue;         /* the job's */
		if (strcmp(keys[i], "shrink_percent") == 0) {
			LOG(INFO, "shrink_percent: %u, was %u\n",
			    next->shrink_percent, running->shrink_percent);
			running->shrink_percent = next->shrink_percent;
			db->shrink_percent = next->shrink_percent;
		} else if (strcmp(keys[i], "compact_threshold") == 0) {
			LOG(INFO, "compact_threshold: %u, was %u\n",
			    next->compact_threshold,
			    running->compact_threshold);
			running->compact_threshold = next->compact_threshold;
			db->compact_threshold = next->compact_threshold;
		} else {
			LOG(WARNING, "%s changed: takes effect at the next "
			    "start\n", keys[i]);
		}
	}
	memcpy(running->feeds, next->feeds,
	       next->n_feeds * sizeof(next->feeds[0]));
	running->n_feeds = next->n_feeds;
}

/* 0, or -errno with the error logged: nothing changed. */
static int
config_reread(struct reload *rl)
{
	struct iocsift_config *next = malloc(sizeof(*next));
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];
	int rc;

	if (next == NULL) {
		LOG(ERR, "%s: out of memory; nothing changed\n",
		    rl->opt.config_path);
		return -ENOMEM;
	}
	cfg_defaults(next);
	rc = rl->opt.config_read(rl->opt.arg, next, &err);
	if (rc == 0)
		config_apply(rl, next);
	else
		LOG(ERR, "%s; nothing changed\n",
		    error_detail_format(&err, text, sizeof(text)));
	cfg_release(next);
	free(next);
	return rc;
}

/* ---- the job ---- */

static bool
job_has_path(const struct reload_job *job, const char *path)
{
	for (unsigned int i = 0; i < job->n_feeds; i++)
		if (strcmp(job->feeds[i].path, path) == 0)
			return true;
	return false;
}

/* A line of the new list (or a removed one); 0 or -ENOMEM. */
static int
job_add(struct reload_job *job, const char *path, enum pat_feed_format format,
	const char *name, bool removed)
{
	struct job_feed *f = &job->feeds[job->n_feeds];

	f->path = strdup(path);
	f->name = name != NULL ? strdup(name) : pat_feed_name_from_path(path);
	f->format = format;
	f->removed = removed;
	f->outcome = FEED_FAILED;
	pat_feed_init(&f->feed);
	job->n_feeds++;
	return f->path != NULL && f->name != NULL ? 0 : -ENOMEM;
}

static void
job_free(struct reload_job *job)
{
	for (unsigned int i = 0; i < job->n_feeds; i++) {
		struct job_feed *f = &job->feeds[i];
		free(f->path);
		free(f->name);
		free(f->text);
		pat_feed_free(&f->feed);
	}
	pat_set_free(job->hunt_set);
	free(job);
}

static void
log_error(const struct error_detail *err, const char *then)
{
	char text[ERROR_DETAIL_TEXT_MAX];

	LOG(ERR, "%s; %s\n", error_detail_format(err, text, sizeof(text)),
	    then);
}

/* A line of the new list: is it to load? */
static void
feed_examine(struct reload_job *job, struct job_feed *f)
{
	const struct reload_print *p = print_find(job->rl, f->path);
	struct error_detail err = { 0 };
	int rc = file_read_all(f->path, SIZE_MAX / 2, &f->text, &f->len);

	if (rc != 0) {
		LOG(ERR, "%s: %s; feed '%s' left as it was\n", f->path,
		    strerror(-rc), f->name);
		return;
	}
	f->hash = reload_hash(f->text != NULL ? f->text : "", f->len);
	if (p != NULL && p->known && p->format == f->format &&
	    p->size == f->len && p->hash == f->hash) {
		LOG(INFO, "feed '%s' unchanged (%s)\n", f->name, f->path);
		f->outcome = FEED_UNCHANGED;
		return;
	}
	if (pat_feed_parse(&f->feed, f->name, f->path,
			   f->text != NULL ? f->text : "", f->len, f->format,
			   &err) != 0) {
		log_error(&err, "the feed is left as it was");
		return;
	}
	struct ctl_feed_source source = {
		.name = f->name, .label = f->path,
		.text = f->text != NULL ? f->text : "", .len = f->len,
		.format = f->format,
	};
	if (ctl_db_shrink_check(job->rl->opt.ctx->db, &f->feed, &source,
				&err) != 0) {
		log_error(&err, "the feed is left as it was");
		return;
	}
	f->outcome = FEED_LOAD;
}

/* A line gone: its feed is loaded empty, unless another line still
 * names a feed of that name, or it has no indicator. */
static void
feed_examine_removed(struct reload_job *job, struct job_feed *f)
{
	struct error_detail err = { 0 };

	for (unsigned int i = 0; i < job->n_feeds; i++) {
		const struct job_feed *o = &job->feeds[i];
		if (!o->removed && strcmp(o->name, f->name) == 0) {
			LOG(INFO, "%s left the config; feed '%s' stays, "
			    "as %s\n", f->path, f->name, o->path);
			f->outcome = FEED_GONE;
			return;
		}
	}
	if (ctl_db_feed_indicators(job->rl->opt.ctx->db, f->name) == 0) {
		LOG(INFO, "%s left the config; feed '%s' has no indicator "
		    "to drop\n", f->path, f->name);
		f->outcome = FEED_GONE;
		return;
	}
	if (pat_feed_parse(&f->feed, f->name, f->path, "", 0, PAT_FEED_AUTO,
			   &err) != 0) {
		log_error(&err, "its feed is left as it was");
		return;
	}
	f->outcome = FEED_DROP;
}

/* On the job's thread: nothing the workers or readers see changes. */
static void
job_run(void *arg)
{
	struct reload_job *job = arg;
	struct pat_feed *feeds[2 * RELOAD_FEEDS_MAX];
	struct ctl_feed_source sources[2 * RELOAD_FEEDS_MAX];
	struct error_detail err = { 0 };
	size_t n = 0;

	for (unsigned int i = 0; i < job->n_feeds; i++) {
		struct job_feed *f = &job->feeds[i];
		if (f->removed)
			feed_examine_removed(job, f);
		else
			feed_examine(job, f);
		if (f->outcome != FEED_LOAD && f->outcome != FEED_DROP)
			continue;
		feeds[n] = &f->feed;
		sources[n++] = (struct ctl_feed_source){
			.name = f->name, .label = f->path,
			.text = f->text != NULL ? f->text : "", .len = f->len,
			.format = f->removed ? PAT_FEED_AUTO : f->format,
		};
	}
	if (n == 0)
		return;
	/* Each feed passed the shrink guard above; a drop is meant. */
	if (ctl_db_load_prepare_many(job->rl->opt.ctx->db, feeds, sources, n,
				     true, &job->prepared, &err) != 0) {
		log_error(&err, "nothing reloaded");
		return;
	}
	job->made = true;
	/* The feeds loaded, not those dropped: their new indicators. */
	const struct pat_feed *loaded[2 * RELOAD_FEEDS_MAX];
	size_t n_loaded = 0;
	for (unsigned int i = 0; i < job->n_feeds; i++)
		if (job->feeds[i].outcome == FEED_LOAD && !job->feeds[i].removed)
			loaded[n_loaded++] = &job->feeds[i].feed;
	ctl_hunt_load_prepare(job->rl->opt.ctx, loaded, n_loaded,
			      pat_set_version(job->prepared.next),
			      &job->hunt_set, job->hunt_refused,
			      sizeof(job->hunt_refused));
}

/* On the control thread: publishes, and remembers what was loaded. */
static void
job_finish(void *arg)
{
	struct reload_job *job = arg;
	struct reload *rl = job->rl;
	unsigned int loaded = 0, dropped = 0, unchanged = 0, failed = 0;

	if (job->made && job->prepared.overridden > 0)
		LOG(INFO, "overridden: %zu left out, deleted earlier "
		    "(iocsiftctl list --overrides)\n", job->prepared.overridden);
	if (job->made) {
		ctl_db_load_commit(rl->opt.ctx->db, &job->prepared);
		ctl_hunt_after_load(rl->opt.ctx, job->hunt_set, "(SIGHUP)",
				    job->hunt_refused, NULL);
		job->hunt_set = NULL;
	}
	for (unsigned int i = 0; i < job->n_feeds; i++) {
		struct job_feed *f = &job->feeds[i];
		bool made = job->made || (f->outcome != FEED_LOAD &&
					  f->outcome != FEED_DROP);

		if (!made || f->outcome == FEED_FAILED) {
			failed++;
			if (!f->removed && reload_track(rl, f->path,
							f->format) != 0)
				LOG(ERR, "%s: not tracked\n", f->path);
			continue;
		}
		switch (f->outcome) {
		case FEED_UNCHANGED:
			unchanged++;
			break;
		case FEED_LOAD:
			LOG(INFO, "feed '%s' reloaded from %s: %zu "
			    "indicators\n", f->name, f->path, f->feed.count);
			print_loaded(rl, f->path, f->format, f->len, f->hash);
			loaded++;
			break;
		case FEED_DROP:
			LOG(INFO, "feed '%s' dropped: %s left the config\n",
			    f->name, f->path);
			dropped++;
			print_remove(rl, f->path);
			break;
		case FEED_GONE:
			print_remove(rl, f->path);
			break;
		case FEED_FAILED:
			break;
		}
	}
	LOG(INFO, "done: %u feeds reloaded, %u dropped, %u unchanged, %u "
	    "failed; version %lu\n", loaded, dropped, unchanged, failed,
	    (unsigned long)rl->opt.ctx->db->version);
	job_free(job);
}

struct ctl_job *
reload_begin(struct reload *rl)
{
	const struct iocsift_config *running = rl->opt.running;
	struct reload_job *job;
	struct ctl_job *ctl_job;

	if (rl->opt.config_path != NULL && config_reread(rl) != 0)
		return NULL;
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		LOG(ERR, "out of memory: no feed reloaded\n");
		return NULL;
	}
	job->rl = rl;
	int rc = 0;
	for (unsigned int i = 0; rc == 0 && i < running->n_feeds; i++) {
		enum pat_feed_format format;
		if (job_has_path(job, running->feeds[i].path))
			continue;
		if (pat_feed_format_from_name(running->feeds[i].format,
					      &format) != 0)
			format = PAT_FEED_AUTO;
		rc = job_add(job, running->feeds[i].path, format, NULL, false);
	}
	for (unsigned int i = 0; rc == 0 && i < rl->opt.n_cli_feeds; i++)
		if (!job_has_path(job, rl->opt.cli_feeds[i]))
			rc = job_add(job, rl->opt.cli_feeds[i],
				     rl->opt.cli_format, NULL, false);
	for (unsigned int i = 0; rc == 0 && i < rl->n_prints; i++)
		if (!job_has_path(job, rl->prints[i].path))
			rc = job_add(job, rl->prints[i].path,
				     rl->prints[i].format, rl->prints[i].name,
				     true);
	ctl_job = rc == 0 ? ctl_job_make(rl->opt.ctx, "reload", job_run,
					 job_finish, job) : NULL;
	if (ctl_job == NULL) {
		LOG(ERR, "out of memory: no feed reloaded\n");
		job_free(job);
	}
	return ctl_job;
}
