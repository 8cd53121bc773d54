/* protocol.c -- control requests parsed and checked, reply lines, base64. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* How a field of the request object is read. */
enum ctl_field_kind {
	CTL_FIELD_STRING,       /* const char * member, no NUL byte */
	CTL_FIELD_INT,          /* int64_t member */
	CTL_FIELD_BOOL,         /* bool member */
	CTL_FIELD_DATA,         /* "data": any string, NUL bytes allowed */
	CTL_FIELD_DATA_BASE64,  /* "data_base64" */
};

struct ctl_field {
	const char *name;
	enum ctl_field_kind kind;
	size_t offset;          /* of the member (STRING, INT) */
};

#define CTL_STR(n, member) { n, CTL_FIELD_STRING, offsetof(struct ctl_request, member) }
#define CTL_INT(n, member) { n, CTL_FIELD_INT, offsetof(struct ctl_request, member) }
#define CTL_BOOL(n, member) { n, CTL_FIELD_BOOL, offsetof(struct ctl_request, member) }

static const struct ctl_field ctl_stats_fields[] = {
	CTL_INT("top", top),
};
static const struct ctl_field ctl_load_fields[] = {
	CTL_STR("name", name),
	CTL_STR("format", format),
	CTL_BOOL("allow_shrink", allow_shrink),
	{ "data", CTL_FIELD_DATA, 0 },
	{ "data_base64", CTL_FIELD_DATA_BASE64, 0 },
};
static const struct ctl_field ctl_add_fields[] = {
	CTL_STR("type", type),
	CTL_STR("value", value),
	CTL_STR("tags", tags),
	CTL_STR("expires", expires),
	CTL_STR("severity", severity),
	CTL_STR("feed", feed),
};
static const struct ctl_field ctl_del_fields[] = {
	CTL_STR("type", type),
	CTL_STR("value", value),
};
static const struct ctl_field ctl_list_fields[] = {
	CTL_STR("type", type),
	CTL_STR("feed", feed),
	CTL_INT("limit", limit),
	CTL_INT("version", version),
	CTL_INT("from", from),
	CTL_INT("layout", layout),
	CTL_BOOL("overrides", overrides),
};
static const struct ctl_field ctl_hunt_fields[] = {
	CTL_STR("type", type),
	CTL_STR("value", value),
	CTL_STR("name", name),
	CTL_STR("format", format),
	{ "data", CTL_FIELD_DATA, 0 },
	{ "data_base64", CTL_FIELD_DATA_BASE64, 0 },
	CTL_INT("since", since),
	CTL_INT("hunt", hunt),
};
static const struct ctl_field ctl_export_fields[] = {
	CTL_STR("format", format),
};
static const struct ctl_field ctl_test_fields[] = {
	CTL_STR("text", text),
};

struct ctl_command_spec {
	const char *name;
	const struct ctl_field *fields;
	size_t n_fields;
};

#define CTL_FIELDS(a) a, sizeof(a) / sizeof(a[0])

/* Indexed by enum ctl_command. */
static const struct ctl_command_spec ctl_commands[] = {
	[CTL_CMD_STATUS] = { "status", NULL, 0 },
	[CTL_CMD_VERSION] = { "version", NULL, 0 },
	[CTL_CMD_STATS] = { "stats", CTL_FIELDS(ctl_stats_fields) },
	[CTL_CMD_LOAD] = { "load", CTL_FIELDS(ctl_load_fields) },
	[CTL_CMD_ADD] = { "add", CTL_FIELDS(ctl_add_fields) },
	[CTL_CMD_DEL] = { "del", CTL_FIELDS(ctl_del_fields) },
	[CTL_CMD_LIST] = { "list", CTL_FIELDS(ctl_list_fields) },
	[CTL_CMD_TEST] = { "test", CTL_FIELDS(ctl_test_fields) },
	[CTL_CMD_ROLLBACK] = { "rollback", NULL, 0 },
	[CTL_CMD_UNDEL] = { "undel", CTL_FIELDS(ctl_del_fields) },
	[CTL_CMD_HUNT] = { "hunt", CTL_FIELDS(ctl_hunt_fields) },
	[CTL_CMD_EXPORT] = { "export", CTL_FIELDS(ctl_export_fields) },
};

#define CTL_N_COMMANDS (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

/* The names iocsift's feed reader knows (patterns/feed.h). */
static const char *const ctl_formats[] = {
	"auto", "csv", "plain", "stix", "misp-csv", "misp-json", "zeek",
	"suricata-string", "suricata-md5", "suricata-sha256",
	"suricata-ipv4", "suricata-ipv6",
};

const char *
ctl_command_name(enum ctl_command cmd)
{
	if ((unsigned int)cmd >= CTL_N_COMMANDS)
		return NULL;
	return ctl_commands[cmd].name;
}

/* Copies untrusted text into a message: printable ASCII as is, anything
 * else as \xNN, at most max bytes of input, "..." when cut. Always valid
 * UTF-8, so the message fits in a JSON string. */
static void
ctl_quote(char *out, size_t size, const char *in, size_t len, size_t max)
{
	size_t o = 0;
	size_t n = len < max ? len : max;

	if (size == 0)
		return;
	for (size_t i = 0; i < n && o + 5 < size; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, size - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (n < len && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int
ctl_fail(struct error_detail *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
ctl_fail(struct error_detail *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_detail_vset(err, "", 0, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
ctl_request_error_code(int rc)
{
	switch (rc) {
	case -E2BIG:
		return CTL_ERR_TOO_LARGE;
	case -ENOTSUP:
		return CTL_ERR_UNSUPPORTED_VERSION;
	case -ENOENT:
		return CTL_ERR_UNKNOWN_COMMAND;
	case -ENOMEM:
		return CTL_ERR_INTERNAL;
	default:
		return CTL_ERR_BAD_REQUEST;
	}
}

static bool
ctl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
ctl_request_limit(const char *prefix, size_t len)
{
	static const char key[] = "\"cmd\"";
	static const char load[] = "\"load\"";
	size_t n = len < CTL_LIMIT_PREFIX ? len : CTL_LIMIT_PREFIX;

	if (prefix == NULL)
		return CTL_REQUEST_MAX;
	for (size_t i = 0; i + sizeof(key) - 1 <= n; i++) {
		size_t p = i + sizeof(key) - 1;

		if (memcmp(prefix + i, key, sizeof(key) - 1) != 0)
			continue;
		while (p < n && ctl_is_space(prefix[p]))
			p++;
		if (p >= n || prefix[p] != ':')
			continue;
		p++;
		while (p < n && ctl_is_space(prefix[p]))
			p++;
		if (p + sizeof(load) - 1 <= n &&
		    memcmp(prefix + p, load, sizeof(load) - 1) == 0)
			return CTL_LOAD_REQUEST_MAX;
	}
	return CTL_REQUEST_MAX;
}

bool
ctl_feed_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return false;
	for (; name[n] != '\0'; n++) {
		char c = name[n];

		if (n >= CTL_FEED_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return n > 0;
}

static bool
ctl_format_valid(const char *format)
{
	for (size_t i = 0; i < sizeof(ctl_formats) / sizeof(ctl_formats[0]); i++)
		if (strcmp(format, ctl_formats[i]) == 0)
			return true;
	return false;
}

static const struct ctl_field *
ctl_find_field(const struct ctl_command_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->n_fields; i++)
		if (strcmp(spec->fields[i].name, name) == 0)
			return &spec->fields[i];
	return NULL;
}

/* The envelope: "v", "id", "cmd". */
static int
ctl_parse_envelope(struct ctl_request *req, struct error_detail *err)
{
	json_t *id = json_object_get(req->json, "id");
	json_t *v = json_object_get(req->json, "v");
	json_t *cmd = json_object_get(req->json, "cmd");

	if (json_is_integer(id)) {
		req->has_id = true;
		req->id = json_integer_value(id);
	}
	/* The version first: a newer client may send anything else. */
	if (v == NULL)
		return ctl_fail(err, -ENOTSUP,
				"request has no protocol version (\"v\"); "
				"this daemon speaks %d", CTL_PROTOCOL_VERSION);
	if (!json_is_integer(v))
		return ctl_fail(err, -ENOTSUP,
				"protocol version must be an integer; "
				"this daemon speaks %d", CTL_PROTOCOL_VERSION);
	if (json_integer_value(v) != CTL_PROTOCOL_VERSION)
		return ctl_fail(err, -ENOTSUP,
				"protocol version %lld is not supported; "
				"this daemon speaks %d",
				(long long)json_integer_value(v),
				CTL_PROTOCOL_VERSION);
	if (id != NULL && !json_is_integer(id))
		return ctl_fail(err, -EINVAL,
				"field 'id' must be an integer");
	if (cmd == NULL)
		return ctl_fail(err, -EINVAL,
				"missing field 'cmd'");
	if (!json_is_string(cmd))
		return ctl_fail(err, -EINVAL,
				"field 'cmd' must be a string");

	const char *name = json_string_value(cmd);
	size_t len = json_string_length(cmd);

	for (size_t i = 0; i < CTL_N_COMMANDS; i++) {
		if (strlen(ctl_commands[i].name) == len &&
		    memcmp(ctl_commands[i].name, name, len) == 0) {
			req->cmd = (enum ctl_command)i;
			return 0;
		}
	}

	char quoted[96];

	ctl_quote(quoted, sizeof(quoted), name, len, 64);
	return ctl_fail(err, -ENOENT,
			"unknown command '%s'", quoted);
}

static int
ctl_take_data(struct ctl_request *req, const char *key, json_t *value,
	      bool base64, struct error_detail *err)
{
	const char *s = json_string_value(value);
	size_t len = json_string_length(value);

	if (base64) {
		if (len % 4 != 0)
			return ctl_fail(err, -EINVAL,
					"field 'data_base64' is not valid "
					"base64 (length %zu is not a multiple "
					"of 4)", len);
		req->data = malloc(len / 4 * 3 + 1);
		if (req->data == NULL)
			return ctl_fail(err, -ENOMEM,
					"out of memory for %zu bytes of feed",
					len / 4 * 3);
		if (base64_decode(s, len, true, req->data, &req->data_len) != 0)
			return ctl_fail(err, -EINVAL,
					"field 'data_base64' is not valid "
					"base64 (RFC 4648, padded, no "
					"whitespace)");
	} else {
		req->data = malloc(len + 1);
		if (req->data == NULL)
			return ctl_fail(err, -ENOMEM,
					"out of memory for %zu bytes of feed",
					len);
		memcpy(req->data, s, len);
		req->data_len = len;
	}
	req->data[req->data_len] = '\0';
	/* The feed now lives in data only: drop the JSON copy. */
	json_object_del(req->json, key);
	return 0;
}

/* Every field but the envelope's, by the command's table. */
static int
ctl_parse_fields(struct ctl_request *req, struct error_detail *err)
{
	const struct ctl_command_spec *spec = &ctl_commands[req->cmd];
	json_t *data = NULL, *data_base64 = NULL;
	const char *key;
	json_t *value;
	char quoted[96];

	json_object_foreach(req->json, key, value) {
		if (strcmp(key, "v") == 0 || strcmp(key, "id") == 0 ||
		    strcmp(key, "cmd") == 0)
			continue;

		const struct ctl_field *field = ctl_find_field(spec, key);

		if (field == NULL) {
			ctl_quote(quoted, sizeof(quoted), key, strlen(key), 64);
			return ctl_fail(err, -EINVAL,
					"unknown field '%s' for command '%s'",
					quoted, spec->name);
		}
		switch (field->kind) {
		case CTL_FIELD_STRING:
			if (!json_is_string(value))
				return ctl_fail(err, -EINVAL,
						"field '%s' must be a string",
						field->name);
			if (strlen(json_string_value(value)) !=
			    json_string_length(value))
				return ctl_fail(err, -EINVAL,
						"field '%s' contains a NUL "
						"byte", field->name);
			*(const char **)((char *)req + field->offset) =
				json_string_value(value);
			break;
		case CTL_FIELD_INT:
			if (!json_is_integer(value))
				return ctl_fail(err, -EINVAL,
						"field '%s' must be an integer",
						field->name);
			*(int64_t *)((char *)req + field->offset) =
				json_integer_value(value);
			break;
		case CTL_FIELD_BOOL:
			if (!json_is_boolean(value))
				return ctl_fail(err, -EINVAL,
						"field '%s' must be true or "
						"false", field->name);
			*(bool *)((char *)req + field->offset) =
				json_is_true(value);
			break;
		case CTL_FIELD_DATA:
		case CTL_FIELD_DATA_BASE64:
			if (!json_is_string(value))
				return ctl_fail(err, -EINVAL,
						"field '%s' must be a string",
						field->name);
			if (field->kind == CTL_FIELD_DATA)
				data = value;
			else
				data_base64 = value;
			break;
		}
	}

	switch (req->cmd) {
	case CTL_CMD_STATS:
		if (req->top < 0 || req->top > CTL_STATS_TOP_MAX)
			return ctl_fail(err, -EINVAL,
					"field 'top' must be between 0 and %d",
					CTL_STATS_TOP_MAX);
		break;
	case CTL_CMD_LOAD:
		if (req->name == NULL)
			return ctl_fail(err, -EINVAL,
					"missing field 'name'");
		if (!ctl_feed_name_valid(req->name)) {
			ctl_quote(quoted, sizeof(quoted), req->name,
				  strlen(req->name), 64);
			return ctl_fail(err, -EINVAL,
					"field 'name': invalid feed name '%s' "
					"(1 to %d of A-Z a-z 0-9 . _ -)",
					quoted, CTL_FEED_NAME_MAX);
		}
		if (req->format == NULL) {
			req->format = "auto";
		} else if (!ctl_format_valid(req->format)) {
			ctl_quote(quoted, sizeof(quoted), req->format,
				  strlen(req->format), 64);
			return ctl_fail(err, -EINVAL,
					"field 'format': unknown feed format "
					"'%s'", quoted);
		}
		if (data != NULL && data_base64 != NULL)
			return ctl_fail(err, -EINVAL,
					"give only one of 'data' and "
					"'data_base64'");
		if (data == NULL && data_base64 == NULL)
			return ctl_fail(err, -EINVAL,
					"missing field 'data' (or "
					"'data_base64')");
		if (data != NULL)
			return ctl_take_data(req, "data", data, false, err);
		return ctl_take_data(req, "data_base64", data_base64, true,
				     err);
	case CTL_CMD_ADD:
	case CTL_CMD_DEL:
	case CTL_CMD_UNDEL:
		if (req->type == NULL)
			return ctl_fail(err, -EINVAL,
					"missing field 'type'");
		if (req->value == NULL)
			return ctl_fail(err, -EINVAL,
					"missing field 'value'");
		if (req->cmd == CTL_CMD_ADD && req->feed == NULL)
			req->feed = "cli";
		break;
	case CTL_CMD_LIST:
		if (req->limit < 1 || req->limit > CTL_LIST_LIMIT_MAX)
			return ctl_fail(err, -EINVAL,
					"field 'limit' must be between 1 and "
					"%d", CTL_LIST_LIMIT_MAX);
		if (req->version < 0 || req->layout < 0)
			return ctl_fail(err, -EINVAL,
					"field '%s' must not be negative",
					req->version < 0 ? "version" : "layout");
		if (req->from < 0 || req->from > UINT32_MAX)
			return ctl_fail(err, -EINVAL,
					"field 'from' must be between 0 and "
					"%u", UINT32_MAX);
		break;
	case CTL_CMD_TEST:
		if (req->text == NULL)
			return ctl_fail(err, -EINVAL,
					"missing field 'text'");
		if (strlen(req->text) > CTL_TEST_TEXT_MAX)
			return ctl_fail(err, -E2BIG,
					"field 'text' is %zu bytes, more than "
					"%u", strlen(req->text),
					CTL_TEST_TEXT_MAX);
		break;
	case CTL_CMD_HUNT: {
		/* One of: an indicator, a feed, or a hunt to report on. */
		bool feed = data != NULL || data_base64 != NULL;
		int given = (req->type != NULL || req->value != NULL) + feed +
			(req->hunt != 0);
		if (given != 1)
			return ctl_fail(err, -EINVAL, "give one of 'type' and "
					"'value', 'data' (a feed), or 'hunt'");
		if (req->hunt < 0)
			return ctl_fail(err, -EINVAL,
					"field 'hunt' must be positive");
		if (req->since < 0 || req->since > CTL_HUNT_SINCE_MAX)
			return ctl_fail(err, -EINVAL, "field 'since' must be "
					"between 0 and %lld", CTL_HUNT_SINCE_MAX);
		if (!feed && (req->type == NULL) != (req->value == NULL))
			return ctl_fail(err, -EINVAL, "missing field '%s'",
					req->type == NULL ? "type" : "value");
		if (!feed)
			break;
		if (req->name == NULL)
			req->name = "hunt";
		if (!ctl_feed_name_valid(req->name))
			return ctl_fail(err, -EINVAL, "field 'name': invalid "
					"feed name (1 to %d of A-Z a-z 0-9 . _ -)",
					CTL_FEED_NAME_MAX);
		if (req->format == NULL)
			req->format = "auto";
		else if (!ctl_format_valid(req->format))
			return ctl_fail(err, -EINVAL,
					"field 'format': unknown feed format");
		if (data != NULL && data_base64 != NULL)
			return ctl_fail(err, -EINVAL,
					"give only one of 'data' and "
					"'data_base64'");
		if (data != NULL)
			return ctl_take_data(req, "data", data, false, err);
		return ctl_take_data(req, "data_base64", data_base64, true,
				     err);
	}
	case CTL_CMD_STATUS:
	case CTL_CMD_VERSION:
	case CTL_CMD_ROLLBACK:
	case CTL_CMD_EXPORT:   /* the daemon knows the formats */
		break;
	}
	/* Both take a feed name (add's is where it goes, list's a filter). */
	if (req->feed != NULL && !ctl_feed_name_valid(req->feed)) {
		ctl_quote(quoted, sizeof(quoted), req->feed, strlen(req->feed),
			  64);
		return ctl_fail(err, -EINVAL,
				"field 'feed': invalid feed name '%s' (1 to %d "
				"of A-Z a-z 0-9 . _ -)", quoted,
				CTL_FEED_NAME_MAX);
	}
	return 0;
}

int
ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		  struct error_detail *err)
{
	json_error_t jerr;
	size_t limit;
	char quoted[160];
	int rc;

	memset(req, 0, sizeof(*req));
	error_detail_set(err, "", 0, "%s", "");
	req->top = CTL_STATS_TOP_DEFAULT;
	req->limit = CTL_LIST_LIMIT_DEFAULT;

	limit = ctl_request_limit(line, len);
	if (len > limit)
		return ctl_fail(err, -E2BIG,
				"request of %zu bytes is larger than %zu bytes",
				len, limit);
	req->json = json_loadb(line, len, JSON_REJECT_DUPLICATES |
			       JSON_ALLOW_NUL, &jerr);
	if (req->json == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return ctl_fail(err, -ENOMEM,
					"out of memory parsing the request");
		ctl_quote(quoted, sizeof(quoted), jerr.text, strlen(jerr.text),
			  120);
		return ctl_fail(err, -EINVAL,
				"malformed JSON at byte %d: %s", jerr.position,
				quoted);
	}
	if (!json_is_object(req->json))
		return ctl_fail(err, -EINVAL,
				"a request must be a JSON object");
	rc = ctl_parse_envelope(req, err);
	if (rc != 0)
		return rc;
	/* A line may claim to be a load by its prefix and be something else. */
	if (req->cmd != CTL_CMD_LOAD && len > CTL_REQUEST_MAX)
		return ctl_fail(err, -E2BIG,
				"request of %zu bytes is larger than %u bytes",
				len, CTL_REQUEST_MAX);
	return ctl_parse_fields(req, err);
}

void
ctl_request_release(struct ctl_request *req)
{
	if (req == NULL)
		return;
	json_decref(req->json);
	free(req->data);
	memset(req, 0, sizeof(*req));
}

/* {"v":1[,"id":N]}, the start of every reply. */
static json_t *
ctl_reply_head(const struct ctl_request *req)
{
	json_t *reply = json_object();

	if (reply == NULL)
		return NULL;
	if (json_object_set_new(reply, "v",
				json_integer(CTL_PROTOCOL_VERSION)) != 0 ||
	    (req != NULL && req->has_id &&
	     json_object_set_new(reply, "id", json_integer(req->id)) != 0)) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

char *
ctl_reply_ok(const struct ctl_request *req, json_t *result)
{
	json_t *reply = ctl_reply_head(req);
	char *line = NULL;

	if (result == NULL)
		result = json_object();
	if (reply == NULL || result == NULL)
		goto out;
	if (json_object_set_new(reply, "ok", json_true()) != 0)
		goto out;
	if (json_object_set(reply, "result", result) != 0)
		goto out;
	line = json_line(reply, NULL);
out:
	json_decref(result);
	json_decref(reply);
	return line;
}

char *
ctl_reply_error(const struct ctl_request *req, const char *code,
		const char *message)
{
	json_t *reply = ctl_reply_head(req);
	json_t *error = json_object();
	json_t *text;
	char *line = NULL;

	if (reply == NULL || error == NULL)
		goto out;
	if (code == NULL)
		code = CTL_ERR_INTERNAL;
	if (message == NULL)
		message = "";
	text = json_string(message);
	if (text == NULL) {
		/* Not UTF-8: keep what can be read. */
		char safe[512];

		ctl_quote(safe, sizeof(safe), message, strlen(message), 400);
		text = json_string(safe);
	}
	if (json_object_set_new(error, "code", json_string(code)) != 0 ||
	    json_object_set_new(error, "message", text) != 0)
		goto out;
	if (json_object_set_new(reply, "ok", json_false()) != 0 ||
	    json_object_set(reply, "error", error) != 0)
		goto out;
	line = json_line(reply, NULL);
out:
	json_decref(error);
	json_decref(reply);
	return line;
}

