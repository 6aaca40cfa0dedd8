/* SPDX-License-Identifier: MIT */
/*
 * ptboot: the command-line simulator; the subcommand dispatch.
 *   ptboot boot [options]                     the bootstrap on the sim backend
 *   ptboot dump --image FILE                  the mappings of a table image
 *   ptboot check --image FILE [--platform P]  the invariant checker on it
 *   ptboot dump|query|check --core FILE ...   the tables of a memory dump
 * With no arguments: the built-in example, `boot --ram 4G --dump --stats`.
 * `ptboot --version`: the library version (PTBOOT_VERSION).
 */
#include <stdio.h>
#include <string.h>
#include <ptboot/version.h>
#include "boot_cmd.h"
#include "cli.h"
#include "core_cmd.h"
#include "image_cmd.h"

static const char usage[] =
	"usage: ptboot [COMMAND [OPTIONS]]\n"
	"  boot    simulate the top-down bootstrap (ptb_boot_run) on the sim backend:\n"
	"          ptdump, statistics, JSON, an SVG picture, a table image\n"
	"  dump    list the mappings of a table image (--image FILE)\n"
	"  check   run the invariant checker on a table image (--image FILE [--platform xen])\n"
	"  dump|query|check --core FILE   the page tables of a memory dump (an ELF core\n"
	"          from QEMU's dump-guest-memory, a raw file): see 'ptboot dump --core x --help'\n"
	"  help    this text; 'ptboot COMMAND --help' describes each command's options\n"
	"  --version  the version of ptboot\n"
	"With no arguments, ptboot runs the example 'ptboot boot --ram 4G --dump --stats'.\n"
	"Exit status: 0 ok, 1 the library refused or a check failed, 2 bad input,\n"
	"3 an output could not be written.\n";

static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		char *example[] = { "boot", "--ram", "4G", "--dump", "--stats", NULL };
		return boot_cmd_main(5, example);
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "boot"))
		return boot_cmd_main(argc - 1, argv + 1);
	bool core = core_cmd_wanted(argc - 1, argv + 1);
	if (core && (!strcmp(cmd, "dump") || !strcmp(cmd, "query") || !strcmp(cmd, "check")))
		return core_cmd_main(argc - 1, argv + 1,
				     !strcmp(cmd, "dump") ? CORE_DUMP : !strcmp(cmd, "query") ? CORE_QUERY : CORE_CHECK);
	if (!strcmp(cmd, "dump") || !strcmp(cmd, "check"))
		return image_cmd_main(argc - 1, argv + 1, !strcmp(cmd, "check"));
	if (!strcmp(cmd, "--version")) {
		printf("ptboot %s\n", PTBOOT_VERSION);
		return CLI_OK;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return fputs(usage, stdout), CLI_OK;
	fprintf(stderr, "ptboot: unknown command '%s'\n%s", cmd, usage);
	return CLI_BAD_INPUT;
}

static const char *command_name(int argc, char **argv)
{
	static const char *const known[] = { "boot", "dump", "query", "check" };
	if (argc < 2)
		return "boot"; /* the built-in example */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(argv[1], known[i]))
			return known[i];
	return NULL;
}

int cli_main(int argc, char **argv)
{
	/* Every command's output is checked here, once, after it ran: a
	 * command that printed to a full disk or a closed pipe exits 3. */
	return cli_finish_stdout(command_name(argc, argv), dispatch(argc, argv));
}
