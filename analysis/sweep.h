/*
 * sweep.h - `chainsim sweep`: a parameter sweep run as child processes.
 *
 *   chainsim sweep SCENARIO --grid group.key=v1,v2,... [--grid ...]
 *                  [--set group.key=value ...] --seeds A..B [-j N] --out DB
 *                  [--emit-jobs FILE]
 *
 * The runs are the cartesian product of the grids (the first grid varies
 * slowest) times the seeds A..B. Every run is one `chainsim run ... --quiet`
 * child writing its own database in the folder <DB without .db>.runs/
 * (run-CCCC-seed-S.db, CCCC the combination index); at most N children run
 * at once. Every combination is validated before anything runs. A per-run
 * database that already holds the complete run (same resolved parameters) is
 * kept and not run again; any other one is deleted and run again. At the end
 * every complete run is merged into DB (replacing runs of DB with the same
 * command line). --emit-jobs writes the child command lines to a file for
 * GNU parallel or a Slurm job array instead of running them.
 */
#ifndef CHAINSIM_SWEEP_H
#define CHAINSIM_SWEEP_H

/* Runs the sweep command. argv[0] is the first argument after "sweep" (argv
 * need not be NULL-terminated; argc counts the arguments). self is the
 * chainsim binary to spawn for the child runs (looked up in PATH when it has
 * no '/'). Returns the exit status: 0 every run complete (or --emit-jobs
 * written, or --help); 1 a run failed or a database could not be written;
 * 2 bad usage or an invalid scenario, grid value or override (nothing was
 * run); 130 interrupted by SIGINT or SIGTERM (complete runs are merged). */
int sweep_main(int argc, char **argv, const char *self);

#endif
