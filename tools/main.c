/* SPDX-License-Identifier: MIT */
/* ptboot's entry point: everything is in cli_main (which fuzz_cli drives). */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
