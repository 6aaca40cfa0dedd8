/* SPDX-License-Identifier: MIT */
/* Simulated physical memory and per-page metadata: creation, lookup, stats. */
#include "sim_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Sparse: a NORESERVE mapping costs host memory only where it is written,
 * which is what lets a test simulate 64 TiB. */
static void *reserve(uint64_t bytes)
{
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static void release(void *m, uint64_t bytes)
{
	if (m)
		munmap(m, bytes);
}

static uint64_t metadata_bytes(uint64_t npages)
{
	return npages * sizeof(struct sim_page);
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
	s->mem = reserve(cfg->mem_bytes);
	s->pages = reserve(metadata_bytes(s->npages));
	if (!s->mem || !s->pages) {
		ptb_sim_delete(s);
		return NULL;
	}
	s->pool_hi = s->bump = cfg->mem_bytes; /* default pool: all memory */
	s->ncpus = cfg->cpus ? cfg->cpus : 1;
	if (s->ncpus > PTB_SIM_MAX_CPUS || !(s->cpu = calloc(s->ncpus, sizeof(*s->cpu)))) {
		ptb_sim_delete(s);
		return NULL;
	}
	sim_perm_init(&s->perm, s->npages, cfg->seed);
	return s;
}

void ptb_sim_delete(struct ptb_sim *s)
{
	if (!s)
		return;
	release(s->mem, s->cfg.mem_bytes);
	release(s->pages, metadata_bytes(s->npages));
	free(s->freed);
	free(s->sealed_list);
	free(s->cpu);
	free(s);
}

struct sim_page *sim_page(const struct ptb_sim *s, uint64_t pa)
{
	uint64_t pfn = pa >> PTB_PAGE_SHIFT;
	return pfn < s->npages ? &s->pages[pfn] : NULL;
}

uint64_t *sim_table(const struct ptb_sim *s, uint64_t pa)
{
	return (uint64_t *)(s->mem + (pa & ~(PTB_PAGE_SIZE - 1)));
}

/* Record why the sim said no; returns false so checks can `return sim_refuse(...)`. */
bool sim_refuse(struct ptb_sim *s, const char *why, uint64_t pa)
{
	s->st.refusals++;
	snprintf(s->st.last_refusal, sizeof(s->st.last_refusal), "%s (pa %#llx)", why,
		 (unsigned long long)pa);
	return false;
}

void *ptb_sim_ptr(struct ptb_sim *s, ptb_pa_t pa)
{
	return pa.raw < s->cfg.mem_bytes ? s->mem + pa.raw : NULL;
}

const struct ptb_sim_stats *ptb_sim_stats(const struct ptb_sim *s)
{
	return &s->st;
}

/* Counters restart; pages_allocated is state, not a counter, and stays. */
void ptb_sim_reset_stats(struct ptb_sim *s)
{
	uint64_t live = s->st.pages_allocated;
	s->st = (struct ptb_sim_stats){ .pages_allocated = live };
}

bool ptb_sim_is_sealed(const struct ptb_sim *s, ptb_pa_t pa)
{
	const struct sim_page *p = sim_page(s, pa.raw);
	return p && p->state == PG_SEALED;
}

ptb_pa_t ptb_sim_active_root(const struct ptb_sim *s)
{
	return ptb_pa(sim_active_root(s));
}

ptb_frame_t ptb_sim_frame_of(const struct ptb_sim *s, ptb_pa_t pa)
{
	return ptb_frame(sim_frame(s, pa.raw >> PTB_PAGE_SHIFT));
}

ptb_pa_t ptb_sim_pa_of(const struct ptb_sim *s, ptb_frame_t frame)
{
	return ptb_pfn_to_pa(sim_pfn(s, frame.raw));
}

void ptb_sim_set_windows(struct ptb_sim *s, const struct ptb_sim_window *w, unsigned n)
{
	s->nwin = n > 4 ? 4 : n;
	for (unsigned i = 0; i < s->nwin; i++)
		s->win[i] = w[i];
}
