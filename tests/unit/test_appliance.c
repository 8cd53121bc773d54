/* test_appliance.c -- dp_appliance_launch() over a net_ring port: workers
 * that run and stop, and a launch that fails part-way, which must leave
 * no worker running on what dp_appliance_release() frees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eth_ring.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "appliance.h"
#include "eal_fixture.h"

static struct {
	unsigned int worker_lcore;
	struct rte_ring *rx_ring, *tx_ring;
	unsigned int ports;
} fx;

static int
group_setup(void **state)
{
	(void)state;
	fx.worker_lcore = eal_fixture_worker_lcore();
	assert_true(fx.worker_lcore < RTE_MAX_LCORE);
	fx.rx_ring = rte_ring_create("test_rx", 256, rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	fx.tx_ring = rte_ring_create("test_tx", 64, rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(fx.rx_ring);
	assert_non_null(fx.tx_ring);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_ring_free(fx.rx_ring);
	rte_ring_free(fx.tx_ring);
	return 0;
}

/* One new port (dp_appliance_release() closes it) with one queue read
 * by n workers (the software fan-out past the first), on the lcores
 * given: sizes as small as the dataplane takes, so that the test fits in
 * the fixture's 256 MB. */
static void
options_make(struct dp_appliance_options *opt, const unsigned int *lcores,
	     uint16_t n)
{
	char name[32];

	snprintf(name, sizeof(name), "appliance_test%u", fx.ports++);
	int port = rte_eth_from_rings(name, &fx.rx_ring, 1, &fx.tx_ring, 1,
				      rte_socket_id());
	assert_true(port >= 0);
	memset(opt, 0, sizeof(*opt));
	opt->n_ports = 1;
	opt->ports[0].port_id = (uint16_t)port;
	opt->ports[0].n_queues = 1;
	opt->ports[0].n_lcores = n;
	for (uint16_t i = 0; i < n; i++)
		opt->ports[0].lcores[i] = lcores[i];
	opt->mbufs = 1023;
	opt->hit_records = 255;
	opt->hit_ring_size = 256;
	opt->rx_descriptors = 256;
	opt->fragments.datagrams_max = 16;
	opt->fragments.timeout_ms = 1000;
	dp_stream_config_init(&opt->streams);
	opt->streams.streams_max = 64;
	opt->streams.buffer_bytes_max = 1u << 20;
	opt->hostname = "unit";
}

/* The reference: launched, the worker lcore runs; stopped, it waits. */
static void
test_launch_and_stop(void **state)
{
	static struct dp_appliance app;
	struct dp_appliance_options opt;

	(void)state;
	options_make(&opt, &fx.worker_lcore, 1);
	assert_int_equal(dp_appliance_prepare(&app, &opt), 0);
	assert_int_equal(dp_appliance_launch(&app), 0);
	assert_int_equal(rte_eal_get_lcore_state(fx.worker_lcore), RUNNING);
	dp_appliance_stop(&app, 0);
	assert_int_equal(rte_eal_get_lcore_state(fx.worker_lcore), WAIT);
	dp_appliance_release(&app);
}

/* Two workers on one lcore: the first launches, the second finds its
 * lcore busy (-EBUSY), the failure of a worker k > 0. When the launch
 * returns, the first must be stopped and waited for: the caller goes on
 * to dp_appliance_release(), which frees its state. */
static void
test_launch_fails_part_way(void **state)
{
	static struct dp_appliance app;
	struct dp_appliance_options opt;
	unsigned int lcores[2] = { fx.worker_lcore, fx.worker_lcore };

	(void)state;
	options_make(&opt, lcores, 2);
	assert_int_equal(dp_appliance_prepare(&app, &opt), 0);
	assert_int_equal(app.n_workers, 2);
	int rc = dp_appliance_launch(&app);
	enum rte_lcore_state_t after = rte_eal_get_lcore_state(fx.worker_lcore);
	bool stop_set = __atomic_load_n(&app.workers[0]->stop,
					__ATOMIC_ACQUIRE);
	/* Whatever the outcome, nothing runs when the appliance goes, so
	 * that a failed check does not take the process down with it. */
	if (after == RUNNING) {
		__atomic_store_n(&app.workers[0]->stop, true, __ATOMIC_RELEASE);
		rte_eal_wait_lcore(fx.worker_lcore);
	}
	dp_appliance_stop(&app, 0);
	dp_appliance_release(&app);
	assert_int_equal(rc, -EBUSY);
	if (after != WAIT)
		fail_msg("worker 0 still runs on lcore %u after the launch of "
			 "worker 1 failed", fx.worker_lcore);
	assert_true(stop_set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch_and_stop),
		cmocka_unit_test(test_launch_fails_part_way),
	};
	int rc = eal_fixture_init("test_appliance");

	if (rc != 0)
		return rc;
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	eal_fixture_cleanup();
	return rc;
}
