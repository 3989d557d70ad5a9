/*
 * forks.h - `chainsim forks DB [--run ID] [--min-depth N] [--json]`: the
 * forks of a run in time order, one line or one JSON object each.
 */
#ifndef CHAINSIM_FORKS_H
#define CHAINSIM_FORKS_H

/* The command; argv[0] is the first argument after "forks". Returns the
 * exit status. */
int forks_main(int argc, char **argv);

#endif
