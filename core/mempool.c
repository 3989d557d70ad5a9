/*
 * mempool.c - a node's pool of pending transactions, and block building.
 *
 * Every node of a run hears of every transaction, so (pools x pending
 * transactions) is the unit of cost, and the layout is made for it: what is
 * the same in every pool is kept once, in a set shared by the pools
 * (mempool_shared_t), and a pool is little more than a bit per transaction.
 *
 * The shared set (one per run; a pool created without one gets its own):
 *   - transactions, named by 32-bit handles (0 = none), one per transaction
 *     held by at least one pool, each a 64-byte record (one cache line):
 *     the object (one counted reference for all pools), the number of pools
 *     holding it, and what admission, removal and prune read: nonce, cost
 *     (what it takes from the balance: ledger_tx_cost), fee, size, sender
 *     handle, links in the sender's list. Handles are given out round robin,
 *     skipping those in use, and the array doubles when more than half is
 *     in use: transactions of the same few seconds get neighbouring handles
 *     (the pools' bits for recent transactions share a few words), and the
 *     handle space stays within twice the most transactions held at once;
 *   - senders: 128-byte records indexed by handle, one per address that has
 *     a transaction in the set: the address, the list of its transactions
 *     sorted by nonce (all pools' together; two pools may hold two
 *     transactions with the same nonce, a double spend, one each), a memo of
 *     its account on the latest state version asked for (versions are
 *     immutable once sealed and numbered by state_serial, so the memo is
 *     exact; every node at the same tip asks for the same account), and, in
 *     the same cache line, what admission's shortcut reads: how many of its
 *     transactions not every pool holds (`partial`), the sum of their costs,
 *     and the nonces of the last two;
 *   - by_id, by_addr: open-addressing tables (linear probing, backward-shift
 *     deletion, load at most 1/2) from a 32-bit hash of the id or address to
 *     handles. A transaction also carries its handle as a hint (tx->pool_hint),
 *     and callers may keep hints of their own (mempool_*_hint); a hint is
 *     checked against the handle's object before use, so the pools of the
 *     simulator, which pass the same shared objects around, rarely hash.
 *
 * A pool holds:
 *   - member: a bit set over transaction handles (the pool's transactions);
 *   - dirty: a bit set over sender handles, see Prune;
 *   - count, bytes, and, only when a rate limit is set, one record per
 *     sender for its token bucket (see Rate limit).
 * A sender's "chain" in a pool is its list in the shared set filtered by the
 * pool's bits; nonces in it are unique (a second one is a double spend).
 * Chains are short (a sender's pending transactions); a walk reads each
 * record, which says whether every pool holds it, before the pool's bit.
 *
 * Pool order (mempool_list, eviction, block building) is fee rate
 * descending, then id ascending: a total order since ids are unique.
 *
 * Admission (the checks of mempool.h in order): the handle (from a hint)
 * answers the duplicate check from the pool's bits; a transaction already
 * filed is checked from its record, not the object (it passed the
 * signature check to be filed; for a new one the check is memoised in the
 * object); the account comes from the sender's memo. Double spend and
 * balance need the pool's pending transactions of the sender: when every
 * pool holds every other transaction of the sender and all have lower
 * nonces (the common case), the answer is in the sender's record (no double
 * spend, their whole cost, nothing above); otherwise one walk of the chain.
 * Nothing in admission scans the pool, except eviction (below).
 *
 * Eviction: when the pool is full the victim is, among the last (highest
 * nonce) transactions of each sender's chain, the last in pool order. While
 * the pool is near full (from the moment it first fills until it drops
 * below 3/4 of capacity) it keeps a max-heap of chain tails by that order,
 * with lazy deletion: an entry is pushed whenever a transaction becomes the
 * tail of its chain, and on top it is checked (still in the pool, still a
 * tail) and discarded when not; the heap is rebuilt when discarded entries
 * outnumber live ones. So eviction costs O(log n), and pools that are not
 * near full pay nothing for it.
 *
 * Rate limit: a token bucket of rate_burst tokens refilled at
 * rate_limit_milli_per_s / 1000 tokens per second, kept in its equivalent
 * integer form (GCRA, the "virtual scheduling" algorithm): each sender keeps
 * tat_ns, the virtual time at which its bucket is full again. With the
 * interval T = ceil(10^12 / rate_milli_per_s) ns per token, a transaction at
 * now conforms iff max(tat, now) - now <= (burst - 1) * T, and admitting it
 * sets tat = max(tat, now) + T. No floating point; the interval is rounded up
 * to the nanosecond (the limit errs on the strict side by under 1 ns per
 * token). A rate_burst of 0 behaves as 1. A pool with a rate limit keeps a
 * record per sender (GHashTable by address) while the sender has pending
 * transactions, or while its bucket is not full (tat_ns > the latest time
 * seen by mempool_add); such idle records sit in `idle`, a GTree by
 * (bucket-full time, address), and are freed as soon as their bucket is
 * full. At most `capacity` idle records are kept: beyond that the one
 * closest to full is forgotten (which can only favour that sender by the
 * remainder of its refill). So the pool holds at most `capacity`
 * transactions and 2 * `capacity` sender records. Without a rate limit no
 * per-sender record exists.
 *
 * Gaps: transactions of one sender arrive out of nonce order through gossip,
 * so a chain may lack its first nonce (a gap at the front: its lowest
 * pending nonce is above the state nonce) or a nonce in the middle. Such
 * transactions wait in the pool for their predecessors, like a client's
 * queued transactions; only the block builder and prune look at gaps.
 *
 * Block building (mempool_select): a binary heap of senders keyed by the
 * pool order of each sender's next pending transaction (lowest nonce not yet
 * taken). The best one is applied with ledger_apply_tx on a scratch mutable
 * child of the parent state (never sealed, dropped at the end). Outcomes:
 *   - applied: chosen; the sender's cursor moves to its next nonce;
 *   - does not fit the remaining bytes: ends that sender's turn for this
 *     block (its later nonces cannot go without it); stays in the pool;
 *   - TXERR_NONCE_HIGH (the next pending nonce is not the expected one: a
 *     gap at the front of the chain, or inside it after the nonces taken so
 *     far): ends the sender's turn; it and the rest of the chain stay in the
 *     pool and nothing is counted;
 *   - TXERR_NONCE_LOW (nonce already used on the parent): removed and
 *     counted; the sender's later nonces may still apply;
 *   - any other failure (signature, balance, overflow, format): removed and
 *     counted, and the sender's turn ends; its later nonces stay in the pool
 *     (they now follow a gap; a reorganisation may make them valid again,
 *     otherwise prune or eviction will see to them).
 * The counts are added to dropped[] (the caller initialises it, and may keep
 * running totals across calls; NULL to not count). Removals are deferred to
 * the end, so the pool is not modified while the heap refers to it.
 *
 * Prune (mempool_prune), per sender against the tip's account (nonce n,
 * balance b): nonces below n go; the contiguous run n, n+1, ... is kept while
 * the cumulative amount + fee fits b, and from the first transaction that
 * does not fit (or overflows) to the end of the run everything goes (each of
 * those counts a pending lower nonce it cannot pay for); after the run (past
 * a gap) a transaction stays iff its nonce is within the window
 * [n, n + nonce_window), whatever its cost: it cannot apply before its
 * predecessors arrive, and once they do, a later prune judges it as part of
 * the run. The run itself is not limited by the window (it can apply now;
 * it may outgrow the window after a reorganisation lowered n).
 *   The rules give each sender a result that depends only on its chain and
 * its account, and applying them twice removes nothing the second time. So
 * prune visits only the senders for which either may have changed since the
 * pool was last pruned, at version `pruned_at`:
 *   - senders marked dirty: every removal marks its sender; an insertion
 *     marks it unless it was admitted against `pruned_at` itself and is the
 *     highest nonce of its chain (admission then checked exactly what prune
 *     checks: nonce not used, within the window after a gap, affordable with
 *     every lower pending nonce in the run);
 *   - senders whose account differs between `pruned_at` and the new tip: the
 *     addresses in the deltas of the versions between the two (up to their
 *     common ancestor), skipping changes that neither move the nonce nor
 *     lower the balance (they cannot make prune remove anything).
 *     The senders of a version's delta are looked up once for all pools
 *     (delta_memo_t): every node connects the same blocks.
 * When no such path exists (unrelated versions, or a mutable tip) every
 * sender with transactions is visited. When the pool empties, `pruned_at`
 * is dropped and every later insertion marks its sender.
 *
 * Invariants (asserted where transactions are removed):
 *   count == number of member bits == sum of the pools' chain lengths;
 *   bytes == sum of size_bytes of pending transactions;
 *   a shared record's `pools` is the number of pools whose bit is set.
 *
 * Determinism: no decision depends on handle values, addresses or hash
 * values: handles only name records. Iterations in handle order produce
 * either a minimum or a sort under the total pool order (eviction, listing,
 * block building's heap, whose keys are distinct), or per-sender results
 * that do not depend on the order senders are visited in (prune: the one
 * cross-sender effect, the bounded idle set of the rate limit, keeps the
 * `capacity` records latest to refill whatever the order of insertion).
 */
#include "core/mempool.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

/* ---- the shared set ------------------------------------------------------ */

typedef struct mtx {       /* one transaction of the set: one cache line */
    tx_t *obj;            /* one counted reference for all pools; NULL: free */
    uint64_t nonce;
    uint64_t cost;        /* ledger_tx_cost */
    uint64_t fee;
    uint32_t pools;       /* pools holding it */
    uint32_t sender;      /* its sender's handle */
    uint32_t size;        /* its size_bytes */
    uint32_t prev, next;  /* the sender's list by nonce */
    uint32_t run_next;    /* see Runs: the first after its run, or 0 */
    uint64_t run_cost;    /* see Runs: the costs of its run; UINT64_MAX: no run to skip */
} mtx_t;
G_STATIC_ASSERT(sizeof(mtx_t) == 64);

/* Runs: a walk of a pool's chain (admission) adds up the costs of the
 * sender's transactions below the newcomer's nonce. Those every pool holds
 * need no look at the pool's bit, so for a record every pool holds,
 * run_next names the first record after the maximal stretch of such records
 * it begins, and run_cost the sum of their costs (kept by sender_runs at
 * every change of the list or of a record's being held by every pool).
 * run_cost is UINT64_MAX, and the walk goes record by record, when the sum
 * does not fit, the record is not held by every pool, or the sender's list
 * holds two transactions with one nonce (a stretch could then hide a double
 * spend). */
typedef struct msnd {
    /* First line: what admission reads (see Admission). */
    uint64_t memo_serial; /* state_serial of the version memo_acct is from; 0 = none */
    account_t memo_acct;
    uint32_t ntx;         /* its transactions in the set; 0 = free record (head links the free list) */
    uint32_t tail;        /* its list, by nonce: the last */
    uint32_t partial;     /* its transactions that not every pool holds */
    uint32_t big;         /* its transactions costing more than SUM_COST_MAX */
    uint64_t cost_sum;    /* the costs of its transactions (exact while big == 0 and ntx < 256) */
    uint64_t tail_nonce, second_nonce; /* the nonces of the last two in the list */
    /* Second line. */
    addr_t addr;
    uint32_t head;        /* its list: the first */
    uint32_t hash;        /* of the address */
    uint8_t unused[32];
} msnd_t;
G_STATIC_ASSERT(sizeof(msnd_t) == 128);

#define SUM_COST_MAX (UINT64_C(1) << 56) /* 255 of them cannot overflow a sum */

typedef struct slot {
    uint32_t h;    /* handle; 0 = empty */
    uint32_t hash; /* the key's hash: home slot and quick compare */
} slot_t;

typedef struct otable {
    slot_t *slots;
    uint32_t mask; /* capacity - 1 (a power of two) */
    uint32_t n;
} otable_t;

/* The senders whose account changed in one sealed version's delta in a way
 * that may make prune remove something (see mark_delta), looked up once for
 * all pools: valid while no sender record was created since (`births`), as
 * only a creation can give an address of the delta a record it lacked, or
 * another record than the one found. A record found and freed since is
 * harmless to mark: prune skips senders without transactions, and a visit
 * removes only what a prune of every sender would. */
typedef struct delta_memo {
    uint64_t serial;  /* state_serial of the version; 0 = empty slot */
    uint64_t births;  /* the set's births when it was made */
    bool backward;
    uint32_t n, cap;
    uint32_t *si;     /* sender handles */
} delta_memo_t;

#define DELTA_MEMOS 4

struct mempool_shared {
    mtx_t *rec;         /* by handle, 1 .. cap - 1 (0 unused); 64-byte aligned */
    uint32_t npools_ever; /* pools ever created on the set: "every pool" (freed ones hold nothing) */
    uint32_t cap, live, cursor; /* cursor: the handle last given out */
    msnd_t *snds;       /* [0] unused */
    uint32_t snds_cap, snds_hw, snds_free; /* capacity, high water (next never-used handle), free list */
    otable_t by_id, by_addr;
    struct pool_cfg *pcfg; /* the settings most pools share (counted), or NULL */
    uint32_t npools;
    uint64_t births;    /* sender records created so far */
    delta_memo_t memo[DELTA_MEMOS]; /* see delta_memo_t; replaced round robin */
    uint32_t memo_next;
};

/* ---- a pool ---------------------------------------------------------------- */

typedef struct rrec {
    addr_t addr;
    uint64_t tat_ns;   /* GCRA: time at which the bucket is full again */
    uint32_t npending; /* the sender's transactions in the pool */
    bool idle;         /* in mp->x->idle (no pending transactions) */
} rrec_t;

typedef struct tailkey {
    uint64_t feerate_ppm;
    uint64_t id_prefix;
    const tx_t *tx; /* to check the handle still names this transaction */
    uint32_t h;
} tailkey_t;

/* A pool's settings and what follows from them: shared by the pools of a
 * set made with equal settings (the nodes of a run). */
typedef struct pool_cfg {
    mempool_cfg_t cfg;
    uint64_t interval_ns;  /* GCRA T; 0 when there is no rate limit */
    uint64_t tolerance_ns; /* GCRA (burst - 1) * T, saturated */
    uint32_t refs;
} pool_cfg_t;

/* What only some pools need: a rate limit, a near-full pool, a prune. */
typedef struct pool_extra {
    GHashTable *rate;      /* rate limit only: addr_t * (in the record) -> rrec_t *; owns the records */
    GTree *idle;           /* rate limit only: rrec_t * -> rrec_t *, by (tat_ns, addr); owns neither */
    GArray *tails;         /* tailkey_t max-heap while near full (see Eviction); NULL otherwise */
    uint32_t tails_live;   /* entries of `tails` that were tails when pushed and not yet known stale */
    GArray *scratch;       /* uint32_t handles, reused by prune */
} pool_extra_t;

/* A pool: its first 64 bytes are what admission reads. Every node of a run
 * has one, so it is kept small (a run of a million nodes without
 * transactions has a million empty pools). */
struct mempool {
    const pool_cfg_t *pc;
    mempool_shared_t *sh;
    uint64_t *member;      /* bit set over transaction handles */
    size_t count;
    uint64_t bytes;
    uint64_t now_ns;       /* latest time given to mempool_add */
    state_t *pruned_at;    /* counted reference; NULL: none (see Prune) */
    uint32_t member_words;
    bool all_dirty;        /* every sender with transactions needs a prune visit */
    bool own_sh;
    uint64_t *dirty;       /* bit set over sender handles */
    uint32_t dirty_words;
    pool_extra_t *x;       /* NULL until needed */
};

static const char *const mp_result_names[MP_RESULT_COUNT] = {
    [MP_ADDED] = "added",
    [MP_DUPLICATE] = "duplicate",
    [MP_BLACKLISTED] = "blacklisted",
    [MP_TOO_LARGE] = "too_large",
    [MP_FEE_LOW] = "fee_low",
    [MP_SIGNATURE] = "signature",
    [MP_NONCE_LOW] = "nonce_low",
    [MP_NONCE_HIGH] = "nonce_high",
    [MP_DOUBLE_SPEND] = "double_spend",
    [MP_BALANCE] = "balance",
    [MP_RATE_LIMITED] = "rate_limited",
    [MP_FULL] = "full",
};

const char *mp_result_name(mp_result_t r)
{
    if ((unsigned)r >= MP_RESULT_COUNT)
        return "unknown";
    return mp_result_names[r];
}

/* ---- helpers ----------------------------------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return (b != 0 && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}

/* Mixes n bytes (n = 20 or 32; only the first 20 are used) into 32 bits.
 * Only speed depends on it; structured keys (tests) are mixed too. */
static uint32_t key_hash(const uint8_t *b)
{
    uint64_t w0, w1;
    uint32_t w2;
    memcpy(&w0, b, 8);
    memcpy(&w1, b + 8, 8);
    memcpy(&w2, b + 16, 4);
    uint64_t h = w0 * UINT64_C(0x9e3779b97f4a7c15);
    h = (h ^ (h >> 29) ^ w1) * UINT64_C(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 32) ^ w2) * UINT64_C(0x94d049bb133111eb);
    return (uint32_t)(h ^ (h >> 31));
}

static uint64_t id_prefix_of(const hash32_t *id)
{
    uint64_t p = 0;
    for (int i = 0; i < 8; i++)
        p = p << 8 | id->b[i];
    return p;
}

static bool bit_get(const uint64_t *set, uint32_t words, uint32_t i)
{
    return i / 64 < words && (set[i / 64] >> (i % 64) & 1);
}

/* Sets bit i of *set, growing it (zero-filled) to cover i. */
static void bit_set(uint64_t **set, uint32_t *words, uint32_t i)
{
    if (i / 64 >= *words) {
        uint32_t n = *words ? *words : 4;
        while (n <= i / 64)
            n *= 2;
        *set = g_renew(uint64_t, *set, n);
        memset(*set + *words, 0, sizeof(uint64_t) * (n - *words));
        *words = n;
    }
    (*set)[i / 64] |= UINT64_C(1) << (i % 64);
}

static void bit_clear(uint64_t *set, uint32_t words, uint32_t i)
{
    if (i / 64 < words)
        set[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* ---- open-addressing tables ------------------------------------------------------ */

static void otable_init(otable_t *t)
{
    t->mask = 15;
    t->n = 0;
    t->slots = g_new0(slot_t, t->mask + 1);
}

static void otable_put_slot(otable_t *t, slot_t s)
{
    uint32_t i = s.hash & t->mask;
    while (t->slots[i].h != 0)
        i = (i + 1) & t->mask;
    t->slots[i] = s;
}

static void otable_insert(otable_t *t, uint32_t h, uint32_t hash)
{
    if ((t->n + 1) * 2 > t->mask + 1) {
        slot_t *old = t->slots;
        uint32_t oldcap = t->mask + 1;
        t->mask = oldcap * 2 - 1;
        t->slots = g_new0(slot_t, t->mask + 1);
        for (uint32_t i = 0; i < oldcap; i++)
            if (old[i].h != 0)
                otable_put_slot(t, old[i]);
        g_free(old);
    }
    otable_put_slot(t, (slot_t){ .h = h, .hash = hash });
    t->n++;
}

/* Removes handle h filed under hash (it must be there): backward-shift
 * deletion, so no tombstones. */
static void otable_remove(otable_t *t, uint32_t h, uint32_t hash)
{
    uint32_t i = hash & t->mask;
    while (t->slots[i].h != h) {
        g_assert(t->slots[i].h != 0);
        i = (i + 1) & t->mask;
    }
    for (uint32_t j = i;;) {
        j = (j + 1) & t->mask;
        if (t->slots[j].h == 0)
            break;
        uint32_t home = t->slots[j].hash & t->mask;
        /* Slot j may move to the hole at i unless its home lies in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = (slot_t){ 0, 0 };
    t->n--;
}

/* ---- the shared set: records --------------------------------------------------- */

/* A zeroed, 64-byte aligned array of n records. */
static mtx_t *recs_new(uint32_t n)
{
    mtx_t *r = g_aligned_alloc0(n, sizeof(mtx_t), 64);
    return r;
}

mempool_shared_t *mempool_shared_new(void)
{
    mempool_shared_t *sh = g_new0(mempool_shared_t, 1);
    sh->cap = 64;
    sh->rec = recs_new(sh->cap);
    sh->snds_cap = 16;
    sh->snds = g_aligned_alloc0(sh->snds_cap, sizeof(msnd_t), 64);
    sh->snds_hw = 1;
    otable_init(&sh->by_id);
    otable_init(&sh->by_addr);
    return sh;
}

void mempool_shared_free(mempool_shared_t *sh)
{
    if (sh == NULL)
        return;
    g_assert(sh->npools == 0 && sh->live == 0 && sh->by_id.n == 0 && sh->by_addr.n == 0);
    if (sh->pcfg != NULL) {
        g_assert(sh->pcfg->refs == 1);
        g_free(sh->pcfg);
    }
    g_free(sh->by_id.slots);
    g_free(sh->by_addr.slots);
    g_aligned_free(sh->rec);
    g_aligned_free(sh->snds);
    for (int i = 0; i < DELTA_MEMOS; i++)
        g_free(sh->memo[i].si);
    g_free(sh);
}

static uint32_t sh_find_sender(const mempool_shared_t *sh, const addr_t *addr)
{
    uint32_t hash = key_hash(addr->b);
    const otable_t *t = &sh->by_addr;
    for (uint32_t i = hash & t->mask; t->slots[i].h != 0; i = (i + 1) & t->mask) {
        const slot_t *s = &t->slots[i];
        if (s->hash == hash && memcmp(sh->snds[s->h].addr.b, addr->b, ADDR_BYTES) == 0)
            return s->h;
    }
    return 0;
}

static uint32_t sh_find_id(const mempool_shared_t *sh, const hash32_t *id)
{
    uint32_t hash = key_hash(id->b);
    const otable_t *t = &sh->by_id;
    for (uint32_t i = hash & t->mask; t->slots[i].h != 0; i = (i + 1) & t->mask) {
        const slot_t *s = &t->slots[i];
        if (s->hash == hash && memcmp(sh->rec[s->h].obj->id.b, id->b, HASH_BYTES) == 0)
            return s->h;
    }
    return 0;
}

/* True when handle h names object tx (a hint is right). */
static bool sh_names(const mempool_shared_t *sh, uint32_t h, const tx_t *tx)
{
    return h != 0 && h < sh->cap && sh->rec[h].obj == tx;
}

/* The handle of tx (or of another object with its id) in the set; 0 when
 * absent. */
static uint32_t sh_find_tx(const mempool_shared_t *sh, const tx_t *tx)
{
    uint32_t h = tx->pool_hint;
    if (sh_names(sh, h, tx))
        return h;
    return sh_find_id(sh, &tx->id);
}

/* The record of addr, created when absent. */
static uint32_t sh_sender_acquire(mempool_shared_t *sh, const addr_t *addr)
{
    uint32_t si = sh_find_sender(sh, addr);
    if (si != 0)
        return si;
    if (sh->snds_free != 0) {
        si = sh->snds_free;
        sh->snds_free = sh->snds[si].head;
    } else {
        if (sh->snds_hw == sh->snds_cap) {
            g_assert(sh->snds_cap < UINT32_MAX / 2);
            msnd_t *ns = g_aligned_alloc0(sh->snds_cap * 2, sizeof(msnd_t), 64);
            memcpy(ns, sh->snds, sizeof(msnd_t) * sh->snds_cap);
            g_aligned_free(sh->snds);
            sh->snds = ns;
            sh->snds_cap *= 2;
        }
        si = sh->snds_hw++;
    }
    sh->births++;
    msnd_t *s = &sh->snds[si];
    memset(s, 0, sizeof *s);
    s->addr = *addr;
    s->hash = key_hash(addr->b);
    otable_insert(&sh->by_addr, si, s->hash);
    return si;
}

/* A free transaction handle: the next one round robin after the last given
 * out; the array doubles first when half of it is in use. */
static uint32_t sh_alloc(mempool_shared_t *sh)
{
    if ((uint64_t)(sh->live + 1) * 2 > sh->cap - 1) {
        g_assert(sh->cap <= UINT32_MAX / 2);
        const uint32_t old = sh->cap, cap = old * 2;
        mtx_t *r = recs_new(cap);
        memcpy(r, sh->rec, sizeof(mtx_t) * old);
        g_aligned_free(sh->rec);
        sh->rec = r;
        sh->cap = cap;
    }
    for (;;) {
        uint32_t h = sh->cursor + 1 < sh->cap ? sh->cursor + 1 : 1;
        sh->cursor = h;
        if (sh->rec[h].obj == NULL)
            return h;
    }
}

/* Pool order of two transactions: fee rate descending, then id ascending.
 * Reads the objects (block building, eviction and listing only). */
static int tx_order_cmp(const tx_t *a, const tx_t *b)
{
    uint64_t ra = tx_feerate_ppm(a), rb = tx_feerate_ppm(b);
    if (ra != rb)
        return ra > rb ? -1 : 1;
    return memcmp(a->id.b, b->id.b, HASH_BYTES);
}

/* Refreshes the nonces of the last two of s's list. */
static void sender_ends(const mempool_shared_t *sh, msnd_t *s)
{
    uint32_t t = s->tail, p = t != 0 ? sh->rec[t].prev : 0;
    s->tail_nonce = t != 0 ? sh->rec[t].nonce : 0;
    s->second_nonce = p != 0 ? sh->rec[p].nonce : 0;
}

/* Recomputes the runs (see Runs) of sender si's list: O(its length), once
 * per change of the list or of a record's count of pools, never per pool. */
static void sender_runs(mempool_shared_t *sh, uint32_t si)
{
    const msnd_t *s = &sh->snds[si];
    bool dup = false;
    for (uint32_t x = s->head; x != 0 && !dup; x = sh->rec[x].next)
        dup = sh->rec[x].next != 0 && sh->rec[sh->rec[x].next].nonce == sh->rec[x].nonce;
    for (uint32_t x = s->tail; x != 0; x = sh->rec[x].prev) {
        mtx_t *e = &sh->rec[x];
        e->run_next = 0;
        e->run_cost = UINT64_MAX;
        if (dup || e->pools != sh->npools_ever)
            continue;
        const mtx_t *n = e->next != 0 ? &sh->rec[e->next] : NULL;
        if (n != NULL && n->pools == sh->npools_ever) {
            if (n->run_cost != UINT64_MAX && e->cost < UINT64_MAX - n->run_cost) {
                e->run_next = n->run_next;
                e->run_cost = e->cost + n->run_cost;
            }
        } else {
            e->run_next = e->next;
            e->run_cost = e->cost;
        }
    }
}

/* Files tx in the set (pools = 0; the caller counts its pool); takes a
 * reference. */
static uint32_t sh_intern(mempool_shared_t *sh, tx_t *tx)
{
    uint32_t si = sh_sender_acquire(sh, &tx->sender);
    uint32_t h = sh_alloc(sh);
    sh->live++;
    mtx_t *e = &sh->rec[h];
    *e = (mtx_t){
        .obj = tx_ref(tx),
        .nonce = tx->nonce,
        .cost = ledger_tx_cost(tx),
        .fee = tx->fee,
        .sender = si,
        .size = tx->size_bytes,
    };
    tx->pool_hint = h;
    otable_insert(&sh->by_id, h, key_hash(tx->id.b));
    /* Into the sender's list by nonce (ties, double spends held by different
     * pools: by pool order, only for a fixed layout), searching from the
     * tail: new nonces are usually the highest. */
    msnd_t *s = &sh->snds[si];
    uint32_t after = s->tail;
    while (after != 0) {
        const mtx_t *a = &sh->rec[after];
        if (a->nonce < e->nonce || (a->nonce == e->nonce && tx_order_cmp(sh->rec[after].obj, tx) < 0))
            break;
        after = a->prev;
    }
    e->prev = after;
    e->next = after != 0 ? sh->rec[after].next : s->head;
    if (e->next != 0)
        sh->rec[e->next].prev = h;
    else
        s->tail = h;
    if (after != 0)
        sh->rec[after].next = h;
    else
        s->head = h;
    s->ntx++;
    s->partial++; /* no pool holds it yet */
    s->big += e->cost > SUM_COST_MAX;
    s->cost_sum += e->cost;
    sender_ends(sh, s);
    e->run_cost = UINT64_MAX;
    sender_runs(sh, si);
    return h;
}

/* Drops the set's record of h (no pool holds it any more) and its
 * reference; frees the sender's record with its last transaction. */
static void sh_unintern(mempool_shared_t *sh, uint32_t h)
{
    mtx_t *e = &sh->rec[h];
    g_assert(sh->rec[h].pools == 0 && sh->rec[h].obj != NULL);
    otable_remove(&sh->by_id, h, key_hash(sh->rec[h].obj->id.b));
    uint32_t si = e->sender;
    msnd_t *s = &sh->snds[si];
    if (e->prev != 0)
        sh->rec[e->prev].next = e->next;
    else
        s->head = e->next;
    if (e->next != 0)
        sh->rec[e->next].prev = e->prev;
    else
        s->tail = e->prev;
    g_assert(s->ntx > 0 && s->partial > 0);
    s->partial--;
    s->big -= e->cost > SUM_COST_MAX;
    s->cost_sum -= e->cost;
    sender_ends(sh, s);
    if (--s->ntx == 0) {
        otable_remove(&sh->by_addr, si, s->hash);
        s->head = sh->snds_free;
        sh->snds_free = si;
    } else {
        sender_runs(sh, si);
    }
    tx_t *tx = sh->rec[h].obj;
    sh->rec[h].obj = NULL;
    sh->live--;
    tx_unref(tx);
}

/* The account of sender si on tip, memoised per sealed version. */
static account_t sh_account(mempool_shared_t *sh, uint32_t si, const state_t *tip)
{
    msnd_t *s = &sh->snds[si];
    uint64_t serial = state_serial(tip);
    if (serial != 0 && s->memo_serial == serial)
        return s->memo_acct;
    account_t a = state_get(tip, &s->addr);
    s->memo_serial = serial;
    s->memo_acct = a;
    return a;
}

/* ---- pool order -------------------------------------------------------------- */

/* Pool order of handles x and y. */
static int order_cmp(const mempool_shared_t *sh, uint32_t x, uint32_t y)
{
    return tx_order_cmp(sh->rec[x].obj, sh->rec[y].obj);
}

/* ---- a pool's chains ------------------------------------------------------------ */

/* Whether the pool holds h, from its own bit set (cache-friendly when one
 * pool looks at many transactions: a block's). */
static bool has(const mempool_t *mp, uint32_t h)
{
    return bit_get(mp->member, mp->member_words, h);
}

/* Whether the pool holds h, in a walk of a sender's chain: from h's count of
 * pools (every pool holds most of a chain's transactions, and the count is
 * in the record the walk reads anyway), then the pool's own set. */
static bool held(const mempool_t *mp, uint32_t h)
{
    return mp->sh->rec[h].pools == mp->sh->npools_ever || has(mp, h);
}

/* The pool's first transaction in a sender's list from handle x on
 * (inclusive); 0 when none. */
static uint32_t chain_from(const mempool_t *mp, uint32_t x)
{
    while (x != 0 && !held(mp, x))
        x = mp->sh->rec[x].next;
    return x;
}

/* The first (lowest nonce) transaction of sender si in the pool; 0 when
 * none. */
static uint32_t chain_head(const mempool_t *mp, uint32_t si)
{
    return chain_from(mp, mp->sh->snds[si].head);
}

static uint32_t chain_next(const mempool_t *mp, uint32_t h)
{
    return chain_from(mp, mp->sh->rec[h].next);
}

/* True when no transaction of the pool follows h in its sender's list. */
static bool is_tail(const mempool_t *mp, uint32_t h)
{
    return chain_next(mp, h) == 0;
}

/* The pool's transaction of h's sender just before h (lower nonce); 0 when
 * none. */
static uint32_t chain_prev(const mempool_t *mp, uint32_t h)
{
    uint32_t x = mp->sh->rec[h].prev;
    while (x != 0 && !held(mp, x))
        x = mp->sh->rec[x].prev;
    return x;
}

static void mark_dirty(mempool_t *mp, uint32_t si)
{
    bit_set(&mp->dirty, &mp->dirty_words, si);
}

/* ---- eviction heap ------------------------------------------------------------- */

static pool_extra_t *extra(mempool_t *mp)
{
    if (mp->x == NULL)
        mp->x = g_new0(pool_extra_t, 1);
    return mp->x;
}

static GArray *tails_of(const mempool_t *mp)
{
    return mp->x != NULL ? mp->x->tails : NULL;
}

/* True when a comes after b in pool order (a is the worse). */
static bool tail_worse(const tailkey_t *a, const tailkey_t *b)
{
    if (a->feerate_ppm != b->feerate_ppm)
        return a->feerate_ppm < b->feerate_ppm;
    if (a->id_prefix != b->id_prefix)
        return a->id_prefix > b->id_prefix;
    return memcmp(a->tx->id.b, b->tx->id.b, HASH_BYTES) > 0;
}

static void tails_sift_up(tailkey_t *a, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!tail_worse(&a[i], &a[p]))
            break;
        tailkey_t t = a[i];
        a[i] = a[p];
        a[p] = t;
        i = p;
    }
}

static void tails_sift_down(tailkey_t *a, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && tail_worse(&a[l], &a[w]))
            w = l;
        if (r < n && tail_worse(&a[r], &a[w]))
            w = r;
        if (w == i)
            break;
        tailkey_t t = a[i];
        a[i] = a[w];
        a[w] = t;
        i = w;
    }
}

static tailkey_t tailkey_of(const mempool_t *mp, uint32_t h)
{
    const tx_t *tx = mp->sh->rec[h].obj;
    return (tailkey_t){ .feerate_ppm = tx_feerate_ppm(tx), .id_prefix = id_prefix_of(&tx->id), .tx = tx, .h = h };
}

/* Pushes h, which just became the tail of its chain, when the heap is kept. */
static void tails_push(mempool_t *mp, uint32_t h)
{
    if (tails_of(mp) == NULL)
        return;
    tailkey_t k = tailkey_of(mp, h);
    g_array_append_val(mp->x->tails, k);
    tails_sift_up((tailkey_t *)mp->x->tails->data, mp->x->tails->len - 1);
    mp->x->tails_live++;
}

/* An entry still names a tail of the pool. */
static bool tail_valid(const mempool_t *mp, const tailkey_t *k)
{
    return sh_names(mp->sh, k->h, k->tx) && has(mp, k->h) && is_tail(mp, k->h);
}

/* (Re)builds the heap from the pool's chain tails. */
static void tails_build(mempool_t *mp)
{
    if (extra(mp)->tails == NULL)
        mp->x->tails = g_array_new(FALSE, FALSE, sizeof(tailkey_t));
    g_array_set_size(mp->x->tails, 0);
    for (uint32_t w = 0; w < mp->member_words; w++) {
        for (uint64_t bits = mp->member[w]; bits != 0; bits &= bits - 1) {
            uint32_t h = w * 64 + (uint32_t)__builtin_ctzll(bits);
            if (is_tail(mp, h)) {
                tailkey_t k = tailkey_of(mp, h);
                g_array_append_val(mp->x->tails, k);
            }
        }
    }
    tailkey_t *a = (tailkey_t *)mp->x->tails->data;
    for (size_t i = mp->x->tails->len / 2; i-- > 0;)
        tails_sift_down(a, mp->x->tails->len, i);
    mp->x->tails_live = mp->x->tails->len;
}

/* The eviction victim: the chain tail last in pool order; 0 when empty. */
static uint32_t lowest_tail(mempool_t *mp)
{
    if (mp->count == 0)
        return 0;
    if (tails_of(mp) == NULL || mp->x->tails->len > 2 * (size_t)mp->x->tails_live + 64)
        tails_build(mp);
    for (;;) {
        g_assert(mp->x->tails->len > 0);
        tailkey_t *a = (tailkey_t *)mp->x->tails->data;
        if (tail_valid(mp, &a[0]))
            return a[0].h;
        a[0] = a[mp->x->tails->len - 1]; /* stale (counted as such when it went stale) */
        g_array_set_size(mp->x->tails, mp->x->tails->len - 1);
        if (mp->x->tails->len > 0)
            tails_sift_down(a, mp->x->tails->len, 0);
    }
}

/* ---- rate limit records ------------------------------------------------------------ */

static guint addr_hash_cb(gconstpointer key)
{
    return key_hash(((const addr_t *)key)->b);
}

static gboolean addr_equal_cb(gconstpointer a, gconstpointer b)
{
    return addr_equal(a, b);
}

/* Idle order: bucket-full time ascending, then address. */
static gint idle_order_cb(gconstpointer a, gconstpointer b, gpointer unused)
{
    (void)unused;
    const rrec_t *x = a, *y = b;
    if (x->tat_ns != y->tat_ns)
        return x->tat_ns < y->tat_ns ? -1 : 1;
    return addr_cmp(&x->addr, &y->addr);
}

/* The record of addr, created (with a full bucket) when absent and taken out
 * of the idle set when idle. Never NULL. */
static rrec_t *rrec_acquire(mempool_t *mp, const addr_t *addr)
{
    rrec_t *r = g_hash_table_lookup(mp->x->rate, addr);
    if (r == NULL) {
        r = g_new0(rrec_t, 1);
        r->addr = *addr;
        g_hash_table_insert(mp->x->rate, &r->addr, r);
    } else if (r->idle) {
        gboolean found = g_tree_remove(mp->x->idle, r);
        g_assert(found);
        r->idle = false;
    }
    return r;
}

/* Forgets idle records whose bucket is full at mp->now_ns, and the ones
 * closest to full beyond `capacity` idle records. */
static void idle_sweep(mempool_t *mp)
{
    GTreeNode *node;
    while ((node = g_tree_node_first(mp->x->idle)) != NULL) {
        rrec_t *r = g_tree_node_key(node);
        if (r->tat_ns > mp->now_ns && (size_t)g_tree_nnodes(mp->x->idle) <= mp->pc->cfg.capacity)
            break;
        g_tree_remove(mp->x->idle, r);
        g_hash_table_remove(mp->x->rate, &r->addr); /* frees r */
    }
}

/* Called when r's sender has just left the pool: frees the record, or parks
 * it in the idle set while its bucket refills. r may be freed. */
static void rrec_release(mempool_t *mp, rrec_t *r)
{
    g_assert(r->npending == 0 && !r->idle);
    if (r->tat_ns <= mp->now_ns) {
        g_hash_table_remove(mp->x->rate, &r->addr);
        return;
    }
    r->idle = true;
    g_tree_insert(mp->x->idle, r, r);
    idle_sweep(mp);
}

/* GCRA conformance of one more transaction from a sender whose bucket is
 * full at tat_ns; on success *new_tat gets the value to store once the
 * transaction is actually admitted. */
static bool bucket_conforms(const mempool_t *mp, uint64_t tat_ns, uint64_t now_ns, uint64_t *new_tat)
{
    uint64_t t = tat_ns > now_ns ? tat_ns : now_ns;
    if (t - now_ns > mp->pc->tolerance_ns)
        return false;
    *new_tat = sat_add(t, mp->pc->interval_ns);
    return true;
}

/* ---- insertion and removal -------------------------------------------------------- */

static int addr_cmp_cb(const void *a, const void *b)
{
    return addr_cmp(a, b);
}

static bool blacklisted(const mempool_t *mp, const addr_t *addr)
{
    if (mp->pc->cfg.nblacklist == 0)
        return false;
    return bsearch(addr, mp->pc->cfg.blacklist, mp->pc->cfg.nblacklist, sizeof(addr_t), addr_cmp_cb) != NULL;
}

/* Forgets what prune knew: called when the pool is empty. */
static void prune_reset(mempool_t *mp)
{
    if (mp->pruned_at != NULL)
        state_unref(mp->pruned_at);
    mp->pruned_at = NULL;
    mp->all_dirty = false;
    if (mp->dirty_words > 0)
        memset(mp->dirty, 0, sizeof(uint64_t) * mp->dirty_words);
}

/* Adds h (filed in the set) to the pool; `clean` when the insertion keeps
 * the sender's chain pruned (see Prune). */
static void pool_insert(mempool_t *mp, uint32_t h, bool clean)
{
    mempool_shared_t *sh = mp->sh;
    g_assert(!has(mp, h));
    bit_set(&mp->member, &mp->member_words, h);
    mtx_t *t = &sh->rec[h];
    uint32_t si = t->sender;
    if (++t->pools == sh->npools_ever) {
        sh->snds[si].partial--; /* every pool holds it now */
        sender_runs(sh, si);
    }
    mp->count++;
    mp->bytes += t->size;
    if (!clean)
        mark_dirty(mp, si);
    if (tails_of(mp) != NULL && is_tail(mp, h)) {
        if (chain_prev(mp, h) != 0 && mp->x->tails_live > 0)
            mp->x->tails_live--; /* the previous tail's entry is stale now */
        tails_push(mp, h);
    }
}

/* Removes h from the pool: drops the set's record when no pool holds it any
 * more, releases the sender's rate record when it had no other. */
static void pool_remove(mempool_t *mp, uint32_t h)
{
    mempool_shared_t *sh = mp->sh;
    g_assert(has(mp, h));
    mtx_t *t = &sh->rec[h];
    uint32_t si = t->sender;
    bool was_tail = tails_of(mp) != NULL && is_tail(mp, h);
    bit_clear(mp->member, mp->member_words, h);
    g_assert(mp->count > 0 && mp->bytes >= t->size);
    mp->count--;
    mp->bytes -= t->size;
    mark_dirty(mp, si);
    if (was_tail) {
        if (mp->x->tails_live > 0)
            mp->x->tails_live--; /* h's entry is stale now */
        uint32_t p = chain_prev(mp, h);
        if (p != 0)
            tails_push(mp, p); /* the new tail of the chain */
    }
    if (mp->pc->interval_ns > 0) {
        rrec_t *r = g_hash_table_lookup(mp->x->rate, &sh->snds[si].addr);
        g_assert(r != NULL && r->npending > 0);
        if (--r->npending == 0)
            rrec_release(mp, r);
    }
    g_assert(t->pools > 0);
    const bool was_full = t->pools == sh->npools_ever;
    if (was_full)
        sh->snds[si].partial++;
    if (--t->pools == 0)
        sh_unintern(sh, h);
    else if (was_full)
        sender_runs(sh, si);
    if (mp->count == 0)
        prune_reset(mp);
    if (tails_of(mp) != NULL && mp->count < mp->pc->cfg.capacity - mp->pc->cfg.capacity / 4) {
        g_array_free(mp->x->tails, TRUE); /* no longer near full */
        mp->x->tails = NULL;
        mp->x->tails_live = 0;
    }
}

/* ---- life cycle ----------------------------------------------------------- */

/* "Every pool" (see msnd.partial) now counts one more: recounts. */
static void pools_changed(mempool_shared_t *sh)
{
    for (uint32_t si = 1; si < sh->snds_hw; si++)
        sh->snds[si].partial = 0;
    for (uint32_t h = 1; h < sh->cap; h++)
        if (sh->rec[h].obj != NULL && sh->rec[h].pools != sh->npools_ever)
            sh->snds[sh->rec[h].sender].partial++;
    for (uint32_t si = 1; si < sh->snds_hw; si++)
        if (sh->snds[si].ntx > 0)
            sender_runs(sh, si);
}

static bool cfg_equal(const mempool_cfg_t *a, const mempool_cfg_t *b)
{
    return a->capacity == b->capacity && a->min_fee == b->min_fee && a->max_tx_bytes == b->max_tx_bytes &&
           a->nonce_window == b->nonce_window && a->rate_limit_milli_per_s == b->rate_limit_milli_per_s &&
           a->rate_burst == b->rate_burst && a->blacklist == b->blacklist && a->nblacklist == b->nblacklist;
}

/* The settings record for cfg: the set's when equal, else a new one. */
static pool_cfg_t *pool_cfg_get(mempool_shared_t *sh, const mempool_cfg_t *cfg)
{
    if (sh->pcfg != NULL && cfg_equal(&sh->pcfg->cfg, cfg)) {
        sh->pcfg->refs++;
        return sh->pcfg;
    }
    pool_cfg_t *pc = g_new0(pool_cfg_t, 1);
    pc->cfg = *cfg;
    pc->refs = 1;
    if (cfg->rate_limit_milli_per_s > 0) {
        const uint64_t per_token = 1000000000000ULL; /* ns * thousandths per second */
        uint64_t rate = cfg->rate_limit_milli_per_s;
        pc->interval_ns = (per_token + rate - 1) / rate;
        uint32_t burst = cfg->rate_burst > 0 ? cfg->rate_burst : 1;
        pc->tolerance_ns = sat_mul((uint64_t)burst - 1, pc->interval_ns);
    }
    if (sh->pcfg == NULL) {
        pc->refs++; /* the set's */
        sh->pcfg = pc;
    }
    return pc;
}

static void pool_cfg_drop(pool_cfg_t *pc)
{
    g_assert(pc->refs > 0);
    if (--pc->refs == 0)
        g_free(pc);
}

mempool_t *mempool_new(const mempool_cfg_t *cfg)
{
    g_assert(cfg != NULL);
    g_assert(cfg->nblacklist == 0 || cfg->blacklist != NULL);
    mempool_t *mp = g_new0(mempool_t, 1);
    mp->sh = cfg->shared;
    if (mp->sh == NULL) {
        mp->sh = mempool_shared_new();
        mp->own_sh = true;
    }
    mp->pc = pool_cfg_get(mp->sh, cfg);
    mp->sh->npools++;
    mp->sh->npools_ever++;
    pools_changed(mp->sh);
    if (mp->pc->interval_ns > 0) {
        pool_extra_t *x = extra(mp);
        x->rate = g_hash_table_new_full(addr_hash_cb, addr_equal_cb, NULL, g_free);
        x->idle = g_tree_new_full(idle_order_cb, NULL, NULL, NULL);
    }
    return mp;
}

void mempool_free(mempool_t *mp)
{
    if (mp == NULL)
        return;
    mempool_shared_t *sh = mp->sh;
    for (uint32_t w = 0; w < mp->member_words; w++) {
        for (uint64_t bits = mp->member[w]; bits != 0; bits &= bits - 1) {
            uint32_t h = w * 64 + (uint32_t)__builtin_ctzll(bits);
            g_assert(sh->rec[h].pools > 0);
            const uint32_t si = sh->rec[h].sender;
            const bool was_full = sh->rec[h].pools == sh->npools_ever;
            if (was_full)
                sh->snds[si].partial++;
            if (--sh->rec[h].pools == 0)
                sh_unintern(sh, h);
            else if (was_full)
                sender_runs(sh, si);
        }
    }
    if (mp->pruned_at != NULL)
        state_unref(mp->pruned_at);
    pool_extra_t *x = mp->x;
    if (x != NULL) {
        if (x->idle != NULL)
            g_tree_destroy(x->idle);
        if (x->rate != NULL)
            g_hash_table_destroy(x->rate);
        if (x->tails != NULL)
            g_array_free(x->tails, TRUE);
        if (x->scratch != NULL)
            g_array_free(x->scratch, TRUE);
        g_free(x);
    }
    g_free(mp->member);
    g_free(mp->dirty);
    pool_cfg_drop((pool_cfg_t *)mp->pc);
    g_assert(sh->npools > 0);
    sh->npools--;
    if (mp->own_sh)
        mempool_shared_free(sh);
    g_free(mp);
}

/* ---- admission ------------------------------------------------------------ */

/* Where admission's walk of sender si's chain (for a newcomer with `nonce`,
 * handle h or 0) starts, after answering from the sender's record when it
 * can: when every pool holds every other transaction of the sender and all
 * have lower nonces, the walk would add up all their costs and find no
 * double spend and nothing above, so their sum (kept in the record) is
 * added to *need here (setting *overflow as the walk would) and 0 returned.
 * Otherwise returns the head of the chain, *need untouched. */
static uint32_t chain_head_fast(const mempool_t *mp, uint32_t si, uint32_t h, uint64_t nonce, uint64_t *need,
                                bool *overflow)
{
    const mempool_shared_t *sh = mp->sh;
    const msnd_t *s = &sh->snds[si];
    /* The others: the whole list, or all but h (which must then be last). */
    uint32_t others = s->ntx, partial = s->partial, big = s->big;
    uint64_t sum = s->cost_sum, max_nonce = s->tail_nonce;
    if (h != 0) {
        const mtx_t *e = &sh->rec[h];
        if (s->tail != h)
            return chain_head(mp, si);
        others--;
        partial -= sh->rec[h].pools != sh->npools_ever;
        big -= e->cost > SUM_COST_MAX;
        sum -= e->cost;
        max_nonce = s->second_nonce;
    }
    if (others == 0)
        return 0;
    if (partial != 0 || big != 0 || others >= 256 || max_nonce >= nonce)
        return chain_head(mp, si);
    if (!*overflow) {
        *overflow = sum > UINT64_MAX - *need;
        *need += sum;
    }
    return 0;
}

/* tx's handle through the caller's hint, refreshed when stale. */
static uint32_t find_hinted(const mempool_shared_t *sh, const tx_t *tx, uint32_t *hint)
{
    if (sh_names(sh, *hint, tx))
        return *hint;
    uint32_t h = sh_find_tx(sh, tx);
    if (h != 0 && sh->rec[h].obj == tx)
        *hint = h;
    return h;
}

/* The checks of mempool_add in the order of mempool.h; rate limiting only
 * when use_rate. hint: the caller's, or NULL. */
static mp_result_t admit(mempool_t *mp, tx_t *tx, uint32_t *hint, const state_t *tip, bool use_rate,
                         uint64_t now_ns, tx_t **evicted)
{
    g_assert(tx != NULL && tip != NULL);
    mempool_shared_t *sh = mp->sh;
    if (evicted != NULL)
        *evicted = NULL;

    /* A transaction already in the set is checked from its record (one
     * cache line, shared by the pools) rather than from the object; it
     * passed the signature check to get there. */
    uint32_t h = hint != NULL ? find_hinted(sh, tx, hint) : sh_find_tx(sh, tx);
    const mtx_t *e = h != 0 ? &sh->rec[h] : NULL;
    if (mp->pc->cfg.nblacklist > 0 && blacklisted(mp, e != NULL ? &sh->snds[e->sender].addr : &tx->sender))
        return MP_BLACKLISTED;
    if ((e != NULL ? e->size : tx->size_bytes) > mp->pc->cfg.max_tx_bytes)
        return MP_TOO_LARGE;
    if (e != NULL && has(mp, h))
        return MP_DUPLICATE;
    if ((e != NULL ? e->fee : tx->fee) < mp->pc->cfg.min_fee)
        return MP_FEE_LOW;
    if (e == NULL && !tx_verify(tx))
        return MP_SIGNATURE;

    uint32_t si = e != NULL ? e->sender : sh_find_sender(sh, &tx->sender);
    const uint64_t nonce = e != NULL ? e->nonce : tx->nonce;
    account_t acct = si != 0 ? sh_account(sh, si, tip) : state_get(tip, &tx->sender);
    if (nonce < acct.nonce)
        return MP_NONCE_LOW;
    if (nonce - acct.nonce >= mp->pc->cfg.nonce_window)
        return MP_NONCE_HIGH;

    /* One walk of the sender's chain: a pending transaction with the same
     * nonce (a double spend), and what the pending lower nonces take from
     * the balance (amount + fee for transfers and stakes, the fee for
     * unstakes and votes), added to the newcomer's own. */
    uint64_t need = e != NULL ? e->cost : ledger_tx_cost(tx);
    bool overflow = need == UINT64_MAX, higher = false;
    uint32_t walk = si != 0 ? chain_head_fast(mp, si, h, nonce, &need, &overflow) : 0;
    for (uint32_t x = walk; x != 0;) {
        const mtx_t *p = &sh->rec[x];
        if (p->nonce == nonce)
            return MP_DOUBLE_SPEND;
        if (p->nonce > nonce) {
            higher = true;
            break;
        }
        if (h != 0 && p->run_cost != UINT64_MAX) {
            /* A run (see Runs) starting below the newcomer, which is in the
             * sender's list but in none of the run's records: all of it is
             * below the newcomer's nonce, and none has that nonce. */
            if (!overflow) {
                overflow = p->run_cost > UINT64_MAX - need;
                need += p->run_cost;
            }
            x = chain_from(mp, p->run_next);
            continue;
        }
        if (!overflow) {
            overflow = p->cost > UINT64_MAX - need;
            need += p->cost;
        }
        x = chain_next(mp, x);
    }
    if (overflow || need > acct.balance)
        return MP_BALANCE;

    uint64_t new_tat = 0;
    if (use_rate && mp->pc->interval_ns > 0) {
        const rrec_t *r = g_hash_table_lookup(mp->x->rate, si != 0 ? &sh->snds[si].addr : &tx->sender);
        if (!bucket_conforms(mp, r != NULL ? r->tat_ns : 0, now_ns, &new_tat))
            return MP_RATE_LIMITED;
    }

    if (mp->count >= mp->pc->cfg.capacity) {
        /* The victim is the chain tail with the lowest fee rate. */
        uint32_t v = lowest_tail(mp);
        if (v == 0)
            return MP_FULL; /* capacity 0 */
        if (tx_feerate_ppm(tx) <= tx_feerate_ppm(sh->rec[v].obj))
            return MP_FULL;
        /* The newcomer's balance check counted its lower nonces: evicting
         * one of them (here the tail of its own chain) would leave it behind
         * a gap. A tail above the newcomer's nonce may go. */
        if (si != 0 && sh->rec[v].sender == si && sh->rec[v].nonce < nonce)
            return MP_FULL;
        tx_t *vtx = tx_ref(sh->rec[v].obj);
        pool_remove(mp, v); /* may free si's record: h still holds its own */
        if (evicted != NULL)
            *evicted = vtx;
        else
            tx_unref(vtx);
        higher = true; /* the chain changed: let prune look at it */
    }

    if (h == 0) {
        h = sh_intern(sh, tx);
        if (hint != NULL)
            *hint = h;
    }
    if (mp->pc->interval_ns > 0) {
        rrec_t *r = rrec_acquire(mp, &sh->snds[sh->rec[h].sender].addr);
        r->npending++;
        if (use_rate)
            r->tat_ns = new_tat;
    }
    bool clean = !higher && !mp->all_dirty && mp->pruned_at != NULL && mp->pruned_at == tip;
    pool_insert(mp, h, clean);
    if (tails_of(mp) == NULL && mp->count >= mp->pc->cfg.capacity)
        tails_build(mp); /* full: keep the eviction heap from now on */
    return MP_ADDED;
}

mp_result_t mempool_add_hint(mempool_t *mp, tx_t *tx, uint32_t *hint, const state_t *tip, uint64_t now_ns,
                             tx_t **evicted)
{
    if (now_ns > mp->now_ns)
        mp->now_ns = now_ns;
    if (mp->pc->interval_ns > 0)
        idle_sweep(mp);
    return admit(mp, tx, hint, tip, true, now_ns, evicted);
}

mp_result_t mempool_add(mempool_t *mp, tx_t *tx, const state_t *tip, uint64_t now_ns, tx_t **evicted)
{
    return mempool_add_hint(mp, tx, NULL, tip, now_ns, evicted);
}

mp_result_t mempool_readd(mempool_t *mp, tx_t *tx, const state_t *tip)
{
    return admit(mp, tx, NULL, tip, false, mp->now_ns, NULL);
}

/* ---- queries and removal ------------------------------------------------- */

bool mempool_contains(const mempool_t *mp, const hash32_t *id)
{
    uint32_t h = sh_find_id(mp->sh, id);
    return h != 0 && has(mp, h);
}

bool mempool_contains_tx(const mempool_t *mp, const tx_t *tx)
{
    uint32_t h = sh_find_tx(mp->sh, tx);
    return h != 0 && has(mp, h);
}

bool mempool_contains_hint(const mempool_t *mp, const tx_t *tx, uint32_t *hint)
{
    uint32_t h = find_hinted(mp->sh, tx, hint);
    return h != 0 && has(mp, h);
}

bool mempool_remove_hint(mempool_t *mp, const tx_t *tx, uint32_t *hint)
{
    uint32_t h = find_hinted(mp->sh, tx, hint);
    if (h == 0 || !has(mp, h))
        return false;
    pool_remove(mp, h);
    return true;
}

void mempool_prefetch_hint(const mempool_t *mp, uint32_t hint)
{
    const mempool_shared_t *sh = mp->sh;
    if (hint == 0 || hint >= sh->cap)
        return;
    __builtin_prefetch(&sh->rec[hint]);
    if (hint / 64 < mp->member_words)
        __builtin_prefetch(&mp->member[hint / 64]);
}

void mempool_prefetch_sender(const mempool_t *mp, uint32_t hint)
{
    const mempool_shared_t *sh = mp->sh;
    if (hint == 0 || hint >= sh->cap)
        return;
    uint32_t si = sh->rec[hint].sender;
    if (si == 0 || si >= sh->snds_cap)
        return;
    __builtin_prefetch(&sh->snds[si]);
    if (si / 64 < mp->dirty_words)
        __builtin_prefetch(&mp->dirty[si / 64]);
}

size_t mempool_count(const mempool_t *mp)
{
    return mp->count;
}

uint64_t mempool_bytes(const mempool_t *mp)
{
    return mp->bytes;
}

bool mempool_remove(mempool_t *mp, const hash32_t *id)
{
    uint32_t h = sh_find_id(mp->sh, id);
    if (h == 0 || !has(mp, h))
        return false;
    pool_remove(mp, h);
    return true;
}

bool mempool_remove_tx(mempool_t *mp, const tx_t *tx)
{
    uint32_t h = sh_find_tx(mp->sh, tx);
    if (h == 0 || !has(mp, h))
        return false;
    pool_remove(mp, h);
    return true;
}

/* The pool's transaction handles (a new array of mp->count; g_free it). */
static uint32_t *members(const mempool_t *mp)
{
    uint32_t *hs = g_new(uint32_t, mp->count + 1);
    size_t k = 0;
    for (uint32_t w = 0; w < mp->member_words; w++)
        for (uint64_t bits = mp->member[w]; bits != 0; bits &= bits - 1)
            hs[k++] = w * 64 + (uint32_t)__builtin_ctzll(bits);
    g_assert(k == mp->count);
    return hs;
}

static gint handle_order_cb(gconstpointer a, gconstpointer b, gpointer sh)
{
    return order_cmp(sh, *(const uint32_t *)a, *(const uint32_t *)b);
}

tx_t **mempool_list(const mempool_t *mp, size_t *n)
{
    /* Collected in handle order, then sorted: the result does not depend on
     * handle values. */
    uint32_t *hs = members(mp);
    g_qsort_with_data(hs, (gint)mp->count, sizeof *hs, handle_order_cb, mp->sh);
    tx_t **arr = g_new(tx_t *, mp->count + 1);
    for (size_t i = 0; i < mp->count; i++)
        arr[i] = mp->sh->rec[hs[i]].obj;
    g_free(hs);
    arr[mp->count] = NULL;
    if (n != NULL)
        *n = mp->count;
    return arr;
}

/* ---- prune ------------------------------------------------------------------ */

/* Marks the senders whose account changed in version v's delta in a way that
 * may make prune remove something: forward (v entered) or backward (v left). */
static void mark_delta(mempool_t *mp, const state_t *v, bool backward)
{
    mempool_shared_t *sh = mp->sh;
    const uint64_t serial = state_serial(v);
    delta_memo_t *m = NULL;
    for (int i = 0; i < DELTA_MEMOS && serial != 0; i++)
        if (sh->memo[i].serial == serial && sh->memo[i].backward == backward && sh->memo[i].births == sh->births)
            m = &sh->memo[i];
    if (m == NULL) {
        size_t n;
        const state_change_t *d = state_delta(v, &n);
        m = &sh->memo[sh->memo_next];
        sh->memo_next = (sh->memo_next + 1) % DELTA_MEMOS;
        m->serial = serial; /* 0 (a mutable version): used once, never found */
        m->births = sh->births;
        m->backward = backward;
        m->n = 0;
        for (size_t i = 0; i < n; i++) {
            account_t was = backward ? d[i].after : d[i].before, is = backward ? d[i].before : d[i].after;
            if (was.nonce == is.nonce && is.balance >= was.balance)
                continue;
            uint32_t si = sh_find_sender(sh, &d[i].addr);
            if (si == 0)
                continue;
            if (m->n == m->cap) {
                m->cap = m->cap ? m->cap * 2 : 64;
                m->si = g_renew(uint32_t, m->si, m->cap);
            }
            m->si[m->n++] = si;
        }
    }
    for (uint32_t i = 0; i < m->n; i++)
        mark_dirty(mp, m->si[i]);
}

/* Marks the senders whose account differs between versions a and b: the
 * deltas between them and their common ancestor. False when they have none. */
static bool mark_path(mempool_t *mp, const state_t *a, const state_t *b)
{
    while (a != b) {
        if (a == NULL || b == NULL)
            return false;
        uint32_t da = state_depth(a), db = state_depth(b);
        if (da >= db) {
            mark_delta(mp, a, true);
            a = state_parent(a);
        }
        if (db >= da) {
            mark_delta(mp, b, false);
            b = state_parent(b);
        }
    }
    return true;
}

/* Applies the rules of mempool_prune to sender si's chain; returns how many
 * transactions it removed. */
static size_t prune_sender(mempool_t *mp, uint32_t si, const state_t *tip)
{
    mempool_shared_t *sh = mp->sh;
    account_t acct = sh_account(sh, si, tip);
    GArray *victims = mp->x->scratch;
    g_array_set_size(victims, 0);
    uint32_t x = chain_head(mp, si);
    /* Nonces already used on tip. */
    for (; x != 0 && sh->rec[x].nonce < acct.nonce; x = chain_next(mp, x))
        g_array_append_val(victims, x);
    /* The contiguous run from the state nonce: keep its affordable prefix
     * (amount + fee, cumulated in nonce order). Nonces are unique and
     * sorted, so the run ends at the first nonce that is not the expected
     * one. */
    uint64_t expect = acct.nonce, spent = 0;
    bool unaffordable = false;
    for (; x != 0 && sh->rec[x].nonce == expect; x = chain_next(mp, x)) {
        if (!unaffordable) {
            uint64_t cost = sh->rec[x].cost;
            if (cost == UINT64_MAX || cost > acct.balance - spent)
                unaffordable = true;
            else
                spent += cost;
        }
        if (unaffordable)
            g_array_append_val(victims, x);
        expect++;
    }
    /* After a gap: queued until the predecessors arrive, while within the
     * nonce window. */
    for (; x != 0; x = chain_next(mp, x))
        if (sh->rec[x].nonce - acct.nonce >= mp->pc->cfg.nonce_window)
            g_array_append_val(victims, x);
    size_t n = victims->len;
    for (guint i = 0; i < victims->len; i++)
        pool_remove(mp, g_array_index(victims, uint32_t, i)); /* may free si's record */
    return n;
}

size_t mempool_prune(mempool_t *mp, const state_t *tip)
{
    g_assert(tip != NULL);
    if (mp->count == 0) {
        prune_reset(mp);
        return 0;
    }
    const bool sealed = state_serial(tip) != 0;
    bool all = mp->all_dirty || !sealed;
    if (!all && mp->pruned_at != NULL && mp->pruned_at != tip)
        all = !mark_path(mp, mp->pruned_at, tip);
    if (all) {
        for (uint32_t w = 0; w < mp->member_words; w++)
            for (uint64_t bits = mp->member[w]; bits != 0; bits &= bits - 1)
                mark_dirty(mp, mp->sh->rec[w * 64 + (uint32_t)__builtin_ctzll(bits)].sender);
    }
    if (extra(mp)->scratch == NULL)
        mp->x->scratch = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    size_t removed = 0;
    /* Sender handle order: each sender's result depends only on its chain
     * and account (see Determinism). Removals mark the sender being visited
     * again (its bit is cleared after), or clear everything when the pool
     * empties. */
    for (uint32_t w = 0; w < mp->dirty_words; w++) {
        for (uint64_t bits = mp->dirty[w]; bits != 0; bits &= bits - 1) {
            uint32_t si = w * 64 + (uint32_t)__builtin_ctzll(bits);
            if (si < mp->sh->snds_hw && mp->sh->snds[si].ntx > 0)
                removed += prune_sender(mp, si, tip);
        }
        if (w < mp->dirty_words)
            mp->dirty[w] = 0;
    }
    mp->all_dirty = false;
    if (mp->pruned_at != NULL)
        state_unref(mp->pruned_at);
    mp->pruned_at = NULL;
    if (mp->count > 0) {
        if (sealed)
            mp->pruned_at = state_ref((state_t *)tip); /* sealed: immutable; the reference is the only write */
        else
            mp->all_dirty = true; /* no delta path from a mutable version */
    }
    return removed;
}

/* ---- block building ------------------------------------------------------ */

typedef struct cursor {
    uint32_t h; /* the sender's next transaction to consider */
} cursor_t;

/* Binary max-heap of cursors by the pool order of their transactions (the
 * best in pool order at index 0). Keys are distinct (tx ids are unique), so
 * the pop order does not depend on the insertion order. */
static bool cursor_before(const mempool_shared_t *sh, const cursor_t *a, const cursor_t *b)
{
    return order_cmp(sh, a->h, b->h) < 0;
}

static void heap_sift_up(const mempool_shared_t *sh, cursor_t *hp, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cursor_before(sh, &hp[i], &hp[p]))
            break;
        cursor_t t = hp[i];
        hp[i] = hp[p];
        hp[p] = t;
        i = p;
    }
}

static void heap_sift_down(const mempool_shared_t *sh, cursor_t *hp, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && cursor_before(sh, &hp[l], &hp[best]))
            best = l;
        if (r < n && cursor_before(sh, &hp[r], &hp[best]))
            best = r;
        if (best == i)
            break;
        cursor_t t = hp[i];
        hp[i] = hp[best];
        hp[best] = t;
        i = best;
    }
}

/* Removes the top; returns the new size. */
static size_t heap_pop(const mempool_shared_t *sh, cursor_t *hp, size_t n)
{
    hp[0] = hp[n - 1];
    n--;
    if (n > 0)
        heap_sift_down(sh, hp, n, 0);
    return n;
}

/* Advances the top cursor to its sender's next transaction, or pops it when
 * there is none; returns the new size. */
static size_t heap_advance_top(const mempool_t *mp, cursor_t *hp, size_t n)
{
    hp[0].h = chain_next(mp, hp[0].h);
    if (hp[0].h == 0)
        return heap_pop(mp->sh, hp, n);
    heap_sift_down(mp->sh, hp, n, 0);
    return n;
}

uint32_t mempool_select(mempool_t *mp, const state_t *parent, uint64_t max_bytes, tx_t ***out,
                        uint32_t dropped[TXERR_COUNT])
{
    g_assert(parent != NULL && out != NULL);
    const mempool_shared_t *sh = mp->sh;

    /* One cursor per sender with transactions, at the head of its chain. */
    uint64_t *seen = g_new0(uint64_t, sh->snds_hw / 64 + 1);
    cursor_t *heap = g_new(cursor_t, mp->count + 1);
    size_t n = 0;
    for (uint32_t w = 0; w < mp->member_words; w++) {
        for (uint64_t bits = mp->member[w]; bits != 0; bits &= bits - 1) {
            uint32_t si = sh->rec[w * 64 + (uint32_t)__builtin_ctzll(bits)].sender;
            if (seen[si / 64] >> (si % 64) & 1)
                continue;
            seen[si / 64] |= UINT64_C(1) << (si % 64);
            heap[n].h = chain_head(mp, si);
            heap_sift_up(sh, heap, n);
            n++;
        }
    }
    g_free(seen);

    /* state_child only takes a reference on the sealed parent, which it
     * leaves unchanged; the scratch version is dropped unsealed below. */
    state_t *scratch = state_child((state_t *)parent);
    GPtrArray *chosen = g_ptr_array_new();
    GArray *victims = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    uint64_t used_bytes = 0;

    while (n > 0 && max_bytes - used_bytes >= TX_FIXED_BYTES) {
        uint32_t h = heap[0].h;
        if (sh->rec[h].size > max_bytes - used_bytes) {
            /* Does not fit: the sender's later nonces cannot go without it. */
            n = heap_pop(sh, heap, n);
            continue;
        }
        txerr_t err = ledger_apply_tx(scratch, sh->rec[h].obj);
        if (err == TXERR_OK) {
            g_ptr_array_add(chosen, tx_ref(sh->rec[h].obj));
            used_bytes += sh->rec[h].size;
            n = heap_advance_top(mp, heap, n);
            continue;
        }
        g_assert((unsigned)err < TXERR_COUNT);
        if (err == TXERR_NONCE_HIGH) {
            /* A gap before this transaction (at the front of the chain, or
             * after the nonces taken so far): it and the rest of the chain
             * wait in the pool for the missing nonce. */
            n = heap_pop(sh, heap, n);
            continue;
        }
        g_array_append_val(victims, h);
        if (dropped != NULL)
            dropped[err]++;
        if (err == TXERR_NONCE_LOW) {
            /* Already used on parent: the rest of the chain may still apply. */
            n = heap_advance_top(mp, heap, n);
            continue;
        }
        /* A real failure at the expected nonce: the later nonces cannot
         * apply in this block, but stay in the pool. */
        n = heap_pop(sh, heap, n);
    }

    state_unref(scratch);
    g_free(heap);
    for (guint i = 0; i < victims->len; i++)
        pool_remove(mp, g_array_index(victims, uint32_t, i));
    g_array_free(victims, TRUE);

    uint32_t nchosen = chosen->len;
    tx_t **arr = g_new(tx_t *, (gsize)nchosen + 1);
    if (nchosen > 0)
        memcpy(arr, chosen->pdata, sizeof(tx_t *) * nchosen);
    arr[nchosen] = NULL;
    g_ptr_array_unref(chosen);
    *out = arr;
    return nchosen;
}
