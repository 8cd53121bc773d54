/* message_match.c -- a message's matching, shared by the workers and the
 * retro-hunt. */
#include "message_match.h"
#include "syslog.h"

/* The whole message as received, header included, whether the header
 * parses or not: a sender must not be able to hide an indicator behind a
 * broken header (docs/matching.md, "Malformed messages"). */
static unsigned int
syslog_match(const struct pat_set *set, struct pat_scratch *scratch,
	     const uint8_t *payload, size_t len, struct pat_hits *hits)
{
	unsigned int flags = 0;

	if (dp_syslog_check(payload, len) != 0)
		flags |= DP_MATCH_MALFORMED;
	if (pat_match_text(set, scratch, payload, len, hits) != 0)
		flags |= DP_MATCH_ERROR;
	return flags;
}

/* The question name, and every answer that parsed: all of them when the
 * message is whole, those before the break when a record is broken. A
 * message whose header or question does not parse is matched as text,
 * its label lengths read as dots. */
static unsigned int
dns_match(struct dp_message_matcher *m, const struct pat_set *set,
	  struct pat_scratch *scratch, const uint8_t *payload, size_t len,
	  struct pat_hits *hits)
{
	struct dp_dns_message *dns = &m->dns;
	unsigned int flags = 0;
	int rc;

	if (dp_dns_parse(payload, len, dns) != 0) {
		dp_dns_flatten(payload, len, m->dns_text);
		if (pat_match_text(set, scratch, m->dns_text, len, hits) != 0)
			return DP_MATCH_MALFORMED | DP_MATCH_ERROR;
		return DP_MATCH_MALFORMED;
	}
	if (dns->records_malformed)
		flags |= DP_MATCH_MALFORMED;
	rc = pat_match_dns_name(set, scratch, dns->qname, dns->qname_len, hits);
	for (uint16_t i = 0; i < dns->answer_count; i++) {
		const struct dp_dns_answer *a = &dns->answers[i];
		if (a->type == DP_DNS_TYPE_A)
			pat_match_address(set, 4, a->addr, hits);
		else if (a->type == DP_DNS_TYPE_AAAA)
			pat_match_address(set, 6, a->addr, hits);
		else
			rc |= pat_match_dns_name(set, scratch, a->name,
						 a->name_len, hits);
	}
	if (rc != 0)
		flags |= DP_MATCH_ERROR;
	return flags;
}

unsigned int
dp_message_match(struct dp_message_matcher *m, const struct pat_set *set,
		 struct pat_scratch *scratch, enum dp_message_kind kind,
		 const uint8_t *payload, size_t len, struct pat_hits *hits)
{
	if (kind == DP_MESSAGE_DNS)
		return dns_match(m, set, scratch, payload, len, hits);
	return syslog_match(set, scratch, payload, len, hits);
}
