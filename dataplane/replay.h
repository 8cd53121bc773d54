/* replay.h -- `iocsift replay`: the dataplane over DPDK's net_pcap, one
 * worker lcore, until the capture's last frame has been handled. */
#ifndef IOCSIFT_DATAPLANE_REPLAY_H
#define IOCSIFT_DATAPLANE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "fragment.h"
#include "tcp_stream.h"
#include "pattern_set.h"

struct dp_replay_options {
	const char *capture;
	FILE *out;                 /* events, one JSON object per line, or NULL */
	bool messages;             /* out gets every message instead of events */
	struct pat_set *set;       /* built with one scratch; stays the caller's */
	int eal_argc;              /* EAL arguments after "--": replace the */
	char **eal_argv;           /* defaults, the net_pcap vdev is added */
	uint16_t syslog_port;
	uint16_t dns_port;
	struct dp_decode_config decode;   /* VXLAN and Geneve ports, 0 off */
	struct dp_fragment_config fragments;   /* the worker's table */
	struct dp_stream_config streams;       /* its TCP stream table */
	bool verbose;              /* keep EAL's and our INFO logs */
	const char *const *sinks;  /* sink URIs (docs/sinks.md) */
	unsigned int n_sinks;
	const char *spool_root;    /* their spools: spool_root/NAME */
	unsigned int throttle_window;   /* seconds, 0 = every hit */
	unsigned int drain_ms;     /* how long sinks may deliver at the end */
};

/* dp_replay_run(): every frame was handled and every event made, but a
 * sink did not deliver them all within drain_ms (they stay in its spool)
 * or dropped some; the summary says how many, per sink. */
#define DP_REPLAY_UNDELIVERED 1

/* Runs the replay and prints the summary on stderr. 0,
 * DP_REPLAY_UNDELIVERED, -ENOENT/-EINVAL for an unreadable capture (bad
 * input), -ENODATA when the capture is cut short (its whole frames were
 * replayed, with a warning naming the byte offset of the cut record),
 * other -errno for failures (frames or hits lost on the way included).
 * A failure takes precedence over DP_REPLAY_UNDELIVERED. */
int dp_replay_run(const struct dp_replay_options *opt);

/* Whether the system has a free hugepage (EAL then need not run with
 * --no-huge). Read from /proc/meminfo before rte_eal_init. */
bool dp_hugepages_available(void);

#endif
