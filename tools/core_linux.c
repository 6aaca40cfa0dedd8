/* SPDX-License-Identifier: MIT */
/*
 * `ptboot dump --core FILE --linux`: the tree as x86 Linux's ptdump
 * (/sys/kernel/debug/page_tables/kernel, arch/x86/mm/dump_pagetables.c over
 * mm/ptdump.c, Linux 5.8 and later) prints it, so that its text can be
 * diffed against the kernel's own.  What that walker does, and so what this
 * file reproduces (written from its documented behaviour, not its code):
 *  - it walks [0, half of the root) and [end of the hypervisor guard hole,
 *    2^64), nothing in the guard hole in between;
 *  - it reports ("notes") every pte of a pte table, every leaf above (PSE),
 *    and every empty entry (a hole) at the level it is found; in 4-level
 *    paging the folded p4d level is the pgd, so top-level holes say "pgd";
 *    a non-present, non-empty pud or pmd without PSE is not reported at all
 *    (the run before it goes on over it);
 *  - a run breaks when the raw flags (every entry bit outside the frame
 *    number, A and D and the software bits included) change, when the
 *    effective protection (user and RW anded, NX ored down the path)
 *    changes, when the level changes, or when a reported address reaches
 *    the next address marker; a marker is passed at most once per report;
 *  - a run prints as "start-end   size flags level"; the flags of a
 *    non-present run are blank; PSE only above the pte level, PAT only at
 *    the pte level (the large-page PAT bit is part of the frame mask there);
 *    the ESPfix area prints at most 16 runs, then "... N entries skipped".
 * The markers' addresses move with KASLR: the defaults are those of an
 * unrandomized kernel, --linux-markers gives the real ones.
 * The entries are read through the library's cursor (each table the walk
 * reaches, as ptboot inspect sees it): no second walker here.
 */
#include <inttypes.h>
#include <string.h>
#include <ptboot/cursor.h>
#include "cli.h"
#include "core_cmd.h"

#define PFN_MASK 0x000ffffffffff000ull /* Linux's PTE_PFN_MASK: 52-bit frames */
#define F_PRESENT (1ull << 0)
#define F_RW      (1ull << 1)
#define F_USER    (1ull << 2)
#define F_PWT     (1ull << 3)
#define F_PCD     (1ull << 4)
#define F_AD      (3ull << 5)
#define F_PSE     (1ull << 7)
#define F_GLOBAL  (1ull << 8)
#define F_NX      (1ull << 63)

/* Linux's markers, in its order (not sorted in 5-level: LDT sits high). */
enum { M_USER, M_KERNEL, M_LDT, M_LOW, M_VMALLOC, M_VMEMMAP, M_CPU_ENTRY, M_ESPFIX, M_EFI, M_HIGH,
       M_MODULES, M_MODULES_END, M_FIXMAP, M_END, M_COUNT };

static const struct {
	const char *name, *key;
	unsigned max_lines;
} marker_info[M_COUNT] = {
	[M_USER] = { "User Space", NULL, 0 },
	[M_KERNEL] = { "Kernel Space", NULL, 0 },
	[M_LDT] = { "LDT remap", "ldt", 0 },
	[M_LOW] = { "Low Kernel Mapping", "page_offset", 0 },
	[M_VMALLOC] = { "vmalloc() Area", "vmalloc", 0 },
	[M_VMEMMAP] = { "Vmemmap", "vmemmap", 0 },
	[M_CPU_ENTRY] = { "CPU entry Area", "cpu_entry", 0 },
	[M_ESPFIX] = { "ESPfix Area", "espfix", 16 },
	[M_EFI] = { "EFI Runtime Services", "efi_end", 0 },
	[M_HIGH] = { "High Kernel Mapping", "high_kernel", 0 },
	[M_MODULES] = { "Modules", "modules", 0 },
	[M_MODULES_END] = { "End Modules", "modules_end", 0 },
	[M_FIXMAP] = { "Fixmap Area", "fixmap", 0 },
	[M_END] = { NULL, NULL, 0 },
};

/* An unrandomized Debian 6.1 kernel's layout (FIXADDR_START depends on the
 * configuration: NR_CPUS and friends). */
static void default_markers(uint64_t *m, bool la57)
{
	m[M_USER] = 0;
	m[M_KERNEL] = 1ull << 63;
	m[M_LDT] = la57 ? 0xff90000000000000ull : 0xffff880000000000ull;
	m[M_LOW] = la57 ? 0xff11000000000000ull : 0xffff888000000000ull;
	m[M_VMALLOC] = la57 ? 0xffa0000000000000ull : 0xffffc90000000000ull;
	m[M_VMEMMAP] = la57 ? 0xffd4000000000000ull : 0xffffea0000000000ull;
	m[M_CPU_ENTRY] = 0xfffffe0000000000ull;
	m[M_ESPFIX] = 0xffffff0000000000ull;
	m[M_EFI] = 0xffffffef00000000ull;
	m[M_HIGH] = 0xffffffff80000000ull;
	m[M_MODULES] = 0xffffffffc0000000ull;
	m[M_MODULES_END] = 0xffffffffff000000ull;
	m[M_FIXMAP] = 0xffffffffff579000ull;
	m[M_END] = ~0ull;
}

/* "name=VA,name=VA..." over the defaults; false on a bad list. */
static bool parse_markers(uint64_t *m, const char *list)
{
	char buf[1024];
	if (!list)
		return true;
	if (strlen(list) >= sizeof(buf))
		return false;
	strcpy(buf, list);
	for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		unsigned i;
		if (!eq)
			return false;
		*eq = 0;
		for (i = 0; i < M_COUNT; i++)
			if (marker_info[i].key && !strcmp(marker_info[i].key, item))
				break;
		if (i == M_COUNT || !cli_parse_u64(eq + 1, &m[i]))
			return false;
	}
	return true;
}

struct linux_state {
	FILE *f;
	const uint64_t *marker;
	unsigned mark;           /* index of the current marker */
	int level;               /* of the current run; -1 before the first */
	uint64_t prot, eff, start, lines;
};

static void print_prot(FILE *f, uint64_t pr, int level)
{
	static const char *level_name[] = { "pgd", "p4d", "pud", "pmd", "pte" };
	if (!(pr & F_PRESENT)) {
		fputs("                              ", f);
	} else {
		fputs(pr & F_USER ? "USR " : "    ", f);
		fputs(pr & F_RW ? "RW " : "ro ", f);
		fputs(pr & F_PWT ? "PWT " : "    ", f);
		fputs(pr & F_PCD ? "PCD " : "    ", f);
		fputs(level <= 3 && (pr & F_PSE) ? "PSE " : "    ", f);
		fputs(level == 4 && (pr & F_PSE) ? "PAT " : "    ", f); /* bit 7 is PAT in a pte */
		fputs(pr & F_GLOBAL ? "GLB " : "    ", f);
		fputs(pr & F_NX ? "NX " : "x  ", f);
	}
	fprintf(f, "%s\n", level >= 0 && level <= 4 ? level_name[level] : "???");
}

/* One report: addr, Linux's level (0 pgd .. 4 pte, -1 the final flush), the
 * raw entry and the effective protection down its path. */
static void note(struct linux_state *st, uint64_t addr, int level, uint64_t val, uint64_t eff)
{
	static const char units[] = "BKMGTPE";
	uint64_t prot = val & ~PFN_MASK;
	if (!val)
		eff = 0;
	if (st->level == -1) {
		st->prot = prot, st->eff = eff, st->level = level, st->start = addr;
		st->mark = 0, st->lines = 0;
		fprintf(st->f, "---[ %s ]---\n", marker_info[0].name);
		return;
	}
	bool crossed = addr >= st->marker[st->mark + 1];
	if (prot == st->prot && eff == st->eff && level == st->level && !crossed)
		return;
	unsigned max = marker_info[st->mark].max_lines;
	if (!max || st->lines < max) {
		uint64_t delta = addr - st->start;
		const char *unit = units;
		while (!(delta & 1023) && unit[1])
			delta >>= 10, unit++;
		fprintf(st->f, "0x%016" PRIx64 "-0x%016" PRIx64 "   %9" PRIu64 "%c ", st->start, addr, delta, *unit);
		print_prot(st->f, st->prot, st->level);
	}
	st->lines++;
	if (crossed) {
		if (max && st->lines > max) {
			uint64_t skip = st->lines - max;
			fprintf(st->f, "... %" PRIu64 " entr%s skipped ... \n", skip, skip == 1 ? "y" : "ies");
		}
		st->mark++;
		st->lines = 0;
		fprintf(st->f, "---[ %s ]---\n", marker_info[st->mark].name);
	}
	st->start = addr, st->prot = prot, st->eff = eff, st->level = level;
}

/* Linux's level name index of ptboot's level l (1 = pte) in a tree of n levels. */
static int linux_level(unsigned l, unsigned n)
{
	return n == 4 && l == 4 ? 0 : (int)(5 - l);
}

/* Walk [va, end) (end 0: up to 2^64) the way Linux's ptdump does. */
static ptb_err_t walk(struct linux_state *st, struct core_view *v, uint64_t va, uint64_t end)
{
	const struct ptb_format *fm = v->format;
	unsigned n = fm->levels;
	for (;;) {
		struct ptb_cursor c;
		ptb_err_t err = ptb_cursor_inspect(&c, &v->space, ptb_va(va), NULL);
		if (err)
			return err;
		/* Effective protection down to (not including) the table reached. */
		uint64_t and_ = F_USER | F_RW, or_ = 0;
		for (unsigned l = n; l > c.level; l--) {
			uint64_t e = c.table[l][ptb_format_index(fm, l, ptb_va(va))];
			and_ &= e, or_ |= e & F_NX;
		}
		/* The entries of that table from va on, until one links a table
		 * further down (inspect again there) or the table ends. */
		unsigned l = c.level, first = ptb_format_index(fm, l, ptb_va(va));
		uint64_t size = ptb_format_page_size(fm, l);
		for (unsigned i = first; i < fm->entries[l]; i++) {
			uint64_t e = c.table[l][i];
			uint64_t eff = ((and_ & e) & (F_USER | F_RW)) | ((or_ | e) & F_NX);
			bool link = l > 1 && (e & F_PRESENT) && !(e & F_PSE);
			if (link && i > first)
				break; /* a table: inspect walks into it */
			if (link)  /* ... but the cursor did not: report it as it is */
				note(st, va, linux_level(l, n), e, eff);
			else if (l == 1)
				note(st, va, linux_level(l, n), e, eff);
			else if (l <= 3 && !(e & ~F_AD)) /* pmd_none, pud_none */
				note(st, va, linux_level(l, n), 0, 0);
			else if (l <= 3 && (e & F_PSE))
				note(st, va, linux_level(l, n), e, eff);
			else if (l > 3) /* empty or not present: a hole */
				note(st, va, linux_level(l, n), 0, 0);
			/* else: a non-present pud or pmd without PSE, not reported */
			va += size;
			if (va == end || va == 0)
				return PTB_OK;
		}
	}
}

int core_print_linux(FILE *f, struct core_view *v, const char *markers)
{
	uint64_t m[M_COUNT];
	bool la57 = v->format->levels == 5;
	if (v->format->levels < 4)
		return cli_bad_input("dump", "--linux: Linux's x86-64 ptdump needs a 4- or 5-level tree, not %s",
				     v->format->name);
	default_markers(m, la57);
	if (!parse_markers(m, markers))
		return cli_bad_input("dump", "bad --linux-markers '%s' (name=VA,... with names ldt, page_offset, "
				     "vmalloc, vmemmap, cpu_entry, espfix, efi_end, high_kernel, modules, "
				     "modules_end, fixmap)", markers);
	struct linux_state st = { .f = f, .marker = m, .level = -1 };
	uint64_t half = la57 ? 1ull << 56 : 1ull << 47;
	uint64_t guard_end = la57 ? 0xff10000000000000ull : 0xffff880000000000ull;
	ptb_err_t err = walk(&st, v, 0, half);
	if (!err)
		err = walk(&st, v, guard_end, 0);
	if (err)
		return cli_bad_input("dump", "the walk failed: %s", ptb_strerror(err));
	note(&st, 0, -1, 0, 0); /* flush the last run */
	return CLI_OK;
}
