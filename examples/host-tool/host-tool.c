/* SPDX-License-Identifier: MIT */
/*
 * A hosted program on the installed ptboot: builds an address space over its
 * own malloc-backed backend (wrapped in the contract checker while it runs),
 * maps a direct map and a kernel image, queries, protects one page in the
 * middle of a 1G page (splitting it), dumps the coalesced ranges, and tears
 * everything down.  Exit status 0 and "host-tool: PASS" when every step
 * gave what it should and no page is left.
 */
#include <inttypes.h>
#include <stdio.h>
#include <ptboot/ptb_checked.h>
#include <ptboot/space.h>
#include <ptboot/version.h>
#include "malloc_backend.h"

#define DIRECT_MAP 0xffff888000000000ull
#define TEXT_VA 0xffffffff81000000ull
#define GiB (1ull << 30)

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "host-tool: FAIL: %s\n", what);
		failures++;
	}
}

static bool print_range(void *arg, const struct ptb_range *r)
{
	(void)arg;
	printf("  %016" PRIx64 "-%016" PRIx64 " %5s %s %s -> %#" PRIx64 "\n", r->va.raw, r->va.raw + r->len,
	       r->level == 3 ? "1G" : r->level == 2 ? "2M" : "4K", r->attr & PTB_ATTR_WRITE ? "RW" : "ro",
	       r->attr & PTB_ATTR_EXEC ? "x " : "NX", r->pa.raw);
	return true;
}

static void violation(void *arg, const char *what)
{
	(void)arg;
	expect(0, what);
}

int main(void)
{
	static struct ptb_checked_slot slots[1024];
	struct malloc_backend mb = { 0 };
	struct ptb_checked checked;
	ptb_checked_init(&checked, malloc_backend(&mb), &ptb_format_x86_64_4level, slots, 1024);
	checked.on_violation = violation;
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_checked_backend(&checked),
					.max_leaf_level = 3, .flags = PTB_SPACE_NX | PTB_SPACE_WX_STRICT };
	struct ptb_space s;
	printf("host-tool on ptboot %s\n", PTBOOT_VERSION);
	expect(!ptb_space_create(&s, &cfg), "create");
	expect(!ptb_space_map(&s, ptb_va(DIRECT_MAP), ptb_pa(0), 4 * GiB, PTB_ATTR_WRITE, 0), "map the direct map");
	expect(!ptb_space_map(&s, ptb_va(TEXT_VA), ptb_pa(16 << 20), 2 << 20, PTB_ATTR_EXEC, 0), "map text");
	expect(ptb_space_map(&s, ptb_va(TEXT_VA), ptb_pa(16 << 20), 2 << 20, PTB_ATTR_EXEC | PTB_ATTR_WRITE, 0) ==
		       PTB_E_WX, "W+X is refused");
	expect(!ptb_space_seal(&s) && !ptb_space_activate(&s), "seal and activate");
	expect(mb.active_root.raw == s.root.raw, "the backend saw the root activated");

	struct ptb_mapping m;
	uint64_t va = DIRECT_MAP + GiB + 0x5123;
	expect(!ptb_space_query(&s, ptb_va(va), &m) && m.pa.raw == GiB + 0x5123 && m.page_size == GiB &&
		       (m.attr & PTB_ATTR_WRITE), "query: a 1G RW page");
	expect(!ptb_space_protect(&s, ptb_va(va & ~0xfffull), 4096, 0), "protect one page read-only");
	expect(!ptb_space_query(&s, ptb_va(va), &m) && m.pa.raw == GiB + 0x5123 && m.page_size == 4096 &&
		       !(m.attr & PTB_ATTR_WRITE), "query: now a 4K read-only page");
	expect(!ptb_space_query(&s, ptb_va(va + 4096), &m) && (m.attr & PTB_ATTR_WRITE) && m.page_size == 4096,
	       "the next page keeps RW");
	expect(!ptb_space_query(&s, ptb_va(va + (4 << 20)), &m) && m.page_size == (2 << 20), "2M pages beyond the split");
	expect(ptb_space_query(&s, ptb_va(DIRECT_MAP + 4 * GiB), &m) == PTB_E_NOTMAPPED, "beyond 4G: not mapped");

	printf("ptdump:\n");
	expect(!ptb_space_ranges(&s, print_range, NULL), "dump");
	struct ptb_table_count tc;
	ptb_space_count_tables(&s, &tc);
	printf("tables %" PRIu64 ", pages in use %zu, live writes %zu, flushes %zu\n", tc.by_level[0], mb.in_use,
	       mb.live_writes, mb.flushes);

	expect(!ptb_space_unmap(&s, ptb_va(DIRECT_MAP), 4 * GiB) && !ptb_space_unmap(&s, ptb_va(TEXT_VA), 2 << 20),
	       "unmap everything");
	mb.active_root = checked.active_root = ptb_pa(0); /* as if the CPU had switched to another space */
	expect(!ptb_space_destroy(&s), "destroy");
	expect(mb.in_use == 0 && mb.allocs == mb.frees, "every page given back");
	expect(checked.violations == 0, "no hook contract broken");
	printf("host-tool: %s (%zu pages allocated and freed)\n", failures ? "FAIL" : "PASS", mb.allocs);
	if (fflush(stdout) || ferror(stdout))
		return 1;
	return failures ? 1 : 0;
}
