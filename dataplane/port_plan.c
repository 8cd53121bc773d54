/* port_plan.c -- RX queues and worker lcores per port (port_plan.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "port.h"
#include "port_plan.h"

/* The ethdev name of a requested device: a vdev's name is what precedes
 * its first comma; a PCI address as EAL spells it, with a domain. */
static int
port_find(const struct dp_port_request *req, uint16_t *port_id,
	  struct error_detail *err)
{
	char name[RTE_ETH_NAME_MAX_LEN + 8];
	bool short_pci = req->is_pci &&
		strchr(req->device, ':') == strrchr(req->device, ':');
	int len = snprintf(name, sizeof(name), "%s%s", short_pci ? "0000:" : "",
			   req->device);

	if (len < 0)
		return -EINVAL;
	name[strcspn(name, ",")] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		error_detail_set(err, "", 0, "port '%s' (config line %u) was "
				 "not probed by EAL", name, req->line);
		return -ENODEV;
	}
	return 0;
}

static bool
lcore_taken(const struct dp_appliance_options *opt, unsigned int lcore)
{
	for (unsigned int p = 0; p < opt->n_ports; p++)
		for (unsigned int i = 0; i < opt->ports[p].n_lcores; i++)
			if (opt->ports[p].lcores[i] == lcore)
				return true;
	return false;
}

/* The lcores a request names, each a free EAL worker lcore. */
static int
lcores_take(const struct dp_port_request *req, struct dp_appliance_options *opt,
	    struct dp_port_plan *plan, struct error_detail *err)
{
	for (unsigned int i = 0; i < req->n_lcores; i++) {
		unsigned int lcore = req->lcores[i];

		if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore) ||
		    lcore == rte_get_main_lcore() || lcore_taken(opt, lcore) ||
		    plan->n_lcores == DP_WORKERS_MAX) {
			error_detail_set(err, "", 0, "port '%s': lcore %u is "
					 "not a free EAL worker lcore",
					 req->device, lcore);
			return -EINVAL;
		}
		plan->lcores[plan->n_lcores++] = lcore;
	}
	return 0;
}

/* EAL's remaining worker lcores, dealt out to the ports that named none. */
static void
lcores_deal(const struct dp_port_request *req, unsigned int n,
	    struct dp_appliance_options *opt)
{
	unsigned int lcore, next = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (lcore_taken(opt, lcore))
			continue;
		for (unsigned int tries = 0; tries < n; tries++) {
			struct dp_port_plan *plan = &opt->ports[next++ % n];

			if (req[plan - opt->ports].n_lcores == 0 &&
			    plan->n_lcores < DP_WORKERS_MAX) {
				plan->lcores[plan->n_lcores++] = lcore;
				break;
			}
		}
	}
}

/* RX queues: one per lcore unless asked otherwise; one and the software
 * fan-out for a port that cannot spread. */
static int
queues_plan(const struct dp_port_request *req, struct dp_port_plan *plan,
	    struct error_detail *err)
{
	uint16_t max = dp_port_max_rx_queues(plan->port_id);

	if (plan->n_lcores == 0) {
		error_detail_set(err, "", 0, "port '%s' has no worker lcore: "
				 "give EAL more lcores (-l)", req->device);
		return -EINVAL;
	}
	plan->n_queues = req->rx_queues != 0 ? req->rx_queues : plan->n_lcores;
	if (plan->n_queues > max) {
		if (max != 1) {
			error_detail_set(err, "", 0, "port '%s' has at most %u "
					 "RX queues", req->device, max);
			return -EINVAL;
		}
		plan->n_queues = 1;
	}
	if (plan->n_queues > plan->n_lcores) {
		error_detail_set(err, "", 0, "port '%s': %u RX queues but %u "
				 "worker lcores; each queue needs its own",
				 req->device, plan->n_queues, plan->n_lcores);
		return -EINVAL;
	}
	return 0;
}

int
dp_ports_plan(const struct dp_port_request *req, unsigned int n,
	      struct dp_appliance_options *opt, struct error_detail *err)
{
	char names[DP_PORTS_MAX][RTE_ETH_NAME_MAX_LEN];
	struct dp_port_request all[DP_PORTS_MAX];
	uint16_t port_id;
	int rc;

	if (n == 0) {
		/* No ports requested: every port EAL probed, defaults. */
		RTE_ETH_FOREACH_DEV(port_id) {
			if (n == DP_PORTS_MAX)
				break;
			rte_eth_dev_get_name_by_port(port_id, names[n]);
			all[n] = (struct dp_port_request){
				.device = names[n],
				.symmetric_rss = true,
			};
			n++;
		}
		req = all;
	}
	if (n == 0) {
		error_detail_set(err, "", 0, "no port: configure one or give "
				 "EAL a device (-- --vdev "
				 "net_af_packet0,iface=IFACE)");
		return -ENODEV;
	}
	if (n > DP_PORTS_MAX) {
		error_detail_set(err, "", 0, "%u ports; at most %u", n,
				 DP_PORTS_MAX);
		return -EINVAL;
	}
	opt->n_ports = n;
	for (unsigned int p = 0; p < n; p++) {
		struct dp_port_plan *plan = &opt->ports[p];

		*plan = (struct dp_port_plan){
			.symmetric_rss = req[p].symmetric_rss,
			.af_packet_outgoing = req[p].af_packet_outgoing,
		};
		rc = port_find(&req[p], &plan->port_id, err);
		if (rc == 0)
			rc = lcores_take(&req[p], opt, plan, err);
		if (rc != 0)
			return rc;
	}
	lcores_deal(req, n, opt);
	for (unsigned int p = 0; p < n; p++) {
		rc = queues_plan(&req[p], &opt->ports[p], err);
		if (rc != 0)
			return rc;
	}
	return 0;
}
