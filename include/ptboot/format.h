/* SPDX-License-Identifier: MIT */
/*
 * Page-table formats as data, with small encode/decode functions.
 *
 * Formats: x86-64 4-level, x86-64 5-level (LA57), PAE 3-level, and a test
 * format (4 levels) whose stored entries are the x86 entry rotated left by
 * `level` bits, so that code that confuses levels breaks host tests.
 *
 * Entry encoding facts (x86): bit 0 P, 1 RW, 2 US, 3 PWT, 4 PCD, 5 A, 6 D,
 * 7 PS in L2/L3 (a leaf) but PAT in an L1 entry, 8 G, 12 PAT in an L2/L3
 * leaf, 12..51 the address, 63 NX.  PAE's root (PDPTE) allows P, PWT, PCD
 * and the address only.  Levels are numbered as in types.h.
 */
#ifndef PTBOOT_FORMAT_H
#define PTBOOT_FORMAT_H

#include <ptboot/types.h>

struct ptb_format {
	const char *name;
	uint32_t image_id;       /* 1 = 4-level, 2 = 5-level, 3 = PAE, 255 = test */
	uint8_t levels;          /* number of levels; the root is level `levels` */
	uint8_t va_bits;         /* 48, 57 or 32 */
	uint8_t pa_bits;         /* widest physical address the entries hold */
	bool canonical;          /* va must be sign-extended from bit va_bits-1 */
	uint8_t leaf_levels;     /* bit N: the hardware allows a leaf at level N */
	uint8_t shift[PTB_MAX_LEVELS + 1];    /* va bits below level N's index */
	uint16_t entries[PTB_MAX_LEVELS + 1]; /* entries in a level-N table */
	uint8_t rot[PTB_MAX_LEVELS + 1];      /* stored = rotl(x86 entry, rot) */
	bool rotated;                         /* some rot[] is not 0 */
	uint64_t table_bits[PTB_MAX_LEVELS + 1]; /* flags of a table pointer */
	uint64_t allowed[PTB_MAX_LEVELS + 1];    /* non-address bits an entry may set */
};

extern const struct ptb_format ptb_format_x86_64_4level;
extern const struct ptb_format ptb_format_x86_64_5level;
extern const struct ptb_format ptb_format_pae;
extern const struct ptb_format ptb_format_test;

/*
 * The PAT: which cache type each of the 8 PAT indexes selects.  The kernel
 * programs IA32_PAT to match (ptb_pat_msr); under Xen PV, Xen's fixed layout.
 */
struct ptb_pat {
	uint8_t type[8]; /* enum ptb_cache */
};
extern const struct ptb_pat ptb_pat_linux;  /* WB WC UC- UC WB WP UC- WT */
extern const struct ptb_pat ptb_pat_xen;    /* WB WT UC- UC WC WP UC UC */
extern const struct ptb_pat ptb_pat_default;/* power-on: WB WT UC- UC x2 */

/* The IA32_PAT MSR value that programs `pat`. */
uint64_t ptb_pat_msr(const struct ptb_pat *pat);

/* What a present entry says, decoded. */
struct ptb_entry_info {
	bool present;
	bool leaf;             /* maps a page (else points to a table) */
	ptb_frame_t frame;     /* first frame of the page or the table */
	ptb_attr_t attr;       /* leaf only */
};

/* Encoding policy of one address space. */
struct ptb_encoding {
	const struct ptb_format *format;
	const struct ptb_pat *pat;
	bool nx;               /* NX usable: non-executable leaves set bit 63 */
};

/* Size in bytes of a leaf at `level`. */
static inline uint64_t ptb_format_page_size(const struct ptb_format *f, unsigned level)
{
	return 1ull << f->shift[level];
}

/*
 * ptb_format_leaf: encode a leaf entry.
 * Pre: level is a leaf level of the format; frame is aligned to the page
 *      size of that level.
 * Post: *out holds the stored form of the entry.
 * On error: PTB_E_ATTR (unknown bits, cache type absent from the PAT),
 *      PTB_E_RANGE (frame beyond pa_bits); *out unchanged.
 */
PTB_MUST_CHECK ptb_err_t ptb_format_leaf(const struct ptb_encoding *enc, unsigned level,
					 ptb_frame_t frame, ptb_attr_t attr, uint64_t *out);

/* Encode an entry pointing to a level-(level-1) table. Pre: frame fits. */
uint64_t ptb_format_table(const struct ptb_format *f, unsigned level, ptb_frame_t frame);

/*
 * ptb_format_decode: decode a stored entry of a level-`level` table.
 * Post: *out describes it; out->present false for a non-present entry.
 * The PAT index is mapped back to a cache type through enc->pat.
 */
void ptb_format_decode(const struct ptb_encoding *enc, unsigned level, uint64_t entry,
		       struct ptb_entry_info *out);

/*
 * ptb_format_entry_valid: whether a stored entry sets only bits the format
 * allows at this level (reserved bits clear) and, when non-present, holds no
 * address bits (L1TF-safe).  Zero is valid.
 */
bool ptb_format_entry_valid(const struct ptb_format *f, unsigned level, uint64_t entry);

/* Whether va is canonical and within the format's width. */
static inline bool ptb_format_va_ok(const struct ptb_format *f, ptb_va_t va)
{
	unsigned sh = 64u - f->va_bits;
	if (!f->canonical)
		return (va.raw >> f->va_bits) == 0;
	return (uint64_t)((int64_t)(va.raw << sh) >> sh) == va.raw;
}

/* The index of va in a level-`level` table. */
static inline unsigned ptb_format_index(const struct ptb_format *f, unsigned level, ptb_va_t va)
{
	return (unsigned)(va.raw >> f->shift[level]) & (f->entries[level] - 1u);
}

#endif
