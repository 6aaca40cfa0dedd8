/* SPDX-License-Identifier: MIT */
/* Linux dmesg e820 lines -> a memory map (sorted, checked). */
#ifndef PTB_TOOLS_E820_H
#define PTB_TOOLS_E820_H

#include <ptboot/boot.h>

/*
 * Parse every line containing "[mem 0xSTART-0xEND] TYPE" (END inclusive);
 * other lines are ignored.  Types: usable, reserved, ACPI data, ACPI NVS,
 * unusable, persistent.  The result is sorted; overlaps are refused.
 * Returns the number of ranges, or -1 with *why set.
 */
int e820_parse(const char *text, size_t len, struct ptb_mem_range *out, size_t cap, const char **why);

#endif
