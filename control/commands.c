/* commands.c -- the control requests (docs/control-protocol.md) on the
 * database and the counters. A failed request changes nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <rte_version.h>

#include "commands.h"
#include "fleet_follower.h"
#include "hunts.h"
#include "protocol.h"
#include "stats.h"

/* A load, run off the control thread: parsing and building a feed of a
 * million indicators takes seconds, in which status, stats, list and test
 * are still answered. */
struct ctl_job {
	struct ctl_context *ctx;
	struct ctl_request req;
	struct pat_feed feed;
	struct ctl_db_prepared prepared;
	struct error_detail err;
	const char *code;        /* the error reply's code, NULL on success */
	uint64_t started_ns;
	char *line;              /* the request line, parsed by the job */
	size_t len;
	/* enum job_phase, atomic: status reads it, and req once it is past
	 * JOB_READING (release, acquire). */
	int phase;
	/* A job that is not a request (ctl_job_make): these, no reply. */
	const char *command;
	void (*run)(void *arg);
	void (*finish)(void *arg);
	void *arg;
	/* A load's retro-hunt: its new indicators (hunts.h). */
	struct pat_set *hunt_set;
	char hunt_refused[CTL_HUNT_REFUSED_MAX];
};

enum job_phase { JOB_READING, JOB_PARSING, JOB_BUILDING };

static const char *const job_phase_names[] = {
	[JOB_READING] = "reading the request",
	[JOB_PARSING] = "parsing",
	[JOB_BUILDING] = "compiling and saving",
};

static char *
reply_error_detail(const struct ctl_request *req, const char *code,
		const struct error_detail *err)
{
	char message[ERROR_DETAIL_TEXT_MAX];

	return ctl_reply_error(req, code, error_detail_format(err, message,
							   sizeof(message)));
}

static json_t *
swap_result(const struct ctl_context *ctx)
{
	return json_pack("{s:I, s:I}", "db_version",
			 (json_int_t)ctx->db->version, "swap_us",
			 (json_int_t)(ctx->db->last_swap_ns / 1000));
}

/* The load being built, for status: {command, feed, seconds}. */
static json_t *
running_json(const struct ctl_job *job)
{
	if (job->run != NULL)
		return json_pack("{s:s, s:f}", "command", job->command,
				 "seconds", (double)(monotonic_ns() -
						     job->started_ns) / 1e9);
	int phase = __atomic_load_n(&job->phase, __ATOMIC_ACQUIRE);
	json_t *running = json_pack("{s:s, s:s, s:f}", "command", "load",
				    "phase", job_phase_names[phase], "seconds",
				    (double)(monotonic_ns() - job->started_ns) /
				    1e9);

	if (running != NULL && phase > JOB_READING)
		json_object_set_new(running, "feed", json_string(job->req.name));
	return running;
}

static char *
command_status(struct ctl_context *ctx, const struct ctl_request *req)
{
	const struct ctl_database *db = ctx->db;
	json_t *result = json_pack(
		"{s:s, s:I, s:I, s:I, s:o, s:I, s:i, s:i, s:I, s:I, s:s, s:o,"
		" s:o, s:o}",
		"program", "iocsift " IOCSIFT_VERSION,
		"db_version", (json_int_t)db->version,
		"indicators", (json_int_t)db->indicators,
		"delta", (json_int_t)(db->active != NULL ?
				      pat_set_delta_count(db->active) : 0),
		"feeds", ctl_db_feeds(db),
		"uptime_seconds", (json_int_t)(time(NULL) - ctx->started),
		"workers", ctx->app->n_workers,
		"ports", ctx->app->n_ports,
		"swaps", (json_int_t)db->swaps,
		"last_swap_us", (json_int_t)(db->last_swap_ns / 1000),
		"state_dir", ctx->state_dir,
		"state", ctl_db_state_json(db),
		"exporter", dp_exporter_json(&ctx->app->exporter),
		"sinks", dp_exporter_sinks_json(&ctx->app->exporter));

	if (result != NULL)
		json_object_set_new(result, "history", ctl_history_json(ctx));
	if (result != NULL && ctx->fleet != NULL)
		json_object_set_new(result, "fleet",
				    fleet_follower_json(ctx->fleet));
	if (result != NULL && ctx->block_export != NULL)
		json_object_set_new(result, "exports",
				    ctl_block_export_json(ctx->block_export));
	if (result != NULL && ctx->running != NULL)
		json_object_set_new(result, "running", running_json(ctx->running));
	return ctl_reply_ok(req, result);
}

/* `export`: the block-list thread writes the active version now; the
 * reply is a ticket, which status shows done (exports.requests_done)
 * once the files are in place: a write of a million indicators takes a
 * second, in which the control thread keeps answering. */
static char *
command_export(struct ctl_context *ctx, const struct ctl_request *req)
{
	struct ctl_block_export *x = ctx->block_export;
	uint32_t formats;

	if (x == NULL || !ctl_block_export_enabled(x))
		return ctl_reply_error(req, CTL_ERR_BAD_REQUEST,
				       "block lists are off: no export_dir in "
				       "[exports] (docs/exports.md)");
	if (req->format == NULL) {
		formats = x->formats;
	} else {
		int f = cfg_export_format_from_name(req->format,
						    strlen(req->format));

		if (f < 0)
			return ctl_reply_error(req, CTL_ERR_BAD_REQUEST,
					       "field 'format': expected "
					       "nftables, squid, rpz, hosts, "
					       "suricata or csv");
		formats = 1u << f;
	}
	if (ctx->db->active == NULL)
		return ctl_reply_error(req, CTL_ERR_NOT_FOUND,
				       "no database version to export");
	json_t *names = json_array();

	for (unsigned int f = 0; f < CFG_EXPORT_FORMATS; f++)
		if (formats & (1u << f))
			json_array_append_new(names, json_string(
				cfg_export_format_names[f]));
	json_t *before = ctl_block_export_json(x);
	json_int_t errors = json_integer_value(json_object_get(before,
							       "errors"));
	json_decref(before);
	uint64_t ticket = ctl_block_export_request(x, ctx->db->active,
						   formats);
	return ctl_reply_ok(req, json_pack("{s:I, s:I, s:s, s:o, s:I}",
		"request", (json_int_t)ticket,
		"db_version", (json_int_t)pat_set_version(ctx->db->active),
		"dir", x->dir, "formats", names, "errors", errors));
}

static char *
command_version(struct ctl_context *ctx, const struct ctl_request *req)
{
	return ctl_reply_ok(req, json_pack("{s:s, s:i, s:I, s:s, s:s}",
		"program", "iocsift " IOCSIFT_VERSION,
		"protocol", CTL_PROTOCOL_VERSION,
		"db_version", (json_int_t)ctx->db->version,
		"hyperscan", hs_version(),
		"dpdk", rte_version()));
}


void
ctl_job_run(struct ctl_job *job)
{
	const struct ctl_request *req = &job->req;
	enum pat_feed_format format;
	char label[CTL_FEED_NAME_MAX + 16];
	int rc;

	if (job->run != NULL) {
		job->run(job->arg);
		return;
	}
	rc = job->line == NULL ? 0 :
	     ctl_request_parse(job->line, job->len, &job->req, &job->err);
	free(job->line);
	job->line = NULL;
	if (rc == 0 && req->cmd != CTL_CMD_LOAD)
		rc = -EINVAL;   /* "cmd":"load" first, and another cmd: refused */
	if (rc != 0) {
		job->code = ctl_request_error_code(rc);
		return;
	}
	__atomic_store_n(&job->phase, JOB_PARSING, __ATOMIC_RELEASE);
	if (pat_feed_format_from_name(req->format, &format) != 0) {
		error_detail_set(&job->err, "", 0, "unknown feed format");
		job->code = CTL_ERR_BAD_REQUEST;
		return;
	}
	snprintf(label, sizeof(label), "%s", req->name);
	if (pat_feed_parse(&job->feed, req->name, label,
			   (const char *)req->data, req->data_len, format,
			   &job->err) != 0) {
		job->code = CTL_ERR_INVALID_FEED;
		return;
	}
	struct ctl_feed_source source = {
		.name = req->name, .label = label,
		.text = (const char *)req->data, .len = req->data_len,
		.format = format,
	};
	__atomic_store_n(&job->phase, JOB_BUILDING, __ATOMIC_RELAXED);
	rc = ctl_db_load_prepare(job->ctx->db, &job->feed, &source,
				 req->allow_shrink, &job->prepared, &job->err);
	if (rc != 0)
		job->code = rc == -ECANCELED ? CTL_ERR_NOT_SAVED :
			    rc == -ERANGE ? CTL_ERR_WOULD_SHRINK :
			    CTL_ERR_INVALID_FEED;
	else
		ctl_hunt_load_prepare(job->ctx, (const struct pat_feed *[]){
					      &job->feed }, 1,
				      pat_set_version(job->prepared.next),
				      &job->hunt_set, job->hunt_refused,
				      sizeof(job->hunt_refused));
}

char *
ctl_job_finish(struct ctl_job *job)
{
	const struct ctl_request *req = &job->req;
	char *reply;

	job->ctx->running = NULL;
	if (job->run != NULL) {
		job->finish(job->arg);
		free(job);
		return NULL;
	}
	if (job->code != NULL) {
		reply = reply_error_detail(req, job->code, &job->err);
	} else {
		ctl_db_load_commit(job->ctx->db, &job->prepared);
		json_t *result = swap_result(job->ctx);
		const struct pat_feed *feed = &job->feed;
		json_object_set_new(result, "feed", json_string(req->name));
		json_object_set_new(result, "indicators",
				    json_integer((json_int_t)feed->count));
		json_object_set_new(result, "skipped",
				    json_integer((json_int_t)feed->skipped));
		json_object_set_new(result, "duplicates",
				    json_integer((json_int_t)feed->duplicates));
		if (feed->skipped > 0)
			json_object_set_new(result, "first_skip",
					    json_string(feed->first_skip));
		if (job->prepared.overridden > 0)
			json_object_set_new(result, "overridden", json_integer(
				(json_int_t)job->prepared.overridden));
		ctl_hunt_after_load(job->ctx, job->hunt_set, req->name,
				    job->hunt_refused, result);
		job->hunt_set = NULL;
		reply = ctl_reply_ok(req, result);
	}
	pat_set_free(job->hunt_set);
	pat_feed_free(&job->feed);
	ctl_request_release(&job->req);
	free(job->line);
	free(job);
	return reply;
}

/* A load's line (up to 256 MiB: decoding its JSON takes a while too)
 * is copied for the job, which parses it. */
static struct ctl_job *
job_start(struct ctl_context *ctx, const char *line, size_t len)
{
	struct ctl_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	if (line != NULL) {
		job->line = malloc(len + 1);
		if (job->line == NULL) {
			free(job);
			return NULL;
		}
		memcpy(job->line, line, len);
		job->line[len] = '\0';
		job->len = len;
	}
	job->ctx = ctx;
	job->started_ns = monotonic_ns();
	pat_feed_init(&job->feed);
	return job;
}

/* A compaction's job: built on the job thread, published after. */
struct compaction {
	struct ctl_database *db;
	struct pat_set *built;
	struct error_detail err;
};

static void
compaction_run(void *arg)
{
	struct compaction *c = arg;

	c->built = ctl_db_compaction_build(c->db, &c->err);
}

static void
compaction_finish(void *arg)
{
	struct compaction *c = arg;

	ctl_db_compaction_publish(c->db, c->built, &c->err);
	free(c);
}

struct ctl_job *
ctl_compaction_job(struct ctl_context *ctx)
{
	if (ctx->db == NULL || !ctl_db_compaction_due(ctx->db))
		return NULL;
	struct compaction *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->db = ctx->db;
	struct ctl_job *job = ctl_job_make(ctx, "compaction", compaction_run,
					   compaction_finish, c);
	if (job == NULL)
		free(c);
	return job;
}

struct ctl_job *
ctl_job_make(struct ctl_context *ctx, const char *command,
	     void (*run)(void *arg), void (*finish)(void *arg), void *arg)
{
	struct ctl_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->ctx = ctx;
	job->started_ns = monotonic_ns();
	job->command = command;
	job->run = run;
	job->finish = finish;
	job->arg = arg;
	ctx->running = job;
	return job;
}

static const char *
update_error_code(int rc)
{
	switch (rc) {
	case -EEXIST:
		return CTL_ERR_EXISTS;
	case -ENOENT:
		return CTL_ERR_NOT_FOUND;
	case -EINVAL:
		return CTL_ERR_INVALID_INDICATOR;
	case -ECANCELED:
		return CTL_ERR_NOT_SAVED;
	default:
		return CTL_ERR_INTERNAL;
	}
}

static char *
command_update(struct ctl_context *ctx, const struct ctl_request *req)
{
	struct ctl_indicator_spec spec = {
		.type = req->type, .value = req->value, .feed = req->feed,
		.tags = req->tags, .expires = req->expires,
		.severity = req->severity,
	};
	struct error_detail err = { 0 };
	size_t removed = 0;
	int rc = req->cmd == CTL_CMD_ADD ? ctl_db_add(ctx->db, &spec, &err) :
		ctl_db_delete(ctx->db, &spec, &removed, &err);

	if (rc != 0)
		return reply_error_detail(req, update_error_code(rc), &err);
	json_t *result = swap_result(ctx);
	if (req->cmd == CTL_CMD_DEL)
		json_object_set_new(result, "removed",
				    json_integer((json_int_t)removed));
	if (err.message[0] != '\0')
		json_object_set_new(result, "warning", json_string(err.message));
	if (req->cmd == CTL_CMD_ADD)
		ctl_hunt_after_add(ctx, result);
	return ctl_reply_ok(req, result);
}

static char *
command_undel(struct ctl_context *ctx, const struct ctl_request *req)
{
	struct ctl_indicator_spec spec = { .type = req->type,
					   .value = req->value };
	struct error_detail err = { 0 };
	int rc = ctl_db_undelete(ctx->db, &spec, &err);

	if (rc != 0)
		return reply_error_detail(req, update_error_code(rc), &err);
	return ctl_reply_ok(req, json_pack("{s:I}", "db_version",
					   (json_int_t)ctx->db->version));
}

static char *
command_rollback(struct ctl_context *ctx, const struct ctl_request *req)
{
	struct error_detail err = { 0 };
	uint64_t from;
	int rc = ctl_db_rollback(ctx->db, &from, &err);

	if (rc != 0)
		return reply_error_detail(req, rc == -ECANCELED ?
					  CTL_ERR_NOT_SAVED :
					  CTL_ERR_NO_PREVIOUS, &err);
	json_t *result = swap_result(ctx);
	json_object_set_new(result, "from", json_integer((json_int_t)from));
	return ctl_reply_ok(req, result);
}

static char *
command_list(struct ctl_context *ctx, const struct ctl_request *req)
{
	struct error_detail err = { 0 };
	if (req->overrides) {
		json_t *overrides = ctl_db_overrides(ctx->db, (size_t)req->limit);
		return overrides != NULL ? ctl_reply_ok(req, overrides) :
			ctl_reply_error(req, CTL_ERR_INTERNAL, "out of memory");
	}
	struct ctl_list_page page = {
		.type = req->type, .feed = req->feed,
		.version = (uint64_t)req->version, .from = (uint32_t)req->from,
		.layout = (uint64_t)req->layout,
		.limit = (size_t)req->limit,
	};
	json_t *result = ctl_db_list(ctx->db, &page, &err);

	if (result != NULL)
		return ctl_reply_ok(req, result);
	if (errno == EINVAL)
		return reply_error_detail(req, CTL_ERR_BAD_REQUEST, &err);
	if (errno == ESTALE)
		return reply_error_detail(req, CTL_ERR_CHANGED, &err);
	return ctl_reply_error(req, CTL_ERR_INTERNAL, "out of memory");
}

static bool
command_changes(enum ctl_command cmd)
{
	return cmd == CTL_CMD_LOAD || cmd == CTL_CMD_ADD ||
	       cmd == CTL_CMD_DEL || cmd == CTL_CMD_ROLLBACK ||
	       cmd == CTL_CMD_UNDEL;
}

enum ctl_outcome
ctl_command_handle(struct ctl_context *ctx, const char *line, size_t len,
		   bool changes_busy, char **reply, struct ctl_job **job)
{
	struct ctl_request req;
	struct error_detail err = { 0 };

	*reply = NULL;
	*job = NULL;
	/* A load ("cmd":"load" first, as ctl_request_limit looks for it)
	 * is parsed by its job. */
	if (ctl_request_limit(line, len) == CTL_LOAD_REQUEST_MAX) {
		if (changes_busy)
			return CTL_WAIT;
		*job = job_start(ctx, line, len);
		if (*job == NULL) {
			*reply = ctl_reply_error(NULL, CTL_ERR_INTERNAL,
						 "out of memory");
			return CTL_REPLY;
		}
		ctx->running = *job;
		return CTL_JOB;
	}
	int rc = ctl_request_parse(line, len, &req, &err);
	if (rc != 0) {
		*reply = ctl_reply_error(&req, ctl_request_error_code(rc),
					 err.message);
		ctl_request_release(&req);
		return CTL_REPLY;
	}
	if (changes_busy && command_changes(req.cmd)) {
		ctl_request_release(&req);
		return CTL_WAIT;
	}
	switch (req.cmd) {
	case CTL_CMD_STATUS:
		*reply = command_status(ctx, &req);
		break;
	case CTL_CMD_VERSION:
		*reply = command_version(ctx, &req);
		break;
	case CTL_CMD_STATS:
		*reply = ctl_reply_ok(&req, ctl_stats_json(ctx->app, ctx->db,
							   (size_t)req.top));
		break;
	case CTL_CMD_LOAD:
		/* "cmd" not first (a line of at most CTL_REQUEST_MAX):
		 * parsed here, the rest is the job's. */
		*job = job_start(ctx, NULL, 0);
		if (*job == NULL) {
			*reply = ctl_reply_error(&req, CTL_ERR_INTERNAL,
						 "out of memory");
			break;
		}
		(*job)->req = req;
		(*job)->phase = JOB_PARSING;
		ctx->running = *job;
		return CTL_JOB;
	case CTL_CMD_ADD:
	case CTL_CMD_DEL:
		*reply = command_update(ctx, &req);
		break;
	case CTL_CMD_LIST:
		*reply = command_list(ctx, &req);
		break;
	case CTL_CMD_TEST:
		*reply = ctl_reply_ok(&req, ctl_db_test(ctx->db, req.text,
							strlen(req.text)));
		break;
	case CTL_CMD_ROLLBACK:
		*reply = command_rollback(ctx, &req);
		break;
	case CTL_CMD_UNDEL:
		*reply = command_undel(ctx, &req);
		break;
	case CTL_CMD_HUNT:
		*reply = ctl_command_hunt(ctx, &req);
		break;
	case CTL_CMD_EXPORT:
		*reply = command_export(ctx, &req);
		break;
	default:
		*reply = ctl_reply_error(&req, CTL_ERR_UNKNOWN_COMMAND,
					 "unknown command");
		break;
	}
	ctl_request_release(&req);
	return CTL_REPLY;
}
