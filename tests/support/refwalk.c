/* SPDX-License-Identifier: MIT */
/*
 * The reference walker.  Its own x86 decoding, written from the SDM (vol. 3,
 * 4.4 and 4.5), not from src/format: P bit 0, RW 1, US 2, PWT 3, PCD 4, PS 7
 * (L2/L3; PAT in an L1 entry), G 8, PAT 12 in a large leaf, address 12..51,
 * NX 63.  An entry the hardware would fault on as reserved is reported as a
 * malformed tree (-1), not decoded as something plausible.
 */
#include "refwalk.h"

#define E_P     (1ull << 0)
#define E_RW    (1ull << 1)
#define E_US    (1ull << 2)
#define E_PS    (1ull << 7)
#define E_G     (1ull << 8)
#define E_NX    (1ull << 63)
#define E_ADDR  0x000ffffffffff000ull
#define PDPTE_ALLOWED (E_ADDR | 0xe19ull) /* PAE root: P, PWT, PCD, AVL 9-11 */

static unsigned levels_of(int f)
{
	return f == RW_5LEVEL ? 5 : f == RW_PAE ? 3 : 4;
}

static unsigned shift_of(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static bool is_root(const struct rw_tree *t, unsigned level)
{
	return level == levels_of(t->format);
}

static unsigned entries_of(const struct rw_tree *t, unsigned level)
{
	return t->format == RW_PAE && is_root(t, level) ? 4 : 512;
}

static const uint64_t *table_at(const struct rw_tree *t, uint64_t pa)
{
	return ptb_sim_ptr(t->sim, ptb_pa(pa));
}

/* The x86 entry: the test format stores it rotated left by its level. */
static uint64_t x86_entry(const struct rw_tree *t, unsigned level, uint64_t stored)
{
	unsigned r = t->format == RW_TEST ? level : 0;
	return r ? (stored >> r) | (stored << (64 - r)) : stored;
}

static uint64_t frame_pa(const struct rw_tree *t, uint64_t addr_bits)
{
	return ptb_sim_pa_of(t->sim, ptb_frame((addr_bits & E_ADDR) >> 12)).raw;
}

/* Whether a present entry sets bits the hardware reserves at its level. */
static bool reserved_bits(const struct rw_tree *t, unsigned level, uint64_t e)
{
	if (t->format == RW_PAE && is_root(t, level))
		return (e & ~PDPTE_ALLOWED) != 0;
	if (!(e & E_PS) || level == 1)
		return false;
	if (level > 3 || (t->format == RW_PAE && level > 2))
		return true; /* no large pages at this level */
	uint64_t below = ((1ull << shift_of(level)) - 1) & E_ADDR & ~(1ull << 12); /* bit 12: PAT */
	return (e & below) != 0; /* a large page not aligned to its size */
}

static bool is_leaf(unsigned level, uint64_t e)
{
	return level == 1 || (e & E_PS);
}

static void decode_leaf(const struct rw_tree *t, unsigned level, uint64_t e, uint64_t va, struct rw_leaf *out)
{
	uint64_t size = 1ull << shift_of(level);
	unsigned pat_hi = level == 1 ? (unsigned)(e >> 7) & 1 : (unsigned)(e >> 12) & 1;
	uint64_t addr = level == 1 ? e : e & ~(1ull << 12);
	*out = (struct rw_leaf){
		.va = va & ~(size - 1), .pa = frame_pa(t, addr), .size = size, .level = level,
		.write = e & E_RW, .user = e & E_US, .nx = e & E_NX, .global = e & E_G,
		.pat = (unsigned)((e >> 3) & 3) | pat_hi << 2,
	};
}

static bool va_in_format(const struct rw_tree *t, uint64_t va)
{
	if (t->format == RW_PAE)
		return va >> 32 == 0;
	unsigned sh = t->format == RW_5LEVEL ? 7 : 16;
	return (uint64_t)((int64_t)(va << sh) >> sh) == va;
}

int refwalk_translate(const struct rw_tree *t, uint64_t va, struct rw_leaf *out)
{
	if (!va_in_format(t, va))
		return 1;
	uint64_t table = t->root;
	for (unsigned level = levels_of(t->format);; level--) {
		unsigned idx = (unsigned)(va >> shift_of(level)) & (entries_of(t, level) - 1);
		uint64_t e = x86_entry(t, level, table_at(t, table)[idx]);
		if (!(e & E_P))
			return 1;
		if (reserved_bits(t, level, e))
			return -1;
		if (is_leaf(level, e)) {
			decode_leaf(t, level, e, va, out);
			return 0;
		}
		table = frame_pa(t, e);
		if (!table_at(t, table))
			return -1;
	}
}

static uint64_t sign_extend(const struct rw_tree *t, uint64_t va)
{
	if (t->format == RW_PAE)
		return va;
	unsigned sh = t->format == RW_5LEVEL ? 7 : 16;
	return (uint64_t)((int64_t)(va << sh) >> sh);
}

struct walk_fns {
	void (*leaf)(void *, const struct rw_leaf *);
	void (*table)(void *, uint64_t pa, unsigned level);
	void *arg;
};

static bool skipped_slot(const struct rw_tree *t, unsigned level, unsigned i)
{
	return is_root(t, level) && i >= t->skip_first && i < t->skip_first + t->skip_count;
}

static int walk(const struct rw_tree *t, uint64_t table, unsigned level, uint64_t base,
		const struct walk_fns *fn)
{
	const uint64_t *p = table_at(t, table);
	if (fn->table)
		fn->table(fn->arg, table, level);
	for (unsigned i = 0; i < entries_of(t, level); i++) {
		if (!p[i])
			continue; /* the common case, whatever the format's rotation */
		uint64_t e = x86_entry(t, level, p[i]);
		if (!(e & E_P) || skipped_slot(t, level, i))
			continue;
		if (reserved_bits(t, level, e))
			return -1;
		uint64_t va = sign_extend(t, base + ((uint64_t)i << shift_of(level)));
		if (is_leaf(level, e)) {
			struct rw_leaf l;
			if (fn->leaf) { /* decoding costs: table-only walks skip it */
				decode_leaf(t, level, e, va, &l);
				fn->leaf(fn->arg, &l);
			}
			continue;
		}
		uint64_t child = frame_pa(t, e);
		if (!table_at(t, child) || walk(t, child, level - 1, va, fn))
			return -1;
	}
	return 0;
}

int refwalk_all(const struct rw_tree *t, void (*leaf)(void *, const struct rw_leaf *),
		void (*table)(void *, uint64_t pa, unsigned level), void *arg)
{
	const struct walk_fns fn = { leaf, table, arg };
	return walk(t, t->root, levels_of(t->format), 0, &fn);
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
	if (refwalk_all(t, NULL, count_one, &n))
		return UINT64_MAX; /* malformed: never equal to a page count */
	return n;
}

struct hash_acc {
	const struct rw_tree *t;
	uint64_t h;
};

/* FNV-1a over (pa, level, entries) of each table, in walk order. */
static void hash_one(void *arg, uint64_t pa, unsigned level)
{
	struct hash_acc *a = arg;
	const uint64_t *p = table_at(a->t, pa);
	a->h = (a->h ^ pa ^ level) * 0x100000001b3ull;
	for (unsigned i = 0; i < 512; i++)
		a->h = (a->h ^ p[i]) * 0x100000001b3ull;
}

uint64_t refwalk_hash(const struct rw_tree *t)
{
	struct hash_acc a = { t, 0xcbf29ce484222325ull };
	if (refwalk_all(t, NULL, hash_one, &a))
		a.h = ~a.h; /* malformed: a different hash than the well-formed tree */
	return a.h;
}
