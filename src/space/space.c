/* SPDX-License-Identifier: MIT */
/* Space lifetime: create, adopt, seal, activate, destroy; shared helpers. */
#include "space/internal.h"

ptb_err_t space_child(const struct ptb_space *s, unsigned level, uint64_t e, ptb_pa_t *pa)
{
	ptb_frame_t fr = ptb_entry_table_frame(s->enc.format, level, e);
	if (space_frame_is_pfn(s)) {
		*pa = ptb_pfn_to_pa(fr.raw);
		return PTB_OK;
	}
	return s->be.ops->pa_of(s->be.ctx, fr, pa);
}

bool space_entry_valid(const struct ptb_space *s, unsigned level, uint64_t e)
{
	const struct ptb_format *f = s->enc.format;
	if (!ptb_format_entry_valid(f, level, e))
		return false;
	if (s->pa_bits >= f->pa_bits || !ptb_entry_present(f, level, e))
		return true;
	return !(ptb_entry_table_frame(f, level, e).raw >> (s->pa_bits - PTB_PAGE_SHIFT));
}

ptb_err_t space_follow(const struct ptb_space *s, unsigned level, uint64_t e, ptb_pa_t *child)
{
	if (!ptb_entry_is_table(s->enc.format, level, e))
		return PTB_E_NOTMAPPED;
	if (!space_inspected(s))
		return space_child(s, level, e, child);
	if (!space_entry_valid(s, level, e) || space_child(s, level, e, child) ||
	    !s->be.ops->table_ptr(s->be.ctx, *child))
		return PTB_E_NOTTABLE;
	return PTB_OK;
}

ptb_err_t space_frame(const struct ptb_space *s, ptb_pa_t pa, ptb_frame_t *fr)
{
	if (space_frame_is_pfn(s)) {
		*fr = ptb_frame(ptb_pa_to_pfn(pa));
		return PTB_OK;
	}
	return s->be.ops->frames_of(s->be.ctx, pa, 1, fr);
}

bool space_leaf_allowed(const struct ptb_space *s, unsigned level, unsigned map_flags)
{
	if (level == 1)
		return true;
	/* Without frame == pfn, ptboot cannot know that the frames under a
	 * large page are contiguous: 4K leaves only (Xen PV allows no more). */
	return level <= s->max_leaf_level && (s->enc.format->leaf_levels & (1u << level)) &&
	       !(map_flags & PTB_MAP_4K_ONLY) && space_frame_is_pfn(s);
}

ptb_err_t space_check_range(const struct ptb_space *s, uint64_t va, uint64_t len, const uint64_t *pa)
{
	const struct ptb_format *f = s->enc.format;
	if (len == 0)
		return PTB_E_INVAL;
	if ((va | len | (pa ? *pa : 0)) & (PTB_PAGE_SIZE - 1))
		return PTB_E_ALIGN;
	uint64_t last = va + (len - 1);
	if (last < va)
		return PTB_E_RANGE;
	if (!ptb_format_va_ok(f, ptb_va(va)) || !ptb_format_va_ok(f, ptb_va(last)))
		return f->canonical ? PTB_E_NONCANON : PTB_E_RANGE;
	if (f->canonical && ((va ^ last) >> 63))
		return PTB_E_NONCANON; /* spans the non-canonical hole */
	if (pa) {
		uint64_t plast = *pa + (len - 1);
		if (plast < *pa || (s->pa_bits < 64 && (plast >> s->pa_bits)))
			return PTB_E_RANGE;
	}
	unsigned root = s->root_level;
	for (unsigned i = space_index(s, root, va);; i++) {
		if (slot_bit(s->reserved, i) || slot_bit(s->imported, i))
			return PTB_E_RESERVED; /* the platform's, or another space's */
		if (i == space_index(s, root, last))
			break;
	}
	return PTB_OK;
}

ptb_err_t space_check_attr(const struct ptb_space *s, ptb_attr_t attr)
{
	uint64_t e;
	if (attr & ~PTB_ATTR_KNOWN)
		return PTB_E_ATTR;
	if ((s->flags & PTB_SPACE_WX_STRICT) && (attr & PTB_ATTR_WRITE) && (attr & PTB_ATTR_EXEC))
		return PTB_E_WX;
	return ptb_format_leaf(&s->enc, 1, ptb_frame(0), attr, &e);
}

static bool ops_complete(const struct ptb_backend_ops *o)
{
	if (!o || !o->alloc_table || !o->free_table || !o->table_ptr || !o->seal || !o->retire ||
	    !o->write_live || !o->activate || !o->flush)
		return false;
	return (o->flags & PTB_BACKEND_FRAME_IS_PFN) || (o->frames_of && o->pa_of);
}

static ptb_err_t space_init(struct ptb_space *s, const struct ptb_space_config *cfg)
{
	const struct ptb_format *f = cfg ? cfg->format : NULL;
	if (!f || !ops_complete(cfg->backend.ops) || (cfg->flags & ~PTB_SPACE_FLAGS_KNOWN))
		return PTB_E_INVAL;
	if (cfg->max_leaf_level < 1 || cfg->max_leaf_level > 3 ||
	    (cfg->max_leaf_level > 1 && !(f->leaf_levels & (1u << cfg->max_leaf_level))))
		return PTB_E_INVAL;
	if (cfg->pa_bits > f->pa_bits || (cfg->pa_bits && cfg->pa_bits < 32))
		return PTB_E_INVAL;
	if (cfg->reserved_count > f->entries[f->levels] ||
	    cfg->reserved_first > f->entries[f->levels] - cfg->reserved_count)
		return PTB_E_INVAL;
	*s = (struct ptb_space){
		.enc = { .format = f, .pat = cfg->pat ? cfg->pat : &ptb_pat_linux,
			 .nx = cfg->flags & PTB_SPACE_NX },
		.be = cfg->backend,
		.root_level = f->levels,
		.max_leaf_level = cfg->max_leaf_level,
		.pa_bits = cfg->pa_bits ? cfg->pa_bits : f->pa_bits,
		.flags = cfg->flags,
	};
	for (unsigned i = 0; i < cfg->reserved_count; i++) {
		unsigned slot = cfg->reserved_first + i;
		s->reserved[slot / 64] |= 1ull << (slot % 64);
	}
	return PTB_OK;
}

ptb_err_t ptb_space_create(struct ptb_space *s, const struct ptb_space_config *cfg)
{
	struct ptb_space tmp;
	if (!s)
		return PTB_E_INVAL;
	ptb_err_t err = space_init(&tmp, cfg);
	if (!err && (tmp.flags & PTB_SPACE_INSPECT))
		err = PTB_E_INVAL; /* an inspected tree is adopted, never created */
	if (err)
		return err;
	err = tmp.be.ops->alloc_table(tmp.be.ctx, tmp.root_level, &tmp.root);
	if (err)
		return err;
	uint64_t *t = space_table(&tmp, tmp.root);
	for (unsigned i = 0; i < 512; i++)
		t[i] = 0;
	*s = tmp;
	return PTB_OK;
}

/* Every entry of every table reachable from pa is valid for its level. */
static ptb_err_t validate_tree(const struct ptb_space *s, ptb_pa_t pa, unsigned level, bool root)
{
	const struct ptb_format *f = s->enc.format;
	const uint64_t *t = space_table(s, pa);
	for (unsigned i = 0; i < f->entries[level]; i++) {
		uint64_t e = t[i];
		if (root && slot_bit(s->reserved, i))
			continue;
		if (!space_entry_valid(s, level, e))
			return PTB_E_NOTTABLE;
		if (!ptb_entry_is_table(f, level, e))
			continue;
		ptb_pa_t child;
		if (space_child(s, level, e, &child) != PTB_OK || child.raw == pa.raw)
			return PTB_E_NOTTABLE;
		ptb_err_t err = validate_tree(s, child, level - 1, false);
		if (err)
			return err;
	}
	return PTB_OK;
}

ptb_err_t ptb_space_adopt(struct ptb_space *s, const struct ptb_space_config *cfg, ptb_pa_t root,
			  bool live)
{
	struct ptb_space tmp;
	if (!s)
		return PTB_E_INVAL;
	ptb_err_t err = space_init(&tmp, cfg);
	if (err)
		return err;
	if (root.raw & (PTB_PAGE_SIZE - 1))
		return PTB_E_ALIGN;
	if (!root.raw || (tmp.pa_bits < 64 && (root.raw >> tmp.pa_bits)))
		return PTB_E_NOTTABLE;
	tmp.root = root;
	tmp.sealed = live;
	if (tmp.flags & PTB_SPACE_INSPECT) {
		if (!tmp.be.ops->table_ptr(tmp.be.ctx, root))
			return PTB_E_NOTTABLE;
	} else {
		err = validate_tree(&tmp, root, tmp.root_level, true);
		if (err)
			return err;
	}
	*s = tmp;
	return PTB_OK;
}

/* Traverse the tree in one of three orders, skipping foreign root slots
 * unless asked.  REVERSE is the exact reverse of POSTORDER (a node, then its
 * children last to first): parents first, and its last k tables are the
 * first k of POSTORDER. */
static bool each_table(const struct ptb_space *s, ptb_pa_t pa, unsigned level, bool with_imported,
		       enum space_order order, ptb_table_fn fn, void *arg)
{
	const struct ptb_format *f = s->enc.format;
	struct ptb_table_ref r = { pa, level };
	if (order != SPACE_POSTORDER && !fn(arg, &r))
		return false;
	if (level > 1) {
		unsigned n = f->entries[level];
		for (unsigned k = 0; k < n; k++) {
			unsigned i = order == SPACE_REVERSE ? n - 1 - k : k;
			uint64_t e = space_table(s, pa)[i];
			if (level == s->root_level &&
			    (slot_bit(s->reserved, i) || (!with_imported && slot_bit(s->imported, i))))
				continue;
			ptb_pa_t child;
			if (space_follow(s, level, e, &child))
				continue;
			if (!each_table(s, child, level - 1, with_imported, order, fn, arg))
				return false;
		}
	}
	return order != SPACE_POSTORDER || fn(arg, &r);
}

void space_each_table(const struct ptb_space *s, ptb_pa_t root, unsigned level,
		      enum space_order order, ptb_table_fn fn, void *arg)
{
	each_table(s, root, level, false, order, fn, arg);
}

void ptb_space_for_each_table(const struct ptb_space *s, bool with_imported, ptb_table_fn fn, void *arg)
{
	if (!space_usable(s) || !fn)
		return;
	each_table(s, s->root, s->root_level, with_imported, SPACE_POSTORDER, fn, arg);
}

static bool free_one(void *arg, const struct ptb_table_ref *t)
{
	const struct ptb_space *s = arg;
	s->be.ops->free_table(s->be.ctx, t->pa, t->level);
	return true;
}

void space_free_subtree(const struct ptb_space *s, ptb_pa_t root, unsigned level)
{
	each_table(s, root, level, false, SPACE_POSTORDER, free_one, (void *)s);
}

static bool count_one(void *arg, const struct ptb_table_ref *t)
{
	struct ptb_table_count *c = arg;
	c->by_level[t->level]++;
	c->by_level[0]++;
	return true;
}

void ptb_space_count_tables(const struct ptb_space *s, struct ptb_table_count *out)
{
	if (!out)
		return;
	*out = (struct ptb_table_count){ { 0 } };
	ptb_space_for_each_table(s, false, count_one, out);
}

/* Batches tables for seal or retire. */
enum batch_op { BATCH_SEAL, BATCH_RETIRE, BATCH_FREE };

struct table_batch {
	const struct ptb_space *s;
	enum batch_op op;
	uint64_t skip;             /* pass over the first `skip` tables */
	uint64_t handled;          /* tables the hook accepted */
	size_t n;
	struct ptb_table_ref buf[32]; /* 512 bytes: a kernel-sized frame */
	ptb_err_t err;
};

struct batch_result {
	uint64_t handled;          /* tables the hook accepted */
	ptb_err_t err;
};

static bool batch_push(struct table_batch *b)
{
	const struct ptb_backend_ops *o = b->s->be.ops;
	size_t done = 0;
	ptb_err_t err = PTB_OK;
	if (!b->n)
		return true;
	if (b->op == BATCH_SEAL)
		err = o->seal(b->s->be.ctx, b->buf, b->n, &done);
	else if (b->op != BATCH_FREE)
		err = o->retire(b->s->be.ctx, b->buf, b->n, &done);
	b->handled += err ? done : b->n;
	if (b->op == BATCH_FREE) {
		for (size_t i = 0; i < b->n; i++)
			o->free_table(b->s->be.ctx, b->buf[i].pa, b->buf[i].level);
	}
	b->n = 0;
	b->err = err;
	return !err;
}

static bool batch_add(void *arg, const struct ptb_table_ref *t)
{
	struct table_batch *b = arg;
	if (b->skip) {
		b->skip--;
		return true;
	}
	b->buf[b->n++] = *t;
	return b->n < sizeof(b->buf) / sizeof(b->buf[0]) || batch_push(b);
}

/* Run op over the space's own tables after the first `skip`: seal children
 * first (a table is complete only when its children are), retire parents
 * first (a child is unreferenced only once its parent stopped being a
 * table), free children first (a freed parent is no longer read). */
__attribute__((noinline)) /* one batch buffer on the stack at a time */
static struct batch_result run_batch(struct ptb_space *s, enum batch_op op, uint64_t skip)
{
	struct table_batch b = { .s = s, .op = op, .skip = skip };
	space_each_table(s, s->root, s->root_level,
			 op == BATCH_RETIRE ? SPACE_REVERSE : SPACE_POSTORDER, batch_add, &b);
	if (!b.err)
		batch_push(&b);
	return (struct batch_result){ b.handled, b.err };
}

ptb_err_t ptb_space_seal(struct ptb_space *s)
{
	if (!space_writable(s) || s->sealed)
		return PTB_E_INVAL;
	struct batch_result b = run_batch(s, BATCH_SEAL, 0);
	if (b.err) {
		/* Retire what this call sealed, parents first: the first
		 * `handled` tables of the seal order are the last `handled` of
		 * the retire order.  A conforming platform cannot refuse to
		 * retire a table it just sealed and nobody links. */
		struct ptb_table_count c;
		ptb_space_count_tables(s, &c);
		(void)run_batch(s, BATCH_RETIRE, c.by_level[0] - b.handled);
		return b.err;
	}
	s->sealed = true;
	return PTB_OK;
}

ptb_err_t ptb_space_activate(struct ptb_space *s)
{
	if (!space_writable(s) || !s->sealed)
		return PTB_E_INVAL;
	return s->be.ops->activate(s->be.ctx, s->root, s->root_level);
}

ptb_err_t ptb_space_destroy(struct ptb_space *s)
{
	if (!space_usable(s))
		return PTB_E_INVAL;
	if (s->flags & PTB_SPACE_INSPECT) {
		*s = (struct ptb_space){ 0 }; /* nothing of it was ptboot's */
		return PTB_OK;
	}
	if (s->sealed) {
		struct batch_result r = run_batch(s, BATCH_RETIRE, 0);
		if (r.err) {
			/* Seal again what this call retired, children first: the
			 * first `handled` of the retire order are the last
			 * `handled` of the seal order.  s is as before. */
			struct ptb_table_count c;
			ptb_space_count_tables(s, &c);
			(void)run_batch(s, BATCH_SEAL, c.by_level[0] - r.handled);
			return r.err;
		}
	}
	(void)run_batch(s, BATCH_FREE, 0);
	*s = (struct ptb_space){ 0 };
	return PTB_OK;
}
