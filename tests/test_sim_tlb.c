/* SPDX-License-Identifier: MIT */
/*
 * The sim's CPUs and their TLBs, one test per rule, on tables built by hand
 * through the hooks (no src/space): a walk fills, a hit serves stale data
 * until a flush covers it, a flush is exactly as long as it says, a root
 * switch keeps global translations only, a fault drops what it hit, a table
 * freed while a CPU still caches a link to it is refused, and every CPU has
 * its own TLB.  Then the same CPU against the reference walker on trees that
 * ptboot builds in every format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/space.h>
#include "hookcall.h"
#include "tlbcheck.h"

#define P  1ull
#define RW 2ull
#define US 4ull
#define PS 0x80ull
#define G  0x100ull
#define NX (1ull << 63)
#define MiB (1ull << 20)
#define VA 0xffff888040200000ull  /* a 2 MiB aligned va: L4 273, L3 1, L2 1 */
#define DATA (64 * MiB)            /* data pages the leaves point at */

/* A 4-level tree for [VA, VA + 2 MiB): L4 -> L3 -> L2 -> L1, all sealed
 * (the L1 optionally left NEW), the root active on CPU 0. */
struct tree {
	struct hookcall h;
	uint64_t l4, l3, l2, l1;
};

static unsigned idx(uint64_t va, unsigned level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t table(struct hookcall *h, unsigned level)
{
	uint64_t pa = 0;
	assert_true(hc_table(h, level, &pa));
	return pa;
}

static void open_tree(struct tree *t, unsigned cpus, bool seal_l1)
{
	struct ptb_sim_config c = { .mem_bytes = 1ull << 30, .cpus = cpus, .zeroed_tables = true };
	assert_true(hc_open(&t->h, &c));
	struct hookcall *h = &t->h;
	t->l4 = table(h, 4), t->l3 = table(h, 3), t->l2 = table(h, 2), t->l1 = table(h, 1);
	for (unsigned i = 0; i < 4; i++) /* pages 0-3 of the range, RW, page 2 global */
		hc_page(h, t->l1)[i] = hc_entry(h, DATA + i * 4096, P | RW | (i == 2 ? G : 0));
	if (seal_l1)
		assert_int_equal(hc_seal(h, t->l1, 1), PTB_OK);
	hc_page(h, t->l2)[idx(VA, 2)] = hc_entry(h, t->l1, P | RW);
	hc_page(h, t->l3)[idx(VA, 3)] = hc_entry(h, t->l2, P | RW);
	hc_page(h, t->l4)[idx(VA, 4)] = hc_entry(h, t->l3, P | RW);
	assert_int_equal(hc_seal(h, t->l2, 2), PTB_OK);
	assert_int_equal(hc_seal(h, t->l3, 3), PTB_OK);
	assert_int_equal(hc_seal(h, t->l4, 4), PTB_OK);
	assert_int_equal(hc_activate(h, t->l4, 4), PTB_OK);
}

static int setup(void **state)
{
	static struct tree t;
	memset(&t, 0, sizeof(t));
	open_tree(&t, 1, true);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	hc_close(&t->h);
	return 0;
}

static void flush(struct hookcall *h, uint64_t va, uint64_t len)
{
	h->be.ops->flush(h->be.ctx, ptb_va(va), len);
}

/* The pa CPU cpu reads va at; asserts a translation. */
static uint64_t pa_on(struct hookcall *h, unsigned cpu, uint64_t va, bool *hit)
{
	struct ptb_sim_translation tr;
	assert_int_equal(ptb_sim_cpu_access(h->sim, cpu, va, 0, &tr), PTB_SIM_OK);
	if (hit)
		*hit = tr.hit;
	return tr.pa + (va - tr.va);
}

static uint64_t pa_of(struct hookcall *h, uint64_t va)
{
	return pa_on(h, 0, va, NULL);
}

/* Point page i of the L1 elsewhere through write_live (no flush). */
static void remap(struct tree *t, unsigned i, uint64_t pa, uint64_t flags)
{
	assert_int_equal(hc_write(&t->h, t->l1, i, 1, hc_entry(&t->h, pa, flags)), PTB_OK);
}

static void test_walk_fills_and_hits(void **state)
{
	struct tree *t = *state;
	uint64_t leaves, links;
	bool hit;
	ptb_sim_tlb_count(t->h.sim, 0, &leaves, &links);
	assert_int_equal(leaves + links, 0);
	assert_int_equal(pa_on(&t->h, 0, VA + 4096 + 12, &hit), DATA + 4096 + 12);
	assert_false(hit);
	ptb_sim_tlb_count(t->h.sim, 0, &leaves, &links);
	assert_int_equal(leaves, 1);
	assert_int_equal(links, 3); /* the L4, L3 and L2 entries on the way */
	assert_int_equal(pa_on(&t->h, 0, VA + 4096, &hit), DATA + 4096);
	assert_true(hit);
	assert_int_equal(hc_stats(&t->h)->tlb_walks, 1);
	assert_int_equal(hc_stats(&t->h)->tlb_hits, 1);
	struct ptb_sim_translation tr;
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA + 4 * 4096, 0, &tr), PTB_SIM_NOT_PRESENT);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, 0x0000800000000000ull, 0, &tr), PTB_SIM_OUTSIDE);
}

/* A changed entry keeps translating the old way until a flush. */
static void test_hit_is_stale_until_flushed(void **state)
{
	struct tree *t = *state;
	assert_int_equal(pa_of(&t->h, VA), DATA);
	remap(t, 0, DATA + 100 * 4096, P | RW);
	assert_int_equal(pa_of(&t->h, VA), DATA);
	flush(&t->h, VA + 4096, 4096); /* the next page: not this one */
	assert_int_equal(pa_of(&t->h, VA), DATA);
	flush(&t->h, VA, 4096);
	assert_int_equal(pa_of(&t->h, VA), DATA + 100 * 4096);
}

/* A flush covers whole pages of [va, va + len) only: one byte short, or
 * starting one byte in, leaves the page stale. */
static void test_flush_range_exact(void **state)
{
	struct tree *t = *state;
	assert_int_equal(pa_of(&t->h, VA + 4096), DATA + 4096);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 8192);
	remap(t, 1, DATA + 101 * 4096, P | RW);
	remap(t, 2, DATA + 102 * 4096, P | RW);
	flush(&t->h, VA + 4096, 8191);
	assert_int_equal(pa_of(&t->h, VA + 4096), DATA + 101 * 4096);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 8192); /* short by one byte */
	flush(&t->h, VA + 8193, 4096);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 8192); /* starts one byte in */
	flush(&t->h, VA + 4096, 8192);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 102 * 4096);
}

/* len 0 flushes everything, global translations included. */
static void test_flush_all(void **state)
{
	struct tree *t = *state;
	uint64_t leaves, links;
	assert_int_equal(pa_of(&t->h, VA), DATA);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 8192); /* global */
	remap(t, 0, DATA + 100 * 4096, P | RW);
	remap(t, 2, DATA + 102 * 4096, P | RW | G);
	flush(&t->h, 0, 0);
	ptb_sim_tlb_count(t->h.sim, 0, &leaves, &links);
	assert_int_equal(leaves + links, 0);
	assert_int_equal(pa_of(&t->h, VA), DATA + 100 * 4096);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 102 * 4096);
}

/* A root switch drops every paging-structure entry and every translation
 * but the global ones. */
static void test_activate_keeps_global(void **state)
{
	struct tree *t = *state;
	uint64_t leaves, links;
	assert_int_equal(pa_of(&t->h, VA), DATA);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 8192); /* global */
	remap(t, 0, DATA + 100 * 4096, P | RW);
	remap(t, 2, DATA + 102 * 4096, P | RW | G);
	assert_int_equal(hc_activate(&t->h, t->l4, 4), PTB_OK);
	ptb_sim_tlb_count(t->h.sim, 0, &leaves, &links);
	assert_int_equal(leaves, 1);
	assert_int_equal(links, 0);
	assert_int_equal(pa_of(&t->h, VA), DATA + 100 * 4096);
	assert_int_equal(pa_of(&t->h, VA + 8192), DATA + 8192); /* still the old global one */
}

/* A cached paging-structure entry is used without reading the table it
 * came from: relinking the L2 entry to another L1 is not seen by a page
 * never accessed before, until a flush covers the L2 entry's region. */
static void test_structure_cache_is_used(void **state)
{
	struct tree *t = *state;
	uint64_t l1b = table(&t->h, 1);
	hc_page(&t->h, l1b)[1] = hc_entry(&t->h, DATA + 201 * 4096, P | RW);
	hc_page(&t->h, l1b)[3] = hc_entry(&t->h, DATA + 203 * 4096, P | RW);
	assert_int_equal(hc_seal(&t->h, l1b, 1), PTB_OK);
	assert_int_equal(pa_of(&t->h, VA), DATA);
	assert_int_equal(hc_write(&t->h, t->l2, idx(VA, 2), 2, hc_entry(&t->h, l1b, P | RW)), PTB_OK);
	assert_int_equal(pa_of(&t->h, VA + 3 * 4096), DATA + 3 * 4096); /* through the old L1 */
	flush(&t->h, VA + 2 * MiB - 4096, 4096); /* any page of the 2 MiB region */
	assert_int_equal(pa_of(&t->h, VA + 4096), DATA + 201 * 4096); /* walked afresh */
	assert_int_equal(pa_of(&t->h, VA + 3 * 4096), DATA + 3 * 4096); /* its own page not flushed */
	flush(&t->h, VA + 3 * 4096, 4096);
	assert_int_equal(pa_of(&t->h, VA + 3 * 4096), DATA + 203 * 4096);
}

/* A long flush (beyond the per-page probes) drops every entry whose region
 * it meets, not only those it contains: here the 2 MiB region of the L2
 * entry, met by its first page. */
static void test_long_flush_meets_regions(void **state)
{
	struct tree *t = *state;
	uint64_t l1b = table(&t->h, 1);
	hc_page(&t->h, l1b)[1] = hc_entry(&t->h, DATA + 201 * 4096, P | RW);
	assert_int_equal(hc_seal(&t->h, l1b, 1), PTB_OK);
	assert_int_equal(pa_of(&t->h, VA), DATA);
	assert_int_equal(hc_write(&t->h, t->l2, idx(VA, 2), 2, hc_entry(&t->h, l1b, P | RW)), PTB_OK);
	flush(&t->h, VA - MiB, MiB + 4096); /* 257 pages, the last one VA's */
	assert_int_equal(pa_of(&t->h, VA + 4096), DATA + 201 * 4096);
}

/* A page fault drops the translation it hit: a stale read-only entry
 * faults once, then the walk sees the new rights. */
static void test_fault_drops_the_entry(void **state)
{
	struct tree *t = *state;
	struct ptb_sim_translation tr;
	remap(t, 0, DATA, P);
	flush(&t->h, VA, 4096);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA, PTB_SIM_WRITE, &tr), PTB_SIM_PROTECTION);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA, 0, &tr), PTB_SIM_OK);
	assert_false(tr.write);
	remap(t, 0, DATA, P | RW); /* an upgrade, not flushed */
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA, PTB_SIM_WRITE, &tr), PTB_SIM_PROTECTION);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA, PTB_SIM_WRITE, &tr), PTB_SIM_OK);
	assert_false(tr.hit);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA, PTB_SIM_USER, &tr), PTB_SIM_PROTECTION);
	remap(t, 1, DATA, P | NX);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA + 4096, PTB_SIM_EXEC, &tr), PTB_SIM_PROTECTION);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA + 4096, 0, &tr), PTB_SIM_OK);
}

/* Nothing not present is cached: a page mapped after a failed access is
 * seen at once. */
static void test_not_present_is_not_cached(void **state)
{
	struct tree *t = *state;
	struct ptb_sim_translation tr;
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, VA + 9 * 4096, 0, &tr), PTB_SIM_NOT_PRESENT);
	remap(t, 9, DATA + 9 * 4096, P);
	assert_int_equal(pa_of(&t->h, VA + 9 * 4096), DATA + 9 * 4096);
}

/* A 2 MiB leaf is one translation, dropped by a flush of any of its pages;
 * after a split the CPU uses the right page size once flushed. */
static void test_large_page(void **state)
{
	struct tree *t = *state;
	uint64_t va = VA + 2 * MiB;
	struct ptb_sim_translation tr;
	assert_int_equal(hc_write(&t->h, t->l2, idx(va, 2), 2, hc_entry(&t->h, 2 * DATA, P | RW | PS)),
			 PTB_OK);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, va + 5 * 4096, 0, &tr), PTB_SIM_OK);
	assert_int_equal(tr.size, 2 * MiB);
	assert_int_equal(tr.pa, 2 * DATA);
	assert_int_equal(hc_write(&t->h, t->l2, idx(va, 2), 2, hc_entry(&t->h, 3 * DATA, P | RW | PS)),
			 PTB_OK);
	assert_int_equal(pa_of(&t->h, va + 7 * 4096), 2 * DATA + 7 * 4096);
	flush(&t->h, va + 2 * MiB - 4096, 4096);
	assert_int_equal(pa_of(&t->h, va + 7 * 4096), 3 * DATA + 7 * 4096);
	hc_write(&t->h, t->l2, idx(va, 2), 2, hc_entry(&t->h, 3 * DATA + 2 * 4096, P | RW | PS));
	flush(&t->h, va, 4096);
	assert_int_equal(ptb_sim_cpu_access(t->h.sim, 0, va, 0, &tr), PTB_SIM_RESERVED);
}

/* Retire (sealed) and free (never sealed) of a table a CPU still caches a
 * link to are refused until a flush covers it. */
static void test_freed_while_cached_refused(void **state)
{
	struct tree *t = *state;
	assert_int_equal(pa_of(&t->h, VA), DATA);
	assert_int_equal(hc_write(&t->h, t->l2, idx(VA, 2), 2, 0), PTB_OK);
	assert_int_equal(hc_retire(&t->h, t->l1, 1), PTB_E_REFUSED);
	assert_non_null(strstr(hc_stats(&t->h)->last_refusal, "still cached"));
	flush(&t->h, VA + 4096, 4096); /* any page of the L2 entry's region */
	assert_int_equal(hc_retire(&t->h, t->l1, 1), PTB_OK);
	uint64_t pages = hc_stats(&t->h)->pages_allocated;
	t->h.be.ops->free_table(t->h.be.ctx, ptb_pa(t->l1), 1);
	assert_int_equal(hc_stats(&t->h)->pages_allocated, pages - 1);
}

static void test_free_while_cached_refused(void **state)
{
	struct tree t;
	open_tree(&t, 1, false); /* the L1 stays NEW: the sim's native mode lets it be linked */
	struct hookcall *h = &t.h;
	assert_int_equal(pa_of(h, VA), DATA);
	assert_int_equal(hc_write(h, t.l2, idx(VA, 2), 2, 0), PTB_OK);
	uint64_t pages = hc_stats(h)->pages_allocated, refusals = hc_stats(h)->refusals;
	h->be.ops->free_table(h->be.ctx, ptb_pa(t.l1), 1);
	assert_int_equal(hc_stats(h)->pages_allocated, pages); /* kept */
	assert_int_equal(hc_stats(h)->refusals, refusals + 1);
	assert_non_null(strstr(hc_stats(h)->last_refusal, "still cached"));
	flush(h, VA, 2 * MiB);
	h->be.ops->free_table(h->be.ctx, ptb_pa(t.l1), 1);
	assert_int_equal(hc_stats(h)->pages_allocated, pages - 1);
	(void)state;
	hc_close(h);
}

/* Each CPU has its own TLB and root; a flush reaches every CPU unless the
 * reach is this CPU only, and then another CPU stays stale and its cached
 * link keeps the table from being retired. */
static void test_several_cpus(void **state)
{
	struct tree t;
	struct ptb_sim_translation tr;
	open_tree(&t, 2, true);
	struct hookcall *h = &t.h;
	(void)state;
	assert_int_equal(ptb_sim_cpu_access(h->sim, 1, VA, 0, &tr), PTB_SIM_NO_ROOT);
	ptb_sim_set_cpu(h->sim, 1);
	assert_int_equal(hc_activate(h, t.l4, 4), PTB_OK);
	assert_int_equal(pa_on(h, 0, VA, NULL), DATA);
	assert_int_equal(pa_on(h, 1, VA, NULL), DATA);
	remap(&t, 0, DATA + 100 * 4096, P | RW);
	flush(h, VA, 4096); /* from CPU 1, reaching both */
	assert_int_equal(pa_on(h, 0, VA, NULL), DATA + 100 * 4096);
	assert_int_equal(pa_on(h, 1, VA, NULL), DATA + 100 * 4096);
	ptb_sim_set_flush_reach(h->sim, PTB_SIM_FLUSH_THIS_CPU);
	ptb_sim_set_cpu(h->sim, 0);
	remap(&t, 0, DATA + 101 * 4096, P | RW);
	flush(h, VA, 4096);
	assert_int_equal(pa_on(h, 0, VA, NULL), DATA + 101 * 4096);
	assert_int_equal(pa_on(h, 1, VA, NULL), DATA + 100 * 4096); /* not reached */
	assert_int_equal(hc_write(h, t.l2, idx(VA, 2), 2, 0), PTB_OK);
	flush(h, VA, 4096);
	assert_int_equal(hc_retire(h, t.l1, 1), PTB_E_REFUSED); /* CPU 1 still links it */
	ptb_sim_set_cpu(h->sim, 1);
	flush(h, VA, 4096);
	assert_int_equal(hc_retire(h, t.l1, 1), PTB_OK);
	/* a root active on CPU 1 only is still in use */
	uint64_t l4b = table(h, 4);
	assert_int_equal(hc_seal(h, l4b, 4), PTB_OK);
	ptb_sim_set_cpu(h->sim, 0);
	assert_int_equal(hc_activate(h, l4b, 4), PTB_OK);
	assert_int_equal(hc_retire(h, t.l4, 4), PTB_E_REFUSED);
	assert_int_equal(ptb_sim_active_root(h->sim).raw, l4b);
	hc_close(h);
}

/* alloc_table hands out garbage unless zeroed_tables, different each time. */
static void test_alloc_hands_out_garbage(void **state)
{
	struct hookcall h;
	struct ptb_sim_config c = { .mem_bytes = 1ull << 30 };
	ptb_pa_t a, b;
	(void)state;
	assert_true(hc_open(&h, &c));
	assert_int_equal(h.be.ops->alloc_table(h.be.ctx, 1, &a), PTB_OK);
	uint64_t first = hc_page(&h, a.raw)[0];
	unsigned nonzero = 0;
	for (unsigned i = 0; i < 512; i++)
		nonzero += hc_page(&h, a.raw)[i] != 0 && (hc_page(&h, a.raw)[i] & P);
	assert_int_equal(nonzero, 512);
	h.be.ops->free_table(h.be.ctx, a, 1);
	assert_int_equal(h.be.ops->alloc_table(h.be.ctx, 1, &b), PTB_OK);
	assert_int_equal(a.raw, b.raw); /* the same page again, other garbage */
	assert_int_not_equal(hc_page(&h, b.raw)[0], first);
	hc_close(&h);
	c.zeroed_tables = true;
	assert_true(hc_open(&h, &c));
	assert_int_equal(h.be.ops->alloc_table(h.be.ctx, 2, &a), PTB_OK);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(hc_page(&h, a.raw)[i], 0);
	hc_close(&h);
}

/* The CPU's own decoding agrees with the reference walker on trees ptboot
 * builds, in every format: each page size, rights, global and PAT index. */
struct fmt {
	const struct ptb_format *f;
	int rw;
	uint64_t base;
};

static void check_format(const struct fmt *x)
{
	struct ptb_sim_config c = { .mem_bytes = 1ull << 32, .rotated_entries = x->rw == RW_TEST };
	struct ptb_sim *sim = ptb_sim_new(&c);
	assert_non_null(sim);
	ptb_sim_set_pool(sim, ptb_pa(3ull << 30), ptb_pa(4ull << 30));
	struct ptb_space s;
	struct ptb_space_config cfg = { .format = x->f, .backend = ptb_sim_backend(sim),
					.max_leaf_level = 2, .flags = PTB_SPACE_NX };
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_OK);
	uint64_t va = x->base;
	assert_int_equal(ptb_space_map(&s, ptb_va(va), ptb_pa(0), 4 * MiB, PTB_ATTR_WRITE | PTB_ATTR_GLOBAL, 0),
			 PTB_OK);
	assert_int_equal(ptb_space_map(&s, ptb_va(va + 4 * MiB), ptb_pa(64 * MiB + 4096), 8 * 4096,
				       PTB_ATTR_USER | PTB_ATTR_EXEC | ptb_attr_cache(PTB_CACHE_WC), 0),
			 PTB_OK);
	assert_int_equal(ptb_space_seal(&s), PTB_OK);
	assert_int_equal(ptb_space_activate(&s), PTB_OK);
	struct rw_tree tree = { sim, x->rw, s.root.raw, 0, 0 };
	for (uint64_t off = 0; off < 4 * MiB + 10 * 4096; off += 4096) {
		const char *err = tlbcheck_page(sim, 0, &tree, va + off);
		if (err)
			fail_msg("%s: %s at va %#llx", x->f->name, err, (unsigned long long)(va + off));
	}
	/* one walk per 2 MiB page, per 4 KiB page and per hole; the rest hit */
	assert_int_equal(ptb_sim_stats(sim)->tlb_walks, 2 + 8 + 2);
	assert_int_equal(ptb_sim_stats(sim)->tlb_hits, 1024 - 2);
	ptb_sim_delete(sim);
}

static void test_cpu_agrees_with_refwalk(void **state)
{
	static const struct fmt fmts[] = {
		{ &ptb_format_x86_64_4level, RW_4LEVEL, 0xffff888040000000ull },
		{ &ptb_format_x86_64_5level, RW_5LEVEL, 0xff11000040000000ull },
		{ &ptb_format_pae, RW_PAE, 0x40000000ull },
		{ &ptb_format_test, RW_TEST, 0xffff888040000000ull },
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		check_format(&fmts[i]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_walk_fills_and_hits),
		T(test_hit_is_stale_until_flushed),
		T(test_flush_range_exact),
		T(test_flush_all),
		T(test_activate_keeps_global),
		T(test_structure_cache_is_used),
		T(test_long_flush_meets_regions),
		T(test_fault_drops_the_entry),
		T(test_not_present_is_not_cached),
		T(test_large_page),
		T(test_freed_while_cached_refused),
		cmocka_unit_test(test_free_while_cached_refused),
		cmocka_unit_test(test_several_cpus),
		cmocka_unit_test(test_alloc_hands_out_garbage),
		cmocka_unit_test(test_cpu_agrees_with_refwalk),
	};
	return cmocka_run_group_tests_name("sim TLB", tests, NULL, NULL);
}
