/* SPDX-License-Identifier: MIT */
/* The invariant checker (see check.h). */
#include <ptboot/check.h>
#include "space/internal.h"

struct checker {
	const struct ptb_space *s;
	const struct ptb_check_policy *p;
	struct ptb_check_report *r;
	size_t ntables;
	bool overflow;
	bool stop;
};

static bool collect(void *arg, const struct ptb_table_ref *t)
{
	struct checker *c = arg;
	if (c->ntables == c->p->scratch_len) {
		c->overflow = true;
		return false;
	}
	c->p->scratch[c->ntables++] = t->pa;
	return true;
}

static void sift(ptb_pa_t *a, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && a[child + 1].raw > a[child].raw)
			child++;
		if (a[root].raw >= a[child].raw)
			return;
		ptb_pa_t tmp = a[root];
		a[root] = a[child];
		a[child] = tmp;
	}
}

static void heap_sort(ptb_pa_t *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (size_t end = n; end-- > 1;) {
		ptb_pa_t tmp = a[0];
		a[0] = a[end];
		a[end] = tmp;
		sift(a, 0, end);
	}
}

/* The first slot of the sorted table set at or above lo. */
static size_t table_lower_bound(const struct checker *c, uint64_t lo)
{
	size_t a = 0, b = c->ntables;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (c->p->scratch[m].raw < lo)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* Whether a table page lies in [lo, lo + len). */
static bool table_in(const struct checker *c, uint64_t lo, uint64_t len)
{
	size_t a = table_lower_bound(c, lo);
	return a < c->ntables && c->p->scratch[a].raw - lo < len;
}

/* Whether the walk reaches the table at pa by more than one path. */
static bool table_shared(const struct checker *c, ptb_pa_t pa)
{
	size_t a = table_lower_bound(c, pa.raw);
	return a + 1 < c->ntables && c->p->scratch[a + 1].raw == pa.raw;
}

/* Record a broken rule (if the policy asks for it); true when the walk must
 * stop: at the first finding, or when the caller's callback says so. */
static bool fail(struct checker *c, unsigned rule, uint64_t va, unsigned level, uint64_t e)
{
	if (!(c->p->rules & rule))
		return false;
	struct ptb_check_report *r = c->r;
	r->rule = rule;
	r->va = ptb_va(va);
	r->level = level;
	r->entry = e;
	r->len = space_slot_size(c->s, level);
	r->findings++;
	if (!c->p->on_finding || !c->p->on_finding(c->p->arg, r))
		c->stop = true;
	return c->stop;
}

static uint64_t canon(const struct ptb_format *f, uint64_t va)
{
	if (!f->canonical)
		return va;
	return (uint64_t)((int64_t)(va << (64 - f->va_bits)) >> (64 - f->va_bits));
}

/* Check one leaf against the leaf rules. */
static ptb_err_t check_leaf(struct checker *c, unsigned level, uint64_t va, uint64_t e)
{
	const struct ptb_space *s = c->s;
	struct ptb_entry_info info;
	ptb_format_decode(&s->enc, level, e, &info);
	c->r->leaves++;
	if ((info.attr & PTB_ATTR_WRITE) && (info.attr & PTB_ATTR_EXEC) && fail(c, PTB_CHECK_WX, va, level, e))
		return PTB_OK;
	if (level > c->p->max_leaf_level && fail(c, PTB_CHECK_LEAF_LEVELS, va, level, e))
		return PTB_OK;
	if ((info.attr & PTB_ATTR_WRITE) && (c->p->rules & PTB_CHECK_TABLE_RO)) {
		ptb_pa_t pa = ptb_pfn_to_pa(info.frame.raw);
		if (!space_frame_is_pfn(s) && s->be.ops->pa_of(s->be.ctx, info.frame, &pa))
			return space_inspected(s) ? PTB_OK : PTB_E_RANGE;
		if (table_in(c, pa.raw, space_slot_size(s, level)))
			(void)fail(c, PTB_CHECK_TABLE_RO, va, level, e);
	}
	return PTB_OK;
}

static ptb_err_t check_table(struct checker *c, ptb_pa_t tpa, unsigned level, uint64_t base)
{
	const struct ptb_space *s = c->s;
	const struct ptb_format *f = s->enc.format;
	c->r->tables++;
	for (unsigned i = 0; i < f->entries[level] && !c->stop; i++) {
		uint64_t e = space_table(s, tpa)[i];
		uint64_t va = canon(f, base + ((uint64_t)i << f->shift[level]));
		if (level == s->root_level && slot_bit(s->reserved, i))
			continue;
		if (!space_entry_valid(s, level, e)) {
			unsigned rule = ptb_entry_present(f, level, e) ? PTB_CHECK_RESERVED_BITS : PTB_CHECK_L1TF;
			(void)fail(c, rule, va, level, e);
			continue;
		}
		ptb_pa_t child;
		ptb_err_t err = space_follow(s, level, e, &child);
		if (!err && (c->p->rules & PTB_CHECK_NO_SHARED_TABLE) && table_shared(c, child) &&
		    fail(c, PTB_CHECK_NO_SHARED_TABLE, va, level, e))
			return PTB_OK;
		if (!err)
			err = check_table(c, child, level - 1, va);
		else if (err == PTB_E_NOTTABLE)
			err = (fail(c, PTB_CHECK_TABLE_IN_MEMORY, va, level, e), PTB_OK);
		else if (err == PTB_E_NOTMAPPED)
			err = ptb_entry_present(f, level, e) ? check_leaf(c, level, va, e) : PTB_OK;
		if (err)
			return err;
	}
	return PTB_OK;
}

ptb_err_t ptb_space_check(const struct ptb_space *s, const struct ptb_check_policy *policy,
			  struct ptb_check_report *report)
{
	if (!space_usable(s) || !policy || !report || (policy->rules & ~PTB_CHECK_ALL))
		return PTB_E_INVAL;
	struct checker c = { .s = s, .p = policy, .r = report };
	*report = (struct ptb_check_report){ 0 };
	if (policy->rules & (PTB_CHECK_TABLE_RO | PTB_CHECK_NO_SHARED_TABLE)) {
		ptb_space_for_each_table(s, true, collect, &c);
		if (c.overflow)
			return PTB_E_INVAL;
		heap_sort(policy->scratch, c.ntables);
	}
	ptb_err_t err = check_table(&c, s->root, s->root_level, 0);
	if (err)
		return err;
	return report->findings ? PTB_E_NOTTABLE : PTB_OK;
}

const char *ptb_check_rule_name(unsigned rule)
{
	switch (rule) {
	case 0: return "none";
	case PTB_CHECK_RESERVED_BITS: return "reserved bits clear";
	case PTB_CHECK_L1TF: return "non-present entries hold no address (L1TF)";
	case PTB_CHECK_WX: return "W^X";
	case PTB_CHECK_TABLE_RO: return "table pages never mapped writable";
	case PTB_CHECK_LEAF_LEVELS: return "leaves only at allowed levels";
	case PTB_CHECK_NO_SHARED_TABLE: return "each table reachable once";
	case PTB_CHECK_TABLE_IN_MEMORY: return "table pointers lead to tables that exist";
	default: return "unknown rule";
	}
}
