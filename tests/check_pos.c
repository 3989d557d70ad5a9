/*
 * check_pos.c - the proof-of-stake engine: stake-weighted proposer lottery,
 * RANDAO look-ahead, block validity, Casper FFG justification and
 * finalization (honest, stalled, resumed), compare against finality,
 * slashing of double proposals and double votes, LMD-GHOST, and effective
 * stake from stake / unstake transactions with an activation delay.
 *
 * Chains are built by a fixture that plays every validator honestly: the
 * block of slot s includes the attestations made at slot s-1 (head = the
 * block then at the tip) by the validators not marked offline.
 */
#include <check.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus/pos.h"
#include "core/hash.h"
#include "core/ledger.h"
#include "core/state.h"
#include "core/tx.h"

#define SLOT_NS 12000000000ull
#define MAXV 16
#define NOATT UINT64_MAX /* offline mask: nobody attests */

static addr_t zero_addr;

typedef struct fx {
    consensus_t *c;
    uint32_t n;
    uint32_t spe;
    keypair_t kp[MAXV];
    uint64_t stake[MAXV];
    block_t *g;
    GPtrArray *all; /* every block made, genesis first; freed by fx_free */
    keypair_t staker; /* funded in genesis when the fixture keeps a ledger */
    bool ledger;      /* every block made is applied with ledger_apply_block */
} fx_t;

/* activation: cfg.activation_epochs; funds > 0: genesis gets a state giving
 * f->staker that balance, and every block is applied to the ledger. */
static void fx_init_ledger(fx_t *f, uint32_t n, const uint64_t *stake, uint32_t spe, uint32_t activation,
                           uint64_t funds);

static void fx_init(fx_t *f, uint32_t n, const uint64_t *stake, uint32_t spe)
{
    fx_init_ledger(f, n, stake, spe, 0, 0);
}

static void fx_init_ledger(fx_t *f, uint32_t n, const uint64_t *stake, uint32_t spe, uint32_t activation,
                           uint64_t funds)
{
    hash_init();
    memset(f, 0, sizeof *f);
    ck_assert_uint_le(n, MAXV);
    f->n = n;
    f->spe = spe;
    uint8_t pk[MAXV][PK_BYTES];
    for (uint32_t i = 0; i < n; i++) {
        keys_derive(&f->kp[i], 42, i);
        memcpy(pk[i], f->kp[i].pk, PK_BYTES);
        f->stake[i] = stake[i];
    }
    pos_cfg_t cfg = { .nvalidators = n, .stake = stake, .pubkeys = (const uint8_t(*)[PK_BYTES])pk,
                      .slot_ns = SLOT_NS, .slots_per_epoch = spe, .genesis_seed = 7,
                      .activation_epochs = activation };
    f->c = pos_new(&cfg);
    ck_assert_ptr_nonnull(f->c);
    f->g = block_new(NULL, 0, 0, &zero_addr, NULL, 0, 0);
    if (funds > 0) {
        keys_derive(&f->staker, 99, 0);
        f->ledger = true;
        f->g->valid = 1;
        f->g->state = state_genesis(&f->staker.addr, &funds, 1);
    }
    f->all = g_ptr_array_new();
    g_ptr_array_add(f->all, f->g);
}

static void fx_free(fx_t *f)
{
    for (guint i = 0; i < f->all->len; i++)
        f->c->ops->free_block(f->c, g_ptr_array_index(f->all, i));
    for (guint i = 0; i < f->all->len; i++)
        block_free(g_ptr_array_index(f->all, i));
    g_ptr_array_free(f->all, TRUE);
    f->c->ops->destroy(f->c);
}

/* A block at `slot` (+ time_offset_ns) on parent claiming `producer`, signed
 * with signer's key, holding atts and ev. Not checked. */
static block_t *fx_make_tx(fx_t *f, block_t *parent, uint64_t slot, uint32_t producer, uint32_t signer,
                           tx_t *const *txs, uint32_t ntx, const pos_att_t *atts, uint32_t natts,
                           const pos_evidence_t *ev, uint32_t nev, uint64_t time_offset_ns, uint64_t padding)
{
    block_t *b = block_new(parent, slot * SLOT_NS + time_offset_ns, producer, &f->kp[producer % MAXV].addr, txs,
                           ntx, padding);
    f->c->ops->prepare(f->c, b);
    if (natts || nev)
        pos_block_attach(f->c, b, atts, natts, ev, nev);
    f->c->ops->sign(f->c, b, &f->kp[signer]);
    block_seal(b);
    g_ptr_array_add(f->all, b);
    if (f->ledger)
        ck_assert_msg(ledger_apply_block(b, 0), "ledger rejected the block: %s", b->invalid_reason);
    return b;
}

static block_t *fx_make(fx_t *f, block_t *parent, uint64_t slot, uint32_t producer, uint32_t signer,
                        const pos_att_t *atts, uint32_t natts, const pos_evidence_t *ev, uint32_t nev,
                        uint64_t time_offset_ns, uint64_t padding)
{
    return fx_make_tx(f, parent, slot, producer, signer, NULL, 0, atts, natts, ev, nev, time_offset_ns, padding);
}

/* The eligible proposer's block at slot on parent holding txs; it must pass
 * check. */
static block_t *fx_block_tx(fx_t *f, block_t *parent, uint64_t slot, tx_t *const *txs, uint32_t ntx,
                            const pos_att_t *atts, uint32_t natts)
{
    uint32_t who = pos_proposer(f->c, parent, slot);
    ck_assert_uint_lt(who, f->n);
    block_t *b = fx_make_tx(f, parent, slot, who, who, txs, ntx, atts, natts, NULL, 0, 0, 0);
    const char *why = NULL;
    ck_assert_msg(f->c->ops->check(f->c, b, &why), "honest block at slot %llu rejected: %s",
                  (unsigned long long)slot, why);
    return b;
}

/* The eligible proposer's block at slot on parent; it must pass check. */
static block_t *fx_block(fx_t *f, block_t *parent, uint64_t slot, const pos_att_t *atts, uint32_t natts,
                         const pos_evidence_t *ev, uint32_t nev, uint64_t padding)
{
    uint32_t who = pos_proposer(f->c, parent, slot);
    ck_assert_uint_lt(who, f->n);
    block_t *b = fx_make(f, parent, slot, who, who, atts, natts, ev, nev, 0, padding);
    const char *why = NULL;
    ck_assert_msg(f->c->ops->check(f->c, b, &why), "honest block at slot %llu rejected: %s",
                  (unsigned long long)slot, why);
    return b;
}

/* A block at slot on parent holding one stake or unstake transaction of the
 * staker's for validator v. */
static block_t *fx_stake_block(fx_t *f, block_t *parent, uint64_t slot, tx_kind_t kind, uint32_t v,
                               uint64_t amount, uint64_t nonce)
{
    tx_t *tx = tx_new_call(&f->staker, kind, v, amount, 0, nonce);
    block_t *b = fx_block_tx(f, parent, slot, &tx, 1, NULL, 0);
    tx_unref(tx);
    return b;
}

/* check must reject b; returns the reason. */
static const char *fx_reject(fx_t *f, const block_t *b)
{
    const char *why = NULL;
    ck_assert(!f->c->ops->check(f->c, b, &why));
    ck_assert_ptr_nonnull(why);
    return why;
}

/* Honest attestations made at slot with `head` by the validators whose bit
 * is clear in offline. */
static uint32_t fx_attest(fx_t *f, const block_t *head, uint64_t slot, uint64_t offline, pos_att_t *out)
{
    uint32_t k = 0;
    for (uint32_t v = 0; v < f->n; v++) {
        if ((offline >> v & 1) || !pos_is_attester(f->c, head, v, slot))
            continue;
        pos_att_t *a = &out[k++];
        memset(a, 0, sizeof *a);
        a->validator = v;
        pos_checkpoints(f->c, head, slot, a);
        pos_att_sign(a, &f->kp[v]);
    }
    return k;
}

/* A block at every slot first..last on tip; the block of slot s includes the
 * attestations made at slot s-1 on the tip of that moment. */
static block_t *fx_run(fx_t *f, block_t *tip, uint64_t first, uint64_t last, uint64_t offline)
{
    pos_att_t atts[MAXV];
    for (uint64_t s = first; s <= last; s++) {
        uint32_t k = fx_attest(f, tip, s - 1, offline, atts);
        tip = fx_block(f, tip, s, atts, k, NULL, 0, 0);
    }
    return tip;
}

static uint64_t just_epoch(fx_t *f, const block_t *b)
{
    uint64_t e;
    hash32_t id;
    pos_justified(f->c, b, &e, &id);
    return e;
}

static uint64_t fin_epoch(fx_t *f, const block_t *b)
{
    uint64_t e;
    hash32_t id;
    pos_finalized(f->c, b, &e, &id);
    return e;
}

static const block_t *at_slot(const block_t *b, uint64_t slot)
{
    while (b->h.slot > slot)
        b = b->parent;
    return b;
}

static bool same_id(const block_t *a, const hash32_t *id)
{
    return memcmp(a->id.b, id->b, HASH_BYTES) == 0;
}

START_TEST(test_proposer_frequency)
{
    uint64_t stake[5] = { 1000, 2000, 3000, 4000, 0 };
    fx_t f;
    fx_init(&f, 5, stake, 32);
    uint32_t count[5] = { 0 };
    const uint32_t slots = 20000;
    for (uint64_t s = 1; s <= slots; s++) {
        uint32_t v = pos_proposer(f.c, f.g, s);
        ck_assert_uint_lt(v, 5);
        count[v]++;
    }
    for (int v = 0; v < 4; v++) {
        double share = 100.0 * count[v] / slots, want = 10.0 * (v + 1);
        ck_assert_msg(fabs(share - want) < 2.0, "validator %d: %.2f%% of slots, stake share %.0f%%", v, share, want);
    }
    ck_assert_uint_eq(count[4], 0); /* no stake, never chosen */
    ck_assert_uint_eq(f.c->ops->next_ns(f.c, 4, f.g, 0, 0.5), UINT64_MAX);
    /* the same question gives the same answer */
    ck_assert_uint_eq(pos_proposer(f.c, f.g, 777), pos_proposer(f.c, f.g, 777));
    fx_free(&f);
}
END_TEST

START_TEST(test_next_ns)
{
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 8);
    block_t *tip = fx_run(&f, f.g, 1, 5, NOATT);
    uint64_t now = 7 * SLOT_NS + 3; /* in slot 7: the next usable slot is 8 */
    for (uint32_t v = 0; v < 4; v++) {
        uint64_t t = f.c->ops->next_ns(f.c, v, tip, now, 0.5);
        if (t == UINT64_MAX) {
            for (uint64_t s = 8; s < 8 + 16; s++)
                ck_assert_uint_ne(pos_proposer(f.c, tip, s), v);
            continue;
        }
        ck_assert_uint_eq(t % SLOT_NS, 0);
        ck_assert_uint_ge(t, now);
        uint64_t slot = t / SLOT_NS;
        ck_assert_uint_eq(pos_proposer(f.c, tip, slot), v);
        for (uint64_t s = 8; s < slot; s++)
            ck_assert_uint_ne(pos_proposer(f.c, tip, s), v);
    }
    /* at now = the tip's time, the first candidate is the next slot */
    uint32_t p6 = pos_proposer(f.c, tip, 6);
    ck_assert_uint_eq(f.c->ops->next_ns(f.c, p6, tip, tip->h.time_ns, 0.5), 6 * SLOT_NS);
    ck_assert_uint_eq(f.c->ops->next_ns(f.c, 9, tip, 0, 0.5), UINT64_MAX);
    ck_assert_uint_ne(f.c->ops->schedule_key(f.c, tip), f.c->ops->schedule_key(f.c, tip->parent));
    fx_free(&f);
}
END_TEST

START_TEST(test_randao_lookahead)
{
    /* epochs of 16 slots: epoch 1 = 16..31, epoch 2 = 32..47, epoch 3 = 48..63 */
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 16);
    block_t *e0 = fx_run(&f, f.g, 1, 15, NOATT);
    block_t *e1 = fx_run(&f, e0, 16, 31, NOATT);
    block_t *x = fx_run(&f, e1, 32, 47, NOATT);
    /* y: other reveals in epoch 2 (only even slots have blocks) */
    block_t *y = e1;
    for (uint64_t s = 32; s <= 47; s += 2)
        y = fx_block(&f, y, s, NULL, 0, NULL, 0, 0);
    /* z: other reveals in epoch 1 (only odd slots), then every slot of epoch 2 */
    block_t *z = e0;
    for (uint64_t s = 17; s <= 31; s += 2)
        z = fx_block(&f, z, s, NULL, 0, NULL, 0, 0);
    z = fx_run(&f, z, 32, 47, NOATT);

    int differ_z = 0, differ_y_next = 0;
    for (uint64_t s = 48; s < 64; s++) {
        ck_assert_uint_eq(pos_proposer(f.c, x, s), pos_proposer(f.c, y, s));
        differ_z += pos_proposer(f.c, x, s) != pos_proposer(f.c, z, s);
    }
    for (uint32_t v = 0; v < 4; v++)
        ck_assert_uint_eq(pos_attestation_slot(f.c, x, v, 3), pos_attestation_slot(f.c, y, v, 3));
    for (uint64_t s = 64; s < 80; s++)
        differ_y_next += pos_proposer(f.c, x, s) != pos_proposer(f.c, y, s);
    ck_assert_msg(differ_z > 0, "epoch 3's schedule must follow epoch 1's reveals");
    ck_assert_msg(differ_y_next > 0, "epoch 4's schedule must follow epoch 2's reveals");
    /* the schedule seen from inside epoch 3 is the one predicted before it */
    block_t *x48 = fx_block(&f, x, 48, NULL, 0, NULL, 0, 0), *y49 = fx_block(&f, y, 49, NULL, 0, NULL, 0, 0);
    for (uint64_t s = 50; s < 64; s++) {
        ck_assert_uint_eq(pos_proposer(f.c, x48, s), pos_proposer(f.c, x, s));
        ck_assert_uint_eq(pos_proposer(f.c, y49, s), pos_proposer(f.c, x, s));
    }
    /* and the schedule of epoch 2 itself was fixed before epoch 1's reveals */
    for (uint64_t s = 32; s < 48; s++)
        ck_assert_uint_eq(pos_proposer(f.c, e0, s), pos_proposer(f.c, e1, s));
    fx_free(&f);
}
END_TEST

START_TEST(test_invalid_blocks)
{
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 8);
    block_t *tip = fx_run(&f, f.g, 1, 5, 0);
    uint32_t p = pos_proposer(f.c, tip, 6), q = (p + 1) % 4;
    fx_block(&f, tip, 6, NULL, 0, NULL, 0, 0); /* the honest one passes */

    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 6, q, q, NULL, 0, NULL, 0, 0, 0)),
                     "proposer not eligible for this slot");
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 6, p, p, NULL, 0, NULL, 0, 1, 0)), "block outside its slot");
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 5, p, p, NULL, 0, NULL, 0, 0, 0)),
                     "slot not after the parent's");
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 6, p, q, NULL, 0, NULL, 0, 0, 0)), "bad RANDAO reveal");
    ck_assert_str_eq(fx_reject(&f, f.g), "no parent");

    block_t *b = fx_make(&f, tip, 6, p, p, NULL, 0, NULL, 0, 0, 1);
    b->h.extra[SIG_BYTES + 5] ^= 1;
    block_seal(b);
    ck_assert_str_eq(fx_reject(&f, b), "bad block signature");

    /* an attestation whose signature is not the validator's */
    pos_att_t a = { .validator = 1 };
    pos_checkpoints(f.c, tip, 5, &a);
    pos_att_sign(&a, &f.kp[2]);
    ck_assert(!pos_att_verify(f.c, &a));
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 6, p, p, &a, 1, NULL, 0, 0, 0)), "invalid attestation");
    /* signed, but for a slot not before the block */
    a.slot = 6;
    pos_att_sign(&a, &f.kp[1]);
    ck_assert(pos_att_verify(f.c, &a));
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 6, p, p, &a, 1, NULL, 0, 0, 0)), "invalid attestation");

    /* evidence that proves nothing: the same header twice */
    pos_signed_header_t h;
    ck_assert(pos_block_signed_header(f.c, tip, &h));
    pos_evidence_t ev;
    pos_evidence_double_proposal(&ev, &h, &h);
    ck_assert(!pos_evidence_verify(f.c, &ev));
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, tip, 6, p, p, NULL, 0, &ev, 1, 0, 0)), "invalid slashing evidence");

    /* a broken layout, correctly signed */
    b = block_new(tip, 6 * SLOT_NS, p, &f.kp[p].addr, NULL, 0, 2);
    f.c->ops->prepare(f.c, b);
    b->h.extra[2 * SIG_BYTES] = 3; /* claims 3 attestations, holds none */
    f.c->ops->sign(f.c, b, &f.kp[p]);
    block_seal(b);
    g_ptr_array_add(f.all, b);
    ck_assert_str_eq(fx_reject(&f, b), "malformed consensus data");
    fx_free(&f);
}
END_TEST

START_TEST(test_finality_honest)
{
    uint64_t stake[6] = { 10, 20, 30, 40, 50, 60 };
    fx_t f;
    fx_init(&f, 6, stake, 8);
    block_t *tip = f.g;
    uint64_t weight = 0;
    for (uint64_t e = 0; e <= 6; e++) {
        /* slots of epoch e+1's first block included epoch e's last attestations */
        tip = fx_run(&f, tip, 8 * e + 1, 8 * e + 8, 0);
        uint64_t je, fe;
        hash32_t jid, fid;
        pos_justified(f.c, tip, &je, &jid);
        pos_finalized(f.c, tip, &fe, &fid);
        ck_assert_uint_eq(je, e);
        ck_assert_uint_eq(fe, e ? e - 1 : 0);
        ck_assert(same_id(at_slot(tip, 8 * je), &jid));
        ck_assert(same_id(at_slot(tip, 8 * fe), &fid));
        ck_assert_ptr_eq(f.c->ops->final(f.c, tip), at_slot(tip, 8 * fe));
        ck_assert_uint_gt(pos_attested_weight(f.c, tip), weight);
        weight = pos_attested_weight(f.c, tip);
    }
    /* every validator counted once per epoch: 7 epochs of the full stake */
    ck_assert_uint_eq(weight, 7 * 210);
    ck_assert_ptr_eq(f.c->ops->final(f.c, f.g), f.g);
    fx_free(&f);
}
END_TEST

START_TEST(test_finality_stalls_and_resumes)
{
    /* validators 4 and 5 hold 21/61 > 1/3 of the stake */
    uint64_t stake[6] = { 10, 10, 10, 10, 10, 11 };
    uint64_t away = 1u << 4 | 1u << 5;
    fx_t f;
    fx_init(&f, 6, stake, 8);
    block_t *tip = fx_run(&f, f.g, 1, 24, 0); /* epochs 0..2 honest */
    ck_assert_uint_eq(just_epoch(&f, tip), 2);
    ck_assert_uint_eq(fin_epoch(&f, tip), 1);
    for (uint64_t e = 3; e <= 5; e++) {
        tip = fx_run(&f, tip, 8 * e + 1, 8 * e + 8, away);
        ck_assert_uint_eq(just_epoch(&f, tip), 2);
        ck_assert_uint_eq(fin_epoch(&f, tip), 1);
    }
    tip = fx_run(&f, tip, 49, 56, 0); /* epoch 6: back */
    ck_assert_uint_eq(just_epoch(&f, tip), 6);
    ck_assert_uint_eq(fin_epoch(&f, tip), 1); /* 2 -> 6 is not a link of consecutive epochs */
    tip = fx_run(&f, tip, 57, 64, 0);
    ck_assert_uint_eq(just_epoch(&f, tip), 7);
    ck_assert_uint_eq(fin_epoch(&f, tip), 6);
    tip = fx_run(&f, tip, 65, 72, 0);
    ck_assert_uint_eq(just_epoch(&f, tip), 8);
    ck_assert_uint_eq(fin_epoch(&f, tip), 7);
    fx_free(&f);
}
END_TEST

START_TEST(test_two_thirds_exactly)
{
    /* 40 of 60: exactly 2/3 still justifies */
    uint64_t stake[6] = { 10, 10, 10, 10, 10, 10 };
    fx_t f;
    fx_init(&f, 6, stake, 8);
    block_t *tip = fx_run(&f, f.g, 1, 32, 1u << 4 | 1u << 5);
    ck_assert_uint_eq(just_epoch(&f, tip), 3);
    ck_assert_uint_eq(fin_epoch(&f, tip), 2);
    fx_free(&f);
}
END_TEST

START_TEST(test_compare)
{
    uint64_t stake[6] = { 10, 10, 10, 10, 10, 10 };
    fx_t f;
    fx_init(&f, 6, stake, 8);
    consensus_t *c = f.c;
    block_t *a = fx_run(&f, f.g, 1, 32, 0);
    ck_assert_uint_eq(just_epoch(&f, a), 3);
    ck_assert_uint_eq(fin_epoch(&f, a), 2);
    ck_assert_int_eq(c->ops->compare(c, a, a), 0);

    /* b forks from genesis and justifies epochs 2, 4, 6 (never two in a row,
     * so nothing is finalized): higher justification, taller, but it does
     * not contain a's finalized checkpoint */
    block_t *b = fx_run(&f, f.g, 2, 8, NOATT);
    for (uint64_t e = 1; e <= 6; e++)
        b = fx_run(&f, b, 8 * e + 1, 8 * e + 8, e % 2 == 0 ? 0 : NOATT);
    ck_assert_uint_eq(just_epoch(&f, b), 6);
    ck_assert_uint_eq(fin_epoch(&f, b), 0);
    ck_assert_uint_gt(b->h.height, a->h.height);
    ck_assert_int_gt(c->ops->compare(c, a, b), 0);
    ck_assert_int_lt(c->ops->compare(c, b, a), 0);

    /* same finality: the higher justified epoch wins over height */
    block_t *a2 = fx_run(&f, a, 33, 48, 0);
    block_t *tall = fx_run(&f, a, 34, 60, NOATT);
    ck_assert_uint_eq(just_epoch(&f, a2), 5);
    ck_assert_uint_eq(just_epoch(&f, tall), 3);
    ck_assert_int_gt(c->ops->compare(c, a2, tall), 0);
    ck_assert_int_lt(c->ops->compare(c, tall, a2), 0);

    /* same justification: more attested stake wins over height */
    block_t *d1 = a;
    uint64_t s = 33;
    while (pos_attested_weight(c, d1) == pos_attested_weight(c, a)) {
        ck_assert_uint_lt(s, 40);
        d1 = fx_run(&f, d1, s, s, 0);
        s++;
    }
    block_t *d2 = fx_run(&f, a, 34, s + 2, NOATT);
    ck_assert_uint_eq(just_epoch(&f, d1), just_epoch(&f, d2));
    ck_assert_uint_gt(d2->h.height, d1->h.height);
    ck_assert_int_gt(c->ops->compare(c, d1, d2), 0);
    ck_assert_int_lt(c->ops->compare(c, d2, d1), 0);

    /* then height */
    block_t *e1 = fx_run(&f, a, 35, 36, NOATT);
    ck_assert_int_gt(c->ops->compare(c, d2, e1), 0);
    ck_assert_int_lt(c->ops->compare(c, e1, d2), 0);
    fx_free(&f);
}
END_TEST

/* Slots in [from, from + n) whose proposer on b is v. */
static uint32_t owned_slots(fx_t *f, const block_t *b, uint32_t v, uint64_t from, uint32_t n)
{
    uint32_t k = 0;
    for (uint64_t s = from; s < from + n; s++)
        k += pos_proposer(f->c, b, s) == v;
    return k;
}

START_TEST(test_slash_double_proposal)
{
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 8);
    consensus_t *c = f.c;
    block_t *tip = fx_run(&f, f.g, 1, 10, 0);
    uint32_t p = pos_proposer(c, tip, 11);
    block_t *b1 = fx_block(&f, tip, 11, NULL, 0, NULL, 0, 0);
    block_t *b2 = fx_block(&f, tip, 11, NULL, 0, NULL, 0, 100); /* both valid, different ids */
    ck_assert(memcmp(b1->id.b, b2->id.b, HASH_BYTES) != 0);
    pos_signed_header_t h1, h2;
    ck_assert(pos_block_signed_header(c, b1, &h1));
    ck_assert(pos_block_signed_header(c, b2, &h2));
    pos_evidence_t ev;
    pos_evidence_double_proposal(&ev, &h1, &h2);
    ck_assert(pos_evidence_verify(c, &ev));
    ck_assert_uint_eq(pos_evidence_offender(&ev), p);
    /* tampering breaks it */
    pos_evidence_t bad = ev;
    bad.hdr[1].slot = 12;
    ck_assert(!pos_evidence_verify(c, &bad));
    bad = ev;
    bad.hdr[0].sig[0] ^= 1;
    ck_assert(!pos_evidence_verify(c, &bad));

    ck_assert_uint_gt(owned_slots(&f, b1, p, 13, 2000), 0);
    block_t *x = fx_block(&f, b1, 12, NULL, 0, &ev, 1, 0);
    const pos_evidence_t *got;
    ck_assert_uint_eq(pos_block_evidence(c, x, &got), 1);
    ck_assert_uint_eq(got[0].kind, POS_EV_DOUBLE_PROPOSAL);
    ck_assert(pos_is_slashed(c, x, p));
    ck_assert(!pos_is_slashed(c, b1, p));
    ck_assert_uint_eq(pos_slashed_count(c, x), 1);
    ck_assert_uint_eq(pos_slashed_count(c, b1), 0);
    ck_assert_uint_eq(pos_active_stake(c, x), 100 - stake[p]);
    ck_assert_uint_eq(owned_slots(&f, x, p, 13, 2000), 0);
    ck_assert_uint_eq(c->ops->next_ns(c, p, x, 0, 0.5), UINT64_MAX);

    /* the same evidence again on that chain slashes nobody new: invalid */
    uint32_t q = pos_proposer(c, x, 13);
    ck_assert_str_eq(fx_reject(&f, fx_make(&f, x, 13, q, q, NULL, 0, &ev, 1, 0, 0)), "invalid slashing evidence");

    /* its attestations stop counting: p and another validator r attest in
     * epoch 2 (slots 16..23), a block of epoch 3 includes both */
    uint32_t r = (p + 1) % 4;
    block_t *bs[24] = { 0 };
    block_t *t = x;
    for (uint64_t s = 13; s < 24; s++)
        bs[s] = t = fx_block(&f, t, s, NULL, 0, NULL, 0, 0);
    pos_att_t atts[2];
    uint32_t who[2] = { p, r };
    for (int i = 0; i < 2; i++) {
        uint64_t as = pos_attestation_slot(c, t, who[i], 2);
        memset(&atts[i], 0, sizeof atts[i]);
        atts[i].validator = who[i];
        pos_checkpoints(c, bs[as], as, &atts[i]);
        pos_att_sign(&atts[i], &f.kp[who[i]]);
    }
    ck_assert(!pos_is_attester(c, t, p, atts[0].slot));
    block_t *y = fx_block(&f, t, 24, atts, 2, NULL, 0, 0);
    ck_assert_uint_eq(pos_attested_weight(c, y) - pos_attested_weight(c, t), stake[r]);
    fx_free(&f);
}
END_TEST

START_TEST(test_slash_double_vote)
{
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 8);
    consensus_t *c = f.c;
    block_t *tip = fx_run(&f, f.g, 1, 9, 0);
    uint32_t v = 2;
    pos_att_t a1 = { .validator = v }, a2;
    pos_checkpoints(c, tip, 9, &a1);
    pos_att_sign(&a1, &f.kp[v]);
    a2 = a1;
    memset(a2.target.id.b, 0x55, HASH_BYTES);
    pos_att_sign(&a2, &f.kp[v]);
    pos_evidence_t ev;
    pos_evidence_double_vote(&ev, &a1, &a2);
    ck_assert(pos_evidence_verify(c, &ev));
    ck_assert_uint_eq(pos_evidence_offender(&ev), v);

    /* not equivocations: the same vote twice; different target epochs;
     * different validators */
    pos_evidence_t no;
    pos_evidence_double_vote(&no, &a1, &a1);
    ck_assert(!pos_evidence_verify(c, &no));
    pos_att_t a3 = { .validator = v };
    pos_checkpoints(c, tip, 3, &a3);
    pos_att_sign(&a3, &f.kp[v]);
    pos_evidence_double_vote(&no, &a1, &a3);
    ck_assert(!pos_evidence_verify(c, &no));
    pos_att_t a4 = a2;
    a4.validator = 1;
    pos_att_sign(&a4, &f.kp[1]);
    pos_evidence_double_vote(&no, &a1, &a4);
    ck_assert(!pos_evidence_verify(c, &no));

    ck_assert_uint_gt(owned_slots(&f, tip, v, 11, 2000), 0);
    block_t *x = fx_block(&f, tip, 10, NULL, 0, &ev, 1, 0);
    ck_assert(pos_is_slashed(c, x, v));
    ck_assert_uint_eq(pos_slashed_count(c, x), 1);
    ck_assert_uint_eq(pos_active_stake(c, x), 100 - stake[v]);
    ck_assert_uint_eq(owned_slots(&f, x, v, 11, 2000), 0);
    for (uint64_t s = 11; s < 27; s++)
        ck_assert(!pos_is_attester(c, x, v, s));
    fx_free(&f);
}
END_TEST

START_TEST(test_slashing_removes_counted_votes)
{
    /* v (30 of 60) votes for epoch 1, then is slashed in the same epoch:
     * its vote must leave the tally, or its 30 would be 2/3 of the 30 left */
    uint64_t stake[3] = { 10, 20, 30 };
    fx_t f;
    fx_init(&f, 3, stake, 8);
    consensus_t *c = f.c;
    block_t *tip = fx_run(&f, f.g, 1, 8, 0);
    uint32_t v = 2;
    uint64_t as = pos_attestation_slot(c, tip, v, 1);
    /* blocks without attestations up to as, then include only v's vote */
    block_t *t = as > 8 ? fx_run(&f, tip, 9, as, NOATT) : tip;
    pos_att_t a = { .validator = v };
    pos_checkpoints(c, t, as, &a);
    pos_att_sign(&a, &f.kp[v]);
    t = fx_block(&f, t, as + 1, &a, 1, NULL, 0, 0);
    ck_assert_uint_eq(pos_attested_weight(c, t) - pos_attested_weight(c, tip), 30);
    ck_assert_uint_eq(just_epoch(&f, t), 0);
    pos_att_t b = a;
    memset(b.target.id.b, 0x77, HASH_BYTES);
    pos_att_sign(&b, &f.kp[v]);
    pos_evidence_t ev;
    pos_evidence_double_vote(&ev, &a, &b);
    t = fx_block(&f, t, as + 2, NULL, 0, &ev, 1, 0);
    ck_assert_uint_eq(pos_active_stake(c, t), 30);
    ck_assert_uint_eq(just_epoch(&f, t), 0); /* 0 of the 30 left */
    fx_free(&f);
}
END_TEST

/* Weight added by a block on parent holding atts (which must be valid). */
static uint64_t gain(fx_t *f, block_t *parent, uint64_t slot, const pos_att_t *atts, uint32_t natts)
{
    block_t *b = fx_block(f, parent, slot, atts, natts, NULL, 0, 0);
    return pos_attested_weight(f->c, b) - pos_attested_weight(f->c, parent);
}

START_TEST(test_counting_rules)
{
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 8);
    consensus_t *c = f.c;
    block_t *tip = fx_run(&f, f.g, 1, 16, NOATT); /* epoch 2 starts at 16 */
    uint32_t v = 3;
    uint64_t as = pos_attestation_slot(c, tip, v, 2);
    block_t *t = as > 16 ? fx_run(&f, tip, 17, as, NOATT) : tip;
    pos_att_t a = { .validator = v };
    pos_checkpoints(c, t, as, &a);
    pos_att_sign(&a, &f.kp[v]);
    block_t *ok = fx_block(&f, t, as + 1, &a, 1, NULL, 0, 0);
    ck_assert_uint_eq(pos_attested_weight(c, ok) - pos_attested_weight(c, t), 40);
    const pos_att_t *got;
    ck_assert_uint_eq(pos_block_attestations(c, ok, &got), 1);
    ck_assert_int_eq(memcmp(got[0].sig, a.sig, SIG_BYTES), 0);

    pos_att_t twice[2] = { a, a };
    ck_assert_uint_eq(gain(&f, t, as + 1, twice, 2), 40); /* once per target epoch */
    ck_assert_uint_eq(gain(&f, ok, as + 2, &a, 1), 0);    /* already counted on this chain */

    pos_att_t w = a; /* source is not the chain's justified checkpoint */
    w.source.id = tip->id;
    pos_att_sign(&w, &f.kp[v]);
    ck_assert_uint_eq(gain(&f, t, as + 1, &w, 1), 0);
    w = a; /* target is not the chain's epoch-boundary block */
    w.target.id = tip->parent->id;
    pos_att_sign(&w, &f.kp[v]);
    ck_assert_uint_eq(gain(&f, t, as + 1, &w, 1), 0);
    w = a; /* not the validator's committee slot */
    w.slot = as == 16 ? 17 : 16;
    pos_att_sign(&w, &f.kp[v]);
    uint64_t after = (as > w.slot ? as : w.slot) + 1;
    ck_assert_uint_eq(gain(&f, fx_run(&f, t, t->h.slot + 1, after - 1, NOATT), after, &w, 1), 0);
    /* an epoch-2 vote still counts in epoch 3, no longer in epoch 4 */
    block_t *e3 = fx_run(&f, t, as + 1, 24, NOATT);
    ck_assert_uint_eq(gain(&f, e3, 25, &a, 1), 40);
    block_t *e4 = fx_run(&f, t, as + 1, 32, NOATT);
    ck_assert_uint_eq(gain(&f, e4, 33, &a, 1), 0);
    fx_free(&f);
}
END_TEST

/* ---------- effective stake: stake / unstake with an activation delay ---------- */

/* Percentage of the slots in [from, from + n) whose proposer on b is v. */
static double share_pct(fx_t *f, const block_t *b, uint32_t v, uint64_t from, uint32_t n)
{
    return 100.0 * owned_slots(f, b, v, from, n) / n;
}

START_TEST(test_stake_activation)
{
    /* epochs of 1000 slots; validator 3 goes from 10 of 40 to 70 of 100 */
    uint64_t stake[4] = { 10, 10, 10, 10 };
    fx_t f;
    fx_init_ledger(&f, 4, stake, 1000, 1, 1000);
    consensus_t *c = f.c;
    block_t *a = fx_stake_block(&f, f.g, 1, TX_STAKE, 3, 60, 0); /* included in epoch 0 */
    block_t *b = fx_block_tx(&f, f.g, 1, NULL, 0, NULL, 0);      /* the same slot without it */
    ck_assert_uint_eq(ledger_stake_of(a->state, 3), 60);
    ck_assert_uint_eq(ledger_stake_of(b->state, 3), 0);
    ck_assert_uint_eq(pos_active_stake(c, a), 40);

    /* epoch 1: not yet; the same seed and the same stakes on both chains */
    for (uint64_t s = 1000; s < 2000; s++)
        ck_assert_uint_eq(pos_proposer(c, a, s), pos_proposer(c, b, s));
    double e1 = share_pct(&f, a, 3, 1000, 1000);
    ck_assert_msg(fabs(e1 - 25.0) < 5.0, "epoch 1: %.2f%%, want 25%%", e1);

    /* epoch 2 onward: 70% for validator 3, 10% for each of the others */
    double e2 = share_pct(&f, a, 3, 2000, 20000), without = share_pct(&f, b, 3, 2000, 20000);
    ck_assert_msg(fabs(e2 - 70.0) < 2.0, "epochs 2+: %.2f%%, want 70%%", e2);
    ck_assert_msg(fabs(without - 25.0) < 2.0, "epochs 2+ without the stake: %.2f%%, want 25%%", without);
    for (uint32_t v = 0; v < 3; v++) {
        double o = share_pct(&f, a, v, 2000, 20000);
        ck_assert_msg(fabs(o - 10.0) < 2.0, "validator %u: %.2f%%, want 10%%", v, o);
    }

    /* real blocks follow that schedule (fx_block checks them) */
    block_t *a1 = fx_block(&f, a, 1500, NULL, 0, NULL, 0, 0);
    ck_assert_uint_eq(pos_active_stake(c, a1), 40);
    block_t *a2 = fx_block(&f, a1, 2000, NULL, 0, NULL, 0, 0);
    ck_assert_uint_eq(pos_active_stake(c, a2), 100);
    ck_assert_uint_eq(pos_active_stake(c, fx_block(&f, b, 2000, NULL, 0, NULL, 0, 0)), 40);
    /* siblings above the same boundary (a1 for epoch 3) and with the same
     * seed of epoch 3 (fixed by epoch 1) share the schedule */
    block_t *a2b = fx_block(&f, a1, 2001, NULL, 0, NULL, 0, 0);
    ck_assert_uint_eq(pos_active_stake(c, a2b), 100);
    for (uint64_t s = 3000; s < 4000; s++)
        ck_assert_uint_eq(pos_proposer(c, a2, s), pos_proposer(c, a2b, s));
    /* next_ns agrees with the new schedule */
    uint64_t t = c->ops->next_ns(c, 3, a1, 1999 * SLOT_NS, 0.5);
    ck_assert_uint_ne(t, UINT64_MAX);
    ck_assert_uint_eq(pos_proposer(c, a1, t / SLOT_NS), 3);
    fx_free(&f);
}
END_TEST

START_TEST(test_unstake_activation)
{
    uint64_t stake[4] = { 10, 10, 10, 10 };
    fx_t f;
    fx_init_ledger(&f, 4, stake, 1000, 1, 1000);
    consensus_t *c = f.c;
    block_t *a = fx_stake_block(&f, f.g, 1, TX_STAKE, 3, 60, 0);
    block_t *a1 = fx_block(&f, a, 1500, NULL, 0, NULL, 0, 0);
    block_t *u = fx_stake_block(&f, a1, 2100, TX_UNSTAKE, 3, 60, 1); /* included in epoch 2 */
    ck_assert_uint_eq(ledger_stake_of(u->state, 3), 0);
    ck_assert_uint_eq(pos_active_stake(c, u), 100);
    /* epoch 3 still has the stake; from epoch 4 on it is gone */
    double e3 = share_pct(&f, u, 3, 3000, 1000), e4 = share_pct(&f, u, 3, 4000, 20000);
    ck_assert_msg(fabs(e3 - 70.0) < 5.0, "epoch 3: %.2f%%, want 70%%", e3);
    ck_assert_msg(fabs(e4 - 25.0) < 2.0, "epochs 4+: %.2f%%, want 25%%", e4);
    block_t *u3 = fx_block(&f, u, 3000, NULL, 0, NULL, 0, 0);
    ck_assert_uint_eq(pos_active_stake(c, u3), 100);
    block_t *u4 = fx_block(&f, u3, 4000, NULL, 0, NULL, 0, 0);
    ck_assert_uint_eq(pos_active_stake(c, u4), 40);
    /* a partial unstake leaves the rest */
    block_t *h = fx_stake_block(&f, a1, 2100, TX_UNSTAKE, 3, 30, 1);
    double half = share_pct(&f, h, 3, 4000, 20000);
    ck_assert_msg(fabs(half - 100.0 * 40 / 70) < 2.0, "epochs 4+ after unstaking 30: %.2f%%", half);
    ck_assert_uint_eq(pos_active_stake(c, fx_block(&f, h, 4000, NULL, 0, NULL, 0, 0)), 70);
    fx_free(&f);
}
END_TEST

START_TEST(test_stake_no_delay)
{
    /* activation_epochs = 0: from the epoch after the one that included it */
    uint64_t stake[4] = { 10, 10, 10, 10 };
    fx_t f;
    fx_init_ledger(&f, 4, stake, 1000, 0, 1000);
    consensus_t *c = f.c;
    block_t *a = fx_stake_block(&f, f.g, 1, TX_STAKE, 3, 60, 0);
    double e0 = share_pct(&f, a, 3, 2, 998), e1 = share_pct(&f, a, 3, 1000, 20000);
    ck_assert_msg(fabs(e0 - 25.0) < 5.0, "epoch 0: %.2f%%, want 25%%", e0);
    ck_assert_msg(fabs(e1 - 70.0) < 2.0, "epochs 1+: %.2f%%, want 70%%", e1);
    block_t *a0 = fx_block(&f, a, 999, NULL, 0, NULL, 0, 0);
    ck_assert_uint_eq(pos_active_stake(c, a0), 40);
    ck_assert_uint_eq(pos_active_stake(c, fx_block(&f, a0, 1000, NULL, 0, NULL, 0, 0)), 100);
    fx_free(&f);
}
END_TEST

START_TEST(test_stake_threshold)
{
    /* validators 0..2 (30) attest, 3 does not. Without the stake 30 of 40
     * justifies; after validator 3's stake becomes 70, 30 of 100 does not. */
    uint64_t stake[4] = { 10, 10, 10, 10 };
    uint64_t away = 1u << 3;
    fx_t f;
    fx_init_ledger(&f, 4, stake, 8, 1, 1000);
    consensus_t *c = f.c;
    block_t *a = fx_stake_block(&f, f.g, 1, TX_STAKE, 3, 60, 0);
    block_t *b = fx_block_tx(&f, f.g, 1, NULL, 0, NULL, 0);
    block_t *a1 = fx_run(&f, a, 2, 16, away), *b1 = fx_run(&f, b, 2, 16, away);
    ck_assert_uint_eq(just_epoch(&f, a1), 1); /* epoch 1 still counts 40 */
    ck_assert_uint_eq(just_epoch(&f, b1), 1);
    a = fx_run(&f, a1, 17, 32, away);
    b = fx_run(&f, b1, 17, 32, away);
    ck_assert_uint_eq(pos_active_stake(c, a), 100);
    ck_assert_uint_eq(pos_active_stake(c, b), 40);
    ck_assert_uint_eq(just_epoch(&f, b), 3);
    ck_assert_uint_eq(just_epoch(&f, a), 1);
    ck_assert_uint_eq(fin_epoch(&f, a), 0);
    /* with validator 3 back, votes weigh its new stake */
    block_t *a2 = fx_run(&f, a, 33, 48, 0);
    ck_assert_uint_eq(just_epoch(&f, a2), 5);
    ck_assert_uint_eq(fin_epoch(&f, a2), 4);
    ck_assert_uint_eq(pos_attested_weight(c, a2) - pos_attested_weight(c, a), 2 * 100);
    fx_free(&f);
}
END_TEST

/* ---------- LMD-GHOST ---------- */

static block_t *plain_block(fx_t *f, block_t *parent, uint64_t tag)
{
    block_t *b = block_new(parent, parent->h.time_ns + SLOT_NS, 0, &zero_addr, NULL, 0, tag);
    g_ptr_array_add(f->all, b);
    return b;
}

static pos_att_t vote(uint32_t v, uint64_t slot, const block_t *head)
{
    pos_att_t a = { .validator = v, .slot = slot, .head = head->id };
    return a;
}

static bool greater_id(const block_t *a, const block_t *b)
{
    return memcmp(a->id.b, b->id.b, HASH_BYTES) > 0;
}

START_TEST(test_ghost)
{
    uint64_t stake[4] = { 10, 20, 30, 40 };
    fx_t f;
    fx_init(&f, 4, stake, 8);
    pos_ghost_t *g = pos_ghost_new(f.c);
    block_t *a1 = plain_block(&f, f.g, 1), *a2 = plain_block(&f, a1, 2);
    block_t *b1 = plain_block(&f, f.g, 3), *b2 = plain_block(&f, b1, 4);
    block_t *c1 = plain_block(&f, f.g, 5); /* never connected */
    const block_t *order[] = { f.g, a1, a2, b1, b2 };
    for (int i = 0; i < 5; i++)
        pos_ghost_on_block(g, order[i]);
    pos_ghost_on_block(g, a1); /* twice: no-op */

    /* no votes: ties go to the greater id */
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), greater_id(a1, b1) ? a2 : b2);

    pos_att_t m = vote(3, 5, a2);
    ck_assert(pos_ghost_on_attestation(g, &m, a2));
    m = vote(2, 5, b2);
    ck_assert(pos_ghost_on_attestation(g, &m, b2));
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), a2); /* 40 against 30 */
    ck_assert_uint_eq(pos_ghost_weight(g, f.g), 70);

    m = vote(3, 6, b1); /* validator 3 moves */
    ck_assert(pos_ghost_on_attestation(g, &m, b1));
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), b2);
    ck_assert_uint_eq(pos_ghost_weight(g, a1), 0);
    ck_assert_uint_eq(pos_ghost_weight(g, b1), 70);
    ck_assert_uint_eq(pos_ghost_weight(g, b2), 30);

    m = vote(3, 4, a2); /* older: ignored */
    ck_assert(!pos_ghost_on_attestation(g, &m, a2));
    m = vote(3, 6, a2); /* same slot: ignored */
    ck_assert(!pos_ghost_on_attestation(g, &m, a2));
    m = vote(0, 9, c1); /* unknown block */
    ck_assert(!pos_ghost_on_attestation(g, &m, c1));
    m = vote(0, 9, a2); /* head does not match the block given */
    ck_assert(!pos_ghost_on_attestation(g, &m, b2));
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), b2);

    m = vote(0, 7, a2);
    ck_assert(pos_ghost_on_attestation(g, &m, a2));
    m = vote(1, 7, a2);
    ck_assert(pos_ghost_on_attestation(g, &m, a2));
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), b2); /* 30 against 70 */
    m = vote(2, 8, a1);
    ck_assert(pos_ghost_on_attestation(g, &m, a1));
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), a2); /* 60 against 40 */
    ck_assert_uint_eq(pos_ghost_weight(g, a1), 60);
    ck_assert_uint_eq(pos_ghost_weight(g, a2), 30);

    pos_ghost_on_slashing(g, 2); /* 30 against 40 */
    ck_assert_ptr_eq(pos_ghost_head(g, f.g), b2);
    m = vote(2, 20, a1);
    ck_assert(!pos_ghost_on_attestation(g, &m, a1));
    ck_assert_ptr_eq(pos_ghost_head(g, a1), a2); /* from another root */
    ck_assert_ptr_eq(pos_ghost_head(g, c1), c1);
    pos_ghost_free(g);
    fx_free(&f);
}
END_TEST

/* Random trees and moves: the incremental weights equal a recount, and the
 * head equals a brute-force descent. */
START_TEST(test_ghost_random)
{
    uint64_t stake[MAXV];
    for (int i = 0; i < MAXV; i++)
        stake[i] = 1 + i;
    fx_t f;
    fx_init(&f, MAXV, stake, 8);
    pos_ghost_t *g = pos_ghost_new(f.c);
    enum { NB = 60 };
    block_t *bl[NB];
    int parent[NB];
    bl[0] = f.g;
    parent[0] = -1;
    pos_ghost_on_block(g, f.g);
    uint64_t x = 0x9e3779b97f4a7c15ull;
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    for (int i = 1; i < NB; i++) {
        parent[i] = (int)(NEXT() % (uint64_t)i);
        bl[i] = plain_block(&f, bl[parent[i]], (uint64_t)i);
        pos_ghost_on_block(g, bl[i]);
    }
    int latest[MAXV];
    uint64_t slot[MAXV] = { 0 };
    for (int v = 0; v < MAXV; v++)
        latest[v] = -1;
    for (int step = 0; step < 400; step++) {
        uint32_t v = (uint32_t)(NEXT() % MAXV);
        int to = (int)(NEXT() % NB);
        uint64_t s = slot[v] + NEXT() % 3; /* sometimes not newer */
        pos_att_t m = vote(v, s, bl[to]);
        bool newer = latest[v] < 0 || s > slot[v];
        ck_assert(pos_ghost_on_attestation(g, &m, bl[to]) == newer);
        if (newer) {
            latest[v] = to;
            slot[v] = s;
        }
        uint64_t w[NB] = { 0 };
        for (uint32_t u = 0; u < MAXV; u++)
            for (int k = latest[u]; k >= 0; k = parent[k])
                w[k] += stake[u];
        for (int i = 0; i < NB; i++)
            ck_assert_uint_eq(pos_ghost_weight(g, bl[i]), w[i]);
        int n = 0;
        for (;;) {
            int best = -1;
            for (int i = 1; i < NB; i++)
                if (parent[i] == n &&
                    (best < 0 || w[i] > w[best] || (w[i] == w[best] && greater_id(bl[i], bl[best]))))
                    best = i;
            if (best < 0)
                break;
            n = best;
        }
        ck_assert_ptr_eq(pos_ghost_head(g, f.g), bl[n]);
    }
#undef NEXT
    pos_ghost_free(g);
    fx_free(&f);
}
END_TEST

START_TEST(test_bad_config)
{
    hash_init();
    uint64_t stake[2] = { 1, 2 };
    uint8_t pk[2][PK_BYTES] = { { 0 } };
    pos_cfg_t cfg = { .nvalidators = 2, .stake = stake, .pubkeys = (const uint8_t(*)[PK_BYTES])pk,
                      .slot_ns = SLOT_NS, .slots_per_epoch = 32 };
    consensus_t *c = pos_new(&cfg);
    ck_assert_ptr_nonnull(c);
    c->ops->destroy(c);
    pos_cfg_t bad = cfg;
    bad.slot_ns = 0;
    ck_assert_ptr_null(pos_new(&bad));
    bad = cfg;
    bad.slots_per_epoch = 0;
    ck_assert_ptr_null(pos_new(&bad));
    bad = cfg;
    bad.nvalidators = 0;
    ck_assert_ptr_null(pos_new(&bad));
    uint64_t huge[2] = { UINT64_MAX / 2, UINT64_MAX / 2 };
    bad = cfg;
    bad.stake = huge;
    ck_assert_ptr_null(pos_new(&bad));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pos");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_proposer_frequency);
    tcase_add_test(tc, test_next_ns);
    tcase_add_test(tc, test_randao_lookahead);
    tcase_add_test(tc, test_invalid_blocks);
    tcase_add_test(tc, test_finality_honest);
    tcase_add_test(tc, test_finality_stalls_and_resumes);
    tcase_add_test(tc, test_two_thirds_exactly);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_slash_double_proposal);
    tcase_add_test(tc, test_slash_double_vote);
    tcase_add_test(tc, test_slashing_removes_counted_votes);
    tcase_add_test(tc, test_counting_rules);
    tcase_add_test(tc, test_stake_activation);
    tcase_add_test(tc, test_unstake_activation);
    tcase_add_test(tc, test_stake_no_delay);
    tcase_add_test(tc, test_stake_threshold);
    tcase_add_test(tc, test_ghost);
    tcase_add_test(tc, test_ghost_random);
    tcase_add_test(tc, test_bad_config);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
