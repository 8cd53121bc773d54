/* format.c -- a hit event as an RFC 5424, CEF or LEEF record (ECS: event.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dns.h"
#include "format.h"

#define FORMAT_VENDOR "iocsift"
#define FORMAT_PRODUCT "iocsift"
#define FORMAT_APP_NAME "iocsift"
#define FORMAT_MSGID "hit"
#define FORMAT_CATEGORY "indicator-match"
#define BUFFER_MIN 512
#define SANITIZE_STACK 256         /* input bytes sanitized without malloc */
#define CEF_NAME_VALUE_MAX 128     /* bytes of the indicator in CEF's Name */
#define HOSTNAME_MAX 255           /* RFC 5424 HOSTNAME */
#define LEEF_TIME_FORMAT "yyyy-MM-dd'T'HH:mm:ss.SSSZ"

static const char *const format_names[EXP_FORMAT_COUNT] = {
	[EXP_FORMAT_ECS] = "ecs",
	[EXP_FORMAT_RFC5424] = "rfc5424",
	[EXP_FORMAT_CEF] = "cef",
	[EXP_FORMAT_LEEF] = "leef",
};

int
exp_format_from_name(const char *name, enum exp_format *format)
{
	if (name == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < EXP_FORMAT_COUNT; i++) {
		if (strcasecmp(name, format_names[i]) == 0) {
			*format = (enum exp_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
exp_format_name(enum exp_format format)
{
	if ((unsigned int)format >= EXP_FORMAT_COUNT)
		return "unknown";
	return format_names[format];
}

unsigned int
exp_syslog_severity(uint8_t severity)
{
	switch (severity) {
	case PAT_SEVERITY_CRITICAL:
		return 2;       /* crit */
	case PAT_SEVERITY_HIGH:
		return 3;       /* err */
	case PAT_SEVERITY_LOW:
		return 5;       /* notice */
	default:
		return 4;       /* warning: medium and unset */
	}
}

unsigned int
exp_cef_severity(uint8_t severity)
{
	switch (severity) {
	case PAT_SEVERITY_CRITICAL:
		return 10;
	case PAT_SEVERITY_HIGH:
		return 8;
	case PAT_SEVERITY_LOW:
		return 3;
	default:
		return 5;
	}
}

void
exp_buffer_reset(struct exp_buffer *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
exp_buffer_free(struct exp_buffer *b)
{
	free(b->data);
	*b = (struct exp_buffer){ 0 };
}

int
exp_buffer_append(struct exp_buffer *b, const void *bytes, size_t len)
{
	if (len >= SIZE_MAX - b->len)
		return -ENOMEM;
	size_t need = b->len + len + 1;
	if (need > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : BUFFER_MIN;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		char *data = realloc(b->data, cap);
		if (data == NULL)
			return -ENOMEM;
		b->data = data;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->data + b->len, bytes, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* Appends with a sticky error, so a record is written straight through
 * and checked once at the end. */
struct writer {
	struct exp_buffer *b;
	int err;
};

static void
put(struct writer *w, const void *bytes, size_t len)
{
	if (w->err == 0 && len > 0)
		w->err = exp_buffer_append(w->b, bytes, len);
}

static void
put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
put_fmt(struct writer *w, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		if (w->err == 0)
			w->err = -EINVAL;       /* only short numbers come here */
		return;
	}
	put(w, buf, (size_t)n);
}

/*
 * Escaping. Every mode first replaces invalid UTF-8 by U+FFFD, then writes
 * C0 controls and DEL as rsyslog does ('#' and three octal digits: LF is
 * #012, NUL #000), so no record holds a raw control character; CEF
 * extension values write LF and CR as \n and \r instead, as CEF says.
 */
enum escape {
	ESCAPE_TEXT,            /* RFC 5424 MSG, LEEF values: controls only */
	ESCAPE_SD,              /* RFC 5424 PARAM-VALUE: and '"' '\' ']' */
	ESCAPE_CEF_HEADER,      /* CEF header field: and '\' '|' */
	ESCAPE_CEF_EXT,         /* CEF extension value: and '\' '=' */
};

static bool
needs_backslash(enum escape mode, uint8_t c)
{
	switch (mode) {
	case ESCAPE_SD:
		return c == '"' || c == '\\' || c == ']';
	case ESCAPE_CEF_HEADER:
		return c == '\\' || c == '|';
	case ESCAPE_CEF_EXT:
		return c == '\\' || c == '=';
	default:
		return false;
	}
}

/* Writes clean (valid UTF-8) escaped for mode. */
static void
put_clean_escaped(struct writer *w, const char *clean, size_t len,
		  enum escape mode)
{
	size_t run = 0;         /* start of the bytes not written yet */

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)clean[i];
		char esc[5];
		size_t esc_len;

		if (c < 0x20 || c == 0x7f) {
			if (mode == ESCAPE_CEF_EXT && (c == '\n' || c == '\r')) {
				esc[0] = '\\';
				esc[1] = c == '\n' ? 'n' : 'r';
				esc_len = 2;
			} else {
				esc[0] = '#';
				esc[1] = (char)('0' + (c >> 6));
				esc[2] = (char)('0' + ((c >> 3) & 7));
				esc[3] = (char)('0' + (c & 7));
				esc_len = 4;
			}
		} else if (needs_backslash(mode, c)) {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc_len = 2;
		} else {
			continue;
		}
		put(w, clean + run, i - run);
		put(w, esc, esc_len);
		run = i + 1;
	}
	put(w, clean + run, len - run);
}

/* Any bytes: made valid UTF-8 (on the stack when short), then escaped. */
static void
put_escaped(struct writer *w, const uint8_t *bytes, size_t len,
	    enum escape mode)
{
	char small[3 * SANITIZE_STACK + 1];
	char *clean = small;

	if (len > SANITIZE_STACK) {
		clean = malloc(3 * len + 1);
		if (clean == NULL) {
			if (w->err == 0)
				w->err = -ENOMEM;
			return;
		}
	}
	size_t n = exp_utf8_sanitize(bytes, len, clean);
	put_clean_escaped(w, clean, n, mode);
	if (clean != small)
		free(clean);
}

static void
put_escaped_str(struct writer *w, const char *s, enum escape mode)
{
	put_escaped(w, (const uint8_t *)s, strlen(s), mode);
}

/* What the three text formats share, worked out once per record. */
struct event_info {
	const struct exp_event *ev;
	const struct exp_message *msg;
	const struct pat_indicator *ind;
	uint64_t first_ns, last_ns;
	uint32_t count;
	bool network;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *app;            /* syslog, dns, log */
	const char *transport;      /* UDP, TCP */
	const uint8_t *text;        /* the message shown */
	size_t text_len;
	struct exp_buffer scratch;  /* holds a DNS summary */
};

/* "dns query evil.example A", "dns response evil.example A: 192.0.2.1
 * alias.example.net" (the answers kept by the parser), or for a message
 * that does not parse "dns message of N bytes (malformed)". */
static int
dns_summary(const struct exp_message *msg, struct exp_buffer *out)
{
	struct dp_dns_message *dns = malloc(sizeof(*dns));
	struct writer w = { .b = out };
	char addr[INET6_ADDRSTRLEN];

	if (dns == NULL)
		return -ENOMEM;
	if (msg->payload == NULL ||
	    dp_dns_parse(msg->payload, msg->payload_len, dns) != 0) {
		put_fmt(&w, "dns message of %zu bytes (malformed)",
			msg->payload_len);
		free(dns);
		return w.err;
	}
	put_str(&w, dns->flags >> 15 ? "dns response " : "dns query ");
	put(&w, dns->qname, dns->qname_len);
	const char *type = exp_dns_type_name(dns->qtype);
	if (type != NULL)
		put_fmt(&w, " %s", type);
	else
		put_fmt(&w, " TYPE%u", (unsigned int)dns->qtype);
	for (uint16_t i = 0; i < dns->answer_count; i++) {
		const struct dp_dns_answer *a = &dns->answers[i];

		put_str(&w, i == 0 ? ": " : " ");
		if (a->type == DP_DNS_TYPE_A || a->type == DP_DNS_TYPE_AAAA) {
			inet_ntop(a->type == DP_DNS_TYPE_A ? AF_INET : AF_INET6,
				  a->addr, addr, sizeof(addr));
			put_str(&w, addr);
		} else {
			put(&w, a->name, a->name_len);
		}
	}
	free(dns);
	return w.err;
}

static const char *
app_name(enum exp_protocol protocol)
{
	switch (protocol) {
	case EXP_PROTOCOL_DNS:
		return "dns";
	case EXP_PROTOCOL_LOG_LINE:
		return "log";
	default:
		return "syslog";
	}
}

static int
info_init(struct event_info *in, const struct exp_event *ev)
{
	const struct exp_message *msg = ev->msg;

	*in = (struct event_info){
		.ev = ev, .msg = msg, .ind = ev->ind,
		.first_ns = exp_event_first_ns(ev),
		.last_ns = exp_event_last_ns(ev),
		.count = exp_event_count(ev),
		.network = msg->ip_version != 0,
		.app = app_name(msg->protocol),
		.transport = msg->l4_proto == IPPROTO_TCP ? "TCP" : "UDP",
	};
	if (in->network) {
		int af = msg->ip_version == 4 ? AF_INET : AF_INET6;
		inet_ntop(af, msg->src_addr, in->src, sizeof(in->src));
		inet_ntop(af, msg->dst_addr, in->dst, sizeof(in->dst));
	}
	if (msg->protocol == EXP_PROTOCOL_DNS) {
		int rc = dns_summary(msg, &in->scratch);
		if (rc != 0) {
			exp_buffer_free(&in->scratch);
			return rc;
		}
		in->text = (const uint8_t *)in->scratch.data;
		in->text_len = in->scratch.len;
		return 0;
	}
	/* As received, but for the line end (and the NUL some senders add). */
	in->text = msg->payload;
	in->text_len = msg->payload != NULL ? msg->payload_len : 0;
	while (in->text_len > 0) {
		uint8_t last = in->text[in->text_len - 1];
		if (last != '\0' && last != '\r' && last != '\n')
			break;
		in->text_len--;
	}
	return 0;
}

static void
info_release(struct event_info *in)
{
	exp_buffer_free(&in->scratch);
}

/* RFC 5424 HOSTNAME: 1..255 printable US-ASCII, else "-". */
static void
put_hostname(struct writer *w, const char *hostname)
{
	char buf[HOSTNAME_MAX];
	size_t n = hostname != NULL ? strnlen(hostname, HOSTNAME_MAX) : 0;

	if (n == 0) {
		put_str(w, "-");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)hostname[i];
		buf[i] = c > 32 && c < 127 ? (char)c : '_';
	}
	put(w, buf, n);
}

/* "<PRI>1 TIMESTAMP HOSTNAME iocsift - hit ": up to STRUCTURED-DATA. */
static void
put_syslog_header(struct writer *w, const struct exp_event *ev)
{
	char ts[EXP_TIME_MAX];
	unsigned int pri = EXP_SYSLOG_FACILITY * 8 +
		exp_syslog_severity(ev->ind->severity);

	put_fmt(w, "<%u>1 %s ", pri, exp_time_format(exp_event_last_ns(ev), ts));
	put_hostname(w, ev->hostname);
	put_str(w, " " FORMAT_APP_NAME " - " FORMAT_MSGID " ");
}

static void
sd_param(struct writer *w, const char *name, const char *value)
{
	put_fmt(w, " %s=\"", name);
	put_escaped_str(w, value, ESCAPE_SD);
	put_str(w, "\"");
}

static void
sd_param_u64(struct writer *w, const char *name, uint64_t value)
{
	put_fmt(w, " %s=\"%" PRIu64 "\"", name, value);
}

static void
sd_param_time(struct writer *w, const char *name, uint64_t time_ns)
{
	char ts[EXP_TIME_MAX];

	sd_param(w, name, exp_time_format(time_ns, ts));
}

static void
rfc5424_record(struct writer *w, const struct event_info *in)
{
	const struct exp_event *ev = in->ev;
	const struct pat_indicator *ind = in->ind;
	const char *severity = exp_severity_name(ind->severity);

	put_syslog_header(w, ev);
	put_str(w, "[" EXP_SD_ID);
	if (ev->id != NULL && ev->id[0] != '\0')
		sd_param(w, "id", ev->id);
	sd_param(w, "type", pat_type_name(ind->type));
	sd_param(w, "value", ind->value);
	sd_param(w, "feed", ind->feed);
	if (ind->tags[0] != '\0')
		sd_param(w, "tags", ind->tags);
	if (severity != NULL)
		sd_param(w, "severity", severity);
	if (ind->source[0] != '\0')
		sd_param(w, "reference", ind->source);
	if (in->network) {
		sd_param(w, "src", in->src);
		sd_param_u64(w, "srcport", in->msg->src_port);
		sd_param(w, "dst", in->dst);
		sd_param_u64(w, "dstport", in->msg->dst_port);
		sd_param(w, "transport", in->transport);
	}
	sd_param(w, "proto", in->app);
	if (in->msg->protocol == EXP_PROTOCOL_LOG_LINE && in->msg->file != NULL) {
		sd_param(w, "file", in->msg->file);
		sd_param_u64(w, "line", in->msg->line);
	}
	sd_param_u64(w, "count", in->count);
	if (in->count > 1) {
		sd_param_time(w, "start", in->first_ns);
		sd_param_time(w, "end", in->last_ns);
	}
	sd_param_u64(w, "dbversion", ev->db_version);
	sd_param(w, "matched", exp_matched_field(in->msg, ind));
	if (in->msg->truncated)
		sd_param(w, "truncated", "true");
	put_str(w, "]");
	if (in->text_len > 0) {
		put_str(w, " ");
		put_escaped(w, in->text, in->text_len, ESCAPE_TEXT);
	}
}

/* " key=value" of a CEF extension (rt, the first, has no space). */
static void
cef_ext(struct writer *w, const char *key, const char *value)
{
	put_fmt(w, " %s=", key);
	put_escaped_str(w, value, ESCAPE_CEF_EXT);
}

static void
cef_ext_u64(struct writer *w, const char *key, uint64_t value)
{
	put_fmt(w, " %s=%" PRIu64, key, value);
}

static void
cef_custom(struct writer *w, const char *key, const char *label,
	   const char *value)
{
	put_fmt(w, " %sLabel=%s", key, label);
	cef_ext(w, key, value);
}

/* Name: "IOC hit: TYPE VALUE", VALUE cut to CEF_NAME_VALUE_MAX bytes at a
 * character boundary and "..." added (cs1 has all of it). */
static void
cef_name(struct writer *w, const struct pat_indicator *ind)
{
	size_t len = strlen(ind->value);
	char *clean = malloc(3 * len + 1);

	if (clean == NULL) {
		if (w->err == 0)
			w->err = -ENOMEM;
		return;
	}
	size_t n = exp_utf8_sanitize((const uint8_t *)ind->value, len, clean);
	size_t cut = n;
	if (n > CEF_NAME_VALUE_MAX) {
		cut = CEF_NAME_VALUE_MAX;
		while (cut > 0 && ((uint8_t)clean[cut] & 0xc0) == 0x80)
			cut--;
	}
	put_str(w, "IOC hit: ");
	put_str(w, pat_type_name(ind->type));
	put_str(w, " ");
	put_clean_escaped(w, clean, cut, ESCAPE_CEF_HEADER);
	if (cut < n)
		put_str(w, "...");
	free(clean);
}

/* The indicator in the CEF key made for its kind, where there is one. */
static void
cef_indicator_key(struct writer *w, const struct pat_indicator *ind)
{
	switch (ind->type) {
	case PAT_TYPE_URL:
		cef_ext(w, "request", ind->value);
		break;
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		cef_ext(w, "fileHash", ind->value);
		break;
	case PAT_TYPE_FILENAME:
		cef_ext(w, "fname", ind->value);
		break;
	default:
		break;
	}
}

static void
cef_record(struct writer *w, const struct event_info *in)
{
	const struct exp_event *ev = in->ev;
	const struct pat_indicator *ind = in->ind;

	put_str(w, "CEF:0|" FORMAT_VENDOR "|" FORMAT_PRODUCT "|");
	put_escaped_str(w, IOCSIFT_VERSION, ESCAPE_CEF_HEADER);
	put_str(w, "|ioc-");
	put_str(w, pat_type_name(ind->type));
	put_str(w, "|");
	cef_name(w, ind);
	put_fmt(w, "|%u|", exp_cef_severity(ind->severity));
	put_fmt(w, "rt=%" PRIu64, in->last_ns / 1000000);
	cef_ext(w, "cat", FORMAT_CATEGORY);
	if (in->network) {
		cef_ext(w, "src", in->src);
		cef_ext_u64(w, "spt", in->msg->src_port);
		cef_ext(w, "dst", in->dst);
		cef_ext_u64(w, "dpt", in->msg->dst_port);
		cef_ext(w, "proto", in->transport);
	}
	cef_ext(w, "app", in->app);
	if (ev->hostname != NULL && ev->hostname[0] != '\0')
		cef_ext(w, "dvchost", ev->hostname);
	if (ev->id != NULL && ev->id[0] != '\0')
		cef_ext(w, "externalId", ev->id);
	cef_custom(w, "cs1", "iocValue", ind->value);
	cef_custom(w, "cs2", "iocFeed", ind->feed);
	if (ind->tags[0] != '\0')
		cef_custom(w, "cs3", "iocTags", ind->tags);
	cef_custom(w, "cs4", "iocType", pat_type_name(ind->type));
	cef_custom(w, "cs5", "matchedField", exp_matched_field(in->msg, ind));
	if (ind->source[0] != '\0')
		cef_custom(w, "cs6", "iocReference", ind->source);
	cef_indicator_key(w, ind);
	cef_ext_u64(w, "cnt", in->count);
	if (in->count > 1) {
		cef_ext_u64(w, "start", in->first_ns / 1000000);
		cef_ext_u64(w, "end", in->last_ns / 1000000);
	}
	put_str(w, " cn1Label=dbVersion");
	cef_ext_u64(w, "cn1", ev->db_version);
	if (in->msg->protocol == EXP_PROTOCOL_LOG_LINE && in->msg->file != NULL) {
		put_str(w, " flexString1Label=logFile");
		cef_ext(w, "flexString1", in->msg->file);
		put_str(w, " flexNumber1Label=logLine");
		cef_ext_u64(w, "flexNumber1", in->msg->line);
	}
	put_str(w, " msg=");
	put_escaped(w, in->text, in->text_len, ESCAPE_CEF_EXT);
}

/* "2026-11-26T10:00:05.123+0000", LEEF_TIME_FORMAT in Java's terms. */
static const char *
leef_time(uint64_t time_ns, char *buf, size_t size)
{
	time_t secs = (time_t)(time_ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03u+0000",
		 (unsigned int)(time_ns % 1000000000ULL / 1000000));
	return buf;
}

/* "\tkey=value" (devTimeFormat, the first, has no tab). */
static void
leef_attr(struct writer *w, const char *key, const char *value)
{
	put_fmt(w, "\t%s=", key);
	put_escaped_str(w, value, ESCAPE_TEXT);
}

static void
leef_attr_u64(struct writer *w, const char *key, uint64_t value)
{
	put_fmt(w, "\t%s=%" PRIu64, key, value);
}

static void
leef_record(struct writer *w, const struct event_info *in)
{
	const struct exp_event *ev = in->ev;
	const struct pat_indicator *ind = in->ind;
	const char *severity = exp_severity_name(ind->severity);
	char ts[40];

	put_str(w, "LEEF:2.0|" FORMAT_VENDOR "|" FORMAT_PRODUCT "|");
	put_escaped_str(w, IOCSIFT_VERSION, ESCAPE_CEF_HEADER);
	put_str(w, "|ioc-");
	put_str(w, pat_type_name(ind->type));
	put_str(w, "|x09|devTimeFormat=" LEEF_TIME_FORMAT);
	leef_attr(w, "devTime", leef_time(in->last_ns, ts, sizeof(ts)));
	leef_attr(w, "cat", FORMAT_CATEGORY);
	leef_attr_u64(w, "sev", exp_cef_severity(ind->severity));
	if (in->network) {
		leef_attr(w, "src", in->src);
		leef_attr_u64(w, "srcPort", in->msg->src_port);
		leef_attr(w, "dst", in->dst);
		leef_attr_u64(w, "dstPort", in->msg->dst_port);
		leef_attr(w, "proto", in->transport);
	}
	leef_attr(w, "app", in->app);
	if (ev->hostname != NULL && ev->hostname[0] != '\0')
		leef_attr(w, "dvchost", ev->hostname);
	if (ev->id != NULL && ev->id[0] != '\0')
		leef_attr(w, "eventId", ev->id);
	leef_attr(w, "iocType", pat_type_name(ind->type));
	leef_attr(w, "iocValue", ind->value);
	leef_attr(w, "iocFeed", ind->feed);
	if (ind->tags[0] != '\0')
		leef_attr(w, "iocTags", ind->tags);
	if (severity != NULL)
		leef_attr(w, "iocSeverity", severity);
	if (ind->source[0] != '\0')
		leef_attr(w, "iocReference", ind->source);
	leef_attr(w, "matchedField", exp_matched_field(in->msg, ind));
	leef_attr_u64(w, "count", in->count);
	if (in->count > 1) {
		leef_attr(w, "startTime", leef_time(in->first_ns, ts, sizeof(ts)));
		leef_attr(w, "endTime", leef_time(in->last_ns, ts, sizeof(ts)));
	}
	leef_attr_u64(w, "dbVersion", ev->db_version);
	if (in->msg->protocol == EXP_PROTOCOL_LOG_LINE && in->msg->file != NULL) {
		leef_attr(w, "logFile", in->msg->file);
		leef_attr_u64(w, "logLine", in->msg->line);
	}
	if (in->msg->truncated)
		leef_attr(w, "truncated", "true");
	put_str(w, "\tmsg=");
	put_escaped(w, in->text, in->text_len, ESCAPE_TEXT);
}

static int
format_event(enum exp_format format, const struct exp_event *ev,
	     struct exp_buffer *out, bool syslog)
{
	struct writer w = { .b = out };
	struct event_info in;
	size_t start = out->len;

	if ((unsigned int)format >= EXP_FORMAT_COUNT)
		return -EINVAL;
	if (syslog && format != EXP_FORMAT_RFC5424) {
		put_syslog_header(&w, ev);
		put_str(&w, "- ");      /* no STRUCTURED-DATA */
	}
	if (format == EXP_FORMAT_ECS) {
		if (w.err == 0)
			w.err = exp_event_ecs(ev, out);
	} else if (w.err == 0) {
		w.err = info_init(&in, ev);
		if (w.err == 0) {
			if (format == EXP_FORMAT_RFC5424)
				rfc5424_record(&w, &in);
			else if (format == EXP_FORMAT_CEF)
				cef_record(&w, &in);
			else
				leef_record(&w, &in);
			info_release(&in);
		}
	}
	if (w.err != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return w.err;
}

int
exp_format_record(enum exp_format format, const struct exp_event *ev,
		  struct exp_buffer *out)
{
	return format_event(format, ev, out, false);
}

int
exp_format_syslog(enum exp_format format, const struct exp_event *ev,
		  struct exp_buffer *out)
{
	return format_event(format, ev, out, true);
}
