/*
 * merge.h - `chainsim merge`: combine the runs of several results databases.
 *
 *   chainsim merge OUT.db IN.db...
 *
 * OUT is created if needed with the schema and views of the recorder
 * (record_open()); every run of every input is appended to it under a new
 * run_id (the next free one in OUT), with every row of every table that has
 * a run_id column. Each input is copied in one transaction: on an error it is
 * rolled back, OUT keeps the inputs merged before it and stays valid.
 */
#ifndef CHAINSIM_MERGE_H
#define CHAINSIM_MERGE_H

/* Runs the merge command. argv[0] is the first argument after "merge"
 * (argv need not be NULL-terminated; argc counts the arguments). Prints one
 * line per copied run to stdout, errors to stderr. Returns the exit status:
 * 0 success; 1 SQLite runtime or I/O error (the failing input rolled back);
 * 2 bad usage, a missing input, an input that is not a chainsim results
 * database, or an OUT that is not one. */
int merge_main(int argc, char **argv);

#endif
