/* fuzz_fleet.c -- arbitrary bytes as a fleet change read from the stream
 * (fleet.h): a manifest or a request, and whether the fleet may carry it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REVISION 1000u

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_manifest m;
	char why[FLEET_WHY_MAX];
	char cmd[16];

	why[0] = '\0';
	int rc = fleet_manifest_parse((const char *)data, size, REVISION, &m,
				      why, sizeof(why));
	switch (rc) {
	case 0:
		/* Chunks before the manifest, in order; a length and a digest
		 * a whole request can have. */
		if (m.n_chunks == 0 || m.bytes == 0 ||
		    m.bytes > FLEET_REQUEST_MAX || strlen(m.sha256) != 64 ||
		    strspn(m.sha256, "0123456789abcdef") != 64)
			abort();
		for (size_t i = 0; i < m.n_chunks; i++)
			if (m.chunks[i] == 0 || m.chunks[i] >= REVISION ||
			    (i > 0 && m.chunks[i] <= m.chunks[i - 1]))
				abort();
		fleet_manifest_free(&m);
		if (m.chunks != NULL || m.n_chunks != 0)
			abort();
		break;
	case 1:
		if (m.chunks != NULL)
			abort();
		break;
	case -EBADMSG:
		if (why[0] == '\0' || m.chunks != NULL ||
		    memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		break;
	case -ENOMEM:
		break;
	default:
		abort();
	}
	bool allowed = fleet_request_allowed((const char *)data, size, cmd);
	if (memchr(cmd, '\0', sizeof(cmd)) == NULL)
		abort();
	if (allowed && strcmp(cmd, "load") != 0 && strcmp(cmd, "add") != 0 &&
	    strcmp(cmd, "del") != 0 && strcmp(cmd, "undel") != 0)
		abort();
	return 0;
}
