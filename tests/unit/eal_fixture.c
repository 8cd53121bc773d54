/* eal_fixture.c -- starts a real EAL for a unit test: the arguments of
 * `iocsift replay` without hugepages (docs/architecture.md, EAL defaults),
 * so the test runs side by side with a replay and leaves no files. */
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "eal_fixture.h"

int
eal_fixture_init(const char *prefix)
{
	char file_prefix[64];
	char *argv[16];
	int argc = 0;

	snprintf(file_prefix, sizeof(file_prefix), "--file-prefix=%s", prefix);
	argv[argc++] = (char *)prefix;
	argv[argc++] = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ?
		"-l0,1" : "--lcores=(0,1)@0";
	/* EAL 22.11 refuses --in-memory with --no-huge; --no-shconf keeps
	 * it from writing a config file all the same. */
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m256";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=warning";
	argv[argc++] = "--log-level=lib.eal:error";
	argv[argc++] = file_prefix;
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		int err = rte_errno;
		if (geteuid() != 0) {
			printf("SKIP: EAL could not start for uid %u, not "
			       "root: %s\n", (unsigned int)geteuid(),
			       rte_strerror(err));
			return EAL_FIXTURE_SKIP;
		}
		printf("EAL could not start: %s\n", rte_strerror(err));
		return 1;
	}
	return 0;
}

unsigned int
eal_fixture_worker_lcore(void)
{
	return rte_get_next_lcore(-1, 1, 0);
}

void
eal_fixture_cleanup(void)
{
	rte_eal_cleanup();
}
