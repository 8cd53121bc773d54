/* common.h -- the few helpers every layer shares: the error detail that
 * names where an input went wrong, hex and base64 decoding, the monotonic
 * clock and JSON-line output. patterns/ is the lowest folder, so anything
 * above may use them. */
#ifndef IOCSIFT_PATTERNS_COMMON_H
#define IOCSIFT_PATTERNS_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* The one error convention: a function returns 0 or -errno and, when the
 * caller passes one, fills an error_detail. where is the file, device or
 * setting the error is about ("" when none), line is 0 when the error is
 * not about one line. */
struct error_detail {
	char where[256];
	unsigned int line;
	char message[256];
};

/* Fills err; a caller that wants only the return code passes NULL. */
void error_detail_set(struct error_detail *err, const char *where,
		      unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void error_detail_vset(struct error_detail *err, const char *where,
		       unsigned int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* "WHERE:LINE: message", "WHERE: message" or "message", as err allows, in
 * buf (ERROR_DETAIL_TEXT_MAX holds every error). Returns buf. */
#define ERROR_DETAIL_TEXT_MAX 600
const char *error_detail_format(const struct error_detail *err, char *buf,
				size_t size);

/* error_detail_format() as a line on out; "PROG: " first when err names
 * no place, so that every message says where it comes from. */
void error_detail_print(FILE *out, const char *prog,
			const struct error_detail *err);

/* The value of a hex digit (either case), or -1. */
static inline int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 4648 base64 (the standard alphabet) of in[0..len) into out, which
 * holds len / 4 * 3 + 3 bytes; *out_len is the decoded length. With
 * padding_required the input is whole 4-character groups, else the '='
 * padding may be left out. Bits a last partial group leaves unused must
 * be zero. Returns 0 or -EINVAL. */
int base64_decode(const char *in, size_t len, bool padding_required,
		  unsigned char *out, size_t *out_len);

/* Padded base64 of in[0..len) into out, which holds (len + 2) / 3 * 4 + 1
 * bytes; NUL-terminated. Returns the length without the NUL. */
size_t base64_encode(const unsigned char *in, size_t len, char *out);

/* CLOCK_MONOTONIC, for intervals and deadlines. */
static inline uint64_t
monotonic_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* CLOCK_REALTIME in ns: UNIX time, for times that are written down. */
static inline uint64_t
realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline uint64_t
monotonic_ms(void)
{
	return monotonic_ns() / 1000000u;
}

/* The CLOCK_MONOTONIC time ms milliseconds from now, for
 * pthread_cond_timedwait on a condition set to that clock. */
static inline struct timespec
monotonic_after_ms(uint64_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Reads fd to its end into a malloc'd buffer with a NUL after the data
 * (*len does not count it). 0, -EFBIG when there is more than max bytes,
 * -ENOMEM or the read's -errno. */
int fd_read_all(int fd, size_t max, char **data, size_t *len);

/* fd_read_all() of the file at path; a directory is -EISDIR. */
int file_read_all(const char *path, size_t max, char **data, size_t *len);

/* The directories iocsift keeps (docs/deployment.md, "Directories").
 * DIR_PREPARE_TEXT_MAX holds every text dir_prepare() writes. */
#define DIR_MODE_PRIVATE 0700     /* spools: raw log messages */
#define DIR_MODE_SHARED 0750      /* state dir, file sinks: group reads */
#define DIR_PREPARE_TEXT_MAX (2 * 4096 + 256)

/* Makes sure path (absolute or relative, shorter than 4096 bytes) is a
 * directory. A missing one is made when create (with each missing parent,
 * DIR_MODE_SHARED, then path itself with mode; under the umask), or else
 * refused. 0, or -errno with why (why_size bytes, DIR_PREPARE_TEXT_MAX
 * hold all) saying what is wrong and, for a directory that is missing or
 * could not be made, the command that makes it:
 * "does not exist; create it with: install -d -m 0750 /PATH" (the path
 * quoted for a POSIX shell when it needs to be). An existing directory
 * keeps its mode. */
int dir_prepare(const char *path, unsigned int mode, bool create,
		char *why, size_t why_size);

/* "install -d -m MODE PATH", PATH quoted for a POSIX shell when it holds
 * anything but letters, digits and / . _ - + , : @ %. Returns out. */
const char *dir_install_command(const char *path, unsigned int mode,
				char *out, size_t size);

/* json as one compact line ending in '\n' (keys in insertion order, reals
 * to 15 digits), malloc'd and NUL-terminated; *len (if not NULL) is its
 * length with the newline. NULL when out of memory. The one writer of the
 * control protocol's lines, on both ends. */
struct json_t;
/* A duration as an operator writes it: N with an optional unit, s, m, h
 * or d ("24h", "90m", "3600"). 0, or -EINVAL (not one, or 0, or past
 * 100 years). */
int duration_parse(const char *text, uint64_t *seconds);

char *json_line(const struct json_t *json, size_t *len);

#endif
