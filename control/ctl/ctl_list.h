/* ctl_list.h -- iocsiftctl's output of a listing that comes in pages:
 * a table with one header, or one JSON document written as it comes. */
#ifndef IOCSIFT_CTL_LIST_H
#define IOCSIFT_CTL_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct ctl_list_output {
	bool json;
	size_t pages;
	size_t shown;            /* rows printed so far */
	json_int_t total;        /* from the first page, -1 until then */
	json_int_t version;
	bool more;               /* the last page had a next */
};

void ctl_list_output_start(struct ctl_list_output *out, bool json);

/* Prints one page's rows. Returns an exit status. */
int ctl_list_output_page(struct ctl_list_output *out, const json_t *result);

/* Closes the output (the JSON document; "no indicators"; the note that
 * --limit shows more). complete: every page asked for was printed.
 * Returns an exit status. */
int ctl_list_output_end(struct ctl_list_output *out, bool complete);

#endif
