/* stats.h -- the daemon's counters as one JSON object: ports, workers,
 * exporter, database, the indicators hit most. What `iocsiftctl stats`,
 * the Prometheus endpoint and DPDK telemetry all show. */
#ifndef IOCSIFT_CONTROL_STATS_H
#define IOCSIFT_CONTROL_STATS_H

#include <stddef.h>

#include <jansson.h>

#include "appliance.h"
#include "database.h"

/* New reference, or NULL on ENOMEM. Safe from any thread while the
 * appliance runs. */
json_t *ctl_stats_json(struct dp_appliance *app, const struct ctl_database *db,
		       size_t top);

#endif
