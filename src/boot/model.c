/* SPDX-License-Identifier: MIT */
/*
 * The bootstrap's cost model: how many new tables mapping a piece needs,
 * given the tables that exist.  A level-l table covers the va block
 * va >> shift[l+1]; the model keeps, per level, intervals of block ids that
 * exist.  The direct map grows downward only, so one interval per level
 * describes it exactly for every later (lower) query.  The model makes the
 * same leaf choice as ptb_space_map, so the build uses exactly what it says.
 */
#include "boot/internal.h"

struct model_walk {
	const struct ptb_boot *b;
	const struct boot_piece *p;
	const struct ptb_boot_model *m;
	uint64_t last_id[PTB_MAX_LEVELS + 1];
	bool have_last[PTB_MAX_LEVELS + 1];
	/* New blocks, as runs of ids per level: a piece needs at most a head
	 * and a tail run per level (large leaves fill the middle). */
	uint64_t run_lo[PTB_MAX_LEVELS + 1][4], run_hi[PTB_MAX_LEVELS + 1][4];
	unsigned runs[PTB_MAX_LEVELS + 1];
	uint64_t count;
};

void boot_model_init(struct ptb_boot_model *m)
{
	*m = (struct ptb_boot_model){ .tables = 0 };
	for (unsigned l = 0; l <= PTB_MAX_LEVELS; l++)
		m->lv[l].dm = -1;
}

static bool exists(const struct ptb_boot_model *m, unsigned level, uint64_t id)
{
	for (unsigned i = 0; i < m->lv[level].n; i++)
		if (m->lv[level].lo[i] <= id && id <= m->lv[level].hi[i])
			return true;
	return false;
}

/* Record blocks [lo, hi] at level as existing. */
static void add_run(struct ptb_boot_model *m, unsigned level, uint64_t lo, uint64_t hi, bool dm)
{
	typeof(m->lv[0]) *v = &m->lv[level];
	int i = dm ? v->dm : -1;
	for (unsigned k = 0; i < 0 && !dm && k < v->n; k++)
		if ((int)k != v->dm && lo <= v->hi[k] + 1 && hi + 1 >= v->lo[k])
			i = (int)k;
	if (i < 0) {
		if (v->n == PTB_BOOT_MAX_INTERVALS) {
			m->lost = true; /* not expected (input limits bound the
					   intervals); the dry run fails on it */
			return;
		}
		i = (int)v->n++;
		v->lo[i] = lo;
		v->hi[i] = hi;
		if (dm)
			v->dm = i;
	}
	v->lo[i] = lo < v->lo[i] ? lo : v->lo[i];
	v->hi[i] = hi > v->hi[i] ? hi : v->hi[i];
}

static void note_new(struct model_walk *w, unsigned level, uint64_t id)
{
	unsigned n = w->runs[level];
	if (n && w->run_hi[level][n - 1] + 1 == id) {
		w->run_hi[level][n - 1] = id;
	} else if (n < 4) {
		w->run_lo[level][n] = w->run_hi[level][n] = id;
		w->runs[level]++;
	}
}

static bool leaf_fits(const struct model_walk *w, unsigned level, uint64_t a, uint64_t sl)
{
	const struct ptb_format *f = w->b->in.format;
	uint64_t size = 1ull << f->shift[level];
	if (level == 1)
		return true;
	if (level > w->b->max_leaf_level || !(f->leaf_levels & (1u << level)))
		return false;
	uint64_t pa = a - w->p->va + w->p->pa;
	return ((a | pa) & (size - 1)) == 0 && sl - a == size - 1;
}

static void visit(struct model_walk *w, unsigned level, uint64_t a, uint64_t last)
{
	const struct ptb_format *f = w->b->in.format;
	for (;;) {
		uint64_t sl = a | ((1ull << f->shift[level]) - 1);
		if (sl > last)
			sl = last;
		if (!leaf_fits(w, level, a, sl)) {
			unsigned cl = level - 1;
			uint64_t id = a >> f->shift[level];
			bool seen = w->have_last[cl] && w->last_id[cl] == id;
			if (!seen && !exists(w->m, cl, id)) {
				w->count++;
				note_new(w, cl, id);
			}
			w->have_last[cl] = true;
			w->last_id[cl] = id;
			if (cl > 1)
				visit(w, cl, a, sl);
		}
		if (sl == last)
			return;
		a = sl + 1;
	}
}

uint64_t boot_model_cost(const struct ptb_boot *b, const struct ptb_boot_model *m,
			 const struct boot_piece *p)
{
	struct model_walk w = { .b = b, .p = p, .m = m };
	visit(&w, b->in.format->levels, p->va, p->va + (p->len - 1));
	return w.count;
}

void boot_model_commit(const struct ptb_boot *b, struct ptb_boot_model *m, const struct boot_piece *p)
{
	struct model_walk w = { .b = b, .p = p, .m = m };
	visit(&w, b->in.format->levels, p->va, p->va + (p->len - 1));
	for (unsigned l = 1; l <= PTB_MAX_LEVELS; l++)
		for (unsigned r = 0; r < w.runs[l]; r++)
			add_run(m, l, w.run_lo[l][r], w.run_hi[l][r], p->direct_map);
	m->tables += w.count;
}
