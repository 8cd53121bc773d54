/* config_keys.h -- the parser of the configuration file, shared by its
 * two halves: config_parse.c reads lines and sections and checks across
 * keys; config_keys.c knows each key (its section, whether it repeats)
 * and reads its value. Internal to those two files; the interface is
 * config.h. */
#ifndef IOCSIFT_CONTROL_CONFIG_KEYS_H
#define IOCSIFT_CONTROL_CONFIG_KEYS_H

#include <stdbool.h>

#include "config.h"

/* At most this much of a name or value from the file is quoted in an
 * error message. */
#define CFG_QUOTE_MAX 64

enum cfg_section {
	CFG_SEC_NONE,
	CFG_SEC_DATAPLANE,
	CFG_SEC_PORT,
	CFG_SEC_CONTROL,
	CFG_SEC_FEEDS,
	CFG_SEC_SINKS,
	CFG_SEC_HISTORY,
	CFG_SEC_EXPORTS,
	CFG_SEC_COUNT,
};

extern const char *const cfg_section_names[CFG_SEC_COUNT];

enum cfg_key_id {
	CFG_KEY_SYSLOG_PORTS,
	CFG_KEY_DNS_PORTS,
	CFG_KEY_VXLAN_PORT,
	CFG_KEY_GENEVE_PORT,
	CFG_KEY_SYSLOG_TCP_PORTS,
	CFG_KEY_DNS_TCP_PORTS,
	CFG_KEY_TCP_STREAMS,
	CFG_KEY_TCP_BUFFER,
	CFG_KEY_TCP_IDLE_TIMEOUT,
	CFG_KEY_FRAGMENT_DATAGRAMS,
	CFG_KEY_FRAGMENT_TIMEOUT,
	CFG_KEY_MBUFS,
	CFG_KEY_HIT_RECORDS,
	CFG_KEY_HIT_RING_SIZE,
	CFG_KEY_RX_DESCRIPTORS,
	CFG_KEY_EAL_ARGS,
	CFG_KEY_DEVICE,
	CFG_KEY_RX_QUEUES,
	CFG_KEY_LCORES,
	CFG_KEY_SYMMETRIC_RSS,
	CFG_KEY_AF_PACKET_OUTGOING,
	CFG_KEY_SOCKET,
	CFG_KEY_SOCKET_GROUP,
	CFG_KEY_SOCKET_MODE,
	CFG_KEY_STATE_DIR,
	CFG_KEY_PROMETHEUS,
	CFG_KEY_FLEET,
	CFG_KEY_TELEMETRY,
	CFG_KEY_ROLLBACK_DEPTH,
	CFG_KEY_COMPACT_THRESHOLD,
	CFG_KEY_SHRINK_PERCENT,
	CFG_KEY_FEED,
	CFG_KEY_SINK,
	CFG_KEY_THROTTLE_WINDOW,
	CFG_KEY_SPOOL_DIR,
	CFG_KEY_HOSTNAME,
	CFG_KEY_HISTORY_MESSAGES,
	CFG_KEY_HISTORY_DIR,
	CFG_KEY_HISTORY_MAX_SIZE,
	CFG_KEY_HISTORY_MAX_AGE,
	CFG_KEY_HUNT_ON_CHANGE,
	CFG_KEY_HUNT_MAX_INDICATORS,
	CFG_KEY_EXPORT_DIR,
	CFG_KEY_EXPORT_FORMATS,
	CFG_KEY_EXPORT_FILTER,
	CFG_KEY_EXPORT_ALLOW,
	CFG_KEY_COUNT,
};

#define CFG_KEY_REPEATS 0x1  /* may appear any number of times */
#define CFG_KEY_EMPTY_OK 0x2 /* "key =" means "none" or "off" */

struct cfg_key {
	const char *name;
	enum cfg_section section;
	unsigned int flags;
};

extern const struct cfg_key cfg_keys[CFG_KEY_COUNT];

struct cfg_parser {
	struct iocsift_config cfg;      /* built aside, copied out on success */
	char line[CFG_LINE_MAX + 1];
	const char *label;
	struct error_detail *err;
	unsigned int lineno;
	enum cfg_section section;
	struct cfg_port *port;          /* the [port] being read, or NULL */
	unsigned int section_line[CFG_SEC_COUNT];
	unsigned int key_line[CFG_KEY_COUNT];   /* in this section instance */
	unsigned int sink_line[CFG_SINKS_MAX];
};

/* An error about the file at line (0: the whole file): -EINVAL. */
int cfg_parse_error(struct cfg_parser *p, unsigned int line, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

/* An error about the value of key k on the current line: -EINVAL. */
int cfg_key_error(struct cfg_parser *p, enum cfg_key_id k, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

/* Text from the file as an error message may show it: control bytes
 * become '?', and long text is cut short with "...". Returns buf. */
const char *cfg_quote(char *buf, size_t size, const char *s);

bool cfg_is_space(char c);
/* s without leading and trailing white space (the end cut in place). */
char *cfg_trim(char *s);
/* The value without a comment: a '#' at its start or after white space
 * starts one. Trimmed. */
char *cfg_strip_comment(char *value);

/* Reads the value of key k (on the current line) into p->cfg: 0 or
 * -EINVAL with the error set. */
int cfg_key_set(struct cfg_parser *p, enum cfg_key_id k, char *value);

#endif
