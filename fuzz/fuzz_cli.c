// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the whole ptboot command line, argument vector and input file.
 * The first line of the input is the arguments, separated by blanks; the
 * rest is a file that the token @F names (a memory map for boot --memmap,
 * an image for dump/check --image).  @O is a fresh output path, @D a
 * directory (an output that cannot be written).  Whatever the input, ptboot
 * must end with a documented exit status (0-3), never crash or hang: this
 * reaches the machine layer (memory-map text -> machine -> bootstrap) with
 * every option the CLI has.
 *
 * Inputs that would only be slow are skipped, not run: more than 1 GiB of
 * usable RAM (a 4K-page boot of it takes about a second under ASan), or a
 * boot without --ram/--memmap (the 4 GiB default).  Addresses stay free: a
 * map with 16 MiB of RAM at the top of 2^64 is run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cli.h"
#include "e820.h"

#define MAX_ARGS 24
#define MAX_RAM  (1ull << 30)

static char out_dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* libFuzzer reads its flags after this: keep its own output on a copy
	 * of stderr and silence ptboot's messages (thousands a second). */
	static char *args[64];
	int n = 0;
	for (; n < *argc && n < 62; n++)
		args[n] = (*argv)[n];
	args[n++] = "-close_fd_mask=2";
	args[n] = NULL;
	*argc = n;
	*argv = args;
	int null = open("/dev/null", O_WRONLY);
	if (null < 0 || dup2(null, 1) < 0)
		abort();
	close(null);
	snprintf(out_dir, sizeof(out_dir), "/tmp/fuzz_cli.XXXXXX");
	if (!mkdtemp(out_dir))
		abort();
	return 0;
}

/* Usable RAM in a map text, summed; 0 when it does not parse (ptboot refuses it cheaply). */
static uint64_t map_ram(const char *text, size_t len)
{
	static struct ptb_mem_range map[512];
	const char *why;
	int n = e820_parse(text, len, map, 512, NULL, &why);
	uint64_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += map[i].type == PTB_MEM_RAM ? map[i].len : 0;
	return n < 0 ? 0 : sum;
}

/* Whether a boot of these arguments is cheap enough to run. */
static bool cheap(char **argv, int argc, const char *fpath, const char *file, size_t file_len)
{
	if (argc < 2 || strcmp(argv[1], "boot"))
		return argc >= 2; /* dump/check read the file: bounded by its size */
	bool sized = false;
	for (int i = 2; i + 1 < argc; i++) {
		uint64_t ram;
		if (!strcmp(argv[i], "--ram")) {
			sized = true;
			if (cli_parse_size(argv[i + 1], &ram) && ram > MAX_RAM)
				return false;
		}
		if (!strcmp(argv[i], "--memmap")) {
			sized = true;
			if (argv[i + 1] == fpath && map_ram(file, file_len) > MAX_RAM)
				return false;
		}
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help"))
			return true;
	return sized;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t *nl = memchr(d, '\n', n);
	size_t line = nl ? (size_t)(nl - d) : n;
	if (line > 1000)
		return 0;
	const char *file = (const char *)d + (nl ? line + 1 : n);
	size_t file_len = nl ? n - line - 1 : 0;
	char buf[1001], fpath[64], opath[96];
	memcpy(buf, d, line);
	buf[line] = 0;
	int fd = memfd_create("fuzz_cli", 0);
	if (fd < 0 || (file_len && write(fd, file, file_len) != (ssize_t)file_len))
		abort();
	snprintf(fpath, sizeof(fpath), "/proc/self/fd/%d", fd);
	snprintf(opath, sizeof(opath), "%s/out", out_dir);
	char *argv[MAX_ARGS + 2] = { "ptboot" };
	int argc = 1;
	for (char *save, *t = strtok_r(buf, " ", &save); t && argc <= MAX_ARGS; t = strtok_r(NULL, " ", &save))
		argv[argc++] = !strcmp(t, "@F") ? fpath : !strcmp(t, "@O") ? opath : !strcmp(t, "@D") ? out_dir : t;
	argv[argc] = NULL;
	if (cheap(argv, argc, fpath, file, file_len)) {
		/* Relative output paths the fuzzer makes up land in out_dir,
		 * never in the tree it runs from (a crash artifact too). */
		int cwd = open(".", O_RDONLY | O_DIRECTORY);
		if (cwd < 0 || chdir(out_dir))
			abort();
		int rc = cli_main(argc, argv);
		if (rc < 0 || rc > 3)
			abort();
		if (fchdir(cwd))
			abort();
		close(cwd);
	}
	close(fd);
	unlink(opath);
	return 0;
}
