/* scan.c -- `iocsift scan`: the matching of the dataplane over the lines
 * of log files, with the same events plus file and line number. Regular
 * files and pipes alike are read in blocks of a megabyte and split in
 * place. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "hit.h"
#include "scan.h"

#define SCAN_READ_SIZE (1 << 20)

static uint64_t
now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* The event carries at most DP_HIT_PAYLOAD_MAX bytes of the line and the
 * truncation flag, as a worker's hit record does for replay and run: the
 * line was matched whole, only its copy in the event is cut. */
static void
write_event(const struct pat_set *set, const struct exp_message *msg,
	    uint32_t id, FILE *out, struct scan_totals *totals)
{
	const struct pat_indicator *ind = pat_set_indicator(set, id);
	struct exp_message cut = *msg;

	cut.truncated = msg->payload_len > DP_HIT_PAYLOAD_MAX;
	if (cut.truncated)
		cut.payload_len = DP_HIT_PAYLOAD_MAX;
	if (exp_event_write(out, &cut, ind, pat_set_version(set)) != 0)
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

/* What one file's lines share while they are read. */
struct scan_file_state {
	const struct pat_set *set;
	const struct scan_options *options;
	FILE *out;
	struct scan_totals *totals;
	struct exp_message msg;
	uint64_t hit_lines;
};

/* One line of the file, its line ending (LF, and CRs before it) dropped:
 * line endings are framing, not part of the message. */
static void
scan_one(struct scan_file_state *st, const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	st->msg.line++;
	st->msg.payload = (const uint8_t *)line;
	st->msg.payload_len = len;
	st->hit_lines += scan_line(st->set, &st->msg, st->options, st->out,
				   st->totals);
}

/* The complete lines of [data, data + len); returns the bytes used (the
 * rest is a line without its end yet), or len when last is set. */
static size_t
scan_lines(struct scan_file_state *st, const char *data, size_t len, bool last)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		if (nl == NULL) {
			if (!last)
				break;
			scan_one(st, data + pos, len - pos);
			return len;
		}
		size_t end = (size_t)(nl - data);
		scan_one(st, data + pos, end - pos);
		pos = end + 1;
	}
	return pos;
}

/* Large reads, the partial last line moved to the front of the buffer; a
 * line longer than the buffer grows it. (A mapping is no faster here and
 * would count the whole file in the resident set.) */
static int
scan_read(struct scan_file_state *st, int fd)
{
	size_t cap = SCAN_READ_SIZE, have = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (have == cap) {
			char *grown = realloc(buf, cap * 2);
			if (grown == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;
			free(buf);
			return rc;
		}
		have += (size_t)n;
		size_t used = scan_lines(st, buf, have, n == 0);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (n == 0)
			break;
	}
	free(buf);
	return 0;
}

int
scan_file(const struct pat_set *set, const char *path,
	  const struct scan_options *options, FILE *out,
	  struct scan_totals *totals)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "iocsift: %s: %s\n", path, strerror(errno));
		return rc;
	}
	struct stat info;
	if (!is_stdin && fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
		fprintf(stderr, "iocsift: %s: is a directory; scan reads files "
			"(give %s/*)\n", path, path);
		close(fd);
		return -EISDIR;
	}
	struct scan_file_state st = {
		.set = set, .options = options, .out = out, .totals = totals,
		.msg = {
			.protocol = EXP_PROTOCOL_LOG_LINE,
			.time_ns = now_ns(), /* expiry is judged at the scan's time */
			.file = path,
		},
	};
	totals->files++;
	rc = scan_read(&st, fd);
	if (options->output == SCAN_OUTPUT_COUNT) {
		if (options->with_filename)
			fprintf(out, "%s:", path);
		fprintf(out, "%" PRIu64 "\n", st.hit_lines);
	} else if (options->output == SCAN_OUTPUT_FILES && st.hit_lines > 0) {
		fprintf(out, "%s\n", path);
	}
	if (rc != 0)
		fprintf(stderr, "iocsift: %s: read error: %s\n", path,
			strerror(-rc));
	totals->lines += st.msg.line;
	if (!is_stdin)
		close(fd);
	return rc;
}
