/* SPDX-License-Identifier: MIT */
/*
 * The hooks the bootstrap's spaces run on: the platform's, except that
 * table pages come from the early reserve before the switch and from the
 * highest free mapped RAM after it.
 */
#include "boot/internal.h"

static struct ptb_boot *boot_of(void *ctx)
{
	return ctx;
}

static const struct ptb_backend_ops *plat(const struct ptb_boot *b)
{
	return b->in.backend.ops;
}

static bool in_reserve(const struct ptb_boot *b, uint64_t pa)
{
	return pa >= b->in.reserve_pa.raw && pa - b->in.reserve_pa.raw < b->in.reserve_pages * PAGE;
}

/* The highest allocatable page below the cursor (all of it is mapped). */
static bool take_ram_page(struct ptb_boot *b, uint64_t *pa)
{
	uint64_t lo, hi;
	for (size_t i = 0; boot_ram_from_top(b, i, &lo, &hi); i++) {
		if (lo >= b->cursor)
			continue;
		uint64_t p = b->cursor < hi ? b->cursor : hi;
		while (p > lo && p > b->frontier) {
			p -= PAGE;
			if (!boot_range_has(b->excl, b->n_excl, p)) {
				b->cursor = p;
				*pa = p;
				return true;
			}
		}
		if (p <= b->frontier)
			return false;
	}
	return false;
}

static ptb_err_t boot_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct ptb_boot *b = boot_of(ctx);
	uint64_t p;
	if (!b->switched) {
		if (!b->reserve_left)
			return PTB_E_NOMEM;
		if (b->reserve_free) { /* given back out of order earlier */
			p = b->reserve_free;
			b->reserve_free = plat(b)->table_ptr(b->in.backend.ctx, ptb_pa(p))[0];
		} else {
			p = b->in.reserve_pa.raw + b->reserve_next++ * PAGE;
		}
		b->reserve_left--;
		b->stats.reserve_used++;
	} else if (b->n_free) {
		p = b->free_stack[0];
		for (size_t i = 1; i < b->n_free; i++)
			b->free_stack[i - 1] = b->free_stack[i];
		b->n_free--;
		b->available--;
	} else if (b->available && take_ram_page(b, &p)) {
		b->available--;
	} else {
		return PTB_E_NOMEM;
	}
	if (b->switched && level > 0) {
		b->stats.ram_tables++;
		if (!b->stats.lowest_table_pa || p < b->stats.lowest_table_pa)
			b->stats.lowest_table_pa = p;
	}
	*pa = ptb_pa(p);
	return PTB_OK;
}

static void boot_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct ptb_boot *b = boot_of(ctx);
	uint64_t p = pa.raw;
	if (in_reserve(b, p)) {
		/* Pages come back in any order (a transaction's unused
		 * reservation is its oldest): a list kept in the free pages
		 * themselves, taken before the mark moves on. */
		b->reserve_left++;
		b->stats.reserve_used--;
		if (!b->switched) { /* after the switch the reserve is not taken from */
			plat(b)->table_ptr(b->in.backend.ctx, pa)[0] = b->reserve_free;
			b->reserve_free = p;
		}
		return;
	}
	if (boot_range_has(b->excl, b->n_excl, p)) {
		/* A page of the boot tree: it belongs to the platform again. */
		plat(b)->free_table(b->in.backend.ctx, pa, level);
		b->stats.boot_tables_freed++;
		return;
	}
	if (level > 0)
		b->stats.ram_tables--;
	size_t i = 0;
	while (i < b->n_free && b->free_stack[i] > p)
		i++;
	if (b->n_free == PTB_BOOT_FREE_STACK) {
		/* Not expected (scratch use is bounded: boot_scratch_pages), but
		 * never a page dropped: mapped RAM is the platform's to keep. */
		plat(b)->free_table(b->in.backend.ctx, pa, level);
		b->stats.free_stack_overflows++;
		return;
	}
	for (size_t k = b->n_free; k > i; k--)
		b->free_stack[k] = b->free_stack[k - 1];
	b->free_stack[i] = p;
	b->n_free++;
	b->available++;
}

static uint64_t *boot_table_ptr(void *ctx, ptb_pa_t pa)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->table_ptr(b->in.backend.ctx, pa);
}

static ptb_err_t boot_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->frames_of(b->in.backend.ctx, pa, n, out);
}

static ptb_err_t boot_pa_of(void *ctx, ptb_frame_t fr, ptb_pa_t *pa)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->pa_of(b->in.backend.ctx, fr, pa);
}

static ptb_err_t boot_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->seal(b->in.backend.ctx, t, n, done);
}

static ptb_err_t boot_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->retire(b->in.backend.ctx, t, n, done);
}

static ptb_err_t boot_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->write_live(b->in.backend.ctx, w, n, done);
}

static ptb_err_t boot_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct ptb_boot *b = boot_of(ctx);
	return plat(b)->activate(b->in.backend.ctx, root, level);
}

static void boot_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct ptb_boot *b = boot_of(ctx);
	plat(b)->flush(b->in.backend.ctx, va, len);
}

void boot_hooks_init(struct ptb_boot *b)
{
	b->ops = (struct ptb_backend_ops){
		.flags = plat(b)->flags,
		.alloc_table = boot_alloc, .free_table = boot_free, .table_ptr = boot_table_ptr,
		.frames_of = boot_frames_of, .pa_of = boot_pa_of, .seal = boot_seal,
		.retire = boot_retire, .write_live = boot_write_live, .activate = boot_activate,
		.flush = boot_flush,
	};
}

uint64_t boot_scratch_pages(const struct ptb_boot *b, uint64_t tables)
{
	/* txn.c: 16-byte records, 255 a page: two per table, two per live
	 * write; a top-down map writes live entries only in the tables on the
	 * frontier (one per level, at most every entry of each). */
	uint64_t writes = 512ull * b->in.format->levels;
	return (2 * tables + 2 * writes + 254) / 255 + 1; /* + the batches' page */
}
