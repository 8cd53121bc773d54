/* ctl_fleet.h -- iocsiftctl --fleet URI: changes to the fleet's stream on
 * NATS JetStream, and every appliance's heartbeat (docs/fleet.md). */
#ifndef IOCSIFT_CTL_FLEET_H
#define IOCSIFT_CTL_FLEET_H

#include <jansson.h>

#include "ctl.h"

/* Runs c (load, add, del, undel: req is the request a daemon would get;
 * status) against the fleet at o->fleet. Returns the exit status. */
int ctl_fleet_run(const struct command *c, const json_t *req,
		  const struct options *o);

#endif
