/* SPDX-License-Identifier: MIT */
/* `ptboot dump|query|check --core FILE`: page tables of a memory dump. */
#ifndef PTB_TOOLS_CORE_CMD_H
#define PTB_TOOLS_CORE_CMD_H

#include <stdbool.h>
#include <stdio.h>
#include <ptboot/space.h>
#include "core_read.h"

enum core_what { CORE_DUMP, CORE_QUERY, CORE_CHECK };

/* A dump opened and its tree adopted read-only. */
struct core_view {
	struct core core;
	struct ptb_dump mem;
	struct ptb_space space;
	const struct ptb_format *format;
	unsigned cpu;          /* the vCPU whose registers were used, if any */
	bool from_note;        /* CR3 came from that CPU's note (not --cr3) */
	uint64_t cr3, cr4;     /* as read (cr4 0 when unknown) */
	const char *path;
};

/* Whether the arguments ask for a dump (--core FILE): then core_cmd_main
 * handles the command. */
bool core_cmd_wanted(int argc, char **argv);

/* The command (argv[0] is dump, query or check); returns the exit status. */
int core_cmd_main(int argc, char **argv, enum core_what what);

/* Output (core_print.c); each returns the exit status. */
int core_print_dump(FILE *f, struct core_view *v, bool json);
int core_print_query(FILE *f, struct core_view *v, char **vas, int nvas, bool json);
int core_print_check(FILE *f, struct core_view *v, bool json);
/* core_linux.c: dump as Linux's ptdump prints it; markers NULL or "name=VA,...". */
int core_print_linux(FILE *f, struct core_view *v, const char *markers);

#endif
