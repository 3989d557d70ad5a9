/*
 * trace.h - `chainsim trace`: what one node saw and did in a recorded run.
 */
#ifndef CHAINSIM_TRACE_H
#define CHAINSIM_TRACE_H

/* The command's entry point (argv[0] is "trace"); returns the exit status. */
int trace_main(int argc, char **argv);

#endif
