/* SPDX-License-Identifier: MIT */
/*
 * The hooks that move tables through their states (seal, retire), write
 * sealed tables (write_live) and switch roots (activate, flush): each would
 * enter the hypervisor under Xen, so each call counts as a trap.  Every
 * checkable Pre of backend.h is checked in both modes; Xen's own rules are
 * added under xen_rules.  A failed check refuses and records why; the sim
 * never aborts.
 */
#include "sim_internal.h"

static struct ptb_sim *sim(void *ctx)
{
	return ctx;
}

static bool page_aligned(uint64_t pa)
{
	return !(pa & (PTB_PAGE_SIZE - 1));
}

/* What may become SEALED: a NEW table, or a free page the caller gave
 * ptboot for tables without alloc_table (the bootstrap's reserve and RAM). */
static bool sealable(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	struct sim_page *pg = sim_page(s, t->pa.raw);
	if (!pg || !page_aligned(t->pa.raw))
		return sim_refuse(s, "seal of an address that is not a page of memory", t->pa.raw);
	if (pg->state == PG_SEALED)
		return sim_refuse(s, "seal of a sealed table", t->pa.raw);
	if (pg->state == PG_SCRATCH)
		return sim_refuse(s, "seal of a scratch page", t->pa.raw);
	if (t->level < 1 || t->level > PTB_MAX_LEVELS)
		return sim_refuse(s, "seal with a level out of range", t->pa.raw);
	return true;
}

/* Xen's side of a seal: flip the aliases read-only (update_va_mapping),
 * then validate (pin); a refused validation flips them back. */
static bool xen_seal(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	sim_xen_flip_aliases(s, t->pa.raw, false);
	if (!sim_xen_seal_ok(s, t->pa.raw, t->level)) {
		sim_xen_flip_aliases(s, t->pa.raw, true);
		return false;
	}
	sim_xen_account_table(s, t->pa.raw, t->level, +1);
	return true;
}

static bool seal_one(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	if (!sealable(s, t) || !sim_list_sealed(s, t->pa.raw))
		return false;
	if (s->cfg.xen_rules && !xen_seal(s, t))
		return false;
	struct sim_page *pg = sim_page(s, t->pa.raw);
	pg->state = PG_SEALED;
	pg->level = (uint8_t)t->level;
	pg->hash = sim_table_hash(s, t->pa.raw);
	s->st.rw_to_ro++;
	return true;
}

ptb_err_t sim_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_SEAL, n, true);
	for (*done = 0; *done < n; ++*done)
		if (!seal_one(s, &t[*done]))
			return PTB_E_REFUSED;
	return PTB_OK;
}

static bool retirable(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	struct sim_page *pg = sim_page(s, t->pa.raw);
	if (!pg || !page_aligned(t->pa.raw) || pg->state != PG_SEALED)
		return sim_refuse(s, "retire of a page that is not sealed", t->pa.raw);
	if (t->level != pg->level)
		return sim_refuse(s, "retire with a level other than the table's", t->pa.raw);
	if (sim_root_of_any_cpu(s, t->pa.raw))
		return sim_refuse(s, "retire of the active root", t->pa.raw);
	if (sim_tlb_still_cached(s, t->pa.raw))
		return sim_refuse(s, "retire of a table still cached by a CPU (no flush since unlinked)",
				  t->pa.raw);
	if (!sim_hash_ok(s, t->pa.raw))
		return false;
	return !s->cfg.xen_rules || sim_xen_retire_ok(s, t->pa.raw);
}

static bool retire_one(struct ptb_sim *s, const struct ptb_table_ref *t)
{
	if (!retirable(s, t))
		return false;
	if (s->cfg.xen_rules)
		sim_xen_account_table(s, t->pa.raw, t->level, -1);
	sim_page(s, t->pa.raw)->state = PG_TABLE;
	if (s->cfg.xen_rules)
		sim_xen_flip_aliases(s, t->pa.raw, true);
	s->st.ro_to_rw++;
	return true;
}

ptb_err_t sim_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_RETIRE, n, true);
	for (*done = 0; *done < n; ++*done)
		if (!retire_one(s, &t[*done]))
			return PTB_E_REFUSED;
	return PTB_OK;
}

static bool writable_entry(struct ptb_sim *s, const struct ptb_live_write *w)
{
	struct sim_page *pg = sim_page(s, w->entry_pa.raw);
	if (!pg || pg->state != PG_SEALED)
		return sim_refuse(s, "write_live into a page that is not a sealed table", w->entry_pa.raw);
	if (w->entry_pa.raw & 7)
		return sim_refuse(s, "write_live to an unaligned entry", w->entry_pa.raw);
	if (w->level != pg->level)
		return sim_refuse(s, "write_live with a level other than the table's", w->entry_pa.raw);
	return !s->cfg.xen_rules || sim_xen_write_ok(s, w->entry_pa.raw, w->level, w->val);
}

static bool write_one(struct ptb_sim *s, const struct ptb_live_write *w)
{
	if (s->fail_write_at && --s->fail_write_at == 0)
		return sim_refuse(s, "write refused by injection", w->entry_pa.raw);
	if (!writable_entry(s, w))
		return false;
	uint64_t *e = (uint64_t *)(s->mem + w->entry_pa.raw);
	uint64_t old = *e;
	*e = w->val;
	if (s->cfg.xen_rules)
		sim_xen_account_write(s, w->entry_pa.raw, w->level, old, w->val);
	sim_hash_update(s, w->entry_pa.raw, old, w->val);
	return true;
}

ptb_err_t sim_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_WRITE_LIVE, n, true);
	for (*done = 0; *done < n; ++*done)
		if (!write_one(s, &w[*done]))
			return PTB_E_REFUSED;
	return PTB_OK;
}

static bool activatable(struct ptb_sim *s, ptb_pa_t root, unsigned level)
{
	struct sim_page *pg = sim_page(s, root.raw);
	if (!pg || !page_aligned(root.raw) || pg->state != PG_SEALED)
		return sim_refuse(s, "activate of a root that is not sealed", root.raw);
	if (level != pg->level)
		return sim_refuse(s, "activate with a level other than the table's", root.raw);
	if (s->cfg.xen_rules && level != 4)
		return sim_refuse(s, "xen: the new base pointer is not an L4", root.raw);
	return ptb_sim_verify_sealed(s); /* Xen would have faulted on the store */
}

ptb_err_t sim_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_ACTIVATE, 1, true);
	if (!activatable(s, root, level))
		return PTB_E_REFUSED;
	sim_cpu_activate(s, root.raw, level);
	return PTB_OK;
}

/* Only whole 4 KiB pages of the range are flushed (see ptb_sim.h). */
void sim_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct ptb_sim *s = sim(ctx);
	sim_count(s, PTB_SIM_FLUSH, 1, true);
	uint64_t first = (va.raw >> PTB_PAGE_SHIFT) + !!(va.raw & (PTB_PAGE_SIZE - 1));
	unsigned __int128 end = (unsigned __int128)va.raw + len; /* the range may end at 2^64 */
	uint64_t pages_end = (uint64_t)(end >> PTB_PAGE_SHIFT);  /* first page not wholly inside */
	for (unsigned i = 0; i < s->ncpus; i++) {
		if (s->reach == PTB_SIM_FLUSH_THIS_CPU && i != s->cur)
			continue;
		if (!len)
			sim_tlb_flush_all(s, &s->cpu[i], false);
		else if (pages_end > first)
			sim_tlb_flush(s, &s->cpu[i], first, pages_end - 1);
	}
}

void ptb_sim_adopt_table(struct ptb_sim *s, ptb_pa_t pa, unsigned level, bool sealed)
{
	struct sim_page *pg = sim_page(s, pa.raw);
	if (!pg || pg->state == PG_SEALED)
		return; /* adopted already: its links are counted */
	if (!pg->counted) {
		pg->counted = 1;
		s->st.pages_allocated++;
	}
	pg->state = PG_TABLE;
	pg->level = (uint8_t)level;
	if (!sealed || !sim_list_sealed(s, pa.raw))
		return;
	if (s->cfg.xen_rules) /* the builder's tables hold their links */
		sim_xen_account_table(s, pa.raw, level, +1);
	pg->state = PG_SEALED;
	pg->hash = sim_table_hash(s, pa.raw);
}
