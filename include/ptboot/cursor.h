/* SPDX-License-Identifier: MIT */
/*
 * The mapping cursor (after seed 002's mmu_map): "do whatever it takes to
 * make va->pa viable" one walk at a time, with the tables of each level that
 * the walk went through open for reading.
 *
 *   inspect(va)         walk without allocating
 *   hold(va, level)     allocate the missing tables down to `level`
 *   release(va)         free the tables on va's path that became empty
 *
 * The cursor holds no pages and no locks: it is a view, valid until the
 * space is next changed by anything other than the cursor's own calls.
 */
#ifndef PTBOOT_CURSOR_H
#define PTBOOT_CURSOR_H

#include <ptboot/space.h>

struct ptb_cursor {
	struct ptb_space *space;
	ptb_va_t va;
	unsigned level;                          /* lowest table reached */
	ptb_pa_t table_pa[PTB_MAX_LEVELS + 1];   /* by level; valid >= level */
	const uint64_t *table[PTB_MAX_LEVELS + 1];
};

/*
 * ptb_cursor_inspect: walk va from the root as far as tables go.
 * Post: c->level is the level of the last table reached (1 when va's L1
 *   table exists); table[l] and table_pa[l] are set for l >= c->level;
 *   *out_entry (if non-NULL) is va's entry in that table.
 * On error: PTB_E_NONCANON / PTB_E_RANGE (va outside the format),
 *   PTB_E_RANGE (untranslatable frame).  Must not: allocate or write.
 */
PTB_MUST_CHECK ptb_err_t ptb_cursor_inspect(struct ptb_cursor *c, struct ptb_space *s, ptb_va_t va,
					    uint64_t *out_entry);

/*
 * ptb_cursor_hold: make the level-`level` table covering va exist,
 * allocating (and, in a sealed space, sealing then linking) missing tables.
 * Pre: 1 <= level <= root level.
 * Post: as inspect, with c->level <= level.
 * On error: PTB_E_INVAL (level), PTB_E_NONCANON, PTB_E_RANGE,
 *   PTB_E_RESERVED, PTB_E_CONFLICT (a leaf or a non-zero non-present entry is
 *   in the way), PTB_E_NOMEM, PTB_E_REFUSED; space unchanged.
 * May: allocate, seal, write live entries.
 */
PTB_MUST_CHECK ptb_err_t ptb_cursor_hold(struct ptb_cursor *c, struct ptb_space *s, ptb_va_t va,
					 unsigned level);

/*
 * ptb_cursor_release: walk va and free, bottom up, each table on its path
 * that holds no entry at all (never the root, never a table under a shared
 * root slot).  Unlinking is flushed before a sealed table is retired.
 * Post: c describes the walk after the release.
 * On error: PTB_E_NONCANON, PTB_E_RANGE, PTB_E_REFUSED; space unchanged.
 * May: write live entries, flush, retire, free.
 */
PTB_MUST_CHECK ptb_err_t ptb_cursor_release(struct ptb_cursor *c, struct ptb_space *s, ptb_va_t va);

#endif
