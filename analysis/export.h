/*
 * export.h - `chainsim export`: one table or view of a results database as
 * CSV or JSON.
 *
 *   chainsim export DB (--table NAME | --view NAME) [--run ID]
 *                   [--format csv|json] [--out FILE]
 *
 * The database is opened read-only. NAME must be a table or view of DB (as
 * listed in sqlite_master); it is quoted as an identifier, never spliced into
 * SQL as text. --run ID keeps the rows with run_id = ID when the table or
 * view has a run_id column. Formats are described in analysis/export.c.
 *
 *   chainsim export DB --format simblock [--run ID] --out FILE
 *
 * replays the run: the analysis layer does not run the simulator, so the
 * command entry registers the function that does (export_on_simblock).
 */
#ifndef CHAINSIM_EXPORT_H
#define CHAINSIM_EXPORT_H

#include <stdint.h>

/* Runs the export command. argv[0] is the first argument after "export"
 * (argv need not be NULL-terminated; argc counts the arguments). Writes the
 * data to stdout or --out FILE, messages to stderr. Returns the exit status:
 * 0 success; 1 SQLite runtime or I/O error; 2 bad usage, missing file, a file
 * that is not an SQLite database, an unknown table or view, or no such run. */
int export_main(int argc, char **argv);

/* Replays run run_id (0: the latest) of db_path and writes its block flows
 * to out_path; returns an exit status. */
typedef int (*export_replay_fn)(const char *db_path, int64_t run_id, const char *out_path);
/* Registers the writer of --format simblock (sim/cmd/simblock.c). */
void export_on_simblock(export_replay_fn fn);

#endif
