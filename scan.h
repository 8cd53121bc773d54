/* scan.h -- `iocsift scan`: match log files line by line (retro-hunt). */
#ifndef IOCSIFT_SCAN_H
#define IOCSIFT_SCAN_H

#include <stdint.h>
#include <stdio.h>

#include "pattern_set.h"

struct scan_totals {
	uint64_t files;
	uint64_t lines;
	uint64_t hits;
	uint64_t hit_lines;
	uint64_t errors;
};

/* Matches every line of path ("-" = standard input) against set with its
 * scratch 0 and writes one event per (line, indicator) to out. 0 or
 * -errno (the file could not be read; reported on stderr). */
int scan_file(const struct pat_set *set, const char *path, FILE *out,
	      struct scan_totals *totals);

#endif
