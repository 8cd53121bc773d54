/* iocsiftctl.c -- the control client: one request, its reply as text or JSON. */
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

/* Exit statuses (docs/control-protocol.md). */
#define EXIT_OK 0
#define EXIT_NO_HIT 1
#define EXIT_USAGE 2
#define EXIT_REFUSED 3
#define EXIT_UNREACHABLE 4

#define REPLY_MAX (64u << 20)
#define TIMEOUT_DEFAULT 60.0
#define TIMEOUT_LOAD 600.0
#define REQUEST_ID 1

static const char *prog = "iocsiftctl";

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
};

struct options {
	const char *socket;
	bool json;
	double timeout;          /* seconds, 0: the command's default */
	const char *name, *format, *tags, *expires, *severity, *feed, *type;
	const char *top, *limit;
	const char *seen[OPT_LIMIT + 1];   /* command options given, by id */
};

struct command {
	const char *name;
	enum ctl_command cmd;
	int min_args, max_args;
	const int *opts;         /* the command's own options, 0-terminated */
};

static const int stats_opts[] = { OPT_TOP, 0 };
static const int load_opts[] = { OPT_NAME, OPT_FORMAT, 0 };
static const int add_opts[] = { OPT_TAGS, OPT_EXPIRES, OPT_SEVERITY, OPT_FEED, 0 };
static const int list_opts[] = { OPT_TYPE, OPT_FEED, OPT_LIMIT, 0 };
static const int no_opts[] = { 0 };

static const struct command commands[] = {
	{ "status", CTL_CMD_STATUS, 0, 0, no_opts },
	{ "stats", CTL_CMD_STATS, 0, 0, stats_opts },
	{ "load", CTL_CMD_LOAD, 1, 1, load_opts },
	{ "add", CTL_CMD_ADD, 2, 2, add_opts },
	{ "del", CTL_CMD_DEL, 2, 2, no_opts },
	{ "list", CTL_CMD_LIST, 0, 0, list_opts },
	{ "test", CTL_CMD_TEST, 1, 1, no_opts },
	{ "rollback", CTL_CMD_ROLLBACK, 0, 0, no_opts },
	{ "version", CTL_CMD_VERSION, 0, 0, no_opts },
};

static const struct option long_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
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
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *out)
{
	fprintf(out,
"usage: iocsiftctl [-s SOCKET] [--json] [--timeout SEC] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status                     database version, feeds, uptime\n"
"  stats [--top N]            port, worker, exporter and database counters,\n"
"                             the N indicators with the most hits (20; 0..1000)\n"
"  load FEED [--name NAME] [--format F]\n"
"                             replace feed NAME (default: FEED's base name\n"
"                             without extension) with the indicators of the\n"
"                             file FEED (\"-\": stdin, then --name is needed);\n"
"                             F: auto csv plain stix misp-csv misp-json zeek\n"
"                             suricata-{string,md5,sha256,ipv4,ipv6}\n"
"  add TYPE VALUE [--tags T] [--expires E] [--severity S] [--feed F]\n"
"                             add one indicator (feed \"cli\" by default)\n"
"  del TYPE VALUE             delete an indicator from every feed\n"
"  list [--type T] [--feed F] [--limit N]\n"
"                             list indicators (at most N, default 1000)\n"
"  test TEXT                  which indicators TEXT would hit\n"
"  rollback                   make the previous database version active\n"
"  version                    daemon, protocol and library versions\n"
"\n"
"options:\n"
"  -s, --socket PATH          control socket (default: $IOCSIFT_SOCKET, else\n"
"                             " CTL_DEFAULT_SOCKET ")\n"
"      --json                 print the reply's result as one JSON line\n"
"      --timeout SEC          give up after SEC seconds (60; load: 600)\n"
"  -h, --help                 this text\n"
"\n"
"exit status: 0 done (test: a hit), 1 test found no hit, 2 usage or local\n"
"error, 3 the daemon refused the request, 4 the daemon could not be\n"
"reached, did not answer in time or sent a broken reply\n");
}

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see '%s --help')\n", prog);
	return EXIT_USAGE;
}

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *
opt_name(int id)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

/* A whole decimal integer in [min, max]. */
static bool
parse_int(const char *s, long long min, long long max, long long *out)
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

/* ---- output helpers ------------------------------------------------------- */

/* Text from the daemon made safe for a terminal: C0 and C1 controls and
 * DEL as \xNN (\u00NN for C1). malloc'd, NULL on ENOMEM. */
static char *
term_safe(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 6 + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < n &&
			   (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			o += (size_t)sprintf(out + o, "\\u%04x",
					     (unsigned char)s[i + 1]);
			i++;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

/* Display width: code points (good enough for the names in tables). */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

#define TABLE_COLS_MAX 16

struct table {
	size_t ncols;
	const char *head[TABLE_COLS_MAX];   /* NULL head[0]: no header line */
	bool right[TABLE_COLS_MAX];         /* right-aligned (numbers) */
	char **cells;                       /* rows * ncols, term_safe'd */
	size_t rows, cap;
	bool failed;                        /* ENOMEM on the way */
};

static void
table_add(struct table *t, const char *const *cells)
{
	if (t->failed)
		return;
	if (t->rows == t->cap) {
		size_t cap = t->cap != 0 ? t->cap * 2 : 16;
		char **grown = realloc(t->cells,
				       cap * t->ncols * sizeof(*grown));

		if (grown == NULL) {
			t->failed = true;
			return;
		}
		t->cells = grown;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		char *s = term_safe(cells[c] != NULL ? cells[c] : "-");

		if (s == NULL) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[t->rows * t->ncols + k]);
			t->failed = true;
			return;
		}
		t->cells[t->rows * t->ncols + c] = s;
	}
	t->rows++;
}

static void
table_print_row(const struct table *t, const size_t *width,
		const char *const *cells)
{
	for (size_t c = 0; c < t->ncols; c++) {
		size_t pad = width[c] - text_width(cells[c]);
		bool last = c + 1 == t->ncols;

		if (t->right[c])
			printf("%*s%s", (int)pad, "", cells[c]);
		else if (last)
			fputs(cells[c], stdout);
		else
			printf("%s%*s", cells[c], (int)pad, "");
		fputs(last ? "\n" : "  ", stdout);
	}
}

/* Prints and frees the table. */
static void
table_flush(struct table *t)
{
	size_t width[TABLE_COLS_MAX] = { 0 };

	if (t->failed)
		fail("out of memory formatting the reply");
	for (size_t c = 0; c < t->ncols; c++) {
		if (t->head[0] != NULL)
			width[c] = text_width(t->head[c]);
		for (size_t r = 0; r < t->rows; r++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	if (t->head[0] != NULL && !t->failed)
		table_print_row(t, width, t->head);
	for (size_t r = 0; r < t->rows; r++) {
		if (!t->failed)
			table_print_row(t, width,
					(const char *const *)&t->cells[r * t->ncols]);
		for (size_t c = 0; c < t->ncols; c++)
			free(t->cells[r * t->ncols + c]);
	}
	free(t->cells);
	t->cells = NULL;
	t->rows = t->cap = 0;
}

/* Field formatting: "?" for what the reply does not have. The buffers
 * are the caller's, NUMBUF bytes. */
#define NUMBUF 48

static const char *
f_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "?";
}

static const char *
f_int(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return "?";
	snprintf(buf, NUMBUF, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return buf;
}

static const char *
f_real(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return "?";
	snprintf(buf, NUMBUF, "%.1f", json_number_value(v));
	return buf;
}

/* Microseconds as milliseconds with about three significant digits. */
static const char *
f_ms(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	double ms;
	size_t n;

	if (!json_is_number(v))
		return "? ms";
	ms = json_number_value(v) / 1000.0;
	if (ms >= 10000.0) {
		snprintf(buf, NUMBUF, "%.1f s", ms / 1000.0);
		return buf;
	}
	if (ms >= 100.0)
		snprintf(buf, NUMBUF, "%.0f", ms);
	else if (ms >= 10.0)
		snprintf(buf, NUMBUF, "%.1f", ms);
	else if (ms >= 1.0)
		snprintf(buf, NUMBUF, "%.2f", ms);
	else
		snprintf(buf, NUMBUF, "%.3f", ms);
	/* 0.900 -> 0.9, 2.00 -> 2 */
	n = strlen(buf);
	if (strchr(buf, '.') != NULL) {
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	snprintf(buf + n, NUMBUF - n, " ms");
	return buf;
}

static const char *
f_duration(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	long long s, d, h, m;
	int n = 0;

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return "?";
	s = json_integer_value(v);
	d = s / 86400;
	h = s / 3600 % 24;
	m = s / 60 % 60;
	s %= 60;
	buf[0] = '\0';
	if (d > 0)
		n += snprintf(buf + n, NUMBUF - (size_t)n, "%lldd ", d);
	if (d > 0 || h > 0)
		n += snprintf(buf + n, NUMBUF - (size_t)n, "%lldh ", h);
	if (d > 0 || h > 0 || m > 0)
		n += snprintf(buf + n, NUMBUF - (size_t)n, "%lldm ", m);
	snprintf(buf + n, NUMBUF - (size_t)n, "%llds", s);
	return buf;
}

/* One line of text from the daemon, made terminal-safe. */
static void
print_safe(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
print_safe(const char *fmt, ...)
{
	va_list ap;
	char *line = NULL, *safe;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line == NULL || (safe = term_safe(line)) == NULL) {
		free(line);
		fail("out of memory formatting the reply");
		return;
	}
	puts(safe);
	free(safe);
	free(line);
}

/* ---- rendering of each result --------------------------------------------- */

static int
render_status(const json_t *r)
{
	char b[6][NUMBUF];
	struct table kv = { .ncols = 2 };
	const json_t *feeds = json_object_get(r, "feeds");
	const json_t *feed;
	size_t i;
	char line[128];

	snprintf(line, sizeof(line), "%s (%s in the delta)",
		 f_int(b[0], r, "indicators"), f_int(b[1], r, "delta"));
	table_add(&kv, (const char *const[]){ "program", f_str(r, "program") });
	table_add(&kv, (const char *const[]){ "db version",
					      f_int(b[2], r, "db_version") });
	table_add(&kv, (const char *const[]){ "indicators", line });
	table_add(&kv, (const char *const[]){ "uptime",
					      f_duration(b[3], r, "uptime_seconds") });
	table_add(&kv, (const char *const[]){ "workers",
					      f_int(b[4], r, "workers") });
	table_add(&kv, (const char *const[]){ "ports", f_int(b[5], r, "ports") });
	snprintf(line, sizeof(line), "%s (last %s)", f_int(b[0], r, "swaps"),
		 f_ms(b[1], r, "last_swap_us"));
	table_add(&kv, (const char *const[]){ "swaps", line });
	table_add(&kv, (const char *const[]){ "state dir",
					      f_str(r, "state_dir") });
	table_flush(&kv);

	if (!json_is_array(feeds))
		return EXIT_OK;
	putchar('\n');
	if (json_array_size(feeds) == 0) {
		puts("no feeds loaded");
		return EXIT_OK;
	}
	struct table t = { .ncols = 2, .head = { "FEED", "INDICATORS" },
			   .right = { false, true } };

	json_array_foreach(feeds, i, feed)
		table_add(&t, (const char *const[]){ f_str(feed, "name"),
			  f_int(b[0], feed, "indicators") });
	table_flush(&t);
	return EXIT_OK;
}

static int
render_version(const json_t *r)
{
	char b[2][NUMBUF], proto[96];
	struct table kv = { .ncols = 2 };

	snprintf(proto, sizeof(proto), "%s (iocsiftctl speaks %d)",
		 f_int(b[0], r, "protocol"), CTL_PROTOCOL_VERSION);
	table_add(&kv, (const char *const[]){ "program", f_str(r, "program") });
	table_add(&kv, (const char *const[]){ "protocol", proto });
	table_add(&kv, (const char *const[]){ "db version",
					      f_int(b[1], r, "db_version") });
	table_add(&kv, (const char *const[]){ "hyperscan", f_str(r, "hyperscan") });
	table_add(&kv, (const char *const[]){ "dpdk", f_str(r, "dpdk") });
	table_flush(&kv);
	return EXIT_OK;
}

static int
render_stats(const json_t *r)
{
	char b[14][NUMBUF];
	const json_t *ports = json_object_get(r, "ports");
	const json_t *workers = json_object_get(r, "workers");
	const json_t *exporter = json_object_get(r, "exporter");
	const json_t *db = json_object_get(r, "db");
	const json_t *top = json_object_get(r, "indicators");
	const json_t *e;
	size_t i;
	bool first = true;

	if (json_is_array(ports)) {
		struct table t = { .ncols = 7,
			.head = { "PORT", "NAME", "RX_PACKETS", "RX_BYTES",
				  "IMISSED", "IERRORS", "RX_NOMBUF" },
			.right = { true, false, true, true, true, true, true } };

		json_array_foreach(ports, i, e)
			table_add(&t, (const char *const[]){
				f_int(b[0], e, "port"), f_str(e, "name"),
				f_int(b[1], e, "rx_packets"),
				f_int(b[2], e, "rx_bytes"),
				f_int(b[3], e, "imissed"),
				f_int(b[4], e, "ierrors"),
				f_int(b[5], e, "rx_nombuf") });
		table_flush(&t);
		first = false;
	}
	if (json_is_array(workers)) {
		struct table t = { .ncols = 13,
			.head = { "WORKER", "LCORE", "PORT", "QUEUE", "PACKETS",
				  "SYSLOG", "DNS", "MALFORMED", "HITS", "BUSY%",
				  "RING_FULL", "HIT_POOL", "MAX_BURST_US" },
			.right = { true, true, true, true, true, true, true,
				   true, true, true, true, true, true } };

		if (!first)
			putchar('\n');
		json_array_foreach(workers, i, e)
			table_add(&t, (const char *const[]){
				f_int(b[0], e, "worker"), f_int(b[1], e, "lcore"),
				f_int(b[2], e, "port"), f_int(b[3], e, "queue"),
				f_int(b[4], e, "packets"),
				f_int(b[5], e, "syslog_messages"),
				f_int(b[6], e, "dns_messages"),
				f_int(b[7], e, "malformed"),
				f_int(b[8], e, "hits"),
				f_real(b[9], e, "busy_percent"),
				f_int(b[10], e, "drop_ring_full"),
				f_int(b[11], e, "drop_hit_pool"),
				f_real(b[12], e, "max_burst_us") });
		table_flush(&t);
		first = false;
	}
	if (json_is_object(exporter) || json_is_object(db)) {
		if (!first)
			putchar('\n');
		first = false;
	}
	if (json_is_object(exporter))
		printf("exporter: %s events, %s write errors\n",
		       f_int(b[0], exporter, "events"),
		       f_int(b[1], exporter, "write_errors"));
	if (json_is_object(db))
		printf("db: version %s, %s indicators, %s swaps "
		       "(last %s, max %s)\n", f_int(b[0], db, "version"),
		       f_int(b[1], db, "indicators"), f_int(b[2], db, "swaps"),
		       f_ms(b[3], db, "last_swap_us"),
		       f_ms(b[4], db, "max_swap_us"));
	if (json_is_array(top)) {
		if (!first)
			putchar('\n');
		if (json_array_size(top) == 0) {
			puts("no indicator has hits");
			return EXIT_OK;
		}
		struct table t = { .ncols = 4,
			.head = { "TYPE", "VALUE", "FEED", "HITS" },
			.right = { false, false, false, true } };

		json_array_foreach(top, i, e)
			table_add(&t, (const char *const[]){ f_str(e, "type"),
				  f_str(e, "value"), f_str(e, "feed"),
				  f_int(b[0], e, "hits") });
		table_flush(&t);
	}
	return EXIT_OK;
}

static int
render_list(const json_t *r)
{
	const json_t *items = json_object_get(r, "indicators");
	const json_t *e;
	size_t i;
	bool severity = false, expires = false;
	char b[NUMBUF];

	json_array_foreach(items, i, e) {
		severity |= json_object_get(e, "severity") != NULL;
		expires |= json_object_get(e, "expires") != NULL;
	}
	if (json_array_size(items) == 0) {
		puts("no indicators");
	} else {
		struct table t = { .ncols = 4,
			.head = { "TYPE", "VALUE", "FEED", "TAGS" } };

		if (severity)
			t.head[t.ncols++] = "SEVERITY";
		if (expires)
			t.head[t.ncols++] = "EXPIRES";
		json_array_foreach(items, i, e) {
			const char *tags = json_string_value(
				json_object_get(e, "tags"));
			const char *row[6] = { f_str(e, "type"),
				f_str(e, "value"), f_str(e, "feed"),
				tags != NULL && tags[0] != '\0' ? tags : "-" };
			size_t c = 4;

			if (severity)
				row[c++] = json_string_value(
					json_object_get(e, "severity"));
			if (expires)
				row[c++] = json_string_value(
					json_object_get(e, "expires"));
			table_add(&t, row);
		}
		table_flush(&t);
	}
	if (json_is_true(json_object_get(r, "truncated")))
		fprintf(stderr, "%s: showing %zu of %s indicators; --limit "
			"shows more\n", prog, json_array_size(items),
			f_int(b, r, "total"));
	return EXIT_OK;
}

static int
render_test(const json_t *r)
{
	const json_t *hits = json_object_get(r, "hits");
	const json_t *e;
	size_t i;

	if (json_array_size(hits) == 0) {
		puts("no hit");
		return EXIT_NO_HIT;
	}
	struct table t = { .ncols = 6,
		.head = { "TYPE", "VALUE", "FEED", "TAGS", "MATCHED", "REASON" } };

	json_array_foreach(hits, i, e) {
		const char *tags = json_string_value(json_object_get(e, "tags"));

		table_add(&t, (const char *const[]){ f_str(e, "type"),
			  f_str(e, "value"), f_str(e, "feed"),
			  tags != NULL && tags[0] != '\0' ? tags : "-",
			  f_str(e, "matched"), f_str(e, "reason") });
	}
	table_flush(&t);
	return EXIT_OK;
}

/* load, add, del, rollback: one line each. */
static int
render_change(enum ctl_command cmd, const json_t *r, const char *const *args,
	      const struct options *o)
{
	char b[3][NUMBUF];
	char extra[128] = "";
	long long skipped, duplicates;

	switch (cmd) {
	case CTL_CMD_LOAD:
		skipped = json_integer_value(json_object_get(r, "skipped"));
		duplicates = json_integer_value(json_object_get(r, "duplicates"));
		if (skipped > 0 || duplicates > 0)
			snprintf(extra, sizeof(extra), " (%lld skipped, %lld "
				 "duplicate%s)", skipped, duplicates,
				 duplicates == 1 ? "" : "s");
		print_safe("loaded feed '%s': %s indicators%s, db version %s "
			   "(swap %s)", f_str(r, "feed"),
			   f_int(b[0], r, "indicators"), extra,
			   f_int(b[1], r, "db_version"),
			   f_ms(b[2], r, "swap_us"));
		break;
	case CTL_CMD_ADD:
		print_safe("added %s %s to feed '%s': db version %s (swap %s)",
			   args[0], args[1], o->feed != NULL ? o->feed : "cli",
			   f_int(b[0], r, "db_version"),
			   f_ms(b[1], r, "swap_us"));
		break;
	case CTL_CMD_DEL:
		print_safe("deleted %s %s (%s removed): db version %s (swap %s)",
			   args[0], args[1], f_int(b[0], r, "removed"),
			   f_int(b[1], r, "db_version"),
			   f_ms(b[2], r, "swap_us"));
		break;
	case CTL_CMD_ROLLBACK:
		print_safe("rolled back from db version %s to %s (swap %s)",
			   f_int(b[0], r, "from"), f_int(b[1], r, "db_version"),
			   f_ms(b[2], r, "swap_us"));
		break;
	default:
		break;
	}
	return EXIT_OK;
}

static int
render(enum ctl_command cmd, const json_t *result, const char *const *args,
       const struct options *o)
{
	switch (cmd) {
	case CTL_CMD_STATUS:
		return render_status(result);
	case CTL_CMD_VERSION:
		return render_version(result);
	case CTL_CMD_STATS:
		return render_stats(result);
	case CTL_CMD_LIST:
		return render_list(result);
	case CTL_CMD_TEST:
		return render_test(result);
	case CTL_CMD_LOAD:
	case CTL_CMD_ADD:
	case CTL_CMD_DEL:
	case CTL_CMD_ROLLBACK:
		return render_change(cmd, result, args, o);
	}
	return EXIT_OK;
}

/* ---- the request ---------------------------------------------------------- */

/* Reads a whole file ("-": stdin) of at most max bytes. 0 or -errno
 * (-EFBIG when larger). */
static int
read_file(const char *path, size_t max, unsigned char **out, size_t *out_len)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
		 open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out_close;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		rc = -EFBIG;
		goto out_close;
	}
	for (;;) {
		if (len == cap) {
			size_t grow = cap != 0 ? cap * 2 : 1u << 16;
			unsigned char *next;

			if (S_ISREG(st.st_mode) && cap == 0 &&
			    (size_t)st.st_size + 1 > grow)
				grow = (size_t)st.st_size + 1;
			if (grow > max + 1)
				grow = max + 1;
			if (grow <= cap) {
				rc = -EFBIG;
				goto out_free;
			}
			next = realloc(buf, grow + 1);
			if (next == NULL) {
				rc = -ENOMEM;
				goto out_free;
			}
			buf = next;
			cap = grow;
		}

		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			rc = -EFBIG;
			goto out_free;
		}
	}
	*out = buf;
	*out_len = len;
	goto out_close;
out_free:
	free(buf);
out_close:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
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
		fail("%s: not valid UTF-8", key);
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
	size_t n = ctl_base64_encode(data, len, enc);

	s = json_stringn_nocheck(enc, n);
	free(enc);
	if (s == NULL)
		return -ENOMEM;
	return json_object_set_new(req, "data_base64", s) == 0 ? 0 : -ENOMEM;
}

/* Builds the request: "cmd" first (ctl_request_limit() relies on it).
 * Returns an exit status; *out on success. */
static int
build_request(const struct command *c, const char *const *args,
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
			if (!parse_int(o->top, 0, CTL_STATS_TOP_MAX, &n)) {
				rc = usage_error("--top: '%s' is not a number "
						 "from 0 to %d", o->top,
						 CTL_STATS_TOP_MAX);
				goto out;
			}
			if (json_object_set_new(req, "top", json_integer(n)))
				goto nomem;
		}
		break;
	case CTL_CMD_LIST:
		if (o->limit != NULL) {
			if (!parse_int(o->limit, 1, CTL_LIST_LIMIT_MAX, &n)) {
				rc = usage_error("--limit: '%s' is not a number "
						 "from 1 to %d", o->limit,
						 CTL_LIST_LIMIT_MAX);
				goto out;
			}
		}
		if (o->feed != NULL && !ctl_feed_name_valid(o->feed)) {
			rc = usage_error("--feed: '%s' is not a feed name "
					 "(1 to %d of A-Z a-z 0-9 . _ -)",
					 o->feed, CTL_FEED_NAME_MAX);
			goto out;
		}
		if (set_str(req, "type", o->type) != 0 ||
		    set_str(req, "feed", o->feed) != 0 ||
		    (o->limit != NULL &&
		     json_object_set_new(req, "limit", json_integer(n)) != 0))
			goto out;
		break;
	case CTL_CMD_ADD:
		if (o->feed != NULL && !ctl_feed_name_valid(o->feed)) {
			rc = usage_error("--feed: '%s' is not a feed name "
					 "(1 to %d of A-Z a-z 0-9 . _ -)",
					 o->feed, CTL_FEED_NAME_MAX);
			goto out;
		}
		/* fall through */
	case CTL_CMD_DEL:
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
			rc = usage_error("TEXT is %zu bytes, more than %u",
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
			rc = usage_error("load -: give the feed's name with "
					 "--name");
			goto out;
		}
		if (name == NULL)
			goto nomem;
		if (!ctl_feed_name_valid(name)) {
			rc = usage_error("'%s' is not a feed name (1 to %d of "
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
		err = read_file(args[0], CTL_LOAD_REQUEST_MAX, &data, &len);
		if (err == -EFBIG) {
			fail("%s: larger than a load request may carry "
			     "(%u MiB)", args[0], CTL_LOAD_REQUEST_MAX >> 20);
			goto out;
		}
		if (err != 0) {
			fail("%s: %s", args[0], strerror(-err));
			goto out;
		}
		err = set_feed_data(req, data != NULL ? data :
				    (const unsigned char *)"", len);
		free(data);
		if (err != 0)
			goto nomem;
		break;
	}
	case CTL_CMD_STATUS:
	case CTL_CMD_VERSION:
	case CTL_CMD_ROLLBACK:
		break;
	}
	*out = req;
	return EXIT_OK;
nomem:
	fail("out of memory building the request");
out:
	json_decref(req);
	return rc;
}

/* One line with "\n" (malloc'd), its length without the NUL in *len. */
static char *
dump_line(const json_t *json, size_t *len)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	size_t n = json_dumpb(json, NULL, 0, flags);
	char *line;

	if (n == 0 || (line = malloc(n + 2)) == NULL)
		return NULL;
	if (json_dumpb(json, line, n, flags) != n) {
		free(line);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

/* ---- the socket ------------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
left_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Connects before the deadline: the fd or -errno. */
static int
client_connect(const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = errno;
		if (err == EISCONN)
			return fd;
		if (err == EINTR)
			continue;
		if (err == EAGAIN) {
			/* The daemon's backlog is full: try again soon. */
			int ms = left_ms(deadline);

			if (ms == 0) {
				err = ETIMEDOUT;
				break;
			}
			poll(NULL, 0, ms < 20 ? ms : 20);
			continue;
		}
		if (err == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			socklen_t sl = sizeof(err);
			int n = poll(&p, 1, left_ms(deadline));

			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0) {
				err = ETIMEDOUT;
				break;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
				err = errno;
			if (err == 0)
				return fd;
		}
		break;
	}
	close(fd);
	return -err;
}

struct exchange {
	char *reply;             /* the reply line, without "\n" */
	size_t reply_len;
	size_t sent;
	bool send_failed;        /* the daemon closed before taking it all */
};

/* Sends the request and reads one reply line, both before the deadline
 * (reading while sending: a daemon may refuse a large request early).
 * 0 or -errno: -ETIMEDOUT, -EMSGSIZE (reply too long), -ECONNRESET
 * (closed without a reply line), others from the socket. */
static int
client_exchange(int fd, const char *line, size_t len, int64_t deadline,
		struct exchange *x)
{
	char *buf = NULL;
	size_t have = 0, cap = 0;
	int rc;

	memset(x, 0, sizeof(*x));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = left_ms(deadline);

		if (x->sent < len && !x->send_failed)
			p.events |= POLLOUT;
		if (ms == 0) {
			rc = -ETIMEDOUT;
			goto fail;
		}
		int n = poll(&p, 1, ms);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			continue;       /* the deadline check above ends it */
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (cap - have < 65536) {
				size_t next = cap != 0 ? cap * 2 : 65536;
				char *grown;

				if (next > REPLY_MAX + 65536)
					next = REPLY_MAX + 65536;
				grown = realloc(buf, next);
				if (grown == NULL) {
					rc = -ENOMEM;
					goto fail;
				}
				buf = grown;
				cap = next;
			}

			ssize_t r = recv(fd, buf + have, cap - have, 0);

			if (r < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				if (errno != ECONNRESET) {
					rc = -errno;
					goto fail;
				}
				r = 0;
			}
			if (r == 0) {
				rc = -ECONNRESET;
				goto fail;
			}

			char *nl = memchr(buf + have, '\n', (size_t)r);

			have += (size_t)r;
			if (nl != NULL) {
				if ((size_t)(nl - buf) > REPLY_MAX) {
					rc = -EMSGSIZE;
					goto fail;
				}
				*nl = '\0';
				x->reply = buf;
				x->reply_len = (size_t)(nl - buf);
				return 0;
			}
			if (have > REPLY_MAX) {
				rc = -EMSGSIZE;
				goto fail;
			}
		}
		if ((p.revents & POLLOUT) && x->sent < len && !x->send_failed) {
			ssize_t w = send(fd, line + x->sent, len - x->sent,
					 MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				if (errno != EPIPE && errno != ECONNRESET) {
					rc = -errno;
					goto fail;
				}
				/* Read whatever the daemon said before it
				 * closed. */
				x->send_failed = true;
				continue;
			}
			x->sent += (size_t)w;
		}
	}
fail:
	free(buf);
	return rc;
}

/* Checks the reply and prints it. Returns the exit status. */
static int
handle_reply(const char *text, size_t len, const struct command *c,
	     const char *const *args, const struct options *o)
{
	json_error_t jerr;
	json_t *reply = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *v, *id, *ok, *error, *result;
	int rc = EXIT_UNREACHABLE;

	if (reply == NULL) {
		fail("broken reply from the daemon: %s", jerr.text);
		return EXIT_UNREACHABLE;
	}
	v = json_object_get(reply, "v");
	id = json_object_get(reply, "id");
	ok = json_object_get(reply, "ok");
	error = json_object_get(reply, "error");
	result = json_object_get(reply, "result");
	if (!json_is_object(reply) || !json_is_boolean(ok)) {
		fail("broken reply from the daemon: no \"ok\"");
		goto out;
	}
	if (id != NULL && (!json_is_integer(id) ||
			   json_integer_value(id) != REQUEST_ID)) {
		fail("broken reply from the daemon: it answers another request");
		goto out;
	}
	if (json_is_false(ok)) {
		const char *code = json_string_value(json_object_get(error,
								     "code"));
		const char *msg = json_string_value(json_object_get(error,
								    "message"));
		char *safe_code, *safe_msg;

		if (code == NULL || msg == NULL) {
			fail("broken reply from the daemon: an error without "
			     "code or message");
			goto out;
		}
		safe_code = term_safe(code);
		safe_msg = term_safe(msg);
		fail("%s: %s", safe_code != NULL ? safe_code : code,
		     safe_msg != NULL ? safe_msg : "");
		free(safe_code);
		free(safe_msg);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != CTL_PROTOCOL_VERSION) {
		fail("broken reply from the daemon: protocol version is not %d",
		     CTL_PROTOCOL_VERSION);
		goto out;
	}
	if (!json_is_object(result)) {
		fail("broken reply from the daemon: no result object");
		goto out;
	}
	if (o->json) {
		if (json_dumpf(result, stdout, JSON_COMPACT |
			       JSON_PRESERVE_ORDER |
			       JSON_REAL_PRECISION(15)) != 0) {
			fail("writing the result: %s", strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		putchar('\n');
		rc = EXIT_OK;
		if (c->cmd == CTL_CMD_TEST &&
		    json_array_size(json_object_get(result, "hits")) == 0)
			rc = EXIT_NO_HIT;
	} else {
		rc = render(c->cmd, result, args, o);
	}
out:
	json_decref(reply);
	return rc;
}

static int
run(const struct command *c, const char *const *args, const struct options *o)
{
	json_t *req = NULL;
	char *line;
	size_t len, max;
	struct exchange x;
	int rc, fd;
	double timeout = o->timeout > 0 ? o->timeout :
			 c->cmd == CTL_CMD_LOAD ? TIMEOUT_LOAD : TIMEOUT_DEFAULT;
	int64_t deadline;

	rc = build_request(c, args, o, &req);
	if (rc != EXIT_OK)
		return rc;
	line = dump_line(req, &len);
	json_decref(req);
	if (line == NULL) {
		fail("out of memory building the request");
		return EXIT_USAGE;
	}
	max = c->cmd == CTL_CMD_LOAD ? CTL_LOAD_REQUEST_MAX : CTL_REQUEST_MAX;
	if (len - 1 > max) {
		fail("the request would be %zu bytes, more than the daemon "
		     "takes (%zu)%s", len - 1, max, c->cmd == CTL_CMD_LOAD ?
		     "; split the feed" : "");
		free(line);
		return EXIT_USAGE;
	}

	deadline = now_ms() + (int64_t)(timeout * 1000.0);
	fd = client_connect(o->socket, deadline);
	if (fd < 0) {
		if (fd == -ENAMETOOLONG) {
			fail("%s: socket path too long", o->socket);
			free(line);
			return EXIT_USAGE;
		}
		fail("cannot connect to %s: %s%s", o->socket, strerror(-fd),
		     fd == -ENOENT || fd == -ECONNREFUSED ?
		     " (is iocsift running?)" : "");
		free(line);
		return EXIT_UNREACHABLE;
	}
	rc = client_exchange(fd, line, len, deadline, &x);
	close(fd);
	free(line);
	switch (rc) {
	case 0:
		break;
	case -ETIMEDOUT:
		fail("no reply from %s within %g s", o->socket, timeout);
		return EXIT_UNREACHABLE;
	case -EMSGSIZE:
		fail("broken reply from the daemon: longer than %u MiB",
		     REPLY_MAX >> 20);
		return EXIT_UNREACHABLE;
	case -ECONNRESET:
		fail("the daemon closed the connection %s",
		     x.send_failed ? "before taking the whole request" :
		     "without a reply");
		return EXIT_UNREACHABLE;
	case -ENOMEM:
		fail("out of memory reading the reply");
		return EXIT_UNREACHABLE;
	default:
		fail("talking to %s: %s", o->socket, strerror(-rc));
		return EXIT_UNREACHABLE;
	}
	rc = handle_reply(x.reply, x.reply_len, c, args, o);
	free(x.reply);
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
	while ((opt = getopt_long(argc, argv, ":s:h", long_options, NULL)) != -1) {
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
		case OPT_TIMEOUT: {
			char *end;

			errno = 0;
			o.timeout = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o.timeout > 0) || o.timeout > 1e6)
				return usage_error("--timeout: '%s' is not a "
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
			o.seen[opt] = optarg;
			break;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			if (optopt != 0)
				return usage_error("unknown option -%c", optopt);
			return usage_error("unknown option %s",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			c = &commands[i];
	if (c == NULL)
		return usage_error("unknown command '%s'", argv[optind]);

	int nargs = argc - optind - 1;

	if (nargs < c->min_args || nargs > c->max_args)
		return usage_error("%s takes %d argument%s, not %d", c->name,
				   c->max_args, c->max_args == 1 ? "" : "s",
				   nargs);
	for (int id = OPT_TOP; id <= OPT_LIMIT; id++) {
		bool allowed = false;

		if (o.seen[id] == NULL)
			continue;
		for (const int *a = c->opts; *a != 0; a++)
			allowed |= *a == id;
		if (!allowed)
			return usage_error("--%s does not apply to %s",
					   opt_name(id), c->name);
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

	rc = run(c, (const char *const *)&argv[optind + 1], &o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fail("writing the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return rc;
}
