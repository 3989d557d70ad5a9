/*
 * sim.h - one simulation run: builds the network from a scenario, runs the
 * event loop to the end (or until stopped), records results and computes the
 * run digest.
 *
 * The digest is BLAKE2b-256 over the ordered trace of processed events (time,
 * kind, nodes, payload id) followed by the final state summary; two runs of the
 * same scenario, seed and build give the same digest.
 */
#ifndef CHAINSIM_SIM_H
#define CHAINSIM_SIM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/record/record.h"
#include "sim/scenario/scenario.h"

typedef struct sim sim_t;

typedef enum { SIM_COMPLETE, SIM_INTERRUPTED, SIM_FAILED } sim_status_t;

typedef struct sim_opts {
    /* Set asynchronously (a signal handler) to stop at the next event. */
    volatile sig_atomic_t *stop;
    /* Where to draw the progress line; NULL = none. */
    FILE *progress;
} sim_opts_t;

/* Creates a run of sc (which must outlive it). rec may be NULL (nothing is
 * recorded). Never returns NULL. */
sim_t *sim_new(const scenario_t *sc, record_t *rec);
void sim_free(sim_t *s);

/* Runs to completion or until *opts->stop. Results go to the recorder as the
 * run goes; on return the run's row is final. Returns the status; a recording
 * failure returns SIM_FAILED with the message in sim_error(). */
sim_status_t sim_run(sim_t *s, const sim_opts_t *opts);

/* The digest in hex (64 characters), valid after sim_run. */
const char *sim_digest(const sim_t *s);
const char *sim_error(const sim_t *s);

/* Events processed so far. */
uint64_t sim_events(const sim_t *s);

/* Prints the end-of-run summary (not the digest line). */
void sim_print_summary(const sim_t *s, FILE *out);

#endif
