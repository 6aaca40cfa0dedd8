/* SPDX-License-Identifier: MIT */
/* Internals of the simulation backend, shared by its files only. */
#ifndef PTB_SIM_INTERNAL_H
#define PTB_SIM_INTERNAL_H

#include "ptb_sim.h"

/* What a simulated page is, as far as the hooks know. */
enum sim_page_state {
	PG_FREE,     /* not a table, not handed out */
	PG_TABLE,    /* NEW: handed out by alloc_table or adopted, plain stores allowed */
	PG_SEALED,   /* SEALED: changes only through write_live */
	PG_SCRATCH,  /* a level-0 page from alloc_table (an undo journal) */
};

/*
 * Metadata of one page.  One entry per pfn in a MAP_NORESERVE array, so only
 * the pages the hooks touch cost host memory and every lookup is O(1).
 */
struct sim_page {
	uint8_t state;      /* enum sim_page_state */
	uint8_t level;      /* table level it was allocated, adopted or sealed as */
	uint8_t listed;     /* on the sealed list (verify_sealed's work list) */
	uint8_t counted;    /* counted in pages_allocated (allocated or adopted) */
	uint16_t links;     /* xen rules: entries of sealed tables linking it as a table */
	uint16_t writable;  /* xen rules: RW leaf entries of sealed L1s mapping it */
	uint32_t cached;    /* paging-structure entries of any CPU's TLB linking it */
	uint64_t hash;      /* sealed: sum of entry hashes, kept current by write_live */
};

/* Frame permutation parameters (see sim_frames.c). */
struct sim_perm {
	unsigned bits;      /* domain [0, 2^bits) covers [0, npages) */
	unsigned shift;     /* xorshift distance */
	uint64_t mask, key, mul[2], inv[2];
};

/* One TLB entry: a translation or a cached paging-structure entry. */
enum sim_tlb_kind { TLB_EMPTY, TLB_LEAF, TLB_LINK };

struct sim_tlb_entry {
	uint64_t key;       /* va >> the shift of the entry's level */
	uint64_t pa;        /* LEAF: the page's pa; LINK: the table the entry links */
	uint32_t age;       /* fill order, for eviction */
	uint8_t kind;       /* enum sim_tlb_kind */
	uint8_t level;      /* LEAF: the leaf's level; LINK: the level of the entry */
	uint8_t rights;     /* TLB_W | TLB_U | TLB_NX | TLB_G | pat << TLB_PAT_SHIFT */
};

#define TLB_W 1u
#define TLB_U 2u
#define TLB_NX 4u
#define TLB_G 8u
#define TLB_PAT_SHIFT 4
#define TLB_SETS 1024u
#define TLB_WAYS 4u

/* A simulated CPU: its root register and its TLB (set associative). */
struct sim_cpu {
	uint64_t root;      /* 0: none loaded */
	unsigned root_level;
	uint32_t clock;
	uint64_t nleaf, nlink;
	struct sim_tlb_entry set[TLB_SETS][TLB_WAYS];
};

struct ptb_sim {
	struct ptb_sim_config cfg;
	uint8_t *mem;                /* simulated physical memory */
	uint64_t npages;
	struct sim_page *pages;      /* metadata, indexed by pfn */
	struct sim_perm perm;
	/* the pool allocator */
	uint64_t pool_lo, pool_hi, bump;
	uint64_t *freed;             /* LIFO of freed pages */
	uint64_t nfreed, freed_cap;
	/* injectors: countdowns, 0 = off */
	uint64_t fail_alloc_at, fail_write_at;
	/* sealed pages, so verify_sealed is O(sealed), not O(memory) */
	uint64_t *sealed_list;
	uint64_t nsealed_list, sealed_cap;
	/* xen rules */
	struct ptb_sim_window win[4];
	unsigned nwin;
	/* the CPUs */
	struct sim_cpu *cpu;
	unsigned ncpus, cur;
	enum ptb_sim_flush_reach reach;
	uint64_t alloc_serial;       /* varies the garbage of each alloc_table */
	struct ptb_sim_stats st;
};

/* sim_hooks.c */
void sim_count(struct ptb_sim *s, enum ptb_sim_hook h, size_t items, bool trap);

/* sim_lifecycle.c: the hooks that would enter the hypervisor. */
ptb_err_t sim_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done);
ptb_err_t sim_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done);
ptb_err_t sim_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done);
ptb_err_t sim_activate(void *ctx, ptb_pa_t root, unsigned level);
void sim_flush(void *ctx, ptb_va_t va, uint64_t len);

/* sim_mem.c */
struct sim_page *sim_page(const struct ptb_sim *s, uint64_t pa); /* NULL outside memory */
uint64_t *sim_table(const struct ptb_sim *s, uint64_t pa);
bool sim_refuse(struct ptb_sim *s, const char *why, uint64_t pa);

/* sim_cpu.c: the CPUs' root registers and their walks. */
uint64_t sim_active_root(const struct ptb_sim *s); /* the current CPU's */
bool sim_root_of_any_cpu(const struct ptb_sim *s, uint64_t pa);
void sim_cpu_activate(struct ptb_sim *s, uint64_t root, unsigned level);

/* sim_tlb.c: the TLBs. */
const struct sim_tlb_entry *sim_tlb_find(struct sim_cpu *c, unsigned kind, unsigned level,
					 uint64_t key);
void sim_tlb_fill(struct ptb_sim *s, struct sim_cpu *c, unsigned kind, unsigned level,
		  uint64_t key, uint64_t pa, unsigned rights);
void sim_tlb_flush(struct ptb_sim *s, struct sim_cpu *c, uint64_t first_page, uint64_t last_page);
void sim_tlb_flush_all(struct ptb_sim *s, struct sim_cpu *c, bool keep_global);
void sim_tlb_forget_va(struct ptb_sim *s, struct sim_cpu *c, uint64_t va);
bool sim_tlb_still_cached(struct ptb_sim *s, uint64_t pa);
unsigned sim_tlb_shift(unsigned level);

/* sim_hash.c: a table's hash is a sum over its entries, so a live write
 * updates it in O(1). */
uint64_t sim_mix(uint64_t x);
uint64_t sim_entry_hash(unsigned idx, uint64_t val);
uint64_t sim_table_hash(const struct ptb_sim *s, uint64_t pa);
void sim_hash_update(struct ptb_sim *s, uint64_t entry_pa, uint64_t old, uint64_t val);
bool sim_list_sealed(struct ptb_sim *s, uint64_t pa);
bool sim_hash_ok(struct ptb_sim *s, uint64_t pa);

/* sim_frames.c */
void sim_perm_init(struct sim_perm *p, uint64_t npages, uint64_t seed);
uint64_t sim_frame(const struct ptb_sim *s, uint64_t pfn);
uint64_t sim_pfn(const struct ptb_sim *s, uint64_t frame);

/* sim_pool.c */
bool sim_pool_take(struct ptb_sim *s, uint64_t *pa);
void sim_pool_give(struct ptb_sim *s, uint64_t pa);

/* sim_xen.c: Xen PV rules, with the sim's own x86-64 4-level decoding. */
bool sim_xen_seal_ok(struct ptb_sim *s, uint64_t pa, unsigned level);
void sim_xen_account_table(struct ptb_sim *s, uint64_t pa, unsigned level, int delta);
bool sim_xen_write_ok(struct ptb_sim *s, uint64_t entry_pa, unsigned level, uint64_t val);
void sim_xen_account_write(struct ptb_sim *s, uint64_t entry_pa, unsigned level, uint64_t old,
			   uint64_t val);
bool sim_xen_retire_ok(struct ptb_sim *s, uint64_t pa);
bool sim_xen_flip_aliases(struct ptb_sim *s, uint64_t pa, bool writable);

#endif
