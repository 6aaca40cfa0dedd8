/* SPDX-License-Identifier: MIT */
/*
 * The --svg picture: physical memory on a segmented scale with the kernel
 * image, the reserve and every table page; zooms on the kernel's reserve
 * and on the top of RAM where the tables went (top down); the virtual
 * layout with the direct map's page sizes; a legend.
 */
#include "svg.h"
#include <stdarg.h>
#include <stdlib.h>

const char *const svg_level_colour[PTB_MAX_LEVELS + 1] = { "#000", "#f28e2b", "#e15759", "#b07aa1", "#9c755f",
							   "#222" };
const char *const svg_page_colour[4] = { "#fff", "#d9ef8b", "#66bd63", "#1a9850" };
const char *const svg_kind_colour[4] = { "#08519c", "#6baed6", "#3f7fbf", "#9ecae1" };

const char *svg_mem_colour(uint32_t type)
{
	switch (type) {
	case PTB_MEM_RAM: return "#c7e9c0";
	case PTB_MEM_ACPI: return "#c2a5cf";
	case PTB_MEM_NVS: return "#9970ab";
	case PTB_MEM_UNUSABLE: return "#737373";
	case PTB_MEM_PERSISTENT: return "#92c5de";
	default: return "#bdbdbd";
	}
}

const char *svg_mem_name(uint32_t type)
{
	static const char *const n[] = { "hole", "RAM", "reserved", "ACPI data", "ACPI NVS", "unusable", "?",
					  "persistent" };
	return type < 8 ? n[type] : "?";
}

void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill, const char *title)
{
	fprintf(f, "<rect x='%.2f' y='%.2f' width='%.2f' height='%.2f' fill='%s'", x, y, w, h, fill);
	if (title)
		fprintf(f, "><title>%s</title></rect>\n", title);
	else
		fprintf(f, "/>\n");
}

void svg_text(FILE *f, double x, double y, int size, const char *anchor, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(f, "<text x='%.1f' y='%.1f' font-size='%d' text-anchor='%s'>", x, y, size, anchor);
	vfprintf(f, fmt, ap);
	fprintf(f, "</text>\n");
	va_end(ap);
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	if (n && (s[1] < lo || s[1] > hi))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void svg_put_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = *p >= 0x80 ? utf8_len(p) : 1;
		const char *esc = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" :
				  *p == '"' ? "&quot;" : *p == '\'' ? "&apos;" : NULL;
		if (esc)
			fputs(esc, f);
		else if (!n || (*p < 0x20 && *p != '\t'))
			fputc('?', f);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
}

void svg_text_plain(FILE *f, double x, double y, int size, const char *anchor, const char *s)
{
	fprintf(f, "<text x='%.1f' y='%.1f' font-size='%d' text-anchor='%s'>", x, y, size, anchor);
	svg_put_text(f, s);
	fprintf(f, "</text>\n");
}

void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke)
{
	fprintf(f, "<line x1='%.2f' y1='%.2f' x2='%.2f' y2='%.2f' stroke='%s' stroke-width='0.8'/>\n", x1, y1, x2,
		y2, stroke);
}

void svg_poly4(FILE *f, const double p[8], const char *fill)
{
	fprintf(f, "<polygon points='%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f' fill='%s'/>\n", p[0], p[1], p[2],
		p[3], p[4], p[5], p[6], p[7], fill);
}

void svg_addr(char *buf, size_t n, uint64_t a)
{
	static const struct { uint64_t unit; const char *name; } u[] = {
		{ 1ull << 40, "T" }, { 1ull << 30, "G" }, { 1ull << 20, "M" }, { 1ull << 10, "K" },
	};
	for (size_t i = 0; i < 4; i++)
		if (a && !(a % u[i].unit) && a / u[i].unit < 100000) {
			snprintf(buf, n, "%llu%s", (unsigned long long)(a / u[i].unit), u[i].name);
			return;
		}
	snprintf(buf, n, "0x%llx", (unsigned long long)a);
}

void svg_size(char *buf, size_t n, uint64_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)len;
	int i = 0;
	while (d >= 1024 && i < 6)
		d /= 1024, i++;
	snprintf(buf, n, d == (double)(uint64_t)d ? "%.0f %s" : "%.1f %s", d, units[i]);
}

static int by_pa(const void *a, const void *b)
{
	const struct ptb_table_ref *x = a, *y = b;
	return x->pa.raw < y->pa.raw ? -1 : x->pa.raw > y->pa.raw;
}

struct grow {
	struct svg_tables *t;
	size_t cap;
	bool oom;
};

static bool add_table(void *arg, const struct ptb_table_ref *ref)
{
	struct grow *g = arg;
	if (g->t->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 1024;
		struct ptb_table_ref *more = realloc(g->t->t, g->cap * sizeof(*more));
		if (!more)
			return !(g->oom = true);
		g->t->t = more;
	}
	g->t->t[g->t->n++] = *ref;
	return true;
}

bool svg_tables_collect(struct svg_tables *t, const struct ptb_space *s)
{
	struct grow g = { t, 0, false };
	*t = (struct svg_tables){ 0 };
	ptb_space_for_each_table(s, false, add_table, &g);
	if (t->n)
		qsort(t->t, t->n, sizeof(*t->t), by_pa);
	return !g.oom;
}

static void header(FILE *f, const struct boot_report *r, double height)
{
	const struct ptb_boot_stats *b = &r->boot->stats;
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' viewBox='0 0 %.0f %.0f' "
		   "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'>\n", SVG_W, height, SVG_W, height);
	fprintf(f, "<defs><pattern id='hole' width='6' height='6' patternUnits='userSpaceOnUse' "
		   "patternTransform='rotate(45)'><rect width='6' height='6' fill='#fff'/>"
		   "<line x1='0' y1='0' x2='0' y2='6' stroke='#d0d0d0' stroke-width='3'/></pattern></defs>\n");
	fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
	svg_text_plain(f, SVG_X0, 26, 18, "start", r->command ? r->command : "ptboot boot"); /* has --memmap's path */
	char line[256];
	int n = snprintf(line, sizeof(line), "%s, %s: %llu tables (minimum %llu):", r->platform, r->in->format->name,
			 (unsigned long long)b->tables.by_level[0], (unsigned long long)r->min_tables);
	for (unsigned l = r->in->format->levels; l >= 1 && n > 0 && (size_t)n < sizeof(line); l--)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " L%u %llu", l,
			      (unsigned long long)b->tables.by_level[l]);
	svg_text(f, SVG_X0, 48, 13, "start", "%s; reserve %llu of %llu pages used; %llu from RAM after the switch",
		 line, (unsigned long long)b->reserve_used, (unsigned long long)r->in->reserve_pages,
		 (unsigned long long)b->ram_tables);
}

/* The panels, into f; returns the height they took. */
static double body(FILE *f, const struct boot_report *r, const struct svg_tables *t)
{
	struct svg_anchor a;
	double y = svg_phys_draw(f, r, t, 76, &a);
	y = svg_zoom_draw(f, r, t, y + 40, &a);
	y = svg_virt_draw(f, r, y + 34);
	return svg_legend_draw(f, r, y + 16) + 4;
}

int svg_write(FILE *f, const struct boot_report *r)
{
	struct svg_tables t;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len); /* the height is known at the end */
	if (!mem || !svg_tables_collect(&t, &r->boot->space)) {
		if (mem)
			fclose(mem);
		free(text);
		return -1;
	}
	double height = body(mem, r, &t);
	int err = fclose(mem);
	header(f, r, height);
	if (!err)
		fwrite(text, 1, len, f);
	fprintf(f, "</svg>\n");
	free(t.t);
	free(text);
	return err || ferror(f) ? -1 : 0;
}
