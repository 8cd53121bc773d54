/* port.c -- bring a receive-only port up and down. */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "port.h"

RTE_LOG_REGISTER(dp_logtype_port, iocsift.port, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_port, "port: " __VA_ARGS__)

int
dp_port_start(uint16_t port, uint16_t n_queues, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		LOG(ERR, "%u: device info: %s\n", port, rte_strerror(-rc));
		return rc;
	}
	if (n_queues > info.max_rx_queues) {
		LOG(ERR, "%u: %u RX queues wanted, device has %u\n", port,
		    n_queues, info.max_rx_queues);
		return -EINVAL;
	}
	rc = rte_eth_dev_configure(port, n_queues, 0, &conf);
	if (rc != 0) {
		LOG(ERR, "%u: configure: %s\n", port, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < n_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, DP_RX_DESCRIPTORS,
					    rte_eth_dev_socket_id(port), NULL,
					    pool);
		if (rc != 0) {
			LOG(ERR, "%u: RX queue %u: %s\n", port, q,
			    rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		LOG(ERR, "%u: start: %s\n", port, rte_strerror(-rc));
		return rc;
	}
	/* Virtual devices may not support it; a SPAN port needs it only on
	 * real NICs, which do. */
	rc = rte_eth_promiscuous_enable(port);
	if (rc != 0 && rc != -ENOTSUP)
		LOG(WARNING, "%u: promiscuous mode: %s\n", port,
		    rte_strerror(-rc));
	return 0;
}

void
dp_port_stop(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}
