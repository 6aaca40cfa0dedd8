/* SPDX-License-Identifier: MIT */
/* `ptboot dump --core --linux`: lines like Linux's ptdump (not yet). */
#include "cli.h"
#include "core_cmd.h"

int core_print_linux(FILE *f, struct core_view *v)
{
	(void)f, (void)v;
	fprintf(stderr, "ptboot dump: --linux is not implemented yet\n");
	return CLI_FAILED;
}
