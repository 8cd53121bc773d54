/* telemetry.c -- the stats object as DPDK telemetry commands (DPDK 22.11
 * rte_telemetry: dicts of u64, int, strings and nested dicts). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "telemetry.h"

/* 22.11's telemetry.c renders a reply into 16 KiB (MAX_OUTPUT_LEN, not in
 * its header) and quietly leaves out any entry that does not fit, which
 * may be one in the middle. We count the bytes ourselves and stop before
 * that, so what is left out is always the tail. */
#define TEL_REPLY_BUDGET (16 * 1024 - 256)

/* Dicts nested below the reply's own; deeper objects are left out. Each
 * level is an rte_tel_data_alloc() of some 66 KB. */
#define TEL_MAX_DEPTH 2

/* One daemon per process. tel_lock keeps fn and ctx from changing while
 * a telemetry thread is inside fn. */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static ctl_stats_fn tel_stats_fn;
static void *tel_stats_ctx;
static bool tel_registered;

static json_t *
tel_stats(void)
{
	json_t *stats = NULL;

	pthread_mutex_lock(&tel_lock);
	if (tel_stats_fn != NULL)
		stats = tel_stats_fn(tel_stats_ctx);
	pthread_mutex_unlock(&tel_lock);
	return stats;
}

/* What rte_tel_data_add_dict_*() accepts as a name. */
static bool
tel_valid_name(const char *name)
{
	size_t n = 0;

	for (; name[n] != '\0'; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '/'))
			return false;
	}
	return n > 0 && n < RTE_TEL_MAX_STRING_LEN;
}

/* 22.11 escapes only " \ \n \r \t and indexes a table with any other
 * byte below 0x20 as a signed char, bytes of UTF-8 included; so strings
 * go out as printable ASCII, anything else as '?', cut to what a dict
 * value holds (RTE_TEL_MAX_STRING_LEN with its NUL). */
static void
tel_sanitize(char *out, const char *in)
{
	size_t n = 0;

	for (; in[n] != '\0' && n < RTE_TEL_MAX_STRING_LEN - 1; n++) {
		unsigned char c = (unsigned char)in[n];
		out[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

/* How a JSON value goes into a dict. 22.11 has no floating point value:
 * reals go as strings ("%.3f"), and so do integers that fit neither u64
 * nor int. Booleans are 0 or 1. null and arrays are left out (22.11
 * cannot nest a list of dicts), and objects deeper than TEL_MAX_DEPTH. */
enum tel_kind {
	TEL_SKIP,
	TEL_U64,
	TEL_INT,
	TEL_STRING,
	TEL_DICT,
};

struct tel_value {
	enum tel_kind kind;
	uint64_t u64;
	int i;
	char text[RTE_TEL_MAX_STRING_LEN];
};

static void
tel_classify(const json_t *v, unsigned int depth, struct tel_value *out)
{
	out->kind = TEL_SKIP;
	if (json_is_integer(v) || json_is_boolean(v)) {
		json_int_t x = json_is_integer(v) ? json_integer_value(v)
						  : json_is_true(v);
		if (x >= 0) {
			out->kind = TEL_U64;
			out->u64 = (uint64_t)x;
		} else if (x >= INT_MIN) {
			out->kind = TEL_INT;
			out->i = (int)x;
		} else {
			out->kind = TEL_STRING;
			snprintf(out->text, sizeof(out->text),
				 "%" JSON_INTEGER_FORMAT, x);
		}
	} else if (json_is_real(v)) {
		double x = json_real_value(v);
		out->kind = TEL_STRING;
		snprintf(out->text, sizeof(out->text),
			 x > -1e15 && x < 1e15 ? "%.3f" : "%.6e", x);
	} else if (json_is_string(v)) {
		out->kind = TEL_STRING;
		tel_sanitize(out->text, json_string_value(v));
	} else if (json_is_object(v) && depth < TEL_MAX_DEPTH) {
		out->kind = TEL_DICT;
	}
}

static size_t tel_object_cost(const json_t *obj, unsigned int depth);

/* The bytes "name":value, takes in the reply (an upper bound), 0 when it
 * is left out. depth is that of the dict it goes in. */
static size_t
tel_member_cost(const char *name, const json_t *v, unsigned int depth)
{
	struct tel_value tv;
	size_t cost = strlen(name) + 4;

	if (!tel_valid_name(name))
		return 0;
	tel_classify(v, depth, &tv);
	switch (tv.kind) {
	case TEL_U64:
		return cost + (size_t)snprintf(NULL, 0, "%" PRIu64, tv.u64);
	case TEL_INT:
		return cost + (size_t)snprintf(NULL, 0, "%d", tv.i);
	case TEL_STRING:
		cost += 2;
		for (const char *c = tv.text; *c != '\0'; c++)
			cost += *c == '"' || *c == '\\' ? 2 : 1;
		return cost;
	case TEL_DICT:
		return cost + tel_object_cost(v, depth + 1);
	case TEL_SKIP:
	default:
		return 0;
	}
}

/* {} and the members that go in, as tel_fill_dict() adds them with room
 * to spare. */
static size_t
tel_object_cost(const json_t *obj, unsigned int depth)
{
	unsigned int entries = 0;
	size_t cost = 2;
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)obj, name, v) {
		if (entries == RTE_TEL_MAX_DICT_ENTRIES)
			break;
		size_t c = tel_member_cost(name, v, depth);
		cost += c;
		entries += c > 0;
	}
	return cost;
}

static int tel_fill_dict(struct rte_tel_data *d, const json_t *obj,
			 unsigned int depth, size_t *room);

/* Adds one member that tel_member_cost() said fits. A dict goes into d
 * before it is filled, so d owns it and, through it, whatever it holds
 * (rte_tel_data_free() does not look inside). 0 or -ENOMEM. */
static int
tel_add_member(struct rte_tel_data *d, const char *name, const json_t *v,
	       unsigned int depth)
{
	struct tel_value tv;
	size_t room = SIZE_MAX;
	int rc = 0;

	tel_classify(v, depth, &tv);
	switch (tv.kind) {
	case TEL_U64:
		rc = rte_tel_data_add_dict_u64(d, name, tv.u64);
		break;
	case TEL_INT:
		rc = rte_tel_data_add_dict_int(d, name, tv.i);
		break;
	case TEL_STRING:
		rc = rte_tel_data_add_dict_string(d, name, tv.text);
		break;
	case TEL_DICT: {
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rc = rte_tel_data_add_dict_container(d, name, c, 0);
		if (rc < 0) {
			rte_tel_data_free(c);
			break;
		}
		rc = tel_fill_dict(c, v, depth + 1, &room);
		break;
	}
	case TEL_SKIP:
	default:
		break;
	}
	/* Names and values are checked and cut before: no E2BIG here. */
	return rc < 0 ? rc : 0;
}

/* Adds a member when it fits in *room: 1 (added), 0 (left out),
 * -ENOSPC (no room) or -ENOMEM. */
static int
tel_put(struct rte_tel_data *d, const char *name, const json_t *v,
	unsigned int depth, size_t *room)
{
	size_t cost = tel_member_cost(name, v, depth);

	if (cost == 0)
		return 0;
	if (cost > *room)
		return -ENOSPC;
	int rc = tel_add_member(d, name, v, depth);
	if (rc < 0)
		return rc;
	*room -= cost;
	return 1;
}

/* The members of obj, in order, while they fit in *room, up to
 * RTE_TEL_MAX_DICT_ENTRIES; the rest are left out. 0 or -ENOMEM, and
 * then d holds what went in before. */
static int
tel_fill_dict(struct rte_tel_data *d, const json_t *obj, unsigned int depth,
	      size_t *room)
{
	unsigned int entries = 0;
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)obj, name, v) {
		if (entries == RTE_TEL_MAX_DICT_ENTRIES)
			break;
		int rc = tel_put(d, name, v, depth, room);
		if (rc == -ENOSPC)
			break;
		if (rc < 0)
			return rc;
		entries += (unsigned int)rc;
	}
	return 0;
}

/* An item's number: its id member when that is an integer of 0 or more,
 * else its index in the list (as the Prometheus labels have it). */
static json_int_t
tel_item_id(const json_t *item, const char *id_member, size_t index)
{
	const json_t *id = json_object_get(item, id_member);

	if (json_is_integer(id) && json_integer_value(id) >= 0)
		return json_integer_value(id);
	return (json_int_t)index;
}

/* The parameter of /iocsift/ports,N and /iocsift/workers,N: 1 with *id
 * set, 0 when there is none, -EINVAL when it is not a number. */
static int
tel_param_id(const char *params, json_int_t *id)
{
	json_int_t x = 0;
	size_t n = 0;

	if (params == NULL || params[0] == '\0')
		return 0;
	for (; params[n] != '\0'; n++) {
		if (params[n] < '0' || params[n] > '9' || n == 10)
			return -EINVAL;
		x = x * 10 + (params[n] - '0');
	}
	if (x > UINT32_MAX)
		return -EINVAL;
	*id = x;
	return 1;
}

/* A list member of stats as a dict of dicts keyed by id_member (NULL: by
 * index), or, with a parameter, the one item whose id it names. Items go
 * in whole while they fit. Once d holds anything the answer is 0: on an
 * error 22.11 answers null and leaves d's containers unfreed. */
static int
tel_list(const char *params, struct rte_tel_data *d, const char *member,
	 const char *id_member)
{
	size_t room = TEL_REPLY_BUDGET;
	json_int_t want = 0;
	int param = id_member != NULL ? tel_param_id(params, &want) : 0;

	if (param < 0 ||
	    (id_member == NULL && params != NULL && params[0] != '\0'))
		return -EINVAL;
	json_t *stats = tel_stats();
	if (stats == NULL)
		return -ENODATA;
	const json_t *list = json_object_get(stats, member);
	const json_t *item;
	unsigned int entries = 0;
	size_t i;
	int rc = 0;

	rte_tel_data_start_dict(d);
	json_array_foreach(list, i, item) {
		char key[24];
		if (!json_is_object(item))
			continue;
		if (param == 1) {
			if (tel_item_id(item, id_member, i) != want)
				continue;
			tel_fill_dict(d, item, 0, &room);
			rc = 1;
			break;
		}
		if (entries == RTE_TEL_MAX_DICT_ENTRIES)
			break;
		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
			 id_member != NULL ? tel_item_id(item, id_member, i)
					   : (json_int_t)i);
		if (tel_put(d, key, item, 0, &room) <= 0)
			break;
		entries++;
	}
	json_decref(stats);
	return param == 1 && rc == 0 ? -ENOENT : 0;
}

static bool
tel_is_id(const char *name, const char *const *ids, size_t n_ids)
{
	for (size_t i = 0; i < n_ids; i++)
		if (strcmp(name, ids[i]) == 0)
			return true;
	return false;
}

/* Adds to d a dict named name: count_name, how many objects list holds,
 * then by name the sum of their integer members that are not ids, in
 * the order the names first appear. 1, -ENOSPC or -ENOMEM. */
static int
tel_add_totals(struct rte_tel_data *d, const char *name, const json_t *list,
	       const char *count_name, const char *const *ids, size_t n_ids,
	       size_t *room)
{
	json_t *names = json_object();  /* an ordered set */
	struct rte_tel_data *c = NULL;
	const json_t *item;
	const char *member;
	json_t *v;
	size_t i, n = 0, cost;
	int rc = -ENOMEM;

	if (names == NULL)
		return -ENOMEM;
	json_array_foreach(list, i, item) {
		n += json_is_object(item);
		json_object_foreach((json_t *)item, member, v) {
			if (json_is_integer(v) && tel_valid_name(member) &&
			    !tel_is_id(member, ids, n_ids) &&
			    strcmp(member, count_name) != 0 &&
			    json_object_set_new(names, member, json_null()) != 0)
				goto out;
		}
	}
	cost = strlen(name) + 6 + strlen(count_name) + 4 +
		(size_t)snprintf(NULL, 0, "%zu", n);
	rc = -ENOSPC;
	if (cost > *room)
		goto out;
	rc = -ENOMEM;
	c = rte_tel_data_alloc();
	if (c == NULL)
		goto out;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, count_name, n);
	unsigned int entries = 1;
	json_object_foreach(names, member, v) {
		uint64_t sum = 0;       /* wraps as 64-bit counters do */
		json_array_foreach(list, i, item) {
			const json_t *x = json_object_get(item, member);
			if (json_is_integer(x))
				sum += (uint64_t)json_integer_value(x);
		}
		size_t more = strlen(member) + 4 +
			(size_t)snprintf(NULL, 0, "%" PRIu64, sum);
		if (entries == RTE_TEL_MAX_DICT_ENTRIES ||
		    cost + more > *room)
			break;
		rte_tel_data_add_dict_u64(c, member, sum);
		cost += more;
		entries++;
	}
	rc = rte_tel_data_add_dict_container(d, name, c, 0);
	if (rc < 0)
		goto out;
	c = NULL;
	*room -= cost;
	rc = 1;
out:
	rte_tel_data_free(c);
	json_decref(names);
	return rc;
}

static int
tel_cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const port_ids[] = { "port" };
	static const char *const worker_ids[] = {
		"worker", "lcore", "port", "queue",
	};
	size_t room = TEL_REPLY_BUDGET;
	int rc;

	(void)cmd;
	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	json_t *stats = tel_stats();
	if (stats == NULL)
		return -ENODATA;
	rte_tel_data_start_dict(d);
	rc = tel_put(d, "db", json_object_get(stats, "db"), 0, &room);
	if (rc >= 0)
		rc = tel_put(d, "exporter", json_object_get(stats, "exporter"),
			     0, &room);
	if (rc >= 0)
		rc = tel_add_totals(d, "port_totals",
				    json_object_get(stats, "ports"), "ports",
				    port_ids, 1, &room);
	if (rc >= 0)
		rc = tel_add_totals(d, "worker_totals",
				    json_object_get(stats, "workers"),
				    "workers", worker_ids,
				    sizeof(worker_ids) / sizeof(worker_ids[0]),
				    &room);
	json_decref(stats);
	return 0;       /* d may hold containers: see tel_list() */
}

static int
tel_cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return tel_list(params, d, "ports", "port");
}

static int
tel_cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return tel_list(params, d, "workers", "worker");
}

static int
tel_cmd_indicators(const char *cmd, const char *params,
		   struct rte_tel_data *d)
{
	(void)cmd;
	return tel_list(params, d, "indicators", NULL);
}

int
ctl_telemetry_register(ctl_stats_fn fn, void *ctx)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/iocsift/stats", tel_cmd_stats,
		  "Pattern database, exporter and port and worker totals." },
		{ "/iocsift/ports", tel_cmd_ports,
		  "Port counters, by port. Parameters: int port_id" },
		{ "/iocsift/workers", tel_cmd_workers,
		  "Worker counters, by worker. Parameters: int worker" },
		{ "/iocsift/indicators", tel_cmd_indicators,
		  "The indicators hit most, by rank." },
	};
	int rc = 0;

	pthread_mutex_lock(&tel_lock);
	tel_stats_fn = fn;
	tel_stats_ctx = ctx;
	if (fn != NULL && !tel_registered) {
		/* DPDK has no way to take a command back: register once. */
		for (size_t i = 0; rc == 0 && i < sizeof(cmds) / sizeof(cmds[0]);
		     i++)
			rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn,
							cmds[i].help);
		tel_registered = rc == 0;
	}
	pthread_mutex_unlock(&tel_lock);
	return rc < 0 ? rc : 0;
}
