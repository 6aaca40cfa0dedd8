/* SPDX-License-Identifier: MIT */
/* ptdump-style listing of a space. */
#include "report.h"

static const char *size_name(uint64_t len, char *buf, size_t n)
{
	static const char *units[] = { "B", "K", "M", "G", "T" };
	int u = 0;
	while (u < 4 && len >= 1024 && !(len % 1024))
		len /= 1024, u++;
	snprintf(buf, n, "%llu%s", (unsigned long long)len, units[u]);
	return buf;
}

static bool line(void *arg, const struct ptb_range *r)
{
	static const char *cache[] = { "WB", "WT", "UC-", "UC", "WC", "WP" };
	static const char *page[] = { "", "4K", "2M", "1G" };
	FILE *f = arg;
	char sz[32];
	fprintf(f, "0x%016llx-0x%016llx %8s %s %s %s %s%s %s -> 0x%llx\n", (unsigned long long)r->va.raw,
		(unsigned long long)(r->va.raw + r->len), size_name(r->len, sz, sizeof(sz)),
		r->level <= 3 ? page[r->level] : "?", r->attr & PTB_ATTR_WRITE ? "RW" : "ro",
		r->attr & PTB_ATTR_EXEC ? "x " : "NX", r->attr & PTB_ATTR_USER ? "USR" : "ker",
		r->attr & PTB_ATTR_GLOBAL ? " GLB" : "    ", cache[ptb_attr_get_cache(r->attr)],
		(unsigned long long)r->pa.raw);
	return true;
}

int dump_space(FILE *f, const struct ptb_space *s)
{
	return ptb_space_ranges(s, line, f) == PTB_OK ? 0 : -1;
}
