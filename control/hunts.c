/* hunts.c -- the control path's retro-hunts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <inttypes.h>

#include <rte_log.h>

#include "feed.h"
#include "hunts.h"

RTE_LOG_REGISTER(ctl_logtype_hunts, iocsift.hunts, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, ctl_logtype_hunts, "hunt: " __VA_ARGS__)

static uint64_t
since_ns(uint64_t seconds)
{
	struct timespec now;

	if (seconds == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	if ((uint64_t)now.tv_sec <= seconds)
		return 0;
	return ((uint64_t)now.tv_sec - seconds) * 1000000000ULL;
}

/* Queues set (taken) and says so in result (or the log). */
static void
hunt_queue(struct ctl_context *ctx, struct pat_set *set, uint64_t since,
	   const char *origin, json_t *result)
{
	uint64_t id;
	int rc = dp_hunter_submit(ctx->hunter, set, since, origin, &id);
	const char *why = rc == -EBUSY ? "the hunt queue is full (16 hunts); "
		"ask again with iocsiftctl hunt" : strerror(-rc);

	if (result == NULL && rc == 0)
		LOG(INFO, "%s: hunt %" PRIu64 " queued\n", origin, id);
	else if (result == NULL)
		LOG(WARNING, "%s: no hunt: %s\n", origin, why);
	else if (rc == 0)
		json_object_set_new(result, "hunt", json_integer((json_int_t)id));
	else
		json_object_set_new(result, "hunt_refused", json_string(why));
}

void
ctl_hunt_after_add(struct ctl_context *ctx, json_t *result)
{
	const struct pat_set *active = ctx->db->active;
	struct error_detail err = { 0 };

	if (ctx->hunter == NULL || !ctx->hunt_on_change || active == NULL ||
	    result == NULL)
		return;
	/* An add appends its indicator to the delta: the last id. */
	uint32_t limit = pat_set_id_limit(active);
	const struct pat_indicator *ind = limit > 0 ?
		pat_set_live_indicator(active, limit - 1) : NULL;
	if (ind == NULL)
		return;
	struct pat_set *set = pat_set_from_indicators(&ind, 1, 1,
		pat_set_version(active), &err);
	if (set == NULL) {
		json_object_set_new(result, "hunt_refused",
				    json_string(err.message));
		return;
	}
	hunt_queue(ctx, set, 0, "add", result);
}

void
ctl_hunt_load_prepare(struct ctl_context *ctx,
		      const struct pat_feed *const *feeds, size_t n_feeds,
		      uint64_t version, struct pat_set **set, char *refused,
		      size_t refused_len)
{
	const struct pat_set *before = ctx->db->active;
	const struct pat_indicator **inds;
	struct error_detail err = { 0 };
	size_t n = 0, total = 0;

	*set = NULL;
	refused[0] = '\0';
	for (size_t f = 0; f < n_feeds; f++)
		total += feeds[f]->count;
	if (ctx->hunter == NULL || !ctx->hunt_on_change || total == 0)
		return;
	inds = malloc(total * sizeof(*inds));
	if (inds == NULL) {
		snprintf(refused, refused_len, "out of memory");
		return;
	}
	for (size_t f = 0; f < n_feeds; f++)
		for (size_t i = 0; i < feeds[f]->count; i++)
			if (before == NULL ||
			    !pat_set_has(before, &feeds[f]->items[i]))
				inds[n++] = &feeds[f]->items[i];
	if (n > ctx->hunt_max_indicators)
		snprintf(refused, refused_len, "%zu new indicators, more than "
			 "hunt_max_indicators (%u)", n,
			 (unsigned int)ctx->hunt_max_indicators);
	else if (n > 0 && (*set = pat_set_from_indicators(inds, n, 1, version,
							   &err)) == NULL)
		snprintf(refused, refused_len, "%s", err.message);
	free(inds);
}

void
ctl_hunt_after_load(struct ctl_context *ctx, struct pat_set *set,
		    const char *feed_name, const char *refused, json_t *result)
{
	char origin[DP_HUNT_ORIGIN_MAX];

	snprintf(origin, sizeof(origin), "load %s", feed_name);
	if (refused[0] != '\0' && result != NULL)
		json_object_set_new(result, "hunt_refused", json_string(refused));
	else if (refused[0] != '\0')
		LOG(WARNING, "%s: no hunt: %s\n", origin, refused);
	if (set == NULL)
		return;
	hunt_queue(ctx, set, 0, origin, result);
}

/* The indicators of a hunt request: TYPE VALUE, or a feed's text. */
static struct pat_set *
request_set(struct ctl_context *ctx, const struct ctl_request *req,
	    struct error_detail *err, const char **code)
{
	struct pat_feed feed;
	enum pat_feed_format format = PAT_FEED_CSV;
	char *text = NULL;
	const char *data = (const char *)req->data;
	size_t len = req->data_len;
	int rc;

	pat_feed_init(&feed);
	*code = CTL_ERR_INVALID_FEED;
	if (req->type != NULL) {
		/* One CSV line, the value quoted as RFC 4180 has it. */
		size_t vlen = strlen(req->value);
		text = malloc(strlen(req->type) + 2 * vlen + 8);
		if (text == NULL) {
			error_detail_set(err, "", 0, "out of memory");
			return NULL;
		}
		char *p = text + sprintf(text, "%s,\"", req->type);
		for (const char *v = req->value; *v != '\0'; v++) {
			if (*v == '"')
				*p++ = '"';
			*p++ = *v;
		}
		strcpy(p, "\"\n");
		data = text;
		len = strlen(text);
	} else if (pat_feed_format_from_name(req->format, &format) != 0) {
		error_detail_set(err, "", 0, "unknown feed format");
		return NULL;
	}
	rc = pat_feed_parse(&feed, req->type != NULL ? "hunt" : req->name,
			    req->type != NULL ? "hunt" : req->name, data, len,
			    format, err);
	free(text);
	if (rc != 0)
		return NULL;
	struct pat_set *set = NULL;
	if (feed.count == 0)
		error_detail_set(err, "", 0, "no indicator to hunt for");
	else if (feed.count > ctx->hunt_max_indicators) {
		*code = CTL_ERR_TOO_LARGE;
		error_detail_set(err, "", 0, "%zu indicators, more than "
				 "hunt_max_indicators (%u)", feed.count,
				 (unsigned int)ctx->hunt_max_indicators);
	}
	else {
		const struct pat_feed *pointer = &feed;
		set = pat_set_build(&pointer, 1, 1, ctx->db->version, err);
	}
	pat_feed_free(&feed);
	return set;
}

char *
ctl_command_hunt(struct ctl_context *ctx, const struct ctl_request *req)
{
	struct error_detail err = { 0 };

	if (ctx->hunter == NULL)
		return ctl_reply_error(req, CTL_ERR_NO_HISTORY, "this appliance "
				       "keeps no history (history_messages = "
				       "none)");
	if (req->hunt != 0) {
		json_t *hunt = dp_hunter_hunt_json(ctx->hunter,
						   (uint64_t)req->hunt);
		if (hunt == NULL)
			return ctl_reply_error(req, CTL_ERR_NOT_FOUND, "no such "
					       "hunt (the last 8 finished ones "
					       "are kept)");
		return ctl_reply_ok(req, hunt);
	}
	const char *code;
	struct pat_set *set = request_set(ctx, req, &err, &code);
	if (set == NULL)
		return ctl_reply_error(req, code, error_detail_format(
					       &err, (char[512]){ 0 }, 512));
	json_t *result = json_object();
	if (result == NULL) {
		pat_set_free(set);
		return ctl_reply_error(req, CTL_ERR_INTERNAL, "out of memory");
	}
	json_object_set_new(result, "indicators",
			    json_integer((json_int_t)pat_set_count(set)));
	hunt_queue(ctx, set, since_ns((uint64_t)req->since), "hunt", result);
	if (json_object_get(result, "hunt_refused") != NULL) {
		json_decref(result);
		return ctl_reply_error(req, CTL_ERR_BUSY, "the hunt queue is "
				       "full (16 hunts); ask again later");
	}
	return ctl_reply_ok(req, result);
}

json_t *
ctl_history_json(struct ctl_context *ctx)
{
	if (ctx->history == NULL)
		return json_null();
	json_t *o = dp_history_writer_json(ctx->history);
	if (o != NULL && ctx->hunter != NULL)
		json_object_set_new(o, "hunts", dp_hunter_json(ctx->hunter));
	return o != NULL ? o : json_null();
}
