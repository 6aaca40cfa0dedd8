/* SPDX-License-Identifier: MIT */
/* The read-only dump backend (see ptb_dump.h). */
#include "ptb_dump.h"

const uint64_t *ptb_dump_page(const struct ptb_dump *d, ptb_pa_t pa)
{
	size_t a = 0, b = d->nseg;
	while (a < b) { /* the first segment ending above pa */
		size_t m = a + (b - a) / 2;
		const struct ptb_dump_seg *s = &d->seg[m];
		if (s->pa + s->len <= pa.raw)
			a = m + 1;
		else
			b = m;
	}
	if (a == d->nseg || pa.raw < d->seg[a].pa)
		return NULL;
	const struct ptb_dump_seg *s = &d->seg[a];
	uint64_t off = pa.raw - s->pa;
	if (s->len - off < PTB_PAGE_SIZE)
		return NULL;
	return (const uint64_t *)(const void *)(s->data + off);
}

static ptb_err_t dump_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	(void)ctx, (void)level, (void)pa;
	return PTB_E_NOMEM;
}

static void dump_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	(void)ctx, (void)pa, (void)level;
}

static uint64_t *dump_table_ptr(void *ctx, ptb_pa_t pa)
{
	struct ptb_dump *d = ctx;
	if (d->budget && ++d->calls > d->budget) {
		d->exhausted = true;
		return d->zero;
	}
	const uint64_t *p = ptb_dump_page(d, ptb_pa(pa.raw & ~(PTB_PAGE_SIZE - 1)));
	if (p)
		return (uint64_t *)(uintptr_t)p; /* read only: see ptb_dump.h */
	if (!d->missing++)
		d->first_missing = pa;
	return d->zero;
}

static ptb_err_t dump_refuse(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)ctx, (void)t, (void)n;
	*done = 0;
	return PTB_E_REFUSED;
}

static ptb_err_t dump_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	(void)ctx, (void)w, (void)n;
	*done = 0;
	return PTB_E_REFUSED;
}

static ptb_err_t dump_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	(void)ctx, (void)root, (void)level;
	return PTB_E_REFUSED;
}

static void dump_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	(void)ctx, (void)va, (void)len;
}

const struct ptb_backend_ops ptb_dump_ops = {
	.flags = PTB_BACKEND_FRAME_IS_PFN,
	.alloc_table = dump_alloc,
	.free_table = dump_free,
	.table_ptr = dump_table_ptr,
	.seal = dump_refuse,
	.retire = dump_refuse,
	.write_live = dump_write_live,
	.activate = dump_activate,
	.flush = dump_flush,
};
