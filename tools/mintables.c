/* SPDX-License-Identifier: MIT */
/*
 * The fewest tables any builder needs, counted from the memory map and the
 * kernel layout alone (independently of src/boot's model): per level, the
 * distinct table blocks holding a leaf of that level or below.
 */
#include "report.h"

struct counter {
	const struct ptb_format *f;
	unsigned max_leaf;
	uint64_t last;
	bool have;
	uint64_t kernel[64];      /* the kernel's blocks, which the direct map may share */
	unsigned nkernel;
	bool collect;
};

static uint64_t blocks(struct counter *c, uint64_t va, uint64_t pa, uint64_t len, unsigned level)
{
	unsigned shift = c->f->shift[level + 1];
	uint64_t n = 0, end = va + len - 1;
	for (uint64_t k = va >> shift; k <= end >> shift; k++) {
		uint64_t b = k << shift, lo = b > va ? b : va;
		uint64_t hi = (end - b) >> shift ? b + (1ull << shift) : end + 1;
		bool covered = false;
		for (unsigned l = level + 1; l <= c->max_leaf && !covered; l++) {
			uint64_t s = 1ull << c->f->shift[l];
			covered = (c->f->leaf_levels & (1u << l)) && !((lo | hi) & (s - 1)) && !((lo - va + pa) & (s - 1));
		}
		bool seen = c->have && c->last == k;
		for (unsigned i = 0; !c->collect && i < c->nkernel && !seen; i++)
			seen = c->kernel[i] == k;
		if (!covered && !seen) {
			n++;
			c->last = k;
			c->have = true;
			if (c->collect && c->nkernel < 64)
				c->kernel[c->nkernel++] = k;
		}
	}
	return n;
}

/* The largest page the rules allow, from the input alone (not the
 * library's derived value): Xen PV and frames that are not pfns get 4K
 * only; the format's own leaf levels are applied per block above. */
unsigned mintables_max_leaf(const struct ptb_boot_input *in)
{
	bool pfn_frames = in->backend.ops->flags & PTB_BACKEND_FRAME_IS_PFN;
	return in->xen || !pfn_frames ? 1 : in->max_leaf_level;
}

uint64_t mintables_count(const struct ptb_boot_input *in, unsigned max_leaf)
{
	uint64_t total = 1;
	for (unsigned level = 1; level < in->format->levels; level++) {
		struct counter c = { .f = in->format, .max_leaf = max_leaf, .collect = true };
		for (size_t i = 0; i < in->kernel_len; i++)
			total += blocks(&c, in->kernel[i].va.raw, in->kernel[i].pa.raw, in->kernel[i].len, level);
		c.have = false;
		c.collect = false;
		for (size_t i = 0; i < in->memmap_len; i++) {
			const struct ptb_mem_range *r = &in->memmap[i];
			if (r->type != PTB_MEM_RAM)
				continue;
			uint64_t lo = (r->base + 4095) & ~4095ull, end = r->base + r->len;
			while (i + 1 < in->memmap_len && in->memmap[i + 1].type == PTB_MEM_RAM &&
			       in->memmap[i + 1].base == end)
				end += in->memmap[++i].len;
			uint64_t hi = end & ~4095ull;
			if (hi > lo)
				total += blocks(&c, in->direct_map.raw + lo, lo, hi - lo, level);
		}
	}
	return total;
}
