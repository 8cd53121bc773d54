/* overrides.c -- the set of deleted indicators no load brings back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overrides.h"

#define OVERRIDES_FILE_MAX (256u << 20)

char *
ctl_override_key(enum pat_type type, const char *value)
{
	const char *name = pat_type_name(type);
	size_t len = strlen(name) + 1 + strlen(value) + 1;
	char *key = malloc(len);

	if (key != NULL)
		snprintf(key, len, "%s:%s", name, value);
	return key;
}

/* A load record's keys as an object, for lookups by hash. */
static json_t *
keys_object(const json_t *keys)
{
	json_t *object = json_object();
	const json_t *k;
	size_t i;

	json_array_foreach(keys, i, k)
		if (object != NULL && json_is_string(k))
			json_object_set_new(object, json_string_value(k),
					    json_true());
	return object;
}

size_t
ctl_overrides_apply(const json_t *keys, struct pat_feed *feed, json_t *taken)
{
	size_t kept = 0, gone = 0;

	if (json_is_object(keys) ? json_object_size(keys) == 0 :
	    json_array_size(keys) == 0)
		return 0;
	if (!json_is_object(keys)) {
		json_t *object = keys_object(keys);
		/* Out of memory: nothing taken out, as if none. */
		gone = object != NULL ? ctl_overrides_apply(object, feed, taken) :
		       0;
		json_decref(object);
		return gone;
	}
	for (size_t i = 0; i < feed->count; i++) {
		const struct pat_indicator *ind = &feed->items[i];
		char *key = ctl_override_key(ind->type, ind->value);
		/* Out of memory: kept, as if not overridden. */
		if (key != NULL && json_object_get(keys, key) != NULL) {
			if (taken != NULL)
				json_array_append_new(taken, json_string(key));
			gone++;
		} else {
			feed->items[kept++] = *ind;
		}
		free(key);
	}
	feed->count = kept;
	return gone;
}

static int
key_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
ctl_overrides_list(const json_t *overrides, size_t limit)
{
	size_t n = json_object_size(overrides), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	const char *key;
	json_t *value, *rows = json_array();

	if (keys == NULL || rows == NULL) {
		free(keys);
		json_decref(rows);
		return NULL;
	}
	json_object_foreach((json_t *)(uintptr_t)overrides, key, value)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), key_order);
	for (i = 0; i < n && i < limit; i++) {
		const char *colon = strchr(keys[i], ':');
		char when[32];
		time_t t = (time_t)json_integer_value(
			json_object_get(overrides, keys[i]));
		struct tm tm;

		if (colon == NULL)
			continue;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(rows, json_pack("{s:s%, s:s, s:s}",
			"type", keys[i], (size_t)(colon - keys[i]),
			"value", colon + 1, "deleted", when));
	}
	free(keys);
	return json_pack("{s:I, s:b, s:o}", "total", (json_int_t)n,
			 "truncated", n > limit, "overrides", rows);
}

int
ctl_overrides_save(const json_t *overrides, const char *path,
		   struct error_detail *err)
{
	char tmp[4400];
	json_t *doc = json_pack("{s:O}", "overrides", overrides);
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (doc == NULL || fd < 0) {
		rc = doc == NULL ? -ENOMEM : -errno;
	} else if (json_dumpfd(doc, fd, JSON_COMPACT | JSON_SORT_KEYS) != 0 ||
		   fdatasync(fd) != 0) {
		rc = errno != 0 ? -errno : -EIO;
	}
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		unlink(tmp);
	}
	json_decref(doc);
	return rc;
}

json_t *
ctl_overrides_load(const char *path, struct error_detail *err)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	const char *key;
	json_t *value;
	int rc = file_read_all(path, OVERRIDES_FILE_MAX, &text, &len);

	if (rc == -ENOENT)
		return json_object();
	if (rc != 0) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		return NULL;
	}
	json_t *doc = json_loadb(text != NULL ? text : "", len, 0, &jerr);
	free(text);
	json_t *overrides = json_object_get(doc, "overrides");
	if (!json_is_object(overrides)) {
		error_detail_set(err, path, jerr.line > 0 ? jerr.line : 0,
				 "not an overrides file: %s", doc == NULL ?
				 jerr.text : "no \"overrides\" object");
		json_decref(doc);
		return NULL;
	}
	json_object_foreach(overrides, key, value) {
		if (!json_is_integer(value) || strchr(key, ':') == NULL) {
			error_detail_set(err, path, 0, "override '%s' is not "
					 "TYPE:VALUE with a time", key);
			json_decref(doc);
			return NULL;
		}
	}
	json_incref(overrides);
	json_decref(doc);
	return overrides;
}
