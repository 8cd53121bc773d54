/* store.c -- segment files of the history: append, rotate, expire. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist_block.h"
#include "hist_store.h"

/* A segment is at most an eighth of the whole (so that expiring one
 * gives back at most that much), at most 256 MiB, at least 1 MiB; and
 * spans at most a 48th of the age (30 min of a day). */
#define SEGMENT_BYTES_MAX (256ull << 20)
#define SEGMENT_BYTES_MIN (1ull << 20)

static bool
segment_name_time(const char *name, uint64_t *first_ns)
{
	char *end;

	if (strncmp(name, "seg-", 4) != 0 || strlen(name) != 4 + 16 + 5 ||
	    strcmp(name + 20, ".hist") != 0)
		return false;
	errno = 0;
	*first_ns = strtoull(name + 4, &end, 16);
	return errno == 0 && end == name + 20;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
hist_store_list(const char *dir, char (**names)[HIST_SEGMENT_NAME_MAX],
		size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char (*list)[HIST_SEGMENT_NAME_MAX] = NULL;
	size_t count = 0, cap = 0;
	uint64_t unused;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (!segment_name_time(e->d_name, &unused))
			continue;
		if (count == cap) {
			size_t grown = cap == 0 ? 64 : cap * 2;
			void *p = realloc(list, grown * sizeof(*list));
			if (p == NULL) {
				free(list);
				closedir(d);
				return -ENOMEM;
			}
			list = p;
			cap = grown;
		}
		snprintf(list[count++], HIST_SEGMENT_NAME_MAX, "%s", e->d_name);
	}
	closedir(d);
	if (count > 0)
		qsort(list, count, sizeof(*list), compare_names);
	*names = list;
	*n = count;
	return 0;
}

/* The times and blocks of an existing segment, from its block headers
 * (the data skipped); a damaged block ends what is counted. */
static void
segment_scan(int dir_fd, struct hist_segment *seg)
{
	int fd = openat(dir_fd, seg->name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t off = 0;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		seg->bytes = (uint64_t)st.st_size;
	for (;;) {
		struct hist_block_header h;
		if (pread(fd, &h, sizeof(h), (off_t)off) != (ssize_t)sizeof(h) ||
		    memcmp(h.magic, HIST_BLOCK_MAGIC, sizeof(h.magic)) != 0)
			break;
		if (seg->blocks == 0 || h.first_ns < seg->first_ns)
			seg->first_ns = h.first_ns;
		if (h.last_ns > seg->last_ns)
			seg->last_ns = h.last_ns;
		seg->blocks++;
		off += HIST_BLOCK_HEADER_SIZE + (uint64_t)h.filter_len +
			h.data_len;
	}
	close(fd);
}

static int
segments_reserve(struct hist_store *store)
{
	if (store->n_segments < store->cap_segments)
		return 0;
	size_t cap = store->cap_segments == 0 ? 64 : store->cap_segments * 2;
	void *p = realloc(store->segments, cap * sizeof(*store->segments));
	if (p == NULL)
		return -ENOMEM;
	store->segments = p;
	store->cap_segments = cap;
	return 0;
}

int
hist_store_open(struct hist_store *store, const struct hist_store_config *c)
{
	char (*names)[HIST_SEGMENT_NAME_MAX] = NULL;
	size_t n = 0;
	int rc, dir_fd;

	*store = (struct hist_store){ .fd = -1 };
	if (strlen(c->dir) >= sizeof(store->dir))
		return -ENAMETOOLONG;
	snprintf(store->dir, sizeof(store->dir), "%s", c->dir);
	store->max_bytes = c->max_bytes;
	store->max_age_ns = c->max_age_ns;
	store->segment_bytes = c->max_bytes / 8;
	if (store->segment_bytes > SEGMENT_BYTES_MAX)
		store->segment_bytes = SEGMENT_BYTES_MAX;
	if (store->segment_bytes < SEGMENT_BYTES_MIN)
		store->segment_bytes = SEGMENT_BYTES_MIN;
	store->segment_span_ns = c->max_age_ns / 48;
	rc = hist_store_list(c->dir, &names, &n);
	if (rc != 0)
		return rc;
	dir_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		rc = -errno;
		free(names);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (segments_reserve(store) != 0) {
			rc = -ENOMEM;
			break;
		}
		struct hist_segment *seg = &store->segments[store->n_segments++];
		*seg = (struct hist_segment){ 0 };
		snprintf(seg->name, sizeof(seg->name), "%s", names[i]);
		segment_scan(dir_fd, seg);
		store->total_bytes += seg->bytes;
	}
	close(dir_fd);
	free(names);
	if (rc != 0)
		hist_store_close(store);
	return rc;
}

void
hist_store_close(struct hist_store *store)
{
	if (store->fd >= 0)
		close(store->fd);
	store->fd = -1;
	free(store->segments);
	store->segments = NULL;
	store->n_segments = store->cap_segments = 0;
}

static int
segment_start(struct hist_store *store, uint64_t first_ns)
{
	char path[sizeof(store->dir) + HIST_SEGMENT_NAME_MAX + 1];
	struct hist_segment seg = { .first_ns = first_ns, .last_ns = first_ns };

	if (segments_reserve(store) != 0)
		return -ENOMEM;
	/* Two segments started in the same nanosecond (a clock stepped
	 * back): the next free name. */
	for (;; first_ns++) {
		snprintf(seg.name, sizeof(seg.name), "seg-%016" PRIx64 ".hist",
			 first_ns);
		snprintf(path, sizeof(path), "%s/%s", store->dir, seg.name);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
			      O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (store->fd >= 0)
				close(store->fd);
			store->fd = fd;
			break;
		}
		if (errno != EEXIST)
			return -errno;
	}
	store->segments[store->n_segments++] = seg;
	return 0;
}

static bool
segment_due(const struct hist_store *store, uint64_t first_ns, size_t len)
{
	const struct hist_segment *cur;

	if (store->fd < 0 || store->n_segments == 0)
		return true;
	cur = &store->segments[store->n_segments - 1];
	if (cur->blocks == 0)
		return false;
	return cur->bytes + len > store->segment_bytes ||
		(store->segment_span_ns > 0 &&
		 first_ns > cur->first_ns + store->segment_span_ns);
}

int
hist_store_append(struct hist_store *store, const uint8_t *block, size_t len,
		  uint64_t first_ns, uint64_t last_ns)
{
	int rc = 0;

	if (segment_due(store, first_ns, len)) {
		rc = segment_start(store, first_ns);
		if (rc != 0)
			goto failed;
	}
	struct hist_segment *cur = &store->segments[store->n_segments - 1];
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(store->fd, block + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			/* Back to the last whole block: a hunt must not
			 * find half of this one before the next. */
			if (ftruncate(store->fd, (off_t)cur->bytes) != 0)
				rc = rc == 0 ? -errno : rc;
			goto failed;
		}
		done += (size_t)n;
	}
	if (cur->blocks == 0 || first_ns < cur->first_ns)
		cur->first_ns = first_ns;
	if (last_ns > cur->last_ns)
		cur->last_ns = last_ns;
	cur->blocks++;
	cur->bytes += len;
	store->total_bytes += len;
	__atomic_store_n(&store->blocks_written, store->blocks_written + 1,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&store->bytes_written, store->bytes_written + len,
			 __ATOMIC_RELAXED);
	store->last_errno = 0;
	return 0;
failed:
	__atomic_store_n(&store->write_errors, store->write_errors + 1,
			 __ATOMIC_RELAXED);
	store->last_errno = -rc;
	return rc;
}

static void
segment_delete(struct hist_store *store)
{
	struct hist_segment *old = &store->segments[0];
	char path[sizeof(store->dir) + HIST_SEGMENT_NAME_MAX + 1];

	snprintf(path, sizeof(path), "%s/%s", store->dir, old->name);
	unlink(path);
	store->total_bytes -= old->bytes;
	__atomic_store_n(&store->blocks_expired,
			 store->blocks_expired + old->blocks, __ATOMIC_RELAXED);
	__atomic_store_n(&store->segments_expired,
			 store->segments_expired + 1, __ATOMIC_RELAXED);
	if (store->n_segments == 1 && store->fd >= 0) {
		close(store->fd);
		store->fd = -1;
	}
	memmove(store->segments, store->segments + 1,
		(store->n_segments - 1) * sizeof(*store->segments));
	store->n_segments--;
}

uint64_t
hist_store_expire(struct hist_store *store, uint64_t now_ns)
{
	uint64_t before = store->blocks_expired;

	while (store->n_segments > 0) {
		const struct hist_segment *old = &store->segments[0];
		bool open = store->n_segments == 1 && store->fd >= 0;
		bool too_old = store->max_age_ns > 0 &&
			old->last_ns + store->max_age_ns < now_ns;
		bool too_big = !open && store->total_bytes > store->max_bytes;
		if (!too_old && !too_big)
			break;
		segment_delete(store);
	}
	return store->blocks_expired - before;
}
