/*
 * runinfo.h - one recorded run of a results database, for the commands that
 * work on a single run (forks, tree, replay, state): opening the file
 * read-only, choosing the run (--run ID or the latest), checking that the
 * tables a command needs are there, and reading the run's row.
 *
 * Every function prints its own message as "chainsim CMD: PATH: why" on
 * stderr and returns an exit status: 0 ok, 2 bad input (no such file or
 * run, not a chainsim results database, tables missing), 1 other SQLite
 * errors. Nothing is ever written.
 */
#ifndef CHAINSIM_RUNINFO_H
#define CHAINSIM_RUNINFO_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* The row of runs and the few parameters the commands need. Strings are
 * owned (runinfo_clear frees them); NULL when the column is NULL. */
typedef struct runinfo {
    int64_t run_id;
    char *scenario_name;
    char *scenario_path;
    char *scenario_text;
    char *params;
    char *overrides;
    uint64_t seed;
    char *version;
    char *command;
    char *status;
    bool has_end;        /* sim_end_ns is not NULL */
    uint64_t sim_end_ns;
    char *digest;
    uint32_t nodes;      /* run_params network.nodes (0 if missing) */
    char *consensus;     /* run_params consensus.kind ("none" if missing) */
} runinfo_t;

/* Opens path read-only into *db (close it with sqlite3_close, also on
 * failure) and checks that it is a chainsim results database (it has a
 * runs table). */
int runinfo_open(const char *cmd, const char *path, sqlite3 **db);

/* *run_id: when 0, set to the latest run (largest run_id); otherwise
 * checked to exist. */
int runinfo_pick(const char *cmd, sqlite3 *db, const char *path, int64_t *run_id);

/* Checks that every table and view of names (NULL-terminated) exists; the
 * message says what the command needs them for (`what`, e.g. "the fork
 * log") and that the database was written by an older chainsim. */
int runinfo_require(const char *cmd, sqlite3 *db, const char *path, const char *const *names, const char *what);

/* Reads run run_id (which exists) into *ri. */
int runinfo_load(const char *cmd, sqlite3 *db, const char *path, int64_t run_id, runinfo_t *ri);
void runinfo_clear(runinfo_t *ri);

/* Runs sql with ?1 bound to run_id; stores the first column of the first
 * row in *out (false when there is no row or it is NULL: *out untouched).
 * Returns 0 or an exit status after printing why. */
int runinfo_int(const char *cmd, sqlite3 *db, const char *path, const char *sql, int64_t run_id, int64_t *out,
                bool *found);

/* Prints "chainsim CMD: PATH: WHAT: <SQLite message>"; returns 2 when the
 * file is not a (sound) SQLite database, else 1. */
int runinfo_db_error(const char *cmd, sqlite3 *db, const char *path, const char *what);

#endif
