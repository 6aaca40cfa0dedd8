/* SPDX-License-Identifier: MIT */
#include "hookcall.h"

bool hc_open(struct hookcall *h, const struct ptb_sim_config *cfg)
{
	h->sim = ptb_sim_new(cfg);
	if (h->sim)
		h->be = ptb_sim_backend(h->sim);
	return h->sim != NULL;
}

void hc_close(struct hookcall *h)
{
	ptb_sim_delete(h->sim);
	h->sim = NULL;
}

uint64_t *hc_page(struct hookcall *h, uint64_t pa)
{
	return ptb_sim_ptr(h->sim, ptb_pa(pa));
}

bool hc_table(struct hookcall *h, unsigned level, uint64_t *pa)
{
	ptb_pa_t p;
	if (h->be.ops->alloc_table(h->be.ctx, level, &p))
		return false;
	uint64_t *t = hc_page(h, p.raw);
	for (unsigned i = 0; i < 512; i++)
		t[i] = 0;
	*pa = p.raw;
	return true;
}

uint64_t hc_entry(struct hookcall *h, uint64_t pa, uint64_t flags)
{
	return ptb_sim_frame_of(h->sim, ptb_pa(pa)).raw << 12 | flags;
}

ptb_err_t hc_seal(struct hookcall *h, uint64_t pa, unsigned level)
{
	struct ptb_table_ref r = { ptb_pa(pa), level };
	size_t done;
	return h->be.ops->seal(h->be.ctx, &r, 1, &done);
}

ptb_err_t hc_retire(struct hookcall *h, uint64_t pa, unsigned level)
{
	struct ptb_table_ref r = { ptb_pa(pa), level };
	size_t done;
	return h->be.ops->retire(h->be.ctx, &r, 1, &done);
}

ptb_err_t hc_write(struct hookcall *h, uint64_t tpa, unsigned idx, unsigned level, uint64_t val)
{
	struct ptb_live_write w = { ptb_pa(tpa + 8ull * idx), val, level };
	size_t done;
	return h->be.ops->write_live(h->be.ctx, &w, 1, &done);
}

ptb_err_t hc_activate(struct hookcall *h, uint64_t root, unsigned level)
{
	return h->be.ops->activate(h->be.ctx, ptb_pa(root), level);
}

const struct ptb_sim_stats *hc_stats(struct hookcall *h)
{
	return ptb_sim_stats(h->sim);
}
