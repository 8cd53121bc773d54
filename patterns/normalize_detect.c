/* normalize_detect.c -- guesses the type of a bare value, for plain feeds
 * and `iocsiftctl add` without a type: an address, a digest by its
 * length, a URL, a file name by its extension, else a domain. The
 * checks are the normalizers' (normalize.c), without their messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "normalize_internal.h"

static bool
contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

/* File extensions that make a bare value a file name in a plain feed:
 * executables, scripts, installers, archives, disk images and macro-
 * capable documents, on Windows, macOS and Linux, and "ico" (the 3CX
 * attack hid its C2 addresses in icon files). "zip", "app" and "so"
 * are also top-level domains: a plain feed cannot tell, so a domain such
 * as "update.zip" must be given in a CSV feed with its type. */
static const char *const file_extensions[] = {
	"7z", "app", "bat", "cmd", "dll", "dmg", "doc", "docm", "docx",
	"dylib", "exe", "hta", "ico", "img", "iso", "jar", "js", "lnk", "msi",
	"pdf", "pkg", "ps1", "rar", "scr", "so", "sys", "vbs", "xls", "xlsm",
	"xlsx", "zip",
};

static bool
has_file_extension(const char *s, size_t len)
{
	const char *dot = memrchr(s, '.', len);
	size_t elen;

	if (dot == NULL || dot == s)
		return false;
	elen = len - (size_t)(dot + 1 - s);
	for (size_t i = 0; i < ARRAY_SIZE(file_extensions); i++) {
		if (equals_ci(dot + 1, elen, file_extensions[i]))
			return true;
	}
	return false;
}

static int
hash_type(const char *s, size_t len, enum pat_type *type)
{
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(s[i]))
			return -EINVAL;
	}
	switch (len) {
	case 32:
		*type = PAT_TYPE_MD5;
		return 0;
	case 40:
		*type = PAT_TYPE_SHA1;
		return 0;
	case 64:
		*type = PAT_TYPE_SHA256;
		return 0;
	default:
		return -EINVAL;
	}
}

/* "host/..." where host is an address or a name with a dot. */
static bool
looks_like_url(const char *s, size_t len)
{
	size_t host_len;

	if (contains(s, len, "://"))
		return true;
	if (memchr(s, '/', len) == NULL)
		return false;
	host_len = pat_norm_url_host_len(s, len);
	return host_len > 0 && host_len < len && s[host_len] == '/' &&
	       pat_norm_url_host_check(s, host_len, true, NULL) == 0 &&
	       (s[0] == '[' || memchr(s, '.', host_len) != NULL);
}

/* A name with a dot whose last label is not a number (no TLD is), so
 * that a mistyped address is not taken for a domain. */
static bool
looks_like_domain(const char *s, size_t len)
{
	const char *dot;
	size_t i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	dot = memrchr(s, '.', len);
	if (dot == NULL ||
	    pat_norm_domain_check(s, len, "domain", true, NULL) != 0)
		return false;
	for (i = (size_t)(dot + 1 - s); i < len && is_digit(s[i]); i++)
		;
	return i < len;
}

int
pat_norm_detect(const char *s, size_t len, enum pat_type *type)
{
	uint8_t addr[16];
	unsigned int prefix;

	if (pat_norm_parse_cidr(AF_INET, s, len, addr, &prefix, NULL) == 0)
		*type = PAT_TYPE_IPV4;
	else if (memchr(s, ':', len) != NULL &&
		 pat_norm_parse_cidr(AF_INET6, s, len, addr, &prefix,
				     NULL) == 0)
		*type = PAT_TYPE_IPV6;
	else if (hash_type(s, len, type) == 0)
		return 0;
	else if (looks_like_url(s, len))
		*type = PAT_TYPE_URL;
	else if (has_file_extension(s, len) &&
		 pat_norm_filename_check(s, len, NULL) == 0)
		*type = PAT_TYPE_FILENAME;
	else if (looks_like_domain(s, len))
		*type = PAT_TYPE_DOMAIN;
	else
		return -EINVAL;
	return 0;
}

int
pat_detect_type(const char *value, size_t len, enum pat_type *type)
{
	const char *t;
	char *copy;
	int rc;

	if (value == NULL || memchr(value, '\0', len) != NULL)
		return -EINVAL;
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, value, len);
	len = pat_norm_refang(copy, len);
	t = copy;
	pat_trim(&t, &len);
	rc = pat_norm_detect(t, len, type);
	free(copy);
	return rc;
}
