/* main.c -- iocsift's command line: the only file that sees every module. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"
#include "pattern_set.h"
#include "replay.h"
#include "run.h"
#include "hunt.h"
#include "scan.h"
#include "store.h"

#define FEEDS_MAX 64
#define EXIT_BAD_INPUT 2
#define EXIT_UNDELIVERED 3          /* replay: a sink did not deliver all */
#define DRAIN_SECONDS_MAX 3600
/* The default state dir's spool dir, as `iocsift run` has it. */
#define REPLAY_SPOOL_DEFAULT "/var/lib/iocsift/spool"

struct feeds {
	const char *paths[FEEDS_MAX];
	unsigned int count;
	enum pat_feed_format format;
};

#define USAGE_SYNOPSIS \
	"usage: iocsift run [-c CONF] [--check] [options] [-- EAL-ARGS...]" \
	" (iocsift run --help)\n" \
	"       iocsift replay -f FEED [-f FEED]... [-o OUT.jsonl] [options]" \
	" CAPTURE.pcap [-- EAL-ARGS...]\n" \
	"       iocsift scan -f FEED [-f FEED]... [-o OUT.jsonl] [options]" \
	" FILE...\n" \
	"       iocsift hunt -f FEED [-f FEED]... [--since DURATION]" \
	" [-o OUT.jsonl] HISTORY_DIR\n" \
	"       iocsift compile -f FEED [-f FEED]... -o FILE.db\n" \
	"       iocsift version\n"

/* A mistake on the command line: what it was has been printed. */
static void
usage_short(void)
{
	fprintf(stderr, USAGE_SYNOPSIS "see 'iocsift --help'\n");
}

static void
usage(FILE *f)
{
	fprintf(f,
		USAGE_SYNOPSIS
		"\n"
		"  -f, --feed FILE        indicators (CSV, plain, STIX 2.1, MISP,"
		" Zeek Intel,\n"
		"                         Suricata dataset); repeatable\n"
		"      --feed-format F    auto (default), csv, plain, stix,"
		" misp-csv, misp-json,\n"
		"                         zeek, suricata-string, suricata-md5,"
		" suricata-sha256,\n"
		"                         suricata-ipv4, suricata-ipv6 (Suricata"
		" datasets are\n"
		"                         never detected)\n"
		"  -d, --db FILE          a pattern set saved by compile, instead of -f\n"
		"  -o, --output FILE      events as JSON lines (default: stdout)\n"
		"  -c, --count            scan: count lines with a hit, per file\n"
		"  -l, --files-with-matches  scan: names of files with a hit\n"
		"      --only-matching    scan: [FILE:]LINE:TYPE:INDICATOR per hit\n"
		"      --since DURATION   hunt: only messages of the last DURATION"
		" (24h, 90m,\n"
		"                         3600s; default: the whole history)\n"
		"      --sink URI         replay: also deliver events to a sink;"
		" repeatable\n"
		"                         (file://, udp://, tcp://, tls://, nats://;"
		" docs/sinks.md)\n"
		"      --throttle-window S  replay: one event per indicator and"
		" source per\n"
		"                         S seconds, repeats counted (default 0:"
		" every hit)\n"
		"      --spool-dir DIR    replay: where sinks spool (default"
		" /var/lib/iocsift/spool)\n"
		"      --drain-timeout S  replay: how long the sinks may take to"
		" deliver at the\n"
		"                         end (default 30; what is left stays"
		" spooled, exit 3)\n"
		"      --syslog-port N    replay: UDP port of syslog (default 514)\n"
		"      --dns-port N       replay: UDP port of DNS (default 53)\n"
		"      --vxlan-port N     replay: UDP port of VXLAN (default 4789,"
		" 0 off)\n"
		"      --geneve-port N    replay: UDP port of Geneve (default 6081,"
		" 0 off)\n"
		"      --messages         replay: instead of events, every syslog"
		" and DNS message\n"
		"                         the dataplane extracted, hit or not, one"
		" JSON line\n"
		"                         each (frame, kind, addresses, message or"
		" DNS fields,\n"
		"                         hits; docs/events.md); not with --sink or"
		" --throttle-window\n"
		"  -v, --verbose          replay: keep EAL's informational logs\n"
		"\n"
		"Exit status: 0 done, 1 failure (replay: also a capture cut"
		" short, replayed\n"
		"up to its last whole frame), 2 bad input (feed, capture,"
		" arguments),\n"
		"3 replay: events not delivered to every sink (spooled or"
		" dropped);\n"
		"scan and hunt as grep: 0 some line hit, 1 none, 2 trouble.\n");
}

static int
parse_port(const char *text, uint16_t *port)
{
	char *end;
	unsigned long value = strtoul(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value == 0 || value > 65535) {
		fprintf(stderr, "iocsift: invalid port '%s'\n", text);
		return -EINVAL;
	}
	*port = (uint16_t)value;
	return 0;
}

/* A tunnel's port: 0 turns its decoding off. */
static int
parse_tunnel_port(const char *text, uint16_t *port)
{
	if (strcmp(text, "0") == 0) {
		*port = 0;
		return 0;
	}
	return parse_port(text, port);
}

static int
parse_seconds(const char *text, unsigned int *seconds)
{
	char *end;
	unsigned long value = strtoul(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value > 86400) {
		fprintf(stderr, "iocsift: invalid seconds '%s' (0 to 86400)\n",
			text);
		return -EINVAL;
	}
	*seconds = (unsigned int)value;
	return 0;
}

static int
parse_feed_format(const char *text, enum pat_feed_format *format)
{
	if (pat_feed_format_from_name(text, format) == 0)
		return 0;
	fprintf(stderr, "iocsift: unknown feed format '%s'\n", text);
	return -EINVAL;
}

/* Loads every feed and builds one set; NULL after reporting the error. */
static struct pat_set *
feeds_build(const struct feeds *feeds)
{
	struct pat_feed loaded[FEEDS_MAX];
	const struct pat_feed *pointers[FEEDS_MAX] = { NULL };
	struct error_detail err = { 0 };
	struct pat_set *set = NULL;
	unsigned int n = 0;

	for (; n < feeds->count; n++) {
		pat_feed_init(&loaded[n]);
		pointers[n] = &loaded[n];
		if (pat_feed_load_file(&loaded[n], feeds->paths[n], feeds->format,
				       &err) != 0) {
			error_detail_print(stderr, "iocsift", &err);
			n++;
			goto free_feeds;
		}
		/* Quiet unless records were left out on purpose. */
		if (loaded[n].skipped > 0)
			fprintf(stderr,
				"%s: %zu indicators, %zu duplicates merged, "
				"%zu skipped (first: %s)\n",
				feeds->paths[n], loaded[n].count,
				loaded[n].duplicates, loaded[n].skipped,
				loaded[n].first_skip);
	}
	set = pat_set_build(pointers, n, 1, 1, &err);
	if (set == NULL)
		error_detail_print(stderr, "iocsift", &err);
free_feeds:
	for (unsigned int i = 0; i < n; i++)
		pat_feed_free(&loaded[i]);
	return set;
}

/* A set saved by `iocsift compile`; NULL after reporting the error. */
static struct pat_set *
db_load(const char *path)
{
	struct error_detail err = { 0 };
	struct pat_set *set = pat_set_load(path, 1, &err);

	if (set == NULL)
		error_detail_print(stderr, "iocsift", &err);
	return set;
}

enum {
	OPT_FEED_FORMAT = 256,
	OPT_SYSLOG_PORT,
	OPT_DNS_PORT,
	OPT_VXLAN_PORT,
	OPT_GENEVE_PORT,
	OPT_ONLY_MATCHING,
	OPT_SINK,
	OPT_THROTTLE_WINDOW,
	OPT_SPOOL_DIR,
	OPT_MESSAGES,
	OPT_DRAIN_TIMEOUT,
	OPT_SINCE,
};

#define SINKS_MAX 16

static const struct option long_options[] = {
	{ "feed", required_argument, NULL, 'f' },
	{ "feed-format", required_argument, NULL, OPT_FEED_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "syslog-port", required_argument, NULL, OPT_SYSLOG_PORT },
	{ "dns-port", required_argument, NULL, OPT_DNS_PORT },
	{ "vxlan-port", required_argument, NULL, OPT_VXLAN_PORT },
	{ "geneve-port", required_argument, NULL, OPT_GENEVE_PORT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "db", required_argument, NULL, 'd' },
	{ "count", no_argument, NULL, 'c' },
	{ "files-with-matches", no_argument, NULL, 'l' },
	{ "only-matching", no_argument, NULL, OPT_ONLY_MATCHING },
	{ "sink", required_argument, NULL, OPT_SINK },
	{ "throttle-window", required_argument, NULL, OPT_THROTTLE_WINDOW },
	{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
	{ "messages", no_argument, NULL, OPT_MESSAGES },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct command_line {
	struct feeds feeds;
	const char *sinks[SINKS_MAX];
	const char *db;             /* a saved pattern set instead of feeds */
	struct scan_options scan;
	uint64_t since_s;           /* hunt --since, 0 none */
	const char *output;
	struct dp_replay_options replay;
	char **operands;
	int n_operands;
};

static int
command_line_parse(int argc, char **argv, struct command_line *cl)
{
	int opt;

	/* Everything after "--" belongs to EAL. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cl->replay.eal_argv = argv + i + 1;
			cl->replay.eal_argc = argc - i - 1;
			argc = i;
			break;
		}
	}
	while ((opt = getopt_long(argc, argv, "f:o:d:clvh", long_options,
				  NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 'f':
			if (cl->feeds.count == FEEDS_MAX) {
				fprintf(stderr, "iocsift: at most %d feeds\n",
					FEEDS_MAX);
				return -E2BIG;
			}
			cl->feeds.paths[cl->feeds.count++] = optarg;
			break;
		case OPT_FEED_FORMAT:
			rc = parse_feed_format(optarg, &cl->feeds.format);
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_SYSLOG_PORT:
			rc = parse_port(optarg, &cl->replay.syslog_port);
			break;
		case OPT_DNS_PORT:
			rc = parse_port(optarg, &cl->replay.dns_port);
			break;
		case OPT_VXLAN_PORT:
			rc = parse_tunnel_port(optarg,
					       &cl->replay.decode.vxlan_port);
			break;
		case OPT_GENEVE_PORT:
			rc = parse_tunnel_port(optarg,
					       &cl->replay.decode.geneve_port);
			break;
		case 'v':
			cl->replay.verbose = true;
			break;
		case 'd':
			cl->db = optarg;
			break;
		case 'c':
			cl->scan.output = SCAN_OUTPUT_COUNT;
			break;
		case 'l':
			cl->scan.output = SCAN_OUTPUT_FILES;
			break;
		case OPT_ONLY_MATCHING:
			cl->scan.output = SCAN_OUTPUT_ONLY_MATCHING;
			break;
		case OPT_SINK:
			if (cl->replay.n_sinks == SINKS_MAX) {
				fprintf(stderr, "iocsift: at most %d sinks\n",
					SINKS_MAX);
				return -E2BIG;
			}
			cl->sinks[cl->replay.n_sinks++] = optarg;
			break;
		case OPT_THROTTLE_WINDOW:
			rc = parse_seconds(optarg, &cl->replay.throttle_window);
			break;
		case OPT_SPOOL_DIR:
			cl->replay.spool_root = optarg;
			break;
		case OPT_MESSAGES:
			cl->replay.messages = true;
			break;
		case OPT_SINCE:
			if (duration_parse(optarg, &cl->since_s) != 0) {
				fprintf(stderr, "iocsift: --since %s: give a "
					"duration such as 24h, 90m or 3600s\n",
					optarg);
				rc = -EINVAL;
			}
			break;
		case OPT_DRAIN_TIMEOUT: {
			unsigned int seconds = 0;
			rc = parse_seconds(optarg, &seconds);
			if (rc == 0 && seconds > DRAIN_SECONDS_MAX) {
				fprintf(stderr, "iocsift: --drain-timeout %u: at "
					"most %d seconds\n", seconds,
					DRAIN_SECONDS_MAX);
				rc = -EINVAL;
			}
			cl->replay.drain_ms = seconds * 1000u;
			break;
		}
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			return -EINVAL;
		}
		if (rc != 0)
			return rc;
	}
	cl->operands = argv + optind;
	cl->n_operands = argc - optind;
	if ((cl->feeds.count == 0) == (cl->db == NULL)) {
		fprintf(stderr, "iocsift: give -f FEED (repeatable) or --db FILE\n");
		return -EINVAL;
	}
	return 0;
}

/* grep's exit status: 0 some line hit, 1 none, 2 trouble. */
static int
command_scan(struct command_line *cl, struct pat_set *set, FILE *out)
{
	struct scan_totals totals = { 0 };
	bool unreadable = false;

	if (cl->n_operands == 0) {
		fprintf(stderr, "iocsift scan: no FILE given (use - for stdin)\n");
		return EXIT_BAD_INPUT;
	}
	cl->scan.with_filename = cl->n_operands > 1;
	for (int i = 0; i < cl->n_operands; i++)
		if (scan_file(set, cl->operands[i], &cl->scan, out, &totals) != 0)
			unreadable = true;
	if (cl->scan.output == SCAN_OUTPUT_EVENTS)
		fprintf(stderr, "iocsift scan: %" PRIu64 " files, %" PRIu64
			" lines, %" PRIu64 " hits in %" PRIu64 " lines\n",
			totals.files, totals.lines, totals.hits,
			totals.hit_lines);
	if (fflush(out) != 0 || totals.errors > 0 || unreadable)
		return EXIT_BAD_INPUT;
	return totals.hit_lines > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* grep's exit status, as scan: 0 some message hit, 1 none, 2 trouble. */
static int
command_hunt(struct command_line *cl, struct pat_set *set, FILE *out)
{
	struct hist_hunt_stats stats;
	uint64_t since_ns = 0;

	if (cl->n_operands != 1) {
		fprintf(stderr, "iocsift hunt: exactly one HISTORY_DIR is needed\n");
		return EXIT_BAD_INPUT;
	}
	if (cl->since_s > 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		uint64_t now_s = (uint64_t)now.tv_sec;
		since_ns = now_s > cl->since_s ?
			(now_s - cl->since_s) * 1000000000ULL : 0;
	}
	uint64_t start = monotonic_ns();
	int rc = hunt_directory(set, cl->operands[0], since_ns, out, &stats);
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -EACCES)
		return EXIT_BAD_INPUT;
	if (fflush(out) != 0 || rc != 0)
		return EXIT_BAD_INPUT;
	hunt_summary_print(stderr, "iocsift hunt", &stats,
			   (double)(monotonic_ns() - start) / 1e9);
	return stats.hit_messages > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* `iocsift compile`: the feeds' pattern set, saved for --db. */
static int
command_compile(struct command_line *cl, struct pat_set *set)
{
	struct error_detail err = { 0 };

	if (cl->output == NULL || cl->n_operands != 0) {
		fprintf(stderr, "iocsift compile: needs -o FILE and no operand\n");
		return EXIT_BAD_INPUT;
	}
	if (pat_set_save(set, cl->output, &err) != 0) {
		error_detail_print(stderr, "iocsift", &err);
		return EXIT_FAILURE;
	}
	fprintf(stderr, "iocsift compile: %zu indicators saved to %s\n",
		pat_set_count(set), cl->output);
	return EXIT_SUCCESS;
}

/* A UDP port is one thing: a tunnel port is not also syslog or DNS. */
static int
replay_ports_check(const struct dp_replay_options *o)
{
	const struct { const char *name; uint16_t port; } tunnels[] = {
		{ "--vxlan-port", o->decode.vxlan_port },
		{ "--geneve-port", o->decode.geneve_port },
	};

	for (size_t i = 0; i < sizeof(tunnels) / sizeof(tunnels[0]); i++) {
		uint16_t port = tunnels[i].port;
		if (port != 0 && (port == o->syslog_port || port == o->dns_port ||
				  (i == 1 && port == tunnels[0].port))) {
			fprintf(stderr, "iocsift replay: %s %u is also the"
				" syslog, DNS or other tunnel port (0 turns it"
				" off)\n", tunnels[i].name, port);
			return -EINVAL;
		}
	}
	return 0;
}

/* With sinks, their spool dir: the default one is made when missing
 * (/var/lib/iocsift 0750, spool 0700: spooled events hold raw log
 * messages); one given with --spool-dir must exist. 0 or an exit status,
 * reported. */
static int
replay_spool_prepare(const struct dp_replay_options *o)
{
	char why[DIR_PREPARE_TEXT_MAX];
	bool fallback = strcmp(o->spool_root, REPLAY_SPOOL_DEFAULT) == 0;

	if (o->n_sinks == 0)
		return 0;
	int rc = dir_prepare(o->spool_root, DIR_MODE_PRIVATE, fallback, why,
			     sizeof(why));
	if (rc == 0)
		return 0;
	fprintf(stderr, "iocsift replay: spool dir %s%s\n", why,
		fallback ? " (or give --spool-dir DIR)" : "");
	return rc == -ENOENT && !fallback ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

static int
command_replay(struct command_line *cl, struct pat_set *set, FILE *out)
{
	if (replay_ports_check(&cl->replay) != 0)
		return EXIT_BAD_INPUT;
	if (cl->n_operands != 1) {
		fprintf(stderr, "iocsift replay: exactly one CAPTURE is needed\n");
		return EXIT_BAD_INPUT;
	}
	/* Message lines are no events: nothing a sink or throttle takes. */
	if (cl->replay.messages && (cl->replay.n_sinks > 0 ||
				    cl->replay.throttle_window > 0)) {
		fprintf(stderr, "iocsift replay: --messages writes to stdout or"
			" -o, not with --sink or --throttle-window\n");
		return EXIT_BAD_INPUT;
	}
	int status = replay_spool_prepare(&cl->replay);
	if (status != 0)
		return status;
	cl->replay.capture = cl->operands[0];
	cl->replay.out = out;
	cl->replay.sinks = cl->sinks;
	cl->replay.set = set;
	dp_stream_config_init(&cl->replay.streams);
	int rc = dp_replay_run(&cl->replay);
	if (rc == -EINVAL || rc == -ENOENT)
		return EXIT_BAD_INPUT;
	if (rc == DP_REPLAY_UNDELIVERED)
		return EXIT_UNDELIVERED;
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
	struct command_line cl = {
		.replay = { .syslog_port = 514, .dns_port = 53,
			    .decode = DP_DECODE_CONFIG_DEFAULT,
			    .fragments = {
				    .datagrams_max = DP_FRAGMENT_DATAGRAMS_DEFAULT,
				    .timeout_ms = DP_FRAGMENT_TIMEOUT_MS_DEFAULT,
			    },
			    .spool_root = REPLAY_SPOOL_DEFAULT,
			    .drain_ms = 30000 },
	};

	if (argc < 2) {
		usage_short();
		return EXIT_BAD_INPUT;
	}
	const char *command = argv[1];
	if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
		printf("iocsift %s\n", IOCSIFT_VERSION);
		return EXIT_SUCCESS;
	}
	if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	/* getopt names the program by argv[0] in its messages. */
	static char label[32];
	snprintf(label, sizeof(label), "iocsift %s", command);
	argv[1] = label;
	if (strcmp(command, "run") == 0)
		return run_main(argc - 1, argv + 1);
	bool replay = strcmp(command, "replay") == 0;
	bool compile = strcmp(command, "compile") == 0;
	bool hunt = strcmp(command, "hunt") == 0;
	if (!replay && !compile && !hunt && strcmp(command, "scan") != 0) {
		fprintf(stderr, "iocsift: unknown command '%s'\n", command);
		usage_short();
		return EXIT_BAD_INPUT;
	}
	if (command_line_parse(argc - 1, argv + 1, &cl) != 0) {
		usage_short();
		return EXIT_BAD_INPUT;
	}

	struct pat_set *set = cl.db != NULL ? db_load(cl.db) :
		feeds_build(&cl.feeds);
	if (set == NULL)
		return EXIT_BAD_INPUT;
	if (compile) {
		int status = command_compile(&cl, set);
		pat_set_free(set);
		return status;
	}
	/* With sinks and no -o, events go to the sinks only. */
	FILE *out = replay && cl.replay.n_sinks > 0 ? NULL : stdout;
	if (cl.output != NULL && (out = fopen(cl.output, "w")) == NULL) {
		fprintf(stderr, "iocsift: %s: %s\n", cl.output, strerror(errno));
		pat_set_free(set);
		return EXIT_FAILURE;
	}
	int status = replay ? command_replay(&cl, set, out) :
		hunt ? command_hunt(&cl, set, out) : command_scan(&cl, set, out);
	if (out != NULL && out != stdout && fclose(out) != 0)
		status = EXIT_FAILURE;
	pat_set_free(set);
	return status;
}
