/*
 * simutil.h - helpers of the suites that drive the node layer of a sim_t by
 * hand: transactions registered as the workload registers them, blocks
 * mined on demand, blocks handed to one node and checked.
 */
#ifndef CHAINSIM_SIMUTIL_H
#define CHAINSIM_SIMUTIL_H

#include <stdint.h>

#include "sim/sim_int.h"

/* Registers a transfer (fee 10) with the run, as the workload does; returns its number. */
uint32_t tu_add_tx(sim_t *s, uint32_t from, uint32_t to, uint64_t amount, uint64_t nonce);
/* The block node produces now on its tip, from its mempool (asserted made). */
sblock_t *tu_mine(sim_t *s, uint32_t node);
/* The link between nodes a and b (asserted to exist). */
uint32_t tu_link_between(sim_t *s, uint32_t a, uint32_t b);
/* Drops every pending event, hands node `to` the full block sb from `from`
 * and runs its check (and its orphans'): asserts sb ends up connected. */
void tu_give(sim_t *s, uint32_t to, uint32_t from, sblock_t *sb);

#endif
