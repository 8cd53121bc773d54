/* text.h -- the bytes every record is made of: a growing buffer and a
 * writer with a sticky error, escaping helpers, and numbers, addresses,
 * times and UTF-8 as text. Below the ECS writer (event.c) and the
 * formats (format.c); depends on nothing of theirs. */
#ifndef IOCSIFT_EXPORT_TEXT_H
#define IOCSIFT_EXPORT_TEXT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif
