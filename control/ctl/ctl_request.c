/* ctl_request.c -- iocsiftctl's request: the command line made into one
 * protocol request line (docs/control-protocol.md). */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"

#include "ctl.h"
#include "ctl_request.h"

/* A whole file ("-": stdin) of at most max bytes. 0 or -errno (-EFBIG
 * when larger). */
static int
read_file(const char *path, size_t max, unsigned char **out, size_t *out_len)
{
	if (strcmp(path, "-") == 0)
		return fd_read_all(STDIN_FILENO, max, (char **)out, out_len);
	return file_read_all(path, max, (char **)out, out_len);
}

/* "feeds/3cx.csv" -> "3cx"; a leading dot is no extension (docs/feeds.md). */
static char *
feed_name_of(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name, *dot;

	base = base != NULL ? base + 1 : path;
	name = strdup(base);
	if (name == NULL)
		return NULL;
	dot = strrchr(name, '.');
	if (dot != NULL && dot != name)
		*dot = '\0';
	return name;
}

static int
set_str(json_t *req, const char *key, const char *value)
{
	json_t *s;

	if (value == NULL)
		return 0;
	s = json_string(value);
	if (s == NULL) {
		ctl_fail("%s: not valid UTF-8", key);
		return -EINVAL;
	}
	return json_object_set_new(req, key, s) == 0 ? 0 : -ENOMEM;
}

/* The feed for a load: "data" when it is UTF-8 text without NUL bytes,
 * else "data_base64". */
static int
set_feed_data(json_t *req, const unsigned char *data, size_t len)
{
	json_t *s = NULL;

	if (memchr(data, '\0', len) == NULL)
		s = json_stringn((const char *)data, len);
	if (s != NULL)
		return json_object_set_new(req, "data", s) == 0 ? 0 : -ENOMEM;

	char *enc = malloc(4 * ((len + 2) / 3) + 1);

	if (enc == NULL)
		return -ENOMEM;
	size_t n = base64_encode(data, len, enc);

	s = json_stringn_nocheck(enc, n);
	free(enc);
	if (s == NULL)
		return -ENOMEM;
	return json_object_set_new(req, "data_base64", s) == 0 ? 0 : -ENOMEM;
}

/* Builds the request: "cmd" first (ctl_request_limit() relies on it).
 * Returns an exit status; *out on success. */
int
ctl_build_request(const struct command *c, const char *const *args,
	      const struct options *o, json_t **out)
{
	json_t *req = json_object();
	long long n = 0;
	int rc = EXIT_USAGE;

	if (req == NULL ||
	    json_object_set_new(req, "cmd", json_string(c->name)) != 0 ||
	    json_object_set_new(req, "v",
				json_integer(CTL_PROTOCOL_VERSION)) != 0 ||
	    json_object_set_new(req, "id", json_integer(REQUEST_ID)) != 0)
		goto nomem;

	switch (c->cmd) {
	case CTL_CMD_STATS:
		if (o->top != NULL) {
			if (!ctl_parse_int(o->top, 0, CTL_STATS_TOP_MAX, &n)) {
				rc = ctl_usage_error("--top: '%s' is not a number "
						 "from 0 to %d", o->top,
						 CTL_STATS_TOP_MAX);
				goto out;
			}
			if (json_object_set_new(req, "top", json_integer(n)))
				goto nomem;
		}
		break;
	case CTL_CMD_LIST:
		/* The pages' limits are set as they are asked for. */
		if (o->limit != NULL && strcmp(o->limit, "all") != 0 &&
		    !ctl_parse_int(o->limit, 1, LLONG_MAX, &n)) {
			rc = ctl_usage_error("--limit: '%s' is not a number "
					 "from 1 up, nor 'all'", o->limit);
			goto out;
		}
		if (o->feed != NULL && !ctl_feed_name_valid(o->feed)) {
			rc = ctl_usage_error("--feed: '%s' is not a feed name "
					 "(1 to %d of A-Z a-z 0-9 . _ -)",
					 o->feed, CTL_FEED_NAME_MAX);
			goto out;
		}
		if (set_str(req, "type", o->type) != 0 ||
		    set_str(req, "feed", o->feed) != 0 ||
		    (o->overrides && json_object_set_new(req, "overrides",
							json_true()) != 0))
			goto out;
		/* The overrides come in one reply, of at most --limit. */
		if (o->overrides && json_object_set_new(req, "limit",
			json_integer(o->limit == NULL || strcmp(o->limit, "all")
				     == 0 || n > CTL_LIST_LIMIT_MAX ?
				     CTL_LIST_LIMIT_MAX : n)) != 0)
			goto out;
		break;
	case CTL_CMD_ADD:
		if (o->feed != NULL && !ctl_feed_name_valid(o->feed)) {
			rc = ctl_usage_error("--feed: '%s' is not a feed name "
					 "(1 to %d of A-Z a-z 0-9 . _ -)",
					 o->feed, CTL_FEED_NAME_MAX);
			goto out;
		}
		/* fall through */
	case CTL_CMD_DEL:
	case CTL_CMD_UNDEL:
		if (set_str(req, "type", args[0]) != 0 ||
		    set_str(req, "value", args[1]) != 0 ||
		    set_str(req, "tags", o->tags) != 0 ||
		    set_str(req, "expires", o->expires) != 0 ||
		    set_str(req, "severity", o->severity) != 0 ||
		    set_str(req, "feed", o->feed) != 0)
			goto out;
		break;
	case CTL_CMD_TEST:
		if (strlen(args[0]) > CTL_TEST_TEXT_MAX) {
			rc = ctl_usage_error("TEXT is %zu bytes, more than %u",
					 strlen(args[0]), CTL_TEST_TEXT_MAX);
			goto out;
		}
		if (set_str(req, "text", args[0]) != 0)
			goto out;
		break;
	case CTL_CMD_LOAD: {
		char *name = o->name != NULL ? strdup(o->name) :
			     strcmp(args[0], "-") == 0 ? NULL :
			     feed_name_of(args[0]);
		unsigned char *data = NULL;
		size_t len = 0;
		int err;

		if (name == NULL && o->name == NULL &&
		    strcmp(args[0], "-") == 0) {
			rc = ctl_usage_error("load -: give the feed's name with "
					 "--name");
			goto out;
		}
		if (name == NULL)
			goto nomem;
		if (!ctl_feed_name_valid(name)) {
			rc = ctl_usage_error("'%s' is not a feed name (1 to %d of "
					 "A-Z a-z 0-9 . _ -)%s", name,
					 CTL_FEED_NAME_MAX,
					 o->name == NULL ? "; give one with "
					 "--name" : "");
			free(name);
			goto out;
		}
		err = set_str(req, "name", name);
		free(name);
		if (err != 0 || set_str(req, "format", o->format) != 0)
			goto out;
		if (o->allow_shrink &&
		    json_object_set_new(req, "allow_shrink", json_true()) != 0)
			goto nomem;
		err = read_file(args[0], CTL_LOAD_REQUEST_MAX, &data, &len);
		if (err == -EFBIG) {
			ctl_fail("%s: larger than a load request may carry "
			     "(%u MiB)", args[0], CTL_LOAD_REQUEST_MAX >> 20);
			goto out;
		}
		if (err != 0) {
			ctl_fail("%s: %s", args[0], strerror(-err));
			goto out;
		}
		err = set_feed_data(req, data != NULL ? data :
				    (const unsigned char *)"", len);
		free(data);
		if (err != 0)
			goto nomem;
		break;
	}
	case CTL_CMD_HUNT: {
		uint64_t since = 0;
		if (o->since != NULL && duration_parse(o->since, &since) != 0) {
			rc = ctl_usage_error("--since: '%s' is not a duration "
					 "such as 24h, 90m or 3600s", o->since);
			goto out;
		}
		if (since > 0 && json_object_set_new(req, "since",
				json_integer((json_int_t)since)) != 0)
			goto nomem;
		if ((o->feed != NULL) == (args[0] != NULL)) {
			rc = ctl_usage_error("hunt: give TYPE VALUE or --feed "
					 "FILE");
			goto out;
		}
		if (args[0] != NULL) {
			if (args[1] == NULL) {
				rc = ctl_usage_error("hunt: give TYPE VALUE");
				goto out;
			}
			if (set_str(req, "type", args[0]) != 0 ||
			    set_str(req, "value", args[1]) != 0)
				goto out;
			break;
		}
		/* A feed file, its name the feed's in the events. */
		char *name = strcmp(o->feed, "-") == 0 ? strdup("hunt") :
			feed_name_of(o->feed);
		unsigned char *data = NULL;
		size_t len = 0;
		if (name == NULL)
			goto nomem;
		int err = ctl_feed_name_valid(name) ?
			set_str(req, "name", name) : 0;
		free(name);
		if (err != 0 || set_str(req, "format", o->format) != 0)
			goto out;
		/* What a request other than load may carry. */
		err = read_file(o->feed, CTL_REQUEST_MAX - 4096, &data, &len);
		if (err == -EFBIG) {
			ctl_fail("%s: larger than a hunt request may carry "
				 "(%u MiB); split it, or load it (a load is "
				 "hunted for too)", o->feed,
				 CTL_REQUEST_MAX >> 20);
			goto out;
		}
		if (err != 0) {
			ctl_fail("%s: %s", o->feed, strerror(-err));
			goto out;
		}
		err = set_feed_data(req, data != NULL ? data :
				    (const unsigned char *)"", len);
		free(data);
		if (err != 0)
			goto nomem;
		break;
	}
	case CTL_CMD_EXPORT:
		if (set_str(req, "format", o->format) != 0)
			goto out;
		break;
	case CTL_CMD_STATUS:
	case CTL_CMD_VERSION:
	case CTL_CMD_ROLLBACK:
		break;
	}
	*out = req;
	return EXIT_OK;
nomem:
	ctl_fail("out of memory building the request");
out:
	json_decref(req);
	return rc;
}
