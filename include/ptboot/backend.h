/* SPDX-License-Identifier: MIT */
/*
 * The platform hooks.  One const ops struct per address space plus a context
 * pointer; ptboot calls nothing else.  Each hook's contract:
 *   Pre     what ptboot guarantees when it calls the hook
 *   Post    what the hook guarantees when it returns success
 *   On error what the hook returns and the state it must leave
 *   May / Must not  what the hook is allowed to do
 *
 * Vocabulary.  A table page moves through these states:
 *   free -> (alloc_table) -> NEW: ordinary memory, ptboot fills it with plain
 *   stores through table_ptr -> (seal) -> SEALED: complete; from now on it
 *   changes only through write_live -> linked into a tree (LIVE when that
 *   tree is reachable from an activated root) -> unlinked, TLB flushed ->
 *   (retire) -> NEW again -> (free_table) -> free.
 * A table that is never sealed (a space that is built but never activated,
 * e.g. a table image) goes straight from NEW to free.
 *
 * Batching: every hook that takes an array is called with as many items as
 * ptboot has ready, never once per item where a batch is possible.
 */
#ifndef PTBOOT_BACKEND_H
#define PTBOOT_BACKEND_H

#include <ptboot/types.h>

/* A table page and the level of the entries it holds. */
struct ptb_table_ref {
	ptb_pa_t pa;
	unsigned level;
};

/* One write to a sealed table: the 8-byte entry at pa becomes val. */
struct ptb_live_write {
	ptb_pa_t entry_pa;     /* table pa + 8 * index */
	uint64_t val;          /* the stored form (see format.h) */
	unsigned level;        /* level of the table holding the entry */
};

/* ops->flags */
#define PTB_BACKEND_FRAME_IS_PFN (1u << 0) /* frame == pfn: frames_of/pa_of unused */
#define PTB_BACKEND_SEAL_NOOP    (1u << 1) /* seal and retire do nothing (native) */

struct ptb_backend_ops {
	unsigned flags;

	/*
	 * alloc_table: give one 4 KiB page to become a level-`level` table,
	 * or, for level 0, a scratch page (the undo journal of an operation on
	 * a sealed space) that ptboot frees before that operation returns.
	 * Pre: none (may be called at any time, several times per operation;
	 *   an operation takes its tables first, then its scratch pages).
	 * Post: *pa is page aligned, not in use for anything else, and
	 *   table_ptr(*pa) gives a writable pointer to it.  Contents unspecified:
	 *   ptboot writes every entry before linking it.
	 * On error: PTB_E_NOMEM, *pa unchanged, nothing allocated.
	 * May: take the page from any allocator.  Must not: call back into
	 *   ptboot on the same space; hand out a page that is mapped writable
	 *   under a platform that forbids writable table pages once sealed, unless
	 *   seal can make every such mapping read-only.
	 */
	ptb_err_t (*alloc_table)(void *ctx, unsigned level, ptb_pa_t *pa);

	/*
	 * free_table: take back a page given by alloc_table.
	 * Pre: the page is NEW (never sealed, or retired since); no entry of any
	 *   tree points to it; ptboot will not touch it again.  It need not
	 *   have come from alloc_table: pages of an adopted tree (the bootstrap
	 *   gives the boot tree back this way) and tables the bootstrap built in
	 *   its reserve or in RAM come back here too once unmapped; the backend
	 *   decides what each becomes (a reserve page, say, may be kept aside).
	 * Post: the page belongs to the backend.
	 * Must not: fail (it has nothing to refuse); call back into ptboot.
	 */
	void (*free_table)(void *ctx, ptb_pa_t pa, unsigned level);

	/*
	 * table_ptr: a pointer through which the table page at pa is read and,
	 * while the page is NEW, written with plain 8-byte stores.
	 * Pre: pa is a table page (allocated, adopted or reachable from a root
	 *   ptboot was given).
	 * Post: the pointer stays valid (for reading; for writing while the
	 *   page is NEW) until the page is freed or a root is next activated.
	 * Must not: fail, except under a space adopted with PTB_SPACE_INSPECT
	 *   (a dump): there it returns NULL for a pa that holds no table it
	 *   can show, and ptboot treats the entry pointing there as malformed;
	 *   return a pointer to a copy (reads must see live state).
	 */
	uint64_t *(*table_ptr)(void *ctx, ptb_pa_t pa);

	/*
	 * table_window (optional, may be NULL): W such that every table page
	 * at pa is at W + pa, as table_ptr would say; 0 when there is none.
	 * Lets a walk skip one table_ptr call per level.
	 * Post: valid until the next activate.  Must not: fail.
	 */
	uintptr_t (*table_window)(void *ctx);

	/*
	 * frames_of: the frames to store in entries for n consecutive pages
	 * starting at pa (p2m).  Unused when PTB_BACKEND_FRAME_IS_PFN.
	 * Pre: pa page aligned, n >= 1.
	 * On error: PTB_E_RANGE when a page has no frame; out unspecified.
	 * Must not: change any state.
	 */
	ptb_err_t (*frames_of)(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out);

	/*
	 * pa_of: the physical address of a frame read from an entry (m2p).
	 * Unused when PTB_BACKEND_FRAME_IS_PFN.
	 * On error: PTB_E_RANGE (a frame that is not the guest's); *pa unchanged.
	 * Must not: change any state.
	 */
	ptb_err_t (*pa_of)(void *ctx, ptb_frame_t frame, ptb_pa_t *pa);

	/*
	 * seal: the tables are complete and are about to be linked into a tree
	 * (or, for a root, activated).
	 * Pre: each table is NEW (allocated by alloc_table, adopted as NEW, or a
	 *   page the caller gave ptboot for tables, like the bootstrap's reserve
	 *   and RAM), holds its final entries, is not linked anywhere yet, and every
	 *   table its entries point to is sealed already.  No table appears twice.
	 * Post: each table is SEALED: it may be linked (through write_live) or
	 *   activated; it may no longer be written with plain stores.
	 * On error: PTB_E_REFUSED; tables [0, *done) are SEALED, the rest NEW.
	 * May: make every mapping of each page read-only and tell the platform
	 *   (Xen: batched read-only flips).  Must not: link, activate or flush.
	 */
	ptb_err_t (*seal)(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done);

	/*
	 * retire: the tables were unlinked from every tree and the TLB flushed
	 * since; they become NEW again (ptboot will free or reuse them).
	 * Pre: each table is SEALED; no entry of a SEALED table points to it
	 *   (its parent was unlinked, or retired earlier in this or an earlier
	 *   call: ptboot retires parents before children); no root in use is
	 *   one of them; a flush covering them ran after unlinking.
	 * Post: each page is NEW (writable with plain stores).
	 * On error: PTB_E_REFUSED; [0, *done) are NEW, the rest SEALED.
	 * May: unpin, make the mappings writable again (Xen).
	 */
	ptb_err_t (*retire)(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done);

	/*
	 * write_live: write entries of SEALED tables, in array order.
	 * Pre: every entry_pa lies in a SEALED table of the right level; each
	 *   val is valid for its level; any table a val points to is SEALED and
	 *   of the next level down.
	 * Post: all entries hold their new values.  No TLB flush implied.
	 * On error: PTB_E_REFUSED; entries [0, *done) were written, the rest not.
	 * May: validate each entry (Xen: mmu_update).  Must not: flush; write
	 *   any other entry.
	 */
	ptb_err_t (*write_live)(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done);

	/*
	 * activate: make root the translation root of this CPU.
	 * Pre: root is a SEALED table of the format's root level; every table
	 *   reachable from it is SEALED; the mapping of the code running now and
	 *   of its stack are the same in the old and the new tree.
	 * Post: the CPU translates through root; TLB entries of the old root are
	 *   gone except global ones.
	 * On error: PTB_E_REFUSED, the old root still active.
	 * May: pin the root (Xen), load CR3, flush.
	 */
	ptb_err_t (*activate)(void *ctx, ptb_pa_t root, unsigned level);

	/*
	 * flush: invalidate TLB entries for [va, va + len), or all (incl.
	 * global) when len == 0.
	 * Pre: entries for the range were changed or removed since they were
	 *   last flushed; va is 4 KiB aligned and len a multiple of 4 KiB
	 *   (a backend may count pages as len / 4096).
	 * Post: no stale translation of the range remains.
	 * Must not: fail.
	 */
	void (*flush)(void *ctx, ptb_va_t va, uint64_t len);
};

/* The pair a space is built on. */
struct ptb_backend {
	const struct ptb_backend_ops *ops;
	void *ctx;
};

#endif
