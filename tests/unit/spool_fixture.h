/* spool_fixture.h -- what the unit tests of the spool share (test_spool.c,
 * test_spool_recover.c): a spool directory made fresh for each test,
 * numbered records written and read back, and its files looked at and
 * changed behind the spool's back. */
#ifndef IOCSIFT_TESTS_SPOOL_FIXTURE_H
#define IOCSIFT_TESTS_SPOOL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "spool.h"

/* Room for any record make_rec() makes. */
#define REC_CAP 1024

extern char root[64];     /* the test's temp dir */
extern char dir[96];      /* the spool in it: root/spool */
extern struct error_detail err;   /* of the last exp_spool_open */

/* err as one line, "spool directory DIR: ...". */
const char *err_text(void);

/* Per test: makes root, a fresh temporary directory (the spool directory
 * in it is not made); removes it afterwards. */
int spool_fixture_setup(void **state);
int spool_fixture_teardown(void **state);

/* Record i: 1..300 bytes, its number first, a pattern after. */
size_t make_rec(uint32_t i, uint8_t *buf);

/* The spool in dir, which must open. */
struct exp_spool *open_ok(uint64_t max_bytes);
/* Appends records [from, to); each must be taken. */
void append_range(struct exp_spool *s, uint32_t from, uint32_t to);
/* The next record read is record i; its mark to *mark unless NULL. */
void expect_rec(struct exp_spool *s, uint32_t i, struct exp_spool_mark *mark);
/* There is nothing more to read. */
void expect_end(struct exp_spool *s);
struct exp_spool_stats stats(const struct exp_spool *s);

/*
 * The spool's files: NAME is a file in dir.
 */

/* The segment files, sorted; returns how many (up to max). */
int segment_files(char names[][32], int max);
void path_of(char *path, size_t size, const char *name);
off_t file_size(const char *name);
/* Writes bytes at off, making the file if need be. */
void write_at(const char *name, off_t off, const void *bytes, size_t len);
/* Inverts the byte at off. */
void flip_byte(const char *name, off_t off);
/* The offsets of the records of a segment file (up to max); returns how
 * many records it holds. */
int record_offsets(const char *name, uint64_t *offs, int max);

#endif
