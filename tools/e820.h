/* SPDX-License-Identifier: MIT */
/*
 * Linux dmesg e820 lines -> a memory map (sorted, checked).
 *
 * A map line is any line containing "[mem 0xSTART-0xEND] TYPE", END
 * inclusive (so "BIOS-e820:", "Xen:" and timestamps all work).  TYPE is
 * usable, reserved, ACPI data, ACPI NVS, unusable, persistent (optionally
 * "(type N)"); "soft reserved" and "type N" (types Linux does not name) are
 * reserved.  Ignored: lines without "[mem 0x"; lines whose bracket holds
 * more than the range (PCI windows: "[mem 0x...-0x... window]"); lines with
 * no type (e.g. "Registered nosave memory: [mem ...]"); and Linux's later
 * edits of the map ("e820: update ... ==> ...", "e820: remove ...").
 * Anything else containing "[mem 0x" is malformed.
 */
#ifndef PTB_TOOLS_E820_H
#define PTB_TOOLS_E820_H

#include <ptboot/boot.h>

/*
 * Parse text[0, len) into out[0, cap), sorted by base.
 * Returns the number of ranges (>= 1), or -1 with *why pointing to a
 * message (naming the line) valid until the next call: a malformed line,
 * an unknown type, more than cap ranges, overlapping ranges, no map line.
 */
int e820_parse(const char *text, size_t len, struct ptb_mem_range *out, size_t cap, const char **why);

#endif
