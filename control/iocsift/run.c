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
#include "commands.h"
#include "config.h"
#include "port_plan.h"
#include "replay.h"
#include "database.h"
#include "run.h"
#include "server.h"
#include "state_lock.h"
#include "stats.h"
#include "telemetry.h"

#define EXIT_BAD_INPUT 2
#define EAL_ARGV_MAX (CFG_EAL_ARGS_MAX * 2 + 32)
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
	struct dp_appliance app;
	struct ctl_database db;
	struct ctl_context ctx;
	struct ctl_server server;
	struct ctl_lock state_lock;    /* STATE_DIR/lock */
	struct ctl_lock socket_lock;   /* SOCKET.lock */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: iocsift run [-c CONF] [--socket PATH] [--state-dir DIR]"
		" [-f FEED]... [-o FILE]\n"
		"                   [--prometheus HOST:PORT] [-v] [-- EAL-ARGS...]\n"
		"\n"
		"  -c, --config FILE      the config (docs/configuration.md);"
		" without one,\n"
		"                         every default and every port EAL probes\n"
		"      --socket PATH      control socket (default %s)\n"
		"      --state-dir DIR    where the active database is kept\n"
		"  -f, --feed FILE        a feed to load at start and on SIGHUP;"
		" repeatable\n"
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
		"  -v, --verbose          EAL's informational logs too\n",
		"/run/iocsift/control.sock");
}

enum {
	OPT_SOCKET = 256,
	OPT_STATE_DIR,
	OPT_FEED_FORMAT,
	OPT_PROMETHEUS,
	OPT_SINK,
	OPT_THROTTLE_WINDOW,
	OPT_SPOOL_DIR,
};

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
		{ "sink", required_argument, NULL, OPT_SINK },
		{ "throttle-window", required_argument, NULL, OPT_THROTTLE_WINDOW },
		{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket = NULL, *state_dir = NULL, *prometheus = NULL;
	const char *spool_dir = NULL;
	long throttle = -1;
	int opt;

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
			socket = optarg;
			break;
		case OPT_STATE_DIR:
			state_dir = optarg;
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
			prometheus = optarg;
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
			throttle = (long)v;
			break;
		}
		case OPT_SPOOL_DIR:
			spool_dir = optarg;
			break;
		case 'v':
			r->verbose = true;
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

	struct error_detail err = { 0 };
	cfg_defaults(&r->cfg);
	if (r->config_path != NULL && cfg_load(&r->cfg, r->config_path, &err) != 0) {
		error_detail_print(stderr, "iocsift", &err);
		return -EINVAL;
	}
	/* The command line wins over the config. */
	if (socket != NULL &&
	    snprintf(r->cfg.socket_path, sizeof(r->cfg.socket_path), "%s",
		     socket) >= (int)sizeof(r->cfg.socket_path)) {
		fprintf(stderr, "iocsift: --socket: path too long\n");
		return -EINVAL;
	}
	if (state_dir != NULL)
		snprintf(r->cfg.state_dir, sizeof(r->cfg.state_dir), "%s",
			 state_dir);
	if (spool_dir != NULL)
		snprintf(r->cfg.spool_dir, sizeof(r->cfg.spool_dir), "%s",
			 spool_dir);
	else if (r->cfg.spool_dir[0] == '\0')
		snprintf(r->cfg.spool_dir, sizeof(r->cfg.spool_dir), "%.*s/spool",
			 (int)sizeof(r->cfg.spool_dir) - 7, r->cfg.state_dir);
	if (throttle >= 0)
		r->cfg.throttle_window = (unsigned int)throttle;
	if (prometheus != NULL) {
		char host[64];
		uint16_t port;
		if (cfg_parse_listen(prometheus, host, sizeof(host), &port) != 0) {
			fprintf(stderr, "iocsift: --prometheus %s: expected a "
				"loopback HOST:PORT\n", prometheus);
			return -EINVAL;
		}
		snprintf(r->cfg.prometheus, sizeof(r->cfg.prometheus), "%s",
			 prometheus);
	}
	return 0;
}

/* ---- EAL ---- */

static bool
has_option(char **argv, int argc, const char *const *names)
{
	for (int i = 0; i < argc; i++)
		for (const char *const *n = names; *n != NULL; n++) {
			size_t len = strlen(*n);
			if (strncmp(argv[i], *n, len) == 0 &&
			    (argv[i][len] == '\0' || argv[i][len] == '=' ||
			     (len == 2 && argv[i][0] == '-' && argv[i][1] != '-')))
				return true;
		}
	return false;
}

/* The config's EAL arguments and those after "--", the ports of the
 * config, and our defaults for whatever neither says. */
static int
eal_init(struct run *r)
{
	static const char *const lcore_options[] = { "-l", "-c", "--lcores", NULL };
	static const char *const memory_options[] = { "--no-huge", "-m",
		"--socket-mem", "--in-memory", NULL };
	static const char *const prefix_options[] = { "--file-prefix",
		"--in-memory", "--no-shconf", NULL };
	static const char *const log_options[] = { "--log-level", NULL };
	static const char *const telemetry_options[] = { "--no-telemetry",
		"--telemetry", NULL };
	char *argv[EAL_ARGV_MAX + 1];
	char lcores[32];
	int argc = 0;
	bool any_pci = false;

	argv[argc++] = "iocsift";
	for (unsigned int i = 0; i < r->cfg.n_eal_args; i++)
		argv[argc++] = r->cfg.eal_args[i];
	if (r->extra_eal_argc > CFG_EAL_ARGS_MAX) {
		fprintf(stderr, "iocsift: at most %d EAL arguments\n",
			CFG_EAL_ARGS_MAX);
		return -E2BIG;
	}
	for (int i = 0; i < r->extra_eal_argc; i++)
		argv[argc++] = r->extra_eal_argv[i];
	int given = argc;
	for (unsigned int p = 0; p < r->cfg.n_ports; p++) {
		struct cfg_port *port = &r->cfg.ports[p];
		argv[argc++] = port->is_pci ? "-a" : "--vdev";
		argv[argc++] = port->device;
		any_pci |= port->is_pci;
	}
	if (r->cfg.n_ports > 0 && !any_pci &&
	    !has_option(argv, given, (const char *const[]){ "-a", "--allow",
			"-b", "--block", "--no-pci", NULL }))
		argv[argc++] = "--no-pci";
	if (!has_option(argv, given, lcore_options)) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		snprintf(lcores, sizeof(lcores), "-l0-%ld", cpus > 1 ? cpus - 1 : 1);
		argv[argc++] = cpus > 1 ? lcores : "--lcores=(0,1)@0";
	}
	if (!has_option(argv, given, memory_options) && !dp_hugepages_available()) {
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m1024";
	}
	if (!has_option(argv, given, prefix_options))
		argv[argc++] = "--file-prefix=iocsift";
	if (!r->cfg.telemetry && !has_option(argv, given, telemetry_options))
		argv[argc++] = "--no-telemetry";
	if (!has_option(argv, given, log_options) && !r->verbose) {
		argv[argc++] = "--log-level=lib.*:warning";
		argv[argc++] = "--log-level=pmd.*:warning";
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
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

/* SIGHUP: file sinks reopen their files; the feeds of the config and of
 * -f are read again, replacing those feeds; on error the active version
 * stays. */
static void
feeds_reload(void *arg)
{
	struct run *r = arg;
	const char *paths[2 * CFG_FEEDS_MAX];
	enum pat_feed_format formats[2 * CFG_FEEDS_MAX];
	struct error_detail err = { 0 };
	int n = feed_lists(r, true, paths, formats);

	dp_exporter_reopen(&r->app.exporter);   /* file sinks, for logrotate */
	if (n == 0)
		return;
	if (ctl_db_load_files(&r->db, paths, formats, (size_t)n, false,
			      &err) != 0)
		error_detail_print(stderr, "iocsift", &err);
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
	int n = feed_lists(r, !resumed, paths, formats);
	/* Over a resumed version, a feed that shrank is refused like a
	 * load; a first start takes the feeds as they are. */
	if (n > 0 && ctl_db_load_files(&r->db, paths, formats, (size_t)n,
				       !resumed, &err) != 0) {
		error_detail_print(stderr, "iocsift", &err);
		if (!resumed)
			return -EINVAL;
		fprintf(stderr, "iocsift: serving the resumed version %lu "
			"without that feed\n", (unsigned long)r->db.version);
	}
	if (r->db.active == NULL) {
		rc = ctl_db_load_files(&r->db, NULL, NULL, 0, true, &err);
		if (rc != 0) {
			error_detail_print(stderr, "iocsift", &err);
			return rc;
		}
	}
	return 0;
}

/* ---- the whole ---- */

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
static int
sinks_open(struct run *r)
{
	const char *uris[CFG_SINKS_MAX + 1];
	unsigned int n = 0;
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];

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
	for (unsigned int i = 0; n == 0 && i < r->cfg.n_sinks; i++)
		uris[n++] = r->cfg.sinks[i];
	if (n == 0)
		r->app.exporter.out = stdout;
	/* The spool root usually lives in the state dir, made here first. */
	if (mkdir(r->cfg.state_dir, 0750) != 0 && errno != EEXIST)
		fprintf(stderr, "iocsift: state dir %s: %s\n", r->cfg.state_dir,
			strerror(errno));
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

int
run_main(int argc, char **argv)
{
	static struct run r;   /* large (the appliance options) */
	struct dp_appliance_options opt;
	int rc, status = EXIT_FAILURE;

	r.server.listen_fd = r.server.metrics_fd = r.server.signal_fd = -1;
	r.state_lock.fd = r.socket_lock.fd = -1;
	if (command_line_parse(&r, argc, argv) != 0) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
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
	if (rc == 0) {
		rc = database_open(&r);
		if (rc == -EINVAL)
			status = EXIT_BAD_INPUT;   /* a feed that fails validation */
	}
	if (rc != 0)
		goto out;

	r.ctx = (struct ctl_context){ .db = &r.db, .app = &r.app,
				      .started = time(NULL),
				      .state_dir = r.cfg.state_dir };
	struct ctl_server_options server_opt = {
		.socket_path = r.cfg.socket_path,
		.socket_group = r.cfg.socket_group,
		.socket_mode = r.cfg.socket_mode,
		.prometheus = r.cfg.prometheus,
		.ctx = &r.ctx,
		.reload = feeds_reload,
		.reload_arg = &r,
	};
	rc = ctl_server_open(&r.server, &server_opt);
	if (rc == 0)
		rc = dp_appliance_launch(&r.app);
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
	/* Drains the rings; the sinks get 5 s, the rest stays spooled. */
	dp_appliance_stop(&r.app, SINK_DRAIN_MS);
	fprintf(stderr, "iocsift: stopped: %lu events written\n",
		(unsigned long)r.app.exporter.events);
	ctl_server_close(&r.server);
	ctl_db_release(&r.db);
	dp_appliance_release(&r.app);
	cfg_release(&r.cfg);
	rte_eal_cleanup();
	ctl_lock_release(&r.socket_lock);   /* last: everything is written */
	ctl_lock_release(&r.state_lock);
	return status;
}
