/* keys.h -- the token keys of the history (patterns/token_keys.h): those
 * of a record, for its block's filter, and those a hunt's indicators
 * need, for choosing the blocks it opens. No DPDK. */
#ifndef IOCSIFT_HISTORY_KEYS_H
#define IOCSIFT_HISTORY_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern_set.h"
#include "hist_record.h"

/* Calls fn(ctx, key) for every key of rec: a syslog message's text, a
 * DNS message's names and addresses (or its text when it does not
 * parse). 0, or -errno: the block must then get no filter. */
int hist_record_keys(const struct hist_record *rec,
		     void (*fn)(void *ctx, uint64_t key), void *ctx);

/* The keys of set's live indicators (malloc'd, *n of them), and whether
 * one needs every block opened (*scan_all). 0 or -ENOMEM. */
int hist_hunt_keys(const struct pat_set *set, uint64_t **keys, size_t *n,
		   bool *scan_all);

#endif
