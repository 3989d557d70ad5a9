/*
 * pow.h - Nakamoto proof of work.
 *
 * Difficulty is the expected number of hashes per block. Miner i with a
 * share s_i of the total hash rate H finds the next block after an
 * exponential time of mean difficulty / (s_i * H); the draw is redone
 * whenever the miner's tip changes (the process is memoryless). Every
 * retarget_blocks blocks the difficulty is multiplied by
 * target interval x retarget_blocks / actual time span of the last
 * retarget_blocks blocks, clamped to [1/clamp, clamp]. The heaviest chain
 * (cumulative difficulty) wins; equal work keeps the first seen. A block is
 * final once `confirmations` blocks (itself included) are on top of it.
 *
 * Validation mode (real_bits > 0): each block also carries a nonce found by a
 * real search such that SHA-256(SHA-256(header)) has real_bits leading zero
 * bits, and receivers check it. The time the block is found is still drawn
 * from the exponential distribution.
 */
#ifndef CHAINSIM_POW_H
#define CHAINSIM_POW_H

#include "core/consensus.h"

typedef struct pow_cfg {
    uint64_t interval_ns;       /* target block interval */
    uint64_t total_hashrate;    /* hashes per second, all miners together */
    uint32_t retarget_blocks;   /* 0 = never */
    uint32_t retarget_clamp;    /* >= 1 */
    uint32_t confirmations;     /* >= 1 */
    uint32_t real_bits;         /* 0 = sampled only */
    uint32_t nnodes;
    const uint64_t *hashrate;   /* per node, hashes per second (0 = not mining); copied */
} pow_cfg_t;

consensus_t *pow_new(const pow_cfg_t *cfg);

/* Difficulty of the genesis block for cfg. */
uint64_t pow_genesis_difficulty(const pow_cfg_t *cfg);

/* The difficulty a block on parent must carry. */
uint64_t pow_next_difficulty(consensus_t *c, const block_t *parent);

/* Leading zero bits of SHA-256d of b's header. */
uint32_t pow_hash_zero_bits(const block_t *b);

#endif
