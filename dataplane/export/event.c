/* event.c -- one hit as an ECS JSON line, written field by field straight
 * into the output buffer: no object tree, no allocation per event. The
 * bytes are those jansson's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER)
 * made of the object tree this file used to build; tests/unit/
 * ecs_reference.c keeps that jansson version and test_event.c holds the two
 * to each other (docs/events.md, "ECS JSON", says why). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "event.h"
#include "text.h"
#include "syslog.h"

const char *
exp_ecs_indicator_type(enum pat_type type)
{
	switch (type) {
	case PAT_TYPE_DOMAIN:
		return "domain-name";
	case PAT_TYPE_IPV4:
		return "ipv4-addr";
	case PAT_TYPE_IPV6:
		return "ipv6-addr";
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
	case PAT_TYPE_FILENAME:
		return "file";
	case PAT_TYPE_URL:
		return "url";
	default:
		return NULL;
	}
}

/*
 * The JSON writer: an exp_writer of text.h.
 */

/* jansson's integers are signed 64-bit: what it was given (a cast
 * uint64_t, an unsigned int through json_pack's "i") is written as that. */
static void
put_i64(struct exp_writer *w, int64_t v)
{
	char *p = exp_room(w, EXP_U64_MAX + 1);

	if (p == NULL)
		return;
	if (v < 0) {
		*p = '-';
		exp_buffer_advance(w->b, 1 + exp_u64_format(
			(uint64_t)0 - (uint64_t)v, p + 1));
	} else {
		exp_buffer_advance(w->b, exp_u64_format((uint64_t)v, p));
	}
}

/* True when one of the 8 bytes in x needs more than a copy in a JSON
 * string: a control character, '"', '\\' or a byte of a multibyte
 * sequence (checked one by one). */
static inline bool
json_attention(uint64_t x, const uint8_t *special)
{
	(void)special;
	return ((((x - EXP_SWAR_ONES * 0x20) & ~x) | exp_swar_eq(x, '"') |
		 exp_swar_eq(x, '\\') | x) & EXP_SWAR_HIGHS) != 0;
}

/*
 * Any bytes as a JSON string, in one pass: invalid UTF-8 becomes U+FFFD as
 * exp_utf8_sanitize() does, then jansson's escapes (dump.c): \" \\ \b \f
 * \n \r \t, other controls as \u00XX in upper case; DEL, '/' and valid
 * UTF-8 as they are.
 */
static void
put_json_bytes(struct exp_writer *w, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	if (len > (SIZE_MAX - 2) / 6) {
		if (w->err == 0)
			w->err = -ENOMEM;
		return;
	}
	char *start = exp_room(w, 6 * len + 2);   /* \u00XX at most per byte */
	if (start == NULL)
		return;
	char *o = start;
	size_t i = 0;

	*o++ = '"';
	for (;;) {
		o = exp_copy_plain(o, s, len, &i, json_attention, NULL);
		if (i == len)
			break;
		uint8_t c = s[i++];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 0xf];
			o += 5;
			break;
		}
	}
	*o++ = '"';
	exp_buffer_advance(w->b, (size_t)(o - start));
}

/* Feed strings, file names, ids: not checked for UTF-8 when read. */
static void
put_json_text(struct exp_writer *w, const char *text)
{
	put_json_bytes(w, (const uint8_t *)text, strlen(text));
}

static void
put_json_time(struct exp_writer *w, uint64_t time_ns)
{
	char *p = exp_room(w, EXP_TIME_MAX + 2);

	if (p == NULL)
		return;
	p[0] = '"';
	exp_time_format(time_ns, p + 1);
	p[EXP_TIME_LEN + 1] = '"';
	exp_buffer_advance(w->b, EXP_TIME_LEN + 2);
}

/* {"ip":"ADDR","port":N} */
static void
put_endpoint(struct exp_writer *w, uint8_t ip_version, const uint8_t *addr,
	     uint16_t port)
{
	char *p = exp_room(w, EXP_ADDR_MAX + 32);

	if (p == NULL)
		return;
	size_t n = sizeof("{\"ip\":\"") - 1;
	memcpy(p, "{\"ip\":\"", n);
	n += exp_addr_format(ip_version, addr, p + n);
	memcpy(p + n, "\",\"port\":", sizeof("\",\"port\":") - 1);
	n += sizeof("\",\"port\":") - 1;
	n += exp_u64_format(port, p + n);
	p[n++] = '}';
	exp_buffer_advance(w->b, n);
}

/* {"ip":"ADDR"} */
static void
put_ip(struct exp_writer *w, uint8_t ip_version, const uint8_t *addr)
{
	char *p = exp_room(w, EXP_ADDR_MAX + 16);

	if (p == NULL)
		return;
	size_t n = sizeof("{\"ip\":\"") - 1;
	memcpy(p, "{\"ip\":\"", n);
	n += exp_addr_format(ip_version, addr, p + n);
	memcpy(p + n, "\"}", 2);
	exp_buffer_advance(w->b, n + 2);
}

/* ECS network.vlan.id and network.inner.vlan.id (keywords, so strings):
 * the packet's outer and inner tag. */
static void
put_vlans(struct exp_writer *w, const struct dp_encap *encap)
{
	if (encap->vlan_count == 0)
		return;
	EXP_PUT_LIT(w, ",\"vlan\":{\"id\":\"");
	exp_put_u64(w, encap->vlan_ids[0]);
	EXP_PUT_LIT(w, "\"}");
	if (encap->vlan_count > 1) {
		EXP_PUT_LIT(w, ",\"inner\":{\"vlan\":{\"id\":\"");
		exp_put_u64(w, encap->vlan_ids[1]);
		EXP_PUT_LIT(w, "\"}}");
	}
}

static void
put_network(struct exp_writer *w, const struct exp_message *msg)
{
	static const char *const protocol_names[] = {
		[EXP_PROTOCOL_SYSLOG] = "\"syslog\"",
		[EXP_PROTOCOL_DNS] = "\"dns\"",
		[EXP_PROTOCOL_LOG_LINE] = "\"syslog\"",
	};

	EXP_PUT_LIT(w, ",\"source\":");
	put_endpoint(w, msg->ip_version, msg->src_addr, msg->src_port);
	EXP_PUT_LIT(w, ",\"destination\":");
	put_endpoint(w, msg->ip_version, msg->dst_addr, msg->dst_port);
	if (msg->l4_proto == IPPROTO_TCP)
		EXP_PUT_LIT(w, ",\"network\":{\"transport\":\"tcp\"");
	else
		EXP_PUT_LIT(w, ",\"network\":{\"transport\":\"udp\"");
	if (msg->ip_version == 4)
		EXP_PUT_LIT(w, ",\"type\":\"ipv4\",\"protocol\":");
	else
		EXP_PUT_LIT(w, ",\"type\":\"ipv6\",\"protocol\":");
	const char *name = protocol_names[msg->protocol];
	exp_put_str(w, name);
	put_vlans(w, &msg->encap);
	EXP_PUT_LIT(w, "}");
}

/* iocsift.encapsulation: the layers, outer first, and the outermost
 * tunnel's id and endpoints when there is a tunnel. */
static void
put_encapsulation(struct exp_writer *w, const struct dp_encap *encap)
{
	if (encap->n_layers == 0)
		return;
	EXP_PUT_LIT(w, ",\"encapsulation\":{\"layers\":[");
	for (uint8_t i = 0; i < encap->n_layers; i++) {
		if (i > 0)
			EXP_PUT_LIT(w, ",");
		EXP_PUT_LIT(w, "\"");
		exp_put_str(w, dp_encap_layer_name(encap->layers[i]));
		EXP_PUT_LIT(w, "\"");
	}
	EXP_PUT_LIT(w, "]");
	if (encap->has_tunnel_id || encap->outer_ip_version != 0) {
		bool first = true;

		EXP_PUT_LIT(w, ",\"tunnel\":{");
		if (encap->has_tunnel_id) {
			EXP_PUT_LIT(w, "\"id\":");
			exp_put_u64(w, encap->tunnel_id);
			first = false;
		}
		if (encap->outer_ip_version != 0) {
			if (!first)
				EXP_PUT_LIT(w, ",");
			EXP_PUT_LIT(w, "\"source\":");
			put_ip(w, encap->outer_ip_version, encap->outer_src_addr);
			EXP_PUT_LIT(w, ",\"destination\":");
			put_ip(w, encap->outer_ip_version, encap->outer_dst_addr);
		}
		EXP_PUT_LIT(w, "}");
	}
	EXP_PUT_LIT(w, "}");
}

/* "log":{..."file":{"path":...,"line":N}}: scan's lines. */
static void
put_log_file(struct exp_writer *w, const struct exp_message *msg)
{
	EXP_PUT_LIT(w, "\"file\":{\"path\":");
	put_json_text(w, msg->file);
	EXP_PUT_LIT(w, ",\"line\":");
	put_i64(w, (int64_t)msg->line);
	EXP_PUT_LIT(w, "}");
}

/* ,"key":"span" when the span is there. */
static void
put_span(struct exp_writer *w, bool *first, const char *key,
	 const uint8_t *base, struct dp_span span)
{
	if (span.len == 0)
		return;
	if (!*first)
		EXP_PUT_LIT(w, ",");
	*first = false;
	EXP_PUT_LIT(w, "\"");
	exp_put_str(w, key);
	EXP_PUT_LIT(w, "\":");
	put_json_bytes(w, base + span.off, span.len);
}

/* Syslog fields, then message: the MSG part (event.original, written
 * before, has all of it); log.file for scan's lines. A header that does
 * not parse gives no fields: message is all of it. Returns the tag the
 * event gets for it, or NULL. */
static const char *
put_syslog(struct exp_writer *w, const struct exp_message *msg)
{
	const uint8_t *p = msg->payload;
	bool file = msg->protocol == EXP_PROTOCOL_LOG_LINE && msg->file != NULL;
	struct dp_syslog parsed;
	const char *tag = NULL;
	bool log = false;

	if (dp_syslog_parse(p, msg->payload_len, &parsed) != 0) {
		tag = EXP_TAG_HEADER_MALFORMED;
		EXP_PUT_LIT(w, ",\"message\":");
		put_json_bytes(w, p, msg->payload_len);
	} else {
		bool first = true;
		log = parsed.priority >= 0 || parsed.hostname.len > 0 ||
			parsed.appname.len > 0 || parsed.procid.len > 0 ||
			parsed.msgid.len > 0 || parsed.structured_data.len > 0;
		if (log) {
			EXP_PUT_LIT(w, ",\"log\":{\"syslog\":{");
			if (parsed.priority >= 0) {
				EXP_PUT_LIT(w, "\"priority\":");
				exp_put_u64(w, (uint64_t)parsed.priority);
				EXP_PUT_LIT(w, ",\"facility\":{\"code\":");
				exp_put_u64(w, (uint64_t)(parsed.priority / 8));
				EXP_PUT_LIT(w, "},\"severity\":{\"code\":");
				exp_put_u64(w, (uint64_t)(parsed.priority % 8));
				EXP_PUT_LIT(w, "}");
				first = false;
			}
			put_span(w, &first, "hostname", p, parsed.hostname);
			put_span(w, &first, "appname", p, parsed.appname);
			put_span(w, &first, "procid", p, parsed.procid);
			put_span(w, &first, "msgid", p, parsed.msgid);
			put_span(w, &first, "structured_data", p,
				 parsed.structured_data);
			EXP_PUT_LIT(w, "}");
			if (file) {
				EXP_PUT_LIT(w, ",");
				put_log_file(w, msg);
			}
			EXP_PUT_LIT(w, "}");
		}
		EXP_PUT_LIT(w, ",\"message\":");
		put_json_bytes(w, p + parsed.message.off, parsed.message.len);
	}
	/* Without syslog fields, log comes after message. */
	if (file && !log) {
		EXP_PUT_LIT(w, ",\"log\":{");
		put_log_file(w, msg);
		EXP_PUT_LIT(w, "}");
	}
	return tag;
}

const char *
exp_dns_type_name(uint16_t qtype)
{
	static const struct { uint16_t type; const char *name; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" },
		{ 12, "PTR" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" },
		{ 33, "SRV" }, { 35, "NAPTR" }, { 64, "SVCB" }, { 65, "HTTPS" },
		{ 255, "ANY" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == qtype)
			return names[i].name;
	return NULL;
}

/* "TYPE": the mnemonic, else TYPEnn (RFC 3597). */
static void
put_dns_type(struct exp_writer *w, uint16_t qtype)
{
	const char *type = exp_dns_type_name(qtype);

	EXP_PUT_LIT(w, "\"");
	if (type != NULL) {
		exp_put_str(w, type);
	} else {
		EXP_PUT_LIT(w, "TYPE");
		exp_put_u64(w, qtype);
	}
	EXP_PUT_LIT(w, "\"");
}

/* The question of a DNS message (dns is NULL when it did not parse). */
static void
put_dns(struct exp_writer *w, const struct dp_dns_message *dns)
{
	if (dns == NULL)
		return;
	EXP_PUT_LIT(w, ",\"dns\":{\"id\":");
	exp_put_u64(w, dns->id);
	if (dns->flags >> 15)
		EXP_PUT_LIT(w, ",\"type\":\"answer\",\"question\":{\"name\":");
	else
		EXP_PUT_LIT(w, ",\"type\":\"query\",\"question\":{\"name\":");
	put_json_bytes(w, (const uint8_t *)dns->qname, dns->qname_len);
	EXP_PUT_LIT(w, ",\"type\":");
	put_dns_type(w, dns->qtype);
	EXP_PUT_LIT(w, "}}");
}

/* The indicator by type: "url":{"domain":V}, "ip":V, ... */
static void
put_indicator_fields(struct exp_writer *w, const struct pat_indicator *ind)
{
	switch (ind->type) {
	case PAT_TYPE_DOMAIN:
		EXP_PUT_LIT(w, "\"url\":{\"domain\":");
		break;
	case PAT_TYPE_IPV4:
	case PAT_TYPE_IPV6:
		EXP_PUT_LIT(w, "\"ip\":");
		break;
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		EXP_PUT_LIT(w, "\"file\":{\"hash\":{\"");
		exp_put_str(w, pat_type_name(ind->type));
		EXP_PUT_LIT(w, "\":");
		break;
	case PAT_TYPE_FILENAME:
		EXP_PUT_LIT(w, "\"file\":{\"name\":");
		break;
	case PAT_TYPE_URL:
		EXP_PUT_LIT(w, "\"url\":{\"original\":");
		break;
	default:
		EXP_PUT_LIT(w, "\"description\":");
		break;
	}
	put_json_text(w, ind->value);
	switch (ind->type) {
	case PAT_TYPE_IPV4:
	case PAT_TYPE_IPV6:
		break;
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		EXP_PUT_LIT(w, "}}");
		break;
	case PAT_TYPE_DOMAIN:
	case PAT_TYPE_FILENAME:
	case PAT_TYPE_URL:
		EXP_PUT_LIT(w, "}");
		break;
	default:
		break;
	}
	if (ind->source[0] != '\0') {
		EXP_PUT_LIT(w, ",\"reference\":");
		put_json_text(w, ind->source);
	}
}

/* Where the atom was found: the DNS field that holds it, else the text
 * (a DNS message without a readable question is matched as text). */
const char *
exp_matched_field(const struct exp_message *msg,
		  const struct pat_indicator *ind)
{
	if (msg->protocol != EXP_PROTOCOL_DNS)
		return "message";
	if (msg->payload == NULL ||
	    dp_dns_check(msg->payload, msg->payload_len) != 0)
		return "event.original";
	if (ind->type == PAT_TYPE_IPV4 || ind->type == PAT_TYPE_IPV6)
		return "dns.answers.data";
	return "dns.question.name";
}

/* The indicator's tags as an array, empty ones left out, then the tag
 * of a malformed message (NULL: none). */
static void
put_tags(struct exp_writer *w, const char *tags, const char *malformed)
{
	bool first = true;

	EXP_PUT_LIT(w, ",\"tags\":[");
	while (*tags != '\0') {
		size_t n = strcspn(tags, ",");
		if (n > 0) {
			if (!first)
				EXP_PUT_LIT(w, ",");
			first = false;
			put_json_bytes(w, (const uint8_t *)tags, n);
		}
		tags += n + (tags[n] == ',');
	}
	if (malformed != NULL) {
		if (!first)
			EXP_PUT_LIT(w, ",");
		EXP_PUT_LIT(w, "\"");
		exp_put_str(w, malformed);
		EXP_PUT_LIT(w, "\"");
	}
	EXP_PUT_LIT(w, "]");
}

/* Severity (ECS has no indicator severity: its confidence is the nearest
 * field, with the same words but for critical), first seen and expiry. */
struct severity_names {
	const char *name;          /* iocsift.severity */
	const char *confidence;    /* threat.indicator.confidence */
};

static const struct severity_names *
severity_names(uint8_t severity)
{
	static const struct severity_names names[] = {
		[PAT_SEVERITY_LOW] = { "low", "Low" },
		[PAT_SEVERITY_MEDIUM] = { "medium", "Medium" },
		[PAT_SEVERITY_HIGH] = { "high", "High" },
		[PAT_SEVERITY_CRITICAL] = { "critical", "High" },
	};

	if (severity == PAT_SEVERITY_UNSET || severity > PAT_SEVERITY_CRITICAL)
		return NULL;
	return &names[severity];
}

const char *
exp_severity_name(uint8_t severity)
{
	const struct severity_names *names = severity_names(severity);

	return names != NULL ? names->name : NULL;
}

static void
put_threat(struct exp_writer *w, const struct exp_message *msg,
	   const struct pat_indicator *ind)
{
	const char *ecs_type = exp_ecs_indicator_type(ind->type);
	const struct severity_names *severity = severity_names(ind->severity);

	EXP_PUT_LIT(w, ",\"threat\":{\"indicator\":{");
	if (ecs_type != NULL) {
		EXP_PUT_LIT(w, "\"type\":\"");
		exp_put_str(w, ecs_type);
		EXP_PUT_LIT(w, "\",");
	}
	put_indicator_fields(w, ind);
	if (severity != NULL) {
		EXP_PUT_LIT(w, ",\"confidence\":\"");
		exp_put_str(w, severity->confidence);
		EXP_PUT_LIT(w, "\"");
	}
	/* The products wrap as they did in a uint64_t. */
	if (ind->first_seen > 0) {
		EXP_PUT_LIT(w, ",\"first_seen\":");
		put_json_time(w, (uint64_t)ind->first_seen * 1000000000ULL);
	}
	if (ind->expires > 0) {
		EXP_PUT_LIT(w, ",\"valid_until\":");
		put_json_time(w, (uint64_t)ind->expires * 1000000000ULL);
	}
	EXP_PUT_LIT(w, "},\"feed\":{\"name\":");
	put_json_text(w, ind->feed);
	EXP_PUT_LIT(w, "},\"enrichments\":[{\"matched\":{\"atomic\":");
	put_json_text(w, ind->value);
	EXP_PUT_LIT(w, ",\"field\":\"");
	const char *field = exp_matched_field(msg, ind);
	exp_put_str(w, field);
	EXP_PUT_LIT(w, "\",\"type\":\"indicator_match_rule\"}}]}");
}

static void
put_iocsift(struct exp_writer *w, const struct exp_message *msg,
	    const struct pat_indicator *ind, uint64_t db_version,
	    const struct exp_event *ev)
{
	const struct severity_names *severity = severity_names(ind->severity);
	const char *type = pat_type_name(ind->type);

	EXP_PUT_LIT(w, ",\"iocsift\":{\"db_version\":");
	put_i64(w, (int64_t)db_version);
	EXP_PUT_LIT(w, ",\"indicator_type\":\"");
	exp_put_str(w, type);
	EXP_PUT_LIT(w, "\",\"feed_line\":");
	put_i64(w, (int)ind->line);     /* json_pack "i": an int */
	if (severity != NULL) {
		EXP_PUT_LIT(w, ",\"severity\":\"");
		exp_put_str(w, severity->name);
		EXP_PUT_LIT(w, "\"");
	}
	if (msg->ip_version != 0) {
		EXP_PUT_LIT(w, ",\"worker\":");
		exp_put_u64(w, msg->worker);
		if (msg->frame != 0) {
			EXP_PUT_LIT(w, ",\"frame\":");
			put_i64(w, (int64_t)msg->frame);
		}
		put_encapsulation(w, &msg->encap);
	}
	if (msg->truncated)
		EXP_PUT_LIT(w, ",\"truncated\":true");
	if (msg->retro)
		EXP_PUT_LIT(w, ",\"retro\":true");
	if (ev != NULL) {
		EXP_PUT_LIT(w, ",\"count\":");
		exp_put_u64(w, exp_event_count(ev));
	}
	EXP_PUT_LIT(w, "}");
}

/*
 * The object of exp_event_write(), or with ev what only an exp_event has:
 * @timestamp its last hit, event.id, event.start and event.end of an
 * aggregate, iocsift.count and observer.hostname. Appends to b; on error
 * b is as it was.
 */
static int
ecs_write(struct exp_buffer *b, const struct exp_message *msg,
	  const struct pat_indicator *ind, uint64_t db_version,
	  const struct exp_event *ev)
{
	struct exp_writer w = { .b = b };
	size_t start = b->len;
	struct dp_dns_message dns_buf;     /* 18 KiB: the exporter's stack */
	const struct dp_dns_message *dns = NULL;
	const char *malformed = NULL;      /* the tag, docs/events.md */
	bool dns_unreadable = false;

	/* A DNS message is parsed once, for its fields and its tag; one
	 * whose header does not parse is shown as received. */
	if (msg->protocol == EXP_PROTOCOL_DNS) {
		if (msg->payload != NULL &&
		    dp_dns_parse(msg->payload, msg->payload_len, &dns_buf) == 0)
			dns = &dns_buf;
		dns_unreadable = dns == NULL && msg->payload != NULL;
		if (dns_unreadable)
			malformed = EXP_TAG_HEADER_MALFORMED;
		else if (dns != NULL && dns->records_malformed)
			malformed = EXP_TAG_RECORDS_MALFORMED;
	}
	EXP_PUT_LIT(&w, "{\"@timestamp\":");
	put_json_time(&w, ev != NULL ? exp_event_last_ns(ev) : msg->time_ns);
	if (msg->retro)
		EXP_PUT_LIT(&w, ",\"event\":{\"kind\":\"enrichment\","
			    "\"category\":[\"threat\"],\"type\":[\"indicator\"],"
			    "\"dataset\":\"iocsift.retro\"");
	else
		EXP_PUT_LIT(&w, ",\"event\":{\"kind\":\"alert\","
			    "\"category\":[\"threat\"],\"type\":[\"indicator\"],"
			    "\"dataset\":\"iocsift.hit\"");
	if (msg->protocol != EXP_PROTOCOL_DNS || dns_unreadable) {
		EXP_PUT_LIT(&w, ",\"original\":");
		put_json_bytes(&w, msg->payload, msg->payload_len);
	}
	if (ev != NULL) {
		if (ev->id != NULL && ev->id[0] != '\0') {
			EXP_PUT_LIT(&w, ",\"id\":");
			put_json_text(&w, ev->id);
		}
		if (exp_event_count(ev) > 1) {
			EXP_PUT_LIT(&w, ",\"start\":");
			put_json_time(&w, exp_event_first_ns(ev));
			EXP_PUT_LIT(&w, ",\"end\":");
			put_json_time(&w, exp_event_last_ns(ev));
		}
	}
	EXP_PUT_LIT(&w, "}");
	if (msg->ip_version != 0)
		put_network(&w, msg);
	if (msg->protocol == EXP_PROTOCOL_DNS)
		put_dns(&w, dns);
	else
		malformed = put_syslog(&w, msg);
	put_threat(&w, msg, ind);
	put_tags(&w, ind->tags, malformed);
	put_iocsift(&w, msg, ind, db_version, ev);
	if (ev != NULL && ev->hostname != NULL && ev->hostname[0] != '\0') {
		EXP_PUT_LIT(&w, ",\"observer\":{\"hostname\":");
		put_json_text(&w, ev->hostname);
		EXP_PUT_LIT(&w, "}");
	}
	EXP_PUT_LIT(&w, "}");
	if (w.err != 0) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
	}
	return w.err;
}

int
exp_event_ecs(const struct exp_event *ev, struct exp_buffer *out)
{
	return ecs_write(out, ev->msg, ev->ind, ev->db_version, ev);
}

int
exp_event_write(FILE *out, const struct exp_message *msg,
		const struct pat_indicator *ind, uint64_t db_version)
{
	struct exp_buffer line = { 0 };
	int rc = ecs_write(&line, msg, ind, db_version, NULL);

	if (rc == 0 && exp_buffer_append(&line, "\n", 1) != 0)
		rc = -ENOMEM;
	if (rc == 0 && fwrite(line.data, 1, line.len, out) != line.len)
		rc = -EIO;
	exp_buffer_free(&line);
	return rc;
}

/* "dns":{"question":{...},"answers":[...],"malformed":TAG} of a message
 * line: what dp_dns_parse() keeps, as the worker matched it. */
static void
put_message_dns(struct exp_writer *w, const struct exp_message *msg)
{
	struct dp_dns_message dns;         /* 18 KiB: the exporter's stack */

	if (dp_dns_parse(msg->payload, msg->payload_len, &dns) != 0) {
		EXP_PUT_LIT(w, ",\"dns\":{\"malformed\":\""
			    EXP_TAG_HEADER_MALFORMED "\"}");
		return;
	}
	EXP_PUT_LIT(w, ",\"dns\":{\"question\":{\"name\":");
	put_json_bytes(w, (const uint8_t *)dns.qname, dns.qname_len);
	EXP_PUT_LIT(w, ",\"type\":");
	put_dns_type(w, dns.qtype);
	EXP_PUT_LIT(w, "},\"answers\":[");
	for (uint16_t i = 0; i < dns.answer_count; i++) {
		const struct dp_dns_answer *a = &dns.answers[i];
		if (i > 0)
			EXP_PUT_LIT(w, ",");
		if (a->type == DP_DNS_TYPE_A || a->type == DP_DNS_TYPE_AAAA) {
			char *p = exp_room(w, EXP_ADDR_MAX + 2);
			if (p == NULL)
				return;
			p[0] = '"';
			size_t n = 1 + exp_addr_format(
				a->type == DP_DNS_TYPE_A ? 4 : 6, a->addr, p + 1);
			p[n++] = '"';
			exp_buffer_advance(w->b, n);
		} else {
			put_json_bytes(w, (const uint8_t *)a->name,
				       a->name_len);
		}
	}
	EXP_PUT_LIT(w, "]");
	if (dns.records_malformed)
		EXP_PUT_LIT(w, ",\"malformed\":\""
			    EXP_TAG_RECORDS_MALFORMED "\"");
	EXP_PUT_LIT(w, "}");
}

int
exp_message_json(const struct exp_message *msg, unsigned int hits,
		 struct exp_buffer *b)
{
	struct exp_writer w = { .b = b };
	size_t start = b->len;
	bool dns = msg->protocol == EXP_PROTOCOL_DNS;

	EXP_PUT_LIT(&w, "{\"frame\":");
	exp_put_u64(&w, msg->frame);
	if (dns)
		EXP_PUT_LIT(&w, ",\"kind\":\"dns\"");
	else
		EXP_PUT_LIT(&w, ",\"kind\":\"syslog\"");
	if (msg->l4_proto == IPPROTO_TCP)
		EXP_PUT_LIT(&w, ",\"transport\":\"tcp\",\"source\":");
	else
		EXP_PUT_LIT(&w, ",\"transport\":\"udp\",\"source\":");
	put_endpoint(&w, msg->ip_version, msg->src_addr, msg->src_port);
	EXP_PUT_LIT(&w, ",\"destination\":");
	put_endpoint(&w, msg->ip_version, msg->dst_addr, msg->dst_port);
	if (dns) {
		put_message_dns(&w, msg);
	} else {
		EXP_PUT_LIT(&w, ",\"message\":");
		put_json_bytes(&w, msg->payload, msg->payload_len);
	}
	if (msg->truncated)
		EXP_PUT_LIT(&w, ",\"truncated\":true");
	EXP_PUT_LIT(&w, ",\"hits\":");
	exp_put_u64(&w, hits);
	EXP_PUT_LIT(&w, "}");
	if (w.err != 0) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
	}
	return w.err;
}
