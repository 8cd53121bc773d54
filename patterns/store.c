/* store.c -- the pattern set file: a header (magic, format version,
 * Hyperscan version, set version, payload length, checksum) and a payload
 * of the deleted bitmap and each layer (indicators, strings, chains, the
 * exact tables as images, the Hyperscan databases serialized). Native byte
 * order: a file is for machines of the architecture that wrote it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "pattern_set_internal.h"
#include "store.h"

static const char store_magic[8] = PAT_STORE_MAGIC;



struct stored_indicator {
	uint8_t type;
	uint8_t prefix_len;
	uint8_t severity;
	uint8_t reserved;
	uint32_t line;
	uint8_t addr[16];
	int64_t first_seen;
	int64_t expires;
	uint32_t value, tags, source, feed;   /* offsets into the strings */
};

/* FNV-1a over 8-byte words, then the tail: fast enough for 100 MB. */
uint64_t
pat_store_checksum(const void *bytes, size_t len)
{
	const uint8_t *data = bytes;
	uint64_t h = 0xcbf29ce484222325ULL, word;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&word, data + i, 8);
		h = (h ^ word) * 0x100000001b3ULL;
	}
	for (; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ULL;
	return h;
}

/* ---- writing ---- */

struct out {
	uint8_t *data;
	size_t len, capacity;
	int error;
};

static void
out_put(struct out *o, const void *bytes, size_t len)
{
	if (o->error != 0 || len == 0)
		return;
	if (o->len + len > o->capacity) {
		size_t capacity = o->capacity ? o->capacity : 1 << 20;
		while (capacity < o->len + len)
			capacity *= 2;
		uint8_t *grown = realloc(o->data, capacity);
		if (grown == NULL) {
			o->error = -ENOMEM;
			return;
		}
		o->data = grown;
		o->capacity = capacity;
	}
	memcpy(o->data + o->len, bytes, len);
	o->len += len;
}

static void
out_u64(struct out *o, uint64_t value)
{
	out_put(o, &value, sizeof(value));
}

static void
out_blob(struct out *o, const void *bytes, size_t len)
{
	out_u64(o, len);
	out_put(o, bytes, len);
}

/* The strings of every indicator, one after the other; a field equal to
 * the previous indicator's (feeds share them line to line) is stored once. */
static int
layer_strings(const struct pat_layer *layer, struct out *strings,
	      struct stored_indicator *records)
{
	const char *previous[4] = { NULL };
	uint32_t previous_offset[4] = { 0 };

	for (uint32_t i = 0; i < layer->count; i++) {
		const struct pat_indicator *ind = &layer->indicators[i];
		const char *fields[4] = { ind->value, ind->tags, ind->source,
					  ind->feed };
		uint32_t *offsets[4] = { &records[i].value, &records[i].tags,
					 &records[i].source, &records[i].feed };
		for (unsigned int f = 0; f < 4; f++) {
			if (fields[f] != previous[f]) {
				if (strings->len > UINT32_MAX)
					return -E2BIG;
				previous[f] = fields[f];
				previous_offset[f] = (uint32_t)strings->len;
				out_put(strings, fields[f], strlen(fields[f]) + 1);
			}
			*offsets[f] = previous_offset[f];
		}
	}
	return strings->error;
}

static void
out_database(struct out *o, const hs_database_t *db)
{
	char *bytes = NULL;
	size_t len = 0;

	if (db != NULL && hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
		o->error = -ENOMEM;
		return;
	}
	out_blob(o, bytes, len);
	free(bytes);
}

static int
out_layer(struct out *o, const struct pat_layer *layer)
{
	struct stored_indicator *records = calloc(layer->count + 1,
						  sizeof(*records));
	struct out strings = { 0 };

	if (records == NULL)
		return -ENOMEM;
	int rc = layer_strings(layer, &strings, records);
	for (uint32_t i = 0; rc == 0 && i < layer->count; i++) {
		const struct pat_indicator *ind = &layer->indicators[i];
		records[i].type = (uint8_t)ind->type;
		records[i].prefix_len = ind->prefix_len;
		records[i].severity = ind->severity;
		records[i].line = ind->line;
		memcpy(records[i].addr, ind->addr, sizeof(ind->addr));
		records[i].first_seen = ind->first_seen;
		records[i].expires = ind->expires;
	}
	out_u64(o, layer->count);
	out_blob(o, strings.data, strings.len);
	out_put(o, records, layer->count * sizeof(*records));
	out_put(o, layer->next_same, layer->count * sizeof(uint32_t));
	for (unsigned int t = 0; t < TABLE_COUNT; t++) {
		struct pat_string_table_image image;
		pat_string_table_image(layer->tables[t], &image);
		out_u64(o, image.capacity);
		out_u64(o, image.count);
		out_put(o, image.slots, image.capacity *
			pat_string_table_slot_size());
		out_blob(o, image.keys, image.keys_len);
	}
	out_database(o, layer->literal_db);
	out_database(o, layer->regex_db);
	free(strings.data);
	free(records);
	return rc != 0 ? rc : o->error;
}

static int
write_file(const char *path, const struct pat_store_header *header,
	   const struct out *payload)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "wb");
	if (f == NULL) {
		int rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	int rc = 0;
	if (fwrite(header, sizeof(*header), 1, f) != 1 ||
	    fwrite(payload->data, 1, payload->len, f) != payload->len ||
	    fflush(f) != 0 || fsync(fd) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
pat_set_save(const struct pat_set *set, const char *path,
	     struct error_detail *err)
{
	struct out payload = { 0 };
	uint32_t layers = set->layers[1] != NULL ? 2 : 1;
	size_t deleted_bytes = set->deleted != NULL ?
		set->layers[0]->count / 8 + 1 : 0;

	out_u64(&payload, set->deleted_count);
	out_blob(&payload, set->deleted, deleted_bytes);
	int rc = 0;
	for (uint32_t l = 0; rc == 0 && l < layers; l++)
		rc = out_layer(&payload, set->layers[l]);
	if (rc == 0)
		rc = payload.error;
	if (rc == 0) {
		struct pat_store_header header = {
			.format_version = PAT_STORE_FORMAT_VERSION,
			.header_size = sizeof(header),
			.set_version = set->version,
			.payload_len = payload.len,
			.checksum = pat_store_checksum(payload.data, payload.len),
			.layers = layers,
			.byte_order = 0x01020304,
		};
		memcpy(header.magic, store_magic, sizeof(header.magic));
		snprintf(header.hs_version, sizeof(header.hs_version), "%s",
			 hs_version());
		rc = write_file(path, &header, &payload);
	}
	if (rc != 0)
		error_detail_set(err, path, 0, "saving the pattern set: %s",
			      strerror(-rc));
	free(payload.data);
	return rc;
}

/* ---- reading ---- */

struct in {
	const uint8_t *data;
	size_t len, pos;
	bool short_read;
};

static const void *
in_get(struct in *in, size_t len)
{
	if (in->short_read || len > in->len - in->pos) {
		in->short_read = true;
		return NULL;
	}
	const void *p = in->data + in->pos;
	in->pos += len;
	return p;
}

static uint64_t
in_u64(struct in *in)
{
	uint64_t value = 0;
	const void *p = in_get(in, sizeof(value));

	if (p != NULL)
		memcpy(&value, p, sizeof(value));
	return value;
}

static const void *
in_blob(struct in *in, size_t *len)
{
	*len = in_u64(in);
	return in_get(in, *len);
}

static bool
record_valid(const struct stored_indicator *r, const char *strings,
	     size_t strings_len)
{
	unsigned int prefix_max = r->type == PAT_TYPE_IPV4 ? 32 :
		r->type == PAT_TYPE_IPV6 ? 128 : 0;

	return r->type < PAT_TYPE_COUNT && r->prefix_len <= prefix_max &&
		r->value < strings_len && strings[r->value] != '\0' &&
		r->tags < strings_len && r->source < strings_len &&
		r->feed < strings_len;
}

static int
in_indicators(struct in *in, struct pat_layer *layer, uint64_t count)
{
	size_t strings_len;
	const char *strings_in = in_blob(in, &strings_len);
	const struct stored_indicator *records =
		in_get(in, count * sizeof(*records));

	if (in->short_read || (strings_len > 0 && strings_in[strings_len - 1]))
		return -EINVAL;
	/* One copy of all strings; indicators point into it. */
	char *strings = pat_arena_alloc(layer->arena, strings_len + 1);
	if (strings == NULL)
		return -ENOMEM;
	memcpy(strings, strings_in, strings_len);
	for (uint64_t i = 0; i < count; i++) {
		struct stored_indicator r;
		memcpy(&r, &records[i], sizeof(r));
		if (!record_valid(&r, strings, strings_len))
			return -EINVAL;
		layer->indicators[i] = (struct pat_indicator){
			.type = (enum pat_type)r.type,
			.prefix_len = r.prefix_len,
			.severity = r.severity,
			.line = r.line,
			.first_seen = r.first_seen,
			.expires = r.expires,
			.value = strings + r.value,
			.tags = strings + r.tags,
			.source = strings + r.source,
			.feed = strings + r.feed,
		};
		memcpy(layer->indicators[i].addr, r.addr, sizeof(r.addr));
		/* Derived, never read from the file: it cannot disagree. */
		pat_layer_note(layer, &layer->indicators[i]);
	}
	layer->count = (uint32_t)count;
	return 0;
}

static int
in_database(struct in *in, hs_database_t **db)
{
	size_t len;
	const char *bytes = in_blob(in, &len);

	if (in->short_read)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (hs_deserialize_database(bytes, len, db) != HS_SUCCESS)
		return -EINVAL;
	/* Hyperscan checks version, platform and CRC; the mode is ours to. */
	char *info = NULL;
	bool block = hs_database_info(*db, &info) == HS_SUCCESS &&
		strstr(info, "Mode: BLOCK") != NULL;
	free(info);
	return block ? 0 : -EINVAL;
}

static uint64_t
domain_key_hash(const void *key, size_t len)
{
	return pat_table_key_hash(TABLE_DOMAINS, key, len);
}

static uint64_t
digest_key_hash(const void *key, size_t len)
{
	return pat_table_key_hash(TABLE_DIGESTS, key, len);
}

static uint64_t
address_key_hash(const void *key, size_t len)
{
	return pat_table_key_hash(TABLE_ADDRESSES, key, len);
}

static uint64_t
other_key_hash(const void *key, size_t len)
{
	return pat_table_key_hash(TABLE_OTHERS, key, len);
}

static int
in_tables(struct in *in, struct pat_layer *layer)
{
	static uint64_t (*const key_hash[TABLE_COUNT])(const void *, size_t) = {
		[TABLE_DOMAINS] = domain_key_hash,
		[TABLE_DIGESTS] = digest_key_hash,
		[TABLE_ADDRESSES] = address_key_hash,
		[TABLE_OTHERS] = other_key_hash,
	};

	for (unsigned int t = 0; t < TABLE_COUNT; t++) {
		struct pat_string_table_image image;
		image.capacity = in_u64(in);
		image.count = in_u64(in);
		if (image.capacity > in->len / pat_string_table_slot_size())
			return -EINVAL;
		image.slots = in_get(in, image.capacity *
				     pat_string_table_slot_size());
		image.keys = in_blob(in, &image.keys_len);
		if (in->short_read)
			return -EINVAL;
		pat_string_table_free(layer->tables[t]);
		layer->tables[t] = pat_string_table_from_image(&image,
							       layer->count,
							       key_hash[t]);
		if (layer->tables[t] == NULL)
			return -errno;
	}
	/* The filter is derived from the tables, never read from the file. */
	return pat_layer_finish(layer);
}

static int
in_layer(struct in *in, struct pat_layer **out)
{
	uint64_t count = in_u64(in);

	if (in->short_read || count >= NO_NEXT ||
	    count > in->len / sizeof(struct stored_indicator))
		return -EINVAL;
	struct pat_layer *layer = pat_layer_alloc(count);
	if (layer == NULL)
		return -ENOMEM;
	int rc = in_indicators(in, layer, count);
	const uint32_t *next_same = rc == 0 ?
		in_get(in, count * sizeof(uint32_t)) : NULL;
	if (rc == 0 && next_same == NULL)
		rc = -EINVAL;
	for (uint64_t i = 0; rc == 0 && i < count; i++) {
		memcpy(&layer->next_same[i], &next_same[i], sizeof(uint32_t));
		if (layer->next_same[i] != NO_NEXT && layer->next_same[i] <= i)
			rc = -EINVAL;     /* chains go forward: no loops */
		if (layer->next_same[i] != NO_NEXT && layer->next_same[i] >= count)
			rc = -EINVAL;
	}
	if (rc == 0)
		rc = in_tables(in, layer);
	if (rc == 0)
		rc = in_database(in, &layer->literal_db);
	if (rc == 0)
		rc = in_database(in, &layer->regex_db);
	if (rc != 0) {
		pat_layer_unref(layer);
		return rc;
	}
	*out = layer;
	return 0;
}

/* The reason the header refuses the file, or NULL when it is usable. */
static const char *
header_check(const struct pat_store_header *h, size_t file_len)
{
	if (file_len < sizeof(*h) || memcmp(h->magic, store_magic, 8) != 0)
		return "not an iocsift pattern set";
	if (h->byte_order != 0x01020304)
		return "written on a machine of another byte order";
	if (h->format_version != PAT_STORE_FORMAT_VERSION ||
	    h->header_size != sizeof(*h))
		return "pattern set file of another format version; rebuild it";
	if (strncmp(h->hs_version, hs_version(), PAT_STORE_HS_VERSION_MAX) != 0)
		return "written with another Hyperscan version; rebuild it";
	if (h->payload_len != file_len - sizeof(*h) || h->layers < 1 ||
	    h->layers > LAYERS_MAX)
		return "truncated or inconsistent";
	return NULL;
}

/* The bitmap marks exactly deleted_count base ids and nothing past them. */
static bool
deleted_consistent(const uint8_t *bitmap, size_t len, uint32_t base_count,
		   uint64_t deleted_count)
{
	uint64_t marked = 0;

	if (len == 0)
		return deleted_count == 0;
	for (size_t i = 0; i < len; i++)
		marked += (uint64_t)__builtin_popcount(bitmap[i]);
	for (uint32_t id = base_count; id < len * 8; id++)
		if ((bitmap[id / 8] >> (id % 8)) & 1)
			return false;
	return marked == deleted_count;
}

static struct pat_set *
set_from_payload(const struct pat_store_header *header, struct in *in,
		 unsigned int n_scratch, int *rc)
{
	struct pat_layer *layers[LAYERS_MAX] = { NULL };
	uint64_t deleted_count = in_u64(in);
	size_t deleted_len;
	const uint8_t *deleted_in = in_blob(in, &deleted_len);
	uint8_t *deleted = NULL;

	*rc = in->short_read ? -EINVAL : 0;
	for (uint32_t l = 0; *rc == 0 && l < header->layers; l++)
		*rc = in_layer(in, &layers[l]);
	if (*rc == 0 && (in->pos != in->len ||
			 (deleted_len != 0 &&
			  deleted_len != layers[0]->count / 8 + 1)))
		*rc = -EINVAL;
	if (*rc == 0 && !deleted_consistent(deleted_in, deleted_len,
					    layers[0]->count, deleted_count))
		*rc = -EINVAL;
	if (*rc == 0 && deleted_len > 0) {
		deleted = malloc(deleted_len);
		if (deleted == NULL)
			*rc = -ENOMEM;
		else
			memcpy(deleted, deleted_in, deleted_len);
	}
	if (*rc != 0) {
		pat_layer_unref(layers[0]);
		pat_layer_unref(layers[1]);
		return NULL;
	}
	struct pat_set *set = pat_set_assemble(header->set_version, layers[0],
					       layers[1], deleted,
					       (uint32_t)deleted_count,
					       n_scratch);
	pat_layer_unref(layers[0]);
	if (set == NULL)
		*rc = -errno;
	return set;
}

struct pat_set *
pat_set_load(const char *path, unsigned int n_scratch, struct error_detail *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = file_read_all(path, SIZE_MAX / 2, (char **)&data, &len);

	if (rc != 0) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		errno = -rc;
		return NULL;
	}
	struct pat_store_header header = { 0 };
	memcpy(&header, data, len < sizeof(header) ? len : sizeof(header));
	const char *refused = header_check(&header, len);
	struct pat_set *set = NULL;
	if (refused == NULL &&
	    pat_store_checksum(data + sizeof(header), header.payload_len) != header.checksum)
		refused = "checksum mismatch (corrupted file)";
	if (refused == NULL) {
		struct in in = { .data = data + sizeof(header),
				 .len = header.payload_len };
		set = set_from_payload(&header, &in, n_scratch, &rc);
		if (set == NULL && rc == -EINVAL)
			refused = "inconsistent contents";
	}
	free(data);
	if (refused != NULL) {
		error_detail_set(err, path, 0, "%s", refused);
		errno = EINVAL;
	} else if (set == NULL) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		errno = -rc;
	}
	return set;
}
