/* message_match.h -- one syslog or DNS message against a pattern set, as
 * the data path matches it (docs/matching.md): a syslog message whole, as
 * received, header included; a DNS message by its question and answers,
 * or as text when its header or question does not parse. The workers and
 * the retro-hunt (history/hunt.h) both call it, so that a hunt finds
 * exactly what live matching would have. No DPDK. */
#ifndef IOCSIFT_DATAPLANE_MESSAGE_MATCH_H
#define IOCSIFT_DATAPLANE_MESSAGE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "hit.h"
#include "pattern_set.h"

/* What dp_message_match() says besides the hits. */
enum dp_match_flags {
	DP_MATCH_MALFORMED = 1,   /* the header (or a DNS section) did not parse */
	DP_MATCH_ERROR = 2,       /* the matcher failed (ENOMEM on long text) */
};

/* A thread's working memory for dp_message_match(). */
struct dp_message_matcher {
	struct dp_dns_message dns;
	/* A DNS message flattened to text: at least as long as the
	 * longest message matched. */
	uint8_t *dns_text;
};

/* Adds the hits of the message to hits (reset by the caller). Returns
 * enum dp_match_flags. dns_text must hold len bytes. */
unsigned int dp_message_match(struct dp_message_matcher *m,
			      const struct pat_set *set,
			      struct pat_scratch *scratch,
			      enum dp_message_kind kind,
			      const uint8_t *payload, size_t len,
			      struct pat_hits *hits);

#endif
