/* fuzz_syslog.c -- libFuzzer target for the syslog header parser. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A span must lie inside the input; reading it lets ASan check that. */
static void
check_span(const uint8_t *data, size_t size, struct dp_span span)
{
	volatile uint8_t sink = 0;

	if (span.off > size || span.len > size - span.off)
		__builtin_trap();
	for (uint32_t i = 0; i < span.len; i++)
		sink ^= data[span.off + i];
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_syslog msg;
	int rc = dp_syslog_parse(data, size, &msg);

	/* The worker's shortcut must judge every message as the parse does. */
	if (dp_syslog_check(data, size) != rc)
		__builtin_trap();
	if (rc == -EINVAL)
		return 0;
	if (rc != 0 || msg.priority < -1 || msg.priority > 191)
		__builtin_trap();
	if ((msg.format == DP_SYSLOG_BARE) != (msg.priority == -1))
		__builtin_trap();
	check_span(data, size, msg.timestamp);
	check_span(data, size, msg.hostname);
	check_span(data, size, msg.appname);
	check_span(data, size, msg.procid);
	check_span(data, size, msg.msgid);
	check_span(data, size, msg.structured_data);
	check_span(data, size, msg.message);
	/* Trailing NUL, CR and LF never end the message. */
	if (msg.message.len > 0) {
		uint8_t last = data[msg.message.off + msg.message.len - 1];

		if (last == '\0' || last == '\r' || last == '\n')
			__builtin_trap();
	}
	return 0;
}
