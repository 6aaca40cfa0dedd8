/* SPDX-License-Identifier: MIT */
/*
 * Xen rules: the guest's own linear aliases of table pages (its direct map,
 * its kernel image mapping).  Before a page becomes a table every alias
 * must be read-only, and after it stops being one the aliases may be made
 * writable again; the Xen backend does both with update_va_mapping.  The
 * sim does the same to the leaf entries of the active tree.
 */
#include "sim_internal.h"

#define E_P    (1ull << 0)
#define E_RW   (1ull << 1)
#define E_PS   (1ull << 7)
#define E_ADDR 0x000ffffffffff000ull

/* The 4K leaf entry through which the active tree maps va, and its L1. */
static uint64_t *active_leaf(struct ptb_sim *s, uint64_t va, uint64_t *l1_pa)
{
	uint64_t t = sim_active_root(s);
	for (unsigned level = 4; t; level--) {
		uint64_t *e = sim_table(s, t) + ((va >> (3 + 9 * level)) & 511);
		if (!(*e & E_P))
			return NULL;
		if (level == 1) {
			*l1_pa = t;
			return e;
		}
		if (*e & E_PS)
			return NULL;
		t = sim_pfn(s, (*e & E_ADDR) >> PTB_PAGE_SHIFT) << PTB_PAGE_SHIFT;
		if (!sim_page(s, t))
			return NULL;
	}
	return NULL;
}

/* Set or clear RW on one alias; a sealed L1's counts and hash follow, as
 * they would after Xen's own update. */
static bool flip_one(struct ptb_sim *s, uint64_t pa, uint64_t va, bool writable)
{
	uint64_t l1;
	uint64_t *e = active_leaf(s, va, &l1);
	if (!e || !!(*e & E_RW) == writable)
		return true; /* not mapped, or already as wanted */
	if (writable && sim_page(s, pa)->state == PG_SEALED)
		return sim_refuse(s, "xen: making a table page writable", pa);
	uint64_t old = *e;
	*e = writable ? old | E_RW : old & ~E_RW;
	if (sim_page(s, l1)->state == PG_SEALED) {
		uint64_t entry_pa = l1 + (uint64_t)((uint8_t *)e - (uint8_t *)sim_table(s, l1));
		sim_xen_account_write(s, entry_pa, 1, old, *e);
		sim_hash_update(s, entry_pa, old, *e);
	}
	return true;
}

bool sim_xen_flip_aliases(struct ptb_sim *s, uint64_t pa, bool writable)
{
	if (!sim_active_root(s))
		return true;
	for (unsigned w = 0; w < s->nwin; w++) {
		const struct ptb_sim_window *win = &s->win[w];
		if (pa >= win->pa_lo && pa < win->pa_hi && !flip_one(s, pa, win->va + (pa - win->pa_lo), writable))
			return false;
	}
	return true;
}
