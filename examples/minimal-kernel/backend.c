/* SPDX-License-Identifier: MIT */
/* The kernel's ptboot backend, x86-64 ring 0: entries are plain stores (seal
 * and retire have nothing to do), activate loads CR3, flush is invlpg.  Tables
 * are reached through the image (the reserve is in it) or the direct map. */
#include <ptboot/backend.h>

static uint64_t image_pa, image_len, image_va, direct_map;

/* The bootstrap hands out its own pages and adopts no boot tree, so these
 * two are not called during boot: a kernel's page allocator goes here. */
static ptb_err_t mk_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	(void)ctx, (void)level, (void)pa;
	return PTB_E_NOMEM;
}

static void mk_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	(void)ctx, (void)pa, (void)level;
}

static uint64_t *mk_table_ptr(void *ctx, ptb_pa_t pa)
{
	(void)ctx;
	if (pa.raw - image_pa < image_len)
		return (uint64_t *)(image_va + (pa.raw - image_pa));
	return (uint64_t *)(direct_map + pa.raw);
}

static ptb_err_t mk_nothing(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)ctx, (void)t;
	*done = n;
	return PTB_OK;
}

static ptb_err_t mk_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t page = w[i].entry_pa.raw & ~(PTB_PAGE_SIZE - 1);
		volatile uint64_t *e = mk_table_ptr(ctx, ptb_pa(page)) + (w[i].entry_pa.raw - page) / 8;
		*e = w[i].val; /* one aligned 8-byte store: the CPU's walker sees old or new */
	}
	*done = n;
	return PTB_OK;
}

static ptb_err_t mk_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	(void)ctx, (void)level;
	__asm__ volatile("mov %0, %%cr3" ::"r"(root.raw) : "memory");
	return PTB_OK;
}

static void mk_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	(void)ctx;
	if (len == 0 || len > 64 * PTB_PAGE_SIZE) { /* CR4.PGE is off: a CR3 reload drops everything */
		uint64_t cr3;
		__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3)::"memory");
		return;
	}
	uint64_t a = va.raw & ~(PTB_PAGE_SIZE - 1), pages = (va.raw - a + len + PTB_PAGE_SIZE - 1) / PTB_PAGE_SIZE;
	for (; pages > 0; pages--, a += PTB_PAGE_SIZE) /* a may wrap at the top: fine */
		__asm__ volatile("invlpg (%0)" ::"r"(a) : "memory");
}

static const struct ptb_backend_ops mk_ops = {
	.flags = PTB_BACKEND_FRAME_IS_PFN | PTB_BACKEND_SEAL_NOOP,
	.alloc_table = mk_alloc, .free_table = mk_free, .table_ptr = mk_table_ptr,
	.seal = mk_nothing, .retire = mk_nothing, .write_live = mk_write_live,
	.activate = mk_activate, .flush = mk_flush,
};

struct ptb_backend backend_init(uint64_t img_pa, uint64_t img_len, uint64_t img_va, uint64_t dm)
{
	image_pa = img_pa, image_len = img_len, image_va = img_va, direct_map = dm;
	return (struct ptb_backend){ &mk_ops, 0 };
}
