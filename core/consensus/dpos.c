/*
 * dpos.c - delegated proof of stake behind the consensus interface (see
 * dpos.h).
 *
 * Election: the number of producers n is fixed at creation: min(N, number
 * of nodes with config votes > 0). The config election (`top`) sorts those
 * nodes by config votes (descending, ties by lower node id) and keeps the
 * first n. The election of round r >= 1 on a chain adds the vote tallies of
 * the state of the round's boundary block (the last block on the chain with
 * slot < the round's first slot, see ledger_votes_of) to the config votes
 * and keeps the first n the same way. Chain votes only add, so at least n
 * nodes always have votes > 0: who is elected may change, never how many.
 * Round 0, a boundary without a state (not applied yet, or a test block)
 * and the chain-less queries (dpos_schedule, dpos_producer) use the config
 * election.
 *
 * Schedule: round r is its election shuffled by Fisher-Yates (i from n-1
 * down to 1, swap i with j uniform in [0, i]). The draws are little-endian
 * 64-bit words of BLAKE2b-256(tag || seed || r || counter), four per hash,
 * counter 0, 1, ...; j is drawn by rejection (a word below 2^64 mod (i+1) is
 * redrawn, the rest is taken mod i+1), so the shuffle is exact and uses no
 * floating point. Slot s >= 1 is in round (s-1) / (n*K) at position
 * (s-1) % (n*K), produced by schedule[position / K].
 *
 * Caches: elections are kept in a hash table keyed by the boundary block's
 * id, schedules in one keyed by (round, boundary block id, or "config" when
 * no state was read). Each table is emptied when it reaches
 * DPOS_CACHE_MAX entries before an insertion, so memory stays bounded; a
 * miss recomputes (n + about n/4 hashes) and the results never depend on
 * what was cached.
 *
 * Boundaries: each block's memo keeps `bnd`, the last block before it on
 * its chain with slot < the first slot of the block's own round. Finding
 * the boundary of round r from a block x follows memo links while they stay
 * at slots >= the first slot of r (a link from x skips only blocks whose
 * slots are >= the first slot of x's round), so it costs O(1) per round
 * crossed on a well-formed chain.
 *
 * Production: a node's next slot on tip is the first slot after tip's slot,
 * not before now, in one of its turns on tip's chain, looking
 * DPOS_LOOKAHEAD_ROUNDS rounds ahead. Rounds after the tip's all use the
 * tip's state, so a node elected there has a turn in each of them.
 * schedule_key is the tip's slot while both elections next_ns can use (the
 * round of tip's slot + 1 and the rounds after it) are the config one, else
 * a hash of the slot and both elections with the top bit set.
 *
 * Finality (LIB): the last irreversible block of the chain ending at b is the
 * highest ancestor a such that the blocks in (a, b] come from at least
 * T = floor(2n/3) + 1 distinct producers (node ids < nnodes; none when
 * n = 0). Each block's memo (b->cons) holds the latest blocks of the (up to)
 * T most recent distinct producers on the chain up to b, newest first,
 * computed from the parent's memo: b first, then the parent's list without
 * b's producer, cut at T. If T producers appear, the T-th block L is the
 * lowest such that (a, b] holds T producers exactly when a is below L, so
 * LIB(b) = L->parent; otherwise LIB(b) = LIB(parent) (genesis). The memo is
 * O(T) per block and is computed once from the parent's; a block whose
 * ancestors have no memo yet gets them computed oldest first, once.
 * Invariant: LIB(b) is an ancestor of b and never below LIB(parent).
 *
 * Fork choice: a tip never loses to a chain that does not contain its LIB;
 * among chains that agree on each other's LIB the higher one wins.
 *
 * Ownership: the engine owns copies of votes and pubkeys, its election and
 * its caches (freed by destroy), and every memo it puts in b->cons (freed by
 * free_block, which must run before block_free). Memos point to ancestor
 * blocks, which outlive their descendants.
 */
#include "core/consensus/dpos.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ledger.h"

#define DPOS_ASSERT(c)                                                       \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define DPOS_CACHE_MAX 256u
#define DPOS_LOOKAHEAD_ROUNDS 3u
#define DPOS_SHUFFLE_TAG "chainsim-dpos-shuffle"
#define DPOS_KEY_TAG "chainsim-dpos-key"

/* An election cache entry; the entry is its own key (id first). */
typedef struct dpos_elect {
    hash32_t id;     /* boundary block */
    bool is_config;  /* top equals the config election */
    uint32_t top[];  /* n nodes, by votes */
} dpos_elect_t;

/* A schedule cache entry; the entry is its own key. */
typedef struct dpos_sched {
    uint64_t round;
    bool has_state;  /* false: config votes only (id all zero) */
    hash32_t id;     /* boundary block whose state was read */
    uint32_t order[]; /* n producers */
} dpos_sched_t;

/* Per-block memo in b->cons; recent has threshold entries. */
typedef struct dpos_memo {
    const block_t *lib;
    const block_t *bnd;  /* last earlier block with slot < bnd_first; NULL if none */
    uint64_t bnd_first;  /* first slot of this block's round (0 for slot 0) */
    uint32_t nrecent;
    const block_t *recent[];
} dpos_memo_t;

typedef struct dpos_cand {
    uint64_t votes;
    uint32_t node;
} dpos_cand_t;

typedef struct dpos {
    consensus_t base;
    dpos_cfg_t cfg;                   /* votes/pubkeys point to the copies */
    uint64_t *votes;                  /* owned copy, nnodes */
    uint8_t (*pubkeys)[PK_BYTES];     /* owned copy, nnodes; NULL if none given */
    uint32_t n;                       /* elected producers */
    uint32_t threshold;               /* floor(2n/3) + 1 */
    uint64_t round_slots;             /* n * K */
    uint32_t *top;                    /* n elected nodes by config votes */
    dpos_cand_t *cand;                /* nnodes, scratch for elections */
    uint32_t *keybuf;                 /* 2n, scratch for schedule_key */
    GHashTable *elect;                /* dpos_elect_t, keyed by boundary id */
    GHashTable *sched;                /* dpos_sched_t, keyed by (round, id) */
} dpos_t;

static dpos_t *as_dpos(consensus_t *c)
{
    return (dpos_t *)c;
}

/* ---------- schedule ---------- */

typedef struct dpos_draw {
    uint64_t seed, round, counter;
    uint64_t words[4];
    unsigned left;
} dpos_draw_t;

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t draw_u64(dpos_draw_t *d)
{
    if (d->left == 0) {
        uint8_t msg[sizeof DPOS_SHUFFLE_TAG - 1 + 24];
        memcpy(msg, DPOS_SHUFFLE_TAG, sizeof DPOS_SHUFFLE_TAG - 1);
        uint8_t *p = msg + sizeof DPOS_SHUFFLE_TAG - 1;
        put_le64(p, d->seed);
        put_le64(p + 8, d->round);
        put_le64(p + 16, d->counter++);
        hash32_t h;
        hash_blake2b(&h, msg, sizeof msg);
        for (int i = 0; i < 4; i++)
            d->words[i] = get_le64(h.b + 8 * i);
        d->left = 4;
    }
    return d->words[4 - d->left--];
}

/* Uniform in [0, bound), bound >= 1, by rejection: exact. */
static uint64_t draw_below(dpos_draw_t *d, uint64_t bound)
{
    uint64_t reject_below = (0 - bound) % bound; /* 2^64 mod bound */
    for (;;) {
        uint64_t x = draw_u64(d);
        if (x >= reject_below)
            return x % bound;
    }
}

static int by_node(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* order = top in the round's order (n entries): sorted by node id when the
 * schedule's order is fixed (cfg.sorted; the same election gives the same
 * order every round), else shuffled for the round. */
static void shuffle(const dpos_t *d, const uint32_t *top, uint64_t round, uint32_t *order)
{
    memcpy(order, top, sizeof(uint32_t) * d->n);
    if (d->cfg.sorted) {
        qsort(order, d->n, sizeof(uint32_t), by_node);
        return;
    }
    dpos_draw_t dr = { .seed = d->cfg.seed, .round = round };
    for (uint32_t i = d->n; i-- > 1;) {
        uint32_t j = (uint32_t)draw_below(&dr, (uint64_t)i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* Election order: votes descending, then node id ascending. */
static int by_votes(const void *x, const void *y)
{
    const dpos_cand_t *a = x, *b = y;
    if (a->votes != b->votes)
        return a->votes > b->votes ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node ? 1 : 0;
}

/* Sorts the nodes with votes > 0 (config votes plus the tallies in s, when
 * not NULL) into d->cand; returns their count. */
static uint32_t rank_candidates(dpos_t *d, const state_t *s)
{
    uint32_t ncand = 0;
    for (uint32_t i = 0; i < d->cfg.nnodes; i++) {
        uint64_t v = d->votes[i];
        if (s) {
            uint64_t extra = ledger_votes_of(s, i);
            v = extra > UINT64_MAX - v ? UINT64_MAX : v + extra;
        }
        if (v > 0)
            d->cand[ncand++] = (dpos_cand_t){ .votes = v, .node = i };
    }
    qsort(d->cand, ncand, sizeof *d->cand, by_votes);
    return ncand;
}

static guint elect_hash(gconstpointer k)
{
    const hash32_t *id = k;
    return (guint)get_le64(id->b);
}

static gboolean elect_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(((const hash32_t *)a)->b, ((const hash32_t *)b)->b, HASH_BYTES) == 0;
}

static guint sched_hash(gconstpointer k)
{
    const dpos_sched_t *e = k;
    uint64_t h = get_le64(e->id.b) ^ (e->round * 0x9e3779b97f4a7c15ull) ^ (uint64_t)e->has_state;
    return (guint)(h ^ h >> 32);
}

static gboolean sched_equal(gconstpointer a, gconstpointer b)
{
    const dpos_sched_t *x = a, *y = b;
    return x->round == y->round && x->has_state == y->has_state && memcmp(x->id.b, y->id.b, HASH_BYTES) == 0;
}

/* The election read from bnd's state (bnd->state != NULL). The entry stays
 * valid until the next call. */
static const dpos_elect_t *election_of(dpos_t *d, const block_t *bnd)
{
    dpos_elect_t *e = g_hash_table_lookup(d->elect, &bnd->id);
    if (e)
        return e;
    uint32_t ncand = rank_candidates(d, bnd->state);
    DPOS_ASSERT(ncand >= d->n); /* chain votes only add */
    if (g_hash_table_size(d->elect) >= DPOS_CACHE_MAX)
        g_hash_table_remove_all(d->elect);
    e = g_malloc(sizeof *e + sizeof(uint32_t) * d->n);
    e->id = bnd->id;
    for (uint32_t i = 0; i < d->n; i++)
        e->top[i] = d->cand[i].node;
    e->is_config = memcmp(e->top, d->top, sizeof(uint32_t) * d->n) == 0;
    g_hash_table_add(d->elect, e);
    return e;
}

/* First slot of round (saturating). */
static uint64_t round_first(const dpos_t *d, uint64_t round)
{
    unsigned __int128 f = 1 + (unsigned __int128)round * d->round_slots;
    return f > UINT64_MAX ? UINT64_MAX : (uint64_t)f;
}

/* The last block on the chain ending at x (x included) with slot < first;
 * NULL when there is none. Follows memo links where they are safe. */
static const block_t *last_before(const block_t *x, uint64_t first)
{
    while (x && x->h.slot >= first) {
        const dpos_memo_t *m = x->cons;
        x = m && m->bnd_first >= first ? m->bnd : x->parent;
    }
    return x;
}

static const dpos_memo_t *memo_of(dpos_t *d, const block_t *b);

/* The block whose state elects round on the chain ending at parent: NULL
 * when the config election applies (round 0, no parent, no boundary, or a
 * boundary without a state). */
static const block_t *boundary_on(dpos_t *d, const block_t *parent, uint64_t round)
{
    if (round == 0 || parent == NULL || d->n == 0)
        return NULL;
    memo_of(d, parent);
    const block_t *bnd = last_before(parent, round_first(d, round));
    return bnd && bnd->state ? bnd : NULL;
}

/* The schedule of round elected by bnd's state (bnd from boundary_on; NULL:
 * config votes). d->n > 0. Valid until the next call. */
static const uint32_t *schedule_for(dpos_t *d, uint64_t round, const block_t *bnd)
{
    dpos_sched_t key = { .round = round, .has_state = bnd != NULL };
    if (bnd)
        key.id = bnd->id;
    dpos_sched_t *e = g_hash_table_lookup(d->sched, &key);
    if (e)
        return e->order;
    const uint32_t *top = bnd ? election_of(d, bnd)->top : d->top;
    if (g_hash_table_size(d->sched) >= DPOS_CACHE_MAX)
        g_hash_table_remove_all(d->sched);
    e = g_malloc(sizeof *e + sizeof(uint32_t) * d->n);
    *e = key;
    shuffle(d, top, round, e->order);
    g_hash_table_add(d->sched, e);
    return e->order;
}

const uint32_t *dpos_schedule_on(consensus_t *c, const block_t *parent, uint64_t round, uint32_t *n)
{
    dpos_t *d = as_dpos(c);
    *n = d->n;
    return d->n ? schedule_for(d, round, boundary_on(d, parent, round)) : NULL;
}

const uint32_t *dpos_schedule(consensus_t *c, uint64_t round, uint32_t *n)
{
    return dpos_schedule_on(c, NULL, round, n);
}

uint32_t dpos_nproducers(consensus_t *c)
{
    return as_dpos(c)->n;
}

uint32_t dpos_producer_on(consensus_t *c, const block_t *parent, uint64_t slot)
{
    dpos_t *d = as_dpos(c);
    if (slot == 0 || d->n == 0)
        return DPOS_NO_PRODUCER;
    uint64_t round = (slot - 1) / d->round_slots;
    uint64_t pos = (slot - 1) % d->round_slots;
    return schedule_for(d, round, boundary_on(d, parent, round))[pos / d->cfg.blocks_per_turn];
}

uint32_t dpos_producer(consensus_t *c, uint64_t slot)
{
    return dpos_producer_on(c, NULL, slot);
}

uint64_t dpos_slot_at(consensus_t *c, uint64_t time_ns)
{
    return time_ns / as_dpos(c)->cfg.interval_ns;
}

/* ---------- signatures ---------- */

/* BLAKE2b-256 of b's header encoded with no extra bytes: what the producer
 * signs. */
static void signing_hash(const block_t *b, hash32_t *out)
{
    block_header_t h = b->h;
    h.extra_len = 0;
    h.extra = NULL;
    uint8_t buf[BLOCK_HEADER_FIXED_BYTES];
    size_t len = block_header_encode(&h, buf, sizeof buf);
    DPOS_ASSERT(len == sizeof buf);
    hash_blake2b(out, buf, len);
}

/* ---------- finality ---------- */

/* Computes b's memo from its parent's (which must exist). */
static void memo_compute(dpos_t *d, const block_t *b)
{
    dpos_memo_t *m = g_malloc0(sizeof(dpos_memo_t) + sizeof(const block_t *) * d->threshold);
    if (b->parent == NULL) {
        m->lib = b;
    } else {
        const dpos_memo_t *pm = b->parent->cons;
        DPOS_ASSERT(pm != NULL);
        m->lib = pm->lib;
        bool counts = d->n > 0 && b->h.producer < d->cfg.nnodes;
        uint32_t cnt = 0;
        if (counts)
            m->recent[cnt++] = b;
        for (uint32_t i = 0; i < pm->nrecent && cnt < d->threshold; i++)
            if (!counts || pm->recent[i]->h.producer != b->h.producer)
                m->recent[cnt++] = pm->recent[i];
        m->nrecent = cnt;
        if (cnt >= d->threshold)
            m->lib = m->recent[d->threshold - 1]->parent;
        if (b->h.slot > 0 && d->round_slots > 0) {
            m->bnd_first = round_first(d, (b->h.slot - 1) / d->round_slots);
            m->bnd = last_before(b->parent, m->bnd_first);
        }
    }
    /* The memo is the engine's, not part of the block's value. */
    ((block_t *)b)->cons = m;
}

static const dpos_memo_t *memo_of(dpos_t *d, const block_t *b)
{
    if (b->cons)
        return b->cons;
    if (b->parent == NULL || b->parent->cons != NULL) {
        memo_compute(d, b);
        return b->cons;
    }
    /* Ancestors without a memo: compute them oldest first, once. */
    GPtrArray *todo = g_ptr_array_new();
    for (const block_t *x = b; x && !x->cons; x = x->parent)
        g_ptr_array_add(todo, (gpointer)x);
    for (guint i = todo->len; i-- > 0;)
        memo_compute(d, g_ptr_array_index(todo, i));
    g_ptr_array_free(todo, TRUE);
    return b->cons;
}

/* True when anc is b or one of its ancestors (walks b's parents down to
 * anc's height). */
static bool descends_from(const block_t *b, const block_t *anc)
{
    while (b && b->h.height > anc->h.height)
        b = b->parent;
    return b && memcmp(b->id.b, anc->id.b, HASH_BYTES) == 0;
}

/* ---------- ops ---------- */

static uint64_t dpos_next_ns(consensus_t *c, uint32_t node, const block_t *tip, uint64_t now_ns, double unit)
{
    (void)unit;
    dpos_t *d = as_dpos(c);
    if (d->n == 0 || node >= d->cfg.nnodes || tip->h.slot == UINT64_MAX)
        return UINT64_MAX;
    uint64_t iv = d->cfg.interval_ns, k = d->cfg.blocks_per_turn;
    uint64_t from = tip->h.slot + 1;
    uint64_t now_slot = now_ns / iv + (now_ns % iv != 0);
    if (now_slot > from)
        from = now_slot;
    uint64_t r0 = (from - 1) / d->round_slots;
    for (uint64_t ahead = 0; ahead < DPOS_LOOKAHEAD_ROUNDS && r0 + ahead >= r0; ahead++) {
        uint64_t r = r0 + ahead;
        const uint32_t *order = schedule_for(d, r, boundary_on(d, tip, r));
        uint32_t i = 0;
        while (i < d->n && order[i] != node)
            i++;
        if (i == d->n) /* not elected for this round on tip's chain */
            continue;
        unsigned __int128 first = 1 + (unsigned __int128)r * d->round_slots + (unsigned __int128)i * k;
        unsigned __int128 last = first + k - 1;
        if (last < from)
            continue;
        unsigned __int128 s = first > from ? first : from;
        unsigned __int128 t = s * iv;
        return t >= UINT64_MAX ? UINT64_MAX : (uint64_t)t;
    }
    return UINT64_MAX;
}

/* The tip's slot while next_ns on tip only uses the config election; else a
 * hash of the slot and the two elections it uses (the round of slot + 1 and
 * every later round, which all read the tip's state), top bit set. */
static uint64_t dpos_schedule_key(consensus_t *c, const block_t *tip)
{
    dpos_t *d = as_dpos(c);
    if (d->n == 0 || tip->h.slot == UINT64_MAX)
        return tip->h.slot;
    uint64_t r1 = tip->h.slot / d->round_slots; /* round of tip's slot + 1 */
    bool config = true;
    for (uint64_t i = 0; i < 2; i++) {
        const block_t *bnd = boundary_on(d, tip, r1 + i);
        const dpos_elect_t *e = bnd ? election_of(d, bnd) : NULL;
        config = config && (e == NULL || e->is_config);
        memcpy(d->keybuf + i * d->n, e ? e->top : d->top, sizeof(uint32_t) * d->n);
    }
    if (config)
        return tip->h.slot;
    hasher_t h;
    hash32_t out;
    uint8_t slot[8];
    put_le64(slot, tip->h.slot);
    hasher_begin(&h);
    hasher_update(&h, DPOS_KEY_TAG, sizeof DPOS_KEY_TAG - 1);
    hasher_update(&h, slot, sizeof slot);
    for (uint32_t i = 0; i < 2 * d->n; i++) {
        uint8_t w[8];
        put_le64(w, d->keybuf[i]);
        hasher_update(&h, w, 4);
    }
    hasher_end(&h, &out);
    return get_le64(out.b) | 1ull << 63;
}

static void dpos_prepare(consensus_t *c, block_t *b)
{
    b->h.slot = dpos_slot_at(c, b->h.time_ns);
    b->h.difficulty = 1;
    b->h.nonce = 0;
}

static void dpos_sign(consensus_t *c, block_t *b, const keypair_t *kp)
{
    (void)c;
    hash32_t msg;
    signing_hash(b, &msg);
    g_free(b->h.extra);
    b->h.extra = g_malloc(SIG_BYTES);
    b->h.extra_len = SIG_BYTES;
    keys_sign(kp, msg.b, HASH_BYTES, b->h.extra);
}

static bool dpos_check(consensus_t *c, const block_t *b, const char **why)
{
    dpos_t *d = as_dpos(c);
    if (!b->parent) {
        *why = "no parent";
        return false;
    }
    if (b->h.slot <= b->parent->h.slot) {
        *why = "slot not after the parent's";
        return false;
    }
    if ((unsigned __int128)b->h.slot * d->cfg.interval_ns != b->h.time_ns) {
        *why = "block outside its slot";
        return false;
    }
    uint32_t p = dpos_producer_on(c, b->parent, b->h.slot);
    if (p == DPOS_NO_PRODUCER || b->h.producer != p) {
        *why = "producer not scheduled for this slot";
        return false;
    }
    if (b->h.difficulty != 1) {
        *why = "wrong difficulty";
        return false;
    }
    hash32_t msg;
    if (d->pubkeys == NULL || b->h.extra_len != SIG_BYTES || b->h.extra == NULL) {
        *why = "bad producer signature";
        return false;
    }
    signing_hash(b, &msg);
    if (!keys_verify(d->pubkeys[p], msg.b, HASH_BYTES, b->h.extra)) {
        *why = "bad producer signature";
        return false;
    }
    return true;
}

/* Two-stage irreversibility (cfg.two_stage, EOSIO 1.x): the single-stage
 * LIB only proposes a block; it is irreversible once 2/3+1 producers have
 * built on a block that had already proposed it, i.e. the LIB as it stood
 * at the proposed LIB. */
static const block_t *two_stage_lib(dpos_t *d, const block_t *proposed)
{
    return memo_of(d, proposed)->lib;
}

static const block_t *dpos_final(consensus_t *c, const block_t *tip)
{
    dpos_t *d = as_dpos(c);
    const block_t *lib = memo_of(d, tip)->lib;
    return d->cfg.two_stage ? two_stage_lib(d, lib) : lib;
}

static int dpos_compare(consensus_t *c, const block_t *a, const block_t *b)
{
    if (!descends_from(a, dpos_final(c, b)))
        return -1;
    if (!descends_from(b, dpos_final(c, a)))
        return 1;
    return a->h.height > b->h.height ? 1 : a->h.height < b->h.height ? -1 : 0;
}

static void dpos_free_block(consensus_t *c, block_t *b)
{
    (void)c;
    g_free(b->cons);
    b->cons = NULL;
}

static void dpos_destroy(consensus_t *c)
{
    dpos_t *d = as_dpos(c);
    g_free(d->votes);
    g_free(d->pubkeys);
    g_free(d->top);
    g_free(d->cand);
    g_free(d->keybuf);
    g_hash_table_destroy(d->elect);
    g_hash_table_destroy(d->sched);
    g_free(d);
}

static const consensus_ops_t dpos_ops = {
    .name = "dpos",
    .next_ns = dpos_next_ns,
    .schedule_key = dpos_schedule_key,
    .prepare = dpos_prepare,
    .sign = dpos_sign,
    .check = dpos_check,
    .compare = dpos_compare,
    .final = dpos_final,
    .free_block = dpos_free_block,
    .destroy = dpos_destroy,
};

consensus_t *dpos_new(const dpos_cfg_t *cfg)
{
    dpos_t *d = g_new0(dpos_t, 1);
    d->base.ops = &dpos_ops;
    d->cfg = *cfg;
    if (d->cfg.producers == 0)
        d->cfg.producers = DPOS_DEFAULT_PRODUCERS;
    if (d->cfg.blocks_per_turn == 0)
        d->cfg.blocks_per_turn = DPOS_DEFAULT_BLOCKS_PER_TURN;
    if (d->cfg.interval_ns == 0)
        d->cfg.interval_ns = DPOS_DEFAULT_INTERVAL_NS;
    uint32_t nn = cfg->nnodes;
    d->votes = g_new0(uint64_t, nn ? nn : 1);
    if (cfg->votes)
        memcpy(d->votes, cfg->votes, sizeof(uint64_t) * nn);
    d->cfg.votes = d->votes;
    if (cfg->pubkeys) {
        d->pubkeys = g_malloc(sizeof *d->pubkeys * (nn ? nn : 1));
        memcpy(d->pubkeys, cfg->pubkeys, sizeof *d->pubkeys * nn);
    }
    d->cfg.pubkeys = (const uint8_t (*)[PK_BYTES])d->pubkeys;

    d->cand = g_new(dpos_cand_t, nn ? nn : 1);
    uint32_t ncand = rank_candidates(d, NULL);
    d->n = ncand < d->cfg.producers ? ncand : d->cfg.producers;
    d->top = g_new(uint32_t, d->n ? d->n : 1);
    for (uint32_t i = 0; i < d->n; i++)
        d->top[i] = d->cand[i].node;
    d->threshold = 2 * d->n / 3 + 1;
    d->round_slots = (uint64_t)d->n * d->cfg.blocks_per_turn;
    d->keybuf = g_new(uint32_t, 2 * (size_t)(d->n ? d->n : 1));
    d->elect = g_hash_table_new_full(elect_hash, elect_equal, g_free, NULL);
    d->sched = g_hash_table_new_full(sched_hash, sched_equal, g_free, NULL);
    return &d->base;
}
