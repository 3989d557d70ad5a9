/*
 * txrelay.c - the transaction workload and transaction gossip.
 *
 * Clients submit transfers at a Poisson rate, each from a random funded
 * account to a random node; a share of them (workload.invalid) is invalid on
 * purpose: a bad signature, a second spend of an already used nonce, or an
 * amount beyond the balance. Nodes admit transactions to their mempool
 * (core/mempool.h), counting every rejection by reason, and announce newly
 * admitted ones to their peers in batches: one announcement per link per
 * relay.tx_interval, so gossip costs grow with links x intervals rather than
 * links x transactions. A peer asks for the ones it does not know and gets
 * them in one message.
 *
 * Every node hears of every transaction, and of most of them from several
 * peers, so the per-node, per-transaction steps are laid out for that:
 *
 * Batches. A node's flush builds one batch (the transaction numbers it
 * admitted since its last flush, in admission order) shared by the
 * announcements to all its peers; each announcement is a message of its own
 * (its size counts only the transactions that did not come from that peer)
 * pointing at the batch, which is freed with the last of them. So a flush
 * costs O(transactions + peers), not their product. A receiver skips what it
 * knows; the entries that came from the receiver itself are among those (it
 * sent them, so it knows them), so it asks for exactly what a per-peer list
 * would have made it ask for, in the same order.
 *
 * Known sets. Which transactions a node knows (has, or has asked for) is a
 * bit per node over a window of transaction numbers: row `node` of `known`,
 * a ring of known_words 64-bit words where number i has bit i mod
 * (64 known_words). A batch names recent transactions, so checking it at a
 * receiver reads a few words of one row. The window is [known_base, the
 * newest number]: a transaction is named by gossip (a node's pending batch,
 * a batch, a request or a reply in flight: its "holders") only for a while
 * after it is submitted. Each holder counts once, in `hold`, under the word
 * of the lowest number it names; the base moves past a word once no holder
 * counts under it, as then none names a number in it or below: no message
 * can name them again (gossip only relays what a message named), so nothing
 * asks whether a node knows them, and their bits are cleared for reuse. The
 * window doubles when a new number would not fit (a transaction still named
 * long after it was submitted, behind a slow upload queue). Memory: nodes x
 * window / 8 bytes, bounded by the gossip in flight, not by the length of
 * the run. Numbers below the base need no bit: marking them known (a block
 * arriving) does nothing.
 *
 * Messages and batches come from free lists by size class (powers of two),
 * kept for the run: gossip allocates and frees several per link and
 * interval, of widely varying sizes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/node/txrelay.h"

#define TX_INV_ENTRY_BYTES 36u
#define MSG_HEADER_BYTES 24u
#define KNOWN_WORDS_MIN 16u

/* The announcements of one flush, sharing one list of numbers. */
typedef struct txbatch {
    proto_t *s;
    uint32_t refs;  /* messages alive, plus one while the flush builds them */
    uint32_t n;
    uint32_t min;   /* the lowest number (its holder count, see Known sets) */
    uint8_t cls;    /* allocation size class */
    msg_t *msgs;    /* one per peer announced to; points into the allocation */
    uint32_t idx[]; /* the transaction numbers, in admission order */
} txbatch_t;

static stx_t *stx(proto_t *s, uint32_t i)
{
    return proto_tx(s, i);
}

/* ---------- allocation ---------- */

typedef struct freeblk {
    struct freeblk *next;
} freeblk_t;

/* A block of at least `bytes`, from the free list of its size class. */
static void *tr_alloc(proto_t *s, size_t bytes, uint8_t *cls)
{
    uint8_t c = 6;
    while (((size_t)1 << c) < bytes)
        c++;
    *cls = c;
    if (c >= TXRELAY_POOL_CLASSES)
        return g_malloc(bytes);
    freeblk_t *b = s->tr_free[c];
    if (b != NULL) {
        s->tr_free[c] = b->next;
        return b;
    }
    return g_malloc((size_t)1 << c);
}

static void tr_release(proto_t *s, void *p, uint8_t cls)
{
    if (cls >= TXRELAY_POOL_CLASSES) {
        g_free(p);
        return;
    }
    freeblk_t *b = p;
    b->next = s->tr_free[cls];
    s->tr_free[cls] = b;
}

/* ---------- known sets ---------- */

static uint64_t *known_word(proto_t *s, uint32_t node, uint32_t i)
{
    return &s->known[(size_t)node * s->known_words + (i / 64 & (s->known_words - 1))];
}

static void set_known(proto_t *s, uint32_t node, uint32_t i)
{
    g_assert(i >= s->known_base);
    *known_word(s, node, i) |= UINT64_C(1) << (i % 64);
}

/* The holder count of the word of number i. */
static uint32_t *hold_of(proto_t *s, uint32_t i)
{
    g_assert(i / 64 < s->hold_len);
    return &s->hold[i / 64];
}

static void hold_add(proto_t *s, uint32_t min)
{
    (*hold_of(s, min))++;
}

static void hold_drop(proto_t *s, uint32_t min)
{
    uint32_t *h = hold_of(s, min);
    g_assert(*h > 0);
    (*h)--;
}

/* Moves the window's base past every word of numbers below `limit` that no
 * holder names, clearing their bits. */
static void known_advance(proto_t *s, uint32_t limit)
{
    while (s->known_base + 64 <= limit && s->hold[s->known_base / 64] == 0) {
        const size_t w = s->known_base / 64 & (s->known_words - 1);
        for (uint32_t n = 0; n < s->net->nnodes; n++)
            s->known[(size_t)n * s->known_words + w] = 0;
        s->known_base += 64;
    }
}

/* Makes room in the window for number i, the newest (doubling the ring as
 * needed). */
static void known_fit(proto_t *s, uint32_t i)
{
    if (s->known == NULL) {
        s->known_words = KNOWN_WORDS_MIN;
        s->known = g_new0(uint64_t, (size_t)s->net->nnodes * s->known_words);
    }
    if (i / 64 >= s->hold_len) {
        uint32_t n = s->hold_len ? s->hold_len * 2 : 64;
        s->hold = g_renew(uint32_t, s->hold, n);
        memset(s->hold + s->hold_len, 0, sizeof(uint32_t) * (n - s->hold_len));
        s->hold_len = n;
    }
    known_advance(s, i); /* not past i: it is about to be gossiped */
    g_assert(i >= s->known_base);
    while (i - s->known_base >= 64 * s->known_words) {
        const uint32_t old = s->known_words, now = old * 2, n = s->net->nnodes;
        uint64_t *k = g_new0(uint64_t, (size_t)n * now);
        for (uint32_t node = 0; node < n; node++)
            for (uint32_t w = s->known_base / 64; w < s->known_base / 64 + old; w++)
                k[(size_t)node * now + (w & (now - 1))] = s->known[(size_t)node * old + (w & (old - 1))];
        g_free(s->known);
        s->known = k;
        s->known_words = now;
    }
}

/* ---------- messages ---------- */

/* Frees a request or reply, dropping its holder count. */
static void free_list_msg(const msg_t *m)
{
    txlist_t *l = m->obj;
    hold_drop(l->s, l->min);
    tr_release(l->s, (void *)m, l->cls);
}

/* An announcement is done with: the batch goes with the last one. */
static void batch_release(txbatch_t *b)
{
    g_assert(b->refs > 0);
    if (--b->refs > 0)
        return;
    hold_drop(b->s, b->min);
    tr_release(b->s, b, b->cls);
}

static void free_inv_msg(const msg_t *m)
{
    batch_release(m->obj);
}

/* A request or reply with room for k transaction numbers; its sender sets
 * `min` and counts it (hold_add) before sending. */
static msg_t *list_msg(proto_t *s, uint16_t kind, uint32_t k)
{
    uint8_t cls;
    msg_t *m = tr_alloc(s, sizeof(msg_t) + sizeof(txlist_t) + sizeof(uint32_t) * k, &cls);
    txlist_t *l = (txlist_t *)(m + 1);
    l->s = s;
    l->n = 0;
    l->min = UINT32_MAX;
    l->cls = cls;
    *m = (msg_t){ .kind = kind, .flags = MSG_F_OWNED, .obj = l };
    return m;
}

static void run_submit(void *ctx, const ev_t *ev)
{
    txrelay_submit(ctx);
}

static void run_flush(void *ctx, const ev_t *ev)
{
    txrelay_flush(ctx, ev->d.a);
}

static void receive(void *ctx, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    txrelay_receive(ctx, to, from, link, m);
}

void txrelay_init(proto_t *s)
{
    engine_on(s->eng, EV_TX_SUBMIT, run_submit, NULL, NULL, s);
    engine_on(s->eng, EV_TX_FLUSH, run_flush, NULL, NULL, s);
    net_on_kind(s->net, MSG_TX_INV, "tx-announce", receive, free_inv_msg, s);
    net_on_kind(s->net, MSG_TX_GETDATA, "tx-request", receive, free_list_msg, s);
    net_on_kind(s->net, MSG_TX, "tx", receive, free_list_msg, s);
}

void txrelay_free(proto_t *s)
{
    g_free(s->known);
    s->known = NULL;
    g_free(s->hold);
    s->hold = NULL;
    g_free(s->peer_count);
    s->peer_count = NULL;
    for (int c = 0; c < TXRELAY_POOL_CLASSES; c++) {
        while (s->tr_free[c] != NULL) {
            freeblk_t *b = s->tr_free[c];
            s->tr_free[c] = b->next;
            g_free(b);
        }
    }
}

void txrelay_start(proto_t *s)
{
    const scenario_t *sc = s->sc;
    if (sc->workload.rate_per_s <= 0)
        return;
    uint64_t first = sc->workload.start_ns +
                     (uint64_t)llround(rng_exponential(&s->workload_rng, 1e9 / sc->workload.rate_per_s));
    engine_at(s->eng, first, EV_TX_SUBMIT, (ev_data_t){ 0 });
}

void txrelay_mark_known(proto_t *s, uint32_t node, const sblock_t *sb)
{
    if (s->known == NULL)
        return;
    for (uint32_t i = 0; i < sb->b->ntx; i++) {
        uint32_t ti = sb->tx_index[i];
        if (ti >= s->known_base) /* below: gossip is done with it */
            set_known(s, node, ti);
    }
}

/* True when a block the node has connected includes t: the transaction is
 * already confirmed there, which a client treats as known, not as invalid. */
static bool in_chain(proto_t *s, uint32_t node, const stx_t *t)
{
    for (uint32_t i = 0; i < t->nincluded; i++)
        if (proto_block(s, t->included[i])->st[node] == BS_CONNECTED)
            return true;
    return false;
}

void txrelay_admit(proto_t *s, uint32_t node, uint32_t ti, uint32_t from)
{
    stx_t *t = stx(s, ti);
    cnode_t *cn = &s->cnodes[node];
    set_known(s, node, ti);
    uint64_t start = cn->cpu_busy_until_ns > s->eng->now_ns ? cn->cpu_busy_until_ns : s->eng->now_ns;
    cn->cpu_busy_until_ns = start + s->sc->cpu.verify_sig_ns;
    tx_t *evicted = NULL;
    mp_result_t r = mempool_add_hint(cn->mp, t->tx, &t->mp_hint, cn->tip->b->state, s->eng->now_ns, &evicted);
    if (evicted)
        tx_unref(evicted);
    if (r != MP_ADDED) {
        if (r != MP_DUPLICATE && !(r == MP_NONCE_LOW && in_chain(s, node, t)))
            s->tx_rejects[r]++;
        return;
    }
    if (cn->pending == NULL)
        cn->pending = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (cn->pending->len == 0) {
        cn->pending_min = ti; /* the pending batch is a holder */
        hold_add(s, ti);
    } else if (ti < cn->pending_min) {
        hold_drop(s, cn->pending_min);
        hold_add(s, ti);
        cn->pending_min = ti;
    }
    uint32_t pair[2] = { ti, from };
    g_array_append_vals(cn->pending, pair, 2);
    if (!cn->flush_scheduled) {
        cn->flush_scheduled = true;
        engine_at(s->eng, s->eng->now_ns + s->sc->relay.tx_interval_ns, EV_TX_FLUSH, (ev_data_t){ .a = node });
    }
}

void txrelay_flush(proto_t *s, uint32_t node)
{
    cnode_t *cn = &s->cnodes[node];
    const node_t *nd = &s->net->nodes[node];
    cn->flush_scheduled = false;
    if (cn->pending == NULL || cn->pending->len == 0)
        return;
    const uint32_t *p = (const uint32_t *)cn->pending->data;
    const uint32_t n = cn->pending->len / 2;
    const uint32_t deg = nd->up ? nd->adj_len : 0;
    uint8_t cls;
    const size_t head = (sizeof(txbatch_t) + sizeof(uint32_t) * n + 7) / 8 * 8;
    txbatch_t *b = tr_alloc(s, head + sizeof(msg_t) * deg, &cls);
    b->s = s;
    b->refs = 1; /* the flush's own, until every message is sent */
    b->n = n;
    b->min = cn->pending_min; /* the pending batch's holder count passes to the batch */
    b->cls = cls;
    b->msgs = (msg_t *)((char *)b + head);
    for (uint32_t i = 0; i < n; i++)
        b->idx[i] = p[2 * i];
    if (deg > 0) {
        /* How many entries came from each peer: those are left out of the
         * announcement to that peer (by node, as a node may be linked to the
         * same peer twice). */
        if (s->peer_count == NULL)
            s->peer_count = g_new0(uint32_t, s->net->nnodes);
        for (uint32_t i = 0; i < n; i++)
            if (p[2 * i + 1] != UINT32_MAX)
                s->peer_count[p[2 * i + 1]]++;
        for (uint32_t j = 0; j < deg; j++) {
            uint32_t peer = s->net->adj_peer[nd->adj_off + j];
            uint32_t k = n - s->peer_count[peer];
            if (k == 0)
                continue;
            msg_t *m = &b->msgs[j];
            *m = (msg_t){ .kind = MSG_TX_INV, .flags = MSG_F_OWNED, .size_bytes = MSG_HEADER_BYTES + TX_INV_ENTRY_BYTES * k,
                          .obj = b };
            b->refs++;
            net_send(s->net, node, peer, s->net->adj_link[nd->adj_off + j], m);
        }
        for (uint32_t i = 0; i < n; i++)
            if (p[2 * i + 1] != UINT32_MAX)
                s->peer_count[p[2 * i + 1]] = 0;
    }
    batch_release(b);
    g_array_set_size(cn->pending, 0);
}

void txrelay_receive(proto_t *s, uint32_t to, uint32_t from, uint32_t link, const msg_t *m)
{
    switch (m->kind) {
    case MSG_TX_INV: {
        const txbatch_t *b = m->obj;
        /* The receiver's row, and the window: every number a live batch
         * names is in it (the batch holds them). */
        uint64_t *row = &s->known[(size_t)to * s->known_words];
        const uint32_t mask = s->known_words - 1, base = s->known_base;
        msg_t *req = NULL;
        txlist_t *rl = NULL;
        for (uint32_t i = 0; i < b->n; i++) {
            const uint32_t ti = b->idx[i];
            g_assert(ti >= base);
            uint64_t *w = &row[ti / 64 & mask];
            const uint64_t bit = UINT64_C(1) << (ti % 64);
            if (*w & bit)
                continue; /* known: including every entry that came from `to` */
            if (req == NULL) {
                req = list_msg(s, MSG_TX_GETDATA, b->n - i);
                rl = req->obj;
            }
            *w |= bit;
            rl->idx[rl->n++] = ti;
            if (ti < rl->min)
                rl->min = ti;
        }
        if (req == NULL)
            break;
        req->size_bytes = MSG_HEADER_BYTES + TX_INV_ENTRY_BYTES * rl->n;
        hold_add(s, rl->min);
        net_send(s->net, to, from, link, req);
        break;
    }
    case MSG_TX_GETDATA: {
        const txlist_t *l = m->obj;
        msg_t *data = list_msg(s, MSG_TX, l->n);
        txlist_t *dl = data->obj;
        uint64_t bytes = MSG_HEADER_BYTES;
        for (uint32_t i = 0; i < l->n; i++) {
            dl->idx[dl->n++] = l->idx[i];
            bytes += stx(s, l->idx[i])->size_bytes;
        }
        dl->min = l->min;
        data->size_bytes = (uint32_t)MIN(bytes, UINT32_MAX);
        hold_add(s, dl->min);
        net_send(s->net, to, from, link, data);
        break;
    }
    case MSG_TX: {
        /* Admission reads, per transaction, its record here, its record in
         * the mempools' shared set, the pool's bit, its sender's record and
         * the node's known word: loads started a few transactions ahead
         * (only speed depends on it). */
        const txlist_t *l = m->obj;
        const mempool_t *mp = s->cnodes[to].mp;
        const uint32_t n = l->n;
        for (uint32_t i = 0; i < n; i++) {
            if (i + 8 < n)
                __builtin_prefetch(stx(s, l->idx[i + 8]));
            if (i + 4 < n) {
                const uint32_t ti = l->idx[i + 4];
                mempool_prefetch_hint(mp, stx(s, ti)->mp_hint);
                __builtin_prefetch(known_word(s, to, ti));
            }
            if (i + 2 < n)
                mempool_prefetch_sender(mp, stx(s, l->idx[i + 2])->mp_hint);
            txrelay_admit(s, to, l->idx[i], from);
        }
        break;
    }
    default:
        g_assert_not_reached();
    }
}

uint32_t txrelay_register(proto_t *s, stx_t *t)
{
    const uint32_t i = s->txs->len, c = i / STX_CHUNK;
    if (c >= s->tx_nchunks) {
        s->tx_chunks = g_renew(stx_t *, s->tx_chunks, c + 1);
        s->tx_chunks[c] = g_new(stx_t, STX_CHUNK);
        s->tx_nchunks = c + 1;
    }
    stx_t *r = &s->tx_chunks[c][i % STX_CHUNK];
    *r = *t;
    g_free(t);
    r->tx->sim_index = i;
    r->size_bytes = r->tx->size_bytes;
    r->mp_hint = 0;
    g_ptr_array_add(s->txs, r);
    known_fit(s, i);
    return i;
}

void txrelay_submit(proto_t *s)
{
    const scenario_t *sc = s->sc;
    if (sc->workload.stop_ns && s->eng->now_ns > sc->workload.stop_ns)
        return;
    rng_t *r = &s->workload_rng;
    const uint32_t na = sc->ledger.accounts;
    uint32_t a = (uint32_t)rng_below(r, na);
    uint32_t to = na > 1 ? (uint32_t)((a + 1 + rng_below(r, na - 1)) % na) : a;
    uint64_t amount = rng_range(r, sc->workload.amount_min, sc->workload.amount_max);
    uint64_t fee = rng_range(r, sc->workload.fee_min, sc->workload.fee_max);
    uint8_t intent = INTENT_VALID;
    if (sc->workload.invalid_ppm && rng_chance_ppm(r, sc->workload.invalid_ppm))
        intent = (uint8_t)(1 + rng_below(r, 3));
    if (intent == INTENT_DOUBLE_SPEND && s->client_nonce[a] == 0)
        intent = INTENT_OVERSPEND; /* nothing spent yet to spend twice */
    const consensus_kind_t kind = sc->consensus.kind;
    if (intent == INTENT_VALID && sc->workload.staking_ppm && (kind == CONS_POS || kind == CONS_DPOS) &&
        rng_chance_ppm(r, sc->workload.staking_ppm))
        intent = kind == CONS_DPOS ? INTENT_VOTE : s->client_bond[a] ? INTENT_UNSTAKE : INTENT_STAKE;
    const keypair_t *kp = &s->accounts[a];
    tx_t *tx;
    switch (intent) {
    case INTENT_STAKE: {
        uint32_t v = (uint32_t)rng_below(r, s->net->nnodes);
        uint64_t amt = sc->ledger.balance / 100 + 1;
        tx = tx_new_call(kp, TX_STAKE, v, amt, fee, s->client_nonce[a]++);
        s->client_bond[a] = amt;
        s->client_validator[a] = v;
        break;
    }
    case INTENT_UNSTAKE: {
        uint64_t amt = s->client_bond[a] / 2 + 1;
        tx = tx_new_call(kp, TX_UNSTAKE, s->client_validator[a], amt, fee, s->client_nonce[a]++);
        s->client_bond[a] = 0; /* the client stakes afresh next time */
        break;
    }
    case INTENT_VOTE:
        tx = tx_new_call(kp, TX_VOTE, (uint32_t)rng_below(r, s->net->nnodes), 0, fee, s->client_nonce[a]++);
        break;
    case INTENT_BAD_SIG: {
        tx_t *good = tx_new_transfer(kp, &s->accounts[to].addr, amount, fee, s->client_nonce[a]);
        uint8_t sig[SIG_BYTES];
        memcpy(sig, good->sig, SIG_BYTES);
        sig[0] ^= 0x5a;
        tx = tx_new_unchecked(kp->pk, &s->accounts[to].addr, amount, fee, s->client_nonce[a], sig);
        tx_unref(good);
        break;
    }
    case INTENT_DOUBLE_SPEND:
        /* the nonce of the account's previous transaction, to someone else */
        tx = tx_new_transfer(kp, &s->accounts[(to + 1) % na].addr, amount, fee, s->client_nonce[a] - 1);
        break;
    case INTENT_OVERSPEND:
        tx = tx_new_transfer(kp, &s->accounts[to].addr, sc->ledger.balance * 2 + amount, fee, s->client_nonce[a]);
        break;
    default:
        tx = tx_new_transfer(kp, &s->accounts[to].addr, amount, fee, s->client_nonce[a]++);
        break;
    }
    stx_t *t = g_new0(stx_t, 1);
    t->tx = tx;
    t->origin = (uint32_t)rng_below(r, s->net->nnodes);
    t->account = a;
    t->intent = intent;
    t->submitted_ns = s->eng->now_ns;
    uint32_t ti = txrelay_register(s, t); /* t is moved */
    if (s->net->nodes[proto_tx(s, ti)->origin].up)
        txrelay_admit(s, proto_tx(s, ti)->origin, ti, UINT32_MAX);

    double gap_ns = rng_exponential(r, 1e9 / sc->workload.rate_per_s);
    uint64_t next = s->eng->now_ns + (uint64_t)llround(gap_ns);
    if (next <= sc->duration_ns && (!sc->workload.stop_ns || next <= sc->workload.stop_ns))
        engine_at(s->eng, next, EV_TX_SUBMIT, (ev_data_t){ 0 });
}
