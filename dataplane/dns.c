/* dns.c -- DNS message parsing: header, questions, A/AAAA/CNAME answers, names. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dns.h"

#define DNS_HDR_LEN 12
#define DNS_QUESTION_TAIL 4     /* QTYPE, QCLASS */
#define DNS_RR_TAIL 10          /* TYPE, CLASS, TTL, RDLENGTH */
#define DNS_WIRE_NAME_MAX 255
#define DNS_LABEL_TYPE_MASK 0xc0
#define DNS_LABEL_POINTER 0xc0
/* No sane name needs more pointers than it has labels (at most 127). */
#define DNS_POINTERS_MAX 128

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Presentation form being written. A wire name has at most 255 bytes and
 * each becomes at most 4 ("\\DDD"), so len stays below DP_DNS_NAME_MAX
 * (checked at build time below) and writes need no bounds check. */
struct name_buf {
	char *buf;
	size_t len;
};

_Static_assert(4 * DNS_WIRE_NAME_MAX < DP_DNS_NAME_MAX,
	       "a name written in full fits DP_DNS_NAME_MAX");

/* Bytes kept as they are: 0x21..0x7e but '.' and '\\', as a bitmap. */
static const uint64_t plain_bytes[4] = {
	0xffffbffe00000000ULL,     /* 0x21..0x3f but 0x2e */
	0x7fffffffefffffffULL,     /* 0x40..0x7e but 0x5c */
	0, 0,
};

static inline bool
label_byte_plain(uint8_t ch)
{
	return (plain_bytes[ch >> 6] >> (ch & 63)) & 1;
}

#define BYTES(c) (0x0101010101010101ULL * (uint8_t)(c))

/* Whether all 8 bytes of w are plain: none below 0x21 or above 0x7e, none
 * a '.' or a '\\' (the usual tests for a zero byte, four at once; each
 * tells whether there is one, exactly). */
static inline bool
word_plain(uint64_t w)
{
	uint64_t below = (w - BYTES(0x21)) & ~w;
	uint64_t above = (w + BYTES(0x7f - 0x7e)) | w;
	uint64_t dot = w ^ BYTES('.'), backslash = w ^ BYTES('\\');

	return ((below | above | ((dot - BYTES(1)) & ~dot) |
		 ((backslash - BYTES(1)) & ~backslash)) & BYTES(0x80)) == 0;
}

/* Appends one label, with '.' before all but the first; bytes outside
 * 0x21..0x7e, '.' and '\\' become \\DDD so the text stays unambiguous.
 * A label is copied as it is checked, and written again escaped in the
 * rare case it needs it. */
static void
name_put_label(struct name_buf *nb, const uint8_t *label, size_t n,
	       size_t readable)
{
	char *out;
	uint64_t plain = 1;

	if (nb->len > 0)
		nb->buf[nb->len++] = '.';
	out = nb->buf + nb->len;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, label + i, 8);
		memcpy(out + i, &w, 8);
		plain &= word_plain(w);
	}
	/* The last bytes as one word too, where 8 can be read and written:
	 * bytes past the label are read as 'a' and written over later. */
	if (i < n && readable - i >= 8 &&
	    nb->len + i + 8 <= DP_DNS_NAME_MAX) {
		uint64_t w, valid = ~0ULL >> (64 - 8 * (n - i));
		memcpy(&w, label + i, 8);
		memcpy(out + i, &w, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		valid = __builtin_bswap64(valid);
#endif
		plain &= word_plain((w & valid) | (BYTES('a') & ~valid));
		i = n;
	}
	for (; i < n; i++) {
		out[i] = (char)label[i];
		plain &= plain_bytes[label[i] >> 6] >> (label[i] & 63);
	}
	if (plain & 1) {
		nb->len += n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = label[i];

		if (label_byte_plain(ch)) {
			*out++ = (char)ch;
		} else {
			*out++ = '\\';
			*out++ = (char)('0' + ch / 100);
			*out++ = (char)('0' + ch / 10 % 10);
			*out++ = (char)('0' + ch % 10);
		}
	}
	nb->len = (size_t)(out - nb->buf);
}

/* Reads the name at *off into out (DP_DNS_NAME_MAX bytes; NULL: checked
 * and skipped, not written) and moves *off past the bytes the name takes
 * in place. Bytes at or past len are
 * out of bounds. A pointer must point before the start of the labels
 * being read, so every jump goes strictly backwards and loops are
 * impossible. */
static int
dns_name(const uint8_t *msg, size_t len, size_t *off, char *out,
	 uint16_t *out_len)
{
	struct name_buf nb = { .buf = out, .len = 0 };
	bool write = out != NULL;
	size_t pos = *off, seg_start = *off, wire = 1;
	unsigned int pointers = 0;

	for (;;) {
		uint8_t b;

		if (pos >= len)
			return -EINVAL;
		b = msg[pos];
		if (b == 0)
			break;
		if ((b & DNS_LABEL_TYPE_MASK) == DNS_LABEL_POINTER) {
			size_t target;

			if (pos + 1 >= len || ++pointers > DNS_POINTERS_MAX)
				return -EINVAL;
			target = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
			if (target >= seg_start)
				return -EINVAL;
			if (pointers == 1)
				*off = pos + 2;
			pos = seg_start = target;
			continue;
		}
		/* 0x40 and 0x80 are reserved label types; this also
		 * rejects label lengths over 63. */
		if ((b & DNS_LABEL_TYPE_MASK) != 0)
			return -EINVAL;
		wire += 1 + (size_t)b;
		if (wire > DNS_WIRE_NAME_MAX || b >= len - pos)
			return -EINVAL;
		if (write)
			name_put_label(&nb, msg + pos + 1, b, len - pos - 1);
		pos += 1 + (size_t)b;
	}
	if (pointers == 0)
		*off = pos + 1;
	if (!write)
		return 0;
	if (nb.len == 0)
		nb.buf[nb.len++] = '.';
	nb.buf[nb.len] = '\0';
	*out_len = (uint16_t)nb.len;
	return 0;
}

static int
dns_question(const uint8_t *msg, size_t len, size_t *off, char *name,
	     uint16_t *name_len, uint16_t *qtype, uint16_t *qclass)
{
	if (dns_name(msg, len, off, name, name_len) != 0 ||
	    len - *off < DNS_QUESTION_TAIL)
		return -EINVAL;
	*qtype = rd16(msg + *off);
	*qclass = rd16(msg + *off + 2);
	*off += DNS_QUESTION_TAIL;
	return 0;
}

/* Fills ans from one record's rdata. Returns 1 if the type is kept,
 * 0 if it is not, -EINVAL if the rdata is malformed. */
static int
dns_rdata(const uint8_t *msg, size_t rdata, size_t rdlen, uint16_t type,
	  struct dp_dns_answer *ans)
{
	size_t end = rdata;

	memset(ans->addr, 0, sizeof(ans->addr));
	ans->name[0] = '\0';
	ans->name_len = 0;
	ans->type = type;
	switch (type) {
	case DP_DNS_TYPE_A:
	case DP_DNS_TYPE_AAAA:
		if (rdlen != (type == DP_DNS_TYPE_A ? 4u : 16u))
			return -EINVAL;
		memcpy(ans->addr, msg + rdata, rdlen);
		return 1;
	case DP_DNS_TYPE_CNAME:
		/* The name must fill the rdata exactly. */
		if (dns_name(msg, rdata + rdlen, &end, ans->name,
			     &ans->name_len) != 0 || end != rdata + rdlen)
			return -EINVAL;
		return 1;
	default:
		return 0;
	}
}

/* One answer record; once DP_DNS_ANSWERS_MAX are kept, the rest are
 * still checked, into spare. */
static int
dns_answer(const uint8_t *msg, size_t len, size_t *off,
	   struct dp_dns_message *out, struct dp_dns_answer *spare)
{
	uint16_t type;
	size_t rdlen, rdata;
	struct dp_dns_answer *ans = spare;
	int kept;

	/* The owner is checked, never kept: only what it points to is. */
	if (dns_name(msg, len, off, NULL, NULL) != 0 ||
	    len - *off < DNS_RR_TAIL)
		return -EINVAL;
	type = rd16(msg + *off);
	rdlen = rd16(msg + *off + 8);
	rdata = *off + DNS_RR_TAIL;
	if (rdlen > len - rdata)
		return -EINVAL;
	*off = rdata + rdlen;
	if (out->answer_count < DP_DNS_ANSWERS_MAX)
		ans = &out->answers[out->answer_count];
	kept = dns_rdata(msg, rdata, rdlen, type, ans);
	if (kept < 0)
		return kept;
	if (kept > 0 && ans != spare)
		out->answer_count++;
	return 0;
}

int
dp_dns_parse(const uint8_t *msg, size_t len, struct dp_dns_message *out)
{
	struct dp_dns_answer spare;
	uint16_t scratch_len, scratch_type, scratch_class;
	size_t off = DNS_HDR_LEN;

	out->qname[0] = '\0';
	out->qname_len = 0;
	out->qtype = out->qclass = 0;
	out->answer_count = 0;
	out->records_malformed = false;
	if (len < DNS_HDR_LEN)
		return -EINVAL;
	out->id = rd16(msg);
	out->flags = rd16(msg + 2);
	out->qdcount = rd16(msg + 4);
	out->ancount = rd16(msg + 6);
	out->nscount = rd16(msg + 8);
	out->arcount = rd16(msg + 10);
	if (out->qdcount == 0 ||
	    dns_question(msg, len, &off, out->qname, &out->qname_len,
			 &out->qtype, &out->qclass) != 0)
		return -EINVAL;
	/* Past the first question a break only ends the walk: what parsed
	 * before it is kept (docs/matching.md, "Malformed messages"). Later
	 * questions only need checking and skipping. */
	for (unsigned int i = 1; i < out->qdcount; i++) {
		if (dns_question(msg, len, &off, NULL, &scratch_len,
				 &scratch_type, &scratch_class) != 0) {
			out->records_malformed = true;
			return 0;
		}
	}
	for (unsigned int i = 0; i < out->ancount; i++) {
		if (dns_answer(msg, len, &off, out, &spare) != 0) {
			out->records_malformed = true;
			return 0;
		}
	}
	return 0;
}

int
dp_dns_check(const uint8_t *msg, size_t len)
{
	uint16_t name_len, qtype, qclass;
	size_t off = DNS_HDR_LEN;

	if (len < DNS_HDR_LEN || rd16(msg + 4) == 0)
		return -EINVAL;
	return dns_question(msg, len, &off, NULL, &name_len, &qtype, &qclass);
}

void
dp_dns_flatten(const uint8_t *msg, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = msg[i] < 0x20 ? '.' : msg[i];
}
