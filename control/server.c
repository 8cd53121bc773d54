/* server.c -- poll() over the control socket, its connections, the
 * Prometheus endpoint and a signalfd. Requests are handled in arrival
 * order, each connection's one after another. A load (seconds at a
 * million indicators) runs on a thread of its own: meanwhile requests
 * that change nothing are answered, and changes wait for it. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_log.h>

#include "config.h"
#include "metrics.h"
#include "protocol.h"
#include "server.h"
#include "stats.h"

RTE_LOG_REGISTER(ctl_logtype_server, iocsift.control, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, ctl_logtype_server, "control: " __VA_ARGS__)

#define READ_CHUNK 65536
#define METRICS_TOP 100

enum connection_kind {
	CONNECTION_CONTROL,
	CONNECTION_METRICS,
};

struct ctl_connection {
	int fd;
	enum connection_kind kind;
	char *in;                /* bytes received, not yet a whole line */
	size_t in_len, in_size;
	size_t in_scanned;       /* in[0..in_scanned) holds no newline */
	char *out;               /* bytes to send */
	size_t out_len, out_sent;
	bool closing;            /* close once out is sent */
	bool waiting;            /* for the job: lines stay in `in` */
	bool read_closed;        /* the client sent all it will (shutdown
				  * or close): replies, then closed */
};

int
ctl_signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* A socket file nobody answers on is a leftover of a killed daemon. */
static int
socket_path_free(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		close(fd);
		LOG(ERR, "%s: another iocsift is listening there\n", path);
		return -EADDRINUSE;
	}
	close(fd);
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
socket_directory(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Bound under a umask that leaves nothing open, then given its group and
 * mode: no moment in which another user could connect. */
static int
control_socket_open(struct ctl_server *srv)
{
	const struct ctl_server_options *opt = &srv->opt;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	int rc;

	if (strlen(opt->socket_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	if (opt->socket_group[0] != '\0') {
		struct group *g = getgrnam(opt->socket_group);
		if (g == NULL) {
			LOG(ERR, "socket group '%s' does not exist\n",
			    opt->socket_group);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	rc = socket_directory(opt->socket_path);
	if (rc == 0)
		rc = socket_path_free(opt->socket_path);
	if (rc != 0)
		return rc;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", opt->socket_path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
				SOCK_NONBLOCK, 0);
	if (srv->listen_fd < 0)
		return -errno;
	mode_t umask_before = umask(0777);
	rc = bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(umask_before);
	if (rc != 0)
		return -errno;
	srv->socket_created = true;
	if (chown(opt->socket_path, (uid_t)-1, gid) != 0 ||
	    chmod(opt->socket_path, opt->socket_mode) != 0 ||
	    listen(srv->listen_fd, 16) != 0)
		return -errno;
	return 0;
}

static int
metrics_socket_open(struct ctl_server *srv)
{
	char host[64];
	uint16_t port;
	struct sockaddr_storage addr = { 0 };
	socklen_t len;
	int one = 1;

	if (cfg_parse_listen(srv->opt.prometheus, host, sizeof(host),
			     &port) != 0)
		return -EINVAL;
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&addr;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		len = sizeof(*a);
	}
	srv->metrics_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
				 SOCK_NONBLOCK, 0);
	if (srv->metrics_fd < 0)
		return -errno;
	setsockopt(srv->metrics_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv->metrics_fd, (struct sockaddr *)&addr, len) != 0 ||
	    listen(srv->metrics_fd, 16) != 0)
		return -errno;
	return 0;
}

int
ctl_server_open(struct ctl_server *srv, const struct ctl_server_options *opt)
{
	sigset_t set;
	int rc;

	*srv = (struct ctl_server){ .opt = *opt, .listen_fd = -1,
				    .metrics_fd = -1, .signal_fd = -1,
				    .job_fd = -1 };
	rc = control_socket_open(srv);
	if (rc != 0) {
		LOG(ERR, "control socket %s: %s\n", opt->socket_path,
		    strerror(-rc));
		return rc;
	}
	if (opt->prometheus[0] != '\0') {
		rc = metrics_socket_open(srv);
		if (rc != 0) {
			LOG(ERR, "prometheus endpoint %s: %s\n", opt->prometheus,
			    strerror(-rc));
			return rc;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	srv->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (srv->signal_fd < 0)
		return -errno;
	srv->job_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->job_fd < 0)
		return -errno;
	LOG(INFO, "listening on %s (mode %04o)%s%s\n", opt->socket_path,
	    opt->socket_mode, opt->prometheus[0] != '\0' ?
	    ", metrics on " : "", opt->prometheus);
	return 0;
}

static void
connection_free(struct ctl_connection *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void
connection_accept(struct ctl_server *srv, int listen_fd,
		  enum connection_kind kind)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (srv->n_connections == CTL_CLIENTS_MAX) {
		LOG(WARNING, "%d connections open: refusing another\n",
		    CTL_CLIENTS_MAX);
		close(fd);
		return;
	}
	struct ctl_connection *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->kind = kind;
	srv->connections[srv->n_connections++] = c;
}

/* Queues bytes to send; takes ownership of text. */
static void
connection_send(struct ctl_connection *c, char *text)
{
	if (text == NULL) {
		c->closing = true;
		return;
	}
	size_t len = strlen(text);
	char *grown = realloc(c->out, c->out_len + len);
	if (grown == NULL) {
		free(text);
		c->closing = true;
		return;
	}
	memcpy(grown + c->out_len, text, len);
	c->out = grown;
	c->out_len += len;
	free(text);
}

static void *
job_main(void *arg)
{
	struct ctl_server *srv = arg;
	uint64_t one = 1;

	ctl_job_run(srv->job);
	if (write(srv->job_fd, &one, sizeof(one)) != sizeof(one))
		LOG(ERR, "signalling the end of a job: %s\n", strerror(errno));
	return NULL;
}

/* Runs job on a thread of its own; c (NULL: no client, SIGHUP's reload)
 * waits for its reply. Without a thread, runs it here. */
static void
job_start(struct ctl_server *srv, struct ctl_connection *c,
	  struct ctl_job *job)
{
	srv->job = job;
	int rc = pthread_create(&srv->job_thread, NULL, job_main, srv);
	if (rc != 0) {
		LOG(WARNING, "no thread for a job (%s): it runs on the "
		    "control thread\n", strerror(rc));
		srv->job = NULL;
		ctl_job_run(job);
		char *reply = ctl_job_finish(job);
		if (c != NULL)
			connection_send(c, reply);
		else
			free(reply);
		return;
	}
	srv->job_connection = c;
	if (c != NULL)
		c->waiting = true;
}

/* SIGHUP, with no job running: the reload's part on the control thread,
 * then the rest as a job. */
static void
reload_start(struct ctl_server *srv)
{
	struct ctl_job *job;

	if (srv->opt.reload == NULL)
		return;
	job = srv->opt.reload(srv->opt.reload_arg);
	if (job != NULL)
		job_start(srv, NULL, job);
}

/* Handles the whole lines in c->in; keeps the rest. */
static void
control_lines(struct ctl_server *srv, struct ctl_connection *c)
{
	size_t start = 0;
	char *nl;

	while (!c->closing && !c->waiting &&
	       (nl = memchr(c->in + c->in_scanned, '\n',
			    c->in_len - c->in_scanned)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));
		struct ctl_job *job;
		char *reply;
		enum ctl_outcome outcome = ctl_command_handle(
			srv->opt.ctx, c->in + start, len, srv->job != NULL,
			&reply, &job);

		if (outcome == CTL_WAIT) {
			c->waiting = true;
			break;
		}
		if (outcome == CTL_JOB)
			job_start(srv, c, job);
		else
			connection_send(c, reply);
		start += len + 1;
		c->in_scanned = start;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	/* Waiting, the lines left are read again once the job is done. */
	c->in_scanned = c->waiting ? 0 : c->in_len;
	/* A line longer than its limit is refused without being read on. */
	if (!c->closing && !c->waiting &&
	    c->in_len > ctl_request_limit(c->in, c->in_len)) {
		connection_send(c, ctl_reply_error(NULL, CTL_ERR_TOO_LARGE,
			"request line over its size limit"));
		c->closing = true;
		c->in_len = 0;
	}
}

/* Once the job has run: publishes it, replies, and lets the requests that
 * waited for it go on. */
static void
job_finish(struct ctl_server *srv)
{
	uint64_t count;

	if (read(srv->job_fd, &count, sizeof(count)) != sizeof(count) ||
	    srv->job == NULL)
		return;
	pthread_join(srv->job_thread, NULL);
	char *reply = ctl_job_finish(srv->job);
	srv->job = NULL;
	if (srv->job_connection != NULL) {
		srv->job_connection->waiting = false;
		connection_send(srv->job_connection, reply);
		srv->job_connection = NULL;
	} else {
		free(reply);      /* its client left (the load is made), or
				   * it had none (SIGHUP) */
	}
	if (srv->stopping)
		return;           /* what waited is not started now */
	for (unsigned int i = 0; i < srv->n_connections; i++) {
		struct ctl_connection *c = srv->connections[i];
		if (c->kind != CONNECTION_CONTROL)
			continue;
		if (c->waiting && srv->job == NULL)
			c->waiting = false;
		if (!c->waiting)
			control_lines(srv, c);
	}
	if (srv->reload_pending && srv->job == NULL) {
		srv->reload_pending = false;
		LOG(INFO, "SIGHUP during a job: reloading the config now\n");
		reload_start(srv);
	}
}

static void
metrics_request(struct ctl_server *srv, struct ctl_connection *c)
{
	enum ctl_http_verdict verdict = ctl_http_request_check(c->in, c->in_len);
	char *body = NULL;
	size_t len;

	if (verdict == CTL_HTTP_INCOMPLETE)
		return;
	if (verdict == CTL_HTTP_METRICS) {
		json_t *stats = ctl_stats_json(srv->opt.ctx->app,
					       srv->opt.ctx->db, METRICS_TOP);
		body = ctl_metrics_prometheus(stats);
		json_decref(stats);
		if (body == NULL) {
			/* No reply: the scrape fails (up = 0) rather than
			 * look like a target with no series. */
			c->closing = true;
			c->in_len = 0;
			return;
		}
	}
	char *response = ctl_http_response(verdict, body, &len);
	free(body);
	if (response != NULL) {
		c->out = response;
		c->out_len = len;
	}
	c->closing = true;
	c->in_len = 0;
}

/* Reads what is there; false when the connection is done for. */
static bool
connection_read(struct ctl_server *srv, struct ctl_connection *c)
{
	for (;;) {
		if (c->in_size - c->in_len < READ_CHUNK) {
			size_t size = c->in_size * 2 > c->in_len + READ_CHUNK ?
				c->in_size * 2 : c->in_len + READ_CHUNK;
			char *grown = realloc(c->in, size + 1);
			if (grown == NULL)
				return false;
			c->in = grown;
			c->in_size = size;
		}
		ssize_t n = read(c->fd, c->in + c->in_len, c->in_size - c->in_len);
		if (n == 0) {
			/* What waits for a job is still done and answered. */
			c->read_closed = true;
			return c->waiting || c->out_len > c->out_sent;
		}
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		if (c->kind == CONNECTION_CONTROL)
			control_lines(srv, c);
		else
			metrics_request(srv, c);
		if (c->closing)
			return true;
	}
}

static bool
connection_write(struct ctl_connection *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent,
				 c->out_len - c->out_sent, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_sent += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_sent = 0;
	return !c->closing;
}

/* 1 to stop, 0 to go on. */
static int
signal_handle(struct ctl_server *srv)
{
	struct signalfd_siginfo info;

	while (read(srv->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP && srv->job != NULL) {
			srv->reload_pending = true;
		} else if (info.ssi_signo == SIGHUP) {
			LOG(INFO, "SIGHUP: reloading the config\n");
			reload_start(srv);
		} else {
			LOG(INFO, "signal %u: stopping\n", info.ssi_signo);
			return 1;
		}
	}
	return 0;
}

/* Stopping: a load that was journaled is published before the exit. */
static void
job_wait(struct ctl_server *srv)
{
	struct pollfd p = { .fd = srv->job_fd, .events = POLLIN };

	srv->stopping = true;
	while (srv->job != NULL) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		job_finish(srv);
	}
	/* The job's reply, and what else is queued: what the sockets
	 * take now, without waiting. */
	for (unsigned int i = 0; i < srv->n_connections; i++)
		if (srv->connections[i]->out_len >
		    srv->connections[i]->out_sent)
			connection_write(srv->connections[i]);
}

enum { FD_SIGNAL, FD_LISTEN, FD_METRICS, FD_JOB, FD_CONNECTIONS };

int
ctl_server_run(struct ctl_server *srv)
{
	struct pollfd fds[CTL_CLIENTS_MAX + FD_CONNECTIONS];

	for (;;) {
		nfds_t n = 0;
		fds[n++] = (struct pollfd){ .fd = srv->signal_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = srv->listen_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = srv->metrics_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = srv->job_fd, .events = POLLIN };
		for (unsigned int i = 0; i < srv->n_connections; i++) {
			struct ctl_connection *c = srv->connections[i];
			/* A waiting connection is not read: the socket's
			 * buffer bounds what its client can queue. */
			short events = c->out_len > c->out_sent ? POLLOUT :
				       c->waiting || c->read_closed ? 0 : POLLIN;
			/* Nothing to read or send: not polled (a closed
			 * peer's POLLHUP would wake the loop again and
			 * again). */
			fds[n++] = (struct pollfd){ .fd = events != 0 ||
						    !c->read_closed ? c->fd : -1,
						    .events = events };
		}
		if (poll(fds, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			job_wait(srv);
			return -errno;
		}
		if ((fds[FD_SIGNAL].revents & POLLIN) && signal_handle(srv) != 0) {
			job_wait(srv);
			return 0;
		}
		if (fds[FD_JOB].revents & POLLIN)
			job_finish(srv);
		/* A job changes the state dir: no snapshot meanwhile. */
		if (srv->opt.ctx->db != NULL && srv->job == NULL)
			ctl_db_tick(srv->opt.ctx->db);
		/* Connections first: the indexes of fds follow them. */
		for (unsigned int i = srv->n_connections; i-- > 0;) {
			struct ctl_connection *c = srv->connections[i];
			short revents = fds[FD_CONNECTIONS + i].revents;
			bool keep = true;
			if (revents & (POLLIN | POLLHUP | POLLERR))
				keep = connection_read(srv, c);
			if (keep && c->out_len > c->out_sent)
				keep = connection_write(c);
			else if (keep && c->closing)
				keep = false;
			if (keep && c->read_closed && !c->waiting &&
			    c->out_len == c->out_sent)
				keep = false;
			if (!keep) {
				if (c == srv->job_connection)
					srv->job_connection = NULL;
				connection_free(c);
				srv->connections[i] =
					srv->connections[--srv->n_connections];
			}
		}
		if (fds[FD_LISTEN].revents & POLLIN)
			connection_accept(srv, srv->listen_fd, CONNECTION_CONTROL);
		if (fds[FD_METRICS].revents & POLLIN)
			connection_accept(srv, srv->metrics_fd, CONNECTION_METRICS);
		/* A compaction the changes above made due, once their
		 * replies are sent: on the job thread, like a load. */
		if (srv->job == NULL && !srv->stopping) {
			struct ctl_job *job = ctl_compaction_job(srv->opt.ctx);
			if (job != NULL)
				job_start(srv, NULL, job);
		}
	}
}

void
ctl_server_close(struct ctl_server *srv)
{
	for (unsigned int i = 0; i < srv->n_connections; i++)
		connection_free(srv->connections[i]);
	srv->n_connections = 0;
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->metrics_fd >= 0)
		close(srv->metrics_fd);
	if (srv->signal_fd >= 0)
		close(srv->signal_fd);
	if (srv->job_fd >= 0)
		close(srv->job_fd);
	if (srv->socket_created)
		unlink(srv->opt.socket_path);
	srv->listen_fd = srv->metrics_fd = srv->signal_fd = srv->job_fd = -1;
}
