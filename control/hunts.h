/* hunts.h -- the retro-hunts the control path asks the hunter for
 * (dataplane/hunter.h): one for each add, one for the new indicators of
 * each load (when hunt_on_change), and those `iocsiftctl hunt` asks for.
 * A hunt of more than hunt_max_indicators is refused with the reason
 * (docs/history.md, "Retro-hunts"). */
#ifndef IOCSIFT_CONTROL_HUNTS_H
#define IOCSIFT_CONTROL_HUNTS_H

#include <jansson.h>

#include "context.h"
#include "protocol.h"

#define CTL_HUNT_REFUSED_MAX 192

/* After an add: a hunt for the indicator it added (the newest of the
 * active set). Adds "hunt" (its id) or "hunt_refused" to result. */
void ctl_hunt_after_add(struct ctl_context *ctx, json_t *result);

/* On a load's (or SIGHUP reload's) job thread, after its prepare, while
 * the active set is still the one before: the set of the feeds'
 * indicators that set does not have, for the hunt (*set NULL: none, or
 * refused with the reason in refused). */
void ctl_hunt_load_prepare(struct ctl_context *ctx,
			   const struct pat_feed *const *feeds, size_t n_feeds,
			   uint64_t version, struct pat_set **set,
			   char *refused, size_t refused_len);

/* After the load published: queues the hunt of that set (taken). Adds
 * "hunt" or "hunt_refused" to result, or logs them when result is NULL
 * (a reload). */
void ctl_hunt_after_load(struct ctl_context *ctx, struct pat_set *set,
			 const char *feed_name, const char *refused,
			 json_t *result);

/* The `hunt` request: queue one, or report on one ("hunt": id). */
char *ctl_command_hunt(struct ctl_context *ctx, const struct ctl_request *req);

/* status's "history" member: the writer's and the hunter's; new
 * reference, JSON null without a history. */
json_t *ctl_history_json(struct ctl_context *ctx);

#endif
