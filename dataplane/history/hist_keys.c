/* hist_keys.c -- token keys of records and of hunted indicators, as
 * patterns/token_keys.h defines them; a record's are those of what the
 * workers match in it (message_match.c). */
#include <errno.h>
#include <stdlib.h>

#include "dns.h"
#include "hist_keys.h"
#include "hit.h"
#include "token_keys.h"

/* The writer's thread (and the benchmark's) only: one each. */
static _Thread_local struct dp_dns_message dns;
static _Thread_local uint8_t dns_text[HIST_PAYLOAD_MAX];

int
hist_record_keys(const struct hist_record *rec,
		 void (*fn)(void *ctx, uint64_t key), void *ctx)
{
	const uint8_t *p = rec->payload;
	size_t len = rec->header.payload_len;

	if (len > HIST_PAYLOAD_MAX)
		return -EINVAL;
	if (rec->header.kind != DP_MESSAGE_DNS) {
		pat_keys_text(p, len, fn, ctx);
		return 0;
	}
	if (dp_dns_parse(p, len, &dns) != 0) {
		dp_dns_flatten(p, len, dns_text);
		pat_keys_text(dns_text, len, fn, ctx);
		return 0;
	}
	pat_keys_dns_name(dns.qname, dns.qname_len, fn, ctx);
	for (uint16_t i = 0; i < dns.answer_count; i++) {
		const struct dp_dns_answer *a = &dns.answers[i];
		if (a->type == DP_DNS_TYPE_A)
			pat_keys_address(4, a->addr, fn, ctx);
		else if (a->type == DP_DNS_TYPE_AAAA)
			pat_keys_address(6, a->addr, fn, ctx);
		else
			pat_keys_dns_name(a->name, a->name_len, fn, ctx);
	}
	return 0;
}

int
hist_hunt_keys(const struct pat_set *set, uint64_t **keys, size_t *n,
	       bool *scan_all)
{
	uint32_t limit = pat_set_id_limit(set);
	uint64_t *out = malloc(((size_t)limit + 1) * sizeof(*out));
	size_t count = 0;

	*keys = NULL;
	*n = 0;
	*scan_all = false;
	if (out == NULL)
		return -ENOMEM;
	for (uint32_t id = 0; id < limit; id++) {
		const struct pat_indicator *ind = pat_set_live_indicator(set, id);
		if (ind == NULL)
			continue;
		if (pat_keys_indicator(ind, &out[count]) == 1)
			count++;
		else
			*scan_all = true;
	}
	*keys = out;
	*n = count;
	return 0;
}
