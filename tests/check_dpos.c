/*
 * check_dpos.c - the delegated proof-of-stake engine: election of the top N
 * by votes, the per-round deterministic shuffle, next production slot,
 * block validation (slot, schedule, signature), missed slots, the last
 * irreversible block (checked against a brute-force walk and exact heights)
 * and fork choice that never crosses the LIB, and elections that follow the
 * vote transactions recorded on each chain.
 *
 * Every test owns its blocks through a fixture that calls ops->free_block
 * before block_free, then destroys the engine.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus/dpos.h"
#include "core/hash.h"
#include "core/ledger.h"

#define KEY_SEED 99

typedef struct fx {
    consensus_t *c;
    uint32_t nnodes;
    keypair_t *kp;
    uint8_t (*pk)[PK_BYTES];
    uint64_t interval_ns;
    GPtrArray *blocks; /* every block made, genesis first */
    block_t *g;
} fx_t;

static void fx_init(fx_t *f, uint32_t nnodes, const uint64_t *votes, uint32_t n, uint32_t k, uint64_t interval_ns,
                    uint64_t seed)
{
    hash_init();
    memset(f, 0, sizeof *f);
    f->nnodes = nnodes;
    f->kp = g_new0(keypair_t, nnodes);
    f->pk = g_malloc0(sizeof *f->pk * nnodes);
    for (uint32_t i = 0; i < nnodes; i++) {
        keys_derive(&f->kp[i], KEY_SEED, i);
        memcpy(f->pk[i], f->kp[i].pk, PK_BYTES);
    }
    dpos_cfg_t cfg = { .nnodes = nnodes, .votes = votes, .producers = n, .blocks_per_turn = k,
                       .interval_ns = interval_ns, .seed = seed,
                       .pubkeys = (const uint8_t (*)[PK_BYTES])f->pk };
    f->c = dpos_new(&cfg);
    f->interval_ns = interval_ns ? interval_ns : DPOS_DEFAULT_INTERVAL_NS;
    f->blocks = g_ptr_array_new();
    f->g = block_new(NULL, 0, 0, &f->kp[0].addr, NULL, 0, 0);
    f->c->ops->prepare(f->c, f->g);
    block_seal(f->g);
    g_ptr_array_add(f->blocks, f->g);
}

static void fx_free(fx_t *f)
{
    for (guint i = 0; i < f->blocks->len; i++) {
        block_t *b = g_ptr_array_index(f->blocks, i);
        f->c->ops->free_block(f->c, b);
        block_free(b);
    }
    g_ptr_array_free(f->blocks, TRUE);
    f->c->ops->destroy(f->c);
    g_free(f->kp);
    g_free(f->pk);
}

/* A block on parent at time_ns by producer, prepared and sealed; signed by
 * signer's key unless signer is UINT32_MAX. */
static block_t *fx_block_at(fx_t *f, block_t *parent, uint64_t time_ns, uint32_t producer, uint32_t signer)
{
    block_t *b = block_new(parent, time_ns, producer, &f->kp[producer].addr, NULL, 0, 0);
    f->c->ops->prepare(f->c, b);
    if (signer != UINT32_MAX)
        f->c->ops->sign(f->c, b, &f->kp[signer]);
    block_seal(b);
    g_ptr_array_add(f->blocks, b);
    return b;
}

/* The honest block of slot on parent. */
static block_t *fx_slot(fx_t *f, block_t *parent, uint64_t slot)
{
    uint32_t p = dpos_producer(f->c, slot);
    ck_assert_uint_ne(p, DPOS_NO_PRODUCER);
    return fx_block_at(f, parent, slot * f->interval_ns, p, p);
}

static void assert_valid(fx_t *f, const block_t *b)
{
    const char *why = NULL;
    ck_assert_msg(f->c->ops->check(f->c, b, &why), "block at slot %llu rejected: %s",
                  (unsigned long long)b->h.slot, why);
}

static void assert_rejected(fx_t *f, const block_t *b, const char *reason)
{
    const char *why = NULL;
    ck_assert(!f->c->ops->check(f->c, b, &why));
    ck_assert_str_eq(why, reason);
}

/* Expected election: node i is elected when votes > 0 and fewer than n nodes
 * beat it (more votes, or equal votes and a lower id). */
static bool elected(const uint64_t *votes, uint32_t nnodes, uint32_t n, uint32_t i)
{
    if (votes[i] == 0)
        return false;
    uint32_t beaten_by = 0;
    for (uint32_t j = 0; j < nnodes; j++)
        if (votes[j] > votes[i] || (votes[j] == votes[i] && j < i))
            beaten_by++;
    return beaten_by < n;
}

/* LIB by definition: walk down from tip collecting distinct producers; the
 * first x at which they reach floor(2N/3)+1 gives LIB = x's parent. */
static const block_t *brute_lib(const block_t *tip, uint32_t nprod)
{
    uint32_t need = 2 * nprod / 3 + 1;
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    const block_t *x = tip, *lib = NULL;
    for (; x->parent; x = x->parent) {
        g_hash_table_add(seen, GUINT_TO_POINTER(x->h.producer + 1));
        if (g_hash_table_size(seen) >= need) {
            lib = x->parent;
            break;
        }
    }
    g_hash_table_destroy(seen);
    return lib ? lib : x; /* x is genesis when the walk ran out */
}

/* next_ns by definition: scan slots. */
static uint64_t brute_next(fx_t *f, uint32_t node, uint64_t tip_slot, uint64_t now_ns, uint64_t max_slot)
{
    for (uint64_t s = tip_slot + 1; s <= max_slot; s++)
        if (s * f->interval_ns >= now_ns && dpos_producer(f->c, s) == node)
            return s * f->interval_ns;
    return UINT64_MAX;
}

/* ---------- election and schedule ---------- */

START_TEST(test_election_and_schedule)
{
    enum { NN = 30, K = 12 };
    uint64_t votes[NN];
    /* Ten groups of three equal weights, 90 down to 0 (one group unvoted). */
    for (uint32_t i = 0; i < NN; i++)
        votes[i] = (uint64_t)((i * 17) % 30) / 3 * 10;
    uint32_t sizes[2] = { 21, 20 }; /* 21 ends on a group; 20 cuts a tie */
    for (int t = 0; t < 2; t++) {
        uint32_t n = sizes[t];
        fx_t f;
        fx_init(&f, NN, votes, t == 0 ? 0 : n, K, 1000, 5);
        ck_assert_uint_eq(dpos_nproducers(f.c), n);
        uint32_t orders[8][21];
        for (uint64_t r = 0; r < 8; r++) {
            uint32_t got = 0;
            const uint32_t *s = dpos_schedule(f.c, r, &got);
            ck_assert_uint_eq(got, n);
            memcpy(orders[r], s, sizeof(uint32_t) * n);
            /* every elected delegate exactly once, nobody else */
            uint32_t count[NN] = { 0 };
            for (uint32_t i = 0; i < n; i++) {
                ck_assert_uint_lt(orders[r][i], NN);
                count[orders[r][i]]++;
            }
            for (uint32_t i = 0; i < NN; i++)
                ck_assert_uint_eq(count[i], elected(votes, NN, n, i) ? 1 : 0);
            /* each producer holds K consecutive slots, in schedule order */
            uint64_t first = 1 + r * n * K;
            for (uint64_t s2 = first; s2 < first + (uint64_t)n * K; s2++)
                ck_assert_uint_eq(dpos_producer(f.c, s2), orders[r][(s2 - first) / K]);
        }
        /* the tie at 30 votes is broken by the lower id */
        if (n == 20) {
            uint32_t tied[3], nt = 0;
            for (uint32_t i = 0; i < NN; i++)
                if (votes[i] == 30)
                    tied[nt++] = i;
            ck_assert_uint_eq(nt, 3);
            ck_assert(elected(votes, NN, n, tied[0]) && elected(votes, NN, n, tied[1]));
            ck_assert(!elected(votes, NN, n, tied[2]));
        }
        /* a different order in every round */
        for (int a = 0; a < 8; a++)
            for (int b = a + 1; b < 8; b++)
                ck_assert_msg(memcmp(orders[a], orders[b], sizeof(uint32_t) * n) != 0, "rounds %d and %d equal", a,
                              b);
        ck_assert_uint_eq(dpos_producer(f.c, 0), DPOS_NO_PRODUCER);
        fx_free(&f);
    }
}
END_TEST

START_TEST(test_few_or_no_voters)
{
    uint64_t votes[10] = { 0, 5, 0, 7, 0, 0, 9, 1, 0, 0 };
    fx_t f;
    fx_init(&f, 10, votes, 21, 2, 1000, 1);
    uint32_t n = 0;
    const uint32_t *s = dpos_schedule(f.c, 3, &n);
    ck_assert_uint_eq(n, 4);
    uint32_t mask = 0;
    for (uint32_t i = 0; i < n; i++)
        mask |= 1u << s[i];
    ck_assert_uint_eq(mask, (1u << 1) | (1u << 3) | (1u << 6) | (1u << 7));
    ck_assert_uint_eq(f.c->ops->next_ns(f.c, 0, f.g, 0, 0.5), UINT64_MAX);
    fx_free(&f);

    uint64_t none[3] = { 0, 0, 0 };
    fx_init(&f, 3, none, 21, 12, 1000, 1);
    ck_assert_uint_eq(dpos_nproducers(f.c), 0);
    ck_assert_ptr_null(dpos_schedule(f.c, 0, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(dpos_producer(f.c, 1), DPOS_NO_PRODUCER);
    for (uint32_t i = 0; i < 3; i++)
        ck_assert_uint_eq(f.c->ops->next_ns(f.c, i, f.g, 0, 0.5), UINT64_MAX);
    ck_assert_ptr_eq(f.c->ops->final(f.c, f.g), f.g);
    fx_free(&f);
}
END_TEST

/* Digest of the producers of the first `rounds` rounds, visiting rounds in
 * the given direction (backwards defeats the schedule cache). */
static void schedule_digest(consensus_t *c, uint64_t rounds, bool backwards, hash32_t *out)
{
    uint32_t n = dpos_nproducers(c);
    uint32_t *all = g_new(uint32_t, rounds * n);
    for (uint64_t i = 0; i < rounds; i++) {
        uint64_t r = backwards ? rounds - 1 - i : i;
        uint32_t got;
        const uint32_t *s = dpos_schedule(c, r, &got);
        memcpy(all + r * n, s, sizeof(uint32_t) * n);
    }
    hash_blake2b(out, all, sizeof(uint32_t) * rounds * n);
    g_free(all);
}

START_TEST(test_determinism)
{
    enum { NN = 25 };
    uint64_t votes[NN];
    for (uint32_t i = 0; i < NN; i++)
        votes[i] = 1000 + (i * 7) % 25;
    fx_t a, b, other;
    fx_init(&a, NN, votes, 0, 0, 0, 42);
    fx_init(&b, NN, votes, 0, 0, 0, 42);
    fx_init(&other, NN, votes, 0, 0, 0, 43);
    hash32_t da, db, dother;
    schedule_digest(a.c, 100, false, &da);
    schedule_digest(b.c, 100, true, &db);
    schedule_digest(other.c, 100, false, &dother);
    ck_assert_mem_eq(da.b, db.b, HASH_BYTES);
    ck_assert_mem_ne(da.b, dother.b, HASH_BYTES);
    /* the same slot asked again after the cache moved on */
    uint32_t p = dpos_producer(a.c, 12345);
    for (uint64_t s = 1; s < 21 * 12 * 9; s += 7)
        (void)dpos_producer(a.c, s);
    ck_assert_uint_eq(dpos_producer(a.c, 12345), p);
    ck_assert_uint_eq(dpos_producer(b.c, 12345), p);
    fx_free(&a);
    fx_free(&b);
    fx_free(&other);

    /* Golden: the shuffle itself must not change silently (replays depend
     * on it). Five delegates 0..4 by votes, seed 7; the values were checked
     * against an independent implementation of the algorithm in dpos.c's
     * file comment (Python hashlib.blake2b). */
    uint64_t v5[5] = { 50, 40, 30, 20, 10 };
    static const uint32_t golden[3][5] = { { 3, 1, 4, 0, 2 }, { 1, 3, 0, 4, 2 }, { 1, 2, 0, 3, 4 } };
    fx_t f;
    fx_init(&f, 5, v5, 0, 1, 1000, 7);
    for (uint64_t r = 0; r < 3; r++) {
        uint32_t n;
        const uint32_t *s = dpos_schedule(f.c, r, &n);
        ck_assert_uint_eq(n, 5);
        for (uint32_t i = 0; i < 5; i++)
            ck_assert_uint_eq(s[i], golden[r][i]);
    }
    fx_free(&f);
}
END_TEST

/* ---------- production times ---------- */

START_TEST(test_next_ns)
{
    enum { NN = 6, N = 4, K = 3 };
    const uint64_t iv = 1000;
    uint64_t votes[NN] = { 10, 20, 30, 40, 0, 1 }; /* 5 is outvoted, 4 unvoted */
    fx_t f;
    fx_init(&f, NN, votes, N, K, iv, 11);
    uint32_t n;
    uint32_t r0[N], r1[N];
    memcpy(r0, dpos_schedule(f.c, 0, &n), sizeof r0);
    memcpy(r1, dpos_schedule(f.c, 1, &n), sizeof r1);
    const consensus_ops_t *ops = f.c->ops;

    /* on genesis at time 0: each delegate's first turn of round 0 */
    for (uint32_t i = 0; i < N; i++)
        ck_assert_uint_eq(ops->next_ns(f.c, r0[i], f.g, 0, 0.5), (1 + (uint64_t)i * K) * iv);
    /* at the last slot of its turn, a delegate skips to its turn in round 1 */
    block_t *b = fx_slot(&f, f.g, 1);
    b = fx_slot(&f, b, 2);
    block_t *end = fx_slot(&f, b, K);
    uint32_t j = 0;
    while (r1[j] != r0[0])
        j++;
    ck_assert_uint_eq(ops->next_ns(f.c, r0[0], end, end->h.time_ns, 0.5), (1 + N * K + (uint64_t)j * K) * iv);
    /* mid-turn, now between slots: the next slot start of the same turn */
    ck_assert_uint_eq(ops->next_ns(f.c, r0[0], f.g, iv + 1, 0.5), 2 * iv);
    ck_assert_uint_eq(ops->next_ns(f.c, r0[0], b, b->h.time_ns, 0.5), 3 * iv);
    /* never for nodes outside the top N */
    for (uint32_t node = 4; node < NN; node++)
        ck_assert_uint_eq(ops->next_ns(f.c, node, f.g, 0, 0.5), UINT64_MAX);
    ck_assert_uint_eq(ops->next_ns(f.c, 99, f.g, 0, 0.5), UINT64_MAX);

    /* everything against a scan, tips and clocks all over three rounds */
    for (uint64_t ts = 0; ts < 3 * N * K; ts++) {
        block_t *tip = block_new(f.g, ts * iv, 0, &f.kp[0].addr, NULL, 0, 0);
        ops->prepare(f.c, tip);
        block_seal(tip);
        ck_assert_uint_eq(ops->schedule_key(f.c, tip), ts);
        uint64_t nows[] = { 0, ts * iv, ts * iv + 1, (ts + 4) * iv - 1, (ts + 2 * N * K) * iv };
        for (uint32_t node = 0; node < 4; node++)
            for (size_t q = 0; q < G_N_ELEMENTS(nows); q++)
                ck_assert_uint_eq(ops->next_ns(f.c, node, tip, nows[q], 0.5),
                                  brute_next(&f, node, ts, nows[q], 8 * N * K));
        ops->free_block(f.c, tip);
        block_free(tip);
    }
    fx_free(&f);
}
END_TEST

/* ---------- validation ---------- */

/* Runs the production loop as the simulator does: every online node asks
 * next_ns on the shared tip, the earliest produces. Returns the tip. */
static block_t *produce(fx_t *f, block_t *tip, const bool *offline, uint64_t until_slot)
{
    for (;;) {
        uint64_t best = UINT64_MAX;
        uint32_t who = UINT32_MAX;
        for (uint32_t i = 0; i < f->nnodes; i++) {
            if (offline && offline[i])
                continue;
            uint64_t t = f->c->ops->next_ns(f->c, i, tip, tip->h.time_ns, 0.5);
            ck_assert(t == UINT64_MAX || t != best); /* one producer per slot */
            if (t < best) {
                best = t;
                who = i;
            }
        }
        if (best == UINT64_MAX || best / f->interval_ns > until_slot)
            return tip;
        ck_assert_uint_eq(dpos_producer(f->c, best / f->interval_ns), who);
        block_t *b = fx_block_at(f, tip, best, who, who);
        assert_valid(f, b);
        ck_assert_uint_ne(f->c->ops->schedule_key(f->c, b), f->c->ops->schedule_key(f->c, tip));
        tip = b;
    }
}

START_TEST(test_all_producers_chain)
{
    enum { NN = 25 };
    uint64_t votes[NN];
    for (uint32_t i = 0; i < NN; i++)
        votes[i] = 100 + i;
    fx_t f;
    fx_init(&f, NN, votes, 0, 0, 0, 3); /* defaults: 21 producers, 12 per turn, 500 ms */
    const uint64_t nk = 21 * 12;
    block_t *tip = produce(&f, f.g, NULL, 2 * nk);
    ck_assert_uint_eq(tip->h.height, 2 * nk);
    ck_assert_uint_eq(tip->h.slot, 2 * nk);
    ck_assert_uint_eq(tip->h.time_ns, 2 * nk * 500000000ull);
    ck_assert_uint_eq(tip->work, tip->h.height + 1);
    /* every slot filled, in order, by its producer */
    for (const block_t *b = tip; b->parent; b = b->parent) {
        ck_assert_uint_eq(b->h.slot, b->h.height);
        ck_assert_uint_eq(b->h.producer, dpos_producer(f.c, b->h.slot));
        ck_assert_uint_lt(b->h.producer, NN);
        ck_assert_uint_ge(b->h.producer, NN - 21); /* only the 21 highest votes */
    }
    fx_free(&f);
}
END_TEST

START_TEST(test_rejections)
{
    enum { NN = 6, N = 4, K = 2 };
    const uint64_t iv = 1000;
    uint64_t votes[NN] = { 10, 20, 30, 40, 0, 1 };
    fx_t f;
    fx_init(&f, NN, votes, N, K, iv, 17);
    block_t *b1 = fx_slot(&f, f.g, 1);
    assert_valid(&f, b1);
    assert_rejected(&f, f.g, "no parent");
    uint32_t p2 = dpos_producer(f.c, 2), p3 = dpos_producer(f.c, 3);
    ck_assert_uint_ne(p2, p3);

    /* a delegate outside its turn, and a node that was not elected */
    assert_rejected(&f, fx_block_at(&f, b1, 3 * iv, p2, p2), "producer not scheduled for this slot");
    assert_rejected(&f, fx_block_at(&f, b1, 2 * iv, 5, 5), "producer not scheduled for this slot");
    assert_rejected(&f, fx_block_at(&f, b1, 2 * iv, 4, 4), "producer not scheduled for this slot");

    /* not at a slot start, or claiming another slot than its time */
    assert_rejected(&f, fx_block_at(&f, b1, 2 * iv + 1, p2, p2), "block outside its slot");
    block_t *moved = block_new(b1, 2 * iv, p3, &f.kp[p3].addr, NULL, 0, 0);
    f.c->ops->prepare(f.c, moved);
    moved->h.slot = 3;
    f.c->ops->sign(f.c, moved, &f.kp[p3]);
    block_seal(moved);
    g_ptr_array_add(f.blocks, moved);
    assert_rejected(&f, moved, "block outside its slot");

    /* slot not after the parent's: same slot, and earlier */
    assert_rejected(&f, fx_block_at(&f, b1, 1 * iv, dpos_producer(f.c, 1), dpos_producer(f.c, 1)),
                    "slot not after the parent's");
    block_t *b3 = fx_slot(&f, b1, 3);
    assert_valid(&f, b3);
    assert_rejected(&f, fx_block_at(&f, b3, 2 * iv, p2, p2), "slot not after the parent's");

    /* signatures: missing, by another key, header changed after signing,
     * truncated */
    assert_rejected(&f, fx_block_at(&f, b1, 2 * iv, p2, UINT32_MAX), "bad producer signature");
    assert_rejected(&f, fx_block_at(&f, b1, 2 * iv, p2, p3), "bad producer signature");
    block_t *t = fx_block_at(&f, b1, 2 * iv, p2, p2);
    assert_valid(&f, t);
    t->h.nonce = 1;
    block_seal(t);
    assert_rejected(&f, t, "bad producer signature");
    t->h.nonce = 0;
    t->h.extra_len = SIG_BYTES / 2;
    block_seal(t);
    assert_rejected(&f, t, "bad producer signature");
    t->h.extra_len = SIG_BYTES;
    block_seal(t);
    assert_valid(&f, t);

    /* difficulty must stay 1 (work = height) */
    block_t *heavy = block_new(b1, 2 * iv, p2, &f.kp[p2].addr, NULL, 0, 0);
    f.c->ops->prepare(f.c, heavy);
    heavy->h.difficulty = 1000;
    f.c->ops->sign(f.c, heavy, &f.kp[p2]);
    block_seal(heavy);
    g_ptr_array_add(f.blocks, heavy);
    assert_rejected(&f, heavy, "wrong difficulty");
    fx_free(&f);

    /* without public keys no block passes */
    dpos_cfg_t cfg = { .nnodes = NN, .votes = votes, .producers = N, .blocks_per_turn = K, .interval_ns = iv,
                       .seed = 17 };
    fx_init(&f, NN, votes, N, K, iv, 17);
    consensus_t *nokeys = dpos_new(&cfg);
    block_t *ok = fx_slot(&f, f.g, 1);
    assert_valid(&f, ok);
    const char *why = NULL;
    ck_assert(!nokeys->ops->check(nokeys, ok, &why));
    ck_assert_str_eq(why, "bad producer signature");
    nokeys->ops->destroy(nokeys);
    fx_free(&f);
}
END_TEST

START_TEST(test_missed_slots)
{
    enum { NN = 21, K = 12 };
    const uint64_t nk = 21 * K;
    uint64_t votes[NN];
    for (uint32_t i = 0; i < NN; i++)
        votes[i] = 1 + i;
    /* three producers offline: their slots stay empty, the others go on and
     * 18 >= 15 producers still make blocks irreversible */
    bool offline[NN] = { false };
    offline[3] = offline[8] = offline[15] = true;
    fx_t f;
    fx_init(&f, NN, votes, 0, K, 0, 21);
    block_t *tip = produce(&f, f.g, offline, 3 * nk);
    ck_assert_uint_eq(tip->h.height, 3 * 18 * K);
    uint32_t gaps = 0;
    for (const block_t *b = tip; b->parent; b = b->parent) {
        ck_assert(!offline[b->h.producer]);
        if (b->h.slot - b->parent->h.slot > 1) {
            gaps++;
            /* each gap is exactly the turns of offline producers */
            for (uint64_t s = b->parent->h.slot + 1; s < b->h.slot; s++)
                ck_assert(offline[dpos_producer(f.c, s)]);
        }
    }
    ck_assert_uint_ge(gaps, 1);
    const block_t *lib = f.c->ops->final(f.c, tip);
    ck_assert_uint_gt(lib->h.height, 0);
    ck_assert_ptr_eq(lib, brute_lib(tip, 21));
    fx_free(&f);

    /* seven offline: 14 producers can never make a block irreversible */
    offline[1] = offline[5] = offline[11] = offline[19] = true;
    fx_init(&f, NN, votes, 0, K, 0, 21);
    tip = produce(&f, f.g, offline, 3 * nk);
    ck_assert_uint_eq(tip->h.height, 3 * 14 * K);
    for (const block_t *b = tip; b; b = b->parent)
        ck_assert_ptr_eq(f.c->ops->final(f.c, b), f.g);
    fx_free(&f);
}
END_TEST

/* ---------- finality ---------- */

START_TEST(test_lib_small)
{
    enum { NN = 4, N = 4, K = 2 };
    uint64_t votes[NN] = { 4, 3, 2, 1 };
    fx_t f;
    fx_init(&f, NN, votes, N, K, 1000, 9);
    /* N = 4: floor(8/3)+1 = 3 distinct producers. Round 0 gives turns
     * p0 p0 p1 p1 p2 p2 p3 p3 at heights 1..8. */
    static const uint64_t want[8] = { 0, 0, 0, 0, 1, 1, 3, 3 };
    block_t *tip = f.g;
    ck_assert_ptr_eq(f.c->ops->final(f.c, f.g), f.g);
    for (uint64_t s = 1; s <= 8; s++) {
        tip = fx_slot(&f, tip, s);
        ck_assert_uint_eq(f.c->ops->final(f.c, tip)->h.height, want[s - 1]);
    }
    /* on through three more rounds, against the definition */
    for (uint64_t s = 9; s <= 32; s++) {
        tip = fx_slot(&f, tip, s);
        const block_t *lib = f.c->ops->final(f.c, tip);
        ck_assert_ptr_eq(lib, brute_lib(tip, N));
        ck_assert_uint_ge(lib->h.height, f.c->ops->final(f.c, tip->parent)->h.height);
    }

    /* the same round without p1's turn (slots 3, 4 empty) */
    static const uint64_t slots[6] = { 1, 2, 5, 6, 7, 8 };
    static const uint64_t want_gap[6] = { 0, 0, 0, 0, 1, 1 };
    tip = f.g;
    for (int i = 0; i < 6; i++) {
        tip = fx_slot(&f, tip, slots[i]);
        ck_assert_uint_eq(f.c->ops->final(f.c, tip)->h.height, want_gap[i]);
    }
    fx_free(&f);
}
END_TEST

START_TEST(test_lib_21)
{
    enum { NN = 21, N = 21, K = 12 };
    uint64_t votes[NN];
    for (uint32_t i = 0; i < NN; i++)
        votes[i] = 1000 - i;
    fx_t f;
    fx_init(&f, NN, votes, N, K, 0, 77);
    /* round 0: the q-th producer makes heights q*K+1 .. (q+1)*K. With 15
     * distinct producers (floor(42/3)+1) on top, the LIB is the block just
     * before the oldest of the last 15 producers' latest blocks. */
    block_t *tip = f.g;
    for (uint64_t h = 1; h <= (uint64_t)N * K; h++) {
        tip = fx_slot(&f, tip, h);
        uint64_t q = (h - 1) / K;
        uint64_t want = q + 1 < 15 ? 0 : (q - 13) * K - 1;
        ck_assert_uint_eq(f.c->ops->final(f.c, tip)->h.height, want);
        if (h == 14 * K) /* 14 producers: nothing irreversible yet */
            ck_assert_ptr_eq(f.c->ops->final(f.c, tip), f.g);
        if (h == 14 * K + 1) /* the 15th producer's first block */
            ck_assert_uint_eq(f.c->ops->final(f.c, tip)->h.height, K - 1);
    }
    /* two more rounds against the definition */
    for (uint64_t s = (uint64_t)N * K + 1; s <= 3ull * N * K; s++) {
        tip = fx_slot(&f, tip, s);
        ck_assert_ptr_eq(f.c->ops->final(f.c, tip), brute_lib(tip, N));
    }
    fx_free(&f);

    /* memos computed lazily from the tip of an unseen chain give the same */
    fx_init(&f, NN, votes, N, K, 0, 77);
    tip = f.g;
    for (uint64_t s = 1; s <= 2ull * N * K; s++)
        tip = fx_slot(&f, tip, s);
    ck_assert_ptr_eq(f.c->ops->final(f.c, tip), brute_lib(tip, N));
    fx_free(&f);
}
END_TEST

START_TEST(test_compare)
{
    enum { NN = 4, N = 4, K = 2 };
    uint64_t votes[NN] = { 4, 3, 2, 1 };
    fx_t f;
    fx_init(&f, NN, votes, N, K, 1000, 9);
    const consensus_ops_t *ops = f.c->ops;
    block_t *a[9];
    a[0] = f.g;
    for (uint64_t s = 1; s <= 8; s++)
        a[s] = fx_slot(&f, a[s - 1], s);
    ck_assert_ptr_eq(ops->final(f.c, a[8]), a[3]);

    /* longer wins, equal is a tie */
    ck_assert_int_gt(ops->compare(f.c, a[8], a[7]), 0);
    ck_assert_int_lt(ops->compare(f.c, a[7], a[8]), 0);
    ck_assert_int_eq(ops->compare(f.c, a[8], a[8]), 0);

    /* a longer valid fork from below the LIB (a1) loses to a8 */
    block_t *fk = a[1];
    for (uint64_t s = 9; s <= 16; s++) {
        fk = fx_slot(&f, fk, s);
        assert_valid(&f, fk);
    }
    ck_assert_uint_gt(fk->h.height, a[8]->h.height);
    ck_assert_int_lt(ops->compare(f.c, fk, a[8]), 0);
    /* and a8 cannot displace it either: each side keeps its own LIB */
    ck_assert_int_lt(ops->compare(f.c, a[8], fk), 0);

    /* a longer fork from above the LIB (a4) wins */
    block_t *gk = a[4];
    for (uint64_t s = 9; s <= 13; s++)
        gk = fx_slot(&f, gk, s);
    ck_assert_uint_eq(gk->h.height, 9);
    ck_assert_int_gt(ops->compare(f.c, gk, a[8]), 0);
    ck_assert_int_lt(ops->compare(f.c, a[8], gk), 0);

    /* an equally high fork that keeps both LIBs is a tie */
    block_t *hk = fx_slot(&f, a[7], 9);
    ck_assert_uint_eq(hk->h.height, 8);
    ck_assert_int_eq(ops->compare(f.c, hk, a[8]), 0);
    ck_assert_int_eq(ops->compare(f.c, a[8], hk), 0);
    fx_free(&f);
}
END_TEST

/* ---------- votes on the chain ---------- */

enum { CV_NN = 4, CV_N = 3, CV_K = 2 };
#define CV_IV 1000ull
#define CV_RS ((uint64_t)CV_N * CV_K) /* slots per round: round r starts at 1 + 6r */
#define VOTER_SEED 1234

/* Engine with config votes {30, 20, 10, 0} (node 3 unvoted, node 2 last
 * elected) and a genesis state funding two voters: 1000 and 5. */
static void cv_init(fx_t *f, keypair_t voters[2])
{
    static const uint64_t votes[CV_NN] = { 30, 20, 10, 0 };
    fx_init(f, CV_NN, votes, CV_N, CV_K, CV_IV, 5);
    keys_derive(&voters[0], VOTER_SEED, 0);
    keys_derive(&voters[1], VOTER_SEED, 1);
    addr_t addrs[2] = { voters[0].addr, voters[1].addr };
    uint64_t balances[2] = { 1000, 5 };
    f->g->state = state_genesis(addrs, balances, 2);
    f->g->valid = 1;
}

/* The honest block of slot on parent's chain holding txs (references
 * consumed), applied to the ledger; must be valid under both. */
static block_t *cv_block(fx_t *f, block_t *parent, uint64_t slot, tx_t **txs, uint32_t ntx)
{
    uint32_t p = dpos_producer_on(f->c, parent, slot);
    ck_assert_uint_ne(p, DPOS_NO_PRODUCER);
    block_t *b = block_new(parent, slot * f->interval_ns, p, &f->kp[p].addr, txs, ntx, 0);
    for (uint32_t i = 0; i < ntx; i++)
        tx_unref(txs[i]);
    f->c->ops->prepare(f->c, b);
    f->c->ops->sign(f->c, b, &f->kp[p]);
    block_seal(b);
    g_ptr_array_add(f->blocks, b);
    assert_valid(f, b);
    ck_assert_msg(ledger_apply_block(b, 0), "ledger rejected slot %llu: %s", (unsigned long long)slot,
                  b->invalid_reason);
    return b;
}

static block_t *cv_vote(fx_t *f, block_t *parent, uint64_t slot, const keypair_t *voter, uint32_t delegate,
                        uint64_t nonce)
{
    tx_t *tx = tx_new_call(voter, TX_VOTE, delegate, 0, 1, nonce);
    return cv_block(f, parent, slot, &tx, 1);
}

/* Bit mask of the delegates of round on parent's chain. */
static uint32_t cv_mask(fx_t *f, const block_t *parent, uint64_t round)
{
    uint32_t n = 0, mask = 0;
    const uint32_t *s = dpos_schedule_on(f->c, parent, round, &n);
    ck_assert_uint_eq(n, CV_N);
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_lt(s[i], CV_NN);
        mask |= 1u << s[i];
    }
    return mask;
}

static bool cv_same_as_config(fx_t *f, const block_t *parent, uint64_t round)
{
    uint32_t n, want[CV_N];
    memcpy(want, dpos_schedule(f->c, round, &n), sizeof want);
    return memcmp(dpos_schedule_on(f->c, parent, round, &n), want, sizeof want) == 0;
}

/* The first slot of round whose producer on parent's chain is node;
 * UINT64_MAX if none. */
static uint64_t cv_turn(fx_t *f, const block_t *parent, uint64_t round, uint32_t node)
{
    for (uint64_t s = 1 + round * CV_RS; s < 1 + (round + 1) * CV_RS; s++)
        if (dpos_producer_on(f->c, parent, s) == node)
            return s;
    return UINT64_MAX;
}

START_TEST(test_chain_votes_elect)
{
    fx_t f;
    keypair_t voters[2];
    cv_init(&f, voters);
    const consensus_ops_t *ops = f.c->ops;
    const uint32_t cfg_mask = (1u << 0) | (1u << 1) | (1u << 2);
    const uint32_t voted_mask = (1u << 0) | (1u << 1) | (1u << 3);

    /* round 0, slot 1: x1 records 999 votes (1000 minus the fee) for node 3,
     * its sibling y1 none */
    block_t *x1 = cv_vote(&f, f.g, 1, &voters[0], 3, 0);
    block_t *y1 = cv_block(&f, f.g, 1, NULL, 0);
    ck_assert_uint_eq(ledger_votes_of(x1->state, 3), 999);
    ck_assert_uint_eq(ledger_votes_of(y1->state, 3), 0);

    /* round 0 never counts chain votes */
    ck_assert(cv_same_as_config(&f, x1, 0));
    ck_assert_uint_eq(dpos_producer_on(f.c, x1, 2), dpos_producer(f.c, 2));
    /* round 1: node 3 replaces node 2 on x1's chain only */
    ck_assert_uint_eq(cv_mask(&f, x1, 1), voted_mask);
    ck_assert_uint_eq(cv_mask(&f, y1, 1), cfg_mask);
    ck_assert(cv_same_as_config(&f, y1, 1));
    ck_assert_uint_eq(cv_mask(&f, NULL, 1), cfg_mask);
    ck_assert_uint_eq(cv_mask(&f, x1, 2), voted_mask);
    /* a later round-0 block on x1's chain keeps the votes (it is the new
     * boundary, its state carries them) */
    block_t *x2 = cv_block(&f, x1, 3, NULL, 0);
    ck_assert_uint_eq(cv_mask(&f, x2, 1), voted_mask);
    /* a block without a state as boundary: no extra votes */
    block_t *bare = fx_block_at(&f, x1, 4 * CV_IV, dpos_producer_on(f.c, x1, 4), dpos_producer_on(f.c, x1, 4));
    ck_assert_ptr_null(bare->state);
    ck_assert(cv_same_as_config(&f, bare, 1));

    /* check: node 3's block in its round-1 turn is valid only on x1's chain,
     * node 2's only on y1's */
    uint64_t s3 = cv_turn(&f, x1, 1, 3), s2 = cv_turn(&f, y1, 1, 2);
    ck_assert_uint_ne(s3, UINT64_MAX);
    ck_assert_uint_ne(s2, UINT64_MAX);
    ck_assert_uint_eq(cv_turn(&f, y1, 1, 3), UINT64_MAX);
    ck_assert_uint_eq(cv_turn(&f, x1, 1, 2), UINT64_MAX);
    assert_valid(&f, fx_block_at(&f, x1, s3 * CV_IV, 3, 3));
    assert_valid(&f, fx_block_at(&f, x2, s3 * CV_IV, 3, 3));
    assert_rejected(&f, fx_block_at(&f, y1, s3 * CV_IV, 3, 3), "producer not scheduled for this slot");
    assert_valid(&f, fx_block_at(&f, y1, s2 * CV_IV, 2, 2));
    assert_rejected(&f, fx_block_at(&f, x1, s2 * CV_IV, 2, 2), "producer not scheduled for this slot");

    /* next_ns follows the chain: node 3 produces on x1 only, node 2 stops
     * producing there after round 0 */
    ck_assert_uint_eq(ops->next_ns(f.c, 3, x1, x1->h.time_ns, 0.5), s3 * CV_IV);
    ck_assert_uint_eq(ops->next_ns(f.c, 3, y1, y1->h.time_ns, 0.5), UINT64_MAX);
    ck_assert_uint_eq(ops->next_ns(f.c, 2, x1, 7 * CV_IV, 0.5), UINT64_MAX);
    ck_assert_uint_eq(ops->next_ns(f.c, 2, y1, 7 * CV_IV, 0.5), s2 * CV_IV);
    /* and so does schedule_key: same slot, other schedules */
    ck_assert_uint_eq(ops->schedule_key(f.c, y1), 1);
    ck_assert_uint_ne(ops->schedule_key(f.c, x1), ops->schedule_key(f.c, y1));
    ck_assert_uint_eq(ops->schedule_key(f.c, x1), ops->schedule_key(f.c, x1));

    /* the production loop on x1's chain through rounds 1 and 2: every slot
     * filled by the chain's producer, node 3 among them, node 2 not */
    block_t *tip = x1;
    uint32_t made[CV_NN] = { 0 };
    for (;;) {
        uint64_t best = UINT64_MAX;
        uint32_t who = UINT32_MAX;
        for (uint32_t i = 0; i < CV_NN; i++) {
            uint64_t t = ops->next_ns(f.c, i, tip, tip->h.time_ns, 0.5);
            ck_assert(t == UINT64_MAX || t != best);
            if (t < best) {
                best = t;
                who = i;
            }
        }
        if (best == UINT64_MAX || best / CV_IV > 3 * CV_RS)
            break;
        ck_assert_uint_eq(best / CV_IV, tip->h.slot + 1);
        block_t *b = cv_block(&f, tip, best / CV_IV, NULL, 0);
        ck_assert_uint_eq(b->h.producer, who);
        if (b->h.slot > CV_RS)
            made[who]++;
        tip = b;
    }
    ck_assert_uint_eq(tip->h.slot, 3 * CV_RS);
    ck_assert_uint_eq(made[3], 2 * CV_K);
    ck_assert_uint_eq(made[2], 0);
    ck_assert_ptr_eq(ops->final(f.c, tip), brute_lib(tip, CV_N));
    fx_free(&f);
}
END_TEST

START_TEST(test_chain_votes_move)
{
    fx_t f;
    keypair_t voters[2];
    cv_init(&f, voters);
    const uint32_t cfg_mask = (1u << 0) | (1u << 1) | (1u << 2);
    const uint32_t voted_mask = (1u << 0) | (1u << 1) | (1u << 3);

    block_t *x1 = cv_vote(&f, f.g, 1, &voters[0], 3, 0);
    /* round 1: m moves the vote to node 1; its sibling k keeps it */
    uint64_t s = 1 + CV_RS;
    block_t *m = cv_vote(&f, x1, s, &voters[0], 1, 1);
    block_t *k = cv_block(&f, x1, s, NULL, 0);
    ck_assert_uint_eq(ledger_votes_of(m->state, 3), 0);
    ck_assert_uint_eq(ledger_votes_of(m->state, 1), 998);
    ck_assert_uint_eq(ledger_votes_of(k->state, 3), 999);
    /* the move counts from the next round: round 1 still elects node 3 */
    ck_assert_uint_eq(cv_mask(&f, m, 1), voted_mask);
    ck_assert_uint_eq(cv_mask(&f, m, 2), cfg_mask);
    ck_assert_uint_eq(cv_mask(&f, k, 2), voted_mask);
    /* the small voter alone (4 votes) does not beat node 2's 10 */
    block_t *w = cv_vote(&f, m, s + 1, &voters[1], 3, 0);
    ck_assert_uint_eq(ledger_votes_of(w->state, 3), 4);
    ck_assert_uint_eq(cv_mask(&f, w, 2), cfg_mask);
    /* deeper into round 1 the boundary is still x1: node 3 keeps its turn */
    ck_assert_uint_eq(cv_mask(&f, w, 1), voted_mask);
    ck_assert_uint_eq(cv_turn(&f, w, 1, 3), cv_turn(&f, x1, 1, 3));

    /* node 3's round-2 block is valid after k, not after m */
    uint64_t s3 = cv_turn(&f, k, 2, 3);
    ck_assert_uint_ne(s3, UINT64_MAX);
    ck_assert_uint_eq(cv_turn(&f, m, 2, 3), UINT64_MAX);
    assert_valid(&f, fx_block_at(&f, k, s3 * CV_IV, 3, 3));
    assert_rejected(&f, fx_block_at(&f, m, s3 * CV_IV, 3, 3), "producer not scheduled for this slot");

    /* schedules are the same whatever the cache holds: many rounds forward
     * (the cache is cleared several times), then backwards */
    enum { ROUNDS = 700 };
    uint32_t *fwd = g_new(uint32_t, (size_t)ROUNDS * CV_N);
    for (int pass = 0; pass < 2; pass++)
        for (uint64_t i = 0; i < ROUNDS; i++) {
            uint64_t r = pass ? ROUNDS - 1 - i : i;
            const block_t *on = r % 2 ? m : k;
            uint32_t n;
            const uint32_t *o = dpos_schedule_on(f.c, on, r, &n);
            ck_assert_uint_eq(n, CV_N);
            if (pass == 0)
                memcpy(fwd + r * CV_N, o, sizeof(uint32_t) * CV_N);
            else
                ck_assert_mem_eq(fwd + r * CV_N, o, sizeof(uint32_t) * CV_N);
            if (r >= 2)
                ck_assert_uint_eq(cv_mask(&f, on, r), r % 2 ? cfg_mask : voted_mask);
        }
    g_free(fwd);
    fx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dpos");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_election_and_schedule);
    tcase_add_test(tc, test_few_or_no_voters);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_next_ns);
    tcase_add_test(tc, test_all_producers_chain);
    tcase_add_test(tc, test_rejections);
    tcase_add_test(tc, test_missed_slots);
    tcase_add_test(tc, test_lib_small);
    tcase_add_test(tc, test_lib_21);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_chain_votes_elect);
    tcase_add_test(tc, test_chain_votes_move);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
