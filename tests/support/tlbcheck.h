/* SPDX-License-Identifier: MIT */
/*
 * The sim's CPU against the reference walker: an access through the CPU's
 * TLB must translate exactly as the tables in memory say, once ptboot has
 * returned (a stale translation means a flush was missing or too short).
 */
#ifndef PTB_TLBCHECK_H
#define PTB_TLBCHECK_H

#include "refwalk.h"

/* Read va on CPU cpu and walk t: NULL when both agree (pa, page size,
 * rights, global bit, PAT index, or both not mapped), else what differs. */
const char *tlbcheck_page(struct ptb_sim *sim, unsigned cpu, const struct rw_tree *t, uint64_t va);

#endif
