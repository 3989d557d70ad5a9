/*
 * outfile.h - an output file written under a temporary name beside its
 * final name and renamed over it only once complete.
 *
 * Every file the analysis commands write (export's --out, the data files,
 * scripts and images of plot and compare) goes through here, so that:
 *   - a command that fails half-way leaves any older file of that name as it
 *     was, and never removes a file that existed before it ran;
 *   - a reader never sees a half-written file;
 *   - an output that is one of the command's inputs (the same file, through
 *     any path, symbolic or hard link: same device and inode) is refused
 *     before anything is written.
 *
 * The temporary file is ".NAME.XXXXXX" in the folder of NAME (rename() is
 * atomic only within one file system), created with mode 0666 less the
 * umask. Error messages name the final path and give the operating
 * system's reason (strerror), e.g. "cannot write out/x.csv: Permission
 * denied".
 */
#ifndef CHAINSIM_OUTFILE_H
#define CHAINSIM_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct outfile outfile_t;

/* Checks that path may be written by a command that reads the files of
 * inputs (a NULL-terminated list; files that do not exist are skipped): it
 * is not one of them. Returns true, or false with *err set (g_free) naming
 * the input it is. */
bool outfile_check(const char *path, const char *const *inputs, char **err);

/* Opens a new temporary file beside path for writing. Refuses a path that
 * is a folder or an existing file this process may not write. Returns the
 * handle (finish it with outfile_commit() or outfile_abort()), or NULL with
 * *err set (g_free). */
outfile_t *outfile_open(const char *path, char **err);

/* The stream to write to (owned by f). */
FILE *outfile_stream(outfile_t *f);

/* The temporary file's name, without its folder: for another program that
 * writes the contents itself, from that folder (owned by f). */
const char *outfile_temp_name(const outfile_t *f);

/* Flushes, syncs and closes the temporary file and renames it to the final
 * path; frees f. Returns true, or false with *err set (g_free) after
 * removing the temporary file; the final path is then untouched. */
bool outfile_commit(outfile_t *f, char **err);

/* Closes and removes the temporary file; the final path is untouched.
 * Frees f (NULL is allowed). */
void outfile_abort(outfile_t *f);

/* Writes the len bytes at data to path the same way. Returns true, or false
 * with *err set (g_free). */
bool outfile_write(const char *path, const char *data, size_t len, char **err);

#endif
