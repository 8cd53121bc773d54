/* scan.h -- `iocsift scan`: match log files line by line (retro-hunt). */
#ifndef IOCSIFT_SCAN_H
#define IOCSIFT_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pattern_set.h"

/* What scan writes: events (default), or grep-like summaries. */
enum scan_output {
	SCAN_OUTPUT_EVENTS,
	SCAN_OUTPUT_COUNT,          /* -c: lines with a hit, per file */
	SCAN_OUTPUT_ONLY_MATCHING,  /* [FILE:]LINE:TYPE:INDICATOR per hit */
	SCAN_OUTPUT_FILES,          /* -l: names of files with a hit */
};

struct scan_options {
	enum scan_output output;
	bool with_filename;         /* prefix FILE: (several files, as grep) */
};

struct scan_totals {
	uint64_t files;
	uint64_t lines;
	uint64_t hits;
	uint64_t hit_lines;
	uint64_t errors;
};

/* Matches every line of path ("-" = standard input) against set with its
 * scratch 0 and writes what options ask for to out: by default one event
 * per (line, indicator). 0 or -errno (the file could not be read;
 * reported on stderr). */
int scan_file(const struct pat_set *set, const char *path,
	      const struct scan_options *options, FILE *out,
	      struct scan_totals *totals);

#endif
