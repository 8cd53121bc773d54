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

/* net_af_packet: the interface's kernel hands the port's packet sockets a
 * copy of every frame the host sends on it (PACKET_OUTGOING), so on lo,
 * where each frame is sent and then received, every frame arrives twice.
 * This attaches a classic BPF filter that drops those copies to each
 * packet socket of this process bound to the port's interface, found by
 * walking /proc/self/fd (DPDK 22.11 has no devarg for it, and
 * PACKET_IGNORE_OUTGOING does nothing on the PMD's sockets: they are in a
 * fanout group, whose own hook the kernel consults; see
 * docs/deployment.md). Returns the number of sockets filtered, 0 for
 * another driver, or -errno (-ENOENT: no socket found), logged. */
int dp_port_drop_outgoing(uint16_t port);

/* RX queues the port can have (1 for a device that cannot spread). */
uint16_t dp_port_max_rx_queues(uint16_t port);

void dp_port_stop(uint16_t port);

#endif
