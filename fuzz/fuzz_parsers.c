// SPDX-License-Identifier: MIT
/* libFuzzer: the CLI's e820 text parser, table-image reader and memory-dump
 * reader must refuse anything malformed cleanly and never crash or hang; a
 * dump's tree (hostile: loops, tables linked many times, frames outside it)
 * is walked by the library through the read-only dump backend. */
#include <stdlib.h>
#include <ptboot/check.h>
#include "core_read.h"
#include "e820.h"
#include "image.h"

static bool count_range(void *arg, const struct ptb_range *r)
{
	(void)r;
	return ++*(uint64_t *)arg < (1u << 20);
}

/* Adopt, list and check the tree under root, as `ptboot dump|check --core`. */
static void walk_dump(const struct core *c, uint64_t root, const struct ptb_format *f)
{
	static struct ptb_dump mem;
	static ptb_pa_t scratch[4096];
	mem = (struct ptb_dump){ .seg = c->seg, .nseg = c->nseg, .budget = 1024 * (c->bytes / 4096 + 4) };
	struct ptb_space_config cfg = { .format = f, .backend = ptb_dump_backend(&mem), .flags = PTB_SPACE_NX,
					.max_leaf_level = 2 };
	struct ptb_space s;
	if (ptb_space_adopt(&s, &cfg, ptb_pa(root & ~0xfffull), true) != PTB_OK)
		return;
	uint64_t n = 0;
	mem.calls = 0;
	(void)!ptb_space_ranges(&s, count_range, &n);
	struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 3, .scratch = scratch,
					.scratch_len = 4096 };
	struct ptb_check_report rep;
	mem.calls = 0;
	(void)!ptb_space_check(&s, &pol, &rep);
	struct ptb_mapping m;
	if (ptb_space_query(&s, ptb_va(0), &m) == PTB_OK && ptb_space_unmap(&s, ptb_va(0), 4096) == PTB_OK)
		abort(); /* the dump backend must refuse every change */
}

static void fuzz_core(const uint8_t *d, size_t n)
{
	struct core c;
	const char *why = NULL;
	if (core_read_elf(&c, d, n, &why) == PTB_OK) {
		if (c.ncpu)
			walk_dump(&c, c.cpu[0].cr3, c.cpu[0].cr4 >> 12 & 1 ? &ptb_format_x86_64_5level :
								      &ptb_format_x86_64_4level);
	} else if (!why) {
		abort();
	}
	core_free(&c);
	if (n >= 4096 && core_read_raw(&c, d, n, 0x1000, &why) == PTB_OK)
		walk_dump(&c, 0x1000 + (n & 0x1000), n & 2 ? &ptb_format_x86_64_5level : &ptb_format_x86_64_4level);
	core_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct ptb_mem_range map[64];
	const char *why = NULL;
	int r = e820_parse((const char *)d, n, map, 64, NULL, &why);
	if (r < 0 && !why)
		abort();
	for (int i = 1; i < r; i++)
		if (map[i].base < map[i - 1].base + map[i - 1].len)
			abort(); /* sorted, no overlap */
	struct image img;
	struct ptb_space s;
	if (image_read(&img, d, n, &why) == PTB_OK) {
		if (image_space(&img, &s, n & 1, &why) == PTB_OK) {
			ptb_pa_t *scratch = calloc(img.npages + 1, sizeof(ptb_pa_t));
			struct ptb_check_policy pol = { .rules = PTB_CHECK_ALL, .max_leaf_level = 3,
							.scratch = scratch, .scratch_len = img.npages + 1 };
			struct ptb_check_report rep;
			(void)!ptb_space_check(&s, &pol, &rep);
			free(scratch);
		}
	}
	image_free(&img);
	fuzz_core(d, n);
	return 0;
}
