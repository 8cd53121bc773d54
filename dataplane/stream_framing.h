/* stream_framing.h -- cuts the in-order bytes of one stream into syslog (RFC 6587) or DNS messages. */
#ifndef IOCSIFT_DATAPLANE_STREAM_FRAMING_H
#define IOCSIFT_DATAPLANE_STREAM_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The framer only says where messages are: it stores no message bytes.
 * Its caller keeps the body bytes of a message that spans several inputs
 * and delivers them when the framer reports the end. */

/* MSG-LEN digits accepted in an octet-counting header: < 10^9. */
#define DP_FRAMER_DIGITS_MAX 9

enum dp_framer_kind {
	DP_FRAMER_SYSLOG_UNKNOWN,  /* octet counting or LF not decided yet */
	DP_FRAMER_SYSLOG_LF,       /* non-transparent framing: LF, CRLF or NUL ends */
	DP_FRAMER_SYSLOG_OCTET,    /* octet counting: "MSG-LEN SP MSG" */
	DP_FRAMER_DNS,             /* 2-byte big-endian length, then the message */
};

struct dp_framer {
	uint8_t kind;              /* enum dp_framer_kind */
	uint8_t phase;             /* what the next byte is (stream_framing.c) */
	uint8_t digits;            /* header digits (or DNS prefix bytes) read */
	bool after_space;          /* scanning "DIGITS SP <": the SP was read */
	bool after_digit;          /* resync: the last byte skipped was a digit */
	uint8_t held[DP_FRAMER_DIGITS_MAX]; /* detection: the digits read so far */
	uint32_t value;            /* the length being read */
	uint32_t remaining;        /* bytes left in the frame's body, or to skip */
	uint32_t msg_len;          /* body bytes of the current message so far */
};

/* One step over the input: used bytes were consumed; of them,
 * [body_off, body_off + body_len) belong to the current message, after
 * the held bytes (prefix, only on the first message of a syslog stream
 * that starts with digits and turns out LF-framed). end: that completes
 * the message. */
struct dp_frame_out {
	size_t used;
	size_t body_off;
	size_t body_len;
	const uint8_t *prefix;     /* points into the framer */
	size_t prefix_len;
	bool end;
	bool cut;                  /* end, at message_max bytes */
	bool strip_cr;             /* end at LF or NUL: drop a CR before it */
	/* What the step dropped, for the caller's counters. */
	size_t skipped;            /* bytes: resync, the rest of a cut message */
	uint32_t zero_length;      /* DNS frames of length 0 */
	uint32_t framing_errors;   /* octet counting: no MSG-LEN SP */
};

/* What is left when the stream ends. */
enum dp_framer_rest {
	DP_FRAMER_REST_NONE,       /* at a message boundary, or skipping */
	DP_FRAMER_REST_LF,         /* an unterminated LF message (msg_len bytes) */
	DP_FRAMER_REST_PARTIAL,    /* an incomplete octet-counted or DNS frame */
};

/* dns: DNS framing, else syslog (detected). midstream: the stream's
 * first bytes were not seen, so its first byte is not known to start a
 * message. */
void dp_framer_init(struct dp_framer *f, bool dns, bool midstream);

/* Consumes at least one byte of in[0, len) when len > 0, or ends a
 * message. message_max, over DP_FRAMER_DIGITS_MAX, bounds msg_len. */
void dp_framer_step(struct dp_framer *f, const uint8_t *in, size_t len,
		    uint32_t message_max, struct dp_frame_out *out);

/* Bytes are missing before the next input: forget the current message
 * and find the next boundary (LF: here if the next byte is '<', else
 * after the next terminator; octet counting: the next "DIGITS SP <";
 * DNS: the next input starts a message; undecided syslog: as at a
 * midstream pickup). */
void dp_framer_resync(struct dp_framer *f);

/* The caller could not keep the current message: skip to its end. Only
 * after a step that reported body bytes without the end. */
void dp_framer_skip_message(struct dp_framer *f);

enum dp_framer_rest dp_framer_rest(const struct dp_framer *f);

#endif
