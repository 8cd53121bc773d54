/* stream_framing.c -- syslog (RFC 6587) and DNS (RFC 1035 4.2.2) framing of an in-order byte stream. */
#include <string.h>

#include "stream_framing.h"

/* What the next byte is. Header and skip phases consume bytes inside
 * dp_framer_step(); body phases end the step, so that the body is one
 * contiguous span of the input. */
enum framer_phase {
	PH_DETECT,        /* syslog stream start: "DIGITS SP" or anything else */
	PH_DETECT_MID,    /* syslog, no known boundary: "DIGITS SP <" or '<' */
	PH_LF_BODY,
	PH_OCTET_LEN,     /* MSG-LEN SP */
	PH_OCTET_BODY,
	PH_DNS_LEN,       /* two length bytes */
	PH_DNS_BODY,
	PH_RESYNC_LF,     /* after a gap: '<' starts a message, else skip */
	PH_SKIP_LF,       /* dropping up to and including the next terminator */
	PH_SKIP_COUNT,    /* dropping the rest of a frame */
	PH_RESYNC_OCTET,  /* dropping up to the next "DIGITS SP <" */
};

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_nonzero_digit(uint8_t c)
{
	return c >= '1' && c <= '9';
}

/* Index of the first LF or NUL, or n when there is none. */
static size_t
terminator_at(const uint8_t *p, size_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t end = lf != NULL ? (size_t)(lf - p) : n;
	const uint8_t *nul = memchr(p, '\0', end);

	return nul != NULL ? (size_t)(nul - p) : end;
}

static enum framer_phase
header_phase(const struct dp_framer *f)
{
	return f->kind == DP_FRAMER_DNS ? PH_DNS_LEN : PH_OCTET_LEN;
}

static void
header_reset(struct dp_framer *f)
{
	f->digits = 0;
	f->value = 0;
	f->after_space = false;
	f->after_digit = false;
}

/* A length header was read: its body follows. */
static void
frame_start(struct dp_framer *f, enum framer_phase body, uint32_t len)
{
	f->remaining = len;
	f->msg_len = 0;
	f->phase = (uint8_t)body;
	header_reset(f);
}

void
dp_framer_init(struct dp_framer *f, bool dns, bool midstream)
{
	memset(f, 0, sizeof(*f));
	if (dns) {
		/* A DNS stream picked up midway is assumed to be at a
		 * boundary: nothing in a DNS frame marks its start. */
		f->kind = DP_FRAMER_DNS;
		f->phase = PH_DNS_LEN;
	} else {
		f->kind = DP_FRAMER_SYSLOG_UNKNOWN;
		f->phase = midstream ? PH_DETECT_MID : PH_DETECT;
	}
}

/* The stream's first bytes: 1-9, digits, SP is octet counting; anything
 * else LF framing, and then the digits read so far begin its first
 * message (reported as the prefix). */
static size_t
detect(struct dp_framer *f, const uint8_t *p, size_t n,
       struct dp_frame_out *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (is_digit(c) && (f->digits > 0 || c != '0') &&
		    f->digits < DP_FRAMER_DIGITS_MAX) {
			f->held[f->digits++] = c;
			f->value = f->value * 10 + (uint32_t)(c - '0');
			continue;
		}
		if (c == ' ' && f->digits > 0) {
			f->kind = DP_FRAMER_SYSLOG_OCTET;
			frame_start(f, PH_OCTET_BODY, f->value);
			return i + 1;
		}
		f->kind = DP_FRAMER_SYSLOG_LF;
		f->phase = PH_LF_BODY;
		f->msg_len = f->digits;
		if (f->digits > 0) {
			out->prefix = f->held;
			out->prefix_len = f->digits;
		}
		header_reset(f);
		return i;
	}
	return n;
}

/* Midstream, the bytes read as a candidate header were not one: LF
 * framing, dropping to the first terminator. */
static size_t
detect_mid_fail(struct dp_framer *f, struct dp_frame_out *out, size_t i)
{
	out->skipped += f->digits + (f->after_space ? 1u : 0u);
	header_reset(f);
	f->kind = DP_FRAMER_SYSLOG_LF;
	f->phase = PH_SKIP_LF;
	return i;
}

/* No known boundary: '<' starts an LF-framed message, "DIGITS SP <" an
 * octet-counted one; anything else is the middle of a message. */
static size_t
detect_mid(struct dp_framer *f, const uint8_t *p, size_t n,
	   struct dp_frame_out *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (f->after_space) {
			if (c != '<')
				return detect_mid_fail(f, out, i);
			f->kind = DP_FRAMER_SYSLOG_OCTET;
			frame_start(f, PH_OCTET_BODY, f->value);
			return i;
		}
		if (f->digits == 0) {
			if (c == '<') {
				f->kind = DP_FRAMER_SYSLOG_LF;
				f->phase = PH_LF_BODY;
				f->msg_len = 0;
				return i;
			}
			if (!is_nonzero_digit(c))
				return detect_mid_fail(f, out, i);
		} else if (c == ' ') {
			f->after_space = true;
			continue;
		} else if (!is_digit(c) || f->digits == DP_FRAMER_DIGITS_MAX) {
			return detect_mid_fail(f, out, i);
		}
		f->digits++;
		f->value = f->value * 10 + (uint32_t)(c - '0');
	}
	return n;
}

static size_t
octet_error(struct dp_framer *f, struct dp_frame_out *out, size_t i)
{
	bool in_digits = f->digits > 0;

	out->framing_errors++;
	out->skipped += f->digits;
	header_reset(f);
	/* A digit right after the bad header's digits cannot start one. */
	f->after_digit = in_digits;
	f->phase = PH_RESYNC_OCTET;
	return i;
}

/* MSG-LEN SP between octet-counted frames. */
static size_t
octet_len(struct dp_framer *f, const uint8_t *p, size_t n,
	  struct dp_frame_out *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (f->digits == 0) {
			/* Some senders end each frame with a LF anyway. */
			if (c == '\n' || c == '\r' || c == '\0')
				continue;
			if (!is_nonzero_digit(c))
				return octet_error(f, out, i);
		} else if (c == ' ') {
			frame_start(f, PH_OCTET_BODY, f->value);
			return i + 1;
		} else if (!is_digit(c) || f->digits == DP_FRAMER_DIGITS_MAX) {
			return octet_error(f, out, i);
		}
		f->digits++;
		f->value = f->value * 10 + (uint32_t)(c - '0');
	}
	return n;
}

/* After a gap in an octet-counted stream: the next "DIGITS SP <" whose
 * first digit (1-9) does not follow a digit is taken for a header. */
static size_t
resync_octet(struct dp_framer *f, const uint8_t *p, size_t n,
	     struct dp_frame_out *out)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];

		if (f->after_space) {
			if (c == '<') {
				frame_start(f, PH_OCTET_BODY, f->value);
				return i;
			}
			/* Not a header; c may start the next one. */
			out->skipped += f->digits + 1u;
			header_reset(f);
			continue;
		}
		i++;
		if (f->digits > 0 && c == ' ') {
			f->after_space = true;
			continue;
		}
		if (f->digits > 0 && is_digit(c) &&
		    f->digits < DP_FRAMER_DIGITS_MAX) {
			f->digits++;
			f->value = f->value * 10 + (uint32_t)(c - '0');
			continue;
		}
		if (f->digits == 0 && is_nonzero_digit(c) && !f->after_digit) {
			f->digits = 1;
			f->value = (uint32_t)(c - '0');
			continue;
		}
		out->skipped += f->digits + 1u;
		header_reset(f);
		f->after_digit = is_digit(c);
	}
	return n;
}

static size_t
dns_len(struct dp_framer *f, const uint8_t *p, size_t n,
	struct dp_frame_out *out)
{
	for (size_t i = 0; i < n; i++) {
		f->value = f->value << 8 | p[i];
		if (++f->digits < 2)
			continue;
		if (f->value == 0) {
			out->zero_length++;
			header_reset(f);
			continue;
		}
		frame_start(f, PH_DNS_BODY, f->value);
		return i + 1;
	}
	return n;
}

static size_t
skip_lf(struct dp_framer *f, const uint8_t *p, size_t n,
	struct dp_frame_out *out)
{
	size_t t = terminator_at(p, n);

	out->skipped += t;
	if (t == n)
		return n;
	f->phase = PH_LF_BODY;
	f->msg_len = 0;
	return t + 1;
}

static size_t
skip_count(struct dp_framer *f, size_t n, struct dp_frame_out *out)
{
	size_t take = n < f->remaining ? n : f->remaining;

	f->remaining -= (uint32_t)take;
	out->skipped += take;
	if (f->remaining == 0)
		f->phase = (uint8_t)header_phase(f);
	return take;
}

/* LF framing: the message ends at LF or NUL (a CR before it is the
 * caller's to drop, as it may sit in an earlier input). Past
 * message_max it ends there, cut, and the rest up to the terminator is
 * skipped. */
static void
lf_body(struct dp_framer *f, const uint8_t *in, size_t pos, size_t len,
	uint32_t message_max, struct dp_frame_out *out)
{
	size_t avail = len - pos;
	size_t n = terminator_at(in + pos, avail);
	size_t room = message_max - f->msg_len;

	out->body_off = pos;
	if (n > room) {
		out->body_len = room;
		out->used = pos + room;
		out->end = true;
		out->cut = true;
		f->msg_len = 0;
		f->phase = PH_SKIP_LF;
		return;
	}
	out->body_len = n;
	if (n == avail) {
		out->used = len;
		f->msg_len += (uint32_t)n;
		return;
	}
	out->used = pos + n + 1;
	out->end = true;
	out->strip_cr = true;
	f->msg_len = 0;
}

/* Octet counting and DNS: the frame's length is known, so a frame over
 * message_max is cut as soon as message_max bytes are in. */
static void
counted_body(struct dp_framer *f, size_t pos, size_t len,
	     uint32_t message_max, struct dp_frame_out *out)
{
	size_t avail = len - pos;
	uint32_t room = message_max - f->msg_len;
	bool cut = f->remaining > room;
	size_t want = cut ? room : f->remaining;
	size_t take = avail < want ? avail : want;

	out->body_off = pos;
	out->body_len = take;
	out->used = pos + take;
	f->remaining -= (uint32_t)take;
	f->msg_len += (uint32_t)take;
	if (cut && f->msg_len == message_max) {
		out->end = true;
		out->cut = true;
		f->msg_len = 0;
		f->phase = PH_SKIP_COUNT;
	} else if (f->remaining == 0) {
		out->end = true;
		f->msg_len = 0;
		f->phase = (uint8_t)header_phase(f);
	}
}

void
dp_framer_step(struct dp_framer *f, const uint8_t *in, size_t len,
	       uint32_t message_max, struct dp_frame_out *out)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	/* A phase that consumes nothing changes the phase, so this ends. */
	while (pos < len) {
		const uint8_t *p = in + pos;
		size_t n = len - pos;

		switch ((enum framer_phase)f->phase) {
		case PH_LF_BODY:
			lf_body(f, in, pos, len, message_max, out);
			return;
		case PH_OCTET_BODY:
		case PH_DNS_BODY:
			counted_body(f, pos, len, message_max, out);
			return;
		case PH_DETECT:
			pos += detect(f, p, n, out);
			break;
		case PH_DETECT_MID:
			pos += detect_mid(f, p, n, out);
			break;
		case PH_OCTET_LEN:
			pos += octet_len(f, p, n, out);
			break;
		case PH_DNS_LEN:
			pos += dns_len(f, p, n, out);
			break;
		case PH_RESYNC_LF:
			/* As at a midstream pickup: a PRI marks a start. */
			f->phase = *p == '<' ? PH_LF_BODY : PH_SKIP_LF;
			break;
		case PH_SKIP_LF:
			pos += skip_lf(f, p, n, out);
			break;
		case PH_SKIP_COUNT:
			pos += skip_count(f, n, out);
			break;
		case PH_RESYNC_OCTET:
			pos += resync_octet(f, p, n, out);
			break;
		}
	}
	out->used = pos;
}

void
dp_framer_resync(struct dp_framer *f)
{
	header_reset(f);
	f->msg_len = 0;
	f->remaining = 0;
	switch ((enum dp_framer_kind)f->kind) {
	case DP_FRAMER_SYSLOG_UNKNOWN:
		f->phase = PH_DETECT_MID;
		break;
	case DP_FRAMER_SYSLOG_LF:
		f->phase = PH_RESYNC_LF;
		break;
	case DP_FRAMER_SYSLOG_OCTET:
		f->phase = PH_RESYNC_OCTET;
		break;
	case DP_FRAMER_DNS:
		f->phase = PH_DNS_LEN;
		break;
	}
}

void
dp_framer_skip_message(struct dp_framer *f)
{
	f->msg_len = 0;
	if (f->phase == PH_LF_BODY)
		f->phase = PH_SKIP_LF;
	else if (f->phase == PH_OCTET_BODY || f->phase == PH_DNS_BODY)
		f->phase = f->remaining > 0 ? PH_SKIP_COUNT :
			(uint8_t)header_phase(f);
}

enum dp_framer_rest
dp_framer_rest(const struct dp_framer *f)
{
	switch ((enum framer_phase)f->phase) {
	case PH_LF_BODY:
		return f->msg_len > 0 ? DP_FRAMER_REST_LF : DP_FRAMER_REST_NONE;
	case PH_OCTET_BODY:
	case PH_DNS_BODY:
		return DP_FRAMER_REST_PARTIAL;
	case PH_DETECT:
	case PH_OCTET_LEN:
	case PH_DNS_LEN:
		return f->digits > 0 ? DP_FRAMER_REST_PARTIAL :
			DP_FRAMER_REST_NONE;
	default:
		return DP_FRAMER_REST_NONE;
	}
}
