/* SPDX-License-Identifier: MIT */
/* `ptboot dump|query|check --core FILE`: open a dump, find the root, adopt. */
#include "core_cmd.h"

#define CORE_MAX_STREAM (1ull << 32) /* a core read from a pipe: 4 GiB at most */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

static const char usage[] =
	"usage: ptboot dump  --core FILE [--cpu N] [--cr3 PA] [--format F] [--phys-base PA] [--json]\n"
	"                    [--linux [--linux-markers NAME=VA,...]]\n"
	"       ptboot query --core FILE [options] VA...\n"
	"       ptboot check --core FILE [options] [--json]\n"
	"The page tables of a machine ptboot did not build, read from a memory dump:\n"
	"an x86-64 ELF core whose PT_LOAD segments hold physical memory at p_paddr\n"
	"(QEMU's dump-guest-memory, virsh dump, a kdump vmcore), or with --phys-base PA\n"
	"a raw physical-memory file starting at PA.  The tree is read, never changed.\n"
	"  --cpu N       the vCPU whose CR3/CR4 (QEMU's CPU-state note) give the root (0)\n"
	"  --cr3 PA      the root instead (PCID and flag bits are masked as the CPU does)\n"
	"  --format F    4level, 5level or pae instead of what CR4 (LA57, PAE) and the\n"
	"                mode (CS.L or a descriptor table above 4G: long mode) say\n"
	"  --json        JSON output\n"
	"  --linux       dump: print what Linux's /sys/kernel/debug/page_tables/kernel\n"
	"                prints for these tables (its markers, flags and runs)\n"
	"  --linux-markers NAME=VA,...  where its markers lie (they move with KASLR):\n"
	"                ldt, page_offset, vmalloc, vmemmap, cpu_entry, espfix, efi_end,\n"
	"                high_kernel, modules, modules_end, fixmap (default: unrandomized)\n"
	"dump lists the mappings (va range, size, page size, RW, NX, user, global, PAT\n"
	"cache type, pa); query walks each VA level by level (each table's pa and\n"
	"entry) and its translation; check runs the invariant checker (reserved bits,\n"
	"L1TF, W^X, leaf levels, tables linked twice; not table-pages-read-only, which\n"
	"a native kernel's direct map breaks by design).\n"
	"Exit status: 0 ok, 1 a rule is broken (check) or a VA is not mapped (query),\n"
	"2 bad options or a bad dump (truncated, another architecture, CR3 outside it,\n"
	"a malformed or looping tree), 3 the output could not be written.\n";

struct core_opts {
	const char *path;
	uint64_t cpu, cr3, phys_base;
	bool have_cr3, have_phys_base, json, linux_out;
	const char *linux_markers;
	const struct ptb_format *format;
};

bool core_cmd_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--core") || !strncmp(argv[i], "--core=", 7))
			return true;
	return false;
}

static const struct ptb_format *format_named(const char *s)
{
	return !strcmp(s, "4level") ? &ptb_format_x86_64_4level :
	       !strcmp(s, "5level") ? &ptb_format_x86_64_5level :
	       !strcmp(s, "pae")    ? &ptb_format_pae : NULL;
}

static int parse_options(struct core_opts *o, int *argc, char **argv, const char *cmd)
{
	static const struct option opts[] = {
		{ "core", 1, 0, 'c' }, { "cpu", 1, 0, 'n' }, { "cr3", 1, 0, 'r' }, { "format", 1, 0, 'f' },
		{ "phys-base", 1, 0, 'b' }, { "json", 0, 0, 'j' }, { "linux", 0, 0, 'L' },
		{ "linux-markers", 1, 0, 'M' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	*o = (struct core_opts){ 0 };
	optind = 1;
	opterr = 0;
	for (int c; (c = getopt_long(*argc, argv, ":", opts, NULL)) != -1;) {
		bool ok = true;
		if (c == 'h')
			return fputs(usage, stdout), CLI_OK;
		else if (c == 'c')
			o->path = optarg;
		else if (c == 'n')
			ok = cli_parse_u64(optarg, &o->cpu) && o->cpu < CORE_MAX_CPUS;
		else if (c == 'r')
			ok = o->have_cr3 = cli_parse_u64(optarg, &o->cr3);
		else if (c == 'b')
			ok = o->have_phys_base = cli_parse_u64(optarg, &o->phys_base);
		else if (c == 'f')
			ok = (o->format = format_named(optarg)) != NULL;
		else if (c == 'j')
			o->json = true;
		else if (c == 'L')
			o->linux_out = true;
		else if (c == 'M')
			o->linux_markers = optarg;
		else
			return cli_bad_input(cmd, "bad option '%s'", argv[optind - 1]);
		if (!ok)
			return cli_bad_input(cmd, "bad value '%s' for %s", optarg, argv[optind - 2]);
	}
	if (!o->path)
		return cli_bad_input(cmd, "--core FILE is required");
	if ((o->linux_out || o->linux_markers) && strcmp(cmd, "dump"))
		return cli_bad_input(cmd, "--linux is an output of dump only");
	if (o->linux_markers && !o->linux_out)
		return cli_bad_input(cmd, "--linux-markers needs --linux");
	if (o->linux_out && o->json)
		return cli_bad_input(cmd, "--linux and --json exclude each other");
	return -1;
}

/* The file's bytes, mapped read-only (or read, for what cannot be mapped). */
static uint8_t *map_file(const char *path, size_t *len, bool *mapped)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	*mapped = false;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			return NULL;
		*len = (size_t)st.st_size;
		*mapped = true;
		return p;
	}
	close(fd);
	return cli_read_file(path, CORE_MAX_STREAM, len); /* a pipe: read bounded */
}

/* Long mode, from what QEMU's note holds (it has no EFER): a 64-bit code
 * segment, or descriptor tables above 4G (a 64-bit kernel interrupted while
 * running compatibility-mode code still has those). */
static bool long_mode(const struct core_cpu *c)
{
	return (c->cs_flags >> 21 & 1) || (c->gdt_base >> 32) || (c->idt_base >> 32) || (c->rip >> 32);
}

static int pick_root(struct core_view *v, const struct core_opts *o, const char *cmd, uint64_t *root)
{
	const struct core_cpu *cpu = NULL;
	if (o->cpu >= v->core.ncpu && (v->core.ncpu || o->cpu || !o->have_cr3))
		return v->core.ncpu ? cli_bad_input(cmd, "--cpu %llu: the dump has %zu CPU-state notes",
						    (unsigned long long)o->cpu, v->core.ncpu) :
				      cli_bad_input(cmd, "the dump has no CPU-state note: give --cr3 PA");
	if (o->cpu < v->core.ncpu)
		cpu = &v->core.cpu[o->cpu];
	v->cpu = (unsigned)o->cpu;
	v->format = o->format;
	if (cpu && !o->format) {
		if (!(cpu->cr0 >> 31 & 1))
			return cli_bad_input(cmd, "paging is off on CPU %u (CR0.PG clear)", v->cpu);
		if (!(cpu->cr4 >> 5 & 1))
			return cli_bad_input(cmd, "CPU %u uses 32-bit paging without PAE: not supported", v->cpu);
		v->format = !long_mode(cpu) ? &ptb_format_pae :
			    cpu->cr4 >> 12 & 1 ? &ptb_format_x86_64_5level : &ptb_format_x86_64_4level;
	}
	if (!v->format)
		v->format = &ptb_format_x86_64_4level;
	v->from_note = !o->have_cr3;
	v->cr3 = o->have_cr3 ? o->cr3 : cpu->cr3;
	v->cr4 = cpu ? cpu->cr4 : 0;
	/* Long mode: bits 0-11 are the PCID or PWT/PCD, 52-63 LAM and the
	 * no-flush bit.  PAE: the PDPT address is bits 5-31. */
	*root = v->format == &ptb_format_pae ? v->cr3 & 0xffffffe0u : v->cr3 & 0x000ffffffffff000ull;
	if (*root & (PTB_PAGE_SIZE - 1))
		return cli_bad_input(cmd, "the PAE root 0x%llx is not page aligned: not supported",
				     (unsigned long long)*root);
	if (!ptb_dump_page(&v->mem, ptb_pa(*root)))
		return cli_bad_input(cmd, "CR3 0x%llx (root 0x%llx) lies outside the dump's memory",
				     (unsigned long long)v->cr3, (unsigned long long)*root);
	return -1;
}

static int adopt(struct core_view *v, uint64_t root, const char *cmd)
{
	const struct ptb_format *f = v->format;
	struct ptb_space_config cfg = {
		.format = f, .backend = ptb_dump_backend(&v->mem), .flags = PTB_SPACE_NX,
		.max_leaf_level = f->leaf_levels & (1u << 3) ? 3 : 2,
	};
	/* Enough for any tree of distinct tables in the dump, visited entry by
	 * entry a few times over. */
	v->mem.budget = 4096 * (v->core.bytes / PTB_PAGE_SIZE + 16);
	ptb_err_t err = ptb_space_adopt(&v->space, &cfg, ptb_pa(root), true);
	if (v->mem.exhausted)
		return cli_bad_input(cmd, "the tree under 0x%llx links tables over and over (a loop?)",
				     (unsigned long long)root);
	if (err)
		return cli_bad_input(cmd, "the tree under 0x%llx is refused: %s", (unsigned long long)root,
				     ptb_strerror(err));
	v->mem.calls = 0;
	return -1;
}

static int open_view(struct core_view *v, const struct core_opts *o, const char *cmd, uint8_t *buf,
		     size_t len)
{
	const char *why = "";
	ptb_err_t err;
	if (o->have_phys_base)
		err = core_read_raw(&v->core, buf, len, o->phys_base, &why);
	else if (core_is_elf(buf, len))
		err = core_read_elf(&v->core, buf, len, &why);
	else
		return cli_bad_input(cmd, "'%s' is not an ELF core; a raw memory file needs --phys-base PA",
				     o->path);
	if (err) {
		fprintf(stderr, "ptboot %s: bad dump %s: %s\n", cmd, o->path, why);
		return CLI_BAD_INPUT;
	}
	v->mem.seg = v->core.seg;
	v->mem.nseg = v->core.nseg;
	v->path = o->path;
	uint64_t root = 0;
	int rc = pick_root(v, o, cmd, &root);
	return rc >= 0 ? rc : adopt(v, root, cmd);
}

int core_cmd_main(int argc, char **argv, enum core_what what)
{
	static const char *names[] = { "dump", "query", "check" };
	const char *cmd = names[what];
	struct core_opts o;
	int rc = parse_options(&o, &argc, argv, cmd);
	if (rc >= 0)
		return rc;
	if (what != CORE_QUERY && optind < argc)
		return cli_bad_input(cmd, "unexpected argument '%s'", argv[optind]);
	if (what == CORE_QUERY && optind == argc)
		return cli_bad_input(cmd, "give at least one VA to walk");
	size_t len = 0;
	bool mapped;
	uint8_t *buf = map_file(o.path, &len, &mapped);
	if (!buf)
		return cli_bad_input(cmd, "cannot read '%s'", o.path);
	struct core_view *v = calloc(1, sizeof(*v));
	rc = v ? open_view(v, &o, cmd, buf, len) : CLI_FAILED;
	if (rc < 0 && what == CORE_DUMP && o.linux_out)
		rc = core_print_linux(stdout, v, o.linux_markers);
	else if (rc < 0 && what == CORE_DUMP)
		rc = core_print_dump(stdout, v, o.json);
	else if (rc < 0 && what == CORE_QUERY)
		rc = core_print_query(stdout, v, argv + optind, argc - optind, o.json);
	else if (rc < 0)
		rc = core_print_check(stdout, v, o.json);
	if (rc != CLI_BAD_INPUT && v && v->mem.missing) {
		fprintf(stderr, "ptboot %s: %llu table reads fell outside the dump (first at 0x%llx): read as empty\n",
			cmd, (unsigned long long)v->mem.missing, (unsigned long long)v->mem.first_missing.raw);
		rc = CLI_BAD_INPUT;
	}
	if (rc != CLI_BAD_INPUT && v && v->mem.exhausted) {
		fprintf(stderr, "ptboot %s: the walk read tables over and over (a loop?): output cut short\n", cmd);
		rc = CLI_BAD_INPUT;
	}
	if (v)
		core_free(&v->core);
	free(v);
	if (mapped)
		munmap(buf, len);
	else
		free(buf);
	return rc;
}
