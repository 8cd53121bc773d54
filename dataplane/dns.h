/* dns.h -- DNS message parsing: header, first question, A/AAAA/CNAME
 * answers, with name decompression. Plain bytes in, no EAL. */
#ifndef IOCSIFT_DATAPLANE_DNS_H
#define IOCSIFT_DATAPLANE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A name in presentation form: at most 255 wire bytes, each of which may
 * need a 4-byte \DDD escape. */
#define DP_DNS_NAME_MAX 1024
#define DP_DNS_ANSWERS_MAX 16

#define DP_DNS_TYPE_A 1
#define DP_DNS_TYPE_CNAME 5
#define DP_DNS_TYPE_AAAA 28

struct dp_dns_answer {
	uint16_t type;                  /* A, AAAA or CNAME */
	uint8_t addr[16];               /* A: 4 bytes, AAAA: 16 bytes */
	char name[DP_DNS_NAME_MAX];     /* CNAME target */
	uint16_t name_len;
};

struct dp_dns_message {
	uint16_t id;
	uint16_t flags;                 /* QR is flags >> 15 */
	uint16_t qdcount, ancount, nscount, arcount;
	char qname[DP_DNS_NAME_MAX];    /* dotted, no trailing dot; "." = root */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	/* A question past the first or an answer record is broken: the
	 * walk stopped there, answers before it are kept. */
	bool records_malformed;
	uint16_t answer_count;          /* A/AAAA/CNAME records kept */
	struct dp_dns_answer answers[DP_DNS_ANSWERS_MAX];
};

/* Parses msg. Returns 0, or -EINVAL if the header or the first question
 * is malformed: truncated, a label over 63 bytes, a name over 255 bytes,
 * a compression pointer that does not point strictly backwards (so loops
 * are impossible), reserved label types, or a message without a question.
 * A later question or an answer record broken the same way ends the walk
 * with 0 and records_malformed set: the question and the answers before
 * the break stay in out. Printable ASCII except '.' and '\\' is kept as
 * is; other bytes are written as \DDD. */
int dp_dns_parse(const uint8_t *msg, size_t len, struct dp_dns_message *out);

/* What dp_dns_parse() returns, reading only the header and the first
 * question: whether the message is matched by its names or as text. */
int dp_dns_check(const uint8_t *msg, size_t len);

/* A copy of msg for matching as text when its header or question does
 * not parse: every byte below 0x20 (the length bytes of labels up to 31
 * bytes, NULs, counts) becomes '.', so the name 4 "evil" 3 "com" 0
 * reads ".evil.com.". out holds len bytes. */
void dp_dns_flatten(const uint8_t *msg, size_t len, uint8_t *out);

#endif
