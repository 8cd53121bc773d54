/* text_class.h -- one pass over a message that sorts its bytes into the
 * classes tokens are made of, as bitmaps of 64 bytes each: bit i of
 * block b stands for byte 64 * b + i. The matcher then finds every
 * candidate token from the bitmaps (docs/architecture.md, "Matching")
 * and never looks at the bytes between them.
 *
 * Three implementations give the same bits: AVX-512BW and AVX2 where the
 * CPU has them (chosen once at start), and a scalar one everywhere. */
#ifndef IOCSIFT_PATTERNS_TEXT_CLASS_H
#define IOCSIFT_PATTERNS_TEXT_CLASS_H

#include <stddef.h>
#include <stdint.h>

struct pat_text_class {
	uint64_t name;       /* [A-Za-z0-9-_.]: what domains are made of */
	uint64_t alnum;      /* [A-Za-z0-9] */
	uint64_t digit;      /* [0-9] */
	uint64_t hex;        /* [0-9A-Fa-f] */
	uint64_t dot;        /* '.' */
	uint64_t colon;      /* ':' */
};

enum pat_isa {
	PAT_ISA_SCALAR,
	PAT_ISA_AVX2,
	PAT_ISA_AVX512,
	PAT_ISA_COUNT,
};

/* Fills out[0 .. (len + 63) / 64); bits past len are 0. */
void pat_text_classify(const uint8_t *text, size_t len,
		       struct pat_text_class *out);

/* The implementation in use, and a way to choose one (tests compare
 * them). Choosing one the CPU lacks returns -ENOTSUP and changes nothing. */
enum pat_isa pat_text_isa(void);
int pat_text_use_isa(enum pat_isa isa);
const char *pat_isa_name(enum pat_isa isa);

#endif
