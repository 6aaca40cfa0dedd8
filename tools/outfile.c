/* SPDX-License-Identifier: MIT */
/*
 * Output files (--svg FILE, --image FILE) written whole or not at all: into
 * a temporary file in the target's directory, renamed over the target once
 * completely written and closed (rename() within a directory is atomic), so
 * a failure never leaves a truncated file or a stray temporary behind.
 */
#include "outfile.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

struct out {
	const char *cmd, *what, *path; /* for messages: "boot", "--svg", what the user gave */
	int (*fn)(FILE *, const void *);
	const void *arg;
};

static int failed(const struct out *o, const char *step, int err)
{
	fprintf(stderr, "ptboot %s: could not write the %s file '%s': %s: %s\n", o->cmd, o->what, o->path, step,
		err ? strerror(err) : "an earlier write failed");
	return CLI_OUTPUT;
}

/* Run the writer and close f; 0, or the errno of what failed (-1 when the
 * writer failed but left no errno). */
static int write_and_close(const struct out *o, FILE *f)
{
	errno = 0;
	int bad = o->fn(f, o->arg);
	int err = bad ? (errno ? errno : -1) : 0;
	errno = 0;
	if (fclose(f) && !err)
		err = errno ? errno : -1;
	return err;
}

/* A device, a FIFO, a socket (/dev/null, /dev/stdout): replacing it with a
 * regular file would be wrong (and, as root, would clobber /dev/null). */
static int write_in_place(const struct out *o)
{
	FILE *f = fopen(o->path, "wb");
	if (!f)
		return failed(o, "opening it", errno);
	int err = write_and_close(o, f);
	return err ? failed(o, "writing", err > 0 ? err : 0) : CLI_OK;
}

/* "DIR/.NAME.XXXXXX" for "DIR/NAME": the same directory, so the same
 * filesystem, which rename() needs. */
static char *temp_name(const char *target)
{
	const char *slash = strrchr(target, '/');
	int dir = slash ? (int)(slash - target + 1) : 0;
	size_t n = strlen(target) + sizeof(".XXXXXX") + 1;
	char *t = malloc(n);
	if (t)
		snprintf(t, n, "%.*s.%s.XXXXXX", dir, target, target + dir);
	return t;
}

/* What fopen(path, "w") would give: an existing file's mode, else 0666
 * less the umask (mkstemp creates 0600). */
static mode_t file_mode(const struct stat *st, bool exists)
{
	if (exists)
		return st->st_mode & 07777;
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* Write to a temporary file next to target and rename it over target. */
static int write_by_rename(const struct out *o, const char *target, mode_t mode)
{
	char *tmp = temp_name(target);
	int fd = tmp ? mkstemp(tmp) : -1;
	if (fd < 0) {
		int err = tmp ? errno : ENOMEM;
		free(tmp);
		return failed(o, "creating a temporary file in its directory", err);
	}
	FILE *f = fchmod(fd, mode) ? NULL : fdopen(fd, "wb");
	int err = f ? write_and_close(o, f) : errno;
	const char *step = "writing";
	if (!f)
		close(fd);
	if (!err && rename(tmp, target)) {
		err = errno;
		step = "renaming the complete file onto it";
	}
	if (err)
		unlink(tmp);
	free(tmp);
	return err ? failed(o, step, err > 0 ? err : 0) : CLI_OK;
}

int outfile_write(const char *cmd, const char *what, const char *path, int (*fn)(FILE *, const void *),
		  const void *arg)
{
	const struct out o = { cmd, what, path, fn, arg };
	struct stat st, lst;
	bool exists = stat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return write_in_place(&o);
	/* A symlink to a file: replace the file it names, keep the link. */
	char *real = exists && S_ISREG(st.st_mode) && !lstat(path, &lst) && S_ISLNK(lst.st_mode) ?
		     realpath(path, NULL) : NULL;
	int rc = write_by_rename(&o, real ? real : path, file_mode(&st, exists && S_ISREG(st.st_mode)));
	free(real);
	return rc;
}
