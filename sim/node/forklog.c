/*
 * forklog.c - the fork log (see forklog.h), built at the end of a run.
 *
 * Algorithm. Block indexes are a topological order of the block tree (a
 * block is created after its parent), so one pass from the last block down
 * to genesis sums, for every block, the nodes whose tip at the end is that
 * block or a descendant (subtree_tips). The fork points are the blocks with
 * two or more children; a fork begins when its second child is created, and
 * forks are numbered in that order (then by fork point). For each fork:
 *   - the branch whose first block is on the final main chain won; the
 *     others lost (none won when the fork point itself is stale);
 *   - a losing branch is the whole subtree of its first block (a depth-first
 *     walk in child creation order); the winning branch is the main chain
 *     from its first block up to one block above the highest losing block,
 *     or to the main chain's tip: the part that competed and the block that
 *     put the winner ahead (decided_ns is that block's creation time);
 *   - the spread of a branch is the spread of its first block (per-node
 *     arrival times, reach.h); its tip_nodes are the subtree sums above;
 *   - for forks with a winner, every transaction of a losing block is looked
 *     up on the final main chain: by id (re-included), else by sender and
 *     nonce (double-spent: another transaction used the nonce), else
 *     dropped.
 * node_tips holds every node's tip and final block; block_marks the blocks
 * carrying slashing evidence, the finalized (pos) or final checkpoints of
 * the final main chain, and the adversary hook.
 *
 * Invariant: read-only on the protocol state apart from consensus memos
 * (pos/dpos compute a block's memo on first query), and called after the
 * digest is complete, so the log never changes a run's digest. Rows are
 * written in a fixed order (forks by number, branches by number, blocks by
 * walk order), a function of the run alone.
 */
#include <string.h>

#include "core/consensus/pos.h"
#include "sim/node/forklog.h"
#include "sim/node/reach.h"

/* The key of the (sender, nonce) table. */
typedef struct sender_nonce {
    addr_t sender;
    uint64_t nonce;
} sender_nonce_t;

/* A main-chain transaction, as the value of both lookup tables. */
typedef struct main_tx {
    const tx_t *tx;
    uint32_t block_index;
} main_tx_t;

typedef struct forklog {
    proto_t *s;
    uint32_t nblocks;
    uint32_t *subtree_tips; /* per block */
    sblock_t **main_at;     /* per height of the final main chain */
    uint64_t top;           /* height of its tip */
    /* built on first use: main-chain transactions by id and by (sender, nonce) */
    GHashTable *by_id;      /* hash32_t * -> main_tx_t * */
    GHashTable *by_nonce;   /* sender_nonce_t * -> main_tx_t * */
    GArray *main_txs;       /* main_tx_t, owned storage of the values */
    GArray *keys;           /* sender_nonce_t, owned storage of the keys */
} forklog_t;

static guint hash32_hash_cb(gconstpointer p)
{
    guint h;
    memcpy(&h, ((const hash32_t *)p)->b, sizeof h);
    return h;
}

static gboolean hash32_equal_cb(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(hash32_t)) == 0;
}

static guint sender_nonce_hash(gconstpointer p)
{
    const sender_nonce_t *k = p;
    guint h;
    memcpy(&h, k->sender.b, sizeof h);
    return h ^ (guint)(k->nonce * 0x9e3779b97f4a7c15ull >> 32);
}

static gboolean sender_nonce_equal(gconstpointer a, gconstpointer b)
{
    const sender_nonce_t *x = a, *y = b;
    return x->nonce == y->nonce && addr_equal(&x->sender, &y->sender);
}

const char *forklog_adversary(const proto_t *s, const sblock_t *sb)
{
    return s->policy ? s->policy->maker(s, sb) : NULL;
}

static sblock_t *block_at(const forklog_t *fl, uint32_t index)
{
    return proto_block(fl->s, index);
}

static sblock_t *parent_of(const forklog_t *fl, const sblock_t *sb)
{
    return block_at(fl, sb->b->parent->index);
}

/* Fills the main-chain lookup tables (once). Each (sender, nonce) is used
 * at most once on one chain, and each id appears at most once. */
static void index_main_txs(forklog_t *fl)
{
    if (fl->by_id)
        return;
    size_t n = 0;
    for (uint64_t h = 1; h <= fl->top; h++)
        n += fl->main_at[h]->b->ntx;
    fl->main_txs = g_array_sized_new(FALSE, FALSE, sizeof(main_tx_t), (guint)n);
    fl->keys = g_array_sized_new(FALSE, FALSE, sizeof(sender_nonce_t), (guint)n);
    for (uint64_t h = 1; h <= fl->top; h++) {
        const block_t *b = fl->main_at[h]->b;
        for (uint32_t t = 0; t < b->ntx; t++) {
            main_tx_t m = { b->txs[t], b->index };
            sender_nonce_t k = { b->txs[t]->sender, b->txs[t]->nonce };
            g_array_append_val(fl->main_txs, m);
            g_array_append_val(fl->keys, k);
        }
    }
    /* the arrays are complete: pointers into them stay valid */
    fl->by_id = g_hash_table_new(hash32_hash_cb, hash32_equal_cb);
    fl->by_nonce = g_hash_table_new(sender_nonce_hash, sender_nonce_equal);
    for (guint i = 0; i < fl->main_txs->len; i++) {
        main_tx_t *m = &g_array_index(fl->main_txs, main_tx_t, i);
        g_hash_table_insert(fl->by_id, (gpointer)&m->tx->id, m);
        g_hash_table_insert(fl->by_nonce, &g_array_index(fl->keys, sender_nonce_t, i), m);
    }
}

/* The subtree of root in depth-first order, children in creation order,
 * into out (sblock_t *). */
static void subtree(sblock_t *root, GPtrArray *out)
{
    GPtrArray *stack = g_ptr_array_new();
    g_ptr_array_add(stack, root);
    while (stack->len) {
        sblock_t *sb = g_ptr_array_remove_index(stack, stack->len - 1);
        g_ptr_array_add(out, sb);
        for (guint i = sb->children->len; i-- > 0;)
            g_ptr_array_add(stack, g_ptr_array_index(sb->children, i));
    }
    g_ptr_array_free(stack, TRUE);
}

/* The highest block of list (ties: the lowest index). */
static sblock_t *highest(GPtrArray *list)
{
    sblock_t *best = g_ptr_array_index(list, 0);
    for (guint i = 1; i < list->len; i++) {
        sblock_t *sb = g_ptr_array_index(list, i);
        if (sb->b->h.height > best->b->h.height ||
            (sb->b->h.height == best->b->h.height && sb->b->index < best->b->index))
            best = sb;
    }
    return best;
}

/* Writes the fate of every transaction of the losing block sb. */
static bool record_txs(forklog_t *fl, uint32_t fork_id, const sblock_t *sb)
{
    proto_t *s = fl->s;
    const block_t *b = sb->b;
    if (!b->ntx)
        return true;
    index_main_txs(fl);
    for (uint32_t t = 0; t < b->ntx; t++) {
        const tx_t *tx = b->txs[t];
        char hex[2 * HASH_BYTES + 1], conflict[2 * HASH_BYTES + 1];
        hash_to_hex(&tx->id, hex);
        const char *fate = "dropped";
        int64_t main_block = -1;
        bool has_conflict = false;
        const main_tx_t *m = g_hash_table_lookup(fl->by_id, &tx->id);
        if (m) {
            fate = "reincluded";
            main_block = m->block_index;
        } else {
            sender_nonce_t k = { tx->sender, tx->nonce };
            if ((m = g_hash_table_lookup(fl->by_nonce, &k))) {
                fate = "double-spent";
                main_block = m->block_index;
                hash_to_hex(&m->tx->id, conflict);
                has_conflict = true;
            }
        }
        int64_t tx_index = tx->sim_index ? (int64_t)tx->sim_index : -1;
        int64_t sender = tx->sim_index ? (int64_t)proto_tx(s, tx->sim_index)->account : -1;
        if (!record_fork_tx(s->rec, fork_id, b->index, hex, tx_index, sender, tx->nonce, fate, main_block,
                            has_conflict ? conflict : NULL))
            return false;
    }
    return true;
}

/* True when two first blocks of the fork were made by one producer for one
 * slot (slot-based engines): an equivocation. */
static bool equivocation(const proto_t *s, const sblock_t *p)
{
    if (s->sc->consensus.kind == CONS_POW)
        return false;
    for (guint i = 0; i < p->children->len; i++) {
        const block_t *a = ((const sblock_t *)g_ptr_array_index(p->children, i))->b;
        for (guint j = i + 1; j < p->children->len; j++) {
            const block_t *b = ((const sblock_t *)g_ptr_array_index(p->children, j))->b;
            if (a->h.slot == b->h.slot && a->h.producer == b->h.producer)
                return true;
        }
    }
    return false;
}

/* Writes fork number fork_id, at fork point p. */
static bool record_one(forklog_t *fl, uint32_t fork_id, sblock_t *p)
{
    proto_t *s = fl->s;
    const uint32_t n = s->net->nnodes;
    const uint32_t nb = p->children->len;
    int64_t winner = -1;
    for (uint32_t j = 0; j < nb; j++)
        if (((sblock_t *)g_ptr_array_index(p->children, j))->main)
            winner = j;
    const uint64_t fh = p->b->h.height;

    /* the blocks of each branch: losing ones first, the winner's extent
     * depends on them */
    GPtrArray **list = g_new0(GPtrArray *, nb);
    uint64_t max_lose = fh, depth = 0;
    uint32_t stale_blocks = 0, open_nodes = 0;
    for (uint32_t j = 0; j < nb; j++) {
        if ((int64_t)j == winner)
            continue;
        sblock_t *root = g_ptr_array_index(p->children, j);
        list[j] = g_ptr_array_new();
        subtree(root, list[j]);
        uint64_t h = highest(list[j])->b->h.height;
        max_lose = MAX(max_lose, h);
        depth = MAX(depth, h - fh);
        stale_blocks += list[j]->len;
        open_nodes += fl->subtree_tips[root->b->index];
    }
    uint64_t decided_ns = UINT64_MAX;
    if (winner >= 0) {
        uint64_t last = MIN(fl->top, max_lose + 1);
        list[winner] = g_ptr_array_new();
        for (uint64_t h = fh + 1; h <= last; h++)
            g_ptr_array_add(list[winner], fl->main_at[h]);
        if (max_lose + 1 <= fl->top)
            decided_ns = fl->main_at[max_lose + 1]->b->h.time_ns;
    }
    const sblock_t *second = g_ptr_array_index(p->children, 1);
    record_fork_t f = {
        .fork_id = fork_id,
        .parent_index = p->b->index,
        .fork_height = fh,
        .created_ns = second->b->h.time_ns,
        .branches = nb,
        .winner = winner,
        .status = winner < 0 ? "abandoned" : open_nodes ? "open" : "resolved",
        .depth = depth,
        .stale_blocks = stale_blocks,
        .decided_ns = decided_ns,
        .open_nodes = open_nodes,
        .equivocation = equivocation(s, p),
    };
    bool ok = record_fork(s->rec, &f);
    static const uint32_t fracs[4] = { 100000, 500000, 900000, 1000000 };
    for (uint32_t j = 0; ok && j < nb; j++) {
        sblock_t *root = g_ptr_array_index(p->children, j);
        sblock_t *tip = highest(list[j]);
        record_fork_branch_t br = {
            .fork_id = fork_id,
            .branch = j,
            .root_index = root->b->index,
            .tip_index = tip->b->index,
            .blocks = list[j]->len,
            .length = tip->b->h.height - fh,
            .won = (int64_t)j == winner,
            .reached = root->reached,
            .tip_nodes = fl->subtree_tips[root->b->index],
        };
        reach_many_ns(root->arrival_ns, n, root->reached, 0, fracs, 4, br.reach_ns);
        ok = record_fork_branch(s->rec, &br);
        for (guint i = 0; ok && i < list[j]->len; i++)
            ok = record_fork_block(s->rec, fork_id, j, ((sblock_t *)g_ptr_array_index(list[j], i))->b->index);
    }
    if (winner >= 0)
        for (uint32_t j = 0; ok && j < nb; j++)
            if ((int64_t)j != winner)
                for (guint i = 0; ok && i < list[j]->len; i++)
                    ok = record_txs(fl, fork_id, g_ptr_array_index(list[j], i));
    for (uint32_t j = 0; j < nb; j++)
        if (list[j])
            g_ptr_array_free(list[j], TRUE);
    g_free(list);
    return ok;
}

/* Orders fork points by the creation of their second child, then index. */
static gint cmp_fork(gconstpointer a, gconstpointer b)
{
    const sblock_t *x = *(sblock_t *const *)a, *y = *(sblock_t *const *)b;
    uint64_t tx = ((const sblock_t *)g_ptr_array_index(x->children, 1))->b->h.time_ns;
    uint64_t ty = ((const sblock_t *)g_ptr_array_index(y->children, 1))->b->h.time_ns;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return x->b->index < y->b->index ? -1 : x->b->index > y->b->index;
}

/* Writes node_tips. */
static bool record_tips(forklog_t *fl)
{
    proto_t *s = fl->s;
    for (uint32_t i = 0; i < s->net->nnodes; i++) {
        const cnode_t *cn = &s->cnodes[i];
        if (!record_node_tip(s->rec, i, cn->tip->b->index, cn->final->b->index, s->net->nodes[i].up))
            return false;
    }
    return true;
}

/* Writes block_marks: evidence, checkpoints of the final main chain, and
 * the adversary hook. */
static bool record_marks(forklog_t *fl)
{
    proto_t *s = fl->s;
    const char **checkpoint = g_new0(const char *, fl->nblocks);
    const block_t *tip = fl->main_at[fl->top]->b;
    if (s->sc->consensus.kind == CONS_POS) {
        /* every checkpoint that some block of the main chain finalized */
        for (uint64_t h = 1; h <= fl->top; h++) {
            const block_t *f = s->cons->ops->final(s->cons, fl->main_at[h]->b);
            if (f->index)
                checkpoint[f->index] = "finalized";
        }
        uint64_t epoch;
        hash32_t id;
        pos_justified(s->cons, tip, &epoch, &id);
        const sblock_t *j = g_hash_table_lookup(s->block_by_id, &id);
        if (j && j->b->index && !checkpoint[j->b->index])
            checkpoint[j->b->index] = "justified";
    } else {
        const block_t *f = s->cons->ops->final(s->cons, tip);
        if (f->index)
            checkpoint[f->index] = "final";
    }
    bool ok = true;
    for (uint32_t i = 1; ok && i < fl->nblocks; i++) {
        const sblock_t *sb = block_at(fl, i);
        uint32_t evidence = 0;
        if (s->sc->consensus.kind == CONS_POS) {
            const pos_evidence_t *ev = NULL;
            evidence = pos_block_evidence(s->cons, sb->b, &ev);
        }
        const char *adv = forklog_adversary(s, sb);
        if (evidence || checkpoint[i] || adv)
            ok = record_block_mark(s->rec, i, evidence, checkpoint[i], adv);
    }
    g_free(checkpoint);
    return ok;
}

bool forklog_record(proto_t *s)
{
    if (!s->blocks || !s->rec)
        return true;
    forklog_t fl = { .s = s, .nblocks = s->blocks->len };

    /* the final main chain by height (chain_record marked it) */
    sblock_t *tip = block_at(&fl, 0);
    for (uint32_t i = 1; i < fl.nblocks; i++) {
        sblock_t *sb = block_at(&fl, i);
        if (sb->main && sb->b->h.height > tip->b->h.height)
            tip = sb;
    }
    fl.top = tip->b->h.height;
    fl.main_at = g_new0(sblock_t *, fl.top + 1);
    for (sblock_t *sb = tip;; sb = parent_of(&fl, sb)) {
        g_assert(sb->main);
        fl.main_at[sb->b->h.height] = sb;
        if (!sb->b->parent)
            break;
    }

    /* tips per subtree, children before parents */
    fl.subtree_tips = g_new0(uint32_t, fl.nblocks);
    for (uint32_t i = 0; i < s->net->nnodes; i++)
        fl.subtree_tips[s->cnodes[i].tip->b->index]++;
    for (uint32_t i = fl.nblocks; i-- > 1;) {
        const block_t *b = block_at(&fl, i)->b;
        g_assert(b->parent->index < i);
        fl.subtree_tips[b->parent->index] += fl.subtree_tips[i];
    }

    GPtrArray *points = g_ptr_array_new();
    for (uint32_t i = 0; i < fl.nblocks; i++)
        if (block_at(&fl, i)->children->len >= 2)
            g_ptr_array_add(points, block_at(&fl, i));
    g_ptr_array_sort(points, cmp_fork);

    bool ok = record_tips(&fl) && record_marks(&fl);
    for (guint k = 0; ok && k < points->len; k++)
        ok = record_one(&fl, k + 1, g_ptr_array_index(points, k));

    g_ptr_array_free(points, TRUE);
    if (fl.by_id) {
        g_hash_table_destroy(fl.by_id);
        g_hash_table_destroy(fl.by_nonce);
        g_array_free(fl.main_txs, TRUE);
        g_array_free(fl.keys, TRUE);
    }
    g_free(fl.subtree_tips);
    g_free(fl.main_at);
    return ok;
}
