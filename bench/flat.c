/* SPDX-License-Identifier: MIT */
#include "flat.h"
#include <stdlib.h>
#include <sys/mman.h>

static ptb_err_t flat_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct flat *f = ctx;
	(void)level;
	if (f->nfree) {
		*pa = ptb_pa(f->free[--f->nfree]);
	} else {
		if (f->next + PTB_PAGE_SIZE > f->lo + f->size)
			return PTB_E_NOMEM;
		*pa = ptb_pa(f->next);
		f->next += PTB_PAGE_SIZE;
	}
	f->live++;
	return PTB_OK;
}

static void flat_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct flat *f = ctx;
	(void)level;
	if (f->nfree < f->cap)
		f->free[f->nfree++] = pa.raw;
	f->live--;
}

static uint64_t *flat_ptr(void *ctx, ptb_pa_t pa)
{
	struct flat *f = ctx;
	return (uint64_t *)(f->mem + (pa.raw - f->lo));
}

static uintptr_t flat_window(void *ctx)
{
	struct flat *f = ctx;
	return (uintptr_t)f->mem - f->lo;
}

static ptb_err_t flat_nothing(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)ctx;
	(void)t;
	*done = n;
	return PTB_OK;
}

static ptb_err_t flat_write(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct flat *f = ctx;
	for (size_t i = 0; i < n; i++)
		*(volatile uint64_t *)(f->mem + (w[i].entry_pa.raw - f->lo)) = w[i].val;
	*done = n;
	return PTB_OK;
}

static ptb_err_t flat_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	(void)ctx;
	(void)root;
	(void)level;
	return PTB_OK;
}

static void flat_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	(void)ctx;
	(void)va;
	(void)len;
}

static const struct ptb_backend_ops flat_ops = {
	.flags = PTB_BACKEND_FRAME_IS_PFN | PTB_BACKEND_SEAL_NOOP,
	.alloc_table = flat_alloc, .free_table = flat_free, .table_ptr = flat_ptr, .table_window = flat_window,
	.seal = flat_nothing, .retire = flat_nothing, .write_live = flat_write,
	.activate = flat_activate, .flush = flat_flush,
};

int flat_init(struct flat *f, uint64_t lo, uint64_t size, uint64_t table_base)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	/* Huge pages on the host keep its own TLB misses out of the lookups. */
	madvise(m, size, MADV_HUGEPAGE);
	*f = (struct flat){ .mem = m, .lo = lo, .size = size, .next = table_base, .cap = 1u << 22 };
	f->free = malloc(f->cap * sizeof(uint64_t));
	return f->free ? 0 : -1;
}

void flat_reset(struct flat *f, uint64_t table_base)
{
	f->next = table_base;
	f->nfree = 0;
	f->live = 0;
}

void flat_fini(struct flat *f)
{
	munmap(f->mem, f->size);
	free(f->free);
}

struct ptb_backend flat_backend(struct flat *f)
{
	return (struct ptb_backend){ &flat_ops, f };
}
