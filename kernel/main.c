/* SPDX-License-Identifier: MIT */
/*
 * The demo kernel, native path: read the PVH memory map, run the ptboot
 * bootstrap (kernel W^X, direct map of all usable RAM, top down, early
 * reserve in .bss), switch, then prove the tables with the CPU's own walks.
 */
#include <ptboot/boot.h>
#include <ptboot/check.h>
#include "kernel.h"
#include "ptb_native.h"

#define DIRECT_MAP_4 0xffff888000000000ull /* as Linux: L4 slot 273 */
#define DIRECT_MAP_5 0xff11000000000000ull /* as Linux with LA57 */
static uint64_t DIRECT_MAP = DIRECT_MAP_4;
static bool la57;
#define RESERVE_PAGES 64

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __bss_start[], __bss_end[], __boot_end[];
extern uint64_t boot_pml4[], boot_pml5[];

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static uint8_t reserve[RESERVE_PAGES * 4096] __attribute__((aligned(4096)));
static struct ptb_boot boot;
static struct ptb_native native;
static struct ptb_mem_range memmap[128];
static size_t memmap_len;
static ptb_pa_t freed[16];
static size_t nfreed;
static char cmdline[256];
bool halt_at_end;

void finish(bool pass, const char *reason)
{
	if (pass)
		kprintf("PTBOOT RESULT: PASS\n");
	else
		kprintf("PTBOOT RESULT: FAIL %s\n", reason);
	if (halt_at_end)
		for (;;)
			platform_exit(0);
	platform_exit(pass ? 0x10 : 0x11);
	for (;;)
		;
}

static void native_exit(uint8_t code)
{
	if (code)
		outb(0xf4, code);
	__asm__ volatile("cli; hlt");
}

void (*platform_exit)(uint8_t code) = native_exit;

static uint64_t pa_of(const void *p)
{
	return (uint64_t)p - KBASE;
}

/* Copy what the bootstrap needs out of the start info (low memory). */
static void read_start_info(uint64_t pa)
{
	const struct hvm_start_info *si = (const struct hvm_start_info *)pa; /* identity-mapped */
	if (si->magic != 0x336ec578 || si->version < 1)
		finish(false, "no PVH start info with a memory map");
	const struct hvm_memmap_entry *e = (const struct hvm_memmap_entry *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries && memmap_len < 128; i++) {
		memmap[memmap_len++] = (struct ptb_mem_range){ e[i].addr, e[i].size, e[i].type };
		kprintf("  memmap %016lx-%016lx type %u\n", e[i].addr, e[i].addr + e[i].size, e[i].type);
	}
	if (si->cmdline_paddr) {
		const char *c = (const char *)si->cmdline_paddr;
		for (size_t i = 0; i < sizeof(cmdline) - 1 && c[i]; i++)
			cmdline[i] = c[i];
	}
	halt_at_end = contains(cmdline, "ptboot.halt");
}

static void page_free(void *arg, ptb_pa_t pa)
{
	(void)arg;
	if (nfreed < 16)
		freed[nfreed++] = pa;
}

/* The number after `key` on the command line, or def. */
static uint64_t cmdline_num(const char *key, uint64_t def)
{
	for (const char *c = cmdline; *c; c++) {
		size_t i = 0;
		while (key[i] && c[i] == key[i])
			i++;
		if (key[i])
			continue;
		uint64_t v = 0;
		for (c += i; *c >= '0' && *c <= '9'; c++)
			v = v * 10 + (uint64_t)(*c - '0');
		return v;
	}
	return def;
}

static bool cpu_has(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4];
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
	return r[reg] >> bit & 1;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static ptb_err_t bootstrap(void)
{
	static struct ptb_segment seg[4];
	kernel_segments(seg);
	static struct ptb_mem_range in_use[1];
	in_use[0] = (struct ptb_mem_range){ 0, (uint64_t)__boot_end, PTB_MEM_RESERVED }; /* low memory, boot code */
	native = (struct ptb_native){ .window = 0, .window_after = DIRECT_MAP, .window_switch = true,
				      .global_pages = true, .page_free = page_free,
				      .image_pa = pa_of(__text_start), .image_len = (uint64_t)(__bss_end - __text_start),
				      .image_va = (uintptr_t)__text_start };
	bool gb = cpu_has(0x80000001, 3, 26);
	/* ptboot.reserve=N uses only N pages of the reserve (=min: exactly
	 * what ptb_boot_reserve_needed asks for, whatever the image's layout),
	 * ptboot.4k only 4K pages: both make steps 5-7 build most tables from
	 * mapped RAM. */
	uint64_t rpages = cmdline_num("ptboot.reserve=", RESERVE_PAGES);
	unsigned max_leaf = contains(cmdline, "ptboot.4k") ? 1 : gb ? 3 : 2;
	const struct ptb_format *fmt = la57 ? &ptb_format_x86_64_5level : &ptb_format_x86_64_4level;
	ptb_pa_t boot_root = ptb_pa(la57 ? (uint64_t)boot_pml5 : (uint64_t)boot_pml4);
	struct ptb_space_config boot_cfg = { .format = fmt, .backend = ptb_native_backend(&native),
					     .max_leaf_level = 2, .flags = PTB_SPACE_NX };
	struct ptb_boot_input in = {
		.format = fmt, .backend = kernel_checked_backend(ptb_native_backend(&native), &boot_cfg, boot_root),
		.memmap = memmap, .memmap_len = memmap_len, .kernel = seg, .kernel_len = 4,
		.in_use = in_use, .in_use_len = 1,
		.reserve_pa = ptb_pa(pa_of(reserve)), .reserve_pages = rpages > RESERVE_PAGES ? RESERVE_PAGES : rpages, .reserve_va = ptb_va((uint64_t)reserve),
		.direct_map = ptb_va(DIRECT_MAP), .max_leaf_level = max_leaf, .nx = true,
		.boot_root = boot_root, .boot_root_live = true,
	};
	if (contains(cmdline, "ptboot.reserve=min")) {
		uint64_t need;
		ptb_err_t err = ptb_boot_reserve_needed(&boot, &in, &need);
		if (err)
			return err;
		in.reserve_pages = need;
	}
	kprintf("bootstrap: largest page %s, reserve %lu pages at %lx\n", max_leaf == 3 ? "1G" : max_leaf == 2 ? "2M" : "4K",
		in.reserve_pages, pa_of(reserve));
	return ptb_boot_run(&boot, &in);
}

void kmain_native(uint64_t start_info);
void kmain_native(uint64_t start_info)
{
	console_init();
	idt_init();
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | (1 << 7))); /* PGE: global pages */
	wrmsr(0x277, ptb_pat_msr(&ptb_pat_linux));
	la57 = cr4 & (1 << 12);
	if (la57)
		DIRECT_MAP = DIRECT_MAP_5;
	kprintf("ptboot demo kernel (native, PVH entry), %s paging\n", la57 ? "5-level (LA57)" : "4-level");
	read_start_info(start_info);
	ptb_err_t err = bootstrap();
	if (err)
		finish(false, ptb_strerror(err));
	kprintf("switched to the new tables (root %lx); boot tables given back: %lu\n", boot.space.root.raw,
		(uint64_t)nfreed);
	struct kcheck k = { .boot = &boot, .dm = DIRECT_MAP, .memmap = memmap, .memmap_len = memmap_len,
			    .skip_below = (uint64_t)__boot_end, .freed = freed, .nfreed = nfreed,
			    .expect_freed = la57 ? 7 : 5, /* (PML5, two PML4s or) a PML4, two PDPTs, two PDs */
			    .cmdline = cmdline };
	kernel_checks(&k);
}
