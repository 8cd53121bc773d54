/* normalize_meta.c -- the metadata values of feeds (normalize.h):
 *
 * time       (pat_parse_time) RFC 3339 / ISO 8601 in UTC unless an offset
 *            says otherwise, or UNIX seconds; converted with our own
 *            days-from-civil, as mktime() depends on TZ and timegm() is
 *            not C11. 1970-01-01 to 9999-12-31.
 * severity   (pat_parse_severity) low, medium, high, critical or 1..4.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "normalize.h"
#include "normalize_internal.h"

/* 9999-12-31T23:59:59Z, the last second a four-digit year can name. */
#define TIME_SECONDS_MAX INT64_C(253402300799)
#define TIME_SYNTAX \
	"expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.frac][Z|+hh:mm] or UNIX seconds"

/* The broken-down time of an RFC 3339 / ISO 8601 text. */
struct civil_time {
	unsigned int year, month, day, hour, minute, second;
	int offset;   /* seconds east of UTC */
};

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Howard Hinnant's
 * days_from_civil): exact for any year, no TZ, no locale. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                                  /* 0..399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* 0..146096 */
	return era * 146097 + doe - 719468;
}

static unsigned int
days_in_month(unsigned int year, unsigned int month)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* n digits at s[*pos] into *v, *pos past them; false if there are not n. */
static bool
take_digits(const char *s, size_t len, size_t *pos, size_t n, unsigned int *v)
{
	if (len - *pos < n)
		return false;
	*v = 0;
	for (size_t i = *pos; i < *pos + n; i++) {
		if (!is_digit(s[i]))
			return false;
		*v = *v * 10 + (unsigned int)(s[i] - '0');
	}
	*pos += n;
	return true;
}

static bool
take_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos == len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

/* "YYYY-MM-DD" (width 4, '-') or "hh:mm:ss" (width 2, ':') at s[*pos]. */
static bool
take_triple(const char *s, size_t len, size_t *pos, size_t width, char sep,
	    unsigned int *a, unsigned int *b, unsigned int *c)
{
	return take_digits(s, len, pos, width, a) &&
	       take_char(s, len, pos, sep) &&
	       take_digits(s, len, pos, 2, b) &&
	       take_char(s, len, pos, sep) &&
	       take_digits(s, len, pos, 2, c);
}

/* [+-]hh:mm or [+-]hhmm at s[*pos], to the end. */
static const char *
time_offset(const char *s, size_t len, size_t pos, int *offset)
{
	int sign = s[pos++] == '-' ? -1 : 1;
	unsigned int h, m;

	if (!take_digits(s, len, &pos, 2, &h))
		return TIME_SYNTAX;
	take_char(s, len, &pos, ':');
	if (!take_digits(s, len, &pos, 2, &m) || pos != len)
		return TIME_SYNTAX;
	if (h > 23 || m > 59)
		return "offset out of range";
	*offset = sign * (int)(h * 3600 + m * 60);
	return NULL;
}

/* The fields of s, checked for syntax only; NULL or why not. */
static const char *
time_fields(const char *s, size_t len, struct civil_time *t)
{
	size_t pos = 0;

	memset(t, 0, sizeof(*t));
	if (!take_triple(s, len, &pos, 4, '-', &t->year, &t->month, &t->day))
		return TIME_SYNTAX;
	if (pos == len)
		return NULL;
	if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
		return TIME_SYNTAX;
	pos++;
	if (!take_triple(s, len, &pos, 2, ':', &t->hour, &t->minute, &t->second))
		return TIME_SYNTAX;
	if (take_char(s, len, &pos, '.') || take_char(s, len, &pos, ',')) {
		/* Fractions of a second: indicators live for days. */
		if (pos == len || !is_digit(s[pos]))
			return TIME_SYNTAX;
		while (pos < len && is_digit(s[pos]))
			pos++;
	}
	if (pos == len)
		return NULL;
	if (s[pos] == 'Z' || s[pos] == 'z')
		return pos + 1 == len ? NULL : TIME_SYNTAX;
	if (s[pos] == '+' || s[pos] == '-')
		return time_offset(s, len, pos, &t->offset);
	return TIME_SYNTAX;
}

/* NULL when the fields name a real time, else why not. A leap second
 * (:60) is allowed, as in RFC 3339, and counts as the next second. */
static const char *
time_range(const struct civil_time *t)
{
	if (t->month < 1 || t->month > 12)
		return "month out of range";
	if (t->day < 1 || t->day > days_in_month(t->year, t->month))
		return "day out of range";
	if (t->hour > 23)
		return "hour out of range";
	if (t->minute > 59)
		return "minute out of range";
	if (t->second > 60)
		return "second out of range";
	return NULL;
}

static const char *
time_unix(const char *s, size_t len, int64_t *seconds)
{
	int64_t v = 0;

	for (size_t i = 0; i < len; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > TIME_SECONDS_MAX)
			return "after 9999-12-31T23:59:59Z";
	}
	*seconds = v;
	return NULL;
}

int
pat_parse_time(const char *text, size_t len, int64_t *seconds,
	       struct error_detail *err)
{
	struct civil_time t;
	const char *why;
	int64_t v;
	size_t i;

	pat_trim(&text, &len);
	if (len == 0) {
		error_detail_set(err, "", 0, "empty time");
		return -EINVAL;
	}
	for (i = 0; i < len && is_digit(text[i]); i++)
		;
	if (i == len) {
		why = time_unix(text, len, &v);
	} else {
		why = time_fields(text, len, &t);
		if (why == NULL)
			why = time_range(&t);
		if (why == NULL) {
			v = days_from_civil(t.year, t.month, t.day) * 86400 +
			    t.hour * 3600 + t.minute * 60 + t.second - t.offset;
			if (v < 0)
				why = "before 1970-01-01T00:00:00Z";
			else if (v > TIME_SECONDS_MAX)
				why = "after 9999-12-31T23:59:59Z";
		}
	}
	if (why != NULL) {
		error_detail_set(err, "", 0, "invalid time '%.*s': %s",
				 len > QUOTE_MAX ? QUOTE_MAX : (int)len, text,
				 why);
		return -EINVAL;
	}
	*seconds = v;
	return 0;
}

static const char *const severity_names[] = {
	[PAT_SEVERITY_LOW] = "low",
	[PAT_SEVERITY_MEDIUM] = "medium",
	[PAT_SEVERITY_HIGH] = "high",
	[PAT_SEVERITY_CRITICAL] = "critical",
};

int
pat_parse_severity(const char *text, size_t len, uint8_t *severity,
		   struct error_detail *err)
{
	pat_trim(&text, &len);
	for (unsigned int i = PAT_SEVERITY_LOW; i <= PAT_SEVERITY_CRITICAL; i++) {
		if (equals_ci(text, len, severity_names[i]) ||
		    (len == 1 && text[0] == (char)('0' + i))) {
			*severity = (uint8_t)i;
			return 0;
		}
	}
	error_detail_set(err, "", 0, "invalid severity '%.*s': expected low, "
			 "medium, high, critical or 1-4",
			 len > QUOTE_MAX ? QUOTE_MAX : (int)len, text);
	return -EINVAL;
}
