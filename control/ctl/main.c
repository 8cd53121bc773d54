/* main.c -- iocsiftctl, the control client: the command line, one
 * request (ctl_request.c) over the socket (ctl_client.c), its reply as
 * text (ctl_display.c) or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "protocol.h"

#include "ctl.h"
#include "ctl_client.h"
#include "ctl_display.h"
#include "ctl_fleet.h"
#include "ctl_list.h"
#include "ctl_progress.h"
#include "ctl_request.h"

#define PROGRESS_AFTER_MS 1000
#define PROGRESS_EVERY_MS 250

static const int stats_opts[] = { OPT_TOP, 0 };
static const int load_opts[] = { OPT_NAME, OPT_FORMAT, OPT_ALLOW_SHRINK, 0 };
static const int add_opts[] = { OPT_TAGS, OPT_EXPIRES, OPT_SEVERITY, OPT_FEED, 0 };
static const int list_opts[] = { OPT_TYPE, OPT_FEED, OPT_LIMIT, OPT_OVERRIDES,
				 0 };
static const int hunt_opts[] = { OPT_SINCE, OPT_FEED, OPT_FORMAT, 0 };
static const int export_opts[] = { OPT_FORMAT, 0 };
static const int no_opts[] = { 0 };

static const struct command commands[] = {
	{ "status", CTL_CMD_STATUS, 0, 0, no_opts },
	{ "stats", CTL_CMD_STATS, 0, 0, stats_opts },
	{ "load", CTL_CMD_LOAD, 1, 1, load_opts },
	{ "add", CTL_CMD_ADD, 2, 2, add_opts },
	{ "del", CTL_CMD_DEL, 2, 2, no_opts },
	{ "undel", CTL_CMD_UNDEL, 2, 2, no_opts },
	{ "list", CTL_CMD_LIST, 0, 0, list_opts },
	{ "test", CTL_CMD_TEST, 1, 1, no_opts },
	{ "rollback", CTL_CMD_ROLLBACK, 0, 0, no_opts },
	{ "version", CTL_CMD_VERSION, 0, 0, no_opts },
	{ "hunt", CTL_CMD_HUNT, 0, 2, hunt_opts },
	{ "export", CTL_CMD_EXPORT, 0, 0, export_opts },
};

/* How often `export` asks status whether its files are written. */
#define EXPORT_POLL_MS 100



static void
usage(FILE *out)
{
	fprintf(out,
"usage: iocsiftctl [-s SOCKET | --fleet URI] [--json] [--timeout SEC] COMMAND\n"
"                  [ARGS]\n"
"\n"
"commands:\n"
"  status                     database version, feeds, uptime\n"
"  stats [--top N]            port, worker, exporter and database counters,\n"
"                             the N indicators with the most hits (20; 0..1000)\n"
"  load FEED [--name NAME] [--format F] [--allow-shrink]\n"
"                             replace feed NAME (default: FEED's base name\n"
"                             without extension) with the indicators of the\n"
"                             file FEED (\"-\": stdin, then --name is needed);\n"
"                             F: auto csv plain stix misp-csv misp-json zeek\n"
"                             suricata-{string,md5,sha256,ipv4,ipv6};\n"
"                             a feed of 0 indicators, or one that keeps less\n"
"                             than shrink_percent of the feed it replaces, is\n"
"                             refused without --allow-shrink\n"
"  add TYPE VALUE [--tags T] [--expires E] [--severity S] [--feed F]\n"
"                             add one indicator (feed \"cli\" by default)\n"
"  del TYPE VALUE             delete an indicator from every feed; no later\n"
"                             load brings it back (an override)\n"
"  undel TYPE VALUE           lift that override: the next load of a feed\n"
"                             that has the indicator brings it back\n"
"  list [--type T] [--feed F] [--limit N|all]\n"
"                             list indicators (at most N, default 1000),\n"
"                             fetched in pages of 10000 of one version;\n"
"                             --overrides lists what del took out for good\n"
"  test TEXT                  which indicators TEXT would hit\n"
"  rollback                   make the previous database version active\n"
"  hunt [--since D] (TYPE VALUE | --feed FILE [--format F])\n"
"                             search the on-box history (the last D: 24h,\n"
"                             90m, ...; default all of it) for an indicator\n"
"                             or a feed file's; past hits go to the sinks\n"
"                             as retrospective events; waits, then prints a\n"
"                             summary (exit 0: hits, 1: none)\n"
"  export [--format F]        write the block lists of the active version\n"
"                             now and list them; F: nftables squid rpz\n"
"                             hosts suricata csv (default: those configured)\n"
"  version                    daemon, protocol and library versions\n"
"\n"
"options:\n"
"  -s, --socket PATH          control socket (default: $IOCSIFT_SOCKET, else\n"
"                             " CTL_DEFAULT_SOCKET ")\n"
"      --fleet URI            load, add, del, undel: publish the change to\n"
"                             every appliance of the fleet on NATS\n"
"                             JetStream (nats://HOST[:PORT][?PARAMS], as a\n"
"                             nats:// sink's: TLS, creds...); status: every\n"
"                             appliance's revision, lag and last error\n"
"      --json                 print the reply's result as one JSON line\n"
"      --timeout SEC          give up after SEC seconds (60; load: 600)\n"
"  -h, --help                 this text\n"
"\n"
"exit status: 0 done (test: a hit), 1 test found no hit, 2 usage or local\n"
"error, 3 the daemon refused the request, 4 the daemon could not be\n"
"reached, did not answer in time or sent a broken reply\n");
}


/* Checks a reply line: EXIT_OK with *reply (owned) and *result (in it),
 * else the exit status, its reason printed. */
static int
reply_check(const char *text, size_t len, json_t **reply_out,
	    const json_t **result_out)
{
	json_error_t jerr;
	json_t *reply = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *v, *id, *ok, *error, *result;

	if (reply == NULL) {
		ctl_fail("broken reply from the daemon: %s", jerr.text);
		return EXIT_UNREACHABLE;
	}
	v = json_object_get(reply, "v");
	id = json_object_get(reply, "id");
	ok = json_object_get(reply, "ok");
	error = json_object_get(reply, "error");
	result = json_object_get(reply, "result");
	if (!json_is_object(reply) || !json_is_boolean(ok)) {
		ctl_fail("broken reply from the daemon: no \"ok\"");
		goto broken;
	}
	if (id != NULL && (!json_is_integer(id) ||
			   json_integer_value(id) != REQUEST_ID)) {
		ctl_fail("broken reply from the daemon: it answers another request");
		goto broken;
	}
	if (json_is_false(ok)) {
		const char *code = json_string_value(json_object_get(error,
								     "code"));
		const char *msg = json_string_value(json_object_get(error,
								    "message"));
		char *safe_code, *safe_msg;

		if (code == NULL || msg == NULL) {
			ctl_fail("broken reply from the daemon: an error without "
			     "code or message");
			goto broken;
		}
		safe_code = ctl_term_safe(code);
		safe_msg = ctl_term_safe(msg);
		ctl_fail("%s: %s", safe_code != NULL ? safe_code : code,
		     safe_msg != NULL ? safe_msg : "");
		free(safe_code);
		free(safe_msg);
		json_decref(reply);
		return EXIT_REFUSED;
	}
	if (!json_is_integer(v) || json_integer_value(v) != CTL_PROTOCOL_VERSION) {
		ctl_fail("broken reply from the daemon: protocol version is not %d",
		     CTL_PROTOCOL_VERSION);
		goto broken;
	}
	if (!json_is_object(result)) {
		ctl_fail("broken reply from the daemon: no result object");
		goto broken;
	}
	*reply_out = reply;
	*result_out = result;
	return EXIT_OK;
broken:
	json_decref(reply);
	return EXIT_UNREACHABLE;
}

/* Prints a reply's result. Returns the exit status. */
static int
result_print(const json_t *result, const struct command *c,
	     const char *const *args, const struct options *o)
{
	if (!o->json)
		return ctl_render(c->cmd, result, args, o);
	if (json_dumpf(result, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER |
		       JSON_REAL_PRECISION(15)) != 0) {
		ctl_fail("writing the result: %s", strerror(errno));
		return EXIT_USAGE;
	}
	putchar('\n');
	if (c->cmd == CTL_CMD_TEST &&
	    json_array_size(json_object_get(result, "hits")) == 0)
		return EXIT_NO_HIT;
	return EXIT_OK;
}

/* A connection for the command, its failure printed: the fd, or -(exit
 * status). */
static int
connect_daemon(const struct options *o, double timeout)
{
	int64_t deadline = (int64_t)monotonic_ms() + (int64_t)(timeout * 1000.0);
	int fd = ctl_client_connect(o->socket, deadline);

	if (fd == -ENAMETOOLONG) {
		ctl_fail("%s: socket path too long", o->socket);
		return -EXIT_USAGE;
	}
	if (fd < 0) {
		ctl_fail("cannot connect to %s: %s%s", o->socket, strerror(-fd),
		     fd == -ENOENT || fd == -ECONNREFUSED ?
		     " (is iocsift running?)" : "");
		return -EXIT_UNREACHABLE;
	}
	return fd;
}

/* Sends req over fd and checks its reply: EXIT_OK with *reply (owned)
 * and *result, else the exit status, its reason printed. */
static int
exchange(int fd, const json_t *req, enum ctl_command cmd,
	 const struct options *o, double timeout, json_t **reply,
	 const json_t **result)
{
	struct ctl_exchange x;
	size_t len, max;
	char *line = json_line(req, &len);
	int rc;
	/* A load on a terminal says how it goes once it takes a while. */
	struct ctl_load_progress load = { .socket = o->socket };
	const struct ctl_progress progress = {
		.fn = ctl_load_progress, .arg = &load,
		.first_ms = PROGRESS_AFTER_MS, .every_ms = PROGRESS_EVERY_MS,
	};
	bool show = cmd == CTL_CMD_LOAD && isatty(STDERR_FILENO);

	if (line == NULL) {
		ctl_fail("out of memory building the request");
		return EXIT_USAGE;
	}
	max = cmd == CTL_CMD_LOAD ? CTL_LOAD_REQUEST_MAX : CTL_REQUEST_MAX;
	if (len - 1 > max) {
		ctl_fail("the request would be %zu bytes, more than the daemon "
		     "takes (%zu)%s", len - 1, max, cmd == CTL_CMD_LOAD ?
		     "; split the feed" : "");
		free(line);
		return EXIT_USAGE;
	}
	rc = ctl_client_exchange(fd, line, len, (int64_t)monotonic_ms() +
				 (int64_t)(timeout * 1000.0),
				 show ? &progress : NULL, &x);
	ctl_load_progress_end(&load);
	free(line);
	switch (rc) {
	case 0:
		break;
	case -ETIMEDOUT:
		ctl_fail("no reply from %s within %g s", o->socket, timeout);
		return EXIT_UNREACHABLE;
	case -EMSGSIZE:
		ctl_fail("broken reply from the daemon: longer than %u MiB",
		     REPLY_MAX >> 20);
		return EXIT_UNREACHABLE;
	case -ECONNRESET:
		ctl_fail("the daemon closed the connection %s",
		     x.send_failed ? "before taking the whole request" :
		     "without a reply");
		return EXIT_UNREACHABLE;
	case -ENOMEM:
		ctl_fail("out of memory reading the reply");
		return EXIT_UNREACHABLE;
	default:
		ctl_fail("talking to %s: %s", o->socket, strerror(-rc));
		return EXIT_UNREACHABLE;
	}
	rc = reply_check(x.reply, x.reply_len, reply, result);
	free(x.reply);
	return rc;
}

#define HUNT_POLL_MS 250

/* A hunt: queued, then asked about until it ends; the progress on a
 * terminal, the summary at the end. */
static int
hunt_run(int fd, json_t *req, const struct command *c,
	 const char *const *args, const struct options *o, double timeout)
{
	json_t *reply, *ask;
	const json_t *result;
	int rc = exchange(fd, req, CTL_CMD_HUNT, o, timeout, &reply, &result);
	bool tty = isatty(STDERR_FILENO) && !o->json;

	if (rc != EXIT_OK)
		return rc;
	json_int_t id = json_integer_value(json_object_get(result, "hunt"));
	json_decref(reply);
	ask = json_pack("{s:s, s:i, s:i, s:I}", "cmd", "hunt", "v",
			CTL_PROTOCOL_VERSION, "id", REQUEST_ID, "hunt", id);
	if (ask == NULL) {
		ctl_fail("out of memory building the request");
		return EXIT_USAGE;
	}
	for (;;) {
		rc = exchange(fd, ask, CTL_CMD_HUNT, o, timeout, &reply,
			      &result);
		if (rc != EXIT_OK)
			break;
		const char *state = json_string_value(json_object_get(result,
								      "state"));
		bool over = state == NULL || (strcmp(state, "queued") != 0 &&
					      strcmp(state, "running") != 0);
		if (tty && !over)
			fprintf(stderr, "\r\033[K%s: hunt %lld: %s, %lld blocks "
				"seen, %lld opened, %lld hits, %.1f s", ctl_prog,
				(long long)id, state, (long long)
				json_integer_value(json_object_get(result,
								   "blocks")),
				(long long)json_integer_value(json_object_get(
					result, "blocks_opened")),
				(long long)json_integer_value(json_object_get(
					result, "hits")),
				json_real_value(json_object_get(result,
								"seconds")));
		if (over) {
			if (tty)
				fputs("\r\033[K", stderr);
			rc = result_print(result, c, args, o);
			json_decref(reply);
			break;
		}
		json_decref(reply);
		struct timespec pause = { 0, HUNT_POLL_MS * 1000000L };
		nanosleep(&pause, NULL);
	}
	json_decref(ask);
	return rc;
}

/* A listing: page after page of one version, each printed as it comes,
 * until --limit rows or the last page. */
static int
list_run(int fd, json_t *req, const struct options *o, double timeout)
{
	struct ctl_list_output out;
	long long want = CTL_LIST_LIMIT_DEFAULT;
	int rc = EXIT_OK;

	if (o->limit != NULL && strcmp(o->limit, "all") == 0)
		want = LLONG_MAX;
	else if (o->limit != NULL)
		ctl_parse_int(o->limit, 1, LLONG_MAX, &want);  /* checked */
	ctl_list_output_start(&out, o->json);
	for (;;) {
		json_t *reply;
		const json_t *result;
		long long left = want - (long long)out.shown;

		json_object_set_new(req, "limit", json_integer(
			left < CTL_LIST_PAGE_ROWS ? left : CTL_LIST_PAGE_ROWS));
		rc = exchange(fd, req, CTL_CMD_LIST, o, timeout, &reply,
			      &result);
		if (rc != EXIT_OK)
			break;
		rc = ctl_list_output_page(&out, result);
		const json_t *next = json_object_get(result, "next");
		bool more = json_is_integer(next) &&
			    (long long)out.shown < want;
		if (more && out.shown == json_array_size(json_object_get(
				result, "indicators"))) {
			/* The rest come from the version of the first, in
			 * its layout. */
			json_object_set_new(req, "version", json_integer(
				json_integer_value(json_object_get(
					result, "db_version"))));
			json_object_set_new(req, "layout", json_integer(
				json_integer_value(json_object_get(
					result, "layout"))));
		}
		if (more)
			json_object_set_new(req, "from", json_integer(
				json_integer_value(next)));
		json_decref(reply);
		if (rc != EXIT_OK || !more)
			break;
	}
	int end = ctl_list_output_end(&out, rc == EXIT_OK);
	return rc != EXIT_OK ? rc : end;
}

/* An export's reply is a ticket: status says when the block-list thread
 * has written it. Waits for that, then prints the files (the exports
 * object of status, with "failed" when this write went wrong). */
static int
export_run(int fd, json_t *req, const struct command *c,
	   const struct options *o, double timeout)
{
	json_t *reply, *status_req = json_pack("{s:s, s:i, s:i}", "cmd",
					       "status", "v",
					       CTL_PROTOCOL_VERSION, "id",
					       REQUEST_ID);
	const json_t *result;
	int64_t deadline = (int64_t)monotonic_ms() +
			   (int64_t)(timeout * 1000.0);
	int rc;

	if (status_req == NULL) {
		ctl_fail("out of memory building the request");
		return EXIT_USAGE;
	}
	rc = exchange(fd, req, CTL_CMD_EXPORT, o, timeout, &reply, &result);
	if (rc != EXIT_OK) {
		json_decref(status_req);
		return rc;
	}
	json_int_t ticket = json_integer_value(json_object_get(result,
								"request"));
	json_int_t version = json_integer_value(json_object_get(result,
								 "db_version"));
	json_int_t errors = json_integer_value(json_object_get(result,
								"errors"));
	json_t *formats = json_incref(json_object_get(result, "formats"));
	json_decref(reply);
	for (;;) {
		rc = exchange(fd, status_req, CTL_CMD_STATUS, o, timeout, &reply,
			      &result);
		if (rc != EXIT_OK)
			break;
		json_t *x = json_object_get(result, "exports");
		if (json_integer_value(json_object_get(x, "requests_done")) >=
		    ticket) {
			bool failed = json_integer_value(json_object_get(
				x, "errors")) > errors;
			json_t *files = json_object_get(x, "files");
			const char *name;
			json_t *e, *tmp;

			/* Only the files of the formats asked for. */
			json_object_foreach_safe(files, tmp, name, e) {
				bool asked = false;
				size_t i;
				json_t *f;

				json_array_foreach(formats, i, f)
					asked |= json_equal(f, json_object_get(
						e, "format"));
				if (!asked || json_integer_value(json_object_get(
					    e, "version")) < version)
					json_object_del(files, name);
			}
			json_object_set_new(x, "failed", json_boolean(failed));
			json_object_set_new(x, "request", json_integer(ticket));
			rc = result_print(x, c, NULL, o);
			json_decref(reply);
			break;
		}
		json_decref(reply);
		if ((int64_t)monotonic_ms() >= deadline) {
			ctl_fail("the export was not written within %g s",
				 timeout);
			rc = EXIT_UNREACHABLE;
			break;
		}
		poll(NULL, 0, EXPORT_POLL_MS);
	}
	json_decref(formats);
	json_decref(status_req);
	return rc;
}

static int
run(const struct command *c, const char *const *args, const struct options *o)
{
	json_t *req = NULL, *reply;
	const json_t *result;
	int rc, fd;
	double timeout = o->timeout > 0 ? o->timeout :
			 c->cmd == CTL_CMD_LOAD ? TIMEOUT_LOAD : TIMEOUT_DEFAULT;

	rc = ctl_build_request(c, args, o, &req);
	if (rc != EXIT_OK)
		return rc;
	if (o->fleet != NULL) {
		rc = ctl_fleet_run(c, req, o);
		json_decref(req);
		return rc;
	}
	fd = connect_daemon(o, timeout);
	if (fd < 0) {
		json_decref(req);
		return -fd;
	}
	if (c->cmd == CTL_CMD_LIST && !o->overrides) {
		rc = list_run(fd, req, o, timeout);
	} else if (c->cmd == CTL_CMD_HUNT) {
		rc = hunt_run(fd, req, c, args, o, timeout);
	} else if (c->cmd == CTL_CMD_EXPORT) {
		rc = export_run(fd, req, c, o, timeout);
	} else {
		rc = exchange(fd, req, c->cmd, o, timeout, &reply, &result);
		if (rc == EXIT_OK) {
			rc = result_print(result, c, args, o);
			json_decref(reply);
		}
	}
	close(fd);
	json_decref(req);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	const struct command *c = NULL;
	const char *env = getenv("IOCSIFT_SOCKET");
	int opt, rc;

	o.socket = env != NULL && env[0] != '\0' ? env : CTL_DEFAULT_SOCKET;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:h", ctl_long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_FLEET:
			o.fleet = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;

			errno = 0;
			o.timeout = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o.timeout > 0) || o.timeout > 1e6)
				return ctl_usage_error("--timeout: '%s' is not a "
						   "number of seconds", optarg);
			break;
		}
		case OPT_TOP:
		case OPT_NAME:
		case OPT_FORMAT:
		case OPT_TAGS:
		case OPT_EXPIRES:
		case OPT_SEVERITY:
		case OPT_FEED:
		case OPT_TYPE:
		case OPT_LIMIT:
		case OPT_SINCE:
			o.seen[opt] = optarg;
			break;
		case OPT_ALLOW_SHRINK:
		case OPT_OVERRIDES:
			o.seen[opt] = "";
			break;
		case ':':
			return ctl_usage_error("%s needs a value", argv[optind - 1]);
		default:
			if (optopt != 0)
				return ctl_usage_error("unknown option -%c", optopt);
			return ctl_usage_error("unknown option %s",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ctl_usage_error("no command given");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			c = &commands[i];
	if (c == NULL)
		return ctl_usage_error("unknown command '%s'", argv[optind]);

	int nargs = argc - optind - 1;

	if (nargs < c->min_args || nargs > c->max_args)
		return ctl_usage_error("%s takes %d argument%s, not %d", c->name,
				   c->max_args, c->max_args == 1 ? "" : "s",
				   nargs);
	for (int id = OPT_TOP; id <= OPT_SINCE; id++) {
		bool allowed = false;

		if (o.seen[id] == NULL)
			continue;
		for (const int *a = c->opts; *a != 0; a++)
			allowed |= *a == id;
		if (!allowed)
			return ctl_usage_error("--%s does not apply to %s",
					   ctl_opt_name(id), c->name);
	}
	o.top = o.seen[OPT_TOP];
	o.name = o.seen[OPT_NAME];
	o.format = o.seen[OPT_FORMAT];
	o.tags = o.seen[OPT_TAGS];
	o.expires = o.seen[OPT_EXPIRES];
	o.severity = o.seen[OPT_SEVERITY];
	o.feed = o.seen[OPT_FEED];
	o.type = o.seen[OPT_TYPE];
	o.limit = o.seen[OPT_LIMIT];
	o.since = o.seen[OPT_SINCE];
	o.allow_shrink = o.seen[OPT_ALLOW_SHRINK] != NULL;
	o.overrides = o.seen[OPT_OVERRIDES] != NULL;

	rc = run(c, (const char *const *)&argv[optind + 1], &o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_fail("writing the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return rc;
}

