/* SPDX-License-Identifier: MIT */
/* The native x86-64 backend (see ptb_native.h). */
#include "ptb_native.h"

static struct ptb_native *native(void *ctx)
{
	return ctx;
}

static ptb_err_t native_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct ptb_native *n = native(ctx);
	(void)level;
	if (!n->page_alloc)
		return PTB_E_NOMEM;
	return n->page_alloc(n->page_arg, pa);
}

static void native_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct ptb_native *n = native(ctx);
	(void)level;
	if (n->page_free)
		n->page_free(n->page_arg, pa);
}

static uint64_t *native_table_ptr(void *ctx, ptb_pa_t pa)
{
	struct ptb_native *n = native(ctx);
	if (pa.raw - n->image_pa < n->image_len)
		return (uint64_t *)(n->image_va + (pa.raw - n->image_pa));
	return (uint64_t *)(n->window + pa.raw);
}

static ptb_err_t native_nothing(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)ctx;
	(void)t;
	*done = n;
	return PTB_OK;
}

static ptb_err_t native_write_live(void *ctx, const struct ptb_live_write *w, size_t cnt, size_t *done)
{
	struct ptb_native *n = native(ctx);
	for (size_t i = 0; i < cnt; i++) {
		volatile uint64_t *e = native_table_ptr(n, ptb_pa(w[i].entry_pa.raw & ~(PTB_PAGE_SIZE - 1))) +
				       (w[i].entry_pa.raw & (PTB_PAGE_SIZE - 1)) / 8;
		*e = w[i].val; /* one aligned 8-byte store: the walker sees old or new */
	}
	__asm__ volatile("" ::: "memory");
	n->live_writes += cnt;
	*done = cnt;
	return PTB_OK;
}

static void load_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

static uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static ptb_err_t native_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct ptb_native *n = native(ctx);
	(void)level;
	load_cr3(root.raw);
	if (n->window_switch) {
		n->window = n->window_after;
		n->window_switch = false;
	}
	n->activations++;
	return PTB_OK;
}

static void full_flush(struct ptb_native *n)
{
	if (n->global_pages) {
		uint64_t cr4;
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 & ~(1ull << 7)) : "memory");
		__asm__ volatile("mov %0, %%cr4" ::"r"(cr4) : "memory");
	} else {
		load_cr3(read_cr3());
	}
	n->full_flushes++;
}

static void native_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct ptb_native *n = native(ctx);
	uint64_t max = n->invlpg_max_pages ? n->invlpg_max_pages : 32;
	if (len == 0 || len / PTB_PAGE_SIZE > max) {
		full_flush(n);
		return;
	}
	/* invlpg drops every page size's entry for the address. */
	uint64_t a = va.raw & ~(PTB_PAGE_SIZE - 1);
	uint64_t pages = (va.raw - a + len + PTB_PAGE_SIZE - 1) / PTB_PAGE_SIZE;
	for (uint64_t i = 0; i < pages; i++, a += PTB_PAGE_SIZE) /* a may wrap at the top: fine */
		__asm__ volatile("invlpg (%0)" ::"r"(a) : "memory");
	n->invlpgs += pages;
}

static uintptr_t native_window(void *ctx)
{
	return native(ctx)->window;
}

const struct ptb_backend_ops ptb_native_ops = {
	.flags = PTB_BACKEND_FRAME_IS_PFN | PTB_BACKEND_SEAL_NOOP,
	.alloc_table = native_alloc,
	.free_table = native_free,
	.table_ptr = native_table_ptr,
	.table_window = native_window,
	.seal = native_nothing,
	.retire = native_nothing,
	.write_live = native_write_live,
	.activate = native_activate,
	.flush = native_flush,
};
