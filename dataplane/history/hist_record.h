/* record.h -- one message of the on-box history as the workers write it
 * and the blocks keep it (docs/history.md): a fixed header, then the
 * payload as received. Little-endian, packed, the same in a worker's
 * chunk, in a block before compression, and on disk. No DPDK. */
#ifndef IOCSIFT_HISTORY_RECORD_H
#define IOCSIFT_HISTORY_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the history's records are written in the host's order: little-endian"
#endif

/* Messages longer than this are kept cut to it (flag HIST_RECORD_CUT): a
 * hunt matches the first HIST_PAYLOAD_MAX bytes. */
#define HIST_PAYLOAD_MAX 8192

enum hist_record_flags {
	HIST_RECORD_CUT = 1,       /* the payload was longer */
};

/* The header; payload_len bytes follow it. */
struct __attribute__((packed)) hist_record_header {
	uint64_t time_ns;          /* UNIX time of capture */
	uint16_t payload_len;
	uint8_t kind;              /* enum dp_message_kind */
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t l4_proto;          /* IPPROTO_UDP, IPPROTO_TCP */
	uint8_t flags;             /* enum hist_record_flags */
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
};

#define HIST_RECORD_HEADER_SIZE sizeof(struct hist_record_header)
_Static_assert(HIST_RECORD_HEADER_SIZE == 50, "the record header is 50 bytes");

/* A record as read back: the header's fields and where the payload is. */
struct hist_record {
	struct hist_record_header header;
	const uint8_t *payload;
};

/* Reads the record at bytes[*off] of a buffer of len bytes and advances
 * *off past it. false when the bytes left do not hold a whole record (a
 * damaged block: the caller stops there). */
static inline bool
hist_record_next(const uint8_t *bytes, size_t len, size_t *off,
		 struct hist_record *rec)
{
	if (*off > len || len - *off < HIST_RECORD_HEADER_SIZE)
		return false;
	memcpy(&rec->header, bytes + *off, HIST_RECORD_HEADER_SIZE);
	size_t n = rec->header.payload_len;
	if (n > HIST_PAYLOAD_MAX ||
	    len - *off - HIST_RECORD_HEADER_SIZE < n)
		return false;
	rec->payload = bytes + *off + HIST_RECORD_HEADER_SIZE;
	*off += HIST_RECORD_HEADER_SIZE + n;
	return true;
}

#endif
