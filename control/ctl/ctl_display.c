/* ctl_display.c -- iocsiftctl's human output: tables, durations, text
 * from the daemon made safe for a terminal, one renderer per result. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_display.h"

/* ---- output helpers ------------------------------------------------------- */

/* Text from the daemon made safe for a terminal: C0 and C1 controls and
 * DEL as \xNN (\u00NN for C1). malloc'd, NULL on ENOMEM. */
char *
ctl_term_safe(const char *s)
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
	bool hide_head;                     /* sized by head, not printed */
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
		char *s = ctl_term_safe(cells[c] != NULL ? cells[c] : "-");

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
		ctl_fail("out of memory formatting the reply");
	for (size_t c = 0; c < t->ncols; c++) {
		if (t->head[0] != NULL)
			width[c] = text_width(t->head[c]);
		for (size_t r = 0; r < t->rows; r++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	if (t->head[0] != NULL && !t->hide_head && !t->failed)
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

/* How long ago the Unix time t of member key was, coarsely ("45s",
 * "12m", "3h", "2d"); the daemon runs on this host, so on this clock. */
static const char *
f_ago(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	long long s;

	if (!json_is_integer(v))
		return "?";
	s = (long long)time(NULL) - json_integer_value(v);
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, NUMBUF, "%llds", s);
	else if (s < 3600)
		snprintf(buf, NUMBUF, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, NUMBUF, "%lldh", s / 3600);
	else
		snprintf(buf, NUMBUF, "%lldd", s / 86400);
	return buf;
}

/* The sum of two integer members, "?" when either is missing. */
static const char *
f_sum(char *buf, const json_t *obj, const char *a, const char *b)
{
	const json_t *x = json_object_get(obj, a), *y = json_object_get(obj, b);

	if (!json_is_integer(x) || !json_is_integer(y))
		return "?";
	snprintf(buf, NUMBUF, "%" JSON_INTEGER_FORMAT,
		 json_integer_value(x) + json_integer_value(y));
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
	if (line == NULL || (safe = ctl_term_safe(line)) == NULL) {
		free(line);
		ctl_fail("out of memory formatting the reply");
		return;
	}
	puts(safe);
	free(safe);
	free(line);
}

/* ---- rendering of each result --------------------------------------------- */

/* The exporter's events and throttle, as two key-value rows. */
static void
exporter_rows(struct table *kv, const json_t *exporter)
{
	char b[6][NUMBUF], events[160], throttle[480];

	snprintf(events, sizeof(events), "%s written, %s write errors",
		 f_int(b[0], exporter, "events"),
		 f_int(b[1], exporter, "write_errors"));
	table_add(kv, (const char *const[]){ "events", events });
	const json_t *window = json_object_get(exporter, "throttle_window_s");
	if (json_is_integer(window) && json_integer_value(window) == 0)
		snprintf(throttle, sizeof(throttle), "off (every hit is an "
			 "event)");
	else
		snprintf(throttle, sizeof(throttle), "%s s window: %s repeats "
			 "in %s summaries, %s windows open, %s closed early "
			 "(table full), %s hits untracked (no memory)",
			 f_int(b[0], exporter, "throttle_window_s"),
			 f_int(b[1], exporter, "throttled"),
			 f_int(b[2], exporter, "summaries"),
			 f_int(b[3], exporter, "throttle_open"),
			 f_int(b[4], exporter, "throttle_evicted"),
			 f_int(b[5], exporter, "throttle_untracked"));
	table_add(kv, (const char *const[]){ "throttle", throttle });
}

/* The state dir's persist counters and last error, as key-value rows. */
static void
state_rows(struct table *kv, const json_t *state)
{
	char n[3][NUMBUF], journal[256], errors[192];

	snprintf(journal, sizeof(journal), "%s records, %s bytes "
		 "(snapshot covers up to %s)",
		 f_int(n[0], state, "journal_records"),
		 f_int(n[1], state, "journal_bytes"),
		 f_int(n[2], state, "snapshot_seq"));
	table_add(kv, (const char *const[]){ "journal", journal });
	snprintf(errors, sizeof(errors), "%s changes not saved, %s "
		 "snapshots failed", f_int(n[0], state, "persist_errors"),
		 f_int(n[1], state, "snapshot_errors"));
	table_add(kv, (const char *const[]){ "persist errors", errors });
	if (json_is_string(json_object_get(state, "persist_error"))) {
		char *line = NULL;
		if (asprintf(&line, "%s ago: %s",
			     f_ago(n[0], state, "persist_error_time"),
			     f_str(state, "persist_error")) < 0)
			line = NULL;
		table_add(kv, (const char *const[]){ "last error",
			  line != NULL ? line : f_str(state, "persist_error") });
		free(line);
	}
}

/* The block lists' state, as key-value rows. */
static void
export_rows(struct table *kv, const json_t *x)
{
	char n[4][NUMBUF], line[4800];

	if (!json_is_true(json_object_get(x, "enabled"))) {
		table_add(kv, (const char *const[]){ "exports",
			  "off (no export_dir)" });
		return;
	}
	if (json_is_integer(json_object_get(x, "written_at")))
		snprintf(line, sizeof(line), "%s: db version %s, written %s ago "
			 "in %s s%s", f_str(x, "dir"), f_int(n[0], x, "version"),
			 f_ago(n[1], x, "written_at"),
			 f_real(n[2], x, "write_seconds"),
			 json_is_true(json_object_get(x, "busy")) ?
			 " (writing a newer one)" : "");
	else
		snprintf(line, sizeof(line), "%s: nothing written yet%s",
			 f_str(x, "dir"),
			 json_is_true(json_object_get(x, "busy")) ?
			 " (writing)" : "");
	table_add(kv, (const char *const[]){ "exports", line });
	if (json_is_string(json_object_get(x, "error"))) {
		snprintf(line, sizeof(line), "%s errors, the last %s ago: %s",
			 f_int(n[0], x, "errors"), f_ago(n[1], x, "error_time"),
			 f_str(x, "error"));
		table_add(kv, (const char *const[]){ "export error", line });
	}
}

/* The block-list files: one row each. */
static void
render_export_files(const json_t *x)
{
	const json_t *files = json_object_get(x, "files");
	const char *name;
	const json_t *e;
	char b[3][NUMBUF];

	if (!json_is_object(files) || json_object_size(files) == 0)
		return;
	struct table t = { .ncols = 5,
		.head = { "FILE", "FORMAT", "VERSION", "ENTRIES", "SKIPPED" },
		.right = { false, false, true, true, true } };

	json_object_foreach((json_t *)files, name, e)
		table_add(&t, (const char *const[]){ f_str(e, "path"),
			  f_str(e, "format"), f_int(b[0], e, "version"),
			  f_int(b[1], e, "entries"), f_int(b[2], e, "skipped") });
	table_flush(&t);
}

/* export, once its files are written: them, and the error if the
 * write failed (exit 3). */
static int
render_export(const json_t *x)
{
	render_export_files(x);
	if (json_is_true(json_object_get(x, "failed"))) {
		ctl_fail("export failed: %s", f_str(x, "error"));
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* Every sink, one row each: up or down, its counters, its last error.
 * PENDING is what it holds undelivered now, in memory and spool. */
static void
render_sinks(const json_t *sinks)
{
	char b[8][NUMBUF];
	const json_t *e;
	size_t i;

	if (!json_is_array(sinks))
		return;
	if (json_array_size(sinks) == 0) {
		puts("no sinks");
		return;
	}
	struct table t = { .ncols = 9,
		.head = { "SINK", "STATE", "QUEUED", "SENT", "SPOOLED",
			  "DROPPED", "PENDING", "ERRORS", "LAST_ERROR" },
		.right = { false, false, true, true, true, true, true, true,
			   false } };

	json_array_foreach(sinks, i, e) {
		const json_t *up = json_object_get(e, "connected");
		char *last = NULL;

		if (json_is_string(json_object_get(e, "last_error")) &&
		    asprintf(&last, "%s ago: %s",
			     f_ago(b[7], e, "last_error_time"),
			     f_str(e, "last_error")) < 0)
			last = NULL;
		table_add(&t, (const char *const[]){ f_str(e, "name"),
			  !json_is_boolean(up) ? "?" : json_is_true(up) ?
			  "up" : "down",
			  f_int(b[0], e, "queued"), f_int(b[1], e, "sent"),
			  f_int(b[2], e, "spooled"), f_int(b[3], e, "dropped"),
			  f_sum(b[4], e, "memory_records", "spool_records"),
			  f_int(b[5], e, "errors"),
			  last != NULL ? last : "-" });
		free(last);
	}
	table_flush(&t);
}

/* The history's rows of status: where, how much, what was lost, the
 * hunts. */
static void
history_rows(struct table *kv, const json_t *h)
{
	char b[8][NUMBUF], line[4096 + 256];
	const json_t *hunts = json_object_get(h, "hunts");
	const json_t *running = json_object_get(hunts, "running");
	json_int_t bytes = json_integer_value(json_object_get(h, "bytes_written"));
	json_int_t raw = json_integer_value(json_object_get(h, "bytes_raw"));

	snprintf(line, sizeof(line), "%s, %s messages in %s blocks written "
		 "(%.1f MB, %.1f MB of messages)", f_str(h, "dir"),
		 f_int(b[0], h, "records"), f_int(b[1], h, "blocks"),
		 (double)bytes / 1e6, (double)raw / 1e6);
	table_add(kv, (const char *const[]){ "history", line });
	snprintf(line, sizeof(line), "%s dropped (workers' rings full), %s "
		 "lost (not written), %s blocks expired",
		 f_int(b[2], h, "records_dropped"), f_int(b[3], h, "records_lost"),
		 f_int(b[4], h, "blocks_expired"));
	table_add(kv, (const char *const[]){ "history losses", line });
	if (json_is_false(json_object_get(h, "writing")))
		snprintf(line, sizeof(line), "STOPPED: %s", f_str(h, "last_error"));
	else
		snprintf(line, sizeof(line), "writing%s%s",
			 json_is_string(json_object_get(h, "last_error")) ?
			 "; last error: " : "",
			 json_is_string(json_object_get(h, "last_error")) ?
			 f_str(h, "last_error") : "");
	table_add(kv, (const char *const[]){ "history state", line });
	if (!json_is_object(hunts))
		return;
	snprintf(line, sizeof(line), "%s done, %s queued, %s events%s%s%s",
		 f_int(b[5], hunts, "hunts"), f_int(b[6], hunts, "queued"),
		 f_int(b[7], hunts, "events"),
		 json_is_object(running) ? "; running: " : "",
		 json_is_object(running) ? f_str(running, "origin") : "",
		 json_is_object(running) ? "" : "");
	table_add(kv, (const char *const[]){ "hunts", line });
}

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
	const json_t *running = json_object_get(r, "running");
	char load[CTL_FEED_NAME_MAX + 64];
	const char *command = json_string_value(json_object_get(running,
								"command"));
	if (json_is_object(running) && command != NULL &&
	    strcmp(command, "load") != 0) {
		/* Not a load: SIGHUP's reload of the config's feeds, or the
		 * compaction of a grown delta. */
		snprintf(load, sizeof(load), "%s (%.1f s so far)",
			 strcmp(command, "reload") == 0 ?
			 "reload of the config" : "compaction of the delta",
			 json_number_value(json_object_get(running, "seconds")));
		table_add(&kv, (const char *const[]){ "running", load });
	} else if (json_is_object(running)) {
		const char *feed = json_string_value(json_object_get(running,
								     "feed"));
		snprintf(load, sizeof(load), "load of %s%s%s: %s (%.1f s so "
			 "far)", feed != NULL ? "feed '" : "a feed",
			 feed != NULL ? feed : "", feed != NULL ? "'" : "",
			 f_str(running, "phase"), json_number_value(
				 json_object_get(running, "seconds")));
		table_add(&kv, (const char *const[]){ "running", load });
	}
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
	const json_t *state = json_object_get(r, "state");
	if (json_is_object(state))
		state_rows(&kv, state);
	const json_t *exporter = json_object_get(r, "exporter");
	if (json_is_object(exporter))
		exporter_rows(&kv, exporter);
	const json_t *history = json_object_get(r, "history");
	if (json_is_object(history))
		history_rows(&kv, history);
	else if (json_is_null(history))
		table_add(&kv, (const char *const[]){ "history",
			  "off (history_messages = none)" });
	const json_t *exports = json_object_get(r, "exports");
	if (json_is_object(exports))
		export_rows(&kv, exports);
	table_flush(&kv);
	if (json_is_object(json_object_get(exports, "files")) &&
	    json_object_size(json_object_get(exports, "files")) > 0) {
		putchar('\n');
		render_export_files(exports);
	}
	if (json_is_array(json_object_get(r, "sinks"))) {
		putchar('\n');
		render_sinks(json_object_get(r, "sinks"));
	}

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
	const json_t *state = json_object_get(r, "state");
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
		struct table kv = { .ncols = 2 };
		char line[256];

		if (!first)
			putchar('\n');
		first = false;
		if (json_is_object(db)) {
			snprintf(line, sizeof(line), "version %s, %s "
				 "indicators, %s swaps (last %s, max %s)",
				 f_int(b[0], db, "version"),
				 f_int(b[1], db, "indicators"),
				 f_int(b[2], db, "swaps"),
				 f_ms(b[3], db, "last_swap_us"),
				 f_ms(b[4], db, "max_swap_us"));
			table_add(&kv, (const char *const[]){ "db", line });
		}
		if (json_is_object(state))
			state_rows(&kv, state);
		else if (json_is_object(db))
			table_add(&kv, (const char *const[]){ "persist errors",
				  f_int(b[5], db, "persist_errors") });
		if (json_is_object(exporter))
			exporter_rows(&kv, exporter);
		table_flush(&kv);
	}
	if (json_is_array(json_object_get(r, "sinks"))) {
		putchar('\n');
		render_sinks(json_object_get(r, "sinks"));
	}
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

void
ctl_render_list_rows(const json_t *r, bool header)
{
	const json_t *items = json_object_get(r, "indicators");
	const json_t *e;
	size_t i;
	/* Every column on every page: the pages of a listing line up. */
	struct table t = { .ncols = 6,
		.head = { "TYPE", "VALUE", "FEED", "TAGS", "SEVERITY",
			  "EXPIRES" } };

	t.hide_head = !header;
	json_array_foreach(items, i, e) {
		const char *tags = json_string_value(json_object_get(e, "tags"));
		const char *severity = json_string_value(
			json_object_get(e, "severity"));
		const char *expires = json_string_value(
			json_object_get(e, "expires"));

		table_add(&t, (const char *const[]){ f_str(e, "type"),
			  f_str(e, "value"), f_str(e, "feed"),
			  tags != NULL && tags[0] != '\0' ? tags : "-",
			  severity != NULL ? severity : "-",
			  expires != NULL ? expires : "-" });
	}
	table_flush(&t);
}

static int
render_overrides(const json_t *r)
{
	const json_t *rows = json_object_get(r, "overrides");
	const json_t *e;
	size_t i;
	struct table t = { .ncols = 3, .head = { "TYPE", "VALUE", "DELETED" } };

	if (json_array_size(rows) == 0) {
		puts("no overrides");
		return EXIT_OK;
	}
	json_array_foreach(rows, i, e)
		table_add(&t, (const char *const[]){ f_str(e, "type"),
			  f_str(e, "value"), f_str(e, "deleted") });
	table_flush(&t);
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

/* A hunt's end: what it searched and found. Exit 0 with hits, 1 none, 3
 * when it failed. */
static int
render_hunt(const json_t *r)
{
	char b[10][NUMBUF];
	const char *state = f_str(r, "state");
	const json_t *hits = json_object_get(r, "hits");

	print_safe("hunt %s (%s): %s: %s hits in %s messages, %s events sent",
		   f_int(b[0], r, "id"), f_str(r, "origin"), state,
		   f_int(b[1], r, "hits"), f_int(b[2], r, "hit_messages"),
		   f_int(b[3], r, "events"));
	print_safe("  %s blocks: %s opened, %s skipped by time, %s by filter, "
		   "%s damaged", f_int(b[0], r, "blocks"),
		   f_int(b[1], r, "blocks_opened"),
		   f_int(b[2], r, "blocks_skipped_time"),
		   f_int(b[3], r, "blocks_skipped_filter"),
		   f_int(b[4], r, "blocks_damaged"));
	print_safe("  %s messages, %s bytes (%s compressed), %s indicators, "
		   "%s s", f_int(b[5], r, "messages"), f_int(b[6], r, "bytes"),
		   f_int(b[7], r, "bytes_compressed"),
		   f_int(b[8], r, "indicators"), f_real(b[9], r, "seconds"));
	if (json_is_string(json_object_get(r, "first_damage")))
		print_safe("  first damaged block: %s",
			   f_str(r, "first_damage"));
	if (json_is_string(json_object_get(r, "error")))
		print_safe("  error: %s", f_str(r, "error"));
	if (strcmp(state, "done") != 0)
		return EXIT_REFUSED;
	return json_integer_value(hits) > 0 ? EXIT_OK : EXIT_NO_HIT;
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
		if (json_is_integer(json_object_get(r, "overridden")))
			print_safe("overridden: %s left out, deleted earlier "
				   "(iocsiftctl list --overrides)",
				   f_int(b[0], r, "overridden"));
		if (skipped > 0 && json_is_string(json_object_get(r,
							"first_skip")))
			print_safe("first skipped: %s", f_str(r, "first_skip"));
		break;
	case CTL_CMD_ADD:
		print_safe("added %s %s to feed '%s': db version %s (swap %s)",
			   args[0], args[1], o->feed != NULL ? o->feed : "cli",
			   f_int(b[0], r, "db_version"),
			   f_ms(b[1], r, "swap_us"));
		if (json_is_string(json_object_get(r, "warning")))
			ctl_fail("warning: %s", f_str(r, "warning"));
		break;
	case CTL_CMD_DEL:
		print_safe("deleted %s %s (%s removed): db version %s (swap %s)",
			   args[0], args[1], f_int(b[0], r, "removed"),
			   f_int(b[1], r, "db_version"),
			   f_ms(b[2], r, "swap_us"));
		break;
	case CTL_CMD_UNDEL:
		print_safe("lifted the override on %s %s: the next load of a "
			   "feed that has it brings it back", args[0], args[1]);
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

int
ctl_render(enum ctl_command cmd, const json_t *result, const char *const *args,
       const struct options *o)
{
	switch (cmd) {
	case CTL_CMD_STATUS:
		return render_status(result);
	case CTL_CMD_VERSION:
		return render_version(result);
	case CTL_CMD_STATS:
		return render_stats(result);
	case CTL_CMD_TEST:
		return render_test(result);
	case CTL_CMD_LOAD:
	case CTL_CMD_ADD:
	case CTL_CMD_DEL:
	case CTL_CMD_ROLLBACK:
		return render_change(cmd, result, args, o);
	case CTL_CMD_LIST:
		if (json_is_array(json_object_get(result, "overrides")))
			return render_overrides(result);
		ctl_render_list_rows(result, true);   /* one page; see ctl_list.c */
		break;
	case CTL_CMD_UNDEL:
		return render_change(cmd, result, args, o);
	case CTL_CMD_HUNT:
		return render_hunt(result);
	case CTL_CMD_EXPORT:
		return render_export(result);
	}
	return EXIT_OK;
}

