/* SPDX-License-Identifier: MIT */
/*
 * What both demo kernels prove after the bootstrap, with the CPU's (or
 * Xen's) own page walks: faults where W^X says, every free RAM page through
 * the direct map, the boot tables given back, the invariants, the ptdump.
 */
#include <ptboot/check.h>
#include <ptboot/cursor.h>
#include "kernel.h"
#include "ptb_checked.h"

#define MAX_TABLES 8192

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __bss_start[], __bss_end[];
static uint8_t exec_page[4096] __attribute__((aligned(4096))) = { 0xc3 }; /* ret, in .data (NX) */
static ptb_pa_t tables[MAX_TABLES];
static size_t ntables;
static const struct kcheck *K;

bool contains(const char *hay, const char *needle)
{
	for (; *hay; hay++) {
		size_t i = 0;
		while (needle[i] && hay[i] == needle[i])
			i++;
		if (!needle[i])
			return true;
	}
	return false;
}

static bool collect_table(void *arg, const struct ptb_table_ref *t)
{
	(void)arg;
	if (ntables < MAX_TABLES)
		tables[ntables++] = t->pa;
	return true;
}

static uint64_t pa_of(const void *p)
{
	return (uint64_t)p - KBASE;
}

/* Debug kernels run the bootstrap through the contract checker. */
static struct ptb_checked chk;
static struct ptb_checked_slot slots[4096];

static void contract_violation(void *arg, const char *what)
{
	(void)arg;
	kprintf("hook contract violated: %s\n", what);
	finish(false, "hook contract violated");
}

static bool adopt_one(void *arg, const struct ptb_table_ref *t)
{
	(void)arg;
	ptb_checked_adopt(&chk, t->pa, t->level, true);
	return true;
}

struct ptb_backend kernel_checked_backend(struct ptb_backend inner, const struct ptb_space_config *boot_cfg,
					  ptb_pa_t boot_root)
{
	struct ptb_space boot_tree;
	ptb_checked_init(&chk, inner, boot_cfg->format, slots, 4096);
	chk.on_violation = contract_violation;
	/* the boot tree is live: its pages are SEALED tables to the checker */
	if (ptb_space_adopt(&boot_tree, boot_cfg, boot_root, true) == PTB_OK)
		ptb_space_for_each_table(&boot_tree, false, adopt_one, NULL);
	return ptb_checked_backend(&chk);
}

/* ptboot.break=wx-text: set RW in the leaf mapping the kernel's text behind
 * the library's back (a plain store: native tables are ordinary memory), so
 * that the invariant checker over the live tables, not a refusal by the
 * library, must catch it. */
static void make_text_writable(const struct kcheck *k)
{
	struct ptb_cursor c;
	uint64_t e;
	ptb_va_t va = ptb_va((uint64_t)__text_start);
	if (ptb_cursor_inspect(&c, &k->boot->space, va, &e) || !(e & 1))
		finish(false, "break: the kernel text is not mapped");
	uint64_t *t = (uint64_t *)c.table[c.level];
	t[ptb_format_index(k->boot->space.enc.format, c.level, va)] = e | 2;
	kprintf("break: the kernel text at %lx made writable behind ptboot's back\n", va.raw);
}

void kernel_segments(struct ptb_segment seg[4])
{
	static const enum ptb_seg_kind kind[4] = { PTB_SEG_TEXT, PTB_SEG_RODATA, PTB_SEG_DATA, PTB_SEG_BSS };
	char *const lo[4] = { __text_start, __rodata_start, __data_start, __bss_start };
	char *const hi[4] = { __text_end, __rodata_end, __data_end, __bss_end };
	for (int i = 0; i < 4; i++)
		seg[i] = (struct ptb_segment){ ptb_va((uint64_t)lo[i]), ptb_pa(pa_of(lo[i])),
					       (uint64_t)(hi[i] - lo[i]), kind[i] };
}

static void sort_tables(void)
{
	for (size_t i = 1; i < ntables; i++) /* insertion sort: runs once, nearly sorted input */
		for (size_t j = i; j > 0 && tables[j - 1].raw > tables[j].raw; j--) {
			ptb_pa_t t = tables[j];
			tables[j] = tables[j - 1];
			tables[j - 1] = t;
		}
}

static bool is_table(uint64_t pa)
{
	size_t a = 0, b = ntables;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (tables[m].raw < pa)
			a = m + 1;
		else
			b = m;
	}
	return a < ntables && tables[a].raw == pa;
}

/* Every free usable page below 4 GiB (every 16th above), written and read
 * back through the direct map. */
static uint64_t check_ram(void)
{
	uint64_t kernel_lo = pa_of(__text_start), kernel_hi = pa_of(__bss_end), n = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < K->memmap_len; i++) {
			if (K->memmap[i].type != PTB_MEM_RAM)
				continue;
			uint64_t lo = (K->memmap[i].base + 4095) & ~4095ull, hi = (K->memmap[i].base + K->memmap[i].len) & ~4095ull;
			for (uint64_t pa = lo; pa < hi; pa += pa < (4ull << 30) ? 4096 : 16 * 4096) {
				if ((pa >= kernel_lo && pa < kernel_hi) || is_table(pa) || pa < K->skip_below)
					continue;
				volatile uint64_t *p = (volatile uint64_t *)(K->dm + pa);
				if (!pass) {
					p[0] = pa ^ 0x5a5a5a5a5a5a5a5aull;
					p[511] = ~pa;
					n++;
				} else if (p[0] != (pa ^ 0x5a5a5a5a5a5a5a5aull) || p[511] != ~pa) {
					kprintf("RAM check: page %lx reads back wrong\n", pa);
					finish(false, "RAM page did not read back through the direct map");
				}
			}
		}
	}
	/* the boot tables were given back: they are ordinary memory now */
	for (size_t i = 0; i < K->nfreed; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(K->dm + K->freed[i].raw);
		p[7] = 0x1234;
		if (p[7] != 0x1234)
			finish(false, "a freed boot table page is not writable memory");
	}
	return n;
}

static void check_faults(void)
{
	/* a write to kernel text */
	if (!probe_access(__text_start + 64, 1) || (probe_error & 3) != 3)
		finish(false, "a write to kernel text did not fault");
	kprintf("check: write to text faults: cr2 %lx error %lx\n", probe_cr2, probe_error);
	/* a jump into a data page */
	if (!probe_access(exec_page, 2) || !(probe_error & 0x10))
		finish(false, "executing a data page did not fault with the fetch bit");
	kprintf("check: jump into data faults: cr2 %lx error %lx\n", probe_cr2, probe_error);
	/* a read of an unmapped page: the first page above the top of RAM */
	uint64_t top = 0;
	for (size_t i = 0; i < K->memmap_len; i++)
		if (K->memmap[i].type == PTB_MEM_RAM && K->memmap[i].base + K->memmap[i].len > top)
			top = K->memmap[i].base + K->memmap[i].len;
	void *hole = (void *)(K->dm + ((top + 4095) & ~4095ull));
	if (!probe_access(hole, 0) || (probe_error & 1))
		finish(false, "reading an unmapped page did not fault");
	kprintf("check: read of unmapped %lx faults: error %lx\n", (uint64_t)hole, probe_error);
	/* a read of rodata works, a write does not */
	if (probe_access(__rodata_start, 0) || !probe_access(__rodata_start, 1))
		finish(false, "rodata is not read-only");
}

static bool dump_line(void *arg, const struct ptb_range *r)
{
	(void)arg;
	kprintf("  %016lx-%016lx %10lu %s %s %s %s -> %lx\n", r->va.raw, r->va.raw + r->len, r->len,
		r->level == 3 ? "1G" : r->level == 2 ? "2M" : "4K", r->attr & PTB_ATTR_WRITE ? "RW" : "ro",
		r->attr & PTB_ATTR_EXEC ? "x " : "NX", r->attr & PTB_ATTR_GLOBAL ? "GLB" : "   ", r->pa.raw);
	return true;
}


void kernel_checks(const struct kcheck *k)
{
	K = k;
	ptb_space_for_each_table(&k->boot->space, false, collect_table, NULL);
	sort_tables();
	check_faults();
	if (k->xen) { /* a store into a table page, through its read-only alias */
		if (!probe_access((void *)(k->dm + tables[0].raw), 1) || (probe_error & 3) != 3)
			finish(false, "a write to a table page did not fault");
		kprintf("check: write to a table page faults: error %lx\n", probe_error);
	}
	uint64_t pages = check_ram();
	kprintf("check: %lu free RAM pages written and read back through the direct map\n", pages);
	if (k->nfreed != k->expect_freed)
		finish(false, "the boot page table was not given back");
	if (!k->xen && contains(k->cmdline, "ptboot.break=wx-text"))
		make_text_writable(k);
	static ptb_pa_t scratch[MAX_TABLES];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL & ~(k->xen ? 0u : PTB_CHECK_TABLE_RO),
					.max_leaf_level = k->xen ? 1 : 3, .scratch = scratch, .scratch_len = MAX_TABLES };
	struct ptb_check_report rep;
	ptb_err_t err = ptb_space_check(&k->boot->space, &pol, &rep);
	if (err) {
		kprintf("invariant broken: %s at %lx\n", ptb_check_rule_name(rep.rule), rep.va.raw);
		finish(false, rep.rule == PTB_CHECK_WX ? "invariant checker: W^X" : "invariant checker");
	}
	kprintf("check: invariants hold over %lu tables and %lu leaves\n", rep.tables, rep.leaves);
	kprintf("ptdump of the live tables:\n");
	if (ptb_space_ranges(&k->boot->space, dump_line, NULL))
		finish(false, "ptdump");
	const struct ptb_boot_stats *s = &k->boot->stats;
	kprintf("stats: tables %lu (minimum %lu; L5 %lu L4 %lu L3 %lu L2 %lu L1 %lu), reserve used %lu, from RAM %lu "
		"(lowest %lx), rounds %lu, map calls %lu, RAM mapped %lu MiB\n",
		s->tables.by_level[0], s->min_tables, s->tables.by_level[5], s->tables.by_level[4], s->tables.by_level[3],
		s->tables.by_level[2], s->tables.by_level[1], s->reserve_used, s->ram_tables, s->lowest_table_pa,
		s->rounds, s->map_calls, s->ram_bytes >> 20);
	if (s->tables.by_level[0] != s->min_tables)
		finish(false, "more tables than the minimum");
	finish(true, NULL);
}
