/* block_lists.c -- the block-list formats (block_lists.h) and their
 * atomic write: temporary file, fsync, rename, directory fsync. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "block_lists.h"

#define DOMAIN_MAX 253
#define LABEL_MAX 63
#define WRITE_BUFFER (1u << 20)

static const struct {
	const char *name;
	enum cfg_export_format format;
} block_files[CTL_BLOCK_FILES] = {
	[CTL_BLOCK_FILE_NFTABLES] = { "iocsift.nft", CFG_EXPORT_NFTABLES },
	[CTL_BLOCK_FILE_SQUID] = { "iocsift-squid.acl", CFG_EXPORT_SQUID },
	[CTL_BLOCK_FILE_RPZ] = { "iocsift.rpz", CFG_EXPORT_RPZ },
	[CTL_BLOCK_FILE_HOSTS] = { "iocsift.hosts", CFG_EXPORT_HOSTS },
	[CTL_BLOCK_FILE_SURICATA_DOMAINS] = { "iocsift-domains.dataset",
					      CFG_EXPORT_SURICATA },
	[CTL_BLOCK_FILE_SURICATA_MD5] = { "iocsift-md5.dataset",
					  CFG_EXPORT_SURICATA },
	[CTL_BLOCK_FILE_SURICATA_SHA256] = { "iocsift-sha256.dataset",
					     CFG_EXPORT_SURICATA },
	[CTL_BLOCK_FILE_SURICATA_IPV4] = { "iocsift-ipv4.dataset",
					   CFG_EXPORT_SURICATA },
	[CTL_BLOCK_FILE_SURICATA_IPV6] = { "iocsift-ipv6.dataset",
					   CFG_EXPORT_SURICATA },
	[CTL_BLOCK_FILE_CSV] = { "iocsift.csv", CFG_EXPORT_CSV },
};

const char *
ctl_block_file_name(enum ctl_block_file file)
{
	return block_files[file].name;
}

enum cfg_export_format
ctl_block_file_format(enum ctl_block_file file)
{
	return block_files[file].format;
}

/* ---- selection ----------------------------------------------------------- */

/* name is one of the comma-separated names of list. */
static bool
feed_listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *s = list; *s != '\0';) {
		const char *comma = strchr(s, ',');
		size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);

		if (n == len && memcmp(s, name, n) == 0)
			return true;
		s += n + (comma != NULL);
	}
	return false;
}

bool
ctl_block_wanted(const struct pat_indicator *ind, enum cfg_export_format f,
		 const struct cfg_export_filter *filter, int64_t now)
{
	uint32_t types = cfg_export_format_types(f);

	if (ind->expires != 0 && ind->expires <= now)
		return false;
	if (filter != NULL && filter->line != 0 && filter->types != 0)
		types &= filter->types;
	if ((unsigned int)ind->type >= 32 || !(types & (1u << ind->type)))
		return false;
	if (filter == NULL || filter->line == 0)
		return true;
	if (filter->feeds[0] != '\0' && !feed_listed(filter->feeds, ind->feed))
		return false;
	return filter->min_severity == 0 ||
	       ind->severity >= filter->min_severity;
}

int
ctl_block_selection_add(struct ctl_block_selection *sel,
			const struct pat_indicator *ind)
{
	if (sel->n == sel->capacity) {
		size_t cap = sel->capacity == 0 ? 1024 : sel->capacity * 2;
		const struct pat_indicator **grown =
			realloc(sel->items, cap * sizeof(*grown));

		if (grown == NULL)
			return -ENOMEM;
		sel->items = grown;
		sel->capacity = cap;
	}
	sel->items[sel->n++] = ind;
	return 0;
}

int
ctl_block_select(const struct pat_set *set,
		 const struct ctl_block_order *order, enum cfg_export_format f,
		 const struct cfg_export_filter *filter,
		 const struct ctl_allow_list *allow, int64_t now,
		 struct ctl_block_selection *sel)
{
	size_t limit = order != NULL ? order->n : pat_set_id_limit(set);

	sel->n = 0;
	sel->allowed = 0;
	sel->domains_sorted = order != NULL;
	for (size_t i = 0; i < limit; i++) {
		uint32_t id = order != NULL ? order->ids[i] : (uint32_t)i;
		const struct pat_indicator *ind = pat_set_live_indicator(set, id);

		if (ind == NULL || !ctl_block_wanted(ind, f, filter, now))
			continue;
		if (ctl_allow_covers(allow, ind)) {
			sel->allowed++;
			continue;
		}
		if (ctl_block_selection_add(sel, ind) != 0)
			return -ENOMEM;
	}
	return 0;
}

void
ctl_block_selection_free(struct ctl_block_selection *sel)
{
	free(sel->items);
	*sel = (struct ctl_block_selection){ 0 };
}

/* ---- domains ------------------------------------------------------------- */

struct name_ref {
	const char *name;
	size_t len;
	const char *key;     /* the name backwards, '.' as 0x01 */
};

/* By key: from the name's last character back, '.' lowest, so a name
 * comes right before its subdomains, and they follow it without a gap
 * ("a.b" < "x.a.b" < "x-a.b"). */
static int
name_compare(const void *a, const void *b)
{
	return strcmp(((const struct name_ref *)a)->key,
		      ((const struct name_ref *)b)->key);
}

/* parent.len < name.len and name ends in "." parent. */
static bool
name_is_under(const struct name_ref *name, const struct name_ref *parent)
{
	return name->len > parent->len &&
	       name->name[name->len - parent->len - 1] == '.' &&
	       memcmp(name->name + name->len - parent->len, parent->name,
		      parent->len) == 0;
}

/* A host name a resolver, a proxy and a hosts file all take. */
static bool
name_valid(const char *name, size_t len, size_t max)
{
	size_t label = 0;

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_') {
			if (++label > LABEL_MAX)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* The selection's domains, valid, sorted, without repeats and, when
 * drop_covered, without those under another: *n of them, in a new
 * array whose keys live in *keys (both freed by the caller; NULL with
 * -ENOMEM). */
static struct name_ref *
names_prepare(const struct ctl_block_selection *sel, size_t max,
	      bool drop_covered, size_t *n, char **keys,
	      struct ctl_block_file_counts *c)
{
	struct name_ref *names = malloc((sel->n + 1) * sizeof(*names));
	size_t count = 0, out = 0, key_bytes = 0;

	*keys = NULL;
	if (names == NULL)
		return NULL;
	for (size_t i = 0; i < sel->n; i++) {
		const struct pat_indicator *ind = sel->items[i];
		size_t len;

		if (ind->type != PAT_TYPE_DOMAIN)
			continue;
		len = strlen(ind->value);
		if (!name_valid(ind->value, len, max)) {
			c->skipped++;
			continue;
		}
		names[count++] = (struct name_ref){ ind->value, len, NULL };
		key_bytes += len + 1;
	}
	if (sel->domains_sorted)
		key_bytes = 0;    /* in key order already */
	char *key = *keys = malloc(key_bytes + 1);
	if (key == NULL) {
		free(names);
		return NULL;
	}
	for (size_t i = 0; !sel->domains_sorted && i < count; i++) {
		names[i].key = key;
		for (size_t j = names[i].len; j > 0; j--) {
			char ch = names[i].name[j - 1];

			*key++ = ch == '.' ? '\x01' : ch;
		}
		*key++ = '\0';
	}
	if (!sel->domains_sorted)
		qsort(names, count, sizeof(names[0]), name_compare);
	for (size_t i = 0; i < count; i++) {
		if (out > 0 && names[i].len == names[out - 1].len &&
		    memcmp(names[i].name, names[out - 1].name,
			   names[i].len) == 0)
			continue;      /* the same name from another feed */
		if (drop_covered && out > 0 &&
		    name_is_under(&names[i], &names[out - 1])) {
			c->skipped++;
			continue;
		}
		names[out++] = names[i];
	}
	*n = out;
	return names;
}

struct order_entry {
	const char *key;
	uint32_t id;
};

static int
order_compare(const void *a, const void *b)
{
	return strcmp(((const struct order_entry *)a)->key,
		      ((const struct order_entry *)b)->key);
}

int
ctl_block_order_build(const struct pat_set *set, struct ctl_block_order *order)
{
	uint32_t limit = pat_set_id_limit(set);
	size_t n_domains = 0, d = 0, n = 0, key_bytes = 0;
	struct order_entry *domains = NULL;
	char *keys = NULL, *key;

	order->n = 0;
	order->ids = malloc(((size_t)limit + 1) * sizeof(order->ids[0]));
	if (order->ids == NULL)
		return -ENOMEM;
	for (uint32_t id = 0; id < limit; id++) {
		const struct pat_indicator *ind = pat_set_live_indicator(set, id);

		if (ind != NULL && ind->type == PAT_TYPE_DOMAIN) {
			n_domains++;
			key_bytes += strlen(ind->value) + 1;
		}
	}
	domains = malloc((n_domains + 1) * sizeof(*domains));
	key = keys = malloc(key_bytes + 1);
	if (domains == NULL || keys == NULL)
		goto no_memory;
	for (uint32_t id = 0; id < limit; id++) {
		const struct pat_indicator *ind = pat_set_live_indicator(set, id);

		if (ind == NULL)
			continue;
		if (ind->type != PAT_TYPE_DOMAIN) {
			order->ids[n_domains + n++] = id;
			continue;
		}
		domains[d++] = (struct order_entry){ key, id };
		for (size_t j = strlen(ind->value); j > 0; j--) {
			char ch = ind->value[j - 1];

			*key++ = ch == '.' ? '\x01' : ch;
		}
		*key++ = '\0';
	}
	qsort(domains, n_domains, sizeof(domains[0]), order_compare);
	for (size_t i = 0; i < n_domains; i++)
		order->ids[i] = domains[i].id;
	order->n = n_domains + n;
	free(domains);
	free(keys);
	return 0;
no_memory:
	free(domains);
	free(keys);
	ctl_block_order_free(order);
	return -ENOMEM;
}

void
ctl_block_order_free(struct ctl_block_order *order)
{
	free(order->ids);
	order->ids = NULL;
	order->n = 0;
}

/* ---- addresses ------------------------------------------------------------ */

static void
addr_print(FILE *out, int family, const uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
	fputs(text, out);
}

/* ADDRESS, ADDRESS/LEN when the range is a network, else FIRST-LAST. */
static void
range_print(FILE *out, const struct ctl_addr_range *r)
{
	unsigned int bits = r->family == 4 ? 32 : 128, prefix = 0;
	struct ctl_addr_range net;

	while (prefix < bits) {
		unsigned int byte = prefix / 8, shift = 7 - prefix % 8;

		if (((r->first[byte] >> shift) & 1) !=
		    ((r->last[byte] >> shift) & 1))
			break;
		prefix++;
	}
	ctl_addr_range_of(r->family, r->first, prefix, &net);
	addr_print(out, r->family, r->first);
	if (memcmp(net.first, r->first, 16) == 0 &&
	    memcmp(net.last, r->last, 16) == 0) {
		if (prefix < bits)
			fprintf(out, "/%u", prefix);
		return;
	}
	fputc('-', out);
	addr_print(out, r->family, r->last);
}

static void
nft_set_write(FILE *out, const char *set, const char *type,
	      const struct ctl_addr_range *ranges, size_t n)
{
	fprintf(out, "add set %s %s { type %s; flags interval; auto-merge; }\n"
		"flush set %s %s\n", CTL_BLOCK_NFT_TABLE, set, type,
		CTL_BLOCK_NFT_TABLE, set);
	if (n == 0)
		return;
	fprintf(out, "add element %s %s {\n", CTL_BLOCK_NFT_TABLE, set);
	for (size_t i = 0; i < n; i++) {
		fputc('\t', out);
		range_print(out, &ranges[i]);
		fputs(i + 1 < n ? ",\n" : "\n", out);
	}
	fputs("}\n", out);
}

static int
nftables_write(FILE *out, const struct ctl_block_selection *sel,
	       uint64_t version, struct ctl_block_file_counts *c)
{
	struct ctl_addr_range *ranges = malloc((sel->n + 1) * sizeof(*ranges));
	size_t n = 0, v4 = 0;

	if (ranges == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sel->n; i++) {
		const struct pat_indicator *ind = sel->items[i];

		if (ind->type == PAT_TYPE_IPV4 || ind->type == PAT_TYPE_IPV6)
			ctl_addr_range_of(ind->type == PAT_TYPE_IPV4 ? 4 : 6,
					  ind->addr, ind->prefix_len,
					  &ranges[n++]);
	}
	n = ctl_addr_ranges_merge(ranges, n);
	while (v4 < n && ranges[v4].family == 4)
		v4++;
	fprintf(out, "# iocsift block list, database version %lu: load with "
		"nft -f (docs/exports.md)\nadd table %s\n",
		(unsigned long)version, CTL_BLOCK_NFT_TABLE);
	nft_set_write(out, CTL_BLOCK_NFT_SET_IPV4, "ipv4_addr", ranges, v4);
	nft_set_write(out, CTL_BLOCK_NFT_SET_IPV6, "ipv6_addr", ranges + v4,
		      n - v4);
	c->entries = n;
	free(ranges);
	return 0;
}

/* ---- the domain formats ---------------------------------------------------- */

static int
domains_write(enum ctl_block_file file, FILE *out,
	      const struct ctl_block_selection *sel, uint64_t version,
	      struct ctl_block_file_counts *c)
{
	bool rpz = file == CTL_BLOCK_FILE_RPZ;
	bool covered = rpz || file == CTL_BLOCK_FILE_SQUID;
	size_t n;
	char *keys;
	struct name_ref *names = names_prepare(sel, rpz ?
					       CTL_BLOCK_RPZ_NAME_MAX :
					       DOMAIN_MAX, covered, &n, &keys, c);

	if (names == NULL)
		return -ENOMEM;
	switch (file) {
	case CTL_BLOCK_FILE_SQUID:
		fprintf(out, "# iocsift block list, database version %lu: a "
			"squid dstdomain ACL file\n", (unsigned long)version);
		for (size_t i = 0; i < n; i++) {
			fputc('.', out);
			fwrite(names[i].name, 1, names[i].len, out);
			fputc('\n', out);
		}
		break;
	case CTL_BLOCK_FILE_RPZ:
		/* The serial is the version (RFC 1982 arithmetic wraps at
		 * 2^32). Names are relative to the zone's origin. */
		fprintf(out, "; iocsift block list, database version %lu: a "
			"response policy zone (docs/exports.md)\n"
			"$TTL 300\n"
			"@ IN SOA localhost. hostmaster.localhost. "
			"%lu 3600 600 86400 300\n"
			"@ IN NS localhost.\n", (unsigned long)version,
			(unsigned long)(version & 0xffffffffu));
		for (size_t i = 0; i < n; i++) {
			fwrite(names[i].name, 1, names[i].len, out);
			fputs(" CNAME .\n*.", out);
			fwrite(names[i].name, 1, names[i].len, out);
			fputs(" CNAME .\n", out);
		}
		break;
	case CTL_BLOCK_FILE_HOSTS:
		fprintf(out, "# iocsift block list, database version %lu\n",
			(unsigned long)version);
		for (size_t i = 0; i < n; i++) {
			fputs("0.0.0.0 ", out);
			fwrite(names[i].name, 1, names[i].len, out);
			fputc('\n', out);
		}
		break;
	default:   /* CTL_BLOCK_FILE_SURICATA_DOMAINS */
		for (size_t i = 0; i < n; i++) {
			char encoded[(DOMAIN_MAX + 2) / 3 * 4 + 2];

			size_t len = base64_encode(
				(const unsigned char *)names[i].name,
				names[i].len, encoded);

			encoded[len] = '\n';
			fwrite(encoded, 1, len + 1, out);
		}
		break;
	}
	c->entries = n;
	free(names);
	free(keys);
	return 0;
}

/* ---- Suricata's other datasets ------------------------------------------- */

static int
value_compare(const void *a, const void *b)
{
	const struct pat_indicator *x = *(const struct pat_indicator *const *)a;
	const struct pat_indicator *y = *(const struct pat_indicator *const *)b;

	return strcmp(x->value, y->value);
}

/* One value a line: digests as hex, addresses (no networks: Suricata's
 * ip datasets hold addresses) in text form; sorted, without repeats. */
static int
dataset_write(enum ctl_block_file file, FILE *out,
	      const struct ctl_block_selection *sel,
	      struct ctl_block_file_counts *c)
{
	enum pat_type type = file == CTL_BLOCK_FILE_SURICATA_MD5 ? PAT_TYPE_MD5 :
		file == CTL_BLOCK_FILE_SURICATA_SHA256 ? PAT_TYPE_SHA256 :
		file == CTL_BLOCK_FILE_SURICATA_IPV4 ? PAT_TYPE_IPV4 :
		PAT_TYPE_IPV6;
	unsigned int host = type == PAT_TYPE_IPV4 ? 32 : 128;
	const struct pat_indicator **items = malloc((sel->n + 1) *
						    sizeof(*items));
	const char *last = NULL;
	size_t n = 0;

	if (items == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sel->n; i++)
		if (sel->items[i]->type == type)
			items[n++] = sel->items[i];
	qsort(items, n, sizeof(items[0]), value_compare);
	for (size_t i = 0; i < n; i++) {
		const struct pat_indicator *ind = items[i];

		if ((type == PAT_TYPE_IPV4 || type == PAT_TYPE_IPV6) &&
		    ind->prefix_len != host) {
			c->skipped++;
			continue;
		}
		if (last != NULL && strcmp(last, ind->value) == 0)
			continue;
		last = ind->value;
		if (type == PAT_TYPE_IPV4 || type == PAT_TYPE_IPV6)
			addr_print(out, type == PAT_TYPE_IPV4 ? 4 : 6,
				   ind->addr);
		else
			fputs(ind->value, out);
		fputc('\n', out);
		c->entries++;
	}
	free(items);
	return 0;
}

/* ---- CSV ------------------------------------------------------------------- */

static void
csv_field(FILE *out, const char *s, bool last)
{
	bool quote = s[0] == ' ' || s[0] == '\t' ||
		     strpbrk(s, ",\"\r\n") != NULL ||
		     (s[0] != '\0' && (s[strlen(s) - 1] == ' ' ||
				       s[strlen(s) - 1] == '\t'));

	if (!quote) {
		fputs(s, out);
	} else {
		fputc('"', out);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s == '\r' || *s == '\n' ? ' ' : *s, out);
		}
		fputc('"', out);
	}
	fputc(last ? '\n' : ',', out);
}

static void
csv_time(FILE *out, int64_t t)
{
	struct tm tm;
	time_t when = (time_t)t;

	if (t != 0 && gmtime_r(&when, &tm) != NULL)
		fprintf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec);
	fputc(',', out);
}

/* With the header iocsift's CSV feed reader maps, so the file loads back
 * (docs/feeds.md; the feed column is for people, the reader skips it).
 * In the selection's order (the set's ids: not sorted, to keep a write
 * of a million rows short). */
static int
csv_write(FILE *out, const struct ctl_block_selection *sel,
	  struct ctl_block_file_counts *c)
{
	static const char *const severities[] = {
		"", "low", "medium", "high", "critical",
	};

	fputs("type,value,tags,source,severity,first_seen,expires,feed\n", out);
	for (size_t i = 0; i < sel->n; i++) {
		const struct pat_indicator *ind = sel->items[i];

		csv_field(out, pat_type_name(ind->type), false);
		csv_field(out, ind->value, false);
		csv_field(out, ind->tags, false);
		csv_field(out, ind->source, false);
		csv_field(out, ind->severity <= PAT_SEVERITY_CRITICAL ?
			  severities[ind->severity] : "", false);
		csv_time(out, ind->first_seen);
		csv_time(out, ind->expires);
		csv_field(out, ind->feed, true);
	}
	c->entries = sel->n;
	return 0;
}

int
ctl_block_file_write(enum ctl_block_file file, FILE *out,
		     const struct ctl_block_selection *sel, uint64_t version,
		     struct ctl_block_file_counts *counts)
{
	int rc;

	*counts = (struct ctl_block_file_counts){ 0 };
	switch (file) {
	case CTL_BLOCK_FILE_NFTABLES:
		rc = nftables_write(out, sel, version, counts);
		break;
	case CTL_BLOCK_FILE_SQUID:
	case CTL_BLOCK_FILE_RPZ:
	case CTL_BLOCK_FILE_HOSTS:
	case CTL_BLOCK_FILE_SURICATA_DOMAINS:
		rc = domains_write(file, out, sel, version, counts);
		break;
	case CTL_BLOCK_FILE_SURICATA_MD5:
	case CTL_BLOCK_FILE_SURICATA_SHA256:
	case CTL_BLOCK_FILE_SURICATA_IPV4:
	case CTL_BLOCK_FILE_SURICATA_IPV6:
		rc = dataset_write(file, out, sel, counts);
		break;
	case CTL_BLOCK_FILE_CSV:
		rc = csv_write(out, sel, counts);
		break;
	default:
		return -EINVAL;
	}
	if (rc == 0 && ferror(out))
		rc = -EIO;
	return rc;
}

/* ---- atomic files ---------------------------------------------------------- */

static int
file_write_atomic(const char *dir, enum ctl_block_file file,
		  const struct ctl_block_selection *sel, uint64_t version,
		  struct ctl_block_file_counts *counts, struct error_detail *err)
{
	char path[CFG_PATH_MAX + 64], temp[CFG_PATH_MAX + 64];
	const char *name = ctl_block_file_name(file);
	int fd, rc;
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(temp, sizeof(temp), "%s/.%s.tmp", dir, name);
	fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		error_detail_set(err, temp, 0, "%s", strerror(errno));
		return rc;
	}
	/* Read by other daemons (named, squid): not the umask's call. */
	if (fchmod(fd, 0644) != 0 || (out = fdopen(fd, "w")) == NULL) {
		rc = -errno;
		error_detail_set(err, temp, 0, "%s", strerror(errno));
		close(fd);
		goto remove_temp;
	}
	setvbuf(out, NULL, _IOFBF, WRITE_BUFFER);
	__fsetlocking(out, FSETLOCKING_BYCALLER);   /* one thread writes it */
	rc = ctl_block_file_write(file, out, sel, version, counts);
	if (rc == -ENOMEM) {
		error_detail_set(err, path, 0, "out of memory");
		fclose(out);
		goto remove_temp;
	}
	if (fflush(out) != 0 || ferror(out) || fsync(fd) != 0) {
		rc = errno != 0 ? -errno : -EIO;
		error_detail_set(err, temp, 0, "%s", strerror(-rc));
		fclose(out);
		goto remove_temp;
	}
	if (fclose(out) != 0) {
		rc = -errno;
		error_detail_set(err, temp, 0, "%s", strerror(errno));
		goto remove_temp;
	}
	if (rename(temp, path) != 0) {
		rc = -errno;
		error_detail_set(err, path, 0, "%s", strerror(errno));
		goto remove_temp;
	}
	return 0;
remove_temp:
	unlink(temp);
	return rc;
}

int
ctl_block_write_format(const char *dir, enum cfg_export_format f,
		       const struct ctl_block_selection *sel, uint64_t version,
		       struct ctl_block_file_counts counts[CTL_BLOCK_FILES],
		       struct error_detail *err)
{
	int rc = 0;

	for (unsigned int i = 0; i < CTL_BLOCK_FILES && rc == 0; i++) {
		if (block_files[i].format != f)
			continue;
		errno = 0;
		rc = file_write_atomic(dir, (enum ctl_block_file)i, sel, version,
				       &counts[i], err);
	}
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd >= 0) {
		fsync(dir_fd);    /* the renames: best effort */
		close(dir_fd);
	}
	return rc;
}
