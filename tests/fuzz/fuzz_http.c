/* fuzz_http.c -- arbitrary bytes as an HTTP request to /metrics, and as a
 * stats object rendered to Prometheus text that must stay well formed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The response for a final verdict is framed: Content-Length is the
 * length of what follows the head. */
static void
check_response(enum ctl_http_verdict verdict, const char *body)
{
	size_t len = 0;
	char *resp = ctl_http_response(verdict, body, &len);

	if (resp == NULL)
		abort();
	const char *end = strstr(resp, "\r\n\r\n");
	const char *cl = strstr(resp, "\r\nContent-Length: ");
	if (strlen(resp) != len || strncmp(resp, "HTTP/1.1 ", 9) != 0 ||
	    end == NULL || cl == NULL || cl > end ||
	    strtoul(cl + 18, NULL, 10) != len - (size_t)(end + 4 - resp) ||
	    (body != NULL && strcmp(end + 4, body) != 0))
		abort();
	free(resp);
}

static void
check_request(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	enum ctl_http_verdict v = ctl_http_request_check(buf, size);

	if (v > CTL_HTTP_METHOD_NOT_ALLOWED)
		abort();
	if (size > 0) {
		/* A verdict, once given, stands whatever bytes follow. */
		enum ctl_http_verdict before = ctl_http_request_check(buf,
								      size - 1);
		if (before != CTL_HTTP_INCOMPLETE && before != v)
			abort();
	}
	if (v == CTL_HTTP_INCOMPLETE) {
		if (size >= CTL_HTTP_MAX_HEADER)
			abort();
		if (ctl_http_response(v, NULL, &(size_t){ 0 }) != NULL)
			abort();
		return;
	}
	check_response(v, NULL);
}

static bool
name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':';
}

static bool
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* A metric or label name at p; its end, or NULL. */
static const char *
skip_name(const char *p, const char *end)
{
	if (p >= end || !name_start(*p))
		return NULL;
	while (p < end && name_char(*p))
		p++;
	return p;
}

/* A quoted label value with only \\, \" and \n escapes. */
static const char *
skip_label_value(const char *p, const char *end)
{
	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		if (*p == '\\') {
			if (p + 1 >= end || (p[1] != '\\' && p[1] != '"' &&
					     p[1] != 'n'))
				return NULL;
			p++;
		}
		p++;
	}
	return p < end ? p + 1 : NULL;
}

static bool
digits(const char **p, const char *end)
{
	const char *start = *p;

	while (*p < end && **p >= '0' && **p <= '9')
		(*p)++;
	return *p > start;
}

/* An integer, a %g real, NaN or an infinity, and nothing more. */
static bool
sample_value(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if ((n == 3 && memcmp(p, "NaN", 3) == 0) ||
	    (n == 4 && (memcmp(p, "+Inf", 4) == 0 ||
			memcmp(p, "-Inf", 4) == 0)))
		return true;
	if (p < end && *p == '-')
		p++;
	if (!digits(&p, end))
		return false;
	if (p < end && *p == '.') {
		p++;
		if (!digits(&p, end))
			return false;
	}
	if (p < end && *p == 'e') {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!digits(&p, end))
			return false;
	}
	return p == end;
}

/* name{label="value",...} value  or  name value; returns the name's end. */
static const char *
check_sample(const char *p, const char *end)
{
	const char *name_end = skip_name(p, end);

	if (name_end == NULL)
		abort();
	p = name_end;
	if (p < end && *p == '{') {
		do {
			p = skip_name(p + 1, end);
			if (p == NULL || p >= end || *p != '=')
				abort();
			p = skip_label_value(p + 1, end);
			if (p == NULL || p >= end)
				abort();
		} while (*p == ',');
		if (*p++ != '}')
			abort();
	}
	if (p >= end || *p++ != ' ' || !sample_value(p, end))
		abort();
	return name_end;
}

/* Is "# TYPE name " at the start of a line before the end of text? */
static bool
type_before(const char *text, const char *end, const char *name, size_t n)
{
	for (const char *line = text; line < end;) {
		if (strncmp(line, "# TYPE ", 7) == 0 &&
		    strncmp(line + 7, name, n) == 0 && line[7 + n] == ' ')
			return true;
		line = strchr(line, '\n') + 1;
	}
	return false;
}

/* Every line a comment or a sample; HELP then TYPE once per family, and
 * every sample under the TYPE of its own name. */
static void
check_text(const char *text)
{
	const char *family = NULL;      /* the name in the last TYPE */
	size_t family_len = 0;
	const char *help = NULL;        /* the name in the line before */
	size_t help_len = 0;

	if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
		abort();
	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');
		const char *name_end;
		if (end == NULL || end == line)
			abort();
		if (strncmp(line, "# HELP ", 7) == 0) {
			name_end = skip_name(line + 7, end);
			if (name_end == NULL || *name_end != ' ')
				abort();
			help = line + 7;
			help_len = (size_t)(name_end - help);
			line = end + 1;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			name_end = skip_name(line + 7, end);
			if (name_end == NULL ||
			    (strncmp(name_end, " counter\n", 9) != 0 &&
			     strncmp(name_end, " gauge\n", 7) != 0))
				abort();
			family = line + 7;
			family_len = (size_t)(name_end - family);
			if (help == NULL || help_len != family_len ||
			    memcmp(help, family, family_len) != 0 ||
			    type_before(text, line, family, family_len))
				abort();
		} else if (line[0] == '#') {
			abort();
		} else {
			name_end = check_sample(line, end);
			if (family == NULL ||
			    (size_t)(name_end - line) != family_len ||
			    memcmp(line, family, family_len) != 0)
				abort();
		}
		help = NULL;
		line = end + 1;
	}
}

static void
check_metrics(const uint8_t *data, size_t size)
{
	json_t *stats = json_loadb((const char *)data, size,
				   JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char *text;

	if (stats == NULL)
		return;
	text = ctl_metrics_prometheus(stats);
	if (text == NULL)
		abort();
	if (!json_is_object(stats) && text[0] != '\0')
		abort();
	check_text(text);
	check_response(CTL_HTTP_METRICS, text);
	free(text);
	json_decref(stats);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_metrics(data, size);
	return 0;
}
