/* format.h -- one hit event as an ECS, RFC 5424, CEF or LEEF record. */
#ifndef IOCSIFT_EXPORT_FORMAT_H
#define IOCSIFT_EXPORT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "indicator.h"
#include "text.h"

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
_Static_assert(EXP_FORMAT_LEEF + 1 == EXP_FORMAT_COUNT,
	       "EXP_FORMAT_COUNT counts the formats");

/* Syslog facility of every message sent: local0. */
#define EXP_SYSLOG_FACILITY 16
/* The RFC 5424 SD-ID. 32473 is the example Private Enterprise Number of
 * RFC 5612: a placeholder until the project has its own. */
#define EXP_SD_ID "iocsift@32473"

/* "ecs", "rfc5424", "cef", "leef" (any case). 0 or -EINVAL. */
int exp_format_from_name(const char *name, enum exp_format *format);

/* The name above; "unknown" for a value out of the enum. */
const char *exp_format_name(enum exp_format format);

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

/* The severity of ind on each scale: syslog (2 crit .. 5 notice), CEF and
 * LEEF (0..10 and 1..10: 10, 8, 5, 3). Unset counts as medium. */
unsigned int exp_syslog_severity(uint8_t severity);
unsigned int exp_cef_severity(uint8_t severity);

#endif
