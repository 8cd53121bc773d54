/* port.h -- configure and start a DPDK port for receiving only. */
#ifndef IOCSIFT_DATAPLANE_PORT_H
#define IOCSIFT_DATAPLANE_PORT_H

#include <stdint.h>

#include <rte_mempool.h>

#define DP_RX_DESCRIPTORS 1024

/* Configures n_queues RX queues (no TX) fed from pool and starts the port
 * in promiscuous mode, as a SPAN port needs. 0 or -errno, logged. */
int dp_port_start(uint16_t port, uint16_t n_queues, struct rte_mempool *pool);

void dp_port_stop(uint16_t port);

#endif
