/* text_class.c -- byte classes of a message as bitmaps: scalar, AVX2 and
 * AVX-512BW, one chosen at start by what the CPU has. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "text_class.h"

enum {
	CLASS_NAME = 1 << 0,
	CLASS_ALNUM = 1 << 1,
	CLASS_DIGIT = 1 << 2,
	CLASS_HEX = 1 << 3,
	CLASS_DOT = 1 << 4,
	CLASS_COLON = 1 << 5,
};

static uint8_t class_table[256];

static void
class_table_init(void)
{
	for (unsigned int c = 0; c < 256; c++) {
		bool digit = c >= '0' && c <= '9';
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool hex_alpha = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		uint8_t k = 0;

		if (digit || alpha)
			k |= CLASS_ALNUM | CLASS_NAME;
		if (digit)
			k |= CLASS_DIGIT;
		if (digit || hex_alpha)
			k |= CLASS_HEX;
		if (c == '.')
			k |= CLASS_DOT | CLASS_NAME;
		if (c == '-' || c == '_')
			k |= CLASS_NAME;
		if (c == ':')
			k |= CLASS_COLON;
		class_table[c] = k;
	}
}

/* Up to 64 bytes into one block's bitmaps. */
static void
classify_block_scalar(const uint8_t *p, size_t n, struct pat_text_class *out)
{
	uint64_t name = 0, alnum = 0, digit = 0, hex = 0, dot = 0, colon = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t k = class_table[p[i]];
		name |= (k & 1) << i;
		alnum |= ((k >> 1) & 1) << i;
		digit |= ((k >> 2) & 1) << i;
		hex |= ((k >> 3) & 1) << i;
		dot |= ((k >> 4) & 1) << i;
		colon |= ((k >> 5) & 1) << i;
	}
	*out = (struct pat_text_class){
		.name = name, .alnum = alnum, .digit = digit, .hex = hex,
		.dot = dot, .colon = colon,
	};
}

static void
classify_scalar(const uint8_t *text, size_t len, struct pat_text_class *out)
{
	for (size_t off = 0; off < len; off += 64, out++)
		classify_block_scalar(text + off, len - off < 64 ? len - off : 64,
				      out);
}

#if defined(__x86_64__)

/* AVX2: two 32-byte halves per block; unsigned "x < n" as min(x, n-1) == x
 * since AVX2 compares bytes as signed only. The tail is copied into a
 * zeroed block so that nothing past len is read. */
__attribute__((target("avx2"))) static inline uint32_t
below_avx2(__m256i x, uint8_t n)
{
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		_mm256_min_epu8(x, _mm256_set1_epi8((char)(n - 1))), x));
}

__attribute__((target("avx2"))) static inline uint32_t
equal_avx2(__m256i x, char c)
{
	return (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(x, _mm256_set1_epi8(c)));
}

__attribute__((target("avx2"))) static void
classify_half_avx2(__m256i v, uint32_t *name, uint32_t *alnum,
		   uint32_t *digit, uint32_t *hex, uint32_t *dot,
		   uint32_t *colon)
{
	__m256i lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
	uint32_t d = below_avx2(_mm256_sub_epi8(v, _mm256_set1_epi8('0')), 10);
	__m256i from_a = _mm256_sub_epi8(lower, _mm256_set1_epi8('a'));
	uint32_t alpha = below_avx2(from_a, 26);
	uint32_t hex_alpha = below_avx2(from_a, 6);

	*digit = d;
	*alnum = d | alpha;
	*hex = d | hex_alpha;
	*dot = equal_avx2(v, '.');
	*colon = equal_avx2(v, ':');
	*name = *alnum | *dot | equal_avx2(v, '-') | equal_avx2(v, '_');
}

__attribute__((target("avx2"))) static void
classify_avx2(const uint8_t *text, size_t len, struct pat_text_class *out)
{
	for (size_t off = 0; off < len; off += 64, out++) {
		uint8_t tail[64];
		const uint8_t *p = text + off;
		if (len - off < 64) {
			memset(tail, 0, sizeof(tail));
			memcpy(tail, p, len - off);
			p = tail;
		}
		uint32_t m[2][6];
		for (int h = 0; h < 2; h++) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * h));
			classify_half_avx2(v, &m[h][0], &m[h][1], &m[h][2],
					   &m[h][3], &m[h][4], &m[h][5]);
		}
#define JOIN(i) ((uint64_t)m[0][i] | (uint64_t)m[1][i] << 32)
		*out = (struct pat_text_class){
			.name = JOIN(0), .alnum = JOIN(1), .digit = JOIN(2),
			.hex = JOIN(3), .dot = JOIN(4), .colon = JOIN(5),
		};
#undef JOIN
	}
}

/* AVX-512BW: a block is one register and every compare yields its 64-bit
 * mask directly; a masked load reads nothing past len. */
__attribute__((target("avx512f,avx512bw"))) static void
classify_avx512(const uint8_t *text, size_t len, struct pat_text_class *out)
{
	const __m512i zero_char = _mm512_set1_epi8('0');
	const __m512i a_char = _mm512_set1_epi8('a');
	const __m512i case_bit = _mm512_set1_epi8(0x20);
	const __m512i ten = _mm512_set1_epi8(10);
	const __m512i twenty_six = _mm512_set1_epi8(26);
	const __m512i six = _mm512_set1_epi8(6);

	for (size_t off = 0; off < len; off += 64, out++) {
		size_t n = len - off < 64 ? len - off : 64;
		__mmask64 load = n == 64 ? ~0ULL : (1ULL << n) - 1;
		__m512i v = _mm512_maskz_loadu_epi8(load, text + off);
		__m512i from_a = _mm512_sub_epi8(_mm512_or_si512(v, case_bit),
						 a_char);
		uint64_t digit = _mm512_cmplt_epu8_mask(
			_mm512_sub_epi8(v, zero_char), ten) & load;
		uint64_t alpha = _mm512_cmplt_epu8_mask(from_a, twenty_six);
		uint64_t hex_alpha = _mm512_cmplt_epu8_mask(from_a, six);
		uint64_t dot = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
		uint64_t dash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-'));
		uint64_t under = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_'));

		out->digit = digit;
		out->alnum = digit | alpha;
		out->hex = digit | hex_alpha;
		out->dot = dot;
		out->colon = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
		out->name = out->alnum | dot | dash | under;
	}
}

#endif

typedef void classify_fn(const uint8_t *, size_t, struct pat_text_class *);

static classify_fn *const implementations[PAT_ISA_COUNT] = {
	[PAT_ISA_SCALAR] = classify_scalar,
#if defined(__x86_64__)
	[PAT_ISA_AVX2] = classify_avx2,
	[PAT_ISA_AVX512] = classify_avx512,
#endif
};

static enum pat_isa isa_in_use = PAT_ISA_SCALAR;

static bool
isa_supported(enum pat_isa isa)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	switch (isa) {
	case PAT_ISA_SCALAR:
		return true;
	case PAT_ISA_AVX2:
		return __builtin_cpu_supports("avx2");
	case PAT_ISA_AVX512:
		return __builtin_cpu_supports("avx512f") &&
			__builtin_cpu_supports("avx512bw");
	default:
		return false;
	}
#else
	return isa == PAT_ISA_SCALAR;
#endif
}

/* Runs before main, so the choice is made before any thread matches. */
__attribute__((constructor)) static void
text_class_init(void)
{
	class_table_init();
	for (int isa = PAT_ISA_COUNT - 1; isa >= 0; isa--) {
		if (implementations[isa] != NULL &&
		    isa_supported((enum pat_isa)isa)) {
			isa_in_use = (enum pat_isa)isa;
			break;
		}
	}
}

void
pat_text_classify(const uint8_t *text, size_t len, struct pat_text_class *out)
{
	implementations[isa_in_use](text, len, out);
}

enum pat_isa
pat_text_isa(void)
{
	return isa_in_use;
}

int
pat_text_use_isa(enum pat_isa isa)
{
	if ((unsigned int)isa >= PAT_ISA_COUNT || implementations[isa] == NULL ||
	    !isa_supported(isa))
		return -ENOTSUP;
	isa_in_use = isa;
	return 0;
}

const char *
pat_isa_name(enum pat_isa isa)
{
	static const char *const names[PAT_ISA_COUNT] = {
		[PAT_ISA_SCALAR] = "scalar",
		[PAT_ISA_AVX2] = "avx2",
		[PAT_ISA_AVX512] = "avx512",
	};

	return (unsigned int)isa < PAT_ISA_COUNT ? names[isa] : "unknown";
}
