/* SPDX-License-Identifier: MIT */
#ifndef PTB_TOOLS_IMAGE_CMD_H
#define PTB_TOOLS_IMAGE_CMD_H

#include <stdbool.h>

/* `ptboot dump|check --image FILE`: argv[0] is the command.  Returns the
 * exit status. */
int image_cmd_main(int argc, char **argv, bool check);

extern const char image_cmd_usage[];

#endif
