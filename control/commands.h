/* commands.h -- what each control request does to the daemon: one request
 * line in, one reply line out. Runs on the control thread. */
#ifndef IOCSIFT_CONTROL_COMMANDS_H
#define IOCSIFT_CONTROL_COMMANDS_H

#include <stddef.h>
#include <time.h>

#include "appliance.h"
#include "database.h"

struct ctl_context {
	struct ctl_database *db;
	struct dp_appliance *app;
	time_t started;
	const char *state_dir;
};

/* The reply line (malloc'd, ending in "\n") to one request line, or NULL
 * when not even an error reply could be made (ENOMEM). */
char *ctl_command_handle(struct ctl_context *ctx, const char *line,
			 size_t len);

#endif
