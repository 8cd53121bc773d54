/* server.h -- the control thread's loop: the unix socket of iocsiftctl,
 * the Prometheus endpoint and the signals, multiplexed with poll(). */
#ifndef IOCSIFT_CONTROL_SERVER_H
#define IOCSIFT_CONTROL_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "commands.h"

#define CTL_CLIENTS_MAX 64

struct ctl_server_options {
	const char *socket_path;
	const char *socket_group;    /* "" keeps the daemon's group */
	unsigned int socket_mode;
	const char *prometheus;      /* "HOST:PORT" on loopback, "" off */
	struct ctl_context *ctx;
	/* SIGHUP (or once a job ends, when it came during one): the
	 * reload's part on the control thread; what it returns (NULL:
	 * nothing more) runs as a job, like a load. */
	struct ctl_job *(*reload)(void *arg);
	void *reload_arg;
};

struct ctl_connection;

struct ctl_server {
	struct ctl_server_options opt;
	int listen_fd;
	int metrics_fd;
	int signal_fd;
	struct ctl_connection *connections[CTL_CLIENTS_MAX];
	unsigned int n_connections;
	bool socket_created;
	/* A load (or SIGHUP's reload) runs on a thread of its own, one at
	 * a time; meanwhile
	 * requests that change nothing are answered, changes wait. */
	struct ctl_job *job;
	pthread_t job_thread;
	int job_fd;                              /* eventfd: it has run */
	struct ctl_connection *job_connection;   /* NULL once gone */
	bool reload_pending;                     /* SIGHUP during a job */
	bool stopping;                           /* no new job */
};

/* Blocks SIGTERM, SIGINT, SIGHUP and SIGPIPE in the calling thread and
 * every thread it creates later: call before rte_eal_init(), so the
 * signals reach only the control loop's signalfd. */
int ctl_signals_block(void);

/* Creates the socket (mode and group applied before anyone can connect),
 * the metrics listener and the signalfd. 0 or -errno, logged. */
int ctl_server_open(struct ctl_server *srv,
		    const struct ctl_server_options *opt);

/* Serves requests until SIGTERM or SIGINT. 0, or -errno. */
int ctl_server_run(struct ctl_server *srv);

/* Closes the connections and removes the socket file. */
void ctl_server_close(struct ctl_server *srv);

#endif
