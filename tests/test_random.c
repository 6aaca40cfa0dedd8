/* SPDX-License-Identifier: MIT */
/*
 * The seeded random differential test: random map / unmap / protect / query
 * / cursor operations with injected allocation failures and platform
 * refusals, on every format and both platform modes, checked after every
 * operation against a flat model through the independent reference walker.
 * On sealed (active) configs the sim's CPU reads the checked pages before and
 * after each operation: its TLB must never give a translation the tables no
 * longer hold (a missing, short or early flush).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <ptboot/check.h>
#include <ptboot/cursor.h>
#include "model.h"
#include "ptb_checked.h"
#include "ptb_sim.h"
#include "query2.h"
#include "tlbcheck.h"

#define OPS_PER_CONFIG 20000
#define WINDOW_PAGES 16384ull          /* 64 MiB of va, crossing a 1 GiB line */
#define GiB (1ull << 30)
#define CHECKED_PAGES 24

struct config {
	const char *name;
	const struct ptb_format *format;
	int rw_format;
	bool sealed, xen;
	unsigned max_leaf;
	uint64_t base;                  /* va of the window */
};

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void on_violation(void *arg, const char *what)
{
	(void)arg;
	fail_msg("hook contract violated: %s", what);
}

struct env {
	struct ptb_sim *sim;
	struct ptb_checked chk;
	struct ptb_checked_slot slots[1 << 15];
	struct ptb_space s;
	struct model m;
	struct rw_tree tree;
	const struct config *c;
	uint64_t ops, refused, nomem;
	uint64_t queries, fast_queries;
};

static ptb_attr_t random_attr(void)
{
	ptb_attr_t a = (rnd() & 1 ? PTB_ATTR_WRITE : 0) | (rnd() & 1 ? PTB_ATTR_EXEC : 0);
	if (rnd() % 4 == 0)
		a |= ptb_attr_cache((enum ptb_cache)(rnd() % PTB_CACHE_COUNT_));
	if (rnd() % 8 == 0)
		a |= PTB_ATTR_GLOBAL;
	if (rnd() % 8 == 0)
		a |= PTB_ATTR_USER;
	return a;
}

/* The pages to check around an operation on [p0, p0 + n): its edges, a
 * few pages inside and a few anywhere. */
static void pick_pages(uint64_t p0, uint64_t n, uint64_t q[CHECKED_PAGES])
{
	for (int k = 0; k < CHECKED_PAGES; k++)
		q[k] = k == 0 ? p0 : k == 1 ? p0 + n - 1 : k == 2 ? (p0 + n) % WINDOW_PAGES :
		       k == 3 ? (p0 + WINDOW_PAGES - 1) % WINDOW_PAGES : k < 8 ? p0 + rnd() % n :
		       rnd() % WINDOW_PAGES;
}

/* The CPU reads the pages (filling its TLB) and must agree with the tables. */
static void cpu_check(struct env *e, const uint64_t q[CHECKED_PAGES], const char *when)
{
	if (!e->c->sealed)
		return; /* never activated: no CPU walks it */
	for (int k = 0; k < CHECKED_PAGES; k++) {
		uint64_t va = e->c->base + q[k] * 4096;
		const char *err = tlbcheck_page(e->sim, 0, &e->tree, va);
		if (err)
			fail_msg("%s at va %#llx %s op %llu", err, (unsigned long long)va, when,
				 (unsigned long long)e->ops);
	}
}

/* Check the pages an operation touched, its edges and a few others. */
static void spot_check(struct env *e, const uint64_t q[CHECKED_PAGES])
{
	for (int k = 0; k < CHECKED_PAGES; k++) {
		uint64_t va = e->c->base + q[k] * 4096;
		struct rw_leaf l;
		int r = refwalk_translate(&e->tree, va, &l);
		const struct model_slot *ms = model_get(&e->m, va);
		struct query2 q2 = { 0 };
		const char *why = query2(&e->s, &e->chk, ptb_va(va + 5), &q2);
		if (why)
			fail_msg("%s at va %#llx, op %llu", why, (unsigned long long)va, (unsigned long long)e->ops);
		e->queries += q2.queries, e->fast_queries += q2.fast;
		struct ptb_mapping mp = q2.m;
		ptb_err_t qe = q2.err;
		if (ms) {
			assert_int_equal(r, 0);
			assert_int_equal(l.pa + (va - l.va), ms->pa);
			assert_int_equal(model_attr_of(&e->m, &l), ms->attr);
			assert_int_equal(qe, PTB_OK);
			assert_int_equal(mp.pa.raw, ms->pa + 5);
			assert_int_equal(mp.attr, ms->attr);
		} else {
			assert_int_equal(r, 1);
			assert_int_equal(qe, PTB_E_NOTMAPPED);
		}
	}
}

static void full_check(struct env *e)
{
	uint64_t where = 0;
	const char *err = model_compare(&e->m, &e->tree, &where);
	if (err)
		fail_msg("%s at va %#llx after %llu ops", err, (unsigned long long)where,
			 (unsigned long long)e->ops);
	assert_int_equal(ptb_sim_stats(e->sim)->pages_allocated, refwalk_count_tables(&e->tree));
	if (e->c->xen)
		assert_true(ptb_sim_verify_sealed(e->sim));
}

static uint64_t random_pa(const struct env *e, uint64_t va, uint64_t len)
{
	uint64_t pa;
	if (rnd() % 3 == 0)
		pa = (va - e->c->base) + (rnd() % 4) * GiB; /* same alignment as va */
	else
		pa = (rnd() % (5 * GiB)) & ~4095ull;
	if (rnd() % 2)
		pa = (pa & ~((2ull << 20) - 1)) | (va & ((2ull << 20) - 1));
	if (pa + len > 5 * GiB)
		pa = (5 * GiB - len) & ~((2ull << 20) - 1);
	return pa;
}

/* One random operation, and the model's view of its outcome. */
static void one_op(struct env *e)
{
	uint64_t p0 = rnd() % WINDOW_PAGES, n;
	switch (rnd() % 4) {
	case 0: n = 1 + rnd() % 4; break;
	case 1: n = 1 + rnd() % 1024; break;
	case 2: n = 512 * (1 + rnd() % 8); break;
	default: n = 1 + rnd() % WINDOW_PAGES; break;
	}
	if (rnd() % 3 == 0) {
		p0 &= ~511ull;
		if (n >= 512)
			n &= ~511ull;
	}
	if (n > WINDOW_PAGES - p0)
		n = WINDOW_PAGES - p0;
	uint64_t va = e->c->base + p0 * 4096, len = n * 4096, q[CHECKED_PAGES];
	pick_pages(p0, n, q);
	cpu_check(e, q, "before");
	ptb_attr_t attr = random_attr();
	bool inject = rnd() % 6 == 0;
	uint64_t hash0 = refwalk_hash(&e->tree), pages0 = ptb_sim_stats(e->sim)->pages_allocated;
	if (inject) {
		if (e->c->sealed && rnd() % 2)
			ptb_sim_fail_write_at(e->sim, 1 + rnd() % 16);
		else
			ptb_sim_fail_alloc_at(e->sim, 1 + rnd() % 6);
	}
	unsigned op = (unsigned)(rnd() % 12);
	ptb_err_t err;
	if (op < 5) {
		unsigned flags = rnd() % 3 == 0 ? PTB_MAP_KEEP : 0;
		uint64_t pa = random_pa(e, va, len);
		bool conflict = model_any(&e->m, va, len);
		err = ptb_space_map(&e->s, ptb_va(va), ptb_pa(pa), len, attr, flags);
		if (!err) {
			assert_false(conflict && !(flags & PTB_MAP_KEEP));
			model_map(&e->m, va, pa, len, attr);
		} else if (err == PTB_E_CONFLICT) {
			assert_true(conflict);
		}
	} else if (op < 8) {
		err = ptb_space_unmap(&e->s, ptb_va(va), len);
		if (!err)
			model_unmap(&e->m, va, len);
	} else if (op < 10) {
		err = ptb_space_protect(&e->s, ptb_va(va), len, attr);
		if (!err)
			model_protect(&e->m, va, len, attr);
	} else {
		struct ptb_cursor cur;
		unsigned level = 1 + (unsigned)(rnd() % 2);
		err = op == 10 ? ptb_cursor_hold(&cur, &e->s, ptb_va(va), level)
			       : ptb_cursor_release(&cur, &e->s, ptb_va(va));
		if (err == PTB_E_CONFLICT) /* a large leaf is in the way of hold */
			assert_int_equal(op, 10);
		if (!err && op == 10)
			assert_true(cur.level <= level);
	}
	ptb_sim_fail_alloc_at(e->sim, 0);
	ptb_sim_fail_write_at(e->sim, 0);
	if (err && err != PTB_E_CONFLICT) {
		/* only what was injected may fail, and then nothing changed */
		assert_true(inject);
		assert_true(err == PTB_E_NOMEM || err == PTB_E_REFUSED);
		e->nomem += err == PTB_E_NOMEM;
		e->refused += err == PTB_E_REFUSED;
	}
	if (err) {
		assert_int_equal(refwalk_hash(&e->tree), hash0);
		assert_int_equal(ptb_sim_stats(e->sim)->pages_allocated, pages0);
	}
	e->ops++;
	spot_check(e, q);
	cpu_check(e, q, "after");
}

static void run_config(const struct config *c, uint64_t seed)
{
	struct env *e = calloc(1, sizeof(*e));
	struct ptb_sim_config sc = { .mem_bytes = 8 * GiB, .xen_rules = c->xen, .scramble_frames = c->xen,
				     .seed = seed, .rotated_entries = c->rw_format == RW_TEST };
	e->c = c;
	e->sim = ptb_sim_new(&sc);
	assert_non_null(e->sim);
	ptb_sim_set_pool(e->sim, ptb_pa(6 * GiB), ptb_pa(8 * GiB)); /* above every mapped pa */
	ptb_checked_init(&e->chk, ptb_sim_backend(e->sim), c->format, e->slots, 1 << 15);
	e->chk.on_violation = on_violation;
	struct ptb_space_config cfg = { .format = c->format, .backend = ptb_checked_backend(&e->chk),
					.max_leaf_level = c->max_leaf, .flags = PTB_SPACE_NX,
					.reserved_first = c->xen ? 256 : 0, .reserved_count = c->xen ? 16 : 0 };
	assert_int_equal(ptb_space_create(&e->s, &cfg), PTB_OK);
	if (c->sealed) {
		assert_int_equal(ptb_space_seal(&e->s), PTB_OK);
		assert_int_equal(ptb_space_activate(&e->s), PTB_OK);
	}
	model_init(&e->m, ptb_pat_linux.type, true);
	e->tree = (struct rw_tree){ e->sim, c->rw_format, e->s.root.raw, c->xen ? 256 : 0, c->xen ? 16 : 0 };
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	for (int i = 0; i < OPS_PER_CONFIG; i++) {
		one_op(e);
		if (i % 2000 == 1999)
			full_check(e);
	}
	full_check(e);
	assert_int_equal(e->chk.violations, 0);
	/* x86 entries, frames that are pfns: every window query took the fast path */
	bool window = c->rw_format != RW_TEST && !c->xen;
	assert_int_equal(e->fast_queries, window ? e->queries : 0);
	print_message("%s: %llu ops, %llu out-of-memory and %llu refusals injected and undone, "
		      "%llu queries both ways (%llu by the window)\n", c->name,
		      (unsigned long long)e->ops, (unsigned long long)e->nomem,
		      (unsigned long long)e->refused, (unsigned long long)e->queries,
		      (unsigned long long)e->fast_queries);
	/* Unmap everything: only the root remains; then nothing leaks. */
	assert_int_equal(ptb_space_unmap(&e->s, ptb_va(c->base), WINDOW_PAGES * 4096), PTB_OK);
	assert_int_equal(refwalk_count_tables(&e->tree), 1);
	assert_int_equal(ptb_sim_stats(e->sim)->pages_allocated, 1);
	if (!c->sealed) { /* an active root is not destroyed */
		assert_int_equal(ptb_space_destroy(&e->s), PTB_OK);
		assert_int_equal(ptb_sim_stats(e->sim)->pages_allocated, 0);
	}
	model_free(&e->m);
	ptb_sim_delete(e->sim);
	free(e);
}

static const struct config configs[] = {
	{ "4-level unsealed, 1G pages", &ptb_format_x86_64_4level, RW_4LEVEL, false, false, 3, 0xffff888040000000ull - (32ull << 20) },
	{ "4-level sealed+active, lower half", &ptb_format_x86_64_4level, RW_4LEVEL, true, false, 3, 0x00007fffc0000000ull - (32ull << 20) },
	{ "5-level sealed", &ptb_format_x86_64_5level, RW_5LEVEL, true, false, 3, 0xff11000040000000ull - (32ull << 20) },
	{ "PAE unsealed", &ptb_format_pae, RW_PAE, false, false, 2, 0x40000000ull - (32ull << 20) },
	{ "test format (rotated) sealed", &ptb_format_test, RW_TEST, true, false, 3, 0xffff888040000000ull - (32ull << 20) },
	{ "xen rules, scrambled frames", &ptb_format_x86_64_4level, RW_4LEVEL, true, true, 1, 0xffff888040000000ull - (32ull << 20) },
};

static void test_config(void **state)
{
	const struct config *c = *state;
	run_config(c, (uint64_t)(c - configs) + 1);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(configs) / sizeof(configs[0])];
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		tests[i] = (struct CMUnitTest){ configs[i].name, test_config, NULL, NULL,
						(void *)&configs[i] };
	return cmocka_run_group_tests_name("random differential", tests, NULL, NULL);
}
