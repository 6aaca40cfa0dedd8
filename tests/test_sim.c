/* SPDX-License-Identifier: MIT */
/*
 * The simulation backend's Xen PV rules, hooks called directly on tables
 * built by hand: one test per rule, each written so that it fails if the
 * rule's check is removed (each refusal is next to the accepted twin that
 * differs only in what the rule looks at).  Every test runs with plain and
 * with scrambled frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "hookcall.h"

#define P  1ull
#define RW 2ull
#define PS 0x80ull

static int setup(void **state)
{
	static struct hookcall h;
	const bool *scramble = *state;
	struct ptb_sim_config c = { .mem_bytes = 1ull << 30, .xen_rules = true,
				    .scramble_frames = *scramble, .seed = 3 };
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

/* seal: a table whose entries link a table that is not sealed. */
static void test_seal_linking_unsealed_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l2 = table(h, 2), l1 = table(h, 1);
	hc_page(h, l2)[5] = hc_entry(h, l1, P | RW);
	expect_refusal(h, hc_seal(h, l2, 2), "not sealed");
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
}

/* write_live: a table pointer to a table that is not sealed. */
static void test_write_linking_unsealed_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l2 = table(h, 2), l1 = table(h, 1);
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
	expect_refusal(h, hc_write(h, l2, 0, 2, hc_entry(h, l1, P | RW)), "not sealed");
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_write(h, l2, 0, 2, hc_entry(h, l1, P | RW)), PTB_OK);
}

/* A table pointer must point one level down (Xen's page types). */
static void test_link_of_wrong_level_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l3 = table(h, 3), l2 = table(h, 2), l1 = table(h, 1);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
	assert_int_equal(hc_seal(h, l3, 3), PTB_OK);
	expect_refusal(h, hc_write(h, l3, 1, 3, hc_entry(h, l1, P | RW)), "wrong level");
	assert_int_equal(hc_write(h, l3, 1, 3, hc_entry(h, l2, P | RW)), PTB_OK);
}

/* Xen's linear page tables: a same-level link is allowed read-only only. */
static void test_linear_link_read_only(void **state)
{
	struct hookcall *h = *state;
	uint64_t l4 = table(h, 4), other = table(h, 4);
	hc_page(h, l4)[300] = hc_entry(h, l4, P | RW);
	expect_refusal(h, hc_seal(h, l4, 4), "itself writable");
	hc_page(h, l4)[300] = hc_entry(h, l4, P);
	assert_int_equal(hc_seal(h, l4, 4), PTB_OK);
	assert_int_equal(hc_seal(h, other, 4), PTB_OK);
	expect_refusal(h, hc_write(h, other, 301, 4, hc_entry(h, l4, P | RW)), "wrong level");
	assert_int_equal(hc_write(h, other, 301, 4, hc_entry(h, l4, P)), PTB_OK);
	assert_int_equal(hc_retire(h, l4, 4), PTB_E_REFUSED); /* `other` links it */
	assert_int_equal(hc_retire(h, other, 4), PTB_OK);
	assert_int_equal(hc_retire(h, l4, 4), PTB_OK);         /* its self link keeps nothing */
}

/* seal: a page that a sealed L1 maps writable. */
static void test_seal_while_mapped_writable_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t target = table(h, 1), l1 = table(h, 1);
	hc_page(h, l1)[3] = hc_entry(h, target, P | RW); /* target is still ordinary memory */
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	expect_refusal(h, hc_seal(h, target, 1), "mapped writable");
	assert_int_equal(hc_write(h, l1, 3, 1, hc_entry(h, target, P)), PTB_OK);
	assert_int_equal(hc_seal(h, target, 1), PTB_OK);
}

/* Retiring the L1 that holds the writable mapping releases it. */
static void test_retire_drops_writable_mappings(void **state)
{
	struct hookcall *h = *state;
	uint64_t target = table(h, 1), l1 = table(h, 1);
	hc_page(h, l1)[3] = hc_entry(h, target, P | RW);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	expect_refusal(h, hc_seal(h, target, 1), "mapped writable");
	assert_int_equal(hc_retire(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, target, 1), PTB_OK);
}

/* seal and write_live: a leaf that maps a sealed table page writable. */
static void test_writable_mapping_of_table_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t victim = table(h, 1), l1 = table(h, 1), l1b = table(h, 1);
	assert_int_equal(hc_seal(h, victim, 1), PTB_OK);
	hc_page(h, l1)[7] = hc_entry(h, victim, P | RW);
	expect_refusal(h, hc_seal(h, l1, 1), "table page writable");
	hc_page(h, l1)[7] = hc_entry(h, victim, P);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	expect_refusal(h, hc_write(h, l1, 8, 1, hc_entry(h, victim, P | RW)), "table page writable");
	assert_int_equal(hc_write(h, l1, 8, 1, hc_entry(h, victim, P)), PTB_OK);
	/* an L1 mapping itself writable */
	hc_page(h, l1b)[0] = hc_entry(h, l1b, P | RW);
	expect_refusal(h, hc_seal(h, l1b, 1), "table page writable");
}

/* A plain store to a sealed table is found by verify, retire and activate. */
static void test_plain_store_caught(void **state)
{
	struct hookcall *h = *state;
	uint64_t l1 = table(h, 1), l4 = table(h, 4);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, l4, 4), PTB_OK);
	assert_true(ptb_sim_verify_sealed(h->sim));
	hc_page(h, l1)[5] = hc_entry(h, 0x1000, P);     /* what Xen turns into a fault */
	assert_false(ptb_sim_verify_sealed(h->sim));
	expect_refusal(h, hc_activate(h, l4, 4), "plain store");
	expect_refusal(h, hc_retire(h, l1, 1), "plain store");
	hc_page(h, l1)[5] = 0;
	assert_true(ptb_sim_verify_sealed(h->sim));
	/* the same entry written through write_live is no plain store */
	assert_int_equal(hc_write(h, l1, 5, 1, hc_entry(h, 0x1000, P)), PTB_OK);
	assert_true(ptb_sim_verify_sealed(h->sim));
	assert_int_equal(hc_activate(h, l4, 4), PTB_OK);
	assert_int_equal(hc_retire(h, l1, 1), PTB_OK);
}

/* PSE entries, at L2 and at L3, in seal and in write_live. */
static void test_pse_refused(void **state)
{
	struct hookcall *h = *state;
	for (unsigned level = 2; level <= 3; level++) {
		uint64_t big = table(h, level), ok = table(h, level);
		hc_page(h, big)[0] = hc_entry(h, 0, P | RW | PS);
		expect_refusal(h, hc_seal(h, big, level), "PSE");
		assert_int_equal(hc_seal(h, ok, level), PTB_OK);
		expect_refusal(h, hc_write(h, ok, 1, level, hc_entry(h, 0, P | PS)), "PSE");
	}
}

/* L4 slots 256-271 are Xen's: non-zero in a sealed L4, or written at all. */
static void test_xen_slots_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l4 = table(h, 4), l4b = table(h, 4), l3 = table(h, 3);
	assert_int_equal(hc_seal(h, l3, 3), PTB_OK);
	hc_page(h, l4)[260] = hc_entry(h, l3, P | RW);
	expect_refusal(h, hc_seal(h, l4, 4), "256-271");
	hc_page(h, l4)[260] = 0;
	hc_page(h, l4)[272] = hc_entry(h, l3, P | RW);
	assert_int_equal(hc_seal(h, l4, 4), PTB_OK);
	assert_int_equal(hc_seal(h, l4b, 4), PTB_OK);
	expect_refusal(h, hc_write(h, l4b, 256, 4, hc_entry(h, l3, P | RW)), "256-271");
	expect_refusal(h, hc_write(h, l4b, 271, 4, 0), "256-271"); /* even a zero */
	assert_int_equal(hc_write(h, l4b, 255, 4, 0), PTB_OK);
}

/* Non-present entries with address bits (L1TF), in seal and write_live. */
static void test_l1tf_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l1 = table(h, 1), l1b = table(h, 1);
	hc_page(h, l1)[9] = 0x5000; /* not present, but an address */
	expect_refusal(h, hc_seal(h, l1, 1), "L1TF");
	hc_page(h, l1)[9] = 0x5000 | P;
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, l1b, 1), PTB_OK);
	expect_refusal(h, hc_write(h, l1b, 2, 1, 0x7000), "L1TF");
	assert_int_equal(hc_write(h, l1b, 2, 1, 0x7000 | P), PTB_OK);
	assert_int_equal(hc_write(h, l1b, 3, 1, 0), PTB_OK); /* zero is fine */
}

static void test_seal_twice_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l1 = table(h, 1);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	expect_refusal(h, hc_seal(h, l1, 1), "seal of a sealed table");
}

/* retire: a table a sealed parent still links; linking counts follow
 * write_live and the parent's retirement. */
static void test_retire_linked_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l2 = table(h, 2), l1 = table(h, 1), l1b = table(h, 1);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, l1b, 1), PTB_OK);
	hc_page(h, l2)[4] = hc_entry(h, l1, P | RW);
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
	assert_int_equal(hc_write(h, l2, 5, 2, hc_entry(h, l1b, P | RW)), PTB_OK);
	expect_refusal(h, hc_retire(h, l1b, 1), "still linked");
	assert_int_equal(hc_write(h, l2, 5, 2, 0), PTB_OK);  /* unlinked by a live write */
	assert_int_equal(hc_retire(h, l1b, 1), PTB_OK);
	expect_refusal(h, hc_retire(h, l1, 1), "still linked");
	assert_int_equal(hc_retire(h, l2, 2), PTB_OK);        /* parent first ... */
	assert_int_equal(hc_retire(h, l1, 1), PTB_OK);        /* ... then the child */
	expect_refusal(h, hc_retire(h, l1, 1), "not sealed"); /* not sealed any more */
}

static void test_activate_refusals(void **state)
{
	struct hookcall *h = *state;
	uint64_t l4 = table(h, 4), l3 = table(h, 3);
	expect_refusal(h, hc_activate(h, l4, 4), "not sealed");
	assert_int_equal(hc_seal(h, l4, 4), PTB_OK);
	assert_int_equal(hc_seal(h, l3, 3), PTB_OK);
	expect_refusal(h, hc_activate(h, l3, 3), "not an L4");
	assert_int_equal(hc_activate(h, l4, 4), PTB_OK);
	assert_int_equal(ptb_sim_active_root(h->sim).raw, l4);
	expect_refusal(h, hc_retire(h, l4, 4), "active root");
}

/* write_live stops at the first bad item and says how far it got. */
static void test_write_live_stops_at_first_bad_item(void **state)
{
	struct hookcall *h = *state;
	uint64_t l1 = table(h, 1), victim = table(h, 1);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, victim, 1), PTB_OK);
	struct ptb_live_write w[3] = {
		{ ptb_pa(l1 + 8 * 0), hc_entry(h, 0x3000, P | RW), 1 },
		{ ptb_pa(l1 + 8 * 1), hc_entry(h, victim, P | RW), 1 }, /* a table, writable */
		{ ptb_pa(l1 + 8 * 2), hc_entry(h, 0x4000, P), 1 },
	};
	size_t done = 99;
	assert_int_equal(h->be.ops->write_live(h->be.ctx, w, 3, &done), PTB_E_REFUSED);
	assert_int_equal(done, 1);
	assert_int_equal(hc_page(h, l1)[0], w[0].val);
	assert_int_equal(hc_page(h, l1)[1], 0);
	assert_int_equal(hc_page(h, l1)[2], 0);
	assert_true(ptb_sim_verify_sealed(h->sim));
}

/* A refused seal in a batch: [0, done) sealed, the rest still NEW. */
static void test_seal_batch_partial(void **state)
{
	struct hookcall *h = *state;
	uint64_t a = table(h, 1), b = table(h, 1), c = table(h, 1);
	hc_page(h, b)[0] = 0x9000; /* L1TF */
	struct ptb_table_ref r[3] = { { ptb_pa(a), 1 }, { ptb_pa(b), 1 }, { ptb_pa(c), 1 } };
	size_t done = 99;
	assert_int_equal(h->be.ops->seal(h->be.ctx, r, 3, &done), PTB_E_REFUSED);
	assert_int_equal(done, 1);
	assert_true(ptb_sim_is_sealed(h->sim, ptb_pa(a)));
	assert_false(ptb_sim_is_sealed(h->sim, ptb_pa(b)));
	assert_false(ptb_sim_is_sealed(h->sim, ptb_pa(c)));
	assert_int_equal(hc_stats(h)->rw_to_ro, 1);
}

/* write_live into a table of another level than the one it was sealed as. */
static void test_write_live_level_mismatch_refused(void **state)
{
	struct hookcall *h = *state;
	uint64_t l2 = table(h, 2), l1 = table(h, 1);
	assert_int_equal(hc_seal(h, l1, 1), PTB_OK);
	assert_int_equal(hc_seal(h, l2, 2), PTB_OK);
	expect_refusal(h, hc_write(h, l2, 0, 1, hc_entry(h, 0x2000, P)), "level");
	assert_int_equal(hc_write(h, l2, 0, 2, hc_entry(h, l1, P)), PTB_OK);
}

/* seal makes the window alias in the active tree read-only, retire undoes
 * it, a refused seal leaves it as it was; flips are counted per item. */
static void test_alias_flips(void **state)
{
	struct hookcall *h = *state;
	uint64_t l4 = table(h, 4), l3 = table(h, 3), l2 = table(h, 2), l1 = table(h, 1), victim = table(h, 1);
	const uint64_t base = 0xffff888000000000ull; /* slot 273 maps pa 0 .. 1G */
	uint64_t *alias = &hc_page(h, l1)[(victim >> 12) & 511];
	*alias = hc_entry(h, victim, P | RW);
	hc_page(h, l2)[(victim >> 21) & 511] = hc_entry(h, l1, P | RW);
	hc_page(h, l3)[(victim >> 30) & 511] = hc_entry(h, l2, P | RW);
	hc_page(h, l4)[273] = hc_entry(h, l3, P | RW);
	struct ptb_table_ref tree[4] = { { ptb_pa(l1), 1 }, { ptb_pa(l2), 2 }, { ptb_pa(l3), 3 }, { ptb_pa(l4), 4 } };
	size_t done;
	assert_int_equal(h->be.ops->seal(h->be.ctx, tree, 4, &done), PTB_OK);
	assert_int_equal(hc_stats(h)->rw_to_ro, 4);
	assert_int_equal(hc_activate(h, l4, 4), PTB_OK);
	struct ptb_sim_window w = { base, 0, 1ull << 30 };
	expect_refusal(h, hc_seal(h, victim, 1), "mapped writable"); /* no window: still writable */
	ptb_sim_set_windows(h->sim, &w, 1);
	hc_page(h, victim)[1] = 0x1234; /* L1TF: refused after the flip, which is undone */
	expect_refusal(h, hc_seal(h, victim, 1), "L1TF");
	assert_true(*alias & RW);
	hc_page(h, victim)[1] = 0;
	assert_int_equal(hc_seal(h, victim, 1), PTB_OK);
	assert_int_equal(hc_stats(h)->rw_to_ro, 5);
	assert_false(*alias & RW);
	assert_true(ptb_sim_verify_sealed(h->sim)); /* the flip went through the hash */
	assert_int_equal(hc_retire(h, victim, 1), PTB_OK);
	assert_int_equal(hc_stats(h)->ro_to_rw, 1);
	assert_true(*alias & RW);
	assert_true(ptb_sim_verify_sealed(h->sim));
}

/* Tables built by someone else (the domain builder), adopted sealed: their
 * links count, so a child cannot be retired under its adopted parent. */
static void test_adopted_tree_links_count(void **state)
{
	struct hookcall *h = *state;
	const uint64_t l2 = 0x10000, l1 = 0x11000;
	uint64_t before = hc_stats(h)->pages_allocated;
	hc_page(h, l2)[0] = hc_entry(h, l1, P | RW);
	hc_page(h, l1)[0] = hc_entry(h, 0x20000, P | RW);
	ptb_sim_adopt_table(h->sim, ptb_pa(l1), 1, true);
	ptb_sim_adopt_table(h->sim, ptb_pa(l2), 2, true);
	assert_int_equal(hc_stats(h)->pages_allocated, before + 2);
	assert_true(ptb_sim_is_sealed(h->sim, ptb_pa(l2)));
	expect_refusal(h, hc_retire(h, l1, 1), "still linked");
	expect_refusal(h, hc_seal(h, 0x20000, 1), "mapped writable");
	assert_int_equal(hc_retire(h, l2, 2), PTB_OK);
	assert_int_equal(hc_retire(h, l1, 1), PTB_OK);
	assert_true(ptb_sim_verify_sealed(h->sim));
}

#define BOTH(f) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&plain), \
		cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&scrambled)

int main(void)
{
	static const bool plain = false, scrambled = true;
	const struct CMUnitTest tests[] = {
		BOTH(test_seal_linking_unsealed_refused),
		BOTH(test_write_linking_unsealed_refused),
		BOTH(test_link_of_wrong_level_refused),
		BOTH(test_linear_link_read_only),
		BOTH(test_seal_while_mapped_writable_refused),
		BOTH(test_retire_drops_writable_mappings),
		BOTH(test_writable_mapping_of_table_refused),
		BOTH(test_plain_store_caught),
		BOTH(test_pse_refused),
		BOTH(test_xen_slots_refused),
		BOTH(test_l1tf_refused),
		BOTH(test_seal_twice_refused),
		BOTH(test_retire_linked_refused),
		BOTH(test_activate_refusals),
		BOTH(test_write_live_stops_at_first_bad_item),
		BOTH(test_seal_batch_partial),
		BOTH(test_write_live_level_mismatch_refused),
		BOTH(test_alias_flips),
		BOTH(test_adopted_tree_links_count),
	};
	return cmocka_run_group_tests_name("sim: Xen rules", tests, NULL, NULL);
}
