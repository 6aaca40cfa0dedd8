/* SPDX-License-Identifier: MIT */
/* The smallest kernel that builds its page tables with ptboot and switches to
 * them: the PVH memory map in, ptb_boot_run (kernel W^X, all RAM in a direct
 * map, tables from a .bss reserve, then from the top of RAM), then checks. */
#include <ptboot/boot.h>
#include <ptboot/check.h>

#define KBASE 0xffffffff80000000ull
#define DIRECT_MAP 0xffff888000000000ull
#define RESERVE_PAGES 16

struct ptb_backend backend_init(uint64_t img_pa, uint64_t img_len, uint64_t img_va, uint64_t dm);

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

extern char __text[], __rodata[], __data[], __end[], __boot_end[];
static uint8_t reserve[RESERVE_PAGES * 4096] __attribute__((aligned(4096)));
static struct ptb_boot boot; /* the bootstrap's state: about 15 KiB */
static struct ptb_mem_range memmap[64];
static volatile uint64_t probe;

/* What ptboot (and the compiler) may call: byte loops, volatile so that
 * they are not turned back into calls to themselves. */
void *memmove(void *d, const void *s, size_t n)
{
	volatile uint8_t *dp = d;
	const uint8_t *sp = s;
	if (dp < sp)
		for (size_t i = 0; i < n; i++)
			dp[i] = sp[i];
	else
		while (n--)
			dp[n] = sp[n];
	return d;
}
void *memcpy(void *d, const void *s, size_t n) __attribute__((alias("memmove")));
void *memset(void *d, int c, size_t n)
{
	for (volatile uint8_t *p = d; n--;)
		*p++ = (uint8_t)c;
	return d;
}
int memcmp(const void *a, const void *b, size_t n)
{
	for (const uint8_t *x = a, *y = b; n--; x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

static void print(const char *s)
{
	for (; *s; s++)
		__asm__ volatile("outb %0, %1" ::"a"(*s), "Nd"((uint16_t)0x3f8)); /* COM1 */
}

/* QEMU's isa-debug-exit turns 0x10 into exit status 33 (PASS), 0x11 into 35. */
static void finish(const char *failure)
{
	print(failure ? "PTBOOT RESULT: FAIL " : "PTBOOT RESULT: PASS");
	print(failure ? failure : "");
	print("\n");
	__asm__ volatile("outb %0, %1" ::"a"((uint8_t)(failure ? 0x11 : 0x10)), "Nd"((uint16_t)0xf4));
	for (;;)
		__asm__ volatile("cli; hlt");
}

static struct ptb_segment segment(char *lo, char *hi, enum ptb_seg_kind kind)
{
	return (struct ptb_segment){ ptb_va((uint64_t)lo), ptb_pa((uint64_t)lo - KBASE), (uint64_t)(hi - lo), kind };
}

void kmain(uint64_t start_info)
{
	const struct hvm_start_info *si = (const void *)start_info; /* low memory: identity-mapped */
	if (si->magic != 0x336ec578)
		finish("no PVH start info");
	const struct hvm_memmap_entry *e = (const void *)si->memmap_paddr;
	size_t n = 0;
	for (; n < si->memmap_entries && n < 64; n++)
		memmap[n] = (struct ptb_mem_range){ e[n].addr, e[n].size, e[n].type };
	struct ptb_segment seg[3] = { segment(__text, __rodata, PTB_SEG_TEXT),
				      segment(__rodata, __data, PTB_SEG_RODATA), segment(__data, __end, PTB_SEG_DATA) };
	struct ptb_mem_range low = { 0, (uint64_t)__boot_end, PTB_MEM_RESERVED }; /* boot code and table */
	struct ptb_boot_input in = {
		.format = &ptb_format_x86_64_4level,
		.backend = backend_init((uint64_t)__text - KBASE, (uint64_t)(__end - __text), (uint64_t)__text, DIRECT_MAP),
		.memmap = memmap, .memmap_len = n, .kernel = seg, .kernel_len = 3, .in_use = &low, .in_use_len = 1,
		.reserve_pa = ptb_pa((uint64_t)reserve - KBASE), .reserve_pages = RESERVE_PAGES,
		.reserve_va = ptb_va((uint64_t)reserve), .direct_map = ptb_va(DIRECT_MAP), .max_leaf_level = 2, .nx = true,
	};
	ptb_err_t err = ptb_boot_run(&boot, &in);
	if (err)
		finish(ptb_strerror(err));
	print("ptboot: switched to the new tables\n");

	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	if (cr3 != boot.space.root.raw)
		finish("CR3 is not ptboot's root");
	/* Two mappings of one page agree: a store through the direct map is
	 * read back through the kernel image's own mapping. */
	*(volatile uint64_t *)(DIRECT_MAP + ((uint64_t)&probe - KBASE)) = 0x5eed;
	if (probe != 0x5eed)
		finish("the direct map does not reach the kernel's data");
	struct ptb_mapping m;
	if (ptb_space_query(&boot.space, ptb_va((uint64_t)__text), &m) || (m.attr & PTB_ATTR_WRITE) ||
	    !(m.attr & PTB_ATTR_EXEC))
		finish("kernel text is not read-only and executable");
	struct ptb_check_policy policy = { .rules = PTB_CHECK_RESERVED_BITS | PTB_CHECK_L1TF | PTB_CHECK_WX, .max_leaf_level = 2 };
	struct ptb_check_report report;
	if (ptb_space_check(&boot.space, &policy, &report))
		finish(ptb_check_rule_name(report.rule));
	finish(0);
}
