/* sink_tls.c -- the TLS transport of a syslog sink (RFC 5425) with
 * OpenSSL, on top of sink_net.c's TCP: TLS 1.2+, the server checked
 * against a CA and a name, an optional client certificate. Non-blocking:
 * the socket is sink_net.c's, which does the waiting. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "sink.h"
#include "sink_transport.h"

struct sink_tls_ctx {
	SSL_CTX *ctx;
};

struct sink_tls {
	SSL *ssl;
};

/* The oldest queued OpenSSL error as text (then the queue is cleared), or
 * fallback when there is none. */
static void
openssl_reason(char *buf, size_t size, const char *fallback)
{
	unsigned long e = ERR_peek_error();

	if (e != 0) {
		/* reason only: "certificate verify failed", "no such file" */
		const char *r = ERR_reason_error_string(e);
		if (r != NULL)
			snprintf(buf, size, "%s", r);
		else
			ERR_error_string_n(e, buf, size);
	} else {
		snprintf(buf, size, "%s", fallback);
	}
	ERR_clear_error();
}

/* Loads the CA (else the system store), the certificate and the key.
 * NULL with errno and err. */
static struct sink_tls_ctx *
tls_ctx_new(const struct exp_sink_config *cfg, struct error_detail *err)
{
	struct sink_tls_ctx *c = calloc(1, sizeof(*c));
	char reason[256];

	if (c == NULL) {
		error_detail_set(err, "", 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL) {
		openssl_reason(reason, sizeof(reason), "unknown error");
		error_detail_set(err, "", 0, "TLS context: %s", reason);
		goto free_c;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	/* A syslog receiver that closes without close_notify ends the
	 * session like one that sends it: both are a lost connection. */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(c->ctx, cfg->verify ? SSL_VERIFY_PEER :
			   SSL_VERIFY_NONE, NULL);
	if (cfg->ca[0] != '\0') {
		struct stat st;
		bool dir = stat(cfg->ca, &st) == 0 && S_ISDIR(st.st_mode);
		if (SSL_CTX_load_verify_locations(c->ctx, dir ? NULL : cfg->ca,
						  dir ? cfg->ca : NULL) != 1) {
			openssl_reason(reason, sizeof(reason), "unreadable");
			error_detail_set(err, "", 0, "CA '%s': %s", cfg->ca,
					 reason);
			goto free_ctx;
		}
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		openssl_reason(reason, sizeof(reason), "unreadable");
		error_detail_set(err, "", 0, "the system's CA store: %s",
				 reason);
		goto free_ctx;
	}
	if (cfg->cert[0] != '\0') {
		if (SSL_CTX_use_certificate_chain_file(c->ctx, cfg->cert) !=
		    1) {
			openssl_reason(reason, sizeof(reason), "unreadable");
			error_detail_set(err, "", 0, "certificate '%s': %s",
					 cfg->cert, reason);
			goto free_ctx;
		}
		if (SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key,
						SSL_FILETYPE_PEM) != 1) {
			openssl_reason(reason, sizeof(reason), "unreadable");
			error_detail_set(err, "", 0, "key '%s': %s", cfg->key,
					 reason);
			goto free_ctx;
		}
		if (SSL_CTX_check_private_key(c->ctx) != 1) {
			openssl_reason(reason, sizeof(reason), "mismatch");
			error_detail_set(err, "", 0, "key '%s' does not match "
					 "certificate '%s': %s", cfg->key,
					 cfg->cert, reason);
			goto free_ctx;
		}
	}
	return c;

free_ctx:
	SSL_CTX_free(c->ctx);
free_c:
	free(c);
	errno = EINVAL;
	return NULL;
}

static void
tls_ctx_free(struct sink_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

int
exp_sink_check_tls(const struct exp_sink_config *cfg, struct error_detail *err)
{
	struct sink_tls_ctx *c = tls_ctx_new(cfg, err);

	if (c == NULL)
		return -errno;
	tls_ctx_free(c);
	return 0;
}

static bool
is_address(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 ||
		inet_pton(AF_INET6, name, buf) == 1;
}

/* A client session on fd checking the server against cfg. NULL (out of
 * memory) with err. */
static struct sink_tls *
tls_session_new(struct sink_tls_ctx *c, const struct exp_sink_config *cfg,
		int fd, struct error_detail *err)
{
	struct sink_tls *t = calloc(1, sizeof(*t));
	char reason[256];

	if (t == NULL) {
		error_detail_set(err, "", 0, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	t->ssl = SSL_new(c->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	if (is_address(cfg->server_name)) {
		/* An address is matched against the iPAddress SANs. */
		if (cfg->verify &&
		    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
						  cfg->server_name) != 1)
			goto fail;
	} else {
		if (SSL_set_tlsext_host_name(t->ssl, cfg->server_name) != 1)
			goto fail;
		if (cfg->verify) {
			SSL_set_hostflags(t->ssl,
					  X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (SSL_set1_host(t->ssl, cfg->server_name) != 1)
				goto fail;
		}
	}
	SSL_set_connect_state(t->ssl);
	return t;

fail:
	openssl_reason(reason, sizeof(reason), "out of memory");
	error_detail_set(err, "", 0, "TLS session: %s", reason);
	SSL_free(t->ssl);
	free(t);
	return NULL;
}

static void
tls_session_free(struct sink_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

/* What an SSL call that returned rc means: -EAGAIN with *events,
 * -ECONNRESET at the end of the session, else an error in err. */
static int
tls_result(struct sink_tls *t, int rc, short *events,
	   struct error_detail *err)
{
	int e = SSL_get_error(t->ssl, rc);
	char reason[256];

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		error_detail_set(err, "", 0, "closed by the receiver");
		return -ESHUTDOWN;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() != 0)
			break;
		if (errno == 0) {
			error_detail_set(err, "", 0, "closed by the receiver");
			return -ESHUTDOWN;
		}
		error_detail_set(err, "", 0, "%s", strerror(errno));
		ERR_clear_error();
		return errno == EPIPE ? -EPIPE : -ECONNRESET;
	default:
		break;
	}
	openssl_reason(reason, sizeof(reason), "TLS error");
	long v = SSL_get_verify_result(t->ssl);
	if (v != X509_V_OK)
		error_detail_set(err, "", 0, "%s: %s", reason,
				 X509_verify_cert_error_string(v));
	else
		error_detail_set(err, "", 0, "%s", reason);
	return -EPROTO;
}

/* One step of the handshake: 0 done; -EAGAIN (wait for *events);
 * -EPROTO etc. with err. */
static int
tls_session_handshake(struct sink_tls *t, short *events,
		      struct error_detail *err)
{
	ERR_clear_error();
	errno = 0;
	int rc = SSL_do_handshake(t->ssl);
	if (rc == 1)
		return 0;
	return tls_result(t, rc, events, err);
}

/* Bytes written (> 0); -EAGAIN (wait for *events); -errno with err. */
static ssize_t
tls_session_write(struct sink_tls *t, const void *buf, size_t len,
		  short *events, struct error_detail *err)
{
	size_t written = 0;

	ERR_clear_error();
	errno = 0;
	int rc = SSL_write_ex(t->ssl, buf, len, &written);
	if (rc == 1)
		return (ssize_t)written;
	return tls_result(t, 0, events, err);
}

/* Reads and discards what the server sent. 0 if the session is fine
 * (nothing or data read); -ESHUTDOWN at close_notify or EOF; -errno. */
static int
tls_session_read(struct sink_tls *t, struct error_detail *err)
{
	char scratch[4096];
	short events;

	for (int i = 0; i < 64; i++) {
		size_t n = 0;
		ERR_clear_error();
		errno = 0;
		if (SSL_read_ex(t->ssl, scratch, sizeof(scratch), &n) == 1)
			continue;     /* a receiver has nothing to say */
		int rc = tls_result(t, 0, &events, err);
		return rc == -EAGAIN ? 0 : rc;
	}
	return 0;
}

/* Sends close_notify. 0 sent; -EAGAIN (wait for *events); -errno. */
static int
tls_session_shutdown(struct sink_tls *t, short *events)
{
	ERR_clear_error();
	errno = 0;
	int rc = SSL_shutdown(t->ssl);
	if (rc >= 0)
		return 0;      /* close_notify sent (and maybe received) */
	return tls_result(t, rc, events, NULL);
}

/*
 * The transport.
 */

static int
tls_setup(struct sink_conn *c, const char **warning, struct error_detail *err)
{
	c->tls_ctx = tls_ctx_new(c->cfg, err);
	if (c->tls_ctx == NULL)
		return -EINVAL;
	if (!c->cfg->verify)
		*warning = "verify=no: the receiver's certificate is not "
			"checked (for tests only)";
	return 0;
}

static void
tls_teardown(struct sink_conn *c)
{
	tls_ctx_free(c->tls_ctx);
	c->tls_ctx = NULL;
}

static void
tls_close(struct sink_conn *c)
{
	tls_session_free(c->tls);
	c->tls = NULL;
	sink_socket_close(c);
}

/* TCP, then the handshake. */
static int
tls_open(struct sink_conn *c)
{
	struct error_detail err = { 0 };
	uint64_t deadline;
	short events;
	int rc = sink_tcp_open(c);

	if (rc != 0)
		return rc;
	deadline = monotonic_ms() + SINK_CONNECT_TIMEOUT_MS;
	c->tls = tls_session_new(c->tls_ctx, c->cfg, c->fd, &err);
	if (c->tls == NULL) {
		snprintf(c->why, sizeof(c->why), "%s", err.message);
		tls_close(c);
		return -ENOMEM;
	}
	for (;;) {
		rc = tls_session_handshake(c->tls, &events, &err);
		if (rc == 0)
			return 0;
		if (rc == -EAGAIN)
			rc = sink_wait_fd(c, c->fd, events, deadline);
		if (rc != 0) {
			snprintf(c->why, sizeof(c->why), "TLS handshake: %s",
				 rc == -ETIMEDOUT ? "timed out" :
				 rc == -ECANCELED ? "stopped" : err.message);
			tls_close(c);
			return rc;
		}
	}
}

static ssize_t
tls_send_some(struct sink_conn *c, const void *buf, size_t len,
	      short *events, struct error_detail *err)
{
	return tls_session_write(c->tls, buf, len, events, err);
}

static int
tls_write(struct sink_conn *c, const struct sink_batch *b,
	  unsigned int first, unsigned int *done)
{
	size_t start = sink_batch_start(b, first);
	int rc = sink_stream_write(c, b->data + start, b->len - start,
				   tls_send_some);

	*done = rc == 0 ? b->n - first : 0;
	return rc;
}

/* Reads what the receiver sent: a TLS alert or close_notify ends the
 * connection like an EOF. */
static int
tls_check(struct sink_conn *c)
{
	struct error_detail err = { 0 };
	short revents;
	int rc = sink_stream_poll(c, &revents);

	if (rc != 0 || revents == 0)
		return rc;
	rc = tls_session_read(c->tls, &err);
	if (rc == 0 && (revents & (POLLHUP | POLLRDHUP)))
		rc = -ESHUTDOWN;
	if (rc != 0)
		snprintf(c->why, sizeof(c->why), "connection to %s: %s",
			 c->peer, rc == -ESHUTDOWN ?
			 "closed by the receiver" : err.message);
	return rc;
}

/* close_notify, then the TCP FIN. */
static int
tls_shutdown(struct sink_conn *c, uint64_t deadline)
{
	short events;
	int rc;

	do {
		rc = tls_session_shutdown(c->tls, &events);
		if (rc == -EAGAIN) {
			rc = sink_wait_fd(c, c->fd, events, deadline);
			if (rc == 0)
				rc = -EAGAIN;
		}
	} while (rc == -EAGAIN);
	if (rc != 0)
		return rc;
	return sink_stream_shutdown(c, deadline);
}

static void
tls_describe(struct sink_conn *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", SSL_get_version(c->tls->ssl),
		 SSL_get_cipher_name(c->tls->ssl));
}

const struct sink_transport sink_transport_tls = {
	.framing = SINK_FRAME_OCTET_COUNT,
	.confirms = true,
	.reopens = false,
	.open_verb = "connected to",
	.name_peer = sink_net_name_peer,
	.setup = tls_setup,
	.teardown = tls_teardown,
	.open = tls_open,
	.write = tls_write,
	.check = tls_check,
	.unacked = sink_stream_unacked,
	.shutdown = tls_shutdown,
	.close = tls_close,
	.describe = tls_describe,
};
