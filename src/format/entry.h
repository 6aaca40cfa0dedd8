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

#endif
