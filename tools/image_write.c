/* SPDX-License-Identifier: MIT */
/*
 * Writing a table image (format in image.h).  Under a backend whose frames
 * are not pfns, the pairs cover exactly the pfns that entries refer to
 * (tables and every page of every leaf), so a reader can translate every
 * entry and nothing else is stored.
 */
#include "image.h"
#include <stdlib.h>
#include <string.h>

static const uint8_t magic[8] = { 'P', 'T', 'B', 'I', 'M', 'G', 0, 1 };

static int put64(FILE *f, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwrite(b, 8, 1, f) == 1 ? 0 : -1;
}

static int put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return fwrite(b, 4, 1, f) == 1 ? 0 : -1;
}

struct table_list {
	struct ptb_table_ref *t;
	size_t n, cap;
	bool oom;
};

static bool collect(void *arg, const struct ptb_table_ref *t)
{
	struct table_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct ptb_table_ref *more = realloc(l->t, cap * sizeof(*more));
		if (!more)
			return !(l->oom = true);
		l->t = more;
		l->cap = cap;
	}
	l->t[l->n++] = *t;
	return true;
}

/* The pfns entries refer to, as a bitmap (NULL bits: only find the top). */
struct pfn_set {
	uint64_t *bits;
	uint64_t top;                 /* highest pfn + 1 */
};

static void mark(struct pfn_set *p, uint64_t pfn, uint64_t n)
{
	for (uint64_t i = pfn; p->bits && i < pfn + n; i++)
		p->bits[i / 64] |= 1ull << (i % 64);
	if (pfn + n > p->top)
		p->top = pfn + n;
}

static void mark_table(struct pfn_set *p, const struct ptb_space *s, const struct ptb_table_ref *t)
{
	const uint64_t *e = s->be.ops->table_ptr(s->be.ctx, t->pa);
	const struct ptb_format *f = s->enc.format;
	for (unsigned i = 0; i < f->entries[t->level]; i++) {
		struct ptb_entry_info info;
		ptb_format_decode(&s->enc, t->level, e[i], &info);
		ptb_pa_t pa;
		if (!info.present || s->be.ops->pa_of(s->be.ctx, info.frame, &pa))
			continue;
		mark(p, ptb_pa_to_pfn(pa), info.leaf ? ptb_format_page_size(f, t->level) >> PTB_PAGE_SHIFT : 1);
	}
}

static int put_pairs(FILE *f, const struct ptb_space *s, const struct table_list *l)
{
	struct pfn_set p = { 0 };
	for (size_t i = 0; i < l->n; i++) /* pass 1: how big the set is */
		mark_table(&p, s, &l->t[i]);
	p.bits = calloc(p.top / 64 + 1, 8);
	if (!p.bits)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		mark_table(&p, s, &l->t[i]);
	uint64_t m = 0;
	for (uint64_t w = 0; w <= p.top / 64; w++)
		m += (uint64_t)__builtin_popcountll(p.bits[w]);
	int err = put64(f, m);
	for (uint64_t pfn = 0; pfn < p.top && !err; pfn++) {
		ptb_frame_t fr;
		if (!(p.bits[pfn / 64] >> (pfn % 64) & 1))
			continue;
		err = s->be.ops->frames_of(s->be.ctx, ptb_pfn_to_pa(pfn), 1, &fr) ? -1 : 0;
		err = err ? err : put64(f, pfn) | put64(f, fr.raw);
	}
	free(p.bits);
	return err;
}

int image_write(FILE *f, const struct ptb_space *s)
{
	struct table_list l = { 0 };
	ptb_space_for_each_table(s, true, collect, &l);
	bool pairs = !(s->be.ops->flags & PTB_BACKEND_FRAME_IS_PFN);
	int err = l.oom || fwrite(magic, 8, 1, f) != 1 ? -1 : 0;
	err = err ? err : put32(f, s->enc.format->image_id) | put32(f, (uint32_t)l.n) | put64(f, s->root.raw);
	err = err ? err : pairs ? put_pairs(f, s, &l) : put64(f, 0);
	for (size_t i = 0; i < l.n && !err; i++) {
		err = put64(f, l.t[i].pa.raw);
		err |= fwrite(s->be.ops->table_ptr(s->be.ctx, l.t[i].pa), 4096, 1, f) == 1 ? 0 : -1;
	}
	free(l.t);
	return err;
}
