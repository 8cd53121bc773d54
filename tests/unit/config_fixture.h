/* config_fixture.h -- what the unit tests of the configuration file share
 * (test_config.c, test_config_keys.c): the configuration parsed into,
 * reset around each test, and texts parsed that must pass, or fail with
 * a given line and message and leave the configuration as it was. */
#ifndef IOCSIFT_TESTS_CONFIG_FIXTURE_H
#define IOCSIFT_TESTS_CONFIG_FIXTURE_H

#include <stddef.h>

#include "config.h"

extern struct iocsift_config cfg;       /* what a test parses into */
extern struct iocsift_config defaults;  /* cfg_defaults() */
extern struct error_detail err;         /* of the last parse */
/* Texts built by a test (long lines, many sections). */
extern char big[3 * 1024 * 1024];

/* Per test: cfg and defaults set to the defaults, err cleared; cfg
 * released afterwards. */
int config_fixture_setup(void **state);
int config_fixture_teardown(void **state);

/* Parses len bytes of text into cfg as "test.conf"; cfg_parse()'s result. */
int parse_len(const char *text, size_t len);
/* The text must parse. */
void parse_ok(const char *text);
/* All or nothing: an error leaves cfg as it was (the defaults here, no
 * argument owned). A message ending in "..." is a prefix. */
void parse_error_len(const char *text, size_t len, unsigned int line,
		     const char *message);
void parse_error(const char *text, unsigned int line, const char *message);

/* Appends to big at *len, which it moves on. */
void append(size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* n times c, in a static buffer. */
char *repeat(char c, size_t n);
/* prefix, n times c, suffix into dst. */
void build(char *dst, size_t size, const char *prefix, char c, size_t n,
	   const char *suffix);

#endif
