// SPDX-License-Identifier: MIT
/* libFuzzer: the CLI's e820 text parser and table-image reader must refuse
 * anything malformed cleanly and never crash or hang. */
#include <stdlib.h>
#include <ptboot/check.h>
#include "e820.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct ptb_mem_range map[64];
	const char *why = NULL;
	int r = e820_parse((const char *)d, n, map, 64, &why);
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
	return 0;
}
