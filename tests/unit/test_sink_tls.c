/* test_sink_tls.c -- sink_tls.c: TLS sinks against a loopback TLS
 * receiver with a CA and certificates made here by the openssl command
 * line: delivery with a client certificate, to a name and to an address,
 * the receiver dying mid-stream, a certificate refused (wrong name,
 * another CA) or not checked (verify=no), and CA and certificate files
 * that cannot be read. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "sink_fixture.h"

/*
 * TLS, with a CA and certificates made by the openssl command line.
 */

static char pki[300];
static bool have_pki;

static bool
make_pki(void)
{
	char cmd[4096];

	snprintf(pki, sizeof(pki), "%s/pki", tmp_root);
	if (mkdir(pki, 0700) != 0)
		return false;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && "
		 "E='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
		 "openssl req -x509 $E -keyout ca.key -out ca.pem -days 2 "
		 "-subj '/CN=iocsift test CA' && "
		 "openssl req -x509 $E -keyout other-ca.key -out other-ca.pem "
		 "-days 2 -subj '/CN=another CA' && "
		 "openssl req $E -keyout server.key -out server.csr "
		 "-subj '/CN=localhost' && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n"
		 "extendedKeyUsage=serverAuth\\n' > server.ext && "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out server.pem -days 2 -extfile server.ext && "
		 "openssl req $E -keyout client.key -out client.csr "
		 "-subj '/CN=iocsift' && "
		 "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
		 "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out client.pem -days 2 -extfile client.ext",
		 pki);
	char quiet[4200];
	snprintf(quiet, sizeof(quiet), "( %s ) >/dev/null 2>&1", cmd);
	return system(quiet) == 0;
}

static SSL_CTX *
server_tls(bool want_client_cert)
{
	char cert[400], key[400], ca[400];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	snprintf(cert, sizeof(cert), "%s/server.pem", pki);
	snprintf(key, sizeof(key), "%s/server.key", pki);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	if (want_client_cert) {
		assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
}

/* CA and certificate files that cannot be read: the sink does not
 * start. */
static void
test_tls_start_errors(void **state)
{
	struct exp_sink_config c;
	struct error_detail err = { 0 };
	(void)state;

	parse_ok("tls://h?ca=/nonexistent/ca.pem", &c);
	assert_null(exp_sink_start(&c, NULL, &err));
	assert_non_null(strstr(err_text(&err), "CA '/nonexistent/ca.pem'"));
	parse_ok("tls://h?cert=/nonexistent/c.pem&key=/nonexistent/k.pem", &c);
	assert_null(exp_sink_start(&c, NULL, &err));
	assert_non_null(strstr(err_text(&err), "certificate '/nonexistent/c.pem'"));
}

static void
test_tls(void **state)
{
	struct server *sv = server_new();
	char uri[1024];
	(void)state;

	if (!have_pki) {
		server_free(sv);
		skip();
	}
	sv->tls = server_tls(true);
	server_start(sv, 0);
	/* CA, host name, client certificate. */
	snprintf(uri, sizeof(uri), "tls://localhost:%u?ca=%s/ca.pem&"
		 "cert=%s/client.pem&key=%s/client.key&confirm_ms=200&"
		 "name=tls-ok", sv->port, pki, pki, pki);
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 500);
	assert_true(wait_distinct(sv, 500, 10000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.sent, 500);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.errors, 0);
	exp_sink_stop(s, 0);
	assert_false(server_view(sv).bad_frame);
	assert_int_equal(server_view(sv).order_n, 500);
	assert_true(wait_log("sink tls-ok: connected to localhost:", 5000));
	assert_true(log_has("TLSv1.3"));
	assert_true(server_view(sv).eofs >= 1); /* close_notify, draining */

	/* An address is checked against the IP SANs. */
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%u?ca=%s/ca.pem&"
		 "cert=%s/client.pem&key=%s/client.key&name=tls-ip",
		 sv->port, pki, pki, pki);
	s = start_uri(uri, NULL);
	submit_range(s, 500, 510);
	assert_true(wait_distinct(sv, 510, 10000));
	exp_sink_stop(s, 2000);
	server_join(sv);
	server_free(sv);
}

/* The TLS receiver dies mid-stream too: everything arrives. */
static void
test_tls_receiver_killed(void **state)
{
	struct server *sv = server_new();
	char uri[1024], dir[300];
	pthread_t t;
	(void)state;

	if (!have_pki) {
		server_free(sv);
		skip();
	}
	tmp_dir(dir, sizeof(dir), "spool-tls-kill");
	sv->tls = server_tls(false);
	sv->kill_after = 300;
	server_start(sv, 0);
	uint16_t port = sv->port;
	snprintf(uri, sizeof(uri), "tls://localhost:%u?ca=%s/ca.pem&"
		 "confirm_ms=500&backoff_max=1s&name=tls-kill", port, pki);
	struct exp_sink *s = start_uri(uri, dir);
	struct submitter sub = { .sink = s, .from = 0, .to = 1500,
				 .pause_us = 300 };
	assert_int_equal(pthread_create(&t, NULL, submitter_main, &sub), 0);
	uint64_t end = ms_now() + 10000;
	while (!atomic_load(&sv->stop) && ms_now() < end)
		sleep_ms(5);
	server_join(sv);
	sleep_ms(300);
	sv->kill_after = 0;
	server_start(sv, port);
	pthread_join(t, NULL);
	assert_true(wait_distinct(sv, 1500, 20000));
	assert_int_equal(exp_sink_drain(s, 5000), 0);
	struct exp_sink_stats st = stats_of(s);
	assert_int_equal(st.dropped, 0);
	assert_true(st.retried > 0);
	assert_true(st.connects >= 2);
	exp_sink_stop(s, 0);
	server_join(sv);
	assert_false(sv->bad_frame);
	server_free(sv);
}

static void
test_tls_refused(void **state)
{
	struct server *sv = server_new();
	char uri[1024];
	(void)state;

	if (!have_pki) {
		server_free(sv);
		skip();
	}
	sv->tls = server_tls(false);
	server_start(sv, 0);
	/* The name the certificate must match is not in it. */
	log_clear();
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%u?ca=%s/ca.pem&"
		 "name_check=siem.example.com&backoff_max=200ms&name=tls-name",
		 sv->port, pki);
	struct exp_sink *s = start_uri(uri, NULL);
	submit_range(s, 0, 5);
	uint64_t end = ms_now() + 5000;
	while (stats_of(s).errors < 2 && ms_now() < end)
		sleep_ms(10);
	struct exp_sink_stats st = stats_of(s);
	assert_true(st.errors >= 2);
	assert_int_equal(st.connects, 0);
	assert_false(st.connected);
	assert_true(wait_log("hostname mismatch", 5000));
	exp_sink_stop(s, 0);
	/* Another CA. */
	log_clear();
	snprintf(uri, sizeof(uri), "tls://localhost:%u?ca=%s/other-ca.pem&"
		 "name=tls-ca", sv->port, pki);
	s = start_uri(uri, NULL);
	end = ms_now() + 5000;
	while (stats_of(s).errors < 1 && ms_now() < end)
		sleep_ms(10);
	assert_true(wait_log("certificate verify failed", 5000));
	exp_sink_stop(s, 0);
	assert_int_equal(server_frames_count(sv), 0);
	/* verify=no: delivered, with a warning. */
	log_clear();
	snprintf(uri, sizeof(uri), "tls://127.0.0.1:%u?name_check=wrong.example&"
		 "verify=no&name=tls-noverify", sv->port);
	s = start_uri(uri, NULL);
	assert_true(log_has("verify=no"));
	submit_range(s, 0, 5);
	assert_true(wait_distinct(sv, 5, 5000));
	exp_sink_stop(s, 2000);
	server_join(sv);
	server_free(sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_start_errors),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_receiver_killed),
		cmocka_unit_test(test_tls_refused),
	};

	if (sink_fixture_setup("test_sink_tls") != 0)
		return 1;
	have_pki = make_pki();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sink_fixture_teardown();
	return rc;
}
