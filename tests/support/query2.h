/* SPDX-License-Identifier: MIT */
/*
 * ptb_space_query both ways: through the backend's table window (the fast
 * linear walk) and without it (the contract checker's hide_window: the walk
 * through table_ptr).
 */
#ifndef PTB_QUERY2_H
#define PTB_QUERY2_H

#include <ptboot/space.h>
#include "ptb_checked.h"

struct query2 {
	ptb_err_t err;          /* the walk through table_ptr */
	struct ptb_mapping m;
	uint64_t queries;
	uint64_t fast;          /* answered without a table_ptr call: by the window */
};

/* Query va both ways into q (err, m; counts added): NULL when the two
 * answers agree (err and, when PTB_OK, every field), else what differs. */
const char *query2(const struct ptb_space *s, struct ptb_checked *c, ptb_va_t va, struct query2 *q);

#endif
