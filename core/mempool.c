/*
 * mempool.c - a node's pool of pending transactions, and block building.
 *
 * Data structures (the pool owns one reference to each transaction it holds,
 * through its entry_t; every other container below only borrows):
 *   - by_id:   GHashTable tx id -> entry, for lookups;
 *   (pool order, used by mempool_list and eviction, is fee rate descending,
 *   then id ascending: a total order since ids are unique. It is not kept as
 *   an index: inserting into an ordered tree per admission cost more than
 *   all else together, and the order is needed only for eviction, when the
 *   pool is full, and for listing. Eviction scans the senders' chain tails
 *   (the last, highest-nonce entry of each chain) for the one last in pool
 *   order; evicting only tails never leaves a hole in a chain);
 *   - senders: GHashTable address -> sender_t, for lookups only. A sender
 *              holds its pending entries as an array sorted by nonce (nonces
 *              are unique per sender: a second one is a double spend) and its
 *              rate-limit bucket;
 *   - idle:    GTree of senders with no pending transaction whose bucket is
 *              not yet full, ordered by (bucket-full time, address).
 *
 * Rate limit: a token bucket of rate_burst tokens refilled at
 * rate_limit_milli_per_s / 1000 tokens per second, kept in its equivalent
 * integer form (GCRA, the "virtual scheduling" algorithm): each sender keeps
 * tat_ns, the virtual time at which its bucket is full again. With the
 * interval T = ceil(10^12 / rate_milli_per_s) ns per token, a transaction at
 * now conforms iff max(tat, now) - now <= (burst - 1) * T, and admitting it
 * sets tat = max(tat, now) + T. No floating point; the interval is rounded up
 * to the nanosecond (the limit errs on the strict side by under 1 ns per
 * token). A rate_burst of 0 behaves as 1.
 *
 * Per-sender memory: a sender record exists while it has pending
 * transactions, or while its bucket is not full (tat_ns > the latest time
 * seen by mempool_add); such idle records sit in `idle` and are freed as soon
 * as their bucket is full. At most `capacity` idle records are kept: beyond
 * that the one closest to full is forgotten (which can only favour that
 * sender by the remainder of its refill). So the pool holds at most
 * `capacity` transactions and 2 * `capacity` sender records.
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
 *
 * Invariants (asserted where entries are removed):
 *   count == |by_id| == sum of senders' chain lengths;
 *   bytes == sum of size_bytes of pending transactions;
 *   every sender in `senders` has a non-empty chain xor is in `idle`.
 *
 * Determinism: decisions iterate a sender's nonce-sorted chain, the idle
 * tree, or an array of senders sorted by address; where a hash table is
 * iterated (eviction, listing) the result is a minimum or a sort under the
 * total pool order, which does not depend on the iteration order.
 */
#include "core/mempool.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct sender sender_t;

typedef struct entry {
    tx_t *tx;             /* owned reference */
    uint64_t feerate_ppm; /* tx_feerate_ppm(tx), cached for ordering */
    uint64_t id_prefix;   /* first 8 id bytes, big-endian: orders like the id, without a dereference */
    sender_t *sender;     /* borrowed; lives while it has entries */
} entry_t;

struct sender {
    addr_t addr;
    GPtrArray *chain; /* entry_t *, borrowed, sorted by nonce ascending */
    uint64_t tat_ns;  /* GCRA: time at which the bucket is full again */
    bool idle;        /* in mp->idle (no pending transactions) */
};

struct mempool {
    mempool_cfg_t cfg;
    GHashTable *by_id;   /* hash32_t * (the entry's tx id) -> entry_t *; owns neither */
    GHashTable *senders; /* addr_t * (in the record) -> sender_t *; owns the records */
    GTree *idle;         /* sender_t * -> sender_t *, by (tat_ns, addr); owns neither */
    size_t count;
    uint64_t bytes;
    uint64_t now_ns;      /* latest time given to mempool_add */
    uint64_t interval_ns; /* GCRA T; 0 when there is no rate limit */
    uint64_t tolerance_ns; /* GCRA (burst - 1) * T, saturated */
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

/* ---- hashing and ordering ---------------------------------------------- */

/* Ids and addresses are outputs of BLAKE2b: any 4 bytes are a good hash. */
static guint hash32_hash(gconstpointer key)
{
    guint h;
    memcpy(&h, ((const hash32_t *)key)->b, sizeof h);
    return h;
}

static gboolean hash32_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(hash32_t)) == 0;
}

static guint addr_hash(gconstpointer key)
{
    guint h;
    memcpy(&h, ((const addr_t *)key)->b, sizeof h);
    return h;
}

static gboolean addr_equal_cb(gconstpointer a, gconstpointer b)
{
    return addr_equal(a, b);
}

static int addr_cmp_cb(const void *a, const void *b)
{
    return addr_cmp(a, b);
}

/* Pool order: fee rate descending, then id ascending. */
static int entry_order_cmp(const entry_t *x, const entry_t *y)
{
    if (x->feerate_ppm != y->feerate_ppm)
        return x->feerate_ppm > y->feerate_ppm ? -1 : 1;
    if (x->id_prefix != y->id_prefix)
        return x->id_prefix < y->id_prefix ? -1 : 1;
    return memcmp(x->tx->id.b, y->tx->id.b, HASH_BYTES);
}


/* Idle order: bucket-full time ascending, then address. */
static gint idle_order_cb(gconstpointer a, gconstpointer b, gpointer unused)
{
    const sender_t *x = a, *y = b;
    if (x->tat_ns != y->tat_ns)
        return x->tat_ns < y->tat_ns ? -1 : 1;
    return addr_cmp(&x->addr, &y->addr);
}

static int sender_addr_qsort_cb(const void *a, const void *b)
{
    const sender_t *const *x = a, *const *y = b;
    return addr_cmp(&(*x)->addr, &(*y)->addr);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return (b != 0 && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}

/* ---- senders --------------------------------------------------------------- */

static void sender_free(gpointer p)
{
    sender_t *s = p;
    g_ptr_array_unref(s->chain);
    g_free(s);
}

/* Index of the first entry of s's chain whose nonce is >= nonce. */
static guint chain_lower_bound(const sender_t *s, uint64_t nonce)
{
    guint lo = 0, hi = s->chain->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const entry_t *e = g_ptr_array_index(s->chain, mid);
        if (e->tx->nonce < nonce)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool chain_has_nonce(const sender_t *s, uint64_t nonce)
{
    guint i = chain_lower_bound(s, nonce);
    return i < s->chain->len && ((const entry_t *)g_ptr_array_index(s->chain, i))->tx->nonce == nonce;
}

/* The record of addr, created (with a full bucket) when absent and taken out
 * of the idle set when idle. Never NULL. */
static sender_t *sender_acquire(mempool_t *mp, const addr_t *addr)
{
    sender_t *s = g_hash_table_lookup(mp->senders, addr);
    if (s == NULL) {
        s = g_new0(sender_t, 1);
        s->addr = *addr;
        s->chain = g_ptr_array_new();
        s->tat_ns = 0;
        g_hash_table_insert(mp->senders, &s->addr, s);
    } else if (s->idle) {
        gboolean found = g_tree_remove(mp->idle, s);
        g_assert(found);
        s->idle = false;
    }
    return s;
}

/* Forgets idle records whose bucket is full at mp->now_ns, and the ones
 * closest to full beyond `capacity` idle records. */
static void idle_sweep(mempool_t *mp)
{
    GTreeNode *node;
    while ((node = g_tree_node_first(mp->idle)) != NULL) {
        sender_t *s = g_tree_node_key(node);
        if (s->tat_ns > mp->now_ns && (size_t)g_tree_nnodes(mp->idle) <= mp->cfg.capacity)
            break;
        g_tree_remove(mp->idle, s);
        g_hash_table_remove(mp->senders, &s->addr); /* frees s */
    }
}

/* Called when s's chain has just become empty: frees the record, or parks it
 * in the idle set while its bucket refills. s may be freed. */
static void sender_release(mempool_t *mp, sender_t *s)
{
    g_assert(s->chain->len == 0 && !s->idle);
    if (mp->interval_ns == 0 || s->tat_ns <= mp->now_ns) {
        g_hash_table_remove(mp->senders, &s->addr);
        return;
    }
    s->idle = true;
    g_tree_insert(mp->idle, s, s);
    idle_sweep(mp);
}

/* GCRA conformance of one more transaction from a sender whose bucket is
 * full at tat_ns; on success *new_tat gets the value to store once the
 * transaction is actually admitted. */
static bool bucket_conforms(const mempool_t *mp, uint64_t tat_ns, uint64_t now_ns, uint64_t *new_tat)
{
    uint64_t t = tat_ns > now_ns ? tat_ns : now_ns;
    if (t - now_ns > mp->tolerance_ns)
        return false;
    *new_tat = sat_add(t, mp->interval_ns);
    return true;
}

/* ---- entries ------------------------------------------------------------- */

static bool blacklisted(const mempool_t *mp, const addr_t *addr)
{
    if (mp->cfg.nblacklist == 0)
        return false;
    return bsearch(addr, mp->cfg.blacklist, mp->cfg.nblacklist, sizeof(addr_t), addr_cmp_cb) != NULL;
}

/* Takes a reference to tx. The sender must have been acquired. */
static void entry_insert(mempool_t *mp, sender_t *s, tx_t *tx)
{
    entry_t *e = g_new(entry_t, 1);
    e->tx = tx_ref(tx);
    e->feerate_ppm = tx_feerate_ppm(tx);
    e->id_prefix = 0;
    for (int i = 0; i < 8; i++)
        e->id_prefix = e->id_prefix << 8 | tx->id.b[i];
    e->sender = s;
    guint pos = chain_lower_bound(s, tx->nonce);
    g_ptr_array_insert(s->chain, (gint)pos, e);
    g_hash_table_insert(mp->by_id, &e->tx->id, e);
    mp->count++;
    mp->bytes += tx->size_bytes;
}

/* Removes e from every container, drops the pool's reference to its
 * transaction, frees e, and releases its sender when it had no other. */
static void entry_remove(mempool_t *mp, entry_t *e)
{
    sender_t *s = e->sender;
    guint i = chain_lower_bound(s, e->tx->nonce);
    g_assert(i < s->chain->len && g_ptr_array_index(s->chain, i) == e);
    g_ptr_array_remove_index(s->chain, i);
    gboolean found = g_hash_table_remove(mp->by_id, &e->tx->id);
    g_assert(found);
    g_assert(mp->count > 0 && mp->bytes >= e->tx->size_bytes);
    mp->count--;
    mp->bytes -= e->tx->size_bytes;
    tx_unref(e->tx);
    g_free(e);
    if (s->chain->len == 0)
        sender_release(mp, s);
}

/* Removes the entries of `victims` (entry_t *, borrowed) in array order. */
static void remove_all(mempool_t *mp, GPtrArray *victims)
{
    for (guint i = 0; i < victims->len; i++)
        entry_remove(mp, g_ptr_array_index(victims, i));
}

/* All sender records that have pending transactions, sorted by address
 * (a new array; g_free it). */
static sender_t **active_senders_sorted(const mempool_t *mp, size_t *n)
{
    sender_t **arr = g_new(sender_t *, g_hash_table_size(mp->senders) + 1);
    size_t k = 0;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, mp->senders);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        sender_t *s = value;
        if (s->chain->len > 0)
            arr[k++] = s;
    }
    qsort(arr, k, sizeof arr[0], sender_addr_qsort_cb);
    *n = k;
    return arr;
}

/* ---- life cycle ----------------------------------------------------------- */

mempool_t *mempool_new(const mempool_cfg_t *cfg)
{
    g_assert(cfg != NULL);
    g_assert(cfg->nblacklist == 0 || cfg->blacklist != NULL);
    mempool_t *mp = g_new0(mempool_t, 1);
    mp->cfg = *cfg;
    mp->by_id = g_hash_table_new(hash32_hash, hash32_equal);
    mp->senders = g_hash_table_new_full(addr_hash, addr_equal_cb, NULL, sender_free);
    mp->idle = g_tree_new_full(idle_order_cb, NULL, NULL, NULL);
    if (cfg->rate_limit_milli_per_s > 0) {
        const uint64_t per_token = 1000000000000ULL; /* ns * thousandths per second */
        uint64_t rate = cfg->rate_limit_milli_per_s;
        mp->interval_ns = (per_token + rate - 1) / rate;
        uint32_t burst = cfg->rate_burst > 0 ? cfg->rate_burst : 1;
        mp->tolerance_ns = sat_mul((uint64_t)burst - 1, mp->interval_ns);
    }
    return mp;
}

void mempool_free(mempool_t *mp)
{
    if (mp == NULL)
        return;
    /* Freeing only: no decision depends on this iteration order. */
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, mp->by_id);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        entry_t *e = value;
        tx_unref(e->tx);
        g_free(e);
    }
    g_hash_table_destroy(mp->by_id);
    g_tree_destroy(mp->idle);
    g_hash_table_destroy(mp->senders);
    g_free(mp);
}

/* ---- admission ------------------------------------------------------------ */

/* The checks of mempool_add in the order of mempool.h; rate limiting only
 * when use_rate. */
/* The eviction victim: among the last transactions of every sender's chain,
 * the one last in pool order (lowest fee rate, then highest id). A scan over
 * the senders, done only when the pool is full; the minimum under a total
 * order does not depend on the table's iteration order. NULL when empty. */
static entry_t *lowest_tail(const mempool_t *mp)
{
    entry_t *worst = NULL;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, mp->senders);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const sender_t *s = value;
        if (s->chain->len == 0)
            continue;
        entry_t *tail = g_ptr_array_index(s->chain, s->chain->len - 1);
        if (worst == NULL || entry_order_cmp(tail, worst) > 0)
            worst = tail;
    }
    return worst;
}

static mp_result_t admit(mempool_t *mp, tx_t *tx, const state_t *tip, bool use_rate, uint64_t now_ns,
                         tx_t **evicted)
{
    g_assert(tx != NULL && tip != NULL);
    if (evicted != NULL)
        *evicted = NULL;

    if (blacklisted(mp, &tx->sender))
        return MP_BLACKLISTED;
    if (tx->size_bytes > mp->cfg.max_tx_bytes)
        return MP_TOO_LARGE;
    if (g_hash_table_contains(mp->by_id, &tx->id))
        return MP_DUPLICATE;
    if (tx->fee < mp->cfg.min_fee)
        return MP_FEE_LOW;
    if (!tx_verify(tx))
        return MP_SIGNATURE;

    account_t acct = state_get(tip, &tx->sender);
    if (tx->nonce < acct.nonce)
        return MP_NONCE_LOW;
    if (tx->nonce - acct.nonce >= mp->cfg.nonce_window)
        return MP_NONCE_HIGH;

    sender_t *s = g_hash_table_lookup(mp->senders, &tx->sender);
    if (s != NULL && chain_has_nonce(s, tx->nonce))
        return MP_DOUBLE_SPEND;

    /* What it takes from the balance (amount + fee for transfers and
     * stakes, the fee for unstakes and votes), plus every pending lower nonce
     * of the same sender. */
    uint64_t need = ledger_tx_cost(tx);
    bool overflow = need == UINT64_MAX;
    if (s != NULL) {
        for (guint i = 0; i < s->chain->len && !overflow; i++) {
            const tx_t *p = ((const entry_t *)g_ptr_array_index(s->chain, i))->tx;
            if (p->nonce >= tx->nonce)
                break;
            uint64_t c = ledger_tx_cost(p);
            overflow = c > UINT64_MAX - need;
            need += c;
        }
    }
    if (overflow || need > acct.balance)
        return MP_BALANCE;

    uint64_t new_tat = 0;
    if (use_rate && mp->interval_ns > 0 &&
        !bucket_conforms(mp, s != NULL ? s->tat_ns : 0, now_ns, &new_tat))
        return MP_RATE_LIMITED;

    if (mp->count >= mp->cfg.capacity) {
        /* The victim is the chain tail with the lowest fee rate. */
        entry_t *victim = lowest_tail(mp);
        if (victim == NULL)
            return MP_FULL; /* capacity 0 */
        if (tx_feerate_ppm(tx) <= victim->feerate_ppm)
            return MP_FULL;
        /* The newcomer's balance check counted its lower nonces: evicting
         * one of them (here the tail of its own chain) would leave it behind
         * a gap. A tail above the newcomer's nonce may go. */
        if (victim->sender == s && victim->tx->nonce < tx->nonce)
            return MP_FULL;
        tx_t *vtx = tx_ref(victim->tx);
        entry_remove(mp, victim); /* may free or park s: look it up again */
        if (evicted != NULL)
            *evicted = vtx;
        else
            tx_unref(vtx);
    }

    s = sender_acquire(mp, &tx->sender);
    if (use_rate && mp->interval_ns > 0)
        s->tat_ns = new_tat;
    entry_insert(mp, s, tx);
    return MP_ADDED;
}

mp_result_t mempool_add(mempool_t *mp, tx_t *tx, const state_t *tip, uint64_t now_ns, tx_t **evicted)
{
    if (now_ns > mp->now_ns)
        mp->now_ns = now_ns;
    idle_sweep(mp);
    return admit(mp, tx, tip, true, now_ns, evicted);
}

mp_result_t mempool_readd(mempool_t *mp, tx_t *tx, const state_t *tip)
{
    return admit(mp, tx, tip, false, mp->now_ns, NULL);
}

/* ---- queries and removal ------------------------------------------------- */

bool mempool_contains(const mempool_t *mp, const hash32_t *id)
{
    return g_hash_table_contains(mp->by_id, id);
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
    entry_t *e = g_hash_table_lookup(mp->by_id, id);
    if (e == NULL)
        return false;
    entry_remove(mp, e);
    return true;
}

static int entry_ptr_order_cb(const void *a, const void *b)
{
    return entry_order_cmp(*(const entry_t *const *)a, *(const entry_t *const *)b);
}

tx_t **mempool_list(const mempool_t *mp, size_t *n)
{
    /* Collected from the hash table, then sorted: the result does not depend
     * on the table's iteration order. */
    entry_t **es = g_new(entry_t *, mp->count + 1);
    size_t k = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, mp->by_id);
    while (g_hash_table_iter_next(&it, NULL, &value))
        es[k++] = value;
    g_assert(k == mp->count);
    qsort(es, k, sizeof *es, entry_ptr_order_cb);
    tx_t **arr = g_new(tx_t *, mp->count + 1);
    for (size_t i = 0; i < k; i++)
        arr[i] = es[i]->tx;
    g_free(es);
    arr[k] = NULL;
    if (n != NULL)
        *n = k;
    return arr;
}

size_t mempool_prune(mempool_t *mp, const state_t *tip)
{
    size_t nsenders, removed = 0;
    sender_t **senders = active_senders_sorted(mp, &nsenders);
    GPtrArray *victims = g_ptr_array_new();
    for (size_t k = 0; k < nsenders; k++) {
        sender_t *s = senders[k];
        account_t acct = state_get(tip, &s->addr);
        guint len = s->chain->len, i = 0;
        g_ptr_array_set_size(victims, 0);
        /* Nonces already used on tip. */
        for (; i < len; i++) {
            entry_t *e = g_ptr_array_index(s->chain, i);
            if (e->tx->nonce >= acct.nonce)
                break;
            g_ptr_array_add(victims, e);
        }
        /* The contiguous run from the state nonce: keep its affordable
         * prefix (amount + fee, cumulated in nonce order). Nonces are
         * unique and sorted, so the run ends at the first nonce that is not
         * the expected one. */
        uint64_t expect = acct.nonce, spent = 0;
        bool unaffordable = false;
        for (; i < len; i++) {
            entry_t *e = g_ptr_array_index(s->chain, i);
            if (e->tx->nonce != expect)
                break;
            if (!unaffordable) {
                uint64_t cost = ledger_tx_cost(e->tx);
                if (cost == UINT64_MAX || cost > acct.balance - spent)
                    unaffordable = true;
                else
                    spent += cost;
            }
            if (unaffordable)
                g_ptr_array_add(victims, e);
            expect++;
        }
        /* After a gap: queued until the predecessors arrive, while within
         * the nonce window. */
        for (; i < len; i++) {
            entry_t *e = g_ptr_array_index(s->chain, i);
            if (e->tx->nonce - acct.nonce >= mp->cfg.nonce_window)
                g_ptr_array_add(victims, e);
        }
        removed += victims->len;
        remove_all(mp, victims); /* may free s */
    }
    g_ptr_array_unref(victims);
    g_free(senders);
    return removed;
}

/* ---- block building ------------------------------------------------------ */

typedef struct cursor {
    sender_t *s;
    guint pos; /* index in s->chain of the next transaction to consider */
} cursor_t;

static const entry_t *cursor_head(const cursor_t *c)
{
    return g_ptr_array_index(c->s->chain, c->pos);
}

/* Binary max-heap of cursors by the pool order of their head entries (the
 * best in pool order at index 0). Keys are distinct (tx ids are unique), so
 * the pop order does not depend on the insertion order. */
static bool cursor_before(const cursor_t *a, const cursor_t *b)
{
    return entry_order_cmp(cursor_head(a), cursor_head(b)) < 0;
}

static void heap_sift_up(cursor_t *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cursor_before(&h[i], &h[p]))
            break;
        cursor_t t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void heap_sift_down(cursor_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && cursor_before(&h[l], &h[best]))
            best = l;
        if (r < n && cursor_before(&h[r], &h[best]))
            best = r;
        if (best == i)
            break;
        cursor_t t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

/* Removes the top; returns the new size. */
static size_t heap_pop(cursor_t *h, size_t n)
{
    h[0] = h[n - 1];
    n--;
    if (n > 0)
        heap_sift_down(h, n, 0);
    return n;
}

/* Advances the top cursor to its sender's next transaction, or pops it when
 * there is none; returns the new size. */
static size_t heap_advance_top(cursor_t *h, size_t n)
{
    h[0].pos++;
    if (h[0].pos >= h[0].s->chain->len)
        return heap_pop(h, n);
    heap_sift_down(h, n, 0);
    return n;
}

uint32_t mempool_select(mempool_t *mp, const state_t *parent, uint64_t max_bytes, tx_t ***out,
                        uint32_t dropped[TXERR_COUNT])
{
    g_assert(parent != NULL && out != NULL);

    size_t n;
    sender_t **senders = active_senders_sorted(mp, &n);
    cursor_t *heap = g_new(cursor_t, n + 1);
    for (size_t k = 0; k < n; k++) {
        heap[k] = (cursor_t){.s = senders[k], .pos = 0};
        heap_sift_up(heap, k);
    }
    g_free(senders);

    /* state_child only takes a reference on the sealed parent, which it
     * leaves unchanged; the scratch version is dropped unsealed below. */
    state_t *scratch = state_child((state_t *)parent);
    GPtrArray *chosen = g_ptr_array_new();
    GPtrArray *victims = g_ptr_array_new();
    uint64_t used_bytes = 0;

    while (n > 0 && max_bytes - used_bytes >= TX_FIXED_BYTES) {
        cursor_t *top = &heap[0];
        entry_t *e = g_ptr_array_index(top->s->chain, top->pos);
        if (e->tx->size_bytes > max_bytes - used_bytes) {
            /* Does not fit: the sender's later nonces cannot go without it. */
            n = heap_pop(heap, n);
            continue;
        }
        txerr_t err = ledger_apply_tx(scratch, e->tx);
        if (err == TXERR_OK) {
            g_ptr_array_add(chosen, tx_ref(e->tx));
            used_bytes += e->tx->size_bytes;
            n = heap_advance_top(heap, n);
            continue;
        }
        g_assert((unsigned)err < TXERR_COUNT);
        if (err == TXERR_NONCE_HIGH) {
            /* A gap before this transaction (at the front of the chain, or
             * after the nonces taken so far): it and the rest of the chain
             * wait in the pool for the missing nonce. */
            n = heap_pop(heap, n);
            continue;
        }
        g_ptr_array_add(victims, e);
        if (dropped != NULL)
            dropped[err]++;
        if (err == TXERR_NONCE_LOW) {
            /* Already used on parent: the rest of the chain may still apply. */
            n = heap_advance_top(heap, n);
            continue;
        }
        /* A real failure at the expected nonce: the later nonces cannot
         * apply in this block, but stay in the pool. */
        n = heap_pop(heap, n);
    }

    state_unref(scratch);
    g_free(heap);
    remove_all(mp, victims);
    g_ptr_array_unref(victims);

    uint32_t nchosen = chosen->len;
    tx_t **arr = g_new(tx_t *, (gsize)nchosen + 1);
    if (nchosen > 0)
        memcpy(arr, chosen->pdata, sizeof(tx_t *) * nchosen);
    arr[nchosen] = NULL;
    g_ptr_array_unref(chosen);
    *out = arr;
    return nchosen;
}
