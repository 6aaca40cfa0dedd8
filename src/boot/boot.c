/* SPDX-License-Identifier: MIT */
/* The bootstrap's entry points. */
#include "boot/internal.h"

static ptb_err_t dry_run(struct ptb_boot *b, uint64_t reserve_pages)
{
	b->in.reserve_pages = reserve_pages;
	b->dry = true;
	return boot_steps(b);
}

/* The model's count for the whole map in one go (no reserve limits). */
static uint64_t min_tables(struct ptb_boot *b)
{
	const struct ptb_boot_input *in = &b->in;
	boot_model_init(&b->model);
	for (size_t i = 0; i < in->kernel_len + in->extra_len; i++) {
		const struct ptb_segment *s = i < in->kernel_len ? &in->kernel[i] : &in->extra[i - in->kernel_len];
		struct boot_piece p = { s->va.raw, s->pa.raw, s->len, 0, false };
		boot_model_commit(b, &b->model, &p);
	}
	uint64_t lo, hi;
	for (size_t i = 0; boot_ram_from_top(b, i, &lo, &hi); i++) {
		struct boot_piece p = { in->direct_map.raw + lo, lo, hi - lo, 0, true };
		boot_model_commit(b, &b->model, &p);
	}
	return b->model.tables + 1;
}

ptb_err_t ptb_boot_min_tables(struct ptb_boot *work, const struct ptb_boot_input *in, uint64_t *tables)
{
	if (!work || !in || !tables)
		return PTB_E_INVAL;
	struct ptb_boot_input copy = *in;
	copy.reserve_pages = copy.reserve_pages ? copy.reserve_pages : 1;
	ptb_err_t err = boot_input_init(work, &copy);
	if (!err)
		*tables = min_tables(work);
	return err;
}

ptb_err_t ptb_boot_run(struct ptb_boot *b, const struct ptb_boot_input *in)
{
	ptb_err_t err = boot_input_init(b, in);
	if (!err)
		err = dry_run(b, in->reserve_pages);   /* proves the plan feasible */
	if (err)
		return err;
	uint64_t planned = b->model.tables + 1;
	b->dry = false;
	b->stats = (struct ptb_boot_stats){ .min_tables = 0 };
	b->n_free = 0;
	err = boot_steps(b);
	if (err) {
		if (!b->switched && b->space.root.raw) {
			/* Nothing is live yet: give the reserve back. */
			ptb_err_t undo = ptb_space_destroy(&b->space);
			(void)undo;
		}
		return err;
	}
	if (in->boot_root.raw) {
		err = ptb_space_destroy(&b->boot_space); /* retire, give back */
		if (err)
			return err;
	}
	ptb_space_count_tables(&b->space, &b->stats.tables);
	b->stats.min_tables = min_tables(b);
	b->space.be = in->backend;
	if (b->stats.tables.by_level[0] != planned)
		return PTB_E_INVAL; /* the model and the builder disagree: a bug */
	return PTB_OK;
}

ptb_err_t ptb_boot_reserve_needed(struct ptb_boot *work, const struct ptb_boot_input *in, uint64_t *pages)
{
	static const uint64_t limit = 1ull << 40;
	if (!work || !in || !pages)
		return PTB_E_INVAL;
	struct ptb_boot *b = work;
	struct ptb_boot_input copy = *in;
	copy.reserve_pages = 1; /* validated as one page; the size is what we seek */
	ptb_err_t err = boot_input_init(b, &copy);
	if (err)
		return err;
	/* Feasibility grows with the reserve: find the least feasible size. */
	uint64_t hi = 1;
	while ((err = dry_run(b, hi)) == PTB_E_NOMEM && hi < limit)
		hi *= 2;
	if (err)
		return err;
	uint64_t lo = hi / 2; /* infeasible, or 0 */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		err = dry_run(b, mid);
		if (err == PTB_OK)
			hi = mid;
		else if (err == PTB_E_NOMEM)
			lo = mid;
		else
			return err;
	}
	*pages = hi;
	return PTB_OK;
}
