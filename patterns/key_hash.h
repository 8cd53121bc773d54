/* key_hash.h -- the hashes of exact-table keys, shared by the builder (one
 * hash per indicator) and the matcher (one hash per candidate token).
 *
 * A domain's hash is built right to left, label by label, so that a
 * matcher walking a dotted token from its end gets the hash of every
 * parent ("com", "evil.com", "a.evil.com") one step after the other,
 * never re-hashing a suffix. Each label is folded eight bytes at a time,
 * every byte ORed with 0x20: on the characters a domain or a digest may
 * hold ([A-Za-z0-9-_.]) that is the ASCII lower case ('_' becomes DEL,
 * which no token holds), so a token is hashed as it stands in the text,
 * in any case, and only a candidate that passes the filter is compared,
 * byte by byte, in lower case. Other bytes may fold together: that only
 * costs a comparison, never a hit, since the comparison is exact. */
#ifndef IOCSIFT_PATTERNS_KEY_HASH_H
#define IOCSIFT_PATTERNS_KEY_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PAT_HASH_SEED_DOMAIN 0x6a09e667f3bcc908ULL
#define PAT_HASH_SEED_DIGEST 0xbb67ae8584caa73bULL
#define PAT_HASH_SEED_ADDRESS 0x3c6ef372fe94f82bULL
#define PAT_HASH_SEED_OTHER 0xa54ff53a5f1d36f1ULL

#define PAT_HASH_MUL_LABEL 0x9e3779b97f4a7c15ULL
#define PAT_HASH_MUL_STEP 0xc2b2ae3d27d4eb4fULL
#define PAT_HASH_FOLD 0x2020202020202020ULL

/* The murmur3 finalizer: every output bit depends on every input bit, so
 * the table may use the low bits and the filter the high ones. */
static inline uint64_t
pat_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h != 0 ? h : 1;     /* 0 marks an empty table slot */
}

/* Up to 8 bytes at p (n < 8), zero-extended, little-endian; never reads
 * past p + n. Two overlapping loads (or three bytes) instead of a copy of
 * a variable length, which would be a call. */
static inline uint64_t
pat_hash_load_tail(const uint8_t *p, size_t n)
{
	if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		lo = __builtin_bswap32(lo);
		hi = __builtin_bswap32(hi);
#endif
		return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
	}
	if (n == 0)
		return 0;
	return (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
		(uint64_t)p[n - 1] << (8 * (n - 1));
}

/* 8 bytes at p, little-endian whatever the machine: the hashes, and so
 * the files that keep them, are the same everywhere. */
static inline uint64_t
pat_hash_load8(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline uint64_t
pat_hash_mix_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * PAT_HASH_MUL_LABEL;
	return h ^ (h >> 29);
}

/* One label (or a digest, or any key) of n bytes; fold is PAT_HASH_FOLD
 * (case-blind, for names and digests) or 0 (bytes as they are). readable
 * (>= n) bytes may be read at p: the last word is then one load, masked,
 * rather than a copy; the hash is the same whatever readable is. */
static inline uint64_t
pat_hash_label_within(const uint8_t *p, size_t n, size_t readable,
		      uint64_t fold)
{
	uint64_t h = (uint64_t)n * PAT_HASH_MUL_STEP;
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		h = pat_hash_mix_word(h, pat_hash_load8(p + i) | fold);
	if (i < n) {
		size_t rest = n - i;
		uint64_t valid = ~0ULL >> (64 - 8 * rest);
		uint64_t w = readable - i >= 8 ? pat_hash_load8(p + i) :
			pat_hash_load_tail(p + i, rest);
		h = pat_hash_mix_word(h, (w | fold) & valid);
	}
	return h;
}

static inline uint64_t
pat_hash_label(const uint8_t *p, size_t n, uint64_t fold)
{
	return pat_hash_label_within(p, n, n, fold);
}

/* One step right to left: the state of a suffix from the state of the
 * suffix one label shorter and the hash of the label in front of it. */
static inline uint64_t
pat_hash_step(uint64_t state, uint64_t label_hash)
{
	state = (state ^ label_hash) * PAT_HASH_MUL_STEP;
	return state ^ (state >> 31);
}

/* A dotted name (any case) as the matcher hashes it: labels from the
 * right, each a step. */
static inline uint64_t
pat_hash_domain(const char *name, size_t len)
{
	uint64_t state = PAT_HASH_SEED_DOMAIN;
	size_t end = len;

	for (size_t i = len; i-- > 0;) {
		if (name[i] != '.')
			continue;
		state = pat_hash_step(state, pat_hash_label(
			(const uint8_t *)name + i + 1, end - i - 1,
			PAT_HASH_FOLD));
		end = i;
	}
	state = pat_hash_step(state, pat_hash_label((const uint8_t *)name,
						    end, PAT_HASH_FOLD));
	return pat_hash_final(state);
}

/* A hex digest, any case. */
static inline uint64_t
pat_hash_digest(const uint8_t *hex, size_t len)
{
	return pat_hash_final(pat_hash_step(PAT_HASH_SEED_DIGEST,
		pat_hash_label(hex, len, PAT_HASH_FOLD)));
}

/* An address key (family, prefix length, masked address: 6 or 18 bytes)
 * as zero-padded little-endian words, one mix each: the matcher makes
 * the words of an IPv4 key in registers, without the bytes. */
static inline uint64_t
pat_hash_address_words(const uint64_t *words, size_t n)
{
	uint64_t h = PAT_HASH_SEED_ADDRESS;

	for (size_t i = 0; i < n; i++)
		h = pat_hash_mix_word(h, words[i]);
	/* Two multiplications, not the finalizer's three: addresses are
	 * the most frequent keys, and one word needs no more mixing. */
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	return h != 0 ? h : 1;
}

static inline uint64_t
pat_hash_address(const void *key, size_t len)
{
	uint64_t words[3] = { 0, 0, 0 };

	if (len > sizeof(words))
		len = sizeof(words);
	memcpy(words, key, len);
	return pat_hash_address_words(words, (len + 7) / 8);
}

/* Bytes as they are: the keys kept for deletion only. */
static inline uint64_t
pat_hash_bytes(uint64_t seed, const void *key, size_t len)
{
	return pat_hash_final(pat_hash_step(seed,
		pat_hash_label(key, len, 0)));
}

#endif
