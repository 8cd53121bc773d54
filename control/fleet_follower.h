/* fleet_follower.h -- the thread of `iocsift run --fleet URI` that follows
 * the fleet's stream (fleet.h): it applies each new revision by sending
 * its request to the daemon's own control socket, as iocsiftctl would, so
 * that a fleet change takes the same validate, build, journal and publish
 * path as a local one; records the revision it applied in
 * STATE_DIR/fleet.revision; and writes its heartbeat (revision, database
 * version, last error) to the fleet's bucket every second. The control
 * socket keeps serving local changes whatever NATS does. */
#ifndef IOCSIFT_CONTROL_FLEET_FOLLOWER_H
#define IOCSIFT_CONTROL_FLEET_FOLLOWER_H

#include <jansson.h>

#include "common.h"
#include "sink.h"

struct fleet_follower;

#define FLEET_POLL_MS 100            /* a look at the stream's end */
#define FLEET_HEARTBEAT_MS 1000
#define FLEET_STATE_FILE "fleet.revision"

/* Parses the --fleet URI (a nats:// URI as for sinks: host, port, TLS and
 * credentials; site= is the appliance's name, else the host name). 0, or
 * -EINVAL with err. */
int fleet_follower_config(const char *uri, const char *hostname,
			  struct exp_sink_config *cfg,
			  struct error_detail *err);

/* Starts the thread; the daemon's control socket must be listening.
 * NULL with err (the state file unreadable, no memory). */
struct fleet_follower *fleet_follower_start(const struct exp_sink_config *cfg,
					    const char *socket_path,
					    const char *state_dir,
					    struct error_detail *err);

/* What status shows: {"name", "url", "connected", "revision", "last",
 * "applied", "failed", "last_error", "error_revision"}. Any thread. */
json_t *fleet_follower_json(struct fleet_follower *f);

/* Stops the thread (it finishes the request it is applying) and frees. */
void fleet_follower_stop(struct fleet_follower *f);

#endif
