/*
 * ledger.h - applying a block's transactions to its parent's state.
 *
 * Rules (for transfers): the signature is valid; the nonce equals the
 * sender's current nonce; the balance covers amount + fee; no overflow. The
 * transactions apply in block order, so a second spend of the same nonce in
 * one block fails. If any transaction fails, the whole block is invalid.
 * The producer receives the block reward plus all fees.
 *
 * Staking and voting keep their effect in the account state under reserved
 * addresses (derived by hashing a tag with the ids, so no key owns them).
 * Money stays in balances; tallies live in nonce fields, so the sum of
 * balances is conserved:
 *   - stake(v, amount): balance -= amount + fee; bond(sender, v).balance +=
 *     amount; stake_tally(v).nonce += amount;
 *   - unstake(v, amount): needs bond(sender, v).balance >= amount and the fee
 *     in the balance; the reverse moves;
 *   - vote(d): balance -= fee; the sender's weight is its balance after the
 *     fee (a snapshot); its previous vote, if any, is withdrawn from that
 *     delegate's tally; votes_tally(d).nonce += weight; the sender's vote
 *     record keeps (d + 1, weight).
 * A target id must be below LEDGER_MAX_TARGET.
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

#define LEDGER_MAX_TARGET 16777216u

/* Reserved addresses. */
void ledger_stake_tally_addr(uint32_t validator, addr_t *out);
void ledger_bond_addr(const addr_t *staker, uint32_t validator, addr_t *out);
void ledger_votes_tally_addr(uint32_t delegate, addr_t *out);
void ledger_vote_record_addr(const addr_t *voter, addr_t *out); /* nonce = delegate + 1 (0: none) */
void ledger_vote_weight_addr(const addr_t *voter, addr_t *out); /* nonce = weight of that vote */

/* Total stake bonded to validator / votes for delegate in state s. */
uint64_t ledger_stake_of(const state_t *s, uint32_t validator);
uint64_t ledger_votes_of(const state_t *s, uint32_t delegate);

/* What a transaction takes from the sender's balance: amount + fee, or only
 * the fee for unstake and vote (saturating). */
uint64_t ledger_tx_cost(const tx_t *tx);

/* Checks tx against state s without applying it. */
txerr_t ledger_check_tx(const state_t *s, tx_t *tx);

/* Applies tx to the mutable version s; on failure s is unchanged. */
txerr_t ledger_apply_tx(state_t *s, tx_t *tx);

/* Applies block b on b->parent->state (once; the result is memoised in b):
 * sets b->valid, b->invalid_reason and b->state. The parent must have been
 * applied and be valid. Returns b->valid. `reward` is the block reward. */
bool ledger_apply_block(block_t *b, uint64_t reward);

#endif
