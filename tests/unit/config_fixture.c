/* config_fixture.c -- what the unit tests of the configuration file
 * share (config_fixture.h): the configuration under test, texts that must
 * parse or fail just so, and long texts built for a test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"

struct iocsift_config cfg;
struct iocsift_config defaults;
struct error_detail err;
char big[3 * 1024 * 1024];

int
config_fixture_setup(void **state)
{
	(void)state;
	cfg_defaults(&cfg);
	cfg_defaults(&defaults);
	memset(&err, 0, sizeof(err));
	return 0;
}

int
config_fixture_teardown(void **state)
{
	(void)state;
	cfg_release(&cfg);
	return 0;
}

/* Parses len bytes of text into cfg as "test.conf". */
int
parse_len(const char *text, size_t len)
{
	memset(&err, 0, sizeof(err));
	return cfg_parse(&cfg, "test.conf", text, len, &err);
}

void
parse_ok(const char *text)
{
	int rc = parse_len(text, strlen(text));

	if (rc != 0)
		print_error("parse: %s:%u: %s\n", err.where, err.line, err.message);
	assert_int_equal(rc, 0);
}

/* All or nothing: an error leaves cfg as it was (the defaults here, no
 * argument owned). A message ending in "..." is a prefix. */
void
parse_error_len(const char *text, size_t len, unsigned int line,
		const char *message)
{
	size_t n = strlen(message);

	cfg_release(&cfg);
	cfg_defaults(&cfg);
	assert_int_equal(parse_len(text, len), -EINVAL);
	assert_string_equal(err.where, "test.conf");
	if (n > 3 && strcmp(message + n - 3, "...") == 0)
		n -= 3;
	else
		n = sizeof(err.message);
	if (strncmp(err.message, message, n) != 0 || err.line != line)
		print_error("error: %u: %s\n", err.line, err.message);
	assert_true(strncmp(err.message, message, n) == 0);
	assert_int_equal(err.line, line);
	assert_memory_equal(&cfg, &defaults, sizeof(cfg));
}

void
parse_error(const char *text, unsigned int line, const char *message)
{
	parse_error_len(text, strlen(text), line, message);
}

/* Appends to big at *len, which it moves on. */
void
append(size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(big + *len, sizeof(big) - *len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(big) - *len);
	*len += (size_t)n;
}

/* n times c, in a static buffer. */
char *
repeat(char c, size_t n)
{
	static char s[16384];

	assert_true(n < sizeof(s));
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* prefix, n times c, suffix into dst. */
void
build(char *dst, size_t size, const char *prefix, char c, size_t n,
      const char *suffix)
{
	size_t a = strlen(prefix), b = strlen(suffix);

	assert_true(a + n + b < size);
	memcpy(dst, prefix, a);
	memset(dst + a, c, n);
	memcpy(dst + a + n, suffix, b + 1);
}
