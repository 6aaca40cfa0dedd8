/* SPDX-License-Identifier: MIT */
/*
 * The real Xen PV backend (backends/xen/xen.c) on the host, against a fake
 * hypercall transport that applies its own model of Xen's page-type rules
 * (tests/support/xenfake.c), through ptboot's spaces (wrapped by the
 * contract checker) and through the hooks directly:
 *  - batching: hypercalls per map / protect / unmap, counted by the fake,
 *    and the fake's own walk of its memory against the mapping;
 *  - refusal of the k-th mmu_update item, mmuext op, multicall entry and
 *    multicall stop, for every k, in map, protect, unmap, seal (73 tables:
 *    two multicalls), retire of a pinned root and activate: rolled back to
 *    a bit-identical state (tables, page types, pins, aliases, pages held),
 *    or, where ptboot does not undo (a retire refused after unlinking),
 *    retire's own contract ([0, done) NEW, the rest SEALED);
 *  - m2p bounds (the m2p is allocated to exactly m2p_frames entries);
 *  - the order and count of read-only flips, pins, base pointers, unpins
 *    and writable flips from the fake's log, against the backend's counters;
 *  - flushes, the hooks' edges, switch_after.
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
	{ ALIAS1, POOL_LO * PG, (NPFN - 1) * PG }, /* not the last page: the first table (a root) */
};

/* How many aliases pfn has (windows, as the fake holds them). */
static unsigned aliases(uint64_t pfn)
{
	unsigned n = 0;
	for (unsigned w = 0; w < 2; w++)
		n += pfn * PG >= windows[w].pa_lo && pfn * PG < windows[w].pa_hi;
	return n;
}

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

/* The backend's own counters agree with what the fake saw (no refusals). */
static void same_counts(struct fx *x)
{
	const struct ptb_xen_stats *b = &x->xb.stats;
	const struct xf_counts *n = &x->xf->n;
	assert_int_equal(b->mmu_update_calls, n->mmu_update_calls);
	assert_int_equal(b->mmu_update_entries, n->mmu_update_items);
	assert_int_equal(b->mmuext_calls, n->mmuext_calls);
	assert_int_equal(b->mmuext_ops, n->ext_ops);
	assert_int_equal(b->multicalls, n->multicalls);
	assert_int_equal(b->multicall_entries, n->multicall_entries);
	assert_int_equal(b->rw_to_ro, n->pages_ro);
	assert_int_equal(b->ro_to_rw, n->pages_rw);
	assert_int_equal(b->pins, n->pins);
	assert_int_equal(b->unpins, n->unpins);
	assert_int_equal(b->refusals, n->refusals);
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
	same_counts(x);
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
	return ptb_space_protect(&x->s, ptb_va(DM + 2 * MiB - 4096), MiB, 0); /* 2 L1s */
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
			/* unmap's retire refused too: ptboot seals the retired
			 * tables again and relinks them (txn.c), so every refusal
			 * leaves the state exactly as before */
			uint64_t n = refuse_each(x, ops[i].op, ops[i].name, (enum xf_inject)kind);
			print_message("%s: refused at each of %llu %s, undone every time\n", ops[i].name,
				      (unsigned long long)n, kind_name[kind]);
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
		uint64_t refusals = x->xf->n.refusals, calls = x->xf->n.mmuext_calls;
		xf_inject(x->xf, XF_FAIL_EXT, k);
		ptb_err_t err = ptb_space_activate(&b);
		xf_inject_off(x->xf);
		if (!err)
			break;
		assert_int_equal(err, PTB_E_REFUSED);
		/* one refusal, and an unpin only after a pin that went through */
		assert_int_equal(x->xf->n.refusals, refusals + 1);
		assert_int_equal(x->xf->n.mmuext_calls, calls + (k == 2 ? 2 : 1));
		assert_int_equal(x->xf->base, a_root);
		assert_false(x->xf->f[b.root.raw / PG].pinned);
		assert_int_equal(xf_state_hash(x->xf, a_root), h);
		assert_int_equal(x->xb.npinned, npinned);
		assert_null(xf_audit(x->xf));
	}
	assert_int_equal(k, 3); /* the pin, then the base pointer */
	assert_int_equal(x->xf->base, b_root);
	assert_true(x->xf->f[b.root.raw / PG].pinned);
	/* and back to the first space, pinned since its own activate: only the
	 * base pointer, and when that is refused it stays pinned */
	uint64_t pins = x->xf->n.pins, unpins = x->xf->n.unpins;
	xf_inject(x->xf, XF_FAIL_EXT, 1);
	assert_int_equal(ptb_space_activate(&x->s), PTB_E_REFUSED);
	xf_inject_off(x->xf);
	assert_int_equal(x->xf->base, b_root);
	assert_true(x->xf->f[x->s.root.raw / PG].pinned);
	assert_int_equal(x->xb.npinned, 2); /* A and B */
	ptb_err_t err = ptb_space_activate(&x->s);
	if (err)
		fail_msg("activate of a root pinned before: %s (Xen: %s)", ptb_strerror(err), x->xf->why);
	assert_int_equal(x->xf->base, a_root);
	assert_int_equal(ptb_space_activate(&b), PTB_OK);
	assert_int_equal(x->xf->base, b_root);
	assert_int_equal(x->xf->n.pins, pins); /* nothing pinned twice */
	assert_int_equal(x->xf->n.unpins, unpins);
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
		assert_true(e->kind == XF_EV_UNPIN || e->kind == XF_EV_RW || e->kind == XF_EV_FLUSH ||
			    e->kind == XF_EV_INVLPG);
	}
	assert_true(unpin_at);
	assert_true(root_rw_after_unpin);
	assert_int_equal(rw, out - x->outstanding);
	/* the backend counts pins that stayed (not the one undone at k = 2) */
	assert_int_equal(x->xb.stats.pins, 2);
	assert_int_equal(x->xf->n.pins, 3);
	assert_int_equal(x->xb.stats.pins - x->xb.stats.unpins, x->xf->n.pins - x->xf->n.unpins);
	assert_int_equal(x->xb.stats.ro_to_rw, x->xf->n.pages_rw);
	assert_false(x->xf->f[a_root_pfn].pinned);
	fx_free(x);
}

/* pa_of reads the m2p only below m2p_frames (the m2p is allocated to exactly
 * that size: a read past it is an ASan error), refuses stale entries, and a
 * leaf whose frame is past the m2p makes query answer PTB_E_RANGE. */
static void test_m2p_bounds(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	const struct ptb_backend_ops *o = &ptb_xen_ops;
	ptb_pa_t pa = ptb_pa(0x5000);
	for (uint64_t p = 0; p < NPFN; p += 255) {
		assert_int_equal(o->pa_of(&x->xb, ptb_frame(x->xf->p2m[p]), &pa), PTB_OK);
		assert_int_equal(pa.raw, p * PG);
	}
	uint64_t stale = 0;
	for (uint64_t m = 0; m < M2P_FRAMES; m++)
		if (x->xf->own[m] == ~0ull) {
			pa = ptb_pa(0x5000);
			assert_int_equal(o->pa_of(&x->xb, ptb_frame(m), &pa), PTB_E_RANGE);
			assert_int_equal(pa.raw, 0x5000);
			stale++;
		}
	assert_true(stale > 0);
	static const uint64_t beyond[] = { M2P_FRAMES, M2P_FRAMES + 1, NMFN - 1, NMFN, 1ull << 32,
					   (1ull << 40) - 1, ~0ull >> 12 };
	for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++) {
		pa = ptb_pa(0x5000);
		assert_int_equal(o->pa_of(&x->xb, ptb_frame(beyond[i]), &pa), PTB_E_RANGE);
		assert_int_equal(pa.raw, 0x5000);
	}
	/* frames_of: pages past nr_pages have no frame */
	ptb_frame_t fr[4];
	assert_int_equal(o->frames_of(&x->xb, ptb_pa((NPFN - 2) * PG), 2, fr), PTB_OK);
	assert_int_equal(fr[0].raw, x->xf->p2m[NPFN - 2]);
	assert_int_equal(fr[1].raw, x->xf->p2m[NPFN - 1]);
	assert_int_equal(o->frames_of(&x->xb, ptb_pa((NPFN - 2) * PG), 3, fr), PTB_E_RANGE);
	assert_int_equal(o->frames_of(&x->xb, ptb_pa(NPFN * PG), 1, fr), PTB_E_RANGE);
	/* and through a space: a leaf left pointing past the m2p */
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 2 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	struct { uint64_t mfn; unsigned idx; } probe = { 0, 7 };
	struct tables t = { .x = x };
	assert_true(xf_walk(x->xf, x->xf->base, NULL, on_table, &t) == 4);
	assert_int_equal(t.level[3], 1);
	probe.mfn = x->xf->p2m[t.pfn[3]];
	uint64_t *l1 = xf_mpage(x->xf, probe.mfn), keep = l1[probe.idx];
	struct ptb_mapping q;
	for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++) {
		xf_poke(x->xf, probe.mfn, probe.idx, (keep & ~0x000ffffffffff000ull) | (beyond[i] & 0xffffffffffull) << 12);
		assert_int_equal(ptb_space_query(&x->s, ptb_va(DM + probe.idx * PG), &q), PTB_E_RANGE);
	}
	xf_poke(x->xf, probe.mfn, probe.idx, keep);
	assert_int_equal(ptb_space_query(&x->s, ptb_va(DM + probe.idx * PG), &q), PTB_OK);
	assert_int_equal(q.pa.raw, probe.idx * PG);
	fx_free(x);
}

/* Flushes: a range of up to PTB_XEN_BATCH pages is one INVLPG per page it
 * touches, at those pages; more, or everything, is one TLB_FLUSH_LOCAL;
 * one mmuext_op call each time. */
static void test_flush(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	static const struct { uint64_t va, len, pages; } cases[] = {
		{ DM, PG, 1 }, { DM + 3 * PG, 3 * PG, 3 }, { DM + 5 * PG, 64 * PG, 64 }, { DM, 65 * PG, 0 },
		{ DM, 0, 0 }, { DM + 10 * PG, 1024 * PG, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned from = x->xf->nlog;
		uint64_t calls = x->xf->n.mmuext_calls;
		ptb_xen_ops.flush(&x->xb, ptb_va(cases[i].va), cases[i].len);
		assert_int_equal(x->xf->n.mmuext_calls, calls + 1);
		unsigned n = x->xf->nlog - from;
		if (!cases[i].pages) {
			assert_int_equal(n, 1);
			assert_int_equal(x->xf->log[from].kind, XF_EV_FLUSH);
			continue;
		}
		assert_int_equal(n, cases[i].pages);
		for (unsigned j = 0; j < n; j++) {
			assert_int_equal(x->xf->log[from + j].kind, XF_EV_INVLPG);
			assert_int_equal(x->xf->log[from + j].mfn, cases[i].va + j * PG);
		}
	}
	fx_free(x);
}

/* A space with more tables than one batch (73: 70 L1s, an L2, an L3, the
 * root), filled while unsealed (no hypercall at all). */
static void big_space(struct fx *x, struct ptb_space *b)
{
	struct ptb_space_config cfg = space_config(x);
	uint64_t traps = xf_traps(x->xf);
	assert_int_equal(ptb_space_create(b, &cfg), PTB_OK);
	for (uint64_t i = 0; i < 70; i++)
		assert_int_equal(ptb_space_map(b, ptb_va(DM + i * 2 * MiB), ptb_pa(0), 2 * MiB, PTB_ATTR_WRITE, 0),
				 PTB_OK);
	assert_int_equal(xf_traps(x->xf), traps);
}

static void list_table(void *arg, uint64_t pfn, unsigned level)
{
	struct tables *t = arg;
	if (t->n < 256) {
		t->pfn[t->n] = pfn;
		t->level[t->n] = level;
	}
	t->n++;
}

/* The tables under root, parents first (the fake's walk). */
static long tables_of(struct fx *x, ptb_pa_t root, struct tables *t, struct ptb_table_ref *refs)
{
	*t = (struct tables){ .x = x };
	long n = xf_walk(x->xf, mfn(x, root), NULL, list_table, t);
	for (long i = 0; i < n && i < 256; i++)
		refs[i] = (struct ptb_table_ref){ ptb_pa(t->pfn[i] * PG), t->level[i] };
	return n;
}

static bool all_writable(const struct xenfake *xf, uint64_t pfn)
{
	return !xf->f[pfn].tcount && xf->f[pfn].wcount == aliases(pfn); /* every alias writable, no type */
}

/* Seal of 73 tables refused at every multicall entry (or stop), for every
 * k: the space is unsealed as before (every table writable, no type); then
 * sealed in two multicalls, each table read-only exactly once. */
static void seal_refused_each(enum xf_inject kind)
{
	struct fx *x = fx_new();
	struct ptb_space b;
	struct tables t;
	struct ptb_table_ref refs[80];
	big_space(x, &b);
	assert_int_equal(tables_of(x, b.root, &t, refs), 73);
	uint64_t k, before = 0, mc = 0, uvm = 0, stat = 0;
	for (k = 1;; k++) {
		uint64_t h = xf_state_hash(x->xf, mfn(x, b.root));
		before = x->xf->n.pages_ro;
		mc = x->xf->n.multicalls;
		uvm = x->xf->n.uvm;
		stat = x->xb.stats.rw_to_ro;
		xf_inject(x->xf, kind, k);
		ptb_err_t err = ptb_space_seal(&b);
		xf_inject_off(x->xf);
		if (!err)
			break;
		assert_int_equal(err, PTB_E_REFUSED);
		assert_false(b.sealed);
		assert_int_equal(xf_state_hash(x->xf, mfn(x, b.root)), h);
		for (unsigned i = 0; i < 73; i++)
			assert_true(all_writable(x->xf, t.pfn[i]));
		assert_null(xf_audit(x->xf));
	}
	print_message("seal of 73 tables refused at each of %llu %s, undone every time\n",
		      (unsigned long long)(k - 1), kind_name[kind]);
	assert_int_equal(k - 1, 2 * 73);      /* two aliases per table */
	assert_int_equal(x->xf->n.pages_ro - before, 73);
	assert_int_equal(x->xf->n.multicalls - mc, (73 + 31) / 32); /* space.c seals in batches of 32 */
	assert_int_equal(x->xf->n.uvm - uvm, 2 * 73);
	assert_int_equal(x->xb.stats.rw_to_ro - stat, 73);
	for (unsigned i = 0; i < 73; i++)
		assert_true(xf_read_only(x->xf, t.pfn[i]) && !x->xf->f[t.pfn[i]].tcount);
	assert_int_equal(ptb_space_destroy(&b), PTB_OK); /* never pinned: retire is flips only */
	for (unsigned i = 0; i < 73; i++)
		assert_true(all_writable(x->xf, t.pfn[i]));
	fx_free(x);
}

/* Retire (through the hook, as ptboot calls it: parents first) of a pinned
 * root and its 72 tables refused at every item of every kind: [0, done) are
 * NEW (no type, writable), the rest SEALED (read-only; the root pinned again
 * when it is among them); the rest then retires. */
static void test_seal_and_retire_in_batches(void **state)
{
	(void)state;
	seal_refused_each(XF_FAIL_MC_ENTRY);
	seal_refused_each(XF_FAIL_MC_ABORT);
	struct fx *x = fx_new();
	struct ptb_space b;
	struct tables t;
	struct ptb_table_ref refs[80];
	big_space(x, &b);
	assert_int_equal(ptb_space_seal(&b), PTB_OK);
	assert_int_equal(tables_of(x, b.root, &t, refs), 73);
	unsigned from = x->xf->nlog;
	uint64_t calls = x->xf->n.mmuext_calls, a_root = mfn(x, x->s.root), b_root = mfn(x, b.root);
	assert_int_equal(ptb_space_activate(&b), PTB_OK);
	assert_int_equal(x->xf->nlog - from, 2);
	assert_int_equal(x->xf->log[from].kind, XF_EV_PIN);
	assert_int_equal(x->xf->log[from].mfn, b_root);
	assert_int_equal(x->xf->log[from + 1].kind, XF_EV_BASE);
	assert_int_equal(x->xf->log[from + 1].mfn, b_root);
	assert_int_equal(x->xf->n.mmuext_calls, calls + 1);
	for (unsigned i = 0; i < 73; i++)
		assert_int_equal(x->xf->f[t.pfn[i]].type, t.level[i]);
	assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
	assert_int_equal(x->xf->base, a_root);
	assert_true(x->xf->f[t.pfn[0]].pinned);
	const struct ptb_backend_ops *o = &ptb_xen_ops;
	static const enum xf_inject kinds[] = { XF_FAIL_EXT, XF_FAIL_MC_ENTRY, XF_FAIL_MC_ABORT };
	static const uint64_t expect[] = { 1, 1 + 2 * 73, 1 + 2 * 73 }; /* the unpin, the flips */
	for (size_t kk = 0; kk < 3; kk++) {
		uint64_t k;
		for (k = 1;; k++) {
			uint64_t h = xf_state_hash(x->xf, b_root), pins = x->xb.stats.pins;
			size_t done = 99;
			xf_inject(x->xf, kinds[kk], k);
			x->xf->nlog = from = 0; /* the log of this call only */
			ptb_err_t err = o->retire(&x->xb, refs, 73, &done);
			xf_inject_off(x->xf);
			if (!err) {
				assert_int_equal(done, 73);
				break;
			}
			assert_int_equal(err, PTB_E_REFUSED);
			/* entries: [the unpin, 2 flips x 64 tables], [2 flips x 9 tables];
			 * refused (or stopped) at entry j: the tables before j's */
			uint64_t j = k - 1;
			size_t want = kinds[kk] == XF_FAIL_EXT || j == 0 ? 0 : j <= 128 ? (j - 1) / 2 : 64 + (j - 129) / 2;
			assert_int_equal(done, want);
			for (size_t i = 0; i < 73; i++)
				assert_true(i < done ? all_writable(x->xf, t.pfn[i])
						     : xf_read_only(x->xf, t.pfn[i]));
			assert_int_equal(x->xf->f[t.pfn[0]].pinned, done == 0);
			/* the backend's pins and unpins (a repin included) net as Xen's */
			assert_int_equal(x->xb.stats.pins - x->xb.stats.unpins, x->xf->n.pins - x->xf->n.unpins);
			assert_int_equal(x->xb.npinned, done == 0 ? 2 : 1);
			assert_null(xf_audit(x->xf));
			if (done == 0) {
				assert_int_equal(xf_state_hash(x->xf, b_root), h);
			} else { /* the root was unpinned, retired, and stays so */
				bool unpinned = false;
				for (unsigned i = from; i < x->xf->nlog; i++)
					unpinned |= x->xf->log[i].kind == XF_EV_UNPIN && x->xf->log[i].mfn == b_root;
				assert_true(unpinned);
				assert_int_equal(x->xb.stats.pins, pins);
			}
			size_t rest = 0;
			assert_int_equal(o->retire(&x->xb, refs + done, 73 - done, &rest), PTB_OK);
			assert_int_equal(rest, 73 - done);
			for (size_t i = 0; i < 73; i++)
				assert_true(all_writable(x->xf, t.pfn[i]));
			assert_int_equal(x->xb.npinned, 1);
			/* seal (children first) and pin again for the next k */
			struct ptb_table_ref rev[80];
			for (size_t i = 0; i < 73; i++)
				rev[i] = refs[72 - i];
			assert_int_equal(o->seal(&x->xb, rev, 73, &rest), PTB_OK);
			assert_int_equal(ptb_xen_pin_root(&x->xb, b.root), PTB_OK);
			assert_int_equal(xf_state_hash(x->xf, b_root), h);
		}
		print_message("retire of 73 tables (a pinned root) refused at each of %llu %s, contract kept\n",
			      (unsigned long long)(k - 1), kind_name[kinds[kk]]);
		assert_int_equal(k - 1, expect[kk]);
		/* the successful retire: the unpin first, then each table writable once */
		unsigned unpin_at = 0, rw = 0;
		for (unsigned i = from; i < x->xf->nlog; i++) {
			const struct xf_event *e = &x->xf->log[i];
			if (e->kind == XF_EV_UNPIN) {
				assert_int_equal(e->mfn, b_root);
				assert_int_equal(unpin_at, 0);
				unpin_at = i + 1;
			} else {
				assert_int_equal(e->kind, XF_EV_RW);
				assert_true(unpin_at != 0);
				rw++;
			}
		}
		assert_int_equal(rw, 73);
		assert_false(x->xf->f[t.pfn[0]].pinned);
		if (kk < 2) {
			size_t rest;
			struct ptb_table_ref rev[80];
			for (size_t i = 0; i < 73; i++)
				rev[i] = refs[72 - i];
			assert_int_equal(o->seal(&x->xb, rev, 73, &rest), PTB_OK);
			assert_int_equal(ptb_xen_pin_root(&x->xb, b.root), PTB_OK);
		}
	}
	/* the seal hook, children first, refused at every entry: [0, done)
	 * read-only everywhere, the rest as they were */
	struct ptb_table_ref rev[80];
	for (size_t i = 0; i < 73; i++)
		rev[i] = refs[72 - i];
	for (size_t kk = 1; kk < 3; kk++)
		for (uint64_t k = 1; k <= 2 * 73; k++) {
			uint64_t h = xf_state_hash(x->xf, b_root);
			size_t done = 99, back = 0;
			xf_inject(x->xf, kinds[kk], k);
			assert_int_equal(o->seal(&x->xb, rev, 73, &done), PTB_E_REFUSED);
			xf_inject_off(x->xf);
			uint64_t j = k - 1;
			assert_int_equal(done, j < 128 ? j / 2 : 64 + (j - 128) / 2);
			for (size_t i = 0; i < 73; i++)
				assert_true(i < done ? xf_read_only(x->xf, rev[i].pa.raw / PG)
						     : all_writable(x->xf, rev[i].pa.raw / PG));
			assert_int_equal(o->retire(&x->xb, rev, done, &back), PTB_OK);
			assert_int_equal(back, done);
			assert_int_equal(xf_state_hash(x->xf, b_root), h);
		}
	/* B is gone by hand: its pages back to the allocator (checked NEW) */
	for (size_t i = 0; i < 73; i++)
		page_free(x, refs[i].pa);
	fx_free(x);
}

/* Retire of a pinned root together with a table outside its tree (sealed,
 * linked nowhere: retire's Pre allows it) with the unpin refused: the
 * table's flips went through and are undone; the root was never unpinned
 * and must stay pinned in the backend's own list too, so that the next
 * retire unpins it (a repin of a pinned root is refused by Xen). */
static void test_retire_unpin_refused_with_other_table(void **state)
{
	(void)state;
	static const enum xf_inject kinds[] = { XF_FAIL_EXT, XF_FAIL_MC_ENTRY };
	for (size_t kk = 0; kk < 2; kk++) {
		struct fx *x = fx_new();
		struct ptb_space b;
		second_space(x, &b);
		assert_int_equal(ptb_space_activate(&b), PTB_OK);
		assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
		/* the root alone: its tree's other tables retired with it later */
		const struct ptb_backend_ops *o = &ptb_xen_ops;
		ptb_pa_t other = ptb_pa(0);
		size_t done = 99;
		assert_int_equal(page_alloc(x, &other), PTB_OK);
		memset(xf_page(x->xf, other.raw / PG), 0, PG);
		struct ptb_table_ref one = { other, 1 };
		assert_int_equal(o->seal(&x->xb, &one, 1, &done), PTB_OK);
		struct tables t;
		struct ptb_table_ref refs[8];
		assert_int_equal(tables_of(x, b.root, &t, refs), 5);
		struct ptb_table_ref two[2] = { refs[0], one };
		uint64_t h = xf_state_hash(x->xf, mfn(x, b.root));
		unsigned npinned = x->xb.npinned;
		xf_inject(x->xf, kinds[kk], 1); /* the unpin */
		assert_int_equal(o->retire(&x->xb, two, 2, &done), PTB_E_REFUSED);
		xf_inject_off(x->xf);
		assert_int_equal(done, 0);
		assert_true(x->xf->f[b.root.raw / PG].pinned);
		assert_true(xf_read_only(x->xf, other.raw / PG));
		assert_int_equal(xf_state_hash(x->xf, mfn(x, b.root)), h);
		assert_int_equal(x->xb.npinned, npinned); /* the backend knows it is pinned */
		assert_null(xf_audit(x->xf));
		/* and now it retires: unpinned, every table writable */
		assert_int_equal(o->retire(&x->xb, two, 2, &done), PTB_OK);
		assert_int_equal(o->retire(&x->xb, refs + 1, 4, &done), PTB_OK);
		assert_false(x->xf->f[b.root.raw / PG].pinned);
		assert_int_equal(x->xb.npinned, npinned - 1);
		page_free(x, other);
		for (size_t i = 0; i < 5; i++)
			page_free(x, refs[i].pa);
		fx_free(x);
	}
}

/* The hooks' edges: no allocator, pages without a machine frame in seal,
 * retire and write_live (refused where they start, the items before them
 * done), activate's checks, the user base pointer, and the windows and
 * access switched at the first activate. */
static void test_hook_edges(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	const struct ptb_backend_ops *o = &ptb_xen_ops;
	ptb_pa_t pa = ptb_pa(0x7000);
	/* no allocator: NOMEM, pa untouched; no free hook: nothing happens */
	struct ptb_xen bare = x->xb;
	bare.page_alloc = NULL;
	bare.page_free = NULL;
	assert_int_equal(o->alloc_table(&bare, 1, &pa), PTB_E_NOMEM);
	assert_int_equal(pa.raw, 0x7000);
	o->free_table(&bare, ptb_pa(POOL_LO * PG), 1);
	/* kernel image pages are at image_va, the others at access + pa */
	bare.image_pa = 100 * PG;
	bare.image_len = 2 * PG;
	bare.image_va = 0x40000000;
	assert_ptr_equal(o->table_ptr(&bare, ptb_pa(100 * PG)), (void *)0x40000000);
	assert_ptr_equal(o->table_ptr(&bare, ptb_pa(101 * PG)), (void *)(0x40000000 + PG));
	assert_ptr_equal(o->table_ptr(&bare, ptb_pa(102 * PG)), x->xf->phys + 102 * PG);
	assert_ptr_equal(o->table_ptr(&bare, ptb_pa(99 * PG)), x->xf->phys + 99 * PG);
	assert_int_equal(o->alloc_table(&x->xb, 2, &pa), PTB_OK);
	assert_int_equal(x->outstanding, 2);
	assert_true(pa.raw >= POOL_LO * PG && pa.raw < NPFN * PG);
	assert_ptr_equal(o->table_ptr(&x->xb, pa), xf_page(x->xf, pa.raw / PG));
	assert_int_equal(o->table_window(&x->xb), (uintptr_t)x->xf->phys);
	memset(xf_page(x->xf, pa.raw / PG), 0, PG);
	/* seal and retire: a table past nr_pages stops the batch there */
	const struct ptb_table_ref three[3] = { { pa, 1 }, { ptb_pa(NPFN * PG), 1 }, { ptb_pa(0), 1 } };
	uint64_t refusals = x->xb.stats.refusals;
	size_t done = 99;
	assert_int_equal(o->seal(&x->xb, three, 3, &done), PTB_E_REFUSED);
	assert_int_equal(done, 1);
	assert_int_equal(x->xb.stats.last_error, -22);
	assert_int_equal(x->xb.stats.refusals, refusals + 1);
	assert_true(xf_read_only(x->xf, pa.raw / PG));
	assert_false(xf_read_only(x->xf, 0));
	x->xb.stats.last_error = 0;
	assert_int_equal(o->retire(&x->xb, three, 3, &done), PTB_E_REFUSED);
	assert_int_equal(done, 1);
	assert_int_equal(x->xb.stats.last_error, -22);
	assert_int_equal(x->xb.stats.refusals, refusals + 2);
	assert_true(all_writable(x->xf, pa.raw / PG));
	/* write_live: an entry of a page without a frame, after two good ones */
	assert_int_equal(o->seal(&x->xb, three, 1, &done), PTB_OK);
	uint64_t e0 = (x->xf->p2m[5] << 12) | 1, e1 = (x->xf->p2m[6] << 12) | 1 | (1ull << 63);
	const struct ptb_live_write w[3] = {
		{ ptb_pa(pa.raw + 8 * 3), e0, 1 }, { ptb_pa(pa.raw + 8 * 511), e1, 1 },
		{ ptb_pa(NPFN * PG + 16), e0, 1 },
	};
	uint64_t calls = x->xf->n.mmu_update_calls;
	assert_int_equal(o->write_live(&x->xb, w, 3, &done), PTB_E_REFUSED);
	assert_int_equal(done, 2);
	assert_int_equal(x->xf->n.mmu_update_calls, calls + 1);
	assert_int_equal(xf_page(x->xf, pa.raw / PG)[3], e0);
	assert_int_equal(xf_page(x->xf, pa.raw / PG)[511], e1);
	assert_int_equal(o->write_live(&x->xb, w + 2, 1, &done), PTB_E_REFUSED);
	assert_int_equal(done, 0);
	assert_int_equal(x->xf->n.mmu_update_calls, calls + 1); /* nothing to send */
	done = 99;
	assert_int_equal(o->write_live(&x->xb, w, 2, &done), PTB_OK);
	assert_int_equal(done, 2);
	/* a refused item: done says how far Xen went */
	xf_inject(x->xf, XF_FAIL_UPDATE, 2);
	assert_int_equal(o->write_live(&x->xb, w, 2, &done), PTB_E_REFUSED);
	xf_inject_off(x->xf);
	assert_int_equal(done, 1);
	assert_int_equal(o->retire(&x->xb, three, 1, &done), PTB_OK);
	page_free(x, pa);
	/* activate: only an L4, only a page with a frame */
	struct ptb_space u;
	struct ptb_space_config cfg = space_config(x);
	assert_int_equal(ptb_space_create(&u, &cfg), PTB_OK);
	assert_int_equal(ptb_space_seal(&u), PTB_OK);
	assert_int_equal(o->activate(&x->xb, u.root, 3), PTB_E_INVAL);
	x->xb.stats.last_error = 0;
	assert_int_equal(o->activate(&x->xb, ptb_pa(NPFN * PG), 4), PTB_E_REFUSED);
	assert_int_equal(x->xb.stats.last_error, -22);
	assert_int_equal(x->xf->base, mfn(x, x->s.root));
	/* the user base pointer: refused while the root is not pinned, then
	 * pinned and set; and pin_root of a page without a frame */
	uint64_t pins = x->xb.stats.pins;
	assert_int_equal(ptb_xen_set_user_root(&x->xb, u.root), PTB_E_REFUSED);
	x->xb.stats.last_error = 0;
	assert_int_equal(ptb_xen_set_user_root(&x->xb, ptb_pa(NPFN * PG)), PTB_E_REFUSED);
	assert_int_equal(x->xb.stats.last_error, -22);
	x->xb.stats.last_error = 0;
	assert_int_equal(ptb_xen_pin_root(&x->xb, ptb_pa(NPFN * PG)), PTB_E_REFUSED);
	assert_int_equal(x->xb.stats.last_error, -22);
	assert_int_equal(ptb_xen_pin_root(&x->xb, u.root), PTB_OK);
	assert_int_equal(x->xb.stats.pins, pins + 1);
	assert_int_equal(x->xb.npinned, 2);
	assert_int_equal(x->xb.pinned[1].raw, u.root.raw);
	assert_true(x->xf->f[u.root.raw / PG].pinned);
	assert_int_equal(ptb_xen_pin_root(&x->xb, u.root), PTB_E_REFUSED); /* Xen: pinned already */
	assert_int_equal(x->xb.npinned, 2);
	assert_int_equal(ptb_xen_set_user_root(&x->xb, u.root), PTB_OK);
	assert_int_equal(x->xf->user_base, mfn(x, u.root));
	/* four pinned roots are all the backend keeps */
	x->xb.npinned = 4;
	assert_int_equal(ptb_xen_pin_root(&x->xb, ptb_pa(0)), PTB_E_INVAL);
	x->xb.npinned = 2;
	assert_null(xf_audit(x->xf));
	xf_delete(x->xf); /* u stays pinned and the user base: not torn down */
	free(x);
}

/* The first activate with switch_after moves the backend to the access
 * window and aliases it was given for after the switch, once. */
static void test_switch_after(void **state)
{
	(void)state;
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->xf = xf_new(NPFN, NMFN, M2P_FRAMES, 9);
	xf_set_windows(x->xf, windows, 2);
	for (uint64_t p = POOL_LO; p < NPFN; p++)
		x->free_pages[x->nfree++] = p;
	const uintptr_t after = (uintptr_t)x->xf->phys; /* the same pages (a direct map) */
	x->xb = (struct ptb_xen){
		.hc = xf_transport(x->xf), .p2m = x->xf->p2m, .nr_pages = NPFN,
		.m2p = x->xf->m2p, .m2p_frames = M2P_FRAMES,
		.access = after, .access_after = after, .switch_after = true,
		.win = { windows[0], windows[1] }, .nwin = 2,
		.win_after = { windows[1], windows[0], { 1, 2, 3 } }, .nwin_after = 2,
		.page_alloc = page_alloc, .page_free = page_free, .page_arg = x,
	};
	ptb_checked_init(&x->chk, ptb_xen_backend(&x->xb), &ptb_format_x86_64_4level, x->slots, NSLOTS);
	x->chk.on_violation = violation;
	struct ptb_space_config cfg = space_config(x);
	assert_int_equal(ptb_space_create(&x->s, &cfg), PTB_OK);
	assert_int_equal(ptb_space_map(&x->s, ptb_va(DM), ptb_pa(0), 4 * MiB, PTB_ATTR_WRITE, 0), PTB_OK);
	assert_int_equal(ptb_space_seal(&x->s), PTB_OK);
	x->xb.access_after = after ^ 1; /* to see that it was taken */
	assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
	assert_false(x->xb.switch_after);
	assert_int_equal(x->xb.access, after ^ 1);
	assert_int_equal(x->xb.nwin, 2);
	assert_int_equal(x->xb.win[0].va, ALIAS1);
	assert_int_equal(x->xb.win[1].va, ALIAS0);
	assert_int_equal(x->xb.win[1].pa_hi, NPFN * PG);
	x->xb.access = after;
	x->xb.access_after = after ^ 1;
	x->xb.nwin_after = 1;
	/* a second activate switches nothing */
	assert_int_equal(ptb_space_activate(&x->s), PTB_OK);
	assert_int_equal(x->xb.access, after);
	assert_int_equal(x->xb.nwin, 2);
	/* and the swapped aliases still flip both: unmap retires writable */
	assert_int_equal(ptb_space_unmap(&x->s, ptb_va(DM), 4 * MiB), PTB_OK);
	same_counts(x);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_is_batched),
		cmocka_unit_test(test_refusal_of_every_item_rolls_back),
		cmocka_unit_test(test_activate_refused_and_back),
		cmocka_unit_test(test_m2p_bounds),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_seal_and_retire_in_batches),
		cmocka_unit_test(test_retire_unpin_refused_with_other_table),
		cmocka_unit_test(test_hook_edges),
		cmocka_unit_test(test_switch_after),
	};
	return cmocka_run_group_tests_name("xen backend on a fake Xen", tests, NULL, NULL);
}
