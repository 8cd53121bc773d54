/* store.h -- saves a pattern set to a file and loads it back without
 * recompiling (Hyperscan's serialization plus the exact tables). */
#ifndef IOCSIFT_PATTERNS_STORE_H
#define IOCSIFT_PATTERNS_STORE_H

#include "pattern_set.h"

/* Bumped whenever the file layout changes; a file of another version is
 * refused (rebuild it from the feeds). */
#define PAT_STORE_FORMAT_VERSION 1

/* Writes set to path atomically (a temporary file renamed over it, after
 * fsync). 0 or -errno with err filled. */
int pat_set_save(const struct pat_set *set, const char *path,
		 struct pat_error *err);

/* Loads a saved set with n_scratch scratches. Refuses, with err naming
 * why, a file that is not a pattern set, of another format version or
 * Hyperscan version, whose checksum fails, or whose contents are
 * inconsistent. NULL with errno. */
struct pat_set *pat_set_load(const char *path, unsigned int n_scratch,
			     struct pat_error *err);

#endif
