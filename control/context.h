/* context.h -- what every control request works on: the database, the
 * appliance, the job running, the history and its hunts. The control
 * thread's, passed to commands.c and hunts.c. */
#ifndef IOCSIFT_CONTROL_CONTEXT_H
#define IOCSIFT_CONTROL_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "appliance.h"
#include "database.h"
#include "history_writer.h"
#include "hunter.h"

struct ctl_job;
struct ctl_block_export;

struct fleet_follower;

struct ctl_context {
	struct ctl_database *db;
	struct dp_appliance *app;
	time_t started;
	const char *state_dir;
	struct ctl_block_export *block_export;   /* [exports]; may be NULL */
	struct ctl_job *running;     /* the load being built, or NULL */
	/* The history and its hunts; NULL when history_messages = none. */
	struct dp_history_writer *history;
	struct dp_hunter *hunter;
	bool hunt_on_change;         /* a hunt for each add and load */
	uint32_t hunt_max_indicators;
	uint64_t history_max_age_s;  /* a hunt's default reach */
	struct fleet_follower *fleet;  /* --fleet; NULL: not followed */
};

#endif
