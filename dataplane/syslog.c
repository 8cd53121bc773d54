/* syslog.c -- RFC 3164 (lenient, like rsyslog) and RFC 5424 (strict) header parsing. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "syslog.h"

#define SYSLOG_PRI_MAX 191
#define SYSLOG_PRI_DIGITS 3
#define SYSLOG_FRAC_MAX 6
/* RFC 5424 section 6: field length limits. */
#define SYSLOG_HOSTNAME_MAX 255
#define SYSLOG_APPNAME_MAX 48
#define SYSLOG_PROCID_MAX 128
#define SYSLOG_MSGID_MAX 32
#define SYSLOG_SD_NAME_MAX 32
/* Longest RFC 3339 timestamp we accept, with 6 fraction digits. */
#define SYSLOG_TIMESTAMP_MAX 32

/* The unparsed rest of the message: buf[pos, end). */
struct cursor {
	const uint8_t *buf;
	size_t pos;
	size_t end;
};

static inline bool
at(const struct cursor *c, uint8_t ch)
{
	return c->pos < c->end && c->buf[c->pos] == ch;
}

static inline bool
eat(struct cursor *c, uint8_t ch)
{
	if (!at(c, ch))
		return false;
	c->pos++;
	return true;
}

static inline bool
is_digit(uint8_t ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool
is_alnum(uint8_t ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
		(ch >= 'A' && ch <= 'Z');
}

/* PRINTUSASCII of RFC 5424. */
static inline bool
is_print(uint8_t ch)
{
	return ch >= 33 && ch <= 126;
}

static void
span_set(struct dp_span *span, size_t start, size_t end)
{
	span->off = (uint32_t)start;
	span->len = (uint32_t)(end - start);
}

/* Reads exactly n digits at p (p <= end) no larger than max. */
static bool
digits(const uint8_t *p, const uint8_t *end, size_t n, unsigned int max)
{
	unsigned int v = 0;

	if ((size_t)(end - p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (unsigned int)(p[i] - '0');
	}
	return v <= max;
}

/* Reads "hh:mm:ss" and an optional ".f" with 1..6 fraction digits at p;
 * returns the bytes read or 0. Second 60 is a leap second. */
static size_t
time_len(const uint8_t *p, const uint8_t *end)
{
	size_t n = 8;

	if (!digits(p, end, 2, 23) || end - p < 8 || p[2] != ':' ||
	    !digits(p + 3, end, 2, 59) || p[5] != ':' ||
	    !digits(p + 6, end, 2, 60))
		return 0;
	if (p + n < end && p[n] == '.') {
		size_t f = 0;

		while (p + n + 1 + f < end && f <= SYSLOG_FRAC_MAX &&
		       is_digit(p[n + 1 + f]))
			f++;
		if (f == 0 || f > SYSLOG_FRAC_MAX)
			return 0;
		n += 1 + f;
	}
	return n;
}

/* RFC 3339 as RFC 5424 restricts it: YYYY-MM-DDThh:mm:ss[.f](Z|+hh:mm).
 * Returns the bytes read or 0. */
static size_t
rfc3339_len(const uint8_t *p, const uint8_t *end)
{
	size_t n, t;

	if (!digits(p, end, 4, 9999) || end - p < 11 || p[4] != '-' ||
	    !digits(p + 5, end, 2, 12) || p[7] != '-' ||
	    !digits(p + 8, end, 2, 31) || p[10] != 'T')
		return 0;
	t = time_len(p + 11, end);
	if (t == 0)
		return 0;
	n = 11 + t;
	if (p + n < end && p[n] == 'Z')
		return n + 1;
	if (end - p < (ptrdiff_t)n + 6 || (p[n] != '+' && p[n] != '-') ||
	    !digits(p + n + 1, end, 2, 23) || p[n + 3] != ':' ||
	    !digits(p + n + 4, end, 2, 59))
		return 0;
	return n + 6;
}

/* RFC 3164 "Mmm dd hh:mm:ss", day space padded or not, with the
 * fraction some senders add, and the year Cisco ASA puts before the time
 * ("Mmm dd yyyy hh:mm:ss", which rsyslog reads too). Returns the bytes
 * read or 0. */
static size_t
bsd_time_len(const uint8_t *p, const uint8_t *end)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t n = 4, t;
	bool month = false;

	if (end - p < 4 || p[3] != ' ')
		return 0;
	for (size_t m = 0; m < sizeof(months) - 1 && !month; m += 3)
		month = memcmp(p, months + m, 3) == 0;
	if (!month)
		return 0;
	if (p + n < end && p[n] == ' ')
		n++;
	if (digits(p + n, end, 2, 31))
		n += 2;
	else if (digits(p + n, end, 1, 9))
		n += 1;
	else
		return 0;
	if (p + n >= end || p[n] != ' ')
		return 0;
	if (digits(p + n + 1, end, 4, 9999) && p + n + 5 < end &&
	    p[n + 5] == ' ')
		n += 5;
	t = time_len(p + n + 1, end);
	return t == 0 ? 0 : n + 1 + t;
}

/* "<N>" with 1..3 digits, N <= 191. */
static int
parse_pri(struct cursor *c, int16_t *pri)
{
	unsigned int v = 0;
	size_t n = 0;

	c->pos++;
	while (n < SYSLOG_PRI_DIGITS + 1 && c->pos < c->end &&
	       is_digit(c->buf[c->pos])) {
		v = v * 10 + (unsigned int)(c->buf[c->pos++] - '0');
		n++;
	}
	if (n == 0 || n > SYSLOG_PRI_DIGITS || v > SYSLOG_PRI_MAX ||
	    !eat(c, '>'))
		return -EINVAL;
	*pri = (int16_t)v;
	return 0;
}

/* RFC 5424 header field: NILVALUE or 1..max PRINTUSASCII, then SP. */
static int
field_5424(struct cursor *c, size_t max, struct dp_span *span)
{
	size_t start = c->pos;

	while (c->pos < c->end && is_print(c->buf[c->pos]) &&
	       c->pos - start < max)
		c->pos++;
	if (c->pos == start || !eat(c, ' '))
		return -EINVAL;
	if (c->pos - start == 2 && c->buf[start] == '-')
		return 0;
	span_set(span, start, c->pos - 1);
	return 0;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']' and '"'. */
static int
sd_name(struct cursor *c)
{
	size_t start = c->pos;

	while (c->pos < c->end && c->pos - start < SYSLOG_SD_NAME_MAX) {
		uint8_t ch = c->buf[c->pos];

		if (!is_print(ch) || ch == '=' || ch == ']' || ch == '"')
			break;
		c->pos++;
	}
	return c->pos > start ? 0 : -EINVAL;
}

/* PARAM-VALUE up to and including its closing quote; a backslash
 * takes the next byte literally, which covers \" \\ and \]. */
static int
sd_value(struct cursor *c)
{
	while (c->pos < c->end) {
		uint8_t ch = c->buf[c->pos++];

		if (ch == '"')
			return 0;
		if (ch == '\\') {
			if (c->pos == c->end)
				return -EINVAL;
			c->pos++;
		}
	}
	return -EINVAL;
}

/* "[" SD-ID *(SP PARAM-NAME "=" %d34 PARAM-VALUE %d34) "]" */
static int
sd_element(struct cursor *c)
{
	if (!eat(c, '[') || sd_name(c) != 0)
		return -EINVAL;
	while (eat(c, ' ')) {
		if (sd_name(c) != 0 || !eat(c, '=') || !eat(c, '"') ||
		    sd_value(c) != 0)
			return -EINVAL;
	}
	return eat(c, ']') ? 0 : -EINVAL;
}

static int
structured_data(struct cursor *c, struct dp_span *span)
{
	size_t start = c->pos;

	if (eat(c, '-'))
		return 0;
	do {
		if (sd_element(c) != 0)
			return -EINVAL;
	} while (at(c, '['));
	span_set(span, start, c->pos);
	return 0;
}

/* After "<PRI>1 ": every field is mandatory and single-SP separated. */
static int
parse_5424(struct cursor *c, struct dp_syslog *msg)
{
	static const uint8_t bom[] = { 0xef, 0xbb, 0xbf };
	struct dp_span *ts = &msg->timestamp;

	msg->format = DP_SYSLOG_RFC5424;
	c->pos += 2;
	if (field_5424(c, SYSLOG_TIMESTAMP_MAX, ts) != 0 ||
	    (ts->len != 0 &&
	     rfc3339_len(c->buf + ts->off, c->buf + ts->off + ts->len) !=
	     ts->len) ||
	    field_5424(c, SYSLOG_HOSTNAME_MAX, &msg->hostname) != 0 ||
	    field_5424(c, SYSLOG_APPNAME_MAX, &msg->appname) != 0 ||
	    field_5424(c, SYSLOG_PROCID_MAX, &msg->procid) != 0 ||
	    field_5424(c, SYSLOG_MSGID_MAX, &msg->msgid) != 0 ||
	    structured_data(c, &msg->structured_data) != 0)
		return -EINVAL;
	if (c->pos == c->end)
		return 0;
	if (!eat(c, ' '))
		return -EINVAL;
	if (c->end - c->pos >= sizeof(bom) &&
	    memcmp(c->buf + c->pos, bom, sizeof(bom)) == 0)
		c->pos += sizeof(bom);
	span_set(&msg->message, c->pos, c->end);
	return 0;
}

/* rsyslog's rule: a word of [A-Za-z0-9._-] ending in a letter or
 * digit and followed by SP is a hostname ("su:" or "sshd[1]" is not). */
static void
bsd_hostname(struct cursor *c, struct dp_span *span)
{
	size_t i = c->pos;

	while (i < c->end && (is_alnum(c->buf[i]) || c->buf[i] == '.' ||
			      c->buf[i] == '_' || c->buf[i] == '-'))
		i++;
	if (i == c->pos || i == c->end || c->buf[i] != ' ' ||
	    !is_alnum(c->buf[i - 1]))
		return;
	span_set(span, c->pos, i);
	c->pos = i + 1;
}

/* TAG: appname up to '[', ':', SP or TAB, an optional "[procid]", then
 * an optional ':' and one SP. Without any terminator it is message text.
 * rsyslog does not stop at a TAB; Snare separates its fields with them,
 * and its appname is the first field. */
static void
bsd_tag(struct cursor *c, struct dp_syslog *msg)
{
	size_t i = c->pos, app_end, pid_start = 0;

	while (i < c->end && c->buf[i] != '[' && c->buf[i] != ':' &&
	       c->buf[i] != ' ' && c->buf[i] != '\t')
		i++;
	if (i == c->pos || i == c->end)
		return;
	app_end = i;
	if (c->buf[i] == '[') {
		pid_start = ++i;
		while (i < c->end && c->buf[i] != ']' && c->buf[i] != ' ')
			i++;
		if (i == c->end || c->buf[i] != ']')
			return;
		span_set(&msg->procid, pid_start, i++);
	}
	span_set(&msg->appname, c->pos, app_end);
	c->pos = i;
	eat(c, ':');
	eat(c, ' ');
}

/* Lenient: whatever part is missing stays absent, the rest is MSG. */
static void
parse_3164(struct cursor *c, struct dp_syslog *msg)
{
	const uint8_t *p = c->buf + c->pos, *end = c->buf + c->end;
	size_t ts, sep;

	msg->format = DP_SYSLOG_RFC3164;
	ts = bsd_time_len(p, end);
	if (ts == 0)
		ts = rfc3339_len(p, end);
	/* Cisco devices put a ':' after the timestamp. */
	sep = ts;
	if (ts != 0 && p + sep < end && p[sep] == ':')
		sep++;
	/* Without a timestamp rsyslog assumes no hostname either. */
	if (ts != 0 && p + sep < end && p[sep] == ' ') {
		span_set(&msg->timestamp, c->pos, c->pos + ts);
		c->pos += sep + 1;
		bsd_hostname(c, &msg->hostname);
	}
	bsd_tag(c, msg);
	span_set(&msg->message, c->pos, c->end);
}

static inline bool
is_trailer(uint8_t ch)
{
	return ch == '\0' || ch == '\r' || ch == '\n';
}

/* The parse; with full false, an RFC 3164 message (which always parses)
 * is left unread past its PRI. */
static int
syslog_parse(const uint8_t *data, size_t len, struct dp_syslog *msg,
	     bool full)
{
	struct cursor c = { .buf = data, .pos = 0, .end = len };

	memset(msg, 0, sizeof(*msg));
	msg->priority = -1;
	/* Spans are 32-bit; trailing NUL, CR and LF belong to no field. */
	if (len > UINT32_MAX)
		return -EINVAL;
	while (c.end > 0 && is_trailer(data[c.end - 1]))
		c.end--;
	if (c.end == 0)
		return -EINVAL;
	if (!at(&c, '<')) {
		msg->format = DP_SYSLOG_BARE;
		span_set(&msg->message, 0, c.end);
		return 0;
	}
	if (parse_pri(&c, &msg->priority) != 0) {
		msg->priority = -1;
		return -EINVAL;
	}
	if (c.end - c.pos >= 2 && data[c.pos] == '1' && data[c.pos + 1] == ' ')
		return parse_5424(&c, msg);
	if (full)
		parse_3164(&c, msg);
	return 0;
}

int
dp_syslog_parse(const uint8_t *data, size_t len, struct dp_syslog *msg)
{
	return syslog_parse(data, len, msg, true);
}

int
dp_syslog_check(const uint8_t *data, size_t len)
{
	struct dp_syslog msg;

	return syslog_parse(data, len, &msg, false);
}
