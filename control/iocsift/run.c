/* run.c -- `iocsift run`: reads the config, brings up EAL, the ports and
 * workers, the pattern database and the control socket, serves until
 * SIGTERM, then drains and flushes. Sees every module, like main.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "appliance.h"
#include "check.h"
#include "commands.h"
#include "config.h"
#include "eal_args.h"
#include "fleet_follower.h"
#include "history_writer.h"
#include "hunter.h"
#include "port_plan.h"
#include "replay.h"
#include "database.h"
#include "reload.h"
#include "run.h"
#include "server.h"
#include "state_lock.h"
#include "stats.h"
#include "telemetry.h"

#define EXIT_BAD_INPUT 2
#define TELEMETRY_TOP 100
#define SINK_DRAIN_MS 5000

struct run {
	struct iocsift_config cfg;
	const char *config_path;
	const char *output;            /* -o: a JSON-lines file sink */
	const char *cli_sinks[CFG_SINKS_MAX];
	unsigned int n_cli_sinks;
	char output_uri[CFG_PATH_MAX + 16];
	const char *cli_feeds[CFG_FEEDS_MAX];
	unsigned int n_cli_feeds;
	enum pat_feed_format cli_format;
	int extra_eal_argc;            /* after "--" */
	char **extra_eal_argv;
	bool verbose;
	bool check;                    /* --check: validate, start nothing */
	/* What the command line sets over the config (NULL, -1: not). */
	const char *socket, *state_dir, *prometheus, *spool_dir, *fleet_uri;
	long throttle;
	struct dp_appliance app;
	struct ctl_database db;
	struct ctl_block_export block_export;   /* [exports] */
	struct ctl_context ctx;
	struct ctl_server server;
	struct ctl_lock state_lock;    /* STATE_DIR/lock */
	struct ctl_lock socket_lock;   /* SOCKET.lock */
	struct reload reload;          /* SIGHUP */
	/* The on-box history and its retro-hunts (docs/history.md). */
	char history_dir[CFG_PATH_MAX + 16];
	struct dp_history_writer history;
	struct dp_hunter hunter;
	bool history_on;
	struct fleet_follower *fleet;  /* --fleet, [control] fleet */
};

#define USAGE_SYNOPSIS \
	"usage: iocsift run [-c CONF] [--check] [--socket PATH]" \
	" [--state-dir DIR] [-f FEED]...\n" \
	"                   [-o FILE] [--prometheus H:P] [--fleet URI] [-v]" \
	" [-- EAL-ARGS...]\n"

static void
usage(FILE *f)
{
	fprintf(f,
		USAGE_SYNOPSIS
		"\n"
		"  -c, --config FILE      the config (docs/configuration.md);"
		" without one,\n"
		"                         every default and every port EAL probes\n"
		"      --socket PATH      control socket (default %s)\n"
		"      --state-dir DIR    where the active database is kept\n"
		"  -f, --feed FILE        a feed to load at start, again on"
		" SIGHUP when it\n"
		"                         changed; repeatable\n"
		"      --feed-format F    format of the -f feeds (default auto)\n"
		"  -o, --output FILE      events as JSON lines, appended to FILE"
		" (a file sink)\n"
		"      --sink URI         deliver events to a sink; repeatable;"
		" replaces the\n"
		"                         config's sinks (docs/sinks.md)\n"
		"      --throttle-window S  one event per indicator and source"
		" per S seconds\n"
		"                         plus a summary of the repeats (default"
		" 60, 0: off)\n"
		"      --spool-dir DIR    where sinks spool (default STATE_DIR/spool)\n"
		"      --prometheus H:P   metrics endpoint on a loopback address\n"
		"      --fleet URI        follow the fleet's changes on NATS\n"
		"                         (nats://HOST[:PORT][?site=NAME&...])\n"
		"  -v, --verbose          EAL's informational logs too\n"
		"      --check            check the config, its feeds, sinks and"
		" directories\n"
		"                         without starting; one line each, exit"
		" 0 or 2\n"
		"\n"
		"Exit status: 0 stopped by SIGTERM (or --check found no error),"
		" 1 failure,\n"
		"2 bad input (command line, config, feed, sink URI).\n",
		"/run/iocsift/control.sock");
}

/* A mistake on the command line: what it was has been printed; the
 * synopsis, not the whole help. */
static void
usage_short(void)
{
	fprintf(stderr, USAGE_SYNOPSIS "see 'iocsift run --help'\n");
}

enum {
	OPT_SOCKET = 256,
	OPT_STATE_DIR,
	OPT_FEED_FORMAT,
	OPT_PROMETHEUS,
	OPT_SINK,
	OPT_THROTTLE_WINDOW,
	OPT_SPOOL_DIR,
	OPT_CHECK,
	OPT_FLEET,
};

/* The options; -EINVAL (said on stderr) for a mistake in them. The
 * config is read afterwards (config_load()). */
static int
command_line_parse(struct run *r, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "feed", required_argument, NULL, 'f' },
		{ "feed-format", required_argument, NULL, OPT_FEED_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
		{ "fleet", required_argument, NULL, OPT_FLEET },
		{ "sink", required_argument, NULL, OPT_SINK },
		{ "throttle-window", required_argument, NULL, OPT_THROTTLE_WINDOW },
		{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	r->throttle = -1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			r->extra_eal_argv = argv + i + 1;
			r->extra_eal_argc = argc - i - 1;
			argc = i;
			break;
		}
	}
	while ((opt = getopt_long(argc, argv, "c:f:o:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			r->config_path = optarg;
			break;
		case OPT_SOCKET:
			r->socket = optarg;
			break;
		case OPT_STATE_DIR:
			r->state_dir = optarg;
			break;
		case 'f':
			if (r->n_cli_feeds == CFG_FEEDS_MAX) {
				fprintf(stderr, "iocsift: at most %d feeds\n",
					CFG_FEEDS_MAX);
				return -E2BIG;
			}
			r->cli_feeds[r->n_cli_feeds++] = optarg;
			break;
		case OPT_FEED_FORMAT:
			if (pat_feed_format_from_name(optarg, &r->cli_format) != 0) {
				fprintf(stderr, "iocsift: unknown feed format '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			r->output = optarg;
			break;
		case OPT_PROMETHEUS:
			r->prometheus = optarg;
			break;
		case OPT_FLEET:
			if (strlen(optarg) >= sizeof(r->cfg.fleet)) {
				fprintf(stderr, "iocsift run: --fleet: longer "
					"than %zu bytes\n",
					sizeof(r->cfg.fleet) - 1);
				return -EINVAL;
			}
			r->fleet_uri = optarg;
			break;
		case OPT_SINK:
			if (r->n_cli_sinks == CFG_SINKS_MAX) {
				fprintf(stderr, "iocsift: at most %d sinks\n",
					CFG_SINKS_MAX);
				return -E2BIG;
			}
			r->cli_sinks[r->n_cli_sinks++] = optarg;
			break;
		case OPT_THROTTLE_WINDOW: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v > 86400) {
				fprintf(stderr, "iocsift: --throttle-window: "
					"seconds from 0 to 86400\n");
				return -EINVAL;
			}
			r->throttle = (long)v;
			break;
		}
		case OPT_SPOOL_DIR:
			r->spool_dir = optarg;
			break;
		case 'v':
			r->verbose = true;
			break;
		case OPT_CHECK:
			r->check = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "iocsift run: unexpected '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (r->socket != NULL &&
	    strlen(r->socket) >= sizeof(r->cfg.socket_path)) {
		fprintf(stderr, "iocsift run: --socket: longer than %zu bytes\n",
			sizeof(r->cfg.socket_path) - 1);
		return -EINVAL;
	}
	if (r->prometheus != NULL) {
		char host[64];
		uint16_t port;
		if (strlen(r->prometheus) >= sizeof(r->cfg.prometheus) ||
		    cfg_parse_listen(r->prometheus, host, sizeof(host),
				     &port) != 0) {
			fprintf(stderr, "iocsift run: --prometheus %s: expected"
				" a loopback HOST:PORT\n", r->prometheus);
			return -EINVAL;
		}
	}
	return 0;
}

/* The config (or the defaults without -c), then the command line over
 * it, into cfg (through cfg_defaults()): at start and on SIGHUP. -errno
 * with err set when the file cannot be read or does not parse. */
static int
config_read(const struct run *r, struct iocsift_config *cfg,
	    struct error_detail *err)
{
	if (r->config_path != NULL) {
		int rc = cfg_load(cfg, r->config_path, err);
		if (rc != 0)
			return rc;
	}
	if (r->socket != NULL)
		snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
			 r->socket);
	if (r->state_dir != NULL)
		snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s",
			 r->state_dir);
	if (r->spool_dir != NULL)
		snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "%s",
			 r->spool_dir);
	else if (cfg->spool_dir[0] == '\0')
		snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "%.*s/spool",
			 (int)sizeof(cfg->spool_dir) - 7, cfg->state_dir);
	if (r->throttle >= 0)
		cfg->throttle_window = (unsigned int)r->throttle;
	if (r->prometheus != NULL)
		snprintf(cfg->prometheus, sizeof(cfg->prometheus), "%s",
			 r->prometheus);
	if (r->fleet_uri != NULL)
		snprintf(cfg->fleet, sizeof(cfg->fleet), "%s", r->fleet_uri);
	return 0;
}

static int
config_load(struct run *r, struct error_detail *err)
{
	cfg_defaults(&r->cfg);
	return config_read(r, &r->cfg, err);
}

/* SIGHUP's reading of the config: as at start; the sinks of the command
 * line replace the config's there too, so its sink lines do not count. */
static int
config_reread(void *arg, struct iocsift_config *cfg, struct error_detail *err)
{
	struct run *r = arg;
	int rc = config_read(r, cfg, err);

	if (rc == 0 && (r->output != NULL || r->n_cli_sinks > 0)) {
		memcpy(cfg->sinks, r->cfg.sinks, sizeof(cfg->sinks));
		cfg->n_sinks = r->cfg.n_sinks;
	}
	return rc;
}

/* ---- EAL ---- */

static int
eal_init(struct run *r)
{
	static struct eal_args args;    /* EAL keeps pointers into argv */
	struct eal_args_input in = {
		.cfg = &r->cfg,
		.extra = r->extra_eal_argv,
		.n_extra = r->extra_eal_argc,
		.cpus = sysconf(_SC_NPROCESSORS_ONLN),
		.hugepages = dp_hugepages_available(),
		.verbose = r->verbose,
	};

	if (eal_args_build(&args, &in) != 0) {
		fprintf(stderr, "iocsift: at most %d EAL arguments\n",
			CFG_EAL_ARGS_MAX);
		return -E2BIG;
	}
	if (rte_eal_init(args.argc, args.argv) < 0) {
		fprintf(stderr, "iocsift: EAL init failed%s%s\n",
			rte_errno != 0 ? ": " : " (see EAL's messages above)",
			rte_errno != 0 ? rte_strerror(rte_errno) : "");
		return -EINVAL;
	}
	return 0;
}

/* ---- ports and workers ---- */

_Static_assert(CFG_PORTS_MAX <= DP_PORTS_MAX, "every configured port plans");
_Static_assert(CFG_PORT_LCORES_MAX <= DP_WORKERS_MAX,
	       "every configured lcore of a port plans");

static int
options_build(struct run *r, struct dp_appliance_options *opt)
{
	*opt = (struct dp_appliance_options){
		.mbufs = r->cfg.mbufs,
		.hit_records = r->cfg.hit_records,
		.hit_ring_size = r->cfg.hit_ring_size,
		.rx_descriptors = (uint16_t)r->cfg.rx_descriptors,
		.hostname = r->cfg.hostname,
		.decode = {
			.vxlan_port = r->cfg.vxlan_port,
			.geneve_port = r->cfg.geneve_port,
		},
		.fragments = {
			.datagrams_max = r->cfg.fragment_datagrams,
			.timeout_ms = r->cfg.fragment_timeout * 1000,
		},
	};
	dp_stream_config_init(&opt->streams);
	opt->streams.streams_max = r->cfg.tcp_streams;
	opt->streams.buffer_bytes_max = r->cfg.tcp_buffer << 20;
	opt->streams.idle_timeout_ns = (uint64_t)r->cfg.tcp_idle_timeout *
		1000000000ULL;
	for (unsigned int i = 0; i < r->cfg.n_syslog_ports; i++)
		opt->syslog_ports[opt->n_syslog_ports++] = r->cfg.syslog_ports[i];
	for (unsigned int i = 0; i < r->cfg.n_dns_ports; i++)
		opt->dns_ports[opt->n_dns_ports++] = r->cfg.dns_ports[i];
	for (unsigned int i = 0; i < r->cfg.n_syslog_tcp_ports; i++)
		opt->syslog_tcp_ports[opt->n_syslog_tcp_ports++] =
			r->cfg.syslog_tcp_ports[i];
	for (unsigned int i = 0; i < r->cfg.n_dns_tcp_ports; i++)
		opt->dns_tcp_ports[opt->n_dns_tcp_ports++] =
			r->cfg.dns_tcp_ports[i];

	struct dp_port_request req[CFG_PORTS_MAX];
	struct error_detail err;
	int rc;

	for (unsigned int p = 0; p < r->cfg.n_ports; p++) {
		const struct cfg_port *port = &r->cfg.ports[p];

		req[p] = (struct dp_port_request){
			.device = port->device,
			.is_pci = port->is_pci,
			.rx_queues = port->rx_queues,
			.lcores = port->lcores,
			.n_lcores = port->n_lcores,
			.symmetric_rss = port->symmetric_rss,
			.af_packet_outgoing = port->af_packet_outgoing,
			.line = port->line,
		};
	}
	rc = dp_ports_plan(req, r->cfg.n_ports, opt, &err);
	if (rc != 0)
		error_detail_print(stderr, "iocsift", &err);
	return rc;
}

/* ---- the database ---- */

static int
feed_lists(const struct run *r, bool with_config, const char **paths,
	   enum pat_feed_format *formats)
{
	unsigned int n = 0;

	for (unsigned int i = 0; with_config && i < r->cfg.n_feeds; i++) {
		paths[n] = r->cfg.feeds[i].path;
		if (pat_feed_format_from_name(r->cfg.feeds[i].format,
					      &formats[n]) != 0)
			formats[n] = PAT_FEED_AUTO;
		n++;
	}
	for (unsigned int i = 0; i < r->n_cli_feeds && n < 2 * CFG_FEEDS_MAX;
	     i++) {
		paths[n] = r->cli_feeds[i];
		formats[n++] = r->cli_format;
	}
	return (int)n;
}

/* SIGHUP: file sinks reopen their files (for logrotate, whatever the
 * config says); then the config is read again and the feeds whose files
 * changed reloaded, off the control thread (reload.c). */
static struct ctl_job *
config_reload(void *arg)
{
	struct run *r = arg;

	dp_exporter_reopen(&r->app.exporter);
	return reload_begin(&r->reload);
}

/* What the state dir holds if anything (then only the -f feeds are
 * loaded on top, and one that fails leaves the resumed version serving),
 * else the config's feeds and -f's (one that fails stops the start). */
static int
database_open(struct run *r)
{
	const char *paths[2 * CFG_FEEDS_MAX];
	enum pat_feed_format formats[2 * CFG_FEEDS_MAX];
	struct error_detail err = { 0 };
	struct ctl_database_options opt = {
		.state_dir = r->cfg.state_dir,
		.n_workers = r->app.n_workers,
		.rollback_depth = r->cfg.rollback_depth,
		.compact_threshold = r->cfg.compact_threshold,
		.shrink_percent = r->cfg.shrink_percent,
		.exporter = &r->app.exporter,
		.block_export = &r->block_export,
	};
	int rc = ctl_db_init(&r->db, &opt);

	if (rc != 0) {
		fprintf(stderr, "iocsift: state dir %s: %s\n", r->cfg.state_dir,
			strerror(-rc));
		return rc;
	}
	rc = ctl_db_resume(&r->db, &err);
	if (rc == 0) {
		fprintf(stderr, "iocsift: resumed version %lu from %s "
			"(%lu indicators)\n", (unsigned long)r->db.version,
			r->cfg.state_dir, (unsigned long)r->db.indicators);
	} else if (rc != -ENOENT) {
		/* Kept aside for a look; the feeds are the fallback. */
		error_detail_print(stderr, "iocsift", &err);
		fprintf(stderr, "iocsift: the state dir's snapshot and journal "
			"are set aside as *.unusable; loading the feeds\n");
	}
	bool resumed = rc == 0;
	struct reload_options reload_opt = {
		.config_path = r->config_path,
		.config_read = config_reread,
		.arg = r,
		.running = &r->cfg,
		.cli_feeds = r->cli_feeds,
		.n_cli_feeds = r->n_cli_feeds,
		.cli_format = r->cli_format,
		.ctx = &r->ctx,
	};
	reload_init(&r->reload, &reload_opt);
	/* Resumed, the state stands for the config's feeds: SIGHUP reads
	 * them again the first time. */
	for (unsigned int i = 0; resumed && i < r->cfg.n_feeds; i++) {
		enum pat_feed_format format;
		if (pat_feed_format_from_name(r->cfg.feeds[i].format,
					      &format) != 0)
			format = PAT_FEED_AUTO;
		if (reload_track(&r->reload, r->cfg.feeds[i].path,
				 format) != 0)
			return -ENOMEM;
	}
	int n = feed_lists(r, !resumed, paths, formats);
	/* Over a resumed version, a feed that shrank is refused like a
	 * load; a first start takes the feeds as they are. */
	if (n > 0 && reload_load_files(&r->reload, paths, formats, (size_t)n,
				       !resumed, &err) != 0) {
		error_detail_print(stderr, "iocsift", &err);
		if (!resumed)
			return -EINVAL;
		fprintf(stderr, "iocsift: serving the resumed version %lu "
			"without that feed\n", (unsigned long)r->db.version);
	}
	if (r->db.active == NULL) {
		rc = ctl_db_load_files(&r->db, NULL, NULL, 0, true, NULL, NULL,
				       &err);
		if (rc != 0) {
			error_detail_print(stderr, "iocsift", &err);
			return rc;
		}
	}
	return 0;
}

/* ---- the whole ---- */

/* The state dir: the default one is made when missing (0750: the group
 * may read it, for backups and monitoring); one the config or the command
 * line named must exist, so that a typo cannot start an empty database.
 * EXIT_BAD_INPUT (a named one is missing), EXIT_FAILURE or 0. */
static int
state_dir_prepare(const struct run *r)
{
	char why[DIR_PREPARE_TEXT_MAX];
	bool fallback = strcmp(r->cfg.state_dir, CFG_STATE_DIR_DEFAULT) == 0;
	int rc = dir_prepare(r->cfg.state_dir, DIR_MODE_SHARED, fallback, why,
			     sizeof(why));

	if (rc == 0)
		return 0;
	fprintf(stderr, "iocsift: state dir %s\n", why);
	return rc == -ENOENT && !fallback ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

/* The spool dir, when there are sinks: STATE_DIR/spool (the default) is
 * made when missing, 0700 (spooled events hold raw log messages); one the
 * config or --spool-dir named must exist. 0, -ENOENT (a named one is
 * missing) or -errno, reported. */
static int
spool_dir_prepare(const struct run *r)
{
	char fallback[CFG_PATH_MAX + 8], why[DIR_PREPARE_TEXT_MAX];

	snprintf(fallback, sizeof(fallback), "%s/spool", r->cfg.state_dir);
	bool create = strcmp(r->cfg.spool_dir, fallback) == 0;
	int rc = dir_prepare(r->cfg.spool_dir, DIR_MODE_PRIVATE, create, why,
			     sizeof(why));
	if (rc != 0)
		fprintf(stderr, "iocsift: spool dir %s\n", why);
	return rc == -ENOENT && create ? -EIO : rc;
}

/* The history dir: STATE_DIR/history (the default) is made when missing,
 * 0700 (the history holds raw log messages and DNS traffic); one the
 * config named must exist. 0, -ENOENT (a named one is missing) or
 * -errno, reported. */
static int
history_dir_prepare(struct run *r)
{
	char fallback[CFG_PATH_MAX + 16], why[DIR_PREPARE_TEXT_MAX];

	snprintf(fallback, sizeof(fallback), "%s/history", r->cfg.state_dir);
	snprintf(r->history_dir, sizeof(r->history_dir), "%s",
		 r->cfg.history_dir[0] != '\0' ? r->cfg.history_dir : fallback);
	bool create = strcmp(r->history_dir, fallback) == 0;
	int rc = dir_prepare(r->history_dir, DIR_MODE_PRIVATE, create, why,
			     sizeof(why));
	if (rc != 0)
		fprintf(stderr, "iocsift: history dir %s\n", why);
	return rc == -ENOENT && create ? -EIO : rc;
}

/* The history writer and the hunter, before the launch (the exporter
 * drains the hunter's ring from its start). 0 or -errno, reported. */
static int
history_open(struct run *r)
{
	char err[256];

	if (r->cfg.history_messages == 0)
		return 0;
	int rc = history_dir_prepare(r);
	if (rc != 0)
		return rc;
	struct dp_history_config hc = {
		.dir = r->history_dir,
		.max_bytes = r->cfg.history_max_size,
		.max_age_ns = r->cfg.history_max_age * 1000000000ULL,
		.kinds = (uint8_t)r->cfg.history_messages,
		.block_bytes = DP_HISTORY_BLOCK_BYTES,
		.block_ns = DP_HISTORY_BLOCK_NS,
		.level = DP_HISTORY_ZSTD_LEVEL,
		.chunks = DP_HISTORY_CHUNKS,
	};
	rc = dp_history_writer_init(&r->history, &hc, r->app.workers,
				    r->app.n_workers, (int)rte_socket_id(),
				    err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "iocsift: %s\n", err);
		return rc;
	}
	rc = dp_hunter_init(&r->hunter, r->history_dir, &r->history,
			    (int)rte_socket_id());
	if (rc != 0)
		return rc;
	dp_exporter_add_hunter(&r->app.exporter, r->hunter.ring,
			       r->hunter.pool);
	r->history_on = true;
	r->ctx.history = &r->history;
	r->ctx.hunter = &r->hunter;
	r->ctx.hunt_on_change = r->cfg.hunt_on_change;
	r->ctx.hunt_max_indicators = r->cfg.hunt_max_indicators;
	r->ctx.history_max_age_s = r->cfg.history_max_age;
	return 0;
}

/* One daemon per state dir and per control socket, decided before
 * anything in either is read or written: a second one exits here. */
static int
locks_take(struct run *r)
{
	char path[CFG_PATH_MAX + 16];
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];
	pid_t holder;

	snprintf(path, sizeof(path), "%s/lock", r->cfg.state_dir);
	if (ctl_lock_take(&r->state_lock, path, 0750, &holder, &err) != 0) {
		fprintf(stderr, "iocsift: state dir %s\n",
			error_detail_format(&err, text, sizeof(text)));
		return -1;
	}
	snprintf(path, sizeof(path), "%s.lock", r->cfg.socket_path);
	if (ctl_lock_take(&r->socket_lock, path, 0755, &holder, &err) != 0) {
		fprintf(stderr, "iocsift: control socket %s\n",
			error_detail_format(&err, text, sizeof(text)));
		return -1;
	}
	return 0;
}

static json_t *
telemetry_stats(void *arg)
{
	struct run *r = arg;

	return ctl_stats_json(&r->app, &r->db, TELEMETRY_TOP);
}

/* Events go to the sinks: the config's, or those of the command line
 * (--sink, and -o FILE as a file sink) which replace them. With none,
 * ECS JSON lines to stdout. */
static unsigned int
sink_uris(struct run *r, const char **uris)
{
	unsigned int n = 0;

	if (r->output != NULL) {
		char *dir = realpath(".", NULL);
		if (r->output[0] == '/' || dir == NULL)
			snprintf(r->output_uri, sizeof(r->output_uri),
				 "file://%s", r->output);
		else
			snprintf(r->output_uri, sizeof(r->output_uri),
				 "file://%s/%s", dir, r->output);
		free(dir);
		uris[n++] = r->output_uri;
	}
	for (unsigned int i = 0; i < r->n_cli_sinks; i++)
		uris[n++] = r->cli_sinks[i];
	if (n > 0)
		return n;
	for (unsigned int i = 0; i < r->cfg.n_sinks; i++)
		uris[n++] = r->cfg.sinks[i];
	return n;
}

static int
sinks_open(struct run *r)
{
	const char *uris[CFG_SINKS_MAX + 1];
	unsigned int n = sink_uris(r, uris);
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];

	if (n == 0)
		r->app.exporter.out = stdout;
	if (n > 0) {
		int rc = spool_dir_prepare(r);
		if (rc != 0)
			return rc == -ENOENT ? -EINVAL : rc;
	}
	if (dp_exporter_throttle(&r->app.exporter, r->cfg.throttle_window) != 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		if (dp_exporter_add_sink(&r->app.exporter, uris[i],
					 r->cfg.spool_dir, &err) != 0) {
			fprintf(stderr, "iocsift: %s\n",
				error_detail_format(&err, text, sizeof(text)));
			return -EINVAL;
		}
	}
	return 0;
}

/* --check: nothing is started, written or locked. The exit status. */
static int
run_check(struct run *r, const struct error_detail *config_error)
{
	const char *feeds[2 * CFG_FEEDS_MAX];
	enum pat_feed_format formats[2 * CFG_FEEDS_MAX];
	const char *uris[CFG_SINKS_MAX + 1];
	struct check_input in = {
		.config_path = r->config_path,
		.cfg = config_error == NULL ? &r->cfg : NULL,
		.config_error = config_error,
		.feeds = feeds,
		.formats = formats,
		.sinks = uris,
	};

	if (config_error == NULL) {
		in.n_feeds = (unsigned int)feed_lists(r, true, feeds, formats);
		in.n_sinks = sink_uris(r, uris);
	}
	return check_run(&in, stdout) == 0 ? EXIT_SUCCESS : EXIT_BAD_INPUT;
}

int
run_main(int argc, char **argv)
{
	static struct run r;   /* large (the appliance options) */
	struct dp_appliance_options opt;
	int rc, status = EXIT_FAILURE;

	r.server.listen_fd = r.server.metrics_fd = r.server.signal_fd = -1;
	r.state_lock.fd = r.socket_lock.fd = -1;
	if (command_line_parse(&r, argc, argv) != 0) {
		usage_short();
		return EXIT_BAD_INPUT;
	}
	struct error_detail err = { 0 };
	rc = config_load(&r, &err);
	if (r.check) {
		status = run_check(&r, rc == 0 ? NULL : &err);
		cfg_release(&r.cfg);
		return status;
	}
	if (rc != 0) {
		/* The file's mistake, not the command line's: no usage. */
		error_detail_print(stderr, "iocsift", &err);
		fprintf(stderr, "see 'iocsift --help'\n");
		return EXIT_BAD_INPUT;
	}
	status = state_dir_prepare(&r);
	if (status != 0) {
		cfg_release(&r.cfg);
		return status;
	}
	status = EXIT_FAILURE;
	if (locks_take(&r) != 0) {
		ctl_lock_release(&r.state_lock);
		cfg_release(&r.cfg);
		return EXIT_FAILURE;
	}
	/* Before EAL creates its threads, so they inherit the mask. */
	if (ctl_signals_block() != 0)
		return EXIT_FAILURE;
	if (eal_init(&r) != 0)
		return EXIT_BAD_INPUT;
	rc = options_build(&r, &opt);
	if (rc == 0)
		rc = dp_appliance_prepare(&r.app, &opt);
	if (rc == 0) {
		rc = sinks_open(&r);
		if (rc == -EINVAL)
			status = EXIT_BAD_INPUT;   /* a sink URI that does not parse */
	}
	r.ctx = (struct ctl_context){ .db = &r.db, .app = &r.app,
				      .started = time(NULL),
				      .state_dir = r.cfg.state_dir,
				      .block_export = &r.block_export };
	if (rc == 0)
		rc = history_open(&r);
	if (rc == 0)
		rc = ctl_block_export_start(&r.block_export, &r.cfg);
	if (rc == 0) {
		rc = database_open(&r);
		if (rc == -EINVAL)
			status = EXIT_BAD_INPUT;   /* a feed that fails validation */
	}
	if (rc != 0)
		goto out;

	struct ctl_server_options server_opt = {
		.socket_path = r.cfg.socket_path,
		.socket_group = r.cfg.socket_group,
		.socket_mode = r.cfg.socket_mode,
		.prometheus = r.cfg.prometheus,
		.ctx = &r.ctx,
		.reload = config_reload,
		.reload_arg = &r,
	};
	rc = ctl_server_open(&r.server, &server_opt);
	if (rc == 0)
		rc = dp_appliance_launch(&r.app);
	if (rc == 0 && r.history_on) {
		rc = dp_history_writer_start(&r.history);
		if (rc == 0)
			rc = dp_hunter_start(&r.hunter);
	}
	if (rc == 0 && r.cfg.fleet[0] != '\0') {
		struct exp_sink_config fleet_cfg;
		struct error_detail err = { 0 };
		char text[ERROR_DETAIL_TEXT_MAX];
		if (fleet_follower_config(r.cfg.fleet, r.app.exporter.hostname,
					  &fleet_cfg, &err) == 0)
			r.fleet = fleet_follower_start(&fleet_cfg,
						       r.cfg.socket_path,
						       r.cfg.state_dir, &err);
		if (r.fleet == NULL) {
			fprintf(stderr, "iocsift: fleet: %s\n",
				error_detail_format(&err, text, sizeof(text)));
			status = EXIT_BAD_INPUT;
			rc = -EINVAL;
		}
		r.ctx.fleet = r.fleet;
	}
	if (rc != 0)
		goto out;
	if (r.cfg.telemetry && ctl_telemetry_register(telemetry_stats, &r) != 0)
		fprintf(stderr, "iocsift: telemetry commands not registered\n");
	fprintf(stderr, "iocsift: running: %u workers, %u ports, version %lu, "
		"control socket %s\n", r.app.n_workers, r.app.n_ports,
		(unsigned long)r.db.version, r.cfg.socket_path);
	if (ctl_server_run(&r.server) == 0)
		status = EXIT_SUCCESS;
	if (r.cfg.telemetry)
		ctl_telemetry_register(NULL, NULL);   /* none reads what goes next */
out:
	if (r.history_on)
		dp_hunter_stop(&r.hunter);
	/* Drains the rings; the sinks get 5 s, the rest stays spooled. */
	dp_appliance_stop(&r.app, SINK_DRAIN_MS);
	if (r.history_on) {
		dp_history_writer_stop(&r.history);
		dp_hunter_release(&r.hunter);
		dp_history_writer_release(&r.history);
	}
	fprintf(stderr, "iocsift: stopped: %lu events written\n",
		(unsigned long)r.app.exporter.events);
	ctl_server_close(&r.server);
	/* After the socket: a change it was applying fails at once. */
	r.ctx.fleet = NULL;
	fleet_follower_stop(r.fleet);
	ctl_db_release(&r.db);
	reload_release(&r.reload);
	dp_appliance_release(&r.app);
	cfg_release(&r.cfg);
	rte_eal_cleanup();
	ctl_lock_release(&r.socket_lock);   /* last: everything is written */
	ctl_lock_release(&r.state_lock);
	return status;
}
