/* block_lists.h -- writes the block lists of one pattern set: nftables
 * sets, a Squid dstdomain ACL, a DNS RPZ zone, a hosts file, Suricata
 * datasets and CSV, each file to a temporary file in the same directory,
 * synced, then renamed over the last one (docs/exports.md). Pure C: no
 * DPDK, no threads; block_export.c runs it off the control thread. */
#ifndef IOCSIFT_CONTROL_BLOCK_LISTS_H
#define IOCSIFT_CONTROL_BLOCK_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "allow_list.h"
#include "config.h"
#include "pattern_set.h"

/* Longest name in the RPZ zone: "*." and a zone name of up to 51 bytes
 * must still fit in 255. */
#define CTL_BLOCK_RPZ_NAME_MAX 200
/* The nftables table and sets. */
#define CTL_BLOCK_NFT_TABLE "inet iocsift"
#define CTL_BLOCK_NFT_SET_IPV4 "block_ipv4"
#define CTL_BLOCK_NFT_SET_IPV6 "block_ipv6"

/* The files; a format writes one or more (ctl_block_file_format). */
enum ctl_block_file {
	CTL_BLOCK_FILE_NFTABLES,
	CTL_BLOCK_FILE_SQUID,
	CTL_BLOCK_FILE_RPZ,
	CTL_BLOCK_FILE_HOSTS,
	CTL_BLOCK_FILE_SURICATA_DOMAINS,
	CTL_BLOCK_FILE_SURICATA_MD5,
	CTL_BLOCK_FILE_SURICATA_SHA256,
	CTL_BLOCK_FILE_SURICATA_IPV4,
	CTL_BLOCK_FILE_SURICATA_IPV6,
	CTL_BLOCK_FILE_CSV,
	CTL_BLOCK_FILES,
};

/* The file's name in the export directory, and its format. */
const char *ctl_block_file_name(enum ctl_block_file file);
enum cfg_export_format ctl_block_file_format(enum ctl_block_file file);

/* The indicators one format exports, picked from a set. */
struct ctl_block_selection {
	const struct pat_indicator **items;
	size_t n;
	size_t capacity;
	size_t allowed;        /* left out by the allow-list */
	bool domains_sorted;   /* picked in a ctl_block_order: no sort again */
};

/* The live ids of a set in the order the files want them: the domains
 * sorted as the domain formats list them, then the rest by id. Built
 * once per version, so that the formats do not each sort. */
struct ctl_block_order {
	uint32_t *ids;
	size_t n;
};

/* 0 or -ENOMEM. */
int ctl_block_order_build(const struct pat_set *set,
			  struct ctl_block_order *order);
void ctl_block_order_free(struct ctl_block_order *order);

/* Whether ind goes into format f: not expired at now, of a type the
 * filter (or, without one, the format) takes, from a feed it names, at
 * least its min_severity (an indicator without severity fails any
 * minimum). The allow-list is apart (ctl_allow_covers). */
bool ctl_block_wanted(const struct pat_indicator *ind,
		      enum cfg_export_format f,
		      const struct cfg_export_filter *filter, int64_t now);

/* Appends ind to sel: 0 or -ENOMEM. */
int ctl_block_selection_add(struct ctl_block_selection *sel,
			    const struct pat_indicator *ind);

/* The live indicators of set that format f exports (ctl_block_wanted and
 * not covered by allow, which may be NULL) into sel (emptied first), in
 * order (NULL: by id): 0 or -ENOMEM. */
int ctl_block_select(const struct pat_set *set,
		     const struct ctl_block_order *order,
		     enum cfg_export_format f,
		     const struct cfg_export_filter *filter,
		     const struct ctl_allow_list *allow, int64_t now,
		     struct ctl_block_selection *sel);

void ctl_block_selection_free(struct ctl_block_selection *sel);

/* What one file got: entries written, and selected indicators left out
 * (a domain already covered by a parent in the same file, a value the
 * format cannot hold). */
struct ctl_block_file_counts {
	size_t entries;
	size_t skipped;
};

/* Writes file (of the selection's format) to out: 0, -ENOMEM, or -EIO
 * when out failed. version is the database's (RPZ serial, headers). */
int ctl_block_file_write(enum ctl_block_file file, FILE *out,
			 const struct ctl_block_selection *sel, uint64_t version,
			 struct ctl_block_file_counts *counts);

/* Writes every file of format f into dir, each atomically: 0, or -errno
 * with err naming the file (the files written before stay, the failing
 * one and the rest keep their previous content). */
int ctl_block_write_format(const char *dir, enum cfg_export_format f,
			   const struct ctl_block_selection *sel, uint64_t version,
			   struct ctl_block_file_counts counts[CTL_BLOCK_FILES],
			   struct error_detail *err);

#endif
