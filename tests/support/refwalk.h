/* SPDX-License-Identifier: MIT */
/*
 * The independent reference walker: reads tables straight out of the sim's
 * memory and decodes x86 entries with its own code (no src/ code at all), so
 * that a bug in src/format or src/space cannot hide behind itself.
 */
#ifndef PTB_REFWALK_H
#define PTB_REFWALK_H

#include <stdbool.h>
#include <stdint.h>
#include "ptb_sim.h"

enum { RW_4LEVEL = 1, RW_5LEVEL = 2, RW_PAE = 3, RW_TEST = 255 };

struct rw_leaf {
	uint64_t va, pa, size;   /* va and pa of the page's first byte */
	unsigned level;
	bool write, user, nx, global;
	unsigned pat;            /* PAT index 0..7 */
};

struct rw_tree {
	struct ptb_sim *sim;
	int format;              /* RW_* */
	uint64_t root;
	unsigned skip_first, skip_count; /* root slots not to walk (Xen's) */
};

/*
 * Translate va: 0 mapped (*out), 1 not mapped (or va outside the format),
 * -1 malformed tree (reserved bits set, a large page not aligned to its
 * size, a table outside simulated memory).
 */
int refwalk_translate(const struct rw_tree *t, uint64_t va, struct rw_leaf *out);

/* Every leaf in va order and every table (pre-order); -1 on a malformed tree. */
int refwalk_all(const struct rw_tree *t, void (*leaf)(void *, const struct rw_leaf *),
		void (*table)(void *, uint64_t pa, unsigned level), void *arg);

/* The number of tables reachable from the root (the root included);
 * UINT64_MAX for a malformed tree. */
uint64_t refwalk_count_tables(const struct rw_tree *t);

/* A hash of every reachable table page, its pa and level (for "bit-identical
 * after a failed operation" checks). */
uint64_t refwalk_hash(const struct rw_tree *t);

#endif
