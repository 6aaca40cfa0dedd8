/* SPDX-License-Identifier: MIT */
/*
 * The demo kernel as a Xen PV dom0: adopt the domain builder's tables, run
 * the bootstrap with Xen's rules (4K leaves, every table read-only wherever
 * it is mapped, Xen's L4 slots untouched), pin and switch, unpin and give
 * back the boot tables, set a user base pointer, then prove the result.
 */
#include <ptboot/boot.h>
#include <ptboot/check.h>
#include "kernel.h"
#include "ptb_xen.h"

#define DIRECT_MAP 0xffff888000000000ull
#define RESERVE_PAGES 64

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __bss_start[], __bss_end[];
extern char hypercall_page[];
extern char xen_pf_entry[], xen_other_entry[];

/* start_info for x86_64 (xen/include/public/xen.h). */
struct start_info {
	char magic[32];
	uint64_t nr_pages, shared_info;
	uint32_t flags, pad0;
	uint64_t store_mfn;
	uint32_t store_evtchn, pad1;
	uint64_t console[2];
	uint64_t pt_base, nr_pt_frames, mfn_list, mod_start, mod_len;
	char cmd_line[1024];
};

struct trap_info {
	uint8_t vector, flags;
	uint16_t cs;
	uint64_t address;
};

static uint8_t reserve[RESERVE_PAGES * 4096] __attribute__((aligned(4096)));
static struct ptb_boot boot;
static struct ptb_xen xb;
static struct ptb_mem_range memmap[1], in_use[1];
static struct ptb_segment seg[4], extra[1];
static ptb_pa_t freed[64];
static size_t nfreed;
static char cmdline[256];
static uint64_t next_free_page;

static long hcall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	register uint64_t r10 __asm__("r10") = a4;
	long ret;
	__asm__ volatile("call *%[fn]"
			 : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10)
			 : [fn] "r"(hypercall_page + nr * 32)
			 : "rcx", "r11", "r8", "r9", "memory");
	return ret;
}

/* The backend's transport: the hypercall page. */
static long hc_mmu_update(void *ctx, const struct ptb_xen_mmu_update *req, unsigned count, unsigned *done)
{
	(void)ctx;
	return hcall(1, (uint64_t)req, count, (uint64_t)done, PTB_XEN_DOMID_SELF);
}

static long hc_mmuext_op(void *ctx, const struct ptb_xen_mmuext_op *op, unsigned count, unsigned *done)
{
	(void)ctx;
	return hcall(26, (uint64_t)op, count, (uint64_t)done, PTB_XEN_DOMID_SELF);
}

static long hc_multicall(void *ctx, struct ptb_xen_multicall *calls, unsigned count)
{
	(void)ctx;
	return hcall(13, (uint64_t)calls, count, 0, 0);
}

static const struct ptb_xen_transport_ops hypercall_page_ops = { hc_mmu_update, hc_mmuext_op, hc_multicall };

/* XENMEM_machphys_mapping: where the m2p is and the largest frame it holds. */
struct machphys_mapping {
	uint64_t v_start, v_end, max_mfn;
};

static struct machphys_mapping m2p_mapping(void)
{
	struct machphys_mapping m = { 0, 0, 0 };
	if (hcall(12 /* memory_op */, 12 /* XENMEM_machphys_mapping */, (uint64_t)&m, 0, 0))
		finish(false, "XENMEM_machphys_mapping refused");
	return m;
}

static void xen_console(const char *s, size_t n)
{
	(void)hcall(18, 0 /* CONSOLEIO_write */, n, (uint64_t)s, 0);
}

static void xen_exit(uint8_t code)
{
	uint32_t iopl = 1;
	if (!code)
		for (;;)
			(void)hcall(29, 1 /* SCHEDOP_block */, 0, 0, 0);
	(void)hcall(33, 6 /* PHYSDEVOP_set_iopl */, (uint64_t)&iopl, 0, 0);
	outb(0xf4, code);
	uint32_t reason = 1; /* reboot: QEMU exits 0, which the harness treats as no result */
	(void)hcall(29, 2 /* SCHEDOP_shutdown */, (uint64_t)&reason, 0, 0);
	for (;;)
		;
}

void xen_fatal(uint64_t error, uint64_t rip);
void xen_fatal(uint64_t error, uint64_t rip)
{
	kprintf("\nunexpected exception: error %lx rip %lx\n", error, rip);
	finish(false, "unexpected exception");
}

static void set_traps(void)
{
	static struct trap_info traps[] = {
		{ 14, 0, 0xe033, 0 }, { 13, 0, 0xe033, 0 }, { 6, 0, 0xe033, 0 }, { 0, 0, 0, 0 },
	};
	traps[0].address = (uint64_t)xen_pf_entry;
	traps[1].address = (uint64_t)xen_other_entry;
	traps[2].address = (uint64_t)xen_other_entry;
	if (hcall(0, (uint64_t)traps, 0, 0, 0))
		finish(false, "set_trap_table refused");
}

static uint64_t pa_of(const void *p)
{
	return (uint64_t)p - KBASE;
}

static ptb_err_t page_alloc(void *arg, ptb_pa_t *pa)
{
	(void)arg;
	*pa = ptb_pa(next_free_page);
	next_free_page += 4096;
	return PTB_OK;
}

static void page_free(void *arg, ptb_pa_t pa)
{
	(void)arg;
	if (nfreed < 64)
		freed[nfreed++] = pa;
}

static void describe(const struct start_info *si)
{
	kernel_segments(seg);
	uint64_t p2m_len = (si->nr_pages * 8 + 4095) & ~4095ull;
	extra[0] = (struct ptb_segment){ ptb_va(si->mfn_list), ptb_pa(pa_of((void *)si->mfn_list)), p2m_len,
					 PTB_SEG_DATA };
	memmap[0] = (struct ptb_mem_range){ 0, si->nr_pages * 4096, PTB_MEM_RAM };
	/* Xen's bootstrap region (p2m, start info, boot tables, stack) and a
	 * margin: never taken for tables. */
	uint64_t end = pa_of((void *)si->pt_base) + si->nr_pt_frames * 4096 + 512 * 1024;
	in_use[0] = (struct ptb_mem_range){ 0, end, PTB_MEM_RESERVED };
	next_free_page = (end + 4095) & ~4095ull;
}

static void setup_backend(const struct start_info *si)
{
	struct machphys_mapping m2p = m2p_mapping();
	kprintf("m2p at %lx, frames up to %lx\n", m2p.v_start, m2p.max_mfn);
	uint64_t initial = (pa_of((void *)si->pt_base) + si->nr_pt_frames * 4096 + (4 << 20) - 1) & ~((4ull << 20) - 1);
	xb = (struct ptb_xen){
		.p2m = (const uint64_t *)si->mfn_list, .nr_pages = si->nr_pages,
		.hc = { &hypercall_page_ops, NULL },
		.m2p = (const uint64_t *)m2p.v_start, .m2p_frames = m2p.max_mfn + 1,
		.access = KBASE, .access_after = DIRECT_MAP, .switch_after = true,
		.image_pa = pa_of(__text_start), .image_len = (uint64_t)(__bss_end - __text_start),
		.image_va = (uintptr_t)__text_start,
		.win = { { KBASE, 0, initial } }, .nwin = 1,
		.win_after = { { DIRECT_MAP, 0, si->nr_pages * 4096 },
			       { (uint64_t)__text_start, pa_of(__text_start), pa_of(__bss_end) } },
		.nwin_after = 2,
		.pinned = { ptb_pa(pa_of((void *)si->pt_base)) }, .npinned = 1,
		.page_alloc = page_alloc, .page_free = page_free,
	};
}

/* An empty pinned L4 for user mode, as a real kernel sets before user mode. */
static void set_user_root(void)
{
	struct ptb_space user;
	struct ptb_space_config cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_xen_backend(&xb),
					.max_leaf_level = 1, .flags = PTB_SPACE_NX, .pat = &ptb_pat_xen,
					.reserved_first = 256, .reserved_count = 16 };
	ptb_err_t err = ptb_space_create(&user, &cfg);
	if (!err)
		err = ptb_space_seal(&user);
	if (!err)
		err = ptb_xen_pin_root(&xb, user.root);
	if (!err)
		err = ptb_xen_set_user_root(&xb, user.root);
	if (err) {
		kprintf("user base pointer: %s (Xen said %ld)\n", ptb_strerror(err), xb.stats.last_error);
		finish(false, "could not set a user base pointer");
	}
	kprintf("user base pointer: an empty pinned L4 at %lx\n", user.root.raw);
}

/* ptboot.break=writable-table: ask for what Xen must refuse, then prove
 * that Xen itself refused (its error code, not the backend's) and that the
 * library rolled back: the va unmapped, the tables as many as before, every
 * invariant holding. */
static void break_on_purpose(void)
{
	ptb_pa_t table = boot.space.root;
	ptb_va_t va = ptb_va(DIRECT_MAP + (1ull << 40));
	struct ptb_table_count before, after;
	ptb_space_count_tables(&boot.space, &before);
	xb.stats.last_error = 0; /* set only by an answer from Xen */
	ptb_err_t err = ptb_space_map(&boot.space, va, table, 4096, PTB_ATTR_WRITE, 0);
	kprintf("break: mapping the root table writable: %s (Xen said %ld)\n", ptb_strerror(err), xb.stats.last_error);
	if (err != PTB_E_REFUSED)
		finish(false, "a writable mapping of a table page was not refused");
	if (xb.stats.last_error >= 0)
		finish(false, "the refusal did not come from Xen");
	struct ptb_mapping m;
	ptb_space_count_tables(&boot.space, &after);
	static ptb_pa_t scratch[4096];
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 1, .scratch = scratch,
					.scratch_len = 4096 };
	struct ptb_check_report rep;
	if (ptb_space_query(&boot.space, va, &m) != PTB_E_NOTMAPPED || after.by_level[0] != before.by_level[0] ||
	    ptb_space_check(&boot.space, &pol, &rep))
		finish(false, "the refused map was not rolled back");
	kprintf("break: rolled back: va unmapped, %lu tables as before, invariants hold\n", after.by_level[0]);
	finish(false, "Xen refused a writable mapping of a table page; rolled back");
}

static void report(void)
{
	const struct ptb_xen_stats *s = &xb.stats;
	uint64_t traps = s->mmu_update_calls + s->mmuext_calls + s->multicalls;
	uint64_t mib = boot.stats.ram_bytes >> 20, tables = boot.stats.tables.by_level[0];
	kprintf("xen: hypercalls mmu_update %lu (%lu entries), mmuext_op %lu (%lu ops), multicall %lu (%lu entries)\n",
		s->mmu_update_calls, s->mmu_update_entries, s->mmuext_calls, s->mmuext_ops, s->multicalls,
		s->multicall_entries);
	kprintf("xen: %lu traps for %lu MiB = %lu per GiB; RW->RO flips %lu for %lu tables; RO->RW %lu (boot tables %lu)\n",
		traps, mib, mib ? traps * 1024 / mib : 0, s->rw_to_ro, tables, s->ro_to_rw, nfreed);
	kprintf("xen: entries per batch: mmu_update %lu, multicall %lu\n",
		s->mmu_update_calls ? s->mmu_update_entries / s->mmu_update_calls : 0,
		s->multicalls ? s->multicall_entries / s->multicalls : 0);
	if (s->rw_to_ro != tables)
		finish(false, "not exactly one RW->RO flip per table page");
	if (s->ro_to_rw != nfreed)
		finish(false, "a table page was made writable during construction");
}

void kmain_xen(const struct start_info *si);
void kmain_xen(const struct start_info *si)
{
	console_sink = xen_console;
	platform_exit = xen_exit;
	set_traps();
	kprintf("ptboot demo kernel (Xen PV dom0): %lu pages, boot tables at %lx (%lu frames), p2m at %lx\n",
		si->nr_pages, si->pt_base, si->nr_pt_frames, si->mfn_list);
	for (size_t i = 0; i < sizeof(cmdline) - 1 && si->cmd_line[i]; i++)
		cmdline[i] = si->cmd_line[i];
	halt_at_end = contains(cmdline, "ptboot.halt");
	describe(si);
	setup_backend(si);
	ptb_pa_t boot_root = ptb_pa(pa_of((void *)si->pt_base));
	struct ptb_space_config boot_cfg = { .format = &ptb_format_x86_64_4level, .backend = ptb_xen_backend(&xb),
					     .max_leaf_level = 1, .flags = PTB_SPACE_NX, .pat = &ptb_pat_xen,
					     .reserved_first = 256, .reserved_count = 16 };
	struct ptb_boot_input in = {
		.format = &ptb_format_x86_64_4level, .pat = &ptb_pat_xen,
		.backend = kernel_checked_backend(ptb_xen_backend(&xb), &boot_cfg, boot_root),
		.memmap = memmap, .memmap_len = 1, .kernel = seg, .kernel_len = 4, .extra = extra, .extra_len = 1,
		.in_use = in_use, .in_use_len = 1,
		.reserve_pa = ptb_pa(pa_of(reserve)), .reserve_pages = RESERVE_PAGES, .reserve_va = ptb_va((uint64_t)reserve),
		.direct_map = ptb_va(DIRECT_MAP), .max_leaf_level = 1, .nx = true, .xen = true,
		.boot_root = boot_root, .boot_root_live = true,
	};
	uint64_t nr_pt = si->nr_pt_frames;
	ptb_err_t err = ptb_boot_run(&boot, &in);
	if (err) {
		kprintf("bootstrap: %s (Xen said %ld)\n", ptb_strerror(err), xb.stats.last_error);
		finish(false, ptb_strerror(err));
	}
	kprintf("switched to the new tables (root %lx); boot tables unpinned and given back: %lu\n",
		boot.space.root.raw, (uint64_t)nfreed);
	if (contains(cmdline, "ptboot.break=writable-table"))
		break_on_purpose();
	report();
	set_user_root();
	struct kcheck k = { .boot = &boot, .dm = DIRECT_MAP, .memmap = memmap, .memmap_len = 1,
			    .skip_below = next_free_page + 64 * 4096, .freed = freed, .nfreed = nfreed,
			    .expect_freed = nr_pt, .xen = true, .cmdline = cmdline };
	kernel_checks(&k);
}
