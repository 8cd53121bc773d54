/* ctl_request.h -- iocsiftctl's request from the command line. */
#ifndef IOCSIFT_CTL_REQUEST_H
#define IOCSIFT_CTL_REQUEST_H

#include <stddef.h>

#include <jansson.h>

#include "ctl.h"

/* Builds the request: "cmd" first (ctl_request_limit() relies on it).
 * Returns an exit status; *out on success. */
int ctl_build_request(const struct command *c, const char *const *args,
		      const struct options *o, json_t **out);

#endif
