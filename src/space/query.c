/* SPDX-License-Identifier: MIT */
/* Read-only walks: query one va, and the coalesced ranges of the space. */
#include "space/internal.h"

/* A present leaf's page pa (through the m2p when frames are not pfns). */
static ptb_err_t leaf_of(const struct ptb_space *s, unsigned level, uint64_t e, ptb_pa_t *pa, ptb_attr_t *attr)
{
	struct ptb_entry_info info;
	ptb_format_decode(&s->enc, level, e, &info);
	*attr = info.attr;
	*pa = ptb_pfn_to_pa(info.frame.raw);
	return space_frame_is_pfn(s) ? PTB_OK : s->be.ops->pa_of(s->be.ctx, info.frame, pa);
}

/* The common case: x86 bits, frames are pfns, tables in a linear window. */
static ptb_err_t query_linear(const struct ptb_space *s, uintptr_t window, uint64_t va,
			      struct ptb_mapping *out)
{
	const struct ptb_format *f = s->enc.format;
	unsigned level;
	uint64_t e = ptb_entry_walk_linear(window, s->root.raw, s->root_level, va, &level);
	if (!ptb_entry_present(f, level, e))
		return PTB_E_NOTMAPPED;
	uint64_t size = 1ull << f->shift[level];
	out->pa = ptb_pa(ptb_entry_leaf_pa(f, level, e) | (va & (size - 1)));
	out->attr = ptb_entry_leaf_attr(&s->enc, level, e);
	out->level = level;
	out->page_size = size;
	return PTB_OK;
}

ptb_err_t ptb_space_query(const struct ptb_space *s, ptb_va_t va, struct ptb_mapping *out)
{
	if (!space_usable(s) || !out)
		return PTB_E_INVAL;
	const struct ptb_format *f = s->enc.format;
	if (!ptb_format_va_ok(f, va))
		return f->canonical ? PTB_E_NONCANON : PTB_E_RANGE;
	if (!f->rotated && space_frame_is_pfn(s) && s->be.ops->table_window && !space_inspected(s)) {
		uintptr_t w = s->be.ops->table_window(s->be.ctx);
		if (w)
			return query_linear(s, w, va.raw, out);
	}
	ptb_pa_t tpa = s->root;
	for (unsigned level = s->root_level;; level--) {
		uint64_t e = space_table(s, tpa)[space_index(s, level, va.raw)];
		ptb_err_t err = space_follow(s, level, e, &tpa);
		if (!err)
			continue;
		if (err != PTB_E_NOTMAPPED)
			return err;
		if (!ptb_entry_present(f, level, e))
			return PTB_E_NOTMAPPED;
		if (space_inspected(s) && !space_entry_valid(s, level, e))
			return PTB_E_NOTTABLE;
		ptb_pa_t pa;
		ptb_attr_t attr;
		err = leaf_of(s, level, e, &pa, &attr);
		if (err)
			return err;
		uint64_t size = space_slot_size(s, level);
		*out = (struct ptb_mapping){ .pa = ptb_pa(pa.raw + (va.raw & (size - 1))), .attr = attr,
					     .level = level, .page_size = size };
		return PTB_OK;
	}
}

struct ranges_walk {
	const struct ptb_space *s;
	ptb_range_fn fn;
	void *arg;
	struct ptb_range cur;      /* cur.len == 0: none pending */
	bool stopped;
};

static void emit(struct ranges_walk *w, const struct ptb_range *r)
{
	struct ptb_range *c = &w->cur;
	if (c->len && c->va.raw + c->len == r->va.raw && c->pa.raw + c->len == r->pa.raw &&
	    c->attr == r->attr && c->level == r->level) {
		c->len += r->len;
		return;
	}
	if (c->len && !w->fn(w->arg, c))
		w->stopped = true;
	*c = *r;
}

/* Sign-extend a va built from indexes. */
static uint64_t canon(const struct ptb_format *f, uint64_t va)
{
	if (!f->canonical)
		return va;
	return (uint64_t)((int64_t)(va << (64 - f->va_bits)) >> (64 - f->va_bits));
}

static ptb_err_t walk(struct ranges_walk *w, ptb_pa_t tpa, unsigned level, uint64_t base)
{
	const struct ptb_space *s = w->s;
	const struct ptb_format *f = s->enc.format;
	for (unsigned i = 0; i < f->entries[level] && !w->stopped; i++) {
		uint64_t e = space_table(s, tpa)[i];
		uint64_t va = canon(f, base + ((uint64_t)i << f->shift[level]));
		if (level == s->root_level && slot_bit(s->reserved, i))
			continue;
		ptb_pa_t child;
		ptb_err_t err = space_follow(s, level, e, &child);
		if (!err) {
			err = walk(w, child, level - 1, va);
			if (err)
				return err;
		} else if (err == PTB_E_RANGE) {
			return err;
		} else if (err == PTB_E_NOTMAPPED && ptb_entry_present(f, level, e) &&
			   (!space_inspected(s) || space_entry_valid(s, level, e))) {
			ptb_pa_t pa;
			ptb_attr_t attr;
			err = leaf_of(s, level, e, &pa, &attr);
			if (err)
				return err;
			struct ptb_range r = { ptb_va(va), pa, space_slot_size(s, level), attr, level };
			emit(w, &r);
		}
	}
	return PTB_OK;
}

ptb_err_t ptb_space_ranges(const struct ptb_space *s, ptb_range_fn fn, void *arg)
{
	if (!space_usable(s) || !fn)
		return PTB_E_INVAL;
	struct ranges_walk w = { .s = s, .fn = fn, .arg = arg };
	ptb_err_t err = walk(&w, s->root, s->root_level, 0);
	if (!err && !w.stopped && w.cur.len)
		fn(arg, &w.cur);
	return err;
}
