/* SPDX-License-Identifier: MIT */
/*
 * The table-page pool: pages [lo, hi) handed out from the top down (tables
 * as high as possible, like the bootstrap wants them), freed pages reused
 * last-in first-out.  Pages that are in use for anything else (adopted
 * tables, pages sealed straight from free memory by the bootstrap) are
 * skipped, so the pool never hands out a page twice.
 */
#include "sim_internal.h"
#include <stdlib.h>

static bool usable(const struct ptb_sim *s, uint64_t pa)
{
	return pa >= s->pool_lo && pa < s->pool_hi && sim_page(s, pa)->state == PG_FREE;
}

bool sim_pool_take(struct ptb_sim *s, uint64_t *pa)
{
	while (s->nfreed) {
		uint64_t p = s->freed[--s->nfreed];
		if (usable(s, p)) {
			*pa = p;
			return true;
		}
	}
	while (s->bump >= s->pool_lo + PTB_PAGE_SIZE) {
		s->bump -= PTB_PAGE_SIZE;
		if (usable(s, s->bump)) {
			*pa = s->bump;
			return true;
		}
	}
	return false;
}

/* When the host cannot grow the LIFO, the page stays free but is lost to
 * the pool (the sweep is past it): never handed out twice either way. */
void sim_pool_give(struct ptb_sim *s, uint64_t pa)
{
	if (pa < s->pool_lo || pa >= s->pool_hi)
		return; /* adopted pages from outside the pool stay out of it */
	if (s->nfreed == s->freed_cap) {
		uint64_t cap = s->freed_cap ? 2 * s->freed_cap : 1024;
		uint64_t *n = realloc(s->freed, cap * sizeof(*n));
		if (!n)
			return;
		s->freed = n;
		s->freed_cap = cap;
	}
	s->freed[s->nfreed++] = pa;
}

void ptb_sim_set_pool(struct ptb_sim *s, ptb_pa_t lo, ptb_pa_t hi)
{
	uint64_t top = hi.raw < s->cfg.mem_bytes ? hi.raw : s->cfg.mem_bytes;
	s->pool_lo = (lo.raw + PTB_PAGE_SIZE - 1) & ~(PTB_PAGE_SIZE - 1);
	s->pool_hi = s->bump = top & ~(PTB_PAGE_SIZE - 1);
	s->nfreed = 0; /* freed pages of the old pool: the sweep finds those in range */
}

void ptb_sim_fail_alloc_at(struct ptb_sim *s, uint64_t k)
{
	s->fail_alloc_at = k;
}

void ptb_sim_fail_write_at(struct ptb_sim *s, uint64_t k)
{
	s->fail_write_at = k;
}
