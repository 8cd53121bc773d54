/* appliance.c -- bring the ports, workers and exporter of `iocsift run`
 * up and down, in that order and back. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "appliance.h"
#include "clock.h"
#include "hit.h"
#include "port.h"

RTE_LOG_REGISTER(dp_logtype_appliance, iocsift.appliance, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_appliance, "appliance: " __VA_ARGS__)

static struct dp_worker *
worker_new(struct dp_appliance *app, const struct dp_appliance_options *opt,
	   uint16_t port_id, unsigned int lcore)
{
	unsigned int index = app->n_workers;
	char name[RTE_RING_NAMESIZE];
	struct dp_worker *w = rte_zmalloc_socket("worker", sizeof(*w),
		RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));

	if (w == NULL)
		return NULL;
	snprintf(name, sizeof(name), "hits%u", index);
	w->hit_ring = rte_ring_create(name, opt->hit_ring_size,
				      (int)rte_lcore_to_socket_id(lcore),
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->hit_ring == NULL) {
		rte_free(w);
		return NULL;
	}
	if (dp_worker_init(w, &opt->fragments, &opt->streams,
			   (int)rte_lcore_to_socket_id(lcore)) != 0) {
		rte_ring_free(w->hit_ring);
		rte_free(w);
		return NULL;
	}
	w->index = (uint16_t)index;
	w->port = port_id;
	w->lcore = lcore;
	w->hit_pool = app->hit_pool;
	w->timestamp_offset = -1;
	w->stop = false;
	for (unsigned int i = 0; i < opt->n_syslog_ports; i++)
		dp_worker_set_port_kind(w, IPPROTO_UDP, opt->syslog_ports[i],
					DP_PORT_SYSLOG);
	for (unsigned int i = 0; i < opt->n_dns_ports; i++)
		dp_worker_set_port_kind(w, IPPROTO_UDP, opt->dns_ports[i],
					DP_PORT_DNS);
	for (unsigned int i = 0; i < opt->n_syslog_tcp_ports; i++)
		dp_worker_set_port_kind(w, IPPROTO_TCP, opt->syslog_tcp_ports[i],
					DP_PORT_SYSLOG);
	for (unsigned int i = 0; i < opt->n_dns_tcp_ports; i++)
		dp_worker_set_port_kind(w, IPPROTO_TCP, opt->dns_tcp_ports[i],
					DP_PORT_DNS);
	w->decode = opt->decode;
	app->workers[app->n_workers++] = w;
	return w;
}

/* The software fan-out of a port with one queue and several workers: the
 * first reads the queue and hands each flow to one of the others. */
static int
fanout_prepare(struct dp_appliance *app, struct dp_worker **workers,
	       uint16_t n)
{
	struct dp_worker *reader = workers[0];

	reader->n_fanout = n;
	reader->fanout_self = 0;
	for (uint16_t i = 1; i < n; i++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "fanout%u", app->n_fanout_rings);
		struct rte_ring *ring = rte_ring_create(name,
			DP_FANOUT_RING_SIZE,
			(int)rte_lcore_to_socket_id(workers[i]->lcore),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ring == NULL)
			return -ENOMEM;
		app->fanout_rings[app->n_fanout_rings++] = ring;
		reader->fanout[i] = ring;
		workers[i]->in_ring = ring;
	}
	return 0;
}

/* A net_af_packet port receives a copy of what the host sends on its
 * interface, unless the configuration keeps it: dropped by default
 * (docs/deployment.md, "Each frame once"). */
static int
outgoing_prepare(struct dp_appliance_port *port,
		 const struct dp_port_plan *plan)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(plan->port_id, &info) != 0 ||
	    strcmp(info.driver_name, "net_af_packet") != 0) {
		port->outgoing = DP_OUTGOING_NONE;
		return 0;
	}
	if (plan->af_packet_outgoing) {
		LOG(INFO, "%s: outgoing frames kept (af_packet_outgoing = yes): "
		    "a frame the host sends and receives on it counts twice\n",
		    port->name);
		port->outgoing = DP_OUTGOING_KEPT;
		return 0;
	}
	int rc = dp_port_drop_outgoing(plan->port_id);
	if (rc < 0)
		return rc;
	port->outgoing = DP_OUTGOING_DROPPED;
	return 0;
}

static int
port_prepare(struct dp_appliance *app, const struct dp_appliance_options *opt,
	     const struct dp_port_plan *plan)
{
	struct dp_appliance_port *port = &app->ports[app->n_ports++];
	struct dp_worker *workers[DP_WORKERS_MAX];
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t fanout = plan->n_lcores > plan->n_queues ?
		(uint32_t)(plan->n_lcores - 1) * DP_FANOUT_RING_SIZE : 0;

	port->port_id = plan->port_id;
	if (rte_eth_dev_get_name_by_port(plan->port_id, port->name) != 0)
		snprintf(port->name, sizeof(port->name), "port%u", plan->port_id);
	/* As early as the appliance can: the packet sockets queue frames
	 * from EAL's probe on. */
	int rc = outgoing_prepare(port, plan);
	if (rc != 0)
		return rc;
	snprintf(name, sizeof(name), "mbufs%u", plan->port_id);
	/* Room for every descriptor, every fan-out ring, every fragment the
	 * workers' tables may hold, and the bursts and caches in flight on
	 * top of opt->mbufs. */
	uint32_t fragments = (uint32_t)plan->n_lcores *
		opt->fragments.datagrams_max * DP_FRAGMENTS_PER_DATAGRAM;
	port->mbuf_pool = rte_pktmbuf_pool_create(name,
		opt->mbufs + fanout + fragments + (uint32_t)plan->n_queues *
		opt->rx_descriptors, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		rte_eth_dev_socket_id(plan->port_id));
	if (port->mbuf_pool == NULL) {
		LOG(ERR, "%s: mbuf pool: %s\n", port->name,
		    rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < plan->n_lcores; i++) {
		workers[i] = worker_new(app, opt, plan->port_id, plan->lcores[i]);
		if (workers[i] == NULL) {
			LOG(ERR, "%s: worker on lcore %u: %s\n", port->name,
			    plan->lcores[i], rte_strerror(rte_errno));
			return -ENOMEM;
		}
		workers[i]->queue = i < plan->n_queues ? i : 0;
	}
	if (plan->n_lcores > plan->n_queues) {
		if (plan->n_queues != 1) {
			LOG(ERR, "%s: %u workers on %u queues: give one worker "
			    "per queue, or one queue\n", port->name,
			    plan->n_lcores, plan->n_queues);
			return -EINVAL;
		}
		LOG(INFO, "%s: one RX queue, software fan-out to %u workers\n",
		    port->name, plan->n_lcores);
		if (fanout_prepare(app, workers, plan->n_lcores) != 0)
			return -ENOMEM;
	}
	return 0;
}

int
dp_appliance_prepare(struct dp_appliance *app,
		     const struct dp_appliance_options *opt)
{
	int rc;

	memset(app, 0, sizeof(*app));
	rc = dp_exporter_init(&app->exporter, opt->out, opt->hostname);
	if (rc != 0)
		return rc;
	app->hit_pool = rte_mempool_create("hits", opt->hit_records,
		sizeof(struct dp_hit), 64, 0, NULL, NULL, NULL, NULL,
		(int)rte_socket_id(), 0);
	if (app->hit_pool == NULL) {
		LOG(ERR, "hit record pool: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned int p = 0; p < opt->n_ports; p++) {
		rc = port_prepare(app, opt, &opt->ports[p]);
		if (rc != 0)
			return rc;
	}
	app->exporter.workers = app->workers;
	app->exporter.n_workers = app->n_workers;
	app->options = *opt;
	return 0;
}

/* Stops the first n workers, all launched, and waits until each has
 * returned from its loop. */
static void
workers_stop(struct dp_appliance *app, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		__atomic_store_n(&app->workers[i]->stop, true,
				 __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < n; i++)
		rte_eal_wait_lcore(app->workers[i]->lcore);
}

int
dp_appliance_launch(struct dp_appliance *app)
{
	const struct dp_appliance_options *opt = &app->options;
	int rc;

	for (unsigned int p = 0; p < opt->n_ports; p++) {
		const struct dp_port_plan *plan = &opt->ports[p];
		rc = dp_port_start(plan->port_id, plan->n_queues,
				   opt->rx_descriptors, app->ports[p].mbuf_pool,
				   plan->symmetric_rss);
		if (rc != 0)
			return rc;
		app->ports[p].started = true;
	}
	/* A replayed capture keeps its own times, as in replay. net_pcap
	 * registers its timestamp field when started. */
	for (unsigned int i = 0; i < app->n_workers; i++) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(app->workers[i]->port, &info) == 0 &&
		    strcmp(info.driver_name, "net_pcap") == 0)
			dp_worker_use_capture_time(app->workers[i]);
	}
	dp_clock_init();
	rc = dp_exporter_start(&app->exporter, app->workers, app->n_workers);
	if (rc != 0) {
		LOG(ERR, "exporter thread: %s\n", strerror(-rc));
		return rc;
	}
	for (unsigned int i = 0; i < app->n_workers; i++) {
		struct dp_worker *w = app->workers[i];
		rc = rte_eal_remote_launch(dp_worker_main, w, w->lcore);
		if (rc != 0) {
			LOG(ERR, "worker %u on lcore %u: %s\n", i, w->lcore,
			    rte_strerror(-rc));
			/* The ones already running must be back before the
			 * caller frees what they use. */
			workers_stop(app, i);
			return rc;
		}
	}
	app->launched = true;
	LOG(INFO, "%u workers on %u ports running\n", app->n_workers,
	    app->n_ports);
	return 0;
}

void
dp_appliance_stop(struct dp_appliance *app, unsigned int drain_ms)
{
	if (app->launched) {
		workers_stop(app, app->n_workers);
		app->launched = false;
	}
	dp_exporter_stop(&app->exporter, drain_ms);
}

void
dp_appliance_release(struct dp_appliance *app)
{
	dp_appliance_stop(app, 0);
	for (unsigned int p = 0; p < app->n_ports; p++)
		if (app->ports[p].started)
			dp_port_stop(app->ports[p].port_id);
	for (unsigned int i = 0; i < app->n_workers; i++) {
		dp_worker_release(app->workers[i]);
		rte_ring_free(app->workers[i]->hit_ring);
		rte_free(app->workers[i]);
	}
	for (unsigned int i = 0; i < app->n_fanout_rings; i++)
		rte_ring_free(app->fanout_rings[i]);
	for (unsigned int p = 0; p < app->n_ports; p++)
		rte_mempool_free(app->ports[p].mbuf_pool);
	rte_mempool_free(app->hit_pool);
	dp_exporter_release(&app->exporter);
	memset(app, 0, sizeof(*app));
}
