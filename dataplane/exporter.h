/* exporter.h -- turns hit records from the workers' rings into events.
 * Runs on the main lcore, never on a worker. */
#ifndef IOCSIFT_DATAPLANE_EXPORTER_H
#define IOCSIFT_DATAPLANE_EXPORTER_H

#include <stdint.h>
#include <stdio.h>

#include <rte_mempool.h>
#include <rte_ring.h>

struct dp_exporter {
	FILE *out;
	uint64_t events;
	uint64_t write_errors;
};

void dp_exporter_init(struct dp_exporter *exp, FILE *out);

/* Writes the events of up to one burst of hit records from ring and
 * returns the records to pool. Returns how many records it took. */
unsigned int dp_exporter_drain(struct dp_exporter *exp, struct rte_ring *ring,
			       struct rte_mempool *pool);

#endif
