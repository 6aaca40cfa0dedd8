/* SPDX-License-Identifier: MIT */
/*
 * Inspected spaces (PTB_SPACE_INSPECT): trees ptboot did not build and does
 * not trust, read through a small read-only backend over a flat memory
 * array (a dump, as `ptboot dump --core` sees one).  Every malformed entry
 * must be reported by the checker with its va instead of being refused by
 * adopt or followed by a walk; nothing may be written.
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

#define PAGES 64
#define P  0x1ull
#define RW 0x2ull
#define PS 0x80ull
#define NX (1ull << 63)
#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* A dump: PAGES pages at pa 0; nothing can be allocated or written. */
struct dump {
	uint64_t mem[PAGES][512];
	unsigned writes;
};

static ptb_err_t d_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	(void)ctx, (void)level, (void)pa;
	return PTB_E_NOMEM;
}

static void d_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	(void)pa, (void)level;
	((struct dump *)ctx)->writes++;
}

static uint64_t *d_ptr(void *ctx, ptb_pa_t pa)
{
	struct dump *d = ctx;
	return pa.raw / 4096 < PAGES ? d->mem[pa.raw / 4096] : NULL;
}

static ptb_err_t d_refuse(void *ctx, const void *items, size_t n, size_t *done)
{
	(void)items, (void)n;
	((struct dump *)ctx)->writes++;
	*done = 0;
	return PTB_E_REFUSED;
}

static ptb_err_t d_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	return d_refuse(ctx, t, n, done);
}

static ptb_err_t d_write(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	return d_refuse(ctx, w, n, done);
}

static ptb_err_t d_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	(void)root, (void)level;
	((struct dump *)ctx)->writes++;
	return PTB_E_REFUSED;
}

static void d_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	(void)va, (void)len;
	((struct dump *)ctx)->writes++;
}

static const struct ptb_backend_ops dump_ops = {
	.flags = PTB_BACKEND_FRAME_IS_PFN, .alloc_table = d_alloc, .free_table = d_free,
	.table_ptr = d_ptr, .seal = d_seal, .retire = d_seal, .write_live = d_write,
	.activate = d_activate, .flush = d_flush,
};

/* Page 1: L4; 2: L3; 3: L2; 4: L1.  va 0: 4K pages at pa 0x100000.. (L1),
 * va 2M: a 2M page, va 1G: a 1G page. */
static struct dump *dump_new(void)
{
	struct dump *d = calloc(1, sizeof(*d));
	d->mem[1][0] = 2 * 4096 | P | RW;
	d->mem[2][0] = 3 * 4096 | P | RW;
	d->mem[2][1] = GiB | P | RW | PS | NX;
	d->mem[3][0] = 4 * 4096 | P | RW;
	d->mem[3][1] = 2 * MiB | P | PS;          /* read-only, executable */
	for (unsigned i = 0; i < 4; i++)
		d->mem[4][i] = (0x100000 + i * 4096ull) | P | RW | NX;
	return d;
}

static struct ptb_space_config cfg_of(struct dump *d, unsigned flags)
{
	return (struct ptb_space_config){ .format = &ptb_format_x86_64_4level,
					  .backend = { &dump_ops, d }, .max_leaf_level = 3,
					  .flags = PTB_SPACE_NX | flags };
}

struct findings {
	unsigned n, stop_after;
	unsigned rule[16], level[16];
	uint64_t va[16], len[16];
};

static bool on_finding(void *arg, const struct ptb_check_report *r)
{
	struct findings *f = arg;
	if (f->n < 16) {
		f->rule[f->n] = r->rule;
		f->va[f->n] = r->va.raw;
		f->len[f->n] = r->len;
		f->level[f->n] = r->level;
	}
	f->n++;
	return f->n != f->stop_after;
}

static ptb_err_t check_all(struct ptb_space *s, struct findings *f)
{
	ptb_pa_t scratch[PAGES * 4];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 3, .scratch = scratch,
					.scratch_len = PAGES * 4, .on_finding = on_finding, .arg = f };
	struct ptb_check_report rep;
	return ptb_space_check(s, &pol, &rep);
}

static bool count_range(void *arg, const struct ptb_range *r)
{
	(void)r;
	++*(unsigned *)arg;
	return true;
}

/* A well-formed dump reads as any tree, and nothing can change it. */
static void test_inspect_is_read_only(void **state)
{
	(void)state;
	struct dump *d = dump_new();
	struct dump before = *d;
	struct ptb_space_config cfg = cfg_of(d, PTB_SPACE_INSPECT);
	struct ptb_space s, other;
	assert_int_equal(ptb_space_create(&s, &cfg), PTB_E_INVAL);
	assert_int_equal(ptb_space_adopt(&s, &cfg, ptb_pa(4096), false), PTB_OK);
	struct ptb_mapping m;
	assert_int_equal(ptb_space_query(&s, ptb_va(0x1234), &m), PTB_OK);
	assert_int_equal(m.pa.raw, 0x101234);
	assert_int_equal(ptb_space_query(&s, ptb_va(GiB + 5), &m), PTB_OK);
	assert_int_equal(m.level, 3);
	unsigned runs = 0;
	assert_int_equal(ptb_space_ranges(&s, count_range, &runs), PTB_OK);
	assert_int_equal(runs, 3);
	struct findings f = { 0 };
	assert_int_equal(check_all(&s, &f), PTB_OK);
	assert_int_equal(f.n, 0);
	struct ptb_cursor c;
	assert_int_equal(ptb_space_map(&s, ptb_va(8 * GiB), ptb_pa(0), 4096, 0, 0), PTB_E_INVAL);
	assert_int_equal(ptb_space_unmap(&s, ptb_va(0), 4096), PTB_E_INVAL);
	assert_int_equal(ptb_space_protect(&s, ptb_va(0), 4096, 0), PTB_E_INVAL);
	assert_int_equal(ptb_space_seal(&s), PTB_E_INVAL);
	assert_int_equal(ptb_space_activate(&s), PTB_E_INVAL);
	assert_int_equal(ptb_cursor_hold(&c, &s, ptb_va(8 * GiB), 1), PTB_E_INVAL);
	assert_int_equal(ptb_cursor_release(&c, &s, ptb_va(0)), PTB_E_INVAL);
	struct ptb_space_config ocfg = cfg_of(d, PTB_SPACE_INSPECT);
	assert_int_equal(ptb_space_adopt(&other, &ocfg, ptb_pa(4096), false), PTB_OK);
	assert_int_equal(ptb_space_share(&other, &s, ptb_va(0), 512 * GiB), PTB_E_INVAL);
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	assert_int_equal(ptb_space_destroy(&other), PTB_OK);
	assert_int_equal(d->writes, 0);
	assert_memory_equal(d->mem, before.mem, sizeof(d->mem));
	free(d);
}

/* Every kind of malformed entry at once: adopt refuses the tree, inspect
 * takes it, and the checker names each one with its va. */
static void test_inspect_reports_every_finding(void **state)
{
	(void)state;
	struct dump *d = dump_new();
	d->mem[1][1] = 2 * 4096 | P | RW | PS;        /* L4 PS: reserved     (512G) */
	d->mem[2][3] = 3 * 4096 | P | RW;             /* L2 linked twice     (3G)   */
	d->mem[4][9] = 0x12345000;                    /* non-present, address: L1TF (36K) */
	d->mem[2][5] = (PAGES + 7) * 4096ull | P | RW;/* a table outside the dump (5G) */
	struct dump before = *d;
	struct ptb_space s;
	struct ptb_space_config plain = cfg_of(d, 0), insp = cfg_of(d, PTB_SPACE_INSPECT);
	assert_int_equal(ptb_space_adopt(&s, &plain, ptb_pa(4096), false), PTB_E_NOTTABLE);
	assert_int_equal(ptb_space_adopt(&s, &insp, ptb_pa(4096), false), PTB_OK);
	struct findings f = { 0 };
	assert_int_equal(check_all(&s, &f), PTB_E_NOTTABLE);
	/* in va order; each link into the shared L2, and into its L1 (reached
	 * twice through it), is a finding at the link's own va */
	static const struct { unsigned rule; uint64_t va, len; unsigned level; } want[] = {
		{ PTB_CHECK_NO_SHARED_TABLE, 0, GiB, 3 },
		{ PTB_CHECK_NO_SHARED_TABLE, 0, 2 * MiB, 2 },
		{ PTB_CHECK_L1TF, 9 * 4096, 4096, 1 },
		{ PTB_CHECK_NO_SHARED_TABLE, 3 * GiB, GiB, 3 },
		{ PTB_CHECK_NO_SHARED_TABLE, 3 * GiB, 2 * MiB, 2 },
		{ PTB_CHECK_L1TF, 3 * GiB + 9 * 4096, 4096, 1 },
		{ PTB_CHECK_TABLE_IN_MEMORY, 5 * GiB, GiB, 3 },
		{ PTB_CHECK_RESERVED_BITS, 512 * GiB, 512 * GiB, 4 },
	};
	assert_int_equal(f.n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < f.n; i++) {
		assert_int_equal(f.rule[i], want[i].rule);
		assert_int_equal(f.va[i], want[i].va);
		assert_int_equal(f.len[i], want[i].len);
		assert_int_equal(f.level[i], want[i].level);
	}
	/* the callback can stop the walk */
	struct findings g = { .stop_after = 3 };
	assert_int_equal(check_all(&s, &g), PTB_E_NOTTABLE);
	assert_int_equal(g.n, 3);
	/* no callback: the first finding, as before */
	ptb_pa_t scratch[PAGES * 4];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_RESERVED_BITS, .max_leaf_level = 3,
					.scratch = scratch, .scratch_len = PAGES * 4 };
	struct ptb_check_report rep;
	assert_int_equal(ptb_space_check(&s, &pol, &rep), PTB_E_NOTTABLE);
	assert_int_equal(rep.rule, PTB_CHECK_RESERVED_BITS);
	assert_int_equal(rep.findings, 1);
	/* walks stop at what they cannot trust */
	struct ptb_mapping m;
	struct ptb_cursor c;
	uint64_t e;
	assert_int_equal(ptb_space_query(&s, ptb_va(512 * GiB), &m), PTB_E_NOTTABLE);
	assert_int_equal(ptb_space_query(&s, ptb_va(5 * GiB), &m), PTB_E_NOTTABLE);
	assert_int_equal(ptb_space_query(&s, ptb_va(9 * 4096), &m), PTB_E_NOTMAPPED);
	assert_int_equal(ptb_space_query(&s, ptb_va(3 * GiB + 4096), &m), PTB_OK);
	assert_int_equal(m.pa.raw, 0x101000);
	assert_int_equal(ptb_cursor_inspect(&c, &s, ptb_va(512 * GiB), &e), PTB_E_NOTTABLE);
	assert_int_equal(c.level, 4);
	assert_int_equal(e, d->mem[1][1]);
	assert_int_equal(ptb_cursor_inspect(&c, &s, ptb_va(5 * GiB), &e), PTB_E_NOTTABLE);
	assert_int_equal(c.level, 3);
	unsigned runs = 0;
	assert_int_equal(ptb_space_ranges(&s, count_range, &runs), PTB_OK);
	assert_int_equal(runs, 5); /* 4K run, 2M page, 1G page, the 3G alias's 4K run and 2M page */
	struct ptb_table_count tc;
	ptb_space_count_tables(&s, &tc);
	assert_int_equal(tc.by_level[0], 6); /* L4, L3, L2 and L1 twice */
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	assert_int_equal(d->writes, 0);
	assert_memory_equal(d->mem, before.mem, sizeof(d->mem));
	free(d);
}

/* Each rule on its own: asked alone it reports exactly its findings, and
 * left out it reports none (the walk still reaches everything else). */
static void test_each_rule_alone(void **state)
{
	(void)state;
	struct dump *d = dump_new();
	d->mem[1][1] = 2 * 4096 | P | RW | PS;        /* RESERVED_BITS */
	d->mem[2][3] = 3 * 4096 | P | RW;             /* NO_SHARED_TABLE: L2 and its L1 twice */
	d->mem[4][9] = 0x12345000;                    /* L1TF (seen twice) */
	d->mem[2][5] = (PAGES + 7) * 4096ull | P | RW;/* TABLE_IN_MEMORY */
	d->mem[4][5] = 2 * 4096 | P | RW | NX;        /* TABLE_RO: the L3 writable (twice) */
	d->mem[4][6] = 0x200000 | P | RW;             /* W^X (twice) */
	/* LEAF_LEVELS: the 1G leaf at mem[2][1], with max_leaf_level 2 */
	struct ptb_space s;
	struct ptb_space_config insp = cfg_of(d, PTB_SPACE_INSPECT);
	assert_int_equal(ptb_space_adopt(&s, &insp, ptb_pa(4096), false), PTB_OK);
	static const struct { unsigned rule, n; } want[] = {
		{ PTB_CHECK_RESERVED_BITS, 1 }, { PTB_CHECK_L1TF, 2 }, { PTB_CHECK_WX, 2 },
		{ PTB_CHECK_TABLE_RO, 2 }, { PTB_CHECK_LEAF_LEVELS, 1 }, { PTB_CHECK_NO_SHARED_TABLE, 4 },
		{ PTB_CHECK_TABLE_IN_MEMORY, 1 },
	};
	unsigned total = 0;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (int alone = 1; alone >= 0; alone--) {
			ptb_pa_t scratch[PAGES * 4];
			struct findings f = { 0 };
			struct ptb_check_policy pol = {
				.rules = alone ? want[i].rule : PTB_CHECK_ALL & ~want[i].rule, .max_leaf_level = 2,
				.scratch = scratch, .scratch_len = PAGES * 4, .on_finding = on_finding, .arg = &f };
			struct ptb_check_report rep;
			assert_int_equal(ptb_space_check(&s, &pol, &rep), PTB_E_NOTTABLE);
			unsigned mine = 0;
			for (unsigned k = 0; k < f.n && k < 16; k++)
				mine += f.rule[k] == want[i].rule;
			assert_true(f.n <= 16);
			assert_int_equal(mine, alone ? want[i].n : 0);
			if (alone)
				assert_int_equal(f.n, want[i].n);
		}
		total += want[i].n;
	}
	struct findings all = { 0 };
	ptb_pa_t scratch[PAGES * 4];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 2, .scratch = scratch,
					.scratch_len = PAGES * 4, .on_finding = on_finding, .arg = &all };
	struct ptb_check_report rep;
	assert_int_equal(ptb_space_check(&s, &pol, &rep), PTB_E_NOTTABLE);
	assert_int_equal(all.n, total);
	assert_int_equal(rep.findings, total);
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	free(d);
}

/* A table linking itself (a recursive slot) is refused by adopt; inspected,
 * every walk over it ends. */
static void test_inspect_self_link(void **state)
{
	(void)state;
	struct dump *d = dump_new();
	d->mem[1][511] = 1 * 4096 | P | RW;
	struct ptb_space s;
	struct ptb_space_config plain = cfg_of(d, 0), insp = cfg_of(d, PTB_SPACE_INSPECT);
	assert_int_equal(ptb_space_adopt(&s, &plain, ptb_pa(4096), false), PTB_E_NOTTABLE);
	assert_int_equal(ptb_space_adopt(&s, &insp, ptb_pa(4096), false), PTB_OK);
	struct findings f = { 0 };
	assert_int_equal(check_all(&s, &f), PTB_E_NOTTABLE);
	assert_true(f.n >= 1);
	assert_int_equal(f.rule[0], PTB_CHECK_NO_SHARED_TABLE);
	bool self = false; /* the recursive slot itself is named */
	for (unsigned i = 0; i < f.n && i < 16; i++)
		self |= f.rule[i] == PTB_CHECK_NO_SHARED_TABLE && f.level[i] == 4 &&
			f.va[i] == 0xffffff8000000000ull;
	assert_true(self);
	/* as the CPU walks it: through the recursive slot the L4 reads as an L3,
	 * the L3 as an L2, the L2 as an L1, so va 0xffffff8000000000 maps the L1
	 * table page itself */
	struct ptb_mapping m;
	assert_int_equal(ptb_space_query(&s, ptb_va(0xffffff8000000000ull), &m), PTB_OK);
	assert_int_equal(m.pa.raw, 4 * 4096);
	unsigned runs = 0;
	assert_int_equal(ptb_space_ranges(&s, count_range, &runs), PTB_OK);
	assert_true(runs > 3);
	assert_int_equal(ptb_space_destroy(&s), PTB_OK);
	free(d);
}

/* A root outside the dump; the space's pa_bits narrower than the format's. */
static void test_inspect_root_and_width(void **state)
{
	(void)state;
	struct dump *d = dump_new();
	struct ptb_space s;
	struct ptb_space_config insp = cfg_of(d, PTB_SPACE_INSPECT);
	assert_int_equal(ptb_space_adopt(&s, &insp, ptb_pa(PAGES * 4096ull), false), PTB_E_NOTTABLE);
	d->mem[4][10] = (1ull << 40) | P;        /* fine for 52 bits, not for 39 */
	struct ptb_space_config narrow = cfg_of(d, 0);
	narrow.pa_bits = 39;
	assert_int_equal(ptb_space_adopt(&s, &narrow, ptb_pa(4096), false), PTB_E_NOTTABLE);
	narrow.pa_bits = 0;
	assert_int_equal(ptb_space_adopt(&s, &narrow, ptb_pa(4096), false), PTB_OK);
	insp.pa_bits = 39;
	assert_int_equal(ptb_space_adopt(&s, &insp, ptb_pa(4096), false), PTB_OK);
	struct findings f = { 0 };
	assert_int_equal(check_all(&s, &f), PTB_E_NOTTABLE);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.rule[0], PTB_CHECK_RESERVED_BITS);
	assert_int_equal(f.va[0], 10 * 4096);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inspect_is_read_only),
		cmocka_unit_test(test_inspect_reports_every_finding),
		cmocka_unit_test(test_each_rule_alone),
		cmocka_unit_test(test_inspect_self_link),
		cmocka_unit_test(test_inspect_root_and_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
