/* fuzz_config.c -- arbitrary bytes to the configuration file parser. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A string field ends inside its array and, when it must, is not empty. */
static void
check_string(const char *s, size_t size, bool required)
{
	size_t n = strnlen(s, size);

	if (n == size || (required && n == 0))
		abort();
}

static void
check_l4_ports(const uint16_t *ports, unsigned int n)
{
	if (n == 0 || n > CFG_L4_PORTS_MAX)
		abort();
	for (unsigned int i = 0; i < n; i++) {
		if (ports[i] == 0)
			abort();
	}
}

/* A tunnel's port (0: off) is no syslog or DNS port. */
static void
check_tunnel_port(const struct iocsift_config *cfg, uint16_t port)
{
	for (unsigned int i = 0; port != 0 && i < cfg->n_syslog_ports; i++)
		if (cfg->syslog_ports[i] == port)
			abort();
	for (unsigned int i = 0; port != 0 && i < cfg->n_dns_ports; i++)
		if (cfg->dns_ports[i] == port)
			abort();
}

/* What a successful parse promises the caller. */
static void
check_config(const struct iocsift_config *cfg)
{
	check_l4_ports(cfg->syslog_ports, cfg->n_syslog_ports);
	check_l4_ports(cfg->dns_ports, cfg->n_dns_ports);
	for (unsigned int i = 0; i < cfg->n_syslog_ports; i++) {
		for (unsigned int j = 0; j < cfg->n_dns_ports; j++) {
			if (cfg->syslog_ports[i] == cfg->dns_ports[j])
				abort();
		}
	}
	check_tunnel_port(cfg, cfg->vxlan_port);
	check_tunnel_port(cfg, cfg->geneve_port);
	if (cfg->vxlan_port != 0 && cfg->vxlan_port == cfg->geneve_port)
		abort();
	if (cfg->mbufs < 1023 || cfg->mbufs > 4194303 ||
	    cfg->hit_records < 255 || cfg->hit_records > 1048575 ||
	    cfg->hit_ring_size < 256 || cfg->hit_ring_size > 1048576 ||
	    (cfg->hit_ring_size & (cfg->hit_ring_size - 1)) != 0 ||
	    cfg->rx_descriptors < 64 || cfg->rx_descriptors > 16384)
		abort();
	if (cfg->n_eal_args > CFG_EAL_ARGS_MAX)
		abort();
	for (unsigned int i = 0; i < cfg->n_eal_args; i++) {
		if (cfg->eal_args[i] == NULL || cfg->eal_args[i][0] == '\0')
			abort();
	}
	if (cfg->n_ports > CFG_PORTS_MAX)
		abort();
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct cfg_port *port = &cfg->ports[i];

		check_string(port->device, sizeof(port->device), true);
		if (port->rx_queues > 128 ||
		    port->n_lcores > CFG_PORT_LCORES_MAX || port->line == 0)
			abort();
		for (unsigned int j = 0; j < port->n_lcores; j++) {
			if (port->lcores[j] > 1023)
				abort();
		}
	}
	check_string(cfg->socket_path, sizeof(cfg->socket_path), true);
	check_string(cfg->socket_group, sizeof(cfg->socket_group), false);
	check_string(cfg->state_dir, sizeof(cfg->state_dir), true);
	check_string(cfg->prometheus, sizeof(cfg->prometheus), false);
	if (cfg->socket_path[0] != '/' || cfg->state_dir[0] != '/' ||
	    cfg->socket_mode > 0777 || cfg->rollback_depth < 1 ||
	    cfg->rollback_depth > 64 || cfg->compact_threshold < 1 ||
	    cfg->compact_threshold > 1000000)
		abort();
	if (cfg->prometheus[0] != '\0') {
		char host[64];
		uint16_t port;

		if (cfg_parse_listen(cfg->prometheus, host, sizeof(host),
				     &port) != 0)
			abort();
	}
	if (cfg->n_feeds > CFG_FEEDS_MAX || cfg->n_sinks > CFG_SINKS_MAX)
		abort();
	for (unsigned int i = 0; i < cfg->n_feeds; i++) {
		check_string(cfg->feeds[i].path, sizeof(cfg->feeds[i].path),
			     true);
		check_string(cfg->feeds[i].format,
			     sizeof(cfg->feeds[i].format), true);
		if (cfg->feeds[i].line == 0)
			abort();
	}
	for (unsigned int i = 0; i < cfg->n_sinks; i++) {
		check_string(cfg->sinks[i], sizeof(cfg->sinks[i]), true);
		if (strstr(cfg->sinks[i], "://") == NULL)
			abort();
	}
	/* [exports]: absolute paths or none, known formats, filters only
	 * of types their format carries. */
	check_string(cfg->export_dir, sizeof(cfg->export_dir), false);
	check_string(cfg->export_allow, sizeof(cfg->export_allow), false);
	if ((cfg->export_dir[0] != '\0' && cfg->export_dir[0] != '/') ||
	    (cfg->export_allow[0] != '\0' && cfg->export_allow[0] != '/') ||
	    (cfg->export_formats & ~CFG_EXPORT_ALL) != 0)
		abort();
	for (unsigned int f = 0; f < CFG_EXPORT_FORMATS; f++) {
		const struct cfg_export_filter *filter = &cfg->export_filters[f];

		check_string(filter->feeds, sizeof(filter->feeds), false);
		if (filter->line == 0 ? filter->types != 0 ||
					filter->feeds[0] != '\0' ||
					filter->min_severity != 0 :
		    (filter->types & ~cfg_export_format_types(f)) != 0 ||
		    filter->min_severity > 4)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Static only for their size; both are set afresh on every call. */
	static struct iocsift_config cfg_storage, defaults_storage;
	struct iocsift_config *cfg = &cfg_storage;
	struct iocsift_config *defaults = &defaults_storage;
	struct error_detail err;
	int rc;

	cfg_defaults(cfg);
	cfg_defaults(defaults);
	memset(&err, 0, sizeof(err));
	rc = cfg_parse(cfg, "fuzz.conf", (const char *)data, size, &err);
	if (rc == 0) {
		check_config(cfg);
		/* Parsing again over a configuration that owns arguments
		 * gives the same result and frees the old ones (ASan). */
		rc = cfg_parse(cfg, "fuzz.conf", (const char *)data, size,
			       &err);
		if (rc != 0)
			abort();
		check_config(cfg);
	} else {
		/* All or nothing, and every error says where and what. */
		if (rc != -EINVAL && rc != -ENOMEM)
			abort();
		if (err.message[0] == '\0' ||
		    strnlen(err.message, sizeof(err.message)) ==
		    sizeof(err.message) ||
		    strcmp(err.where, "fuzz.conf") != 0 ||
		    (rc == -EINVAL && err.line == 0))
			abort();
		if (memcmp(cfg, defaults, sizeof(*cfg)) != 0)
			abort();
	}
	cfg_release(cfg);
	return 0;
}
