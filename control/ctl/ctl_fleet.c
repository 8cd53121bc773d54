/* ctl_fleet.c -- iocsiftctl --fleet URI: load, add, del and undel go to
 * the fleet's stream on NATS JetStream instead of one daemon's socket
 * (the same request, fleet.h), and status shows every appliance's
 * heartbeat. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <nats/nats.h>

#include "common.h"
#include "ctl_display.h"
#include "ctl_fleet.h"
#include "fleet.h"
#include "nats_connect.h"

struct fleet_client {
	struct exp_sink_config cfg;
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	char url[300];
	char password[EXP_NATS_PASSWORD_MAX + 1];
};

static void
client_close(struct fleet_client *c)
{
	jsCtx_Destroy(c->js);
	if (c->nc != NULL) {
		natsConnection_Close(c->nc);
		natsConnection_Destroy(c->nc);
	}
	natsOptions_Destroy(c->opts);
	explicit_bzero(c->password, sizeof(c->password));
	nats_Close();
}

/* Connects: EXIT_OK, EXIT_USAGE (the URI or its files), or
 * EXIT_UNREACHABLE. */
static int
client_open(struct fleet_client *c, const char *uri, double timeout)
{
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX], why[FLEET_WHY_MAX];
	jsOptions jo;
	natsStatus s;

	if (exp_sink_parse_uri(uri, &c->cfg, &err) != 0) {
		ctl_fail("--fleet: %s", error_detail_format(&err, text,
							    sizeof(text)));
		return EXIT_USAGE;
	}
	if (c->cfg.kind != EXP_SINK_NATS) {
		ctl_fail("--fleet: '%s' is not a nats:// URI", uri);
		return EXIT_USAGE;
	}
	exp_nats_url(&c->cfg, c->url, sizeof(c->url));
	if (exp_nats_options_make(&c->cfg, "iocsiftctl", false, &c->opts,
				  c->password, &err) != 0) {
		ctl_fail("--fleet: %s", error_detail_format(&err, text,
							    sizeof(text)));
		return EXIT_USAGE;
	}
	s = natsConnection_Connect(&c->nc, c->opts);
	if (s != NATS_OK) {
		exp_nats_why(why, sizeof(why), "connecting to", c->url, s);
		ctl_fail("%s", why);
		c->nc = NULL;
		return EXIT_UNREACHABLE;
	}
	jsOptions_Init(&jo);
	jo.Wait = (int64_t)(timeout * 1000.0);
	s = natsConnection_JetStream(&c->js, c->nc, &jo);
	if (s != NATS_OK) {
		exp_nats_why(why, sizeof(why), "JetStream on", c->url, s);
		ctl_fail("%s", why);
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

/* A change: the request iocsiftctl would send a daemon, published. */
static int
fleet_change(struct fleet_client *c, const struct command *cmd,
	     const json_t *req, const struct options *o)
{
	char why[FLEET_WHY_MAX];
	uint64_t revision;
	size_t len;
	char *line = json_line(req, &len);
	int rc;

	if (line == NULL) {
		ctl_fail("out of memory building the request");
		return EXIT_USAGE;
	}
	len--;                         /* the line without its "\n" */
	rc = fleet_stream_ensure(c->js, why, sizeof(why));
	if (rc == 0)
		rc = fleet_publish(c->js, line, len, &revision, why,
				   sizeof(why));
	free(line);
	if (rc != 0) {
		/* A refusal by the server (permissions) comes apart from the
		 * publish, which then times out: the connection has it. */
		const char *text = NULL;
		if (natsConnection_GetLastError(c->nc, &text) != NATS_OK &&
		    text != NULL && text[0] != '\0' && strstr(why, text) == NULL) {
			ctl_fail("%s: %s (the server said: %s)", c->url, why,
				 text);
			if (strstr(text, "Permissions Violation") != NULL)
				return EXIT_REFUSED;
		} else {
			ctl_fail("%s: %s", c->url, why);
		}
		return rc == -E2BIG ? EXIT_USAGE : EXIT_UNREACHABLE;
	}
	if (o->json)
		printf("{\"revision\":%" PRIu64 ",\"cmd\":\"%s\"}\n", revision,
		       cmd->name);
	else
		printf("%s published to the fleet as revision %" PRIu64 "\n",
		       cmd->name, revision);
	return EXIT_OK;
}

/* Every appliance's heartbeat, and the stream's end. */
static int
fleet_status(struct fleet_client *c, const struct options *o)
{
	char why[FLEET_WHY_MAX];
	uint64_t last = 0;
	kvStore *kv = NULL;
	kvKeysList keys = { 0 };
	json_t *appliances = json_array();
	natsStatus s;
	int rc = fleet_last_revision(c->js, &last, why, sizeof(why));

	if (rc != 0) {
		ctl_fail("%s: %s", c->url, why);
		json_decref(appliances);
		return EXIT_UNREACHABLE;
	}
	s = js_KeyValue(&kv, c->js, FLEET_BUCKET);
	if (s == NATS_OK)
		s = kvStore_Keys(&keys, kv, NULL);
	if (s != NATS_OK && s != NATS_NOT_FOUND) {
		exp_nats_why(why, sizeof(why), "the heartbeats on", c->url, s);
		ctl_fail("%s", why);
		kvStore_Destroy(kv);
		json_decref(appliances);
		return EXIT_UNREACHABLE;
	}
	int64_t now_ms = (int64_t)(realtime_ns() / 1000000);
	for (int i = 0; s == NATS_OK && i < keys.Count; i++) {
		kvEntry *e = NULL;
		if (kvStore_Get(&e, kv, keys.Keys[i]) != NATS_OK)
			continue;
		json_t *beat = json_loadb(kvEntry_Value(e),
					  (size_t)kvEntry_ValueLen(e), 0, NULL);
		kvEntry_Destroy(e);
		if (!json_is_object(beat)) {
			json_decref(beat);
			continue;
		}
		json_int_t revision = json_integer_value(
			json_object_get(beat, "revision"));
		json_int_t at = json_integer_value(json_object_get(beat,
								   "time_ms"));
		json_object_set_new(beat, "lag", json_integer(
			(json_int_t)last > revision ?
			(json_int_t)last - revision : 0));
		json_object_set_new(beat, "age_ms", json_integer(
			now_ms > at ? now_ms - at : 0));
		json_array_append_new(appliances, beat);
	}
	kvKeysList_Destroy(&keys);
	kvStore_Destroy(kv);
	if (o->json) {
		json_t *out = json_pack("{s:I,s:o}", "last", (json_int_t)last,
					"appliances", appliances);
		char *text = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
		if (text != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(out);
		return EXIT_OK;
	}
	printf("fleet %s: revision %" PRIu64 ", %zu appliances\n", c->url,
	       last, json_array_size(appliances));
	printf("%-20s %9s %5s %10s %11s %8s  %s\n", "APPLIANCE", "REVISION",
	       "LAG", "DB_VERSION", "INDICATORS", "SEEN", "LAST ERROR");
	size_t i;
	json_t *beat;
	json_array_foreach(appliances, i, beat) {
		char *name = ctl_term_safe(json_string_value(
			json_object_get(beat, "name")));
		char *error = ctl_term_safe(json_string_value(
			json_object_get(beat, "last_error")));
		printf("%-20s %9lld %5lld %10lld %11lld %7.1fs  %s\n",
		       name != NULL ? name : "?",
		       (long long)json_integer_value(json_object_get(beat,
								     "revision")),
		       (long long)json_integer_value(json_object_get(beat,
								     "lag")),
		       (long long)json_integer_value(json_object_get(beat,
								     "db_version")),
		       (long long)json_integer_value(json_object_get(beat,
								     "indicators")),
		       (double)json_integer_value(json_object_get(beat,
								  "age_ms")) / 1000.0,
		       error != NULL && error[0] != '\0' ? error : "-");
		free(name);
		free(error);
	}
	json_decref(appliances);
	return EXIT_OK;
}

int
ctl_fleet_run(const struct command *c, const json_t *req,
	      const struct options *o)
{
	struct fleet_client client = { 0 };
	double timeout = o->timeout > 0 ? o->timeout : TIMEOUT_DEFAULT;
	int rc;

	switch (c->cmd) {
	case CTL_CMD_LOAD:
	case CTL_CMD_ADD:
	case CTL_CMD_DEL:
	case CTL_CMD_UNDEL:
	case CTL_CMD_STATUS:
		break;
	default:
		return ctl_usage_error("--fleet takes load, add, del, undel and "
				       "status, not %s", c->name);
	}
	rc = client_open(&client, o->fleet, timeout);
	if (rc == EXIT_OK)
		rc = c->cmd == CTL_CMD_STATUS ? fleet_status(&client, o) :
			fleet_change(&client, c, req, o);
	client_close(&client);
	return rc;
}
