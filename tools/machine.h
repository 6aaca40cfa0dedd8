/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine `ptboot boot` runs on: its memory map (from e820
 * text or generated PC-like), the kernel image's segments with the early
 * reserve in .bss, and the direct map's place.
 */
#ifndef PTB_TOOLS_MACHINE_H
#define PTB_TOOLS_MACHINE_H

#include <ptboot/boot.h>

#define MACHINE_MAX_RANGES 512
#define MACHINE_KERNEL_PA  (16ull << 20)  /* Linux's default physical start */
/* The widest physical address x86 defines (MAXPHYADDR 52): usable RAM must
 * end at or below it, which keeps every size computed from it far from 2^64. */
#define MACHINE_MAX_PA     (1ull << 52)

struct machine {
	struct ptb_mem_range map[MACHINE_MAX_RANGES];
	size_t map_len;
	char map_note[300];                   /* e820: which map of the text was taken */
	uint64_t ram_top;                     /* end of the highest usable RAM */
	struct ptb_segment kernel[4];         /* text, rodata, data, bss */
	uint64_t reserve_pa, reserve_va, reserve_pages;
};

/*
 * A PC-like map of `ram` bytes: 0-0x9f000 usable, 0x9f000-1M reserved, 1M up
 * to min(ram, 3G) usable, 3G-4G a hole (PCI), the rest from 4G.
 * False with *why when ram > MACHINE_MAX_PA - 1 GiB (the map would end
 * beyond MACHINE_MAX_PA).  Pre: ram >= 2 MiB.
 */
bool machine_pc_map(struct machine *m, uint64_t ram, const char **why);

/* The map from e820 text (see e820.h: one map of those the text holds; the
 * map_note says which); false with *why (a message) when malformed, with
 * no usable RAM, or with usable RAM ending beyond MACHINE_MAX_PA. */
bool machine_e820_map(struct machine *m, const char *text, size_t len, const char **why);

/* The default direct map base for a format. */
uint64_t machine_default_direct_map(const struct ptb_format *f);

/*
 * Lay the kernel image out for a reserve of `pages`: text 2M, rodata 1M,
 * data 1M, bss 1M plus the reserve (at least 1M), at the lowest 2 MiB
 * aligned pa from 16 MiB where the whole image is usable RAM, at va
 * 0xffffffff81000000 (PAE: 0x81000000, or 0x01000000 when the direct map
 * starts below 0x82000000).  False with *why when no RAM holds it.
 */
bool machine_place_kernel(struct machine *m, const struct ptb_format *f, uint64_t direct_map,
			  uint64_t pages, const char **why);

/* Whether [dm, dm + ram_top) fits the format's va space and misses the
 * kernel image; false with a message in msg otherwise. */
bool machine_direct_map_fits(const struct machine *m, const struct ptb_format *f, uint64_t dm,
			     char *msg, size_t msg_len);

/*
 * Host memory the sim takes for a boot that builds `tables` tables: a 4K
 * page each, 4x that under Xen rules (the sim keeps 24 bytes of metadata
 * for every page an L1 maps writable; measured 4.0x at 32-128 GiB, native
 * 1.01x), plus 16 MiB.
 */
uint64_t machine_host_bytes(uint64_t tables, bool xen);

/* The default limit on that: half of the host's physical memory (8 GiB
 * when the host does not say). */
uint64_t machine_default_host_limit(void);

/* Fill the machine's part of a bootstrap input. */
void machine_boot_input(const struct machine *m, struct ptb_boot_input *in);

#endif
