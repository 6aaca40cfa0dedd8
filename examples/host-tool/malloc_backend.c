/* SPDX-License-Identifier: MIT */
/* The malloc-backed backend (see malloc_backend.h). */
#include "malloc_backend.h"
#include <stdlib.h>

static ptb_err_t mb_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct malloc_backend *m = ctx;
	(void)level;
	if (m->limit && m->in_use >= m->limit)
		return PTB_E_NOMEM;
	void *page = aligned_alloc(PTB_PAGE_SIZE, PTB_PAGE_SIZE);
	if (!page)
		return PTB_E_NOMEM;
	*pa = ptb_pa((uintptr_t)page);
	m->in_use++;
	m->allocs++;
	return PTB_OK;
}

static void mb_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct malloc_backend *m = ctx;
	(void)level;
	free((void *)(uintptr_t)pa.raw);
	m->in_use--;
	m->frees++;
}

static uint64_t *mb_table_ptr(void *ctx, ptb_pa_t pa)
{
	(void)ctx;
	return (uint64_t *)(uintptr_t)pa.raw;
}

static uintptr_t mb_window(void *ctx)
{
	(void)ctx;
	return 0; /* pa == host address: the window starts at 0 */
}

static ptb_err_t mb_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)t;
	((struct malloc_backend *)ctx)->sealed += n;
	*done = n;
	return PTB_OK;
}

static ptb_err_t mb_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)t;
	((struct malloc_backend *)ctx)->retired += n;
	*done = n;
	return PTB_OK;
}

static ptb_err_t mb_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	for (size_t i = 0; i < n; i++)
		*(uint64_t *)(uintptr_t)w[i].entry_pa.raw = w[i].val;
	((struct malloc_backend *)ctx)->live_writes += n;
	*done = n;
	return PTB_OK;
}

static ptb_err_t mb_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	(void)level;
	((struct malloc_backend *)ctx)->active_root = root;
	return PTB_OK;
}

static void mb_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	(void)va, (void)len;
	((struct malloc_backend *)ctx)->flushes++;
}

const struct ptb_backend_ops malloc_backend_ops = {
	.flags = PTB_BACKEND_FRAME_IS_PFN,
	.alloc_table = mb_alloc,
	.free_table = mb_free,
	.table_ptr = mb_table_ptr,
	.table_window = mb_window,
	.seal = mb_seal,
	.retire = mb_retire,
	.write_live = mb_write_live,
	.activate = mb_activate,
	.flush = mb_flush,
};
