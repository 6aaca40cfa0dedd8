/* SPDX-License-Identifier: MIT */
/* Internals of the bootstrap (src/boot). */
#ifndef PTB_BOOT_INTERNAL_H
#define PTB_BOOT_INTERNAL_H

#include <ptboot/boot.h>

#define PAGE PTB_PAGE_SIZE

/* input.c: validate the input and derive the exclusion and read-only sets. */
ptb_err_t boot_input_init(struct ptb_boot *b, const struct ptb_boot_input *in);

/* Whether pa lies in one of n sorted disjoint ranges. */
bool boot_range_has(const struct ptb_boot_range *r, size_t n, uint64_t pa);

/* Pages of [lo, hi) that lie in none of the n sorted disjoint ranges. */
uint64_t boot_pages_outside(const struct ptb_boot_range *r, size_t n, uint64_t lo, uint64_t hi);

/* Usable RAM, page-rounded: the i-th range from the top, false past the end. */
bool boot_ram_from_top(const struct ptb_boot *b, size_t i, uint64_t *lo, uint64_t *hi);

/* model.c: tables a mapping needs given what exists; commit records it. */
struct boot_piece {
	uint64_t va, pa, len;
	ptb_attr_t attr;
	bool direct_map;           /* part of the top-down direct map */
};
void boot_model_init(struct ptb_boot_model *m);
uint64_t boot_model_cost(const struct ptb_boot *b, const struct ptb_boot_model *m,
			 const struct boot_piece *p);
void boot_model_commit(const struct ptb_boot *b, struct ptb_boot_model *m, const struct boot_piece *p);

/* hooks.c: the wrapping hooks (reserve and top-down allocation). */
void boot_hooks_init(struct ptb_boot *b);
/* Scratch pages a map of `tables` new tables may need at most (journal). */
uint64_t boot_scratch_pages(const struct ptb_boot *b, uint64_t tables);

/* plan.c: the steps, run dry (model only) or for real. */
ptb_err_t boot_steps(struct ptb_boot *b);

#endif
