/* SPDX-License-Identifier: MIT */
/*
 * A flat reference model of an address space: page -> (pa, attr), with the
 * semantics space.h promises, at 4K granularity (it knows nothing of tables
 * or page sizes).  Compared against the reference walker.
 */
#ifndef PTB_MODEL_H
#define PTB_MODEL_H

#include <ptboot/types.h>
#include "refwalk.h"

struct model_slot {
	uint64_t key;          /* va page + 1; 0: empty */
	uint64_t pa;
	ptb_attr_t attr;
	bool mapped;
};

struct model {
	struct model_slot *slots;
	uint64_t cap, used, mapped;
	uint8_t pat[8];        /* cache type of each PAT index */
	bool nx;
};

void model_init(struct model *m, const uint8_t pat[8], bool nx);
void model_free(struct model *m);
/* Whether any page of the range is mapped. */
bool model_any(const struct model *m, uint64_t va, uint64_t len);
/* map: pages already mapped are kept (keep) or the call must not happen. */
void model_map(struct model *m, uint64_t va, uint64_t pa, uint64_t len, ptb_attr_t attr);
void model_unmap(struct model *m, uint64_t va, uint64_t len);
void model_protect(struct model *m, uint64_t va, uint64_t len, ptb_attr_t attr);
const struct model_slot *model_get(const struct model *m, uint64_t va);

/* The leaf's attributes in ptboot's terms. */
ptb_attr_t model_attr_of(const struct model *m, const struct rw_leaf *l);

/* Compare the whole tree with the model; returns NULL or what differs. */
const char *model_compare(const struct model *m, const struct rw_tree *t, uint64_t *where);

#endif
