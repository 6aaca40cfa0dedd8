/* SPDX-License-Identifier: MIT */
/*
 * The simulated CPUs: a root register each, and the hardware walk through
 * the TLB (sim_tlb.c).  x86 entries are decoded here with the sim's own
 * code, written from the SDM (vol. 3, 4.4-4.5, 4.10), never from src/format:
 * P 0, RW 1, US 2, PWT 3, PCD 4, PS 7 (PAT in an L1 entry), G 8, PAT 12 in
 * a large leaf, address 12..51, NX 63.  The paging mode follows the root's
 * level (3 PAE, 4, 5), as CR4 would; cfg.rotated_entries reads entries the
 * way ptb_format_test stores them (the x86 entry rotated left by its level).
 */
#include "sim_internal.h"

#define E_P     (1ull << 0)
#define E_RW    (1ull << 1)
#define E_US    (1ull << 2)
#define E_PS    (1ull << 7)
#define E_G     (1ull << 8)
#define E_NX    (1ull << 63)
#define E_ADDR  0x000ffffffffff000ull
#define PDPTE_ALLOWED (E_ADDR | 0xe19ull) /* PAE root: P, PWT, PCD, AVL 9-11 */

uint64_t sim_active_root(const struct ptb_sim *s)
{
	return s->cpu[s->cur].root;
}

bool sim_root_of_any_cpu(const struct ptb_sim *s, uint64_t pa)
{
	for (unsigned i = 0; i < s->ncpus; i++)
		if (s->cpu[i].root == pa)
			return true;
	return false;
}

/* MOV to CR3 without PCIDs: paging-structure caches gone, translations too
 * except global ones. */
void sim_cpu_activate(struct ptb_sim *s, uint64_t root, unsigned level)
{
	struct sim_cpu *c = &s->cpu[s->cur];
	sim_tlb_flush_all(s, c, true);
	c->root = root;
	c->root_level = level;
}

void ptb_sim_set_cpu(struct ptb_sim *s, unsigned cpu)
{
	if (cpu < s->ncpus)
		s->cur = cpu;
}

unsigned ptb_sim_cpu(const struct ptb_sim *s)
{
	return s->cur;
}

void ptb_sim_set_flush_reach(struct ptb_sim *s, enum ptb_sim_flush_reach reach)
{
	s->reach = reach;
}

/* The walk's state: the rights gathered so far (TLB_* bits). */
struct walk {
	struct ptb_sim *s;
	struct sim_cpu *c;
	uint64_t va;
	unsigned access, rights;
};

static uint64_t x86_entry(const struct ptb_sim *s, unsigned level, uint64_t stored)
{
	unsigned r = s->cfg.rotated_entries ? level : 0;
	return r ? (stored >> r) | (stored << (64 - r)) : stored;
}

static bool pae(const struct sim_cpu *c)
{
	return c->root_level == 3;
}

static bool va_in_mode(const struct sim_cpu *c, uint64_t va)
{
	if (pae(c))
		return va >> 32 == 0;
	unsigned sh = c->root_level == 5 ? 7 : 16;
	return (uint64_t)((int64_t)(va << sh) >> sh) == va;
}

static unsigned index_of(const struct sim_cpu *c, unsigned level, uint64_t va)
{
	unsigned n = pae(c) && level == 3 ? 4 : 512;
	return (unsigned)(va >> sim_tlb_shift(level)) & (n - 1);
}

static bool reserved(const struct sim_cpu *c, unsigned level, uint64_t e)
{
	if (pae(c) && level == c->root_level)
		return (e & ~PDPTE_ALLOWED) != 0;
	if (!(e & E_PS) || level == 1)
		return false;
	if (level > (pae(c) ? 2u : 3u))
		return true; /* no large page at this level */
	uint64_t below = ((1ull << sim_tlb_shift(level)) - 1) & E_ADDR & ~(1ull << 12);
	return (e & below) != 0;
}

static uint64_t frame_pa(const struct ptb_sim *s, uint64_t addr_bits)
{
	return sim_pfn(s, (addr_bits & E_ADDR) >> PTB_PAGE_SHIFT) << PTB_PAGE_SHIFT;
}

/* Rights of a present entry, folded into what the levels above allow. */
static unsigned fold(const struct sim_cpu *c, unsigned level, uint64_t e, unsigned rights)
{
	if (pae(c) && level == c->root_level)
		return rights; /* PDPTEs have no rights bits */
	if (!(e & E_RW))
		rights &= ~TLB_W;
	if (!(e & E_US))
		rights &= ~TLB_U;
	if (e & E_NX)
		rights |= TLB_NX;
	return rights;
}

static unsigned leaf_rights(unsigned level, uint64_t e, unsigned rights)
{
	unsigned pat = (unsigned)((e >> 3) & 3) | (unsigned)((level == 1 ? e >> 7 : e >> 12) & 1) << 2;
	return (rights & (TLB_W | TLB_U | TLB_NX)) | ((e & E_G) ? TLB_G : 0) | pat << TLB_PAT_SHIFT;
}

static enum ptb_sim_fault allowed(unsigned access, unsigned rights)
{
	if ((access & PTB_SIM_WRITE) && !(rights & TLB_W))
		return PTB_SIM_PROTECTION;
	if ((access & PTB_SIM_USER) && !(rights & TLB_U))
		return PTB_SIM_PROTECTION;
	if ((access & PTB_SIM_EXEC) && (rights & TLB_NX))
		return PTB_SIM_PROTECTION;
	return PTB_SIM_OK;
}

static void describe(const struct sim_tlb_entry *e, uint64_t va, bool hit,
		     struct ptb_sim_translation *out)
{
	uint64_t size = 1ull << sim_tlb_shift(e->level);
	*out = (struct ptb_sim_translation){
		.va = va & ~(size - 1), .pa = e->pa, .size = size, .level = e->level,
		.write = e->rights & TLB_W, .user = e->rights & TLB_U, .nx = e->rights & TLB_NX,
		.global = e->rights & TLB_G, .pat = e->rights >> TLB_PAT_SHIFT, .hit = hit,
	};
}

/* A cached translation of va: a 4 KiB, 2 MiB or 1 GiB page. */
static const struct sim_tlb_entry *cached_leaf(struct sim_cpu *c, uint64_t va)
{
	for (unsigned level = 1; level <= 3; level++) {
		const struct sim_tlb_entry *e = sim_tlb_find(c, TLB_LEAF, level, va >> sim_tlb_shift(level));
		if (e)
			return e;
	}
	return NULL;
}

/* Where the walk starts: the deepest cached paging-structure entry for va,
 * else the root. */
static uint64_t start(struct walk *w, unsigned *level)
{
	for (unsigned l = 2; l <= w->c->root_level; l++) {
		const struct sim_tlb_entry *e = sim_tlb_find(w->c, TLB_LINK, l, w->va >> sim_tlb_shift(l));
		if (e) {
			*level = l - 1;
			w->rights = e->rights;
			return e->pa;
		}
	}
	*level = w->c->root_level;
	w->rights = TLB_W | TLB_U;
	return w->c->root;
}

static enum ptb_sim_fault walk(struct walk *w, struct ptb_sim_translation *out)
{
	struct ptb_sim *s = w->s;
	unsigned level;
	uint64_t table = start(w, &level);
	s->st.tlb_walks++;
	for (;; level--) {
		uint64_t key = w->va >> sim_tlb_shift(level);
		uint64_t e = x86_entry(s, level, sim_table(s, table)[index_of(w->c, level, w->va)]);
		if (!(e & E_P))
			return PTB_SIM_NOT_PRESENT;
		if (reserved(w->c, level, e))
			return PTB_SIM_RESERVED;
		w->rights = fold(w->c, level, e, w->rights);
		if (level == 1 || (e & E_PS)) {
			uint64_t pa = frame_pa(s, level == 1 ? e : e & ~(1ull << 12));
			sim_tlb_fill(s, w->c, TLB_LEAF, level, key, pa, leaf_rights(level, e, w->rights));
			describe(sim_tlb_find(w->c, TLB_LEAF, level, key), w->va, false, out);
			return allowed(w->access, w->rights);
		}
		table = frame_pa(s, e);
		if (!sim_page(s, table))
			return PTB_SIM_OUTSIDE;
		sim_tlb_fill(s, w->c, TLB_LINK, level, key, table, w->rights);
	}
}

enum ptb_sim_fault ptb_sim_cpu_access(struct ptb_sim *s, unsigned cpu, uint64_t va,
				      unsigned access, struct ptb_sim_translation *out)
{
	if (cpu >= s->ncpus)
		return PTB_SIM_OUTSIDE;
	struct sim_cpu *c = &s->cpu[cpu];
	if (!c->root)
		return PTB_SIM_NO_ROOT;
	if (!va_in_mode(c, va))
		return PTB_SIM_OUTSIDE;
	struct ptb_sim_translation t;
	enum ptb_sim_fault f;
	const struct sim_tlb_entry *e = cached_leaf(c, va);
	if (e) {
		s->st.tlb_hits++;
		describe(e, va, true, &t);
		f = allowed(access, e->rights);
	} else {
		struct walk w = { s, c, va, access, 0 };
		f = walk(&w, &t);
	}
	if (f) {
		sim_tlb_forget_va(s, c, va); /* a page fault drops what va had cached */
		return f;
	}
	*out = t;
	return PTB_SIM_OK;
}
