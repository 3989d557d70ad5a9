/*
 * dpos.c - delegated proof of stake behind the consensus interface (see
 * dpos.h).
 *
 * Election: at creation the nodes with votes > 0 are sorted by votes
 * (descending, ties by lower node id) and the first min(N, count) are the
 * producers; `top` keeps them in that order and `rank[node]` is a node's
 * position there (DPOS_NO_RANK when not elected). Votes never change during
 * a run, so neither does the election.
 *
 * Schedule: round r is `top` shuffled by Fisher-Yates (i from n-1 down to 1,
 * swap i with j uniform in [0, i]). The draws are little-endian 64-bit words
 * of BLAKE2b-256(tag || seed || r || counter), four per hash, counter 0, 1,
 * ...; j is drawn by rejection (a word below 2^64 mod (i+1) is redrawn, the
 * rest is taken mod i+1), so the shuffle is exact and uses no floating point.
 * Slot s >= 1 is in round (s-1) / (N*K) at position (s-1) % (N*K), produced
 * by schedule[position / K]. Schedules are cached in a ring of
 * DPOS_CACHE_ROUNDS entries keyed by round mod DPOS_CACHE_ROUNDS; a miss
 * recomputes (about N/4 hashes), so memory stays bounded whatever is asked.
 *
 * Production: a node's next slot on tip is the first slot after tip's slot,
 * not before now, in one of its turns. Every elected node has one turn per
 * round, so looking DPOS_LOOKAHEAD_ROUNDS rounds ahead always finds it; a node
 * that was not elected never produces.
 *
 * Finality (LIB): the last irreversible block of the chain ending at b is the
 * highest ancestor a such that the blocks in (a, b] come from at least
 * T = floor(2N/3) + 1 distinct elected producers. Each block's memo
 * (b->cons) holds, per elected producer, the latest block of that producer
 * on the chain up to b (NULL if none), copied from the parent's memo and
 * updated with b. If at least T producers appear, sort their latest blocks by
 * height (descending): the T-th one, L, is the lowest block such that (a, b]
 * holds T producers exactly when a is below L, so LIB(b) = L->parent;
 * otherwise LIB(b) = genesis. The memo is O(N) per block and is computed
 * once from the parent's; a block whose ancestors have no memo yet gets them
 * computed oldest first, once. Invariant: LIB(b) is an ancestor of b and
 * never below LIB(parent) (the producer sets only grow).
 *
 * Fork choice: a tip never loses to a chain that does not contain its LIB;
 * among chains that agree on each other's LIB the higher one wins.
 *
 * Ownership: the engine owns copies of votes and pubkeys, its election and
 * its schedule cache (freed by destroy), and every memo it puts in b->cons
 * (freed by free_block, which must run before block_free). Memos point to
 * ancestor blocks, which outlive their descendants.
 */
#include "core/consensus/dpos.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DPOS_ASSERT(c)                                                       \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define DPOS_NO_RANK UINT32_MAX
#define DPOS_CACHE_ROUNDS 4u
#define DPOS_LOOKAHEAD_ROUNDS 3u
#define DPOS_SHUFFLE_TAG "chainsim-dpos-shuffle"

typedef struct dpos_sched {
    bool valid;
    uint64_t round;
    uint32_t *order; /* n producers; points into dpos_t.cache_mem */
} dpos_sched_t;

/* Per-block memo in b->cons; last has n entries. */
typedef struct dpos_memo {
    const block_t *lib;
    const block_t *last[];
} dpos_memo_t;

typedef struct dpos {
    consensus_t base;
    dpos_cfg_t cfg;                   /* votes/pubkeys point to the copies */
    uint64_t *votes;                  /* owned copy, nnodes */
    uint8_t (*pubkeys)[PK_BYTES];     /* owned copy, nnodes; NULL if none given */
    uint32_t n;                       /* elected producers */
    uint32_t threshold;               /* floor(2n/3) + 1 */
    uint64_t round_slots;             /* n * K */
    uint32_t *top;                    /* n elected nodes, by votes */
    uint32_t *rank;                   /* nnodes: index in top or DPOS_NO_RANK */
    dpos_sched_t cache[DPOS_CACHE_ROUNDS];
    uint32_t *cache_mem;              /* DPOS_CACHE_ROUNDS * n */
    const block_t **scratch;          /* n, for the LIB selection */
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

static const uint32_t *schedule_of(dpos_t *d, uint64_t round)
{
    dpos_sched_t *e = &d->cache[round % DPOS_CACHE_ROUNDS];
    if (e->valid && e->round == round)
        return e->order;
    memcpy(e->order, d->top, sizeof(uint32_t) * d->n);
    dpos_draw_t dr = { .seed = d->cfg.seed, .round = round };
    for (uint32_t i = d->n; i-- > 1;) {
        uint32_t j = (uint32_t)draw_below(&dr, (uint64_t)i + 1);
        uint32_t t = e->order[i];
        e->order[i] = e->order[j];
        e->order[j] = t;
    }
    e->round = round;
    e->valid = true;
    return e->order;
}

const uint32_t *dpos_schedule(consensus_t *c, uint64_t round, uint32_t *n)
{
    dpos_t *d = as_dpos(c);
    *n = d->n;
    return d->n ? schedule_of(d, round) : NULL;
}

uint32_t dpos_nproducers(consensus_t *c)
{
    return as_dpos(c)->n;
}

uint32_t dpos_producer(consensus_t *c, uint64_t slot)
{
    dpos_t *d = as_dpos(c);
    if (slot == 0 || d->n == 0)
        return DPOS_NO_PRODUCER;
    uint64_t round = (slot - 1) / d->round_slots;
    uint64_t pos = (slot - 1) % d->round_slots;
    return schedule_of(d, round)[pos / d->cfg.blocks_per_turn];
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

static int by_height_desc(const void *x, const void *y)
{
    const block_t *a = *(const block_t *const *)x, *b = *(const block_t *const *)y;
    return a->h.height < b->h.height ? 1 : a->h.height > b->h.height ? -1 : 0;
}

/* Computes b's memo from its parent's (which must exist). */
static void memo_compute(dpos_t *d, const block_t *b)
{
    dpos_memo_t *m = g_malloc0(sizeof(dpos_memo_t) + sizeof(const block_t *) * d->n);
    if (b->parent == NULL) {
        m->lib = b;
    } else {
        const dpos_memo_t *pm = b->parent->cons;
        DPOS_ASSERT(pm != NULL);
        memcpy(m->last, pm->last, sizeof(const block_t *) * d->n);
        m->lib = pm->lib;
        uint32_t r = b->h.producer < d->cfg.nnodes ? d->rank[b->h.producer] : DPOS_NO_RANK;
        if (r != DPOS_NO_RANK)
            m->last[r] = b;
        uint32_t cnt = 0;
        for (uint32_t i = 0; i < d->n; i++)
            if (m->last[i])
                d->scratch[cnt++] = m->last[i];
        if (cnt >= d->threshold) {
            qsort(d->scratch, cnt, sizeof *d->scratch, by_height_desc);
            m->lib = d->scratch[d->threshold - 1]->parent;
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
    if (d->n == 0 || node >= d->cfg.nnodes || d->rank[node] == DPOS_NO_RANK || tip->h.slot == UINT64_MAX)
        return UINT64_MAX;
    uint64_t iv = d->cfg.interval_ns, k = d->cfg.blocks_per_turn;
    uint64_t from = tip->h.slot + 1;
    uint64_t now_slot = now_ns / iv + (now_ns % iv != 0);
    if (now_slot > from)
        from = now_slot;
    uint64_t r0 = (from - 1) / d->round_slots;
    for (uint64_t ahead = 0; ahead < DPOS_LOOKAHEAD_ROUNDS && r0 + ahead >= r0; ahead++) {
        uint64_t r = r0 + ahead;
        const uint32_t *order = schedule_of(d, r);
        uint32_t i = 0;
        while (i < d->n && order[i] != node)
            i++;
        DPOS_ASSERT(i < d->n); /* every elected node has a turn in every round */
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

static uint64_t dpos_schedule_key(consensus_t *c, const block_t *tip)
{
    (void)c;
    return tip->h.slot;
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
    uint32_t p = dpos_producer(c, b->h.slot);
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

static const block_t *dpos_final(consensus_t *c, const block_t *tip)
{
    return memo_of(as_dpos(c), tip)->lib;
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
    g_free(d->rank);
    g_free(d->cache_mem);
    g_free(d->scratch);
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

typedef struct dpos_cand {
    uint64_t votes;
    uint32_t node;
} dpos_cand_t;

/* Election order: votes descending, then node id ascending. */
static int by_votes(const void *x, const void *y)
{
    const dpos_cand_t *a = x, *b = y;
    if (a->votes != b->votes)
        return a->votes > b->votes ? -1 : 1;
    return a->node < b->node ? -1 : a->node > b->node ? 1 : 0;
}

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

    dpos_cand_t *cand = g_new(dpos_cand_t, nn ? nn : 1);
    uint32_t ncand = 0;
    for (uint32_t i = 0; i < nn; i++)
        if (d->votes[i] > 0)
            cand[ncand++] = (dpos_cand_t){ .votes = d->votes[i], .node = i };
    qsort(cand, ncand, sizeof *cand, by_votes);
    d->n = ncand < d->cfg.producers ? ncand : d->cfg.producers;
    d->top = g_new(uint32_t, d->n ? d->n : 1);
    for (uint32_t i = 0; i < d->n; i++)
        d->top[i] = cand[i].node;
    g_free(cand);
    d->rank = g_new(uint32_t, nn ? nn : 1);
    for (uint32_t i = 0; i < nn; i++)
        d->rank[i] = DPOS_NO_RANK;
    for (uint32_t i = 0; i < d->n; i++)
        d->rank[d->top[i]] = i;
    d->threshold = 2 * d->n / 3 + 1;
    d->round_slots = (uint64_t)d->n * d->cfg.blocks_per_turn;

    d->cache_mem = g_new(uint32_t, (size_t)DPOS_CACHE_ROUNDS * (d->n ? d->n : 1));
    for (uint32_t i = 0; i < DPOS_CACHE_ROUNDS; i++)
        d->cache[i].order = d->cache_mem + (size_t)i * d->n;
    d->scratch = g_new(const block_t *, d->n ? d->n : 1);
    return &d->base;
}
