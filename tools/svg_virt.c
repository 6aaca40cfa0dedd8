/* SPDX-License-Identifier: MIT */
/*
 * The virtual layout: user space, the non-canonical hole, Xen's slots, the
 * direct map (coloured by the page size of each run, read-only runs in red)
 * and the kernel image, on a segmented scale where the regions that are
 * mapped get most of the width.
 */
#include <stdlib.h>
#include "svg.h"

enum region_kind { R_USER, R_HOLE, R_XEN, R_UNUSED, R_DIRECT, R_KERNEL };

struct region {
	uint64_t lo, hi;          /* [lo, hi]: hi inclusive, so 2^64 - 1 fits */
	enum region_kind kind;
};

static const double weight[] = { 2.0, 1.4, 1.2, 0.7, 6.5, 2.6 };
static const char *const label[] = { "user space", "non-canonical", "Xen", "", "direct map", "kernel image" };

static int by_lo(const void *a, const void *b)
{
	const struct region *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static uint64_t ram_top(const struct ptb_boot_input *in)
{
	uint64_t top = 0;
	for (size_t i = 0; i < in->memmap_len; i++)
		if (in->memmap[i].type == PTB_MEM_RAM)
			top = in->memmap[i].base + in->memmap[i].len;
	return top;
}

/* The named regions, sorted, gaps filled with unused ones. */
static size_t regions(const struct boot_report *r, struct region *out)
{
	const struct ptb_boot_input *in = r->in;
	const struct ptb_format *f = in->format;
	struct region named[5];
	size_t n = 0, m = 0;
	if (f->canonical) {
		uint64_t half = 1ull << (f->va_bits - 1);
		named[n++] = (struct region){ 0, half - 1, R_USER };
		named[n++] = (struct region){ half, ~0ull - half, R_HOLE };
	}
	if (in->xen)
		named[n++] = (struct region){ 0xffff800000000000ull, 0xffff87ffffffffffull, R_XEN };
	named[n++] = (struct region){ in->direct_map.raw, in->direct_map.raw + ram_top(in) - 1, R_DIRECT };
	const struct ptb_segment *k = &in->kernel[in->kernel_len - 1];
	named[n++] = (struct region){ in->kernel[0].va.raw, k->va.raw + k->len - 1, R_KERNEL };
	qsort(named, n, sizeof(named[0]), by_lo);
	uint64_t next = 0, top = f->canonical ? ~0ull : (1ull << f->va_bits) - 1;
	for (size_t i = 0; i < n; i++) {
		if (named[i].lo > next)
			out[m++] = (struct region){ next, named[i].lo - 1, R_UNUSED };
		out[m++] = named[i];
		next = named[i].hi + 1;
	}
	if (next && next - 1 < top)
		out[m++] = (struct region){ next, top, R_UNUSED };
	return m;
}

struct run_list {
	struct ptb_range *r;
	size_t n, cap;
};

static bool add_run(void *arg, const struct ptb_range *r)
{
	struct run_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct ptb_range *more = realloc(l->r, cap * sizeof(*more));
		if (!more)
			return false;
		l->r = more;
		l->cap = cap;
	}
	l->r[l->n++] = *r;
	return true;
}

static struct svg_scale scale;

/* The kernel segment holding va, or NULL. */
static const struct ptb_segment *kernel_at(const struct ptb_boot_input *in, uint64_t va)
{
	for (size_t i = 0; i < in->kernel_len; i++)
		if (va - in->kernel[i].va.raw < in->kernel[i].len)
			return &in->kernel[i];
	return NULL;
}

/* Direct-map runs by page size (read-only ones red); kernel runs by
 * segment, except read-only aliases of tables in .bss (Xen). */
static void draw_runs(FILE *f, const struct boot_report *rep, const struct run_list *l, double y,
		      uint64_t pages[4])
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ptb_range *r = &l->r[i];
		double x = svg_scale_x(&scale, r->va.raw), x1 = svg_scale_x(&scale, r->va.raw + r->len);
		const struct ptb_segment *k = kernel_at(rep->in, r->va.raw);
		bool ro = !(r->attr & PTB_ATTR_WRITE) && (!k || k->kind >= PTB_SEG_DATA);
		const char *fill = ro ? SVG_RO_COLOUR : k ? svg_kind_colour[k->kind] : svg_page_colour[r->level];
		if (ro && x1 - x < 1.5)
			x1 = x + 1.5;
		svg_rect(f, x, y + (ro ? 0 : 4), x1 - x, ro ? 40 : 32, fill, NULL);
		pages[r->level] += r->len >> (12 + 9 * (r->level - 1));
	}
}

static void draw_regions(FILE *f, const struct region *g, size_t n, double y)
{
	static const char *const fill[] = { "#f0f0f0", SVG_HOLE_COLOUR, "#d9d9d9", "#fafafa", "#fff", "#fff" };
	for (size_t i = 0; i < n; i++) {
		double x = scale.x[i], w = scale.x[i + 1] - x;
		svg_rect(f, x, y, w, 40, fill[g[i].kind], label[g[i].kind]);
		svg_line(f, x, y, x, y + 40, "#999");
		if (g[i].kind <= R_XEN)
			svg_text(f, x + w / 2, y + 24, g[i].kind == R_HOLE ? 10 : 11, "middle", "%s", label[g[i].kind]);
	}
}

/* Region boundaries in hex under the bar, on two rows so they fit. */
static void draw_addresses(FILE *f, const struct region *g, size_t n, double y)
{
	double last[2] = { -200, -200 };
	for (size_t i = 0; i < n; i++) { /* the end of the space needs no label */
		double x = scale.x[i];
		int row = (i % 2);
		if (x - last[row] < 112 || scale.x[n] - x < 56)
			continue;
		svg_line(f, x, y, x, y + 4 + 12.0 * row, "#777");
		svg_text(f, x, y + 14 + 12.0 * row, 9, i == 0 ? "start" : "middle", "0x%llx",
			 (unsigned long long)g[i].lo);
		last[row] = x;
	}
}

static void caption(FILE *f, const struct boot_report *r, const uint64_t pages[4], double y)
{
	char ram[32];
	svg_size(ram, sizeof(ram), r->boot->stats.ram_bytes);
	svg_text(f, SVG_X0, y, 11, "start",
		 "Direct map at 0x%llx: %s of usable RAM at base + pa, RW NX%s; leaves: %llu x 1G, %llu x 2M, "
		 "%llu x 4K.", (unsigned long long)r->in->direct_map.raw, ram,
		 r->in->xen ? " (tables and the reserve read-only)" : "", (unsigned long long)pages[3],
		 (unsigned long long)pages[2], (unsigned long long)pages[1]);
	svg_text(f, SVG_X0, y + 15, 11, "start",
		 "Kernel image at 0x%llx: text RX, rodata R, data and bss RW (W^X); nothing else is mapped.",
		 (unsigned long long)r->in->kernel[0].va.raw);
}

double svg_virt_draw(FILE *f, const struct boot_report *r, double y)
{
	struct region g[12];
	double w[12];
	uint64_t b[13];
	size_t n = regions(r, g);
	for (size_t i = 0; i < n; i++) {
		b[i] = g[i].lo;
		w[i] = weight[g[i].kind];
	}
	b[n] = g[n - 1].hi; /* the last byte: 2^64 itself does not fit */
	svg_scale_init(&scale, b, w, n, SVG_X0, SVG_BAR_W);
	svg_text(f, SVG_X0, y, 14, "start", "Virtual address space");
	svg_text(f, SVG_X0 + 170, y, 11, "start",
		 "(segmented: mapped regions get most of the width; linear inside each region)");
	double bar = y + 24;
	draw_regions(f, g, n, bar);
	struct run_list l = { 0 };
	uint64_t pages[4] = { 0 };
	if (ptb_space_ranges(&r->boot->space, add_run, &l) == PTB_OK)
		draw_runs(f, r, &l, bar, pages);
	free(l.r);
	for (size_t i = 0; i < n; i++)
		if (g[i].kind >= R_DIRECT && scale.x[i + 1] - scale.x[i] > 90)
			svg_text(f, (scale.x[i] + scale.x[i + 1]) / 2, bar - 3, 11, "middle", "%s", label[g[i].kind]);
	draw_addresses(f, g, n, bar + 40);
	caption(f, r, pages, bar + 82);
	return bar + 101;
}
