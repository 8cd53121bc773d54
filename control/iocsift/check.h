/* check.h -- `iocsift run --check`: the config and everything it names
 * (ports, feeds, directories, sinks), checked without EAL, without the
 * dataplane and without writing anything. */
#ifndef IOCSIFT_CHECK_H
#define IOCSIFT_CHECK_H

#include <stdio.h>

#include "config.h"
#include "feed.h"

/* How long a connection to a TCP or TLS sink may take before --check
 * warns that the receiver does not answer, per address. */
#define CHECK_CONNECT_TIMEOUT_MS 3000

struct check_input {
	const char *config_path;            /* -c, or NULL: the defaults */
	/* The config with the command line over it; NULL when it did not
	 * load, config_error then says why. */
	const struct iocsift_config *cfg;
	const struct error_detail *config_error;
	const char *const *feeds;           /* the config's, then -f's */
	const enum pat_feed_format *formats;
	unsigned int n_feeds;
	const char *const *sinks;           /* the URIs the daemon would open */
	unsigned int n_sinks;
};

/* Checks each thing and prints one line for it to out: "ok", "warning"
 * or "error", what was checked, and what was found; then a summary.
 * Returns the number of errors (warnings do not count: a SIEM that does
 * not answer now is what the spool is for). docs/configuration.md,
 * "Checking a configuration". */
unsigned int check_run(const struct check_input *in, FILE *out);

#endif
