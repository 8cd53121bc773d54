/* ctl_list.c -- a listing printed page by page: iocsiftctl never holds
 * more than one page, whatever the number of indicators. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_display.h"
#include "ctl_list.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

void
ctl_list_output_start(struct ctl_list_output *out, bool json)
{
	*out = (struct ctl_list_output){ .json = json, .total = -1 };
}

static int
json_rows(struct ctl_list_output *out, const json_t *items)
{
	const json_t *e;
	size_t i;

	json_array_foreach(items, i, e) {
		if (out->shown + i > 0)
			putchar(',');
		if (json_dumpf(e, stdout, JSON_FLAGS) != 0)
			return -1;
	}
	return 0;
}

int
ctl_list_output_page(struct ctl_list_output *out, const json_t *result)
{
	const json_t *items = json_object_get(result, "indicators");

	if (!json_is_array(items)) {
		ctl_fail("broken reply from the daemon: no indicators");
		return EXIT_UNREACHABLE;
	}
	if (out->pages++ == 0) {
		out->version = json_integer_value(json_object_get(result,
								  "db_version"));
		out->total = json_integer_value(json_object_get(result,
								"total"));
		if (out->json)
			printf("{\"db_version\":%" JSON_INTEGER_FORMAT
			       ",\"total\":%" JSON_INTEGER_FORMAT
			       ",\"indicators\":[", out->version, out->total);
	}
	if (out->json) {
		if (json_rows(out, items) != 0) {
			ctl_fail("writing the result: %s", strerror(errno));
			return EXIT_USAGE;
		}
	} else if (json_array_size(items) > 0) {
		ctl_render_list_rows(result, out->shown == 0);
	}
	out->shown += json_array_size(items);
	out->more = json_is_integer(json_object_get(result, "next"));
	return ferror(stdout) ? EXIT_USAGE : EXIT_OK;
}

int
ctl_list_output_end(struct ctl_list_output *out, bool complete)
{
	if (out->json && out->pages > 0) {
		/* A listing cut short by an error is no valid document. */
		if (complete)
			printf("],\"truncated\":%s}\n",
			       out->more ? "true" : "false");
		else
			putchar('\n');
	} else if (!out->json && complete && out->shown == 0) {
		puts("no indicators");
	}
	if (complete && out->more && !out->json)
		fprintf(stderr, "%s: showing %zu of %" JSON_INTEGER_FORMAT
			" indicators; --limit N or --limit all shows more\n",
			ctl_prog, out->shown, out->total);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_fail("writing the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
