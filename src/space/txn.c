/* SPDX-License-Identifier: MIT */
/*
 * Transactions: how every changing operation stays all-or-nothing.
 *
 * 1. The operation plans (read-only) and calls txn_begin with the number of
 *    new tables and live writes it needs; every page is reserved up front,
 *    so running out of memory changes nothing.
 * 2. It builds: new tables get plain stores; entries of existing tables get
 *    plain stores in an unsealed space, batched write_live calls in a sealed
 *    one; new tables are sealed (children first, batched) before the write
 *    that links them.
 * 3. txn_commit pushes what is pending, flushes, retires and frees what was
 *    detached.  In a sealed space each accepted live write, new table and
 *    seal is journaled (in reserved pages), so a refusal is undone exactly.
 * In an unsealed space nothing after txn_begin can fail.
 */
#include "space/internal.h"

enum { J_TABLE = 1, J_SEALED = 2, J_WRITE = 3, J_DETACH = 4 };
#define J_PER_PAGE 255u /* 16-byte records; the last slot links next and previous pages */

static ptb_err_t alloc_page(struct ptb_space *s, unsigned level, ptb_pa_t *pa)
{
	return s->be.ops->alloc_table(s->be.ctx, level, pa);
}

static void free_page(struct ptb_space *s, ptb_pa_t pa, unsigned level)
{
	s->be.ops->free_table(s->be.ctx, pa, level);
}

static void free_chain(struct ptb_space *s, ptb_pa_t head, uint64_t n)
{
	while (n--) {
		ptb_pa_t next = ptb_pa(space_table(s, head)[0]);
		free_page(s, head, 1);
		head = next;
	}
}

static void journal_free(struct txn *t)
{
	ptb_pa_t p = t->jfirst;
	while (p.raw) {
		ptb_pa_t next = ptb_pa(space_table(t->s, p)[2 * J_PER_PAGE]);
		free_page(t->s, p, 0);
		p = next;
	}
	t->jfirst = t->jcur = ptb_pa(0);
}

static void journal_add(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	if (t->jpos == J_PER_PAGE) {
		t->jcur = ptb_pa(space_table(t->s, t->jcur)[2 * J_PER_PAGE]);
		t->jpos = 0;
	}
	PTB_ASSERT(t->jcur.raw);
	uint64_t *rec = space_table(t->s, t->jcur) + 2 * t->jpos++;
	rec[0] = pa.raw | kind | (uint64_t)level << 56;
	rec[1] = val;
	t->jrecords++;
}

typedef void (*journal_fn)(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val);

/* Visit the records, newest first when `reverse` (undo order). */
static void journal_each(struct txn *t, bool reverse, journal_fn fn)
{
	if (!t->jrecords)
		return;
	uint64_t last_page = (t->jrecords - 1) / J_PER_PAGE;
	ptb_pa_t p = t->jfirst;
	if (reverse)
		for (uint64_t i = 0; i < last_page; i++)
			p = ptb_pa(space_table(t->s, p)[2 * J_PER_PAGE]);
	for (uint64_t pg = 0; pg <= last_page && p.raw; pg++) {
		uint64_t page = reverse ? last_page - pg : pg;
		unsigned n = page == last_page ? (unsigned)((t->jrecords - 1) % J_PER_PAGE + 1) : J_PER_PAGE;
		for (unsigned k = 0; k < n; k++) {
			unsigned slot = reverse ? n - 1 - k : k;
			const uint64_t *rec = space_table(t->s, p) + 2 * slot;
			uint64_t w = rec[0], val = rec[1];
			fn(t, (unsigned)(w & 7), ptb_pa(w & 0x00fffffffffffff8ull), (unsigned)(w >> 56), val);
		}
		p = ptb_pa(space_table(t->s, p)[2 * J_PER_PAGE + (reverse ? 1 : 0)]);
	}
}

ptb_err_t txn_begin(struct txn *t, struct ptb_space *s, uint64_t tables, uint64_t writes)
{
	*t = (struct txn){ .s = s, .live = s->sealed, .flush_lo = UINT64_MAX };
	ptb_err_t err = PTB_OK;
	for (uint64_t i = 0; !err && i < tables; i++) {
		ptb_pa_t pa;
		err = alloc_page(s, 1, &pa);
		if (!err) {
			space_table(s, pa)[0] = t->resv.raw;
			t->resv = pa;
			t->nresv++;
		}
	}
	if (t->live && !err) {
		err = alloc_page(s, 0, &t->buf_pa);
		if (!err)
			t->buf = (struct txn_bufs *)space_table(s, t->buf_pa);
	}
	if (t->live && !err) {
		uint64_t records = 2 * tables + 2 * writes;
		uint64_t pages = (records + J_PER_PAGE - 1) / J_PER_PAGE;
		ptb_pa_t prev = ptb_pa(0);
		for (uint64_t i = 0; i < pages; i++) {
			ptb_pa_t pa;
			err = alloc_page(s, 0, &pa);
			if (err)
				break;
			space_table(s, pa)[2 * J_PER_PAGE] = 0;
			space_table(s, pa)[2 * J_PER_PAGE + 1] = prev.raw;
			if (prev.raw)
				space_table(s, prev)[2 * J_PER_PAGE] = pa.raw;
			else
				t->jfirst = pa;
			prev = pa;
		}
		t->jcur = t->jfirst;
	}
	if (err) {
		txn_abort(t);
		return err;
	}
	return PTB_OK;
}

void txn_abort(struct txn *t)
{
	free_chain(t->s, t->resv, t->nresv);
	t->resv = ptb_pa(0);
	t->nresv = 0;
	journal_free(t);
	if (t->buf) {
		free_page(t->s, t->buf_pa, 0);
		t->buf = NULL;
	}
}

ptb_pa_t txn_new_table(struct txn *t, unsigned level)
{
	PTB_ASSERT(t->nresv > 0);
	ptb_pa_t pa = t->resv;
	t->resv = ptb_pa(space_table(t->s, pa)[0]);
	t->nresv--;
	if (t->live)
		journal_add(t, J_TABLE, pa, level, 0);
	return pa;
}

static void push_seals(struct txn *t)
{
	if (!t->nseal || t->err)
		return;
	size_t done = 0;
	ptb_err_t err = t->s->be.ops->seal(t->s->be.ctx, t->buf->seal, t->nseal, &done);
	if (err)
		t->err = err;
	else
		done = t->nseal;
	for (size_t i = 0; i < done; i++)
		journal_add(t, J_SEALED, t->buf->seal[i].pa, t->buf->seal[i].level, 0);
	t->nseal = 0;
}

static void push_writes(struct txn *t)
{
	push_seals(t);
	if (!t->nlive || t->err)
		return;
	size_t done = 0;
	ptb_err_t err = t->s->be.ops->write_live(t->s->be.ctx, t->buf->live, t->nlive, &done);
	if (err)
		t->err = err;
	else
		done = t->nlive;
	for (size_t i = 0; i < done; i++)
		journal_add(t, J_WRITE, t->buf->live[i].entry_pa, t->buf->live[i].level, t->buf->live_old[i]);
	t->nlive = 0;
}

void txn_table_done(struct txn *t, ptb_pa_t pa, unsigned level)
{
	if (!t->live || t->err)
		return; /* after a refusal the build runs on only to its end: undone */
	if (t->nseal == TXN_BATCH)
		push_seals(t);
	t->buf->seal[t->nseal++] = (struct ptb_table_ref){ pa, level };
}

void txn_write(struct txn *t, ptb_pa_t tpa, uint64_t *tbl, unsigned level, unsigned idx,
	       uint64_t val, bool fresh)
{
	if (fresh || !t->live) {
		tbl[idx] = val;
		return;
	}
	if (t->err)
		return;
	if (t->nlive == TXN_BATCH)
		push_writes(t);
	t->buf->live_old[t->nlive] = tbl[idx];
	t->buf->live[t->nlive++] = (struct ptb_live_write){
		ptb_pa(tpa.raw + 8ull * idx), val, level };
}

void txn_changed(struct txn *t, uint64_t lo, uint64_t hi)
{
	PTB_ASSERT(!(lo & (PTB_PAGE_SIZE - 1)) && !((hi + 1) & (PTB_PAGE_SIZE - 1)));
	if (lo < t->flush_lo)
		t->flush_lo = lo;
	if (hi > t->flush_hi)
		t->flush_hi = hi;
}

struct subtree_fn {
	struct txn *t;
	void (*fn)(struct txn *, ptb_pa_t, unsigned);
};

static bool subtree_visit(void *arg, const struct ptb_table_ref *r)
{
	struct subtree_fn *v = arg;
	v->fn(v->t, r->pa, r->level);
	return true;
}

/* Visit every table of the subtree rooted at pa: parents first to retire
 * (a child stops being referenced when its parent is retired), children
 * first to free (a freed parent is not read again). */
static void subtree_each(struct ptb_space *s, ptb_pa_t pa, unsigned level, enum space_order order,
			 void (*fn)(struct txn *, ptb_pa_t, unsigned), struct txn *t)
{
	struct subtree_fn v = { t, fn };
	space_each_table(s, pa, level, order, subtree_visit, &v);
}

static void free_one(struct txn *t, ptb_pa_t pa, unsigned level)
{
	free_page(t->s, pa, level);
}

static void push_retires(struct txn *t)
{
	size_t done = 0;
	if (!t->nretire || t->err)
		return;
	ptb_err_t err = t->s->be.ops->retire(t->s->be.ctx, t->buf->retire, t->nretire, &done);
	t->retired += err ? done : t->nretire;
	t->err = err;
	t->nretire = 0;
}

/* Counts every table of the retire order, retired or not (a refusal is
 * undone by sealing again the `retired` first of them). */
static void retire_one(struct txn *t, ptb_pa_t pa, unsigned level)
{
	t->retire_total++;
	if (t->nretire == TXN_BATCH)
		push_retires(t);
	if (!t->err)
		t->buf->retire[t->nretire++] = (struct ptb_table_ref){ pa, level };
}

static void push_reseals(struct txn *t)
{
	size_t done;
	if (t->nseal) /* what the platform sealed before, it seals again */
		(void)t->s->be.ops->seal(t->s->be.ctx, t->buf->seal, t->nseal, &done);
	t->nseal = 0;
}

/* The exact reverse of the retire order (records newest first, each subtree
 * in postorder: children first), skipping the tables never retired. */
static void reseal_one(struct txn *t, ptb_pa_t pa, unsigned level)
{
	if (t->reseal_skip) {
		t->reseal_skip--;
		return;
	}
	if (t->nseal == TXN_BATCH)
		push_reseals(t);
	t->buf->seal[t->nseal++] = (struct ptb_table_ref){ pa, level };
}

void txn_free_later(struct txn *t, ptb_pa_t pa, unsigned level)
{
	if (t->live)
		journal_add(t, J_DETACH, pa, level, 0);
	else
		subtree_each(t->s, pa, level, SPACE_POSTORDER, free_one, t);
}

/* Undo, newest first, one kind of record per pass: writes back, (flush),
 * seals retired (reverse of children-first is parents-first), pages freed. */
static void undo_write(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	size_t done;
	struct ptb_live_write w = { pa, val, level };
	if (kind == J_WRITE)
		(void)t->s->be.ops->write_live(t->s->be.ctx, &w, 1, &done);
}

/* Newest first is parents first.  A platform refusing one (which the
 * retire contract rules out here) keeps it and every older one SEALED. */
static void undo_seal(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	size_t done;
	struct ptb_table_ref r = { pa, level };
	(void)val;
	if (kind != J_SEALED || t->undo_stuck)
		return;
	if (t->s->be.ops->retire(t->s->be.ctx, &r, 1, &done))
		t->undo_stuck = true;
	else
		t->undo_retired++;
}

static void probe_sealed(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	(void)level, (void)val;
	if (kind != J_SEALED || t->probe.found)
		return;
	t->probe.found = pa.raw == t->probe.pa.raw;
	t->probe.rank += !t->probe.found;
}

/* Whether the undo left the new table at pa SEALED: it was sealed, and its
 * record comes after the `undo_retired` newest seal records. */
static bool still_sealed(struct txn *t, ptb_pa_t pa)
{
	if (!t->undo_stuck)
		return false;
	t->probe.pa = pa;
	t->probe.rank = 0;
	t->probe.found = false;
	journal_each(t, true, probe_sealed);
	return t->probe.found && t->probe.rank >= t->undo_retired;
}

/* A SEALED page is never freed: the platform keeps what it would not retire. */
static void undo_table(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	(void)val;
	if (kind == J_TABLE && !still_sealed(t, pa))
		free_page(t->s, pa, level);
}

static void flush_changes(struct txn *t)
{
	if (!t->live)
		return;
	if (t->flush_all)
		t->s->be.ops->flush(t->s->be.ctx, ptb_va(0), 0);
	else if (t->flush_lo <= t->flush_hi)
		t->s->be.ops->flush(t->s->be.ctx, ptb_va(t->flush_lo), t->flush_hi - t->flush_lo + 1);
}

/* Parents first (SPACE_REVERSE: the exact reverse of the postorder, so
 * that a refusal is undone by resealing in postorder). */
static void detached_retire(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	(void)val;
	if (kind == J_DETACH)
		subtree_each(t->s, pa, level, SPACE_REVERSE, retire_one, t);
}

static void detached_reseal(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	(void)val;
	if (kind == J_DETACH)
		subtree_each(t->s, pa, level, SPACE_POSTORDER, reseal_one, t);
}

static void detached_free(struct txn *t, unsigned kind, ptb_pa_t pa, unsigned level, uint64_t val)
{
	(void)val;
	if (kind == J_DETACH)
		subtree_each(t->s, pa, level, SPACE_POSTORDER, free_one, t);
}

/* Undo newest first: detached tables the commit retired sealed again, writes
 * back (relinking them), then new seals retired, then new tables freed.  The
 * undo restores states the platform accepted before, so a conforming
 * platform accepts them. */
static ptb_err_t undo(struct txn *t)
{
	if (t->retire_total) {
		t->reseal_skip = t->retire_total - t->retired;
		journal_each(t, true, detached_reseal);
		push_reseals(t);
	}
	journal_each(t, true, undo_write);
	t->flush_all = true;
	flush_changes(t);
	journal_each(t, true, undo_seal);
	journal_each(t, true, undo_table);
	ptb_err_t err = t->err;
	txn_abort(t);
	return err;
}

ptb_err_t txn_commit(struct txn *t)
{
	push_writes(t);
	if (t->err)
		return undo(t);
	flush_changes(t);
	if (t->live && t->jrecords) {
		journal_each(t, false, detached_retire);
		push_retires(t);
		if (t->err) /* the platform would not retire a detached table */
			return undo(t);
		journal_each(t, false, detached_free);
	}
	ptb_err_t err = t->err;
	txn_abort(t); /* returns unused reserved pages and the journal */
	return err;
}
