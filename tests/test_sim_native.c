/* SPDX-License-Identifier: MIT */
/*
 * The simulation backend without Xen rules: the hook contracts' checkable
 * Pre conditions refused and recorded, counters, the pool allocator, the
 * injectors, scrambled frames, page accounting, and 64 TiB of memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hookcall.h"

#define P  1ull
#define RW 2ull
#define PS 0x80ull
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static int setup(void **state)
{
	static struct hookcall h;
	struct ptb_sim_config c = { .mem_bytes = GiB };
	*state = &h;
	return hc_open(&h, &c) ? 0 : -1;
}

static int teardown(void **state)
{
	hc_close(*state);
	return 0;
}

static uint64_t table(struct hookcall *h, unsigned level)
{
	uint64_t pa = 0;
	assert_true(hc_table(h, level, &pa));
	return pa;
}

static void expect_refusal(struct hookcall *h, ptb_err_t err, const char *why)
{
	assert_int_equal(err, PTB_E_REFUSED);
	if (!strstr(hc_stats(h)->last_refusal, why))
		fail_msg("refused for \"%s\", expected \"%s\"", hc_stats(h)->last_refusal, why);
}

/* Each checkable Pre of backend.h, broken once: refused, recorded, and the
 * sim carries on. */
static void test_contract_refusals(void **state)
{
	struct hookcall *h = *state;
	uint64_t l1 = table(h, 1), l2 = table(h, 2), scratch = table(h, 0);
	expect_refusal(h, hc_write(h, l1, 0, 1, 0x1000 | P), "not a sealed table");
	expect_refusal(h, hc_retire(h, l1, 1), "not sealed");
	expect_refusal(h, hc_activate(h, l2, 2), "not sealed");
	expect_refusal(h, hc_seal(h, scratch, 1), "scratch");
	expect_refusal(h, hc_seal(h, l1 + 8, 1), "not a page");
	expect_refusal(h, hc_seal(h, GiB, 1), "not a page");
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	expect_refusal(h, hc_seal(h, l1, 1), "sealed table");
	expect_refusal(h, hc_write(h, l1, 0, 2, 0x1000 | P), "level");
	expect_refusal(h, hc_retire(h, l1, 2), "level");
	uint64_t refusals = hc_stats(h)->refusals, pages = hc_stats(h)->pages_allocated;
	h->be.ops->free_table(h->be.ctx, ptb_pa(l1), 1);      /* sealed: refused */
	h->be.ops->free_table(h->be.ctx, ptb_pa(0x5000), 1);  /* never allocated */
	assert_int_equal(hc_stats(h)->refusals, refusals + 2);
	assert_int_equal(hc_stats(h)->pages_allocated, pages);
	assert_true(ptb_sim_is_sealed(h->sim, ptb_pa(l1)));
	/* a plain store to a sealed table is caught natively too */
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
	hc_page(h, l2)[3] = 0x3000 | P;
	expect_refusal(h, hc_activate(h, l2, 2), "plain store");
	expect_refusal(h, hc_retire(h, l2, 2), "plain store");
	hc_page(h, l2)[3] = 0;
	expect_refusal(h, hc_activate(h, l2, 3), "level");
	assert_int_equal(hc_activate(h, l2, 2), PTB_OK);
}

/* Xen's rules are Xen's: natively a large page or a writable mapping of a
 * table is fine. */
static void test_native_allows_what_xen_refuses(void **state)
{
	struct hookcall *h = *state;
	uint64_t l2 = table(h, 2), l1 = table(h, 1), l4 = table(h, 4);
	hc_page(h, l2)[0] = 0x200000 | P | RW | PS;
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
	hc_page(h, l1)[0] = l2 | P | RW;
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	hc_page(h, l4)[256] = 0x7000 | P;
	assert_int_equal(hc_seal(h, l4, 4), PTB_OK);
	assert_int_equal(hc_retire(h, l2, 2), PTB_OK);
	assert_int_equal(hc_stats(h)->refusals, 0);
}

/* calls, items and the largest batch per hook; traps only for the hooks
 * that would enter the hypervisor. */
static void test_counters(void **state)
{
	struct hookcall *h = *state;
	const struct ptb_backend_ops *o = h->be.ops;
	uint64_t t[3] = { table(h, 1), table(h, 1), table(h, 2) };
	ptb_frame_t frames[4];
	ptb_pa_t pa;
	size_t done;
	assert_int_equal(o->frames_of(h->be.ctx, ptb_pa(0), 4, frames), PTB_OK);
	assert_int_equal(o->pa_of(h->be.ctx, frames[2], &pa), PTB_OK);
	(void)o->table_ptr(h->be.ctx, ptb_pa(t[0]));
	uint64_t non_traps = hc_stats(h)->traps;
	assert_int_equal(non_traps, 0);
	struct ptb_table_ref r[2] = { { ptb_pa(t[0]), 1 }, { ptb_pa(t[1]), 1 } };
	assert_int_equal(o->seal(h->be.ctx, r, 2, &done), PTB_OK);
	assert_int_equal(hc_seal(h, t[2], 2), PTB_OK);
	struct ptb_live_write w[3] = { { ptb_pa(t[2]), t[0] | P, 2 }, { ptb_pa(t[2] + 8), t[1] | P, 2 },
				       { ptb_pa(t[2] + 16), 0, 2 } };
	assert_int_equal(o->write_live(h->be.ctx, w, 3, &done), PTB_OK);
	assert_int_equal(o->write_live(h->be.ctx, w, 0, &done), PTB_OK); /* an empty batch is a call */
	o->flush(h->be.ctx, ptb_va(0), 4096);
	o->flush(h->be.ctx, ptb_va(0), 0);
	assert_int_equal(hc_activate(h, t[2], 2), PTB_OK);
	assert_int_equal(o->retire(h->be.ctx, r, 2, &done), PTB_OK);
	o->free_table(h->be.ctx, ptb_pa(t[0]), 1);
	const struct ptb_sim_stats *s = hc_stats(h);
	const uint64_t calls[PTB_SIM_HOOK_COUNT_] = { 3, 1, 2, 1, 2, 1, 2, 1, 1 };
	const uint64_t items[PTB_SIM_HOOK_COUNT_] = { 3, 1, 3, 2, 3, 1, 2, 4, 1 };
	const uint64_t max[PTB_SIM_HOOK_COUNT_] = { 1, 1, 2, 2, 3, 1, 1, 4, 1 };
	for (int k = 0; k < PTB_SIM_HOOK_COUNT_; k++) {
		assert_int_equal(s->calls[k], calls[k]);
		assert_int_equal(s->items[k], items[k]);
		assert_int_equal(s->max_batch[k], max[k]);
	}
	assert_int_equal(s->traps, 2 + 1 + 2 + 1 + 2); /* seal, retire, write_live, activate, flush */
	assert_true(s->table_ptr_calls >= 1);
	assert_int_equal(s->rw_to_ro, 3);
	assert_int_equal(s->ro_to_rw, 2);
	assert_int_equal(s->pages_allocated, 2);
	ptb_sim_reset_stats(h->sim);
	assert_int_equal(s->calls[PTB_SIM_SEAL], 0);
	assert_int_equal(s->traps, 0);
	assert_int_equal(s->pages_allocated, 2); /* state, not a counter */
}

/* Highest page first, freed pages reused last-in first-out, pages in use
 * skipped, the pool's bounds kept. */
static void test_pool(void **state)
{
	struct hookcall *h = *state;
	assert_int_equal(table(h, 1), GiB - 4096); /* default pool: all memory */
	ptb_sim_adopt_table(h->sim, ptb_pa(64 * MiB - 2 * 4096), 1, false);
	ptb_sim_set_pool(h->sim, ptb_pa(64 * MiB - 4 * 4096), ptb_pa(64 * MiB));
	uint64_t a = table(h, 1), b = table(h, 2);
	assert_int_equal(a, 64 * MiB - 4096);
	assert_int_equal(b, 64 * MiB - 3 * 4096); /* the adopted page is skipped */
	h->be.ops->free_table(h->be.ctx, ptb_pa(a), 1);
	h->be.ops->free_table(h->be.ctx, ptb_pa(b), 2);
	assert_int_equal(table(h, 1), b);           /* last freed, first reused */
	assert_int_equal(table(h, 1), a);
	assert_int_equal(table(h, 1), 64 * MiB - 4 * 4096);
	ptb_pa_t pa = ptb_pa(1);
	assert_int_equal(h->be.ops->alloc_table(h->be.ctx, 1, &pa), PTB_E_NOMEM);
	assert_int_equal(pa.raw, 1); /* unchanged on error */
	/* a page freed from outside the pool does not join it */
	ptb_sim_set_pool(h->sim, ptb_pa(0), ptb_pa(4 * GiB)); /* clipped to memory */
	assert_int_equal(table(h, 0), GiB - 2 * 4096);      /* the first alloc is still in use */
}

static void test_alloc_injector(void **state)
{
	struct hookcall *h = *state;
	ptb_pa_t pa;
	uint64_t pages = hc_stats(h)->pages_allocated;
	ptb_sim_fail_alloc_at(h->sim, 3);
	assert_int_equal(h->be.ops->alloc_table(h->be.ctx, 1, &pa), PTB_OK);
	assert_int_equal(h->be.ops->alloc_table(h->be.ctx, 1, &pa), PTB_OK);
	uint64_t last = pa.raw;
	assert_int_equal(h->be.ops->alloc_table(h->be.ctx, 1, &pa), PTB_E_NOMEM);
	assert_int_equal(pa.raw, last);
	assert_int_equal(hc_stats(h)->pages_allocated, pages + 2);
	assert_int_equal(h->be.ops->alloc_table(h->be.ctx, 1, &pa), PTB_OK); /* one shot */
	assert_int_equal(pa.raw, last - 4096);  /* the failed call took no page */
	ptb_sim_fail_alloc_at(h->sim, 1);
	ptb_sim_fail_alloc_at(h->sim, 0);       /* off again */
	assert_int_equal(h->be.ops->alloc_table(h->be.ctx, 1, &pa), PTB_OK);
}

/* The write injector counts items, across calls and inside batches. */
static void test_write_injector(void **state)
{
	struct hookcall *h = *state;
	uint64_t l1 = table(h, 1);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	ptb_sim_fail_write_at(h->sim, 3);
	assert_int_equal(hc_write(h, l1, 0, 1, 0x1000 | P), PTB_OK);
	struct ptb_live_write w[3] = { { ptb_pa(l1 + 8), 0x2000 | P, 1 }, { ptb_pa(l1 + 16), 0x3000 | P, 1 },
				       { ptb_pa(l1 + 24), 0x4000 | P, 1 } };
	size_t done = 99;
	expect_refusal(h, h->be.ops->write_live(h->be.ctx, w, 3, &done), "injection");
	assert_int_equal(done, 1);
	assert_int_equal(hc_page(h, l1)[1], 0x2000 | P);
	assert_int_equal(hc_page(h, l1)[2], 0);
	assert_int_equal(h->be.ops->write_live(h->be.ctx, w + 1, 2, &done), PTB_OK);
	assert_true(ptb_sim_verify_sealed(h->sim));
}

/* frames scramble as a bijection of [0, npages), for sizes that are and are
 * not powers of two; the hooks and the helpers agree; with frames unscrambled
 * the backend says frame == pfn. */
static void check_permutation(uint64_t npages, uint64_t seed)
{
	struct ptb_sim_config c = { .mem_bytes = npages * 4096, .scramble_frames = true, .seed = seed };
	struct ptb_sim *s = ptb_sim_new(&c);
	assert_non_null(s);
	struct ptb_backend be = ptb_sim_backend(s);
	assert_int_equal(be.ops->flags & PTB_BACKEND_FRAME_IS_PFN, 0);
	uint8_t *seen = calloc(npages, 1);
	uint64_t moved = 0, consecutive = 0, prev = 0;
	for (uint64_t pfn = 0; pfn < npages; pfn++) {
		ptb_frame_t f = ptb_sim_frame_of(s, ptb_pfn_to_pa(pfn));
		assert_true(f.raw < npages);
		assert_false(seen[f.raw]);
		seen[f.raw] = 1;
		moved += f.raw != pfn;
		consecutive += pfn && f.raw == prev + 1;
		prev = f.raw;
		assert_int_equal(ptb_sim_pa_of(s, f).raw, pfn << 12);
		ptb_pa_t pa;
		assert_int_equal(be.ops->pa_of(be.ctx, f, &pa), PTB_OK);
		assert_int_equal(pa.raw, pfn << 12);
	}
	if (npages >= 256) {
		assert_true(moved > npages * 9 / 10);
		assert_true(consecutive < npages / 16);
	}
	ptb_frame_t out[3];
	assert_int_equal(be.ops->frames_of(be.ctx, ptb_pfn_to_pa(npages - 1), 1, out), PTB_OK);
	assert_int_equal(be.ops->frames_of(be.ctx, ptb_pfn_to_pa(npages - 1), 2, out), PTB_E_RANGE);
	ptb_pa_t pa = ptb_pa(7);
	assert_int_equal(be.ops->pa_of(be.ctx, ptb_frame(npages), &pa), PTB_E_RANGE);
	assert_int_equal(pa.raw, 7);
	free(seen);
	ptb_sim_delete(s);
}

static void test_scrambled_frames_bijective(void **state)
{
	(void)state;
	const uint64_t sizes[] = { 1, 2, 3, 768, 1024, 4099, 1u << 18, 3u << 18 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (uint64_t seed = 0; seed < 3; seed++)
			check_permutation(sizes[i], seed);
	/* seeds give different permutations */
	struct ptb_sim_config c1 = { .mem_bytes = GiB, .scramble_frames = true, .seed = 1 }, c2 = c1;
	c2.seed = 2;
	struct ptb_sim *s1 = ptb_sim_new(&c1), *s2 = ptb_sim_new(&c2);
	unsigned same = 0;
	for (uint64_t pfn = 0; pfn < 1000; pfn++)
		same += ptb_sim_frame_of(s1, ptb_pfn_to_pa(pfn)).raw == ptb_sim_frame_of(s2, ptb_pfn_to_pa(pfn)).raw;
	assert_true(same < 10);
	ptb_sim_delete(s1);
	ptb_sim_delete(s2);
	/* unscrambled: frame == pfn, and the backend says so */
	struct hookcall h;
	struct ptb_sim_config plain = { .mem_bytes = GiB };
	assert_true(hc_open(&h, &plain));
	assert_true(h.be.ops->flags & PTB_BACKEND_FRAME_IS_PFN);
	assert_int_equal(ptb_sim_frame_of(h.sim, ptb_pa(0x1234000)).raw, 0x1234);
	hc_close(&h);
}

/* pages_allocated: alloc minus free, adopted pages included. */
static void test_pages_allocated(void **state)
{
	struct hookcall *h = *state;
	assert_int_equal(hc_stats(h)->pages_allocated, 0);
	uint64_t a = table(h, 1), b = table(h, 0);
	ptb_sim_adopt_table(h->sim, ptb_pa(0x8000), 2, false);
	ptb_sim_adopt_table(h->sim, ptb_pa(0x8000), 2, false); /* twice: counted once */
	assert_int_equal(hc_stats(h)->pages_allocated, 3);
	h->be.ops->free_table(h->be.ctx, ptb_pa(a), 1);
	h->be.ops->free_table(h->be.ctx, ptb_pa(b), 0);
	h->be.ops->free_table(h->be.ctx, ptb_pa(0x8000), 2);
	assert_int_equal(hc_stats(h)->pages_allocated, 0);
	h->be.ops->free_table(h->be.ctx, ptb_pa(a), 1); /* twice: refused, not counted */
	assert_int_equal(hc_stats(h)->pages_allocated, 0);
	assert_int_equal(hc_stats(h)->refusals, 1);
}

/* 64 TiB reserve sparsely, with the rules and scrambled frames too; tables
 * at the very top work. */
static void test_64tib(void **state)
{
	(void)state;
	for (int xen = 0; xen < 2; xen++) {
		struct hookcall h;
		struct ptb_sim_config c = { .mem_bytes = 64ull << 40, .xen_rules = xen, .scramble_frames = xen,
					    .seed = 9 };
		assert_true(hc_open(&h, &c));
		uint64_t l1 = table(&h, 1), l2 = table(&h, 2);
		assert_int_equal(l1, (64ull << 40) - 4096);
		hc_page(&h, l1)[511] = hc_entry(&h, (64ull << 40) - 8 * 4096, P);
		assert_int_equal(hc_seal(&h, l1, 1), PTB_OK);
		hc_page(&h, l2)[0] = hc_entry(&h, l1, P | RW);
		assert_int_equal(hc_seal(&h, l2, 2), PTB_OK);
		assert_true(ptb_sim_verify_sealed(h.sim));
		assert_int_equal(ptb_sim_pa_of(h.sim, ptb_sim_frame_of(h.sim, ptb_pa(l1))).raw, l1);
		hc_close(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contract_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_allows_what_xen_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_injector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_injector, setup, teardown),
		cmocka_unit_test(test_scrambled_frames_bijective),
		cmocka_unit_test_setup_teardown(test_pages_allocated, setup, teardown),
		cmocka_unit_test(test_64tib),
	};
	return cmocka_run_group_tests_name("sim: memory, pool, counters, native", tests, NULL, NULL);
}
