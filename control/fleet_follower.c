/* fleet_follower.c -- `iocsift run --fleet`: follows the fleet's stream
 * and applies each revision through the daemon's own control socket; see
 * fleet_follower.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <nats/nats.h>
#include <rte_log.h>

#include "ctl_client.h"
#include "fleet.h"
#include "fleet_follower.h"
#include "nats_connect.h"

RTE_LOG_REGISTER(ctl_logtype_fleet, iocsift.fleet, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, ctl_logtype_fleet, "fleet: " __VA_ARGS__)

#define FLEET_APPLY_TIMEOUT_MS (600 * 1000)  /* a load at 1M indicators */
#define FLEET_STATUS_TIMEOUT_MS 5000

struct fleet_follower {
	struct exp_sink_config cfg;
	char socket_path[4096];
	char state_path[4096];
	char url[300];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	/* The client: this thread's only. */
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	kvStore *kv;
	char password[EXP_NATS_PASSWORD_MAX + 1];
	uint64_t last_heartbeat_ms;
	/* What status shows: under lock. */
	uint64_t revision;           /* applied (or refused), saved */
	uint64_t last;               /* the stream's end, when last asked */
	uint64_t applied, failed;    /* revisions since the start */
	uint64_t error_revision;
	bool connected;
	char last_error[FLEET_WHY_MAX];
	char nats_error[FLEET_WHY_MAX];
};

int
fleet_follower_config(const char *uri, const char *hostname,
		      struct exp_sink_config *cfg, struct error_detail *err)
{
	if (exp_sink_parse_uri(uri, cfg, err) != 0)
		return -EINVAL;
	if (cfg->kind != EXP_SINK_NATS) {
		error_detail_set(err, "", 0, "'%s' is not a nats:// URI",
				 cfg->uri);
		return -EINVAL;
	}
	exp_sink_nats_default_site(cfg, hostname);
	return 0;
}

/* The revision saved by an earlier run, 0 when none. */
static int
state_read(const char *path, uint64_t *revision)
{
	FILE *f = fopen(path, "re");
	unsigned long long v;

	*revision = 0;
	if (f == NULL)
		return errno == ENOENT ? 0 : -errno;
	int n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1)
		return -EINVAL;
	*revision = v;
	return 0;
}

/* Writes the revision: a temporary file, fsync, rename. */
static int
state_write(const char *path, uint64_t revision)
{
	char tmp[4200];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (dprintf(fd, "%" PRIu64 "\n", revision) < 0 || fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* One request line to the daemon's socket: its reply parsed, or NULL
 * with why. */
static json_t *
local_exchange(struct fleet_follower *f, const char *line, size_t len,
	       unsigned int timeout_ms, char *why, size_t size)
{
	int64_t deadline = (int64_t)monotonic_ms() + timeout_ms;
	struct ctl_exchange x = { 0 };
	char *framed = malloc(len + 1);
	json_t *reply = NULL;
	int fd, rc;

	if (framed == NULL) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	memcpy(framed, line, len);
	framed[len] = '\n';
	fd = ctl_client_connect(f->socket_path, deadline);
	if (fd < 0) {
		snprintf(why, size, "the control socket %.300s: %s",
			 f->socket_path, strerror(-fd));
		free(framed);
		return NULL;
	}
	rc = ctl_client_exchange(fd, framed, len + 1, deadline, NULL, &x);
	close(fd);
	free(framed);
	if (rc != 0) {
		snprintf(why, size, "the control socket %.300s: %s",
			 f->socket_path, strerror(-rc));
		return NULL;
	}
	reply = json_loadb(x.reply, x.reply_len, 0, NULL);
	free(x.reply);
	if (!json_is_object(reply)) {
		json_decref(reply);
		snprintf(why, size, "the daemon's reply does not parse");
		return NULL;
	}
	return reply;
}

static void
note_error(struct fleet_follower *f, uint64_t revision, const char *text)
{
	pthread_mutex_lock(&f->lock);
	snprintf(f->last_error, sizeof(f->last_error), "%s", text);
	f->error_revision = revision;
	pthread_mutex_unlock(&f->lock);
}

/* Applies one change. 0 when it was applied or refused for good (both
 * move the revision on); -EAGAIN when the daemon could not be asked (it
 * is tried again). */
static int
apply_change(struct fleet_follower *f, uint64_t seq, const char *line,
	     size_t len)
{
	char cmd[16], why[FLEET_WHY_MAX], text[FLEET_WHY_MAX + 64];
	json_t *reply;

	if (!fleet_request_allowed(line, len, cmd)) {
		snprintf(text, sizeof(text), "revision %" PRIu64 ": '%s' is "
			 "not a change the fleet may make (load, add, del, "
			 "undel)", seq, cmd);
		LOG(ERR, "%s\n", text);
		note_error(f, seq, text);
		return 0;
	}
	reply = local_exchange(f, line, len, FLEET_APPLY_TIMEOUT_MS, why,
			       sizeof(why));
	if (reply == NULL) {
		LOG(WARNING, "revision %" PRIu64 " (%s): %s; trying again\n",
		    seq, cmd, why);
		return -EAGAIN;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		LOG(INFO, "revision %" PRIu64 " (%s) applied\n", seq, cmd);
		pthread_mutex_lock(&f->lock);
		f->applied++;
		pthread_mutex_unlock(&f->lock);
	} else {
		json_t *error = json_object_get(reply, "error");
		const char *code = json_string_value(json_object_get(error,
								     "code"));
		const char *message = json_string_value(
			json_object_get(error, "message"));
		snprintf(text, sizeof(text), "revision %" PRIu64 " (%s): %s: "
			 "%s", seq, cmd, code != NULL ? code : "error",
			 message != NULL ? message : "");
		LOG(ERR, "%s; the database stays as it was\n", text);
		note_error(f, seq, text);
		pthread_mutex_lock(&f->lock);
		f->failed++;
		pthread_mutex_unlock(&f->lock);
	}
	json_decref(reply);
	return 0;
}

/* The heartbeat: this appliance's revision, database and last error. */
static void
heartbeat(struct fleet_follower *f)
{
	static const char status_line[] = "{\"cmd\":\"status\",\"v\":1}";
	char why[FLEET_WHY_MAX];
	json_t *status = local_exchange(f, status_line, sizeof(status_line) - 1,
					FLEET_STATUS_TIMEOUT_MS, why,
					sizeof(why));
	json_t *result = json_object_get(status, "result");
	json_t *beat;
	char *text;

	if (f->kv == NULL) {
		jsErrCode jerr = 0;
		natsStatus s = js_KeyValue(&f->kv, f->js, FLEET_BUCKET);
		(void)jerr;
		if (s == NATS_NOT_FOUND) {
			kvConfig kc;
			kvConfig_Init(&kc);
			kc.Bucket = FLEET_BUCKET;
			kc.History = 1;
			s = js_CreateKeyValue(&f->kv, f->js, &kc);
		}
		if (s != NATS_OK) {
			exp_nats_why(why, sizeof(why), "the heartbeat bucket "
				     FLEET_BUCKET " on", f->url, s);
			pthread_mutex_lock(&f->lock);
			snprintf(f->nats_error, sizeof(f->nats_error), "%s",
				 why);
			pthread_mutex_unlock(&f->lock);
			f->kv = NULL;
			json_decref(status);
			return;
		}
	}
	/* What status shows of the follower, and when, and the database. */
	beat = fleet_follower_json(f);
	if (json_is_object(beat)) {
		json_object_set_new(beat, "time_ms", json_integer(
			(json_int_t)(realtime_ns() / 1000000)));
		json_object_set_new(beat, "program",
				    json_string("iocsift " IOCSIFT_VERSION));
	}
	if (json_is_object(beat) && json_is_object(result)) {
		json_object_set(beat, "db_version",
				json_object_get(result, "db_version"));
		json_object_set(beat, "indicators",
				json_object_get(result, "indicators"));
	}
	text = json_is_object(beat) ? json_dumps(beat, JSON_COMPACT) : NULL;
	if (text != NULL) {
		natsStatus s = kvStore_PutString(NULL, f->kv, f->cfg.site, text);
		if (s != NATS_OK) {
			exp_nats_why(why, sizeof(why), "the heartbeat on",
				     f->url, s);
			pthread_mutex_lock(&f->lock);
			snprintf(f->nats_error, sizeof(f->nats_error), "%s",
				 why);
			pthread_mutex_unlock(&f->lock);
		}
	}
	free(text);
	json_decref(beat);
	json_decref(status);
	f->last_heartbeat_ms = monotonic_ms();
}

/* Applies every revision after the saved one, up to the stream's end.
 * 0, or -errno when NATS or the daemon failed (tried again later). */
static int
catch_up(struct fleet_follower *f)
{
	char why[FLEET_WHY_MAX];
	uint64_t last, revision;
	int rc = fleet_last_revision(f->js, &last, why, sizeof(why));

	if (rc != 0)
		goto nats_failed;
	pthread_mutex_lock(&f->lock);
	f->last = last;
	revision = f->revision;
	pthread_mutex_unlock(&f->lock);
	while (revision < last) {
		uint64_t seq = revision + 1;
		char *line;
		size_t len;
		bool change = false;      /* not a chunk: worth a heartbeat */

		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (stop)
			return 0;
		rc = fleet_read_change(f->js, seq, &line, &len, why,
				       sizeof(why));
		if (rc == -EBADMSG) {
			LOG(ERR, "%s\n", why);
			note_error(f, seq, why);
			pthread_mutex_lock(&f->lock);
			f->failed++;
			pthread_mutex_unlock(&f->lock);
			change = true;
		} else if (rc != 0) {
			goto nats_failed;
		} else if (line != NULL) {
			change = true;
			rc = apply_change(f, seq, line, len);
			free(line);
			if (rc != 0)
				return rc;
		}
		rc = state_write(f->state_path, seq);
		if (rc != 0) {
			snprintf(why, sizeof(why), "writing %.300s: %s",
				 f->state_path, strerror(-rc));
			LOG(ERR, "%s\n", why);
			note_error(f, seq, why);
			return rc;
		}
		pthread_mutex_lock(&f->lock);
		f->revision = revision = seq;
		pthread_mutex_unlock(&f->lock);
		if (change)
			heartbeat(f);
	}
	if (revision > last && last > 0) {
		snprintf(why, sizeof(why), "the fleet's stream ends at revision "
			 "%" PRIu64 ", before this appliance's %" PRIu64
			 " (was it made again?)", last, revision);
		note_error(f, revision, why);
	}
	pthread_mutex_lock(&f->lock);
	f->nats_error[0] = '\0';
	pthread_mutex_unlock(&f->lock);
	return 0;
nats_failed:
	pthread_mutex_lock(&f->lock);
	snprintf(f->nats_error, sizeof(f->nats_error), "%s", why);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static void *
follower_main(void *arg)
{
	struct fleet_follower *f = arg;
	natsStatus s;

	/* Connects in the background (and again after every loss). */
	s = natsConnection_Connect(&f->nc, f->opts);
	if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
		char why[FLEET_WHY_MAX];
		exp_nats_why(why, sizeof(why), "connecting to", f->url, s);
		LOG(ERR, "%s; the fleet is not followed\n", why);
		pthread_mutex_lock(&f->lock);
		snprintf(f->nats_error, sizeof(f->nats_error), "%s", why);
		pthread_mutex_unlock(&f->lock);
		return NULL;
	}
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.Wait = 5000;
	s = natsConnection_JetStream(&f->js, f->nc, &jo);
	if (s != NATS_OK) {
		LOG(ERR, "JetStream: %s\n", natsStatus_GetText(s));
		return NULL;
	}
	bool was_connected = false;
	for (;;) {
		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (stop)
			break;
		bool connected = natsConnection_Status(f->nc) ==
			NATS_CONN_STATUS_CONNECTED;
		pthread_mutex_lock(&f->lock);
		f->connected = connected;
		pthread_mutex_unlock(&f->lock);
		if (connected != was_connected)
			LOG(INFO, "%s %s\n", connected ? "connected to" :
			    "lost", f->url);
		was_connected = connected;
		if (connected) {
			catch_up(f);
			if (monotonic_ms() - f->last_heartbeat_ms >=
			    FLEET_HEARTBEAT_MS)
				heartbeat(f);
		}
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += FLEET_POLL_MS * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&f->lock);
		if (!f->stop)
			pthread_cond_timedwait(&f->wake, &f->lock, &t);
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

struct fleet_follower *
fleet_follower_start(const struct exp_sink_config *cfg, const char *socket_path,
		     const char *state_dir, struct error_detail *err)
{
	struct fleet_follower *f = calloc(1, sizeof(*f));
	char name[EXP_SINK_SITE_MAX + 32];
	int rc;

	if (f == NULL) {
		error_detail_set(err, "fleet", 0, "out of memory");
		return NULL;
	}
	f->cfg = *cfg;
	snprintf(f->socket_path, sizeof(f->socket_path), "%s", socket_path);
	snprintf(f->state_path, sizeof(f->state_path), "%s/%s", state_dir,
		 FLEET_STATE_FILE);
	exp_nats_url(cfg, f->url, sizeof(f->url));
	rc = state_read(f->state_path, &f->revision);
	if (rc != 0) {
		error_detail_set(err, f->state_path, 0, "%s", rc == -EINVAL ?
				 "not a revision number" : strerror(-rc));
		free(f);
		return NULL;
	}
	snprintf(name, sizeof(name), "iocsift fleet %s", cfg->site);
	if (exp_nats_options_make(cfg, name, true, &f->opts, f->password,
				  err) != 0) {
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	rc = pthread_create(&f->thread, NULL, follower_main, f);
	if (rc != 0) {
		error_detail_set(err, "fleet", 0, "thread: %s", strerror(rc));
		natsOptions_Destroy(f->opts);
		free(f);
		return NULL;
	}
	pthread_setname_np(f->thread, "iocsift-fleet");
	LOG(INFO, "following %s as %s from revision %" PRIu64 "\n", f->url,
	    cfg->site, f->revision);
	return f;
}

json_t *
fleet_follower_json(struct fleet_follower *f)
{
	json_t *o;

	if (f == NULL)
		return json_null();
	pthread_mutex_lock(&f->lock);
	o = json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:s,s:I,s:s}",
		      "name", f->cfg.site, "url", f->url,
		      "connected", f->connected,
		      "revision", (json_int_t)f->revision,
		      "last", (json_int_t)f->last,
		      "applied", (json_int_t)f->applied,
		      "failed", (json_int_t)f->failed,
		      "last_error", f->last_error,
		      "error_revision", (json_int_t)f->error_revision,
		      "nats_error", f->nats_error);
	pthread_mutex_unlock(&f->lock);
	return o != NULL ? o : json_null();
}

void
fleet_follower_stop(struct fleet_follower *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	kvStore_Destroy(f->kv);
	jsCtx_Destroy(f->js);
	if (f->nc != NULL) {
		natsConnection_Close(f->nc);
		natsConnection_Destroy(f->nc);
	}
	natsOptions_Destroy(f->opts);
	explicit_bzero(f->password, sizeof(f->password));
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
