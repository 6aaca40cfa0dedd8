/* SPDX-License-Identifier: MIT */
/*
 * Drawing helpers for the --svg picture, and its panels.  Coordinates are
 * SVG user units (pixels at 100%).
 */
#ifndef PTB_TOOLS_SVG_H
#define PTB_TOOLS_SVG_H

#include "report.h"

#define SVG_W     1200.0   /* picture width */
#define SVG_X0    20.0     /* left margin */
#define SVG_BAR_W (SVG_W - 2 * SVG_X0)
#define SVG_MAX_SEGS 1100

/* Colours, one place: the legend reads the same table. */
extern const char *const svg_level_colour[PTB_MAX_LEVELS + 1];  /* table pages by level */
extern const char *const svg_page_colour[4];                    /* leaves by level */
extern const char *const svg_kind_colour[4];                    /* kernel segments */
#define SVG_RESERVE_COLOUR "#1b9e77"
#define SVG_RO_COLOUR      "#e15759"
#define SVG_HOLE_COLOUR    "url(#hole)"
const char *svg_mem_colour(uint32_t type);
const char *svg_mem_name(uint32_t type);

void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill, const char *title);
void svg_text(FILE *f, double x, double y, int size, const char *anchor, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Text from outside (a file name): written as XML character data, with
 * & < > " ' escaped and what XML cannot hold at all (control characters,
 * bytes that are not UTF-8) as '?'. */
void svg_put_text(FILE *f, const char *s);
void svg_text_plain(FILE *f, double x, double y, int size, const char *anchor, const char *s);
void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke);
void svg_poly4(FILE *f, const double xy[8], const char *fill);

/* "3G", "636K", "0x7ebef000": short for round numbers. */
void svg_addr(char *buf, size_t n, uint64_t a);
/* "4 GiB", "12 KiB": a size. */
void svg_size(char *buf, size_t n, uint64_t len);

/*
 * A segmented scale: [lo[i], lo[i+1]) is drawn linearly in [x[i], x[i+1]).
 * Segment widths come from weights, so a 4 KiB piece and 64 GiB both show.
 */
struct svg_scale {
	uint64_t lo[SVG_MAX_SEGS + 1];
	double x[SVG_MAX_SEGS + 1];
	size_t n;
};
/* Segments [b[i], b[i+1]) for i < n, widths proportional to w[i]. */
void svg_scale_init(struct svg_scale *s, const uint64_t *b, const double *w, size_t n, double x0, double width);
/* The x of address a (clamped to the scale's ends). */
double svg_scale_x(const struct svg_scale *s, uint64_t a);

/* Every table of the boot's space, sorted by pa. */
struct svg_tables {
	struct ptb_table_ref *t;
	size_t n;
};
bool svg_tables_collect(struct svg_tables *t, const struct ptb_space *s);

/* Where the zooms attach to the physical bar. */
struct svg_anchor {
	double kx[2];       /* the kernel image's x span */
	double tx[2];       /* the span of the tables from RAM; tx[0] < 0: none */
	double bar_bottom;
};

/* The panels, each drawn from its top y; they return their bottom y. */
double svg_phys_draw(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
		     struct svg_anchor *a);
double svg_zoom_draw(FILE *f, const struct boot_report *r, const struct svg_tables *t, double y,
		     const struct svg_anchor *a);
double svg_virt_draw(FILE *f, const struct boot_report *r, double y);
double svg_legend_draw(FILE *f, const struct boot_report *r, double y);

#endif
