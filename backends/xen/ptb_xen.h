/* SPDX-License-Identifier: MIT */
/*
 * The Xen PV backend (64-bit PV guests).  Entries hold machine frames: the
 * p2m (start_info.mfn_list) gives pfn -> mfn, the read-only m2p gives mfn ->
 * pfn.  New tables are ordinary pages filled with plain stores; seal makes
 * every alias of each page read-only (update_va_mapping, batched in one
 * multicall); live tables change only through mmu_update; activate pins the
 * root and switches to it (one mmuext_op call); retire unpins a pinned root
 * and makes the aliases writable again (one multicall).
 *
 * The backend issues hypercalls through a transport it is given (struct
 * ptb_xen_transport: three functions and a context), so that it holds policy
 * and batching while its user owns the way into Xen: the kernel's hypercall
 * page, or a host test's model of Xen's validator.
 */
#ifndef PTB_XEN_H
#define PTB_XEN_H

#include <ptboot/backend.h>

/* Xen ABI structures (xen/include/public/xen.h). */
struct ptb_xen_mmu_update {
	uint64_t ptr;          /* machine address of the entry | MMU_NORMAL_PT_UPDATE (0) */
	uint64_t val;
};

struct ptb_xen_mmuext_op {
	uint32_t cmd;
	uint32_t pad;
	uint64_t arg1;         /* mfn or linear address */
	uint64_t arg2;
};
_Static_assert(sizeof(struct ptb_xen_mmuext_op) == 24, "mmuext_op is 24 bytes");

struct ptb_xen_multicall {
	uint64_t op;
	uint64_t result;
	uint64_t args[6];
};
_Static_assert(sizeof(struct ptb_xen_multicall) == 64, "multicall_entry is 64 bytes");

#define PTB_XEN_HC_UPDATE_VA_MAPPING 14
#define PTB_XEN_HC_MMUEXT_OP 26
#define PTB_XEN_MMUEXT_PIN_L4 3
#define PTB_XEN_MMUEXT_UNPIN 4
#define PTB_XEN_MMUEXT_NEW_BASEPTR 5
#define PTB_XEN_MMUEXT_TLB_FLUSH_LOCAL 6
#define PTB_XEN_MMUEXT_INVLPG_LOCAL 7
#define PTB_XEN_MMUEXT_NEW_USER_BASEPTR 15
#define PTB_XEN_DOMID_SELF 0x7ff0u
#define PTB_XEN_M2P_BASE 0xffff800000000000ull

/*
 * The transport: Xen's three hypercalls as the backend uses them, with Xen's
 * own arguments and answers (0 or -errno).  A kernel passes its hypercall
 * page's entries; a host test a model that applies Xen's rules.  Every
 * function may be called at any time after ptb_xen's fields are set and
 * must behave as Xen does, in particular:
 *
 * mmu_update: apply req[0..count) in order (each ptr = machine address of an
 *   8-byte entry | 0, the normal update; val its new value), on DOMID_SELF.
 *   Pre: req points to count items, count >= 1; done is writable.
 *   Post (0): all count entries hold their values; *done = count.
 *   On error: -errno; items [0, *done) were applied, item *done was refused
 *   and the rest not tried.
 *   May: validate each new value against Xen's page-type rules (the backend
 *   relies on it).  Must not: flush the TLB.
 *
 * mmuext_op: run op[0..count) in order on DOMID_SELF (pin, unpin, new base
 *   pointer, local flushes).
 *   Pre/Post/On error: as mmu_update, with ops for entries.
 *   Must not: refuse TLB_FLUSH_LOCAL or INVLPG_LOCAL (Xen cannot).
 *
 * multicall: run calls[0..count) (update_va_mapping, and mmuext_op whose
 *   args[0] points to its ops, args[1] = their number, args[2] = NULL or
 *   where to store how many ran, args[3] = DOMID_SELF).
 *   Pre: count >= 1.
 *   Post (0): every entry ran, its answer in its result (0 or -errno).  A
 *   refused entry does not stop the ones after it (Xen runs them all), so
 *   each result says what happened to that entry alone.
 *   On error (the multicall itself refused, -errno): the entries whose
 *   result was written ran; the others did not (the backend pre-fills
 *   results with a value Xen never returns to tell them apart).
 *
 * None of them may call back into the backend or ptboot.
 */
struct ptb_xen_transport_ops {
	long (*mmu_update)(void *ctx, const struct ptb_xen_mmu_update *req, unsigned count,
			   unsigned *done);
	long (*mmuext_op)(void *ctx, const struct ptb_xen_mmuext_op *op, unsigned count, unsigned *done);
	long (*multicall)(void *ctx, struct ptb_xen_multicall *calls, unsigned count);
};

struct ptb_xen_transport {
	const struct ptb_xen_transport_ops *ops;
	void *ctx;
};

/* A multicall entry's result before Xen ran it: not an -errno Xen returns. */
#define PTB_XEN_MC_NOT_RUN 0x7fffffffffffffffull

/* A linear alias: pa in [pa_lo, pa_hi) is mapped at va + (pa - pa_lo). */
struct ptb_xen_window {
	uint64_t va, pa_lo, pa_hi;
};

#define PTB_XEN_WINDOWS 4
#define PTB_XEN_BATCH 64   /* tables per multicall (x windows entries) */

struct ptb_xen_stats {
	uint64_t mmu_update_calls, mmu_update_entries;
	uint64_t mmuext_calls, mmuext_ops;
	uint64_t multicalls, multicall_entries;
	uint64_t rw_to_ro, ro_to_rw, pins, unpins;
	uint64_t refusals;
	long last_error;       /* Xen's answer to the last refused call */
};

struct ptb_xen {
	struct ptb_xen_transport hc; /* the way into Xen */
	const uint64_t *p2m;   /* pfn -> mfn; ~0 (INVALID_MFN) for a pfn with no frame */
	uint64_t nr_pages;
	const uint64_t *m2p;   /* mfn -> pfn (Xen's read-only table, PTB_XEN_M2P_BASE) */
	uint64_t m2p_frames;   /* entries of m2p that may be read (XENMEM_machphys_mapping's
				* max_mfn + 1): a larger frame is not looked up */
	uintptr_t access;      /* table pages are read and written at access + pa */
	uintptr_t access_after;/* ... once a root is activated */
	uint64_t image_pa, image_len; /* kernel image pages: at image_va + (pa - image_pa) */
	uintptr_t image_va;
	/* the aliases seal and retire flip, now and once a root is activated */
	struct ptb_xen_window win[PTB_XEN_WINDOWS], win_after[PTB_XEN_WINDOWS];
	unsigned nwin, nwin_after;
	bool switch_after;     /* apply the *_after fields at the next activate */
	ptb_pa_t pinned[4];    /* roots pinned (by us or by the domain builder) */
	unsigned npinned;
	/* The kernel's page allocator, for tables made after the bootstrap. */
	ptb_err_t (*page_alloc)(void *arg, ptb_pa_t *pa);
	void (*page_free)(void *arg, ptb_pa_t pa);
	void *page_arg;
	struct ptb_xen_stats stats;
	/* scratch for batches (kept here, not on the kernel stack) */
	struct ptb_xen_multicall mc[PTB_XEN_BATCH * PTB_XEN_WINDOWS + 1];
	struct ptb_xen_mmuext_op ext[PTB_XEN_BATCH + 2];
	struct ptb_xen_mmu_update upd[PTB_XEN_BATCH];
};

extern const struct ptb_backend_ops ptb_xen_ops;

static inline struct ptb_backend ptb_xen_backend(struct ptb_xen *x)
{
	return (struct ptb_backend){ &ptb_xen_ops, x };
}

/*
 * ptb_xen_pin_root: pin a SEALED L4 (e.g. an empty one for the user base
 * pointer).  Pre: every alias of its page is read-only.  On error:
 * PTB_E_REFUSED, nothing pinned.
 */
PTB_MUST_CHECK ptb_err_t ptb_xen_pin_root(struct ptb_xen *x, ptb_pa_t root);

/*
 * ptb_xen_set_user_root: MMUEXT_NEW_USER_BASEPTR, as a kernel must set before
 * returning to user mode.  Pre: root is a pinned L4.  On error: PTB_E_REFUSED.
 */
PTB_MUST_CHECK ptb_err_t ptb_xen_set_user_root(struct ptb_xen *x, ptb_pa_t root);

#endif
