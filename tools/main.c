/* SPDX-License-Identifier: MIT */
/*
 * ptboot: the command-line simulator.
 *   ptboot boot [options]            simulate the bootstrap on the sim backend
 *   ptboot dump --image FILE         list the mappings of a table image
 *   ptboot check --image FILE [--platform xen]   run the invariant checker
 * Exit status: 0 success, 1 the library refused or a check failed, 2 usage
 * or malformed input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ptboot/check.h>
#include "e820.h"
#include "image.h"
#include "report.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static const char usage_main[] =
	"usage: ptboot [boot|dump|check] [options]   (no arguments: boot --ram 4G --dump --stats)\n"
	"  boot    simulate the top-down bootstrap (ptb_boot_run) on the sim backend\n"
	"  dump    list the mappings of a table image (--image FILE)\n"
	"  check   run the invariant checker on a table image (--image FILE [--platform xen])\n"
	"Each command has --help.\n";

static const char usage_boot[] =
	"usage: ptboot boot [options]\n"
	"  --memmap FILE       Linux dmesg e820 lines (any line with '[mem 0xSTART-0xEND] TYPE')\n"
	"  --ram SIZE          a PC-like map instead: 640K, a hole to 1M, RAM to 3G, a hole to 4G, the rest\n"
	"  --format F          4level (default), 5level or pae\n"
	"  --platform P        native (default) or xen (Xen PV rules, 4K pages, scrambled frames)\n"
	"  --max-page S        4k, 2m or 1g (default 1g; xen: 4k)\n"
	"  --direct-map VA     direct map base (default 0xffff888000000000; pae: 0xc0000000)\n"
	"  --reserve PAGES     early reserve size (default: the computed minimum)\n"
	"  --dump              list the mappings (ptdump style)\n"
	"  --stats             statistics\n"
	"  --json              statistics as JSON\n"
	"  --svg FILE          a picture of physical memory, the tables and the virtual layout\n"
	"  --image FILE        write the tables as a table image\n";

static const char usage_image[] =
	"usage: ptboot dump --image FILE\n"
	"       ptboot check --image FILE [--platform native|xen]\n";

static int fail_usage(const char *msg, const char *usage)
{
	fprintf(stderr, "ptboot: %s\n%s", msg, usage);
	return 2;
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	uint64_t mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = MiB; end++; break;
	case 'g': case 'G': mul = GiB; end++; break;
	case 't': case 'T': mul = GiB << 10; end++; break;
	}
	if (*end || end == s || !v || v > (UINT64_MAX / mul))
		return false;
	*out = v * mul;
	return true;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (size_t got; (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	*len = n;
	return buf;
}

struct boot_opts {
	const char *memmap, *svg, *image;
	uint64_t ram, direct_map, reserve;
	const struct ptb_format *format;
	bool xen, dump, stats, json, have_dm;
	unsigned max_page;
};

static struct ptb_mem_range map[512];
static size_t map_len;

static int make_map(const struct boot_opts *o)
{
	if (o->memmap) {
		size_t len;
		char *text = read_file(o->memmap, &len);
		const char *why = NULL;
		if (!text)
			return fail_usage("cannot read the memory map file", usage_boot);
		int n = e820_parse(text, len, map, 512, &why);
		free(text);
		if (n < 0) {
			fprintf(stderr, "ptboot: bad memory map: %s\n", why);
			return 2;
		}
		map_len = (size_t)n;
		return 0;
	}
	uint64_t ram = o->ram ? o->ram : 4 * GiB;
	if (ram < 16 * MiB)
		return fail_usage("--ram must be at least 16M", usage_boot);
	uint64_t low = ram < 3 * GiB ? ram : 3 * GiB;
	map[0] = (struct ptb_mem_range){ 0, 0x9f000, PTB_MEM_RAM };
	map[1] = (struct ptb_mem_range){ 0x9f000, 0x61000, PTB_MEM_RESERVED };
	map[2] = (struct ptb_mem_range){ MiB, low - MiB, PTB_MEM_RAM };
	map_len = 3;
	if (ram > low) {
		map[3] = (struct ptb_mem_range){ low, 4 * GiB - low, PTB_MEM_RESERVED };
		map[4] = (struct ptb_mem_range){ 4 * GiB, ram - low, PTB_MEM_RAM };
		map_len = 5;
	}
	return 0;
}

static uint64_t ram_top(void)
{
	uint64_t top = 0;
	for (size_t i = 0; i < map_len; i++)
		if (map[i].type == PTB_MEM_RAM && map[i].base + map[i].len > top)
			top = map[i].base + map[i].len;
	return top;
}

static struct ptb_boot boot;

/* The simulated kernel image: text, rodata, data, bss (which holds the
 * reserve at its end), at 16 MiB physical. */
static void kernel_layout(struct ptb_segment seg[4], struct ptb_boot_input *in, uint64_t reserve, bool pae)
{
	uint64_t kva = pae ? 0x80000000ull : 0xffffffff80000000ull, pa = 16 * MiB;
	uint64_t bss = MiB + (reserve > 256 ? reserve : 256) * 4096;
	const uint64_t len[4] = { 2 * MiB, MiB, MiB, bss };
	for (int i = 0; i < 4; i++) {
		seg[i] = (struct ptb_segment){ ptb_va(kva + pa), ptb_pa(pa), len[i], (enum ptb_seg_kind)i };
		pa += len[i];
	}
	in->kernel = seg;
	in->kernel_len = 4;
	in->reserve_pa = ptb_pa(seg[3].pa.raw + MiB);
	in->reserve_va = ptb_va(seg[3].va.raw + MiB);
	in->reserve_pages = reserve;
}

static int write_outputs(const struct boot_opts *o, const struct boot_report *r, struct ptb_sim *sim)
{
	if (o->dump && report_dump(stdout, &boot.space))
		return 1;
	if (o->stats)
		report_stats(stdout, r);
	if (o->json)
		report_json(stdout, r);
	if (o->svg) {
		FILE *f = fopen(o->svg, "w");
		if (!f || report_svg(f, r) || fclose(f))
			return fail_usage("cannot write the SVG file", usage_boot);
	}
	if (o->image) {
		FILE *f = fopen(o->image, "wb");
		if (!f || image_write(f, &boot.space, ram_top() >> 12) || fclose(f))
			return fail_usage("cannot write the image file", usage_boot);
	}
	(void)sim;
	return 0;
}

static int run_boot(const struct boot_opts *o)
{
	int rc = make_map(o);
	if (rc)
		return rc;
	bool pae = o->format == &ptb_format_pae;
	uint64_t top = ram_top();
	if (!top)
		return fail_usage("the memory map has no usable RAM", usage_boot);
	struct ptb_sim_config sc = { .mem_bytes = (top + GiB) & ~(GiB - 1), .xen_rules = o->xen,
				     .scramble_frames = o->xen, .seed = 1 };
	struct ptb_sim *sim = ptb_sim_new(&sc);
	if (!sim)
		return fail_usage("cannot reserve that much simulated memory", usage_boot);
	struct ptb_segment seg[4];
	struct ptb_boot_input in = {
		.format = o->format, .backend = ptb_sim_backend(sim), .memmap = map, .memmap_len = map_len,
		.direct_map = ptb_va(o->have_dm ? o->direct_map : pae ? 0xc0000000ull : 0xffff888000000000ull),
		.max_leaf_level = o->xen ? 1 : o->max_page, .nx = true, .xen = o->xen,
		.pat = o->xen ? &ptb_pat_xen : NULL,
	};
	kernel_layout(seg, &in, o->reserve ? o->reserve : 1, pae);
	uint64_t need = o->reserve;
	ptb_err_t err = need ? PTB_OK : ptb_boot_reserve_needed(&in, &need);
	if (!err) {
		kernel_layout(seg, &in, need, pae);
		if (!o->reserve) /* the layout moved with the reserve: ask again */
			err = ptb_boot_reserve_needed(&in, &need);
		kernel_layout(seg, &in, need, pae);
	}
	if (o->xen) {
		struct ptb_sim_window win[2] = { { in.direct_map.raw, 0, top },
						 { seg[0].va.raw, seg[0].pa.raw, seg[3].pa.raw + seg[3].len } };
		ptb_sim_set_windows(sim, win, 2);
	}
	if (!err)
		err = ptb_boot_run(&boot, &in);
	if (err) {
		fprintf(stderr, "ptboot: bootstrap failed: %s%s%s\n", ptb_strerror(err),
			ptb_sim_stats(sim)->last_refusal[0] ? ": " : "", ptb_sim_stats(sim)->last_refusal);
		ptb_sim_delete(sim);
		return err == PTB_E_MEMMAP || err == PTB_E_RANGE || err == PTB_E_INVAL ? 2 : 1;
	}
	struct boot_report r = { &boot, &in, ptb_sim_stats(sim), count_min_tables(&in, in.max_leaf_level),
				 o->xen ? "xen" : "native" };
	rc = write_outputs(o, &r, sim);
	ptb_sim_delete(sim);
	return rc;
}

static int cmd_boot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memmap", 1, 0, 'm' }, { "ram", 1, 0, 'r' }, { "format", 1, 0, 'f' }, { "platform", 1, 0, 'p' },
		{ "max-page", 1, 0, 'x' }, { "direct-map", 1, 0, 'd' }, { "reserve", 1, 0, 'R' },
		{ "dump", 0, 0, 'D' }, { "stats", 0, 0, 's' }, { "json", 0, 0, 'j' }, { "svg", 1, 0, 'S' },
		{ "image", 1, 0, 'i' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct boot_opts o = { .format = &ptb_format_x86_64_4level, .max_page = 3 };
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 'm': o.memmap = optarg; break;
		case 'r': if (!parse_size(optarg, &o.ram)) return fail_usage("bad --ram size", usage_boot); break;
		case 'f':
			o.format = !strcmp(optarg, "4level") ? &ptb_format_x86_64_4level :
				   !strcmp(optarg, "5level") ? &ptb_format_x86_64_5level :
				   !strcmp(optarg, "pae") ? &ptb_format_pae : NULL;
			if (!o.format)
				return fail_usage("--format must be 4level, 5level or pae", usage_boot);
			break;
		case 'p':
			if (strcmp(optarg, "native") && strcmp(optarg, "xen"))
				return fail_usage("--platform must be native or xen", usage_boot);
			o.xen = !strcmp(optarg, "xen");
			break;
		case 'x':
			o.max_page = !strcmp(optarg, "4k") ? 1 : !strcmp(optarg, "2m") ? 2 : !strcmp(optarg, "1g") ? 3 : 0;
			if (!o.max_page)
				return fail_usage("--max-page must be 4k, 2m or 1g", usage_boot);
			break;
		case 'd': {
			char *end;
			o.direct_map = strtoull(optarg, &end, 0);
			if (*end || (o.direct_map & 4095))
				return fail_usage("bad --direct-map address", usage_boot);
			o.have_dm = true;
			break;
		}
		case 'R': if (!parse_size(optarg, &o.reserve)) return fail_usage("bad --reserve", usage_boot); break;
		case 'D': o.dump = true; break;
		case 's': o.stats = true; break;
		case 'j': o.json = true; break;
		case 'S': o.svg = optarg; break;
		case 'i': o.image = optarg; break;
		case 'h': fputs(usage_boot, stdout); return 0;
		default: return fail_usage("unknown option", usage_boot);
		}
	}
	if (optind < argc)
		return fail_usage("unexpected argument", usage_boot);
	if (o.memmap && o.ram)
		return fail_usage("--memmap and --ram exclude each other", usage_boot);
	if (o.xen && o.format != &ptb_format_x86_64_4level)
		return fail_usage("--platform xen needs --format 4level (64-bit PV)", usage_boot);
	return run_boot(&o);
}

static int cmd_image(int argc, char **argv, bool check)
{
	static const struct option opts[] = {
		{ "image", 1, 0, 'i' }, { "platform", 1, 0, 'p' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *path = NULL;
	bool xen = false;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (c == 'i')
			path = optarg;
		else if (c == 'p' && (!strcmp(optarg, "xen") || !strcmp(optarg, "native")))
			xen = !strcmp(optarg, "xen");
		else if (c == 'h')
			return fputs(usage_image, stdout), 0;
		else
			return fail_usage("bad option", usage_image);
	}
	if (!path || optind < argc)
		return fail_usage("--image FILE is required", usage_image);
	size_t len;
	uint8_t *buf = (uint8_t *)read_file(path, &len);
	if (!buf)
		return fail_usage("cannot read the image", usage_image);
	struct image img;
	struct ptb_space s;
	const char *why = NULL;
	ptb_err_t err = image_read(&img, buf, len, &why);
	free(buf);
	if (!err)
		err = image_space(&img, &s, xen, &why);
	if (err) {
		fprintf(stderr, "ptboot: malformed image: %s\n", why);
		image_free(&img);
		return 2;
	}
	int rc = 0;
	if (!check) {
		rc = report_dump(stdout, &s) ? 1 : 0;
	} else {
		ptb_pa_t *scratch = calloc(img.npages + 1, sizeof(ptb_pa_t));
		struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL & ~(xen ? 0u : PTB_CHECK_TABLE_RO),
						.max_leaf_level = xen ? 1 : 3, .scratch = scratch,
						.scratch_len = img.npages + 1 };
		struct ptb_check_report rep;
		err = ptb_space_check(&s, &pol, &rep);
		if (err == PTB_OK)
			printf("ok: %llu tables, %llu leaves, every rule holds\n", (unsigned long long)rep.tables,
			       (unsigned long long)rep.leaves);
		else
			printf("FAIL: %s at va 0x%llx (level %u, entry 0x%llx)\n",
			       err == PTB_E_NOTTABLE ? ptb_check_rule_name(rep.rule) : ptb_strerror(err),
			       (unsigned long long)rep.va.raw, rep.level, (unsigned long long)rep.entry);
		rc = err ? 1 : 0;
		free(scratch);
	}
	if (img.missing) {
		fprintf(stderr, "ptboot: the image links tables it does not contain\n");
		rc = 2;
	}
	image_free(&img);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		char *args[] = { "boot", "--ram", "4G", "--dump", "--stats", NULL };
		return cmd_boot(5, args);
	}
	if (!strcmp(argv[1], "boot"))
		return cmd_boot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dump"))
		return cmd_image(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "check"))
		return cmd_image(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return fputs(usage_main, stdout), 0;
	return fail_usage("unknown command", usage_main);
}
