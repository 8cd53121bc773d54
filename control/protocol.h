/* protocol.h -- control protocol v1, shared by the daemon and iocsiftctl. */
#ifndef IOCSIFT_CONTROL_PROTOCOL_H
#define IOCSIFT_CONTROL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

#define CTL_PROTOCOL_VERSION 1
#define CTL_REQUEST_MAX (1u << 20)         /* one request line, without "\n" */
#define CTL_LOAD_REQUEST_MAX (256u << 20)  /* a "load" request line */
#define CTL_LIMIT_PREFIX 4096              /* where ctl_request_limit() looks */
#define CTL_FEED_NAME_MAX 128
#define CTL_TEST_TEXT_MAX (64u << 10)      /* bytes of "text" in a test */
#define CTL_STATS_TOP_DEFAULT 20
#define CTL_STATS_TOP_MAX 1000
#define CTL_LIST_LIMIT_DEFAULT 1000
#define CTL_LIST_LIMIT_MAX 1000000
#define CTL_LIST_PAGE_ROWS 10000             /* rows in one list reply */
#define CTL_HUNT_SINCE_MAX (100LL * 366 * 86400)
#define CTL_DEFAULT_SOCKET "/run/iocsift/control.sock"

/* Commands are added, never renamed or reused. */
enum ctl_command {
	CTL_CMD_STATUS,
	CTL_CMD_VERSION,
	CTL_CMD_STATS,
	CTL_CMD_LOAD,
	CTL_CMD_ADD,
	CTL_CMD_DEL,
	CTL_CMD_LIST,
	CTL_CMD_TEST,
	CTL_CMD_ROLLBACK,
	CTL_CMD_UNDEL,
	CTL_CMD_HUNT,
	CTL_CMD_EXPORT,
};

/* Error codes ("code" of an error reply). */
#define CTL_ERR_BAD_REQUEST "bad_request"
#define CTL_ERR_UNSUPPORTED_VERSION "unsupported_version"
#define CTL_ERR_UNKNOWN_COMMAND "unknown_command"
#define CTL_ERR_TOO_LARGE "too_large"
#define CTL_ERR_INVALID_FEED "invalid_feed"
#define CTL_ERR_INVALID_INDICATOR "invalid_indicator"
#define CTL_ERR_NOT_FOUND "not_found"
#define CTL_ERR_EXISTS "exists"
#define CTL_ERR_NO_PREVIOUS "no_previous"
#define CTL_ERR_NOT_SAVED "not_saved"
#define CTL_ERR_WOULD_SHRINK "would_shrink"
#define CTL_ERR_CHANGED "changed"
#define CTL_ERR_NO_HISTORY "no_history"
#define CTL_ERR_BUSY "busy"
#define CTL_ERR_INTERNAL "internal"

/* A parsed, validated request. String pointers are NULL when the field is
 * absent (export's format too: every configured format), except the
 * defaults applied by the parser: format "auto" (load)
 * and feed "cli" (add). top is 20 unless given (stats), limit 1000 (list).
 * None of the strings contains a NUL byte. */
struct ctl_request {
	enum ctl_command cmd;
	bool has_id;
	int64_t id;
	json_t *json;        /* the parsed object, owned; the strings below
			      * point into it ("data"/"data_base64" are
			      * removed from it once decoded into data) */
	const char *name, *format, *type, *value, *tags, *expires, *severity,
		*feed, *text;
	unsigned char *data; /* load: the feed bytes (owned, malloc'd), may
			      * hold NUL bytes; data[data_len] is a NUL */
	size_t data_len;
	int64_t top, limit;
	int64_t version, from;  /* list: the page's version (0: active), id */
	int64_t layout;      /* list: the first page's layout (0: any) */
	bool overrides;      /* list: the overrides instead of indicators */
	bool allow_shrink;   /* load: a feed may shrink (see ctl_db_load_prepare) */
	int64_t since;       /* hunt: seconds back (0: the whole history) */
	int64_t hunt;        /* hunt: the id of one to report on (0: none) */
};

/* Parses one request line (no newline). 0, or -EINVAL (bad_request),
 * -E2BIG (too_large), -ENOTSUP (unsupported_version), -ENOENT
 * (unknown_command), -ENOMEM (internal), with err's message filled for
 * the reply (ctl_request_error_code() names the code). The line may be
 * up to ctl_request_limit() bytes. req is always safe to
 * ctl_request_release(), and has_id/id are set whenever the line had an
 * integer "id", so an error reply can echo it. */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		      struct error_detail *err);
void ctl_request_release(struct ctl_request *req);

/* The reply's error code (CTL_ERR_*) for what ctl_request_parse()
 * returned. */
const char *ctl_request_error_code(int rc);

/* How long a request line may be, from its first bytes: CTL_LOAD_REQUEST_MAX
 * when "cmd", optional whitespace, ':', optional whitespace, "load" appears
 * in the first CTL_LIMIT_PREFIX bytes (clients put "cmd" first), else
 * CTL_REQUEST_MAX. */
size_t ctl_request_limit(const char *prefix, size_t len);

/* Reply lines: a malloc'd NUL-terminated string ending in "\n", or NULL
 * (ENOMEM). result is stolen (decref'd, even on failure); NULL is {}. The
 * id of req is echoed when it has one; req may be NULL. */

char *ctl_reply_ok(const struct ctl_request *req, json_t *result);
char *ctl_reply_error(const struct ctl_request *req, const char *code,
		      const char *message);

/* 1..CTL_FEED_NAME_MAX characters of [A-Za-z0-9._-]. */
bool ctl_feed_name_valid(const char *name);

/* The command's name ("status", ...), or NULL for a value out of range. */
const char *ctl_command_name(enum ctl_command cmd);

#endif
