/* SPDX-License-Identifier: MIT */
#include "image.h"
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t magic[8] = { 'P', 'T', 'B', 'I', 'M', 'G', 0, 1 };

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static ptb_err_t bad(const char **why, const char *what)
{
	*why = what;
	return PTB_E_IMAGE;
}

/* index of pa in the sorted page list, or -1 */
static long page_index(const struct image *img, uint64_t pa)
{
	size_t a = 0, b = img->npages;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (img->page_pa[m] < pa)
			a = m + 1;
		else
			b = m;
	}
	return a < img->npages && img->page_pa[a] == pa ? (long)a : -1;
}

struct sort_item {
	uint64_t key, val;
	size_t idx;
};

static int cmp_item(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

bool image_size(const char *path, size_t *size, const char **why)
{
	uint8_t h[32];
	FILE *f = fopen(path, "rb");
	if (!f) {
		*why = "cannot open it";
		return false;
	}
	size_t got = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (got < 32 || memcmp(h, magic, 8)) {
		*why = "not a ptboot table image (magic)";
		return false;
	}
	uint64_t n = get32(h + 12), m = get64(h + 24);
	if (n == 0 || n > (1u << 24) || m > (1ull << 32)) {
		*why = "implausible table or pair count";
		return false;
	}
	uint64_t bytes = 32 + 16 * m + 4104 * n;
	if (bytes > SIZE_MAX) {
		*why = "too large for this host";
		return false;
	}
	*size = (size_t)bytes;
	return true;
}

/* Where an image's bytes come from: memory (fuzzers) or a file read once,
 * in order, straight into the image's own arrays (no second copy). */
struct image_src {
	const uint8_t *buf; /* NULL: read f */
	FILE *f;
	size_t pos;
};

static bool src_read(struct image_src *src, void *dst, size_t n)
{
	if (src->buf)
		memcpy(dst, src->buf + src->pos, n);
	else if (fread(dst, 1, n, src->f) != n)
		return false;
	src->pos += n;
	return true;
}

/* Put the pages, read in file order, in pa order: slot i takes the page
 * it[i].idx, following each cycle of the permutation with one spare page. */
static void sort_pages(uint8_t *pages, struct sort_item *it, size_t n)
{
	uint8_t spare[4096];
	for (size_t i = 0; i < n; i++) {
		if (it[i].val)
			continue;
		memcpy(spare, pages + 4096 * i, 4096);
		size_t j = i;
		for (;;) {
			size_t k = it[j].idx;
			it[j].val = 1;
			if (k == i) {
				memcpy(pages + 4096 * j, spare, 4096);
				break;
			}
			memcpy(pages + 4096 * j, pages + 4096 * k, 4096);
			j = k;
		}
	}
}

static ptb_err_t read_pairs(struct image *img, struct image_src *src, struct sort_item *it, const char **why)
{
	for (uint64_t i = 0; i < img->npairs; i++) {
		uint8_t rec[16];
		if (!src_read(src, rec, 16))
			return bad(why, "cannot read its pairs");
		it[i] = (struct sort_item){ get64(rec + 8), get64(rec), i };
	}
	qsort(it, img->npairs, sizeof(*it), cmp_item);
	for (uint64_t i = 0; i < img->npairs; i++) {
		img->pair_frame[i] = it[i].key;
		img->pair_pfn[i] = it[i].val;
		if (i && it[i].key == it[i - 1].key)
			return bad(why, "a frame appears twice in the pair list");
	}
	return PTB_OK;
}

static ptb_err_t read_pages(struct image *img, struct image_src *src, struct sort_item *it, const char **why)
{
	for (uint64_t i = 0; i < img->npages; i++) {
		uint8_t pa[8];
		if (!src_read(src, pa, 8) || !src_read(src, img->pages + 4096 * i, 4096))
			return bad(why, "cannot read its pages");
		it[i] = (struct sort_item){ get64(pa), 0, i };
	}
	qsort(it, img->npages, sizeof(*it), cmp_item);
	for (uint64_t i = 0; i < img->npages; i++) {
		if ((it[i].key & 4095) || (i && it[i].key == it[i - 1].key))
			return bad(why, "a table page address is misaligned or repeated");
		img->page_pa[i] = it[i].key;
	}
	sort_pages(img->pages, it, img->npages);
	return PTB_OK;
}

/* len: the whole image's size, known before reading (so that a read is
 * bounded by what the header promises). */
static ptb_err_t parse(struct image *img, struct image_src *src, uint64_t len, const char **why)
{
	uint8_t h[32];
	memset(img, 0, sizeof(*img));
	if (len < 32 || !src_read(src, h, 32) || memcmp(h, magic, 8))
		return bad(why, "not a ptboot table image (magic)");
	uint32_t fmt = get32(h + 8), n = get32(h + 12);
	img->root = get64(h + 16);
	uint64_t m = get64(h + 24);
	img->format = fmt == 1 ? &ptb_format_x86_64_4level : fmt == 2 ? &ptb_format_x86_64_5level :
		      fmt == 3 ? &ptb_format_pae : NULL;
	if (!img->format)
		return bad(why, "unknown format");
	if (n == 0 || n > (1u << 24) || m > (1ull << 32))
		return bad(why, "implausible table or pair count");
	if ((len - 32) / 16 < m || (len - 32 - 16 * m) / 4104 != n || (len - 32 - 16 * m) % 4104)
		return bad(why, "size does not match the counts");
	struct sort_item *it = malloc(sizeof(*it) * (m > n ? m : n));
	img->npairs = m;
	img->npages = n;
	img->pair_frame = malloc(8 * (m ? m : 1));
	img->pair_pfn = malloc(8 * (m ? m : 1));
	img->page_pa = malloc(8ull * n);
	img->pages = malloc(4096ull * n);
	ptb_err_t err = PTB_OK;
	if (!it || !img->pair_frame || !img->pair_pfn || !img->page_pa || !img->pages)
		err = bad(why, "out of memory for its tables");
	if (!err)
		err = read_pairs(img, src, it, why);
	if (!err)
		err = read_pages(img, src, it, why);
	free(it);
	if (!err && page_index(img, img->root) < 0)
		err = bad(why, "the root is not among the table pages");
	return err;
}

ptb_err_t image_read(struct image *img, const uint8_t *buf, size_t len, const char **why)
{
	struct image_src src = { .buf = buf };
	return parse(img, &src, len, why);
}

ptb_err_t image_read_file(struct image *img, const char *path, const char **why)
{
	size_t len;
	memset(img, 0, sizeof(*img));
	if (!image_size(path, &len, why))
		return PTB_E_IMAGE;
	struct image_src src = { .f = fopen(path, "rb") };
	if (!src.f)
		return bad(why, "cannot open it");
	struct stat st;
	if (fstat(fileno(src.f), &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len) {
		/* the header's counts are believed only once the file's size
		 * agrees: nothing is allocated for pages a file does not hold */
		fclose(src.f);
		return bad(why, S_ISREG(st.st_mode) ? "size does not match the counts"
						     : "not a regular file");
	}
	ptb_err_t err = parse(img, &src, len, why);
	if (!err && fgetc(src.f) != EOF)
		err = bad(why, "longer than its header says");
	else if (!err && ferror(src.f))
		err = bad(why, "cannot read it");
	fclose(src.f);
	return err;
}

void image_free(struct image *img)
{
	free(img->page_pa);
	free(img->pages);
	free(img->pair_frame);
	free(img->pair_pfn);
	memset(img, 0, sizeof(*img));
}

static uint64_t *img_table_ptr(void *ctx, ptb_pa_t pa)
{
	static uint64_t zero[512];
	struct image *img = ctx;
	long i = page_index(img, pa.raw);
	if (i < 0) {
		img->missing = true;
		return zero; /* reads as an empty table; the tool reports it */
	}
	return (uint64_t *)(img->pages + 4096ull * (uint64_t)i);
}

static ptb_err_t img_pa_of(void *ctx, ptb_frame_t fr, ptb_pa_t *pa)
{
	struct image *img = ctx;
	size_t a = 0, b = img->npairs;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (img->pair_frame[m] < fr.raw)
			a = m + 1;
		else
			b = m;
	}
	if (a == img->npairs || img->pair_frame[a] != fr.raw)
		return PTB_E_RANGE;
	*pa = ptb_pfn_to_pa(img->pair_pfn[a]);
	return PTB_OK;
}

static ptb_err_t img_frames_of(void *ctx, ptb_pa_t pa, size_t n, ptb_frame_t *out)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		out[i] = ptb_frame((pa.raw >> 12) + i); /* unused: images are read only */
	return PTB_OK;
}

static ptb_err_t img_refuse(void *ctx, const struct ptb_table_ref *t, size_t n, size_t *done)
{
	(void)ctx, (void)t, (void)n;
	*done = 0;
	return PTB_E_REFUSED; /* an image is never changed */
}

static ptb_err_t img_no_write(void *ctx, const struct ptb_live_write *w, size_t n, size_t *done)
{
	(void)ctx, (void)w, (void)n;
	*done = 0;
	return PTB_E_REFUSED;
}

static ptb_err_t img_no_alloc(void *ctx, unsigned level, ptb_pa_t *pa)
{
	(void)ctx, (void)level, (void)pa;
	return PTB_E_NOMEM;
}

static void img_no_free(void *ctx, ptb_pa_t pa, unsigned level)
{
	(void)ctx, (void)pa, (void)level;
}

static ptb_err_t img_no_activate(void *ctx, ptb_pa_t root, unsigned level)
{
	(void)ctx, (void)root, (void)level;
	return PTB_E_REFUSED;
}

static void img_no_flush(void *ctx, ptb_va_t va, uint64_t len)
{
	(void)ctx, (void)va, (void)len;
}

/* A walk visits a table once per path to it.  A tree links each table once;
 * an inspected image may link some twice (the checker reports those), but
 * one built to blow walks up exponentially is refused: its table visits,
 * counted level by level, must stay within this many beyond its pages. */
#define IMAGE_EXTRA_VISITS (1ull << 16)

static ptb_err_t bad_entry(struct image *img, const char **why, uint64_t table, unsigned index,
			   unsigned level, uint64_t e, const char *what)
{
	snprintf(img->why_buf, sizeof(img->why_buf),
		 "the entry at index %u of the level-%u table at 0x%llx (0x%llx) %s", index, level,
		 (unsigned long long)table, (unsigned long long)e, what);
	*why = img->why_buf;
	return PTB_E_IMAGE;
}

/* One table's entries: a link must reach a page of the image, a leaf's frame
 * must have a pfn pair (when the image has pairs); links add paths[i] to
 * the child's count of paths one level down. */
static ptb_err_t check_table(struct image *img, long i, unsigned level, const uint64_t *paths,
			     uint64_t *below, const char **why)
{
	const struct ptb_encoding enc = { img->format, &ptb_pat_default, true };
	const uint64_t *t = (const uint64_t *)(img->pages + 4096ull * (uint64_t)i);
	for (unsigned k = 0; k < img->format->entries[level]; k++) {
		struct ptb_entry_info info;
		ptb_format_decode(&enc, level, t[k], &info);
		ptb_pa_t pa = ptb_pfn_to_pa(info.frame.raw);
		if (!info.present || !ptb_format_entry_valid(img->format, level, t[k]))
			continue; /* not followed by the library: the checker's to report */
		if (img->npairs && img_pa_of(img, info.frame, &pa))
			return bad_entry(img, why, img->page_pa[i], k, level, t[k],
					 "holds a frame with no pfn pair");
		if (info.leaf || level == 1)
			continue;
		long c = page_index(img, pa.raw);
		if (c < 0)
			return bad_entry(img, why, img->page_pa[i], k, level, t[k],
					 "links a page that is not in the image");
		below[c] = below[c] + paths[i] < below[c] ? UINT64_MAX : below[c] + paths[i];
	}
	return PTB_OK;
}

/* Level by level from the root: every entry checked once per (page, level),
 * and the table visits of a full walk counted without walking. */
static ptb_err_t check_links(struct image *img, const char **why)
{
	uint64_t *paths = calloc(img->npages, sizeof(*paths));
	uint64_t *below = calloc(img->npages, sizeof(*below));
	ptb_err_t err = paths && below ? PTB_OK : bad(why, "out of memory");
	uint64_t visits = 1, budget = img->npages + IMAGE_EXTRA_VISITS;
	if (!err)
		paths[page_index(img, img->root)] = 1;
	for (unsigned level = img->format->levels; !err && level >= 1; level--) {
		for (uint64_t i = 0; !err && i < img->npages; i++)
			if (paths[i])
				err = check_table(img, (long)i, level, paths, below, why);
		for (uint64_t i = 0; i < img->npages; i++) {
			visits = visits + below[i] < visits ? UINT64_MAX : visits + below[i];
			paths[i] = below[i];
			below[i] = 0;
		}
		if (!err && visits > budget)
			err = bad(why, "tables are linked so often that a walk would not end");
	}
	img->visits = visits;
	free(paths);
	free(below);
	return err;
}

const uint64_t *image_table(const struct image *img, uint64_t pa)
{
	long i = page_index(img, pa);
	return i < 0 ? NULL : (const uint64_t *)(img->pages + 4096ull * (uint64_t)i);
}

/* No root slot is left out (not even Xen's 256-271): a dump shows all that
 * is there, and `check --platform xen` reports a reserved slot in use. */
ptb_err_t image_space(struct image *img, struct ptb_space *s, bool xen, const char **why)
{
	ptb_err_t err = check_links(img, why);
	if (err)
		return err;
	img->ops = (struct ptb_backend_ops){
		.flags = img->npairs ? 0 : PTB_BACKEND_FRAME_IS_PFN,
		.alloc_table = img_no_alloc, .free_table = img_no_free, .table_ptr = img_table_ptr,
		.frames_of = img_frames_of, .pa_of = img_pa_of, .seal = img_refuse, .retire = img_refuse,
		.write_live = img_no_write, .activate = img_no_activate, .flush = img_no_flush,
	};
	struct ptb_space_config cfg = { .format = img->format, .backend = { &img->ops, img },
					.max_leaf_level = img->format->leaf_levels & 8 ? 3 : 2,
					.flags = PTB_SPACE_NX | PTB_SPACE_INSPECT,
					.pat = xen ? &ptb_pat_xen : NULL };
	err = ptb_space_adopt(s, &cfg, ptb_pa(img->root), true);
	if (err)
		*why = ptb_strerror(err);
	return err ? PTB_E_IMAGE : PTB_OK;
}
