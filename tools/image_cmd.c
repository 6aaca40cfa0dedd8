/* SPDX-License-Identifier: MIT */
/* `ptboot dump` and `ptboot check`: read a table image back. */
#include "image_cmd.h"
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <ptboot/check.h>
#include "cli.h"
#include "image.h"
#include "report.h"

const char image_cmd_usage[] =
	"usage: ptboot dump --image FILE [--platform native|xen]\n"
	"       ptboot check --image FILE [--platform native|xen]\n"
	"dump lists the mappings of a table image, ptdump style (as 'boot --dump');\n"
	"check runs the invariant checker on it: reserved bits clear, L1TF-safe\n"
	"non-present entries, W^X, canonical addresses, leaves only at allowed levels,\n"
	"a tree (no table linked twice); with --platform xen also: no table page mapped\n"
	"writable, 4K leaves only, a 4-level tree, L4 slots 256-271 left to Xen (a slot\n"
	"in use is a FAIL with its slot and va), Xen's PAT.  dump shows every slot.\n"
	"Every broken rule is a line 'FAIL: <rule> at va A-B (level L, entry E)'.\n"
	"Image format (little-endian), as 'boot --image FILE' writes it:\n"
	"  8 bytes \"PTBIMG\" 0x00 0x01; u32 format (1 4-level, 2 5-level, 3 PAE);\n"
	"  u32 N table pages; u64 root pa; u64 M pfn->frame pairs (0: frames are pfns);\n"
	"  M x (u64 pfn, u64 frame); N x (u64 table pa, 4096 bytes).\n"
	"Exit status: 0 ok, 1 a rule is broken, 2 bad options or a malformed image,\n"
	"3 the output could not be written.\n";

struct image_opts {
	const char *path;
	bool xen;
};

static int parse_options(struct image_opts *o, int argc, char **argv, const char *cmd)
{
	static const struct option opts[] = {
		{ "image", 1, 0, 'i' }, { "platform", 1, 0, 'p' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	*o = (struct image_opts){ 0 };
	optind = 0; /* 0: glibc forgets a half-read option cluster of an earlier call (fuzz_cli) */
	opterr = 0;
	for (int c; (c = getopt_long(argc, argv, ":", opts, NULL)) != -1;) {
		if (c == 'h')
			return fputs(image_cmd_usage, stdout), CLI_OK;
		if (c == 'i')
			o->path = optarg;
		else if (c == 'p' && (!strcmp(optarg, "xen") || !strcmp(optarg, "native")))
			o->xen = !strcmp(optarg, "xen");
		else if (c == 'p')
			return cli_bad_input(cmd, "--platform '%s': use native or xen", optarg);
		else
			return cli_bad_input(cmd, "bad option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_bad_input(cmd, "unexpected argument '%s'", argv[optind]);
	if (!o->path)
		return cli_bad_input(cmd, "--image FILE is required");
	return -1;
}

static int load(struct image *img, struct ptb_space *s, const struct image_opts *o, const char *cmd)
{
	const char *why = "";
	ptb_err_t err = image_read_file(img, o->path, &why);
	if (!err)
		err = image_space(img, s, o->xen, &why);
	if (err) {
		fprintf(stderr, "ptboot %s: malformed image %s: %s\n", cmd, o->path, why);
		return CLI_BAD_INPUT;
	}
	return -1;
}

/* Xen PV: a 4-level tree with L4 slots 256-271 (Xen's own) left empty.
 * Prints a FAIL line for each breach; returns how many. */
static unsigned xen_slots(const struct image *img)
{
	if (img->format != &ptb_format_x86_64_4level) {
		printf("FAIL: Xen PV guests use 4-level tables, not %s\n", img->format->name);
		return 1;
	}
	const uint64_t *root = image_table(img, img->root);
	unsigned n = 0;
	for (unsigned slot = 256; slot < 272; slot++)
		if (root[slot] & 1) {
			printf("FAIL: Xen's reserved L4 slot %u in use at va 0x%llx (entry 0x%llx)\n", slot,
			       (unsigned long long)(0xffff000000000000ull | (uint64_t)slot << 39),
			       (unsigned long long)root[slot]);
			n++;
		}
	return n;
}

/* Findings printed in full; beyond this, only counted (a dump of a badly
 * broken tree would otherwise print a line per entry). */
#define CHECK_MAX_PRINTED 1000

static bool print_finding(void *arg, const struct ptb_check_report *f)
{
	(void)arg;
	if (f->findings > CHECK_MAX_PRINTED)
		return true;
	unsigned long long va = f->va.raw;
	printf("FAIL: %s at va 0x%llx-0x%llx (level %u, entry 0x%llx)\n", ptb_check_rule_name(f->rule),
	       va, va + (f->len - 1), f->level, (unsigned long long)f->entry);
	return cli_stdout_ok(); /* output gone: stop (cli_main reports it, exit 3) */
}

static int check(const struct image *img, const struct ptb_space *s, bool xen)
{
	unsigned slots = xen ? xen_slots(img) : 0;
	ptb_pa_t *scratch = calloc(img->visits, sizeof(ptb_pa_t)); /* a slot per path */
	struct ptb_check_policy pol = {
		.rules = PTB_CHECK_ALL & ~(xen ? 0u : PTB_CHECK_TABLE_RO),
		.max_leaf_level = xen ? 1 : 3, .scratch = scratch, .scratch_len = img->visits,
		.on_finding = print_finding,
	};
	struct ptb_check_report rep;
	ptb_err_t err = scratch ? ptb_space_check(s, &pol, &rep) : PTB_E_NOMEM;
	free(scratch);
	if (err && err != PTB_E_NOTTABLE) {
		fprintf(stderr, "ptboot check: %s\n", ptb_strerror(err));
		return CLI_FAILED;
	}
	if (rep.findings > CHECK_MAX_PRINTED)
		printf("FAIL: %llu findings in all, the first %u printed\n",
		       (unsigned long long)rep.findings, CHECK_MAX_PRINTED);
	if (err || slots)
		return CLI_FAILED;
	printf("ok: %llu tables, %llu leaves, every rule holds\n", (unsigned long long)rep.tables,
	       (unsigned long long)rep.leaves);
	return CLI_OK;
}

int image_cmd_main(int argc, char **argv, bool want_check)
{
	const char *cmd = want_check ? "check" : "dump";
	struct image_opts o;
	struct image img = { 0 };
	struct ptb_space s;
	int rc = parse_options(&o, argc, argv, cmd);
	if (rc < 0)
		rc = load(&img, &s, &o, cmd);
	if (rc < 0)
		rc = want_check ? check(&img, &s, o.xen) : dump_space(stdout, &s) ? CLI_FAILED : CLI_OK;
	if (img.missing) { /* image_space proved the tree complete: a bug if seen */
		fprintf(stderr, "ptboot %s: the image links tables it does not contain\n", cmd);
		rc = CLI_BAD_INPUT;
	}
	image_free(&img);
	return rc;
}
