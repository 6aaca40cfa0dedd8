/* SPDX-License-Identifier: MIT */
/*
 * Fast entry predicates for the core's walks.  They belong to the format
 * layer (the core never masks or shifts entries itself) and are inline
 * because a walk calls them once per level.
 */
#ifndef PTB_FORMAT_ENTRY_H
#define PTB_FORMAT_ENTRY_H

#include <ptboot/format.h>
#include "format/x86_bits.h"

static inline uint64_t ptb_entry_unrotate(const struct ptb_format *f, unsigned level, uint64_t e)
{
	unsigned r = f->rot[level];
	return r ? (e >> r) | (e << (64 - r)) : e;
}

static inline bool ptb_entry_present(const struct ptb_format *f, unsigned level, uint64_t e)
{
	return ptb_entry_unrotate(f, level, e) & X86_P;
}

/* Present and pointing to a lower table (not a leaf). */
static inline bool ptb_entry_is_table(const struct ptb_format *f, unsigned level, uint64_t e)
{
	uint64_t x = ptb_entry_unrotate(f, level, e);
	return (x & X86_P) && level > 1 && !(x & X86_PS);
}

/* The frame a table pointer points to. */
static inline ptb_frame_t ptb_entry_table_frame(const struct ptb_format *f, unsigned level,
						uint64_t e)
{
	return ptb_frame((ptb_entry_unrotate(f, level, e) & X86_ADDR) >> PTB_PAGE_SHIFT);
}

/* The entry with its writable bit cleared (a read-only alias of a leaf). */
static inline uint64_t ptb_entry_without_write(const struct ptb_format *f, unsigned level,
					       uint64_t e)
{
	unsigned r = f->rot[level];
	uint64_t rw = r ? (X86_RW << r) | (X86_RW >> (64 - r)) : X86_RW;
	return e & ~rw;
}

/* One step of a linear walk at a constant level (inlined, so the shift is
 * a constant): true when the walk ends at this entry. */
static inline bool ptb_entry_walk_step(uintptr_t window, uint64_t *tpa, unsigned level, uint64_t va,
				       uint64_t *e)
{
	*e = ((const uint64_t *)(window + *tpa))[(va >> (3 + 9 * level)) & 511];
	if (level == 1 || (*e & (X86_P | X86_PS)) != X86_P)
		return true;
	*tpa = *e & X86_ADDR;
	return false;
}

/*
 * Walk va down an unrotated x86 tree (9 index bits a level above 4K pages;
 * PAE's 4-entry root is indexed the same way since va < 4 GiB) whose tables
 * sit at window + pa, to the entry that ends the walk: a leaf, a
 * non-present entry, or an L1 entry.  *level: the level holding it.
 */
static inline uint64_t ptb_entry_walk_linear(uintptr_t window, uint64_t root_pa, unsigned root_level,
					     uint64_t va, unsigned *level)
{
	uint64_t tpa = root_pa, e = 0;
	unsigned l = root_level;
	switch (root_level) {
	case 5:
		if (ptb_entry_walk_step(window, &tpa, 5, va, &e))
			break;
		l = 4;
		/* fall through */
	case 4:
		if (ptb_entry_walk_step(window, &tpa, 4, va, &e))
			break;
		l = 3;
		/* fall through */
	case 3:
		if (ptb_entry_walk_step(window, &tpa, 3, va, &e))
			break;
		l = 2;
		/* fall through */
	default:
		if (ptb_entry_walk_step(window, &tpa, 2, va, &e))
			break;
		l = 1;
		ptb_entry_walk_step(window, &tpa, 1, va, &e);
	}
	*level = l;
	return e;
}

/* The attributes of an unrotated present leaf at level. */
static inline ptb_attr_t ptb_entry_leaf_attr(const struct ptb_encoding *enc, unsigned level, uint64_t x)
{
	unsigned pi = (unsigned)((x >> 3) & 3) | (unsigned)((x >> (level == 1 ? 5 : 10)) & 4);
	ptb_attr_t a = ptb_attr_cache((enum ptb_cache)enc->pat->type[pi]) | (ptb_attr_t)((x >> 1) & 1) |
		       (ptb_attr_t)(((x >> 2) & 1) << 2) | (ptb_attr_t)(((x >> 8) & 1) << 3);
	if (!enc->nx || !(x & X86_NX))
		a |= PTB_ATTR_EXEC;
	return a;
}

/* The pa bits of an unrotated present leaf at level (page base). */
static inline uint64_t ptb_entry_leaf_pa(const struct ptb_format *f, unsigned level, uint64_t x)
{
	return x & X86_ADDR & ~((1ull << f->shift[level]) - 1);
}

#endif
