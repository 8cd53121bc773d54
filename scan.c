/* scan.c -- `iocsift scan`: the matching of the dataplane over the lines
 * of log files, with the same events plus file and line number. */
#include <errno.h>
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
scan_line(const struct pat_set *set, const char *path, uint64_t number,
	  const char *line, size_t len, FILE *out, struct scan_totals *totals)
{
	struct pat_hits hits;

	pat_hits_reset(&hits, (int64_t)(now_ns() / 1000000000ULL));
	if (pat_match_text(set, pat_set_scratch(set, 0), (const uint8_t *)line,
			   len, &hits) != 0) {
		totals->errors++;
		return;
	}
	if (hits.count == 0)
		return;

	struct exp_message msg = {
		.protocol = EXP_PROTOCOL_LOG_LINE,
		.time_ns = now_ns(),
		.file = path,
		.line = number,
		.payload = (const uint8_t *)line,
		.payload_len = len,
	};
	totals->hit_lines++;
	for (uint16_t i = 0; i < hits.count; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(set, hits.ids[i]);
		if (exp_event_write(out, &msg, ind, pat_set_version(set)) == 0)
			totals->hits++;
		else
			totals->errors++;
	}
}

int
scan_file(const struct pat_set *set, const char *path, FILE *out,
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
	totals->files++;
	while ((n = getline(&line, &capacity, in)) >= 0) {
		size_t len = (size_t)n;
		/* Line endings are framing, not part of the message. */
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		scan_line(set, path, ++number, line, len, out, totals);
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
