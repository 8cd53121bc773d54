/* ctl_display.h -- iocsiftctl's human output of a reply's result. */
#ifndef IOCSIFT_CTL_DISPLAY_H
#define IOCSIFT_CTL_DISPLAY_H

#include <stdbool.h>

#include <jansson.h>

#include "ctl.h"

/* Text from the daemon made safe for a terminal: C0 and C1 controls and
 * DEL as \xNN (\u00NN for C1). malloc'd, NULL on ENOMEM. */
char *ctl_term_safe(const char *s);

/* Prints result as text for the command; returns the exit status
 * (test: EXIT_NO_HIT when nothing hit). */
int ctl_render(enum ctl_command cmd, const json_t *result,
	       const char *const *args, const struct options *o);

/* The rows of one page of a listing as a table; its header when header.
 * The widths are the page's own. */
void ctl_render_list_rows(const json_t *result, bool header);

#endif
