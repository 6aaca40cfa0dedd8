/* SPDX-License-Identifier: MIT */
/*
 * The top-down bootstrap: H. Peter Anvin's seven steps (seed 003).
 *
 *  1. Map the kernel image (W^X per segment) with tables from the early
 *     reserve (a static "brk" area inside the image).
 *  2. Map usable RAM into the direct map from the top of RAM downward until
 *     the reserve is used up.
 *  3. Seal the tables made so far (batched).
 *  4. Activate the new root.
 *  5. Continue downward; each new table page is the highest free page of
 *     RAM that is already mapped (never reserved ranges, the kernel image,
 *     the reserve, pages the caller marks in use, or the boot tables).
 *  6. Seal the new tables, then link them into the live tree (write_live).
 *  7. Repeat 5-6 until all usable RAM is mapped.
 *
 * Nothing estimates table memory: a cost model (the same one the build
 * follows) proves the whole plan feasible before step 1 writes anything, so
 * a reserve that is too small fails with PTB_E_NOMEM before the switch and
 * changes nothing.  Tables end up as high in memory as possible.
 *
 * The hook calls the bootstrap makes, in the order it makes them (each in
 * the contract form of backend.h; docs/bootstrap.md has the long form):
 *
 *  alloc_table   never called on the platform backend: step 1-2 tables come
 *                from the reserve, step 5 tables from mapped RAM; the
 *                bootstrap wraps the backend and hands these pages out itself.
 *  seal (step 3) Pre: every table of the new tree is complete, unlinked from
 *                any live tree, mapped read-only in the new tree (Xen rules),
 *                children before parents; batches of up to 64.
 *                Post: the tables may be activated.  May: make the pages'
 *                aliases in the *active* (boot) tree read-only.
 *                Must not: activate, flush, write entries.
 *  activate (4)  Pre: the new root and all tables below it SEALED; the kernel
 *                image (code, stack) mapped alike in both trees.
 *                Post: the CPU translates through the new root.
 *  seal (step 6) Pre: new tables complete and not yet linked; their only
 *                alias in a ptboot tree is their direct-map entry, which the
 *                hook must make read-only (Xen) before returning.
 *                Post: the tables may be linked.
 *  write_live (6) Pre: the entries link sealed tables into the live tree.
 *                Post: written; no flush needed (the entries were empty).
 *  retire, free_table (after 4, boot tree adopted as live)
 *                Pre: the old root is no longer active, its tables no longer
 *                reachable from the active root, the switch flushed the TLB.
 *                Post: each boot table page is ordinary memory again (Xen:
 *                unpinned, aliases writable) and belongs to the backend.
 *  flush         never called: the bootstrap only fills empty entries.
 */
#ifndef PTBOOT_BOOT_H
#define PTBOOT_BOOT_H

#include <ptboot/space.h>

enum ptb_mem_type {
	PTB_MEM_RAM = 1,        /* usable RAM */
	PTB_MEM_RESERVED = 2,
	PTB_MEM_ACPI = 3,       /* ACPI data (reclaimable) */
	PTB_MEM_NVS = 4,        /* ACPI NVS */
	PTB_MEM_UNUSABLE = 5,
	PTB_MEM_PERSISTENT = 7, /* persistent memory */
};

struct ptb_mem_range {
	uint64_t base;
	uint64_t len;
	uint32_t type;          /* enum ptb_mem_type */
};

enum ptb_seg_kind { PTB_SEG_TEXT, PTB_SEG_RODATA, PTB_SEG_DATA, PTB_SEG_BSS };

struct ptb_segment {
	ptb_va_t va;
	ptb_pa_t pa;
	uint64_t len;
	enum ptb_seg_kind kind; /* text RX, rodata R NX, data/bss RW NX */
};

#define PTB_BOOT_MAX_SEGMENTS   16
#define PTB_BOOT_MAX_IN_USE     16
#define PTB_BOOT_MAX_BOOT_TABLES 64

struct ptb_boot_input {
	const struct ptb_format *format;
	const struct ptb_pat *pat;           /* NULL: ptb_pat_linux */
	struct ptb_backend backend;          /* the platform's hooks */
	/* Firmware memory map: sorted by base, non-overlapping, non-empty. */
	const struct ptb_mem_range *memmap;
	size_t memmap_len;
	/* The kernel image as segments (page aligned, non-overlapping). */
	const struct ptb_segment *kernel;
	size_t kernel_len;
	/* Other ranges to keep mapped at fixed va (start info, p2m, boot
	 * stack): mapped like data (RW NX) and never used for tables. */
	const struct ptb_segment *extra;
	size_t extra_len;
	/* RAM ranges that are in use and must not become tables (pa ranges;
	 * only base and len are read). */
	const struct ptb_mem_range *in_use;
	size_t in_use_len;
	/* The early reserve ("brk"): inside the kernel image. */
	ptb_pa_t reserve_pa;
	uint64_t reserve_pages;
	ptb_va_t reserve_va;                 /* where it is reachable now */
	ptb_va_t direct_map;                 /* va of pa 0 in the direct map */
	unsigned max_leaf_level;             /* 1 = 4K, 2 = 2M, 3 = 1G */
	bool nx;                             /* NX usable */
	bool xen;                            /* Xen PV rules */
	unsigned pa_bits;                    /* MAXPHYADDR, 0: the format's */
	/* Optional: the live boot tree to adopt, retire and give back. */
	ptb_pa_t boot_root;                  /* 0: none */
	bool boot_root_live;                 /* SEALED (pinned / in CR3) */
};

struct ptb_boot_stats {
	struct ptb_table_count tables;       /* of the new tree */
	uint64_t min_tables;                 /* the model's minimum for the map */
	uint64_t reserve_used;               /* pages of the reserve used */
	uint64_t ram_tables;                 /* tables taken from mapped RAM */
	uint64_t lowest_table_pa;            /* lowest table taken from RAM */
	uint64_t ram_bytes;                  /* usable RAM mapped */
	uint64_t step2_bytes;                /* of which mapped before the switch */
	uint64_t rounds;                     /* step 5-6 rounds */
	uint64_t map_calls;                  /* ptb_space_map calls */
	uint64_t boot_tables_freed;          /* boot tree pages given back */
	uint64_t free_stack_overflows;       /* pages handed to the platform's
						free_table for want of room (0
						expected) */
};

/* A half-open physical range [lo, hi). */
struct ptb_boot_range {
	uint64_t lo, hi;
};

#define PTB_BOOT_MAX_EXCL (PTB_BOOT_MAX_SEGMENTS * 2 + PTB_BOOT_MAX_IN_USE + PTB_BOOT_MAX_BOOT_TABLES + 1)
#define PTB_BOOT_MAX_INTERVALS 48
#define PTB_BOOT_FREE_STACK 64

/* The cost model: per level, the table blocks that exist (intervals of
 * block ids; a level-l table covers va >> shift[l+1]). */
struct ptb_boot_model {
	struct {
		uint64_t lo[PTB_BOOT_MAX_INTERVALS], hi[PTB_BOOT_MAX_INTERVALS];
		unsigned n;
		int dm;                      /* interval of the direct map, -1: none */
	} lv[PTB_MAX_LEVELS + 1];
	uint64_t tables;                     /* tables so far */
	bool lost;                           /* an interval did not fit */
};

/* All the bootstrap's working state; the caller owns the memory. */
struct ptb_boot {
	struct ptb_boot_input in;
	struct ptb_space space;              /* the new tree */
	struct ptb_space boot_space;         /* the adopted boot tree */
	struct ptb_backend_ops ops;          /* the wrapping hooks */
	struct ptb_boot_stats stats;
	struct ptb_boot_model model;
	unsigned max_leaf_level;             /* after platform rules */
	/* pages never taken for tables, and pages mapped read-only (Xen) */
	struct ptb_boot_range excl[PTB_BOOT_MAX_EXCL];
	size_t n_excl;
	struct ptb_boot_range ro[PTB_BOOT_MAX_BOOT_TABLES + 1];
	size_t n_ro;
	/* allocator */
	bool dry;                            /* planning only: no hooks, no writes */
	bool switched;
	uint64_t reserve_left;               /* reserve pages not handed out */
	uint64_t reserve_next;               /* reserve pages below the mark: taken once */
	uint64_t reserve_free;               /* pa of a page given back below the mark, 0:
						none; each holds the next in word 0 */
	uint64_t frontier;                   /* lowest direct-mapped pa */
	uint64_t cursor;                     /* next table candidate is below */
	uint64_t available;                  /* free allocatable mapped pages */
	uint64_t free_stack[PTB_BOOT_FREE_STACK]; /* pages given back, descending */
	size_t n_free;
	ptb_err_t hook_err;
};

/*
 * ptb_boot_run: the seven steps.
 * Pre: b points to writable memory; in describes the machine; the CPU runs
 *   on the tree at in->boot_root (if given) with the kernel image, the
 *   extra ranges and the reserve mapped (reserve at reserve_va).  The
 *   backend's table_ptr reaches the reserve and the boot tree's pages now;
 *   once its activate hook has switched to the new root, it reaches the
 *   reserve still (through the kernel image's mapping: the direct map does
 *   not cover it yet) and every RAM page through the direct map (ptboot
 *   asks only for pages the direct map already covers).
 * Post: b->space is the new, live, active tree: kernel segments W^X, every
 *   usable RAM page at direct_map + pa (RW NX; read-only when it is a table
 *   or the reserve under Xen rules), nothing else; the boot tree's pages were
 *   retired and given to the backend's free_table; b->space.be is
 *   in->backend again.  The tables are those ptb_space_for_each_table lists.
 * On error: PTB_E_INVAL (input), PTB_E_MEMMAP (memory map malformed),
 *   PTB_E_ALIGN, PTB_E_RANGE, PTB_E_NOTTABLE (boot tree), PTB_E_NOMEM
 *   (reserve too small: detected before any write; nothing changed),
 *   PTB_E_REFUSED (a hook refused: before the switch, everything is undone;
 *   after it, the tree stays valid and live but incomplete).
 * May: everything the hooks listed above allow.
 */
PTB_MUST_CHECK ptb_err_t ptb_boot_run(struct ptb_boot *b, const struct ptb_boot_input *in);

/*
 * ptb_boot_reserve_needed: the smallest reserve (pages) with which
 * ptb_boot_run succeeds on these inputs (reserve_pages is ignored).
 * work: a struct ptb_boot the caller owns, used as scratch (the model runs
 *   in it; e.g. the one later given to ptb_boot_run), so that no 9 KiB
 *   lives on the stack.
 * Post: *work holds nothing of use.
 * On error: PTB_E_INVAL (work NULL), the input codes of ptb_boot_run.
 * Must not: call any hook.
 */
PTB_MUST_CHECK ptb_err_t ptb_boot_reserve_needed(struct ptb_boot *work, const struct ptb_boot_input *in,
						 uint64_t *pages);

/*
 * ptb_boot_min_tables: the fewest tables any builder needs for the kernel
 * segments, extra ranges and the direct map of usable RAM under the
 * input's policy (each table at each level counted once).  work: as for
 * ptb_boot_reserve_needed.  Must not: call any hook.
 */
PTB_MUST_CHECK ptb_err_t ptb_boot_min_tables(struct ptb_boot *work, const struct ptb_boot_input *in,
					     uint64_t *tables);

#endif
