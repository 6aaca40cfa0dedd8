/* SPDX-License-Identifier: MIT */
/* Internals of the simulation backend. */
#ifndef PTB_SIM_INTERNAL_H
#define PTB_SIM_INTERNAL_H

#include "ptb_sim.h"

/* Per-page metadata, kept in 1 GiB chunks made on first touch. */
enum { PG_FREE, PG_TABLE, PG_SEALED, PG_SCRATCH };

struct sim_chunk {
	uint8_t state[1u << 18];
	uint8_t level[1u << 18];
	uint16_t writable[1u << 18]; /* RW leaf mappings of the page in sealed L1s */
	uint16_t links[1u << 18];    /* entries of sealed tables linking the page */
	uint64_t hash[1u << 18];     /* contents of a sealed table, to catch stores */
};

struct ptb_sim {
	struct ptb_sim_config cfg;
	uint8_t *mem;
	uint64_t npages;
	struct sim_chunk **chunks;
	uint64_t nchunks;
	/* frames */
	unsigned fbits;              /* permutation domain 2^fbits >= npages */
	uint64_t fmul, finv, fxor;
	/* allocator */
	uint64_t pool_lo, pool_hi, bump;
	uint64_t *freed;
	uint64_t nfreed, freed_cap;
	uint64_t fail_alloc_at, fail_write_at;
	/* xen rules */
	struct ptb_sim_window win[4];
	unsigned nwin;
	uint64_t active_root;
	struct ptb_sim_stats st;
};

struct sim_chunk *sim_chunk(struct ptb_sim *s, uint64_t pfn);
bool sim_refuse(struct ptb_sim *s, const char *why, uint64_t pa);
uint64_t sim_hash_page(const struct ptb_sim *s, uint64_t pa);
uint64_t sim_frame(const struct ptb_sim *s, uint64_t pfn);
uint64_t sim_pfn(const struct ptb_sim *s, uint64_t frame);

/* Xen rules (sim_xen.c). */
bool sim_xen_seal_ok(struct ptb_sim *s, uint64_t pa, unsigned level);
void sim_xen_sealed(struct ptb_sim *s, uint64_t pa, unsigned level, int delta);
bool sim_xen_write_ok(struct ptb_sim *s, uint64_t entry_pa, unsigned level, uint64_t val);
void sim_xen_written(struct ptb_sim *s, unsigned level, uint64_t old, uint64_t val);
bool sim_xen_flip(struct ptb_sim *s, uint64_t pa, bool writable);
bool sim_xen_retire_ok(struct ptb_sim *s, uint64_t pa);

#endif
