/* reload.h -- SIGHUP in `iocsift run`: the config read again, what can
 * change while running applied and the rest reported, and the feed files
 * whose content changed reloaded (docs/configuration.md, "SIGHUP"). */
#ifndef IOCSIFT_RELOAD_H
#define IOCSIFT_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "config.h"
#include "feed.h"

/* The config's feeds and those of -f. */
#define RELOAD_FEEDS_MAX (2 * CFG_FEEDS_MAX)

/* A feed file of the running config or of -f, and what was last loaded
 * from it. */
struct reload_print {
	char *path;                    /* owned */
	char *name;                    /* its feed's (owned) */
	enum pat_feed_format format;
	bool known;                    /* size and hash are those loaded */
	uint64_t size;
	uint64_t hash;
};

struct reload_options {
	const char *config_path;       /* NULL: no config, -f feeds only */
	/* Reads the config as at start (the command line over it) into
	 * cfg, which has been through cfg_defaults(): 0, or -errno with
	 * err naming FILE:LINE. */
	int (*config_read)(void *arg, struct iocsift_config *cfg,
			   struct error_detail *err);
	void *arg;
	/* The config in force: what SIGHUP applies is changed in it. */
	struct iocsift_config *running;
	const char *const *cli_feeds;
	unsigned int n_cli_feeds;
	enum pat_feed_format cli_format;
	struct ctl_context *ctx;
};

struct reload {
	struct reload_options opt;
	struct reload_print prints[RELOAD_FEEDS_MAX];
	unsigned int n_prints;
};

void reload_init(struct reload *rl, const struct reload_options *opt);
void reload_release(struct reload *rl);

/* The content's fingerprint: two CRC32-C of it (rte_hash_crc), with
 * different seeds, side by side. With the size, what tells a changed
 * file from an unchanged one. */
uint64_t reload_hash(const void *data, size_t len);

/* At start: ctl_db_load_files(), and for each file, the fingerprint of
 * exactly the bytes loaded. 0, or -errno with err (nothing loaded, the
 * files are tracked as not loaded). */
int reload_load_files(struct reload *rl, const char *const *paths,
		      const enum pat_feed_format *formats, size_t n,
		      bool allow_shrink, struct error_detail *err);

/* At start: a feed of the running config not loaded (a resumed state
 * stands for it): the first SIGHUP reloads it, and drops its feed when
 * its line is gone. -ENOMEM, -E2BIG. */
int reload_track(struct reload *rl, const char *path,
		 enum pat_feed_format format);

/* SIGHUP, on the control thread, while no job runs: reads the config
 * again. One that does not parse is logged (FILE:LINE) and changes
 * nothing: NULL. Otherwise shrink_percent and compact_threshold apply at
 * once, every other key that differs is logged as taking effect at the
 * next start, and the job returned (NULL when there is no memory for
 * it) reloads, off the control thread, the feed files whose content or
 * format changed, loads the feeds of new lines and drops the feeds of
 * removed ones, in one version (ctl_job_make). */
struct ctl_job *reload_begin(struct reload *rl);

#endif
