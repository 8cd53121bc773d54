/* metrics.c -- the stats object as Prometheus text format 0.0.4, and the
 * request check and response framing of the /metrics endpoint. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* ---- a growing text buffer ------------------------------------------------ */

/* A failed allocation sticks: later appends do nothing and the caller
 * checks once at the end. */
struct metrics_buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

static bool
buf_reserve(struct metrics_buf *b, size_t more)
{
	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap != 0 ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
buf_add(struct metrics_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct metrics_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void
buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ---- Prometheus text ------------------------------------------------------ */

/* One family: which member of each item it reads, and how. */
struct metrics_family {
	const char *member;
	const char *name;
	const char *type;       /* "counter" or "gauge" */
	double divisor;         /* 0: the value as it is */
	const char *help;
};

typedef void (*metrics_labels_fn)(struct metrics_buf *b, const json_t *item,
				  size_t index);

static const struct metrics_family port_families[] = {
	{ "rx_packets", "iocsift_port_rx_packets_total", "counter", 0,
	  "Packets received by the port (ethdev ipackets)." },
	{ "rx_bytes", "iocsift_port_rx_bytes_total", "counter", 0,
	  "Bytes received by the port (ethdev ibytes)." },
	{ "imissed", "iocsift_port_imissed_total", "counter", 0,
	  "Packets the NIC dropped because no receive descriptor was free." },
	{ "ierrors", "iocsift_port_ierrors_total", "counter", 0,
	  "Erroneous packets received by the port." },
	{ "rx_nombuf", "iocsift_port_rx_nombuf_total", "counter", 0,
	  "Receive mbuf allocation failures." },
};

static const struct metrics_family worker_families[] = {
	{ "packets", "iocsift_worker_packets_total", "counter", 0,
	  "Packets the worker handled." },
	{ "syslog_messages", "iocsift_worker_syslog_messages_total",
	  "counter", 0, "Syslog messages the worker parsed." },
	{ "dns_messages", "iocsift_worker_dns_messages_total", "counter", 0,
	  "DNS messages the worker parsed." },
	{ "malformed", "iocsift_worker_malformed_total", "counter", 0,
	  "Frames, syslog and DNS messages that failed to decode." },
	{ "hits", "iocsift_worker_hits_total", "counter", 0,
	  "Indicator matches (message, indicator pairs)." },
	{ "drop_ring_full", "iocsift_worker_drop_ring_full_total", "counter", 0,
	  "Hits dropped because the ring to the exporter was full." },
	{ "drop_hit_pool", "iocsift_worker_drop_hit_pool_total", "counter", 0,
	  "Hits dropped because no hit record was free." },
	{ "busy_percent", "iocsift_worker_busy_ratio", "gauge", 100,
	  "Share of time since the worker started spent on bursts (0 to 1)." },
	{ "max_burst_us", "iocsift_worker_max_burst_seconds", "gauge", 1e6,
	  "The longest burst, receive to free, in seconds." },
};

/* Worker members that are labels or known families, never extras. */
static const char *const worker_known[] = {
	"worker", "lcore", "port", "queue",
};

static const struct metrics_family exporter_families[] = {
	{ "events", "iocsift_exporter_events_total", "counter", 0,
	  "Hit events the exporter wrote." },
	{ "write_errors", "iocsift_exporter_write_errors_total", "counter", 0,
	  "Failed writes of hit events." },
	{ "throttled", "iocsift_exporter_throttled_total", "counter", 0,
	  "Repeated hits folded into summary events by the throttle." },
	{ "summaries", "iocsift_exporter_summaries_total", "counter", 0,
	  "Summary events of repeated hits (part of the events)." },
	{ "throttle_evicted", "iocsift_exporter_throttle_evicted_total",
	  "counter", 0,
	  "Throttle windows closed early to make room for a new key." },
	{ "throttle_untracked", "iocsift_exporter_throttle_untracked_total",
	  "counter", 0,
	  "Hits sent without a throttle window: no memory for one." },
	{ "throttle_open", "iocsift_exporter_throttle_windows_open", "gauge",
	  0, "Throttle windows open now." },
	{ "throttle_window_s", "iocsift_exporter_throttle_window_seconds",
	  "gauge", 0, "The throttle's window, in seconds (0: off)." },
};

/* Members of each object of exporter.sinks, labelled sink="NAME"; the
 * first is a JSON boolean, true as 1 and false as 0. */
static const struct metrics_family sink_up_family = {
	"connected", "iocsift_sink_up", "gauge", 0,
	"1 while the sink's connection (a file sink: its file) is open.",
};

static const struct metrics_family sink_families[] = {
	{ "queued", "iocsift_sink_queued_total", "counter", 0,
	  "Records submitted to the sink, kept or not." },
	{ "sent", "iocsift_sink_sent_total", "counter", 0,
	  "Records written to the sink's transport, resends included." },
	{ "spooled", "iocsift_sink_spooled_total", "counter", 0,
	  "Records written to the sink's disk spool." },
	{ "retried", "iocsift_sink_retried_total", "counter", 0,
	  "Records in flight when a connection failed, sent again." },
	{ "dropped", "iocsift_sink_dropped_total", "counter", 0,
	  "Records lost: spool full or failing, or no spool and queue full." },
	{ "connects", "iocsift_sink_connects_total", "counter", 0,
	  "Connections made (a file sink: opens)." },
	{ "errors", "iocsift_sink_errors_total", "counter", 0,
	  "Failed connects, lost connections and write errors." },
	{ "memory_records", "iocsift_sink_memory_records", "gauge", 0,
	  "Records held in memory, queued or in flight, not yet delivered." },
	{ "spool_records", "iocsift_sink_spool_records", "gauge", 0,
	  "Records in the spool, not yet delivered." },
	{ "spool_bytes", "iocsift_sink_spool_bytes", "gauge", 0,
	  "Bytes of the spool's files." },
	{ "spool_max", "iocsift_sink_spool_max_bytes", "gauge", 0,
	  "The spool's limit in bytes (spool_max; 0: no spool)." },
	{ "last_error_time", "iocsift_sink_last_error_timestamp_seconds",
	  "gauge", 0, "When the sink's last error happened (Unix time)." },
};

static const struct metrics_family db_families[] = {
	{ "version", "iocsift_db_version", "gauge", 0,
	  "Version of the active pattern database." },
	{ "indicators", "iocsift_db_indicators", "gauge", 0,
	  "Indicators in the active pattern database." },
	{ "swaps", "iocsift_db_swaps_total", "counter", 0,
	  "Pattern databases published to the workers." },
	{ "last_swap_us", "iocsift_db_last_swap_seconds", "gauge", 1e6,
	  "How long the last publish took, in seconds." },
	{ "max_swap_us", "iocsift_db_max_swap_seconds", "gauge", 1e6,
	  "The longest publish, in seconds." },
	{ "persist_errors", "iocsift_db_persist_errors_total", "counter", 0,
	  "Changes refused because their journal record could not be written." },
};

static const struct metrics_family state_families[] = {
	{ "journal_records", "iocsift_state_journal_records", "gauge", 0,
	  "Records in the state dir's journal." },
	{ "journal_bytes", "iocsift_state_journal_bytes", "gauge", 0,
	  "Bytes of the state dir's journal." },
	{ "snapshots", "iocsift_state_snapshots_total", "counter", 0,
	  "Snapshots of the database written to the state dir." },
	{ "snapshot_errors", "iocsift_state_snapshot_errors_total", "counter", 0,
	  "Snapshots that could not be written." },
	{ "persist_error_time", "iocsift_state_persist_error_timestamp_seconds",
	  "gauge", 0, "When a change last could not be saved (Unix time)." },
};

static const struct metrics_family exports_families[] = {
	{ "version", "iocsift_exports_version", "gauge", 0,
	  "Database version of the block lists last written (0: none yet)." },
	{ "writes", "iocsift_exports_writes_total", "counter", 0,
	  "Writes of the block lists (all formats of one version)." },
	{ "errors", "iocsift_exports_errors_total", "counter", 0,
	  "Block-list formats that could not be written." },
	{ "write_seconds", "iocsift_exports_write_seconds", "gauge", 0,
	  "How long the last write of the block lists took, in seconds." },
	{ "written_at", "iocsift_exports_written_timestamp_seconds", "gauge", 0,
	  "When the block lists were last written (Unix time)." },
	{ "error_time", "iocsift_exports_error_timestamp_seconds", "gauge", 0,
	  "When a block-list write last failed (Unix time)." },
};

static const struct metrics_family indicator_families[] = {
	{ "hits", "iocsift_indicator_hits_total", "counter", 0,
	  "Hits of one of the indicators hit most." },
};

#define METRICS_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Label values escape backslash, double quote and line feed. */
static void
label_escaped(struct metrics_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;
		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '"')
			esc = "\\\"";
		else if (*s == '\n')
			esc = "\\n";
		if (esc == NULL)
			continue;
		buf_add(b, run, (size_t)(s - run));
		buf_add(b, esc, 2);
		run = s + 1;
	}
	buf_add(b, run, (size_t)(s - run));
}

static void
label_open(struct metrics_buf *b, bool *first, const char *name)
{
	buf_str(b, *first ? "{" : ",");
	*first = false;
	buf_str(b, name);
	buf_str(b, "=\"");
}

static void
label_int(struct metrics_buf *b, bool *first, const char *name, json_int_t v)
{
	label_open(b, first, name);
	buf_printf(b, "%" JSON_INTEGER_FORMAT "\"", v);
}

/* An integer or a string member; anything else leaves the label out. */
static void
label_member(struct metrics_buf *b, bool *first, const char *name,
	     const json_t *item, const char *member)
{
	const json_t *v = json_object_get(item, member);

	if (json_is_integer(v)) {
		label_int(b, first, name, json_integer_value(v));
	} else if (json_is_string(v)) {
		label_open(b, first, name);
		label_escaped(b, json_string_value(v));
		buf_str(b, "\"");
	}
}

/* An item without its number is labelled with its index. */
static void
label_id(struct metrics_buf *b, bool *first, const char *name,
	 const json_t *item, size_t index)
{
	const json_t *v = json_object_get(item, name);

	if (json_is_integer(v))
		label_int(b, first, name, json_integer_value(v));
	else
		label_int(b, first, name, (json_int_t)index);
}

static void
labels_close(struct metrics_buf *b, bool first)
{
	if (!first)
		buf_str(b, "}");
}

static void
port_labels(struct metrics_buf *b, const json_t *item, size_t index)
{
	bool first = true;

	label_id(b, &first, "port", item, index);
	label_member(b, &first, "name", item, "name");
	labels_close(b, first);
}

static void
worker_labels(struct metrics_buf *b, const json_t *item, size_t index)
{
	bool first = true;

	label_id(b, &first, "worker", item, index);
	label_member(b, &first, "lcore", item, "lcore");
	label_member(b, &first, "port", item, "port");
	label_member(b, &first, "queue", item, "queue");
	labels_close(b, first);
}

static void
sink_labels(struct metrics_buf *b, const json_t *item, size_t index)
{
	bool first = true;

	if (json_is_string(json_object_get(item, "name")))
		label_member(b, &first, "sink", item, "name");
	else
		label_int(b, &first, "sink", (json_int_t)index);
	labels_close(b, first);
}

static void
indicator_labels(struct metrics_buf *b, const json_t *item, size_t index)
{
	bool first = true;

	(void)index;
	label_member(b, &first, "type", item, "type");
	label_member(b, &first, "value", item, "value");
	label_member(b, &first, "feed", item, "feed");
	labels_close(b, first);
}

/* Go's ParseFloat reads all of these; %.15g keeps 3.2e-06 from
 * printing as 3.2000000000000001e-06. */
static void
sample_double(struct metrics_buf *b, double v)
{
	if (isnan(v))
		buf_str(b, "NaN");
	else if (isinf(v))
		buf_str(b, v > 0 ? "+Inf" : "-Inf");
	else
		buf_printf(b, "%.15g", v);
}

static void
sample_value(struct metrics_buf *b, const json_t *v, double divisor)
{
	if (json_is_boolean(v))
		buf_str(b, json_is_true(v) ? "1" : "0");
	else if (json_is_integer(v) && divisor == 0)
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (divisor == 0)
		sample_double(b, json_number_value(v));
	else
		sample_double(b, json_number_value(v) / divisor);
}

/* items is an array of objects (each labelled by labels) or one object
 * (no labels). HELP and TYPE come with the first sample, so a family
 * nobody reports is left out whole. Numbers only, unless booleans: then
 * true and false too, as 1 and 0. */
static void
emit_family(struct metrics_buf *b, const struct metrics_family *f,
	    const json_t *items, metrics_labels_fn labels, bool booleans)
{
	bool single = json_is_object(items);
	size_t n = single ? 1 : json_array_size(items);
	bool header = false;

	for (size_t i = 0; i < n; i++) {
		const json_t *item = single ? items : json_array_get(items, i);
		const json_t *v = json_object_get(item, f->member);
		if (!json_is_number(v) && !(booleans && json_is_boolean(v)))
			continue;
		if (!header) {
			buf_printf(b, "# HELP %s ", f->name);
			buf_str(b, f->help);
			buf_printf(b, "\n# TYPE %s %s\n", f->name, f->type);
			header = true;
		}
		buf_str(b, f->name);
		if (!single && labels != NULL)
			labels(b, item, i);
		buf_str(b, " ");
		sample_value(b, v, f->divisor);
		buf_str(b, "\n");
	}
}

static void
emit_families(struct metrics_buf *b, const struct metrics_family *f,
	      size_t n, const json_t *items, metrics_labels_fn labels)
{
	if (!json_is_array(items) && !json_is_object(items))
		return;
	for (size_t i = 0; i < n; i++)
		emit_family(b, &f[i], items, labels, false);
}

static bool
worker_member_known(const char *member)
{
	for (size_t i = 0; i < METRICS_DIM(worker_known); i++)
		if (strcmp(member, worker_known[i]) == 0)
			return true;
	for (size_t i = 0; i < METRICS_DIM(worker_families); i++)
		if (strcmp(member, worker_families[i].member) == 0)
			return true;
	return false;
}

/* What may follow iocsift_worker_ in a metric name. */
static bool
metric_name_part(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Every other integer member of a worker is a counter of its own, in the
 * order the members first appear. */
static void
emit_worker_extras(struct metrics_buf *b, const json_t *workers)
{
	json_t *seen = json_object();   /* an ordered set of member names */
	const json_t *worker;
	const char *member;
	const json_t *v;
	size_t i;

	if (seen == NULL) {
		b->failed = true;
		return;
	}
	json_array_foreach(workers, i, worker) {
		if (!json_is_object(worker))
			continue;
		json_object_foreach((json_t *)worker, member, v) {
			if (!json_is_integer(v) || worker_member_known(member) ||
			    !metric_name_part(member))
				continue;
			if (json_object_set_new(seen, member, json_null()) != 0)
				b->failed = true;
		}
	}
	json_object_foreach(seen, member, v) {
		size_t size = strlen(member) + sizeof("iocsift_worker__total");
		char *name = malloc(size);
		char *help = malloc(size + sizeof("Worker counter ."));
		if (name == NULL || help == NULL) {
			free(name);
			free(help);
			b->failed = true;
			break;
		}
		snprintf(name, size, "iocsift_worker_%s_total", member);
		snprintf(help, size + sizeof("Worker counter ."),
			 "Worker counter %s.", member);
		const struct metrics_family f = {
			.member = member, .name = name, .type = "counter",
			.divisor = 0, .help = help,
		};
		/* A member that is an integer in one worker and a real in
		 * another is printed as it is in each. */
		emit_family(b, &f, workers, worker_labels, false);
		free(name);
		free(help);
	}
	json_decref(seen);
}

char *
ctl_metrics_prometheus(const json_t *stats)
{
	struct metrics_buf b = { 0 };

	if (!buf_reserve(&b, 0)) {
		errno = ENOMEM;
		return NULL;
	}
	b.p[0] = '\0';
	if (json_is_object(stats)) {
		const json_t *ports = json_object_get(stats, "ports");
		const json_t *workers = json_object_get(stats, "workers");
		const json_t *indicators = json_object_get(stats, "indicators");

		if (json_is_array(ports))
			emit_families(&b, port_families,
				      METRICS_DIM(port_families), ports,
				      port_labels);
		if (json_is_array(workers)) {
			emit_families(&b, worker_families,
				      METRICS_DIM(worker_families), workers,
				      worker_labels);
			emit_worker_extras(&b, workers);
		}
		const json_t *exporter = json_object_get(stats, "exporter");
		emit_families(&b, exporter_families,
			      METRICS_DIM(exporter_families), exporter, NULL);
		const json_t *sinks = json_object_get(stats, "sinks");
		if (json_is_array(sinks))
			emit_family(&b, &sink_up_family, sinks, sink_labels,
				    true);
		if (json_is_array(sinks))
			emit_families(&b, sink_families,
				      METRICS_DIM(sink_families), sinks,
				      sink_labels);
		emit_families(&b, db_families, METRICS_DIM(db_families),
			      json_object_get(stats, "db"), NULL);
		emit_families(&b, state_families, METRICS_DIM(state_families),
			      json_object_get(stats, "state"), NULL);
		emit_families(&b, exports_families,
			      METRICS_DIM(exports_families),
			      json_object_get(stats, "exports"), NULL);
		if (json_is_array(indicators))
			emit_families(&b, indicator_families,
				      METRICS_DIM(indicator_families),
				      indicators, indicator_labels);
	}
	if (b.failed) {
		free(b.p);
		errno = ENOMEM;
		return NULL;
	}
	return b.p;
}

/* ---- HTTP ----------------------------------------------------------------- */

/* RFC 9110 tchar, the characters of a method. */
static bool
http_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The request line, without its line end: METHOD SP /target SP HTTP/1.x */
static enum ctl_http_verdict
http_request_line(const char *line, size_t len)
{
	static const char version[] = "HTTP/1.";
	static const char metrics[] = "/metrics";
	size_t i = 0;

	while (i < len && http_tchar(line[i]))
		i++;
	size_t method_len = i;
	if (method_len == 0 || i >= len || line[i] != ' ')
		return CTL_HTTP_BAD_REQUEST;
	size_t target = ++i;
	while (i < len && line[i] > ' ' && line[i] != 0x7f)
		i++;
	size_t target_len = i - target;
	if (target_len == 0 || line[target] != '/' || i >= len || line[i] != ' ')
		return CTL_HTTP_BAD_REQUEST;
	i++;
	if (len - i != sizeof(version) || memcmp(line + i, version,
						 sizeof(version) - 1) != 0 ||
	    line[len - 1] < '0' || line[len - 1] > '9')
		return CTL_HTTP_BAD_REQUEST;

	if (method_len != 3 || memcmp(line, "GET", 3) != 0)
		return CTL_HTTP_METHOD_NOT_ALLOWED;
	size_t path_len = 0;
	while (path_len < target_len && line[target + path_len] != '?')
		path_len++;
	if (path_len == sizeof(metrics) - 1 &&
	    memcmp(line + target, metrics, path_len) == 0)
		return CTL_HTTP_METRICS;
	return CTL_HTTP_NOT_FOUND;
}

enum ctl_http_verdict
ctl_http_request_check(const char *buf, size_t len)
{
	size_t scan = len < CTL_HTTP_MAX_HEADER ? len : CTL_HTTP_MAX_HEADER;
	size_t line_start = 0;
	size_t first_end = 0;   /* end of the request line, its '\n' */
	bool have_first = false;

	if (buf == NULL)
		return len == 0 ? CTL_HTTP_INCOMPLETE : CTL_HTTP_BAD_REQUEST;
	for (size_t i = 0; i < scan; i++) {
		if (buf[i] != '\n')
			continue;
		size_t line_len = i - line_start;
		if (line_len > 0 && buf[i - 1] == '\r')
			line_len--;
		if (!have_first) {
			have_first = true;
			first_end = line_start + line_len;
		}
		if (line_len == 0)   /* the empty line: the block is whole */
			return http_request_line(buf, first_end);
		line_start = i + 1;
	}
	return len >= CTL_HTTP_MAX_HEADER ? CTL_HTTP_BAD_REQUEST
					  : CTL_HTTP_INCOMPLETE;
}

char *
ctl_http_response(enum ctl_http_verdict verdict, const char *body,
		  size_t *len)
{
	const char *status;
	const char *type = "text/plain; charset=utf-8";
	const char *extra = "";

	switch (verdict) {
	case CTL_HTTP_METRICS:
		status = "200 OK";
		type = "text/plain; version=0.0.4; charset=utf-8";
		if (body == NULL)
			body = "";
		break;
	case CTL_HTTP_NOT_FOUND:
		status = "404 Not Found";
		break;
	case CTL_HTTP_BAD_REQUEST:
		status = "400 Bad Request";
		break;
	case CTL_HTTP_METHOD_NOT_ALLOWED:
		status = "405 Method Not Allowed";
		extra = "Allow: GET\r\n";
		break;
	case CTL_HTTP_INCOMPLETE:
	default:
		errno = EINVAL;
		return NULL;
	}
	char reason[64];
	if (body == NULL) {
		snprintf(reason, sizeof(reason), "%s\n", status + 4);
		body = reason;
	}

	size_t body_len = strlen(body);
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "%s"
			 "Connection: close\r\n"
			 "\r\n", status, type, body_len, extra);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		errno = EINVAL;
		return NULL;
	}
	char *out = malloc((size_t)n + body_len + 1);
	if (out == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(out, head, (size_t)n);
	memcpy(out + n, body, body_len + 1);
	if (len != NULL)
		*len = (size_t)n + body_len;
	return out;
}
