/*
 * ledger.h - applying a block's transactions to its parent's state.
 *
 * Rules (for transfers): the signature is valid; the nonce equals the
 * sender's current nonce; the balance covers amount + fee; no overflow. The
 * transactions apply in block order, so a second spend of the same nonce in
 * one block fails. If any transaction fails, the whole block is invalid.
 * The producer receives the block reward plus all fees.
 */
#ifndef CHAINSIM_LEDGER_H
#define CHAINSIM_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/block.h"
#include "core/state.h"
#include "core/tx.h"

typedef enum {
    TXERR_OK = 0,
    TXERR_SIGNATURE,
    TXERR_NONCE_LOW,   /* already used: a double spend or a replay */
    TXERR_NONCE_HIGH,  /* a gap */
    TXERR_BALANCE,     /* amount + fee exceeds the balance */
    TXERR_OVERFLOW,
    TXERR_FORMAT,
    TXERR_COUNT
} txerr_t;

const char *txerr_name(txerr_t e);

/* Checks tx against state s without applying it. */
txerr_t ledger_check_tx(const state_t *s, tx_t *tx);

/* Applies tx to the mutable version s; on failure s is unchanged. */
txerr_t ledger_apply_tx(state_t *s, tx_t *tx);

/* Applies block b on b->parent->state (once; the result is memoised in b):
 * sets b->valid, b->invalid_reason and b->state. The parent must have been
 * applied and be valid. Returns b->valid. `reward` is the block reward. */
bool ledger_apply_block(block_t *b, uint64_t reward);

#endif
