/* fleet.h -- the fleet's changes on NATS JetStream (docs/fleet.md). One
 * stream, FLEET_STREAM, holds every change as the very control request a
 * local iocsiftctl sends (load, add, del, undel): its sequence number is
 * the change's revision. A request longer than FLEET_CHUNK_BYTES goes as
 * chunks on FLEET_SUBJECT_CHUNK, then a manifest on FLEET_SUBJECT_CHANGE
 * naming them and the SHA-256 of the whole. A key-value bucket,
 * FLEET_BUCKET, holds each appliance's heartbeat under its name. Used by
 * `iocsiftctl --fleet` (publishing, status) and by the follower of
 * `iocsift run` (reading). */
#ifndef IOCSIFT_CONTROL_FLEET_H
#define IOCSIFT_CONTROL_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#define FLEET_STREAM "IOCSIFT_FLEET"
#define FLEET_SUBJECTS "iocsift.fleet.>"
#define FLEET_SUBJECT_CHANGE "iocsift.fleet.change"
#define FLEET_SUBJECT_CHUNK "iocsift.fleet.chunk"
#define FLEET_BUCKET "IOCSIFT_APPLIANCES"
#define FLEET_CHUNK_BYTES (512u << 10)
#define FLEET_REQUEST_MAX (256u << 20)   /* CTL_LOAD_REQUEST_MAX */
#define FLEET_WHY_MAX 512

/* Makes the heartbeat bucket when it does not exist (one value a key,
 * file storage). 0, or -errno with why. */
int fleet_bucket_ensure(jsCtx *js, char *why, size_t size);

/* Makes the stream when it does not exist (file storage, every subject
 * of the fleet, nothing expires), and the heartbeat bucket. 0, or -errno
 * with why. */
int fleet_stream_ensure(jsCtx *js, char *why, size_t size);

/* The newest sequence number of the stream: 0 when it is empty or does
 * not exist. 0, or -errno with why. */
int fleet_last_revision(jsCtx *js, uint64_t *last, char *why, size_t size);

/* Publishes one request line (chunked past FLEET_CHUNK_BYTES) and
 * returns its revision once JetStream stored it. 0 or -errno with why. */
int fleet_publish(jsCtx *js, const char *line, size_t len, uint64_t *revision,
		  char *why, size_t size);

/* The change at seq: *line (malloc'd, NUL-terminated) and *len when seq
 * is a change; *line NULL when it is a chunk (or gone: deleted). 0, or
 * -EBADMSG with why for a change that cannot be read whole (a chunk
 * missing, a digest that differs, a manifest that does not parse),
 * -errno with why when the server could not be asked. */
int fleet_read_change(jsCtx *js, uint64_t seq, char **line, size_t *len,
		      char *why, size_t size);

/* A manifest: the chunks of one request, in order, its length and its
 * SHA-256. */
struct fleet_manifest {
	uint64_t *chunks;            /* revisions, increasing, < revision */
	size_t n_chunks;
	size_t bytes;
	char sha256[65];             /* lowercase hex */
};

/* Reads the change data at revision (untrusted: from the stream): 1 when
 * it is a request, not a manifest; 0 with *m (fleet_manifest_free());
 * -EBADMSG with why for a manifest that does not hold; -ENOMEM. */
int fleet_manifest_parse(const char *data, size_t len, uint64_t revision,
			 struct fleet_manifest *m, char *why, size_t size);
void fleet_manifest_free(struct fleet_manifest *m);

/* Whether line is a request the fleet may carry (load, add, del, undel,
 * with "v" 1); *cmd gets its name (16 bytes). */
bool fleet_request_allowed(const char *line, size_t len, char *cmd);

#endif
