/* SPDX-License-Identifier: MIT */
#include "refwalk.h"

static unsigned levels_of(int f)
{
	return f == RW_5LEVEL ? 5 : f == RW_PAE ? 3 : 4;
}

static uint64_t raw_entry(const struct rw_tree *t, uint64_t table, unsigned level, unsigned idx)
{
	const uint64_t *p = ptb_sim_ptr(t->sim, ptb_pa(table));
	uint64_t e = p[idx];
	unsigned r = t->format == RW_TEST ? level : 0; /* stored rotated left by level */
	return r ? (e >> r) | (e << (64 - r)) : e;
}

static uint64_t frame_pa(const struct rw_tree *t, uint64_t e)
{
	return ptb_sim_pa_of(t->sim, ptb_frame((e & 0x000ffffffffff000ull) >> 12)).raw;
}

static bool is_leaf(unsigned level, uint64_t e)
{
	return level == 1 || (e & 0x80);
}

static void decode_leaf(unsigned level, uint64_t e, uint64_t va, struct rw_leaf *out, const struct rw_tree *t)
{
	uint64_t size = 1ull << (12 + 9 * (level - 1));
	uint64_t addr_e = level == 1 ? e : e & ~0x1000ull; /* bit 12 is PAT in large leaves */
	out->size = size;
	out->level = level;
	out->va = va & ~(size - 1);
	out->pa = frame_pa(t, addr_e) & ~(size - 1);
	out->write = e & 2;
	out->user = e & 4;
	out->global = e & 0x100;
	out->nx = e >> 63;
	out->pat = (unsigned)((e >> 3) & 3) | (level == 1 ? (unsigned)((e >> 5) & 4) : (unsigned)((e >> 10) & 4));
}

int refwalk_translate(const struct rw_tree *t, uint64_t va, struct rw_leaf *out)
{
	uint64_t table = t->root;
	for (unsigned level = levels_of(t->format);; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned idx = (unsigned)((va >> shift) & (t->format == RW_PAE && level == 3 ? 3 : 511));
		uint64_t e = raw_entry(t, table, level, idx);
		if (!(e & 1))
			return 1;
		if (is_leaf(level, e)) {
			decode_leaf(level, e, va, out, t);
			return 0;
		}
		table = frame_pa(t, e);
		if (!ptb_sim_ptr(t->sim, ptb_pa(table)))
			return -1;
	}
}

static uint64_t sign_extend(const struct rw_tree *t, uint64_t va)
{
	if (t->format == RW_PAE)
		return va;
	unsigned bits = t->format == RW_5LEVEL ? 57 : 48;
	return (uint64_t)((int64_t)(va << (64 - bits)) >> (64 - bits));
}

static int walk(const struct rw_tree *t, uint64_t table, unsigned level, uint64_t base,
		void (*leaf)(void *, const struct rw_leaf *), void (*tab)(void *, uint64_t, unsigned), void *arg)
{
	unsigned n = t->format == RW_PAE && level == 3 ? 4 : 512;
	if (tab)
		tab(arg, table, level);
	for (unsigned i = 0; i < n; i++) {
		if (level == levels_of(t->format) && i >= t->skip_first && i < t->skip_first + t->skip_count)
			continue;
		uint64_t e = raw_entry(t, table, level, i);
		uint64_t va = sign_extend(t, base + ((uint64_t)i << (12 + 9 * (level - 1))));
		if (!(e & 1))
			continue;
		if (is_leaf(level, e)) {
			struct rw_leaf l;
			decode_leaf(level, e, va, &l, t);
			if (leaf)
				leaf(arg, &l);
			continue;
		}
		uint64_t child = frame_pa(t, e);
		if (!ptb_sim_ptr(t->sim, ptb_pa(child)) || walk(t, child, level - 1, va, leaf, tab, arg))
			return -1;
	}
	return 0;
}

int refwalk_all(const struct rw_tree *t, void (*leaf)(void *, const struct rw_leaf *),
		void (*table)(void *, uint64_t pa, unsigned level), void *arg)
{
	return walk(t, t->root, levels_of(t->format), 0, leaf, table, arg);
}

static void count_one(void *arg, uint64_t pa, unsigned level)
{
	(void)pa;
	(void)level;
	++*(uint64_t *)arg;
}

uint64_t refwalk_count_tables(const struct rw_tree *t)
{
	uint64_t n = 0;
	refwalk_all(t, 0, count_one, &n);
	return n;
}

struct hash_acc {
	const struct rw_tree *t;
	uint64_t h;
};

static void hash_one(void *arg, uint64_t pa, unsigned level)
{
	struct hash_acc *a = arg;
	const uint64_t *p = ptb_sim_ptr(a->t->sim, ptb_pa(pa));
	a->h = (a->h ^ pa ^ level) * 0x100000001b3ull;
	for (unsigned i = 0; i < 512; i++)
		a->h = (a->h ^ p[i]) * 0x100000001b3ull;
}

uint64_t refwalk_hash(const struct rw_tree *t)
{
	struct hash_acc a = { t, 0xcbf29ce484222325ull };
	refwalk_all(t, 0, hash_one, &a);
	return a.h;
}
