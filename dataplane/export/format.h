/* format.h -- one hit event as an ECS, RFC 5424, CEF or LEEF record. */
#ifndef IOCSIFT_EXPORT_FORMAT_H
#define IOCSIFT_EXPORT_FORMAT_H

#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "indicator.h"

/*
 * Layouts, fields and escaping of every format: docs/events.md, "Formats".
 * Every record is one line of UTF-8 (invalid input bytes become U+FFFD)
 * without CR, LF or NUL; the syslog forms carry no framing.
 */

enum exp_format {
	EXP_FORMAT_ECS,
	EXP_FORMAT_RFC5424,
	EXP_FORMAT_CEF,
	EXP_FORMAT_LEEF,
};

#define EXP_FORMAT_COUNT 4

/* Syslog facility of every message sent: local0. */
#define EXP_SYSLOG_FACILITY 16
/* The RFC 5424 SD-ID. 32473 is the example Private Enterprise Number of
 * RFC 5612: a placeholder until the project has its own. */
#define EXP_SD_ID "iocsift@32473"

/* "ecs", "rfc5424", "cef", "leef" (any case). 0 or -EINVAL. */
int exp_format_from_name(const char *name, enum exp_format *format);

/* The name above; "unknown" for a value out of the enum. */
const char *exp_format_name(enum exp_format format);

/* A growing byte buffer. data is NUL-terminated when non-NULL (the NUL is
 * not counted in len). Zero-initialize before use. */
struct exp_buffer {
	char *data;
	size_t len;
	size_t cap;
};

/* len = 0, keeps the memory. */
void exp_buffer_reset(struct exp_buffer *b);
void exp_buffer_free(struct exp_buffer *b);
/* Appends len bytes. 0 or -ENOMEM (b unchanged). */
int exp_buffer_append(struct exp_buffer *b, const void *bytes, size_t len);

/* Grows b to hold len more bytes and the NUL. 0 or -ENOMEM (b unchanged). */
int exp_buffer_grow(struct exp_buffer *b, size_t len);

/* For writers that fill the buffer in place (the formats): where len more
 * bytes go, room made for them and the NUL; NULL when out of memory. Write
 * up to len bytes there, then exp_buffer_advance() by what was written. */
static inline char *
exp_buffer_room(struct exp_buffer *b, size_t len)
{
	if (len < b->cap - b->len)
		return b->data + b->len;
	return exp_buffer_grow(b, len) == 0 ? b->data + b->len : NULL;
}

/* Counts len bytes written at exp_buffer_room() and NUL-terminates. */
static inline void
exp_buffer_advance(struct exp_buffer *b, size_t len)
{
	b->len += len;
	b->data[b->len] = '\0';
}

/*
 * The formats' writer: appends to a buffer with a sticky error, so a
 * record is written straight through and checked once at the end.
 */
struct exp_writer {
	struct exp_buffer *b;
	int err;                        /* 0 or -ENOMEM */
};

/* exp_buffer_room() unless an append has failed; sets err on failure.
 * Inlined: with a literal's length the copy becomes a few moves. */
static inline __attribute__((always_inline)) char *
exp_room(struct exp_writer *w, size_t len)
{
	char *p;

	if (w->err != 0)
		return NULL;
	p = exp_buffer_room(w->b, len);
	if (p == NULL)
		w->err = -ENOMEM;
	return p;
}

static inline __attribute__((always_inline)) void
exp_put(struct exp_writer *w, const void *bytes, size_t len)
{
	char *p = exp_room(w, len);

	if (p == NULL)
		return;
	memcpy(p, bytes, len);
	exp_buffer_advance(w->b, len);
}

/* Literals only: their length is known at compile time. */
#define EXP_PUT_LIT(w, lit) exp_put((w), (lit), sizeof(lit) - 1)

/* Words of ours: nothing to escape. */
static inline void
exp_put_str(struct exp_writer *w, const char *s)
{
	exp_put(w, s, strlen(s));
}

static inline void
exp_put_u64(struct exp_writer *w, uint64_t v)
{
	char *p = exp_room(w, EXP_U64_MAX);

	if (p != NULL)
		exp_buffer_advance(w->b, exp_u64_format(v, p));
}

/*
 * What the escaping writers (JSON strings, the syslog formats' fields)
 * share: words of 8 bytes compared at once, SWAR.
 */
#define EXP_SWAR_ONES 0x0101010101010101ull
#define EXP_SWAR_HIGHS 0x8080808080808080ull

/* High bit of each byte of x equal to c (exact as a truth value). */
static inline uint64_t
exp_swar_eq(uint64_t x, uint8_t c)
{
	uint64_t y = x ^ (EXP_SWAR_ONES * c);

	return (y - EXP_SWAR_ONES) & ~y;
}

/* Copies s from *at to o while no byte needs escaping: 8 bytes at a time
 * while attention(word, special) is false, and multibyte UTF-8 sequences
 * whole (an invalid one becomes U+FFFD, as exp_utf8_sanitize() writes it).
 * Stops at len or at an ASCII byte for the caller to look at. o needs 3
 * bytes a byte of s. Returns where o got to; *at is moved on. Callers
 * loop as `for (;;) { o = exp_copy_plain(...); if (i == len) break; ...`:
 * the one test of the end per byte looked at. */
static inline __attribute__((always_inline)) char *
exp_copy_plain(char *o, const uint8_t *s, size_t len, size_t *at,
	       bool (*attention)(uint64_t word, const uint8_t *special),
	       const uint8_t *special)
{
	size_t i = *at;

	for (;;) {
		while (len - i >= 8) {
			uint64_t x;
			memcpy(&x, s + i, 8);
			if (attention(x, special))
				break;
			memcpy(o, s + i, 8);
			o += 8;
			i += 8;
		}
		if (i == len || s[i] < 0x80)
			break;
		size_t n = exp_utf8_char_len(s + i, len - i);
		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		}
	}
	*at = i;
	return o;
}

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

/* The record for a file sink, one line without its newline: the ECS JSON
 * object, the RFC 5424 message, the CEF line or the LEEF line. Appends to
 * out. 0, or -ENOMEM (out unchanged), or -EINVAL for a format out of the
 * enum. */
int exp_format_record(enum exp_format format, const struct exp_event *ev,
		      struct exp_buffer *out);

/* The same as a syslog message for a network sink, without framing: the
 * RFC 5424 record as it is; ECS, CEF and LEEF as the MSG of
 * "<PRI>1 TIMESTAMP HOSTNAME iocsift - hit - ". Same returns. */
int exp_format_syslog(enum exp_format format, const struct exp_event *ev,
		      struct exp_buffer *out);

/* The ECS record (exp_format_record() with EXP_FORMAT_ECS): the object of
 * exp_event_write() plus event.id, event.start, event.end, iocsift.count
 * and observer.hostname. In event.c. */
int exp_event_ecs(const struct exp_event *ev, struct exp_buffer *out);

/* The severity of ind on each scale: syslog (2 crit .. 5 notice), CEF and
 * LEEF (0..10 and 1..10: 10, 8, 5, 3). Unset counts as medium. */
unsigned int exp_syslog_severity(uint8_t severity);
unsigned int exp_cef_severity(uint8_t severity);

#endif
