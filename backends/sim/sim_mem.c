/* SPDX-License-Identifier: MIT */
/* Simulated memory, page metadata, frames, the pool allocator. */
#include "sim_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct sim_chunk *sim_chunk(struct ptb_sim *s, uint64_t pfn)
{
	uint64_t c = pfn >> 18;
	if (c >= s->nchunks)
		return NULL;
	if (!s->chunks[c])
		s->chunks[c] = calloc(1, sizeof(struct sim_chunk));
	return s->chunks[c];
}

bool sim_refuse(struct ptb_sim *s, const char *why, uint64_t pa)
{
	s->st.refusals++;
	snprintf(s->st.last_refusal, sizeof(s->st.last_refusal), "%s (pa %#llx)", why,
		 (unsigned long long)pa);
	return false;
}

uint64_t sim_hash_page(const struct ptb_sim *s, uint64_t pa)
{
	const uint64_t *p = (const uint64_t *)(s->mem + pa);
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned i = 0; i < 512; i++)
		h = (h ^ p[i]) * 0x100000001b3ull + i;
	return h;
}

/* A bijection on [0, 2^fbits): multiply by an odd number, xor; cycle-walk
 * until the result is below npages (a bijection on [0, npages)). */
static uint64_t perm(const struct ptb_sim *s, uint64_t x, bool inverse)
{
	uint64_t mask = (1ull << s->fbits) - 1;
	do {
		x = inverse ? ((x ^ s->fxor) * s->finv) & mask : ((x * s->fmul) & mask) ^ s->fxor;
	} while (x >= s->npages);
	return x;
}

uint64_t sim_frame(const struct ptb_sim *s, uint64_t pfn)
{
	return s->cfg.scramble_frames && pfn < s->npages ? perm(s, pfn, false) : pfn;
}

uint64_t sim_pfn(const struct ptb_sim *s, uint64_t frame)
{
	return s->cfg.scramble_frames && frame < s->npages ? perm(s, frame, true) : frame;
}

static void setup_frames(struct ptb_sim *s)
{
	s->fbits = 1;
	while ((1ull << s->fbits) < s->npages)
		s->fbits++;
	uint64_t mask = (1ull << s->fbits) - 1;
	s->fmul = (s->cfg.seed * 0x9e3779b97f4a7c15ull | 1) & mask;
	s->fxor = (s->cfg.seed * 0xbf58476d1ce4e5b9ull >> 7) & mask;
	uint64_t inv = s->fmul; /* Newton: inv = inv * (2 - a * inv) mod 2^64 */
	for (int i = 0; i < 6; i++)
		inv *= 2 - s->fmul * inv;
	s->finv = inv & mask;
}

struct ptb_sim *ptb_sim_new(const struct ptb_sim_config *cfg)
{
	if (!cfg || !cfg->mem_bytes || (cfg->mem_bytes & (PTB_PAGE_SIZE - 1)))
		return NULL;
	struct ptb_sim *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->npages = cfg->mem_bytes / PTB_PAGE_SIZE;
	s->nchunks = (s->npages + (1u << 18) - 1) >> 18;
	s->chunks = calloc(s->nchunks, sizeof(*s->chunks));
	s->freed_cap = 1024;
	s->freed = malloc(s->freed_cap * sizeof(uint64_t));
	void *m = mmap(NULL, cfg->mem_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED || !s->chunks || !s->freed) {
		if (m != MAP_FAILED)
			munmap(m, cfg->mem_bytes);
		free(s->chunks);
		free(s->freed);
		free(s);
		return NULL;
	}
	s->mem = m;
	s->pool_lo = 0;
	s->pool_hi = s->bump = cfg->mem_bytes;
	setup_frames(s);
	return s;
}

void ptb_sim_delete(struct ptb_sim *s)
{
	if (!s)
		return;
	for (uint64_t c = 0; c < s->nchunks; c++)
		free(s->chunks[c]);
	free(s->chunks);
	free(s->freed);
	munmap(s->mem, s->cfg.mem_bytes);
	free(s);
}

void *ptb_sim_ptr(struct ptb_sim *s, ptb_pa_t pa)
{
	return pa.raw < s->cfg.mem_bytes ? s->mem + pa.raw : NULL;
}

void ptb_sim_set_pool(struct ptb_sim *s, ptb_pa_t lo, ptb_pa_t hi)
{
	s->pool_lo = lo.raw;
	s->pool_hi = s->bump = hi.raw < s->cfg.mem_bytes ? hi.raw : s->cfg.mem_bytes;
	s->nfreed = 0;
}

/* The next page of the pool: freed pages first (LIFO), then downward. */
bool sim_pool_take(struct ptb_sim *s, uint64_t *pa);
bool sim_pool_take(struct ptb_sim *s, uint64_t *pa)
{
	if (s->nfreed) {
		*pa = s->freed[--s->nfreed];
		return true;
	}
	if (s->bump < s->pool_lo + PTB_PAGE_SIZE)
		return false;
	s->bump -= PTB_PAGE_SIZE;
	*pa = s->bump;
	return true;
}

void sim_pool_give(struct ptb_sim *s, uint64_t pa);
void sim_pool_give(struct ptb_sim *s, uint64_t pa)
{
	if (pa < s->pool_lo || pa >= s->pool_hi)
		return; /* adopted pages from outside the pool stay out of it */
	if (s->nfreed == s->freed_cap) {
		uint64_t *n = realloc(s->freed, 2 * s->freed_cap * sizeof(uint64_t));
		if (!n)
			return;
		s->freed = n;
		s->freed_cap *= 2;
	}
	s->freed[s->nfreed++] = pa;
}

void ptb_sim_fail_alloc_at(struct ptb_sim *s, uint64_t k) { s->fail_alloc_at = k; }
void ptb_sim_fail_write_at(struct ptb_sim *s, uint64_t k) { s->fail_write_at = k; }
const struct ptb_sim_stats *ptb_sim_stats(const struct ptb_sim *s) { return &s->st; }

void ptb_sim_reset_stats(struct ptb_sim *s)
{
	uint64_t live = s->st.pages_allocated;
	s->st = (struct ptb_sim_stats){ .pages_allocated = live };
}

ptb_pa_t ptb_sim_active_root(const struct ptb_sim *s) { return ptb_pa(s->active_root); }
ptb_frame_t ptb_sim_frame_of(const struct ptb_sim *s, ptb_pa_t pa) { return ptb_frame(sim_frame(s, pa.raw >> 12)); }
ptb_pa_t ptb_sim_pa_of(const struct ptb_sim *s, ptb_frame_t fr) { return ptb_pfn_to_pa(sim_pfn(s, fr.raw)); }

void ptb_sim_set_windows(struct ptb_sim *s, const struct ptb_sim_window *w, unsigned n)
{
	s->nwin = n > 4 ? 4 : n;
	for (unsigned i = 0; i < s->nwin; i++)
		s->win[i] = w[i];
}
