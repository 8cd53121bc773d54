/* port.h -- configure and start a DPDK port for receiving only. */
#ifndef IOCSIFT_DATAPLANE_PORT_H
#define IOCSIFT_DATAPLANE_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#define DP_RX_DESCRIPTORS 1024

/* Configures n_queues RX queues (no TX) of descriptors each, fed from
 * pool, and starts the port in promiscuous mode, as a SPAN port needs.
 * With several queues and symmetric_rss, RSS over IP/UDP/TCP with a
 * symmetric Toeplitz key puts both directions of a flow on one queue.
 * 0 or -errno, logged. */
int dp_port_start(uint16_t port, uint16_t n_queues, uint16_t descriptors,
		  struct rte_mempool *pool, bool symmetric_rss);

/* RX queues the port can have (1 for a device that cannot spread). */
uint16_t dp_port_max_rx_queues(uint16_t port);

void dp_port_stop(uint16_t port);

#endif
