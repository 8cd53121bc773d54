/* allow_list.c -- the export allow-list (allow_list.h): its parser and
 * the test every exported indicator goes through. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "allow_list.h"

#define DOMAIN_MAX 253
#define LABEL_MAX 63

void
ctl_addr_range_of(int family, const uint8_t *addr, unsigned int prefix_len,
		  struct ctl_addr_range *range)
{
	unsigned int bytes = family == 4 ? 4 : 16;

	memset(range, 0, sizeof(*range));
	range->family = (uint8_t)family;
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int from = i * 8;
		uint8_t mask = prefix_len >= from + 8 ? 0xff :
			       prefix_len <= from ? 0 :
			       (uint8_t)(0xff << (8 - (prefix_len - from)));

		range->first[i] = addr[i] & mask;
		range->last[i] = (uint8_t)(addr[i] | (uint8_t)~mask);
	}
}

int
ctl_addr_range_compare(const struct ctl_addr_range *a,
		       const struct ctl_addr_range *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->first, b->first, sizeof(a->first));
}

static int
range_sort_compare(const void *a, const void *b)
{
	return ctl_addr_range_compare(a, b);
}

/* a + 1 within its family; false when a is the family's last address. */
static bool
addr_next(int family, const uint8_t *a, uint8_t *next)
{
	int bytes = family == 4 ? 4 : 16;

	memcpy(next, a, 16);
	for (int i = bytes - 1; i >= 0; i--) {
		if (++next[i] != 0)
			return true;
	}
	return false;
}

size_t
ctl_addr_ranges_merge(struct ctl_addr_range *ranges, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(ranges, n, sizeof(ranges[0]), range_sort_compare);
	for (size_t i = 1; i < n; i++) {
		struct ctl_addr_range *cur = &ranges[out];
		uint8_t after[16];
		bool has_after = addr_next(cur->family, cur->last, after);

		if (ranges[i].family == cur->family &&
		    (!has_after ||
		     memcmp(ranges[i].first, after, sizeof(after)) <= 0)) {
			if (memcmp(ranges[i].last, cur->last,
				   sizeof(cur->last)) > 0)
				memcpy(cur->last, ranges[i].last,
				       sizeof(cur->last));
			continue;
		}
		ranges[++out] = ranges[i];
	}
	return out + 1;
}

/* ---- parsing ------------------------------------------------------------- */

struct allow_builder {
	char **domains;
	size_t n_domains, cap_domains;
	struct ctl_addr_range *ranges;
	size_t n_ranges, cap_ranges;
};

static int
push_domain(struct allow_builder *b, const char *name, size_t len)
{
	if (b->n_domains == b->cap_domains) {
		size_t cap = b->cap_domains == 0 ? 64 : b->cap_domains * 2;
		char **grown = realloc(b->domains, cap * sizeof(*grown));

		if (grown == NULL)
			return -ENOMEM;
		b->domains = grown;
		b->cap_domains = cap;
	}
	char *copy = strndup(name, len);

	if (copy == NULL)
		return -ENOMEM;
	b->domains[b->n_domains++] = copy;
	return 0;
}

static int
push_range(struct allow_builder *b, const struct ctl_addr_range *range)
{
	if (b->n_ranges == b->cap_ranges) {
		size_t cap = b->cap_ranges == 0 ? 16 : b->cap_ranges * 2;
		struct ctl_addr_range *grown =
			realloc(b->ranges, cap * sizeof(*grown));

		if (grown == NULL)
			return -ENOMEM;
		b->ranges = grown;
		b->cap_ranges = cap;
	}
	b->ranges[b->n_ranges++] = *range;
	return 0;
}

/* Text as an error message may quote it: printable ASCII, at most 64. */
static const char *
quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < size && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (len > 64 && n + 4 <= size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* ADDRESS[/LEN] into range: 0, or a message. */
static const char *
parse_network(const char *s, size_t len, struct ctl_addr_range *range)
{
	char text[64];
	const char *slash = memchr(s, '/', len);
	size_t addr_len = slash != NULL ? (size_t)(slash - s) : len;
	uint8_t addr[16] = { 0 };
	unsigned int prefix = 0, max;
	int family;

	if (addr_len >= sizeof(text))
		return "not an address";
	memcpy(text, s, addr_len);
	text[addr_len] = '\0';
	if (inet_pton(AF_INET, text, addr) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, text, addr) == 1)
		family = 6;
	else
		return "not an address";
	max = family == 4 ? 32 : 128;
	if (slash == NULL) {
		prefix = max;
	} else {
		size_t digits = len - addr_len - 1;

		if (digits == 0 || digits > 3)
			return "expected a prefix length after '/'";
		for (size_t i = 0; i < digits; i++) {
			char c = slash[1 + i];

			if (c < '0' || c > '9')
				return "expected a prefix length after '/'";
			prefix = prefix * 10 + (unsigned int)(c - '0');
		}
		if (prefix > max)
			return family == 4 ? "prefix length over 32" :
					     "prefix length over 128";
	}
	ctl_addr_range_of(family, addr, prefix, range);
	if (memcmp(range->first, addr, sizeof(addr)) != 0)
		return "host bits set in network";
	return NULL;
}

/* A domain name, lower-cased into out (DOMAIN_MAX + 1): NULL or a
 * message. */
static const char *
parse_domain(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t label = 0;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	} else if (len >= 1 && s[0] == '.') {
		s++;
		len--;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return "empty domain name";
	if (len > DOMAIN_MAX)
		return "domain name longer than 253 bytes";
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return "empty label in domain name";
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_') {
			if (++label > LABEL_MAX)
				return "label longer than 63 bytes";
		} else if ((unsigned char)c >= 0x80) {
			return "not ASCII: write the name in punycode (xn--)";
		} else {
			return "expected a domain name, an address or a network";
		}
		out[i] = c;
	}
	if (label == 0)
		return "empty label in domain name";
	out[len] = '\0';
	*out_len = len;
	return NULL;
}

static int
parse_line(struct allow_builder *b, const char *label, unsigned int lineno,
	   const char *line, size_t len, struct error_detail *err)
{
	char name[DOMAIN_MAX + 1], q[80];
	const char *why;
	size_t n = 0;

	if (memchr(line, '\0', len) != NULL) {
		error_detail_set(err, label, lineno, "NUL byte in line");
		return -EINVAL;
	}
	const char *hash = memchr(line, '#', len);
	if (hash != NULL)
		len = (size_t)(hash - line);
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
			   line[len - 1] == '\r'))
		len--;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (line[i] == ' ' || line[i] == '\t') {
			error_detail_set(err, label, lineno,
					 "one entry a line, not '%s'",
					 quote(q, sizeof(q), line, len));
			return -EINVAL;
		}
	if (b->n_domains + b->n_ranges == CTL_ALLOW_ENTRIES_MAX) {
		error_detail_set(err, label, lineno, "more than %u entries",
				 CTL_ALLOW_ENTRIES_MAX);
		return -E2BIG;
	}
	bool numeric = memchr(line, ':', len) != NULL ||
		       memchr(line, '/', len) != NULL;
	if (!numeric) {
		numeric = true;
		for (size_t i = 0; i < len; i++)
			if (!((line[i] >= '0' && line[i] <= '9') ||
			      line[i] == '.'))
				numeric = false;
	}
	if (numeric) {
		struct ctl_addr_range range;

		why = parse_network(line, len, &range);
		if (why == NULL)
			return push_range(b, &range) == 0 ? 0 : -ENOMEM;
	} else {
		why = parse_domain(line, len, name, &n);
		if (why == NULL)
			return push_domain(b, name, n) == 0 ? 0 : -ENOMEM;
	}
	error_detail_set(err, label, lineno, "%s: '%s'", why,
			 quote(q, sizeof(q), line, len));
	return -EINVAL;
}

static int
string_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts names and drops repeats: how many are left. */
static size_t
names_sort_unique(char **names, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(names, n, sizeof(names[0]), string_compare);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i], names[out]) == 0)
			free(names[i]);
		else
			names[++out] = names[i];
	}
	return out + 1;
}

/* Every proper parent of the allowed names ("b.c" and "c" of "a.b.c"). */
static int
ancestors_build(struct ctl_allow_list *allow)
{
	size_t cap = 0, n = 0;
	char **list = NULL;

	for (size_t i = 0; i < allow->n_domains; i++) {
		for (const char *dot = strchr(allow->domains[i], '.');
		     dot != NULL; dot = strchr(dot + 1, '.')) {
			if (n == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				char **grown = realloc(list, cap * sizeof(*list));

				if (grown == NULL)
					goto no_memory;
				list = grown;
			}
			list[n] = strdup(dot + 1);
			if (list[n] == NULL)
				goto no_memory;
			n++;
		}
	}
	allow->ancestors = list;
	allow->n_ancestors = names_sort_unique(list, n);
	return 0;
no_memory:
	while (n > 0)
		free(list[--n]);
	free(list);
	return -ENOMEM;
}

int
ctl_allow_parse(struct ctl_allow_list *allow, const char *label,
		const char *text, size_t len, struct error_detail *err)
{
	struct allow_builder b = { 0 };
	unsigned int lineno = 0;
	size_t pos = 0;
	int rc = 0;

	memset(allow, 0, sizeof(*allow));
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len && rc == 0) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;

		pos += n + (nl != NULL);
		rc = parse_line(&b, label, ++lineno, start, n, err);
	}
	if (rc == -ENOMEM)
		error_detail_set(err, label, lineno, "out of memory");
	allow->domains = b.domains;
	allow->n_domains = b.n_domains;
	allow->ranges = b.ranges;
	allow->n_ranges = b.n_ranges;
	if (rc == 0) {
		allow->n_domains = names_sort_unique(allow->domains,
						     allow->n_domains);
		allow->n_ranges = ctl_addr_ranges_merge(allow->ranges,
							allow->n_ranges);
		rc = ancestors_build(allow);
		if (rc != 0)
			error_detail_set(err, label, 0, "out of memory");
	}
	if (rc != 0)
		ctl_allow_free(allow);
	return rc;
}

int
ctl_allow_load(struct ctl_allow_list *allow, const char *path,
	       struct error_detail *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = file_read_all(path, CTL_ALLOW_FILE_MAX, &text, &len);

	memset(allow, 0, sizeof(*allow));
	if (rc == -EFBIG) {
		error_detail_set(err, path, 0, "larger than %u bytes",
				 CTL_ALLOW_FILE_MAX);
		return rc;
	}
	if (rc != 0) {
		error_detail_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	rc = ctl_allow_parse(allow, path, text, len, err);
	free(text);
	return rc;
}

void
ctl_allow_free(struct ctl_allow_list *allow)
{
	for (size_t i = 0; i < allow->n_domains; i++)
		free(allow->domains[i]);
	for (size_t i = 0; i < allow->n_ancestors; i++)
		free(allow->ancestors[i]);
	free(allow->domains);
	free(allow->ancestors);
	free(allow->ranges);
	memset(allow, 0, sizeof(*allow));
}

static bool
name_listed(char *const *names, size_t n, const char *name)
{
	/* bsearch() wants an array even for none. */
	return n > 0 && bsearch(&name, names, n, sizeof(names[0]),
				string_compare) != NULL;
}

static bool
range_overlaps(const struct ctl_allow_list *allow,
	       const struct ctl_addr_range *r)
{
	size_t lo = 0, hi = allow->n_ranges;

	/* The first allowed range of r's family that ends at or after r's
	 * first address; r overlaps it when it starts by r's last. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ctl_addr_range *m = &allow->ranges[mid];

		if (m->family < r->family ||
		    (m->family == r->family &&
		     memcmp(m->last, r->first, sizeof(r->first)) < 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == allow->n_ranges)
		return false;
	const struct ctl_addr_range *m = &allow->ranges[lo];
	return m->family == r->family &&
	       memcmp(m->first, r->last, sizeof(r->last)) <= 0;
}

bool
ctl_allow_covers(const struct ctl_allow_list *allow,
		 const struct pat_indicator *ind)
{
	if (allow == NULL)
		return false;
	if (ind->type == PAT_TYPE_DOMAIN) {
		if (name_listed(allow->ancestors, allow->n_ancestors,
				ind->value))
			return true;
		for (const char *s = ind->value; s != NULL;) {
			if (name_listed(allow->domains, allow->n_domains, s))
				return true;
			s = strchr(s, '.');
			if (s != NULL)
				s++;
		}
		return false;
	}
	if (ind->type == PAT_TYPE_IPV4 || ind->type == PAT_TYPE_IPV6) {
		struct ctl_addr_range r;

		ctl_addr_range_of(ind->type == PAT_TYPE_IPV4 ? 4 : 6,
				  ind->addr, ind->prefix_len, &r);
		return range_overlaps(allow, &r);
	}
	return false;
}
