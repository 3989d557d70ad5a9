/*
 * stop.h - Ctrl-C and SIGTERM stop a run at its next event, for every
 * command that runs the simulator (run, replay, state, trace, the SimBlock
 * export): the handler only sets a flag that sim_opts_t.stop points to.
 */
#ifndef CHAINSIM_STOP_H
#define CHAINSIM_STOP_H

#include <signal.h>

/* Installs the handlers (again is harmless); returns the flag they set. */
volatile sig_atomic_t *stop_catch(void);

#endif
