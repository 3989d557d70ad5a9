/*
 * chain.c - the nodes' blockchain protocol: block production, block relay,
 * validation with modelled CPU time, fork choice and reorganisations, and
 * the chain metrics.
 *
 * Blocks are created once and shared (guarantee 4); what differs per node is
 * kept in the simulator's record of the block (sblock_t): when each node
 * received it and where it stands at that node (requested, waiting for
 * missing transactions, orphan, being checked, connected, invalid). A node's
 * view of the chain is its tip; its account state is the tip's state
 * version, so switching tips is how a node rolls back and re-applies
 * (core/state.h). Validation results are computed once per block and
 * memoised (guarantee 3); each node is charged the modelled CPU time of the
 * check on its own CPU queue before it may connect and relay the block.
 *
 * Relay: a node that connects a block announces it to its peers (or, with
 * relay.push, sends it unasked). A peer that lacks it asks the announcer for
 * the compact or the full block. A compact block is rebuilt from the
 * receiver's mempool; transactions it lacks (and, with relay.compact_fail,
 * the padding) are fetched from the sender. A block whose parent the node
 * lacks waits as an orphan and the parent is requested from the same peer.
 * A request that has gone unanswered for relay.request_timeout is repeated to
 * the next announcer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/consensus/dpos.h"
#include "core/consensus/pos.h"
#include "core/consensus/pow.h"
#include "sim/node/chain.h"
#include "sim/node/reach.h"
#include "sim/node/txrelay.h"

#define POW_TOTAL_HASHRATE 1000000000ull /* hashes per second, all miners */
#define STAKE_TOTAL 1000000000000ull     /* pos stake or dpos votes, all nodes */
#define NODE_KEY_BASE (1ull << 40)       /* node keys: keys_derive index space apart from accounts */
#define COMPACT_TX_BYTES 180u            /* padding counts as transactions of this size */
#define COMPACT_SHORTID_BYTES 6u

static const char *const intent_names[INTENT_COUNT] = { "valid", "bad-signature", "double-spend", "overspend",
                                                         "stake", "unstake", "vote" };

#define POS_MAX_ATTS_PER_BLOCK 256

struct satt {
    pos_att_t a;
    int64_t key;     /* target epoch << 32 | validator, for att_by_target */
    satt_t *twin;    /* a conflicting attestation by the same validator, same target epoch */
    msg_t m;         /* MSG_ATT, shared by every delivery */
    uint8_t *seen;   /* per node bit set */
};

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

static bool is_pos(const proto_t *s)
{
    return s->sc->consensus.kind == CONS_POS;
}

static sblock_t *sb_of(proto_t *s, const block_t *b)
{
    return g_ptr_array_index(s->blocks, b->index);
}

static bool has_data(uint8_t st)
{
    return st == BS_ORPHAN || st == BS_CHECKING || st == BS_CONNECTED;
}

/* With CHAINSIM_CPU_TRACE set in the environment, each sample also prints
 * the process CPU time to stderr ("cpu-trace: <simulated s> <cpu s>"), for
 * the benchmarks' cost per simulated minute. A diagnostic only: nothing in
 * the run reads it. */
static void cpu_trace(const proto_t *s)
{
    static int on = -1;
    if (on < 0)
        on = getenv("CHAINSIM_CPU_TRACE") != NULL;
    if (!on)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    fprintf(stderr, "cpu-trace: %.3f %.3f\n", (double)s->eng->now_ns / 1e9, (double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* ---------- blocks ---------- */

static sblock_t *sblock_new(proto_t *s, block_t *b)
{
    const uint32_t n = s->net->nnodes;
    sblock_t *sb = g_new0(sblock_t, 1);
    sb->b = b;
    b->index = s->blocks->len;
    g_ptr_array_add(s->blocks, sb);
    sb->arrival_ns = g_new(uint64_t, n);
    sb->final_ns = g_new(uint64_t, n);
    for (uint32_t i = 0; i < n; i++)
        sb->arrival_ns[i] = sb->final_ns[i] = UINT64_MAX;
    sb->st = g_new0(uint8_t, n);
    sb->mp_hints = g_new0(uint32_t, b->ntx);
    sb->tx_index = g_new(uint32_t, b->ntx);
    for (uint32_t i = 0; i < b->ntx; i++)
        sb->tx_index[i] = b->txs[i]->sim_index;
    sb->children = g_ptr_array_new();
    if (b->parent)
        g_ptr_array_add(sb_of(s, b->parent)->children, sb);
    const uint32_t inv = (uint32_t)s->sc->relay.inv_bytes;
    uint64_t vtx = b->ntx + b->h.padding_bytes / COMPACT_TX_BYTES;
    uint64_t cmpct = BLOCK_HEADER_FIXED_BYTES + b->h.extra_len + 8 + COMPACT_SHORTID_BYTES * vtx;
    sb->m_inv = (msg_t){ .kind = MSG_BLOCK_INV, .flags = MSG_F_CONTROL, .size_bytes = inv, .id = b->index, .obj = sb };
    sb->m_getfull = (msg_t){ .kind = MSG_BLOCK_GETDATA, .flags = MSG_F_CONTROL, .size_bytes = inv, .id = b->index,
                             .obj = sb };
    sb->m_getcmpct = (msg_t){ .kind = MSG_CMPCT_GETDATA, .flags = MSG_F_CONTROL, .size_bytes = inv, .id = b->index,
                              .obj = sb };
    sb->m_full = (msg_t){ .kind = MSG_BLOCK, .size_bytes = (uint32_t)MIN(b->size_bytes, UINT32_MAX),
                          .id = b->index, .obj = sb };
    sb->m_cmpct = (msg_t){ .kind = MSG_CMPCT, .size_bytes = (uint32_t)MIN(cmpct, UINT32_MAX), .id = b->index,
                           .obj = sb };
    sb->cons_ok = -1;
    g_hash_table_insert(s->block_by_id, &b->id, sb);
    if (s->by_slot_producer && b->parent) {
        sb->sp_key = (int64_t)(b->h.slot << 32 | b->h.producer);
        sblock_t *first = g_hash_table_lookup(s->by_slot_producer, &sb->sp_key);
        if (!first) {
            g_hash_table_insert(s->by_slot_producer, &sb->sp_key, sb);
        } else {
            sb->twin = first;
            if (!first->twin)
                first->twin = sb;
        }
    }
    return sb;
}

static sblock_t *sb_by_id(proto_t *s, const hash32_t *id)
{
    return g_hash_table_lookup(s->block_by_id, id);
}

static void sblock_free(proto_t *s, sblock_t *sb)
{
    if (s->cons)
        s->cons->ops->free_block(s->cons, sb->b);
    block_free(sb->b);
    g_free(sb->arrival_ns);
    g_free(sb->final_ns);
    g_free(sb->st);
    g_free(sb->mp_hints);
    g_free(sb->tx_index);
    g_ptr_array_free(sb->children, TRUE);
    g_free(sb);
}

static void count_block_reject(proto_t *s, const char *why)
{
    gpointer old = g_hash_table_lookup(s->block_rejects, why);
    g_hash_table_insert(s->block_rejects, (gpointer)why, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + 1));
}

/* Consensus and ledger validity, computed once per block. */
static bool block_valid(proto_t *s, sblock_t *sb, const char **why)
{
    block_t *b = sb->b;
    if (sb->cons_ok < 0) {
        sb->cons_why = NULL;
        bool ok = s->cons->ops->check(s->cons, b, &sb->cons_why);
        if (ok && !block_check_root(b)) {
            ok = false;
            sb->cons_why = "transactions do not match the header's root";
        }
        sb->cons_ok = ok;
    }
    if (!sb->cons_ok) {
        *why = sb->cons_why;
        return false;
    }
    if (!ledger_apply_block(b, s->sc->consensus.reward)) {
        *why = b->invalid_reason;
        return false;
    }
    return true;
}

/* ---------- mining ---------- */

/* (Re)draws node's next production time on its tip. A pending one is kept
 * when the tip changed but the schedule did not (see schedule_key), unless
 * `redraw`. */
static void schedule_mine(proto_t *s, uint32_t node, bool redraw)
{
    cnode_t *cn = &s->cnodes[node];
    if (!cn->hashrate)
        return;
    uint64_t key = s->cons->ops->schedule_key(s->cons, cn->tip->b);
    /* A pending draw, even one beyond the end of the run, stays valid while
     * the key is unchanged; drawing again would add chances. */
    if (cn->mine_drawn && !redraw && key == cn->mine_key && s->net->nodes[node].up)
        return;
    if (cn->mine_ev)
        evq_cancel(s->eng->q, cn->mine_ev);
    cn->mine_ev = 0;
    cn->mine_drawn = false;
    cn->mine_gen++;
    if (!s->net->nodes[node].up)
        return;
    if (s->sc->consensus.max_blocks && s->blocks->len > s->sc->consensus.max_blocks)
        return;
    double u = rng_unit_open0(&s->net->nodes[node].rng);
    uint64_t t = s->cons->ops->next_ns(s->cons, node, cn->tip->b, s->eng->now_ns, u);
    cn->mine_key = key;
    cn->mine_drawn = true;
    if (t != UINT64_MAX && t <= s->sc->duration_ns)
        cn->mine_ev = engine_at(s->eng, t, EV_MINE, (ev_data_t){ .a = node, .c = cn->mine_gen });
}

/* Whether a and b exchange compact blocks: the scenario relays them and
 * both nodes have compact relay (relay.compact_nodes). */
static bool compact_between(const proto_t *s, uint32_t a, uint32_t b)
{
    return s->sc->relay.block == BLOCKRELAY_COMPACT && (!s->compact_cap || (s->compact_cap[a] && s->compact_cap[b]));
}

static void relay_block(proto_t *s, uint32_t node, sblock_t *sb, uint32_t except)
{
    const node_t *nd = &s->net->nodes[node];
    const msg_t *m = !s->sc->relay.push ? &sb->m_inv
                     : s->sc->relay.block == BLOCKRELAY_COMPACT ? &sb->m_cmpct : &sb->m_full;
    const bool per_peer = m == &sb->m_cmpct && s->compact_cap;
    /* Shortcut that saves most events: an announcement that the peer would
     * ignore (it has the block, or asked for it less than half a request
     * timeout ago) costs it a few bytes and nothing else, so it is not
     * simulated. Pushed blocks go to every peer but the one it came from. */
    if (s->policy && !s->policy->relays(s, node, sb))
        return;
    const bool inv = m == &sb->m_inv;
    const uint64_t half_timeout_ns = s->sc->relay.request_timeout_ns / 2;
    for (uint32_t j = 0; j < nd->adj_len; j++) {
        uint32_t peer = s->net->adj_peer[nd->adj_off + j];
        if (peer == except)
            continue;
        if (inv) {
            uint8_t st = sb->st[peer];
            if (has_data(st) || st == BS_INVALID ||
                ((st == BS_REQUESTED || st == BS_WAITING) && s->eng->now_ns - sb->arrival_ns[peer] < half_timeout_ns))
                continue;
        }
        net_send(s->net, node, peer, s->net->adj_link[nd->adj_off + j],
                 per_peer && !compact_between(s, node, peer) ? &sb->m_full : m);
    }
}

/* Switches node's tip to nt: mempool follows (transactions of connected
 * blocks leave it, those of disconnected blocks come back if still valid). */
static void switch_tip(proto_t *s, uint32_t node, sblock_t *nt)
{
    cnode_t *cn = &s->cnodes[node];
    const block_t *a = cn->tip->b, *b = nt->b;
    GPtrArray *gone = g_ptr_array_new(), *added = g_ptr_array_new();
    const uint64_t mempool_before = s->obs ? mempool_count(cn->mp) : 0;
    while (a->h.height > b->h.height) {
        g_ptr_array_add(gone, (gpointer)a);
        a = a->parent;
    }
    while (b->h.height > a->h.height) {
        g_ptr_array_add(added, (gpointer)b);
        b = b->parent;
    }
    while (a != b) {
        g_ptr_array_add(gone, (gpointer)a);
        g_ptr_array_add(added, (gpointer)b);
        a = a->parent;
        b = b->parent;
    }
    if (s->txs->len > 1) { /* the mempool follows, when the run has transactions at all */
        for (guint i = added->len; i-- > 0;) {
            const block_t *blk = g_ptr_array_index(added, i);
            uint32_t *hint = sb_of(s, blk)->mp_hints;
            for (uint32_t t = 0; t < blk->ntx; t++) {
                if (t + 8 < blk->ntx)
                    mempool_prefetch_hint(cn->mp, hint[t + 8]);
                if (t + 4 < blk->ntx)
                    mempool_prefetch_sender(cn->mp, hint[t + 4]);
                mempool_remove_hint(cn->mp, blk->txs[t], &hint[t]);
            }
        }
        const state_t *st = nt->b->state;
        for (guint i = gone->len; i-- > 0;) {
            const block_t *blk = g_ptr_array_index(gone, i);
            for (uint32_t t = 0; t < blk->ntx; t++)
                mempool_readd(cn->mp, blk->txs[t], st);
        }
        if (mempool_count(cn->mp))
            mempool_prune(cn->mp, st);
    }
    if (gone->len) {
        s->nreorgs++;
        if (gone->len > s->reorg_max_depth)
            s->reorg_max_depth = gone->len;
        if (s->rec && !record_reorg(s->rec, s->nreorgs - 1, node, s->eng->now_ns, gone->len, cn->tip->b->index,
                                    nt->b->index, a->h.height))
            engine_fail(s->eng, "%s", record_error(s->rec));
    }
    if (s->obs && s->obs->tip_switched)
        s->obs->tip_switched(s->obs->ctx, node, cn->tip, nt, a->h.height, gone->len, added->len, mempool_before,
                             mempool_count(cn->mp));
    cn->tip = nt;
    g_ptr_array_free(gone, TRUE);
    g_ptr_array_free(added, TRUE);
    schedule_mine(s, node, false);
}

static void connect(proto_t *s, uint32_t node, uint32_t from, sblock_t *sb);
static void pos_fork_choice(proto_t *s, uint32_t node);
static void pos_drop_included(proto_t *s, uint32_t node, const block_t *b);
static void pos_attach(proto_t *s, uint32_t node, block_t *b);

/* Marks the blocks that became final at node with the current time. */
static void update_final(proto_t *s, uint32_t node)
{
    cnode_t *cn = &s->cnodes[node];
    sblock_t *f = sb_of(s, s->cons->ops->final(s->cons, cn->tip->b));
    if (f == cn->final)
        return;
    cn->final = f;
    for (const block_t *b = f->b; b; b = b->parent) {
        sblock_t *x = sb_of(s, b);
        if (x->final_ns[node] != UINT64_MAX)
            break;
        x->final_ns[node] = s->eng->now_ns;
    }
}

void chain_mine(proto_t *s, uint32_t node, uint32_t gen)
{
    cnode_t *cn = &s->cnodes[node];
    if (gen != cn->mine_gen || !s->net->nodes[node].up)
        return;
    cn->mine_ev = 0;
    cn->mine_drawn = false;
    const scenario_t *sc = s->sc;
    if (sc->consensus.max_blocks && s->blocks->len > sc->consensus.max_blocks)
        return;
    /* the miner's own block becomes its tip: its next draw starts afresh below */
    block_t *parent = cn->tip->b;
    tx_t **txs = NULL;
    uint64_t room = sc->consensus.max_block_bytes - BLOCK_HEADER_FIXED_BYTES;
    uint32_t drops[TXERR_COUNT] = { 0 };
    uint32_t ntx = mempool_select(cn->mp, parent->state, room, &txs, drops);
    for (int i = 0; i < TXERR_COUNT; i++)
        s->build_drops[i] += drops[i];
    if (ntx < sc->consensus.min_block_txs) {
        for (uint32_t i = 0; i < ntx; i++)
            tx_unref(txs[i]);
        g_free(txs);
        schedule_mine(s, node, true);
        return;
    }
    block_t *b = block_new(parent, s->eng->now_ns, node, &cn->reward_addr, txs, ntx, sc->consensus.padding_bytes);
    for (uint32_t i = 0; i < ntx; i++)
        tx_unref(txs[i]);
    g_free(txs);
    s->cons->ops->prepare(s->cons, b);
    if (is_pos(s))
        pos_attach(s, node, b);
    if (s->node_keys)
        s->cons->ops->sign(s->cons, b, &s->node_keys[node]);
    block_seal(b);
    sblock_t *sb = sblock_new(s, b);
    sb->arrival_ns[node] = s->eng->now_ns;
    sb->reached = 1;
    if (s->obs && s->obs->block_got)
        s->obs->block_got(s->obs->ctx, node, UINT32_MAX, sb);
    for (uint32_t i = 0; i < b->ntx; i++) {
        stx_t *t = b->txs[i]->sim_index ? g_ptr_array_index(s->txs, b->txs[i]->sim_index) : NULL;
        if (t && t->nincluded < G_N_ELEMENTS(t->included))
            t->included[t->nincluded++] = b->index;
    }
    txrelay_mark_known(s, node, sb);
    const char *why = NULL;
    bool ok = block_valid(s, sb, &why);
    g_assert(ok); /* built on the node's own tip from its own checks */
    if (sc->consensus.max_blocks && s->blocks->len > sc->consensus.max_blocks) {
        /* the last block: nobody produces any more, so the run ends once it has spread */
        for (uint32_t i = 0; i < s->net->nnodes; i++) {
            cnode_t *c = &s->cnodes[i];
            if (c->mine_ev)
                evq_cancel(s->eng->q, c->mine_ev);
            c->mine_ev = 0;
            c->mine_gen++;
        }
    }
    connect(s, node, UINT32_MAX, sb);
}

/* ---------- receiving blocks ---------- */

static bool request_due(proto_t *s, sblock_t *sb, uint32_t node)
{
    uint8_t st = sb->st[node];
    return st == BS_NONE ||
           ((st == BS_REQUESTED || st == BS_WAITING) &&
            s->eng->now_ns - sb->arrival_ns[node] >= s->sc->relay.request_timeout_ns);
}

static void request(proto_t *s, uint32_t node, uint32_t peer, uint32_t link, sblock_t *sb, bool compact)
{
    sb->st[node] = BS_REQUESTED;
    sb->arrival_ns[node] = s->eng->now_ns; /* the request time until the block arrives */
    net_send(s->net, node, peer, link, compact ? &sb->m_getcmpct : &sb->m_getfull);
}

static void process(proto_t *s, uint32_t node, uint32_t from, uint32_t link, sblock_t *sb);

static void invalidate(proto_t *s, uint32_t node, sblock_t *sb, const char *why)
{
    sb->st[node] = BS_INVALID;
    count_block_reject(s, why);
    for (guint i = 0; i < sb->children->len; i++) {
        sblock_t *c = g_ptr_array_index(sb->children, i);
        if (c->st[node] == BS_ORPHAN)
            invalidate(s, node, c, "parent is invalid");
    }
}

/* The heaviest-chain rule: more work wins; on equal work the node keeps the
 * first seen, unless an adversary model of ties says otherwise. */
static bool better_tip(proto_t *s, uint32_t node, sblock_t *sb)
{
    int c = s->cons->ops->compare(s->cons, sb->b, s->cnodes[node].tip->b);
    return c > 0 || (c == 0 && s->policy && s->policy->tie(s, node, sb, s->cnodes[node].tip));
}

/* Connects a checked, valid block at node: relay, fork choice, orphans. */
static void connect(proto_t *s, uint32_t node, uint32_t from, sblock_t *sb)
{
    cnode_t *cn = &s->cnodes[node];
    sb->st[node] = BS_CONNECTED;
    if (s->net->nodes[node].up)
        relay_block(s, node, sb, from);
    if (is_pos(s)) {
        pos_ghost_on_block(cn->ghost, sb->b);
        pos_drop_included(s, node, sb->b);
        pos_fork_choice(s, node);
        for (guint i = cn->evidence->len; i-- > 0;)
            if (pos_is_slashed(s->cons, cn->tip->b,
                               pos_evidence_offender(&g_array_index(cn->evidence, pos_evidence_t, i))))
                g_array_remove_index(cn->evidence, i);
    } else if (s->policy && s->policy->fork_choice(s, node, sb)) {
        /* the adversary's policy chose the tip */
    } else if (better_tip(s, node, sb)) {
        switch_tip(s, node, sb);
        update_final(s, node);
    }
    for (guint i = 0; i < sb->children->len; i++) {
        sblock_t *c = g_ptr_array_index(sb->children, i);
        if (c->st[node] == BS_ORPHAN)
            process(s, node, from, UINT32_MAX, c);
    }
}

sblock_t *chain_inject(proto_t *s, block_t *b)
{
    return sblock_new(s, b);
}

void chain_set_tip(proto_t *s, uint32_t node, sblock_t *sb)
{
    if (s->cnodes[node].tip == sb)
        return;
    switch_tip(s, node, sb);
    update_final(s, node);
}

void chain_relay(proto_t *s, uint32_t node, sblock_t *sb)
{
    if (s->net->nodes[node].up)
        relay_block(s, node, sb, UINT32_MAX);
}

void chain_share(proto_t *s, uint32_t node, sblock_t *sb)
{
    uint8_t st = sb->st[node];
    if (st == BS_CONNECTED || st == BS_INVALID)
        return;
    sblock_t *parent = sb_of(s, sb->b->parent);
    if (parent->st[node] != BS_CONNECTED)
        chain_share(s, node, parent);
    if (!has_data(st)) {
        sb->arrival_ns[node] = s->eng->now_ns;
        sb->reached++;
        txrelay_mark_known(s, node, sb);
    }
    connect(s, node, UINT32_MAX, sb);
}

/* ---------- proof of stake: attestations and fork choice ---------- */

/* LMD-GHOST from the node's justified checkpoint; switches tips when the
 * head moved. */
static void pos_fork_choice(proto_t *s, uint32_t node)
{
    cnode_t *cn = &s->cnodes[node];
    uint64_t epoch;
    hash32_t id;
    pos_justified(s->cons, cn->tip->b, &epoch, &id);
    sblock_t *root = sb_by_id(s, &id);
    if (!root || root->st[node] != BS_CONNECTED)
        root = g_ptr_array_index(s->blocks, 0);
    const block_t *head = pos_ghost_head(cn->ghost, root->b);
    sblock_t *hsb = head ? sb_of(s, head) : cn->tip;
    if (hsb != cn->tip) {
        switch_tip(s, node, hsb);
        update_final(s, node);
    }
}

/* Attestations included in b leave the node's list of ones to include. */
static void pos_drop_included(proto_t *s, uint32_t node, const block_t *b)
{
    GPtrArray *pend = s->cnodes[node].att_pending;
    const pos_att_t *in = NULL;
    uint32_t n = pos_block_attestations(s->cons, b, &in);
    if (!n || !pend->len)
        return;
    for (guint i = pend->len; i-- > 0;) {
        const satt_t *p = g_ptr_array_index(pend, i);
        for (uint32_t k = 0; k < n; k++) {
            if (in[k].validator == p->a.validator && in[k].slot == p->a.slot) {
                g_ptr_array_remove_index(pend, i);
                break;
            }
        }
    }
}

/* Keeps evidence against a validator the node's chain has not slashed yet,
 * once per offender. */
static void add_evidence(proto_t *s, uint32_t node, const pos_evidence_t *ev)
{
    cnode_t *cn = &s->cnodes[node];
    uint32_t who = pos_evidence_offender(ev);
    if (pos_is_slashed(s->cons, cn->tip->b, who))
        return;
    for (guint i = 0; i < cn->evidence->len; i++)
        if (pos_evidence_offender(&g_array_index(cn->evidence, pos_evidence_t, i)) == who)
            return;
    g_array_append_val(cn->evidence, *ev);
}

/* A node holding two blocks for one slot by one proposer has evidence. */
static void check_double_proposal(proto_t *s, uint32_t node, sblock_t *sb)
{
    sblock_t *t = sb->twin;
    if (!t || !(has_data(t->st[node]) || t->st[node] == BS_INVALID))
        return;
    pos_signed_header_t h1, h2;
    if (!pos_block_signed_header(s->cons, sb->b, &h1) || !pos_block_signed_header(s->cons, t->b, &h2))
        return;
    pos_evidence_t ev;
    pos_evidence_double_proposal(&ev, &h1, &h2);
    add_evidence(s, node, &ev);
}

static bool att_seen(const satt_t *att, uint32_t node)
{
    return att->seen[node >> 3] >> (node & 7) & 1;
}

static void att_receive(proto_t *s, uint32_t node, uint32_t from, satt_t *att)
{
    if (att_seen(att, node))
        return;
    att->seen[node >> 3] |= (uint8_t)(1u << (node & 7));
    if (att->twin && att_seen(att->twin, node)) {
        pos_evidence_t ev;
        pos_evidence_double_vote(&ev, &att->a, &att->twin->a);
        add_evidence(s, node, &ev);
    }
    cnode_t *cn = &s->cnodes[node];
    sblock_t *head = sb_by_id(s, &att->a.head);
    if (head && head->st[node] == BS_CONNECTED)
        pos_ghost_on_attestation(cn->ghost, &att->a, head->b);
    g_ptr_array_add(cn->att_pending, att);
    const node_t *nd = &s->net->nodes[node];
    if (!nd->up)
        return;
    for (uint32_t j = 0; j < nd->adj_len; j++) {
        uint32_t peer = s->net->adj_peer[nd->adj_off + j];
        if (peer != from)
            net_send(s->net, node, peer, s->net->adj_link[nd->adj_off + j], &att->m);
    }
}

/* Registers a new attestation (noting a conflicting one by the same
 * validator for the same target epoch) and sends it from its validator. */
static void att_publish(proto_t *s, uint32_t v, satt_t *att)
{
    att->seen = g_new0(uint8_t, (s->net->nnodes + 7) / 8);
    att->m = (msg_t){ .kind = MSG_ATT, .size_bytes = POS_ATT_BYTES, .id = s->atts->len, .obj = att };
    att->key = (int64_t)(att->a.target.epoch << 32 | att->a.validator);
    satt_t *first = g_hash_table_lookup(s->att_by_target, &att->key);
    if (!first)
        g_hash_table_insert(s->att_by_target, &att->key, att);
    else if (memcmp(&first->a.target, &att->a.target, sizeof att->a.target) != 0) {
        att->twin = first;
        if (!first->twin)
            first->twin = att;
    }
    g_ptr_array_add(s->atts, att);
    att_receive(s, v, UINT32_MAX, att);
}

const pos_att_t *chain_attestation(proto_t *s, uint32_t i)
{
    return &((const satt_t *)g_ptr_array_index(s->atts, i))->a;
}

void chain_inject_attestation(proto_t *s, const pos_att_t *a)
{
    satt_t *att = g_new0(satt_t, 1);
    att->a = *a;
    att_publish(s, a->validator, att);
}

/* Slashing protection, as real validator clients keep it: an honest
 * validator never signs a second attestation for a target epoch with
 * another target (a node back from a crash, or one whose view of the
 * committees changed, could otherwise vote twice and be slashed). */
static bool att_would_equivocate(proto_t *s, const pos_att_t *a)
{
    int64_t key = (int64_t)(a->target.epoch << 32 | a->validator);
    const satt_t *first = g_hash_table_lookup(s->att_by_target, &key);
    return first && memcmp(&first->a.target, &a->target, sizeof a->target) != 0;
}

/* A third into each slot, the validators due to attest vote for the head
 * their fork choice gives. */
void chain_attest(proto_t *s, uint64_t slot)
{
    const uint64_t slot_ns = s->sc->consensus.interval_ns;
    for (uint32_t v = 0; v < s->net->nnodes; v++) {
        cnode_t *cn = &s->cnodes[v];
        if (!s->net->nodes[v].up || !pos_is_attester(s->cons, cn->tip->b, v, slot))
            continue;
        pos_fork_choice(s, v);
        satt_t *att = g_new0(satt_t, 1);
        pos_checkpoints(s->cons, cn->tip->b, slot, &att->a);
        att->a.validator = v;
        att->a.slot = slot;
        if (att_would_equivocate(s, &att->a)) {
            g_free(att);
            continue;
        }
        pos_att_sign(&att->a, &s->node_keys[v]);
        att_publish(s, v, att);
    }
    uint64_t next = (slot + 1) * slot_ns + slot_ns / 3;
    if (next <= s->sc->duration_ns)
        engine_at(s->eng, next, EV_ATTEST, (ev_data_t){ .u = slot + 1 });
}

/* The attestations a proposer includes: seen, not yet in its chain, from
 * the last epoch, older than the block's slot. */
static void pos_attach(proto_t *s, uint32_t node, block_t *b)
{
    GPtrArray *pend = s->cnodes[node].att_pending;
    const uint64_t spe = s->sc->consensus.slots_per_epoch;
    pos_att_t *atts = g_new(pos_att_t, POS_MAX_ATTS_PER_BLOCK);
    uint32_t n = 0;
    for (guint i = 0; i < pend->len && n < POS_MAX_ATTS_PER_BLOCK; i++) {
        const satt_t *p = g_ptr_array_index(pend, i);
        if (p->a.slot < b->h.slot && p->a.slot + spe >= b->h.slot)
            atts[n++] = p->a;
    }
    /* stale ones are forgotten */
    for (guint i = pend->len; i-- > 0;)
        if (((const satt_t *)g_ptr_array_index(pend, i))->a.slot + spe < b->h.slot)
            g_ptr_array_remove_index(pend, i);
    GArray *evs = s->cnodes[node].evidence;
    pos_evidence_t *ev = g_new(pos_evidence_t, evs->len + 1);
    uint32_t nev = 0;
    for (guint i = 0; i < evs->len && nev < 16; i++) {
        const pos_evidence_t *e = &g_array_index(evs, pos_evidence_t, i);
        if (!pos_is_slashed(s->cons, b->parent, pos_evidence_offender(e)))
            ev[nev++] = *e;
    }
    pos_block_attach(s->cons, b, atts, n, ev, nev);
    g_free(ev);
    g_free(atts);
}

void chain_checked(proto_t *s, uint32_t node, uint32_t from, sblock_t *sb)
{
    const char *why = NULL;
    if (sb->st[node] == BS_CONNECTED) /* shared meanwhile by the node's adversary (chain_share) */
        return;
    const bool valid = block_valid(s, sb, &why);
    if (s->obs && s->obs->block_checked)
        s->obs->block_checked(s->obs->ctx, node, sb, valid ? NULL : why ? why : "invalid");
    if (!valid)
        invalidate(s, node, sb, why ? why : "invalid");
    else
        connect(s, node, from, sb);
}

/* The node has the block's data: check it once its parent is connected. */
static void process(proto_t *s, uint32_t node, uint32_t from, uint32_t link, sblock_t *sb)
{
    sblock_t *parent = sb_of(s, sb->b->parent);
    uint8_t pst = parent->st[node];
    if (pst == BS_INVALID) {
        invalidate(s, node, sb, "parent is invalid");
        return;
    }
    if (pst != BS_CONNECTED) {
        sb->st[node] = BS_ORPHAN;
        if (link != UINT32_MAX && request_due(s, parent, node))
            request(s, node, from, link, parent, false);
        return;
    }
    const scenario_t *sc = s->sc;
    cnode_t *cn = &s->cnodes[node];
    const block_t *b = sb->b;
    uint32_t unverified = 0;
    for (uint32_t i = 0; i < b->ntx; i++) {
        if (i + 8 < b->ntx)
            mempool_prefetch_hint(cn->mp, sb->mp_hints[i + 8]);
        unverified += !mempool_contains_hint(cn->mp, b->txs[i], &sb->mp_hints[i]);
    }
    uint64_t cost = sc->cpu.header_ns + b->ntx * sc->cpu.per_tx_ns + unverified * sc->cpu.verify_sig_ns +
                    b->size_bytes * sc->cpu.per_kb_ns / 1000;
    uint64_t start = cn->cpu_busy_until_ns > s->eng->now_ns ? cn->cpu_busy_until_ns : s->eng->now_ns;
    cn->cpu_busy_until_ns = start + cost;
    sb->st[node] = BS_CHECKING;
    s->checks_pending++;
    engine_at(s->eng, start + cost, EV_CHECKED, (ev_data_t){ .a = node, .b = from, .p = sb });
}

static void got_block(proto_t *s, uint32_t node, uint32_t from, uint32_t link, sblock_t *sb)
{
    uint8_t st = sb->st[node];
    if (has_data(st) || st == BS_INVALID)
        return;
    sb->arrival_ns[node] = s->eng->now_ns;
    sb->reached++;
    txrelay_mark_known(s, node, sb);
    if (s->obs && s->obs->block_got)
        s->obs->block_got(s->obs->ctx, node, from, sb);
    if (is_pos(s))
        check_double_proposal(s, node, sb);
    process(s, node, from, link, sb);
}

/* The share of a 535 KB block a node fetched after a failed compact block
 * reconstruction, as measured and tabulated by SimBlock (its table for the
 * nodes it calls churn nodes): entry k counts how often (k + 1) % of the
 * block was fetched, out of CMPCT_MISSING_TOTAL observations (median 1 %,
 * mean 8.8 %). */
#define CMPCT_MISSING_TOTAL 930u
static const uint16_t cmpct_missing_count[96] = {
    531, 66, 39, 27, 21, 17, 14, 12, 11, 10, 9, 8, 7, 7, 6, 6,
    5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The padding a node fetches after a failed reconstruction (BIP 152's
 * getblocktxn asks for what is missing only): relay.compact_missing of it,
 * a constant share or a draw from the measured table (node's stream). At
 * least one byte, so a failure always costs a round trip. */
static uint64_t padding_missing_bytes(proto_t *s, uint32_t node, uint64_t padding_bytes)
{
    int32_t ppm = s->sc->relay.compact_missing_ppm;
    if (ppm == 1000000)
        return padding_bytes;
    uint64_t share_ppm;
    if (ppm >= 0) {
        share_ppm = (uint64_t)ppm;
    } else {
        uint64_t r = rng_below(&s->net->nodes[node].rng, CMPCT_MISSING_TOTAL);
        uint32_t k = 0;
        while (r >= cmpct_missing_count[k])
            r -= cmpct_missing_count[k++];
        share_ppm = (k + 1) * 10000ull;
    }
    uint64_t bytes = padding_bytes / 1000000 * share_ppm + padding_bytes % 1000000 * share_ppm / 1000000;
    return bytes ? bytes : 1;
}

/* After consensus.max_blocks, ends the run once the last block has spread:
 * no block message in flight and no block check queued. Without a
 * transaction workload or attestations the queue runs dry by itself at
 * that point (only samples are left), so nothing is cut short then and
 * such runs end as they always did; otherwise submissions, gossip and
 * attestations would go on to scenario.duration. Ending drops every event
 * still queued (deliveries stay counted as in flight). */
static void end_when_spread(proto_t *s)
{
    const scenario_t *sc = s->sc;
    if (!sc->consensus.max_blocks || s->blocks->len <= sc->consensus.max_blocks || s->checks_pending)
        return;
    if (sc->workload.rate_per_s <= 0 && !is_pos(s))
        return;
    static const uint16_t block_kinds[] = { MSG_BLOCK_INV, MSG_BLOCK_GETDATA, MSG_CMPCT_GETDATA, MSG_BLOCK,
                                            MSG_CMPCT,     MSG_GETBLOCKTXN,   MSG_BLOCKTXN };
    for (size_t i = 0; i < G_N_ELEMENTS(block_kinds); i++)
        if (s->net->stats[block_kinds[i]].in_flight)
            return;
    ev_t ev;
    while (evq_pop_until(s->eng->q, UINT64_MAX, &ev))
        engine_discard(s->eng, &ev);
}

static void send_owned(proto_t *s, uint32_t from, uint32_t to, uint32_t link, uint16_t kind, uint64_t size,
                       uint64_t id, sblock_t *sb)
{
    msg_t *m = g_new0(msg_t, 1);
    *m = (msg_t){ .kind = kind, .flags = MSG_F_OWNED | (kind == MSG_GETBLOCKTXN ? MSG_F_CONTROL : 0), .size_bytes = (uint32_t)MIN(size, UINT32_MAX), .id = id,
                  .obj = sb };
    net_send(s->net, from, to, link, m);
}

void chain_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    sblock_t *sb = m->obj;
    const bool compact = compact_between(s, to, from);
    switch (m->kind) {
    case MSG_BLOCK_INV:
        if (request_due(s, sb, to))
            request(s, to, from, link, sb, compact);
        break;
    case MSG_BLOCK_GETDATA:
        if (has_data(sb->st[to]))
            net_send(s->net, to, from, link, &sb->m_full);
        break;
    case MSG_CMPCT_GETDATA:
        if (has_data(sb->st[to]))
            net_send(s->net, to, from, link, &sb->m_cmpct);
        break;
    case MSG_BLOCK:
        got_block(s, to, from, link, sb);
        break;
    case MSG_CMPCT: {
        uint8_t st = sb->st[to];
        if (has_data(st) || st == BS_INVALID || st == BS_WAITING)
            break;
        const block_t *b = sb->b;
        uint64_t missing = 0, missing_bytes = 0;
        for (uint32_t i = 0; i < b->ntx; i++) {
            if (i + 8 < b->ntx)
                mempool_prefetch_hint(s->cnodes[to].mp, sb->mp_hints[i + 8]);
            if (!mempool_contains_hint(s->cnodes[to].mp, b->txs[i], &sb->mp_hints[i])) {
                missing++;
                missing_bytes += b->txs[i]->size_bytes;
            }
        }
        if (b->h.padding_bytes && s->sc->relay.compact_fail_ppm &&
            rng_chance_ppm(&s->net->nodes[to].rng, s->sc->relay.compact_fail_ppm)) {
            uint64_t fetch = padding_missing_bytes(s, to, b->h.padding_bytes);
            missing += fetch / COMPACT_TX_BYTES;
            missing_bytes += fetch;
        }
        if (missing_bytes == 0) {
            got_block(s, to, from, link, sb);
        } else {
            sb->st[to] = BS_WAITING;
            sb->arrival_ns[to] = s->eng->now_ns;
            send_owned(s, to, from, link, MSG_GETBLOCKTXN, 40 + 2 * missing, missing_bytes, sb);
        }
        break;
    }
    case MSG_GETBLOCKTXN:
        if (has_data(sb->st[to]))
            send_owned(s, to, from, link, MSG_BLOCKTXN, 40 + m->id, m->id, sb);
        break;
    case MSG_BLOCKTXN:
        if (sb->st[to] == BS_WAITING)
            got_block(s, to, from, link, sb);
        break;
    case MSG_ATT:
        att_receive(s, to, from, m->obj);
        return;
    default:
        g_assert_not_reached();
    }
    end_when_spread(s);
}

void chain_node_up(proto_t *s, uint32_t node)
{
    if (s->cons)
        schedule_mine(s, node, true);
}

/* ---------- set-up ---------- */

/* Scales w[0..n) in place so that it sums to about `total` (each weight
 * rounded down, a non-zero weight stays at least 1). */
static void scale_weights(uint64_t *w, uint32_t n, uint64_t total)
{
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += (double)w[i];
    if (sum <= 0)
        return;
    for (uint32_t i = 0; i < n; i++) {
        if (!w[i])
            continue;
        uint64_t v = (uint64_t)((double)w[i] / sum * (double)total);
        w[i] = v ? v : 1;
    }
}

/* Picks exactly round(n x share) nodes with compact relay, by a shuffle of
 * their own stream; NULL (every node) at 100 %. */
static uint8_t *pick_compact_nodes(const scenario_t *sc, uint32_t n)
{
    if (sc->relay.compact_nodes_ppm >= 1000000)
        return NULL;
    uint8_t *cap = g_new0(uint8_t, n);
    uint32_t *order = g_new(uint32_t, n);
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    rng_t r;
    rng_stream(&r, sc->seed, RNG_CONSENSUS, 3);
    rng_shuffle_u32(&r, order, n);
    uint64_t k = ((uint64_t)n * sc->relay.compact_nodes_ppm + 500000) / 1000000;
    for (uint64_t i = 0; i < k; i++)
        cap[order[i]] = 1;
    g_free(order);
    return cap;
}

/* Splits `total` over m nodes (all of them, or m drawn with the stream) by
 * the scenario's distribution: equal, exponential, or listed shares for the
 * first ones with the rest split equally. out[] is per node, 0 for the
 * others. */
static void assign_weights(proto_t *s, hashpower_t kind, const uint32_t *ppm, uint32_t nlist, uint32_t m,
                           uint64_t total, uint64_t stream_key, uint64_t *out)
{
    const uint32_t n = s->net->nnodes;
    uint32_t *order = g_new(uint32_t, n);
    for (uint32_t i = 0; i < n; i++) {
        order[i] = i;
        out[i] = 0;
    }
    rng_t r;
    rng_stream(&r, s->sc->seed, RNG_CONSENSUS, stream_key);
    if (m < n)
        rng_shuffle_u32(&r, order, n);
    uint64_t listed = 0;
    for (uint32_t i = 0; i < nlist; i++)
        listed += ppm[i];
    for (uint32_t k = 0; k < m; k++) {
        uint64_t h;
        switch (kind) {
        case HASH_EXPONENTIAL:
            h = (uint64_t)llround(rng_exponential(&r, 1.0) * (double)total / m) + 1;
            break;
        case HASH_LIST:
            if (k < nlist)
                h = total / 1000000 * ppm[k];
            else
                h = total / 1000000 * (1000000 - listed) / (m - nlist);
            break;
        case HASH_NORMAL: {
            /* drawn per miner, then scaled below so that the miners' powers sum to total */
            double x = (double)s->sc->consensus.hashpower_mean + rng_normal(&r) * (double)s->sc->consensus.hashpower_sd;
            h = x < 1.0 ? 1 : (uint64_t)llround(x);
            break;
        }
        case HASH_EQUAL:
        default:
            h = total / m;
            break;
        }
        out[order[k]] = h;
    }
    if (kind == HASH_NORMAL)
        scale_weights(out, n, total);
    g_free(order);
}

static int cmp_addr(const void *a, const void *b)
{
    return addr_cmp(a, b);
}

static void reward_addr(addr_t *out, uint32_t node)
{
    uint8_t in[12] = { 'n', 'o', 'd', 'e', 0, 0, 0, 0 };
    for (int i = 0; i < 4; i++)
        in[4 + i] = (uint8_t)(node >> (8 * i));
    hash32_t h;
    hash_blake2b(&h, in, sizeof in);
    memcpy(out->b, h.b, ADDR_BYTES);
}

/* ---------- registration with the engine and the network ---------- */

static void run_mine(void *ctx, const ev_t *ev)
{
    chain_mine(ctx, ev->d.a, ev->d.c);
}

static void run_checked(void *ctx, const ev_t *ev)
{
    proto_t *s = ctx;
    if (s->checks_pending)
        s->checks_pending--;
    chain_checked(s, ev->d.a, ev->d.b, ev->d.p);
    end_when_spread(s);
}

static uint64_t trace_checked(const ev_t *ev, uint64_t *sub)
{
    (void)sub;
    return ((const sblock_t *)ev->d.p)->b->index;
}

static void run_sample(void *ctx, const ev_t *ev)
{
    chain_sample(ctx);
}

static void run_attest(void *ctx, const ev_t *ev)
{
    chain_attest(ctx, ev->d.u);
}

/* Frees a missing-transactions request or reply (one allocation). */
static void free_owned_msg(const msg_t *m)
{
    g_free((void *)m);
}

static void receive(void *ctx, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    chain_receive(ctx, to, from, link, m);
}

static void register_kinds(proto_t *s)
{
    engine_on(s->eng, EV_MINE, run_mine, NULL, NULL, s);
    engine_on(s->eng, EV_CHECKED, run_checked, trace_checked, NULL, s);
    engine_on(s->eng, EV_SAMPLE, run_sample, NULL, NULL, s);
    engine_on(s->eng, EV_ATTEST, run_attest, NULL, NULL, s);
    static const struct {
        uint16_t kind;
        const char *name;
        bool owned;
    } kinds[] = {
        { MSG_BLOCK_INV, "block-announce", false },   { MSG_BLOCK_GETDATA, "block-request", false },
        { MSG_CMPCT_GETDATA, "compact-request", false }, { MSG_BLOCK, "block", false },
        { MSG_CMPCT, "compact-block", false },         { MSG_GETBLOCKTXN, "missing-request", true },
        { MSG_BLOCKTXN, "missing-txs", true },         { MSG_ATT, "attestation", false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        net_on_kind(s->net, kinds[i].kind, kinds[i].name, receive, kinds[i].owned ? free_owned_msg : NULL, s);
}

void chain_init(proto_t *s)
{
    const scenario_t *sc = s->sc;
    const uint32_t n = s->net->nnodes;
    register_kinds(s);
    if (sc->consensus.kind == CONS_NONE)
        return;
    s->blocks = g_ptr_array_new();
    s->txs = g_ptr_array_new();
    g_ptr_array_add(s->txs, NULL); /* tx index 0 means "none" */
    s->block_rejects = g_hash_table_new(g_str_hash, g_str_equal);
    s->block_by_id = g_hash_table_new(hash32_hash_cb, hash32_equal_cb);
    s->atts = g_ptr_array_new();
    if (sc->consensus.kind == CONS_POS) {
        s->by_slot_producer = g_hash_table_new(g_int64_hash, g_int64_equal);
        s->att_by_target = g_hash_table_new(g_int64_hash, g_int64_equal);
    }
    rng_stream(&s->chain_rng, sc->seed, RNG_CONSENSUS, 1);
    s->compact_cap = pick_compact_nodes(sc, n);

    /* accounts and genesis state */
    const uint32_t na = sc->ledger.accounts;
    s->accounts = g_new(keypair_t, na);
    s->client_nonce = g_new0(uint64_t, na);
    s->client_bond = g_new0(uint64_t, na);
    s->client_validator = g_new0(uint32_t, na);
    addr_t *addrs = g_new(addr_t, na);
    uint64_t *bal = g_new(uint64_t, na);
    for (uint32_t i = 0; i < na; i++) {
        keys_derive(&s->accounts[i], sc->seed, i);
        addrs[i] = s->accounts[i].addr;
        bal[i] = sc->ledger.balance;
    }
    state_t *genesis_state = state_genesis(addrs, bal, na);
    g_free(addrs);
    g_free(bal);

    s->nblacklist = sc->mempool.nblacklist_accounts + sc->mempool.nblacklist_addrs;
    s->blacklist = g_new(addr_t, s->nblacklist ? s->nblacklist : 1);
    for (uint32_t i = 0; i < sc->mempool.nblacklist_accounts; i++)
        s->blacklist[i] = s->accounts[sc->mempool.blacklist_accounts[i]].addr;
    for (uint32_t i = 0; i < sc->mempool.nblacklist_addrs; i++)
        s->blacklist[sc->mempool.nblacklist_accounts + i] = sc->mempool.blacklist_addrs[i];
    qsort(s->blacklist, s->nblacklist, sizeof(addr_t), cmp_addr);

    /* consensus */
    s->cnodes = g_new0(cnode_t, n);
    uint64_t *w = g_new(uint64_t, n);
    uint64_t genesis_difficulty = 1;
    if (sc->consensus.kind == CONS_POW) {
        uint32_t m = sc->consensus.miners ? sc->consensus.miners : n;
        assign_weights(s, sc->consensus.hashpower, sc->consensus.share_ppm, sc->consensus.nshares, m,
                       POW_TOTAL_HASHRATE, 0, w);
        if (s->policy)
            s->policy->weights(s, w, POW_TOTAL_HASHRATE);
        uint64_t total = 0;
        for (uint32_t i = 0; i < n; i++)
            total += s->cnodes[i].hashrate = w[i];
        pow_cfg_t pc = {
            .interval_ns = sc->consensus.interval_ns,
            .total_hashrate = total,
            .retarget_blocks = sc->consensus.retarget_blocks,
            .retarget_clamp = sc->consensus.retarget_clamp,
            .confirmations = sc->consensus.confirmations,
            .real_bits = sc->consensus.real_bits,
            .nnodes = n,
            .hashrate = w,
        };
        s->cons = pow_new(&pc);
        genesis_difficulty = pow_genesis_difficulty(&pc);
    } else {
        /* Every node is a validator (pos) or a delegate candidate (dpos). */
        assign_weights(s, sc->consensus.stake, sc->consensus.stake_ppm, sc->consensus.nstakes, n,
                       STAKE_TOTAL, 2, w);
        s->node_keys = g_new(keypair_t, n);
        uint8_t (*pks)[PK_BYTES] = g_malloc(sizeof *pks * n);
        for (uint32_t i = 0; i < n; i++) {
            keys_derive(&s->node_keys[i], sc->seed, NODE_KEY_BASE + i);
            memcpy(pks[i], s->node_keys[i].pk, PK_BYTES);
            s->cnodes[i].hashrate = 1; /* may produce when the schedule says so */
        }
        if (sc->consensus.kind == CONS_DPOS) {
            dpos_cfg_t dc = {
                .nnodes = n,
                .votes = w,
                .producers = sc->consensus.producers,
                .blocks_per_turn = sc->consensus.blocks_per_turn,
                .interval_ns = sc->consensus.interval_ns,
                .seed = sc->seed,
                .sorted = sc->consensus.dpos_order == 0,
                .two_stage = sc->consensus.dpos_irreversibility == 1,
                .pubkeys = (const uint8_t(*)[PK_BYTES])pks,
            };
            s->cons = dpos_new(&dc);
        } else {
            pos_cfg_t pc = {
                .nvalidators = n,
                .stake = w,
                .pubkeys = (const uint8_t(*)[PK_BYTES])pks,
                .slot_ns = sc->consensus.interval_ns,
                .slots_per_epoch = sc->consensus.slots_per_epoch,
                .genesis_seed = sc->seed,
                .activation_epochs = sc->consensus.activation_epochs,
                .epoch_processing = sc->consensus.pos_justification == 0,
            };
            s->cons = pos_new(&pc);
        }
        g_free(pks);
    }
    g_free(w);

    addr_t zero = { { 0 } };
    block_t *g = block_new(NULL, 0, UINT32_MAX, &zero, NULL, 0, 0);
    g->h.difficulty = genesis_difficulty;
    block_seal(g);
    g->state = genesis_state;
    g->valid = 1;
    sblock_t *gsb = sblock_new(s, g);
    gsb->cons_ok = 1;
    for (uint32_t i = 0; i < n; i++) {
        gsb->arrival_ns[i] = 0;
        gsb->final_ns[i] = 0;
        gsb->st[i] = BS_CONNECTED;
    }
    gsb->reached = n;

    mempool_cfg_t mc = {
        .capacity = sc->mempool.capacity,
        .min_fee = sc->mempool.min_fee,
        .max_tx_bytes = (uint32_t)MIN(sc->mempool.max_tx_bytes, UINT32_MAX),
        .nonce_window = sc->mempool.nonce_window,
        .rate_limit_milli_per_s = (uint32_t)llround(sc->mempool.rate_limit_per_s * 1000.0),
        .rate_burst = sc->mempool.rate_burst,
        .blacklist = s->blacklist,
        .nblacklist = s->nblacklist,
        .shared = s->mp_shared = mempool_shared_new(),
    };
    for (uint32_t i = 0; i < n; i++) {
        cnode_t *cn = &s->cnodes[i];
        cn->tip = gsb;
        cn->final = gsb;
        cn->mp = mempool_new(&mc);
        if (is_pos(s)) {
            cn->ghost = pos_ghost_new(s->cons);
            pos_ghost_on_block(cn->ghost, gsb->b);
            cn->att_pending = g_ptr_array_new();
            cn->evidence = g_array_new(FALSE, FALSE, sizeof(pos_evidence_t));
        }
        reward_addr(&cn->reward_addr, i);
        schedule_mine(s, i, true);
    }
    txrelay_start(s);
    cpu_trace(s); /* simulated time 0: the set-up is done */
    engine_at(s->eng, sc->record.sample_interval_ns, EV_SAMPLE, (ev_data_t){ 0 });
    if (is_pos(s))
        engine_at(s->eng, sc->consensus.interval_ns + sc->consensus.interval_ns / 3, EV_ATTEST, (ev_data_t){ .u = 1 });
}

void chain_free(proto_t *s)
{
    if (!s->blocks)
        return;
    for (uint32_t i = 0; i < s->net->nnodes; i++) {
        mempool_free(s->cnodes[i].mp);
        if (s->cnodes[i].pending)
            g_array_free(s->cnodes[i].pending, TRUE);
        if (s->cnodes[i].ghost)
            pos_ghost_free(s->cnodes[i].ghost);
        if (s->cnodes[i].att_pending)
            g_ptr_array_free(s->cnodes[i].att_pending, TRUE);
        if (s->cnodes[i].evidence)
            g_array_free(s->cnodes[i].evidence, TRUE);
    }
    g_free(s->cnodes);
    mempool_shared_free(s->mp_shared); /* after every pool */
    for (guint i = s->blocks->len; i-- > 0;)
        sblock_free(s, g_ptr_array_index(s->blocks, i));
    g_ptr_array_free(s->blocks, TRUE);
    for (guint i = 1; i < s->txs->len; i++) {
        stx_t *t = g_ptr_array_index(s->txs, i);
        tx_unref(t->tx);
    }
    g_ptr_array_free(s->txs, TRUE);
    for (uint32_t c = 0; c < s->tx_nchunks; c++)
        g_free(s->tx_chunks[c]);
    g_free(s->tx_chunks);
    txrelay_free(s);
    g_hash_table_destroy(s->block_rejects);
    g_hash_table_destroy(s->block_by_id);
    if (s->by_slot_producer) {
        g_hash_table_destroy(s->by_slot_producer);
        g_hash_table_destroy(s->att_by_target);
    }
    for (guint i = 0; i < s->atts->len; i++) {
        satt_t *a = g_ptr_array_index(s->atts, i);
        g_free(a->seen);
        g_free(a);
    }
    g_ptr_array_free(s->atts, TRUE);
    if (s->cons)
        s->cons->ops->destroy(s->cons);
    g_free(s->accounts);
    g_free(s->node_keys);
    g_free(s->client_nonce);
    g_free(s->client_bond);
    g_free(s->client_validator);
    g_free(s->blacklist);
    g_free(s->compact_cap);
}

/* ---------- samples and results ---------- */


void chain_sample(proto_t *s)
{
    cpu_trace(s);
    const uint32_t n = s->net->nnodes;
    uint32_t up = 0;
    uint64_t mp_sum = 0, mp_max = 0, hmin = UINT64_MAX, hmax = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!s->net->nodes[i].up)
            continue;
        uint64_t c = s->txs->len > 1 ? mempool_count(s->cnodes[i].mp) : 0;
        mp_sum += c;
        mp_max = c > mp_max ? c : mp_max;
        uint64_t h = s->cnodes[i].tip->b->h.height;
        hmin = h < hmin ? h : hmin;
        hmax = h > hmax ? h : hmax;
        up++;
    }
    if (up && s->rec) {
        /* Median height by counting (heights span a few blocks); distinct
         * tips by marking blocks. Linear in nodes, no sorting. */
        uint32_t *count = g_new0(uint32_t, hmax - hmin + 1);
        uint8_t *seen = g_new0(uint8_t, s->blocks->len);
        uint32_t distinct = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (!s->net->nodes[i].up)
                continue;
            const block_t *tip = s->cnodes[i].tip->b;
            count[tip->h.height - hmin]++;
            distinct += !seen[tip->index];
            seen[tip->index] = 1;
        }
        uint64_t median = hmin;
        for (uint32_t acc = 0, k = 0; k <= hmax - hmin; k++) {
            acc += count[k];
            if (acc >= (up + 1) / 2) {
                median = hmin + k;
                break;
            }
        }
        g_free(count);
        g_free(seen);
        if (!record_sample(s->rec, s->eng->now_ns, (double)mp_sum / up, mp_max, hmin, hmax, median, distinct))
            engine_fail(s->eng, "%s", record_error(s->rec));
    }
    uint64_t next = s->eng->now_ns + s->sc->record.sample_interval_ns;
    if (next <= s->sc->duration_ns && evq_len(s->eng->q) > 0) /* nothing else left: the run is over */
        engine_at(s->eng, next, EV_SAMPLE, (ev_data_t){ 0 });
}

/* The final main chain: the best published tip any node holds (ties: the
 * earliest block). Marks its blocks main; returns the tip. */
static sblock_t *final_chain(proto_t *s)
{
    sblock_t *best = g_ptr_array_index(s->blocks, 0);
    for (uint32_t i = 0; i < s->net->nnodes; i++) {
        sblock_t *t = s->cnodes[i].tip;
        if (s->policy && !s->policy->published(s, t))
            continue; /* an adversary's private branch, never published */
        int c = s->cons->ops->compare(s->cons, t->b, best->b);
        if (c > 0 || (c == 0 && t->b->index < best->b->index))
            best = t;
    }
    for (guint i = 0; i < s->blocks->len; i++)
        ((sblock_t *)g_ptr_array_index(s->blocks, i))->main = false;
    for (const block_t *b = best->b; b; b = b->parent)
        sb_of(s, b)->main = true;
    return best;
}

bool chain_supply(proto_t *s, chain_supply_t *out)
{
    const scenario_t *sc = s->sc;
    sblock_t *best = final_chain(s);
    out->genesis = (uint64_t)sc->ledger.accounts * sc->ledger.balance;
    out->minted = sc->consensus.reward * best->b->h.height;
    out->end_total = state_total(best->b->state);
    out->tip_index = best->b->index;
    return out->genesis + out->minted == out->end_total;
}

void chain_trace_final(proto_t *s)
{
    if (!s->blocks)
        return;
    chain_supply_t sup;
    if (!chain_supply(s, &sup))
        engine_fail(s->eng,
                    "coins not conserved: %" G_GUINT64_FORMAT " at genesis + %" G_GUINT64_FORMAT
                    " minted != %" G_GUINT64_FORMAT " in the state of the main chain's tip (block %u)",
                    sup.genesis, sup.minted, sup.end_total, sup.tip_index);
    sblock_t *best = final_chain(s);
    uint8_t rec[8];
    for (uint32_t i = 0; i <= s->net->nnodes; i++) {
        uint32_t idx = i < s->net->nnodes ? s->cnodes[i].tip->b->index : best->b->index;
        for (int k = 0; k < 4; k++)
            rec[k] = (uint8_t)(i >> (8 * k));
        for (int k = 0; k < 4; k++)
            rec[4 + k] = (uint8_t)(idx >> (8 * k));
        engine_trace_bytes(s->eng, rec, sizeof rec);
    }
}

/* Per transaction: first inclusion, main-chain block and confirmation. */
typedef struct txfate {
    uint64_t included_ns;
    int64_t main_block;
    uint64_t confirmed_ns;
    uint64_t final_ns;
} txfate_t;

static txfate_t *tx_fates(proto_t *s, sblock_t *best, uint64_t *nconfirmed)
{
    const uint32_t k = s->sc->consensus.confirmations;
    txfate_t *f = g_new(txfate_t, s->txs->len);
    for (guint i = 0; i < s->txs->len; i++)
        f[i] = (txfate_t){ UINT64_MAX, -1, UINT64_MAX, UINT64_MAX };
    uint64_t top = best->b->h.height;
    sblock_t **main_at = g_new0(sblock_t *, top + 1);
    for (const block_t *b = best->b; b; b = b->parent)
        main_at[b->h.height] = sb_of(s, b);
    for (guint i = 1; i < s->blocks->len; i++) {
        sblock_t *sb = g_ptr_array_index(s->blocks, i);
        const block_t *b = sb->b;
        for (uint32_t t = 0; t < b->ntx; t++) {
            uint32_t ti = b->txs[t]->sim_index;
            if (!ti)
                continue;
            if (b->h.time_ns < f[ti].included_ns)
                f[ti].included_ns = b->h.time_ns;
            if (sb->main) {
                f[ti].main_block = b->index;
                f[ti].final_ns = sb->final_ns[((const stx_t *)g_ptr_array_index(s->txs, ti))->origin];
                uint64_t ch = b->h.height + k - 1;
                if (ch <= top) {
                    const stx_t *st = g_ptr_array_index(s->txs, ti);
                    f[ti].confirmed_ns = main_at[ch]->arrival_ns[st->origin];
                }
            }
        }
    }
    *nconfirmed = 0;
    for (guint i = 1; i < s->txs->len; i++)
        *nconfirmed += f[i].confirmed_ns != UINT64_MAX;
    g_free(main_at);
    return f;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Missed slots (slot-based engines), slashed validators (pos) and the
 * height of the latest final block, for the chain ending at best. */
static void chain_figures(proto_t *s, sblock_t *best, int64_t *missed, int64_t *slashed, uint64_t *final_height)
{
    const block_t *tip = best->b;
    *missed = -1;
    *slashed = -1;
    if (s->sc->consensus.kind == CONS_POS || s->sc->consensus.kind == CONS_DPOS)
        *missed = (int64_t)(tip->h.slot - tip->h.height);
    if (s->sc->consensus.kind == CONS_POS)
        *slashed = pos_slashed_count(s->cons, tip);
    *final_height = s->cons->ops->final(s->cons, tip)->h.height;
}

bool chain_record(proto_t *s)
{
    if (!s->blocks || !s->rec)
        return true;
    record_t *r = s->rec;
    const uint32_t n = s->net->nnodes;
    const detail_t detail = s->sc->record.detail;
    sblock_t *best = final_chain(s);
    for (guint i = 0; i < s->blocks->len; i++) {
        sblock_t *sb = g_ptr_array_index(s->blocks, i);
        const block_t *b = sb->b;
        static const uint32_t fracs[3] = { 500000, 900000, 1000000 };
        uint64_t t[3];
        reach_many_ns(sb->arrival_ns, n, sb->reached, b->h.time_ns, fracs, 3, t);
        uint64_t t50 = t[0], t90 = t[1], t100 = t[2];
        char hex[2 * HASH_BYTES + 1];
        hash_to_hex(&b->id, hex);
        if (!record_block(r, b->index, hex, b->parent ? (int64_t)b->parent->index : -1, b->h.height,
                          b->parent ? (int64_t)b->h.producer : -1, b->h.time_ns, b->size_bytes, b->ntx,
                          b->h.difficulty, sb->main, sb->reached, t50, t90, t100))
            return false;
        for (uint32_t k = 0; k < b->ntx; k++) {
            hash_to_hex(&b->txs[k]->id, hex);
            if (!record_block_tx(r, b->index, k, sb->tx_index ? sb->tx_index[k] : 0, hex))
                return false;
        }
        if (detail == DETAIL_ARRIVALS && i > 0)
            for (uint32_t k = 0; k < n; k++)
                if (has_data(sb->st[k]) || sb->st[k] == BS_INVALID)
                    if (!record_block_arrival(r, b->index, k, sb->arrival_ns[k]))
                        return false;
    }
    if (detail != DETAIL_SUMMARY) {
        uint64_t nconf;
        txfate_t *f = tx_fates(s, best, &nconf);
        bool ok = true;
        for (guint i = 1; ok && i < s->txs->len; i++) {
            const stx_t *t = g_ptr_array_index(s->txs, i);
            char hex[2 * HASH_BYTES + 1];
            hash_to_hex(&t->tx->id, hex);
            ok = record_tx(r, i, hex, t->account, t->tx->nonce, t->tx->amount, t->tx->fee, t->tx->size_bytes,
                           t->origin, intent_names[t->intent], t->submitted_ns, f[i].included_ns, f[i].main_block,
                           f[i].confirmed_ns, f[i].final_ns);
        }
        g_free(f);
        if (!ok)
            return false;
    }
    for (int i = 1; i < MP_RESULT_COUNT; i++)
        if (i != MP_DUPLICATE && s->tx_rejects[i] && !record_rejection(r, "tx", mp_result_name(i), s->tx_rejects[i]))
            return false;
    for (int i = 1; i < TXERR_COUNT; i++) {
        if (!s->build_drops[i])
            continue;
        char *why = g_strdup_printf("dropped by block building: %s", txerr_name(i));
        bool ok = record_rejection(r, "tx", why, s->build_drops[i]);
        g_free(why);
        if (!ok)
            return false;
    }
    int64_t missed, slashed;
    uint64_t final_height;
    chain_figures(s, best, &missed, &slashed, &final_height);
    if (!record_chain_summary(r, s->cons->ops->name, best->b->h.height, final_height, missed, slashed))
        return false;
    chain_supply_t sup;
    bool conserved = chain_supply(s, &sup);
    if (!record_supply(r, sup.genesis, sup.minted, sup.end_total, conserved))
        return false;
    GPtrArray *reasons = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, s->block_rejects);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(reasons, key);
    g_ptr_array_sort(reasons, cmp_str); /* a fixed order, whatever the table's */
    bool ok = true;
    for (guint i = 0; ok && i < reasons->len; i++) {
        const char *why = g_ptr_array_index(reasons, i);
        ok = record_rejection(r, "block", why, GPOINTER_TO_SIZE(g_hash_table_lookup(s->block_rejects, why)));
    }
    g_ptr_array_free(reasons, TRUE);
    return ok;
}

void chain_print_summary(const proto_t *cs, FILE *out)
{
    proto_t *s = (proto_t *)cs;
    if (!s->blocks)
        return;
    sblock_t *best = final_chain(s);
    uint32_t total = s->blocks->len - 1, stale = 0;
    for (guint i = 1; i < s->blocks->len; i++)
        stale += !((sblock_t *)g_ptr_array_index(s->blocks, i))->main;
    uint64_t nconf = 0;
    txfate_t *f = tx_fates(s, best, &nconf);
    g_free(f);
    uint64_t rejected = 0;
    for (int i = 1; i < MP_RESULT_COUNT; i++)
        if (i != MP_DUPLICATE)
            rejected += s->tx_rejects[i];
    double secs = (double)s->eng->now_ns / 1e9;
    fprintf(out, "blocks: %u produced, %u stale (%.2f%%), main chain height %" G_GUINT64_FORMAT "\n", total, stale,
            total ? 100.0 * stale / total : 0.0, best->b->h.height);
    fprintf(out, "reorgs: %u, deepest %" G_GUINT64_FORMAT "\n", s->nreorgs, s->reorg_max_depth);
    int64_t missed, slashed;
    uint64_t final_height;
    chain_figures(s, best, &missed, &slashed, &final_height);
    fprintf(out, "finality: latest final block at height %" G_GUINT64_FORMAT, final_height);
    if (missed >= 0)
        fprintf(out, ", %" G_GINT64_FORMAT " missed slots", missed);
    if (slashed >= 0)
        fprintf(out, ", %" G_GINT64_FORMAT " validators slashed", slashed);
    fputc('\n', out);
    fprintf(out, "transactions: %u submitted, %" G_GUINT64_FORMAT " confirmed (%.2f tx/s), %" G_GUINT64_FORMAT
            " rejections\n", s->txs->len - 1, nconf, secs > 0 ? (double)nconf / secs : 0.0, rejected);
}
