/* store.h -- saves a pattern set to a file and loads it back without
 * recompiling (Hyperscan's serialization plus the exact tables). */
#ifndef IOCSIFT_PATTERNS_STORE_H
#define IOCSIFT_PATTERNS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pattern_set.h"

/* Bumped whenever the file layout changes; a file of another version is
 * refused (rebuild it from the feeds). */
#define PAT_STORE_FORMAT_VERSION 2
#define PAT_STORE_HS_VERSION_MAX 64
#define PAT_STORE_MAGIC "IOCSIFT"

/* The file starts with this header; the payload follows. */
struct pat_store_header {
	char magic[8];
	uint32_t format_version;
	uint32_t header_size;
	char hs_version[PAT_STORE_HS_VERSION_MAX];
	uint64_t set_version;
	uint64_t payload_len;
	uint64_t checksum;
	uint32_t layers;
	uint32_t byte_order;     /* 0x01020304 as written */
};

/* The payload checksum of the header. */
uint64_t pat_store_checksum(const void *bytes, size_t len);

/* Writes set to path atomically (a temporary file renamed over it, after
 * fsync). 0 or -errno with err filled. */
int pat_set_save(const struct pat_set *set, const char *path,
		 struct error_detail *err);

/* Loads a saved set with n_scratch scratches. Refuses, with err naming
 * why, a file that is not a pattern set, of another format version or
 * Hyperscan version, whose checksum fails, or whose contents are
 * inconsistent. NULL with errno. */
struct pat_set *pat_set_load(const char *path, unsigned int n_scratch,
			     struct error_detail *err);

#endif
