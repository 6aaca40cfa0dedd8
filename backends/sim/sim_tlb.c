/* SPDX-License-Identifier: MIT */
/*
 * The CPUs' TLBs: set-associative caches of translations (LEAF) and of
 * paging-structure entries (LINK), each keyed by its level and the va region
 * it covers.  A LINK entry counts on the page it links (sim_page.cached), so
 * a retire or free of a page some CPU may still walk through is caught in
 * O(1).  Nothing here reads the tables: filling is the walk's job.
 */
#include "sim_internal.h"

#define FLUSH_PROBE_PAGES 64u /* above this, a range flush scans the whole TLB */

unsigned sim_tlb_shift(unsigned level)
{
	return PTB_PAGE_SHIFT + 9 * (level - 1);
}

static struct sim_tlb_entry *set_of(struct sim_cpu *c, unsigned kind, unsigned level, uint64_t key)
{
	return c->set[sim_mix(key << 4 | level << 1 | (kind == TLB_LINK)) & (TLB_SETS - 1)];
}

const struct sim_tlb_entry *sim_tlb_find(struct sim_cpu *c, unsigned kind, unsigned level,
					 uint64_t key)
{
	struct sim_tlb_entry *set = set_of(c, kind, level, key);
	for (unsigned w = 0; w < TLB_WAYS; w++)
		if (set[w].kind == kind && set[w].level == level && set[w].key == key)
			return &set[w];
	return NULL;
}

static void drop(struct ptb_sim *s, struct sim_cpu *c, struct sim_tlb_entry *e)
{
	if (e->kind == TLB_LINK) {
		struct sim_page *pg = sim_page(s, e->pa);
		if (pg && pg->cached)
			pg->cached--;
		c->nlink--;
	} else if (e->kind == TLB_LEAF) {
		c->nleaf--;
	}
	e->kind = TLB_EMPTY;
}

/* A new entry replaces one for the same key, else a free way, else the
 * oldest way of its set. */
void sim_tlb_fill(struct ptb_sim *s, struct sim_cpu *c, unsigned kind, unsigned level,
		  uint64_t key, uint64_t pa, unsigned rights)
{
	struct sim_tlb_entry *set = set_of(c, kind, level, key), *victim = &set[0];
	for (unsigned w = 0; w < TLB_WAYS; w++) {
		struct sim_tlb_entry *e = &set[w];
		if (e->kind == kind && e->level == level && e->key == key) {
			victim = e;
			break;
		}
		if (victim->kind != TLB_EMPTY && (e->kind == TLB_EMPTY || e->age < victim->age))
			victim = e;
	}
	if (victim->kind != TLB_EMPTY && !(victim->kind == kind && victim->level == level &&
					   victim->key == key))
		s->st.tlb_evictions++;
	drop(s, c, victim);
	*victim = (struct sim_tlb_entry){ .key = key, .pa = pa, .age = ++c->clock,
					  .kind = (uint8_t)kind, .level = (uint8_t)level,
					  .rights = (uint8_t)rights };
	if (kind == TLB_LINK) {
		struct sim_page *pg = sim_page(s, pa);
		if (pg)
			pg->cached++;
		c->nlink++;
	} else {
		c->nleaf++;
	}
}

/* Whether entry e's va region holds a page of [first, last] (page numbers). */
static bool region_meets(const struct sim_tlb_entry *e, uint64_t first, uint64_t last)
{
	unsigned sh = sim_tlb_shift(e->level) - PTB_PAGE_SHIFT;
	uint64_t lo = e->key << sh, hi = lo + ((1ull << sh) - 1);
	return lo <= last && hi >= first;
}

static void flush_probe(struct ptb_sim *s, struct sim_cpu *c, uint64_t first, uint64_t last)
{
	for (uint64_t p = first;; p++) {
		for (unsigned level = 1; level <= PTB_MAX_LEVELS; level++) {
			uint64_t key = p >> (sim_tlb_shift(level) - PTB_PAGE_SHIFT);
			for (unsigned kind = TLB_LEAF; kind <= TLB_LINK; kind++) {
				struct sim_tlb_entry *set = set_of(c, kind, level, key);
				for (unsigned w = 0; w < TLB_WAYS; w++)
					if (set[w].kind == kind && set[w].level == level && set[w].key == key)
						drop(s, c, &set[w]);
			}
		}
		if (p == last)
			return;
	}
}

void sim_tlb_flush(struct ptb_sim *s, struct sim_cpu *c, uint64_t first, uint64_t last)
{
	if (first > last || !(c->nleaf + c->nlink))
		return;
	if (last - first < FLUSH_PROBE_PAGES) {
		flush_probe(s, c, first, last);
		return;
	}
	for (unsigned i = 0; i < TLB_SETS; i++)
		for (unsigned w = 0; w < TLB_WAYS; w++)
			if (c->set[i][w].kind != TLB_EMPTY && region_meets(&c->set[i][w], first, last))
				drop(s, c, &c->set[i][w]);
}

void sim_tlb_flush_all(struct ptb_sim *s, struct sim_cpu *c, bool keep_global)
{
	for (unsigned i = 0; i < TLB_SETS && c->nleaf + c->nlink; i++)
		for (unsigned w = 0; w < TLB_WAYS; w++) {
			struct sim_tlb_entry *e = &c->set[i][w];
			if (!(keep_global && e->kind == TLB_LEAF && (e->rights & TLB_G)))
				drop(s, c, e);
		}
}

void sim_tlb_forget_va(struct ptb_sim *s, struct sim_cpu *c, uint64_t va)
{
	uint64_t p = va >> PTB_PAGE_SHIFT;
	flush_probe(s, c, p, p);
}

bool sim_tlb_still_cached(struct ptb_sim *s, uint64_t pa)
{
	const struct sim_page *pg = sim_page(s, pa);
	return pg && pg->cached;
}

void ptb_sim_tlb_count(const struct ptb_sim *s, unsigned cpu, uint64_t *translations,
		       uint64_t *structures)
{
	const struct sim_cpu *c = &s->cpu[cpu < s->ncpus ? cpu : 0];
	*translations = c->nleaf;
	*structures = c->nlink;
}
