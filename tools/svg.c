/* SPDX-License-Identifier: MIT */
/*
 * The SVG picture of a simulated boot: physical memory by memory-map range
 * (each range's width grows with the log of its size, so a 4 KiB hole and
 * 64 GiB of RAM both show), a zoom on the top of RAM where the bootstrap put
 * its tables, and the virtual layout.
 */
#include <math.h>
#include <stdlib.h>
#include "report.h"

#define W 1100.0
#define X0 20.0

static const char *const level_color[] = { "#000", "#e6550d", "#fd8d3c", "#fdae6b", "#9e0142", "#5e3c99" };

static const char *type_color(uint32_t t)
{
	switch (t) {
	case PTB_MEM_RAM: return "#c7e9c0";
	case PTB_MEM_ACPI: return "#bcbddc";
	case PTB_MEM_NVS: return "#9e9ac8";
	case PTB_MEM_PERSISTENT: return "#9ecae1";
	default: return "#bdbdbd";
	}
}

static const char *type_name(uint32_t t)
{
	static const char *n[] = { "?", "RAM", "reserved", "ACPI", "NVS", "unusable", "?", "pmem" };
	return t < 8 ? n[t] : "?";
}

static void human(char *buf, size_t n, uint64_t v)
{
	const char *u[] = { "B", "K", "M", "G", "T" };
	int i = 0;
	double d = (double)v;
	while (d >= 1024 && i < 4)
		d /= 1024, i++;
	snprintf(buf, n, d < 10 && d != (int)d ? "%.1f%s" : "%.0f%s", d, u[i]);
}

struct tables {
	struct ptb_table_ref *t;
	size_t n, cap;
};

static bool collect(void *arg, const struct ptb_table_ref *r)
{
	struct tables *t = arg;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->t = realloc(t->t, t->cap * sizeof(*t->t));
	}
	t->t[t->n++] = *r;
	return true;
}

/* Position of pa on the physical bar. */
struct bar {
	const struct ptb_boot_input *in;
	double *x, *w;
};

static double bar_x(const struct bar *b, uint64_t pa)
{
	for (size_t i = 0; i < b->in->memmap_len; i++) {
		const struct ptb_mem_range *r = &b->in->memmap[i];
		if (pa >= r->base && pa - r->base < r->len)
			return b->x[i] + b->w[i] * ((double)(pa - r->base) / (double)r->len);
	}
	return -1;
}

static void box(FILE *f, double x, double y, double w, double h, const char *fill, const char *title)
{
	fprintf(f, "<rect x='%.2f' y='%.1f' width='%.2f' height='%.1f' fill='%s'><title>%s</title></rect>\n", x, y,
		w < 0.6 ? 0.6 : w, h, fill, title);
}

static void text(FILE *f, double x, double y, const char *s, int size)
{
	fprintf(f, "<text x='%.1f' y='%.1f' font-size='%d' font-family='sans-serif'>%s</text>\n", x, y, size, s);
}

static void physical(FILE *f, const struct boot_report *r, const struct tables *t, double y)
{
	const struct ptb_boot_input *in = r->in;
	double *x = calloc(in->memmap_len, sizeof(double)), *w = calloc(in->memmap_len, sizeof(double)), sum = 0;
	for (size_t i = 0; i < in->memmap_len; i++)
		sum += w[i] = 1.0 + log2((double)in->memmap[i].len / 4096.0 + 1);
	double pos = X0;
	char buf[64], title[128];
	text(f, X0, y - 8, "Physical memory: one box per memory-map range (width grows with log size)", 14);
	for (size_t i = 0; i < in->memmap_len; i++) {
		w[i] = w[i] / sum * W;
		x[i] = pos;
		pos += w[i];
		human(buf, sizeof(buf), in->memmap[i].len);
		snprintf(title, sizeof(title), "%s 0x%llx, %s", type_name(in->memmap[i].type),
			 (unsigned long long)in->memmap[i].base, buf);
		box(f, x[i], y, w[i] - 1, 40, type_color(in->memmap[i].type), title);
		if (w[i] > 40)
			text(f, x[i] + 2, y + 54, buf, 10);
	}
	struct bar b = { in, x, w };
	for (size_t i = 0; i < in->kernel_len; i++) {
		double kx = bar_x(&b, in->kernel[i].pa.raw);
		if (kx >= 0)
			box(f, kx, y, w[0] * 0 + 3, 40, "#3182bd", "kernel image");
	}
	double rx = bar_x(&b, in->reserve_pa.raw);
	if (rx >= 0)
		box(f, rx, y + 20, 3, 20, "#31a354", "early reserve (brk)");
	for (size_t i = 0; i < t->n; i++) {
		double tx = bar_x(&b, t->t[i].pa.raw);
		if (tx >= 0)
			box(f, tx, y, 0.8, 20, level_color[t->t[i].level], "table page");
	}
	free(x);
	free(w);
}

/* Linear zoom on the top of RAM: where the tables went. */
static void zoom(FILE *f, const struct boot_report *r, const struct tables *t, double y)
{
	uint64_t lo = r->boot->stats.lowest_table_pa, hi = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].pa.raw + 4096 > hi && t->t[i].pa.raw >= lo)
			hi = t->t[i].pa.raw + 4096;
	char buf[200], a[32], b[32];
	if (!lo || hi <= lo) {
		text(f, X0, y, "All tables came from the early reserve (no tables were taken from RAM).", 13);
		return;
	}
	uint64_t span = hi - lo, pad = span / 20 + 4096;
	lo = lo > pad ? lo - pad : 0;
	span = hi - lo;
	human(a, sizeof(a), span);
	snprintf(buf, sizeof(buf), "Zoom: the %s below 0x%llx, where the tables made after the switch went (top down)", a,
		 (unsigned long long)hi);
	text(f, X0, y - 8, buf, 14);
	box(f, X0, y, W, 30, "#e5f5e0", "usable RAM (free)");
	for (size_t i = 0; i < t->n; i++) {
		uint64_t pa = t->t[i].pa.raw;
		if (pa >= lo && pa < hi)
			box(f, X0 + W * (double)(pa - lo) / (double)span, y, W * 4096.0 / (double)span, 30,
			    level_color[t->t[i].level], "table page");
	}
	human(a, sizeof(a), lo);
	human(b, sizeof(b), hi);
	text(f, X0, y + 44, a, 10);
	text(f, X0 + W - 40, y + 44, b, 10);
}

static void virtual(FILE *f, const struct boot_report *r, double y)
{
	const struct ptb_boot_input *in = r->in;
	text(f, X0, y - 8, "Virtual layout (not to scale)", 14);
	char buf[160], s1[32];
	human(s1, sizeof(s1), r->boot->stats.ram_bytes);
	box(f, X0, y, 300, 30, "#f0f0f0", "lower half: user space");
	text(f, X0 + 6, y + 20, "user space (empty)", 12);
	if (in->xen) {
		box(f, X0 + 310, y, 140, 30, "#d9d9d9", "Xen's slots 256-271");
		text(f, X0 + 316, y + 20, "Xen 256-271", 12);
	}
	box(f, X0 + 460, y, 380, 30, "#c7e9c0", "direct map");
	snprintf(buf, sizeof(buf), "direct map 0x%llx: %s of RAM", (unsigned long long)in->direct_map.raw, s1);
	text(f, X0 + 466, y + 20, buf, 12);
	box(f, X0 + 850, y, 250, 30, "#3182bd", "kernel image");
	text(f, X0 + 856, y + 20, "kernel image (W^X)", 12);
}

static void legend(FILE *f, double y)
{
	static const struct { const char *c, *n; } items[] = {
		{ "#c7e9c0", "usable RAM" }, { "#bdbdbd", "reserved" }, { "#bcbddc", "ACPI" }, { "#3182bd", "kernel" },
		{ "#31a354", "early reserve" }, { "#e6550d", "L1 table" }, { "#fd8d3c", "L2 table" },
		{ "#fdae6b", "L3 table" }, { "#9e0142", "L4 table" }, { "#5e3c99", "L5 table" },
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		box(f, X0 + 108.0 * i, y, 12, 12, items[i].c, items[i].n);
		text(f, X0 + 108.0 * i + 16, y + 11, items[i].n, 11);
	}
}

int svg_write(FILE *f, const struct boot_report *r)
{
	struct tables t = { 0 };
	ptb_space_for_each_table(&r->boot->space, false, collect, &t);
	char title[200];
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='360' viewBox='0 0 %.0f 360'>\n",
		W + 2 * X0, W + 2 * X0);
	fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
	snprintf(title, sizeof(title), "ptboot boot: %s, %s, %llu tables (minimum %llu)", r->platform,
		 r->in->format->name, (unsigned long long)r->boot->stats.tables.by_level[0],
		 (unsigned long long)r->min_tables);
	text(f, X0, 24, title, 16);
	physical(f, r, &t, 60);
	zoom(f, r, &t, 150);
	virtual(f, r, 250);
	legend(f, 320);
	fprintf(f, "</svg>\n");
	free(t.t);
	return ferror(f) ? -1 : 0;
}
