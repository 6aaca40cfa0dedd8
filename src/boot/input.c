/* SPDX-License-Identifier: MIT */
/* Bootstrap input: validation, and the derived page sets. */
#include "boot/internal.h"

bool boot_range_has(const struct ptb_boot_range *r, size_t n, uint64_t pa)
{
	size_t a = 0, z = n;
	while (a < z) {
		size_t m = a + (z - a) / 2;
		if (r[m].hi <= pa)
			a = m + 1;
		else
			z = m;
	}
	return a < n && r[a].lo <= pa;
}

uint64_t boot_pages_outside(const struct ptb_boot_range *r, size_t n, uint64_t lo, uint64_t hi)
{
	uint64_t bytes = hi - lo;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = r[i].lo > lo ? r[i].lo : lo, z = r[i].hi < hi ? r[i].hi : hi;
		if (a < z)
			bytes -= z - a;
	}
	return bytes / PAGE;
}

bool boot_ram_from_top(const struct ptb_boot *b, size_t i, uint64_t *lo, uint64_t *hi)
{
	const struct ptb_mem_range *m = b->in.memmap;
	size_t k = b->in.memmap_len;
	while (k > 0) {
		k--;
		if (m[k].type != PTB_MEM_RAM)
			continue;
		/* Merge RAM ranges that touch, so large pages may span them. */
		uint64_t l = m[k].base, h = m[k].base + m[k].len;
		while (k > 0 && m[k - 1].type == PTB_MEM_RAM && m[k - 1].base + m[k - 1].len == l)
			l = m[--k].base;
		l = (l + PAGE - 1) & ~(PAGE - 1);
		h &= ~(PAGE - 1);
		if (l >= h)
			continue;
		if (i-- == 0) {
			*lo = l;
			*hi = h;
			return true;
		}
	}
	return false;
}

static ptb_err_t check_memmap(const struct ptb_boot_input *in, unsigned pa_bits)
{
	if (!in->memmap || in->memmap_len == 0)
		return PTB_E_MEMMAP;
	uint64_t prev_end = 0;
	for (size_t i = 0; i < in->memmap_len; i++) {
		const struct ptb_mem_range *r = &in->memmap[i];
		uint64_t end = r->base + r->len;
		if (r->len == 0 || end < r->base || (i && r->base < prev_end))
			return PTB_E_MEMMAP;
		if (r->type < PTB_MEM_RAM || r->type > PTB_MEM_PERSISTENT || r->type == 6)
			return PTB_E_MEMMAP;
		if (r->type == PTB_MEM_RAM && pa_bits < 64 && ((end - 1) >> pa_bits))
			return PTB_E_MEMMAP;
		prev_end = end;
	}
	return PTB_OK;
}

static ptb_err_t check_segments(const struct ptb_segment *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].len == 0 || s[i].kind > PTB_SEG_BSS)
			return PTB_E_INVAL;
		if ((s[i].va.raw | s[i].pa.raw | s[i].len) & (PAGE - 1))
			return PTB_E_ALIGN;
		if (s[i].pa.raw + s[i].len < s[i].pa.raw)
			return PTB_E_RANGE;
	}
	return PTB_OK;
}

/* Insert [lo, hi) into a sorted disjoint set, merging overlaps. */
static void set_add(struct ptb_boot_range *r, size_t *n, uint64_t lo, uint64_t hi)
{
	size_t i = 0;
	while (i < *n && r[i].hi < lo)
		i++;
	size_t j = i;
	while (j < *n && r[j].lo <= hi) {
		lo = r[j].lo < lo ? r[j].lo : lo;
		hi = r[j].hi > hi ? r[j].hi : hi;
		j++;
	}
	/* replace r[i, j) by [lo, hi) */
	size_t tail = *n - j;
	if (j == i) {
		for (size_t k = *n; k > i; k--)
			r[k] = r[k - 1];
		(*n)++;
	} else {
		for (size_t k = 0; k < tail; k++)
			r[i + 1 + k] = r[j + k];
		*n = i + 1 + tail;
	}
	r[i] = (struct ptb_boot_range){ lo, hi };
}

struct boot_tables_walk {
	struct ptb_boot *b;
	size_t n;
};

static bool add_boot_table(void *arg, const struct ptb_table_ref *t)
{
	struct boot_tables_walk *w = arg;
	if (++w->n > PTB_BOOT_MAX_BOOT_TABLES)
		return false;
	set_add(w->b->excl, &w->b->n_excl, t->pa.raw, t->pa.raw + PAGE);
	if (w->b->in.xen)
		set_add(w->b->ro, &w->b->n_ro, t->pa.raw, t->pa.raw + PAGE);
	return true;
}

static ptb_err_t adopt_boot_tree(struct ptb_boot *b)
{
	const struct ptb_boot_input *in = &b->in;
	struct ptb_space_config cfg = {
		.format = in->format, .pat = in->pat, .backend = { &b->ops, b },
		.max_leaf_level = in->format->leaf_levels & (1u << 3) ? 3 : 2,
		.flags = in->nx ? PTB_SPACE_NX : 0,
		.reserved_first = in->xen ? 256 : 0, .reserved_count = in->xen ? 16 : 0,
	};
	ptb_err_t err = ptb_space_adopt(&b->boot_space, &cfg, in->boot_root, in->boot_root_live);
	if (err)
		return err;
	struct boot_tables_walk w = { b, 0 };
	ptb_space_for_each_table(&b->boot_space, false, add_boot_table, &w);
	return w.n > PTB_BOOT_MAX_BOOT_TABLES ? PTB_E_INVAL : PTB_OK;
}

static bool seg_holds(const struct ptb_segment *s, uint64_t pa, uint64_t len, uint64_t va)
{
	return pa >= s->pa.raw && pa + len <= s->pa.raw + s->len && va - s->va.raw == pa - s->pa.raw;
}

ptb_err_t boot_input_init(struct ptb_boot *b, const struct ptb_boot_input *in)
{
	if (!b || !in || !in->format || !in->backend.ops || !in->kernel || !in->kernel_len)
		return PTB_E_INVAL;
	if (in->kernel_len + in->extra_len > PTB_BOOT_MAX_SEGMENTS || in->in_use_len > PTB_BOOT_MAX_IN_USE ||
	    (in->extra_len && !in->extra) || (in->in_use_len && !in->in_use))
		return PTB_E_INVAL;
	if (in->max_leaf_level < 1 || in->max_leaf_level > 3 ||
	    (in->xen && in->format != &ptb_format_x86_64_4level))
		return PTB_E_INVAL;
	unsigned pa_bits = in->pa_bits ? in->pa_bits : in->format->pa_bits;
	ptb_err_t err = check_memmap(in, pa_bits);
	if (!err)
		err = check_segments(in->kernel, in->kernel_len);
	if (!err)
		err = check_segments(in->extra, in->extra_len);
	if (err)
		return err;
	if ((in->reserve_pa.raw | in->reserve_va.raw | in->direct_map.raw) & (PAGE - 1))
		return PTB_E_ALIGN;
	uint64_t rlen = in->reserve_pages * PAGE;
	bool inside = false;
	for (size_t i = 0; i < in->kernel_len; i++)
		inside |= seg_holds(&in->kernel[i], in->reserve_pa.raw, rlen, in->reserve_va.raw);
	if (!inside || !in->reserve_pages)
		return PTB_E_INVAL;
	for (size_t i = 0; i < in->in_use_len; i++)
		if (!in->in_use[i].len || in->in_use[i].base + in->in_use[i].len < in->in_use[i].base ||
		    in->in_use[i].base + in->in_use[i].len > UINT64_MAX - (PAGE - 1))
			return PTB_E_INVAL; /* before *b is written: bad input changes nothing */

	*b = (struct ptb_boot){ .in = *in };
	b->max_leaf_level = in->max_leaf_level;
	/* Xen PV allows 4K leaves only; a backend whose frames are not pfns
	 * cannot prove large pages contiguous (see ptb_space_map). */
	if (in->xen || !(in->backend.ops->flags & PTB_BACKEND_FRAME_IS_PFN))
		b->max_leaf_level = 1;
	if (b->max_leaf_level > 1 && !(in->format->leaf_levels & (1u << b->max_leaf_level)))
		b->max_leaf_level = 2;
	boot_hooks_init(b);

	for (size_t i = 0; i < in->kernel_len; i++)
		set_add(b->excl, &b->n_excl, in->kernel[i].pa.raw, in->kernel[i].pa.raw + in->kernel[i].len);
	for (size_t i = 0; i < in->extra_len; i++)
		set_add(b->excl, &b->n_excl, in->extra[i].pa.raw, in->extra[i].pa.raw + in->extra[i].len);
	for (size_t i = 0; i < in->in_use_len; i++) {
		uint64_t lo = in->in_use[i].base & ~(PAGE - 1);
		uint64_t hi = (in->in_use[i].base + in->in_use[i].len + PAGE - 1) & ~(PAGE - 1);
		set_add(b->excl, &b->n_excl, lo, hi);
	}
	set_add(b->excl, &b->n_excl, in->reserve_pa.raw, in->reserve_pa.raw + rlen);
	if (in->xen)
		set_add(b->ro, &b->n_ro, in->reserve_pa.raw, in->reserve_pa.raw + rlen);
	if (in->boot_root.raw)
		return adopt_boot_tree(b);
	return PTB_OK;
}
