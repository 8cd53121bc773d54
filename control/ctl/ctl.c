/* ctl.c -- iocsiftctl's options and messages. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

const char *const ctl_prog = "iocsiftctl";

const struct option ctl_long_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "fleet", required_argument, NULL, OPT_FLEET },
	{ "help", no_argument, NULL, 'h' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "tags", required_argument, NULL, OPT_TAGS },
	{ "expires", required_argument, NULL, OPT_EXPIRES },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "feed", required_argument, NULL, OPT_FEED },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "allow-shrink", no_argument, NULL, OPT_ALLOW_SHRINK },
	{ "overrides", no_argument, NULL, OPT_OVERRIDES },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ NULL, 0, NULL, 0 },
};

/* "iocsiftctl: MESSAGE\n" on stderr. */
static void
vmessage(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", ctl_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "(see '%s --help')\n", ctl_prog);
	return EXIT_USAGE;
}

void
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

const char *
ctl_opt_name(int id)
{
	for (const struct option *o = ctl_long_options; o->name != NULL; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

bool
ctl_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

