/* nats_connect.h -- the NATS client's options from a nats:// URI's
 * settings (struct exp_sink_config of kind EXP_SINK_NATS): the server,
 * TLS and credentials. Shared by the nats:// sink, the fleet follower of
 * `iocsift run` and `iocsiftctl --fleet`. No I/O but reading the files
 * the settings name. */
#ifndef IOCSIFT_EXPORT_NATS_CONNECT_H
#define IOCSIFT_EXPORT_NATS_CONNECT_H

#include <stdbool.h>

#include <nats/nats.h>

#include "common.h"
#include "sink.h"

#define EXP_NATS_PASSWORD_MAX 1023

/* The connection's options for cfg, named name (the client name the
 * server shows). reconnect: the client reconnects on its own (forever,
 * every 250 ms) or not at all. password (EXP_NATS_PASSWORD_MAX + 1 bytes)
 * receives the password file's first line and must outlive *opts. 0, or
 * -errno with err (where ""). */
int exp_nats_options_make(const struct exp_sink_config *cfg, const char *name,
			  bool reconnect, natsOptions **opts, char *password,
			  struct error_detail *err);

/* "doing PEER: the client's last error or the status's text". */
void exp_nats_why(char *buf, size_t size, const char *doing, const char *peer,
		  natsStatus s);

/* "nats://HOST:PORT", IPv6 in brackets. */
void exp_nats_url(const struct exp_sink_config *cfg, char *buf, size_t size);

#endif
