/* SPDX-License-Identifier: MIT */
/* A fake Xen applying its own model of Xen's page-type rules (xenfake.h). */
#include "xenfake.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PG 4096u
#define P_ (1ull << 0)
#define RW_ (1ull << 1)
#define PSE_ (1ull << 7)
#define NX_ (1ull << 63)
#define FRAME_MASK 0x000ffffffffff000ull
#define NONE (~0ull)
#define EINVAL_ (-22)
#define EBUSY_ (-16)
#define EFAULT_ (-14)
#define ENOSYS_ (-38)

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

struct xenfake *xf_new(uint64_t npfn, uint64_t nmfn, uint64_t m2p_frames, uint64_t seed)
{
	struct xenfake *xf = calloc(1, sizeof(*xf));
	if (!xf || npfn > nmfn || m2p_frames > nmfn)
		return NULL;
	xf->npfn = npfn;
	xf->nmfn = nmfn;
	xf->m2p_frames = m2p_frames;
	xf->phys = aligned_alloc(PG, npfn * PG);
	xf->shadow = aligned_alloc(PG, npfn * PG);
	xf->p2m = malloc(npfn * sizeof(uint64_t));
	/* the m2p ends where an inaccessible page starts: a read past it
	 * faults in every build, not only under ASan */
	size_t m2p_bytes = m2p_frames * sizeof(uint64_t), m2p_pages = (m2p_bytes + PG - 1) / PG;
	xf->m2p_map_len = (m2p_pages + 1) * PG;
	xf->m2p_map = mmap(NULL, xf->m2p_map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (xf->m2p_map == MAP_FAILED || mprotect((char *)xf->m2p_map + m2p_pages * PG, PG, PROT_NONE))
		abort();
	xf->m2p = (uint64_t *)((char *)xf->m2p_map + m2p_pages * PG - m2p_bytes);
	xf->own = malloc(nmfn * sizeof(uint64_t));
	xf->f = calloc(npfn, sizeof(*xf->f));
	xf->tc = malloc(npfn * sizeof(uint32_t));
	xf->wc = malloc(npfn * sizeof(uint32_t));
	uint64_t *perm = malloc(nmfn * sizeof(uint64_t));
	if (!xf->phys || !xf->shadow || !xf->p2m || !xf->own || !xf->f || !xf->tc || !xf->wc || !perm)
		abort();
	/* garbage, as pages a domain gets are not cleared */
	for (uint64_t i = 0; i < npfn * PG / 8; i++)
		((uint64_t *)xf->phys)[i] = mix(seed + i) | P_;
	/* frames of the guest: a seeded choice of npfn frames below m2p_frames
	 * (all of them when npfn >= m2p_frames), in scrambled order */
	uint64_t lim = m2p_frames >= npfn ? m2p_frames : nmfn;
	for (uint64_t i = 0; i < lim; i++)
		perm[i] = i;
	for (uint64_t i = lim - 1; i > 0; i--) {
		uint64_t j = mix(seed ^ (i * 0x9e3779b97f4a7c15ull)) % (i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint64_t m = 0; m < nmfn; m++)
		xf->own[m] = NONE;
	for (uint64_t p = 0; p < npfn; p++) {
		xf->p2m[p] = perm[p];
		xf->own[perm[p]] = p;
	}
	/* the guest's m2p: right for its frames, stale (some pfn) for others */
	for (uint64_t m = 0; m < m2p_frames; m++)
		xf->m2p[m] = xf->own[m] != NONE ? xf->own[m] : mix(seed + m) % npfn;
	free(perm);
	xf->base = xf->user_base = NONE;
	return xf;
}

void xf_delete(struct xenfake *xf)
{
	if (!xf)
		return;
	for (unsigned w = 0; w < xf->nwin; w++)
		free(xf->alias[w]);
	free(xf->phys);
	free(xf->shadow);
	free(xf->p2m);
	munmap(xf->m2p_map, xf->m2p_map_len);
	free(xf->own);
	free(xf->f);
	free(xf->tc);
	free(xf->wc);
	free(xf);
}

uint64_t *xf_page(struct xenfake *xf, uint64_t pfn)
{
	return (uint64_t *)(xf->phys + pfn * PG);
}

static uint64_t pfn_of_mfn(const struct xenfake *xf, uint64_t mfn)
{
	return mfn < xf->nmfn ? xf->own[mfn] : NONE;
}

uint64_t *xf_mpage(struct xenfake *xf, uint64_t mfn)
{
	uint64_t pfn = pfn_of_mfn(xf, mfn);
	return pfn == NONE ? NULL : xf_page(xf, pfn);
}

static uint64_t alias_pte(const struct xenfake *xf, uint64_t pfn, bool rw)
{
	return (xf->p2m[pfn] << 12) | P_ | NX_ | (rw ? RW_ : 0);
}

/* every alias of pfn and how many are writable */
static void alias_count(const struct xenfake *xf, uint64_t pfn, unsigned *all, unsigned *rw)
{
	*all = *rw = 0;
	for (unsigned w = 0; w < xf->nwin; w++) {
		uint64_t lo = xf->win[w].pa_lo / PG, hi = xf->win[w].pa_hi / PG;
		if (pfn < lo || pfn >= hi)
			continue;
		++*all;
		*rw += (xf->alias[w][pfn - lo] & RW_) != 0;
	}
}

bool xf_read_only(const struct xenfake *xf, uint64_t pfn)
{
	unsigned all, rw;
	alias_count(xf, pfn, &all, &rw);
	return all && !rw;
}

void xf_set_windows(struct xenfake *xf, const struct ptb_xen_window *w, unsigned n)
{
	for (unsigned i = 0; i < xf->nwin; i++)
		free(xf->alias[i]);
	xf->nwin = n;
	for (unsigned i = 0; i < n; i++) {
		xf->win[i] = w[i];
		uint64_t lo = w[i].pa_lo / PG, hi = w[i].pa_hi / PG;
		xf->alias[i] = malloc((hi - lo + 1) * sizeof(uint64_t));
		for (uint64_t p = lo; p < hi; p++) {
			xf->alias[i][p - lo] = alias_pte(xf, p, true);
			xf->f[p].wcount++;
		}
	}
}

static long refuse(struct xenfake *xf, long rc, const char *fmt, unsigned long long a)
{
	xf->n.refusals++;
	snprintf(xf->why, sizeof(xf->why), fmt, a);
	return rc;
}

static void logev(struct xenfake *xf, enum xf_event_kind k, uint64_t mfn)
{
	if (xf->nlog < XF_LOG)
		xf->log[xf->nlog++] = (struct xf_event){ k, mfn };
}

static bool injected(struct xenfake *xf, enum xf_inject kind)
{
	if (xf->inject[kind] && --xf->inject[kind] == 0) {
		xf->injected++;
		return true;
	}
	return false;
}

/* A plain store into a page read-only everywhere is a fault under Xen. */
static void check_plain_stores(struct xenfake *xf)
{
	for (uint64_t p = 0; p < xf->npfn; p++)
		if (xf->f[p].ro && memcmp(xf->phys + p * PG, xf->shadow + p * PG, PG)) {
			xf->n.plain_store_faults++;
			snprintf(xf->why, sizeof(xf->why), "plain store into read-only pfn %#llx",
				 (unsigned long long)p);
			memcpy(xf->shadow + p * PG, xf->phys + p * PG, PG); /* report once */
		}
}

/* ---- page types ---------------------------------------------------------- */

static long get_type(struct xenfake *xf, uint64_t pfn, unsigned level);
static void put_type(struct xenfake *xf, uint64_t pfn);

static bool xen_slot(unsigned level, unsigned idx)
{
	return level == 4 && idx >= 256 && idx < 272;
}

/* Take the reference a present entry of a validated level-`level` table holds. */
static long get_entry(struct xenfake *xf, unsigned level, uint64_t e)
{
	uint64_t pfn = pfn_of_mfn(xf, (e & FRAME_MASK) >> 12);
	if (pfn == NONE)
		return refuse(xf, EINVAL_, "entry maps frame %#llx, not the guest's", (e & FRAME_MASK) >> 12);
	if (level == 1) {
		if (!(e & RW_))
			return 0;
		if (xf->f[pfn].tcount)
			return refuse(xf, EINVAL_, "L1 entry maps table pfn %#llx writable", pfn);
		xf->f[pfn].wcount++;
		return 0;
	}
	if (e & PSE_)
		return refuse(xf, EINVAL_, "PSE entry to %#llx", pfn);
	return get_type(xf, pfn, level - 1);
}

static void put_entry(struct xenfake *xf, unsigned level, uint64_t e)
{
	uint64_t pfn = pfn_of_mfn(xf, (e & FRAME_MASK) >> 12);
	if (pfn == NONE)
		return; /* put there behind Xen's back (xf_poke): no reference */
	if (level == 1) {
		if (e & RW_)
			xf->f[pfn].wcount--;
		return;
	}
	put_type(xf, pfn);
}

static long get_type(struct xenfake *xf, uint64_t pfn, unsigned level)
{
	struct xf_frame *f = &xf->f[pfn];
	if (f->validating)
		return refuse(xf, EINVAL_, "pfn %#llx links itself", pfn);
	if (f->tcount) {
		if (f->type != level)
			return refuse(xf, EINVAL_, "pfn %#llx already a table of another level", pfn);
		f->tcount++;
		return 0;
	}
	if (f->wcount)
		return refuse(xf, EINVAL_, "pfn %#llx becomes a table while mapped writable", pfn);
	const uint64_t *t = xf_page(xf, pfn);
	f->validating = true;
	for (unsigned i = 0; i < 512; i++) {
		if (!(t[i] & P_) || xen_slot(level, i))
			continue;
		long rc = get_entry(xf, level, t[i]);
		if (rc) {
			while (i--)
				if ((t[i] & P_) && !xen_slot(level, i))
					put_entry(xf, level, t[i]);
			f->validating = false;
			return rc;
		}
	}
	f->validating = false;
	f->type = (uint8_t)level;
	f->tcount = 1;
	return 0;
}

static void put_type(struct xenfake *xf, uint64_t pfn)
{
	struct xf_frame *f = &xf->f[pfn];
	if (--f->tcount)
		return;
	unsigned level = f->type;
	f->type = 0;
	const uint64_t *t = xf_page(xf, pfn);
	for (unsigned i = 0; i < 512; i++)
		if ((t[i] & P_) && !xen_slot(level, i))
			put_entry(xf, level, t[i]);
}

/* ---- hypercalls ---------------------------------------------------------- */

static long mmu_update(void *ctx, const struct ptb_xen_mmu_update *req, unsigned count, unsigned *done)
{
	struct xenfake *xf = ctx;
	check_plain_stores(xf);
	xf->n.mmu_update_calls++;
	*done = 0;
	for (unsigned i = 0; i < count; i++) {
		xf->n.mmu_update_items++;
		uint64_t cmd = req[i].ptr & 7, ma = req[i].ptr & ~7ull, val = req[i].val;
		if (injected(xf, XF_FAIL_UPDATE))
			return refuse(xf, EINVAL_, "injected: mmu_update item %llu", i);
		if (cmd)
			return refuse(xf, ENOSYS_, "mmu_update cmd %llu", cmd);
		uint64_t pfn = pfn_of_mfn(xf, ma >> 12);
		if (pfn == NONE)
			return refuse(xf, EINVAL_, "mmu_update of frame %#llx, not the guest's", ma >> 12);
		unsigned idx = (unsigned)(ma & (PG - 1)) / 8;
		uint64_t *t = xf_page(xf, pfn), old = t[idx];
		struct xf_frame *f = &xf->f[pfn];
		if (f->tcount) {
			unsigned level = f->type;
			if (xen_slot(level, idx))
				return refuse(xf, EINVAL_, "write to Xen's L4 slot %llu", idx);
			if (val & P_) {
				long rc = get_entry(xf, level, val);
				if (rc)
					return rc;
			}
			if (old & P_)
				put_entry(xf, level, old);
		}
		/* else: not a table, a checked plain write (the page may be
		 * read-only everywhere: Xen writes it all the same) */
		t[idx] = val;
		memcpy(xf->shadow + pfn * PG, xf->phys + pfn * PG, PG);
		*done = i + 1;
	}
	return 0;
}

static long ext_ops(struct xenfake *xf, const struct ptb_xen_mmuext_op *op, unsigned count, unsigned *done)
{
	if (done)
		*done = 0;
	for (unsigned i = 0; i < count; i++) {
		uint32_t cmd = op[i].cmd;
		uint64_t mfn = op[i].arg1, pfn;
		long rc = 0;
		xf->n.ext_ops++;
		if (cmd == PTB_XEN_MMUEXT_TLB_FLUSH_LOCAL) {
			xf->n.flushes++;
			logev(xf, XF_EV_FLUSH, 0);
		} else if (cmd == PTB_XEN_MMUEXT_INVLPG_LOCAL) {
			xf->n.invlpgs++;
			logev(xf, XF_EV_INVLPG, mfn);
		} else if (injected(xf, XF_FAIL_EXT)) {
			return refuse(xf, EINVAL_, "injected: mmuext op %llu", i);
		} else if ((pfn = pfn_of_mfn(xf, mfn)) == NONE) {
			return refuse(xf, EINVAL_, "mmuext on frame %#llx, not the guest's", mfn);
		} else if (cmd == PTB_XEN_MMUEXT_PIN_L4) {
			if (xf->f[pfn].pinned)
				return refuse(xf, EINVAL_, "pin of pinned pfn %#llx", pfn);
			if ((rc = get_type(xf, pfn, 4)))
				return rc;
			xf->f[pfn].pinned = true;
			xf->n.pins++;
			logev(xf, XF_EV_PIN, mfn);
		} else if (cmd == PTB_XEN_MMUEXT_UNPIN) {
			if (!xf->f[pfn].pinned)
				return refuse(xf, EINVAL_, "unpin of pfn %#llx, not pinned", pfn);
			xf->f[pfn].pinned = false;
			put_type(xf, pfn);
			xf->n.unpins++;
			logev(xf, XF_EV_UNPIN, mfn);
		} else if (cmd == PTB_XEN_MMUEXT_NEW_BASEPTR || cmd == PTB_XEN_MMUEXT_NEW_USER_BASEPTR) {
			if (xf->f[pfn].tcount == 0 || xf->f[pfn].type != 4)
				return refuse(xf, EINVAL_, "base pointer to pfn %#llx, not an L4", pfn);
			if ((rc = get_type(xf, pfn, 4)))
				return rc;
			uint64_t *b = cmd == PTB_XEN_MMUEXT_NEW_BASEPTR ? &xf->base : &xf->user_base;
			if (*b != NONE)
				put_type(xf, pfn_of_mfn(xf, *b));
			*b = mfn;
			xf->n.bases++;
			logev(xf, cmd == PTB_XEN_MMUEXT_NEW_BASEPTR ? XF_EV_BASE : XF_EV_USER_BASE, mfn);
		} else {
			return refuse(xf, ENOSYS_, "mmuext cmd %llu", cmd);
		}
		if (done)
			*done = i + 1;
	}
	return 0;
}

static long mmuext_op(void *ctx, const struct ptb_xen_mmuext_op *op, unsigned count, unsigned *done)
{
	struct xenfake *xf = ctx;
	check_plain_stores(xf);
	xf->n.mmuext_calls++;
	xf->n.mmuext_items += count;
	return ext_ops(xf, op, count, done);
}

static long update_va_mapping(struct xenfake *xf, uint64_t va, uint64_t pte, uint64_t flags)
{
	xf->n.uvm++;
	if (flags > 2)
		return refuse(xf, EINVAL_, "update_va_mapping flags %llu", flags);
	for (unsigned w = 0; w < xf->nwin; w++) {
		const struct ptb_xen_window *win = &xf->win[w];
		uint64_t size = win->pa_hi - win->pa_lo;
		if (va - win->va >= size)
			continue;
		if (va & (PG - 1))
			return refuse(xf, EINVAL_, "update_va_mapping of unaligned va %#llx", va);
		uint64_t pfn = (win->pa_lo + (va - win->va)) / PG;
		if ((pte & FRAME_MASK) >> 12 != xf->p2m[pfn] || !(pte & P_) || (pte & PSE_))
			return refuse(xf, EINVAL_, "alias of pfn %#llx given another frame", pfn);
		uint64_t *a = &xf->alias[w][pfn - win->pa_lo / PG];
		bool was = (*a & RW_) != 0, now = (pte & RW_) != 0, ro_before = xf_read_only(xf, pfn);
		if (now && !was && xf->f[pfn].tcount)
			return refuse(xf, EBUSY_, "writable alias of table pfn %#llx", pfn);
		*a = pte;
		xf->f[pfn].wcount += (uint32_t)now - (uint32_t)was;
		bool ro_after = xf_read_only(xf, pfn);
		xf->f[pfn].ro = ro_after;
		if (!ro_before && ro_after) {
			xf->n.pages_ro++;
			xf->f[pfn].ro_flips++;
			logev(xf, XF_EV_RO, xf->p2m[pfn]);
			memcpy(xf->shadow + pfn * PG, xf->phys + pfn * PG, PG);
		} else if (ro_before && !ro_after) {
			xf->n.pages_rw++;
			xf->f[pfn].rw_flips++;
			logev(xf, XF_EV_RW, xf->p2m[pfn]);
		}
		return 0;
	}
	return refuse(xf, EINVAL_, "update_va_mapping of va %#llx, mapped by no alias", va);
}

static long multicall(void *ctx, struct ptb_xen_multicall *calls, unsigned count)
{
	struct xenfake *xf = ctx;
	check_plain_stores(xf);
	xf->n.multicalls++;
	for (unsigned i = 0; i < count; i++) {
		if (injected(xf, XF_FAIL_MC_ABORT))
			return refuse(xf, EFAULT_, "injected: multicall stops at entry %llu", i);
		xf->n.multicall_entries++;
		struct ptb_xen_multicall *m = &calls[i];
		if (injected(xf, XF_FAIL_MC_ENTRY)) {
			m->result = (uint64_t)(long)refuse(xf, EINVAL_, "injected: multicall entry %llu", i);
			continue;
		}
		long rc;
		if (m->op == PTB_XEN_HC_UPDATE_VA_MAPPING) {
			rc = update_va_mapping(xf, m->args[0], m->args[1], m->args[2]);
		} else if (m->op == PTB_XEN_HC_MMUEXT_OP) {
			if (m->args[3] != PTB_XEN_DOMID_SELF)
				rc = refuse(xf, EINVAL_, "mmuext_op for domain %#llx", m->args[3]);
			else
				rc = ext_ops(xf, (const struct ptb_xen_mmuext_op *)(uintptr_t)m->args[0],
					     (unsigned)m->args[1], (unsigned *)(uintptr_t)m->args[2]);
		} else {
			rc = refuse(xf, ENOSYS_, "multicall op %llu", m->op);
		}
		m->result = (uint64_t)rc;
	}
	return 0;
}

static const struct ptb_xen_transport_ops fake_ops = { mmu_update, mmuext_op, multicall };

struct ptb_xen_transport xf_transport(struct xenfake *xf)
{
	return (struct ptb_xen_transport){ &fake_ops, xf };
}

void xf_inject(struct xenfake *xf, enum xf_inject kind, uint64_t k)
{
	xf->inject[kind] = k;
}

void xf_inject_off(struct xenfake *xf)
{
	memset(xf->inject, 0, sizeof(xf->inject));
}

uint64_t xf_traps(const struct xenfake *xf)
{
	return xf->n.mmu_update_calls + xf->n.mmuext_calls + xf->n.multicalls;
}

void xf_poke(struct xenfake *xf, uint64_t mfn, unsigned idx, uint64_t val)
{
	uint64_t pfn = pfn_of_mfn(xf, mfn);
	xf_page(xf, pfn)[idx] = val;
	memcpy(xf->shadow + pfn * PG, xf->phys + pfn * PG, PG);
}

/* ---- audit and walk ------------------------------------------------------ */

const char *xf_audit(struct xenfake *xf)
{
	static char msg[160];
	check_plain_stores(xf);
	if (xf->n.plain_store_faults)
		return xf->why;
	uint32_t *tc = xf->tc, *wc = xf->wc;
	memset(tc, 0, xf->npfn * sizeof(uint32_t));
	memset(wc, 0, xf->npfn * sizeof(uint32_t));
	for (uint64_t p = 0; p < xf->npfn; p++) {
		unsigned all, rw;
		alias_count(xf, p, &all, &rw);
		if (xf->f[p].ro != (all && !rw)) {
			snprintf(msg, sizeof(msg), "pfn %#llx: read-only flag stale", (unsigned long long)p);
			return msg;
		}
		wc[p] += rw;
		tc[p] += xf->f[p].pinned;
		const struct xf_frame *f = &xf->f[p];
		if (!f->tcount)
			continue;
		const uint64_t *t = xf_page(xf, p);
		for (unsigned i = 0; i < 512; i++) {
			if (!(t[i] & P_) || xen_slot(f->type, i))
				continue;
			uint64_t q = pfn_of_mfn(xf, (t[i] & FRAME_MASK) >> 12);
			if (q == NONE)
				continue;
			if (f->type == 1)
				wc[q] += (t[i] & RW_) != 0;
			else
				tc[q]++;
		}
	}
	if (xf->base != NONE)
		tc[pfn_of_mfn(xf, xf->base)]++;
	if (xf->user_base != NONE)
		tc[pfn_of_mfn(xf, xf->user_base)]++;
	const char *err = NULL;
	for (uint64_t p = 0; p < xf->npfn && !err; p++) {
		const struct xf_frame *f = &xf->f[p];
		if (tc[p] != f->tcount || wc[p] != f->wcount) {
			snprintf(msg, sizeof(msg), "pfn %#llx: type count %u (recomputed %u), writable %u (%u)",
				 (unsigned long long)p, f->tcount, tc[p], f->wcount, wc[p]);
			err = msg;
		} else if (f->tcount && f->wcount) {
			snprintf(msg, sizeof(msg), "pfn %#llx: a table mapped writable", (unsigned long long)p);
			err = msg;
		} else if (f->tcount && !xf_read_only(xf, p)) {
			snprintf(msg, sizeof(msg), "pfn %#llx: a table with a writable alias", (unsigned long long)p);
			err = msg;
		}
	}
	return err;
}

struct walk {
	struct xenfake *xf;
	void (*leaf)(void *, uint64_t, uint64_t);
	void (*table)(void *, uint64_t, unsigned);
	void *arg;
	long tables;
};

static int walk_table(struct walk *w, uint64_t pfn, unsigned level, uint64_t va)
{
	w->tables++;
	if (w->table)
		w->table(w->arg, pfn, level);
	const uint64_t *t = xf_page(w->xf, pfn);
	for (unsigned i = 0; i < 512; i++) {
		if (!(t[i] & P_) || xen_slot(level, i))
			continue;
		uint64_t cva = va | ((uint64_t)i << (12 + 9 * (level - 1)));
		if (level == 4 && i >= 256)
			cva |= 0xffff000000000000ull;
		if (level == 1) {
			if (w->leaf)
				w->leaf(w->arg, cva, t[i]);
			continue;
		}
		uint64_t q = pfn_of_mfn(w->xf, (t[i] & FRAME_MASK) >> 12);
		if (q == NONE || (t[i] & PSE_))
			return -1;
		if (walk_table(w, q, level - 1, cva))
			return -1;
	}
	return 0;
}

long xf_walk(struct xenfake *xf, uint64_t root_mfn, void (*leaf)(void *, uint64_t va, uint64_t pte),
	     void (*table)(void *, uint64_t pfn, unsigned level), void *arg)
{
	struct walk w = { xf, leaf, table, arg, 0 };
	uint64_t pfn = pfn_of_mfn(xf, root_mfn);
	if (pfn == NONE || walk_table(&w, pfn, 4, 0))
		return -1;
	return w.tables;
}

struct hash {
	struct xenfake *xf;
	uint64_t h;
};

static void hash_table(void *arg, uint64_t pfn, unsigned level)
{
	struct hash *h = arg;
	const uint64_t *t = xf_page(h->xf, pfn);
	h->h = mix(h->h ^ pfn) + level;
	for (unsigned i = 0; i < 512; i++)
		h->h = mix(h->h ^ t[i]) + i;
}

uint64_t xf_state_hash(struct xenfake *xf, uint64_t root_mfn)
{
	struct hash h = { xf, 17 };
	if (xf_walk(xf, root_mfn, NULL, hash_table, &h) < 0)
		return 0;
	for (uint64_t p = 0; p < xf->npfn; p++) {
		const struct xf_frame *f = &xf->f[p];
		h.h = mix(h.h ^ ((uint64_t)f->type | (uint64_t)f->pinned << 8 | (uint64_t)f->tcount << 16 |
				 (uint64_t)f->wcount << 40)) + p;
	}
	for (unsigned w = 0; w < xf->nwin; w++)
		for (uint64_t i = 0; i < (xf->win[w].pa_hi - xf->win[w].pa_lo) / PG; i++)
			h.h = mix(h.h ^ (xf->alias[w][i] & (FRAME_MASK | RW_ | P_))) + w; /* not A/D */
	return mix(h.h ^ xf->base ^ mix(xf->user_base));
}
