/* fuzz_dns.c -- libFuzzer target for the DNS message parser. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A name is NUL-terminated at its length, never empty, never longer
 * than the buffer, and holds only printable ASCII (the rest is \DDD). */
static void
check_name(const char *name, uint16_t len)
{
	if (len == 0 || len >= DP_DNS_NAME_MAX || strlen(name) != len)
		__builtin_trap();
	for (uint16_t i = 0; i < len; i++) {
		if (name[i] < 0x21 || name[i] > 0x7e)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_dns_message msg;
	static uint8_t text[65536];
	int rc = dp_dns_parse(data, size, &msg);

	/* The check says what the parse says; the parse fails only on the
	 * header or the first question. */
	if (dp_dns_check(data, size) != rc)
		__builtin_trap();
	if (rc == -EINVAL) {
		/* Matched as text instead: no byte below 0x20 is left. */
		if (size > sizeof(text))
			size = sizeof(text);
		dp_dns_flatten(data, size, text);
		for (size_t i = 0; i < size; i++)
			if (text[i] < 0x20 ||
			    (data[i] >= 0x20 && text[i] != data[i]))
				__builtin_trap();
		return 0;
	}
	if (rc != 0 || msg.qdcount == 0 ||
	    msg.answer_count > DP_DNS_ANSWERS_MAX ||
	    msg.answer_count > msg.ancount)
		__builtin_trap();
	check_name(msg.qname, msg.qname_len);
	for (uint16_t i = 0; i < msg.answer_count; i++) {
		const struct dp_dns_answer *ans = &msg.answers[i];

		switch (ans->type) {
		case DP_DNS_TYPE_CNAME:
			check_name(ans->name, ans->name_len);
			break;
		case DP_DNS_TYPE_A:
		case DP_DNS_TYPE_AAAA:
			if (ans->name_len != 0)
				__builtin_trap();
			break;
		default:
			__builtin_trap();
		}
	}
	return 0;
}
