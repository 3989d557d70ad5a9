/*
 * state.c - account state as a tree of immutable, reference-counted versions.
 *
 * A version holds:
 *   - parent: a counted reference (NULL for genesis), and its depth;
 *   - delta: the accounts this version changed, sorted by address, each with
 *     its value before (in the parent) and after. Entries whose value did not
 *     actually change are dropped at seal, so the delta lists real changes
 *     only. An empty delta is a NULL pointer and costs nothing;
 *   - snap (genesis, and the versions chosen at seal, see Snapshots): a
 *     full copy of every existing account (non-zero balance or nonce) as an
 *     array of entries plus a GHashTable set over it keyed by the 20 address
 *     bytes;
 *   - snap_dist and snap_changes: how many versions lie between this one and
 *     its nearest ancestor holding a snapshot (this one included; 0 when it
 *     holds one itself), and how many changes their deltas hold together;
 *   - serial: a number no other version of the process has (state_serial),
 *     so callers can memoise lookups per version without holding it;
 *   - total and accounts: the sum of balances and the number of existing
 *     accounts, kept up to date by state_set, so both are O(1).
 * While mutable (state_child .. state_seal) a version also has `pending`, a
 * GHashTable from address to a heap-allocated state_change_t; state_seal
 * copies it into the sorted delta array and frees it.
 *
 * Lookup (state_get) walks from the version towards the root: the pending
 * table if mutable, then for each sealed version either its snapshot (a
 * complete answer: absent means a zero account) or a binary search of its
 * delta (a hit's `after` is the answer). Genesis holds a snapshot, and the
 * seal rule below bounds the walk to STATE_SNAPSHOT_EVERY sealed versions.
 *
 * Snapshots: a version is sealed with a snapshot when the deltas since the
 * nearest snapshot (its own included) hold at least a quarter as many
 * changes as there are accounts, or when it is STATE_SNAPSHOT_EVERY versions
 * below that snapshot. A snapshot costs O(accounts) time and memory, so the
 * first rule pays for it with at least accounts / 4 changes (amortised, a
 * snapshot entry per 4 changes at most), and makes a lookup cheap where it
 * matters: when blocks change many accounts, a version or its parent holds
 * a snapshot and a lookup is one or two probes instead of a walk whose
 * length would grow with the height since the last fixed-depth snapshot.
 * With few changes per version the walk is at most STATE_SNAPSHOT_EVERY
 * short deltas, as before.
 *
 * Sealed deltas are searched by bisection instead of carrying a hash table
 * each: the sorted array is needed anyway for state_delta (undo data), a
 * binary search over a block's few hundred changes costs about as much as a
 * hash probe, and the per-version cost stays at the struct itself (~80 bytes
 * for an empty delta). Hash tables are used where they pay: the full
 * snapshots and the mutable version being built.
 *
 * Snapshot construction (at seal, below genesis): walking the versions from
 * this one up to the nearest ancestor holding a snapshot, the first entry seen for each address is its newest
 * value (collected in a temporary GHashTable). The new entry array is the
 * ancestor's entries not overridden, then the newest values that still exist,
 * in delta order (never hash-table order). The array is allocated once at its
 * final capacity so the set's pointers into it stay valid. Cost O(accounts +
 * changes in the window), paid once per snapshot.
 *
 * Determinism: no result depends on hash-table iteration order. The pending
 * table is iterated only to fill the delta array, which is then sorted by
 * address (addresses are unique, so the order is total); snapshot arrays are
 * built from arrays. Hash values only affect speed.
 *
 * Ownership: every constructor returns refs = 1; a child holds a reference to
 * its parent; state_unref releases a chain iteratively (no recursion, so long
 * chains cannot overflow the stack). state_delta's array lives as long as
 * the version.
 *
 * Overflow: the sum of all balances must fit in uint64_t. The ledger checks
 * this before minting (ledger.c); state_genesis and state_set abort on a
 * violation, which is a bug in the caller.
 */
#include "core/state.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_ASSERT(c)                                                      \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,  \
                    __LINE__, __func__, #c);                                 \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* One account of a snapshot. addr is the first member, so a pointer to an
 * entry is also a pointer to its key. */
typedef struct snap_entry {
    addr_t addr;
    account_t acct;
} snap_entry_t;

typedef struct snap {
    snap_entry_t *entries; /* owned; exactly `n` used */
    size_t n;
    GHashTable *set; /* keys == values == pointers into entries; owns nothing */
} snap_t;

struct state {
    state_t *parent;        /* counted reference; NULL for genesis */
    state_change_t *delta;  /* owned, sorted by address; NULL when empty */
    snap_t *snap;           /* owned; only at snapshot depths, after seal */
    GHashTable *pending;    /* mutable versions only: addr -> state_change_t* (owned) */
    uint64_t total;         /* sum of balances */
    uint64_t accounts;      /* accounts with a non-zero balance or nonce */
    uint64_t serial;        /* unique in the process */
    uint64_t snap_changes;  /* changes in the deltas since the nearest snapshot, own included */
    uint32_t snap_dist;     /* versions since the nearest snapshot (0: holds one) */
    uint32_t ndelta;
    uint32_t depth;
    uint32_t refs;
    bool sealed;
};

static const account_t zero_account = {0, 0};

static bool acct_exists(account_t a)
{
    return a.balance != 0 || a.nonce != 0;
}

static bool acct_same(account_t a, account_t b)
{
    return a.balance == b.balance && a.nonce == b.nonce;
}

/* Mixes the 20 address bytes into a hash-table hash. Addresses are usually
 * BLAKE2b output already, but tests and workloads may use structured ones,
 * so every byte is mixed in. Only speed depends on this function. */
static guint addr_hash_cb(gconstpointer key)
{
    const uint8_t *b = ((const addr_t *)key)->b;
    uint64_t w0, w1;
    uint32_t w2;
    memcpy(&w0, b, 8);
    memcpy(&w1, b + 8, 8);
    memcpy(&w2, b + 16, 4);
    uint64_t h = w0 * UINT64_C(0x9e3779b97f4a7c15);
    h = (h ^ (h >> 29) ^ w1) * UINT64_C(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 32) ^ w2) * UINT64_C(0x94d049bb133111eb);
    return (guint)(h ^ (h >> 31));
}

static gboolean addr_equal_cb(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, ADDR_BYTES) == 0;
}

static int change_cmp(const void *a, const void *b)
{
    return addr_cmp(&((const state_change_t *)a)->addr, &((const state_change_t *)b)->addr);
}

static uint64_t serial_counter;

static state_t *state_alloc(state_t *parent)
{
    state_t *s = g_new0(state_t, 1);
    s->serial = ++serial_counter;
    s->parent = parent;
    s->refs = 1;
    s->depth = parent ? parent->depth + 1 : 0;
    s->total = parent ? parent->total : 0;
    s->accounts = parent ? parent->accounts : 0;
    s->pending = g_hash_table_new_full(addr_hash_cb, addr_equal_cb, NULL, g_free);
    return s;
}

static void snap_free(snap_t *snap)
{
    if (snap == NULL)
        return;
    g_hash_table_destroy(snap->set);
    g_free(snap->entries);
    g_free(snap);
}

/* A snapshot set over entries[0..n); entries must not move afterwards. */
static snap_t *snap_new(snap_entry_t *entries, size_t n)
{
    snap_t *snap = g_new0(snap_t, 1);
    snap->entries = entries;
    snap->n = n;
    snap->set = g_hash_table_new(addr_hash_cb, addr_equal_cb);
    for (size_t i = 0; i < n; i++)
        g_hash_table_add(snap->set, &entries[i]);
    return snap;
}

/* Binary search of a sealed version's delta; NULL when addr is absent. */
static const state_change_t *delta_find(const state_t *s, const addr_t *addr)
{
    size_t lo = 0, hi = s->ndelta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = addr_cmp(&s->delta[mid].addr, addr);
        if (c == 0)
            return &s->delta[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

account_t state_get(const state_t *s, const addr_t *addr)
{
    for (const state_t *v = s; v != NULL; v = v->parent) {
        if (!v->sealed) {
            const state_change_t *c = g_hash_table_lookup(v->pending, addr);
            if (c != NULL)
                return c->after;
            continue;
        }
        if (v->snap != NULL) {
            const snap_entry_t *e = g_hash_table_lookup(v->snap->set, addr);
            return e ? e->acct : zero_account;
        }
        const state_change_t *c = delta_find(v, addr);
        if (c != NULL)
            return c->after;
    }
    /* Unreachable for versions rooted at a genesis (a snapshot). */
    return zero_account;
}

void state_set(state_t *s, const addr_t *addr, account_t acct)
{
    STATE_ASSERT(!s->sealed);
    state_change_t *c = g_hash_table_lookup(s->pending, addr);
    account_t cur;
    if (c == NULL) {
        c = g_new(state_change_t, 1);
        c->addr = *addr;
        c->before = s->parent ? state_get(s->parent, addr) : zero_account;
        c->after = c->before;
        g_hash_table_add(s->pending, c);
    }
    cur = c->after;
    /* cur.balance is part of total, so the subtraction cannot wrap. */
    uint64_t rest = s->total - cur.balance;
    STATE_ASSERT(acct.balance <= UINT64_MAX - rest); /* sum of balances overflows */
    s->total = rest + acct.balance;
    s->accounts = s->accounts - acct_exists(cur) + acct_exists(acct);
    c->after = acct;
}

/* Builds the snapshot of sealed version s (depth > 0) from the nearest
 * ancestor snapshot, s->snap_dist versions up, and the deltas between. */
static void snap_build(state_t *s)
{
    const state_t *v = s;
    size_t nchanges = 0;
    GHashTable *newest = g_hash_table_new(addr_hash_cb, addr_equal_cb); /* addr -> change, borrowed */
    for (uint32_t i = 0; i < s->snap_dist; i++) {
        STATE_ASSERT(v != NULL && v->snap == NULL);
        for (uint32_t k = 0; k < v->ndelta; k++) {
            if (!g_hash_table_contains(newest, &v->delta[k].addr)) {
                g_hash_table_add(newest, &v->delta[k]);
                nchanges++;
            }
        }
        v = v->parent;
    }
    STATE_ASSERT(v != NULL && v->snap != NULL);
    const snap_t *base = v->snap;

    size_t cap = base->n + nchanges;
    snap_entry_t *entries = g_new(snap_entry_t, cap > 0 ? cap : 1);
    size_t n = 0;
    for (size_t i = 0; i < base->n; i++) {
        if (!g_hash_table_contains(newest, &base->entries[i].addr))
            entries[n++] = base->entries[i];
    }
    /* Walk the same versions again in array order, taking each address once
     * (where it is newest), so the array layout never follows hash order. */
    v = s;
    for (uint32_t i = 0; i < s->snap_dist; i++) {
        for (uint32_t k = 0; k < v->ndelta; k++) {
            const state_change_t *c = &v->delta[k];
            if (g_hash_table_lookup(newest, &c->addr) != c)
                continue;
            if (acct_exists(c->after)) {
                entries[n].addr = c->addr;
                entries[n].acct = c->after;
                n++;
            }
        }
        v = v->parent;
    }
    g_hash_table_destroy(newest);
    STATE_ASSERT(n == s->accounts);
    s->snap = snap_new(entries, n);
}

void state_seal(state_t *s)
{
    STATE_ASSERT(!s->sealed);
    size_t n = g_hash_table_size(s->pending);
    state_change_t *delta = n > 0 ? g_new(state_change_t, n) : NULL;
    size_t k = 0;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->pending);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const state_change_t *c = value;
        if (!acct_same(c->before, c->after))
            delta[k++] = *c;
    }
    g_hash_table_destroy(s->pending);
    s->pending = NULL;
    if (k == 0) {
        g_free(delta);
        delta = NULL;
    } else {
        qsort(delta, k, sizeof *delta, change_cmp);
        if (k < n)
            delta = g_renew(state_change_t, delta, k);
    }
    s->delta = delta;
    s->ndelta = (uint32_t)k;
    s->sealed = true;
    if (s->parent == NULL)
        return; /* genesis: state_genesis makes its snapshot */
    const state_t *p = s->parent;
    s->snap_dist = p->snap != NULL ? 1 : p->snap_dist + 1;
    s->snap_changes = (p->snap != NULL ? 0 : p->snap_changes) + k;
    if (s->snap_dist >= STATE_SNAPSHOT_EVERY || s->snap_changes >= s->accounts / 4 + 1) {
        snap_build(s);
        s->snap_dist = 0;
        s->snap_changes = 0;
    }
}

state_t *state_genesis(const addr_t *addrs, const uint64_t *balances, size_t n)
{
    state_t *s = state_alloc(NULL);
    for (size_t i = 0; i < n; i++) {
        account_t a = state_get(s, &addrs[i]);
        STATE_ASSERT(balances[i] <= UINT64_MAX - a.balance); /* allocations overflow */
        a.balance += balances[i];
        state_set(s, &addrs[i], a);
    }
    state_seal(s);
    /* Genesis is its own snapshot: its delta against nothing is every
     * existing account, already sorted. */
    snap_entry_t *entries = g_new(snap_entry_t, s->ndelta > 0 ? s->ndelta : 1);
    for (uint32_t i = 0; i < s->ndelta; i++) {
        entries[i].addr = s->delta[i].addr;
        entries[i].acct = s->delta[i].after;
    }
    s->snap = snap_new(entries, s->ndelta);
    STATE_ASSERT(s->snap->n == s->accounts);
    return s;
}

state_t *state_child(state_t *parent)
{
    STATE_ASSERT(parent != NULL && parent->sealed);
    STATE_ASSERT(parent->depth < UINT32_MAX);
    return state_alloc(state_ref(parent));
}

const state_change_t *state_delta(const state_t *s, size_t *n)
{
    STATE_ASSERT(s->sealed);
    *n = s->ndelta;
    return s->delta;
}

uint64_t state_serial(const state_t *s)
{
    return s->sealed ? s->serial : 0;
}

uint32_t state_snapshot_distance(const state_t *s)
{
    STATE_ASSERT(s->sealed);
    return s->snap_dist;
}

uint32_t state_depth(const state_t *s)
{
    return s->depth;
}

const state_t *state_parent(const state_t *s)
{
    return s->parent;
}

uint64_t state_total(const state_t *s)
{
    return s->total;
}

size_t state_accounts(const state_t *s)
{
    return (size_t)s->accounts;
}

state_t *state_ref(state_t *s)
{
    STATE_ASSERT(s->refs > 0 && s->refs < UINT32_MAX);
    s->refs++;
    return s;
}

void state_unref(state_t *s)
{
    while (s != NULL) {
        STATE_ASSERT(s->refs > 0);
        if (--s->refs > 0)
            return;
        state_t *parent = s->parent;
        if (s->pending != NULL)
            g_hash_table_destroy(s->pending);
        snap_free(s->snap);
        g_free(s->delta);
        g_free(s);
        s = parent;
    }
}
