/* ctl_progress.c -- the progress line of a long load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"

#include "ctl.h"
#include "ctl_client.h"
#include "ctl_display.h"
#include "ctl_progress.h"

#define STATUS_WAIT_MS 500
#define MB (1024.0 * 1024.0)

/* The daemon's status "running" member, or NULL (not asked in time, no
 * load running). A new reference. */
static json_t *
running_load(const char *socket)
{
	static const char request[] = "{\"cmd\":\"status\",\"v\":1}\n";
	int64_t deadline = (int64_t)monotonic_ms() + STATUS_WAIT_MS;
	struct ctl_exchange x;
	json_t *running = NULL;
	int fd = ctl_client_connect(socket, deadline);

	if (fd < 0)
		return NULL;
	if (ctl_client_exchange(fd, request, sizeof(request) - 1, deadline,
				NULL, &x) == 0) {
		json_t *reply = json_loadb(x.reply, x.reply_len, 0, NULL);
		running = json_object_get(json_object_get(reply, "result"),
					  "running");
		json_incref(running);
		json_decref(reply);
		free(x.reply);
	}
	close(fd);
	return running;
}

void
ctl_load_progress(size_t sent, size_t len, void *arg)
{
	struct ctl_load_progress *p = arg;

	if (sent < len) {
		fprintf(stderr, "\r%s: sending the feed: %.1f of %.1f MB\033[K",
			ctl_prog, (double)sent / MB, (double)len / MB);
		p->shown = true;
		return;
	}
	json_t *running = running_load(p->socket);
	const char *feed = json_string_value(json_object_get(running, "feed"));
	const char *phase = json_string_value(json_object_get(running,
							      "phase"));
	if (phase != NULL) {
		char *safe_feed = feed != NULL ? ctl_term_safe(feed) : NULL;
		fprintf(stderr, "\r%s: loading %s%s%s: %s, %.1f s\033[K",
			ctl_prog, safe_feed != NULL ? "feed '" : "the feed",
			safe_feed != NULL ? safe_feed : "",
			safe_feed != NULL ? "'" : "", phase,
			json_number_value(json_object_get(running, "seconds")));
		free(safe_feed);
		p->shown = true;
	}
	json_decref(running);
}

void
ctl_load_progress_end(struct ctl_load_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
