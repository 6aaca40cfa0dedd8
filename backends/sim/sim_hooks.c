/* SPDX-License-Identifier: MIT */
/* The sim's hooks: count, check what can be checked, then act. */
#include "sim_internal.h"

bool sim_pool_take(struct ptb_sim *s, uint64_t *pa);
void sim_pool_give(struct ptb_sim *s, uint64_t pa);

static struct ptb_sim *sim(void *ctx)
{
	return ctx;
}

static void count(struct ptb_sim *s, enum ptb_sim_hook h, size_t items, bool trap)
{
	s->st.calls[h]++;
	s->st.items[h] += items;
	if (items > s->st.max_batch[h])
		s->st.max_batch[h] = items;
	s->st.traps += trap;
}

static uint8_t *state(struct ptb_sim *s, uint64_t pa)
{
	struct sim_chunk *c = sim_chunk(s, pa >> 12);
	return c ? &c->state[(pa >> 12) & ((1u << 18) - 1)] : NULL;
}

static void set_hash(struct ptb_sim *s, uint64_t pa)
{
	sim_chunk(s, pa >> 12)->hash[(pa >> 12) & ((1u << 18) - 1)] = sim_hash_page(s, pa);
}

static bool hash_ok(struct ptb_sim *s, uint64_t pa)
{
	if (sim_chunk(s, pa >> 12)->hash[(pa >> 12) & ((1u << 18) - 1)] == sim_hash_page(s, pa))
		return true;
	return sim_refuse(s, "plain store to a sealed table", pa);
}

static ptb_err_t sim_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct ptb_sim *s = sim(ctx);
	uint64_t p;
	count(s, PTB_SIM_ALLOC, 1, false);
	if (s->fail_alloc_at && --s->fail_alloc_at == 0)
		return PTB_E_NOMEM;
	if (!sim_pool_take(s, &p))
		return PTB_E_NOMEM;
	uint8_t *st = state(s, p);
	if (*st != PG_FREE)
		sim_refuse(s, "pool handed out a page in use", p);
	*st = level ? PG_TABLE : PG_SCRATCH;
	sim_chunk(s, p >> 12)->level[(p >> 12) & ((1u << 18) - 1)] = (uint8_t)level;
	s->st.pages_allocated++;
	*pa = ptb_pa(p);
	return PTB_OK;
}

static void sim_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct ptb_sim *s = sim(ctx);
	(void)level;
	count(s, PTB_SIM_FREE, 1, false);
	uint8_t *st = state(s, pa.raw);
	if (!st || *st == PG_FREE || *st == PG_SEALED) {
		sim_refuse(s, "free of a page that is not an unsealed table", pa.raw);
		return;
	}
	*st = PG_FREE;
	s->st.pages_allocated--;
	sim_pool_give(s, pa.raw);
}

static uint64_t *sim_table_ptr(void *ctx, ptb_pa_t pa)
{
	return (uint64_t *)(sim(ctx)->mem + pa.raw);
}

static uintptr_t sim_window(void *ctx)
{
	return (uintptr_t)sim(ctx)->mem;
}

static ptb_err_t sim_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	struct ptb_sim *s = sim(ctx);
	count(s, PTB_SIM_FRAMES_OF, n, false);
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = (pa.raw >> 12) + i;
		if (pfn >= s->npages)
			return PTB_E_RANGE;
		out[i] = ptb_frame(sim_frame(s, pfn));
	}
	return PTB_OK;
}

static ptb_err_t sim_pa_of(void *ctx, ptb_frame_t fr, ptb_pa_t *pa)
{
	struct ptb_sim *s = sim(ctx);
	count(s, PTB_SIM_PA_OF, 1, false);
	if (fr.raw >= s->npages)
		return PTB_E_RANGE;
	*pa = ptb_pfn_to_pa(sim_pfn(s, fr.raw));
	return PTB_OK;
}

static bool seal_one(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	uint8_t *st = state(s, t->pa.raw);
	/* A free page may become a table: the bootstrap takes pages that never
	 * went through alloc_table (its reserve, mapped RAM). */
	if (!st || (*st != PG_TABLE && *st != PG_FREE))
		return sim_refuse(s, st && *st == PG_SEALED ? "seal of a sealed table"
							    : "seal of a page that is not a table", t->pa.raw);
	if (s->cfg.xen_rules) {
		if (!sim_xen_flip(s, t->pa.raw, false) || !sim_xen_seal_ok(s, t->pa.raw, t->level))
			return false;
		sim_xen_sealed(s, t->pa.raw, t->level, +1);
	}
	*st = PG_SEALED;
	sim_chunk(s, t->pa.raw >> 12)->level[(t->pa.raw >> 12) & ((1u << 18) - 1)] = (uint8_t)t->level;
	set_hash(s, t->pa.raw);
	s->st.rw_to_ro++;
	return true;
}

static ptb_err_t sim_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_sim *s = sim(ctx);
	count(s, PTB_SIM_SEAL, n, true);
	for (*done = 0; *done < n; ++*done)
		if (!seal_one(s, &t[*done]))
			return PTB_E_REFUSED;
	return PTB_OK;
}

static bool retire_one(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	uint8_t *st = state(s, t->pa.raw);
	if (!st || *st != PG_SEALED)
		return sim_refuse(s, "retire of a page that is not sealed", t->pa.raw);
	if (t->pa.raw == s->active_root)
		return sim_refuse(s, "retire of the active root", t->pa.raw);
	if (!hash_ok(s, t->pa.raw))
		return false;
	if (s->cfg.xen_rules) {
		if (!sim_xen_retire_ok(s, t->pa.raw))
			return false;
		sim_xen_sealed(s, t->pa.raw, t->level, -1);
	}
	*st = PG_TABLE;
	if (s->cfg.xen_rules)
		sim_xen_flip(s, t->pa.raw, true);
	s->st.ro_to_rw++;
	return true;
}

static ptb_err_t sim_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_sim *s = sim(ctx);
	count(s, PTB_SIM_RETIRE, n, true);
	for (*done = 0; *done < n; ++*done)
		if (!retire_one(s, &t[*done]))
			return PTB_E_REFUSED;
	return PTB_OK;
}

static bool write_one(struct ptb_sim *s, const struct ptb_live_write *w)
{
	uint64_t tpa = w->entry_pa.raw & ~4095ull;
	uint8_t *st = state(s, tpa);
	if (s->fail_write_at && --s->fail_write_at == 0)
		return sim_refuse(s, "write refused by injection", w->entry_pa.raw);
	if (!st || *st != PG_SEALED)
		return sim_refuse(s, "write_live into a page that is not a sealed table", tpa);
	if (s->cfg.xen_rules && !sim_xen_write_ok(s, w->entry_pa.raw, w->level, w->val))
		return false;
	uint64_t *e = (uint64_t *)(s->mem + w->entry_pa.raw);
	uint64_t old = *e;
	*e = w->val;
	if (s->cfg.xen_rules)
		sim_xen_written(s, w->level, old, w->val);
	set_hash(s, tpa);
	return true;
}

static ptb_err_t sim_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct ptb_sim *s = sim(ctx);
	count(s, PTB_SIM_WRITE_LIVE, n, true);
	for (*done = 0; *done < n; ++*done)
		if (!write_one(s, &w[*done]))
			return PTB_E_REFUSED;
	return PTB_OK;
}

static ptb_err_t sim_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct ptb_sim *s = sim(ctx);
	uint8_t *st = state(s, root.raw);
	(void)level;
	count(s, PTB_SIM_ACTIVATE, 1, true);
	if (!st || *st != PG_SEALED) {
		sim_refuse(s, "activate of a root that is not sealed", root.raw);
		return PTB_E_REFUSED;
	}
	if (!ptb_sim_verify_sealed(s))
		return PTB_E_REFUSED;
	s->active_root = root.raw;
	return PTB_OK;
}

static void sim_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct ptb_sim *s = sim(ctx);
	(void)va;
	(void)len;
	count(s, PTB_SIM_FLUSH, 1, true);
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

void ptb_sim_adopt_table(struct ptb_sim *s, ptb_pa_t pa, unsigned level, bool sealed)
{
	uint8_t *st = state(s, pa.raw);
	if (!st)
		return;
	if (*st == PG_FREE)
		s->st.pages_allocated++;
	*st = PG_TABLE;
	sim_chunk(s, pa.raw >> 12)->level[(pa.raw >> 12) & ((1u << 18) - 1)] = (uint8_t)level;
	if (sealed) {
		*st = PG_SEALED;
		if (s->cfg.xen_rules)
			sim_xen_sealed(s, pa.raw, level, +1);
		set_hash(s, pa.raw);
	}
}

bool ptb_sim_is_sealed(const struct ptb_sim *s, ptb_pa_t pa)
{
	struct sim_chunk *c = sim_chunk((struct ptb_sim *)s, pa.raw >> 12);
	return c && c->state[(pa.raw >> 12) & ((1u << 18) - 1)] == PG_SEALED;
}

bool ptb_sim_verify_sealed(struct ptb_sim *s)
{
	for (uint64_t ci = 0; ci < s->nchunks; ci++) {
		struct sim_chunk *c = s->chunks[ci];
		for (uint64_t i = 0; c && i < (1u << 18); i++)
			if (c->state[i] == PG_SEALED && !hash_ok(s, ((ci << 18) + i) << 12))
				return false;
	}
	return true;
}
