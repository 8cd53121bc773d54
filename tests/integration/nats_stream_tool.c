/* nats_stream_tool.c -- what the NATS tests ask of a JetStream server,
 * with the NATS C client: make a stream, and print every message a stream
 * holds as JSON lines ({"seq", "subject", "msg_id", "data"}).
 *
 * usage: nats_stream_tool URL create STREAM SUBJECT [DUPLICATE_WINDOW_S]
 *        nats_stream_tool URL dump STREAM
 * TLS (URL tls://...): the CA in $NATS_TOOL_CA, a client certificate in
 * $NATS_TOOL_CERT and $NATS_TOOL_KEY.
 * exit: 0 done, 1 failed (the reason on stderr), 2 usage. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>

static int
failed(const char *what, natsStatus s, jsErrCode jerr)
{
	fprintf(stderr, "nats_stream_tool: %s: %s (JetStream error %d)\n", what,
		natsStatus_GetText(s), (int)jerr);
	return 1;
}

static int
stream_create(jsCtx *js, const char *stream, const char *subject,
	      int64_t window_s)
{
	const char *subjects[1] = { subject };
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	jsStreamConfig_Init(&sc);
	sc.Name = stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	if (window_s > 0)
		sc.Duplicates = window_s * 1000000000LL;
	s = js_AddStream(&si, js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	return s == NATS_OK ? 0 : failed("creating the stream", s, jerr);
}

static int
stream_dump(jsCtx *js, const char *stream)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	uint64_t first, last;

	if (s != NATS_OK)
		return failed("asking for the stream", s, jerr);
	first = si->State.FirstSeq;
	last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	for (uint64_t seq = first; seq != 0 && seq <= last; seq++) {
		natsMsg *msg = NULL;
		const char *id = NULL;
		json_t *line;
		char *text;

		s = js_GetMsg(&msg, js, stream, seq, NULL, &jerr);
		if (s == NATS_NOT_FOUND)
			continue;      /* deleted */
		if (s != NATS_OK)
			return failed("reading a message", s, jerr);
		if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK)
			id = NULL;
		line = json_pack("{s:I,s:s,s:s?,s:s%}", "seq", (json_int_t)seq,
				 "subject", natsMsg_GetSubject(msg),
				 "msg_id", id, "data", natsMsg_GetData(msg),
				 (size_t)natsMsg_GetDataLength(msg));
		text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
		if (text == NULL) {
			fprintf(stderr, "nats_stream_tool: message %" PRIu64
				" is not UTF-8 text\n", seq);
			json_decref(line);
			natsMsg_Destroy(msg);
			return 1;
		}
		printf("%s\n", text);
		free(text);
		json_decref(line);
		natsMsg_Destroy(msg);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsStatus s;
	int rc;

	if (argc < 4 || (strcmp(argv[2], "create") == 0 &&
			 (argc < 5 || argc > 6)) ||
	    (strcmp(argv[2], "dump") == 0 && argc != 4) ||
	    (strcmp(argv[2], "create") != 0 && strcmp(argv[2], "dump") != 0)) {
		fprintf(stderr, "usage: nats_stream_tool URL create STREAM "
			"SUBJECT [DUPLICATE_WINDOW_S]\n"
			"       nats_stream_tool URL dump STREAM\n");
		return 2;
	}
	natsOptions *opts = NULL;
	const char *ca = getenv("NATS_TOOL_CA");
	const char *cert = getenv("NATS_TOOL_CERT");
	const char *key = getenv("NATS_TOOL_KEY");

	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(opts, argv[1]);
	if (s == NATS_OK && ca != NULL)
		s = natsOptions_LoadCATrustedCertificates(opts, ca);
	if (s == NATS_OK && cert != NULL && key != NULL)
		s = natsOptions_LoadCertificatesChain(opts, cert, key);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, opts);
	natsOptions_Destroy(opts);
	if (s != NATS_OK)
		return failed("connecting", s, 0);
	s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK) {
		natsConnection_Destroy(nc);
		return failed("JetStream", s, 0);
	}
	if (strcmp(argv[2], "create") == 0)
		rc = stream_create(js, argv[3], argv[4],
				   argc == 6 ? strtoll(argv[5], NULL, 10) : 0);
	else
		rc = stream_dump(js, argv[3]);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
