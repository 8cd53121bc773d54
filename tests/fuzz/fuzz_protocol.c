/* fuzz_protocol.c -- arbitrary bytes as a control request and as base64. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One JSON object, "\n" only at its end; freed here. */
static void
check_reply(char *line, bool ok)
{
	json_error_t jerr;
	json_t *json;
	size_t n;

	if (line == NULL)
		return;         /* ENOMEM */
	n = strlen(line);
	if (n < 2 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		abort();
	json = json_loadb(line, n - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (json == NULL || !json_is_object(json) ||
	    json_integer_value(json_object_get(json, "v")) !=
	    CTL_PROTOCOL_VERSION ||
	    json_is_true(json_object_get(json, "ok")) != ok)
		abort();
	json_decref(json);
	free(line);
}

/* The decoded feed must encode back to what a client would send. */
static void
check_data(const struct ctl_request *req)
{
	size_t enc_len = 4 * ((req->data_len + 2) / 3);
	char *enc = malloc(enc_len + 1);
	unsigned char *dec = malloc(enc_len / 4 * 3 + 1);
	size_t dec_len;

	if (req->data == NULL || req->data[req->data_len] != '\0')
		abort();
	if (enc != NULL && dec != NULL) {
		if (base64_encode(req->data, req->data_len, enc) != enc_len ||
		    base64_decode(enc, enc_len, true, dec, &dec_len) != 0 ||
		    dec_len != req->data_len ||
		    memcmp(dec, req->data, dec_len) != 0)
			abort();
	}
	free(enc);
	free(dec);
}

static void
check_request(const struct ctl_request *req)
{
	const char *const strings[] = {
		req->name, req->format, req->type, req->value, req->tags,
		req->expires, req->severity, req->feed, req->text,
	};

	if (ctl_command_name(req->cmd) == NULL || req->json == NULL)
		abort();
	switch (req->cmd) {
	case CTL_CMD_LOAD:
		if (!ctl_feed_name_valid(req->name) || req->format == NULL)
			abort();
		check_data(req);
		break;
	case CTL_CMD_ADD:
		if (req->type == NULL || req->value == NULL ||
		    !ctl_feed_name_valid(req->feed))
			abort();
		break;
	case CTL_CMD_DEL:
	case CTL_CMD_UNDEL:
		if (req->type == NULL || req->value == NULL)
			abort();
		break;
	case CTL_CMD_STATS:
		if (req->top < 0 || req->top > CTL_STATS_TOP_MAX)
			abort();
		break;
	case CTL_CMD_LIST:
		if (req->limit < 1 || req->limit > CTL_LIST_LIMIT_MAX)
			abort();
		break;
	case CTL_CMD_TEST:
		if (req->text == NULL || strlen(req->text) > CTL_TEST_TEXT_MAX)
			abort();
		break;
	case CTL_CMD_HUNT:
		/* Exactly one of: a feed, an indicator, a hunt to report on. */
		if (req->since < 0 || req->since > CTL_HUNT_SINCE_MAX ||
		    req->hunt < 0)
			abort();
		if (req->data != NULL) {
			if (!ctl_feed_name_valid(req->name) ||
			    req->format == NULL || req->hunt != 0 ||
			    req->type != NULL || req->value != NULL)
				abort();
			check_data(req);
		} else if (req->hunt != 0) {
			if (req->type != NULL || req->value != NULL)
				abort();
		} else if (req->type == NULL || req->value == NULL) {
			abort();
		}
		break;
	default:
		if (req->data != NULL)
			abort();
		break;
	}
	/* What a daemon would echo back must make a valid reply. */
	json_t *echo = json_array();

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strings[i] != NULL)
			json_array_append_new(echo, json_string(strings[i]));
	json_t *result = json_pack("{s:o,s:I}", "strings", echo, "data_len",
				   (json_int_t)req->data_len);
	check_reply(ctl_reply_ok(req, result), true);
}

static void
check_parse(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	struct error_detail err;
	int rc;
	size_t limit = ctl_request_limit((const char *)data, size);

	if (limit != CTL_REQUEST_MAX && limit != CTL_LOAD_REQUEST_MAX)
		abort();
	rc = ctl_request_parse((const char *)data, size, &req, &err);
	if (rc == 0) {
		check_request(&req);
	} else {
		if (err.message[0] == '\0')
			abort();
		if (rc != -EINVAL && rc != -ENOTSUP && rc != -ENOENT &&
		    rc != -E2BIG && rc != -ENOMEM)
			abort();
		check_reply(ctl_reply_error(&req, ctl_request_error_code(rc),
					    err.message), false);
	}
	ctl_request_release(&req);
}

/* Decoding is strict, so whatever decodes encodes back to the input. */
static void
check_base64(const uint8_t *data, size_t size)
{
	unsigned char *out = malloc(size / 4 * 3 + 1);
	char *enc;
	size_t n;

	if (out == NULL)
		return;
	if (base64_decode((const char *)data, size, true, out, &n) == 0) {
		if (n > size / 4 * 3)
			abort();
		enc = malloc(4 * ((n + 2) / 3) + 1);
		if (enc != NULL) {
			if (base64_encode(out, n, enc) != size ||
			    memcmp(enc, data, size) != 0)
				abort();
			free(enc);
		}
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_base64(data, size);
	return 0;
}
