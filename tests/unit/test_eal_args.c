/* test_eal_args.c -- the EAL command line `iocsift run` builds
 * (control/iocsift/eal_args.c): --no-pci when only virtual devices are
 * named, whether by a [port], eal_args or the arguments after "--", and
 * never when a PCI device or option is; the other defaults, each left
 * out when the user gave its option. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "eal_args.h"

static struct iocsift_config cfg;
static struct eal_args args;
static char *extra[CFG_EAL_ARGS_MAX + 1];
static char extra_text[CFG_EAL_ARGS_MAX + 1][128];

static int
setup(void **state)
{
	(void)state;
	cfg_defaults(&cfg);
	memset(&args, 0, sizeof(args));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cfg_release(&cfg);
	return 0;
}

static void
config(const char *text)
{
	struct error_detail err = { 0 };

	if (cfg_parse(&cfg, "test.conf", text, strlen(text), &err) != 0)
		fail_msg("%s:%u: %s", err.where, err.line, err.message);
}

/* Builds from the config and the words of command_line (after "--"),
 * with 2 CPUs, hugepages and quiet logs unless the test says otherwise. */
static void
build_with(const char *command_line, long cpus, bool hugepages)
{
	int n = 0;
	const char *s = command_line;

	while (*s != '\0') {
		size_t len = strcspn(s, " ");
		assert_true(n < CFG_EAL_ARGS_MAX && len < sizeof(extra_text[0]));
		snprintf(extra_text[n], sizeof(extra_text[n]), "%.*s", (int)len, s);
		extra[n] = extra_text[n];
		n++;
		s += len;
		s += strspn(s, " ");
	}
	struct eal_args_input in = {
		.cfg = &cfg, .extra = extra, .n_extra = n, .cpus = cpus,
		.hugepages = hugepages, .verbose = false,
	};
	assert_int_equal(eal_args_build(&args, &in), 0);
	assert_true(args.argc <= EAL_ARGS_MAX);
	assert_null(args.argv[args.argc]);
	assert_string_equal(args.argv[0], "iocsift");
}

static void
build(const char *command_line)
{
	build_with(command_line, 2, true);
}

static unsigned int
count(const char *arg)
{
	unsigned int n = 0;

	for (int i = 0; i < args.argc; i++)
		n += strcmp(args.argv[i], arg) == 0;
	return n;
}

/* The argument right after the first arg, or NULL. */
static const char *
after(const char *arg)
{
	for (int i = 0; i + 1 < args.argc; i++)
		if (strcmp(args.argv[i], arg) == 0)
			return args.argv[i + 1];
	return NULL;
}

/* The issue: `iocsift run -- --vdev ...` without a config probed PCI. */
static void
test_vdev_after_dashes_adds_no_pci(void **state)
{
	(void)state;
	build("--vdev net_af_packet0,iface=lo");
	assert_int_equal(count("--no-pci"), 1);
	build("--vdev=net_pcap0,rx_pcap=x.pcap -l0,1");
	assert_int_equal(count("--no-pci"), 1);
}

static void
test_vdev_in_eal_args_adds_no_pci(void **state)
{
	(void)state;
	config("[dataplane]\neal_args = --vdev net_null0\n");
	build("");
	assert_int_equal(count("--no-pci"), 1);
}

static void
test_vdev_port_adds_no_pci(void **state)
{
	(void)state;
	config("[port]\ndevice = net_af_packet0,iface=lo\n");
	build("");
	assert_int_equal(count("--no-pci"), 1);
	assert_string_equal(after("--vdev"), "net_af_packet0,iface=lo");
}

/* A PCI device or option, anywhere, and EAL probes as told. */
static void
test_pci_named_keeps_pci(void **state)
{
	static const char *const lines[] = {
		"--vdev net_null0 -a 0000:03:00.0",
		"--vdev net_null0 -a0000:03:00.0",
		"--vdev net_null0 --allow 0000:03:00.0",
		"--vdev net_null0 --allow=0000:03:00.0",
		"--vdev net_null0 -b 0000:03:00.0",
		"--vdev net_null0 --block=0000:03:00.0",
		"--vdev net_null0 --pci-whitelist 0000:03:00.0",
		"--vdev net_null0 --pci-blacklist 0000:03:00.0",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		build(lines[i]);
		if (count("--no-pci") != 0)
			fail_msg("--no-pci added to %s", lines[i]);
	}
	config("[port]\ndevice = net_null0\n[port]\ndevice = 0000:3b:00.1\n");
	build("");
	assert_int_equal(count("--no-pci"), 0);
	assert_string_equal(after("-a"), "0000:3b:00.1");
	config("[port]\ndevice = net_null0\n");
	build("-a 0000:03:00.0");
	assert_int_equal(count("--no-pci"), 0);
}

/* No device named at all: every PCI device EAL finds is a port. */
static void
test_nothing_named_probes_pci(void **state)
{
	(void)state;
	build("");
	assert_int_equal(count("--no-pci"), 0);
	build("-l 0-3");
	assert_int_equal(count("--no-pci"), 0);
}

static void
test_no_pci_given_once(void **state)
{
	(void)state;
	build("--no-pci --vdev net_null0");
	assert_int_equal(count("--no-pci"), 1);
}

static void
test_defaults_and_overrides(void **state)
{
	(void)state;
	build_with("--vdev net_null0", 4, false);
	assert_int_equal(count("-l0-3"), 1);
	assert_int_equal(count("--no-huge"), 1);
	assert_int_equal(count("-m1024"), 1);
	assert_int_equal(count("--file-prefix=iocsift"), 1);
	assert_int_equal(count("--log-level=lib.*:warning"), 1);
	assert_int_equal(count("--no-telemetry"), 0);
	build_with("", 1, true);
	assert_int_equal(count("--lcores=(0,1)@0"), 1);
	assert_int_equal(count("--no-huge"), 0);
	build_with("-l 0,1 -m 512 --in-memory --log-level=debug", 4, false);
	assert_int_equal(count("-l0-3"), 0);
	assert_int_equal(count("--no-huge"), 0);
	assert_int_equal(count("--file-prefix=iocsift"), 0);
	assert_int_equal(count("--log-level=lib.*:warning"), 0);
	config("[control]\ntelemetry = no\n");
	build("");
	assert_int_equal(count("--no-telemetry"), 1);
}

/* The config's arguments first, then those after "--", then the ports. */
static void
test_order(void **state)
{
	(void)state;
	config("[dataplane]\neal_args = -l 0,1\n[port]\ndevice = net_null0\n");
	build("--no-huge -m 256");
	assert_string_equal(args.argv[1], "-l");
	assert_string_equal(args.argv[2], "0,1");
	assert_string_equal(args.argv[3], "--no-huge");
	assert_string_equal(args.argv[5], "256");
	assert_string_equal(args.argv[6], "--vdev");
	assert_string_equal(args.argv[7], "net_null0");
}

static void
test_too_many(void **state)
{
	struct eal_args_input in = { .cfg = &cfg, .extra = extra,
				     .n_extra = CFG_EAL_ARGS_MAX + 1, .cpus = 2 };
	char conf[1024] = "[control]\ntelemetry = no\n[dataplane]\neal_args =";
	char port[64];

	(void)state;
	for (int i = 0; i <= CFG_EAL_ARGS_MAX; i++)
		extra[i] = "-v";
	assert_int_equal(eal_args_build(&args, &in), -E2BIG);
	/* The most there may be: every argument, every port, every
	 * default. */
	for (int i = 0; i < CFG_EAL_ARGS_MAX; i++)
		strcat(conf, " -v");
	strcat(conf, "\n");
	for (unsigned int p = 0; p < CFG_PORTS_MAX; p++) {
		snprintf(port, sizeof(port), "[port]\ndevice = net_null%u\n", p);
		strcat(conf, port);
	}
	assert_true(strlen(conf) < sizeof(conf) - 1);
	config(conf);
	in.n_extra = CFG_EAL_ARGS_MAX;
	assert_int_equal(eal_args_build(&args, &in), 0);
	assert_int_equal(args.argc, 1 + 2 * CFG_EAL_ARGS_MAX +
			 2 * CFG_PORTS_MAX + 8);
	assert_true(args.argc <= EAL_ARGS_MAX);
	assert_null(args.argv[args.argc]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vdev_after_dashes_adds_no_pci,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdev_in_eal_args_adds_no_pci,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdev_port_adds_no_pci,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_named_keeps_pci,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_named_probes_pci,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_pci_given_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_and_overrides,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
