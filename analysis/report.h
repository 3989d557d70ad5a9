/*
 * report.h - `chainsim report`: the headline metrics of one recorded run.
 *
 *   chainsim report DB [--run ID] [--json]
 *
 * Reads one row of the view v_run_summary (analysis/views.sql) from the
 * results database DB, opened read-only, and prints it as an aligned table
 * or as one JSON object. Every metric is computed by the view; the command
 * only selects the run and formats the row.
 */
#ifndef CHAINSIM_REPORT_H
#define CHAINSIM_REPORT_H

/* Runs the report command. argv[0] is the first argument after "report"
 * (argv need not be NULL-terminated; argc counts the arguments). Prints to
 * stdout, errors to stderr. Returns the exit status: 0 success; 1 SQLite
 * runtime error; 2 bad usage, missing file, a file that is not a chainsim
 * results database, or no such run. */
int report_main(int argc, char **argv);

#endif
