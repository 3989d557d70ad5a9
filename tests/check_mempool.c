/*
 * check_mempool.c - Check suite for core/mempool (pending transactions and
 * block building).
 *
 * Admission: a valid transaction, then every rejection reason of mempool.h in
 * its own test (blacklist, size, duplicate, minimum fee, signature, used
 * nonce after a child state advanced it, nonce window, double spend of a
 * pending nonce, balance counting pending lower nonces, the token-bucket rate
 * limit with integer refill, capacity with eviction of the lowest fee rate
 * among chain tails, so that no sender's chain is broken in the middle).
 * Block building: nonce order per sender, fee order across senders, the byte
 * limit (a transaction that does not fit is skipped, others still go),
 * out-of-order arrival (a later nonce waits for its predecessor), gaps at the
 * front or inside a chain left in the pool uncounted, failing transactions
 * removed and counted by reason while those behind them stay. Maintenance:
 * remove, prune (used nonces, the unaffordable part of the contiguous run,
 * future nonces kept within the window), readd after a reorganisation
 * restoring the pool exactly. Determinism: the same transactions inserted in
 * different orders give the same list and the same block. A randomized run
 * checks eviction, block building and prune against reference models.
 * Pools sharing one set of transactions (as a run's nodes do) match, step by
 * step, pools of their own under the same random operations.
 *
 * Accounts come from keys_derive with a fixed seed; every test builds its own
 * genesis state and pool and releases every reference it takes.
 */
#include "core/hash.h"
#include "core/keys.h"
#include "core/ledger.h"
#include "core/mempool.h"
#include "core/state.h"
#include "core/tx.h"

#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS 8
#define SEED 20240501u
#define SEC_NS 1000000000ULL

static keypair_t K[NKEYS];

/* ---- helpers --------------------------------------------------------------- */

static mempool_cfg_t cfg_default(void)
{
    mempool_cfg_t cfg = {
        .capacity = 1000,
        .min_fee = 1,
        .max_tx_bytes = 4096,
        .nonce_window = 16,
        .rate_limit_milli_per_s = 0,
        .rate_burst = 0,
        .blacklist = NULL,
        .nblacklist = 0,
    };
    return cfg;
}

/* Genesis where account i (i < NKEYS) holds balance[i]; refs = 1. */
static state_t *genesis_with(const uint64_t balance[NKEYS])
{
    addr_t addrs[NKEYS];
    for (int i = 0; i < NKEYS; i++)
        addrs[i] = K[i].addr;
    return state_genesis(addrs, balance, NKEYS);
}

/* Genesis where every account holds `each`. */
static state_t *genesis_all(uint64_t each)
{
    uint64_t bal[NKEYS];
    for (int i = 0; i < NKEYS; i++)
        bal[i] = each;
    return genesis_with(bal);
}

static tx_t *xfer(int from, int to, uint64_t amount, uint64_t fee, uint64_t nonce)
{
    return tx_new_transfer(&K[from], &K[to].addr, amount, fee, nonce);
}

/* A correctly signed transfer carrying `payload_len` zero bytes of payload,
 * built through the canonical encoding; refs = 1. */
static tx_t *xfer_payload(int from, int to, uint64_t amount, uint64_t fee, uint64_t nonce, uint32_t payload_len)
{
    size_t head = 1 + 1 + PK_BYTES + ADDR_BYTES + 8 + 8 + 8 + 4;
    size_t total = head + payload_len + SIG_BYTES;
    uint8_t *buf = g_malloc0(total);
    uint8_t *p = buf;
    *p++ = TX_VERSION;
    *p++ = TX_TRANSFER;
    memcpy(p, K[from].pk, PK_BYTES);
    p += PK_BYTES;
    memcpy(p, K[to].addr.b, ADDR_BYTES);
    p += ADDR_BYTES;
    uint64_t v[3] = {amount, fee, nonce};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 8; i++)
            *p++ = (uint8_t)(v[k] >> (8 * i));
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(payload_len >> (8 * i));
    keys_sign(&K[from], buf, head + payload_len, buf + head + payload_len);
    const char *why = NULL;
    tx_t *tx = tx_decode(buf, total, &why);
    g_free(buf);
    ck_assert_msg(tx != NULL, "tx_decode: %s", why ? why : "?");
    ck_assert_uint_eq(tx->size_bytes, total);
    ck_assert(tx_verify(tx));
    return tx;
}

static mp_result_t add(mempool_t *mp, tx_t *tx, const state_t *tip, uint64_t now_ns)
{
    tx_t *evicted = NULL;
    mp_result_t r = mempool_add(mp, tx, tip, now_ns, &evicted);
    ck_assert_ptr_null(evicted);
    return r;
}

#define ck_assert_mp(got, want)                                                                        \
    do {                                                                                               \
        mp_result_t got_ = (got), want_ = (want);                                                      \
        ck_assert_msg(got_ == want_, "got %s, want %s", mp_result_name(got_), mp_result_name(want_)); \
    } while (0)

static void unref_all(tx_t **txs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tx_unref(txs[i]);
}

static void free_selection(tx_t **sel, uint32_t n)
{
    unref_all(sel, n);
    g_free(sel);
}

static uint32_t dropped_total(const uint32_t dropped[TXERR_COUNT])
{
    uint32_t t = 0;
    for (int i = 0; i < TXERR_COUNT; i++)
        t += dropped[i];
    return t;
}

/* The pool's list equals want[0..n) exactly (same objects, same order). */
static void assert_list(const mempool_t *mp, tx_t *const *want, size_t n)
{
    size_t got_n = 0;
    tx_t **got = mempool_list(mp, &got_n);
    ck_assert_uint_eq(got_n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "list[%zu] differs", i);
    g_free(got);
}

/* A sealed child of parent in which txs[0..n) have been applied. */
static state_t *child_applying(state_t *parent, tx_t **txs, size_t n)
{
    state_t *c = state_child(parent);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(ledger_apply_tx(c, txs[i]), TXERR_OK);
    state_seal(c);
    return c;
}

/* ---- admission ------------------------------------------------------------- */

START_TEST(test_admit_valid)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *tx = xfer(0, 1, 100, 10, 0);

    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert_mp(add(mp, tx, g, 0), MP_ADDED);
    ck_assert_uint_eq(tx->refs, 2); /* the pool holds a reference */
    ck_assert(mempool_contains(mp, &tx->id));
    ck_assert_uint_eq(mempool_count(mp), 1);
    ck_assert_uint_eq(mempool_bytes(mp), TX_FIXED_BYTES);
    assert_list(mp, &tx, 1);

    ck_assert_str_eq(mp_result_name(MP_ADDED), "added");
    ck_assert_str_eq(mp_result_name(MP_RATE_LIMITED), "rate_limited");
    for (int r = 0; r < MP_RESULT_COUNT; r++)
        ck_assert_ptr_nonnull(mp_result_name((mp_result_t)r));

    mempool_free(mp);
    ck_assert_uint_eq(tx->refs, 1); /* freeing the pool drops its references */
    tx_unref(tx);
    state_unref(g);
    mempool_free(NULL);
}
END_TEST

START_TEST(test_reject_duplicate)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *tx = xfer(0, 1, 100, 10, 0);
    ck_assert_mp(add(mp, tx, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, tx, g, 0), MP_DUPLICATE);
    /* A separate object with the same content is the same transaction. */
    tx_t *same = xfer(0, 1, 100, 10, 0);
    ck_assert_mp(add(mp, same, g, 0), MP_DUPLICATE);
    ck_assert_uint_eq(mempool_count(mp), 1);
    ck_assert_uint_eq(tx->refs, 2);
    ck_assert_uint_eq(same->refs, 1);
    mempool_free(mp);
    tx_unref(tx);
    tx_unref(same);
    state_unref(g);
}
END_TEST

static int addr_qsort_cb(const void *a, const void *b)
{
    return addr_cmp(a, b);
}

START_TEST(test_reject_blacklisted)
{
    state_t *g = genesis_all(1000000);
    addr_t bl[3] = {K[5].addr, K[1].addr, K[3].addr};
    qsort(bl, 3, sizeof bl[0], addr_qsort_cb);
    mempool_cfg_t cfg = cfg_default();
    cfg.blacklist = bl;
    cfg.nblacklist = 3;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *txs[NKEYS];
    for (int i = 0; i < NKEYS; i++) {
        txs[i] = xfer(i, (i + 1) % NKEYS, 10, 10, 0);
        bool black = i == 1 || i == 3 || i == 5;
        ck_assert_mp(add(mp, txs[i], g, 0), black ? MP_BLACKLISTED : MP_ADDED);
    }
    ck_assert_uint_eq(mempool_count(mp), NKEYS - 3);
    /* Sending to a blacklisted address is not refused. */
    tx_t *to_black = xfer(0, 1, 10, 10, 1);
    ck_assert_mp(add(mp, to_black, g, 0), MP_ADDED);
    mempool_free(mp);
    unref_all(txs, NKEYS);
    tx_unref(to_black);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_too_large)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.max_tx_bytes = 100;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *tx = xfer(0, 1, 100, 10, 0);
    ck_assert_mp(add(mp, tx, g, 0), MP_TOO_LARGE);
    ck_assert_uint_eq(mempool_count(mp), 0);
    mempool_free(mp);

    /* Exactly at the limit is fine; one byte of payload more is not. */
    cfg.max_tx_bytes = TX_FIXED_BYTES;
    mp = mempool_new(&cfg);
    ck_assert_mp(add(mp, tx, g, 0), MP_ADDED);
    tx_t *big = xfer_payload(2, 1, 100, 10, 0, 1);
    ck_assert_mp(add(mp, big, g, 0), MP_TOO_LARGE);
    mempool_free(mp);
    tx_unref(tx);
    tx_unref(big);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_fee_low)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.min_fee = 10;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *low = xfer(0, 1, 100, 9, 0);
    tx_t *ok = xfer(0, 1, 100, 10, 0);
    ck_assert_mp(add(mp, low, g, 0), MP_FEE_LOW);
    ck_assert_mp(add(mp, ok, g, 0), MP_ADDED);
    mempool_free(mp);
    tx_unref(low);
    tx_unref(ok);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_signature)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    uint8_t zero[SIG_BYTES] = {0};
    tx_t *bad = tx_new_unchecked(K[0].pk, &K[1].addr, 100, 10, 0, zero);
    ck_assert_mp(add(mp, bad, g, 0), MP_SIGNATURE);
    /* A real signature, but over other content (amount 101). */
    tx_t *signed_other = xfer(0, 1, 101, 10, 0);
    tx_t *forged = tx_new_unchecked(K[0].pk, &K[1].addr, 100, 10, 0, signed_other->sig);
    ck_assert_mp(add(mp, forged, g, 0), MP_SIGNATURE);
    /* Another key's signature over the same content. */
    tx_t *by_other = xfer(2, 1, 100, 10, 0);
    tx_t *stolen = tx_new_unchecked(K[0].pk, &K[1].addr, 100, 10, 0, by_other->sig);
    ck_assert_mp(add(mp, stolen, g, 0), MP_SIGNATURE);
    ck_assert_uint_eq(mempool_count(mp), 0);
    /* The genuine one is admitted. */
    tx_t *good = xfer(0, 1, 100, 10, 0);
    ck_assert_mp(add(mp, good, g, 0), MP_ADDED);
    mempool_free(mp);
    tx_unref(bad);
    tx_unref(signed_other);
    tx_unref(forged);
    tx_unref(by_other);
    tx_unref(stolen);
    tx_unref(good);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_nonce_low)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *t0 = xfer(0, 1, 100, 10, 0);
    tx_t *t1 = xfer(0, 1, 100, 10, 1);
    state_t *c = child_applying(g, &t0, 1); /* sender 0's nonce is now 1 */
    ck_assert_uint_eq(state_get(c, &K[0].addr).nonce, 1);

    ck_assert_mp(add(mp, t0, c, 0), MP_NONCE_LOW);
    /* The same nonce, a different transaction: a replay of a used nonce. */
    tx_t *t0b = xfer(0, 2, 5, 10, 0);
    ck_assert_mp(add(mp, t0b, c, 0), MP_NONCE_LOW);
    ck_assert_mp(add(mp, t1, c, 0), MP_ADDED);
    /* On the parent state, nonce 0 is still fine. */
    ck_assert_mp(add(mp, t0, g, 0), MP_ADDED);

    mempool_free(mp);
    tx_unref(t0);
    tx_unref(t0b);
    tx_unref(t1);
    state_unref(c);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_nonce_high)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.nonce_window = 4;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *t3 = xfer(0, 1, 1, 10, 3);
    tx_t *t4 = xfer(0, 1, 1, 10, 4);
    tx_t *huge = xfer(0, 1, 1, 10, UINT64_MAX);
    ck_assert_mp(add(mp, t3, g, 0), MP_ADDED); /* window [0, 4) */
    ck_assert_mp(add(mp, t4, g, 0), MP_NONCE_HIGH);
    ck_assert_mp(add(mp, huge, g, 0), MP_NONCE_HIGH);
    /* Once nonce 0 is used, the window is [1, 5). */
    tx_t *t0 = xfer(0, 1, 1, 10, 0);
    state_t *c = child_applying(g, &t0, 1);
    ck_assert_mp(add(mp, t4, c, 0), MP_ADDED);
    mempool_free(mp);
    tx_unref(t0);
    tx_unref(t3);
    tx_unref(t4);
    tx_unref(huge);
    state_unref(c);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_double_spend)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *first = xfer(0, 1, 100, 10, 0);
    tx_t *second = xfer(0, 2, 100, 10, 0);
    tx_t *richer = xfer(0, 3, 100, 500, 0); /* paying more does not replace */
    ck_assert_mp(add(mp, first, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, second, g, 0), MP_DOUBLE_SPEND);
    ck_assert_mp(add(mp, richer, g, 0), MP_DOUBLE_SPEND);
    ck_assert(mempool_contains(mp, &first->id));
    ck_assert(!mempool_contains(mp, &second->id));
    ck_assert(!mempool_contains(mp, &richer->id));
    ck_assert_uint_eq(mempool_count(mp), 1);
    /* Another sender's nonce 0 is unrelated. */
    tx_t *other = xfer(1, 2, 100, 10, 0);
    ck_assert_mp(add(mp, other, g, 0), MP_ADDED);
    mempool_free(mp);
    tx_unref(first);
    tx_unref(second);
    tx_unref(richer);
    tx_unref(other);
    state_unref(g);
}
END_TEST

START_TEST(test_reject_balance)
{
    uint64_t bal[NKEYS] = {1000, 1000, 1000, 0, 0, 0, 0, 0};
    state_t *g = genesis_with(bal);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);

    /* Alone, more than the balance. */
    tx_t *alone = xfer(0, 1, 991, 10, 0);
    ck_assert_mp(add(mp, alone, g, 0), MP_BALANCE);
    /* Exactly the balance across two pending transactions. */
    tx_t *a0 = xfer(0, 1, 500, 10, 0);
    tx_t *a1 = xfer(0, 1, 480, 10, 1);
    tx_t *a2 = xfer(0, 1, 0, 1, 2);
    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a1, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a2, g, 0), MP_BALANCE); /* 510 + 490 + 1 > 1000 */
    /* Beyond a gap the pending lower nonces still count. */
    tx_t *a5 = xfer(0, 1, 0, 1, 5);
    ck_assert_mp(add(mp, a5, g, 0), MP_BALANCE);

    /* Only lower nonces count: a high nonce first, then a lower one. */
    tx_t *b1 = xfer(1, 2, 900, 10, 1);
    tx_t *b0 = xfer(1, 2, 80, 10, 0);
    ck_assert_mp(add(mp, b1, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, b0, g, 0), MP_ADDED);

    /* No balance at all; and amount + fee overflowing. */
    tx_t *poor = xfer(3, 1, 0, 1, 0);
    ck_assert_mp(add(mp, poor, g, 0), MP_BALANCE);
    tx_t *ovf = xfer(2, 1, UINT64_MAX, 10, 0);
    ck_assert_mp(add(mp, ovf, g, 0), MP_BALANCE);
    /* Pending total overflowing. */
    tx_t *c0 = xfer(2, 1, 900, 10, 0);
    tx_t *c1 = xfer(2, 1, UINT64_MAX - 5, 1, 1);
    ck_assert_mp(add(mp, c0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, c1, g, 0), MP_BALANCE);

    ck_assert_uint_eq(mempool_count(mp), 5);
    mempool_free(mp);
    tx_t *all[] = {alone, a0, a1, a2, a5, b1, b0, poor, ovf, c0, c1};
    unref_all(all, G_N_ELEMENTS(all));
    state_unref(g);
}
END_TEST

START_TEST(test_rate_limit)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.rate_limit_milli_per_s = 1000; /* 1 per second */
    cfg.rate_burst = 2;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *t[6];
    for (int i = 0; i < 6; i++)
        t[i] = xfer(0, 1, 1, 10, (uint64_t)i);
    tx_t *other = xfer(1, 0, 1, 10, 0);

    ck_assert_mp(add(mp, t[0], g, 0), MP_ADDED);
    ck_assert_mp(add(mp, t[1], g, 0), MP_ADDED); /* the burst */
    ck_assert_mp(add(mp, t[2], g, 0), MP_RATE_LIMITED);
    ck_assert_mp(add(mp, other, g, 0), MP_ADDED); /* per sender */
    ck_assert_mp(add(mp, t[2], g, SEC_NS - 1), MP_RATE_LIMITED);
    ck_assert_mp(add(mp, t[2], g, SEC_NS), MP_ADDED); /* one token after 1 s */
    ck_assert_mp(add(mp, t[3], g, SEC_NS), MP_RATE_LIMITED);
    /* A long pause refills the bucket only up to the burst. */
    ck_assert_mp(add(mp, t[3], g, 100 * SEC_NS), MP_ADDED);
    ck_assert_mp(add(mp, t[4], g, 100 * SEC_NS), MP_ADDED);
    ck_assert_mp(add(mp, t[5], g, 100 * SEC_NS), MP_RATE_LIMITED);
    ck_assert_uint_eq(mempool_count(mp), 6);
    mempool_free(mp);
    unref_all(t, 6);
    tx_unref(other);
    state_unref(g);
}
END_TEST

/* A fractional rate, integer arithmetic: 1.5 per second, burst 1 gives one
 * token every ceil(10^12 / 1500) = 666,666,667 ns. */
START_TEST(test_rate_limit_fractional)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.rate_limit_milli_per_s = 1500;
    cfg.rate_burst = 1;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = xfer(2, 1, 1, 10, (uint64_t)i);
    const uint64_t start = 5 * SEC_NS;
    const uint64_t T = 666666667ULL;
    ck_assert_mp(add(mp, t[0], g, start), MP_ADDED);
    ck_assert_mp(add(mp, t[1], g, start + T - 1), MP_RATE_LIMITED);
    ck_assert_mp(add(mp, t[1], g, start + T), MP_ADDED);
    ck_assert_mp(add(mp, t[2], g, start + 2 * T - 1), MP_RATE_LIMITED);
    ck_assert_mp(add(mp, t[2], g, start + 2 * T), MP_ADDED);
    /* A refusal does not consume a token. */
    ck_assert_mp(add(mp, t[3], g, start + 3 * T), MP_ADDED);
    mempool_free(mp);
    unref_all(t, 4);
    state_unref(g);
}
END_TEST

/* The bucket outlives the sender's last pending transaction until it is
 * full again; then the record goes and a fresh full bucket is the same. */
START_TEST(test_rate_limit_after_removal)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.rate_limit_milli_per_s = 1000;
    cfg.rate_burst = 1;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a = xfer(0, 1, 1, 10, 0);
    tx_t *b = xfer(0, 1, 1, 11, 0);
    tx_t *c = xfer(0, 1, 1, 12, 0);
    ck_assert_mp(add(mp, a, g, 0), MP_ADDED);
    ck_assert(mempool_remove(mp, &a->id));
    ck_assert_mp(add(mp, b, g, SEC_NS / 2), MP_RATE_LIMITED); /* remembered */
    ck_assert_mp(add(mp, b, g, SEC_NS), MP_ADDED);
    ck_assert(mempool_remove(mp, &b->id));
    /* Other senders' traffic lets the pool forget the full bucket. */
    for (int i = 1; i < 5; i++) {
        tx_t *o = xfer(i, 0, 1, 10, 0);
        ck_assert_mp(add(mp, o, g, (uint64_t)(2 + i) * SEC_NS), MP_ADDED);
        ck_assert(mempool_remove(mp, &o->id));
        tx_unref(o);
    }
    ck_assert_mp(add(mp, c, g, 10 * SEC_NS), MP_ADDED);
    ck_assert_uint_eq(mempool_count(mp), 1);
    mempool_free(mp);
    tx_unref(a);
    tx_unref(b);
    tx_unref(c);
    state_unref(g);
}
END_TEST

START_TEST(test_full_eviction)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.capacity = 3;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *f10 = xfer(0, 7, 1, 10, 0);
    tx_t *f20 = xfer(1, 7, 1, 20, 0);
    tx_t *f30 = xfer(2, 7, 1, 30, 0);
    tx_t *f5 = xfer(3, 7, 1, 5, 0);
    tx_t *f10b = xfer(4, 7, 1, 10, 0);
    tx_t *f40 = xfer(5, 7, 1, 40, 0);
    ck_assert_mp(add(mp, f20, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, f10, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, f30, g, 0), MP_ADDED);

    tx_t *evicted = (tx_t *)0x1;
    ck_assert_mp(mempool_add(mp, f5, g, 0, &evicted), MP_FULL); /* pays less */
    ck_assert_ptr_null(evicted);
    ck_assert_mp(mempool_add(mp, f10b, g, 0, &evicted), MP_FULL); /* pays the same */
    ck_assert_ptr_null(evicted);

    ck_assert_mp(mempool_add(mp, f40, g, 0, &evicted), MP_ADDED);
    ck_assert_ptr_eq(evicted, f10); /* the lowest fee rate went */
    ck_assert_uint_eq(f10->refs, 2); /* ours + the one handed back */
    tx_unref(evicted);
    ck_assert(!mempool_contains(mp, &f10->id));
    ck_assert_uint_eq(mempool_count(mp), 3);
    tx_t *want[] = {f40, f30, f20};
    assert_list(mp, want, 3);

    /* Without an out pointer the pool drops the evicted reference itself. */
    tx_t *f50 = xfer(6, 7, 1, 50, 0);
    ck_assert_mp(mempool_add(mp, f50, g, 0, NULL), MP_ADDED);
    ck_assert(!mempool_contains(mp, &f20->id));
    ck_assert_uint_eq(f20->refs, 1);

    mempool_free(mp);
    tx_t *all[] = {f10, f20, f30, f5, f10b, f40, f50};
    unref_all(all, G_N_ELEMENTS(all));
    state_unref(g);
}
END_TEST

/* The newcomer is not admitted by evicting its own sender's lower nonce,
 * which its balance check counted and without which it could not apply. */
START_TEST(test_full_no_self_gap)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.capacity = 2;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 1, 1, 10, 0);
    tx_t *a1 = xfer(0, 1, 1, 20, 1);
    tx_t *a2 = xfer(0, 1, 1, 30, 2);
    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a1, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a2, g, 0), MP_FULL);
    ck_assert_uint_eq(mempool_count(mp), 2);
    mempool_free(mp);
    tx_unref(a0);
    tx_unref(a1);
    tx_unref(a2);
    state_unref(g);
}
END_TEST

/* The victim is the cheapest chain tail: a cheap transaction in front of a
 * better paying one of the same sender is protected by it. */
START_TEST(test_full_evicts_tail)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.capacity = 3;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 7, 1, 5, 0);
    tx_t *a1 = xfer(0, 7, 1, 50, 1);
    tx_t *b0 = xfer(1, 7, 1, 20, 0);
    tx_t *c0 = xfer(2, 7, 1, 30, 0);
    tx_t *d0 = xfer(3, 7, 1, 10, 0);
    tx_t *e0 = xfer(4, 7, 1, 40, 0);
    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a1, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, b0, g, 0), MP_ADDED);

    /* Tails: a1 (50), b0 (20). a0 pays least but is not a tail. */
    tx_t *evicted = NULL;
    ck_assert_mp(mempool_add(mp, c0, g, 0, &evicted), MP_ADDED);
    ck_assert_ptr_eq(evicted, b0);
    tx_unref(evicted);
    tx_t *want1[] = {a1, c0, a0};
    assert_list(mp, want1, 3);
    /* Tails: a1 (50), c0 (30): 10 does not beat 30, although it beats a0. */
    ck_assert_mp(mempool_add(mp, d0, g, 0, &evicted), MP_FULL);
    ck_assert_ptr_null(evicted);

    /* Once a1 leaves (say, mined elsewhere), a0 is its chain's tail. */
    ck_assert(mempool_remove(mp, &a1->id));
    ck_assert_mp(add(mp, e0, g, 0), MP_ADDED); /* not full yet */
    ck_assert_mp(mempool_add(mp, d0, g, 0, &evicted), MP_ADDED);
    ck_assert_ptr_eq(evicted, a0);
    tx_unref(evicted);
    tx_t *want2[] = {e0, c0, d0};
    assert_list(mp, want2, 3);
    mempool_free(mp);

    /* The tail of the newcomer's own chain may go when it is above the
     * newcomer's nonce: the chain stays contiguous. */
    cfg.capacity = 2;
    mp = mempool_new(&cfg);
    tx_t *x0 = xfer(5, 7, 1, 50, 0);
    tx_t *x1 = xfer(5, 7, 1, 10, 1);
    tx_t *x2 = xfer(5, 7, 1, 1, 2);
    ck_assert_mp(add(mp, x0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, x2, g, 0), MP_ADDED);
    ck_assert_mp(mempool_add(mp, x1, g, 0, &evicted), MP_ADDED);
    ck_assert_ptr_eq(evicted, x2);
    tx_unref(evicted);
    tx_t *want3[] = {x0, x1};
    assert_list(mp, want3, 2);
    mempool_free(mp);

    tx_t *all[] = {a0, a1, b0, c0, d0, e0, x0, x1, x2};
    unref_all(all, G_N_ELEMENTS(all));
    state_unref(g);
}
END_TEST

/* ---- block building -------------------------------------------------------- */

START_TEST(test_select_nonce_order)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 2, 1, 10, 0);
    tx_t *a1 = xfer(0, 2, 1, 100, 1); /* pays more than its predecessor */
    tx_t *b0 = xfer(1, 2, 1, 50, 0);
    ck_assert_mp(add(mp, a1, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, b0, g, 0), MP_ADDED);
    tx_t *by_fee[] = {a1, b0, a0};
    assert_list(mp, by_fee, 3); /* the pool order is by fee rate only */

    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 3);
    /* Sender 0 competes with its nonce 0 (fee 10), so sender 1 goes first. */
    ck_assert_ptr_eq(sel[0], b0);
    ck_assert_ptr_eq(sel[1], a0);
    ck_assert_ptr_eq(sel[2], a1);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    ck_assert_uint_eq(mempool_count(mp), 3); /* select does not remove what it picks */
    ck_assert_uint_eq(a0->refs, 3);          /* ours, the pool's, the selection's */
    free_selection(sel, n);

    /* The parent state is untouched by the scratch version. */
    ck_assert_uint_eq(state_get(g, &K[0].addr).nonce, 0);
    ck_assert_uint_eq(state_get(g, &K[0].addr).balance, 1000000);

    mempool_free(mp);
    tx_unref(a0);
    tx_unref(a1);
    tx_unref(b0);
    state_unref(g);
}
END_TEST

START_TEST(test_select_fee_order)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    static const uint64_t fees[] = {5, 40, 20, 30, 40, 1};
    tx_t *t[6];
    for (int i = 0; i < 6; i++) {
        t[i] = xfer(i, 7, 1, fees[i], 0);
        ck_assert_mp(add(mp, t[i], g, 0), MP_ADDED);
    }
    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 6);
    for (uint32_t i = 1; i < n; i++) {
        ck_assert_uint_ge(sel[i - 1]->fee, sel[i]->fee);
        if (sel[i - 1]->fee == sel[i]->fee) /* ties by id */
            ck_assert_int_lt(memcmp(sel[i - 1]->id.b, sel[i]->id.b, HASH_BYTES), 0);
    }
    ck_assert_uint_eq(sel[0]->fee, 40);
    ck_assert_uint_eq(sel[5]->fee, 1);
    /* Same as the pool's list here (one transaction per sender). */
    assert_list(mp, sel, n);
    free_selection(sel, n);
    mempool_free(mp);
    unref_all(t, 6);
    state_unref(g);
}
END_TEST

START_TEST(test_select_max_bytes)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    /* The best payer is large (146 + 300 bytes) but pays the most per byte. */
    tx_t *big = xfer_payload(0, 7, 1, 100000, 0, 300);
    tx_t *t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = xfer(1 + i, 7, 1, (uint64_t)(40 - i), 0);
        ck_assert_mp(add(mp, t[i], g, 0), MP_ADDED);
    }
    tx_t *big_next = xfer(0, 7, 1, 100000, 1); /* behind the big one */
    ck_assert_mp(add(mp, big, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, big_next, g, 0), MP_ADDED);

    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    /* Room for two small ones plus change, not for the big one. */
    uint32_t n = mempool_select(mp, g, 2 * TX_FIXED_BYTES + 100, &sel, dropped);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_eq(sel[0], t[0]);
    ck_assert_ptr_eq(sel[1], t[1]);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    ck_assert(mempool_contains(mp, &big->id)); /* skipped, not dropped */
    ck_assert(mempool_contains(mp, &big_next->id));
    free_selection(sel, n);

    /* Exactly three small ones. */
    n = mempool_select(mp, g, 3 * TX_FIXED_BYTES, &sel, dropped);
    ck_assert_uint_eq(n, 3);
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += sel[i]->size_bytes;
    ck_assert_uint_le(total, 3 * TX_FIXED_BYTES);
    free_selection(sel, n);

    /* Nothing fits. */
    n = mempool_select(mp, g, TX_FIXED_BYTES - 1, &sel, dropped);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(sel);
    free_selection(sel, n);
    ck_assert_uint_eq(mempool_count(mp), 6);

    mempool_free(mp);
    unref_all(t, 4);
    tx_unref(big);
    tx_unref(big_next);
    state_unref(g);
}
END_TEST

START_TEST(test_select_drops_invalid)
{
    state_t *g = genesis_all(1000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    /* Sender 0: three transactions, affordable on genesis. */
    tx_t *a0 = xfer(0, 7, 400, 10, 0);
    tx_t *a1 = xfer(0, 7, 400, 10, 1);
    tx_t *a2 = xfer(0, 7, 100, 10, 2);
    /* Sender 1: nonce 0 will be used on the parent; nonce 1 is still good. */
    tx_t *b0 = xfer(1, 7, 10, 20, 0);
    tx_t *b1 = xfer(1, 7, 10, 20, 1);
    /* Sender 2: only nonce 1 (nonce 0 never arrives): a gap. */
    tx_t *c1 = xfer(2, 7, 10, 30, 1);
    /* Sender 3: fine. */
    tx_t *d0 = xfer(3, 7, 10, 5, 0);
    tx_t *all[] = {a0, a1, a2, b0, b1, c1, d0};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        ck_assert_mp(add(mp, all[i], g, 0), MP_ADDED);

    /* The parent: sender 0 lost most of its money, sender 1 used nonce 0
     * (another transaction than b0). */
    state_t *p = state_child(g);
    state_set(p, &K[0].addr, (account_t){.balance = 500, .nonce = 0});
    tx_t *b0_other = xfer(1, 6, 1, 1, 0);
    ck_assert_int_eq(ledger_apply_tx(p, b0_other), TXERR_OK);
    state_seal(p);

    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    dropped[TXERR_BALANCE] = 5; /* select adds to the caller's counters */
    uint32_t n = mempool_select(mp, p, 1000000, &sel, dropped);
    /* Chosen: b1 (b0 is dropped as used), a0, d0. a1 is unaffordable and
     * dropped; a2 behind it stays, and so does c1, which waits for nonce 0:
     * neither is counted. */
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_eq(sel[0], b1);
    ck_assert_ptr_eq(sel[1], a0);
    ck_assert_ptr_eq(sel[2], d0);
    ck_assert_uint_eq(dropped[TXERR_OK], 0);
    ck_assert_uint_eq(dropped[TXERR_NONCE_LOW], 1);  /* b0 */
    ck_assert_uint_eq(dropped[TXERR_BALANCE], 5 + 1); /* a1 */
    ck_assert_uint_eq(dropped[TXERR_NONCE_HIGH], 0); /* gaps are not failures */
    ck_assert_uint_eq(dropped[TXERR_SIGNATURE], 0);
    ck_assert_uint_eq(dropped_total(dropped), 5 + 2);
    free_selection(sel, n);

    ck_assert_uint_eq(mempool_count(mp), 5);
    ck_assert_uint_eq(mempool_bytes(mp), 5 * TX_FIXED_BYTES);
    ck_assert(mempool_contains(mp, &a0->id));
    ck_assert(mempool_contains(mp, &b1->id));
    ck_assert(mempool_contains(mp, &d0->id));
    ck_assert(mempool_contains(mp, &a2->id)); /* behind the dropped a1 */
    ck_assert(mempool_contains(mp, &c1->id)); /* gap at the front */
    ck_assert(!mempool_contains(mp, &a1->id));
    ck_assert(!mempool_contains(mp, &b0->id));
    ck_assert_uint_eq(a1->refs, 1); /* the pool let go of the dropped ones */

    /* dropped may be NULL. The same three again; a2 and c1 still wait. */
    n = mempool_select(mp, p, 1000000, &sel, NULL);
    ck_assert_uint_eq(n, 3);
    free_selection(sel, n);
    ck_assert_uint_eq(mempool_count(mp), 5);

    /* After a reorganisation a1 can come back, and a2 follows it again. */
    ck_assert_mp(mempool_readd(mp, a1, g), MP_ADDED);
    n = mempool_select(mp, g, 1000000, &sel, NULL);
    /* a0, a1, a2 and d0; b1 now follows a gap on g (b0 was dropped), and c1
     * still waits. */
    ck_assert_uint_eq(n, 4);
    ck_assert_ptr_eq(sel[0], a0);
    ck_assert_ptr_eq(sel[1], a1);
    ck_assert_ptr_eq(sel[2], a2);
    ck_assert_ptr_eq(sel[3], d0);
    free_selection(sel, n);

    mempool_free(mp);
    unref_all(all, G_N_ELEMENTS(all));
    tx_unref(b0_other);
    state_unref(p);
    state_unref(g);
}
END_TEST

/* Gossip delivers nonce 1 before nonce 0: both are admitted, nonce 1 waits
 * (neither chosen nor dropped), then both go in nonce order. */
START_TEST(test_select_out_of_order)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 2, 1, 10, 0);
    tx_t *a1 = xfer(0, 2, 1, 10, 1);
    ck_assert_mp(add(mp, a1, g, 0), MP_ADDED);

    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    ck_assert(mempool_contains(mp, &a1->id));
    free_selection(sel, n);

    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert_uint_eq(mempool_count(mp), 2);
    n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_eq(sel[0], a0);
    ck_assert_ptr_eq(sel[1], a1);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);

    mempool_free(mp);
    tx_unref(a0);
    tx_unref(a1);
    state_unref(g);
}
END_TEST

/* A gap inside a chain stops the sender at the gap; a gap at the front skips
 * the sender. Everything behind a gap stays in the pool, uncounted, and goes
 * once the missing nonce arrives. */
START_TEST(test_select_gap_kept)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a[5];
    for (int i = 0; i < 5; i++)
        a[i] = xfer(0, 7, 1, 10 + (uint64_t)i, (uint64_t)i);
    tx_t *b2 = xfer(1, 7, 1, 90, 2); /* pays the most, but nonces 0, 1 missing */
    tx_t *b3 = xfer(1, 7, 1, 80, 3);
    tx_t *c0 = xfer(2, 7, 1, 5, 0);
    tx_t *pending[] = {a[0], a[1], a[3], a[4], b2, b3, c0}; /* a2 missing */
    for (size_t i = 0; i < G_N_ELEMENTS(pending); i++)
        ck_assert_mp(add(mp, pending[i], g, 0), MP_ADDED);

    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_eq(sel[0], a[0]);
    ck_assert_ptr_eq(sel[1], a[1]);
    ck_assert_ptr_eq(sel[2], c0);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);
    ck_assert_uint_eq(mempool_count(mp), G_N_ELEMENTS(pending));
    for (size_t i = 0; i < G_N_ELEMENTS(pending); i++)
        ck_assert(mempool_contains(mp, &pending[i]->id));

    /* Selection is repeatable while nothing changes. */
    n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);

    /* Nonce 2 arrives: sender 0's whole chain goes. */
    ck_assert_mp(add(mp, a[2], g, 0), MP_ADDED);
    n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 6);
    for (int i = 0; i < 5; i++)
        ck_assert_ptr_eq(sel[i], a[i]);
    ck_assert_ptr_eq(sel[5], c0);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);

    /* On a state where sender 1 has used nonces 0 and 1, b2 and b3 go first. */
    state_t *p = state_child(g);
    state_set(p, &K[1].addr, (account_t){.balance = 1000000, .nonce = 2});
    state_seal(p);
    n = mempool_select(mp, p, 2 * TX_FIXED_BYTES, &sel, dropped);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_eq(sel[0], b2);
    ck_assert_ptr_eq(sel[1], b3);
    free_selection(sel, n);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    ck_assert_uint_eq(mempool_count(mp), G_N_ELEMENTS(pending) + 1);

    mempool_free(mp);
    unref_all(a, 5);
    tx_unref(b2);
    tx_unref(b3);
    tx_unref(c0);
    state_unref(p);
    state_unref(g);
}
END_TEST

/* ---- remove, prune, readd ------------------------------------------------- */

START_TEST(test_remove)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 1, 1, 10, 0);
    tx_t *a1 = xfer(0, 1, 1, 10, 1);
    tx_t *b0 = xfer(1, 0, 1, 20, 0);
    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, a1, g, 0), MP_ADDED);
    ck_assert_mp(add(mp, b0, g, 0), MP_ADDED);
    ck_assert(mempool_remove(mp, &a0->id));
    ck_assert(!mempool_remove(mp, &a0->id));
    ck_assert_uint_eq(a0->refs, 1);
    ck_assert_uint_eq(mempool_count(mp), 2);
    ck_assert_uint_eq(mempool_bytes(mp), 2 * TX_FIXED_BYTES);
    ck_assert(!mempool_contains(mp, &a0->id));
    /* The freed nonce can be taken again. */
    ck_assert_mp(add(mp, a0, g, 0), MP_ADDED);
    ck_assert(mempool_remove(mp, &b0->id));
    ck_assert(mempool_remove(mp, &a1->id));
    ck_assert(mempool_remove(mp, &a0->id));
    ck_assert_uint_eq(mempool_count(mp), 0);
    ck_assert_uint_eq(mempool_bytes(mp), 0);
    size_t n = 99;
    tx_t **list = mempool_list(mp, &n);
    ck_assert_uint_eq(n, 0);
    g_free(list);
    mempool_free(mp);
    tx_unref(a0);
    tx_unref(a1);
    tx_unref(b0);
    state_unref(g);
}
END_TEST

START_TEST(test_prune)
{
    state_t *g = genesis_all(1000);
    mempool_cfg_t cfg = cfg_default();
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 7, 100, 10, 0);
    tx_t *a1 = xfer(0, 7, 100, 10, 1);
    tx_t *b0 = xfer(1, 7, 300, 10, 0);
    tx_t *b1 = xfer(1, 7, 300, 10, 1);
    tx_t *b2 = xfer(1, 7, 300, 10, 2);
    tx_t *b4 = xfer(1, 7, 10, 10, 4); /* after a gap in sender 1's chain */
    tx_t *c1 = xfer(2, 7, 10, 10, 1); /* gap at the front */
    tx_t *c2 = xfer(2, 7, 10, 10, 2);
    tx_t *d0 = xfer(3, 7, 10, 10, 0);
    tx_t *all[] = {a0, a1, b0, b1, b2, b4, c1, c2, d0};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        ck_assert_mp(add(mp, all[i], g, 0), MP_ADDED);

    /* Nothing to prune: the gapped transactions wait for their nonces. */
    ck_assert_uint_eq(mempool_prune(mp, g), 0);
    ck_assert_uint_eq(mempool_count(mp), 9);

    /* A block used a0; sender 1 spent most of its money elsewhere; sender 2
     * cannot even pay for c1 any more. */
    state_t *p = state_child(g);
    ck_assert_int_eq(ledger_apply_tx(p, a0), TXERR_OK);
    state_set(p, &K[1].addr, (account_t){.balance = 600, .nonce = 0});
    state_set(p, &K[2].addr, (account_t){.balance = 5, .nonce = 0});
    state_seal(p);
    /* a0 (used); b1 and b2 (310 + 310 > 600, and b2 counts b1). b4 and the
     * chain of sender 2 follow a gap: affordability is not judged there. */
    ck_assert_uint_eq(mempool_prune(mp, p), 3);
    ck_assert(!mempool_contains(mp, &a0->id));
    ck_assert(mempool_contains(mp, &a1->id));
    ck_assert(mempool_contains(mp, &b0->id));
    ck_assert(!mempool_contains(mp, &b1->id));
    ck_assert(!mempool_contains(mp, &b2->id));
    ck_assert(mempool_contains(mp, &b4->id));
    ck_assert(mempool_contains(mp, &c1->id));
    ck_assert(mempool_contains(mp, &c2->id));
    ck_assert(mempool_contains(mp, &d0->id));
    ck_assert_uint_eq(mempool_count(mp), 6);
    ck_assert_uint_eq(mempool_bytes(mp), 6 * TX_FIXED_BYTES);
    ck_assert_uint_eq(mempool_prune(mp, p), 0); /* idempotent */

    /* Everything of the contiguous runs applies on p; the rest waits. */
    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t n = mempool_select(mp, p, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 3); /* a1, b0, d0 */
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);
    ck_assert_uint_eq(mempool_count(mp), 6);

    mempool_free(mp);
    unref_all(all, G_N_ELEMENTS(all));
    state_unref(p);
    state_unref(g);
}
END_TEST

/* Future nonces wait within the window; the window is measured from the
 * state nonce, and only applies after a gap. */
START_TEST(test_prune_future_chain)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.nonce_window = 4;
    mempool_t *mp = mempool_new(&cfg);

    /* Sender 0: nonces 2 and 3 arrive before 0 and 1. */
    tx_t *e[4];
    for (int i = 0; i < 4; i++)
        e[i] = xfer(0, 7, 1, 10, (uint64_t)i);
    ck_assert_mp(add(mp, e[3], g, 0), MP_ADDED);
    ck_assert_mp(add(mp, e[2], g, 0), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(mp, g), 0);
    tx_t **sel = NULL;
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);
    ck_assert_uint_eq(mempool_count(mp), 2);
    /* The predecessors arrive: the whole chain goes, in nonce order. */
    ck_assert_mp(add(mp, e[1], g, 0), MP_ADDED);
    ck_assert_mp(add(mp, e[0], g, 0), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(mp, g), 0);
    n = mempool_select(mp, g, 1000000, &sel, dropped);
    ck_assert_uint_eq(n, 4);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_ptr_eq(sel[i], e[i]);
    ck_assert_uint_eq(dropped_total(dropped), 0);
    free_selection(sel, n);

    /* Sender 1: on c its nonce is 3, and nonces 3..6 are admitted. */
    tx_t *f[7];
    for (int i = 0; i < 7; i++)
        f[i] = xfer(1, 7, 1, 10, (uint64_t)i);
    state_t *c = child_applying(g, f, 3);
    for (int i = 3; i < 7; i++)
        ck_assert_mp(add(mp, f[i], c, 0), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(mp, c), 0);
    /* Back on g (a reorganisation) nonces 0..2 return: the contiguous run
     * 0..6 may exceed the window [0, 4), it can apply. */
    for (int i = 0; i < 3; i++)
        ck_assert_mp(mempool_readd(mp, f[i], g), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(mp, g), 0);
    ck_assert_uint_eq(mempool_count(mp), 4 + 7);
    /* Without nonce 2 (say, taken by a block that is reorganised away
     * later), 3 waits within the window while 4, 5 and 6 are beyond it. */
    ck_assert(mempool_remove(mp, &f[2]->id));
    ck_assert_uint_eq(mempool_prune(mp, g), 3);
    ck_assert(mempool_contains(mp, &f[0]->id));
    ck_assert(mempool_contains(mp, &f[1]->id));
    ck_assert(mempool_contains(mp, &f[3]->id));
    for (int i = 4; i < 7; i++)
        ck_assert(!mempool_contains(mp, &f[i]->id));

    mempool_free(mp);
    unref_all(e, 4);
    unref_all(f, 7);
    state_unref(c);
    state_unref(g);
}
END_TEST

START_TEST(test_readd_after_reorg)
{
    state_t *g = genesis_all(1000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.rate_limit_milli_per_s = 1; /* one per 1000 s */
    cfg.rate_burst = 2;
    mempool_t *mp = mempool_new(&cfg);
    tx_t *a0 = xfer(0, 7, 100, 30, 0);
    tx_t *a1 = xfer(0, 7, 100, 15, 1);
    tx_t *b0 = xfer(1, 7, 100, 25, 0);
    tx_t *b1 = xfer(1, 7, 100, 12, 1);
    tx_t *c0 = xfer(2, 7, 100, 20, 0);
    tx_t *all[] = {a0, a1, b0, b1, c0};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        ck_assert_mp(add(mp, all[i], g, 0), MP_ADDED);
    size_t n_before;
    tx_t **before = mempool_list(mp, &n_before);
    ck_assert_uint_eq(n_before, 5);

    /* A block with a0, b0, c0 connects: remove them, prune on its state. */
    tx_t *block[] = {a0, b0, c0};
    state_t *s1 = child_applying(g, block, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert(mempool_remove(mp, &block[i]->id));
    ck_assert_uint_eq(mempool_prune(mp, s1), 0);
    ck_assert_uint_eq(mempool_count(mp), 2);
    /* Sender 0's bucket is empty: a new transaction is refused. */
    tx_t *a2 = xfer(0, 7, 100, 15, 2);
    ck_assert_mp(add(mp, a2, s1, 1), MP_RATE_LIMITED);

    /* The block is disconnected: back to g, its transactions return, in
     * block order, without the rate limit. */
    for (size_t i = 0; i < 3; i++)
        ck_assert_mp(mempool_readd(mp, block[i], g), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(mp, g), 0);
    assert_list(mp, before, n_before);
    ck_assert_uint_eq(mempool_count(mp), 5);
    ck_assert_uint_eq(mempool_bytes(mp), 5 * TX_FIXED_BYTES);

    /* readd applies the other checks. */
    ck_assert_mp(mempool_readd(mp, a0, g), MP_DUPLICATE);
    ck_assert_mp(mempool_readd(mp, a0, s1), MP_DUPLICATE);
    ck_assert(mempool_remove(mp, &a0->id));
    ck_assert_mp(mempool_readd(mp, a0, s1), MP_NONCE_LOW);
    ck_assert_mp(mempool_readd(mp, a0, g), MP_ADDED);
    assert_list(mp, before, n_before);

    g_free(before);
    mempool_free(mp);
    unref_all(all, G_N_ELEMENTS(all));
    tx_unref(a2);
    state_unref(s1);
    state_unref(g);
}
END_TEST

/* ---- determinism ----------------------------------------------------------- */

#define DET_N 40

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

START_TEST(test_determinism)
{
    state_t *g = genesis_all(1000000000);
    mempool_cfg_t cfg = cfg_default();
    cfg.nonce_window = DET_N;
    /* 40 transactions from 5 senders, 8 nonces each, with repeated fees so
     * that ties are broken by id. */
    tx_t *txs[DET_N];
    uint64_t rng = 12345;
    for (int i = 0; i < DET_N; i++)
        txs[i] = xfer(i % 5, 7, 1 + splitmix64(&rng) % 1000, 1 + splitmix64(&rng) % 6, (uint64_t)(i / 5));

    tx_t **lists[3];
    tx_t **sels[3];
    uint32_t nsel[3];
    for (int round = 0; round < 3; round++) {
        int order[DET_N];
        for (int i = 0; i < DET_N; i++)
            order[i] = i;
        if (round == 1) {
            for (int i = 0; i < DET_N; i++)
                order[i] = DET_N - 1 - i;
        } else if (round == 2) {
            for (int i = DET_N - 1; i > 0; i--) { /* Fisher-Yates */
                int j = (int)(splitmix64(&rng) % (uint64_t)(i + 1));
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        mempool_t *mp = mempool_new(&cfg);
        for (int i = 0; i < DET_N; i++)
            ck_assert_mp(add(mp, txs[order[i]], g, 0), MP_ADDED);
        size_t n;
        lists[round] = mempool_list(mp, &n);
        ck_assert_uint_eq(n, DET_N);
        uint32_t dropped[TXERR_COUNT] = {0};
        nsel[round] = mempool_select(mp, g, 25 * TX_FIXED_BYTES, &sels[round], dropped);
        ck_assert_uint_eq(nsel[round], 25);
        ck_assert_uint_eq(dropped_total(dropped), 0);
        mempool_free(mp);
    }
    for (int round = 1; round < 3; round++) {
        ck_assert_mem_eq(lists[round], lists[0], DET_N * sizeof(tx_t *));
        ck_assert_uint_eq(nsel[round], nsel[0]);
        ck_assert_mem_eq(sels[round], sels[0], nsel[0] * sizeof(tx_t *));
    }
    /* The list is in pool order, and the selection keeps nonce order. */
    for (int i = 1; i < DET_N; i++) {
        uint64_t r0 = tx_feerate_ppm(lists[0][i - 1]), r1 = tx_feerate_ppm(lists[0][i]);
        ck_assert(r0 > r1 || (r0 == r1 && memcmp(lists[0][i - 1]->id.b, lists[0][i]->id.b, HASH_BYTES) < 0));
    }
    uint64_t next_nonce[5] = {0};
    for (uint32_t i = 0; i < nsel[0]; i++) {
        int who = -1;
        for (int k = 0; k < 5; k++)
            if (addr_equal(&sels[0][i]->sender, &K[k].addr))
                who = k;
        ck_assert_int_ge(who, 0);
        ck_assert_uint_eq(sels[0][i]->nonce, next_nonce[who]);
        next_nonce[who]++;
    }
    for (int round = 0; round < 3; round++) {
        g_free(lists[round]);
        free_selection(sels[round], nsel[round]);
    }
    unref_all(txs, DET_N);
    state_unref(g);
}
END_TEST

/* ---- randomized ------------------------------------------------------------ */

/* Observable invariants: the list is strictly in pool order, count and bytes
 * agree with it, every listed transaction is contained, and no two share a
 * sender and nonce. */
static void check_pool(const mempool_t *mp)
{
    size_t n;
    tx_t **list = mempool_list(mp, &n);
    ck_assert_uint_eq(n, mempool_count(mp));
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += list[i]->size_bytes;
        ck_assert(mempool_contains(mp, &list[i]->id));
        if (i > 0) {
            uint64_t r0 = tx_feerate_ppm(list[i - 1]), r1 = tx_feerate_ppm(list[i]);
            ck_assert(r0 > r1 || (r0 == r1 && memcmp(list[i - 1]->id.b, list[i]->id.b, HASH_BYTES) < 0));
        }
        for (size_t j = 0; j < i; j++)
            ck_assert(!(addr_equal(&list[i]->sender, &list[j]->sender) && list[i]->nonce == list[j]->nonce));
    }
    ck_assert_uint_eq(bytes, mempool_bytes(mp));
    g_free(list);
}

#define RND_SENDERS 6
#define RND_DEPTH 64

/* The index (< RND_SENDERS) of tx's sender. */
static int rnd_sender(const tx_t *tx)
{
    for (int k = 0; k < RND_SENDERS; k++)
        if (addr_equal(&tx->sender, &K[k].addr))
            return k;
    ck_abort_msg("unknown sender");
    return -1;
}

/* Eviction model: in a full pool's list (pool order), the victim is the last
 * chain tail, a tail being the highest nonce of its sender. */
static tx_t *rnd_expected_victim(tx_t *const *list, size_t n)
{
    tx_t *victim = NULL;
    for (size_t i = 0; i < n; i++) {
        bool tail = true;
        for (size_t j = 0; j < n && tail; j++)
            tail = !(addr_equal(&list[j]->sender, &list[i]->sender) && list[j]->nonce > list[i]->nonce);
        if (tail)
            victim = list[i];
    }
    return victim;
}

/* mempool_select on parent, checked against the rules of mempool.h: the
 * selection applies on parent (child_applying asserts it); exactly the
 * counted transactions left the pool, none as a gap (TXERR_NONCE_HIGH); each
 * one left either with a nonce already used on parent, or at the nonce where
 * its sender stopped, failing there for a reason other than a gap; and when
 * the block has room for one more (every transaction here has
 * TX_FIXED_BYTES), no transaction left in the pool could have come next.
 * Returns the number chosen; *sel as mempool_select, *child the sealed
 * result of applying it. */
static uint32_t rnd_checked_select(mempool_t *mp, state_t *parent, uint64_t max_bytes, tx_t ***sel,
                                   state_t **child, uint32_t dropped[TXERR_COUNT])
{
    size_t npre;
    tx_t **pre = mempool_list(mp, &npre);
    uint32_t before[TXERR_COUNT];
    memcpy(before, dropped, sizeof before);
    uint32_t n = mempool_select(mp, parent, max_bytes, sel, dropped);
    ck_assert_uint_le((uint64_t)n * TX_FIXED_BYTES, max_bytes);
    *child = child_applying(parent, *sel, n);
    uint32_t ndropped = dropped_total(dropped) - dropped_total(before);
    ck_assert_uint_eq(dropped[TXERR_NONCE_HIGH], before[TXERR_NONCE_HIGH]);
    ck_assert_uint_eq(npre - mempool_count(mp), ndropped);
    bool room = max_bytes - (uint64_t)n * TX_FIXED_BYTES >= TX_FIXED_BYTES;
    for (size_t i = 0; i < npre; i++) {
        tx_t *t = pre[i];
        uint64_t from = state_get(parent, &t->sender).nonce, to = state_get(*child, &t->sender).nonce;
        if (!mempool_contains(mp, &t->id)) {
            txerr_t err = ledger_check_tx(*child, t);
            ck_assert_msg(t->nonce < from || (t->nonce == to && err != TXERR_OK && err != TXERR_NONCE_HIGH),
                          "dropped nonce %llu (sender from %llu to %llu): %s", (unsigned long long)t->nonce,
                          (unsigned long long)from, (unsigned long long)to, txerr_name(err));
        } else if (room) {
            ck_assert_uint_ge(t->nonce, from);
            ck_assert_uint_ne(t->nonce, to);
        }
    }
    g_free(pre);
    return n;
}

/* mempool_prune on tip, checked against a model of the rules of mempool.h
 * applied to the pool's contents before. Returns how many transactions it
 * kept after a gap. */
static size_t rnd_checked_prune(mempool_t *mp, const state_t *tip, uint32_t window)
{
    size_t n;
    tx_t **list = mempool_list(mp, &n);
    bool *keep = g_new0(bool, n + 1);
    size_t *idx = g_new(size_t, n + 1);
    size_t seen = 0, nkeep = 0, queued = 0;
    for (int k = 0; k < RND_SENDERS; k++) {
        /* The sender's transactions in nonce order (insertion sort). */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (rnd_sender(list[i]) != k)
                continue;
            size_t j = m++;
            for (; j > 0 && list[idx[j - 1]]->nonce > list[i]->nonce; j--)
                idx[j] = idx[j - 1];
            idx[j] = i;
        }
        seen += m;
        account_t acct = state_get(tip, &K[k].addr);
        uint64_t expect = acct.nonce, spent = 0;
        bool in_run = true, unaffordable = false;
        for (size_t j = 0; j < m; j++) {
            const tx_t *t = list[idx[j]];
            bool kept;
            if (t->nonce < acct.nonce) {
                kept = false;
            } else if (in_run && t->nonce == expect) {
                if (!unaffordable) {
                    uint64_t cost = t->amount + t->fee;
                    if (cost < t->amount || spent + cost > acct.balance)
                        unaffordable = true;
                    else
                        spent += cost;
                }
                kept = !unaffordable;
                expect++;
            } else {
                in_run = false;
                kept = t->nonce - acct.nonce < window;
                queued += kept;
            }
            keep[idx[j]] = kept;
            nkeep += kept;
        }
    }
    ck_assert_uint_eq(seen, n);
    ck_assert_uint_eq(mempool_prune(mp, tip), n - nkeep);
    ck_assert_uint_eq(mempool_count(mp), nkeep);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(mempool_contains(mp, &list[i]->id) == keep[i], "prune kept nonce %llu: %d, model: %d",
                      (unsigned long long)list[i]->nonce, !keep[i], keep[i]);
    g_free(idx);
    g_free(keep);
    g_free(list);
    return queued;
}

/* Random adds (with evictions and the rate limit), removals, block building
 * with each block applied on its parent, trial block building on a poorer
 * state, prunes, and one-block reorgs with readds. Eviction, block building
 * and prune are checked against models of their rules; the observable
 * invariants after every step. */
START_TEST(test_randomized)
{
    uint64_t rng = 0xC0FFEEu + (uint64_t)_i;
    state_t *g = genesis_all(20000);
    mempool_cfg_t cfg = cfg_default();
    cfg.capacity = 12;
    cfg.min_fee = 2;
    cfg.nonce_window = 6;
    /* Strict enough to bite although queued transactions (kept after gaps)
     * make many adds fail earlier (double spend, balance, full). */
    cfg.rate_limit_milli_per_s = 1500;
    cfg.rate_burst = 2;
    mempool_t *mp = mempool_new(&cfg);
    GPtrArray *made = g_ptr_array_new_with_free_func((GDestroyNotify)tx_unref);
    state_t *states[RND_DEPTH + 1];
    tx_t **blocks[RND_DEPTH + 1];
    uint32_t nblock[RND_DEPTH + 1];
    int depth = 0;
    states[0] = state_ref(g);
    uint64_t now_ns = 0;
    uint32_t results[MP_RESULT_COUNT] = {0};
    uint32_t dropped[TXERR_COUNT] = {0};
    uint32_t mined = 0, evictions = 0;
    size_t queued = 0;

    for (int step = 0; step < 3000; step++) {
        state_t *tip = states[depth];
        uint64_t op = splitmix64(&rng) % 100;
        now_ns += splitmix64(&rng) % (SEC_NS / 10);
        if (op < 70) {
            int from = (int)(splitmix64(&rng) % RND_SENDERS);
            uint64_t nonce = state_get(tip, &K[from].addr).nonce + splitmix64(&rng) % 8;
            if (nonce > 0 && splitmix64(&rng) % 10 == 0)
                nonce -= 1;
            tx_t *tx = xfer(from, 7, splitmix64(&rng) % 3000, 1 + splitmix64(&rng) % 40, nonce);
            g_ptr_array_add(made, tx);
            size_t before = mempool_count(mp), npre = 0;
            tx_t **pre = before == cfg.capacity ? mempool_list(mp, &npre) : NULL;
            tx_t *evicted = NULL;
            mp_result_t r = mempool_add(mp, tx, tip, now_ns, &evicted);
            results[r]++;
            ck_assert_uint_eq(mempool_contains(mp, &tx->id), r == MP_ADDED);
            if (pre != NULL && npre > 0) {
                /* Full: the victim is the cheapest chain tail, unless the
                 * newcomer would follow it in its own chain. */
                tx_t *v = rnd_expected_victim(pre, npre);
                bool own_below = addr_equal(&v->sender, &tx->sender) && v->nonce < tx->nonce;
                if (r == MP_ADDED) {
                    ck_assert_ptr_eq(evicted, v);
                    ck_assert(!own_below);
                    ck_assert_uint_gt(tx_feerate_ppm(tx), tx_feerate_ppm(v));
                } else if (r == MP_FULL) {
                    ck_assert(own_below || tx_feerate_ppm(tx) <= tx_feerate_ppm(v));
                }
            }
            g_free(pre);
            if (evicted != NULL) {
                ck_assert_int_eq(r, MP_ADDED);
                ck_assert_uint_eq(before, cfg.capacity);
                ck_assert(!mempool_contains(mp, &evicted->id));
                ck_assert_uint_gt(tx_feerate_ppm(tx), tx_feerate_ppm(evicted));
                tx_unref(evicted);
                evictions++;
            }
            ck_assert_uint_le(mempool_count(mp), cfg.capacity);
        } else if (op < 76) {
            size_t n;
            tx_t **list = mempool_list(mp, &n);
            if (n > 0)
                ck_assert(mempool_remove(mp, &list[splitmix64(&rng) % n]->id));
            g_free(list);
        } else if (op < 80) {
            /* A trial block on a state where one sender is poorer: some of
             * its transactions fail; those behind them stay. */
            int who = (int)(splitmix64(&rng) % RND_SENDERS);
            account_t acct = state_get(tip, &K[who].addr);
            state_t *poorer = state_child(tip);
            acct.balance = acct.balance / (2 + splitmix64(&rng) % 8);
            state_set(poorer, &K[who].addr, acct);
            state_seal(poorer);
            tx_t **sel = NULL;
            state_t *child = NULL;
            uint32_t n = rnd_checked_select(mp, poorer, TX_FIXED_BYTES * (1 + splitmix64(&rng) % 6), &sel,
                                            &child, dropped);
            free_selection(sel, n);
            state_unref(child);
            state_unref(poorer);
        } else if (op < 93 && depth < RND_DEPTH) {
            tx_t **sel = NULL;
            state_t *child = NULL;
            uint64_t max_bytes = TX_FIXED_BYTES * (1 + splitmix64(&rng) % 6);
            uint32_t n = rnd_checked_select(mp, tip, max_bytes, &sel, &child, dropped);
            for (uint32_t i = 0; i < n; i++)
                ck_assert(mempool_remove(mp, &sel[i]->id));
            queued += rnd_checked_prune(mp, child, cfg.nonce_window);
            depth++;
            states[depth] = child;
            blocks[depth] = sel;
            nblock[depth] = n;
            mined += n;
        } else if (depth > 0) {
            /* Disconnect the top block. */
            state_t *parent = states[depth - 1];
            for (uint32_t i = 0; i < nblock[depth]; i++)
                mempool_readd(mp, blocks[depth][i], parent);
            queued += rnd_checked_prune(mp, parent, cfg.nonce_window);
            free_selection(blocks[depth], nblock[depth]);
            state_unref(states[depth]);
            depth--;
        }
        check_pool(mp);
    }
    if (getenv("MEMPOOL_TEST_VERBOSE") != NULL) {
        for (int r = 0; r < MP_RESULT_COUNT; r++)
            fprintf(stderr, "%s=%u ", mp_result_name((mp_result_t)r), results[r]);
        fprintf(stderr, "mined=%u evictions=%u queued=%zu dropped:", mined, evictions, queued);
        for (int e = 0; e < TXERR_COUNT; e++)
            fprintf(stderr, " %s=%u", txerr_name((txerr_t)e), dropped[e]);
        fprintf(stderr, "\n");
    }
    /* The run exercised what it is meant to. */
    ck_assert_uint_gt(results[MP_ADDED], 100);
    ck_assert_uint_gt(results[MP_RATE_LIMITED], 0);
    ck_assert_uint_gt(results[MP_FULL], 0);
    ck_assert_uint_gt(results[MP_NONCE_HIGH], 0);
    ck_assert_uint_gt(mined, 50);
    ck_assert_uint_gt(evictions, 0);
    ck_assert_uint_gt(queued, 0);                  /* prune kept transactions after a gap */
    ck_assert_uint_gt(dropped[TXERR_BALANCE], 0);  /* trial blocks dropped some */
    ck_assert_uint_eq(dropped[TXERR_NONCE_HIGH], 0);

    mempool_free(mp);
    for (int d = depth; d > 0; d--) {
        free_selection(blocks[d], nblock[d]);
        state_unref(states[d]);
    }
    state_unref(states[0]);
    g_ptr_array_unref(made);
    state_unref(g);
}
END_TEST

/* ---- pools sharing one set ---------------------------------------------------- */

/* mempool_prune checked against the model of rnd_checked_prune; returns how
 * many it removed. */
static size_t checked_prune(mempool_t *mp, const state_t *tip, uint32_t window)
{
    size_t before = mempool_count(mp);
    rnd_checked_prune(mp, tip, window);
    return before - mempool_count(mp);
}

#define SH_POOLS 4
#define SH_STATES 256

/* Pools sharing a set behave exactly like pools of their own: SH_POOLS pools
 * on one shared set and SH_POOLS private ones get the same random operations
 * (adds of transactions shared between pools, through hints or not, with
 * evictions and the rate limit; removals; trial blocks on a poorer state;
 * block building on each pool's own tip, the block applied and pruned; tip switches to any earlier state, back
 * or across branches, with readds and prunes), and after every step each
 * shared pool and its private twin agree on every result, the list (same
 * objects, same order), counts and bytes; the private pools' prunes are
 * also checked against the model of prune's rules. */
/* Pools on one set: the pending lower nonces of a sender that every pool
 * holds count in the balance check like those only some pools hold (the
 * shared set adds them up once per stretch, see mempool.c's Runs). */
START_TEST(test_shared_lower_nonces_count)
{
    uint64_t bal[NKEYS] = {1039, 0, 0, 0, 0, 0, 0, 0};
    state_t *g = genesis_with(bal);
    mempool_shared_t *sh = mempool_shared_new();
    mempool_cfg_t cfg = cfg_default();
    cfg.shared = sh;
    mempool_t *p[3];
    for (int k = 0; k < 3; k++)
        p[k] = mempool_new(&cfg);
    tx_t *t0 = xfer(0, 1, 300, 10, 0), *t1 = xfer(0, 1, 300, 10, 1);
    tx_t *t2 = xfer(0, 1, 300, 10, 2), *t3 = xfer(0, 1, 100, 10, 3);
    for (int k = 0; k < 3; k++) {
        ck_assert_mp(add(p[k], t0, g, 0), MP_ADDED);
        ck_assert_mp(add(p[k], t1, g, 0), MP_ADDED);
    }
    ck_assert_mp(add(p[0], t2, g, 0), MP_ADDED); /* 310 + 310 + 310 <= 1039 */
    ck_assert_mp(add(p[1], t3, g, 0), MP_ADDED); /* 310 + 310 + 110 (p[1] lacks t2) */
    ck_assert_mp(add(p[0], t3, g, 0), MP_BALANCE); /* 310 + 310 + 310 + 110 = 1040 */
    ck_assert_mp(add(p[2], t3, g, 0), MP_ADDED);
    /* A second transaction with nonce 1 in one pool: a double spend at a
     * pool holding t1, whatever the others hold. */
    tx_t *d1 = xfer(0, 2, 1, 10, 1);
    ck_assert_mp(add(p[1], d1, g, 0), MP_DOUBLE_SPEND);
    ck_assert_uint_eq(mempool_count(p[0]), 3);
    ck_assert_uint_eq(mempool_count(p[1]), 3);
    ck_assert_uint_eq(mempool_count(p[2]), 3);
    for (int k = 0; k < 3; k++)
        mempool_free(p[k]);
    mempool_shared_free(sh);
    tx_t *all[] = {t0, t1, t2, t3, d1};
    unref_all(all, G_N_ELEMENTS(all));
    state_unref(g);
}
END_TEST

/* Pools on one set: a sender with no transaction in the set when one pool
 * prunes through a version, and one admitted to another pool after that,
 * is still pruned by the second pool when the version used its nonce (the
 * senders of a version are looked up once for all pools). */
START_TEST(test_shared_prune_sender_filed_later)
{
    state_t *g = genesis_all(1000);
    mempool_shared_t *sh = mempool_shared_new();
    mempool_cfg_t cfg = cfg_default();
    cfg.shared = sh;
    mempool_t *a = mempool_new(&cfg), *b = mempool_new(&cfg);
    tx_t *y0 = xfer(1, 2, 10, 10, 0);
    ck_assert_mp(add(a, y0, g, 0), MP_ADDED);
    ck_assert_mp(add(b, y0, g, 0), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(a, g), 0);
    ck_assert_uint_eq(mempool_prune(b, g), 0);
    tx_t *x0 = xfer(0, 2, 10, 10, 0); /* in a block only: no pool holds it */
    state_t *v = child_applying(g, &x0, 1);
    ck_assert_uint_eq(mempool_prune(a, v), 0);
    tx_t *x0b = xfer(0, 3, 20, 10, 0); /* nonce 0 again, admitted at b's tip g */
    ck_assert_mp(add(b, x0b, g, 0), MP_ADDED);
    ck_assert_uint_eq(mempool_prune(b, v), 1);
    ck_assert(!mempool_contains_tx(b, x0b));
    ck_assert_uint_eq(mempool_count(b), 1);
    mempool_free(a);
    mempool_free(b);
    mempool_shared_free(sh);
    tx_t *all[] = {y0, x0, x0b};
    unref_all(all, G_N_ELEMENTS(all));
    state_unref(v);
    state_unref(g);
}
END_TEST

START_TEST(test_shared_matches_private)
{
    uint64_t rng = 0x5EED0000u + (uint64_t)_i;
    state_t *g = genesis_all(30000);
    mempool_cfg_t cfg = cfg_default();
    cfg.capacity = 14;
    cfg.min_fee = 2;
    cfg.nonce_window = 6;
    cfg.rate_limit_milli_per_s = _i == 0 ? 0 : 2500;
    cfg.rate_burst = 3;
    mempool_shared_t *sh = mempool_shared_new();
    mempool_t *sp[SH_POOLS], *pp[SH_POOLS];
    mempool_cfg_t scfg = cfg;
    scfg.shared = sh;
    for (int k = 0; k < SH_POOLS; k++) {
        sp[k] = mempool_new(&scfg);
        pp[k] = mempool_new(&cfg);
    }
    GPtrArray *made = g_ptr_array_new_with_free_func((GDestroyNotify)tx_unref);
    GArray *hints = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    state_t *states[SH_STATES];
    tx_t **blocks[SH_STATES];
    uint32_t nblock[SH_STATES];
    int parent[SH_STATES];
    int nstates = 1, tip[SH_POOLS] = {0};
    states[0] = g;
    blocks[0] = NULL;
    nblock[0] = 0;
    parent[0] = -1;
    uint64_t now_ns = 0;
    uint32_t dropped_s[TXERR_COUNT] = {0}, dropped_p[TXERR_COUNT] = {0};
    uint32_t added = 0, evictions = 0, pruned = 0;

    for (int step = 0; step < 4000; step++) {
        int k = (int)(splitmix64(&rng) % SH_POOLS);
        state_t *t = states[tip[k]];
        uint64_t op = splitmix64(&rng) % 100;
        now_ns += splitmix64(&rng) % (SEC_NS / 5);
        if (op < 60) {
            /* A transaction new, or one another pool may hold. */
            tx_t *tx;
            uint32_t i;
            if (made->len > 0 && splitmix64(&rng) % 2 == 0) {
                i = (uint32_t)(splitmix64(&rng) % made->len);
                tx = g_ptr_array_index(made, i);
            } else {
                int from = (int)(splitmix64(&rng) % RND_SENDERS);
                uint64_t nonce = state_get(t, &K[from].addr).nonce + splitmix64(&rng) % 7;
                if (nonce > 0 && splitmix64(&rng) % 8 == 0)
                    nonce -= 1;
                tx = xfer(from, 7, splitmix64(&rng) % 4000, 2 + splitmix64(&rng) % 40, nonce);
                g_ptr_array_add(made, tx);
                g_array_set_size(hints, made->len);
                i = made->len - 1;
            }
            tx_t *ev_s = NULL, *ev_p = NULL;
            mp_result_t rs = splitmix64(&rng) % 2 == 0
                                 ? mempool_add_hint(sp[k], tx, &g_array_index(hints, uint32_t, i), t, now_ns, &ev_s)
                                 : mempool_add(sp[k], tx, t, now_ns, &ev_s);
            mp_result_t rp = mempool_add(pp[k], tx, t, now_ns, &ev_p);
            ck_assert_mp(rs, rp);
            ck_assert_ptr_eq(ev_s, ev_p);
            added += rs == MP_ADDED;
            evictions += ev_s != NULL;
            tx_unref(ev_s);
            tx_unref(ev_p);
        } else if (op < 68) {
            size_t n;
            tx_t **list = mempool_list(pp[k], &n);
            if (n > 0) {
                tx_t *victim = list[splitmix64(&rng) % n];
                uint32_t hint = 0;
                bool a = splitmix64(&rng) % 2 == 0 ? mempool_remove_hint(sp[k], victim, &hint)
                                                   : mempool_remove(sp[k], &victim->id);
                ck_assert(a);
                ck_assert(mempool_remove(pp[k], &victim->id));
            }
            g_free(list);
        } else if (op < 71) {
            size_t a = mempool_prune(sp[k], t), b = checked_prune(pp[k], t, cfg.nonce_window);
            ck_assert_uint_eq(a, b);
            pruned += a;
        } else if (op < 74) {
            /* A trial block on a state where one sender is poorer: some of
             * its transactions fail and leave both pools. */
            int who = (int)(splitmix64(&rng) % RND_SENDERS);
            account_t acct = state_get(t, &K[who].addr);
            state_t *poorer = state_child(t);
            acct.balance = acct.balance / (2 + splitmix64(&rng) % 8);
            state_set(poorer, &K[who].addr, acct);
            state_seal(poorer);
            uint64_t max_bytes = TX_FIXED_BYTES * (1 + splitmix64(&rng) % 5);
            tx_t **sel_s = NULL, **sel_p = NULL;
            uint32_t ns = mempool_select(sp[k], poorer, max_bytes, &sel_s, dropped_s);
            uint32_t np = mempool_select(pp[k], poorer, max_bytes, &sel_p, dropped_p);
            ck_assert_uint_eq(ns, np);
            ck_assert_mem_eq(sel_s, sel_p, ns * sizeof(tx_t *));
            ck_assert_mem_eq(dropped_s, dropped_p, sizeof dropped_s);
            free_selection(sel_s, ns);
            free_selection(sel_p, np);
            state_unref(poorer);
        } else if (op < 87 && nstates < SH_STATES) {
            /* Block building on the pool's tip; the block becomes its tip. */
            uint64_t max_bytes = TX_FIXED_BYTES * (1 + splitmix64(&rng) % 5);
            tx_t **sel_s = NULL, **sel_p = NULL;
            uint32_t ns = mempool_select(sp[k], t, max_bytes, &sel_s, dropped_s);
            uint32_t np = mempool_select(pp[k], t, max_bytes, &sel_p, dropped_p);
            ck_assert_uint_eq(ns, np);
            ck_assert_mem_eq(sel_s, sel_p, ns * sizeof(tx_t *));
            ck_assert_mem_eq(dropped_s, dropped_p, sizeof dropped_s);
            state_t *c = child_applying(t, sel_s, ns);
            for (uint32_t i = 0; i < ns; i++) {
                ck_assert_int_eq(mempool_remove_tx(sp[k], sel_s[i]), mempool_remove(pp[k], &sel_s[i]->id));
            }
            size_t a = mempool_prune(sp[k], c), b = checked_prune(pp[k], c, cfg.nonce_window);
            ck_assert_uint_eq(a, b);
            pruned += a;
            free_selection(sel_p, np);
            states[nstates] = c;
            blocks[nstates] = sel_s;
            nblock[nstates] = ns;
            parent[nstates] = tip[k];
            tip[k] = nstates++;
        } else {
            /* Switch to another state: back along the pool's branch (its
             * blocks' transactions come back), or anywhere (prune only). */
            int to = (int)(splitmix64(&rng) % nstates);
            if (splitmix64(&rng) % 2 == 0) {
                for (int v = tip[k]; v > 0 && v != to; v = parent[v])
                    for (uint32_t i = 0; i < nblock[v]; i++)
                        ck_assert_mp(mempool_readd(sp[k], blocks[v][i], states[to]),
                                     mempool_readd(pp[k], blocks[v][i], states[to]));
            }
            tip[k] = to;
            if (splitmix64(&rng) % 3 != 0) { /* else prune later: adds meet a tip not pruned at */
                size_t a = mempool_prune(sp[k], states[to]), b = checked_prune(pp[k], states[to], cfg.nonce_window);
                ck_assert_uint_eq(a, b);
                pruned += a;
            }
        }
        for (int j = 0; j < SH_POOLS; j++) {
            size_t n;
            tx_t **want = mempool_list(pp[j], &n);
            assert_list(sp[j], want, n);
            for (size_t i = 0; i < n; i++) {
                uint32_t hint = 0;
                ck_assert(mempool_contains_hint(sp[j], want[i], &hint));
                ck_assert(mempool_contains(sp[j], &want[i]->id));
            }
            g_free(want);
            ck_assert_uint_eq(mempool_count(sp[j]), mempool_count(pp[j]));
            ck_assert_uint_eq(mempool_bytes(sp[j]), mempool_bytes(pp[j]));
        }
    }
    /* The run exercised what it is meant to. */
    ck_assert_uint_gt(added, 200);
    ck_assert_uint_gt(evictions, 0);
    ck_assert_uint_gt(pruned, 0);
    ck_assert_uint_gt(dropped_total(dropped_s), 0);

    for (int k = 0; k < SH_POOLS; k++) {
        mempool_free(sp[k]);
        mempool_free(pp[k]);
    }
    mempool_shared_free(sh);
    for (int v = nstates - 1; v > 0; v--) {
        free_selection(blocks[v], nblock[v]);
        state_unref(states[v]);
    }
    g_array_free(hints, TRUE);
    g_ptr_array_unref(made);
    state_unref(g);
}
END_TEST

/* ---- suite ----------------------------------------------------------------- */

static Suite *mempool_suite(void)
{
    Suite *s = suite_create("mempool");

    TCase *tc = tcase_create("admission");
    tcase_add_test(tc, test_admit_valid);
    tcase_add_test(tc, test_reject_duplicate);
    tcase_add_test(tc, test_reject_blacklisted);
    tcase_add_test(tc, test_reject_too_large);
    tcase_add_test(tc, test_reject_fee_low);
    tcase_add_test(tc, test_reject_signature);
    tcase_add_test(tc, test_reject_nonce_low);
    tcase_add_test(tc, test_reject_nonce_high);
    tcase_add_test(tc, test_reject_double_spend);
    tcase_add_test(tc, test_reject_balance);
    suite_add_tcase(s, tc);

    tc = tcase_create("rate_limit");
    tcase_add_test(tc, test_rate_limit);
    tcase_add_test(tc, test_rate_limit_fractional);
    tcase_add_test(tc, test_rate_limit_after_removal);
    suite_add_tcase(s, tc);

    tc = tcase_create("capacity");
    tcase_add_test(tc, test_full_eviction);
    tcase_add_test(tc, test_full_no_self_gap);
    tcase_add_test(tc, test_full_evicts_tail);
    suite_add_tcase(s, tc);

    tc = tcase_create("select");
    tcase_add_test(tc, test_select_nonce_order);
    tcase_add_test(tc, test_select_fee_order);
    tcase_add_test(tc, test_select_max_bytes);
    tcase_add_test(tc, test_select_drops_invalid);
    tcase_add_test(tc, test_select_out_of_order);
    tcase_add_test(tc, test_select_gap_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("maintenance");
    tcase_add_test(tc, test_remove);
    tcase_add_test(tc, test_prune);
    tcase_add_test(tc, test_prune_future_chain);
    tcase_add_test(tc, test_readd_after_reorg);
    suite_add_tcase(s, tc);

    tc = tcase_create("determinism");
    tcase_add_test(tc, test_determinism);
    suite_add_tcase(s, tc);

    tc = tcase_create("randomized");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_randomized, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("shared");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_shared_matches_private, 0, 3);
    tcase_add_test(tc, test_shared_lower_nonces_count);
    tcase_add_test(tc, test_shared_prune_sender_filed_later);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    hash_init();
    for (int i = 0; i < NKEYS; i++)
        keys_derive(&K[i], SEED, (uint64_t)i);
    SRunner *sr = srunner_create(mempool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
