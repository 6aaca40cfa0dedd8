/* SPDX-License-Identifier: MIT */
/*
 * ptboot's version.  The one place it is written: the build reads it from
 * here for `ptboot --version` and the pkg-config files (mk/install.mk).
 * PTBOOT_VERSION_NUMBER compares: (major << 16) | (minor << 8) | patch.
 */
#ifndef PTBOOT_VERSION_H
#define PTBOOT_VERSION_H

#define PTBOOT_VERSION_MAJOR 0
#define PTBOOT_VERSION_MINOR 1
#define PTBOOT_VERSION_PATCH 0
#define PTBOOT_VERSION "0.1.0"
#define PTBOOT_VERSION_NUMBER \
	((PTBOOT_VERSION_MAJOR << 16) | (PTBOOT_VERSION_MINOR << 8) | PTBOOT_VERSION_PATCH)

_Static_assert(PTBOOT_VERSION_NUMBER == 0x000100, "PTBOOT_VERSION and its parts disagree");

#endif
