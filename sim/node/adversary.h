/*
 * adversary.h - adversaries: nodes that run the same protocol code as the
 * others with another policy (what to publish and when, what to mine on),
 * set up from the scenario's [adversary NAME] groups.
 *
 * adversary_init registers the policy (proto.h: chain_policy_t) that
 * chain.c calls for every node; without [adversary] groups it registers
 * nothing and the run is exactly an honest run.
 */
#ifndef CHAINSIM_ADVERSARY_H
#define CHAINSIM_ADVERSARY_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/node/proto.h"

/* Picks each adversary's nodes and registers the policy; before
 * chain_init. Nothing to do without adversaries. */
void adversary_init(proto_t *s);
void adversary_free(proto_t *s);

/* End of run (after the final main chain is marked): the adversaries'
 * tables (false on a write error) and summary lines. */
bool adversary_record(proto_t *s);
void adversary_print_summary(const proto_t *s, FILE *out);

#endif
