/* event.h -- a hit event: the message hit, the event, the names ECS gives
 * them, and the event as an Elastic Common Schema JSON line. */
#ifndef IOCSIFT_EXPORT_EVENT_H
#define IOCSIFT_EXPORT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "indicator.h"
#include "text.h"

enum exp_protocol {
	EXP_PROTOCOL_SYSLOG,    /* payload: a syslog message as received */
	EXP_PROTOCOL_DNS,       /* payload: a DNS message */
	EXP_PROTOCOL_LOG_LINE,  /* payload: one line of a log file (scan) */
};

/* Tags of an event whose message is malformed (docs/events.md): its
 * syslog header, or its DNS header or question, did not parse, so it was
 * matched as received; or a DNS record past the question did not, so
 * what came before it was. */
#define EXP_TAG_HEADER_MALFORMED "header_malformed"
#define EXP_TAG_RECORDS_MALFORMED "dns_records_malformed"

/* The message an indicator hit in, with where it came from. */
struct exp_message {
	enum exp_protocol protocol;
	uint64_t time_ns;          /* UNIX time in nanoseconds */
	/* Network messages. ip_version 0 = no network fields. */
	uint8_t ip_version;
	uint8_t l4_proto;
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	uint16_t src_port;
	uint16_t dst_port;
	uint64_t frame;            /* replay: 1-based frame in the capture */
	uint16_t worker;
	/* VLAN tags and tunnels around the packet; zero for none. */
	struct dp_encap encap;
	/* Log lines. */
	const char *file;
	uint64_t line;
	const uint8_t *payload;
	size_t payload_len;
	bool truncated;            /* payload was cut to fit a hit record */
	/* Found by a retro-hunt in the history, after the fact: the event
	 * is an enrichment of the past, at the message's own time
	 * (docs/events.md, "Retrospective events"). */
	bool retro;
};

/* Writes one JSON line for (msg, ind), with the writer of the exporter's
 * ECS records (exp_event_ecs()). 0 or -errno (-EIO on write). */
int exp_event_write(FILE *out, const struct exp_message *msg,
		    const struct pat_indicator *ind, uint64_t db_version);

/* One line of `iocsift replay --messages` (docs/events.md, "Message
 * lines"): the message as the dataplane extracted it, hit or not, and the
 * number of indicators it hit. A syslog message as received, escaped as
 * event.original is; a DNS message by the fields dp_dns_parse() gives
 * (question, answers, malformed tag). Appended to out without a newline;
 * on error out is as it was. 0 or -ENOMEM. */
int exp_message_json(const struct exp_message *msg, unsigned int hits,
		     struct exp_buffer *out);

/* ECS threat.indicator.type for our type: "domain-name", "ipv4-addr",
 * "ipv6-addr", "file", "url"; NULL for regex (ECS has none). */
const char *exp_ecs_indicator_type(enum pat_type type);

/* "low", "medium", "high", "critical"; NULL when unset (or unknown). */
const char *exp_severity_name(uint8_t severity);

/* Where ind's atom was found, by its ECS name: "message", or for DNS
 * "dns.question.name" (question or CNAME) or "dns.answers.data" (A/AAAA),
 * or "event.original" for a DNS message without a readable question. */
const char *exp_matched_field(const struct exp_message *msg,
			      const struct pat_indicator *ind);

/* "A", "AAAA", "CNAME", ...; NULL for a type without a mnemonic here. */
const char *exp_dns_type_name(uint16_t qtype);

/* One event: a (message, indicator) pair, or an aggregate of repeated hits
 * of one indicator from one source. */
struct exp_event {
	const struct exp_message *msg;  /* the (last) message hit */
	const struct pat_indicator *ind;
	uint64_t db_version;
	const char *id;                 /* unique event id; NULL or "" = none */
	const char *hostname;           /* this appliance; NULL or "" = none */
	uint32_t count;                 /* hits, 0 read as 1; > 1: aggregate */
	uint64_t first_ns, last_ns;     /* first, last hit; 0: msg->time_ns */
};

/* The event's time (its last hit), its first hit and its count, zero
 * fields read as documented above. */
static inline uint64_t
exp_event_last_ns(const struct exp_event *ev)
{
	return ev->last_ns != 0 ? ev->last_ns : ev->msg->time_ns;
}

static inline uint64_t
exp_event_first_ns(const struct exp_event *ev)
{
	return ev->first_ns != 0 ? ev->first_ns : exp_event_last_ns(ev);
}

static inline uint32_t
exp_event_count(const struct exp_event *ev)
{
	return ev->count != 0 ? ev->count : 1;
}

/* The ECS record (exp_format_record() with EXP_FORMAT_ECS): the object of
 * exp_event_write() plus event.id, event.start, event.end, iocsift.count
 * and observer.hostname. */
int exp_event_ecs(const struct exp_event *ev, struct exp_buffer *out);

#endif
