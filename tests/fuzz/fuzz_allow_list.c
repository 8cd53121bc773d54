/* fuzz_allow_list.c -- arbitrary bytes to the export allow-list parser
 * (allow_list.c). Checks what a parse promises: on success sorted,
 * distinct, valid names and sorted, disjoint address ranges, and that
 * an allowed name and its subdomains are covered; on failure an error
 * naming the file and a line, and nothing kept. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allow_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, "..") != NULL)
		abort();
	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '_' || *c == '.'))
			abort();
}

static void
check_allow(const struct ctl_allow_list *allow)
{
	for (size_t i = 0; i < allow->n_domains; i++) {
		check_name(allow->domains[i]);
		if (i > 0 && strcmp(allow->domains[i - 1], allow->domains[i]) >= 0)
			abort();
		struct pat_indicator ind = { .type = PAT_TYPE_DOMAIN,
					     .value = allow->domains[i] };
		if (!ctl_allow_covers(allow, &ind))
			abort();
		char sub[300];
		snprintf(sub, sizeof(sub), "x.%s", allow->domains[i]);
		ind.value = sub;
		if (!ctl_allow_covers(allow, &ind))
			abort();
	}
	for (size_t i = 0; i < allow->n_ranges; i++) {
		const struct ctl_addr_range *r = &allow->ranges[i];

		if ((r->family != 4 && r->family != 6) ||
		    memcmp(r->first, r->last, 16) > 0)
			abort();
		if (i > 0 && allow->ranges[i - 1].family == r->family &&
		    memcmp(allow->ranges[i - 1].last, r->first, 16) >= 0)
			abort();
		struct pat_indicator ind = {
			.type = r->family == 4 ? PAT_TYPE_IPV4 : PAT_TYPE_IPV6,
			.prefix_len = r->family == 4 ? 32 : 128,
		};
		memcpy(ind.addr, r->last, 16);
		if (!ctl_allow_covers(allow, &ind))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_allow_list allow;
	struct error_detail err = { 0 };
	int rc = ctl_allow_parse(&allow, "allow.txt", (const char *)data, size,
				 &err);

	if (rc == 0) {
		check_allow(&allow);
		ctl_allow_free(&allow);
		return 0;
	}
	if ((rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM) ||
	    strcmp(err.where, "allow.txt") != 0 || err.line == 0 ||
	    err.message[0] == '\0' || allow.domains != NULL ||
	    allow.ranges != NULL)
		abort();
	return 0;
}
