/* hunt.h -- `iocsift hunt`: the retro-hunt over a history directory (a
 * copy of an appliance's, or its own when stopped), offline: one event
 * per (message, indicator), marked retrospective (docs/events.md), and a
 * summary (docs/history.md). */
#ifndef IOCSIFT_HUNT_H
#define IOCSIFT_HUNT_H

#include <stdint.h>
#include <stdio.h>

#include "hist_hunt.h"
#include "pattern_set.h"

/* Hunts dir for set's indicators in records at or after since_ns (0:
 * all), writing events to out. 0, or -errno (dir unreadable, or out
 * failed), reported on stderr. */
int hunt_directory(const struct pat_set *set, const char *dir,
		   uint64_t since_ns, FILE *out, struct hist_hunt_stats *stats);

/* The summary line (blocks opened and skipped, bytes, hits, time). */
void hunt_summary_print(FILE *f, const char *prog,
			const struct hist_hunt_stats *stats, double seconds);

#endif
