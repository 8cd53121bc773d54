/* exporter.c -- drains hit rings and writes one event per (message,
 * indicator) pair. */
#include <string.h>

#include <rte_log.h>

#include "event.h"
#include "exporter.h"
#include "hit.h"

RTE_LOG_REGISTER(dp_logtype_exporter, iocsift.exporter, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_exporter, "exporter: " __VA_ARGS__)

#define EXPORT_BURST 32

void
dp_exporter_init(struct dp_exporter *exp, FILE *out)
{
	*exp = (struct dp_exporter){ .out = out };
}

static void
hit_export(struct dp_exporter *exp, const struct dp_hit *hit)
{
	struct exp_message msg = {
		.protocol = hit->kind == DP_MESSAGE_DNS ?
			EXP_PROTOCOL_DNS : EXP_PROTOCOL_SYSLOG,
		.time_ns = hit->time_ns,
		.ip_version = hit->ip_version,
		.l4_proto = hit->l4_proto,
		.src_port = hit->src_port,
		.dst_port = hit->dst_port,
		.frame = hit->frame,
		.worker = hit->worker,
		.payload = hit->payload,
		.payload_len = hit->payload_len,
		.truncated = hit->truncated,
	};
	memcpy(msg.src_addr, hit->src_addr, sizeof(msg.src_addr));
	memcpy(msg.dst_addr, hit->dst_addr, sizeof(msg.dst_addr));

	for (uint16_t i = 0; i < hit->hits.count; i++) {
		const struct pat_indicator *ind =
			pat_set_indicator(hit->set, hit->hits.ids[i]);
		if (exp_event_write(exp->out, &msg, ind,
				    pat_set_version(hit->set)) == 0) {
			exp->events++;
		} else if (exp->write_errors++ == 0) {
			LOG(ERR, "writing an event failed\n");
		}
	}
}

unsigned int
dp_exporter_drain(struct dp_exporter *exp, struct rte_ring *ring,
		  struct rte_mempool *pool)
{
	void *records[EXPORT_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(ring, records, EXPORT_BURST,
						   NULL);

	for (unsigned int i = 0; i < n; i++)
		hit_export(exp, records[i]);
	if (n > 0)
		rte_mempool_put_bulk(pool, records, n);
	return n;
}
