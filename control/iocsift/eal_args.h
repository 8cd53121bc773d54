/* eal_args.h -- the EAL command line of `iocsift run`: the config's
 * eal_args, the arguments after "--", the configured ports, and our
 * defaults for whatever those do not say. Pure C (no DPDK), so the rules
 * unit-test without EAL. */
#ifndef IOCSIFT_EAL_ARGS_H
#define IOCSIFT_EAL_ARGS_H

#include <stdbool.h>

#include "config.h"

/* The program name, the config's and the command line's arguments, two
 * per port, and at most 16 defaults. */
#define EAL_ARGS_MAX (1 + 2 * CFG_EAL_ARGS_MAX + 2 * CFG_PORTS_MAX + 16)

struct eal_args_input {
	const struct iocsift_config *cfg;   /* eal_args, ports, telemetry */
	char **extra;                       /* after "--" */
	int n_extra;                        /* at most CFG_EAL_ARGS_MAX */
	long cpus;                          /* online CPUs */
	bool hugepages;                     /* a free hugepage exists */
	bool verbose;                       /* keep EAL's informational logs */
};

struct eal_args {
	char *argv[EAL_ARGS_MAX + 1];       /* NULL-terminated */
	int argc;
	char lcores[32];                    /* storage of the -l default */
};

/* Fills out from in: the config's eal_args, in->extra, "-a DEV" or
 * "--vdev DEV" per port, then each default that none of the given
 * arguments overrides (docs/configuration.md, "How iocsift run uses
 * it"). Among them, --no-pci when a vdev is named (by a port or a
 * --vdev argument) and no PCI device is (no PCI port, none of -a,
 * --allow, -b, --block, --pci-whitelist, --pci-blacklist, --no-pci), so
 * that EAL does not probe the PCI bus for a run on virtual devices. The
 * strings are in's or static, except lcores: out must outlive neither.
 * 0, or -E2BIG when in->n_extra is over CFG_EAL_ARGS_MAX. */
int eal_args_build(struct eal_args *out, const struct eal_args_input *in);

#endif
