/* normalize_internal.h -- internal to patterns/: what normalize.c (the
 * value rules), normalize_detect.c (type detection) and normalize_meta.c
 * (times and severities) share: character classes that hold whatever
 * LANG the daemon runs under, and the normalizers' checks that type
 * detection reuses. */
#ifndef IOCSIFT_PATTERNS_NORMALIZE_INTERNAL_H
#define IOCSIFT_PATTERNS_NORMALIZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "indicator.h"

/* How much of an offending value an error message quotes. */
#define QUOTE_MAX 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool
equals_ci(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* ---- normalize.c: the checks, each 0 or -EINVAL with err (may be NULL)
 * saying why ---- */

/* Undoes defanging in place ("[.]" -> ".", "hxxp://" -> "http://", the
 * rules at the top of normalize.c). Returns the new length. */
size_t pat_norm_refang(char *s, size_t len);

/* "addr" or "addr/N" of family (AF_INET, AF_INET6; an IPv6 address may be
 * bracketed) into addr and *prefix. Host bits are the caller's business. */
int pat_norm_parse_cidr(int family, const char *s, size_t len, uint8_t *addr,
			unsigned int *prefix, struct error_detail *err);

/* s (no trailing dot, any case) as a name: labels of 1..63 name
 * characters, 253 bytes in all. what names it in the message ("domain",
 * "url host"); idn lets non-ASCII bytes pass, for the IDN conversion to
 * judge. */
int pat_norm_domain_check(const char *s, size_t len, const char *what,
			  bool idn, struct error_detail *err);

/* host[:port] or [ipv6][:port]; idn as for pat_norm_domain_check(). */
int pat_norm_url_host_check(const char *h, size_t len, bool idn,
			    struct error_detail *err);

/* The length of the host of a URL without its scheme: up to the first
 * '/', '?' or '#'. */
size_t pat_norm_url_host_len(const char *s, size_t len);

/* 1..255 bytes, no '/', '\' or control character. */
int pat_norm_filename_check(const char *s, size_t len,
			    struct error_detail *err);

/* ---- normalize_detect.c ---- */

/* The type of s, already refanged and trimmed: 0 and *type, or -EINVAL. */
int pat_norm_detect(const char *s, size_t len, enum pat_type *type);

#endif
