/* SPDX-License-Identifier: MIT */
/* Bit positions of x86 page-table entries (SDM vol. 3, 4.5), for src/format only. */
#ifndef PTB_X86_BITS_H
#define PTB_X86_BITS_H

#define X86_P      (1ull << 0)
#define X86_RW     (1ull << 1)
#define X86_US     (1ull << 2)
#define X86_PWT    (1ull << 3)
#define X86_PCD    (1ull << 4)
#define X86_A      (1ull << 5)
#define X86_D      (1ull << 6)
#define X86_PS     (1ull << 7)  /* L2/L3: leaf */
#define X86_PAT4K  (1ull << 7)  /* L1: PAT index bit 2 */
#define X86_G      (1ull << 8)
#define X86_AVL    (7ull << 9)
#define X86_PATBIG (1ull << 12) /* L2/L3 leaf: PAT index bit 2 */
#define X86_ADDR   0x000ffffffffff000ull
#define X86_SOFT   (0x7ffull << 52) /* software-available and PK bits */
#define X86_NX     (1ull << 63)

#endif
