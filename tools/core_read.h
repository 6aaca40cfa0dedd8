/* SPDX-License-Identifier: MIT */
/*
 * Reading memory dumps: an x86-64 ELF core whose PT_LOAD segments carry
 * physical memory at p_paddr (QEMU's dump-guest-memory, virsh dump, a
 * kdump vmcore), with QEMU's per-vCPU "QEMU" notes (CR0, CR3, CR4, CS); or a
 * raw physical-memory file placed at a given physical address.
 * Parsing is bounded and overflow-checked: anything malformed is refused
 * with a reason, never read beyond the buffer.
 */
#ifndef PTB_TOOLS_CORE_READ_H
#define PTB_TOOLS_CORE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ptb_dump.h"

/* One vCPU's paging state, from QEMU's note (struct QEMUCPUState). */
struct core_cpu {
	uint64_t cr0, cr3, cr4;
	uint64_t rip, gdt_base, idt_base;
	uint32_t cs_flags;    /* QEMU's segment cache flags: bit 21 is CS.L */
};

#define CORE_MAX_CPUS 1024
#define CORE_MAX_SEGS 4096

struct core {
	struct ptb_dump_seg *seg;   /* sorted by pa, disjoint */
	size_t nseg;
	struct core_cpu *cpu;       /* in note order (QEMU: vCPU index order) */
	size_t ncpu;
	uint8_t **copies;           /* segments copied to be 8-byte aligned */
	size_t ncopies;
	uint64_t bytes;             /* physical memory present */
};

/*
 * core_read_elf: parse an ELF core held in buf (which must outlive c).
 * Post: c lists the memory and the CPUs' states (ncpu may be 0: no notes).
 * On error: PTB_E_IMAGE with *why saying what is wrong; c holds nothing
 *   (core_free is still safe).  PTB_E_NOMEM when a copy could not be made.
 */
ptb_err_t core_read_elf(struct core *c, const uint8_t *buf, size_t len, const char **why);

/*
 * core_read_raw: the whole buffer is physical memory from phys_base on.
 * On error: PTB_E_IMAGE (phys_base not page aligned, empty, wraps), *why set.
 */
ptb_err_t core_read_raw(struct core *c, const uint8_t *buf, size_t len, uint64_t phys_base,
			    const char **why);

/* Whether buf starts like an ELF file. */
bool core_is_elf(const uint8_t *buf, size_t len);

void core_free(struct core *c);

#endif
