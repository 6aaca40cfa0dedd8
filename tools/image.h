/* SPDX-License-Identifier: MIT */
/*
 * Table images (little-endian):
 *   8 bytes  magic "PTBIMG" 0x00 0x01
 *   u32      format (1 = x86-64 4-level, 2 = 5-level, 3 = PAE)
 *   u32      N, the number of table pages
 *   u64      physical address of the root table
 *   u64      M, the number of pfn->frame pairs (0 when frames equal pfns)
 *   M times  u64 pfn, u64 frame number as stored in entries
 *   N times  u64 physical address of a table page, then its 4096 bytes
 */
#ifndef PTB_TOOLS_IMAGE_H
#define PTB_TOOLS_IMAGE_H

#include <stdio.h>
#include <ptboot/space.h>

struct image {
	const struct ptb_format *format;
	uint64_t root;
	uint64_t npages, npairs;
	uint64_t *page_pa;           /* sorted */
	uint8_t *pages;              /* npages * 4096, in page_pa order */
	uint64_t *pair_frame, *pair_pfn; /* sorted by frame */
	bool missing;                /* a walk reached a page not in the image */
	uint64_t visits;             /* tables a full walk visits (paths to them) */
	char why_buf[160];           /* a message naming an entry */
	struct ptb_backend_ops ops;
};

/* Write the tables of s to f, with (when frames are not pfns) a pair for
 * every pfn an entry refers to.  Returns 0, or -1 on an I/O error or when
 * out of memory. */
int image_write(FILE *f, const struct ptb_space *s);

/* The size the image at path must have, from its header alone (so that a
 * read is bounded); false with *why when the header is not an image's. */
bool image_size(const char *path, size_t *size, const char **why);

/* Parse an image from memory; PTB_OK or PTB_E_IMAGE with *why set. */
ptb_err_t image_read(struct image *img, const uint8_t *buf, size_t len, const char **why);

/* The same from a file, read once straight into the image (its size is
 * bounded by the header, a pipe's too: the bytes past it are an error). */
ptb_err_t image_read_file(struct image *img, const char *path, const char **why);
void image_free(struct image *img);

/* The 512 entries of the image's table page at pa, or NULL when absent. */
const uint64_t *image_table(const struct image *img, uint64_t pa);

/* Adopt the image's tree as a space to inspect (PTB_SPACE_INSPECT: its
 * rules are the checker's to report), every root slot included; xen: Xen's
 * PAT.  PTB_E_IMAGE with *why (naming the entry) when a link reaches a page
 * the image lacks, a frame has no pfn pair, or links repeat so often that
 * walks would not end. */
ptb_err_t image_space(struct image *img, struct ptb_space *s, bool xen, const char **why);

#endif
