/* eal_fixture.h -- a real EAL for the unit tests of the dataplane (worker,
 * exporter): two lcores, no hugepages, no PCI, no runtime files. */
#ifndef IOCSIFT_TESTS_EAL_FIXTURE_H
#define IOCSIFT_TESTS_EAL_FIXTURE_H

/* What meson reads as "skipped". */
#define EAL_FIXTURE_SKIP 77

/* Starts EAL once for the process (prefix names its file prefix, so two
 * test programs never share one). 0; EAL_FIXTURE_SKIP, with the reason
 * printed, when EAL cannot start and we are not root (nothing to fix in
 * the test); 1, printed, when it cannot start as root. */
int eal_fixture_init(const char *prefix);

/* The lcore a test runs a worker on (the first one after the main). */
unsigned int eal_fixture_worker_lcore(void);

void eal_fixture_cleanup(void);

#endif
