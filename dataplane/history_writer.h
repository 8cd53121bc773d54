/* history_writer.h -- the history writer: a thread (never a worker core)
 * that takes the workers' chunks (history_port.h), gathers their records
 * into blocks of up to block_bytes or block_ns, gives each block its
 * token filter, compresses it and appends it to the history's segment
 * files (history/store.h), and deletes the oldest as the size or age
 * limit asks (docs/history.md). A write that fails (a full disk) drops
 * that block, counted and logged, and each later block tries again:
 * live matching never waits for the disk. */
#ifndef IOCSIFT_DATAPLANE_HISTORY_WRITER_H
#define IOCSIFT_DATAPLANE_HISTORY_WRITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "hist_builder.h"
#include "hist_store.h"
#include "worker.h"

struct dp_history_config {
	const char *dir;              /* exists, mode 0700 */
	uint64_t max_bytes;
	uint64_t max_age_ns;
	uint8_t kinds;                /* bit (1 << dp_message_kind) */
	uint32_t block_bytes;         /* records per block, uncompressed */
	uint64_t block_ns;            /* a block open longer is sealed */
	int level;                    /* zstd */
	unsigned int chunks;          /* per worker */
};

/* The appliance's settings (docs/history.md, "Sizing"): blocks of 4 MiB
 * of messages or 10 s, whichever comes first; zstd level 3; 128 chunks
 * of 64 KiB a worker (8 MiB: about 1.5 s of 20,000 messages/s should the
 * writer stall). */
#define DP_HISTORY_BLOCK_BYTES (4u << 20)
#define DP_HISTORY_BLOCK_NS (10ULL * 1000000000ULL)
#define DP_HISTORY_ZSTD_LEVEL 3
#define DP_HISTORY_CHUNKS 128

#define DP_HISTORY_ERROR_MAX 256

struct dp_history_writer {
	struct dp_history_config config;
	char dir[4096];
	struct dp_worker **workers;
	unsigned int n_workers;
	struct hist_store store;
	/* The block being gathered. */
	struct hist_builder builder;
	uint64_t opened_ns;           /* wall clock */
	/* Thread. */
	pthread_t thread;
	bool started;
	bool stop;                    /* __atomic */
	uint64_t seal_asked;          /* __atomic: seals asked for */
	uint64_t seal_done;           /* __atomic: the last asked one done */
	pthread_mutex_t lock;         /* error text, and seal waits */
	pthread_cond_t sealed;
	/* Counters: relaxed atomics. */
	uint64_t records_written;     /* in blocks on disk */
	uint64_t records_lost;        /* in blocks that could not be written */
	uint64_t bytes_raw;           /* records' bytes in blocks on disk */
	uint64_t blocks_unfiltered;   /* written without a token filter */
	uint64_t oldest_ns;           /* the oldest record kept, 0 none */
	uint64_t newest_ns;
	char last_error[DP_HISTORY_ERROR_MAX];   /* under lock */
	uint64_t last_error_time;     /* UNIX seconds, 0 none */
	bool failing;                 /* the last write failed */
};

/* Opens the directory and gives each worker its ring and chunks (on
 * socket). 0, or -errno with err naming what failed. */
int dp_history_writer_init(struct dp_history_writer *hw,
			   const struct dp_history_config *config,
			   struct dp_worker **workers, unsigned int n_workers,
			   int socket, char *err, size_t err_len);
/* Starts the thread. 0 or -errno. */
int dp_history_writer_start(struct dp_history_writer *hw);
/* After the workers stopped: takes what they sent, seals the last
 * block, stops the thread. */
void dp_history_writer_stop(struct dp_history_writer *hw);
void dp_history_writer_release(struct dp_history_writer *hw);

/* Asks the thread to seal the block being gathered (with every chunk
 * the workers sent so far) and waits up to timeout_ms for it: a hunt
 * then sees every message matched before the call, bar those still in
 * a worker's open chunk (at most DP_HISTORY_FLUSH_NS old). 0 or
 * -ETIMEDOUT. */
int dp_history_writer_seal(struct dp_history_writer *hw,
			   unsigned int timeout_ms);

/* status and stats: {dir, bytes, segments, oldest, newest, records,
 * dropped, lost, blocks, expired, write_errors, last_error...}; new
 * reference. */
json_t *dp_history_writer_json(struct dp_history_writer *hw);

#endif
