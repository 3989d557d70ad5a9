/*
 * dpos.h - delegated proof of stake, modelled on EOS.
 *
 * Votes elect the top N delegates (ties by lower node id; only nodes with
 * votes > 0 are candidates, so fewer than N may be elected: the number
 * elected, n, is fixed by the config votes). Time is cut into slots of
 * interval_ns: slot s starts at s x interval_ns; slot 0 is genesis. Round r
 * covers the n x K slots [1 + r*n*K, 1 + (r+1)*n*K); its schedule is the
 * delegates elected for it shuffled by a deterministic Fisher-Yates keyed by
 * (seed, r), each delegate producing K consecutive slots.
 *
 * Votes on the chain: the votes of node d (0 <= d < nnodes) for round r on
 * the chain ending at block b are cfg.votes[d] + ledger_votes_of(S, d),
 * where S is the state (b->state, see core/ledger.h) of the last block on
 * b's chain with slot < the first slot of round r. Round 0 and a NULL state
 * count no extra votes. Chain votes only add, so n delegates are always
 * elected for every round; they can change who produces, not how many. A
 * block's producer is looked up on its parent's chain (check, next_ns).
 *
 * A block carries its slot, difficulty 1 (cumulative work = height) and the
 * producer's Ed25519 signature in the header's extra bytes (signed:
 * BLAKE2b-256 of the header encoded without extra bytes). check rejects, in this order: "no parent", "slot not after
 * the parent's", "block outside its slot" (time_ns != slot x interval_ns),
 * "producer not scheduled for this slot", "wrong difficulty" (not 1), "bad
 * producer signature". A block is irreversible once floor(2n/3) + 1 distinct
 * producers have built on it; forks are chosen by height, never across the
 * last irreversible block (compare(a, b) is -1 when a does not contain
 * final(b), else 1 when b does not contain final(a), else by height).
 */
#ifndef CHAINSIM_DPOS_H
#define CHAINSIM_DPOS_H

#include "core/consensus.h"

#define DPOS_DEFAULT_PRODUCERS 21
#define DPOS_DEFAULT_BLOCKS_PER_TURN 12
#define DPOS_DEFAULT_INTERVAL_NS 500000000ull

/* dpos_producer() of a slot that nobody produces (genesis, no delegates). */
#define DPOS_NO_PRODUCER UINT32_MAX

typedef struct dpos_cfg {
    uint32_t nnodes;                     /* delegate candidates are nodes 0..nnodes-1 */
    const uint64_t *votes;               /* per node; NULL = nobody; copied */
    uint32_t producers;                  /* N; 0 = DPOS_DEFAULT_PRODUCERS */
    uint32_t blocks_per_turn;            /* K; 0 = DPOS_DEFAULT_BLOCKS_PER_TURN */
    uint64_t interval_ns;                /* slot length; 0 = DPOS_DEFAULT_INTERVAL_NS */
    uint64_t seed;                       /* keys the per-round shuffle */
    bool sorted;                         /* true: the elected producers take turns in a fixed order
                                          * (node id ascending, as EOSIO orders a schedule by account
                                          * name); false: reshuffled every round */
    bool two_stage;                      /* true: EOSIO 1.x's two-stage irreversibility (see
                                          * dpos_final in dpos.c); false: single stage */
    const uint8_t (*pubkeys)[PK_BYTES];  /* per node, checks signatures; copied.
                                          * NULL: every block fails the
                                          * signature check */
} dpos_cfg_t;

/* A new engine for cfg (not kept: votes and pubkeys are copied). Free with
 * ops->destroy after ops->free_block has been called on every block the
 * engine has seen (per-block memos belong to the engine). */
consensus_t *dpos_new(const dpos_cfg_t *cfg);

/* Number of elected producers (N after dropping nodes without votes). */
uint32_t dpos_nproducers(consensus_t *c);

/* The node scheduled for slot for a block built on parent (the chain
 * ending at parent elects it), or DPOS_NO_PRODUCER for slot 0 (genesis) or
 * when no delegate is elected. parent NULL: config votes only. */
uint32_t dpos_producer_on(consensus_t *c, const block_t *parent, uint64_t slot);

/* The node scheduled for slot by the config votes alone (no chain votes):
 * dpos_producer_on(c, NULL, slot). On a chain without vote transactions this
 * is the producer of every block. */
uint32_t dpos_producer(consensus_t *c, uint64_t slot);

/* The slot whose interval contains time_ns. */
uint64_t dpos_slot_at(consensus_t *c, uint64_t time_ns);

/* The shuffled producers of round on the chain ending at parent (NULL:
 * config votes only), *n of them (0 and NULL when none). The array belongs
 * to the engine's bounded schedule cache: it stays valid until the next call
 * of any dpos_* function or op on c. */
const uint32_t *dpos_schedule_on(consensus_t *c, const block_t *parent, uint64_t round, uint32_t *n);

/* The schedule of round from the config votes alone:
 * dpos_schedule_on(c, NULL, round, n), same lifetime. */
const uint32_t *dpos_schedule(consensus_t *c, uint64_t round, uint32_t *n);

#endif
