/* SPDX-License-Identifier: MIT */
/* The mapping cursor (seed 002): inspect, hold, release one va. */
#include <ptboot/cursor.h>
#include "space/internal.h"

ptb_err_t ptb_cursor_inspect(struct ptb_cursor *c, struct ptb_space *s, ptb_va_t va, uint64_t *out_entry)
{
	if (!c || !space_usable(s))
		return PTB_E_INVAL;
	const struct ptb_format *f = s->enc.format;
	if (!ptb_format_va_ok(f, va))
		return f->canonical ? PTB_E_NONCANON : PTB_E_RANGE;
	*c = (struct ptb_cursor){ .space = s, .va = va };
	ptb_pa_t tpa = s->root;
	for (unsigned level = s->root_level;; level--) {
		const uint64_t *t = space_table(s, tpa);
		c->level = level;
		c->table_pa[level] = tpa;
		c->table[level] = t;
		uint64_t e = t[space_index(s, level, va.raw)];
		ptb_err_t err = space_follow(s, level, e, &tpa);
		if (err == PTB_E_NOTMAPPED) {
			if (out_entry)
				*out_entry = e;
			return space_inspected(s) && !space_entry_valid(s, level, e) ? PTB_E_NOTTABLE : PTB_OK;
		}
		if (err)
			return err;
	}
}

ptb_err_t ptb_cursor_hold(struct ptb_cursor *c, struct ptb_space *s, ptb_va_t va, unsigned level)
{
	if (!space_writable(s) || level < 1 || level > s->root_level)
		return PTB_E_INVAL;
	uint64_t e;
	ptb_err_t err = ptb_cursor_inspect(c, s, va, &e);
	if (err || c->level <= level)
		return err;
	if (e != 0)
		return PTB_E_CONFLICT; /* a leaf or foreign data is in the way */
	uint64_t page = va.raw & ~(PTB_PAGE_SIZE - 1);
	err = space_check_range(s, page, PTB_PAGE_SIZE, NULL);
	if (err)
		return err;
	struct txn t;
	unsigned top = c->level;
	err = txn_begin(&t, s, top - level, 1);
	if (err)
		return err;
	/* Bottom up, so that each table is complete before it is linked. */
	ptb_pa_t below = ptb_pa(0);
	for (unsigned l = level; l < top; l++) {
		ptb_pa_t pa = txn_new_table(&t, l);
		uint64_t *tbl = space_table(s, pa);
		for (unsigned k = 0; k < s->enc.format->entries[l]; k++)
			tbl[k] = 0;
		if (below.raw) {
			ptb_frame_t fr;
			(void)space_frame(s, below, &fr);
			tbl[space_index(s, l, va.raw)] = ptb_format_table(s->enc.format, l, fr);
		}
		txn_table_done(&t, pa, l);
		below = pa;
	}
	ptb_frame_t fr;
	(void)space_frame(s, below, &fr);
	txn_write(&t, c->table_pa[top], space_table(s, c->table_pa[top]), top,
		  space_index(s, top, va.raw), ptb_format_table(s->enc.format, top, fr), false);
	err = txn_commit(&t);
	if (err)
		return err;
	return ptb_cursor_inspect(c, s, va, NULL);
}

static bool table_empty(const struct ptb_space *s, unsigned level, const uint64_t *t, unsigned skip)
{
	for (unsigned k = 0; k < s->enc.format->entries[level]; k++)
		if (k != skip && t[k])
			return false;
	return true;
}

ptb_err_t ptb_cursor_release(struct ptb_cursor *c, struct ptb_space *s, ptb_va_t va)
{
	if (!space_writable(s))
		return PTB_E_INVAL;
	if (ptb_format_va_ok(s->enc.format, va) &&
	    slot_bit(s->imported, space_index(s, s->root_level, va.raw)))
		return PTB_E_RESERVED; /* the tables below belong to the exporter */
	ptb_err_t err = ptb_cursor_inspect(c, s, va, NULL);
	if (err)
		return err;
	/* The highest table on the path that would be left empty, counting
	 * the emptiness of the tables below it. */
	unsigned free_level = 0;
	for (unsigned l = c->level; l < s->root_level; l++) {
		unsigned below = l == c->level ? ~0u : space_index(s, l, va.raw);
		if (!table_empty(s, l, c->table[l], below))
			break;
		if (l + 1 == s->root_level && space_slot_foreign(s, space_index(s, l + 1, va.raw)))
			break;
		free_level = l;
	}
	if (!free_level)
		return PTB_OK;
	unsigned parent = free_level + 1;
	uint64_t span = space_slot_size(s, parent);
	uint64_t lo = va.raw & ~(span - 1);
	struct txn t;
	err = txn_begin(&t, s, 0, 1);
	if (err)
		return err;
	txn_write(&t, c->table_pa[parent], space_table(s, c->table_pa[parent]), parent,
		  space_index(s, parent, va.raw), 0, false);
	txn_changed(&t, lo, lo + span - 1);
	txn_free_later(&t, c->table_pa[free_level], free_level);
	err = txn_commit(&t);
	if (err)
		return err;
	return ptb_cursor_inspect(c, s, va, NULL);
}
