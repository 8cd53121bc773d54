/* ctl.h -- what the parts of iocsiftctl share: exit statuses, the
 * command table's types, options, and error messages. */
#ifndef IOCSIFT_CTL_H
#define IOCSIFT_CTL_H

#include <getopt.h>
#include <stdbool.h>

#include "ctl_client.h"
#include "protocol.h"


/* Exit statuses (docs/control-protocol.md). */
#define EXIT_OK 0
#define EXIT_NO_HIT 1
#define EXIT_USAGE 2
#define EXIT_REFUSED 3
#define EXIT_UNREACHABLE 4

#define REPLY_MAX CTL_CLIENT_REPLY_MAX
#define TIMEOUT_DEFAULT 60.0
#define TIMEOUT_LOAD 600.0
#define REQUEST_ID 1

enum opt_id {
	OPT_JSON = 256,
	OPT_TIMEOUT,
	OPT_TOP,
	OPT_NAME,
	OPT_FORMAT,
	OPT_TAGS,
	OPT_EXPIRES,
	OPT_SEVERITY,
	OPT_FEED,
	OPT_TYPE,
	OPT_LIMIT,
	OPT_ALLOW_SHRINK,
	OPT_OVERRIDES,
	OPT_SINCE,
	OPT_FLEET,
};

struct options {
	const char *socket;
	const char *fleet;       /* --fleet URI: NATS instead of the socket */
	bool json;
	double timeout;          /* seconds, 0: the command's default */
	const char *name, *format, *tags, *expires, *severity, *feed, *type;
	const char *top, *limit, *since;
	bool allow_shrink;
	bool overrides;
	const char *seen[OPT_SINCE + 1];   /* command options given, by id */
};

struct command {
	const char *name;
	enum ctl_command cmd;
	int min_args, max_args;
	const int *opts;         /* the command's own options, 0-terminated */
};

/* The program's name in messages. */
extern const char *const ctl_prog;

/* The long options, for getopt and for ctl_opt_name(). */
extern const struct option ctl_long_options[];

/* "iocsiftctl: MESSAGE" and the hint to --help on stderr. Returns
 * EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "iocsiftctl: MESSAGE" on stderr. */
void ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The long name of option id. */
const char *ctl_opt_name(int id);

/* A whole decimal integer in [min, max]. */
bool ctl_parse_int(const char *s, long long min, long long max,
		   long long *out);

#endif
