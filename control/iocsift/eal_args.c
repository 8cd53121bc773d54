/* eal_args.c -- the EAL command line of `iocsift run` (eal_args.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eal_args.h"

/* Whether one of argv[0..argc) is one of the options names: "--name",
 * "--name=value", or a short "-x" with its value attached ("-l0-3"). */
static bool
has_option(char *const *argv, int argc, const char *const *names)
{
	for (int i = 0; i < argc; i++)
		for (const char *const *n = names; *n != NULL; n++) {
			size_t len = strlen(*n);
			if (strncmp(argv[i], *n, len) == 0 &&
			    (argv[i][len] == '\0' || argv[i][len] == '=' ||
			     (len == 2 && argv[i][0] == '-' && argv[i][1] != '-')))
				return true;
		}
	return false;
}

int
eal_args_build(struct eal_args *out, const struct eal_args_input *in)
{
	static const char *const lcore_options[] = { "-l", "-c", "--lcores", NULL };
	static const char *const memory_options[] = { "--no-huge", "-m",
		"--socket-mem", "--in-memory", NULL };
	static const char *const prefix_options[] = { "--file-prefix",
		"--in-memory", "--no-shconf", NULL };
	static const char *const log_options[] = { "--log-level", NULL };
	static const char *const telemetry_options[] = { "--no-telemetry",
		"--telemetry", NULL };
	/* What names PCI devices, or says not to probe them. */
	static const char *const pci_options[] = { "-a", "--allow", "-b",
		"--block", "--pci-whitelist", "--pci-blacklist", "--no-pci",
		NULL };
	static const char *const vdev_options[] = { "--vdev", NULL };
	const struct iocsift_config *cfg = in->cfg;
	char **argv = out->argv;
	int argc = 0;
	bool any_pci_port = false, any_vdev_port = false;

	if (in->n_extra < 0 || in->n_extra > CFG_EAL_ARGS_MAX)
		return -E2BIG;
	argv[argc++] = "iocsift";
	for (unsigned int i = 0; i < cfg->n_eal_args; i++)
		argv[argc++] = cfg->eal_args[i];
	for (int i = 0; i < in->n_extra; i++)
		argv[argc++] = in->extra[i];
	int given = argc;
	for (unsigned int p = 0; p < cfg->n_ports; p++) {
		const struct cfg_port *port = &cfg->ports[p];
		argv[argc++] = port->is_pci ? "-a" : "--vdev";
		argv[argc++] = (char *)port->device;
		any_pci_port |= port->is_pci;
		any_vdev_port |= !port->is_pci;
	}
	/* Without any of these EAL probes every PCI device: the run with
	 * no [port] that uses whatever NIC is bound. */
	if ((any_vdev_port || has_option(argv, given, vdev_options)) &&
	    !any_pci_port && !has_option(argv, given, pci_options))
		argv[argc++] = "--no-pci";
	if (!has_option(argv, given, lcore_options)) {
		snprintf(out->lcores, sizeof(out->lcores), "-l0-%ld",
			 in->cpus > 1 ? in->cpus - 1 : 1);
		argv[argc++] = in->cpus > 1 ? out->lcores : "--lcores=(0,1)@0";
	}
	if (!has_option(argv, given, memory_options) && !in->hugepages) {
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m1024";
	}
	if (!has_option(argv, given, prefix_options))
		argv[argc++] = "--file-prefix=iocsift";
	if (!cfg->telemetry && !has_option(argv, given, telemetry_options))
		argv[argc++] = "--no-telemetry";
	if (!has_option(argv, given, log_options) && !in->verbose) {
		argv[argc++] = "--log-level=lib.*:warning";
		argv[argc++] = "--log-level=pmd.*:warning";
	}
	argv[argc] = NULL;
	out->argc = argc;
	return 0;
}
