/* SPDX-License-Identifier: MIT */
/*
 * The dump backend: a read-only view of physical memory saved in a file (an
 * ELF core's PT_LOAD segments, a raw memory image), so that the library's
 * own walker, ranges and checker read page tables of a machine ptboot did
 * not build.  Frames are pfns (a native or HVM guest's dump).  Every hook
 * that would change the tree refuses; nothing is ever written to the dump.
 * Hosted or freestanding: no allocation, no global state.
 */
#ifndef PTB_DUMP_H
#define PTB_DUMP_H

#include <ptboot/backend.h>

/* One run of physical memory present in the dump. */
struct ptb_dump_seg {
	uint64_t pa;           /* first byte's physical address */
	uint64_t len;          /* bytes present */
	const uint8_t *data;   /* the bytes; 8-byte aligned */
};

struct ptb_dump {
	/* Sorted by pa, disjoint (the reader guarantees it). */
	const struct ptb_dump_seg *seg;
	size_t nseg;
	/* Set by table_ptr when a table page is not wholly in the dump: the
	 * walk then reads it as an empty table, and the caller must say so. */
	uint64_t missing;
	ptb_pa_t first_missing;
	/* A bound on table_ptr calls (0: none).  A hostile tree (every entry
	 * linking the same table, a loop through the levels) makes a walk visit
	 * up to 512^levels tables; past the budget every page reads as empty,
	 * so the walk ends soon, and `exhausted` tells the caller. */
	uint64_t budget, calls;
	bool exhausted;
	uint64_t zero[512];    /* what such a page reads as */
};

/*
 * ptb_dump_page: the 4 KiB page at pa if it lies wholly inside one segment.
 * Pre: d->seg sorted and disjoint.  Post: NULL when the page is not (wholly)
 *   in the dump.  Must not: change d.
 */
const uint64_t *ptb_dump_page(const struct ptb_dump *d, ptb_pa_t pa);

/*
 * The hooks; the context is a struct ptb_dump.
 *   alloc_table: PTB_E_NOMEM (nothing to give).  free_table, flush: nothing.
 *   table_ptr: the page in the dump; a page outside it reads as zeroes and
 *     is counted in d->missing (table_ptr must not fail); past d->budget
 *     calls every page reads as zeroes and d->exhausted is set.  The pointer is
 *     for reading only: the dump is never written (nothing can be sealed,
 *     so ptboot never makes a plain store to an adopted SEALED tree).
 *   seal, retire, write_live, activate: PTB_E_REFUSED, *done = 0.
 * Adopt the tree with live = true: it is SEALED for ptboot, so any change
 * goes through write_live and is refused.
 */
extern const struct ptb_backend_ops ptb_dump_ops;

static inline struct ptb_backend ptb_dump_backend(struct ptb_dump *d)
{
	return (struct ptb_backend){ &ptb_dump_ops, d };
}

#endif
