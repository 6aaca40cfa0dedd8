/* SPDX-License-Identifier: MIT */
#ifndef PTB_TOOLS_BOOT_CMD_H
#define PTB_TOOLS_BOOT_CMD_H

/* `ptboot boot [options]`: argv[0] is "boot".  Returns the exit status. */
int boot_cmd_main(int argc, char **argv);

extern const char boot_cmd_usage[];

#endif
