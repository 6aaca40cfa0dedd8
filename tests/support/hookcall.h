/* SPDX-License-Identifier: MIT */
/*
 * Calling the sim's hooks directly, the way ptboot would, on tables a test
 * builds by hand: for the sim's own tests, which must not need src/space.
 */
#ifndef PTB_HOOKCALL_H
#define PTB_HOOKCALL_H

#include "ptb_sim.h"

struct hookcall {
	struct ptb_sim *sim;
	struct ptb_backend be;
};

/* A new sim and its hooks; false when the host cannot reserve the memory. */
bool hc_open(struct hookcall *h, const struct ptb_sim_config *cfg);
void hc_close(struct hookcall *h);

/* A zeroed NEW table from alloc_table; false when the pool is empty. */
bool hc_table(struct hookcall *h, unsigned level, uint64_t *pa);

/* The host view of a simulated page. */
uint64_t *hc_page(struct hookcall *h, uint64_t pa);

/* An x86 entry for pa with `flags`: the frame (scrambled or not) at 12..51. */
uint64_t hc_entry(struct hookcall *h, uint64_t pa, uint64_t flags);

/* One-item calls of seal, retire, write_live (entry idx of table tpa), activate. */
ptb_err_t hc_seal(struct hookcall *h, uint64_t pa, unsigned level);
ptb_err_t hc_retire(struct hookcall *h, uint64_t pa, unsigned level);
ptb_err_t hc_write(struct hookcall *h, uint64_t tpa, unsigned idx, unsigned level, uint64_t val);
ptb_err_t hc_activate(struct hookcall *h, uint64_t root, unsigned level);

const struct ptb_sim_stats *hc_stats(struct hookcall *h);

#endif
