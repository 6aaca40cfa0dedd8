/* SPDX-License-Identifier: MIT */
/*
 * The real Xen PV backend (backends/xen/xen.c) on the host, against a fake
 * hypercall transport that applies its own model of Xen's page-type rules
 * (tests/support/xenfake.c): batching, refusals of every item of every
 * batch kind with rollback, m2p bounds, and the order and count of seals,
 * retires, pins and unpins as the fake saw them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ptboot/space.h>
#include "ptb_checked.h"
#include "ptb_xen.h"
#include "xenfake.h"

#define PG 4096ull
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define DM 0xffff888000000000ull       /* where the tests map data pages */
#define ALIAS0 0xffffc90000000000ull   /* every guest page */
#define ALIAS1 0xffffe80000000000ull   /* the table pool again */
#define NPFN 4096ull
#define NMFN (3 * NPFN)
#define M2P_FRAMES 10000ull            /* frames at or above it: not the guest's */
#define POOL_LO 3072ull                /* table pages: pfns [POOL_LO, NPFN) */
#define NSLOTS (1u << 12)

struct fx {
	struct xenfake *xf;
	struct ptb_xen xb;
	struct ptb_checked chk;
	struct ptb_checked_slot slots[NSLOTS];
	struct ptb_space s;
	uint64_t free_pages[NPFN];
	unsigned nfree;
	uint64_t outstanding;  /* pages the backend handed out and did not get back */
	uint64_t bad_frees;    /* pages freed while still a table or read-only */
};

static void violation(void *arg, const char *what)
{
	(void)arg;
	fail_msg("hook contract violated: %s", what);
}

static ptb_err_t page_alloc(void *arg, ptb_pa_t *pa)
{
	struct fx *x = arg;
	if (!x->nfree)
		return PTB_E_NOMEM;
	*pa = ptb_pa(x->free_pages[--x->nfree] * PG);
	x->outstanding++;
	return PTB_OK;
}

static void page_free(void *arg, ptb_pa_t pa)
{
	struct fx *x = arg;
	uint64_t pfn = pa.raw / PG;
	/* free_table's Pre: the page is NEW again (no type, writable) */
	if (x->xf->f[pfn].tcount || xf_read_only(x->xf, pfn))
		x->bad_frees++;
	x->free_pages[x->nfree++] = pfn;
	x->outstanding--;
}

static const struct ptb_xen_window windows[2] = {
	{ ALIAS0, 0, NPFN * PG },
	{ ALIAS1, POOL_LO * PG, NPFN * PG },
};

static struct ptb_space_config space_config(struct fx *x)
{
	return (struct ptb_space_config){ .format = &ptb_format_x86_64_4level, .backend = ptb_checked_backend(&x->chk),
					  .pat = &ptb_pat_xen, .max_leaf_level = 1, .flags = PTB_SPACE_NX,
					  .reserved_first = 256, .reserved_count = 16 };
}

/* The fake, the backend over it (wrapped by the contract checker), and a
 * space with nothing mapped, sealed and active: pinned and the base. */
static struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->xf = xf_new(NPFN, NMFN, M2P_FRAMES, 5);
	assert_non_null(x->xf);
	xf_set_windows(x->xf, windows, 2);
	for (uint64_t p = POOL_LO; p < NPFN; p++)
		x->free_pages[x->nfree++] = p; /* handed out highest first */
	x->xb = (struct ptb_xen){
		.hc = xf_transport(x->xf), .p2m = x->xf->p2m, .nr_pages = NPFN,
		.m2p = x->xf->m2p, .m2p_frames = M2P_FRAMES,
		.access = (uintptr_t)x->xf->phys, .access_after = (uintptr_t)x->xf->phys,
		.win = { windows[0], windows[1] }, .nwin = 2,
		.page_alloc = page_alloc, .page_free = page_free, .page_arg = x,
	};
	ptb_checked_init(&x->chk, ptb_xen_backend(&x->xb), &ptb_format_x86_64_4level, x->slots, NSLOTS);
	x->chk.on_violation = violation;
	struct ptb_space_config cfg = space_config(x);
	assert_int_equal(ptb_space_create(&x->s, &cfg), PTB_OK);
	ptb_err_t err = ptb_space_seal(&x->s);
	if (err)
		fail_msg("seal: %s (Xen: %s)", ptb_strerror(err), x->xf->why);
	err = ptb_space_activate(&x->s);
	if (err)
		fail_msg("activate: %s (Xen: %s)", ptb_strerror(err), x->xf->why);
	return x;
}

static uint64_t mfn(struct fx *x, ptb_pa_t pa)
{
	return x->xf->p2m[pa.raw / PG];
}

struct tables {
	struct fx *x;
	uint64_t n, bad;
	uint64_t pfn[256];
	unsigned level[256];
};

/* every table of the walk: typed by the fake at its level, read-only everywhere */
static void on_table(void *arg, uint64_t pfn, unsigned level)
{
	struct tables *t = arg;
	const struct xf_frame *f = &t->x->xf->f[pfn];
	if (f->type != level || !f->tcount || !xf_read_only(t->x->xf, pfn))
		t->bad++;
	if (t->n < 256) {
		t->pfn[t->n] = pfn;
		t->level[t->n] = level;
	}
	t->n++;
}

/* The fake's model is consistent, the active tree is validated, and the
 * backend holds exactly the pages the tree has. */
static void consistent(struct fx *x)
{
	const char *why = xf_audit(x->xf);
	if (why)
		fail_msg("fake Xen: %s", why);
	assert_int_equal(x->xf->n.plain_store_faults, 0);
	assert_int_equal(x->chk.violations, 0);
	assert_int_equal(x->bad_frees, 0);
	struct tables t = { .x = x };
	assert_int_equal(x->xf->base, mfn(x, x->s.root));
	long n = xf_walk(x->xf, x->xf->base, NULL, on_table, &t);
	assert_true(n > 0);
	assert_int_equal(t.bad, 0);
	assert_int_equal((uint64_t)n, x->outstanding);
}

static void fx_free(struct fx *x)
{
	consistent(x);
	xf_delete(x->xf);
	free(x);
}

struct leaves {
	struct fx *x;
	uint64_t n, bad, va_lo, pa_lo, len;
	bool write;
};

static void on_leaf(void *arg, uint64_t va, uint64_t pte)
{
	struct leaves *l = arg;
	l->n++;
	uint64_t off = va - l->va_lo;
	bool ok = off < l->len && (pte & 1) && (pte >> 63) && ((pte & 2) != 0) == l->write &&
		  ((pte & 0x000ffffffffff000ull) >> 12) == l->x->xf->p2m[(l->pa_lo + off) / PG];
	l->bad += !ok;
}

/* Batching: mapping N pages costs far fewer hypercalls than N, and what the
 * fake's memory holds is exactly the mapping; unmapping gives every table
 * back writable. */
static void test_map_is_batched(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	const uint64_t N = 2048, len = N * PG;
	uint64_t traps = xf_traps(x->xf), ro = x->xf->n.pages_ro, out = x->outstanding;
	uint64_t upd = x->xf->n.mmu_update_items;
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), len, PTB_ATTR_WRITE, 0), PTB_OK);
	traps = xf_traps(x->xf) - traps;
	uint64_t tables = x->outstanding - out;
	print_message("map of %llu pages: %llu hypercalls, %llu new tables, %llu mmu_update items\n",
		      (unsigned long long)N, (unsigned long long)traps, (unsigned long long)tables,
		      (unsigned long long)(x->xf->n.mmu_update_items - upd));
	assert_int_equal(tables, 1 + 1 + N / 512);     /* L3, L2, L1s */
	assert_true(traps > 0 && traps <= 4);
	assert_int_equal(x->xf->n.pages_ro - ro, tables); /* one status change per table */
	/* the new tables were filled with plain stores, linked with one entry */
	assert_int_equal(x->xf->n.mmu_update_items - upd, 1);
	consistent(x);
	struct leaves l = { x, 0, 0, DM, 0, len, true };
	assert_true(xf_walk(x->xf, x->xf->base, on_leaf, NULL, &l) > 0);
	assert_int_equal(l.n, N);
	assert_int_equal(l.bad, 0);
	for (uint64_t i = 0; i < N; i += 397) {
		struct ptb_mapping q;
		assert_int_equal(ptb_space_query(&x->s, ptb_va(DM + i * PG + 8), &q), PTB_OK);
		assert_int_equal(q.pa.raw, i * PG + 8);
	}
	/* protect: the L1 entries change through mmu_update, batched; flushed */
	traps = xf_traps(x->xf);
	upd = x->xf->n.mmu_update_items;
	uint64_t fl = x->xf->n.flushes + x->xf->n.invlpgs;
	assert_int_equal(ptb_space_protect(&x->s, ptb_va(DM), len, 0), PTB_OK);
	assert_int_equal(x->xf->n.mmu_update_items - upd, N);
	assert_true(xf_traps(x->xf) - traps <= N / PTB_XEN_BATCH + 2);
	assert_true(x->xf->n.flushes + x->xf->n.invlpgs > fl);
	l = (struct leaves){ x, 0, 0, DM, 0, len, false };
	assert_true(xf_walk(x->xf, x->xf->base, on_leaf, NULL, &l) > 0);
	assert_int_equal(l.n, N);
	assert_int_equal(l.bad, 0);
	consistent(x);
	/* unmap: every table but the root back to the backend, writable */
	uint64_t rw = x->xf->n.pages_rw;
	traps = xf_traps(x->xf);
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM), len), PTB_OK);
	print_message("unmap of %llu pages: %llu hypercalls\n", (unsigned long long)N,
		      (unsigned long long)(xf_traps(x->xf) - traps));
	assert_true(xf_traps(x->xf) - traps <= N / PTB_XEN_BATCH + 4);
	assert_int_equal(x->xf->n.pages_rw - rw, tables);
	assert_int_equal(x->outstanding, 1);
	assert_int_equal(x->xf->n.unpins, 0);
	fx_free(x);
}

typedef ptb_err_t (*op_fn)(struct fx *x);

/* new L3 entry side: crosses a 1G line, so a new L2 and L1s */
static ptb_err_t op_map(struct fx *x)
{
	return ptb_space_map(&x->s, ptb_va(DM + 2 * GiB - 2 * MiB - 8192), ptb_pa(4 * MiB), 4 * MiB + 16384,
			     PTB_ATTR_WRITE, 0);
}

static ptb_err_t op_protect(struct fx *x)
{
	return ptb_space_protect(&x->s, ptb_va(DM + 4096), 4 * MiB, 0);
}

/* frees the L1 of [2M, 4M), changes entries on both sides */
static ptb_err_t op_unmap(struct fx *x)
{
	return ptb_space_unmap(&x->s, ptb_va(DM + 2 * MiB - 4096), 2 * MiB + 8192);
}

static const char *const kind_name[] = { "mmu_update items", "pin/unpin/base ops", "multicall entries",
					 "multicall stops" };

/* Refuse the k-th item of `kind` for k = 1, 2, ... until the operation
 * succeeds: each refusal is reported as PTB_E_REFUSED and leaves the tree,
 * the fake's view of every frame and the pages taken exactly as before. */
static uint64_t refuse_each(struct fx *x, op_fn op, const char *name, enum xf_inject kind)
{
	for (uint64_t k = 1;; k++) {
		uint64_t h = xf_state_hash(x->xf, x->xf->base), out = x->outstanding;
		uint64_t inj = x->xf->injected;
		assert_int_not_equal(h, 0);
		xf_inject(x->xf, kind, k);
		ptb_err_t err = op(x);
		xf_inject_off(x->xf);
		if (err == PTB_OK) {
			assert_int_equal(x->xf->injected, inj); /* ran out of items before k */
			consistent(x);
			return k - 1;
		}
		assert_int_equal(err, PTB_E_REFUSED);
		assert_int_equal(x->xf->injected, inj + 1);
		assert_int_equal(x->xb.stats.last_error, kind == XF_FAIL_MC_ABORT ? -14 : -22);
		if (xf_state_hash(x->xf, x->xf->base) != h || x->outstanding != out)
			fail_msg("%s refused at %s %llu (Xen: %s): not rolled back (pages %llu, before %llu)",
				 name, kind_name[kind], (unsigned long long)k, x->xf->why,
				 (unsigned long long)x->outstanding, (unsigned long long)out);
		consistent(x);
	}
}

static void mark(void *arg, uint64_t pfn, unsigned level)
{
	(void)level;
	((bool *)arg)[pfn] = true;
}

/* Unmap with its retire refused at the k-th multicall entry, for every k,
 * each on a new fixture: a conforming Xen cannot refuse to make an unlinked
 * table writable, so ptboot does not undo an unmap there (txn.c: the tables
 * stay SEALED and are not freed) and the test holds the backend to retire's
 * own contract: refused reported, the flips of the refused tables undone
 * (every alias read-only again), the fake consistent, nothing freed that is
 * still read-only.  Returns the refusals until the unmap went through. */
static uint64_t refuse_retire_each(op_fn op, enum xf_inject kind)
{
	for (uint64_t k = 1;; k++) {
		struct fx *x = fx_new();
		assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 8 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
		xf_inject(x->xf, kind, k);
		ptb_err_t err = op(x);
		xf_inject_off(x->xf);
		if (err == PTB_OK) {
			assert_int_equal(x->xf->injected, 0);
			fx_free(x);
			return k - 1;
		}
		assert_int_equal(err, PTB_E_REFUSED);
		assert_int_equal(x->xf->injected, 1);
		assert_null(xf_audit(x->xf));
		assert_int_equal(x->bad_frees, 0);
		assert_int_equal(x->chk.violations, 0);
		static bool held[NPFN], reached[NPFN];
		memset(held, 0, sizeof(held));
		memset(reached, 0, sizeof(reached));
		for (uint64_t p = POOL_LO; p < NPFN; p++)
			held[p] = true;
		for (unsigned i = 0; i < x->nfree; i++)
			held[x->free_pages[i]] = false;
		assert_true(xf_walk(x->xf, x->xf->base, NULL, mark, reached) > 0);
		uint64_t kept = 0;
		for (uint64_t p = POOL_LO; p < NPFN; p++)
			if (held[p] && !reached[p]) {
				kept++;
				assert_true(xf_read_only(x->xf, p)); /* still SEALED */
				assert_int_equal(x->xf->f[p].tcount, 0); /* and unlinked */
			}
		assert_true(kept > 0);
		xf_delete(x->xf);
		free(x);
	}
}

static void test_refusal_of_every_item_rolls_back(void **state)
{
	(void)state;
	static const struct { op_fn op; const char *name; } ops[] = {
		{ op_map, "map" }, { op_protect, "protect" }, { op_unmap, "unmap" },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		for (int kind = 0; kind < XF_INJECT_KINDS_; kind++) {
			struct fx *x = fx_new();
			assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 8 * MiB, PTB_ATTR_WRITE, 0),
					 PTB_OK);
			bool retire = ops[i].op == op_unmap && (kind == XF_FAIL_MC_ENTRY || kind == XF_FAIL_MC_ABORT);
			uint64_t n = retire ? refuse_retire_each(ops[i].op, (enum xf_inject)kind)
					    : refuse_each(x, ops[i].op, ops[i].name, (enum xf_inject)kind);
			print_message("%s: refused at each of %llu %s, %s\n", ops[i].name, (unsigned long long)n,
				      kind_name[kind], retire ? "retire's contract kept every time" : "undone every time");
			bool seals = ops[i].op != op_protect; /* map seals, unmap retires */
			if (kind == XF_FAIL_UPDATE)
				assert_true(n > 0);
			if (kind == XF_FAIL_MC_ENTRY || kind == XF_FAIL_MC_ABORT)
				assert_true(seals ? n > 0 : n == 0);
			if (kind == XF_FAIL_EXT)
				assert_int_equal(n, 0); /* only flushes: never refused */
			fx_free(x);
		}
}

/* A second space, sealed, with a few tables. */
static void second_space(struct fx *x, struct ptb_space *b)
{
	struct ptb_space_config cfg = space_config(x);
	assert_int_equal(ptb_space_create(b, &cfg), PTB_OK);
	assert_int_equal(ptb_space_map(b, ptb_va(DM), ptb_pa(0), 4 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	assert_int_equal(ptb_space_seal(b), PTB_OK);
}

/* Activate refused at the pin and at the base pointer: the old root stays
 * the base, the new one is left unpinned; then it succeeds.  Switching back
 * to a root pinned before does not pin it twice (Xen refuses that). */
static void test_activate_refused_and_back(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct ptb_space b;
	second_space(x, &b);
	uint64_t a_root = mfn(x, x->s.root), b_root = mfn(x, b.root);
	unsigned k;
	for (k = 1;; k++) {
		uint64_t h = xf_state_hash(x->xf, a_root), npinned = x->xb.npinned;
		xf_inject(x->xf, XF_FAIL_EXT, k);
		ptb_err_t err = ptb_space_activate(&b);
		xf_inject_off(x->xf);
		if (!err)
			break;
		assert_int_equal(err, PTB_E_REFUSED);
		assert_int_equal(x->xf->base, a_root);
		assert_false(x->xf->f[b.root.raw / PG].pinned);
		assert_int_equal(xf_state_hash(x->xf, a_root), h);
		assert_int_equal(x->xb.npinned, npinned);
		assert_null(xf_audit(x->xf));
	}
	assert_int_equal(k, 3); /* the pin, then the base pointer */
	assert_int_equal(x->xf->base, b_root);
	assert_true(x->xf->f[b.root.raw / PG].pinned);
	/* and back to the first space, pinned since its own activate */
	ptb_err_t err = ptb_space_activate(&x->s);
	if (err)
		fail_msg("activate of a root pinned before: %s (Xen: %s)", ptb_strerror(err), x->xf->why);
	assert_int_equal(x->xf->base, a_root);
	assert_int_equal(ptb_space_activate(&b), PTB_OK);
	assert_int_equal(x->xf->base, b_root);
	assert_null(xf_audit(x->xf));
	struct ptb_space tmp = x->s;
	x->s = b;
	b = tmp;
	/* the old space: unpinned, then every table writable, then freed */
	unsigned from = x->xf->nlog;
	uint64_t out = x->outstanding;
	uint64_t a_root_pfn = b.root.raw / PG;
	assert_true(xf_walk(x->xf, a_root, NULL, NULL, NULL) > 0);
	assert_int_equal(ptb_space_destroy(&b), PTB_OK);
	unsigned unpin_at = 0, rw = 0;
	bool root_rw_after_unpin = false;
	for (unsigned i = from; i < x->xf->nlog; i++) {
		const struct xf_event *e = &x->xf->log[i];
		if (e->kind == XF_EV_UNPIN && e->mfn == a_root)
			unpin_at = i + 1;
		if (e->kind == XF_EV_RW) {
			assert_true(unpin_at != 0); /* nothing writable before the root is unpinned */
			rw++;
			root_rw_after_unpin |= e->mfn == a_root;
		}
		assert_true(e->kind == XF_EV_UNPIN || e->kind == XF_EV_RW);
	}
	assert_true(unpin_at);
	assert_true(root_rw_after_unpin);
	assert_int_equal(rw, out - x->outstanding);
	assert_false(x->xf->f[a_root_pfn].pinned);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_is_batched),
		cmocka_unit_test(test_refusal_of_every_item_rolls_back),
		cmocka_unit_test(test_activate_refused_and_back),
	};
	return cmocka_run_group_tests_name("xen backend on a fake Xen", tests, NULL, NULL);
}
