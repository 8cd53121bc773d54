/* config.h -- the configuration file of `iocsift run -c CONF` (pure C, no DPDK). */
#ifndef IOCSIFT_CONTROL_CONFIG_H
#define IOCSIFT_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* The format, every key and its rules: docs/configuration.md. */

#define CFG_PORTS_MAX 8
#define CFG_PORT_LCORES_MAX 128
#define CFG_L4_PORTS_MAX 16
#define CFG_FEEDS_MAX 64
#define CFG_SINKS_MAX 16
#define CFG_EAL_ARGS_MAX 64
#define CFG_PATH_MAX 4096
/* The state dir when none is named; made when missing, as its spool dir
 * STATE_DIR/spool is (any other directory must exist). */
#define CFG_STATE_DIR_DEFAULT "/var/lib/iocsift"

/* Longest line of a configuration file, without its line end. */
#define CFG_LINE_MAX 8191
/* Largest file cfg_load() reads. */
#define CFG_FILE_MAX (1024 * 1024)

struct cfg_port {
	char device[512];
	bool is_pci;
	uint16_t rx_queues;            /* 0: one per lcore */
	uint16_t lcores[CFG_PORT_LCORES_MAX];
	uint16_t n_lcores;
	bool symmetric_rss;
	bool af_packet_outgoing;       /* keep the frames the host sends */
	unsigned int line;             /* where the [port] section starts */
};

struct cfg_feed { char path[CFG_PATH_MAX]; char format[32]; unsigned int line; };

/* The block lists of [exports] (docs/exports.md), in the order of
 * cfg_export_format_names. */
enum cfg_export_format {
	CFG_EXPORT_NFTABLES,
	CFG_EXPORT_SQUID,
	CFG_EXPORT_RPZ,
	CFG_EXPORT_HOSTS,
	CFG_EXPORT_SURICATA,
	CFG_EXPORT_CSV,
	CFG_EXPORT_FORMATS,
};

#define CFG_EXPORT_ALL ((1u << CFG_EXPORT_FORMATS) - 1)

extern const char *const cfg_export_format_names[CFG_EXPORT_FORMATS];

/* The format called name (len bytes), or -1. */
int cfg_export_format_from_name(const char *name, size_t len);

/* Bit (1 << enum pat_type) for each type the format can carry. */
uint32_t cfg_export_format_types(enum cfg_export_format format);

/* What one format exports (export_filter). */
struct cfg_export_filter {
	uint32_t types;          /* bits 1 << enum pat_type; 0: every type it carries */
	char feeds[1024];        /* feed names, comma-separated; "" any feed */
	uint8_t min_severity;    /* PAT_SEVERITY_*; 0 any, even unset */
	unsigned int line;       /* 0: no filter given */
};

struct iocsift_config {
	uint16_t syslog_ports[CFG_L4_PORTS_MAX]; unsigned int n_syslog_ports;
	uint16_t dns_ports[CFG_L4_PORTS_MAX]; unsigned int n_dns_ports;
	uint16_t vxlan_port, geneve_port;   /* 0 = not decoded */
	uint16_t syslog_tcp_ports[CFG_L4_PORTS_MAX]; unsigned int n_syslog_tcp_ports;
	uint16_t dns_tcp_ports[CFG_L4_PORTS_MAX]; unsigned int n_dns_tcp_ports;
	uint32_t tcp_streams;               /* per worker */
	uint32_t tcp_buffer;                /* MiB per worker */
	uint32_t tcp_idle_timeout;          /* seconds */
	uint32_t fragment_datagrams;        /* per worker */
	uint32_t fragment_timeout;          /* seconds */
	uint32_t mbufs, hit_records, hit_ring_size, rx_descriptors;
	char *eal_args[CFG_EAL_ARGS_MAX]; unsigned int n_eal_args;   /* owned (strdup) */
	struct cfg_port ports[CFG_PORTS_MAX]; unsigned int n_ports;
	char socket_path[108];
	char socket_group[64];
	unsigned int socket_mode;
	char state_dir[CFG_PATH_MAX];
	char prometheus[128];          /* "" off; else host:port as given */
	char fleet[1024];              /* "" off; else a nats:// URI */
	bool telemetry;
	unsigned int rollback_depth;
	unsigned int compact_threshold;
	unsigned int shrink_percent;     /* a load keeping less is refused */
	struct cfg_feed feeds[CFG_FEEDS_MAX]; unsigned int n_feeds;
	char sinks[CFG_SINKS_MAX][1024]; unsigned int n_sinks;
	unsigned int throttle_window;  /* seconds, 0 = off */
	char spool_dir[CFG_PATH_MAX];  /* "" = STATE_DIR/spool */
	char hostname[256];            /* "" = the system's */
	/* The on-box history and retro-hunts (docs/history.md). */
	unsigned int history_messages;  /* CFG_HISTORY_*, 0 = no history */
	char history_dir[CFG_PATH_MAX]; /* "" = STATE_DIR/history */
	uint64_t history_max_size;      /* bytes */
	uint64_t history_max_age;       /* seconds */
	bool hunt_on_change;            /* hunt each add and load */
	uint32_t hunt_max_indicators;   /* a larger hunt is refused */
	char export_dir[CFG_PATH_MAX]; /* "" = no block lists */
	uint32_t export_formats;       /* bits 1 << enum cfg_export_format */
	struct cfg_export_filter export_filters[CFG_EXPORT_FORMATS];
	char export_allow[CFG_PATH_MAX];   /* "" = no allow-list */
};

#define CFG_HISTORY_SYSLOG 0x1         /* 1 << DP_MESSAGE_SYSLOG */
#define CFG_HISTORY_DNS 0x2            /* 1 << DP_MESSAGE_DNS */

/* Fills cfg with every default (no ports, no feeds, no sinks).
 * It owns nothing afterwards: cfg_release() a cfg that owns eal_args first. */
void cfg_defaults(struct iocsift_config *cfg);

/* Parses text (not NUL-terminated; may contain NUL bytes, which are an
 * error) over the defaults. All or nothing: on error cfg is left as
 * cfg_defaults() made it, err names file_label:line and the key, returns
 * -EINVAL.
 * cfg must have been through cfg_defaults(). The result never depends on
 * what cfg held: on success what cfg owned is released and cfg becomes
 * the defaults plus text; on error cfg is not touched. -ENOMEM (err says
 * "out of memory") when memory runs out. err may be NULL. */
int cfg_parse(struct iocsift_config *cfg, const char *file_label, const char *text, size_t len, struct error_detail *err);

/* Reads and parses path (limit 1 MiB: bigger is an error, -EFBIG).
 * -errno on I/O errors with err filled: err->where is path, err->line 0,
 * err->message strerror()'s text. */
int cfg_load(struct iocsift_config *cfg, const char *path, struct error_detail *err);

/* Frees what cfg owns (eal_args); cfg may be reused after cfg_defaults.
 * Leaves n_eal_args 0, so a second call is harmless. */
void cfg_release(struct iocsift_config *cfg);

/* The keys whose values differ between a and b, named as in the file,
 * in the order of docs/configuration.md, at most max of them into names
 * (static strings); how many. "[port]" when the number of [port]
 * sections differs; a key of [port] when it differs in a section both
 * have. Where a line or section starts does not count. CFG_KEY_COUNT + 1
 * names always suffice. */
#define CFG_CHANGED_KEYS_MAX 64
size_t cfg_changed_keys(const struct iocsift_config *a, const struct iocsift_config *b, const char **names, size_t max);

/* Splits "a b  c" into cfg->eal_args (replacing), for the command line
 * too. -E2BIG over the limit. Separators are space, tab, CR, LF, VT, FF;
 * no quoting. NULL or blank text leaves no argument. On error (-E2BIG,
 * -ENOMEM) cfg keeps its previous arguments. */
int cfg_set_eal_args(struct iocsift_config *cfg, const char *text);

/* Parses "HOST:PORT" as accepted for prometheus into an IPv4/IPv6
 * loopback address string and port; -EINVAL otherwise.
 * HOST is 127.x.x.x, [IPv6 loopback] (any spelling of ::1) or localhost
 * (gives "127.0.0.1"); host gets the canonical address ("::1", without
 * brackets): 46 bytes (INET6_ADDRSTRLEN) always suffice, -ENOSPC when
 * host_size is too small. PORT is decimal, 1..65535. */
int cfg_parse_listen(const char *text, char *host, size_t host_size, uint16_t *port);

#endif
