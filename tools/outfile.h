/* SPDX-License-Identifier: MIT */
#ifndef PTB_TOOLS_OUTFILE_H
#define PTB_TOOLS_OUTFILE_H
#include <stdio.h>

/*
 * Write the file at path through fn(f, arg) (which returns nonzero on a
 * failed write), whole or not at all: into a temporary "DIR/.NAME.XXXXXX"
 * renamed onto path once fn succeeded and the file is closed.  An existing
 * path that is neither a regular file nor a directory (a device, a FIFO) is
 * written in place instead; a symlink to a file keeps pointing at the new
 * file.  Returns CLI_OK, or CLI_OUTPUT after printing "ptboot CMD: could
 * not write the WHAT file 'PATH': STEP: <strerror>" with the temporary file
 * removed and path as it was.
 */
int outfile_write(const char *cmd, const char *what, const char *path, int (*fn)(FILE *, const void *),
		  const void *arg);

#endif
