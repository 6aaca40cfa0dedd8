/* SPDX-License-Identifier: MIT */
/*
 * ptb_space_map: plan (read-only: conflicts, tables and live writes
 * needed), reserve, then build in one pass.  In a new table every entry is
 * written exactly once (leaves, links, then zeros for the rest), and runs of
 * leaves are computed by adding a per-page step to an entry encoded once:
 * entry(frame) = base + frame * step holds for every format (linear encoding).
 */
#include "space/internal.h"

#define MAP_LOG 16

struct map_op {
	struct ptb_space *s;
	uint64_t va0, pa0;
	unsigned flags;
	uint64_t leaf_base[4];                  /* leaf entry for frame 0, levels 1-3 */
	uint64_t leaf_step[4];                  /* added per 4 KiB frame */
	bool leaf_ok[PTB_MAX_LEVELS + 1];       /* a leaf may go at this level */
	uint64_t tables, writes;                /* plan */
	struct txn t;
	/* Lazy mode (unsealed space, few writes to existing tables): tables
	 * are allocated as the build goes, and the writes to existing tables
	 * are logged so that running out of memory can be undone exactly
	 * (every logged entry was empty before).  Saves touching every new
	 * page twice before it is filled. */
	bool lazy;
	ptb_err_t err;
	unsigned nlog;
	struct { ptb_pa_t tpa; unsigned idx, level; } log[MAP_LOG];
};

static inline uint64_t pa_at(const struct map_op *m, uint64_t va)
{
	return va - m->va0 + m->pa0;
}

/* A leaf at `level` covering exactly [a, slot_last]. */
static inline bool leaf_fits(const struct map_op *m, unsigned level, uint64_t a, uint64_t slot_last)
{
	uint64_t size = space_slot_size(m->s, level);
	return m->leaf_ok[level] && ((a | pa_at(m, a)) & (size - 1)) == 0 && slot_last - a == size - 1;
}

static ptb_err_t plan(struct map_op *m, const uint64_t *tbl, unsigned level, uint64_t va,
		      uint64_t last)
{
	struct ptb_space *s = m->s;
	const struct ptb_format *f = s->enc.format;
	if (!tbl && level == 1)
		return PTB_OK;
	if (!tbl && m->leaf_ok[level] && level > 1) {
		/* A new table: whole aligned slots become leaves at no cost. */
		uint64_t size = space_slot_size(s, level);
		if (((va | pa_at(m, va)) & (size - 1)) == 0) {
			uint64_t n = (last - va + 1) / size;
			if (n && (last - va + 1) % size == 0)
				return PTB_OK;
			va += n * size;
		}
	}
	for (uint64_t a = va;;) {
		uint64_t sl = space_slot_last(s, level, a);
		if (sl > last)
			sl = last;
		uint64_t e = tbl ? tbl[space_index(s, level, a)] : 0;
		if (e == 0) {
			m->writes += tbl != NULL;
			if (!leaf_fits(m, level, a, sl)) {
				m->tables++;
				ptb_err_t err = plan(m, NULL, level - 1, a, sl);
				if (err)
					return err;
			}
		} else if (ptb_entry_is_table(f, level, e)) {
			ptb_pa_t child;
			ptb_err_t err = space_child(s, level, e, &child);
			if (!err)
				err = plan(m, space_table(s, child), level - 1, a, sl);
			if (err)
				return err;
		} else if (!(m->flags & PTB_MAP_KEEP)) {
			return PTB_E_CONFLICT;
		}
		if (sl == last)
			return PTB_OK;
		a = sl + 1;
	}
}

/* Under a non-pfn backend, every page needs a frame; check them all first
 * so that the build cannot fail. */
__attribute__((noinline)) /* its buffer is not on ptb_space_map's frame */
static ptb_err_t plan_frames(const struct map_op *m, uint64_t pa, uint64_t len)
{
	const struct ptb_space *s = m->s;
	ptb_frame_t buf[64];
	uint64_t limit = s->enc.format->pa_bits - PTB_PAGE_SHIFT;
	for (uint64_t off = 0; off < len; off += sizeof(buf) / sizeof(buf[0]) * PTB_PAGE_SIZE) {
		uint64_t n = (len - off) / PTB_PAGE_SIZE;
		if (n > 64)
			n = 64;
		ptb_err_t err = s->be.ops->frames_of(s->be.ctx, ptb_pa(pa + off), n, buf);
		if (err)
			return err;
		for (uint64_t i = 0; i < n; i++)
			if (buf[i].raw >> limit)
				return PTB_E_RANGE;
	}
	return PTB_OK;
}

/* Write an entry of an existing table (or of a fresh one). */
static void put(struct map_op *m, ptb_pa_t tpa, uint64_t *tbl, unsigned level, unsigned i,
		uint64_t val, bool fresh)
{
	if (m->lazy && !fresh) {
		m->log[m->nlog++] = (typeof(m->log[0])){ tpa, i, level };
		tbl[i] = val;
		return;
	}
	txn_write(&m->t, tpa, tbl, level, i, val, fresh);
}

static bool new_table(struct map_op *m, unsigned level, ptb_pa_t *pa)
{
	if (!m->lazy) {
		*pa = txn_new_table(&m->t, level);
		return true;
	}
	ptb_err_t err = m->s->be.ops->alloc_table(m->s->be.ctx, level, pa);
	if (err)
		m->err = err;
	return !err;
}

/* Write n 4K leaves into a level-1 table from index i, for va a onward. */
static void leaves_4k(struct map_op *m, ptb_pa_t tpa, uint64_t *tbl, unsigned i, unsigned n,
		      uint64_t a, bool fresh)
{
	struct ptb_space *s = m->s;
	uint64_t step = m->leaf_step[1];
	if (space_frame_is_pfn(s)) {
		uint64_t e = m->leaf_base[1] + ptb_pa_to_pfn(ptb_pa(pa_at(m, a))) * step;
		if (fresh || (!m->t.live && !m->lazy)) {
			uint64_t *p = tbl + i, *end = p + n;
			if (fresh) {
				/* The hot loop: four independent stores a round. */
				uint64_t s2 = 2 * step, s3 = 3 * step, s4 = 4 * step;
				for (; end - p >= 4; p += 4, e += s4) {
					p[0] = e;
					p[1] = e + step;
					p[2] = e + s2;
					p[3] = e + s3;
				}
				for (; p < end; p++, e += step)
					*p = e;
			} else {
				for (; p < end; p++, e += step)
					if (*p == 0)
						*p = e;
			}
			return;
		}
		for (unsigned k = 0; k < n; k++, e += step)
			if (tbl[i + k] == 0)
				put(m, tpa, tbl, 1, i + k, e, false);
		return;
	}
	ptb_frame_t fr[32]; /* a batch of frames_of; small: this frame is on a walk's chain */
	for (unsigned done = 0; done < n;) {
		unsigned c = n - done > 32 ? 32 : n - done;
		/* Cannot fail: plan_frames checked every page. */
		(void)s->be.ops->frames_of(s->be.ctx, ptb_pa(pa_at(m, a) + done * PTB_PAGE_SIZE), c, fr);
		for (unsigned k = 0; k < c; k++) {
			unsigned idx = i + done + k;
			if (fresh || tbl[idx] == 0)
				put(m, tpa, tbl, 1, idx, m->leaf_base[1] + fr[k].raw * step, fresh);
		}
		done += c;
	}
}

static void build(struct map_op *m, ptb_pa_t tpa, uint64_t *tbl, unsigned level, uint64_t va,
		  uint64_t last, bool fresh);

/* A new table for [a, sl] below entry i of tbl. */
static void build_child(struct map_op *m, ptb_pa_t tpa, uint64_t *tbl, unsigned level, unsigned i,
			uint64_t a, uint64_t sl, bool fresh)
{
	struct ptb_space *s = m->s;
	ptb_pa_t child;
	if (!new_table(m, level - 1, &child)) {
		if (fresh)
			tbl[i] = 0;
		return;
	}
	build(m, child, space_table(s, child), level - 1, a, sl, true);
	txn_table_done(&m->t, child, level - 1);
	ptb_frame_t fr;
	(void)space_frame(s, child, &fr); /* our own table: always has a frame */
	put(m, tpa, tbl, level, i, ptb_format_table(s->enc.format, level, fr), fresh);
}

/* Large leaves for the whole slots of a fresh table from index i on. */
static unsigned big_leaves(struct map_op *m, uint64_t *tbl, unsigned level, unsigned i, uint64_t a,
			   uint64_t last)
{
	const struct ptb_format *f = m->s->enc.format;
	uint64_t n = (last - a + 1) >> f->shift[level];
	if (n > f->entries[level] - i)
		n = f->entries[level] - i;
	uint64_t step = m->leaf_step[level] << (f->shift[level] - PTB_PAGE_SHIFT);
	uint64_t e = m->leaf_base[level] + ptb_pa_to_pfn(ptb_pa(pa_at(m, a))) * m->leaf_step[level];
	for (uint64_t k = 0; k < n; k++, e += step)
		tbl[i + k] = e;
	return (unsigned)n;
}

static void build(struct map_op *m, ptb_pa_t tpa, uint64_t *tbl, unsigned level, uint64_t va,
		  uint64_t last, bool fresh)
{
	struct ptb_space *s = m->s;
	const struct ptb_format *f = s->enc.format;
	unsigned first = space_index(s, level, va), i = first;
	if (fresh)
		for (unsigned k = 0; k < first; k++)
			tbl[k] = 0;
	for (uint64_t a = va;; i++) {
		uint64_t sl = space_slot_last(s, level, a);
		if (sl > last)
			sl = last;
		if (level == 1) {
			unsigned n = (unsigned)((last - a) / PTB_PAGE_SIZE + 1);
			if (n > f->entries[1] - i)
				n = f->entries[1] - i;
			leaves_4k(m, tpa, tbl, i, n, a, fresh);
			i += n - 1;
			sl = a + (uint64_t)n * PTB_PAGE_SIZE - 1;
		} else {
			uint64_t e = fresh ? 0 : tbl[i];
			if (e == 0 && leaf_fits(m, level, a, sl)) {
				if (fresh) {
					unsigned n = big_leaves(m, tbl, level, i, a, last);
					i += n - 1;
					sl = a + ((uint64_t)n << f->shift[level]) - 1;
				} else {
					uint64_t fr = ptb_pa_to_pfn(ptb_pa(pa_at(m, a)));
					put(m, tpa, tbl, level, i, m->leaf_base[level] + fr * m->leaf_step[level],
					    false);
				}
			} else if (e == 0) {
				build_child(m, tpa, tbl, level, i, a, sl, fresh);
			} else if (ptb_entry_is_table(f, level, e)) {
				ptb_pa_t child;
				(void)space_child(s, level, e, &child); /* checked by plan */
				build(m, child, space_table(s, child), level - 1, a, sl, false);
			} /* else: a kept mapping (PTB_MAP_KEEP) */
		}
		if (sl == last || m->err)
			break;
		a = sl + 1;
	}
	/* The rest (after a failure: what was not reached; the failed slot's
	 * entry is written or cleared), so the undo walks valid entries only. */
	if (fresh)
		for (unsigned k = i + 1; k < f->entries[level]; k++)
			tbl[k] = 0;
}

/* Lazy mode ran out of memory: undo the logged writes, newest first, and
 * free the new subtrees they linked (all of whose entries are valid). */
static void lazy_undo(struct map_op *m)
{
	struct ptb_space *s = m->s;
	while (m->nlog) {
		typeof(m->log[0]) *l = &m->log[--m->nlog];
		uint64_t *tbl = space_table(s, l->tpa);
		uint64_t e = tbl[l->idx];
		ptb_pa_t child;
		tbl[l->idx] = 0;
		if (ptb_entry_is_table(s->enc.format, l->level, e) && !space_child(s, l->level, e, &child))
			space_free_subtree(s, child, l->level - 1);
	}
}

/* Encode, once, the leaf entry for frame 0 and the step per frame. */
static ptb_err_t prepare_leaves(struct map_op *m, ptb_attr_t attr)
{
	struct ptb_space *s = m->s;
	for (unsigned level = 1; level <= 3 && level <= s->root_level; level++) {
		if (level > 1 && !(s->enc.format->leaf_levels & (1u << level)))
			continue;
		uint64_t pages = space_slot_size(s, level) >> PTB_PAGE_SHIFT, e0, e1;
		ptb_err_t err = ptb_format_leaf(&s->enc, level, ptb_frame(0), attr, &e0);
		if (!err)
			err = ptb_format_leaf(&s->enc, level, ptb_frame(pages), attr, &e1);
		if (err)
			return err;
		m->leaf_base[level] = e0;
		m->leaf_step[level] = (e1 - e0) / pages;
		m->leaf_ok[level] = space_leaf_allowed(s, level, m->flags);
	}
	return PTB_OK;
}

ptb_err_t ptb_space_map(struct ptb_space *s, ptb_va_t va, ptb_pa_t pa, uint64_t len, ptb_attr_t attr,
			unsigned flags)
{
	if (!space_writable(s) || (flags & ~(PTB_MAP_KEEP | PTB_MAP_4K_ONLY)))
		return PTB_E_INVAL;
	ptb_err_t err = space_check_range(s, va.raw, len, &pa.raw);
	if (!err)
		err = space_check_attr(s, attr);
	if (err)
		return err;
	struct map_op m = { .s = s, .va0 = va.raw, .pa0 = pa.raw, .flags = flags };
	uint64_t last = va.raw + (len - 1);
	err = prepare_leaves(&m, attr);
	if (!err && !space_frame_is_pfn(s))
		err = plan_frames(&m, pa.raw, len);
	if (!err)
		err = plan(&m, space_table(s, s->root), s->root_level, va.raw, last);
	if (err)
		return err;
	m.lazy = !s->sealed && m.writes <= MAP_LOG;
	if (!m.lazy) {
		err = txn_begin(&m.t, s, m.tables, m.writes);
		if (err)
			return err;
	}
	build(&m, s->root, space_table(s, s->root), s->root_level, va.raw, last, false);
	if (!m.lazy)
		return txn_commit(&m.t);
	if (m.err)
		lazy_undo(&m);
	return m.err;
}
