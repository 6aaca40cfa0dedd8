/* SPDX-License-Identifier: MIT */
/* Entry encode/decode for the x86 formats (and the rotated test format). */
#include <ptboot/format.h>
#include "format/x86_bits.h"

static inline uint64_t rotl(uint64_t x, unsigned r)
{
	return r ? (x << r) | (x >> (64 - r)) : x;
}

static inline uint64_t rotr(uint64_t x, unsigned r)
{
	return r ? (x >> r) | (x << (64 - r)) : x;
}

static bool is_leaf_x86(const struct ptb_format *f, unsigned level, uint64_t x)
{
	if (level == 1)
		return true;
	return (x & X86_PS) && (f->leaf_levels & (1u << level));
}

static int pat_index(const struct ptb_pat *pat, enum ptb_cache c)
{
	for (int i = 0; i < 8; i++)
		if (pat->type[i] == c)
			return i;
	return -1;
}

ptb_err_t ptb_format_leaf(const struct ptb_encoding *enc, unsigned level, ptb_frame_t frame,
			  ptb_attr_t attr, uint64_t *out)
{
	const struct ptb_format *f = enc->format;
	if (attr & ~PTB_ATTR_KNOWN)
		return PTB_E_ATTR;
	int pi = pat_index(enc->pat, ptb_attr_get_cache(attr));
	if (pi < 0)
		return PTB_E_ATTR;
	if (frame.raw >> (f->pa_bits - PTB_PAGE_SHIFT))
		return PTB_E_RANGE;
	uint64_t x = (frame.raw << PTB_PAGE_SHIFT) | X86_P | X86_A;
	if (attr & PTB_ATTR_WRITE)
		x |= X86_RW | X86_D;
	if (attr & PTB_ATTR_USER)
		x |= X86_US;
	if (attr & PTB_ATTR_GLOBAL)
		x |= X86_G;
	if (enc->nx && !(attr & PTB_ATTR_EXEC))
		x |= X86_NX;
	if (pi & 1)
		x |= X86_PWT;
	if (pi & 2)
		x |= X86_PCD;
	if (level == 1) {
		if (pi & 4)
			x |= X86_PAT4K;
	} else {
		x |= X86_PS;
		if (pi & 4)
			x |= X86_PATBIG;
	}
	*out = rotl(x, f->rot[level]);
	return PTB_OK;
}

uint64_t ptb_format_table(const struct ptb_format *f, unsigned level, ptb_frame_t frame)
{
	return rotl((frame.raw << PTB_PAGE_SHIFT) | f->table_bits[level], f->rot[level]);
}

void ptb_format_decode(const struct ptb_encoding *enc, unsigned level, uint64_t entry,
		       struct ptb_entry_info *out)
{
	const struct ptb_format *f = enc->format;
	uint64_t x = rotr(entry, f->rot[level]);
	out->present = x & X86_P;
	out->leaf = out->present && is_leaf_x86(f, level, x);
	out->attr = 0;
	if (!out->present) {
		out->frame = ptb_frame(0);
		return;
	}
	uint64_t addr = x & X86_ADDR;
	if (!out->leaf) {
		out->frame = ptb_frame(addr >> PTB_PAGE_SHIFT);
		return;
	}
	unsigned pi = (x & X86_PWT ? 1u : 0u) | (x & X86_PCD ? 2u : 0u);
	if (level == 1) {
		pi |= x & X86_PAT4K ? 4u : 0u;
	} else {
		pi |= x & X86_PATBIG ? 4u : 0u;
		addr &= ~(ptb_format_page_size(f, level) - 1);
	}
	out->frame = ptb_frame(addr >> PTB_PAGE_SHIFT);
	ptb_attr_t a = ptb_attr_cache((enum ptb_cache)enc->pat->type[pi]);
	if (x & X86_RW)
		a |= PTB_ATTR_WRITE;
	if (x & X86_US)
		a |= PTB_ATTR_USER;
	if (x & X86_G)
		a |= PTB_ATTR_GLOBAL;
	if (!enc->nx || !(x & X86_NX))
		a |= PTB_ATTR_EXEC;
	out->attr = a;
}

bool ptb_format_entry_valid(const struct ptb_format *f, unsigned level, uint64_t entry)
{
	uint64_t x = rotr(entry, f->rot[level]);
	if (!(x & X86_P))
		return (x & X86_ADDR) == 0;
	uint64_t allowed = f->allowed[level];
	uint64_t addr = x & X86_ADDR;
	uint64_t beyond = f->pa_bits >= 52 ? 0 : (X86_ADDR & ~((1ull << f->pa_bits) - 1));
	if (level > 1 && (x & X86_PS)) {
		if (!(f->leaf_levels & (1u << level)))
			return false;
		/* A large leaf: bit 12 is PAT, bits below the page size are reserved. */
		uint64_t low = (ptb_format_page_size(f, level) - 1) & X86_ADDR & ~X86_PATBIG;
		if (addr & low)
			return false;
	}
	return !(x & ~(allowed | X86_ADDR)) && !(addr & beyond);
}

uint64_t ptb_pat_msr(const struct ptb_pat *pat)
{
	/* IA32_PAT memory-type encodings (SDM 11.12.2). */
	static const uint8_t code[PTB_CACHE_COUNT_] = {
		[PTB_CACHE_WB] = 6, [PTB_CACHE_WT] = 4, [PTB_CACHE_UC_MINUS] = 7,
		[PTB_CACHE_UC] = 0, [PTB_CACHE_WC] = 1, [PTB_CACHE_WP] = 5,
	};
	uint64_t msr = 0;
	for (int i = 0; i < 8; i++)
		msr |= (uint64_t)code[pat->type[i]] << (8 * i);
	return msr;
}
