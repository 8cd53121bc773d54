/* telemetry.h -- the stats object as DPDK telemetry commands under
 * /iocsift/, for dpdk-telemetry.py and any client of the v2 socket. */
#ifndef IOCSIFT_CONTROL_TELEMETRY_H
#define IOCSIFT_CONTROL_TELEMETRY_H

#include <jansson.h>

/* Returns a new reference to the current stats object, or NULL. Called
 * from DPDK's telemetry threads (one per client connection), one call at
 * a time. */
typedef json_t *(*ctl_stats_fn)(void *ctx);

/* Registers /iocsift/stats (db, exporter, port and worker totals as a
 * dict), /iocsift/ports and /iocsift/workers (a dict of dicts keyed by
 * port or worker number; with a number parameter, that one dict) and
 * /iocsift/indicators (the indicators hit most, a dict of dicts keyed by
 * rank). 0 or -errno. Call it after rte_eal_init. fn and ctx live in
 * static variables: one daemon per process; a later call replaces them.
 * With fn NULL the commands answer null, and once that call returns no
 * call of the previous fn is running: do it before freeing what ctx
 * points at. docs/statistics.md shows the replies. */
int ctl_telemetry_register(ctl_stats_fn fn, void *ctx);

#endif
