/* syslog.h -- RFC 3164 and RFC 5424 header parsing of one syslog message. */
#ifndef IOCSIFT_DATAPLANE_SYSLOG_H
#define IOCSIFT_DATAPLANE_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

enum dp_syslog_format {
	DP_SYSLOG_RFC3164,
	DP_SYSLOG_RFC5424,
	DP_SYSLOG_BARE,        /* no PRI: text only (rsyslog accepts these too) */
};

/* A field as offset and length into the parsed buffer; len 0 = absent
 * (RFC 5424 "-" values are absent too). */
struct dp_span {
	uint32_t off;
	uint32_t len;
};

struct dp_syslog {
	enum dp_syslog_format format;
	int16_t priority;            /* 0..191, -1 without PRI */
	struct dp_span timestamp;
	struct dp_span hostname;
	struct dp_span appname;      /* RFC 3164: the TAG without [pid] */
	struct dp_span procid;
	struct dp_span msgid;
	struct dp_span structured_data;
	struct dp_span message;      /* MSG: trailing NUL, CR and LF dropped */
};

/* Returns 0, or -EINVAL when the message is malformed: empty, a PRI that
 * opens with '<' but is not 1-3 digits and '>' or is over 191, or an RFC
 * 5424 header that breaks its grammar. */
int dp_syslog_parse(const uint8_t *data, size_t len, struct dp_syslog *msg);

/* What dp_syslog_parse() returns, without the fields the worker does not
 * need: an RFC 3164 header is never read past its PRI, since whatever
 * follows it parses. */
int dp_syslog_check(const uint8_t *data, size_t len);

#endif
