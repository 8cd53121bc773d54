/* scan.c -- `iocsift scan`: the matching of the dataplane over the lines
 * of log files, with the same events plus file and line number. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "scan.h"

static uint64_t
now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

static void
write_event(const struct pat_set *set, const struct exp_message *msg,
	    uint32_t id, FILE *out, struct scan_totals *totals)
{
	const struct pat_indicator *ind = pat_set_indicator(set, id);

	if (exp_event_write(out, msg, ind, pat_set_version(set)) != 0)
		totals->errors++;
}

static void
write_match(const struct pat_set *set, const struct exp_message *msg,
	    const struct scan_options *options, uint32_t id, FILE *out)
{
	const struct pat_indicator *ind = pat_set_indicator(set, id);

	if (options->with_filename)
		fprintf(out, "%s:", msg->file);
	fprintf(out, "%" PRIu64 ":%s:%s\n", msg->line,
		pat_type_name(ind->type), ind->value);
}

/* Returns whether the line hit anything. */
static bool
scan_line(const struct pat_set *set, const struct exp_message *msg,
	  const struct scan_options *options, FILE *out,
	  struct scan_totals *totals)
{
	struct pat_hits hits;

	pat_hits_reset(&hits, (int64_t)(msg->time_ns / 1000000000ULL));
	if (pat_match_text(set, pat_set_scratch(set, 0), msg->payload,
			   msg->payload_len, &hits) != 0) {
		totals->errors++;
		return false;
	}
	if (hits.count == 0)
		return false;
	totals->hit_lines++;
	totals->hits += hits.count;
	for (uint16_t i = 0; i < hits.count; i++) {
		if (options->output == SCAN_OUTPUT_EVENTS)
			write_event(set, msg, hits.ids[i], out, totals);
		else if (options->output == SCAN_OUTPUT_ONLY_MATCHING)
			write_match(set, msg, options, hits.ids[i], out);
	}
	return true;
}

int
scan_file(const struct pat_set *set, const char *path,
	  const struct scan_options *options, FILE *out,
	  struct scan_totals *totals)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t capacity = 0;
	ssize_t n;
	uint64_t number = 0;
	int rc = 0;

	if (in == NULL) {
		rc = -errno;
		fprintf(stderr, "iocsift: %s: %s\n", path, strerror(errno));
		return rc;
	}
	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_LOG_LINE,
		.time_ns = now_ns(),   /* expiry is judged at the scan's time */
		.file = path,
	};
	uint64_t hit_lines = 0;
	totals->files++;
	while ((n = getline(&line, &capacity, in)) >= 0) {
		size_t len = (size_t)n;
		/* Line endings are framing, not part of the message. */
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		msg.line = ++number;
		msg.payload = (const uint8_t *)line;
		msg.payload_len = len;
		hit_lines += scan_line(set, &msg, options, out, totals);
	}
	if (options->output == SCAN_OUTPUT_COUNT) {
		if (options->with_filename)
			fprintf(out, "%s:", path);
		fprintf(out, "%" PRIu64 "\n", hit_lines);
	} else if (options->output == SCAN_OUTPUT_FILES && hit_lines > 0) {
		fprintf(out, "%s\n", path);
	}
	if (ferror(in)) {
		rc = -EIO;
		fprintf(stderr, "iocsift: %s: read error\n", path);
	}
	totals->lines += number;
	free(line);
	if (in != stdin)
		fclose(in);
	return rc;
}
