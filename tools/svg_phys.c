/* SPDX-License-Identifier: MIT */
/*
 * The physical memory bar: one segment per memory-map range and per hole
 * between ranges, each linear inside but as wide as the log of its size, so
 * 4 KiB crumbs and 64 GiB of RAM both show.  Over it: the kernel image and
 * a tick for every table page, coloured by level.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "svg.h"

#define BAR_H 40.0

static struct svg_scale scale; /* large: one per picture */

/* Segment bounds and types: ranges and the holes between them. */
static size_t segments(const struct ptb_boot_input *in, uint64_t *b, uint32_t *type)
{
	size_t n = 0;
	uint64_t end = 0;
	for (size_t i = 0; i < in->memmap_len && n + 2 < SVG_MAX_SEGS; i++) {
		const struct ptb_mem_range *r = &in->memmap[i];
		if (r->base > end) {
			b[n] = end;
			type[n++] = 0; /* a hole: not in the map at all */
		}
		b[n] = r->base;
		type[n++] = r->type;
		end = r->base + r->len;
	}
	b[n] = end;
	return n;
}

static void draw_segments(FILE *f, const uint64_t *b, const uint32_t *type, size_t n, double y)
{
	char size[32], title[160];
	for (size_t i = 0; i < n; i++) {
		double x = scale.x[i], w = scale.x[i + 1] - x;
		svg_size(size, sizeof(size), b[i + 1] - b[i]);
		snprintf(title, sizeof(title), "%s 0x%llx-0x%llx (%s)", svg_mem_name(type[i]),
			 (unsigned long long)b[i], (unsigned long long)(b[i + 1] - 1), size);
		svg_rect(f, x, y, w, BAR_H, type[i] ? svg_mem_colour(type[i]) : SVG_HOLE_COLOUR, title);
		svg_line(f, x, y, x, y + BAR_H, "#fff");
		if (w > 6.5 * (double)(strlen(svg_mem_name(type[i])) + strlen(size) + 2))
			svg_text(f, x + w / 2, y + BAR_H / 2 + 4, 11, "middle", "%s %s", svg_mem_name(type[i]), size);
	}
}

/* Boundary addresses under the bar: the ends always, the others when
 * they do not collide with a label already placed. */
static void draw_ticks(FILE *f, const uint64_t *b, size_t n, double y)
{
	double last = -100, end = scale.x[n];
	char a[32];
	for (size_t i = 0; i <= n; i++) {
		double x = scale.x[i];
		svg_addr(a, sizeof(a), b[i]);
		double half = 3.2 * (double)strlen(a) + 6;
		if (i != 0 && i != n && (x - last < 2 * half || end - x < 2 * half))
			continue;
		svg_line(f, x, y, x, y + 5, "#555");
		svg_text(f, x, y + 16, 10, i == 0 ? "start" : i == n ? "end" : "middle", "%s", a);
		last = x;
	}
}

static void draw_kernel(FILE *f, const struct ptb_boot_input *in, double y, double kx[2])
{
	const struct ptb_segment *k = in->kernel;
	uint64_t lo = k[0].pa.raw, hi = k[in->kernel_len - 1].pa.raw + k[in->kernel_len - 1].len;
	kx[0] = svg_scale_x(&scale, lo);
	kx[1] = svg_scale_x(&scale, hi);
	if (kx[1] - kx[0] < 4)
		kx[1] = kx[0] + 4;
	svg_rect(f, kx[0], y, kx[1] - kx[0], BAR_H, svg_kind_colour[0], "kernel image (reserve in .bss)");
}

/* A tick above the bar for each table; returns the x span of those taken
 * from RAM (not from the reserve). */
static void draw_tables(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
			double tx[2])
{
	uint64_t rlo = r->in->reserve_pa.raw, rhi = rlo + r->in->reserve_pages * PTB_PAGE_SIZE;
	double last = -1;
	unsigned last_level = 0;
	tx[0] = tx[1] = -1;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t pa = t->t[i].pa.raw;
		double x = svg_scale_x(&scale, pa);
		if (x > last + 0.3 || x < last - 0.3 || t->t[i].level != last_level) /* not the same pixel */
			svg_rect(f, x - 0.75, y - 12, 1.5, 11, svg_level_colour[t->t[i].level], NULL);
		last = x;
		last_level = t->t[i].level;
		if (pa >= rlo && pa < rhi)
			continue;
		if (tx[0] < 0)
			tx[0] = x;
		tx[1] = svg_scale_x(&scale, pa + PTB_PAGE_SIZE);
	}
	if (tx[0] >= 0 && tx[1] - tx[0] < 4)
		tx[0] = tx[1] - 4;
}

double svg_phys_draw(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
		     struct svg_anchor *a)
{
	static uint64_t b[SVG_MAX_SEGS + 1];
	static uint32_t type[SVG_MAX_SEGS];
	static double w[SVG_MAX_SEGS];
	size_t n = segments(r->in, b, type);
	for (size_t i = 0; i < n; i++)
		w[i] = 1.5 + log2((double)(b[i + 1] - b[i]) / 4096.0 + 1);
	svg_scale_init(&scale, b, w, n, SVG_X0, SVG_BAR_W);
	svg_text(f, SVG_X0, y, 14, "start", "Physical memory");
	svg_text(f, SVG_X0 + 122, y, 11, "start",
		 "(segmented: each range or hole is linear inside, its width grows with the log of its size;"
		 " ticks above: table pages)");
	double bar = y + 22;
	draw_segments(f, b, type, n, bar);
	draw_kernel(f, r->in, bar, a->kx);
	draw_tables(f, r, t, bar, a->tx);
	a->bar_bottom = bar + BAR_H;
	draw_ticks(f, b, n, bar + BAR_H);
	return bar + BAR_H + 22;
}
