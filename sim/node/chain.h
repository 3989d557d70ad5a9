/*
 * chain.h - the block protocol of every node: production under the
 * scenario's consensus engine, relay (announce / request / full or compact
 * block), validation charged on each node's CPU, fork choice, reorgs and
 * finality; and the chain's results.
 */
#ifndef CHAINSIM_CHAIN_H
#define CHAINSIM_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/consensus/pos.h"
#include "sim/node/proto.h"

/* Registers the protocol's event and message kinds; with a consensus
 * engine, builds accounts, genesis and every node's state and schedules
 * production, the workload, samples and attestations. */
void chain_init(proto_t *s);
void chain_free(proto_t *s);

void chain_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m);
void chain_mine(proto_t *s, uint32_t node, uint32_t gen);
void chain_checked(proto_t *s, uint32_t node, uint32_t from, sblock_t *sb);
void chain_attest(proto_t *s, uint64_t slot);
void chain_sample(proto_t *s);
/* A node back up after a crash resumes production. */
void chain_node_up(proto_t *s, uint32_t node);

/* Registers a block made outside the protocol (tests: an equivocating
 * proposer); returns its record. */
sblock_t *chain_inject(proto_t *s, block_t *b);
void chain_inject_attestation(proto_t *s, const pos_att_t *a);
/* Attestation number i of the run (pos). */
const pos_att_t *chain_attestation(proto_t *s, uint32_t i);

/* For adversary policies (sim/node/adversary.c). chain_set_tip makes sb
 * node's tip (a reorganisation if need be); chain_relay announces sb to
 * every peer of node (as a node does with a block it connects);
 * chain_share gives node the block sb and its missing ancestors at once,
 * connected without a CPU charge (the nodes of one adversary share what
 * they have). */
void chain_set_tip(proto_t *s, uint32_t node, sblock_t *sb);
void chain_relay(proto_t *s, uint32_t node, sblock_t *sb);
void chain_share(proto_t *s, uint32_t node, sblock_t *sb);

/* Coins on record: the genesis total, what the final main chain's rewards
 * minted, and the sum of all balances at its tip (block tip_index). */
typedef struct chain_supply {
    uint64_t genesis, minted, end_total;
    uint32_t tip_index;
} chain_supply_t;

/* Fills *out for the final main chain; false when genesis + minted differs
 * from end_total (a ledger bug: chain_trace_final then fails the run). */
bool chain_supply(proto_t *s, chain_supply_t *out);

/* End of run: final tips into the trace, the chain's tables, the summary. */
void chain_trace_final(proto_t *s);
bool chain_record(proto_t *s);
void chain_print_summary(const proto_t *s, FILE *out);

#endif
