/* SPDX-License-Identifier: MIT */
/*
 * The two zooms under the physical bar: the kernel image with the early
 * reserve page by page (the tables of steps 1-2), and the top of RAM where
 * the tables made after the switch went, page by page when few enough
 * (highest page first, so the top-down placement reads left to right).
 */
#include "svg.h"

#define BOX_W   570.0
#define LEFT_X  SVG_X0
#define RIGHT_X (SVG_W - SVG_X0 - BOX_W)
#define COLS    57
#define MAX_ROWS 16

static const char *const kind_name[4] = { "text RX", "rodata R", "data RW", "bss RW" };

/* The level of the table at pa, 0 when pa is no table. */
static unsigned table_level(const struct svg_tables *t, uint64_t pa)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (t->t[m].pa.raw < pa)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < t->n && t->t[lo].pa.raw == pa ? t->t[lo].level : 0;
}

static uint32_t mem_type(const struct ptb_boot_input *in, uint64_t pa)
{
	for (size_t i = 0; i < in->memmap_len; i++)
		if (pa >= in->memmap[i].base && pa - in->memmap[i].base < in->memmap[i].len)
			return in->memmap[i].type;
	return 0;
}

static void connector(FILE *f, const double from[2], double y0, double x0, double y1)
{
	const double p[8] = { from[0], y0 + 22, from[1], y0 + 22, x0 + BOX_W, y1, x0, y1 };
	svg_poly4(f, p, "#e8eef7");
}

static double kernel_bar(FILE *f, const struct ptb_boot_input *in, double y, double rx[2])
{
	const struct ptb_segment *k = in->kernel;
	uint64_t lo = k[0].pa.raw, hi = k[in->kernel_len - 1].pa.raw + k[in->kernel_len - 1].len;
	double scale = BOX_W / (double)(hi - lo);
	char size[32];
	for (size_t i = 0; i < in->kernel_len; i++) {
		double x = LEFT_X + scale * (double)(k[i].pa.raw - lo), w = scale * (double)k[i].len;
		svg_size(size, sizeof(size), k[i].len);
		svg_rect(f, x, y, w, 26, svg_kind_colour[k[i].kind], kind_name[k[i].kind]);
		svg_line(f, x, y, x, y + 26, "#fff");
		svg_text(f, x + 4, y + 17, 11, "start", "<tspan fill='%s'>%s %s</tspan>",
			 k[i].kind == PTB_SEG_TEXT || k[i].kind == PTB_SEG_DATA ? "#fff" : "#000", kind_name[k[i].kind],
			 size);
	}
	rx[0] = LEFT_X + scale * (double)(in->reserve_pa.raw - lo);
	rx[1] = rx[0] + scale * (double)(in->reserve_pages * PTB_PAGE_SIZE);
	if (rx[1] - rx[0] < 3)
		rx[1] = rx[0] + 3;
	svg_rect(f, rx[0], y, rx[1] - rx[0], 26, SVG_RESERVE_COLOUR, "early reserve (brk)");
	svg_text(f, LEFT_X, y + 40, 10, "start", "0x%llx", (unsigned long long)lo);
	svg_text(f, LEFT_X + BOX_W, y + 40, 10, "end", "0x%llx", (unsigned long long)hi);
	return y + 26;
}

/* The reserve page by page: which level each used page became. */
static double reserve_cells(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y)
{
	uint64_t n = r->in->reserve_pages;
	double w = BOX_W / (double)n > 30 ? 30 : BOX_W / (double)n;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = r->in->reserve_pa.raw + i * PTB_PAGE_SIZE;
		unsigned l = table_level(t, pa);
		char title[64];
		snprintf(title, sizeof(title), "0x%llx: %s", (unsigned long long)pa, l ? "table" : "unused");
		svg_rect(f, LEFT_X + w * (double)i, y, w - (w > 4 ? 1 : 0), 22, l ? svg_level_colour[l] : "#d9f0e8",
			 title);
		if (l && w >= 18)
			svg_text(f, LEFT_X + w * ((double)i + 0.5), y + 15, 10, "middle", "L%u", l);
	}
	svg_text(f, LEFT_X, y + 36, 11, "start",
		 "early reserve (brk) in .bss: %llu of %llu pages became tables in steps 1-2",
		 (unsigned long long)r->boot->stats.reserve_used, (unsigned long long)n);
	return y + 40;
}

static double kernel_zoom(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
			  const struct svg_anchor *a)
{
	connector(f, a->kx, a->bar_bottom, LEFT_X, y);
	svg_text(f, LEFT_X, y + 14, 13, "start", "Kernel image, physical (linear)");
	double rx[2];
	double bottom = kernel_bar(f, r->in, y + 22, rx);
	double cells = bottom + 44;
	const double p[8] = { rx[0], bottom, rx[1], bottom, LEFT_X + BOX_W, cells, LEFT_X, cells };
	svg_poly4(f, p, "#dcefe8");
	return reserve_cells(f, r, t, cells);
}

/* The RAM tables' span [lo, hi), from the sorted table list. */
static bool ram_span(const struct boot_report *r, const struct svg_tables *t, uint64_t *lo, uint64_t *hi)
{
	uint64_t rlo = r->in->reserve_pa.raw, rhi = rlo + r->in->reserve_pages * PTB_PAGE_SIZE;
	*lo = UINT64_MAX;
	*hi = 0;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t pa = t->t[i].pa.raw;
		if (pa >= rlo && pa < rhi)
			continue;
		*lo = pa < *lo ? pa : *lo;
		*hi = pa + PTB_PAGE_SIZE > *hi ? pa + PTB_PAGE_SIZE : *hi;
	}
	return *hi > 0;
}

/* Page by page, highest first: a cell per page. */
static double page_grid(FILE *f, const struct boot_report *r, const struct svg_tables *t, uint64_t lo,
			uint64_t hi, double y)
{
	uint64_t n = (hi - lo) / PTB_PAGE_SIZE, cols = n < 16 ? 16 : n < COLS ? n : COLS;
	double cell = BOX_W / (double)cols, h = cell > 24 ? 24 : cell;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = hi - (i + 1) * PTB_PAGE_SIZE;
		unsigned l = table_level(t, pa);
		uint32_t type = mem_type(r->in, pa);
		const char *fill = l ? svg_level_colour[l] : type ? svg_mem_colour(type) : SVG_HOLE_COLOUR;
		char title[64];
		snprintf(title, sizeof(title), "0x%llx: %s", (unsigned long long)pa,
			 l ? "table" : svg_mem_name(type));
		svg_rect(f, RIGHT_X + cell * (double)(i % cols), y + h * (double)(i / cols), cell - 1, h - 1, fill,
			 title);
		if (l && cell >= 18)
			svg_text(f, RIGHT_X + cell * ((double)(i % cols) + 0.5), y + h * (double)(i / cols) + 15, 10,
				 "middle", "L%u", l);
	}
	return y + h * (double)((n + cols - 1) / cols);
}

/* Too many pages for cells: a linear band, higher levels drawn taller. */
static double page_band(FILE *f, const struct svg_tables *t, uint64_t lo, uint64_t hi, double y)
{
	double scale = BOX_W / (double)(hi - lo);
	svg_rect(f, RIGHT_X, y, BOX_W, 40, svg_mem_colour(PTB_MEM_RAM), "RAM");
	for (unsigned l = 1; l <= PTB_MAX_LEVELS; l++) {
		double last = -1;
		for (size_t i = 0; i < t->n; i++) {
			uint64_t pa = t->t[i].pa.raw;
			if (t->t[i].level != l || pa < lo || pa >= hi)
				continue;
			double x = RIGHT_X + scale * (double)(hi - pa - PTB_PAGE_SIZE), w = scale * PTB_PAGE_SIZE;
			if (w < 1.5 * l)
				w = 1.5 * l; /* higher levels are few: wider, and longer below */
			if (x > last - 0.3 && x < last + 0.3)
				continue; /* same pixel */
			svg_rect(f, x, y, w, l == 1 ? 40 : 46, svg_level_colour[l], NULL);
			last = x;
		}
	}
	return y + 46;
}

static double top_zoom(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
		       const struct svg_anchor *a)
{
	uint64_t lo, hi;
	svg_text(f, RIGHT_X, y + 14, 13, "start", "Top of RAM: tables made after the switch (highest first)");
	if (!ram_span(r, t, &lo, &hi)) {
		svg_text(f, RIGHT_X, y + 40, 12, "start", "Every table came from the early reserve.");
		return y + 50;
	}
	connector(f, a->tx, a->bar_bottom, RIGHT_X, y);
	uint64_t pages = (hi - lo) / PTB_PAGE_SIZE, pad = pages < 64 ? 8 : 0;
	lo = lo >= pad * PTB_PAGE_SIZE ? lo - pad * PTB_PAGE_SIZE : 0;
	hi += pad * PTB_PAGE_SIZE;
	pages = (hi - lo) / PTB_PAGE_SIZE;
	bool grid = pages <= (uint64_t)COLS * MAX_ROWS;
	double bottom = grid ? page_grid(f, r, t, lo, hi, y + 22) : page_band(f, t, lo, hi, y + 22);
	char span[32];
	svg_size(span, sizeof(span), hi - lo);
	uint64_t n = r->boot->stats.ram_tables;
	svg_text(f, RIGHT_X, bottom + 14, 11, "start", "%s, 0x%llx down to 0x%llx (%s): %llu table%s, lowest at 0x%llx",
		 grid ? "page by page" : "linear", (unsigned long long)hi, (unsigned long long)lo, span,
		 (unsigned long long)n, n == 1 ? "" : "s", (unsigned long long)r->boot->stats.lowest_table_pa);
	return bottom + 18;
}

double svg_zoom_draw(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
		     const struct svg_anchor *a)
{
	double left = kernel_zoom(f, r, t, y, a);
	double right = top_zoom(f, r, t, y, a);
	return left > right ? left : right;
}
