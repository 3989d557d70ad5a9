/*
 * simblock.h - `chainsim export --format simblock`: a recorded run's block
 * propagation as the event log SimBlock's web visualiser reads.
 */
#ifndef CHAINSIM_SIMBLOCK_H
#define CHAINSIM_SIMBLOCK_H

#include <stdint.h>

/* Replays run run_id (0: the latest) of the database at db_path and writes
 * SimBlock's output.json to out_path and static.json beside it (each to a
 * temporary name, renamed when complete). Returns an exit status (CLI_OK,
 * CLI_BADINPUT, CLI_RUNTIME) after printing why on stderr. */
int simblock_export(const char *db_path, int64_t run_id, const char *out_path);

#endif
