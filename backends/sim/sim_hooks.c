/* SPDX-License-Identifier: MIT */
/* The sim's memory hooks: alloc, free, table access, frames.  None traps. */
#include "sim_internal.h"

static struct ptb_sim *sim(void *ctx)
{
	return ctx;
}

void sim_count(struct ptb_sim *s, enum ptb_sim_hook h, size_t items, bool trap)
{
	s->st.calls[h]++;
	s->st.items[h] += items;
	if (items > s->st.max_batch[h])
		s->st.max_batch[h] = items;
	s->st.traps += trap;
}

/* What a page from alloc_table holds: zeroes when asked, else garbage that
 * looks present (P, RW, address and reserved bits), new at every call. */
static void fill(struct ptb_sim *s, uint64_t pa)
{
	uint64_t *t = sim_table(s, pa);
	uint64_t seed = sim_mix(++s->alloc_serial ^ pa);
	for (unsigned i = 0; i < 512; i++)
		t[i] = s->cfg.zeroed_tables ? 0 : sim_mix(seed + i) | 3;
}

static ptb_err_t sim_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct ptb_sim *s = sim(ctx);
	uint64_t p;
	sim_count(s, PTB_SIM_ALLOC, 1, false);
	if (s->fail_alloc_at && --s->fail_alloc_at == 0)
		return PTB_E_NOMEM;
	if (!sim_pool_take(s, &p))
		return PTB_E_NOMEM;
	struct sim_page *pg = sim_page(s, p);
	pg->state = level ? PG_TABLE : PG_SCRATCH;
	pg->level = (uint8_t)level;
	pg->counted = 1;
	s->st.pages_allocated++;
	fill(s, p);
	*pa = ptb_pa(p);
	return PTB_OK;
}

/* free_table cannot fail: a broken Pre is recorded as a refusal and the
 * page is left as it was. */
static void sim_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct ptb_sim *s = sim(ctx);
	struct sim_page *pg = sim_page(s, pa.raw);
	(void)level;
	sim_count(s, PTB_SIM_FREE, 1, false);
	if (!pg || pg->state == PG_FREE) {
		sim_refuse(s, "free of a page that is not allocated", pa.raw);
		return;
	}
	if (pg->state == PG_SEALED) {
		sim_refuse(s, "free of a sealed table", pa.raw);
		return;
	}
	if (sim_tlb_still_cached(s, pa.raw)) {
		sim_refuse(s, "free of a table still cached by a CPU (no flush since unlinked)", pa.raw);
		return;
	}
	pg->state = PG_FREE;
	if (pg->counted) {
		pg->counted = 0;
		s->st.pages_allocated--;
	}
	sim_pool_give(s, pa.raw);
}

static uint64_t *sim_table_ptr(void *ctx, ptb_pa_t pa)
{
	struct ptb_sim *s = sim(ctx);
	s->st.table_ptr_calls++;
	if (!sim_page(s, pa.raw)) {
		sim_refuse(s, "table_ptr beyond simulated memory", pa.raw);
		return NULL;
	}
	return sim_table(s, pa.raw);
}

static uintptr_t sim_window(void *ctx)
{
	return (uintptr_t)sim(ctx)->mem;
}

static ptb_err_t sim_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_FRAMES_OF, n, false);
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = (pa.raw >> PTB_PAGE_SHIFT) + i;
		if (pfn >= s->npages)
			return PTB_E_RANGE;
		out[i] = ptb_frame(sim_frame(s, pfn));
	}
	return PTB_OK;
}

static ptb_err_t sim_pa_of(void *ctx, ptb_frame_t frame, ptb_pa_t *pa)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_PA_OF, 1, false);
	if (frame.raw >= s->npages)
		return PTB_E_RANGE;
	*pa = ptb_pfn_to_pa(sim_pfn(s, frame.raw));
	return PTB_OK;
}

#define SIM_OPS(fl) { .flags = (fl), .alloc_table = sim_alloc, .free_table = sim_free, \
	.table_ptr = sim_table_ptr, .table_window = sim_window, .frames_of = sim_frames_of, \
	.pa_of = sim_pa_of, .seal = sim_seal, .retire = sim_retire, .write_live = sim_write_live, \
	.activate = sim_activate, .flush = sim_flush }

static const struct ptb_backend_ops sim_ops_pfn = SIM_OPS(PTB_BACKEND_FRAME_IS_PFN);
static const struct ptb_backend_ops sim_ops_scrambled = SIM_OPS(0);

struct ptb_backend ptb_sim_backend(struct ptb_sim *s)
{
	return (struct ptb_backend){ s->cfg.scramble_frames ? &sim_ops_scrambled : &sim_ops_pfn, s };
}
