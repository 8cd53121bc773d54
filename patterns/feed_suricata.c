/* feed_suricata.c -- Suricata dataset files (one value per line). */

/*
 * A dataset file does not say its type, so the format names it:
 * suricata-string (base64, decoded and typed like a plain feed line),
 * -md5, -sha256, -ipv4, -ipv6. datarep and datajson files carry
 * ",<data>" after the value: it is ignored.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "feed_formats.h"
#include "feed_reader.h"

struct suricata {
	bool base64_strings;
	enum pat_type type;
	unsigned char *decoded;   /* a decoded string value */
};

static int
suricata_line(struct feed_reader *r, const char *line, size_t len, void *ctx)
{
	struct suricata *s = ctx;
	const char *comma = memchr(line, ',', len);
	struct feed_value v = { .tags = "", .source = "" };
	size_t n;

	if (line[0] == '#')
		return 0;
	if (comma != NULL)
		len = (size_t)(comma - line);
	pat_trim(&line, &len);
	if (s->base64_strings) {
		if (base64_decode(line, len, false, s->decoded, &n) != 0)
			return feed_reader_fail(r, -EINVAL, "invalid base64 '%.*s'",
						len > QUOTE_MAX ? QUOTE_MAX : (int)len,
						line);
		if (memchr(s->decoded, '\0', n) != NULL)
			return feed_reader_fail(r, -EINVAL,
						"base64 value decodes to a NUL byte");
		v.detect = true;
		v.value = (const char *)s->decoded;
		v.value_len = n;
		return feed_reader_add(r, &v);
	}
	v.type = s->type;
	v.value = line;
	v.value_len = len;
	return feed_reader_add(r, &v);
}

int
feed_suricata_read(struct feed_reader *r, const char *text, size_t len,
		   bool base64_strings, enum pat_type type)
{
	/* A line is at most FEED_LINE_MAX (feed_reader_lines()). */
	struct suricata s = {
		.base64_strings = base64_strings,
		.type = type,
		.decoded = malloc(FEED_LINE_MAX),
	};
	int rc;

	if (s.decoded == NULL)
		return feed_reader_fail(r, -ENOMEM, "out of memory");
	rc = feed_reader_lines(r, text, len, suricata_line, &s);
	free(s.decoded);
	return rc;
}
