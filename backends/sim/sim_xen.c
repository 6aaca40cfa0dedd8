/* SPDX-License-Identifier: MIT */
/*
 * The sim's Xen PV rules: what Xen's page-type validation refuses, checked
 * with the sim's own decoding of x86-64 4-level entries.
 */
#include "sim_internal.h"

#define E_P    (1ull << 0)
#define E_RW   (1ull << 1)
#define E_PS   (1ull << 7)
#define E_ADDR 0x000ffffffffff000ull

static uint64_t target_pfn(const struct ptb_sim *s, uint64_t e)
{
	return sim_pfn(s, (e & E_ADDR) >> 12);
}

static unsigned state_of(struct ptb_sim *s, uint64_t pfn)
{
	struct sim_chunk *c = sim_chunk(s, pfn);
	return c ? c->state[pfn & ((1u << 18) - 1)] : PG_FREE;
}

/* Whether one entry may stand in a sealed level-`level` table at idx. */
static bool entry_ok(struct ptb_sim *s, unsigned level, unsigned idx, uint64_t e, uint64_t where)
{
	if (level == 4 && idx >= 256 && idx < 272 && e)
		return sim_refuse(s, "xen: entry in Xen's L4 slots 256-271", where);
	if (!(e & E_P))
		return (e & E_ADDR) ? sim_refuse(s, "xen: non-present entry with address bits (L1TF)", where) : true;
	if (level > 1 && (e & E_PS))
		return sim_refuse(s, "xen: large-page (PSE) entry", where);
	uint64_t pfn = target_pfn(s, e);
	if (level > 1 && state_of(s, pfn) != PG_SEALED)
		return sim_refuse(s, "xen: links a table that is not sealed", where);
	if (level == 1 && (e & E_RW) && state_of(s, pfn) == PG_SEALED)
		return sim_refuse(s, "xen: maps a sealed table writable", where);
	return true;
}

bool sim_xen_seal_ok(struct ptb_sim *s, uint64_t pa, unsigned level)
{
	struct sim_chunk *c = sim_chunk(s, pa >> 12);
	unsigned i = (pa >> 12) & ((1u << 18) - 1);
	if (c->writable[i])
		return sim_refuse(s, "xen: seal of a page still mapped writable", pa);
	const uint64_t *t = (const uint64_t *)(s->mem + pa);
	for (unsigned k = 0; k < 512; k++)
		if (!entry_ok(s, level, k, t[k], pa + 8 * k))
			return false;
	return true;
}

/* Adjust the counts a table's entries hold on other pages. */
static void account(struct ptb_sim *s, unsigned level, uint64_t e, int delta)
{
	if (!(e & E_P) || (level > 1 && (e & E_PS)) || (level == 1 && !(e & E_RW)))
		return;
	uint64_t pfn = target_pfn(s, e);
	struct sim_chunk *c = sim_chunk(s, pfn);
	if (!c)
		return;
	unsigned i = pfn & ((1u << 18) - 1);
	if (level == 1)
		c->writable[i] = (uint16_t)(c->writable[i] + delta);
	else
		c->links[i] = (uint16_t)(c->links[i] + delta);
}

void sim_xen_sealed(struct ptb_sim *s, uint64_t pa, unsigned level, int delta)
{
	const uint64_t *t = (const uint64_t *)(s->mem + pa);
	for (unsigned k = 0; k < 512; k++)
		account(s, level, t[k], delta);
}

bool sim_xen_write_ok(struct ptb_sim *s, uint64_t entry_pa, unsigned level, uint64_t val)
{
	unsigned idx = (unsigned)(entry_pa & 4095) / 8;
	if (level == 4 && idx >= 256 && idx < 272) /* any write: the slots are Xen's */
		return sim_refuse(s, "xen: write to Xen's L4 slots 256-271", entry_pa);
	return entry_ok(s, level, idx, val, entry_pa);
}

void sim_xen_written(struct ptb_sim *s, unsigned level, uint64_t old, uint64_t val)
{
	account(s, level, old, -1);
	account(s, level, val, +1);
}

/* The entry the active tree uses for va (4K leaves), or NULL. */
static uint64_t *leaf_of(struct ptb_sim *s, uint64_t va, uint64_t *l1_pa)
{
	uint64_t t = s->active_root;
	for (unsigned level = 4; t; level--) {
		uint64_t *e = (uint64_t *)(s->mem + t) + ((va >> (3 + 9 * level)) & 511);
		if (!(*e & E_P))
			return NULL;
		if (level == 1) {
			*l1_pa = t;
			return e;
		}
		if (*e & E_PS)
			return NULL;
		t = target_pfn(s, *e) << 12;
		if (t >= s->cfg.mem_bytes)
			return NULL;
	}
	return NULL;
}

bool sim_xen_flip(struct ptb_sim *s, uint64_t pa, bool writable)
{
	for (unsigned w = 0; w < s->nwin; w++) {
		if (pa < s->win[w].pa_lo || pa >= s->win[w].pa_hi || !s->active_root)
			continue;
		uint64_t l1;
		uint64_t *e = leaf_of(s, s->win[w].va + (pa - s->win[w].pa_lo), &l1);
		if (!e || !!(*e & E_RW) == writable)
			continue;
		uint64_t old = *e, val = writable ? old | E_RW : old & ~E_RW;
		if (writable && state_of(s, pa >> 12) == PG_SEALED)
			return sim_refuse(s, "xen: making a table page writable", pa);
		*e = val;
		if (state_of(s, l1 >> 12) == PG_SEALED) {
			sim_xen_written(s, 1, old, val);
			sim_chunk(s, l1 >> 12)->hash[(l1 >> 12) & ((1u << 18) - 1)] = sim_hash_page(s, l1);
		}
	}
	return true;
}

bool sim_xen_retire_ok(struct ptb_sim *s, uint64_t pa)
{
	struct sim_chunk *c = sim_chunk(s, pa >> 12);
	if (c->links[(pa >> 12) & ((1u << 18) - 1)])
		return sim_refuse(s, "retire of a table still linked", pa);
	return true;
}
