// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the bootstrap fed arbitrary memory maps and policies.  Invalid
 * input must be refused with an error code before any hook is called; valid
 * input must map exactly the usable RAM at direct_map + pa, nothing else
 * outside the kernel, with the number of tables the model promised.
 *
 * Every input runs well under a second (scripts/run-fuzz's seed pass holds
 * each to 5 s, libFuzzer's -timeout is 30 s), however loaded the machine:
 * with 4K pages only (Xen, or max_leaf 1) a range is at most 64 MiB long,
 * so the worst input maps 512 MiB with 4K pages (about 260 tables); larger
 * pages keep 16 GiB per range (a few tables per GiB).  Addresses stay free
 * (bases up to 32 GiB).  An uncapped 32 GiB Xen input (corpus xen-32g) took
 * 7.5 s.
 */
#include <stdlib.h>
#include <string.h>
#include <ptboot/boot.h>
#include "refwalk.h"

#define DM 0xffff888000000000ull
#define MAX_4K_RANGE (64ull << 20)

static struct ptb_boot boot;
static const struct ptb_mem_range *g_map;
static size_t g_len;
static uint64_t mapped;
static bool bad;

static bool usable(uint64_t pa, uint64_t len)
{
	for (size_t i = 0; i < g_len; i++) {
		uint64_t lo = (g_map[i].base + 4095) & ~4095ull, hi = (g_map[i].base + g_map[i].len) & ~4095ull;
		/* touching RAM ranges count as one (the bootstrap merges them) */
		for (size_t j = i + 1; g_map[i].type == PTB_MEM_RAM && j < g_len && g_map[j].type == PTB_MEM_RAM &&
				       g_map[j].base == g_map[j - 1].base + g_map[j - 1].len; j++)
			hi = (g_map[j].base + g_map[j].len) & ~4095ull;
		if (g_map[i].type == PTB_MEM_RAM && pa >= lo && pa + len <= hi)
			return true;
	}
	return false;
}

static void leaf(void *arg, const struct rw_leaf *l)
{
	(void)arg;
	if (l->va >= DM && l->va < DM + (1ull << 45)) {
		if (l->pa != l->va - DM || !usable(l->pa, l->size) || !l->nx)
			bad = true;
		mapped += l->size;
	} else if (l->va < 0xffffffff81000000ull || l->va >= 0xffffffff81400000ull) {
		bad = true; /* only the kernel and the direct map */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct ptb_mem_range map[8];
	if (n < 3)
		return 0;
	unsigned max_leaf = 1 + d[0] % 3, reserve = 1 + d[1] % 64;
	bool xen = d[2] & 1;
	d += 3, n -= 3;
	size_t len = 0;
	uint64_t top = 0;
	for (; n >= 7 && len < 8; d += 7, n -= 7) {
		/* base and length in KiB units up to 16 GiB: room for odd sizes */
		uint64_t base = ((uint64_t)d[0] | (uint64_t)d[1] << 8 | (uint64_t)d[2] << 16) << 11;
		uint64_t sz = ((uint64_t)d[3] | (uint64_t)d[4] << 8 | (uint64_t)d[5] << 16) << 10;
		if ((xen || max_leaf == 1) && sz > MAX_4K_RANGE)
			sz = MAX_4K_RANGE;
		map[len++] = (struct ptb_mem_range){ base, sz, 1 + d[6] % 7 };
		if (base + sz > top)
			top = base + sz;
	}
	if (!len)
		return 0;
	struct ptb_sim_config sc = { .mem_bytes = ((top > (32ull << 20) ? top : (32ull << 20)) + (1ull << 30)) & ~((1ull << 30) - 1),
				     .xen_rules = xen, .scramble_frames = xen, .seed = 2 };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	const struct ptb_segment kernel[2] = {
		{ { 0xffffffff81000000ull }, { 16ull << 20 }, 1ull << 20, PTB_SEG_TEXT },
		{ { 0xffffffff81100000ull }, { 17ull << 20 }, 3ull << 20, PTB_SEG_BSS },
	};
	struct ptb_boot_input in = {
		.format = &ptb_format_x86_64_4level, .backend = ptb_sim_backend(sim), .memmap = map, .memmap_len = len,
		.kernel = kernel, .kernel_len = 2, .reserve_pa = { 18ull << 20 }, .reserve_pages = reserve,
		.reserve_va = { 0xffffffff81200000ull }, .direct_map = { DM }, .max_leaf_level = max_leaf,
		.nx = true, .xen = xen,
	};
	if (xen) {
		struct ptb_sim_window w = { DM, 0, sc.mem_bytes };
		ptb_sim_set_windows(sim, &w, 1);
	}
	ptb_err_t err = ptb_boot_run(&boot, &in);
	if (err) {
		/* refused or out of memory: no hook that changes anything ran */
		if (ptb_sim_stats(sim)->traps && err != PTB_E_NOMEM)
			abort();
		if (err == PTB_E_NOMEM && ptb_sim_stats(sim)->traps)
			abort(); /* the dry run must catch a small reserve before any hook */
	} else {
		g_map = map, g_len = len, mapped = 0, bad = false;
		struct rw_tree t = { sim, RW_4LEVEL, boot.space.root.raw, xen ? 256 : 0, xen ? 16 : 0 };
		if (refwalk_all(&t, leaf, NULL, NULL) || bad)
			abort();
		uint64_t want = 0;
		for (size_t i = 0; i < len; i++)
			if (map[i].type == PTB_MEM_RAM) {
				uint64_t lo = (map[i].base + 4095) & ~4095ull, hi = (map[i].base + map[i].len) & ~4095ull;
				want += hi > lo ? hi - lo : 0;
			}
		if (mapped > want || refwalk_count_tables(&t) != boot.stats.tables.by_level[0] ||
		    ptb_sim_stats(sim)->refusals)
			abort();
	}
	ptb_sim_delete(sim);
	return 0;
}
