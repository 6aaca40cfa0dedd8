/* SPDX-License-Identifier: MIT */
/* The legend: the colours of svg.c in two rows. */
#include <string.h>
#include "svg.h"

struct item {
	const char *fill, *name;
};

static double row(FILE *f, const struct item *it, size_t n, double y)
{
	double x = SVG_X0;
	for (size_t i = 0; i < n; i++) {
		svg_rect(f, x, y, 13, 13, it[i].fill, NULL);
		fprintf(f, "<rect x='%.1f' y='%.1f' width='13' height='13' fill='none' stroke='#999' stroke-width='0.5'/>\n",
			x, y);
		svg_text(f, x + 17, y + 11, 11, "start", "%s", it[i].name);
		x += 30 + 6.2 * (double)strlen(it[i].name);
	}
	return y + 20;
}

double svg_legend_draw(FILE *f, const struct boot_report *r, double y)
{
	const struct item mem[] = {
		{ svg_mem_colour(PTB_MEM_RAM), "usable RAM" }, { svg_mem_colour(PTB_MEM_RESERVED), "reserved" },
		{ svg_mem_colour(PTB_MEM_ACPI), "ACPI data" }, { svg_mem_colour(PTB_MEM_NVS), "ACPI NVS" },
		{ svg_mem_colour(PTB_MEM_UNUSABLE), "unusable" }, { svg_mem_colour(PTB_MEM_PERSISTENT), "persistent" },
		{ SVG_HOLE_COLOUR, "not in the map" }, { svg_kind_colour[0], "kernel text" },
		{ svg_kind_colour[1], "rodata" }, { svg_kind_colour[2], "data" }, { svg_kind_colour[3], "bss" },
		{ SVG_RESERVE_COLOUR, "early reserve" },
	};
	struct item pages[PTB_MAX_LEVELS + 4];
	size_t n = 0;
	static const char *const tname[] = { "", "L1 table", "L2 table", "L3 table", "L4 table", "L5 table" };
	for (unsigned l = 1; l <= r->in->format->levels; l++)
		pages[n++] = (struct item){ svg_level_colour[l], tname[l] };
	pages[n++] = (struct item){ svg_page_colour[3], "1G leaves" };
	pages[n++] = (struct item){ svg_page_colour[2], "2M leaves" };
	pages[n++] = (struct item){ svg_page_colour[1], "4K leaves" };
	pages[n++] = (struct item){ SVG_RO_COLOUR, "read-only in the direct map (tables, reserve: Xen)" };
	y = row(f, mem, sizeof(mem) / sizeof(mem[0]), y);
	return row(f, pages, n, y);
}
