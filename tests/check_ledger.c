/*
 * check_ledger.c - Check suite for core/ledger, with the block basics it
 * relies on (core/block: Merkle root, header, id, size, work).
 *
 * A valid block moves balances and nonces, credits reward + fees to its
 * producer and conserves the total plus the reward. Each invalid case (bad
 * signature, a nonce reused across blocks or within one block, a nonce gap,
 * an overspend, overflows, a payload on a transfer, a wrong transactions
 * root, an invalid parent) makes the whole block invalid and leaves no state,
 * while the parent's state stays as it was. The result is memoised in the
 * block. Two competing children of one parent each get their own state: the
 * switch from one to the other is what a reorganisation does to balances.
 *
 * Every test starts from the same genesis (fixture): alice 1,000,000, bob
 * 500,000; carol and the producer start empty.
 */
#include "core/block.h"
#include "core/hash.h"
#include "core/keys.h"
#include "core/ledger.h"
#include "core/state.h"
#include "core/tx.h"

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define ALICE_START 1000000u
#define BOB_START 500000u
#define REWARD 50u

static keypair_t alice, bob, carol, producer;
static state_t *genesis_state;
static block_t *genesis;

/* Every block a test creates, freed children first by teardown. */
static GPtrArray *blocks;

static void setup(void)
{
    hash_init();
    keys_derive(&alice, 7, 0);
    keys_derive(&bob, 7, 1);
    keys_derive(&carol, 7, 2);
    keys_derive(&producer, 7, 3);
    addr_t addrs[2] = {alice.addr, bob.addr};
    uint64_t balances[2] = {ALICE_START, BOB_START};
    genesis_state = state_genesis(addrs, balances, 2);
    genesis = block_new(NULL, 0, 0, &producer.addr, NULL, 0, 0);
    /* The caller sets genesis state directly; the block owns a reference. */
    genesis->valid = 1;
    genesis->state = state_ref(genesis_state);
    blocks = g_ptr_array_new();
    g_ptr_array_add(blocks, genesis);
}

static void teardown(void)
{
    for (guint i = blocks->len; i > 0; i--)
        block_free(g_ptr_array_index(blocks, i - 1));
    g_ptr_array_free(blocks, TRUE);
    state_unref(genesis_state);
}

/* A block on parent holding txs; the references passed in are consumed. */
static block_t *mkblock(block_t *parent, tx_t **txs, uint32_t ntx)
{
    block_t *b = block_new(parent, parent ? parent->h.time_ns + 1000 : 0, 3, &producer.addr, txs, ntx, 0);
    for (uint32_t i = 0; i < ntx; i++)
        tx_unref(txs[i]);
    g_ptr_array_add(blocks, b);
    return b;
}

static account_t get(const state_t *s, const keypair_t *kp)
{
    return state_get(s, &kp->addr);
}

static void assert_acct(account_t a, uint64_t balance, uint64_t nonce)
{
    ck_assert_uint_eq(a.balance, balance);
    ck_assert_uint_eq(a.nonce, nonce);
}

/* The genesis state is exactly as it started. */
static void assert_genesis_intact(void)
{
    assert_acct(get(genesis_state, &alice), ALICE_START, 0);
    assert_acct(get(genesis_state, &bob), BOB_START, 0);
    assert_acct(get(genesis_state, &carol), 0, 0);
    assert_acct(get(genesis_state, &producer), 0, 0);
    ck_assert_uint_eq(state_total(genesis_state), ALICE_START + BOB_START);
    ck_assert_uint_eq(state_accounts(genesis_state), 2);
}

/* Applies b and asserts it is invalid with exactly this reason. */
static void assert_invalid(block_t *b, uint64_t reward, const char *reason)
{
    ck_assert(!ledger_apply_block(b, reward));
    ck_assert_int_eq(b->valid, 0);
    ck_assert_ptr_null(b->state);
    ck_assert_ptr_nonnull(b->invalid_reason);
    ck_assert_str_eq(b->invalid_reason, reason);
}

START_TEST(test_valid_block)
{
    tx_t *txs[3] = {
        tx_new_transfer(&alice, &bob.addr, 1000, 10, 0),
        tx_new_transfer(&alice, &carol.addr, 500, 5, 1),
        tx_new_transfer(&bob, &alice.addr, 200, 1, 0),
    };
    block_t *b = mkblock(genesis, txs, 3);
    ck_assert_int_eq(b->valid, -1);
    ck_assert(ledger_apply_block(b, REWARD));
    ck_assert_int_eq(b->valid, 1);
    ck_assert_ptr_null(b->invalid_reason);
    ck_assert_ptr_nonnull(b->state);
    ck_assert_uint_eq(state_depth(b->state), 1);
    ck_assert_ptr_eq(state_parent(b->state), genesis_state);

    const state_t *s = b->state;
    assert_acct(get(s, &alice), ALICE_START - 1000 - 10 - 500 - 5 + 200, 2);
    assert_acct(get(s, &bob), BOB_START + 1000 - 200 - 1, 1);
    assert_acct(get(s, &carol), 500, 0);
    assert_acct(get(s, &producer), REWARD + 10 + 5 + 1, 0);
    ck_assert_uint_eq(state_total(s), state_total(genesis_state) + REWARD);
    ck_assert_uint_eq(state_accounts(s), 4);
    /* Signatures were checked, and remembered. */
    for (uint32_t i = 0; i < b->ntx; i++)
        ck_assert_int_eq(b->txs[i]->sig_ok, 1);

    /* The undo data: four accounts changed, sorted, from genesis values. */
    size_t n;
    const state_change_t *d = state_delta(s, &n);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(addr_cmp(&d[i - 1].addr, &d[i].addr), 0);
    for (size_t i = 0; i < n; i++) {
        account_t before = state_get(genesis_state, &d[i].addr);
        ck_assert_uint_eq(d[i].before.balance, before.balance);
        ck_assert_uint_eq(d[i].before.nonce, before.nonce);
    }
    assert_genesis_intact();

    /* A second block on top continues from this state. */
    tx_t *more[1] = {tx_new_transfer(&carol, &bob.addr, 100, 2, 0)};
    block_t *b2 = mkblock(b, more, 1);
    ck_assert(ledger_apply_block(b2, REWARD));
    assert_acct(get(b2->state, &carol), 398, 1);
    assert_acct(get(b2->state, &producer), 2 * REWARD + 18, 0);
    ck_assert_uint_eq(state_total(b2->state), state_total(genesis_state) + 2 * REWARD);

    /* An empty block only mints the reward; a zero reward changes nothing. */
    block_t *e = mkblock(b2, NULL, 0);
    ck_assert(ledger_apply_block(e, REWARD));
    assert_acct(get(e->state, &producer), 3 * REWARD + 18, 0);
    block_t *z = mkblock(e, NULL, 0);
    ck_assert(ledger_apply_block(z, 0));
    d = state_delta(z->state, &n);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(state_total(z->state), state_total(e->state));
}
END_TEST

START_TEST(test_spend_exact_balance)
{
    /* amount + fee == balance is allowed; the account ends empty. */
    tx_t *txs[1] = {tx_new_transfer(&bob, &carol.addr, BOB_START - 7, 7, 0)};
    block_t *b = mkblock(genesis, txs, 1);
    ck_assert(ledger_apply_block(b, REWARD));
    assert_acct(get(b->state, &bob), 0, 1);
    assert_acct(get(b->state, &carol), BOB_START - 7, 0);
    /* bob still exists: his nonce is 1. */
    ck_assert_uint_eq(state_accounts(b->state), 4);
}
END_TEST

START_TEST(test_self_transfer)
{
    tx_t *txs[1] = {tx_new_transfer(&alice, &alice.addr, 400, 3, 0)};
    block_t *b = mkblock(genesis, txs, 1);
    ck_assert(ledger_apply_block(b, 0));
    assert_acct(get(b->state, &alice), ALICE_START - 3, 1);
    assert_acct(get(b->state, &producer), 3, 0);
    ck_assert_uint_eq(state_total(b->state), state_total(genesis_state));
}
END_TEST

START_TEST(test_bad_signature)
{
    tx_t *honest = tx_new_transfer(&bob, &carol.addr, 10, 1, 0);
    /* bob's signature on a transaction claiming to come from alice. */
    tx_t *forged = tx_new_unchecked(alice.pk, &bob.addr, 10, 1, 0, honest->sig);
    tx_t *txs[2] = {honest, forged};
    block_t *b = mkblock(genesis, txs, 2);
    assert_invalid(b, REWARD, "transaction 1: bad signature");
    ck_assert_int_eq(b->txs[1]->sig_ok, 0);
    assert_genesis_intact();
}
END_TEST

START_TEST(test_nonce_reuse_across_blocks)
{
    tx_t *t0 = tx_new_transfer(&alice, &bob.addr, 100, 1, 0);
    tx_t *txs[1] = {tx_ref(t0)};
    block_t *b1 = mkblock(genesis, txs, 1);
    ck_assert(ledger_apply_block(b1, REWARD));

    /* Replaying the same transaction in the next block. */
    txs[0] = tx_ref(t0);
    block_t *replay = mkblock(b1, txs, 1);
    assert_invalid(replay, REWARD, "transaction 0: nonce already used");

    /* A different spend of the same nonce (a double spend). */
    txs[0] = tx_new_transfer(&alice, &carol.addr, 900, 1, 0);
    block_t *dbl = mkblock(b1, txs, 1);
    assert_invalid(dbl, REWARD, "transaction 0: nonce already used");

    /* b1's state is untouched by the failures. */
    assert_acct(get(b1->state, &alice), ALICE_START - 101, 1);
    assert_acct(get(b1->state, &carol), 0, 0);
    ck_assert_uint_eq(state_total(b1->state), ALICE_START + BOB_START + REWARD);
    tx_unref(t0);
}
END_TEST

START_TEST(test_nonce_reuse_within_block)
{
    tx_t *txs[3] = {
        tx_new_transfer(&bob, &carol.addr, 5, 1, 0),
        tx_new_transfer(&alice, &bob.addr, 100, 1, 0),
        tx_new_transfer(&alice, &carol.addr, 100, 1, 0),
    };
    block_t *b = mkblock(genesis, txs, 3);
    assert_invalid(b, REWARD, "transaction 2: nonce already used");
    assert_genesis_intact();

    /* The very same transaction twice, not as Merkle siblings: the nonce
     * rule rejects it. */
    tx_t *t = tx_new_transfer(&alice, &bob.addr, 100, 1, 0);
    tx_t *thrice[3] = {tx_new_transfer(&bob, &carol.addr, 5, 1, 0), tx_ref(t), tx_ref(t)};
    block_t *b2 = mkblock(genesis, thrice, 3);
    assert_invalid(b2, REWARD, "transaction 2: nonce already used");
    /* As siblings ([t, t] has the same root as [t]) it is caught before any
     * transaction runs. */
    tx_t *twice[2] = {tx_ref(t), t};
    block_t *b3 = mkblock(genesis, twice, 2);
    assert_invalid(b3, REWARD, "duplicate transaction");
    assert_genesis_intact();
}
END_TEST

START_TEST(test_nonce_gap)
{
    tx_t *txs[2] = {
        tx_new_transfer(&alice, &bob.addr, 100, 1, 0),
        tx_new_transfer(&alice, &bob.addr, 100, 1, 2),
    };
    block_t *b = mkblock(genesis, txs, 2);
    assert_invalid(b, REWARD, "transaction 1: nonce gap");
    assert_genesis_intact();
}
END_TEST

START_TEST(test_overspend)
{
    /* amount alone fits, amount + fee does not. */
    tx_t *txs[1] = {tx_new_transfer(&bob, &carol.addr, BOB_START, 1, 0)};
    block_t *b = mkblock(genesis, txs, 1);
    assert_invalid(b, REWARD, "transaction 0: amount plus fee exceeds balance");

    /* Spending money received earlier in the same block is fine, but not
     * more than that. */
    tx_t *ok[2] = {
        tx_new_transfer(&alice, &carol.addr, 1000, 0, 0),
        tx_new_transfer(&carol, &bob.addr, 990, 10, 0),
    };
    block_t *b2 = mkblock(genesis, ok, 2);
    ck_assert(ledger_apply_block(b2, REWARD));
    tx_t *bad[2] = {
        tx_new_transfer(&alice, &carol.addr, 1000, 0, 0),
        tx_new_transfer(&carol, &bob.addr, 991, 10, 0),
    };
    block_t *b3 = mkblock(genesis, bad, 2);
    assert_invalid(b3, REWARD, "transaction 1: amount plus fee exceeds balance");
    /* An account that never existed cannot pay a zero-amount fee. */
    tx_t *empty[1] = {tx_new_transfer(&carol, &bob.addr, 0, 1, 0)};
    block_t *b4 = mkblock(genesis, empty, 1);
    assert_invalid(b4, REWARD, "transaction 0: amount plus fee exceeds balance");
    assert_genesis_intact();
}
END_TEST

START_TEST(test_overflow)
{
    /* amount + fee overflows 64 bits. */
    tx_t *txs[1] = {tx_new_transfer(&alice, &bob.addr, UINT64_MAX, 1, 0)};
    block_t *b = mkblock(genesis, txs, 1);
    assert_invalid(b, REWARD, "transaction 0: overflow");

    /* The reward would push the total supply past 2^64 - 1. */
    uint64_t too_much = UINT64_MAX - state_total(genesis_state) + 1;
    block_t *e = mkblock(genesis, NULL, 0);
    assert_invalid(e, too_much, "reward overflows the total supply");

    /* reward + fees overflows. */
    tx_t *fee[1] = {tx_new_transfer(&alice, &bob.addr, 1, 10, 0)};
    block_t *f = mkblock(genesis, fee, 1);
    assert_invalid(f, UINT64_MAX - 5, "reward plus fees overflows");

    /* The largest reward that fits is accepted. */
    block_t *max = mkblock(genesis, NULL, 0);
    ck_assert(ledger_apply_block(max, too_much - 1));
    ck_assert_uint_eq(state_total(max->state), UINT64_MAX);
    assert_genesis_intact();
}
END_TEST

START_TEST(test_payload_on_transfer)
{
    /* A correctly signed transfer that carries a payload (decodable, but not
     * a valid transfer). */
    tx_t *base = tx_new_transfer(&alice, &bob.addr, 10, 1, 0);
    uint8_t buf[TX_FIXED_BYTES + 4];
    ck_assert_uint_eq(tx_encode(base, buf, sizeof buf), TX_FIXED_BYTES);
    buf[78] = 4; /* payload length 4 */
    memset(buf + 82, 0xab, 4);
    keys_sign(&alice, buf, 86, buf + 86);
    const char *why;
    tx_t *t = tx_decode(buf, sizeof buf, &why);
    ck_assert_ptr_nonnull(t);
    ck_assert(tx_verify(t));
    ck_assert_int_eq(ledger_check_tx(genesis_state, t), TXERR_FORMAT);
    tx_t *txs[1] = {t};
    block_t *b = mkblock(genesis, txs, 1);
    assert_invalid(b, REWARD, "transaction 0: bad format");
    tx_unref(base);
}
END_TEST

START_TEST(test_check_and_apply_tx)
{
    tx_t *good = tx_new_transfer(&alice, &bob.addr, 10, 1, 0);
    tx_t *gap = tx_new_transfer(&alice, &bob.addr, 10, 1, 5);
    ck_assert_int_eq(ledger_check_tx(genesis_state, good), TXERR_OK);
    ck_assert_int_eq(ledger_check_tx(genesis_state, gap), TXERR_NONCE_HIGH);

    state_t *s = state_child(genesis_state);
    ck_assert_int_eq(ledger_apply_tx(s, gap), TXERR_NONCE_HIGH);
    ck_assert_int_eq(ledger_apply_tx(s, good), TXERR_OK);
    /* The fee left alice; nobody has it yet (the block credits it). */
    assert_acct(get(s, &alice), ALICE_START - 11, 1);
    assert_acct(get(s, &bob), BOB_START + 10, 0);
    ck_assert_uint_eq(state_total(s), ALICE_START + BOB_START - 1);
    /* Failures leave s unchanged. */
    ck_assert_int_eq(ledger_apply_tx(s, good), TXERR_NONCE_LOW);
    tx_t *big = tx_new_transfer(&alice, &bob.addr, ALICE_START, 0, 1);
    ck_assert_int_eq(ledger_apply_tx(s, big), TXERR_BALANCE);
    assert_acct(get(s, &alice), ALICE_START - 11, 1);
    state_seal(s);
    size_t n;
    state_delta(s, &n);
    ck_assert_uint_eq(n, 2);
    state_unref(s);

    for (int e = 0; e < TXERR_COUNT; e++) {
        ck_assert_ptr_nonnull(txerr_name((txerr_t)e));
        for (int f = 0; f < e; f++)
            ck_assert_str_ne(txerr_name((txerr_t)e), txerr_name((txerr_t)f));
    }
    ck_assert_ptr_nonnull(txerr_name(TXERR_COUNT));
    tx_unref(good);
    tx_unref(gap);
    tx_unref(big);
}
END_TEST

START_TEST(test_memo)
{
    tx_t *txs[1] = {tx_new_transfer(&alice, &bob.addr, 100, 1, 0)};
    block_t *b = mkblock(genesis, txs, 1);
    ck_assert(ledger_apply_block(b, REWARD));
    state_t *first = b->state;
    /* Second call: the memo, even with another reward argument. */
    ck_assert(ledger_apply_block(b, REWARD * 100));
    ck_assert_ptr_eq(b->state, first);
    assert_acct(get(b->state, &producer), REWARD + 1, 0);

    /* Invalid results are memoised too: the same reason pointer. */
    tx_t *bad[1] = {tx_new_transfer(&alice, &bob.addr, 100, 1, 3)};
    block_t *ib = mkblock(genesis, bad, 1);
    assert_invalid(ib, REWARD, "transaction 0: nonce gap");
    const char *reason = ib->invalid_reason;
    ck_assert(!ledger_apply_block(ib, REWARD));
    ck_assert_ptr_eq(ib->invalid_reason, reason);
    ck_assert_ptr_null(ib->state);

    /* The memo is what is returned: it is not recomputed. */
    block_t *m = mkblock(genesis, NULL, 0);
    m->valid = 0;
    m->invalid_reason = "planted";
    ck_assert(!ledger_apply_block(m, REWARD));
    ck_assert_str_eq(m->invalid_reason, "planted");
    ck_assert_ptr_null(m->state);
}
END_TEST

START_TEST(test_invalid_parent)
{
    tx_t *bad[1] = {tx_new_transfer(&alice, &bob.addr, 100, 1, 9)};
    block_t *ib = mkblock(genesis, bad, 1);
    ck_assert(!ledger_apply_block(ib, REWARD));
    block_t *child = mkblock(ib, NULL, 0);
    assert_invalid(child, REWARD, "parent block is invalid");
}
END_TEST

START_TEST(test_root_mismatch)
{
    tx_t *txs[1] = {tx_new_transfer(&alice, &bob.addr, 100, 1, 0)};
    block_t *b = mkblock(genesis, txs, 1);
    b->h.tx_root.b[0] ^= 1;
    block_seal(b);
    ck_assert(!block_check_root(b));
    assert_invalid(b, REWARD, "transactions root does not match the transactions");
}
END_TEST

START_TEST(test_competing_children)
{
    /* Two children of one parent spend alice's nonce 0 differently. */
    tx_t *ta[1] = {tx_new_transfer(&alice, &bob.addr, 1000, 10, 0)};
    tx_t *tb[1] = {tx_new_transfer(&alice, &carol.addr, 700, 20, 0)};
    block_t *a = mkblock(genesis, ta, 1);
    block_t *b = mkblock(genesis, tb, 1);
    ck_assert(memcmp(a->id.b, b->id.b, HASH_BYTES) != 0);
    ck_assert(ledger_apply_block(a, REWARD));
    ck_assert(ledger_apply_block(b, REWARD));
    ck_assert_ptr_ne(a->state, b->state);
    ck_assert_ptr_eq(state_parent(a->state), state_parent(b->state));

    assert_acct(get(a->state, &alice), ALICE_START - 1010, 1);
    assert_acct(get(a->state, &bob), BOB_START + 1000, 0);
    assert_acct(get(a->state, &carol), 0, 0);
    assert_acct(get(b->state, &alice), ALICE_START - 720, 1);
    assert_acct(get(b->state, &bob), BOB_START, 0);
    assert_acct(get(b->state, &carol), 700, 0);
    assert_genesis_intact();

    /* Branch a grows; a reorg to a longer branch b then restores bob's
     * balance: the node's state is simply b's tip state. */
    tx_t *ta2[1] = {tx_new_transfer(&alice, &bob.addr, 1, 0, 1)};
    block_t *a2 = mkblock(a, ta2, 1);
    ck_assert(ledger_apply_block(a2, REWARD));
    block_t *b2 = mkblock(b, NULL, 0);
    ck_assert(ledger_apply_block(b2, REWARD));
    tx_t *tb3[1] = {tx_new_transfer(&bob, &alice.addr, 5, 0, 0)};
    block_t *b3 = mkblock(b2, tb3, 1);
    ck_assert(ledger_apply_block(b3, REWARD));

    const state_t *tip = a2->state;
    assert_acct(get(tip, &bob), BOB_START + 1001, 0);
    tip = b3->state; /* switch branches */
    assert_acct(get(tip, &bob), BOB_START - 5, 1);
    assert_acct(get(tip, &carol), 700, 0);
    assert_acct(get(tip, &alice), ALICE_START - 720 + 5, 1);
    /* a's branch is still intact after the switch. */
    assert_acct(get(a2->state, &bob), BOB_START + 1001, 0);
    assert_acct(get(a2->state, &alice), ALICE_START - 1011, 2);

    /* a's transaction replayed on branch b: nonce 0 is spent there too. */
    tx_t *replay[1] = {tx_ref(a->txs[0])};
    block_t *r = mkblock(b3, replay, 1);
    assert_invalid(r, REWARD, "transaction 0: nonce already used");
    /* a2's transaction (nonce 1) is valid on branch b after the switch. */
    tx_t *moved[1] = {tx_ref(a2->txs[0])};
    block_t *m = mkblock(b3, moved, 1);
    ck_assert(ledger_apply_block(m, REWARD));
    assert_acct(get(m->state, &alice), ALICE_START - 720 + 5 - 1, 2);
    ck_assert_uint_eq(state_total(m->state), state_total(genesis_state) + 4 * REWARD);
}
END_TEST

/* ---- block basics ---- */

START_TEST(test_merkle_root)
{
    tx_t *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = tx_new_transfer(&alice, &bob.addr, 1, 1, (uint64_t)i);
    hash32_t root, expect, l, r;
    hasher_t hs;

    block_tx_root(t, 0, &root);
    for (int i = 0; i < HASH_BYTES; i++)
        ck_assert_uint_eq(root.b[i], 0);

    block_tx_root(t, 1, &root);
    ck_assert_mem_eq(root.b, t[0]->id.b, HASH_BYTES);

    block_tx_root(t, 2, &root);
    hasher_begin(&hs);
    hasher_update(&hs, t[0]->id.b, HASH_BYTES);
    hasher_update(&hs, t[1]->id.b, HASH_BYTES);
    hasher_end(&hs, &expect);
    ck_assert_mem_eq(root.b, expect.b, HASH_BYTES);
    l = expect;

    /* Three: the odd one is paired with itself. */
    block_tx_root(t, 3, &root);
    hasher_begin(&hs);
    hasher_update(&hs, t[2]->id.b, HASH_BYTES);
    hasher_update(&hs, t[2]->id.b, HASH_BYTES);
    hasher_end(&hs, &r);
    hasher_begin(&hs);
    hasher_update(&hs, l.b, HASH_BYTES);
    hasher_update(&hs, r.b, HASH_BYTES);
    hasher_end(&hs, &expect);
    ck_assert_mem_eq(root.b, expect.b, HASH_BYTES);

    /* [t0 t1 t2 t2] has the same root as [t0 t1 t2]; the block with the
     * duplicated tail does not pass block_check_root. */
    tx_t *dup[4] = {t[0], t[1], t[2], t[2]};
    hash32_t root4;
    block_tx_root(dup, 4, &root4);
    ck_assert_mem_eq(root4.b, root.b, HASH_BYTES);
    block_t *honest = block_new(genesis, 1, 1, &producer.addr, t, 3, 0);
    block_t *mutated = block_new(genesis, 1, 1, &producer.addr, dup, 4, 0);
    ck_assert(block_check_root(honest));
    ck_assert(!block_check_root(mutated));
    block_free(honest);
    block_free(mutated);

    /* Order matters. */
    tx_t *swapped[2] = {t[1], t[0]};
    block_tx_root(swapped, 2, &root);
    ck_assert(memcmp(root.b, l.b, HASH_BYTES) != 0);
    for (int i = 0; i < 4; i++)
        tx_unref(t[i]);
}
END_TEST

START_TEST(test_block_header)
{
    tx_t *t[2] = {tx_new_transfer(&alice, &bob.addr, 1, 1, 0), tx_new_transfer(&alice, &bob.addr, 1, 1, 1)};
    block_t *b = block_new(genesis, 5000, 9, &producer.addr, t, 2, 1000);
    ck_assert_uint_eq(t[0]->refs, 2); /* the block took references */
    ck_assert_uint_eq(b->h.height, 1);
    ck_assert_uint_eq(genesis->h.height, 0);
    ck_assert_ptr_eq(b->parent, genesis);
    ck_assert_mem_eq(b->h.parent.b, genesis->id.b, HASH_BYTES);
    ck_assert_uint_eq(b->index, 0);
    ck_assert_int_eq(b->valid, -1);
    ck_assert_ptr_null(b->state);
    ck_assert_ptr_null(b->cons);
    ck_assert(block_check_root(b));
    ck_assert_uint_eq(b->size_bytes, BLOCK_HEADER_FIXED_BYTES + 2 * TX_FIXED_BYTES + 1000);

    uint8_t buf[BLOCK_HEADER_FIXED_BYTES + 16];
    ck_assert_uint_eq(block_header_encode(&b->h, buf, BLOCK_HEADER_FIXED_BYTES - 1), 0);
    size_t len = block_header_encode(&b->h, buf, sizeof buf);
    ck_assert_uint_eq(len, BLOCK_HEADER_FIXED_BYTES);
    ck_assert_uint_eq(buf[0], BLOCK_VERSION);
    ck_assert_mem_eq(buf + 1, genesis->id.b, HASH_BYTES);
    ck_assert_uint_eq(buf[33], 1); /* height */
    hash32_t id;
    hash_blake2b(&id, buf, len);
    ck_assert_mem_eq(id.b, b->id.b, HASH_BYTES);

    /* Consensus fields set later, then re-sealed: id, size and work follow. */
    hash32_t old_id = b->id;
    b->h.difficulty = 7;
    b->h.extra_len = 16;
    b->h.extra = g_malloc(16);
    memset(b->h.extra, 0x5a, 16);
    block_seal(b);
    ck_assert(memcmp(old_id.b, b->id.b, HASH_BYTES) != 0);
    ck_assert_uint_eq(b->size_bytes, BLOCK_HEADER_FIXED_BYTES + 16 + 2 * TX_FIXED_BYTES + 1000);
    ck_assert_uint_eq(b->work, genesis->work + 7);
    len = block_header_encode(&b->h, buf, sizeof buf);
    ck_assert_uint_eq(len, BLOCK_HEADER_FIXED_BYTES + 16);
    hash_blake2b(&id, buf, len);
    ck_assert_mem_eq(id.b, b->id.b, HASH_BYTES);

    /* Cumulative work saturates. */
    block_t *c = block_new(b, 6000, 9, &producer.addr, NULL, 0, 0);
    c->h.difficulty = UINT64_MAX;
    block_seal(c);
    ck_assert_uint_eq(c->work, UINT64_MAX);
    ck_assert_uint_eq(c->h.height, 2);
    block_free(c);

    block_free(b);
    ck_assert_uint_eq(t[0]->refs, 1);
    tx_unref(t[0]);
    tx_unref(t[1]);
}
END_TEST

/* Stake, unstake and vote move money between the sender and its bonds and
 * keep the tallies the consensus engines read. */
START_TEST(test_stake_unstake_vote)
{
    state_t *s = state_child(genesis_state);
    uint64_t total = state_total(s);
    tx_t *st = tx_new_call(&alice, TX_STAKE, 5, 1000, 10, 0);
    ck_assert_int_eq(ledger_apply_tx(s, st), TXERR_OK);
    ck_assert_uint_eq(state_get(s, &alice.addr).balance, ALICE_START - 1010);
    ck_assert_uint_eq(ledger_stake_of(s, 5), 1000);
    ck_assert_uint_eq(state_total(s), total - 10); /* only the fee left (it goes to the producer in a block) */
    /* Unstaking more than the bond fails; the fee alone must be affordable. */
    tx_t *too_much = tx_new_call(&alice, TX_UNSTAKE, 5, 1001, 10, 1);
    ck_assert_int_eq(ledger_check_tx(s, too_much), TXERR_BALANCE);
    tx_t *other_validator = tx_new_call(&alice, TX_UNSTAKE, 6, 1, 10, 1);
    ck_assert_int_eq(ledger_check_tx(s, other_validator), TXERR_BALANCE);
    tx_t *un = tx_new_call(&alice, TX_UNSTAKE, 5, 400, 10, 1);
    ck_assert_int_eq(ledger_apply_tx(s, un), TXERR_OK);
    ck_assert_uint_eq(ledger_stake_of(s, 5), 600);
    ck_assert_uint_eq(state_get(s, &alice.addr).balance, ALICE_START - 1010 - 10 + 400);
    /* Votes: weight = balance after the fee; a new vote moves it. */
    tx_t *v1 = tx_new_call(&bob, TX_VOTE, 3, 0, 5, 0);
    ck_assert_int_eq(ledger_apply_tx(s, v1), TXERR_OK);
    ck_assert_uint_eq(ledger_votes_of(s, 3), BOB_START - 5);
    tx_t *v2 = tx_new_call(&bob, TX_VOTE, 7, 0, 5, 1);
    ck_assert_int_eq(ledger_apply_tx(s, v2), TXERR_OK);
    ck_assert_uint_eq(ledger_votes_of(s, 3), 0);
    ck_assert_uint_eq(ledger_votes_of(s, 7), BOB_START - 10);
    /* Malformed: a stake of 0, a transfer with a payload-less target. */
    tx_t *zero = tx_new_call(&alice, TX_STAKE, 5, 0, 10, 2);
    ck_assert_int_eq(ledger_check_tx(s, zero), TXERR_FORMAT);
    /* The encoding round-trips with its target. */
    uint8_t buf[TX_FIXED_BYTES + 4];
    ck_assert_uint_eq(tx_encode(un, buf, sizeof buf), sizeof buf);
    const char *why = NULL;
    tx_t *back = tx_decode(buf, sizeof buf, &why);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(back->kind, TX_UNSTAKE);
    ck_assert_uint_eq(tx_target(back), 5);
    ck_assert(tx_verify(back));
    tx_t *all[] = { st, too_much, other_validator, un, v1, v2, zero, back };
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        tx_unref(all[i]);
    state_unref(s);
}
END_TEST

static Suite *ledger_suite(void)
{
    Suite *s = suite_create("ledger");

    TCase *tc = tcase_create("valid");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_valid_block);
    tcase_add_test(tc, test_spend_exact_balance);
    tcase_add_test(tc, test_self_transfer);
    tcase_add_test(tc, test_check_and_apply_tx);
    tcase_add_test(tc, test_memo);
    tcase_add_test(tc, test_competing_children);
    tcase_add_test(tc, test_stake_unstake_vote);
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_signature);
    tcase_add_test(tc, test_nonce_reuse_across_blocks);
    tcase_add_test(tc, test_nonce_reuse_within_block);
    tcase_add_test(tc, test_nonce_gap);
    tcase_add_test(tc, test_overspend);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_payload_on_transfer);
    tcase_add_test(tc, test_invalid_parent);
    tcase_add_test(tc, test_root_mismatch);
    suite_add_tcase(s, tc);

    tc = tcase_create("block");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_merkle_root);
    tcase_add_test(tc, test_block_header);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ledger_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
