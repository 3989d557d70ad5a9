/*
 * resultsdb.h - opening a results database for reading, shared by the
 * commands that read one (report, export, ...), with the same messages and
 * exit statuses everywhere: 2 when the file is missing, a folder, not an
 * SQLite database or damaged; 1 for other SQLite errors. Also the status
 * of a run as every command shows it, and the JSON string writer of the
 * commands that print JSON.
 */
#ifndef CHAINSIM_RESULTSDB_H
#define CHAINSIM_RESULTSDB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RESULTSDB_BUSY_MS 10000

/* Opens path read-only into *db (the caller closes it, even on failure),
 * waiting up to RESULTSDB_BUSY_MS for a writer's lock. Returns 0, or 2 after
 * printing "chainsim CMD: PATH: why" on stderr. */
int resultsdb_open(const char *cmd, const char *path, sqlite3 **db);

/* Prints db's last error for path while doing `what`; returns 2 when the
 * file is not a (sound) SQLite database, else 1. */
int resultsdb_error(const char *cmd, sqlite3 *db, const char *path, const char *what);

/* The status of a run, for people and for aggregates. */
typedef struct resultsdb_status {
    char *state;    /* one word: runs.status, or "abandoned" (see resultsdb_run_status()) */
    char *text;     /* state and where it runs: "running (on HOST, pid N)", "abandoned (pid N is gone)" */
    char *error;    /* runs.error (why it stopped), or NULL */
    bool complete;  /* state is "complete": only such runs enter means and other aggregates */
} resultsdb_status_t;

/* Reads the status of run run_id of db (file path) into *st (free its
 * strings with resultsdb_status_clear()). runs.status is taken as it is,
 * except for a run marked 'running' whose recorder left its process id and
 * host name (the columns runs.pid and runs.host, read only when the table
 * has them, so older databases work as before):
 *   - host is this machine (g_get_host_name()) and no process pid exists
 *     (kill(pid, 0) fails with ESRCH): state "abandoned", the run was
 *     killed or crashed without recording its end;
 *   - host is this machine and the process exists: "running (pid N)";
 *   - host is another machine: "running (on HOST, pid N)", which cannot be
 *     checked from here;
 *   - no pid or host recorded: "running".
 * Returns 0, or an exit status after printing "chainsim CMD: PATH: why" on
 * stderr: 2 when there is no such run, 1 for an SQLite error. */
int resultsdb_run_status(const char *cmd, sqlite3 *db, const char *path, int64_t run_id, resultsdb_status_t *st);

/* Frees the strings of *st and zeroes it. */
void resultsdb_status_clear(resultsdb_status_t *st);

/* Writes the n bytes at s as a JSON string literal (quotes included),
 * escaping per RFC 8259; invalid UTF-8 becomes U+FFFD. */
void resultsdb_json_text(FILE *out, const char *s, size_t n);

/* Writes v as a JSON number: the shortest of %.15g / %.17g that reads back
 * exactly, with ".0" added when it would look like an integer; null when v
 * is not finite (JSON has no NaN). */
void resultsdb_json_real(FILE *out, double v);

#endif
