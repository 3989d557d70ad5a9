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

static void reserved_addr(const char *tag, const uint8_t *data, size_t len, addr_t *out)
{
    hasher_t h;
    hash32_t d;
    hasher_begin(&h);
    hasher_update(&h, tag, strlen(tag) + 1);
    hasher_update(&h, data, len);
    hasher_end(&h, &d);
    memcpy(out->b, d.b, ADDR_BYTES);
}

static void id_bytes(uint32_t id, uint8_t out[4])
{
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(id >> (8 * i));
}

void ledger_stake_tally_addr(uint32_t validator, addr_t *out)
{
    uint8_t b[4];
    id_bytes(validator, b);
    reserved_addr("chainsim-stake", b, 4, out);
}

void ledger_bond_addr(const addr_t *staker, uint32_t validator, addr_t *out)
{
    uint8_t b[ADDR_BYTES + 4];
    memcpy(b, staker->b, ADDR_BYTES);
    id_bytes(validator, b + ADDR_BYTES);
    reserved_addr("chainsim-bond", b, sizeof b, out);
}

void ledger_votes_tally_addr(uint32_t delegate, addr_t *out)
{
    uint8_t b[4];
    id_bytes(delegate, b);
    reserved_addr("chainsim-votes", b, 4, out);
}

void ledger_vote_record_addr(const addr_t *voter, addr_t *out)
{
    reserved_addr("chainsim-vote", voter->b, ADDR_BYTES, out);
}

void ledger_vote_weight_addr(const addr_t *voter, addr_t *out)
{
    reserved_addr("chainsim-vote-weight", voter->b, ADDR_BYTES, out);
}

uint64_t ledger_stake_of(const state_t *s, uint32_t validator)
{
    addr_t a;
    ledger_stake_tally_addr(validator, &a);
    return state_get(s, &a).nonce;
}

uint64_t ledger_votes_of(const state_t *s, uint32_t delegate)
{
    addr_t a;
    ledger_votes_tally_addr(delegate, &a);
    return state_get(s, &a).nonce;
}

uint64_t ledger_tx_cost(const tx_t *tx)
{
    if (tx->kind == TX_UNSTAKE || tx->kind == TX_VOTE)
        return tx->fee;
    return tx->amount > UINT64_MAX - tx->fee ? UINT64_MAX : tx->amount + tx->fee;
}

txerr_t ledger_check_tx(const state_t *s, tx_t *tx)
{
    if (tx->kind < TX_TRANSFER || tx->kind > TX_KIND_MAX)
        return TXERR_FORMAT;
    if (tx->kind == TX_TRANSFER ? tx->payload_len != 0 : tx_target(tx) >= LEDGER_MAX_TARGET)
        return TXERR_FORMAT;
    if ((tx->kind == TX_STAKE || tx->kind == TX_UNSTAKE) && tx->amount == 0)
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
    if (ledger_tx_cost(tx) > from.balance)
        return TXERR_BALANCE;
    switch (tx->kind) {
    case TX_TRANSFER:
        if (!addr_equal(&tx->sender, &tx->recipient)) {
            account_t to = state_get(s, &tx->recipient);
            if (to.balance > UINT64_MAX - tx->amount)
                return TXERR_OVERFLOW;
        }
        break;
    case TX_STAKE: {
        addr_t tally;
        ledger_stake_tally_addr(tx_target(tx), &tally);
        if (state_get(s, &tally).nonce > UINT64_MAX - tx->amount)
            return TXERR_OVERFLOW;
        break;
    }
    case TX_UNSTAKE: {
        addr_t bond;
        ledger_bond_addr(&tx->sender, tx_target(tx), &bond);
        if (state_get(s, &bond).balance < tx->amount)
            return TXERR_BALANCE;
        break;
    }
    default:
        break;
    }
    return TXERR_OK;
}

/* Adds delta (may be negative through `add` false) to an account's balance
 * or nonce field. */
static void bump(state_t *s, const addr_t *a, bool balance, bool add, uint64_t v)
{
    account_t acct = state_get(s, a);
    uint64_t *f = balance ? &acct.balance : &acct.nonce;
    *f = add ? *f + v : *f - v;
    state_set(s, a, acct);
}

txerr_t ledger_apply_tx(state_t *s, tx_t *tx)
{
    txerr_t err = ledger_check_tx(s, tx);
    if (err != TXERR_OK)
        return err;
    account_t from = state_get(s, &tx->sender);
    from.balance -= ledger_tx_cost(tx);
    from.nonce += 1;
    state_set(s, &tx->sender, from);
    addr_t a, b;
    const uint32_t target = tx_target(tx);
    switch (tx->kind) {
    case TX_TRANSFER: {
        /* Read the recipient after the sender's update: they may be the same. */
        account_t to = state_get(s, &tx->recipient);
        to.balance += tx->amount;
        state_set(s, &tx->recipient, to);
        break;
    }
    case TX_STAKE:
        ledger_bond_addr(&tx->sender, target, &a);
        ledger_stake_tally_addr(target, &b);
        bump(s, &a, true, true, tx->amount);
        bump(s, &b, false, true, tx->amount);
        break;
    case TX_UNSTAKE:
        ledger_bond_addr(&tx->sender, target, &a);
        ledger_stake_tally_addr(target, &b);
        bump(s, &a, true, false, tx->amount);
        bump(s, &b, false, false, tx->amount);
        bump(s, &tx->sender, true, true, tx->amount);
        break;
    case TX_VOTE: {
        addr_t rec, wt, tally;
        ledger_vote_record_addr(&tx->sender, &rec);
        ledger_vote_weight_addr(&tx->sender, &wt);
        uint64_t old = state_get(s, &rec).nonce, old_w = state_get(s, &wt).nonce;
        if (old) {
            ledger_votes_tally_addr((uint32_t)(old - 1), &tally);
            bump(s, &tally, false, false, old_w);
        }
        uint64_t w = from.balance;
        ledger_votes_tally_addr(target, &tally);
        bump(s, &tally, false, true, w);
        state_set(s, &rec, (account_t){ .balance = state_get(s, &rec).balance, .nonce = (uint64_t)target + 1 });
        state_set(s, &wt, (account_t){ .balance = state_get(s, &wt).balance, .nonce = w });
        break;
    }
    default:
        break;
    }
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
