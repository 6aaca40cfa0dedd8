/* SPDX-License-Identifier: MIT */
/* ptboot's entry point: everything is in cli_main (which fuzz_cli drives). */
#include <errno.h>
#include <stdio.h>
#include "cli.h"

int main(int argc, char **argv)
{
	int rc = cli_main(argc, argv);
	/* cli_main flushed stdout; closing it can still fail (a delayed write
	 * error on NFS, say).  fuzz_cli calls cli_main again: only main closes. */
	errno = 0;
	if (fclose(stdout) && rc != CLI_OUTPUT)
		rc = cli_output_failed(NULL, "standard output (closing it)", errno);
	return rc;
}
