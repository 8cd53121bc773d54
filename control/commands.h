/* commands.h -- what each control request does to the daemon: one request
 * line in, one reply line out. Runs on the control thread, but for the
 * long part of a load (ctl_job_run). */
#ifndef IOCSIFT_CONTROL_COMMANDS_H
#define IOCSIFT_CONTROL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "appliance.h"
#include "context.h"
#include "database.h"

struct ctl_job;


enum ctl_outcome {
	CTL_REPLY,   /* *reply is the reply line */
	CTL_JOB,     /* the request runs as *job */
	CTL_WAIT,    /* a change while another runs: nothing was done */
};

/* Handles one request line. CTL_REPLY: *reply is the reply line
 * (malloc'd, ending in "\n"; NULL when not even an error reply could be
 * made, ENOMEM). CTL_JOB: the request (a load) became *job: run it with
 * ctl_job_run() on another thread, then ctl_job_finish() on the control
 * thread. CTL_WAIT: the request would change the database while
 * changes_busy (a job has not finished): hand the line again after
 * ctl_job_finish(). Requests that change nothing are answered at once,
 * job or not. */
enum ctl_outcome ctl_command_handle(struct ctl_context *ctx, const char *line,
				    size_t len, bool changes_busy,
				    char **reply, struct ctl_job **job);

/* The job's long part: parses and builds the feed, journals it. Any
 * thread; no change and no ctl_db_tick may run meanwhile. */
void ctl_job_run(struct ctl_job *job);

/* On the control thread once ctl_job_run() returned: publishes what it
 * built and returns the reply line (as ctl_command_handle's; NULL for a
 * job of ctl_job_make). Frees job. */
char *ctl_job_finish(struct ctl_job *job);

/* A job that no request made (SIGHUP's reload), run like a load while
 * no other job runs: ctl_job_run() calls run(arg) on the job's thread,
 * ctl_job_finish() calls finish(arg) on the control thread. status
 * names it under running as {command, seconds}. NULL without memory. */
struct ctl_job *ctl_job_make(struct ctl_context *ctx, const char *command,
			     void (*run)(void *arg),
			     void (*finish)(void *arg), void *arg);

/* The compaction the active version is due (ctl_db_compaction_due) as
 * a job of ctl_job_make, or NULL (none due, no memory). */
struct ctl_job *ctl_compaction_job(struct ctl_context *ctx);

#endif
