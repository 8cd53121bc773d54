/* config_keys.c -- each key of the configuration file: its section, and
 * how its value is read and checked (config_keys.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_keys.h"
#include "indicator.h"

const char *const cfg_section_names[CFG_SEC_COUNT] = {
	[CFG_SEC_NONE] = "",
	[CFG_SEC_DATAPLANE] = "dataplane",
	[CFG_SEC_PORT] = "port",
	[CFG_SEC_CONTROL] = "control",
	[CFG_SEC_FEEDS] = "feeds",
	[CFG_SEC_SINKS] = "sinks",
	[CFG_SEC_HISTORY] = "history",
	[CFG_SEC_EXPORTS] = "exports",
};

const struct cfg_key cfg_keys[CFG_KEY_COUNT] = {
	[CFG_KEY_SYSLOG_PORTS] = { "syslog_ports", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_DNS_PORTS] = { "dns_ports", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_VXLAN_PORT] = { "vxlan_port", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_GENEVE_PORT] = { "geneve_port", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_SYSLOG_TCP_PORTS] = { "syslog_tcp_ports", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_DNS_TCP_PORTS] = { "dns_tcp_ports", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_TCP_STREAMS] = { "tcp_streams", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_TCP_BUFFER] = { "tcp_buffer", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_TCP_IDLE_TIMEOUT] = { "tcp_idle_timeout", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_FRAGMENT_DATAGRAMS] = { "fragment_datagrams", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_FRAGMENT_TIMEOUT] = { "fragment_timeout", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_MBUFS] = { "mbufs", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_HIT_RECORDS] = { "hit_records", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_HIT_RING_SIZE] = { "hit_ring_size", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_RX_DESCRIPTORS] = { "rx_descriptors", CFG_SEC_DATAPLANE, 0 },
	[CFG_KEY_EAL_ARGS] = { "eal_args", CFG_SEC_DATAPLANE, CFG_KEY_EMPTY_OK },
	[CFG_KEY_DEVICE] = { "device", CFG_SEC_PORT, 0 },
	[CFG_KEY_RX_QUEUES] = { "rx_queues", CFG_SEC_PORT, 0 },
	[CFG_KEY_LCORES] = { "lcores", CFG_SEC_PORT, 0 },
	[CFG_KEY_SYMMETRIC_RSS] = { "symmetric_rss", CFG_SEC_PORT, 0 },
	[CFG_KEY_AF_PACKET_OUTGOING] = { "af_packet_outgoing", CFG_SEC_PORT, 0 },
	[CFG_KEY_SOCKET] = { "socket", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_SOCKET_GROUP] = { "socket_group", CFG_SEC_CONTROL, CFG_KEY_EMPTY_OK },
	[CFG_KEY_SOCKET_MODE] = { "socket_mode", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_STATE_DIR] = { "state_dir", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_PROMETHEUS] = { "prometheus", CFG_SEC_CONTROL, CFG_KEY_EMPTY_OK },
	[CFG_KEY_FLEET] = { "fleet", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_TELEMETRY] = { "telemetry", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_ROLLBACK_DEPTH] = { "rollback_depth", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_COMPACT_THRESHOLD] = { "compact_threshold", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_SHRINK_PERCENT] = { "shrink_percent", CFG_SEC_CONTROL, 0 },
	[CFG_KEY_FEED] = { "feed", CFG_SEC_FEEDS, CFG_KEY_REPEATS },
	[CFG_KEY_SINK] = { "sink", CFG_SEC_SINKS, CFG_KEY_REPEATS },
	[CFG_KEY_THROTTLE_WINDOW] = { "throttle_window", CFG_SEC_SINKS, 0 },
	[CFG_KEY_SPOOL_DIR] = { "spool_dir", CFG_SEC_SINKS, 0 },
	[CFG_KEY_HOSTNAME] = { "hostname", CFG_SEC_SINKS, CFG_KEY_EMPTY_OK },
	[CFG_KEY_HISTORY_MESSAGES] = { "history_messages", CFG_SEC_HISTORY, 0 },
	[CFG_KEY_HISTORY_DIR] = { "history_dir", CFG_SEC_HISTORY, 0 },
	[CFG_KEY_HISTORY_MAX_SIZE] = { "history_max_size", CFG_SEC_HISTORY, 0 },
	[CFG_KEY_HISTORY_MAX_AGE] = { "history_max_age", CFG_SEC_HISTORY, 0 },
	[CFG_KEY_HUNT_ON_CHANGE] = { "hunt_on_change", CFG_SEC_HISTORY, 0 },
	[CFG_KEY_HUNT_MAX_INDICATORS] = { "hunt_max_indicators", CFG_SEC_HISTORY, 0 },
	[CFG_KEY_EXPORT_DIR] = { "export_dir", CFG_SEC_EXPORTS, CFG_KEY_EMPTY_OK },
	[CFG_KEY_EXPORT_FORMATS] = { "export_formats", CFG_SEC_EXPORTS, 0 },
	[CFG_KEY_EXPORT_FILTER] = { "export_filter", CFG_SEC_EXPORTS, CFG_KEY_REPEATS },
	[CFG_KEY_EXPORT_ALLOW] = { "export_allow", CFG_SEC_EXPORTS, CFG_KEY_EMPTY_OK },
};

const char *const cfg_export_format_names[CFG_EXPORT_FORMATS] = {
	[CFG_EXPORT_NFTABLES] = "nftables",
	[CFG_EXPORT_SQUID] = "squid",
	[CFG_EXPORT_RPZ] = "rpz",
	[CFG_EXPORT_HOSTS] = "hosts",
	[CFG_EXPORT_SURICATA] = "suricata",
	[CFG_EXPORT_CSV] = "csv",
};

/* The names of enum pat_type (pat_type_name(), which this pure parser
 * does not link), in its order. */
static const char *const cfg_type_names[PAT_TYPE_COUNT] = {
	[PAT_TYPE_DOMAIN] = "domain",
	[PAT_TYPE_IPV4] = "ipv4",
	[PAT_TYPE_IPV6] = "ipv6",
	[PAT_TYPE_MD5] = "md5",
	[PAT_TYPE_SHA1] = "sha1",
	[PAT_TYPE_SHA256] = "sha256",
	[PAT_TYPE_FILENAME] = "filename",
	[PAT_TYPE_URL] = "url",
	[PAT_TYPE_REGEX] = "regex",
};

static const char *const cfg_severity_names[] = {
	[PAT_SEVERITY_LOW] = "low",
	[PAT_SEVERITY_MEDIUM] = "medium",
	[PAT_SEVERITY_HIGH] = "high",
	[PAT_SEVERITY_CRITICAL] = "critical",
};

#define TYPE_BIT(t) (1u << (t))

int
cfg_export_format_from_name(const char *name, size_t len)
{
	for (int i = 0; i < CFG_EXPORT_FORMATS; i++)
		if (strlen(cfg_export_format_names[i]) == len &&
		    memcmp(cfg_export_format_names[i], name, len) == 0)
			return i;
	return -1;
}

uint32_t
cfg_export_format_types(enum cfg_export_format format)
{
	switch (format) {
	case CFG_EXPORT_NFTABLES:
		return TYPE_BIT(PAT_TYPE_IPV4) | TYPE_BIT(PAT_TYPE_IPV6);
	case CFG_EXPORT_SQUID:
	case CFG_EXPORT_RPZ:
	case CFG_EXPORT_HOSTS:
		return TYPE_BIT(PAT_TYPE_DOMAIN);
	case CFG_EXPORT_SURICATA:
		return TYPE_BIT(PAT_TYPE_DOMAIN) | TYPE_BIT(PAT_TYPE_IPV4) |
		       TYPE_BIT(PAT_TYPE_IPV6) | TYPE_BIT(PAT_TYPE_MD5) |
		       TYPE_BIT(PAT_TYPE_SHA256);
	case CFG_EXPORT_CSV:
		return TYPE_BIT(PAT_TYPE_COUNT) - 1;
	case CFG_EXPORT_FORMATS:
		break;
	}
	return 0;
}

/* The names patterns/feed.c maps (pat_feed_format_from_name()). */
static const char *const cfg_feed_formats[] = {
	"auto",
	"csv",
	"plain",
	"stix",
	"misp-csv",
	"misp-json",
	"zeek",
	"suricata-string",
	"suricata-md5",
	"suricata-sha256",
	"suricata-ipv4",
	"suricata-ipv6",
};

/* ---- errors ------------------------------------------------------------- */

/* An error about the file at line (0: the whole file). */
int
cfg_parse_error(struct cfg_parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_detail_vset(p->err, p->label, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error about the value of key k on the current line. */
int
cfg_key_error(struct cfg_parser *p, enum cfg_key_id k, const char *fmt, ...)
{
	char message[sizeof(p->err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	error_detail_set(p->err, p->label, p->lineno, "key '%s': %s",
			 cfg_keys[k].name, message);
	return -EINVAL;
}

/* Text from the file as an error message may show it: control bytes
 * become '?', and long text is cut short with "...". */
const char *
cfg_quote(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size; s++, n++) {
		unsigned char c = (unsigned char)*s;

		buf[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[n] = '\0';
	if (*s != '\0' && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

/* ---- lexical helpers ---------------------------------------------------- */

bool
cfg_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
	       c == '\n';
}

char *
cfg_trim(char *s)
{
	size_t n;

	while (cfg_is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && cfg_is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A '#' at the start of a value or after white space starts a comment. */
char *
cfg_strip_comment(char *value)
{
	for (size_t i = 0; value[i] != '\0'; i++) {
		if (value[i] == '#' && (i == 0 || cfg_is_space(value[i - 1]))) {
			value[i] = '\0';
			break;
		}
	}
	return cfg_trim(value);
}

/* Decimal digits only, at most max; false on anything else, overflow
 * included (the value only grows, so stopping above max is enough). */
static bool
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool
parse_hex(const char *s, size_t n, unsigned int *out)
{
	unsigned int v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hex_digit_value(s[i]);

		if (d < 0)
			return false;
		v = v * 16 + (unsigned int)d;
	}
	*out = v;
	return true;
}

/* DDDD:BB:DD.F or BB:DD.F (hex; device 0..1f, function 0..7), the first
 * n bytes of s. The canonical DDDD:BB:DD.F goes to id. */
static bool
parse_pci(const char *s, size_t n, char *id, size_t id_size)
{
	unsigned int domain = 0, bus, dev, fn;

	if (n == 12) {
		if (!parse_hex(s, 4, &domain) || s[4] != ':')
			return false;
		s += 5;
		n -= 5;
	}
	if (n != 7 || s[2] != ':' || s[5] != '.' || !parse_hex(s, 2, &bus) ||
	    !parse_hex(s + 3, 2, &dev) || !parse_hex(s + 6, 1, &fn) ||
	    dev > 0x1f || fn > 7)
		return false;
	snprintf(id, id_size, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
	return true;
}

/* What names the device to EAL (the PCI address or the vdev name, before
 * any ",args"), so two ports cannot be the same device. */
static bool
device_id(const char *device, char *id, size_t id_size, bool *is_pci)
{
	size_t n = strcspn(device, ",");

	if (parse_pci(device, n, id, id_size)) {
		*is_pci = true;
		return true;
	}
	if (n <= 4 || strncmp(device, "net_", 4) != 0)
		return false;
	snprintf(id, id_size, "%.*s", (int)n, device);
	*is_pci = false;
	return true;
}

/* ---- values ------------------------------------------------------------- */

static int
set_number(struct cfg_parser *p, enum cfg_key_id k, const char *value,
	   uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (!parse_uint(value, max, &v) || v < min)
		return cfg_key_error(p, k, "expected a number from %u to %u", min,
				     max);
	*out = (uint32_t)v;
	return 0;
}

static int
set_bool(struct cfg_parser *p, enum cfg_key_id k, const char *value,
	 bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return cfg_key_error(p, k, "expected yes or no");
}

/* "syslog, dns", "dns", "syslog" or "none": what the history keeps. */
static int
set_history_messages(struct cfg_parser *p, const char *value)
{
	unsigned int kinds = 0;
	char copy[64];
	char *save = NULL;

	if (strlen(value) >= sizeof(copy))
		return cfg_key_error(p, CFG_KEY_HISTORY_MESSAGES,
				     "expected syslog, dns, both or none");
	snprintf(copy, sizeof(copy), "%s", value);
	for (char *word = strtok_r(copy, ", ", &save); word != NULL;
	     word = strtok_r(NULL, ", ", &save)) {
		if (strcmp(word, "syslog") == 0)
			kinds |= CFG_HISTORY_SYSLOG;
		else if (strcmp(word, "dns") == 0)
			kinds |= CFG_HISTORY_DNS;
		else if (strcmp(word, "none") == 0 && kinds == 0 &&
			 strcmp(value, "none") == 0)
			kinds = 0;
		else
			return cfg_key_error(p, CFG_KEY_HISTORY_MESSAGES,
					     "expected syslog, dns, both "
					     "(\"syslog, dns\") or none");
	}
	p->cfg.history_messages = kinds;
	return 0;
}

/* "512M", "10G", "1T", or bytes: at least 16 MiB. */
static int
set_size(struct cfg_parser *p, enum cfg_key_id k, const char *value,
	 uint64_t *out)
{
	char *end;
	unsigned long long n;
	unsigned int shift = 0;

	errno = 0;
	n = strtoull(value, &end, 10);
	if (value[0] >= '0' && value[0] <= '9' && errno == 0) {
		switch (*end) {
		case 'K': shift = 10; end++; break;
		case 'M': shift = 20; end++; break;
		case 'G': shift = 30; end++; break;
		case 'T': shift = 40; end++; break;
		default: break;
		}
		if (*end == '\0' && n <= (1ULL << 50) >> shift &&
		    (n << shift) >= (16ULL << 20)) {
			*out = n << shift;
			return 0;
		}
	}
	return cfg_key_error(p, k, "expected a size of 16M or more, such as "
			     "512M, 10G or 1T");
}

/* "514, 601": 1..65535 each, no repeats. */
static int
set_l4_ports(struct cfg_parser *p, enum cfg_key_id k, char *value,
	     uint16_t *ports, unsigned int *n_ports)
{
	uint16_t list[CFG_L4_PORTS_MAX];
	unsigned int n = 0;
	char *item = value;

	for (;;) {
		char *comma = strchr(item, ',');
		uint64_t v;

		if (comma != NULL)
			*comma = '\0';
		item = cfg_trim(item);
		if (!parse_uint(item, UINT16_MAX, &v) || v == 0)
			return cfg_key_error(p, k, "expected a comma-separated list of ports from 1 to 65535");
		for (unsigned int i = 0; i < n; i++) {
			if (list[i] == v)
				return cfg_key_error(p, k, "port %u is listed twice",
						     (unsigned int)v);
		}
		if (n == CFG_L4_PORTS_MAX)
			return cfg_key_error(p, k, "at most %u ports",
					     CFG_L4_PORTS_MAX);
		list[n++] = (uint16_t)v;
		if (comma == NULL)
			break;
		item = comma + 1;
	}
	memcpy(ports, list, n * sizeof(list[0]));
	*n_ports = n;
	return 0;
}

#define CFG_LCORE_LIMIT 1024

/* "1,2" or "1-3" or both: 0..1023 each, no repeats, and no lcore of an
 * earlier [port]: a worker polls one queue. */
static int
set_lcores(struct cfg_parser *p, char *value)
{
	uint64_t seen[CFG_LCORE_LIMIT / 64] = { 0 };
	struct cfg_port *port = p->port;
	uint16_t list[CFG_PORT_LCORES_MAX];
	unsigned int n = 0;
	char *item = value;

	for (;;) {
		char *comma = strchr(item, ',');
		char *dash;
		uint64_t lo, hi;

		if (comma != NULL)
			*comma = '\0';
		dash = strchr(item, '-');
		if (dash != NULL)
			*dash = '\0';
		if (!parse_uint(cfg_trim(item), CFG_LCORE_LIMIT - 1, &lo))
			goto syntax;
		hi = lo;
		if (dash != NULL &&
		    (!parse_uint(cfg_trim(dash + 1), CFG_LCORE_LIMIT - 1, &hi) ||
		     hi < lo))
			goto syntax;
		for (uint64_t c = lo; c <= hi; c++) {
			if (seen[c / 64] & (UINT64_C(1) << (c % 64)))
				return cfg_key_error(p, CFG_KEY_LCORES,
						     "lcore %u is listed twice",
						     (unsigned int)c);
			if (n == CFG_PORT_LCORES_MAX)
				return cfg_key_error(p, CFG_KEY_LCORES,
						     "at most %u lcores",
						     CFG_PORT_LCORES_MAX);
			seen[c / 64] |= UINT64_C(1) << (c % 64);
			list[n++] = (uint16_t)c;
		}
		if (comma == NULL)
			break;
		item = comma + 1;
	}
	for (const struct cfg_port *other = p->cfg.ports; other < port;
	     other++) {
		for (unsigned int i = 0; i < other->n_lcores; i++) {
			uint16_t c = other->lcores[i];

			if (seen[c / 64] & (UINT64_C(1) << (c % 64)))
				return cfg_key_error(p, CFG_KEY_LCORES,
						     "lcore %u is also used by [port] at line %u",
						     c, other->line);
		}
	}
	memcpy(port->lcores, list, n * sizeof(list[0]));
	port->n_lcores = (uint16_t)n;
	return 0;
syntax:
	return cfg_key_error(p, CFG_KEY_LCORES,
			     "expected lcores from 0 to 1023 as a list (1,2) or ranges (1-3)");
}

static int
set_device(struct cfg_parser *p, const char *value)
{
	char id[sizeof(p->port->device)], other_id[sizeof(id)], q[CFG_QUOTE_MAX];
	bool is_pci, other_pci;

	if (strlen(value) >= sizeof(p->port->device))
		return cfg_key_error(p, CFG_KEY_DEVICE, "longer than %zu bytes",
				     sizeof(p->port->device) - 1);
	for (const char *c = value; *c != '\0'; c++) {
		if (cfg_is_space(*c))
			return cfg_key_error(p, CFG_KEY_DEVICE, "contains white space");
	}
	if (!device_id(value, id, sizeof(id), &is_pci))
		return cfg_key_error(p, CFG_KEY_DEVICE,
				     "expected a PCI address (0000:03:00.0) or a vdev (net_...)");
	for (const struct cfg_port *other = p->cfg.ports; other < p->port;
	     other++) {
		device_id(other->device, other_id, sizeof(other_id),
			  &other_pci);
		if (other_pci == is_pci && strcmp(id, other_id) == 0)
			return cfg_key_error(p, CFG_KEY_DEVICE,
					     "'%s' is already used by [port] at line %u",
					     cfg_quote(q, sizeof(q), id), other->line);
	}
	snprintf(p->port->device, sizeof(p->port->device), "%s", value);
	p->port->is_pci = is_pci;
	return 0;
}

static int
set_abs_path(struct cfg_parser *p, enum cfg_key_id k, const char *value,
	     char *out, size_t size)
{
	if (value[0] != '/' || strlen(value) >= size)
		return cfg_key_error(p, k,
				     "expected an absolute path shorter than %zu bytes",
				     size);
	memcpy(out, value, strlen(value) + 1);
	return 0;
}

static int
set_group(struct cfg_parser *p, const char *value)
{
	char *out = p->cfg.socket_group;
	size_t size = sizeof(p->cfg.socket_group);

	if (strlen(value) >= size)
		return cfg_key_error(p, CFG_KEY_SOCKET_GROUP, "longer than %zu bytes",
				     size - 1);
	for (const char *c = value; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return cfg_key_error(p, CFG_KEY_SOCKET_GROUP,
					     "contains a control character");
	}
	memcpy(out, value, strlen(value) + 1);
	return 0;
}

/* The HOSTNAME of syslog headers: printable ASCII, no space (RFC 5424
 * 6.2.4), at most 255 bytes; empty: the system's host name. */
static int
set_hostname(struct cfg_parser *p, const char *value)
{
	size_t size = sizeof(p->cfg.hostname);

	if (strlen(value) >= size)
		return cfg_key_error(p, CFG_KEY_HOSTNAME, "longer than %zu bytes",
				     size - 1);
	for (const char *c = value; *c != '\0'; c++) {
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return cfg_key_error(p, CFG_KEY_HOSTNAME,
					     "expected printable ASCII without "
					     "spaces");
	}
	memcpy(p->cfg.hostname, value, strlen(value) + 1);
	return 0;
}

static int
set_mode(struct cfg_parser *p, const char *value)
{
	unsigned int mode = 0;

	if (*value == '\0')
		goto bad;
	for (const char *c = value; *c != '\0'; c++) {
		if (*c < '0' || *c > '7')
			goto bad;
		mode = mode * 8 + (unsigned int)(*c - '0');
		if (mode > 0777)
			goto bad;
	}
	p->cfg.socket_mode = mode;
	return 0;
bad:
	return cfg_key_error(p, CFG_KEY_SOCKET_MODE,
			     "expected an octal mode from 0 to 0777");
}

/* 0, -EINVAL when text is not HOST:PORT, -EADDRNOTAVAIL when HOST is
 * not a loopback address, -ENOSPC when host_size is too small. */
static int
listen_parse(const char *text, char *host, size_t host_size, uint16_t *port)
{
	char name[INET6_ADDRSTRLEN + 2], canonical[INET6_ADDRSTRLEN];
	const char *colon = strrchr(text, ':');
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;
	uint64_t v;

	if (colon == NULL || !parse_uint(colon + 1, UINT16_MAX, &v) || v == 0)
		return -EINVAL;
	n = (size_t)(colon - text);
	if (n == 0)
		return -EINVAL;
	if (text[0] == '[') {
		if (n < 3 || text[n - 1] != ']')
			return -EINVAL;
		if (n - 2 >= sizeof(name))
			return -EADDRNOTAVAIL;
		memcpy(name, text + 1, n - 2);
		name[n - 2] = '\0';
		if (inet_pton(AF_INET6, name, &a6) != 1)
			return -EINVAL;
		if (!IN6_IS_ADDR_LOOPBACK(&a6))
			return -EADDRNOTAVAIL;
		inet_ntop(AF_INET6, &a6, canonical, sizeof(canonical));
	} else {
		/* An IPv6 address goes in brackets. */
		if (memchr(text, ':', n) != NULL ||
		    memchr(text, ']', n) != NULL)
			return -EINVAL;
		if (n >= sizeof(name))
			return -EADDRNOTAVAIL;
		memcpy(name, text, n);
		name[n] = '\0';
		if (strcasecmp(name, "localhost") == 0) {
			snprintf(canonical, sizeof(canonical), "127.0.0.1");
		} else {
			if (inet_pton(AF_INET, name, &a4) != 1 ||
			    ((const uint8_t *)&a4.s_addr)[0] != 127)
				return -EADDRNOTAVAIL;
			inet_ntop(AF_INET, &a4, canonical, sizeof(canonical));
		}
	}
	if (strlen(canonical) >= host_size)
		return -ENOSPC;
	memcpy(host, canonical, strlen(canonical) + 1);
	*port = (uint16_t)v;
	return 0;
}

int
cfg_parse_listen(const char *text, char *host, size_t host_size,
		 uint16_t *port)
{
	int rc;

	if (text == NULL || host == NULL || port == NULL)
		return -EINVAL;
	rc = listen_parse(text, host, host_size, port);
	return rc == -EADDRNOTAVAIL ? -EINVAL : rc;
}

static int
set_prometheus(struct cfg_parser *p, const char *value)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	int rc;

	if (*value != '\0') {
		if (strlen(value) >= sizeof(p->cfg.prometheus))
			return cfg_key_error(p, CFG_KEY_PROMETHEUS,
					     "longer than %zu bytes",
					     sizeof(p->cfg.prometheus) - 1);
		rc = listen_parse(value, host, sizeof(host), &port);
		if (rc == -EADDRNOTAVAIL)
			return cfg_key_error(p, CFG_KEY_PROMETHEUS,
					     "only loopback addresses are allowed");
		if (rc != 0)
			return cfg_key_error(p, CFG_KEY_PROMETHEUS,
					     "expected HOST:PORT with HOST 127.x.x.x, [::1] or localhost and PORT from 1 to 65535");
	}
	memcpy(p->cfg.prometheus, value, strlen(value) + 1);
	return 0;
}

static bool
is_feed_format(const char *name)
{
	size_t n = sizeof(cfg_feed_formats) / sizeof(cfg_feed_formats[0]);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(name, cfg_feed_formats[i]) == 0)
			return true;
	}
	return false;
}

/* "PATH [format=F]": the last word is the format when it starts with
 * "format=". */
static int
set_feed(struct cfg_parser *p, char *value)
{
	const char *format = "auto";
	char *path = value, *last = NULL, q[CFG_QUOTE_MAX];
	struct cfg_feed *feed;

	for (char *c = value; *c != '\0'; c++) {
		if (cfg_is_space(*c))
			last = c;
	}
	if (last != NULL && strncmp(last + 1, "format=", 7) == 0) {
		*last = '\0';
		format = last + 8;
		path = cfg_trim(value);
	}
	if (*path == '\0' || strncmp(path, "format=", 7) == 0 ||
	    strstr(path, " format=") != NULL ||
	    strstr(path, "\tformat=") != NULL)
		return cfg_key_error(p, CFG_KEY_FEED, "expected PATH [format=FORMAT]");
	if (!is_feed_format(format))
		return cfg_key_error(p, CFG_KEY_FEED,
				     "unknown format '%s' (auto, csv, plain, stix, misp-csv, misp-json, zeek, suricata-string, suricata-md5, suricata-sha256, suricata-ipv4, suricata-ipv6)",
				     cfg_quote(q, sizeof(q), format));
	if (strlen(path) >= CFG_PATH_MAX)
		return cfg_key_error(p, CFG_KEY_FEED, "path longer than %u bytes",
				     CFG_PATH_MAX - 1);
	for (unsigned int i = 0; i < p->cfg.n_feeds; i++) {
		if (strcmp(p->cfg.feeds[i].path, path) == 0)
			return cfg_key_error(p, CFG_KEY_FEED,
					     "'%s' is already listed at line %u",
					     cfg_quote(q, sizeof(q), path),
					     p->cfg.feeds[i].line);
	}
	if (p->cfg.n_feeds == CFG_FEEDS_MAX)
		return cfg_key_error(p, CFG_KEY_FEED, "at most %u feeds",
				     CFG_FEEDS_MAX);
	feed = &p->cfg.feeds[p->cfg.n_feeds++];
	memcpy(feed->path, path, strlen(path) + 1);
	snprintf(feed->format, sizeof(feed->format), "%s", format);
	feed->line = p->lineno;
	return 0;
}

static int
set_sink(struct cfg_parser *p, const char *value)
{
	char q[CFG_QUOTE_MAX];
	const char *sep;

	if (strlen(value) >= sizeof(p->cfg.sinks[0]))
		return cfg_key_error(p, CFG_KEY_SINK, "longer than %zu bytes",
				     sizeof(p->cfg.sinks[0]) - 1);
	sep = strstr(value, "://");
	if (sep == NULL || sep == value)
		return cfg_key_error(p, CFG_KEY_SINK, "expected a URI (scheme://...)");
	for (unsigned int i = 0; i < p->cfg.n_sinks; i++) {
		if (strcmp(p->cfg.sinks[i], value) == 0)
			return cfg_key_error(p, CFG_KEY_SINK,
					     "'%s' is already listed at line %u",
					     cfg_quote(q, sizeof(q), value),
					     p->sink_line[i]);
	}
	if (p->cfg.n_sinks == CFG_SINKS_MAX)
		return cfg_key_error(p, CFG_KEY_SINK, "at most %u sinks",
				     CFG_SINKS_MAX);
	p->sink_line[p->cfg.n_sinks] = p->lineno;
	memcpy(p->cfg.sinks[p->cfg.n_sinks++], value, strlen(value) + 1);
	return 0;
}

/* Words separated by white space or commas: the next one from *s (its
 * length in *len), or NULL at the end. */
static const char *
next_word(const char **s, size_t *len)
{
	const char *c = *s;

	while (cfg_is_space(*c) || *c == ',')
		c++;
	if (*c == '\0')
		return NULL;
	const char *start = c;
	while (*c != '\0' && !cfg_is_space(*c) && *c != ',')
		c++;
	*len = (size_t)(c - start);
	*s = c;
	return start;
}

/* "nftables squid ..." (spaces or commas): at least one. */
static int
set_export_formats(struct cfg_parser *p, const char *value)
{
	char word[CFG_QUOTE_MAX], q[CFG_QUOTE_MAX];
	uint32_t formats = 0;
	const char *w;
	size_t len;

	while ((w = next_word(&value, &len)) != NULL) {
		int f = cfg_export_format_from_name(w, len);

		if (f < 0) {
			snprintf(word, sizeof(word), "%.*s", (int)len, w);
			return cfg_key_error(p, CFG_KEY_EXPORT_FORMATS,
					     "unknown format '%s' (nftables, "
					     "squid, rpz, hosts, suricata, csv)",
					     cfg_quote(q, sizeof(q), word));
		}
		formats |= 1u << f;
	}
	p->cfg.export_formats = formats;
	return 0;
}

/* 1..CTL_FEED_NAME_MAX (128) of [A-Za-z0-9._-], as protocol.h's. */
static bool
feed_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* types=T,T: names of enum pat_type the format carries. */
static int
set_filter_types(struct cfg_parser *p, enum cfg_export_format format,
		 const char *list, struct cfg_export_filter *f)
{
	char word[CFG_QUOTE_MAX], q[CFG_QUOTE_MAX];
	const char *w;
	size_t len;

	while ((w = next_word(&list, &len)) != NULL) {
		unsigned int t;

		for (t = 0; t < PAT_TYPE_COUNT; t++)
			if (strlen(cfg_type_names[t]) == len &&
			    memcmp(cfg_type_names[t], w, len) == 0)
				break;
		snprintf(word, sizeof(word), "%.*s", (int)len, w);
		if (t == PAT_TYPE_COUNT)
			return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
					     "unknown type '%s'",
					     cfg_quote(q, sizeof(q), word));
		if (!(cfg_export_format_types(format) & TYPE_BIT(t)))
			return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
					     "%s does not carry %s indicators",
					     cfg_export_format_names[format],
					     cfg_type_names[t]);
		f->types |= TYPE_BIT(t);
	}
	if (f->types == 0)
		return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
				     "types= names no type");
	return 0;
}

static int
set_filter_feeds(struct cfg_parser *p, const char *list,
		 struct cfg_export_filter *f)
{
	char word[CFG_QUOTE_MAX], q[CFG_QUOTE_MAX];
	size_t used = 0, len;
	const char *w;

	while ((w = next_word(&list, &len)) != NULL) {
		snprintf(word, sizeof(word), "%.*s", (int)len, w);
		if (!feed_name_valid(w, len))
			return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
					     "invalid feed name '%s' (1 to 128 "
					     "of A-Z a-z 0-9 . _ -)",
					     cfg_quote(q, sizeof(q), word));
		if (used + len + 2 > sizeof(f->feeds))
			return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
					     "feeds= longer than %zu bytes",
					     sizeof(f->feeds) - 1);
		if (used > 0)
			f->feeds[used++] = ',';
		memcpy(f->feeds + used, w, len);
		used += len;
		f->feeds[used] = '\0';
	}
	if (used == 0)
		return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
				     "feeds= names no feed");
	return 0;
}

/* "FORMAT [types=T,..] [feeds=F,..] [min_severity=S]", once a format. */
static int
set_export_filter(struct cfg_parser *p, char *value)
{
	char q[CFG_QUOTE_MAX];
	struct cfg_export_filter f = { .line = p->lineno };
	char *save = NULL, *word = strtok_r(value, " \t", &save);
	int format = word != NULL ?
		cfg_export_format_from_name(word, strlen(word)) : -1;
	int rc;

	if (format < 0)
		return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
				     "expected FORMAT [types=T,...] "
				     "[feeds=F,...] [min_severity=S] with FORMAT "
				     "nftables, squid, rpz, hosts, suricata or csv");
	if (p->cfg.export_filters[format].line != 0)
		return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
				     "%s is already filtered at line %u",
				     cfg_export_format_names[format],
				     p->cfg.export_filters[format].line);
	bool seen_types = false, seen_feeds = false, seen_severity = false;
	while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
		bool *seen;

		if (strncmp(word, "types=", 6) == 0) {
			seen = &seen_types;
			rc = *seen ? 1 : set_filter_types(p, format, word + 6, &f);
		} else if (strncmp(word, "feeds=", 6) == 0) {
			seen = &seen_feeds;
			rc = *seen ? 1 : set_filter_feeds(p, word + 6, &f);
		} else if (strncmp(word, "min_severity=", 13) == 0) {
			seen = &seen_severity;
			rc = *seen ? 1 : 0;
			for (uint8_t s = PAT_SEVERITY_LOW;
			     !*seen && s <= PAT_SEVERITY_CRITICAL; s++)
				if (strcmp(word + 13, cfg_severity_names[s]) == 0)
					f.min_severity = s;
			if (!*seen && f.min_severity == 0)
				return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
						     "min_severity: expected low, "
						     "medium, high or critical, "
						     "not '%s'", cfg_quote(q,
						     sizeof(q), word + 13));
		} else {
			return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
					     "unknown filter '%s' (types=, "
					     "feeds=, min_severity=)",
					     cfg_quote(q, sizeof(q), word));
		}
		if (rc > 0)
			return cfg_key_error(p, CFG_KEY_EXPORT_FILTER,
					     "'%.*s' given twice",
					     (int)(strchr(word, '=') - word + 1),
					     word);
		if (rc != 0)
			return rc;
		*seen = true;
	}
	p->cfg.export_filters[format] = f;
	return 0;
}

int
cfg_key_set(struct cfg_parser *p, enum cfg_key_id k, char *value)
{
	struct iocsift_config *cfg = &p->cfg;
	uint32_t v = 0;
	int rc;

	switch (k) {
	case CFG_KEY_SYSLOG_PORTS:
		return set_l4_ports(p, k, value, cfg->syslog_ports,
				    &cfg->n_syslog_ports);
	case CFG_KEY_DNS_PORTS:
		return set_l4_ports(p, k, value, cfg->dns_ports,
				    &cfg->n_dns_ports);
	case CFG_KEY_VXLAN_PORT:
	case CFG_KEY_GENEVE_PORT:
		rc = set_number(p, k, value, 0, UINT16_MAX, &v);
		if (rc == 0 && k == CFG_KEY_VXLAN_PORT)
			cfg->vxlan_port = (uint16_t)v;
		else if (rc == 0)
			cfg->geneve_port = (uint16_t)v;
		return rc;
	case CFG_KEY_SYSLOG_TCP_PORTS:
		return set_l4_ports(p, k, value, cfg->syslog_tcp_ports,
				    &cfg->n_syslog_tcp_ports);
	case CFG_KEY_DNS_TCP_PORTS:
		return set_l4_ports(p, k, value, cfg->dns_tcp_ports,
				    &cfg->n_dns_tcp_ports);
	case CFG_KEY_TCP_STREAMS:
		return set_number(p, k, value, 64, 1048576, &cfg->tcp_streams);
	case CFG_KEY_TCP_BUFFER:
		return set_number(p, k, value, 1, 4095, &cfg->tcp_buffer);
	case CFG_KEY_TCP_IDLE_TIMEOUT:
		return set_number(p, k, value, 1, 86400, &cfg->tcp_idle_timeout);
	case CFG_KEY_FRAGMENT_DATAGRAMS:
		return set_number(p, k, value, 16, 65536,
				  &cfg->fragment_datagrams);
	case CFG_KEY_FRAGMENT_TIMEOUT:
		return set_number(p, k, value, 1, 300, &cfg->fragment_timeout);
	case CFG_KEY_MBUFS:
		return set_number(p, k, value, 1023, 4194303, &cfg->mbufs);
	case CFG_KEY_HIT_RECORDS:
		return set_number(p, k, value, 255, 1048575,
				  &cfg->hit_records);
	case CFG_KEY_HIT_RING_SIZE:
		if (set_number(p, k, value, 256, 1048576, &v) != 0 ||
		    (v & (v - 1)) != 0)
			return cfg_key_error(p, k,
					     "expected a power of two from 256 to 1048576");
		cfg->hit_ring_size = v;
		return 0;
	case CFG_KEY_RX_DESCRIPTORS:
		return set_number(p, k, value, 64, 16384,
				  &cfg->rx_descriptors);
	case CFG_KEY_EAL_ARGS:
		rc = cfg_set_eal_args(cfg, value);
		if (rc == -E2BIG)
			return cfg_key_error(p, k, "at most %u arguments",
					     CFG_EAL_ARGS_MAX);
		if (rc != 0)
			error_detail_set(p->err, p->label, p->lineno,
				      "out of memory");
		return rc;
	case CFG_KEY_DEVICE:
		return set_device(p, value);
	case CFG_KEY_RX_QUEUES:
		rc = set_number(p, k, value, 1, 128, &v);
		if (rc == 0)
			p->port->rx_queues = (uint16_t)v;
		return rc;
	case CFG_KEY_LCORES:
		return set_lcores(p, value);
	case CFG_KEY_SYMMETRIC_RSS:
		return set_bool(p, k, value, &p->port->symmetric_rss);
	case CFG_KEY_AF_PACKET_OUTGOING:
		return set_bool(p, k, value, &p->port->af_packet_outgoing);
	case CFG_KEY_SOCKET:
		return set_abs_path(p, k, value, cfg->socket_path,
				    sizeof(cfg->socket_path));
	case CFG_KEY_SOCKET_GROUP:
		return set_group(p, value);
	case CFG_KEY_SOCKET_MODE:
		return set_mode(p, value);
	case CFG_KEY_STATE_DIR:
		return set_abs_path(p, k, value, cfg->state_dir,
				    sizeof(cfg->state_dir));
	case CFG_KEY_PROMETHEUS:
		return set_prometheus(p, value);
	case CFG_KEY_FLEET:
		/* Parsed whole (as a nats:// URI) when the daemon starts and
		 * by run --check. */
		if (strlen(value) >= sizeof(cfg->fleet))
			return cfg_key_error(p, k, "longer than %zu bytes",
					     sizeof(cfg->fleet) - 1);
		if (strncmp(value, "nats://", 7) != 0)
			return cfg_key_error(p, k, "expected nats://HOST[:PORT]"
					     "[?PARAMS]");
		memcpy(cfg->fleet, value, strlen(value) + 1);
		return 0;
	case CFG_KEY_TELEMETRY:
		return set_bool(p, k, value, &cfg->telemetry);
	case CFG_KEY_ROLLBACK_DEPTH:
		rc = set_number(p, k, value, 1, 64, &v);
		if (rc == 0)
			cfg->rollback_depth = v;
		return rc;
	case CFG_KEY_COMPACT_THRESHOLD:
		rc = set_number(p, k, value, 1, 1000000, &v);
		if (rc == 0)
			cfg->compact_threshold = v;
		return rc;
	case CFG_KEY_SHRINK_PERCENT:
		rc = set_number(p, k, value, 0, 100, &v);
		if (rc == 0)
			cfg->shrink_percent = v;
		return rc;
	case CFG_KEY_FEED:
		return set_feed(p, value);
	case CFG_KEY_SINK:
		return set_sink(p, value);
	case CFG_KEY_THROTTLE_WINDOW:
		rc = set_number(p, k, value, 0, 86400, &v);
		if (rc == 0)
			cfg->throttle_window = v;
		return rc;
	case CFG_KEY_SPOOL_DIR:
		return set_abs_path(p, k, value, cfg->spool_dir,
				    sizeof(cfg->spool_dir));
	case CFG_KEY_HOSTNAME:
		return set_hostname(p, value);
	case CFG_KEY_HISTORY_MESSAGES:
		return set_history_messages(p, value);
	case CFG_KEY_HISTORY_DIR:
		return set_abs_path(p, k, value, cfg->history_dir,
				    sizeof(cfg->history_dir));
	case CFG_KEY_HISTORY_MAX_SIZE:
		return set_size(p, k, value, &cfg->history_max_size);
	case CFG_KEY_HISTORY_MAX_AGE:
		if (duration_parse(value, &cfg->history_max_age) != 0)
			return cfg_key_error(p, k, "expected a duration such "
					     "as 24h, 90m or 7d");
		return 0;
	case CFG_KEY_HUNT_ON_CHANGE:
		return set_bool(p, k, value, &cfg->hunt_on_change);
	case CFG_KEY_HUNT_MAX_INDICATORS:
		return set_number(p, k, value, 1, 1000000,
				  &cfg->hunt_max_indicators);
	case CFG_KEY_EXPORT_DIR:
		if (*value == '\0') {
			cfg->export_dir[0] = '\0';
			return 0;
		}
		return set_abs_path(p, k, value, cfg->export_dir,
				    sizeof(cfg->export_dir));
	case CFG_KEY_EXPORT_FORMATS:
		return set_export_formats(p, value);
	case CFG_KEY_EXPORT_FILTER:
		return set_export_filter(p, value);
	case CFG_KEY_EXPORT_ALLOW:
		if (*value == '\0') {
			cfg->export_allow[0] = '\0';
			return 0;
		}
		return set_abs_path(p, k, value, cfg->export_allow,
				    sizeof(cfg->export_allow));
	case CFG_KEY_COUNT:
		break;
	}
	return cfg_parse_error(p, p->lineno, "internal error: key %d", (int)k);
}

