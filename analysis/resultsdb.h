/*
 * resultsdb.h - opening a results database for reading, shared by the
 * commands that read one (report, export, ...), with the same messages and
 * exit statuses everywhere: 2 when the file is missing, a folder, not an
 * SQLite database or damaged; 1 for other SQLite errors. Also the JSON
 * string writer of the commands that print JSON.
 */
#ifndef CHAINSIM_RESULTSDB_H
#define CHAINSIM_RESULTSDB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>

#define RESULTSDB_BUSY_MS 10000

/* Opens path read-only into *db (the caller closes it, even on failure),
 * waiting up to RESULTSDB_BUSY_MS for a writer's lock. Returns 0, or 2 after
 * printing "chainsim CMD: PATH: why" on stderr. */
int resultsdb_open(const char *cmd, const char *path, sqlite3 **db);

/* Prints db's last error for path while doing `what`; returns 2 when the
 * file is not a (sound) SQLite database, else 1. */
int resultsdb_error(const char *cmd, sqlite3 *db, const char *path, const char *what);

/* Writes the n bytes at s as a JSON string literal (quotes included),
 * escaping per RFC 8259; invalid UTF-8 becomes U+FFFD. */
void resultsdb_json_text(FILE *out, const char *s, size_t n);

#endif
