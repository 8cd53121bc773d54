/* fleet.c -- the fleet's changes on NATS JetStream; see fleet.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fleet.h"

static int
fleet_fail(char *why, size_t size, const char *doing, natsStatus s,
	   jsErrCode jerr)
{
	natsStatus last;
	const char *detail = nats_GetLastError(&last);

	if (detail != NULL && detail[0] != '\0' && last == s)
		snprintf(why, size, "%s: %s", doing, detail);
	else if (jerr != 0)
		snprintf(why, size, "%s: %s (JetStream error %d)", doing,
			 natsStatus_GetText(s), (int)jerr);
	else
		snprintf(why, size, "%s: %s", doing, natsStatus_GetText(s));
	return s == NATS_TIMEOUT ? -ETIMEDOUT : s == NATS_NO_RESPONDERS ?
		-EHOSTUNREACH : -EIO;
}

int
fleet_bucket_ensure(jsCtx *js, char *why, size_t size)
{
	kvStore *kv = NULL;
	natsStatus s = js_KeyValue(&kv, js, FLEET_BUCKET);

	if (s == NATS_NOT_FOUND) {
		kvConfig kc;
		kvConfig_Init(&kc);
		kc.Bucket = FLEET_BUCKET;
		kc.History = 1;
		kc.StorageType = js_FileStorage;
		s = js_CreateKeyValue(&kv, js, &kc);
	}
	kvStore_Destroy(kv);
	if (s != NATS_OK)
		return fleet_fail(why, size, "the heartbeat bucket "
				  FLEET_BUCKET, s, 0);
	return 0;
}

int
fleet_stream_ensure(jsCtx *js, char *why, size_t size)
{
	const char *subjects[1] = { FLEET_SUBJECTS };
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	jsStreamConfig sc;
	natsStatus s = js_GetStreamInfo(&si, js, FLEET_STREAM, NULL, &jerr);

	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return fleet_bucket_ensure(js, why, size);
	if (s != NATS_NOT_FOUND)
		return fleet_fail(why, size, "asking for stream " FLEET_STREAM,
				  s, jerr);
	jsStreamConfig_Init(&sc);
	sc.Name = FLEET_STREAM;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	si = NULL;
	jerr = 0;
	s = js_AddStream(&si, js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK && jerr != JSStreamNameExistErr)
		return fleet_fail(why, size, "making stream " FLEET_STREAM, s,
				  jerr);
	return fleet_bucket_ensure(js, why, size);
}

int
fleet_last_revision(jsCtx *js, uint64_t *last, char *why, size_t size)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, FLEET_STREAM, NULL, &jerr);

	*last = 0;
	if (s == NATS_NOT_FOUND)
		return 0;
	if (s != NATS_OK)
		return fleet_fail(why, size, "asking for stream " FLEET_STREAM,
				  s, jerr);
	*last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	return 0;
}

static int
publish_one(jsCtx *js, const char *subject, const void *data, size_t len,
	    uint64_t *seq, char *why, size_t size)
{
	jsPubAck *pa = NULL;
	jsPubOptions po;
	jsErrCode jerr = 0;
	natsStatus s;

	jsPubOptions_Init(&po);        /* waits as long as js's Wait */
	po.ExpectStream = FLEET_STREAM;
	s = js_Publish(&pa, js, subject, data, (int)len, &po, &jerr);
	if (s != NATS_OK)
		return fleet_fail(why, size, "publishing to " FLEET_STREAM, s,
				  jerr);
	*seq = pa->Sequence;
	jsPubAck_Destroy(pa);
	return 0;
}

/* The SHA-256 of data as 64 hex digits. */
static void
sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

int
fleet_publish(jsCtx *js, const char *line, size_t len, uint64_t *revision,
	      char *why, size_t size)
{
	char hex[65];
	json_t *manifest, *chunks;
	char *text;
	int rc;

	if (len > FLEET_REQUEST_MAX) {
		snprintf(why, size, "the request is %zu bytes, more than %u",
			 len, FLEET_REQUEST_MAX);
		return -E2BIG;
	}
	if (len <= FLEET_CHUNK_BYTES)
		return publish_one(js, FLEET_SUBJECT_CHANGE, line, len,
				   revision, why, size);
	chunks = json_array();
	for (size_t off = 0; off < len; off += FLEET_CHUNK_BYTES) {
		size_t n = len - off < FLEET_CHUNK_BYTES ? len - off :
			FLEET_CHUNK_BYTES;
		uint64_t seq;
		rc = publish_one(js, FLEET_SUBJECT_CHUNK, line + off, n, &seq,
				 why, size);
		if (rc != 0) {
			json_decref(chunks);
			return rc;
		}
		json_array_append_new(chunks, json_integer((json_int_t)seq));
	}
	sha256_hex(line, len, hex);
	manifest = json_pack("{s:i,s:I,s:s,s:o}", "manifest", 1, "bytes",
			     (json_int_t)len, "sha256", hex, "chunks", chunks);
	text = manifest != NULL ? json_dumps(manifest, JSON_COMPACT) : NULL;
	json_decref(manifest);
	if (text == NULL) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	rc = publish_one(js, FLEET_SUBJECT_CHANGE, text, strlen(text),
			 revision, why, size);
	free(text);
	return rc;
}

void
fleet_manifest_free(struct fleet_manifest *m)
{
	free(m->chunks);
	m->chunks = NULL;
	m->n_chunks = 0;
}

int
fleet_manifest_parse(const char *data, size_t len, uint64_t revision,
		     struct fleet_manifest *m, char *why, size_t size)
{
	json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *chunks = json_object_get(o, "chunks");
	json_t *bytes = json_object_get(o, "bytes");
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	size_t i;
	json_t *chunk;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o) || json_object_get(o, "manifest") == NULL) {
		json_decref(o);
		return 1;                /* a request, not a manifest */
	}
	if (!json_is_array(chunks) || json_array_size(chunks) == 0 ||
	    json_array_size(chunks) > FLEET_REQUEST_MAX / FLEET_CHUNK_BYTES + 1 ||
	    !json_is_integer(bytes) || json_integer_value(bytes) <= 0 ||
	    json_integer_value(bytes) > (json_int_t)FLEET_REQUEST_MAX ||
	    sha == NULL || strlen(sha) != 64 ||
	    strspn(sha, "0123456789abcdef") != 64) {
		snprintf(why, size, "revision %lu: a manifest without its "
			 "chunks, bytes (1 to %u) or sha256 (64 hex digits)",
			 (unsigned long)revision, FLEET_REQUEST_MAX);
		json_decref(o);
		return -EBADMSG;
	}
	m->chunks = calloc(json_array_size(chunks), sizeof(*m->chunks));
	if (m->chunks == NULL) {
		snprintf(why, size, "out of memory");
		json_decref(o);
		return -ENOMEM;
	}
	json_array_foreach(chunks, i, chunk) {
		json_int_t seq = json_integer_value(chunk);
		if (!json_is_integer(chunk) || seq <= 0 ||
		    (uint64_t)seq >= revision ||
		    (i > 0 && (uint64_t)seq <= m->chunks[i - 1])) {
			snprintf(why, size, "revision %lu: chunk %zu is not a "
				 "revision before its manifest, after the chunk "
				 "before it", (unsigned long)revision, i + 1);
			fleet_manifest_free(m);
			json_decref(o);
			return -EBADMSG;
		}
		m->chunks[i] = (uint64_t)seq;
	}
	m->n_chunks = json_array_size(chunks);
	m->bytes = (size_t)json_integer_value(bytes);
	memcpy(m->sha256, sha, 65);
	json_decref(o);
	return 0;
}

/* Reads the chunks a manifest names into one line. */
static int
manifest_read(jsCtx *js, uint64_t seq, const struct fleet_manifest *m,
	      char **line, size_t *len, char *why, size_t size)
{
	char hex[65];
	size_t off = 0;
	char *buf = malloc(m->bytes + 1);

	if (buf == NULL) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_chunks; i++) {
		natsMsg *msg = NULL;
		jsErrCode jerr = 0;
		natsStatus s = js_GetMsg(&msg, js, FLEET_STREAM, m->chunks[i],
					 NULL, &jerr);

		if (s == NATS_NOT_FOUND) {
			snprintf(why, size, "revision %lu: chunk %lu is gone",
				 (unsigned long)seq,
				 (unsigned long)m->chunks[i]);
			free(buf);
			return -EBADMSG;
		}
		if (s != NATS_OK) {
			free(buf);
			return fleet_fail(why, size, "reading a chunk", s, jerr);
		}
		size_t n = (size_t)natsMsg_GetDataLength(msg);
		if (strcmp(natsMsg_GetSubject(msg), FLEET_SUBJECT_CHUNK) != 0 ||
		    off + n > m->bytes) {
			snprintf(why, size, "revision %lu: %lu is not one of its "
				 "chunks", (unsigned long)seq,
				 (unsigned long)m->chunks[i]);
			natsMsg_Destroy(msg);
			free(buf);
			return -EBADMSG;
		}
		memcpy(buf + off, natsMsg_GetData(msg), n);
		off += n;
		natsMsg_Destroy(msg);
	}
	sha256_hex(buf, off, hex);
	if (off != m->bytes || strcmp(hex, m->sha256) != 0) {
		snprintf(why, size, "revision %lu: its chunks make %zu bytes "
			 "with another digest than the manifest's",
			 (unsigned long)seq, off);
		free(buf);
		return -EBADMSG;
	}
	buf[off] = '\0';
	*line = buf;
	*len = off;
	return 0;
}

int
fleet_read_change(jsCtx *js, uint64_t seq, char **line, size_t *len,
		  char *why, size_t size)
{
	natsMsg *msg = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetMsg(&msg, js, FLEET_STREAM, seq, NULL, &jerr);
	int rc = 0;

	*line = NULL;
	*len = 0;
	if (s == NATS_NOT_FOUND)
		return 0;                /* deleted */
	if (s != NATS_OK)
		return fleet_fail(why, size, "reading a change", s, jerr);
	if (strcmp(natsMsg_GetSubject(msg), FLEET_SUBJECT_CHANGE) != 0) {
		natsMsg_Destroy(msg);
		return 0;                /* a chunk */
	}
	const char *data = natsMsg_GetData(msg);
	size_t n = (size_t)natsMsg_GetDataLength(msg);
	struct fleet_manifest m;
	rc = fleet_manifest_parse(data, n, seq, &m, why, size);
	if (rc == 0) {
		rc = manifest_read(js, seq, &m, line, len, why, size);
		fleet_manifest_free(&m);
	} else if (rc == 1) {
		rc = 0;
		*line = malloc(n + 1);
		if (*line == NULL) {
			snprintf(why, size, "out of memory");
			rc = -ENOMEM;
		} else {
			memcpy(*line, data, n);
			(*line)[n] = '\0';
			*len = n;
		}
	}
	natsMsg_Destroy(msg);
	return rc;
}

bool
fleet_request_allowed(const char *line, size_t len, char *cmd)
{
	static const char *const allowed[] = { "load", "add", "del", "undel" };
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *name = json_string_value(json_object_get(o, "cmd"));
	bool ok = false;

	snprintf(cmd, 16, "%s", name != NULL ? name : "?");
	for (size_t i = 0; name != NULL && i < 4; i++)
		ok = ok || strcmp(name, allowed[i]) == 0;
	json_decref(o);
	return ok;
}
