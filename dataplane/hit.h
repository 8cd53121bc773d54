/* hit.h -- the record a worker hands to the exporter for one message with
 * at least one hit. Fixed size, from a mempool: no malloc on the worker. */
#ifndef IOCSIFT_DATAPLANE_HIT_H
#define IOCSIFT_DATAPLANE_HIT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "pattern_set.h"

/* Messages longer than this are matched whole but exported truncated. */
#define DP_HIT_PAYLOAD_MAX 4096

enum dp_message_kind {
	DP_MESSAGE_SYSLOG,
	DP_MESSAGE_DNS,
};

struct dp_hit {
	const struct pat_set *set;     /* the set the ids index into */
	uint64_t frame;                /* 1-based packet number on the queue */
	uint64_t time_ns;              /* capture time, else the burst's */
	uint8_t kind;                  /* enum dp_message_kind */
	uint8_t ip_version;
	uint8_t l4_proto;
	bool truncated;
	bool retro;                    /* a retro-hunt's (hunt.h) */
	uint16_t worker;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	struct dp_encap encap;         /* the layers around the packet */
	struct pat_hits hits;
	uint16_t payload_len;
	uint8_t payload[DP_HIT_PAYLOAD_MAX];
};

#endif
