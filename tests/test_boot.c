/* SPDX-License-Identifier: MIT */
/*
 * The bootstrap on the sim, checked by the reference walker: every usable
 * RAM page at direct_map + pa (RW NX; read-only when it is a table or the
 * reserve under Xen rules), nothing else in the direct map, kernel W^X,
 * tables in usable RAM and above every free page, as many tables as the
 * independently counted minimum, one RW->RO flip per table page, none back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/boot.h>
#include "ptb_sim.h"
#include "refwalk.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define DM 0xffff888000000000ull
#define KBASE 0xffffffff80000000ull

static struct ptb_boot boot;

struct machine {
	const char *name;
	const struct ptb_format *format;
	int rwf;
	struct ptb_mem_range map[16];
	size_t n;
	unsigned max_leaf;
	bool xen;
	uint64_t kernel_pa;         /* 4 segments of 1 MiB from here */
	uint64_t dm, kbase;
};

static uint64_t ram_top(const struct machine *m)
{
	uint64_t top = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->map[i].type == PTB_MEM_RAM && m->map[i].base + m->map[i].len > top)
			top = m->map[i].base + m->map[i].len;
	return top;
}

/* Whether [pa, pa+len) is whole pages of RAM (touching RAM ranges merged). */
static bool usable(const struct machine *m, uint64_t pa, uint64_t len)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ptb_mem_range *r = &m->map[i];
		if (r->type != PTB_MEM_RAM)
			continue;
		uint64_t end = r->base + r->len;
		while (i + 1 < m->n && m->map[i + 1].type == PTB_MEM_RAM && m->map[i + 1].base == end)
			end += m->map[++i].len;
		uint64_t lo = (r->base + 4095) & ~4095ull, hi = end & ~4095ull;
		if (pa >= lo && pa + len <= hi)
			return true;
	}
	return false;
}

static uint64_t usable_bytes(const struct machine *m)
{
	uint64_t b = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct ptb_mem_range *r = &m->map[i];
		uint64_t lo = (r->base + 4095) & ~4095ull, hi = (r->base + r->len) & ~4095ull;
		if (r->type == PTB_MEM_RAM && hi > lo)
			b += hi - lo;
	}
	return b;
}

struct world {
	const struct machine *m;
	struct ptb_sim *sim;
	struct ptb_segment seg[4];
	struct ptb_boot_input in;
	uint64_t boot_tables[8];
	unsigned n_boot_tables;
};

/* A boot tree like Xen's domain builder makes: the first `pages` pfns at
 * KBASE + pa with 4K pages, its own tables read-only, sealed and active. */
static uint64_t build_boot_tree(struct world *w, uint64_t pages)
{
	uint64_t base = w->m->kernel_pa + 4 * MiB; /* after the kernel image */
	uint64_t l4 = base, l3 = base + 4096, l2 = base + 8192, l1 = base + 12288;
	unsigned nl1 = (unsigned)((pages + 511) / 512);
	uint64_t *p4 = ptb_sim_ptr(w->sim, ptb_pa(l4)), *p3 = ptb_sim_ptr(w->sim, ptb_pa(l3));
	uint64_t *p2 = ptb_sim_ptr(w->sim, ptb_pa(l2));
	p4[511] = ptb_sim_frame_of(w->sim, ptb_pa(l3)).raw << 12 | 0x27;
	p3[510] = ptb_sim_frame_of(w->sim, ptb_pa(l2)).raw << 12 | 0x27;
	for (unsigned t = 0; t < nl1; t++) {
		uint64_t *p1 = ptb_sim_ptr(w->sim, ptb_pa(l1 + 4096ull * t));
		p2[t] = ptb_sim_frame_of(w->sim, ptb_pa(l1 + 4096ull * t)).raw << 12 | 0x27;
		for (unsigned i = 0; i < 512 && 512ull * t + i < pages; i++) {
			uint64_t pa = (512ull * t + i) << 12;
			bool ro = pa >= l4 && pa < l1 + 4096ull * nl1;
			p1[i] = ptb_sim_frame_of(w->sim, ptb_pa(pa)).raw << 12 | 0x25 | (ro ? 0 : 2);
		}
	}
	w->n_boot_tables = 3 + nl1;
	for (unsigned t = 0; t < w->n_boot_tables; t++) {
		w->boot_tables[t] = base + 4096ull * t;
		ptb_sim_adopt_table(w->sim, ptb_pa(w->boot_tables[t]), t < 3 ? 4 - t : 1, true);
	}
	struct ptb_backend be = ptb_sim_backend(w->sim);
	assert_int_equal(be.ops->activate(be.ctx, ptb_pa(l4), 4), PTB_OK);
	return l4;
}

static void world_init(struct world *w, const struct machine *m, uint64_t reserve_pages)
{
	memset(w, 0, sizeof(*w));
	w->m = m;
	struct ptb_sim_config sc = { .mem_bytes = (ram_top(m) + GiB) & ~(GiB - 1), .xen_rules = m->xen,
				     .scramble_frames = m->xen, .seed = 3 };
	w->sim = ptb_sim_new(&sc);
	assert_non_null(w->sim);
	static const enum ptb_seg_kind kinds[4] = { PTB_SEG_TEXT, PTB_SEG_RODATA, PTB_SEG_DATA, PTB_SEG_BSS };
	for (unsigned i = 0; i < 4; i++)
		w->seg[i] = (struct ptb_segment){ ptb_va(m->kbase + m->kernel_pa + i * MiB),
						  ptb_pa(m->kernel_pa + i * MiB), MiB, kinds[i] };
	w->in = (struct ptb_boot_input){
		.format = m->format, .backend = ptb_sim_backend(w->sim), .memmap = m->map, .memmap_len = m->n,
		.kernel = w->seg, .kernel_len = 4, .reserve_pa = ptb_pa(m->kernel_pa + 3 * MiB),
		.reserve_pages = reserve_pages, .reserve_va = ptb_va(m->kbase + m->kernel_pa + 3 * MiB),
		.direct_map = ptb_va(m->dm), .max_leaf_level = m->max_leaf, .nx = true, .xen = m->xen,
	};
	if (m->xen) {
		w->in.boot_root = ptb_pa(build_boot_tree(w, (m->kernel_pa + 8 * MiB) >> 12));
		w->in.boot_root_live = true;
		struct ptb_sim_window win[2] = { { KBASE, 0, m->kernel_pa + 8 * MiB }, { m->dm, 0, ram_top(m) } };
		ptb_sim_set_windows(w->sim, win, 2);
	}
}

/* Independent count: for each level, the distinct table blocks that a leaf
 * of that level or below must live in, for the kernel and the direct map. */
static uint64_t blocks_needed(const struct machine *m, uint64_t va, uint64_t pa, uint64_t len,
			      unsigned level, uint64_t *last_block, bool *have)
{
	unsigned max_leaf = m->xen ? 1 : m->max_leaf;
	if (m->format == &ptb_format_pae && max_leaf > 2)
		max_leaf = 2;
	unsigned shift = 12 + 9 * level;
	uint64_t span = 1ull << shift, n = 0, last = va + len - 1; /* inclusive: no wrap */
	for (uint64_t k = va >> shift; k <= last >> shift; k++) {
		uint64_t b = k << shift;
		uint64_t lo = b > va ? b : va, hi = b + span - 1 < last ? b + span : last + 1;
		bool covered = false;
		for (unsigned l = level + 1; l <= max_leaf && !covered; l++) {
			uint64_t s = 1ull << (12 + 9 * (l - 1));
			covered = !(lo & (s - 1)) && !(hi & (s - 1)) && !((lo - va + pa) & (s - 1)) &&
				  (m->format->leaf_levels & (1u << l));
		}
		if (!covered && !(*have && *last_block == b))
			n++, *last_block = b, *have = true;
	}
	return n;
}

static uint64_t independent_min_tables(const struct world *w)
{
	const struct machine *m = w->m;
	unsigned levels = m->format->levels;
	uint64_t total = 1;
	for (unsigned level = 1; level < levels; level++) {
		uint64_t last = 0;
		bool have = false;
		for (unsigned i = 0; i < 4; i++)
			total += blocks_needed(m, w->seg[i].va.raw, w->seg[i].pa.raw, w->seg[i].len, level, &last, &have);
		have = false;
		for (size_t i = 0; i < m->n; i++) { /* ascending: blocks come in order */
			const struct ptb_mem_range *r = &m->map[i];
			if (r->type != PTB_MEM_RAM)
				continue;
			uint64_t lo = (r->base + 4095) & ~4095ull, end = r->base + r->len;
			/* merge touching RAM ranges as the bootstrap does */
			while (i + 1 < m->n && m->map[i + 1].type == PTB_MEM_RAM && m->map[i + 1].base == end)
				end += m->map[++i].len;
			uint64_t hi = end & ~4095ull;
			if (hi > lo)
				total += blocks_needed(m, m->dm + lo, lo, hi - lo, level, &last, &have);
		}
	}
	return total;
}

struct verify {
	struct world *w;
	uint64_t dm_bytes, tables[1 << 16];
	unsigned ntables;
	const char *err;
	uint64_t where;
};

static bool is_table(const struct verify *v, uint64_t pa)
{
	for (unsigned i = 0; i < v->ntables; i++)
		if (v->tables[i] == pa)
			return true;
	return false;
}

static bool in_reserve(const struct world *w, uint64_t pa)
{
	return pa >= w->in.reserve_pa.raw && pa < w->in.reserve_pa.raw + w->in.reserve_pages * 4096;
}

static void on_table(void *arg, uint64_t pa, unsigned level)
{
	struct verify *v = arg;
	(void)level;
	if (v->ntables < (1 << 16))
		v->tables[v->ntables++] = pa;
}

static void on_leaf(void *arg, const struct rw_leaf *l)
{
	struct verify *v = arg;
	const struct machine *m = v->w->m;
	if (v->err)
		return;
	if (!l->nx || l->user) {
		bool text = false;
		for (int i = 0; i < 4; i++)
			text |= v->w->seg[i].kind == PTB_SEG_TEXT && l->va >= v->w->seg[i].va.raw &&
				l->va < v->w->seg[i].va.raw + v->w->seg[i].len;
		if (!text || l->write || l->user) {
			v->err = "executable or user leaf outside kernel text";
			v->where = l->va;
			return;
		}
	}
	if (l->va >= m->dm && l->va - m->dm < (1ull << 46)) {
		uint64_t pa = l->va - m->dm;
		if (l->pa != pa || !usable(m, pa, l->size)) {
			v->err = "direct map entry not at direct_map + pa of usable RAM";
			v->where = l->va;
			return;
		}
		bool must_ro = m->xen && (is_table(v, pa) || in_reserve(v->w, pa));
		if (l->write == must_ro) {
			v->err = must_ro ? "a table page is writable in the direct map" : "RAM mapped read-only";
			v->where = l->va;
		}
		v->dm_bytes += l->size;
		return;
	}
	for (int i = 0; i < 4; i++) {
		const struct ptb_segment *s = &v->w->seg[i];
		if (l->va >= s->va.raw && l->va < s->va.raw + s->len) {
			bool want_w = s->kind >= PTB_SEG_DATA && !(m->xen && in_reserve(v->w, l->pa));
			if (l->pa != s->pa.raw + (l->va - s->va.raw) || l->write != want_w)
				v->err = "kernel segment mapped wrongly", v->where = l->va;
			return;
		}
	}
	v->err = "a leaf outside the kernel and the direct map";
	v->where = l->va;
}

static void verify(struct world *w, bool exact)
{
	const struct machine *m = w->m;
	struct verify *v = calloc(1, sizeof(*v));
	v->w = w;
	struct rw_tree tree = { w->sim, m->rwf, boot.space.root.raw, m->xen ? 256 : 0, m->xen ? 16 : 0 };
	assert_int_equal(refwalk_all(&tree, NULL, on_table, v), 0);
	assert_int_equal(refwalk_all(&tree, on_leaf, NULL, v), 0);
	if (v->err)
		fail_msg("%s: %s at va %#llx", m->name, v->err, (unsigned long long)v->where);
	assert_int_equal(v->dm_bytes, usable_bytes(m));
	/* tables: in usable RAM or the reserve, none below a free page */
	uint64_t lowest = ~0ull;
	for (unsigned i = 0; i < v->ntables; i++) {
		uint64_t t = v->tables[i];
		assert_true(usable(m, t, 4096) || in_reserve(w, t));
		if (!in_reserve(w, t) && t < lowest)
			lowest = t;
	}
	for (uint64_t p = lowest; p != ~0ull && p < ram_top(m); p += 4096) {
		bool excluded = p >= m->kernel_pa && p < m->kernel_pa + 8 * MiB;
		if (usable(m, p, 4096) && !is_table(v, p) && !excluded && ptb_sim_stats(w->sim)->traps)
			fail_msg("%s: free page %#llx lies above table %#llx", m->name, (unsigned long long)p,
				 (unsigned long long)lowest);
	}
	assert_int_equal(v->ntables, boot.stats.tables.by_level[0]);
	assert_int_equal(boot.stats.min_tables, independent_min_tables(w));
	if (exact)
		assert_int_equal(v->ntables, independent_min_tables(w));
	else
		assert_true(v->ntables >= independent_min_tables(w));
	const struct ptb_sim_stats *st = ptb_sim_stats(w->sim);
	assert_int_equal(st->rw_to_ro, v->ntables + (m->xen ? 0 : 0));
	assert_int_equal(st->ro_to_rw, w->n_boot_tables); /* only the boot tree goes back */
	if (m->xen)
		assert_true(ptb_sim_verify_sealed(w->sim));
	/* the boot tree given back, as the platform sees it: unpinned, and
	 * every adopted page returned to the sim */
	for (unsigned t = 0; m->xen && t < w->n_boot_tables; t++)
		assert_false(ptb_sim_is_sealed(w->sim, ptb_pa(w->boot_tables[t])));
	if (m->xen)
		assert_int_equal(st->pages_allocated, 0);
	assert_int_equal(st->refusals, 0);
	print_message("%s: %u tables (minimum %llu), %llu from the reserve, %llu hook traps, lowest table %#llx\n",
		      m->name, v->ntables, (unsigned long long)independent_min_tables(w),
		      (unsigned long long)boot.stats.reserve_used, (unsigned long long)st->traps,
		      (unsigned long long)boot.stats.lowest_table_pa);
	free(v);
}

static void run_machine(const struct machine *m)
{
	struct world *w = calloc(1, sizeof(*w));
	world_init(w, m, 1);
	uint64_t need;
	struct ptb_boot *work = malloc(sizeof(*work));
	assert_int_equal(ptb_boot_reserve_needed(NULL, &w->in, &need), PTB_E_INVAL);
	assert_int_equal(ptb_boot_reserve_needed(work, &w->in, &need), PTB_OK);
	free(work);
	/* one page less: out of memory, cleanly, before anything changed */
	if (need > 1) {
		w->in.reserve_pages = need - 1;
		uint64_t traps = ptb_sim_stats(w->sim)->traps, pages = ptb_sim_stats(w->sim)->pages_allocated;
		ptb_err_t err = ptb_boot_run(&boot, &w->in);
		if (err != PTB_E_NOMEM)
			fail_msg("%s: reserve %llu - 1: %s (%s)", m->name, (unsigned long long)need,
				 ptb_strerror(err), ptb_sim_stats(w->sim)->last_refusal);
		assert_int_equal(ptb_sim_stats(w->sim)->traps, traps);
		assert_int_equal(ptb_sim_stats(w->sim)->pages_allocated, pages);
	}
	/* exactly the computed reserve: most tables come after the switch */
	w->in.reserve_pages = need;
	ptb_err_t err = ptb_boot_run(&boot, &w->in);
	if (err)
		fail_msg("%s: reserve %llu: %s (%s)", m->name, (unsigned long long)need, ptb_strerror(err),
			 ptb_sim_stats(w->sim)->last_refusal);
	assert_int_equal(boot.stats.reserve_used, need);
	verify(w, false);
	ptb_sim_delete(w->sim);
	/* a roomy reserve: the minimum number of tables exactly */
	world_init(w, m, 64);
	err = ptb_boot_run(&boot, &w->in);
	if (err)
		fail_msg("%s: reserve 64: %s (%s)", m->name, ptb_strerror(err), ptb_sim_stats(w->sim)->last_refusal);
	verify(w, true);
	ptb_sim_delete(w->sim);
	free(w);
}

#define PC_LOW { 0, 0x9f000, PTB_MEM_RAM }, { 0x9f000, 0x61000, PTB_MEM_RESERVED }

static const struct machine machines[] = {
	{ "4G PC, 1G pages", &ptb_format_x86_64_4level, RW_4LEVEL,
	  { PC_LOW, { 0x100000, 0xbfee0000, PTB_MEM_RAM }, { 0xbffe0000, 0x20000, PTB_MEM_RESERVED },
	    { 0x100000000ull, GiB, PTB_MEM_RAM } }, 5, 3, false, 16 * MiB, DM, KBASE },
	{ "holes and small ranges, 2M pages", &ptb_format_x86_64_4level, RW_4LEVEL,
	  { PC_LOW, { 0x100000, 0x3ff00000, PTB_MEM_RAM }, { 0x40000000, 0x1000, PTB_MEM_ACPI },
	    { 0x40001000, 0x1ff000, PTB_MEM_RAM }, { 0x40200000, 0x5000, PTB_MEM_NVS },
	    { 0x40205000, 0x3000, PTB_MEM_RAM }, { 0x40208000, 0x3000000, PTB_MEM_RESERVED },
	    { 0x100000000ull, 0x80123000, PTB_MEM_RAM } }, 9, 2, false, 16 * MiB, DM, KBASE },
	{ "fragmented top (QEMU+EFI-like)", &ptb_format_x86_64_4level, RW_4LEVEL,
	  { PC_LOW, { 0x100000, 0x7ed00000, PTB_MEM_RAM }, { 0x7ee00000, 0x2000, PTB_MEM_RESERVED },
	    { 0x7ee02000, 0x80e000, PTB_MEM_RAM }, { 0x7f610000, 0x1000, PTB_MEM_ACPI },
	    { 0x7f611000, 0x9000, PTB_MEM_RAM }, { 0x7f61a000, 0x3000, PTB_MEM_NVS },
	    { 0x7f61d000, 0x9e3000, PTB_MEM_RAM }, { 0x80000000, 0x1000, PTB_MEM_RESERVED } },
	  10, 3, false, 16 * MiB, DM, KBASE },
	{ "1 TiB, 1G pages", &ptb_format_x86_64_4level, RW_4LEVEL,
	  { PC_LOW, { 0x100000, 0xbff00000, PTB_MEM_RAM }, { 0x100000000ull, 1023 * GiB, PTB_MEM_RAM } },
	  4, 3, false, 16 * MiB, DM, KBASE },
	{ "5-level", &ptb_format_x86_64_5level, RW_5LEVEL,
	  { PC_LOW, { 0x100000, 0x7ff00000, PTB_MEM_RAM }, { 0x100000000ull, 3 * GiB + 0x345000, PTB_MEM_RAM } },
	  4, 3, false, 16 * MiB, 0xff11000000000000ull, 0xffffffff80000000ull },
	{ "PAE", &ptb_format_pae, RW_PAE,
	  { PC_LOW, { 0x100000, 0x2ff00000, PTB_MEM_RAM } }, 3, 2, false, 16 * MiB, 0xc0000000ull, 0x80000000ull },
	/* RAM from 2M that starts as two touching ranges (a 2M page spans
	 * them), and a range starting one byte past a page boundary and ending
	 * mid-page: only whole pages are mapped. */
	{ "touching and unaligned RAM ranges", &ptb_format_x86_64_4level, RW_4LEVEL,
	  { { 0x200000, 0x100000, PTB_MEM_RAM }, { 0x300000, 0x3fd00000, PTB_MEM_RAM },
	    { 0x40000000, 0x1, PTB_MEM_RESERVED }, { 0x40000001, 0x800007ff, PTB_MEM_RAM } },
	  4, 2, false, 16 * MiB, DM, KBASE },
	{ "Xen rules, 4K only, adopted boot tree", &ptb_format_x86_64_4level, RW_4LEVEL,
	  { { 0, 768 * MiB + 0x7000, PTB_MEM_RAM } }, 1, 3, true, 2 * MiB, DM, KBASE },
};

static void test_machine(void **state)
{
	run_machine(*state);
}

static void test_bad_memory_maps(void **state)
{
	(void)state;
	struct world *w = calloc(1, sizeof(*w));
	world_init(w, &machines[0], 64);
	struct ptb_mem_range overlap[2] = { { 0, 2 * MiB, 1 }, { MiB, 2 * MiB, 1 } };
	struct ptb_mem_range unsorted[2] = { { 64 * MiB, 2 * MiB, 1 }, { 0, 32 * MiB, 1 } };
	struct ptb_mem_range empty[1] = { { 0, 0, 1 } };
	struct ptb_mem_range wide[1] = { { 0, 1ull << 53, 1 } };
	struct ptb_mem_range badtype[1] = { { 0, 64 * MiB, 99 } };
	const struct ptb_mem_range *maps[] = { overlap, unsorted, empty, wide, badtype };
	size_t lens[] = { 2, 2, 1, 1, 1 };
	for (int i = 0; i < 5; i++) {
		w->in.memmap = maps[i];
		w->in.memmap_len = lens[i];
		assert_int_equal(ptb_boot_run(&boot, &w->in), PTB_E_MEMMAP);
		assert_int_equal(ptb_sim_stats(w->sim)->traps, 0);
	}
	w->in.memmap = machines[0].map;
	w->in.memmap_len = machines[0].n;
	w->in.reserve_pa = ptb_pa(w->in.reserve_pa.raw + 1);
	assert_int_equal(ptb_boot_run(&boot, &w->in), PTB_E_ALIGN);
	w->in.reserve_pa = ptb_pa(2 * GiB); /* not inside the kernel image */
	assert_int_equal(ptb_boot_run(&boot, &w->in), PTB_E_INVAL);
	w->in.reserve_pa = ptb_pa(w->m->kernel_pa + 3 * MiB);
	/* kernel and extra segments together over PTB_BOOT_MAX_SEGMENTS (each
	 * alone within it) */
	static struct ptb_segment extra[PTB_BOOT_MAX_SEGMENTS];
	for (unsigned i = 0; i < PTB_BOOT_MAX_SEGMENTS; i++)
		extra[i] = (struct ptb_segment){ ptb_va(0xffffc90000000000ull + i * MiB), ptb_pa(1 * GiB + i * MiB),
						 4096, PTB_SEG_DATA };
	w->in.extra = extra;
	w->in.extra_len = PTB_BOOT_MAX_SEGMENTS - 4 + 1;
	assert_int_equal(ptb_boot_run(&boot, &w->in), PTB_E_INVAL);
	w->in.extra_len = PTB_BOOT_MAX_SEGMENTS - 4; /* exactly the limit: runs */
	assert_int_equal(ptb_boot_run(&boot, &w->in), PTB_OK);
	assert_true(boot.stats.map_calls >= 4 && boot.stats.map_calls < 1000);
	for (unsigned i = 0; i < w->in.extra_len; i++) { /* every extra range mapped, the first too */
		struct ptb_mapping m;
		assert_int_equal(ptb_space_query(&boot.space, extra[i].va, &m), PTB_OK);
		assert_int_equal(m.pa.raw, extra[i].pa.raw);
	}
	ptb_sim_delete(w->sim);
	free(w);
}

/* The platform's hooks with one refusal: the `refuse_seal`-th seal call or
 * the `refuse_activate`-th activate call (1 = the first) returns
 * PTB_E_REFUSED having done nothing, as backend.h allows. */
struct refusing {
	struct ptb_backend inner;
	struct ptb_backend_ops ops;
	unsigned refuse_seal, refuse_activate, seals, activates;
};

static ptb_err_t refusing_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct refusing *r = ctx;
	if (++r->seals == r->refuse_seal) {
		*done = 0;
		return PTB_E_REFUSED;
	}
	return r->inner.ops->seal(r->inner.ctx, t, n, done);
}

static ptb_err_t refusing_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct refusing *r = ctx;
	if (++r->activates == r->refuse_activate)
		return PTB_E_REFUSED;
	return r->inner.ops->activate(r->inner.ctx, root, level);
}

#define FORWARD(name, ret, params, args) \
	static ret refusing_##name params { struct refusing *r = ctx; return r->inner.ops->name args; }
FORWARD(alloc_table, ptb_err_t, (void *ctx, unsigned level, ptb_pa_t *pa), (r->inner.ctx, level, pa))
FORWARD(table_ptr, uint64_t *, (void *ctx, ptb_pa_t pa), (r->inner.ctx, pa))
FORWARD(frames_of, ptb_err_t, (void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out), (r->inner.ctx, pa, n, out))
FORWARD(pa_of, ptb_err_t, (void *ctx, ptb_frame_t fr, ptb_pa_t *pa), (r->inner.ctx, fr, pa))
FORWARD(retire, ptb_err_t, (void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done),
	(r->inner.ctx, t, n, done))
FORWARD(write_live, ptb_err_t, (void *ctx, const struct ptb_live_write *w, size_t n, size_t *done),
	(r->inner.ctx, w, n, done))
static void refusing_free_table(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct refusing *r = ctx;
	r->inner.ops->free_table(r->inner.ctx, pa, level);
}
static void refusing_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct refusing *r = ctx;
	r->inner.ops->flush(r->inner.ctx, va, len);
}

static struct ptb_backend refusing_backend(struct refusing *r, struct ptb_backend inner)
{
	r->inner = inner;
	r->ops = (struct ptb_backend_ops){
		.flags = inner.ops->flags, .alloc_table = refusing_alloc_table,
		.free_table = refusing_free_table, .table_ptr = refusing_table_ptr,
		.frames_of = refusing_frames_of, .pa_of = refusing_pa_of, .seal = refusing_seal,
		.retire = refusing_retire, .write_live = refusing_write_live,
		.activate = refusing_activate, .flush = refusing_flush,
	};
	return (struct ptb_backend){ &r->ops, r };
}

/*
 * A hook refusal before the switch (the step-3 seal, or the activate):
 * PTB_E_REFUSED, everything undone (every reserve page given back, nothing
 * left sealed, the boot tree still active), and the same input then boots.
 */
static void refused_before_switch(const struct machine *m, unsigned seal, unsigned activate)
{
	struct world *w = calloc(1, sizeof(*w));
	world_init(w, m, 64);
	struct refusing r = { .refuse_seal = seal, .refuse_activate = activate };
	struct ptb_backend plain = w->in.backend;
	ptb_pa_t root_before = ptb_sim_active_root(w->sim);
	uint64_t pages = ptb_sim_stats(w->sim)->pages_allocated;
	w->in.backend = refusing_backend(&r, plain);
	assert_int_equal(ptb_boot_run(&boot, &w->in), PTB_E_REFUSED);
	assert_true(seal ? r.seals == seal : r.activates == activate);
	const struct ptb_sim_stats *st = ptb_sim_stats(w->sim);
	assert_int_equal(boot.stats.reserve_used, 0);
	assert_int_equal(boot.reserve_left, w->in.reserve_pages);
	assert_int_equal(boot.stats.ram_tables, 0);
	assert_int_equal(ptb_sim_active_root(w->sim).raw, root_before.raw);
	assert_int_equal(st->pages_allocated, pages);
	assert_int_equal(st->rw_to_ro, st->ro_to_rw); /* whatever was sealed was retired */
	assert_int_equal(st->calls[PTB_SIM_FLUSH], 0);
	for (uint64_t p = w->in.reserve_pa.raw; p < w->in.reserve_pa.raw + 64 * 4096; p += 4096)
		assert_false(ptb_sim_is_sealed(w->sim, ptb_pa(p)));
	if (m->xen)
		assert_true(ptb_sim_verify_sealed(w->sim));
	w->in.backend = plain;
	ptb_sim_reset_stats(w->sim);
	ptb_err_t err = ptb_boot_run(&boot, &w->in);
	if (err)
		fail_msg("%s: after a refusal: %s (%s)", m->name, ptb_strerror(err), ptb_sim_stats(w->sim)->last_refusal);
	verify(w, true);
	ptb_sim_delete(w->sim);
	free(w);
}

static void test_refused_seal_before_switch(void **state)
{
	(void)state;
	refused_before_switch(&machines[0], 1, 0);
	refused_before_switch(&machines[7], 1, 0);
}

static void test_refused_activate(void **state)
{
	(void)state;
	refused_before_switch(&machines[0], 0, 1);
	refused_before_switch(&machines[7], 0, 1);
}

/* Bad in-use ranges (empty, wrapping, ending in the last page) are refused
 * before the caller's struct ptb_boot is written (it used to be overwritten
 * first). */
static void test_bad_in_use_changes_nothing(void **state)
{
	(void)state;
	struct world *w = calloc(1, sizeof(*w));
	world_init(w, &machines[0], 64);
	struct ptb_boot *b = malloc(sizeof(*b)), *copy = malloc(sizeof(*b));
	const struct ptb_mem_range bad[] = {
		{ 0x200000, 0, PTB_MEM_RAM },
		{ 0xfffffffffffff000ull, 0x2000, PTB_MEM_RAM },
		{ 0xffffffffffffe000ull, 0x1001, PTB_MEM_RAM },
	};
	for (unsigned i = 0; i < 3; i++) {
		memset(b, 0xa5, sizeof(*b));
		memcpy(copy, b, sizeof(*b));
		w->in.in_use = &bad[i];
		w->in.in_use_len = 1;
		ptb_sim_reset_stats(w->sim);
		assert_int_equal(ptb_boot_run(b, &w->in), PTB_E_INVAL);
		assert_memory_equal(b, copy, sizeof(*b));
		assert_int_equal(ptb_sim_stats(w->sim)->pages_allocated, 0);
	}
	free(b);
	free(copy);
	ptb_sim_delete(w->sim);
	free(w);
}

/* White-box: the wrapping hooks are internal to src/boot. */
void boot_hooks_init(struct ptb_boot *b);

/* Reserve pages come back in any order before the switch (a transaction's
 * unused reservation is its oldest page): the next allocation must take a
 * page given back, never hand out one still in use (the hook used to count
 * a page back and hand out the newest, still a table). */
static void test_reserve_given_back_out_of_order(void **state)
{
	(void)state;
	struct world *w = calloc(1, sizeof(*w));
	world_init(w, &machines[0], 8);
	struct ptb_boot *b = calloc(1, sizeof(*b));
	b->in = w->in;
	boot_hooks_init(b);
	b->reserve_left = 8;
	ptb_pa_t p[4];
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(b->ops.alloc_table(b, 1, &p[i]), PTB_OK);
		assert_int_equal(p[i].raw, w->in.reserve_pa.raw + 4096ull * i);
	}
	b->ops.free_table(b, p[0], 1); /* the oldest */
	assert_int_equal(b->stats.reserve_used, 2);
	assert_int_equal(b->ops.alloc_table(b, 1, &p[3]), PTB_OK);
	assert_int_equal(p[3].raw, p[0].raw);
	b->ops.free_table(b, p[1], 1);
	b->ops.free_table(b, p[3], 1);
	ptb_pa_t q[8];
	for (unsigned i = 0; i < 7; i++) /* every page but the one in use, once */
		assert_int_equal(b->ops.alloc_table(b, 1, &q[i]), PTB_OK);
	ptb_pa_t none;
	assert_int_equal(b->ops.alloc_table(b, 1, &none), PTB_E_NOMEM);
	for (unsigned i = 0; i < 7; i++) {
		assert_int_not_equal(q[i].raw, p[2].raw);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(q[i].raw, q[j].raw);
	}
	assert_int_equal(b->stats.reserve_used, 8);
	free(b);
	ptb_sim_delete(w->sim);
	free(w);
}

int main(void)
{
	struct CMUnitTest tests[16];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		tests[n++] = (struct CMUnitTest){ machines[i].name, test_machine, NULL, NULL, (void *)&machines[i] };
	tests[n++] = (struct CMUnitTest){ "bad memory maps", test_bad_memory_maps, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "seal refused before the switch", test_refused_seal_before_switch, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "activate refused", test_refused_activate, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "bad in-use ranges change nothing", test_bad_in_use_changes_nothing,
					  NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "reserve given back out of order", test_reserve_given_back_out_of_order,
					  NULL, NULL, NULL };
	return _cmocka_run_group_tests("bootstrap", tests, n, NULL, NULL);
}
