/* commands.c -- the control requests (docs/control-protocol.md) on the
 * database and the counters. A failed request changes nothing. */
#include <errno.h>
#include <string.h>

#include <hs/hs.h>
#include <rte_version.h>

#include "commands.h"
#include "protocol.h"
#include "stats.h"

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

static char *
command_status(struct ctl_context *ctx, const struct ctl_request *req)
{
	const struct ctl_database *db = ctx->db;

	return ctl_reply_ok(req, json_pack(
		"{s:s, s:I, s:I, s:I, s:o, s:I, s:i, s:i, s:I, s:I, s:s, s:o}",
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
		"state", ctl_db_state_json(db)));
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

static char *
command_load(struct ctl_context *ctx, const struct ctl_request *req)
{
	enum pat_feed_format format;
	struct pat_feed feed;
	struct error_detail err = { 0 };
	char label[CTL_FEED_NAME_MAX + 16];
	char *reply;

	if (pat_feed_format_from_name(req->format, &format) != 0)
		return ctl_reply_error(req, CTL_ERR_BAD_REQUEST,
				       "unknown feed format");
	snprintf(label, sizeof(label), "%s", req->name);
	pat_feed_init(&feed);
	if (pat_feed_parse(&feed, req->name, label, (const char *)req->data,
			   req->data_len, format, &err) != 0)
		return reply_error_detail(req, CTL_ERR_INVALID_FEED, &err);
	struct ctl_feed_source source = {
		.name = req->name, .label = label,
		.text = (const char *)req->data, .len = req->data_len,
		.format = format,
	};
	int rc = ctl_db_load_feed(ctx->db, &feed, &source, req->allow_shrink,
				  &err);
	if (rc != 0) {
		reply = reply_error_detail(req, rc == -ECANCELED ?
					   CTL_ERR_NOT_SAVED : rc == -ERANGE ?
					   CTL_ERR_WOULD_SHRINK :
					   CTL_ERR_INVALID_FEED, &err);
	} else {
		json_t *result = swap_result(ctx);
		json_object_set_new(result, "feed", json_string(req->name));
		json_object_set_new(result, "indicators",
				    json_integer((json_int_t)feed.count));
		json_object_set_new(result, "skipped",
				    json_integer((json_int_t)feed.skipped));
		json_object_set_new(result, "duplicates",
				    json_integer((json_int_t)feed.duplicates));
		if (feed.skipped > 0)
			json_object_set_new(result, "first_skip",
					    json_string(feed.first_skip));
		reply = ctl_reply_ok(req, result);
	}
	pat_feed_free(&feed);
	return reply;
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
	return ctl_reply_ok(req, result);
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
	json_t *result = ctl_db_list(ctx->db, req->type, req->feed,
				     (size_t)req->limit, &err);

	if (result == NULL)
		return errno == EINVAL ?
			reply_error_detail(req, CTL_ERR_BAD_REQUEST, &err) :
			ctl_reply_error(req, CTL_ERR_INTERNAL, "out of memory");
	return ctl_reply_ok(req, result);
}

char *
ctl_command_handle(struct ctl_context *ctx, const char *line, size_t len)
{
	struct ctl_request req;
	struct error_detail err = { 0 };
	char *reply;
	int rc = ctl_request_parse(line, len, &req, &err);

	if (rc != 0) {
		reply = ctl_reply_error(&req, ctl_request_error_code(rc),
					err.message);
		ctl_request_release(&req);
		return reply;
	}
	switch (req.cmd) {
	case CTL_CMD_STATUS:
		reply = command_status(ctx, &req);
		break;
	case CTL_CMD_VERSION:
		reply = command_version(ctx, &req);
		break;
	case CTL_CMD_STATS:
		reply = ctl_reply_ok(&req, ctl_stats_json(ctx->app, ctx->db,
							  (size_t)req.top));
		break;
	case CTL_CMD_LOAD:
		reply = command_load(ctx, &req);
		break;
	case CTL_CMD_ADD:
	case CTL_CMD_DEL:
		reply = command_update(ctx, &req);
		break;
	case CTL_CMD_LIST:
		reply = command_list(ctx, &req);
		break;
	case CTL_CMD_TEST:
		reply = ctl_reply_ok(&req, ctl_db_test(ctx->db, req.text,
						       strlen(req.text)));
		break;
	case CTL_CMD_ROLLBACK:
		reply = command_rollback(ctx, &req);
		break;
	default:
		reply = ctl_reply_error(&req, CTL_ERR_UNKNOWN_COMMAND,
					"unknown command");
		break;
	}
	ctl_request_release(&req);
	return reply;
}
