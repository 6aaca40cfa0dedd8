/* SPDX-License-Identifier: MIT */
/*
 * The native x86-64 backend: entries are plain ordered stores, seal and
 * retire do nothing, activate loads CR3, flush is invlpg for short ranges and
 * a CR3 reload (or a CR4.PGE toggle when global pages are in use) beyond.
 * Freestanding: for kernels running in ring 0.
 */
#ifndef PTB_NATIVE_H
#define PTB_NATIVE_H

#include <ptboot/backend.h>

struct ptb_native {
	uintptr_t window;          /* table pages are at window + pa */
	uintptr_t window_after;    /* the window once a root is activated */
	bool window_switch;        /* apply window_after at the next activate */
	/* Pages of the kernel image (the bootstrap's reserve is one) are
	 * reached through the image's own mapping, before and after a switch:
	 * [image_pa, image_pa + image_len) at image_va. */
	uint64_t image_pa, image_len;
	uintptr_t image_va;
	bool global_pages;         /* CR4.PGE set: a full flush toggles it */
	unsigned invlpg_max_pages; /* longer ranges: full flush (0: 32) */
	/* The kernel's page allocator, for tables made after the bootstrap. */
	ptb_err_t (*page_alloc)(void *arg, ptb_pa_t *pa);
	void (*page_free)(void *arg, ptb_pa_t pa);
	void *page_arg;
	/* counters */
	uint64_t invlpgs, full_flushes, activations, live_writes;
};

/* The hooks; the context is a struct ptb_native. */
extern const struct ptb_backend_ops ptb_native_ops;

static inline struct ptb_backend ptb_native_backend(struct ptb_native *n)
{
	return (struct ptb_backend){ &ptb_native_ops, n };
}

#endif
