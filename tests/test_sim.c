/* SPDX-License-Identifier: MIT */
/*
 * The simulation backend on its own: each Xen PV rule is refused (one test
 * per rule, written so that it fails if the rule's check is removed), flips
 * are counted, plain stores to sealed tables are caught, frames scramble
 * bijectively, the injectors fire, and 64 TiB can be simulated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "ptb_sim.h"

#define P 1ull
#define RW 2ull
#define PS 0x80ull

struct t {
	struct ptb_sim *sim;
	struct ptb_backend be;
};

static int setup(void **state)
{
	static struct t t;
	struct ptb_sim_config c = { .mem_bytes = 1ull << 30, .xen_rules = true };
	t.sim = ptb_sim_new(&c);
	t.be = ptb_sim_backend(t.sim);
	*state = &t;
	return t.sim ? 0 : -1;
}

static int teardown(void **state)
{
	struct t *t = *state;
	ptb_sim_delete(t->sim);
	return 0;
}

static uint64_t *page(struct t *t, uint64_t pa)
{
	return ptb_sim_ptr(t->sim, ptb_pa(pa));
}

static uint64_t table(struct t *t, unsigned level)
{
	ptb_pa_t pa;
	assert_int_equal(t->be.ops->alloc_table(t->be.ctx, level, &pa), PTB_OK);
	for (int i = 0; i < 512; i++)
		page(t, pa.raw)[i] = 0;
	return pa.raw;
}

static ptb_err_t seal(struct t *t, uint64_t pa, unsigned level)
{
	struct ptb_table_ref r = { ptb_pa(pa), level };
	size_t done;
	return t->be.ops->seal(t->be.ctx, &r, 1, &done);
}

static ptb_err_t retire(struct t *t, uint64_t pa, unsigned level)
{
	struct ptb_table_ref r = { ptb_pa(pa), level };
	size_t done;
	return t->be.ops->retire(t->be.ctx, &r, 1, &done);
}

static ptb_err_t write(struct t *t, uint64_t tpa, unsigned idx, unsigned level, uint64_t val)
{
	struct ptb_live_write w = { ptb_pa(tpa + 8 * idx), val, level };
	size_t done;
	return t->be.ops->write_live(t->be.ctx, &w, 1, &done);
}

static void test_link_unsealed_refused(void **state)
{
	struct t *t = *state;
	uint64_t l2 = table(t, 2), l1 = table(t, 1);
	assert_int_equal(seal(t, l2, 2), PTB_OK);
	assert_int_equal(write(t, l2, 0, 2, l1 | P | RW), PTB_E_REFUSED);
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	assert_int_equal(write(t, l2, 0, 2, l1 | P | RW), PTB_OK);
}

static void test_writable_mapping_of_table_refused(void **state)
{
	struct t *t = *state;
	uint64_t victim = table(t, 1), l1 = table(t, 1);
	assert_int_equal(seal(t, victim, 1), PTB_OK);
	/* an L1 that maps a sealed table writable cannot be sealed ... */
	page(t, l1)[7] = victim | P | RW;
	assert_int_equal(seal(t, l1, 1), PTB_E_REFUSED);
	/* ... read-only is fine ... */
	page(t, l1)[7] = victim | P;
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	/* ... and a live write cannot make it writable. */
	assert_int_equal(write(t, l1, 8, 1, victim | P | RW), PTB_E_REFUSED);
	assert_int_equal(write(t, l1, 8, 1, victim | P), PTB_OK);
}

static void test_seal_while_mapped_writable_refused(void **state)
{
	struct t *t = *state;
	uint64_t target = table(t, 1), l1 = table(t, 1);
	page(t, l1)[3] = target | P | RW;          /* target is still ordinary memory */
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	assert_int_equal(seal(t, target, 1), PTB_E_REFUSED); /* a writable mapping exists */
	assert_int_equal(write(t, l1, 3, 1, target | P), PTB_OK);
	assert_int_equal(seal(t, target, 1), PTB_OK);
}

static void test_plain_store_caught(void **state)
{
	struct t *t = *state;
	uint64_t l1 = table(t, 1);
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	assert_true(ptb_sim_verify_sealed(t->sim));
	page(t, l1)[5] = 0x1000 | P;               /* what Xen turns into a fault */
	assert_false(ptb_sim_verify_sealed(t->sim));
	page(t, l1)[5] = 0;
	assert_true(ptb_sim_verify_sealed(t->sim));
}

static void test_pse_refused(void **state)
{
	struct t *t = *state;
	uint64_t l2 = table(t, 2), l2b = table(t, 2);
	page(t, l2)[0] = 0x200000 | P | RW | PS;
	assert_int_equal(seal(t, l2, 2), PTB_E_REFUSED);
	assert_int_equal(seal(t, l2b, 2), PTB_OK);
	assert_int_equal(write(t, l2b, 1, 2, 0x400000 | P | PS), PTB_E_REFUSED);
}

static void test_xen_slots_refused(void **state)
{
	struct t *t = *state;
	uint64_t l4 = table(t, 4), l4b = table(t, 4), l3 = table(t, 3);
	assert_int_equal(seal(t, l3, 3), PTB_OK);
	page(t, l4)[260] = l3 | P | RW;
	assert_int_equal(seal(t, l4, 4), PTB_E_REFUSED);
	assert_int_equal(seal(t, l4b, 4), PTB_OK);
	assert_int_equal(write(t, l4b, 256, 4, l3 | P | RW), PTB_E_REFUSED);
	assert_int_equal(write(t, l4b, 271, 4, 0), PTB_E_REFUSED); /* even a zero */
	assert_int_equal(write(t, l4b, 272, 4, l3 | P | RW), PTB_OK);
}

static void test_l1tf_refused(void **state)
{
	struct t *t = *state;
	uint64_t l1 = table(t, 1), l1b = table(t, 1);
	page(t, l1)[9] = 0x5000; /* not present, but an address */
	assert_int_equal(seal(t, l1, 1), PTB_E_REFUSED);
	assert_int_equal(seal(t, l1b, 1), PTB_OK);
	assert_int_equal(write(t, l1b, 2, 1, 0x7000), PTB_E_REFUSED);
	assert_int_equal(write(t, l1b, 2, 1, 0x7000 | P), PTB_OK);
}

static void test_seal_twice_refused(void **state)
{
	struct t *t = *state;
	uint64_t l1 = table(t, 1);
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	assert_int_equal(seal(t, l1, 1), PTB_E_REFUSED);
}

static void test_retire_linked_refused(void **state)
{
	struct t *t = *state;
	uint64_t l2 = table(t, 2), l1 = table(t, 1);
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	page(t, l2)[4] = l1 | P | RW;
	assert_int_equal(seal(t, l2, 2), PTB_OK);
	assert_int_equal(retire(t, l1, 1), PTB_E_REFUSED);
	assert_int_equal(retire(t, l2, 2), PTB_OK);   /* parent first ... */
	assert_int_equal(retire(t, l1, 1), PTB_OK);   /* ... then the child */
	assert_int_equal(retire(t, l1, 1), PTB_E_REFUSED); /* not sealed any more */
}

static void test_activate_unsealed_refused(void **state)
{
	struct t *t = *state;
	uint64_t l4 = table(t, 4);
	assert_int_equal(t->be.ops->activate(t->be.ctx, ptb_pa(l4), 4), PTB_E_REFUSED);
	assert_int_equal(seal(t, l4, 4), PTB_OK);
	assert_int_equal(t->be.ops->activate(t->be.ctx, ptb_pa(l4), 4), PTB_OK);
	assert_int_equal(retire(t, l4, 4), PTB_E_REFUSED); /* the active root */
}

/* seal makes the window alias in the active tree read-only, retire undoes it. */
static void test_alias_flips(void **state)
{
	struct t *t = *state;
	uint64_t l4 = table(t, 4), l3 = table(t, 3), l2 = table(t, 2), l1 = table(t, 1), victim = table(t, 1);
	const uint64_t base = 0xffff888000000000ull; /* slot 273 */
	page(t, l1)[(victim >> 12) & 511] = victim | P | RW;
	page(t, l2)[(victim >> 21) & 511] = l1 | P | RW;
	page(t, l3)[(victim >> 30) & 511] = l2 | P | RW;
	page(t, l4)[273] = l3 | P | RW;
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	assert_int_equal(seal(t, l2, 2), PTB_OK);
	assert_int_equal(seal(t, l3, 3), PTB_OK);
	assert_int_equal(seal(t, l4, 4), PTB_OK);
	assert_int_equal(t->be.ops->activate(t->be.ctx, ptb_pa(l4), 4), PTB_OK);
	struct ptb_sim_window w = { base, 0, 1ull << 30 };
	assert_int_equal(seal(t, victim, 1), PTB_E_REFUSED); /* no window: still writable */
	ptb_sim_set_windows(t->sim, &w, 1);
	uint64_t before = ptb_sim_stats(t->sim)->rw_to_ro;
	assert_int_equal(seal(t, victim, 1), PTB_OK);
	assert_int_equal(ptb_sim_stats(t->sim)->rw_to_ro, before + 1);
	assert_false(page(t, l1)[(victim >> 12) & 511] & RW);
	assert_true(ptb_sim_verify_sealed(t->sim));
	assert_int_equal(retire(t, victim, 1), PTB_OK);
	assert_true(page(t, l1)[(victim >> 12) & 511] & RW);
}

static void test_scrambled_frames_bijective(void **state)
{
	(void)state;
	struct ptb_sim_config c = { .mem_bytes = 3ull << 20 /* 768 pages: not a power of two */,
				    .scramble_frames = true, .seed = 99 };
	struct ptb_sim *s = ptb_sim_new(&c);
	static uint8_t seen[768];
	unsigned moved = 0;
	for (uint64_t pfn = 0; pfn < 768; pfn++) {
		ptb_frame_t f = ptb_sim_frame_of(s, ptb_pfn_to_pa(pfn));
		assert_true(f.raw < 768);
		assert_false(seen[f.raw]);
		seen[f.raw] = 1;
		moved += f.raw != pfn;
		assert_int_equal(ptb_sim_pa_of(s, f).raw, pfn << 12);
	}
	assert_true(moved > 700);
	assert_int_equal(ptb_sim_backend(s).ops->flags & PTB_BACKEND_FRAME_IS_PFN, 0);
	ptb_sim_delete(s);
}

static void test_injectors_and_accounting(void **state)
{
	struct t *t = *state;
	ptb_pa_t pa;
	uint64_t live = ptb_sim_stats(t->sim)->pages_allocated;
	ptb_sim_fail_alloc_at(t->sim, 2);
	assert_int_equal(t->be.ops->alloc_table(t->be.ctx, 1, &pa), PTB_OK);
	assert_int_equal(t->be.ops->alloc_table(t->be.ctx, 1, &pa), PTB_E_NOMEM);
	assert_int_equal(t->be.ops->alloc_table(t->be.ctx, 1, &pa), PTB_OK);
	assert_int_equal(ptb_sim_stats(t->sim)->pages_allocated, live + 2);
	t->be.ops->free_table(t->be.ctx, pa, 1);
	assert_int_equal(ptb_sim_stats(t->sim)->pages_allocated, live + 1);
	uint64_t l1 = table(t, 1);
	assert_int_equal(seal(t, l1, 1), PTB_OK);
	ptb_sim_fail_write_at(t->sim, 1);
	assert_int_equal(write(t, l1, 0, 1, 0x1000 | P), PTB_E_REFUSED);
	assert_int_equal(write(t, l1, 0, 1, 0x1000 | P), PTB_OK);
	/* freeing a sealed table breaks the contract: recorded */
	uint64_t refusals = ptb_sim_stats(t->sim)->refusals;
	t->be.ops->free_table(t->be.ctx, ptb_pa(l1), 1);
	assert_int_equal(ptb_sim_stats(t->sim)->refusals, refusals + 1);
}

static void test_64tib(void **state)
{
	(void)state;
	struct ptb_sim_config c = { .mem_bytes = 64ull << 40 };
	struct ptb_sim *s = ptb_sim_new(&c);
	assert_non_null(s);
	uint64_t *top = ptb_sim_ptr(s, ptb_pa((64ull << 40) - 4096));
	top[511] = 42;
	assert_int_equal(top[511], 42);
	ptb_sim_delete(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_unsealed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_mapping_of_table_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_while_mapped_writable_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_store_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pse_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xen_slots_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l1tf_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_twice_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire_linked_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_activate_unsealed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alias_flips, setup, teardown),
		cmocka_unit_test(test_scrambled_frames_bijective),
		cmocka_unit_test_setup_teardown(test_injectors_and_accounting, setup, teardown),
		cmocka_unit_test(test_64tib),
	};
	return cmocka_run_group_tests_name("sim (Xen rules)", tests, NULL, NULL);
}
