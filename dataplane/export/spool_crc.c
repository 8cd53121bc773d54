/* spool_crc.c -- CRC32C (Castagnoli) of the spool's records, headers and
 * cursor: the SSE4.2 instruction when the CPU has it, else slicing by 8. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "spool.h"
#include "spool_internal.h"

#if defined(__x86_64__) && !defined(SPOOL_NO_HW_CRC)
#define SPOOL_HW_CRC 1
static bool crc_hw;              /* SSE4.2 crc32 instruction */
#endif
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
				crc_table[0][crc_table[k - 1][i] & 0xff];
#ifdef SPOOL_HW_CRC
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slicing by 8: about 1.5 GB/s, for machines without the instruction. */
static uint32_t
crc_sw(uint32_t crc, const uint8_t *p, size_t n)
{
	for (; n >= 8; p += 8, n -= 8) {
		uint32_t lo = get_le32(p) ^ crc, hi = get_le32(p + 4);
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
	}
	for (; n > 0; p++, n--)
		crc = crc_table[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
	return crc;
}

#ifdef SPOOL_HW_CRC
__attribute__((target("sse4.2")))
static uint32_t
crc_hw_update(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc, word;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&word, p, 8);
		c = __builtin_ia32_crc32di(c, word);
	}
	crc = (uint32_t)c;
	for (; n > 0; p++, n--)
		crc = __builtin_ia32_crc32qi(crc, *p);
	return crc;
}
#endif

uint32_t
spool_crc_update(uint32_t crc, const void *bytes, size_t n)
{
	pthread_once(&crc_once, crc_init);
#ifdef SPOOL_HW_CRC
	if (crc_hw)
		return crc_hw_update(crc, bytes, n);
#endif
	return crc_sw(crc, bytes, n);
}

uint32_t
exp_spool_crc32c(const void *bytes, size_t len)
{
	return ~spool_crc_update(~0u, bytes, len);
}


uint32_t
exp_crc32c_extend(uint32_t crc, const void *bytes, size_t len)
{
	return ~spool_crc_update(~crc, bytes, len);
}
