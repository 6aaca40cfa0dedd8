/* SPDX-License-Identifier: MIT */
/* The contract checker (see ptb_checked.h). */
#include "ptb_checked.h"

enum { S_NONE, S_NEW, S_SEALED, S_SCRATCH };

static struct ptb_checked *chk(void *ctx)
{
	return ctx;
}

static struct ptb_checked_slot *slot(struct ptb_checked *c, uint64_t pa, bool create)
{
	size_t mask = c->nslots - 1, i = (size_t)((pa >> 12) * 0x9e3779b97f4a7c15ull >> 20) & mask;
	for (size_t n = 0; n < c->nslots; n++, i = (i + 1) & mask) {
		if (c->slots[i].pa == pa)
			return &c->slots[i];
		if (!c->slots[i].pa) {
			if (!create)
				return NULL;
			c->slots[i] = (struct ptb_checked_slot){ .pa = pa };
			return &c->slots[i];
		}
	}
	return NULL;
}

static unsigned state_of(struct ptb_checked *c, uint64_t pa)
{
	struct ptb_checked_slot *s = slot(c, pa, false);
	return s ? s->state : S_NONE;
}

static bool violate(struct ptb_checked *c, const char *what, uint64_t pa)
{
	if (!c->violations++) {
		static const char hex[] = "0123456789abcdef";
		size_t i = 0;
		while (what[i] && i < sizeof(c->what) - 20) {
			c->what[i] = what[i];
			i++;
		}
		c->what[i++] = ' ';
		for (int sh = 44; sh >= 0; sh -= 4)
			c->what[i++] = hex[(pa >> sh) & 15];
		c->what[i] = 0;
		if (c->on_violation)
			c->on_violation(c->arg, c->what);
	}
	return false;
}

static uintptr_t c_table_window(void *ctx);

void ptb_checked_init(struct ptb_checked *c, struct ptb_backend inner, const struct ptb_format *f,
		      struct ptb_checked_slot *slots, size_t nslots)
{
	*c = (struct ptb_checked){ .inner = inner, .format = f, .slots = slots, .nslots = nslots,
				   .flush_epoch = 1 }; /* unlinked_at 0: never unlinked */
	c->ops = ptb_checked_ops;
	c->ops.flags = inner.ops->flags;
	c->ops.table_window = inner.ops->table_window ? c_table_window : NULL;
	for (size_t i = 0; i < nslots; i++)
		slots[i] = (struct ptb_checked_slot){ 0 };
}

static void count_links(struct ptb_checked *c, uint64_t tpa, unsigned level, int delta);

void ptb_checked_adopt(struct ptb_checked *c, ptb_pa_t pa, unsigned level, bool sealed)
{
	struct ptb_checked_slot *s = slot(c, pa.raw, true);
	if (!s)
		return;
	uint16_t links = s->state == S_NONE ? s->links : 0; /* links from parents adopted earlier */
	*s = (struct ptb_checked_slot){ pa.raw, sealed ? S_SEALED : S_NEW, (uint8_t)level, links, 0 };
	if (sealed) /* a live parent links its children (adopt children first or later: both count) */
		count_links(c, pa.raw, level, +1);
}

/* The table an entry links, if it is a table pointer. */
static bool linked_table(struct ptb_checked *c, unsigned level, uint64_t e, uint64_t *pa)
{
	static const struct ptb_pat pat = { { 0 } };
	const struct ptb_encoding enc = { c->format, &pat, true };
	struct ptb_entry_info info;
	if (level < 2)
		return false;
	ptb_format_decode(&enc, level, e, &info);
	if (!info.present || info.leaf)
		return false;
	ptb_pa_t p = ptb_pfn_to_pa(info.frame.raw);
	const struct ptb_backend_ops *o = c->inner.ops;
	if (!(o->flags & PTB_BACKEND_FRAME_IS_PFN) && o->pa_of(c->inner.ctx, info.frame, &p))
		return false;
	*pa = p.raw;
	return true;
}

/* Adjust link counts for every table pointer in a table's entries (a
 * sealed parent links its children; a retired one no longer does). */
static void count_links(struct ptb_checked *c, uint64_t tpa, unsigned level, int delta)
{
	const uint64_t *t = c->inner.ops->table_ptr(c->inner.ctx, ptb_pa(tpa));
	for (unsigned i = 0; i < c->format->entries[level]; i++) {
		uint64_t child;
		struct ptb_checked_slot *s;
		/* A table linking itself (Xen's linear page-table slot) keeps
		 * nothing else alive: not counted. */
		if (linked_table(c, level, t[i], &child) && child != tpa && (s = slot(c, child, delta > 0))) {
			s->links = (uint16_t)(s->links + delta);
		}
	}
}

static ptb_err_t c_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	struct ptb_checked *c = chk(ctx);
	ptb_err_t err = c->inner.ops->alloc_table(c->inner.ctx, level, pa);
	if (err)
		return err;
	struct ptb_checked_slot *s = slot(c, pa->raw, true);
	if (!s || (s->state != S_NONE))
		violate(c, "alloc_table returned a page in use:", pa->raw);
	if (s)
		*s = (struct ptb_checked_slot){ pa->raw, level ? S_NEW : S_SCRATCH, (uint8_t)level, 0, 0 };
	return PTB_OK;
}

static void c_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	struct ptb_checked *c = chk(ctx);
	struct ptb_checked_slot *s = slot(c, pa.raw, false);
	if (!s || s->state == S_SEALED || s->links)
		violate(c, "free_table of a page that is not NEW, or still linked:", pa.raw);
	if (s)
		s->state = S_NONE; /* keep the slot: open addressing */
	c->inner.ops->free_table(c->inner.ctx, pa, level);
}

/* Counted, so that a test can tell which walk a query took.  (table_ptr may
 * return another alias of the page than W + pa: the native backend reaches
 * the kernel image's pages through the image's own mapping.) */
static uint64_t *c_table_ptr(void *ctx, ptb_pa_t pa)
{
	struct ptb_checked *c = chk(ctx);
	c->table_ptr_calls++;
	return c->inner.ops->table_ptr(c->inner.ctx, pa);
}

static uintptr_t c_table_window(void *ctx)
{
	struct ptb_checked *c = chk(ctx);
	return c->hide_window ? 0 : c->inner.ops->table_window(c->inner.ctx);
}

static ptb_err_t c_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	struct ptb_checked *c = chk(ctx);
	return c->inner.ops->frames_of(c->inner.ctx, pa, n, out);
}

static ptb_err_t c_pa_of(void *ctx, ptb_frame_t fr, ptb_pa_t *pa)
{
	struct ptb_checked *c = chk(ctx);
	return c->inner.ops->pa_of(c->inner.ctx, fr, pa);
}

static bool seal_ok(struct ptb_checked *c, const struct ptb_table_ref *t)
{
	unsigned st = state_of(c, t->pa.raw);
	if (st != S_NEW && st != S_NONE) /* NONE: a page the caller gave for tables */
		return violate(c, "seal of a page that is not a NEW table:", t->pa.raw);
	const uint64_t *e = c->inner.ops->table_ptr(c->inner.ctx, t->pa);
	for (unsigned i = 0; i < c->format->entries[t->level]; i++) {
		uint64_t child;
		if (linked_table(c, t->level, e[i], &child) && state_of(c, child) != S_SEALED)
			return violate(c, "seal before a child table was sealed:", t->pa.raw);
	}
	return true;
}

static ptb_err_t c_seal(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_checked *c = chk(ctx);
	size_t k;
	/* Children first: an item's children may be earlier in the batch,
	 * so each is marked SEALED (tentatively) once it has been checked. */
	for (k = 0; k < n && seal_ok(c, &t[k]); k++) {
		struct ptb_checked_slot *s = slot(c, t[k].pa.raw, true);
		s->state = S_SEALED;
		s->level = (uint8_t)t[k].level;
	}
	ptb_err_t err = k < n ? PTB_E_REFUSED : c->inner.ops->seal(c->inner.ctx, t, n, done);
	if (k < n)
		*done = 0;
	for (size_t i = 0; i < k; i++) {
		if (i < *done)
			count_links(c, t[i].pa.raw, t[i].level, +1);
		else
			slot(c, t[i].pa.raw, false)->state = S_NEW;
	}
	return err;
}

static bool retire_ok(struct ptb_checked *c, const struct ptb_table_ref *t)
{
	struct ptb_checked_slot *s = slot(c, t->pa.raw, false);
	if (!s || s->state != S_SEALED)
		return violate(c, "retire of a table that is not SEALED:", t->pa.raw);
	if (s->links)
		return violate(c, "retire of a table still linked:", t->pa.raw);
	if (t->pa.raw == c->active_root.raw)
		return violate(c, "retire of the active root:", t->pa.raw);
	if (s->unlinked_at == c->flush_epoch)
		return violate(c, "retire before the flush that follows unlinking:", t->pa.raw);
	return true;
}

static ptb_err_t c_retire(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	struct ptb_checked *c = chk(ctx);
	size_t k;
	/* Parents first: each retire drops its children's links before the
	 * next item is checked. */
	for (k = 0; k < n; k++) {
		if (!retire_ok(c, &t[k]))
			break;
		count_links(c, t[k].pa.raw, t[k].level, -1);
		slot(c, t[k].pa.raw, false)->state = S_NEW;
	}
	if (k < n) {
		for (size_t j = 0; j < k; j++) { /* restore what this call changed */
			slot(c, t[j].pa.raw, false)->state = S_SEALED;
			count_links(c, t[j].pa.raw, t[j].level, +1);
		}
		*done = 0;
		return PTB_E_REFUSED;
	}
	ptb_err_t err = c->inner.ops->retire(c->inner.ctx, t, n, done);
	for (size_t j = *done; j < n; j++) {
		slot(c, t[j].pa.raw, false)->state = S_SEALED;
		count_links(c, t[j].pa.raw, t[j].level, +1);
	}
	return err;
}

static bool write_ok(struct ptb_checked *c, const struct ptb_live_write *w)
{
	uint64_t tpa = w->entry_pa.raw & ~(PTB_PAGE_SIZE - 1), child;
	if (state_of(c, tpa) != S_SEALED)
		return violate(c, "write_live into a table that is not SEALED:", tpa);
	if (linked_table(c, w->level, w->val, &child) && state_of(c, child) != S_SEALED)
		return violate(c, "write_live links a table that is not SEALED:", child);
	return true;
}

static uint64_t entry_now(struct ptb_checked *c, ptb_pa_t entry_pa)
{
	const uint64_t *t = c->inner.ops->table_ptr(c->inner.ctx, ptb_pa(entry_pa.raw & ~(PTB_PAGE_SIZE - 1)));
	return t[(entry_pa.raw & (PTB_PAGE_SIZE - 1)) / 8];
}

/* Link counts follow the entries the backend actually wrote. */
static void relink(struct ptb_checked *c, unsigned level, uint64_t old, uint64_t val)
{
	uint64_t child;
	struct ptb_checked_slot *s;
	if (linked_table(c, level, old, &child) && (s = slot(c, child, false)) && s->links &&
	    !--s->links)
		s->unlinked_at = c->flush_epoch;
	if (linked_table(c, level, val, &child) && (s = slot(c, child, false)))
		s->links++;
}

static ptb_err_t c_write_live(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	struct ptb_checked *c = chk(ctx);
	uint64_t old[64];
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		if (!write_ok(c, &w[i])) {
			*done = 0;
			return PTB_E_REFUSED;
		}
	while (total < n) {
		size_t part = n - total > 64 ? 64 : n - total, ok = 0;
		for (size_t i = 0; i < part; i++)
			old[i] = entry_now(c, w[total + i].entry_pa);
		ptb_err_t err = c->inner.ops->write_live(c->inner.ctx, w + total, part, &ok);
		if (err)
			ok = ok < part ? ok : 0;
		for (size_t i = 0; i < (err ? ok : part); i++)
			relink(c, w[total + i].level, old[i], w[total + i].val);
		total += err ? ok : part;
		if (err) {
			*done = total;
			return err;
		}
	}
	*done = total;
	return PTB_OK;
}

static ptb_err_t c_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	struct ptb_checked *c = chk(ctx);
	if (state_of(c, root.raw) != S_SEALED || level != c->format->levels) {
		violate(c, "activate of a root that is not a SEALED root-level table:", root.raw);
		return PTB_E_REFUSED;
	}
	ptb_err_t err = c->inner.ops->activate(c->inner.ctx, root, level);
	if (!err) {
		c->active_root = root;
		c->flush_epoch++; /* a switch flushes the old tree's entries */
	}
	return err;
}

static void c_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	struct ptb_checked *c = chk(ctx);
	c->flush_epoch++;
	c->inner.ops->flush(c->inner.ctx, va, len);
}

const struct ptb_backend_ops ptb_checked_ops = {
	.flags = 0, /* ptb_checked_init copies it with the inner flags */
	.alloc_table = c_alloc, .free_table = c_free, .table_ptr = c_table_ptr,
	.frames_of = c_frames_of, .pa_of = c_pa_of, .seal = c_seal, .retire = c_retire,
	.write_live = c_write_live, .activate = c_activate, .flush = c_flush,
};
