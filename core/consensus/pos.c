/*
 * pos.c - beacon-chain-style proof of stake behind the consensus interface
 * (rules in pos.h).
 *
 * The per-block memo (memo_t in block->cons) is the beacon state after the
 * block, derived from the parent's memo and the block's own content only:
 *   - epoch, and the RANDAO digest `mix` of the reveals of this epoch up to
 *     and including the block (mix = BLAKE2b(mix || reveal) from 32 zero
 *     bytes at each epoch; an epoch without blocks has the zero digest);
 *   - seed_prev/cur/next: the seeds of epochs epoch-1, epoch, epoch+1. With
 *     seed(e) = BLAKE2b(seed(e-1) || digest(e-2)), all three are fixed once
 *     the chain reaches `epoch`, and seed(epoch+2) = BLAKE2b(seed_next ||
 *     mix), later ones hashing in zero digests (seed_at);
 *   - the epoch-boundary blocks of epoch and epoch-1 (checkpoint targets);
 *   - the justified and finalized checkpoints;
 *   - two vote tallies, for target epochs epoch-1 and epoch (attestations
 *     are counted only while their target epoch is current or previous):
 *     stake counted and a bitset of who was counted;
 *   - the slashed set (stakeview_t: a bitset and its count). It changes
 *     only when a block slashes someone, so it is shared by reference count
 *     and copied on write;
 *   - the effective stake tables (stakes_t) of the two tally epochs; [1] is
 *     the table of the block's own epoch;
 *   - a skip pointer to an older ancestor for O(log^2 n) walks back;
 *   - the decoded attestations and evidence, the content verdict, and a
 *     small cache of proposer schedules of future epochs for next_ns.
 * Invariants: a memo never changes once built (except the schedule cache,
 * which is a pure function of it); a block's memo exists only after all its
 * ancestors' (memo_of builds missing ones oldest first, iteratively); along
 * a chain justified and finalized epochs never decrease and finalized <=
 * justified; tally votes = sum of the stakes of the not-slashed validators
 * whose bit is set.
 *
 * Effective stake tables. The table of epoch e on a chain is a function of
 * its boundary block (the last block with slot < first slot of epoch
 * e - activation_epochs): cfg stake + ledger_stake_of(boundary's state). The
 * engine memoises them in a hash table keyed by the boundary's id, so each
 * is computed once and shared by every block and epoch that uses it; one
 * base table (the configured stakes) serves the epochs without a boundary,
 * the genesis boundary and boundaries without a state (not memoised, so
 * that a state applied later is seen). Tables ignore slashing: the slashed
 * set of the chain is subtracted where a table is used (active stake,
 * proposer lottery, tallies). Tables live until destroy.
 *
 * Justification is evaluated once per block, after its evidence and all its
 * attestations: every attestation of a block is judged against the parent
 * chain's justified checkpoint. With cfg.epoch_processing it is evaluated
 * only at the first block of each epoch, on the parent's end-of-epoch state
 * (epoch_process), as the beacon chain does.
 *
 * Costs: a memo costs the block's signature checks plus two bitset copies
 * (nvalidators / 8 bytes each); a seed k epochs past the chain's last block
 * costs k hashes (empty epochs are chained one by one); next_ns on a tip
 * whose schedules are cached is a scan of at most 2 x slots_per_epoch
 * entries.
 */
#include "core/consensus/pos.h"

#include <glib.h>
#include <string.h>

#include "core/ledger.h"

#define POS_SCHED_CACHE 4 /* proposer schedules (epochs) cached per tip */
#define POS_DEFAULT_MAX_EVIDENCE 16
#define TALLY_NONE UINT64_MAX /* no such target epoch (before epoch 0) */

typedef struct stakeview {
    uint32_t refs;
    uint32_t nslashed;
    uint8_t *slashed; /* bitset */
} stakeview_t;

/* Effective stakes of one epoch, slashing not applied. */
typedef struct stakes {
    hash32_t id;     /* the boundary block's id (key in pos_t.tables) */
    uint64_t total;  /* sum of stake (saturating additions keep it <= UINT64_MAX) */
    uint64_t *stake; /* per validator */
    uint64_t *cum;   /* cum[i] = stake of validators 0..i */
} stakes_t;

typedef struct tally {
    uint64_t epoch;  /* target epoch, or TALLY_NONE */
    uint64_t votes;  /* stake counted */
    uint8_t *voted;  /* bitset, NULL while nobody was counted; owned */
} tally_t;

typedef struct cp {
    uint64_t epoch;
    const block_t *b;
} cp_t;

typedef struct memo {
    uint64_t epoch;
    bool ok;          /* content verdict (attestations, evidence, layout) */
    const char *why;  /* static, when !ok */
    hash32_t mix;
    hash32_t seed_prev, seed_cur, seed_next;
    const block_t *skip;
    const block_t *boundary_prev, *boundary_cur;
    cp_t just, fin;
    tally_t tally[2]; /* [0]: target epoch-1, [1]: target epoch */
    stakeview_t *sv;  /* counted reference */
    const stakes_t *est[2]; /* tables of tally[i].epoch (NULL for TALLY_NONE); engine-owned */
    uint64_t weight;  /* cumulative counted attestation stake */
    uint32_t natts, nev;
    pos_att_t *atts;      /* owned */
    pos_evidence_t *evs;  /* owned */
    uint64_t sched_epoch[POS_SCHED_CACHE];
    uint32_t *sched[POS_SCHED_CACHE]; /* slots_per_epoch proposers each; owned */
    uint32_t sched_next;
} memo_t;

typedef struct pos {
    consensus_t base;
    pos_cfg_t cfg;
    uint64_t *stake;            /* owned copy */
    uint8_t (*pk)[PK_BYTES];    /* owned copy */
    size_t bitset_bytes;
    stakeview_t *sv0;           /* nobody slashed; owned reference */
    stakes_t *cfg_stakes;       /* the configured stakes; owned */
    GHashTable *tables;         /* &stakes_t.id -> stakes_t *, by boundary id; owns the tables */
} pos_t;

static pos_t *as_pos(consensus_t *c)
{
    return (pos_t *)c;
}

/* ---------- encoding ---------- */

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 8;
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
    memcpy(p, src, n);
    return p + n;
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void pos_att_encode(const pos_att_t *a, uint8_t out[POS_ATT_BYTES])
{
    uint8_t *p = out;
    p = put_u32(p, a->validator);
    p = put_u64(p, a->slot);
    p = put_bytes(p, a->head.b, HASH_BYTES);
    p = put_u64(p, a->source.epoch);
    p = put_bytes(p, a->source.id.b, HASH_BYTES);
    p = put_u64(p, a->target.epoch);
    p = put_bytes(p, a->target.id.b, HASH_BYTES);
    p = put_bytes(p, a->sig, SIG_BYTES);
    g_assert(p == out + POS_ATT_BYTES);
}

static void att_decode(const uint8_t *p, pos_att_t *a)
{
    a->validator = get_u32(p);
    a->slot = get_u64(p + 4);
    memcpy(a->head.b, p + 12, HASH_BYTES);
    a->source.epoch = get_u64(p + 44);
    memcpy(a->source.id.b, p + 52, HASH_BYTES);
    a->target.epoch = get_u64(p + 84);
    memcpy(a->target.id.b, p + 92, HASH_BYTES);
    memcpy(a->sig, p + POS_ATT_SIGNED_BYTES, SIG_BYTES);
}

static void sh_encode(const pos_signed_header_t *h, uint8_t out[POS_SIGNED_HEADER_BYTES])
{
    uint8_t *p = out;
    p = put_u32(p, h->proposer);
    p = put_u64(p, h->slot);
    p = put_bytes(p, h->digest.b, HASH_BYTES);
    p = put_bytes(p, h->sig, SIG_BYTES);
    g_assert(p == out + POS_SIGNED_HEADER_BYTES);
}

static void sh_decode(const uint8_t *p, pos_signed_header_t *h)
{
    h->proposer = get_u32(p);
    h->slot = get_u64(p + 4);
    memcpy(h->digest.b, p + 12, HASH_BYTES);
    memcpy(h->sig, p + 12 + HASH_BYTES, SIG_BYTES);
}

static size_t evidence_bytes(uint8_t kind)
{
    switch (kind) {
    case POS_EV_DOUBLE_PROPOSAL:
        return 1 + 2 * POS_SIGNED_HEADER_BYTES;
    case POS_EV_DOUBLE_VOTE:
        return 1 + 2 * POS_ATT_BYTES;
    default:
        return 0;
    }
}

static size_t evidence_encode(const pos_evidence_t *ev, uint8_t *out)
{
    size_t len = evidence_bytes(ev->kind);
    g_assert(len > 0); /* a caller building unknown evidence kinds is a bug */
    out[0] = ev->kind;
    for (int i = 0; i < 2; i++) {
        if (ev->kind == POS_EV_DOUBLE_PROPOSAL)
            sh_encode(&ev->hdr[i], out + 1 + (size_t)i * POS_SIGNED_HEADER_BYTES);
        else
            pos_att_encode(&ev->att[i], out + 1 + (size_t)i * POS_ATT_BYTES);
    }
    return len;
}

/* Decodes b's extra bytes; false when the layout is broken. On success the
 * arrays are g_new'd (NULL when empty) and owned by the caller. */
static bool extra_parse(const block_header_t *h, uint32_t *natts, pos_att_t **atts, uint32_t *nev,
                        pos_evidence_t **evs)
{
    *natts = *nev = 0;
    *atts = NULL;
    *evs = NULL;
    if (h->extra_len < POS_EXTRA_MIN_BYTES || h->extra == NULL)
        return false;
    const uint8_t *p = h->extra + 2 * SIG_BYTES, *end = h->extra + h->extra_len;
    uint32_t na = get_u32(p);
    p += 4;
    if ((uint64_t)(end - p) < (uint64_t)na * POS_ATT_BYTES + 4)
        return false;
    pos_att_t *a = na ? g_new(pos_att_t, na) : NULL;
    for (uint32_t i = 0; i < na; i++, p += POS_ATT_BYTES)
        att_decode(p, &a[i]);
    uint32_t ne = get_u32(p);
    p += 4;
    /* every item has at least one byte: a count beyond the bytes left is broken */
    if ((uint64_t)(end - p) < ne) {
        g_free(a);
        return false;
    }
    pos_evidence_t *e = ne ? g_new0(pos_evidence_t, ne) : NULL;
    for (uint32_t i = 0; i < ne; i++) {
        size_t len = p < end ? evidence_bytes(*p) : 0;
        if (len == 0 || (size_t)(end - p) < len) {
            g_free(a);
            g_free(e);
            return false;
        }
        e[i].kind = *p;
        for (int k = 0; k < 2; k++) {
            if (e[i].kind == POS_EV_DOUBLE_PROPOSAL)
                sh_decode(p + 1 + (size_t)k * POS_SIGNED_HEADER_BYTES, &e[i].hdr[k]);
            else
                att_decode(p + 1 + (size_t)k * POS_ATT_BYTES, &e[i].att[k]);
        }
        p += len;
    }
    if (p != end) {
        g_free(a);
        g_free(e);
        return false;
    }
    *natts = na;
    *atts = a;
    *nev = ne;
    *evs = e;
    return true;
}

/* Installs an extra layout with zero reveal and signature. */
static void extra_build(block_t *b, const pos_att_t *atts, uint32_t natts, const pos_evidence_t *ev, uint32_t nev)
{
    uint64_t len = POS_EXTRA_MIN_BYTES + (uint64_t)natts * POS_ATT_BYTES;
    for (uint32_t i = 0; i < nev; i++)
        len += evidence_bytes(ev[i].kind);
    g_assert(len <= UINT32_MAX);
    uint8_t *x = g_malloc0(len);
    uint8_t *p = x + 2 * SIG_BYTES;
    p = put_u32(p, natts);
    for (uint32_t i = 0; i < natts; i++, p += POS_ATT_BYTES)
        pos_att_encode(&atts[i], p);
    p = put_u32(p, nev);
    for (uint32_t i = 0; i < nev; i++)
        p += evidence_encode(&ev[i], p);
    g_assert(p == x + len);
    g_free(b->h.extra);
    b->h.extra = x;
    b->h.extra_len = (uint32_t)len;
}

/* Digest of h's encoding with the block signature bytes zeroed. h->extra
 * must hold at least POS_EXTRA_MIN_BYTES. */
static void header_digest(const block_header_t *h, hash32_t *out)
{
    size_t len = (size_t)BLOCK_HEADER_FIXED_BYTES + h->extra_len;
    uint8_t *buf = g_malloc(len);
    size_t written = block_header_encode(h, buf, len);
    g_assert(written == len);
    /* block.h: the extra bytes come last but for the u64 padding_bytes */
    uint8_t *sig = buf + len - 8 - h->extra_len + SIG_BYTES;
    g_assert(memcmp(sig, h->extra + SIG_BYTES, SIG_BYTES) == 0);
    memset(sig, 0, SIG_BYTES);
    hash_blake2b(out, buf, len);
    g_free(buf);
}

static void sh_message(const pos_signed_header_t *h, uint8_t msg[12 + HASH_BYTES])
{
    uint8_t *p = put_u64(msg, h->slot);
    p = put_u32(p, h->proposer);
    put_bytes(p, h->digest.b, HASH_BYTES);
}

static bool sh_verify(const pos_t *p, const pos_signed_header_t *h)
{
    if (h->proposer >= p->cfg.nvalidators)
        return false;
    uint8_t msg[12 + HASH_BYTES];
    sh_message(h, msg);
    return keys_verify(p->pk[h->proposer], msg, sizeof msg, h->sig);
}

static bool hash_eq(const hash32_t *a, const hash32_t *b)
{
    return memcmp(a->b, b->b, HASH_BYTES) == 0;
}

static const hash32_t zero_hash;

/* BLAKE2b-256(a || b). */
static void hash_cat(hash32_t *out, const hash32_t *a, const void *b, size_t blen)
{
    hasher_t hs;
    hasher_begin(&hs);
    hasher_update(&hs, a->b, HASH_BYTES);
    hasher_update(&hs, b, blen);
    hasher_end(&hs, out);
}

/* ---------- bitsets and stake views ---------- */

static bool bit_get(const uint8_t *bits, uint32_t i)
{
    return bits != NULL && (bits[i / 8] >> (i % 8) & 1);
}

static void bit_set(uint8_t *bits, uint32_t i)
{
    bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static stakeview_t *sv_ref(stakeview_t *sv)
{
    sv->refs++;
    return sv;
}

static void sv_unref(stakeview_t *sv)
{
    if (sv == NULL || --sv->refs > 0)
        return;
    g_free(sv->slashed);
    g_free(sv);
}

static stakeview_t *sv_copy(const pos_t *p, const stakeview_t *from)
{
    stakeview_t *sv = g_new0(stakeview_t, 1);
    sv->refs = 1;
    sv->nslashed = from->nslashed;
    sv->slashed = g_memdup2(from->slashed, p->bitset_bytes);
    return sv;
}

/* ---------- effective stake tables ---------- */

static void stakes_free(gpointer data)
{
    stakes_t *t = data;
    if (t == NULL)
        return;
    g_free(t->stake);
    g_free(t->cum);
    g_free(t);
}

static guint id_hash(gconstpointer key)
{
    guint h;
    memcpy(&h, ((const hash32_t *)key)->b, sizeof h);
    return h;
}

static gboolean id_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(((const hash32_t *)a)->b, ((const hash32_t *)b)->b, HASH_BYTES) == 0;
}

/* A table of cfg stake + extra[v] (extra may be NULL: none), saturating. */
static stakes_t *stakes_make(const pos_t *p, const state_t *s)
{
    uint32_t n = p->cfg.nvalidators;
    stakes_t *t = g_new0(stakes_t, 1);
    t->stake = g_new(uint64_t, n);
    t->cum = g_new(uint64_t, n);
    uint64_t total = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t st = p->stake[v];
        if (s != NULL) {
            uint64_t x = ledger_stake_of(s, v);
            st = x > UINT64_MAX - st ? UINT64_MAX : st + x;
        }
        if (st > UINT64_MAX - total)
            st = UINT64_MAX - total;
        t->stake[v] = st;
        t->cum[v] = total += st;
    }
    t->total = total;
    return t;
}

/* Stake of the validators of t not slashed in sv. */
static uint64_t stakes_active(const pos_t *p, const stakes_t *t, const stakeview_t *sv)
{
    uint64_t active = t->total;
    for (uint32_t v = 0; sv->nslashed > 0 && v < p->cfg.nvalidators; v++)
        if (bit_get(sv->slashed, v))
            active -= t->stake[v];
    return active;
}

/* ---------- memos ---------- */

static memo_t *memo_of(pos_t *p, const block_t *b);

static void memo_free(memo_t *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < 2; i++)
        g_free(m->tally[i].voted);
    sv_unref(m->sv);
    g_free(m->atts);
    g_free(m->evs);
    for (int i = 0; i < POS_SCHED_CACHE; i++)
        g_free(m->sched[i]);
    g_free(m);
}

static void bad(memo_t *m, const char *why)
{
    if (m->ok) {
        m->ok = false;
        m->why = why;
    }
}

static void genesis_seed(const pos_t *p, uint64_t epoch, hash32_t *out)
{
    static const char tag[] = "chainsim-pos-seed";
    uint8_t buf[sizeof tag - 1 + 16];
    uint8_t *q = put_bytes(buf, tag, sizeof tag - 1);
    q = put_u64(q, p->cfg.genesis_seed);
    put_u64(q, epoch);
    hash_blake2b(out, buf, sizeof buf);
}

/* Seed of epoch x on the chain ending at m's block; x >= m->epoch - 1. */
static void seed_at(const memo_t *m, uint64_t x, hash32_t *out)
{
    if (x + 1 == m->epoch) {
        *out = m->seed_prev;
        return;
    }
    if (x == m->epoch) {
        *out = m->seed_cur;
        return;
    }
    if (x == m->epoch + 1) {
        *out = m->seed_next;
        return;
    }
    g_assert(x > m->epoch + 1);
    hash32_t s;
    hash_cat(&s, &m->seed_next, m->mix.b, HASH_BYTES);
    for (uint64_t e = m->epoch + 3; e <= x; e++)
        hash_cat(&s, &s, zero_hash.b, HASH_BYTES);
    *out = s;
}

/* The last block with slot <= s on the chain ending at b (the root when
 * none). Slots increase along a chain, so a skip that stays above s is safe. */
static const block_t *at_or_below_slot(pos_t *p, const block_t *b, uint64_t s)
{
    while (b->h.slot > s && b->parent != NULL) {
        const memo_t *m = memo_of(p, b);
        b = m->skip != NULL && m->skip->h.slot > s ? m->skip : b->parent;
    }
    return b;
}

static const block_t *at_height(pos_t *p, const block_t *b, uint64_t height)
{
    while (b->h.height > height && b->parent != NULL) {
        const memo_t *m = memo_of(p, b);
        b = m->skip != NULL && m->skip->h.height >= height ? m->skip : b->parent;
    }
    return b;
}

/* Height of the skip target of a block at height h (>= 1): clear the lowest
 * set bit (of h - 1 for odd h, so odd heights do not just point to their
 * parent). */
static uint64_t skip_height(uint64_t h)
{
    if (h < 2)
        return 0;
    uint64_t x = (h & 1) ? h - 1 : h;
    return x & (x - 1);
}

static uint64_t epoch_of(const pos_t *p, uint64_t slot)
{
    return slot / p->cfg.slots_per_epoch;
}

/* Epoch start slot, saturating. */
static uint64_t epoch_start(const pos_t *p, uint64_t epoch)
{
    uint64_t spe = p->cfg.slots_per_epoch;
    return epoch > UINT64_MAX / spe ? UINT64_MAX : epoch * spe;
}

/* The effective stake table of epoch e on the chain ending at head (see
 * the file comment). */
static const stakes_t *stakes_for(pos_t *p, const block_t *head, uint64_t e)
{
    uint64_t k = p->cfg.activation_epochs;
    if (e <= k) /* e < k, or e == k: no block has a slot before epoch 0 */
        return p->cfg_stakes;
    const block_t *bb = at_or_below_slot(p, head, epoch_start(p, e - k) - 1);
    if (bb->parent == NULL || bb->state == NULL || bb->h.slot >= epoch_start(p, e - k))
        return p->cfg_stakes;
    stakes_t *t = g_hash_table_lookup(p->tables, &bb->id);
    if (t == NULL) {
        t = stakes_make(p, bb->state);
        t->id = bb->id;
        g_hash_table_insert(p->tables, &t->id, t);
    }
    return t;
}

/* Seed of epoch x on the chain ending at head. */
static void seed_of(pos_t *p, const block_t *head, uint64_t x, hash32_t *out)
{
    const memo_t *m = memo_of(p, head);
    if (m->epoch > x + 1) {
        /* the last block of epoch <= x + 1 */
        head = at_or_below_slot(p, head, epoch_start(p, x + 2) - 1);
        m = memo_of(p, head);
    }
    seed_at(m, x, out);
}

static uint64_t committee_slot(const pos_t *p, const hash32_t *seed, uint32_t validator, uint64_t epoch)
{
    uint8_t v[4];
    put_u32(v, validator);
    hash32_t h;
    hash_cat(&h, seed, v, sizeof v);
    return epoch_start(p, epoch) + get_u64(h.b) % p->cfg.slots_per_epoch;
}

/* cum: cumulative stakes of the validators not slashed; active: its last
 * entry. */
static uint32_t proposer_pick(const pos_t *p, const uint64_t *cum, uint64_t active, const hash32_t *seed,
                              uint64_t slot)
{
    if (active == 0)
        return POS_NO_PROPOSER;
    uint8_t s[8];
    put_u64(s, slot);
    hash32_t h;
    hash_cat(&h, seed, s, sizeof s);
    uint64_t r = get_u64(h.b) % active;
    /* the first validator whose cumulative active stake exceeds r (slashed
     * and zero-stake validators add nothing, so they are never chosen) */
    uint32_t lo = 0, hi = p->cfg.nvalidators - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void tally_copy(const pos_t *p, tally_t *to, const tally_t *from)
{
    to->epoch = from->epoch;
    to->votes = from->votes;
    to->voted = from->voted ? g_memdup2(from->voted, p->bitset_bytes) : NULL;
}

static void slash(pos_t *p, memo_t *m, uint32_t v)
{
    if (m->sv->refs > 1) {
        stakeview_t *old = m->sv;
        m->sv = sv_copy(p, old);
        sv_unref(old);
    }
    stakeview_t *sv = m->sv;
    bit_set(sv->slashed, v);
    sv->nslashed++;
    for (int i = 0; i < 2; i++)
        if (bit_get(m->tally[i].voted, v))
            m->tally[i].votes -= m->est[i]->stake[v];
}

static bool cp_eq(const pos_checkpoint_t *a, const cp_t *b)
{
    return a->epoch == b->epoch && hash_eq(&a->id, &b->b->id);
}

/* Counts a (well formed, signature checked) attestation included in b. */
static void count_att(pos_t *p, memo_t *m, const pos_att_t *a)
{
    uint64_t t = a->target.epoch;
    int i = t == m->tally[1].epoch ? 1 : t == m->tally[0].epoch ? 0 : -1;
    if (i < 0 || bit_get(m->sv->slashed, a->validator) || !cp_eq(&a->source, &m->just))
        return;
    const block_t *boundary = i == 1 ? m->boundary_cur : m->boundary_prev;
    if (!hash_eq(&a->target.id, &boundary->id))
        return;
    if (a->slot != committee_slot(p, i == 1 ? &m->seed_cur : &m->seed_prev, a->validator, t))
        return;
    tally_t *ty = &m->tally[i];
    if (bit_get(ty->voted, a->validator))
        return;
    if (ty->voted == NULL)
        ty->voted = g_malloc0(p->bitset_bytes);
    bit_set(ty->voted, a->validator);
    uint64_t st = m->est[i]->stake[a->validator];
    ty->votes += st;
    m->weight = st > UINT64_MAX - m->weight ? UINT64_MAX : m->weight + st;
}

static void justify(const pos_t *p, memo_t *m)
{
    for (int i = 0; i < 2; i++) {
        const tally_t *t = &m->tally[i];
        if (t->epoch == TALLY_NONE || t->epoch <= m->just.epoch)
            continue;
        uint64_t active = stakes_active(p, m->est[i], m->sv); /* of the target epoch */
        if (active == 0)
            continue;
        if ((unsigned __int128)t->votes * 3 < (unsigned __int128)active * 2)
            continue;
        cp_t old = m->just;
        m->just = (cp_t){ t->epoch, i == 1 ? m->boundary_cur : m->boundary_prev };
        if (old.epoch + 1 == t->epoch)
            m->fin = old;
    }
}

/* Epoch processing (cfg.epoch_processing): the first block of a new epoch
 * runs the justification rules on the state its parent left at the end of
 * its epoch (pm's tallies, tables, slashed set and boundaries) and starts
 * from the result; blocks within an epoch change nothing. */
static void epoch_process(const pos_t *p, memo_t *m, const memo_t *pm)
{
    memo_t end = *pm; /* a shallow copy: justify reads the tallies and writes just and fin only */
    justify(p, &end);
    m->just = end.just;
    m->fin = end.fin;
}

static bool att_well_formed(const pos_t *p, const block_t *b, const pos_att_t *a)
{
    return a->validator < p->cfg.nvalidators && a->slot < b->h.slot &&
           a->target.epoch == epoch_of(p, a->slot) && a->source.epoch <= a->target.epoch &&
           pos_att_verify((consensus_t *)&p->base, a);
}

static void memo_genesis(pos_t *p, const block_t *b, memo_t *m)
{
    m->epoch = epoch_of(p, b->h.slot);
    genesis_seed(p, m->epoch, &m->seed_cur);
    genesis_seed(p, m->epoch + 1, &m->seed_next);
    m->seed_prev = m->seed_cur;
    m->boundary_cur = m->boundary_prev = b;
    m->just = m->fin = (cp_t){ m->epoch, b };
    m->tally[0] = (tally_t){ .epoch = TALLY_NONE };
    m->tally[1] = (tally_t){ .epoch = m->epoch };
    m->est[1] = stakes_for(p, b, m->epoch);
    m->sv = sv_ref(p->sv0);
}

/* The state after b, from its parent's (which exists). */
static void memo_child(pos_t *p, const block_t *b, memo_t *m)
{
    const block_t *par = b->parent;
    const memo_t *pm = par->cons;
    g_assert(pm != NULL);
    m->skip = at_height(p, par, skip_height(b->h.height));
    m->sv = sv_ref(pm->sv);
    m->just = pm->just;
    m->fin = pm->fin;
    m->weight = pm->weight;
    if (b->h.slot <= par->h.slot) {
        /* invalid; keep the parent's state so that queries stay defined */
        bad(m, "slot not after the parent's");
        m->epoch = pm->epoch;
        m->mix = pm->mix;
        m->seed_prev = pm->seed_prev;
        m->seed_cur = pm->seed_cur;
        m->seed_next = pm->seed_next;
        m->boundary_prev = pm->boundary_prev;
        m->boundary_cur = pm->boundary_cur;
        for (int i = 0; i < 2; i++) {
            tally_copy(p, &m->tally[i], &pm->tally[i]);
            m->est[i] = pm->est[i];
        }
        return;
    }
    uint64_t e = m->epoch = epoch_of(p, b->h.slot), pe = pm->epoch;
    bool parsed = extra_parse(&b->h, &m->natts, &m->atts, &m->nev, &m->evs);
    if (!parsed)
        bad(m, "malformed consensus data");
    static const uint8_t zero_reveal[POS_REVEAL_BYTES];
    const uint8_t *reveal = parsed ? b->h.extra : zero_reveal;
    if (e == pe) {
        m->seed_prev = pm->seed_prev;
        m->seed_cur = pm->seed_cur;
        m->seed_next = pm->seed_next;
        hash_cat(&m->mix, &pm->mix, reveal, POS_REVEAL_BYTES);
        m->boundary_prev = pm->boundary_prev;
        m->boundary_cur = pm->boundary_cur;
        for (int i = 0; i < 2; i++) {
            tally_copy(p, &m->tally[i], &pm->tally[i]);
            m->est[i] = pm->est[i];
        }
    } else {
        if (p->cfg.epoch_processing)
            epoch_process(p, m, pm);
        seed_at(pm, e - 1, &m->seed_prev);
        seed_at(pm, e, &m->seed_cur);
        seed_at(pm, e + 1, &m->seed_next);
        hash_cat(&m->mix, &zero_hash, reveal, POS_REVEAL_BYTES);
        m->boundary_cur = b->h.slot == epoch_start(p, e) ? b : par;
        m->boundary_prev = pe + 1 == e ? pm->boundary_cur : par;
        /* b's slot is at or after every boundary these tables need, so
         * the parent's chain gives them */
        if (pe + 1 == e) {
            tally_copy(p, &m->tally[0], &pm->tally[1]);
            m->est[0] = pm->est[1];
        } else {
            m->tally[0] = (tally_t){ .epoch = e - 1 };
            m->est[0] = stakes_for(p, par, e - 1);
        }
        m->tally[1] = (tally_t){ .epoch = e };
        m->est[1] = stakes_for(p, par, e);
    }
    if (!m->ok)
        return;

    uint32_t max_ev = p->cfg.max_block_evidence, max_atts = p->cfg.max_block_atts;
    if (m->nev > max_ev) {
        bad(m, "too much slashing evidence");
        return;
    }
    for (uint32_t i = 0; i < m->nev; i++) {
        const pos_evidence_t *ev = &m->evs[i];
        if (!pos_evidence_verify(&p->base, ev) || bit_get(m->sv->slashed, pos_evidence_offender(ev))) {
            bad(m, "invalid slashing evidence");
            return;
        }
        slash(p, m, pos_evidence_offender(ev));
    }
    if (m->natts > max_atts) {
        bad(m, "too many attestations");
        return;
    }
    for (uint32_t i = 0; i < m->natts; i++) {
        if (!att_well_formed(p, b, &m->atts[i])) {
            bad(m, "invalid attestation");
            return;
        }
        count_att(p, m, &m->atts[i]);
    }
    if (!p->cfg.epoch_processing)
        justify(p, m);
}

static memo_t *memo_build(pos_t *p, const block_t *b)
{
    memo_t *m = g_new0(memo_t, 1);
    m->ok = true;
    if (b->parent == NULL)
        memo_genesis(p, b, m);
    else
        memo_child(p, b, m);
    ((block_t *)b)->cons = m; /* the memo is a cache; blocks are never const objects */
    return m;
}

static memo_t *memo_of(pos_t *p, const block_t *b)
{
    if (b->cons != NULL)
        return b->cons;
    if (b->parent == NULL || b->parent->cons != NULL)
        return memo_build(p, b);
    GPtrArray *todo = g_ptr_array_new();
    for (const block_t *x = b; x != NULL && x->cons == NULL; x = x->parent)
        g_ptr_array_add(todo, (gpointer)x);
    for (guint i = todo->len; i-- > 0;)
        memo_build(p, g_ptr_array_index(todo, i));
    g_ptr_array_free(todo, TRUE);
    return b->cons;
}

/* Proposer of slot on the chain ending at head, through head's schedule
 * cache (a schedule holds one epoch). */
static uint32_t proposer(pos_t *p, const block_t *head, uint64_t slot)
{
    memo_t *m = memo_of(p, head);
    uint64_t e = epoch_of(p, slot);
    uint32_t spe = p->cfg.slots_per_epoch;
    for (int i = 0; i < POS_SCHED_CACHE; i++)
        if (m->sched[i] != NULL && m->sched_epoch[i] == e)
            return m->sched[i][slot - epoch_start(p, e)];
    uint32_t k = m->sched_next;
    m->sched_next = (k + 1) % POS_SCHED_CACHE;
    if (m->sched[k] == NULL)
        m->sched[k] = g_new(uint32_t, spe);
    m->sched_epoch[k] = e;
    hash32_t seed;
    seed_of(p, head, e, &seed);
    const stakes_t *t = stakes_for(p, head, e);
    const uint64_t *cum = t->cum;
    uint64_t active = t->total;
    uint64_t *own = NULL;
    if (m->sv->nslashed > 0) { /* slashed validators add nothing */
        uint32_t n = p->cfg.nvalidators;
        own = g_new(uint64_t, n);
        active = 0;
        for (uint32_t v = 0; v < n; v++)
            own[v] = active += bit_get(m->sv->slashed, v) ? 0 : t->stake[v];
        cum = own;
    }
    uint64_t first = epoch_start(p, e);
    for (uint32_t i = 0; i < spe; i++)
        m->sched[k][i] = proposer_pick(p, cum, active, &seed, first + i);
    g_free(own);
    return m->sched[k][slot - first];
}

/* ---------- public: slots, proposers, committees ---------- */

uint32_t pos_proposer(consensus_t *c, const block_t *parent, uint64_t slot)
{
    return proposer(as_pos(c), parent, slot);
}

uint64_t pos_attestation_slot(consensus_t *c, const block_t *head, uint32_t validator, uint64_t epoch)
{
    pos_t *p = as_pos(c);
    hash32_t seed;
    seed_of(p, head, epoch, &seed);
    return committee_slot(p, &seed, validator, epoch);
}

bool pos_is_attester(consensus_t *c, const block_t *head, uint32_t validator, uint64_t slot)
{
    pos_t *p = as_pos(c);
    if (validator >= p->cfg.nvalidators || pos_is_slashed(c, head, validator))
        return false;
    return pos_attestation_slot(c, head, validator, epoch_of(p, slot)) == slot;
}

/* ---------- public: attestations ---------- */

void pos_checkpoints(consensus_t *c, const block_t *head, uint64_t slot, pos_att_t *out)
{
    pos_t *p = as_pos(c);
    const memo_t *m = memo_of(p, head);
    uint64_t e = epoch_of(p, slot);
    out->slot = slot;
    out->head = head->id;
    out->source.epoch = m->just.epoch;
    out->source.id = m->just.b->id;
    out->target.epoch = e;
    out->target.id = at_or_below_slot(p, head, epoch_start(p, e))->id;
}

void pos_att_sign(pos_att_t *att, const keypair_t *kp)
{
    uint8_t enc[POS_ATT_BYTES];
    pos_att_encode(att, enc);
    keys_sign(kp, enc, POS_ATT_SIGNED_BYTES, att->sig);
}

bool pos_att_verify(consensus_t *c, const pos_att_t *a)
{
    pos_t *p = as_pos(c);
    if (a->validator >= p->cfg.nvalidators)
        return false;
    uint8_t enc[POS_ATT_BYTES];
    pos_att_encode(a, enc);
    return keys_verify(p->pk[a->validator], enc, POS_ATT_SIGNED_BYTES, a->sig);
}

/* ---------- public: evidence ---------- */

bool pos_block_signed_header(consensus_t *c, const block_t *b, pos_signed_header_t *out)
{
    (void)c;
    if (b->h.extra_len < POS_EXTRA_MIN_BYTES || b->h.extra == NULL)
        return false;
    out->proposer = b->h.producer;
    out->slot = b->h.slot;
    header_digest(&b->h, &out->digest);
    memcpy(out->sig, b->h.extra + SIG_BYTES, SIG_BYTES);
    return true;
}

void pos_evidence_double_proposal(pos_evidence_t *out, const pos_signed_header_t *a, const pos_signed_header_t *b)
{
    memset(out, 0, sizeof *out);
    out->kind = POS_EV_DOUBLE_PROPOSAL;
    out->hdr[0] = *a;
    out->hdr[1] = *b;
}

void pos_evidence_double_vote(pos_evidence_t *out, const pos_att_t *a, const pos_att_t *b)
{
    memset(out, 0, sizeof *out);
    out->kind = POS_EV_DOUBLE_VOTE;
    out->att[0] = *a;
    out->att[1] = *b;
}

uint32_t pos_evidence_offender(const pos_evidence_t *ev)
{
    return ev->kind == POS_EV_DOUBLE_PROPOSAL ? ev->hdr[0].proposer : ev->att[0].validator;
}

bool pos_evidence_verify(consensus_t *c, const pos_evidence_t *ev)
{
    pos_t *p = as_pos(c);
    switch (ev->kind) {
    case POS_EV_DOUBLE_PROPOSAL: {
        const pos_signed_header_t *a = &ev->hdr[0], *b = &ev->hdr[1];
        return a->proposer == b->proposer && a->slot == b->slot && !hash_eq(&a->digest, &b->digest) &&
               sh_verify(p, a) && sh_verify(p, b);
    }
    case POS_EV_DOUBLE_VOTE: {
        const pos_att_t *a = &ev->att[0], *b = &ev->att[1];
        return a->validator == b->validator && a->target.epoch == b->target.epoch &&
               !hash_eq(&a->target.id, &b->target.id) && pos_att_verify(c, a) && pos_att_verify(c, b);
    }
    default:
        return false;
    }
}

/* ---------- public: block content ---------- */

void pos_block_attach(consensus_t *c, block_t *b, const pos_att_t *atts, uint32_t natts, const pos_evidence_t *ev,
                      uint32_t nev)
{
    (void)c;
    g_assert(b->cons == NULL);
    extra_build(b, atts, natts, ev, nev);
}

uint32_t pos_block_attestations(consensus_t *c, const block_t *b, const pos_att_t **out)
{
    const memo_t *m = memo_of(as_pos(c), b);
    *out = m->atts;
    return m->natts;
}

uint32_t pos_block_evidence(consensus_t *c, const block_t *b, const pos_evidence_t **out)
{
    const memo_t *m = memo_of(as_pos(c), b);
    *out = m->evs;
    return m->nev;
}

/* ---------- public: beacon state ---------- */

void pos_justified(consensus_t *c, const block_t *b, uint64_t *epoch, hash32_t *id)
{
    const memo_t *m = memo_of(as_pos(c), b);
    *epoch = m->just.epoch;
    *id = m->just.b->id;
}

void pos_finalized(consensus_t *c, const block_t *b, uint64_t *epoch, hash32_t *id)
{
    const memo_t *m = memo_of(as_pos(c), b);
    *epoch = m->fin.epoch;
    *id = m->fin.b->id;
}

uint32_t pos_slashed_count(consensus_t *c, const block_t *b)
{
    return memo_of(as_pos(c), b)->sv->nslashed;
}

bool pos_is_slashed(consensus_t *c, const block_t *b, uint32_t validator)
{
    pos_t *p = as_pos(c);
    return validator < p->cfg.nvalidators && bit_get(memo_of(p, b)->sv->slashed, validator);
}

uint64_t pos_active_stake(consensus_t *c, const block_t *b)
{
    pos_t *p = as_pos(c);
    const memo_t *m = memo_of(p, b);
    return stakes_active(p, m->est[1], m->sv);
}

uint64_t pos_attested_weight(consensus_t *c, const block_t *b)
{
    return memo_of(as_pos(c), b)->weight;
}

/* ---------- consensus ops ---------- */

static uint64_t pos_next_ns(consensus_t *c, uint32_t node, const block_t *tip, uint64_t now_ns, double unit)
{
    (void)unit;
    pos_t *p = as_pos(c);
    /* no shortcut on the configured stake: stake may come from the chain */
    if (node >= p->cfg.nvalidators || pos_is_slashed(c, tip, node))
        return UINT64_MAX;
    uint64_t slot_ns = p->cfg.slot_ns;
    uint64_t first = tip->h.slot + 1;
    uint64_t now_slot = now_ns / slot_ns + (now_ns % slot_ns != 0);
    if (now_slot > first)
        first = now_slot;
    uint64_t span = 2 * (uint64_t)p->cfg.slots_per_epoch;
    for (uint64_t s = first; s - first < span; s++) {
        if (s > UINT64_MAX / slot_ns)
            return UINT64_MAX;
        if (proposer(p, tip, s) == node)
            return s * slot_ns;
    }
    return UINT64_MAX;
}

/* The tip itself (its id's first 8 bytes): a sibling tip at the same slot
 * may have another schedule (other reveals or slashings), so the slot alone
 * is not enough. next_ns is deterministic, so redrawing costs nothing. */
static uint64_t pos_schedule_key(consensus_t *c, const block_t *tip)
{
    (void)c;
    return get_u64(tip->id.b);
}

static void pos_prepare(consensus_t *c, block_t *b)
{
    pos_t *p = as_pos(c);
    b->h.slot = b->h.time_ns / p->cfg.slot_ns;
    b->h.difficulty = 1;
    b->h.nonce = 0;
    if (b->h.extra_len < POS_EXTRA_MIN_BYTES)
        extra_build(b, NULL, 0, NULL, 0);
}

static void pos_sign(consensus_t *c, block_t *b, const keypair_t *kp)
{
    pos_t *p = as_pos(c);
    g_assert(b->cons == NULL);
    if (b->h.extra_len < POS_EXTRA_MIN_BYTES)
        extra_build(b, NULL, 0, NULL, 0);
    uint8_t e[8];
    put_u64(e, epoch_of(p, b->h.slot));
    keys_sign(kp, e, sizeof e, b->h.extra);
    memset(b->h.extra + SIG_BYTES, 0, SIG_BYTES);
    pos_signed_header_t sh = { .proposer = b->h.producer, .slot = b->h.slot };
    header_digest(&b->h, &sh.digest);
    uint8_t msg[12 + HASH_BYTES];
    sh_message(&sh, msg);
    keys_sign(kp, msg, sizeof msg, b->h.extra + SIG_BYTES);
}

static bool pos_check(consensus_t *c, const block_t *b, const char **why)
{
    pos_t *p = as_pos(c);
    if (b->parent == NULL) {
        *why = "no parent";
        return false;
    }
    if (b->h.slot <= b->parent->h.slot) {
        *why = "slot not after the parent's";
        return false;
    }
    if (b->h.slot > UINT64_MAX / p->cfg.slot_ns || b->h.time_ns != b->h.slot * p->cfg.slot_ns) {
        *why = "block outside its slot";
        return false;
    }
    if (b->h.difficulty != 1) {
        *why = "wrong difficulty";
        return false;
    }
    if (b->h.producer != pos_proposer(c, b->parent, b->h.slot)) {
        *why = "proposer not eligible for this slot";
        return false;
    }
    pos_signed_header_t sh;
    if (!pos_block_signed_header(c, b, &sh)) {
        *why = "malformed consensus data";
        return false;
    }
    uint8_t e[8];
    put_u64(e, epoch_of(p, b->h.slot));
    if (!keys_verify(p->pk[b->h.producer], e, sizeof e, b->h.extra)) {
        *why = "bad RANDAO reveal";
        return false;
    }
    if (!sh_verify(p, &sh)) {
        *why = "bad block signature";
        return false;
    }
    const memo_t *m = memo_of(p, b);
    if (!m->ok) {
        *why = m->why;
        return false;
    }
    return true;
}

/* True when blk is on the chain ending at tip. */
static bool contains(pos_t *p, const block_t *tip, const block_t *blk)
{
    const block_t *x = at_height(p, tip, blk->h.height);
    return x == blk || (x->h.height == blk->h.height && hash_eq(&x->id, &blk->id));
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a > b ? 1 : a < b ? -1 : 0;
}

static int pos_compare(consensus_t *c, const block_t *a, const block_t *b)
{
    pos_t *p = as_pos(c);
    const memo_t *ma = memo_of(p, a), *mb = memo_of(p, b);
    bool a_ok = contains(p, a, mb->fin.b), b_ok = contains(p, b, ma->fin.b);
    if (a_ok != b_ok)
        return a_ok ? 1 : -1;
    int r;
    if (!a_ok && (r = cmp_u64(ma->fin.epoch, mb->fin.epoch)) != 0)
        return r; /* conflicting finality (> 1/3 equivocated): the later one */
    if ((r = cmp_u64(ma->just.epoch, mb->just.epoch)) != 0)
        return r;
    if ((r = cmp_u64(ma->weight, mb->weight)) != 0)
        return r;
    return cmp_u64(a->h.height, b->h.height);
}

static const block_t *pos_final(consensus_t *c, const block_t *tip)
{
    return memo_of(as_pos(c), tip)->fin.b;
}

static void pos_free_block(consensus_t *c, block_t *b)
{
    (void)c;
    memo_free(b->cons);
    b->cons = NULL;
}

static void pos_destroy(consensus_t *c)
{
    pos_t *p = as_pos(c);
    sv_unref(p->sv0);
    g_hash_table_destroy(p->tables);
    stakes_free(p->cfg_stakes);
    g_free(p->stake);
    g_free(p->pk);
    g_free(p);
}

static const consensus_ops_t pos_ops = {
    .name = "pos",
    .next_ns = pos_next_ns,
    .schedule_key = pos_schedule_key,
    .prepare = pos_prepare,
    .sign = pos_sign,
    .check = pos_check,
    .compare = pos_compare,
    .final = pos_final,
    .free_block = pos_free_block,
    .destroy = pos_destroy,
};

consensus_t *pos_new(const pos_cfg_t *cfg)
{
    if (cfg->nvalidators == 0 || cfg->stake == NULL || cfg->pubkeys == NULL || cfg->slot_ns == 0 ||
        cfg->slots_per_epoch == 0)
        return NULL;
    uint32_t n = cfg->nvalidators;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (cfg->stake[i] >= (UINT64_C(1) << 63) - total)
            return NULL;
        total += cfg->stake[i];
    }
    pos_t *p = g_new0(pos_t, 1);
    p->base.ops = &pos_ops;
    p->cfg = *cfg;
    if (p->cfg.max_block_atts == 0)
        p->cfg.max_block_atts = n > UINT32_MAX / 2 ? UINT32_MAX : 2 * n;
    if (p->cfg.max_block_evidence == 0)
        p->cfg.max_block_evidence = POS_DEFAULT_MAX_EVIDENCE;
    p->stake = g_memdup2(cfg->stake, sizeof(uint64_t) * n);
    p->pk = g_memdup2(cfg->pubkeys, (gsize)PK_BYTES * n);
    p->cfg.stake = p->stake;
    p->cfg.pubkeys = (const uint8_t(*)[PK_BYTES])p->pk;
    p->bitset_bytes = (n + 7) / 8;
    stakeview_t *sv = g_new0(stakeview_t, 1);
    sv->refs = 1;
    sv->slashed = g_malloc0(p->bitset_bytes);
    p->sv0 = sv;
    p->cfg_stakes = stakes_make(p, NULL);
    p->tables = g_hash_table_new_full(id_hash, id_equal, NULL, stakes_free);
    return &p->base;
}

/* ---------- LMD-GHOST ---------- */

typedef struct gnode {
    const block_t *b;
    struct gnode *parent, *first_child, *next_sibling;
    uint64_t weight; /* stake of the latest messages in this subtree */
} gnode_t;

typedef struct latest {
    uint64_t slot;
    gnode_t *node; /* NULL: no message yet */
} latest_t;

struct pos_ghost {
    pos_t *p;
    GHashTable *index;  /* block pointer -> gnode_t *; lookups only, never iterated */
    GPtrArray *nodes;   /* owns the gnodes */
    latest_t *latest;   /* per validator */
    uint8_t *ignored;   /* validators reported slashed */
};

pos_ghost_t *pos_ghost_new(consensus_t *c)
{
    pos_ghost_t *g = g_new0(pos_ghost_t, 1);
    g->p = as_pos(c);
    g->index = g_hash_table_new(g_direct_hash, g_direct_equal);
    g->nodes = g_ptr_array_new_with_free_func(g_free);
    g->latest = g_new0(latest_t, g->p->cfg.nvalidators);
    g->ignored = g_malloc0(g->p->bitset_bytes);
    return g;
}

void pos_ghost_free(pos_ghost_t *g)
{
    if (g == NULL)
        return;
    g_hash_table_destroy(g->index);
    g_ptr_array_free(g->nodes, TRUE);
    g_free(g->latest);
    g_free(g->ignored);
    g_free(g);
}

static gnode_t *ghost_find(pos_ghost_t *g, const block_t *b)
{
    return b ? g_hash_table_lookup(g->index, b) : NULL;
}

void pos_ghost_on_block(pos_ghost_t *g, const block_t *b)
{
    if (ghost_find(g, b) != NULL)
        return;
    gnode_t *n = g_new0(gnode_t, 1);
    n->b = b;
    n->parent = ghost_find(g, b->parent);
    if (n->parent != NULL) {
        n->next_sibling = n->parent->first_child;
        n->parent->first_child = n;
    }
    g_hash_table_insert(g->index, (gpointer)b, n);
    g_ptr_array_add(g->nodes, n);
}

/* Moves stake from the path of `from` to the path of `to`, both up to their
 * common ancestor (either may be NULL: nothing there). */
static void ghost_move(gnode_t *from, gnode_t *to, uint64_t stake)
{
    while (from != to) {
        if (from != NULL && (to == NULL || from->b->h.height >= to->b->h.height)) {
            from->weight -= stake;
            from = from->parent;
        } else {
            to->weight += stake;
            to = to->parent;
        }
    }
}

bool pos_ghost_on_attestation(pos_ghost_t *g, const pos_att_t *a, const block_t *head_block)
{
    uint32_t v = a->validator;
    if (head_block == NULL || v >= g->p->cfg.nvalidators || bit_get(g->ignored, v) ||
        !hash_eq(&a->head, &head_block->id))
        return false;
    gnode_t *n = ghost_find(g, head_block);
    latest_t *l = &g->latest[v];
    if (n == NULL || (l->node != NULL && a->slot <= l->slot))
        return false;
    ghost_move(l->node, n, g->p->stake[v]);
    l->slot = a->slot;
    l->node = n;
    return true;
}

void pos_ghost_on_slashing(pos_ghost_t *g, uint32_t validator)
{
    if (validator >= g->p->cfg.nvalidators || bit_get(g->ignored, validator))
        return;
    bit_set(g->ignored, validator);
    latest_t *l = &g->latest[validator];
    ghost_move(l->node, NULL, g->p->stake[validator]);
    l->node = NULL;
}

const block_t *pos_ghost_head(pos_ghost_t *g, const block_t *justified_root)
{
    gnode_t *n = ghost_find(g, justified_root);
    if (n == NULL)
        return justified_root;
    for (;;) {
        gnode_t *best = NULL;
        for (gnode_t *ch = n->first_child; ch != NULL; ch = ch->next_sibling)
            if (best == NULL || ch->weight > best->weight ||
                (ch->weight == best->weight && memcmp(ch->b->id.b, best->b->id.b, HASH_BYTES) > 0))
                best = ch;
        if (best == NULL)
            return n->b;
        n = best;
    }
}

uint64_t pos_ghost_weight(pos_ghost_t *g, const block_t *b)
{
    const gnode_t *n = ghost_find(g, b);
    return n ? n->weight : 0;
}
