/* SPDX-License-Identifier: MIT */
/*
 * Catching plain stores to sealed tables (what Xen turns into a fault): each
 * sealed table keeps a hash of its contents that only write_live (and the
 * sim's own alias flips) update.  The hash is a sum of per-entry hashes, so
 * one live write costs O(1) instead of rehashing 512 entries.
 */
#include "sim_internal.h"
#include <stdlib.h>

/* splitmix64's finalizer: every input bit reaches every output bit. */
uint64_t sim_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The index takes part, so swapping two entries changes the sum. */
uint64_t sim_entry_hash(unsigned idx, uint64_t val)
{
	return sim_mix(val ^ sim_mix(idx + 1));
}

uint64_t sim_table_hash(const struct ptb_sim *s, uint64_t pa)
{
	const uint64_t *t = sim_table(s, pa);
	uint64_t h = 0;
	for (unsigned i = 0; i < 512; i++)
		h += sim_entry_hash(i, t[i]);
	return h;
}

void sim_hash_update(struct ptb_sim *s, uint64_t entry_pa, uint64_t old, uint64_t val)
{
	unsigned idx = (unsigned)(entry_pa & (PTB_PAGE_SIZE - 1)) / 8;
	struct sim_page *p = sim_page(s, entry_pa);
	p->hash += sim_entry_hash(idx, val) - sim_entry_hash(idx, old);
}

/* Put a newly sealed page on the list verify_sealed walks (once). */
bool sim_list_sealed(struct ptb_sim *s, uint64_t pa)
{
	struct sim_page *p = sim_page(s, pa);
	if (p->listed)
		return true;
	if (s->nsealed_list == s->sealed_cap) {
		uint64_t cap = s->sealed_cap ? 2 * s->sealed_cap : 1024;
		uint64_t *n = realloc(s->sealed_list, cap * sizeof(*n));
		if (!n)
			return sim_refuse(s, "sim: no host memory for the sealed list", pa);
		s->sealed_list = n;
		s->sealed_cap = cap;
	}
	s->sealed_list[s->nsealed_list++] = pa;
	p->listed = 1;
	return true;
}

bool sim_hash_ok(struct ptb_sim *s, uint64_t pa)
{
	if (sim_page(s, pa)->hash == sim_table_hash(s, pa))
		return true;
	return sim_refuse(s, "plain store to a sealed table", pa);
}

/* Walks the sealed list, dropping pages that were retired since. */
bool ptb_sim_verify_sealed(struct ptb_sim *s)
{
	uint64_t i = 0;
	while (i < s->nsealed_list) {
		uint64_t pa = s->sealed_list[i];
		struct sim_page *p = sim_page(s, pa);
		if (p->state != PG_SEALED) {
			p->listed = 0;
			s->sealed_list[i] = s->sealed_list[--s->nsealed_list];
			continue;
		}
		if (!sim_hash_ok(s, pa))
			return false;
		i++;
	}
	return true;
}
