/* nats_connect.c -- the NATS client's options from a nats:// URI's
 * settings; see nats_connect.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nats_connect.h"

#define NATS_CONNECT_TIMEOUT_MS 10000

void
exp_nats_url(const struct exp_sink_config *cfg, char *buf, size_t size)
{
	bool v6 = strchr(cfg->host, ':') != NULL;

	snprintf(buf, size, "nats://%s%s%s:%u", v6 ? "[" : "", cfg->host,
		 v6 ? "]" : "", cfg->port);
}

void
exp_nats_why(char *buf, size_t size, const char *doing, const char *peer,
	     natsStatus s)
{
	natsStatus last;
	const char *detail = nats_GetLastError(&last);

	if (detail != NULL && detail[0] != '\0' && last == s)
		snprintf(buf, size, "%s %s: %s", doing, peer, detail);
	else
		snprintf(buf, size, "%s %s: %s", doing, peer,
			 natsStatus_GetText(s));
}

/* The password from its file: the first line, without its newline. */
static int
password_read(const char *path, char *out, size_t size,
	      struct error_detail *err)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		int e = errno;
		error_detail_set(err, "", 0, "password_file %s: %s", path,
				 strerror(e));
		return -e;
	}
	n = fread(out, 1, size - 1, f);
	fclose(f);
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		error_detail_set(err, "", 0, "password_file %s: empty", path);
		return -EINVAL;
	}
	return 0;
}

/* The client options: the server, no reconnection of its own, TLS and
 * credentials. 0, or -errno with err. */
int
exp_nats_options_make(const struct exp_sink_config *cfg, const char *name,
		      bool reconnect, natsOptions **opts, char *password,
		      struct error_detail *err)
{
	natsStatus s = nats_Open(-1);
	char url[300], peer[300];
	const char *doing = "starting the NATS client";
	natsOptions *o = NULL;
	int rc = -EINVAL;

	exp_nats_url(cfg, url, sizeof(url));
	snprintf(peer, sizeof(peer), "%s", url);
	if (s == NATS_OK)
		s = natsOptions_Create(&o);
	if (s != NATS_OK)
		goto fail;
	doing = "NATS options";
	if ((s = natsOptions_SetURL(o, url)) != NATS_OK ||
	    (s = natsOptions_SetName(o, name)) != NATS_OK ||
	    (s = natsOptions_SetTimeout(o, NATS_CONNECT_TIMEOUT_MS)) !=
	    NATS_OK ||
	    (s = natsOptions_SetAllowReconnect(o, reconnect)) !=
	    NATS_OK ||
	    (s = natsOptions_SetPingInterval(o, 5000)) != NATS_OK ||
	    (s = natsOptions_SetMaxPingsOut(o, 2)) != NATS_OK)
		goto fail;
	if (reconnect &&
	    ((s = natsOptions_SetMaxReconnect(o, -1)) != NATS_OK ||
	     (s = natsOptions_SetReconnectWait(o, 250)) != NATS_OK ||
	     (s = natsOptions_SetRetryOnFailedConnect(o, true, NULL,
						       NULL)) != NATS_OK))
		goto fail;
	if (cfg->nats_tls) {
		doing = "TLS";
		if ((s = natsOptions_SetSecure(o, true)) != NATS_OK)
			goto fail;
		if (cfg->ca[0] != '\0') {
			doing = "the CA file";
			s = natsOptions_LoadCATrustedCertificates(o,
								  cfg->ca);
			if (s != NATS_OK)
				goto fail;
		}
		if (cfg->cert[0] != '\0') {
			doing = "the certificate and key";
			s = natsOptions_LoadCertificatesChain(o,
							      cfg->cert,
							      cfg->key);
			if (s != NATS_OK)
				goto fail;
		}
		doing = "TLS";
		if (!cfg->verify &&
		    (s = natsOptions_SkipServerVerification(o, true)) !=
		    NATS_OK)
			goto fail;
		if (cfg->server_name[0] != '\0' &&
		    (s = natsOptions_SetExpectedHostname(o,
							 cfg->server_name)) !=
		    NATS_OK)
			goto fail;
	}
	if (cfg->creds[0] != '\0') {
		doing = "the creds file";
		if (access(cfg->creds, R_OK) != 0) {
			rc = -errno;
			error_detail_set(err, "", 0, "creds %s: %s", cfg->creds,
					 strerror(-rc));
			goto free;
		}
		s = natsOptions_SetUserCredentialsFromFiles(o, cfg->creds,
							    NULL);
		if (s != NATS_OK)
			goto fail;
	}
	if (cfg->nkey[0] != '\0') {
		doing = "the nkey seed file";
		if (access(cfg->seed, R_OK) != 0) {
			rc = -errno;
			error_detail_set(err, "", 0, "seed %s: %s", cfg->seed,
					 strerror(-rc));
			goto free;
		}
		s = natsOptions_SetNKeyFromSeed(o, cfg->nkey, cfg->seed);
		if (s != NATS_OK)
			goto fail;
	}
	if (cfg->user[0] != '\0') {
		rc = password_read(cfg->password_file, password,
				   EXP_NATS_PASSWORD_MAX + 1, err);
		if (rc != 0)
			goto free;
		doing = "user and password";
		s = natsOptions_SetUserInfo(o, cfg->user, password);
		if (s != NATS_OK)
			goto fail;
	}
	*opts = o;
	return 0;
fail:;
	natsStatus last;
	const char *detail = nats_GetLastError(&last);
	error_detail_set(err, "", 0, "%s for %s: %s", doing, peer,
			 detail != NULL && detail[0] != '\0' ? detail :
			 natsStatus_GetText(s));
	rc = -EINVAL;
free:
	natsOptions_Destroy(o);
	return rc;
}

