/* SPDX-License-Identifier: MIT */
#include "machine.h"
#include <stdio.h>
#include <unistd.h>
#include "e820.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

bool machine_pc_map(struct machine *m, uint64_t ram, const char **why)
{
	if (ram > MACHINE_MAX_PA - GiB) {
		*why = "--ram: at most 4095T (RAM above 4G ends 1G higher, and x86 physical addresses stop at 4 PiB)";
		return false;
	}
	uint64_t low = ram < 3 * GiB ? ram : 3 * GiB;
	size_t n = 0;
	m->map[n++] = (struct ptb_mem_range){ 0, 0x9f000, PTB_MEM_RAM };
	m->map[n++] = (struct ptb_mem_range){ 0x9f000, MiB - 0x9f000, PTB_MEM_RESERVED };
	m->map[n++] = (struct ptb_mem_range){ MiB, low - MiB, PTB_MEM_RAM };
	if (ram > low) /* 3G-4G stays a hole, as the PCI window is on a PC */
		m->map[n++] = (struct ptb_mem_range){ 4 * GiB, ram - low, PTB_MEM_RAM };
	m->map_len = n;
	m->ram_top = m->map[n - 1].base + m->map[n - 1].len;
	return true;
}

bool machine_e820_map(struct machine *m, const char *text, size_t len, const char **why)
{
	const char *taken = "";
	int n = e820_parse(text, len, m->map, MACHINE_MAX_RANGES, &taken, why);
	if (n < 0)
		return false;
	snprintf(m->map_note, sizeof(m->map_note), "%s", taken);
	m->map_len = (size_t)n;
	m->ram_top = 0;
	for (size_t i = 0; i < m->map_len; i++)
		if (m->map[i].type == PTB_MEM_RAM)
			m->ram_top = m->map[i].base + m->map[i].len;
	if (!m->ram_top) {
		*why = "the memory map has no usable RAM";
		return false;
	}
	if (m->ram_top > MACHINE_MAX_PA) {
		static char msg[160];
		snprintf(msg, sizeof(msg), "usable RAM ends at 0x%llx, beyond 2^52 (4 PiB), the widest x86 physical address",
			 (unsigned long long)m->ram_top);
		*why = msg;
		return false;
	}
	return true;
}

uint64_t machine_default_direct_map(const struct ptb_format *f)
{
	/* PAE: Linux's 3G/1G split; 64-bit: Linux's page_offset_base. */
	return f == &ptb_format_pae ? 0xc0000000ull : 0xffff888000000000ull;
}

/*
 * The lowest 2 MiB-aligned pa >= MACHINE_KERNEL_PA with [pa, pa + len) usable
 * RAM throughout (abutting RAM ranges count as one).  One pass over the
 * sorted, non-overlapping map: each range ends at or below 2^64 - 1, so no
 * sum here wraps.
 */
static bool lowest_fit(const struct machine *m, uint64_t len, uint64_t *out)
{
	for (size_t i = 0; i < m->map_len; i++) {
		if (m->map[i].type != PTB_MEM_RAM)
			continue;
		uint64_t lo = m->map[i].base, hi = lo + m->map[i].len;
		while (i + 1 < m->map_len && m->map[i + 1].type == PTB_MEM_RAM && m->map[i + 1].base == hi)
			hi += m->map[++i].len;
		uint64_t pa = lo > MACHINE_KERNEL_PA ? lo : MACHINE_KERNEL_PA;
		if (pa > UINT64_MAX - (2 * MiB - 1))
			return false;
		pa = (pa + 2 * MiB - 1) & ~(2 * MiB - 1);
		if (pa < hi && hi - pa >= len) {
			*out = pa;
			return true;
		}
	}
	return false;
}

static uint64_t kernel_va(const struct ptb_format *f, uint64_t direct_map)
{
	if (f != &ptb_format_pae)
		return 0xffffffff81000000ull;
	return direct_map >= 0x82000000ull ? 0x81000000ull : 0x01000000ull;
}

static uint64_t va_limit(const struct ptb_format *f)
{
	return f->canonical ? UINT64_MAX : (1ull << f->va_bits) - 1;
}

bool machine_place_kernel(struct machine *m, const struct ptb_format *f, uint64_t direct_map,
			  uint64_t pages, const char **why)
{
	uint64_t va = kernel_va(f, direct_map), room = va_limit(f) - va + 1;
	if (pages > (room - 5 * MiB) / 4096) { /* the image would run past the top of the va space */
		static char msg[160];
		snprintf(msg, sizeof(msg), "a reserve of %llu pages does not fit in the kernel image at va 0x%llx "
			 "(at most %llu pages)", (unsigned long long)pages, (unsigned long long)va,
			 (unsigned long long)((room - 5 * MiB) / 4096));
		*why = msg;
		return false;
	}
	uint64_t reserve = (pages > 256 ? pages : 256) * 4096;
	const uint64_t len[4] = { 2 * MiB, MiB, MiB, MiB + reserve };
	uint64_t total = len[0] + len[1] + len[2] + len[3], pa;
	if (!lowest_fit(m, total, &pa)) {
		static char msg[120];
		snprintf(msg, sizeof(msg), "no usable RAM from 16 MiB up holds the kernel image (%llu MiB with the reserve)",
			 (unsigned long long)(total >> 20));
		*why = msg;
		return false;
	}
	for (int i = 0; i < 4; i++) {
		m->kernel[i] = (struct ptb_segment){ ptb_va(va), ptb_pa(pa), len[i], (enum ptb_seg_kind)i };
		va += len[i];
		pa += len[i];
	}
	/* The reserve is the end of .bss, after 1 MiB of ordinary .bss. */
	m->reserve_pa = m->kernel[3].pa.raw + MiB;
	m->reserve_va = m->kernel[3].va.raw + MiB;
	m->reserve_pages = pages;
	return true;
}

bool machine_direct_map_fits(const struct machine *m, const struct ptb_format *f, uint64_t dm,
			     char *msg, size_t msg_len)
{
	uint64_t last = dm + m->ram_top - 1;
	uint64_t klo = m->kernel[0].va.raw, khi = m->kernel[3].va.raw + m->kernel[3].len;
	if (!ptb_format_va_ok(f, ptb_va(dm)) || last < dm || last > va_limit(f) ||
	    !ptb_format_va_ok(f, ptb_va(last)) || (dm >> 63) != (last >> 63)) {
		snprintf(msg, msg_len,
			 "a direct map at 0x%llx cannot hold RAM up to 0x%llx in %s's %u-bit address space",
			 (unsigned long long)dm, (unsigned long long)m->ram_top, f->name, f->va_bits);
		return false;
	}
	if (dm < khi && klo <= last) {
		snprintf(msg, msg_len, "the direct map 0x%llx-0x%llx overlaps the kernel image at 0x%llx",
			 (unsigned long long)dm, (unsigned long long)last, (unsigned long long)klo);
		return false;
	}
	return true;
}

uint64_t machine_host_bytes(uint64_t tables, bool xen)
{
	uint64_t cap = (UINT64_MAX - 16 * MiB) / 4096 / 4;
	tables = tables < cap ? tables : cap;
	return tables * 4096 * (xen ? 4 : 1) + 16 * MiB;
}

uint64_t machine_default_host_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return 8 * GiB;
	return (uint64_t)pages * (uint64_t)size / 2;
}

void machine_boot_input(const struct machine *m, struct ptb_boot_input *in)
{
	in->memmap = m->map;
	in->memmap_len = m->map_len;
	in->kernel = m->kernel;
	in->kernel_len = 4;
	in->reserve_pa = ptb_pa(m->reserve_pa);
	in->reserve_va = ptb_va(m->reserve_va);
	in->reserve_pages = m->reserve_pages;
}
