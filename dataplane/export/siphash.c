/* siphash.c -- SipHash-2-4 as the paper specifies it: the key as two
 * little-endian words k0, k1; the message in little-endian 8-byte words,
 * each absorbed with 2 SipRounds (c = 2); the last word holds the
 * remaining bytes and, in its top byte, the length mod 256; then 0xff
 * into v2 and 4 SipRounds (d = 4); the hash is v0 ^ v1 ^ v2 ^ v3. */
#include <string.h>

#include "siphash.h"

static inline uint64_t
rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void
sip_round(struct exp_siphash *h)
{
	h->v0 += h->v1;
	h->v1 = rotl(h->v1, 13);
	h->v1 ^= h->v0;
	h->v0 = rotl(h->v0, 32);
	h->v2 += h->v3;
	h->v3 = rotl(h->v3, 16);
	h->v3 ^= h->v2;
	h->v0 += h->v3;
	h->v3 = rotl(h->v3, 21);
	h->v3 ^= h->v0;
	h->v2 += h->v1;
	h->v1 = rotl(h->v1, 17);
	h->v1 ^= h->v2;
	h->v2 = rotl(h->v2, 32);
}

/* One message word, c = 2. */
static inline void
sip_compress(struct exp_siphash *h, uint64_t m)
{
	h->v3 ^= m;
	sip_round(h);
	sip_round(h);
	h->v0 ^= m;
}

void
exp_siphash_init(struct exp_siphash *h, const uint8_t key[EXP_SIPHASH_KEY_SIZE])
{
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);

	/* "somepseudorandomlygeneratedbytes" */
	h->v0 = k0 ^ 0x736f6d6570736575ULL;
	h->v1 = k1 ^ 0x646f72616e646f6dULL;
	h->v2 = k0 ^ 0x6c7967656e657261ULL;
	h->v3 = k1 ^ 0x7465646279746573ULL;
	h->tail = 0;
	h->len = 0;
}

void
exp_siphash_update(struct exp_siphash *h, const void *data, size_t len)
{
	const uint8_t *p = data;
	unsigned int have = (unsigned int)(h->len & 7);

	h->len += len;
	/* Complete the word a previous update left open. */
	while (have > 0 && len > 0) {
		h->tail |= (uint64_t)*p++ << (8 * have);
		len--;
		if (++have == 8) {
			sip_compress(h, h->tail);
			h->tail = 0;
			have = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8)
		sip_compress(h, load_le64(p));
	for (unsigned int i = 0; i < len; i++)
		h->tail |= (uint64_t)p[i] << (8 * (have + i));
}

uint64_t
exp_siphash_final(const struct exp_siphash *h)
{
	struct exp_siphash s = *h;

	sip_compress(&s, s.tail | (uint64_t)(s.len & 0xff) << 56);
	s.v2 ^= 0xff;
	for (unsigned int i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t
exp_siphash24(const uint8_t key[EXP_SIPHASH_KEY_SIZE], const void *data,
	      size_t len)
{
	struct exp_siphash h;

	exp_siphash_init(&h, key);
	exp_siphash_update(&h, data, len);
	return exp_siphash_final(&h);
}
