/* SPDX-License-Identifier: MIT */
/*
 * Platform refusals, item by item: a wrapper backend refuses the k-th item
 * of seal, retire or write_live (tests/support/refuse.h) over the sim, under
 * the contract checker, on every format and under Xen's rules.  After each
 * refusal the space must be as before (the reference walker's hash, every
 * table's state in the sim, no page taken) and usable: the same operation
 * succeeds when retried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/space.h>
#include "ptb_checked.h"
#include "ptb_sim.h"
#include "refuse.h"
#include "refwalk.h"

#define GiB (1ull << 30)

struct variant {
	const struct ptb_format *f;
	int rwf;
	bool xen;
};

static const struct variant variants[] = {
	{ &ptb_format_x86_64_4level, RW_4LEVEL, false },
	{ &ptb_format_x86_64_5level, RW_5LEVEL, false },
	{ &ptb_format_pae, RW_PAE, false },
	{ &ptb_format_test, RW_TEST, false },
	{ &ptb_format_x86_64_4level, RW_4LEVEL, true },
};

struct fx {
	const struct variant *v;
	struct ptb_sim *sim;
	struct refuser ref;
	struct ptb_checked chk;
	struct ptb_checked_slot slots[1 << 10];
	struct ptb_space s;
	struct rw_tree tree;
};

static void violation(void *arg, const char *what)
{
	(void)arg;
	fail_msg("hook contract violated: %s", what);
}

static struct fx *fx_new(const struct variant *v)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ptb_sim_config sc = { .mem_bytes = 1 * GiB, .xen_rules = v->xen,
				     .scramble_frames = v->xen, .seed = 9 };
	x->v = v;
	x->sim = ptb_sim_new(&sc);
	assert_non_null(x->sim);
	ptb_checked_init(&x->chk, refuse_wrap(&x->ref, ptb_sim_backend(x->sim)), v->f, x->slots, 1 << 10);
	x->chk.on_violation = violation;
	struct ptb_space_config cfg = { .format = v->f, .backend = ptb_checked_backend(&x->chk),
					.max_leaf_level = 1, .flags = PTB_SPACE_NX,
					.reserved_first = v->xen ? 256 : 0, .reserved_count = v->xen ? 16 : 0 };
	assert_int_equal(ptb_space_create(&x->s, &cfg), PTB_OK);
	x->tree = (struct rw_tree){ x->sim, v->rwf, x->s.root.raw, v->xen ? 256 : 0, v->xen ? 16 : 0 };
	return x;
}

static void fx_free(struct fx *x)
{
	assert_int_equal(x->chk.violations, 0);
	assert_int_equal(ptb_space_destroy(&x->s), PTB_OK);
	assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, 0);
	assert_int_equal(x->chk.violations, 0);
	ptb_sim_delete(x->sim);
	free(x);
}

/* The va of root slot i, page `page` inside it. */
static uint64_t slot_va(const struct fx *x, unsigned i, uint64_t page)
{
	const struct ptb_format *f = x->v->f;
	return ((uint64_t)i << f->shift[f->levels]) + (page << 12);
}

/* 4K pages in two root slots, in two L1 tables each: 7 tables on 4-level. */
static void populate(struct fx *x)
{
	for (unsigned slot = 0; slot < 2; slot++) {
		for (uint64_t p = 0; p < 1024; p += 600) {
			uint64_t va = slot_va(x, slot, p);
			assert_int_equal(ptb_space_map(&x->s, ptb_va(va), ptb_pa(va & (GiB - 1)), 8192,
						       PTB_ATTR_WRITE, 0), PTB_OK);
		}
	}
}

struct state_check {
	struct ptb_sim *sim;
	bool sealed;
	unsigned bad;
};

static void table_state(void *arg, uint64_t pa, unsigned level)
{
	struct state_check *c = arg;
	(void)level;
	if (ptb_sim_is_sealed(c->sim, ptb_pa(pa)) != c->sealed)
		c->bad++;
}

static void no_leaf(void *arg, const struct rw_leaf *l)
{
	(void)arg;
	(void)l;
}

/* Every table of the tree is sealed (or not), as the sim sees it. */
static void expect_all(struct fx *x, bool sealed)
{
	struct state_check c = { x->sim, sealed, 0 };
	assert_int_equal(refwalk_all(&x->tree, no_leaf, table_state, &c), 0);
	assert_int_equal(c.bad, 0);
}

/* Seal refused at its k-th item, for every k: nothing stays sealed, and
 * sealing again works.  (The undo used to retire children before their
 * parents, which the retire contract forbids: tables stayed SEALED.) */
static void test_seal_refused_at_every_item(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct fx *x = fx_new(&variants[v]);
		populate(x);
		uint64_t n = refwalk_count_tables(&x->tree);
		assert_true(n >= 5);
		fx_free(x);
		for (uint64_t k = 1; k <= n; k++) {
			x = fx_new(&variants[v]);
			populate(x);
			uint64_t hash = refwalk_hash(&x->tree), pages = ptb_sim_stats(x->sim)->pages_allocated;
			refuse_at(&x->ref, REFUSE_SEAL, k);
			assert_int_equal(ptb_space_seal(&x->s), PTB_E_REFUSED);
			assert_int_equal(x->ref.refused[REFUSE_SEAL], 1);
			assert_false(x->s.sealed);
			expect_all(x, false);
			assert_int_equal(refwalk_hash(&x->tree), hash);
			assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, pages);
			assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
			expect_all(x, true);
			assert_int_equal(refwalk_hash(&x->tree), hash);
			fx_free(x);
		}
	}
}

/* Destroy's retire refused at its k-th item, for every k: what it retired
 * is sealed again, the space is as before, and destroy works when retried
 * (fx_free). */
static void test_destroy_retire_refused_at_every_item(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct fx *x = fx_new(&variants[v]);
		populate(x);
		uint64_t n = refwalk_count_tables(&x->tree);
		fx_free(x);
		for (uint64_t k = 1; k <= n; k++) {
			x = fx_new(&variants[v]);
			populate(x);
			assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
			uint64_t hash = refwalk_hash(&x->tree), pages = ptb_sim_stats(x->sim)->pages_allocated;
			refuse_at(&x->ref, REFUSE_RETIRE, k);
			assert_int_equal(ptb_space_destroy(&x->s), PTB_E_REFUSED);
			assert_int_equal(x->ref.refused[REFUSE_RETIRE], 1);
			assert_true(x->s.sealed);
			expect_all(x, true);
			assert_int_equal(refwalk_hash(&x->tree), hash);
			assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, pages);
			fx_free(x);
		}
	}
}

/* An unmap that detaches a root slot's tables, their retire refused at the
 * k-th item for every k: the tables are linked and sealed again, the space
 * is as before, and the unmap works when retried. */
static void test_unmap_retire_refused_at_every_item(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		const uint64_t slot_len = 1ull << variants[v].f->shift[variants[v].f->levels];
		const uint64_t detached = variants[v].f->levels - 1u + 1u; /* L3 (or PAE L2) .. two L1s */
		for (uint64_t k = 1; k <= detached; k++) {
			struct fx *x = fx_new(&variants[v]);
			populate(x);
			assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
			uint64_t tables = refwalk_count_tables(&x->tree);
			uint64_t hash = refwalk_hash(&x->tree), pages = ptb_sim_stats(x->sim)->pages_allocated;
			refuse_at(&x->ref, REFUSE_RETIRE, k);
			assert_int_equal(ptb_space_unmap(&x->s, ptb_va(slot_va(x, 1, 0)), slot_len), PTB_E_REFUSED);
			assert_int_equal(x->ref.refused[REFUSE_RETIRE], 1);
			expect_all(x, true);
			assert_int_equal(refwalk_hash(&x->tree), hash);
			assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, pages);
			assert_int_equal(ptb_space_unmap(&x->s, ptb_va(slot_va(x, 1, 0)), slot_len), PTB_OK);
			assert_int_equal(refwalk_count_tables(&x->tree), tables - detached);
			assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, pages - detached);
			fx_free(x);
		}
	}
}

/* Pages the sim holds SEALED, over its whole memory. */
static uint64_t sealed_pages(const struct fx *x)
{
	uint64_t n = 0;
	for (uint64_t pa = 0; pa < 1 * GiB; pa += 4096)
		n += ptb_sim_is_sealed(x->sim, ptb_pa(pa));
	return n;
}

/* A live write refused, and then the undo's retire of the new tables
 * refused at its k-th item: the writes are undone, the tables the platform
 * would not retire (the refused one and the older ones) stay SEALED and are
 * never freed (the contract checker fails any free of a SEALED page); the
 * rest is given back. */
static void test_undo_retire_refused(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		const unsigned fresh = variants[v].f->levels - 1u; /* a new slot: L3 .. L1 */
		for (unsigned k = 1; k <= fresh; k++) {
			struct fx *x = fx_new(&variants[v]);
			populate(x);
			assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
			uint64_t hash = refwalk_hash(&x->tree), pages = ptb_sim_stats(x->sim)->pages_allocated;
			uint64_t sealed0 = sealed_pages(x);
			refuse_at(&x->ref, REFUSE_WRITE, 1); /* the link into the root */
			refuse_at(&x->ref, REFUSE_RETIRE, k);
			assert_int_equal(ptb_space_map(&x->s, ptb_va(slot_va(x, 2, 0)), ptb_pa(0), 4096,
						       PTB_ATTR_WRITE, 0), PTB_E_REFUSED);
			assert_int_equal(x->ref.refused[REFUSE_RETIRE], 1);
			assert_int_equal(refwalk_hash(&x->tree), hash);
			assert_int_equal(x->chk.violations, 0);
			/* newest first: k-1 retired and freed, the rest kept, and
			 * exactly the kept ones still SEALED in the platform */
			assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, pages + (fresh - (k - 1)));
			assert_int_equal(sealed_pages(x), sealed0 + (fresh - (k - 1)));
			assert_int_equal(ptb_space_destroy(&x->s), PTB_OK);
			assert_int_equal(x->chk.violations, 0);
			assert_int_equal(ptb_sim_stats(x->sim)->pages_allocated, fresh - (k - 1));
			ptb_sim_delete(x->sim);
			free(x);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_refused_at_every_item),
		cmocka_unit_test(test_destroy_retire_refused_at_every_item),
		cmocka_unit_test(test_unmap_retire_refused_at_every_item),
		cmocka_unit_test(test_undo_retire_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
