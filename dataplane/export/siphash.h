/* siphash.h -- SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012), written from the paper: a keyed 64-bit hash,
 * so that whoever controls the input (a source address, a message) cannot
 * aim at one bucket without the key. Pure C, no state but the caller's. */
#ifndef IOCSIFT_EXPORT_SIPHASH_H
#define IOCSIFT_EXPORT_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define EXP_SIPHASH_KEY_SIZE 16

/* A hash in progress: exp_siphash_init(), any number of updates (the
 * pieces hash as their concatenation), exp_siphash_final(). */
struct exp_siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;             /* up to 7 bytes not yet compressed */
	size_t len;                /* bytes so far */
};

void exp_siphash_init(struct exp_siphash *h,
		      const uint8_t key[EXP_SIPHASH_KEY_SIZE]);
void exp_siphash_update(struct exp_siphash *h, const void *data, size_t len);
uint64_t exp_siphash_final(const struct exp_siphash *h);

/* The three above over one piece. */
uint64_t exp_siphash24(const uint8_t key[EXP_SIPHASH_KEY_SIZE],
		       const void *data, size_t len);

#endif
