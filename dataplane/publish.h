/* publish.h -- the active pattern set, read by workers under QSBR RCU and
 * replaced by the control path. The only liburcu writer in iocsift. */
#ifndef IOCSIFT_DATAPLANE_PUBLISH_H
#define IOCSIFT_DATAPLANE_PUBLISH_H

#include "pattern_set.h"

/* Workers read it with rcu_dereference() between quiescent states. */
extern struct pat_set *dp_active_set;

/* Makes next the active set and waits until no worker can still see the
 * previous one, which it returns (NULL at first) for the caller to keep
 * or free once the exporter has written the hits that point at it.
 * Called from a thread that is no QSBR reader (never a worker). */
struct pat_set *dp_publish(struct pat_set *next);

#endif
