/*
 * testutil.h - helpers shared by the Check suites: temporary files, running
 * the chainsim binary, reading results databases.
 */
#ifndef CHAINSIM_TESTUTIL_H
#define CHAINSIM_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"

/* A new temporary folder (removed at exit). Free with g_free. */
char *tu_tmpdir(void);

/* Writes text to dir/name; returns the path (g_free). */
char *tu_write(const char *dir, const char *name, const char *text);

/* Runs the chainsim binary with args (NULL-terminated), capturing output.
 * Returns the exit status (or 128 + signal). out/err may be NULL. */
int tu_chainsim(char **out, char **err, ...) G_GNUC_NULL_TERMINATED;

/* Loads a scenario from text; on failure returns NULL and *errors. */
scenario_t *tu_load(const char *text, char **errors, ...) G_GNUC_NULL_TERMINATED;

/* First column of the first row of sql as integer / text (g_free). */
int64_t tu_db_int(const char *db, const char *sql);
char *tu_db_text(const char *db, const char *sql);

/* The first column of the first row of sql as an integer into *out, for a
 * database another process may be writing: false (and *out untouched) when
 * the file is missing, locked, or the query has no row. */
bool tu_db_try_int(const char *db, const char *sql, int64_t *out);

/* All rows of sql, one line per row, columns separated by '|' (g_free). */
char *tu_db_dump(const char *db, const char *sql);

/* Runs every test of suite s (frees it); returns the process exit status. */
int tu_run_suite(Suite *s);

/* Path of a file in the source tree (g_free). */
char *tu_source(const char *rel);

#endif
