/* SPDX-License-Identifier: MIT */
/*
 * Space operations on a sealed, active space under Xen rules with scrambled
 * frames, checked by the reference walker and the flat model; and rollback
 * of every operation at every allocation point and every live-write point,
 * under Xen rules and natively.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include <ptboot/cursor.h>
#include "model.h"
#include "ptb_checked.h"
#include "ptb_sim.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define DM 0xffff888000000000ull

struct fx {
	struct ptb_sim *sim;
	struct ptb_checked chk;
	struct ptb_checked_slot slots[1 << 13];
	struct ptb_space s;
	struct rw_tree tree;
	bool xen;
};

static void violation(void *arg, const char *what)
{
	(void)arg;
	fail_msg("hook contract violated: %s", what);
}

/* A sealed, active 4-level space; xen: Xen rules, scrambled frames, 4K only. */
static struct fx *fx_new(bool xen)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ptb_sim_config sc = { .mem_bytes = 8 * GiB, .xen_rules = xen, .scramble_frames = xen, .seed = 11 };
	x->xen = xen;
	x->sim = ptb_sim_new(&sc);
	assert_non_null(x->sim);
	ptb_sim_set_pool(x->sim, ptb_pa(6 * GiB), ptb_pa(8 * GiB));
	ptb_checked_init(&x->chk, ptb_sim_backend(x->sim), &ptb_format_x86_64_4level, x->slots, 1 << 13);
	x->chk.on_violation = violation;
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_checked_backend(&x->chk),
					.pat = xen ? &ptb_pat_xen : NULL, .max_leaf_level = xen ? 1 : 3,
					.flags = PTB_SPACE_NX, .reserved_first = xen ? 256 : 0,
					.reserved_count = xen ? 16 : 0 };
	assert_int_equal(ptb_space_create(&x->s, &cfg), PTB_OK);
	assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
	assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
	x->tree = (struct rw_tree){ x->sim, RW_4LEVEL, x->s.root.raw, xen ? 256 : 0, xen ? 16 : 0 };
	return x;
}

static void fx_free(struct fx *x)
{
	assert_int_equal(x->chk.violations, 0);
	assert_true(ptb_sim_verify_sealed(x->sim));
	ptb_sim_delete(x->sim);
	free(x);
}

static uint64_t pages(struct fx *x)
{
	return ptb_sim_stats(x->sim)->pages_allocated;
}

static void compare(struct fx *x, const struct model *m)
{
	uint64_t where = 0;
	const char *err = model_compare(m, &x->tree, &where);
	if (err)
		fail_msg("%s at %#llx", err, (unsigned long long)where);
	assert_int_equal(pages(x), refwalk_count_tables(&x->tree));
	assert_true(ptb_sim_verify_sealed(x->sim));
	assert_int_equal(ptb_sim_stats(x->sim)->refusals, 0);
}

/* map, protect, unmap, query and the cursor on a live Xen tree: every
 * change through write_live, every table sealed before it is linked. */
static void test_operations_under_xen_rules(void **state)
{
	(void)state;
	struct fx *x = fx_new(true);
	struct model m;
	model_init(&m, ptb_pat_xen.type, true);
	const uint64_t va = DM + GiB - 2 * MiB; /* crosses a 1G line: new L2 and L1s */
	assert_int_equal(ptb_space_map(&x->s, ptb_va(va), ptb_pa(16 * MiB), 4 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	model_map(&m, va, 16 * MiB, 4 * MiB, PTB_ATTR_WRITE);
	compare(x, &m);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(va + MiB), ptb_pa(0), 4 * MiB, 0, 0), PTB_E_CONFLICT);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(va + MiB), ptb_pa(0), 4 * MiB, 0, PTB_MAP_KEEP), PTB_OK);
	model_map(&m, va + MiB, 0, 4 * MiB, 0);
	compare(x, &m);
	ptb_attr_t wc = ptb_attr_cache(PTB_CACHE_WC);
	assert_int_equal(ptb_space_protect(&x->s, ptb_va(va + 12 * 4096), 3 * MiB, wc), PTB_OK);
	model_protect(&m, va + 12 * 4096, 3 * MiB, wc);
	compare(x, &m);
	struct ptb_mapping q;
	assert_int_equal(ptb_space_query(&x->s, ptb_va(va + 12 * 4096 + 5), &q), PTB_OK);
	assert_int_equal(q.pa.raw, 16 * MiB + 12 * 4096 + 5);
	assert_int_equal(q.attr, wc);
	uint64_t before = pages(x);
	/* the last L1 of the first GiB, and with it that GiB's L2, now empty */
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(va), 2 * MiB), PTB_OK);
	model_unmap(&m, va, 2 * MiB);
	compare(x, &m);
	assert_int_equal(pages(x), before - 2);
	struct ptb_cursor c;
	assert_int_equal(ptb_cursor_hold(&c, &x->s, ptb_va(0x00007f0000000000ull), 1), PTB_OK);
	assert_true(ptb_sim_is_sealed(x->sim, c.table_pa[1]));
	assert_int_equal(ptb_cursor_release(&c, &x->s, ptb_va(0x00007f0000000000ull)), PTB_OK);
	compare(x, &m);
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM), 4 * GiB), PTB_OK);
	assert_int_equal(pages(x), 1);
	assert_true(ptb_sim_stats(x->sim)->ro_to_rw > 0);
	model_free(&m);
	fx_free(x);
}

typedef ptb_err_t (*op_fn)(struct fx *x);

/* Across a 1G line; natively that mixes 4K, 2M pages; under Xen 4K only. */
static ptb_err_t op_map(struct fx *x)
{
	return ptb_space_map(&x->s, ptb_va(DM + 2 * GiB - 2 * MiB - 8192), ptb_pa(2 * GiB - 2 * MiB - 8192),
			     4 * MiB + 16384, PTB_ATTR_WRITE, 0);
}

static ptb_err_t op_protect(struct fx *x)
{
	return ptb_space_protect(&x->s, ptb_va(DM + GiB + 4096), 4 * MiB, 0);
}

static ptb_err_t op_unmap(struct fx *x)
{
	return ptb_space_unmap(&x->s, ptb_va(DM + GiB + 2 * MiB - 4096), 2 * MiB);
}

static ptb_err_t op_hold(struct fx *x)
{
	struct ptb_cursor c;
	return ptb_cursor_hold(&c, &x->s, ptb_va(0x00007f0000000000ull), 1);
}

/* Fail the k-th allocation (writes: the k-th live write) for every k until
 * the operation succeeds: each failure leaves the tree bit-identical and no
 * page taken; the retry succeeds. */
static uint64_t fail_each_point(struct fx *x, op_fn op, bool writes)
{
	uint64_t k;
	for (k = 1;; k++) {
		uint64_t h = refwalk_hash(&x->tree), p = pages(x);
		if (writes)
			ptb_sim_fail_write_at(x->sim, k);
		else
			ptb_sim_fail_alloc_at(x->sim, k);
		ptb_err_t err = op(x);
		ptb_sim_fail_write_at(x->sim, 0);
		ptb_sim_fail_alloc_at(x->sim, 0);
		if (err == PTB_OK)
			return k - 1;
		assert_int_equal(err, writes ? PTB_E_REFUSED : PTB_E_NOMEM);
		assert_int_equal(refwalk_hash(&x->tree), h);
		assert_int_equal(pages(x), p);
		assert_true(ptb_sim_verify_sealed(x->sim));
	}
}

static void test_rollback_at_every_point(void **state)
{
	(void)state;
	static const struct { op_fn op; const char *name; } ops[] = {
		{ op_map, "map" }, { op_protect, "protect" }, { op_unmap, "unmap" }, { op_hold, "cursor hold" },
	};
	for (int xen = 0; xen < 2; xen++)
		for (int writes = 0; writes < 2; writes++)
			for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
				struct fx *x = fx_new(xen);
				assert_int_equal(ptb_space_map(&x->s, ptb_va(DM + GiB), ptb_pa(GiB), 8 * MiB,
							       PTB_ATTR_WRITE, 0), PTB_OK);
				uint64_t n = fail_each_point(x, ops[i].op, writes);
				if (writes || ops[i].op == op_map || ops[i].op == op_hold)
					assert_true(n > 0);
				print_message("%s, %s: %s failed at each of %llu %s, undone every time\n",
					      xen ? "xen rules" : "native", "sealed", ops[i].name,
					      (unsigned long long)n, writes ? "live writes" : "allocations");
				fx_free(x);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operations_under_xen_rules),
		cmocka_unit_test(test_rollback_at_every_point),
	};
	return cmocka_run_group_tests_name("space: Xen rules and rollback", tests, NULL, NULL);
}
