/* event.h -- one hit as an Elastic Common Schema JSON line. */
#ifndef IOCSIFT_EXPORT_EVENT_H
#define IOCSIFT_EXPORT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "indicator.h"

enum exp_protocol {
	EXP_PROTOCOL_SYSLOG,    /* payload: a syslog message as received */
	EXP_PROTOCOL_DNS,       /* payload: a DNS message */
	EXP_PROTOCOL_LOG_LINE,  /* payload: one line of a log file (scan) */
};

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
	/* Log lines. */
	const char *file;
	uint64_t line;
	const uint8_t *payload;
	size_t payload_len;
	bool truncated;            /* payload was cut to fit a hit record */
};

/* Writes one JSON line for (msg, ind), with the writer of the exporter's
 * ECS records (exp_event_ecs()). 0 or -errno (-EIO on write). */
int exp_event_write(FILE *out, const struct exp_message *msg,
		    const struct pat_indicator *ind, uint64_t db_version);

/* ECS threat.indicator.type for our type: "domain-name", "ipv4-addr",
 * "ipv6-addr", "file", "url"; NULL for regex (ECS has none). */
const char *exp_ecs_indicator_type(enum pat_type type);

/* "low", "medium", "high", "critical"; NULL when unset (or unknown). */
const char *exp_severity_name(uint8_t severity);

/* Where ind's atom was found, by its ECS name: "message", or for DNS
 * "dns.question.name" (question or CNAME) or "dns.answers.data" (A/AAAA). */
const char *exp_matched_field(const struct exp_message *msg,
			      const struct pat_indicator *ind);

/* "A", "AAAA", "CNAME", ...; NULL for a type without a mnemonic here. */
const char *exp_dns_type_name(uint16_t qtype);

/* time_ns as RFC 3339 UTC with microseconds, "2026-11-26T10:00:05.123456Z",
 * in buf of EXP_TIME_MAX bytes. Returns buf. The text is always
 * EXP_TIME_LEN characters (a uint64_t of nanoseconds ends in 2554). */
#define EXP_TIME_MAX 32
#define EXP_TIME_LEN 27
const char *exp_time_format(uint64_t time_ns, char *buf);

/* Copies src to dst replacing each invalid UTF-8 sequence with U+FFFD, so
 * the JSON library accepts any bytes. dst needs 3 * len + 1 bytes.
 * Returns the length written (no NUL counted; one is appended). */
size_t exp_utf8_sanitize(const uint8_t *src, size_t len, char *dst);

/* Length of the valid UTF-8 sequence at s (1 for ASCII), 0 when the bytes
 * there are not one: exp_utf8_sanitize() then writes U+FFFD for s[0] and
 * goes on at s + 1. For writers that sanitize while they escape. */
size_t exp_utf8_char_len(const uint8_t *s, size_t len);

/* addr as inet_ntop() writes it: AF_INET when ip_version is 4, else
 * AF_INET6 (the same text, without its locking and formatting cost), in
 * buf of EXP_ADDR_MAX bytes. Returns the length (a NUL is appended). */
#define EXP_ADDR_MAX 46
size_t exp_addr_format(uint8_t ip_version, const uint8_t *addr, char *buf);

/* v in decimal in buf of EXP_U64_MAX bytes, no NUL. Returns the length. */
#define EXP_U64_MAX 20
size_t exp_u64_format(uint64_t v, char *buf);

#endif
