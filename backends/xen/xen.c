/* SPDX-License-Identifier: MIT */
/* The Xen PV backend (see ptb_xen.h). */
#include "ptb_xen.h"
#include <ptboot/format.h>

#define INVALID_MFN (~0ull)
#define PTE_RW (1ull << 1) /* x86 leaf: writable */

static struct ptb_xen *xen(void *ctx)
{
	return ctx;
}

static ptb_err_t refused(struct ptb_xen *x, long rc)
{
	x->stats.refusals++;
	x->stats.last_error = rc;
	return PTB_E_REFUSED;
}

static uint64_t mfn_of(const struct ptb_xen *x, uint64_t pa)
{
	uint64_t pfn = pa >> PTB_PAGE_SHIFT;
	return pfn < x->nr_pages ? x->p2m[pfn] : INVALID_MFN;
}

static ptb_err_t xen_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct ptb_xen *x = xen(ctx);
	(void)level;
	return x->page_alloc ? x->page_alloc(x->page_arg, pa) : PTB_E_NOMEM;
}

static void xen_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct ptb_xen *x = xen(ctx);
	(void)level;
	if (x->page_free)
		x->page_free(x->page_arg, pa);
}

static uint64_t *xen_table_ptr(void *ctx, ptb_pa_t pa)
{
	struct ptb_xen *x = xen(ctx);
	if (pa.raw - x->image_pa < x->image_len)
		return (uint64_t *)(x->image_va + (pa.raw - x->image_pa));
	return (uint64_t *)(x->access + pa.raw);
}

static ptb_err_t xen_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	struct ptb_xen *x = xen(ctx);
	for (size_t i = 0; i < n; i++) {
		uint64_t mfn = mfn_of(x, pa.raw + i * PTB_PAGE_SIZE);
		if (mfn == INVALID_MFN)
			return PTB_E_RANGE;
		out[i] = ptb_frame(mfn);
	}
	return PTB_OK;
}

static ptb_err_t xen_pa_of(void *ctx, ptb_frame_t fr, ptb_pa_t *pa)
{
	struct ptb_xen *x = xen(ctx);
	/* Past the end of the m2p there is nothing to read (a fault under Xen). */
	if (fr.raw >= x->m2p_frames)
		return PTB_E_RANGE;
	uint64_t pfn = x->m2p[fr.raw];
	/* The m2p holds stale entries for frames that are not ours. */
	if (pfn >= x->nr_pages || x->p2m[pfn] != fr.raw)
		return PTB_E_RANGE;
	*pa = ptb_pfn_to_pa(pfn);
	return PTB_OK;
}

/* The 4K leaf mapping a page as data, read-only or writable, NX. */
static uint64_t alias_pte(uint64_t mfn, bool writable)
{
	static const struct ptb_encoding enc = { &ptb_format_x86_64_4level, &ptb_pat_xen, true };
	uint64_t e = 0;
	ptb_err_t err = ptb_format_leaf(&enc, 1, ptb_frame(mfn), writable ? PTB_ATTR_WRITE : 0, &e);
	(void)err; /* cannot fail: known attributes, mfn < 2^40 */
	return e;
}

/* Queue update_va_mapping for every alias of pa; returns entries added. */
static unsigned queue_flips(struct ptb_xen *x, unsigned at, uint64_t pa, bool writable)
{
	unsigned n = 0;
	for (unsigned w = 0; w < x->nwin; w++) {
		const struct ptb_xen_window *win = &x->win[w];
		if (pa < win->pa_lo || pa >= win->pa_hi)
			continue;
		struct ptb_xen_multicall *m = &x->mc[at + n++];
		*m = (struct ptb_xen_multicall){ .op = PTB_XEN_HC_UPDATE_VA_MAPPING, .result = PTB_XEN_MC_NOT_RUN };
		m->args[0] = win->va + (pa - win->pa_lo);
		m->args[1] = alias_pte(mfn_of(x, pa), writable);
		m->args[2] = 0; /* no flush: Xen flushes when the page's type changes */
	}
	return n;
}

/* Run the queued multicall.  Xen runs every entry even after one is
 * refused, so success is read entry by entry; *first_bad: the first entry
 * that did not succeed (n when all did). */
static ptb_err_t run_multicall(struct ptb_xen *x, unsigned at, unsigned n, unsigned *first_bad)
{
	*first_bad = n;
	if (!n)
		return PTB_OK;
	struct ptb_xen_multicall *mc = x->mc + at;
	long rc = x->hc.ops->multicall(x->hc.ctx, mc, n);
	x->stats.multicalls++;
	x->stats.multicall_entries += n;
	for (unsigned i = 0; i < n; i++)
		if (mc[i].result) {
			*first_bad = i;
			return refused(x, rc ? rc : (long)mc[i].result);
		}
	return rc ? refused(x, rc) : PTB_OK;
}

/* After a failed flip multicall: flip back every alias in [from, to) that
 * Xen did flip, so the tables from the failed one on are as they were.  The
 * entries are gathered from mc[base] on (base <= from): the `base` entries
 * before them (retire's unpin) keep their results for the caller. */
static void unflip(struct ptb_xen *x, unsigned base, unsigned from, unsigned to)
{
	unsigned n = 0, bad;
	for (unsigned i = from; i < to; i++) {
		if (x->mc[i].result)
			continue;
		struct ptb_xen_multicall *m = &x->mc[base + n++];
		*m = x->mc[i];
		m->result = PTB_XEN_MC_NOT_RUN;
		m->args[1] ^= PTE_RW; /* the other way */
	}
	long last = x->stats.last_error;
	if (run_multicall(x, base, n, &bad)) /* Xen allows these: nothing left to try */
		return;
	x->stats.last_error = last; /* keep the answer that mattered */
}

/* Flip the aliases of up to PTB_XEN_BATCH tables in one multicall after
 * `prefix` queued entries; the entries of table i start at start[i], so a
 * failure maps back to a table.  *done: tables before the first failure;
 * the rest are left as they were. */
static ptb_err_t flip(struct ptb_xen *x, const struct ptb_table_ref *t, size_t n, size_t *done,
		      bool writable, unsigned prefix)
{
	unsigned start[PTB_XEN_BATCH + 1], at = prefix, bad;
	for (size_t i = 0; i < n; i++) {
		start[i] = at;
		at += queue_flips(x, at, t[i].pa.raw, writable);
	}
	start[n] = at;
	ptb_err_t err = run_multicall(x, 0, at, &bad);
	size_t ok = n;
	if (err) {
		bool prefix_failed = false;
		for (unsigned i = 0; i < prefix; i++)
			prefix_failed |= x->mc[i].result != 0;
		for (ok = 0; !prefix_failed && ok < n && start[ok + 1] <= bad; ok++)
			;
		unflip(x, prefix, start[ok], at);
	}
	*done = ok;
	if (writable)
		x->stats.ro_to_rw += ok;
	else
		x->stats.rw_to_ro += ok;
	return err;
}

/* A table page without a machine frame cannot be a table under Xen:
 * the number of tables before the first such one. */
static size_t with_frames(const struct ptb_xen *x, const struct ptb_table_ref *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mfn_of(x, t[i].pa.raw) == INVALID_MFN)
			return i;
	return n;
}

static ptb_err_t xen_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_xen *x = xen(ctx);
	size_t total = 0, good = with_frames(x, t, n);
	while (total < good) {
		size_t part = good - total > PTB_XEN_BATCH ? PTB_XEN_BATCH : good - total, ok;
		ptb_err_t err = flip(x, t + total, part, &ok, false, 0);
		total += ok;
		if (err) {
			*done = total;
			return err;
		}
	}
	*done = total;
	return good == n ? PTB_OK : refused(x, -22 /* EINVAL, as Xen would say */);
}

static bool take_pin(struct ptb_xen *x, ptb_pa_t pa)
{
	for (unsigned i = 0; i < x->npinned; i++)
		if (x->pinned[i].raw == pa.raw) {
			x->pinned[i] = x->pinned[--x->npinned];
			return true;
		}
	return false;
}

static ptb_err_t mmuext(struct ptb_xen *x, unsigned n, unsigned *done)
{
	*done = 0;
	long rc = x->hc.ops->mmuext_op(x->hc.ctx, x->ext, n, done);
	x->stats.mmuext_calls++;
	x->stats.mmuext_ops += n;
	return rc ? refused(x, rc) : PTB_OK;
}

/* Pin a root again after a failed retire unpinned it (its tables are as
 * they were: Xen validates them as it did the first time). */
static void repin(struct ptb_xen *x, ptb_pa_t root)
{
	unsigned done;
	long last = x->stats.last_error;
	x->ext[0] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_PIN_L4, .arg1 = mfn_of(x, root.raw) };
	if (mmuext(x, 1, &done) == PTB_OK) {
		x->pinned[x->npinned++] = root;
		x->stats.pins++;
	}
	x->stats.last_error = last;
}

/* Retire up to PTB_XEN_BATCH tables in one multicall: the unpins of pinned
 * roots first (one mmuext_op entry), then the writable flips; ptboot
 * retires parents first, so a pinned root is unpinned before its children
 * are made writable.  On failure every table from the failed one on is
 * put back: flips undone, roots pinned again. */
static ptb_err_t retire_batch(struct ptb_xen *x, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	unsigned nunpin = 0, ran = 0;
	uint8_t which[PTB_XEN_BATCH]; /* table index of each unpin */
	for (size_t i = 0; i < n; i++)
		if (take_pin(x, t[i].pa)) {
			which[nunpin] = (uint8_t)i;
			x->ext[nunpin++] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_UNPIN,
								       .arg1 = mfn_of(x, t[i].pa.raw) };
		}
	unsigned prefix = 0;
	if (nunpin) {
		x->mc[0] = (struct ptb_xen_multicall){ .op = PTB_XEN_HC_MMUEXT_OP, .result = PTB_XEN_MC_NOT_RUN,
			.args = { (uint64_t)(uintptr_t)x->ext, nunpin, (uint64_t)(uintptr_t)&ran, PTB_XEN_DOMID_SELF } };
		prefix = 1;
		x->stats.mmuext_ops += nunpin;
	}
	ptb_err_t err = flip(x, t, n, done, true, prefix);
	if (prefix && x->mc[0].result == 0)
		ran = nunpin;
	if (prefix && x->mc[0].result == PTB_XEN_MC_NOT_RUN)
		ran = 0;
	x->stats.unpins += ran;
	for (unsigned u = 0; u < nunpin; u++) {
		if (which[u] < *done)
			continue;       /* retired: stays unpinned */
		if (u < ran)
			repin(x, t[which[u]].pa);
		else
			x->pinned[x->npinned++] = t[which[u]].pa; /* never unpinned */
	}
	return err;
}

static ptb_err_t xen_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_xen *x = xen(ctx);
	size_t total = 0, good = with_frames(x, t, n);
	while (total < good) {
		size_t part = good - total > PTB_XEN_BATCH ? PTB_XEN_BATCH : good - total, ok;
		ptb_err_t err = retire_batch(x, t + total, part, &ok);
		total += ok;
		if (err) {
			*done = total;
			return err;
		}
	}
	*done = total;
	return good == n ? PTB_OK : refused(x, -22);
}

static ptb_err_t xen_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct ptb_xen *x = xen(ctx);
	size_t total = 0;
	while (total < n) {
		unsigned part = n - total > PTB_XEN_BATCH ? PTB_XEN_BATCH : (unsigned)(n - total), ok = 0;
		for (unsigned i = 0; i < part; i++) {
			uint64_t pa = w[total + i].entry_pa.raw, mfn = mfn_of(x, pa);
			if (mfn == INVALID_MFN) {
				part = i; /* write those before it, then refuse */
				break;
			}
			x->upd[i] = (struct ptb_xen_mmu_update){
				(mfn << PTB_PAGE_SHIFT) | (pa & (PTB_PAGE_SIZE - 1)), w[total + i].val };
		}
		if (!part) {
			*done = total;
			return refused(x, -22);
		}
		long rc = x->hc.ops->mmu_update(x->hc.ctx, x->upd, part, &ok);
		x->stats.mmu_update_calls++;
		x->stats.mmu_update_entries += part;
		if (rc) {
			*done = total + (ok < part ? ok : 0);
			return refused(x, rc);
		}
		total += part;
	}
	*done = total;
	return PTB_OK;
}

static bool is_pinned(const struct ptb_xen *x, ptb_pa_t pa)
{
	for (unsigned i = 0; i < x->npinned; i++)
		if (x->pinned[i].raw == pa.raw)
			return true;
	return false;
}

static ptb_err_t xen_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct ptb_xen *x = xen(ctx);
	/* A root activated before (and not retired since) is pinned still:
	 * Xen refuses to pin it twice, so switch to it only. */
	bool pin = !is_pinned(x, root);
	if (level != 4 || (pin && x->npinned == 4))
		return PTB_E_INVAL;
	uint64_t mfn = mfn_of(x, root.raw);
	if (mfn == INVALID_MFN)
		return refused(x, -22);
	unsigned done, n = 0;
	if (pin)
		x->ext[n++] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_PIN_L4, .arg1 = mfn };
	x->ext[n++] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_NEW_BASEPTR, .arg1 = mfn };
	ptb_err_t err = mmuext(x, n, &done);
	if (err) {
		if (pin && done == 1) { /* pinned but not switched to: leave nothing pinned */
			long last = x->stats.last_error;
			x->ext[0] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_UNPIN, .arg1 = mfn };
			(void)mmuext(x, 1, &done);
			x->stats.last_error = last;
		}
		return err;
	}
	if (pin) {
		x->pinned[x->npinned++] = root;
		x->stats.pins++;
	}
	if (x->switch_after) {
		x->access = x->access_after;
		for (unsigned i = 0; i < x->nwin_after; i++)
			x->win[i] = x->win_after[i];
		x->nwin = x->nwin_after;
		x->switch_after = false;
	}
	return PTB_OK;
}

static void xen_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct ptb_xen *x = xen(ctx);
	/* every page the range touches, not len / 4K of them */
	uint64_t first = va.raw & ~(PTB_PAGE_SIZE - 1);
	uint64_t pages = len ? ((va.raw + len - 1) & ~(PTB_PAGE_SIZE - 1)) / PTB_PAGE_SIZE - first / PTB_PAGE_SIZE + 1 : 0;
	unsigned n = 0, done;
	if (len == 0 || pages > PTB_XEN_BATCH) {
		x->ext[n++] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_TLB_FLUSH_LOCAL };
	} else {
		for (uint64_t i = 0; i < pages; i++)
			x->ext[n++] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_INVLPG_LOCAL,
								  .arg1 = first + i * PTB_PAGE_SIZE };
	}
	(void)mmuext(x, n, &done); /* Xen cannot refuse a local flush */
}

ptb_err_t ptb_xen_pin_root(struct ptb_xen *x, ptb_pa_t root)
{
	unsigned done;
	uint64_t mfn = mfn_of(x, root.raw);
	if (x->npinned == 4)
		return PTB_E_INVAL;
	if (mfn == INVALID_MFN)
		return refused(x, -22);
	x->ext[0] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_PIN_L4, .arg1 = mfn };
	ptb_err_t err = mmuext(x, 1, &done);
	if (!err) {
		x->pinned[x->npinned++] = root;
		x->stats.pins++;
	}
	return err;
}

ptb_err_t ptb_xen_set_user_root(struct ptb_xen *x, ptb_pa_t root)
{
	unsigned done;
	uint64_t mfn = mfn_of(x, root.raw);
	if (mfn == INVALID_MFN)
		return refused(x, -22);
	x->ext[0] = (struct ptb_xen_mmuext_op){ .cmd = PTB_XEN_MMUEXT_NEW_USER_BASEPTR, .arg1 = mfn };
	return mmuext(x, 1, &done);
}

static uintptr_t xen_window(void *ctx)
{
	return xen(ctx)->access;
}

const struct ptb_backend_ops ptb_xen_ops = {
	.flags = 0,
	.alloc_table = xen_alloc,
	.free_table = xen_free,
	.table_ptr = xen_table_ptr,
	.table_window = xen_window,
	.frames_of = xen_frames_of,
	.pa_of = xen_pa_of,
	.seal = xen_seal,
	.retire = xen_retire,
	.write_live = xen_write_live,
	.activate = xen_activate,
	.flush = xen_flush,
};
