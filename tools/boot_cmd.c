/* SPDX-License-Identifier: MIT */
/*
 * `ptboot boot`: the whole bootstrap (ptb_boot_run) on the sim backend, on
 * a machine from --memmap or --ram, then the reports asked for.
 */
#include "boot_cmd.h"
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "image.h"
#include "machine.h"
#include "outfile.h"
#include "report.h"

const char boot_cmd_usage[] =
	"usage: ptboot boot [options]\n"
	"Simulate the top-down bootstrap (ptb_boot_run) on the sim backend and report.\n"
	"Machine:\n"
	"  --memmap FILE      memory map from a Linux dmesg (a whole one is fine): the\n"
	"                     firmware's map, the first run of 'BIOS-e820: [mem 0xSTART-0xEND]\n"
	"                     TYPE' lines (END inclusive; or Xen:, for a PV guest or dom0;\n"
	"                     timestamps fine), else the first of Linux's copies (user:,\n"
	"                     modified:, reserve setup_data:) or of bare '[mem ...] TYPE'\n"
	"                     lines; stderr says which.  TYPE usable, reserved, ACPI data,\n"
	"                     ACPI NVS, unusable, persistent (type 12); 'type N' and 'soft\n"
	"                     reserved' count as reserved; all other lines are ignored\n"
	"  --ram SIZE         a PC-like map instead (default 4G): 0-0x9f000 usable, reserved\n"
	"                     to 1M, usable to min(SIZE, 3G), a hole to 4G, the rest above 4G.\n"
	"                     SIZE: bytes or with K, M, G, T; decimal or 0x hex (010G is 10G)\n"
	"Page tables:\n"
	"  --format F         4level (default), 5level or pae\n"
	"  --platform P       native (default) or xen: Xen PV rules (tables read-only\n"
	"                     everywhere, 4K pages only, scrambled pfn->frame map, L4 slots\n"
	"                     256-271 reserved); xen needs --format 4level\n"
	"  --max-page S       largest page: 4k, 2m or 1g (default 1g; xen: always 4k)\n"
	"  --direct-map VA    where pa 0 is mapped (default 0xffff888000000000; pae:\n"
	"                     0xc0000000, which leaves room for 1 GiB of RAM)\n"
	"  --reserve PAGES    early reserve (brk) in pages (default: ptb_boot_reserve_needed)\n"
	"Host:\n"
	"  --max-host-mem S   refuse (exit 2) before simulating when the tables need more\n"
	"                     host memory than S (default: half of this host's RAM); the\n"
	"                     sim needs 4K per table, 4x that under xen (per-page metadata)\n"
	"The kernel image (text 2M RX, rodata 1M R, data 1M RW, bss RW holding the reserve)\n"
	"is at va 0xffffffff81000000 (pae: 0x81000000), pa 16 MiB or the next RAM that fits.\n"
	"Output:\n"
	"  --dump             the mappings, ptdump style: one line per coalesced range\n"
	"  --stats            statistics as text\n"
	"  --json             statistics as JSON\n"
	"  --svg FILE         a picture: physical memory, where the tables went, virtual layout\n"
	"  --image FILE       the tables as a table image (see 'ptboot dump --help')\n"
	"With none of --dump, --stats, --json, --svg, --image: --stats.\n"
	"Every output asked for is attempted: standard output, then --svg, then --image;\n"
	"a file is written to a temporary name in its directory and renamed when complete.\n"
	"Exit status: 0 ok, 1 the bootstrap failed, 2 bad options or memory map,\n"
	"3 an output could not be written (a message for each).\n";

struct boot_opts {
	const char *memmap, *svg, *image;
	uint64_t ram, direct_map, reserve, max_host_mem;
	const struct ptb_format *format;
	bool xen, dump, stats, json, have_dm;
	unsigned max_page;
	char command[256];
};

static int bad(const char *fmt, const char *arg)
{
	return cli_bad_input("boot", fmt, arg);
}

static int bad_size(const char *arg)
{
	if (errno == ERANGE)
		return bad("--ram '%s' overflows 64 bits (at most 4095T: x86 physical addresses stop at 4 PiB)", arg);
	if (errno == EDOM)
		return bad("--ram '%s': no RAM at all (at least 32M)", arg);
	return bad("bad --ram size '%s': decimal or 0x hex, then K, M, G or T (e.g. 4G, 512M)", arg);
}

static const struct ptb_format *format_named(const char *s)
{
	return !strcmp(s, "4level") ? &ptb_format_x86_64_4level :
	       !strcmp(s, "5level") ? &ptb_format_x86_64_5level :
	       !strcmp(s, "pae") ? &ptb_format_pae : NULL;
}

static unsigned page_named(const char *s)
{
	return !strcasecmp(s, "4k") ? 1 : !strcasecmp(s, "2m") ? 2 : !strcasecmp(s, "1g") ? 3 : 0;
}

/* Note the option in the command string shown in titles. */
static void note(struct boot_opts *o, const char *name, const char *arg)
{
	size_t n = strlen(o->command);
	snprintf(o->command + n, sizeof(o->command) - n, " --%s%s%s", name, arg ? " " : "", arg ? arg : "");
}

/* One option; returns -1 when accepted, else the exit status. */
static int take_option(struct boot_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'm': o->memmap = arg; return -1;
	case 'r': return cli_parse_size(arg, &o->ram) ? -1 : bad_size(arg);
	case 'f': return (o->format = format_named(arg)) ? -1 : bad("--format '%s': use 4level, 5level or pae", arg);
	case 'p':
		o->xen = !strcmp(arg, "xen");
		return o->xen || !strcmp(arg, "native") ? -1 : bad("--platform '%s': use native or xen", arg);
	case 'x': return (o->max_page = page_named(arg)) ? -1 : bad("--max-page '%s': use 4k, 2m or 1g", arg);
	case 'd':
		o->have_dm = true;
		return cli_parse_u64(arg, &o->direct_map) && !(o->direct_map & 4095) ? -1 :
		       bad("--direct-map '%s': a page-aligned virtual address", arg);
	case 'R':
		return cli_parse_u64(arg, &o->reserve) && o->reserve && o->reserve < (1u << 20) ? -1 :
		       bad("--reserve '%s': a number of pages, 1 to 1048575", arg);
	case 'D': o->dump = true; return -1;
	case 's': o->stats = true; return -1;
	case 'j': o->json = true; return -1;
	case 'S': o->svg = arg; return -1;
	case 'i': o->image = arg; return -1;
	case 'M':
		return cli_parse_size(arg, &o->max_host_mem) ? -1 : bad("bad --max-host-mem size '%s' (e.g. 8G)", arg);
	case 'h': fputs(boot_cmd_usage, stdout); return CLI_OK;
	default: return CLI_BAD_INPUT; /* getopt errors: parse_options says which */
	}
}

static int parse_options(struct boot_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memmap", 1, 0, 'm' }, { "ram", 1, 0, 'r' }, { "format", 1, 0, 'f' }, { "platform", 1, 0, 'p' },
		{ "max-page", 1, 0, 'x' }, { "direct-map", 1, 0, 'd' }, { "reserve", 1, 0, 'R' },
		{ "dump", 0, 0, 'D' }, { "stats", 0, 0, 's' }, { "json", 0, 0, 'j' }, { "svg", 1, 0, 'S' },
		{ "image", 1, 0, 'i' }, { "max-host-mem", 1, 0, 'M' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	*o = (struct boot_opts){ .format = &ptb_format_x86_64_4level, .max_page = 3, .command = "ptboot boot" };
	optind = 0; /* 0: glibc forgets a half-read option cluster of an earlier call (fuzz_cli) */
	opterr = 0;
	for (int c, i; (c = getopt_long(argc, argv, ":", opts, &i)) != -1;) {
		if (c == ':')
			return bad("option '%s' needs an argument", argv[optind - 1]);
		if (c == '?')
			return bad("unknown option '%s'", argv[optind - 1]);
		int rc = take_option(o, c, optarg);
		if (rc >= 0)
			return rc;
		if (c != 'S' && c != 'i' && c != 'M')
			note(o, opts[i].name, opts[i].has_arg ? optarg : NULL);
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (o->memmap && o->ram)
		return bad("%s", "--memmap and --ram exclude each other");
	if (o->xen && o->format != &ptb_format_x86_64_4level)
		return bad("%s", "--platform xen needs --format 4level (Xen PV guests are 64-bit 4-level)");
	if (!o->dump && !o->stats && !o->json && !o->svg && !o->image)
		o->stats = true;
	return -1;
}

static int make_machine(struct machine *m, const struct boot_opts *o)
{
	if (!o->memmap) {
		uint64_t ram = o->ram ? o->ram : 4 * CLI_GiB;
		if (ram < 32 * CLI_MiB)
			return cli_bad_input("boot", "--ram: at least 32M (the kernel image sits at 16M)");
		const char *why = "";
		return machine_pc_map(m, ram, &why) ? -1 : cli_bad_input("boot", "%s", why);
	}
	size_t len;
	char *text = (char *)cli_read_file(o->memmap, CLI_MAX_MEMMAP, &len);
	if (!text)
		return cli_bad_input("boot", "cannot read the memory map '%s': %s", o->memmap,
				     errno == EFBIG ? "more than 16 MiB" : strerror(errno));
	const char *why = "";
	bool ok = machine_e820_map(m, text, len, &why);
	free(text);
	if (!ok) {
		fprintf(stderr, "ptboot boot: bad memory map %s: %s\n", o->memmap, why);
		return CLI_BAD_INPUT;
	}
	fprintf(stderr, "ptboot boot: %s\n", m->map_note);
	return -1;
}

static struct ptb_boot boot;     /* the bootstrap's working state (large) */
static struct ptb_boot scratch;  /* for ptb_boot_min_tables/reserve_needed */
static struct machine machine;

static int boot_failed(ptb_err_t err, const struct ptb_boot_input *in, const struct ptb_sim *sim)
{
	uint64_t need = 0;
	if (err == PTB_E_NOMEM && !ptb_boot_reserve_needed(&scratch, in, &need))
		fprintf(stderr, "ptboot boot: the reserve of %llu pages is too small: the bootstrap needs %llu\n",
			(unsigned long long)in->reserve_pages, (unsigned long long)need);
	else if (err == PTB_E_REFUSED && sim)
		fprintf(stderr, "ptboot boot: the platform refused: %s\n", ptb_sim_stats(sim)->last_refusal);
	else if (err == PTB_E_RESERVED)
		fprintf(stderr, "ptboot boot: the direct map at 0x%llx reaches Xen's reserved L4 slots 256-271 "
			"(0xffff800000000000-0xffff87ffffffffff)\n", (unsigned long long)in->direct_map.raw);
	else
		fprintf(stderr, "ptboot boot: the bootstrap refused this input: %s\n", ptb_strerror(err));
	return cli_err_is_input(err) ? CLI_BAD_INPUT : CLI_FAILED;
}

static int place_kernel(const struct boot_opts *o, uint64_t dm, uint64_t pages, struct ptb_boot_input *in)
{
	const char *why = NULL;
	if (!machine_place_kernel(&machine, o->format, dm, pages, &why)) {
		fprintf(stderr, "ptboot boot: %s\n", why);
		return CLI_BAD_INPUT;
	}
	machine_boot_input(&machine, in);
	char msg[200];
	if (!machine_direct_map_fits(&machine, o->format, dm, msg, sizeof(msg))) {
		fprintf(stderr, "ptboot boot: %s\n", msg);
		return CLI_BAD_INPUT;
	}
	return -1;
}

/* "1.5 GiB" or "300 MiB". */
static const char *size_str(char buf[32], uint64_t bytes)
{
	if (bytes >= CLI_GiB)
		snprintf(buf, 32, "%.1f GiB", (double)bytes / CLI_GiB);
	else
		snprintf(buf, 32, "%llu MiB", (unsigned long long)((bytes + CLI_MiB - 1) >> 20));
	return buf;
}

/* Refuse up front when the fewest tables the bootstrap can build need more
 * host memory than allowed (a 16T 4K boot would otherwise run for a minute
 * and be OOM-killed).  Returns -1 when it fits, else the exit status. */
static int check_host_memory(const struct boot_opts *o, uint64_t dm, struct ptb_boot_input *in)
{
	int rc = place_kernel(o, dm, o->reserve ? o->reserve : 1, in);
	uint64_t tables = 0;
	if (rc >= 0 || ptb_boot_min_tables(&scratch, in, &tables))
		return rc; /* an input error: plan_reserve reports it */
	const char *whose = "--max-host-mem";
	uint64_t limit = o->max_host_mem, need = machine_host_bytes(tables, o->xen);
	if (!limit) {
		limit = machine_default_host_limit();
		whose = "the default limit, half of this host's RAM";
	}
	if (need <= limit)
		return -1;
	char t[32], n[32], l[32];
	fprintf(stderr, "ptboot boot: the bootstrap needs at least %llu tables (%s); simulating it needs about %s "
		"of host memory%s, more than %s (%s): use larger pages (--max-page), less RAM, or --max-host-mem\n",
		(unsigned long long)tables, size_str(t, tables * 4096), size_str(n, need),
		o->xen ? " (4x the tables under xen: per-page metadata)" : "", size_str(l, limit), whose);
	return CLI_BAD_INPUT;
}

/* Lay out the kernel around the reserve; without --reserve, the smallest
 * reserve that works (.bss grows with it, so ask until it settles).
 * Returns -1 when done, else the exit status (message printed). */
static int plan_reserve(const struct boot_opts *o, uint64_t dm, struct ptb_boot_input *in)
{
	uint64_t pages = o->reserve ? o->reserve : 1, need = 0;
	for (int round = 0; round < 8; round++) {
		int rc = place_kernel(o, dm, pages, in);
		if (rc >= 0 || o->reserve)
			return rc;
		ptb_err_t err = ptb_boot_reserve_needed(&scratch, in, &need);
		if (err)
			return boot_failed(err, in, NULL);
		if (need == pages)
			return -1;
		pages = need;
	}
	fprintf(stderr, "ptboot boot: ptb_boot_reserve_needed does not settle as .bss grows\n");
	return CLI_FAILED;
}

static int svg_fn(FILE *f, const void *r)
{
	return svg_write(f, r);
}

static int image_fn(FILE *f, const void *s)
{
	return image_write(f, s);
}

/* The worse of two exit statuses: an output error (3) over a failure (1)
 * over success. */
static int worse(int a, int b)
{
	return a > b ? a : b;
}

/* Every output asked for is attempted, in this order, whatever happened to
 * the ones before: standard output (--dump, --stats, --json; cli_main
 * checks it), then --svg, then --image. */
static int write_reports(const struct boot_opts *o, const struct boot_report *r)
{
	int rc = CLI_OK;
	if (o->dump && dump_space(stdout, &boot.space)) {
		fprintf(stderr, "ptboot boot: the walk for --dump failed\n");
		rc = CLI_FAILED;
	}
	if (o->stats)
		stats_text(stdout, r);
	if (o->json)
		stats_json(stdout, r);
	if (o->svg)
		rc = worse(rc, outfile_write("boot", "--svg", o->svg, svg_fn, r));
	if (o->image)
		rc = worse(rc, outfile_write("boot", "--image", o->image, image_fn, &boot.space));
	return rc;
}

static struct ptb_sim *make_sim(const struct boot_opts *o)
{
	uint64_t bytes = ((machine.ram_top + CLI_GiB - 1) & ~(CLI_GiB - 1)) + CLI_GiB;
	struct ptb_sim_config sc = { .mem_bytes = bytes, .xen_rules = o->xen, .scramble_frames = o->xen,
				     .seed = 1, .max_leaf_level = o->xen ? 1 : o->max_page };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	if (!sim)
		fprintf(stderr, "ptboot boot: the simulator cannot hold %llu GiB of physical memory on this host "
			"(64 TiB is the design limit)\n", (unsigned long long)(bytes >> 30));
	return sim;
}

/* Xen's seal makes every alias of a table read-only: the direct map and
 * the kernel image's (the reserve is in .bss). */
static void set_xen_windows(struct ptb_sim *sim, const struct ptb_boot_input *in)
{
	const struct ptb_segment *k = machine.kernel;
	struct ptb_sim_window win[2] = {
		{ in->direct_map.raw, 0, machine.ram_top },
		{ k[0].va.raw, k[0].pa.raw, k[3].pa.raw + k[3].len },
	};
	ptb_sim_set_windows(sim, win, 2);
}

static int simulate(const struct boot_opts *o, struct ptb_sim *sim)
{
	uint64_t dm = o->have_dm ? o->direct_map : machine_default_direct_map(o->format);
	struct ptb_boot_input in = {
		.format = o->format, .backend = ptb_sim_backend(sim), .direct_map = ptb_va(dm),
		.max_leaf_level = o->xen ? 1 : o->max_page, .nx = true, .xen = o->xen,
		.pat = o->xen ? &ptb_pat_xen : NULL,
	};
	int rc = check_host_memory(o, dm, &in);
	if (rc < 0)
		rc = plan_reserve(o, dm, &in);
	if (rc >= 0)
		return rc;
	if (o->xen)
		set_xen_windows(sim, &in);
	ptb_err_t err = ptb_boot_run(&boot, &in);
	if (err)
		return boot_failed(err, &in, sim);
	struct boot_report r = { .boot = &boot, .in = &in, .sim = ptb_sim_stats(sim),
				 .min_tables = mintables_count(&in, mintables_max_leaf(&in)),
				 .platform = o->xen ? "xen" : "native", .command = o->command };
	if (ptb_boot_min_tables(&scratch, &in, &r.model_min_tables))
		r.model_min_tables = 0;
	return write_reports(o, &r);
}

int boot_cmd_main(int argc, char **argv)
{
	struct boot_opts o;
	int rc = parse_options(&o, argc, argv);
	if (rc < 0)
		rc = make_machine(&machine, &o);
	if (rc >= 0)
		return rc;
	struct ptb_sim *sim = make_sim(&o);
	if (!sim)
		return CLI_BAD_INPUT;
	rc = simulate(&o, sim);
	ptb_sim_delete(sim);
	return rc;
}
