/* SPDX-License-Identifier: MIT */
/*
 * Linux dmesg e820 lines -> one memory map (sorted, checked).
 *
 * A map line is "LABEL: [mem 0xSTART-0xEND] TYPE", END inclusive, where
 * LABEL is a name Linux prints its maps under (BIOS-e820, BIOS-e801,
 * BIOS-88, Xen, user, modified, reserve setup_data), or "[mem 0xSTART-0xEND]
 * TYPE" with nothing before it but a timestamp ("[    0.000000]") or a
 * "<N>" level: a hand-written map.  Anything may precede LABEL (journal
 * prefixes).  TYPE is usable, reserved, ACPI data, ACPI NVS, unusable,
 * persistent (optionally "(type N)"); "soft reserved" and "type N" (types
 * Linux does not name) are reserved; no type at all: the line is skipped.
 *
 * A map is a run of map lines with one label; a line of another label or
 * any other line ends it (blank lines and '#' comments do not).  Linux
 * prints the firmware's map first and then its own edited copies ("reserve
 * setup_data:", "user:", "modified:"): the map taken is the first with a
 * firmware label (BIOS-e820, BIOS-e801, BIOS-88, Xen), else the first map.
 * Every other line is ignored: the other maps, lines whose bracket holds
 * more than the range (PCI windows: "[mem 0x...-0x... window]"), other
 * messages with a range ("ACPI: SRAT: Node 0 PXM 0 [mem ...] hotplug",
 * "[mem ...] available for PCI devices", "Registered nosave memory: [mem
 * ...]") and Linux's later edits ("e820: update ... ==> ...", "e820: remove
 * ...").  Only the lines of the map taken are checked: a malformed range or
 * an unknown type there is an error.
 */
#ifndef PTB_TOOLS_E820_H
#define PTB_TOOLS_E820_H

#include <ptboot/boot.h>

/*
 * Parse the map taken from text[0, len) into out[0, cap), sorted by base.
 * Returns the number of ranges (>= 1), with *taken (when taken is not NULL)
 * saying which map that was ("memory map: BIOS-e820, 9 entries (lines 6-14);
 * ignored: user (lines 30-38)"); or -1 with *why pointing to a message
 * (naming the line): a malformed line, an unknown type, more than cap
 * ranges, overlapping ranges, no map line.  Both messages stay valid until
 * the next call.
 */
int e820_parse(const char *text, size_t len, struct ptb_mem_range *out, size_t cap, const char **taken,
	       const char **why);

#endif
