/* hunt.c -- `iocsift hunt` over a history directory. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "hit.h"
#include "hist_keys.h"
#include "hunt.h"

struct hunt_output {
	const struct pat_set *set;
	FILE *out;
	int error;
};

static int
hit_write(void *ctx, const struct hist_record *rec, const struct pat_hits *hits)
{
	struct hunt_output *o = ctx;
	const struct hist_record_header *h = &rec->header;
	struct exp_message msg = {
		.protocol = h->kind == DP_MESSAGE_DNS ? EXP_PROTOCOL_DNS :
			EXP_PROTOCOL_SYSLOG,
		.time_ns = h->time_ns,
		.ip_version = h->ip_version,
		.l4_proto = h->l4_proto,
		.src_port = h->src_port,
		.dst_port = h->dst_port,
		.payload = rec->payload,
		.payload_len = h->payload_len,
		.truncated = (h->flags & HIST_RECORD_CUT) != 0,
		.retro = true,
	};

	memcpy(msg.src_addr, h->src_addr, sizeof(msg.src_addr));
	memcpy(msg.dst_addr, h->dst_addr, sizeof(msg.dst_addr));
	for (uint16_t i = 0; i < hits->count; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(o->set, hits->ids[i]);
		int rc = exp_event_write(o->out, &msg, ind,
					 pat_set_version(o->set));
		if (rc != 0) {
			o->error = rc;
			return rc;
		}
	}
	return 0;
}

int
hunt_directory(const struct pat_set *set, const char *dir, uint64_t since_ns,
	       FILE *out, struct hist_hunt_stats *stats)
{
	struct hunt_output o = { .set = set, .out = out };
	struct hist_hunt_query q = { .set = set, .since_ns = since_ns };
	uint64_t *keys = NULL;
	int rc = hist_hunt_keys(set, &keys, &q.n_keys, &q.scan_all);

	if (rc != 0) {
		fprintf(stderr, "iocsift hunt: %s\n", strerror(-rc));
		return rc;
	}
	q.keys = keys;
	rc = hist_hunt_run(dir, &q, hit_write, NULL, &o, stats);
	free(keys);
	if (o.error != 0) {
		fprintf(stderr, "iocsift hunt: writing events: %s\n",
			strerror(-o.error));
		return o.error;
	}
	if (rc != 0)
		fprintf(stderr, "iocsift hunt: %s: %s\n", dir, strerror(-rc));
	else if (stats->first_damage[0] != '\0')
		fprintf(stderr, "iocsift hunt: %" PRIu64 " damaged and %" PRIu64
			" cut blocks skipped; the first: %s\n",
			stats->blocks_damaged, stats->blocks_cut,
			stats->first_damage);
	return rc;
}

void
hunt_summary_print(FILE *f, const char *prog,
		   const struct hist_hunt_stats *st, double seconds)
{
	double mb = (double)st->bytes_raw / 1e6;

	fprintf(f, "%s: %" PRIu64 " blocks: %" PRIu64 " opened, %" PRIu64
		" skipped by time, %" PRIu64 " by filter, %" PRIu64
		" damaged; %.1f MB of messages (%.1f MB compressed), %" PRIu64
		" messages, %" PRIu64 " hits in %" PRIu64 " messages, %.2f s"
		" (%.0f MB/s)\n", prog, st->blocks + st->blocks_damaged,
		st->blocks_opened, st->blocks_skipped_time,
		st->blocks_skipped_filter, st->blocks_damaged + st->blocks_cut,
		mb, (double)st->bytes_read / 1e6, st->records, st->hits,
		st->hit_messages, seconds, seconds > 0 ? mb / seconds : 0.0);
}
