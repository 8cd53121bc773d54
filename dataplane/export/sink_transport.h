/* sink_transport.h -- what a sink's thread asks of its transport (a file,
 * UDP, TCP, TLS or NATS): one const table of operations per kind, after
 * Redis's ConnectionType, so that sink_thread.c never asks which kind it
 * has.
 * Internal to dataplane/export/: sink_file.c, sink_net.c (UDP, TCP and
 * what streams share), sink_tls.c and sink_nats.c implement it. */
#ifndef IOCSIFT_EXPORT_SINK_TRANSPORT_H
#define IOCSIFT_EXPORT_SINK_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error_detail;
struct exp_sink_config;
struct sink_tls_ctx;
struct sink_tls;
struct sink_nats;

#define SINK_BATCH_BYTES (64u << 10)   /* one write(2) / SSL_write */
#define SINK_BATCH_RECORDS 256u
#define SINK_CONNECT_TIMEOUT_MS 10000u
#define SINK_IO_TIMEOUT_MS 30000u      /* a write making no progress */

/* Records framed for the transport, back to back, for one write. */
struct sink_batch {
	unsigned char *data;
	size_t len, cap;
	size_t ends[SINK_BATCH_RECORDS]; /* where each record ends */
	unsigned int n;
};

/* Where record i of b starts. */
static inline size_t
sink_batch_start(const struct sink_batch *b, unsigned int i)
{
	return i == 0 ? 0 : b->ends[i - 1];
}

/* The transport's side of a sink: what its operations work on. Only the
 * sink's thread touches it once the sink runs. */
struct sink_conn {
	const struct sink_transport *type;
	const struct exp_sink_config *cfg;
	const bool *stopping;          /* __atomic; set: every wait ends
				        * (-ECANCELED) */
	char peer[4200];               /* "host:port" or the path, for logs */
	int fd;                        /* -1 while closed */
	struct sink_tls_ctx *tls_ctx;  /* tls: made at start */
	struct sink_tls *tls;          /* tls: the session */
	struct sink_nats *nats;        /* nats: the client, made at start */
	char why[4608];                /* the last failure, for the log */
};

/* How a record goes into the batch. */
enum sink_framing {
	SINK_FRAME_NONE,               /* udp: the record as it is */
	SINK_FRAME_LINE,               /* file: the record and "\n" */
	SINK_FRAME_OCTET_COUNT,        /* tcp, tls: "LEN " and the record */
};

/*
 * One kind of transport. Every operation runs on the sink's thread, and
 * those that fail say why in c->why. Operations marked "may be NULL" are
 * left out by kinds that have nothing to do there.
 */
struct sink_transport {
	enum sink_framing framing;
	/* Streams: a record written stays in flight until confirmed (the
	 * peer acknowledged it and confirm_ms passed); otherwise a record is
	 * delivered once written. */
	bool confirms;
	/* exp_sink_reopen() closes it to open it again (logrotate). */
	bool reopens;
	const char *open_verb;         /* "opened", "connected to" */
	/* Bytes a batch fills up to; 0: SINK_BATCH_BYTES. A transport that
	 * waits for each batch's acknowledgment (NATS) takes larger ones. */
	size_t batch_bytes;

	/* c->peer for the configuration. */
	void (*name_peer)(struct sink_conn *c);
	/* At start, what every connection needs (TLS: the CA, certificate
	 * and key). 0, or -errno with err; *warning, if set, is logged once.
	 * May be NULL. */
	int (*setup)(struct sink_conn *c, const char **warning,
		     struct error_detail *err);
	/* Undoes setup, at the end. May be NULL. */
	void (*teardown)(struct sink_conn *c);
	/* Opens the file, or connects (and handshakes). 0, -ECANCELED when
	 * the sink stops, else -errno. */
	int (*open)(struct sink_conn *c);
	/* Writes the records of b from first on; *done of them went whole.
	 * 0 when all did; -EMSGSIZE when record first + *done can never go
	 * (UDP: too big for a datagram): the caller drops it and writes on
	 * past it; -ECANCELED when the sink stops; else -errno. */
	int (*write)(struct sink_conn *c, const struct sink_batch *b,
		     unsigned int first, unsigned int *done);
	/* Reads what the peer sent (a syslog receiver sends nothing) to see
	 * whether the connection still stands: 0; -ESHUTDOWN at its end;
	 * -errno. May be NULL: nothing to read (file, UDP). */
	int (*check)(struct sink_conn *c);
	/* Streams: *bytes written and not yet acknowledged by the peer. 0 or
	 * -errno. */
	int (*unacked)(struct sink_conn *c, int *bytes);
	/* Streams: ends our side of the stream (TLS: close_notify first) and
	 * leaves the connection open to read the peer's end, waiting no
	 * longer than deadline (monotonic ms). 0 or -errno. */
	int (*shutdown)(struct sink_conn *c, uint64_t deadline);
	/* Closes what is open; closing a closed one does nothing. */
	void (*close)(struct sink_conn *c);
	/* The connection for the log, "TLSv1.3 TLS_AES_256_GCM_SHA384".
	 * May be NULL. */
	void (*describe)(struct sink_conn *c, char *buf, size_t size);
};

extern const struct sink_transport sink_transport_file;
extern const struct sink_transport sink_transport_udp;
extern const struct sink_transport sink_transport_tcp;
extern const struct sink_transport sink_transport_tls;
extern const struct sink_transport sink_transport_nats;

/*
 * What the socket transports share (sink_net.c), for sink_tls.c on top of
 * TCP and for the thread's graceful close.
 */

/* Waits for events on fd (c's, or one being connected) until deadline
 * (monotonic ms). 0 when ready (or an error to be read by the next call),
 * -ETIMEDOUT, -ECANCELED when the sink stops. */
int sink_wait_fd(struct sink_conn *c, int fd, short events,
		 uint64_t deadline);
/* c->peer: "host:port", "[v6]:port". */
void sink_net_name_peer(struct sink_conn *c);
/* Resolves the host and connects to each address in turn over TCP
 * (non-blocking, keepalive, user timeout). 0 or -errno. */
int sink_tcp_open(struct sink_conn *c);
/* Closes the socket. */
void sink_socket_close(struct sink_conn *c);
/* Writes all of buf to a stream through send_some, which returns bytes
 * written, -EAGAIN with *events to wait for, or -errno with err. 0 or
 * -errno. */
int sink_stream_write(struct sink_conn *c, const unsigned char *buf,
		      size_t len,
		      ssize_t (*send_some)(struct sink_conn *c, const void *buf,
					   size_t len, short *events,
					   struct error_detail *err));
/* Polls a stream without waiting: 0 with *revents (0: nothing came), or
 * -errno when the socket has an error. */
int sink_stream_poll(struct sink_conn *c, short *revents);
int sink_stream_unacked(struct sink_conn *c, int *bytes);
int sink_stream_shutdown(struct sink_conn *c, uint64_t deadline);

#endif
