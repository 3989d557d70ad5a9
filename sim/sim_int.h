/*
 * sim_int.h - the layout of a run, for sim.c and white-box tests only.
 *
 * A run is the three layers wired together: the engine (queue, clock,
 * trace), the network over it, and the protocol layer over both. The run
 * owns all three; the scenario and recorder are borrowed.
 */
#ifndef CHAINSIM_SIM_INT_H
#define CHAINSIM_SIM_INT_H

#include "sim/engine/engine.h"
#include "sim/net/net.h"
#include "sim/node/chain.h"
#include "sim/node/proto.h"
#include "sim/node/txrelay.h"
#include "sim/sim.h"

struct sim {
    const scenario_t *sc;
    record_t *rec;
    engine_t eng;
    net_t net;
    proto_t proto;
    char digest_hex[2 * HASH_BYTES + 1];
};

/* Processes the next event; false when none is left. */
bool sim_step(sim_t *s);
/* Processes the next event if it is at or before limit_ns. */
bool sim_step_until(sim_t *s, uint64_t limit_ns);

#endif
