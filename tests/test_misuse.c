/* SPDX-License-Identifier: MIT */
/*
 * The misuse policy of space.h: NULL pointers, unknown flag bits and a
 * destroyed space are PTB_E_INVAL for every public function, before anything
 * is allocated or written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/check.h>
#include <ptboot/cursor.h>
#include <ptboot/space.h>
#include "ptb_sim.h"

#define GiB (1ull << 30)

static struct ptb_space_config config(struct ptb_sim *sim)
{
	return (struct ptb_space_config){ .format = &ptb_format_x86_64_4level,
					  .backend = ptb_sim_backend(sim), .max_leaf_level = 3,
					  .flags = PTB_SPACE_NX };
}

static bool any_range(void *arg, const struct ptb_range *r)
{
	(void)arg, (void)r;
	return true;
}

static bool any_table(void *arg, const struct ptb_table_ref *t)
{
	(void)t;
	++*(unsigned *)arg;
	return true;
}

/* Every public function on s answers PTB_E_INVAL and touches nothing. */
static void expect_refused_everywhere(struct ptb_space *s, struct ptb_space *good, struct ptb_sim *sim)
{
	uint64_t pages = ptb_sim_stats(sim)->pages_allocated;
	struct ptb_mapping m;
	struct ptb_cursor c;
	ptb_pa_t scratch[8];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 3, .scratch = scratch,
					.scratch_len = 8 };
	struct ptb_check_report rep;
	uint64_t e;
	assert_int_equal(ptb_space_map(s, ptb_va(0), ptb_pa(0), 4096, 0, 0), PTB_E_INVAL);
	assert_int_equal(ptb_space_unmap(s, ptb_va(0), 4096), PTB_E_INVAL);
	assert_int_equal(ptb_space_protect(s, ptb_va(0), 4096, 0), PTB_E_INVAL);
	assert_int_equal(ptb_space_query(s, ptb_va(0), &m), PTB_E_INVAL);
	assert_int_equal(ptb_space_ranges(s, any_range, NULL), PTB_E_INVAL);
	assert_int_equal(ptb_space_seal(s), PTB_E_INVAL);
	assert_int_equal(ptb_space_activate(s), PTB_E_INVAL);
	assert_int_equal(ptb_space_share(s, good, ptb_va(0), 512 * GiB), PTB_E_INVAL);
	assert_int_equal(ptb_space_share(good, s, ptb_va(0), 512 * GiB), PTB_E_INVAL);
	assert_int_equal(ptb_space_check(s, &pol, &rep), PTB_E_INVAL);
	assert_int_equal(ptb_cursor_inspect(&c, s, ptb_va(0), &e), PTB_E_INVAL);
	assert_int_equal(ptb_cursor_hold(&c, s, ptb_va(0), 1), PTB_E_INVAL);
	assert_int_equal(ptb_cursor_release(&c, s, ptb_va(0)), PTB_E_INVAL);
	struct ptb_table_count tc = { { 7 } };
	ptb_space_count_tables(s, &tc);
	assert_int_equal(tc.by_level[0], 0);
	unsigned n = 0;
	ptb_space_for_each_table(s, true, any_table, &n);
	assert_int_equal(n, 0);
	assert_int_equal(ptb_space_destroy(s), PTB_E_INVAL);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, pages);
}

static void test_destroyed_and_null_spaces(void **state)
{
	(void)state;
	struct ptb_sim_config sc = { .mem_bytes = GiB };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	struct ptb_space_config cfg = config(sim);
	struct ptb_space s, good;
	assert_int_equal(ptb_space_create(&good, &cfg), PTB_OK);
	assert_int_equal(ptb_space_map(&good, ptb_va(0), ptb_pa(0), 4096, 0, 0), PTB_OK);
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_OK);
	assert_int_equal(ptb_space_map(&s, ptb_va(GiB), ptb_pa(0), 4096, 0, 0), PTB_OK);
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	expect_refused_everywhere(&s, &good, sim);
	expect_refused_everywhere(NULL, &good, sim);
	memset(&s, 0, sizeof(s));
	expect_refused_everywhere(&s, &good, sim);
	/* NULL out and callback arguments on a good space */
	ptb_pa_t scratch[8];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 3, .scratch = scratch,
					.scratch_len = 8 };
	struct ptb_check_report rep;
	assert_int_equal(ptb_space_query(&good, ptb_va(0), NULL), PTB_E_INVAL);
	assert_int_equal(ptb_space_ranges(&good, NULL, NULL), PTB_E_INVAL);
	assert_int_equal(ptb_space_check(&good, NULL, &rep), PTB_E_INVAL);
	assert_int_equal(ptb_space_check(&good, &pol, NULL), PTB_E_INVAL);
	pol.rules = 1u << 20;
	assert_int_equal(ptb_space_check(&good, &pol, &rep), PTB_E_INVAL);
	assert_int_equal(ptb_cursor_inspect(NULL, &good, ptb_va(0), NULL), PTB_E_INVAL);
	assert_int_equal(ptb_space_destroy(&good), PTB_OK);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, 0);
	ptb_sim_delete(sim);
}

static void test_bad_create_takes_nothing(void **state)
{
	(void)state;
	struct ptb_sim_config sc = { .mem_bytes = GiB };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	struct ptb_space_config cfg = config(sim);
	struct ptb_space s;
	assert_int_equal(ptb_space_create(NULL, &cfg), PTB_E_INVAL);
	assert_int_equal(ptb_space_create(&s, NULL), PTB_E_INVAL);
	assert_int_equal(ptb_space_adopt(NULL, &cfg, ptb_pa(4096), false), PTB_E_INVAL);
	cfg.flags |= 1u << 9;
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_E_INVAL);
	cfg = config(sim);
	cfg.flags |= PTB_SPACE_INSPECT;
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_E_INVAL);
	cfg = config(sim);
	struct ptb_backend_ops partial = *cfg.backend.ops;
	partial.flush = NULL;
	cfg.backend.ops = &partial;
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_E_INVAL);
	assert_int_equal(ptb_sim_stats(sim)->calls[PTB_SIM_ALLOC], 0);
	assert_int_equal(ptb_sim_stats(sim)->pages_allocated, 0);
	ptb_sim_delete(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destroyed_and_null_spaces),
		cmocka_unit_test(test_bad_create_takes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
