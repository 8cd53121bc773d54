/* clock.h -- wall-clock time from the TSC for the workers, without a
 * syscall. The TSC rate EAL estimates at start can be off by a part in a
 * thousand (1.5 ms a second on a VM here), so a thread that is not a
 * worker re-anchors the clock to CLOCK_REALTIME and measures the rate;
 * workers read the anchor under DPDK's seqlock, never waiting. */
#ifndef IOCSIFT_DATAPLANE_CLOCK_H
#define IOCSIFT_DATAPLANE_CLOCK_H

#include <stdint.h>

/* Takes the first anchor (EAL must be up). */
void dp_clock_init(void);

/* Re-anchors when at least 10 ms have passed since the last time; cheap
 * to call often. One thread only (the exporter's). */
void dp_clock_tick(void);

/* UNIX nanoseconds at TSC value tsc. */
uint64_t dp_clock_ns(uint64_t tsc);

#endif
