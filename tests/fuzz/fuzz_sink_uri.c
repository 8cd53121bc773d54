/* fuzz_sink_uri.c -- arbitrary bytes as a sink URI; a parsed config must
 * keep the promises sink.h makes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NUL-terminated inside its array; not empty when required. */
static void
check_string(const char *s, size_t size, bool required)
{
	size_t n = strnlen(s, size);

	if (n == size || (required && n == 0))
		abort();
}

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* A subject of [A-Za-z0-9_-] tokens between single dots (dots only if
 * dots), not empty: what NATS takes as a literal subject. */
static bool
subject_ok(const char *s, bool dots)
{
	if (s[0] == '\0' || s[0] == '.' || s[strlen(s) - 1] == '.')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.' && dots && p[1] != '.')
			continue;
		if (!name_char(*p) || *p == '.')
			return false;
	}
	return true;
}

/* The NATS fields: set only on NATS sinks, valid subjects, one way to
 * authenticate. */
static void
check_nats(const struct exp_sink_config *c)
{
	check_string(c->subject, sizeof(c->subject), c->kind == EXP_SINK_NATS);
	check_string(c->site, sizeof(c->site), false);
	check_string(c->stream, sizeof(c->stream), false);
	check_string(c->creds, sizeof(c->creds), false);
	check_string(c->nkey, sizeof(c->nkey), false);
	check_string(c->seed, sizeof(c->seed), false);
	check_string(c->user, sizeof(c->user), false);
	check_string(c->password_file, sizeof(c->password_file), false);
	if (c->kind != EXP_SINK_NATS) {
		if (c->subject[0] != '\0' || c->site[0] != '\0' ||
		    c->stream[0] != '\0' || c->nats_tls || c->creds[0] != '\0' ||
		    c->nkey[0] != '\0' || c->seed[0] != '\0' ||
		    c->user[0] != '\0' || c->password_file[0] != '\0')
			abort();
		return;
	}
	if (!subject_ok(c->subject, true) ||
	    strlen(c->subject) > EXP_SINK_SUBJECT_MAX ||
	    (c->site[0] != '\0' && !subject_ok(c->site, false)) ||
	    (c->stream[0] != '\0' && !subject_ok(c->stream, false)))
		abort();
	if ((c->nkey[0] != '\0') != (c->seed[0] != '\0') ||
	    (c->user[0] != '\0') != (c->password_file[0] != '\0') ||
	    (c->creds[0] != '\0') + (c->nkey[0] != '\0') +
	    (c->user[0] != '\0') > 1)
		abort();
	if (c->nkey[0] != '\0' && (strlen(c->nkey) != 56 || c->nkey[0] != 'U'))
		abort();
}

static void
check_config(const char *uri, const struct exp_sink_config *c)
{
	static const char *const formats[] = {
		"ecs", "rfc5424", "cef", "leef",
	};
	bool format_ok = false;

	check_string(c->uri, sizeof(c->uri), true);
	if (strcmp(c->uri, uri) != 0)
		abort();
	check_string(c->host, sizeof(c->host), c->kind != EXP_SINK_FILE);
	check_string(c->path, sizeof(c->path), c->kind == EXP_SINK_FILE);
	check_string(c->format, sizeof(c->format), true);
	check_string(c->ca, sizeof(c->ca), false);
	check_string(c->cert, sizeof(c->cert), false);
	check_string(c->key, sizeof(c->key), false);
	check_string(c->server_name, sizeof(c->server_name),
		     c->kind == EXP_SINK_TLS);
	check_string(c->name, sizeof(c->name), true);
	switch (c->kind) {
	case EXP_SINK_FILE:
		if (c->path[0] != '/' || c->path[strlen(c->path) - 1] == '/' ||
		    c->host[0] != '\0' || c->port != 0)
			abort();
		break;
	case EXP_SINK_UDP:
	case EXP_SINK_TCP:
	case EXP_SINK_TLS:
	case EXP_SINK_NATS:
		if (c->path[0] != '\0' || c->port == 0 || c->host[0] == '[' ||
		    strpbrk(c->host, "]/@?#&") != NULL)
			abort();
		break;
	default:
		abort();
	}
	/* TLS settings only on TLS and NATS sinks (a NATS sink with any of
	 * them has TLS on); cert and key together. */
	bool tls_given = c->ca[0] != '\0' || c->cert[0] != '\0' ||
		c->key[0] != '\0' || !c->verify || c->server_name[0] != '\0';
	if (c->kind != EXP_SINK_TLS && c->kind != EXP_SINK_NATS && tls_given)
		abort();
	if (c->kind == EXP_SINK_NATS && (c->ca[0] != '\0' ||
					  c->cert[0] != '\0') && !c->nats_tls)
		abort();
	check_nats(c);
	if ((c->cert[0] != '\0') != (c->key[0] != '\0'))
		abort();
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		format_ok = format_ok || strcmp(c->format, formats[i]) == 0;
	if (!format_ok)
		abort();
	if (c->type_mask >> PAT_TYPE_COUNT != 0)
		abort();
	if (c->n_feeds > EXP_SINK_FEEDS_MAX)
		abort();
	for (unsigned int i = 0; i < c->n_feeds; i++) {
		check_string(c->feeds[i], sizeof(c->feeds[i]), true);
		if (strchr(c->feeds[i], ',') != NULL)
			abort();
	}
	if (c->min_severity > PAT_SEVERITY_CRITICAL)
		abort();
	if (c->queue < 1 || c->queue > EXP_SINK_QUEUE_MAX ||
	    (c->spool_max != 0 && c->spool_max < EXP_SINK_SPOOL_MIN) ||
	    c->confirm_ms > EXP_SINK_CONFIRM_MAX_MS ||
	    c->backoff_max_ms < EXP_SINK_BACKOFF_MIN_MS ||
	    c->backoff_max_ms > EXP_SINK_BACKOFF_MAX_MS)
		abort();
	/* The name is a directory under the spool root. */
	if (c->name[0] == '.' || strlen(c->name) > EXP_SINK_NAME_MAX)
		abort();
	for (const char *p = c->name; *p != '\0'; p++) {
		if (!name_char(*p))
			abort();
	}
	/* Control characters never reach a path or a value. */
	for (const char *p = c->path; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exp_sink_config *cfg = malloc(sizeof(*cfg));
	char *uri = malloc(size + 1);
	struct error_detail err;

	if (cfg == NULL || uri == NULL)
		goto out;
	memcpy(uri, data, size);
	uri[size] = '\0';
	memset(&err, 'x', sizeof(err));
	int rc = exp_sink_parse_uri(uri, cfg, &err);
	if (rc == 0) {
		check_config(uri, cfg);
	} else {
		/* An error names the URI, says what, and ends inside err. */
		if (rc != -EINVAL ||
		    strnlen(err.where, sizeof(err.where)) == sizeof(err.where) ||
		    strnlen(err.message, sizeof(err.message)) ==
		    sizeof(err.message) || err.message[0] == '\0' ||
		    strncmp(err.where, "sink '", 6) != 0 || err.line != 0)
			abort();
		/* Without an error detail, the same answer. */
		if (exp_sink_parse_uri(uri, cfg, NULL) != -EINVAL)
			abort();
	}
out:
	free(uri);
	free(cfg);
	return 0;
}
