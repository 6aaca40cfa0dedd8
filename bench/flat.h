/* SPDX-License-Identifier: MIT */
/*
 * Flat simulated physical memory for the benchmarks: one sparse host
 * mapping, table pages from a bump allocator with a free list, no checks,
 * so that what is measured is ptboot and not the backend.
 */
#ifndef PTB_BENCH_FLAT_H
#define PTB_BENCH_FLAT_H

#include <ptboot/backend.h>

struct flat {
	uint8_t *mem;         /* host address of pa `lo` */
	uint64_t lo;
	uint64_t size;
	uint64_t next;        /* bump pointer (pa) for table pages */
	uint64_t *free;       /* freed pages */
	uint64_t nfree, cap;
	uint64_t live;        /* pages allocated and not freed */
};

/* Memory for pa in [lo, lo + size); table pages from table_base up. */
int flat_init(struct flat *f, uint64_t lo, uint64_t size, uint64_t table_base);
void flat_fini(struct flat *f);
void flat_reset(struct flat *f, uint64_t table_base);
struct ptb_backend flat_backend(struct flat *f);

#endif
