/* SPDX-License-Identifier: MIT */
/*
 * ptb_space_unmap and ptb_space_protect: both change present entries in a
 * range, split large leaves that straddle its ends, and share one walk.
 * Unmap detaches whole subtrees with one write each and frees them after the
 * flush; it never clears entries of a table that is about to be freed.
 */
#include "space/internal.h"

enum mod_kind { MOD_CLEAR, MOD_PROTECT };

struct mod_op {
	struct ptb_space *s;
	enum mod_kind kind;
	ptb_attr_t attr;
	uint64_t tables, writes; /* plan */
	struct txn t;
};

static bool covers(const struct ptb_space *s, unsigned level, uint64_t a, uint64_t sl)
{
	return (a & (space_slot_size(s, level) - 1)) == 0 && sl - a == space_slot_size(s, level) - 1;
}

/* A slot whose table ptboot must not detach (it belongs to another space). */
static bool keep_table(const struct ptb_space *s, unsigned level, unsigned i)
{
	return level == s->root_level && space_slot_foreign(s, i);
}

/* Splits needed inside a leaf at `level` that [va, last] covers partly. */
static void plan_split(struct mod_op *o, unsigned level, uint64_t va, uint64_t last)
{
	o->tables++;
	for (uint64_t a = va;;) {
		uint64_t sl = space_slot_last(o->s, level - 1, a);
		if (sl > last)
			sl = last;
		if (!covers(o->s, level - 1, a, sl))
			plan_split(o, level - 1, a, sl);
		if (sl == last)
			return;
		a = sl + 1;
	}
}

static ptb_err_t plan(struct mod_op *o, const uint64_t *tbl, unsigned level, uint64_t va,
		      uint64_t last)
{
	struct ptb_space *s = o->s;
	const struct ptb_format *f = s->enc.format;
	for (uint64_t a = va;;) {
		uint64_t sl = space_slot_last(s, level, a);
		if (sl > last)
			sl = last;
		unsigned i = space_index(s, level, a);
		uint64_t e = tbl[i];
		bool full = covers(s, level, a, sl);
		if (e == 0) {
			/* a hole */
		} else if (ptb_entry_is_table(f, level, e)) {
			o->writes++; /* the unlink, if the child ends up empty */
			if (!(full && o->kind == MOD_CLEAR && !keep_table(s, level, i))) {
				ptb_pa_t child;
				ptb_err_t err = space_child(s, level, e, &child);
				if (!err)
					err = plan(o, space_table(s, child), level - 1, a, sl);
				if (err)
					return err;
			}
		} else if (!ptb_format_entry_valid(f, level, e) || !ptb_entry_present(f, level, e)) {
			return PTB_E_CONFLICT; /* not ours to interpret */
		} else {
			o->writes++;
			if (!full)
				plan_split(o, level, a, sl);
		}
		if (sl == last)
			return PTB_OK;
		a = sl + 1;
	}
}

/* The leaf e re-encoded with the operation's attributes. */
static uint64_t reencode(const struct mod_op *o, unsigned level, uint64_t e)
{
	struct ptb_entry_info info;
	uint64_t out = e;
	ptb_format_decode(&o->s->enc, level, e, &info);
	ptb_err_t err = ptb_format_leaf(&o->s->enc, level, info.frame, o->attr, &out);
	PTB_ASSERT(!err); /* attr was checked, the frame came from an entry */
	(void)err;
	return out;
}

/* Fill a new level-(level-1) table with the pages of leaf e. */
static void split_fill(const struct mod_op *o, uint64_t *tbl, unsigned level, uint64_t e)
{
	const struct ptb_space *s = o->s;
	struct ptb_entry_info info;
	ptb_format_decode(&s->enc, level, e, &info);
	uint64_t pages = space_slot_size(s, level - 1) >> PTB_PAGE_SHIFT;
	for (unsigned k = 0; k < s->enc.format->entries[level - 1]; k++) {
		ptb_err_t err = ptb_format_leaf(&s->enc, level - 1, ptb_frame(info.frame.raw + k * pages),
						info.attr, &tbl[k]);
		PTB_ASSERT(!err);
		(void)err;
	}
}

static bool outside_empty(const uint64_t *tbl, unsigned n, unsigned first, unsigned last)
{
	for (unsigned k = 0; k < n; k++)
		if ((k < first || k > last) && tbl[k])
			return false;
	return true;
}

/* Apply the operation to [va, last] in tbl; true if tbl ends up empty. */
static bool apply(struct mod_op *o, ptb_pa_t tpa, uint64_t *tbl, unsigned level, uint64_t va,
		  uint64_t last, bool fresh)
{
	struct ptb_space *s = o->s;
	const struct ptb_format *f = s->enc.format;
	struct txn *t = &o->t;
	bool kept = false;
	unsigned first = space_index(s, level, va), i = first;
	for (uint64_t a = va;; i++) {
		uint64_t sl = space_slot_last(s, level, a);
		if (sl > last)
			sl = last;
		uint64_t e = tbl[i];
		bool full = covers(s, level, a, sl);
		if (e == 0) {
			/* a hole stays a hole */
		} else if (ptb_entry_is_table(f, level, e)) {
			ptb_pa_t child;
			(void)space_child(s, level, e, &child); /* checked by plan */
			bool keep = keep_table(s, level, i);
			bool empty = (full && o->kind == MOD_CLEAR && !keep) ||
				     apply(o, child, space_table(s, child), level - 1, a, sl, false);
			if (o->kind == MOD_CLEAR && empty && !keep) {
				txn_write(t, tpa, tbl, level, i, 0, fresh);
				txn_changed(t, a, sl);
				txn_free_later(t, child, level - 1);
			} else {
				kept = true;
			}
		} else if (full) {
			uint64_t ne = o->kind == MOD_CLEAR ? 0 : reencode(o, level, e);
			if (ne != e) {
				txn_write(t, tpa, tbl, level, i, ne, fresh);
				txn_changed(t, a, sl);
			}
			kept |= ne != 0;
		} else {
			ptb_pa_t npa = txn_new_table(t, level - 1);
			uint64_t *ntbl = space_table(s, npa);
			split_fill(o, ntbl, level, e);
			(void)apply(o, npa, ntbl, level - 1, a, sl, true);
			txn_table_done(t, npa, level - 1);
			ptb_frame_t fr;
			(void)space_frame(s, npa, &fr);
			txn_write(t, tpa, tbl, level, i, ptb_format_table(f, level, fr), fresh);
			txn_changed(t, a & ~(space_slot_size(s, level) - 1),
				    a | (space_slot_size(s, level) - 1));
			kept = true;
		}
		if (sl == last)
			break;
		a = sl + 1;
	}
	return !kept && outside_empty(tbl, f->entries[level], first, i);
}

static ptb_err_t modify(struct ptb_space *s, enum mod_kind kind, ptb_va_t va, uint64_t len,
			ptb_attr_t attr)
{
	if (!space_writable(s))
		return PTB_E_INVAL;
	ptb_err_t err = space_check_range(s, va.raw, len, NULL);
	if (!err && kind == MOD_PROTECT)
		err = space_check_attr(s, attr);
	if (err)
		return err;
	struct mod_op o = { .s = s, .kind = kind, .attr = attr };
	uint64_t last = va.raw + (len - 1);
	err = plan(&o, space_table(s, s->root), s->root_level, va.raw, last);
	if (!err)
		err = txn_begin(&o.t, s, o.tables, o.writes);
	if (err)
		return err;
	(void)apply(&o, s->root, space_table(s, s->root), s->root_level, va.raw, last, false);
	return txn_commit(&o.t);
}

ptb_err_t ptb_space_unmap(struct ptb_space *s, ptb_va_t va, uint64_t len)
{
	return modify(s, MOD_CLEAR, va, len, 0);
}

ptb_err_t ptb_space_protect(struct ptb_space *s, ptb_va_t va, uint64_t len, ptb_attr_t attr)
{
	return modify(s, MOD_PROTECT, va, len, attr);
}
