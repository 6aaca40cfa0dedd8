/* SPDX-License-Identifier: MIT */
/* What `ptboot boot` reports about a simulated bootstrap, and how. */
#ifndef PTB_TOOLS_REPORT_H
#define PTB_TOOLS_REPORT_H

#include <stdio.h>
#include <ptboot/boot.h>
#include "ptb_sim.h"

struct boot_report {
	const struct ptb_boot *boot;
	const struct ptb_boot_input *in;
	const struct ptb_sim_stats *sim;
	uint64_t min_tables;        /* counted by tools/mintables.c */
	uint64_t model_min_tables;  /* ptb_boot_min_tables: the library's own */
	const char *platform;       /* "native" or "xen" */
	const char *command;        /* the options, for titles */
};

/* ptdump style, one line per coalesced range; -1 when the walk failed. */
int dump_space(FILE *f, const struct ptb_space *s);

/* Statistics as aligned text, and as one JSON object. */
void stats_text(FILE *f, const struct boot_report *r);
void stats_json(FILE *f, const struct boot_report *r);

/* The picture; -1 on a write error. */
int svg_write(FILE *f, const struct boot_report *r);

/* Tables any builder needs for the kernel segments and the direct map of
 * usable RAM when leaves go up to max_leaf, counted from the input alone. */
uint64_t mintables_count(const struct ptb_boot_input *in, unsigned max_leaf);
unsigned mintables_max_leaf(const struct ptb_boot_input *in);

#endif
