/* format.c -- a hit event as an RFC 5424, CEF or LEEF record (ECS: event.c),
 * written straight into the output buffer: no printf, no allocation per
 * event, every string made valid UTF-8 and escaped in one pass. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "format.h"

#define FORMAT_VENDOR "iocsift"
#define FORMAT_PRODUCT "iocsift"
#define FORMAT_APP_NAME "iocsift"
#define FORMAT_MSGID "hit"
#define FORMAT_CATEGORY "indicator-match"
/* A retro-hunt's finding in the history (docs/events.md). */
#define FORMAT_CATEGORY_RETRO "indicator-match-retro"
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

/*
 * Escaping. Every mode replaces invalid UTF-8 by U+FFFD, and writes C0
 * controls and DEL as rsyslog does ('#' and three octal digits: LF is
 * #012, NUL #000), so no record holds a raw control character; CEF
 * extension values write LF and CR as \n and \r instead, as CEF says.
 * Both happen in one pass over the input.
 */
enum escape {
	ESCAPE_TEXT,            /* RFC 5424 MSG, LEEF values: controls only */
	ESCAPE_SD,              /* RFC 5424 PARAM-VALUE: and '"' '\' ']' */
	ESCAPE_CEF_HEADER,      /* CEF header field: and '\' '|' */
	ESCAPE_CEF_EXT,         /* CEF extension value: and '\' '=' */
};

/* What each mode writes with a backslash before it (repeated to fill
 * three; DEL for none, as it is a control anyway). */
static const uint8_t backslashed[][3] = {
	[ESCAPE_TEXT] = { 0x7f, 0x7f, 0x7f },
	[ESCAPE_SD] = { '"', '\\', ']' },
	[ESCAPE_CEF_HEADER] = { '\\', '|', '|' },
	[ESCAPE_CEF_EXT] = { '\\', '=', '=' },
};

/* True when one of the 8 bytes in x needs more than a copy: a control,
 * DEL or above (multibyte UTF-8, checked byte by byte), or one of sp. */
static inline bool
needs_attention(uint64_t x, const uint8_t *sp)
{
	return ((((x - EXP_SWAR_ONES * 0x20) & ~x) | (x + EXP_SWAR_ONES) | x |
		 exp_swar_eq(x, sp[0]) | exp_swar_eq(x, sp[1]) |
		 exp_swar_eq(x, sp[2])) & EXP_SWAR_HIGHS) != 0;
}

/* Any bytes, valid UTF-8 and escaped for mode. */
static void
put_escaped(struct exp_writer *w, const uint8_t *s, size_t len,
	    enum escape mode)
{
	const uint8_t *sp = backslashed[mode];

	if (len > (SIZE_MAX - 1) / 4) {
		if (w->err == 0)
			w->err = -ENOMEM;
		return;
	}
	char *start = exp_room(w, 4 * len);      /* "#ooo" at most per byte */
	if (start == NULL)
		return;
	char *o = start;
	size_t i = 0;

	for (;;) {
		o = exp_copy_plain(o, s, len, &i, needs_attention, sp);
		if (i == len)
			break;
		uint8_t c = s[i++];
		if (c < 0x20 || c == 0x7f) {
			if (mode == ESCAPE_CEF_EXT && (c == '\n' || c == '\r')) {
				o[0] = '\\';
				o[1] = c == '\n' ? 'n' : 'r';
				o += 2;
			} else {
				o[0] = '#';
				o[1] = (char)('0' + (c >> 6));
				o[2] = (char)('0' + ((c >> 3) & 7));
				o[3] = (char)('0' + (c & 7));
				o += 4;
			}
		} else if (c == sp[0] || c == sp[1] || c == sp[2]) {
			o[0] = '\\';
			o[1] = (char)c;
			o += 2;
		} else {
			*o++ = (char)c;
		}
	}
	exp_buffer_advance(w->b, (size_t)(o - start));
}

static void
put_escaped_str(struct exp_writer *w, const char *s, enum escape mode)
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
	char src[EXP_ADDR_MAX], dst[EXP_ADDR_MAX];
	size_t src_len, dst_len;
	const char *app;            /* syslog, dns, log */
	const char *transport;      /* UDP, TCP */
	const uint8_t *text;        /* the message shown, but for DNS */
	size_t text_len;
	const struct dp_dns_message *dns; /* DNS: parsed, NULL if it did not */
};

/* The DNS message shown, escaped for mode: "dns query evil.example A",
 * "dns response evil.example A: 192.0.2.1 alias.example.net" (the answers
 * kept by the parser), or for a message that does not parse "dns message
 * of N bytes (malformed)". The fixed words need no escaping in any mode. */
static void
put_dns_summary(struct exp_writer *w, const struct event_info *in,
		enum escape mode)
{
	const struct dp_dns_message *dns = in->dns;
	char addr[EXP_ADDR_MAX];

	if (dns == NULL) {
		EXP_PUT_LIT(w, "dns message of ");
		exp_put_u64(w, in->msg->payload_len);
		EXP_PUT_LIT(w, " bytes (malformed)");
		return;
	}
	if (dns->flags >> 15)
		EXP_PUT_LIT(w, "dns response ");
	else
		EXP_PUT_LIT(w, "dns query ");
	put_escaped(w, (const uint8_t *)dns->qname, dns->qname_len, mode);
	const char *type = exp_dns_type_name(dns->qtype);
	if (type != NULL) {
		EXP_PUT_LIT(w, " ");
		exp_put_str(w, type);
	} else {
		EXP_PUT_LIT(w, " TYPE");
		exp_put_u64(w, dns->qtype);
	}
	for (uint16_t i = 0; i < dns->answer_count; i++) {
		const struct dp_dns_answer *a = &dns->answers[i];

		if (i == 0)
			EXP_PUT_LIT(w, ": ");
		else
			EXP_PUT_LIT(w, " ");
		if (a->type == DP_DNS_TYPE_A || a->type == DP_DNS_TYPE_AAAA) {
			size_t n = exp_addr_format(a->type == DP_DNS_TYPE_A ?
						   4 : 6, a->addr, addr);
			exp_put(w, addr, n);
		} else {
			put_escaped(w, (const uint8_t *)a->name, a->name_len,
				    mode);
		}
	}
}

/* The message shown, escaped for mode. */
static void
put_text(struct exp_writer *w, const struct event_info *in, enum escape mode)
{
	if (in->msg->protocol == EXP_PROTOCOL_DNS)
		put_dns_summary(w, in, mode);
	else
		put_escaped(w, in->text, in->text_len, mode);
}

static bool
text_empty(const struct event_info *in)
{
	return in->msg->protocol != EXP_PROTOCOL_DNS && in->text_len == 0;
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

/* dns: room for the parsed message of a DNS event, which is parsed once
 * here. */
static void
info_init(struct event_info *in, const struct exp_event *ev,
	  struct dp_dns_message *dns)
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
		in->src_len = exp_addr_format(msg->ip_version, msg->src_addr,
					      in->src);
		in->dst_len = exp_addr_format(msg->ip_version, msg->dst_addr,
					      in->dst);
	}
	if (msg->protocol == EXP_PROTOCOL_DNS) {
		if (msg->payload != NULL &&
		    dp_dns_parse(msg->payload, msg->payload_len, dns) == 0)
			in->dns = dns;
		return;
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
}

/* RFC 5424 HOSTNAME: 1..255 printable US-ASCII, else "-". */
static void
put_hostname(struct exp_writer *w, const char *hostname)
{
	size_t n = hostname != NULL ? strnlen(hostname, HOSTNAME_MAX) : 0;

	if (n == 0) {
		EXP_PUT_LIT(w, "-");
		return;
	}
	char *p = exp_room(w, n);
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)hostname[i];
		p[i] = c > 32 && c < 127 ? (char)c : '_';
	}
	exp_buffer_advance(w->b, n);
}

/* "<PRI>1 TIMESTAMP HOSTNAME iocsift - hit ": up to STRUCTURED-DATA. */
static void
put_syslog_header(struct exp_writer *w, const struct exp_event *ev)
{
	unsigned int pri = EXP_SYSLOG_FACILITY * 8 +
		exp_syslog_severity(ev->ind->severity);
	char *p = exp_room(w, EXP_U64_MAX + EXP_TIME_MAX + 4);

	if (p == NULL)
		return;
	size_t n = 1;
	p[0] = '<';
	n += exp_u64_format(pri, p + n);
	memcpy(p + n, ">1 ", 3);
	n += 3;
	exp_time_format(exp_event_last_ns(ev), p + n);
	n += EXP_TIME_LEN;
	p[n++] = ' ';
	exp_buffer_advance(w->b, n);
	put_hostname(w, ev->hostname);
	EXP_PUT_LIT(w, " " FORMAT_APP_NAME " - " FORMAT_MSGID " ");
}

/* ' NAME="VALUE"' of the SD element; NAME a literal. */
#define SD_PARAM(w, name, value) \
	sd_param((w), " " name "=\"", sizeof(" " name "=\"") - 1, (value))
#define SD_PARAM_U64(w, name, value) \
	sd_param_u64((w), " " name "=\"", sizeof(" " name "=\"") - 1, (value))
#define SD_PARAM_TIME(w, name, value) \
	sd_param_time((w), " " name "=\"", sizeof(" " name "=\"") - 1, (value))

static void
sd_param(struct exp_writer *w, const char *head, size_t head_len,
	 const char *value)
{
	exp_put(w, head, head_len);
	put_escaped_str(w, value, ESCAPE_SD);
	EXP_PUT_LIT(w, "\"");
}

static void
sd_param_u64(struct exp_writer *w, const char *head, size_t head_len,
	     uint64_t value)
{
	exp_put(w, head, head_len);
	exp_put_u64(w, value);
	EXP_PUT_LIT(w, "\"");
}

/* A time has nothing to escape. */
static void
sd_param_time(struct exp_writer *w, const char *head, size_t head_len,
	      uint64_t time_ns)
{
	char ts[EXP_TIME_MAX];

	exp_put(w, head, head_len);
	exp_put(w, exp_time_format(time_ns, ts), EXP_TIME_LEN);
	EXP_PUT_LIT(w, "\"");
}

/* An address or a fixed word: nothing to escape either. */
static void
sd_param_plain(struct exp_writer *w, const char *head, size_t head_len,
	       const char *value, size_t len)
{
	exp_put(w, head, head_len);
	exp_put(w, value, len);
	EXP_PUT_LIT(w, "\"");
}

#define SD_PARAM_PLAIN(w, name, value, len) \
	sd_param_plain((w), " " name "=\"", sizeof(" " name "=\"") - 1, \
		       (value), (len))

static void
rfc5424_record(struct exp_writer *w, const struct event_info *in)
{
	const struct exp_event *ev = in->ev;
	const struct pat_indicator *ind = in->ind;
	const char *severity = exp_severity_name(ind->severity);
	const char *type = pat_type_name(ind->type);
	const char *matched = exp_matched_field(in->msg, ind);

	put_syslog_header(w, ev);
	EXP_PUT_LIT(w, "[" EXP_SD_ID);
	if (ev->id != NULL && ev->id[0] != '\0')
		SD_PARAM(w, "id", ev->id);
	SD_PARAM_PLAIN(w, "type", type, strlen(type));
	SD_PARAM(w, "value", ind->value);
	SD_PARAM(w, "feed", ind->feed);
	if (ind->tags[0] != '\0')
		SD_PARAM(w, "tags", ind->tags);
	if (severity != NULL)
		SD_PARAM_PLAIN(w, "severity", severity, strlen(severity));
	if (ind->source[0] != '\0')
		SD_PARAM(w, "reference", ind->source);
	if (in->network) {
		SD_PARAM_PLAIN(w, "src", in->src, in->src_len);
		SD_PARAM_U64(w, "srcport", in->msg->src_port);
		SD_PARAM_PLAIN(w, "dst", in->dst, in->dst_len);
		SD_PARAM_U64(w, "dstport", in->msg->dst_port);
		SD_PARAM_PLAIN(w, "transport", in->transport, 3);
	}
	SD_PARAM_PLAIN(w, "proto", in->app, strlen(in->app));
	if (in->msg->protocol == EXP_PROTOCOL_LOG_LINE && in->msg->file != NULL) {
		SD_PARAM(w, "file", in->msg->file);
		SD_PARAM_U64(w, "line", in->msg->line);
	}
	SD_PARAM_U64(w, "count", in->count);
	if (in->count > 1) {
		SD_PARAM_TIME(w, "start", in->first_ns);
		SD_PARAM_TIME(w, "end", in->last_ns);
	}
	SD_PARAM_U64(w, "dbversion", ev->db_version);
	SD_PARAM_PLAIN(w, "matched", matched, strlen(matched));
	if (in->msg->truncated)
		EXP_PUT_LIT(w, " truncated=\"true\"");
	if (in->msg->retro)
		EXP_PUT_LIT(w, " retro=\"true\"");
	EXP_PUT_LIT(w, "]");
	if (!text_empty(in)) {
		EXP_PUT_LIT(w, " ");
		put_text(w, in, ESCAPE_TEXT);
	}
}

/* " key=value" of a CEF extension (rt, the first, has no space); KEY a
 * literal. The _PLAIN form is for values with nothing to escape. */
#define CEF_EXT(w, key, value) \
	cef_ext((w), " " key "=", sizeof(" " key "=") - 1, (value))
#define CEF_EXT_U64(w, key, value) \
	cef_ext_u64((w), " " key "=", sizeof(" " key "=") - 1, (value))
#define CEF_EXT_PLAIN(w, key, value, len) do { \
	EXP_PUT_LIT((w), " " key "="); \
	exp_put((w), (value), (len)); \
} while (0)
/* " KEYLabel=LABEL KEY=value" */
#define CEF_CUSTOM(w, key, label, value) do { \
	EXP_PUT_LIT((w), " " key "Label=" label); \
	CEF_EXT((w), key, (value)); \
} while (0)

static void
cef_ext(struct exp_writer *w, const char *head, size_t head_len,
	const char *value)
{
	exp_put(w, head, head_len);
	put_escaped_str(w, value, ESCAPE_CEF_EXT);
}

static void
cef_ext_u64(struct exp_writer *w, const char *head, size_t head_len,
	    uint64_t value)
{
	exp_put(w, head, head_len);
	exp_put_u64(w, value);
}

/* Name: "IOC hit: TYPE VALUE", VALUE cut to CEF_NAME_VALUE_MAX bytes (as
 * valid UTF-8) at a character boundary and "..." added (cs1 has all of
 * it). Invalid bytes take 3 bytes each once replaced, so the cut is found
 * on the way; escaping the input up to it makes the same bytes. */
static void
cef_name(struct exp_writer *w, const struct pat_indicator *ind)
{
	const uint8_t *v = (const uint8_t *)ind->value;
	size_t len = strlen(ind->value), i = 0, clean = 0;

	while (i < len) {
		size_t n = exp_utf8_char_len(v + i, len - i);
		size_t out = n == 0 ? 3 : n;
		if (clean + out > CEF_NAME_VALUE_MAX)
			break;
		clean += out;
		i += n == 0 ? 1 : n;
	}
	EXP_PUT_LIT(w, "IOC hit: ");
	exp_put_str(w, pat_type_name(ind->type));
	EXP_PUT_LIT(w, " ");
	put_escaped(w, v, i, ESCAPE_CEF_HEADER);
	if (i < len)
		EXP_PUT_LIT(w, "...");
}

/* The indicator in the CEF key made for its kind, where there is one. */
static void
cef_indicator_key(struct exp_writer *w, const struct pat_indicator *ind)
{
	switch (ind->type) {
	case PAT_TYPE_URL:
		CEF_EXT(w, "request", ind->value);
		break;
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		CEF_EXT(w, "fileHash", ind->value);
		break;
	case PAT_TYPE_FILENAME:
		CEF_EXT(w, "fname", ind->value);
		break;
	default:
		break;
	}
}

static void
cef_record(struct exp_writer *w, const struct event_info *in)
{
	const struct exp_event *ev = in->ev;
	const struct pat_indicator *ind = in->ind;
	const char *type = pat_type_name(ind->type);
	const char *matched = exp_matched_field(in->msg, ind);

	EXP_PUT_LIT(w, "CEF:0|" FORMAT_VENDOR "|" FORMAT_PRODUCT "|");
	put_escaped_str(w, IOCSIFT_VERSION, ESCAPE_CEF_HEADER);
	EXP_PUT_LIT(w, "|ioc-");
	exp_put_str(w, type);
	EXP_PUT_LIT(w, "|");
	cef_name(w, ind);
	EXP_PUT_LIT(w, "|");
	exp_put_u64(w, exp_cef_severity(ind->severity));
	EXP_PUT_LIT(w, "|rt=");
	exp_put_u64(w, in->last_ns / 1000000);
	if (in->msg->retro)
		EXP_PUT_LIT(w, " cat=" FORMAT_CATEGORY_RETRO);
	else
		EXP_PUT_LIT(w, " cat=" FORMAT_CATEGORY);
	if (in->network) {
		CEF_EXT_PLAIN(w, "src", in->src, in->src_len);
		CEF_EXT_U64(w, "spt", in->msg->src_port);
		CEF_EXT_PLAIN(w, "dst", in->dst, in->dst_len);
		CEF_EXT_U64(w, "dpt", in->msg->dst_port);
		CEF_EXT_PLAIN(w, "proto", in->transport, 3);
	}
	CEF_EXT_PLAIN(w, "app", in->app, strlen(in->app));
	if (ev->hostname != NULL && ev->hostname[0] != '\0')
		CEF_EXT(w, "dvchost", ev->hostname);
	if (ev->id != NULL && ev->id[0] != '\0')
		CEF_EXT(w, "externalId", ev->id);
	CEF_CUSTOM(w, "cs1", "iocValue", ind->value);
	CEF_CUSTOM(w, "cs2", "iocFeed", ind->feed);
	if (ind->tags[0] != '\0')
		CEF_CUSTOM(w, "cs3", "iocTags", ind->tags);
	EXP_PUT_LIT(w, " cs4Label=iocType");
	CEF_EXT_PLAIN(w, "cs4", type, strlen(type));
	EXP_PUT_LIT(w, " cs5Label=matchedField");
	CEF_EXT_PLAIN(w, "cs5", matched, strlen(matched));
	if (ind->source[0] != '\0')
		CEF_CUSTOM(w, "cs6", "iocReference", ind->source);
	cef_indicator_key(w, ind);
	CEF_EXT_U64(w, "cnt", in->count);
	if (in->count > 1) {
		CEF_EXT_U64(w, "start", in->first_ns / 1000000);
		CEF_EXT_U64(w, "end", in->last_ns / 1000000);
	}
	EXP_PUT_LIT(w, " cn1Label=dbVersion");
	CEF_EXT_U64(w, "cn1", ev->db_version);
	if (in->msg->protocol == EXP_PROTOCOL_LOG_LINE && in->msg->file != NULL) {
		EXP_PUT_LIT(w, " flexString1Label=logFile");
		CEF_EXT(w, "flexString1", in->msg->file);
		EXP_PUT_LIT(w, " flexNumber1Label=logLine");
		CEF_EXT_U64(w, "flexNumber1", in->msg->line);
	}
	EXP_PUT_LIT(w, " msg=");
	put_text(w, in, ESCAPE_CEF_EXT);
}

/* "2026-11-26T10:00:05.123+0000", LEEF_TIME_FORMAT in Java's terms: the
 * RFC 3339 text cut to milliseconds (its first three digits of the
 * microseconds are those), then the zone. */
static void
put_leef_time(struct exp_writer *w, uint64_t time_ns)
{
	char *p = exp_room(w, EXP_TIME_MAX);

	if (p == NULL)
		return;
	exp_time_format(time_ns, p);
	memcpy(p + 23, "+0000", 5);
	exp_buffer_advance(w->b, 28);
}

/* "\tkey=value" (devTimeFormat, the first, has no tab); KEY a literal. */
#define LEEF_ATTR(w, key, value) do { \
	EXP_PUT_LIT((w), "\t" key "="); \
	put_escaped_str((w), (value), ESCAPE_TEXT); \
} while (0)
#define LEEF_ATTR_PLAIN(w, key, value, len) do { \
	EXP_PUT_LIT((w), "\t" key "="); \
	exp_put((w), (value), (len)); \
} while (0)
#define LEEF_ATTR_U64(w, key, value) do { \
	EXP_PUT_LIT((w), "\t" key "="); \
	exp_put_u64((w), (value)); \
} while (0)

static void
leef_record(struct exp_writer *w, const struct event_info *in)
{
	const struct exp_event *ev = in->ev;
	const struct pat_indicator *ind = in->ind;
	const char *severity = exp_severity_name(ind->severity);
	const char *type = pat_type_name(ind->type);
	const char *matched = exp_matched_field(in->msg, ind);

	EXP_PUT_LIT(w, "LEEF:2.0|" FORMAT_VENDOR "|" FORMAT_PRODUCT "|");
	put_escaped_str(w, IOCSIFT_VERSION, ESCAPE_CEF_HEADER);
	EXP_PUT_LIT(w, "|ioc-");
	exp_put_str(w, type);
	EXP_PUT_LIT(w, "|x09|devTimeFormat=" LEEF_TIME_FORMAT "\tdevTime=");
	put_leef_time(w, in->last_ns);
	if (in->msg->retro)
		EXP_PUT_LIT(w, "\tcat=" FORMAT_CATEGORY_RETRO);
	else
		EXP_PUT_LIT(w, "\tcat=" FORMAT_CATEGORY);
	LEEF_ATTR_U64(w, "sev", exp_cef_severity(ind->severity));
	if (in->network) {
		LEEF_ATTR_PLAIN(w, "src", in->src, in->src_len);
		LEEF_ATTR_U64(w, "srcPort", in->msg->src_port);
		LEEF_ATTR_PLAIN(w, "dst", in->dst, in->dst_len);
		LEEF_ATTR_U64(w, "dstPort", in->msg->dst_port);
		LEEF_ATTR_PLAIN(w, "proto", in->transport, 3);
	}
	LEEF_ATTR_PLAIN(w, "app", in->app, strlen(in->app));
	if (ev->hostname != NULL && ev->hostname[0] != '\0')
		LEEF_ATTR(w, "dvchost", ev->hostname);
	if (ev->id != NULL && ev->id[0] != '\0')
		LEEF_ATTR(w, "eventId", ev->id);
	LEEF_ATTR_PLAIN(w, "iocType", type, strlen(type));
	LEEF_ATTR(w, "iocValue", ind->value);
	LEEF_ATTR(w, "iocFeed", ind->feed);
	if (ind->tags[0] != '\0')
		LEEF_ATTR(w, "iocTags", ind->tags);
	if (severity != NULL)
		LEEF_ATTR_PLAIN(w, "iocSeverity", severity, strlen(severity));
	if (ind->source[0] != '\0')
		LEEF_ATTR(w, "iocReference", ind->source);
	LEEF_ATTR_PLAIN(w, "matchedField", matched, strlen(matched));
	LEEF_ATTR_U64(w, "count", in->count);
	if (in->count > 1) {
		EXP_PUT_LIT(w, "\tstartTime=");
		put_leef_time(w, in->first_ns);
		EXP_PUT_LIT(w, "\tendTime=");
		put_leef_time(w, in->last_ns);
	}
	LEEF_ATTR_U64(w, "dbVersion", ev->db_version);
	if (in->msg->protocol == EXP_PROTOCOL_LOG_LINE && in->msg->file != NULL) {
		LEEF_ATTR(w, "logFile", in->msg->file);
		LEEF_ATTR_U64(w, "logLine", in->msg->line);
	}
	if (in->msg->truncated)
		EXP_PUT_LIT(w, "\ttruncated=true");
	if (in->msg->retro)
		EXP_PUT_LIT(w, "\tretro=true");
	EXP_PUT_LIT(w, "\tmsg=");
	put_text(w, in, ESCAPE_TEXT);
}

static int
format_event(enum exp_format format, const struct exp_event *ev,
	     struct exp_buffer *out, bool syslog)
{
	struct exp_writer w = { .b = out };
	size_t start = out->len;

	if ((unsigned int)format >= EXP_FORMAT_COUNT)
		return -EINVAL;
	if (syslog && format != EXP_FORMAT_RFC5424) {
		put_syslog_header(&w, ev);
		EXP_PUT_LIT(&w, "- ");      /* no STRUCTURED-DATA */
	}
	if (format == EXP_FORMAT_ECS) {
		if (w.err == 0)
			w.err = exp_event_ecs(ev, out);
	} else if (w.err == 0) {
		struct dp_dns_message dns;    /* 18 KiB: the exporter's stack */
		struct event_info in;

		info_init(&in, ev, &dns);
		if (format == EXP_FORMAT_RFC5424)
			rfc5424_record(&w, &in);
		else if (format == EXP_FORMAT_CEF)
			cef_record(&w, &in);
		else
			leef_record(&w, &in);
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
