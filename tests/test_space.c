/* SPDX-License-Identifier: MIT */
/* Address-space operations, case by case, checked by the reference walker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/check.h>
#include <ptboot/cursor.h>
#include "ptb_checked.h"
#include "ptb_sim.h"
#include "refwalk.h"
#include "tlbcheck.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define DM 0xffff888000000000ull

struct fx {
	struct ptb_sim *sim;
	struct ptb_checked chk;
	struct ptb_checked_slot slots[1 << 14];
	struct ptb_space s;
	struct rw_tree tree;
};

static void violation(void *arg, const char *what)
{
	(void)arg;
	fail_msg("hook contract violated: %s", what);
}

static struct fx *fx_new(const struct ptb_format *f, int rwf, unsigned max_leaf, bool xen)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ptb_sim_config sc = { .mem_bytes = 8 * GiB, .xen_rules = xen, .scramble_frames = xen, .seed = 5 };
	x->sim = ptb_sim_new(&sc);
	ptb_sim_set_pool(x->sim, ptb_pa(6 * GiB), ptb_pa(8 * GiB));
	ptb_checked_init(&x->chk, ptb_sim_backend(x->sim), f, x->slots, 1 << 14);
	x->chk.on_violation = violation;
	struct ptb_space_config cfg = { .format = f, .backend = ptb_checked_backend(&x->chk),
					.max_leaf_level = max_leaf, .flags = PTB_SPACE_NX | PTB_SPACE_WX_STRICT,
					.reserved_first = xen ? 256 : 0, .reserved_count = xen ? 16 : 0 };
	assert_int_equal(ptb_space_create(&x->s, &cfg), PTB_OK);
	x->tree = (struct rw_tree){ x->sim, rwf, x->s.root.raw, xen ? 256 : 0, xen ? 16 : 0 };
	return x;
}

static struct fx *fx4(unsigned max_leaf)
{
	return fx_new(&ptb_format_x86_64_4level, RW_4LEVEL, max_leaf, false);
}

static void fx_free(struct fx *x)
{
	assert_int_equal(x->chk.violations, 0);
	ptb_sim_delete(x->sim);
	free(x);
}

static uint64_t pages(struct fx *x)
{
	return ptb_sim_stats(x->sim)->pages_allocated;
}

/* Expect va -> pa with a leaf of the given level (0: not mapped). */
static void expect(struct fx *x, uint64_t va, uint64_t pa, unsigned level)
{
	struct rw_leaf l;
	int r = refwalk_translate(&x->tree, va, &l);
	if (!level) {
		assert_int_equal(r, 1);
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(l.pa + (va & (l.size - 1)), pa);
	assert_int_equal(l.level, level);
}

struct level_count {
	uint64_t n[4];
};

static void count_leaf(void *arg, const struct rw_leaf *l)
{
	((struct level_count *)arg)->n[l->level]++;
}

static struct level_count leaves(struct fx *x)
{
	struct level_count c = { { 0 } };
	assert_int_equal(refwalk_all(&x->tree, count_leaf, NULL, &c), 0);
	return c;
}

/* A range from 8K below a 1G line to 2M + 8K past the next: 4K, 2M, 1G, 2M, 4K. */
static void test_map_mixes_page_sizes(void **state)
{
	(void)state;
	struct fx *x = fx4(3);
	uint64_t va = DM + GiB - 2 * MiB - 8 * KiB, len = 8 * KiB + 2 * MiB + GiB + 2 * MiB + 8 * KiB;
	assert_int_equal(ptb_space_map(&x->s, ptb_va(va), ptb_pa(va - DM), len, PTB_ATTR_WRITE, 0), PTB_OK);
	struct level_count c = leaves(x);
	assert_int_equal(c.n[3], 1);
	assert_int_equal(c.n[2], 2);
	assert_int_equal(c.n[1], 4);
	expect(x, va, va - DM, 1);
	expect(x, DM + GiB - 2 * MiB, GiB - 2 * MiB, 2);
	expect(x, DM + GiB + 12345, GiB + 12345, 3);
	expect(x, DM + 2 * GiB + MiB, 2 * GiB + MiB, 2);
	expect(x, va + len - 1, va + len - 1 - DM, 1);
	expect(x, va + len, 0, 0);
	expect(x, va - 4 * KiB, 0, 0);
	/* max_leaf 2 and the 4K-only flag pick smaller pages */
	struct fx *y = fx4(2);
	assert_int_equal(ptb_space_map(&y->s, ptb_va(DM), ptb_pa(0), 2 * GiB, 0, 0), PTB_OK);
	assert_int_equal(leaves(y).n[2], 1024);
	assert_int_equal(ptb_space_map(&y->s, ptb_va(DM + 4 * GiB), ptb_pa(0), 4 * MiB, 0, PTB_MAP_4K_ONLY), PTB_OK);
	assert_int_equal(leaves(y).n[1], 1024);
	/* misaligned pa: no large pages even where va is aligned */
	assert_int_equal(ptb_space_map(&y->s, ptb_va(DM + 8 * GiB), ptb_pa(4 * KiB), 2 * MiB, 0, 0), PTB_OK);
	expect(y, DM + 8 * GiB, 4 * KiB, 1);
	fx_free(x);
	fx_free(y);
}

/* map, query, protect and unmap at each page size, exactly on leaves (no
 * table changes) and across the line between two leaves (both split). */
static void test_each_page_size(void **state)
{
	(void)state;
	for (unsigned level = 1; level <= 3; level++) {
		struct fx *x = fx4(level);
		const uint64_t size = 1ull << (12 + 9 * (level - 1)), va = DM + 4 * size, pa = 8 * size;
		assert_int_equal(ptb_space_map(&x->s, ptb_va(va), ptb_pa(pa), 2 * size, PTB_ATTR_WRITE, 0), PTB_OK);
		assert_int_equal(leaves(x).n[level], 2);
		struct ptb_mapping q;
		assert_int_equal(ptb_space_query(&x->s, ptb_va(va + size + 123), &q), PTB_OK);
		assert_int_equal(q.pa.raw, pa + size + 123);
		assert_int_equal(q.level, level);
		assert_int_equal(q.page_size, size);
		uint64_t tables = pages(x);
		assert_int_equal(ptb_space_protect(&x->s, ptb_va(va), size, 0), PTB_OK);
		assert_int_equal(pages(x), tables);
		assert_int_equal(ptb_space_query(&x->s, ptb_va(va), &q), PTB_OK);
		assert_int_equal(q.attr, 0);
		assert_int_equal(ptb_space_unmap(&x->s, ptb_va(va + size), size), PTB_OK);
		assert_int_equal(pages(x), tables);
		expect(x, va + size, 0, 0);
		expect(x, va + size - 1, pa + size - 1, level);
		if (level == 1) { /* a 4K leaf has no part outside a range */
			fx_free(x);
			continue;
		}
		/* across the line: what of each leaf is outside the range stays */
		assert_int_equal(ptb_space_map(&x->s, ptb_va(va + size), ptb_pa(pa + size), size, PTB_ATTR_WRITE, 0), PTB_OK);
		assert_int_equal(ptb_space_unmap(&x->s, ptb_va(va + size - 4096), 8192), PTB_OK);
		expect(x, va + size - 4096, 0, 0);
		expect(x, va + size, 0, 0);
		expect(x, va + size - 8192, pa + size - 8192, 1);
		expect(x, va + size + 4096, pa + size + 4096, 1);
		expect(x, va, pa, level - 1);
		assert_int_equal(ptb_space_unmap(&x->s, ptb_va(va), 2 * size), PTB_OK);
		assert_int_equal(pages(x), 1);
		fx_free(x);
	}
}

static void test_edges_of_canonical_halves(void **state)
{
	(void)state;
	struct fx *x = fx4(3);
	uint64_t lo = 0x00007ffffffff000ull, hi = 0xfffffffffffff000ull;
	assert_int_equal(ptb_space_map(&x->s, ptb_va(lo), ptb_pa(0x1000), 4096, 0, 0), PTB_OK);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(hi), ptb_pa(0x2000), 4096, 0, 0), PTB_OK);
	expect(x, lo, 0x1000, 1);
	expect(x, hi + 4095, 0x2fff, 1);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(lo), ptb_pa(0), 8192, 0, 0), PTB_E_NONCANON);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(hi), ptb_pa(0), 8192, 0, 0), PTB_E_RANGE); /* wraps */
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(hi), 4096), PTB_OK);
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(lo), 4096), PTB_OK);
	assert_int_equal(pages(x), 1); /* only the root is left */
	fx_free(x);
}

/* A tree built by hand (someone else's), adopted and extended without
 * clobbering what is present. */
static void test_adopt_and_extend(void **state)
{
	(void)state;
	struct ptb_sim_config sc = { .mem_bytes = 1 * GiB };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	uint64_t l4 = 0x100000, l3 = 0x101000, l2 = 0x102000, l1 = 0x103000;
	uint64_t *p4 = ptb_sim_ptr(sim, ptb_pa(l4)), *p3 = ptb_sim_ptr(sim, ptb_pa(l3));
	uint64_t *p2 = ptb_sim_ptr(sim, ptb_pa(l2)), *p1 = ptb_sim_ptr(sim, ptb_pa(l1));
	p4[511] = l3 | 0x23;                          /* the kernel's -2G region */
	p3[510] = l2 | 0x23;
	p2[0] = l1 | 0x23;
	p2[1] = 0x200000 | 0x83 | (1ull << 63);      /* a 2M page */
	p1[0] = 0x5000 | 0x1 | (1ull << 63);          /* a read-only 4K page */
	p1[1] = 0x6000 | 0x3 | (1ull << 63);
	for (uint64_t t = l4; t <= l1; t += 4096)
		ptb_sim_adopt_table(sim, ptb_pa(t), 4 - (unsigned)((t - l4) >> 12), false);
	ptb_sim_set_pool(sim, ptb_pa(512 * MiB), ptb_pa(1 * GiB));
	struct ptb_space s;
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_sim_backend(sim),
					.max_leaf_level = 2, .flags = PTB_SPACE_NX };
	assert_int_equal(ptb_space_adopt(&s, &cfg, ptb_pa(l4), false), PTB_OK);
	uint64_t before[4] = { p1[0], p1[1], p2[1], p3[510] };
	const uint64_t kva = 0xffffffff80000000ull;
	/* conflicts by default ... */
	assert_int_equal(ptb_space_map(&s, ptb_va(kva), ptb_pa(0x5000), 16 * KiB, PTB_ATTR_WRITE, 0), PTB_E_CONFLICT);
	/* ... kept with PTB_MAP_KEEP, filling only the holes, in the same tables */
	assert_int_equal(ptb_space_map(&s, ptb_va(kva), ptb_pa(0x9000), 4 * MiB, PTB_ATTR_WRITE, PTB_MAP_KEEP), PTB_OK);
	assert_int_equal(p1[0], before[0]);
	assert_int_equal(p1[1], before[1]);
	assert_int_equal(p2[1], before[2]);
	assert_int_equal(p3[510], before[3]);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, 4); /* no new table was needed */
	struct rw_tree tree = { sim, RW_4LEVEL, l4, 0, 0 };
	struct rw_leaf l;
	assert_int_equal(refwalk_translate(&tree, kva + 2 * 4096, &l), 0);
	assert_int_equal(l.pa, 0x9000 + 2 * 4096);
	assert_true(l.write);
	assert_int_equal(refwalk_translate(&tree, kva, &l), 0);
	assert_int_equal(l.pa, 0x5000);
	assert_false(l.write);
	/* A new region needs new tables: only those are allocated. */
	assert_int_equal(ptb_space_map(&s, ptb_va(0xffff888000000000ull), ptb_pa(0), 4 * MiB, 0, 0), PTB_OK);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, 4 + 2);
	/* a root whose entries are not a valid tree is refused */
	uint64_t bad = 0x200000;
	((uint64_t *)ptb_sim_ptr(sim, ptb_pa(bad)))[3] = 0x1234567 | 0x81; /* PS in an L4 */
	struct ptb_space s2;
	assert_int_equal(ptb_space_adopt(&s2, &cfg, ptb_pa(bad), false), PTB_E_NOTTABLE);
	assert_int_equal(ptb_space_adopt(&s2, &cfg, ptb_pa(bad + 8), false), PTB_E_ALIGN);
	ptb_sim_delete(sim);
}

static void test_protect_splits_only_where_needed(void **state)
{
	(void)state;
	struct fx *x = fx4(3);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 2 * GiB, PTB_ATTR_WRITE, 0), PTB_OK);
	uint64_t t0 = pages(x);
	/* one 4K page in the middle of the first 1G page */
	assert_int_equal(ptb_space_protect(&x->s, ptb_va(DM + 5 * MiB), 4096, 0), PTB_OK);
	assert_int_equal(pages(x), t0 + 2); /* an L2 for the 1G page, an L1 for the 2M page */
	struct level_count c = leaves(x);
	assert_int_equal(c.n[3], 1);
	assert_int_equal(c.n[2], 511);
	assert_int_equal(c.n[1], 512);
	struct rw_leaf l;
	assert_int_equal(refwalk_translate(&x->tree, DM + 5 * MiB, &l), 0);
	assert_false(l.write);
	assert_int_equal(refwalk_translate(&x->tree, DM + 5 * MiB + 4096, &l), 0);
	assert_true(l.write);
	assert_int_equal(l.pa, 5 * MiB + 4096);
	/* a whole 1G page changes in place: no split */
	assert_int_equal(ptb_space_protect(&x->s, ptb_va(DM + GiB), GiB, PTB_ATTR_EXEC), PTB_OK);
	assert_int_equal(pages(x), t0 + 2);
	assert_int_equal(refwalk_translate(&x->tree, DM + GiB + 77, &l), 0);
	assert_false(l.nx);
	assert_false(l.write);
	/* holes stay holes */
	assert_int_equal(ptb_space_protect(&x->s, ptb_va(DM + 2 * GiB), GiB, 0), PTB_OK);
	expect(x, DM + 2 * GiB, 0, 0);
	/* W^X is refused */
	assert_int_equal(ptb_space_protect(&x->s, ptb_va(DM), 4096, PTB_ATTR_WRITE | PTB_ATTR_EXEC), PTB_E_WX);
	fx_free(x);
}

static void test_unmap_frees_exactly_the_empty_tables(void **state)
{
	(void)state;
	struct fx *x = fx4(1);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 4096, 0, 0), PTB_OK);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + 2 * MiB), ptb_pa(0), 4096, 0, 0), PTB_OK);
	assert_int_equal(pages(x), 5); /* root, L3, L2, two L1 */
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM), 4096), PTB_OK);
	assert_int_equal(pages(x), 4); /* the first L1 went, its L2 stayed */
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM + 4 * MiB), 4096), PTB_OK); /* a hole */
	assert_int_equal(pages(x), 4);
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM), 1 * GiB), PTB_OK);
	assert_int_equal(pages(x), 1);
	/* unmapping part of a 2M page splits it and keeps the rest */
	struct fx *y = fx4(2);
	assert_int_equal(ptb_space_map(&y->s, ptb_va(DM), ptb_pa(0), 2 * MiB, 0, 0), PTB_OK);
	assert_int_equal(ptb_space_unmap(&y->s, ptb_va(DM + 4096), 4096), PTB_OK);
	expect(y, DM, 0, 1);
	expect(y, DM + 4096, 0, 0);
	expect(y, DM + 8192, 8192, 1);
	assert_int_equal(leaves(y).n[1], 511);
	fx_free(x);
	fx_free(y);
}

static void test_cursor(void **state)
{
	(void)state;
	struct fx *x = fx4(3);
	struct ptb_cursor c;
	uint64_t e = 1;
	assert_int_equal(ptb_cursor_inspect(&c, &x->s, ptb_va(DM), &e), PTB_OK);
	assert_int_equal(c.level, 4);
	assert_int_equal(e, 0);
	assert_int_equal(pages(x), 1);
	assert_int_equal(ptb_cursor_hold(&c, &x->s, ptb_va(DM + 8192), 1), PTB_OK);
	assert_int_equal(c.level, 1);
	assert_int_equal(pages(x), 4);
	for (unsigned l = 1; l <= 4; l++) {
		assert_non_null(c.table[l]);
		assert_int_equal(c.table[l], ptb_sim_ptr(x->sim, c.table_pa[l]));
	}
	assert_int_equal(c.table[1][2], 0);
	/* hold again: nothing new */
	assert_int_equal(ptb_cursor_hold(&c, &x->s, ptb_va(DM + 12288), 1), PTB_OK);
	assert_int_equal(pages(x), 4);
	/* release frees the empty path bottom-up, never the root */
	assert_int_equal(ptb_cursor_release(&c, &x->s, ptb_va(DM)), PTB_OK);
	assert_int_equal(pages(x), 1);
	assert_int_equal(c.level, 4);
	/* a table with a mapping is not released */
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 4096, 0, 0), PTB_OK);
	assert_int_equal(ptb_cursor_release(&c, &x->s, ptb_va(DM + 4096)), PTB_OK);
	assert_int_equal(pages(x), 4);
	/* hold through a large leaf is a conflict */
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + GiB), ptb_pa(GiB), GiB, 0, 0), PTB_OK);
	assert_int_equal(ptb_cursor_hold(&c, &x->s, ptb_va(DM + GiB), 1), PTB_E_CONFLICT);
	fx_free(x);
}

static void test_share_kernel_half(void **state)
{
	(void)state;
	struct fx *k = fx4(2);
	const uint64_t kva = 0xffffffff80000000ull, slot = 512 * GiB, slot_base = kva & ~(slot - 1);
	assert_int_equal(ptb_space_map(&k->s, ptb_va(kva), ptb_pa(16 * MiB), 8 * MiB, PTB_ATTR_EXEC, 0), PTB_OK);
	assert_int_equal(ptb_space_seal(&k->s), PTB_OK);
	/* a second space in the same sim, sharing the kernel slot */
	struct ptb_space u;
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_checked_backend(&k->chk),
					.max_leaf_level = 2, .flags = PTB_SPACE_NX };
	assert_int_equal(ptb_space_create(&u, &cfg), PTB_OK);
	assert_int_equal(ptb_space_share(&u, &k->s, ptb_va(slot_base), slot - 1), PTB_E_ALIGN);
	assert_int_equal(ptb_space_share(&u, &k->s, ptb_va(slot_base - slot), slot), PTB_E_NOTMAPPED);
	assert_int_equal(ptb_space_share(&u, &k->s, ptb_va(slot_base), slot), PTB_OK);
	assert_int_equal(ptb_space_seal(&u), PTB_OK);
	struct rw_tree ut = { k->sim, RW_4LEVEL, u.root.raw, 0, 0 };
	struct rw_leaf l;
	assert_int_equal(refwalk_translate(&ut, kva + 4096, &l), 0);
	assert_int_equal(l.pa + ((kva + 4096) & (l.size - 1)), 16 * MiB + 4096);
	/* a change made through the kernel space is seen by the other */
	assert_int_equal(ptb_space_map(&k->s, ptb_va(kva + 64 * MiB), ptb_pa(0), 4096, 0, 0), PTB_OK);
	assert_int_equal(refwalk_translate(&ut, kva + 64 * MiB, &l), 0);
	/* unmapping everything in the kernel space keeps the exported L3 */
	assert_int_equal(ptb_space_unmap(&k->s, ptb_va(slot_base), slot), PTB_OK);
	assert_int_equal(refwalk_count_tables(&k->tree), 2);
	assert_int_equal(refwalk_translate(&ut, kva + 4096, &l), 1);
	/* the sharer never frees the shared tables */
	uint64_t before = pages(k);
	assert_int_equal(ptb_space_destroy(&u), PTB_OK);
	assert_int_equal(pages(k), before - 1);
	fx_free(k);
}

/* Below an imported slot the importer only reads: every change there is
 * refused before anything is written, whether the importer is sealed or
 * not and the exporter active or not (an unmap in the importer used to
 * store into the exporter's sealed tables and free them). */
static void test_importer_only_reads(void **state)
{
	(void)state;
	const uint64_t kva = 0xffffffff80000000ull, slot = 512 * GiB, slot_base = kva & ~(slot - 1);
	for (int combo = 0; combo < 4; combo++) {
		bool importer_sealed = combo & 1, exporter_active = combo & 2;
		struct fx *k = fx4(2);
		assert_int_equal(ptb_space_map(&k->s, ptb_va(kva), ptb_pa(16 * MiB), 4 * MiB + 8192,
					       PTB_ATTR_EXEC, 0), PTB_OK);
		assert_int_equal(ptb_space_seal(&k->s), PTB_OK);
		if (exporter_active)
			assert_int_equal(ptb_space_activate(&k->s), PTB_OK);
		struct ptb_space u;
		struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level,
						.backend = ptb_checked_backend(&k->chk),
						.max_leaf_level = 2, .flags = PTB_SPACE_NX };
		assert_int_equal(ptb_space_create(&u, &cfg), PTB_OK);
		if (importer_sealed)
			assert_int_equal(ptb_space_seal(&u), PTB_OK);
		assert_int_equal(ptb_space_share(&u, &k->s, ptb_va(slot_base), slot), PTB_OK);
		struct rw_tree ut = { k->sim, RW_4LEVEL, u.root.raw, 0, 0 };
		uint64_t kh = refwalk_hash(&k->tree), uh = refwalk_hash(&ut), before = pages(k);
		struct ptb_cursor c;
		assert_int_equal(ptb_space_map(&u, ptb_va(kva + 64 * MiB), ptb_pa(0), 4096, 0, 0), PTB_E_RESERVED);
		assert_int_equal(ptb_space_unmap(&u, ptb_va(kva), 4096), PTB_E_RESERVED);
		assert_int_equal(ptb_space_unmap(&u, ptb_va(slot_base), slot), PTB_E_RESERVED);
		assert_int_equal(ptb_space_unmap(&u, ptb_va(slot_base - slot), 2 * slot), PTB_E_RESERVED);
		assert_int_equal(ptb_space_protect(&u, ptb_va(kva + 4 * MiB), 4096, 0), PTB_E_RESERVED);
		assert_int_equal(ptb_cursor_hold(&c, &u, ptb_va(kva + 64 * MiB), 1), PTB_E_RESERVED);
		assert_int_equal(ptb_cursor_release(&c, &u, ptb_va(kva + 4 * MiB)), PTB_E_RESERVED);
		assert_int_equal(refwalk_hash(&k->tree), kh);
		assert_int_equal(refwalk_hash(&ut), uh);
		assert_int_equal(pages(k), before);
		/* reads see the exporter's tables, and its changes */
		struct ptb_mapping m;
		assert_int_equal(ptb_space_query(&u, ptb_va(kva + 4 * MiB + 4096), &m), PTB_OK);
		assert_int_equal(m.pa.raw, 16 * MiB + 4 * MiB + 4096);
		assert_int_equal(ptb_space_unmap(&k->s, ptb_va(kva + 4 * MiB), 8192), PTB_OK);
		assert_int_equal(ptb_space_query(&u, ptb_va(kva + 4 * MiB + 4096), &m), PTB_E_NOTMAPPED);
		/* the importer's own slots stay its own */
		assert_int_equal(ptb_space_map(&u, ptb_va(0x400000), ptb_pa(0), 4096, 0, 0), PTB_OK);
		assert_int_equal(ptb_space_destroy(&u), PTB_OK);
		fx_free(k);
	}
}

struct range_log {
	struct ptb_range r[16];
	int n;
};

static bool log_range(void *arg, const struct ptb_range *r)
{
	struct range_log *l = arg;
	if (l->n < 16)
		l->r[l->n++] = *r;
	return l->n < 3; /* stop after three: the walk must honour it */
}

/* ranges coalesce runs of equal attributes, page size and contiguous pa,
 * in va order, on the generic (scrambled frames) walk too. */
static void test_ranges_coalesce(void **state)
{
	(void)state;
	for (int xen = 0; xen < 2; xen++) {
		struct fx *x = fx_new(&ptb_format_x86_64_4level, RW_4LEVEL, xen ? 1 : 2, xen);
		assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 6 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
		assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + 6 * MiB), ptb_pa(6 * MiB), 8192, 0, 0), PTB_OK);
		/* va contiguous with the run before, pa not */
		assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + 6 * MiB + 8192), ptb_pa(64 * MiB), 4096, 0, 0), PTB_OK);
		assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + 16 * MiB), ptb_pa(0), 4096, 0, 0), PTB_OK);
		struct range_log l = { .n = 0 };
		assert_int_equal(ptb_space_ranges(&x->s, log_range, &l), PTB_OK);
		assert_int_equal(l.n, 3); /* stopped after three */
		assert_int_equal(l.r[0].va.raw, DM);
		assert_int_equal(l.r[0].len, 6 * MiB);
		assert_int_equal(l.r[0].level, xen ? 1 : 2);
		assert_int_equal(l.r[0].attr, PTB_ATTR_WRITE);
		assert_int_equal(l.r[1].va.raw, DM + 6 * MiB);
		assert_int_equal(l.r[1].pa.raw, 6 * MiB);
		assert_int_equal(l.r[1].len, 8192);
		assert_int_equal(l.r[2].va.raw, DM + 6 * MiB + 8192);
		assert_int_equal(l.r[2].pa.raw, 64 * MiB); /* not contiguous in pa: a new range */
		assert_int_equal(l.r[2].len, 4096);
		struct ptb_mapping m;
		assert_int_equal(ptb_space_query(&x->s, ptb_va(DM + 6 * MiB + 4100), &m), PTB_OK);
		assert_int_equal(m.pa.raw, 6 * MiB + 4100);
		assert_int_equal(ptb_space_query(&x->s, ptb_va(DM + 6 * MiB + 8192), &m), PTB_OK);
		assert_int_equal(m.pa.raw, 64 * MiB);
		assert_int_equal(ptb_space_query(&x->s, ptb_va(DM + 7 * MiB), &m), PTB_E_NOTMAPPED);
		assert_int_equal(ptb_space_query(&x->s, ptb_va(0x0000800000000000ull), &m), PTB_E_NONCANON);
		fx_free(x);
	}
}

/* A backend whose frames are not pfns gets 4K leaves only, whatever
 * max_leaf_level says: ptboot cannot know its frames are contiguous. */
static void test_large_pages_need_pfn_frames(void **state)
{
	(void)state;
	struct ptb_sim_config sc = { .mem_bytes = 8 * GiB, .scramble_frames = true, .seed = 21 };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	assert_non_null(sim);
	ptb_sim_set_pool(sim, ptb_pa(6 * GiB), ptb_pa(8 * GiB));
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_sim_backend(sim),
					.max_leaf_level = 3, .flags = PTB_SPACE_NX };
	struct ptb_space s;
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_OK);
	assert_int_equal(ptb_space_map(&s, ptb_va(DM), ptb_pa(0), GiB + 2 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	struct rw_tree t = { sim, RW_4LEVEL, s.root.raw, 0, 0 };
	struct ptb_table_count c;
	ptb_space_count_tables(&s, &c);
	assert_int_equal(c.by_level[1], 513);      /* every 2 MiB block an L1 */
	assert_int_equal(refwalk_count_tables(&t), 1 + 1 + 2 + 513);
	for (uint64_t off = 0; off < GiB + 2 * MiB; off += 256 * MiB + 4096) {
		struct ptb_mapping m;
		assert_int_equal(ptb_space_query(&s, ptb_va(DM + off), &m), PTB_OK);
		assert_int_equal(m.level, 1);
		assert_int_equal(m.pa.raw, off);
	}
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, 0);
	ptb_sim_delete(sim);
}

/* Bad input is refused before anything changes. */
static void test_bad_input(void **state)
{
	(void)state;
	struct fx *x = fx_new(&ptb_format_x86_64_4level, RW_4LEVEL, 1, true);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 4096, 0, 0), PTB_OK);
	uint64_t h = refwalk_hash(&x->tree), p = pages(x);
	struct { uint64_t va, pa, len; ptb_attr_t attr; ptb_err_t want; } rows[] = {
		{ DM + 1, 0, 4096, 0, PTB_E_ALIGN },
		{ DM, 1, 4096, 0, PTB_E_ALIGN },
		{ DM, 0, 100, 0, PTB_E_ALIGN },
		{ DM, 0, 0, 0, PTB_E_INVAL },
		{ 0xfffffffffffff000ull, 0, 8192, 0, PTB_E_RANGE },
		{ 0x0000800000000000ull, 0, 4096, 0, PTB_E_NONCANON },
		{ 0x00007ffffffff000ull, 0, 8192, 0, PTB_E_NONCANON },
		{ DM, 1ull << 52, 4096, 0, PTB_E_RANGE },
		{ DM, 0, 4096, 1u << 9, PTB_E_ATTR },
		{ DM, 0, 4096, PTB_ATTR_WRITE | PTB_ATTR_EXEC, PTB_E_WX },
		{ 0xffff800000000000ull, 0, 4096, 0, PTB_E_RESERVED },
		{ DM, 0x1000, 4096, 0, PTB_E_CONFLICT },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(ptb_space_map(&x->s, ptb_va(rows[i].va), ptb_pa(rows[i].pa), rows[i].len,
					       rows[i].attr, 0), rows[i].want);
		assert_int_equal(refwalk_hash(&x->tree), h);
		assert_int_equal(pages(x), p);
	}
	/* unmap and protect: the same rows, each call checked for both */
	struct { uint64_t va, len; ptb_attr_t attr; ptb_err_t want; } rows2[] = {
		{ DM + 1, 4096, 0, PTB_E_ALIGN },
		{ DM, 100, 0, PTB_E_ALIGN },
		{ DM, 0, 0, PTB_E_INVAL },
		{ 0xfffffffffffff000ull, 8192, 0, PTB_E_RANGE },
		{ 0x0000800000000000ull, 4096, 0, PTB_E_NONCANON },
		{ 0x00007ffffffff000ull, 8192, 0, PTB_E_NONCANON },
		{ 0xffff870000000000ull, 4096, 0, PTB_E_RESERVED },
		{ 0xffff880000000000ull - 4096, 8192, 0, PTB_E_RESERVED }, /* from slot 271 into 272 */
	};
	for (size_t i = 0; i < sizeof(rows2) / sizeof(rows2[0]); i++) {
		assert_int_equal(ptb_space_unmap(&x->s, ptb_va(rows2[i].va), rows2[i].len), rows2[i].want);
		assert_int_equal(refwalk_hash(&x->tree), h);
		assert_int_equal(pages(x), p);
		assert_int_equal(ptb_space_protect(&x->s, ptb_va(rows2[i].va), rows2[i].len, rows2[i].attr),
				 rows2[i].want);
		assert_int_equal(refwalk_hash(&x->tree), h);
		assert_int_equal(pages(x), p);
	}
	static const struct { ptb_attr_t attr; ptb_err_t want; } prot[] = {
		{ 1u << 12, PTB_E_ATTR }, { PTB_ATTR_WRITE | PTB_ATTR_EXEC, PTB_E_WX },
	};
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(ptb_space_protect(&x->s, ptb_va(DM), 4096, prot[i].attr), prot[i].want);
		assert_int_equal(refwalk_hash(&x->tree), h);
		assert_int_equal(pages(x), p);
	}
	fx_free(x);
}

/* The space's own configuration is the rule, not the format's: its pa_bits
 * and its reserved slots (a range that starts below them and runs in). */
static void test_bad_input_of_the_space(void **state)
{
	(void)state;
	struct ptb_sim_config sc = { .mem_bytes = 1 * GiB, .seed = 5 };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	ptb_sim_set_pool(sim, ptb_pa(512 * MiB), ptb_pa(GiB));
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_sim_backend(sim),
					.max_leaf_level = 3, .pa_bits = 36, .reserved_first = 300, .reserved_count = 2 };
	struct ptb_space s;
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_OK);
	struct rw_tree t = { sim, RW_4LEVEL, s.root.raw, 300, 2 };
	const uint64_t slot300 = 0xffff000000000000ull | 300ull << 39;
	assert_int_equal(ptb_space_map(&s, ptb_va(slot300 - GiB), ptb_pa(0), 4096, 0, 0), PTB_OK);
	uint64_t h = refwalk_hash(&t), p = ptb_sim_stats(sim)->pages_allocated;
	assert_int_equal(ptb_space_map(&s, ptb_va(DM), ptb_pa(1ull << 36), 4096, 0, 0), PTB_E_RANGE);
	assert_int_equal(ptb_space_map(&s, ptb_va(DM), ptb_pa((1ull << 36) - 4096), 8192, 0, 0), PTB_E_RANGE);
	assert_int_equal(ptb_space_map(&s, ptb_va(slot300 - 4096), ptb_pa(0), 8192, 0, 0), PTB_E_RESERVED);
	assert_int_equal(ptb_space_unmap(&s, ptb_va(slot300 - GiB), GiB + 4096), PTB_E_RESERVED);
	assert_int_equal(ptb_space_protect(&s, ptb_va(slot300 - GiB), GiB + 4096, 0), PTB_E_RESERVED);
	assert_int_equal(refwalk_hash(&t), h);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, p);
	assert_int_equal(ptb_space_map(&s, ptb_va(DM), ptb_pa((1ull << 36) - 4096), 4096, 0, 0), PTB_OK);
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	/* reserved slots beyond the root: refused before any hook */
	ptb_sim_reset_stats(sim);
	const unsigned bad[][2] = { { 511, 2 }, { 0, 513 }, { 0xffffffffu, 2 } };
	for (unsigned i = 0; i < 3; i++) {
		cfg.reserved_first = bad[i][0];
		cfg.reserved_count = bad[i][1];
		assert_int_equal(ptb_space_create(&s, &cfg), PTB_E_INVAL);
		assert_int_equal(ptb_sim_stats(sim)->pages_allocated, 0);
	}
	ptb_sim_delete(sim);
}

/* Fail the k-th allocation for every k: each failure leaves the tree
 * bit-identical with no page leaked; the retry succeeds. */
typedef ptb_err_t (*op_fn)(struct fx *x);

static ptb_err_t op_map_big(struct fx *x)
{
	return ptb_space_map(&x->s, ptb_va(DM + 3 * GiB - 8 * KiB), ptb_pa(3 * GiB - 8 * KiB), GiB + 16 * KiB,
			     PTB_ATTR_WRITE, 0);
}

static ptb_err_t op_unmap_split(struct fx *x)
{
	return ptb_space_unmap(&x->s, ptb_va(DM + GiB + 4096), 4096);
}

static ptb_err_t op_protect_split(struct fx *x)
{
	return ptb_space_protect(&x->s, ptb_va(DM + GiB + 2 * MiB + 4096), 2 * MiB, 0);
}

static ptb_err_t op_hold(struct fx *x)
{
	struct ptb_cursor c;
	return ptb_cursor_hold(&c, &x->s, ptb_va(0x00007f0000000000ull), 1);
}

static ptb_err_t op_release(struct fx *x)
{
	struct ptb_cursor c;
	return ptb_cursor_release(&c, &x->s, ptb_va(DM + 5 * GiB));
}

static struct ptb_space share_dst;

static ptb_err_t op_share(struct fx *x)
{
	return ptb_space_share(&share_dst, &x->s, ptb_va(DM & ~(512 * GiB - 1)), 512 * GiB);
}

static uint64_t all_or_nothing(struct fx *x, op_fn op, const char *name)
{
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + GiB), ptb_pa(GiB), GiB, PTB_ATTR_WRITE, 0), PTB_OK);
	if (op == op_release) { /* something for release to free: an empty path */
		struct ptb_cursor c;
		assert_int_equal(ptb_cursor_hold(&c, &x->s, ptb_va(DM + 5 * GiB), 1), PTB_OK);
	}
	if (op == op_share) { /* the space that will share the direct map's slot */
		struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level,
						.backend = ptb_checked_backend(&x->chk), .max_leaf_level = 1 };
		assert_int_equal(ptb_space_create(&share_dst, &cfg), PTB_OK);
		if (x->s.sealed)
			assert_int_equal(ptb_space_seal(&share_dst), PTB_OK);
	}
	uint64_t k;
	for (k = 1;; k++) {
		uint64_t h = refwalk_hash(&x->tree), p = pages(x);
		ptb_sim_fail_alloc_at(x->sim, k);
		ptb_err_t err = op(x);
		ptb_sim_fail_alloc_at(x->sim, 0);
		if (err == PTB_OK)
			break;
		assert_int_equal(err, PTB_E_NOMEM);
		assert_int_equal(refwalk_hash(&x->tree), h);
		assert_int_equal(pages(x), p);
	}
	assert_true(k > 1 || op == op_release || op == op_share); /* unsealed: nothing to allocate */
	print_message("%s: failed at each of %llu allocation points, rolled back every time\n", name,
		      (unsigned long long)(k - 1));
	return k - 1;
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	static const struct { op_fn op; const char *name; } ops[] = {
		{ op_map_big, "map" }, { op_unmap_split, "unmap (split)" },
		{ op_protect_split, "protect (split)" }, { op_hold, "cursor hold" },
		{ op_release, "cursor release" }, { op_share, "share" },
	};
	for (int sealed = 0; sealed < 2; sealed++)
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			struct fx *x = fx4(3);
			if (sealed) {
				assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
				assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
			}
			/* the tables each needs, counted by hand (map: an L2 and an
			 * L1 at each ragged end; unmap: an L2 and an L1 under the 1G
			 * page; protect: an L2, an L1 at each end; hold: L3, L2, L1;
			 * release and share: none), plus under a sealed space the
			 * batch page and one journal page */
			static const uint64_t tables[] = { 4, 2, 3, 3, 0, 0 };
			assert_int_equal(all_or_nothing(x, ops[i].op, ops[i].name), tables[i] + (sealed ? 2 : 0));
			fx_free(x);
		}
}

/* create takes one page: when it cannot, nothing is taken. */
static void test_create_out_of_memory(void **state)
{
	(void)state;
	struct fx *x = fx4(1);
	struct ptb_space s2;
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_checked_backend(&x->chk),
					.max_leaf_level = 1 };
	uint64_t p = pages(x);
	ptb_sim_fail_alloc_at(x->sim, 1);
	assert_int_equal(ptb_space_create(&s2, &cfg), PTB_E_NOMEM);
	assert_int_equal(pages(x), p);
	cfg.max_leaf_level = 4;
	assert_int_equal(ptb_space_create(&s2, &cfg), PTB_E_INVAL);
	fx_free(x);
}

/* Under Xen rules a mapping of a table page writable is refused by the
 * platform, and undone. */
static void test_xen_refusal_undone(void **state)
{
	(void)state;
	struct fx *x = fx_new(&ptb_format_x86_64_4level, RW_4LEVEL, 1, true);
	assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
	assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 8 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	uint64_t h = refwalk_hash(&x->tree), p = pages(x);
	/* the root is a table: mapping it writable anywhere must fail */
	ptb_err_t err = ptb_space_map(&x->s, ptb_va(DM + 64 * GiB), x->s.root, 4096, PTB_ATTR_WRITE, 0);
	assert_int_equal(err, PTB_E_REFUSED);
	assert_int_equal(refwalk_hash(&x->tree), h);
	assert_int_equal(pages(x), p);
	/* read-only is fine */
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + 64 * GiB), x->s.root, 4096, 0, 0), PTB_OK);
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 1,
					.scratch = calloc(64, sizeof(ptb_pa_t)), .scratch_len = 64 };
	struct ptb_check_report rep;
	assert_int_equal(ptb_space_check(&x->s, &pol, &rep), PTB_OK);
	free(pol.scratch);
	fx_free(x);
}

/*
 * Live changes reach the CPU: an active space on the sim alone (no contract
 * checker, so the CPU's TLB is what must catch a missing flush), every page
 * read through the CPU before each change and checked against the tables
 * after it.  Each step is one a wrong flush gets wrong: a split that changes
 * nothing inside (only the split's own flush drops the large translation),
 * a protect whose last page must be flushed too, an unmap of one page, an
 * unmap that frees tables (retire refused while the CPU still links them),
 * a cursor release.
 */
struct live {
	struct ptb_sim *sim;
	struct ptb_space s;
	struct rw_tree tree;
};

static void live_sweep(struct live *x, uint64_t va, uint64_t len, uint64_t step)
{
	for (uint64_t o = 0; o < len; o += step) {
		const char *err = tlbcheck_page(x->sim, 0, &x->tree, va + o);
		if (err)
			fail_msg("%s at va %#llx", err, (unsigned long long)(va + o));
	}
}

static void live_sweep_all(struct live *x)
{
	live_sweep(x, DM, 2 * GiB, 2 * MiB);
	live_sweep(x, DM + 4 * GiB, 4 * MiB, 4096);
	live_sweep(x, DM + 8 * GiB, 64 * KiB, 4096);
}

static void live_run(bool xen)
{
	struct live x;
	struct ptb_sim_config sc = { .mem_bytes = 8 * GiB, .xen_rules = xen, .scramble_frames = xen, .seed = 9 };
	x.sim = ptb_sim_new(&sc);
	assert_non_null(x.sim);
	ptb_sim_set_pool(x.sim, ptb_pa(6 * GiB), ptb_pa(8 * GiB));
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_sim_backend(x.sim),
					.max_leaf_level = xen ? 1 : 3, .flags = PTB_SPACE_NX,
					.reserved_first = xen ? 256 : 0, .reserved_count = xen ? 16 : 0 };
	assert_int_equal(ptb_space_create(&x.s, &cfg), PTB_OK);
	x.tree = (struct rw_tree){ x.sim, RW_4LEVEL, x.s.root.raw, xen ? 256 : 0, xen ? 16 : 0 };
	if (!xen)
		assert_int_equal(ptb_space_map(&x.s, ptb_va(DM), ptb_pa(0), 2 * GiB, PTB_ATTR_WRITE, 0), PTB_OK);
	assert_int_equal(ptb_space_map(&x.s, ptb_va(DM + 4 * GiB), ptb_pa(2 * GiB), 4 * MiB, PTB_ATTR_WRITE, 0),
			 PTB_OK);
	assert_int_equal(ptb_space_map(&x.s, ptb_va(DM + 8 * GiB), ptb_pa(3 * GiB), 64 * KiB, PTB_ATTR_WRITE, 0),
			 PTB_OK);
	assert_int_equal(ptb_space_seal(&x.s), PTB_OK);
	assert_int_equal(ptb_space_activate(&x.s), PTB_OK);
	live_sweep_all(&x);
	/* same attributes on one page of a 2 MiB page: a split, nothing else */
	assert_int_equal(ptb_space_protect(&x.s, ptb_va(DM + 4 * GiB + 4096), 4096, PTB_ATTR_WRITE), PTB_OK);
	live_sweep_all(&x);
	/* read-only from the middle of a 1 GiB page to the end of a range */
	assert_int_equal(ptb_space_protect(&x.s, ptb_va(DM + 8 * GiB), 64 * KiB, 0), PTB_OK);
	if (!xen)
		assert_int_equal(ptb_space_protect(&x.s, ptb_va(DM + 5 * MiB), 4096, 0), PTB_OK);
	live_sweep_all(&x);
	assert_int_equal(ptb_space_unmap(&x.s, ptb_va(DM + 8 * GiB + 4 * 4096), 4096), PTB_OK);
	live_sweep_all(&x);
	assert_int_equal(ptb_space_unmap(&x.s, ptb_va(DM + 8 * GiB), 64 * KiB), PTB_OK);
	live_sweep_all(&x);
	/* a cursor holds tables down to 4K, release gives them back */
	struct ptb_cursor c;
	assert_int_equal(ptb_cursor_hold(&c, &x.s, ptb_va(DM + 8 * GiB), 1), PTB_OK);
	live_sweep_all(&x);
	assert_int_equal(ptb_cursor_release(&c, &x.s, ptb_va(DM + 8 * GiB)), PTB_OK);
	live_sweep_all(&x);
	assert_int_equal(ptb_space_unmap(&x.s, ptb_va(DM), 16 * GiB), PTB_OK);
	live_sweep_all(&x);
	assert_int_equal(refwalk_count_tables(&x.tree), 1);
	assert_int_equal(ptb_sim_stats(x.sim)->pages_allocated, 1);
	assert_int_equal(ptb_sim_stats(x.sim)->refusals, 0);
	ptb_sim_delete(x.sim);
}

static void test_live_changes_reach_the_cpu(void **state)
{
	(void)state;
	live_run(false);
	live_run(true);
}

/* The invariant checker finds each broken rule. */
static void test_checker_finds_violations(void **state)
{
	(void)state;
	struct fx *x = fx4(2);
	ptb_pa_t scratch[64];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 2,
					.scratch = scratch, .scratch_len = 64 };
	struct ptb_check_report rep;
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 4 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	assert_int_equal(ptb_space_check(&x->s, &pol, &rep), PTB_OK);
	assert_int_equal(rep.leaves, 2);
	assert_int_equal(rep.tables, 3); /* L4, L3, L2: two 2M leaves */
	assert_int_equal(rep.findings, 0);
	/* map a table page writable: TABLE_RO */
	struct ptb_cursor c;
	assert_int_equal(ptb_cursor_inspect(&c, &x->s, ptb_va(DM), NULL), PTB_OK);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + GiB), c.table_pa[2], 4096, PTB_ATTR_WRITE, 0), PTB_OK);
	assert_int_equal(ptb_space_check(&x->s, &pol, &rep), PTB_E_NOTTABLE);
	assert_int_equal(rep.rule, PTB_CHECK_TABLE_RO);
	assert_int_equal(rep.va.raw, DM + GiB);
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM + GiB), 4096), PTB_OK);
	/* a writable+executable leaf (no W^X policy in this space) */
	struct fx *y = fx_new(&ptb_format_x86_64_4level, RW_4LEVEL, 2, false);
	y->s.flags &= ~PTB_SPACE_WX_STRICT;
	assert_int_equal(ptb_space_map(&y->s, ptb_va(DM), ptb_pa(0), 4096, PTB_ATTR_WRITE | PTB_ATTR_EXEC, 0), PTB_OK);
	assert_int_equal(ptb_space_check(&y->s, &pol, &rep), PTB_E_NOTTABLE);
	assert_int_equal(rep.rule, PTB_CHECK_WX);
	/* an L1TF-unsafe entry written behind ptboot's back */
	assert_int_equal(ptb_cursor_inspect(&c, &x->s, ptb_va(DM), NULL), PTB_OK);
	((uint64_t *)c.table[2])[300] = 0x7000;
	assert_int_equal(ptb_space_check(&x->s, &pol, &rep), PTB_E_NOTTABLE);
	assert_int_equal(rep.rule, PTB_CHECK_L1TF);
	((uint64_t *)c.table[2])[300] = 0;
	/* scratch too small */
	pol.scratch_len = 1;
	assert_int_equal(ptb_space_check(&x->s, &pol, &rep), PTB_E_INVAL);
	fx_free(x);
	fx_free(y);
}

/* A deliberately wrong call sequence is caught by the contract checker. */
static int caught;
static void note(void *arg, const char *what)
{
	(void)arg;
	(void)what;
	caught++;
}

static void test_contract_checker_catches_misuse(void **state)
{
	(void)state;
	struct fx *x = fx4(1);
	x->chk.on_violation = note;
	const struct ptb_backend_ops *o = &x->chk.ops;
	ptb_pa_t t;
	size_t done;
	assert_int_equal(o->alloc_table(&x->chk, 1, &t), PTB_OK);
	struct ptb_live_write w = { t, 0x1000 | 1, 1 };
	assert_int_equal(o->write_live(&x->chk, &w, 1, &done), PTB_E_REFUSED); /* not sealed */
	struct ptb_table_ref r = { t, 1 };
	assert_int_equal(o->seal(&x->chk, &r, 1, &done), PTB_OK);
	assert_int_equal(o->seal(&x->chk, &r, 1, &done), PTB_E_REFUSED);       /* twice */
	assert_int_equal(o->activate(&x->chk, t, 1), PTB_E_REFUSED);           /* not a root */
	assert_int_equal(caught, 1);              /* the first one is reported ... */
	assert_int_equal(x->chk.violations, 3);   /* ... and every one counted */
	x->chk.violations = 0;
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_mixes_page_sizes),
		cmocka_unit_test(test_each_page_size),
		cmocka_unit_test(test_edges_of_canonical_halves),
		cmocka_unit_test(test_adopt_and_extend),
		cmocka_unit_test(test_protect_splits_only_where_needed),
		cmocka_unit_test(test_unmap_frees_exactly_the_empty_tables),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_share_kernel_half),
		cmocka_unit_test(test_importer_only_reads),
		cmocka_unit_test(test_ranges_coalesce),
		cmocka_unit_test(test_large_pages_need_pfn_frames),
		cmocka_unit_test(test_bad_input_of_the_space),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_create_out_of_memory),
		cmocka_unit_test(test_xen_refusal_undone),
		cmocka_unit_test(test_live_changes_reach_the_cpu),
		cmocka_unit_test(test_checker_finds_violations),
		cmocka_unit_test(test_contract_checker_catches_misuse),
	};
	return cmocka_run_group_tests_name("space", tests, NULL, NULL);
}
