/* SPDX-License-Identifier: MIT */
#include "tlbcheck.h"

static const char *compare(const struct ptb_sim_translation *c, const struct rw_leaf *l)
{
	if (c->pa != l->pa)
		return "the CPU translates to another pa than the tables (stale TLB entry)";
	if (c->size != l->size)
		return "the CPU uses another page size than the tables (stale TLB entry)";
	if (c->write != l->write || c->user != l->user || c->nx != l->nx)
		return "the CPU has other rights than the tables (stale TLB entry)";
	if (c->global != l->global || c->pat != l->pat)
		return "the CPU has another global bit or PAT index than the tables (stale TLB entry)";
	return NULL;
}

const char *tlbcheck_page(struct ptb_sim *sim, unsigned cpu, const struct rw_tree *t, uint64_t va)
{
	struct rw_leaf l;
	struct ptb_sim_translation c;
	int r = refwalk_translate(t, va, &l);
	enum ptb_sim_fault f = ptb_sim_cpu_access(sim, cpu, va, 0, &c);
	if (r == 0)
		return f == PTB_SIM_OK ? compare(&c, &l) : "the CPU faults on a page the tables map";
	if (r == 1)
		return f == PTB_SIM_OK ? "the CPU translates a page the tables do not map (stale TLB entry)"
				       : f == PTB_SIM_NOT_PRESENT || f == PTB_SIM_OUTSIDE ? NULL
				       : "the CPU faults otherwise than 'not present' on an unmapped page";
	return f == PTB_SIM_OK ? "the CPU translates through a malformed tree" : NULL;
}
