/* SPDX-License-Identifier: MIT */
#include "cli.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_bad_input(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "ptboot %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'ptboot %s --help'.\n", cmd);
	va_end(ap);
	return CLI_BAD_INPUT;
}

int cli_output_failed(const char *cmd, const char *what, int err)
{
	fprintf(stderr, "ptboot%s%s: could not write %s: %s\n", cmd ? " " : "", cmd ? cmd : "", what,
		err ? strerror(err) : "an earlier write failed");
	return CLI_OUTPUT;
}

static int stdout_errno; /* the cause of the first failed write, when noted */

bool cli_stdout_ok(void)
{
	if (!ferror(stdout))
		return true;
	if (!stdout_errno)
		stdout_errno = errno;
	return false;
}

int cli_finish_stdout(const char *cmd, int rc)
{
	bool failed_before = ferror(stdout);
	int noted = stdout_errno;
	stdout_errno = 0;
	/* glibc keeps what it could not write: flushing again repeats the
	 * failed write, so errno names the cause rather than a stale value. */
	clearerr(stdout);
	errno = 0;
	if (fflush(stdout) == 0 && !failed_before)
		return rc;
	return cli_output_failed(cmd, "the output to standard output", errno ? errno : noted);
}

static int digit_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
}

/* The digits of one base at s, overflow-checked; *end is after the last.
 * False (errno EINVAL) without a digit, (errno ERANGE) above 2^64 - 1. */
static bool parse_digits(const char *s, unsigned base, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	for (unsigned d; (d = (unsigned)digit_value(*p)) < base; p++) {
		if (v > (UINT64_MAX - d) / base) {
			errno = ERANGE;
			return false;
		}
		v = v * base + d;
	}
	*end = p;
	*out = v;
	errno = p == s ? EINVAL : 0;
	return p != s;
}

/* Decimal, or hex after 0x: never octal, as strtoull's base 0 would read
 * 010 (a leading zero is padding to whoever types it, not a base). */
static bool parse_number(const char *s, uint64_t *out, const char **end)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	return parse_digits(hex ? s + 2 : s, hex ? 16 : 10, out, end);
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
	const char *end;
	if (!parse_number(s, out, &end))
		return false;
	errno = *end ? EINVAL : 0;
	return !*end;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *end;
	uint64_t v;
	if (!parse_number(s, &v, &end))
		return false;
	unsigned shift = 0;
	for (unsigned i = 0; i < 4 && *end; i++)
		if (*end == units[i] || *end == units[i] + ('a' - 'A'))
			shift = 10 * (i + 1);
	if (shift)
		end++;
	if (*end || v == 0) {
		errno = *end ? EINVAL : EDOM;
		return false;
	}
	if (v > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return false;
	}
	*out = v << shift;
	return true;
}

uint8_t *cli_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf)
		errno = ENOMEM;
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n > max) { /* bounded: /dev/zero or a huge file ends here */
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		if (n < cap)
			continue;
		uint8_t *more = realloc(buf, cap * 2);
		if (!more) {
			free(buf);
			errno = ENOMEM;
		}
		buf = more;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	fclose(f);
	*len = n;
	return buf;
}

bool cli_err_is_input(ptb_err_t err)
{
	return err != PTB_E_NOMEM && err != PTB_E_REFUSED;
}
