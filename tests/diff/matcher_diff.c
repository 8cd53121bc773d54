/* matcher_diff.c -- random feeds and near-miss messages; the fast matcher
 * against the reference. Values come from small pools so that messages
 * hold indicators, their parents, longer and shorter runs, other cases
 * and glued characters far more often than random text would. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "matcher_diff.h"
#include "pattern_set.h"
#include "reference_matcher.h"
#include "text_class.h"

#define NOW 2000000000          /* 2033-05-18: "now" for expiry */
#define TEXT_MAX 2048
#define CSV_MAX 16384
#define IDS_MAX 256

/* ---- choices ---- */

static uint32_t
next_byte(struct diff_source *src)
{
	if (src->data == NULL) {
		/* splitmix64 */
		uint64_t z = (src->state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return (uint32_t)((z ^ (z >> 31)) & 0xff);
	}
	return src->pos < src->len ? src->data[src->pos++] : 0;
}

/* A number below bound (bound <= 65536). */
static uint32_t
pick(struct diff_source *src, uint32_t bound)
{
	uint32_t v = next_byte(src);

	if (bound > 256)
		v = v << 8 | next_byte(src);
	return bound == 0 ? 0 : v % bound;
}

static bool
chance(struct diff_source *src, uint32_t one_in)
{
	return pick(src, one_in) == 0;
}

#define PICK(src, array) ((array)[pick(src, sizeof(array) / sizeof((array)[0]))])

/* ---- a growing string ---- */

struct text {
	char data[TEXT_MAX];
	size_t len;
};

static void
put(struct text *t, const void *bytes, size_t n)
{
	if (n > TEXT_MAX - t->len)
		n = TEXT_MAX - t->len;
	memcpy(t->data + t->len, bytes, n);
	t->len += n;
}

static void
put_str(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void
put_char(struct text *t, char c)
{
	put(t, &c, 1);
}

/* Any case, letter by letter. */
static void
put_any_case(struct diff_source *src, struct text *t, const char *s)
{
	for (; *s != '\0'; s++) {
		char c = *s;
		if (c >= 'a' && c <= 'z' && chance(src, 3))
			c = (char)(c - 32);
		else if (c >= 'A' && c <= 'Z' && chance(src, 3))
			c = (char)(c + 32);
		put_char(t, c);
	}
}

/* ---- pools ---- */

static const char *const labels[] = {
	"a", "b", "evil", "x-y", "x_y", "0", "10", "cdn", "com", "net", "ab",
	"1", "xn--bcher-kva",
};

static const uint8_t octets[] = { 0, 1, 2, 10, 127, 200, 255 };
static const uint16_t groups[] = { 0, 1, 0xdb8, 0x2001, 0xffff, 0xa };
static const char digest_chars[] = "ab01";
/* Names of name characters are looked up in a table, the others (space,
 * parentheses, UTF-8) searched for by Hyperscan: both kinds. */
static const char *const filenames[] = {
	"a.exe", "3CXDesktopApp.exe", "x", "b.dll", "a-b_c.txt", "ab", "evil.com",
	"my file.exe", "setup (1).msi", "\xc3\xa9t\xc3\xa9.dll", "a.",
};
static const char *const url_paths[] = {
	"/", "/x", "/x/", "/x/y", "/A", "/p?q=1", "/a.exe",
};
static const char *const regexes[] = {
	"evil[0-9]+", "user=ad(min|ministrator)", "a\\.c", "(?i)foo.bar",
	"x{2}b", "cdn\\.",
};
static const char *const regex_texts[] = {
	"evil42", "user=admin", "abc", "a.c", "FOO-bar", "xxb", "cdn.",
};
static const char run_chars[] = { 'a', '0', 'F', '.', 'x' };
/* What a DNS parser writes for bytes that are not plain label text. */
static const char *const name_oddities[] = {
	"\\046", "*", "\\\\", " ", "-",
};
static const char *const separators[] = {
	" ", ".", "..", "-", "_", ":", "::", "/", "\\", "=", "\"", "'", "[",
	"]", "(", ")", ",", "@", "\t", "\r\n", "#", "?", "%", "~", "<1>",
	"]:53", " - ", "\xc3\xa9", "\xff",
};

static void
gen_domain(struct diff_source *src, struct text *t)
{
	unsigned int n = 1 + pick(src, 3);

	for (unsigned int i = 0; i < n; i++) {
		if (i > 0)
			put_char(t, '.');
		put_str(t, PICK(src, labels));
	}
}

static void
gen_digest(struct diff_source *src, struct text *t, const char **type)
{
	static const struct { const char *type; size_t len; } kinds[] = {
		{ "md5", 32 }, { "sha1", 40 }, { "sha256", 64 },
	};
	unsigned int k = pick(src, 3);

	*type = kinds[k].type;
	for (size_t i = 0; i < kinds[k].len; i++)
		put_char(t, digest_chars[pick(src, 4)]);
}

static void
gen_ipv4(struct diff_source *src, uint8_t *addr)
{
	for (int i = 0; i < 4; i++)
		addr[i] = PICK(src, octets);
}

static void
gen_ipv6(struct diff_source *src, uint8_t *addr)
{
	for (int i = 0; i < 8; i++) {
		uint16_t g = PICK(src, groups);
		addr[2 * i] = (uint8_t)(g >> 8);
		addr[2 * i + 1] = (uint8_t)g;
	}
}

static void
mask_prefix(uint8_t *addr, unsigned int bytes, unsigned int prefix)
{
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int keep = prefix >= 8 * (i + 1) ? 8 :
			prefix > 8 * i ? prefix - 8 * i : 0;
		addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

/* One feed row: "type,value,expires". */
static void
gen_row(struct diff_source *src, struct text *csv, bool hyperscan)
{
	struct text v = { .len = 0 };
	const char *type = "domain";
	unsigned int kinds = hyperscan ? 9 : 6;
	char buf[64];

	switch (pick(src, kinds)) {
	case 0:
	case 1:
		gen_domain(src, &v);
		break;
	case 2: {
		uint8_t a[4];
		unsigned int prefix = chance(src, 2) ? 32 :
			(unsigned int)(uint8_t[]){ 0, 8, 16, 24, 25, 31 }[pick(src, 6)];
		gen_ipv4(src, a);
		mask_prefix(a, 4, prefix);
		inet_ntop(AF_INET, a, buf, sizeof(buf));
		put_str(&v, buf);
		if (prefix != 32) {
			snprintf(buf, sizeof(buf), "/%u", prefix);
			put_str(&v, buf);
		}
		type = "ipv4";
		break;
	}
	case 3: {
		uint8_t a[16];
		unsigned int prefix = chance(src, 2) ? 128 :
			(unsigned int)(uint8_t[]){ 0, 32, 48, 64, 127 }[pick(src, 5)];
		gen_ipv6(src, a);
		mask_prefix(a, 16, prefix);
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		put_str(&v, buf);
		if (prefix != 128) {
			snprintf(buf, sizeof(buf), "/%u", prefix);
			put_str(&v, buf);
		}
		type = "ipv6";
		break;
	}
	case 4:
	case 5:
		gen_digest(src, &v, &type);
		break;
	case 6:
		put_str(&v, PICK(src, filenames));
		type = "filename";
		break;
	case 7:
		if (chance(src, 3))
			put_str(&v, "https://");
		/* Hosts: a name (dotted ones in a table, the others for
		 * Hyperscan), with a port, an IPv4 address, an IPv6 one. */
		switch (pick(src, 6)) {
		case 0:
			gen_domain(src, &v);
			put_str(&v, ":8080");
			break;
		case 1: {
			uint8_t a[4];
			gen_ipv4(src, a);
			inet_ntop(AF_INET, a, buf, sizeof(buf));
			put_str(&v, buf);
			break;
		}
		case 2:
			put_str(&v, "[2001:db8::1]");
			break;
		default:
			gen_domain(src, &v);
			break;
		}
		put_str(&v, PICK(src, url_paths));
		type = "url";
		break;
	default:
		put_str(&v, PICK(src, regexes));
		type = "regex";
		break;
	}
	put_str(csv, type);
	put_char(csv, ',');
	put(csv, v.data, v.len);
	switch (pick(src, 8)) {
	case 0:
		put_str(csv, ",1000\n");            /* expired long ago */
		break;
	case 1:
		put_str(csv, ",3000000000\n");      /* expires later */
		break;
	default:
		put_str(csv, ",\n");
		break;
	}
}

/* ---- messages ---- */

/* How an address of the set (or any) may be written. */
static void
put_ipv4(struct diff_source *src, struct text *t, const uint8_t *a)
{
	char buf[32];

	for (int i = 0; i < 4; i++) {
		const char *fmt = chance(src, 6) ? "%03u" : "%u";
		snprintf(buf, sizeof(buf), fmt, a[i]);
		if (i > 0)
			put_char(t, '.');
		put_str(t, buf);
	}
	if (chance(src, 8))
		put_str(t, ".5");
}

static void
put_ipv6(struct diff_source *src, struct text *t, const uint8_t *a)
{
	char buf[64];

	switch (pick(src, 4)) {
	case 0:
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		put_any_case(src, t, buf);
		break;
	case 1:
		for (int i = 0; i < 8; i++) {
			snprintf(buf, sizeof(buf), chance(src, 2) ? "%x" : "%04X",
				 (unsigned int)(a[2 * i] << 8 | a[2 * i + 1]));
			if (i > 0)
				put_char(t, ':');
			put_str(t, buf);
		}
		break;
	case 2:
		put_char(t, '[');
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		put_str(t, buf);
		put_str(t, "]:53");
		break;
	default:
		/* The last 32 bits as a dotted quad, as ::ffff:a.b.c.d does. */
		for (int i = 0; i < 6; i++) {
			snprintf(buf, sizeof(buf), "%x:",
				 (unsigned int)(a[2 * i] << 8 | a[2 * i + 1]));
			put_str(t, buf);
		}
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a[12], a[13], a[14],
			 a[15]);
		put_str(t, buf);
		break;
	}
}

/* A value of the set, often changed a little, or a pool value. */
static void
put_indicator(struct diff_source *src, struct text *t,
	      const struct pat_set *set)
{
	uint32_t limit = pat_set_id_limit(set);
	const struct pat_indicator *ind = limit > 0 && !chance(src, 4) ?
		pat_set_indicator(set, pick(src, limit)) : NULL;
	struct text v = { .len = 0 };

	if (ind == NULL) {
		const char *type;
		switch (pick(src, 4)) {
		case 0:
			gen_domain(src, t);
			return;
		case 1:
			gen_digest(src, t, &type);
			return;
		case 2: {
			uint8_t a[4];
			gen_ipv4(src, a);
			put_ipv4(src, t, a);
			return;
		}
		default:
			put_str(t, PICK(src, filenames));
			return;
		}
	}
	if (chance(src, 4)) {
		gen_domain(src, t);           /* a parent above the value */
		put_char(t, '.');
	}
	switch (ind->type) {
	case PAT_TYPE_IPV4:
		put_ipv4(src, t, ind->addr);
		return;
	case PAT_TYPE_IPV6:
		put_ipv6(src, t, ind->addr);
		return;
	case PAT_TYPE_URL: {
		if (chance(src, 2))
			put_str(t, chance(src, 2) ? "http://" : "HTTPS://");
		put_any_case(src, &v, ind->value);
		char *port = memmem(v.data, v.len, ":8080", 5);
		if (port != NULL && chance(src, 3))
			port[4] = '1';             /* another port */
		put(t, v.data, v.len);
		return;
	}
	case PAT_TYPE_REGEX:
		put_str(t, PICK(src, regex_texts));
		return;
	default:
		put_any_case(src, t, ind->value);
		if (chance(src, 6))   /* one character more or less */
			t->len -= t->len > 0 && chance(src, 2) ? 1 : 0;
		return;
	}
}

static void
gen_text(struct diff_source *src, struct text *t, const struct pat_set *set)
{
	unsigned int fragments = 1 + pick(src, 24);

	t->len = 0;
	if (chance(src, 16)) {
		/* Raw bytes: whatever the fuzzer (or the generator) wants. */
		unsigned int n = pick(src, 512);
		for (unsigned int i = 0; i < n; i++)
			put_char(t, (char)next_byte(src));
		return;
	}
	for (unsigned int i = 0; i < fragments; i++) {
		switch (pick(src, 8)) {
		case 0:
		case 1:
		case 2:
			put_indicator(src, t, set);
			break;
		case 3:
		case 4:
			put_str(t, PICK(src, separators));
			break;
		case 5: {
			/* Runs that cross 64-byte blocks, or outgrow a domain. */
			unsigned int n = pick(src, 8) == 0 ? 60 + pick(src, 300) :
				1 + pick(src, 4);
			char c = PICK(src, run_chars);
			for (unsigned int k = 0; k < n; k++)
				put_char(t, k % 5 == 4 && c != '.' && chance(src, 3) ?
					 '.' : c);
			break;
		}
		case 6:
			put_str(t, PICK(src, labels));
			break;
		default:
			put_char(t, (char)("aZ09.-_:/ "[pick(src, 10)]));
			break;
		}
	}
}

/* ---- comparing ---- */

static int
id_order(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The fast hits against the reference ids (sorted). PAT_HITS_MAX caps the
 * fast list; the rest must show in overflow. */
static bool
hits_agree(const struct pat_hits *hits, const uint32_t *ref, size_t n_ref)
{
	uint32_t fast[PAT_HITS_MAX];

	memcpy(fast, hits->ids, hits->count * sizeof(fast[0]));
	qsort(fast, hits->count, sizeof(fast[0]), id_order);
	if (n_ref <= PAT_HITS_MAX) {
		return hits->overflow == 0 && hits->count == n_ref &&
			memcmp(fast, ref, n_ref * sizeof(fast[0])) == 0;
	}
	if (hits->count != PAT_HITS_MAX ||
	    hits->overflow != n_ref - PAT_HITS_MAX)
		return false;
	for (size_t i = 0, j = 0; i < hits->count; i++) {
		while (j < n_ref && ref[j] < fast[i])
			j++;
		if (j == n_ref || ref[j] != fast[i])
			return false;
	}
	return true;
}

static void
report_bytes(FILE *out, const char *what, const void *bytes, size_t n)
{
	const uint8_t *p = bytes;

	fprintf(out, "%s (%zu bytes): \"", what, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			fputc(p[i], out);
		else
			fprintf(out, "\\x%02x", p[i]);
	}
	fprintf(out, "\"\n");
}

static void
report_difference(FILE *out, const struct pat_set *set, const char *isa,
		  const char *what, const void *input, size_t n,
		  const struct pat_hits *hits, const uint32_t *ref,
		  size_t n_ref)
{
	if (out == NULL)
		return;
	fprintf(out, "matcher difference (%s, byte classes %s)\n", what, isa);
	report_bytes(out, "input", input, n);
	fprintf(out, "fast:");
	for (uint16_t i = 0; i < hits->count; i++)
		fprintf(out, " %u", hits->ids[i]);
	fprintf(out, " (+%u overflow)\nreference:", hits->overflow);
	for (size_t i = 0; i < n_ref; i++)
		fprintf(out, " %u", ref[i]);
	fprintf(out, "\nset (id type value expires; '-' deleted, layer ids from"
		" %u delta):\n", pat_set_id_limit(set) - (uint32_t)
		pat_set_delta_count(set));
	for (uint32_t id = 0; id < pat_set_id_limit(set); id++) {
		const struct pat_indicator *ind = pat_set_indicator(set, id);
		fprintf(out, "  %u%s %s %s %" PRId64 "\n", id,
			pat_set_live_indicator(set, id) == NULL ? " -" : "",
			pat_type_name(ind->type), ind->value, ind->expires);
	}
}

/* ---- one run ---- */

static struct pat_set *
set_from_rows(const struct text *csv, const char *name, struct pat_feed *feed,
	      uint64_t version)
{
	struct error_detail err = { 0 };
	const struct pat_feed *feeds[] = { feed };

	pat_feed_init(feed);
	if (pat_feed_parse(feed, name, name, csv->data, csv->len, PAT_FEED_CSV,
			   &err) != 0)
		return NULL;
	return pat_set_build(feeds, 1, 1, version, &err);
}

/* A delta of added indicators and a few deletions on top of set. */
static struct pat_set *
set_change(struct diff_source *src, struct pat_set *set, bool hyperscan)
{
	unsigned int adds = pick(src, 4), dels = pick(src, 3);
	struct error_detail err = { 0 };
	uint64_t version = pat_set_version(set);

	for (unsigned int i = 0; i < adds; i++) {
		struct text csv = { .len = 0 };
		struct pat_feed feed;
		put_str(&csv, "type,value,expires\n");
		gen_row(src, &csv, hyperscan);
		pat_feed_init(&feed);
		if (pat_feed_parse(&feed, "delta", "delta", csv.data, csv.len,
				   PAT_FEED_CSV, &err) == 0 && feed.count == 1) {
			struct pat_set *next = pat_set_add(set, &feed.items[0],
							   ++version, &err);
			if (next != NULL) {
				pat_set_free(set);
				set = next;
			}
		}
		pat_feed_free(&feed);
	}
	for (unsigned int i = 0; i < dels && pat_set_id_limit(set) > 0; i++) {
		const struct pat_indicator *ind =
			pat_set_live_indicator(set, pick(src, pat_set_id_limit(set)));
		if (ind == NULL)
			continue;
		struct pat_indicator copy = *ind;
		struct pat_set *next = pat_set_delete(set, &copy, ++version, &err);
		if (next != NULL) {
			pat_set_free(set);
			set = next;
		}
	}
	return set;
}

/* Every input under every byte-class implementation: same hits as the
 * reference. */
static int
check_text(struct diff_source *src, const struct pat_set *set,
	   const struct ref_matcher *ref, struct diff_stats *stats, FILE *out,
	   const struct diff_observer *observer)
{
	static struct text t;
	uint32_t ids[IDS_MAX];
	enum pat_isa chosen = pat_text_isa();
	int rc = 0;

	gen_text(src, &t, set);
	size_t n_ref = ref_match_text(ref, (const uint8_t *)t.data, t.len, NOW,
				      ids);
	for (int isa = 0; isa < PAT_ISA_COUNT && rc == 0; isa++) {
		struct pat_hits hits;
		if (pat_text_use_isa((enum pat_isa)isa) != 0)
			continue;
		pat_hits_reset(&hits, NOW);
		if (pat_match_text(set, pat_set_scratch(set, 0),
				   (const uint8_t *)t.data, t.len, &hits) != 0 ||
		    !hits_agree(&hits, ids, n_ref)) {
			report_difference(out, set, pat_isa_name((enum pat_isa)isa),
					  "text", t.data, t.len, &hits, ids,
					  n_ref);
			rc = -1;
		} else if (observer != NULL && observer->text != NULL &&
			   !observer->text(observer->ctx, set,
					   (const uint8_t *)t.data, t.len,
					   &hits, out)) {
			rc = -1;
		}
	}
	pat_text_use_isa(chosen);
	stats->texts++;
	stats->hits += n_ref;
	return rc;
}

static int
check_dns_name(struct diff_source *src, const struct pat_set *set,
	       const struct ref_matcher *ref, struct diff_stats *stats,
	       FILE *out, const struct diff_observer *observer)
{
	struct text t = { .len = 0 };
	uint32_t ids[IDS_MAX];
	struct pat_hits hits;

	/* Labels, dots, near-miss values, and now and then a byte a name
	 * parser would have escaped, or a name longer than any domain. */
	unsigned int parts = 1 + pick(src, 6);
	for (unsigned int i = 0; i < parts; i++) {
		switch (pick(src, 6)) {
		case 0:
			put_char(&t, '.');
			break;
		case 1:
			put_str(&t, PICK(src, name_oddities));
			break;
		case 2:
			for (unsigned int k = 0; k < 70; k++)
				put_str(&t, "ab.");
			break;
		default:
			put_indicator(src, &t, set);
			if (chance(src, 2))
				put_char(&t, '.');
			break;
		}
	}
	size_t n_ref = ref_match_dns_name(ref, t.data, t.len, NOW, ids);
	pat_hits_reset(&hits, NOW);
	stats->names++;
	if (pat_match_dns_name(set, pat_set_scratch(set, 0), t.data, t.len,
			       &hits) != 0 || !hits_agree(&hits, ids, n_ref)) {
		report_difference(out, set, "-", "dns name", t.data, t.len,
				  &hits, ids, n_ref);
		return -1;
	}
	if (observer != NULL && observer->dns_name != NULL &&
	    !observer->dns_name(observer->ctx, set, t.data, t.len, &hits, out))
		return -1;
	stats->hits += n_ref;
	return 0;
}

static int
check_address(struct diff_source *src, const struct pat_set *set,
	      const struct ref_matcher *ref, struct diff_stats *stats,
	      FILE *out, const struct diff_observer *observer)
{
	uint8_t addr[16] = { 0 };
	uint32_t ids[IDS_MAX];
	struct pat_hits hits;
	uint32_t limit = pat_set_id_limit(set);
	const struct pat_indicator *ind = limit > 0 ?
		pat_set_indicator(set, pick(src, limit)) : NULL;
	int family = chance(src, 2) ? 4 : 6;

	if (ind != NULL && (ind->type == PAT_TYPE_IPV4 || ind->type == PAT_TYPE_IPV6)) {
		family = ind->type == PAT_TYPE_IPV4 ? 4 : 6;
		memcpy(addr, ind->addr, 16);
		if (chance(src, 2))
			addr[pick(src, family == 4 ? 4 : 16)] ^=
				(uint8_t)(1u << pick(src, 8));
	} else if (family == 4) {
		gen_ipv4(src, addr);
	} else {
		gen_ipv6(src, addr);
	}
	size_t n_ref = ref_match_address(ref, family, addr, NOW, ids);
	pat_hits_reset(&hits, NOW);
	pat_match_address(set, family, addr, &hits);
	stats->addresses++;
	if (!hits_agree(&hits, ids, n_ref)) {
		report_difference(out, set, "-", family == 4 ? "address 4" :
				  "address 6", addr, family == 4 ? 4 : 16,
				  &hits, ids, n_ref);
		return -1;
	}
	if (observer != NULL && observer->address != NULL &&
	    !observer->address(observer->ctx, set, family, addr, &hits, out))
		return -1;
	stats->hits += n_ref;
	return 0;
}

int
diff_run(struct diff_source *src, struct diff_stats *stats, FILE *out)
{
	return diff_run_observed(src, stats, out, NULL);
}

int
diff_run_observed(struct diff_source *src, struct diff_stats *stats, FILE *out,
		  const struct diff_observer *observer)
{
	struct text csv = { .len = 0 };
	struct pat_feed feed;
	/* Hyperscan's compiler is slow next to the rest: file names, URLs
	 * and regexes come in one set of four. */
	bool hyperscan = chance(src, 4);
	unsigned int rows = 1 + pick(src, 12);
	int rc = 0;

	put_str(&csv, "type,value,expires\n");
	for (unsigned int i = 0; i < rows; i++)
		gen_row(src, &csv, hyperscan);
	struct pat_set *set = set_from_rows(&csv, "base", &feed, 1);
	pat_feed_free(&feed);
	if (set == NULL) {
		stats->skipped++;
		return 0;
	}
	if (chance(src, 2))
		set = set_change(src, set, hyperscan);

	uint32_t limit = pat_set_id_limit(set);
	const struct pat_indicator **inds = calloc(limit + 1, sizeof(*inds));
	for (uint32_t id = 0; inds != NULL && id < limit; id++)
		inds[id] = pat_set_live_indicator(set, id);
	struct ref_matcher *ref = inds != NULL ?
		ref_matcher_new(inds, limit) : NULL;
	if (ref == NULL) {
		if (out != NULL)
			fprintf(out, "reference matcher: out of memory or a "
				"regex it cannot compile\n");
		rc = -1;
		goto out;
	}
	stats->sets++;
	unsigned int inputs = 1 + pick(src, 8);
	for (unsigned int i = 0; i < inputs && rc == 0; i++) {
		switch (pick(src, 4)) {
		case 0:
			rc = check_dns_name(src, set, ref, stats, out, observer);
			break;
		case 1:
			rc = check_address(src, set, ref, stats, out, observer);
			break;
		default:
			rc = check_text(src, set, ref, stats, out, observer);
			break;
		}
	}
out:
	ref_matcher_free(ref);
	free(inds);
	pat_set_free(set);
	return rc;
}
