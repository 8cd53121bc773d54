/* port_plan.h -- which ports `iocsift run` receives on, with how many RX
 * queues and which worker lcores each: the configured ones, else every
 * port and worker lcore EAL has, dealt out in turn. EAL must be up. */
#ifndef IOCSIFT_DATAPLANE_PORT_PLAN_H
#define IOCSIFT_DATAPLANE_PORT_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "appliance.h"
#include "common.h"

/* A port as the configuration asks for it. */
struct dp_port_request {
	const char *device;        /* a vdev (its name precedes the first
				    * comma) or a PCI address, with or
				    * without a domain */
	bool is_pci;
	uint16_t rx_queues;        /* 0: one per worker lcore */
	const uint16_t *lcores;    /* worker lcores; none: dealt from EAL's */
	uint16_t n_lcores;
	bool symmetric_rss;
	bool af_packet_outgoing;   /* net_af_packet: keep outgoing frames */
	unsigned int line;         /* in the configuration, for messages */
};

/* Fills opt->ports and opt->n_ports from n requests (none: every port EAL
 * probed, with defaults). Each port without lcores of its own gets EAL's
 * free worker lcores in turn; one RX queue per lcore unless rx_queues
 * says otherwise, and a port that cannot have that many queues gets one
 * and the software fan-out. 0, -ENODEV (a port EAL did not probe, or no
 * port at all) or -EINVAL (an lcore that is not a free EAL worker, a port
 * without lcores, more queues than the port or its lcores allow), with
 * err filled. */
int dp_ports_plan(const struct dp_port_request *req, unsigned int n,
		  struct dp_appliance_options *opt, struct error_detail *err);

#endif
