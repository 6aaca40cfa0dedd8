/* SPDX-License-Identifier: MIT */
/*
 * A fake Xen for host tests of the real Xen PV backend (backends/xen): a
 * struct ptb_xen_transport whose three hypercalls apply a small model of
 * Xen's page-type rules of its own (nothing taken from the sim or from
 * src/), over host memory standing for the guest's pages.
 *
 * Memory: npfn guest pages (pfn i at phys + i * 4096) backed by scattered
 * machine frames (p2m, a permutation into [0, nmfn)); Xen's m2p as the guest
 * reads it holds exactly m2p_frames entries (heap-allocated to that size, so
 * a read past it is an ASan error) with stale entries for frames that are
 * not the guest's.  The fake keeps its own mfn -> pfn table.
 *
 * The model (per frame: a page-table type L1..L4 with a type reference
 * count, a pinned bit, a count of writable mappings):
 *  - a frame gets type Ln when an entry of a validated L(n+1) links it
 *    (mmu_update), when it is pinned (L4) or made a base pointer; the first
 *    reference validates every present entry (recursively); when the last
 *    reference goes the type goes and the entries' references are dropped;
 *  - a frame cannot get a table type while any mapping of it is writable
 *    (an alias, or a writable entry of a validated L1): -EINVAL;
 *  - a writable mapping of a typed frame is refused: update_va_mapping
 *    -EBUSY, an L1 entry -EINVAL;
 *  - PSE entries at L2/L3, frames that are not the guest's, and writes to
 *    L4 slots 256-271 are refused (-EINVAL);
 *  - a plain store into a page that is read-only everywhere (every alias
 *    read-only) is recorded as a fault (plain_store_faults) at the next
 *    hypercall or xf_audit;
 *  - pin of a pinned frame, unpin of one not pinned: -EINVAL;
 *  - a base pointer must be an L4 that has its type already (pinned or a
 *    base): stricter than Xen, which would validate an unpinned L4, so that
 *    a backend that switches before it pins is caught.
 * Multicall entries: update_va_mapping and mmuext_op (args[0..3] as Xen's);
 * any other op is -ENOSYS.  Nothing here prints or aborts on a refusal: the
 * answer is Xen's return code, the reason is kept in `why`.
 * Aliases: up to 4 linear windows (the same the backend is told about), each
 * page's alias pte held by the fake, all writable at the start;
 * update_va_mapping must give each alias its own frame back.
 */
#ifndef PTB_XENFAKE_H
#define PTB_XENFAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ptb_xen.h"

enum xf_event_kind {
	XF_EV_RO,       /* a page became read-only everywhere (mfn) */
	XF_EV_RW,       /* a page read-only everywhere got a writable alias (mfn) */
	XF_EV_PIN,      /* MMUEXT_PIN_L4_TABLE (mfn) */
	XF_EV_UNPIN,    /* MMUEXT_UNPIN_TABLE (mfn) */
	XF_EV_BASE,     /* MMUEXT_NEW_BASEPTR (mfn) */
	XF_EV_USER_BASE,/* MMUEXT_NEW_USER_BASEPTR (mfn) */
	XF_EV_FLUSH,    /* MMUEXT_TLB_FLUSH_LOCAL */
	XF_EV_INVLPG,   /* MMUEXT_INVLPG_LOCAL (mfn: the linear address) */
};

struct xf_event {
	enum xf_event_kind kind;
	uint64_t mfn;
};

/* events past XF_LOG are dropped: a test that reads the log of a call sets
 * nlog = 0 before it */
#define XF_LOG 8192

struct xf_counts {
	uint64_t mmu_update_calls, mmu_update_items;
	uint64_t mmuext_calls, mmuext_items;     /* direct calls (not in a multicall) */
	uint64_t ext_ops;                        /* mmuext ops looked at, in multicalls too */
	uint64_t multicalls, multicall_entries;
	uint64_t uvm;                            /* update_va_mapping entries run */
	uint64_t pages_ro, pages_rw;             /* XF_EV_RO, XF_EV_RW */
	uint64_t pins, unpins, bases, flushes, invlpgs;
	uint64_t refusals;                       /* items Xen refused (rules or injected) */
	uint64_t plain_store_faults;
};

enum xf_inject {
	XF_FAIL_UPDATE,   /* the k-th mmu_update item is refused (-EINVAL) */
	XF_FAIL_EXT,      /* the k-th pin / unpin / base pointer op is refused */
	XF_FAIL_MC_ENTRY, /* the k-th multicall entry is refused (its result -EINVAL) */
	XF_FAIL_MC_ABORT, /* the multicall stops before its k-th entry (counted over
			     all multicalls) and returns -EFAULT */
	XF_INJECT_KINDS_
};

struct xf_frame {
	uint8_t type;          /* 0 none, 1..4 Ln */
	bool pinned, validating;
	uint32_t tcount;       /* type references */
	uint32_t wcount;       /* writable mappings */
	uint32_t ro_flips, rw_flips; /* XF_EV_RO / XF_EV_RW of this page */
	bool ro;               /* every alias read-only (cached: xf_read_only) */
};

struct xenfake {
	uint64_t npfn, nmfn, m2p_frames;
	uint8_t *phys;         /* the guest's pages */
	uint8_t *shadow;       /* last good contents of read-only-everywhere pages */
	uint64_t *p2m;         /* pfn -> mfn (the guest's start_info.mfn_list) */
	uint64_t *m2p;         /* mfn -> pfn, m2p_frames entries (the guest's view),
				* an inaccessible page right after the last */
	void *m2p_map;
	size_t m2p_map_len;
	uint64_t *own;         /* the fake's mfn -> pfn over nmfn; ~0: not ours */
	uint32_t *tc, *wc;     /* scratch of xf_audit */
	struct xf_frame *f;    /* by pfn */
	struct ptb_xen_window win[PTB_XEN_WINDOWS];
	unsigned nwin;
	uint64_t *alias[PTB_XEN_WINDOWS]; /* pte of each page of each window */
	uint64_t base, user_base;          /* mfns; ~0: none */
	uint64_t inject[XF_INJECT_KINDS_]; /* countdowns; 0: off */
	uint64_t injected;                 /* refusals injected so far */
	struct xf_counts n;
	struct xf_event log[XF_LOG];
	unsigned nlog;
	char why[160];                     /* the last refusal */
};

/* A new fake: npfn guest pages over frames scattered in [0, nmfn), m2p
 * readable up to m2p_frames (<= nmfn; frames above it are never the
 * guest's; a read past the m2p faults).  Pre: npfn <= nmfn. */
struct xenfake *xf_new(uint64_t npfn, uint64_t nmfn, uint64_t m2p_frames, uint64_t seed);
void xf_delete(struct xenfake *xf);

/* The aliases (also given to the backend), all writable.  Pre: n <= 4. */
void xf_set_windows(struct xenfake *xf, const struct ptb_xen_window *w, unsigned n);

struct ptb_xen_transport xf_transport(struct xenfake *xf);

/* Refuse the k-th item of kind from now (1 = the next), once; 0: off. */
void xf_inject(struct xenfake *xf, enum xf_inject kind, uint64_t k);
void xf_inject_off(struct xenfake *xf);

uint64_t xf_traps(const struct xenfake *xf); /* hypercalls made */

/* The host view of a guest page, and of the page holding machine frame mfn
 * (NULL when it is not the guest's). */
uint64_t *xf_page(struct xenfake *xf, uint64_t pfn);
uint64_t *xf_mpage(struct xenfake *xf, uint64_t mfn);

/* Recompute every type count and writable count from memory and compare;
 * also checks plain stores.  NULL when consistent, else what differs. */
const char *xf_audit(struct xenfake *xf);

/* Store val into entry idx of the page at mfn behind Xen's back (what
 * another party, e.g. the domain builder, left there), not a fault. */
void xf_poke(struct xenfake *xf, uint64_t mfn, unsigned idx, uint64_t val);

/* Whether every alias of pfn is read-only. */
bool xf_read_only(const struct xenfake *xf, uint64_t pfn);

/* The fake's own walk of the tree under root_mfn (L4, slots 256-271
 * skipped): leaf(va, pte) for each 4K leaf, table(pfn, level) for each
 * table pre-order.  Returns -1 on a malformed tree (a frame not the
 * guest's, a PSE entry), else the number of tables. */
long xf_walk(struct xenfake *xf, uint64_t root_mfn, void (*leaf)(void *, uint64_t va, uint64_t pte),
	     void (*table)(void *, uint64_t pfn, unsigned level), void *arg);

/* A hash of every table page under root_mfn (pfn, level, contents) and of
 * the fake's per-frame state and bases: equal before and after an operation
 * that was rolled back. */
uint64_t xf_state_hash(struct xenfake *xf, uint64_t root_mfn);

#endif
