/* SPDX-License-Identifier: MIT */
/*
 * A hosted ptboot backend over malloc: each table page is a 4 KiB block from
 * aligned_alloc whose "physical address" is its host address (below 2^47, so
 * it fits every x86-64 format), frames are pfns, and there is no MMU to
 * switch: activate records the root, flush counts.  Useful for tools that
 * build page tables for someone else (an image, a guest) and for running a
 * backend through ptboot's conformance suite.
 */
#ifndef MALLOC_BACKEND_H
#define MALLOC_BACKEND_H

#include <ptboot/backend.h>

struct malloc_backend {
	size_t limit;          /* pages alive at once before alloc_table fails; 0: none */
	size_t in_use;         /* pages allocated and not freed */
	size_t allocs, frees, flushes, live_writes, sealed, retired;
	ptb_pa_t active_root;
};

extern const struct ptb_backend_ops malloc_backend_ops;

static inline struct ptb_backend malloc_backend(struct malloc_backend *m)
{
	return (struct ptb_backend){ &malloc_backend_ops, m };
}

#endif
