/* overrides.h -- the indicators an analyst deleted with `del`: no later
 * load of a feed brings them back, until `undel` lifts the override or
 * `add` adds the indicator again. A JSON object whose keys are
 * "TYPE:VALUE" (the value normalized) and whose values are the time of
 * the del. Saved with each snapshot (overrides-SEQ.json, next to
 * snapshot-SEQ.db); the journal's del, add and undel records after it
 * rebuild the rest. docs/state.md. */
#ifndef IOCSIFT_CONTROL_OVERRIDES_H
#define IOCSIFT_CONTROL_OVERRIDES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "common.h"
#include "indicator.h"

/* The override's key, malloc'd; NULL on ENOMEM. */
char *ctl_override_key(enum pat_type type, const char *value);

/* Takes out of feed the indicators whose key is in keys (an object of
 * overrides, or an array of keys), appending each one taken to taken (an
 * array, may be NULL). Returns how many went. */
size_t ctl_overrides_apply(const json_t *keys, struct pat_feed *feed,
			   json_t *taken);

/* The overrides as rows {type, value, deleted}, in key order, at most
 * limit: {total, truncated, overrides: [...]}. */
json_t *ctl_overrides_list(const json_t *overrides, size_t limit);

/* Writes overrides to path (a temporary file synced, then renamed). 0 or
 * -errno with err. */
int ctl_overrides_save(const json_t *overrides, const char *path,
		       struct error_detail *err);

/* Reads path: a new object (empty when the file does not exist), or NULL
 * with err (unreadable, not an object of integers). */
json_t *ctl_overrides_load(const char *path, struct error_detail *err);

#endif
