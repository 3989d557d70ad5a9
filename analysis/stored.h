/*
 * stored.h - a recorded run loaded to be run again.
 */
#ifndef CHAINSIM_STORED_H
#define CHAINSIM_STORED_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/runinfo.h"
#include "sim/scenario/scenario.h"

/* Reads run *run_id (0: the latest) of the database at path and loads its
 * scenario from the stored text, path and overrides. Says so on stderr
 * when the run was recorded by another version of chainsim, or when the
 * parameters resolved now differ from the recorded ones. Returns CLI_GO_ON
 * with *ri and *sc set (free both), or an exit status after printing why;
 * the database is only read, and closed on return. */
int stored_load(const char *cmd, const char *path, int64_t *run_id, runinfo_t *ri, scenario_t **sc);

/* GOptionContext-style checks of the options these commands share: TIME, a
 * simulated time with a unit (into uint64_t ns), and N, a node id (into
 * uint64_t; checked against the run once it is read). */
bool stored_check_time(void *dest, const char *value, char **why);
bool stored_check_node(void *dest, const char *value, char **why);

#endif
