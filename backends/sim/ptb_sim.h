/* SPDX-License-Identifier: MIT */
/*
 * The simulation backend (hosted only): simulated physical memory, a table
 * page allocator, counters of every hook call, an allocation-failure
 * injector, and a Xen PV rules mode that refuses what Xen would refuse.
 *
 * Memory is sparse: a reserved host mapping of mem_bytes where only pages
 * that are touched use host memory (up to at least 64 TiB).
 *
 * The sim is also "the CPU": one or more simulated CPUs, each with a root
 * register and a TLB, that translate addresses the way x86 hardware does
 * (see ptb_sim_cpu_access), so that a flush ptboot forgets, makes too short
 * or makes too early shows up as a stale translation in a host test.
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
	unsigned cpus;           /* simulated CPUs, 1..PTB_SIM_MAX_CPUS; 0 means 1 */
	bool rotated_entries;    /* the CPUs read entries stored as ptb_format_test does */
	bool zeroed_tables;      /* alloc_table zeroes pages (else fills them with garbage) */
};

#define PTB_SIM_MAX_CPUS 8

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
	uint64_t tlb_walks;      /* CPU accesses that walked the tables (TLB misses) */
	uint64_t tlb_hits;       /* CPU accesses served by a cached translation */
	uint64_t tlb_evictions;  /* entries dropped because their TLB set was full */
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
 * alloc_table hands out a page filled with a garbage pattern (entries that
 * look present, with address and reserved bits set, different at every
 * call), as a real allocator may, unless cfg.zeroed_tables: a table ptboot
 * forgets to clear then shows up as garbage in the tree.
 *
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

/* The root last activated on the current CPU (0 when none). */
ptb_pa_t ptb_sim_active_root(const struct ptb_sim *sim);

/*
 * The simulated CPUs and their TLBs.
 *
 * The hooks run on the current CPU (0 unless ptb_sim_set_cpu): activate
 * loads that CPU's root register.  Retire and activate refuse a table that
 * is the active root of any CPU.
 *
 * Each CPU caches, as x86 does (SDM vol. 3, 4.10): translations (va page ->
 * pa, page size, effective rights, global bit, PAT index) and paging-structure
 * entries (per level: the va region an entry covers -> the table it links,
 * with the rights accumulated so far).  Every walk of ptb_sim_cpu_access
 * fills both; a later access uses them without reading the tables again, so
 * an entry changed in memory and not flushed still translates the old way.
 * Entries leave a TLB only by:
 *   flush(va, len)  every cached translation and paging-structure entry whose
 *                   region contains a 4 KiB page lying wholly inside
 *                   [va, va + len) (a range that is not whole pages loses its
 *                   partial pages, as the Xen backend truncates it); len == 0:
 *                   everything, global translations included;
 *   activate        on that CPU, every paging-structure entry and every
 *                   translation that is not global (global ones survive a
 *                   root switch, as with CR4.PGE and no PCID);
 *   a page fault    the faulting address's translation and paging-structure
 *                   entries on that CPU (as the SDM says a fault does);
 *   a full set      the oldest entry of the set (counted in tlb_evictions).
 * Which CPUs a flush reaches: see ptb_sim_set_flush_reach.
 *
 * A table retired or freed while a paging-structure entry of any CPU still
 * links it (it was unlinked and no flush reaching that CPU has covered it
 * since) is refused (retire: PTB_E_REFUSED; free_table: the page is kept),
 * with "still cached" in last_refusal: the page could be reused while a CPU
 * walks through it.
 */
void ptb_sim_set_cpu(struct ptb_sim *sim, unsigned cpu); /* Pre: cpu < cfg.cpus */
unsigned ptb_sim_cpu(const struct ptb_sim *sim);

enum ptb_sim_flush_reach {
	PTB_SIM_FLUSH_EVERY_CPU,  /* default: a shootdown, as a backend for several CPUs must */
	PTB_SIM_FLUSH_THIS_CPU,   /* only the current CPU (a backend that forgets the others) */
};
void ptb_sim_set_flush_reach(struct ptb_sim *sim, enum ptb_sim_flush_reach reach);

/* What ptb_sim_cpu_access does: a read unless WRITE or EXEC, by the kernel unless USER. */
#define PTB_SIM_WRITE 1u
#define PTB_SIM_EXEC  2u
#define PTB_SIM_USER  4u

enum ptb_sim_fault {
	PTB_SIM_OK,               /* translated */
	PTB_SIM_NOT_PRESENT,      /* a non-present entry on the way */
	PTB_SIM_PROTECTION,       /* present, but the rights forbid the access */
	PTB_SIM_RESERVED,         /* a reserved bit set, or a large page not aligned */
	PTB_SIM_OUTSIDE,          /* a table outside simulated memory, or va outside the mode */
	PTB_SIM_NO_ROOT,          /* the CPU has no root loaded */
};

/* A translation: effective rights (every level's), the leaf's global bit and PAT index. */
struct ptb_sim_translation {
	uint64_t va, pa, size;    /* the page's first byte, its pa, its size */
	unsigned level;           /* the leaf's level (1: 4 KiB) */
	bool write, user, nx, global;
	unsigned pat;             /* 0..7 */
	bool hit;                 /* served from the TLB without a walk */
};

/*
 * Access va on CPU cpu as its hardware would: a cached translation if there
 * is one, else a walk of its root (from the deepest cached paging-structure
 * entry) with the sim's own decoding of x86 entries (4-level, 5-level or
 * PAE by the root's level; rotated per cfg.rotated_entries), filling the TLB.
 * Pre: cpu < cfg.cpus.  Post: PTB_SIM_OK and *out filled, or a fault (out
 * untouched) after which the address has nothing cached on that CPU.
 * Must not: change memory (no accessed or dirty bits are set) or any other
 * CPU.  Non-present entries are never cached.
 */
enum ptb_sim_fault ptb_sim_cpu_access(struct ptb_sim *sim, unsigned cpu, uint64_t va,
				      unsigned access, struct ptb_sim_translation *out);

/* How many translations and paging-structure entries CPU cpu holds now. */
void ptb_sim_tlb_count(const struct ptb_sim *sim, unsigned cpu, uint64_t *translations,
		       uint64_t *structures);

/* frame of pa and back, as the hooks compute them. */
ptb_frame_t ptb_sim_frame_of(const struct ptb_sim *sim, ptb_pa_t pa);
ptb_pa_t ptb_sim_pa_of(const struct ptb_sim *sim, ptb_frame_t frame);

#endif
