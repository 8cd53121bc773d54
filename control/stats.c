/* stats.c -- collect the counters into JSON (shape in
 * docs/control-protocol.md). */
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "stats.h"

static uint64_t
relaxed(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static json_t *
ports_json(const struct dp_appliance *app)
{
	json_t *list = json_array();

	for (unsigned int p = 0; list != NULL && p < app->n_ports; p++) {
		struct rte_eth_stats s = { 0 };
		rte_eth_stats_get(app->ports[p].port_id, &s);
		json_t *port = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I}",
			"port", app->ports[p].port_id,
			"name", app->ports[p].name,
			"rx_packets", (json_int_t)s.ipackets,
			"rx_bytes", (json_int_t)s.ibytes,
			"imissed", (json_int_t)s.imissed,
			"ierrors", (json_int_t)s.ierrors,
			"rx_nombuf", (json_int_t)s.rx_nombuf);
		/* net_af_packet: the frames the host sends on the interface
		 * (docs/deployment.md, "Each frame once"). */
		enum dp_outgoing outgoing = app->ports[p].outgoing;
		if (port != NULL && outgoing != DP_OUTGOING_NONE)
			json_object_set_new(port, "outgoing", json_string(
				outgoing == DP_OUTGOING_DROPPED ?
				"dropped" : "kept"));
		json_array_append_new(list, port);
	}
	return list;
}

static json_t *
worker_json(const struct dp_worker *w)
{
	struct dp_worker_stats s;
	uint64_t hz = rte_get_tsc_hz();

	dp_worker_stats_read(w, &s);
	uint64_t elapsed = s.start_tsc != 0 ? rte_rdtsc() - s.start_tsc : 0;
	double busy = elapsed > 0 ? 100.0 * (double)s.busy_cycles /
		(double)elapsed : 0.0;
	json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I,"
			      " s:I, s:f, s:I, s:I, s:f}",
		"worker", w->index, "lcore", w->lcore, "port", w->port,
		"queue", w->in_ring != NULL ? -1 : w->queue,
		"packets", (json_int_t)s.packets,
		"bytes", (json_int_t)s.bytes,
		"syslog_messages", (json_int_t)s.syslog_messages,
		"dns_messages", (json_int_t)s.dns_messages,
		"malformed", (json_int_t)(s.malformed_frame +
			s.malformed_syslog + s.malformed_dns),
		"hits", (json_int_t)s.hits,
		"busy_percent", busy > 100.0 ? 100.0 : busy,
		"drop_ring_full", (json_int_t)s.drop_ring_full,
		"drop_hit_pool", (json_int_t)s.drop_hit_pool,
		"max_burst_us", (double)s.max_burst_cycles * 1e6 / (double)hz);
	if (o == NULL)
		return NULL;
	const struct { const char *name; uint64_t value; } more[] = {
		{ "hit_messages", s.hit_messages },
		{ "malformed_frame", s.malformed_frame },
		{ "malformed_syslog", s.malformed_syslog },
		{ "malformed_dns", s.malformed_dns },
		{ "fragments", s.fragments },
		{ "fragments_reassembled", s.fragment.reassembled },
		{ "fragments_expired", s.fragment.expired },
		{ "fragments_overlapping", s.fragment.overlapping },
		{ "fragments_oversized", s.fragment.oversized },
		{ "fragments_table_full", s.fragment.table_full },
		{ "fragments_unsupported", s.fragment.unsupported },
		{ "tcp_streams_created", s.stream.streams_created },
		{ "tcp_streams_closed", s.stream.streams_closed },
		{ "tcp_streams_expired", s.stream.streams_expired },
		{ "tcp_streams_evicted", s.stream.streams_evicted },
		{ "tcp_streams_midstream", s.stream.streams_midstream },
		{ "tcp_segments", s.stream.segments },
		{ "tcp_segments_retransmitted", s.stream.segments_retransmitted },
		{ "tcp_segments_overlapping", s.stream.segments_overlapping },
		{ "tcp_segments_out_of_order", s.stream.segments_out_of_order },
		{ "tcp_gaps", s.stream.gaps },
		{ "tcp_gap_bytes", s.stream.gap_bytes },
		{ "tcp_bytes_skipped", s.stream.bytes_skipped },
		{ "tcp_messages", s.stream.messages },
		{ "tcp_messages_cut", s.stream.messages_cut },
		{ "tcp_partial_frames_dropped", s.stream.partial_frames_dropped },
		{ "tcp_dns_zero_length", s.stream.dns_zero_length },
		{ "tcp_framing_errors", s.stream.framing_errors },
		{ "tcp_buffer_limit_hits", s.stream.buffer_limit_hits },
		{ "tcp_skipped", s.tcp_skipped },
		{ "other", s.other },
		{ "too_deep", s.too_deep },
		{ "match_errors", s.match_errors },
		{ "hits_overflow", s.hits_overflow },
		{ "drop_fanout_full", s.drop_fanout_full },
		{ "fanout_sent", s.fanout_sent },
		{ "history_records", s.history_records },
		{ "history_dropped", s.history_dropped },
		{ "busy_cycles", s.busy_cycles },
	};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		json_object_set_new(o, more[i].name,
				    json_integer((json_int_t)more[i].value));
	json_t *histogram = json_array();
	for (unsigned int i = 0; histogram != NULL && i < DP_BURST_BUCKETS; i++)
		json_array_append_new(histogram,
			json_integer((json_int_t)s.burst_histogram[i]));
	json_object_set_new(o, "burst_us_log2", histogram);
	return o;
}

json_t *
ctl_stats_json(struct dp_appliance *app, const struct ctl_database *db,
	       size_t top)
{
	json_t *workers = json_array();

	for (unsigned int i = 0; workers != NULL && i < app->n_workers; i++)
		json_array_append_new(workers, worker_json(app->workers[i]));
	json_t *stats = json_pack("{s:o, s:o, s:o, s:o,"
			 " s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
		"ports", ports_json(app),
		"workers", workers,
		"exporter", dp_exporter_json(&app->exporter),
		"sinks", dp_exporter_sinks_json(&app->exporter),
		"db",
		"version", (json_int_t)relaxed(&db->version),
		"indicators", (json_int_t)relaxed(&db->indicators),
		"swaps", (json_int_t)relaxed(&db->swaps),
		"last_swap_us", (json_int_t)(relaxed(&db->last_swap_ns) / 1000),
		"max_swap_us", (json_int_t)(relaxed(&db->max_swap_ns) / 1000),
		"persist_errors", (json_int_t)relaxed(&db->persist_errors),
		"indicators", ctl_db_top_indicators(db, top),
		"state", ctl_db_state_json(db));

	if (stats != NULL && db->block_export != NULL &&
	    ctl_block_export_enabled(db->block_export))
		json_object_set_new(stats, "exports",
				    ctl_block_export_json(db->block_export));
	/* --top 0: no ranking asked for, none given (an empty one would
	 * read as "no indicator has hits"). */
	if (stats != NULL && top == 0)
		json_object_del(stats, "indicators");
	return stats;
}
