/* SPDX-License-Identifier: MIT */
/*
 * The simulation backend (hosted only): simulated physical memory, a table
 * page allocator, counters of every hook call, an allocation-failure
 * injector, and a Xen PV rules mode that refuses what Xen would refuse.
 *
 * Memory is sparse: a reserved host mapping of mem_bytes where only pages
 * that are touched use host memory (up to at least 64 TiB).
 */
#ifndef PTB_SIM_H
#define PTB_SIM_H

#include <ptboot/backend.h>

struct ptb_sim;

struct ptb_sim_config {
	uint64_t mem_bytes;      /* simulated physical memory (multiple of 4K) */
	bool xen_rules;          /* enforce Xen PV's page-table rules */
	bool scramble_frames;    /* frame = a permutation of pfn (else frame == pfn) */
	uint64_t seed;           /* for the permutation */
	unsigned max_leaf_level; /* unused: under xen_rules any PSE entry is refused */
};

/*
 * Hook calls and their batches, by hook.  Not traps: alloc, free, frames_of,
 * pa_of (and table_ptr, counted apart).  Traps (calls that would enter the
 * hypervisor under Xen): seal, retire, write_live, activate, flush.
 */
enum ptb_sim_hook {
	PTB_SIM_ALLOC, PTB_SIM_FREE, PTB_SIM_SEAL, PTB_SIM_RETIRE, PTB_SIM_WRITE_LIVE,
	PTB_SIM_ACTIVATE, PTB_SIM_FLUSH, PTB_SIM_FRAMES_OF, PTB_SIM_PA_OF, PTB_SIM_HOOK_COUNT_
};

struct ptb_sim_stats {
	uint64_t calls[PTB_SIM_HOOK_COUNT_];  /* hook calls */
	uint64_t items[PTB_SIM_HOOK_COUNT_];  /* items over all calls (batch sizes) */
	uint64_t max_batch[PTB_SIM_HOOK_COUNT_];
	uint64_t table_ptr_calls;/* table_ptr calls (one page each) */
	uint64_t traps;          /* calls that would enter the hypervisor */
	uint64_t rw_to_ro;       /* page status flips: became a table (seal) */
	uint64_t ro_to_rw;       /* stopped being a table (retire) */
	uint64_t pages_allocated;/* pages allocated or adopted and not freed since */
	uint64_t refusals;       /* operations refused (xen rules or injected) */
	char last_refusal[160];  /* why the last refusal happened */
};

/* A new simulator; NULL when the host cannot reserve the memory. */
struct ptb_sim *ptb_sim_new(const struct ptb_sim_config *cfg);
void ptb_sim_delete(struct ptb_sim *sim);

/*
 * The hooks over this simulator.  Frames are pfns (ops->flags has
 * PTB_BACKEND_FRAME_IS_PFN) unless scramble_frames.  A refusal returns
 * PTB_E_REFUSED (free_table, which cannot fail, leaves the page as it was),
 * counts in stats.refusals and says why in stats.last_refusal; the sim
 * never aborts.  Always refused (backend.h's checkable Pre): seal of a
 * sealed or scratch page; retire of a page not sealed, with another level,
 * or the active root; write_live outside a sealed table or with another
 * level; activate of a root not sealed or of another level; free of a page
 * not allocated or sealed; retire or activate after a plain store into any
 * sealed table.  Under xen_rules (x86-64 4-level entries, decoded by the
 * sim itself), also: sealing or writing an entry that links a table not
 * sealed or not one level down (a read-only same-level link, Xen's linear
 * page table, is allowed), maps a sealed table (or the table itself)
 * writable, is a PSE leaf at L2/L3, is non-present with address bits, or
 * is in L4 slots 256-271 (writes there: any value); sealing a page a sealed
 * L1 maps writable or above level 4; retiring a table a sealed table still
 * links; activating a root that is not an L4.
 */
struct ptb_backend ptb_sim_backend(struct ptb_sim *sim);

/* Host pointer to simulated physical address pa (any page, not just tables). */
void *ptb_sim_ptr(struct ptb_sim *sim, ptb_pa_t pa);

/*
 * alloc_table takes pages from [lo, hi), highest first, skipping pages in
 * use (adopted, sealed); freed pages are reused last-in first-out.  Without
 * a call, the pool is all of memory.
 */
void ptb_sim_set_pool(struct ptb_sim *sim, ptb_pa_t lo, ptb_pa_t hi);

/* Fail the k-th alloc_table call from now (1 = the next), once; 0 turns it off. */
void ptb_sim_fail_alloc_at(struct ptb_sim *sim, uint64_t k);

/* Refuse the k-th write_live item from now (1 = the next), once; 0: off. */
void ptb_sim_fail_write_at(struct ptb_sim *sim, uint64_t k);

const struct ptb_sim_stats *ptb_sim_stats(const struct ptb_sim *sim);
void ptb_sim_reset_stats(struct ptb_sim *sim);

/*
 * Mark pages as tables built by someone else (the "domain builder"): sealed
 * (xen rules) or plain, of the given level, as if allocated from the pool.
 */
void ptb_sim_adopt_table(struct ptb_sim *sim, ptb_pa_t pa, unsigned level, bool sealed);

/* Whether pa is a sealed table (in both modes). */
bool ptb_sim_is_sealed(const struct ptb_sim *sim, ptb_pa_t pa);

/*
 * Verify that no sealed table changed except through write_live (a plain
 * store to a sealed table is what Xen turns into a fault).  Returns false
 * and fills last_refusal on the first one found.
 */
bool ptb_sim_verify_sealed(struct ptb_sim *sim);

/*
 * Xen rules: a linear alias through which the active tree maps pages: a page
 * at pa in [pa_lo, pa_hi) is at va + (pa - pa_lo).  seal makes the leaf entry
 * of each alias read-only and retire makes it writable again, as the Xen
 * backend does with update_va_mapping (aliases not mapped are skipped).
 * Up to 4; ptb_sim_set_windows replaces them all.
 */
struct ptb_sim_window {
	uint64_t va, pa_lo, pa_hi;
};
void ptb_sim_set_windows(struct ptb_sim *sim, const struct ptb_sim_window *w, unsigned n);

/* The root last activated (0 when none). */
ptb_pa_t ptb_sim_active_root(const struct ptb_sim *sim);

/* frame of pa and back, as the hooks compute them. */
ptb_frame_t ptb_sim_frame_of(const struct ptb_sim *sim, ptb_pa_t pa);
ptb_pa_t ptb_sim_pa_of(const struct ptb_sim *sim, ptb_frame_t frame);

#endif
