/* check.c -- `iocsift run --check` (check.h): each thing the config
 * names, checked as the daemon would use it, one line each. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fleet_follower.h"
#include "allow_list.h"
#include "format.h"
#include "sink.h"

enum check_level { CHECK_OK, CHECK_WARNING, CHECK_ERROR };

struct tally {
	FILE *out;
	unsigned int errors, warnings;
};

static void report(struct tally *tally, enum check_level level,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
report(struct tally *tally, enum check_level level, const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warning", "error" };
	va_list ap;

	fprintf(tally->out, "%-7s ", names[level]);
	va_start(ap, fmt);
	vfprintf(tally->out, fmt, ap);
	va_end(ap);
	fputc('\n', tally->out);
	tally->errors += level == CHECK_ERROR;
	tally->warnings += level == CHECK_WARNING;
}

/* ---- directories -------------------------------------------------------- */

/* The directory of path ("/a/b" -> "/a", "/a" -> "/", "b" -> "."). */
static void
parent_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* An existing directory the daemon writes into: 0, or -errno with why. */
static int
dir_writable(const char *dir, char *why, size_t size)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		int e = errno;
		snprintf(why, size, "%s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, size, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		int e = errno;
		snprintf(why, size, "%s: not writable: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

/* How the daemon treats a directory that is missing
 * (docs/deployment.md, "Directories"). */
enum dir_rule {
	DIR_NAMED,          /* named by the user: must exist */
	DIR_MADE,           /* made, one level (the socket's directory) */
	DIR_MADE_PARENTS,   /* a default: made with its missing parents */
};

/* A directory the daemon uses, checked by rule: made when missing in its
 * parent (DIR_MADE), in its nearest existing ancestor
 * (DIR_MADE_PARENTS), or in made_before, a directory the daemon makes
 * first (or NULL); refused when named. Whether it will be there. */
static bool
dir_check(struct tally *tally, const char *what, const char *dir, mode_t mode,
	  enum dir_rule rule, const char *made_before)
{
	char why[2 * PATH_MAX], parent[PATH_MAX], child[PATH_MAX];
	struct stat st;

	if (stat(dir, &st) == 0 || errno != ENOENT) {
		if (dir_writable(dir, why, sizeof(why)) == 0) {
			report(tally, CHECK_OK, "%s %s: writable", what, dir);
			return true;
		}
		report(tally, CHECK_ERROR, "%s %s", what, why);
		return false;
	}
	if (rule == DIR_NAMED) {
		report(tally, CHECK_ERROR, "%s %s: missing (a directory named "
		       "in the config or on the command line is not made); "
		       "make it: install -d -m %04o %s", what, dir,
		       (unsigned int)mode, dir);
		return false;
	}
	parent_of(dir, parent, sizeof(parent));
	if (made_before != NULL && strcmp(parent, made_before) == 0) {
		report(tally, CHECK_OK, "%s %s: missing, made (mode %04o) at "
		       "the start, after %s", what, dir, (unsigned int)mode,
		       parent);
		return true;
	}
	/* A default is made with its parents: the nearest that exists
	 * must take them. */
	while (rule == DIR_MADE_PARENTS && stat(parent, &st) != 0 &&
	       errno == ENOENT && strcmp(parent, "/") != 0 &&
	       strcmp(parent, ".") != 0) {
		snprintf(child, sizeof(child), "%s", parent);
		parent_of(child, parent, sizeof(parent));
	}
	if (dir_writable(parent, why, sizeof(why)) == 0) {
		report(tally, CHECK_OK, "%s %s: missing, made (mode %04o) at "
		       "the start in %s", what, dir, (unsigned int)mode,
		       parent);
		return true;
	}
	report(tally, CHECK_ERROR, "%s %s: missing, and its parent cannot hold "
	       "it (%s); make it: install -d -m %04o %s", what, dir, why,
	       (unsigned int)mode, dir);
	return false;
}

/* ---- the config and its ports ------------------------------------------- */

static void
config_check(struct tally *tally, const struct check_input *in)
{
	char text[ERROR_DETAIL_TEXT_MAX];
	const struct iocsift_config *cfg = in->cfg;

	if (cfg == NULL) {
		report(tally, CHECK_ERROR, "config %s",
		       error_detail_format(in->config_error, text,
					   sizeof(text)));
		return;
	}
	if (in->config_path == NULL)
		report(tally, CHECK_OK, "config: none given, the defaults");
	else
		report(tally, CHECK_OK, "config %s: %u port%s, %u feed%s, %u "
		       "sink%s", in->config_path, cfg->n_ports,
		       cfg->n_ports == 1 ? "" : "s", cfg->n_feeds,
		       cfg->n_feeds == 1 ? "" : "s", cfg->n_sinks,
		       cfg->n_sinks == 1 ? "" : "s");
	if (cfg->socket_group[0] != '\0') {
		if (getgrnam(cfg->socket_group) == NULL)
			report(tally, CHECK_ERROR, "socket group %s: no such "
			       "group", cfg->socket_group);
		else
			report(tally, CHECK_OK, "socket group %s: exists",
			       cfg->socket_group);
	}
}

/* The value of key in a vdev's "name,key=value,..." into value. */
static bool
devarg(const char *device, const char *key, char *value, size_t size)
{
	size_t klen = strlen(key);

	for (const char *s = strchr(device, ','); s != NULL;
	     s = strchr(s + 1, ',')) {
		if (strncmp(s + 1, key, klen) == 0 && s[1 + klen] == '=') {
			const char *v = s + 2 + klen;
			snprintf(value, size, "%.*s", (int)strcspn(v, ","), v);
			return true;
		}
	}
	return false;
}

static void
pci_port_check(struct tally *tally, const char *device)
{
	static const char *const dpdk_drivers[] = { "vfio-pci",
		"uio_pci_generic", "igb_uio" };
	char id[16], path[96], link[PATH_MAX];
	size_t n = strcspn(device, ",");

	/* config_keys.c took DDDD:BB:DD.F or BB:DD.F, in any case. */
	snprintf(id, sizeof(id), "%s%.*s", n == 7 ? "0000:" : "", (int)n,
		 device);
	for (char *c = id; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", id);
	if (access(path, F_OK) != 0) {
		report(tally, CHECK_ERROR, "port %s: no such PCI device (%s)",
		       device, path);
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", id);
	ssize_t len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0) {
		report(tally, CHECK_WARNING, "port %s: bound to no driver "
		       "(bind it: dpdk-devbind.py -b vfio-pci %s)", device,
		       id);
		return;
	}
	link[len] = '\0';
	const char *driver = strrchr(link, '/') != NULL ?
		strrchr(link, '/') + 1 : link;
	for (size_t i = 0; i < sizeof(dpdk_drivers) / sizeof(dpdk_drivers[0]);
	     i++) {
		if (strcmp(driver, dpdk_drivers[i]) == 0) {
			report(tally, CHECK_OK, "port %s: PCI device bound "
			       "to %s", device, driver);
			return;
		}
	}
	report(tally, CHECK_WARNING, "port %s: bound to the kernel's %s; EAL "
	       "takes it only if that driver is bifurcated (mlx5), else: "
	       "dpdk-devbind.py -b vfio-pci %s", device, driver, id);
}

/* What a vdev names that exists outside EAL: af_packet's and pcap's
 * interface, pcap's capture file. The rest shows when EAL starts. */
static void
vdev_port_check(struct tally *tally, const char *device)
{
	static const char *const iface_keys[] = { "iface", "rx_iface",
		"rx_iface_in" };
	char value[PATH_MAX], path[PATH_MAX + 32];
	bool named = false;

	for (size_t i = 0; i < sizeof(iface_keys) / sizeof(iface_keys[0]);
	     i++) {
		if (!devarg(device, iface_keys[i], value, sizeof(value)))
			continue;
		named = true;
		snprintf(path, sizeof(path), "/sys/class/net/%s", value);
		if (access(path, F_OK) == 0)
			report(tally, CHECK_OK, "port %s: interface %s exists",
			       device, value);
		else
			report(tally, CHECK_ERROR, "port %s: no interface %s",
			       device, value);
	}
	if (devarg(device, "rx_pcap", value, sizeof(value))) {
		named = true;
		if (access(value, R_OK) == 0)
			report(tally, CHECK_OK, "port %s: capture %s readable",
			       device, value);
		else
			report(tally, CHECK_ERROR, "port %s: capture %s: %s",
			       device, value, strerror(errno));
	}
	if (!named)
		report(tally, CHECK_OK, "port %s: a vdev, checked when EAL "
		       "starts", device);
}

/* ---- feeds -------------------------------------------------------------- */

static void
feeds_check(struct tally *tally, const struct check_input *in)
{
	char text[ERROR_DETAIL_TEXT_MAX];

	for (unsigned int i = 0; i < in->n_feeds; i++) {
		struct error_detail err = { 0 };
		struct pat_feed feed;

		pat_feed_init(&feed);
		if (pat_feed_load_file(&feed, in->feeds[i], in->formats[i],
				       &err) != 0) {
			/* err names the file (and the line when there is
			 * one). */
			report(tally, CHECK_ERROR, "feed %s",
			       error_detail_format(&err, text, sizeof(text)));
		} else if (feed.count == 0) {
			report(tally, CHECK_WARNING, "feed %s: no "
			       "indicator%s%s", in->feeds[i], feed.skipped > 0 ?
			       ", every record skipped; first: " : "",
			       feed.first_skip);
		} else if (feed.skipped > 0) {
			report(tally, CHECK_OK, "feed %s: %zu indicators, %zu "
			       "skipped (first: %s)", in->feeds[i], feed.count,
			       feed.skipped, feed.first_skip);
		} else {
			report(tally, CHECK_OK, "feed %s: %zu indicators",
			       in->feeds[i], feed.count);
		}
		pat_feed_free(&feed);
	}
}

/* ---- sinks -------------------------------------------------------------- */

static void
file_sink_check(struct tally *tally, const struct exp_sink_config *sink)
{
	char dir[PATH_MAX], why[2 * PATH_MAX];
	struct stat st;

	parent_of(sink->path, dir, sizeof(dir));
	if (stat(sink->path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			report(tally, CHECK_ERROR, "sink %s: %s: not a "
			       "regular file", sink->name, sink->path);
		else if (access(sink->path, W_OK) != 0)
			report(tally, CHECK_ERROR, "sink %s: %s: not "
			       "writable: %s", sink->name, sink->path,
			       strerror(errno));
		else
			report(tally, CHECK_OK, "sink %s: %s writable "
			       "(appended to)", sink->name, sink->path);
		return;
	}
	/* The sink creates its file, never the directory. */
	int rc = dir_writable(dir, why, sizeof(why));
	if (rc == 0)
		report(tally, CHECK_OK, "sink %s: %s created when the sink "
		       "opens it, in a writable %s", sink->name, sink->path,
		       dir);
	else if (rc == -ENOENT)
		report(tally, CHECK_ERROR, "sink %s: directory %s; make it: "
		       "install -d -m 0750 %s", sink->name, why, dir);
	else
		report(tally, CHECK_ERROR, "sink %s: directory %s", sink->name,
		       why);
}

/* Whether the receiver answers: resolved, and for TCP and TLS one TCP
 * connection made and closed (no TLS handshake, nothing sent). A failure
 * is a warning: the sink reconnects on its own and spools meanwhile. */
static void
net_sink_check(struct tally *tally, const char *what,
	       const struct exp_sink_config *sink)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res, *ai;
	char port[8], address[NI_MAXHOST], why[NI_MAXHOST + 128] = "";
	const char *after = strcmp(what, "sink") != 0 ?
		"the fleet is followed once it answers" :
		sink->spool_max > 0 ?
		"events wait in the spool until it answers" :
		"events are dropped while it is away (no spool)";
	int rc;

	hints.ai_socktype = sink->kind == EXP_SINK_UDP ? SOCK_DGRAM :
		SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", sink->port);
	rc = getaddrinfo(sink->host, port, &hints, &res);
	if (rc != 0) {
		report(tally, CHECK_WARNING, "%s %s: cannot resolve %s: %s; "
		       "%s", what, sink->name, sink->host, rc == EAI_SYSTEM ?
		       strerror(errno) : gai_strerror(rc), after);
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, address,
				sizeof(address), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(address, sizeof(address), "%s", sink->host);
		if (sink->kind == EXP_SINK_UDP) {
			report(tally, CHECK_OK, "%s %s: %s resolves to %s "
			       "(UDP: nothing to connect to)", what, sink->name,
			       sink->host, address);
			freeaddrinfo(res);
			return;
		}
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			continue;
		}
		int e = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			e = errno;
			if (e == EINPROGRESS) {
				struct pollfd p = { .fd = fd,
						    .events = POLLOUT };
				socklen_t len = sizeof(e);
				if (poll(&p, 1, CHECK_CONNECT_TIMEOUT_MS) != 1)
					e = ETIMEDOUT;
				else if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
						    &e, &len) != 0)
					e = errno;
			}
		}
		close(fd);
		if (e == 0) {
			report(tally, CHECK_OK, "%s %s: connected to %s port "
			       "%s (closed again, nothing sent)", what, sink->name,
			       address, port);
			freeaddrinfo(res);
			return;
		}
		if (e == ETIMEDOUT)
			snprintf(why, sizeof(why), "%s port %s: no answer in "
				 "%d ms", address, port,
				 CHECK_CONNECT_TIMEOUT_MS);
		else
			snprintf(why, sizeof(why), "%s port %s: %s", address,
				 port, strerror(e));
	}
	freeaddrinfo(res);
	report(tally, CHECK_WARNING, "%s %s: cannot connect to %s (%s); %s",
	       what, sink->name, sink->host, why, after);
}

/* state_dir: the state dir when it will exist, else NULL. */
static void
sinks_check(struct tally *tally, const struct check_input *in,
	    const char *state_dir)
{
	static struct exp_sink_config configs[CFG_SINKS_MAX + 1];
	bool parsed[CFG_SINKS_MAX + 1] = { false };
	bool spooled = false;
	char text[ERROR_DETAIL_TEXT_MAX];
	const char *spool_root = in->cfg->spool_dir;
	unsigned int n = in->n_sinks < CFG_SINKS_MAX + 1 ? in->n_sinks :
		CFG_SINKS_MAX + 1;

	if (n == 0)
		report(tally, CHECK_OK, "sinks: none, events go to stdout");
	for (unsigned int i = 0; i < n; i++) {
		struct exp_sink_config *sink = &configs[i];
		struct error_detail err = { 0 };
		enum exp_format format;

		if (exp_sink_parse_uri(in->sinks[i], sink, &err) != 0) {
			report(tally, CHECK_ERROR, "%s",
			       error_detail_format(&err, text, sizeof(text)));
			continue;
		}
		if (exp_format_from_name(sink->format, &format) != 0) {
			report(tally, CHECK_ERROR, "sink %s: unknown format "
			       "'%s'", sink->name, sink->format);
			continue;
		}
		parsed[i] = true;
		bool clash = false;
		for (unsigned int j = 0; j < i; j++) {
			if (parsed[j] && sink->spool_max > 0 &&
			    configs[j].spool_max > 0 &&
			    strcmp(configs[j].name, sink->name) == 0) {
				report(tally, CHECK_ERROR, "sink %s: the name "
				       "of an earlier sink too, so both would "
				       "spool in %s/%s (give one name=...)",
				       sink->name, spool_root, sink->name);
				clash = true;
				break;
			}
		}
		if (clash)
			continue;
		spooled |= sink->spool_max > 0;
		switch (sink->kind) {
		case EXP_SINK_FILE:
			file_sink_check(tally, sink);
			break;
		case EXP_SINK_TLS:
			if (exp_sink_check_tls(sink, &err) != 0) {
				report(tally, CHECK_ERROR, "sink %s: %s",
				       sink->name, error_detail_format(&err,
					       text, sizeof(text)));
				break;
			}
			net_sink_check(tally, "sink", sink);
			break;
		case EXP_SINK_NATS:
			if (exp_sink_check_nats(sink, &err) != 0) {
				report(tally, CHECK_ERROR, "sink %s: %s",
				       sink->name, error_detail_format(&err,
					       text, sizeof(text)));
				break;
			}
			net_sink_check(tally, "sink", sink);
			break;
		case EXP_SINK_UDP:
		case EXP_SINK_TCP:
			net_sink_check(tally, "sink", sink);
			break;
		}
	}
	/* Where every sink with a spool keeps it, spool_dir/NAME. */
	if (spooled) {
		/* STATE_DIR/spool is the default, made; another is named. */
		char fallback[CFG_PATH_MAX + 8];
		snprintf(fallback, sizeof(fallback), "%s/spool",
			 in->cfg->state_dir);
		dir_check(tally, "spool dir", spool_root, 0700,
			  strcmp(spool_root, fallback) == 0 ?
			  DIR_MADE_PARENTS : DIR_NAMED, state_dir);
	}
	for (unsigned int i = 0; spooled && i < n; i++) {
		char dir[PATH_MAX + 80], why[2 * PATH_MAX + 160];
		if (!parsed[i] || configs[i].spool_max == 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", spool_root,
			 configs[i].name);
		if (access(dir, F_OK) == 0 &&
		    dir_writable(dir, why, sizeof(why)) != 0)
			report(tally, CHECK_ERROR, "spool of sink %s: %s",
			       configs[i].name, why);
	}
}

/* [control] fleet: the URI parses as nats://, the client's options and
 * files load, and the server answers on TCP (a warning: the follower
 * connects on its own later). */
static void
fleet_check(struct tally *tally, const struct iocsift_config *cfg)
{
	struct exp_sink_config fleet;
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];

	if (cfg->fleet[0] == '\0')
		return;
	if (fleet_follower_config(cfg->fleet, "", &fleet, &err) != 0 ||
	    exp_sink_check_nats(&fleet, &err) != 0) {
		report(tally, CHECK_ERROR, "fleet: %s",
		       error_detail_format(&err, text, sizeof(text)));
		return;
	}
	snprintf(fleet.name, sizeof(fleet.name), "%s",
		 fleet.site[0] != '\0' ? fleet.site : "(the host name)");
	net_sink_check(tally, "fleet, as", &fleet);
}

/* ---- the whole ---------------------------------------------------------- */

/* [history]: its directory, STATE_DIR/history (made, 0700) unless one
 * is named (must exist). */
static void
history_check(struct tally *tally, const struct iocsift_config *cfg,
	      const char *state_dir)
{
	char fallback[CFG_PATH_MAX + 16];

	if (cfg->history_messages == 0) {
		report(tally, CHECK_OK, "history: none (history_messages = none)");
		return;
	}
	snprintf(fallback, sizeof(fallback), "%s/history", cfg->state_dir);
	bool named = cfg->history_dir[0] != '\0' &&
		strcmp(cfg->history_dir, fallback) != 0;
	dir_check(tally, "history dir", named ? cfg->history_dir : fallback,
		  0700, named ? DIR_NAMED : DIR_MADE_PARENTS, state_dir);
}

/* [exports]: the directory (named: must exist) and the allow-list,
 * parsed as each write will. */
static void
exports_check(struct tally *tally, const struct iocsift_config *cfg)
{
	struct ctl_allow_list allow;
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];

	if (cfg->export_dir[0] != '\0')
		dir_check(tally, "export dir", cfg->export_dir, 0755, DIR_NAMED,
			  NULL);
	if (cfg->export_allow[0] == '\0')
		return;
	if (ctl_allow_load(&allow, cfg->export_allow, &err) != 0) {
		report(tally, CHECK_ERROR, "export allow-list %s (nothing would "
		       "be exported)", error_detail_format(&err, text,
							    sizeof(text)));
		return;
	}
	report(tally, CHECK_OK, "export allow-list %s: %zu names, %zu address "
	       "ranges", cfg->export_allow, allow.n_domains, allow.n_ranges);
	ctl_allow_free(&allow);
}

unsigned int
check_run(const struct check_input *in, FILE *out)
{
	struct tally tally = { .out = out };
	const struct iocsift_config *cfg = in->cfg;
	char dir[PATH_MAX];

	config_check(&tally, in);
	if (cfg != NULL) {
		for (unsigned int p = 0; p < cfg->n_ports; p++) {
			if (cfg->ports[p].is_pci)
				pci_port_check(&tally, cfg->ports[p].device);
			else
				vdev_port_check(&tally, cfg->ports[p].device);
		}
		feeds_check(&tally, in);
		bool state = dir_check(&tally, "state dir", cfg->state_dir,
				       0750, strcmp(cfg->state_dir,
						    CFG_STATE_DIR_DEFAULT) == 0 ?
				       DIR_MADE_PARENTS : DIR_NAMED, NULL);
		parent_of(cfg->socket_path, dir, sizeof(dir));
		dir_check(&tally, "control socket directory", dir, 0755,
			  DIR_MADE, NULL);
		sinks_check(&tally, in, state ? cfg->state_dir : NULL);
		fleet_check(&tally, cfg);
		history_check(&tally, cfg, state ? cfg->state_dir : NULL);
		exports_check(&tally, cfg);
	}
	fprintf(out, "iocsift run --check: %u error%s, %u warning%s\n",
		tally.errors, tally.errors == 1 ? "" : "s", tally.warnings,
		tally.warnings == 1 ? "" : "s");
	fflush(out);
	return tally.errors;
}
