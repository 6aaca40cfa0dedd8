/* SPDX-License-Identifier: MIT */
/* The format descriptions: data only. */
#include <ptboot/format.h>
#include "format/x86_bits.h"

#define TABLE_PTR (X86_P | X86_RW | X86_US | X86_A)
#define COMMON    (X86_P | X86_RW | X86_US | X86_PWT | X86_PCD | X86_A | X86_AVL | X86_SOFT | X86_NX)
/* Non-address bits an entry may set: L1 adds D, PAT, G; L2/L3 add D, PS, G
 * (their PAT bit 12 is handled as part of a large leaf); L4/L5 add D and G,
 * which the CPU ignores in a table pointer (Xen's domain builder sets D). */
#define ALLOW_L1  (COMMON | X86_D | X86_PAT4K | X86_G)
#define ALLOW_BIG (COMMON | X86_D | X86_PS | X86_G)
#define ALLOW_TOP (COMMON | X86_D | X86_G)

const struct ptb_format ptb_format_x86_64_4level = {
	.name = "x86-64 4-level", .image_id = 1, .levels = 4, .va_bits = 48, .pa_bits = 52,
	.canonical = true, .leaf_levels = (1u << 1) | (1u << 2) | (1u << 3),
	.shift = { 0, 12, 21, 30, 39 },
	.entries = { 0, 512, 512, 512, 512 },
	.table_bits = { 0, 0, TABLE_PTR, TABLE_PTR, TABLE_PTR },
	.allowed = { 0, ALLOW_L1, ALLOW_BIG, ALLOW_BIG, ALLOW_TOP },
};

const struct ptb_format ptb_format_x86_64_5level = {
	.name = "x86-64 5-level", .image_id = 2, .levels = 5, .va_bits = 57, .pa_bits = 52,
	.canonical = true, .leaf_levels = (1u << 1) | (1u << 2) | (1u << 3),
	.shift = { 0, 12, 21, 30, 39, 48 },
	.entries = { 0, 512, 512, 512, 512, 512 },
	.table_bits = { 0, 0, TABLE_PTR, TABLE_PTR, TABLE_PTR, TABLE_PTR },
	.allowed = { 0, ALLOW_L1, ALLOW_BIG, ALLOW_BIG, ALLOW_TOP, ALLOW_TOP },
};

/* PAE: the root holds 4 PDPTEs, which allow only P, PWT, PCD (SDM 4.4.1). */
const struct ptb_format ptb_format_pae = {
	.name = "PAE 3-level", .image_id = 3, .levels = 3, .va_bits = 32, .pa_bits = 52,
	.canonical = false, .leaf_levels = (1u << 1) | (1u << 2),
	.shift = { 0, 12, 21, 30 },
	.entries = { 0, 512, 512, 4 },
	.table_bits = { 0, 0, TABLE_PTR, X86_P },
	.allowed = { 0, ALLOW_L1, ALLOW_BIG, X86_P | X86_PWT | X86_PCD | X86_AVL },
};

/* x86-64 4-level semantics, but each stored entry is rotated left by its
 * level, so an entry decoded at the wrong level is garbage. */
const struct ptb_format ptb_format_test = {
	.name = "test (rotated 4-level)", .image_id = 255, .levels = 4, .va_bits = 48, .pa_bits = 46,
	.canonical = true, .leaf_levels = (1u << 1) | (1u << 2) | (1u << 3),
	.shift = { 0, 12, 21, 30, 39 },
	.entries = { 0, 512, 512, 512, 512 },
	.rot = { 0, 1, 2, 3, 4 }, .rotated = true,
	.table_bits = { 0, 0, TABLE_PTR, TABLE_PTR, TABLE_PTR },
	.allowed = { 0, ALLOW_L1, ALLOW_BIG, ALLOW_BIG, ALLOW_TOP },
};

const struct ptb_pat ptb_pat_linux = { { PTB_CACHE_WB, PTB_CACHE_WC, PTB_CACHE_UC_MINUS,
	PTB_CACHE_UC, PTB_CACHE_WB, PTB_CACHE_WP, PTB_CACHE_UC_MINUS, PTB_CACHE_WT } };
const struct ptb_pat ptb_pat_xen = { { PTB_CACHE_WB, PTB_CACHE_WT, PTB_CACHE_UC_MINUS,
	PTB_CACHE_UC, PTB_CACHE_WC, PTB_CACHE_WP, PTB_CACHE_UC, PTB_CACHE_UC } };
const struct ptb_pat ptb_pat_default = { { PTB_CACHE_WB, PTB_CACHE_WT, PTB_CACHE_UC_MINUS,
	PTB_CACHE_UC, PTB_CACHE_WB, PTB_CACHE_WT, PTB_CACHE_UC_MINUS, PTB_CACHE_UC } };
