/* port.c -- bring a receive-only port up and down. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_packet.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "port.h"

RTE_LOG_REGISTER(dp_logtype_port, iocsift.port, INFO);
#define LOG(level, ...) \
	rte_log(RTE_LOG_##level, dp_logtype_port, "port: " __VA_ARGS__)

/* 0x6d5a repeated: Toeplitz with this key hashes (a, b) and (b, a) alike
 * (Woo and Park, "Scalable TCP Session Monitoring with Symmetric RSS"). */
static uint8_t symmetric_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* Classic BPF over the kernel's packet type: drop a frame the host sent
 * (the copy dev_queue_xmit_nit hands packet sockets), keep anything else
 * whole. It is tcpdump's "inbound". A filter belongs to its socket, so it
 * works in a fanout group, where PACKET_IGNORE_OUTGOING does not. */
static struct sock_filter drop_outgoing_code[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
};

/* Whether fd is a packet socket bound to ifindex. */
static bool
packet_socket_on(int fd, int ifindex)
{
	struct sockaddr_ll addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
		return false;   /* not a socket */
	return len >= offsetof(struct sockaddr_ll, sll_addr) &&
		addr.sll_family == AF_PACKET && addr.sll_ifindex == ifindex;
}

int
dp_port_drop_outgoing(uint16_t port)
{
	struct sock_fprog program = {
		.len = sizeof(drop_outgoing_code) / sizeof(drop_outgoing_code[0]),
		.filter = drop_outgoing_code,
	};
	struct rte_eth_dev_info info;
	struct dirent *entry;
	unsigned int filtered = 0;
	int rc = rte_eth_dev_info_get(port, &info);

	if (rc != 0) {
		LOG(ERR, "%u: device info: %s\n", port, rte_strerror(-rc));
		return rc;
	}
	if (strcmp(info.driver_name, "net_af_packet") != 0)
		return 0;
	DIR *fds = opendir("/proc/self/fd");
	if (fds == NULL) {
		rc = -errno;
		LOG(ERR, "%u: /proc/self/fd: %s: cannot find the packet sockets "
		    "to drop outgoing frames (af_packet_outgoing = yes runs "
		    "without)\n", port, strerror(errno));
		return rc;
	}
	while (rc == 0 && (entry = readdir(fds)) != NULL) {
		char *end;
		long fd = strtol(entry->d_name, &end, 10);
		if (end == entry->d_name || *end != '\0' || fd == dirfd(fds) ||
		    !packet_socket_on((int)fd, (int)info.if_index))
			continue;
		if (setsockopt((int)fd, SOL_SOCKET, SO_ATTACH_FILTER, &program,
			       sizeof(program)) != 0) {
			rc = -errno;
			LOG(ERR, "%u: packet socket %ld: filter of outgoing "
			    "frames: %s\n", port, fd, strerror(errno));
			break;
		}
		filtered++;
	}
	closedir(fds);
	if (rc != 0)
		return rc;
	if (filtered == 0) {
		LOG(ERR, "%u: no packet socket on interface %u: cannot drop "
		    "outgoing frames (af_packet_outgoing = yes runs without)\n",
		    port, info.if_index);
		return -ENOENT;
	}
	/* One per queue pair; more when another port uses the interface. */
	LOG(INFO, "%u: outgoing frames dropped on %u packet socket%s of "
	    "interface %u (%u queue%s)\n", port, filtered,
	    filtered == 1 ? "" : "s", info.if_index, info.max_rx_queues,
	    info.max_rx_queues == 1 ? "" : "s");
	return (int)filtered;
}

uint16_t
dp_port_max_rx_queues(uint16_t port)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port, &info) != 0 || info.max_rx_queues == 0)
		return 1;
	return info.max_rx_queues;
}

/* RSS when the device hashes in hardware; a device that spreads flows on
 * its own (net_af_packet's PACKET_FANOUT) reports no RSS offloads and is
 * left to do so. */
static void
rss_configure(uint16_t port, const struct rte_eth_dev_info *info,
	      bool symmetric, struct rte_eth_conf *conf)
{
	uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
		info->flow_type_rss_offloads;

	if (hf == 0) {
		LOG(INFO, "%u: no RSS offloads; the device spreads flows itself\n",
		    port);
		return;
	}
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_hf = hf;
	if (symmetric && info->hash_key_size == sizeof(symmetric_rss_key)) {
		conf->rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
		conf->rx_adv_conf.rss_conf.rss_key_len = sizeof(symmetric_rss_key);
	} else if (symmetric) {
		LOG(WARNING, "%u: RSS key is %u bytes, not 40: flows may not be "
		    "symmetric\n", port, info->hash_key_size);
	}
}

int
dp_port_start(uint16_t port, uint16_t n_queues, uint16_t descriptors,
	      struct rte_mempool *pool, bool symmetric_rss)
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
	if (n_queues > 1)
		rss_configure(port, &info, symmetric_rss, &conf);
	rc = rte_eth_dev_configure(port, n_queues, 0, &conf);
	if (rc != 0) {
		LOG(ERR, "%u: configure: %s\n", port, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < n_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, descriptors,
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
