/* metrics.h -- the stats object as Prometheus text, and the tiny HTTP
 * request check and response framing of the /metrics endpoint. */
#ifndef IOCSIFT_CONTROL_METRICS_H
#define IOCSIFT_CONTROL_METRICS_H

#include <stddef.h>

#include <jansson.h>

/* A request's header block (request line, headers, empty line) must fit
 * in this many bytes. */
#define CTL_HTTP_MAX_HEADER 8192

/* Renders stats as Prometheus text format 0.0.4 into a malloc'd
 * NUL-terminated buffer; NULL on ENOMEM. Members that are missing or of
 * the wrong type are skipped; a non-object gives "". Every worker member
 * holding a JSON integer that is not one of the known ones becomes the
 * counter iocsift_worker_<member>_total. docs/statistics.md lists the
 * families. */
char *ctl_metrics_prometheus(const json_t *stats);

enum ctl_http_verdict {
	CTL_HTTP_INCOMPLETE,            /* read more */
	CTL_HTTP_METRICS,               /* 200 with the metrics */
	CTL_HTTP_NOT_FOUND,             /* 404 */
	CTL_HTTP_BAD_REQUEST,           /* 400 */
	CTL_HTTP_METHOD_NOT_ALLOWED,    /* 405, Allow: GET */
};

/* Looks at the bytes received so far on a connection (untrusted, not
 * NUL-terminated). INCOMPLETE until a line that is empty or only "\r"
 * ends the header block (so "\r\n\r\n" and "\n\n" both end it);
 * BAD_REQUEST when the request line is not "METHOD SP /target SP
 * HTTP/1.x", or when CTL_HTTP_MAX_HEADER bytes hold no end. Only GET is
 * allowed (HEAD too is METHOD_NOT_ALLOWED); METRICS for the path
 * "/metrics" with or without a query string, NOT_FOUND for any other. */
enum ctl_http_verdict ctl_http_request_check(const char *buf, size_t len);

/* The full HTTP/1.1 response for a final verdict: status line,
 * Content-Type (text/plain; version=0.0.4; charset=utf-8 for METRICS),
 * Content-Length, Connection: close, then body. body may be NULL: an
 * empty body for METRICS, the reason phrase for an error. Malloc'd and
 * NUL-terminated, *len is its length without the NUL; NULL with errno
 * EINVAL for CTL_HTTP_INCOMPLETE or an unknown verdict, ENOMEM. */
char *ctl_http_response(enum ctl_http_verdict verdict, const char *body,
			size_t *len);

#endif
