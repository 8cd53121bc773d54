/* clock.c -- the TSC-to-wall-clock anchor: written by one thread under
 * DPDK's seqlock, read by the workers without waiting. */
#include <stdbool.h>
#include <time.h>

/* rte_seqlock is marked experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include <rte_cycles.h>
#include <rte_seqlock.h>

#include "clock.h"

#define TICK_NS 10000000ULL           /* re-anchor every 10 ms */
#define CALIBRATE_NS 1000000000ULL    /* measure the rate over >= 1 s */

static struct {
	rte_seqlock_t lock;
	uint64_t tsc;
	uint64_t ns;
	uint64_t hz;
} anchor = { .lock = RTE_SEQLOCK_INITIALIZER };

/* The writer's own state. */
static uint64_t first_tsc, first_ns, last_tsc;

static uint64_t
realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void
anchor_store(uint64_t tsc, uint64_t ns, uint64_t hz)
{
	/* Relaxed atomics inside: readers may load while this writes (and
	 * then retry), which plain accesses would make a data race. */
	rte_seqlock_write_lock(&anchor.lock);
	__atomic_store_n(&anchor.tsc, tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&anchor.ns, ns, __ATOMIC_RELAXED);
	__atomic_store_n(&anchor.hz, hz, __ATOMIC_RELAXED);
	rte_seqlock_write_unlock(&anchor.lock);
}

void
dp_clock_init(void)
{
	first_ns = realtime_ns();
	first_tsc = rte_rdtsc();
	last_tsc = first_tsc;
	anchor_store(first_tsc, first_ns, rte_get_tsc_hz());
}

void
dp_clock_tick(void)
{
	uint64_t hz = __atomic_load_n(&anchor.hz, __ATOMIC_RELAXED);
	uint64_t tsc = rte_rdtsc();

	if (hz == 0 || tsc - last_tsc < hz / (1000000000ULL / TICK_NS))
		return;
	uint64_t ns = realtime_ns();
	tsc = rte_rdtsc();
	last_tsc = tsc;
	/* The rate since the first anchor; a step of the wall clock (an
	 * operator, NTP) that makes it absurd starts the measure again. */
	if (ns > first_ns + CALIBRATE_NS) {
		double measured = (double)(tsc - first_tsc) * 1e9 /
			(double)(ns - first_ns);
		double nominal = (double)rte_get_tsc_hz();
		if (measured > nominal * 0.99 && measured < nominal * 1.01) {
			hz = (uint64_t)measured;
		} else {
			first_tsc = tsc;
			first_ns = ns;
		}
	} else if (ns < first_ns) {
		first_tsc = tsc;
		first_ns = ns;
	}
	anchor_store(tsc, ns, hz);
}

uint64_t
dp_clock_ns(uint64_t tsc)
{
	uint64_t base_tsc, base_ns, hz;
	uint32_t sn;

	do {
		sn = rte_seqlock_read_begin(&anchor.lock);
		base_tsc = __atomic_load_n(&anchor.tsc, __ATOMIC_RELAXED);
		base_ns = __atomic_load_n(&anchor.ns, __ATOMIC_RELAXED);
		hz = __atomic_load_n(&anchor.hz, __ATOMIC_RELAXED);
	} while (rte_seqlock_read_retry(&anchor.lock, sn));
	if (hz == 0)
		return base_ns;
	/* A TSC read just before the anchor's counts back from it. */
	if (tsc < base_tsc) {
		uint64_t cycles = base_tsc - tsc;
		return base_ns - (cycles / hz * 1000000000ULL +
				  cycles % hz * 1000000000ULL / hz);
	}
	uint64_t cycles = tsc - base_tsc;
	return base_ns + cycles / hz * 1000000000ULL +
		cycles % hz * 1000000000ULL / hz;
}
