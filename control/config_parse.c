/* config_parse.c -- reads the INI-like configuration file of `iocsift
 * run` (config.h): lines, sections, the checks across keys, the file. */

/*
 * Pure C and libc, so it unit-tests and fuzzes without EAL. The whole
 * file is parsed into a configuration built aside and copied out only
 * when every line and every cross-check passed: the caller never sees
 * half a configuration. Each key's value is read in config_keys.c. The
 * format, for operators: docs/configuration.md.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"

/* ---- lines and sections ------------------------------------------------- */

/* The [port] being read ends: it must have named its device. */
static int
end_port(struct cfg_parser *p)
{
	struct cfg_port *port = p->port;

	p->port = NULL;
	if (port != NULL && port->device[0] == '\0')
		return cfg_parse_error(p, port->line,
				       "key 'device': required in every [port]");
	return 0;
}

static int
parse_section(struct cfg_parser *p, char *s)
{
	char *close = strchr(s, ']'), *name, *rest, q[CFG_QUOTE_MAX];
	enum cfg_section sec;
	int rc;

	if (close == NULL)
		return cfg_parse_error(p, p->lineno, "section header without ']'");
	*close = '\0';
	name = cfg_trim(s + 1);
	rest = cfg_trim(close + 1);
	if (*rest != '\0' && *rest != '#')
		return cfg_parse_error(p, p->lineno, "unexpected text after [%s]",
				       cfg_quote(q, sizeof(q), name));
	for (sec = CFG_SEC_NONE + 1; sec < CFG_SEC_COUNT; sec++) {
		if (strcmp(name, cfg_section_names[sec]) == 0)
			break;
	}
	if (sec == CFG_SEC_COUNT)
		return cfg_parse_error(p, p->lineno, "unknown section [%s]",
				       cfg_quote(q, sizeof(q), name));
	rc = end_port(p);
	if (rc != 0)
		return rc;
	if (sec == CFG_SEC_PORT) {
		if (p->cfg.n_ports == CFG_PORTS_MAX)
			return cfg_parse_error(p, p->lineno,
					       "at most %u [port] sections",
					       CFG_PORTS_MAX);
		p->port = &p->cfg.ports[p->cfg.n_ports++];
		p->port->symmetric_rss = true;
		p->port->line = p->lineno;
		for (unsigned int k = 0; k < CFG_KEY_COUNT; k++) {
			if (cfg_keys[k].section == CFG_SEC_PORT)
				p->key_line[k] = 0;
		}
	} else if (p->section_line[sec] != 0) {
		return cfg_parse_error(p, p->lineno,
				       "section [%s] already given at line %u (only [port] repeats)",
				       name, p->section_line[sec]);
	}
	p->section_line[sec] = p->lineno;
	p->section = sec;
	return 0;
}

static int
parse_line(struct cfg_parser *p, char *line)
{
	char *s = cfg_trim(line), *eq, *key, *value, q[CFG_QUOTE_MAX];
	const char *hint = "";
	unsigned int k;

	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	eq = strchr(s, '=');
	if (eq == NULL)
		return cfg_parse_error(p, p->lineno,
				       "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = cfg_trim(s);
	value = cfg_strip_comment(eq + 1);
	if (*key == '\0')
		return cfg_parse_error(p, p->lineno, "missing key before '='");
	if (p->section == CFG_SEC_NONE)
		return cfg_parse_error(p, p->lineno, "key '%s' outside any section",
				       cfg_quote(q, sizeof(q), key));
	for (k = 0; k < CFG_KEY_COUNT; k++) {
		if (strcmp(key, cfg_keys[k].name) != 0)
			continue;
		if (cfg_keys[k].section == p->section)
			break;
		hint = cfg_section_names[cfg_keys[k].section];
	}
	if (k == CFG_KEY_COUNT)
		return cfg_parse_error(p, p->lineno, "unknown key '%s' in [%s]%s%s%s",
				       cfg_quote(q, sizeof(q), key),
				       cfg_section_names[p->section],
				       *hint != '\0' ? " (it belongs in [" : "",
				       hint, *hint != '\0' ? "])" : "");
	if (!(cfg_keys[k].flags & CFG_KEY_REPEATS) && p->key_line[k] != 0)
		return cfg_key_error(p, k, "already set at line %u", p->key_line[k]);
	if (*value == '\0' && !(cfg_keys[k].flags & CFG_KEY_EMPTY_OK))
		return cfg_key_error(p, k, "value is empty");
	p->key_line[k] = p->lineno;
	return cfg_key_set(p, k, value);
}

/* Keys a and b both claim port. The key given last (or the only one
 * given) is the one to fix. */
static int
port_clash(struct cfg_parser *p, enum cfg_key_id a, enum cfg_key_id b,
	   unsigned int port)
{
	unsigned int la = p->key_line[a], lb = p->key_line[b];
	enum cfg_key_id fix = la > lb ? a : b, other = la > lb ? b : a;
	bool list = other == CFG_KEY_SYSLOG_PORTS || other == CFG_KEY_DNS_PORTS ||
		other == CFG_KEY_SYSLOG_TCP_PORTS ||
		other == CFG_KEY_DNS_TCP_PORTS;

	p->lineno = la > lb ? la : lb;
	return cfg_key_error(p, fix, "port %u is also %s%s", port,
			     list ? "in " : "", cfg_keys[other].name);
}

/* Port is in the list of key k: 0, or the clash with key t. */
static int
port_list_check(struct cfg_parser *p, enum cfg_key_id k,
		const uint16_t *ports, unsigned int n, enum cfg_key_id t,
		uint16_t port)
{
	for (unsigned int i = 0; i < n; i++)
		if (ports[i] == port)
			return port_clash(p, k, t, port);
	return 0;
}

/* A UDP port carries one thing: syslog, DNS, VXLAN or Geneve; a TCP port
 * syslog or DNS. */
static int
ports_check(struct cfg_parser *p)
{
	const struct iocsift_config *cfg = &p->cfg;
	const struct { enum cfg_key_id key; uint16_t port; } tunnels[] = {
		{ CFG_KEY_VXLAN_PORT, cfg->vxlan_port },
		{ CFG_KEY_GENEVE_PORT, cfg->geneve_port },
	};
	size_t n_tunnels = sizeof(tunnels) / sizeof(tunnels[0]);
	int rc = 0;

	for (unsigned int i = 0; rc == 0 && i < cfg->n_syslog_ports; i++)
		rc = port_list_check(p, CFG_KEY_DNS_PORTS, cfg->dns_ports,
				     cfg->n_dns_ports, CFG_KEY_SYSLOG_PORTS,
				     cfg->syslog_ports[i]);
	for (unsigned int i = 0; rc == 0 && i < cfg->n_syslog_tcp_ports; i++)
		rc = port_list_check(p, CFG_KEY_DNS_TCP_PORTS,
				     cfg->dns_tcp_ports, cfg->n_dns_tcp_ports,
				     CFG_KEY_SYSLOG_TCP_PORTS,
				     cfg->syslog_tcp_ports[i]);
	for (size_t i = 0; rc == 0 && i < n_tunnels; i++) {
		if (tunnels[i].port == 0)
			continue;
		rc = port_list_check(p, CFG_KEY_SYSLOG_PORTS, cfg->syslog_ports,
				     cfg->n_syslog_ports, tunnels[i].key,
				     tunnels[i].port);
		if (rc == 0)
			rc = port_list_check(p, CFG_KEY_DNS_PORTS,
					     cfg->dns_ports, cfg->n_dns_ports,
					     tunnels[i].key, tunnels[i].port);
	}
	if (rc == 0 && cfg->vxlan_port != 0 &&
	    cfg->vxlan_port == cfg->geneve_port)
		rc = port_clash(p, CFG_KEY_VXLAN_PORT, CFG_KEY_GENEVE_PORT,
				cfg->vxlan_port);
	return rc;
}

/* Checks across keys, once every line is read. */
static int
parse_end(struct cfg_parser *p)
{
	int rc = end_port(p);

	if (rc != 0)
		return rc;
	return ports_check(p);
}

static int
parse_text(struct cfg_parser *p, const char *text, size_t len)
{
	size_t pos = 0;
	int rc;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;

		pos += n + (nl != NULL);
		p->lineno++;
		if (memchr(start, '\0', n) != NULL)
			return cfg_parse_error(p, p->lineno, "NUL byte in line");
		if (n > CFG_LINE_MAX)
			return cfg_parse_error(p, p->lineno,
					       "line longer than %u bytes",
					       CFG_LINE_MAX);
		memcpy(p->line, start, n);
		p->line[n] = '\0';
		rc = parse_line(p, p->line);
		if (rc != 0)
			return rc;
	}
	return parse_end(p);
}

/* ---- public ------------------------------------------------------------- */

void
cfg_defaults(struct iocsift_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->syslog_ports[0] = 514;
	cfg->n_syslog_ports = 1;
	cfg->dns_ports[0] = 53;
	cfg->n_dns_ports = 1;
	cfg->vxlan_port = 4789;          /* DP_DECODE_VXLAN_PORT, the IANA's */
	cfg->geneve_port = 6081;         /* DP_DECODE_GENEVE_PORT */
	cfg->syslog_tcp_ports[0] = 514;
	cfg->syslog_tcp_ports[1] = 601;
	cfg->n_syslog_tcp_ports = 2;
	cfg->dns_tcp_ports[0] = 53;
	cfg->n_dns_tcp_ports = 1;
	cfg->tcp_streams = 16384;        /* DP_STREAM_STREAMS_MAX_DEFAULT */
	cfg->tcp_buffer = 16;            /* DP_STREAM_BUFFER_BYTES_MAX_DEFAULT */
	cfg->tcp_idle_timeout = 60;      /* DP_STREAM_IDLE_TIMEOUT_NS_DEFAULT */
	cfg->fragment_datagrams = 512;   /* DP_FRAGMENT_DATAGRAMS_DEFAULT */
	cfg->fragment_timeout = 30;      /* DP_FRAGMENT_TIMEOUT_MS_DEFAULT */
	cfg->mbufs = 16383;
	cfg->hit_records = 8191;
	cfg->hit_ring_size = 4096;
	cfg->rx_descriptors = 1024;
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
		 "/run/iocsift/control.sock");
	cfg->socket_mode = 0660;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s",
		 CFG_STATE_DIR_DEFAULT);
	cfg->telemetry = true;
	cfg->rollback_depth = 8;
	cfg->compact_threshold = 1000;
	cfg->shrink_percent = 50;
	cfg->throttle_window = 60;
	cfg->history_messages = CFG_HISTORY_SYSLOG | CFG_HISTORY_DNS;
	cfg->history_max_size = 1ULL << 30;
	cfg->history_max_age = 86400;
	cfg->hunt_on_change = true;
	cfg->hunt_max_indicators = 100000;
	cfg->export_formats = CFG_EXPORT_ALL;
}

void
cfg_release(struct iocsift_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_eal_args; i++) {
		free(cfg->eal_args[i]);
		cfg->eal_args[i] = NULL;
	}
	cfg->n_eal_args = 0;
}

int
cfg_set_eal_args(struct iocsift_config *cfg, const char *text)
{
	char *args[CFG_EAL_ARGS_MAX];
	unsigned int n = 0;
	const char *s = text != NULL ? text : "";

	for (;;) {
		size_t len;

		while (cfg_is_space(*s))
			s++;
		if (*s == '\0')
			break;
		for (len = 0; s[len] != '\0' && !cfg_is_space(s[len]); len++)
			;
		if (n == CFG_EAL_ARGS_MAX)
			goto too_many;
		args[n] = strndup(s, len);
		if (args[n] == NULL)
			goto no_memory;
		n++;
		s += len;
	}
	cfg_release(cfg);
	memcpy(cfg->eal_args, args, n * sizeof(args[0]));
	cfg->n_eal_args = n;
	return 0;
too_many:
	while (n > 0)
		free(args[--n]);
	return -E2BIG;
no_memory:
	while (n > 0)
		free(args[--n]);
	return -ENOMEM;
}

int
cfg_parse(struct iocsift_config *cfg, const char *file_label,
	  const char *text, size_t len, struct error_detail *err)
{
	struct cfg_parser *p;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		error_detail_set(err, file_label, 0, "out of memory");
		return -ENOMEM;
	}
	cfg_defaults(&p->cfg);
	p->label = file_label;
	p->err = err;
	rc = parse_text(p, text != NULL ? text : "", text != NULL ? len : 0);
	if (rc == 0) {
		cfg_release(cfg);
		/* The eal_args move to cfg; memcpy() keeps the padding
		 * as cfg_defaults() zeroed it. */
		memcpy(cfg, &p->cfg, sizeof(*cfg));
	} else {
		cfg_release(&p->cfg);
	}
	free(p);
	return rc;
}

int
cfg_load(struct iocsift_config *cfg, const char *path, struct error_detail *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = file_read_all(path, CFG_FILE_MAX, &text, &len);

	if (rc == -EFBIG) {
		error_detail_set(err, path, 0, "larger than %u bytes (1 MiB)",
			      CFG_FILE_MAX);
		return rc;
	}
	if (rc != 0) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	rc = cfg_parse(cfg, path, text, len, err);
	free(text);
	return rc;
}
