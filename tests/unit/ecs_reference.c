/* ecs_reference.c -- the ECS writer as it was before issue 9: a jansson
 * object tree per event, dumped with JSON_COMPACT | JSON_PRESERVE_ORDER,
 * every escape the library's. Built only into test_event, which holds
 * event.c's streaming writer to it byte for byte. Kept as it was: change
 * it only together with the documented event fields. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dns.h"
#include "event.h"
#include "format.h"
#include "syslog.h"

int ecs_reference_event(const struct exp_event *ev, struct exp_buffer *out);
int ecs_reference_write(FILE *out, const struct exp_message *msg,
			const struct pat_indicator *ind, uint64_t db_version);

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t
utf8_sequence_len(const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf;     /* bounds of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;      /* overlong */
	else if (c == 0xed)
		hi = 0x9f;      /* surrogates */
	else if (c == 0xf0)
		lo = 0x90;      /* overlong */
	else if (c == 0xf4)
		hi = 0x8f;      /* past U+10FFFF */
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static size_t
ref_utf8_sanitize(const uint8_t *src, size_t len, char *dst)
{
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_len(src + i, len - i);
		if (n == 0) {
			memcpy(dst + out, "\xef\xbf\xbd", 3);
			out += 3;
			i++;
			continue;
		}
		memcpy(dst + out, src + i, n);
		out += n;
		i += n;
	}
	dst[out] = '\0';
	return out;
}

/* A JSON string from any bytes: invalid UTF-8 becomes U+FFFD. */
static json_t *
json_bytes(const uint8_t *bytes, size_t len)
{
	char *clean = malloc(3 * len + 1);
	if (clean == NULL)
		return NULL;
	size_t n = ref_utf8_sanitize(bytes, len, clean);
	json_t *s = json_stringn(clean, n);
	free(clean);
	return s;
}

/* A JSON string from text that should be UTF-8 but comes from a feed or a
 * file name: checked like message bytes. */
static json_t *
json_text(const char *text)
{
	return json_bytes((const uint8_t *)text, strlen(text));
}

static json_t *
json_span(const uint8_t *base, struct dp_span span)
{
	return json_bytes(base + span.off, span.len);
}

static void
set_span(json_t *obj, const char *key, const uint8_t *base,
	 struct dp_span span)
{
	if (span.len > 0)
		json_object_set_new(obj, key, json_span(base, span));
}

static const char *
ref_time_format(uint64_t time_ns, char *buf)
{
	time_t secs = (time_t)(time_ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, EXP_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, EXP_TIME_MAX - n, ".%06uZ",
		 (unsigned int)(time_ns % 1000000000ULL / 1000));
	return buf;
}

static json_t *
json_timestamp(uint64_t time_ns)
{
	char buf[EXP_TIME_MAX];

	return json_string(ref_time_format(time_ns, buf));
}

static json_t *
json_endpoint(uint8_t ip_version, const uint8_t *addr, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(ip_version == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
	return json_pack("{s:s, s:i}", "ip", text, "port", port);
}

static void
add_network(json_t *event, const struct exp_message *msg)
{
	static const char *const protocol_names[] = {
		[EXP_PROTOCOL_SYSLOG] = "syslog",
		[EXP_PROTOCOL_DNS] = "dns",
		[EXP_PROTOCOL_LOG_LINE] = "syslog",
	};

	json_object_set_new(event, "source",
		json_endpoint(msg->ip_version, msg->src_addr, msg->src_port));
	json_object_set_new(event, "destination",
		json_endpoint(msg->ip_version, msg->dst_addr, msg->dst_port));
	json_t *network = json_pack("{s:s, s:s, s:s}",
		"transport", msg->l4_proto == IPPROTO_TCP ? "tcp" : "udp",
		"type", msg->ip_version == 4 ? "ipv4" : "ipv6",
		"protocol", protocol_names[msg->protocol]);
	/* ECS vlan.id is a keyword: a string. */
	if (msg->encap.vlan_count > 0)
		json_object_set_new(network, "vlan", json_pack("{s:o}", "id",
			json_sprintf("%u", msg->encap.vlan_ids[0])));
	if (msg->encap.vlan_count > 1)
		json_object_set_new(network, "inner", json_pack("{s:{s:o}}",
			"vlan", "id",
			json_sprintf("%u", msg->encap.vlan_ids[1])));
	json_object_set_new(event, "network", network);
}

static json_t *
json_ip(uint8_t ip_version, const uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(ip_version == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
	return json_pack("{s:s}", "ip", text);
}

/* iocsift.encapsulation: the layers, and the outermost tunnel. */
static json_t *
json_encapsulation(const struct dp_encap *encap)
{
	json_t *layers = json_array();

	for (unsigned int i = 0; i < encap->n_layers; i++)
		json_array_append_new(layers,
			json_string(dp_encap_layer_name(encap->layers[i])));
	json_t *obj = json_pack("{s:o}", "layers", layers);
	if (!encap->has_tunnel_id && encap->outer_ip_version == 0)
		return obj;
	json_t *tunnel = json_object();
	if (encap->has_tunnel_id)
		json_object_set_new(tunnel, "id",
				    json_integer(encap->tunnel_id));
	if (encap->outer_ip_version != 0) {
		json_object_set_new(tunnel, "source",
			json_ip(encap->outer_ip_version, encap->outer_src_addr));
		json_object_set_new(tunnel, "destination",
			json_ip(encap->outer_ip_version, encap->outer_dst_addr));
	}
	json_object_set_new(obj, "tunnel", tunnel);
	return obj;
}

/* Syslog fields; message is the MSG part, event.original all of it.
 * Returns the tag of a header that does not parse, or NULL. */
static const char *
add_syslog(json_t *event, const struct exp_message *msg)
{
	struct dp_syslog parsed;
	const uint8_t *p = msg->payload;

	json_object_set_new(json_object_get(event, "event"), "original",
			    json_bytes(p, msg->payload_len));
	if (dp_syslog_parse(p, msg->payload_len, &parsed) != 0) {
		json_object_set_new(event, "message",
				    json_bytes(p, msg->payload_len));
		return "header_malformed";
	}
	json_t *syslog = json_object();
	if (parsed.priority >= 0) {
		json_object_set_new(syslog, "priority",
				    json_integer(parsed.priority));
		json_object_set_new(syslog, "facility",
			json_pack("{s:i}", "code", parsed.priority / 8));
		json_object_set_new(syslog, "severity",
			json_pack("{s:i}", "code", parsed.priority % 8));
	}
	set_span(syslog, "hostname", p, parsed.hostname);
	set_span(syslog, "appname", p, parsed.appname);
	set_span(syslog, "procid", p, parsed.procid);
	set_span(syslog, "msgid", p, parsed.msgid);
	set_span(syslog, "structured_data", p, parsed.structured_data);
	if (json_object_size(syslog) > 0)
		json_object_set_new(event, "log",
				    json_pack("{s:o}", "syslog", syslog));
	else
		json_decref(syslog);
	json_object_set_new(event, "message", json_span(p, parsed.message));
	return NULL;
}


/* The question; a message whose header or question does not parse has
 * event.original instead. Returns the tag of a malformed message, or
 * NULL. */
static const char *
add_dns(json_t *event, const struct exp_message *msg)
{
	const char *tag = NULL;
	/* The exporter re-parses the message it copied; big struct, so heap. */
	struct dp_dns_message *dns = malloc(sizeof(*dns));
	if (dns == NULL || msg->payload == NULL) {
		free(dns);
		return NULL;
	}
	if (dp_dns_parse(msg->payload, msg->payload_len, dns) != 0) {
		json_object_set_new(json_object_get(event, "event"), "original",
				    json_bytes(msg->payload, msg->payload_len));
		tag = "header_malformed";
	} else {
		if (dns->records_malformed)
			tag = "dns_records_malformed";
		json_t *question = json_pack("{s:s#}", "name", dns->qname,
					     (int)dns->qname_len);
		const char *type = exp_dns_type_name(dns->qtype);
		if (type != NULL)
			json_object_set_new(question, "type", json_string(type));
		else
			json_object_set_new(question, "type",
					    json_sprintf("TYPE%u", dns->qtype));
		json_object_set_new(event, "dns", json_pack("{s:i, s:s, s:o}",
			"id", dns->id,
			"type", (dns->flags >> 15) ? "answer" : "query",
			"question", question));
	}
	free(dns);
	return tag;
}

/* Feed strings are not checked for UTF-8 when read, so every one goes
 * through json_text(): a json_pack() "s" would fail on invalid bytes and
 * drop the whole field. */
static void
add_indicator_fields(json_t *indicator, const struct pat_indicator *ind)
{
	json_t *value = json_text(ind->value);

	switch (ind->type) {
	case PAT_TYPE_DOMAIN:
		json_object_set_new(indicator, "url",
				    json_pack("{s:o}", "domain", value));
		break;
	case PAT_TYPE_IPV4:
	case PAT_TYPE_IPV6:
		json_object_set_new(indicator, "ip", value);
		break;
	case PAT_TYPE_MD5:
	case PAT_TYPE_SHA1:
	case PAT_TYPE_SHA256:
		json_object_set_new(indicator, "file", json_pack("{s:{s:o}}",
			"hash", pat_type_name(ind->type), value));
		break;
	case PAT_TYPE_FILENAME:
		json_object_set_new(indicator, "file",
				    json_pack("{s:o}", "name", value));
		break;
	case PAT_TYPE_URL:
		json_object_set_new(indicator, "url",
				    json_pack("{s:o}", "original", value));
		break;
	default:
		json_object_set_new(indicator, "description", value);
		break;
	}
	if (ind->source[0] != '\0')
		json_object_set_new(indicator, "reference", json_text(ind->source));
}


static json_t *
json_tags(const char *tags, const char *malformed)
{
	json_t *array = json_array();

	while (*tags != '\0') {
		size_t n = strcspn(tags, ",");
		if (n > 0)
			json_array_append_new(array,
				json_bytes((const uint8_t *)tags, n));
		tags += n + (tags[n] == ',');
	}
	if (malformed != NULL)
		json_array_append_new(array, json_string(malformed));
	return array;
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


static void
add_indicator_metadata(json_t *indicator, const struct pat_indicator *ind)
{
	const struct severity_names *severity = severity_names(ind->severity);

	if (severity != NULL)
		json_object_set_new(indicator, "confidence",
				    json_string(severity->confidence));
	if (ind->first_seen > 0)
		json_object_set_new(indicator, "first_seen",
			json_timestamp((uint64_t)ind->first_seen * 1000000000ULL));
	if (ind->expires > 0)
		json_object_set_new(indicator, "valid_until",
			json_timestamp((uint64_t)ind->expires * 1000000000ULL));
}

static json_t *
json_threat(const struct exp_message *msg, const struct pat_indicator *ind)
{
	json_t *indicator = json_object();
	const char *ecs_type = exp_ecs_indicator_type(ind->type);

	if (ecs_type != NULL)
		json_object_set_new(indicator, "type", json_string(ecs_type));
	add_indicator_fields(indicator, ind);
	add_indicator_metadata(indicator, ind);
	return json_pack("{s:o, s:{s:o}, s:[{s:{s:o, s:s, s:s}}]}",
		"indicator", indicator,
		"feed", "name", json_text(ind->feed),
		"enrichments", "matched", "atomic", json_text(ind->value),
		"field", exp_matched_field(msg, ind),
		"type", "indicator_match_rule");
}

static json_t *
json_iocsift(const struct exp_message *msg, const struct pat_indicator *ind,
	     uint64_t db_version)
{
	json_t *obj = json_pack("{s:I, s:s, s:i}",
		"db_version", (json_int_t)db_version,
		"indicator_type", pat_type_name(ind->type),
		"feed_line", ind->line);
	const struct severity_names *severity = severity_names(ind->severity);
	if (severity != NULL)
		json_object_set_new(obj, "severity", json_string(severity->name));

	if (msg->ip_version != 0) {
		json_object_set_new(obj, "worker", json_integer(msg->worker));
		if (msg->frame != 0)
			json_object_set_new(obj, "frame",
					    json_integer((json_int_t)msg->frame));
		if (msg->encap.n_layers > 0)
			json_object_set_new(obj, "encapsulation",
					    json_encapsulation(&msg->encap));
	}
	if (msg->truncated)
		json_object_set_new(obj, "truncated", json_true());
	return obj;
}

static json_t *
event_build(const struct exp_message *msg, const struct pat_indicator *ind,
	    uint64_t db_version)
{
	json_t *event = json_pack("{s:o, s:{s:s, s:[s], s:[s], s:s}}",
		"@timestamp", json_timestamp(msg->time_ns),
		"event", "kind", "alert", "category", "threat",
		"type", "indicator", "dataset", "iocsift.hit");
	if (event == NULL)
		return NULL;

	if (msg->ip_version != 0)
		add_network(event, msg);
	const char *malformed;
	if (msg->protocol == EXP_PROTOCOL_DNS)
		malformed = add_dns(event, msg);
	else
		malformed = add_syslog(event, msg);
	if (msg->protocol == EXP_PROTOCOL_LOG_LINE && msg->file != NULL) {
		json_t *log = json_object_get(event, "log");
		if (log == NULL) {
			log = json_object();
			json_object_set_new(event, "log", log);
		}
		json_object_set_new(log, "file", json_pack("{s:o, s:I}",
			"path", json_text(msg->file),
			"line", (json_int_t)msg->line));
	}
	json_object_set_new(event, "threat", json_threat(msg, ind));
	json_object_set_new(event, "tags", json_tags(ind->tags, malformed));
	json_object_set_new(event, "iocsift", json_iocsift(msg, ind, db_version));
	return event;
}

static int
buffer_dump(const char *bytes, size_t size, void *data)
{
	return exp_buffer_append(data, bytes, size) == 0 ? 0 : -1;
}

/* The ecs_reference_write() object plus what only an exp_event has: its id,
 * the appliance, the count of an aggregate and its first and last hit. */
int
ecs_reference_event(const struct exp_event *ev, struct exp_buffer *out)
{
	uint64_t last_ns = exp_event_last_ns(ev);
	uint32_t count = exp_event_count(ev);
	json_t *event = event_build(ev->msg, ev->ind, ev->db_version);
	int rc = -ENOMEM;

	if (event == NULL)
		return -ENOMEM;
	json_t *e = json_object_get(event, "event");
	if (last_ns != ev->msg->time_ns)
		json_object_set_new(event, "@timestamp", json_timestamp(last_ns));
	if (ev->id != NULL && ev->id[0] != '\0')
		json_object_set_new(e, "id", json_text(ev->id));
	if (count > 1) {
		json_object_set_new(e, "start",
				    json_timestamp(exp_event_first_ns(ev)));
		json_object_set_new(e, "end", json_timestamp(last_ns));
	}
	json_object_set_new(json_object_get(event, "iocsift"), "count",
			    json_integer(count));
	if (ev->hostname != NULL && ev->hostname[0] != '\0')
		json_object_set_new(event, "observer", json_pack("{s:o}",
			"hostname", json_text(ev->hostname)));
	if (json_dump_callback(event, buffer_dump, out,
			       JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
		rc = 0;
	json_decref(event);
	return rc;
}

int
ecs_reference_write(FILE *out, const struct exp_message *msg,
		const struct pat_indicator *ind, uint64_t db_version)
{
	json_t *event = event_build(msg, ind, db_version);
	if (event == NULL)
		return -ENOMEM;
	int rc = json_dumpf(event, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(event);
	if (rc != 0 || fputc('\n', out) == EOF)
		return -EIO;
	return 0;
}
