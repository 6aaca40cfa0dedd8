/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the ptboot subcommands: exit statuses, messages,
 * number parsing and file reading.
 *
 * Exit status policy (every subcommand): 0 success; 1 the library refused
 * or a check failed; 2 the command line, a memory map or an image was bad;
 * 3 an output (standard output, --svg FILE, --image FILE) could not be
 * written.  3 wins over 0, 1 and 2: whatever else happened, a caller must
 * not take a missing or cut-short output for a result.
 */
#ifndef PTB_TOOLS_CLI_H
#define PTB_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ptboot/types.h>

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_BAD_INPUT = 2, CLI_OUTPUT = 3 };

#define CLI_MiB (1ull << 20)
#define CLI_GiB (1ull << 30)

/* The whole command line (argv[0] is the program): dispatch to the
 * subcommand; returns the exit status.  main() and fuzz_cli call it. */
int cli_main(int argc, char **argv);

/* Print "ptboot CMD: message" and a pointer to --help; returns CLI_BAD_INPUT. */
int cli_bad_input(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "ptboot CMD: could not write WHAT: <strerror(err)>" (cmd NULL:
 * "ptboot: ..."); returns CLI_OUTPUT. */
int cli_output_failed(const char *cmd, const char *what, int err);

/* Whether standard output still takes writes; on the first failure seen,
 * remembers errno for cli_finish_stdout's message (a long output may lose
 * it: glibc drops what it could not write). */
bool cli_stdout_ok(void);

/* Flush standard output.  When that or any earlier write to it failed (the
 * stream's error flag is sticky, so this one check covers every write of
 * the command) say so and return CLI_OUTPUT; else return rc. */
int cli_finish_stdout(const char *cmd, int rc);

/* Numbers are decimal, or hex after 0x; never octal (010 is ten).  Both
 * parsers take the whole string and on failure set errno: ERANGE when the
 * value is beyond 2^64 - 1, EINVAL when malformed, EDOM for a size of 0. */

/* "64G", "512M", "4096", "0x1000": bytes (K, M, G, T: powers of 1024). */
bool cli_parse_size(const char *s, uint64_t *out);

/* A plain number. */
bool cli_parse_u64(const char *s, uint64_t *out);

/* The whole file in a malloc'd buffer (NULL, errno set, on failure;
 * EFBIG when it holds more than max bytes, found after reading max + 1). */
uint8_t *cli_read_file(const char *path, size_t max, size_t *len);

#define CLI_MAX_MEMMAP (16u << 20) /* a whole dmesg is well under 1 MiB */

/* Whether a library error means the input was bad (exit 2) rather than a
 * refusal or a resource running out (exit 1). */
bool cli_err_is_input(ptb_err_t err);

#endif
