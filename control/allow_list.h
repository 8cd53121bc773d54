/* allow_list.h -- the export allow-list: domains and networks that no
 * block list may name (docs/exports.md). Parses operator input; pure C. */
#ifndef IOCSIFT_CONTROL_ALLOW_LIST_H
#define IOCSIFT_CONTROL_ALLOW_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "indicator.h"

/* Largest allow-list file, and most entries in it. */
#define CTL_ALLOW_FILE_MAX (16u << 20)
#define CTL_ALLOW_ENTRIES_MAX 100000

/* An address range, both ends included: family 4 (bytes 0..3, the rest
 * zero) or 6. */
struct ctl_addr_range {
	uint8_t family;
	uint8_t first[16];
	uint8_t last[16];
};

struct ctl_allow_list {
	char **domains;        /* sorted; each covers its subdomains */
	size_t n_domains;
	char **ancestors;      /* the parent domains of those, sorted */
	size_t n_ancestors;
	struct ctl_addr_range *ranges;   /* sorted, merged */
	size_t n_ranges;
};

/* The range of addr/prefix_len (addr as struct pat_indicator holds it). */
void ctl_addr_range_of(int family, const uint8_t *addr, unsigned int prefix_len,
		       struct ctl_addr_range *range);

/* Orders ranges by family, then first address. */
int ctl_addr_range_compare(const struct ctl_addr_range *a,
			   const struct ctl_addr_range *b);

/* Sorts ranges and merges overlapping and adjacent ones (same family) in
 * place: how many are left. */
size_t ctl_addr_ranges_merge(struct ctl_addr_range *ranges, size_t n);

/* One entry a line: a domain name (it and its subdomains; a leading
 * "*." or "." is the same), an IPv4 or IPv6 address, or a network
 * ADDRESS/LEN; '#' starts a comment, blank lines are skipped. All or
 * nothing: -EINVAL with err naming label:line, -E2BIG past
 * CTL_ALLOW_ENTRIES_MAX, -ENOMEM. text need not end in NUL. */
int ctl_allow_parse(struct ctl_allow_list *allow, const char *label,
		    const char *text, size_t len, struct error_detail *err);

/* Reads and parses path (at most CTL_ALLOW_FILE_MAX bytes, -EFBIG). */
int ctl_allow_load(struct ctl_allow_list *allow, const char *path,
		   struct error_detail *err);

void ctl_allow_free(struct ctl_allow_list *allow);

/* Whether ind must stay out of every block list: a domain that is an
 * allowed name, a subdomain of one, or a parent of one (blocking the
 * parent's subdomains would block it); an address or network that
 * overlaps an allowed one. Other types: false. */
bool ctl_allow_covers(const struct ctl_allow_list *allow,
		      const struct pat_indicator *ind);

#endif
