/* SPDX-License-Identifier: MIT */
#include "model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_init(struct model *m, const uint8_t pat[8], bool nx)
{
	*m = (struct model){ .cap = 1024, .nx = nx };
	m->slots = calloc(m->cap, sizeof(*m->slots));
	memcpy(m->pat, pat, 8);
}

void model_free(struct model *m)
{
	free(m->slots);
	m->slots = NULL;
}

static uint64_t hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static struct model_slot *find(const struct model *m, uint64_t va, bool *found)
{
	uint64_t key = (va >> 12) + 1, i = hash(key) & (m->cap - 1);
	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	*found = m->slots[i].key == key;
	return &m->slots[i];
}

static void grow(struct model *m)
{
	struct model_slot *old = m->slots;
	uint64_t n = m->cap;
	m->cap *= 2;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	for (uint64_t i = 0; i < n; i++)
		if (old[i].key) {
			bool f;
			*find(m, (old[i].key - 1) << 12, &f) = old[i];
		}
	free(old);
}

const struct model_slot *model_get(const struct model *m, uint64_t va)
{
	bool f;
	const struct model_slot *s = find(m, va, &f);
	return f && s->mapped ? s : NULL;
}

bool model_any(const struct model *m, uint64_t va, uint64_t len)
{
	for (uint64_t o = 0; o < len; o += 4096)
		if (model_get(m, va + o))
			return true;
	return false;
}

void model_map(struct model *m, uint64_t va, uint64_t pa, uint64_t len, ptb_attr_t attr)
{
	for (uint64_t o = 0; o < len; o += 4096) {
		if (2 * (m->used + 1) > m->cap)
			grow(m);
		bool f;
		struct model_slot *s = find(m, va + o, &f);
		if (f && s->mapped)
			continue;
		if (!f)
			m->used++;
		*s = (struct model_slot){ ((va + o) >> 12) + 1, pa + o, attr, true };
		m->mapped++;
	}
}

void model_unmap(struct model *m, uint64_t va, uint64_t len)
{
	for (uint64_t o = 0; o < len; o += 4096) {
		bool f;
		struct model_slot *s = find(m, va + o, &f);
		if (f && s->mapped) {
			s->mapped = false;
			m->mapped--;
		}
	}
}

void model_protect(struct model *m, uint64_t va, uint64_t len, ptb_attr_t attr)
{
	for (uint64_t o = 0; o < len; o += 4096) {
		bool f;
		struct model_slot *s = find(m, va + o, &f);
		if (f && s->mapped)
			s->attr = attr;
	}
}

ptb_attr_t model_attr_of(const struct model *m, const struct rw_leaf *l)
{
	ptb_attr_t a = ptb_attr_cache((enum ptb_cache)m->pat[l->pat]);
	if (l->write)
		a |= PTB_ATTR_WRITE;
	if (l->user)
		a |= PTB_ATTR_USER;
	if (l->global)
		a |= PTB_ATTR_GLOBAL;
	if (!m->nx || !l->nx)
		a |= PTB_ATTR_EXEC;
	return a;
}

struct cmp {
	const struct model *m;
	const char *err;
	uint64_t where, pages;
};

static void check_leaf(void *arg, const struct rw_leaf *l)
{
	struct cmp *c = arg;
	ptb_attr_t a = model_attr_of(c->m, l);
	for (uint64_t o = 0; o < l->size && !c->err; o += 4096) {
		const struct model_slot *s = model_get(c->m, l->va + o);
		c->pages++;
		if (!s)
			c->err = "the tree maps a page the model does not", c->where = l->va + o;
		else if (s->pa != l->pa + o)
			c->err = "a page maps the wrong pa", c->where = l->va + o;
		else if (s->attr != a)
			c->err = "a page has the wrong attributes", c->where = l->va + o;
	}
}

const char *model_compare(const struct model *m, const struct rw_tree *t, uint64_t *where)
{
	struct cmp c = { m, NULL, 0, 0 };
	if (refwalk_all(t, check_leaf, NULL, &c))
		return "malformed tree";
	if (!c.err && c.pages != m->mapped)
		c.err = "the model maps pages the tree does not";
	*where = c.where;
	return c.err;
}
