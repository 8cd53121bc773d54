/* config_compare.c -- which keys differ between two configurations: what
 * SIGHUP reports as taking effect only at the next start. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "config_keys.h"

static bool
ports_same(const uint16_t *a, unsigned int n_a, const uint16_t *b,
	   unsigned int n_b)
{
	return n_a == n_b && memcmp(a, b, n_a * sizeof(a[0])) == 0;
}

static bool
eal_args_same(const struct iocsift_config *a, const struct iocsift_config *b)
{
	if (a->n_eal_args != b->n_eal_args)
		return false;
	for (unsigned int i = 0; i < a->n_eal_args; i++)
		if (strcmp(a->eal_args[i], b->eal_args[i]) != 0)
			return false;
	return true;
}

static bool
feeds_same(const struct iocsift_config *a, const struct iocsift_config *b)
{
	if (a->n_feeds != b->n_feeds)
		return false;
	for (unsigned int i = 0; i < a->n_feeds; i++)
		if (strcmp(a->feeds[i].path, b->feeds[i].path) != 0 ||
		    strcmp(a->feeds[i].format, b->feeds[i].format) != 0)
			return false;
	return true;
}

static bool
sinks_same(const struct iocsift_config *a, const struct iocsift_config *b)
{
	if (a->n_sinks != b->n_sinks)
		return false;
	for (unsigned int i = 0; i < a->n_sinks; i++)
		if (strcmp(a->sinks[i], b->sinks[i]) != 0)
			return false;
	return true;
}

/* Where a filter was given does not count. */
static bool
export_filters_same(const struct iocsift_config *a,
		    const struct iocsift_config *b)
{
	for (unsigned int i = 0; i < CFG_EXPORT_FORMATS; i++) {
		const struct cfg_export_filter *fa = &a->export_filters[i];
		const struct cfg_export_filter *fb = &b->export_filters[i];

		if ((fa->line != 0) != (fb->line != 0) ||
		    fa->types != fb->types ||
		    fa->min_severity != fb->min_severity ||
		    strcmp(fa->feeds, fb->feeds) != 0)
			return false;
	}
	return true;
}

/* A key of [port]: the same in every section both have (where the
 * sections start does not matter). */
static bool
port_key_same(const struct iocsift_config *a, const struct iocsift_config *b,
	      enum cfg_key_id k)
{
	unsigned int n = a->n_ports < b->n_ports ? a->n_ports : b->n_ports;

	for (unsigned int i = 0; i < n; i++) {
		const struct cfg_port *pa = &a->ports[i], *pb = &b->ports[i];
		bool same = true;

		switch (k) {
		case CFG_KEY_DEVICE:
			same = strcmp(pa->device, pb->device) == 0;
			break;
		case CFG_KEY_RX_QUEUES:
			same = pa->rx_queues == pb->rx_queues;
			break;
		case CFG_KEY_LCORES:
			same = ports_same(pa->lcores, pa->n_lcores, pb->lcores,
					  pb->n_lcores);
			break;
		case CFG_KEY_SYMMETRIC_RSS:
			same = pa->symmetric_rss == pb->symmetric_rss;
			break;
		case CFG_KEY_AF_PACKET_OUTGOING:
			same = pa->af_packet_outgoing == pb->af_packet_outgoing;
			break;
		default:
			break;
		}
		if (!same)
			return false;
	}
	return true;
}

static bool
key_same(const struct iocsift_config *a, const struct iocsift_config *b,
	 enum cfg_key_id k)
{
	switch (k) {
	case CFG_KEY_SYSLOG_PORTS:
		return ports_same(a->syslog_ports, a->n_syslog_ports,
				  b->syslog_ports, b->n_syslog_ports);
	case CFG_KEY_DNS_PORTS:
		return ports_same(a->dns_ports, a->n_dns_ports, b->dns_ports,
				  b->n_dns_ports);
	case CFG_KEY_VXLAN_PORT:
		return a->vxlan_port == b->vxlan_port;
	case CFG_KEY_GENEVE_PORT:
		return a->geneve_port == b->geneve_port;
	case CFG_KEY_SYSLOG_TCP_PORTS:
		return ports_same(a->syslog_tcp_ports, a->n_syslog_tcp_ports,
				  b->syslog_tcp_ports, b->n_syslog_tcp_ports);
	case CFG_KEY_DNS_TCP_PORTS:
		return ports_same(a->dns_tcp_ports, a->n_dns_tcp_ports,
				  b->dns_tcp_ports, b->n_dns_tcp_ports);
	case CFG_KEY_TCP_STREAMS:
		return a->tcp_streams == b->tcp_streams;
	case CFG_KEY_TCP_BUFFER:
		return a->tcp_buffer == b->tcp_buffer;
	case CFG_KEY_TCP_IDLE_TIMEOUT:
		return a->tcp_idle_timeout == b->tcp_idle_timeout;
	case CFG_KEY_FRAGMENT_DATAGRAMS:
		return a->fragment_datagrams == b->fragment_datagrams;
	case CFG_KEY_FRAGMENT_TIMEOUT:
		return a->fragment_timeout == b->fragment_timeout;
	case CFG_KEY_MBUFS:
		return a->mbufs == b->mbufs;
	case CFG_KEY_HIT_RECORDS:
		return a->hit_records == b->hit_records;
	case CFG_KEY_HIT_RING_SIZE:
		return a->hit_ring_size == b->hit_ring_size;
	case CFG_KEY_RX_DESCRIPTORS:
		return a->rx_descriptors == b->rx_descriptors;
	case CFG_KEY_EAL_ARGS:
		return eal_args_same(a, b);
	case CFG_KEY_DEVICE:
	case CFG_KEY_RX_QUEUES:
	case CFG_KEY_LCORES:
	case CFG_KEY_SYMMETRIC_RSS:
	case CFG_KEY_AF_PACKET_OUTGOING:
		return port_key_same(a, b, k);
	case CFG_KEY_SOCKET:
		return strcmp(a->socket_path, b->socket_path) == 0;
	case CFG_KEY_SOCKET_GROUP:
		return strcmp(a->socket_group, b->socket_group) == 0;
	case CFG_KEY_SOCKET_MODE:
		return a->socket_mode == b->socket_mode;
	case CFG_KEY_STATE_DIR:
		return strcmp(a->state_dir, b->state_dir) == 0;
	case CFG_KEY_PROMETHEUS:
		return strcmp(a->prometheus, b->prometheus) == 0;
	case CFG_KEY_FLEET:
		return strcmp(a->fleet, b->fleet) == 0;
	case CFG_KEY_TELEMETRY:
		return a->telemetry == b->telemetry;
	case CFG_KEY_ROLLBACK_DEPTH:
		return a->rollback_depth == b->rollback_depth;
	case CFG_KEY_COMPACT_THRESHOLD:
		return a->compact_threshold == b->compact_threshold;
	case CFG_KEY_SHRINK_PERCENT:
		return a->shrink_percent == b->shrink_percent;
	case CFG_KEY_FEED:
		return feeds_same(a, b);
	case CFG_KEY_SINK:
		return sinks_same(a, b);
	case CFG_KEY_THROTTLE_WINDOW:
		return a->throttle_window == b->throttle_window;
	case CFG_KEY_SPOOL_DIR:
		return strcmp(a->spool_dir, b->spool_dir) == 0;
	case CFG_KEY_HOSTNAME:
		return strcmp(a->hostname, b->hostname) == 0;
	case CFG_KEY_HISTORY_MESSAGES:
		return a->history_messages == b->history_messages;
	case CFG_KEY_HISTORY_DIR:
		return strcmp(a->history_dir, b->history_dir) == 0;
	case CFG_KEY_HISTORY_MAX_SIZE:
		return a->history_max_size == b->history_max_size;
	case CFG_KEY_HISTORY_MAX_AGE:
		return a->history_max_age == b->history_max_age;
	case CFG_KEY_HUNT_ON_CHANGE:
		return a->hunt_on_change == b->hunt_on_change;
	case CFG_KEY_HUNT_MAX_INDICATORS:
		return a->hunt_max_indicators == b->hunt_max_indicators;
	case CFG_KEY_EXPORT_DIR:
		return strcmp(a->export_dir, b->export_dir) == 0;
	case CFG_KEY_EXPORT_FORMATS:
		return a->export_formats == b->export_formats;
	case CFG_KEY_EXPORT_FILTER:
		return export_filters_same(a, b);
	case CFG_KEY_EXPORT_ALLOW:
		return strcmp(a->export_allow, b->export_allow) == 0;
	case CFG_KEY_COUNT:
		break;
	}
	return true;
}

size_t
cfg_changed_keys(const struct iocsift_config *a,
		 const struct iocsift_config *b, const char **names,
		 size_t max)
{
	size_t n = 0;

	if (a->n_ports != b->n_ports && n < max)
		names[n++] = "[port]";
	for (unsigned int k = 0; k < CFG_KEY_COUNT && n < max; k++)
		if (!key_same(a, b, (enum cfg_key_id)k))
			names[n++] = cfg_keys[k].name;
	return n;
}

_Static_assert(CFG_KEY_COUNT + 1 <= CFG_CHANGED_KEYS_MAX,
	       "CFG_CHANGED_KEYS_MAX names every key and [port]");
