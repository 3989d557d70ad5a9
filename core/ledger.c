/*
 * ledger.c - transaction rules and block application.
 *
 * Transaction rules, checked in this order (the first failure is reported):
 *   1. format: the kind is a transfer and it carries no payload (TXERR_FORMAT);
 *   2. signature: tx_verify, memoised in the transaction (TXERR_SIGNATURE);
 *   3. nonce: equal to the sender's nonce; lower is a replay or double spend
 *      (TXERR_NONCE_LOW), higher a gap (TXERR_NONCE_HIGH);
 *   4. amount + fee does not overflow, nor does the sender's nonce + 1
 *      (TXERR_OVERFLOW);
 *   5. amount + fee <= the sender's balance (TXERR_BALANCE);
 *   6. the recipient's balance + amount does not overflow (TXERR_OVERFLOW).
 * Applying moves amount from sender to recipient, takes the fee from the
 * sender and increments the sender's nonce. The fee is not credited by
 * ledger_apply_tx: the block credits all fees to its producer at the end.
 *
 * Block application (ledger_apply_block): on a new mutable child of the
 * parent's state, apply every transaction in block order (so a repeated nonce
 * in one block fails as TXERR_NONCE_LOW), sum the fees, then credit reward +
 * fees to h.producer_addr. The sum of all balances is conserved except for
 * the reward: total(child) = total(parent) + reward. Minting checks that
 * reward + fees, the producer's balance and the total all stay within
 * uint64_t, which keeps state.c's invariant (the total fits) and therefore
 * makes rule 6 unreachable for states built by the ledger; it is checked
 * anyway.
 *
 * Memo: the outcome is stored in the block (valid, invalid_reason, state) and
 * returned as is on later calls, whatever the reward argument then; every
 * node gets the same answer, so it is computed once. An invalid block keeps
 * state = NULL: the partially built child is released, nothing leaks into the
 * tree of versions. A child of an invalid block is invalid ("parent block is
 * invalid"); a parent that was never applied is a bug in the caller (abort).
 * Before any transaction runs, the header must commit to the transactions
 * (block_check_root): "transactions root does not match the transactions",
 * or "duplicate transaction" for a list that repeats a transaction so that
 * its root is ambiguous.
 *
 * Reasons are static strings. The per-transaction ones name the index and the
 * error ("transaction 3: nonce already used"); they are interned with
 * g_intern_string, which keeps one permanent copy of each distinct text.
 */
#include "core/ledger.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEDGER_ASSERT(c)                                                     \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

static const char *const txerr_names[TXERR_COUNT] = {
    [TXERR_OK] = "ok",
    [TXERR_SIGNATURE] = "bad signature",
    [TXERR_NONCE_LOW] = "nonce already used",
    [TXERR_NONCE_HIGH] = "nonce gap",
    [TXERR_BALANCE] = "amount plus fee exceeds balance",
    [TXERR_OVERFLOW] = "overflow",
    [TXERR_FORMAT] = "bad format",
};

const char *txerr_name(txerr_t e)
{
    if ((unsigned)e >= TXERR_COUNT)
        return "unknown error";
    return txerr_names[e];
}

txerr_t ledger_check_tx(const state_t *s, tx_t *tx)
{
    if (tx->kind != TX_TRANSFER || tx->payload_len != 0)
        return TXERR_FORMAT;
    if (!tx_verify(tx))
        return TXERR_SIGNATURE;
    account_t from = state_get(s, &tx->sender);
    if (tx->nonce < from.nonce)
        return TXERR_NONCE_LOW;
    if (tx->nonce > from.nonce)
        return TXERR_NONCE_HIGH;
    if (tx->amount > UINT64_MAX - tx->fee || from.nonce == UINT64_MAX)
        return TXERR_OVERFLOW;
    uint64_t cost = tx->amount + tx->fee;
    if (cost > from.balance)
        return TXERR_BALANCE;
    if (!addr_equal(&tx->sender, &tx->recipient)) {
        account_t to = state_get(s, &tx->recipient);
        if (to.balance > UINT64_MAX - tx->amount)
            return TXERR_OVERFLOW;
    }
    return TXERR_OK;
}

txerr_t ledger_apply_tx(state_t *s, tx_t *tx)
{
    txerr_t err = ledger_check_tx(s, tx);
    if (err != TXERR_OK)
        return err;
    account_t from = state_get(s, &tx->sender);
    from.balance -= tx->amount + tx->fee;
    from.nonce += 1;
    state_set(s, &tx->sender, from);
    /* Read the recipient after the sender's update: they may be the same. */
    account_t to = state_get(s, &tx->recipient);
    to.balance += tx->amount;
    state_set(s, &tx->recipient, to);
    return TXERR_OK;
}

/* Marks b invalid with a static reason; drops the partial state. */
static bool block_reject(block_t *b, state_t *partial, const char *reason)
{
    if (partial != NULL)
        state_unref(partial);
    b->valid = 0;
    b->invalid_reason = reason;
    b->state = NULL;
    return false;
}

bool ledger_apply_block(block_t *b, uint64_t reward)
{
    if (b->valid != -1)
        return b->valid == 1;
    /* Genesis has no parent; its state is set by the caller. */
    LEDGER_ASSERT(b->parent != NULL);
    const block_t *parent = b->parent;
    LEDGER_ASSERT(parent->valid != -1); /* apply blocks parent first */
    if (parent->valid == 0)
        return block_reject(b, NULL, "parent block is invalid");
    LEDGER_ASSERT(parent->state != NULL);
    if (!block_check_root(b)) {
        /* Tell a repeated transaction (a root that matches but is ambiguous,
         * see block.c) from a root that commits to other transactions. */
        hash32_t root;
        block_tx_root(b->txs, b->ntx, &root);
        if (memcmp(root.b, b->h.tx_root.b, HASH_BYTES) == 0)
            return block_reject(b, NULL, "duplicate transaction");
        return block_reject(b, NULL, "transactions root does not match the transactions");
    }

    state_t *s = state_child(parent->state);
    uint64_t fees = 0;
    for (uint32_t i = 0; i < b->ntx; i++) {
        tx_t *tx = b->txs[i];
        txerr_t err = ledger_apply_tx(s, tx);
        if (err != TXERR_OK) {
            char *text = g_strdup_printf("transaction %u: %s", i, txerr_name(err));
            const char *reason = g_intern_string(text);
            g_free(text);
            return block_reject(b, s, reason);
        }
        /* Fees are bounded by the total supply; checked for completeness. */
        if (fees > UINT64_MAX - tx->fee)
            return block_reject(b, s, "sum of fees overflows");
        fees += tx->fee;
    }

    if (reward > UINT64_MAX - fees)
        return block_reject(b, s, "reward plus fees overflows");
    uint64_t credit = reward + fees;
    if (credit > 0) {
        if (state_total(s) > UINT64_MAX - credit)
            return block_reject(b, s, "reward overflows the total supply");
        account_t producer = state_get(s, &b->h.producer_addr);
        if (producer.balance > UINT64_MAX - credit)
            return block_reject(b, s, "reward overflows the producer's balance");
        producer.balance += credit;
        state_set(s, &b->h.producer_addr, producer);
    }
    state_seal(s);
    b->state = s;
    b->invalid_reason = NULL;
    b->valid = 1;
    return true;
}
