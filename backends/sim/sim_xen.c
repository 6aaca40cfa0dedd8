/* SPDX-License-Identifier: MIT */
/*
 * The sim's Xen PV rules: what Xen's page-type validation refuses, checked
 * with the sim's own decoding of x86-64 4-level entries (never src/format's,
 * so a bug there cannot hide behind itself).
 *
 * Two counts per page carry the state Xen keeps in its type references:
 * `writable`, the RW leaf entries of sealed L1s that map the page, and
 * `links`, the entries of sealed tables that point at it as a table.
 */
#include "sim_internal.h"
#include <stdint.h>

#define E_P    (1ull << 0)
#define E_RW   (1ull << 1)
#define E_PS   (1ull << 7)
#define E_ADDR 0x000ffffffffff000ull

#define XEN_SLOTS_FIRST 256u   /* L4 slots Xen owns: 256..271 */
#define XEN_SLOTS_END   272u

static uint64_t target_pa(const struct ptb_sim *s, uint64_t e)
{
	return sim_pfn(s, (e & E_ADDR) >> PTB_PAGE_SHIFT) << PTB_PAGE_SHIFT;
}

static bool is_link(unsigned level, uint64_t e)
{
	return (e & E_P) && level > 1 && !(e & E_PS);
}

static bool is_writable_leaf(unsigned level, uint64_t e)
{
	return (e & E_P) && level == 1 && (e & E_RW);
}

static bool in_xen_slots(unsigned level, unsigned idx)
{
	return level == 4 && idx >= XEN_SLOTS_FIRST && idx < XEN_SLOTS_END;
}

/* A level-`level` entry of table tpa linking a table: the target must be
 * sealed and one level down, or (Xen's linear page tables) the same level
 * through a read-only entry, the table itself included. */
static bool link_ok(struct ptb_sim *s, unsigned level, uint64_t tpa, uint64_t e, uint64_t where)
{
	uint64_t target = target_pa(s, e);
	const struct sim_page *t = sim_page(s, target);
	if (target == tpa)
		return (e & E_RW) ? sim_refuse(s, "xen: a table links itself writable", where) : true;
	if (!t || t->state != PG_SEALED)
		return sim_refuse(s, "xen: links a table that is not sealed", where);
	bool linear = t->level == level && !(e & E_RW);
	if (t->level != level - 1 && !linear)
		return sim_refuse(s, "xen: links a table of the wrong level", where);
	if (t->links == UINT16_MAX)
		return sim_refuse(s, "sim: too many links to one table", where);
	return true;
}

/* A level-1 leaf of table tpa: never a writable mapping of a table page. */
static bool leaf_ok(struct ptb_sim *s, uint64_t tpa, uint64_t e, uint64_t where)
{
	uint64_t target = target_pa(s, e);
	const struct sim_page *t = sim_page(s, target);
	if (!(e & E_RW) || !t)
		return true; /* read-only, or not RAM (I/O memory is not ours to judge) */
	if (t->state == PG_SEALED || target == tpa)
		return sim_refuse(s, "xen: maps a table page writable", where);
	if (t->writable == UINT16_MAX)
		return sim_refuse(s, "sim: too many writable mappings of one page", where);
	return true;
}

/* Whether entry idx of a level-`level` table tpa may hold e. */
static bool entry_ok(struct ptb_sim *s, unsigned level, uint64_t tpa, unsigned idx, uint64_t e)
{
	uint64_t where = tpa + 8ull * idx;
	if (in_xen_slots(level, idx) && e)
		return sim_refuse(s, "xen: entry in Xen's L4 slots 256-271", where);
	if (!(e & E_P))
		return (e & E_ADDR) ? sim_refuse(s, "xen: non-present entry with address bits (L1TF)", where)
				    : true;
	if (level > 1 && (e & E_PS))
		return sim_refuse(s, "xen: large-page (PSE) entry", where);
	return level == 1 ? leaf_ok(s, tpa, e, where) : link_ok(s, level, tpa, e, where);
}

bool sim_xen_seal_ok(struct ptb_sim *s, uint64_t pa, unsigned level)
{
	if (level > 4)
		return sim_refuse(s, "xen: PV guests have 4 levels", pa);
	if (sim_page(s, pa)->writable)
		return sim_refuse(s, "xen: seal of a page still mapped writable", pa);
	const uint64_t *t = sim_table(s, pa);
	for (unsigned i = 0; i < 512; i++)
		if (!entry_ok(s, level, pa, i, t[i]))
			return false;
	return true;
}

bool sim_xen_write_ok(struct ptb_sim *s, uint64_t entry_pa, unsigned level, uint64_t val)
{
	uint64_t tpa = entry_pa & ~(PTB_PAGE_SIZE - 1);
	unsigned idx = (unsigned)(entry_pa - tpa) / 8;
	if (in_xen_slots(level, idx)) /* any write, even of zero: the slots are Xen's */
		return sim_refuse(s, "xen: write to Xen's L4 slots 256-271", entry_pa);
	return entry_ok(s, level, tpa, idx, val);
}

/* Counts never wrap: the checks above refuse before a count could. */
static void adjust(uint16_t *count, int delta)
{
	if (delta > 0 ? *count < UINT16_MAX : *count > 0)
		*count = (uint16_t)(*count + delta);
}

/* The counts entry e of table tpa holds on its target, by delta. */
static void account(struct ptb_sim *s, unsigned level, uint64_t tpa, uint64_t e, int delta)
{
	uint64_t target = target_pa(s, e);
	struct sim_page *t = sim_page(s, target);
	if (!t)
		return;
	if (is_writable_leaf(level, e))
		adjust(&t->writable, delta);
	else if (is_link(level, e) && target != tpa) /* a self link keeps nothing alive */
		adjust(&t->links, delta);
}

void sim_xen_account_table(struct ptb_sim *s, uint64_t pa, unsigned level, int delta)
{
	const uint64_t *t = sim_table(s, pa);
	for (unsigned i = 0; i < 512; i++)
		account(s, level, pa, t[i], delta);
}

void sim_xen_account_write(struct ptb_sim *s, uint64_t entry_pa, unsigned level, uint64_t old,
			   uint64_t val)
{
	uint64_t tpa = entry_pa & ~(PTB_PAGE_SIZE - 1);
	account(s, level, tpa, old, -1);
	account(s, level, tpa, val, +1);
}

bool sim_xen_retire_ok(struct ptb_sim *s, uint64_t pa)
{
	if (sim_page(s, pa)->links)
		return sim_refuse(s, "xen: retire of a table still linked", pa);
	return true;
}
