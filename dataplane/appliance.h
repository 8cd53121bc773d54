/* appliance.h -- `iocsift run`'s dataplane: the ports, one worker per RX
 * queue (or per software fan-out share), the exporter thread. EAL must be
 * up; which lcores and queues is decided by the caller. */
#ifndef IOCSIFT_DATAPLANE_APPLIANCE_H
#define IOCSIFT_DATAPLANE_APPLIANCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "exporter.h"
#include "worker.h"

#define DP_PORTS_MAX 8
#define DP_WORKERS_MAX 128
/* Worker 0 of a one-queue port fans out to every worker. */
_Static_assert(DP_WORKERS_MAX <= DP_FANOUT_MAX,
	       "every worker has a fan-out ring");
#define DP_L4_PORTS_MAX 16
#define DP_FANOUT_RING_SIZE 4096

struct dp_port_plan {
	uint16_t port_id;
	uint16_t n_queues;          /* RX queues to configure */
	uint16_t n_lcores;          /* workers: n_queues, or more to fan out */
	unsigned int lcores[DP_WORKERS_MAX];
	bool symmetric_rss;
	bool af_packet_outgoing;    /* net_af_packet: keep what the host sends */
};

struct dp_appliance_options {
	struct dp_port_plan ports[DP_PORTS_MAX];
	unsigned int n_ports;
	uint16_t syslog_ports[DP_L4_PORTS_MAX];
	unsigned int n_syslog_ports;
	uint16_t dns_ports[DP_L4_PORTS_MAX];
	unsigned int n_dns_ports;
	uint16_t syslog_tcp_ports[DP_L4_PORTS_MAX];
	unsigned int n_syslog_tcp_ports;
	uint16_t dns_tcp_ports[DP_L4_PORTS_MAX];
	unsigned int n_dns_tcp_ports;
	struct dp_decode_config decode;   /* VXLAN and Geneve ports */
	struct dp_fragment_config fragments;   /* each worker's table */
	struct dp_stream_config streams;       /* each worker's TCP table */
	uint32_t mbufs;             /* per port */
	uint32_t hit_records;
	uint32_t hit_ring_size;
	uint16_t rx_descriptors;
	FILE *out;                  /* ECS JSON lines, or NULL */
	const char *hostname;       /* of syslog headers; NULL: the system's */
};

/* What a net_af_packet port does with the frames the host sends. */
enum dp_outgoing {
	DP_OUTGOING_NONE,          /* another driver: nothing to choose */
	DP_OUTGOING_DROPPED,       /* filtered out (dp_port_drop_outgoing) */
	DP_OUTGOING_KEPT,          /* af_packet_outgoing = yes */
};

struct dp_appliance_port {
	uint16_t port_id;
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_mempool *mbuf_pool;
	enum dp_outgoing outgoing;
	bool started;
};

struct dp_appliance {
	struct dp_appliance_port ports[DP_PORTS_MAX];
	unsigned int n_ports;
	struct dp_worker *workers[DP_WORKERS_MAX];
	unsigned int n_workers;
	struct rte_ring *fanout_rings[DP_WORKERS_MAX];
	unsigned int n_fanout_rings;
	struct rte_mempool *hit_pool;
	struct dp_exporter exporter;
	struct dp_appliance_options options;
	bool launched;
};

/* Allocates pools, rings and workers, but starts nothing: the pattern set
 * is published next, then dp_appliance_launch.
 * 0 or -errno, logged. */
int dp_appliance_prepare(struct dp_appliance *app,
			 const struct dp_appliance_options *opt);

/* Configures and starts the ports, then the exporter thread and the
 * workers. 0 or -errno, logged. When a worker cannot be launched, the
 * workers launched before it are stopped and waited for before the
 * error returns: none runs on what dp_appliance_release() frees. The
 * exporter thread and the ports are left to dp_appliance_stop() and
 * dp_appliance_release(), as after a success. */
int dp_appliance_launch(struct dp_appliance *app);

/* Stops the workers, then the exporter once it has written every hit;
 * the sinks get drain_ms to deliver, the rest stays in their spools. */
void dp_appliance_stop(struct dp_appliance *app, unsigned int drain_ms);

/* Stops and closes the ports and frees everything. */
void dp_appliance_release(struct dp_appliance *app);

#endif
