/*
 * compare.h - `chainsim compare`: every run of one or more results
 * databases side by side.
 *
 *   chainsim compare DB... [--out DIR] [--format png|svg|pdf]
 *
 * Prints a table with one column per run (headed by the scenario name, the
 * run id and the database file's base name) and one row per headline metric
 * of the view v_run_summary (analysis/views.sql). With --out, also writes
 * into DIR the confirmation and finality latency CDFs of all runs overlaid
 * on one chart each: data files, gnuplot scripts and, when gnuplot is
 * installed, the images (same handling as `chainsim plot`, analysis/plot.h).
 */
#ifndef CHAINSIM_COMPARE_H
#define CHAINSIM_COMPARE_H

/* Runs the compare command. argv[0] is the first argument after "compare"
 * (argc counts the arguments). Returns the exit status: 0 success (also
 * without gnuplot); 1 runtime failure (gnuplot failed, a file cannot be
 * written, SQLite error); 2 bad usage, missing file, not a chainsim results
 * database, or a database without runs. */
int compare_main(int argc, char **argv);

#endif
