/* SPDX-License-Identifier: MIT */
/*
 * The seven steps.  boot_steps runs twice with identical decisions: first
 * dry (the cost model only, no hook, no write) to prove the whole plan
 * feasible, then for real, where every piece the model costs is mapped by
 * ptb_space_map and must take exactly that many tables.
 */
#include "boot/internal.h"

/* Map one piece (dry: account only). */
static ptb_err_t do_piece(struct ptb_boot *b, const struct boot_piece *p)
{
	uint64_t cost = boot_model_cost(b, &b->model, p);
	if (cost > (b->switched ? b->available : b->reserve_left))
		return PTB_E_NOMEM;
	if (b->dry) {
		if (b->switched)
			b->available -= cost;
		else
			b->reserve_left -= cost;
	} else {
		uint64_t before = b->stats.reserve_used + b->stats.ram_tables;
		ptb_err_t err = ptb_space_map(&b->space, ptb_va(p->va), ptb_pa(p->pa), p->len, p->attr, 0);
		if (err)
			return err;
		b->stats.map_calls++;
		if (b->stats.reserve_used + b->stats.ram_tables - before != cost)
			return PTB_E_INVAL; /* the model and the builder disagree: a bug */
	}
	boot_model_commit(b, &b->model, p);
	return b->model.lost ? PTB_E_INVAL : PTB_OK; /* the model lost count: a bug */
}

/*
 * Map [pa, pa+len) at va, read-only where it meets the read-only set, in
 * pieces from the top down: the model describes the direct map by one
 * interval per level, which holds only if every piece lies below the last.
 */
static ptb_err_t map_pieces(struct ptb_boot *b, uint64_t va, uint64_t pa, uint64_t len,
			    ptb_attr_t attr, bool dm)
{
	for (uint64_t hi = pa + len; hi > pa;) {
		uint64_t last = hi - PAGE, lo = pa;
		bool ro = boot_range_has(b->ro, b->n_ro, last);
		for (size_t i = 0; i < b->n_ro; i++) {
			uint64_t edge = ro ? b->ro[i].lo : b->ro[i].hi;
			bool holds = ro ? b->ro[i].lo <= last && last < b->ro[i].hi : edge <= last;
			if (holds && edge > lo)
				lo = edge;
		}
		struct boot_piece p = { va + (lo - pa), lo, hi - lo, ro ? attr & ~PTB_ATTR_WRITE : attr, dm };
		ptb_err_t err = do_piece(b, &p);
		if (err)
			return err;
		hi = lo;
	}
	return PTB_OK;
}

static ptb_attr_t kernel_attr(const struct ptb_boot *b, enum ptb_seg_kind k)
{
	ptb_attr_t g = b->in.xen ? 0 : PTB_ATTR_GLOBAL;
	switch (k) {
	case PTB_SEG_TEXT: return g | PTB_ATTR_EXEC;
	case PTB_SEG_RODATA: return g;
	default: return g | PTB_ATTR_WRITE;
	}
}

/* Step 1, and the extra ranges. */
static ptb_err_t map_kernel(struct ptb_boot *b)
{
	for (size_t i = 0; i < b->in.kernel_len; i++) {
		const struct ptb_segment *s = &b->in.kernel[i];
		ptb_err_t err = map_pieces(b, s->va.raw, s->pa.raw, s->len, kernel_attr(b, s->kind), false);
		if (err)
			return err;
	}
	for (size_t i = 0; i < b->in.extra_len; i++) {
		const struct ptb_segment *s = &b->in.extra[i];
		ptb_err_t err = map_pieces(b, s->va.raw, s->pa.raw, s->len, kernel_attr(b, PTB_SEG_DATA), false);
		if (err)
			return err;
	}
	return PTB_OK;
}

static uint64_t dm_attr(const struct ptb_boot *b)
{
	return PTB_ATTR_WRITE | (b->in.xen ? 0 : PTB_ATTR_GLOBAL);
}

/* The largest granule the direct map is cut in: the biggest leaf's size,
 * or an L1 table's span when only 4K leaves are allowed. */
static uint64_t top_granule(const struct ptb_boot *b)
{
	unsigned level = b->max_leaf_level > 1 ? b->max_leaf_level : 2;
	return 1ull << b->in.format->shift[level];
}

/* Shrink no further than one L1 table's span: a frontier in the middle of
 * an L1 table would make the next round fill it with live writes (one
 * mmu_update entry each under Xen) instead of plain stores. */
static uint64_t smaller_granule(const struct ptb_boot *b, uint64_t g)
{
	return g > (1ull << b->in.format->shift[2]) ? g >> 9 : 0;
}

static uint64_t chunk_lo(uint64_t lo, uint64_t top, uint64_t span, uint64_t g)
{
	uint64_t want = top - lo > span ? top - span : lo;
	want &= ~(g - 1);
	return want > lo ? want : lo;
}

static uint64_t dm_cost(const struct ptb_boot *b, uint64_t lo, uint64_t hi)
{
	struct boot_piece p = { b->in.direct_map.raw + lo, lo, hi - lo, dm_attr(b), true };
	return boot_model_cost(b, &b->model, &p);
}

/* Whether mapping [lo, top) fits what is left to take tables from. */
static bool fits(const struct ptb_boot *b, uint64_t lo, uint64_t top, uint64_t *cost)
{
	*cost = dm_cost(b, lo, top);
	if (!b->switched)
		return *cost <= b->reserve_left;
	return *cost + boot_scratch_pages(b, *cost) <= b->available && *cost <= 2048;
}

/*
 * Steps 2 and 5-7: map RAM downward.  Before the switch, chunks shrink
 * until the reserve is used up; after it, chunks grow (for fewer, larger
 * batches) as far as the free mapped pages allow.
 */
static ptb_err_t map_ram(struct ptb_boot *b, size_t *range, uint64_t *top)
{
	uint64_t lo, hi, cost;
	while (boot_ram_from_top(b, *range, &lo, &hi)) {
		if (*top > hi || *top <= lo)
			*top = hi;
		while (*top > lo) {
			uint64_t g = top_granule(b), clo = chunk_lo(lo, *top, g, g);
			while (!fits(b, clo, *top, &cost)) {
				g = smaller_granule(b, g);
				if (!g)
					return b->switched ? PTB_E_NOMEM : PTB_OK; /* reserve used up */
				clo = chunk_lo(lo, *top, g, g);
			}
			for (uint64_t span = 2 * (*top - clo); clo > lo; span *= 2) {
				uint64_t wider = chunk_lo(lo, *top, span, g), c2;
				if (!fits(b, wider, *top, &c2))
					break;
				clo = wider;
			}
			ptb_err_t err = map_pieces(b, b->in.direct_map.raw + clo, clo, *top - clo, dm_attr(b), true);
			if (err)
				return err;
			b->available += boot_pages_outside(b->excl, b->n_excl, clo, *top);
			b->stats.ram_bytes += *top - clo;
			if (!b->switched)
				b->stats.step2_bytes += *top - clo;
			else
				b->stats.rounds++;
			b->frontier = clo;
			*top = clo;
		}
		(*range)++;
	}
	return PTB_OK;
}

static ptb_err_t new_space(struct ptb_boot *b)
{
	const struct ptb_boot_input *in = &b->in;
	struct ptb_space_config cfg = {
		.format = in->format, .pat = in->pat, .backend = { &b->ops, b },
		.max_leaf_level = b->max_leaf_level, .pa_bits = in->pa_bits,
		.flags = (in->nx ? PTB_SPACE_NX : 0) | PTB_SPACE_WX_STRICT,
		.reserved_first = in->xen ? 256 : 0, .reserved_count = in->xen ? 16 : 0,
	};
	if (b->dry) {
		if (!b->reserve_left)
			return PTB_E_NOMEM;
		b->reserve_left--;
		return PTB_OK;
	}
	return ptb_space_create(&b->space, &cfg);
}

/* Steps 3 and 4: seal everything built so far, switch. */
static ptb_err_t switch_root(struct ptb_boot *b, uint64_t ram_top)
{
	if (!b->dry) {
		ptb_err_t err = ptb_space_seal(&b->space);
		if (!err)
			err = ptb_space_activate(&b->space);
		if (err)
			return err;
	}
	b->switched = true;
	b->cursor = ram_top;
	return PTB_OK;
}

ptb_err_t boot_steps(struct ptb_boot *b)
{
	uint64_t lo, ram_top = 0, top = 0;
	size_t range = 0;
	if (!boot_ram_from_top(b, 0, &lo, &ram_top))
		return PTB_E_MEMMAP;
	b->reserve_left = b->in.reserve_pages;
	b->reserve_next = 0;
	b->reserve_free = 0;
	b->available = 0;
	b->frontier = ram_top;
	b->switched = false;
	boot_model_init(&b->model);
	ptb_err_t err = new_space(b);
	if (!err)
		err = map_kernel(b);                 /* step 1 */
	if (!err)
		err = map_ram(b, &range, &top);      /* step 2 */
	if (!err && b->frontier == ram_top)
		err = PTB_E_NOMEM;                   /* no RAM mapped to continue from */
	if (!err)
		err = switch_root(b, ram_top);       /* steps 3, 4 */
	if (!err)
		err = map_ram(b, &range, &top);      /* steps 5-7 */
	return err;
}
