/* SPDX-License-Identifier: MIT */
#ifndef PTB_TOOLS_REPORT_H
#define PTB_TOOLS_REPORT_H

#include <stdio.h>
#include <ptboot/boot.h>
#include "ptb_sim.h"

/* ptdump style: one line per coalesced range. */
int report_dump(FILE *f, const struct ptb_space *s);

/* Human-readable and JSON statistics of a simulated boot. */
struct boot_report {
	const struct ptb_boot *boot;
	const struct ptb_boot_input *in;
	const struct ptb_sim_stats *sim;
	uint64_t min_tables;        /* counted independently (tools/mintables.c) */
	const char *platform;
};
void report_stats(FILE *f, const struct boot_report *r);
void report_json(FILE *f, const struct boot_report *r);

/* The SVG picture of physical memory and the virtual layout. */
int report_svg(FILE *f, const struct boot_report *r);

/* Tables any builder needs, counted from the memory map alone. */
uint64_t count_min_tables(const struct ptb_boot_input *in, unsigned max_leaf);

#endif
