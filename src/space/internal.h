/* SPDX-License-Identifier: MIT */
/*
 * Shared internals of src/space: small inline helpers and the transaction
 * (txn.c) that every changing operation runs in.
 */
#ifndef PTB_SPACE_INTERNAL_H
#define PTB_SPACE_INTERNAL_H

#include <ptboot/space.h>
#include "format/entry.h"

#if PTB_DEBUG
#define PTB_ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)
#else
#define PTB_ASSERT(c) do { } while (0)
#endif

static inline uint64_t *space_table(const struct ptb_space *s, ptb_pa_t pa)
{
	return s->be.ops->table_ptr(s->be.ctx, pa);
}

static inline bool space_frame_is_pfn(const struct ptb_space *s)
{
	return s->be.ops->flags & PTB_BACKEND_FRAME_IS_PFN;
}

/* Bytes one entry of a level-`level` table covers. */
static inline uint64_t space_slot_size(const struct ptb_space *s, unsigned level)
{
	return 1ull << s->enc.format->shift[level];
}

static inline unsigned space_index(const struct ptb_space *s, unsigned level, uint64_t va)
{
	return ptb_format_index(s->enc.format, level, ptb_va(va));
}

/* The last byte of the slot that holds va at `level`. */
static inline uint64_t space_slot_last(const struct ptb_space *s, unsigned level, uint64_t va)
{
	return va | (space_slot_size(s, level) - 1);
}

static inline bool slot_bit(const uint64_t *bits, unsigned slot)
{
	return bits[slot / 64] >> (slot % 64) & 1;
}

/* Tables below these root slots belong to another space or the platform. */
static inline bool space_slot_foreign(const struct ptb_space *s, unsigned slot)
{
	return slot_bit(s->imported, slot) || slot_bit(s->exported, slot) ||
	       slot_bit(s->reserved, slot);
}

/* Orders of a walk over tables: children first; parents first; and the
 * exact reverse of children first (also parents first). */
enum space_order { SPACE_POSTORDER, SPACE_PREORDER, SPACE_REVERSE };

/* Visit the space's own tables below root in the given order. */
void space_each_table(const struct ptb_space *s, ptb_pa_t root, unsigned level,
		      enum space_order order, ptb_table_fn fn, void *arg);

/* Whether s looks like a space: not NULL, not destroyed (destroy zeroes it). */
static inline bool space_usable(const struct ptb_space *s)
{
	return s && s->enc.format && s->be.ops;
}

/* ... and one that may be changed (not only inspected). */
static inline bool space_writable(const struct ptb_space *s)
{
	return space_usable(s) && !(s->flags & PTB_SPACE_INSPECT);
}

/* Free every table of a subtree of NEW tables, children first. */
void space_free_subtree(const struct ptb_space *s, ptb_pa_t root, unsigned level);

/* pa of the table an entry of a level-`level` table points to. */
ptb_err_t space_child(const struct ptb_space *s, unsigned level, uint64_t e, ptb_pa_t *pa);

/* Entry e is valid for its level in this space: the format's bits, and any
 * address within the space's physical width (which may be narrower). */
bool space_entry_valid(const struct ptb_space *s, unsigned level, uint64_t e);

/*
 * Where a read-only walk goes from entry e: PTB_OK with *child (a table
 * pointer to follow), PTB_E_NOTMAPPED (not a table pointer: a leaf or
 * empty), PTB_E_RANGE (a frame the backend cannot translate), or, only in an
 * inspected space, PTB_E_NOTTABLE (a malformed pointer, or one to a page the
 * backend holds no table for): an inspected tree is never trusted.
 */
ptb_err_t space_follow(const struct ptb_space *s, unsigned level, uint64_t e, ptb_pa_t *child);

static inline bool space_inspected(const struct ptb_space *s)
{
	return s->flags & PTB_SPACE_INSPECT;
}

/* The frame of a page we are about to store in an entry. */
ptb_err_t space_frame(const struct ptb_space *s, ptb_pa_t pa, ptb_frame_t *fr);

/* Whether a leaf may be put at level (policy, hardware, frame contiguity). */
bool space_leaf_allowed(const struct ptb_space *s, unsigned level, unsigned map_flags);

/* Argument checks shared by map, unmap, protect: va, len (and pa if
 * non-NULL) aligned, in range, canonical, not wrapping, not in reserved
 * root slots. */
ptb_err_t space_check_range(const struct ptb_space *s, uint64_t va, uint64_t len, const uint64_t *pa);

/* Attribute checks: known bits, W^X policy, encodable. */
ptb_err_t space_check_attr(const struct ptb_space *s, ptb_attr_t attr);

/*
 * A transaction: every page an operation needs is reserved before its first
 * write; in a sealed space every live write is journaled (entry, old value)
 * so that a refusal by the platform can be undone.
 */
#define TXN_BATCH 64

/* A live transaction's batches: one scratch page from the backend, so that
 * an operation's stack frame stays small (a kernel stack is a few KiB). */
struct txn_bufs {
	struct ptb_table_ref seal[TXN_BATCH];
	struct ptb_live_write live[TXN_BATCH];
	uint64_t live_old[TXN_BATCH];
	struct ptb_table_ref retire[TXN_BATCH];
};
_Static_assert(sizeof(struct txn_bufs) <= PTB_PAGE_SIZE, "a live transaction's batches fit one page");

struct txn {
	struct ptb_space *s;
	bool live;                 /* the space is sealed: seal + write_live */
	ptb_pa_t resv;             /* reserved NEW pages, chained via word 0 */
	uint64_t nresv;
	ptb_pa_t jfirst, jcur;     /* journal pages (live only) */
	unsigned jpos;
	uint64_t jrecords;
	unsigned nseal, nlive, nretire;
	struct txn_bufs *buf;      /* live only: in a scratch page, off the stack */
	ptb_pa_t buf_pa;
	uint64_t retire_total, retired; /* detached tables in retire order; accepted */
	uint64_t reseal_skip;
	uint64_t undo_retired;     /* new seals the undo retired, newest first */
	bool undo_stuck;           /* the platform refused one: older ones stay SEALED */
	struct { ptb_pa_t pa; uint64_t rank; bool found; } probe;
	ptb_err_t err;             /* first error of the build phase */
	uint64_t flush_lo, flush_hi; /* inclusive range of changed present entries */
	bool flush_all;
};

/* Start a transaction: reserve n tables and room for `writes` live writes. */
ptb_err_t txn_begin(struct txn *t, struct ptb_space *s, uint64_t tables, uint64_t writes);

/* Take a reserved page for a new level-`level` table (never fails). */
ptb_pa_t txn_new_table(struct txn *t, unsigned level);

/* A new table is complete (children first): queue it for sealing. */
void txn_table_done(struct txn *t, ptb_pa_t pa, unsigned level);

/* Write entry `idx` of table `tpa` (level `level`) as `val`; `fresh`: the
 * table is NEW (plain store), else the space decides (live write or store). */
void txn_write(struct txn *t, ptb_pa_t tpa, uint64_t *tbl, unsigned level, unsigned idx,
	       uint64_t val, bool fresh);

/* Note that present entries covering [lo, hi] changed (needs a flush). */
void txn_changed(struct txn *t, uint64_t lo, uint64_t hi);

/* Queue a detached SEALED/NEW table to be retired (if sealed) and freed
 * after the commit's flush. */
void txn_free_later(struct txn *t, ptb_pa_t pa, unsigned level);

/* Finish: push pending batches, flush, retire and free detached tables,
 * return unused pages.  On a refusal: undo everything, return the error. */
ptb_err_t txn_commit(struct txn *t);

/* Abandon before any write (e.g. a planning error): return reserved pages. */
void txn_abort(struct txn *t);

#endif
