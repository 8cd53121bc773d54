/* block_export.c -- the block-list writer thread (block_export.h). It
 * reads a set without RCU: the database does not free the set this
 * thread holds (ctl_block_export_busy), as it does not free the one the
 * snapshot thread saves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_log.h>

#include "block_export.h"

RTE_LOG_REGISTER(ctl_logtype_block_export, iocsift.exports, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, ctl_logtype_block_export, "exports: " __VA_ARGS__)

/* What one write did, copied into x under its lock. */
struct write_result {
	uint32_t formats;
	struct ctl_block_file_counts counts[CTL_BLOCK_FILES];
	size_t allowed[CFG_EXPORT_FORMATS];
	int64_t next_expiry;
	char error[ERROR_DETAIL_TEXT_MAX];
	unsigned int errors;
};

static void
result_error(struct write_result *r, const struct error_detail *err)
{
	error_detail_format(err, r->error, sizeof(r->error));
	r->errors++;
	LOG(ERR, "%s (the previous file stays)\n", r->error);
}

/* Every format of formats from set, into x->dir (read-only here). */
static void
write_all(const struct ctl_block_export *x, const struct pat_set *set,
	  uint32_t formats, struct write_result *r)
{
	struct ctl_block_selection sel = { 0 };
	struct ctl_block_order order = { 0 };
	struct ctl_allow_list allow = { 0 };
	struct error_detail err = { 0 };
	int64_t now = (int64_t)time(NULL);
	uint64_t version = pat_set_version(set);

	r->formats = formats;
	if (x->allow[0] != '\0' && ctl_allow_load(&allow, x->allow, &err) != 0) {
		/* Without it the lists could block the organisation's own
		 * names: nothing is written. */
		char text[ERROR_DETAIL_TEXT_MAX];

		error_detail_set(&err, "", 0, "allow-list %s: nothing exported",
				 error_detail_format(&err, text, sizeof(text)));
		result_error(r, &err);
		r->formats = 0;
		return;
	}
	/* One sort of the domains for every format (NULL without memory:
	 * each sorts its own). */
	bool ordered = ctl_block_order_build(set, &order) == 0;
	for (unsigned int f = 0; f < CFG_EXPORT_FORMATS; f++) {
		if (!(formats & (1u << f)))
			continue;
		if (ctl_block_select(set, ordered ? &order : NULL,
				     (enum cfg_export_format)f,
				     &x->filters[f], x->allow[0] != '\0' ?
				     &allow : NULL, now, &sel) != 0) {
			error_detail_set(&err, cfg_export_format_names[f], 0,
					 "out of memory");
			result_error(r, &err);
			r->formats &= ~(1u << f);
			continue;
		}
		r->allowed[f] = sel.allowed;
		for (size_t i = 0; i < sel.n; i++) {
			int64_t e = sel.items[i]->expires;

			if (e > now && (r->next_expiry == 0 || e < r->next_expiry))
				r->next_expiry = e;
		}
		if (ctl_block_write_format(x->dir, (enum cfg_export_format)f,
					   &sel, version, r->counts,
					   &err) != 0) {
			result_error(r, &err);
			r->formats &= ~(1u << f);
		}
	}
	ctl_block_selection_free(&sel);
	ctl_block_order_free(&order);
	ctl_allow_free(&allow);
}

static void
result_keep(struct ctl_block_export *x, const struct pat_set *set,
	    const struct write_result *r, uint64_t took_ns)
{
	for (unsigned int i = 0; i < CTL_BLOCK_FILES; i++) {
		enum cfg_export_format f = ctl_block_file_format(i);

		if (r->formats & (1u << f))
			x->counts[i] = r->counts[i];
	}
	for (unsigned int f = 0; f < CFG_EXPORT_FORMATS; f++) {
		if (r->formats & (1u << f)) {
			x->allowed[f] = r->allowed[f];
			x->format_version[f] = pat_set_version(set);
		}
	}
	if (r->formats != 0) {
		x->written_version = pat_set_version(set);
		x->written_serial = pat_set_serial(set);
		x->written_at = time(NULL);
		x->write_ns = took_ns;
		x->writes++;
	}
	x->next_expiry = r->next_expiry;
	if (r->errors > 0) {
		x->errors += r->errors;
		memcpy(x->error, r->error, sizeof(x->error));
		x->error_time = time(NULL);
	}
}

static void *
export_thread(void *arg)
{
	struct ctl_block_export *x = arg;

	/* Below the control thread, which answers requests meanwhile. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
			CTL_BLOCK_EXPORT_NICE) != 0)
		LOG(DEBUG, "nice %d: %s\n", CTL_BLOCK_EXPORT_NICE,
		    strerror(errno));
	pthread_mutex_lock(&x->lock);
	for (;;) {
		while (!x->stop && x->pending == NULL)
			pthread_cond_wait(&x->wake, &x->lock);
		if (x->stop)
			break;
		const struct pat_set *set = x->pending;
		uint32_t formats = x->pending_formats;
		uint64_t tickets = x->pending_requests;

		x->pending = NULL;
		x->pending_formats = 0;
		x->writing = set;
		pthread_mutex_unlock(&x->lock);

		struct write_result *r = calloc(1, sizeof(*r));
		uint64_t start = monotonic_ns();

		if (r != NULL)
			write_all(x, set, formats, r);
		uint64_t took = monotonic_ns() - start;

		pthread_mutex_lock(&x->lock);
		if (r != NULL) {
			result_keep(x, set, r, took);
		} else {
			x->errors++;
			snprintf(x->error, sizeof(x->error), "out of memory");
			x->error_time = time(NULL);
		}
		free(r);
		x->writing = NULL;
		x->requests_done = tickets;
		pthread_cond_broadcast(&x->done);
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

int
ctl_block_export_start(struct ctl_block_export *x,
		       const struct iocsift_config *cfg)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	pthread_cond_init(&x->done, NULL);
	snprintf(x->dir, sizeof(x->dir), "%s", cfg->export_dir);
	snprintf(x->allow, sizeof(x->allow), "%s", cfg->export_allow);
	x->formats = cfg->export_formats;
	memcpy(x->filters, cfg->export_filters, sizeof(x->filters));
	if (x->dir[0] == '\0')
		return 0;
	int rc = pthread_create(&x->thread, NULL, export_thread, x);
	if (rc != 0) {
		LOG(ERR, "no thread for the block lists: %s\n", strerror(rc));
		return -rc;
	}
	x->started = true;
	LOG(INFO, "block lists in %s\n", x->dir);
	return 0;
}

void
ctl_block_export_stop(struct ctl_block_export *x)
{
	if (!x->started)
		return;
	pthread_mutex_lock(&x->lock);
	x->stop = true;
	x->pending = NULL;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	pthread_join(x->thread, NULL);
	x->started = false;
}

bool
ctl_block_export_enabled(const struct ctl_block_export *x)
{
	return x->started;
}

static uint64_t
offer(struct ctl_block_export *x, const struct pat_set *set, uint32_t formats,
      bool request)
{
	uint64_t ticket = 0;

	if (!x->started || set == NULL)
		return 0;
	pthread_mutex_lock(&x->lock);
	x->pending = set;
	x->pending_formats |= formats;
	if (request) {
		ticket = ++x->requests;
		x->pending_requests = ticket;
	}
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	return ticket;
}

void
ctl_block_export_offer(struct ctl_block_export *x, const struct pat_set *set)
{
	offer(x, set, x->formats, false);
}

uint64_t
ctl_block_export_request(struct ctl_block_export *x, const struct pat_set *set,
			 uint32_t formats)
{
	return offer(x, set, formats, true);
}

const struct pat_set *
ctl_block_export_busy(struct ctl_block_export *x)
{
	if (!x->started)
		return NULL;
	pthread_mutex_lock(&x->lock);
	const struct pat_set *set = x->writing;
	pthread_mutex_unlock(&x->lock);
	return set;
}

bool
ctl_block_export_expiry_due(struct ctl_block_export *x, int64_t now)
{
	if (!x->started)
		return false;
	pthread_mutex_lock(&x->lock);
	bool due = x->next_expiry != 0 && x->next_expiry <= now &&
		   x->writing == NULL && x->pending == NULL;
	if (due)
		x->next_expiry = 0;   /* the write sets the next one */
	pthread_mutex_unlock(&x->lock);
	return due;
}

/* UNIX seconds, null for never. */
static json_t *
time_json(time_t t)
{
	return t == 0 ? json_null() : json_integer((json_int_t)t);
}

json_t *
ctl_block_export_json(struct ctl_block_export *x)
{
	if (!x->started)
		return json_pack("{s:b}", "enabled", 0);
	json_t *formats = json_array(), *files = json_object(),
	       *allowed = json_object();

	pthread_mutex_lock(&x->lock);
	for (unsigned int f = 0; f < CFG_EXPORT_FORMATS; f++) {
		if (x->formats & (1u << f))
			json_array_append_new(formats, json_string(
				cfg_export_format_names[f]));
		if (x->format_version[f] != 0)
			json_object_set_new(allowed, cfg_export_format_names[f],
					    json_integer((json_int_t)
							 x->allowed[f]));
	}
	for (unsigned int i = 0; i < CTL_BLOCK_FILES; i++) {
		enum cfg_export_format f = ctl_block_file_format(i);
		char path[CFG_PATH_MAX + 64];

		if (x->format_version[f] == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", x->dir,
			 ctl_block_file_name(i));
		json_object_set_new(files, ctl_block_file_name(i), json_pack(
			"{s:s, s:s, s:I, s:I, s:I}",
			"format", cfg_export_format_names[f], "path", path,
			"version", (json_int_t)x->format_version[f],
			"entries", (json_int_t)x->counts[i].entries,
			"skipped", (json_int_t)x->counts[i].skipped));
	}
	json_t *result = json_pack(
		"{s:b, s:s, s:o, s:I, s:o, s:f, s:I, s:I, s:I, s:I, s:b, s:o,"
		" s:o, s:o, s:o}",
		"enabled", 1, "dir", x->dir, "formats", formats,
		"version", (json_int_t)x->written_version,
		"written_at", time_json(x->written_at),
		"write_seconds", (double)x->write_ns / 1e9,
		"writes", (json_int_t)x->writes,
		"errors", (json_int_t)x->errors,
		"requests", (json_int_t)x->requests,
		"requests_done", (json_int_t)x->requests_done,
		"busy", x->writing != NULL || x->pending != NULL,
		"files", files, "allowed", allowed,
		"error", x->error[0] != '\0' ? json_string(x->error) :
			 json_null(),
		"error_time", time_json(x->error_time));
	pthread_mutex_unlock(&x->lock);
	return result;
}
