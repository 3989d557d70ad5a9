/*
 * consensus.h - one interface for every consensus family.
 *
 * An engine answers four questions for the simulator and the nodes:
 *   - when may node i produce its next block on `tip`? (next_ns: PoW draws
 *     an exponential delay at the node's share of the hash power; slot-based
 *     engines return the start of the next slot the node owns)
 *   - what consensus fields does a new block carry? (prepare: difficulty,
 *     nonce, slot, proposer signature)
 *   - is a received block valid under the rules? (check: difficulty and
 *     proof of work, or proposer eligibility and signature)
 *   - which of two chains is better, and what is final? (compare, final)
 * Engines are pure with respect to the simulator: they see blocks, integer
 * virtual time and caller-supplied random draws, never the network or the
 * event queue. Their per-block memos live in block->cons.
 */
#ifndef CHAINSIM_CONSENSUS_H
#define CHAINSIM_CONSENSUS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/block.h"

typedef struct consensus consensus_t;

typedef struct consensus_ops {
    const char *name;
    /* Earliest time >= now_ns at which node may produce on tip, or
     * UINT64_MAX for never. unit is a uniform draw in (0, 1] from the node's
     * stream (used by PoW; ignored by slot-based engines). */
    uint64_t (*next_ns)(consensus_t *c, uint32_t node, const block_t *tip, uint64_t now_ns, double unit);
    /* A value that changes whenever a node's production schedule on tip
     * would differ. When the tip changes and this value does not, a pending
     * production time stays valid (PoW: the next difficulty; an exponential
     * waiting time at an unchanged rate is memoryless). */
    uint64_t (*schedule_key)(consensus_t *c, const block_t *tip);
    /* Fills the consensus fields of b (on b->parent) before block_seal. */
    void (*prepare)(consensus_t *c, block_t *b);
    /* Signs b as its producer with kp, after prepare and before block_seal
     * (slot-based engines put the signature in the header's extra bytes;
     * PoW does nothing). */
    void (*sign)(consensus_t *c, block_t *b, const keypair_t *kp);
    /* Checks b's consensus fields against its parent. On failure returns
     * false and a static reason. */
    bool (*check)(consensus_t *c, const block_t *b, const char **why);
    /* > 0 when a is the better tip, < 0 when b is, 0 when equal (callers
     * then keep the one they saw first). */
    int (*compare)(consensus_t *c, const block_t *a, const block_t *b);
    /* The latest final block on the chain ending at tip (genesis if none). */
    const block_t *(*final)(consensus_t *c, const block_t *tip);
    void (*free_block)(consensus_t *c, block_t *b);
    void (*destroy)(consensus_t *c);
} consensus_ops_t;

struct consensus {
    const consensus_ops_t *ops;
};

#endif
