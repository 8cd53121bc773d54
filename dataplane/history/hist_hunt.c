/* hunt.c -- matching the history's records against new indicators. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "hist_block.h"
#include "hist_hunt.h"
#include "message_match.h"
#include "hist_store.h"

struct hunt {
	const struct hist_hunt_query *q;
	struct hist_hunt_stats *st;
	hist_hit_fn hit;
	hist_progress_fn progress;
	void *ctx;
	ZSTD_DCtx *dctx;
	struct hist_buffer raw;
	struct dp_message_matcher matcher;
	struct pat_hits hits;
};

static void
damage(struct hunt *h, const char *segment, size_t off, const char *what)
{
	if (h->st->first_damage[0] == '\0')
		snprintf(h->st->first_damage, sizeof(h->st->first_damage),
			 "%s at byte %zu: %s", segment, off, what);
}

static bool
block_wanted(const struct hunt *h, const struct hist_block_view *view)
{
	const struct hist_hunt_query *q = h->q;

	if (q->scan_all)
		return true;
	for (size_t i = 0; i < q->n_keys; i++)
		if (hist_block_may_contain(view, q->keys[i]))
			return true;
	return false;
}

/* The records of one opened block. */
static int
block_match(struct hunt *h, const struct hist_block_view *view,
	    const char *segment, size_t off)
{
	const struct hist_hunt_query *q = h->q;
	size_t len = view->header.raw_len, pos = 0;
	struct hist_record rec;

	if (hist_buffer_reserve(&h->raw, len + 1) != 0)
		return -ENOMEM;
	if (hist_block_decompress(view, h->dctx, h->raw.data) != 0) {
		h->st->blocks_damaged++;
		damage(h, segment, off, "its records do not decompress or their CRC is wrong");
		return 0;
	}
	h->st->blocks_opened++;
	h->st->bytes_read += view->header.data_len;
	h->st->bytes_raw += len;
	while (pos < len) {
		if (!hist_record_next(h->raw.data, len, &pos, &rec)) {
			h->st->blocks_damaged++;
			damage(h, segment, off, "a record runs past the block");
			return 0;
		}
		uint64_t t = rec.header.time_ns;
		if (t < q->since_ns || (q->until_ns != 0 && t > q->until_ns))
			continue;
		if (rec.header.kind > DP_MESSAGE_DNS)
			continue;
		h->st->records++;
		if (h->st->first_ns == 0 || t < h->st->first_ns)
			h->st->first_ns = t;
		if (t > h->st->last_ns)
			h->st->last_ns = t;
		pat_hits_reset(&h->hits, (int64_t)(t / 1000000000ULL));
		unsigned int flags = dp_message_match(&h->matcher, q->set,
			pat_set_scratch(q->set, 0), rec.header.kind,
			rec.payload, rec.header.payload_len, &h->hits);
		h->st->match_errors += (flags & DP_MATCH_ERROR) != 0;
		if (h->hits.count == 0)
			continue;
		h->st->hit_messages++;
		h->st->hits += h->hits.count;
		int rc = h->hit(h->ctx, &rec, &h->hits);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The blocks of one segment's bytes. */
static int
blocks_hunt(struct hunt *h, const uint8_t *bytes, size_t size,
	    const char *name, bool newest)
{
	int rc = 0;

	size_t off = 0;
	while (off < size && rc == 0) {
		struct hist_block_view view;
		int parsed = hist_block_parse(bytes + off, size - off, &view);
		if (parsed == -EAGAIN) {
			if (!(h->q->live && newest)) {
				h->st->blocks_cut++;
				damage(h, name, off, "the file ends inside a block");
			}
			break;
		}
		if (parsed != 0) {
			/* Damaged: on to the next block's magic. */
			h->st->blocks_damaged++;
			damage(h, name, off, "not a block header, or its CRC is wrong");
			const uint8_t *next = memmem(bytes + off + 1,
				size - off - 1, HIST_BLOCK_MAGIC,
				strlen(HIST_BLOCK_MAGIC));
			if (next == NULL)
				break;
			off = (size_t)(next - bytes);
			continue;
		}
		h->st->blocks++;
		const struct hist_block_header *bh = &view.header;
		if (bh->last_ns < h->q->since_ns ||
		    (h->q->until_ns != 0 && bh->first_ns > h->q->until_ns))
			h->st->blocks_skipped_time++;
		else if (!block_wanted(h, &view))
			h->st->blocks_skipped_filter++;
		else
			rc = block_match(h, &view, name, off);
		off += view.size;
		if (rc == 0 && h->progress != NULL && !h->progress(h->ctx, h->st))
			rc = -ECANCELED;
	}
	return rc;
}

/* The blocks of one segment file. */
static int
segment_hunt(struct hunt *h, const char *dir, const char *name, bool newest)
{
	char path[4096 + HIST_SEGMENT_NAME_MAX + 2];
	struct stat st;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		/* Expired between the listing and now: nothing lost. */
		if (err == ENOENT)
			return 0;
		h->st->blocks_damaged++;
		damage(h, name, 0, strerror(err));
		return 0;
	}
	h->st->segments++;
	size_t size = (size_t)st.st_size;
	if (size == 0) {
		close(fd);
		return 0;
	}
	const uint8_t *bytes = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (bytes == MAP_FAILED) {
		h->st->blocks_damaged++;
		damage(h, name, 0, strerror(errno));
		return 0;
	}
	rc = blocks_hunt(h, bytes, size, name, newest);
	munmap((void *)bytes, size);
	return rc;
}

static int
hunt_init(struct hunt *h, const struct hist_hunt_query *q, hist_hit_fn hit,
	  hist_progress_fn progress, void *ctx, struct hist_hunt_stats *stats)
{
	*h = (struct hunt){
		.q = q, .st = stats, .hit = hit, .progress = progress,
		.ctx = ctx, .dctx = ZSTD_createDCtx(),
		.matcher = { .dns_text = malloc(HIST_PAYLOAD_MAX + 1) },
	};
	*stats = (struct hist_hunt_stats){ 0 };
	return h->dctx == NULL || h->matcher.dns_text == NULL ? -ENOMEM : 0;
}

static void
hunt_release(struct hunt *h)
{
	free(h->matcher.dns_text);
	hist_buffer_free(&h->raw);
	ZSTD_freeDCtx(h->dctx);
}

int
hist_hunt_run(const char *dir, const struct hist_hunt_query *q,
	      hist_hit_fn hit, hist_progress_fn progress, void *ctx,
	      struct hist_hunt_stats *stats)
{
	char (*names)[HIST_SEGMENT_NAME_MAX] = NULL;
	size_t n = 0;
	struct hunt h;
	int rc = hunt_init(&h, q, hit, progress, ctx, stats);

	if (rc == 0)
		rc = hist_store_list(dir, &names, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = segment_hunt(&h, dir, names[i], i + 1 == n);
	free(names);
	hunt_release(&h);
	return rc;
}

int
hist_hunt_bytes(const uint8_t *bytes, size_t size,
		const struct hist_hunt_query *q, hist_hit_fn hit, void *ctx,
		struct hist_hunt_stats *stats)
{
	struct hunt h;
	int rc = hunt_init(&h, q, hit, NULL, ctx, stats);

	if (rc == 0)
		rc = blocks_hunt(&h, bytes, size, "(bytes)", true);
	hunt_release(&h);
	return rc;
}
