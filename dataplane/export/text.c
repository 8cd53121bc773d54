/* text.c -- buffers, and numbers, addresses, times and UTF-8 as text. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define BUFFER_MIN 512

size_t
exp_utf8_char_len(const uint8_t *s, size_t len)
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

size_t
exp_utf8_sanitize(const uint8_t *src, size_t len, char *dst)
{
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		size_t n = exp_utf8_char_len(src + i, len - i);
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

/*
 * Numbers, addresses and times without printf, gmtime or inet_ntop: the
 * formats write several of each per event.
 */

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"68697071727374757677787980818283848586878889909192939495969798990";

size_t
exp_u64_format(uint64_t v, char *buf)
{
	char tmp[EXP_U64_MAX];
	size_t n = sizeof(tmp);

	while (v >= 100) {
		n -= 2;
		memcpy(tmp + n, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		n -= 2;
		memcpy(tmp + n, digit_pairs + 2 * v, 2);
	} else {
		tmp[--n] = (char)('0' + v);
	}
	memcpy(buf, tmp + n, sizeof(tmp) - n);
	return sizeof(tmp) - n;
}

static size_t
u8_format(uint8_t v, char *buf)
{
	if (v >= 100) {
		buf[0] = (char)('0' + v / 100);
		memcpy(buf + 1, digit_pairs + 2 * (v % 100), 2);
		return 3;
	}
	if (v >= 10) {
		memcpy(buf, digit_pairs + 2 * v, 2);
		return 2;
	}
	buf[0] = (char)('0' + v);
	return 1;
}

static size_t
ipv4_format(const uint8_t *addr, char *buf)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i > 0)
			buf[n++] = '.';
		n += u8_format(addr[i], buf + n);
	}
	buf[n] = '\0';
	return n;
}

/* The algorithm of glibc's inet_ntop6 (RFC 5952 but for the embedded IPv4
 * forms it keeps): the first longest run of two or more zero groups
 * becomes "::", groups in lower-case hex without leading zeros, and
 * ::a.b.c.d and ::ffff:a.b.c.d for IPv4-compatible and -mapped addresses. */
static size_t
ipv6_format(const uint8_t *addr, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	uint16_t words[8];
	int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++) {
		words[i] = (uint16_t)(addr[2 * i] << 8 | addr[2 * i + 1]);
		if (words[i] == 0) {
			if (cur_base == -1) {
				cur_base = i;
				cur_len = 0;
			}
			cur_len++;
		} else if (cur_base != -1) {
			if (best_base == -1 || cur_len > best_len) {
				best_base = cur_base;
				best_len = cur_len;
			}
			cur_base = -1;
		}
	}
	if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
		best_base = cur_base;
		best_len = cur_len;
	}
	if (best_base != -1 && best_len < 2)
		best_base = -1;
	for (int i = 0; i < 8; i++) {
		if (best_base != -1 && i >= best_base &&
		    i < best_base + best_len) {
			if (i == best_base)
				buf[n++] = ':';
			continue;
		}
		if (i != 0)
			buf[n++] = ':';
		if (i == 6 && best_base == 0 &&
		    (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
			n += ipv4_format(addr + 12, buf + n);
			return n;
		}
		uint16_t w = words[i];
		int shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;
		for (; shift >= 0; shift -= 4)
			buf[n++] = hex[(w >> shift) & 0xf];
	}
	if (best_base != -1 && best_base + best_len == 8)
		buf[n++] = ':';
	buf[n] = '\0';
	return n;
}

size_t
exp_addr_format(uint8_t ip_version, const uint8_t *addr, char *buf)
{
	return ip_version == 4 ? ipv4_format(addr, buf) :
		ipv6_format(addr, buf);
}

/* Civil date of a day count since 1970-01-01 (days >= 0), after Howard
 * Hinnant's days_from_civil inverse: no table, no library call. */
static void
civil_from_days(uint64_t days, unsigned int *year, unsigned int *month,
		unsigned int *day)
{
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097);
	unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (unsigned int)(era * 400 + yoe) + (*month <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS" of secs into buf (19 bytes). Events come in
 * bursts within one second, so each thread keeps the last one made. */
static void
date_time_format(uint64_t secs, char *buf)
{
	static _Thread_local uint64_t cached_secs = UINT64_MAX;
	static _Thread_local char cached[19];
	unsigned int year, month, day;
	unsigned int sod = (unsigned int)(secs % 86400);

	if (secs == cached_secs) {
		memcpy(buf, cached, sizeof(cached));
		return;
	}
	civil_from_days(secs / 86400, &year, &month, &day);
	memcpy(cached, digit_pairs + 2 * (year / 100), 2);
	memcpy(cached + 2, digit_pairs + 2 * (year % 100), 2);
	cached[4] = '-';
	memcpy(cached + 5, digit_pairs + 2 * month, 2);
	cached[7] = '-';
	memcpy(cached + 8, digit_pairs + 2 * day, 2);
	cached[10] = 'T';
	memcpy(cached + 11, digit_pairs + 2 * (sod / 3600), 2);
	cached[13] = ':';
	memcpy(cached + 14, digit_pairs + 2 * (sod / 60 % 60), 2);
	cached[16] = ':';
	memcpy(cached + 17, digit_pairs + 2 * (sod % 60), 2);
	cached_secs = secs;
	memcpy(buf, cached, sizeof(cached));
}

const char *
exp_time_format(uint64_t time_ns, char *buf)
{
	unsigned int us = (unsigned int)(time_ns % 1000000000ULL / 1000);

	date_time_format(time_ns / 1000000000ULL, buf);
	buf[19] = '.';
	memcpy(buf + 20, digit_pairs + 2 * (us / 10000), 2);
	memcpy(buf + 22, digit_pairs + 2 * (us / 100 % 100), 2);
	memcpy(buf + 24, digit_pairs + 2 * (us % 100), 2);
	buf[26] = 'Z';
	buf[27] = '\0';
	return buf;
}

void
exp_buffer_reset(struct exp_buffer *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
exp_buffer_free(struct exp_buffer *b)
{
	free(b->data);
	*b = (struct exp_buffer){ 0 };
}

int
exp_buffer_grow(struct exp_buffer *b, size_t len)
{
	if (len >= SIZE_MAX - b->len)
		return -ENOMEM;
	size_t need = b->len + len + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap > 0 ? b->cap : BUFFER_MIN;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *data = realloc(b->data, cap);
	if (data == NULL)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

int
exp_buffer_append(struct exp_buffer *b, const void *bytes, size_t len)
{
	char *p = exp_buffer_room(b, len);

	if (p == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(p, bytes, len);
	exp_buffer_advance(b, len);
	return 0;
}
