/* sink.h -- SIEM sinks: a file, a UDP, TCP or TLS syslog receiver or a
 * NATS JetStream stream, fed
 * by one thread per sink through a memory queue and a disk spool, which a
 * second thread of the sink writes. */
#ifndef IOCSIFT_EXPORT_SINK_H
#define IOCSIFT_EXPORT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "indicator.h"

/*
 * Semantics, limits and every URI parameter: docs/sinks.md.
 *
 * Threads: exp_sink_parse_uri() and exp_sink_accepts() are pure.
 * exp_sink_start() makes a thread that does the transport's I/O and reads
 * and commits the spool, and (with a spool) one that appends to it;
 * exp_sink_submit(), exp_sink_reopen(), exp_sink_drain() and
 * exp_sink_stats_read() may be called from any thread while the sink
 * runs; exp_sink_stop() once, after every other call on the sink has
 * returned.
 */

enum exp_sink_kind {
	EXP_SINK_FILE, EXP_SINK_UDP, EXP_SINK_TCP, EXP_SINK_TLS, EXP_SINK_NATS,
};

#define EXP_SINK_FEEDS_MAX 16
#define EXP_SINK_URI_MAX 1023          /* bytes, without the NUL */
#define EXP_SINK_NAME_MAX 63
#define EXP_SINK_SUBJECT_MAX 127       /* nats: the subject's prefix */
#define EXP_SINK_SITE_MAX 63           /* nats: one subject token */
#define EXP_SINK_ERROR_MAX 255         /* bytes of the last error kept */
#define EXP_SINK_RECORD_MAX (1u << 20) /* bytes of one submitted record */
#define EXP_SINK_QUEUE_DEFAULT 10000u
#define EXP_SINK_QUEUE_MAX 1000000u
#define EXP_SINK_SPOOL_DEFAULT (1ull << 30)
#define EXP_SINK_SPOOL_MIN (64ull << 10)  /* smallest spool_max but 0 */
#define EXP_SINK_CONFIRM_DEFAULT_MS 2000u
#define EXP_SINK_CONFIRM_MAX_MS 600000u
#define EXP_SINK_BACKOFF_MIN_MS 100u     /* first retry within, doubling */
#define EXP_SINK_BACKOFF_DEFAULT_MS 30000u
#define EXP_SINK_BACKOFF_MAX_MS 3600000u
#define EXP_SINK_BACKOFF_RESET_MS 10000u /* up this long: backoff starts over */

struct exp_sink_config {
	char uri[EXP_SINK_URI_MAX + 1];
	enum exp_sink_kind kind;
	char host[256];             /* udp/tcp/tls/nats; IPv6 without brackets */
	uint16_t port;              /* default 514 udp, 601 tcp, 6514 tls,
				     * 4222 nats */
	char path[4096];            /* file: the absolute path */
	char format[16];            /* ecs|rfc5424|cef|leef, default "ecs" */
	uint32_t type_mask;         /* 1u << enum pat_type; 0 = all */
	char feeds[EXP_SINK_FEEDS_MAX][128];
	unsigned int n_feeds;       /* 0 = all */
	uint8_t min_severity;       /* enum pat_severity; 0 = all */
	char ca[4096], cert[4096], key[4096]; /* tls, nats; "" = none */
	char server_name[256];      /* tls, nats: the certificate must match */
	bool verify;                /* tls, nats: default yes */
	/* nats: events go to SUBJECT.SITE.TYPE */
	char subject[EXP_SINK_SUBJECT_MAX + 1]; /* default "iocsift.events" */
	char site[EXP_SINK_SITE_MAX + 1]; /* "": the exporter's host name */
	char stream[64];            /* made (SUBJECT.>) if missing; "" = not */
	bool nats_tls;              /* tls=yes, or ca or cert given */
	char creds[4096];           /* a credentials file (JWT and seed) */
	char nkey[64];              /* a public nkey, with seed: its seed file */
	char seed[4096];
	char user[128];             /* with password_file: its first line */
	char password_file[4096];
	uint64_t spool_max;         /* bytes; 0 = no spool */
	uint32_t queue;             /* records in memory */
	uint32_t confirm_ms;        /* tcp/tls: a record is confirmed past it */
	uint32_t backoff_max_ms;    /* reconnect delays grow up to this */
	char name[EXP_SINK_NAME_MAX + 1]; /* [A-Za-z0-9._-], no leading '.' */
};

/* Parses a sink URI (untrusted: from config and command line) into cfg,
 * defaults filled in. 0, or -EINVAL with err (if not NULL) naming the
 * part: where is "sink 'URI'" (URI quoted with control characters as '?'
 * and cut past 63 bytes), so that error_detail_format() gives
 * "sink 'URI': unknown parameter 'x'". */
int exp_sink_parse_uri(const char *uri, struct exp_sink_config *cfg,
		       struct error_detail *err);

/* A NATS sink's SITE from a host name when the URI gives none: the
 * characters a subject token may not hold as '_', cut to
 * EXP_SINK_SITE_MAX bytes. */
void exp_sink_nats_default_site(struct exp_sink_config *cfg,
				const char *hostname);

/* The sink's filter: types, feeds, min_severity (an indicator without a
 * severity passes only when min_severity is 0). */
bool exp_sink_accepts(const struct exp_sink_config *cfg,
		      const struct pat_indicator *ind);

/* What a TLS sink's thread loads before its first connection: the CA
 * (else the system's store), the certificate and the key, and that they
 * match; nothing is connected. 0, or -errno with err (where is "")
 * naming the file and OpenSSL's reason. For `iocsift run --check`. */
int exp_sink_check_tls(const struct exp_sink_config *cfg,
		       struct error_detail *err);

/* What a NATS sink's thread sets up before its first connection: the
 * client's options, the TLS files, the credentials; nothing is
 * connected. 0, or -errno with err (where is ""). For `iocsift run
 * --check`. */
int exp_sink_check_nats(const struct exp_sink_config *cfg,
			struct error_detail *err);

struct exp_buffer;

/* A NATS sink's record, what exp_sink_submit() takes: "TYPE ID\n" and the
 * event, TYPE the subject's last token ([A-Za-z0-9_-]) and ID its
 * Nats-Msg-Id (1 to 63 bytes, no space). 0, -EINVAL or -ENOMEM. */
int exp_sink_nats_record(struct exp_buffer *out, const char *type,
			 const char *id, const void *event, size_t len);

/* "file", "udp", "tcp", "tls", "nats". */
const char *exp_sink_kind_name(enum exp_sink_kind kind);

struct exp_sink;

/* Starts the sink's thread. The spool lives in spool_root/<name>
 * (spool_root must exist: a missing one is refused with the command that
 * makes it; NULL or "" = no spool, as spool_max=0; spool_root/<name> is
 * made 0700); a spool left from an earlier run is
 * delivered first, oldest first. NULL with errno and err (if not NULL;
 * where is "sink NAME") on failure (bad CA, certificate or key file, a
 * spool that cannot be opened or is in use, ENOMEM). The connection is
 * made by the thread, so an unreachable receiver is not an error here. */
struct exp_sink *exp_sink_start(const struct exp_sink_config *cfg,
				const char *spool_root,
				struct error_detail *err);

/* Queues one record of 1..EXP_SINK_RECORD_MAX bytes, unframed (the sink
 * adds "\n" for files, "LEN " for TCP/TLS, nothing for UDP). Never waits
 * for I/O, the spool's disk included: it takes the sink's lock, which no
 * thread holds across I/O, and copies the record into memory: the memory
 * queue, or (with a spool: during an outage, behind what the spool holds,
 * or past queue records) the spill that the spool thread writes to disk.
 * 0 when kept; -ENOBUFS (no spool and the queue full, or queue records
 * already waiting for the spool thread) or -ENOMEM when dropped (counted,
 * logged at most once a minute); -EINVAL for a bad length (not counted).
 * A record the spool refuses later (spool_max, a full disk) is counted
 * as dropped then. */
int exp_sink_submit(struct exp_sink *s, const void *record, size_t len);

/* Between exp_sink_hold() and exp_sink_release(), submitted records do
 * not wake the sink's thread one by one; release wakes it once if any
 * came. A producer with a burst of records (the exporter, per turn)
 * saves a context switch per record. */
void exp_sink_hold(struct exp_sink *s);
void exp_sink_release(struct exp_sink *s);

/* File sinks reopen their file at the thread's next turn (logrotate,
 * SIGHUP); other sinks ignore it. */
void exp_sink_reopen(struct exp_sink *s);

/* Waits up to drain_ms until the sink holds nothing: memory queue empty,
 * nothing in flight, nothing left in the spool. TCP/TLS sinks with records
 * in flight and nothing else to send close the connection gracefully to
 * confirm them at once (and reconnect when there is more). 0, or
 * -ETIMEDOUT when records are still held. */
int exp_sink_drain(struct exp_sink *s, unsigned int drain_ms);

/* Stops: exp_sink_drain(drain_ms), then the sink thread is joined,
 * whatever is still in the memory queue or in flight (unconfirmed) goes to
 * the spool (dropped and counted without one), the spool thread writes
 * what it holds and is joined, the spool is synced and closed and the
 * sink freed. NULL is accepted. */
void exp_sink_stop(struct exp_sink *s, unsigned int drain_ms);

struct exp_sink_stats {
	uint64_t queued;            /* submitted (valid length) */
	uint64_t sent;              /* written to the transport, resends too */
	uint64_t spooled;           /* written to the spool */
	uint64_t retried;           /* in flight at a failure: sent again */
	uint64_t dropped;           /* lost: spool full (or none, queue full) */
	uint64_t connects;          /* connections made (files: opened) */
	uint64_t errors;            /* failed connects, lost connections */
	uint64_t spool_records;     /* in the spool, not yet delivered */
	uint64_t spool_bytes;       /* the spool's files */
	uint64_t memory_records;    /* in memory (queued or in flight), not
				     * yet delivered */
	bool connected;
	/* The last outage, drop or spool error ("" none yet; cut at
	 * EXP_SINK_ERROR_MAX bytes) and when (Unix seconds, 0 none). */
	char last_error[EXP_SINK_ERROR_MAX + 1];
	int64_t last_error_time;
};
/* Any thread. */
void exp_sink_stats_read(struct exp_sink *s, struct exp_sink_stats *st);

const struct exp_sink_config *exp_sink_get_config(const struct exp_sink *s);

/* Where every sink logs: message is "sink NAME: ..." without a newline;
 * level is 3 error, 4 warning, 6 info (syslog numbers). NULL restores the
 * default, stderr. Set it before starting sinks. */
void exp_sink_set_logger(void (*fn)(int level, const char *message));

#endif
