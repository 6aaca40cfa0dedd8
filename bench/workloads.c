/* SPDX-License-Identifier: MIT */
/* The workloads of issue 7, on flat simulated memory. */
#include "workloads.h"
#include "ptb_sim.h"
#include <ptboot/boot.h>
#include <ptboot/space.h>
#include <stdio.h>
#include <time.h>

#define GiB (1ull << 30)
#define DIRECT_MAP 0xffff888000000000ull

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Tables any builder needs for one range, counted block by block. */
static uint64_t min_tables_range(const struct ptb_format *f, uint64_t va, uint64_t pa, uint64_t len,
				 unsigned max_leaf)
{
	uint64_t total = 1; /* the root */
	for (unsigned l = 1; l < f->levels; l++) {
		uint64_t span = 1ull << f->shift[l + 1];
		for (uint64_t b = va & ~(span - 1); b < va + len; b += span) {
			uint64_t lo = b > va ? b : va, hi = b + span < va + len ? b + span : va + len;
			int covered = 0;
			for (unsigned m = l + 1; m <= max_leaf && !covered; m++) {
				uint64_t s = 1ull << f->shift[m];
				covered = (f->leaf_levels & (1u << m)) && !((lo | hi) & (s - 1)) &&
					  !((lo - va + pa) & (s - 1));
			}
			total += !covered;
		}
	}
	return total;
}

static int make_space(struct flat *mem, struct ptb_space *s, unsigned max_leaf)
{
	flat_reset(mem, WL_TABLE_BASE);
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = flat_backend(mem),
					.max_leaf_level = max_leaf, .flags = PTB_SPACE_NX };
	return ptb_space_create(s, &cfg) ? -1 : 0;
}

static uint64_t tables_of(const struct ptb_space *s)
{
	struct ptb_table_count c;
	ptb_space_count_tables(s, &c);
	return c.by_level[0];
}

static double map_range(struct flat *mem, struct wl_out *out, uint64_t va, uint64_t len, unsigned leaf)
{
	struct ptb_space s;
	if (make_space(mem, &s, leaf))
		return -1;
	double t0 = now_ms();
	ptb_err_t err = ptb_space_map(&s, ptb_va(va), ptb_pa(0), len, PTB_ATTR_WRITE, 0);
	double t = now_ms() - t0;
	out->tables = tables_of(&s);
	out->min_tables = min_tables_range(s.enc.format, va, 0, len, leaf);
	out->entries = len >> s.enc.format->shift[leaf];
	if (ptb_space_destroy(&s) || err)
		return -1;
	return t;
}

static double w1(struct flat *m, struct wl_out *o) { return map_range(m, o, 0, 64 * GiB, 1); }
static double w1_1g(struct flat *m, struct wl_out *o) { return map_range(m, o, 0, GiB, 1); }
static double w2_2m(struct flat *m, struct wl_out *o) { return map_range(m, o, 0, 64 * GiB, 2); }
static double w2_1g(struct flat *m, struct wl_out *o) { return map_range(m, o, 0, 64 * GiB, 3); }
static double w3(struct flat *m, struct wl_out *o) { return map_range(m, o, DIRECT_MAP, 64 * GiB, 2); }

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define LOOKUPS 1000000

static double w4(struct flat *mem, struct wl_out *out)
{
	struct ptb_space s;
	if (make_space(mem, &s, 1) || ptb_space_map(&s, ptb_va(0), ptb_pa(0), 64 * GiB, PTB_ATTR_WRITE, 0))
		return -1;
	uint64_t sum = 0, bad = 0;
	rng = 0x9e3779b97f4a7c15ull;
	double t0 = now_ms();
	for (int i = 0; i < LOOKUPS; i++) {
		struct ptb_mapping mp;
		uint64_t va = next_rand() & (64 * GiB - 1);
		bad += ptb_space_query(&s, ptb_va(va), &mp) != PTB_OK;
		sum += mp.pa.raw;
	}
	double t = now_ms() - t0;
	out->tables = tables_of(&s);
	out->min_tables = min_tables_range(s.enc.format, 0, 0, 64 * GiB, 1);
	out->entries = LOOKUPS;
	snprintf(out->extra, sizeof(out->extra), "ns_per_lookup=%.1f", t * 1e6 / LOOKUPS);
	if (ptb_space_destroy(&s) || bad || !sum)
		return -1;
	return t;
}

static double w6_unmap(struct flat *mem, struct wl_out *out)
{
	struct ptb_space s;
	if (make_space(mem, &s, 1) || ptb_space_map(&s, ptb_va(0), ptb_pa(0), 64 * GiB, PTB_ATTR_WRITE, 0))
		return -1;
	out->tables = tables_of(&s);
	out->min_tables = min_tables_range(s.enc.format, 0, 0, 64 * GiB, 1);
	double t0 = now_ms();
	ptb_err_t err = ptb_space_unmap(&s, ptb_va(0), 64 * GiB);
	double t = now_ms() - t0;
	out->entries = (64 * GiB) >> 12;
	snprintf(out->extra, sizeof(out->extra), "tables_after=%llu pages_live=%llu",
		 (unsigned long long)tables_of(&s), (unsigned long long)mem->live);
	if (ptb_space_destroy(&s) || err)
		return -1;
	return t;
}

static double w6_protect(struct flat *mem, struct wl_out *out)
{
	struct ptb_space s;
	if (make_space(mem, &s, 3) || ptb_space_map(&s, ptb_va(0), ptb_pa(0), 64 * GiB, PTB_ATTR_WRITE, 0))
		return -1;
	ptb_err_t err = PTB_OK;
	double t0 = now_ms();
	for (uint64_t a = 0; a < 64 * GiB && !err; a += 4ull << 20)
		err = ptb_space_protect(&s, ptb_va(a), 2ull << 20, 0);
	double t = now_ms() - t0;
	out->tables = tables_of(&s);
	out->min_tables = 1 + 1 + 64; /* root, one L3, an L2 for each split 1G page */
	out->entries = 64 * 512 + 64 * 256; /* split fills and changed leaves */
	if (ptb_space_destroy(&s) || err)
		return -1;
	return t;
}

/* W5: the bootstrap of 64 GiB with holes (native, 1G pages allowed). */
static const struct ptb_mem_range w5_map[] = {
	{ 0, 0x9f000, PTB_MEM_RAM }, { 0x9f000, 0x61000, PTB_MEM_RESERVED },
	{ 0x100000, 0xbff00000, PTB_MEM_RAM }, { 0xc0000000, 0x40000000, PTB_MEM_RESERVED },
	{ 0x100000000ull, 20 * GiB, PTB_MEM_RAM }, { 0x600000000ull, 0x200000, PTB_MEM_RESERVED },
	{ 0x600200000ull, 41 * GiB - 0x200000, PTB_MEM_RAM }, /* 64 GiB of RAM in all */
};
static const struct ptb_segment w5_kernel[] = {
	{ { 0xffffffff81000000ull }, { 0x1000000 }, 0x400000, PTB_SEG_TEXT },
	{ { 0xffffffff81400000ull }, { 0x1400000 }, 0x200000, PTB_SEG_RODATA },
	{ { 0xffffffff81600000ull }, { 0x1600000 }, 0x200000, PTB_SEG_DATA },
	{ { 0xffffffff81800000ull }, { 0x1800000 }, 0x400000, PTB_SEG_BSS },
};

static struct ptb_boot boot;

static double w5_native(struct flat *mem, struct wl_out *out)
{
	flat_reset(mem, WL_TABLE_BASE);
	struct ptb_boot_input in = {
		.format = &ptb_format_x86_64_4level, .backend = flat_backend(mem),
		.memmap = w5_map, .memmap_len = sizeof(w5_map) / sizeof(w5_map[0]),
		.kernel = w5_kernel, .kernel_len = 4,
		.reserve_pa = { 0x1a00000 }, .reserve_pages = 64, .reserve_va = { 0xffffffff81a00000ull },
		.direct_map = { DIRECT_MAP }, .max_leaf_level = 3, .nx = true,
	};
	double t0 = now_ms();
	ptb_err_t err = ptb_boot_run(&boot, &in);
	double t = now_ms() - t0;
	if (err)
		return -1;
	out->tables = boot.stats.tables.by_level[0];
	out->min_tables = boot.stats.min_tables;
	out->entries = boot.stats.map_calls; /* ~ leaves: 1G pages mostly */
	snprintf(out->extra, sizeof(out->extra), "ram_gib=%.1f reserve_used=%llu rounds=%llu",
		 boot.stats.ram_bytes / (double)GiB, (unsigned long long)boot.stats.reserve_used,
		 (unsigned long long)boot.stats.rounds);
	return t;
}

/* W5 under Xen rules: the simulator enforces Xen's page-table rules and
 * counts the hook calls that would enter the hypervisor. */
static double w5_xen(struct flat *mem, struct wl_out *out)
{
	(void)mem;
	struct ptb_sim_config sc = { .mem_bytes = 66 * GiB, .xen_rules = true, .scramble_frames = true, .seed = 1 };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	if (!sim)
		return -1;
	struct ptb_sim_window win[2] = { { DIRECT_MAP, 0, 66 * GiB }, { 0xffffffff81000000ull, 0x1000000, 0x1c00000 } };
	ptb_sim_set_windows(sim, win, 2);
	struct ptb_boot_input in = {
		.format = &ptb_format_x86_64_4level, .pat = &ptb_pat_xen, .backend = ptb_sim_backend(sim),
		.memmap = w5_map, .memmap_len = sizeof(w5_map) / sizeof(w5_map[0]),
		.kernel = w5_kernel, .kernel_len = 4,
		.reserve_pa = { 0x1a00000 }, .reserve_pages = 64, .reserve_va = { 0xffffffff81a00000ull },
		.direct_map = { DIRECT_MAP }, .max_leaf_level = 1, .nx = true, .xen = true,
	};
	double t0 = now_ms();
	ptb_err_t err = ptb_boot_run(&boot, &in);
	double t = now_ms() - t0;
	const struct ptb_sim_stats *st = ptb_sim_stats(sim);
	double gib = boot.stats.ram_bytes / (double)GiB;
	uint64_t live_calls = st->calls[PTB_SIM_WRITE_LIVE], live_items = st->items[PTB_SIM_WRITE_LIVE];
	out->tables = boot.stats.tables.by_level[0];
	out->min_tables = boot.stats.min_tables;
	out->entries = (uint64_t)(boot.stats.ram_bytes >> 12);
	snprintf(out->extra, sizeof(out->extra),
		 "traps_per_gib=%.1f entries_per_batch=%.1f seals_per_batch=%.1f rw_to_ro=%llu ro_to_rw=%llu",
		 st->traps / gib, live_calls ? (double)live_items / live_calls : 0.0,
		 st->calls[PTB_SIM_SEAL] ? (double)st->items[PTB_SIM_SEAL] / st->calls[PTB_SIM_SEAL] : 0.0,
		 (unsigned long long)st->rw_to_ro, (unsigned long long)st->ro_to_rw);
	ptb_sim_delete(sim);
	return err ? -1 : t;
}

const struct workload workloads[] = {
	{ "w1", 1, w1 },
	{ "w1-1g", 0, w1_1g },
	{ "w2-2m", 1, w2_2m },
	{ "w2-1g", 1, w2_1g },
	{ "w3", 1, w3 },
	{ "w4", 1, w4 },
	{ "w5-native", 1, w5_native },
	{ "w5-xen", 1, w5_xen },
	{ "w6-unmap", 1, w6_unmap },
	{ "w6-protect", 1, w6_protect },
	{ NULL, 0, NULL },
};
