/* test_block_lists.c -- the export allow-list (allow_list.c) and the
 * block-list formats (block_lists.c): what each file holds for a known
 * selection, the filters, the allow-list's parser and its errors, and
 * the atomic write that leaves the previous file when it fails. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "allow_list.h"
#include "block_lists.h"
#include "feed.h"

/* ---- helpers ------------------------------------------------------------ */

static struct pat_indicator
indicator(enum pat_type type, const char *value)
{
	struct pat_indicator ind = {
		.type = type, .value = value, .tags = "", .source = "",
		.feed = "intel",
	};

	if (type == PAT_TYPE_IPV4 || type == PAT_TYPE_IPV6) {
		char addr[64];
		const char *slash = strchr(value, '/');
		size_t n = slash != NULL ? (size_t)(slash - value) : strlen(value);
		struct ctl_addr_range r;

		snprintf(addr, sizeof(addr), "%.*s", (int)n, value);
		assert_int_equal(inet_pton(type == PAT_TYPE_IPV4 ? AF_INET :
					   AF_INET6, addr, ind.addr), 1);
		ind.prefix_len = (uint8_t)(slash != NULL ? atoi(slash + 1) :
					   type == PAT_TYPE_IPV4 ? 32 : 128);
		ctl_addr_range_of(type == PAT_TYPE_IPV4 ? 4 : 6, ind.addr,
				  ind.prefix_len, &r);
		assert_memory_equal(r.first, ind.addr, 16);
	}
	return ind;
}

/* The text file of the selection of items. */
static char *
render(enum ctl_block_file file, const struct pat_indicator *items, size_t n,
       uint64_t version, struct ctl_block_file_counts *counts)
{
	struct ctl_block_selection sel = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ctl_block_selection_add(&sel, &items[i]), 0);
	assert_int_equal(ctl_block_file_write(file, out, &sel, version, counts),
			 0);
	fclose(out);
	ctl_block_selection_free(&sel);
	return text;
}

static void
allow_from(struct ctl_allow_list *allow, const char *text)
{
	struct error_detail err = { 0 };

	if (ctl_allow_parse(allow, "allow.txt", text, strlen(text), &err) != 0)
		fail_msg("%s:%u: %s", err.where, err.line, err.message);
}

static void
allow_error(const char *text, unsigned int line, const char *message)
{
	struct ctl_allow_list allow;
	struct error_detail err = { 0 };

	assert_int_equal(ctl_allow_parse(&allow, "allow.txt", text,
					 strlen(text), &err), -EINVAL);
	assert_string_equal(err.where, "allow.txt");
	assert_int_equal(err.line, line);
	assert_string_equal(err.message, message);
	assert_null(allow.domains);
}

/* ---- the allow-list ------------------------------------------------------ */

static void
test_allow_covers(void **state)
{
	struct ctl_allow_list allow;
	(void)state;

	allow_from(&allow, "# our own names\n"
		   "corp.example   # and every subdomain\n"
		   "*.Partner.TEST\n"
		   "mail.shop.example.\n"
		   "10.0.0.0/8\n"
		   "192.0.2.7\n"
		   "\n"
		   "2001:db8:abcd::/48\r\n");
	assert_int_equal(allow.n_domains, 3);
	assert_int_equal(allow.n_ranges, 3);
	struct {
		enum pat_type type;
		const char *value;
		bool covered;
	} cases[] = {
		{ PAT_TYPE_DOMAIN, "corp.example", true },
		{ PAT_TYPE_DOMAIN, "vpn.corp.example", true },
		{ PAT_TYPE_DOMAIN, "a.b.corp.example", true },
		{ PAT_TYPE_DOMAIN, "evilcorp.example", false },
		{ PAT_TYPE_DOMAIN, "partner.test", true },
		/* A parent of an allowed name: blocking it blocks the name. */
		{ PAT_TYPE_DOMAIN, "shop.example", true },
		{ PAT_TYPE_DOMAIN, "example", true },
		{ PAT_TYPE_DOMAIN, "www.shop.example", false },
		{ PAT_TYPE_IPV4, "10.1.2.3", true },
		{ PAT_TYPE_IPV4, "0.0.0.0/0", true },
		{ PAT_TYPE_IPV4, "11.0.0.0/8", false },
		{ PAT_TYPE_IPV4, "192.0.2.0/24", true },
		{ PAT_TYPE_IPV4, "192.0.2.8", false },
		{ PAT_TYPE_IPV4, "9.255.255.255", false },
		{ PAT_TYPE_IPV6, "2001:db8:abcd:1::1", true },
		{ PAT_TYPE_IPV6, "2001:db8::/32", true },
		{ PAT_TYPE_IPV6, "2001:db8:abce::1", false },
		{ PAT_TYPE_MD5, "0eeb1c0133eb4d571178b2d9d14ce3e9", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pat_indicator ind = indicator(cases[i].type,
						     cases[i].value);

		if (ctl_allow_covers(&allow, &ind) != cases[i].covered)
			fail_msg("%s: expected %s", cases[i].value,
				 cases[i].covered ? "covered" : "not covered");
	}
	ctl_allow_free(&allow);
	struct pat_indicator ind = indicator(PAT_TYPE_DOMAIN, "corp.example");
	assert_false(ctl_allow_covers(NULL, &ind));
}

static void
test_allow_errors(void **state)
{
	(void)state;
	allow_error("ok.example\nbad name\n", 2,
		    "one entry a line, not 'bad name'");
	allow_error("a..example\n", 1, "empty label in domain name: 'a..example'");
	allow_error("\n\nex@mple.com\n", 3,
		    "expected a domain name, an address or a network: "
		    "'ex@mple.com'");
	allow_error("10.0.0.1/8\n", 1, "host bits set in network: '10.0.0.1/8'");
	allow_error("10.0.0.0/33\n", 1, "prefix length over 32: '10.0.0.0/33'");
	allow_error("2001:db8::/129\n", 1,
		    "prefix length over 128: '2001:db8::/129'");
	allow_error("10.0.0.0/\n", 1,
		    "expected a prefix length after '/': '10.0.0.0/'");
	allow_error("300.1.2.3\n", 1, "not an address: '300.1.2.3'");
	allow_error("b\xc3\xa4r.example\n", 1,
		    "not ASCII: write the name in punycode (xn--): "
		    "'b??r.example'");
	allow_error("*.\n", 1, "empty domain name: '*.'");
	allow_error("x..\n", 1, "empty label in domain name: 'x..'");
	char label[80];
	memset(label, 'a', 64);
	snprintf(label + 64, sizeof(label) - 64, ".example\n");
	allow_error(label, 1, "label longer than 63 bytes: "
		    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaa...'");
	const char nul[] = "a.example\nb\0c\n";
	struct ctl_allow_list allow;
	struct error_detail err = { 0 };
	assert_int_equal(ctl_allow_parse(&allow, "allow.txt", nul,
					 sizeof(nul) - 1, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.message, "NUL byte in line");
	/* An empty file allows nothing. */
	allow_from(&allow, "");
	assert_int_equal(allow.n_domains + allow.n_ranges, 0);
	ctl_allow_free(&allow);
	assert_int_equal(ctl_allow_load(&allow, "/nonexistent/allow.txt", &err),
			 -ENOENT);
	assert_string_equal(err.where, "/nonexistent/allow.txt");
}

static void
test_ranges_merge(void **state)
{
	struct ctl_addr_range r[5];
	struct pat_indicator a = indicator(PAT_TYPE_IPV4, "255.255.255.0/24");
	struct pat_indicator b = indicator(PAT_TYPE_IPV4, "255.255.255.255");
	struct pat_indicator c = indicator(PAT_TYPE_IPV4, "10.0.0.0/24");
	struct pat_indicator d = indicator(PAT_TYPE_IPV4, "10.0.1.0/24");
	struct pat_indicator e = indicator(PAT_TYPE_IPV6, "::/0");
	(void)state;

	ctl_addr_range_of(4, a.addr, a.prefix_len, &r[0]);
	ctl_addr_range_of(4, b.addr, b.prefix_len, &r[1]);
	ctl_addr_range_of(4, c.addr, c.prefix_len, &r[2]);
	ctl_addr_range_of(4, d.addr, d.prefix_len, &r[3]);
	ctl_addr_range_of(6, e.addr, e.prefix_len, &r[4]);
	assert_int_equal(ctl_addr_ranges_merge(r, 5), 3);
	assert_int_equal(r[0].family, 4);
	assert_int_equal(r[0].first[2], 0);
	assert_int_equal(r[0].last[2], 1);       /* adjacent: 10.0.0.0/23 */
	assert_int_equal(r[1].first[0], 255);    /* the last one, whole */
	assert_int_equal(r[2].family, 6);
}

/* ---- filters ---------------------------------------------------------------- */

static void
test_wanted(void **state)
{
	struct pat_indicator ind = indicator(PAT_TYPE_DOMAIN, "evil.example");
	struct cfg_export_filter filter = { .line = 1 };
	(void)state;

	assert_true(ctl_block_wanted(&ind, CFG_EXPORT_RPZ, NULL, 1000));
	assert_false(ctl_block_wanted(&ind, CFG_EXPORT_NFTABLES, NULL, 1000));
	assert_true(ctl_block_wanted(&ind, CFG_EXPORT_CSV, NULL, 1000));
	ind.expires = 1000;
	assert_false(ctl_block_wanted(&ind, CFG_EXPORT_RPZ, NULL, 1000));
	assert_true(ctl_block_wanted(&ind, CFG_EXPORT_RPZ, NULL, 999));
	ind.expires = 0;
	/* types= narrows what the format carries. */
	filter.types = 1u << PAT_TYPE_MD5;
	assert_false(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
	filter.types = 0;
	snprintf(filter.feeds, sizeof(filter.feeds), "3cx,intel2");
	assert_false(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
	snprintf(filter.feeds, sizeof(filter.feeds), "3cx,intel");
	assert_true(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
	filter.min_severity = PAT_SEVERITY_HIGH;
	assert_false(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
	ind.severity = PAT_SEVERITY_MEDIUM;
	assert_false(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
	ind.severity = PAT_SEVERITY_CRITICAL;
	assert_true(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
	/* A filter not given (line 0) filters nothing. */
	filter.line = 0;
	ind.severity = 0;
	assert_true(ctl_block_wanted(&ind, CFG_EXPORT_CSV, &filter, 0));
}

/* ---- formats ---------------------------------------------------------------- */

static void
test_nftables(void **state)
{
	struct pat_indicator items[] = {
		indicator(PAT_TYPE_IPV4, "198.51.100.0/24"),
		indicator(PAT_TYPE_IPV4, "198.51.100.7"),    /* inside */
		indicator(PAT_TYPE_IPV4, "198.51.101.0/24"), /* adjacent */
		indicator(PAT_TYPE_IPV4, "198.51.102.0/24"), /* a range now */
		indicator(PAT_TYPE_IPV4, "203.0.113.9"),
		indicator(PAT_TYPE_IPV6, "2001:db8::/32"),
		indicator(PAT_TYPE_IPV6, "2001:db8:1::5"),
		indicator(PAT_TYPE_DOMAIN, "not.an.address"),
	};
	struct ctl_block_file_counts c;
	(void)state;

	char *text = render(CTL_BLOCK_FILE_NFTABLES, items, 8, 42, &c);
	assert_string_equal(text,
		"# iocsift block list, database version 42: load with nft -f "
		"(docs/exports.md)\n"
		"add table inet iocsift\n"
		"add set inet iocsift block_ipv4 { type ipv4_addr; flags "
		"interval; auto-merge; }\n"
		"flush set inet iocsift block_ipv4\n"
		"add element inet iocsift block_ipv4 {\n"
		"\t198.51.100.0-198.51.102.255,\n"
		"\t203.0.113.9\n"
		"}\n"
		"add set inet iocsift block_ipv6 { type ipv6_addr; flags "
		"interval; auto-merge; }\n"
		"flush set inet iocsift block_ipv6\n"
		"add element inet iocsift block_ipv6 {\n"
		"\t2001:db8::/32\n"
		"}\n");
	assert_int_equal(c.entries, 3);
	free(text);
	/* No address: the sets are made and emptied, no element added. */
	text = render(CTL_BLOCK_FILE_NFTABLES, items + 7, 1, 1, &c);
	assert_null(strstr(text, "add element"));
	assert_non_null(strstr(text, "flush set inet iocsift block_ipv6\n"));
	assert_int_equal(c.entries, 0);
	free(text);
}

static const char *const names[] = {
	"x-evil.example", "b.a.evil.example", "evil.example", "a.evil.example",
	"evil.example", "other.test", "bad_name.test", "UPPER.test",
};

static void
names_as_items(struct pat_indicator *items)
{
	for (size_t i = 0; i < 8; i++)
		items[i] = indicator(PAT_TYPE_DOMAIN, names[i]);
}

static void
test_domain_formats(void **state)
{
	struct pat_indicator items[9];
	struct ctl_block_file_counts c;
	char *text;
	(void)state;

	names_as_items(items);
	items[8] = indicator(PAT_TYPE_IPV4, "192.0.2.1");
	/* Squid: a subdomain of a listed name is left out (squid warns);
	 * one repeated from another feed once; not a host name: left out. */
	text = render(CTL_BLOCK_FILE_SQUID, items, 9, 5, &c);
	assert_string_equal(text,
		"# iocsift block list, database version 5: a squid dstdomain "
		"ACL file\n"
		".evil.example\n"
		".x-evil.example\n"
		".bad_name.test\n"
		".other.test\n");
	assert_int_equal(c.entries, 4);
	assert_int_equal(c.skipped, 3);   /* two subdomains, UPPER */
	free(text);
	text = render(CTL_BLOCK_FILE_RPZ, items, 9, 0x100000007ull, &c);
	assert_string_equal(text,
		"; iocsift block list, database version 4294967303: a response "
		"policy zone (docs/exports.md)\n"
		"$TTL 300\n"
		"@ IN SOA localhost. hostmaster.localhost. 7 3600 600 86400 300\n"
		"@ IN NS localhost.\n"
		"evil.example CNAME .\n*.evil.example CNAME .\n"
		"x-evil.example CNAME .\n*.x-evil.example CNAME .\n"
		"bad_name.test CNAME .\n*.bad_name.test CNAME .\n"
		"other.test CNAME .\n*.other.test CNAME .\n");
	free(text);
	/* Hosts: no wildcards, so the subdomains stay. */
	text = render(CTL_BLOCK_FILE_HOSTS, items, 9, 5, &c);
	assert_string_equal(text,
		"# iocsift block list, database version 5\n"
		"0.0.0.0 evil.example\n"
		"0.0.0.0 a.evil.example\n"
		"0.0.0.0 b.a.evil.example\n"
		"0.0.0.0 x-evil.example\n"
		"0.0.0.0 bad_name.test\n"
		"0.0.0.0 other.test\n");
	assert_int_equal(c.entries, 6);
	assert_int_equal(c.skipped, 1);
	free(text);
}

static void
test_rpz_name_limit(void **state)
{
	char long_name[CTL_BLOCK_RPZ_NAME_MAX + 2];
	struct pat_indicator items[2];
	struct ctl_block_file_counts c;
	(void)state;

	/* 201 bytes: labels of 49 and dots. */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	for (size_t i = 49; i < sizeof(long_name) - 1; i += 50)
		long_name[i] = '.';
	items[0] = indicator(PAT_TYPE_DOMAIN, long_name);
	items[1] = indicator(PAT_TYPE_DOMAIN, long_name + 1);  /* 200 */
	char *text = render(CTL_BLOCK_FILE_RPZ, items, 2, 1, &c);
	assert_int_equal(c.entries, 1);
	assert_int_equal(c.skipped, 1);
	free(text);
	text = render(CTL_BLOCK_FILE_HOSTS, items, 2, 1, &c);
	assert_int_equal(c.entries, 2);
	free(text);
}

static void
test_suricata(void **state)
{
	struct pat_indicator items[] = {
		indicator(PAT_TYPE_DOMAIN, "evil.example"),
		indicator(PAT_TYPE_DOMAIN, "a.evil.example"),
		indicator(PAT_TYPE_MD5, "0eeb1c0133eb4d571178b2d9d14ce3e9"),
		indicator(PAT_TYPE_MD5, "0eeb1c0133eb4d571178b2d9d14ce3e9"),
		indicator(PAT_TYPE_SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf"
			  "4f1b2b0b822cd15d6c15b0f00a08"),
		indicator(PAT_TYPE_IPV4, "192.0.2.1"),
		indicator(PAT_TYPE_IPV4, "192.0.2.0/24"),
		indicator(PAT_TYPE_IPV6, "2001:db8::1"),
	};
	struct ctl_block_file_counts c;
	char *text;
	(void)state;

	text = render(CTL_BLOCK_FILE_SURICATA_DOMAINS, items, 8, 1, &c);
	assert_string_equal(text, "ZXZpbC5leGFtcGxl\nYS5ldmlsLmV4YW1wbGU=\n");
	free(text);
	text = render(CTL_BLOCK_FILE_SURICATA_MD5, items, 8, 1, &c);
	assert_string_equal(text, "0eeb1c0133eb4d571178b2d9d14ce3e9\n");
	assert_int_equal(c.entries, 1);
	free(text);
	text = render(CTL_BLOCK_FILE_SURICATA_SHA256, items, 8, 1, &c);
	assert_string_equal(text, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b"
			    "822cd15d6c15b0f00a08\n");
	free(text);
	/* Addresses only: Suricata's ip datasets hold no networks. */
	text = render(CTL_BLOCK_FILE_SURICATA_IPV4, items, 8, 1, &c);
	assert_string_equal(text, "192.0.2.1\n");
	assert_int_equal(c.skipped, 1);
	free(text);
	text = render(CTL_BLOCK_FILE_SURICATA_IPV6, items, 8, 1, &c);
	assert_string_equal(text, "2001:db8::1\n");
	free(text);
}

static void
test_csv(void **state)
{
	struct pat_indicator items[] = {
		indicator(PAT_TYPE_URL, "http://evil.example/a,b"),
		indicator(PAT_TYPE_DOMAIN, "evil.example"),
	};
	struct ctl_block_file_counts c;
	(void)state;

	items[0].tags = "c2,3cx";
	items[0].source = "say \"hi\"";
	items[1].severity = PAT_SEVERITY_HIGH;
	items[1].first_seen = 1680048000;
	items[1].expires = 1696032000;
	items[1].feed = "3cx";
	char *text = render(CTL_BLOCK_FILE_CSV, items, 2, 1, &c);
	assert_string_equal(text,
		"type,value,tags,source,severity,first_seen,expires,feed\n"
		"url,\"http://evil.example/a,b\",\"c2,3cx\",\"say \"\"hi\"\"\","
		",,,intel\n"
		"domain,evil.example,,,high,2023-03-29T00:00:00Z,"
		"2023-09-30T00:00:00Z,3cx\n");
	assert_int_equal(c.entries, 2);
	free(text);
}

/* ---- a set, and the files ------------------------------------------------- */

static void
test_select_and_write(void **state)
{
	const char *csv = "type,value,severity,expires\n"
			  "domain,evil.example,high,\n"
			  "domain,corp.example,high,\n"
			  "domain,old.example,high,2001-01-01\n"
			  "ipv4,198.51.100.0/24,low,\n"
			  "md5,0eeb1c0133eb4d571178b2d9d14ce3e9,,\n";
	struct pat_feed feed;
	struct error_detail err = { 0 };
	(void)state;

	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "intel", "intel.csv", csv,
					strlen(csv), PAT_FEED_CSV, &err), 0);
	const struct pat_feed *feeds[] = { &feed };
	struct pat_set *set = pat_set_build(feeds, 1, 1, 9, &err);
	assert_non_null(set);
	pat_feed_free(&feed);

	struct ctl_allow_list allow;
	struct ctl_block_selection sel = { 0 };
	allow_from(&allow, "corp.example\n");
	assert_int_equal(ctl_block_select(set, NULL, CFG_EXPORT_RPZ, NULL, &allow,
					  1700000000, &sel), 0);
	assert_int_equal(sel.n, 1);     /* not corp (allowed), not old */
	assert_int_equal(sel.allowed, 1);
	assert_string_equal(sel.items[0]->value, "evil.example");

	char dir[] = "/tmp/test_block_lists.XXXXXX";
	char path[256], temp[256];
	struct ctl_block_file_counts counts[CTL_BLOCK_FILES] = { 0 };
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ctl_block_write_format(dir, CFG_EXPORT_RPZ, &sel, 9,
						counts, &err), 0);
	assert_int_equal(counts[CTL_BLOCK_FILE_RPZ].entries, 1);
	snprintf(path, sizeof(path), "%s/iocsift.rpz", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	off_t size = st.st_size;

	/* The temporary file cannot be made (a directory in its way, as
	 * root too): an error naming it, and the previous file stays. */
	snprintf(temp, sizeof(temp), "%s/.iocsift.rpz.tmp", dir);
	assert_int_equal(mkdir(temp, 0700), 0);
	sel.n = 0;
	assert_int_equal(ctl_block_write_format(dir, CFG_EXPORT_RPZ, &sel, 10,
						counts, &err), -EISDIR);
	assert_string_equal(err.where, temp);
	assert_string_equal(err.message, "Is a directory");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, size);
	rmdir(temp);

	/* Suricata writes its five files. */
	assert_int_equal(ctl_block_select(set, NULL, CFG_EXPORT_SURICATA, NULL, NULL,
					  1700000000, &sel), 0);
	assert_int_equal(ctl_block_write_format(dir, CFG_EXPORT_SURICATA, &sel,
						9, counts, &err), 0);
	assert_int_equal(counts[CTL_BLOCK_FILE_SURICATA_MD5].entries, 1);
	assert_int_equal(counts[CTL_BLOCK_FILE_SURICATA_DOMAINS].entries, 2);
	for (unsigned int i = 0; i < CTL_BLOCK_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 ctl_block_file_name(i));
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
	ctl_block_selection_free(&sel);
	ctl_allow_free(&allow);
	pat_set_free(set);
}

/* Picked in a ctl_block_order (the domains sorted once for every
 * format), the files are the same as picked by id and sorted by each. */
static void
test_order(void **state)
{
	const char *csv = "type,value\n"
			  "domain,x-evil.example\ndomain,b.a.evil.example\n"
			  "md5,0eeb1c0133eb4d571178b2d9d14ce3e9\n"
			  "domain,evil.example\ndomain,zz.test\n"
			  "domain,a.evil.example\nipv4,192.0.2.1\n"
			  "domain,other.test\ndomain,example\n";
	struct pat_feed feed;
	struct error_detail err = { 0 };
	(void)state;

	pat_feed_init(&feed);
	assert_int_equal(pat_feed_parse(&feed, "intel", "intel.csv", csv,
					strlen(csv), PAT_FEED_CSV, &err), 0);
	const struct pat_feed *feeds[] = { &feed };
	struct pat_set *set = pat_set_build(feeds, 1, 1, 3, &err);
	assert_non_null(set);
	pat_feed_free(&feed);
	struct ctl_block_order order;
	assert_int_equal(ctl_block_order_build(set, &order), 0);
	assert_int_equal(order.n, 9);
	assert_string_equal(pat_set_live_indicator(set, order.ids[0])->value,
			    "example");
	for (unsigned int file = 0; file < CTL_BLOCK_FILES; file++) {
		enum cfg_export_format f = ctl_block_file_format(file);
		struct ctl_block_selection a = { 0 }, b = { 0 };
		struct ctl_block_file_counts ca, cb;
		char *ta = NULL, *tb = NULL;
		size_t la, lb;
		FILE *oa = open_memstream(&ta, &la), *ob = open_memstream(&tb, &lb);

		assert_int_equal(ctl_block_select(set, &order, f, NULL, NULL, 0,
						  &a), 0);
		assert_true(a.domains_sorted);
		assert_int_equal(ctl_block_select(set, NULL, f, NULL, NULL, 0,
						  &b), 0);
		assert_int_equal(ctl_block_file_write(file, oa, &a, 3, &ca), 0);
		assert_int_equal(ctl_block_file_write(file, ob, &b, 3, &cb), 0);
		fclose(oa);
		fclose(ob);
		if (f != CFG_EXPORT_CSV)    /* CSV: in the selection's order */
			assert_string_equal(ta, tb);
		assert_int_equal(ca.entries, cb.entries);
		assert_int_equal(ca.skipped, cb.skipped);
		free(ta);
		free(tb);
		ctl_block_selection_free(&a);
		ctl_block_selection_free(&b);
	}
	ctl_block_order_free(&order);
	pat_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_covers),
		cmocka_unit_test(test_allow_errors),
		cmocka_unit_test(test_ranges_merge),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_nftables),
		cmocka_unit_test(test_domain_formats),
		cmocka_unit_test(test_rpz_name_limit),
		cmocka_unit_test(test_suricata),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_select_and_write),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
