/* common.c -- the error detail, base64 and JSON lines (common.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"

void
error_detail_vset(struct error_detail *err, const char *where,
		  unsigned int line, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	snprintf(err->where, sizeof(err->where), "%s",
		 where != NULL ? where : "");
	err->line = line;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

void
error_detail_set(struct error_detail *err, const char *where,
		 unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_detail_vset(err, where, line, fmt, ap);
	va_end(ap);
}

const char *
error_detail_format(const struct error_detail *err, char *buf, size_t size)
{
	if (err->line > 0)
		snprintf(buf, size, "%s:%u: %s", err->where, err->line,
			 err->message);
	else if (err->where[0] != '\0')
		snprintf(buf, size, "%s: %s", err->where, err->message);
	else
		snprintf(buf, size, "%s", err->message);
	return buf;
}

void
error_detail_print(FILE *out, const char *prog,
		   const struct error_detail *err)
{
	char text[ERROR_DETAIL_TEXT_MAX];

	if (err->where[0] == '\0')
		fprintf(out, "%s: ", prog);
	fprintf(out, "%s\n", error_detail_format(err, text, sizeof(text)));
}

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *in, size_t len, bool padding_required,
	      unsigned char *out, size_t *out_len)
{
	size_t n = 0, pad = 0;
	uint32_t acc = 0;
	unsigned int bits = 0;

	*out_len = 0;
	if (padding_required && len % 4 != 0)
		return -EINVAL;
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len % 4 == 1 || (pad > 0 && (len + pad) % 4 != 0))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int v = base64_value(in[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits of a last partial group must be zero. */
	if (acc != 0)
		return -EINVAL;
	*out_len = n;
	return 0;
}

size_t
base64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = base64_alphabet[v >> 18 & 0x3f];
		out[o++] = base64_alphabet[v >> 12 & 0x3f];
		out[o++] = base64_alphabet[v >> 6 & 0x3f];
		out[o++] = base64_alphabet[v & 0x3f];
	}
	if (len - i > 0) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (len - i == 2)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = base64_alphabet[v >> 18 & 0x3f];
		out[o++] = base64_alphabet[v >> 12 & 0x3f];
		out[o++] = len - i == 2 ? base64_alphabet[v >> 6 & 0x3f] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

int
fd_read_all(int fd, size_t max, char **data, size_t *len)
{
	size_t size = 0, cap = 65536;
	struct stat st;
	char *buf;

	/* A regular file takes one buffer of its size; one byte more lets
	 * the read that meets the end, or the byte past max, land. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		cap = ((size_t)st.st_size < max ? (size_t)st.st_size : max) + 1;
	buf = malloc(cap + 1);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (size == cap) {
			size_t next = cap > max / 2 ? max + 1 : cap * 2;
			char *grown;

			if (cap > max)
				goto too_big;
			grown = realloc(buf, next + 1);
			if (grown == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap = next;
		}
		ssize_t n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;

			free(buf);
			return rc;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	if (size > max)
		goto too_big;
	buf[size] = '\0';
	*data = buf;
	*len = size;
	return 0;
too_big:
	free(buf);
	return -EFBIG;
}

int
file_read_all(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int rc;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		rc = -EISDIR;
	else
		rc = fd_read_all(fd, max, data, len);
	close(fd);
	return rc;
}

char *
json_line(const struct json_t *json, size_t *len)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER |
			     JSON_REAL_PRECISION(15);
	size_t n = json_dumpb(json, NULL, 0, flags);
	char *line;

	if (n == 0)
		return NULL;
	line = malloc(n + 2);
	if (line == NULL)
		return NULL;
	if (json_dumpb(json, line, n, flags) != n) {
		free(line);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len != NULL)
		*len = n + 1;
	return line;
}

const char *
dir_install_command(const char *path, unsigned int mode, char *out,
		    size_t size)
{
	static const char safe[] = "/._-+,:@%";
	bool quote = path[0] == '\0';
	size_t n;

	for (const char *c = path; *c != '\0' && !quote; c++)
		quote = !((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || strchr(safe, *c) != NULL);
	n = (size_t)snprintf(out, size, "install -d -m %04o %s", mode,
			     quote ? "'" : "");
	for (const char *c = path; *c != '\0' && n + 5 < size; c++) {
		if (quote && *c == '\'') {
			memcpy(out + n, "'\\''", 4);   /* ' ends, \' , ' again */
			n += 4;
		} else {
			out[n++] = *c;
		}
	}
	if (quote && n + 1 < size)
		out[n++] = '\'';
	if (n < size)
		out[n] = '\0';
	return out;
}

/* mkdir -p: each missing parent DIR_MODE_SHARED, the last mode. */
static int
dir_make_all(const char *path, unsigned int mode, char *failed, size_t size)
{
	char part[4096];
	size_t len = strlen(path);

	if (len >= sizeof(part))
		return -ENAMETOOLONG;
	memcpy(part, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (part[i] != '/' && part[i] != '\0')
			continue;
		if (i < len && part[i + 1] == '/')
			continue;   /* "a//b": the empty component is skipped */
		char end = part[i];
		part[i] = '\0';
		bool last = i == len || (i + 1 == len && end == '/');
		if (mkdir(part, last ? mode : DIR_MODE_SHARED) != 0 &&
		    errno != EEXIST) {
			int e = errno;
			snprintf(failed, size, "%s", part);
			return -e;
		}
		part[i] = end;
	}
	return 0;
}

int
dir_prepare(const char *path, unsigned int mode, bool create, char *why,
	    size_t why_size)
{
	char command[4200], failed[4096];
	struct stat st;
	int rc;

	if (path == NULL || path[0] == '\0' || strlen(path) >= 4096) {
		snprintf(why, why_size, "not a usable directory name");
		return -EINVAL;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(why, why_size, "%s is not a directory", path);
		return -ENOTDIR;
	}
	rc = -errno;
	dir_install_command(path, mode, command, sizeof(command));
	if (rc != -ENOENT) {
		snprintf(why, why_size, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!create) {
		snprintf(why, why_size, "%s does not exist; create it with: %s",
			 path, command);
		return -ENOENT;
	}
	rc = dir_make_all(path, mode, failed, sizeof(failed));
	if (rc == 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (rc == 0)
		rc = -ENOTDIR;
	snprintf(why, why_size, "%s does not exist and cannot be made (%s: %s);"
		 " create it with: %s", path, rc == -ENOTDIR ? path : failed,
		 strerror(-rc), command);
	return rc;
}

int
duration_parse(const char *text, uint64_t *seconds)
{
	char *end;
	unsigned long long n;
	uint64_t unit = 1;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0' && end[1] != '\0')
		return -EINVAL;
	if (n == 0 || n > 100ULL * 366 * 86400 / unit)
		return -EINVAL;
	*seconds = n * unit;
	return 0;
}
